//! Tests of the access engine ([`crate::engine::AccessIndex`]) against a deliberately plain reference model, on random worlds and random edit sequences, plus worked examples.
//!
//! The reference model walks every ancestor of the target scope, scans every role assignment and every deny assignment, expands groups by a naive fixpoint over all memberships, and matches the raw patterns with [`crate::action_matches`].
//! It shares nothing with the engine but the built-in role data and the condition parser and evaluator ([`crate::condition::parse`], [`crate::condition::evaluate`]).
//!
//! The properties:
//!
//! - A freshly built index decides every check as the reference does (allowed, denied, not granted), and the assignment or deny assignment it names is one the reference finds too.
//! - `who_can` lists exactly the principals the reference allows when every condition is taken to hold, and a principal it lists as unconditional is allowed whatever the request's attributes.
//! - An index kept in step through random inserts and removes gives the same answers (checks, `who_can`, `principal_and_groups`, counts) as one built afresh from the end state.
//!
//! The tests do no I/O.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;

use crate::condition::{self, AttributeValue, Context, Source};
use crate::definition::{Condition, Permission, RoleDefinition, RoleType};
use crate::engine::{
    AccessIndex, AccessIndexBuilder, AssignmentEntry, Attributes, Check, DenyEntry, Verdict,
    EVERYONE,
};
use crate::{action_matches, builtin_role_by_id, builtin_role_by_name};

/// How many scopes a random world has; scope 0 is the root `/`.
const N_SCOPES: usize = 10;

/// Users, in mixed case: the engine compares principal ids case-insensitively.
static USERS: [&str; 4] = ["user-a", "User-B", "USER-C", "user-d"];

/// Groups, in mixed case.
static GROUPS: [&str; 4] = ["group-1", "Group-2", "GROUP-3", "group-4"];

/// The built-in roles the random worlds assign: the four everyday ones, one with data actions and one with a conditional block.
static BUILTIN_ROLE_NAMES: [&str; 6] = [
    "Owner",
    "Contributor",
    "Reader",
    "User Access Administrator",
    "Storage Blob Data Reader",
    "Azure Container Storage Owner",
];

/// How many custom role ids there are; a world defines some of them, so some assignments name a role that does not exist.
const N_CUSTOM_ROLES: usize = 4;

/// Action patterns for custom roles and deny assignments, in the shapes roles use.
static PATTERNS: [&str; 13] = [
    "*",
    "*/read",
    "Microsoft.Compute/*",
    "Microsoft.Storage/storageAccounts/*/read",
    "Microsoft.Authorization/*",
    "microsoft.authorization/*/WRITE",
    "Microsoft.Compute/virtualMachines/read",
    "*/delete",
    "Microsoft.*/action",
    "Microsoft.Storage/*",
    "Microsoft.Network/*/read",
    "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/*",
    "Microsoft.Authorization/roleAssignments/write",
];

/// Actions the checks ask about; each is asked as an action and as a data action.
static ACTIONS: [&str; 11] = [
    "Microsoft.Compute/virtualMachines/read",
    "Microsoft.Compute/virtualMachines/write",
    "microsoft.compute/VIRTUALMACHINES/delete",
    "Microsoft.Storage/storageAccounts/read",
    "Microsoft.Storage/storageAccounts/blobServices/read",
    "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read",
    "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write",
    "Microsoft.Authorization/roleAssignments/write",
    "Microsoft.Authorization/elevateAccess/action",
    "Microsoft.Network/virtualNetworks/subnets/read",
    "Microsoft.KeyVault/vaults/secrets/getSecret/action",
];

/// Conditions of role assignments: ones that read `@Request[x]`, one that reads the action, a blank one (no condition) and one that does not parse (grants nothing).
static ASSIGNMENT_CONDITIONS: [&str; 5] = [
    "@Request[x] StringEquals 'y'",
    "@Request[x] StringEquals 'z'",
    "(!(ActionMatches{'*/write'})) OR (@Request[x] StringEquals 'y')",
    "   ",
    "@Request[x] StringEquals",
];

/// Conditions of custom role permission blocks.
static BLOCK_CONDITIONS: [&str; 2] = ["@Request[x] StringEquals 'y'", "ActionMatches{'*/read'}"];

/// The values of `@Request[x]` a check can carry (`None`: the attribute is missing).
static X_VALUES: [Option<&str>; 3] = [None, Some("y"), Some("z")];

/// Returns the scope id of scope `idx`, as an input spells it: `/`, then management groups,
/// subscriptions and resource groups in turn (a resource group's id names the subscription
/// before it, whatever the random parents say: the engine keys scopes at or below a
/// subscription by the subscription in their id).
fn scope_name(idx: usize) -> String {
    match idx % 3 {
        _ if idx == 0 => "/".to_owned(),
        1 => format!("/providers/Microsoft.Management/managementGroups/MG-{idx}"),
        2 => format!("/subscriptions/SUB-{idx}"),
        _ => format!("/subscriptions/SUB-{}/resourceGroups/RG-{idx}", idx - 1),
    }
}

