//! A tenant's cost anomalies: detected from its daily cost per sub-account and service
//! ([`crate::anomaly`] does the statistics), and reported once.
//!
//! [`scan`] reads the daily cost of every sub-account (subscription or AWS account, mapped or
//! not) by service and currency and runs the detector over it; each sub-account and currency is
//! one series, its services are the drivers. [`report_new`] runs after every ingest: an anomaly
//! whose id was not reported before is written to `cost_anomalies` with an activity-log event,
//! in one transaction; later ingests that still see it (an ongoing anomaly keeps its id) report
//! nothing, so an anomaly is shown once, not every day.

use std::collections::BTreeMap;

use chrono::{DateTime, Days, NaiveDate, Utc};
use leitstand_core::resource_id::Scope;
use leitstand_store::{CostDim, EventDraft, Granularity, Snapshot, Store};
use serde_json::{json, Value};

use crate::anomaly::{self, Anomaly, DetectOptions};
use crate::query::{self, Grouping, QueryError, ScopeQuery};

/// How many days back [`report_new`] reports anomalies (the baseline looks further back).
pub const REPORT_DAYS: u64 = 14;

/// An anomaly of one sub-account's cost in one currency, driven by services.
pub type CostAnomaly = Anomaly<SeriesKey, String>;

/// What one series is: a sub-account's cost in one currency.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SeriesKey {
    /// A subscription GUID, a 12-digit AWS account id, `other:{id}`, or '' for rows without one.
    pub sub_account: String,
    pub currency: String,
}

impl std::fmt::Display for SeriesKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.sub_account, self.currency)
    }
}

/// Finds the anomalies whose last day is in the `days` days up to `until` (inclusive).
pub async fn scan(
    store: &Store,
    snapshot: &Snapshot,
    until: NaiveDate,
    days: u64,
    options: &DetectOptions,
) -> Result<Vec<CostAnomaly>, QueryError> {
    // The baseline needs `weeks` earlier weeks of the same weekday before the first day shown.
    let lookback = days + 7 * (options.weeks as u64 + 1);
    let from = until.checked_sub_days(Days::new(lookback)).unwrap_or(until);
    let question = ScopeQuery {
        scope: Scope::Root,
        from,
        to: until,
        granularity: Granularity::Daily,
        grouping: vec![
            Grouping::Dim(CostDim::SubAccount),
            Grouping::Dim(CostDim::ServiceName),
            Grouping::Dim(CostDim::Currency),
        ],
        filter: None,
    };
    type Series = BTreeMap<NaiveDate, f64>;
    let mut series: BTreeMap<SeriesKey, Series> = BTreeMap::new();
    let mut drivers: BTreeMap<SeriesKey, BTreeMap<String, Series>> = BTreeMap::new();
    for row in query::run(store, snapshot, &question).await? {
        let Ok(day) = NaiveDate::parse_from_str(&row.bucket, "%Y-%m-%d") else {
            continue;
        };
        let [sub_account, service, currency] =
            [0, 1, 2].map(|i| row.groups.get(i).cloned().unwrap_or_default());
        let key = SeriesKey {
            sub_account,
            currency,
        };
        let value = crate::money::nanos_to_f64(row.sums.billed_nanos);
        *series
            .entry(key.clone())
            .or_default()
            .entry(day)
            .or_default() += value;
        *drivers
            .entry(key)
            .or_default()
            .entry(service)
            .or_default()
            .entry(day)
            .or_default() += value;
    }
    let series: BTreeMap<SeriesKey, anomaly::Daily> = series
        .into_iter()
        .map(|(k, v)| (k, v.into_iter().collect()))
        .collect();
    let drivers: BTreeMap<SeriesKey, anomaly::Breakdown<String>> = drivers
        .into_iter()
        .map(|(k, m)| {
            let m = m
                .into_iter()
                .map(|(d, v)| (d, v.into_iter().collect()))
                .collect();
            (k, m)
        })
        .collect();
    let since = until.checked_sub_days(Days::new(days)).unwrap_or(until);
    Ok(anomaly::detect(&series, &drivers, options)
        .into_iter()
        .filter(|a| a.last_day > since)
        .collect())
}

/// The anomaly as the CLI and the activity log show it.
pub fn to_json(a: &CostAnomaly) -> Value {
    json!({
        "id": a.id.to_string(),
        "subAccount": a.key.sub_account,
        "currency": a.key.currency,
        "direction": format!("{:?}", a.direction),
        "firstDay": a.first_day.to_string(),
        "lastDay": a.last_day.to_string(),
        "ongoing": a.ongoing,
        "expected": a.expected,
        "actual": a.actual,
        "drivers": a.drivers.iter().map(|d| json!({
            "service": d.sub_key, "expected": d.expected, "actual": d.actual, "share": d.share,
        })).collect::<Vec<_>>(),
    })
}

/// The scope an anomaly's event is logged at: the subscription (or AWS account) it belongs to
/// when the hierarchy knows it, else the tenant.
fn event_scope(snapshot: &Snapshot, sub_account: &str) -> String {
    if snapshot.tree.subscription(sub_account).is_some() {
        format!("/subscriptions/{sub_account}")
    } else {
        "/".to_owned()
    }
}

/// Scans the last [`REPORT_DAYS`] days up to the day before `now` and reports the anomalies not
/// reported before, each with an activity-log event, in one transaction. Returns them.
pub async fn report_new(
    store: &Store,
    tenant: &str,
    now: DateTime<Utc>,
    caller: &str,
    correlation_id: &str,
) -> Result<Vec<CostAnomaly>, QueryError> {
    let snapshot = store.snapshot(tenant).await?;
    let until = now
        .date_naive()
        .checked_sub_days(Days::new(1))
        .unwrap_or(now.date_naive());
    let found = scan(
        store,
        &snapshot,
        until,
        REPORT_DAYS,
        &DetectOptions::default(),
    )
    .await?;
    if found.is_empty() {
        return Ok(found);
    }
    let known: std::collections::HashSet<String> = store
        .cost_anomalies(tenant)
        .await?
        .into_iter()
        .map(|a| a.anomaly_id)
        .collect();
    let fresh: Vec<CostAnomaly> = found
        .into_iter()
        .filter(|a| !known.contains(&a.id.to_string()))
        .collect();
    if fresh.is_empty() {
        return Ok(fresh);
    }
    let mut tx = store.begin_write(tenant, now).await?;
    let mut reported = Vec::new();
    for a in fresh {
        let content = to_json(&a);
        let id = a.id.to_string();
        if !tx
            .report_anomaly(&id, &a.key.to_string(), &a.first_day.to_string(), &content)
            .await?
        {
            continue;
        }
        let scope = event_scope(&snapshot, &a.key.sub_account);
        let at = if scope == "/" { "" } else { scope.as_str() };
        let mut event = EventDraft::new(
            "Leitstand.Costs/anomalies/detect/action",
            format!("{at}/providers/Leitstand.Costs/anomalies/{id}"),
            caller.to_owned(),
            correlation_id.to_owned(),
        );
        if scope != "/" {
            event.subscription_id = Some(a.key.sub_account.clone());
        }
        event.after = Some(content);
        tx.append_event(event).await?;
        reported.push(a);
    }
    tx.commit().await?;
    Ok(reported)
}
