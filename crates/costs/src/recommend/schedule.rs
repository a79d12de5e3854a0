//! Non-production resources running around the clock, with a shutdown schedule.
//!
//! A resource is non-production when its `environment` (or `env`) tag, key compared
//! case-insensitively, is one of [`NON_PRODUCTION`]. Its running hours per day come from its
//! compute usage rows: with hourly charge periods, the hours that have cost; with daily rows,
//! the consumed quantity when it is in hours (capped at 24); otherwise a day with cost counts
//! as 24 hours. It runs around the clock when, over at least [`MIN_DAYS`] days (so a weekend is
//! in them), it ran at least [`ALWAYS_ON_HOURS`] hours a day on average on weekdays and on
//! weekends alike.
//!
//! The suggested schedule is weekdays 07:00–19:00 UTC ([`SCHEDULE_HOURS_PER_WEEK`] hours a
//! week); the saving per 30 days is the resource's compute cost × (1 − schedule hours / hours
//! it runs a week).

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, NaiveDate, Timelike, Weekday};
use leitstand_finops::{CostRow, ServiceCategory};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde_json::json;

use crate::recommend::{per_month, to_f64, Kind, Recommendation, ResourceCost, Window};

/// The `environment` tag values that mean non-production (compared case-insensitively).
pub const NON_PRODUCTION: &[&str] = &[
    "dev",
    "development",
    "test",
    "testing",
    "qa",
    "uat",
    "staging",
    "stage",
    "sandbox",
    "nonprod",
    "non-prod",
    "nonproduction",
    "non-production",
    "demo",
    "lab",
];

/// The tag keys read for the environment.
pub const ENVIRONMENT_KEYS: &[&str] = &["environment", "env"];

/// The average running hours a day, on weekdays and on weekends, above which a resource runs
/// around the clock.
pub const ALWAYS_ON_HOURS: f64 = 22.0;

/// The fewest days of data for a recommendation.
pub const MIN_DAYS: i64 = 7;

/// The suggested schedule: on Monday to Friday, 07:00–19:00 UTC.
pub const SCHEDULE: &str = "Mon-Fri 07:00-19:00 UTC";
pub const SCHEDULE_HOURS_PER_WEEK: f64 = 60.0;

/// Returns the non-production environment of a row's tags, if any.
pub fn environment_of(row: &CostRow) -> Option<String> {
    row.tags
        .iter()
        .find(|(k, _)| ENVIRONMENT_KEYS.iter().any(|e| k.eq_ignore_ascii_case(e)))
        .map(|(_, v)| v.trim().to_owned())
        .filter(|v| NON_PRODUCTION.iter().any(|n| v.eq_ignore_ascii_case(n)))
}

/// The share of hours a schedule of `schedule_hours` a week turns off for a resource that
/// runs `running_hours` a week: 0..1.
pub fn off_share(running_hours: f64, schedule_hours: f64) -> f64 {
    if running_hours <= 0.0 || !running_hours.is_finite() {
        return 0.0;
    }
    (1.0 - schedule_hours / running_hours).clamp(0.0, 1.0)
}

#[derive(Debug, Default, Clone)]
struct Day {
    /// Hours (0..24) with cost, from hourly rows.
    hour_mask: u32,
    /// Consumed hours, from rows whose consumed unit is hours.
    consumed_hours: Decimal,
    hours_unit: bool,
    compute_cost: Decimal,
}

impl Day {
    fn hours(&self) -> f64 {
        if self.hour_mask != 0 {
            f64::from(self.hour_mask.count_ones())
        } else if self.hours_unit {
            self.consumed_hours.to_f64().unwrap_or_default().min(24.0)
        } else if self.compute_cost > Decimal::ZERO {
            24.0
        } else {
            0.0
        }
    }
}

#[derive(Debug, Default)]
struct Resource {
    environment: String,
    days: BTreeMap<NaiveDate, Day>,
}

/// The non-production resources seen in the rows.
#[derive(Debug, Default)]
pub(crate) struct Schedules {
    resources: HashMap<String, Resource>,
}

