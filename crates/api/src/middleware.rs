//! The outer middleware: request and correlation ids on every response, the operation label
//! and latency recorded for metrics, and one tracing span per request.

use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

use crate::AppState;

/// The operation label a handler sets for metrics.
#[derive(Debug, Clone, Copy)]
pub struct OpLabel(pub &'static str);

/// The correlation id of the request (the client's, or a new one).
#[derive(Debug, Clone)]
pub struct CorrelationId(pub String);

/// Stamps ids, records metrics, and opens the request span.
pub async fn stamp(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let started = Instant::now();
    let request_id = uuid::Uuid::new_v4().to_string();
    let correlation = request
        .headers()
        .get("x-ms-correlation-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 128)
        .map(str::to_owned)
        .unwrap_or_else(|| request_id.clone());
    request
        .extensions_mut()
        .insert(CorrelationId(correlation.clone()));
    let span = tracing::info_span!("request", method = %request.method(), path = %request.uri().path(), request_id = %request_id);
    let mut response = next.run(request).instrument(span).await;
    let label = response
        .extensions()
        .get::<OpLabel>()
        .map(|l| l.0)
        .unwrap_or("other");
    tracing::debug!(
        operation = label,
        status = response.status().as_u16(),
        micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
        request_id = %request_id,
        "request done"
    );
    state.metrics.observe(
        label,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        headers.insert("x-ms-request-id", v);
    }
    if let Ok(v) = HeaderValue::from_str(&correlation) {
        headers.insert("x-ms-correlation-request-id", v);
    }
    response
}

/// Rewrites the request path with doubled slashes folded and a trailing slash dropped.
pub fn normalize_uri(request: &mut Request) {
    let path = request.uri().path();
    if !path.contains("//") && (path.len() <= 1 || !path.ends_with('/')) {
        return;
    }
    let normalized = crate::arm::normalize_path(path);
    let path_and_query = match request.uri().query() {
        Some(q) => format!("{normalized}?{q}"),
        None => normalized,
    };
    let mut parts = request.uri().clone().into_parts();
    if let Ok(pq) = path_and_query.parse() {
        parts.path_and_query = Some(pq);
        if let Ok(uri) = axum::http::Uri::from_parts(parts) {
            *request.uri_mut() = uri;
        }
    }
}
