//! Azure Hybrid Benefit candidates: Azure compute and database usage that pays for a Windows
//! Server or SQL Server license the customer may already own.
//!
//! A row's license is read from Azure's FOCUS columns: `x_SkuLicenseType` (else the meter's
//! subcategory, name and description: `Windows`, `SQL Server`) and `x_SkuLicenseStatus`
//! (`Enabled` / `Not Enabled`; without it, `BYOL` or `Hybrid Benefit` in those names means
//! enabled). A resource with licensed usage whose status is not enabled is a candidate.
//!
//! The saving is the license part of its cost per 30 days: 1 − (unit price with the benefit) /
//! (unit price without it), compared on rows of the same meter and region that have the
//! benefit, or else [`default_license_share`].

use std::collections::HashMap;

use chrono::NaiveDate;
use leitstand_finops::{CostRow, ServiceCategory};
use rust_decimal::Decimal;
use serde_json::json;

use crate::recommend::{per_month, to_f64, Kind, Recommendation, ResourceCost, Window};

/// The licenses Azure Hybrid Benefit covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum License {
    WindowsServer,
    SqlServer,
}

impl License {
    pub fn as_str(self) -> &'static str {
        match self {
            License::WindowsServer => "Windows Server",
            License::SqlServer => "SQL Server",
        }
    }
}

/// The license share of the pay-as-you-go price assumed when the data has nothing to compare:
/// Windows Server about 40% of a general-purpose Windows VM's price (a D2s v3 costs about
/// 0.096 USD/hour on Linux and 0.188 on Windows in East US), SQL Server about 30% of a vCore
/// database's price (conservative).
pub fn default_license_share(license: License) -> Decimal {
    match license {
        License::WindowsServer => Decimal::new(40, 2),
        License::SqlServer => Decimal::new(30, 2),
    }
}

/// Whether a row is Azure's.
fn is_azure(row: &CostRow) -> bool {
    row.provider_name.as_deref().is_some_and(|p| {
        let p = p.to_ascii_lowercase();
        p.contains("microsoft") || p.contains("azure")
    }) || row
        .resource_id
        .as_deref()
        .is_some_and(|r| r.to_ascii_lowercase().starts_with("/subscriptions/"))
}

/// The meter names a license shows in, lowercase.
fn names(row: &CostRow) -> String {
    [
        row.x_column("x_SkuMeterSubcategory"),
        row.x_column("x_SkuMeterName"),
        row.x_column("x_SkuDescription"),
        row.charge_description.as_deref(),
    ]
    .iter()
    .flatten()
    .map(|s| s.to_ascii_lowercase())
    .collect::<Vec<_>>()
    .join(" | ")
}

/// The license a row pays for, if any.
pub fn license_of(row: &CostRow) -> Option<License> {
    if let Some(kind) = row.x_column("x_SkuLicenseType") {
        let kind = kind.to_ascii_lowercase();
        if kind.contains("windows") {
            return Some(License::WindowsServer);
        }
        if kind.contains("sql") {
            return Some(License::SqlServer);
        }
    }
    let names = names(row);
    if names.contains("sql server") || (names.contains("sql") && names.contains("vcore")) {
        Some(License::SqlServer)
    } else if names.contains("windows") {
        Some(License::WindowsServer)
    } else {
        None
    }
}

/// Whether the row has Azure Hybrid Benefit: `Some(true)`, `Some(false)`, or `None` when the
/// data does not say.
pub fn benefit_of(row: &CostRow) -> Option<bool> {
    if let Some(status) = row.x_column("x_SkuLicenseStatus") {
        let status = status
            .trim()
            .to_ascii_lowercase()
            .replace([' ', '_', '-'], "");
        match status.as_str() {
            "enabled" | "true" | "yes" => return Some(true),
            "notenabled" | "disabled" | "false" | "no" => return Some(false),
            _ => {}
        }
    }
    let names = names(row);
    if names.contains("byol") || names.contains("hybrid benefit") || names.contains("ahb") {
        return Some(true);
    }
    None
}

/// The unit price of a row: ListUnitPrice, else ListCost / PricingQuantity.
fn unit_price(row: &CostRow) -> Option<Decimal> {
    row.list_unit_price
        .or_else(|| {
            let quantity = row.pricing_quantity.filter(|q| *q > Decimal::ZERO)?;
            row.list_cost?.checked_div(quantity)
        })
        .filter(|p| *p > Decimal::ZERO)
}

#[derive(Debug, Default)]
struct Candidate {
    license: Option<License>,
    /// `x_SkuLicenseStatus` as the rows say it, if they do.
    status: Option<String>,
    meter: String,
    region: String,
    /// The licensed usage's EffectiveCost per day.
    daily: std::collections::BTreeMap<NaiveDate, Decimal>,
    /// Sum and count of its unit prices.
    price_sum: Decimal,
    n_prices: u32,
}

