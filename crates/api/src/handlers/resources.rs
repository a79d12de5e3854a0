//! Resource groups and generic resources (any provider type, nested child types too), kept
//! with their ARM body. Every resource write passes [`put`] or [`delete`]: the one place the
//! policy engine will hook into.

use axum::http::StatusCode;
use axum::response::Response;
use leitstand_core::ids::{ResourceGroupName, SubscriptionId};
use leitstand_core::resource_id::{ResourceRef, Scope};
use leitstand_core::ErrorCode;
use leitstand_store::{ResourceFilter, ResourceGroupRow, ResourceRow};
use serde_json::{json, Map, Value};

use crate::arm::{json, Ctx};
use crate::error::ApiError;
use crate::handlers::subscriptions::require_subscription;
use crate::write::{run_write, Outcome, Target};
use crate::AppState;

/// The top-level properties of a resource body that are kept.
const BODY_KEYS: &[&str] = &[
    "location",
    "tags",
    "sku",
    "kind",
    "properties",
    "identity",
    "plan",
    "managedBy",
    "zones",
    "extendedLocation",
];

fn render_group(row: &ResourceGroupRow) -> Value {
    let mut out = json!({
        "id": format!("/subscriptions/{}/resourceGroups/{}", row.subscription_id, row.name),
        "name": row.name,
        "type": "Microsoft.Resources/resourceGroups",
        "location": row.location,
        "tags": row.tags,
        "properties": { "provisioningState": "Succeeded" },
    });
    if let Some(m) = &row.managed_by {
        out["managedBy"] = json!(m);
    }
    out
}

fn group_not_found(rg: &ResourceGroupName) -> ApiError {
    ApiError::new(
        ErrorCode::ResourceGroupNotFound,
        format!("resource group `{rg}` could not be found"),
    )
}

/// `GET /subscriptions/{s}/resourcegroups`.
pub async fn list_groups(
    state: &AppState,
    ctx: &Ctx,
    sub: &SubscriptionId,
) -> Result<Response, ApiError> {
    require_subscription(ctx, sub).await?;
    let (tag_name, tag_value) = tag_filter(ctx)?;
    let items = state
        .store
        .list_resource_groups(sub.as_str())
        .await?
        .iter()
        .filter(|g| tag_matches(&g.tags, tag_name.as_deref(), tag_value.as_deref()))
        .map(render_group)
        .collect();
    Ok(json(StatusCode::OK, crate::paging::page(ctx, items)))
}

/// `GET` (and `HEAD`) `/subscriptions/{s}/resourcegroups/{rg}`.
pub async fn get_group(
    state: &AppState,
    ctx: &Ctx,
    sub: &SubscriptionId,
    rg: &ResourceGroupName,
) -> Result<Response, ApiError> {
    require_subscription(ctx, sub).await?;
    let row = state
        .store
        .get_resource_group(sub.as_str(), rg.as_str())
        .await?
        .ok_or_else(|| group_not_found(rg))?;
    let status = if ctx.method == axum::http::Method::HEAD {
        StatusCode::NO_CONTENT
    } else {
        StatusCode::OK
    };
    Ok(json(status, render_group(&row)))
}

