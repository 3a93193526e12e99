//! A consumer's subscriptions: the APIs it may call, kept in its spec's `subscriptions` list.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use serde_json::{Value, json};

use super::resources::existing;
use super::{Caller, Shared, accept, change, check_if_match, tagged};
use crate::auth::{Permission, Role};
use crate::document::Scope;
use crate::kinds::ResourceKind;
use crate::problem::ApiError;
use crate::store::Tx;
use crate::store::resources::{self, Record};

/// The routes of subscriptions.
pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/api/v1/consumers/{consumer}/subscriptions", get(list))
        .route(
            "/api/v1/consumers/{consumer}/subscriptions/{api}",
            put(subscribe).delete(unsubscribe),
        )
}

fn subscriptions(record: &Record) -> Vec<String> {
    record.spec["subscriptions"]
        .as_array()
        .map(|apis| {
            apis.iter()
                .filter_map(|api| api.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

async fn list(
    State(app): State<Shared>,
    caller: Caller,
    Path(consumer): Path<String>,
) -> Result<Response, ApiError> {
    caller.principal.allow(Permission::Read)?;
    let record = existing(&app, ResourceKind::Consumer, consumer).await?;
    Ok(tagged(
        StatusCode::OK,
        &json!({"items": subscriptions(&record)}),
        record.etag,
    ))
}

/// Rewrites the consumer's subscription list with `edit` inside a change, audited as `action`.
fn edit(
    tx: &Tx<'_>,
    (consumer, api): (&str, &str),
    headers: &HeaderMap,
    action: &str,
    edit: impl FnOnce(&mut Vec<String>) -> Result<(), ApiError>,
) -> Result<Record, ApiError> {
    let current = resources::get(&tx.sql, "consumers", consumer)?
        .ok_or_else(|| ApiError::not_found(format!("consumer `{consumer}`")))?;
    check_if_match(headers, current.etag)?;
    let mut list = subscriptions(&current);
    edit(&mut list)?;
    let mut spec = current.spec.clone();
    spec["subscriptions"] = json!(list);
    let record = resources::replace(tx, "consumers", &current, &spec)?;
    accept(tx, Scope::Consumer(consumer), false)?;
    tx.audit(
        action,
        &format!("consumers/{consumer}/subscriptions/{api}"),
        Some(&Value::from(subscriptions(&current))),
        Some(&Value::from(subscriptions(&record))),
    )?;
    Ok(record)
}

async fn subscribe(
    State(app): State<Shared>,
    caller: Caller,
    Path((consumer, api)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let actor = caller.actor(Permission::Role(&Role::Security))?;
    let record = change(&app, actor, move |tx| {
        if resources::get(&tx.sql, "apis", &api)?.is_none() {
            return Err(ApiError::not_found(format!("api `{api}`")));
        }
        edit(
            tx,
            (&consumer, &api),
            &headers,
            "subscription.add",
            |list| {
                if !list.contains(&api) {
                    list.push(api.clone());
                }
                Ok(())
            },
        )
    })
    .await?;
    Ok(tagged(
        StatusCode::OK,
        &json!({"items": subscriptions(&record)}),
        record.etag,
    ))
}

async fn unsubscribe(
    State(app): State<Shared>,
    caller: Caller,
    Path((consumer, api)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let actor = caller.actor(Permission::Role(&Role::Security))?;
    change(&app, actor, move |tx| {
        edit(
            tx,
            (&consumer, &api),
            &headers,
            "subscription.remove",
            |list| {
                let before = list.len();
                list.retain(|subscribed| *subscribed != api);
                if list.len() == before {
                    return Err(ApiError::not_found(format!(
                        "a subscription of `{consumer}` to `{api}`"
                    )));
                }
                Ok(())
            },
        )
    })
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
