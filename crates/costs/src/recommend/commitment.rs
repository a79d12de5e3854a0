//! Commitment utilization: how much of each commitment (reservation, savings plan) was used in
//! the window, from the rows that carry its `CommitmentDiscountId` and
//! `CommitmentDiscountStatus`.
//!
//! Utilization = used / (used + unused), where used is the EffectiveCost of the `Used` rows
//! (the amortized commitment cost that covered usage) and unused the EffectiveCost of the
//! `Unused` rows. A commitment below [`UTILIZATION_TARGET`] is recommended for exchange,
//! resizing or a better scope; its saving is the unused cost per 30 days (what the commitment
//! costs without covering anything). A commitment used not at all is reported as unused.
//! Where the rows carry FOCUS 1.1's `CommitmentDiscountQuantity` and `CommitmentDiscountUnit`,
//! the evidence also gives the utilization by quantity (hours, normalized units).

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use leitstand_finops::{CommitmentDiscountStatus, CostRow};
use rust_decimal::Decimal;
use serde_json::json;

use crate::recommend::{per_month, to_f64, Kind, Recommendation, Window};

/// The utilization below which a commitment is recommended for action.
pub const UTILIZATION_TARGET: f64 = 0.9;

/// Returns used / (used + unused), clamped to 0..=1; `None` when both are zero.
pub fn utilization(used: Decimal, unused: Decimal) -> Option<f64> {
    let used = used.max(Decimal::ZERO);
    let unused = unused.max(Decimal::ZERO);
    let all = used.saturating_add(unused);
    if all.is_zero() {
        return None;
    }
    Some(to_f64(used.checked_div(all)?).clamp(0.0, 1.0))
}

#[derive(Debug, Default)]
struct Commitment {
    id: String,
    name: Option<String>,
    commitment_type: Option<String>,
    category: Option<&'static str>,
    sub_account: String,
    currency: String,
    unit: Option<String>,
    /// Per day: (used, unused) EffectiveCost.
    daily: BTreeMap<NaiveDate, (Decimal, Decimal)>,
    /// Per day: (used, unused) CommitmentDiscountQuantity.
    quantities: BTreeMap<NaiveDate, (Decimal, Decimal)>,
}

/// The commitments seen in the rows.
#[derive(Debug, Default)]
pub(crate) struct Commitments {
    by_id: HashMap<String, Commitment>,
}

impl Commitments {
    pub fn add(&mut self, row: &CostRow, day: NaiveDate, sub_account: &str) {
        let (Some(id), Some(status)) = (
            row.commitment_discount_id
                .as_deref()
                .filter(|id| !id.is_empty()),
            row.commitment_discount_status,
        ) else {
            return;
        };
        let commitment = self
            .by_id
            .entry(id.to_lowercase())
            .or_insert_with(|| Commitment {
                id: id.to_owned(),
                sub_account: sub_account.to_owned(),
                currency: row.billing_currency.clone(),
                ..Commitment::default()
            });
        if commitment.currency != row.billing_currency {
            return;
        }
        if commitment.name.is_none() {
            commitment.name = row.commitment_discount_name.clone();
        }
        if commitment.commitment_type.is_none() {
            commitment.commitment_type = row.commitment_discount_type.clone();
        }
        if commitment.category.is_none() {
            commitment.category = row.commitment_discount_category.map(|c| c.as_str());
        }
        // The unused rows name the sub-account that holds the commitment.
        if status == CommitmentDiscountStatus::Unused && !sub_account.is_empty() {
            commitment.sub_account = sub_account.to_owned();
        }
        let add = |pair: &mut (Decimal, Decimal), amount: Decimal| match status {
            CommitmentDiscountStatus::Used => pair.0 = pair.0.saturating_add(amount),
            CommitmentDiscountStatus::Unused => pair.1 = pair.1.saturating_add(amount),
        };
        add(commitment.daily.entry(day).or_default(), row.effective_cost);
        let quantity = row
            .later_focus_column("CommitmentDiscountQuantity")
            .and_then(|q| q.parse::<Decimal>().ok());
        if let Some(quantity) = quantity {
            add(commitment.quantities.entry(day).or_default(), quantity);
            if commitment.unit.is_none() {
                commitment.unit = row
                    .later_focus_column("CommitmentDiscountUnit")
                    .map(str::to_owned);
            }
        }
    }

    pub fn finish(self, window: &Window) -> Vec<Recommendation> {
        let mut out = Vec::new();
        for commitment in self.by_id.into_values() {
            let mut used = Decimal::ZERO;
            let mut unused = Decimal::ZERO;
            let mut first = None;
            for (day, (u, n)) in commitment.daily.range(window.from..window.to) {
                first.get_or_insert(*day);
                used = used.saturating_add(*u);
                unused = unused.saturating_add(*n);
            }
            let (Some(first), Some(rate)) = (first, utilization(used, unused)) else {
                continue;
            };
            if rate >= UTILIZATION_TARGET {
                continue;
            }
            let (used_quantity, unused_quantity) = commitment
                .quantities
                .range(window.from..window.to)
                .fold((Decimal::ZERO, Decimal::ZERO), |(u, n), (_, (a, b))| {
                    (u.saturating_add(*a), n.saturating_add(*b))
                });
            let quantity_utilization = utilization(used_quantity, unused_quantity);
            let days = (window.to - first).num_days();
            let saving = per_month(unused.max(Decimal::ZERO), days);
            let label = commitment.name.as_deref().unwrap_or(&commitment.id);
            let title = if used <= Decimal::ZERO {
                format!("Commitment `{label}` was not used in the last {days} days: use it or exchange it")
            } else {
                format!(
                    "Commitment `{label}` is {:.1}% used (target {:.0}%): exchange, resize or widen its scope",
                    rate * 100.0,
                    UTILIZATION_TARGET * 100.0
                )
            };
            let evidence = json!({
                "commitmentDiscountId": commitment.id,
                "commitmentDiscountName": commitment.name,
                "commitmentDiscountType": commitment.commitment_type,
                "commitmentDiscountCategory": commitment.category,
                "usedCost": to_f64(used),
                "unusedCost": to_f64(unused),
                "utilization": rate,
                "utilizationTarget": UTILIZATION_TARGET,
                "usedQuantity": quantity_utilization.map(|_| to_f64(used_quantity)),
                "unusedQuantity": quantity_utilization.map(|_| to_f64(unused_quantity)),
                "quantityUnit": commitment.unit,
                "quantityUtilization": quantity_utilization,
                "unused": used <= Decimal::ZERO,
                "days": days,
                "window": window.to_json(),
            });
            out.push(Recommendation::new(
                Kind::CommitmentUtilization,
                &commitment.id,
                &commitment.sub_account,
                title,
                &commitment.currency,
                saving,
                evidence,
                None,
            ));
        }
        out
    }
}
