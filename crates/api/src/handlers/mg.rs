//! Management groups: create, read (with `$expand` and `$recurse`), rename, move, delete,
//! descendants, name availability, subscriptions under a group, hierarchy settings, and the
//! move preview Azure lacks.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use leitstand_core::ids::{check_display_name, GroupId, SubscriptionId};
use leitstand_core::resource_id::Scope;
use leitstand_core::tree::TenantTree;
use leitstand_core::ErrorCode;
use leitstand_store::{HierarchySettings, RoleAssignmentRow, Snapshot, WriteTx};
use serde_json::{json, Value};

use crate::access::RequestAttributes;
use crate::arm::{json, Ctx};
use crate::error::ApiError;
use crate::write::{run_write, Outcome, Target};
use crate::AppState;

const TYPE: &str = "Microsoft.Management/managementGroups";

/// Returns a group's ARM id.
pub fn group_id(id: &str) -> String {
    format!("/providers/{TYPE}/{id}")
}

fn not_found(id: &GroupId) -> ApiError {
    ApiError::new(
        ErrorCode::NotFound,
        format!("management group `{id}` was not found"),
    )
}

/// Parses a parent reference: a full group id or a bare group id.
fn parse_parent(text: &str, path: &str) -> Result<GroupId, ApiError> {
    let bad = |e: String| ApiError::new(ErrorCode::InvalidRequestContent, e).at(path);
    if text.starts_with('/') {
        match Scope::parse(text) {
            Ok(Scope::ManagementGroup(g)) => Ok(g),
            Ok(_) => Err(bad(format!("`{text}` is not a management group id"))),
            Err(e) => Err(bad(e.to_string())),
        }
    } else {
        GroupId::parse(text).map_err(|e| bad(e.to_string()))
    }
}

fn name_ref(tree: &TenantTree, key: &str) -> Value {
    match tree.group(key) {
        Some(g) => json!({ "name": g.id.as_str(), "displayName": g.display_name }),
        None => json!({ "name": key }),
    }
}

fn children(tree: &TenantTree, key: &str, recurse: bool) -> Vec<Value> {
    let Some(node) = tree.group(key) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for child in node.child_groups.iter() {
        if let Some(g) = tree.group(child) {
            let mut item = json!({ "type": TYPE, "id": group_id(g.id.as_str()), "name": g.id.as_str(), "displayName": g.display_name });
            if recurse {
                let nested = children(tree, child, true);
                if !nested.is_empty() {
                    item["children"] = Value::Array(nested);
                }
            }
            out.push(item);
        }
    }
    for sub in node.subscriptions.iter() {
        if let Some(s) = tree.subscription(sub) {
            out.push(json!({ "type": "/subscriptions", "id": format!("/subscriptions/{}", s.id), "name": s.id.as_str(), "displayName": s.display_name }));
        }
    }
    out
}

/// Renders a group as ARM's `ManagementGroup`, expanded as the query asks.
pub fn render_group(snapshot: &Snapshot, key: &str, expand: &[String], recurse: bool) -> Value {
    let tree = &snapshot.tree;
    let Some(node) = tree.group(key) else {
        return Value::Null;
    };
    let ancestors = tree.ancestors(key);
    let mut details = json!({ "updatedTime": node.updated_at, "updatedBy": node.updated_by });
    if let Some(parent) = node.parent.as_deref().and_then(|p| tree.group(p)) {
        details["parent"] = json!({ "id": group_id(parent.id.as_str()), "name": parent.id.as_str(), "displayName": parent.display_name });
    }
    if expand.iter().any(|e| e == "path") {
        details["path"] = Value::Array(ancestors.iter().rev().map(|a| name_ref(tree, a)).collect());
    }
    if expand.iter().any(|e| e == "ancestors") {
        details["managementGroupAncestors"] = Value::Array(
            ancestors
                .iter()
                .filter_map(|a| tree.group(a))
                .map(|g| json!(g.id.as_str()))
                .collect(),
        );
        details["managementGroupAncestorsChain"] =
            Value::Array(ancestors.iter().map(|a| name_ref(tree, a)).collect());
    }
    let mut properties = json!({ "tenantId": snapshot.tenant.id, "displayName": node.display_name, "details": details });
    if expand.iter().any(|e| e == "children") {
        properties["children"] = Value::Array(children(tree, key, recurse));
    }
    json!({ "id": group_id(node.id.as_str()), "type": TYPE, "name": node.id.as_str(), "properties": properties })
}

