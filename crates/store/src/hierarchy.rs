//! Tenants, management groups, subscriptions and hierarchy settings: the cached hierarchy
//! snapshot readers use, and the writes that keep rows and snapshot in step.

use leitstand_rbac::engine::{AccessIndex, AccessIndexBuilder};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use leitstand_audit::Frontier;
use leitstand_core::ids::{GroupId, SubscriptionId};
use leitstand_core::tree::{GroupRow, SubscriptionKind, SubscriptionRow, TenantTree};
use sqlx::any::AnyRow;
use sqlx::AnyConnection;

use crate::{format_time, get_i64, get_opt_str, get_str, Store, StoreError, WriteTx};

/// A tenant (a customer's directory).
#[derive(Debug, Clone)]
pub struct TenantRow {
    pub id: String,
    pub display_name: String,
    pub created_at: String,
}

/// The tenant's hierarchy settings (`…/managementGroups/{root}/settings/default`).
#[derive(Debug, Clone)]
pub struct HierarchySettings {
    /// Key of the group where new subscriptions and parentless groups land.
    pub default_group_key: String,
    pub require_authorization_for_group_creation: bool,
    pub updated_at: Option<String>,
    pub updated_by: Option<String>,
}

/// One tenant's hierarchy at one `version` of the tenant.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub version: i64,
    pub tenant: TenantRow,
    pub settings: HierarchySettings,
    pub tree: TenantTree,
    /// Role assignments, custom roles, memberships and deny assignments, indexed for checks.
    pub access: AccessIndex,
}

fn tenant_row(row: &AnyRow) -> Result<TenantRow, StoreError> {
    Ok(TenantRow {
        id: get_str(row, "id")?,
        display_name: get_str(row, "display_name")?,
        created_at: get_str(row, "created_at")?,
    })
}

fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(what.to_string())
}

/// Loads a tenant's whole hierarchy on `conn` (inside the caller's transaction).
pub(crate) async fn load_snapshot(
    conn: &mut AnyConnection,
    tenant: &str,
) -> Result<Snapshot, StoreError> {
    let row = sqlx::query(
        "SELECT id, display_name, created_at, version, default_group_key, \
         require_authorization_for_group_creation, settings_updated_at, settings_updated_by \
         FROM tenants WHERE id = $1",
    )
    .bind(tenant)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| StoreError::TenantNotFound(tenant.to_owned()))?;
    let tenant_row = tenant_row(&row)?;
    let settings = HierarchySettings {
        default_group_key: get_str(&row, "default_group_key")?,
        require_authorization_for_group_creation: get_i64(
            &row,
            "require_authorization_for_group_creation",
        )? != 0,
        updated_at: get_opt_str(&row, "settings_updated_at")?,
        updated_by: get_opt_str(&row, "settings_updated_by")?,
    };
    let version = get_i64(&row, "version")?;
    let groups = sqlx::query(
        "SELECT id, display_name, parent_key, updated_at, updated_by FROM management_groups WHERE tenant_id = $1",
    )
    .bind(tenant)
    .fetch_all(&mut *conn)
    .await?;
    let mut group_rows = Vec::with_capacity(groups.len());
    for g in &groups {
        group_rows.push(GroupRow {
            id: GroupId::parse(&get_str(g, "id")?).map_err(corrupt)?,
            display_name: get_str(g, "display_name")?,
            parent: get_opt_str(g, "parent_key")?,
            updated_at: get_str(g, "updated_at")?,
            updated_by: get_str(g, "updated_by")?,
        });
    }
    let subs = sqlx::query(
        "SELECT id, display_name, kind, parent_key FROM subscriptions WHERE tenant_id = $1",
    )
    .bind(tenant)
    .fetch_all(&mut *conn)
    .await?;
    let mut sub_rows = Vec::with_capacity(subs.len());
    for s in &subs {
        sub_rows.push(SubscriptionRow {
            id: SubscriptionId::parse(&get_str(s, "id")?).map_err(corrupt)?,
            display_name: get_str(s, "display_name")?,
            kind: SubscriptionKind::parse(&get_str(s, "kind")?).unwrap_or(SubscriptionKind::Azure),
            parent: get_str(s, "parent_key")?,
        });
    }
    let root = GroupId::parse(tenant).map_err(corrupt)?;
    let (tree, diagnostics) = TenantTree::from_rows(root, group_rows, sub_rows);
    for d in diagnostics {
        tracing::warn!(tenant, diagnostic = %d, "hierarchy repaired on load");
    }
    let access = load_access(conn, tenant).await?;
    Ok(Snapshot {
        version,
        tenant: tenant_row,
        settings,
        tree,
        access,
    })
}

