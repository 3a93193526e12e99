//! Consumers: who calls the gateway, for which system, at which tier, with which credentials and
//! subscriptions.
//!
//! [`ConsumerConfig`] is the document's form. [`Consumers`] is the compiled form: consumers by
//! index, looked up by (issuer, subject) for JWTs and by the SHA-256 of an API key, with each
//! consumer's subscriptions as a set of API indices.

use std::collections::HashMap;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use crate::snapshot::StableKeys;

/// Index of a consumer in [`Consumers`].
pub type ConsumerIndex = u32;

/// A consumer in the gateway document.
#[derive(Debug, Clone, PartialEq, Hash, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Hash, Default, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Hash, Serialize, Deserialize)]
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
    /// The consumer's number for the limiters, stable across reloads.
    pub limiter_key: u32,
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
    /// Per issuer index: subject -> consumer.
    by_subject: Vec<HashMap<String, ConsumerIndex>>,
    /// API-key digests bucketed by their first eight bytes; the full digest is then compared in
    /// constant time.
    by_key_prefix: HashMap<u64, Vec<([u8; 32], ConsumerIndex)>>,
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
    pub fn compile<'a>(
        consumers: &IndexMap<String, ConsumerConfig>,
        names: &Names<'a>,
        limiter_keys: &StableKeys,
        report: &mut impl FnMut(String, String),
    ) -> Self {
        let mut compiled = Self {
            by_subject: vec![HashMap::new(); names.issuers.len()],
            ..Self::default()
        };
        // Name -> index, so a hundred thousand consumers of a thousand APIs resolve in hash
        // lookups rather than scans.
        let index_of = |list: &[&'a str]| -> HashMap<&'a str, usize> {
            list.iter()
                .enumerate()
                .map(|(index, name)| (*name, index))
                .collect()
        };
        let (issuer_index, tier_index, api_index) = (
            index_of(names.issuers),
            index_of(names.tiers),
            index_of(names.apis),
        );
        for (id, consumer) in consumers {
            let at = format!("consumers.{id}");
            if !crate::snapshot::is_name(id) {
                report(
                    at.clone(),
                    "consumer ids use lower-case letters, digits and `-`".into(),
                );
            }
            if !crate::snapshot::is_name(&consumer.system) {
                report(
                    format!("{at}.system"),
                    "system names use lower-case letters, digits and `-`".into(),
                );
            }
            let index = compiled.list.len() as ConsumerIndex;
            let tier = tier_index.get(consumer.tier.as_str()).copied();
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
                match api_index.get(api.as_str()) {
                    Some(api) => subscriptions.push(*api),
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
                let Some(&issuer) = issuer_index.get(identity.issuer.as_str()) else {
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
                let subjects = &mut compiled.by_subject[issuer];
                if let Some(holder) = subjects.insert(identity.subject.clone(), index) {
                    let holder = compiled
                        .list
                        .get(holder as usize)
                        .map_or(id.as_str(), |c| &c.id);
                    report(
                        location,
                        format!(
                            "subject `{}` of issuer `{}` already identifies consumer `{holder}`",
                            identity.subject, identity.issuer
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
                let bucket = compiled
                    .by_key_prefix
                    .entry(digest_prefix(&bytes))
                    .or_default();
                if let Some((_, holder)) = bucket.iter().find(|(stored, _)| *stored == bytes) {
                    let holder = compiled
                        .list
                        .get(*holder as usize)
                        .map_or(id.as_str(), |c| &c.id);
                    report(
                        location,
                        format!("this API key already belongs to consumer `{holder}`"),
                    );
                    continue;
                }
                bucket.push((bytes, index));
            }
            compiled.list.push(Consumer {
                id: id.clone(),
                name: consumer.name.clone(),
                team: consumer.team.clone(),
                system: consumer.system.clone(),
                tier: tier.unwrap_or_default(),
                scopes: sorted(&consumer.scopes),
                subscriptions,
                limiter_key: limiter_keys.get(id),
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

    /// The consumer a verified token of issuer `issuer` names.
    pub fn by_subject(&self, issuer: usize, subject: &str) -> Option<ConsumerIndex> {
        self.by_subject.get(issuer)?.get(subject).copied()
    }

    /// The consumer owning the API key whose SHA-256 is `digest`.
    ///
    /// Only the digest's first eight bytes pick a bucket; every full digest in it is compared in
    /// constant time, so timing reveals nothing about the stored digests beyond that bucket.
    pub fn by_key_digest(&self, digest: &[u8; 32]) -> Option<ConsumerIndex> {
        use subtle::ConstantTimeEq;
        let bucket = self.by_key_prefix.get(&digest_prefix(digest))?;
        let mut found = None;
        for (stored, index) in bucket {
            if bool::from(stored.ct_eq(digest)) {
                found = Some(*index);
            }
        }
        found
    }
}

fn digest_prefix(digest: &[u8; 32]) -> u64 {
    let mut prefix = [0u8; 8];
    prefix.copy_from_slice(&digest[..8]);
    u64::from_le_bytes(prefix)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn compile(document: &str) -> (Consumers, Vec<(String, String)>) {
        let consumers: IndexMap<String, ConsumerConfig> = serde_norway::from_str(document).unwrap();
        let mut problems = Vec::new();
        let names = Names {
            issuers: &["idp"],
            tiers: &["gold"],
            apis: &["inventory", "order"],
        };
        let keys = StableKeys::assign(None, consumers.keys().map(String::as_str));
        let compiled =
            Consumers::compile(&consumers, &names, &keys, &mut |l, m| problems.push((l, m)));
        (compiled, problems)
    }

    const KEY: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

    #[test]
    fn finds_consumers_by_subject_and_key_digest() {
        let (consumers, problems) = compile(&format!(
            "web:\n  name: Web\n  team: digital\n  system: shop\n  tier: gold\n  credentials:\n    jwt: [{{issuer: idp, subject: web-client}}]\n    api_key_sha256: [{KEY}]\n  scopes: [order:read, inventory:read]\n  subscriptions: [order]\n"
        ));
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(consumers.by_subject(0, "web-client"), Some(0));
        assert_eq!(consumers.by_subject(0, "other"), None);
        assert_eq!(consumers.by_subject(7, "web-client"), None);
        let digest = parse_digest(KEY).unwrap();
        assert_eq!(consumers.by_key_digest(&digest), Some(0));
        let mut other = digest;
        other[31] ^= 1;
        assert_eq!(
            consumers.by_key_digest(&other),
            None,
            "same bucket, different digest"
        );
        let consumer = consumers.get(0);
        assert_eq!(consumer.scopes, ["inventory:read", "order:read"]);
        assert!(consumer.is_subscribed(1) && !consumer.is_subscribed(0));
    }

    #[test]
    fn duplicated_credentials_and_bad_names_are_located_even_within_one_consumer() {
        let (_, problems) = compile(&format!(
            "Web:\n  name: Web\n  team: digital\n  system: Shop\n  tier: silver\n  credentials:\n    jwt: [{{issuer: idp, subject: a}}, {{issuer: idp, subject: a}}, {{issuer: nope, subject: b}}]\n    api_key_sha256: [{KEY}, {KEY}, xyz]\n  subscriptions: [billing]\n"
        ));
        let at = |location: &str| problems.iter().any(|(l, _)| l == location);
        for location in [
            "consumers.Web",
            "consumers.Web.system",
            "consumers.Web.tier",
            "consumers.Web.subscriptions[0]",
            "consumers.Web.credentials.jwt[1]",
            "consumers.Web.credentials.jwt[2].issuer",
            "consumers.Web.credentials.api_key_sha256[1]",
            "consumers.Web.credentials.api_key_sha256[2]",
        ] {
            assert!(at(location), "{location}: {problems:#?}");
        }
    }
}
