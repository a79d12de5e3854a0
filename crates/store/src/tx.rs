//! The write transaction: one tenant's change and its activity-log events, committed together.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use ed25519_dalek::SigningKey;
use leitstand_audit::{leaf_hash, Checkpoint, Frontier};
use sqlx::{Any, AnyConnection, Row, Transaction};

use crate::events::EventDraft;
use crate::hierarchy::Snapshot;
use crate::{format_time, Store, StoreError};

/// The key that signs each tenant's activity-log head after every write.
#[derive(Clone)]
pub struct AuditSigner {
    pub kid: String,
    pub key: SigningKey,
}

/// A write in progress on one tenant. Dropping it without `commit` rolls everything back.
pub struct WriteTx<'s> {
    store: &'s Store,
    tx: Transaction<'static, Any>,
    _turn: crate::WriterGuard<'s>,
    tenant: String,
    snapshot: Snapshot,
    frontier: Frontier,
    n_events: usize,
    now: DateTime<Utc>,
}

impl Store {
    /// Starts a write on `tenant` at time `now`; serializes with every other write of the
    /// tenant, in this process and in others on the same database.
    pub async fn begin_write(
        &self,
        tenant: &str,
        now: DateTime<Utc>,
    ) -> Result<WriteTx<'_>, StoreError> {
        let guard = self.writer_turn(tenant).await;
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query(
            "UPDATE tenants SET version = version + 1 WHERE id = $1 RETURNING version, audit_frontier",
        )
        .bind(tenant)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| StoreError::TenantNotFound(tenant.to_owned()))?;
        let version: i64 = row.try_get("version")?;
        let frontier_bytes: Vec<u8> = row.try_get("audit_frontier")?;
        let frontier = Frontier::from_bytes(&frontier_bytes).map_err(|e| {
            StoreError::Corrupt(format!("audit frontier of tenant `{tenant}`: {e}"))
        })?;
        let snapshot = match self.cached_snapshot(tenant) {
            Some(cached) if cached.version == version - 1 => {
                let mut snapshot = (*cached).clone();
                snapshot.version = version;
                snapshot
            }
            _ => crate::hierarchy::load_snapshot(&mut tx, tenant).await?,
        };
        Ok(WriteTx {
            store: self,
            tx,
            _turn: guard,
            tenant: tenant.to_owned(),
            snapshot,
            frontier,
            n_events: 0,
            now,
        })
    }
}

impl<'s> WriteTx<'s> {
    /// Returns the tenant's hierarchy as this transaction sees it (with its own changes).
    pub fn snapshot(&self) -> &Snapshot {
        &self.snapshot
    }

    /// Returns the working copy of the hierarchy; the store's write methods keep it in step
    /// with the rows they write.
    pub(crate) fn snapshot_mut(&mut self) -> &mut Snapshot {
        &mut self.snapshot
    }

    /// Returns the connection of the transaction.
    pub(crate) fn conn(&mut self) -> &mut AnyConnection {
        &mut self.tx
    }

    /// Returns the backend this transaction runs on.
    pub(crate) fn backend(&self) -> crate::Backend {
        self.store.backend()
    }

    /// Returns the tenant this transaction writes.
    pub fn tenant(&self) -> &str {
        &self.tenant
    }

    /// Returns the time of this write.
    pub fn now(&self) -> DateTime<Utc> {
        self.now
    }

    /// Returns the store.
    pub fn store(&self) -> &'s Store {
        self.store
    }

    /// Appends an activity-log event to the tenant's log; returns its sequence number.
    pub async fn append_event(&mut self, draft: EventDraft) -> Result<u64, StoreError> {
        let seq = self.frontier.size() + 1;
        let event_id = uuid::Uuid::new_v4().to_string();
        let at = format_time(self.now);
        let content = draft.canonical_content(&self.tenant, seq, &event_id, &at);
        let leaf = leaf_hash(content.as_bytes());
        self.frontier
            .append(leaf)
            .map_err(|e| StoreError::Corrupt(format!("audit frontier: {e}")))?;
        let root = self.frontier.root();
        let seq_i64 =
            i64::try_from(seq).map_err(|_| StoreError::Corrupt("audit log too long".into()))?;
        sqlx::query(
            "INSERT INTO events (tenant_id, seq, event_id, at, operation, scope_key, subscription_id, \
             resource_group_key, correlation_id, status, content, leaf, root) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(&self.tenant)
        .bind(seq_i64)
        .bind(&event_id)
        .bind(&at)
        .bind(&draft.operation)
        .bind(draft.scope.to_lowercase())
        .bind(draft.subscription_id.as_deref())
        .bind(draft.resource_group.as_ref().map(|rg| rg.to_lowercase()))
        .bind(&draft.correlation_id)
        .bind(draft.status.as_str())
        .bind(&content)
        .bind(leaf.0.to_vec())
        .bind(root.0.to_vec())
        .execute(&mut *self.tx)
        .await?;
        self.n_events += 1;
        Ok(seq)
    }

    /// Commits the change and its events, signs the log's new head, and publishes the new
    /// hierarchy to readers.
    pub async fn commit(mut self) -> Result<(), StoreError> {
        if self.n_events > 0 {
            let checkpoint = Checkpoint {
                log_id: self.tenant.clone(),
                size: self.frontier.size(),
                root: self.frontier.root(),
            };
            let signature = checkpoint.sign(&self.store.signer.key);
            let size = i64::try_from(checkpoint.size)
                .map_err(|_| StoreError::Corrupt("audit log too long".into()))?;
            sqlx::query(
                "UPDATE tenants SET audit_size = $2, audit_frontier = $3, audit_root = $4, \
                 audit_signature = $5, audit_key_id = $6 WHERE id = $1",
            )
            .bind(&self.tenant)
            .bind(size)
            .bind(self.frontier.to_bytes())
            .bind(checkpoint.root.0.to_vec())
            .bind(signature.to_vec())
            .bind(&self.store.signer.kid)
            .execute(&mut *self.tx)
            .await?;
        }
        self.tx.commit().await?;
        self.store
            .publish_snapshot(&self.tenant, Arc::new(self.snapshot));
        Ok(())
    }
}
