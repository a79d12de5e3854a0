//! Memoized renderings of reads that depend only on a tenant's hierarchy at one version.
//! An entry is served only for the version it was made at, so a write (which bumps the
//! version) makes every older entry unreachable at once.

use std::collections::HashMap;
use std::sync::RwLock;

use axum::body::Bytes;

/// Most renderings kept; the cache starts over when full.
const MAX_ENTRIES: usize = 10_000;

/// Renderings by key, each with the tenant version it was made at.
#[derive(Default)]
pub struct RenderCache {
    entries: RwLock<HashMap<String, (i64, Bytes)>>,
}

impl RenderCache {
    /// Returns the rendering of `key` made at `version`, if any.
    pub fn get(&self, key: &str, version: i64) -> Option<Bytes> {
        let entries = self.entries.read().ok()?;
        entries
            .get(key)
            .filter(|(v, _)| *v == version)
            .map(|(_, bytes)| bytes.clone())
    }

    /// Keeps a rendering made at `version`.
    pub fn put(&self, key: String, version: i64, bytes: Bytes) {
        if let Ok(mut entries) = self.entries.write() {
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
            entries.insert(key, (version, bytes));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serves_only_the_version_it_was_made_at() {
        let cache = RenderCache::default();
        cache.put("k".into(), 3, Bytes::from_static(b"v3"));
        assert_eq!(cache.get("k", 3).as_deref(), Some(&b"v3"[..]));
        assert!(cache.get("k", 4).is_none());
    }
}
