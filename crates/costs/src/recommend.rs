//! Savings recommendations, each with its estimated monthly saving in the billing currency and
//! the evidence behind it (the numbers that triggered it and the thresholds they crossed).
//!
//! Kinds, one module each:
//!
//! - [`commitment`]: commitments (reservations, savings plans) used below
//!   [`commitment::UTILIZATION_TARGET`], from the CommitmentDiscount columns; unused ones too.
//! - [`purchase`]: steady on-demand usage of one SKU in one region that a commitment would
//!   cover (reserved DB instances for Amazon RDS, savings plans for other AWS compute,
//!   reservations on Azure).
//! - [`hybrid_benefit`]: Azure Windows Server and SQL Server compute without Azure Hybrid
//!   Benefit.
//! - [`schedule`]: non-production resources (by their `environment` tag) that run around the
//!   clock, with a shutdown schedule.
//! - [`vm`]: idle and oversized VMs from utilization metrics, with Azure Advisor's thresholds.
//!
//! The cost-based kinds look at a window of the last [`WINDOW_DAYS`] days of cost data present
//! (not the wall clock), the VM kinds at the last 7 and 3 days of metrics present. A
//! recommendation's id is a hash of its kind and resource, so it is the same in every run.
//!
//! [`Collector`] is pure: it is fed [`CostRow`]s one at a time and the metric samples at the
//! end. [`run`] feeds it a tenant's stored detail. It does not decide who may see what; the
//! caller filters by scope ([`in_scope`]).

pub mod commitment;
pub mod hybrid_benefit;
pub mod purchase;
pub mod schedule;
pub mod vm;

#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use chrono::{Duration, NaiveDate};
use leitstand_core::resource_id::Scope;
use leitstand_core::tree::TenantTree;
use leitstand_finops::store::ParquetRowReader;

use crate::objects::DetailStore;
use leitstand_finops::{ChargeCategory, CostRow};
use leitstand_store::{MetricSampleRow, Store, StoreError};
use rust_decimal::Decimal;
use serde_json::{json, Value};

use crate::ingest::{resource_group_of, sub_account_text};

/// How many days of cost data the cost-based kinds look at (ending on the last day present).
pub const WINDOW_DAYS: i64 = 30;

/// The kinds of recommendation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    CommitmentUtilization,
    CommitmentPurchase,
    HybridBenefit,
    NonProductionSchedule,
    IdleVirtualMachine,
    RightsizeVirtualMachine,
}

impl Kind {
    /// Every kind.
    pub const ALL: &'static [Kind] = &[
        Kind::CommitmentUtilization,
        Kind::CommitmentPurchase,
        Kind::HybridBenefit,
        Kind::NonProductionSchedule,
        Kind::IdleVirtualMachine,
        Kind::RightsizeVirtualMachine,
    ];

    /// Returns the name the API and the CLI show.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::CommitmentUtilization => "CommitmentUtilization",
            Kind::CommitmentPurchase => "CommitmentPurchase",
            Kind::HybridBenefit => "HybridBenefit",
            Kind::NonProductionSchedule => "NonProductionSchedule",
            Kind::IdleVirtualMachine => "IdleVirtualMachine",
            Kind::RightsizeVirtualMachine => "RightsizeVirtualMachine",
        }
    }
}

/// One recommendation.
#[derive(Debug, Clone, PartialEq)]
pub struct Recommendation {
    /// A hash of the kind and the resource: the same in every run.
    pub id: String,
    pub kind: Kind,
    /// The resource, commitment or (for purchases) SKU the recommendation is about.
    pub resource_id: String,
    /// The normalized sub-account (subscription GUID, AWS account), as the daily rows keep it.
    pub sub_account: String,
    /// The resource group (lowercase), if the resource has one.
    pub resource_group: Option<String>,
    pub title: String,
    /// The billing currency of the saving ('' when there is no cost data for the resource).
    pub currency: String,
    /// The estimated monthly saving (30 days), never negative.
    pub monthly_saving: Decimal,
    /// The numbers that triggered the recommendation and the thresholds they crossed.
    pub evidence: Value,
}

