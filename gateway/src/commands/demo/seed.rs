//! Seeds the demo's control plane through its admin API, as an architect and a security
//! officer would: teams, systems, domains and APIs from the canonical contracts' governance
//! blocks, each contract published, then issuers, tiers and consumers from the demo document.
//!
//! Seeding is idempotent: a resource that exists is updated only when it differs (the systems'
//! ports change at every start), and a published version is left alone, so a demo restarted on
//! the same `--data` keeps its registry and audit log.

use anyhow::{Context, bail};
use canongate_policy::GatewayConfig;
use reqwest::StatusCode;
use reqwest::blocking::Client;
use serde_json::{Value, json};

/// A client of the admin API holding an architect and security token.
pub struct Seeder {
    client: Client,
    base: String,
    token: String,
}

impl Seeder {
    /// A seeder for the control plane at `base` (`http://127.0.0.1:9080`).
    pub fn new(base: &str, token: String) -> anyhow::Result<Self> {
        Ok(Self {
            client: Client::builder()
                .timeout(std::time::Duration::from_secs(30))
                .build()?,
            base: format!("{base}/api/v1"),
            token,
        })
    }

    fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> anyhow::Result<(StatusCode, Value)> {
        let mut request = self
            .client
            .request(method.clone(), format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request
            .send()
            .with_context(|| format!("{method} {path}: the control plane did not answer"))?;
        let status = response.status();
        let body = response.json().unwrap_or(Value::Null);
        Ok((status, body))
    }

    fn expect_success(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> anyhow::Result<Value> {
        let (status, answer) = self.send(method.clone(), path, body)?;
        if !status.is_success() {
            bail!("{method} {path}: {status}: {answer}");
        }
        Ok(answer)
    }

    /// Creates `collection/name` with `spec`, or updates it when it differs.
    fn put(&self, collection: &str, name: &str, spec: Value) -> anyhow::Result<()> {
        let path = format!("/{collection}/{name}");
        let (status, current) = self.send(reqwest::Method::GET, &path, None)?;
        match status {
            StatusCode::NOT_FOUND => {
                let body = json!({"name": name, "spec": spec});
                self.expect_success(
                    reqwest::Method::POST,
                    &format!("/{collection}"),
                    Some(&body),
                )?;
            }
            status if status.is_success() => {
                if current["spec"] != spec {
                    let body = json!({"spec": spec});
                    self.expect_success(reqwest::Method::PUT, &path, Some(&body))?;
                }
            }
            status => bail!("GET {path}: {status}: {current}"),
        }
        Ok(())
    }

    /// Publishes `text` as a version of `api` unless that version exists.
    fn publish(&self, api: &str, text: &str, backend: &Value) -> anyhow::Result<()> {
        let contract = canongate_contracts::load_bytes(api, text.as_bytes())
            .map_err(|error| anyhow::anyhow!("{error}"))?;
        let path = format!("/apis/{api}/versions/{}", contract.version);
        let (status, _) = self.send(reqwest::Method::GET, &path, None)?;
        if status == StatusCode::NOT_FOUND {
            let body = json!({"contract": text, "backend": backend, "publish": true});
            self.expect_success(
                reqwest::Method::POST,
                &format!("/apis/{api}/versions"),
                Some(&body),
            )?;
        }
        Ok(())
    }

    /// Seeds everything `document` and the canonical contracts describe; `backends` says, per
    /// API, which system serves it and under which path prefix.
    pub fn seed(
        &self,
        document: &GatewayConfig,
        backends: &[(&str, &str, String)],
    ) -> anyhow::Result<()> {
        let contracts = canongate_contracts::canonical::ALL
            .iter()
            .map(|(api, text)| {
                canongate_contracts::load_bytes(api, text.as_bytes())
                    .map(|contract| (*api, *text, contract))
                    .map_err(|error| anyhow::anyhow!("{error}"))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let mut teams: Vec<&str> = contracts
            .iter()
            .map(|(.., contract)| contract.governance.owner_team.as_str())
            .collect();
        teams.sort_unstable();
        teams.dedup();
        for team in &teams {
            self.put("teams", team, json!({"display_name": display_name(team)}))?;
        }
        for (name, system) in &document.systems {
            let spec = json!({
                "description": format!("simulated {name}"),
                "credentials_ref": format!("demo/{name}"),
                "connection": system,
            });
            self.put("systems", name, spec)?;
        }
        for (api, text, contract) in &contracts {
            let governance = &contract.governance;
            self.put(
                "domains",
                &governance.domain,
                json!({
                    "owner_team": governance.owner_team,
                    "system_of_record": governance.system_of_record,
                    "writers": governance.writers,
                    "field_owners": governance.field_owners,
                }),
            )?;
            self.put(
                "apis",
                api,
                json!({"domain": governance.domain, "owner_team": governance.owner_team, "default_version": "latest"}),
            )?;
            let (_, system, path_prefix) = backends
                .iter()
                .find(|(served, ..)| served == api)
                .with_context(|| format!("no simulated system serves `{api}`"))?;
            let backend = json!({"system": system, "path_prefix": path_prefix});
            self.publish(api, text, &backend)?;
        }
        for (name, issuer) in &document.issuers {
            self.put("issuers", name, serde_json::to_value(issuer)?)?;
        }
        for (name, tier) in &document.tiers {
            self.put("tiers", name, serde_json::to_value(tier)?)?;
        }
        for (name, consumer) in &document.consumers {
            self.put("consumers", name, serde_json::to_value(consumer)?)?;
        }
        Ok(())
    }
}

/// `supply-chain` -> `Supply chain`.
fn display_name(team: &str) -> String {
    let text = team.replace('-', " ");
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}
