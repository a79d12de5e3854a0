//! `leitstand bench`: builds a tenant at Azure's limits through the HTTP API (10,000 groups
//! six levels deep, 100,000 subscriptions, resources) and measures write throughput and read
//! latency, beside anchors measured in the same run: single-row commits on SQLite (WAL) and
//! PostgreSQL (1 and 64 clients), and a bare axum JSON endpoint under the same load
//! generator. Server and load generator share this process and its two cores.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, Context};
use hdrhistogram::Histogram;
use leitstand_api::keys::{self, KeyPurpose};
use leitstand_core::{Clock, SystemClock};
use leitstand_store::{AuditSigner, Principal, PrincipalKind, Store};
use serde_json::{json, Value};
use sqlx::Connection;

use crate::Global;

/// The built-in Owner role.
const OWNER: &str = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";
/// Built-in roles the bench assigns: Reader, Contributor, Backup Operator, Storage Blob Data Reader.
const BENCH_ROLES: [&str; 3] = [
    "acdd72a7-3385-48ef-bd42-f606fba81ae7",
    "b24988ac-6180-42a0-ab88-20f7382dd24c",
    "00c29273-979b-4161-815c-10b084fb9324",
];
/// Questions per `checkAccess` call in the batch phase.
const BATCH: usize = 1000;

/// Options of `leitstand bench`.
#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// Management groups to create (six levels deep at most).
    #[arg(long, default_value_t = 10_000)]
    pub groups: usize,
    /// Subscriptions to create (through subscription aliases).
    #[arg(long, default_value_t = 100_000)]
    pub subscriptions: usize,
    /// Resources to create.
    #[arg(long, default_value_t = 20_000)]
    pub resources: usize,
    /// Role assignments to create through the API (at subscriptions and groups).
    #[arg(long, default_value_t = 20_000)]
    pub assignments: usize,
    /// Principals (users and every tenth a group) the assignments go to.
    #[arg(long, default_value_t = 2_000)]
    pub principals: usize,
    /// Concurrent HTTP clients.
    #[arg(long, default_value_t = 16)]
    pub clients: usize,
    /// Seconds each read measurement runs.
    #[arg(long, default_value_t = 10)]
    pub read_seconds: u64,
    /// A PostgreSQL admin URL: the bench makes a fresh database there and measures on it
    /// (default: SQLite in a temporary directory).
    #[arg(long)]
    pub postgres: Option<String>,
}

/// What one measured phase did.
struct Phase {
    name: String,
    count: usize,
    errors: usize,
    seconds: f64,
    hist: Histogram<u64>,
}

impl Phase {
    fn rate(&self) -> f64 {
        self.count as f64 / self.seconds.max(1e-9)
    }

    fn json(&self) -> Value {
        json!({
            "phase": self.name,
            "count": self.count,
            "errors": self.errors,
            "seconds": (self.seconds * 1000.0).round() / 1000.0,
            "perSecond": self.rate().round(),
            "p50Ms": self.hist.value_at_quantile(0.5) as f64 / 1000.0,
            "p99Ms": self.hist.value_at_quantile(0.99) as f64 / 1000.0,
        })
    }
}

fn histogram() -> anyhow::Result<Histogram<u64>> {
    Histogram::new_with_bounds(1, 60_000_000, 3).map_err(|e| anyhow!("histogram: {e}"))
}

