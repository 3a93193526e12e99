//! The gateway document the registry compiles: what every following gateway runs.
//!
//! [`build_json`] reads the stored state in one read transaction and writes the gateway document
//! as JSON: systems, issuers, tiers and consumers as stored; for each API, per major version, the
//! highest release that was ever published (a pre-release only while the major has no release)
//! with its lifecycle and deprecation notice, its contract carried inline so the document is
//! self-contained. Drafts never appear, and a consumer's subscriptions to APIs with nothing
//! published are left out.
//!
//! [`check`] is the acceptance test of every change, run inside its transaction: references
//! between resources must resolve, and the document must compile exactly as a gateway would
//! compile it. A change is checked against the part of the document it can affect ([`Scope`]):
//! a consumer's change compiles the catalog and that one consumer, a publish compiles the
//! contracts but no consumer, and only a deletion (which may leave references behind) looks at
//! every consumer. So a registry of 100,000 consumers accepts a consumer write without
//! compiling the other 99,999, and a publish without compiling any.

use std::collections::{BTreeMap, HashSet};

use canongate_policy::config::{
    ApiConfig, ApiVersionConfig, BackendBinding, ContractSource, DeprecationConfig, GatewayConfig,
    Lifecycle,
};
use canongate_policy::consumers::ConsumerConfig;
use canongate_policy::{Snapshot, config::SystemConfig};
use indexmap::IndexMap;
use rusqlite::{Connection, OptionalExtension, params};
use serde::de::DeserializeOwned;

use crate::kinds::{ApiSpec, DomainSpec, ResourceKind, SystemSpec, decode};
use crate::problem::{ApiError, FieldError};
use crate::store::versions::{self, VersionRow};
use crate::store::{Tx, resources};

/// How much of the document a change is checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope<'a> {
    /// Teams, systems, domains, APIs, issuers and tiers, and the versions' bindings; no
    /// consumer, no contract.
    Catalog,
    /// The catalog and one consumer.
    Consumer(&'a str),
    /// The catalog and every consumer: what a deletion may have left dangling.
    Everything,
    /// The catalog and every published contract (the routes); no consumer.
    Routes,
}

fn specs<T: DeserializeOwned>(
    sql: &Connection,
    kind: ResourceKind,
) -> Result<IndexMap<String, T>, ApiError> {
    resources::all(sql, kind.collection())?
        .into_iter()
        .map(|record| {
            let spec = decode(&record.spec, "").map_err(|error| {
                ApiError::internal(format!(
                    "stored {}/{}: {}: {}",
                    kind.collection(),
                    record.name,
                    error.field,
                    error.message
                ))
            })?;
            Ok((record.name, spec))
        })
        .collect()
}

/// The stored state, decoded.
struct State {
    teams: HashSet<String>,
    systems: IndexMap<String, SystemSpec>,
    domains: IndexMap<String, DomainSpec>,
    apis: IndexMap<String, ApiSpec>,
    consumers: IndexMap<String, ConsumerConfig>,
}

impl State {
    fn read(sql: &Connection, scope: Scope<'_>) -> Result<State, ApiError> {
        let consumers = match scope {
            Scope::Everything => specs(sql, ResourceKind::Consumer)?,
            Scope::Consumer(name) => match resources::get(sql, "consumers", name)? {
                Some(record) => IndexMap::from([(
                    record.name,
                    decode(&record.spec, "").map_err(|error| ApiError::internal(error.message))?,
                )]),
                None => IndexMap::new(),
            },
            Scope::Catalog | Scope::Routes => IndexMap::new(),
        };
        Ok(State {
            teams: resources::all(sql, "teams")?
                .into_iter()
                .map(|record| record.name)
                .collect(),
            systems: specs(sql, ResourceKind::System)?,
            domains: specs(sql, ResourceKind::Domain)?,
            apis: specs(sql, ResourceKind::Api)?,
            consumers,
        })
    }

