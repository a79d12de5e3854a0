//! The per-request freshness check on SQLite: a tenant's `version`, read through a few
//! read-only rusqlite connections directly (a microsecond-scale point query) instead of a
//! round trip through sqlx's connection worker thread.
//!
//! It only reads; every write still goes through sqlx in a `WriteTx`.

use std::sync::Mutex;

use rusqlite::{Connection, OpenFlags, OptionalExtension};

use crate::StoreError;

/// How many read-only connections the probe keeps.
const N_CONNECTIONS: usize = 4;

/// Read-only connections for version checks.
pub(crate) struct VersionProbe {
    connections: Vec<Mutex<Connection>>,
}

/// Returns the file path in a `sqlite://path?options` URL.
fn path_of(url: &str) -> &str {
    let rest = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    rest.split('?').next().unwrap_or(rest)
}

impl VersionProbe {
    /// Opens read-only connections to the database file of `url`.
    pub(crate) fn open(url: &str) -> Result<VersionProbe, StoreError> {
        let path = path_of(url);
        let mut connections = Vec::with_capacity(N_CONNECTIONS);
        for _ in 0..N_CONNECTIONS {
            let conn = Connection::open_with_flags(
                path,
                OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )?;
            conn.busy_timeout(std::time::Duration::from_secs(10))?;
            connections.push(Mutex::new(conn));
        }
        Ok(VersionProbe { connections })
    }

    /// Returns the tenant's current version, `None` if the tenant does not exist.
    pub(crate) fn version(&self, tenant: &str) -> Result<Option<i64>, StoreError> {
        // Take the first free connection; wait for one only if all are busy.
        let guard = self
            .connections
            .iter()
            .find_map(|c| c.try_lock().ok())
            .or_else(|| self.connections.first().and_then(|c| c.lock().ok()))
            .ok_or_else(|| StoreError::Corrupt("version probe connection poisoned".into()))?;
        let mut statement = guard.prepare_cached("SELECT version FROM tenants WHERE id = ?1")?;
        Ok(statement
            .query_row([tenant], |row| row.get::<_, i64>(0))
            .optional()?)
    }
}

#[cfg(test)]
mod tests {
    use super::path_of;

    #[test]
    fn finds_the_file_in_the_url() {
        assert_eq!(path_of("sqlite:///tmp/a.db"), "/tmp/a.db");
        assert_eq!(
            path_of("sqlite://data/leitstand.db?mode=rwc"),
            "data/leitstand.db"
        );
    }
}