/// Returns user `idx` for `idx < 4` and group `idx - 4` above.
fn principal_name(idx: usize) -> String {
    let user_or_group = if idx < USERS.len() {
        USERS.get(idx)
    } else {
        GROUPS.get(idx - USERS.len())
    };
    (*user_or_group.expect("principal index in range")).to_owned()
}

fn builtin_role_id(name: &str) -> String {
    builtin_role_by_name(name)
        .expect("built-in role")
        .id
        .clone()
}

fn custom_role_id(idx: usize) -> String {
    format!("Custom-Role-{idx}")
}

/// Returns the lowercase form the engine keys everything by.
fn lower(text: &str) -> String {
    text.to_ascii_lowercase()
}

/// Returns a scope id lowercased, without a trailing slash (`/` stays `/`).
fn plain_scope(scope: &str) -> String {
    match lower(scope).trim_end_matches('/') {
        "" => "/".to_owned(),
        trimmed => trimmed.to_owned(),
    }
}

/// A role assignment as a random world writes it.
#[derive(Clone, Debug)]
struct AssignmentSpec {
    id: String,
    scope: String,
    principal: String,
    role: String,
    condition: Option<String>,
}

/// A deny assignment as a random world writes it.
#[derive(Clone, Debug)]
struct DenySpec {
    id: String,
    scope: String,
    permissions: Vec<Permission>,
    principals: Vec<String>,
    exclude_principals: Vec<String>,
    do_not_apply_to_child_scopes: bool,
}

/// One write to the index.
#[derive(Clone, Debug)]
enum Edit {
    InsertAssignment(AssignmentSpec),
    /// Removes by lowercase id, as the store does.
    RemoveAssignment(String),
    /// `(group, member)`.
    AddMembership(String, String),
    RemoveMembership(String, String),
    InsertDeny(DenySpec),
    RemoveDeny(String),
    UpsertRole(RoleDefinition),
    RemoveRole(String),
}

/// The plain world the reference model reads: everything keyed by lowercase id, as the engine replaces by id.
#[derive(Clone, Debug, Default)]
struct World {
    /// The parent of each scope; `parents[0]` is unused and every other parent index is smaller than its child's.
    parents: Vec<usize>,
    custom_roles: BTreeMap<String, RoleDefinition>,
    assignments: BTreeMap<String, AssignmentSpec>,
    denies: BTreeMap<String, DenySpec>,
    /// `(group, member)`, lowercase.
    memberships: BTreeSet<(String, String)>,
}

/// What the reference model finds for one check.
#[derive(Debug)]
struct Answer {
    /// The lowercase ids of the role assignments that grant the action.
    granting: BTreeSet<String>,
    /// The lowercase ids of the deny assignments that refuse it.
    denying: BTreeSet<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    Allowed,
    Denied,
    NotGranted,
}

impl Answer {
    fn outcome(&self) -> Outcome {
        if !self.denying.is_empty() {
            Outcome::Denied
        } else if !self.granting.is_empty() {
            Outcome::Allowed
        } else {
            Outcome::NotGranted
        }
    }
}

fn verdict_outcome(verdict: &Verdict) -> Outcome {
    match verdict {
        Verdict::Allowed(_) => Outcome::Allowed,
        Verdict::Denied(_) => Outcome::Denied,
        Verdict::NotGranted => Outcome::NotGranted,
    }
}

/// How the reference model treats conditions.
#[derive(Clone, Copy, Debug)]
enum Conditions {
    /// Evaluates them against a request whose `@Request[x]` is the given value.
    Evaluate(Option<&'static str>),
    /// Takes every condition to hold, even one that does not parse (what `who_can` lists).
    AssumeHold,
}

/// The request a reference condition is evaluated against.
struct ReferenceContext<'a> {
    action: &'a str,
    x: Option<&'static str>,
}

impl Context for ReferenceContext<'_> {
    fn action(&self) -> &str {
        self.action
    }

    fn attribute(&self, source: Source, name: &str) -> Option<AttributeValue> {
        (source == Source::Request && name == "x")
            .then_some(self.x)
            .flatten()
            .map(|x| AttributeValue::String(x.to_owned()))
    }
}

