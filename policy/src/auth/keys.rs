//! Verifying keys: key material parsed once, at compile or JWKS-fetch time, into aws-lc-rs form
//! and pinned to exactly one algorithm.
//!
//! A [`VerifyingKey`] is built from a PEM public key or certificate (decoded with
//! `jsonwebtoken`'s PEM reader), a JWK object, or an HMAC secret. Every check that can be made
//! on the key alone is made here (family, curve, RSA size, HMAC length), so a key that would
//! never verify anything is refused with a message instead of failing every request.

use aws_lc_rs::signature::{self, ParsedPublicKey, VerificationAlgorithm};
use aws_lc_rs::{hmac, rsa};
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::{Engine, alphabet};
use serde::Deserialize;
use thiserror::Error;

use super::config::{Algorithm, KeyFamily};

/// Longest accepted `kid`.
pub(crate) const MAX_KID_LEN: usize = 256;

/// Key material in documents and JWKs is decoded with or without padding.
const LENIENT: GeneralPurposeConfig =
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
const BASE64_STANDARD: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, LENIENT);
const BASE64_URL: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, LENIENT);

/// Why key material was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum KeyError {
    /// The material is of the wrong kind for the algorithm.
    #[error("{algorithm} needs {needed}, not {found}")]
    WrongKind {
        /// The pinned algorithm.
        algorithm: Algorithm,
        /// What the algorithm needs.
        needed: &'static str,
        /// What was given.
        found: String,
    },
    /// The PEM text holds a private key.
    #[error("this PEM holds a private key: configure the public key or a certificate instead")]
    PrivateKey,
    /// The PEM text is not a public key or certificate of the needed kind.
    #[error("not a PEM public key or certificate for {algorithm}: {reason}")]
    NotPem {
        /// The pinned algorithm.
        algorithm: Algorithm,
        /// What the PEM reader said.
        reason: String,
    },
    /// An HMAC secret shorter than the hash output (RFC 7518 section 3.2).
    #[error("{algorithm} secrets must have at least {min} bytes, this one has {len}")]
    ShortSecret {
        /// The pinned algorithm.
        algorithm: Algorithm,
        /// The secret's length.
        len: usize,
        /// The minimum length.
        min: usize,
    },
    /// An RSA modulus outside 2048..=8192 bits.
    #[error("RSA keys must have 2048 to 8192 bits, this one has {bits}")]
    RsaSize {
        /// The modulus size.
        bits: usize,
    },
    /// The cryptographic library refused the key.
    #[error("not a valid {algorithm} public key: {reason}")]
    Rejected {
        /// The pinned algorithm.
        algorithm: Algorithm,
        /// The library's reason.
        reason: String,
    },
    /// An HMAC secret that is not base64.
    #[error("the secret is not base64: {0}")]
    NotBase64(String),
    /// A JWK member is missing, mistyped or badly encoded.
    #[error("JWK {0}")]
    Jwk(String),
}

/// A key that verifies signatures of one algorithm.
pub struct VerifyingKey {
    algorithm: Algorithm,
    verifier: Verifier,
}

enum Verifier {
    /// Boxed: an aws-lc HMAC key holds precomputed state of over a kilobyte.
    Hmac(Box<hmac::Key>),
    Public(ParsedPublicKey),
}

impl std::fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifyingKey")
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

