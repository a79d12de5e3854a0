//! Cost queries at a scope of the hierarchy.
//!
//! A scope's cost is the cost of the sub-accounts (subscriptions, AWS accounts) below it: a
//! management group's are those of every group below it, a subscription's its own, a resource
//! group's the rows of its subscription with that resource group. The tenant (`/`) and its root
//! group also hold the rows whose sub-account the hierarchy does not know ("unmapped"), so a
//! customer's total is all its cost.
//!
//! The database groups and sums ([`leitstand_store::Store::cost_query`]); this module picks the
//! sub-accounts of the scope, and, when the answer is grouped by child scope, maps each
//! sub-account to the child of the scope it sits under and adds those up.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use leitstand_core::resource_id::Scope;
use leitstand_core::tree::TenantTree;
use leitstand_store::{
    CostDim, CostFilter, CostQuery, CostQueryRow, DailySums, Granularity, Snapshot, Store,
    StoreError,
};

/// The label of rows whose sub-account the hierarchy does not know, when grouped by child scope.
pub const UNMAPPED: &str = "(unmapped)";

/// The label of rows of a subscription that name no resource group, grouped by child scope.
pub const NO_RESOURCE_GROUP: &str = "(no resource group)";

/// What a query groups by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Grouping {
    /// The child of the query's scope each cost belongs to: a management group or subscription
    /// under a group, a resource group under a subscription.
    ChildScope,
    Dim(CostDim),
}

/// A question about a scope's cost.
#[derive(Debug, Clone)]
pub struct ScopeQuery {
    pub scope: Scope,
    pub from: NaiveDate,
    /// Inclusive.
    pub to: NaiveDate,
    pub granularity: Granularity,
    pub grouping: Vec<Grouping>,
    pub filter: Option<CostFilter>,
}

/// One row of an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerRow {
    /// `YYYY-MM-DD`, `YYYY-MM` or ''.
    pub bucket: String,
    /// The values of the query's groupings, in order.
    pub groups: Vec<String>,
    pub currency: String,
    pub sums: DailySums,
}

