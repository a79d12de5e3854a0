//! Budgets as a customer's cost owner meets them: a monthly budget at a management group with
//! actual and forecasted thresholds, evaluated on ingest; each threshold that is crossed fires
//! once per period, by e-mail through a real SMTP server (aiosmtpd) and by a webhook whose
//! HMAC signature the receiver checks; a re-ingest fires nothing again.

use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Datelike;
use hmac::{Hmac, Mac};
use reqwest::Method;
use serde_json::{json, Value};
use sha2::Sha256;

use crate::harness::{mg, Backend, Server};
use crate::on_both_backends;

const SECRET: &str = "budget-webhook-secret-for-tests";
const API: &str = "api-version=2024-08-01";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap()
}

/// A real SMTP server (aiosmtpd, from the SDK's virtual environment) that prints every
/// message it receives to a file.
struct SmtpSink {
    child: Child,
    port: u16,
    log: std::path::PathBuf,
}

impl SmtpSink {
    fn start(dir: &std::path::Path) -> Option<SmtpSink> {
        let python = match std::env::var("LEITSTAND_SDK_PYTHON") {
            Ok(p) => p,
            Err(_) => {
                assert!(
                    !std::env::var("CI").is_ok_and(|v| v == "true"),
                    "LEITSTAND_SDK_PYTHON is not set; in CI the SMTP sink must run (./test.sh sets it)"
                );
                return None;
            }
        };
        let port = free_port();
        let log = dir.join("smtp.log");
        let child = Command::new(python)
            .args([
                "-u",
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                &format!("127.0.0.1:{port}"),
            ])
            .stdout(std::fs::File::create(&log).unwrap())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let sink = SmtpSink { child, port, log };
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Some(sink);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        // Dropping the sink kills and waits for the process.
        drop(sink);
        panic!("the SMTP sink did not start");
    }

