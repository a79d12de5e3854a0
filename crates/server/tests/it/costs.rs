//! Cost data as an MSP's FinOps team meets it: the FOCUS sample and the providers' exports
//! ingested with the CLI, totals that match a hand-checked sum at every level of the hierarchy,
//! re-ingest that replaces instead of doubling, bad files and killed ingests that change
//! nothing, and the cost query in Azure's shape, checked per scope like every other call.

use std::path::{Path, PathBuf};

use reqwest::Method;
use serde_json::{json, Value};

use crate::harness::{assert_arm_error, mg, Backend, Server};

/// A management group's scope id.
fn gs(id: &str) -> String {
    format!("/providers/Microsoft.Management/managementGroups/{id}")
}
use crate::on_both_backends;

/// The FOCUS 1.0 sample's sums, by hand (Python's `decimal` over the CSV): BilledCost of all
/// 1,000 rows, EffectiveCost, and BilledCost of three of its sub-accounts.
const SAMPLE_BILLED: f64 = 20.52022672899;
const SAMPLE_EFFECTIVE: f64 = 14.97651418586;
/// AWS account `11353890204` (a spreadsheet dropped its leading zero: `011353890204`).
const AWS_PROD: &str = "011353890204";
const AWS_PROD_BILLED: f64 = 13.6164825497;
const AWS_SHARED: &str = "018938484842";
const AWS_SHARED_BILLED: f64 = 1.3408546746;
const AZURE_SUB: &str = "ed570627-0265-4620-bb42-bae06bcfa914";
const AZURE_SUB_BILLED: f64 = 1.58088;

const COST_API: &str = "api-version=2025-03-01";

fn focus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/focus")
}

fn sample() -> String {
    focus_dir()
        .join("focus_1.0_sample_1000rows.csv")
        .display()
        .to_string()
}

/// Asserts two amounts agree to a millionth (the API answers JSON numbers).
fn close(got: &Value, want: f64, what: &str) {
    let got = got
        .as_f64()
        .unwrap_or_else(|| panic!("{what}: not a number: {got}"));
    assert!((got - want).abs() < 1e-6, "{what}: got {got}, want {want}");
}

async fn group(server: &Server, id: &str, parent: &str) {
    let (status, body) = server
        .call(
            Method::PUT,
            &mg(id),
            Some(
                json!({ "properties": { "displayName": id, "details": { "parent": {
                    "id": format!("/providers/Microsoft.Management/managementGroups/{parent}")
                }}}}),
            ),
        )
        .await;
    assert_eq!(status.as_u16(), 200, "create group {id}: {body}");
}

fn subscription(server: &Server, id: &str, group: &str) {
    server.cli(&[
        "subscription",
        "create",
        "--tenant",
        &server.tenant,
        "--display-name",
        id,
        "--id",
        id,
        "--management-group",
        group,
    ]);
}

async fn query(server: &Server, token: &str, scope: &str, body: Value) -> (u16, Value) {
    let path = format!(
        "{}/providers/Microsoft.CostManagement/query?{COST_API}",
        if scope == "/" { "" } else { scope }
    );
    let (status, value) = server.call_as(token, Method::POST, &path, Some(body)).await;
    (status.as_u16(), value)
}

/// A query over the sample's months, grouped as asked.
fn question(kind: &str, granularity: Option<&str>, grouping: Value) -> Value {
    let mut dataset = json!({
        "aggregation": { "totalCost": { "name": "Cost", "function": "Sum" } },
        "grouping": grouping,
    });
    if let Some(g) = granularity {
        dataset["granularity"] = json!(g);
    }
    json!({
        "type": kind,
        "timeframe": "Custom",
        "timePeriod": { "from": "2024-08-01T00:00:00Z", "to": "2024-10-31T00:00:00Z" },
        "dataset": dataset,
    })
}

/// Sums the first column of an answer's rows.
fn total(answer: &Value) -> f64 {
    answer["properties"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r[0].as_f64().unwrap())
        .sum()
}

