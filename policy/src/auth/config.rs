//! The authentication part of the gateway document: the `auth:` block and the `issuers:` map.
//!
//! Plain serde data. Shapes are checked here; meanings (key material, URLs, intervals) are
//! checked by [`crate::auth::compile`].

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// `auth:` block of the gateway document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthConfig {
    /// Request header that carries an API key.
    #[serde(default = "AuthConfig::default_api_key_header")]
    pub api_key_header: String,
    /// How many verified tokens the verified-token cache holds (0 turns the cache off).
    #[serde(default = "AuthConfig::default_token_cache_capacity")]
    pub token_cache_capacity: usize,
}

impl AuthConfig {
    fn default_api_key_header() -> String {
        "x-api-key".into()
    }
    fn default_token_cache_capacity() -> usize {
        100_000
    }
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            api_key_header: Self::default_api_key_header(),
            token_cache_capacity: Self::default_token_cache_capacity(),
        }
    }
}

/// One entry of `issuers:` (a map from issuer name to its settings).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IssuerConfig {
    /// The expected `iss` claim.
    pub issuer: String,
    /// Accepted `aud` values; when empty, `aud` is not checked.
    #[serde(default)]
    pub audiences: Vec<String>,
    /// Whether a token must carry `iss` (a token without it is matched to an issuer by `kid`).
    #[serde(default = "default_true")]
    pub require_iss: bool,
    /// Whether a token must carry `aud`; defaults to true when `audiences` is not empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub require_aud: Option<bool>,
    /// Whether a token must carry `nbf` (it is checked whenever present). `exp` is always
    /// required.
    #[serde(default)]
    pub require_nbf: bool,
    /// Clock skew tolerated on `exp` and `nbf`.
    #[serde(default = "IssuerConfig::default_leeway", with = "crate::duration")]
    pub leeway: Duration,
    /// The claim that names the consumer.
    #[serde(default)]
    pub consumer_claim: ConsumerClaim,
    /// Keys given inline in the document.
    #[serde(default)]
    pub keys: Vec<KeyConfig>,
    /// Keys fetched from a JWKS endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks: Option<JwksConfig>,
}

fn default_true() -> bool {
    true
}

impl IssuerConfig {
    fn default_leeway() -> Duration {
        Duration::from_secs(30)
    }

    /// Whether `aud` is required, after applying the default.
    pub fn requires_aud(&self) -> bool {
        self.require_aud.unwrap_or(!self.audiences.is_empty())
    }
}

/// The claim whose value identifies the consumer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsumerClaim {
    /// `sub` (RFC 7519).
    #[default]
    Sub,
    /// `client_id` (RFC 8693 / RFC 9068).
    ClientId,
    /// `azp` (OpenID Connect authorized party).
    Azp,
}

impl ConsumerClaim {
    /// The claim's name in a token.
    pub fn name(self) -> &'static str {
        match self {
            Self::Sub => "sub",
            Self::ClientId => "client_id",
            Self::Azp => "azp",
        }
    }
}

/// A JWS signature algorithm a key is pinned to.
#[allow(clippy::upper_case_acronyms)] // the JOSE names, as written in tokens and documents
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Algorithm {
    /// HMAC with SHA-256.
    HS256,
    /// HMAC with SHA-384.
    HS384,
    /// HMAC with SHA-512.
    HS512,
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    RS256,
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    RS384,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    RS512,
    /// RSASSA-PSS with SHA-256.
    PS256,
    /// RSASSA-PSS with SHA-384.
    PS384,
    /// RSASSA-PSS with SHA-512.
    PS512,
    /// ECDSA on P-256 with SHA-256.
    ES256,
    /// ECDSA on P-384 with SHA-384.
    ES384,
    /// Ed25519.
    EdDSA,
}

/// The kind of key an [`Algorithm`] needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyFamily {
    /// A shared secret.
    Hmac,
    /// An RSA public key.
    Rsa,
    /// An elliptic-curve public key.
    Ec,
    /// An Edwards-curve public key.
    Ed,
}

impl Algorithm {
    /// Every supported algorithm.
    pub const ALL: [Self; 12] = [
        Self::HS256,
        Self::HS384,
        Self::HS512,
        Self::RS256,
        Self::RS384,
        Self::RS512,
        Self::PS256,
        Self::PS384,
        Self::PS512,
        Self::ES256,
        Self::ES384,
        Self::EdDSA,
    ];

