//! Savings recommendations as a FinOps team meets them: a month of crafted FOCUS cost and a
//! week of VM metrics ingested with the real CLI, and each kind of recommendation present for
//! its crafted case and absent for its near-miss, through the API at several scopes and
//! through the CLI, with ids that stay the same across runs and re-ingests.

use std::fmt::Write as _;
use std::path::Path;

use reqwest::Method;
use serde_json::Value;

use crate::harness::{Backend, Server};
use crate::on_both_backends;

const SUB: &str = "aaaaaaaa-0000-4000-8000-00000000000a";
const AWS: &str = "123456789012";
const COST_API: &str = "api-version=2025-03-01";

const HEADER: &str = "AvailabilityZone,BilledCost,BillingAccountId,BillingAccountName,BillingCurrency,\
BillingPeriodEnd,BillingPeriodStart,ChargeCategory,ChargeClass,ChargeDescription,ChargeFrequency,\
ChargePeriodEnd,ChargePeriodStart,CommitmentDiscountCategory,CommitmentDiscountId,\
CommitmentDiscountName,CommitmentDiscountStatus,CommitmentDiscountType,ConsumedQuantity,ConsumedUnit,\
ContractedCost,ContractedUnitPrice,EffectiveCost,InvoiceIssuerName,ListCost,ListUnitPrice,\
PricingCategory,PricingQuantity,PricingUnit,ProviderName,PublisherName,RegionId,RegionName,\
ResourceId,ResourceName,ResourceType,ServiceCategory,ServiceName,SkuId,SkuPriceId,SubAccountId,\
SubAccountName,Tags,x_SkuMeterName,x_SkuLicenseType,x_SkuLicenseStatus";

fn vm(group: &str, name: &str) -> String {
    format!("/subscriptions/{SUB}/resourceGroups/{group}/providers/Microsoft.Compute/virtualMachines/{name}")
}

/// One daily usage row of a VM (or, with `aws`, an RDS instance).
#[derive(Clone)]
struct Row {
    resource: String,
    cost: &'static str,
    hours: &'static str,
    sku: &'static str,
    tags: &'static str,
    license: (&'static str, &'static str),
    commitment: Option<(&'static str, &'static str)>,
    aws: bool,
}

impl Row {
    fn vm(resource: String, cost: &'static str, sku: &'static str) -> Row {
        Row {
            resource,
            cost,
            hours: "24",
            sku,
            tags: "",
            license: ("", ""),
            commitment: None,
            aws: false,
        }
    }

    fn line(&self, day: u32) -> String {
        let start = format!("2026-10-{day:02} 00:00:00");
        let end = if day == 31 {
            "2026-11-01 00:00:00".to_owned()
        } else {
            format!("2026-10-{:02} 00:00:00", day + 1)
        };
        let (category, id, name, status, kind, pricing) = match self.commitment {
            Some((id, status)) => ("Usage", id, id, status, "Reservation", "Committed"),
            None => ("", "", "", "", "", "Standard"),
        };
        let (provider, account, sub_account, service, service_category, region) = if self.aws {
            (
                "AWS",
                "aws-payer",
                AWS,
                "Amazon Relational Database Service",
                "Databases",
                "eu-west-1",
            )
        } else {
            (
                "Microsoft",
                "azure-ea",
                SUB,
                "Virtual Machines",
                "Compute",
                "westeurope",
            )
        };
        let tags = if self.tags.is_empty() {
            String::new()
        } else {
            format!("\"{}\"", self.tags.replace('"', "\"\""))
        };
        let commitment_category = if category.is_empty() { "" } else { "Usage" };
        [
            "",
            self.cost,
            account,
            account,
            "EUR",
            "2026-11-01 00:00:00",
            "2026-10-01 00:00:00",
            "Usage",
            "",
            "compute hours",
            "Usage-Based",
            &end,
            &start,
            commitment_category,
            id,
            name,
            status,
            kind,
            self.hours,
            "Hours",
            self.cost,
            "",
            self.cost,
            provider,
            self.cost,
            "",
            pricing,
            self.hours,
            "Hours",
            provider,
            provider,
            region,
            region,
            &self.resource,
            self.resource.rsplit('/').next().unwrap_or_default(),
            "virtualMachines",
            service_category,
            service,
            self.sku,
            self.sku,
            sub_account,
            sub_account,
            &tags,
            self.sku,
            self.license.0,
            self.license.1,
        ]
        .join(",")
    }
}

