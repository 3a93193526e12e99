//! JWK Sets (RFC 7517 section 5): parsing fetched documents into keys, and the per-issuer store
//! the gateway's fetcher updates.
//!
//! [`parse_jwks`] is pure and defensive: the document is size-limited, each key is read on its
//! own, and a key that is malformed, meant for encryption, of an unsupported type, or without a
//! pinned `alg` is skipped rather than failing the set. A set with no usable key is an error, so
//! a broken endpoint never empties the keys already held. [`KeySet`] indexes keys by `kid`;
//! [`JwksStore`] holds an issuer's current set behind an `ArcSwap` (lock-free reads on the
//! verification path) and the outcome of the last fetch for readiness reporting.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use arc_swap::ArcSwap;
use serde::Deserialize;
use thiserror::Error;

use super::config::{Algorithm, JwksConfig};
use super::keys::{Jwk, VerifyingKey, kid_is_valid};

/// Largest JWK Set document accepted (bytes).
pub const MAX_JWKS_BYTES: usize = 1024 * 1024;

/// Why a JWK Set document was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum JwksError {
    /// The document is larger than [`MAX_JWKS_BYTES`].
    #[error("the JWK Set has {0} bytes, more than the 1 MiB accepted")]
    TooLarge(usize),
    /// The document is not a JSON object with a `keys` array.
    #[error("not a JWK Set (a JSON object with a `keys` array): {0}")]
    NotJwks(String),
    /// No key in the set can be used.
    #[error("the JWK Set has no usable key ({0})")]
    NoUsableKey(String),
    /// The issuer has no `jwks` configured.
    #[error("issuer {0} has no JWKS endpoint")]
    NotConfigured(usize),
}

#[derive(Deserialize)]
struct JwkSet {
    keys: Vec<serde_json::Value>,
}

/// Parses a JWK Set, keeping the keys whose `alg` is one of `pinned`.
///
/// Returns `(kid, key)` pairs; a key without `kid` is returned under `""` only when it is the
/// set's only usable key.
pub fn parse_jwks(
    bytes: &[u8],
    pinned: &[Algorithm],
) -> Result<Vec<(String, VerifyingKey)>, JwksError> {
    if bytes.len() > MAX_JWKS_BYTES {
        return Err(JwksError::TooLarge(bytes.len()));
    }
    let set: JwkSet =
        serde_json::from_slice(bytes).map_err(|error| JwksError::NotJwks(error.to_string()))?;
    let mut keys: Vec<(String, VerifyingKey)> = Vec::new();
    let mut skipped = Vec::new();
    for (position, value) in set.keys.iter().enumerate() {
        match usable_key(value, pinned) {
            Ok((kid, _)) if !kid.is_empty() && keys.iter().any(|(held, _)| *held == kid) => {
                skipped.push(format!("keys[{position}]: duplicate kid `{kid}`"));
            }
            Ok((kid, key)) => keys.push((kid, key)),
            Err(reason) => skipped.push(format!("keys[{position}]: {reason}")),
        }
    }
    if keys.len() > 1 && keys.iter().any(|(kid, _)| kid.is_empty()) {
        keys.retain(|(kid, _)| !kid.is_empty());
        skipped.push("keys without `kid` are ignored when the set has several keys".into());
    }
    if keys.is_empty() {
        let reason = if skipped.is_empty() {
            "it is empty".to_owned()
        } else {
            skipped.join("; ")
        };
        return Err(JwksError::NoUsableKey(reason));
    }
    Ok(keys)
}

fn usable_key(
    value: &serde_json::Value,
    pinned: &[Algorithm],
) -> Result<(String, VerifyingKey), String> {
    let jwk = Jwk::from_value(value).map_err(|error| error.to_string())?;
    if jwk
        .key_use
        .as_deref()
        .is_some_and(|key_use| key_use != "sig")
    {
        return Err("not a signing key".into());
    }
    let kid = jwk.kid.clone().unwrap_or_default();
    if !kid.is_empty() && !kid_is_valid(&kid) {
        return Err("kid is too long or has characters a kid may not have".into());
    }
    let Some(alg) = jwk.alg.as_deref() else {
        return Err("no `alg`, so it is not pinned to an algorithm".into());
    };
    let Some(algorithm) = Algorithm::from_name(alg).filter(|alg| pinned.contains(alg)) else {
        return Err(format!(
            "`alg` `{alg:.16}` is not one of the configured algorithms"
        ));
    };
    let key = VerifyingKey::from_jwk(algorithm, &jwk).map_err(|error| error.to_string())?;
    Ok((kid, key))
}

/// Keys indexed by `kid`, plus keys without one.
#[derive(Debug, Default)]
pub(crate) struct KeySet {
    by_kid: HashMap<String, VerifyingKey>,
    unnamed: Vec<VerifyingKey>,
}

