//! Tests of the access engine's lookup tables on worlds larger than `engine`'s: enough principals, assignments and nesting that the tables grow, a scope holds many assignments (the engine searches those by principal), and a membership change in a big group rewrites many closures.
//!
//! An index kept in step through many random writes, one built with [`AccessIndexBuilder`] and one built a write at a time must answer every check as a plain reference model does (closures by a naive fixpoint, every assignment scanned).
//! The roles are two built-in ones and one custom role; conditions and deny assignments are `engine`'s business.
//!
//! The tests do no I/O.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;

use crate::builtin_role_by_name;
use crate::definition::{Permission, RoleDefinition, RoleType};
use crate::engine::{AccessIndex, AccessIndexBuilder, AssignmentEntry, Check, Verdict};

const N_USERS: usize = 40;
const N_GROUPS: usize = 10;

/// The custom role: everything on compute.
const CUSTOM_ROLE: &str = "custom-compute";

/// The actions the checks ask about: Reader grants the first, Contributor and the custom role both.
static ACTIONS: [&str; 2] = [
    "Microsoft.Compute/virtualMachines/read",
    "Microsoft.Compute/virtualMachines/write",
];

/// The scopes, as inputs spell them, with their parents: `/`, three management groups, four subscriptions, two resource groups in each.
fn scopes() -> Vec<(String, Option<usize>)> {
    let mut out = vec![
        ("/".to_owned(), None),
        (
            "/providers/Microsoft.Management/managementGroups/MG-1".to_owned(),
            Some(0),
        ),
        (
            "/providers/Microsoft.Management/managementGroups/MG-2".to_owned(),
            Some(1),
        ),
        (
            "/providers/Microsoft.Management/managementGroups/MG-3".to_owned(),
            Some(0),
        ),
    ];
    for sub in 0..4 {
        let parent = 1 + sub % 3;
        let id = format!("/subscriptions/Sub-{sub}");
        out.push((id.clone(), Some(parent)));
        let sub_idx = out.len() - 1;
        for rg in 0..2 {
            out.push((format!("{id}/resourceGroups/RG-{rg}"), Some(sub_idx)));
        }
    }
    out
}

fn principal_name(idx: usize) -> String {
    if idx < N_USERS {
        format!("User-{idx}")
    } else {
        format!("Group-{}", idx - N_USERS)
    }
}

fn role_id(role: usize) -> String {
    match role {
        0 => builtin_role_by_name("Reader")
            .expect("built-in role")
            .id
            .clone(),
        1 => builtin_role_by_name("Contributor")
            .expect("built-in role")
            .id
            .clone(),
        _ => CUSTOM_ROLE.to_owned(),
    }
}

fn custom_role() -> RoleDefinition {
    RoleDefinition {
        id: CUSTOM_ROLE.to_owned(),
        role_name: "Compute".to_owned(),
        description: String::new(),
        role_type: RoleType::Custom,
        permissions: vec![Permission {
            actions: vec!["Microsoft.Compute/*".to_owned()],
            ..Permission::default()
        }],
        assignable_scopes: vec!["/".to_owned()],
    }
}

#[derive(Clone, Debug)]
enum Edit {
    /// Assignment number, scope, principal, role.
    Assign(usize, usize, usize, usize),
    Unassign(usize),
    /// Group number, member principal.
    Join(usize, usize),
    Leave(usize, usize),
}

/// The world as plain data: what the reference model reads.
#[derive(Default)]
struct World {
    /// Assignment number → (scope, principal, role).
    assignments: BTreeMap<usize, (usize, usize, usize)>,
    /// `(group principal, member principal)`.
    memberships: BTreeSet<(usize, usize)>,
}

impl World {
    fn apply(&mut self, edit: &Edit) {
        match *edit {
            Edit::Assign(n, scope, principal, role) => {
                self.assignments.insert(n, (scope, principal, role));
            }
            Edit::Unassign(n) => {
                self.assignments.remove(&n);
            }
            Edit::Join(group, member) => {
                self.memberships.insert((N_USERS + group, member));
            }
            Edit::Leave(group, member) => {
                self.memberships.remove(&(N_USERS + group, member));
            }
        }
    }

    fn closure(&self, principal: usize) -> BTreeSet<usize> {
        let mut set = BTreeSet::from([principal]);
        loop {
            let before = set.len();
            for (group, member) in &self.memberships {
                if set.contains(member) {
                    set.insert(*group);
                }
            }
            if set.len() == before {
                return set;
            }
        }
    }

    fn allowed(&self, principal: usize, action: usize, chain: &[usize]) -> bool {
        let closure = self.closure(principal);
        self.assignments.values().any(|(scope, holder, role)| {
            chain.contains(scope) && closure.contains(holder) && (*role > 0 || action == 0)
        })
    }
}

fn apply_to_index(index: &mut AccessIndex, scopes: &[(String, Option<usize>)], edit: &Edit) {
    match *edit {
        Edit::Assign(n, scope, principal, role) => {
            index.insert_assignment(entry(scopes, n, scope, principal, role));
        }
        Edit::Unassign(n) => {
            index.remove_assignment(&format!("ra-{n}"));
        }
        Edit::Join(group, member) => {
            index.add_membership(&principal_name(N_USERS + group), &principal_name(member));
        }
        Edit::Leave(group, member) => {
            index.remove_membership(&principal_name(N_USERS + group), &principal_name(member));
        }
    }
}

