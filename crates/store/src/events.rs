//! The activity log: event drafts, their canonical form, queries, export and verification.
//!
//! An event's canonical content is the JSON text stored in `events.content`; its leaf hash is
//! taken over exactly those bytes, so verification never depends on re-serialization.

use std::collections::HashMap;

use ed25519_dalek::VerifyingKey;
use leitstand_audit::{verify_log, AuditRecord, Checkpoint, Hash, SignedCheckpoint, VerifyFailure};
use serde_json::{json, Value};
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::{get_i64, get_str, Store, StoreError};

/// Whether the logged operation took effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventStatus {
    Succeeded,
    Failed,
}

impl EventStatus {
    /// Returns the stored name, as ARM's activity log spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            EventStatus::Succeeded => "Succeeded",
            EventStatus::Failed => "Failed",
        }
    }
}

/// An event before it is placed in the log (the log gives it a sequence number, id and time).
#[derive(Debug, Clone)]
pub struct EventDraft {
    /// The ARM operation, e.g. `Microsoft.Management/managementGroups/write`.
    pub operation: String,
    /// The scope or resource id the operation acted on, canonical casing.
    pub scope: String,
    pub status: EventStatus,
    pub http_status: u16,
    /// The caller's principal (object) id, or `cli` for the operator CLI.
    pub caller: String,
    pub caller_name: Option<String>,
    pub caller_ip: Option<String>,
    pub correlation_id: String,
    pub method: Option<String>,
    pub subscription_id: Option<String>,
    pub resource_group: Option<String>,
    pub before: Option<Value>,
    pub after: Option<Value>,
    /// The refusal, for failed operations: `{"code", "message"}`.
    pub error: Option<Value>,
}

impl EventDraft {
    /// Starts a draft for a successful operation.
    pub fn new(
        operation: impl Into<String>,
        scope: impl Into<String>,
        caller: impl Into<String>,
        correlation_id: impl Into<String>,
    ) -> Self {
        EventDraft {
            operation: operation.into(),
            scope: scope.into(),
            status: EventStatus::Succeeded,
            http_status: 200,
            caller: caller.into(),
            caller_name: None,
            caller_ip: None,
            correlation_id: correlation_id.into(),
            method: None,
            subscription_id: None,
            resource_group: None,
            before: None,
            after: None,
            error: None,
        }
    }

    pub(crate) fn canonical_content(
        &self,
        tenant: &str,
        seq: u64,
        event_id: &str,
        at: &str,
    ) -> String {
        json!({
            "v": 1,
            "tenantId": tenant,
            "seq": seq,
            "eventId": event_id,
            "at": at,
            "operation": self.operation,
            "scope": self.scope,
            "status": self.status.as_str(),
            "httpStatus": self.http_status,
            "caller": self.caller,
            "callerName": self.caller_name,
            "callerIp": self.caller_ip,
            "correlationId": self.correlation_id,
            "method": self.method,
            "subscriptionId": self.subscription_id,
            "resourceGroup": self.resource_group,
            "before": self.before,
            "after": self.after,
            "error": self.error,
        })
        .to_string()
    }
}

/// A stored event: its place in the log and its canonical content.
#[derive(Debug, Clone)]
pub struct StoredEvent {
    pub seq: u64,
    pub content: Value,
    pub raw: String,
}

/// Which events a query returns; every field narrows.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    pub since: Option<String>,
    pub until: Option<String>,
    pub subscription_id: Option<String>,
    pub resource_group: Option<String>,
    /// A scope or resource id; events at it or below it match.
    pub scope_prefix: Option<String>,
    pub correlation_id: Option<String>,
    /// Newest first (the activity log's order) instead of log order.
    pub newest_first: bool,
    /// Return at most this many events.
    pub limit: Option<u32>,
}

/// What `verify_audit` found.
#[derive(Debug, Clone)]
pub struct VerifyReport {
    pub tenant: String,
    pub n_events: u64,
    pub root: Option<Hash>,
    pub failure: Option<VerifyFailure>,
}

fn stored_event(row: &AnyRow) -> Result<StoredEvent, StoreError> {
    let raw = get_str(row, "content")?;
    let content = serde_json::from_str(&raw)
        .map_err(|e| StoreError::Corrupt(format!("event content: {e}")))?;
    let seq = u64::try_from(get_i64(row, "seq")?)
        .map_err(|_| StoreError::Corrupt("negative seq".into()))?;
    Ok(StoredEvent { seq, content, raw })
}

fn hash_from(bytes: Vec<u8>) -> Result<Hash, StoreError> {
    let arr: [u8; 32] = bytes
        .try_into()
        .map_err(|_| StoreError::Corrupt("hash is not 32 bytes".into()))?;
    Ok(Hash(arr))
}

