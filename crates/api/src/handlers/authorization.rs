//! Role definitions and the provider-operations catalogue (read side of RBAC): Azure's 928
//! built-in roles at any scope, with `$filter` on `roleName` and `type`, and every resource
//! provider's operations, the namespace role wildcards match against.
//!
//! Custom roles are stored per tenant and checked as the RBAC issue asks: assignable scopes
//! must exist (unlike Azure), at most one management group among them, no data actions at
//! management-group scope, at most 5,000 per tenant; actions that match no known operation
//! are warned about in `properties.warnings`. Role assignments and access checks come next.
//! The checks that need only the request body are in `role_body`, which the fuzzer drives.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use axum::http::StatusCode;
use axum::response::Response;
use leitstand_core::resource_id::Scope;
use leitstand_core::ErrorCode;
use leitstand_rbac::{RoleDefinition, RoleType};
use serde_json::{json, Value};

use crate::arm::{json, Ctx};
use crate::error::ApiError;
use crate::handlers::role_body::{self, strings_at, ParsedRoleDefinition};
use crate::handlers::subscriptions::require_subscription;
use crate::AppState;

/// Checks that a scope exists in the caller's tenant.
pub(crate) async fn require_scope(
    state: &AppState,
    ctx: &Ctx,
    scope: &Scope,
) -> Result<(), ApiError> {
    match scope {
        Scope::Root => Ok(()),
        Scope::ManagementGroup(g) => {
            if ctx.caller.snapshot.tree.contains_group(&g.key()) {
                Ok(())
            } else {
                Err(ApiError::new(
                    ErrorCode::NotFound,
                    format!("management group `{g}` was not found"),
                ))
            }
        }
        Scope::Subscription(s) => require_subscription(ctx, s).await.map(|_| ()),
        Scope::ResourceGroup(s, rg) => {
            require_subscription(ctx, s).await?;
            match state
                .store
                .get_resource_group(s.as_str(), rg.as_str())
                .await?
            {
                Some(_) => Ok(()),
                None => Err(ApiError::new(
                    ErrorCode::ResourceGroupNotFound,
                    format!("resource group `{rg}` could not be found"),
                )),
            }
        }
        Scope::Resource(r) => {
            require_subscription(ctx, &r.subscription).await?;
            let id = scope.to_string();
            match state.store.get_resource(&id).await? {
                Some(_) => Ok(()),
                None => Err(ApiError::new(
                    ErrorCode::ResourceNotFound,
                    format!("the resource `{id}` was not found"),
                )),
            }
        }
    }
}

pub(crate) fn scope_prefix(scope: &Scope) -> String {
    match scope {
        Scope::Root | Scope::ManagementGroup(_) => String::new(),
        other => other.to_string(),
    }
}

/// Renders a role definition as ARM's `RoleDefinition`, its id under `scope`.
fn render(scope: &Scope, role: &RoleDefinition) -> Value {
    let permissions: Vec<Value> = role
        .permissions
        .iter()
        .map(|p| {
            let mut block = json!({
                "actions": p.actions, "notActions": p.not_actions,
                "dataActions": p.data_actions, "notDataActions": p.not_data_actions,
            });
            if let Some(c) = &p.condition {
                block["condition"] = json!(c.expression);
                block["conditionVersion"] = json!(c.version);
            }
            block
        })
        .collect();
    json!({
        "id": format!("{}/providers/Microsoft.Authorization/roleDefinitions/{}", scope_prefix(scope), role.id),
        "name": role.id,
        "type": "Microsoft.Authorization/roleDefinitions",
        "properties": {
            "roleName": role.role_name,
            "type": match role.role_type { RoleType::BuiltIn => "BuiltInRole", RoleType::Custom => "CustomRole" },
            "description": role.description,
            "permissions": permissions,
            "assignableScopes": role.assignable_scopes,
            "createdOn": null, "updatedOn": null, "createdBy": null, "updatedBy": null,
        },
    })
}

