//! Budgets: `{scope}/providers/Microsoft.Consumption/budgets[/{name}]` (api-versions
//! 2023-05-01, which `az consumption budget` sends, and 2024-08-01, which
//! `azure-mgmt-consumption` 11 sends), at `/`, a management group, a subscription or AWS
//! account, or a resource group.
//!
//! The body is Azure's: `category` Cost, `amount`, `timeGrain` (Monthly, Quarterly, Annually),
//! `timePeriod`, `filter` (dimensions and tags), up to 5 actual and 5 forecasted
//! `notifications` (`operator`, `threshold` in percent, `contactEmails`, and Leitstand's
//! `contactWebhooks`). Reads fill `currentSpend` and `forecastSpend` for the current period.
//! Budgets are evaluated after every ingest (`leitstand_costs::budgets::evaluate`).

use axum::http::StatusCode;
use axum::response::Response;
use leitstand_core::resource_id::Scope;
use leitstand_core::ErrorCode;
use leitstand_costs::budgets::{self, Spend};
use leitstand_store::{format_time, BudgetRow};
use serde_json::{json, Value};

use crate::arm::{json, Ctx};
use crate::error::ApiError;
use crate::handlers::costs::require_cost_scope;
use crate::write::{run_write, Outcome, Target};
use crate::AppState;

/// The most budgets at one scope.
pub const MAX_BUDGETS_PER_SCOPE: usize = 100;

fn id_of(scope: &Scope, name: &str) -> String {
    let at = if *scope == Scope::Root {
        String::new()
    } else {
        scope.to_string()
    };
    format!("{at}/providers/Microsoft.Consumption/budgets/{name}")
}

async fn render(state: &AppState, ctx: &Ctx, scope: &Scope, row: &BudgetRow) -> Value {
    let mut properties = row.properties.clone();
    let today = state.clock.now().date_naive();
    let spend: Option<Spend> = match budgets::parse(&row.properties) {
        Ok(spec) => budgets::spend(&state.store, &ctx.caller.snapshot, scope, &spec, today)
            .await
            .ok()
            .flatten(),
        Err(_) => None,
    };
    if let Some(obj) = properties.as_object_mut() {
        let unit = spend
            .as_ref()
            .and_then(|s| s.currency.clone())
            .unwrap_or_default();
        obj.insert(
            "currentSpend".into(),
            json!({ "amount": spend.as_ref().map_or(0.0, |s| s.actual), "unit": unit }),
        );
        obj.insert(
            "forecastSpend".into(),
            json!({ "amount": spend.as_ref().map_or(0.0, |s| s.forecast), "unit": unit }),
        );
    }
    json!({
        "id": id_of(scope, &row.name),
        "name": row.name,
        "type": "Microsoft.Consumption/budgets",
        "eTag": row.etag,
        "properties": properties,
    })
}

fn not_found(scope: &Scope, name: &str) -> ApiError {
    ApiError::new(
        ErrorCode::NotFound,
        format!("budget `{name}` was not found at scope `{scope}`"),
    )
}

fn check_name(name: &str) -> Result<(), ApiError> {
    let ok = !name.is_empty()
        && name.len() <= 63
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(ApiError::new(
            ErrorCode::InvalidResourceName,
            format!("the budget name `{name}` must be 1 to 63 letters, digits, `-` or `_`"),
        )
        .at("budgetName"))
    }
}

/// `GET {scope}/providers/Microsoft.Consumption/budgets`.
pub async fn list(state: &AppState, ctx: &Ctx, scope: &Scope) -> Result<Response, ApiError> {
    require_cost_scope(ctx, scope)?;
    let key = scope.to_string().to_lowercase();
    let rows = state.store.budgets(&ctx.caller.tenant).await?;
    let mut value = Vec::new();
    for row in rows.iter().filter(|r| r.scope.to_lowercase() == key) {
        value.push(render(state, ctx, scope, row).await);
    }
    Ok(json(StatusCode::OK, json!({ "value": value })))
}

/// `GET {scope}/providers/Microsoft.Consumption/budgets/{name}`.
pub async fn get(
    state: &AppState,
    ctx: &Ctx,
    scope: &Scope,
    name: &str,
) -> Result<Response, ApiError> {
    require_cost_scope(ctx, scope)?;
    let row = state
        .store
        .budget(&ctx.caller.tenant, &scope.to_string(), name)
        .await?
        .ok_or_else(|| not_found(scope, name))?;
    Ok(json(StatusCode::OK, render(state, ctx, scope, &row).await))
}

