//! Contract versions of an API and their lifecycle: drafts, publishing (the governance engine),
//! deprecation and retirement. See [`crate::governance`] for the rules.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use super::resources::existing;
use super::{Caller, JsonBody, Params, Shared, accept, change, check_if_match, read, tagged};
use crate::auth::{Permission, Principal, Role};
use crate::document::Scope;
use crate::governance::{self, Deprecation, Retirement, Submission};
use crate::kinds::{ApiSpec, ResourceKind, decode};
use crate::problem::ApiError;
use crate::store::Tx;
use crate::store::resources;
use crate::store::versions::{self, VersionRow};

/// The routes of versions.
pub fn routes() -> Router<Shared> {
    let one = "/api/v1/apis/{api}/versions/{version}";
    Router::new()
        .route("/api/v1/apis/{api}/versions", get(list).post(create))
        .route(one, get(fetch).put(update).delete(remove))
        .route(&format!("{one}/publish"), post(publish))
        .route(&format!("{one}/deprecate"), post(deprecate))
        .route(&format!("{one}/retire"), post(retire))
}

/// The API's spec, or 404.
async fn api_spec(app: &Shared, api: &str) -> Result<ApiSpec, ApiError> {
    let record = existing(app, ResourceKind::Api, api.to_owned()).await?;
    decode(&record.spec, "").map_err(|error| ApiError::internal(error.message))
}

/// The API's spec inside a change (it may have changed since the request began).
fn api_in(tx: &Tx<'_>, api: &str) -> Result<ApiSpec, ApiError> {
    let record = resources::get(&tx.sql, "apis", api)?
        .ok_or_else(|| ApiError::not_found(format!("api `{api}`")))?;
    decode(&record.spec, "").map_err(|error| ApiError::internal(error.message))
}

/// The API's spec inside a change, with the caller's owner permission checked against it again
/// (the API's owner team may have changed since the request began).
fn owned_in(tx: &Tx<'_>, api: &str, principal: &Principal) -> Result<ApiSpec, ApiError> {
    let spec = api_in(tx, api)?;
    principal.allow(Permission::Owner(&spec.owner_team))?;
    Ok(spec)
}

fn version_in(tx: &Tx<'_>, api: &str, version: &str) -> Result<VersionRow, ApiError> {
    versions::get(&tx.sql, api, version)?
        .ok_or_else(|| ApiError::not_found(format!("version {version} of `{api}`")))
}

fn entity(api: &str, version: &str) -> String {
    format!("apis/{api}/versions/{version}")
}

async fn list(
    State(app): State<Shared>,
    caller: Caller,
    Path(api): Path<String>,
    query: Params,
) -> Result<Response, ApiError> {
    caller.principal.allow(Permission::Read)?;
    let (limit, cursor) = super::page_params(&super::params(query)?)?;
    api_spec(&app, &api).await?;
    let rows = read(&app, move |sql| versions::of_api(sql, &api)).await?;
    let start = cursor
        .and_then(|cursor| rows.iter().position(|row| row.version == cursor))
        .map_or(0, |index| index + 1);
    let items: Vec<&VersionRow> = rows.iter().skip(start).take(limit).collect();
    let next = (start + items.len() < rows.len())
        .then(|| items.last().map(|row| row.version.clone()))
        .flatten();
    Ok(super::page(
        items.iter().map(|row| row.to_json(false)).collect(),
        next,
    ))
}

