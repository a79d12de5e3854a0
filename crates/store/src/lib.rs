//! Leitstand's persistence, on SQLite (the embedded default) or PostgreSQL (several server
//! processes on one database), with one schema kept in `migrations/{sqlite,postgres}`.
//!
//! What is stored: tenants (with their hierarchy settings, the write counter `version` and the
//! activity log's Merkle frontier and signed head), management groups, subscriptions and
//! aliases, resource groups, resources (their ARM body as JSON), provider registrations,
//! principals, group memberships, service-principal secret hashes, public signing keys, the
//! activity-log events, cost data (loads and their daily aggregates; the detail rows are
//! Parquet files the caller keeps) and resources' utilization metrics.
//!
//! Every write goes through [`WriteTx`]: it starts by bumping the tenant's `version` (which
//! takes the tenant's row lock on PostgreSQL and the write lock on SQLite), so writes of one
//! tenant are serialized across processes, and it commits the change together with its
//! activity-log events. Readers compare the tenant's `version` with their cached hierarchy on
//! every request, so a change acknowledged by one process is seen at once by every other.
//!
//! It does not check ARM's rules (the hierarchy rules live in `leitstand-core`) nor
//! permissions; callers do that before they write.

mod assignments;
mod budgets;
mod costs;
mod denies;
mod events;
mod hierarchy;
mod metrics;
mod principals;
mod probe;
mod resources;
mod roles;
mod tx;

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Executor, Row};

pub use assignments::RoleAssignmentRow;
pub use budgets::{BudgetRow, OutboxRow};
pub use costs::{
    tag_set_id, AnomalyRow, CostDim, CostFilter, CostLoadRow, CostQuery, CostQueryRow, DailyKey,
    DailySums, Granularity, SubAccountCost, TagRuleRow,
};
pub use denies::DenyAssignmentRow;
pub use events::{EventDraft, EventFilter, EventStatus, StoredEvent, VerifyReport};
pub use hierarchy::{HierarchySettings, Snapshot, TenantRow};
pub use metrics::MetricSampleRow;
pub use principals::{Principal, PrincipalKind, SecretRow, SigningKeyRow};
pub use resources::{ProviderRegistration, ResourceFilter, ResourceGroupRow, ResourceRow};
pub use roles::{permission_blocks, CustomRoleRow};
pub use tx::{AuditSigner, WriteTx};

/// Which database a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A storage failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("tenant `{0}` was not found")]
    TenantNotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    NotFound(String),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("database error")]
    Database(#[from] sqlx::Error),
    #[error("migration failed")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("unsupported database url `{0}`: use sqlite:// or postgres://")]
    UnsupportedUrl(String),
}

/// Formats a time the way every table stores it: RFC 3339, UTC, microseconds.
pub fn format_time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// Parses a stored time.
pub fn parse_time(text: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| StoreError::Corrupt(format!("bad timestamp `{text}`")))
}

/// A resource read as of a tenant version: (version, group exists, the resource).
type CachedResource = (i64, bool, Option<ResourceRow>);

/// A writer's turn: the database's (SQLite) or the tenant's (PostgreSQL).
pub(crate) enum WriterGuard<'s> {
    Database(#[expect(dead_code, reason = "held for its drop")] tokio::sync::MutexGuard<'s, ()>),
    Tenant(#[expect(dead_code, reason = "held for its drop")] tokio::sync::OwnedMutexGuard<()>),
}

/// The store: a pool, the cached hierarchies, and the key that signs activity-log heads.
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// SQLite has one writer; queueing writers here is cheaper than its busy-wait.
    sqlite_writer: tokio::sync::Mutex<()>,
    /// On PostgreSQL, writers of one tenant queue here before they queue on the tenant's row
    /// lock, so each finds the hierarchy its predecessor published.
    tenant_writers: std::sync::Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    trees: RwLock<HashMap<String, Arc<Snapshot>>>,
    /// SQLite only: reads tenant versions without a trip through sqlx's worker thread.
    probe: Option<probe::VersionProbe>,
    /// Resource reads as of a tenant version (every write of the tenant bumps it).
    resource_cache: RwLock<HashMap<String, CachedResource>>,
    signer: AuditSigner,
}

impl Store {
    /// Opens (and migrates) the database at `url`: `sqlite://path` or `postgres://…`.
    pub async fn open(url: &str, signer: AuditSigner) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(StoreError::UnsupportedUrl(url.to_owned()));
        };
        let pool = match backend {
            Backend::Sqlite => {
                // Create the file and switch to WAL once, before the pool opens connections.
                let options = sqlx::sqlite::SqliteConnectOptions::from_str(url)?
                    .create_if_missing(true)
                    .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal);
                let conn = sqlx::ConnectOptions::connect(&options).await?;
                sqlx::Connection::close(conn).await.ok();
                AnyPoolOptions::new()
                    .max_connections(8)
                    .min_connections(1)
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            conn.execute(
                                "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; PRAGMA synchronous = FULL;",
                            )
                            .await?;
                            Ok(())
                        })
                    })
                    .connect(url)
                    .await?
            }
            Backend::Postgres => {
                AnyPoolOptions::new()
                    .max_connections(32)
                    .acquire_timeout(Duration::from_secs(30))
                    .connect(url)
                    .await?
            }
        };
        match backend {
            Backend::Sqlite => sqlx::migrate!("./migrations/sqlite").run(&pool).await?,
            Backend::Postgres => sqlx::migrate!("./migrations/postgres").run(&pool).await?,
        }
        let probe = match backend {
            Backend::Sqlite => Some(probe::VersionProbe::open(url)?),
            Backend::Postgres => None,
        };
        Ok(Store {
            probe,
            resource_cache: RwLock::new(HashMap::new()),
            pool,
            backend,
            sqlite_writer: tokio::sync::Mutex::new(()),
            tenant_writers: std::sync::Mutex::new(HashMap::new()),
            trees: RwLock::new(HashMap::new()),
            signer,
        })
    }

    /// Waits for this process's turn to write `tenant`.
    pub(crate) async fn writer_turn(&self, tenant: &str) -> WriterGuard<'_> {
        match self.backend {
            Backend::Sqlite => WriterGuard::Database(self.sqlite_writer.lock().await),
            Backend::Postgres => {
                let lock = match self.tenant_writers.lock() {
                    Ok(mut map) => map.entry(tenant.to_owned()).or_default().clone(),
                    Err(poisoned) => poisoned
                        .into_inner()
                        .entry(tenant.to_owned())
                        .or_default()
                        .clone(),
                };
                WriterGuard::Tenant(lock.lock_owned().await)
            }
        }
    }

    /// Returns the backend this store runs on.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Returns the pool, for health checks.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Checks that the database answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Closes the pool, waiting for connections to be returned.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

fn get_str(row: &AnyRow, col: &str) -> Result<String, StoreError> {
    Ok(row.try_get::<String, _>(col)?)
}

fn get_opt_str(row: &AnyRow, col: &str) -> Result<Option<String>, StoreError> {
    Ok(row.try_get::<Option<String>, _>(col)?)
}

fn get_i64(row: &AnyRow, col: &str) -> Result<i64, StoreError> {
    Ok(row.try_get::<i64, _>(col)?)
}

fn get_json(row: &AnyRow, col: &str) -> Result<serde_json::Value, StoreError> {
    let text = get_str(row, col)?;
    serde_json::from_str(&text)
        .map_err(|e| StoreError::Corrupt(format!("column `{col}` holds bad JSON: {e}")))
}
