//! Deny assignments (read-only: Leitstand creates them), and what Azure lacks: a batch access
//! check (`POST /providers/Microsoft.Authorization/checkAccess`, many (principal, action or
//! data action, scope) questions in one call) and a what-if (`POST …/whoCan`: which principals
//! can perform an action at a scope, and through which assignment).
//!
//! Asking about another principal, or who can act at a scope, reads role assignments: the
//! caller needs `Microsoft.Authorization/roleAssignments/read` at that scope. Asking about
//! oneself needs nothing more than being signed in (as `permissions` does).

use axum::http::StatusCode;
use axum::response::Response;
use leitstand_core::resource_id::Scope;
use leitstand_core::ErrorCode;
use leitstand_rbac::condition::{AttributeValue, Source};
use leitstand_rbac::engine::{Check, Verdict};
use leitstand_store::DenyAssignmentRow;
use serde_json::{json, Value};

use crate::access::RequestAttributes;
use crate::arm::{json, Ctx};
use crate::error::ApiError;
use crate::handlers::authorization::{require_scope, scope_chain};
use crate::AppState;

/// Most questions in one `checkAccess` call.
pub const MAX_CHECKS: usize = 10_000;

const READ_ASSIGNMENTS: &str = "Microsoft.Authorization/roleAssignments/read";

fn render_deny(row: &DenyAssignmentRow) -> Value {
    let at = if row.scope == "/" { "" } else { &row.scope };
    json!({
        "id": format!("{at}/providers/Microsoft.Authorization/denyAssignments/{}", row.id),
        "name": row.id,
        "type": "Microsoft.Authorization/denyAssignments",
        "properties": {
            "denyAssignmentName": row.name,
            "description": row.description,
            "permissions": row.permissions,
            "scope": row.scope,
            "doNotApplyToChildScopes": row.do_not_apply_to_child_scopes,
            "principals": row.principals,
            "excludePrincipals": row.exclude_principals,
            "isSystemProtected": true,
            "createdOn": row.created_at,
            "updatedOn": row.updated_at,
            "createdBy": row.created_by,
            "updatedBy": row.updated_by,
        },
    })
}

/// `GET {scope}/providers/Microsoft.Authorization/denyAssignments`: at, above and below the
/// scope; `$filter=atScope()`, `denyAssignmentName eq '…'`, `principalId eq '…'`.
pub async fn list_deny(state: &AppState, ctx: &Ctx, scope: &Scope) -> Result<Response, ApiError> {
    require_scope(state, ctx, scope).await?;
    let filter = ctx.query("$filter").map(str::trim).unwrap_or_default();
    let quoted = |prefix: &str| {
        filter
            .get(..prefix.len())
            .filter(|p| p.eq_ignore_ascii_case(prefix))
            .and_then(|_| filter.get(prefix.len()..))
            .map(|v| v.trim().trim_matches('\'').to_owned())
    };
    let mut only_above = false;
    let mut name = None;
    let mut principal = None;
    if filter.eq_ignore_ascii_case("atScope()") {
        only_above = true;
    } else if let Some(n) = quoted("denyAssignmentName eq ") {
        name = Some(n);
    } else if let Some(p) = quoted("principalId eq ") {
        principal = Some(p.to_ascii_lowercase());
    } else if !filter.is_empty() {
        return Err(ApiError::new(
            ErrorCode::InvalidParameter,
            format!("the `$filter` `{filter}` is not supported; use atScope(), denyAssignmentName eq '…' or principalId eq '…'"),
        )
        .at("$filter"));
    }
    let above = scope_chain(ctx, scope);
    let key = scope.to_string().to_ascii_lowercase();
    let items = state
        .store
        .list_deny_assignments(&ctx.caller.tenant)
        .await?
        .into_iter()
        .filter(|d| {
            let at = d.scope.to_ascii_lowercase();
            above.contains(&at)
                || (!only_above
                    && Scope::parse(&d.scope).is_ok_and(|s| scope_chain(ctx, &s).contains(&key)))
        })
        .filter(|d| name.as_ref().is_none_or(|n| d.name.eq_ignore_ascii_case(n)))
        .filter(|d| {
            principal.as_ref().is_none_or(|p| {
                DenyAssignmentRow::ids(&d.principals)
                    .iter()
                    .any(|id| id == p || id == leitstand_rbac::engine::EVERYONE)
            })
        })
        .map(|d| render_deny(&d))
        .collect();
    Ok(json(StatusCode::OK, crate::paging::page(ctx, items)))
}

