//! Property tests of cost roll-ups on a real store (SQLite): for random hierarchies and random
//! cost rows, a group's cost is the sum of its child scopes' costs, the tenant's cost is the
//! sum of all rows (unmapped sub-accounts included), and grouping by a tag key partitions the
//! total (rows without the tag form the '' group).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test panics on failure"
)]

use std::collections::BTreeMap;

use chrono::{NaiveDate, Utc};
use leitstand_core::ids::{GroupId, SubscriptionId};
use leitstand_core::resource_id::Scope;
use leitstand_core::tree::SubscriptionKind;
use leitstand_costs::query::{self, Grouping, ScopeQuery};
use leitstand_store::{
    tag_set_id, AuditSigner, CostDim, CostLoadRow, DailyKey, DailySums, EventDraft, Granularity,
    Store,
};
use proptest::prelude::*;
use serde_json::json;

const TENANT: &str = "11111111-2222-3333-4444-555555555555";

/// One cost row: its subscription (None: an account the hierarchy does not know), day of
/// March 2026 (0-based), service, `team` tag value, and BilledCost in nano-units.
type Row = (Option<usize>, u32, u8, Option<u8>, i64);

/// A world: groups (each with a parent among the root and earlier groups), subscriptions
/// (each under the root or a group), and cost rows (a subscription or an unknown account,
/// a day, a service, a tag value, an amount in nano-units).
#[derive(Debug, Clone)]
struct World {
    group_parents: Vec<Option<usize>>,
    sub_parents: Vec<Option<usize>>,
    rows: Vec<Row>,
}

fn world() -> impl Strategy<Value = World> {
    (1usize..6, 1usize..7).prop_flat_map(|(n_groups, n_subs)| {
        let parents = (0..n_groups)
            .map(|i| proptest::option::of(0..i.max(1)).prop_map(move |p| p.filter(|&p| p < i)))
            .collect::<Vec<_>>();
        let subs = proptest::collection::vec(proptest::option::of(0..n_groups), n_subs);
        let rows = proptest::collection::vec(
            (
                proptest::option::weighted(0.85, 0..n_subs),
                0u32..10,
                0u8..3,
                proptest::option::of(0u8..3),
                -1_000_000_000i64..50_000_000_000,
            ),
            1..60,
        );
        (parents, subs, rows).prop_map(|(group_parents, sub_parents, rows)| World {
            group_parents,
            sub_parents,
            rows,
        })
    })
}

fn sub_id(i: usize) -> String {
    format!("{:012}", 100_000_000_000u64 + i as u64)
}

fn group_name(i: usize) -> String {
    format!("g{i}")
}

async fn build(world: &World) -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let store = Store::open(
        &url,
        AuditSigner {
            kid: "t".into(),
            key: ed25519_dalek::SigningKey::from_bytes(&[3; 32]),
        },
    )
    .await
    .unwrap();
    store
        .create_tenant(TENANT, "T", Utc::now(), EventDraft::new("t", "/", "t", "c"))
        .await
        .unwrap();
    let mut tx = store.begin_write(TENANT, Utc::now()).await.unwrap();
    for (i, parent) in world.group_parents.iter().enumerate() {
        let parent = parent.map_or(TENANT.to_owned(), group_name);
        tx.insert_group(&GroupId::parse(&group_name(i)).unwrap(), "g", &parent, "t")
            .await
            .unwrap();
    }
    for (i, parent) in world.sub_parents.iter().enumerate() {
        let parent = parent.map_or(TENANT.to_owned(), group_name);
        tx.insert_subscription(
            &SubscriptionId::parse(&sub_id(i)).unwrap(),
            "s",
            SubscriptionKind::Aws,
            &parent,
        )
        .await
        .unwrap();
    }
    // One load holding every row as its own daily aggregate (merged where keys repeat).
    let mut daily: BTreeMap<DailyKey, DailySums> = BTreeMap::new();
    let mut tag_sets = BTreeMap::new();
    for (sub, day, service, tag, nanos) in &world.rows {
        let tags: Vec<(String, String)> = tag
            .map(|t| vec![("team".to_owned(), format!("t{t}"))])
            .unwrap_or_default();
        let tag_set = tag_set_id(&tags);
        if tag_set != 0 {
            tag_sets.insert(tag_set, tags);
        }
        let key = DailyKey {
            billing_account_id: "ba".into(),
            period: "2026-03".into(),
            day: format!("2026-03-{:02}", day + 1),
            sub_account: sub.map_or("999999999999".to_owned(), sub_id),
            resource_group: String::new(),
            service_name: format!("svc{service}"),
            service_category: "Compute".into(),
            region: String::new(),
            charge_category: "Usage".into(),
            pricing_category: String::new(),
            commitment_discount_id: String::new(),
            currency: "EUR".into(),
            tag_set,
        };
        let sums = daily.entry(key).or_default();
        sums.billed_nanos += nanos;
        sums.effective_nanos += nanos;
        sums.n_rows += 1;
    }
    let daily: Vec<_> = daily.into_iter().collect();
    let tag_sets: Vec<_> = tag_sets.into_iter().collect();
    let load = CostLoadRow {
        billing_account_id: "ba".into(),
        period: "2026-03".into(),
        load_id: "l".into(),
        sources: json!([]),
        n_rows: world.rows.len() as i64,
        totals: json!({}),
        detail_path: String::new(),
        loaded_at: "2026-03-31T00:00:00Z".into(),
        loaded_by: "t".into(),
    };
    tx.replace_cost_load(&load, &daily, &tag_sets)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    (dir, store)
}

