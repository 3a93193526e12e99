//! The admin REST API under `/api/v1`: routes, the request plumbing every handler shares, and
//! the middleware around them.
//!
//! Every request gets an `X-Request-Id` (kept when well-formed, else minted) that is echoed in
//! the response, written into problem bodies and recorded in the audit log. Bodies larger than
//! the limit are refused from their `Content-Length` before a byte is read (and while reading,
//! for chunked bodies). Store work runs on the blocking pool; each change is one transaction.

mod audit;
mod resources;
mod snapshot;
mod subscriptions;
mod versions;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, FromRequestParts, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header, request::Parts};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::sync::watch;

use crate::auth::{Gatekeeper, Permission, Principal};
use crate::governance::Rules;
use crate::problem::{ApiError, Kind, PROBLEM_JSON};
use crate::store::{Actor, Store, Tx};

pub use snapshot::{GatewaySeen, prebuild};

/// Settings of the admin API.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest accepted request body.
    pub max_body_bytes: usize,
    /// Time limit of a request (long polls excepted).
    pub request_timeout: Duration,
    /// Longest `?wait=` of a snapshot long poll.
    pub max_wait: Duration,
}

/// Everything the handlers share.
pub struct App {
    /// The store.
    pub store: Store,
    /// Verifies tokens.
    pub gatekeeper: Gatekeeper,
    /// Lifecycle rules.
    pub rules: Rules,
    /// Request limits.
    pub limits: Limits,
    /// The latest committed revision; long polls wait on it.
    pub revision: watch::Sender<u64>,
    /// The compiled document of the latest revision asked for.
    pub snapshot: Mutex<Option<Arc<snapshot::Compiled>>>,
    /// Held while a document is being built.
    pub building: tokio::sync::Mutex<()>,
    /// Gateways seen polling, by id.
    pub gateways: Mutex<HashMap<String, GatewaySeen>>,
    /// The admin API's OpenAPI document, as JSON.
    pub openapi: Bytes,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("store", &self.store)
            .finish_non_exhaustive()
    }
}

/// Shared state of the handlers.
pub type Shared = Arc<App>;

/// The router of the whole admin API (and `/healthz`).
pub fn router(app: Shared) -> Router {
    let timeout = app.limits.request_timeout;
    let long_poll = app.limits.max_wait + Duration::from_secs(10);
    let timed = Router::new()
        .merge(resources::routes())
        .merge(versions::routes())
        .merge(subscriptions::routes())
        .route("/api/v1/audit", get(audit::list))
        .route("/api/v1/gateways", get(snapshot::gateways))
        .route("/api/v1/openapi.json", get(openapi))
        .route("/healthz", get(healthz))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            timeout,
        ));
    let polled = Router::new()
        .route("/api/v1/snapshot", get(snapshot::get))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            long_poll,
        ));
    timed
        .merge(polled)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(app.clone(), limit_body))
        .layer(middleware::from_fn(request_id))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(app)
}

async fn not_found() -> ApiError {
    ApiError::new(Kind::NotFound, "no admin API operation has this path")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        Kind::MethodNotAllowed,
        "the path exists, but not for this method",
    )
}

async fn openapi(State(app): State<Shared>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        app.openapi.clone(),
    )
        .into_response()
}

async fn healthz(State(app): State<Shared>) -> Response {
    let revision = *app.revision.borrow();
    axum::Json(serde_json::json!({"status": "ok", "revision": revision})).into_response()
}

/// The request's id, set by the request-id middleware.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

async fn request_id(mut request: Request, next: Next) -> Response {
    let id = request
        .headers()
        .get("x-request-id")
        .map(HeaderValue::as_bytes)
        .filter(|value| canongate_policy::tracing_context::is_acceptable_request_id(value))
        .and_then(|value| std::str::from_utf8(value).ok())
        .map(str::to_owned)
        .unwrap_or_else(|| canongate_policy::tracing_context::new_request_id(rand::random()));
    request.extensions_mut().insert(RequestId(id.clone()));
    let mut response = next.run(request).await;
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes() == PROBLEM_JSON.as_bytes());
    if !is_problem && (response.status().is_client_error() || response.status().is_server_error()) {
        response = as_problem(response).await;
    }
    if response.status().is_client_error() || response.status().is_server_error() {
        response = with_request_id(response, &id).await;
    }
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-request-id", value);
    }
    response
}