/// The request attributes handed to the engine: `@Request[x]` only.
struct RequestX(Option<&'static str>);

impl Attributes for RequestX {
    fn attribute(&self, source: Source, name: &str) -> Option<AttributeValue> {
        (source == Source::Request && name == "x")
            .then_some(self.0)
            .flatten()
            .map(|x| AttributeValue::String(x.to_owned()))
    }
}

/// Returns whether a condition holds; `None` is no condition.
fn reference_holds(expression: Option<&str>, action: &str, conditions: Conditions) -> bool {
    let Some(expression) = expression else {
        return true;
    };
    match conditions {
        Conditions::AssumeHold => true,
        Conditions::Evaluate(x) => match condition::parse(expression) {
            Ok(parsed) => condition::evaluate(&parsed, &ReferenceContext { action, x }).result,
            Err(_) => false,
        },
    }
}

/// Returns whether a block's patterns grant the action: Actions and NotActions for an action, DataActions and NotDataActions for a data action.
fn reference_patterns_allow(block: &Permission, action: &str, data_action: bool) -> bool {
    let (granted, subtracted) = if data_action {
        (&block.data_actions, &block.not_data_actions)
    } else {
        (&block.actions, &block.not_actions)
    };
    granted
        .iter()
        .any(|pattern| action_matches(pattern, action))
        && !subtracted
            .iter()
            .any(|pattern| action_matches(pattern, action))
}

impl World {
    fn new(parents: Vec<usize>) -> World {
        World {
            parents,
            ..World::default()
        }
    }

    fn apply(&mut self, edit: &Edit) {
        match edit {
            Edit::InsertAssignment(spec) => {
                self.assignments.insert(lower(&spec.id), spec.clone());
            }
            Edit::RemoveAssignment(id) => {
                self.assignments.remove(id);
            }
            Edit::AddMembership(group, member) => {
                self.memberships.insert((lower(group), lower(member)));
            }
            Edit::RemoveMembership(group, member) => {
                self.memberships.remove(&(lower(group), lower(member)));
            }
            Edit::InsertDeny(spec) => {
                self.denies.insert(lower(&spec.id), spec.clone());
            }
            Edit::RemoveDeny(id) => {
                self.denies.remove(id);
            }
            Edit::UpsertRole(role) => {
                self.custom_roles.insert(lower(&role.id), role.clone());
            }
            Edit::RemoveRole(id) => {
                self.custom_roles.remove(id);
            }
        }
    }

    /// Returns the target scope and every scope above it, the target first.
    fn ancestors(&self, target: usize) -> Vec<usize> {
        let mut out = vec![target];
        let mut current = target;
        while current != 0 {
            current = self.parents[current];
            out.push(current);
        }
        out
    }

    /// Returns the lowercase chain the engine is given for `target`.
    fn chain(&self, target: usize) -> Vec<String> {
        self.ancestors(target)
            .into_iter()
            .map(|idx| lower(&scope_name(idx)))
            .collect()
    }

    /// Returns the principal and every group it is in, by a naive fixpoint over all memberships.
    fn principal_and_groups(&self, principal: &str) -> BTreeSet<String> {
        let mut set = BTreeSet::from([lower(principal)]);
        loop {
            let before = set.len();
            for (group, member) in &self.memberships {
                if set.contains(member) {
                    set.insert(group.clone());
                }
            }
            if set.len() == before {
                return set;
            }
        }
    }

    /// Returns a role by id: built-in first, then the world's custom roles.
    fn role(&self, id: &str) -> Option<&RoleDefinition> {
        builtin_role_by_id(id).or_else(|| self.custom_roles.get(&lower(id)))
    }

    /// Decides a check by scanning everything.
    fn reference(
        &self,
        principal: &str,
        action: &str,
        data_action: bool,
        target: usize,
        conditions: Conditions,
    ) -> Answer {
        let chain = self.chain(target);
        let principals = self.principal_and_groups(principal);
        let mut denying = BTreeSet::new();
        for deny in self.denies.values() {
            for (depth, scope) in chain.iter().enumerate() {
                if plain_scope(&deny.scope) != *scope
                    || (deny.do_not_apply_to_child_scopes && depth > 0)
                {
                    continue;
                }
                let named = deny
                    .principals
                    .iter()
                    .any(|p| p == EVERYONE || principals.contains(&lower(p)));
                let excluded = deny
                    .exclude_principals
                    .iter()
                    .any(|p| principals.contains(&lower(p)));
                let blocks = deny
                    .permissions
                    .iter()
                    .any(|block| reference_patterns_allow(block, action, data_action));
                if named && !excluded && blocks {
                    denying.insert(lower(&deny.id));
                }
            }
        }
        let mut granting = BTreeSet::new();
        for assignment in self.assignments.values() {
            if !chain.contains(&plain_scope(&assignment.scope))
                || !principals.contains(&lower(&assignment.principal))
            {
                continue;
            }
            let Some(role) = self.role(&assignment.role) else {
                continue;
            };
            // A blank condition is no condition.
            let assignment_condition = assignment
                .condition
                .as_deref()
                .filter(|c| !c.trim().is_empty());
            if !reference_holds(assignment_condition, action, conditions) {
                continue;
            }
            let grants = role.permissions.iter().any(|block| {
                reference_patterns_allow(block, action, data_action)
                    && reference_holds(
                        block.condition.as_ref().map(|c| c.expression.as_str()),
                        action,
                        conditions,
                    )
            });
            if grants {
                granting.insert(lower(&assignment.id));
            }
        }
        Answer { granting, denying }
    }
}

/// Applies one edit to the engine.
fn apply_to_index(index: &mut AccessIndex, edit: &Edit) {
    match edit {
        Edit::InsertAssignment(spec) => index.insert_assignment(assignment_entry(spec)),
        Edit::RemoveAssignment(id) => {
            index.remove_assignment(id);
        }
        Edit::AddMembership(group, member) => index.add_membership(group, member),
        Edit::RemoveMembership(group, member) => index.remove_membership(group, member),
        Edit::InsertDeny(spec) => index.insert_deny(deny_entry(spec)),
        Edit::RemoveDeny(id) => {
            index.remove_deny(id);
        }
        Edit::UpsertRole(role) => index.upsert_role(role),
        Edit::RemoveRole(id) => index.remove_role(id),
    }
}

/// Builds an index afresh from a world, with [`AccessIndexBuilder`] (what a snapshot load does).
fn build(world: &World) -> AccessIndex {
    let mut builder = AccessIndexBuilder::default();
    for role in world.custom_roles.values() {
        builder.upsert_role(role);
    }
    for spec in world.assignments.values() {
        builder.insert_assignment(assignment_entry(spec));
    }
    for (group, member) in &world.memberships {
        builder.add_membership(group, member);
    }
    for spec in world.denies.values() {
        builder.insert_deny(deny_entry(spec));
    }
    builder.build()
}

/// Builds an index afresh from a world one write at a time, as the edits do.
fn build_one_by_one(world: &World) -> AccessIndex {
    let mut index = AccessIndex::default();
    for role in world.custom_roles.values() {
        index.upsert_role(role);
    }
    for spec in world.assignments.values() {
        apply_to_index(&mut index, &Edit::InsertAssignment(spec.clone()));
    }
    for (group, member) in &world.memberships {
        index.add_membership(group, member);
    }
    for spec in world.denies.values() {
        apply_to_index(&mut index, &Edit::InsertDeny(spec.clone()));
    }
    index
}

fn assignment_entry(spec: &AssignmentSpec) -> AssignmentEntry {
    AssignmentEntry::new(
        &spec.id,
        &spec.scope,
        &spec.principal,
        &spec.role,
        spec.condition.as_deref(),
    )
}

fn deny_entry(spec: &DenySpec) -> DenyEntry {
    DenyEntry::new(
        &spec.id,
        &spec.id,
        &spec.scope,
        &spec.permissions,
        &spec.principals,
        &spec.exclude_principals,
        spec.do_not_apply_to_child_scopes,
    )
}

/// One check: principal index, action index, data action or not, target scope, index into [`X_VALUES`].
type Query = (usize, usize, bool, usize, usize);

/// Asks the engine one check.
fn engine_check(index: &AccessIndex, world: &World, query: Query) -> Verdict {
    let (principal, action, data_action, target, x) = query;
    let chain_owned = world.chain(target);
    let chain: Vec<&str> = chain_owned.iter().map(String::as_str).collect();
    index.check(&Check {
        principal: &principal_name(principal),
        action: ACTIONS[action],
        data_action,
        chain: &chain,
        attributes: &RequestX(X_VALUES[x]),
    })
}

/// Checks that the engine decides `query` as the reference does, naming a grant or deny the reference finds too.
fn check_against_reference(index: &AccessIndex, world: &World, query: Query) -> Outcome {
    let (principal, action, data_action, target, x) = query;
    let verdict = engine_check(index, world, query);
    let answer = world.reference(
        &principal_name(principal),
        ACTIONS[action],
        data_action,
        target,
        Conditions::Evaluate(X_VALUES[x]),
    );
    assert_eq!(
        verdict_outcome(&verdict),
        answer.outcome(),
        "query {query:?}: engine {verdict:?}, reference {answer:?}\nworld {world:#?}"
    );
    match &verdict {
        Verdict::Allowed(assignment) => assert!(
            answer.granting.contains(&*assignment.id),
            "query {query:?}: the engine's grant `{}` is not one of {:?}",
            assignment.id,
            answer.granting
        ),
        Verdict::Denied(deny) => assert!(
            answer.denying.contains(&*deny.id),
            "query {query:?}: the engine's deny `{}` is not one of {:?}",
            deny.id,
            answer.denying
        ),
        Verdict::NotGranted => {}
    }
    answer.outcome()
}

/// What `who_can` lists: every principal, and those listed as unconditional, lowercase.
fn who_can_sets(
    index: &AccessIndex,
    world: &World,
    action: usize,
    data_action: bool,
    target: usize,
) -> (BTreeSet<String>, BTreeSet<String>) {
    let chain_owned = world.chain(target);
    let chain: Vec<&str> = chain_owned.iter().map(String::as_str).collect();
    let holders = index.who_can(ACTIONS[action], data_action, &chain);
    let any = holders.iter().map(|h| h.principal.to_string()).collect();
    let unconditional = holders
        .iter()
        .filter(|h| !h.conditional)
        .map(|h| h.principal.to_string())
        .collect();
    (any, unconditional)
}

/// Checks `who_can` against the reference for every principal of the universe.
fn check_who_can(
    index: &AccessIndex,
    world: &World,
    action: usize,
    data_action: bool,
    target: usize,
) {
    let (any, unconditional) = who_can_sets(index, world, action, data_action, target);
    let universe: BTreeSet<String> = (0..USERS.len() + GROUPS.len())
        .map(|idx| lower(&principal_name(idx)))
        .collect();
    assert!(
        any.is_subset(&universe),
        "who_can lists unknown principals: {any:?}"
    );
    for principal in &universe {
        let allowed = world
            .reference(
                principal,
                ACTIONS[action],
                data_action,
                target,
                Conditions::AssumeHold,
            )
            .outcome()
            == Outcome::Allowed;
        assert_eq!(
            any.contains(principal),
            allowed,
            "who_can({}, {data_action}, scope {target}) and `{principal}`: listed {any:?}\nworld {world:#?}",
            ACTIONS[action]
        );
    }
    for principal in &unconditional {
        for x in X_VALUES {
            let answer = world.reference(
                principal,
                ACTIONS[action],
                data_action,
                target,
                Conditions::Evaluate(x),
            );
            assert_eq!(
                answer.outcome(),
                Outcome::Allowed,
                "`{principal}` is listed as unconditional for {} at scope {target}, but x = {x:?} gives {answer:?}",
                ACTIONS[action]
            );
        }
    }
}

/// Checks that two indexes give the same answers to every question the tests ask.
fn check_same_answers(edited: &AccessIndex, fresh: &AccessIndex, world: &World, queries: &[Query]) {
    assert_eq!(edited.assignment_count(), world.assignments.len());
    assert_eq!(fresh.assignment_count(), world.assignments.len());
    assert_eq!(edited.deny_count(), world.denies.len());
    assert_eq!(fresh.deny_count(), world.denies.len());
    for idx in 0..USERS.len() + GROUPS.len() {
        let principal = principal_name(idx);
        let groups = |index: &AccessIndex| -> BTreeSet<String> {
            index
                .principal_and_groups(&principal)
                .iter()
                .map(|g| g.to_string())
                .collect()
        };
        assert_eq!(
            groups(edited),
            groups(fresh),
            "principal_and_groups({principal})"
        );
        assert_eq!(groups(fresh), world.principal_and_groups(&principal));
    }
    for &query in queries {
        let edited_verdict = verdict_outcome(&engine_check(edited, world, query));
        let fresh_verdict = verdict_outcome(&engine_check(fresh, world, query));
        assert_eq!(edited_verdict, fresh_verdict, "query {query:?}");
        let (_, action, data_action, target, _) = query;
        assert_eq!(
            who_can_sets(edited, world, action, data_action, target),
            who_can_sets(fresh, world, action, data_action, target),
            "who_can for query {query:?}"
        );
    }
}

fn principal_id() -> impl Strategy<Value = String> {
    (0..USERS.len() + GROUPS.len()).prop_map(principal_name)
}

fn group_id() -> impl Strategy<Value = String> {
    (0..GROUPS.len()).prop_map(|idx| principal_name(USERS.len() + idx))
}

/// A scope id as an input may spell it: any case, sometimes with a trailing slash.
fn scope_input() -> impl Strategy<Value = String> {
    // The root is in every chain, so it is drawn more often than the rest.
    let idx = prop_oneof![1 => Just(0), 3 => 0..N_SCOPES];
    (idx, any::<bool>(), any::<bool>()).prop_map(|(idx, upper, slash)| {
        let mut scope = scope_name(idx);
        if upper {
            scope = scope.to_ascii_uppercase();
        }
        if slash {
            scope.push('/');
        }
        scope
    })
}

/// Random parent pointers: scope `idx` hangs below a scope with a smaller index, so every walk up ends at the root.
fn parents() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(any::<usize>(), N_SCOPES).prop_map(|raw| {
        raw.iter()
            .enumerate()
            .map(|(idx, r)| if idx == 0 { 0 } else { r % idx })
            .collect()
    })
}