impl Store {
    /// Returns a tenant's events in log order, narrowed by `filter`.
    pub async fn query_events(
        &self,
        tenant: &str,
        filter: &EventFilter,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let mut sql = String::from("SELECT seq, content FROM events WHERE tenant_id = $1");
        let mut args: Vec<String> = Vec::new();
        let mut push = |sql: &mut String, clause: &str, value: String| {
            args.push(value);
            sql.push_str(&clause.replace('?', &format!("${}", args.len() + 1)));
        };
        if let Some(v) = &filter.since {
            push(&mut sql, " AND at >= ?", v.clone());
        }
        if let Some(v) = &filter.until {
            push(&mut sql, " AND at <= ?", v.clone());
        }
        if let Some(v) = &filter.subscription_id {
            push(&mut sql, " AND subscription_id = ?", v.to_lowercase());
        }
        if let Some(v) = &filter.resource_group {
            push(&mut sql, " AND resource_group_key = ?", v.to_lowercase());
        }
        if let Some(v) = &filter.correlation_id {
            push(&mut sql, " AND correlation_id = ?", v.clone());
        }
        if let Some(v) = &filter.scope_prefix {
            let key = v.to_lowercase().trim_end_matches('/').to_owned();
            args.push(key.clone());
            args.push(format!("{key}/%"));
            sql.push_str(&format!(
                " AND (scope_key = ${} OR scope_key LIKE ${})",
                args.len(),
                args.len() + 1
            ));
        }
        sql.push_str(if filter.newest_first {
            " ORDER BY seq DESC"
        } else {
            " ORDER BY seq"
        });
        if let Some(limit) = filter.limit {
            sql.push_str(&format!(" LIMIT {limit}"));
        }
        let mut query = sqlx::query(&sql).bind(tenant);
        for arg in &args {
            query = query.bind(arg);
        }
        let rows = query.fetch_all(&self.pool).await?;
        rows.iter().map(stored_event).collect()
    }

    /// Checks a tenant's whole log against its stored hashes and signed head.
    pub async fn verify_audit(&self, tenant: &str) -> Result<VerifyReport, StoreError> {
        let keys = self.public_keys("audit").await?;
        let key_map: HashMap<String, VerifyingKey> = keys
            .into_iter()
            .filter_map(|k| {
                let bytes: [u8; 32] = k.public_key.try_into().ok()?;
                Some((k.kid, VerifyingKey::from_bytes(&bytes).ok()?))
            })
            .collect();
        let head = sqlx::query(
            "SELECT audit_size, audit_root, audit_signature, audit_key_id FROM tenants WHERE id = $1",
        )
        .bind(tenant)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::TenantNotFound(tenant.to_owned()))?;
        let size = u64::try_from(get_i64(&head, "audit_size")?).unwrap_or(0);
        let root: Option<Vec<u8>> = head.try_get("audit_root")?;
        let signature: Option<Vec<u8>> = head.try_get("audit_signature")?;
        let kid: Option<String> = head.try_get("audit_key_id")?;
        let checkpoint = match (root, signature, kid) {
            (Some(root), Some(signature), Some(kid)) => {
                let key =
                    match key_map.get(&kid) {
                        Some(key) => *key,
                        None => return Ok(VerifyReport {
                            tenant: tenant.to_owned(),
                            n_events: 0,
                            root: None,
                            failure: Some(VerifyFailure {
                                seq: None,
                                kind:
                                    leitstand_audit::VerifyFailureKind::CheckpointSignatureInvalid,
                            }),
                        }),
                    };
                Some(SignedCheckpoint {
                    checkpoint: Checkpoint {
                        log_id: tenant.to_owned(),
                        size,
                        root: hash_from(root)?,
                    },
                    signature,
                    key,
                })
            }
            _ => None,
        };
        let rows = sqlx::query(
            "SELECT seq, content, leaf, root FROM events WHERE tenant_id = $1 ORDER BY seq",
        )
        .bind(tenant)
        .fetch_all(&self.pool)
        .await?;
        let mut records = Vec::with_capacity(rows.len());
        for row in &rows {
            let seq = u64::try_from(get_i64(row, "seq")?).unwrap_or(0);
            let content: String = get_str(row, "content")?;
            records.push(AuditRecord {
                seq,
                content: content.into_bytes(),
                stored_leaf: hash_from(row.try_get("leaf")?)?,
                stored_root: hash_from(row.try_get("root")?)?,
            });
        }
        let n_events = records.len() as u64;
        Ok(match verify_log(records, checkpoint) {
            Ok(log) => VerifyReport {
                tenant: tenant.to_owned(),
                n_events,
                root: Some(log.root),
                failure: None,
            },
            Err(failure) => VerifyReport {
                tenant: tenant.to_owned(),
                n_events,
                root: None,
                failure: Some(failure),
            },
        })
    }
}
