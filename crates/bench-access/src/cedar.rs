//! The world as Cedar's best model of it: role definitions and deny assignments as a few policies, role assignments as entity data, the hierarchy as Cedar's entity hierarchy.
//!
//! - Every scope is a `Scope` entity whose parent is its parent scope, so `resource in Scope::"…"` follows the hierarchy (Cedar computes the transitive closure when the entities are built).
//! - Every user, service principal and group is a `Principal` entity whose parents are its groups, so `principal in Principal::"<group>"` follows nested groups.
//! - A principal that holds role number `k` carries an attribute `rk`: the set of `Scope` entities where it holds it, its groups' assignments included.
//!   Cedar cannot read a group's attributes from a member, so the groups' grants are copied into every member when the entities are built; that write-side cost is not measured.
//! - Each permission block of each assigned role is one `permit`: `principal has rk && context.data == … && (context.action like "…" || …) && resource in principal.rk`, with the block's NotActions as `unless`.
//! - Each deny assignment is one `forbid` per kind of action: its principals in the head or as `principal in […]` (none for everyone), `resource in` its scope (`==` for doNotApplyToChildScopes), its NotActions and excluded principals as `unless`.
//!
//! Cedar's `like` is case-sensitive, so patterns and actions are lowercased; requests (with the lowercased action in the context) are built before timing.
//! A `Deny` with a satisfied `forbid` among its reasons counts as denied, a `Deny` without reasons as not granted.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt::Write;
use std::str::FromStr;

use anyhow::{bail, Context as _};
use cedar_policy::{
    Authorizer, Context, Decision, Entities, Entity, EntityId, EntityTypeName, EntityUid,
    PolicySet, Request, RestrictedExpression,
};
use leitstand_rbac::definition::{Permission, RoleDefinition};
use leitstand_rbac::engine::EVERYONE;

use crate::world::{Query, World};
use crate::Outcome;

pub struct CedarModel {
    policies: PolicySet,
    entities: Entities,
    authorizer: Authorizer,
    principal_type: EntityTypeName,
    scope_type: EntityTypeName,
    action: EntityUid,
    pub n_policies: usize,
    pub n_entities: usize,
}

fn uid(type_name: &EntityTypeName, id: &str) -> EntityUid {
    EntityUid::from_type_name_and_id(type_name.clone(), EntityId::new(id))
}

/// Returns a pattern as a Cedar `like` literal: lowercase; `*` stays the wildcard.
fn like_literal(pattern: &str) -> anyhow::Result<String> {
    if pattern.contains(['"', '\\']) {
        bail!("pattern `{pattern}` needs escaping");
    }
    Ok(format!("\"{}\"", pattern.to_ascii_lowercase()))
}

/// Returns `(context.action like "a" || context.action like "b")`.
fn any_like(patterns: &[String]) -> anyhow::Result<String> {
    let likes = patterns
        .iter()
        .map(|p| Ok(format!("context.action like {}", like_literal(p)?)))
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(format!("({})", likes.join(" || ")))
}

/// Returns `[Principal::"a", Principal::"b"]`.
fn principal_list(ids: &[String]) -> String {
    let uids: Vec<String> = ids
        .iter()
        .map(|id| format!("Principal::\"{id}\""))
        .collect();
    format!("[{}]", uids.join(", "))
}

/// The lists of a block for one kind of action: what it names and what it subtracts.
fn kinds(block: &Permission) -> [(bool, &[String], &[String]); 2] {
    [
        (false, &block.actions, &block.not_actions),
        (true, &block.data_actions, &block.not_data_actions),
    ]
}