impl Recommendation {
    /// Builds a recommendation; the id comes from the kind and the resource.
    #[expect(clippy::too_many_arguments, reason = "one plain constructor per field")]
    pub fn new(
        kind: Kind,
        resource_id: &str,
        sub_account: &str,
        title: String,
        currency: &str,
        monthly_saving: Decimal,
        evidence: Value,
        resource_group: Option<String>,
    ) -> Recommendation {
        Recommendation {
            id: stable_id(kind, resource_id),
            kind,
            resource_id: resource_id.to_owned(),
            sub_account: sub_account.to_owned(),
            resource_group,
            title,
            currency: currency.to_owned(),
            monthly_saving: money(monthly_saving.max(Decimal::ZERO)),
            evidence,
        }
    }

    /// The recommendation as the API and the CLI show it.
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "kind": self.kind.as_str(),
            "resourceId": self.resource_id,
            "subAccount": self.sub_account,
            "title": self.title,
            "currency": self.currency,
            "monthlySavings": self.monthly_saving.to_string(),
            "evidence": self.evidence,
        })
    }
}

/// Returns a 16-hex-digit FNV-1a hash of the kind and the resource (case-insensitive).
pub fn stable_id(kind: Kind, resource_id: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let text = format!("{}\u{0}{}", kind.as_str(), resource_id.to_lowercase());
    for byte in text.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{hash:016x}")
}

/// Rounds an amount to the nano-unit the database keeps, without trailing zeros.
pub fn money(amount: Decimal) -> Decimal {
    amount
        .round_dp_with_strategy(9, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
        .normalize()
}

/// Scales a cost over `days` days to 30 days; zero when `days` is not positive.
pub fn per_month(cost: Decimal, days: i64) -> Decimal {
    if days <= 0 {
        return Decimal::ZERO;
    }
    cost.saturating_mul(Decimal::from(30))
        .checked_div(Decimal::from(days))
        .unwrap_or(Decimal::ZERO)
}

/// Returns the nearest-rank percentile `p` (0 < p <= 100) of `values`; `None` when empty.
pub fn percentile(values: &[f64], p: f64) -> Option<f64> {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    if sorted.is_empty() {
        return None;
    }
    sorted.sort_by(f64::total_cmp);
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss,
        reason = "a rank between 1 and the number of values"
    )]
    let rank = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted.get(rank.min(sorted.len()) - 1).copied()
}

/// A Decimal as an f64 for evidence (evidence numbers are for reading, not for sums).
pub(crate) fn to_f64(amount: Decimal) -> f64 {
    use rust_decimal::prelude::ToPrimitive;
    amount.to_f64().unwrap_or_default()
}

/// The days the cost-based kinds look at: `from..to` (exclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Window {
    /// The number of days.
    pub fn days(&self) -> i64 {
        (self.to - self.from).num_days()
    }

    /// Whether a day lies in the window.
    pub fn contains(&self, day: NaiveDate) -> bool {
        self.from <= day && day < self.to
    }

    /// Every day of the window, in order.
    pub fn each_day(&self) -> impl Iterator<Item = NaiveDate> + '_ {
        self.from.iter_days().take_while(|d| *d < self.to)
    }

    /// The window as evidence.
    pub fn to_json(&self) -> Value {
        json!({ "from": self.from.to_string(), "to": (self.to - Duration::days(1)).to_string(), "days": self.days() })
    }
}

/// A resource's usage cost per day, from every row that names it.
#[derive(Debug, Clone, Default)]
pub(crate) struct ResourceCost {
    pub resource_id: String,
    pub sub_account: String,
    pub resource_group: Option<String>,
    pub currency: String,
    pub daily: BTreeMap<NaiveDate, Decimal>,
}

impl ResourceCost {
    /// The resource's cost in the window, scaled to 30 days over the days it existed in it.
    pub fn monthly(&self, window: &Window) -> Decimal {
        let mut first = None;
        let mut sum = Decimal::ZERO;
        for (day, cost) in self.daily.range(window.from..window.to) {
            first.get_or_insert(*day);
            sum = sum.saturating_add(*cost);
        }
        match first {
            Some(first) => per_month(sum, (window.to - first).num_days()),
            None => Decimal::ZERO,
        }
    }
}

