//! Resource groups, resources (their ARM body kept as JSON) and provider registrations.

use serde_json::Value;
use sqlx::any::AnyRow;

use crate::{format_time, get_json, get_opt_str, get_str, Store, StoreError, WriteTx};

/// A resource group.
#[derive(Debug, Clone)]
pub struct ResourceGroupRow {
    pub subscription_id: String,
    pub name: String,
    pub location: String,
    pub tags: Value,
    pub managed_by: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// A resource: its canonical id, type and the ARM body (location, tags, sku, kind, properties…).
#[derive(Debug, Clone)]
pub struct ResourceRow {
    pub id: String,
    pub subscription_id: String,
    pub resource_type: String,
    pub name: String,
    pub body: Value,
    pub created_at: String,
    pub updated_at: String,
}

/// Narrows a resource list; every set field must match.
#[derive(Debug, Clone, Default)]
pub struct ResourceFilter {
    pub resource_group: Option<String>,
    pub resource_type: Option<String>,
    pub tag_name: Option<String>,
    pub tag_value: Option<String>,
}

/// A resource provider's registration state on a subscription.
#[derive(Debug, Clone)]
pub struct ProviderRegistration {
    pub namespace: String,
    pub state: String,
}

fn group_row(row: &AnyRow) -> Result<ResourceGroupRow, StoreError> {
    Ok(ResourceGroupRow {
        subscription_id: get_str(row, "subscription_id")?,
        name: get_str(row, "name")?,
        location: get_str(row, "location")?,
        tags: get_json(row, "tags")?,
        managed_by: get_opt_str(row, "managed_by")?,
        created_at: get_str(row, "created_at")?,
        updated_at: get_str(row, "updated_at")?,
    })
}

fn resource_row(row: &AnyRow) -> Result<ResourceRow, StoreError> {
    Ok(ResourceRow {
        id: get_str(row, "id")?,
        subscription_id: get_str(row, "subscription_id")?,
        resource_type: get_str(row, "type_key")?,
        name: get_str(row, "name")?,
        body: get_json(row, "body")?,
        created_at: get_str(row, "created_at")?,
        updated_at: get_str(row, "updated_at")?,
    })
}

/// Most resource reads kept in memory; the cache starts over when full.
const MAX_CACHED_RESOURCES: usize = 200_000;

const GROUP_COLUMNS: &str =
    "subscription_id, name, location, tags, managed_by, created_at, updated_at";
const RESOURCE_COLUMNS: &str = "id, subscription_id, type_key, name, body, created_at, updated_at";

/// Tells whether a resource's tags match a tag filter (names case-insensitive, values exact).
fn tags_match(body: &Value, name: Option<&str>, value: Option<&str>) -> bool {
    let Some(name) = name else { return true };
    let Some(tags) = body.get("tags").and_then(Value::as_object) else {
        return false;
    };
    tags.iter().any(|(k, v)| {
        k.eq_ignore_ascii_case(name) && value.is_none_or(|want| v.as_str() == Some(want))
    })
}

impl Store {
    /// Returns a resource group.
    pub async fn get_resource_group(
        &self,
        subscription: &str,
        name: &str,
    ) -> Result<Option<ResourceGroupRow>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {GROUP_COLUMNS} FROM resource_groups WHERE subscription_id = $1 AND name_key = $2"
        ))
        .bind(subscription)
        .bind(name.to_lowercase())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(group_row).transpose()
    }

    /// Lists a subscription's resource groups, by name.
    pub async fn list_resource_groups(
        &self,
        subscription: &str,
    ) -> Result<Vec<ResourceGroupRow>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {GROUP_COLUMNS} FROM resource_groups WHERE subscription_id = $1 ORDER BY name_key"
        ))
        .bind(subscription)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(group_row).collect()
    }

    /// Returns a resource by id (any casing).
    pub async fn get_resource(&self, id: &str) -> Result<Option<ResourceRow>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {RESOURCE_COLUMNS} FROM resources WHERE id_key = $1"
        ))
        .bind(id.to_lowercase())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(resource_row).transpose()
    }

    /// Like `get_resource_in_group`, answered from memory when the same resource was read at
    /// the same tenant `version` (every write of the tenant bumps the version, so an entry of
    /// an older version is never served).
    pub async fn get_resource_at_version(
        &self,
        version: i64,
        subscription: &str,
        resource_group: &str,
        id: &str,
    ) -> Result<(bool, Option<ResourceRow>), StoreError> {
        let key = id.to_lowercase();
        if let Some((v, exists, row)) = self
            .resource_cache
            .read()
            .ok()
            .and_then(|c| c.get(&key).cloned())
        {
            if v == version {
                return Ok((exists, row));
            }
        }
        let (exists, row) = self
            .get_resource_in_group(subscription, resource_group, id)
            .await?;
        if let Ok(mut cache) = self.resource_cache.write() {
            if cache.len() >= MAX_CACHED_RESOURCES {
                cache.clear();
            }
            cache.insert(key, (version, exists, row.clone()));
        }
        Ok((exists, row))
    }

    /// Returns whether a resource group exists and, if so, the resource `id` in it: one query
    /// for the hot path of a resource read.
    pub async fn get_resource_in_group(
        &self,
        subscription: &str,
        resource_group: &str,
        id: &str,
    ) -> Result<(bool, Option<ResourceRow>), StoreError> {
        let row = sqlx::query(
            "SELECT g.name_key AS group_key, r.id, r.subscription_id, r.type_key, r.name, r.body, r.created_at, r.updated_at \
             FROM resource_groups g LEFT JOIN resources r ON r.id_key = $3 \
             WHERE g.subscription_id = $1 AND g.name_key = $2",
        )
        .bind(subscription)
        .bind(resource_group.to_lowercase())
        .bind(id.to_lowercase())
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Ok((false, None));
        };
        if get_opt_str(&row, "id")?.is_none() {
            return Ok((true, None));
        }
        Ok((true, Some(resource_row(&row)?)))
    }

    /// Lists a subscription's resources, narrowed by `filter`, by id.
    pub async fn list_resources(
        &self,
        subscription: &str,
        filter: &ResourceFilter,
    ) -> Result<Vec<ResourceRow>, StoreError> {
        let rows = match &filter.resource_group {
            Some(rg) => {
                sqlx::query(&format!(
                    "SELECT {RESOURCE_COLUMNS} FROM resources WHERE subscription_id = $1 AND resource_group_key = $2 ORDER BY id_key"
                ))
                .bind(subscription)
                .bind(rg.to_lowercase())
                .fetch_all(&self.pool)
                .await?
            }
            None => {
                sqlx::query(&format!("SELECT {RESOURCE_COLUMNS} FROM resources WHERE subscription_id = $1 ORDER BY id_key"))
                    .bind(subscription)
                    .fetch_all(&self.pool)
                    .await?
            }
        };
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            let resource = resource_row(row)?;
            if let Some(ty) = &filter.resource_type {
                if !resource.resource_type.eq_ignore_ascii_case(ty) {
                    continue;
                }
            }
            if !tags_match(
                &resource.body,
                filter.tag_name.as_deref(),
                filter.tag_value.as_deref(),
            ) {
                continue;
            }
            out.push(resource);
        }
        Ok(out)
    }

    /// Returns a provider's registration on a subscription.
    pub async fn get_registration(
        &self,
        subscription: &str,
        namespace: &str,
    ) -> Result<Option<ProviderRegistration>, StoreError> {
        let row = sqlx::query(
            "SELECT namespace, state FROM provider_registrations WHERE subscription_id = $1 AND namespace_key = $2",
        )
        .bind(subscription)
        .bind(namespace.to_lowercase())
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some(row) => Ok(Some(ProviderRegistration {
                namespace: get_str(&row, "namespace")?,
                state: get_str(&row, "state")?,
            })),
            None => Ok(None),
        }
    }

    /// Lists a subscription's provider registrations.
    pub async fn list_registrations(
        &self,
        subscription: &str,
    ) -> Result<Vec<ProviderRegistration>, StoreError> {
        let rows = sqlx::query(
            "SELECT namespace, state FROM provider_registrations WHERE subscription_id = $1 ORDER BY namespace_key",
        )
        .bind(subscription)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(ProviderRegistration {
                    namespace: get_str(row, "namespace")?,
                    state: get_str(row, "state")?,
                })
            })
            .collect()
    }
}

