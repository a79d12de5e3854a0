//! Tenants, subscriptions (Azure subscriptions and AWS accounts), subscription aliases, and
//! resource-provider registration as `az` expects it before management-group commands.

use axum::http::StatusCode;
use axum::response::Response;
use leitstand_core::ids::{check_display_name, GroupId, SubscriptionId};
use leitstand_core::resource_id::Scope;
use leitstand_core::tree::{SubscriptionKind, SubscriptionNode};
use leitstand_core::ErrorCode;
use serde_json::{json, Value};

use crate::arm::{json, Ctx};
use crate::error::ApiError;
use crate::write::{run_write, Outcome, Target};
use crate::AppState;

/// `GET /tenants`.
pub async fn list_tenants(ctx: &Ctx) -> Result<Response, ApiError> {
    let snapshot = ctx.caller.snapshot.clone();
    let t = &snapshot.tenant;
    let items = vec![json!({
        "id": format!("/tenants/{}", t.id), "tenantId": t.id, "tenantCategory": "Home",
        "displayName": t.display_name, "domains": [], "tenantType": "AAD",
    })];
    Ok(json(StatusCode::OK, crate::paging::page(ctx, items)))
}

/// Renders a subscription as ARM's `Subscription`.
pub fn render_subscription(
    tenant: &str,
    node: &SubscriptionNode,
    state: &str,
    tags: &Value,
) -> Value {
    json!({
        "id": format!("/subscriptions/{}", node.id),
        "subscriptionId": node.id.as_str(),
        "tenantId": tenant,
        "displayName": node.display_name,
        "state": state,
        "subscriptionPolicies": { "locationPlacementId": "Public_2014-09-01", "quotaId": "PayAsYouGo_2014-09-01", "spendingLimit": "Off" },
        "authorizationSource": "RoleBased",
        "managedByTenants": [],
        "tags": tags,
    })
}

/// Returns the subscription if it is in the caller's tenant, else `SubscriptionNotFound`.
pub async fn require_subscription(
    ctx: &Ctx,
    sub: &SubscriptionId,
) -> Result<SubscriptionNode, ApiError> {
    let snapshot = ctx.caller.snapshot.clone();
    snapshot
        .tree
        .subscription(sub.as_str())
        .cloned()
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::SubscriptionNotFound,
                format!("the subscription `{sub}` could not be found"),
            )
        })
}

/// `GET /subscriptions`.
pub async fn list(state: &AppState, ctx: &Ctx) -> Result<Response, ApiError> {
    let snapshot = ctx.caller.snapshot.clone();
    let mut subs: Vec<&SubscriptionNode> = snapshot.tree.subscriptions().collect();
    subs.sort_by(|a, b| a.id.cmp(&b.id));
    let mut items = Vec::with_capacity(subs.len());
    for node in subs {
        let (sub_state, tags) = state
            .store
            .subscription_details(node.id.as_str())
            .await?
            .unwrap_or(("Enabled".into(), json!({})));
        items.push(render_subscription(
            &snapshot.tenant.id,
            node,
            &sub_state,
            &tags,
        ));
    }
    Ok(json(StatusCode::OK, crate::paging::page(ctx, items)))
}

/// `GET /subscriptions/{subscriptionId}`.
pub async fn get(state: &AppState, ctx: &Ctx, sub: &SubscriptionId) -> Result<Response, ApiError> {
    let node = require_subscription(ctx, sub).await?;
    let (sub_state, tags) = state
        .store
        .subscription_details(sub.as_str())
        .await?
        .unwrap_or(("Enabled".into(), json!({})));
    Ok(json(
        StatusCode::OK,
        render_subscription(&ctx.caller.tenant, &node, &sub_state, &tags),
    ))
}

fn render_alias(name: &str, sub: &str, workload: &str) -> Value {
    json!({
        "id": format!("/providers/Microsoft.Subscription/aliases/{name}"),
        "name": name,
        "type": "Microsoft.Subscription/aliases",
        "properties": { "subscriptionId": sub, "provisioningState": "Succeeded", "workload": workload },
    })
}

