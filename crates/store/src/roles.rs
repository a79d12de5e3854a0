//! Custom role definitions: a tenant's own roles, stored with their permission blocks as the
//! ARM JSON and their assignable scopes. Built-in roles are not stored; they are embedded.

use serde_json::Value;
use sqlx::any::AnyRow;

use crate::{format_time, get_json, get_str, Store, StoreError, WriteTx};

/// A custom role definition.
#[derive(Debug, Clone)]
pub struct CustomRoleRow {
    /// The definition's GUID, lowercase.
    pub id: String,
    pub role_name: String,
    pub description: String,
    /// The permission blocks as ARM JSON (`[{actions, notActions, dataActions, notDataActions}]`).
    pub permissions: Value,
    /// Canonical scope ids.
    pub assignable_scopes: Vec<String>,
    pub created_at: String,
    pub updated_at: String,
    pub created_by: String,
    pub updated_by: String,
}

const COLUMNS: &str = "id, role_name, description, permissions, assignable_scopes, created_at, updated_at, created_by, updated_by";

fn row(row: &AnyRow) -> Result<CustomRoleRow, StoreError> {
    let scopes = get_json(row, "assignable_scopes")?;
    Ok(CustomRoleRow {
        id: get_str(row, "id")?,
        role_name: get_str(row, "role_name")?,
        description: get_str(row, "description")?,
        permissions: get_json(row, "permissions")?,
        assignable_scopes: scopes
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default(),
        created_at: get_str(row, "created_at")?,
        updated_at: get_str(row, "updated_at")?,
        created_by: get_str(row, "created_by")?,
        updated_by: get_str(row, "updated_by")?,
    })
}

/// Reads ARM permission blocks (`[{actions, notActions, dataActions, notDataActions}]`);
/// anything that is not a list of strings reads as empty.
pub fn permission_blocks(permissions: &Value) -> Vec<leitstand_rbac::Permission> {
    let strings = |block: &serde_json::Map<String, Value>, key: &str| -> Vec<String> {
        block
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .and_then(|(_, v)| v.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    permissions
        .as_array()
        .map(|blocks| {
            blocks
                .iter()
                .filter_map(Value::as_object)
                .map(|b| leitstand_rbac::Permission {
                    actions: strings(b, "actions"),
                    not_actions: strings(b, "notActions"),
                    data_actions: strings(b, "dataActions"),
                    not_data_actions: strings(b, "notDataActions"),
                    condition: None,
                })
                .collect()
        })
        .unwrap_or_default()
}

impl CustomRoleRow {
    /// The role as the engine and the renderers use it.
    pub fn definition(&self) -> leitstand_rbac::RoleDefinition {
        leitstand_rbac::RoleDefinition {
            id: self.id.clone(),
            role_name: self.role_name.clone(),
            description: self.description.clone(),
            role_type: leitstand_rbac::RoleType::Custom,
            permissions: permission_blocks(&self.permissions),
            assignable_scopes: self.assignable_scopes.clone(),
        }
    }
}

pub(crate) async fn load(
    conn: &mut sqlx::AnyConnection,
    tenant: &str,
) -> Result<Vec<CustomRoleRow>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM role_definitions WHERE tenant_id = $1"
    ))
    .bind(tenant)
    .fetch_all(conn)
    .await?;
    rows.iter().map(row).collect()
}

impl Store {
    /// Lists a tenant's custom roles, by name.
    pub async fn list_custom_roles(&self, tenant: &str) -> Result<Vec<CustomRoleRow>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM role_definitions WHERE tenant_id = $1 ORDER BY role_name_key"
        ))
        .bind(tenant)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(row).collect()
    }

    /// Returns one custom role.
    pub async fn get_custom_role(
        &self,
        tenant: &str,
        id: &str,
    ) -> Result<Option<CustomRoleRow>, StoreError> {
        let found = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM role_definitions WHERE tenant_id = $1 AND id = $2"
        ))
        .bind(tenant)
        .bind(id.to_lowercase())
        .fetch_optional(&self.pool)
        .await?;
        found.as_ref().map(row).transpose()
    }
}

impl WriteTx<'_> {
    /// Counts the tenant's custom roles.
    pub async fn count_custom_roles(&mut self) -> Result<i64, StoreError> {
        let tenant = self.tenant().to_owned();
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM role_definitions WHERE tenant_id = $1")
                .bind(&tenant)
                .fetch_one(self.conn())
                .await?,
        )
    }

    /// Returns the custom role with this name (case-insensitive), if any.
    pub async fn custom_role_named(
        &mut self,
        name: &str,
    ) -> Result<Option<CustomRoleRow>, StoreError> {
        let tenant = self.tenant().to_owned();
        let found = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM role_definitions WHERE tenant_id = $1 AND role_name_key = $2"
        ))
        .bind(&tenant)
        .bind(name.to_lowercase())
        .fetch_optional(self.conn())
        .await?;
        found.as_ref().map(row).transpose()
    }

    /// Creates or replaces a custom role; returns whether it was created.
    pub async fn upsert_custom_role(
        &mut self,
        role: &CustomRoleRow,
        caller: &str,
    ) -> Result<bool, StoreError> {
        let tenant = self.tenant().to_owned();
        let at = format_time(self.now());
        let scopes = Value::from(role.assignable_scopes.clone()).to_string();
        let updated = sqlx::query(
            "UPDATE role_definitions SET role_name = $3, role_name_key = $4, description = $5, permissions = $6, \
             assignable_scopes = $7, updated_at = $8, updated_by = $9 WHERE tenant_id = $1 AND id = $2",
        )
        .bind(&tenant)
        .bind(role.id.to_lowercase())
        .bind(&role.role_name)
        .bind(role.role_name.to_lowercase())
        .bind(&role.description)
        .bind(role.permissions.to_string())
        .bind(&scopes)
        .bind(&at)
        .bind(caller)
        .execute(self.conn())
        .await?
        .rows_affected();
        self.snapshot_mut().access.upsert_role(&role.definition());
        if updated > 0 {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO role_definitions (tenant_id, id, role_name, role_name_key, description, permissions, assignable_scopes, \
             created_at, updated_at, created_by, updated_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9, $9)",
        )
        .bind(&tenant)
        .bind(role.id.to_lowercase())
        .bind(&role.role_name)
        .bind(role.role_name.to_lowercase())
        .bind(&role.description)
        .bind(role.permissions.to_string())
        .bind(&scopes)
        .bind(&at)
        .bind(caller)
        .execute(self.conn())
        .await?;
        Ok(true)
    }

    /// Deletes a custom role; returns whether it existed.
    pub async fn delete_custom_role(&mut self, id: &str) -> Result<bool, StoreError> {
        let tenant = self.tenant().to_owned();
        self.snapshot_mut().access.remove_role(&id.to_lowercase());
        Ok(
            sqlx::query("DELETE FROM role_definitions WHERE tenant_id = $1 AND id = $2")
                .bind(&tenant)
                .bind(id.to_lowercase())
                .execute(self.conn())
                .await?
                .rows_affected()
                > 0,
        )
    }
}
