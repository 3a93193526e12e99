//! The compiled authenticator: trusted issuers with their keys, JWT verification, the
//! verified-token cache, and the JWKS stores the gateway's fetcher fills.
//!
//! Verification ([`Authenticator::verify_bearer`]) reads the token without trusting it only to
//! choose the issuer (by `iss`, or by `kid` when the token has no `iss`) and the key (by `kid`,
//! or the issuer's only key of the token's algorithm). The header's `alg` must then equal the
//! algorithm the key is pinned to, so `alg: none` and algorithm-substitution tokens fail before
//! any cryptography. Only after the signature verifies are `exp`, `nbf`, `iss`, `aud` and the
//! consumer claim checked, against the caller's clock.

use std::collections::HashMap;
use std::sync::Arc;

use http::HeaderName;

use super::cache::{CacheStats, TokenCache, TokenDigest};
use super::config::{Algorithm, ConsumerClaim, JwksConfig};
use super::error::AuthError;
use super::jwks::{JwksError, JwksStatus, JwksStore, KeySet};
use super::keys::{VerifyingKey, kid_is_valid};
use super::token::{Claims, MAX_TOKEN_LEN, Token};

/// What a verified token says about its bearer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedToken {
    /// Index of the issuer, in document order.
    pub issuer: usize,
    /// Value of the issuer's consumer claim.
    pub subject: String,
    /// Granted scopes from `scope` and `scp`, sorted and without duplicates.
    pub scopes: Vec<String>,
    /// The token's `exp` (Unix seconds).
    pub expires_at: u64,
}

/// A compiled issuer.
pub(crate) struct Issuer {
    pub(crate) name: String,
    pub(crate) iss: String,
    pub(crate) audiences: Vec<String>,
    pub(crate) require_iss: bool,
    pub(crate) require_aud: bool,
    pub(crate) require_nbf: bool,
    pub(crate) leeway: u64,
    pub(crate) consumer_claim: ConsumerClaim,
    pub(crate) keys: KeySet,
    pub(crate) jwks: Option<JwksStore>,
}

impl Issuer {
    fn holds_kid(&self, kid: &str) -> bool {
        self.keys.get(kid).is_some()
            || self
                .jwks
                .as_ref()
                .is_some_and(|jwks| jwks.keys().get(kid).is_some())
    }
}

