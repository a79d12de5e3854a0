//! One tenant's governance hierarchy (management groups and subscriptions) and Azure's rules
//! for changing it: at most 10,000 groups, at most six levels below the root, exactly one
//! parent, no cycles, an immovable and undeletable root, no delete of a group with children.
//!
//! The tree is an in-memory model the store loads and keeps current; it does no I/O. Keys are
//! lowercase group ids and canonical subscription ids.

use im::{HashMap, OrdSet as BTreeSet};

use crate::error::ErrorCode;
use crate::ids::{GroupId, SubscriptionId};

/// Most management groups in one tenant (Azure's limit).
pub const MAX_GROUPS: usize = 10_000;
/// Most levels of management groups below the root; the root and subscriptions not counted.
pub const MAX_DEPTH: usize = 6;

/// A management group in the tree.
#[derive(Debug, Clone)]
pub struct GroupNode {
    pub id: GroupId,
    pub display_name: String,
    /// Last change: time (RFC 3339) and the principal that made it.
    pub updated_at: String,
    pub updated_by: String,
    /// The parent's key; `None` only for the root.
    pub parent: Option<String>,
    pub child_groups: BTreeSet<String>,
    pub subscriptions: BTreeSet<String>,
}

/// A subscription (or AWS account) in the tree.
#[derive(Debug, Clone)]
pub struct SubscriptionNode {
    pub id: SubscriptionId,
    pub display_name: String,
    pub kind: SubscriptionKind,
    pub parent: String,
}

/// Which cloud a subscription-level node belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubscriptionKind {
    /// An Azure subscription (GUID id).
    Azure,
    /// An AWS account (12-digit id).
    Aws,
}

impl SubscriptionKind {
    /// Returns the stored and wire name: `azure` or `aws`.
    pub fn as_str(self) -> &'static str {
        match self {
            SubscriptionKind::Azure => "azure",
            SubscriptionKind::Aws => "aws",
        }
    }

    /// Parses `azure` or `aws`, case-insensitively.
    pub fn parse(text: &str) -> Option<Self> {
        match text.to_ascii_lowercase().as_str() {
            "azure" => Some(SubscriptionKind::Azure),
            "aws" => Some(SubscriptionKind::Aws),
            _ => None,
        }
    }
}

/// A stored management-group row, as the store hands it to `TenantTree::from_rows`.
#[derive(Debug, Clone)]
pub struct GroupRow {
    pub id: GroupId,
    pub display_name: String,
    pub parent: Option<String>,
    pub updated_at: String,
    pub updated_by: String,
}

/// A stored subscription row, as the store hands it to `TenantTree::from_rows`.
#[derive(Debug, Clone)]
pub struct SubscriptionRow {
    pub id: SubscriptionId,
    pub display_name: String,
    pub kind: SubscriptionKind,
    pub parent: String,
}

/// Why a hierarchy change was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TreeError {
    #[error("management group `{0}` was not found")]
    GroupNotFound(String),
    #[error("subscription `{0}` was not found")]
    SubscriptionNotFound(String),
    #[error("the tenant already has {MAX_GROUPS} management groups, the most a tenant may have")]
    TooManyGroups,
    #[error("moving or creating management group `{group}` under `{parent}` would put a group at level {level}, but at most {MAX_DEPTH} levels below the root are allowed")]
    TooDeep {
        group: String,
        parent: String,
        level: usize,
    },
    #[error("management group `{group}` cannot be moved under `{parent}`, which is the group itself or one of its descendants")]
    Cycle { group: String, parent: String },
    #[error("the root management group `{0}` cannot be moved, deleted or given a parent")]
    RootImmutable(String),
    #[error("management group `{group}` has {n_groups} child groups and {n_subscriptions} subscriptions; move or delete them first")]
    HasChildren {
        group: String,
        n_groups: usize,
        n_subscriptions: usize,
    },
    #[error("management group `{0}` already exists")]
    GroupExists(String),
}

