//! The one API error type: `{"error": {"code", "message"}}` with the right
//! status. 5xx bodies never carry internals; those go to the log.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

/// An error answered to an API client.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A structured parameter is invalid (400); the message says what to fix.
    #[error("{0}")]
    BadRequest(String),
    /// No such document or route (404).
    #[error("{0}")]
    NotFound(String),
    /// No valid bearer token (401).
    #[error("a valid bearer token is required (Authorization: Bearer SECRET)")]
    Unauthorized,
    /// The token's role is not enough (403).
    #[error("{0}")]
    Forbidden(String),
    /// Too many failed authentications from this address (429).
    #[error("too many failed attempts; wait a minute")]
    TooManyRequests,
    /// A write without `If-Match` (428).
    #[error("send the document's ETag in If-Match (GET /api/docs/{{id}} returns it)")]
    PreconditionRequired,
    /// A write with a stale `If-Match` (412); carries the current ETag.
    #[error("the document changed since you read it; its ETag is now {0}; reload and try again")]
    PreconditionFailed(String),
    /// The request conflicts with the document (409).
    #[error("{0}")]
    Conflict(String),
    /// The request took longer than the server allows (503).
    #[error("the request took too long")]
    Timeout,
    /// Anything else (500); the detail is logged, not returned.
    #[error("internal error")]
    Internal(String),
}

/// The JSON error body.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// Code and message of an error.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code: bad_request, not_found, timeout, internal.
    pub code: String,
    /// Human-readable explanation.
    pub message: String,
}

impl ApiError {
    /// An internal error, logged with its cause.
    pub fn internal(cause: impl std::fmt::Display) -> ApiError {
        ApiError::Internal(cause.to_string())
    }

    fn parts(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized"),
            ApiError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            ApiError::TooManyRequests => (StatusCode::TOO_MANY_REQUESTS, "too_many_requests"),
            ApiError::PreconditionRequired => {
                (StatusCode::PRECONDITION_REQUIRED, "precondition_required")
            }
            ApiError::PreconditionFailed(_) => {
                (StatusCode::PRECONDITION_FAILED, "precondition_failed")
            }
            ApiError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            ApiError::Timeout => (StatusCode::SERVICE_UNAVAILABLE, "timeout"),
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.parts();
        if let ApiError::Internal(cause) = &self {
            tracing::error!(cause = %cause, "internal error");
        }
        let body = ErrorBody {
            error: ErrorDetail {
                code: code.to_string(),
                message: self.to_string(),
            },
        };
        (status, Json(body)).into_response()
    }
}

impl From<crate::search::SearchError> for ApiError {
    fn from(e: crate::search::SearchError) -> ApiError {
        match e {
            crate::search::SearchError::InvalidParam { .. } => ApiError::BadRequest(e.to_string()),
            other => ApiError::internal(other),
        }
    }
}

impl From<crate::index::IndexError> for ApiError {
    fn from(e: crate::index::IndexError) -> ApiError {
        ApiError::internal(e)
    }
}

impl From<tantivy::TantivyError> for ApiError {
    fn from(e: tantivy::TantivyError) -> ApiError {
        ApiError::internal(e)
    }
}
