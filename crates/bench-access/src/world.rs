//! The benchmark's world, generated from a seed: a management-group hierarchy, subscriptions and resource groups, users, service principals and nested groups, built-in and custom roles, role assignments, deny assignments, and the query set.
//!
//! Everything is lowercase where the engine compares case-insensitively (scope ids, principal ids, role ids), so the three engines see the same strings.
//! Actions keep the catalogue's spelling: matching them is case-insensitive in every engine.
//!
//! The world has no conditions (the Cedar model leaves them out) and its group nesting is acyclic (Cedar refuses cycles in the entity hierarchy).
//! It does not build any engine's data structures; `main`, `reference` and `cedar` do.

use std::collections::HashMap;

use leitstand_rbac::definition::{Permission, RoleDefinition, RoleType};
use leitstand_rbac::engine::EVERYONE;

/// The sizes of a world.
#[derive(Clone, Debug)]
pub struct Config {
    /// Management groups below the tenant root group.
    pub management_groups: usize,
    /// Most levels of management groups below the root group (Azure: 6).
    pub max_depth: usize,
    pub subscriptions: usize,
    /// Resource groups a subscription may have (`rg-0` and up), made as assignments and queries name them.
    pub resource_groups_per_subscription: usize,
    pub users: usize,
    pub service_principals: usize,
    pub groups: usize,
    pub assignments: usize,
    pub custom_roles: usize,
    pub denies: usize,
    pub queries: usize,
}

impl Config {
    /// Returns the world at Azure's limits the issue asks for.
    pub fn full() -> Config {
        Config {
            management_groups: 10_000,
            max_depth: 6,
            subscriptions: 100_000,
            resource_groups_per_subscription: 3,
            users: 20_000,
            service_principals: 5_000,
            groups: 2_000,
            assignments: 200_000,
            custom_roles: 300,
            denies: 50,
            queries: 100_000,
        }
    }

    /// Returns a small world for the agreement test and a quick look.
    pub fn quick() -> Config {
        Config {
            management_groups: 1_000,
            max_depth: 6,
            subscriptions: 10_000,
            resource_groups_per_subscription: 3,
            users: 2_000,
            service_principals: 500,
            groups: 200,
            assignments: 10_000,
            custom_roles: 60,
            denies: 30,
            queries: 10_000,
        }
    }
}

/// A small, fast, seeded generator (SplitMix64): the world must be the same on every run.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Returns a number below `n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }

    /// Returns true with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        ((self.next_u64() >> 11) as f64) / ((1u64 << 53) as f64) < p
    }

    /// Returns a random lowercase GUID.
    pub fn guid(&mut self) -> String {
        let a = self.next_u64();
        let b = self.next_u64();
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            (b >> 48) & 0xffff,
            b & 0xffff_ffff_ffff
        )
    }

    /// Returns an index chosen by weight.
    pub fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u32 = weights.iter().sum();
        let mut pick = self.below(total as usize) as u32;
        for (idx, weight) in weights.iter().enumerate() {
            if pick < *weight {
                return idx;
            }
            pick -= weight;
        }
        weights.len() - 1
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScopeKind {
    Root,
    ManagementGroup,
    Subscription,
    ResourceGroup,
}