impl TreeError {
    /// Returns the ARM error code for this refusal.
    pub fn code(&self) -> ErrorCode {
        match self {
            TreeError::GroupNotFound(_) => ErrorCode::NotFound,
            TreeError::SubscriptionNotFound(_) => ErrorCode::SubscriptionNotFound,
            TreeError::TooManyGroups => ErrorCode::ManagementGroupLimitExceeded,
            TreeError::TooDeep { .. } => ErrorCode::ManagementGroupDepthExceeded,
            TreeError::Cycle { .. } => ErrorCode::ManagementGroupCycle,
            TreeError::RootImmutable(_) => ErrorCode::RootManagementGroupImmutable,
            TreeError::HasChildren { .. } => ErrorCode::ManagementGroupHasChildren,
            TreeError::GroupExists(_) => ErrorCode::Conflict,
        }
    }
}

/// A tenant's hierarchy.
#[derive(Debug, Clone)]
pub struct TenantTree {
    root: String,
    groups: HashMap<String, GroupNode>,
    subscriptions: HashMap<String, SubscriptionNode>,
}

impl TenantTree {
    /// Creates a tree with only the root group.
    pub fn new(root: GroupId, display_name: String) -> Self {
        let key = root.key();
        let mut groups = HashMap::new();
        groups.insert(
            key.clone(),
            GroupNode {
                id: root,
                display_name,
                updated_at: String::new(),
                updated_by: String::new(),
                parent: None,
                child_groups: BTreeSet::new(),
                subscriptions: BTreeSet::new(),
            },
        );
        Self {
            root: key,
            groups,
            subscriptions: HashMap::new(),
        }
    }

    /// Builds a tree from stored rows; rows whose parent is missing hang under the root, and
    /// the repairs are returned as diagnostics.
    pub fn from_rows(
        root: GroupId,
        groups: impl IntoIterator<Item = GroupRow>,
        subscriptions: impl IntoIterator<Item = SubscriptionRow>,
    ) -> (Self, Vec<String>) {
        let mut tree = Self::new(root, String::new());
        let mut diagnostics = Vec::new();
        let mut pending = Vec::new();
        for row in groups {
            let key = row.id.key();
            if key == tree.root {
                if let Some(root) = tree.groups.get_mut(&key) {
                    root.id = row.id;
                    root.display_name = row.display_name;
                    root.updated_at = row.updated_at;
                    root.updated_by = row.updated_by;
                }
                continue;
            }
            pending.push((key.clone(), row.parent.clone()));
            tree.groups.insert(
                key,
                GroupNode {
                    id: row.id,
                    display_name: row.display_name,
                    updated_at: row.updated_at,
                    updated_by: row.updated_by,
                    parent: row.parent,
                    child_groups: BTreeSet::new(),
                    subscriptions: BTreeSet::new(),
                },
            );
        }
        for (key, parent) in pending {
            let parent = match parent {
                Some(p) if tree.groups.contains_key(&p) && p != key => p,
                other => {
                    diagnostics.push(format!("management group `{key}` had parent {other:?}, which does not exist; placed under the root"));
                    tree.root.clone()
                }
            };
            if let Some(node) = tree.groups.get_mut(&key) {
                node.parent = Some(parent.clone());
            }
            if let Some(p) = tree.groups.get_mut(&parent) {
                p.child_groups.insert(key);
            }
        }
        for row in subscriptions {
            let parent = if tree.groups.contains_key(&row.parent) {
                row.parent
            } else {
                tree.root.clone()
            };
            let key = row.id.as_str().to_owned();
            if let Some(p) = tree.groups.get_mut(&parent) {
                p.subscriptions.insert(key.clone());
            }
            tree.subscriptions.insert(
                key,
                SubscriptionNode {
                    id: row.id,
                    display_name: row.display_name,
                    kind: row.kind,
                    parent,
                },
            );
        }
        (tree, diagnostics)
    }

    /// Returns the root group's key.
    pub fn root_key(&self) -> &str {
        &self.root
    }

    /// Returns the root group.
    pub fn root(&self) -> Option<&GroupNode> {
        self.groups.get(&self.root)
    }

    /// Returns a group by key (lowercase id).
    pub fn group(&self, key: &str) -> Option<&GroupNode> {
        self.groups.get(key)
    }

    /// Returns a subscription by canonical id.
    pub fn subscription(&self, id: &str) -> Option<&SubscriptionNode> {
        self.subscriptions.get(id)
    }

    /// Returns every group.
    pub fn groups(&self) -> impl Iterator<Item = &GroupNode> {
        self.groups.values()
    }

