//! The one place where errors become HTTP responses, in FastAPI's shapes. Each function has
//! its own error enum with its own messages and converts it into [`ApiError`]; this module
//! decides status, body and headers, and logs the causes of 5xx answers (never the client).

use lambda_http::http::{header, HeaderValue, StatusCode};
use lambda_http::{Body, Response};
use serde::Serialize;
use serde_json::{json, Value};

use super::json_response;
use crate::auth::{AuthError, NotAManager};
use crate::budget::Exhausted;
use crate::store::StoreError;
use crate::BoxError;

/// The response header that carries the request id (the body's `request_id` on errors).
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// One entry of a 422 `detail` list, shaped like a pydantic v2 error.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ValidationIssue {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub loc: Vec<Value>,
    pub msg: String,
    pub input: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ctx: Option<Value>,
}

impl ValidationIssue {
    pub fn new(kind: &'static str, loc: Vec<Value>, msg: impl Into<String>, input: Value) -> Self {
        Self {
            kind,
            loc,
            msg: msg.into(),
            input,
            ctx: None,
        }
    }

    pub fn with_ctx(mut self, ctx: Value) -> Self {
        self.ctx = Some(ctx);
        self
    }
}

/// Everything a request can end in other than success, by HTTP meaning.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    Unauthenticated(#[from] AuthError),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Forbidden(String),
    /// The tenant is deactivated (403, code `tenant_deactivated`).
    #[error("{0}")]
    TenantDeactivated(String),
    /// A limit of the tenant is reached, such as its seats (403, code `quota_exceeded`).
    #[error("{0}")]
    QuotaExceeded(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Gone(String),
    #[error("{0}")]
    TooManyRequests(String),
    #[error("Method Not Allowed")]
    MethodNotAllowed { allow: String },
    #[error("Request body too large (at most {limit} bytes)")]
    PayloadTooLarge { limit: usize },
    #[error("request validation failed")]
    Validation(Vec<ValidationIssue>),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A dependency other than the store could not be reached: 503 with `detail`.
    #[error("{detail}")]
    DependencyUnavailable {
        detail: &'static str,
        #[source]
        cause: BoxError,
    },
    /// A dependency other than the store refused the work: 502 with `detail`.
    #[error("{detail}")]
    DependencyRefused {
        detail: &'static str,
        #[source]
        cause: BoxError,
    },
    /// The request's deadline came before it was done.
    #[error(transparent)]
    OutOfTime(#[from] Exhausted),
}

/// A request that failed validation: every problem found, reported at once (422).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("request validation failed")]
pub struct Invalid(pub Vec<ValidationIssue>);

impl From<ValidationIssue> for Invalid {
    fn from(issue: ValidationIssue) -> Self {
        Self(vec![issue])
    }
}

impl From<Invalid> for ApiError {
    fn from(invalid: Invalid) -> Self {
        Self::Validation(invalid.0)
    }
}

impl From<NotAManager> for ApiError {
    fn from(error: NotAManager) -> Self {
        Self::Forbidden(error.to_string())
    }
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Unauthenticated(AuthError::ForeignOrigin) => StatusCode::FORBIDDEN,
            Self::Unauthenticated(AuthError::Unavailable) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Unauthenticated(AuthError::Internal) => StatusCode::INTERNAL_SERVER_ERROR,
            Self::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Forbidden(_) | Self::TenantDeactivated(_) | Self::QuotaExceeded(_) => {
                StatusCode::FORBIDDEN
            }
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::Gone(_) => StatusCode::GONE,
            Self::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Store(error) if error.is_transient() => StatusCode::SERVICE_UNAVAILABLE,
            Self::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
            Self::DependencyUnavailable { .. } | Self::OutOfTime(_) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            Self::DependencyRefused { .. } => StatusCode::BAD_GATEWAY,
        }
    }

    /// The body's `code`, from the closed set today's client (ksapi 3.x) documents. 405 is a
    /// `bad_request` (the operation does not exist for that method), 410 a `conflict` (the
    /// invite's state refuses it, as 409 does), 502 a generic `error` (the email service
    /// refused the message: not worth retrying as is).
    pub fn code(&self) -> &'static str {
        match self {
            Self::TenantDeactivated(_) => return "tenant_deactivated",
            Self::QuotaExceeded(_) => return "quota_exceeded",
            _ => {}
        }
        match self.status().as_u16() {
            401 => "unauthorized",
            403 => "forbidden",
            404 => "not_found",
            409 | 410 => "conflict",
            413 => "payload_too_large",
            415 => "unsupported_media_type",
            422 => "unprocessable_entity",
            429 => "too_many_requests",
            503 => "service_unavailable",
            500 => "internal_error",
            400..=499 => "bad_request",
            _ => "error",
        }
    }

    /// The body's `detail`: a message the caller can act on, never an internal cause.
    fn detail(&self) -> Value {
        match self {
            Self::Validation(issues) => json!(issues),
            Self::Store(error) if error.is_transient() => json!(
                "The invite store is temporarily unavailable. Nothing was changed by this \
                 request; retry in a few seconds."
            ),
            Self::Store(_) => json!("Internal Server Error"),
            Self::OutOfTime(_) => json!(
                "The request could not be completed in time because a service it depends on \
                 is slow. Retry in a few seconds; repeating the same request is safe."
            ),
            other => json!(other.to_string()),
        }
    }

    /// The answer: `{detail, code, request_id}` (422s keep FastAPI's `detail` list), with
    /// `x-request-id` equal to `request_id`.
    pub fn into_response(self, request_id: &str) -> Response<Body> {
        let status = self.status();
        if status.is_server_error() {
            // The cause chain goes to the log only.
            tracing::error!(status = status.as_u16(), error = %error_chain(&self), "request failed");
        }
        let body = json!({
            "detail": self.detail(),
            "code": self.code(),
            "request_id": request_id,
        });
        let mut response = json_response(status, &body);
        let headers = response.headers_mut();
        if let Ok(value) = HeaderValue::from_str(request_id) {
            headers.insert(REQUEST_ID_HEADER, value);
        }
        match self {
            Self::Unauthenticated(
                AuthError::ForeignOrigin | AuthError::Unavailable | AuthError::Internal,
            ) => {}
            Self::Unauthenticated(_) => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            Self::MethodNotAllowed { allow } => {
                if let Ok(value) = HeaderValue::from_str(&allow) {
                    headers.insert(header::ALLOW, value);
                }
            }
            _ => {}
        }
        response
    }
}

/// `error: cause: cause…` for the log.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
