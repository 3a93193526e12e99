//! Reading a JWS compact token (RFC 7515 section 7.1) before its signature is checked.
//!
//! [`Token::parse`] splits the three segments, decodes the header and the claims this gateway
//! uses, and keeps the signing input and signature bytes for verification. Nothing read here is
//! trusted until the signature verifies; it only chooses the issuer and key to verify with.
//! Header members that point at keys (`jku`, `jwk`, `x5u`, `x5c`) are ignored, and a token with
//! `crit` is refused because no extension is understood.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use serde::de::IgnoredAny;

use super::error::AuthError;

/// Longest token accepted (bytes).
pub(crate) const MAX_TOKEN_LEN: usize = 16 * 1024;

/// A parsed, not yet verified token.
pub(crate) struct Token<'t> {
    /// `BASE64URL(header) '.' BASE64URL(payload)`.
    pub(crate) signing_input: &'t [u8],
    /// The decoded signature.
    pub(crate) signature: Vec<u8>,
    /// The header's `alg`, as written.
    pub(crate) alg: String,
    /// The header's `kid`.
    pub(crate) kid: Option<String>,
    /// The claims.
    pub(crate) claims: Claims,
}

#[derive(Deserialize)]
struct Header {
    alg: String,
    #[serde(default)]
    kid: Option<String>,
    #[serde(default)]
    crit: Option<IgnoredAny>,
}

/// The registered and scope claims the gateway reads; others are ignored.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Claims {
    #[serde(default)]
    pub(crate) iss: Option<String>,
    #[serde(default)]
    pub(crate) sub: Option<String>,
    #[serde(default)]
    pub(crate) client_id: Option<String>,
    #[serde(default)]
    pub(crate) azp: Option<String>,
    #[serde(default)]
    pub(crate) aud: Option<OneOrMany>,
    #[serde(default)]
    pub(crate) exp: Option<f64>,
    #[serde(default)]
    pub(crate) nbf: Option<f64>,
    #[serde(default)]
    pub(crate) scope: Option<String>,
    #[serde(default)]
    pub(crate) scp: Option<OneOrMany>,
}

/// A claim written as one string or an array of strings.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(crate) enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    pub(crate) fn iter(&self) -> impl Iterator<Item = &str> {
        let (one, many) = match self {
            Self::One(value) => (Some(value.as_str()), &[][..]),
            Self::Many(values) => (None, values.as_slice()),
        };
        one.into_iter().chain(many.iter().map(String::as_str))
    }
}

impl<'t> Token<'t> {
    /// Splits and decodes `token`.
    pub(crate) fn parse(token: &'t str) -> Result<Self, AuthError> {
        if token.len() > MAX_TOKEN_LEN {
            return Err(AuthError::Malformed("token too long"));
        }
        let mut segments = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) = (
            segments.next(),
            segments.next(),
            segments.next(),
            segments.next(),
        ) else {
            return Err(AuthError::Malformed(
                "not a JWS compact token of three segments",
            ));
        };
        let signing_len = header.len() + 1 + payload.len();
        let header: Header = decode_json(
            header,
            "header is not base64url",
            "header is not a JSON object with a string `alg`",
        )?;
        if header.crit.is_some() {
            return Err(AuthError::Malformed(
                "critical header extensions are not supported",
            ));
        }
        let claims: Claims = decode_json(
            payload,
            "claims are not base64url",
            "claims are not a JSON object of the registered claim types",
        )?;
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| AuthError::Malformed("signature is not base64url"))?;
        Ok(Self {
            signing_input: &token.as_bytes()[..signing_len],
            signature,
            alg: header.alg,
            kid: header.kid,
            claims,
        })
    }
}

fn decode_json<T: for<'de> Deserialize<'de>>(
    segment: &str,
    not_base64: &'static str,
    not_json: &'static str,
) -> Result<T, AuthError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(segment)
        .map_err(|_| AuthError::Malformed(not_base64))?;
    serde_json::from_slice(&bytes).map_err(|_| AuthError::Malformed(not_json))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(json: &str) -> String {
        URL_SAFE_NO_PAD.encode(json)
    }

    #[test]
    fn reads_header_claims_and_signing_input() {
        let token = format!(
            "{}.{}.{}",
            encode(r#"{"alg":"ES256","kid":"k1","jku":"https://evil.example/keys"}"#),
            encode(r#"{"iss":"a","aud":["x","y"],"exp":10.7,"scp":"s t","extra":{"n":1}}"#),
            encode("sig")
        );
        let parsed = Token::parse(&token).unwrap();
        assert_eq!(parsed.alg, "ES256");
        assert_eq!(parsed.kid.as_deref(), Some("k1"));
        assert_eq!(parsed.signature, b"sig");
        assert_eq!(parsed.claims.exp, Some(10.7));
        assert_eq!(
            parsed.claims.aud.unwrap().iter().collect::<Vec<_>>(),
            ["x", "y"]
        );
        assert_eq!(
            parsed.signing_input,
            token.rsplit_once('.').unwrap().0.as_bytes()
        );
    }

    #[test]
    fn refuses_junk_without_panicking() {
        let good_header = encode(r#"{"alg":"HS256"}"#);
        let good_claims = encode(r#"{"exp":1}"#);
        let cases = [
            String::new(),
            "a.b".into(),
            "a.b.c.d.e".into(),
            format!("{good_header}.{good_claims}"),
            format!("%%%.{good_claims}.AA"),
            format!("{good_header}.%%%.AA"),
            format!("{good_header}.{good_claims}.%%%"),
            format!("{}.{good_claims}.AA", encode("[1,2]")),
            format!("{}.{good_claims}.AA", encode(r#"{"alg":1}"#)),
            format!(
                "{}.{good_claims}.AA",
                encode(r#"{"alg":"HS256","crit":["b64"]}"#)
            ),
            format!("{good_header}.{}.AA", encode(r#"{"exp":"soon"}"#)),
            format!("{good_header}.{}.AA", encode(r#"{"iss":"a","iss":"b"}"#)),
            format!("{good_header}.{}.AA", encode("\u{0}\u{ff}")),
            "x".repeat(MAX_TOKEN_LEN + 1),
        ];
        for case in cases {
            assert!(
                matches!(Token::parse(&case), Err(AuthError::Malformed(_))),
                "{case:.80}"
            );
        }
    }
}