/// `PUT`/`PATCH /subscriptions/{s}/resourcegroups/{rg}`.
pub async fn put_group(
    state: &AppState,
    ctx: &Ctx,
    sub: &SubscriptionId,
    rg: &ResourceGroupName,
) -> Result<Response, ApiError> {
    require_subscription(ctx, sub).await?;
    let is_patch = ctx.method == axum::http::Method::PATCH;
    let location = ctx.body.str("location")?;
    let tags = ctx.body.tags("tags")?;
    let managed_by = ctx.body.str("managedBy")?;
    let target = Target {
        scope: format!("/subscriptions/{sub}/resourceGroups/{rg}"),
        subscription_id: Some(sub.to_string()),
        resource_group: Some(rg.to_string()),
    };
    let (created, rendered) = run_write(state, ctx, target, async |tx| {
        let existing = tx.store().get_resource_group(sub.as_str(), rg.as_str()).await?;
        let before = existing.as_ref().map(render_group);
        let row = match (&existing, is_patch) {
            (None, true) => return Err(group_not_found(rg)),
            (Some(old), _) => {
                if let Some(loc) = &location {
                    if !loc.eq_ignore_ascii_case(&old.location) {
                        return Err(ApiError::new(
                            ErrorCode::InvalidRequestContent,
                            format!("the location of resource group `{rg}` is `{}` and cannot change to `{loc}`", old.location),
                        )
                        .at("location"));
                    }
                }
                ResourceGroupRow {
                    tags: tags.clone().map(Value::Object).unwrap_or_else(|| if is_patch { old.tags.clone() } else { json!({}) }),
                    managed_by: managed_by.clone().or_else(|| if is_patch { old.managed_by.clone() } else { None }),
                    ..old.clone()
                }
            }
            (None, false) => {
                let location = location.clone().ok_or_else(|| {
                    ApiError::new(ErrorCode::InvalidRequestContent, "`location` is required to create a resource group").at("location")
                })?;
                ResourceGroupRow {
                    subscription_id: sub.to_string(),
                    name: rg.to_string(),
                    location,
                    tags: Value::Object(tags.clone().unwrap_or_default()),
                    managed_by: managed_by.clone(),
                    created_at: String::new(),
                    updated_at: String::new(),
                }
            }
        };
        let created = tx.upsert_resource_group(&row).await?;
        let after = render_group(&row);
        Ok(Outcome { value: (created, after.clone()), http_status: if created { 201 } else { 200 }, before, after: Some(after) })
    })
    .await?;
    Ok(json(
        if created {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        },
        rendered,
    ))
}

/// `DELETE /subscriptions/{s}/resourcegroups/{rg}`: the group and every resource in it.
pub async fn delete_group(
    state: &AppState,
    ctx: &Ctx,
    sub: &SubscriptionId,
    rg: &ResourceGroupName,
) -> Result<Response, ApiError> {
    require_subscription(ctx, sub).await?;
    let target = Target {
        scope: format!("/subscriptions/{sub}/resourceGroups/{rg}"),
        subscription_id: Some(sub.to_string()),
        resource_group: Some(rg.to_string()),
    };
    run_write(state, ctx, target, async |tx| {
        let existing = tx
            .store()
            .get_resource_group(sub.as_str(), rg.as_str())
            .await?
            .ok_or_else(|| group_not_found(rg))?;
        let n_resources = tx.delete_resource_group(sub.as_str(), rg.as_str()).await?;
        let before =
            json!({ "resourceGroup": render_group(&existing), "resourcesDeleted": n_resources });
        Ok(Outcome {
            value: (),
            http_status: 200,
            before: Some(before),
            after: None,
        })
    })
    .await?;
    Ok(json(StatusCode::OK, Value::Null))
}

fn render_resource(row: &ResourceRow) -> Value {
    let mut out = Map::new();
    out.insert("id".into(), json!(row.id));
    out.insert("name".into(), json!(row.name));
    out.insert("type".into(), json!(row.resource_type));
    if let Some(body) = row.body.as_object() {
        for (k, v) in body {
            out.insert(k.clone(), v.clone());
        }
    }
    let props = out.entry("properties").or_insert_with(|| json!({}));
    if let Some(p) = props.as_object_mut() {
        p.insert("provisioningState".into(), json!("Succeeded"));
    }
    Value::Object(out)
}

fn resource_not_found(id: &str) -> ApiError {
    ApiError::new(
        ErrorCode::ResourceNotFound,
        format!("the resource `{id}` was not found"),
    )
}

/// `GET` a resource by id.
pub async fn get(state: &AppState, ctx: &Ctx, r: &ResourceRef) -> Result<Response, ApiError> {
    require_subscription(ctx, &r.subscription).await?;
    let id = Scope::Resource(r.clone()).to_string();
    let (group_exists, row) = state
        .store
        .get_resource_at_version(
            ctx.caller.snapshot.version,
            r.subscription.as_str(),
            r.resource_group.as_str(),
            &id,
        )
        .await?;
    if !group_exists {
        return Err(group_not_found(&r.resource_group));
    }
    let row = row.ok_or_else(|| resource_not_found(&id))?;
    let status = if ctx.method == axum::http::Method::HEAD {
        StatusCode::NO_CONTENT
    } else {
        StatusCode::OK
    };
    Ok(json(status, render_resource(&row)))
}