fn patterns(size: std::ops::Range<usize>) -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(
        prop::sample::select(&PATTERNS[..]).prop_map(str::to_owned),
        size,
    )
}

fn role_id() -> impl Strategy<Value = String> {
    prop_oneof![
        (prop::sample::select(&BUILTIN_ROLE_NAMES[..]), any::<bool>()).prop_map(|(name, upper)| {
            let id = builtin_role_id(name);
            if upper {
                id.to_ascii_uppercase()
            } else {
                id
            }
        }),
        (0..N_CUSTOM_ROLES).prop_map(custom_role_id),
    ]
}

fn assignment() -> impl Strategy<Value = AssignmentSpec> {
    let condition = prop_oneof![
        3 => Just(None),
        2 => prop::sample::select(&ASSIGNMENT_CONDITIONS[..]).prop_map(|c| Some(c.to_owned())),
    ];
    (
        0..16usize,
        any::<bool>(),
        scope_input(),
        principal_id(),
        role_id(),
        condition,
    )
        .prop_map(
            |(idx, upper, scope, principal, role, condition)| AssignmentSpec {
                id: if upper {
                    format!("RA-{idx}")
                } else {
                    format!("ra-{idx}")
                },
                scope,
                principal,
                role,
                condition,
            },
        )
}

fn role_block() -> impl Strategy<Value = Permission> {
    let condition = prop_oneof![
        3 => Just(None),
        1 => prop::sample::select(&BLOCK_CONDITIONS[..]).prop_map(|expression| Some(Condition {
            expression: expression.to_owned(),
            version: "2.0".to_owned(),
        })),
    ];
    (
        patterns(0..3),
        patterns(0..2),
        patterns(0..2),
        patterns(0..2),
        condition,
    )
        .prop_map(
            |(actions, not_actions, data_actions, not_data_actions, condition)| Permission {
                actions,
                not_actions,
                data_actions,
                not_data_actions,
                condition,
            },
        )
}

