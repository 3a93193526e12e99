//! Compiling the `auth:` block and `issuers:` map into an [`Authenticator`].
//!
//! Every problem is reported with its location (`issuers.idp.keys[0].pem`, …) and compilation
//! carries on, so one run lists them all; the snapshot compile refuses the document when
//! anything was reported. Issuers keep their document-order indices even when broken, so
//! consumers' references stay aligned. Key material never causes a panic: every parse is fallible.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use http::HeaderName;
use indexmap::IndexMap;

use super::authenticator::{Authenticator, Issuer};
use super::config::{AuthConfig, IssuerConfig, JwksConfig, KeyConfig, KeyFamily};
use super::jwks::{JwksStore, KeySet};
use super::keys::{Jwk, VerifyingKey, kid_is_valid};

/// Largest leeway accepted.
const MAX_LEEWAY: Duration = Duration::from_secs(300);
/// Largest token cache accepted.
const MAX_CACHE_CAPACITY: usize = 10_000_000;
/// Largest PEM file read.
const MAX_PEM_FILE_BYTES: u64 = 1024 * 1024;

/// Header fields that cannot carry API keys: the gateway removes the key header before the
/// system, and these carry bearer tokens, framing, routing or trace data.
const RESERVED_HEADERS: [&str; 14] = [
    "authorization",
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "te",
    "trailer",
    "upgrade",
    "proxy-authorization",
    "traceparent",
    "tracestate",
    "x-request-id",
    "x-forwarded-for",
];

/// Compiles the authentication settings, reporting problems as `(location, message)`.
pub fn compile(
    auth: &AuthConfig,
    issuers: &IndexMap<String, IssuerConfig>,
    base_dir: &Path,
    report: &mut impl FnMut(String, String),
) -> Authenticator {
    let api_key_header = match HeaderName::from_bytes(auth.api_key_header.as_bytes()) {
        Ok(name)
            if RESERVED_HEADERS.contains(&name.as_str())
                || name.as_str().starts_with("x-canongate-") =>
        {
            report(
                "auth.api_key_header".into(),
                format!(
                    "`{name}` carries tokens, framing, routing or gateway data; choose another header for API keys"
                ),
            );
            name
        }
        Ok(name) => name,
        Err(_) => {
            report(
                "auth.api_key_header".into(),
                format!("`{}` is not a valid header name", auth.api_key_header),
            );
            HeaderName::from_static("x-api-key")
        }
    };
    if auth.token_cache_capacity > MAX_CACHE_CAPACITY {
        report(
            "auth.token_cache_capacity".into(),
            format!("at most {MAX_CACHE_CAPACITY} tokens can be cached"),
        );
    }
    let mut seen_iss: HashMap<&str, &str> = HashMap::new();
    let compiled = issuers
        .iter()
        .map(|(name, issuer)| {
            let at = format!("issuers.{name}");
            if let Some(holder) = seen_iss.insert(&issuer.issuer, name) {
                report(
                    format!("{at}.issuer"),
                    format!(
                        "`{}` is already the `iss` of issuer `{holder}`",
                        issuer.issuer
                    ),
                );
            }
            compile_issuer(&at, name, issuer, base_dir, report)
        })
        .collect();
    Authenticator::new(
        api_key_header,
        compiled,
        auth.token_cache_capacity.min(MAX_CACHE_CAPACITY),
    )
}