    /// Returns the number of groups, the root included.
    pub fn n_groups(&self) -> usize {
        self.groups.len()
    }

    /// Returns the keys of the ancestors of a group or subscription parent chain, nearest
    /// first, ending with the root; `start` itself is not included.
    pub fn ancestors(&self, start: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut cursor = self.groups.get(start).and_then(|g| g.parent.clone());
        while let Some(key) = cursor {
            if out.len() > MAX_GROUPS {
                break;
            }
            cursor = self.groups.get(&key).and_then(|g| g.parent.clone());
            out.push(key);
        }
        out
    }

    /// Returns the ancestors of a subscription: its parent group first, the root last.
    pub fn subscription_ancestors(&self, id: &str) -> Vec<String> {
        match self.subscriptions.get(id) {
            Some(sub) => {
                let mut out = vec![sub.parent.clone()];
                out.extend(self.ancestors(&sub.parent));
                out
            }
            None => Vec::new(),
        }
    }

    /// Returns the level of a group: 0 for the root, 1 for its children.
    pub fn depth(&self, key: &str) -> usize {
        self.ancestors(key).len()
    }

    /// Returns how many levels of groups hang below a group (0 if it has no child groups).
    pub fn height(&self, key: &str) -> usize {
        let mut height = 0;
        let mut level = vec![key.to_owned()];
        while !level.is_empty() && height <= MAX_GROUPS {
            let next: Vec<String> = level
                .iter()
                .filter_map(|k| self.groups.get(k))
                .flat_map(|g| g.child_groups.iter().cloned())
                .collect();
            if next.is_empty() {
                break;
            }
            height += 1;
            level = next;
        }
        height
    }

    /// Returns every group below `key`, breadth first.
    pub fn descendant_groups(&self, key: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut level = vec![key.to_owned()];
        while !level.is_empty() {
            let next: Vec<String> = level
                .iter()
                .filter_map(|k| self.groups.get(k))
                .flat_map(|g| g.child_groups.iter().cloned())
                .collect();
            out.extend(next.iter().cloned());
            level = next;
            if out.len() > MAX_GROUPS {
                break;
            }
        }
        out
    }

    fn require_group(&self, key: &str) -> Result<&GroupNode, TreeError> {
        self.groups
            .get(key)
            .ok_or_else(|| TreeError::GroupNotFound(key.to_owned()))
    }

    /// Checks that a new group may be created under `parent`.
    pub fn check_create(&self, id: &GroupId, parent: &str) -> Result<(), TreeError> {
        if self.groups.contains_key(&id.key()) {
            return Err(TreeError::GroupExists(id.to_string()));
        }
        if self.groups.len() >= MAX_GROUPS {
            return Err(TreeError::TooManyGroups);
        }
        let parent_node = self.require_group(parent)?;
        let level = self.depth(parent) + 1;
        if level > MAX_DEPTH {
            return Err(TreeError::TooDeep {
                group: id.to_string(),
                parent: parent_node.id.to_string(),
                level,
            });
        }
        Ok(())
    }

    /// Checks that group `key` may move under `new_parent`.
    pub fn check_move(&self, key: &str, new_parent: &str) -> Result<(), TreeError> {
        let node = self.require_group(key)?;
        if key == self.root {
            return Err(TreeError::RootImmutable(node.id.to_string()));
        }
        let parent_node = self.require_group(new_parent)?;
        if new_parent == key || self.ancestors(new_parent).iter().any(|a| a == key) {
            return Err(TreeError::Cycle {
                group: node.id.to_string(),
                parent: parent_node.id.to_string(),
            });
        }
        let level = self.depth(new_parent) + 1 + self.height(key);
        if level > MAX_DEPTH {
            return Err(TreeError::TooDeep {
                group: node.id.to_string(),
                parent: parent_node.id.to_string(),
                level,
            });
        }
        Ok(())
    }

    /// Checks that group `key` may be deleted.
    pub fn check_delete(&self, key: &str) -> Result<(), TreeError> {
        let node = self.require_group(key)?;
        if key == self.root {
            return Err(TreeError::RootImmutable(node.id.to_string()));
        }
        if !node.child_groups.is_empty() || !node.subscriptions.is_empty() {
            return Err(TreeError::HasChildren {
                group: node.id.to_string(),
                n_groups: node.child_groups.len(),
                n_subscriptions: node.subscriptions.len(),
            });
        }
        Ok(())
    }

