//! `leitstand serve`: opens the store, loads or makes the signing keys, creates a first
//! tenant on an empty database, and serves HTTPS (or plain HTTP on loopback only) until
//! SIGTERM or Ctrl-C, letting in-flight requests finish.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use leitstand_api::keys::{self, KeyPurpose};
use leitstand_api::{AppState, Config};
use leitstand_core::{Clock, SystemClock};

use crate::admin::open_store;
use crate::Global;

/// Options of `leitstand serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1:8443")]
    pub listen: SocketAddr,
    /// A PEM certificate (chain) for HTTPS.
    #[arg(long, requires = "tls_key")]
    pub tls_cert: Option<std::path::PathBuf>,
    /// The PEM private key for `--tls-cert`.
    #[arg(long, requires = "tls_cert")]
    pub tls_key: Option<std::path::PathBuf>,
    /// Make (once) and use a self-signed certificate for localhost and 127.0.0.1.
    #[arg(long, conflicts_with = "tls_cert")]
    pub self_signed: bool,
    /// The largest request body accepted, in bytes.
    #[arg(long, default_value_t = 4 * 1024 * 1024)]
    pub max_body_bytes: usize,
    /// The SMTP server budget alerts are sent through: `smtp://host:port` (plain, for a local
    /// relay), `smtp://host:587?tls=required` (STARTTLS) or `smtps://host:465`, optionally
    /// with `user:password@`. Without it, e-mails wait in the outbox.
    #[arg(long, env = "LEITSTAND_SMTP_URL")]
    pub smtp_url: Option<String>,
    /// The sender of alert e-mails.
    #[arg(long, default_value = "Leitstand <leitstand@localhost>")]
    pub mail_from: String,
    /// A file holding the secret webhooks are signed with (HMAC-SHA256). Without it, webhooks
    /// wait in the outbox.
    #[arg(long)]
    pub webhook_secret_file: Option<std::path::PathBuf>,
    /// A network (CIDR) webhook targets may be in although it is not public, such as an
    /// internal receiver's `10.20.0.0/16`; repeat for several. Without it, webhooks to
    /// loopback, private, link-local and other non-public addresses are refused.
    #[arg(long = "webhook-allow-network", value_name = "CIDR")]
    pub webhook_allow_networks: Vec<ipnet::IpNet>,
}