fn compile_issuer(
    at: &str,
    name: &str,
    issuer: &IssuerConfig,
    base_dir: &Path,
    report: &mut impl FnMut(String, String),
) -> Issuer {
    if issuer.issuer.trim().is_empty() {
        report(format!("{at}.issuer"), "must not be empty".into());
    }
    for (position, audience) in issuer.audiences.iter().enumerate() {
        if audience.is_empty() {
            report(
                format!("{at}.audiences[{position}]"),
                "must not be empty".into(),
            );
        }
    }
    if issuer.require_aud == Some(true) && issuer.audiences.is_empty() {
        report(
            format!("{at}.require_aud"),
            "an `aud` can only be required when `audiences` lists the accepted ones".into(),
        );
    }
    if issuer.leeway > MAX_LEEWAY {
        report(
            format!("{at}.leeway"),
            format!(
                "{} is more clock skew than tolerable (at most 5m)",
                crate::duration::format(issuer.leeway)
            ),
        );
    }
    if issuer.keys.is_empty() && issuer.jwks.is_none() {
        report(
            at.to_owned(),
            "the issuer has no keys: give `keys` or `jwks`".into(),
        );
    }
    let mut keys = KeySet::default();
    let mut without_kid = Vec::new();
    for (position, key) in issuer.keys.iter().enumerate() {
        let at = format!("{at}.keys[{position}]");
        let (Some(kid), Some(compiled)) = (
            key_kid(&at, key, report),
            compile_key(&at, key, base_dir, report),
        ) else {
            continue;
        };
        if kid.is_none() {
            without_kid.push((at.clone(), key.algorithm));
        }
        if !keys.insert(kid.clone(), compiled) {
            report(
                format!("{at}.kid"),
                format!("kid `{}` is used by another key", kid.unwrap_or_default()),
            );
        }
    }
    for (at, algorithm) in without_kid {
        if keys.with_algorithm(algorithm).nth(1).is_some() {
            report(
                format!("{at}.kid"),
                format!("the issuer has several {algorithm} keys, so each needs a kid"),
            );
        }
    }
    let jwks = issuer.jwks.as_ref().map(|jwks| {
        check_jwks(&format!("{at}.jwks"), jwks, report);
        JwksStore::new(jwks.clone())
    });
    Issuer {
        name: name.to_owned(),
        iss: issuer.issuer.clone(),
        audiences: issuer.audiences.clone(),
        require_iss: issuer.require_iss,
        require_aud: issuer.requires_aud(),
        require_nbf: issuer.require_nbf,
        leeway: issuer.leeway.as_secs(),
        consumer_claim: issuer.consumer_claim,
        keys,
        jwks,
    }
}

/// The key's kid (`Some(None)` when it has none); `None` when the kid is invalid.
fn key_kid(
    at: &str,
    key: &KeyConfig,
    report: &mut impl FnMut(String, String),
) -> Option<Option<String>> {
    let jwk_kid = key
        .jwk
        .as_ref()
        .and_then(|jwk| jwk.get("kid"))
        .and_then(serde_json::Value::as_str);
    let kid = match (key.kid.as_deref(), jwk_kid) {
        (Some(kid), Some(jwk_kid)) if kid != jwk_kid => {
            report(
                format!("{at}.kid"),
                format!("`{kid}` differs from the JWK's kid `{jwk_kid}`"),
            );
            return None;
        }
        (kid, jwk_kid) => kid.or(jwk_kid),
    };
    match kid {
        Some(kid) if !kid_is_valid(kid) => {
            report(
                format!("{at}.kid"),
                "a kid has 1 to 256 visible ASCII characters, without `..` or `\\`".into(),
            );
            None
        }
        kid => Some(kid.map(str::to_owned)),
    }
}

