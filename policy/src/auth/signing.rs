//! Signing keys: generating key pairs and minting tokens, for the demo, test harnesses and
//! benchmarks (the gateway itself never signs).
//!
//! A [`SigningKey`] holds private key material pinned to one [`Algorithm`], gives its verifying
//! half in the forms the gateway document accepts (PEM, JWK, base64 secret) and signs JWS
//! compact tokens with aws-lc-rs.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair};
use aws_lc_rs::{encoding::AsDer, hmac, rand, rsa};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Value, json};
use thiserror::Error;

use super::config::Algorithm;

/// Why a key could not be made or used.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SigningError {
    /// The cryptographic library failed to generate or use the key.
    #[error("cannot {0} with a {1} key")]
    Crypto(&'static str, Algorithm),
    /// The secret is shorter than the algorithm's hash output.
    #[error("{0} secrets must have at least {1} bytes")]
    ShortSecret(Algorithm, usize),
    /// The header to sign is not a JSON object.
    #[error("a JWS header must be a JSON object")]
    HeaderNotObject,
}

/// Private key material pinned to one algorithm.
pub struct SigningKey {
    algorithm: Algorithm,
    signer: Signer,
}

enum Signer {
    Hmac(Vec<u8>),
    Rsa(rsa::KeyPair),
    Ec(EcdsaKeyPair),
    Ed(Ed25519KeyPair),
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

fn hmac_params(algorithm: Algorithm) -> Option<(hmac::Algorithm, usize)> {
    match algorithm {
        Algorithm::HS256 => Some((hmac::HMAC_SHA256, 32)),
        Algorithm::HS384 => Some((hmac::HMAC_SHA384, 48)),
        Algorithm::HS512 => Some((hmac::HMAC_SHA512, 64)),
        _ => None,
    }
}

impl SigningKey {
    /// A fresh key: a random secret of the hash length for HS*, RSA 2048 for RS*/PS*, P-256 or
    /// P-384 for ES*, Ed25519 for EdDSA.
    pub fn generate(algorithm: Algorithm) -> Result<Self, SigningError> {
        let failed = || SigningError::Crypto("generate", algorithm);
        let signer = match algorithm {
            Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512 => {
                let len = hmac_params(algorithm).map_or(64, |(_, len)| len);
                let mut secret = vec![0u8; len];
                rand::fill(&mut secret).map_err(|_| failed())?;
                Signer::Hmac(secret)
            }
            Algorithm::RS256
            | Algorithm::RS384
            | Algorithm::RS512
            | Algorithm::PS256
            | Algorithm::PS384
            | Algorithm::PS512 => {
                Signer::Rsa(rsa::KeyPair::generate(rsa::KeySize::Rsa2048).map_err(|_| failed())?)
            }
            Algorithm::ES256 => Signer::Ec(
                EcdsaKeyPair::generate(&signature::ECDSA_P256_SHA256_FIXED_SIGNING)
                    .map_err(|_| failed())?,
            ),
            Algorithm::ES384 => Signer::Ec(
                EcdsaKeyPair::generate(&signature::ECDSA_P384_SHA384_FIXED_SIGNING)
                    .map_err(|_| failed())?,
            ),
            Algorithm::EdDSA => Signer::Ed(Ed25519KeyPair::generate().map_err(|_| failed())?),
        };
        Ok(Self { algorithm, signer })
    }

    /// An HMAC key (HS256/384/512) with the given secret.
    pub fn from_secret(algorithm: Algorithm, secret: &[u8]) -> Result<Self, SigningError> {
        let (_, min) =
            hmac_params(algorithm).ok_or(SigningError::Crypto("use a secret", algorithm))?;
        if secret.len() < min {
            return Err(SigningError::ShortSecret(algorithm, min));
        }
        Ok(Self {
            algorithm,
            signer: Signer::Hmac(secret.to_vec()),
        })
    }

    /// The same RSA key pinned to another RSA algorithm (RSA key generation is slow).
    pub fn with_rsa_algorithm(&self, algorithm: Algorithm) -> Result<Self, SigningError> {
        let failed = || SigningError::Crypto("re-pin", algorithm);
        let Signer::Rsa(pair) = &self.signer else {
            return Err(failed());
        };
        if rsa_padding(algorithm).is_none() {
            return Err(failed());
        }
        let pkcs8 = pair.as_der().map_err(|_| failed())?;
        let pair = rsa::KeyPair::from_pkcs8(pkcs8.as_ref()).map_err(|_| failed())?;
        Ok(Self {
            algorithm,
            signer: Signer::Rsa(pair),
        })
    }

