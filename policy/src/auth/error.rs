//! Why a credential was refused, and how that is told to the client (RFC 6750 challenges).
//!
//! Every [`AuthError`] is a 401. Its `Display` text is the problem+json `detail`; the
//! `WWW-Authenticate` value uses a fixed description per kind, so nothing a client sent is
//! echoed into a header.

use thiserror::Error;

/// A refused credential.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AuthError {
    /// No credential was presented.
    #[error("the operation needs a bearer token or an API key")]
    MissingCredential,
    /// The credential is not a well-formed JWS compact token (or `Authorization` is not `Bearer`).
    #[error("malformed token: {0}")]
    Malformed(&'static str),
    /// No configured issuer matches the token.
    #[error("the token's issuer is not trusted")]
    UnknownIssuer,
    /// The issuer has no key with this id; a JWKS refresh may bring it (retry once).
    #[error("issuer has no key with id `{kid}`")]
    UnknownKid {
        /// Index of the issuer, in document order.
        issuer: usize,
        /// The token's `kid` (empty when the token has none).
        kid: String,
    },
    /// The header's `alg` is not the algorithm the selected key is pinned to.
    #[error("algorithm `{found}` is not accepted for this token's key")]
    AlgorithmMismatch {
        /// The header's `alg` (shortened to a safe form).
        found: String,
    },
    /// The signature does not verify.
    #[error("the token's signature is invalid")]
    BadSignature,
    /// `exp` has passed.
    #[error("the token has expired")]
    Expired,
    /// `nbf` is in the future.
    #[error("the token is not valid yet")]
    NotYetValid,
    /// `iss` names no issuer whose key signed the token.
    #[error("the token's `iss` does not match the issuer of its signing key")]
    WrongIssuer,
    /// `aud` names none of the issuer's accepted audiences.
    #[error("the token's audience is not accepted")]
    WrongAudience,
    /// A required claim is absent: `exp` (always), `iss`, `aud`, `nbf` (per issuer) or the
    /// issuer's consumer claim.
    #[error("the token lacks the required claim `{0}`")]
    MissingClaim(&'static str),
}

impl AuthError {
    /// The `WWW-Authenticate` value for a 401 carrying this error (RFC 6750 section 3).
    pub fn www_authenticate(&self) -> String {
        match self {
            Self::MissingCredential => "Bearer".into(),
            _ => format!(
                "Bearer error=\"invalid_token\", error_description=\"{}\"",
                self.description()
            ),
        }
    }

    /// The problem+json `detail` for this error.
    pub fn detail(&self) -> String {
        self.to_string()
    }

    /// A constant, header-safe description of the error kind.
    fn description(&self) -> &'static str {
        match self {
            Self::MissingCredential => "no credential",
            Self::Malformed(_) => "malformed token",
            Self::UnknownIssuer => "untrusted issuer",
            Self::UnknownKid { .. } => "unknown signing key",
            Self::AlgorithmMismatch { .. } => "algorithm not accepted",
            Self::BadSignature => "invalid signature",
            Self::Expired => "token expired",
            Self::NotYetValid => "token not yet valid",
            Self::WrongIssuer => "issuer mismatch",
            Self::WrongAudience => "audience not accepted",
            Self::MissingClaim(_) => "required claim missing",
        }
    }
}

/// The `WWW-Authenticate` value of a 403 for a valid token lacking `required` scopes
/// (RFC 6750 `insufficient_scope`).
pub fn insufficient_scope_challenge(required: &[String]) -> String {
    let scopes: Vec<&str> = required
        .iter()
        .map(String::as_str)
        .filter(|scope| {
            scope
                .bytes()
                .all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\')
        })
        .collect();
    format!(
        "Bearer error=\"insufficient_scope\", scope=\"{}\"",
        scopes.join(" ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenges_follow_rfc_6750() {
        assert_eq!(AuthError::MissingCredential.www_authenticate(), "Bearer");
        assert_eq!(
            AuthError::Expired.www_authenticate(),
            "Bearer error=\"invalid_token\", error_description=\"token expired\""
        );
        let kid = AuthError::UnknownKid {
            issuer: 0,
            kid: "a\"b".into(),
        };
        assert!(!kid.www_authenticate().contains("a\"b"));
        assert!(kid.detail().contains("a\"b"));
        assert_eq!(
            insufficient_scope_challenge(&["orders:read".into(), "bad\"scope".into(), "x".into()]),
            "Bearer error=\"insufficient_scope\", scope=\"orders:read x\""
        );
    }
}