/// Loads everything the access engine needs for one tenant.
async fn load_access(conn: &mut AnyConnection, tenant: &str) -> Result<AccessIndex, StoreError> {
    let mut access = AccessIndexBuilder::default();
    for role in crate::roles::load(conn, tenant).await? {
        access.upsert_role(&role.definition());
    }
    for assignment in crate::assignments::load(conn, tenant).await? {
        access.insert_assignment(assignment.entry());
    }
    for deny in crate::denies::load(conn, tenant).await? {
        access.insert_deny(deny.entry());
    }
    let members = sqlx::query("SELECT group_id, member_id FROM group_members WHERE tenant_id = $1")
        .bind(tenant)
        .fetch_all(&mut *conn)
        .await?;
    for m in &members {
        access.add_membership(&get_str(m, "group_id")?, &get_str(m, "member_id")?);
    }
    Ok(access.build())
}

impl Store {
    pub(crate) fn cached_snapshot(&self, tenant: &str) -> Option<Arc<Snapshot>> {
        self.trees.read().ok().and_then(|t| t.get(tenant).cloned())
    }

    pub(crate) fn publish_snapshot(&self, tenant: &str, snapshot: Arc<Snapshot>) {
        if let Ok(mut trees) = self.trees.write() {
            let newer = trees
                .get(tenant)
                .is_none_or(|old| old.version < snapshot.version);
            if newer {
                trees.insert(tenant.to_owned(), snapshot);
            }
        }
    }

    /// Returns the tenant's current hierarchy: the cached one when the tenant's `version` in
    /// the database still matches it, else a fresh load.
    pub async fn snapshot(&self, tenant: &str) -> Result<Arc<Snapshot>, StoreError> {
        let version = self.current_version(tenant).await?;
        // A cached hierarchy at least as new as the database at the start of this call is
        // current for this call.
        if let Some(cached) = self
            .cached_snapshot(tenant)
            .filter(|c| c.version >= version)
        {
            return Ok(cached);
        }
        // Stale: a writer of this process may be publishing right now, or another process
        // wrote. Take the writers' turn (so one reload runs, not one per request), look again,
        // and reload only if still stale.
        let _turn = self.writer_turn(tenant).await;
        let version = self.current_version(tenant).await?;
        if let Some(cached) = self
            .cached_snapshot(tenant)
            .filter(|c| c.version >= version)
        {
            return Ok(cached);
        }
        let mut tx = self.pool.begin().await?;
        if self.backend == crate::Backend::Postgres {
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                .execute(&mut *tx)
                .await?;
        }
        let snapshot = Arc::new(load_snapshot(&mut tx, tenant).await?);
        tx.commit().await?;
        self.publish_snapshot(tenant, snapshot.clone());
        Ok(snapshot)
    }

    /// Reads the tenant's version: the per-request freshness check.
    async fn current_version(&self, tenant: &str) -> Result<i64, StoreError> {
        let version: Option<i64> = match &self.probe {
            Some(probe) => probe.version(tenant)?,
            None => {
                sqlx::query_scalar("SELECT version FROM tenants WHERE id = $1")
                    .bind(tenant)
                    .fetch_optional(&self.pool)
                    .await?
            }
        };
        version.ok_or_else(|| StoreError::TenantNotFound(tenant.to_owned()))
    }

    /// Creates a tenant with its root management group ("Tenant Root Group", same id).
    pub async fn create_tenant(
        &self,
        id: &str,
        display_name: &str,
        now: DateTime<Utc>,
        event: crate::EventDraft,
    ) -> Result<TenantRow, StoreError> {
        let at = format_time(now);
        {
            let _turn = self.writer_turn(id).await;
            let mut tx = self.pool.begin().await?;
            let exists: Option<String> = sqlx::query_scalar("SELECT id FROM tenants WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
            if exists.is_some() {
                return Err(StoreError::Conflict(format!(
                    "tenant `{id}` already exists"
                )));
            }
            sqlx::query(
                "INSERT INTO tenants (id, display_name, created_at, version, default_group_key, audit_frontier) \
                 VALUES ($1, $2, $3, 0, $1, $4)",
            )
            .bind(id)
            .bind(display_name)
            .bind(&at)
            .bind(Frontier::new().to_bytes())
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO management_groups (tenant_id, id_key, id, display_name, parent_key, created_at, updated_at, updated_by) \
                 VALUES ($1, $1, $1, 'Tenant Root Group', NULL, $2, $2, $3)",
            )
            .bind(id)
            .bind(&at)
            .bind(&event.caller)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        }
        let mut write = self.begin_write(id, now).await?;
        write.append_event(event).await?;
        write.commit().await?;
        Ok(TenantRow {
            id: id.to_owned(),
            display_name: display_name.to_owned(),
            created_at: at,
        })
    }

