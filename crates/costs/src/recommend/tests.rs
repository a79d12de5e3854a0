//! Recommendation tests: each kind for a crafted case and not for its near-miss, and the
//! properties of the shared arithmetic (utilization within 0..=1, savings never negative).

use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use leitstand_finops::{
    ChargeCategory, CommitmentDiscountStatus, CostRow, PricingCategory, ServiceCategory,
};
use leitstand_store::MetricSampleRow;
use proptest::prelude::*;
use rust_decimal::Decimal;

use crate::recommend::commitment::utilization;
use crate::recommend::schedule::off_share;
use crate::recommend::{empty_row, percentile, Collector, Kind, Recommendation};

const SUB: &str = "00000000-0000-0000-0000-00000000000a";

fn vm(name: &str) -> String {
    format!("/subscriptions/{SUB}/resourceGroups/rg1/providers/Microsoft.Compute/virtualMachines/{name}")
}

fn day(n: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 10, 1, 0, 0, 0).unwrap() + Duration::days(n)
}

fn d(text: &str) -> Decimal {
    text.parse().unwrap()
}

/// A daily Azure compute usage row of `resource` on day `n`.
fn usage(resource: &str, n: i64, cost: &str) -> CostRow {
    CostRow {
        billing_account_id: "ba".into(),
        billing_currency: "EUR".into(),
        billed_cost: d(cost),
        effective_cost: d(cost),
        list_cost: Some(d(cost)),
        charge_category: ChargeCategory::Usage,
        charge_period_start: day(n),
        charge_period_end: day(n + 1),
        billing_period_start: day(0),
        billing_period_end: day(31),
        pricing_category: Some(PricingCategory::Standard),
        provider_name: Some("Microsoft".into()),
        service_category: Some(ServiceCategory::Compute),
        service_name: Some("Virtual Machines".into()),
        region_id: Some("westeurope".into()),
        resource_id: Some(resource.into()),
        sub_account_id: Some(SUB.into()),
        consumed_quantity: Some(d("24")),
        consumed_unit: Some("Hours".into()),
        x_columns: vec![(Arc::from("x_SkuMeterName"), "D2s v3".to_owned())],
        ..empty_row()
    }
}

fn with_x(mut row: CostRow, name: &str, value: &str) -> CostRow {
    row.x_columns.push((Arc::from(name), value.to_owned()));
    row.x_columns.sort();
    row
}

fn run(rows: &[CostRow], samples: &[MetricSampleRow]) -> Vec<Recommendation> {
    let mut collector = Collector::default();
    for row in rows {
        collector.add(row);
    }
    collector.finish(samples)
}

fn of_kind<'r>(
    recs: &'r [Recommendation],
    kind: Kind,
    resource: &str,
) -> Option<&'r Recommendation> {
    recs.iter()
        .find(|r| r.kind == kind && r.resource_id.eq_ignore_ascii_case(resource))
}

#[test]
fn commitments_below_the_target_are_reported_with_their_unused_cost() {
    let mut rows = Vec::new();
    for n in 0..30 {
        for (id, used, unused) in [("ri-60", "6", "4"), ("ri-95", "9.5", "0.5")] {
            for (status, cost) in [
                (CommitmentDiscountStatus::Used, used),
                (CommitmentDiscountStatus::Unused, unused),
            ] {
                let mut row = usage(&vm("covered"), n, cost);
                row.commitment_discount_id = Some(id.into());
                row.commitment_discount_status = Some(status);
                row.pricing_category = Some(PricingCategory::Committed);
                // FOCUS 1.1+: 24 hours a day, split like the cost.
                let hours = (d(cost) * d("2.4")).to_string();
                row.later_focus_columns = vec![
                    ("CommitmentDiscountQuantity", hours),
                    ("CommitmentDiscountUnit", "Hours".to_owned()),
                ];
                rows.push(row);
            }
        }
    }
    let recs = run(&rows, &[]);
    let low = of_kind(&recs, Kind::CommitmentUtilization, "ri-60").expect("60% is reported");
    assert_eq!(low.evidence["utilization"], 0.6);
    assert_eq!(low.evidence["quantityUtilization"], 0.6);
    assert_eq!(low.evidence["quantityUnit"], "Hours");
    assert_eq!(low.monthly_saving, d("120"), "4 a day unused, 30 days");
    assert!(of_kind(&recs, Kind::CommitmentUtilization, "ri-95").is_none());
}