    /// Adds a group; call `check_create` first.
    pub fn insert_group(&mut self, row: GroupRow) {
        let key = row.id.key();
        let parent = row.parent.clone().unwrap_or_else(|| self.root.clone());
        if let Some(p) = self.groups.get_mut(&parent) {
            p.child_groups.insert(key.clone());
        }
        self.groups.insert(
            key,
            GroupNode {
                id: row.id,
                display_name: row.display_name,
                updated_at: row.updated_at,
                updated_by: row.updated_by,
                parent: Some(parent),
                child_groups: BTreeSet::new(),
                subscriptions: BTreeSet::new(),
            },
        );
    }

    /// Renames a group and records who changed it when.
    pub fn touch_group(
        &mut self,
        key: &str,
        display_name: String,
        updated_at: String,
        updated_by: String,
    ) {
        if let Some(g) = self.groups.get_mut(key) {
            g.display_name = display_name;
            g.updated_at = updated_at;
            g.updated_by = updated_by;
        }
    }

    /// Moves a group; call `check_move` first.
    pub fn move_group(&mut self, key: &str, new_parent: &str) {
        let old_parent = self.groups.get(key).and_then(|g| g.parent.clone());
        if let Some(old) = old_parent.and_then(|p| self.groups.get_mut(&p)) {
            old.child_groups.remove(key);
        }
        if let Some(p) = self.groups.get_mut(new_parent) {
            p.child_groups.insert(key.to_owned());
        }
        if let Some(g) = self.groups.get_mut(key) {
            g.parent = Some(new_parent.to_owned());
        }
    }

    /// Removes a group; call `check_delete` first.
    pub fn remove_group(&mut self, key: &str) {
        if let Some(node) = self.groups.remove(key) {
            if let Some(p) = node.parent.and_then(|p| self.groups.get_mut(&p)) {
                p.child_groups.remove(key);
            }
        }
    }

    /// Adds or moves a subscription under `parent`.
    pub fn place_subscription(&mut self, row: SubscriptionRow) {
        let SubscriptionRow {
            id,
            display_name,
            kind,
            parent,
        } = row;
        let parent = parent.as_str();
        let key = id.as_str().to_owned();
        if let Some(old) = self.subscriptions.get(&key).map(|s| s.parent.clone()) {
            if let Some(g) = self.groups.get_mut(&old) {
                g.subscriptions.remove(&key);
            }
        }
        if let Some(g) = self.groups.get_mut(parent) {
            g.subscriptions.insert(key.clone());
        }
        self.subscriptions.insert(
            key,
            SubscriptionNode {
                id,
                display_name,
                kind,
                parent: parent.to_owned(),
            },
        );
    }

    /// Renames a subscription.
    pub fn rename_subscription(&mut self, id: &str, display_name: String) {
        if let Some(s) = self.subscriptions.get_mut(id) {
            s.display_name = display_name;
        }
    }

    /// Removes a subscription from the tree.
    pub fn remove_subscription(&mut self, id: &str) {
        if let Some(node) = self.subscriptions.remove(id) {
            if let Some(g) = self.groups.get_mut(&node.parent) {
                g.subscriptions.remove(id);
            }
        }
    }

    /// Returns every subscription.
    pub fn subscriptions(&self) -> impl Iterator<Item = &SubscriptionNode> {
        self.subscriptions.values()
    }