/// `PUT /providers/Microsoft.Subscription/aliases/{alias}`: creates a subscription (or
/// registers an existing one given `properties.subscriptionId`) under the default group or
/// `properties.additionalProperties.managementGroupId`.
pub async fn put_alias(state: &AppState, ctx: &Ctx, name: &str) -> Result<Response, ApiError> {
    if name.is_empty()
        || name.len() > 64
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err(ApiError::new(
            ErrorCode::InvalidResourceName,
            format!("alias name `{name}` must be 1 to 64 letters, digits, `-`, `_` or `.`"),
        ));
    }
    if let Some((alias, sub, workload)) = state.store.get_alias(&ctx.caller.tenant, name).await? {
        require_sub_read(ctx, &sub)?;
        return Ok(json(StatusCode::OK, render_alias(&alias, &sub, &workload)));
    }
    let display_name = ctx
        .body
        .str("properties.displayName")?
        .unwrap_or_else(|| name.to_owned());
    check_display_name("display name", &display_name).map_err(|e| {
        ApiError::new(ErrorCode::InvalidRequestContent, e.to_string()).at("properties.displayName")
    })?;
    let workload = ctx
        .body
        .str("properties.workload")?
        .unwrap_or_else(|| "Production".into());
    if !matches!(workload.as_str(), "Production" | "DevTest") {
        return Err(ApiError::new(
            ErrorCode::InvalidRequestContent,
            "`properties.workload` must be Production or DevTest",
        )
        .at("properties.workload"));
    }
    let sub = match ctx.body.str("properties.subscriptionId")? {
        Some(s) => SubscriptionId::parse(&s).map_err(|e| {
            ApiError::new(ErrorCode::InvalidRequestContent, e.to_string())
                .at("properties.subscriptionId")
        })?,
        None => SubscriptionId::new_random(),
    };
    let group = match ctx
        .body
        .str("properties.additionalProperties.managementGroupId")?
    {
        Some(g) => Some(parse_group(
            &g,
            "properties.additionalProperties.managementGroupId",
        )?),
        None => None,
    };
    let target = Target {
        scope: format!("/providers/Microsoft.Subscription/aliases/{name}"),
        subscription_id: Some(sub.to_string()),
        resource_group: None,
    };
    let rendered = run_write(state, ctx, target, async |tx| {
        let parent = match &group {
            Some(g) if tx.snapshot().tree.contains_group(&g.key()) => g.key(),
            Some(g) => {
                return Err(ApiError::new(
                    ErrorCode::BadRequest,
                    format!("management group `{g}` was not found"),
                )
                .at("properties.additionalProperties.managementGroupId"))
            }
            None => tx.snapshot().settings.default_group_key.clone(),
        };
        // Creating a subscription places it under a group: the caller needs the right there.
        let group_scope = tx
            .snapshot()
            .tree
            .group(&parent)
            .map(|g| Scope::ManagementGroup(g.id.clone()))
            .unwrap_or(Scope::Root);
        crate::access::require(
            ctx,
            tx.snapshot(),
            &ctx.op.action(),
            &group_scope,
            &crate::access::RequestAttributes::default(),
        )?;
        let kind = if sub.is_aws_account() {
            SubscriptionKind::Aws
        } else {
            SubscriptionKind::Azure
        };
        tx.insert_subscription(&sub, &display_name, kind, &parent)
            .await?;
        tx.insert_alias(name, sub.as_str(), &workload).await?;
        let after = render_alias(name, sub.as_str(), &workload);
        Ok(Outcome {
            value: after.clone(),
            http_status: 201,
            before: None,
            after: Some(after),
        })
    })
    .await?;
    Ok(json(StatusCode::CREATED, rendered))
}