/// The `$filter`s ARM documents on role definitions: `roleName eq '…'`, `type eq '…'`.
fn role_filter(ctx: &Ctx) -> Result<(Option<String>, Option<RoleType>), ApiError> {
    let Some(filter) = ctx.query("$filter") else {
        return Ok((None, None));
    };
    let (mut name, mut kind) = (None, None);
    for clause in crate::handlers::resources::split_and(filter) {
        let parts: Vec<&str> = clause.trim().splitn(3, ' ').collect();
        let bad = || {
            ApiError::new(ErrorCode::InvalidParameter, format!("the `$filter` clause `{clause}` is not supported; use roleName eq '…' or type eq 'BuiltInRole|CustomRole'"))
                .at("$filter")
        };
        let [field, op, value] = parts.as_slice() else {
            return Err(bad());
        };
        if !op.eq_ignore_ascii_case("eq") {
            return Err(bad());
        }
        let value = value.trim().trim_matches('\'').to_owned();
        match field.to_ascii_lowercase().as_str() {
            "rolename" => name = Some(value),
            "type" => {
                kind = Some(match value.to_ascii_lowercase().as_str() {
                    "builtinrole" => RoleType::BuiltIn,
                    "customrole" => RoleType::Custom,
                    _ => return Err(bad()),
                })
            }
            _ => return Err(bad()),
        }
    }
    Ok((name, kind))
}

/// `GET {scope}/providers/Microsoft.Authorization/roleDefinitions`.
pub async fn list_role_definitions(
    state: &AppState,
    ctx: &Ctx,
    scope: &Scope,
) -> Result<Response, ApiError> {
    require_scope(state, ctx, scope).await?;
    let (name, kind) = role_filter(ctx)?;
    let wanted = |role_name: &str, role_type: RoleType| {
        name.as_ref()
            .is_none_or(|n| role_name.eq_ignore_ascii_case(n))
            && kind.is_none_or(|k| role_type == k)
    };
    let mut items: Vec<Value> = leitstand_rbac::builtin_roles()
        .iter()
        .filter(|r| wanted(&r.role_name, r.role_type))
        .map(|r| render(scope, r))
        .collect();
    for row in state.store.list_custom_roles(&ctx.caller.tenant).await? {
        if wanted(&row.role_name, RoleType::Custom) && assignable_at(ctx, &row, scope) {
            items.push(render_custom(scope, &row));
        }
    }
    Ok(json(StatusCode::OK, crate::paging::page(ctx, items)))
}

/// `GET {scope}/providers/Microsoft.Authorization/roleDefinitions/{id}`.
pub async fn get_role_definition(
    state: &AppState,
    ctx: &Ctx,
    scope: &Scope,
    id: &str,
) -> Result<Response, ApiError> {
    require_scope(state, ctx, scope).await?;
    if let Some(role) = leitstand_rbac::builtin_role_by_id(id) {
        return Ok(json(StatusCode::OK, render(scope, role)));
    }
    match state.store.get_custom_role(&ctx.caller.tenant, id).await? {
        Some(row) => Ok(json(StatusCode::OK, render_custom(scope, &row))),
        None => Err(ApiError::new(
            ErrorCode::RoleDefinitionDoesNotExist,
            format!("the role definition `{id}` does not exist"),
        )),
    }
}

/// The catalogue grouped by provider namespace, built once.
static BY_NAMESPACE: LazyLock<BTreeMap<String, Value>> = LazyLock::new(|| {
    let mut groups: BTreeMap<String, (String, Vec<Value>)> = BTreeMap::new();
    for op in leitstand_rbac::operations() {
        let namespace = op.name.split('/').next().unwrap_or_default().to_owned();
        let entry = groups
            .entry(namespace.to_ascii_lowercase())
            .or_insert_with(|| (namespace.clone(), Vec::new()));
        entry.1.push(json!({
            "name": op.name,
            "displayName": op.display_name,
            "isDataAction": op.is_data_action,
        }));
    }
    groups
        .into_iter()
        .map(|(key, (namespace, operations))| {
            let value = json!({
                "id": format!("/providers/Microsoft.Authorization/providerOperations/{namespace}"),
                "name": namespace,
                "type": "Microsoft.Authorization/providerOperations",
                "displayName": namespace,
                "resourceTypes": [],
                "operations": operations,
            });
            (key, value)
        })
        .collect()
});

/// `GET /providers/Microsoft.Authorization/providerOperations`.
pub fn list_provider_operations(ctx: &Ctx) -> Result<Response, ApiError> {
    let items = BY_NAMESPACE.values().cloned().collect();
    Ok(json(StatusCode::OK, crate::paging::page(ctx, items)))
}

