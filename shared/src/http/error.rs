//! The one place where errors become HTTP responses, in FastAPI's shapes.

use lambda_http::http::{header, HeaderValue, StatusCode};
use lambda_http::{Body, Response};
use serde::Serialize;
use serde_json::{json, Value};

use crate::auth::AuthError;
use crate::mail::MailError;
use crate::store::StoreError;

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

/// Everything a request can end in other than success.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    Unauthenticated(#[from] AuthError),
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("{0}")]
    NotFound(&'static str),
    #[error("{0}")]
    Conflict(&'static str),
    #[error("{0}")]
    Gone(&'static str),
    #[error("Method Not Allowed")]
    MethodNotAllowed { allow: String },
    #[error("Request body too large (at most {limit} bytes)")]
    PayloadTooLarge { limit: usize },
    #[error("request validation failed")]
    Validation(Vec<ValidationIssue>),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Mail(#[from] MailError),
}

impl ApiError {
    pub fn validation(issue: ValidationIssue) -> Self {
        Self::Validation(vec![issue])
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::Gone(_) => StatusCode::GONE,
            Self::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Store(error) if error.is_transient() => StatusCode::SERVICE_UNAVAILABLE,
            Self::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
            Self::Mail(MailError::Unavailable(_)) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Mail(MailError::Rejected(_)) => StatusCode::BAD_GATEWAY,
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
            Self::Mail(MailError::Unavailable(_)) => json!(
                "The invitation email could not be sent because the email service is \
                 unavailable. The invite is saved; repeat the same request to send it again."
            ),
            Self::Mail(MailError::Rejected(_)) => json!(
                "The email service refused the invitation email. The invite is saved; check \
                 the address and repeat the same request to send it again."
            ),
            other => json!(other.to_string()),
        }
    }

    pub fn into_response(self) -> Response<Body> {
        let status = self.status();
        if status.is_server_error() {
            // The cause chain goes to the log only.
            tracing::error!(status = status.as_u16(), error = %error_chain(&self), "request failed");
        }
        let mut response = json_response(status, &json!({ "detail": self.detail() }));
        let headers = response.headers_mut();
        match self {
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

/// A JSON response with the given status.
pub fn json_response<T: Serialize + ?Sized>(status: StatusCode, body: &T) -> Response<Body> {
    // Serialising our own response types cannot fail; fall back to a bare 500 if it ever does.
    let (status, text) = match serde_json::to_string(body) {
        Ok(text) => (status, text),
        Err(_) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            r#"{"detail":"Internal Server Error"}"#.to_owned(),
        ),
    };
    let mut response = Response::new(Body::Text(text));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// 204 with an empty body.
pub fn no_content() -> Response<Body> {
    let mut response = Response::new(Body::Empty);
    *response.status_mut() = StatusCode::NO_CONTENT;
    response
}