impl VerifyingKey {
    /// The algorithm the key is pinned to.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// Whether `signature` is a valid signature of `message` under this key (HMAC tags are
    /// compared in constant time).
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        match &self.verifier {
            Verifier::Hmac(key) => hmac::verify(key, message, signature).is_ok(),
            Verifier::Public(key) => key.verify_sig(message, signature).is_ok(),
        }
    }

    /// An HMAC key (HS256/384/512) from its secret bytes.
    pub fn from_secret(algorithm: Algorithm, secret: &[u8]) -> Result<Self, KeyError> {
        let (hmac_algorithm, min) = match algorithm {
            Algorithm::HS256 => (hmac::HMAC_SHA256, 32),
            Algorithm::HS384 => (hmac::HMAC_SHA384, 48),
            Algorithm::HS512 => (hmac::HMAC_SHA512, 64),
            _ => {
                return Err(wrong_kind(algorithm, "a shared secret"));
            }
        };
        if secret.len() < min {
            return Err(KeyError::ShortSecret {
                algorithm,
                len: secret.len(),
                min,
            });
        }
        Ok(Self {
            algorithm,
            verifier: Verifier::Hmac(Box::new(hmac::Key::new(hmac_algorithm, secret))),
        })
    }

    /// An HMAC key from a base64 secret (standard or URL-safe alphabet, padded or not).
    pub fn from_base64_secret(algorithm: Algorithm, text: &str) -> Result<Self, KeyError> {
        let text = text.trim();
        let secret = BASE64_STANDARD
            .decode(text)
            .or_else(|_| BASE64_URL.decode(text))
            .map_err(|error| KeyError::NotBase64(error.to_string()))?;
        Self::from_secret(algorithm, &secret)
    }

    /// A public key from PEM text: `PUBLIC KEY` (SubjectPublicKeyInfo), `RSA PUBLIC KEY`
    /// (PKCS#1) or `CERTIFICATE`.
    pub fn from_pem(algorithm: Algorithm, pem: &[u8]) -> Result<Self, KeyError> {
        if algorithm.family() == KeyFamily::Hmac {
            return Err(wrong_kind(algorithm, "PEM text"));
        }
        if pem.windows(16).any(|window| window == b"PRIVATE KEY-----") {
            return Err(KeyError::PrivateKey);
        }
        let decoded = match algorithm.family() {
            KeyFamily::Rsa => jsonwebtoken::DecodingKey::from_rsa_pem(pem),
            KeyFamily::Ec => jsonwebtoken::DecodingKey::from_ec_pem(pem),
            KeyFamily::Ed | KeyFamily::Hmac => jsonwebtoken::DecodingKey::from_ed_pem(pem),
        };
        let bytes = decoded
            .as_ref()
            .map_err(|error| error.to_string())
            .and_then(|key| key.try_get_as_bytes().map_err(|error| error.to_string()));
        match bytes {
            Ok(bytes) if algorithm.family() == KeyFamily::Rsa => {
                let public =
                    rsa::PublicKey::from_der(bytes).map_err(|error| KeyError::Rejected {
                        algorithm,
                        reason: error.to_string(),
                    })?;
                let components = rsa::PublicKeyComponents::<Vec<u8>>::from(&public);
                Self::from_rsa_components(algorithm, &components.n, &components.e)
            }
            Ok(bytes) => Self::from_public_bytes(algorithm, bytes),
            Err(reason) => match pem_family(pem) {
                Some(found) => Err(wrong_kind(algorithm, found)),
                None => Err(KeyError::NotPem { algorithm, reason }),
            },
        }
    }

    /// A key from a JWK (RFC 7517/7518/8037) for `algorithm`. A JWK `alg`, when present, must
    /// name the same algorithm.
    pub fn from_jwk(algorithm: Algorithm, jwk: &Jwk) -> Result<Self, KeyError> {
        if let Some(alg) = &jwk.alg
            && alg != algorithm.name()
        {
            return Err(KeyError::Jwk(format!(
                "`alg` is `{alg}`, the key is configured for {algorithm}"
            )));
        }
        let needed_kty = match algorithm.family() {
            KeyFamily::Hmac => "oct",
            KeyFamily::Rsa => "RSA",
            KeyFamily::Ec => "EC",
            KeyFamily::Ed => "OKP",
        };
        if jwk.kty != needed_kty {
            return Err(KeyError::Jwk(format!(
                "`kty` is `{}`, {algorithm} needs `{needed_kty}`",
                jwk.kty
            )));
        }
        match algorithm {
            Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512 => {
                Self::from_secret(algorithm, &member(jwk.k.as_deref(), "k")?)
            }
            Algorithm::RS256
            | Algorithm::RS384
            | Algorithm::RS512
            | Algorithm::PS256
            | Algorithm::PS384
            | Algorithm::PS512 => Self::from_rsa_components(
                algorithm,
                &member(jwk.n.as_deref(), "n")?,
                &member(jwk.e.as_deref(), "e")?,
            ),
            Algorithm::ES256 | Algorithm::ES384 => {
                let (curve, len) = if algorithm == Algorithm::ES256 {
                    ("P-256", 32)
                } else {
                    ("P-384", 48)
                };
                jwk.expect_curve(curve, algorithm)?;
                let (x, y) = (
                    member(jwk.x.as_deref(), "x")?,
                    member(jwk.y.as_deref(), "y")?,
                );
                if x.len() != len || y.len() != len {
                    return Err(KeyError::Jwk(format!(
                        "coordinates of a {curve} key must have {len} bytes"
                    )));
                }
                let point: Vec<u8> = [&[4u8][..], &x, &y].concat();
                Self::from_public_bytes(algorithm, &point)
            }
            Algorithm::EdDSA => {
                jwk.expect_curve("Ed25519", algorithm)?;
                Self::from_public_bytes(algorithm, &member(jwk.x.as_deref(), "x")?)
            }
        }
    }

    fn from_rsa_components(algorithm: Algorithm, n: &[u8], e: &[u8]) -> Result<Self, KeyError> {
        let params: &'static signature::RsaParameters = match algorithm {
            Algorithm::RS256 => &signature::RSA_PKCS1_2048_8192_SHA256,
            Algorithm::RS384 => &signature::RSA_PKCS1_2048_8192_SHA384,
            Algorithm::RS512 => &signature::RSA_PKCS1_2048_8192_SHA512,
            Algorithm::PS256 => &signature::RSA_PSS_2048_8192_SHA256,
            Algorithm::PS384 => &signature::RSA_PSS_2048_8192_SHA384,
            Algorithm::PS512 => &signature::RSA_PSS_2048_8192_SHA512,
            _ => return Err(wrong_kind(algorithm, "an RSA key")),
        };
        let n = strip_leading_zeros(n);
        let bits = n.first().map_or(0, |top| {
            (n.len() - 1) * 8 + (8 - top.leading_zeros() as usize)
        });
        if !(2048..=8192).contains(&bits) {
            return Err(KeyError::RsaSize { bits });
        }
        let key = rsa::PublicKeyComponents {
            n,
            e: strip_leading_zeros(e),
        }
        .to_parsed_public_key(params)
        .map_err(|error| KeyError::Rejected {
            algorithm,
            reason: error.to_string(),
        })?;
        Ok(Self {
            algorithm,
            verifier: Verifier::Public(key),
        })
    }

    fn from_public_bytes(algorithm: Algorithm, bytes: &[u8]) -> Result<Self, KeyError> {
        let verification: &'static dyn VerificationAlgorithm = match algorithm {
            Algorithm::ES256 => &signature::ECDSA_P256_SHA256_FIXED,
            Algorithm::ES384 => &signature::ECDSA_P384_SHA384_FIXED,
            Algorithm::EdDSA => &signature::ED25519,
            _ => return Err(wrong_kind(algorithm, "an elliptic-curve key")),
        };
        let key = ParsedPublicKey::new(verification, bytes).map_err(|error| {
            match (algorithm, bytes.len()) {
                (Algorithm::ES256, 97) => wrong_kind(algorithm, "a P-384 key"),
                (Algorithm::ES384, 65) => wrong_kind(algorithm, "a P-256 key"),
                _ => KeyError::Rejected {
                    algorithm,
                    reason: error.to_string(),
                },
            }
        })?;
        Ok(Self {
            algorithm,
            verifier: Verifier::Public(key),
        })
    }
}