    fn received(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What the webhook receiver got: (signature valid, body).
type Received = Arc<Mutex<Vec<(bool, Value)>>>;

async fn webhook_receiver() -> (String, Received) {
    let received: Received = Arc::default();
    let sink = received.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(
            move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
                let sink = sink.clone();
                async move {
                    let header = |name: &str| {
                        headers
                            .get(name)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or_default()
                            .to_owned()
                    };
                    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
                    mac.update(header("x-leitstand-timestamp").as_bytes());
                    mac.update(b".");
                    mac.update(&body);
                    let want = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
                    let valid = header("x-leitstand-signature") == want;
                    let value: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                    sink.lock().unwrap().push((valid, value));
                    axum::http::StatusCode::NO_CONTENT
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, received)
}

fn budget_path(scope: &str, name: &str) -> String {
    format!("{scope}/providers/Microsoft.Consumption/budgets/{name}?{API}")
}

async fn budgets_fire_once_per_period(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let Some(smtp) = SmtpSink::start(dir.path()) else {
        return;
    };
    let secret_file = dir.path().join("webhook.secret");
    std::fs::write(&secret_file, SECRET).unwrap();
    let (hook, received) = webhook_receiver().await;
    let server = Server::start_with(
        backend,
        &[
            "--smtp-url".into(),
            format!("smtp://127.0.0.1:{}", smtp.port),
            "--webhook-secret-file".into(),
            secret_file.display().to_string(),
            // The test's receiver is on loopback, which webhooks may not reach by default.
            "--webhook-allow-network".into(),
            "127.0.0.0/8".into(),
        ],
    )
    .await;
    let root = server.tenant.clone();
    let (status, body) = server
        .call(
            Method::PUT,
            &mg("team"),
            Some(
                json!({ "properties": { "displayName": "team", "details": { "parent": {
                    "id": format!("/providers/Microsoft.Management/managementGroups/{root}")
                }}}}),
            ),
        )
        .await;
    assert_eq!(status.as_u16(), 200, "{body}");
    let account = "123456789012";
    server.cli(&[
        "subscription",
        "create",
        "--tenant",
        &root,
        "--display-name",
        "team-aws",
        "--id",
        account,
        "--management-group",
        "team",
    ]);
    let scope = "/providers/Microsoft.Management/managementGroups/team";

    // This month's cost so far for the account, generated.
    let today = chrono::Utc::now().date_naive();
    let first = today.with_day(1).unwrap();
    let days = (today - first).num_days() + 1;
    let file = dir.path().join("month.csv");
    let generated = server.cli(&[
        "dev",
        "gen-focus",
        "--rows",
        "100000",
        "--out",
        file.to_str().unwrap(),
        "--sub-account",
        account,
        "--resources",
        "8",
        "--start",
        &first.to_string(),
        "--days",
        &days.to_string(),
    ]);
    let spent: f64 = generated["billedCost"].as_str().unwrap().parse().unwrap();
    assert!(spent > 0.0);
    // A budget 10% below what was spent: the 80% and 100% actual thresholds are crossed, the
    // 200% one is not.
    let amount = (spent * 0.9 * 100.0).round() / 100.0;
    let notification = |threshold: f64, kind: &str| {
        json!({ "enabled": true, "operator": "GreaterThan", "threshold": threshold,
                "thresholdType": kind, "contactEmails": ["finance@customer.example"],
                "contactWebhooks": [hook.clone()] })
    };
    let budget = json!({ "properties": {
        "category": "Cost", "amount": amount, "timeGrain": "Monthly",
        "timePeriod": { "startDate": format!("{first}T00:00:00Z") },
        "notifications": {
            "actual80": notification(80.0, "Actual"),
            "actual100": notification(100.0, "Actual"),
            "actual200": notification(200.0, "Actual"),
            // A tenant user's webhook into the cloud's metadata service is never called.
            "actual90": { "enabled": true, "operator": "GreaterThan", "threshold": 90.0,
                "thresholdType": "Actual",
                "contactWebhooks": ["http://169.254.169.254/latest/meta-data/"] },
        },
    }});
    let (status, created) = server
        .call(
            Method::PUT,
            &budget_path(scope, "team-monthly"),
            Some(budget.clone()),
        )
        .await;
    assert_eq!(status.as_u16(), 201, "{created}");
    assert_eq!(created["type"], "Microsoft.Consumption/budgets");
    let (status, _) = server
        .call(
            Method::PUT,
            &budget_path(scope, "team-monthly"),
            Some(budget),
        )
        .await;
    assert_eq!(status.as_u16(), 200, "a second PUT updates");

    // A bad budget names the offending property.
    let (status, refused) = server
        .call(
            Method::PUT,
            &budget_path(scope, "bad"),
            Some(
                json!({ "properties": { "category": "Cost", "amount": 10, "timeGrain": "Weekly",
                "timePeriod": { "startDate": format!("{first}T00:00:00Z") } } }),
            ),
        )
        .await;
    assert_eq!(status.as_u16(), 400, "{refused}");
    assert_eq!(refused["error"]["target"], "properties.timeGrain");

    let out = server.cli_raw(&["cost", "ingest", "--tenant", &root, file.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("`actual80` fired")
            && said.contains("`actual90` fired")
            && said.contains("`actual100` fired"),
        "{said}"
    );
    assert!(!said.contains("actual200"), "{said}");

    // Delivered: two e-mails and two webhooks, signed; the metadata-service webhook refused.
    let mut all = Vec::new();
    let mut delivered = Vec::new();
    let mut refused = Vec::new();
    for _ in 0..150 {
        all = server
            .cli(&["cost", "alerts", "--tenant", &root])
            .as_array()
            .unwrap()
            .clone();
        (refused, delivered) = all
            .iter()
            .cloned()
            .partition(|m| m["notification"] == "actual90");
        if refused.iter().all(|m| !m["lastError"].is_null())
            && delivered.iter().all(|m| !m["deliveredAt"].is_null())
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(delivered.len(), 4, "{all:?}");
    assert!(
        delivered.iter().all(|m| !m["deliveredAt"].is_null()),
        "{delivered:?}"
    );
    assert_eq!(refused.len(), 1, "{all:?}");
    assert!(refused[0]["deliveredAt"].is_null(), "{refused:?}");
    assert!(
        refused[0]["lastError"]
            .as_str()
            .unwrap()
            .contains("link-local"),
        "{refused:?}"
    );
    let mail = smtp.received();
    assert!(mail.contains("finance@customer.example"), "{mail}");
    assert!(mail.contains("Budget team-monthly reached"), "{mail}");
    let hooks = received.lock().unwrap().clone();
    assert_eq!(hooks.len(), 2, "{hooks:?}");
    assert!(
        hooks.iter().all(|(valid, _)| *valid),
        "bad signature: {hooks:?}"
    );
    let mut names: Vec<&str> = hooks
        .iter()
        .map(|(_, body)| body["data"]["notification"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["actual100", "actual80"]);
    assert_eq!(hooks[0].1["data"]["budget"], "team-monthly");

    // The budget shows this period's spend.
    let (_, read) = server
        .call(Method::GET, &budget_path(scope, "team-monthly"), None)
        .await;
    let current = read["properties"]["currentSpend"]["amount"]
        .as_f64()
        .unwrap();
    assert!((current - spent).abs() < 0.01, "{read}");
    assert!(
        read["properties"]["forecastSpend"]["amount"]
            .as_f64()
            .unwrap()
            >= current - 0.01
    );
    let (_, listed) = server
        .call(
            Method::GET,
            &format!("{scope}/providers/Microsoft.Consumption/budgets?{API}"),
            None,
        )
        .await;
    assert_eq!(listed["value"].as_array().unwrap().len(), 1, "{listed}");

    // Ingesting the same month again fires nothing new.
    let again = server.cli_raw(&["cost", "ingest", "--tenant", &root, file.to_str().unwrap()]);
    assert!(again.status.success());
    assert!(!String::from_utf8_lossy(&again.stderr).contains("fired"));
    assert_eq!(
        server
            .cli(&["cost", "alerts", "--tenant", &root])
            .as_array()
            .unwrap()
            .len(),
        5
    );

    let (status, _) = server
        .call(Method::DELETE, &budget_path(scope, "team-monthly"), None)
        .await;
    assert_eq!(status.as_u16(), 200);
    let (status, _) = server
        .call(Method::GET, &budget_path(scope, "team-monthly"), None)
        .await;
    assert_eq!(status.as_u16(), 404);
}

on_both_backends!(budgets_fire_once_per_period);