/// `GET /providers/Microsoft.Authorization/providerOperations/{namespace}`.
pub fn get_provider_operations(namespace: &str) -> Result<Response, ApiError> {
    match BY_NAMESPACE.get(&namespace.to_ascii_lowercase()) {
        Some(value) => Ok(json(StatusCode::OK, value.clone())),
        None => Err(ApiError::new(
            ErrorCode::NotFound,
            format!("resource provider `{namespace}` has no known operations"),
        )),
    }
}

/// Most custom roles per tenant (Azure's limit).
pub const MAX_CUSTOM_ROLES: i64 = 5000;

/// Turns a stored custom role into a definition the engine and renderer use.
pub(crate) fn custom_definition(row: &leitstand_store::CustomRoleRow) -> RoleDefinition {
    let permissions = row
        .permissions
        .as_array()
        .map(|blocks| {
            blocks
                .iter()
                .filter_map(Value::as_object)
                .map(|b| leitstand_rbac::Permission {
                    actions: strings_at(crate::body::lookup(b, "actions"), "").unwrap_or_default(),
                    not_actions: strings_at(crate::body::lookup(b, "notActions"), "")
                        .unwrap_or_default(),
                    data_actions: strings_at(crate::body::lookup(b, "dataActions"), "")
                        .unwrap_or_default(),
                    not_data_actions: strings_at(crate::body::lookup(b, "notDataActions"), "")
                        .unwrap_or_default(),
                    condition: None,
                })
                .collect()
        })
        .unwrap_or_default();
    RoleDefinition {
        id: row.id.clone(),
        role_name: row.role_name.clone(),
        description: row.description.clone(),
        role_type: RoleType::Custom,
        permissions,
        assignable_scopes: row.assignable_scopes.clone(),
    }
}

fn render_custom(scope: &Scope, row: &leitstand_store::CustomRoleRow) -> Value {
    let mut value = render(scope, &custom_definition(row));
    value["properties"]["createdOn"] = json!(row.created_at);
    value["properties"]["updatedOn"] = json!(row.updated_at);
    value["properties"]["createdBy"] = json!(row.created_by);
    value["properties"]["updatedBy"] = json!(row.updated_by);
    value
}

/// Tells whether a custom role is assignable at `scope` (one of its assignable scopes is the
/// scope or above it).
pub(crate) fn assignable_at(
    ctx: &Ctx,
    row: &leitstand_store::CustomRoleRow,
    scope: &Scope,
) -> bool {
    let chain = scope_chain(ctx, scope);
    row.assignable_scopes
        .iter()
        .any(|a| chain.contains(&a.to_lowercase()))
}

/// Returns the lowercase ids of a scope and everything above it, in the caller's hierarchy.
pub(crate) fn scope_chain(ctx: &Ctx, scope: &Scope) -> Vec<String> {
    ctx.caller
        .snapshot
        .tree
        .scope_chain(scope)
        .iter()
        .map(|s| s.to_string().to_lowercase())
        .collect()
}

