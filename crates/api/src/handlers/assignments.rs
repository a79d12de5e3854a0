//! Role assignments: create (checked: the principal, the role and the scope exist, the role
//! is assignable there, no duplicate, Azure's limits), read, list with `$filter` (`atScope()`,
//! `principalId eq`, `assignedTo()`), delete. Every read-only property ARM fills is filled
//! (`properties.scope`, `principalType`, `createdOn`, `createdBy`…): `az` filters on them.
//!
//! Whether an assignment grants a call is the access check's business, not this module's.

use axum::http::StatusCode;
use axum::response::Response;
use leitstand_core::resource_id::Scope;
use leitstand_core::ErrorCode;
use leitstand_store::RoleAssignmentRow;
use serde_json::{json, Value};

use crate::arm::{json, Ctx};
use crate::error::ApiError;
use crate::handlers::authorization::{
    assignable_at, custom_definition, require_scope, scope_chain, scope_prefix,
};
use crate::write::{run_write, Outcome, Target};
use crate::AppState;

/// Most role assignments within one subscription (Azure's limit).
pub const MAX_PER_SUBSCRIPTION: usize = 4000;
/// Most role assignments at one management group (Azure's limit).
pub const MAX_PER_GROUP: usize = 500;

fn render(row: &RoleAssignmentRow) -> Value {
    let scope = Scope::parse(&row.scope)
        .map(|s| scope_prefix(&s))
        .unwrap_or_default();
    json!({
        "id": format!("{}/providers/Microsoft.Authorization/roleAssignments/{}", if row.scope == "/" { "" } else { &row.scope }, row.id),
        "name": row.id,
        "type": "Microsoft.Authorization/roleAssignments",
        "properties": {
            "scope": row.scope,
            "roleDefinitionId": format!("{scope}/providers/Microsoft.Authorization/roleDefinitions/{}", row.role_definition_id),
            "principalId": row.principal_id,
            "principalType": row.principal_type,
            "description": row.description,
            "condition": row.condition,
            "conditionVersion": row.condition_version,
            "createdOn": row.created_at,
            "updatedOn": row.updated_at,
            "createdBy": row.created_by,
            "updatedBy": row.updated_by,
            "delegatedManagedIdentityResourceId": null,
        },
    })
}

fn not_found(id: &str) -> ApiError {
    ApiError::new(
        ErrorCode::RoleAssignmentNotFound,
        format!("the role assignment `{id}` is not found"),
    )
}

/// Tells whether `assignment` is at or above the scope whose chain is `scope_chain`.
fn at_or_above(scope_chain: &[String], assignment: &RoleAssignmentRow) -> bool {
    scope_chain.contains(&assignment.scope.to_lowercase())
}

/// Tells whether `assignment` is at or below `scope_key` (a lowercase scope id).
fn at_or_below(ctx: &Ctx, assignment: &RoleAssignmentRow, scope_key: &str) -> bool {
    Scope::parse(&assignment.scope)
        .is_ok_and(|s| scope_chain(ctx, &s).iter().any(|c| c == scope_key))
}

/// `GET {scope}/providers/Microsoft.Authorization/roleAssignments`.
pub async fn list(state: &AppState, ctx: &Ctx, scope: &Scope) -> Result<Response, ApiError> {
    require_scope(state, ctx, scope).await?;
    let filter = ctx.query("$filter").map(str::trim).unwrap_or_default();
    let mut principals: Option<Vec<String>> = None;
    let mut only_above = false;
    if filter.eq_ignore_ascii_case("atScope()") {
        only_above = true;
    } else if let Some(id) = strip_call(filter, "principalId eq ") {
        principals = Some(vec![id.to_lowercase()]);
    } else if let Some(id) = filter
        .strip_prefix("assignedTo(")
        .and_then(|r| r.strip_suffix(')'))
    {
        let id = id.trim_matches('\'').to_lowercase();
        let mut ids = state
            .store
            .transitive_groups(&ctx.caller.tenant, &id)
            .await?;
        ids.push(id);
        principals = Some(ids);
    } else if !filter.is_empty() {
        return Err(ApiError::new(
            ErrorCode::InvalidParameter,
            format!("the `$filter` `{filter}` is not supported; use atScope(), principalId eq '…' or assignedTo('…')"),
        )
        .at("$filter"));
    }
    // The scope's chain once, not once per assignment.
    let above = scope_chain(ctx, scope);
    let scope_key = scope.to_string().to_lowercase();
    let items = state
        .store
        .list_role_assignments(&ctx.caller.tenant)
        .await?
        .into_iter()
        .filter(|a| at_or_above(&above, a) || (!only_above && at_or_below(ctx, a, &scope_key)))
        .filter(|a| {
            principals
                .as_ref()
                .is_none_or(|p| p.contains(&a.principal_id))
        })
        .map(|a| render(&a))
        .collect();
    Ok(json(StatusCode::OK, crate::paging::page(ctx, items)))
}