/// Returns the sub-account of a resource id: the subscription of an ARM id, the account of an
/// ARN; '' otherwise.
pub fn sub_account_of_resource(resource_id: &str) -> String {
    let row_like = CostRow {
        resource_id: Some(resource_id.to_owned()),
        ..empty_row()
    };
    sub_account_text(&row_like)
}

/// A row with nothing in it, for [`sub_account_of_resource`].
fn empty_row() -> CostRow {
    let epoch = chrono::DateTime::<chrono::Utc>::UNIX_EPOCH;
    CostRow {
        availability_zone: None,
        billed_cost: Decimal::ZERO,
        billing_account_id: String::new(),
        billing_account_name: None,
        billing_currency: String::new(),
        billing_period_end: epoch,
        billing_period_start: epoch,
        charge_category: ChargeCategory::Usage,
        charge_class: None,
        charge_description: None,
        charge_frequency: None,
        charge_period_end: epoch,
        charge_period_start: epoch,
        commitment_discount_category: None,
        commitment_discount_id: None,
        commitment_discount_name: None,
        commitment_discount_status: None,
        commitment_discount_type: None,
        consumed_quantity: None,
        consumed_unit: None,
        contracted_cost: None,
        contracted_unit_price: None,
        effective_cost: Decimal::ZERO,
        invoice_issuer_name: None,
        list_cost: None,
        list_unit_price: None,
        pricing_category: None,
        pricing_quantity: None,
        pricing_unit: None,
        provider_name: None,
        publisher_name: None,
        region_id: None,
        region_name: None,
        resource_id: None,
        resource_name: None,
        resource_type: None,
        service_category: None,
        service_name: None,
        sku_id: None,
        sku_price_id: None,
        sub_account_id: None,
        sub_account_name: None,
        tags: Vec::new(),
        later_focus_columns: Vec::new(),
        x_columns: Vec::new(),
    }
}

/// Gathers what every kind needs from the cost rows, one row at a time.
#[derive(Debug, Default)]
pub struct Collector {
    first_day: Option<NaiveDate>,
    last_day: Option<NaiveDate>,
    resources: HashMap<String, ResourceCost>,
    commitments: commitment::Commitments,
    purchases: purchase::Purchases,
    hybrid_benefit: hybrid_benefit::HybridBenefit,
    schedules: schedule::Schedules,
}

impl Collector {
    /// Adds one cost row.
    pub fn add(&mut self, row: &CostRow) {
        let day = row.charge_period_start.date_naive();
        self.first_day = Some(self.first_day.map_or(day, |d| d.min(day)));
        self.last_day = Some(self.last_day.map_or(day, |d| d.max(day)));
        let sub_account = sub_account_text(row);
        self.commitments.add(row, day, &sub_account);
        if row.charge_category != ChargeCategory::Usage {
            return;
        }
        self.purchases.add(row, day, &sub_account);
        let Some(resource_id) = row
            .resource_id
            .as_deref()
            .filter(|id| !id.trim().is_empty())
        else {
            return;
        };
        let key = resource_id.to_lowercase();
        let resource = self
            .resources
            .entry(key.clone())
            .or_insert_with(|| ResourceCost {
                resource_id: resource_id.to_owned(),
                sub_account: sub_account.clone(),
                resource_group: resource_group_of(resource_id),
                currency: row.billing_currency.clone(),
                daily: BTreeMap::new(),
            });
        if resource.currency == row.billing_currency {
            let cost = resource.daily.entry(day).or_default();
            *cost = cost.saturating_add(row.effective_cost);
        }
        self.hybrid_benefit.add(row, day, &key);
        self.schedules.add(row, day, &key);
    }

    /// The cost window: the last [`WINDOW_DAYS`] days of data present.
    pub fn window(&self) -> Option<Window> {
        let (first, last) = (self.first_day?, self.last_day?);
        let to = last + Duration::days(1);
        Some(Window {
            from: (to - Duration::days(WINDOW_DAYS)).max(first),
            to,
        })
    }

