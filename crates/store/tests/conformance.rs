//! The store's behaviour, the same on SQLite and PostgreSQL: writes commit with their events
//! or not at all, the tenant version moves with every write, and a second store on the same
//! database sees a committed change at once.
//!
//! PostgreSQL runs when `LEITSTAND_TEST_DATABASE_URL` is set (`./test.sh` sets it); with
//! `CI=true` its absence fails the suite.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test panics on failure"
)]

use chrono::Utc;
use leitstand_core::ids::GroupId;
use leitstand_store::{AuditSigner, EventDraft, Store};
use sqlx::Connection;

async fn database_url(postgres: bool, dir: &std::path::Path) -> Option<String> {
    if !postgres {
        return Some(format!("sqlite://{}", dir.join("store.db").display()));
    }
    let admin = match std::env::var("LEITSTAND_TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => url,
        _ if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("LEITSTAND_TEST_DATABASE_URL must be set in CI")
        }
        _ => return None,
    };
    let name = format!("leitstand_store_{}", uuid::Uuid::new_v4().simple());
    let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .unwrap();
    Some(format!("{}/{name}", admin.rsplit_once('/').unwrap().0))
}

fn signer() -> AuditSigner {
    AuditSigner {
        kid: "test".into(),
        key: ed25519_dalek::SigningKey::from_bytes(&[7; 32]),
    }
}

async fn open(url: &str) -> Store {
    let store = Store::open(url, signer()).await.unwrap();
    store
        .register_public_key(&leitstand_store::SigningKeyRow {
            kid: "test".into(),
            purpose: "audit".into(),
            public_key: signer().key.verifying_key().to_bytes().to_vec(),
            created_at: leitstand_store::format_time(Utc::now()),
        })
        .await
        .unwrap();
    store
}

fn event(op: &str) -> EventDraft {
    EventDraft::new(op, "/", "test", "corr")
}

const TENANT: &str = "11111111-2222-3333-4444-555555555555";

async fn writes_commit_with_their_events_or_not_at_all(postgres: bool) {
    let dir = tempfile::tempdir().unwrap();
    let Some(url) = database_url(postgres, dir.path()).await else {
        return;
    };
    let store = open(&url).await;
    store
        .create_tenant(TENANT, "T", Utc::now(), event("tenant"))
        .await
        .unwrap();
    let v0 = store.snapshot(TENANT).await.unwrap().version;
    // A committed write: the group, its event, a new version.
    let mut tx = store.begin_write(TENANT, Utc::now()).await.unwrap();
    tx.insert_group(&GroupId::parse("kept").unwrap(), "Kept", TENANT, "test")
        .await
        .unwrap();
    tx.append_event(event("write")).await.unwrap();
    tx.commit().await.unwrap();
    let snapshot = store.snapshot(TENANT).await.unwrap();
    assert!(snapshot.tree.contains_group("kept"));
    assert_eq!(snapshot.version, v0 + 1);
    // A dropped write: neither the group nor its event, and the cache is not touched.
    let mut tx = store.begin_write(TENANT, Utc::now()).await.unwrap();
    tx.insert_group(&GroupId::parse("lost").unwrap(), "Lost", TENANT, "test")
        .await
        .unwrap();
    tx.append_event(event("write")).await.unwrap();
    assert!(
        tx.snapshot().tree.contains_group("lost"),
        "the transaction sees its own change"
    );
    drop(tx);
    let snapshot = store.snapshot(TENANT).await.unwrap();
    assert!(!snapshot.tree.contains_group("lost"));
    let events = store
        .query_events(TENANT, &Default::default())
        .await
        .unwrap();
    assert_eq!(
        events.len(),
        2,
        "the tenant's event and the kept write's event"
    );
    let report = store.verify_audit(TENANT).await.unwrap();
    assert!(report.failure.is_none(), "{:?}", report.failure);
    assert_eq!(report.n_events, 2);
}

