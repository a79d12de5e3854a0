//! Authorization of ARM calls against the caller's role and deny assignments.
//!
//! [`authorize`] runs in the dispatcher before any handler: it knows, for every
//! [`Operation`], the action it performs and the scope it performs it at, asks the tenant's
//! access index ([`leitstand_rbac::engine`]) and refuses with 403 `AuthorizationFailed`
//! (ARM's message: caller, action, scope). Lists that ARM filters per item (subscriptions,
//! management groups, resource groups, resources, role assignments at `/`) come back as
//! [`Visibility::Filtered`] and the handler keeps only what the caller may read
//! ([`visible`]). Three operations are checked in their handlers, inside the write
//! transaction, because what they need depends on the state they change: creating a
//! management group (hierarchy protection, the creator's Owner), and moving a group or a
//! subscription ([`check_move`]).
//!
//! The hierarchy is the request's snapshot (or the write transaction's), so a new assignment,
//! membership or move is in force for the next request, on every server.

use leitstand_core::resource_id::Scope;
use leitstand_core::tree::TenantTree;
use leitstand_core::ErrorCode;
use leitstand_rbac::condition::{AttributeValue, Source};
use leitstand_rbac::engine::{Attributes, Check, Verdict};
use leitstand_store::Snapshot;
use serde_json::Value;

use crate::arm::Ctx;
use crate::error::ApiError;
use crate::ops::Operation;

/// Returns the lowercase ids of `scope` and every scope above it, the scope first.
pub fn chain(tree: &TenantTree, scope: &Scope) -> Vec<String> {
    tree.scope_chain(scope)
        .iter()
        .map(|s| s.to_string().to_ascii_lowercase())
        .collect()
}

/// The attributes a condition may read about one request.
#[derive(Debug, Clone, Default)]
pub struct RequestAttributes {
    values: Vec<(Source, String, AttributeValue)>,
}

impl RequestAttributes {
    /// Starts with `@Environment[UtcNow]`.
    pub fn at(now: chrono::DateTime<chrono::Utc>) -> RequestAttributes {
        let mut attributes = RequestAttributes::default();
        attributes.set(Source::Environment, "UtcNow", AttributeValue::DateTime(now));
        attributes
    }

    /// Sets an attribute (replacing one of the same name).
    pub fn set(&mut self, source: Source, name: &str, value: AttributeValue) {
        self.values
            .retain(|(s, n, _)| !(*s == source && n.eq_ignore_ascii_case(name)));
        self.values.push((source, name.to_owned(), value));
    }
}

impl Attributes for RequestAttributes {
    fn attribute(&self, source: Source, name: &str) -> Option<AttributeValue> {
        self.values
            .iter()
            .find(|(s, n, _)| *s == source && n.eq_ignore_ascii_case(name))
            .map(|(_, _, v)| v.clone())
    }
}

/// Decides whether `principal` may perform `action` at `scope` in `snapshot`.
pub fn check(
    snapshot: &Snapshot,
    principal: &str,
    action: &str,
    data_action: bool,
    scope: &Scope,
    attributes: &dyn Attributes,
) -> Verdict {
    let chain = chain(&snapshot.tree, scope);
    let chain: Vec<&str> = chain.iter().map(String::as_str).collect();
    snapshot.access.check(&Check {
        principal,
        action,
        data_action,
        chain: &chain,
        attributes,
    })
}

/// ARM's refusal for `action` at `scope`.
pub fn refusal(ctx: &Ctx, action: &str, scope: &Scope, verdict: &Verdict) -> ApiError {
    let scope_text = scope.to_string();
    let mut message = format!(
        "The client '{}' with object id '{}' does not have authorization to perform action '{}' over scope '{}' or the scope is invalid.",
        ctx.caller.principal.display_name, ctx.caller.principal.id, action, scope_text
    );
    if let Verdict::Denied(deny) = verdict {
        message.push_str(&format!(
            " The access is denied because of the deny assignment with name '{}' and Id '{}' at scope '{}'.",
            deny.name, deny.id, deny.scope
        ));
    } else {
        message.push_str(" If access was recently granted, please refresh your credentials.");
    }
    ApiError::new(ErrorCode::AuthorizationFailed, message)
}

