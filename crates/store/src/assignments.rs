//! Role assignments: who has which role at which scope (with an optional condition).
//! Whether an assignment is allowed is the API's business; this stores and lists them.

use sqlx::any::AnyRow;

use crate::{format_time, get_opt_str, get_str, Store, StoreError, WriteTx};

/// A role assignment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleAssignmentRow {
    /// The assignment's name, a lowercase GUID.
    pub id: String,
    /// The canonical scope id.
    pub scope: String,
    /// The role definition's GUID.
    pub role_definition_id: String,
    pub principal_id: String,
    pub principal_type: String,
    pub description: String,
    pub condition: Option<String>,
    pub condition_version: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub created_by: String,
    pub updated_by: String,
}

const COLUMNS: &str = "id, scope, role_definition_id, principal_id, principal_type, description, condition, condition_version, \
                       created_at, updated_at, created_by, updated_by";

fn row(row: &AnyRow) -> Result<RoleAssignmentRow, StoreError> {
    Ok(RoleAssignmentRow {
        id: get_str(row, "id")?,
        scope: get_str(row, "scope")?,
        role_definition_id: get_str(row, "role_definition_id")?,
        principal_id: get_str(row, "principal_id")?,
        principal_type: get_str(row, "principal_type")?,
        description: get_str(row, "description")?,
        condition: get_opt_str(row, "condition")?,
        condition_version: get_opt_str(row, "condition_version")?,
        created_at: get_str(row, "created_at")?,
        updated_at: get_str(row, "updated_at")?,
        created_by: get_str(row, "created_by")?,
        updated_by: get_str(row, "updated_by")?,
    })
}

impl RoleAssignmentRow {
    /// The entry the access engine holds for this row.
    pub fn entry(&self) -> leitstand_rbac::engine::AssignmentEntry {
        leitstand_rbac::engine::AssignmentEntry::new(
            &self.id,
            &self.scope,
            &self.principal_id,
            &self.role_definition_id,
            self.condition.as_deref(),
        )
    }
}

pub(crate) async fn load(
    conn: &mut sqlx::AnyConnection,
    tenant: &str,
) -> Result<Vec<RoleAssignmentRow>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM role_assignments WHERE tenant_id = $1"
    ))
    .bind(tenant)
    .fetch_all(conn)
    .await?;
    rows.iter().map(row).collect()
}

impl Store {
    /// Lists every role assignment of a tenant.
    pub async fn list_role_assignments(
        &self,
        tenant: &str,
    ) -> Result<Vec<RoleAssignmentRow>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM role_assignments WHERE tenant_id = $1 ORDER BY scope_key, id"
        ))
        .bind(tenant)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(row).collect()
    }

    /// Returns one role assignment by name.
    pub async fn get_role_assignment(
        &self,
        tenant: &str,
        id: &str,
    ) -> Result<Option<RoleAssignmentRow>, StoreError> {
        let found = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM role_assignments WHERE tenant_id = $1 AND id = $2"
        ))
        .bind(tenant)
        .bind(id.to_lowercase())
        .fetch_optional(&self.pool)
        .await?;
        found.as_ref().map(row).transpose()
    }
}

impl WriteTx<'_> {
    /// Creates a role assignment; the caller checked it.
    pub async fn insert_role_assignment(
        &mut self,
        assignment: &RoleAssignmentRow,
        caller: &str,
    ) -> Result<(), StoreError> {
        let tenant = self.tenant().to_owned();
        let at = format_time(self.now());
        sqlx::query(
            "INSERT INTO role_assignments (tenant_id, id, scope, scope_key, role_definition_id, principal_id, principal_type, \
             description, condition, condition_version, created_at, updated_at, created_by, updated_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $12, $12)",
        )
        .bind(&tenant)
        .bind(assignment.id.to_lowercase())
        .bind(&assignment.scope)
        .bind(assignment.scope.to_lowercase())
        .bind(assignment.role_definition_id.to_lowercase())
        .bind(assignment.principal_id.to_lowercase())
        .bind(&assignment.principal_type)
        .bind(&assignment.description)
        .bind(assignment.condition.as_deref())
        .bind(assignment.condition_version.as_deref())
        .bind(&at)
        .bind(caller)
        .execute(self.conn())
        .await?;
        self.snapshot_mut()
            .access
            .insert_assignment(assignment.entry());
        Ok(())
    }

    /// Deletes a role assignment; returns whether it existed.
    pub async fn delete_role_assignment(&mut self, id: &str) -> Result<bool, StoreError> {
        let tenant = self.tenant().to_owned();
        self.snapshot_mut()
            .access
            .remove_assignment(&id.to_lowercase());
        Ok(
            sqlx::query("DELETE FROM role_assignments WHERE tenant_id = $1 AND id = $2")
                .bind(&tenant)
                .bind(id.to_lowercase())
                .execute(self.conn())
                .await?
                .rows_affected()
                > 0,
        )
    }

    /// Counts the assignments that use a role definition.
    pub async fn count_assignments_of_role(
        &mut self,
        role_definition_id: &str,
    ) -> Result<i64, StoreError> {
        let tenant = self.tenant().to_owned();
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM role_assignments WHERE tenant_id = $1 AND role_definition_id = $2")
            .bind(&tenant)
            .bind(role_definition_id.to_lowercase())
            .fetch_one(self.conn())
            .await?)
    }

    /// Lists the tenant's assignments inside this transaction (for duplicate and limit checks).
    pub async fn role_assignments(&mut self) -> Result<Vec<RoleAssignmentRow>, StoreError> {
        let tenant = self.tenant().to_owned();
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM role_assignments WHERE tenant_id = $1"
        ))
        .bind(&tenant)
        .fetch_all(self.conn())
        .await?;
        rows.iter().map(row).collect()
    }
}
