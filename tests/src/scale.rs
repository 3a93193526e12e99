//! A control-plane store at benchmark scale (1,000 APIs of 10 operations, 100,000 consumers),
//! written straight through the registry's store in one transaction — the admin API would take
//! minutes to accept that many writes one by one, and the benchmarks measure what follows:
//! compiling the gateway document, serving it, and gateways holding it.

use std::path::Path;

use canongate_policy::config::Lifecycle;
use canongate_registry::governance::{self, Backend, Submission};
use canongate_registry::store::{Actor, Store, resources, versions};
use serde_json::json;

/// How big a registry to write.
#[derive(Debug, Clone, Copy)]
pub struct Scale {
    /// APIs, each with one published version.
    pub apis: usize,
    /// Operations per API.
    pub operations: usize,
    /// Consumers, each subscribed to a few APIs.
    pub consumers: usize,
}

impl Scale {
    /// The figures the control-plane issue names: 1,000 APIs, 10,000 operations, 100,000
    /// consumers.
    pub const ISSUE: Scale = Scale {
        apis: 1000,
        operations: 10,
        consumers: 100_000,
    };
}

/// The name of API number `index`.
pub fn api_name(index: usize) -> String {
    format!("api-{index}")
}

/// A contract of `api` at `version` with `operations` public GET operations `/res-{n}/{id}`
/// plus `extra` operations `/extra-{n}`.
pub fn contract(api: &str, version: &str, operations: usize, extra: usize) -> String {
    let mut paths = String::new();
    let mut operation = |path: String, id: String, parameters: &str| {
        paths.push_str(&format!(
            "  {path}:\n    get:\n      operationId: {id}\n      summary: Read {path}\n      tags: [res]\n      security: []\n{parameters}      responses:\n        '200':\n          description: ok\n          content:\n            application/json:\n              schema: {{type: object}}\n        default:\n          description: a problem\n          content:\n            application/problem+json:\n              schema: {{type: object}}\n"
        ));
    };
    let id_parameter = "      parameters:\n        - {name: id, in: path, required: true, schema: {type: string}}\n";
    for index in 0..operations {
        operation(
            format!("/res-{index}/{{id}}"),
            format!("getRes{index}"),
            id_parameter,
        );
    }
    for index in 0..extra {
        operation(format!("/extra-{index}"), format!("getExtra{index}"), "");
    }
    format!(
        "openapi: 3.0.3\ninfo:\n  title: {api}\n  version: {version}\n  description: Scale test API.\n  contact: {{name: scale}}\nservers: [{{url: /{api}}}]\ntags: [{{name: res, description: Resources}}]\nx-canongate: {{domain: {api}, owner-team: scale, system-of-record: backend}}\npaths:\n{paths}"
    )
}

/// Writes a registry of `scale` into the store in `data` (which must be new), its one system
/// `backend` at `system_url`.
pub fn seed(data: &Path, scale: Scale, system_url: &str) {
    let store = Store::open(data).expect("open the store");
    let actor = Actor {
        subject: "scale-seeder".into(),
        role: "admin".into(),
        request_id: "scale".into(),
    };
    store
        .write(&actor, |tx| {
            let put = |kind: &str, name: &str, spec: serde_json::Value| {
                resources::insert(tx, kind, name, &spec).map(|_| ())
            };
            put("teams", "scale", json!({"display_name": "Scale"}))?;
            put(
                "systems",
                "backend",
                json!({"connection": {"base_urls": [system_url]}}),
            )?;
            for tier in ["gold", "silver", "bronze"] {
                put(
                    "tiers",
                    tier,
                    json!({"rate": {"requests": 100, "per": "1s"}, "quota": {"per_day": 100_000}}),
                )?;
            }
            put(
                "issuers",
                "idp",
                json!({"issuer": "https://idp.scale.invalid/", "keys": [{"kid": "k1", "algorithm": "HS256", "secret_base64": "c2NhbGUtc2NhbGUtc2NhbGUtc2NhbGUtc2NhbGUtc2NhbGU="}]}),
            )?;
            for index in 0..scale.apis {
                let api = api_name(index);
                put(
                    "domains",
                    &api,
                    json!({"owner_team": "scale", "system_of_record": "backend", "writers": [], "field_owners": []}),
                )?;
                put(
                    "apis",
                    &api,
                    json!({"domain": api, "owner_team": "scale", "default_version": "latest"}),
                )?;
                let submission = Submission {
                    contract: contract(&api, "1.0.0", scale.operations, 0),
                    backend: Some(Backend {
                        system: "backend".into(),
                        path_prefix: format!("/{api}"),
                    }),
                    publish: true,
                };
                let mut row = governance::draft(&api, &submission, &[])?;
                row.lifecycle = Lifecycle::Published;
                versions::insert(tx, &row)?;
            }
            for index in 0..scale.consumers {
                let id = format!("consumer-{index}");
                let subscriptions: Vec<String> = (0..3)
                    .map(|offset| api_name((index * 7 + offset * 331) % scale.apis.max(1)))
                    .collect();
                let tier = ["gold", "silver", "bronze"][index % 3];
                put(
                    "consumers",
                    &id,
                    json!({
                        "name": id, "team": "scale", "system": "backend",
                        "tier": tier,
                        "credentials": {"jwt": [{"issuer": "idp", "subject": id}]},
                        "scopes": [], "subscriptions": subscriptions,
                    }),
                )?;
            }
            Ok(())
        })
        .expect("seed the registry");
}