/// An error answered by the layers under the handlers (the time limit, a path the router could
/// not decode) as a problem of the kind its status means, its text as the detail.
async fn as_problem(response: Response) -> Response {
    let status = response.status();
    let text = axum::body::to_bytes(response.into_body(), 4096)
        .await
        .ok()
        .and_then(|bytes| String::from_utf8(bytes.to_vec()).ok())
        .filter(|text| !text.trim().is_empty())
        .unwrap_or_else(|| {
            status
                .canonical_reason()
                .unwrap_or("the request failed")
                .to_owned()
        });
    ApiError::new(Kind::for_status(status), text).into_response()
}

/// Writes `request_id` into a problem body.
async fn with_request_id(response: Response, id: &str) -> Response {
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 1 << 20).await else {
        return Response::from_parts(parts, Body::empty());
    };
    let mut problem: Value = serde_json::from_slice(&bytes).unwrap_or_default();
    if let Some(object) = problem.as_object_mut() {
        object.insert("request_id".into(), Value::String(id.to_owned()));
    }
    let bytes = serde_json::to_vec(&problem).unwrap_or_default();
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(bytes))
}

async fn limit_body(State(app): State<Shared>, request: Request, next: Next) -> Response {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok()?.parse::<u64>().ok());
    let limit = app.limits.max_body_bytes;
    if declared.is_some_and(|length| length > limit as u64) {
        return too_large(limit).into_response();
    }
    next.run(request).await
}

fn too_large(limit: usize) -> ApiError {
    ApiError::new(
        Kind::PayloadTooLarge,
        format!("the body is larger than the limit of {limit} bytes"),
    )
}

/// The authenticated caller of a request, and its request id.
#[derive(Debug, Clone)]
pub struct Caller {
    /// Who calls.
    pub principal: Principal,
    /// The request's id.
    pub request_id: String,
}

impl Caller {
    /// The audit actor of a change allowed by `permission`, or 403.
    pub fn actor(&self, permission: Permission<'_>) -> Result<Actor, ApiError> {
        Ok(Actor {
            subject: self.principal.subject.clone(),
            role: self.principal.allow(permission)?,
            request_id: self.request_id.clone(),
        })
    }
}

impl FromRequestParts<Shared> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &Shared) -> Result<Self, ApiError> {
        let authorization = parts
            .headers
            .get(header::AUTHORIZATION)
            .map(|value| value.to_str().unwrap_or("\u{0}"));
        let principal = app
            .gatekeeper
            .authenticate(authorization, crate::unix_now())
            .await?;
        let request_id = parts
            .extensions
            .get::<RequestId>()
            .map(|id| id.0.clone())
            .unwrap_or_default();
        Ok(Caller {
            principal,
            request_id,
        })
    }
}

/// A request body, read (up to the size limit: 413 past it) but not yet decoded, so a handler
/// checks the caller's role before it judges the body.
#[derive(Debug)]
pub struct JsonBody {
    bytes: Bytes,
    is_json: bool,
}

impl FromRequest<Shared> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(request: Request, app: &Shared) -> Result<Self, ApiError> {
        let is_json = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.split(';').next())
            .is_some_and(|media| {
                let media = media.trim();
                media.eq_ignore_ascii_case("application/json") || media.ends_with("+json")
            });
        let limit = app.limits.max_body_bytes;
        let bytes = axum::body::to_bytes(request.into_body(), limit)
            .await
            .map_err(|_| too_large(limit))?;
        Ok(JsonBody { bytes, is_json })
    }
}

impl JsonBody {
    /// Whether the request had no body.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// Decodes the body as `T`: 415 when it is not JSON, 400 when the JSON is malformed, 422
    /// with the pointer of the field at fault when it has the wrong shape.
    pub fn decode<T: DeserializeOwned>(&self) -> Result<T, ApiError> {
        if !self.is_json {
            return Err(ApiError::new(
                Kind::UnsupportedMediaType,
                "the body must be JSON (`Content-Type: application/json`)",
            ));
        }
        let value: Value = serde_json::from_slice(&self.bytes).map_err(|error| {
            ApiError::new(
                Kind::InvalidRequest,
                format!("the body is not valid JSON: {error}"),
            )
        })?;
        crate::kinds::decode(&value, "").map_err(|error| {
            let field = if error.field.is_empty() {
                "/".to_owned()
            } else {
                error.field
            };
            ApiError::validation(
                format!("{field}: {}", error.message),
                vec![crate::problem::FieldError::new(field, error.message)],
            )
        })
    }
}

