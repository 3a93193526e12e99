//! Snapshot distribution: the compiled gateway document of the latest revision, long-polled by
//! gateways, and the list of gateways seen polling.
//!
//! `GET /api/v1/snapshot?wait=30s&gateway=ID` with `If-None-Match: "<revision the gateway
//! runs>"` answers at once when a newer revision exists, else waits for the next commit (at most
//! `wait`) and answers 304 if none came. The document of a revision is built once (on the first
//! request for it) and shared by every gateway. Each poll is the gateway's heartbeat.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::{Caller, Params, Shared};
use crate::auth::Permission;
use crate::problem::{ApiError, Kind};
use crate::store::lock;

/// A compiled document, ready to send.
#[derive(Debug)]
pub struct Compiled {
    revision: u64,
    body: Bytes,
}

/// What the control plane knows of a gateway.
#[derive(Debug, Clone)]
pub struct GatewaySeen {
    /// The revision it said it runs (none before its first document).
    pub revision: Option<u64>,
    /// When it last polled.
    pub last_seen: SystemTime,
    /// The address it polled from.
    pub address: String,
}

fn running_revision(headers: &HeaderMap) -> Option<u64> {
    let text = headers.get(header::IF_NONE_MATCH)?.to_str().ok()?;
    text.trim()
        .trim_start_matches("W/")
        .trim_matches('"')
        .parse()
        .ok()
}

fn etag(revision: u64) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{revision}\"")).unwrap_or(HeaderValue::from_static("\"0\""))
}

/// `GET /api/v1/snapshot`.
pub async fn get(
    State(app): State<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    caller: Caller,
    headers: HeaderMap,
    query: Params,
) -> Result<Response, ApiError> {
    caller.principal.allow(Permission::Snapshot)?;
    let params = super::params(query)?;
    let wait = match params.get("wait") {
        None => Duration::ZERO,
        // A longer wait than this control plane allows is shortened, not refused: gateways
        // ask for their own default whatever the control plane's setting.
        Some(text) => canongate_policy::duration::parse(text)
            .map(|wait| wait.min(app.limits.max_wait))
            .map_err(|_| {
                ApiError::new(
                    Kind::InvalidRequest,
                    format!("query `wait`: `{text}` is not a duration (such as `30s`)"),
                )
            })?,
    };
    let running = running_revision(&headers);
    if let Some(id) = params.get("gateway") {
        if !canongate_policy::tracing_context::is_acceptable_request_id(id.as_bytes()) {
            return Err(ApiError::new(
                Kind::InvalidRequest,
                "query `gateway`: ids use letters, digits and `._:-`, at most 128",
            ));
        }
        let seen = GatewaySeen {
            revision: running,
            last_seen: SystemTime::now(),
            address: peer.to_string(),
        };
        lock(&app.gateways).insert(id.clone(), seen);
    }
    let mut revisions = app.revision.subscribe();
    if let Some(running) = running {
        let newer = revisions.wait_for(|current| *current != running);
        let _ = tokio::time::timeout(wait, newer).await;
    }
    let current = *revisions.borrow();
    if running == Some(current) {
        return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, etag(current))]).into_response());
    }
    let compiled = compiled(&app, current).await?;
    Ok((
        StatusCode::OK,
        [
            (header::ETAG, etag(compiled.revision)),
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            ),
        ],
        compiled.body.clone(),
    )
        .into_response())
}

/// The document of `revision` or newer, built once per revision: one build at a time, and a
/// caller arriving during a build waits for it and takes its result when it is new enough.
async fn compiled(app: &Shared, revision: u64) -> Result<Arc<Compiled>, ApiError> {
    let cached = || {
        lock(&app.snapshot)
            .as_ref()
            .filter(|cached| cached.revision >= revision)
            .cloned()
    };
    if let Some(cached) = cached() {
        return Ok(cached);
    }
    let _building = app.building.lock().await;
    if let Some(cached) = cached() {
        return Ok(cached);
    }
    let store_app = app.clone();
    let built = tokio::task::spawn_blocking(move || {
        store_app.store.read_apart(|sql| {
            let revision = crate::store::revision_of(sql)?;
            let body = crate::document::build_json(sql, revision)?;
            Ok(Compiled {
                revision,
                body: Bytes::from(body),
            })
        })
    })
    .await
    .map_err(ApiError::internal)??;
    let built = Arc::new(built);
    let mut cache = lock(&app.snapshot);
    if cache
        .as_ref()
        .is_none_or(|cached| cached.revision < built.revision)
    {
        *cache = Some(built.clone());
    }
    Ok(built)
}

/// Builds the document of every new revision as soon as it is committed, so the gateways'
/// long polls, woken by the same commit, find it built (or being built) rather than each
/// waiting on its own build. Runs for the life of the server.
pub async fn prebuild(app: Shared) {
    let mut revisions = app.revision.subscribe();
    loop {
        let revision = *revisions.borrow_and_update();
        if let Err(error) = compiled(&app, revision).await {
            tracing::warn!(revision, detail = %error.detail, "cannot build the gateway document");
        }
        if revisions.changed().await.is_err() {
            return;
        }
    }
}

/// `GET /api/v1/gateways`: every gateway seen, with the revision it runs; `connected` while it
/// polled within the longest wait plus a grace period.
pub async fn gateways(
    State(app): State<Shared>,
    caller: Caller,
    query: Params,
) -> Result<Response, ApiError> {
    caller.principal.allow(Permission::Read)?;
    let (limit, cursor) = super::page_params(&super::params(query)?)?;
    let horizon = app.limits.max_wait + Duration::from_secs(15);
    let mut seen: Vec<(String, GatewaySeen)> = lock(&app.gateways)
        .iter()
        .filter(|(id, _)| cursor.as_ref().is_none_or(|cursor| *id > cursor))
        .map(|(id, seen)| (id.clone(), seen.clone()))
        .collect();
    seen.sort_by(|a, b| a.0.cmp(&b.0));
    let more = seen.len() > limit;
    seen.truncate(limit);
    let next = more
        .then(|| seen.last().map(|(id, _)| id.clone()))
        .flatten();
    let items = seen
        .into_iter()
        .map(|(id, seen)| {
            let since = seen
                .last_seen
                .duration_since(SystemTime::UNIX_EPOCH)
                .unwrap_or_default();
            json!({
                "id": id,
                "revision": seen.revision,
                "last_seen": crate::store::rfc3339(since.as_millis()),
                "address": seen.address,
                "connected": seen.last_seen.elapsed().unwrap_or_default() < horizon,
            })
        })
        .collect();
    Ok(super::page(items, next))
}