fn loads(server: &Server) -> Value {
    server.cli(&["cost", "loads", "--tenant", &server.tenant])
}

fn billed_of_loads(loads: &Value) -> f64 {
    loads
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            l["totals"]["USD"]["billedCost"]
                .as_str()
                .unwrap()
                .parse::<f64>()
                .unwrap()
        })
        .sum()
}

async fn the_sample_rolls_up_over_the_hierarchy(backend: Backend) {
    let server = Server::start(backend).await;
    let root = server.tenant.clone();
    group(&server, "aws", &root).await;
    group(&server, "aws-prod", "aws").await;
    subscription(&server, AWS_PROD, "aws-prod");
    subscription(&server, AWS_SHARED, "aws");
    subscription(&server, AZURE_SUB, &root);

    let out = server.cli_raw(&["cost", "ingest", "--tenant", &root, &sample()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The sample spells `Usage-Based` as `Usage-based` and leaves ContractedCost null in 7
    // rows: read anyway, and said.
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("only in case"), "{stderr}");
    let first = loads(&server);
    assert_eq!(first.as_array().unwrap().len(), 4, "{first}");
    assert!((billed_of_loads(&first) - SAMPLE_BILLED).abs() < 1e-9);

    let token = server.token.clone();
    // The whole customer, actual and amortized.
    let (status, answer) = query(
        &server,
        &token,
        "/",
        question("ActualCost", None, json!([])),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["type"], "Microsoft.CostManagement/query");
    assert_eq!(answer["properties"]["columns"][0]["name"], "Cost");
    assert_eq!(answer["properties"]["rows"].as_array().unwrap().len(), 1);
    close(
        &answer["properties"]["rows"][0][0],
        SAMPLE_BILLED,
        "tenant total",
    );
    assert_eq!(answer["properties"]["rows"][0][1], "USD");
    let (_, amortized) = query(
        &server,
        &token,
        "/",
        question("AmortizedCost", None, json!([])),
    )
    .await;
    close(
        &amortized["properties"]["rows"][0][0],
        SAMPLE_EFFECTIVE,
        "amortized total",
    );
    // The root group holds the same: mapped and unmapped sub-accounts.
    let (_, at_root) = query(
        &server,
        &token,
        &gs(&root),
        question("ActualCost", None, json!([])),
    )
    .await;
    close(
        &at_root["properties"]["rows"][0][0],
        SAMPLE_BILLED,
        "root group total",
    );

    // Each level: a group is the sum of what is below it.
    let (_, prod) = query(
        &server,
        &token,
        &gs("aws-prod"),
        question("ActualCost", None, json!([])),
    )
    .await;
    close(
        &prod["properties"]["rows"][0][0],
        AWS_PROD_BILLED,
        "aws-prod",
    );
    let (_, aws) = query(
        &server,
        &token,
        &gs("aws"),
        question("ActualCost", None, json!([])),
    )
    .await;
    close(
        &aws["properties"]["rows"][0][0],
        AWS_PROD_BILLED + AWS_SHARED_BILLED,
        "aws",
    );
    let (_, azure) = query(
        &server,
        &token,
        &format!("/subscriptions/{AZURE_SUB}"),
        question("ActualCost", None, json!([])),
    )
    .await;
    close(
        &azure["properties"]["rows"][0][0],
        AZURE_SUB_BILLED,
        "azure subscription",
    );

    // By child scope: the children of `aws` are `aws-prod` and the shared account; the root's
    // children add up to the customer's total, unmapped accounts included.
    let (_, children) = query(
        &server,
        &token,
        &gs("aws"),
        question(
            "ActualCost",
            None,
            json!([{ "type": "Dimension", "name": "ChildScope" }]),
        ),
    )
    .await;
    let rows = children["properties"]["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "{children}");
    let by_child = |id: &str| {
        rows.iter()
            .find(|r| r[1].as_str().unwrap().eq_ignore_ascii_case(id))
            .unwrap_or_else(|| panic!("no row for {id}: {children}"))[0]
            .clone()
    };
    close(
        &by_child(&gs("aws-prod")),
        AWS_PROD_BILLED,
        "child aws-prod",
    );
    close(
        &by_child(&format!("/subscriptions/{AWS_SHARED}")),
        AWS_SHARED_BILLED,
        "child shared",
    );
    let (_, root_children) = query(
        &server,
        &token,
        "/",
        question(
            "ActualCost",
            None,
            json!([{ "type": "Dimension", "name": "ChildScope" }]),
        ),
    )
    .await;
    assert!((total(&root_children) - SAMPLE_BILLED).abs() < 1e-6);
    assert!(root_children["properties"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r[1] == "(unmapped)"));

    // By day, by service category, by tag: each partitions the total.
    for grouping in [
        json!([]),
        json!([{ "type": "Dimension", "name": "ServiceCategory" }]),
        json!([{ "type": "TagKey", "name": "env" }]),
        json!([{ "type": "Dimension", "name": "SubscriptionId" }, { "type": "Dimension", "name": "ChargeType" }]),
    ] {
        let (status, by_day) = query(
            &server,
            &token,
            "/",
            question("ActualCost", Some("Daily"), grouping.clone()),
        )
        .await;
        assert_eq!(status, 200, "{by_day}");
        assert!(
            (total(&by_day) - SAMPLE_BILLED).abs() < 1e-6,
            "daily rows grouped by {grouping} add up to {}",
            total(&by_day)
        );
        let day = &by_day["properties"]["rows"][0][1];
        assert!(
            day.as_i64()
                .is_some_and(|d| (20240801..=20241031).contains(&d)),
            "{day}"
        );
    }
    let (_, monthly) = query(
        &server,
        &token,
        "/",
        question("ActualCost", Some("Monthly"), json!([])),
    )
    .await;
    let months: Vec<&str> = monthly["properties"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r[1].as_str().unwrap())
        .collect();
    assert_eq!(months, ["2024-09-01T00:00:00", "2024-10-01T00:00:00"]);

    // The accounts the hierarchy does not know are listed, with their cost.
    let unmapped = server.cli(&["cost", "unmapped", "--tenant", &root]);
    let listed: Vec<&str> = unmapped
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["subAccount"].as_str().unwrap())
        .collect();
    assert!(
        !listed.contains(&AWS_PROD)
            && !listed.contains(&AWS_SHARED)
            && !listed.contains(&AZURE_SUB),
        "{unmapped}"
    );
    let unmapped_billed: f64 = unmapped
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["billedCost"].as_str().unwrap().parse::<f64>().unwrap())
        .sum();
    assert!(
        (unmapped_billed + AWS_PROD_BILLED + AWS_SHARED_BILLED + AZURE_SUB_BILLED - SAMPLE_BILLED)
            .abs()
            < 1e-6
    );

    // Re-ingesting the same periods replaces them: nothing doubles, and the old detail
    // files are gone.
    let again = server.cli(&["cost", "ingest", "--tenant", &root, &sample()]);
    assert!(
        again
            .as_array()
            .unwrap()
            .iter()
            .all(|l| l["replaced"] == true),
        "{again}"
    );
    let (_, after) = query(
        &server,
        &token,
        "/",
        question("ActualCost", None, json!([])),
    )
    .await;
    close(
        &after["properties"]["rows"][0][0],
        SAMPLE_BILLED,
        "total after re-ingest",
    );
    let detail_files = parquet_files(&server.data.join("costs"));
    assert_eq!(detail_files.len(), 4, "{detail_files:?}");

    // A bad value anywhere ingests nothing, and says where.
    let before = loads(&server);
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.csv");
    let text = std::fs::read_to_string(sample()).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let header: Vec<&str> = lines[0].split(',').collect();
    let billed_at = header
        .iter()
        .position(|c| c.trim_matches('"') == "BilledCost")
        .unwrap();
    let mut fields: Vec<String> = lines[5].split(',').map(str::to_owned).collect();
    fields[billed_at] = "twelve".into();
    lines[5] = fields.join(",");
    std::fs::write(&bad, lines.join("\n")).unwrap();
    let refused = server.cli_raw(&["cost", "ingest", "--tenant", &root, bad.to_str().unwrap()]);
    assert!(!refused.status.success());
    let why = String::from_utf8_lossy(&refused.stderr);
    assert!(
        why.contains("bad.csv")
            && why.contains("row 5")
            && why.contains("`BilledCost`")
            && why.contains("twelve"),
        "{why}"
    );
    assert_eq!(loads(&server), before);
    assert_eq!(parquet_files(&server.data.join("costs")).len(), 4);

    // A tagging rule at the customer's root: the cost without `Application` is reported with
    // its share and its sources (Python: BilledCost of the rows without the key, 0.27416448666).
    let rule = format!("/providers/Leitstand.Costs/tagRules/Application?{COST_API}");
    let (status, created) = server.call(Method::PUT, &rule, None).await;
    assert_eq!(status.as_u16(), 201, "{created}");
    let (status, _) = server.call(Method::PUT, &rule, None).await;
    assert_eq!(status.as_u16(), 200, "an existing rule is kept");
    let (status, report) = server
        .call(
            Method::GET,
            &format!("{}/providers/Leitstand.Costs/tagCompliance?{COST_API}&from=2024-08-01&to=2024-10-31", gs("aws")),
            None,
        )
        .await;
    assert_eq!(status.as_u16(), 200, "{report}");
    let (status, whole) = server
        .call(
            Method::GET,
            &format!(
                "/providers/Leitstand.Costs/tagCompliance?{COST_API}&from=2024-08-01&to=2024-10-31"
            ),
            None,
        )
        .await;
    assert_eq!(status.as_u16(), 200, "{whole}");
    let costs = &whole["value"][0]["costs"][0];
    close(&costs["cost"], SAMPLE_BILLED, "cost under the rule");
    close(
        &costs["untaggedCost"],
        0.27416448666,
        "cost without Application",
    );
    assert!(!whole["value"][0]["untaggedSources"]
        .as_array()
        .unwrap()
        .is_empty());
    assert_eq!(
        report["value"][0]["scope"].as_str().unwrap().to_lowercase(),
        gs("aws").to_lowercase()
    );

    // Chargeback for September 2024: 8% markup, Compute 12%, Storage 5% off, 250 USD fee; the
    // statement's cost is the month's ingested BilledCost (Python: 20.28029... → 20.28).
    let sheet = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        sheet.path(),
        r#"{"markupPercent": {"Compute": 12, "Storage": -5, "*": 8}, "managementFee": 250, "feeCurrency": "USD"}"#,
    )
    .unwrap();
    let statement = server.cli(&[
        "cost",
        "chargeback",
        "--tenant",
        &root,
        "--month",
        "2024-09",
        "--price-sheet",
        sheet.path().to_str().unwrap(),
    ]);
    let lines = statement.as_array().unwrap();
    let total = lines.iter().find(|l| l["item"] == "Total").unwrap();
    assert_eq!(total["cost"], "20.28", "{statement}");
    assert_eq!(total["ingestedTotal"], "20.28");
    assert_eq!(total["reconciles"], true);
    let sum = |field: &str| -> f64 {
        lines
            .iter()
            .filter(|l| l["item"] != "Total")
            .map(|l| l[field].as_str().unwrap().parse::<f64>().unwrap())
            .sum()
    };
    assert!(
        (sum("charge") - total["charge"].as_str().unwrap().parse::<f64>().unwrap()).abs() < 1e-9
    );
    assert!((sum("cost") - 20.28).abs() < 1e-9);
    let compute = lines.iter().find(|l| l["item"] == "Compute").unwrap();
    assert_eq!(compute["markupPercent"], "12");
    // The customer's price sheet, once stored, is the one chargeback uses.
    let month = [
        "cost",
        "chargeback",
        "--tenant",
        &root,
        "--month",
        "2024-09",
    ];
    let unset = server.cli_raw(&month);
    assert!(!unset.status.success());
    assert!(String::from_utf8_lossy(&unset.stderr).contains("no price sheet"));
    let bad = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(bad.path(), r#"{"markupPercent": {"Compute": "lots"}}"#).unwrap();
    let refused = server.cli_raw(&[
        "cost",
        "price-sheet",
        "set",
        "--tenant",
        &root,
        "--file",
        bad.path().to_str().unwrap(),
    ]);
    assert!(!refused.status.success());
    server.cli(&[
        "cost",
        "price-sheet",
        "set",
        "--tenant",
        &root,
        "--file",
        sheet.path().to_str().unwrap(),
    ]);
    let shown = server.cli(&["cost", "price-sheet", "show", "--tenant", &root]);
    assert_eq!(shown["sheet"]["managementFee"], 250, "{shown}");
    assert_eq!(server.cli(&month), statement);

    // Bad queries name what is wrong, in ARM's shape.
    let (status, error) = query(
        &server,
        &token,
        "/",
        json!({ "type": "ActualCost", "timeframe": "Custom", "dataset": {} }),
    )
    .await;
    assert_arm_error(
        &(
            reqwest::StatusCode::from_u16(status).unwrap(),
            error.clone(),
        ),
        400,
        "BadRequest",
    );
    assert_eq!(error["error"]["target"], "timePeriod");
    let (status, error) = query(
        &server,
        &token,
        "/",
        question(
            "ActualCost",
            None,
            json!([{ "type": "Dimension", "name": "Colour" }]),
        ),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(error["error"]["target"], "dataset.grouping[0].name");
}

on_both_backends!(the_sample_rolls_up_over_the_hierarchy);

/// Every `.parquet` file under `dir`.
fn parquet_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(parquet_files(&path));
        } else if path.extension().is_some_and(|e| e == "parquet") {
            out.push(path);
        }
    }
    out
}