fn strip_call<'a>(filter: &'a str, prefix: &str) -> Option<&'a str> {
    filter
        .get(..prefix.len())
        .filter(|p| p.eq_ignore_ascii_case(prefix))
        .and_then(|_| filter.get(prefix.len()..))
        .map(|v| v.trim().trim_matches('\''))
}

/// Returns an assignment by name: at `scope`, or anywhere in the tenant for `/` (GET by id).
async fn find(
    state: &AppState,
    ctx: &Ctx,
    scope: &Scope,
    id: &str,
) -> Result<RoleAssignmentRow, ApiError> {
    let found = state
        .store
        .get_role_assignment(&ctx.caller.tenant, id)
        .await?
        .ok_or_else(|| not_found(id))?;
    if *scope != Scope::Root && !found.scope.eq_ignore_ascii_case(&scope.to_string()) {
        return Err(not_found(id));
    }
    Ok(found)
}

/// `GET {scope}/providers/Microsoft.Authorization/roleAssignments/{name}`.
pub async fn get(
    state: &AppState,
    ctx: &Ctx,
    scope: &Scope,
    id: &str,
) -> Result<Response, ApiError> {
    let found = find(state, ctx, scope, id).await?;
    if *scope == Scope::Root {
        // By id: checked at the assignment's own scope.
        let at = Scope::parse(&found.scope).unwrap_or(Scope::Root);
        let action = ctx.op.action();
        if !crate::access::can(ctx, &action, &at) {
            return Err(crate::access::refusal(
                ctx,
                &action,
                &at,
                &leitstand_rbac::engine::Verdict::NotGranted,
            ));
        }
    }
    Ok(json(StatusCode::OK, render(&found)))
}

