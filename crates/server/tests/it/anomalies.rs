//! Cost anomalies are found after an ingest and reported once: on the ingest that first sees
//! them (its output and one activity-log event), never again on later ingests.

use chrono::{Datelike, Days, NaiveDate};
use serde_json::Value;

use crate::harness::{Backend, Server};
use crate::on_both_backends;

const HEADER: &str = "BilledCost,BillingAccountId,BillingAccountName,BillingCurrency,BillingPeriodEnd,BillingPeriodStart,ChargeCategory,ChargeClass,ChargeDescription,ChargeFrequency,ChargePeriodEnd,ChargePeriodStart,CommitmentDiscountCategory,CommitmentDiscountId,CommitmentDiscountName,CommitmentDiscountStatus,CommitmentDiscountType,ConsumedQuantity,ConsumedUnit,ContractedCost,ContractedUnitPrice,EffectiveCost,InvoiceIssuerName,ListCost,ListUnitPrice,PricingCategory,PricingQuantity,PricingUnit,ProviderName,PublisherName,RegionId,RegionName,ResourceId,ResourceName,ResourceType,ServiceCategory,ServiceName,SkuId,SkuPriceId,SubAccountId,SubAccountName,Tags,AvailabilityZone";

fn month_start(day: NaiveDate) -> NaiveDate {
    day.with_day(1).unwrap()
}

fn next_month(day: NaiveDate) -> NaiveDate {
    month_start(day)
        .checked_add_months(chrono::Months::new(1))
        .unwrap()
}

/// One FOCUS 1.0 row: a day's usage of one service in one AWS account.
fn row(day: NaiveDate, account: &str, service: &str, cost: f64) -> String {
    let t = |d: NaiveDate| format!("{d} 00:00:00");
    format!(
        "{cost:.2},acme-billing,Acme,USD,{pe},{ps},Usage,,{service} usage,Usage-Based,{ce},{cs},,,,,,24,Hours,{cost:.2},{cost:.2},{cost:.2},AWS,{cost:.2},{cost:.2},Standard,24,Hours,AWS,AWS,eu-central-1,Europe (Frankfurt),arn:aws:ec2:eu-central-1:{account}:instance/i-{service},,,Compute,{service},SKU1,SKU1.P,{account},account {account},,",
        pe = t(next_month(day)),
        ps = t(month_start(day)),
        ce = t(day + Days::new(1)),
        cs = t(day),
    )
}

/// Ten weeks of steady daily cost up to yesterday for two accounts; on the last two days one
/// account's compute quadruples (an anomaly) and the other's rises by 18% (a near miss: below
/// the 25% a departure must also exceed).
fn write_costs(path: &std::path::Path, yesterday: NaiveDate) {
    let mut lines = vec![HEADER.to_owned()];
    for back in (0..70u64).rev() {
        let day = yesterday - Days::new(back);
        let last_two = back < 2;
        lines.push(row(
            day,
            "111122223333",
            "Compute",
            if last_two { 400.0 } else { 100.0 },
        ));
        lines.push(row(day, "111122223333", "Storage", 20.0));
        lines.push(row(
            day,
            "444455556666",
            "Compute",
            if last_two { 118.0 } else { 100.0 },
        ));
    }
    std::fs::write(path, lines.join("\n") + "\n").unwrap();
}

fn detect_events(server: &Server) -> Vec<Value> {
    let out = server.cli_raw(&["audit", "export", "--tenant", &server.tenant]);
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|e| {
            e.to_string()
                .contains("Leitstand.Costs/anomalies/detect/action")
        })
        .collect()
}

async fn anomalies_are_reported_once(backend: Backend) {
    let server = Server::start(backend).await;
    let root = server.tenant.clone();
    server.cli(&[
        "subscription",
        "create",
        "--tenant",
        &root,
        "--display-name",
        "spiky",
        "--id",
        "111122223333",
    ]);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("costs.csv");
    let yesterday = chrono::Utc::now().date_naive() - Days::new(1);
    write_costs(&file, yesterday);

    let first = server.cli_raw(&["cost", "ingest", "--tenant", &root, file.to_str().unwrap()]);
    let said = String::from_utf8_lossy(&first.stderr).to_string();
    assert!(first.status.success(), "{said}");
    let reported: Vec<&str> = said.lines().filter(|l| l.starts_with("anomaly ")).collect();
    assert_eq!(reported.len(), 1, "{said}");
    assert!(reported[0].contains("`111122223333` Spike"), "{said}");
    assert!(
        !said.contains("444455556666"),
        "the near miss is no anomaly: {said}"
    );

    let listed = server.cli(&["cost", "anomalies", "--tenant", &root, "--days", "7"]);
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), 1, "{listed:?}");
    let anomaly = &listed[0];
    assert_eq!(anomaly["subAccount"], "111122223333");
    assert_eq!(anomaly["firstDay"], (yesterday - Days::new(1)).to_string());
    assert_eq!(anomaly["lastDay"], yesterday.to_string());
    assert!(
        (anomaly["actual"].as_f64().unwrap() - 840.0).abs() < 1e-6,
        "{anomaly}"
    );
    assert!(
        (anomaly["expected"].as_f64().unwrap() - 240.0).abs() < 1e-6,
        "{anomaly}"
    );
    assert_eq!(anomaly["drivers"][0]["service"], "Compute", "{anomaly}");
    assert!(anomaly["reportedAt"].is_string(), "{anomaly}");
    let events = detect_events(&server);
    assert_eq!(events.len(), 1, "{events:?}");
    assert!(
        events[0]
            .to_string()
            .contains("/subscriptions/111122223333/providers/Leitstand.Costs/anomalies/"),
        "{events:?}"
    );

    // The same data again: the anomaly is still there, and not reported again.
    let again = server.cli_raw(&["cost", "ingest", "--tenant", &root, file.to_str().unwrap()]);
    let said = String::from_utf8_lossy(&again.stderr).to_string();
    assert!(again.status.success(), "{said}");
    assert!(!said.lines().any(|l| l.starts_with("anomaly ")), "{said}");
    assert_eq!(detect_events(&server).len(), 1);
    let listed_again = server.cli(&["cost", "anomalies", "--tenant", &root, "--days", "7"]);
    assert_eq!(listed_again[0]["reportedAt"], anomaly["reportedAt"]);
}

on_both_backends!(anomalies_are_reported_once);
