//! The HTTP face of a collection: axum routes under a base path (such as
//! `/erp/inventory/stock-levels`) for list and create, read and merge-patch
//! update of `/{id}`, `POST /{id}/{action}` for each action and
//! `GET /{id}/{view}` for each view. Successful answers are JSON with an
//! `ETag` (and `Location` on create); failures are problem+json.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{get, post};
use http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use serde_json::{Map, Value, json};

use crate::collection::{Collection, Stored};
use crate::error::Error;
use crate::rules::{Action, View};

/// Header naming the key that makes a POST safe to retry.
const IDEMPOTENCY_KEY: &str = "idempotency-key";

/// A collection mounted at a base path.
#[derive(Clone)]
struct Mount {
    base: Arc<str>,
    collection: Arc<Collection>,
}

/// The routes serving `collection` under `base`.
pub fn routes(base: &str, collection: Collection) -> Router {
    let rules = collection.rules();
    let mut router = Router::new()
        .route(base, get(list).post(create))
        .route(&format!("{base}/{{id}}"), get(read).patch(update));
    for action in rules.actions() {
        router = router.route(
            &format!("{base}/{{id}}/{}", action.name),
            post(
                move |State(mount): State<Mount>,
                      Path(id): Path<String>,
                      headers: HeaderMap,
                      body: Bytes| async move {
                    act(&mount, action, &id, &headers, &body)
                },
            ),
        );
    }
    for view in rules.views() {
        router = router.route(
            &format!("{base}/{{id}}/{}", view.name),
            get(
                move |State(mount): State<Mount>, Path(id): Path<String>| async move {
                    render(&mount, view, &id)
                },
            ),
        );
    }
    router.with_state(Mount {
        base: base.into(),
        collection: Arc::new(collection),
    })
}

async fn list(
    State(mount): State<Mount>,
    uri: Uri,
    params: Result<Query<Vec<(String, String)>>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Ok(Query(params)) = params else {
        return Error::InvalidQuery {
            name: "query".into(),
            reason: "not a valid query string".into(),
        }
        .into_response();
    };
    match mount.collection.list(&params) {
        Ok(page) => {
            let mut links = Map::new();
            links.insert("self".into(), Value::String(uri.to_string()));
            let mut body = Map::new();
            body.insert("items".into(), Value::from(page.items));
            if let Some(cursor) = page.next_cursor {
                let next = next_link(uri.path(), uri.query().unwrap_or(""), &cursor);
                links.insert("next".into(), Value::String(next));
                body.insert("next_cursor".into(), Value::String(cursor));
            }
            body.insert("links".into(), Value::Object(links));
            Json(body).into_response()
        }
        Err(error) => error.into_response(),
    }
}

async fn create(State(mount): State<Mount>, headers: HeaderMap, body: Bytes) -> Response {
    let created = parse_json(&body, None).and_then(|body| {
        mount
            .collection
            .create(&body, header_text(&headers, IDEMPOTENCY_KEY))
    });
    match created {
        Ok(stored) => {
            let location = record_path(&mount.base, &stored);
            let mut response = with_etag(StatusCode::CREATED, &stored);
            if let Ok(location) = HeaderValue::from_str(&location) {
                response.headers_mut().insert(header::LOCATION, location);
            }
            response
        }
        Err(error) => error.into_response(),
    }
}

async fn read(State(mount): State<Mount>, Path(id): Path<String>) -> Response {
    match mount.collection.get(&id) {
        Ok(stored) => with_etag(StatusCode::OK, &stored),
        Err(error) => error.into_response(),
    }
}

async fn update(
    State(mount): State<Mount>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let updated = parse_json(&body, None).and_then(|patch| {
        mount.collection.update(
            &id,
            &patch,
            header_text(&headers, header::IF_MATCH.as_str()),
        )
    });
    match updated {
        Ok(stored) => with_etag(StatusCode::OK, &stored),
        Err(error) => error.into_response(),
    }
}

fn act(mount: &Mount, action: &Action, id: &str, headers: &HeaderMap, body: &[u8]) -> Response {
    let acted = parse_json(body, Some(json!({}))).and_then(|body| {
        mount.collection.act(
            action,
            id,
            &body,
            header_text(headers, IDEMPOTENCY_KEY),
            header_text(headers, header::IF_MATCH.as_str()),
        )
    });
    match acted {
        Ok(stored) => with_etag(StatusCode::OK, &stored),
        Err(error) => error.into_response(),
    }
}

fn render(mount: &Mount, view: &View, id: &str) -> Response {
    match mount.collection.get(id) {
        Ok(stored) => Json((view.render)(&stored.record)).into_response(),
        Err(error) => error.into_response(),
    }
}

/// The request body as JSON; an empty body is `empty` when that is allowed.
fn parse_json(body: &[u8], empty: Option<Value>) -> Result<Value, Error> {
    if body.iter().all(u8::is_ascii_whitespace)
        && let Some(empty) = empty
    {
        return Ok(empty);
    }
    serde_json::from_slice(body).map_err(|error| Error::InvalidBody(error.to_string()))
}

fn header_text<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|value| value.to_str().ok())
}

fn with_etag(status: StatusCode, stored: &Stored) -> Response {
    let mut response = (status, Json(&stored.record)).into_response();
    if let Ok(etag) = HeaderValue::from_str(&stored.etag) {
        response.headers_mut().insert(header::ETAG, etag);
    }
    response
}

fn record_path(base: &str, stored: &Stored) -> String {
    let id = stored
        .record
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or_default();
    format!("{base}/{id}")
}

/// The link to the next page: this request's query with `cursor` replaced.
fn next_link(path: &str, raw_query: &str, cursor: &str) -> String {
    let mut pairs: Vec<&str> = raw_query
        .split('&')
        .filter(|pair| !pair.is_empty() && pair.split('=').next() != Some("cursor"))
        .collect();
    let cursor = format!("cursor={cursor}");
    pairs.push(&cursor);
    format!("{path}?{}", pairs.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_link_replaces_the_cursor() {
        assert_eq!(next_link("/a", "", "c2"), "/a?cursor=c2");
        assert_eq!(
            next_link("/a", "limit=5&cursor=c1&sku=X%20Y", "c2"),
            "/a?limit=5&sku=X%20Y&cursor=c2"
        );
    }

    #[test]
    fn empty_bodies_only_where_allowed() {
        assert_eq!(parse_json(b" ", Some(json!({}))), Ok(json!({})));
        assert!(parse_json(b"", None).is_err());
        assert_eq!(parse_json(br#"{"a":1}"#, None), Ok(json!({"a": 1})));
    }
}