#[test]
fn steady_on_demand_usage_gets_a_purchase_and_gaps_do_not() {
    let mut rows: Vec<CostRow> = (0..30).map(|n| usage(&vm("steady"), n, "2")).collect();
    // Covered usage of the same SKU at 40% off gives the discount.
    let mut covered = usage(&vm("covered"), 3, "6");
    covered.list_cost = Some(d("10"));
    covered.commitment_discount_id = Some("ri".into());
    covered.commitment_discount_status = Some(CommitmentDiscountStatus::Used);
    covered.pricing_category = Some(PricingCategory::Committed);
    rows.push(covered);
    let recs = run(&rows, &[]);
    let purchase = recs
        .iter()
        .find(|r| r.kind == Kind::CommitmentPurchase)
        .expect("a purchase");
    assert_eq!(purchase.evidence["discountSource"], "data");
    assert_eq!(purchase.monthly_saving, d("24"), "2 a day × 30 × 40%");

    // The same usage with a day off is not steady: the level is zero.
    let gappy: Vec<CostRow> = (0..30)
        .filter(|n| *n != 17)
        .map(|n| usage(&vm("gappy"), n, "2"))
        .collect();
    assert!(run(&gappy, &[])
        .iter()
        .all(|r| r.kind != Kind::CommitmentPurchase));
}

#[test]
fn rds_gets_a_reserved_db_instance_at_the_default_discount() {
    let rows: Vec<CostRow> = (0..14)
        .map(|n| {
            let mut row = usage("arn:aws:rds:eu-west-1:123456789012:db:orders", n, "10");
            row.provider_name = Some("AWS".into());
            row.sub_account_id = Some("123456789012".into());
            row.service_name = Some("Amazon Relational Database Service".into());
            row.service_category = Some(ServiceCategory::Databases);
            row
        })
        .collect();
    let recs = run(&rows, &[]);
    let rds = recs
        .iter()
        .find(|r| r.kind == Kind::CommitmentPurchase)
        .expect("a purchase");
    assert_eq!(rds.evidence["commitmentType"], "Reserved DB Instance");
    assert_eq!(rds.evidence["discountSource"], "default");
    assert_eq!(rds.monthly_saving, d("90"), "10 a day × 30 × 30%");
    assert_eq!(rds.sub_account, "123456789012");
}

#[test]
fn windows_without_hybrid_benefit_is_a_candidate_and_with_it_is_not() {
    let mut rows = Vec::new();
    for n in 0..30 {
        rows.push(with_x(
            with_x(
                usage(&vm("win-payg"), n, "4"),
                "x_SkuLicenseType",
                "Windows Server",
            ),
            "x_SkuLicenseStatus",
            "Not Enabled",
        ));
        rows.push(with_x(
            with_x(
                usage(&vm("win-ahb"), n, "2"),
                "x_SkuLicenseType",
                "Windows Server",
            ),
            "x_SkuLicenseStatus",
            "Enabled",
        ));
        rows.push(usage(&vm("linux"), n, "2"));
    }
    let recs = run(&rows, &[]);
    let candidate = of_kind(&recs, Kind::HybridBenefit, &vm("win-payg")).expect("a candidate");
    assert_eq!(candidate.evidence["licenseShareSource"], "default");
    assert_eq!(candidate.evidence["licenseStatus"], "Not Enabled");
    assert_eq!(candidate.monthly_saving, d("48"), "4 a day × 30 × 40%");
    assert!(of_kind(&recs, Kind::HybridBenefit, &vm("win-ahb")).is_none());
    assert!(of_kind(&recs, Kind::HybridBenefit, &vm("linux")).is_none());
}