fn wrong_kind(algorithm: Algorithm, found: &str) -> KeyError {
    let needed = match algorithm.family() {
        KeyFamily::Hmac => "a shared secret (`secret_base64` or a JWK of kty `oct`)",
        KeyFamily::Rsa => "an RSA public key",
        KeyFamily::Ec if algorithm == Algorithm::ES256 => "a P-256 public key",
        KeyFamily::Ec => "a P-384 public key",
        KeyFamily::Ed => "an Ed25519 public key",
    };
    KeyError::WrongKind {
        algorithm,
        needed,
        found: found.into(),
    }
}

/// What kind of public key a PEM holds, for error messages.
fn pem_family(pem: &[u8]) -> Option<&'static str> {
    if decodes(jsonwebtoken::DecodingKey::from_rsa_pem(pem)) {
        Some("an RSA key")
    } else if decodes(jsonwebtoken::DecodingKey::from_ec_pem(pem)) {
        Some("an elliptic-curve key")
    } else if decodes(jsonwebtoken::DecodingKey::from_ed_pem(pem)) {
        Some("an Ed25519 key")
    } else {
        None
    }
}

fn decodes(decoded: jsonwebtoken::errors::Result<jsonwebtoken::DecodingKey>) -> bool {
    decoded.is_ok_and(|key| key.try_get_as_bytes().is_ok())
}