fn custom_role() -> impl Strategy<Value = RoleDefinition> {
    (0..N_CUSTOM_ROLES, prop::collection::vec(role_block(), 1..3)).prop_map(|(idx, permissions)| {
        RoleDefinition {
            id: custom_role_id(idx),
            role_name: format!("Custom role {idx}"),
            description: String::new(),
            role_type: RoleType::Custom,
            permissions,
            assignable_scopes: vec!["/".to_owned()],
        }
    })
}

fn deny() -> impl Strategy<Value = DenySpec> {
    let block = (
        patterns(1..3),
        patterns(0..2),
        patterns(0..2),
        patterns(0..2),
    )
        .prop_map(
            |(actions, not_actions, data_actions, not_data_actions)| Permission {
                actions,
                not_actions,
                data_actions,
                not_data_actions,
                condition: None,
            },
        );
    let denied_principal = prop_oneof![1 => Just(EVERYONE.to_owned()), 3 => principal_id()];
    (
        0..4usize,
        scope_input(),
        prop::collection::vec(block, 1..3),
        prop::collection::vec(denied_principal, 1..3),
        prop::collection::vec(principal_id(), 0..2),
        any::<bool>(),
    )
        .prop_map(
            |(
                idx,
                scope,
                permissions,
                principals,
                exclude_principals,
                do_not_apply_to_child_scopes,
            )| {
                DenySpec {
                    id: format!("deny-{idx}"),
                    scope,
                    permissions,
                    principals,
                    exclude_principals,
                    do_not_apply_to_child_scopes,
                }
            },
        )
}