/// A scope: `/`, a management group, a subscription or a resource group.
#[derive(Clone, Debug)]
pub struct Scope {
    /// The lowercase scope id.
    pub id: String,
    pub parent: Option<usize>,
    pub kind: ScopeKind,
    /// Levels below the tenant root group (the root group is 0, `/` is 0 too).
    pub depth: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PrincipalKind {
    User,
    ServicePrincipal,
    Group,
}

#[derive(Clone, Debug)]
pub struct Principal {
    /// The lowercase object id.
    pub id: String,
    pub kind: PrincipalKind,
}

/// A role assignment (no condition: see the module doc).
#[derive(Clone, Debug)]
pub struct Assignment {
    pub id: String,
    pub scope: usize,
    pub principal: usize,
    /// The lowercase role definition id, built-in or custom.
    pub role: String,
}

#[derive(Clone, Debug)]
pub struct Deny {
    pub id: String,
    pub scope: usize,
    pub permissions: Vec<Permission>,
    /// Principal ids, or [`EVERYONE`].
    pub principals: Vec<String>,
    pub exclude_principals: Vec<String>,
    pub do_not_apply_to_child_scopes: bool,
}

/// One check: may `principal` perform `action` at `target`?
#[derive(Clone, Copy, Debug)]
pub struct Query {
    pub principal: usize,
    /// Index into [`World::actions`].
    pub action: usize,
    pub target: usize,
}

/// An action the queries ask about.
#[derive(Clone, Debug)]
pub struct Action {
    pub name: String,
    pub data_action: bool,
}

pub struct World {
    pub scopes: Vec<Scope>,
    pub principals: Vec<Principal>,
    /// `(group, member)` by principal index; acyclic.
    pub memberships: Vec<(usize, usize)>,
    pub custom_roles: Vec<RoleDefinition>,
    pub assignments: Vec<Assignment>,
    pub denies: Vec<Deny>,
    pub actions: Vec<Action>,
    pub queries: Vec<Query>,
    /// Child scope id to parent scope id: what a hierarchy store answers.
    pub parent_map: HashMap<String, String>,
}

/// The resource providers whose catalogued operations the custom roles, deny assignments and queries draw on.
const NAMESPACES: [&str; 19] = [
    "Microsoft.Compute",
    "Microsoft.Storage",
    "Microsoft.Network",
    "Microsoft.KeyVault",
    "Microsoft.Web",
    "Microsoft.Sql",
    "Microsoft.Authorization",
    "Microsoft.Resources",
    "Microsoft.Insights",
    "Microsoft.ContainerService",
    "Microsoft.ContainerRegistry",
    "Microsoft.DocumentDB",
    "Microsoft.EventHub",
    "Microsoft.ServiceBus",
    "Microsoft.OperationalInsights",
    "Microsoft.Cache",
    "Microsoft.DBforPostgreSQL",
    "Microsoft.ManagedIdentity",
    "Microsoft.Support",
];

/// Built-in roles the assignments use, with their weights (none has a conditional block).
const BUILTIN_ROLES: [(&str, u32); 20] = [
    ("Reader", 25),
    ("Contributor", 15),
    ("Owner", 6),
    ("User Access Administrator", 2),
    ("Virtual Machine Contributor", 4),
    ("Network Contributor", 4),
    ("Storage Account Contributor", 4),
    ("Key Vault Administrator", 2),
    ("Storage Blob Data Contributor", 3),
    ("Storage Blob Data Reader", 3),
    ("Website Contributor", 3),
    ("SQL DB Contributor", 3),
    ("Monitoring Reader", 4),
    ("Log Analytics Reader", 3),
    ("Key Vault Secrets User", 3),
    ("Role Based Access Control Administrator", 1),
    ("Managed Identity Operator", 2),
    ("Azure Kubernetes Service Cluster User Role", 2),
    ("AcrPull", 2),
    ("Monitoring Contributor", 2),
];

/// The catalogued operations of [`NAMESPACES`], split into actions and data actions.
struct Catalogue {
    /// Per namespace, its actions.
    actions: Vec<Vec<&'static str>>,
    /// Per namespace, its data actions (often none).
    data_actions: Vec<Vec<&'static str>>,
}

impl Catalogue {
    fn load() -> Catalogue {
        let mut actions = vec![Vec::new(); NAMESPACES.len()];
        let mut data_actions = vec![Vec::new(); NAMESPACES.len()];
        for operation in leitstand_rbac::operations() {
            let namespace = operation.name.split('/').next().unwrap_or_default();
            if let Some(idx) = NAMESPACES
                .iter()
                .position(|n| n.eq_ignore_ascii_case(namespace))
            {
                let list = if operation.is_data_action {
                    &mut data_actions[idx]
                } else {
                    &mut actions[idx]
                };
                list.push(operation.name.as_str());
            }
        }
        Catalogue {
            actions,
            data_actions,
        }
    }

    fn action(&self, rng: &mut Rng) -> &'static str {
        loop {
            let list = &self.actions[rng.below(NAMESPACES.len())];
            if !list.is_empty() {
                return list[rng.below(list.len())];
            }
        }
    }

