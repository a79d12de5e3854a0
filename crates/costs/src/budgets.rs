//! Budgets: their rules (Azure's `Microsoft.Consumption/budgets` shape) and their evaluation.
//!
//! A budget tracks the actual cost (BilledCost) of its scope, filtered by dimensions or tags,
//! per period (month, quarter or year, counted from its start date). Each notification compares
//! the period's actual cost, or its forecast at the period's end, with a percentage of the
//! amount. [`evaluate`] runs after every ingest: a notification that holds fires once per
//! period; the alert, its activity-log event and its messages (e-mail, webhook) are written in
//! one transaction, and a server delivers the messages from the outbox.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};
use leitstand_core::resource_id::Scope;
use leitstand_store::{BudgetRow, CostFilter, EventDraft, Granularity, Store, StoreError};
use serde_json::{json, Value};

use crate::filter::{parse_filter, FilterError};
use crate::money::from_nanos;
use crate::query::{self, QueryError, ScopeQuery};

/// The most notifications of each kind (actual, forecasted) a budget may have.
pub const MAX_NOTIFICATIONS_PER_KIND: usize = 5;

/// A budget's period length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeGrain {
    Monthly,
    Quarterly,
    Annually,
}

impl TimeGrain {
    fn months(self) -> u32 {
        match self {
            TimeGrain::Monthly => 1,
            TimeGrain::Quarterly => 3,
            TimeGrain::Annually => 12,
        }
    }

    /// Parses Azure's names (the `Billing…` ones as their calendar twins).
    pub fn parse(text: &str) -> Option<TimeGrain> {
        Some(match text.to_ascii_lowercase().as_str() {
            "monthly" | "billingmonth" => TimeGrain::Monthly,
            "quarterly" | "billingquarter" => TimeGrain::Quarterly,
            "annually" | "billingannual" => TimeGrain::Annually,
            _ => return None,
        })
    }
}

/// What a notification compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThresholdType {
    Actual,
    Forecasted,
}

/// How a notification compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    EqualTo,
    GreaterThan,
    GreaterThanOrEqualTo,
}

/// One notification of a budget.
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    pub name: String,
    pub enabled: bool,
    pub operator: Operator,
    /// Percent of the amount, 0 to 1000.
    pub threshold: f64,
    pub threshold_type: ThresholdType,
    pub contact_emails: Vec<String>,
    /// Leitstand's extension: URLs that receive the alert as JSON, HMAC-signed.
    pub contact_webhooks: Vec<String>,
}

/// A budget's rules, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct BudgetSpec {
    pub amount: f64,
    pub time_grain: TimeGrain,
    pub start: NaiveDate,
    /// Exclusive.
    pub end: NaiveDate,
    pub filter: Option<CostFilter>,
    pub notifications: Vec<Notification>,
}

fn bad(message: impl Into<String>, at: &str) -> FilterError {
    FilterError {
        message: message.into(),
        at: at.to_owned(),
    }
}

fn lookup<'v>(value: &'v Value, key: &str) -> Option<&'v Value> {
    value
        .as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v)
        .filter(|v| !v.is_null())
}

fn date(value: Option<&Value>, at: &str) -> Result<Option<NaiveDate>, FilterError> {
    let Some(value) = value else { return Ok(None) };
    let text = value
        .as_str()
        .ok_or_else(|| bad("must be a date-time string", at))?;
    let day = text.get(..10).unwrap_or(text);
    NaiveDate::parse_from_str(day, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| {
            bad(
                format!("`{text}` is not a date-time (2026-01-01T00:00:00Z)"),
                at,
            )
        })
}

fn strings(value: Option<&Value>, at: &str) -> Result<Vec<String>, FilterError> {
    match value {
        None => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, v)| {
                v.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| bad("must be a string", &format!("{at}[{i}]")))
            })
            .collect(),
        Some(_) => Err(bad("must be an array of strings", at)),
    }
}

