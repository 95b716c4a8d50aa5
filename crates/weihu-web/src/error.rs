//! The one place where errors become HTTP responses. Every API error has the shape
//! `{"error": {"code", "message", "field"?}}`; internal errors are logged and never leaked.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use weihu_store::StoreError;

#[derive(Debug)]
pub enum ApiError {
    /// 400: the request could not be read (bad JSON, bad query string).
    BadRequest {
        field: Option<String>,
        message: String,
    },
    /// 401: no valid credentials.
    Unauthorized,
    /// 403: a CSRF or origin check failed.
    CsrfRejected,
    /// 413: the body is larger than allowed.
    TooLarge,
    /// 415: the body is not JSON.
    UnsupportedMediaType,
    /// 413: the request asks for more work than one response may hold (`field`, the limit in
    /// the message).
    OverLimit { field: String, message: String },
    /// 429: every worker for this kind of work is busy; try again after `retry_after` seconds.
    Busy { retry_after: u64 },
    /// 500: something on our side failed (a template, a document renderer, a caught panic):
    /// logged with `what` and the cause, answered without either.
    Internal { what: &'static str, cause: String },
    /// Anything the store refused or failed at.
    Store(StoreError),
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        ApiError::Store(e)
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// A stable machine-readable code: `invalid`, `not_found`, `conflict`, ...
    pub code: &'static str,
    pub message: String,
    /// The offending field, where one is to blame.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl ApiError {
    pub fn internal(what: &'static str, cause: impl std::fmt::Display) -> Self {
        ApiError::Internal {
            what,
            cause: cause.to_string(),
        }
    }

    pub fn bad_request(field: Option<String>, message: impl Into<String>) -> Self {
        ApiError::BadRequest {
            field,
            message: message.into(),
        }
    }

    /// Status, code, message and field of this error.
    pub fn parts(&self) -> (StatusCode, &'static str, String, Option<String>) {
        use StoreError as S;
        match self {
            ApiError::BadRequest { field, message } => (
                StatusCode::BAD_REQUEST,
                "bad_request",
                message.clone(),
                field.clone(),
            ),
            ApiError::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "sign in or send a valid bearer token".into(),
                None,
            ),
            ApiError::CsrfRejected => (
                StatusCode::FORBIDDEN,
                "csrf",
                "the request did not come from this site's own form (missing or wrong CSRF token)"
                    .into(),
                None,
            ),
            ApiError::TooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                "the request body is too large".into(),
                None,
            ),
            ApiError::UnsupportedMediaType => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send Content-Type: application/json".into(),
                None,
            ),
            ApiError::OverLimit { field, message } => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                message.clone(),
                Some(field.clone()),
            ),
            ApiError::Busy { retry_after } => (
                StatusCode::TOO_MANY_REQUESTS,
                "busy",
                format!("the server is busy with other documents; try again in {retry_after} s"),
                None,
            ),
            ApiError::Internal { what, cause } => {
                tracing::error!(what, cause, "internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "internal error; it has been logged".into(),
                    None,
                )
            }
            ApiError::Store(e) => match e {
                S::NotFound => (StatusCode::NOT_FOUND, "not_found", "not found".into(), None),
                S::Forbidden(m) => (StatusCode::FORBIDDEN, "forbidden", (*m).into(), None),
                S::Conflict { .. } => (
                    StatusCode::CONFLICT,
                    "conflict",
                    e.to_string(),
                    Some("version".into()),
                ),
                S::Invalid { field, message } => (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid",
                    message.clone(),
                    Some(field.clone()),
                ),
                S::Duplicate { field } => (
                    StatusCode::CONFLICT,
                    "duplicate",
                    format!("{field} is already taken"),
                    Some(field.clone()),
                ),
                S::Throttled { .. } => (
                    StatusCode::TOO_MANY_REQUESTS,
                    "throttled",
                    "too many failed attempts; try again later".into(),
                    None,
                ),
                S::WriterStopped => (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "the server is shutting down; try again on another instance".into(),
                    None,
                ),
                S::SchemaTooNew { .. }
                | S::Db(_)
                | S::Migrate(_)
                | S::Io(_)
                | S::Format(_)
                | S::Corrupt { .. }
                | S::NotEmpty(_)
                | S::BadFile { .. }
                | S::Unsupported(_)
                | S::Hashing(_) => {
                    // A read that failed on the replica is answered again from the primary
                    // (`read_route`): a warning, not an error of the request.
                    if weihu_store::replica::ReadRoute::current().is_some_and(|r| r.used_replica())
                    {
                        tracing::warn!(error = %e, "a read on the replica failed; retrying on the primary");
                    } else {
                        tracing::error!(error = %e, "internal error");
                    }
                    (
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "internal",
                        "internal error; it has been logged".into(),
                        None,
                    )
                }
            },
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let retry = match &self {
            ApiError::Store(StoreError::Throttled { until_ms }) => {
                Some(((until_ms - weihu_store::now_ms()) / 1000).max(1))
            }
            ApiError::Busy { retry_after } => i64::try_from(*retry_after).ok(),
            _ => None,
        };
        let (status, code, message, field) = self.parts();
        let mut resp = (
            status,
            Json(ErrorBody {
                error: ErrorDetail {
                    code,
                    message,
                    field,
                },
            }),
        )
            .into_response();
        if let Some(secs) = retry
            && let Ok(v) = HeaderValue::from_str(&secs.to_string())
        {
            resp.headers_mut().insert(header::RETRY_AFTER, v);
        }
        resp
    }
}

impl ApiError {
    /// For layers that need a plain response (the panic catcher).
    pub fn into_response_body(self) -> Response {
        self.into_response()
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
