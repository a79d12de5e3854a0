//! Role definitions and the provider-operations catalogue (read side of RBAC): Azure's 928
//! built-in roles at any scope, with `$filter` on `roleName` and `type`, and every resource
//! provider's operations, the namespace role wildcards match against.
//!
//! Custom roles, role assignments and access checks come with the RBAC issue.

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
use crate::handlers::subscriptions::require_subscription;
use crate::AppState;

/// Checks that a scope exists in the caller's tenant.
async fn require_scope(state: &AppState, ctx: &Ctx, scope: &Scope) -> Result<(), ApiError> {
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

fn scope_prefix(scope: &Scope) -> String {
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
    let items = leitstand_rbac::builtin_roles()
        .iter()
        .filter(|r| {
            name.as_ref()
                .is_none_or(|n| r.role_name.eq_ignore_ascii_case(n))
        })
        .filter(|r| kind.is_none_or(|k| r.role_type == k))
        .map(|r| render(scope, r))
        .collect();
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
    match leitstand_rbac::builtin_role_by_id(id) {
        Some(role) => Ok(json(StatusCode::OK, render(scope, role))),
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
