//! The JWT vector suite: standard vectors, known attacks, every algorithm family, claim rules
//! and the verified-token cache, through compile and `verify_bearer`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::json;

use super::testing::{
    AUD, NOW, authenticator, authenticator_with, claims, issuer, key_config, signing_key,
};
use super::{Algorithm, AuthConfig, AuthError, ConsumerClaim, JwksConfig, SigningKey};

/// RFC 7515 appendix A.1: an HS256 JWS with `iss: joe`, expired since 2011-03-22.
const RFC7515_A1: &str = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
/// The RFC 7515 appendix A.1 key (`k` of the JWK).
const RFC7515_A1_KEY: &str =
    "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow";
/// RFC 7519 section 6.1: an unsecured JWT (`alg: none`) with the same claims.
const RFC7519_UNSECURED: &str = "eyJhbGciOiJub25lIn0.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.";

fn joe() -> super::IssuerConfig {
    let mut joe = issuer(vec![super::KeyConfig {
        secret_base64: Some(RFC7515_A1_KEY.into()),
        pem: None,
        ..key_config(&signing_key(Algorithm::HS256), None)
    }]);
    joe.issuer = "joe".into();
    joe.audiences.clear();
    joe
}

#[test]
fn rfc7515_a1_token_verifies_but_has_expired() {
    let auth = authenticator(vec![joe()]);
    assert_eq!(auth.verify_bearer(RFC7515_A1, NOW), Err(AuthError::Expired));
    // Just before its exp the signature and time checks pass; only the consumer claim is absent.
    assert_eq!(
        auth.verify_bearer(RFC7515_A1, 1_300_819_379),
        Err(AuthError::MissingClaim("sub"))
    );
}

#[test]
fn rfc7519_unsecured_token_is_refused() {
    let auth = authenticator(vec![joe()]);
    for now in [NOW, 1_300_819_000] {
        assert_eq!(
            auth.verify_bearer(RFC7519_UNSECURED, now),
            Err(AuthError::AlgorithmMismatch {
                found: "none".into()
            })
        );
    }
}

#[test]
fn hs256_signed_with_the_rsa_public_key_is_refused() {
    let rsa = signing_key(Algorithm::RS256);
    let auth = authenticator(vec![issuer(vec![key_config(&rsa, Some("rsa-1"))])]);
    let pem = rsa.public_pem().unwrap();
    let forger = SigningKey::from_secret(Algorithm::HS256, pem.as_bytes()).unwrap();
    for kid in [Some("rsa-1"), None] {
        let forged = forger.sign(kid, &claims()).unwrap();
        assert!(
            matches!(
                auth.verify_bearer(&forged, NOW),
                Err(AuthError::AlgorithmMismatch { .. })
            ),
            "kid {kid:?}"
        );
    }
    let genuine = rsa.sign(Some("rsa-1"), &claims()).unwrap();
    assert!(auth.verify_bearer(&genuine, NOW).is_ok());
}

#[test]
fn every_algorithm_family_round_trips_from_pem_secret_and_jwk() {
    for algorithm in Algorithm::ALL {
        let key = signing_key(algorithm);
        let mut from_jwk = key_config(&key, Some("jwk-1"));
        (from_jwk.pem, from_jwk.secret_base64, from_jwk.jwk) = (None, None, Some(key.jwk(None)));
        let auth = authenticator(vec![issuer(vec![key_config(&key, Some("k-1")), from_jwk])]);
        for kid in ["k-1", "jwk-1"] {
            let token = key.sign(Some(kid), &claims()).unwrap();
            let verified = auth
                .verify_bearer(&token, NOW)
                .unwrap_or_else(|error| panic!("{algorithm} via {kid}: {error}"));
            assert_eq!(verified.subject, "crm-sync");
            assert_eq!(verified.scopes, ["orders:read", "orders:write"]);
            assert_eq!(verified.expires_at, NOW + 600);
            assert_eq!(verified.issuer, 0);
        }
        let other = signing_key(algorithm);
        if algorithm.family() != super::KeyFamily::Rsa {
            let foreign = other.sign(Some("k-1"), &claims()).unwrap();
            assert_eq!(
                auth.verify_bearer(&foreign, NOW),
                Err(AuthError::BadSignature),
                "{algorithm}"
            );
        }
    }
}