/// `PUT {scope}/providers/Microsoft.Authorization/roleDefinitions/{id}`: a custom role.
pub async fn put_role_definition(
    state: &AppState,
    ctx: &Ctx,
    scope: &Scope,
    id: &str,
) -> Result<Response, ApiError> {
    // The id is refused before the scope is looked up; `parse_role_definition` checks it again.
    let guid = role_body::custom_role_id(id)?;
    require_scope(state, ctx, scope).await?;
    let ParsedRoleDefinition {
        id: _,
        role_name,
        description,
        permissions,
        assignable_scopes,
        warnings,
    } = role_body::parse_role_definition(id, &ctx.body)?;
    // Each assignable scope must exist (unlike Azure).
    let mut scopes = Vec::with_capacity(assignable_scopes.len());
    for (i, parsed) in assignable_scopes.into_iter().enumerate() {
        let path = format!("properties.assignableScopes[{i}]");
        require_scope(state, ctx, &parsed)
            .await
            .map_err(|e| ApiError {
                target: Some(path.clone()),
                ..e
            })?;
        // Azure's rule: the right to write the role at every scope it can be assigned at.
        crate::access::require(
            ctx,
            &ctx.caller.snapshot,
            &ctx.op.action(),
            &parsed,
            &crate::access::RequestAttributes::default(),
        )
        .map_err(|e| e.at(&path))?;
        scopes.push(parsed.to_string());
    }
    let row = leitstand_store::CustomRoleRow {
        id: guid.clone(),
        role_name: role_name.clone(),
        description,
        permissions: Value::Array(permissions),
        assignable_scopes: scopes,
        created_at: String::new(),
        updated_at: String::new(),
        created_by: String::new(),
        updated_by: String::new(),
    };
    let target = crate::write::Target::scope(format!(
        "{}/providers/Microsoft.Authorization/roleDefinitions/{guid}",
        scope_prefix(scope)
    ));
    let rendered = crate::write::run_write(state, ctx, target, async |tx| {
        if let Some(other) = tx.custom_role_named(&role_name).await? {
            if other.id != guid {
                return Err(ApiError::new(ErrorCode::RoleDefinitionWithSameNameExists, format!("the custom role `{}` is already named `{role_name}`", other.id))
                    .at("properties.roleName"));
            }
        }
        let existing = tx.store().get_custom_role(tx.tenant(), &guid).await?;
        if existing.is_none() && tx.count_custom_roles().await? >= MAX_CUSTOM_ROLES {
            return Err(ApiError::new(ErrorCode::RoleDefinitionLimitExceeded, format!("the tenant already has {MAX_CUSTOM_ROLES} custom roles, the most a tenant may have")));
        }
        tx.upsert_custom_role(&row, &ctx.caller.principal.id).await?;
        // What was just written (not yet visible outside this transaction).
        let now = leitstand_store::format_time(tx.now());
        let caller = ctx.caller.principal.id.clone();
        let stored = leitstand_store::CustomRoleRow {
            created_at: existing.as_ref().map(|e| e.created_at.clone()).unwrap_or_else(|| now.clone()),
            created_by: existing.as_ref().map(|e| e.created_by.clone()).unwrap_or_else(|| caller.clone()),
            updated_at: now,
            updated_by: caller,
            ..row.clone()
        };
        let after = render_custom(scope, &stored);
        Ok(crate::write::Outcome { value: after.clone(), http_status: 201, before: existing.as_ref().map(|r| render_custom(scope, r)), after: Some(after) })
    })
    .await?;
    let mut rendered = rendered;
    if !warnings.is_empty() {
        rendered["properties"]["warnings"] = json!(warnings);
    }
    Ok(json(StatusCode::CREATED, rendered))
}

/// `DELETE {scope}/providers/Microsoft.Authorization/roleDefinitions/{id}`.
pub async fn delete_role_definition(
    state: &AppState,
    ctx: &Ctx,
    scope: &Scope,
    id: &str,
) -> Result<Response, ApiError> {
    if leitstand_rbac::builtin_role_by_id(id).is_some() {
        return Err(ApiError::new(
            ErrorCode::BadRequest,
            format!("`{id}` is a built-in role definition, which cannot be deleted"),
        ));
    }
    require_scope(state, ctx, scope).await?;
    let target = crate::write::Target::scope(format!(
        "{}/providers/Microsoft.Authorization/roleDefinitions/{id}",
        scope_prefix(scope)
    ));
    let deleted = crate::write::run_write(state, ctx, target, async |tx| {
        let existing = tx.store().get_custom_role(tx.tenant(), id).await?;
        let Some(existing) = existing else {
            return Ok(crate::write::Outcome {
                value: None,
                http_status: 204,
                before: None,
                after: None,
            });
        };
        for assignable in &existing.assignable_scopes {
            if let Ok(at) = Scope::parse(assignable) {
                crate::access::require(ctx, tx.snapshot(), &ctx.op.action(), &at, &crate::access::RequestAttributes::default())?;
            }
        }
        let n_assignments = tx.count_assignments_of_role(id).await?;
        if n_assignments > 0 {
            return Err(ApiError::new(
                ErrorCode::RoleDefinitionHasAssignments,
                format!("the custom role `{}` is still assigned {n_assignments} times; delete its role assignments first", existing.role_name),
            ));
        }
        tx.delete_custom_role(id).await?;
        let before = render_custom(scope, &existing);
        Ok(crate::write::Outcome {
            value: Some(before.clone()),
            http_status: 200,
            before: Some(before),
            after: None,
        })
    })
    .await?;
    Ok(match deleted {
        Some(before) => json(StatusCode::OK, before),
        None => json(StatusCode::NO_CONTENT, Value::Null),
    })
}