/// Verifies bearer tokens for the issuers of one gateway document. Share it with `Arc`.
pub struct Authenticator {
    api_key_header: HeaderName,
    issuers: Vec<Issuer>,
    by_iss: HashMap<String, usize>,
    cache: TokenCache,
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticator")
            .field("api_key_header", &self.api_key_header)
            .field(
                "issuers",
                &self
                    .issuers
                    .iter()
                    .map(|issuer| &issuer.name)
                    .collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

impl Authenticator {
    pub(crate) fn new(
        api_key_header: HeaderName,
        issuers: Vec<Issuer>,
        token_cache_capacity: usize,
    ) -> Self {
        let mut by_iss = HashMap::new();
        for (index, issuer) in issuers.iter().enumerate() {
            by_iss.entry(issuer.iss.clone()).or_insert(index);
        }
        Self {
            api_key_header,
            issuers,
            by_iss,
            cache: TokenCache::new(token_cache_capacity),
        }
    }

    /// The header that carries API keys.
    pub fn api_key_header(&self) -> &HeaderName {
        &self.api_key_header
    }

    /// Verifies a bearer token at `now_unix` (seconds). A token verified before and still valid
    /// is answered from the cache without checking its signature again.
    pub fn verify_bearer(
        &self,
        token: &str,
        now_unix: u64,
    ) -> Result<Arc<VerifiedToken>, AuthError> {
        if token.len() > MAX_TOKEN_LEN {
            return Err(AuthError::Malformed("token too long"));
        }
        if !self.cache.is_enabled() {
            return self
                .verify_uncached(token, now_unix)
                .map(|(verified, _)| Arc::new(verified));
        }
        let digest = TokenDigest(super::sha256(token.as_bytes()));
        if let Some(hit) = self.cache.get(&digest, now_unix) {
            return Ok(hit);
        }
        let (verified, valid_until) = self.verify_uncached(token, now_unix)?;
        let verified = Arc::new(verified);
        self.cache
            .insert(digest, Arc::clone(&verified), valid_until, now_unix);
        Ok(verified)
    }

    /// Hit and miss counts of the verified-token cache.
    pub fn token_cache_stats(&self) -> CacheStats {
        self.cache.stats()
    }

    /// Verifies `token`; returns it and the first second at which it is no longer valid.
    fn verify_uncached(&self, token: &str, now: u64) -> Result<(VerifiedToken, u64), AuthError> {
        let token = Token::parse(token)?;
        let Some(algorithm) = Algorithm::from_name(&token.alg) else {
            return Err(AuthError::AlgorithmMismatch {
                found: shown(&token.alg),
            });
        };
        let kid = token.kid.as_deref();
        if kid.is_some_and(|kid| !kid_is_valid(kid)) {
            return Err(AuthError::Malformed("kid is not a valid key id"));
        }
        let index = self.select_issuer(token.claims.iss.as_deref(), kid)?;
        let issuer = &self.issuers[index];
        let jwks_keys = issuer.jwks.as_ref().map(JwksStore::keys);
        let sets = [Some(&issuer.keys), jwks_keys.as_deref().map(Arc::as_ref)];
        let key = select_key(index, sets.iter().flatten().copied(), kid, algorithm)?;
        if key.algorithm() != algorithm {
            return Err(AuthError::AlgorithmMismatch {
                found: shown(&token.alg),
            });
        }
        if !key.verify(token.signing_input, &token.signature) {
            return Err(AuthError::BadSignature);
        }
        check_claims(index, issuer, &token.claims, now)
    }

    /// The issuer a token belongs to: by `iss`, or, without `iss`, the one issuer holding its
    /// `kid` (or the only issuer, for a token without `kid`).
    fn select_issuer(&self, iss: Option<&str>, kid: Option<&str>) -> Result<usize, AuthError> {
        if let Some(iss) = iss {
            return match self.by_iss.get(iss) {
                Some(index) => Ok(*index),
                None if kid.is_some_and(|kid| self.issuers.iter().any(|i| i.holds_kid(kid))) => {
                    Err(AuthError::WrongIssuer)
                }
                None => Err(AuthError::UnknownIssuer),
            };
        }
        let mut candidates = self
            .issuers
            .iter()
            .enumerate()
            .filter(|(_, issuer)| kid.is_none_or(|kid| issuer.holds_kid(kid)));
        match (candidates.next(), candidates.next()) {
            (Some((index, _)), None) => Ok(index),
            _ => Err(AuthError::UnknownIssuer),
        }
    }

    /// Issuers with a JWKS endpoint, as `(issuer index, settings)`.
    pub fn jwks_endpoints(&self) -> Vec<(usize, JwksConfig)> {
        self.issuers
            .iter()
            .enumerate()
            .filter_map(|(index, issuer)| Some((index, issuer.jwks.as_ref()?.config.clone())))
            .collect()
    }

    /// Replaces issuer `issuer`'s JWKS keys with those of a fetched document and returns how
    /// many `kid`s are new. On error the held keys stay and the error is recorded for
    /// [`Self::jwks_status`]. Tokens already cached stay valid until their `exp`.
    pub fn install_jwks(
        &self,
        issuer: usize,
        body: &[u8],
        now_unix: u64,
    ) -> Result<usize, JwksError> {
        self.jwks_store(issuer)?.install(body, now_unix)
    }

    /// Records that fetching issuer `issuer`'s JWKS failed; its held keys stay in use.
    pub fn record_jwks_failure(&self, issuer: usize, error: String) -> Result<(), JwksError> {
        self.jwks_store(issuer)?.record_failure(error);
        Ok(())
    }

    /// Seeds every JWKS of this authenticator from the issuer of `previous` that reads the same
    /// endpoint (see `JwksStore::seed_from`); called when a reload rebuilds the authenticator.
    pub fn adopt_jwks_keys(&self, previous: &Authenticator) {
        for store in self
            .issuers
            .iter()
            .filter_map(|issuer| issuer.jwks.as_ref())
        {
            let same_endpoint = previous
                .issuers
                .iter()
                .filter_map(|issuer| issuer.jwks.as_ref())
                .find(|old| old.config.url == store.config.url);
            if let Some(old) = same_endpoint {
                store.seed_from(old);
            }
        }
    }

    /// Freshness of every issuer's JWKS, for readiness reporting.
    pub fn jwks_status(&self) -> Vec<JwksStatus> {
        self.issuers
            .iter()
            .filter_map(|issuer| Some(issuer.jwks.as_ref()?.status(&issuer.name)))
            .collect()
    }

    fn jwks_store(&self, issuer: usize) -> Result<&JwksStore, JwksError> {
        self.issuers
            .get(issuer)
            .and_then(|found| found.jwks.as_ref())
            .ok_or(JwksError::NotConfigured(issuer))
    }
}

/// The key for a token: by `kid`, or the issuer's only key of `algorithm` when there is none.
fn select_key<'k>(
    issuer: usize,
    sets: impl Iterator<Item = &'k KeySet> + Clone,
    kid: Option<&str>,
    algorithm: Algorithm,
) -> Result<&'k VerifyingKey, AuthError> {
    if let Some(kid) = kid {
        return sets
            .clone()
            .find_map(|set| set.get(kid))
            .ok_or_else(|| AuthError::UnknownKid {
                issuer,
                kid: kid.to_owned(),
            });
    }
    let mut candidates = sets.clone().flat_map(|set| set.with_algorithm(algorithm));
    match (candidates.next(), candidates.next()) {
        (Some(key), None) => Ok(key),
        (Some(_), Some(_)) => Err(AuthError::Malformed(
            "the token has no kid and its issuer has several keys for its algorithm",
        )),
        (None, _) if sets.map(KeySet::len).sum::<usize>() > 0 => {
            Err(AuthError::AlgorithmMismatch {
                found: algorithm.name().to_owned(),
            })
        }
        (None, _) => Err(AuthError::UnknownKid {
            issuer,
            kid: String::new(),
        }),
    }
}