#[test]
fn unknown_kid_names_the_issuer_for_a_refresh() {
    let key = signing_key(Algorithm::ES256);
    let auth = authenticator(vec![issuer(vec![key_config(&key, Some("k-1"))])]);
    let token = key.sign(Some("k-2"), &claims()).unwrap();
    assert_eq!(
        auth.verify_bearer(&token, NOW),
        Err(AuthError::UnknownKid {
            issuer: 0,
            kid: "k-2".into()
        })
    );
}

#[test]
fn kid_with_path_characters_or_absurd_length_is_malformed() {
    let key = signing_key(Algorithm::ES256);
    let auth = authenticator(vec![issuer(vec![key_config(&key, Some("k-1"))])]);
    let long = "k".repeat(300);
    for kid in ["../../etc/passwd", "..\\keys", "a\u{0}b", "", long.as_str()] {
        let token = key.sign(Some(kid), &claims()).unwrap();
        assert!(
            matches!(
                auth.verify_bearer(&token, NOW),
                Err(AuthError::Malformed(_))
            ),
            "{kid:.20}"
        );
    }
}

#[test]
fn tampering_breaks_the_signature() {
    let key = signing_key(Algorithm::ES256);
    let auth = authenticator(vec![issuer(vec![key_config(&key, Some("k-1"))])]);
    let token = key.sign(Some("k-1"), &claims()).unwrap();
    let (header, rest) = token.split_once('.').unwrap();
    let (_, signature) = rest.split_once('.').unwrap();

    let mut elevated = claims();
    elevated["scope"] = json!("orders:write orders:read admin");
    let payload = URL_SAFE_NO_PAD.encode(elevated.to_string());
    let tampered_payload = format!("{header}.{payload}.{signature}");
    assert_eq!(
        auth.verify_bearer(&tampered_payload, NOW),
        Err(AuthError::BadSignature)
    );

    let mut bytes = URL_SAFE_NO_PAD.decode(signature).unwrap();
    bytes[10] ^= 0x01;
    let tampered_signature = format!(
        "{}.{}",
        token.rsplit_once('.').unwrap().0,
        URL_SAFE_NO_PAD.encode(&bytes)
    );
    assert_eq!(
        auth.verify_bearer(&tampered_signature, NOW),
        Err(AuthError::BadSignature)
    );

    let zeros = format!(
        "{}.{}",
        token.rsplit_once('.').unwrap().0,
        URL_SAFE_NO_PAD.encode([0u8; 64])
    );
    assert_eq!(
        auth.verify_bearer(&zeros, NOW),
        Err(AuthError::BadSignature)
    );
    assert!(auth.verify_bearer(&token, NOW).is_ok());
}

#[test]
fn iss_aud_nbf_and_exp_rules() {
    let key = signing_key(Algorithm::ES256);
    let mut strict = issuer(vec![key_config(&key, Some("k-1"))]);
    strict.require_nbf = true;
    let auth = authenticator(vec![strict]);
    let sign = |change: &dyn Fn(&mut serde_json::Value)| {
        let mut claims = claims();
        claims["nbf"] = json!(NOW - 10);
        change(&mut claims);
        auth.verify_bearer(&key.sign(Some("k-1"), &claims).unwrap(), NOW)
    };
    assert!(sign(&|_| {}).is_ok());
    assert_eq!(
        sign(&|c| c["iss"] = json!("https://evil.example")),
        Err(AuthError::WrongIssuer)
    );
    assert_eq!(
        sign(&|c| c["aud"] = json!("someone-else")),
        Err(AuthError::WrongAudience)
    );
    assert!(sign(&|c| c["aud"] = json!(["someone-else", AUD])).is_ok());
    assert_eq!(
        sign(&|c| drop(c.as_object_mut().unwrap().remove("aud"))),
        Err(AuthError::MissingClaim("aud"))
    );
    assert_eq!(
        sign(&|c| c["nbf"] = json!(NOW + 3600)),
        Err(AuthError::NotYetValid)
    );
    assert!(
        sign(&|c| c["nbf"] = json!(NOW + 20)).is_ok(),
        "within the leeway"
    );
    assert_eq!(
        sign(&|c| drop(c.as_object_mut().unwrap().remove("nbf"))),
        Err(AuthError::MissingClaim("nbf"))
    );
    assert_eq!(
        sign(&|c| drop(c.as_object_mut().unwrap().remove("exp"))),
        Err(AuthError::MissingClaim("exp"))
    );
    assert_eq!(
        sign(&|c| c["exp"] = json!(NOW - 31)),
        Err(AuthError::Expired)
    );
    assert!(
        sign(&|c| c["exp"] = json!(NOW - 29)).is_ok(),
        "within the leeway"
    );
    assert!(matches!(
        sign(&|c| c["exp"] = json!(-5)),
        Err(AuthError::Malformed(_))
    ));
    assert_eq!(
        sign(&|c| drop(c.as_object_mut().unwrap().remove("sub"))),
        Err(AuthError::MissingClaim("sub"))
    );
    assert_eq!(
        sign(&|c| drop(c.as_object_mut().unwrap().remove("iss"))),
        Err(AuthError::MissingClaim("iss"))
    );
}