/// An alias shows its subscription: only to who may read that subscription.
fn require_sub_read(ctx: &Ctx, sub: &str) -> Result<(), ApiError> {
    let scope = SubscriptionId::parse(sub)
        .map(Scope::Subscription)
        .map_err(|e| ApiError::internal("read a stored subscription id", &e))?;
    const READ: &str = "Microsoft.Resources/subscriptions/read";
    if crate::access::can(ctx, READ, &scope) {
        Ok(())
    } else {
        Err(crate::access::refusal(
            ctx,
            READ,
            &scope,
            &leitstand_rbac::engine::Verdict::NotGranted,
        ))
    }
}

fn parse_group(text: &str, path: &str) -> Result<GroupId, ApiError> {
    let id = text.rsplit('/').next().unwrap_or(text);
    GroupId::parse(id)
        .map_err(|e| ApiError::new(ErrorCode::InvalidRequestContent, e.to_string()).at(path))
}

/// `GET /providers/Microsoft.Subscription/aliases/{alias}`.
pub async fn get_alias(state: &AppState, ctx: &Ctx, name: &str) -> Result<Response, ApiError> {
    match state.store.get_alias(&ctx.caller.tenant, name).await? {
        Some((alias, sub, workload)) => {
            require_sub_read(ctx, &sub)?;
            Ok(json(StatusCode::OK, render_alias(&alias, &sub, &workload)))
        }
        None => Err(ApiError::new(
            ErrorCode::NotFound,
            format!("subscription alias `{name}` was not found"),
        )),
    }
}

fn check_namespace(ns: &str) -> Result<(), ApiError> {
    if ns.is_empty() || ns.len() > 128 || !ns.chars().all(|c| c.is_ascii_alphanumeric() || c == '.')
    {
        return Err(ApiError::new(
            ErrorCode::InvalidResourceName,
            format!("`{ns}` is not a resource provider namespace"),
        )
        .at("resourceProviderNamespace"));
    }
    Ok(())
}

fn render_provider(sub: &SubscriptionId, namespace: &str, registration: &str) -> Value {
    json!({
        "id": format!("/subscriptions/{sub}/providers/{namespace}"),
        "namespace": namespace,
        "registrationState": registration,
        "registrationPolicy": "RegistrationRequired",
        "resourceTypes": [],
    })
}

/// `GET /subscriptions/{s}/providers`.
pub async fn list_providers(
    state: &AppState,
    ctx: &Ctx,
    sub: &SubscriptionId,
) -> Result<Response, ApiError> {
    require_subscription(ctx, sub).await?;
    let items = state
        .store
        .list_registrations(sub.as_str())
        .await?
        .iter()
        .map(|r| render_provider(sub, &r.namespace, &r.state))
        .collect();
    Ok(json(StatusCode::OK, crate::paging::page(ctx, items)))
}

/// `GET /subscriptions/{s}/providers/{namespace}`.
pub async fn get_provider(
    state: &AppState,
    ctx: &Ctx,
    sub: &SubscriptionId,
    ns: &str,
) -> Result<Response, ApiError> {
    check_namespace(ns)?;
    require_subscription(ctx, sub).await?;
    let rendered = match state.store.get_registration(sub.as_str(), ns).await? {
        Some(r) => render_provider(sub, &r.namespace, &r.state),
        None => render_provider(sub, ns, "NotRegistered"),
    };
    Ok(json(StatusCode::OK, rendered))
}

/// `POST /subscriptions/{s}/providers/{namespace}/register`.
pub async fn register_provider(
    state: &AppState,
    ctx: &Ctx,
    sub: &SubscriptionId,
    ns: &str,
) -> Result<Response, ApiError> {
    check_namespace(ns)?;
    require_subscription(ctx, sub).await?;
    let target = Target {
        scope: format!("/subscriptions/{sub}/providers/{ns}"),
        subscription_id: Some(sub.to_string()),
        resource_group: None,
    };
    let rendered = run_write(state, ctx, target, async |tx| {
        tx.set_registration(sub.as_str(), ns, "Registered").await?;
        let after = render_provider(sub, ns, "Registered");
        Ok(Outcome {
            value: after.clone(),
            http_status: 200,
            before: None,
            after: Some(after),
        })
    })
    .await?;
    Ok(json(StatusCode::OK, rendered))
}