    fn data_action(&self, rng: &mut Rng) -> &'static str {
        loop {
            let list = &self.data_actions[rng.below(NAMESPACES.len())];
            if !list.is_empty() {
                return list[rng.below(list.len())];
            }
        }
    }
}

/// Returns the first `n` segments of an operation name joined by `/`.
fn segments(operation: &str, n: usize) -> String {
    operation.split('/').take(n).collect::<Vec<_>>().join("/")
}

/// Returns an Actions pattern in one of the shapes roles use, built on a catalogued operation.
fn grant_pattern(rng: &mut Rng, catalogue: &Catalogue) -> String {
    let operation = catalogue.action(rng);
    let namespace = segments(operation, 1);
    match rng.weighted(&[3, 10, 25, 20, 15, 10, 17]) {
        0 => "*".to_owned(),
        1 => "*/read".to_owned(),
        2 => format!("{namespace}/*"),
        3 => format!("{}/*", segments(operation, 2)),
        4 => format!("{namespace}/*/read"),
        5 if operation.split('/').count() > 3 => format!("{}/*/read", segments(operation, 2)),
        _ => operation.to_owned(),
    }
}

/// Returns a NotActions pattern.
fn subtract_pattern(rng: &mut Rng, catalogue: &Catalogue) -> String {
    let operation = catalogue.action(rng);
    match rng.weighted(&[30, 20, 15, 15, 20]) {
        0 => format!("{}/*/delete", segments(operation, 1)),
        1 => format!("{}/write", segments(operation, 2)),
        2 => "*/delete".to_owned(),
        3 => "Microsoft.Authorization/*".to_owned(),
        _ => operation.to_owned(),
    }
}

/// Returns a DataActions pattern.
fn data_pattern(rng: &mut Rng, catalogue: &Catalogue) -> String {
    let operation = catalogue.data_action(rng);
    match rng.weighted(&[40, 30, 30]) {
        0 => format!("{}/*", segments(operation, 2)),
        1 => format!("{}/*", segments(operation, 1)),
        _ => operation.to_owned(),
    }
}

fn custom_role(rng: &mut Rng, catalogue: &Catalogue, idx: usize) -> RoleDefinition {
    let n_blocks = if rng.chance(0.2) { 2 } else { 1 };
    let permissions = (0..n_blocks)
        .map(|_| {
            let actions = (0..1 + rng.below(3))
                .map(|_| grant_pattern(rng, catalogue))
                .collect();
            let not_actions = (0..rng.weighted(&[50, 35, 15]))
                .map(|_| subtract_pattern(rng, catalogue))
                .collect();
            let data_actions = if rng.chance(0.2) {
                vec![data_pattern(rng, catalogue)]
            } else {
                Vec::new()
            };
            let not_data_actions = if !data_actions.is_empty() && rng.chance(0.3) {
                vec![data_pattern(rng, catalogue)]
            } else {
                Vec::new()
            };
            Permission {
                actions,
                not_actions,
                data_actions,
                not_data_actions,
                condition: None,
            }
        })
        .collect();
    RoleDefinition {
        id: rng.guid(),
        role_name: format!("Custom role {idx}"),
        description: String::new(),
        role_type: RoleType::Custom,
        permissions,
        assignable_scopes: vec!["/".to_owned()],
    }
}

/// What a world is generated from, and what its generation keeps track of.
struct Builder<'a> {
    config: &'a Config,
    rng: Rng,
    scopes: Vec<Scope>,
    children: Vec<Vec<usize>>,
    resource_groups: HashMap<(usize, usize), usize>,
}