#[test]
fn unknown_iss_without_a_known_kid_is_an_unknown_issuer() {
    let key = signing_key(Algorithm::ES256);
    let auth = authenticator(vec![issuer(vec![key_config(&key, Some("k-1"))])]);
    let mut foreign = claims();
    foreign["iss"] = json!("https://elsewhere.example");
    let token = key.sign(Some("k-9"), &foreign).unwrap();
    assert_eq!(
        auth.verify_bearer(&token, NOW),
        Err(AuthError::UnknownIssuer)
    );
}

#[test]
fn scopes_come_from_scope_and_scp_and_the_consumer_claim_is_configurable() {
    let key = signing_key(Algorithm::EdDSA);
    let mut by_client = issuer(vec![key_config(&key, None)]);
    by_client.consumer_claim = ConsumerClaim::ClientId;
    let auth = authenticator(vec![by_client]);
    let mut claims = claims();
    claims["client_id"] = json!("erp-batch");
    claims["scp"] = json!(["stock:read", "orders:read"]);
    let verified = auth
        .verify_bearer(&key.sign(None, &claims).unwrap(), NOW)
        .unwrap();
    assert_eq!(verified.subject, "erp-batch");
    assert_eq!(
        verified.scopes,
        ["orders:read", "orders:write", "stock:read"]
    );
    claims["scp"] = json!("a b");
    claims.as_object_mut().unwrap().remove("scope");
    let verified = auth
        .verify_bearer(&key.sign(None, &claims).unwrap(), NOW)
        .unwrap();
    assert_eq!(verified.scopes, ["a", "b"]);
}

#[test]
fn key_choice_without_kid_needs_exactly_one_key_of_the_algorithm() {
    let (first, second) = (signing_key(Algorithm::ES256), signing_key(Algorithm::ES256));
    let auth = authenticator(vec![issuer(vec![
        key_config(&first, Some("a")),
        key_config(&second, Some("b")),
    ])]);
    let token = first.sign(None, &claims()).unwrap();
    assert!(matches!(
        auth.verify_bearer(&token, NOW),
        Err(AuthError::Malformed(_))
    ));
    let auth = authenticator(vec![issuer(vec![
        key_config(&first, Some("a")),
        key_config(&signing_key(Algorithm::EdDSA), Some("b")),
    ])]);
    assert!(auth.verify_bearer(&token, NOW).is_ok());
    let es384 = signing_key(Algorithm::ES384).sign(None, &claims()).unwrap();
    assert!(matches!(
        auth.verify_bearer(&es384, NOW),
        Err(AuthError::AlgorithmMismatch { .. })
    ));
}

#[test]
fn tokens_without_iss_are_matched_by_kid_when_allowed() {
    let (a, b) = (signing_key(Algorithm::ES256), signing_key(Algorithm::ES256));
    let mut first = issuer(vec![key_config(&a, Some("a"))]);
    first.require_iss = false;
    let mut second = issuer(vec![key_config(&b, Some("b"))]);
    second.issuer = "https://other.example".into();
    let auth = authenticator(vec![first, second]);
    let mut anonymous = claims();
    anonymous.as_object_mut().unwrap().remove("iss");
    let verified = auth
        .verify_bearer(&a.sign(Some("a"), &anonymous).unwrap(), NOW)
        .unwrap();
    assert_eq!(verified.issuer, 0);
    assert_eq!(
        auth.verify_bearer(&b.sign(Some("b"), &anonymous).unwrap(), NOW),
        Err(AuthError::MissingClaim("iss"))
    );
    assert_eq!(
        auth.verify_bearer(&a.sign(None, &anonymous).unwrap(), NOW),
        Err(AuthError::UnknownIssuer)
    );
}

