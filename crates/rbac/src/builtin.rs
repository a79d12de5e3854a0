//! The 928 Azure built-in role definitions, compiled in from `data/builtin-roles.json`.
//!
//! The data comes from the MIT-licensed archive named in `data/README.md`, reduced by `data/generate.py`; it is parsed once, on first use, and checked for lowercase GUID ids that are unique and for names that are unique case-insensitively.
//! Lookups by name and by id are case-insensitive (ASCII, which every built-in name is).
//!
//! This module does not read files at run time and does not hold custom roles; a tenant's custom roles belong to the store.
//! It does not validate the definitions' action patterns: some built-in patterns match no catalogued operation (see [`crate::unknown_actions`]).

use std::collections::HashMap;
use std::sync::LazyLock;

use serde::Deserialize;

use crate::definition::{Condition, Permission, RoleDefinition, RoleType};
use crate::error::EmbeddedDataError;

/// The generated, minified built-in role definitions.
const BUILTIN_ROLES_JSON: &str = include_str!("../data/builtin-roles.json");

/// The built-in roles, parsed on first use.
static BUILTIN_ROLES: LazyLock<Result<BuiltinRoles, EmbeddedDataError>> =
    LazyLock::new(|| BuiltinRoles::parse(BUILTIN_ROLES_JSON));

/// Parsed role definitions with their lookup indices.
#[derive(Debug)]
pub(crate) struct BuiltinRoles {
    pub(crate) roles: Vec<RoleDefinition>,
    /// Index into `roles` by ASCII-lowercased role name.
    by_name: HashMap<String, usize>,
    /// Index into `roles` by id (already lowercase).
    by_id: HashMap<String, usize>,
}

/// One role as `data/builtin-roles.json` stores it.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RoleRecord {
    id: String,
    role_name: String,
    description: String,
    assignable_scopes: Vec<String>,
    permissions: Vec<PermissionRecord>,
}

/// One permission block as `data/builtin-roles.json` stores it.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PermissionRecord {
    actions: Vec<String>,
    not_actions: Vec<String>,
    data_actions: Vec<String>,
    not_data_actions: Vec<String>,
    #[serde(default)]
    condition: Option<String>,
    #[serde(default)]
    condition_version: Option<String>,
}

impl From<PermissionRecord> for Permission {
    fn from(record: PermissionRecord) -> Self {
        Permission {
            actions: record.actions,
            not_actions: record.not_actions,
            data_actions: record.data_actions,
            not_data_actions: record.not_data_actions,
            condition: record.condition.map(|expression| Condition {
                expression,
                // Every built-in condition names its version; ARM's default for a missing one is 2.0.
                version: record.condition_version.unwrap_or_else(|| "2.0".to_owned()),
            }),
        }
    }
}

impl BuiltinRoles {
    /// Parses and checks role definitions in the format of `data/builtin-roles.json`.
    pub(crate) fn parse(json: &str) -> Result<Self, EmbeddedDataError> {
        let records: Vec<RoleRecord> = serde_json::from_str(json)
            .map_err(|source| EmbeddedDataError::BuiltinRolesJson { source })?;
        let mut roles = Vec::with_capacity(records.len());
        let mut by_name = HashMap::with_capacity(records.len());
        let mut by_id = HashMap::with_capacity(records.len());
        for (idx, record) in records.into_iter().enumerate() {
            if !is_lowercase_guid(&record.id) {
                return Err(EmbeddedDataError::InvalidRoleId { id: record.id });
            }
            if by_id.insert(record.id.clone(), idx).is_some() {
                return Err(EmbeddedDataError::DuplicateRoleId { id: record.id });
            }
            if by_name
                .insert(record.role_name.to_ascii_lowercase(), idx)
                .is_some()
            {
                return Err(EmbeddedDataError::DuplicateRoleName {
                    role_name: record.role_name,
                });
            }
            roles.push(RoleDefinition {
                id: record.id,
                role_name: record.role_name,
                description: record.description,
                role_type: RoleType::BuiltIn,
                permissions: record
                    .permissions
                    .into_iter()
                    .map(Permission::from)
                    .collect(),
                assignable_scopes: record.assignable_scopes,
            });
        }
        // INVARIANT (indices): every value in `by_name` and `by_id` is an index into `roles`.
        debug_assert!(by_name
            .values()
            .chain(by_id.values())
            .all(|&idx| idx < roles.len()));
        Ok(BuiltinRoles {
            roles,
            by_name,
            by_id,
        })
    }

    pub(crate) fn by_name(&self, name: &str) -> Option<&RoleDefinition> {
        let idx = self.by_name.get(&name.to_ascii_lowercase())?;
        self.roles.get(*idx)
    }

    pub(crate) fn by_id(&self, id: &str) -> Option<&RoleDefinition> {
        let idx = self.by_id.get(&id.to_ascii_lowercase())?;
        self.roles.get(*idx)
    }
}

/// Returns whether `id` is a GUID in the 8-4-4-4-12 form with lowercase hex digits.
fn is_lowercase_guid(id: &str) -> bool {
    id.len() == 36
        && id.bytes().enumerate().all(|(idx, byte)| match idx {
            8 | 13 | 18 | 23 => byte == b'-',
            _ => byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte),
        })
}

/// Returns the built-in role definitions, or why the embedded data could not be loaded.
///
/// The server calls this at startup to fail fast; the crate's tests guarantee it is `Ok`.
pub fn try_builtin_roles() -> Result<&'static [RoleDefinition], &'static EmbeddedDataError> {
    match &*BUILTIN_ROLES {
        Ok(builtin) => Ok(&builtin.roles),
        Err(error) => Err(error),
    }
}

/// Returns the 928 Azure built-in role definitions, sorted by lowercased role name.
///
/// Returns an empty slice if the embedded data could not be loaded, which [`try_builtin_roles`] reports and the tests rule out.
pub fn builtin_roles() -> &'static [RoleDefinition] {
    try_builtin_roles().unwrap_or(&[])
}

/// Returns the built-in role named `name`, compared case-insensitively (`reader` finds `Reader`).
pub fn builtin_role_by_name(name: &str) -> Option<&'static RoleDefinition> {
    BUILTIN_ROLES.as_ref().ok()?.by_name(name)
}

/// Returns the built-in role whose id is the GUID `id`, in any letter case.
///
/// `id` is the bare GUID, not the `/providers/Microsoft.Authorization/roleDefinitions/{id}` resource id.
pub fn builtin_role_by_id(id: &str) -> Option<&'static RoleDefinition> {
    BUILTIN_ROLES.as_ref().ok()?.by_id(id)
}
