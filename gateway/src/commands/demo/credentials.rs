//! The demo's identities: an ES256 issuer whose key is generated at start, SLA tiers, one
//! consumer per system and tier, and their signed tokens, written to `demo-credentials.json`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use canongate_policy::auth::{Algorithm, IssuerConfig, SigningKey};
use serde_json::{Value, json};

/// The demo issuer's name in the gateway document.
pub const ISSUER_NAME: &str = "demo-idp";
/// The demo issuer's `iss`.
pub const ISSUER: &str = "https://idp.demo.canongate.invalid/";
/// The audience demo tokens are issued for.
pub const AUDIENCE: &str = "canongate";
/// The `iss` of the demo's admin tokens.
pub const ADMIN_ISSUER: &str = "https://admin.demo.canongate.invalid/";
/// The audience of the demo's admin tokens.
pub const ADMIN_AUDIENCE: &str = "canongate-admin";
const KEY_ID: &str = "demo-es256-1";
const TOKEN_LIFETIME: Duration = Duration::from_secs(7 * 24 * 3600);

/// `(tier, rate per second, burst, requests per day, max concurrent, priority)`.
pub const TIERS: [(&str, u32, u32, u64, u32, u8); 3] = [
    ("gold", 200, 400, 5_000_000, 200, 3),
    ("silver", 50, 100, 500_000, 50, 2),
    ("bronze", 10, 20, 50_000, 10, 1),
];

/// The canonical APIs each demo system owns, so its consumers get the write scopes for them.
const WRITES: [(&str, &[&str]); 3] = [
    ("crm", &["customer"]),
    ("erp", &["product", "price", "inventory", "shipment"]),
    ("shop", &["order", "return", "customer"]),
];

/// A signing identity generated for one demo run.
pub struct DemoIssuer {
    signing_key: SigningKey,
    public_jwk: Value,
    iss: &'static str,
    audience: &'static str,
}

/// A demo consumer with its token.
pub struct DemoConsumer {
    /// Consumer id (`shop-gold`).
    pub id: String,
    /// The system it acts for.
    pub system: &'static str,
    /// Its tier.
    pub tier: &'static str,
    /// Scopes in its token.
    pub scopes: Vec<String>,
    /// Bearer token.
    pub token: String,
}

impl DemoIssuer {
    /// Generates a fresh P-256 key for consumer tokens.
    pub fn generate() -> anyhow::Result<Self> {
        Self::generate_for(ISSUER, AUDIENCE)
    }

    /// Generates a fresh P-256 key for tokens of `iss` and `audience`.
    pub fn generate_for(iss: &'static str, audience: &'static str) -> anyhow::Result<Self> {
        let signing_key = SigningKey::generate(Algorithm::ES256)
            .context("cannot generate the demo signing key")?;
        let public_jwk = signing_key.jwk(Some(KEY_ID));
        Ok(Self {
            signing_key,
            public_jwk,
            iss,
            audience,
        })
    }

    /// The issuer as a gateway document or the control plane's settings declare it.
    pub fn issuer_config(&self) -> anyhow::Result<IssuerConfig> {
        Ok(serde_json::from_value(json!({
            "issuer": self.iss,
            "audiences": [self.audience],
            "consumer_claim": "sub",
            "keys": [{"kid": KEY_ID, "algorithm": "ES256", "jwk": self.public_jwk}],
        }))?)
    }

    /// A token for `subject` with `scopes`, valid for a week.
    pub fn token(&self, subject: &str, scopes: &[String]) -> anyhow::Result<String> {
        let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
        let claims = json!({
            "iss": self.iss,
            "aud": self.audience,
            "sub": subject,
            "iat": now,
            "exp": now + TOKEN_LIFETIME.as_secs(),
            "scope": scopes.join(" "),
        });
        self.signing_key
            .sign(Some(KEY_ID), &claims)
            .context("cannot sign a demo token")
    }

    /// One consumer per system and tier, each subscribed to every canonical API, with read scopes
    /// on all of them and write scopes on the APIs its system owns.
    pub fn consumers(&self, apis: &[&str]) -> anyhow::Result<Vec<DemoConsumer>> {
        let mut consumers = Vec::new();
        for (system, writes) in WRITES {
            for (tier, ..) in TIERS {
                let mut scopes: Vec<String> =
                    apis.iter().map(|api| format!("{api}:read")).collect();
                scopes.extend(writes.iter().map(|api| format!("{api}:write")));
                let id = format!("{system}-{tier}");
                let token = self.token(&id, &scopes)?;
                consumers.push(DemoConsumer {
                    id,
                    system,
                    tier,
                    scopes,
                    token,
                });
            }
        }
        Ok(consumers)
    }

    /// The `issuers`, `tiers`, `consumers` and `load_shedding` sections of the demo document.
    pub fn document_sections(&self, consumers: &[DemoConsumer], apis: &[&str]) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "issuers:\n  {ISSUER_NAME}:\n    issuer: \"{ISSUER}\"\n    audiences: [{AUDIENCE}]\n    consumer_claim: sub\n    keys:\n      - kid: {KEY_ID}\n        algorithm: ES256\n        jwk: {}",
            self.public_jwk
        );
        let _ = writeln!(out, "tiers:");
        for (tier, rate, burst, per_day, concurrent, priority) in TIERS {
            let _ = writeln!(
                out,
                "  {tier}:\n    rate: {{requests: {rate}, per: 1s}}\n    burst: {burst}\n    quota: {{per_day: {per_day}}}\n    max_concurrent: {concurrent}\n    priority: {priority}"
            );
        }
        let _ = writeln!(
            out,
            "load_shedding:\n  max_in_flight: 512\n  retry_after: 1s\nconsumers:"
        );
        for consumer in consumers {
            let _ = writeln!(
                out,
                "  {id}:\n    name: Demo {system} ({tier})\n    team: demo\n    system: {system}\n    tier: {tier}\n    credentials:\n      jwt: [{{issuer: {ISSUER_NAME}, subject: {id}}}]\n    subscriptions: [{apis}]",
                id = consumer.id,
                system = consumer.system,
                tier = consumer.tier,
                apis = apis.join(", "),
            );
        }
        out
    }
}

/// Writes `demo-credentials.json` into `dir`: the admin tokens by role, then the consumers.
pub fn write_credentials(
    dir: &Path,
    consumers: &[DemoConsumer],
    admin: &[(String, String)],
) -> anyhow::Result<PathBuf> {
    let document = json!({
        "admin": admin
            .iter()
            .map(|(role, token)| (role.clone(), Value::from(token.as_str())))
            .collect::<serde_json::Map<String, Value>>(),
        "issuer": ISSUER,
        "audience": AUDIENCE,
        "consumers": consumers.iter().map(|consumer| json!({
            "id": consumer.id,
            "system": consumer.system,
            "tier": consumer.tier,
            "scopes": consumer.scopes,
            "token": consumer.token,
        })).collect::<Vec<_>>(),
    });
    let path = dir.join("demo-credentials.json");
    std::fs::write(&path, serde_json::to_vec_pretty(&document)?)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(path)
}