/// `PUT {scope}/providers/Microsoft.Authorization/roleAssignments/{name}`.
pub async fn put(
    state: &AppState,
    ctx: &Ctx,
    scope: &Scope,
    id: &str,
) -> Result<Response, ApiError> {
    let name = leitstand_core::ids::parse_guid("role assignment name", id)
        .map_err(|e| {
            ApiError::new(ErrorCode::InvalidParameter, e.to_string()).at("roleAssignmentName")
        })?
        .to_string();
    require_scope(state, ctx, scope).await?;
    let bad = |path: &str, message: String| {
        ApiError::new(ErrorCode::InvalidRequestContent, message).at(path)
    };
    let role_ref = ctx
        .body
        .str("properties.roleDefinitionId")?
        .ok_or_else(|| {
            bad(
                "properties.roleDefinitionId",
                "`properties.roleDefinitionId` is required".into(),
            )
        })?;
    let role_id = role_ref
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_lowercase();
    let principal_id = ctx
        .body
        .str("properties.principalId")?
        .ok_or_else(|| {
            bad(
                "properties.principalId",
                "`properties.principalId` is required".into(),
            )
        })?
        .to_lowercase();
    let condition = ctx
        .body
        .str("properties.condition")?
        .filter(|c| !c.trim().is_empty());
    let condition_version = ctx.body.str("properties.conditionVersion")?;
    if let Some(text) = &condition {
        leitstand_rbac::condition::parse(text)
            .map_err(|e| bad("properties.condition", e.to_string()))?;
    }
    if condition.is_some() && condition_version.as_deref().is_some_and(|v| v != "2.0") {
        return Err(bad(
            "properties.conditionVersion",
            "`properties.conditionVersion` must be 2.0".into(),
        ));
    }
    // The role: built-in, or a custom role of this tenant assignable at this scope.
    let role_name = match leitstand_rbac::builtin_role_by_id(&role_id) {
        Some(role) => role.role_name.clone(),
        None => {
            let custom = state
                .store
                .get_custom_role(&ctx.caller.tenant, &role_id)
                .await?
                .ok_or_else(|| {
                    ApiError::new(
                        ErrorCode::RoleDefinitionDoesNotExist,
                        format!("the role definition `{role_ref}` does not exist"),
                    )
                    .at("properties.roleDefinitionId")
                })?;
            if !assignable_at(ctx, &custom, scope) {
                return Err(ApiError::new(
                    ErrorCode::InvalidRoleDefinition,
                    format!("the custom role `{}` is not assignable at `{scope}`; its assignable scopes are {:?}", custom.role_name, custom.assignable_scopes),
                )
                .at("properties.roleDefinitionId"));
            }
            let definition = custom_definition(&custom);
            if matches!(scope, Scope::ManagementGroup(_))
                && definition
                    .permissions
                    .iter()
                    .any(|p| !p.data_actions.is_empty())
            {
                return Err(ApiError::new(
                    ErrorCode::InvalidRoleDefinition,
                    format!("the custom role `{}` has data actions and cannot be assigned at management-group scope", custom.role_name),
                )
                .at("properties.roleDefinitionId"));
            }
            custom.role_name
        }
    };
    // The principal: must exist in this tenant.
    let principal = state
        .store
        .get_principal(&ctx.caller.tenant, &principal_id)
        .await?
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::PrincipalNotFound,
                format!(
                    "principal `{principal_id}` does not exist in the directory `{}`",
                    ctx.caller.tenant
                ),
            )
            .at("properties.principalId")
        })?;
    if let Some(kind) = ctx.body.str("properties.principalType")? {
        if !kind.eq_ignore_ascii_case(principal.kind.as_str()) {
            return Err(bad(
                "properties.principalType",
                format!(
                    "principal `{principal_id}` is a {}, not a {kind}",
                    principal.kind.as_str()
                ),
            ));
        }
    }
    let row_condition_version = condition
        .as_ref()
        .map(|_| condition_version.clone().unwrap_or_else(|| "2.0".into()));
    let row = RoleAssignmentRow {
        id: name.clone(),
        scope: scope.to_string(),
        role_definition_id: role_id.clone(),
        principal_id: principal_id.clone(),
        principal_type: principal.kind.as_str().to_owned(),
        description: ctx.body.str("properties.description")?.unwrap_or_default(),
        condition,
        condition_version: row_condition_version,
        created_at: String::new(),
        updated_at: String::new(),
        created_by: ctx.caller.principal.id.clone(),
        updated_by: ctx.caller.principal.id.clone(),
    };
    let target = Target {
        scope: format!(
            "{}/providers/Microsoft.Authorization/roleAssignments/{name}",
            if *scope == Scope::Root {
                String::new()
            } else {
                scope.to_string()
            }
        ),
        subscription_id: scope.subscription().map(|s| s.to_string()),
        resource_group: match scope {
            Scope::ResourceGroup(_, rg) => Some(rg.to_string()),
            Scope::Resource(r) => Some(r.resource_group.to_string()),
            _ => None,
        },
    };
    let (status, rendered) = run_write(state, ctx, target, async |tx| {
        // Checked against the transaction's access index: no scan of the tenant's assignments.
        let scope_key = row.scope.to_ascii_lowercase();
        if let Some(same) = tx.snapshot().access.assignment(&name) {
            let unchanged = *same.scope == *scope_key && *same.role == *row.role_definition_id && *same.principal == *row.principal_id;
            if !unchanged {
                return Err(ApiError::new(ErrorCode::RoleAssignmentUpdateNotPermitted, format!("the role assignment `{name}` exists with another scope, role or principal; delete it first")));
            }
            let stored = tx.store().get_role_assignment(tx.tenant(), &name).await?.ok_or_else(|| not_found(&name))?;
            return Ok(Outcome { value: (StatusCode::OK, render(&stored)), http_status: 200, before: None, after: None });
        }
        let access = &tx.snapshot().access;
        if let Some(dup) = access.assignments_at_scope(&scope_key).find(|a| *a.role == *row.role_definition_id && *a.principal == *row.principal_id) {
            return Err(ApiError::new(ErrorCode::RoleAssignmentExists, format!("the role assignment already exists as `{}`", dup.id)));
        }
        match scope {
            Scope::ManagementGroup(_) => {
                if access.assignments_at_scope(&scope_key).count() >= MAX_PER_GROUP {
                    return Err(ApiError::new(ErrorCode::RoleAssignmentLimitExceeded, format!("management group `{scope}` already has {MAX_PER_GROUP} role assignments, the most allowed")));
                }
            }
            _ => {
                if let Some(sub) = scope.subscription() {
                    if access.count_in_subscription(sub.as_str()) >= MAX_PER_SUBSCRIPTION {
                        return Err(ApiError::new(ErrorCode::RoleAssignmentLimitExceeded, format!("subscription `{sub}` already has {MAX_PER_SUBSCRIPTION} role assignments, the most allowed")));
                    }
                }
            }
        }
        tx.insert_role_assignment(&row, &ctx.caller.principal.id).await?;
        let now = leitstand_store::format_time(tx.now());
        let stored = RoleAssignmentRow { created_at: now.clone(), updated_at: now, ..row.clone() };
        let mut after = render(&stored);
        after["properties"]["roleName"] = json!(role_name);
        Ok(Outcome { value: (StatusCode::CREATED, render(&stored)), http_status: 201, before: None, after: Some(after) })
    })
    .await?;
    Ok(json(status, rendered))
}