async fn cost_queries_are_authorized_per_scope(backend: Backend) {
    let server = Server::start(backend).await;
    let root = server.tenant.clone();
    group(&server, "aws", &root).await;
    group(&server, "aws-prod", "aws").await;
    subscription(&server, AWS_PROD, "aws-prod");
    server.cli(&["cost", "ingest", "--tenant", &root, &sample()]);
    let analyst = server.cli(&[
        "principal",
        "create",
        "--tenant",
        &root,
        "--type",
        "User",
        "--name",
        "analyst",
    ])["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let token = server.cli(&[
        "token",
        "issue",
        "--tenant",
        &root,
        "--principal",
        &analyst,
        "--ttl",
        "1h",
    ])["accessToken"]
        .as_str()
        .unwrap()
        .to_owned();
    // Nothing by default.
    let (status, refused) = query(
        &server,
        &token,
        &gs("aws-prod"),
        question("ActualCost", None, json!([])),
    )
    .await;
    assert_eq!(status, 403, "{refused}");
    assert_eq!(refused["error"]["code"], "AuthorizationFailed");
    assert!(refused["error"]["message"]
        .as_str()
        .unwrap()
        .contains("Microsoft.CostManagement/query/read"));
    // Cost Management Reader at aws-prod: that group's cost, not its parent's.
    let (status, body) = server
        .call(
            Method::PUT,
            &format!(
                "{}/providers/Microsoft.Authorization/roleAssignments/{}?api-version=2022-04-01",
                gs("aws-prod"),
                uuid::Uuid::new_v4()
            ),
            Some(json!({ "properties": {
                "roleDefinitionId": "/providers/Microsoft.Authorization/roleDefinitions/72fafb9e-0641-4937-9268-a91bfd8191a3",
                "principalId": analyst,
            }})),
        )
        .await;
    assert_eq!(status.as_u16(), 201, "{body}");
    let (status, answer) = query(
        &server,
        &token,
        &gs("aws-prod"),
        question("ActualCost", None, json!([])),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    close(
        &answer["properties"]["rows"][0][0],
        AWS_PROD_BILLED,
        "aws-prod for the analyst",
    );
    let (status, _) = query(
        &server,
        &token,
        &gs("aws"),
        question("ActualCost", None, json!([])),
    )
    .await;
    assert_eq!(status, 403);
    let (status, _) = query(
        &server,
        &token,
        "/",
        question("ActualCost", None, json!([])),
    )
    .await;
    assert_eq!(status, 403);
}

