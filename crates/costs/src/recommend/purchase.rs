//! Commitment purchases for steady on-demand usage.
//!
//! On-demand usage is a `Usage` row of the Compute or Databases category (or Amazon RDS) at
//! the standard rate (`PricingCategory` Standard or null), without a commitment, with cost.
//! Per sub-account, service, SKU, region and currency, its EffectiveCost is summed per day; the
//! commitment level is the smallest daily sum over every day of the window (a day without
//! on-demand usage makes it zero: the usage is not steady), so a commitment at that level is
//! used every day. The saving per 30 days is level × 30 × discount, where the discount is
//! 1 − EffectiveCost / ListCost of the rows of the same service, SKU and region that a
//! commitment covered, or else [`default_discount`] for the commitment type (1-year term).
//!
//! Amazon RDS gets a reserved DB instance, other AWS compute a Compute Savings Plan, Azure a
//! reservation.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use leitstand_finops::{CommitmentDiscountStatus, CostRow, PricingCategory, ServiceCategory};
use rust_decimal::Decimal;
use serde_json::json;

use crate::recommend::{to_f64, Kind, Recommendation, Window};

/// The fewest days of data in the window for a purchase suggestion.
pub const MIN_DAYS: i64 = 7;

/// What a commitment for steady usage would be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CommitmentType {
    /// Azure reservation.
    Reservation,
    /// AWS Compute Savings Plan.
    SavingsPlan,
    /// Amazon RDS reserved DB instance.
    ReservedDbInstance,
}

impl CommitmentType {
    pub fn as_str(self) -> &'static str {
        match self {
            CommitmentType::Reservation => "Reservation",
            CommitmentType::SavingsPlan => "Savings Plan",
            CommitmentType::ReservedDbInstance => "Reserved DB Instance",
        }
    }
}

/// The discount assumed when the data has no covered rows of the SKU to derive it from: a
/// conservative 1-year, no-upfront rate (published 1-year rates are mostly 20–40% below
/// on-demand; savings plans, being flexible, at the low end).
pub fn default_discount(commitment_type: CommitmentType) -> Decimal {
    match commitment_type {
        CommitmentType::Reservation | CommitmentType::ReservedDbInstance => Decimal::new(30, 2),
        CommitmentType::SavingsPlan => Decimal::new(20, 2),
    }
}

/// Whether a row is Amazon RDS.
fn is_rds(row: &CostRow) -> bool {
    row.service_name
        .as_deref()
        .is_some_and(|s| s.eq_ignore_ascii_case("Amazon Relational Database Service"))
        || row
            .x_column("x_ServiceCode")
            .is_some_and(|s| s.eq_ignore_ascii_case("AmazonRDS"))
}

fn is_aws(row: &CostRow) -> bool {
    row.provider_name
        .as_deref()
        .is_some_and(|p| p.eq_ignore_ascii_case("AWS") || p.to_ascii_lowercase().contains("amazon"))
        || row
            .resource_id
            .as_deref()
            .is_some_and(|r| r.starts_with("arn:"))
}