/// The month of cost: every crafted case and its near-miss.
fn cost_rows() -> Vec<(Row, Vec<u32>)> {
    let every_day: Vec<u32> = (1..=30).collect();
    let mut rows = Vec::new();
    let app = |name: &str| vm("rg-app", name);
    // Commitments at 60% and at 95% utilization.
    for (id, used, unused) in [("ri-60", "6", "4"), ("ri-95", "9.5", "0.5")] {
        for (status, cost) in [("Used", used), ("Unused", unused)] {
            let mut row = Row::vm(app("covered"), cost, "F2s v2");
            row.commitment = Some((id, status));
            rows.push((row, every_day.clone()));
        }
    }
    // Steady on-demand usage of one SKU, and usage of another with a day off.
    rows.push((Row::vm(app("steady"), "2", "D4s v3"), every_day.clone()));
    rows.push((
        Row::vm(app("bursty"), "2", "E2s v3"),
        every_day.iter().copied().filter(|d| *d != 17).collect(),
    ));
    // Amazon RDS, every day.
    let mut rds = Row::vm(
        format!("arn:aws:rds:eu-west-1:{AWS}:db:orders"),
        "10",
        "db.r6g.large",
    );
    rds.aws = true;
    rows.push((rds, every_day.clone()));
    // Windows without and with Azure Hybrid Benefit.
    let mut payg = Row::vm(app("win-payg"), "4", "D2 v3 A");
    payg.license = ("Windows Server", "Not Enabled");
    rows.push((payg, every_day.clone()));
    let mut ahb = Row::vm(app("win-ahb"), "2", "D2 v3 B");
    ahb.license = ("Windows Server", "Enabled");
    rows.push((ahb, every_day.clone()));
    // Dev VMs around the clock and 12 hours a day.
    let mut always = Row::vm(vm("rg-dev", "dev-24x7"), "2.4", "B2ms A");
    always.tags = r#"{"Environment": "Dev"}"#;
    rows.push((always, every_day.clone()));
    let mut half = Row::vm(vm("rg-dev", "dev-12h"), "1.2", "B2ms B");
    half.tags = r#"{"environment": "dev"}"#;
    half.hours = "12";
    rows.push((half, every_day.clone()));
    // The VMs the metrics describe.
    for name in ["idle", "near-idle", "small", "busy"] {
        rows.push((
            Row::vm(app(name), "3", "D8s v5"),
            (1..=30).filter(|d| d % 7 != 3).collect(),
        ));
    }
    rows
}

/// A week of hourly samples of one VM, ending 2026-10-31.
fn metrics_of(out: &mut String, resource: &str, max_cpu: f64, avg_cpu: f64, available_memory: f64) {
    for hour in 0..7 * 24 {
        let at = chrono::NaiveDate::from_ymd_opt(2026, 10, 24)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap()
            + chrono::Duration::hours(hour);
        let at = at.format("%Y-%m-%dT%H:%M:%SZ");
        // A quarter of the samples peak at `max_cpu`: it is the P95.
        let peak = if hour % 4 == 0 {
            max_cpu
        } else {
            max_cpu / 2.0
        };
        writeln!(out, "{resource},Percentage CPU,{at},{peak},Maximum").unwrap();
        writeln!(out, "{resource},Percentage CPU,{at},{avg_cpu},Average").unwrap();
        writeln!(out, "{resource},Network Out Total,{at},1000000,Total").unwrap();
        writeln!(
            out,
            "{resource},Available Memory Percentage,{at},{available_memory},"
        )
        .unwrap();
    }
    writeln!(
        out,
        "{resource},Expected Network Bandwidth,2026-10-30T23:00:00Z,1000,Average"
    )
    .unwrap();
}

fn write_inputs(dir: &Path) -> (String, String) {
    let mut cost = String::from(HEADER);
    cost.push('\n');
    for (row, days) in cost_rows() {
        for day in days {
            cost.push_str(&row.line(day));
            cost.push('\n');
        }
    }
    let cost_file = dir.join("october.csv");
    std::fs::write(&cost_file, cost).unwrap();
    let mut metrics = String::from("resource_id,metric,timestamp,value,aggregation\n");
    let app = |name: &str| vm("rg-app", name);
    metrics_of(&mut metrics, &app("idle"), 2.5, 1.0, 90.0);
    metrics_of(&mut metrics, &app("near-idle"), 3.5, 1.0, 90.0);
    metrics_of(&mut metrics, &app("small"), 15.0, 8.0, 80.0);
    metrics_of(&mut metrics, &app("busy"), 25.0, 12.0, 80.0);
    let metrics_file = dir.join("metrics.csv");
    std::fs::write(&metrics_file, metrics).unwrap();
    (
        cost_file.display().to_string(),
        metrics_file.display().to_string(),
    )
}

