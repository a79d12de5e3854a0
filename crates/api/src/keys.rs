//! Signing keys in the data directory: Ed25519 private keys as PKCS#8 PEM files
//! (`keys/{purpose}-{kid}.pem`, mode 0600), the newest of each purpose in use; their public
//! halves are registered in the database so every server (and `audit verify`) can check what
//! any other signed.
//!
//! Rotation writes a new file; older keys stay valid for verification.

use std::path::{Path, PathBuf};

use anyhow::Context;
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use ed25519_dalek::SigningKey;
use leitstand_store::{SigningKeyRow, Store};

/// What a key signs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyPurpose {
    Token,
    Audit,
}

impl KeyPurpose {
    /// Returns the file prefix and database purpose.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyPurpose::Token => "token",
            KeyPurpose::Audit => "audit",
        }
    }
}

/// A private signing key with its id.
#[derive(Clone)]
pub struct LocalKey {
    pub kid: String,
    pub key: SigningKey,
    /// PKCS#8 PEM of the private key, as jsonwebtoken takes it.
    pub pem: String,
}

impl std::fmt::Debug for LocalKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LocalKey({})", self.kid)
    }
}

fn keys_dir(data: &Path) -> PathBuf {
    data.join("keys")
}

/// Loads the newest key of `purpose` from the data directory, creating one if none exists.
pub fn load_or_create(
    data: &Path,
    purpose: KeyPurpose,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<LocalKey> {
    match newest(data, purpose)? {
        Some(key) => Ok(key),
        None => create(data, purpose, now),
    }
}

/// Creates a new key of `purpose`; it becomes the one in use.
pub fn create(
    data: &Path,
    purpose: KeyPurpose,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<LocalKey> {
    let dir = keys_dir(data);
    std::fs::create_dir_all(&dir).with_context(|| format!("create {}", dir.display()))?;
    let key = SigningKey::generate(&mut rand::rngs::OsRng);
    let suffix: String = uuid::Uuid::new_v4()
        .simple()
        .to_string()
        .chars()
        .take(8)
        .collect();
    // The time comes first, to the nanosecond, so the newest key sorts last.
    let kid = format!("{}-{}", now.format("%Y%m%d%H%M%S%9f"), suffix);
    let pem = key
        .to_pkcs8_pem(ed25519_dalek::pkcs8::spki::der::pem::LineEnding::LF)
        .map_err(|e| anyhow::anyhow!("encode key: {e}"))?
        .to_string();
    let path = dir.join(format!("{}-{kid}.pem", purpose.as_str()));
    let tmp = dir.join(format!(".{}-{kid}.tmp", purpose.as_str()));
    std::fs::write(&tmp, &pem).with_context(|| format!("write {}", tmp.display()))?;
    restrict(&tmp)?;
    std::fs::rename(&tmp, &path).with_context(|| format!("rename to {}", path.display()))?;
    Ok(LocalKey { kid, key, pem })
}

#[cfg(unix)]
fn restrict(path: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
        .context("restrict key file")
}

#[cfg(not(unix))]
fn restrict(_path: &Path) -> anyhow::Result<()> {
    Ok(())
}

/// Returns the newest key of `purpose`, if any.
pub fn newest(data: &Path, purpose: KeyPurpose) -> anyhow::Result<Option<LocalKey>> {
    let dir = keys_dir(data);
    if !dir.exists() {
        return Ok(None);
    }
    let prefix = format!("{}-", purpose.as_str());
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .with_context(|| format!("read {}", dir.display()))?
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| n.starts_with(&prefix) && n.ends_with(".pem"))
        .collect();
    names.sort();
    let Some(name) = names.pop() else {
        return Ok(None);
    };
    let pem =
        std::fs::read_to_string(dir.join(&name)).with_context(|| format!("read key {name}"))?;
    let key = SigningKey::from_pkcs8_pem(&pem)
        .map_err(|e| anyhow::anyhow!("key {name} is not a PKCS#8 Ed25519 key: {e}"))?;
    let kid = name
        .trim_start_matches(&prefix)
        .trim_end_matches(".pem")
        .to_owned();
    Ok(Some(LocalKey { kid, key, pem }))
}

/// Registers a key's public half in the database.
pub async fn publish(
    store: &Store,
    purpose: KeyPurpose,
    key: &LocalKey,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<()> {
    store
        .register_public_key(&SigningKeyRow {
            kid: key.kid.clone(),
            purpose: purpose.as_str().to_owned(),
            public_key: key.key.verifying_key().to_bytes().to_vec(),
            created_at: leitstand_store::format_time(now),
        })
        .await
        .context("register public key")
}
