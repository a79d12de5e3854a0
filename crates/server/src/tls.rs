//! TLS: a given certificate and key, or a self-signed one for localhost/127.0.0.1 made once
//! and kept in the data directory.

use std::path::{Path, PathBuf};

use anyhow::Context;

/// Returns (certificate, key) PEM paths of the self-signed certificate, making it if needed.
pub fn self_signed(data: &Path) -> anyhow::Result<(PathBuf, PathBuf)> {
    let dir = data.join("tls");
    let cert = dir.join("cert.pem");
    let key = dir.join("key.pem");
    if cert.exists() && key.exists() {
        return Ok((cert, key));
    }
    std::fs::create_dir_all(&dir).with_context(|| format!("create {}", dir.display()))?;
    let certified = rcgen::generate_simple_self_signed(vec![
        "localhost".to_owned(),
        "127.0.0.1".to_owned(),
        "::1".to_owned(),
    ])
    .context("generate a self-signed certificate")?;
    std::fs::write(&key, certified.key_pair.serialize_pem()).context("write the TLS key")?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600))
            .context("restrict the TLS key")?;
    }
    std::fs::write(&cert, certified.cert.pem()).context("write the TLS certificate")?;
    Ok((cert, key))
}