    /// The JOSE name (`alg` header value).
    pub fn name(self) -> &'static str {
        match self {
            Self::HS256 => "HS256",
            Self::HS384 => "HS384",
            Self::HS512 => "HS512",
            Self::RS256 => "RS256",
            Self::RS384 => "RS384",
            Self::RS512 => "RS512",
            Self::PS256 => "PS256",
            Self::PS384 => "PS384",
            Self::PS512 => "PS512",
            Self::ES256 => "ES256",
            Self::ES384 => "ES384",
            Self::EdDSA => "EdDSA",
        }
    }

    /// The algorithm with JOSE name `name` (`none` and unknown names give `None`).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|alg| alg.name() == name)
    }

    /// The kind of key the algorithm needs.
    pub fn family(self) -> KeyFamily {
        match self {
            Self::HS256 | Self::HS384 | Self::HS512 => KeyFamily::Hmac,
            Self::RS256 | Self::RS384 | Self::RS512 | Self::PS256 | Self::PS384 | Self::PS512 => {
                KeyFamily::Rsa
            }
            Self::ES256 | Self::ES384 => KeyFamily::Ec,
            Self::EdDSA => KeyFamily::Ed,
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A key given inline; exactly one of `pem`, `pem_file`, `jwk` and `secret_base64` is set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyConfig {
    /// Key id matched against the token header's `kid`; a token without `kid` uses the issuer's
    /// only key of the token's algorithm.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    /// The one algorithm this key verifies.
    pub algorithm: Algorithm,
    /// PEM text: a public key (`PUBLIC KEY`, `RSA PUBLIC KEY`) or a certificate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pem: Option<String>,
    /// Path of a PEM file, relative to the document's directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pem_file: Option<PathBuf>,
    /// A JWK (RFC 7517) object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwk: Option<serde_json::Value>,
    /// HMAC secret in base64 (standard or URL-safe alphabet); HS256/384/512 only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_base64: Option<String>,
}

/// Where an issuer publishes its keys.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JwksConfig {
    /// URL of the JWK Set (`https`, or `http` on a loopback host).
    pub url: String,
    /// Algorithms accepted from the set; a JWK whose `alg` is missing or not listed is ignored.
    pub algorithms: Vec<Algorithm>,
    /// How often the set is fetched.
    #[serde(
        default = "JwksConfig::default_refresh_interval",
        with = "crate::duration"
    )]
    pub refresh_interval: Duration,
    /// Shortest time between two fetches (an unknown `kid` triggers at most one fetch per this
    /// interval; a failed fetch is retried after it).
    #[serde(
        default = "JwksConfig::default_min_refresh_interval",
        with = "crate::duration"
    )]
    pub min_refresh_interval: Duration,
    /// Time allowed for one fetch.
    #[serde(default = "JwksConfig::default_timeout", with = "crate::duration")]
    pub timeout: Duration,
}

impl JwksConfig {
    fn default_refresh_interval() -> Duration {
        Duration::from_secs(300)
    }
    fn default_min_refresh_interval() -> Duration {
        Duration::from_secs(30)
    }
    fn default_timeout() -> Duration {
        Duration::from_secs(5)
    }
}

#[cfg(test)]
mod tests {
    use indexmap::IndexMap;

    use super::*;

    #[test]
    fn documents_read_with_defaults_and_refuse_unknown_fields() {
        let issuers: IndexMap<String, IssuerConfig> = serde_norway::from_str(
            r#"
idp:
  issuer: https://idp.example
  audiences: [canongate]
  consumer_claim: client_id
  keys:
    - { kid: k1, algorithm: HS256, secret_base64: c2VjcmV0 }
  jwks:
    url: https://idp.example/jwks
    algorithms: [RS256, EdDSA]
    refresh_interval: 10m
"#,
        )
        .unwrap();
        let idp = &issuers["idp"];
        assert!(idp.require_iss && idp.requires_aud() && !idp.require_nbf);
        assert_eq!(idp.leeway, Duration::from_secs(30));
        assert_eq!(idp.consumer_claim, ConsumerClaim::ClientId);
        assert_eq!(idp.keys[0].algorithm, Algorithm::HS256);
        let jwks = idp.jwks.as_ref().unwrap();
        assert_eq!(jwks.algorithms, [Algorithm::RS256, Algorithm::EdDSA]);
        assert_eq!(
            (
                jwks.refresh_interval,
                jwks.min_refresh_interval,
                jwks.timeout
            ),
            (
                Duration::from_secs(600),
                Duration::from_secs(30),
                Duration::from_secs(5)
            )
        );
        let auth: AuthConfig = serde_norway::from_str("{}").unwrap();
        assert_eq!(auth, AuthConfig::default());
        assert_eq!(
            (auth.api_key_header.as_str(), auth.token_cache_capacity),
            ("x-api-key", 100_000)
        );

        for bad in [
            "issuer: a\nkeys: [{ algorithm: none, secret_base64: x }]",
            "issuer: a\nkeys: [{ algorithm: HS256, secret: x }]",
            "issuer: a\nleeway: 30",
            "issuer: a\nconsumer_claim: email",
            "issuer: a\naudience: b",
        ] {
            assert!(
                serde_norway::from_str::<IssuerConfig>(bad).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn algorithm_names_round_trip() {
        for algorithm in Algorithm::ALL {
            assert_eq!(Algorithm::from_name(algorithm.name()), Some(algorithm));
            let json = serde_json::to_string(&algorithm).unwrap();
            assert_eq!(json, format!("\"{algorithm}\""));
        }
        assert_eq!(Algorithm::from_name("none"), None);
        assert_eq!(Algorithm::from_name("hs256"), None);
    }
}
