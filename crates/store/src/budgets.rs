//! Budgets, the alerts they fired (at most once per notification and period), and the outbox
//! of messages to deliver.

use serde_json::Value;
use sqlx::any::AnyRow;

use crate::{format_time, get_i64, get_json, get_opt_str, get_str, Store, StoreError, WriteTx};

/// A budget: its scope and name, and its ARM `properties` as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct BudgetRow {
    /// The canonical scope id (`/` for the tenant).
    pub scope: String,
    pub name: String,
    pub etag: String,
    pub properties: Value,
    pub created_at: String,
    pub updated_at: String,
    pub created_by: String,
    pub updated_by: String,
}

/// A message waiting in (or delivered from) the outbox.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxRow {
    pub id: String,
    pub tenant_id: String,
    /// `email` or `webhook`.
    pub channel: String,
    pub target: String,
    pub subject: String,
    pub body: Value,
    pub created_at: String,
    pub attempts: i64,
    pub next_attempt_at: String,
    pub delivered_at: Option<String>,
    pub last_error: Option<String>,
}

const BUDGET_COLUMNS: &str =
    "scope, name, etag, properties, created_at, updated_at, created_by, updated_by";

fn budget_row(row: &AnyRow) -> Result<BudgetRow, StoreError> {
    Ok(BudgetRow {
        scope: get_str(row, "scope")?,
        name: get_str(row, "name")?,
        etag: get_str(row, "etag")?,
        properties: get_json(row, "properties")?,
        created_at: get_str(row, "created_at")?,
        updated_at: get_str(row, "updated_at")?,
        created_by: get_str(row, "created_by")?,
        updated_by: get_str(row, "updated_by")?,
    })
}

const OUTBOX_COLUMNS: &str =
    "id, tenant_id, channel, target, subject, body, created_at, attempts, \
                              next_attempt_at, delivered_at, last_error";

fn outbox_row(row: &AnyRow) -> Result<OutboxRow, StoreError> {
    Ok(OutboxRow {
        id: get_str(row, "id")?,
        tenant_id: get_str(row, "tenant_id")?,
        channel: get_str(row, "channel")?,
        target: get_str(row, "target")?,
        subject: get_str(row, "subject")?,
        body: get_json(row, "body")?,
        created_at: get_str(row, "created_at")?,
        attempts: get_i64(row, "attempts")?,
        next_attempt_at: get_str(row, "next_attempt_at")?,
        delivered_at: get_opt_str(row, "delivered_at")?,
        last_error: get_opt_str(row, "last_error")?,
    })
}

impl Store {
    /// Lists a tenant's budgets (all scopes), by scope and name.
    pub async fn budgets(&self, tenant: &str) -> Result<Vec<BudgetRow>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {BUDGET_COLUMNS} FROM budgets WHERE tenant_id = $1 ORDER BY scope_key, name_key"
        ))
        .bind(tenant)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(budget_row).collect()
    }

    /// Reads one budget.
    pub async fn budget(
        &self,
        tenant: &str,
        scope: &str,
        name: &str,
    ) -> Result<Option<BudgetRow>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {BUDGET_COLUMNS} FROM budgets \
             WHERE tenant_id = $1 AND scope_key = $2 AND name_key = $3"
        ))
        .bind(tenant)
        .bind(scope.to_lowercase())
        .bind(name.to_lowercase())
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(budget_row).transpose()
    }

    /// Lists the alerts a budget fired, oldest first: `(period start, notification, fired at, content)`.
    pub async fn budget_alerts(
        &self,
        tenant: &str,
        scope: &str,
        name: &str,
    ) -> Result<Vec<(String, String, String, Value)>, StoreError> {
        let rows = sqlx::query(
            "SELECT period_start, notification, fired_at, content FROM budget_alerts \
             WHERE tenant_id = $1 AND scope_key = $2 AND name_key = $3 \
             ORDER BY fired_at, notification",
        )
        .bind(tenant)
        .bind(scope.to_lowercase())
        .bind(name.to_lowercase())
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok((
                    get_str(row, "period_start")?,
                    get_str(row, "notification")?,
                    get_str(row, "fired_at")?,
                    get_json(row, "content")?,
                ))
            })
            .collect()
    }

    /// Returns up to `limit` undelivered messages due at `now`, oldest first.
    pub async fn outbox_due(
        &self,
        now: chrono::DateTime<chrono::Utc>,
        limit: i64,
    ) -> Result<Vec<OutboxRow>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {OUTBOX_COLUMNS} FROM outbox WHERE delivered_at IS NULL AND next_attempt_at <= $1 \
             ORDER BY created_at, id LIMIT $2"
        ))
        .bind(format_time(now))
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(outbox_row).collect()
    }

    /// Lists a tenant's messages, newest first.
    pub async fn outbox(&self, tenant: &str) -> Result<Vec<OutboxRow>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {OUTBOX_COLUMNS} FROM outbox WHERE tenant_id = $1 ORDER BY created_at DESC, id"
        ))
        .bind(tenant)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(outbox_row).collect()
    }

    /// Claims a due message for sending until `lease_until`: succeeds for one caller only
    /// (the one that saw `seen_next_attempt_at`), so two servers never both send it.
    pub async fn outbox_claim(
        &self,
        id: &str,
        seen_next_attempt_at: &str,
        lease_until: chrono::DateTime<chrono::Utc>,
    ) -> Result<bool, StoreError> {
        let claimed = sqlx::query(
            "UPDATE outbox SET next_attempt_at = $3 \
             WHERE id = $1 AND delivered_at IS NULL AND next_attempt_at = $2",
        )
        .bind(id)
        .bind(seen_next_attempt_at)
        .bind(format_time(lease_until))
        .execute(self.pool())
        .await?;
        Ok(claimed.rows_affected() > 0)
    }

    /// Marks a message delivered. Returns false if it already was (another server got it).
    pub async fn outbox_delivered(
        &self,
        id: &str,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE outbox SET delivered_at = $2, attempts = attempts + 1, last_error = NULL \
             WHERE id = $1 AND delivered_at IS NULL",
        )
        .bind(id)
        .bind(format_time(at))
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Records a failed attempt and when to try again.
    pub async fn outbox_failed(
        &self,
        id: &str,
        error: &str,
        retry_at: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE outbox SET attempts = attempts + 1, last_error = $2, next_attempt_at = $3 \
             WHERE id = $1 AND delivered_at IS NULL",
        )
        .bind(id)
        .bind(error)
        .bind(format_time(retry_at))
        .execute(self.pool())
        .await?;
        Ok(())
    }
}