#[test]
fn dev_vms_running_around_the_clock_get_a_schedule_and_half_day_ones_do_not() {
    let mut rows = Vec::new();
    for n in 0..14 {
        let mut always = usage(&vm("dev-24x7"), n, "2.4");
        always.tags = vec![("Environment".into(), "Dev".into())];
        rows.push(always);
        let mut half = usage(&vm("dev-12h"), n, "1.2");
        half.consumed_quantity = Some(d("12"));
        half.tags = vec![("environment".into(), "dev".into())];
        rows.push(half);
        let mut prod = usage(&vm("prod"), n, "2.4");
        prod.tags = vec![("environment".into(), "prod".into())];
        rows.push(prod);
    }
    let recs = run(&rows, &[]);
    let schedule =
        of_kind(&recs, Kind::NonProductionSchedule, &vm("dev-24x7")).expect("a schedule");
    // 72 a month, 108 of 168 hours off.
    let want = d("72") * d("108") / d("168");
    assert!(
        (schedule.monthly_saving - want).abs() < d("0.000001"),
        "{}",
        schedule.monthly_saving
    );
    assert!(of_kind(&recs, Kind::NonProductionSchedule, &vm("dev-12h")).is_none());
    assert!(of_kind(&recs, Kind::NonProductionSchedule, &vm("prod")).is_none());
}

#[test]
fn hourly_rows_count_the_hours_with_cost() {
    let mut rows = Vec::new();
    for n in 0..8 {
        for hour in 0..24 {
            let mut row = usage(&vm("hourly"), n, "0.1");
            row.charge_period_start = day(n) + Duration::hours(hour);
            row.charge_period_end = row.charge_period_start + Duration::hours(1);
            row.consumed_quantity = Some(d("1"));
            row.tags = vec![("env".into(), "test".into())];
            rows.push(row);
        }
    }
    let recs = run(&rows, &[]);
    let schedule = of_kind(&recs, Kind::NonProductionSchedule, &vm("hourly")).expect("a schedule");
    assert_eq!(schedule.evidence["meanWeekendHours"], 24.0);
}

fn samples(
    resource: &str,
    metric: &str,
    aggregation: &str,
    hours: i64,
    value: impl Fn(i64) -> f64,
) -> Vec<MetricSampleRow> {
    (0..hours)
        .map(|h| MetricSampleRow {
            resource_id: resource.into(),
            metric: metric.into(),
            aggregation: aggregation.into(),
            sampled_at: leitstand_store::format_time(day(23) + Duration::hours(h)),
            value: value(h),
        })
        .collect()
}

/// A week of hourly samples: maximum CPU, average CPU, network out and bandwidth, memory.
fn vm_metrics(
    resource: &str,
    max_cpu: f64,
    avg_cpu: f64,
    bytes_per_hour: f64,
    available_memory: f64,
) -> Vec<MetricSampleRow> {
    let hours = 7 * 24;
    let mut out = Vec::new();
    // Every twentieth sample peaks at `max_cpu`; the rest are lower.
    out.extend(samples(resource, "Percentage CPU", "Maximum", hours, |h| {
        if h % 4 == 0 {
            max_cpu
        } else {
            max_cpu / 2.0
        }
    }));
    out.extend(samples(
        resource,
        "Percentage CPU",
        "Average",
        hours,
        |_| avg_cpu,
    ));
    out.extend(samples(
        resource,
        "Network Out Total",
        "Total",
        hours,
        |_| bytes_per_hour,
    ));
    out.extend(samples(
        resource,
        "Expected Network Bandwidth",
        "Average",
        1,
        |_| 1000.0,
    ));
    out.extend(samples(
        resource,
        "Available Memory Percentage",
        "Average",
        hours,
        |_| available_memory,
    ));
    out
}