/// Writes that build a world.
fn insert() -> impl Strategy<Value = Edit> {
    prop_oneof![
        4 => assignment().prop_map(Edit::InsertAssignment),
        3 => (group_id(), principal_id()).prop_map(|(group, member)| Edit::AddMembership(group, member)),
        1 => deny().prop_map(Edit::InsertDeny),
        1 => custom_role().prop_map(Edit::UpsertRole),
    ]
}

/// Any write, removes by lowercase id included.
fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        4 => insert(),
        2 => (0..16usize).prop_map(|idx| Edit::RemoveAssignment(format!("ra-{idx}"))),
        2 => (group_id(), principal_id()).prop_map(|(group, member)| Edit::RemoveMembership(group, member)),
        1 => (0..4usize).prop_map(|idx| Edit::RemoveDeny(format!("deny-{idx}"))),
        1 => (0..N_CUSTOM_ROLES).prop_map(|idx| Edit::RemoveRole(lower(&custom_role_id(idx)))),
    ]
}

fn query() -> impl Strategy<Value = Query> {
    (
        0..USERS.len() + GROUPS.len(),
        0..ACTIONS.len(),
        // One check in four asks about a data action.
        prop::bool::weighted(0.25),
        0..N_SCOPES,
        0..X_VALUES.len(),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// A freshly built index decides as the reference model does, and `who_can` lists whom the reference allows.
    #[test]
    fn fresh_index_agrees_with_reference(
        parents in parents(),
        inserts in prop::collection::vec(insert(), 0..40),
        queries in prop::collection::vec(query(), 48),
    ) {
        let mut world = World::new(parents);
        for edit in &inserts {
            world.apply(edit);
        }
        let index = build(&world);
        for &query in &queries {
            check_against_reference(&index, &world, query);
        }
        // The builder and one write at a time give the same index.
        check_same_answers(&build_one_by_one(&world), &index, &world, &queries);
        for &(_, action, data_action, target, _) in queries.iter().take(6) {
            check_who_can(&index, &world, action, data_action, target);
        }
    }

    /// An index kept in step through random writes answers like one built afresh, and like the reference.
    #[test]
    fn edited_index_agrees_with_fresh_index(
        parents in parents(),
        inserts in prop::collection::vec(insert(), 0..20),
        edits in prop::collection::vec(edit(), 1..30),
        queries in prop::collection::vec(query(), 32),
    ) {
        let mut world = World::new(parents);
        for edit in &inserts {
            world.apply(edit);
        }
        let mut edited = build(&world);
        let before = edited.clone();
        for edit in &edits {
            world.apply(edit);
            apply_to_index(&mut edited, edit);
        }
        let fresh = build(&world);
        check_same_answers(&edited, &fresh, &world, &queries);
        for &query in &queries {
            check_against_reference(&edited, &world, query);
        }
        // The clone taken before the edits still answers for the old state (persistent maps).
        prop_assert_eq!(before.assignment_count(), build_count(&inserts));
    }
}

/// Returns how many distinct assignment ids a list of inserts writes.
fn build_count(inserts: &[Edit]) -> usize {
    inserts
        .iter()
        .filter_map(|edit| match edit {
            Edit::InsertAssignment(spec) => Some(lower(&spec.id)),
            _ => None,
        })
        .collect::<BTreeSet<_>>()
        .len()
}

/// A world of three scopes in a line: `/` (0), `MG-1` (1) below it, `SUB-2` (2) below that.
fn line_world(edits: &[Edit]) -> World {
    let mut world = World::new(vec![0, 0, 1]);
    for edit in edits {
        world.apply(edit);
    }
    world
}

fn assign(id: &str, scope: usize, principal: &str, role: &str, condition: Option<&str>) -> Edit {
    Edit::InsertAssignment(AssignmentSpec {
        id: id.to_owned(),
        scope: scope_name(scope),
        principal: principal.to_owned(),
        role: builtin_role_by_name(role)
            .map(|r| r.id.clone())
            .unwrap_or_else(|| role.to_owned()),
        condition: condition.map(str::to_owned),
    })
}

fn deny_all(
    id: &str,
    scope: usize,
    principals: &[&str],
    exclude_principals: &[&str],
    do_not_apply_to_child_scopes: bool,
) -> Edit {
    Edit::InsertDeny(DenySpec {
        id: id.to_owned(),
        scope: scope_name(scope),
        permissions: vec![Permission {
            actions: vec!["*".to_owned()],
            ..Permission::default()
        }],
        principals: principals.iter().map(|p| (*p).to_owned()).collect(),
        exclude_principals: exclude_principals.iter().map(|p| (*p).to_owned()).collect(),
        do_not_apply_to_child_scopes,
    })
}

fn member(group: &str, member: &str) -> Edit {
    Edit::AddMembership(group.to_owned(), member.to_owned())
}

/// One worked example: principal, action, data action or not, target scope, `@Request[x]`, expected outcome.
type Example<'a> = (&'a str, &'a str, bool, usize, Option<&'static str>, Outcome);

