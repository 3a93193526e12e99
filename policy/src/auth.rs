//! Authentication: JWT issuers (inline keys and JWKS), the verified-token cache and API keys.
//!
//! The document's `auth:` block and `issuers:` map ([`AuthConfig`], [`IssuerConfig`]) compile
//! into an [`Authenticator`] ([`compile`]). Keys are parsed once into aws-lc-rs form and pinned
//! to one algorithm each; a token's header never chooses the algorithm. Verified tokens are
//! cached by the SHA-256 of the token until their `exp`, so a repeated token costs a hash and a
//! lookup. JWKS documents are fetched by the gateway and handed to
//! [`Authenticator::install_jwks`]; parsing them ([`parse_jwks`]) is pure and lives here.
//! API keys are stored as SHA-256 digests ([`api_key_digest`]) and looked up by
//! [`crate::consumers::Consumers::by_key_digest`].

mod authenticator;
mod cache;
mod compile;
mod config;
mod error;
mod jwks;
mod keys;
mod signing;
mod token;

#[cfg(test)]
mod testing;
#[cfg(test)]
mod tests;

pub use authenticator::{Authenticator, VerifiedToken};
pub use cache::CacheStats;
pub use compile::compile;
pub use config::{
    Algorithm, AuthConfig, ConsumerClaim, IssuerConfig, JwksConfig, KeyConfig, KeyFamily,
};
pub use error::{AuthError, insufficient_scope_challenge};
pub use jwks::{JwksError, JwksStatus, MAX_JWKS_BYTES, parse_jwks};
pub use keys::{Jwk, KeyError, VerifyingKey};
pub use signing::{SigningError, SigningKey};

/// SHA-256 of `bytes`.
fn sha256(bytes: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes).as_ref());
    out
}

/// SHA-256 of `bytes` (contract digests, for the compiler's cache).
pub(crate) fn sha256_of(bytes: &[u8]) -> [u8; 32] {
    sha256(bytes)
}

/// The SHA-256 digest under which an API key is stored in the document.
pub fn api_key_digest(key: &[u8]) -> [u8; 32] {
    sha256(key)
}

/// Whether `granted` scopes include every `required` one.
pub fn has_scopes(granted: &[String], required: &[String]) -> bool {
    required.iter().all(|scope| granted.contains(scope))
}

/// The token of an `Authorization: Bearer <token>` value (RFC 6750 section 2.1; the scheme is
/// case-insensitive, scheme and token are separated by spaces). Takes the field's bytes as sent:
/// a token is ASCII `token68`, so a value with any other byte is refused here, by one table
/// lookup per byte.
pub fn bearer_token(authorization: &[u8]) -> Result<&str, AuthError> {
    let space = authorization
        .iter()
        .position(|&b| b == b' ')
        .ok_or(AuthError::Malformed(
            "`Authorization` is not `Bearer <token>`",
        ))?;
    let (scheme, token) = authorization.split_at(space);
    if !scheme.eq_ignore_ascii_case(b"bearer") {
        return Err(AuthError::Malformed(
            "`Authorization` scheme is not `Bearer`",
        ));
    }
    let token = trim_spaces(token);
    let padding = token.iter().rev().take_while(|&&b| b == b'=').count();
    let body = &token[..token.len() - padding];
    let outside_token68 = body
        .iter()
        .fold(false, |outside, &b| outside | !TOKEN68[usize::from(b)]);
    if body.is_empty() || outside_token68 {
        return Err(AuthError::Malformed(
            "bearer token has characters outside token68",
        ));
    }
    // Cannot fail: token68 and `=` are ASCII.
    std::str::from_utf8(token).map_err(|_| AuthError::Malformed("bearer token is not ASCII"))
}

/// `bytes` without leading and trailing spaces (only spaces: RFC 7235 `1*SP`).
fn trim_spaces(mut bytes: &[u8]) -> &[u8] {
    while let [b' ', rest @ ..] = bytes {
        bytes = rest;
    }
    while let [rest @ .., b' '] = bytes {
        bytes = rest;
    }
    bytes
}

/// RFC 7235 `token68` characters, `=` padding aside.
static TOKEN68: [bool; 256] = {
    let mut table = [false; 256];
    let mut byte = 0;
    while byte < 256 {
        let b = byte as u8;
        table[byte] =
            b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/');
        byte += 1;
    }
    table
};

#[cfg(test)]
mod helper_tests {
    use super::*;

    #[test]
    fn api_key_digest_is_sha256() {
        let hex: String = api_key_digest(b"abc")
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(
            hex,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn scopes_must_all_be_granted() {
        let granted = vec!["orders:read".to_owned(), "orders:write".to_owned()];
        assert!(has_scopes(&granted, &[]));
        assert!(has_scopes(&granted, &["orders:write".into()]));
        assert!(!has_scopes(
            &granted,
            &["orders:write".into(), "admin".into()]
        ));
    }

    #[test]
    fn bearer_values_are_parsed_strictly() {
        assert_eq!(bearer_token(b"Bearer a.b.c"), Ok("a.b.c"));
        assert_eq!(bearer_token(b"bearer  a.b-_c= "), Ok("a.b-_c="));
        for bad in [
            "Basic abc",
            "Bearer",
            "Bearer ",
            "Bearer a b",
            "Bearer a\"b",
            "Bearer a=b",
            "Bearer ===",
            "Bearer a\tb",
            "Bearer a\u{e9}b",
            "Bearer \tabc",
            "Bearer abc\t",
            "abc",
        ] {
            assert!(bearer_token(bad.as_bytes()).is_err(), "{bad}");
        }
        assert!(bearer_token(b"Bearer a\xffb").is_err());
    }
}
