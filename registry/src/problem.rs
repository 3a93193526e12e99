//! Errors the admin API answers: RFC 9457 `application/problem+json` with a stable `type`.
//!
//! Handlers and the store return [`ApiError`]; its [`IntoResponse`] writes the problem body, the
//! request id and, for 401, the `WWW-Authenticate` challenge. Validation problems list every
//! field at fault in `errors` (a JSON pointer into the request body, or `contract:` and a pointer
//! into the OpenAPI document, with its line when known).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Map, Value, json};

/// Media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// One field at fault.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldError {
    /// JSON pointer into the request body, `contract:/pointer` into a contract, or a place in
    /// the compiled gateway document (`consumers.web.tier`).
    pub field: String,
    /// 1-based line in the contract text, when the field is in one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// What is wrong there.
    pub message: String,
}

impl FieldError {
    /// A problem at `field`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            line: None,
            message: message.into(),
        }
    }
}

/// The kinds of problem, each with its status and `type` URN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// 400: the request itself is malformed (JSON syntax, query parameters).
    InvalidRequest,
    /// 401: no credential, or one that is not valid.
    Unauthorized,
    /// 403: the credential's roles do not allow the operation.
    Forbidden,
    /// 404: no such resource.
    NotFound,
    /// 405: the path exists for other methods.
    MethodNotAllowed,
    /// 409: the change conflicts with stored state.
    Conflict,
    /// 409: the semver gate refused a publish.
    BreakingChange,
    /// 409: a lifecycle rule refused the transition.
    LifecycleViolation,
    /// 412: `If-Match` names a stale version.
    PreconditionFailed,
    /// 413: the body is larger than the limit.
    PayloadTooLarge,
    /// 415: the body is not JSON.
    UnsupportedMediaType,
    /// 422: the body is well-formed but breaks a rule.
    ValidationFailed,
    /// 500: the control plane failed.
    Internal,
    /// 503: the request timed out inside the control plane.
    Unavailable,
}

impl Kind {
    /// HTTP status of the kind.
    pub fn status(self) -> StatusCode {
        match self {
            Self::InvalidRequest => StatusCode::BAD_REQUEST,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Forbidden => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict | Self::BreakingChange | Self::LifecycleViolation => {
                StatusCode::CONFLICT
            }
            Self::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::ValidationFailed => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The kind an error status means, for errors raised under the handlers.
    pub fn for_status(status: StatusCode) -> Kind {
        match status.as_u16() {
            400 => Self::InvalidRequest,
            401 => Self::Unauthorized,
            403 => Self::Forbidden,
            404 => Self::NotFound,
            405 => Self::MethodNotAllowed,
            409 => Self::Conflict,
            412 => Self::PreconditionFailed,
            413 => Self::PayloadTooLarge,
            415 => Self::UnsupportedMediaType,
            422 => Self::ValidationFailed,
            408 | 503 | 504 => Self::Unavailable,
            _ => Self::Internal,
        }
    }

    /// The stable slug of the `type` URN.
    pub fn slug(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid-request",
            Self::Unauthorized => "unauthorized",
            Self::Forbidden => "forbidden",
            Self::NotFound => "not-found",
            Self::MethodNotAllowed => "method-not-allowed",
            Self::Conflict => "conflict",
            Self::BreakingChange => "breaking-change",
            Self::LifecycleViolation => "lifecycle-violation",
            Self::PreconditionFailed => "precondition-failed",
            Self::PayloadTooLarge => "payload-too-large",
            Self::UnsupportedMediaType => "unsupported-media-type",
            Self::ValidationFailed => "validation-failed",
            Self::Internal => "internal",
            Self::Unavailable => "unavailable",
        }
    }

    fn title(self) -> &'static str {
        match self {
            Self::InvalidRequest => "Malformed request",
            Self::Unauthorized => "Authentication required",
            Self::Forbidden => "Role not allowed",
            Self::NotFound => "Not found",
            Self::MethodNotAllowed => "Method not allowed",
            Self::Conflict => "Conflict",
            Self::BreakingChange => "Breaking change refused",
            Self::LifecycleViolation => "Lifecycle rule violated",
            Self::PreconditionFailed => "Precondition failed",
            Self::PayloadTooLarge => "Payload too large",
            Self::UnsupportedMediaType => "Unsupported media type",
            Self::ValidationFailed => "Validation failed",
            Self::Internal => "Internal error",
            Self::Unavailable => "Unavailable",
        }
    }
}