/// The base64url-decoded JWK member `name`, whose text is `value`.
fn member(value: Option<&str>, name: &str) -> Result<Vec<u8>, KeyError> {
    let text = value.ok_or_else(|| KeyError::Jwk(format!("lacks member `{name}`")))?;
    BASE64_URL
        .decode(text)
        .map_err(|error| KeyError::Jwk(format!("member `{name}` is not base64url: {error}")))
}

fn strip_leading_zeros(bytes: &[u8]) -> &[u8] {
    let first = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    &bytes[first..]
}

/// Whether `kid` is acceptable: 1 to [`MAX_KID_LEN`] visible ASCII characters, without `..` or
/// `\` (a `kid` is a name, never a path).
pub(crate) fn kid_is_valid(kid: &str) -> bool {
    !kid.is_empty()
        && kid.len() <= MAX_KID_LEN
        && kid.bytes().all(|b| b.is_ascii_graphic() && b != b'\\')
        && !kid.contains("..")
}

/// A JSON Web Key as far as verification needs it; other members are ignored.
#[derive(Debug, Clone, Deserialize)]
pub struct Jwk {
    /// Key type: `RSA`, `EC`, `OKP` or `oct`.
    pub kty: String,
    /// Key id.
    #[serde(default)]
    pub kid: Option<String>,
    /// Algorithm the key is meant for.
    #[serde(default)]
    pub alg: Option<String>,
    /// Intended use (`sig` or `enc`).
    #[serde(default, rename = "use")]
    pub key_use: Option<String>,
    /// Curve of an `EC` or `OKP` key.
    #[serde(default)]
    pub crv: Option<String>,
    /// RSA modulus.
    #[serde(default)]
    pub n: Option<String>,
    /// RSA exponent.
    #[serde(default)]
    pub e: Option<String>,
    /// Curve x coordinate (or the whole `OKP` public key).
    #[serde(default)]
    pub x: Option<String>,
    /// Curve y coordinate.
    #[serde(default)]
    pub y: Option<String>,
    /// Symmetric key value.
    #[serde(default)]
    pub k: Option<String>,
}

impl Jwk {
    /// Reads a JWK from a JSON value.
    pub fn from_value(value: &serde_json::Value) -> Result<Self, KeyError> {
        Self::deserialize(value).map_err(|error| KeyError::Jwk(format!("is malformed: {error}")))
    }