/// Where a key's material comes from.
enum Source<'a> {
    Pem(&'a str),
    PemFile(&'a Path),
    Jwk(&'a serde_json::Value),
    Secret(&'a str),
}

fn compile_key(
    at: &str,
    key: &KeyConfig,
    base_dir: &Path,
    report: &mut impl FnMut(String, String),
) -> Option<VerifyingKey> {
    let sources: Vec<(&str, Source<'_>)> = [
        key.pem.as_deref().map(|pem| ("pem", Source::Pem(pem))),
        key.pem_file
            .as_deref()
            .map(|path| ("pem_file", Source::PemFile(path))),
        key.jwk.as_ref().map(|jwk| ("jwk", Source::Jwk(jwk))),
        key.secret_base64
            .as_deref()
            .map(|secret| ("secret_base64", Source::Secret(secret))),
    ]
    .into_iter()
    .flatten()
    .collect();
    let [(field, source)] = sources.as_slice() else {
        let message = if sources.is_empty() {
            "give the key as one of `pem`, `pem_file`, `jwk` or `secret_base64`".to_owned()
        } else {
            let fields: Vec<&str> = sources.iter().map(|(field, _)| *field).collect();
            format!("give only one of {}", fields.join(", "))
        };
        report(at.to_owned(), message);
        return None;
    };
    let at = format!("{at}.{field}");
    let algorithm = key.algorithm;
    let compiled = match source {
        Source::Pem(pem) => VerifyingKey::from_pem(algorithm, pem.as_bytes()),
        Source::PemFile(path) => {
            let path = base_dir.join(path);
            match read_pem_file(&path) {
                Ok(pem) => VerifyingKey::from_pem(algorithm, &pem),
                Err(message) => {
                    report(at, format!("cannot read {}: {message}", path.display()));
                    return None;
                }
            }
        }
        Source::Jwk(jwk) => {
            if let Some(member) = private_jwk_member(jwk) {
                report(
                    at,
                    format!(
                        "the JWK holds the private member `{member}`: an issuer needs its public key only"
                    ),
                );
                return None;
            }
            Jwk::from_value(jwk).and_then(|jwk| VerifyingKey::from_jwk(algorithm, &jwk))
        }
        Source::Secret(secret) => VerifyingKey::from_base64_secret(algorithm, secret),
    };
    compiled.map_err(|error| report(at, error.to_string())).ok()
}

/// The first private-key member (RFC 7518 sections 6.2.2 and 6.3.2) a JWK holds, if any.
fn private_jwk_member(jwk: &serde_json::Value) -> Option<&'static str> {
    ["d", "p", "q", "dp", "dq", "qi", "oth"]
        .into_iter()
        .find(|member| jwk.get(member).is_some())
}

fn read_pem_file(path: &Path) -> Result<Vec<u8>, String> {
    let size = std::fs::metadata(path)
        .map_err(|error| error.to_string())?
        .len();
    if size > MAX_PEM_FILE_BYTES {
        return Err(format!("{size} bytes is too large for a PEM file"));
    }
    std::fs::read(path).map_err(|error| error.to_string())
}

fn check_jwks(at: &str, jwks: &JwksConfig, report: &mut impl FnMut(String, String)) {
    match url::Url::parse(&jwks.url) {
        Ok(url) => {
            let loopback = match url.host() {
                Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
                Some(url::Host::Ipv4(address)) => address.is_loopback(),
                Some(url::Host::Ipv6(address)) => address.is_loopback(),
                None => false,
            };
            match url.scheme() {
                "https" if url.host().is_some() => {}
                "http" if loopback => {}
                "http" => report(
                    format!("{at}.url"),
                    "keys must be fetched over https (plain http only from a loopback host)".into(),
                ),
                _ => report(
                    format!("{at}.url"),
                    format!("`{}` is not an https URL with a host", jwks.url),
                ),
            }
        }
        Err(error) => report(
            format!("{at}.url"),
            format!("`{}` is not a URL: {error}", jwks.url),
        ),
    }
    if jwks.algorithms.is_empty() {
        report(
            format!("{at}.algorithms"),
            "list the algorithms accepted from the set".into(),
        );
    }
    for (position, algorithm) in jwks.algorithms.iter().enumerate() {
        if algorithm.family() == KeyFamily::Hmac {
            report(
                format!("{at}.algorithms[{position}]"),
                format!("{algorithm} keys are secrets and are never taken from a JWKS"),
            );
        }
    }
    if jwks.min_refresh_interval < Duration::from_secs(1) {
        report(
            format!("{at}.min_refresh_interval"),
            "must be at least 1s".into(),
        );
    }
    if jwks.refresh_interval < jwks.min_refresh_interval {
        report(
            format!("{at}.refresh_interval"),
            "must not be shorter than `min_refresh_interval`".into(),
        );
    }
    if jwks.timeout.is_zero() || jwks.timeout > Duration::from_secs(60) {
        report(
            format!("{at}.timeout"),
            "must be between 1ms and 60s".into(),
        );
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::auth::testing::{NOW, claims, issuer, key_config, signing_key};
    use crate::auth::{Algorithm, KeyConfig, SigningKey};

    fn problems(
        auth: &AuthConfig,
        issuers: Vec<(&str, IssuerConfig)>,
        base_dir: &Path,
    ) -> (Authenticator, Vec<(String, String)>) {
        let issuers: IndexMap<String, IssuerConfig> = issuers
            .into_iter()
            .map(|(name, issuer)| (name.to_owned(), issuer))
            .collect();
        let mut found = Vec::new();
        let compiled = compile(auth, &issuers, base_dir, &mut |at, message| {
            found.push((at, message))
        });
        (compiled, found)
    }

    fn assert_reported(found: &[(String, String)], at: &str, fragment: &str) {
        assert!(
            found
                .iter()
                .any(|(location, message)| location == at && message.contains(fragment)),
            "no `{fragment}` at {at} in {found:#?}"
        );
    }

    fn bare(algorithm: Algorithm) -> KeyConfig {
        KeyConfig {
            kid: None,
            algorithm,
            pem: None,
            pem_file: None,
            jwk: None,
            secret_base64: None,
        }
    }

    #[test]
    fn key_material_problems_are_reported_where_they_are() {
        let ec = signing_key(Algorithm::ES256);
        let ec384 = signing_key(Algorithm::ES384);
        let mut ec384_jwk = ec384.jwk(None);
        ec384_jwk.as_object_mut().unwrap().remove("alg");
        let kid = |n: usize| Some(format!("k{n}"));
        let keys = vec![
            bare(Algorithm::ES256),
            KeyConfig {
                pem: ec.public_pem(),
                secret_base64: Some("c2VjcmV0".into()),
                ..bare(Algorithm::ES256)
            },
            KeyConfig {
                secret_base64: Some("c2hvcnQgc2VjcmV0".into()),
                ..bare(Algorithm::HS256)
            },
            KeyConfig {
                pem: ec.public_pem(),
                ..bare(Algorithm::HS256)
            },
            KeyConfig {
                pem: ec.public_pem(),
                ..bare(Algorithm::RS256)
            },
            KeyConfig {
                pem: ec384.public_pem(),
                ..bare(Algorithm::ES256)
            },
            KeyConfig {
                pem: Some(
                    "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMG\n-----END PRIVATE KEY-----\n".into(),
                ),
                ..bare(Algorithm::ES256)
            },
            KeyConfig {
                pem: Some("hello".into()),
                ..bare(Algorithm::ES256)
            },
            KeyConfig {
                jwk: Some(ec384_jwk),
                ..bare(Algorithm::ES256)
            },
            KeyConfig {
                jwk: Some(json!({"kty": "RSA", "n": "AQAB", "e": "AQAB"})),
                ..bare(Algorithm::RS256)
            },
            KeyConfig {
                pem_file: Some("missing.pem".into()),
                ..bare(Algorithm::EdDSA)
            },
            KeyConfig {
                kid: Some("../x".into()),
                ..key_config(&ec, None)
            },
            KeyConfig {
                kid: Some("dup".into()),
                ..key_config(&ec, None)
            },
            KeyConfig {
                kid: Some("dup".into()),
                ..key_config(&signing_key(Algorithm::EdDSA), None)
            },
            KeyConfig {
                secret_base64: Some("!!!".into()),
                ..bare(Algorithm::HS512)
            },
            KeyConfig {
                jwk: Some(json!("not an object")),
                ..bare(Algorithm::ES256)
            },
            KeyConfig {
                jwk: Some(ec.jwk(Some("inner"))),
                pem: None,
                ..key_config(&ec, kid(16).as_deref())
            },
        ];
        let (_, found) = problems(
            &AuthConfig::default(),
            vec![("idp", issuer(keys))],
            Path::new("/nonexistent"),
        );
        let at = |n: usize| format!("issuers.idp.keys[{n}]");
        assert_reported(
            &found,
            &at(0),
            "one of `pem`, `pem_file`, `jwk` or `secret_base64`",
        );
        assert_reported(&found, &at(1), "only one of pem, secret_base64");
        assert_reported(
            &found,
            &format!("{}.secret_base64", at(2)),
            "at least 32 bytes",
        );
        assert_reported(
            &found,
            &format!("{}.pem", at(3)),
            "HS256 needs a shared secret",
        );
        assert_reported(
            &found,
            &format!("{}.pem", at(4)),
            "RS256 needs an RSA public key, not an elliptic-curve key",
        );
        assert_reported(
            &found,
            &format!("{}.pem", at(5)),
            "ES256 needs a P-256 public key, not a P-384 key",
        );
        assert_reported(&found, &format!("{}.pem", at(6)), "private key");
        assert_reported(
            &found,
            &format!("{}.pem", at(7)),
            "not a PEM public key or certificate for ES256",
        );
        assert_reported(
            &found,
            &format!("{}.jwk", at(8)),
            "curve `P-384` cannot verify ES256",
        );
        assert_reported(&found, &format!("{}.jwk", at(9)), "2048 to 8192 bits");
        assert_reported(
            &found,
            &format!("{}.pem_file", at(10)),
            "cannot read /nonexistent/missing.pem",
        );
        assert_reported(&found, &format!("{}.kid", at(11)), "visible ASCII");
        assert_reported(
            &found,
            &format!("{}.kid", at(13)),
            "kid `dup` is used by another key",
        );
        assert_reported(&found, &format!("{}.secret_base64", at(14)), "not base64");
        assert_reported(&found, &format!("{}.jwk", at(15)), "JWK is malformed");
        assert_reported(
            &found,
            &format!("{}.kid", at(16)),
            "differs from the JWK's kid `inner`",
        );
        assert_eq!(found.len(), 16, "{found:#?}");
    }

    #[test]
    fn issuer_auth_and_jwks_problems_are_reported() {
        let key = signing_key(Algorithm::ES256);
        let mut lax = issuer(vec![key_config(&key, Some("a"))]);
        lax.leeway = Duration::from_secs(600);
        lax.require_aud = Some(true);
        lax.audiences.clear();
        let mut keyless = issuer(Vec::new());
        keyless.issuer = " ".into();
        let mut twin = issuer(vec![key_config(&key, Some("a"))]);
        twin.leeway = Duration::from_secs(300);
        twin.audiences = vec![String::new()];
        let jwks = |url: &str, algorithms: Vec<Algorithm>, min: u64, refresh: u64, timeout: u64| {
            let mut config = issuer(Vec::new());
            config.issuer = format!(
                "https://{}.example",
                algorithms.len() + min as usize + url.len()
            );
            config.jwks = Some(JwksConfig {
                url: url.into(),
                algorithms,
                refresh_interval: Duration::from_secs(refresh),
                min_refresh_interval: Duration::from_millis(min),
                timeout: Duration::from_secs(timeout),
            });
            config
        };
        let auth = AuthConfig {
            api_key_header: "x api key".into(),
            token_cache_capacity: usize::MAX,
        };
        let (_, found) = problems(
            &auth,
            vec![
                ("lax", lax),
                ("keyless", keyless),
                ("twin", twin),
                (
                    "ftp",
                    jwks(
                        "ftp://idp.example/keys",
                        vec![Algorithm::ES256],
                        1000,
                        60,
                        5,
                    ),
                ),
                ("plain", jwks("http://idp.example/keys", vec![], 0, 60, 0)),
                (
                    "junk",
                    jwks("not a url", vec![Algorithm::HS256], 60_000, 30, 61),
                ),
                (
                    "local",
                    jwks(
                        "http://127.0.0.1:9/keys",
                        vec![Algorithm::RS256],
                        1000,
                        60,
                        5,
                    ),
                ),
            ],
            Path::new("."),
        );
        assert_reported(&found, "auth.api_key_header", "not a valid header name");
        assert_reported(&found, "auth.token_cache_capacity", "at most");
        assert_reported(&found, "issuers.lax.leeway", "10m is more clock skew");
        assert_reported(&found, "issuers.lax.require_aud", "`audiences`");
        assert_reported(&found, "issuers.twin.audiences[0]", "must not be empty");
        assert_reported(&found, "issuers.keyless.issuer", "must not be empty");
        assert_reported(&found, "issuers.keyless", "no keys");
        assert_reported(
            &found,
            "issuers.twin.issuer",
            "already the `iss` of issuer `lax`",
        );
        assert_reported(&found, "issuers.ftp.jwks.url", "not an https URL");
        assert_reported(&found, "issuers.plain.jwks.url", "over https");
        assert_reported(
            &found,
            "issuers.plain.jwks.algorithms",
            "list the algorithms",
        );
        assert_reported(
            &found,
            "issuers.plain.jwks.min_refresh_interval",
            "at least 1s",
        );
        assert_reported(&found, "issuers.plain.jwks.timeout", "between");
        assert_reported(&found, "issuers.junk.jwks.url", "not a URL");
        assert_reported(
            &found,
            "issuers.junk.jwks.algorithms[0]",
            "never taken from a JWKS",
        );
        assert_reported(&found, "issuers.junk.jwks.refresh_interval", "shorter than");
        assert_reported(&found, "issuers.junk.jwks.timeout", "between");
        assert!(
            !found.iter().any(|(at, _)| at.starts_with("issuers.local")),
            "{found:#?}"
        );
        assert_eq!(found.len(), 17, "{found:#?}");

        let (_, found) = problems(
            &AuthConfig {
                api_key_header: "Authorization".into(),
                ..AuthConfig::default()
            },
            Vec::new(),
            Path::new("."),
        );
        assert_reported(
            &found,
            "auth.api_key_header",
            "carries tokens, framing, routing or gateway data",
        );
    }

    #[test]
    fn keys_without_kid_must_be_the_only_key_of_their_algorithm() {
        let (a, b) = (signing_key(Algorithm::ES256), signing_key(Algorithm::ES256));
        let (_, found) = problems(
            &AuthConfig::default(),
            vec![(
                "idp",
                issuer(vec![key_config(&a, None), key_config(&b, Some("b"))]),
            )],
            Path::new("."),
        );
        assert_reported(&found, "issuers.idp.keys[0].kid", "several ES256 keys");
        assert_eq!(found.len(), 1);
    }

    #[test]
    fn pem_files_and_certificates_are_read_relative_to_the_document() {
        let dir = tempfile::tempdir().unwrap();
        let key = signing_key(Algorithm::EdDSA);
        std::fs::write(dir.path().join("ed.pem"), key.public_pem().unwrap()).unwrap();
        let certified = rcgen::generate_simple_self_signed(vec!["idp.example".into()]).unwrap();
        std::fs::write(dir.path().join("idp.crt"), certified.cert.pem()).unwrap();
        let keys = vec![
            KeyConfig {
                kid: Some("ed".into()),
                pem_file: Some("ed.pem".into()),
                ..bare(Algorithm::EdDSA)
            },
            KeyConfig {
                kid: Some("cert".into()),
                pem_file: Some("idp.crt".into()),
                ..bare(Algorithm::ES256)
            },
        ];
        let (auth, found) = problems(
            &AuthConfig::default(),
            vec![("idp", issuer(keys))],
            dir.path(),
        );
        assert!(found.is_empty(), "{found:#?}");
        assert!(
            auth.verify_bearer(&key.sign(Some("ed"), &claims()).unwrap(), NOW)
                .is_ok()
        );

        // A token signed by the certificate's private key, minted by `jsonwebtoken`.
        let pkcs8 = certified.signing_key.serialize_der();
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
        header.kid = Some("cert".into());
        let token = jsonwebtoken::encode(
            &header,
            &claims(),
            &jsonwebtoken::EncodingKey::from_ec_der(&pkcs8),
        )
        .unwrap();
        assert_eq!(auth.verify_bearer(&token, NOW).unwrap().subject, "crm-sync");
        let forged = SigningKey::generate(Algorithm::ES256)
            .unwrap()
            .sign(Some("cert"), &claims())
            .unwrap();
        assert!(auth.verify_bearer(&forged, NOW).is_err());
    }
}
