//! RFC 9457 problem details: every error the simulated systems answer with is
//! an `application/problem+json` body whose `type` is stable per problem kind.

use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};
use serde_json::json;

use crate::error::Error;

/// Prefix of every problem `type` URI; the kind's slug follows.
pub const TYPE_PREFIX: &str = "https://problems.example.com/";

/// A problem+json response with `status`, the `kind` slug and a `detail`.
pub fn problem(status: StatusCode, kind: &str, detail: &str) -> Response {
    let body = json!({
        "type": format!("{TYPE_PREFIX}{kind}"),
        "title": status.canonical_reason().unwrap_or("Error"),
        "status": status.as_u16(),
        "detail": detail,
    });
    let mut response = (status, body.to_string()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    response
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        problem(self.status(), self.kind(), &self.to_string())
    }
}