/// The SKU a commitment would be bought for: the meter name (Azure), the instance or usage
/// type (AWS), else the SKU id or the resource type.
fn sku_of(row: &CostRow) -> String {
    [
        "x_SkuMeterName",
        "x_SkuInstanceType",
        "x_InstanceType",
        "x_UsageType",
    ]
    .iter()
    .find_map(|c| row.x_column(c).filter(|v| !v.is_empty()))
    .or(row.sku_id.as_deref())
    .or(row.resource_type.as_deref())
    .unwrap_or_default()
    .to_owned()
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct Key {
    sub_account: String,
    service: String,
    sku: String,
    region: String,
    currency: String,
}

#[derive(Debug)]
struct Usage {
    commitment_type: CommitmentType,
    daily: BTreeMap<NaiveDate, Decimal>,
}

/// Covered cost of a (service, SKU, region): ListCost and EffectiveCost sums.
#[derive(Debug, Default, Clone, Copy)]
struct Covered {
    list: Decimal,
    effective: Decimal,
}

/// The on-demand and covered usage seen in the rows.
#[derive(Debug, Default)]
pub(crate) struct Purchases {
    on_demand: HashMap<Key, Usage>,
    covered: HashMap<(String, String, String), Covered>,
    /// Covered EffectiveCost per key, for the coverage in the evidence.
    covered_by_key: HashMap<Key, BTreeMap<NaiveDate, Decimal>>,
}

impl Purchases {
    pub fn add(&mut self, row: &CostRow, day: NaiveDate, sub_account: &str) {
        let rds = is_rds(row);
        let eligible = rds
            || matches!(
                row.service_category,
                Some(ServiceCategory::Compute | ServiceCategory::Databases)
            );
        if !eligible {
            return;
        }
        let sku = sku_of(row);
        let service = row.service_name.clone().unwrap_or_default();
        let region = row
            .region_id
            .clone()
            .or_else(|| row.region_name.clone())
            .unwrap_or_default();
        let key = Key {
            sub_account: sub_account.to_owned(),
            service: service.clone(),
            sku: sku.clone(),
            region: region.clone(),
            currency: row.billing_currency.clone(),
        };
        let committed = row.commitment_discount_status == Some(CommitmentDiscountStatus::Used)
            || row.pricing_category == Some(PricingCategory::Committed);
        if committed {
            if let Some(list) = row.list_cost.filter(|l| *l > Decimal::ZERO) {
                let covered = self
                    .covered
                    .entry((
                        service.to_lowercase(),
                        sku.to_lowercase(),
                        region.to_lowercase(),
                    ))
                    .or_default();
                covered.list = covered.list.saturating_add(list);
                covered.effective = covered.effective.saturating_add(row.effective_cost);
            }
            let daily = self.covered_by_key.entry(key).or_default();
            let cost = daily.entry(day).or_default();
            *cost = cost.saturating_add(row.effective_cost);
            return;
        }
        let on_demand = row.commitment_discount_id.is_none()
            && matches!(row.pricing_category, None | Some(PricingCategory::Standard))
            && row.effective_cost > Decimal::ZERO;
        if !on_demand {
            return;
        }
        let commitment_type = if rds {
            CommitmentType::ReservedDbInstance
        } else if is_aws(row) {
            CommitmentType::SavingsPlan
        } else {
            CommitmentType::Reservation
        };
        let usage = self.on_demand.entry(key).or_insert_with(|| Usage {
            commitment_type,
            daily: BTreeMap::new(),
        });
        let cost = usage.daily.entry(day).or_default();
        *cost = cost.saturating_add(row.effective_cost);
    }

    pub fn finish(self, window: &Window) -> Vec<Recommendation> {
        let mut out = Vec::new();
        if window.days() < MIN_DAYS {
            return out;
        }
        for (key, usage) in &self.on_demand {
            let mut level: Option<Decimal> = None;
            let mut total = Decimal::ZERO;
            let mut n_days_used = 0i64;
            for day in window.each_day() {
                let cost = usage.daily.get(&day).copied().unwrap_or_default();
                if cost > Decimal::ZERO {
                    n_days_used += 1;
                }
                total = total.saturating_add(cost);
                level = Some(level.map_or(cost, |l| l.min(cost)));
            }
            let Some(level) = level.filter(|l| *l > Decimal::ZERO) else {
                continue;
            };
            let derived = self
                .covered
                .get(&(
                    key.service.to_lowercase(),
                    key.sku.to_lowercase(),
                    key.region.to_lowercase(),
                ))
                .and_then(|c| {
                    let ratio = c.effective.checked_div(c.list)?;
                    let discount = Decimal::ONE.checked_sub(ratio)?;
                    (discount > Decimal::ZERO && discount < Decimal::ONE).then_some(discount)
                });
            let (discount, source) = match derived {
                Some(d) => (d, "data"),
                None => (default_discount(usage.commitment_type), "default"),
            };
            let saving = level
                .saturating_mul(Decimal::from(30))
                .saturating_mul(discount);
            let covered: Decimal = self
                .covered_by_key
                .get(key)
                .map(|d| {
                    d.range(window.from..window.to)
                        .fold(Decimal::ZERO, |sum, (_, c)| sum.saturating_add(*c))
                })
                .unwrap_or_default();
            let eligible = covered.saturating_add(total);
            let coverage = if eligible > Decimal::ZERO {
                covered.checked_div(eligible).map(to_f64)
            } else {
                None
            };
            let hourly = level.checked_div(Decimal::from(24)).unwrap_or_default();
            let what = if key.sku.is_empty() {
                key.service.clone()
            } else {
                format!("{} {}", key.service, key.sku)
            };
            let title = format!(
                "Buy a 1-year {} for {what} in `{}`: {:.4} {}/hour of steady on-demand usage",
                usage.commitment_type.as_str(),
                if key.region.is_empty() {
                    "any region"
                } else {
                    &key.region
                },
                to_f64(hourly),
                key.currency
            );
            let evidence = json!({
                "commitmentType": usage.commitment_type.as_str(),
                "term": "P1Y",
                "service": key.service,
                "sku": key.sku,
                "region": key.region,
                "minimumDailyOnDemandCost": to_f64(level),
                "averageDailyOnDemandCost": to_f64(total.checked_div(Decimal::from(window.days())).unwrap_or_default()),
                "daysWithOnDemandUsage": n_days_used,
                "hourlyCommitment": to_f64(hourly),
                "discountRate": to_f64(discount),
                "discountSource": source,
                "coverage": coverage,
                "window": window.to_json(),
            });
            let resource = format!(
                "{}/{}/{}/{}/{}",
                key.sub_account, key.service, key.sku, key.region, key.currency
            );
            out.push(Recommendation::new(
                Kind::CommitmentPurchase,
                &resource,
                &key.sub_account,
                title,
                &key.currency,
                saving,
                evidence,
                None,
            ));
        }
        out
    }
}