    /// Returns a scope and every scope above it, nearest first, ending with the tenant root
    /// (`/`): a resource's parents, its resource group, subscription, the groups above it.
    /// Scopes not in this tenant's hierarchy get only themselves and `/`.
    pub fn scope_chain(&self, scope: &crate::resource_id::Scope) -> Vec<crate::resource_id::Scope> {
        use crate::resource_id::Scope;
        let mut out = vec![scope.clone()];
        let mut subscription = None;
        match scope {
            Scope::Root => return out,
            Scope::ManagementGroup(g) => {
                out.extend(
                    self.ancestors(&g.key())
                        .iter()
                        .filter_map(|k| self.groups.get(k))
                        .map(|g| Scope::ManagementGroup(g.id.clone())),
                );
            }
            Scope::Subscription(s) => subscription = Some(s.clone()),
            Scope::ResourceGroup(s, _) => {
                out.push(Scope::Subscription(s.clone()));
                subscription = Some(s.clone());
            }
            Scope::Resource(r) => {
                let mut parent = r.parent();
                while let Some(p) = parent {
                    parent = p.parent();
                    out.push(Scope::Resource(p));
                }
                out.push(Scope::ResourceGroup(
                    r.subscription.clone(),
                    r.resource_group.clone(),
                ));
                out.push(Scope::Subscription(r.subscription.clone()));
                subscription = Some(r.subscription.clone());
            }
        }
        if let Some(s) = subscription {
            out.extend(
                self.subscription_ancestors(s.as_str())
                    .iter()
                    .filter_map(|k| self.groups.get(k))
                    .map(|g| Scope::ManagementGroup(g.id.clone())),
            );
        }
        out.push(Scope::Root);
        out
    }