    /// Every reference that does not resolve.
    fn dangling(&self, drafts_and_versions: &[(String, String, String)]) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let mut expect = |found: bool, field: String, what: &str, name: &str| {
            if !found {
                errors.push(FieldError::new(field, format!("{what} `{name}`")));
            }
        };
        for (name, domain) in &self.domains {
            let at = format!("domains.{name}");
            expect(
                self.teams.contains(&domain.owner_team),
                format!("{at}.owner_team"),
                "unknown team",
                &domain.owner_team,
            );
            expect(
                self.systems.contains_key(&domain.system_of_record),
                format!("{at}.system_of_record"),
                "unknown system",
                &domain.system_of_record,
            );
            for (index, writer) in domain.writers.iter().enumerate() {
                expect(
                    self.systems.contains_key(writer),
                    format!("{at}.writers[{index}]"),
                    "unknown system",
                    writer,
                );
            }
            for (index, owner) in domain.field_owners.iter().enumerate() {
                expect(
                    self.systems.contains_key(&owner.system),
                    format!("{at}.field_owners[{index}].system"),
                    "unknown system",
                    &owner.system,
                );
                expect(
                    canongate_contracts::pointer::is_valid(&owner.pointer)
                        && !owner.pointer.is_empty(),
                    format!("{at}.field_owners[{index}].pointer"),
                    "not a JSON pointer (RFC 6901, starting with `/`):",
                    &owner.pointer,
                );
            }
        }
        for (name, api) in &self.apis {
            let at = format!("apis.{name}");
            expect(
                self.domains.contains_key(&api.domain),
                format!("{at}.domain"),
                "unknown domain",
                &api.domain,
            );
            expect(
                self.teams.contains(&api.owner_team),
                format!("{at}.owner_team"),
                "unknown team",
                &api.owner_team,
            );
        }
        for (api, version, system) in drafts_and_versions {
            expect(
                self.apis.contains_key(api),
                format!("apis.{api}.versions.{version}"),
                "unknown API",
                api,
            );
            expect(
                self.systems.contains_key(system),
                format!("apis.{api}.versions.{version}.backend.system"),
                "unknown system",
                system,
            );
        }
        for (name, consumer) in &self.consumers {
            for (index, api) in consumer.subscriptions.iter().enumerate() {
                expect(
                    self.apis.contains_key(api),
                    format!("consumers.{name}.subscriptions[{index}]"),
                    "unknown API",
                    api,
                );
            }
        }
        errors
    }
}

/// The gateway document of the stored state at `revision`, as JSON, built for speed: the
/// consumers — by far the largest part of a large registry — are spliced in from their stored
/// text, which is already the document's form, instead of being decoded and encoded again; only a
/// consumer subscribed to an API with nothing published is rewritten (without that API).
pub fn build_json(sql: &Connection, revision: u64) -> Result<Vec<u8>, ApiError> {
    let state = State::read(sql, Scope::Catalog)?;
    let published = versions::all_published(sql)?;
    let document = assemble(sql, &state, revision, Some(&published))?;
    let mut out = serde_json::to_vec(&document).map_err(ApiError::internal)?;
    // `consumers` is the document's last member.
    let tail = br#""consumers":{}}"#;
    if !out.ends_with(tail) {
        return Err(ApiError::internal(
            "the document does not end with its consumers",
        ));
    }
    out.truncate(out.len() - 2);
    let served: HashSet<&str> = document.apis.keys().map(String::as_str).collect();
    let mut statement = sql.prepare_cached(
        "SELECT name, spec FROM resources WHERE kind = 'consumers' ORDER BY name",
    )?;
    let mut rows = statement.query([])?;
    let mut first = true;
    while let Some(row) = rows.next()? {
        let (name, spec): (String, String) = (row.get(0)?, row.get(1)?);
        if !std::mem::take(&mut first) {
            out.push(b',');
        }
        serde_json::to_writer(&mut out, &name).map_err(ApiError::internal)?;
        out.push(b':');
        let subscribed: Subscribed = serde_json::from_str(&spec).map_err(ApiError::internal)?;
        if subscribed
            .subscriptions
            .iter()
            .all(|api| served.contains(api.as_str()))
        {
            out.extend_from_slice(spec.as_bytes());
        } else {
            let mut consumer: ConsumerConfig =
                serde_json::from_str(&spec).map_err(ApiError::internal)?;
            consumer
                .subscriptions
                .retain(|api| served.contains(api.as_str()));
            serde_json::to_writer(&mut out, &consumer).map_err(ApiError::internal)?;
        }
    }
    out.extend_from_slice(b"}}");
    Ok(out)
}

/// The subscriptions of a stored consumer, read without decoding the rest.
#[derive(serde::Deserialize)]
struct Subscribed {
    #[serde(default)]
    subscriptions: Vec<String>,
}