impl KeySet {
    /// Adds a key; returns false when its `kid` is already taken.
    pub(crate) fn insert(&mut self, kid: Option<String>, key: VerifyingKey) -> bool {
        match kid {
            Some(kid) if self.by_kid.contains_key(&kid) => false,
            Some(kid) => {
                self.by_kid.insert(kid, key);
                true
            }
            None => {
                self.unnamed.push(key);
                true
            }
        }
    }

    pub(crate) fn get(&self, kid: &str) -> Option<&VerifyingKey> {
        self.by_kid.get(kid)
    }

    /// Every key pinned to `algorithm`.
    pub(crate) fn with_algorithm(
        &self,
        algorithm: Algorithm,
    ) -> impl Iterator<Item = &VerifyingKey> {
        self.by_kid
            .values()
            .chain(&self.unnamed)
            .filter(move |key| key.algorithm() == algorithm)
    }

    pub(crate) fn len(&self) -> usize {
        self.by_kid.len() + self.unnamed.len()
    }

    fn has_kid(&self, kid: &str) -> bool {
        self.by_kid.contains_key(kid)
    }
}

/// An issuer's JWKS: its settings, current keys and last fetch outcome.
pub(crate) struct JwksStore {
    pub(crate) config: JwksConfig,
    keys: ArcSwap<KeySet>,
    outcome: Mutex<Outcome>,
}

#[derive(Default)]
struct Outcome {
    last_success_unix: Option<u64>,
    last_error: Option<String>,
}

/// Readiness view of one issuer's JWKS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JwksStatus {
    /// Issuer name.
    pub issuer: String,
    /// JWKS URL.
    pub url: String,
    /// When keys were last fetched successfully (Unix seconds).
    pub last_success_unix: Option<u64>,
    /// Error of the last fetch, when it failed (cached keys are still served).
    pub last_error: Option<String>,
    /// Number of keys held.
    pub keys: usize,
}

impl JwksStore {
    pub(crate) fn new(config: JwksConfig) -> Self {
        Self {
            config,
            keys: ArcSwap::from_pointee(KeySet::default()),
            outcome: Mutex::default(),
        }
    }

    pub(crate) fn keys(&self) -> arc_swap::Guard<Arc<KeySet>> {
        self.keys.load()
    }

    /// Starts from the keys and fetch outcome `previous` holds when both read the same URL with
    /// the same pinned algorithms, so a reload never leaves an issuer without keys while its
    /// endpoint is down.
    pub(crate) fn seed_from(&self, previous: &JwksStore) {
        if self.config.url != previous.config.url
            || self.config.algorithms != previous.config.algorithms
        {
            return;
        }
        self.keys.store(previous.keys.load_full());
        let outcome = previous
            .outcome
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let mut mine = self.outcome.lock().unwrap_or_else(PoisonError::into_inner);
        mine.last_success_unix = outcome.last_success_unix;
        mine.last_error.clone_from(&outcome.last_error);
    }

    /// Replaces the keys with those of a fetched document; returns how many `kid`s are new.
    /// On error the held keys stay and the error is recorded.
    pub(crate) fn install(&self, body: &[u8], now_unix: u64) -> Result<usize, JwksError> {
        let parsed = match parse_jwks(body, &self.config.algorithms) {
            Ok(parsed) => parsed,
            Err(error) => {
                self.record_failure(error.to_string());
                return Err(error);
            }
        };
        let old = self.keys.load();
        let mut set = KeySet::default();
        let mut added = 0;
        for (kid, key) in parsed {
            let kid = (!kid.is_empty()).then_some(kid);
            added += usize::from(kid.as_deref().is_some_and(|kid| !old.has_kid(kid)));
            set.insert(kid, key);
        }
        self.keys.store(Arc::new(set));
        let mut outcome = self.outcome.lock().unwrap_or_else(PoisonError::into_inner);
        outcome.last_success_unix = Some(now_unix);
        outcome.last_error = None;
        Ok(added)
    }

    pub(crate) fn record_failure(&self, error: String) {
        self.outcome
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .last_error = Some(error);
    }

