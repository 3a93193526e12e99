//! Key material the admin API never shows to readers who cannot change it.
//!
//! An issuer may hold HMAC secrets (`secret_base64`, or a JWK's `k`). The store keeps them —
//! gateways verify with them, so the snapshot carries them — but [`redact_issuer`] replaces
//! them with [`REDACTED`] in issuers read by a caller without the `security` role, and in the
//! audit log's before and after of issuer changes, as written and as read (an audit trail says
//! who changed what; it has no use for the keys themselves). Private JWK members (`d`, `p`,
//! `q`, `dp`, `dq`, `qi`, `oth`) are refused when an issuer is written; they are redacted too,
//! should a store hold any.

use serde_json::Value;

/// What a redacted value reads as.
pub const REDACTED: &str = "(redacted)";

/// JWK members that are secret: a symmetric key (`k`) and the private parts of RSA and EC keys
/// (`oth`: further RSA primes).
const SECRET_JWK_MEMBERS: [&str; 8] = ["k", "d", "p", "q", "dp", "dq", "qi", "oth"];

/// Replaces the secret members of an issuer's `spec` (the `keys` list) in place.
pub fn redact_issuer(spec: &mut Value) {
    let Some(keys) = spec.get_mut("keys").and_then(Value::as_array_mut) else {
        return;
    };
    for key in keys {
        if let Some(secret) = key.get_mut("secret_base64") {
            *secret = Value::from(REDACTED);
        }
        let Some(jwk) = key.get_mut("jwk").and_then(Value::as_object_mut) else {
            continue;
        };
        for member in SECRET_JWK_MEMBERS {
            if let Some(value) = jwk.get_mut(member) {
                *value = Value::from(REDACTED);
            }
        }
    }
}

/// [`redact_issuer`] on the `spec` of a `{"name", "spec"}` representation, if it has one.
pub fn redact_issuer_representation(representation: &mut Value) {
    if let Some(spec) = representation.get_mut("spec") {
        redact_issuer(spec);
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn hmac_secrets_and_private_jwk_members_are_replaced() {
        let mut spec = json!({
            "issuer": "https://idp.example/",
            "keys": [
                {"kid": "h", "algorithm": "HS256", "secret_base64": "c2VjcmV0"},
                {"kid": "o", "algorithm": "HS256", "jwk": {"kty": "oct", "k": "c2VjcmV0"}},
                {"kid": "e", "algorithm": "ES256",
                 "jwk": {"kty": "EC", "crv": "P-256", "x": "X", "y": "Y", "d": "D"}},
                {"kid": "r", "algorithm": "RS256", "pem": "-----BEGIN PUBLIC KEY-----"}
            ]
        });
        redact_issuer(&mut spec);
        assert_eq!(
            spec,
            json!({
                "issuer": "https://idp.example/",
                "keys": [
                    {"kid": "h", "algorithm": "HS256", "secret_base64": REDACTED},
                    {"kid": "o", "algorithm": "HS256", "jwk": {"kty": "oct", "k": REDACTED}},
                    {"kid": "e", "algorithm": "ES256",
                     "jwk": {"kty": "EC", "crv": "P-256", "x": "X", "y": "Y", "d": REDACTED}},
                    {"kid": "r", "algorithm": "RS256", "pem": "-----BEGIN PUBLIC KEY-----"}
                ]
            })
        );
    }

    #[test]
    fn specs_without_keys_and_representations_without_spec_are_left_alone() {
        let mut jwks_only = json!({"issuer": "i", "jwks": {"url": "https://idp/jwks"}});
        let before = jwks_only.clone();
        redact_issuer(&mut jwks_only);
        assert_eq!(jwks_only, before);
        let mut nothing = json!({"name": "x"});
        redact_issuer_representation(&mut nothing);
        assert_eq!(nothing, json!({"name": "x"}));
    }
}