/// `DELETE {scope}/providers/Microsoft.Authorization/roleAssignments/{name}`: 200 with the
/// assignment, 204 when there is none.
pub async fn delete(
    state: &AppState,
    ctx: &Ctx,
    scope: &Scope,
    id: &str,
) -> Result<Response, ApiError> {
    let found = match find(state, ctx, scope, id).await {
        Ok(found) => found,
        Err(e) if e.code == ErrorCode::RoleAssignmentNotFound => {
            return Ok(json(StatusCode::NO_CONTENT, Value::Null))
        }
        Err(e) => return Err(e),
    };
    let target = Target::scope(format!(
        "{}/providers/Microsoft.Authorization/roleAssignments/{}",
        if found.scope == "/" { "" } else { &found.scope },
        found.id
    ));
    run_write(state, ctx, target, async |tx| {
        tx.delete_role_assignment(&found.id).await?;
        Ok(Outcome {
            value: (),
            http_status: 200,
            before: Some(render(&found)),
            after: None,
        })
    })
    .await?;
    Ok(json(StatusCode::OK, render(&found)))
}

/// Returns the role definition a role-assignment points at: built-in, or a custom role of
/// the tenant.
pub async fn role_definition(
    state: &AppState,
    tenant: &str,
    id: &str,
) -> Result<Option<leitstand_rbac::RoleDefinition>, ApiError> {
    if let Some(role) = leitstand_rbac::builtin_role_by_id(id) {
        return Ok(Some(role.clone()));
    }
    Ok(state
        .store
        .get_custom_role(tenant, id)
        .await?
        .as_ref()
        .map(custom_definition))
}

/// Returns the assignments that apply to `principal` at `scope`: its own and its groups'
/// (nested groups too), at the scope or above it.
pub async fn effective_assignments(
    state: &AppState,
    ctx: &Ctx,
    principal: &str,
    scope: &Scope,
) -> Result<Vec<RoleAssignmentRow>, ApiError> {
    let mut principals = state
        .store
        .transitive_groups(&ctx.caller.tenant, principal)
        .await?;
    principals.push(principal.to_lowercase());
    let above = scope_chain(ctx, scope);
    Ok(state
        .store
        .list_role_assignments(&ctx.caller.tenant)
        .await?
        .into_iter()
        .filter(|a| principals.contains(&a.principal_id) && at_or_above(&above, a))
        .collect())
}

