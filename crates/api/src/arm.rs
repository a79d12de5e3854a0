//! The ARM dispatcher: every request that is not sign-in, health or metrics lands here and
//! becomes one [`Operation`] with its caller, api-version, query and body ([`Ctx`]).
//!
//! Authorization happens here, before any handler runs ([`crate::access::authorize`]): a
//! handler cannot be reached without its operation's action having been checked for the
//! caller, except the few that the access module names as checked in their handler.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use leitstand_core::ErrorCode;
use leitstand_store::EventDraft;

use crate::auth::{authenticate, Caller};
use crate::body::Body;
use crate::error::ApiError;
use crate::middleware::{CorrelationId, OpLabel};
use crate::ops::{check_api_version, Operation};
use crate::{handlers, AppState};

/// Everything a handler knows about its request.
pub struct Ctx {
    pub op: Operation,
    pub method: Method,
    pub caller: Caller,
    pub api_version: String,
    /// The query string's pairs, as sent.
    pub raw_query: Vec<(String, String)>,
    pub body: Body,
    /// The request content as sent, for the operations that take a file (cost uploads); empty
    /// for the others, whose content is JSON in `body`.
    pub raw_body: axum::body::Bytes,
    pub correlation_id: String,
    pub caller_ip: Option<String>,
    /// `https://host:port`, from the request.
    pub base_url: String,
    /// The normalized request path.
    pub path: String,
    /// What a list may show the caller (set by the authorization check).
    pub visibility: crate::access::Visibility,
}

impl Ctx {
    /// Returns a query parameter, its name matched case-insensitively.
    pub fn query(&self, name: &str) -> Option<&str> {
        self.raw_query
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Starts an activity-log event for this request's operation at `scope`.
    pub fn event(&self, scope: impl Into<String>) -> EventDraft {
        let mut draft = EventDraft::new(
            self.op.action(),
            scope,
            self.caller.principal.id.clone(),
            self.correlation_id.clone(),
        );
        draft.caller_name = Some(self.caller.principal.display_name.clone());
        draft.caller_ip = self.caller_ip.clone();
        draft.method = Some(self.method.to_string());
        draft
    }
}

/// Handles every ARM request.
pub async fn dispatch(State(state): State<AppState>, request: Request) -> Response {
    let mut op_label = "unknown_route";
    let result = dispatch_inner(&state, request, &mut op_label).await;
    let mut response = match result {
        Ok(response) => response,
        Err(err) => err.into_response(),
    };
    response.extensions_mut().insert(OpLabel(op_label));
    response
}

async fn dispatch_inner(
    state: &AppState,
    request: Request,
    label: &mut &'static str,
) -> Result<Response, ApiError> {
    let (parts, body) = request.into_parts();
    let path = normalize_path(parts.uri.path());
    let Some(op) = Operation::parse(&parts.method, &path)? else {
        return Err(ApiError::new(
            ErrorCode::InvalidResourceType,
            format!(
                "no route matches `{} {}`; see /openapi.json for the routes this server serves",
                parts.method, path
            ),
        ));
    };
    *label = op.label();
    let raw_query: Vec<(String, String)> =
        serde_urlencoded::from_str(parts.uri.query().unwrap_or_default())
            .map_err(|_| ApiError::new(ErrorCode::BadRequest, "the query string is not valid"))?;
    let api_version = raw_query
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("api-version"))
        .map(|(_, v)| v.as_str());
    let api_version = check_api_version(op.family(), api_version)?;
    let caller = authenticate(state, &parts.headers).await?;
    let correlation_id = parts
        .extensions
        .get::<CorrelationId>()
        .map(|c| c.0.clone())
        .unwrap_or_default();
    let caller_ip = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string());
    let host = parts
        .headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or(&state.config.listen);
    let base_url = format!(
        "{}://{}",
        if state.config.tls { "https" } else { "http" },
        host
    );
    let bytes = axum::body::to_bytes(body, state.config.max_body_bytes)
        .await
        .map_err(|_| {
            ApiError::new(
                ErrorCode::RequestEntityTooLarge,
                format!(
                    "the request content is larger than the limit of {} bytes",
                    state.config.max_body_bytes
                ),
            )
        })?;
    let takes_file = matches!(op, Operation::UploadCosts);
    let body = if matches!(parts.method, Method::PUT | Method::PATCH | Method::POST) && !takes_file
    {
        Body::parse(&bytes)?
    } else {
        Body::parse(b"")?
    };
    let raw_body = if takes_file {
        bytes
    } else {
        axum::body::Bytes::new()
    };
    let mut ctx = Ctx {
        op,
        method: parts.method,
        caller,
        api_version,
        raw_query,
        body,
        raw_body,
        correlation_id,
        caller_ip,
        base_url,
        path,
        visibility: crate::access::Visibility::All,
    };
    match crate::access::authorize(&ctx, state.clock.now()) {
        Ok(visibility) => ctx.visibility = visibility,
        Err(err) => {
            crate::write::log_refusal(state, &ctx, &ctx.path, &err).await;
            return Err(err);
        }
    }
    let mut response = handlers::handle(state, &ctx).await?;
    if ctx.method == Method::HEAD {
        *response.body_mut() = axum::body::Body::empty();
    }
    Ok(response)
}

/// Folds doubled slashes (`//metadata` as `az` sends it) and drops a trailing slash.
pub fn normalize_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for part in path.split('/').filter(|p| !p.is_empty()) {
        out.push('/');
        out.push_str(part);
    }
    if out.is_empty() {
        out.push('/');
    }
    out
}

/// A JSON response with a status.
pub fn json(status: StatusCode, value: serde_json::Value) -> Response {
    if status == StatusCode::NO_CONTENT || value.is_null() {
        return status.into_response();
    }
    (status, axum::Json(value)).into_response()
}