on_both_backends!(cost_queries_are_authorized_per_scope);

/// Sums BilledCost of the loads (all currencies given).
fn billed_by_currency(loads: &Value) -> std::collections::BTreeMap<String, f64> {
    let mut out = std::collections::BTreeMap::new();
    for load in loads.as_array().unwrap() {
        for (currency, totals) in load["totals"].as_object().unwrap() {
            *out.entry(currency.clone()).or_insert(0.0) += totals["billedCost"]
                .as_str()
                .unwrap()
                .parse::<f64>()
                .unwrap();
        }
    }
    out
}

async fn provider_exports_and_parquet_ingest_as_they_come(backend: Backend) {
    let server = Server::start(backend).await;
    let root = server.tenant.clone();
    let file = |name: &str| focus_dir().join(name).display().to_string();
    // An AWS Cost and Usage Report and an Azure EA export, converted on ingest: totals as
    // Python sums the source columns (see crates/finops/tests/it/convert_*.rs).
    let cur = server.cli(&[
        "cost",
        "ingest",
        "--tenant",
        &root,
        &file("aws_cur_sample_anonymous.csv"),
    ]);
    let rows: i64 = cur
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["rows"].as_i64().unwrap())
        .sum();
    assert_eq!(rows, 1281, "{cur}");
    let ea = server.cli(&[
        "cost",
        "ingest",
        "--tenant",
        &root,
        &file("azure_ea_sample_anonymous.csv"),
    ]);
    let rows: i64 = ea
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["rows"].as_i64().unwrap())
        .sum();
    assert_eq!(rows, 27, "{ea}");
    let cur_billed: f64 = billed_by_currency(&cur).values().sum();
    let ea_billed: f64 = billed_by_currency(&ea).values().sum();
    assert!((cur_billed - 1.68230869740).abs() < 1e-9, "{cur}");
    assert!((ea_billed - 1.26136926505726).abs() < 1e-9, "{ea}");
    let formats: Vec<String> = loads(&server)
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|l| l["sources"].as_array().unwrap().clone())
        .map(|s| s["format"].as_str().unwrap().to_owned())
        .collect();
    assert!(formats.iter().any(|f| f.contains("AWS")), "{formats:?}");
    assert!(formats.iter().any(|f| f.contains("EA")), "{formats:?}");

    // The validator's all-pass file (FOCUS 0.5) ingests; its Parquet sample, which has no
    // cost columns, is refused and changes nothing.
    let before = loads(&server);
    let refused = server.cli_raw(&[
        "cost",
        "ingest",
        "--tenant",
        &root,
        &file("focus_validator_sample.parquet"),
    ]);
    assert!(!refused.status.success());
    let why = String::from_utf8_lossy(&refused.stderr);
    assert!(why.contains("focus_validator_sample.parquet"), "{why}");
    assert_eq!(loads(&server), before);
    let all_pass = server.cli_raw(&[
        "cost",
        "ingest",
        "--tenant",
        &root,
        &file("focus_validator_all_pass_0.5.csv"),
    ]);
    assert!(
        all_pass.status.success(),
        "{}",
        String::from_utf8_lossy(&all_pass.stderr)
    );

    // Generated data as CSV and as Parquet: the same rows give the same totals, and both
    // match what the generator says it wrote.
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("gen.csv");
    let parquet = dir.path().join("gen.parquet");
    let generate = |out: &Path| {
        server.cli(&[
            "dev",
            "gen-focus",
            "--rows",
            "3000",
            "--out",
            out.to_str().unwrap(),
            "--billing-accounts",
            "3",
            "--sub-accounts",
            "2",
            "--resources",
            "10",
            "--days",
            "60",
        ])
    };
    let written = generate(&csv);
    assert_eq!(generate(&parquet), written);
    let want: f64 = written["billedCost"].as_str().unwrap().parse().unwrap();
    let from_csv = server.cli(&["cost", "ingest", "--tenant", &root, csv.to_str().unwrap()]);
    let from_parquet = server.cli(&[
        "cost",
        "ingest",
        "--tenant",
        &root,
        parquet.to_str().unwrap(),
    ]);
    assert!(from_parquet
        .as_array()
        .unwrap()
        .iter()
        .all(|l| l["replaced"] == true));
    let total = |report: &Value| -> f64 { billed_by_currency(report).values().sum() };
    assert!(
        (total(&from_csv) - want).abs() < 1e-6,
        "csv {} vs {want}",
        total(&from_csv)
    );
    assert!(
        (total(&from_parquet) - want).abs() < 1e-6,
        "parquet {} vs {want}",
        total(&from_parquet)
    );
}