impl Builder<'_> {
    fn add_scope(&mut self, id: String, parent: Option<usize>, kind: ScopeKind) -> usize {
        let depth = match (kind, parent) {
            (ScopeKind::ManagementGroup, Some(p))
                if self.scopes[p].kind == ScopeKind::ManagementGroup =>
            {
                self.scopes[p].depth + 1
            }
            _ => 0,
        };
        let idx = self.scopes.len();
        self.scopes.push(Scope {
            id,
            parent,
            kind,
            depth,
        });
        self.children.push(Vec::new());
        if let Some(p) = parent {
            self.children[p].push(idx);
        }
        idx
    }

    fn resource_group(&mut self, subscription: usize, k: usize) -> usize {
        if let Some(idx) = self.resource_groups.get(&(subscription, k)) {
            return *idx;
        }
        let id = format!("{}/resourcegroups/rg-{k}", self.scopes[subscription].id);
        let idx = self.add_scope(id, Some(subscription), ScopeKind::ResourceGroup);
        self.resource_groups.insert((subscription, k), idx);
        idx
    }

    /// Walks down from `scope` to a random resource group below it, sometimes stopping early.
    fn descend(&mut self, mut scope: usize) -> usize {
        loop {
            if self.rng.chance(0.1) {
                return scope;
            }
            match self.scopes[scope].kind {
                ScopeKind::ResourceGroup => return scope,
                ScopeKind::Subscription => {
                    let k = self.rng.below(self.config.resource_groups_per_subscription);
                    return self.resource_group(scope, k);
                }
                ScopeKind::Root | ScopeKind::ManagementGroup => {
                    let below: Vec<usize> = self.children[scope]
                        .iter()
                        .copied()
                        .filter(|c| self.scopes[*c].kind != ScopeKind::ResourceGroup)
                        .collect();
                    if below.is_empty() {
                        return scope;
                    }
                    scope = below[self.rng.below(below.len())];
                }
            }
        }
    }
}