    /// Lists every tenant.
    pub async fn list_tenants(&self) -> Result<Vec<TenantRow>, StoreError> {
        let rows =
            sqlx::query("SELECT id, display_name, created_at FROM tenants ORDER BY created_at, id")
                .fetch_all(&self.pool)
                .await?;
        rows.iter().map(tenant_row).collect()
    }

    /// Returns the tenant a subscription belongs to, if the subscription exists.
    pub async fn subscription_tenant(
        &self,
        subscription: &str,
    ) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT tenant_id FROM subscriptions WHERE id = $1")
                .bind(subscription.to_lowercase())
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// Returns a subscription's stored details: state, tags, created time.
    pub async fn subscription_details(
        &self,
        subscription: &str,
    ) -> Result<Option<(String, serde_json::Value)>, StoreError> {
        let row = sqlx::query("SELECT state, tags FROM subscriptions WHERE id = $1")
            .bind(subscription.to_lowercase())
            .fetch_optional(&self.pool)
            .await?;
        match row {
            Some(row) => Ok(Some((
                get_str(&row, "state")?,
                crate::get_json(&row, "tags")?,
            ))),
            None => Ok(None),
        }
    }

    /// Looks up a subscription alias.
    pub async fn get_alias(
        &self,
        tenant: &str,
        name: &str,
    ) -> Result<Option<(String, String, String)>, StoreError> {
        let row = sqlx::query(
            "SELECT name, subscription_id, workload FROM subscription_aliases WHERE tenant_id = $1 AND name_key = $2",
        )
        .bind(tenant)
        .bind(name.to_lowercase())
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some(row) => Ok(Some((
                get_str(&row, "name")?,
                get_str(&row, "subscription_id")?,
                get_str(&row, "workload")?,
            ))),
            None => Ok(None),
        }
    }
}