/// Checks the claims of a token whose signature verified.
fn check_claims(
    index: usize,
    issuer: &Issuer,
    claims: &Claims,
    now: u64,
) -> Result<(VerifiedToken, u64), AuthError> {
    let exp = numeric_date(claims.exp.ok_or(AuthError::MissingClaim("exp"))?)?;
    let valid_until = exp.saturating_add(issuer.leeway);
    if now >= valid_until {
        return Err(AuthError::Expired);
    }
    match claims.nbf {
        Some(nbf) if numeric_date(nbf)? > now.saturating_add(issuer.leeway) => {
            return Err(AuthError::NotYetValid);
        }
        None if issuer.require_nbf => return Err(AuthError::MissingClaim("nbf")),
        _ => {}
    }
    if claims.iss.is_none() && issuer.require_iss {
        return Err(AuthError::MissingClaim("iss"));
    }
    if !issuer.audiences.is_empty() {
        match &claims.aud {
            Some(aud)
                if !aud
                    .iter()
                    .any(|aud| issuer.audiences.iter().any(|a| a == aud)) =>
            {
                return Err(AuthError::WrongAudience);
            }
            None if issuer.require_aud => return Err(AuthError::MissingClaim("aud")),
            _ => {}
        }
    }
    let subject = match issuer.consumer_claim {
        ConsumerClaim::Sub => &claims.sub,
        ConsumerClaim::ClientId => &claims.client_id,
        ConsumerClaim::Azp => &claims.azp,
    };
    let subject = subject
        .as_ref()
        .filter(|subject| !subject.is_empty())
        .ok_or(AuthError::MissingClaim(issuer.consumer_claim.name()))?;
    let mut scopes: Vec<String> = claims
        .scope
        .iter()
        .map(String::as_str)
        .chain(claims.scp.iter().flat_map(|scp| scp.iter()))
        .flat_map(str::split_ascii_whitespace)
        .map(str::to_owned)
        .collect();
    scopes.sort_unstable();
    scopes.dedup();
    let verified = VerifiedToken {
        issuer: index,
        subject: subject.clone(),
        scopes,
        expires_at: exp,
    };
    Ok((verified, valid_until))
}

/// A NumericDate (RFC 7519 section 2) as whole seconds.
fn numeric_date(value: f64) -> Result<u64, AuthError> {
    if value.is_finite() && value >= 0.0 {
        // Float-to-int `as` saturates; fractions of a second are dropped.
        Ok(value as u64)
    } else {
        Err(AuthError::Malformed("a time claim is not a NumericDate"))
    }
}

/// An `alg` value safe to show back to the client.
fn shown(alg: &str) -> String {
    if !alg.is_empty() && alg.len() <= 16 && alg.bytes().all(|b| b.is_ascii_alphanumeric()) {
        alg.to_owned()
    } else {
        "(unsupported)".to_owned()
    }
}
