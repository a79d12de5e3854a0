//! Tagging rules: tag keys that cost at a scope (and below it) must carry, and the report of
//! the cost that lacks them, per rule: its share of the scope's cost and where it comes from
//! (sub-account and service, largest first).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use leitstand_core::resource_id::Scope;
use leitstand_store::{CostDim, CostFilter, Granularity, Snapshot, Store};

use crate::money::nanos_to_f64;
use crate::query::{self, Grouping, QueryError, ScopeQuery};

/// The most sources of untagged cost a report lists per rule.
pub const MAX_SOURCES: usize = 20;

/// Where untagged cost comes from.
#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    pub sub_account: String,
    pub service: String,
    pub currency: String,
    pub cost: f64,
}

/// One rule's report at one scope.
#[derive(Debug, Clone, PartialEq)]
pub struct Compliance {
    /// Where the rule is set.
    pub rule_scope: String,
    /// Where it was evaluated: the asked scope, or the rule's own scope when that is below it.
    pub scope: String,
    pub tag_key: String,
    /// Per currency: (all cost, cost without the tag).
    pub by_currency: BTreeMap<String, (f64, f64)>,
    /// The largest sources of untagged cost.
    pub sources: Vec<Source>,
}

impl Compliance {
    /// The report as the API and the CLI show it.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "ruleScope": self.rule_scope,
            "scope": self.scope,
            "tagKey": self.tag_key,
            "untaggedShare": self.untagged_share(),
            "costs": self.by_currency.iter().map(|(c, (all, untagged))| serde_json::json!({
                "currency": c, "cost": all, "untaggedCost": untagged,
            })).collect::<Vec<_>>(),
            "untaggedSources": self.sources.iter().map(|s| serde_json::json!({
                "subAccount": s.sub_account, "service": s.service, "currency": s.currency, "cost": s.cost,
            })).collect::<Vec<_>>(),
        })
    }

    /// The untagged share of the cost (all currencies; 0 when there is no cost).
    pub fn untagged_share(&self) -> f64 {
        let (all, untagged) = self
            .by_currency
            .values()
            .fold((0.0, 0.0), |(a, u), (x, y)| (a + x.abs(), u + y.abs()));
        if all > 0.0 {
            untagged / all
        } else {
            0.0
        }
    }
}

/// Tells whether scope `a` is `b` or above it in `snapshot`'s hierarchy.
fn at_or_above(snapshot: &Snapshot, a: &Scope, b: &Scope) -> bool {
    snapshot
        .tree
        .scope_chain(b)
        .iter()
        .any(|s| s.to_string().eq_ignore_ascii_case(&a.to_string()))
}

/// Reports every rule that applies at `scope` (set at it or above it) and every rule set below
/// it (evaluated at its own scope), over the days `from..=to`.
pub async fn compliance(
    store: &Store,
    snapshot: &Snapshot,
    scope: &Scope,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<Compliance>, QueryError> {
    let rules = store.tag_rules(&snapshot.tenant.id).await?;
    let mut out = Vec::new();
    for rule in rules {
        let Ok(rule_scope) = Scope::parse(&rule.scope) else {
            continue;
        };
        let evaluated = if at_or_above(snapshot, &rule_scope, scope) {
            scope.clone()
        } else if at_or_above(snapshot, scope, &rule_scope) {
            rule_scope.clone()
        } else {
            continue;
        };
        let ask = |filter: Option<CostFilter>, grouping: Vec<Grouping>| ScopeQuery {
            scope: evaluated.clone(),
            from,
            to,
            granularity: Granularity::None,
            grouping,
            filter,
        };
        let mut by_currency: BTreeMap<String, (f64, f64)> = BTreeMap::new();
        for row in query::run(store, snapshot, &ask(None, vec![])).await? {
            by_currency.entry(row.currency).or_default().0 += nanos_to_f64(row.sums.billed_nanos);
        }
        let missing = Some(CostFilter::MissingTag(rule.tag_key.clone()));
        let grouping = vec![
            Grouping::Dim(CostDim::SubAccount),
            Grouping::Dim(CostDim::ServiceName),
        ];
        let mut sources = Vec::new();
        for row in query::run(store, snapshot, &ask(missing, grouping)).await? {
            let cost = nanos_to_f64(row.sums.billed_nanos);
            by_currency.entry(row.currency.clone()).or_default().1 += cost;
            sources.push(Source {
                sub_account: row.groups.first().cloned().unwrap_or_default(),
                service: row.groups.get(1).cloned().unwrap_or_default(),
                currency: row.currency,
                cost,
            });
        }
        sources.sort_by(|a, b| b.cost.abs().total_cmp(&a.cost.abs()));
        sources.truncate(MAX_SOURCES);
        out.push(Compliance {
            rule_scope: rule.scope.clone(),
            scope: evaluated.to_string(),
            tag_key: rule.tag_key.clone(),
            by_currency,
            sources,
        });
    }
    Ok(out)
}
