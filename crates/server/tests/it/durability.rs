//! A SIGKILL in the middle of concurrent writes loses nothing that was acknowledged: after a
//! restart on the same data, every acknowledged write and its activity-log event are there,
//! no event exists without its change, and the log still verifies.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};

use crate::harness::{Backend, Server};
use crate::on_both_backends;

/// How many clients write at once, each with its own connection pool.
const WRITERS: usize = 8;
/// The least number of acknowledged writes before the kill, so the test cannot pass vacuously.
const MIN_ACKNOWLEDGED: usize = 20;

const GROUP_WRITE: &str = "Microsoft.Management/managementGroups/write";
const RESOURCE_GROUP_WRITE: &str = "Microsoft.Resources/subscriptions/resourceGroups/write";

/// One write a client sent: a management group under the root or a resource group.
#[derive(Debug, Clone)]
enum Write {
    Group(String),
    ResourceGroup { subscription: String, name: String },
}

impl Write {
    /// The canonical id, which is also the scope of the write's activity-log event.
    fn scope(&self) -> String {
        match self {
            Write::Group(id) => format!("/providers/Microsoft.Management/managementGroups/{id}"),
            Write::ResourceGroup { subscription, name } => {
                format!("/subscriptions/{subscription}/resourceGroups/{name}")
            }
        }
    }

    fn path(&self) -> String {
        match self {
            Write::Group(_) => format!("{}?api-version=2021-04-01", self.scope()),
            Write::ResourceGroup { .. } => format!("{}?api-version=2024-03-01", self.scope()),
        }
    }

    fn body(&self) -> Value {
        match self {
            Write::Group(id) => json!({ "properties": { "displayName": format!("durable {id}") } }),
            Write::ResourceGroup { .. } => json!({ "location": "westeurope" }),
        }
    }
}

/// What one writer saw.
#[derive(Debug, Default)]
struct Outcome {
    /// Answered 200 or 201.
    acknowledged: Vec<Write>,
    /// Answered with another status: the write was refused.
    refused: Vec<(Write, u16, String)>,
    /// No answer: the request was in flight at the kill (or sent after it).
    unanswered: Vec<Write>,
}

/// Writes until its connection breaks; a break before the kill is a failure.
async fn write_until_killed(
    task: usize,
    client: reqwest::Client,
    url: String,
    token: String,
    subscription: String,
    acknowledged: Arc<AtomicUsize>,
    killed: Arc<AtomicBool>,
) -> Outcome {
    let mut outcome = Outcome::default();
    for n in 0.. {
        let write = if n % 2 == 0 {
            Write::Group(format!("d-{task}-{n}"))
        } else {
            Write::ResourceGroup {
                subscription: subscription.clone(),
                name: format!("rg-{task}-{n}"),
            }
        };
        let sent = client
            .put(format!("{url}{}", write.path()))
            .bearer_auth(&token)
            .json(&write.body())
            .send()
            .await;
        match sent {
            Ok(response) => {
                let status = response.status().as_u16();
                // The status line is the acknowledgement; the body may be cut off by the kill.
                let text = response.text().await.unwrap_or_default();
                if status == 200 || status == 201 {
                    acknowledged.fetch_add(1, Ordering::SeqCst);
                    outcome.acknowledged.push(write);
                } else {
                    outcome.refused.push((write, status, text));
                }
            }
            Err(error) => {
                assert!(
                    killed.load(Ordering::SeqCst),
                    "writer {task}: request {n} failed before the kill: {error}"
                );
                outcome.unanswered.push(write);
                break;
            }
        }
    }
    outcome
}

async fn exists(server: &Server, write: &Write) -> bool {
    let (status, body) = server.call(Method::GET, &write.path(), None).await;
    match status.as_u16() {
        200 => true,
        404 => false,
        other => panic!("GET {} answered {other}: {body}", write.scope()),
    }
}

/// The write an activity-log event records, if it is a group or resource-group write.
fn write_of_event(event: &Value) -> Option<Write> {
    let scope = event["scope"].as_str()?;
    match event["operation"].as_str()? {
        GROUP_WRITE => Some(Write::Group(
            scope
                .rsplit_once('/')
                .map(|(_, id)| id.to_owned())
                .expect("a group scope"),
        )),
        RESOURCE_GROUP_WRITE => {
            let parts: Vec<&str> = scope.split('/').collect();
            match parts.as_slice() {
                ["", "subscriptions", subscription, "resourceGroups", name] => {
                    Some(Write::ResourceGroup {
                        subscription: (*subscription).to_owned(),
                        name: (*name).to_owned(),
                    })
                }
                _ => panic!("a resource-group write event with scope {scope}"),
            }
        }
        _ => None,
    }
}

