//! Minting tokens for tests, honest and otherwise: claims around the current time, unsecured
//! (`alg: none`) tokens, tokens with a replaced payload or signature, and the JWK Sets of signing
//! keys.
//!
//! Signing itself is [`canongate_policy::auth::SigningKey`]'s; this module only assembles and
//! damages JWS compact serializations (RFC 7515 section 7.1).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use canongate_policy::auth::SigningKey;
use serde_json::{Value, json};

/// The current Unix time in seconds.
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("the clock is past 1970")
        .as_secs()
}

/// Claims of a token from `issuer` for `audience`, naming `subject` with `scope` (space
/// separated), issued now and valid for ten minutes. Each call gets its own `jti`, so no two
/// tokens are alike (and none is answered from the gateway's verified-token cache).
pub fn claims(issuer: &str, audience: &str, subject: &str, scope: &str) -> Value {
    static SERIAL: AtomicU64 = AtomicU64::new(0);
    let now = unix_now();
    json!({
        "iss": issuer,
        "aud": audience,
        "sub": subject,
        "scope": scope,
        "iat": now,
        "exp": now + 600,
        "jti": format!("{}-{}", std::process::id(), SERIAL.fetch_add(1, Ordering::Relaxed)),
    })
}

/// `claims` with `member` set to `value` (`Value::Null` removes it).
pub fn with_claim(claims: &Value, member: &str, value: Value) -> Value {
    let mut claims = claims.clone();
    let object = claims.as_object_mut().expect("claims are an object");
    if value.is_null() {
        object.remove(member);
    } else {
        object.insert(member.to_owned(), value);
    }
    claims
}

/// `bytes` in unpadded base64url, as JWS segments are written.
pub fn base64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A token signed by `key` under `kid`.
pub fn sign(key: &SigningKey, kid: Option<&str>, claims: &Value) -> String {
    key.sign(kid, claims).expect("sign a token")
}

/// An unsecured JWS (RFC 7519 section 6): `header` (e.g. `{"alg":"none"}`), the claims and an
/// empty signature.
pub fn unsecured(header: &Value, claims: &Value) -> String {
    format!(
        "{}.{}.",
        base64url(header.to_string().as_bytes()),
        base64url(claims.to_string().as_bytes())
    )
}

/// `token` with its payload replaced by `claims` and its signature kept.
pub fn with_payload(token: &str, claims: &Value) -> String {
    let segments: Vec<&str> = token.split('.').collect();
    assert_eq!(segments.len(), 3, "a JWS compact token");
    format!(
        "{}.{}.{}",
        segments[0],
        base64url(claims.to_string().as_bytes()),
        segments[2]
    )
}

/// `token` with its signature replaced by `signature`.
pub fn with_signature(token: &str, signature: &[u8]) -> String {
    let (signing_input, _) = token.rsplit_once('.').expect("a JWS compact token");
    format!("{signing_input}.{}", base64url(signature))
}

/// `token` with the first character of its signature changed (so its first byte differs).
pub fn with_flipped_signature(token: &str) -> String {
    let (signing_input, signature) = token.rsplit_once('.').expect("a JWS compact token");
    let mut chars = signature.chars();
    let first = chars.next().expect("a signature");
    let replaced = if first == 'A' { 'B' } else { 'A' };
    format!("{signing_input}.{replaced}{}", chars.as_str())
}

/// A JWK Set of `keys`, each `(kid, key)`.
pub fn jwks(keys: &[(&str, &SigningKey)]) -> Value {
    json!({"keys": keys.iter().map(|(kid, key)| key.jwk(Some(kid))).collect::<Vec<_>>()})
}