fn entry(
    scopes: &[(String, Option<usize>)],
    n: usize,
    scope: usize,
    principal: usize,
    role: usize,
) -> AssignmentEntry {
    AssignmentEntry::new(
        &format!("RA-{n}"),
        &scopes[scope].0,
        &principal_name(principal),
        &role_id(role),
        None,
    )
}

/// Builds the world's index with the builder, or one write at a time.
fn build(world: &World, scopes: &[(String, Option<usize>)], with_builder: bool) -> AccessIndex {
    if with_builder {
        let mut builder = AccessIndexBuilder::default();
        builder.upsert_role(&custom_role());
        for (group, member) in &world.memberships {
            builder.add_membership(&principal_name(*group), &principal_name(*member));
        }
        for (n, (scope, principal, role)) in &world.assignments {
            builder.insert_assignment(entry(scopes, *n, *scope, *principal, *role));
        }
        builder.build()
    } else {
        let mut index = AccessIndex::default();
        index.upsert_role(&custom_role());
        for (n, (scope, principal, role)) in &world.assignments {
            index.insert_assignment(entry(scopes, *n, *scope, *principal, *role));
        }
        for (group, member) in &world.memberships {
            index.add_membership(&principal_name(*group), &principal_name(*member));
        }
        index
    }
}

/// Returns the chain of `target` as indexes and as the lowercase ids the engine is given.
fn chain(scopes: &[(String, Option<usize>)], target: usize) -> (Vec<usize>, Vec<String>) {
    let mut idxs = vec![target];
    while let Some(parent) = idxs.last().and_then(|idx| scopes[*idx].1) {
        idxs.push(parent);
    }
    let ids = idxs
        .iter()
        .map(|idx| scopes[*idx].0.to_ascii_lowercase())
        .collect();
    (idxs, ids)
}

/// Checks every principal, action and scope against the reference, and the closures.
fn check_all(index: &AccessIndex, world: &World, scopes: &[(String, Option<usize>)], what: &str) {
    for principal in 0..N_USERS + N_GROUPS {
        let name = principal_name(principal);
        let groups: BTreeSet<String> = index
            .principal_and_groups(&name)
            .iter()
            .map(|g| g.to_string())
            .collect();
        let expected: BTreeSet<String> = world
            .closure(principal)
            .into_iter()
            .map(|p| principal_name(p).to_ascii_lowercase())
            .collect();
        assert_eq!(groups, expected, "{what}: groups of {name}");
        for target in 0..scopes.len() {
            let (idxs, ids) = chain(scopes, target);
            let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
            for (action_idx, action) in ACTIONS.iter().enumerate() {
                let verdict = index.check(&Check {
                    principal: &name,
                    action,
                    data_action: false,
                    chain: &ids,
                    attributes: &(),
                });
                if let Verdict::Allowed(a) = &verdict {
                    assert!(
                        ids.contains(&&*a.scope),
                        "{what}: {name} {action} at {target}: granted by {a:?} outside the chain"
                    );
                }
                assert_eq!(
                    verdict.is_allowed(),
                    world.allowed(principal, action_idx, &idxs),
                    "{what}: {name} {action} at scope {target}"
                );
            }
        }
    }
}

fn principal() -> impl Strategy<Value = usize> {
    // Groups are drawn often, so that they hold many members and assignments.
    prop_oneof![2 => 0..N_USERS, 1 => N_USERS..N_USERS + N_GROUPS]
}

fn scope(n_scopes: usize) -> impl Strategy<Value = usize> {
    // One subscription is drawn often, so that it holds many assignments.
    prop_oneof![1 => Just(4usize), 1 => 0..n_scopes]
}

fn edit(n_scopes: usize) -> impl Strategy<Value = Edit> {
    prop_oneof![
        6 => (0..400usize, scope(n_scopes), principal(), 0..3usize)
            .prop_map(|(n, scope, principal, role)| Edit::Assign(n, scope, principal, role)),
        2 => (0..400usize).prop_map(Edit::Unassign),
        3 => (0..N_GROUPS, principal()).prop_map(|(group, member)| Edit::Join(group, member)),
        1 => (0..N_GROUPS, principal()).prop_map(|(group, member)| Edit::Leave(group, member)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Many writes on a larger world: the index kept in step, the builder's and the one built a write at a time all answer as the reference does.
    #[test]
    fn tables_stay_in_step_on_a_larger_world(
        inserts in prop::collection::vec(edit(scopes().len()), 100..400),
        edits in prop::collection::vec(edit(scopes().len()), 1..200),
    ) {
        let scopes = scopes();
        let mut world = World::default();
        for edit in &inserts {
            world.apply(edit);
        }
        let mut edited = build(&world, &scopes, true);
        let before = edited.clone();
        for edit in &edits {
            world.apply(edit);
            apply_to_index(&mut edited, &scopes, edit);
        }
        check_all(&edited, &world, &scopes, "edited");
        check_all(&build(&world, &scopes, true), &world, &scopes, "builder");
        check_all(&build(&world, &scopes, false), &world, &scopes, "one by one");
        // The clone taken before the edits is untouched by them.
        let mut old = World::default();
        for edit in &inserts {
            old.apply(edit);
        }
        prop_assert_eq!(before.assignment_count(), old.assignments.len());
    }
}