/// An error answered as problem+json.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// What kind of problem.
    pub kind: Kind,
    /// One sentence on what was wrong.
    pub detail: String,
    /// The fields at fault.
    pub errors: Vec<FieldError>,
    /// Extension members (`changes`, `required_bump`, …), boxed to keep errors small.
    pub extensions: Box<Map<String, Value>>,
    /// The `WWW-Authenticate` challenge of a 401.
    pub challenge: Option<String>,
}

impl ApiError {
    /// A problem of `kind` saying `detail`.
    pub fn new(kind: Kind, detail: impl Into<String>) -> Self {
        Self {
            kind,
            detail: detail.into(),
            errors: Vec::new(),
            extensions: Box::default(),
            challenge: None,
        }
    }

    /// 422 listing `errors`.
    pub fn validation(detail: impl Into<String>, errors: Vec<FieldError>) -> Self {
        Self {
            errors,
            ..Self::new(Kind::ValidationFailed, detail)
        }
    }

    /// 422 for one field.
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        let error = FieldError::new(field, message);
        Self::validation(format!("{}: {}", error.field, error.message), vec![error])
    }

    /// 404 for `what` (e.g. `team \`ops\``).
    pub fn not_found(what: impl std::fmt::Display) -> Self {
        Self::new(Kind::NotFound, format!("{what} does not exist"))
    }

    /// 409 saying `detail`.
    pub fn conflict(detail: impl Into<String>) -> Self {
        Self::new(Kind::Conflict, detail)
    }

    /// 500 for a failure inside the control plane; the cause is logged, not shown.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(%cause, "internal error in the control plane");
        Self::new(
            Kind::Internal,
            "the control plane failed to complete the request",
        )
    }

    /// Adds an extension member.
    pub fn with(mut self, key: &str, value: Value) -> Self {
        self.extensions.insert(key.to_owned(), value);
        self
    }

    /// The problem body (without the request id, which the response layer adds).
    pub fn body(&self) -> Value {
        let mut body = json!({
            "type": format!("urn:canongate:problem:{}", self.kind.slug()),
            "title": self.kind.title(),
            "status": self.kind.status().as_u16(),
            "detail": self.detail,
        });
        if let Some(object) = body.as_object_mut() {
            if !self.errors.is_empty() {
                object.insert("errors".into(), json!(self.errors));
            }
            object.extend(self.extensions.as_ref().clone());
        }
        body
    }
}

impl From<rusqlite::Error> for ApiError {
    fn from(error: rusqlite::Error) -> Self {
        Self::internal(format!("store: {error}"))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::to_vec(&self.body()).unwrap_or_default();
        let mut response = (self.kind.status(), body).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        if let Some(challenge) = self.challenge.and_then(|c| HeaderValue::from_str(&c).ok()) {
            headers.insert(header::WWW_AUTHENTICATE, challenge);
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_carry_type_status_errors_and_extensions() {
        let error = ApiError::field("/spec/rate/requests", "must be at least 1")
            .with("hint", json!("raise it"));
        let body = error.body();
        assert_eq!(body["type"], "urn:canongate:problem:validation-failed");
        assert_eq!(body["status"], 422);
        assert_eq!(body["errors"][0]["field"], "/spec/rate/requests");
        assert_eq!(body["hint"], "raise it");
        assert!(
            body["detail"]
                .as_str()
                .unwrap()
                .contains("must be at least 1")
        );
    }
}