#[test]
fn idle_and_oversized_vms_follow_advisor_thresholds() {
    let rows: Vec<CostRow> = ["idle", "busy-ish", "small", "busy"]
        .iter()
        .flat_map(|name| (0..30).map(move |n| usage(&vm(name), n, "3")))
        .collect();
    let mut metrics = Vec::new();
    metrics.extend(vm_metrics(&vm("idle"), 2.5, 1.0, 1e6, 90.0));
    // Near-miss: P95 of maximum CPU 3.5%.
    metrics.extend(vm_metrics(&vm("busy-ish"), 3.5, 1.0, 1e6, 90.0));
    metrics.extend(vm_metrics(&vm("small"), 15.0, 8.0, 1e9, 80.0));
    metrics.extend(vm_metrics(&vm("busy"), 25.0, 12.0, 1e9, 80.0));
    let recs = run(&rows, &metrics);
    let idle = of_kind(&recs, Kind::IdleVirtualMachine, &vm("idle")).expect("idle");
    assert_eq!(idle.monthly_saving, d("90"));
    assert_eq!(idle.evidence["p95MaxCpu"], 2.5);
    assert!(of_kind(&recs, Kind::IdleVirtualMachine, &vm("busy-ish")).is_none());
    let resize = of_kind(&recs, Kind::RightsizeVirtualMachine, &vm("small")).expect("resize");
    assert_eq!(resize.monthly_saving, d("45"));
    assert!(of_kind(&recs, Kind::RightsizeVirtualMachine, &vm("busy")).is_none());
    assert!(of_kind(&recs, Kind::IdleVirtualMachine, &vm("small")).is_none());
}

#[test]
fn ids_are_stable_and_depend_on_kind_and_resource() {
    let a = super::stable_id(Kind::HybridBenefit, &vm("x"));
    assert_eq!(
        a,
        super::stable_id(Kind::HybridBenefit, &vm("x").to_uppercase())
    );
    assert_ne!(a, super::stable_id(Kind::IdleVirtualMachine, &vm("x")));
    assert_eq!(a.len(), 16);
}

#[test]
fn percentile_is_nearest_rank() {
    let values: Vec<f64> = (1..=100).map(f64::from).collect();
    assert_eq!(percentile(&values, 95.0), Some(95.0));
    assert_eq!(percentile(&values, 100.0), Some(100.0));
    assert_eq!(percentile(&[], 95.0), None);
}

proptest! {
    #[test]
    fn utilization_is_a_share(used in -1_000_000i64..1_000_000, unused in -1_000_000i64..1_000_000) {
        if let Some(u) = utilization(Decimal::new(used, 2), Decimal::new(unused, 2)) {
            prop_assert!((0.0..=1.0).contains(&u));
        }
    }

    #[test]
    fn off_share_is_a_share(running in -500.0f64..500.0, schedule in 0.0f64..200.0) {
        let share = off_share(running, schedule);
        prop_assert!((0.0..=1.0).contains(&share));
    }

    #[test]
    fn savings_are_never_negative(costs in proptest::collection::vec(-1000i64..1000, 8..40)) {
        let mut rows = Vec::new();
        for (n, cost) in costs.iter().enumerate() {
            let n = i64::try_from(n).unwrap();
            let cost = Decimal::new(*cost, 1).to_string();
            let mut row = usage(&vm("any"), n, &cost);
            row.tags = vec![("environment".into(), "dev".into())];
            rows.push(with_x(row.clone(), "x_SkuLicenseStatus", "Not Enabled"));
            let mut unused = usage(&vm("any"), n, &cost);
            unused.commitment_discount_id = Some("ri".into());
            unused.commitment_discount_status = Some(if n % 2 == 0 {
                CommitmentDiscountStatus::Used
            } else {
                CommitmentDiscountStatus::Unused
            });
            rows.push(unused);
        }
        for rec in run(&rows, &[]) {
            prop_assert!(rec.monthly_saving >= Decimal::ZERO, "{rec:?}");
        }
    }
}