async fn fetch(
    State(app): State<Shared>,
    caller: Caller,
    Path((api, version)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    caller.principal.allow(Permission::Read)?;
    let row = read(&app, move |sql| {
        versions::get(sql, &api, &version)?
            .ok_or_else(|| ApiError::not_found(format!("version {version} of `{api}`")))
    })
    .await?;
    Ok(tagged(StatusCode::OK, &row.to_json(true), row.etag))
}

async fn create(
    State(app): State<Shared>,
    caller: Caller,
    Path(api): Path<String>,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let spec = api_spec(&app, &api).await?;
    let mut actor = caller.actor(Permission::Owner(&spec.owner_team))?;
    let submission: Submission = body.decode()?;
    if submission.publish {
        actor = caller.actor(Permission::Role(&Role::Architect))?;
    }
    let rules = app.rules;
    let principal = caller.principal.clone();
    let (body, etag, location) = change(&app, actor, move |tx| {
        let spec = owned_in(tx, &api, &principal)?;
        let existing = versions::of_api(&tx.sql, &api)?;
        let mut draft = governance::draft(&api, &submission, &existing)?;
        draft.etag = versions::insert(tx, &draft)?;
        let location = format!("/api/v1/apis/{api}/versions/{}", draft.version);
        let at = entity(&api, &draft.version);
        tx.audit("version.create", &at, None, Some(&draft.to_json(false)))?;
        if !submission.publish {
            accept(tx, Scope::Catalog, false)?;
            return Ok((draft.to_json(false), draft.etag, location));
        }
        let published = governance::publish(&tx.sql, &spec, draft.clone(), &existing, rules)?;
        let etag = versions::update(tx, &published.row)?;
        accept(tx, Scope::Routes, false)?;
        tx.audit(
            "version.publish",
            &at,
            Some(&draft.to_json(false)),
            Some(&published.row.to_json(false)),
        )?;
        Ok((published.to_json(), etag, location))
    })
    .await?;
    let mut response = tagged(StatusCode::CREATED, &body, etag);
    if let Ok(location) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

async fn update(
    State(app): State<Shared>,
    caller: Caller,
    Path((api, version)): Path<(String, String)>,
    headers: HeaderMap,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let spec = api_spec(&app, &api).await?;
    let actor = caller.actor(Permission::Owner(&spec.owner_team))?;
    let submission: Submission = body.decode()?;
    if submission.publish {
        return Err(ApiError::field(
            "/publish",
            "publish a draft with POST …/publish, not by replacing it",
        ));
    }
    let principal = caller.principal.clone();
    let row = change(&app, actor, move |tx| {
        owned_in(tx, &api, &principal)?;
        let current = version_in(tx, &api, &version)?;
        check_if_match(&headers, current.etag)?;
        governance::editable(&current)?;
        let mut next = governance::draft(&api, &submission, std::slice::from_ref(&current))?;
        if next.version != current.version {
            return Err(ApiError::field(
                "contract:/info/version",
                format!(
                    "is {}, but this draft is {}; submit a new version with POST",
                    next.version, current.version
                ),
            ));
        }
        next.created_at.clone_from(&current.created_at);
        next.etag = current.etag;
        next.etag = versions::update(tx, &next)?;
        accept(tx, Scope::Catalog, false)?;
        tx.audit(
            "version.update",
            &entity(&api, &version),
            Some(&current.to_json(true)),
            Some(&next.to_json(true)),
        )?;
        Ok(next)
    })
    .await?;
    Ok(tagged(StatusCode::OK, &row.to_json(false), row.etag))
}

async fn remove(
    State(app): State<Shared>,
    caller: Caller,
    Path((api, version)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let spec = api_spec(&app, &api).await?;
    let actor = caller.actor(Permission::Owner(&spec.owner_team))?;
    let principal = caller.principal.clone();
    change(&app, actor, move |tx| {
        owned_in(tx, &api, &principal)?;
        let current = version_in(tx, &api, &version)?;
        check_if_match(&headers, current.etag)?;
        governance::editable(&current)?;
        versions::delete(tx, &api, &version)?;
        tx.audit(
            "version.delete",
            &entity(&api, &version),
            Some(&current.to_json(true)),
            None,
        )
    })
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Applies a lifecycle transition to one version inside a change: loads it, checks `If-Match`,
/// transitions it, stores it, checks the document and audits `action`.
fn transition(
    tx: &Tx<'_>,
    (api, version): (&str, &str),
    headers: &HeaderMap,
    step: impl FnOnce(VersionRow, &[VersionRow]) -> Result<(VersionRow, String, Value), ApiError>,
) -> Result<(Value, i64), ApiError> {
    let current = version_in(tx, api, version)?;
    check_if_match(headers, current.etag)?;
    let all = versions::of_api(&tx.sql, api)?;
    let (mut next, action, body) = step(current.clone(), &all)?;
    next.etag = versions::update(tx, &next)?;
    accept(tx, Scope::Routes, false)?;
    let body = if body.is_null() {
        next.to_json(false)
    } else {
        body
    };
    tx.audit(
        &action,
        &entity(api, version),
        Some(&current.to_json(false)),
        Some(&body),
    )?;
    Ok((body, next.etag))
}

async fn publish(
    State(app): State<Shared>,
    caller: Caller,
    Path((api, version)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    api_spec(&app, &api).await?;
    let actor = caller.actor(Permission::Role(&Role::Architect))?;
    let rules = app.rules;
    let (body, etag) = change(&app, actor, move |tx| {
        let spec = api_in(tx, &api)?;
        transition(tx, (&api, &version), &headers, |row, all| {
            let published = governance::publish(&tx.sql, &spec, row, all, rules)?;
            let body = published.to_json();
            Ok((published.row, "version.publish".into(), body))
        })
    })
    .await?;
    Ok(tagged(StatusCode::OK, &body, etag))
}

async fn deprecate(
    State(app): State<Shared>,
    caller: Caller,
    Path((api, version)): Path<(String, String)>,
    headers: HeaderMap,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let spec = api_spec(&app, &api).await?;
    let actor = caller.actor(Permission::Owner(&spec.owner_team))?;
    let request: Deprecation = body.decode()?;
    let rules = app.rules;
    let principal = caller.principal.clone();
    let (body, etag) = change(&app, actor, move |tx| {
        owned_in(tx, &api, &principal)?;
        transition(tx, (&api, &version), &headers, |row, all| {
            let row = governance::deprecate(row, &request, all, rules)?;
            Ok((row, "version.deprecate".into(), Value::Null))
        })
    })
    .await?;
    Ok(tagged(StatusCode::OK, &body, etag))
}

async fn retire(
    State(app): State<Shared>,
    caller: Caller,
    Path((api, version)): Path<(String, String)>,
    headers: HeaderMap,
    body: JsonBody,
) -> Result<Response, ApiError> {
    api_spec(&app, &api).await?;
    let actor = caller.actor(Permission::Role(&Role::Architect))?;
    let request: Retirement = if body.is_empty() {
        Retirement::default()
    } else {
        body.decode()?
    };
    let (body, etag) = change(&app, actor, move |tx| {
        transition(tx, (&api, &version), &headers, |row, _| {
            let (row, early) = governance::retire(row, &request)?;
            let action = if early {
                "version.retire-override"
            } else {
                "version.retire"
            };
            let body =
                json!({"version": row.to_json(false), "override": early, "reason": request.reason});
            Ok((row, action.into(), body))
        })
    })
    .await?;
    Ok(tagged(StatusCode::OK, &body, etag))
}