fn expand_of(ctx: &Ctx) -> Result<(Vec<String>, bool), ApiError> {
    let expand: Vec<String> = ctx
        .query("$expand")
        .map(|e| {
            e.split(',')
                .map(|s| s.trim().to_ascii_lowercase())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default();
    for e in &expand {
        if !matches!(e.as_str(), "children" | "path" | "ancestors") {
            return Err(ApiError::new(
                ErrorCode::InvalidParameter,
                format!("`$expand={e}` is not supported; use children, path or ancestors"),
            )
            .at("$expand"));
        }
    }
    let recurse = match ctx
        .query("$recurse")
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None | Some("false") => false,
        Some("true") => true,
        Some(other) => {
            return Err(ApiError::new(
                ErrorCode::InvalidParameter,
                format!("`$recurse={other}` must be true or false"),
            )
            .at("$recurse"))
        }
    };
    if recurse && !expand.iter().any(|e| e == "children") {
        return Err(ApiError::new(
            ErrorCode::InvalidParameter,
            "`$recurse=true` needs `$expand=children`",
        )
        .at("$recurse"));
    }
    Ok((expand, recurse))
}

/// `GET /providers/Microsoft.Management/managementGroups`.
pub async fn list(ctx: &Ctx) -> Result<Response, ApiError> {
    let snapshot = ctx.caller.snapshot.clone();
    let mut groups: Vec<_> = snapshot.tree.groups().collect();
    groups.sort_by_key(|g| g.id.key());
    let items: Vec<Value> = groups
        .iter()
        .map(|g| {
            json!({
                "id": group_id(g.id.as_str()),
                "type": TYPE,
                "name": g.id.as_str(),
                "properties": { "tenantId": snapshot.tenant.id, "displayName": g.display_name },
            })
        })
        .collect();
    Ok(json(StatusCode::OK, crate::paging::page(ctx, items)))
}

/// `GET …/managementGroups/{groupId}`.
pub async fn get(state: &AppState, ctx: &Ctx, id: &GroupId) -> Result<Response, ApiError> {
    let (expand, recurse) = expand_of(ctx)?;
    let child_filter = child_type_filter(ctx.query("$filter"))?;
    let snapshot = ctx.caller.snapshot.clone();
    if !snapshot.tree.contains_group(&id.key()) {
        return Err(not_found(id));
    }
    // A rendering depends only on the hierarchy at this version: memoize it.
    let key = format!(
        "{}|{}|{}|{recurse}|{child_filter:?}",
        snapshot.tenant.id,
        id.key(),
        expand.join(",")
    );
    let bytes = match state.renders.get(&key, snapshot.version) {
        Some(bytes) => bytes,
        None => {
            let mut rendered = render_group(&snapshot, &id.key(), &expand, recurse);
            if let Some((want_subscriptions, equal)) = child_filter {
                if let Some(children) = rendered
                    .get_mut("properties")
                    .and_then(|p| p.get_mut("children"))
                {
                    keep_children(children, &|c| {
                        (c["type"] == "/subscriptions") == (want_subscriptions == equal)
                    });
                }
            }
            let bytes = axum::body::Bytes::from(
                serde_json::to_vec(&rendered)
                    .map_err(|e| ApiError::internal("render a management group", &e))?,
            );
            state.renders.put(key, snapshot.version, bytes.clone());
            bytes
        }
    };
    Ok((
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        bytes,
    )
        .into_response())
}

/// Parses the `$filter` ARM documents on a group read: `children.childType eq|ne
/// Subscription|ManagementGroup`; returns (names subscriptions, is `eq`).
fn child_type_filter(filter: Option<&str>) -> Result<Option<(bool, bool)>, ApiError> {
    let Some(filter) = filter else {
        return Ok(None);
    };
    let parts: Vec<&str> = filter.split_whitespace().collect();
    let bad = || {
        ApiError::new(
            ErrorCode::InvalidParameter,
            format!("the `$filter` `{filter}` is not supported; use `children.childType eq|ne Subscription|ManagementGroup`"),
        )
        .at("$filter")
    };
    let [field, op, value] = parts.as_slice() else {
        return Err(bad());
    };
    if !field.eq_ignore_ascii_case("children.childType") {
        return Err(bad());
    }
    let equal = match op.to_ascii_lowercase().as_str() {
        "eq" => true,
        "ne" => false,
        _ => return Err(bad()),
    };
    let subscriptions = match value.trim_matches('\'').to_ascii_lowercase().as_str() {
        "subscription" | "/subscriptions" => true,
        "managementgroup" | "microsoft.management/managementgroups" => false,
        _ => return Err(bad()),
    };
    Ok(Some((subscriptions, equal)))
}

/// Keeps only the children (at every level) for which `keep` holds.
fn keep_children(children: &mut Value, keep: &dyn Fn(&Value) -> bool) {
    if let Value::Array(items) = children {
        items.retain(|c| keep(c));
        for item in items.iter_mut() {
            if let Some(nested) = item.get_mut("children") {
                keep_children(nested, keep);
            }
        }
    }
}

/// `PUT …/managementGroups/{groupId}`: create, or rename and move.
pub async fn put(state: &AppState, ctx: &Ctx, id: &GroupId) -> Result<Response, ApiError> {
    let display_name = display_name_at(ctx, "properties.displayName")?;
    let parent = parent_at(ctx, "properties.details.parent.id")?;
    let key = id.key();
    let rendered = run_write(
        state,
        ctx,
        Target::scope(group_id(id.as_str())),
        async |tx| {
            if let Some(p) = &parent {
                if !tx.snapshot().tree.contains_group(p) {
                    return Err(ApiError::new(
                        ErrorCode::BadRequest,
                        format!("the parent management group `{p}` was not found"),
                    )
                    .at("properties.details.parent.id"));
                }
            }
            if tx.snapshot().tree.contains_group(&key) {
                crate::access::require(
                    ctx,
                    tx.snapshot(),
                    GROUP_WRITE,
                    &Scope::ManagementGroup(id.clone()),
                    &RequestAttributes::default(),
                )?;
                return rename_or_move(tx, ctx, id, display_name.as_deref(), parent.as_deref())
                    .await;
            }
            let parent = parent
                .clone()
                .unwrap_or_else(|| tx.snapshot().settings.default_group_key.clone());
            tx.snapshot().tree.check_create(id, &parent)?;
            let creator_owns = may_create_under(ctx, tx.snapshot(), &parent)?;
            let name = display_name.clone().unwrap_or_else(|| id.to_string());
            tx.insert_group(id, &name, &parent, &ctx.caller.principal.id)
                .await?;
            if !creator_owns {
                // As in Azure: whoever creates a group without write rights above it owns it.
                let row = RoleAssignmentRow {
                    id: uuid::Uuid::new_v4().to_string(),
                    scope: Scope::ManagementGroup(id.clone()).to_string(),
                    role_definition_id: OWNER.to_owned(),
                    principal_id: ctx.caller.principal.id.clone(),
                    principal_type: ctx.caller.principal.kind.as_str().to_owned(),
                    description: "the creator of the management group".to_owned(),
                    condition: None,
                    condition_version: None,
                    created_at: String::new(),
                    updated_at: String::new(),
                    created_by: ctx.caller.principal.id.clone(),
                    updated_by: ctx.caller.principal.id.clone(),
                };
                tx.insert_role_assignment(&row, &ctx.caller.principal.id)
                    .await?;
            }
            let after = render_group(tx.snapshot(), &key, &[], false);
            Ok(Outcome {
                value: after.clone(),
                http_status: 200,
                before: None,
                after: Some(after),
            })
        },
    )
    .await?;
    Ok(json(StatusCode::OK, rendered))
}

const GROUP_WRITE: &str = "Microsoft.Management/managementGroups/write";
/// The built-in Owner role.
const OWNER: &str = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";

/// Checks that the caller may create a group under `parent` (a group key): it needs
/// management-group write on a parent other than the root or default group, and on those
/// only when hierarchy protection (`requireAuthorizationForGroupCreation`) is on. Returns
/// whether the caller already holds that write right (else it becomes the new group's Owner).
fn may_create_under(ctx: &Ctx, snapshot: &Snapshot, parent: &str) -> Result<bool, ApiError> {
    let scope = snapshot
        .tree
        .group(parent)
        .map(|g| Scope::ManagementGroup(g.id.clone()))
        .unwrap_or(Scope::Root);
    let attributes = RequestAttributes::default();
    let holds = crate::access::check(
        snapshot,
        &ctx.caller.principal.id,
        GROUP_WRITE,
        false,
        &scope,
        &attributes,
    )
    .is_allowed();
    let open_parent =
        parent == snapshot.tree.root_key() || parent == snapshot.settings.default_group_key;
    if !holds && (!open_parent || snapshot.settings.require_authorization_for_group_creation) {
        crate::access::require(ctx, snapshot, GROUP_WRITE, &scope, &attributes)?;
    }
    Ok(holds)
}

/// `PATCH …/managementGroups/{groupId}`: `displayName` and/or `parentGroupId`.
pub async fn patch(state: &AppState, ctx: &Ctx, id: &GroupId) -> Result<Response, ApiError> {
    let display_name = display_name_at(ctx, "displayName")?;
    let parent = parent_at(ctx, "parentGroupId")?;
    let rendered = run_write(
        state,
        ctx,
        Target::scope(group_id(id.as_str())),
        async |tx| rename_or_move(tx, ctx, id, display_name.as_deref(), parent.as_deref()).await,
    )
    .await?;
    Ok(json(StatusCode::OK, rendered))
}

/// Reads and checks an optional display name at a JSON path.
fn display_name_at(ctx: &Ctx, path: &str) -> Result<Option<String>, ApiError> {
    let name = ctx.body.str(path)?;
    if let Some(name) = &name {
        check_display_name("display name", name)
            .map_err(|e| ApiError::new(ErrorCode::InvalidRequestContent, e.to_string()).at(path))?;
    }
    Ok(name)
}

/// Reads an optional parent group reference at a JSON path; returns the parent's key.
fn parent_at(ctx: &Ctx, path: &str) -> Result<Option<String>, ApiError> {
    match ctx.body.str(path)? {
        Some(p) if !p.is_empty() => Ok(Some(parse_parent(&p, path)?.key())),
        _ => Ok(None),
    }
}

/// Renames and/or moves an existing group (a PUT on an existing group, or a PATCH).
async fn rename_or_move(
    tx: &mut WriteTx<'_>,
    ctx: &Ctx,
    id: &GroupId,
    display_name: Option<&str>,
    parent: Option<&str>,
) -> Result<Outcome<Value>, ApiError> {
    let key = id.key();
    let node = tx
        .snapshot()
        .tree
        .group(&key)
        .cloned()
        .ok_or_else(|| not_found(id))?;
    let before = render_group(tx.snapshot(), &key, &[], false);
    let moving = parent.filter(|p| Some(*p) != node.parent.as_deref());
    if let Some(p) = moving {
        // Refuses the root, cycles and too deep a subtree.
        tx.snapshot().tree.check_move(&key, p)?;
        let old_parent = node.parent.clone().unwrap_or_default();
        crate::access::check_move(
            ctx,
            tx.snapshot(),
            &Scope::ManagementGroup(id.clone()),
            &old_parent,
            p,
        )?;
        let mut after_move = tx.snapshot().tree.clone();
        after_move.move_group(&key, p);
        check_assignments_keep_their_roles(tx, &after_move, &Scope::ManagementGroup(id.clone()))
            .await?;
    }
    let name = display_name.map(str::to_owned).unwrap_or(node.display_name);
    tx.update_group(&key, &name, moving, &ctx.caller.principal.id)
        .await?;
    let after = render_group(tx.snapshot(), &key, &[], false);
    Ok(Outcome {
        value: after.clone(),
        http_status: 200,
        before: Some(before),
        after: Some(after),
    })
}

/// Refuses a move that would cut a role assignment at or below `moved` off from the custom
/// role it uses: after the move, one of the role's assignable scopes must still be the
/// assignment's scope or above it.
async fn check_assignments_keep_their_roles(
    tx: &mut WriteTx<'_>,
    after_move: &TenantTree,
    moved: &Scope,
) -> Result<(), ApiError> {
    let moved_key = moved.to_string().to_lowercase();
    let custom_roles = tx.store().list_custom_roles(tx.tenant()).await?;
    if custom_roles.is_empty() {
        return Ok(());
    }
    for assignment in tx.role_assignments().await? {
        let Some(role) = custom_roles
            .iter()
            .find(|r| r.id == assignment.role_definition_id)
        else {
            continue;
        };
        let Ok(scope) = Scope::parse(&assignment.scope) else {
            continue;
        };
        let chain: Vec<String> = after_move
            .scope_chain(&scope)
            .iter()
            .map(|s| s.to_string().to_lowercase())
            .collect();
        if !chain.contains(&moved_key) {
            continue;
        }
        if !role
            .assignable_scopes
            .iter()
            .any(|a| chain.contains(&a.to_lowercase()))
        {
            return Err(ApiError::new(
                ErrorCode::MoveBreaksRoleAssignment,
                format!(
                    "the move would cut role assignment `{}` at `{}` off from custom role `{}` ({}), whose assignable scopes {:?} would no longer be above it; remove the assignment, or widen the role's assignable scopes, first",
                    assignment.id, assignment.scope, role.role_name, role.id, role.assignable_scopes
                ),
            ));
        }
    }
    Ok(())
}

/// Most operation names listed per principal and direction in a move preview (the counts are
/// whole).
const MAX_LISTED_OPERATIONS: usize = 200;

/// For each principal, the catalogued operations it may perform at `child` today but not
/// under the new ancestors `after` (group keys, nearest first), and the other way round.
fn effective_changes(
    snapshot: &Snapshot,
    child: &Scope,
    after: &[String],
    principals: &std::collections::BTreeSet<String>,
) -> Value {
    let before_chain = crate::access::chain(&snapshot.tree, child);
    let mut after_chain = vec![child.to_string().to_ascii_lowercase()];
    after_chain.extend(
        after
            .iter()
            .filter_map(|k| snapshot.tree.group(k))
            .map(|g| group_id(g.id.as_str()).to_ascii_lowercase()),
    );
    after_chain.push("/".to_owned());
    let before_chain: Vec<&str> = before_chain.iter().map(String::as_str).collect();
    let after_chain: Vec<&str> = after_chain.iter().map(String::as_str).collect();
    let mut out = serde_json::Map::new();
    for principal in principals {
        let allowed = |chain: &[&str], op: &leitstand_rbac::Operation| {
            snapshot
                .access
                .check(&leitstand_rbac::engine::Check {
                    principal,
                    action: &op.name,
                    data_action: op.is_data_action,
                    chain,
                    attributes: &(),
                })
                .is_allowed()
        };
        let (mut lost, mut gained) = (Vec::new(), Vec::new());
        for op in leitstand_rbac::operations() {
            match (allowed(&before_chain, op), allowed(&after_chain, op)) {
                (true, false) => lost.push(op.name.as_str()),
                (false, true) => gained.push(op.name.as_str()),
                _ => {}
            }
        }
        out.insert(
            principal.clone(),
            json!({
                "lostCount": lost.len(),
                "gainedCount": gained.len(),
                "lost": lost.iter().take(MAX_LISTED_OPERATIONS).collect::<Vec<_>>(),
                "gained": gained.iter().take(MAX_LISTED_OPERATIONS).collect::<Vec<_>>(),
            }),
        );
    }
    Value::Object(out)
}

/// `DELETE …/managementGroups/{groupId}`: answered 202 with an operation-status URL.
pub async fn delete(state: &AppState, ctx: &Ctx, id: &GroupId) -> Result<Response, ApiError> {
    let key = id.key();
    run_write(
        state,
        ctx,
        Target::scope(group_id(id.as_str())),
        async |tx| {
            if !tx.snapshot().tree.contains_group(&key) {
                return Err(not_found(id));
            }
            tx.snapshot().tree.check_delete(&key)?;
            let before = render_group(tx.snapshot(), &key, &[], false);
            tx.delete_group(&key).await?;
            Ok(Outcome {
                value: (),
                http_status: 202,
                before: Some(before),
                after: None,
            })
        },
    )
    .await?;
    let status_url = format!(
        "{}/providers/Microsoft.Management/operationResults/delete-{}?api-version={}",
        ctx.base_url,
        id.as_str(),
        ctx.api_version
    );
    let mut response = json(
        StatusCode::ACCEPTED,
        json!({ "id": group_id(id.as_str()), "type": "/providers/Microsoft.Management/operationResults", "name": id.as_str(), "status": "Running" }),
    );
    for (name, value) in [
        ("azure-asyncoperation", status_url.as_str()),
        ("location", status_url.as_str()),
        ("retry-after", "1"),
    ] {
        if let Ok(v) = HeaderValue::from_str(value) {
            response.headers_mut().insert(name, v);
        }
    }
    Ok(response)
}

/// `GET /providers/Microsoft.Management/operationResults/{id}`: the status of a deletion.
pub async fn operation_result(ctx: &Ctx, id: &str) -> Result<Response, ApiError> {
    let Some(group) = id.strip_prefix("delete-") else {
        return Err(ApiError::new(
            ErrorCode::NotFound,
            format!("operation `{id}` was not found"),
        ));
    };
    let group =
        GroupId::parse(group).map_err(|e| ApiError::new(ErrorCode::NotFound, e.to_string()))?;
    let snapshot = ctx.caller.snapshot.clone();
    let status = if snapshot.tree.contains_group(&group.key()) {
        "Running"
    } else {
        "Succeeded"
    };
    Ok(json(
        StatusCode::OK,
        json!({ "id": group_id(group.as_str()), "type": "/providers/Microsoft.Management/operationResults", "name": group.as_str(), "status": status }),
    ))
}

/// `GET …/managementGroups/{groupId}/descendants`.
pub async fn descendants(ctx: &Ctx, id: &GroupId) -> Result<Response, ApiError> {
    let snapshot = ctx.caller.snapshot.clone();
    let tree = &snapshot.tree;
    let key = id.key();
    if !tree.contains_group(&key) {
        return Err(not_found(id));
    }
    let mut items = Vec::new();
    let mut groups = vec![key.clone()];
    groups.extend(tree.descendant_groups(&key));
    for (idx, g) in groups.iter().enumerate() {
        let Some(node) = tree.group(g) else { continue };
        if idx > 0 {
            let parent = node.parent.clone().unwrap_or_default();
            let parent_id = tree
                .group(&parent)
                .map(|p| p.id.to_string())
                .unwrap_or(parent);
            items.push(json!({
                "id": group_id(node.id.as_str()), "type": TYPE, "name": node.id.as_str(),
                "properties": { "displayName": node.display_name, "parent": { "id": group_id(&parent_id) } },
            }));
        }
        for s in node
            .subscriptions
            .iter()
            .filter_map(|s| tree.subscription(s))
        {
            items.push(json!({
                "id": format!("/subscriptions/{}", s.id), "type": "Microsoft.Management/managementGroups/subscriptions",
                "name": s.id.as_str(),
                "properties": { "displayName": s.display_name, "parent": { "id": group_id(node.id.as_str()) } },
            }));
        }
    }
    Ok(json(StatusCode::OK, crate::paging::page(ctx, items)))
}

/// `POST /providers/Microsoft.Management/checkNameAvailability`.
pub async fn check_name(ctx: &Ctx) -> Result<Response, ApiError> {
    let name = ctx.body.str("name")?.ok_or_else(|| {
        ApiError::new(ErrorCode::InvalidRequestContent, "`name` is required").at("name")
    })?;
    let answer = match GroupId::parse(&name) {
        Err(e) => json!({ "nameAvailable": false, "reason": "Invalid", "message": e.to_string() }),
        Ok(id) => {
            let snapshot = ctx.caller.snapshot.clone();
            if snapshot.tree.contains_group(&id.key()) {
                json!({ "nameAvailable": false, "reason": "AlreadyExists", "message": format!("management group `{id}` already exists") })
            } else {
                json!({ "nameAvailable": true })
            }
        }
    };
    Ok(json(StatusCode::OK, answer))
}

fn subscription_under_group(snapshot: &Snapshot, group: &str, sub: &str) -> Value {
    let tree = &snapshot.tree;
    let node = tree.subscription(sub);
    let parent = tree
        .group(group)
        .map(|g| g.id.to_string())
        .unwrap_or_else(|| group.to_owned());
    json!({
        "id": format!("{}/subscriptions/{}", group_id(&parent), sub),
        "type": "Microsoft.Management/managementGroups/subscriptions",
        "name": sub,
        "properties": {
            "tenant": snapshot.tenant.id,
            "displayName": node.map(|n| n.display_name.clone()).unwrap_or_default(),
            "parent": { "id": group_id(&parent) },
            "state": "Active",
        },
    })
}

/// `GET …/managementGroups/{groupId}/subscriptions`.
pub async fn list_subscriptions(ctx: &Ctx, id: &GroupId) -> Result<Response, ApiError> {
    let snapshot = ctx.caller.snapshot.clone();
    let node = snapshot
        .tree
        .group(&id.key())
        .ok_or_else(|| not_found(id))?;
    let items = node
        .subscriptions
        .iter()
        .map(|s| subscription_under_group(&snapshot, &id.key(), s))
        .collect();
    Ok(json(StatusCode::OK, crate::paging::page(ctx, items)))
}

/// `GET …/managementGroups/{groupId}/subscriptions/{subscriptionId}`.
pub async fn get_subscription(
    ctx: &Ctx,
    id: &GroupId,
    sub: &SubscriptionId,
) -> Result<Response, ApiError> {
    let snapshot = ctx.caller.snapshot.clone();
    let node = snapshot
        .tree
        .group(&id.key())
        .ok_or_else(|| not_found(id))?;
    if !node.subscriptions.contains(sub.as_str()) {
        return Err(ApiError::new(
            ErrorCode::NotFound,
            format!("subscription `{sub}` is not under management group `{id}`"),
        ));
    }
    Ok(json(
        StatusCode::OK,
        subscription_under_group(&snapshot, &id.key(), sub.as_str()),
    ))
}

fn subscription_not_found(sub: &SubscriptionId) -> ApiError {
    ApiError::new(
        ErrorCode::SubscriptionNotFound,
        format!("subscription `{sub}` was not found"),
    )
}

/// `PUT …/managementGroups/{groupId}/subscriptions/{subscriptionId}`: moves the subscription.
pub async fn put_subscription(
    state: &AppState,
    ctx: &Ctx,
    id: &GroupId,
    sub: &SubscriptionId,
) -> Result<Response, ApiError> {
    move_subscription(state, ctx, id, sub, false).await
}

/// `DELETE …/managementGroups/{groupId}/subscriptions/{subscriptionId}`: back to the root.
pub async fn delete_subscription(
    state: &AppState,
    ctx: &Ctx,
    id: &GroupId,
    sub: &SubscriptionId,
) -> Result<Response, ApiError> {
    move_subscription(state, ctx, id, sub, true).await
}

async fn move_subscription(
    state: &AppState,
    ctx: &Ctx,
    id: &GroupId,
    sub: &SubscriptionId,
    remove: bool,
) -> Result<Response, ApiError> {
    let key = id.key();
    let target = Target {
        scope: format!("{}/subscriptions/{}", group_id(id.as_str()), sub),
        subscription_id: Some(sub.to_string()),
        resource_group: None,
    };
    let rendered = run_write(state, ctx, target, async |tx| {
        let tree = &tx.snapshot().tree;
        if !tree.contains_group(&key) {
            return Err(not_found(id));
        }
        let node = tree
            .subscription(sub.as_str())
            .cloned()
            .ok_or_else(|| subscription_not_found(sub))?;
        let before = json!({ "parent": group_id(&node.parent) });
        let new_parent = if remove {
            if node.parent != key {
                return Err(ApiError::new(
                    ErrorCode::NotFound,
                    format!("subscription `{sub}` is not under management group `{id}`"),
                ));
            }
            tree.root_key().to_owned()
        } else {
            key.clone()
        };
        crate::access::check_move(
            ctx,
            tx.snapshot(),
            &Scope::Subscription(sub.clone()),
            &node.parent,
            &new_parent,
        )?;
        let mut after_move = tx.snapshot().tree.clone();
        after_move.place_subscription(leitstand_core::tree::SubscriptionRow {
            id: node.id.clone(),
            display_name: node.display_name.clone(),
            kind: node.kind,
            parent: new_parent.clone(),
        });
        check_assignments_keep_their_roles(tx, &after_move, &Scope::Subscription(sub.clone()))
            .await?;
        tx.move_subscription(sub.as_str(), &new_parent).await?;
        let after = subscription_under_group(tx.snapshot(), &new_parent, sub.as_str());
        Ok(Outcome {
            value: after.clone(),
            http_status: 200,
            before: Some(before),
            after: Some(after),
        })
    })
    .await?;
    Ok(json(StatusCode::OK, rendered))
}

fn render_settings(snapshot: &Snapshot) -> Value {
    let root = snapshot
        .tree
        .root()
        .map(|r| r.id.to_string())
        .unwrap_or_default();
    let default = snapshot
        .tree
        .group(&snapshot.settings.default_group_key)
        .map(|g| g.id.to_string())
        .unwrap_or(root.clone());
    let mut properties = json!({
        "tenantId": snapshot.tenant.id,
        "requireAuthorizationForGroupCreation": snapshot.settings.require_authorization_for_group_creation,
        "defaultManagementGroup": group_id(&default),
    });
    if let Some(at) = &snapshot.settings.updated_at {
        properties["updatedTime"] = json!(at);
    }
    if let Some(by) = &snapshot.settings.updated_by {
        properties["updatedBy"] = json!(by);
    }
    json!({ "id": format!("{}/settings/default", group_id(&root)), "type": "Microsoft.Management/managementGroups/settings", "name": "default", "properties": properties })
}

/// Hierarchy settings on the root group: list, get, put, patch, delete.
pub async fn settings(state: &AppState, ctx: &Ctx, id: &GroupId) -> Result<Response, ApiError> {
    use crate::ops::Operation::*;
    let snapshot = ctx.caller.snapshot.clone();
    if id.key() != snapshot.tree.root_key() {
        return Err(ApiError::new(
            ErrorCode::BadRequest,
            format!(
                "hierarchy settings exist only on the root management group `{}`, not on `{id}`",
                snapshot.tenant.id
            ),
        ));
    }
    let settings = match &ctx.op {
        ListSettings(_) => {
            return Ok(json(
                StatusCode::OK,
                json!({ "value": [render_settings(&snapshot)] }),
            ))
        }
        GetSettings(_) => return Ok(json(StatusCode::OK, render_settings(&snapshot))),
        DeleteSettings(_) => None,
        _ => {
            let require = ctx
                .body
                .bool("properties.requireAuthorizationForGroupCreation")?;
            let default = match ctx.body.str("properties.defaultManagementGroup")? {
                Some(g) if !g.is_empty() => {
                    Some(parse_parent(&g, "properties.defaultManagementGroup")?)
                }
                _ => None,
            };
            Some((require, default))
        }
    };
    let rendered = run_write(
        state,
        ctx,
        Target::scope(format!("{}/settings/default", group_id(id.as_str()))),
        async |tx| {
            let before = render_settings(tx.snapshot());
            let current = tx.snapshot().settings.clone();
            let root = tx.snapshot().tree.root_key().to_owned();
            let replace = matches!(ctx.op, PutSettings(_));
            let (require, default_key) = match &settings {
                None => (false, root.clone()),
                Some((require, default)) => {
                    let default_key = match default {
                        Some(g) => {
                            if !tx.snapshot().tree.contains_group(&g.key()) {
                                return Err(ApiError::new(
                                    ErrorCode::BadRequest,
                                    format!("management group `{g}` was not found"),
                                )
                                .at("properties.defaultManagementGroup"));
                            }
                            g.key()
                        }
                        None if replace => root.clone(),
                        None => current.default_group_key.clone(),
                    };
                    let require = require.unwrap_or(if replace {
                        false
                    } else {
                        current.require_authorization_for_group_creation
                    });
                    (require, default_key)
                }
            };
            tx.update_settings(HierarchySettings {
                default_group_key: default_key,
                require_authorization_for_group_creation: require,
                updated_at: Some(leitstand_store::format_time(tx.now())),
                updated_by: Some(ctx.caller.principal.id.clone()),
            })
            .await?;
            let after = render_settings(tx.snapshot());
            Ok(Outcome {
                value: after.clone(),
                http_status: 200,
                before: Some(before),
                after: Some(after),
            })
        },
    )
    .await?;
    Ok(json(StatusCode::OK, rendered))
}

/// `POST …/managementGroups/{newParent}/previewMove` with `{"childId": "<group or subscription id>"}`:
/// what the child would leave and enter if moved under `newParent`, without moving it.
pub async fn preview_move(
    state: &AppState,
    ctx: &Ctx,
    new_parent: &GroupId,
) -> Result<Response, ApiError> {
    let child = ctx.body.str("childId")?.ok_or_else(|| {
        ApiError::new(
            ErrorCode::InvalidRequestContent,
            "`childId` (a management group or subscription id) is required",
        )
        .at("childId")
    })?;
    let child = Scope::parse(&child).map_err(|e| {
        ApiError::new(ErrorCode::InvalidRequestContent, e.to_string()).at("childId")
    })?;
    let snapshot = ctx.caller.snapshot.clone();
    let tree = &snapshot.tree;
    let parent_key = new_parent.key();
    if !tree.contains_group(&parent_key) {
        return Err(not_found(new_parent));
    }
    let (child_id, before, check) = match &child {
        Scope::ManagementGroup(g) => {
            if !tree.contains_group(&g.key()) {
                return Err(not_found(g));
            }
            (
                group_id(g.as_str()),
                tree.ancestors(&g.key()),
                tree.check_move(&g.key(), &parent_key)
                    .map_err(ApiError::from),
            )
        }
        Scope::Subscription(s) => {
            if tree.subscription(s.as_str()).is_none() {
                return Err(subscription_not_found(s));
            }
            (
                format!("/subscriptions/{s}"),
                tree.subscription_ancestors(s.as_str()),
                Ok(()),
            )
        }
        _ => {
            return Err(ApiError::new(
                ErrorCode::InvalidRequestContent,
                "`childId` must be a management group or subscription id",
            )
            .at("childId"))
        }
    };
    let mut after = vec![parent_key.clone()];
    after.extend(tree.ancestors(&parent_key));
    let names =
        |keys: &[String]| -> Vec<Value> { keys.iter().map(|k| name_ref(tree, k)).collect() };
    let leaves: Vec<String> = before
        .iter()
        .filter(|k| !after.contains(k))
        .cloned()
        .collect();
    let enters: Vec<String> = after
        .iter()
        .filter(|k| !before.contains(k))
        .cloned()
        .collect();
    let (allowed, error) = match check {
        Ok(()) => (true, Value::Null),
        Err(e) => (false, e.body()["error"].clone()),
    };
    // Role assignments inherited from the groups the child leaves or enters, per principal.
    let group_scope = |key: &String| {
        tree.group(key)
            .map(|g| group_id(g.id.as_str()).to_lowercase())
    };
    let left: Vec<String> = leaves.iter().filter_map(group_scope).collect();
    let entered: Vec<String> = enters.iter().filter_map(group_scope).collect();
    let mut lost = serde_json::Map::new();
    let mut gained = serde_json::Map::new();
    for assignment in state
        .store
        .list_role_assignments(&ctx.caller.tenant)
        .await?
    {
        let scope = assignment.scope.to_lowercase();
        let bucket = if left.contains(&scope) {
            &mut lost
        } else if entered.contains(&scope) {
            &mut gained
        } else {
            continue;
        };
        let role = crate::handlers::assignments::role_definition(
            state,
            &ctx.caller.tenant,
            &assignment.role_definition_id,
        )
        .await?
        .map(|r| r.role_name)
        .unwrap_or_else(|| assignment.role_definition_id.clone());
        let entry = bucket
            .entry(assignment.principal_id.clone())
            .or_insert_with(|| json!([]));
        if let Some(list) = entry.as_array_mut() {
            list.push(json!({ "roleAssignmentId": assignment.id, "roleName": role, "scope": assignment.scope }));
        }
    }
    // Effective permissions gained and lost at the child, per principal whose inherited
    // assignments change: every catalogued operation checked with the chain before and after.
    let principals: std::collections::BTreeSet<String> =
        lost.keys().chain(gained.keys()).cloned().collect();
    let effective = effective_changes(&snapshot, &child, &after, &principals);
    Ok(json(
        StatusCode::OK,
        json!({
            "childId": child_id,
            "effectivePermissionsByPrincipal": effective,
            "newParentId": group_id(new_parent.as_str()),
            "allowed": allowed,
            "error": error,
            "ancestorsBefore": names(&before),
            "ancestorsAfter": names(&after),
            "leaves": names(&leaves),
            "enters": names(&enters),
            "roleAssignmentsLostByPrincipal": lost,
            "roleAssignmentsGainedByPrincipal": gained,
        }),
    ))
}