    /// The algorithm the key is pinned to.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The public key as PEM (`PUBLIC KEY`); `None` for HMAC keys.
    pub fn public_pem(&self) -> Option<String> {
        let der = match &self.signer {
            Signer::Hmac(_) => return None,
            Signer::Rsa(pair) => pair.public_key().as_der().ok()?.as_ref().to_vec(),
            Signer::Ec(pair) => pair.public_key().as_der().ok()?.as_ref().to_vec(),
            Signer::Ed(pair) => pair.public_key().as_der().ok()?.as_ref().to_vec(),
        };
        let body = STANDARD.encode(der);
        let lines: Vec<&str> = body
            .as_bytes()
            .chunks(64)
            .filter_map(|line| std::str::from_utf8(line).ok())
            .collect();
        Some(format!(
            "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
            lines.join("\n")
        ))
    }

    /// The HMAC secret in standard base64 (for `secret_base64`); `None` for public-key
    /// algorithms.
    pub fn secret_base64(&self) -> Option<String> {
        match &self.signer {
            Signer::Hmac(secret) => Some(STANDARD.encode(secret)),
            _ => None,
        }
    }

    /// The verifying key as a JWK with `alg` and `use: sig` (for HMAC, the secret itself).
    pub fn jwk(&self, kid: Option<&str>) -> Value {
        let b64 = |bytes: &[u8]| URL_SAFE_NO_PAD.encode(bytes);
        let mut jwk = match &self.signer {
            Signer::Hmac(secret) => json!({"kty": "oct", "k": b64(secret)}),
            Signer::Rsa(pair) => {
                let public = rsa::PublicKeyComponents::<Vec<u8>>::from(pair.public_key());
                json!({"kty": "RSA", "n": b64(&public.n), "e": b64(&public.e)})
            }
            Signer::Ec(pair) => {
                let point = pair.public_key().as_ref();
                let half = (point.len() - 1) / 2;
                let crv = if half == 32 { "P-256" } else { "P-384" };
                json!({"kty": "EC", "crv": crv, "x": b64(&point[1..=half]), "y": b64(&point[1 + half..])})
            }
            Signer::Ed(pair) => {
                json!({"kty": "OKP", "crv": "Ed25519", "x": b64(pair.public_key().as_ref())})
            }
        };
        jwk["alg"] = json!(self.algorithm.name());
        jwk["use"] = json!("sig");
        if let Some(kid) = kid {
            jwk["kid"] = json!(kid);
        }
        jwk
    }

    /// A token with header `{"alg", "typ": "JWT", "kid"?}` and the given claims.
    pub fn sign(&self, kid: Option<&str>, claims: &Value) -> Result<String, SigningError> {
        let mut header = json!({"alg": self.algorithm.name(), "typ": "JWT"});
        if let Some(kid) = kid {
            header["kid"] = json!(kid);
        }
        self.sign_with_header(&header, claims)
    }

    /// A token with exactly the given header (its `alg` is not checked) and claims.
    pub fn sign_with_header(&self, header: &Value, claims: &Value) -> Result<String, SigningError> {
        if !header.is_object() {
            return Err(SigningError::HeaderNotObject);
        }
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let signature = self.sign_bytes(input.as_bytes())?;
        Ok(format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature)))
    }

    fn sign_bytes(&self, message: &[u8]) -> Result<Vec<u8>, SigningError> {
        let failed = || SigningError::Crypto("sign", self.algorithm);
        match &self.signer {
            Signer::Hmac(secret) => {
                let (algorithm, _) = hmac_params(self.algorithm).ok_or_else(failed)?;
                let key = hmac::Key::new(algorithm, secret);
                Ok(hmac::sign(&key, message).as_ref().to_vec())
            }
            Signer::Rsa(pair) => {
                let padding = rsa_padding(self.algorithm).ok_or_else(failed)?;
                let mut signature = vec![0u8; pair.public_modulus_len()];
                pair.sign(padding, &SystemRandom::new(), message, &mut signature)
                    .map_err(|_| failed())?;
                Ok(signature)
            }
            Signer::Ec(pair) => Ok(pair
                .sign(&SystemRandom::new(), message)
                .map_err(|_| failed())?
                .as_ref()
                .to_vec()),
            Signer::Ed(pair) => Ok(pair.sign(message).as_ref().to_vec()),
        }
    }
}

fn rsa_padding(algorithm: Algorithm) -> Option<&'static dyn signature::RsaEncoding> {
    Some(match algorithm {
        Algorithm::RS256 => &signature::RSA_PKCS1_SHA256,
        Algorithm::RS384 => &signature::RSA_PKCS1_SHA384,
        Algorithm::RS512 => &signature::RSA_PKCS1_SHA512,
        Algorithm::PS256 => &signature::RSA_PSS_SHA256,
        Algorithm::PS384 => &signature::RSA_PSS_SHA384,
        Algorithm::PS512 => &signature::RSA_PSS_SHA512,
        _ => return None,
    })
}