async fn acknowledged_writes_survive_a_kill(backend: Backend) {
    let label = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    let mut server = Server::start(backend).await;
    let subscription = server.subscription("Durability");
    let ca = std::fs::read(server.data.join("tls/cert.pem")).expect("the certificate");
    let acknowledged = Arc::new(AtomicUsize::new(0));
    let killed = Arc::new(AtomicBool::new(false));
    let mut writers = tokio::task::JoinSet::new();
    for task in 0..WRITERS {
        let client = reqwest::Client::builder()
            .add_root_certificate(reqwest::Certificate::from_pem(&ca).expect("pem"))
            .build()
            .expect("client");
        writers.spawn(write_until_killed(
            task,
            client,
            server.url.clone(),
            server.token.clone(),
            subscription.clone(),
            acknowledged.clone(),
            killed.clone(),
        ));
    }

    // Write for a while, and at least until a few dozen writes are acknowledged; then kill
    // the server while the writers are still sending.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    for _ in 0..100 {
        if acknowledged.load(Ordering::SeqCst) >= 2 * MIN_ACKNOWLEDGED {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    killed.store(true, Ordering::SeqCst);
    server.kill();
    let mut outcome = Outcome::default();
    while let Some(joined) = writers.join_next().await {
        let one = joined.expect("a writer panicked");
        outcome.acknowledged.extend(one.acknowledged);
        outcome.refused.extend(one.refused);
        outcome.unanswered.extend(one.unanswered);
    }
    assert!(
        outcome.acknowledged.len() >= MIN_ACKNOWLEDGED,
        "{label}: only {} writes were acknowledged before the kill",
        outcome.acknowledged.len()
    );

    server.restart().await;

    // Every acknowledged write is there.
    let mut missing = Vec::new();
    for write in &outcome.acknowledged {
        if !exists(&server, write).await {
            missing.push(write.scope());
        }
    }
    assert!(
        missing.is_empty(),
        "{label}: {} of {} acknowledged writes are gone after the kill: {missing:?}",
        missing.len(),
        outcome.acknowledged.len()
    );
    // A refused write did not happen.
    for (write, status, body) in &outcome.refused {
        assert!(
            !exists(&server, write).await,
            "{label}: {} was refused with {status} ({body}) but exists",
            write.scope()
        );
    }
    let mut in_flight_present = Vec::new();
    for write in &outcome.unanswered {
        if exists(&server, write).await {
            in_flight_present.push(write.clone());
        }
    }

    // The activity log verifies.
    let verify = server.cli_raw(&["audit", "verify", "--tenant", &server.tenant]);
    let report: Value = serde_json::from_slice(&verify.stdout).unwrap_or(Value::Null);
    assert!(
        verify.status.success() && report[0]["ok"] == json!(true),
        "{label}: audit verify failed after the kill ({}): {report} {}",
        verify.status,
        String::from_utf8_lossy(&verify.stderr)
    );

    // Every change that exists has its event, and every event its change.
    let export = server.cli_raw(&["audit", "export", "--tenant", &server.tenant]);
    assert!(
        export.status.success(),
        "{label}: audit export failed: {}",
        String::from_utf8_lossy(&export.stderr)
    );
    let events: Vec<Value> = String::from_utf8_lossy(&export.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).expect("an event is JSON"))
        .collect();
    let succeeded: Vec<Write> = events
        .iter()
        .filter(|e| e["status"] == "Succeeded")
        .filter_map(write_of_event)
        .collect();
    let logged: HashSet<String> = succeeded.iter().map(|w| w.scope().to_lowercase()).collect();
    let unlogged: Vec<String> = outcome
        .acknowledged
        .iter()
        .chain(&in_flight_present)
        .map(Write::scope)
        .filter(|scope| !logged.contains(&scope.to_lowercase()))
        .collect();
    assert!(
        unlogged.is_empty(),
        "{label}: {} writes that exist have no Succeeded event: {unlogged:?}",
        unlogged.len()
    );
    let known: HashSet<String> = outcome
        .acknowledged
        .iter()
        .chain(&in_flight_present)
        .map(|w| w.scope().to_lowercase())
        .collect();
    let mut phantom = Vec::new();
    for write in &succeeded {
        if !known.contains(&write.scope().to_lowercase()) && !exists(&server, write).await {
            phantom.push(write.scope());
        }
    }
    assert!(
        phantom.is_empty(),
        "{label}: {} Succeeded write events have no change behind them: {phantom:?}",
        phantom.len()
    );

    eprintln!(
        "durability({label}): {} acknowledged writes checked, {} of {} in flight at the kill were also present, {} refused, {} events verified",
        outcome.acknowledged.len(),
        in_flight_present.len(),
        outcome.unanswered.len(),
        outcome.refused.len(),
        report[0]["events"]
    );
}
on_both_backends!(acknowledged_writes_survive_a_kill);