async fn list(server: &Server, scope: &str) -> Vec<Value> {
    let path = format!("{scope}/providers/Leitstand.Costs/recommendations?{COST_API}");
    let (status, body) = server.call(Method::GET, &path, None).await;
    assert_eq!(status.as_u16(), 200, "{path}: {body}");
    body["value"].as_array().unwrap().clone()
}

/// The recommendation of `kind` about a resource whose id ends with `suffix`.
fn find<'v>(recs: &'v [Value], kind: &str, suffix: &str) -> Option<&'v Value> {
    recs.iter().find(|r| {
        r["properties"]["kind"] == kind
            && r["properties"]["resourceId"]
                .as_str()
                .unwrap()
                .to_lowercase()
                .ends_with(&suffix.to_lowercase())
    })
}

fn saving(rec: &Value) -> f64 {
    rec["properties"]["monthlySavings"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap()
}

async fn each_kind_appears_for_its_case_and_not_its_near_miss(backend: Backend) {
    let server = Server::start(backend).await;
    let tenant = server.tenant.clone();
    for (name, id) in [("azure", SUB), ("aws", AWS)] {
        server.cli(&[
            "subscription",
            "create",
            "--tenant",
            &tenant,
            "--display-name",
            name,
            "--id",
            id,
        ]);
    }
    let dir = tempfile::tempdir().unwrap();
    let (cost_file, metrics_file) = write_inputs(dir.path());
    server.cli(&["cost", "ingest", "--tenant", &tenant, &cost_file]);

    // A bad metrics file names file, row and column, and ingests nothing.
    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        format!(
            "resource_id,metric,timestamp,value\n{},Percentage CPU,2026-10-30T00:00:00Z,250\n",
            vm("rg-app", "idle")
        ),
    )
    .unwrap();
    let refused = server.cli_raw(&[
        "metrics",
        "ingest",
        "--tenant",
        &tenant,
        bad.to_str().unwrap(),
    ]);
    assert!(!refused.status.success());
    let why = String::from_utf8_lossy(&refused.stderr);
    assert!(
        why.contains("bad.csv") && why.contains("row 1") && why.contains("`value`"),
        "{why}"
    );
    let before_metrics = list(&server, "").await;
    assert!(before_metrics.iter().all(|r| !r["properties"]["kind"]
        .as_str()
        .unwrap()
        .ends_with("VirtualMachine")));

    let first = server.cli(&["metrics", "ingest", "--tenant", &tenant, &metrics_file]);
    assert_eq!(first["resources"], 4, "{first}");
    // Re-ingesting the same samples replaces them.
    let again = server.cli(&["metrics", "ingest", "--tenant", &tenant, &metrics_file]);
    assert_eq!(again["samples"], first["samples"]);

    let all = list(&server, "").await;
    let kinds: Vec<String> = all
        .iter()
        .map(|r| {
            format!(
                "{} {}",
                r["properties"]["kind"], r["properties"]["resourceId"]
            )
        })
        .collect();

    // Commitments: 60% used is reported with 4 EUR a day unused; 95% is not.
    let low = find(&all, "CommitmentUtilization", "ri-60").unwrap_or_else(|| panic!("{kinds:#?}"));
    assert_eq!(low["properties"]["evidence"]["utilization"], 0.6);
    assert_eq!(saving(low), 120.0);
    assert_eq!(low["properties"]["currency"], "EUR");
    assert!(
        find(&all, "CommitmentUtilization", "ri-95").is_none(),
        "{kinds:#?}"
    );

    // Purchases: the steady SKU and RDS, not the SKU with a day off.
    let purchases: Vec<&Value> = all
        .iter()
        .filter(|r| r["properties"]["kind"] == "CommitmentPurchase")
        .collect();
    let sku_of = |r: &Value| {
        r["properties"]["evidence"]["sku"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let steady = purchases
        .iter()
        .find(|r| sku_of(r) == "D4s v3")
        .unwrap_or_else(|| panic!("{kinds:#?}"));
    // 2 EUR a day, 30 days, the default 30% (no covered rows of the SKU).
    assert_eq!(saving(steady), 18.0);
    assert_eq!(
        steady["properties"]["evidence"]["minimumDailyOnDemandCost"],
        2.0
    );
    assert!(
        purchases.iter().all(|r| sku_of(r) != "E2s v3"),
        "{kinds:#?}"
    );
    let rds = purchases
        .iter()
        .find(|r| sku_of(r) == "db.r6g.large")
        .unwrap_or_else(|| panic!("{kinds:#?}"));
    assert_eq!(
        rds["properties"]["evidence"]["commitmentType"],
        "Reserved DB Instance"
    );
    assert_eq!(saving(rds), 90.0);

    // Azure Hybrid Benefit: the pay-as-you-go Windows VM, not the one that has it.
    let payg = find(&all, "HybridBenefit", "/win-payg").unwrap_or_else(|| panic!("{kinds:#?}"));
    assert_eq!(saving(payg), 48.0, "4 EUR a day × 30 × 40% license share");
    assert!(find(&all, "HybridBenefit", "/win-ahb").is_none());

    // Non-production: the dev VM around the clock, not the one 12 hours a day.
    let schedule =
        find(&all, "NonProductionSchedule", "/dev-24x7").unwrap_or_else(|| panic!("{kinds:#?}"));
    let want = 72.0 * 108.0 / 168.0;
    assert!((saving(schedule) - want).abs() < 1e-6, "{schedule}");
    assert_eq!(
        schedule["properties"]["evidence"]["schedule"],
        "Mon-Fri 07:00-19:00 UTC"
    );
    assert!(find(&all, "NonProductionSchedule", "/dev-12h").is_none());

    // Idle: P95 of maximum CPU 2.5%, not 3.5%; resize: P95 15%, not 25%.
    let idle = find(&all, "IdleVirtualMachine", "/idle").unwrap_or_else(|| panic!("{kinds:#?}"));
    assert_eq!(idle["properties"]["evidence"]["p95MaxCpu"], 2.5);
    // A week of hourly samples, ingested twice, counted once.
    assert_eq!(idle["properties"]["evidence"]["maxCpuSamples"], 7 * 24);
    assert!(saving(idle) > 0.0);
    assert!(
        find(&all, "IdleVirtualMachine", "/near-idle").is_none(),
        "{kinds:#?}"
    );
    let small =
        find(&all, "RightsizeVirtualMachine", "/small").unwrap_or_else(|| panic!("{kinds:#?}"));
    assert_eq!(small["properties"]["evidence"]["p95Cpu"], 15.0);
    assert!((saving(small) - saving(idle) / 2.0).abs() < 1e-6);
    assert!(
        find(&all, "RightsizeVirtualMachine", "/busy").is_none(),
        "{kinds:#?}"
    );

    // Scopes: the AWS account sees only its RDS purchase; the dev resource group its schedule.
    let aws = list(&server, &format!("/subscriptions/{AWS}")).await;
    assert_eq!(aws.len(), 1, "{aws:#?}");
    let dev = list(
        &server,
        &format!("/subscriptions/{SUB}/resourceGroups/rg-dev"),
    )
    .await;
    assert_eq!(dev.len(), 1, "{dev:#?}");
    assert_eq!(dev[0]["properties"]["kind"], "NonProductionSchedule");
    let azure = list(&server, &format!("/subscriptions/{SUB}")).await;
    assert_eq!(azure.len() + aws.len(), all.len());
    let root_group = list(
        &server,
        &format!("/providers/Microsoft.Management/managementGroups/{tenant}"),
    )
    .await;
    assert_eq!(root_group.len(), all.len());

    // Stable ids: the same after a re-ingest of the cost file.
    server.cli(&["cost", "ingest", "--tenant", &tenant, &cost_file]);
    let ids = |recs: &[Value]| {
        let mut ids: Vec<String> = recs
            .iter()
            .map(|r| r["name"].as_str().unwrap().to_owned())
            .collect();
        ids.sort();
        ids
    };
    assert_eq!(ids(&list(&server, "").await), ids(&all));

    // The CLI answers the same.
    let cli = server.cli(&[
        "cost",
        "recommendations",
        "--tenant",
        &tenant,
        "--scope",
        &format!("/subscriptions/{AWS}"),
    ]);
    assert_eq!(cli.as_array().unwrap().len(), 1);
    assert_eq!(cli[0]["id"], aws[0]["name"]);
}

on_both_backends!(each_kind_appears_for_its_case_and_not_its_near_miss);