async fn a_second_store_sees_committed_changes_at_once(postgres: bool) {
    let dir = tempfile::tempdir().unwrap();
    let Some(url) = database_url(postgres, dir.path()).await else {
        return;
    };
    let a = open(&url).await;
    let b = open(&url).await;
    a.create_tenant(TENANT, "T", Utc::now(), event("tenant"))
        .await
        .unwrap();
    assert!(b
        .snapshot(TENANT)
        .await
        .unwrap()
        .tree
        .contains_group(TENANT));
    for n in 0..10 {
        let (writer, reader) = if n % 2 == 0 { (&a, &b) } else { (&b, &a) };
        let id = GroupId::parse(&format!("g{n}")).unwrap();
        let mut tx = writer.begin_write(TENANT, Utc::now()).await.unwrap();
        tx.insert_group(&id, "G", TENANT, "test").await.unwrap();
        tx.append_event(event("write")).await.unwrap();
        tx.commit().await.unwrap();
        assert!(
            reader
                .snapshot(TENANT)
                .await
                .unwrap()
                .tree
                .contains_group(&id.key()),
            "write {n} not seen by the other store"
        );
    }
    assert!(a.verify_audit(TENANT).await.unwrap().failure.is_none());
}

async fn tampering_is_found_and_named(postgres: bool) {
    let dir = tempfile::tempdir().unwrap();
    let Some(url) = database_url(postgres, dir.path()).await else {
        return;
    };
    let store = open(&url).await;
    store
        .create_tenant(TENANT, "T", Utc::now(), event("tenant"))
        .await
        .unwrap();
    for _ in 0..4 {
        let mut tx = store.begin_write(TENANT, Utc::now()).await.unwrap();
        tx.append_event(event("write")).await.unwrap();
        tx.commit().await.unwrap();
    }
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(&url).await.unwrap();
    sqlx::query(
        "UPDATE events SET content = REPLACE(content, '\"write\"', '\"delete\"') WHERE seq = 3",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    let report = store.verify_audit(TENANT).await.unwrap();
    assert_eq!(
        report.failure.as_ref().and_then(|f| f.seq),
        Some(3),
        "{:?}",
        report.failure
    );
    sqlx::query("DELETE FROM events WHERE seq = 5")
        .execute(&mut conn)
        .await
        .unwrap();
    sqlx::query(
        "UPDATE events SET content = REPLACE(content, '\"delete\"', '\"write\"') WHERE seq = 3",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    let report = store.verify_audit(TENANT).await.unwrap();
    assert!(
        report.failure.is_some(),
        "a removed last event is found against the signed head"
    );
}

/// A query over more sub-accounts than a statement can take parameters (a management group
/// high in a hierarchy of 40,000 subscriptions) answers like a small one.
async fn cost_queries_take_any_number_of_sub_accounts(postgres: bool) {
    use leitstand_store::{CostLoadRow, CostQuery, DailyKey, DailySums, Granularity};
    let dir = tempfile::tempdir().unwrap();
    let Some(url) = database_url(postgres, dir.path()).await else {
        return;
    };
    let store = open(&url).await;
    store
        .create_tenant(TENANT, "T", Utc::now(), event("tenant"))
        .await
        .unwrap();
    let sub = |i: usize| format!("00000000-0000-0000-0000-{i:012}");
    // 300 sub-accounts with cost i nano-units each.
    let daily: Vec<(DailyKey, DailySums)> = (0..300)
        .map(|i| {
            (
                DailyKey {
                    billing_account_id: "ba".into(),
                    period: "2026-01".into(),
                    day: "2026-01-05".into(),
                    sub_account: sub(i),
                    resource_group: String::new(),
                    service_name: "svc".into(),
                    service_category: "Compute".into(),
                    region: String::new(),
                    charge_category: "Usage".into(),
                    pricing_category: String::new(),
                    commitment_discount_id: String::new(),
                    currency: "EUR".into(),
                    tag_set: 0,
                },
                DailySums {
                    billed_nanos: i as i64,
                    effective_nanos: i as i64,
                    list_nanos: i as i64,
                    contracted_nanos: i as i64,
                    n_rows: 1,
                },
            )
        })
        .collect();
    let mut tx = store.begin_write(TENANT, Utc::now()).await.unwrap();
    tx.replace_cost_load(
        &CostLoadRow {
            billing_account_id: "ba".into(),
            period: "2026-01".into(),
            load_id: "load".into(),
            sources: serde_json::json!([]),
            n_rows: 300,
            totals: serde_json::json!({}),
            detail_path: String::new(),
            loaded_at: leitstand_store::format_time(Utc::now()),
            loaded_by: "test".into(),
        },
        &daily,
        &[],
    )
    .await
    .unwrap();
    tx.append_event(event("load")).await.unwrap();
    tx.commit().await.unwrap();
    let total = |subs: Vec<String>| {
        let store = &store;
        async move {
            let rows = store
                .cost_query(
                    TENANT,
                    &CostQuery {
                        from_day: "2026-01-01".into(),
                        to_day: "2026-01-31".into(),
                        sub_accounts: Some(subs),
                        granularity: Granularity::None,
                        group_by: vec![],
                        filter: None,
                    },
                )
                .await
                .unwrap();
            rows.iter().map(|r| r.sums.billed_nanos).sum::<i64>()
        }
    };
    // Inline (few) and as one list (many, beyond SQLite's 32,766 parameters).
    assert_eq!(total((0..10).map(sub).collect()).await, 45);
    assert_eq!(total((0..40_000).map(sub).collect()).await, 299 * 300 / 2);
    assert_eq!(
        total((150..40_000).map(sub).collect()).await,
        (150..300).sum::<i64>()
    );
}

async fn metric_samples_replace_instead_of_doubling(postgres: bool) {
    let dir = tempfile::tempdir().unwrap();
    let Some(url) = database_url(postgres, dir.path()).await else {
        return;
    };
    let store = open(&url).await;
    store
        .create_tenant(TENANT, "T", Utc::now(), event("tenant"))
        .await
        .unwrap();
    let sample = |id: &str, hour: u32, value: f64| leitstand_store::MetricSampleRow {
        resource_id: id.into(),
        metric: "Percentage CPU".into(),
        aggregation: "Maximum".into(),
        sampled_at: format!("2026-10-30T{hour:02}:00:00.000000Z"),
        value,
    };
    let write = |samples: Vec<leitstand_store::MetricSampleRow>| {
        let store = &store;
        async move {
            let mut tx = store.begin_write(TENANT, Utc::now()).await.unwrap();
            let n = tx.put_metric_samples(&samples).await.unwrap();
            tx.append_event(event("metrics")).await.unwrap();
            tx.commit().await.unwrap();
            n
        }
    };
    write(vec![sample("/s/VM1", 1, 2.5), sample("/s/vm1", 2, 0.1)]).await;
    // The same samples again (the id in another case), one changed and one new.
    write(vec![sample("/S/vm1", 1, 3.25), sample("/s/vm1", 3, 99.0)]).await;
    let stored = store.metric_samples(TENANT, "").await.unwrap();
    let values: Vec<(String, f64)> = stored
        .iter()
        .map(|s| (s.sampled_at.clone(), s.value))
        .collect();
    assert_eq!(
        values,
        vec![
            ("2026-10-30T01:00:00.000000Z".to_owned(), 3.25),
            ("2026-10-30T02:00:00.000000Z".to_owned(), 0.1),
            ("2026-10-30T03:00:00.000000Z".to_owned(), 99.0),
        ]
    );
    assert_eq!(
        store.latest_metric_sample(TENANT).await.unwrap().as_deref(),
        Some("2026-10-30T03:00:00.000000Z")
    );
    let recent = store
        .metric_samples(TENANT, "2026-10-30T02:00:00.000000Z")
        .await
        .unwrap();
    assert_eq!(recent.len(), 2);
}

macro_rules! on_both {
    ($name:ident) => {
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                super::$name(false).await
            }
            #[tokio::test]
            async fn postgres() {
                super::$name(true).await
            }
        }
    };
}

on_both!(writes_commit_with_their_events_or_not_at_all);
on_both!(a_second_store_sees_committed_changes_at_once);
on_both!(tampering_is_found_and_named);
on_both!(cost_queries_take_any_number_of_sub_accounts);
on_both!(metric_samples_replace_instead_of_doubling);
