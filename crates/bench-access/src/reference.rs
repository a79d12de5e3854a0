//! The plain reference model on the benchmark's world: every check walks every ancestor, expands groups by a naive fixpoint over all memberships, scans every deny assignment and every role assignment, and matches the raw patterns with [`leitstand_rbac::action_matches`].
//!
//! It is deliberately slow and obviously right; it shares nothing with the engine but the built-in role data and the matcher.
//! It knows no conditions, because the world has none.

use std::collections::HashSet;

use leitstand_rbac::definition::{Permission, RoleDefinition};
use leitstand_rbac::engine::EVERYONE;
use leitstand_rbac::{action_matches, builtin_role_by_id};

use crate::world::{Query, World};
use crate::Outcome;

/// Returns whether a block's patterns grant the action, Actions and DataActions kept apart.
fn block_allows(block: &Permission, action: &str, data_action: bool) -> bool {
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

fn role<'a>(world: &'a World, id: &str) -> Option<&'a RoleDefinition> {
    builtin_role_by_id(id).or_else(|| world.custom_roles.iter().find(|r| r.id == id))
}

/// Decides one query by scanning everything.
pub fn decide(world: &World, query: &Query) -> Outcome {
    let principal = world.principals[query.principal].id.as_str();
    let action = &world.actions[query.action];

    let mut chain: Vec<&str> = Vec::new();
    let mut current = Some(query.target);
    while let Some(idx) = current {
        chain.push(&world.scopes[idx].id);
        current = world.scopes[idx].parent;
    }

    let mut principals: HashSet<&str> = HashSet::from([principal]);
    loop {
        let before = principals.len();
        for &(group, member) in &world.memberships {
            if principals.contains(world.principals[member].id.as_str()) {
                principals.insert(&world.principals[group].id);
            }
        }
        if principals.len() == before {
            break;
        }
    }

    for deny in &world.denies {
        for (depth, scope) in chain.iter().enumerate() {
            if world.scopes[deny.scope].id != *scope
                || (deny.do_not_apply_to_child_scopes && depth > 0)
            {
                continue;
            }
            let named = deny
                .principals
                .iter()
                .any(|p| p == EVERYONE || principals.contains(p.as_str()));
            let excluded = deny
                .exclude_principals
                .iter()
                .any(|p| principals.contains(p.as_str()));
            let blocks = deny
                .permissions
                .iter()
                .any(|block| block_allows(block, &action.name, action.data_action));
            if named && !excluded && blocks {
                return Outcome::Denied;
            }
        }
    }

    for assignment in &world.assignments {
        if !chain.contains(&world.scopes[assignment.scope].id.as_str())
            || !principals.contains(world.principals[assignment.principal].id.as_str())
        {
            continue;
        }
        let Some(role) = role(world, &assignment.role) else {
            continue;
        };
        if role
            .permissions
            .iter()
            .any(|block| block_allows(block, &action.name, action.data_action))
        {
            return Outcome::Allowed;
        }
    }
    Outcome::NotGranted
}
