//! Test fixtures: generated keys, issuer settings and compiled authenticators.

use std::path::Path;
use std::sync::OnceLock;

use indexmap::IndexMap;
use serde_json::{Value, json};

use super::{Algorithm, AuthConfig, Authenticator, IssuerConfig, KeyConfig, SigningKey, compile};

/// The clock of the tests (Unix seconds).
pub(crate) const NOW: u64 = 1_700_000_000;
/// The `iss` of the default issuer.
pub(crate) const ISS: &str = "https://idp.example";
/// The audience the default issuer accepts.
pub(crate) const AUD: &str = "canongate";

/// A fresh key for `algorithm`; RSA algorithms share one generated RSA key.
pub(crate) fn signing_key(algorithm: Algorithm) -> SigningKey {
    static RSA: OnceLock<SigningKey> = OnceLock::new();
    match algorithm {
        Algorithm::RS256
        | Algorithm::RS384
        | Algorithm::RS512
        | Algorithm::PS256
        | Algorithm::PS384
        | Algorithm::PS512 => RSA
            .get_or_init(|| SigningKey::generate(Algorithm::RS256).unwrap())
            .with_rsa_algorithm(algorithm)
            .unwrap(),
        _ => SigningKey::generate(algorithm).unwrap(),
    }
}

/// Inline key settings for `key`: its PEM, or its secret for HMAC.
pub(crate) fn key_config(key: &SigningKey, kid: Option<&str>) -> KeyConfig {
    KeyConfig {
        kid: kid.map(str::to_owned),
        algorithm: key.algorithm(),
        pem: key.public_pem(),
        pem_file: None,
        jwk: None,
        secret_base64: key.secret_base64(),
    }
}

/// An issuer with `iss` [`ISS`], audience [`AUD`] and the given keys.
pub(crate) fn issuer(keys: Vec<KeyConfig>) -> IssuerConfig {
    IssuerConfig {
        issuer: ISS.into(),
        audiences: vec![AUD.into()],
        require_iss: true,
        require_aud: None,
        require_nbf: false,
        leeway: std::time::Duration::from_secs(30),
        consumer_claim: Default::default(),
        keys,
        jwks: None,
    }
}

/// Compiles issuers named `idp`, `idp2`, … with default `auth:` settings, asserting no problem.
pub(crate) fn authenticator(issuers: Vec<IssuerConfig>) -> Authenticator {
    authenticator_with(&AuthConfig::default(), issuers)
}

/// Like [`authenticator`], with the given `auth:` block.
pub(crate) fn authenticator_with(auth: &AuthConfig, issuers: Vec<IssuerConfig>) -> Authenticator {
    let issuers: IndexMap<String, IssuerConfig> = issuers
        .into_iter()
        .enumerate()
        .map(|(index, issuer)| match index {
            0 => ("idp".to_owned(), issuer),
            n => (format!("idp{}", n + 1), issuer),
        })
        .collect();
    let mut problems = Vec::new();
    let compiled = compile(auth, &issuers, Path::new("."), &mut |at, message| {
        problems.push(format!("{at}: {message}"))
    });
    assert!(problems.is_empty(), "{problems:#?}");
    compiled
}

/// Claims accepted by the default issuer, valid for ten minutes from [`NOW`].
pub(crate) fn claims() -> Value {
    json!({
        "iss": ISS,
        "aud": AUD,
        "sub": "crm-sync",
        "exp": NOW + 600,
        "iat": NOW,
        "scope": "orders:write orders:read",
    })
}
