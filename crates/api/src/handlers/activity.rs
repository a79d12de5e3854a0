//! The activity log as `azure-mgmt-monitor` and `az monitor activity-log list` read it:
//! `…/providers/microsoft.insights/eventtypes/management/values` with `$filter` on
//! `eventTimestamp` (ge/le), `resourceGroupName`, `resourceUri` and `correlationId`.

use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use leitstand_core::ids::{GroupId, SubscriptionId};
use leitstand_core::ErrorCode;
use leitstand_store::{EventFilter, StoredEvent};
use serde_json::{json, Value};

use crate::arm::{json, Ctx};
use crate::error::ApiError;
use crate::handlers::resources::split_and;
use crate::handlers::subscriptions::require_subscription;
use crate::AppState;

fn parse_time(text: &str) -> Result<String, ApiError> {
    let text = text.trim().trim_matches('\'');
    let parsed = DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .or_else(|_| {
            chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f").map(|t| t.and_utc())
        })
        .or_else(|_| {
            chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map(|d| d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc())
        })
        .map_err(|_| {
            ApiError::new(
                ErrorCode::InvalidParameter,
                format!("`{text}` is not a valid eventTimestamp"),
            )
            .at("$filter")
        })?;
    Ok(leitstand_store::format_time(parsed))
}

/// Parses an activity-log `$filter` into a store filter.
pub fn parse_filter(filter: Option<&str>) -> Result<EventFilter, ApiError> {
    let mut out = EventFilter::default();
    let Some(filter) = filter else { return Ok(out) };
    for clause in split_and(filter) {
        let parts: Vec<&str> = clause.trim().splitn(3, ' ').collect();
        let [field, op, value] = parts.as_slice() else {
            return Err(ApiError::new(
                ErrorCode::InvalidParameter,
                format!("the `$filter` clause `{clause}` is not supported"),
            )
            .at("$filter"));
        };
        let value_str = value.trim().trim_matches('\'').to_owned();
        match (field.to_ascii_lowercase().as_str(), op.to_ascii_lowercase().as_str()) {
            ("eventtimestamp", "ge") => out.since = Some(parse_time(value)?),
            ("eventtimestamp", "le") => out.until = Some(parse_time(value)?),
            ("resourcegroupname", "eq") => out.resource_group = Some(value_str),
            ("resourceuri", "eq") | ("resourceid", "eq") => out.scope_prefix = Some(value_str),
            ("correlationid", "eq") => out.correlation_id = Some(value_str),
            (f, o) => {
                return Err(ApiError::new(
                    ErrorCode::InvalidParameter,
                    format!("the activity log cannot filter on `{f} {o}`; use eventTimestamp ge/le, resourceGroupName, resourceUri or correlationId"),
                )
                .at("$filter"))
            }
        }
    }
    Ok(out)
}

fn text(v: &Value, key: &str) -> String {
    v.get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// Renders a stored event as `EventData`.
pub fn render_event(event: &StoredEvent) -> Value {
    let c = &event.content;
    let operation = text(c, "operation");
    let scope = text(c, "scope");
    let status = text(c, "status");
    let event_id = text(c, "eventId");
    let at = text(c, "at");
    let provider = operation.split('/').next().unwrap_or_default().to_owned();
    let resource_type = operation
        .rsplit_once('/')
        .map(|(t, _)| t.to_owned())
        .unwrap_or_default();
    let http_status = c
        .get("httpStatus")
        .and_then(Value::as_u64)
        .unwrap_or_default();
    json!({
        "authorization": { "action": operation, "scope": scope },
        "caller": c.get("callerName").and_then(Value::as_str).map(str::to_owned).unwrap_or_else(|| text(c, "caller")),
        "channels": "Operation",
        "claims": { "oid": text(c, "caller") },
        "correlationId": text(c, "correlationId"),
        "description": "",
        "eventDataId": event_id,
        "eventName": { "value": "EndRequest", "localizedValue": "End request" },
        "category": { "value": "Administrative", "localizedValue": "Administrative" },
        "eventTimestamp": at,
        "id": format!("{scope}/events/{event_id}/ticks/{}", event.seq),
        "level": if status == "Succeeded" { "Informational" } else { "Error" },
        "operationId": text(c, "correlationId"),
        "operationName": { "value": operation, "localizedValue": operation },
        "resourceGroupName": c.get("resourceGroup").cloned().unwrap_or(Value::Null),
        "resourceProviderName": { "value": provider, "localizedValue": provider },
        "resourceType": { "value": resource_type, "localizedValue": resource_type },
        "resourceId": scope,
        "status": { "value": status, "localizedValue": status },
        "subStatus": { "value": http_status.to_string(), "localizedValue": http_status.to_string() },
        "submissionTimestamp": at,
        "subscriptionId": c.get("subscriptionId").cloned().unwrap_or(Value::Null),
        "tenantId": text(c, "tenantId"),
        "httpRequest": { "clientRequestId": text(c, "correlationId"), "clientIpAddress": c.get("callerIp").cloned().unwrap_or(Value::Null), "method": c.get("method").cloned().unwrap_or(Value::Null) },
        "properties": {
            "statusCode": http_status.to_string(),
            "sequenceNumber": event.seq.to_string(),
            "before": c.get("before").map(Value::to_string).unwrap_or_default(),
            "after": c.get("after").map(Value::to_string).unwrap_or_default(),
            "error": c.get("error").map(Value::to_string).unwrap_or_default(),
        },
    })
}

/// `GET /subscriptions/{s}/providers/microsoft.insights/eventtypes/management/values`.
pub async fn list_subscription(
    state: &AppState,
    ctx: &Ctx,
    sub: &SubscriptionId,
) -> Result<Response, ApiError> {
    require_subscription(ctx, sub).await?;
    let mut filter = parse_filter(ctx.query("$filter"))?;
    filter.subscription_id = Some(sub.to_string());
    list_events(state, ctx, filter).await
}

/// `GET /providers/Microsoft.Management/managementGroups/{g}/providers/microsoft.insights/eventtypes/management/values`.
pub async fn list_group(
    state: &AppState,
    ctx: &Ctx,
    group: &GroupId,
) -> Result<Response, ApiError> {
    let snapshot = ctx.caller.snapshot.clone();
    if !snapshot.tree.contains_group(&group.key()) {
        return Err(ApiError::new(
            ErrorCode::NotFound,
            format!("management group `{group}` was not found"),
        ));
    }
    let mut filter = parse_filter(ctx.query("$filter"))?;
    if filter.scope_prefix.is_none() {
        filter.scope_prefix = Some(crate::handlers::mg::group_id(group.as_str()));
    }
    list_events(state, ctx, filter).await
}

/// Answers one page of events, newest first, reading only the events up to the end of the
/// page (and one more, to know whether a next page exists) instead of the whole log.
async fn list_events(
    state: &AppState,
    ctx: &Ctx,
    mut filter: EventFilter,
) -> Result<Response, ApiError> {
    let (start, top) = crate::paging::window(ctx);
    filter.newest_first = true;
    filter.limit = u32::try_from(start.saturating_add(top).saturating_add(1)).ok();
    let events = state
        .store
        .query_events(&ctx.caller.tenant, &filter)
        .await?;
    let items = events.iter().map(render_event).collect();
    Ok(json(StatusCode::OK, crate::paging::page(ctx, items)))
}