    /// Returns every recommendation, by kind and then largest saving first.
    pub fn finish(self, samples: &[MetricSampleRow]) -> Vec<Recommendation> {
        let mut out = Vec::new();
        let window = self.window();
        if let Some(window) = window {
            out.extend(self.commitments.finish(&window));
            out.extend(self.purchases.finish(&window));
            out.extend(self.hybrid_benefit.finish(&window, &self.resources));
            out.extend(self.schedules.finish(&window, &self.resources));
        }
        out.extend(vm::recommend(samples, &self.resources, window));
        out.sort_by(|a, b| {
            (a.kind, std::cmp::Reverse(a.monthly_saving), &a.id).cmp(&(
                b.kind,
                std::cmp::Reverse(b.monthly_saving),
                &b.id,
            ))
        });
        out
    }
}

/// Whether a recommendation belongs to a scope of `tree`: `/` holds all; a management group
/// the ones of the subscriptions below it (the root group all); a subscription its own; a
/// resource group those of its resources.
pub fn in_scope(tree: &TenantTree, scope: &Scope, recommendation: &Recommendation) -> bool {
    match scope {
        Scope::Root => true,
        Scope::ManagementGroup(g) => {
            let key = g.key();
            key == tree.root_key()
                || crate::query::subscriptions_under(tree, &key)
                    .contains(&recommendation.sub_account)
        }
        Scope::Subscription(s) => s.as_str().eq_ignore_ascii_case(&recommendation.sub_account),
        Scope::ResourceGroup(s, rg) => {
            s.as_str().eq_ignore_ascii_case(&recommendation.sub_account)
                && recommendation
                    .resource_group
                    .as_deref()
                    .is_some_and(|g| g.eq_ignore_ascii_case(rg.as_str()))
        }
        Scope::Resource(_) => scope
            .to_string()
            .eq_ignore_ascii_case(&recommendation.resource_id),
    }
}

/// Why recommendations could not be computed.
#[derive(Debug, thiserror::Error)]
pub enum RecommendError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("read the cost detail")]
    Detail(#[from] leitstand_finops::store::StoreError),
    #[error("the recommendation worker stopped")]
    Worker,
    #[error(transparent)]
    Objects(#[from] crate::objects::ObjectError),
}

/// Computes a tenant's recommendations from its stored cost detail (the loads of the last
/// three billing periods present, read in a blocking task) and its metrics (the last 7 days
/// present).
pub async fn run(
    store: &Store,
    tenant: &str,
    details: &DetailStore,
) -> Result<Vec<Recommendation>, RecommendError> {
    let loads = store.cost_loads(tenant).await?;
    // The window spans at most two billing months; one more allows for late charges.
    let newest = loads.iter().map(|l| l.period.clone()).max();
    let oldest_read = newest.as_deref().and_then(|p| {
        NaiveDate::parse_from_str(&format!("{p}-01"), "%Y-%m-%d")
            .ok()
            .and_then(|d| d.checked_sub_months(chrono::Months::new(2)))
            .map(|d| d.format("%Y-%m").to_string())
    });
    let mut paths: Vec<PathBuf> = Vec::new();
    for load in loads
        .iter()
        .filter(|l| !l.detail_path.is_empty())
        .filter(|l| {
            oldest_read
                .as_deref()
                .is_none_or(|o| l.period.as_str() >= o)
        })
    {
        paths.push(details.fetch(&load.detail_path).await?);
    }
    let samples = match store.latest_metric_sample(tenant).await? {
        Some(latest) => {
            let since = leitstand_store::parse_time(&latest)? - Duration::days(vm::WINDOW_DAYS);
            store
                .metric_samples(tenant, &leitstand_store::format_time(since))
                .await?
        }
        None => Vec::new(),
    };
    tokio::task::spawn_blocking(move || {
        let mut collector = Collector::default();
        for path in &paths {
            let mut reader = ParquetRowReader::open(path)?;
            while let Some(rows) = reader.next_batch()? {
                for row in &rows {
                    collector.add(row);
                }
            }
        }
        Ok(collector.finish(&samples))
    })
    .await
    .map_err(|_| RecommendError::Worker)?
}