/// Runs the server until a shutdown signal.
pub async fn run(global: &Global, args: ServeArgs) -> anyhow::Result<std::process::ExitCode> {
    let tls = match (&args.tls_cert, &args.tls_key, args.self_signed) {
        (Some(cert), Some(key), _) => Some((cert.clone(), key.clone())),
        (_, _, true) => Some(crate::tls::self_signed(&global.data)?),
        _ => None,
    };
    if tls.is_none() && !args.listen.ip().is_loopback() {
        bail!("plain HTTP is allowed only on a loopback address; give --tls-cert/--tls-key or --self-signed to listen on {}", args.listen);
    }
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let store = Arc::new(open_store(global).await?);
    let token_key = keys::load_or_create(&global.data, KeyPurpose::Token, clock.now())?;
    keys::publish(&store, KeyPurpose::Token, &token_key, clock.now()).await?;
    if store.list_tenants().await?.is_empty() {
        let tenant =
            crate::admin::create_tenant(&store, "Default Directory", None, clock.now()).await?;
        eprintln!("created the first tenant `{}` (Default Directory)", tenant);
        eprintln!(
            "get a token: leitstand --data {} sp create --tenant {} --name admin --global-admin --output json",
            global.data.display(),
            tenant
        );
        eprintln!(
            "nobody has access by default: a global admin calls POST /providers/Microsoft.Authorization/elevateAccess, \
             or the operator runs leitstand --data {} role assign --tenant {} --principal OBJECT_ID --role Owner --scope /",
            global.data.display(),
            tenant
        );
    }
    let state = app_state(
        store.clone(),
        clock.clone(),
        Some(token_key),
        args.listen,
        tls.is_some(),
        args.max_body_bytes,
        Some((global.data.clone(), global.details()?)),
    )?;
    let app = leitstand_api::app(state).into_make_service_with_connect_info::<SocketAddr>();
    let targets = Arc::new(crate::notify::TargetPolicy {
        allowed: args.webhook_allow_networks.clone(),
    });
    let notifier = crate::notify::Notifier {
        store: store.clone(),
        clock: clock.clone(),
        smtp: match &args.smtp_url {
            Some(url) => Some(
                lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::from_url(url)
                    .map_err(|e| anyhow::anyhow!("--smtp-url: {e}"))?
                    .build(),
            ),
            None => None,
        },
        from: args
            .mail_from
            .parse()
            .map_err(|e| anyhow::anyhow!("--mail-from `{}`: {e}", args.mail_from))?,
        webhook_secret: match &args.webhook_secret_file {
            Some(path) => Some(
                std::fs::read(path)
                    .map_err(|e| anyhow::anyhow!("--webhook-secret-file {}: {e}", path.display()))?
                    .trim_ascii()
                    .to_vec(),
            ),
            None => None,
        },
        http: crate::notify::webhook_client(targets.clone())
            .map_err(|e| anyhow::anyhow!("the webhook client: {e}"))?,
        targets,
    };
    tokio::spawn(notifier.run());
    let handle = axum_server::Handle::new();
    let shutdown = handle.clone();
    tokio::spawn(async move {
        wait_for_signal().await;
        tracing::info!("shutting down; letting in-flight requests finish");
        shutdown.graceful_shutdown(Some(Duration::from_secs(30)));
    });
    tracing::info!(listen = %args.listen, tls = tls.is_some(), "serving");
    match tls {
        Some((cert, key)) => {
            let _ = rustls::crypto::ring::default_provider().install_default();
            let config = axum_server::tls_rustls::RustlsConfig::from_pem_file(&cert, &key)
                .await
                .with_context(|| {
                    format!(
                        "load TLS certificate {} and key {}",
                        cert.display(),
                        key.display()
                    )
                })?;
            axum_server::bind_rustls(args.listen, config)
                .handle(handle)
                .serve(app)
                .await
                .context("serve")?;
        }
        None => {
            axum_server::bind(args.listen)
                .handle(handle)
                .serve(app)
                .await
                .context("serve")?;
        }
    }
    store.close().await;
    Ok(std::process::ExitCode::SUCCESS)
}

/// Builds the application state for a server listening on `listen`.
pub fn app_state(
    store: Arc<leitstand_store::Store>,
    clock: Arc<dyn Clock>,
    token_key: Option<keys::LocalKey>,
    listen: SocketAddr,
    tls: bool,
    max_body_bytes: usize,
    // The data directory, and where cost detail files live.
    data: Option<(std::path::PathBuf, leitstand_costs::objects::DetailStore)>,
) -> anyhow::Result<AppState> {
    let (data_dir, details) = data.unzip();
    let port = listen.port();
    let scheme = if tls { "https" } else { "http" };
    let mut audiences = vec![
        format!("{scheme}://{listen}/"),
        format!("{scheme}://localhost:{port}/"),
        format!("{scheme}://127.0.0.1:{port}/"),
        leitstand_api::auth::GENERIC_AUDIENCE.to_owned(),
    ];
    audiences.dedup();
    Ok(AppState {
        store,
        clock,
        config: Arc::new(Config {
            listen: listen.to_string(),
            tls,
            audiences,
            max_body_bytes,
            data_dir,
            details,
        }),
        token_key: token_key.map(Arc::new),
        token_keys: Arc::new(leitstand_api::auth::KeyCache::default()),
        metrics: Arc::new(leitstand_api::metrics::Metrics::new()?),
        renders: Arc::new(leitstand_api::cache::RenderCache::default()),
    })
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(e) => {
                    tracing::error!(error = %e, "failed to listen for SIGTERM");
                    let _ = tokio::signal::ctrl_c().await;
                    return;
                }
            };
        tokio::select! {
            _ = term.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