fn assemble(
    sql: &Connection,
    state: &State,
    revision: u64,
    published: Option<&[VersionRow]>,
) -> Result<GatewayConfig, ApiError> {
    let apis = published
        .map(|rows| served_apis(state, rows))
        .unwrap_or_default();
    let consumers = state
        .consumers
        .iter()
        .map(|(name, consumer)| {
            let mut consumer = consumer.clone();
            consumer.subscriptions.retain(|api| apis.contains_key(api));
            (name.clone(), consumer)
        })
        .collect();
    Ok(GatewayConfig {
        revision: Some(revision.to_string()),
        listeners: Default::default(),
        http: Default::default(),
        systems: state
            .systems
            .iter()
            .map(|(name, system)| (name.clone(), system.connection.clone()))
            .collect::<IndexMap<String, SystemConfig>>(),
        apis,
        auth: Default::default(),
        issuers: specs(sql, ResourceKind::Issuer)?,
        tiers: specs(sql, ResourceKind::Tier)?,
        load_shedding: None,
        consumers,
        base_dir: Default::default(),
        origin: format!("control plane revision {revision}"),
    })
}

/// Per API with something published, per major, the highest release ever published (the
/// highest pre-release while the major has no release: a release candidate never displaces the
/// release it is a candidate for).
fn served_apis(state: &State, published: &[VersionRow]) -> IndexMap<String, ApiConfig> {
    let mut highest: BTreeMap<(&str, u64), &VersionRow> = BTreeMap::new();
    let rank = |row: &VersionRow| !row.semver.is_pre_release();
    for row in published {
        let slot = highest.entry((&row.api, row.semver.major)).or_insert(row);
        let better = rank(row)
            .cmp(&rank(slot))
            .then_with(|| row.semver.precedence(&slot.semver));
        if better.is_gt() {
            *slot = row;
        }
    }
    let mut apis: IndexMap<String, ApiConfig> = IndexMap::new();
    for ((api, _), row) in highest {
        let Some(spec) = state.apis.get(api) else {
            continue;
        };
        let deprecation =
            matches!(row.lifecycle, Lifecycle::Deprecated | Lifecycle::Retired).then(|| {
                DeprecationConfig {
                    deprecated_on: row.deprecated_on.clone(),
                    sunset: row.sunset.clone(),
                    successor: row.successor.clone(),
                }
            });
        apis.entry(api.to_owned())
            .or_insert_with(|| ApiConfig {
                base_path: spec.base_path.clone(),
                default_version: spec.default_version,
                versions: Vec::new(),
            })
            .versions
            .push(ApiVersionConfig {
                contract: ContractSource::Inline {
                    origin: format!("{}@{}", row.api, row.version),
                    text: row.contract.clone(),
                },
                lifecycle: row.lifecycle,
                deprecation,
                backend: BackendBinding {
                    system: row.system.clone(),
                    path_prefix: row.path_prefix.clone(),
                },
            });
    }
    apis
}

/// The credentials of consumer `name` that another consumer already holds: the compile of a
/// consumer's change sees only that consumer, so uniqueness is looked up in the store.
fn taken_credentials(
    sql: &Connection,
    name: &str,
    consumer: &ConsumerConfig,
) -> Result<Vec<FieldError>, ApiError> {
    let mut errors = Vec::new();
    let mut by_subject = sql.prepare_cached(
        "SELECT r.name FROM resources r, json_each(r.spec, '$.credentials.jwt') j
         WHERE r.kind = 'consumers' AND r.name <> ?1
           AND json_extract(j.value, '$.issuer') = ?2 AND json_extract(j.value, '$.subject') = ?3
         LIMIT 1",
    )?;
    for (index, identity) in consumer.credentials.jwt.iter().enumerate() {
        let holder: Option<String> = by_subject
            .query_row(params![name, identity.issuer, identity.subject], |row| {
                row.get(0)
            })
            .optional()?;
        if let Some(holder) = holder {
            errors.push(FieldError::new(
                format!("consumers.{name}.credentials.jwt[{index}]"),
                format!(
                    "subject `{}` of issuer `{}` already identifies consumer `{holder}`",
                    identity.subject, identity.issuer
                ),
            ));
        }
    }
    let mut by_key = sql.prepare_cached(
        "SELECT r.name FROM resources r, json_each(r.spec, '$.credentials.api_key_sha256') k
         WHERE r.kind = 'consumers' AND r.name <> ?1 AND k.value = ?2
         LIMIT 1",
    )?;
    for (index, digest) in consumer.credentials.api_key_sha256.iter().enumerate() {
        let holder: Option<String> = by_key
            .query_row(params![name, digest], |row| row.get(0))
            .optional()?;
        if let Some(holder) = holder {
            errors.push(FieldError::new(
                format!("consumers.{name}.credentials.api_key_sha256[{index}]"),
                format!("this API key already belongs to consumer `{holder}`"),
            ));
        }
    }
    Ok(errors)
}