impl Schedules {
    pub fn add(&mut self, row: &CostRow, day: NaiveDate, resource_key: &str) {
        if !matches!(row.service_category, Some(ServiceCategory::Compute) | None) {
            return;
        }
        let Some(environment) = environment_of(row) else {
            return;
        };
        let resource = self
            .resources
            .entry(resource_key.to_owned())
            .or_insert_with(|| Resource {
                environment,
                days: BTreeMap::new(),
            });
        let entry = resource.days.entry(day).or_default();
        entry.compute_cost = entry.compute_cost.saturating_add(row.effective_cost);
        let length = row.charge_period_end - row.charge_period_start;
        if row.effective_cost > Decimal::ZERO
            && length > chrono::Duration::zero()
            && length <= chrono::Duration::hours(1)
        {
            entry.hour_mask |= 1u32 << row.charge_period_start.hour().min(23);
        } else if let (Some(quantity), Some(unit)) = (row.consumed_quantity, &row.consumed_unit) {
            if unit.to_ascii_lowercase().contains("hour") {
                entry.hours_unit = true;
                entry.consumed_hours = entry.consumed_hours.saturating_add(quantity);
            }
        }
    }

    pub fn finish(
        self,
        window: &Window,
        resources: &HashMap<String, ResourceCost>,
    ) -> Vec<Recommendation> {
        let mut out = Vec::new();
        for (key, resource) in &self.resources {
            let Some(cost_of) = resources.get(key) else {
                continue;
            };
            let Some(first) = resource
                .days
                .range(window.from..window.to)
                .next()
                .map(|(d, _)| *d)
            else {
                continue;
            };
            let span = Window {
                from: first,
                to: window.to,
            };
            if span.days() < MIN_DAYS {
                continue;
            }
            let (mut weekday, mut weekend) = ((0.0, 0u32), (0.0, 0u32));
            let mut compute_cost = Decimal::ZERO;
            for day in span.each_day() {
                let entry = resource.days.get(&day);
                let hours = entry.map(Day::hours).unwrap_or_default();
                compute_cost =
                    compute_cost.saturating_add(entry.map(|e| e.compute_cost).unwrap_or_default());
                let bucket = if matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
                    &mut weekend
                } else {
                    &mut weekday
                };
                bucket.0 += hours;
                bucket.1 += 1;
            }
            let mean = |(sum, n): (f64, u32)| if n > 0 { sum / f64::from(n) } else { 0.0 };
            let (weekday_hours, weekend_hours) = (mean(weekday), mean(weekend));
            if weekend.1 == 0 || weekday_hours < ALWAYS_ON_HOURS || weekend_hours < ALWAYS_ON_HOURS
            {
                continue;
            }
            let weekly_hours = weekday_hours * 5.0 + weekend_hours * 2.0;
            let share = off_share(weekly_hours, SCHEDULE_HOURS_PER_WEEK);
            let monthly = per_month(compute_cost, span.days());
            let saving =
                monthly.saturating_mul(Decimal::from_f64_retain(share).unwrap_or_default());
            let title = format!(
                "Shut down `{}` ({} environment) outside {SCHEDULE}: it runs around the clock",
                cost_of.resource_id, resource.environment
            );
            let evidence = json!({
                "environment": resource.environment,
                "meanWeekdayHours": weekday_hours,
                "meanWeekendHours": weekend_hours,
                "alwaysOnHoursThreshold": ALWAYS_ON_HOURS,
                "runningHoursPerWeek": weekly_hours,
                "schedule": SCHEDULE,
                "scheduleHoursPerWeek": SCHEDULE_HOURS_PER_WEEK,
                "offShare": share,
                "computeCost": to_f64(compute_cost),
                "monthlyComputeCost": to_f64(monthly),
                "window": span.to_json(),
            });
            out.push(Recommendation::new(
                Kind::NonProductionSchedule,
                &cost_of.resource_id,
                &cost_of.sub_account,
                title,
                &cost_of.currency,
                saving,
                evidence,
                cost_of.resource_group.clone(),
            ));
        }
        out
    }
}