/// Runs `total` requests (or until `deadline`) from `clients` tasks; `make(i)` builds request i.
async fn drive<F>(
    name: &str,
    clients: usize,
    total: Option<usize>,
    duration: Option<Duration>,
    make: F,
) -> anyhow::Result<Phase>
where
    F: Fn(usize) -> reqwest::RequestBuilder + Send + Sync + 'static,
{
    let make = Arc::new(make);
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let deadline = duration.map(|d| started + d);
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let make = make.clone();
        let next = next.clone();
        tasks.push(tokio::spawn(async move {
            let mut hist = histogram()?;
            let (mut count, mut errors) = (0usize, 0usize);
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if total.is_some_and(|t| i >= t) || deadline.is_some_and(|d| Instant::now() >= d) {
                    break;
                }
                let t0 = Instant::now();
                match make(i).send().await {
                    Ok(response) if response.status().is_success() => {
                        let _ = response.bytes().await;
                        count += 1;
                    }
                    Ok(response) => {
                        if errors == 0 {
                            let status = response.status();
                            let body = response.text().await.unwrap_or_default();
                            eprintln!(
                                "bench: first error: {status} {}",
                                body.chars().take(300).collect::<String>()
                            );
                        }
                        errors += 1;
                    }
                    Err(e) => {
                        if errors == 0 {
                            eprintln!("bench: first error: {e}");
                        }
                        errors += 1;
                    }
                }
                let micros = u64::try_from(t0.elapsed().as_micros())
                    .unwrap_or(u64::MAX)
                    .max(1);
                let _ = hist.record(micros.min(60_000_000));
            }
            anyhow::Ok((count, errors, hist))
        }));
    }
    let mut phase = Phase {
        name: name.to_owned(),
        count: 0,
        errors: 0,
        seconds: 0.0,
        hist: histogram()?,
    };
    for task in tasks {
        let (count, errors, hist) = task.await.context("join a load task")??;
        phase.count += count;
        phase.errors += errors;
        phase
            .hist
            .add(&hist)
            .map_err(|e| anyhow!("histogram: {e}"))?;
    }
    phase.seconds = started.elapsed().as_secs_f64();
    eprintln!(
        "bench: {:<40} {:>8} ok {:>5} err {:>9.0}/s  p50 {:>7.3} ms  p99 {:>7.3} ms",
        phase.name,
        phase.count,
        phase.errors,
        phase.rate(),
        phase.hist.value_at_quantile(0.5) as f64 / 1000.0,
        phase.hist.value_at_quantile(0.99) as f64 / 1000.0
    );
    Ok(phase)
}

/// Single-row commits per second on a fresh SQLite file in WAL mode, one connection.
async fn sqlite_commit_anchor(dir: &std::path::Path, seconds: f64) -> anyhow::Result<f64> {
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(dir.join("anchor.db"))
        .create_if_missing(true)
        .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
        .synchronous(sqlx::sqlite::SqliteSynchronous::Full);
    let mut conn = sqlx::SqliteConnection::connect_with(&options).await?;
    sqlx::query("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)")
        .execute(&mut conn)
        .await?;
    let started = Instant::now();
    let mut n = 0u64;
    while started.elapsed().as_secs_f64() < seconds {
        let mut tx = conn.begin().await?;
        sqlx::query("INSERT INTO t (v) VALUES ($1)")
            .bind("x")
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        n += 1;
    }
    Ok(n as f64 / started.elapsed().as_secs_f64())
}

/// Single-row commits per second on PostgreSQL from `clients` connections.
async fn postgres_commit_anchor(url: &str, clients: usize, seconds: f64) -> anyhow::Result<f64> {
    let mut setup = sqlx::PgConnection::connect(url).await?;
    sqlx::query("CREATE TABLE IF NOT EXISTS anchor_t (id BIGSERIAL PRIMARY KEY, v TEXT NOT NULL)")
        .execute(&mut setup)
        .await?;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let url = url.to_owned();
        tasks.push(tokio::spawn(async move {
            let mut conn = sqlx::PgConnection::connect(&url).await?;
            let mut n = 0u64;
            while started.elapsed().as_secs_f64() < seconds {
                let mut tx = conn.begin().await?;
                sqlx::query("INSERT INTO anchor_t (v) VALUES ($1)")
                    .bind("x")
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                n += 1;
            }
            anyhow::Ok(n)
        }));
    }
    let mut total = 0u64;
    for task in tasks {
        total += task.await.context("join an anchor task")??;
    }
    Ok(total as f64 / started.elapsed().as_secs_f64())
}

async fn listen() -> anyhow::Result<(tokio::net::TcpListener, SocketAddr)> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .context("bind a loopback port")?;
    let addr = listener.local_addr()?;
    Ok((listener, addr))
}

