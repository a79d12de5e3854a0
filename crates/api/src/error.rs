//! `ApiError`: every refusal a client can see, rendered as ARM's error body
//! `{"error": {"code", "message", "target"}}` with the status the code fixes.
//!
//! A 5xx never shows its cause to the client: the full error is logged where it is rendered.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use leitstand_core::ErrorCode;
use leitstand_store::StoreError;
use serde_json::json;

/// An error answered to a client.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    /// The offending JSON path or parameter, when there is one.
    pub target: Option<String>,
}

impl ApiError {
    /// Creates an error with a code and message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError {
            code,
            message: message.into(),
            target: None,
        }
    }

    /// Names the offending JSON path or parameter.
    pub fn at(mut self, target: impl Into<String>) -> Self {
        self.target = Some(target.into());
        self
    }

    /// Returns the HTTP status.
    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// Returns the ARM error body.
    pub fn body(&self) -> serde_json::Value {
        let mut error = json!({ "code": self.code.as_str(), "message": self.message });
        if let (Some(target), Some(obj)) = (&self.target, error.as_object_mut()) {
            obj.insert("target".into(), json!(target));
        }
        json!({ "error": error })
    }

    /// An internal failure: logged in full, answered generically.
    pub fn internal(context: &str, err: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %err, "failed to {context}");
        ApiError::new(
            ErrorCode::InternalServerError,
            "the server met an internal error; the request was not carried out",
        )
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::TenantNotFound(t) => {
                ApiError::new(ErrorCode::NotFound, format!("tenant `{t}` was not found"))
            }
            StoreError::Conflict(m) => ApiError::new(ErrorCode::Conflict, m),
            StoreError::NotFound(m) => ApiError::new(ErrorCode::NotFound, m),
            other => ApiError::internal("access the store", &other),
        }
    }
}

impl From<leitstand_core::tree::TreeError> for ApiError {
    fn from(err: leitstand_core::tree::TreeError) -> Self {
        ApiError::new(err.code(), err.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status(), axum::Json(self.body())).into_response();
        response.extensions_mut().insert(self);
        response
    }
}