/// Refuses unless the caller may perform `action` at `scope` in `snapshot`.
pub fn require(
    ctx: &Ctx,
    snapshot: &Snapshot,
    action: &str,
    scope: &Scope,
    attributes: &dyn Attributes,
) -> Result<(), ApiError> {
    let verdict = check(
        snapshot,
        &ctx.caller.principal.id,
        action,
        false,
        scope,
        attributes,
    );
    if verdict.is_allowed() {
        Ok(())
    } else {
        Err(refusal(ctx, action, scope, &verdict))
    }
}

/// Whether the caller may perform `action` at `scope`, as of the request's snapshot.
pub fn can(ctx: &Ctx, action: &str, scope: &Scope) -> bool {
    check(
        &ctx.caller.snapshot,
        &ctx.caller.principal.id,
        action,
        false,
        scope,
        &RequestAttributes::default(),
    )
    .is_allowed()
}

/// What a list shows the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Visibility {
    /// Everything: the caller may read at the list's scope.
    #[default]
    All,
    /// Only the items the caller may read, each checked at its own scope.
    Filtered,
}

/// Keeps the list items (ARM resources with an `id`) the caller may read.
pub fn visible(ctx: &Ctx, items: Vec<Value>) -> Vec<Value> {
    if ctx.visibility == Visibility::All {
        return items;
    }
    let list_action = ctx.op.action();
    items
        .into_iter()
        .filter(|item| {
            let id = item
                .pointer("/properties/scope")
                .filter(|_| {
                    matches!(
                        ctx.op,
                        Operation::ListRoleAssignments(_) | Operation::ListDenyAssignments(_)
                    )
                })
                .or_else(|| item.get("id"))
                .and_then(Value::as_str)
                .unwrap_or_default();
            let Ok(scope) = Scope::parse(id) else {
                return false;
            };
            let action = match (&ctx.op, &scope, item.get("type").and_then(Value::as_str)) {
                (
                    Operation::ListResources(_) | Operation::ListGroupResources(..),
                    Scope::Resource(_),
                    Some(t),
                ) => {
                    format!("{t}/read")
                }
                _ => list_action.clone(),
            };
            can(ctx, &action, &scope)
        })
        .collect()
}

/// How an operation is authorized.
enum Need {
    /// Any signed-in principal of the tenant.
    SignedIn,
    /// The operation's action at this scope.
    At(Scope),
    /// The operation's action at this scope, or else a list filtered per item when the
    /// caller holds an assignment below the scope.
    AtOrFiltered(Scope),
    /// A list ARM always filters per item (unless the caller may read at `/`).
    Filtered,
    /// Checked by the handler inside its write transaction.
    InHandler,
    /// A global administrator of the tenant (`elevateAccess`).
    GlobalAdmin,
}