impl WriteTx<'_> {
    /// Creates or replaces a resource group; returns whether it was created.
    pub async fn upsert_resource_group(
        &mut self,
        row: &ResourceGroupRow,
    ) -> Result<bool, StoreError> {
        let at = format_time(self.now());
        let tags = row.tags.to_string();
        let updated = sqlx::query(
            "UPDATE resource_groups SET location = $3, tags = $4, managed_by = $5, updated_at = $6 \
             WHERE subscription_id = $1 AND name_key = $2",
        )
        .bind(&row.subscription_id)
        .bind(row.name.to_lowercase())
        .bind(&row.location)
        .bind(&tags)
        .bind(row.managed_by.as_deref())
        .bind(&at)
        .execute(self.conn())
        .await?
        .rows_affected();
        if updated > 0 {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO resource_groups (subscription_id, name_key, name, location, tags, managed_by, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
        )
        .bind(&row.subscription_id)
        .bind(row.name.to_lowercase())
        .bind(&row.name)
        .bind(&row.location)
        .bind(&tags)
        .bind(row.managed_by.as_deref())
        .bind(&at)
        .execute(self.conn())
        .await?;
        Ok(true)
    }

    /// Deletes a resource group and every resource in it; returns the number of resources.
    pub async fn delete_resource_group(
        &mut self,
        subscription: &str,
        name: &str,
    ) -> Result<u64, StoreError> {
        let key = name.to_lowercase();
        let n_resources = sqlx::query(
            "DELETE FROM resources WHERE subscription_id = $1 AND resource_group_key = $2",
        )
        .bind(subscription)
        .bind(&key)
        .execute(self.conn())
        .await?
        .rows_affected();
        sqlx::query("DELETE FROM resource_groups WHERE subscription_id = $1 AND name_key = $2")
            .bind(subscription)
            .bind(&key)
            .execute(self.conn())
            .await?;
        Ok(n_resources)
    }

    /// Creates or replaces a resource; returns whether it was created.
    pub async fn upsert_resource(
        &mut self,
        row: &ResourceRow,
        resource_group: &str,
        parent: Option<&str>,
    ) -> Result<bool, StoreError> {
        let at = format_time(self.now());
        let body = row.body.to_string();
        let id_key = row.id.to_lowercase();
        let updated =
            sqlx::query("UPDATE resources SET body = $2, updated_at = $3 WHERE id_key = $1")
                .bind(&id_key)
                .bind(&body)
                .bind(&at)
                .execute(self.conn())
                .await?
                .rows_affected();
        if updated > 0 {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO resources (id_key, id, subscription_id, resource_group_key, type_key, parent_key, name, body, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
        )
        .bind(&id_key)
        .bind(&row.id)
        .bind(&row.subscription_id)
        .bind(resource_group.to_lowercase())
        .bind(&row.resource_type)
        .bind(parent.map(str::to_lowercase))
        .bind(&row.name)
        .bind(&body)
        .bind(&at)
        .execute(self.conn())
        .await?;
        Ok(true)
    }

    /// Deletes a resource and its child resources; returns how many rows went.
    pub async fn delete_resource(&mut self, id: &str) -> Result<u64, StoreError> {
        let key = id.to_lowercase();
        Ok(
            sqlx::query("DELETE FROM resources WHERE id_key = $1 OR id_key LIKE $2")
                .bind(&key)
                .bind(format!("{key}/%"))
                .execute(self.conn())
                .await?
                .rows_affected(),
        )
    }

    /// Sets a provider's registration state on a subscription.
    pub async fn set_registration(
        &mut self,
        subscription: &str,
        namespace: &str,
        state: &str,
    ) -> Result<(), StoreError> {
        let at = format_time(self.now());
        let key = namespace.to_lowercase();
        let updated = sqlx::query(
            "UPDATE provider_registrations SET state = $3, updated_at = $4 WHERE subscription_id = $1 AND namespace_key = $2",
        )
        .bind(subscription)
        .bind(&key)
        .bind(state)
        .bind(&at)
        .execute(self.conn())
        .await?
        .rows_affected();
        if updated == 0 {
            sqlx::query(
                "INSERT INTO provider_registrations (subscription_id, namespace_key, namespace, state, updated_at) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(subscription)
            .bind(&key)
            .bind(namespace)
            .bind(state)
            .bind(&at)
            .execute(self.conn())
            .await?;
        }
        Ok(())
    }
}