/// Checks a budget's `properties` (the paths in errors start at `properties`).
pub fn parse(properties: &Value) -> Result<BudgetSpec, FilterError> {
    let at = |p: &str| format!("properties.{p}");
    let category = lookup(properties, "category")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("`category` is required (Cost)", &at("category")))?;
    if !category.eq_ignore_ascii_case("Cost") {
        return Err(bad(
            format!("the category `{category}` is not supported; use Cost"),
            &at("category"),
        ));
    }
    let amount = lookup(properties, "amount")
        .and_then(Value::as_f64)
        .ok_or_else(|| bad("`amount` is required: a number", &at("amount")))?;
    if !(amount > 0.0 && amount.is_finite()) {
        return Err(bad("`amount` must be greater than 0", &at("amount")));
    }
    let grain_text = lookup(properties, "timeGrain")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("`timeGrain` is required", &at("timeGrain")))?;
    let time_grain = TimeGrain::parse(grain_text).ok_or_else(|| {
        bad(
            format!("the time grain `{grain_text}` is not supported; use Monthly, Quarterly or Annually"),
            &at("timeGrain"),
        )
    })?;
    let period = lookup(properties, "timePeriod")
        .ok_or_else(|| bad("`timePeriod` is required", &at("timePeriod")))?;
    let start = date(lookup(period, "startDate"), &at("timePeriod.startDate"))?
        .ok_or_else(|| bad("`startDate` is required", &at("timePeriod.startDate")))?;
    if start.day() != 1 {
        return Err(bad(
            "the start date must be the first day of a month",
            &at("timePeriod.startDate"),
        ));
    }
    let end = match date(lookup(period, "endDate"), &at("timePeriod.endDate"))? {
        Some(end) if end <= start => {
            return Err(bad(
                "the end date must be after the start date",
                &at("timePeriod.endDate"),
            ))
        }
        Some(end) => end,
        // Azure's default: ten years.
        None => start
            .checked_add_months(Months::new(120))
            .unwrap_or(NaiveDate::MAX),
    };
    let filter = match lookup(properties, "filter") {
        Some(f) if f.as_object().is_some_and(|o| o.is_empty()) => None,
        Some(f) => Some(parse_filter(f, &at("filter"))?),
        None => None,
    };
    let mut notifications = Vec::new();
    if let Some(list) = lookup(properties, "notifications") {
        let Value::Object(map) = list else {
            return Err(bad(
                "`notifications` must be an object",
                &at("notifications"),
            ));
        };
        for (name, n) in map {
            let here = at(&format!("notifications.{name}"));
            let enabled = lookup(n, "enabled")
                .and_then(Value::as_bool)
                .unwrap_or(true);
            let operator = match lookup(n, "operator").and_then(Value::as_str) {
                Some(o) if o.eq_ignore_ascii_case("EqualTo") => Operator::EqualTo,
                Some(o) if o.eq_ignore_ascii_case("GreaterThan") => Operator::GreaterThan,
                Some(o) if o.eq_ignore_ascii_case("GreaterThanOrEqualTo") => {
                    Operator::GreaterThanOrEqualTo
                }
                _ => {
                    return Err(bad(
                        "`operator` must be EqualTo, GreaterThan or GreaterThanOrEqualTo",
                        &format!("{here}.operator"),
                    ))
                }
            };
            let threshold = lookup(n, "threshold")
                .and_then(Value::as_f64)
                .filter(|t| (0.0..=1000.0).contains(t))
                .ok_or_else(|| {
                    bad(
                        "`threshold` must be a percentage from 0 to 1000",
                        &format!("{here}.threshold"),
                    )
                })?;
            let threshold_type = match lookup(n, "thresholdType").and_then(Value::as_str) {
                None => ThresholdType::Actual,
                Some(t) if t.eq_ignore_ascii_case("Actual") => ThresholdType::Actual,
                Some(t) if t.eq_ignore_ascii_case("Forecasted") => ThresholdType::Forecasted,
                Some(t) => {
                    return Err(bad(
                        format!(
                            "the threshold type `{t}` is not supported; use Actual or Forecasted"
                        ),
                        &format!("{here}.thresholdType"),
                    ))
                }
            };
            let contact_emails =
                strings(lookup(n, "contactEmails"), &format!("{here}.contactEmails"))?;
            for (i, e) in contact_emails.iter().enumerate() {
                if !e.contains('@') || e.contains(char::is_whitespace) {
                    return Err(bad(
                        format!("`{e}` is not an e-mail address"),
                        &format!("{here}.contactEmails[{i}]"),
                    ));
                }
            }
            let contact_webhooks = strings(
                lookup(n, "contactWebhooks"),
                &format!("{here}.contactWebhooks"),
            )?;
            for (i, u) in contact_webhooks.iter().enumerate() {
                if !(u.starts_with("https://") || u.starts_with("http://")) {
                    return Err(bad(
                        format!("`{u}` is not an http(s) URL"),
                        &format!("{here}.contactWebhooks[{i}]"),
                    ));
                }
            }
            if contact_emails.is_empty() && contact_webhooks.is_empty() {
                return Err(bad(
                    "a notification needs at least one contact e-mail (or webhook)",
                    &format!("{here}.contactEmails"),
                ));
            }
            notifications.push(Notification {
                name: name.clone(),
                enabled,
                operator,
                threshold,
                threshold_type,
                contact_emails,
                contact_webhooks,
            });
        }
    }
    for kind in [ThresholdType::Actual, ThresholdType::Forecasted] {
        if notifications
            .iter()
            .filter(|n| n.threshold_type == kind)
            .count()
            > MAX_NOTIFICATIONS_PER_KIND
        {
            return Err(bad(
                format!(
                    "a budget has at most {MAX_NOTIFICATIONS_PER_KIND} {} notifications",
                    if kind == ThresholdType::Actual {
                        "actual"
                    } else {
                        "forecasted"
                    }
                ),
                &at("notifications"),
            ));
        }
    }
    Ok(BudgetSpec {
        amount,
        time_grain,
        start,
        end,
        filter,
        notifications,
    })
}