    /// Tells whether `key` exists.
    pub fn contains_group(&self, key: &str) -> bool {
        self.groups.contains_key(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gid(s: &str) -> GroupId {
        GroupId::parse(s).unwrap()
    }

    fn row(id: &GroupId, parent: &str) -> GroupRow {
        GroupRow {
            id: id.clone(),
            display_name: id.to_string(),
            parent: Some(parent.to_owned()),
            updated_at: String::new(),
            updated_by: String::new(),
        }
    }

    fn sub_row(id: &SubscriptionId, parent: &str) -> SubscriptionRow {
        SubscriptionRow {
            id: id.clone(),
            display_name: "s".into(),
            kind: SubscriptionKind::Azure,
            parent: parent.into(),
        }
    }

    fn chain(depth: usize) -> TenantTree {
        let mut tree = TenantTree::new(gid("root"), "Tenant Root Group".into());
        let mut parent = "root".to_owned();
        for level in 1..=depth {
            let id = gid(&format!("g{level}"));
            tree.check_create(&id, &parent).unwrap();
            tree.insert_group(row(&id, &parent));
            parent = id.key();
        }
        tree
    }

    #[test]
    fn at_most_six_levels_below_root() {
        let tree = chain(6);
        assert_eq!(tree.depth("g6"), 6);
        let err = tree.check_create(&gid("g7"), "g6").unwrap_err();
        assert!(matches!(err, TreeError::TooDeep { level: 7, .. }));
    }

    #[test]
    fn moves_respect_depth_of_the_moved_subtree() {
        let mut tree = chain(3);
        tree.insert_group(row(&gid("other"), "root"));
        tree.insert_group(row(&gid("o2"), "other"));
        tree.insert_group(row(&gid("o3"), "o2"));
        // other/o2/o3 has height 2; under g3 (level 3) it would reach level 6: allowed.
        tree.check_move("other", "g3").unwrap();
        tree.insert_group(row(&gid("o4"), "o3"));
        // Now height 3: level 7.
        assert!(matches!(
            tree.check_move("other", "g3"),
            Err(TreeError::TooDeep { level: 7, .. })
        ));
    }

    #[test]
    fn no_cycles_and_immovable_root() {
        let tree = chain(3);
        assert!(matches!(
            tree.check_move("g1", "g3"),
            Err(TreeError::Cycle { .. })
        ));
        assert!(matches!(
            tree.check_move("g1", "g1"),
            Err(TreeError::Cycle { .. })
        ));
        assert!(matches!(
            tree.check_move("root", "g1"),
            Err(TreeError::RootImmutable(_))
        ));
        assert!(matches!(
            tree.check_delete("root"),
            Err(TreeError::RootImmutable(_))
        ));
        assert!(matches!(
            tree.check_delete("g2"),
            Err(TreeError::HasChildren { n_groups: 1, .. })
        ));
        tree.check_delete("g3").unwrap();
    }

    #[test]
    fn subscriptions_have_one_parent() {
        let mut tree = chain(2);
        let sub = SubscriptionId::new_random();
        tree.place_subscription(sub_row(&sub, "g1"));
        tree.place_subscription(sub_row(&sub, "g2"));
        assert!(tree.group("g1").unwrap().subscriptions.is_empty());
        assert_eq!(
            tree.subscription_ancestors(sub.as_str()),
            vec!["g2", "g1", "root"]
        );
        assert!(matches!(
            tree.check_delete("g2"),
            Err(TreeError::HasChildren {
                n_subscriptions: 1,
                ..
            })
        ));
    }

    proptest::proptest! {
        /// Random creates and moves never produce a cycle or a level beyond six.
        #[test]
        fn random_operations_keep_the_invariants(ops in proptest::collection::vec((0usize..40, 0usize..40, proptest::bool::ANY), 1..200)) {
            let mut tree = TenantTree::new(gid("root"), "r".into());
            let key = |n: usize| if n == 0 { "root".to_owned() } else { format!("n{n}") };
            for (a, b, is_move) in ops {
                let (child, parent) = (key(a), key(b));
                if is_move {
                    if tree.check_move(&child, &parent).is_ok() {
                        tree.move_group(&child, &parent);
                    }
                } else if a != 0 {
                    let id = gid(&child);
                    if tree.check_create(&id, &parent).is_ok() {
                        tree.insert_group(row(&id, &parent));
                    }
                }
            }
            for group in tree.groups() {
                let key = group.id.key();
                let ancestors = tree.ancestors(&key);
                proptest::prop_assert!(ancestors.len() <= MAX_DEPTH);
                proptest::prop_assert!(!ancestors.contains(&key));
                if key != "root" {
                    proptest::prop_assert_eq!(ancestors.last().map(String::as_str), Some("root"));
                }
            }
        }
    }
}

#[cfg(test)]
mod scope_chain_tests {
    use super::*;
    use crate::resource_id::Scope;

    #[test]
    fn a_resource_inherits_from_everything_above_it() {
        let mut tree = TenantTree::new(GroupId::parse("root").unwrap(), "r".into());
        let row = |id: &str, parent: &str| GroupRow {
            id: GroupId::parse(id).unwrap(),
            display_name: String::new(),
            parent: Some(parent.into()),
            updated_at: String::new(),
            updated_by: String::new(),
        };
        tree.insert_group(row("corp", "root"));
        tree.insert_group(row("prod", "corp"));
        let sub = SubscriptionId::parse("aaaaaaaa-0000-0000-0000-000000000001").unwrap();
        tree.place_subscription(SubscriptionRow {
            id: sub.clone(),
            display_name: String::new(),
            kind: SubscriptionKind::Azure,
            parent: "prod".into(),
        });
        let scope = Scope::parse(&format!(
            "/subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.Sql/servers/s/databases/d"
        ))
        .unwrap();
        let chain: Vec<String> = tree
            .scope_chain(&scope)
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(
            chain,
            vec![
                format!("/subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.Sql/servers/s/databases/d"),
                format!("/subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.Sql/servers/s"),
                format!("/subscriptions/{sub}/resourceGroups/rg"),
                format!("/subscriptions/{sub}"),
                "/providers/Microsoft.Management/managementGroups/prod".to_owned(),
                "/providers/Microsoft.Management/managementGroups/corp".to_owned(),
                "/providers/Microsoft.Management/managementGroups/root".to_owned(),
                "/".to_owned(),
            ]
        );
    }
}

#[cfg(test)]
mod limit_tests {
    use super::*;

    #[test]
    fn at_most_ten_thousand_groups_per_tenant() {
        let mut tree = TenantTree::new(GroupId::parse("root").unwrap(), "r".into());
        // The root counts: 9,999 more groups reach the limit.
        for n in 1..MAX_GROUPS {
            let id = GroupId::parse(&format!("g{n}")).unwrap();
            tree.check_create(&id, "root").unwrap();
            tree.insert_group(GroupRow {
                id,
                display_name: String::new(),
                parent: None,
                updated_at: String::new(),
                updated_by: String::new(),
            });
        }
        assert_eq!(tree.n_groups(), MAX_GROUPS);
        let err = tree
            .check_create(&GroupId::parse("one-too-many").unwrap(), "root")
            .unwrap_err();
        assert_eq!(err, TreeError::TooManyGroups);
        assert_eq!(err.code(), ErrorCode::ManagementGroupLimitExceeded);
    }
}