/// Checks examples on a world, against the engine and the reference alike.
fn check_example(world: &World, cases: &[Example<'_>]) {
    let index = build(world);
    for &(principal, action, data_action, target, x, expected) in cases {
        let principal_idx = (0..USERS.len() + GROUPS.len())
            .find(|idx| principal_name(*idx) == principal)
            .expect("known principal");
        let action_idx = ACTIONS
            .iter()
            .position(|a| *a == action)
            .expect("known action");
        let x_idx = X_VALUES.iter().position(|v| *v == x).expect("known value");
        let outcome = check_against_reference(
            &index,
            world,
            (principal_idx, action_idx, data_action, target, x_idx),
        );
        assert_eq!(
            outcome, expected,
            "`{principal}` {action} (data: {data_action}) at scope {target}, x = {x:?}"
        );
    }
}

const VM_READ: &str = "Microsoft.Compute/virtualMachines/read";
const VM_WRITE: &str = "Microsoft.Compute/virtualMachines/write";
const BLOB_READ: &str = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read";
const ROLE_ASSIGNMENT_WRITE: &str = "Microsoft.Authorization/roleAssignments/write";

#[test]
fn a_deny_beats_owner() {
    let world = line_world(&[
        assign("ra-1", 0, "user-a", "Owner", None),
        deny_all("deny-1", 1, &[EVERYONE], &[], false),
    ]);
    check_example(
        &world,
        &[
            ("user-a", VM_WRITE, false, 0, None, Outcome::Allowed),
            ("user-a", VM_WRITE, false, 1, None, Outcome::Denied),
            ("user-a", VM_WRITE, false, 2, None, Outcome::Denied),
            // The deny lists Actions only, so it does not touch data actions (which Owner does not grant).
            ("user-a", BLOB_READ, true, 2, None, Outcome::NotGranted),
            // A deny refuses even where nothing grants.
            ("User-B", VM_READ, false, 2, None, Outcome::Denied),
        ],
    );
}

#[test]
fn an_excluded_principal_passes() {
    let world = line_world(&[
        assign("ra-1", 0, "user-a", "Owner", None),
        assign("ra-2", 0, "User-B", "Owner", None),
        member("group-1", "user-a"),
        deny_all("deny-1", 0, &[EVERYONE], &["GROUP-1"], false),
    ]);
    check_example(
        &world,
        &[
            ("user-a", VM_WRITE, false, 2, None, Outcome::Allowed),
            ("User-B", VM_WRITE, false, 2, None, Outcome::Denied),
            ("group-1", VM_WRITE, false, 2, None, Outcome::NotGranted),
        ],
    );
}

#[test]
fn do_not_apply_to_child_scopes_applies_at_its_scope_only() {
    let world = line_world(&[
        assign("ra-1", 0, "user-a", "Owner", None),
        deny_all("deny-1", 1, &["USER-A"], &[], true),
    ]);
    check_example(
        &world,
        &[
            ("user-a", VM_WRITE, false, 0, None, Outcome::Allowed),
            ("user-a", VM_WRITE, false, 1, None, Outcome::Denied),
            ("user-a", VM_WRITE, false, 2, None, Outcome::Allowed),
        ],
    );
}

#[test]
fn a_nested_group_grants() {
    let world = line_world(&[
        member("group-1", "user-a"),
        member("Group-2", "group-1"),
        // A cycle: the expansion must still end.
        member("group-1", "Group-2"),
        assign("ra-1", 0, "Group-2", "Reader", None),
    ]);
    check_example(
        &world,
        &[
            ("user-a", VM_READ, false, 2, None, Outcome::Allowed),
            ("user-a", VM_WRITE, false, 2, None, Outcome::NotGranted),
            ("group-1", VM_READ, false, 1, None, Outcome::Allowed),
            ("User-B", VM_READ, false, 2, None, Outcome::NotGranted),
        ],
    );
}

#[test]
fn not_actions_do_not_subtract_from_another_block() {
    let role = RoleDefinition {
        id: custom_role_id(0),
        role_name: "Two blocks".to_owned(),
        description: String::new(),
        role_type: RoleType::Custom,
        permissions: vec![
            Permission {
                actions: vec!["*".to_owned()],
                not_actions: vec!["Microsoft.Compute/*".to_owned()],
                ..Permission::default()
            },
            Permission {
                actions: vec![VM_READ.to_owned()],
                ..Permission::default()
            },
        ],
        assignable_scopes: vec!["/".to_owned()],
    };
    let world = line_world(&[
        Edit::UpsertRole(role),
        assign("ra-1", 1, "user-a", &custom_role_id(0), None),
    ]);
    check_example(
        &world,
        &[
            ("user-a", VM_READ, false, 2, None, Outcome::Allowed),
            ("user-a", VM_WRITE, false, 2, None, Outcome::NotGranted),
            (
                "user-a",
                ROLE_ASSIGNMENT_WRITE,
                false,
                2,
                None,
                Outcome::Allowed,
            ),
            ("user-a", VM_READ, false, 0, None, Outcome::NotGranted),
        ],
    );
}

#[test]
fn actions_and_data_actions_are_kept_apart() {
    let world = line_world(&[
        assign("ra-1", 0, "user-a", "Owner", None),
        assign("ra-2", 0, "User-B", "Storage Blob Data Reader", None),
    ]);
    check_example(
        &world,
        &[
            ("user-a", BLOB_READ, true, 1, None, Outcome::NotGranted),
            ("user-a", BLOB_READ, false, 1, None, Outcome::Allowed),
            ("User-B", BLOB_READ, true, 1, None, Outcome::Allowed),
            ("User-B", BLOB_READ, false, 1, None, Outcome::NotGranted),
        ],
    );
}

#[test]
fn a_condition_decides_per_request() {
    let world = line_world(&[
        assign(
            "ra-1",
            0,
            "user-a",
            "Owner",
            Some("@Request[x] StringEquals 'y'"),
        ),
        // A condition that does not parse grants nothing.
        assign(
            "ra-2",
            0,
            "User-B",
            "Owner",
            Some("@Request[x] StringEquals"),
        ),
    ]);
    check_example(
        &world,
        &[
            ("user-a", VM_WRITE, false, 2, Some("y"), Outcome::Allowed),
            ("user-a", VM_WRITE, false, 2, Some("z"), Outcome::NotGranted),
            ("user-a", VM_WRITE, false, 2, None, Outcome::NotGranted),
            ("User-B", VM_WRITE, false, 2, Some("y"), Outcome::NotGranted),
        ],
    );
    let index = build(&world);
    let holders = index.who_can(VM_WRITE, false, &["/"]);
    let listed: Vec<(&str, bool)> = holders
        .iter()
        .map(|h| (&*h.principal, h.conditional))
        .collect();
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert!(
        listed.iter().all(|(_, conditional)| *conditional),
        "{listed:?}"
    );
}