/// Returns the budget period that contains `day` (first day, exclusive end), if any.
pub fn period_of(spec: &BudgetSpec, day: NaiveDate) -> Option<(NaiveDate, NaiveDate)> {
    if day < spec.start || day >= spec.end {
        return None;
    }
    let months_since =
        (day.year() - spec.start.year()) * 12 + day.month() as i32 - spec.start.month() as i32;
    let step = spec.time_grain.months() as i32;
    let index = u32::try_from(months_since / step).ok()?;
    let first = spec
        .start
        .checked_add_months(Months::new(index * spec.time_grain.months()))?;
    let next = first.checked_add_months(Months::new(spec.time_grain.months()))?;
    Some((first, next.min(spec.end)))
}

/// Tells whether a notification holds for a value (percent of the amount).
pub fn holds(n: &Notification, percent: f64) -> bool {
    match n.operator {
        Operator::EqualTo => (percent - n.threshold).abs() < 1e-9,
        Operator::GreaterThan => percent > n.threshold,
        Operator::GreaterThanOrEqualTo => percent >= n.threshold,
    }
}

/// A budget's spend in its current period.
#[derive(Debug, Clone, PartialEq)]
pub struct Spend {
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    /// None when the period has cost in more than one currency (never added up).
    pub currency: Option<String>,
    pub actual: f64,
    /// The period's actual cost plus the predicted rest.
    pub forecast: f64,
    /// Currencies seen, when more than one.
    pub currencies: Vec<String>,
}

/// Computes a budget's spend for the period containing `today`.
pub async fn spend(
    store: &Store,
    snapshot: &leitstand_store::Snapshot,
    scope: &Scope,
    spec: &BudgetSpec,
    today: NaiveDate,
) -> Result<Option<Spend>, QueryError> {
    let Some((first, next)) = period_of(spec, today) else {
        return Ok(None);
    };
    let question = ScopeQuery {
        scope: scope.clone(),
        from: first,
        to: next.pred_opt().unwrap_or(next),
        granularity: Granularity::Daily,
        grouping: Vec::new(),
        filter: spec.filter.clone(),
    };
    let rows = query::run(store, snapshot, &question).await?;
    let mut by_currency: BTreeMap<String, BTreeMap<NaiveDate, f64>> = BTreeMap::new();
    for row in rows {
        let Ok(day) = NaiveDate::parse_from_str(&row.bucket, "%Y-%m-%d") else {
            continue;
        };
        let amount = from_nanos(row.sums.billed_nanos)
            .to_string()
            .parse::<f64>()
            .unwrap_or(0.0);
        *by_currency
            .entry(row.currency)
            .or_default()
            .entry(day)
            .or_insert(0.0) += amount;
    }
    let currencies: Vec<String> = by_currency.keys().cloned().collect();
    if currencies.len() > 1 {
        return Ok(Some(Spend {
            period_start: first,
            period_end: next,
            currency: None,
            actual: 0.0,
            forecast: 0.0,
            currencies,
        }));
    }
    let (currency, daily) = by_currency.into_iter().next().unwrap_or_default();
    let actual: f64 = daily.values().sum();
    let series: Vec<(NaiveDate, f64)> = daily.into_iter().collect();
    let forecast = forecast_period_end(&series, first, next, today, actual);
    Ok(Some(Spend {
        period_start: first,
        period_end: next,
        currency: (!currency.is_empty()).then_some(currency),
        actual,
        forecast,
        currencies,
    }))
}

