//! Deny assignments: refusals Leitstand itself places (the API only reads them). Each names
//! the actions it refuses, the principals it refuses them to (or everyone) and those it leaves
//! alone, at a scope and, unless `do_not_apply_to_child_scopes`, below it.

use serde_json::Value;
use sqlx::any::AnyRow;

use crate::{format_time, get_i64, get_json, get_str, Store, StoreError, WriteTx};

/// A deny assignment, its lists as ARM JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct DenyAssignmentRow {
    /// The deny assignment's GUID, lowercase.
    pub id: String,
    pub name: String,
    pub description: String,
    /// The canonical scope id.
    pub scope: String,
    /// `[{actions, notActions, dataActions, notDataActions}]`.
    pub permissions: Value,
    /// `[{id, type}]`; the id `00000000-0000-0000-0000-000000000000` is everyone.
    pub principals: Value,
    /// `[{id, type}]`.
    pub exclude_principals: Value,
    pub do_not_apply_to_child_scopes: bool,
    pub created_at: String,
    pub updated_at: String,
    pub created_by: String,
    pub updated_by: String,
}

impl DenyAssignmentRow {
    /// The ids in a `[{id, type}]` list.
    pub fn ids(list: &Value) -> Vec<String> {
        list.as_array()
            .map(|items| {
                items
                    .iter()
                    .filter_map(|p| p.get("id").and_then(Value::as_str))
                    .map(str::to_lowercase)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The entry the access engine holds for this row.
    pub fn entry(&self) -> leitstand_rbac::engine::DenyEntry {
        leitstand_rbac::engine::DenyEntry::new(
            &self.id,
            &self.name,
            &self.scope,
            &crate::roles::permission_blocks(&self.permissions),
            &Self::ids(&self.principals),
            &Self::ids(&self.exclude_principals),
            self.do_not_apply_to_child_scopes,
        )
    }
}

const COLUMNS: &str = "id, name, description, scope, permissions, principals, exclude_principals, \
                       do_not_apply_to_child_scopes, created_at, updated_at, created_by, updated_by";

fn row(row: &AnyRow) -> Result<DenyAssignmentRow, StoreError> {
    Ok(DenyAssignmentRow {
        id: get_str(row, "id")?,
        name: get_str(row, "name")?,
        description: get_str(row, "description")?,
        scope: get_str(row, "scope")?,
        permissions: get_json(row, "permissions")?,
        principals: get_json(row, "principals")?,
        exclude_principals: get_json(row, "exclude_principals")?,
        do_not_apply_to_child_scopes: get_i64(row, "do_not_apply_to_child_scopes")? != 0,
        created_at: get_str(row, "created_at")?,
        updated_at: get_str(row, "updated_at")?,
        created_by: get_str(row, "created_by")?,
        updated_by: get_str(row, "updated_by")?,
    })
}

pub(crate) async fn load(
    conn: &mut sqlx::AnyConnection,
    tenant: &str,
) -> Result<Vec<DenyAssignmentRow>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM deny_assignments WHERE tenant_id = $1 ORDER BY scope_key, id"
    ))
    .bind(tenant)
    .fetch_all(conn)
    .await?;
    rows.iter().map(row).collect()
}

impl Store {
    /// Lists every deny assignment of a tenant.
    pub async fn list_deny_assignments(
        &self,
        tenant: &str,
    ) -> Result<Vec<DenyAssignmentRow>, StoreError> {
        let mut conn = self.pool().acquire().await?;
        load(&mut conn, tenant).await
    }
}

impl WriteTx<'_> {
    /// Creates or replaces a deny assignment (the caller checked it), and puts it in force.
    pub async fn upsert_deny_assignment(
        &mut self,
        deny: &DenyAssignmentRow,
        caller: &str,
    ) -> Result<(), StoreError> {
        let tenant = self.tenant().to_owned();
        let at = format_time(self.now());
        sqlx::query("DELETE FROM deny_assignments WHERE tenant_id = $1 AND id = $2")
            .bind(&tenant)
            .bind(deny.id.to_lowercase())
            .execute(self.conn())
            .await?;
        sqlx::query(
            "INSERT INTO deny_assignments (tenant_id, id, name, description, scope, scope_key, permissions, principals, \
             exclude_principals, do_not_apply_to_child_scopes, created_at, updated_at, created_by, updated_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $12, $12)",
        )
        .bind(&tenant)
        .bind(deny.id.to_lowercase())
        .bind(&deny.name)
        .bind(&deny.description)
        .bind(&deny.scope)
        .bind(deny.scope.to_lowercase())
        .bind(deny.permissions.to_string())
        .bind(deny.principals.to_string())
        .bind(deny.exclude_principals.to_string())
        .bind(i64::from(deny.do_not_apply_to_child_scopes))
        .bind(&at)
        .bind(caller)
        .execute(self.conn())
        .await?;
        self.snapshot_mut().access.insert_deny(deny.entry());
        Ok(())
    }

    /// Deletes a deny assignment; returns whether it existed.
    pub async fn delete_deny_assignment(&mut self, id: &str) -> Result<bool, StoreError> {
        let tenant = self.tenant().to_owned();
        let gone = sqlx::query("DELETE FROM deny_assignments WHERE tenant_id = $1 AND id = $2")
            .bind(&tenant)
            .bind(id.to_lowercase())
            .execute(self.conn())
            .await?
            .rows_affected()
            > 0;
        self.snapshot_mut().access.remove_deny(&id.to_lowercase());
        Ok(gone)
    }
}
