//! Leitstand's HTTP surface: the ARM routes (one dispatcher over the closed [`ops::Operation`]
//! list), sign-in, health, Prometheus metrics and the OpenAPI document.
//!
//! Flow of an ARM request: [`middleware`] stamps request and correlation ids and records
//! metrics; [`arm::dispatch`] maps method and path to an `Operation`, checks the api-version,
//! authenticates the bearer token, authorizes the operation's action for the caller, reads
//! and parses the body, and calls the operation's handler. Writes run through
//! [`write::run_write`], which commits the change and its activity-log event together.

pub mod access;
pub mod arm;
pub mod auth;
pub mod body;
pub mod cache;
pub mod error;
pub mod handlers;
pub mod keys;
pub mod metrics;
pub mod middleware;
pub mod openapi;
pub mod ops;
pub mod paging;
pub mod write;

use std::sync::Arc;

use axum::routing::{get, post};
use axum::Router;
use leitstand_core::Clock;
use leitstand_store::Store;

/// What the server was started with, as the API needs it.
#[derive(Debug, Clone)]
pub struct Config {
    /// The listen address, as `host:port`.
    pub listen: String,
    /// Whether the server speaks HTTPS.
    pub tls: bool,
    /// Token audiences this server accepts (its own URLs and the generic one).
    pub audiences: Vec<String>,
    /// The largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// The data directory, where the newest token key is looked up at every token issue
    /// (so `leitstand key rotate` is in force at once).
    pub data_dir: Option<std::path::PathBuf>,
    /// Where cost detail files live (the data directory's `costs`, or an object store); none
    /// without a data directory.
    pub details: Option<leitstand_costs::objects::DetailStore>,
}

/// Shared state of every request.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<Store>,
    pub clock: Arc<dyn Clock>,
    pub config: Arc<Config>,
    /// The key this server signs tokens with (none: the token endpoint refuses).
    pub token_key: Option<Arc<keys::LocalKey>>,
    pub token_keys: Arc<auth::KeyCache>,
    pub metrics: Arc<metrics::Metrics>,
    /// Renderings of hierarchy reads, by tenant version.
    pub renders: Arc<cache::RenderCache>,
}

/// Builds the whole application router. Paths are normalized (`//x` is `/x`, as `az`
/// sends it) before routing, so every route sees the same path.
pub fn app(state: AppState) -> Router {
    let inner = Router::new()
        .route("/healthz", get(handlers::health::healthz))
        .route("/readyz", get(handlers::health::readyz))
        .route("/metrics", get(handlers::health::metrics))
        .route("/openapi.json", get(openapi::serve))
        .route("/metadata/endpoints", get(auth::metadata_endpoints))
        .route(
            "/{tenant}/v2.0/.well-known/openid-configuration",
            get(auth::openid_configuration),
        )
        .route("/{tenant}/oauth2/v2.0/token", post(auth::token))
        .route("/{tenant}/discovery/v2.0/keys", get(auth::jwks))
        .fallback(arm::dispatch)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::stamp,
        ))
        .with_state(state);
    Router::new().fallback_service(tower::service_fn(
        move |mut request: axum::extract::Request| {
            let inner = inner.clone();
            async move {
                middleware::normalize_uri(&mut request);
                tower::ServiceExt::oneshot(inner, request).await
            }
        },
    ))
}