/// Checks that the resource's subscription is the caller's and its resource group exists.
async fn require_group_of(state: &AppState, ctx: &Ctx, r: &ResourceRef) -> Result<(), ApiError> {
    require_subscription(ctx, &r.subscription).await?;
    if state
        .store
        .get_resource_group(r.subscription.as_str(), r.resource_group.as_str())
        .await?
        .is_none()
    {
        return Err(group_not_found(&r.resource_group));
    }
    Ok(())
}

/// `PUT`/`PATCH` a resource: the one place every resource write passes.
pub async fn put(state: &AppState, ctx: &Ctx, r: &ResourceRef) -> Result<Response, ApiError> {
    require_subscription(ctx, &r.subscription).await?;
    let is_patch = ctx.method == axum::http::Method::PATCH;
    let id = Scope::Resource(r.clone()).to_string();
    ctx.body.tags("tags")?;
    for key in ["properties", "sku", "identity", "plan"] {
        ctx.body.object(key)?;
    }
    let mut incoming = Map::new();
    if let Some(obj) = ctx.body.0.as_object() {
        for key in BODY_KEYS {
            if let Some((_, v)) = obj.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)) {
                incoming.insert((*key).to_owned(), v.clone());
            }
        }
    }
    let target = Target {
        scope: id.clone(),
        subscription_id: Some(r.subscription.to_string()),
        resource_group: Some(r.resource_group.to_string()),
    };
    let (created, rendered) = run_write(state, ctx, target, async |tx| {
        let store = tx.store();
        if store
            .get_resource_group(r.subscription.as_str(), r.resource_group.as_str())
            .await?
            .is_none()
        {
            return Err(group_not_found(&r.resource_group));
        }
        let parent = match r.parent() {
            Some(p) => {
                let parent_id = Scope::Resource(p).to_string();
                if store.get_resource(&parent_id).await?.is_none() {
                    return Err(ApiError::new(
                        ErrorCode::ResourceNotFound,
                        format!("the parent resource `{parent_id}` was not found"),
                    ));
                }
                Some(parent_id)
            }
            None => None,
        };
        let existing = store.get_resource(&id).await?;
        let body = match (&existing, is_patch) {
            (None, true) => return Err(resource_not_found(&id)),
            (Some(old), true) => {
                let mut merged = old.body.as_object().cloned().unwrap_or_default();
                for (k, v) in &incoming {
                    merged.insert(k.clone(), v.clone());
                }
                Value::Object(merged)
            }
            _ => Value::Object(incoming.clone()),
        };
        let row = ResourceRow {
            id: existing
                .as_ref()
                .map(|e| e.id.clone())
                .unwrap_or_else(|| id.clone()),
            subscription_id: r.subscription.to_string(),
            resource_type: r.resource_type(),
            name: r.name().to_owned(),
            body,
            created_at: String::new(),
            updated_at: String::new(),
        };
        let created = tx
            .upsert_resource(&row, r.resource_group.as_str(), parent.as_deref())
            .await?;
        let before = existing.as_ref().map(render_resource);
        let after = render_resource(&row);
        Ok(Outcome {
            value: (created, after.clone()),
            http_status: if created { 201 } else { 200 },
            before,
            after: Some(after),
        })
    })
    .await?;
    Ok(json(
        if created {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        },
        rendered,
    ))
}

/// `DELETE` a resource and its child resources.
pub async fn delete(state: &AppState, ctx: &Ctx, r: &ResourceRef) -> Result<Response, ApiError> {
    require_group_of(state, ctx, r).await?;
    let id = Scope::Resource(r.clone()).to_string();
    let target = Target {
        scope: id.clone(),
        subscription_id: Some(r.subscription.to_string()),
        resource_group: Some(r.resource_group.to_string()),
    };
    let found = run_write(state, ctx, target, async |tx| {
        let existing = tx.store().get_resource(&id).await?;
        let Some(existing) = existing else {
            return Ok(Outcome {
                value: false,
                http_status: 204,
                before: None,
                after: None,
            });
        };
        tx.delete_resource(&id).await?;
        Ok(Outcome {
            value: true,
            http_status: 200,
            before: Some(render_resource(&existing)),
            after: None,
        })
    })
    .await?;
    Ok(json(
        if found {
            StatusCode::OK
        } else {
            StatusCode::NO_CONTENT
        },
        Value::Null,
    ))
}