fn need(ctx: &Ctx) -> Need {
    use Operation::*;
    let group = |g: &leitstand_core::ids::GroupId| Scope::ManagementGroup(g.clone());
    match &ctx.op {
        ListTenants
        | CheckNameAvailability
        | ManagementGroupOperationResult(_)
        | ListProviderOperations
        | GetProviderOperations(_)
        | ListPermissions(_)
        | CheckAccess
        | GetAlias(_) => Need::SignedIn,
        ElevateAccess => Need::GlobalAdmin,
        ListManagementGroups | ListSubscriptions => Need::Filtered,
        PutManagementGroup(_)
        | PutGroupSubscription(..)
        | DeleteGroupSubscription(..)
        | PutAlias(_) => Need::InHandler,
        GetManagementGroup(g)
        | PatchManagementGroup(g)
        | DeleteManagementGroup(g)
        | GetDescendants(g)
        | PreviewMove(g)
        | ListGroupSubscriptions(g)
        | ListSettings(g)
        | GetSettings(g)
        | PutSettings(g)
        | PatchSettings(g)
        | DeleteSettings(g)
        | ActivityLogManagementGroup(g) => Need::At(group(g)),
        GetGroupSubscription(_, s)
        | GetSubscription(s)
        | ListProviders(s)
        | GetProvider(s, _)
        | RegisterProvider(s, _)
        | ActivityLogSubscription(s) => Need::At(Scope::Subscription(s.clone())),
        ListResourceGroups(s) | ListResources(s) => {
            Need::AtOrFiltered(Scope::Subscription(s.clone()))
        }
        ListGroupResources(s, rg) => {
            Need::AtOrFiltered(Scope::ResourceGroup(s.clone(), rg.clone()))
        }
        GetResourceGroup(s, rg)
        | CheckResourceGroup(s, rg)
        | PutResourceGroup(s, rg)
        | PatchResourceGroup(s, rg)
        | DeleteResourceGroup(s, rg) => Need::At(Scope::ResourceGroup(s.clone(), rg.clone())),
        GetResource(r) | CheckResource(r) | PutResource(r) | PatchResource(r)
        | DeleteResource(r) => Need::At(Scope::Resource(r.clone())),
        // Anyone may read the definitions at `/` (built-in roles are the same for all).
        ListRoleDefinitions(Scope::Root) | GetRoleDefinition(Scope::Root, _) => Need::SignedIn,
        ListRoleDefinitions(s) | GetRoleDefinition(s, _) => Need::At(s.clone()),
        // A custom role is also checked at each of its assignable scopes, in the handler.
        PutRoleDefinition(s, _) | DeleteRoleDefinition(s, _) => Need::At(s.clone()),
        ListRoleAssignments(Scope::Root) | ListDenyAssignments(Scope::Root) => Need::Filtered,
        ListDenyAssignments(s) => Need::At(s.clone()),
        GetDenyAssignment(Scope::Root, _) | WhoCan => Need::InHandler,
        GetDenyAssignment(s, _) => Need::At(s.clone()),
        ListRoleAssignments(s) => Need::At(s.clone()),
        // GET by id at `/` is checked at the assignment's own scope, in the handler.
        GetRoleAssignment(Scope::Root, _) => Need::InHandler,
        GetRoleAssignment(s, _) | PutRoleAssignment(s, _) | DeleteRoleAssignment(s, _) => {
            Need::At(s.clone())
        }
        UploadCosts => Need::At(Scope::Root),
        ListTagRules(s)
        | PutTagRule(s, _)
        | DeleteTagRule(s, _)
        | TagCompliance(s)
        | ListRecommendations(s) => Need::At(s.clone()),
        CostQuery(s) | ListBudgets(s) | GetBudget(s, _) | PutBudget(s, _) | DeleteBudget(s, _) => {
            Need::At(s.clone())
        }
    }
}

/// The attributes of a role-assignment write that conditions read: the new assignment's
/// role, principal and principal type as `@Request`, the deleted one's as `@Resource`.
fn attributes(ctx: &Ctx, now: chrono::DateTime<chrono::Utc>) -> RequestAttributes {
    const RA: &str = "Microsoft.Authorization/roleAssignments";
    let mut attributes = RequestAttributes::at(now);
    let guid_tail = |s: &str| {
        s.rsplit('/')
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase()
    };
    match &ctx.op {
        Operation::PutRoleAssignment(..) => {
            if let Ok(Some(role)) = ctx.body.str("properties.roleDefinitionId") {
                attributes.set(
                    Source::Request,
                    &format!("{RA}:RoleDefinitionId"),
                    AttributeValue::Guid(guid_tail(&role)),
                );
            }
            if let Ok(Some(p)) = ctx.body.str("properties.principalId") {
                attributes.set(
                    Source::Request,
                    &format!("{RA}:PrincipalId"),
                    AttributeValue::Guid(p.to_ascii_lowercase()),
                );
            }
            if let Ok(Some(t)) = ctx.body.str("properties.principalType") {
                attributes.set(
                    Source::Request,
                    &format!("{RA}:PrincipalType"),
                    AttributeValue::String(t),
                );
            }
        }
        Operation::DeleteRoleAssignment(_, id) => {
            if let Some(a) = ctx
                .caller
                .snapshot
                .access
                .assignment(&id.to_ascii_lowercase())
            {
                attributes.set(
                    Source::Resource,
                    &format!("{RA}:RoleDefinitionId"),
                    AttributeValue::Guid(a.role.to_string()),
                );
                attributes.set(
                    Source::Resource,
                    &format!("{RA}:PrincipalId"),
                    AttributeValue::Guid(a.principal.to_string()),
                );
            }
        }
        _ => {}
    }
    attributes
}