/// `GET {scope}/providers/Microsoft.Authorization/denyAssignments/{id}` (at `/`: by id
/// anywhere in the tenant, checked at its own scope).
pub async fn get_deny(
    state: &AppState,
    ctx: &Ctx,
    scope: &Scope,
    id: &str,
) -> Result<Response, ApiError> {
    let not_found = || {
        ApiError::new(
            ErrorCode::NotFound,
            format!("the deny assignment `{id}` is not found"),
        )
    };
    let found = state
        .store
        .list_deny_assignments(&ctx.caller.tenant)
        .await?
        .into_iter()
        .find(|d| d.id.eq_ignore_ascii_case(id))
        .ok_or_else(not_found)?;
    if *scope == Scope::Root {
        let at = Scope::parse(&found.scope).unwrap_or(Scope::Root);
        let action = ctx.op.action();
        if !crate::access::can(ctx, &action, &at) {
            return Err(crate::access::refusal(
                ctx,
                &action,
                &at,
                &Verdict::NotGranted,
            ));
        }
    } else if !found.scope.eq_ignore_ascii_case(&scope.to_string()) {
        return Err(not_found());
    }
    Ok(json(StatusCode::OK, render_deny(&found)))
}

/// Reads `attributes` of a question: `{"@Resource[name]": "value" | ["v1", "v2"] | 3 | true}`.
fn read_attributes(
    base: &RequestAttributes,
    value: Option<&Value>,
    path: &str,
) -> Result<RequestAttributes, ApiError> {
    let mut attributes = base.clone();
    let Some(value) = value else {
        return Ok(attributes);
    };
    let bad = |m: String| ApiError::new(ErrorCode::InvalidRequestContent, m).at(path);
    let object = value.as_object().ok_or_else(|| {
        bad(format!(
            "`{path}` must be an object of `@Source[name]` keys"
        ))
    })?;
    for (key, v) in object {
        let (source, name) = parse_attribute_key(key).ok_or_else(|| {
            bad(format!(
                "`{key}` is not an attribute reference such as `@Resource[name]`"
            ))
        })?;
        let value = match v {
            Value::String(s) if leitstand_core::ids::parse_guid("", s).is_ok() => {
                AttributeValue::Guid(s.to_ascii_lowercase())
            }
            Value::String(s) => AttributeValue::String(s.clone()),
            Value::Bool(b) => AttributeValue::Bool(*b),
            Value::Number(n) => AttributeValue::Number(
                n.as_i64()
                    .ok_or_else(|| bad(format!("`{key}` must be an integer")))?,
            ),
            Value::Array(items) => AttributeValue::Strings(
                items
                    .iter()
                    .map(|i| i.as_str().map(str::to_owned))
                    .collect::<Option<Vec<String>>>()
                    .ok_or_else(|| bad(format!("`{key}` must be a list of strings")))?,
            ),
            _ => return Err(bad(format!("`{key}` has a value of an unsupported type"))),
        };
        attributes.set(source, &name, value);
    }
    Ok(attributes)
}

fn parse_attribute_key(key: &str) -> Option<(Source, String)> {
    let rest = key.strip_prefix('@')?;
    let (source, rest) = rest.split_once('[')?;
    let name = rest.strip_suffix(']')?;
    let source = match source.to_ascii_lowercase().as_str() {
        "request" => Source::Request,
        "resource" => Source::Resource,
        "principal" => Source::Principal,
        "environment" => Source::Environment,
        _ => return None,
    };
    Some((source, name.to_owned()))
}