/// The candidates and the prices of usage that has the benefit.
#[derive(Debug, Default)]
pub(crate) struct HybridBenefit {
    candidates: HashMap<String, Candidate>,
    /// (meter, region) → (sum, count) of unit prices with the benefit.
    with_benefit: HashMap<(String, String), (Decimal, u32)>,
    /// The last day each resource's usage had the benefit.
    enabled_on: HashMap<String, NaiveDate>,
}

impl HybridBenefit {
    pub fn add(&mut self, row: &CostRow, day: NaiveDate, resource_key: &str) {
        if !is_azure(row)
            || !matches!(
                row.service_category,
                Some(ServiceCategory::Compute | ServiceCategory::Databases) | None
            )
        {
            return;
        }
        let meter = row
            .x_column("x_SkuMeterName")
            .unwrap_or_default()
            .to_lowercase();
        let region = row.region_id.clone().unwrap_or_default().to_lowercase();
        let benefit = benefit_of(row);
        if benefit == Some(true) {
            let last = self
                .enabled_on
                .entry(resource_key.to_owned())
                .or_insert(day);
            *last = (*last).max(day);
            if let Some(price) = unit_price(row) {
                let entry = self.with_benefit.entry((meter, region)).or_default();
                entry.0 = entry.0.saturating_add(price);
                entry.1 = entry.1.saturating_add(1);
            }
            return;
        }
        let Some(license) = license_of(row) else {
            return;
        };
        let candidate = self
            .candidates
            .entry(resource_key.to_owned())
            .or_insert_with(|| Candidate {
                meter,
                region,
                ..Candidate::default()
            });
        candidate.license = Some(candidate.license.map_or(license, |l| l.max(license)));
        if candidate.status.is_none() {
            candidate.status = row.x_column("x_SkuLicenseStatus").map(str::to_owned);
        }
        let cost = candidate.daily.entry(day).or_default();
        *cost = cost.saturating_add(row.effective_cost);
        if let Some(price) = unit_price(row) {
            candidate.price_sum = candidate.price_sum.saturating_add(price);
            candidate.n_prices = candidate.n_prices.saturating_add(1);
        }
    }

    pub fn finish(
        self,
        window: &Window,
        resources: &HashMap<String, ResourceCost>,
    ) -> Vec<Recommendation> {
        let mut out = Vec::new();
        for (key, candidate) in &self.candidates {
            let (Some(license), Some(resource)) = (candidate.license, resources.get(key)) else {
                continue;
            };
            let mut first = None;
            let mut cost = Decimal::ZERO;
            for (day, c) in candidate.daily.range(window.from..window.to) {
                first.get_or_insert(*day);
                cost = cost.saturating_add(*c);
            }
            let Some(first) = first else { continue };
            // Turned on since: the last licensed usage already has the benefit.
            let last_without = candidate.daily.keys().next_back().copied();
            let enabled_since = self
                .enabled_on
                .get(key)
                .is_some_and(|on| Some(*on) >= last_without);
            if cost <= Decimal::ZERO || enabled_since {
                continue;
            }
            let monthly = per_month(cost, (window.to - first).num_days());
            let mean =
                |sum: Decimal, n: u32| (n > 0).then(|| sum.checked_div(Decimal::from(n))).flatten();
            let without = mean(candidate.price_sum, candidate.n_prices);
            let with = self
                .with_benefit
                .get(&(candidate.meter.clone(), candidate.region.clone()))
                .and_then(|(sum, n)| mean(*sum, *n));
            let derived = match (with, without) {
                (Some(with), Some(without)) => with
                    .checked_div(without)
                    .and_then(|r| Decimal::ONE.checked_sub(r))
                    .filter(|s| *s > Decimal::ZERO && *s < Decimal::ONE),
                _ => None,
            };
            let (share, source) = match derived {
                Some(s) => (s, "data"),
                None => (default_license_share(license), "default"),
            };
            let saving = monthly.saturating_mul(share);
            let title = format!(
                "Turn on Azure Hybrid Benefit ({}) for `{}`",
                license.as_str(),
                resource.resource_id
            );
            let evidence = json!({
                "license": license.as_str(),
                "licenseStatus": candidate.status,
                "licenseStatusSource": if candidate.status.is_some() {
                    "x_SkuLicenseStatus"
                } else {
                    "meter names (licensed meter without BYOL or Hybrid Benefit)"
                },
                "meter": candidate.meter,
                "region": candidate.region,
                "licensedCost": to_f64(cost),
                "monthlyLicensedCost": to_f64(monthly),
                "licenseShare": to_f64(share),
                "licenseShareSource": source,
                "unitPriceWithoutBenefit": without.map(to_f64),
                "unitPriceWithBenefit": with.map(to_f64),
                "window": window.to_json(),
            });
            out.push(Recommendation::new(
                Kind::HybridBenefit,
                &resource.resource_id,
                &resource.sub_account,
                title,
                &resource.currency,
                saving,
                evidence,
                resource.resource_group.clone(),
            ));
        }
        out
    }
}