/// Authorizes the request's operation for its caller; returns what its list may show.
pub fn authorize(ctx: &Ctx, now: chrono::DateTime<chrono::Utc>) -> Result<Visibility, ApiError> {
    let action = ctx.op.action();
    match need(ctx) {
        Need::SignedIn | Need::InHandler => Ok(Visibility::All),
        Need::GlobalAdmin => {
            if ctx.caller.principal.global_admin {
                Ok(Visibility::All)
            } else {
                Err(refusal(ctx, &action, &Scope::Root, &Verdict::NotGranted))
            }
        }
        Need::Filtered => Ok(if can(ctx, &action, &Scope::Root) {
            Visibility::All
        } else {
            Visibility::Filtered
        }),
        Need::At(scope) => {
            let attributes = attributes(ctx, now);
            require(ctx, &ctx.caller.snapshot, &action, &scope, &attributes)?;
            Ok(Visibility::All)
        }
        Need::AtOrFiltered(scope) => {
            let verdict = check(
                &ctx.caller.snapshot,
                &ctx.caller.principal.id,
                &action,
                false,
                &scope,
                &RequestAttributes::at(now),
            );
            if verdict.is_allowed() {
                return Ok(Visibility::All);
            }
            if holds_something_below(ctx, &scope) && !matches!(verdict, Verdict::Denied(_)) {
                return Ok(Visibility::Filtered);
            }
            Err(refusal(ctx, &action, &scope, &verdict))
        }
    }
}

/// Whether the caller (or one of its groups) holds an assignment strictly below `scope`.
fn holds_something_below(ctx: &Ctx, scope: &Scope) -> bool {
    let prefix = format!("{}/", scope.to_string().to_ascii_lowercase());
    let access = &ctx.caller.snapshot.access;
    access
        .principal_and_groups(&ctx.caller.principal.id)
        .iter()
        .flat_map(|p| access.assignments_of(p))
        .any(|a| a.scope.starts_with(&prefix))
}

const GROUP_WRITE: &str = "Microsoft.Management/managementGroups/write";
const ASSIGN: &str = "Microsoft.Authorization/roleAssignments/write";

/// The permission rules of a move of `child` from the group `old_parent` to `new_parent`
/// (group keys), as the management-group page documents them: management-group write and
/// role-assignment write on the moved group (role-assignment write on a moved subscription),
/// management-group write on the new parent and on the old one unless that parent is the root
/// group; and where the caller's role-assignment right on the child is only inherited, it
/// must hold it at the new parent too (an inherited Owner moves a subscription only to a group
/// where it is Owner).
pub fn check_move(
    ctx: &Ctx,
    snapshot: &Snapshot,
    child: &Scope,
    old_parent: &str,
    new_parent: &str,
) -> Result<(), ApiError> {
    let attributes = RequestAttributes::default();
    let tree = &snapshot.tree;
    let group_scope = |key: &str| {
        tree.group(key)
            .map(|g| Scope::ManagementGroup(g.id.clone()))
            .unwrap_or(Scope::Root)
    };
    if matches!(child, Scope::ManagementGroup(_)) {
        require(ctx, snapshot, GROUP_WRITE, child, &attributes)?;
    }
    require(ctx, snapshot, ASSIGN, child, &attributes)?;
    let root = tree.root_key();
    for parent in [new_parent, old_parent] {
        if parent != root {
            require(
                ctx,
                snapshot,
                GROUP_WRITE,
                &group_scope(parent),
                &attributes,
            )?;
        }
    }
    // Held at the child's own scope, or only through an ancestor?
    let own = [child.to_string().to_ascii_lowercase()];
    let own: Vec<&str> = own.iter().map(String::as_str).collect();
    let direct = snapshot
        .access
        .check(&Check {
            principal: &ctx.caller.principal.id,
            action: ASSIGN,
            data_action: false,
            chain: &own,
            attributes: &attributes,
        })
        .is_allowed();
    if !direct {
        let destination = group_scope(new_parent);
        if !check(
            snapshot,
            &ctx.caller.principal.id,
            ASSIGN,
            false,
            &destination,
            &attributes,
        )
        .is_allowed()
        {
            let mut err = refusal(ctx, ASSIGN, &destination, &Verdict::NotGranted);
            err.message = format!(
                "{} The caller's right to assign roles on `{child}` is inherited, so it must hold that right at the destination `{destination}` too (an inherited Owner moves only to a group where it is Owner).",
                err.message
            );
            return Err(err);
        }
    }
    Ok(())
}