on_both_backends!(provider_exports_and_parquet_ingest_as_they_come);

/// The loads' ids and the tenant's total, as a reader sees them.
async fn visible_state(server: &Server) -> (Vec<String>, f64) {
    let mut ids: Vec<String> = loads(server)
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["loadId"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    let (status, answer) = query(
        server,
        &server.token,
        "/",
        json!({
            "type": "ActualCost", "timeframe": "Custom",
            "timePeriod": { "from": "2026-01-01T00:00:00Z", "to": "2026-12-31T00:00:00Z" },
            "dataset": {},
        }),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    (ids, total(&answer))
}

async fn a_killed_ingest_leaves_the_previous_state(backend: Backend) {
    let mut server = Server::start(backend).await;
    let root = server.tenant.clone();
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("first.csv");
    let second = dir.path().join("second.csv");
    let generate = |out: &Path, seed: &str| {
        server.cli(&[
            "dev",
            "gen-focus",
            "--rows",
            "20000",
            "--out",
            out.to_str().unwrap(),
            "--seed",
            seed,
            "--billing-accounts",
            "4",
            "--sub-accounts",
            "2",
            "--resources",
            "25",
            "--days",
            "120",
        ])
    };
    generate(&first, "1");
    generate(&second, "2");
    server.cli(&["cost", "ingest", "--tenant", &root, first.to_str().unwrap()]);
    let old = visible_state(&server).await;
    // Kill the second ingest at later and later moments; whenever it dies, a reader sees the
    // state before it or the state after it, never a mix.
    let mut seen = Vec::new();
    for delay_ms in [50u64, 400, 1200, 2500, 5000] {
        let mut child = std::process::Command::new(crate::harness::binary())
            .arg("--data")
            .arg(&server.data)
            .args(
                server
                    .database_url
                    .iter()
                    .flat_map(|u| ["--database-url", u.as_str()]),
            )
            .args([
                "--output",
                "json",
                "cost",
                "ingest",
                "--tenant",
                &root,
                second.to_str().unwrap(),
            ])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(delay_ms)).await;
        let finished = child.try_wait().unwrap().is_some();
        if !finished {
            child.kill().unwrap();
        }
        child.wait().unwrap();
        let state = visible_state(&server).await;
        let changed = state != old;
        seen.push((state.0.len(), state.1));
        if changed || finished {
            break;
        }
    }
    // Run to the end: the state after it; again, the same (a re-ingest replaces).
    server.cli(&[
        "cost",
        "ingest",
        "--tenant",
        &root,
        second.to_str().unwrap(),
    ]);
    let done = visible_state(&server).await;
    assert_ne!(done.1, old.1);
    for (n_loads, total) in &seen {
        let is_old = *n_loads == old.0.len() && (total - old.1).abs() < 1e-6;
        let is_done = *n_loads == done.0.len() && (total - done.1).abs() < 1e-6;
        assert!(
            is_old || is_done,
            "a killed ingest left {n_loads} loads, {total}: neither {old:?} nor {done:?}"
        );
    }
    server.cli(&[
        "cost",
        "ingest",
        "--tenant",
        &root,
        second.to_str().unwrap(),
    ]);
    let again = visible_state(&server).await;
    assert_eq!(again.0.len(), done.0.len());
    assert!((again.1 - done.1).abs() < 1e-6);
    // Every load's detail file is there.
    for load in loads(&server).as_array().unwrap() {
        let path = server
            .data
            .join("costs")
            .join(load["detailPath"].as_str().unwrap_or_default());
        assert!(path.is_file(), "{load}");
    }
    server.terminate();
}

on_both_backends!(a_killed_ingest_leaves_the_previous_state);

async fn cost_files_upload_over_https(backend: Backend) {
    let server = Server::start(backend).await;
    let upload = |name: &str, bytes: Vec<u8>, token: String| {
        let request = server
            .client
            .post(format!(
                "{}/providers/Microsoft.CostManagement/costUploads?api-version=2025-03-01&name={name}",
                server.url
            ))
            .bearer_auth(token)
            .body(bytes);
        async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            (
                status,
                response.json::<Value>().await.unwrap_or(Value::Null),
            )
        }
    };
    let cur = std::fs::read(focus_dir().join("aws_cur_sample_anonymous.csv")).unwrap();
    let (status, report) = upload("cur.csv", cur, server.token.clone()).await;
    assert_eq!(status, 200, "{report}");
    let billed: f64 = report["loads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            l["totals"]["USD"]["billedCost"]
                .as_str()
                .unwrap()
                .parse::<f64>()
                .unwrap()
        })
        .sum();
    assert!((billed - 1.68230869740).abs() < 1e-9, "{report}");
    assert_eq!(billed_of_loads(&loads(&server)), billed);

    // A bad file: 400 naming the upload, the row and the column; nothing changes.
    let before = loads(&server);
    let text = std::fs::read_to_string(sample()).unwrap();
    let bad = text.replacen("\"USD\"", "\"US Dollar\"", 1).into_bytes();
    let (status, error) = upload("bad.csv", bad, server.token.clone()).await;
    assert_eq!(status, 400, "{error}");
    let message = error["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("bad.csv") && message.contains("BillingCurrency"),
        "{message}"
    );
    assert_eq!(loads(&server), before);

    // Uploading needs Owner or Contributor at `/`: a Reader is refused.
    let reader = server.cli(&[
        "principal",
        "create",
        "--tenant",
        &server.tenant,
        "--type",
        "User",
        "--name",
        "reader",
    ])["id"]
        .as_str()
        .unwrap()
        .to_owned();
    server.cli(&[
        "role",
        "assign",
        "--tenant",
        &server.tenant,
        "--principal",
        &reader,
        "--role",
        "Reader",
        "--scope",
        "/",
    ]);
    let token = server.cli(&[
        "token",
        "issue",
        "--tenant",
        &server.tenant,
        "--principal",
        &reader,
        "--ttl",
        "1h",
    ])["accessToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, refused) = upload("cur.csv", b"x".to_vec(), token).await;
    assert_eq!(status, 403, "{refused}");
    assert!(refused["error"]["message"]
        .as_str()
        .unwrap()
        .contains("Leitstand.Costs/loads/write"));
}

on_both_backends!(cost_files_upload_over_https);