fn client(clients: usize) -> anyhow::Result<reqwest::Client> {
    reqwest::Client::builder()
        .pool_max_idle_per_host(clients)
        .http1_only()
        .timeout(Duration::from_secs(60))
        .build()
        .context("build the HTTP client")
}

/// Runs the benchmark.
pub async fn run(global: &Global, args: BenchArgs) -> anyhow::Result<std::process::ExitCode> {
    let dir = tempfile::tempdir().context("make a temporary directory")?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let now = clock.now();
    let mut report = serde_json::Map::new();
    // Anchors.
    let sqlite_rate = sqlite_commit_anchor(dir.path(), 3.0).await?;
    eprintln!("bench: anchor sqlite single-row commits/s (1 client): {sqlite_rate:.0}");
    report.insert(
        "anchorSqliteCommitsPerSecond".into(),
        json!(sqlite_rate.round()),
    );
    let database_url = match &args.postgres {
        Some(admin) => {
            let name = format!("leitstand_bench_{}", uuid::Uuid::new_v4().simple());
            let mut conn = sqlx::PgConnection::connect(admin)
                .await
                .context("connect to PostgreSQL")?;
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .await?;
            let base = admin
                .rsplit_once('/')
                .map(|(b, _)| b.to_owned())
                .ok_or_else(|| anyhow!("the PostgreSQL URL names no database"))?;
            let anchor_name = format!("{name}_anchor");
            sqlx::query(&format!("CREATE DATABASE {anchor_name}"))
                .execute(&mut conn)
                .await?;
            let anchor_url = format!("{base}/{anchor_name}");
            let one = postgres_commit_anchor(&anchor_url, 1, 3.0).await?;
            let many = postgres_commit_anchor(&anchor_url, 64, 3.0).await?;
            eprintln!("bench: anchor postgres single-row commits/s: {one:.0} (1 client), {many:.0} (64 clients)");
            report.insert("anchorPostgresCommitsPerSecond1".into(), json!(one.round()));
            report.insert(
                "anchorPostgresCommitsPerSecond64".into(),
                json!(many.round()),
            );
            report.insert("backend".into(), json!("postgres"));
            format!("{base}/{name}")
        }
        None => {
            report.insert("backend".into(), json!("sqlite"));
            format!("sqlite://{}", dir.path().join("leitstand.db").display())
        }
    };
    // A bare axum endpoint under the same load generator.
    let (anchor_listener, anchor_addr) = listen().await?;
    let anchor_app = axum::Router::new().route(
        "/ping",
        axum::routing::get(|| async { axum::Json(json!({ "ok": true, "name": "ping" })) }),
    );
    let anchor_server = tokio::spawn(async move { axum::serve(anchor_listener, anchor_app).await });
    let http = client(args.clients)?;
    let h = http.clone();
    let axum_phase = drive(
        "anchor: bare axum small JSON GET",
        args.clients,
        None,
        Some(Duration::from_secs(args.read_seconds.min(5))),
        move |_| h.get(format!("http://{anchor_addr}/ping")),
    )
    .await?;
    anchor_server.abort();
    report.insert("anchorAxum".into(), axum_phase.json());

    // The server under test, in this process, plain HTTP on loopback.
    let audit = keys::create(dir.path(), KeyPurpose::Audit, now)?;
    let store = Arc::new(
        Store::open(
            &database_url,
            AuditSigner {
                kid: audit.kid.clone(),
                key: audit.key.clone(),
            },
        )
        .await?,
    );
    keys::publish(&store, KeyPurpose::Audit, &audit, now).await?;
    let token_key = keys::create(dir.path(), KeyPurpose::Token, now)?;
    keys::publish(&store, KeyPurpose::Token, &token_key, now).await?;
    let tenant = crate::admin::create_tenant(&store, "Bench", None, now).await?;
    let principal = Principal {
        id: uuid::Uuid::new_v4().to_string(),
        tenant_id: tenant.clone(),
        kind: PrincipalKind::User,
        display_name: "bench".into(),
        global_admin: true,
        app_id: None,
        created_at: leitstand_store::format_time(now),
    };
    let mut tx = store.begin_write(&tenant, now).await?;
    tx.insert_principal(&principal).await?;
    // Nobody has access by default: the bench's principal is Owner at `/`.
    tx.insert_role_assignment(
        &leitstand_store::RoleAssignmentRow {
            id: uuid::Uuid::new_v4().to_string(),
            scope: "/".into(),
            role_definition_id: OWNER.into(),
            principal_id: principal.id.clone(),
            principal_type: "User".into(),
            description: String::new(),
            condition: None,
            condition_version: None,
            created_at: String::new(),
            updated_at: String::new(),
            created_by: "bench".into(),
            updated_by: "bench".into(),
        },
        "bench",
    )
    .await?;
    // Principals for role assignments: users, each in one of the groups.
    let mut users = Vec::with_capacity(args.principals);
    let mut groups = Vec::new();
    for i in 0..args.principals {
        let kind = if i % 10 == 0 {
            PrincipalKind::Group
        } else {
            PrincipalKind::User
        };
        let p = Principal {
            id: uuid::Uuid::new_v4().to_string(),
            tenant_id: tenant.clone(),
            kind,
            display_name: format!("p{i}"),
            global_admin: false,
            app_id: None,
            created_at: leitstand_store::format_time(now),
        };
        tx.insert_principal(&p).await?;
        if kind == PrincipalKind::Group {
            groups.push(p.id);
        } else {
            if let Some(g) = groups.last() {
                tx.add_member(g, &p.id).await?;
            }
            users.push(p.id);
        }
    }
    tx.append_event(leitstand_store::EventDraft::new(
        "Microsoft.Directory/principals/write",
        "/",
        "bench",
        "bench",
    ))
    .await?;
    tx.commit().await?;
    let token = leitstand_api::auth::issue_token(
        &token_key,
        "bench",
        leitstand_api::auth::GENERIC_AUDIENCE,
        &principal,
        chrono::Duration::hours(4),
        now,
    )
    .map_err(|e| anyhow!("{}", e.message))?;
    let (listener, addr) = listen().await?;
    let state = crate::serve::app_state(
        store.clone(),
        clock.clone(),
        Some(token_key),
        addr,
        false,
        4 * 1024 * 1024,
        None,
    )?;
    let app = leitstand_api::app(state).into_make_service_with_connect_info::<SocketAddr>();
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let base = format!("http://{addr}");
    let auth = format!("Bearer {token}");
    let _ = global;

    // Groups, level by level, six levels deep.
    let mut levels: Vec<Vec<(String, String)>> = Vec::new();
    let mut made = 0usize;
    let branching = 5usize;
    let mut parents = vec![tenant.clone()];
    for level in 1..=leitstand_core::tree::MAX_DEPTH {
        let mut this = Vec::new();
        'fill: for parent in &parents {
            for k in 0..branching.max(1) {
                if made >= args.groups.saturating_sub(1) {
                    break 'fill;
                }
                let id = format!("g{level}-{}-{k}", this.len());
                this.push((id, parent.clone()));
                made += 1;
            }
        }
        if this.is_empty() {
            break;
        }
        parents = this.iter().map(|(id, _)| id.clone()).collect();
        levels.push(this);
    }
    let started = Instant::now();
    let mut group_hist = histogram()?;
    let mut group_count = 0usize;
    let mut group_errors = 0usize;
    for (level, groups) in levels.iter().enumerate() {
        let groups = Arc::new(groups.clone());
        let (h, b, a, g) = (http.clone(), base.clone(), auth.clone(), groups.clone());
        let phase = drive(&format!("write: management groups, level {}", level + 1), args.clients, Some(groups.len()), None, move |i| {
            let (id, parent) = &g[i];
            h.put(format!("{b}/providers/Microsoft.Management/managementGroups/{id}?api-version=2021-04-01"))
                .header("authorization", &a)
                .json(&json!({ "properties": { "displayName": id, "details": { "parent": { "id": format!("/providers/Microsoft.Management/managementGroups/{parent}") } } } }))
        })
        .await?;
        group_count += phase.count;
        group_errors += phase.errors;
        group_hist
            .add(&phase.hist)
            .map_err(|e| anyhow!("histogram: {e}"))?;
    }
    let groups_phase = Phase {
        name: "write: management groups".into(),
        count: group_count,
        errors: group_errors,
        seconds: started.elapsed().as_secs_f64(),
        hist: group_hist,
    };
    eprintln!(
        "bench: management groups: {} in {:.1} s = {:.0}/s",
        groups_phase.count,
        groups_phase.seconds,
        groups_phase.rate()
    );
    report.insert("writeGroups".into(), groups_phase.json());
    let leaves: Arc<Vec<String>> = Arc::new(
        levels
            .last()
            .map(|l| l.iter().map(|(id, _)| id.clone()).collect())
            .unwrap_or_default(),
    );

    // Subscriptions through aliases, spread over the deepest groups.
    let (h, b, a, l) = (http.clone(), base.clone(), auth.clone(), leaves.clone());
    let subs_phase = drive("write: subscriptions (aliases)", args.clients, Some(args.subscriptions), None, move |i| {
        let mut body = json!({ "properties": { "displayName": format!("sub {i}"), "workload": "Production" } });
        if let Some(group) = l.get(i % l.len().max(1)) {
            body["properties"]["additionalProperties"] = json!({ "managementGroupId": format!("/providers/Microsoft.Management/managementGroups/{group}") });
        }
        h.put(format!("{b}/providers/Microsoft.Subscription/aliases/a{i}?api-version=2021-10-01")).header("authorization", &a).json(&body)
    })
    .await?;
    report.insert("writeSubscriptions".into(), subs_phase.json());

    // Resources: resource groups in the first subscriptions, then resources in them.
    let snapshot = store.snapshot(&tenant).await?;
    let mut subs: Vec<String> = snapshot
        .tree
        .subscriptions()
        .map(|s| s.id.to_string())
        .collect();
    subs.sort();
    subs.truncate(10);
    if subs.is_empty() {
        return Err(anyhow!(
            "no subscription was created; see the first error above"
        ));
    }
    let subs = Arc::new(subs);
    let n_rgs = 10 * subs.len();
    let (h, b, a, s) = (http.clone(), base.clone(), auth.clone(), subs.clone());
    drive(
        "write: resource groups",
        args.clients,
        Some(n_rgs),
        None,
        move |i| {
            let sub = &s[i % s.len()];
            h.put(format!(
                "{b}/subscriptions/{sub}/resourcegroups/rg{}?api-version=2024-03-01",
                i / s.len()
            ))
            .header("authorization", &a)
            .json(&json!({ "location": "westeurope" }))
        },
    )
    .await?;
    let resource_path = move |subs: &[String], i: usize| {
        let sub = &subs[i % subs.len()];
        format!("/subscriptions/{sub}/resourceGroups/rg{}/providers/Microsoft.Storage/storageAccounts/st{i}", (i / subs.len()) % 10)
    };
    let (h, b, a, s) = (http.clone(), base.clone(), auth.clone(), subs.clone());
    let resources_phase = drive("write: resources", args.clients, Some(args.resources), None, move |i| {
        h.put(format!("{b}{}?api-version=2024-03-01", resource_path(&s, i)))
            .header("authorization", &a)
            .json(&json!({ "location": "westeurope", "kind": "StorageV2", "sku": { "name": "Standard_LRS" }, "tags": { "costCenter": format!("cc{}", i % 7) }, "properties": { "minimumTlsVersion": "TLS1_2" } }))
    })
    .await?;
    report.insert("writeResources".into(), resources_phase.json());

    // Role assignments at subscriptions and groups, to users and groups.
    let snapshot = store.snapshot(&tenant).await?;
    let mut all_subs: Vec<String> = snapshot
        .tree
        .subscriptions()
        .map(|s| s.id.to_string())
        .collect();
    all_subs.sort();
    let all_subs = Arc::new(all_subs);
    let holders: Arc<Vec<String>> = Arc::new(users.iter().chain(groups.iter()).cloned().collect());
    let (h, b, a, s, p, l) = (
        http.clone(),
        base.clone(),
        auth.clone(),
        all_subs.clone(),
        holders.clone(),
        leaves.clone(),
    );
    let ra_phase = drive("write: role assignments", args.clients, Some(args.assignments), None, move |i| {
        let scope = if i % 5 == 0 && !l.is_empty() {
            format!("/providers/Microsoft.Management/managementGroups/{}", l[(i / 5) % l.len()])
        } else {
            format!("/subscriptions/{}", s[(i * 7919) % s.len().max(1)])
        };
        let principal = &p[(i * 104_729) % p.len().max(1)];
        let role = BENCH_ROLES[i % BENCH_ROLES.len()];
        h.put(format!("{b}{scope}/providers/Microsoft.Authorization/roleAssignments/{}?api-version=2022-04-01", uuid::Uuid::new_v4()))
            .header("authorization", &a)
            .json(&json!({ "properties": { "roleDefinitionId": format!("/providers/Microsoft.Authorization/roleDefinitions/{role}"), "principalId": principal } }))
    })
    .await?;
    report.insert("writeRoleAssignments".into(), ra_phase.json());

    // The batch check: 1,000 questions per call, about many principals, actions and scopes.
    let actions = [
        "Microsoft.Resources/subscriptions/resourceGroups/read",
        "Microsoft.Resources/subscriptions/resourceGroups/delete",
        "Microsoft.Authorization/roleAssignments/write",
        "Microsoft.Compute/virtualMachines/start/action",
        "Microsoft.RecoveryServices/Vaults/backupJobs/read",
    ];
    let batches: Arc<Vec<Value>> = Arc::new(
        (0..64)
            .map(|batch| {
                let checks: Vec<Value> = (0..BATCH)
                    .map(|k| {
                        let i = batch * BATCH + k;
                        json!({
                            "principalId": holders[(i * 31) % holders.len().max(1)],
                            "action": actions[i % actions.len()],
                            "scope": format!("/subscriptions/{}/resourceGroups/rg{}", subs[(i * 131) % subs.len()], i % 10),
                        })
                    })
                    .collect();
                json!({ "checks": checks })
            })
            .collect(),
    );
    let (h, b, a, q) = (http.clone(), base.clone(), auth.clone(), batches.clone());
    let batch_phase = drive(
        &format!("read: checkAccess, {BATCH} questions per call"),
        args.clients.min(4),
        None,
        Some(Duration::from_secs(args.read_seconds)),
        move |i| {
            h.post(format!(
                "{b}/providers/Microsoft.Authorization/checkAccess?api-version=2022-04-01"
            ))
            .header("authorization", &a)
            .json(&q[i % q.len()])
        },
    )
    .await?;
    let mut batch_json = batch_phase.json();
    batch_json["checksPerSecond"] = json!((batch_phase.rate() * BATCH as f64).round());
    eprintln!(
        "bench: checkAccess: {:.0} checks/s",
        batch_phase.rate() * BATCH as f64
    );
    report.insert("batchCheck".into(), batch_json);

    // A change in force: a new assignment is written, and the very next check (as soon as the
    // write returns) must see it. Measured: the write, and the first check after it.
    let mut write_hist = histogram()?;
    let mut seen_hist = histogram()?;
    let (mut seen, mut missed) = (0usize, 0usize);
    for i in 0..200usize {
        let principal = &users[(i * 7) % users.len().max(1)];
        let scope = format!(
            "/subscriptions/{}/resourceGroups/rg{}",
            subs[(i * 17) % subs.len()],
            i % 10
        );
        let t0 = Instant::now();
        let written = http
            .put(format!("{base}{scope}/providers/Microsoft.Authorization/roleAssignments/{}?api-version=2022-04-01", uuid::Uuid::new_v4()))
            .header("authorization", &auth)
            .json(&json!({ "properties": { "roleDefinitionId": format!("/providers/Microsoft.Authorization/roleDefinitions/{OWNER}"), "principalId": principal } }))
            .send()
            .await?;
        let _ = write_hist.record(
            u64::try_from(t0.elapsed().as_micros())
                .unwrap_or(u64::MAX)
                .max(1),
        );
        if !written.status().is_success() {
            continue;
        }
        let t1 = Instant::now();
        let answer: Value = http
            .post(format!("{base}/providers/Microsoft.Authorization/checkAccess?api-version=2022-04-01"))
            .header("authorization", &auth)
            .json(&json!({ "checks": [{ "principalId": principal, "action": "Microsoft.Authorization/roleAssignments/write", "scope": scope }] }))
            .send()
            .await?
            .json()
            .await?;
        let _ = seen_hist.record(
            u64::try_from(t1.elapsed().as_micros())
                .unwrap_or(u64::MAX)
                .max(1),
        );
        if answer["value"][0]["allowed"] == json!(true) {
            seen += 1;
        } else {
            missed += 1;
        }
    }
    let in_force = json!({
        "changes": seen + missed,
        "seenByTheNextCheck": seen,
        "missed": missed,
        "writeP50Ms": write_hist.value_at_quantile(0.5) as f64 / 1000.0,
        "writeP99Ms": write_hist.value_at_quantile(0.99) as f64 / 1000.0,
        "nextCheckP50Ms": seen_hist.value_at_quantile(0.5) as f64 / 1000.0,
        "nextCheckP99Ms": seen_hist.value_at_quantile(0.99) as f64 / 1000.0,
    });
    eprintln!("bench: change in force: {in_force}");
    report.insert("changeInForce".into(), in_force);

    // Reads.
    let deep = levels
        .get(2)
        .and_then(|l| l.first())
        .map(|(id, _)| id.clone())
        .unwrap_or(tenant.clone());
    let (h, b, a) = (http.clone(), base.clone(), auth.clone());
    let expand_phase = drive(&format!("read: GET {deep} $expand=children&$recurse=true"), args.clients, None, Some(Duration::from_secs(args.read_seconds)), move |_| {
        h.get(format!("{b}/providers/Microsoft.Management/managementGroups/{deep}?api-version=2021-04-01&$expand=children&$recurse=true")).header("authorization", &a)
    })
    .await?;
    report.insert("readExpandRecurse".into(), expand_phase.json());
    let created = resources_phase.count.max(1);
    let (h, b, a, s) = (http.clone(), base.clone(), auth.clone(), subs.clone());
    let get_phase = drive("read: resource GET", args.clients, None, Some(Duration::from_secs(args.read_seconds)), move |i| {
        let sub = &s[(i * 7919 % created) % s.len()];
        let k = i * 7919 % created;
        h.get(format!("{b}/subscriptions/{sub}/resourceGroups/rg{}/providers/Microsoft.Storage/storageAccounts/st{k}?api-version=2024-03-01", (k / s.len()) % 10))
            .header("authorization", &a)
    })
    .await?;
    report.insert("readResourceGet".into(), get_phase.json());
    server.abort();
    // The per-request freshness check alone: read the tenant's version, compare with the
    // cached hierarchy (one task, no HTTP).
    let mut check = Phase {
        name: "freshness check (tenant version, per request)".into(),
        count: 0,
        errors: 0,
        seconds: 0.0,
        hist: histogram()?,
    };
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(2) {
        let t0 = Instant::now();
        store.snapshot(&tenant).await?;
        let micros = u64::try_from(t0.elapsed().as_nanos() / 1000)
            .unwrap_or(u64::MAX)
            .max(1);
        let _ = check.hist.record(micros);
        check.count += 1;
    }
    check.seconds = started.elapsed().as_secs_f64();
    eprintln!(
        "bench: {:<40} {:>8} ok {:>9.0}/s  p50 {:>7.3} ms  p99 {:>7.3} ms",
        check.name,
        check.count,
        check.rate(),
        check.hist.value_at_quantile(0.5) as f64 / 1000.0,
        check.hist.value_at_quantile(0.99) as f64 / 1000.0
    );
    report.insert("freshnessCheck".into(), check.json());
    let verify = store.verify_audit(&tenant).await?;
    report.insert("auditEvents".into(), json!(verify.n_events));
    report.insert("auditVerified".into(), json!(verify.failure.is_none()));
    println!("{}", serde_json::to_string_pretty(&Value::Object(report))?);
    Ok(std::process::ExitCode::SUCCESS)
}