fn jwks_issuer() -> super::IssuerConfig {
    let mut config = issuer(Vec::new());
    config.jwks = Some(JwksConfig {
        url: "https://idp.example/jwks".into(),
        algorithms: vec![Algorithm::ES256],
        refresh_interval: std::time::Duration::from_secs(300),
        min_refresh_interval: std::time::Duration::from_secs(30),
        timeout: std::time::Duration::from_secs(5),
    });
    config
}

fn jwks_of(keys: &[(&SigningKey, &str)]) -> Vec<u8> {
    let keys: Vec<_> = keys.iter().map(|(key, kid)| key.jwk(Some(kid))).collect();
    json!({ "keys": keys }).to_string().into_bytes()
}

#[test]
fn a_cache_hit_skips_the_signature_check() {
    let (old, new) = (signing_key(Algorithm::ES256), signing_key(Algorithm::ES256));
    let auth = authenticator(vec![jwks_issuer()]);
    auth.install_jwks(0, &jwks_of(&[(&old, "k-1")]), NOW)
        .unwrap();
    let token = old.sign(Some("k-1"), &claims()).unwrap();
    assert_eq!(auth.verify_bearer(&token, NOW).unwrap().subject, "crm-sync");
    // Swap the key behind `k-1`: verifying the token again would now fail.
    auth.install_jwks(0, &jwks_of(&[(&new, "k-1")]), NOW)
        .unwrap();
    let mut fresh_claims = claims();
    fresh_claims["jti"] = json!("fresh");
    let fresh = old.sign(Some("k-1"), &fresh_claims).unwrap();
    assert_eq!(
        auth.verify_bearer(&fresh, NOW),
        Err(AuthError::BadSignature)
    );
    assert_eq!(
        auth.verify_bearer(&token, NOW + 1).unwrap().subject,
        "crm-sync"
    );
    let stats = auth.token_cache_stats();
    assert_eq!((stats.hits, stats.misses, stats.entries), (1, 2, 1));
}

#[test]
fn expired_cache_entries_miss_and_fail() {
    let key = signing_key(Algorithm::HS256);
    let auth = authenticator(vec![issuer(vec![key_config(&key, None)])]);
    let token = key.sign(None, &claims()).unwrap();
    assert!(auth.verify_bearer(&token, NOW).is_ok());
    assert!(auth.verify_bearer(&token, NOW + 629).is_ok());
    assert_eq!(
        auth.verify_bearer(&token, NOW + 630),
        Err(AuthError::Expired)
    );
    let stats = auth.token_cache_stats();
    assert_eq!((stats.hits, stats.misses, stats.entries), (1, 2, 0));
}

#[test]
fn the_cache_stays_within_its_capacity_and_can_be_off() {
    let key = signing_key(Algorithm::HS256);
    for capacity in [0, 10] {
        let auth = authenticator_with(
            &AuthConfig {
                token_cache_capacity: capacity,
                ..AuthConfig::default()
            },
            vec![issuer(vec![key_config(&key, None)])],
        );
        for n in 0..200 {
            let mut claims = claims();
            claims["jti"] = json!(n);
            assert!(
                auth.verify_bearer(&key.sign(None, &claims).unwrap(), NOW)
                    .is_ok()
            );
        }
        assert!(auth.token_cache_stats().entries <= capacity);
    }
}

#[test]
fn failures_are_not_cached() {
    let key = signing_key(Algorithm::ES256);
    let auth = authenticator(vec![jwks_issuer()]);
    let token = key.sign(Some("late"), &claims()).unwrap();
    assert!(matches!(
        auth.verify_bearer(&token, NOW),
        Err(AuthError::UnknownKid { .. })
    ));
    assert_eq!(
        auth.install_jwks(0, &jwks_of(&[(&key, "late")]), NOW),
        Ok(1)
    );
    assert!(auth.verify_bearer(&token, NOW).is_ok());
}

