//! Create, read, update, delete and list of the named resources (teams, systems, domains, APIs,
//! issuers, tiers, consumers), one generic set of handlers parameterised by [`ResourceKind`].
//!
//! A resource is `{"name": ..., "spec": {...}}`. Each change is accepted only if the registry
//! still checks afterwards (references resolve, the gateway document compiles; see
//! [`crate::document::check`]) and is audited with its before and after.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Caller, JsonBody, Params, Shared, accept, change, check_if_match, read, tagged};
use crate::auth::Permission;
use crate::document::Scope;
use crate::kinds::{ResourceKind, is_name};
use crate::problem::ApiError;
use crate::secrets;
use crate::store::resources::{self, Record};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Create {
    name: String,
    spec: Value,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Replace {
    #[serde(default)]
    name: Option<String>,
    spec: Value,
}

/// The routes of every kind.
pub fn routes() -> Router<Shared> {
    ResourceKind::ALL
        .into_iter()
        .fold(Router::new(), |router, kind| {
            let collection = format!("/api/v1/{}", kind.collection());
            router
                .route(
                    &collection,
                    get(move |app, caller, query| list(kind, app, caller, query))
                        .post(move |app, caller, body| create(kind, app, caller, body)),
                )
                .route(
                    &format!("{collection}/{{name}}"),
                    get(move |app, caller, name| fetch(kind, app, caller, name))
                        .put(move |app, caller, name, headers, body| {
                            update(kind, app, caller, name, headers, body)
                        })
                        .delete(move |app, caller, name, headers| {
                            remove(kind, app, caller, name, headers)
                        }),
                )
        })
}

fn representation(record: &Record) -> Value {
    json!({"name": record.name, "spec": record.spec})
}

/// The representation a reader gets: an issuer's key material only when `with_secrets`.
fn shown(kind: ResourceKind, record: &Record, with_secrets: bool) -> Value {
    let mut shown = representation(record);
    if kind == ResourceKind::Issuer && !with_secrets {
        secrets::redact_issuer_representation(&mut shown);
    }
    shown
}

/// The representation the audit log keeps: never an issuer's key material.
fn audited(kind: ResourceKind, record: &Record) -> Value {
    shown(kind, record, false)
}

fn entity(kind: ResourceKind, name: &str) -> String {
    format!("{}/{name}", kind.collection())
}

/// What a created or updated resource can affect.
fn scope(kind: ResourceKind, name: &str) -> Scope<'_> {
    match kind {
        ResourceKind::Api => Scope::Routes,
        ResourceKind::Consumer => Scope::Consumer(name),
        _ => Scope::Catalog,
    }
}

/// What a deletion can leave dangling: nothing refers to a consumer; anything else may be
/// referred to by consumers.
fn deletion_scope(kind: ResourceKind) -> Scope<'static> {
    if kind == ResourceKind::Consumer {
        Scope::Catalog
    } else {
        Scope::Everything
    }
}

/// Loads `kind`/`name` or answers 404.
pub async fn existing(app: &Shared, kind: ResourceKind, name: String) -> Result<Record, ApiError> {
    read(app, move |sql| {
        resources::get(sql, kind.collection(), &name)?
            .ok_or_else(|| ApiError::not_found(format!("{} `{name}`", kind.singular())))
    })
    .await
}

async fn list(
    kind: ResourceKind,
    State(app): State<Shared>,
    caller: Caller,
    query: Params,
) -> Result<Response, ApiError> {
    caller.principal.allow(Permission::Read)?;
    let with_secrets = caller.principal.sees_secrets();
    let (limit, cursor) = super::page_params(&super::params(query)?)?;
    let mut records = read(&app, move |sql| {
        resources::page(sql, kind.collection(), cursor.as_deref(), limit + 1)
    })
    .await?;
    let next = (records.len() > limit).then(|| {
        records.truncate(limit);
        records.last().map(|record| record.name.clone())
    });
    Ok(super::page(
        records
            .iter()
            .map(|record| shown(kind, record, with_secrets))
            .collect(),
        next.flatten(),
    ))
}

async fn fetch(
    kind: ResourceKind,
    State(app): State<Shared>,
    caller: Caller,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    caller.principal.allow(Permission::Read)?;
    let record = existing(&app, kind, name).await?;
    Ok(tagged(
        StatusCode::OK,
        &shown(kind, &record, caller.principal.sees_secrets()),
        record.etag,
    ))
}

async fn create(
    kind: ResourceKind,
    State(app): State<Shared>,
    caller: Caller,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let actor = caller.actor(Permission::Role(&kind.writer()))?;
    let Create { name, spec } = body.decode()?;
    if !is_name(&name) {
        return Err(ApiError::field(
            "/name",
            format!(
                "`{name}` is not a name: lower-case letters, digits and `-`, starting with a letter, at most 64"
            ),
        ));
    }
    let spec = kind.normalize(&spec)?;
    let record = change(&app, actor, move |tx| {
        let record = resources::insert(tx, kind.collection(), &name, &spec)?;
        accept(tx, scope(kind, &name), false)?;
        tx.audit(
            &format!("{}.create", kind.singular()),
            &entity(kind, &name),
            None,
            Some(&audited(kind, &record)),
        )?;
        Ok(record)
    })
    .await?;
    let mut response = tagged(StatusCode::CREATED, &representation(&record), record.etag);
    if let Ok(location) =
        HeaderValue::from_str(&format!("/api/v1/{}/{}", kind.collection(), record.name))
    {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

async fn update(
    kind: ResourceKind,
    State(app): State<Shared>,
    caller: Caller,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let actor = caller.actor(Permission::Role(&kind.writer()))?;
    let Replace { name: named, spec } = body.decode()?;
    if named.as_ref().is_some_and(|named| *named != name) {
        return Err(ApiError::field(
            "/name",
            format!(
                "the body names `{}`, the path `{name}`; names cannot change",
                named.unwrap_or_default()
            ),
        ));
    }
    let spec = kind.normalize(&spec)?;
    let record = change(&app, actor, move |tx| {
        let current = resources::get(&tx.sql, kind.collection(), &name)?
            .ok_or_else(|| ApiError::not_found(format!("{} `{name}`", kind.singular())))?;
        check_if_match(&headers, current.etag)?;
        let record = resources::replace(tx, kind.collection(), &current, &spec)?;
        accept(tx, scope(kind, &name), false)?;
        tx.audit(
            &format!("{}.update", kind.singular()),
            &entity(kind, &name),
            Some(&audited(kind, &current)),
            Some(&audited(kind, &record)),
        )?;
        Ok(record)
    })
    .await?;
    Ok(tagged(
        StatusCode::OK,
        &representation(&record),
        record.etag,
    ))
}

async fn remove(
    kind: ResourceKind,
    State(app): State<Shared>,
    caller: Caller,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let actor = caller.actor(Permission::Role(&kind.writer()))?;
    change(&app, actor, move |tx| {
        let current = resources::get(&tx.sql, kind.collection(), &name)?
            .ok_or_else(|| ApiError::not_found(format!("{} `{name}`", kind.singular())))?;
        check_if_match(&headers, current.etag)?;
        resources::delete(tx, kind.collection(), &name)?;
        accept(tx, deletion_scope(kind), true)?;
        tx.audit(
            &format!("{}.delete", kind.singular()),
            &entity(kind, &name),
            Some(&audited(kind, &current)),
            None,
        )
    })
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