/// Everything wrong with the stored state as seen inside a change's transaction: dangling
/// references, then (when there are none) what compiling the document reports.
pub fn check(tx: &Tx<'_>, scope: Scope<'_>) -> Result<Vec<FieldError>, ApiError> {
    let sql: &Connection = &tx.sql;
    let state = State::read(sql, scope)?;
    let bindings: Vec<(String, String, String)> = sql
        .prepare_cached("SELECT api, version, system FROM versions")?
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?
        .collect::<Result<_, _>>()?;
    let mut dangling = state.dangling(&bindings);
    if let Scope::Consumer(name) = scope
        && let Some(consumer) = state.consumers.get(name)
    {
        dangling.extend(taken_credentials(sql, name, consumer)?);
    }
    if !dangling.is_empty() {
        return Ok(dangling);
    }
    let published = match scope {
        Scope::Routes => Some(versions::all_published(sql)?),
        Scope::Catalog | Scope::Consumer(_) | Scope::Everything => None,
    };
    let document = assemble(sql, &state, 0, published.as_deref())?;
    // Only the routes are worth carrying to the next check: the other scopes compile no
    // contract, and at most one consumer but for a deletion.
    let compiled = match scope {
        Scope::Routes => tx.compile_routes(&document),
        Scope::Catalog | Scope::Consumer(_) | Scope::Everything => {
            Snapshot::compile(&document).map(drop)
        }
    };
    Ok(match compiled {
        Ok(_) => Vec::new(),
        Err(error) => error
            .problems
            .into_iter()
            .map(|problem| FieldError::new(problem.location, problem.message))
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::governance::{self, Backend, Submission};
    use crate::store::{Actor, Store};

    const CONTRACT: &str = "openapi: 3.0.3\ninfo: {title: stock, version: 1.0.0}\nx-canongate: {domain: stock, owner-team: t, system-of-record: erp}\npaths:\n  /items:\n    get:\n      operationId: listItems\n      security: []\n      responses:\n        '200': {description: ok}\n";

    #[test]
    fn the_json_document_splices_consumers_and_drops_unserved_subscriptions() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let actor = Actor {
            subject: "t".into(),
            role: "admin".into(),
            request_id: "r".into(),
        };
        store
            .write(&actor, |tx| {
                let put = |kind: &str, name: &str, spec: serde_json::Value| {
                    resources::insert(tx, kind, name, &spec).map(|_| ())
                };
                put("teams", "t", json!({"display_name": "T"}))?;
                put(
                    "systems",
                    "erp",
                    json!({"connection": {"base_urls": ["http://127.0.0.1:1"]}}),
                )?;
                put(
                    "domains",
                    "stock",
                    json!({"owner_team": "t", "system_of_record": "erp"}),
                )?;
                for api in ["stock", "later"] {
                    put("apis", api, json!({"domain": "stock", "owner_team": "t"}))?;
                }
                put("tiers", "gold", json!({}))?;
                for (name, subscriptions) in
                    [("a", json!(["stock"])), ("b", json!(["later", "stock"]))]
                {
                    let spec = ResourceKind::Consumer.normalize(&json!({
                        "name": name, "team": "t", "system": "erp", "tier": "gold",
                        "subscriptions": subscriptions,
                    }))?;
                    put("consumers", name, spec)?;
                }
                let submission = Submission {
                    contract: CONTRACT.into(),
                    backend: Some(Backend {
                        system: "erp".into(),
                        path_prefix: "/erp".into(),
                    }),
                    publish: true,
                };
                let mut row = governance::draft("stock", &submission, &[])?;
                row.lifecycle = Lifecycle::Published;
                versions::insert(tx, &row)
            })
            .unwrap();
        let text = store.read(|sql| build_json(sql, 7)).unwrap();
        let text = String::from_utf8(text).unwrap();
        let document =
            canongate_policy::config::parse("snapshot", &text, Default::default()).unwrap();
        assert_eq!(document.revision.as_deref(), Some("7"));
        assert_eq!(document.apis.keys().collect::<Vec<_>>(), ["stock"]);
        assert_eq!(document.consumers["a"].subscriptions, ["stock"]);
        assert_eq!(document.consumers["b"].subscriptions, ["stock"]);
        assert!(Snapshot::compile(&document).is_ok());
    }
}