/// `GET {scope}/providers/Microsoft.Authorization/permissions`: the caller's permission blocks
/// at a scope, from every role assigned to it or its groups at or above the scope.
pub async fn permissions(state: &AppState, ctx: &Ctx, scope: &Scope) -> Result<Response, ApiError> {
    require_scope(state, ctx, scope).await?;
    let mut blocks = Vec::new();
    for assignment in effective_assignments(state, ctx, &ctx.caller.principal.id, scope).await? {
        let Some(role) =
            role_definition(state, &ctx.caller.tenant, &assignment.role_definition_id).await?
        else {
            continue;
        };
        for p in &role.permissions {
            let mut block = json!({
                "actions": p.actions, "notActions": p.not_actions,
                "dataActions": p.data_actions, "notDataActions": p.not_data_actions,
            });
            // A condition on the assignment applies to every block it grants.
            if let Some(condition) = assignment
                .condition
                .as_ref()
                .or(p.condition.as_ref().map(|c| &c.expression))
            {
                block["condition"] = json!(condition);
                block["conditionVersion"] = json!(assignment
                    .condition_version
                    .clone()
                    .unwrap_or_else(|| "2.0".into()));
            }
            blocks.push(block);
        }
    }
    Ok(json(StatusCode::OK, crate::paging::page(ctx, blocks)))
}

/// User Access Administrator, the role `elevateAccess` grants.
pub const USER_ACCESS_ADMINISTRATOR: &str = "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9";

/// `POST /providers/Microsoft.Authorization/elevateAccess`: a global administrator of the
/// tenant takes User Access Administrator at `/` and at the root group (nobody has access
/// there by default). Idempotent; logged like every write.
pub async fn elevate_access(state: &AppState, ctx: &Ctx) -> Result<Response, ApiError> {
    if !ctx.caller.principal.global_admin {
        return Err(ApiError::new(
            ErrorCode::AuthorizationFailed,
            format!(
                "`{}` is not a global administrator of tenant `{}`; only they may elevate access",
                ctx.caller.principal.display_name, ctx.caller.tenant
            ),
        ));
    }
    let root_group = Scope::ManagementGroup(
        ctx.caller
            .snapshot
            .tree
            .root()
            .map(|r| r.id.clone())
            .ok_or_else(|| ApiError::internal("find the root group", &"no root group"))?,
    );
    let me = ctx.caller.principal.clone();
    run_write(state, ctx, Target::scope("/providers/Microsoft.Authorization/elevateAccess"), async |tx| {
        let existing = tx.role_assignments().await?;
        let mut made = Vec::new();
        for scope in [Scope::Root, root_group.clone()] {
            let scope_id = scope.to_string();
            let held = existing
                .iter()
                .any(|a| a.principal_id == me.id && a.role_definition_id == USER_ACCESS_ADMINISTRATOR && a.scope.eq_ignore_ascii_case(&scope_id));
            if held {
                continue;
            }
            let row = RoleAssignmentRow {
                id: uuid::Uuid::new_v4().to_string(),
                scope: scope_id,
                role_definition_id: USER_ACCESS_ADMINISTRATOR.to_owned(),
                principal_id: me.id.clone(),
                principal_type: me.kind.as_str().to_owned(),
                description: "elevated access of a global administrator".to_owned(),
                condition: None,
                condition_version: None,
                created_at: String::new(),
                updated_at: String::new(),
                created_by: me.id.clone(),
                updated_by: me.id.clone(),
            };
            tx.insert_role_assignment(&row, &me.id).await?;
            made.push(json!({ "roleAssignmentId": row.id, "scope": row.scope, "roleName": "User Access Administrator" }));
        }
        Ok(Outcome { value: (), http_status: 200, before: None, after: Some(json!({ "created": made })) })
    })
    .await?;
    Ok(json(StatusCode::OK, Value::Null))
}