#[test]
fn jwks_status_reports_staleness_and_keeps_keys_on_junk() {
    let key = signing_key(Algorithm::ES256);
    let auth = authenticator(vec![jwks_issuer()]);
    let status = &auth.jwks_status()[0];
    assert_eq!(
        (
            status.issuer.as_str(),
            status.keys,
            status.last_success_unix
        ),
        ("idp", 0, None)
    );
    auth.install_jwks(0, &jwks_of(&[(&key, "k-1")]), NOW)
        .unwrap();
    assert!(
        auth.install_jwks(0, b"<html>oops</html>", NOW + 60)
            .is_err()
    );
    auth.record_jwks_failure(0, "connection refused".into())
        .unwrap();
    let status = &auth.jwks_status()[0];
    assert_eq!(status.keys, 1);
    assert_eq!(status.last_success_unix, Some(NOW));
    assert_eq!(status.last_error.as_deref(), Some("connection refused"));
    assert!(
        auth.verify_bearer(&key.sign(Some("k-1"), &claims()).unwrap(), NOW)
            .is_ok()
    );
    assert!(auth.install_jwks(1, b"{}", NOW).is_err());
    assert!(auth.record_jwks_failure(7, String::new()).is_err());
}

#[test]
fn garbage_never_panics_and_never_passes() {
    let key = signing_key(Algorithm::HS256);
    let mut second = jwks_issuer();
    second.issuer = "https://second.example".into();
    let auth = authenticator(vec![issuer(vec![key_config(&key, None)]), second]);
    let valid = key.sign(None, &claims()).unwrap();
    let mut inputs: Vec<String> = vec![
        String::new(),
        ".".into(),
        "..".into(),
        "...".into(),
        "a.b.c".into(),
        "\u{ff}\u{0}.\u{1}.\u{2}".into(),
        "x".repeat(100_000),
    ];
    for cut in 0..valid.len() {
        inputs.push(valid[..cut].to_owned());
        let mut flipped = valid.clone().into_bytes();
        flipped[cut] = if flipped[cut] == b'A' { b'B' } else { b'A' };
        inputs.push(String::from_utf8(flipped).unwrap());
    }
    for input in &inputs {
        if input != &valid {
            assert!(auth.verify_bearer(input, NOW).is_err(), "{input:.60}");
        }
    }
}

#[test]
fn a_rebuilt_authenticator_starts_from_the_keys_of_the_same_endpoint() {
    let key = signing_key(Algorithm::ES256);
    let running = authenticator(vec![jwks_issuer()]);
    running
        .install_jwks(0, &jwks_of(&[(&key, "k-1")]), NOW)
        .unwrap();
    let token = key.sign(Some("k-1"), &claims()).unwrap();

    let rebuilt = authenticator(vec![jwks_issuer()]);
    assert!(matches!(
        rebuilt.verify_bearer(&token, NOW),
        Err(AuthError::UnknownKid { .. })
    ));
    rebuilt.adopt_jwks_keys(&running);
    assert_eq!(
        rebuilt.verify_bearer(&token, NOW).unwrap().subject,
        "crm-sync"
    );
    assert_eq!(rebuilt.jwks_status()[0].last_success_unix, Some(NOW));

    let mut moved = jwks_issuer();
    if let Some(jwks) = moved.jwks.as_mut() {
        jwks.url = "https://other-idp.example/jwks".into();
    }
    let elsewhere = authenticator(vec![moved]);
    elsewhere.adopt_jwks_keys(&running);
    assert_eq!(
        elsewhere.jwks_status()[0].keys,
        0,
        "another endpoint's keys are not borrowed"
    );
}

#[test]
fn a_jwk_holding_private_members_is_refused() {
    let key = signing_key(Algorithm::ES256);
    let mut config = key_config(&key, Some("k1"));
    let mut jwk = key.jwk(Some("k1"));
    jwk["d"] = json!("cHJpdmF0ZQ");
    config.jwk = Some(jwk);
    config.pem = None;
    config.secret_base64 = None;
    let issuers = indexmap::IndexMap::from([("idp".to_owned(), issuer(vec![config]))]);
    let mut problems = Vec::new();
    super::compile(
        &AuthConfig::default(),
        &issuers,
        std::path::Path::new("."),
        &mut |at, message| problems.push(format!("{at}: {message}")),
    );
    assert_eq!(
        problems,
        [
            "issuers.idp.keys[0].jwk: the JWK holds the private member `d`: an issuer needs its public key only"
        ]
    );
}