/// The query parameters of a request, with a problem for malformed ones.
pub type Params = Result<Query<HashMap<String, String>>, axum::extract::rejection::QueryRejection>;

/// The query parameters, or 400.
pub fn params(query: Params) -> Result<HashMap<String, String>, ApiError> {
    query
        .map(|Query(map)| map)
        .map_err(|error| ApiError::new(Kind::InvalidRequest, format!("query: {error}")))
}

/// `limit` (1..=500, default 100) and `cursor` of a list request.
pub fn page_params(params: &HashMap<String, String>) -> Result<(usize, Option<String>), ApiError> {
    let limit = match params.get("limit") {
        None => 100,
        Some(text) => text
            .parse::<usize>()
            .ok()
            .filter(|limit| (1..=500).contains(limit))
            .ok_or_else(|| {
                ApiError::new(
                    Kind::InvalidRequest,
                    format!("query `limit`: `{text}` is not a number from 1 to 500"),
                )
            })?,
    };
    Ok((limit, params.get("cursor").cloned()))
}

/// A page of a list: `{"items": [...], "next_cursor": ...}`.
pub fn page(items: Vec<Value>, next_cursor: Option<String>) -> Response {
    axum::Json(serde_json::json!({"items": items, "next_cursor": next_cursor})).into_response()
}

/// The `ETag` value of update counter `etag`.
pub fn etag(etag: i64) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{etag}\"")).unwrap_or(HeaderValue::from_static("\"0\""))
}

/// A JSON response with an ETag.
pub fn tagged(status: StatusCode, body: &Value, tag: i64) -> Response {
    (status, [(header::ETAG, etag(tag))], axum::Json(body)).into_response()
}

/// Checks `If-Match` against the current update counter: 412 when it names another one.
pub fn check_if_match(headers: &HeaderMap, current: i64) -> Result<(), ApiError> {
    let Some(value) = headers.get(header::IF_MATCH) else {
        return Ok(());
    };
    let text = value
        .to_str()
        .map_err(|_| ApiError::new(Kind::InvalidRequest, "`If-Match` is not ASCII"))?;
    let current = format!("\"{current}\"");
    let matches = text.trim() == "*" || text.split(',').any(|tag| tag.trim() == current);
    if matches {
        Ok(())
    } else {
        Err(ApiError::new(
            Kind::PreconditionFailed,
            format!("`If-Match: {text}` is stale; the current ETag is {current}"),
        ))
    }
}

/// Runs a read on the blocking pool.
pub async fn read<T: Send + 'static>(
    app: &Shared,
    read: impl FnOnce(&rusqlite::Connection) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let app = app.clone();
    tokio::task::spawn_blocking(move || app.store.read(read))
        .await
        .map_err(ApiError::internal)?
}

/// Runs a change on the blocking pool as one transaction; wakes the long polls on success.
pub async fn change<T: Send + 'static>(
    app: &Shared,
    actor: Actor,
    change: impl FnOnce(&Tx<'_>) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let store_app = app.clone();
    tokio::task::spawn_blocking(move || {
        let (result, revision) = store_app.store.write(&actor, change)?;
        // Announced here, after the commit, whether or not the request is still awaited (a
        // timed-out request's change is committed all the same); never backwards when two
        // commits announce out of order.
        store_app.revision.send_if_modified(|current| {
            let newer = revision > *current;
            if newer {
                *current = revision;
            }
            newer
        });
        Ok(result)
    })
    .await
    .map_err(ApiError::internal)?
}

/// Refuses a change whose resulting state does not check (`scope`), listing every problem;
/// `conflict` makes it a 409 (a deletion leaving references behind) instead of a 422.
pub fn accept(
    tx: &Tx<'_>,
    scope: crate::document::Scope<'_>,
    conflict: bool,
) -> Result<(), ApiError> {
    let errors = crate::document::check(tx, scope)?;
    if errors.is_empty() {
        return Ok(());
    }
    let detail = format!(
        "the change would leave the registry inconsistent: {}",
        errors
            .iter()
            .map(|error| format!("{}: {}", error.field, error.message))
            .collect::<Vec<_>>()
            .join("; ")
    );
    let mut problem = ApiError::validation(detail, errors);
    if conflict {
        problem.kind = Kind::Conflict;
    }
    Err(problem)
}