impl WriteTx<'_> {
    /// Creates or replaces a budget; returns the one it replaced.
    pub async fn upsert_budget(
        &mut self,
        budget: &BudgetRow,
    ) -> Result<Option<BudgetRow>, StoreError> {
        let tenant = self.tenant().to_owned();
        let previous = sqlx::query(&format!(
            "SELECT {BUDGET_COLUMNS} FROM budgets \
             WHERE tenant_id = $1 AND scope_key = $2 AND name_key = $3"
        ))
        .bind(&tenant)
        .bind(budget.scope.to_lowercase())
        .bind(budget.name.to_lowercase())
        .fetch_optional(self.conn())
        .await?
        .as_ref()
        .map(budget_row)
        .transpose()?;
        sqlx::query(
            "DELETE FROM budgets WHERE tenant_id = $1 AND scope_key = $2 AND name_key = $3",
        )
        .bind(&tenant)
        .bind(budget.scope.to_lowercase())
        .bind(budget.name.to_lowercase())
        .execute(self.conn())
        .await?;
        sqlx::query(
            "INSERT INTO budgets (tenant_id, scope, scope_key, name, name_key, etag, properties, \
             created_at, updated_at, created_by, updated_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(&tenant)
        .bind(&budget.scope)
        .bind(budget.scope.to_lowercase())
        .bind(&budget.name)
        .bind(budget.name.to_lowercase())
        .bind(&budget.etag)
        .bind(budget.properties.to_string())
        .bind(&budget.created_at)
        .bind(&budget.updated_at)
        .bind(&budget.created_by)
        .bind(&budget.updated_by)
        .execute(self.conn())
        .await?;
        Ok(previous)
    }

    /// Deletes a budget (its fired alerts stay, as history); returns whether it existed.
    pub async fn delete_budget(&mut self, scope: &str, name: &str) -> Result<bool, StoreError> {
        let tenant = self.tenant().to_owned();
        let gone = sqlx::query(
            "DELETE FROM budgets WHERE tenant_id = $1 AND scope_key = $2 AND name_key = $3",
        )
        .bind(&tenant)
        .bind(scope.to_lowercase())
        .bind(name.to_lowercase())
        .execute(self.conn())
        .await?
        .rows_affected()
            > 0;
        Ok(gone)
    }

    /// Records that a budget's notification fired in a period; returns false if it already
    /// had (then nothing is written, and the caller sends nothing).
    pub async fn record_budget_alert(
        &mut self,
        scope: &str,
        name: &str,
        period_start: &str,
        notification: &str,
        content: &Value,
    ) -> Result<bool, StoreError> {
        let tenant = self.tenant().to_owned();
        let at = format_time(self.now());
        let inserted = sqlx::query(
            "INSERT INTO budget_alerts (tenant_id, scope_key, name_key, period_start, notification, \
             fired_at, content) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
        )
        .bind(&tenant)
        .bind(scope.to_lowercase())
        .bind(name.to_lowercase())
        .bind(period_start)
        .bind(notification.to_lowercase())
        .bind(&at)
        .bind(content.to_string())
        .execute(self.conn())
        .await?
        .rows_affected()
            > 0;
        Ok(inserted)
    }

    /// Queues a message for delivery after commit.
    pub async fn enqueue(
        &mut self,
        channel: &str,
        target: &str,
        subject: &str,
        body: &Value,
    ) -> Result<String, StoreError> {
        let tenant = self.tenant().to_owned();
        let at = format_time(self.now());
        let id = uuid::Uuid::new_v4().to_string();
        sqlx::query(
            "INSERT INTO outbox (id, tenant_id, channel, target, subject, body, created_at, attempts, \
             next_attempt_at, delivered_at, last_error) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $7, NULL, NULL)",
        )
        .bind(&id)
        .bind(&tenant)
        .bind(channel)
        .bind(target)
        .bind(subject)
        .bind(body.to_string())
        .bind(&at)
        .execute(self.conn())
        .await?;
        Ok(id)
    }
}