impl CedarModel {
    /// Builds the entities and the policies.
    pub fn build(world: &World) -> anyhow::Result<CedarModel> {
        let scope_type = EntityTypeName::from_str("Scope")?;
        let principal_type = EntityTypeName::from_str("Principal")?;
        let action = EntityUid::from_str("Action::\"check\"")?;

        // The roles assignments use, numbered.
        let custom: HashMap<&str, &RoleDefinition> = world
            .custom_roles
            .iter()
            .map(|r| (r.id.as_str(), r))
            .collect();
        let mut role_number: HashMap<&str, usize> = HashMap::new();
        let mut roles: Vec<&RoleDefinition> = Vec::new();
        let mut direct: Vec<Vec<(usize, usize)>> = vec![Vec::new(); world.principals.len()];
        for assignment in &world.assignments {
            let role = leitstand_rbac::builtin_role_by_id(&assignment.role)
                .or_else(|| custom.get(assignment.role.as_str()).copied());
            let Some(role) = role else {
                continue;
            };
            let number = *role_number
                .entry(assignment.role.as_str())
                .or_insert_with(|| {
                    roles.push(role);
                    roles.len() - 1
                });
            direct[assignment.principal].push((number, assignment.scope));
        }

        // Principals: parents are the direct groups; `rk` attributes hold the grants of the principal and of every group it is in.
        let mut member_of: Vec<Vec<usize>> = vec![Vec::new(); world.principals.len()];
        for &(group, member) in &world.memberships {
            member_of[member].push(group);
        }
        let scope_uids: Vec<EntityUid> = world
            .scopes
            .iter()
            .map(|s| uid(&scope_type, &s.id))
            .collect();
        let principal_uids: Vec<EntityUid> = world
            .principals
            .iter()
            .map(|p| uid(&principal_type, &p.id))
            .collect();
        let mut entities = Vec::with_capacity(world.scopes.len() + world.principals.len());
        for (idx, uid) in principal_uids.iter().enumerate() {
            let mut holders = vec![idx];
            let mut next = 0;
            while let Some(current) = holders.get(next).copied() {
                next += 1;
                for group in &member_of[current] {
                    if !holders.contains(group) {
                        holders.push(*group);
                    }
                }
            }
            let mut grants: BTreeMap<usize, BTreeSet<usize>> = BTreeMap::new();
            for holder in holders {
                for &(role, scope) in &direct[holder] {
                    grants.entry(role).or_default().insert(scope);
                }
            }
            let attrs: HashMap<String, RestrictedExpression> = grants
                .into_iter()
                .map(|(role, scopes)| {
                    let set = RestrictedExpression::new_set(
                        scopes
                            .into_iter()
                            .map(|s| RestrictedExpression::new_entity_uid(scope_uids[s].clone())),
                    );
                    (format!("r{role}"), set)
                })
                .collect();
            let parents: HashSet<EntityUid> = member_of[idx]
                .iter()
                .map(|g| principal_uids[*g].clone())
                .collect();
            entities.push(Entity::new(uid.clone(), attrs, parents)?);
        }
        for (idx, scope) in world.scopes.iter().enumerate() {
            let parents: HashSet<EntityUid> = scope
                .parent
                .map(|p| scope_uids[p].clone())
                .into_iter()
                .collect();
            entities.push(Entity::new_no_attrs(scope_uids[idx].clone(), parents));
        }
        let n_entities = entities.len();
        let entities = Entities::from_entities(entities, None).context("build cedar entities")?;

        // Policies: one permit per role block and kind of action, one forbid per deny block and kind.
        let mut text = String::new();
        for (number, role) in roles.iter().enumerate() {
            for block in &role.permissions {
                for (data, granted, subtracted) in kinds(block) {
                    if granted.is_empty() {
                        continue;
                    }
                    write!(
                        text,
                        "permit(principal, action, resource) when {{ principal has r{number} && context.data == {data} && {} && resource in principal.r{number} }}",
                        any_like(granted)?
                    )?;
                    if !subtracted.is_empty() {
                        write!(text, " unless {{ {} }}", any_like(subtracted)?)?;
                    }
                    text.push_str(";\n");
                }
            }
        }
        for deny in &world.denies {
            let everyone = deny.principals.iter().any(|p| p == EVERYONE);
            let (principal_head, principal_when) = match deny.principals.as_slice() {
                _ if everyone => ("principal".to_owned(), None),
                [one] => (format!("principal in Principal::\"{one}\""), None),
                many => (
                    "principal".to_owned(),
                    Some(format!("principal in {}", principal_list(many))),
                ),
            };
            let scope = &world.scopes[deny.scope].id;
            let resource_head = if deny.do_not_apply_to_child_scopes {
                format!("resource == Scope::\"{scope}\"")
            } else {
                format!("resource in Scope::\"{scope}\"")
            };
            for block in &deny.permissions {
                for (data, granted, subtracted) in kinds(block) {
                    if granted.is_empty() {
                        continue;
                    }
                    let mut when = format!("context.data == {data} && {}", any_like(granted)?);
                    if let Some(p) = &principal_when {
                        write!(when, " && {p}")?;
                    }
                    let mut unless = Vec::new();
                    if !subtracted.is_empty() {
                        unless.push(any_like(subtracted)?);
                    }
                    if !deny.exclude_principals.is_empty() {
                        unless.push(format!(
                            "principal in {}",
                            principal_list(&deny.exclude_principals)
                        ));
                    }
                    write!(
                        text,
                        "forbid({principal_head}, action, {resource_head}) when {{ {when} }}"
                    )?;
                    if !unless.is_empty() {
                        write!(text, " unless {{ {} }}", unless.join(" || "))?;
                    }
                    text.push_str(";\n");
                }
            }
        }
        let policies = PolicySet::from_str(&text).context("parse cedar policies")?;
        let n_policies = policies.policies().count();
        Ok(CedarModel {
            policies,
            entities,
            authorizer: Authorizer::new(),
            principal_type,
            scope_type,
            action,
            n_policies,
            n_entities,
        })
    }

    /// Builds the request for a query (done before timing).
    pub fn request(&self, world: &World, query: &Query) -> anyhow::Result<Request> {
        let action = &world.actions[query.action];
        let context = Context::from_pairs([
            (
                "action".to_owned(),
                RestrictedExpression::new_string(action.name.to_ascii_lowercase()),
            ),
            (
                "data".to_owned(),
                RestrictedExpression::new_bool(action.data_action),
            ),
        ])?;
        Ok(Request::new(
            uid(&self.principal_type, &world.principals[query.principal].id),
            self.action.clone(),
            uid(&self.scope_type, &world.scopes[query.target].id),
            context,
            None,
        )?)
    }

    /// Decides a request.
    pub fn decide(&self, request: &Request) -> Outcome {
        let response = self
            .authorizer
            .is_authorized(request, &self.policies, &self.entities);
        match response.decision() {
            Decision::Allow => Outcome::Allowed,
            Decision::Deny if response.diagnostics().reason().next().is_some() => Outcome::Denied,
            Decision::Deny => Outcome::NotGranted,
        }
    }

    /// Returns how many policies failed to evaluate for a request (expected: none).
    pub fn errors(&self, request: &Request) -> usize {
        self.authorizer
            .is_authorized(request, &self.policies, &self.entities)
            .diagnostics()
            .errors()
            .count()
    }
}