async fn cost(store: &Store, scope: Scope, grouping: Vec<Grouping>) -> Vec<(Vec<String>, i64)> {
    let snapshot = store.snapshot(TENANT).await.unwrap();
    let rows = query::run(
        store,
        &snapshot,
        &ScopeQuery {
            scope,
            from: NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
            to: NaiveDate::from_ymd_opt(2026, 3, 31).unwrap(),
            granularity: Granularity::None,
            grouping,
            filter: None,
        },
    )
    .await
    .unwrap();
    rows.into_iter()
        .map(|r| (r.groups, r.sums.billed_nanos))
        .collect()
}

fn total(rows: &[(Vec<String>, i64)]) -> i64 {
    rows.iter().map(|(_, n)| n).sum()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, .. ProptestConfig::default() })]

    #[test]
    fn roll_ups_add_up(world in world()) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let (_dir, store) = build(&world).await;
            let everything: i64 = world.rows.iter().map(|r| r.4).sum();
            // The tenant and its root group: every row.
            prop_assert_eq!(total(&cost(&store, Scope::Root, vec![]).await), everything);
            let root = Scope::ManagementGroup(GroupId::parse(TENANT).unwrap());
            prop_assert_eq!(total(&cost(&store, root.clone(), vec![]).await), everything);
            // Every scope: its cost is the sum of its children's.
            let mut scopes = vec![root];
            scopes.extend((0..world.group_parents.len()).map(|i| Scope::ManagementGroup(GroupId::parse(&group_name(i)).unwrap())));
            for scope in scopes {
                let whole = total(&cost(&store, scope.clone(), vec![]).await);
                let children = cost(&store, scope.clone(), vec![Grouping::ChildScope]).await;
                prop_assert_eq!(total(&children), whole, "children of {}", scope);
                // And equal to the rows of the subscriptions below it, computed here.
                let below: i64 = world.rows.iter().filter(|(sub, ..)| match (&scope, sub) {
                    (Scope::ManagementGroup(g), Some(s)) if g.as_str() == TENANT => { let _ = s; true }
                    (Scope::ManagementGroup(g), None) => g.as_str() == TENANT,
                    (Scope::ManagementGroup(g), Some(s)) => {
                        let mut at = world.sub_parents[*s];
                        loop {
                            match at {
                                Some(i) if group_name(i) == g.as_str() => break true,
                                Some(i) => at = world.group_parents[i],
                                None => break false,
                            }
                        }
                    }
                    _ => false,
                }).map(|r| r.4).sum();
                prop_assert_eq!(whole, below, "cost of {}", scope);
            }
            // Grouping by a tag key, or by service, partitions the total.
            let by_tag = cost(&store, Scope::Root, vec![Grouping::Dim(CostDim::Tag("Team".into()))]).await;
            prop_assert_eq!(total(&by_tag), everything);
            let untagged: i64 = world.rows.iter().filter(|r| r.3.is_none()).map(|r| r.4).sum();
            let untagged_group: i64 = by_tag.iter().filter(|(g, _)| g[0].is_empty()).map(|(_, n)| n).sum();
            prop_assert_eq!(untagged_group, untagged);
            let by_service = cost(&store, Scope::Root, vec![Grouping::Dim(CostDim::ServiceName)]).await;
            prop_assert_eq!(total(&by_service), everything);
            Ok(())
        })?;
    }
}