/// The period's cost at its end: what is known, plus the rest predicted. A monthly period
/// uses the month-end forecast of [`crate::forecast`]; longer ones the last 28 days' run rate.
fn forecast_period_end(
    series: &[(NaiveDate, f64)],
    first: NaiveDate,
    next: NaiveDate,
    today: NaiveDate,
    actual: f64,
) -> f64 {
    let remaining_days = (next - today).num_days().max(0);
    if remaining_days == 0 {
        return actual;
    }
    if next == first.checked_add_months(Months::new(1)).unwrap_or(next) {
        let f = crate::forecast::forecast(series, today, 0.9);
        // The forecast counts the days before `today` as known; later days already in the
        // data (exports run ahead of the clock in tests) are known too.
        let later_known: f64 = series
            .iter()
            .filter(|(d, _)| *d >= today)
            .map(|(_, v)| v)
            .sum();
        return (f.month_end + later_known).max(actual);
    }
    let window_start = today - chrono::Duration::days(28);
    let recent: f64 = series
        .iter()
        .filter(|(d, _)| *d >= window_start && *d < today)
        .map(|(_, v)| v)
        .sum();
    actual + recent / 28.0 * remaining_days as f64
}

/// An alert that fired.
#[derive(Debug, Clone, PartialEq)]
pub struct Fired {
    pub scope: String,
    pub budget: String,
    pub notification: String,
    pub period_start: NaiveDate,
    pub content: Value,
}