    fn expect_curve(&self, curve: &str, algorithm: Algorithm) -> Result<(), KeyError> {
        match self.crv.as_deref() {
            Some(crv) if crv == curve => Ok(()),
            Some(crv) => Err(KeyError::Jwk(format!(
                "curve `{crv}` cannot verify {algorithm} (needs `{curve}`)"
            ))),
            None => Err(KeyError::Jwk("lacks member `crv`".into())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::testing::signing_key;

    #[test]
    fn kids_are_names_not_paths() {
        for good in [
            "k1",
            "2024-05/rsa",
            "abc+/=",
            "x".repeat(MAX_KID_LEN).as_str(),
        ] {
            assert!(kid_is_valid(good), "{good}");
        }
        let long = "x".repeat(MAX_KID_LEN + 1);
        for bad in [
            "",
            "../../etc/passwd",
            "a\\b",
            "a b",
            "\u{0}",
            "ключ",
            long.as_str(),
        ] {
            assert!(!kid_is_valid(bad), "{bad:.20}");
        }
    }

    #[test]
    fn pem_keys_must_match_the_pinned_family() {
        let ed = signing_key(Algorithm::EdDSA).public_pem().unwrap();
        let rsa = signing_key(Algorithm::RS256).public_pem().unwrap();
        assert!(VerifyingKey::from_pem(Algorithm::EdDSA, ed.as_bytes()).is_ok());
        assert!(VerifyingKey::from_pem(Algorithm::PS512, rsa.as_bytes()).is_ok());
        assert!(matches!(
            VerifyingKey::from_pem(Algorithm::ES256, rsa.as_bytes()),
            Err(KeyError::WrongKind { .. })
        ));
        assert!(matches!(
            VerifyingKey::from_pem(Algorithm::RS256, ed.as_bytes()),
            Err(KeyError::WrongKind { .. })
        ));
        let truncated = &rsa.as_bytes()[..rsa.len() / 2];
        for junk in [
            &b""[..],
            b"-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----\n",
            truncated,
            &[0xff; 64],
        ] {
            for algorithm in Algorithm::ALL {
                assert!(VerifyingKey::from_pem(algorithm, junk).is_err());
            }
        }
    }

    #[test]
    fn secrets_accept_both_base64_alphabets_with_or_without_padding() {
        let secret = [0xfbu8; 32];
        use base64::engine::general_purpose as b64;
        for text in [
            b64::STANDARD.encode(secret),
            b64::STANDARD_NO_PAD.encode(secret),
            b64::URL_SAFE.encode(secret),
            b64::URL_SAFE_NO_PAD.encode(secret),
        ] {
            assert!(
                VerifyingKey::from_base64_secret(Algorithm::HS256, &text).is_ok(),
                "{text}"
            );
        }
        assert!(matches!(
            VerifyingKey::from_secret(Algorithm::HS512, &secret),
            Err(KeyError::ShortSecret { min: 64, .. })
        ));
        assert!(matches!(
            VerifyingKey::from_secret(Algorithm::ES256, &secret),
            Err(KeyError::WrongKind { .. })
        ));
    }

    #[test]
    fn jwk_members_are_checked() {
        let ec = signing_key(Algorithm::ES256).jwk(None);
        let jwk = |value: serde_json::Value| Jwk::from_value(&value).unwrap();
        assert!(VerifyingKey::from_jwk(Algorithm::ES256, &jwk(ec.clone())).is_ok());
        assert!(VerifyingKey::from_jwk(Algorithm::ES384, &jwk(ec.clone())).is_err());
        let mut no_y = ec.clone();
        no_y.as_object_mut().unwrap().remove("y");
        assert!(matches!(
            VerifyingKey::from_jwk(Algorithm::ES256, &jwk(no_y)),
            Err(KeyError::Jwk(message)) if message.contains("`y`")
        ));
        let mut off_curve = ec.clone();
        off_curve["y"] = off_curve["x"].clone();
        assert!(matches!(
            VerifyingKey::from_jwk(Algorithm::ES256, &jwk(off_curve)),
            Err(KeyError::Rejected { .. })
        ));
        let mut wrong_kty = ec;
        wrong_kty["kty"] = serde_json::json!("RSA");
        wrong_kty.as_object_mut().unwrap().remove("alg");
        assert!(VerifyingKey::from_jwk(Algorithm::ES256, &jwk(wrong_kty)).is_err());
    }
}