    pub(crate) fn status(&self, issuer: &str) -> JwksStatus {
        let outcome = self.outcome.lock().unwrap_or_else(PoisonError::into_inner);
        JwksStatus {
            issuer: issuer.to_owned(),
            url: self.config.url.clone(),
            last_success_unix: outcome.last_success_unix,
            last_error: outcome.last_error.clone(),
            keys: self.keys.load().len(),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::auth::testing::signing_key;

    fn kids(keys: &[(String, VerifyingKey)]) -> Vec<&str> {
        keys.iter().map(|(kid, _)| kid.as_str()).collect()
    }

    #[test]
    fn keeps_pinned_signing_keys_and_skips_the_rest() {
        let (ec, rsa, ed) = (
            signing_key(Algorithm::ES256),
            signing_key(Algorithm::RS256),
            signing_key(Algorithm::EdDSA),
        );
        let mut encryption = ec.jwk(Some("enc"));
        encryption["use"] = json!("enc");
        let mut unpinned = ec.jwk(Some("no-alg"));
        unpinned.as_object_mut().unwrap().remove("alg");
        let mut broken = ec.jwk(Some("broken"));
        broken["x"] = json!("!!");
        let document = json!({"keys": [
            ec.jwk(Some("ec-1")),
            rsa.jwk(Some("rsa-1")),
            ed.jwk(Some("ed-1")),
            encryption,
            unpinned,
            broken,
            {"kty": "OKP", "crv": "Ed448", "x": "AA", "alg": "EdDSA", "kid": "ed448"},
            {"kty": "oct", "k": "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0", "alg": "HS256", "kid": "hmac"},
            {"kty": "EC", "kid": "path", "alg": "ES256", "crv": "P-256", "x": "AA", "y": "AA", "extra": [1]},
            ec.jwk(Some("ec-1")),
            "not an object",
        ]});
        let keys = parse_jwks(
            document.to_string().as_bytes(),
            &[Algorithm::ES256, Algorithm::RS256, Algorithm::EdDSA],
        )
        .unwrap();
        assert_eq!(kids(&keys), ["ec-1", "rsa-1", "ed-1"]);
        let only_ec = parse_jwks(document.to_string().as_bytes(), &[Algorithm::ES256]).unwrap();
        assert_eq!(kids(&only_ec), ["ec-1"]);
    }

    #[test]
    fn a_key_without_kid_is_used_only_alone() {
        let (a, b) = (signing_key(Algorithm::ES256), signing_key(Algorithm::ES256));
        let alone = json!({"keys": [a.jwk(None)]}).to_string();
        assert_eq!(
            kids(&parse_jwks(alone.as_bytes(), &[Algorithm::ES256]).unwrap()),
            [""]
        );
        let mixed = json!({"keys": [a.jwk(None), b.jwk(Some("b"))]}).to_string();
        assert_eq!(
            kids(&parse_jwks(mixed.as_bytes(), &[Algorithm::ES256]).unwrap()),
            ["b"]
        );
    }

    #[test]
    fn junk_documents_are_errors() {
        let pinned = [Algorithm::ES256];
        for junk in [
            &b"not json"[..],
            b"{}",
            b"{\"keys\": 5}",
            b"[]",
            b"",
            b"\xff\xfe",
        ] {
            assert!(matches!(
                parse_jwks(junk, &pinned),
                Err(JwksError::NotJwks(_))
            ));
        }
        for useless in [
            &br#"{"keys": []}"#[..],
            br#"{"keys": [{"kty": "EC"}]}"#,
            br#"{"keys": [{"kty": "XYZ", "alg": "ES256"}]}"#,
        ] {
            assert!(matches!(
                parse_jwks(useless, &pinned),
                Err(JwksError::NoUsableKey(_))
            ));
        }
        let huge = format!(
            "{{\"keys\": [], \"pad\": \"{}\"}}",
            "x".repeat(MAX_JWKS_BYTES)
        );
        assert!(matches!(
            parse_jwks(huge.as_bytes(), &pinned),
            Err(JwksError::TooLarge(_))
        ));
    }

    #[test]
    fn installing_counts_new_kids_and_keeps_keys_on_failure() {
        let (a, b) = (signing_key(Algorithm::ES256), signing_key(Algorithm::ES256));
        let store = JwksStore::new(JwksConfig {
            url: "https://idp.example/jwks".into(),
            algorithms: vec![Algorithm::ES256],
            refresh_interval: std::time::Duration::from_secs(300),
            min_refresh_interval: std::time::Duration::from_secs(30),
            timeout: std::time::Duration::from_secs(5),
        });
        let set = |keys: &[(&crate::auth::SigningKey, &str)]| {
            let keys: Vec<_> = keys.iter().map(|(key, kid)| key.jwk(Some(kid))).collect();
            json!({ "keys": keys }).to_string().into_bytes()
        };
        assert_eq!(store.install(&set(&[(&a, "a")]), 10), Ok(1));
        assert_eq!(store.install(&set(&[(&a, "a"), (&b, "b")]), 20), Ok(1));
        assert_eq!(store.install(&set(&[(&b, "b")]), 30), Ok(0));
        assert!(store.install(b"junk", 40).is_err());
        let status = store.status("idp");
        assert_eq!(status.keys, 1);
        assert_eq!(status.last_success_unix, Some(30));
        assert!(status.last_error.unwrap().contains("not a JWK Set"));
        assert!(store.keys().get("b").is_some());
    }
}