/// Evaluates every budget of a tenant at `now`; records each notification that holds and has
/// not fired in this period, with its event and messages, in one transaction.
pub async fn evaluate(
    store: &Store,
    tenant: &str,
    now: DateTime<Utc>,
    caller: &str,
    correlation_id: &str,
) -> Result<Vec<Fired>, StoreError> {
    let budgets = store.budgets(tenant).await?;
    if budgets.is_empty() {
        return Ok(Vec::new());
    }
    let snapshot = store.snapshot(tenant).await?;
    let today = now.date_naive();
    let mut decided: Vec<(BudgetRow, Notification, Spend, f64, f64)> = Vec::new();
    for budget in budgets {
        let Ok(spec) = parse(&budget.properties) else {
            tracing::warn!(budget = %budget.name, scope = %budget.scope, "a stored budget no longer parses; skipped");
            continue;
        };
        let Ok(scope) = Scope::parse(&budget.scope) else {
            continue;
        };
        let spend = match spend(store, &snapshot, &scope, &spec, today).await {
            Ok(Some(spend)) => spend,
            Ok(None) => continue,
            Err(QueryError::Store(e)) => return Err(e),
            Err(e) => {
                tracing::warn!(budget = %budget.name, error = %e, "budget not evaluated");
                continue;
            }
        };
        if spend.currency.is_none() && spend.currencies.len() > 1 {
            tracing::warn!(budget = %budget.name, currencies = ?spend.currencies, "budget scope has cost in several currencies; not evaluated");
            continue;
        }
        for n in &spec.notifications {
            if !n.enabled {
                continue;
            }
            let value = match n.threshold_type {
                ThresholdType::Actual => spend.actual,
                ThresholdType::Forecasted => spend.forecast,
            };
            let percent = value / spec.amount * 100.0;
            if holds(n, percent) {
                decided.push((budget.clone(), n.clone(), spend.clone(), value, percent));
            }
        }
    }
    if decided.is_empty() {
        return Ok(Vec::new());
    }
    let mut tx = store.begin_write(tenant, now).await?;
    let mut fired = Vec::new();
    for (budget, n, spend, value, percent) in decided {
        let period_start = spend.period_start.format("%Y-%m-%d").to_string();
        let amount = parse(&budget.properties).map(|s| s.amount).unwrap_or(0.0);
        let content = json!({
            "budget": budget.name,
            "scope": budget.scope,
            "notification": n.name,
            "thresholdType": match n.threshold_type { ThresholdType::Actual => "Actual", ThresholdType::Forecasted => "Forecasted" },
            "threshold": n.threshold,
            "amount": amount,
            "currency": spend.currency,
            "value": value,
            "percentOfBudget": percent,
            "periodStart": period_start,
            "periodEnd": spend.period_end.format("%Y-%m-%d").to_string(),
            "actualSpend": spend.actual,
            "forecastSpend": spend.forecast,
        });
        if !tx
            .record_budget_alert(
                &budget.scope,
                &budget.name,
                &period_start,
                &n.name,
                &content,
            )
            .await?
        {
            continue;
        }
        let at = if budget.scope == "/" {
            ""
        } else {
            budget.scope.as_str()
        };
        let budget_id = format!(
            "{at}/providers/Microsoft.Consumption/budgets/{}",
            budget.name
        );
        let mut event = EventDraft::new(
            "Microsoft.Consumption/budgets/alert/action",
            budget_id.clone(),
            caller.to_owned(),
            correlation_id.to_owned(),
        );
        event.after = Some(content.clone());
        tx.append_event(event).await?;
        let subject = format!(
            "Budget {} reached {:.0}% ({} {:.2} of {:.2}) - {}",
            budget.name,
            percent,
            if n.threshold_type == ThresholdType::Actual {
                "actual"
            } else {
                "forecast"
            },
            value,
            amount,
            budget.scope
        );
        for email in &n.contact_emails {
            tx.enqueue("email", email, &subject, &content).await?;
        }
        for url in &n.contact_webhooks {
            tx.enqueue("webhook", url, &subject, &content).await?;
        }
        fired.push(Fired {
            scope: budget.scope.clone(),
            budget: budget.name.clone(),
            notification: n.name.clone(),
            period_start: spend.period_start,
            content,
        });
    }
    tx.commit().await?;
    Ok(fired)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(grain: &str) -> BudgetSpec {
        parse(&json!({
            "category": "Cost", "amount": 100, "timeGrain": grain,
            "timePeriod": { "startDate": "2026-02-01T00:00:00Z", "endDate": "2027-02-01T00:00:00Z" },
            "notifications": {
                "actual80": { "enabled": true, "operator": "GreaterThan", "threshold": 80, "contactEmails": ["a@example.com"] },
                "forecast100": { "enabled": true, "operator": "GreaterThanOrEqualTo", "threshold": 100, "thresholdType": "Forecasted", "contactEmails": ["a@example.com"] },
            },
        }))
        .unwrap_or_else(|e| panic!("{e}"))
    }

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or(NaiveDate::MIN)
    }

    #[test]
    fn periods_follow_the_start_date_and_grain() {
        let m = spec("Monthly");
        assert_eq!(
            period_of(&m, day("2026-03-15")),
            Some((day("2026-03-01"), day("2026-04-01")))
        );
        assert_eq!(period_of(&m, day("2026-01-31")), None);
        let q = spec("Quarterly");
        assert_eq!(
            period_of(&q, day("2026-04-30")),
            Some((day("2026-02-01"), day("2026-05-01")))
        );
        assert_eq!(
            period_of(&q, day("2026-05-01")),
            Some((day("2026-05-01"), day("2026-08-01")))
        );
        let a = spec("Annually");
        assert_eq!(
            period_of(&a, day("2027-01-31")),
            Some((day("2026-02-01"), day("2027-02-01")))
        );
        assert_eq!(
            period_of(&a, day("2027-02-01")),
            None,
            "the end date is exclusive"
        );
    }

    #[test]
    fn bad_budgets_name_the_offending_path() {
        let e = parse(
            &json!({ "category": "Cost", "amount": 10, "timeGrain": "Monthly",
            "timePeriod": { "startDate": "2026-02-03T00:00:00Z" } }),
        )
        .err();
        assert_eq!(
            e.map(|e| e.at),
            Some("properties.timePeriod.startDate".to_owned())
        );
        let e = parse(&json!({ "category": "Cost", "amount": 10, "timeGrain": "Monthly",
            "timePeriod": { "startDate": "2026-02-01T00:00:00Z" },
            "notifications": { "n": { "operator": "GreaterThan", "threshold": 1200, "contactEmails": ["a@b.c"] } } }))
        .err();
        assert_eq!(
            e.map(|e| e.at),
            Some("properties.notifications.n.threshold".to_owned())
        );
        let many: serde_json::Map<String, Value> = (0..6)
            .map(|i| (format!("n{i}"), json!({ "operator": "GreaterThan", "threshold": 10 * i, "contactEmails": ["a@b.c"] })))
            .collect();
        let e = parse(
            &json!({ "category": "Cost", "amount": 10, "timeGrain": "Monthly",
            "timePeriod": { "startDate": "2026-02-01T00:00:00Z" }, "notifications": many }),
        )
        .err();
        assert_eq!(e.map(|e| e.at), Some("properties.notifications".to_owned()));
    }

    #[test]
    fn operators_compare_percentages() {
        let s = spec("Monthly");
        let gt = s
            .notifications
            .iter()
            .find(|n| n.name == "actual80")
            .cloned();
        let gt = gt.unwrap_or_else(|| panic!("no actual80"));
        assert!(!holds(&gt, 80.0));
        assert!(holds(&gt, 80.01));
        let ge = s
            .notifications
            .iter()
            .find(|n| n.name == "forecast100")
            .cloned();
        let ge = ge.unwrap_or_else(|| panic!("no forecast100"));
        assert!(holds(&ge, 100.0));
        assert!(!holds(&ge, 99.99));
    }
}
