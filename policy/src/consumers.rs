//! Consumers: who calls the gateway, for which system, at which tier, with which credentials and
//! subscriptions.
//!
//! [`ConsumerConfig`] is the document's form. [`Consumers`] is the compiled form: consumers by
//! index, looked up by (issuer, subject) for JWTs and by the SHA-256 of an API key, with each
//! consumer's subscriptions as a set of API indices.

use std::collections::HashMap;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

/// Index of a consumer in [`Consumers`].
pub type ConsumerIndex = u32;

/// A consumer in the gateway document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsumerConfig {
    /// Human-readable name.
    pub name: String,
    /// Team that owns the consumer.
    pub team: String,
    /// The system the consumer acts for (`crm`, `erp`, `shop`, …); system-of-record rules use it.
    pub system: String,
    /// Name of the SLA tier in `tiers`.
    pub tier: String,
    /// How the consumer proves who it is.
    #[serde(default)]
    pub credentials: CredentialsConfig,
    /// Scopes granted to calls authenticated by API key (JWT calls carry their own scopes).
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Names of the APIs the consumer may call.
    #[serde(default)]
    pub subscriptions: Vec<String>,
}

/// A consumer's credentials.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialsConfig {
    /// JWT identities: the consumer claim's value as issued by a configured issuer.
    #[serde(default)]
    pub jwt: Vec<JwtIdentity>,
    /// API keys, as lower-case hex SHA-256 digests of the key (the key itself is never stored).
    #[serde(default)]
    pub api_key_sha256: Vec<String>,
}

/// One JWT identity of a consumer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JwtIdentity {
    /// Name of the issuer in `issuers`.
    pub issuer: String,
    /// Value of the issuer's consumer claim (`sub`, `client_id` or `azp`).
    pub subject: String,
}

/// A compiled consumer.
#[derive(Debug, Clone)]
pub struct Consumer {
    /// Consumer id (its key in the document).
    pub id: String,
    /// Name.
    pub name: String,
    /// Owning team.
    pub team: String,
    /// The system it acts for.
    pub system: String,
    /// Index of its tier.
    pub tier: usize,
    /// Scopes for API-key calls, sorted.
    pub scopes: Vec<String>,
    /// Subscribed API indices, sorted.
    pub subscriptions: Vec<usize>,
}

impl Consumer {
    /// Whether the consumer is subscribed to API `api`.
    pub fn is_subscribed(&self, api: usize) -> bool {
        self.subscriptions.binary_search(&api).is_ok()
    }
}

/// All consumers, with their credential indexes.
#[derive(Debug, Clone, Default)]
pub struct Consumers {
    list: Vec<Consumer>,
    by_subject: HashMap<(usize, String), ConsumerIndex>,
    by_key_digest: HashMap<[u8; 32], ConsumerIndex>,
}

/// What compiling consumers needs to resolve names.
pub struct Names<'a> {
    /// Issuer names, by index.
    pub issuers: &'a [&'a str],
    /// Tier names, by index.
    pub tiers: &'a [&'a str],
    /// API names, by index.
    pub apis: &'a [&'a str],
}

impl Consumers {
    /// Compiles the document's consumers, reporting problems as `(location, message)`.
    pub fn compile(
        consumers: &IndexMap<String, ConsumerConfig>,
        names: &Names<'_>,
        report: &mut impl FnMut(String, String),
    ) -> Self {
        let mut compiled = Self::default();
        for (id, consumer) in consumers {
            let at = format!("consumers.{id}");
            let index = compiled.list.len() as ConsumerIndex;
            let tier = names.tiers.iter().position(|name| *name == consumer.tier);
            if tier.is_none() {
                report(
                    format!("{at}.tier"),
                    format!(
                        "unknown tier `{}` (known: {})",
                        consumer.tier,
                        names.tiers.join(", ")
                    ),
                );
            }
            let mut subscriptions = Vec::new();
            for (position, api) in consumer.subscriptions.iter().enumerate() {
                match names.apis.iter().position(|name| name == api) {
                    Some(api) => subscriptions.push(api),
                    None => report(
                        format!("{at}.subscriptions[{position}]"),
                        format!("unknown API `{api}` (known: {})", names.apis.join(", ")),
                    ),
                }
            }
            subscriptions.sort_unstable();
            subscriptions.dedup();
            for (position, identity) in consumer.credentials.jwt.iter().enumerate() {
                let location = format!("{at}.credentials.jwt[{position}]");
                let Some(issuer) = names
                    .issuers
                    .iter()
                    .position(|name| *name == identity.issuer)
                else {
                    report(
                        format!("{location}.issuer"),
                        format!(
                            "unknown issuer `{}` (known: {})",
                            identity.issuer,
                            names.issuers.join(", ")
                        ),
                    );
                    continue;
                };
                let key = (issuer, identity.subject.clone());
                if let Some(holder) = compiled.by_subject.insert(key, index) {
                    report(
                        location,
                        format!(
                            "subject `{}` of issuer `{}` already identifies consumer `{}`",
                            identity.subject, identity.issuer, compiled.list[holder as usize].id
                        ),
                    );
                }
            }
            for (position, digest) in consumer.credentials.api_key_sha256.iter().enumerate() {
                let location = format!("{at}.credentials.api_key_sha256[{position}]");
                let Some(bytes) = parse_digest(digest) else {
                    report(
                        location,
                        "must be 64 lower-case hex digits (a SHA-256 digest)".into(),
                    );
                    continue;
                };
                if let Some(holder) = compiled.by_key_digest.insert(bytes, index) {
                    report(
                        location,
                        format!(
                            "this API key already belongs to consumer `{}`",
                            compiled.list[holder as usize].id
                        ),
                    );
                }
            }
            compiled.list.push(Consumer {
                id: id.clone(),
                name: consumer.name.clone(),
                team: consumer.team.clone(),
                system: consumer.system.clone(),
                tier: tier.unwrap_or_default(),
                scopes: sorted(&consumer.scopes),
                subscriptions,
            });
        }
        compiled
    }

    /// The consumer at `index`.
    pub fn get(&self, index: ConsumerIndex) -> &Consumer {
        &self.list[index as usize]
    }

    /// Number of consumers.
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// Whether there are no consumers.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The consumer a verified token names.
    pub fn by_subject(&self, issuer: usize, subject: &str) -> Option<ConsumerIndex> {
        self.by_subject.get(&(issuer, subject.to_owned())).copied()
    }

    /// The consumer owning the API key whose SHA-256 is `digest`.
    ///
    /// The map lookup hashes the digest (never the key), and the stored digest is then compared
    /// in constant time, so timing reveals nothing about the key.
    pub fn by_key_digest(&self, digest: &[u8; 32]) -> Option<ConsumerIndex> {
        use subtle::ConstantTimeEq;
        let (stored, index) = self.by_key_digest.get_key_value(digest)?;
        bool::from(stored.ct_eq(digest)).then_some(*index)
    }
}

fn sorted(scopes: &[String]) -> Vec<String> {
    let mut scopes = scopes.to_vec();
    scopes.sort_unstable();
    scopes.dedup();
    scopes
}

fn parse_digest(text: &str) -> Option<[u8; 32]> {
    if text.len() != 64
        || !text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return None;
    }
    let mut out = [0u8; 32];
    for (index, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[index * 2..index * 2 + 2], 16).ok()?;
    }
    Some(out)
}