/// `POST /providers/Microsoft.Authorization/checkAccess`:
/// `{"checks": [{"principalId"?, "action", "dataAction"?, "scope", "attributes"?}]}` →
/// `{"value": [{"allowed", "decision", "roleAssignmentId"?, "roleDefinitionId"?, "denyAssignmentId"?}]}`,
/// one answer per question, in order. A question the caller may not ask (another principal,
/// at a scope where it cannot read role assignments) is answered with an error, not refused
/// whole.
pub async fn check_access(ctx: &Ctx) -> Result<Response, ApiError> {
    let checks = ctx
        .body
        .get("checks")?
        .and_then(Value::as_array)
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::InvalidRequestContent,
                "`checks` must be a list of questions",
            )
            .at("checks")
        })?;
    if checks.len() > MAX_CHECKS {
        return Err(ApiError::new(
            ErrorCode::InvalidRequestContent,
            format!(
                "at most {MAX_CHECKS} questions per call; this call has {}",
                checks.len()
            ),
        )
        .at("checks"));
    }
    let snapshot = &ctx.caller.snapshot;
    let me = ctx.caller.principal.id.to_ascii_lowercase();
    let base = RequestAttributes::at(chrono::Utc::now());
    let mut answers = Vec::with_capacity(checks.len());
    // Scopes repeat in a batch: their chains once each.
    let mut chains: std::collections::HashMap<String, Vec<String>> =
        std::collections::HashMap::new();
    for (i, q) in checks.iter().enumerate() {
        let path = format!("checks[{i}]");
        let bad = |field: &str, m: &str| {
            ApiError::new(ErrorCode::InvalidRequestContent, m.to_owned())
                .at(format!("{path}.{field}"))
        };
        let action = q
            .get("action")
            .and_then(Value::as_str)
            .filter(|a| !a.is_empty())
            .ok_or_else(|| bad("action", "`action` is required"))?;
        let data_action = match q.get("dataAction") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => return Err(bad("dataAction", "`dataAction` must be true or false")),
        };
        let scope_text = q
            .get("scope")
            .and_then(Value::as_str)
            .ok_or_else(|| bad("scope", "`scope` is required"))?;
        let scope = Scope::parse(scope_text).map_err(|e| bad("scope", &e.to_string()))?;
        let principal = match q.get("principalId") {
            None | Some(Value::Null) => me.clone(),
            Some(Value::String(p)) => leitstand_core::ids::parse_guid("principal id", p)
                .map_err(|e| bad("principalId", &e.to_string()))?
                .to_string(),
            Some(_) => return Err(bad("principalId", "`principalId` must be a GUID string")),
        };
        let attributes =
            read_attributes(&base, q.get("attributes"), &format!("{path}.attributes"))?;
        // A scope outside the caller's tenant is not found (whatever `/` would grant).
        let known = match &scope {
            Scope::Root => true,
            Scope::ManagementGroup(g) => snapshot.tree.contains_group(&g.key()),
            other => other
                .subscription()
                .is_some_and(|s| snapshot.tree.subscription(s.as_str()).is_some()),
        };
        if !known {
            let err = ApiError::new(
                ErrorCode::NotFound,
                format!("the scope `{scope}` was not found"),
            )
            .at(format!("{path}.scope"));
            answers.push(json!({ "allowed": false, "error": err.body()["error"] }));
            continue;
        }
        let key = scope.to_string().to_ascii_lowercase();
        let chain = chains
            .entry(key)
            .or_insert_with(|| crate::access::chain(&snapshot.tree, &scope));
        let chain: Vec<&str> = chain.iter().map(String::as_str).collect();
        if principal != me {
            let may_ask = snapshot
                .access
                .check(&Check {
                    principal: &me,
                    action: READ_ASSIGNMENTS,
                    data_action: false,
                    chain: &chain,
                    attributes: &base,
                })
                .is_allowed();
            if !may_ask {
                let err =
                    crate::access::refusal(ctx, READ_ASSIGNMENTS, &scope, &Verdict::NotGranted);
                answers.push(json!({ "allowed": false, "error": err.body()["error"] }));
                continue;
            }
        }
        let verdict = snapshot.access.check(&Check {
            principal: &principal,
            action,
            data_action,
            chain: &chain,
            attributes: &attributes,
        });
        answers.push(match verdict {
            Verdict::Allowed(a) => {
                let at = if &*a.scope == "/" { "" } else { &*a.scope };
                json!({
                    "allowed": true, "decision": "Allowed",
                    "roleAssignmentId": format!("{at}/providers/Microsoft.Authorization/roleAssignments/{}", a.id),
                    "roleDefinitionId": format!("/providers/Microsoft.Authorization/roleDefinitions/{}", a.role),
                })
            }
            Verdict::Denied(d) => json!({
                "allowed": false, "decision": "Denied",
                "denyAssignmentId": format!("/providers/Microsoft.Authorization/denyAssignments/{}", d.id),
            }),
            Verdict::NotGranted => json!({ "allowed": false, "decision": "NotGranted" }),
        });
    }
    Ok(json(StatusCode::OK, json!({ "value": answers })))
}

/// `POST /providers/Microsoft.Authorization/whoCan`: `{"action", "dataAction"?, "scope"}` →
/// the principals that can perform it there, each with the assignment that grants it (and
/// the group it holds it through); deny assignments taken into account, conditional grants
/// marked.
pub async fn who_can(state: &AppState, ctx: &Ctx) -> Result<Response, ApiError> {
    let bad = |field: &str, m: String| ApiError::new(ErrorCode::InvalidRequestContent, m).at(field);
    let action = ctx
        .body
        .str("action")?
        .filter(|a| !a.is_empty())
        .ok_or_else(|| bad("action", "`action` is required".into()))?;
    let data_action = ctx.body.bool("dataAction")?.unwrap_or(false);
    let scope_text = ctx
        .body
        .str("scope")?
        .ok_or_else(|| bad("scope", "`scope` is required".into()))?;
    let scope = Scope::parse(&scope_text).map_err(|e| bad("scope", e.to_string()))?;
    require_scope(state, ctx, &scope).await?;
    crate::access::require(
        ctx,
        &ctx.caller.snapshot,
        READ_ASSIGNMENTS,
        &scope,
        &RequestAttributes::default(),
    )?;
    let chain = crate::access::chain(&ctx.caller.snapshot.tree, &scope);
    let chain: Vec<&str> = chain.iter().map(String::as_str).collect();
    let holders = ctx
        .caller
        .snapshot
        .access
        .who_can(&action, data_action, &chain);
    let items: Vec<Value> = holders
        .iter()
        .map(|h| {
            let at = if &*h.assignment.scope == "/" { "" } else { &*h.assignment.scope };
            json!({
                "principalId": h.principal,
                "viaGroupId": h.via_group,
                "conditional": h.conditional,
                "roleAssignmentId": format!("{at}/providers/Microsoft.Authorization/roleAssignments/{}", h.assignment.id),
                "roleDefinitionId": format!("/providers/Microsoft.Authorization/roleDefinitions/{}", h.assignment.role),
                "scope": h.assignment.scope,
            })
        })
        .collect();
    Ok(json(
        StatusCode::OK,
        json!({ "action": action, "scope": scope.to_string(), "value": items }),
    ))
}