fn tag_matches(tags: &Value, name: Option<&str>, value: Option<&str>) -> bool {
    let Some(name) = name else { return true };
    tags.as_object().is_some_and(|t| {
        t.iter().any(|(k, v)| {
            k.eq_ignore_ascii_case(name) && value.is_none_or(|want| v.as_str() == Some(want))
        })
    })
}

/// Parses the `$filter` clauses ARM allows on lists: `tagName eq`, `tagValue eq`,
/// `resourceType eq`, joined by `and`.
fn parse_filter(ctx: &Ctx) -> Result<Vec<(String, String)>, ApiError> {
    let Some(filter) = ctx.query("$filter") else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for clause in split_and(filter) {
        let parts: Vec<&str> = clause.trim().splitn(3, ' ').collect();
        match parts.as_slice() {
            [field, op, value] if op.eq_ignore_ascii_case("eq") => {
                let value = value.trim().trim_matches('\'').to_owned();
                out.push((field.to_ascii_lowercase(), value));
            }
            _ => {
                return Err(ApiError::new(
                    ErrorCode::InvalidParameter,
                    format!(
                        "the `$filter` clause `{clause}` is not supported; use `field eq 'value'`"
                    ),
                )
                .at("$filter"))
            }
        }
    }
    Ok(out)
}

/// Splits a `$filter` on ` and ` outside quotes.
pub fn split_and(filter: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut in_quote = false;
    let mut rest = filter;
    while let Some(c) = rest.chars().next() {
        if c == '\'' {
            in_quote = !in_quote;
        }
        if !in_quote
            && rest.len() >= 5
            && rest
                .get(..5)
                .is_some_and(|s| s.eq_ignore_ascii_case(" and "))
        {
            out.push(std::mem::take(&mut current));
            rest = rest.get(5..).unwrap_or_default();
            continue;
        }
        current.push(c);
        rest = rest.get(c.len_utf8()..).unwrap_or_default();
    }
    if !current.trim().is_empty() {
        out.push(current);
    }
    out
}

fn tag_filter(ctx: &Ctx) -> Result<(Option<String>, Option<String>), ApiError> {
    let mut name = None;
    let mut value = None;
    for (field, v) in parse_filter(ctx)? {
        match field.as_str() {
            "tagname" => name = Some(v),
            "tagvalue" => value = Some(v),
            other => {
                return Err(ApiError::new(
                    ErrorCode::InvalidParameter,
                    format!("cannot filter resource groups on `{other}`"),
                )
                .at("$filter"))
            }
        }
    }
    Ok((name, value))
}

/// Lists resources of a subscription or resource group, with `$filter`.
pub async fn list(
    state: &AppState,
    ctx: &Ctx,
    sub: &SubscriptionId,
    rg: Option<&ResourceGroupName>,
) -> Result<Response, ApiError> {
    require_subscription(ctx, sub).await?;
    if let Some(rg) = rg {
        if state
            .store
            .get_resource_group(sub.as_str(), rg.as_str())
            .await?
            .is_none()
        {
            return Err(group_not_found(rg));
        }
    }
    let mut filter = ResourceFilter {
        resource_group: rg.map(|r| r.to_string()),
        ..ResourceFilter::default()
    };
    for (field, v) in parse_filter(ctx)? {
        match field.as_str() {
            "tagname" => filter.tag_name = Some(v),
            "tagvalue" => filter.tag_value = Some(v),
            "resourcetype" => filter.resource_type = Some(v),
            other => {
                return Err(ApiError::new(
                    ErrorCode::InvalidParameter,
                    format!("cannot filter resources on `{other}`"),
                )
                .at("$filter"))
            }
        }
    }
    let items = state
        .store
        .list_resources(sub.as_str(), &filter)
        .await?
        .iter()
        .map(render_resource)
        .collect();
    Ok(json(StatusCode::OK, crate::paging::page(ctx, items)))
}