/// `PUT {scope}/providers/Microsoft.Consumption/budgets/{name}`: 201 on create, 200 on update.
pub async fn put(
    state: &AppState,
    ctx: &Ctx,
    scope: &Scope,
    name: &str,
) -> Result<Response, ApiError> {
    check_name(name)?;
    require_cost_scope(ctx, scope)?;
    let body = &ctx.body.0;
    let properties = ctx.body.get("properties")?.cloned().ok_or_else(|| {
        ApiError::new(ErrorCode::BadRequest, "`properties` is required").at("properties")
    })?;
    budgets::parse(&properties)
        .map_err(|e| ApiError::new(ErrorCode::BadRequest, e.message).at(e.at))?;
    // Keep what the client set, without the read-only spends.
    let mut stored = properties.clone();
    if let Some(obj) = stored.as_object_mut() {
        obj.retain(|k, _| {
            !k.eq_ignore_ascii_case("currentSpend") && !k.eq_ignore_ascii_case("forecastSpend")
        });
    }
    let if_match = body
        .get("eTag")
        .or_else(|| body.get("etag"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    let now = format_time(state.clock.now());
    let caller = ctx.caller.principal.id.clone();
    let scope_text = scope.to_string();
    let name_owned = name.to_owned();
    let (status, row) = run_write(state, ctx, Target::scope(id_of(scope, name)), async |tx| {
        let existing = state
            .store
            .budgets(tx.tenant())
            .await?
            .into_iter()
            .filter(|b| b.scope.eq_ignore_ascii_case(&scope_text))
            .collect::<Vec<_>>();
        let previous = existing
            .iter()
            .find(|b| b.name.eq_ignore_ascii_case(&name_owned))
            .cloned();
        if let (Some(want), Some(prev)) = (&if_match, &previous) {
            if want != &prev.etag {
                return Err(ApiError::new(
                    ErrorCode::PreconditionFailed,
                    format!("the budget changed since it was read: its eTag is `{}`, not `{want}`", prev.etag),
                )
                .at("eTag"));
            }
        }
        if previous.is_none() && existing.len() >= MAX_BUDGETS_PER_SCOPE {
            return Err(ApiError::new(
                ErrorCode::BadRequest,
                format!("scope `{scope_text}` already has {MAX_BUDGETS_PER_SCOPE} budgets, the most a scope may have"),
            ));
        }
        let row = BudgetRow {
            scope: scope_text.clone(),
            name: previous.as_ref().map_or(name_owned.clone(), |p| p.name.clone()),
            etag: format!("\"{}\"", uuid::Uuid::new_v4().simple()),
            properties: stored.clone(),
            created_at: previous.as_ref().map_or(now.clone(), |p| p.created_at.clone()),
            updated_at: now.clone(),
            created_by: previous.as_ref().map_or(caller.clone(), |p| p.created_by.clone()),
            updated_by: caller.clone(),
        };
        tx.upsert_budget(&row).await?;
        let status = if previous.is_some() { 200 } else { 201 };
        Ok(Outcome {
            value: (status, row.clone()),
            http_status: status,
            before: previous.map(|p| json!({ "name": p.name, "properties": p.properties })),
            after: Some(json!({ "name": row.name, "properties": row.properties })),
        })
    })
    .await?;
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    Ok(json(status, render(state, ctx, scope, &row).await))
}

/// `DELETE {scope}/providers/Microsoft.Consumption/budgets/{name}`.
pub async fn delete(
    state: &AppState,
    ctx: &Ctx,
    scope: &Scope,
    name: &str,
) -> Result<Response, ApiError> {
    require_cost_scope(ctx, scope)?;
    let previous = state
        .store
        .budget(&ctx.caller.tenant, &scope.to_string(), name)
        .await?;
    let Some(previous) = previous else {
        // ARM answers a DELETE of something absent with 204.
        return Ok(json(StatusCode::NO_CONTENT, Value::Null));
    };
    let scope_text = scope.to_string();
    run_write(state, ctx, Target::scope(id_of(scope, name)), async |tx| {
        tx.delete_budget(&scope_text, name).await?;
        Ok(Outcome {
            value: (),
            http_status: 200,
            before: Some(json!({ "name": previous.name, "properties": previous.properties })),
            after: None,
        })
    })
    .await?;
    Ok(json(StatusCode::OK, Value::Null))
}