/// Generates the world for `config` from `seed`.
pub fn generate(config: &Config, seed: u64) -> World {
    let catalogue = Catalogue::load();
    let mut b = Builder {
        config,
        rng: Rng::new(seed),
        scopes: Vec::new(),
        children: Vec::new(),
        resource_groups: HashMap::new(),
    };

    // The hierarchy: `/`, the tenant root group, management groups at most `max_depth` levels below it, subscriptions under any group.
    let slash = b.add_scope("/".to_owned(), None, ScopeKind::Root);
    let root_group_id = format!(
        "/providers/microsoft.management/managementgroups/{}",
        b.rng.guid()
    );
    let root_group = b.add_scope(root_group_id, Some(slash), ScopeKind::ManagementGroup);
    let mut groups = vec![root_group];
    let mut can_have_children = vec![root_group];
    for _ in 0..config.management_groups {
        let parent = can_have_children[b.rng.below(can_have_children.len())];
        let id = format!(
            "/providers/microsoft.management/managementgroups/{}",
            b.rng.guid()
        );
        let idx = b.add_scope(id, Some(parent), ScopeKind::ManagementGroup);
        groups.push(idx);
        if b.scopes[idx].depth < config.max_depth {
            can_have_children.push(idx);
        }
    }
    let mut subscriptions = Vec::with_capacity(config.subscriptions);
    for _ in 0..config.subscriptions {
        let parent = groups[b.rng.below(groups.len())];
        let id = format!("/subscriptions/{}", b.rng.guid());
        subscriptions.push(b.add_scope(id, Some(parent), ScopeKind::Subscription));
    }

    // Principals: groups first, then users, then service principals.
    let mut principals = Vec::new();
    for kind_and_count in [
        (PrincipalKind::Group, config.groups),
        (PrincipalKind::User, config.users),
        (PrincipalKind::ServicePrincipal, config.service_principals),
    ] {
        for _ in 0..kind_and_count.1 {
            principals.push(Principal {
                id: b.rng.guid(),
                kind: kind_and_count.0,
            });
        }
    }
    let group_range = 0..config.groups;
    let user_range = config.groups..config.groups + config.users;
    let sp_range = user_range.end..user_range.end + config.service_principals;

    // Memberships: a group sometimes sits in one or two groups of lower index (so the nesting is acyclic), users are in one to three groups, some service principals in one.
    let mut memberships = Vec::new();
    for group in group_range.clone().skip(1) {
        let n_parents = b.rng.weighted(&[60, 30, 10]);
        let mut parents: Vec<usize> = (0..n_parents).map(|_| b.rng.below(group)).collect();
        parents.sort_unstable();
        parents.dedup();
        memberships.extend(parents.into_iter().map(|parent| (parent, group)));
    }
    for user in user_range.clone() {
        let mut of: Vec<usize> = (0..1 + b.rng.below(3))
            .map(|_| b.rng.below(config.groups))
            .collect();
        of.sort_unstable();
        of.dedup();
        memberships.extend(of.into_iter().map(|group| (group, user)));
    }
    for sp in sp_range.clone() {
        if b.rng.chance(0.3) {
            memberships.push((b.rng.below(config.groups), sp));
        }
    }

    // Roles.
    let (builtin_ids, builtin_weights): (Vec<String>, Vec<u32>) = BUILTIN_ROLES
        .iter()
        .filter_map(|(name, weight)| Some((leitstand_rbac::builtin_role_by_name(name)?, *weight)))
        .filter(|(role, _)| role.permissions.iter().all(|p| p.condition.is_none()))
        .map(|(role, weight)| (role.id.to_ascii_lowercase(), weight))
        .unzip();
    let custom_roles: Vec<RoleDefinition> = (0..config.custom_roles)
        .map(|idx| custom_role(&mut b.rng, &catalogue, idx))
        .collect();

    // Role assignments: at management groups, subscriptions and resource groups; to users, service principals and groups.
    let mut assignments = Vec::with_capacity(config.assignments);
    for _ in 0..config.assignments {
        let principal = match b.rng.weighted(&[45, 20, 35]) {
            0 => user_range.start + b.rng.below(user_range.len()),
            1 => sp_range.start + b.rng.below(sp_range.len()),
            _ => b.rng.below(group_range.len()),
        };
        let scope = match b.rng.weighted(&[10, 50, 40]) {
            0 => groups[b.rng.below(groups.len())],
            1 => subscriptions[b.rng.below(subscriptions.len())],
            _ => {
                let subscription = subscriptions[b.rng.below(subscriptions.len())];
                let k = b.rng.below(config.resource_groups_per_subscription);
                b.resource_group(subscription, k)
            }
        };
        let role = if custom_roles.is_empty() || b.rng.chance(0.6) {
            builtin_ids[b.rng.weighted(&builtin_weights)].clone()
        } else {
            custom_roles[b.rng.below(custom_roles.len())].id.clone()
        };
        assignments.push(Assignment {
            id: b.rng.guid(),
            scope,
            principal,
            role,
        });
    }

    // Deny assignments: a third high in the hierarchy so that they reach many checks.
    let high_groups: Vec<usize> = groups
        .iter()
        .copied()
        .filter(|g| b.scopes[*g].depth <= 2)
        .collect();
    let mut denies = Vec::with_capacity(config.denies);
    for _ in 0..config.denies {
        let scope = match b.rng.weighted(&[35, 25, 25, 15]) {
            0 => high_groups[b.rng.below(high_groups.len())],
            1 => groups[b.rng.below(groups.len())],
            2 => subscriptions[b.rng.below(subscriptions.len())],
            _ => {
                let subscription = subscriptions[b.rng.below(subscriptions.len())];
                let k = b.rng.below(config.resource_groups_per_subscription);
                b.resource_group(subscription, k)
            }
        };
        let random_principal = |rng: &mut Rng| principals[rng.below(principals.len())].id.clone();
        let (principals_denied, exclude_principals) = match b.rng.weighted(&[40, 35, 25]) {
            0 => (
                vec![EVERYONE.to_owned()],
                (0..1 + b.rng.below(2))
                    .map(|_| random_principal(&mut b.rng))
                    .collect(),
            ),
            1 => (
                vec![principals[b.rng.below(config.groups)].id.clone()],
                Vec::new(),
            ),
            _ => (vec![random_principal(&mut b.rng)], Vec::new()),
        };
        let operation = catalogue.action(&mut b.rng);
        let actions = match b.rng.weighted(&[25, 20, 25, 20, 10]) {
            0 => vec!["*/delete".to_owned()],
            1 => vec!["Microsoft.Authorization/*/write".to_owned()],
            2 => vec![format!("{}/*", segments(operation, 1))],
            3 => vec![format!("{}/*/write", segments(operation, 1))],
            _ => vec!["*".to_owned()],
        };
        let not_actions = if b.rng.chance(0.3) {
            vec!["*/read".to_owned()]
        } else {
            Vec::new()
        };
        let data_actions = if b.rng.chance(0.2) {
            vec![data_pattern(&mut b.rng, &catalogue)]
        } else {
            Vec::new()
        };
        denies.push(Deny {
            id: b.rng.guid(),
            scope,
            permissions: vec![Permission {
                actions,
                not_actions,
                data_actions,
                not_data_actions: Vec::new(),
                condition: None,
            }],
            principals: principals_denied,
            exclude_principals,
            do_not_apply_to_child_scopes: b.rng.chance(0.2),
        });
    }

    // The actions the queries ask about, and the queries: most aim below one of the principal's own or its groups' assignments, the rest anywhere.
    let mut actions = Vec::new();
    let mut action_idx: HashMap<&'static str, usize> = HashMap::new();
    let mut by_principal: Vec<Vec<usize>> = vec![Vec::new(); principals.len()];
    for (idx, assignment) in assignments.iter().enumerate() {
        by_principal[assignment.principal].push(idx);
    }
    let mut member_of: Vec<Vec<usize>> = vec![Vec::new(); principals.len()];
    for &(group, member) in &memberships {
        member_of[member].push(group);
    }
    let mut queries = Vec::with_capacity(config.queries);
    for _ in 0..config.queries {
        let principal = match b.rng.weighted(&[70, 15, 15]) {
            0 => user_range.start + b.rng.below(user_range.len()),
            1 => sp_range.start + b.rng.below(sp_range.len()),
            _ => b.rng.below(group_range.len()),
        };
        let mut holders = vec![principal];
        let mut next = 0;
        while let Some(current) = holders.get(next).copied() {
            next += 1;
            for group in &member_of[current] {
                if !holders.contains(group) {
                    holders.push(*group);
                }
            }
        }
        let applicable: Vec<usize> = holders
            .iter()
            .flat_map(|h| by_principal[*h].iter().copied())
            .collect();
        let target = if !applicable.is_empty() && b.rng.chance(0.7) {
            let start = assignments[applicable[b.rng.below(applicable.len())]].scope;
            b.descend(start)
        } else {
            let subscription = subscriptions[b.rng.below(subscriptions.len())];
            b.descend(subscription)
        };
        let (name, data_action) = if b.rng.chance(0.15) {
            (catalogue.data_action(&mut b.rng), true)
        } else {
            (catalogue.action(&mut b.rng), false)
        };
        let action = *action_idx.entry(name).or_insert_with(|| {
            actions.push(Action {
                name: name.to_owned(),
                data_action,
            });
            actions.len() - 1
        });
        queries.push(Query {
            principal,
            action,
            target,
        });
    }

    let parent_map = b
        .scopes
        .iter()
        .filter_map(|s| s.parent.map(|p| (s.id.clone(), b.scopes[p].id.clone())))
        .collect();
    World {
        scopes: b.scopes,
        principals,
        memberships,
        custom_roles,
        assignments,
        denies,
        actions,
        queries,
        parent_map,
    }
}

impl World {
    /// Returns the ids of `target` and every scope above it, the target first.
    pub fn chain(&self, target: usize) -> Vec<&str> {
        let mut out = Vec::with_capacity(12);
        let mut current = Some(target);
        while let Some(idx) = current {
            out.push(self.scopes[idx].id.as_str());
            current = self.scopes[idx].parent;
        }
        out
    }

    /// Returns the chain of `scope` by walking [`World::parent_map`], as a check that starts from a scope id would.
    pub fn chain_from_parent_map<'a>(&'a self, scope: &'a str) -> Vec<&'a str> {
        let mut out = Vec::with_capacity(12);
        let mut current = scope;
        out.push(current);
        while let Some(parent) = self.parent_map.get(current) {
            out.push(parent.as_str());
            current = parent.as_str();
        }
        out
    }

    pub fn count_kind(&self, kind: ScopeKind) -> usize {
        self.scopes.iter().filter(|s| s.kind == kind).count()
    }
}