impl WriteTx<'_> {
    /// Creates a management group under `parent` (a group key); the caller checked the rules.
    pub async fn insert_group(
        &mut self,
        id: &GroupId,
        display_name: &str,
        parent: &str,
        caller: &str,
    ) -> Result<(), StoreError> {
        let at = format_time(self.now());
        let tenant = self.tenant().to_owned();
        sqlx::query(
            "INSERT INTO management_groups (tenant_id, id_key, id, display_name, parent_key, created_at, updated_at, updated_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $6, $7)",
        )
        .bind(&tenant)
        .bind(id.key())
        .bind(id.as_str())
        .bind(display_name)
        .bind(parent)
        .bind(&at)
        .bind(caller)
        .execute(self.conn())
        .await?;
        self.snapshot_mut().tree.insert_group(GroupRow {
            id: id.clone(),
            display_name: display_name.to_owned(),
            parent: Some(parent.to_owned()),
            updated_at: at,
            updated_by: caller.to_owned(),
        });
        Ok(())
    }

    /// Renames and/or moves a group; the caller checked the rules.
    pub async fn update_group(
        &mut self,
        key: &str,
        display_name: &str,
        parent: Option<&str>,
        caller: &str,
    ) -> Result<(), StoreError> {
        let at = format_time(self.now());
        let tenant = self.tenant().to_owned();
        let current_parent = self
            .snapshot()
            .tree
            .group(key)
            .and_then(|g| g.parent.clone());
        let new_parent = parent.map(str::to_owned).or(current_parent);
        sqlx::query(
            "UPDATE management_groups SET display_name = $3, parent_key = $4, updated_at = $5, updated_by = $6 \
             WHERE tenant_id = $1 AND id_key = $2",
        )
        .bind(&tenant)
        .bind(key)
        .bind(display_name)
        .bind(new_parent.as_deref())
        .bind(&at)
        .bind(caller)
        .execute(self.conn())
        .await?;
        let tree = &mut self.snapshot_mut().tree;
        tree.touch_group(key, display_name.to_owned(), at, caller.to_owned());
        if let Some(parent) = parent {
            tree.move_group(key, parent);
        }
        Ok(())
    }

    /// Deletes a group; the caller checked it has no children.
    pub async fn delete_group(&mut self, key: &str) -> Result<(), StoreError> {
        let tenant = self.tenant().to_owned();
        sqlx::query("DELETE FROM management_groups WHERE tenant_id = $1 AND id_key = $2")
            .bind(&tenant)
            .bind(key)
            .execute(self.conn())
            .await?;
        let snapshot = self.snapshot_mut();
        snapshot.tree.remove_group(key);
        if snapshot.settings.default_group_key == key {
            snapshot.settings.default_group_key = snapshot.tree.root_key().to_owned();
        }
        let root = snapshot.tree.root_key().to_owned();
        sqlx::query(
            "UPDATE tenants SET default_group_key = $2 WHERE id = $1 AND default_group_key = $3",
        )
        .bind(&tenant)
        .bind(root)
        .bind(key)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// Registers a subscription (or AWS account) in this tenant under `parent`.
    pub async fn insert_subscription(
        &mut self,
        id: &SubscriptionId,
        display_name: &str,
        kind: SubscriptionKind,
        parent: &str,
    ) -> Result<(), StoreError> {
        let at = format_time(self.now());
        let tenant = self.tenant().to_owned();
        let existing: Option<String> =
            sqlx::query_scalar("SELECT tenant_id FROM subscriptions WHERE id = $1")
                .bind(id.as_str())
                .fetch_optional(self.conn())
                .await?;
        if existing.is_some() {
            return Err(StoreError::Conflict(format!(
                "subscription `{id}` is already registered"
            )));
        }
        sqlx::query(
            "INSERT INTO subscriptions (id, tenant_id, display_name, kind, state, parent_key, tags, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, 'Enabled', $5, '{}', $6, $6)",
        )
        .bind(id.as_str())
        .bind(&tenant)
        .bind(display_name)
        .bind(kind.as_str())
        .bind(parent)
        .bind(&at)
        .execute(self.conn())
        .await?;
        self.snapshot_mut()
            .tree
            .place_subscription(SubscriptionRow {
                id: id.clone(),
                display_name: display_name.to_owned(),
                kind,
                parent: parent.to_owned(),
            });
        Ok(())
    }

    /// Moves a subscription under another group of the same tenant.
    pub async fn move_subscription(&mut self, id: &str, parent: &str) -> Result<(), StoreError> {
        let at = format_time(self.now());
        let tenant = self.tenant().to_owned();
        sqlx::query("UPDATE subscriptions SET parent_key = $3, updated_at = $4 WHERE id = $1 AND tenant_id = $2")
            .bind(id)
            .bind(&tenant)
            .bind(parent)
            .bind(&at)
            .execute(self.conn())
            .await?;
        let tree = &mut self.snapshot_mut().tree;
        if let Some(node) = tree.subscription(id).cloned() {
            tree.place_subscription(SubscriptionRow {
                id: node.id,
                display_name: node.display_name,
                kind: node.kind,
                parent: parent.to_owned(),
            });
        }
        Ok(())
    }

    /// Records a subscription alias.
    pub async fn insert_alias(
        &mut self,
        name: &str,
        subscription: &str,
        workload: &str,
    ) -> Result<(), StoreError> {
        let at = format_time(self.now());
        let tenant = self.tenant().to_owned();
        sqlx::query(
            "INSERT INTO subscription_aliases (tenant_id, name_key, name, subscription_id, workload, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&tenant)
        .bind(name.to_lowercase())
        .bind(name)
        .bind(subscription)
        .bind(workload)
        .bind(&at)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// Replaces the hierarchy settings.
    pub async fn update_settings(&mut self, settings: HierarchySettings) -> Result<(), StoreError> {
        let tenant = self.tenant().to_owned();
        sqlx::query(
            "UPDATE tenants SET default_group_key = $2, require_authorization_for_group_creation = $3, \
             settings_updated_at = $4, settings_updated_by = $5 WHERE id = $1",
        )
        .bind(&tenant)
        .bind(&settings.default_group_key)
        .bind(i64::from(settings.require_authorization_for_group_creation))
        .bind(settings.updated_at.as_deref())
        .bind(settings.updated_by.as_deref())
        .execute(self.conn())
        .await?;
        self.snapshot_mut().settings = settings;
        Ok(())
    }
}
