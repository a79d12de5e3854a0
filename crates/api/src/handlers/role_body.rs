//! Reading the body of a custom role PUT: the checks that need only the request body and the
//! route's role definition id, so that they can be unit-tested and fuzzed without a store.
//!
//! It checks the id, the role name, the type, the permission blocks (and warns about actions
//! that match no known operation) and the syntax of the assignable scopes, with Azure's rules
//! that a role names at most one management group and has no data actions at one.
//! It does not check that the scopes exist, that the caller may write the role at each of them,
//! or the tenant's names and limits: `authorization::put_role_definition` does that.

use leitstand_core::resource_id::Scope;
use leitstand_core::ErrorCode;
use serde_json::{json, Value};

use crate::body::Body;
use crate::error::ApiError;

/// A custom role PUT body that passed every check that needs no store.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedRoleDefinition {
    /// The role definition id, as a lowercase hyphenated GUID.
    pub id: String,
    /// `properties.roleName`, not blank and at most 512 characters.
    pub role_name: String,
    /// `properties.description`, empty when absent.
    pub description: String,
    /// The permission blocks as stored: each an object with the four action lists.
    pub permissions: Vec<Value>,
    /// `properties.assignableScopes`, parsed, in request order; never empty.
    pub assignable_scopes: Vec<Scope>,
    /// Warnings for `properties.warnings`, one per action that matches no known operation.
    pub warnings: Vec<String>,
}

/// Checks a custom role's id: a GUID that is not a built-in role's.
///
/// Most action patterns (Actions, NotActions, DataActions, NotDataActions together) a custom
/// role may list; the largest built-in role lists far fewer.
pub const MAX_PATTERNS: usize = 2000;

/// Returns the id as a lowercase hyphenated GUID.
pub fn custom_role_id(id: &str) -> Result<String, ApiError> {
    let guid = leitstand_core::ids::parse_guid("role definition id", id)
        .map_err(|e| {
            ApiError::new(ErrorCode::InvalidParameter, e.to_string()).at("roleDefinitionId")
        })?
        .to_string();
    if leitstand_rbac::builtin_role_by_id(&guid).is_some() {
        return Err(ApiError::new(
            ErrorCode::BadRequest,
            format!("`{guid}` is a built-in role definition, which cannot be changed"),
        )
        .at("roleDefinitionId"));
    }
    Ok(guid)
}

/// Parses and checks the body of `PUT …/roleDefinitions/{id}` for the role `id`.
///
/// A refusal is a 4xx naming the bad part in its target (`properties.permissions[0].actions[2]`,
/// `roleDefinitionId`), a built-in role's id included.
pub fn parse_role_definition(id: &str, body: &Body) -> Result<ParsedRoleDefinition, ApiError> {
    let id = custom_role_id(id)?;
    let role_name = body
        .str("properties.roleName")?
        .filter(|n| !n.trim().is_empty())
        .ok_or_else(|| invalid("properties.roleName", "`properties.roleName` is required"))?;
    if role_name.chars().count() > 512 {
        return Err(invalid(
            "properties.roleName",
            "`properties.roleName` is longer than 512 characters",
        ));
    }
    if leitstand_rbac::builtin_role_by_name(&role_name).is_some() {
        return Err(ApiError::new(
            ErrorCode::RoleDefinitionWithSameNameExists,
            format!("a built-in role is already named `{role_name}`"),
        )
        .at("properties.roleName"));
    }
    let description = body.str("properties.description")?.unwrap_or_default();
    if let Some(kind) = body.str("properties.type")? {
        if !kind.eq_ignore_ascii_case("CustomRole") {
            return Err(invalid(
                "properties.type",
                format!("`properties.type` must be CustomRole, not `{kind}`"),
            ));
        }
    }
    // Permission blocks.
    let blocks = match body.get("properties.permissions")? {
        Some(Value::Array(blocks)) if !blocks.is_empty() => blocks,
        _ => {
            return Err(invalid(
                "properties.permissions",
                "`properties.permissions` must be a non-empty array of permission blocks",
            ))
        }
    };
    let mut permissions = Vec::with_capacity(blocks.len());
    let mut warnings = Vec::new();
    let mut has_data_actions = false;
    let mut patterns = 0usize;
    for (i, block) in blocks.iter().enumerate() {
        let path = format!("properties.permissions[{i}]");
        let Some(object) = block.as_object() else {
            return Err(invalid(&path, format!("`{path}` must be an object")));
        };
        let mut parsed = serde_json::Map::new();
        for (name, is_data) in [
            ("actions", false),
            ("notActions", false),
            ("dataActions", true),
            ("notDataActions", true),
        ] {
            let list = strings_at(crate::body::lookup(object, name), &format!("{path}.{name}"))?;
            patterns += list.len();
            if patterns > MAX_PATTERNS {
                // Each pattern is matched against the whole operation catalogue for warnings.
                return Err(invalid(
                    &format!("{path}.{name}"),
                    format!("a custom role may list at most {MAX_PATTERNS} action patterns in all"),
                ));
            }
            if name == "dataActions" && !list.is_empty() {
                has_data_actions = true;
            }
            for unknown in leitstand_rbac::unknown_actions(&list, is_data) {
                warnings.push(format!(
                    "`{path}.{name}`: `{unknown}` matches no known {}operation",
                    if is_data { "data " } else { "" }
                ));
            }
            parsed.insert(name.to_owned(), json!(list));
        }
        permissions.push(Value::Object(parsed));
    }
    // Assignable scopes: at most one management group; no data actions at a group.
    let raw_scopes = strings_at(
        body.get("properties.assignableScopes")?,
        "properties.assignableScopes",
    )?;
    if raw_scopes.is_empty() {
        return Err(invalid(
            "properties.assignableScopes",
            "`properties.assignableScopes` must name at least one scope",
        ));
    }
    let mut assignable_scopes = Vec::with_capacity(raw_scopes.len());
    let mut n_groups = 0;
    for (i, raw) in raw_scopes.iter().enumerate() {
        let path = format!("properties.assignableScopes[{i}]");
        let parsed = Scope::parse(raw).map_err(|e| invalid(&path, e.to_string()))?;
        match &parsed {
            Scope::Root => {
                return Err(invalid(
                    &path,
                    "a custom role cannot be assignable at the root scope `/`",
                ))
            }
            Scope::ManagementGroup(_) => n_groups += 1,
            _ => {}
        }
        assignable_scopes.push(parsed);
    }
    if n_groups > 1 {
        return Err(invalid(
            "properties.assignableScopes",
            "a custom role may name at most one management group among its assignable scopes",
        ));
    }
    if n_groups == 1 && has_data_actions {
        return Err(invalid(
            "properties.assignableScopes",
            "a custom role with data actions cannot be assignable at management-group scope",
        ));
    }
    Ok(ParsedRoleDefinition {
        id,
        role_name,
        description,
        permissions,
        assignable_scopes,
        warnings,
    })
}

fn invalid(path: &str, message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::InvalidRoleDefinition, message).at(path)
}

/// Reads an array of strings at `path` (absent or null: empty).
pub(crate) fn strings_at(value: Option<&Value>, path: &str) -> Result<Vec<String>, ApiError> {
    match value {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, v)| {
                v.as_str().map(str::to_owned).ok_or_else(|| {
                    invalid(
                        &format!("{path}[{i}]"),
                        format!("`{path}[{i}]` must be a string"),
                    )
                })
            })
            .collect(),
        Some(_) => Err(invalid(
            path,
            format!("`{path}` must be an array of strings"),
        )),
    }
}