/// Why a query cannot be answered.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    #[error("scope `{0}` was not found")]
    ScopeNotFound(String),
    #[error("{0}")]
    Unsupported(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Returns every subscription key (lowercase id) under a group, its own and its descendants'.
pub fn subscriptions_under(tree: &TenantTree, group_key: &str) -> Vec<String> {
    let mut groups = vec![group_key.to_owned()];
    groups.extend(tree.descendant_groups(group_key));
    groups
        .iter()
        .filter_map(|g| tree.group(g))
        .flat_map(|g| g.subscriptions.iter().cloned())
        .collect()
}

/// What the store is asked for a scope: the sub-accounts (`None`: all of the tenant's) and a
/// filter the scope adds.
fn scope_rows(
    tree: &TenantTree,
    scope: &Scope,
) -> Result<(Option<Vec<String>>, Option<CostFilter>), QueryError> {
    match scope {
        Scope::Root => Ok((None, None)),
        Scope::ManagementGroup(g) => {
            let key = g.key();
            if tree.group(&key).is_none() {
                return Err(QueryError::ScopeNotFound(scope.to_string()));
            }
            if key == tree.root_key() {
                return Ok((None, None));
            }
            Ok((Some(subscriptions_under(tree, &key)), None))
        }
        Scope::Subscription(s) => {
            let key = s.as_str().to_lowercase();
            if tree.subscription(&key).is_none() {
                return Err(QueryError::ScopeNotFound(scope.to_string()));
            }
            Ok((Some(vec![key]), None))
        }
        Scope::ResourceGroup(s, rg) => {
            let key = s.as_str().to_lowercase();
            if tree.subscription(&key).is_none() {
                return Err(QueryError::ScopeNotFound(scope.to_string()));
            }
            Ok((
                Some(vec![key]),
                Some(CostFilter::In(
                    CostDim::ResourceGroup,
                    vec![rg.as_str().to_lowercase()],
                )),
            ))
        }
        Scope::Resource(_) => Err(QueryError::Unsupported(
            "cost is answered at a management group, subscription or resource group; \
             filter by ResourceId there"
                .into(),
        )),
    }
}

/// Maps each sub-account to the child of `scope` it sits under, and says how to label a row.
struct ChildMap {
    by_sub_account: HashMap<String, String>,
    /// Under a subscription the child is the resource group.
    resource_groups_of: Option<String>,
}

impl ChildMap {
    fn new(tree: &TenantTree, scope: &Scope) -> Result<ChildMap, QueryError> {
        let group_key = match scope {
            Scope::Root => tree.root_key().to_owned(),
            Scope::ManagementGroup(g) => g.key(),
            Scope::Subscription(s) => {
                return Ok(ChildMap {
                    by_sub_account: HashMap::new(),
                    resource_groups_of: Some(s.as_str().to_owned()),
                })
            }
            Scope::ResourceGroup(..) | Scope::Resource(_) => {
                return Err(QueryError::Unsupported(
                    "grouping by child scope needs a management group or subscription scope".into(),
                ))
            }
        };
        let group = tree
            .group(&group_key)
            .ok_or_else(|| QueryError::ScopeNotFound(scope.to_string()))?;
        let mut by_sub_account = HashMap::new();
        for child in &group.child_groups {
            let Some(node) = tree.group(child) else {
                continue;
            };
            let label = Scope::ManagementGroup(node.id.clone()).to_string();
            for sub in subscriptions_under(tree, child) {
                by_sub_account.insert(sub, label.clone());
            }
        }
        for sub in &group.subscriptions {
            if let Some(node) = tree.subscription(sub) {
                by_sub_account.insert(
                    sub.clone(),
                    Scope::Subscription(node.id.clone()).to_string(),
                );
            }
        }
        Ok(ChildMap {
            by_sub_account,
            resource_groups_of: None,
        })
    }

    fn label(&self, sub_account: &str, resource_group: &str) -> String {
        match &self.resource_groups_of {
            Some(_) if resource_group.is_empty() => NO_RESOURCE_GROUP.to_owned(),
            Some(subscription) => {
                format!("/subscriptions/{subscription}/resourceGroups/{resource_group}")
            }
            None => self
                .by_sub_account
                .get(sub_account)
                .cloned()
                .unwrap_or_else(|| UNMAPPED.to_owned()),
        }
    }
}

fn add(into: &mut DailySums, from: &DailySums) {
    into.billed_nanos = into.billed_nanos.saturating_add(from.billed_nanos);
    into.effective_nanos = into.effective_nanos.saturating_add(from.effective_nanos);
    into.list_nanos = into.list_nanos.saturating_add(from.list_nanos);
    into.contracted_nanos = into.contracted_nanos.saturating_add(from.contracted_nanos);
    into.n_rows = into.n_rows.saturating_add(from.n_rows);
}

/// Answers a query on one tenant as of `snapshot`.
pub async fn run(
    store: &Store,
    snapshot: &Snapshot,
    query: &ScopeQuery,
) -> Result<Vec<AnswerRow>, QueryError> {
    let tree = &snapshot.tree;
    let (sub_accounts, scope_filter) = scope_rows(tree, &query.scope)?;
    let filter = match (scope_filter, query.filter.clone()) {
        (Some(a), Some(b)) => Some(CostFilter::And(vec![a, b])),
        (a, b) => a.or(b),
    };
    let child_at = query
        .grouping
        .iter()
        .position(|g| *g == Grouping::ChildScope);
    let children = match child_at {
        Some(_) => Some(ChildMap::new(tree, &query.scope)?),
        None => None,
    };
    // The store groups by the dimensions; the child scope is computed from the sub-account
    // (and the resource group under a subscription), added at the end of the store's grouping.
    let mut group_by: Vec<CostDim> = query
        .grouping
        .iter()
        .filter_map(|g| match g {
            Grouping::Dim(d) => Some(d.clone()),
            Grouping::ChildScope => None,
        })
        .collect();
    let n_dims = group_by.len();
    if children.is_some() {
        group_by.push(CostDim::SubAccount);
        group_by.push(CostDim::ResourceGroup);
    }
    let store_query = CostQuery {
        from_day: query.from.format("%Y-%m-%d").to_string(),
        to_day: query.to.format("%Y-%m-%d").to_string(),
        sub_accounts,
        granularity: query.granularity,
        group_by,
        filter,
    };
    let rows = store.cost_query(&snapshot.tenant.id, &store_query).await?;
    let (Some(children), Some(child_at)) = (children, child_at) else {
        return Ok(rows.into_iter().map(answer_row).collect());
    };
    let mut merged: BTreeMap<(String, Vec<String>, String), DailySums> = BTreeMap::new();
    for row in rows {
        let sub_account = row.dims.get(n_dims).map(String::as_str).unwrap_or_default();
        let resource_group = row
            .dims
            .get(n_dims + 1)
            .map(String::as_str)
            .unwrap_or_default();
        let label = children.label(sub_account, resource_group);
        let mut groups: Vec<String> = row.dims.iter().take(n_dims).cloned().collect();
        groups.insert(child_at.min(groups.len()), label);
        let sums = merged
            .entry((row.bucket, groups, row.currency))
            .or_default();
        add(sums, &row.sums);
    }
    Ok(merged
        .into_iter()
        .map(|((bucket, groups, currency), sums)| AnswerRow {
            bucket,
            groups,
            currency,
            sums,
        })
        .collect())
}

fn answer_row(row: CostQueryRow) -> AnswerRow {
    AnswerRow {
        bucket: row.bucket,
        groups: row.dims,
        currency: row.currency,
        sums: row.sums,
    }
}

/// A sub-account that has cost but no place in the hierarchy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unmapped {
    pub sub_account: String,
    pub currency: String,
    pub first_day: String,
    pub last_day: String,
    pub sums: DailySums,
}

/// Lists the sub-accounts of a tenant's cost data that the hierarchy does not know.
pub async fn unmapped(store: &Store, snapshot: &Snapshot) -> Result<Vec<Unmapped>, QueryError> {
    let rows = store.cost_by_sub_account(&snapshot.tenant.id).await?;
    Ok(rows
        .into_iter()
        .filter(|r| snapshot.tree.subscription(&r.sub_account).is_none())
        .map(|r| Unmapped {
            sub_account: r.sub_account,
            currency: r.currency,
            first_day: r.first_day,
            last_day: r.last_day,
            sums: r.sums,
        })
        .collect())
}
