//! Who is calling the admin API, and what their roles allow.
//!
//! Two kinds of bearer token are accepted: the bootstrap admin token, minted at the first start,
//! printed once and stored only as its SHA-256; and JWTs of the configured admin issuer, verified
//! by the same code as the gateway's consumer tokens (keys pinned to one algorithm, `exp`
//! required, `iss`/`aud` checked), whose `scope` (or `scp`) claim lists roles. Roles:
//! `architect`, `security`, `viewer`, `owner:<team>`, `gateway`; the bootstrap token holds all.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};

use canongate_policy::auth::{AuthError, Authenticator, bearer_token};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::problem::{ApiError, Kind};

/// Prefix of bootstrap admin tokens, so they are recognisable in a secret scanner.
pub const BOOTSTRAP_PREFIX: &str = "cgb_";

/// A role named in a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    /// The bootstrap token: every role.
    Admin,
    /// Contracts, versions, lifecycle, domains, systems, teams.
    Architect,
    /// Issuers, tiers, consumers, subscriptions.
    Security,
    /// Reads only.
    Viewer,
    /// Reads the snapshot (gateways following the control plane).
    Gateway,
    /// Drafts and lifecycle requests for the APIs of one team.
    Owner(String),
}

impl Role {
    /// Parses a role as written in a token (`owner:supply-chain`).
    pub fn parse(text: &str) -> Option<Role> {
        Some(match text {
            "architect" => Self::Architect,
            "security" => Self::Security,
            "viewer" => Self::Viewer,
            "gateway" => Self::Gateway,
            other => Self::Owner(
                other
                    .strip_prefix("owner:")
                    .filter(|team| crate::kinds::is_name(team))?
                    .to_owned(),
            ),
        })
    }

    /// The role as written in tokens and the audit log.
    pub fn name(&self) -> String {
        match self {
            Self::Admin => "admin".into(),
            Self::Architect => "architect".into(),
            Self::Security => "security".into(),
            Self::Viewer => "viewer".into(),
            Self::Gateway => "gateway".into(),
            Self::Owner(team) => format!("owner:{team}"),
        }
    }
}

/// What an operation needs.
#[derive(Debug, Clone, Copy)]
pub enum Permission<'a> {
    /// Read registry state (every role but `gateway`).
    Read,
    /// Read the gateway snapshot (`gateway`).
    Snapshot,
    /// A change reserved to one role (`architect` or `security`).
    Role(&'a Role),
    /// A draft or lifecycle request on an API of `team`: `architect` or `owner:<team>`.
    Owner(&'a str),
}

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Principal {
    /// The token's subject (`bootstrap-admin` for the bootstrap token).
    pub subject: String,
    /// Its roles.
    pub roles: Vec<Role>,
}

impl Principal {
    /// Whether the caller may see issuers' key material: those who may change issuers.
    pub fn sees_secrets(&self) -> bool {
        self.allow(Permission::Role(&Role::Security)).is_ok()
    }

    /// The role that grants `permission` (its name, for the audit log), or 403.
    pub fn allow(&self, permission: Permission<'_>) -> Result<String, ApiError> {
        let grants = |role: &Role| match (permission, role) {
            (_, Role::Admin) => true,
            (Permission::Read, role) => *role != Role::Gateway,
            (Permission::Snapshot, role) => *role == Role::Gateway,
            (Permission::Role(needed), role) => role == needed,
            (Permission::Owner(team), Role::Owner(owner)) => owner == team,
            (Permission::Owner(_), role) => *role == Role::Architect,
        };
        if let Some(role) = self.roles.iter().find(|role| grants(role)) {
            return Ok(role.name());
        }
        let needed = match permission {
            Permission::Read => "any role but `gateway`".to_owned(),
            Permission::Snapshot => "the `gateway` role".to_owned(),
            Permission::Role(role) => format!("the `{}` role", role.name()),
            Permission::Owner(team) => format!("the `architect` or `owner:{team}` role"),
        };
        let held: Vec<String> = self.roles.iter().map(Role::name).collect();
        Err(ApiError::new(
            Kind::Forbidden,
            format!(
                "this operation needs {needed}; the token holds [{}]",
                held.join(", ")
            ),
        ))
    }
}

/// Fetches an issuer's keys again when a token names a `kid` the issuer does not hold. The
/// process running the control plane provides it (the `canongate` binary's JWKS fetcher) for an
/// admin issuer with a JWKS endpoint.
pub trait KeyRefresh: Send + Sync {
    /// Refreshes issuer `issuer`'s keys; whether keys with new `kid`s arrived.
    fn refresh_for_unknown_kid(
        &self,
        issuer: usize,
    ) -> Pin<Box<dyn Future<Output = bool> + Send + '_>>;
}

/// Verifies admin tokens.
pub struct Gatekeeper {
    bootstrap_sha256: [u8; 32],
    issuer: Option<Arc<Authenticator>>,
    refresh: OnceLock<Arc<dyn KeyRefresh>>,
}

impl std::fmt::Debug for Gatekeeper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gatekeeper")
            .field("issuer", &self.issuer)
            .finish_non_exhaustive()
    }
}

/// SHA-256 of a token.
pub fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// A fresh bootstrap token: the prefix and 32 random bytes in base64url.
pub fn mint_bootstrap_token() -> String {
    use base64::Engine as _;
    let bytes: [u8; 32] = rand::random();
    format!(
        "{BOOTSTRAP_PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

impl Gatekeeper {
    /// A gatekeeper accepting the bootstrap token with digest `bootstrap_sha256` and, when
    /// given, JWTs of the admin issuer.
    pub fn new(bootstrap_sha256: [u8; 32], issuer: Option<Authenticator>) -> Self {
        Self {
            bootstrap_sha256,
            issuer: issuer.map(Arc::new),
            refresh: OnceLock::new(),
        }
    }

    /// The admin issuer's authenticator, for a JWKS fetcher to fill.
    pub fn issuer(&self) -> Option<&Arc<Authenticator>> {
        self.issuer.as_ref()
    }

    /// Installs what refreshes the admin issuer's keys on an unknown `kid` (once; later calls
    /// are ignored).
    pub fn set_key_refresh(&self, refresh: Arc<dyn KeyRefresh>) {
        let _ = self.refresh.set(refresh);
    }

    /// The caller of a request with this `Authorization` value, at `now_unix` (a token retried
    /// after a key fetch at the clock's time then); 401 otherwise.
    pub async fn authenticate(
        &self,
        authorization: Option<&str>,
        now_unix: u64,
    ) -> Result<Principal, ApiError> {
        let unauthorized = |detail: String, error: Option<&str>| {
            let mut problem = ApiError::new(Kind::Unauthorized, detail);
            problem.challenge = Some(match error {
                Some(error) => format!("Bearer realm=\"canongate-admin\", error=\"{error}\""),
                None => "Bearer realm=\"canongate-admin\"".into(),
            });
            problem
        };
        let Some(authorization) = authorization else {
            return Err(unauthorized(
                "the admin API needs `Authorization: Bearer <token>`".into(),
                None,
            ));
        };
        let token = bearer_token(authorization.as_bytes())
            .map_err(|error| unauthorized(error.to_string(), Some("invalid_request")))?;
        if token.starts_with(BOOTSTRAP_PREFIX) {
            return if bool::from(digest(token).ct_eq(&self.bootstrap_sha256)) {
                Ok(Principal {
                    subject: "bootstrap-admin".into(),
                    roles: vec![Role::Admin],
                })
            } else {
                Err(unauthorized(
                    "the bootstrap token is not this control plane's".into(),
                    Some("invalid_token"),
                ))
            };
        }
        let Some(issuer) = &self.issuer else {
            return Err(unauthorized(
                "no admin issuer is configured; only the bootstrap token is accepted".into(),
                Some("invalid_token"),
            ));
        };
        let verified = match issuer.verify_bearer(token, now_unix) {
            Err(AuthError::UnknownKid { issuer: index, .. }) if self.refreshed(index).await => {
                // The fetch took time: the token is judged at the time it is accepted.
                issuer.verify_bearer(token, crate::unix_now().max(now_unix))
            }
            outcome => outcome,
        }
        .map_err(|error| unauthorized(error.to_string(), Some("invalid_token")))?;
        Ok(Principal {
            subject: verified.subject.clone(),
            roles: verified
                .scopes
                .iter()
                .filter_map(|scope| Role::parse(scope))
                .collect(),
        })
    }
}

impl Gatekeeper {
    /// Whether refreshing issuer `index`'s keys brought new ones.
    async fn refreshed(&self, index: usize) -> bool {
        match self.refresh.get() {
            Some(refresh) => refresh.refresh_for_unknown_kid(index).await,
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal(roles: &[&str]) -> Principal {
        Principal {
            subject: "alice".into(),
            roles: roles.iter().filter_map(|r| Role::parse(r)).collect(),
        }
    }

    #[test]
    fn roles_grant_what_they_name() {
        let architect = principal(&["architect"]);
        assert_eq!(architect.allow(Permission::Read).unwrap(), "architect");
        assert!(architect.allow(Permission::Owner("any")).is_ok());
        assert!(architect.allow(Permission::Role(&Role::Security)).is_err());
        assert!(architect.allow(Permission::Snapshot).is_err());
        let owner = principal(&["owner:supply-chain"]);
        assert_eq!(
            owner.allow(Permission::Owner("supply-chain")).unwrap(),
            "owner:supply-chain"
        );
        let refused = owner.allow(Permission::Owner("commerce")).unwrap_err();
        assert!(
            refused.detail.contains("owner:commerce"),
            "{}",
            refused.detail
        );
        let gateway = principal(&["gateway"]);
        assert!(gateway.allow(Permission::Read).is_err());
        assert!(gateway.allow(Permission::Snapshot).is_ok());
        assert!(
            principal(&["viewer"])
                .allow(Permission::Role(&Role::Architect))
                .is_err()
        );
        assert!(principal(&["owner:Bad", "nonsense"]).roles.is_empty());
    }

    #[tokio::test]
    async fn the_bootstrap_token_holds_every_role() {
        let token = mint_bootstrap_token();
        let gatekeeper = Gatekeeper::new(digest(&token), None);
        let admin = gatekeeper
            .authenticate(Some(&format!("Bearer {token}")), 0)
            .await
            .unwrap();
        assert!(admin.allow(Permission::Snapshot).is_ok());
        assert!(admin.allow(Permission::Role(&Role::Security)).is_ok());
        let other = mint_bootstrap_token();
        let refused = gatekeeper
            .authenticate(Some(&format!("Bearer {other}")), 0)
            .await
            .unwrap_err();
        assert_eq!(refused.kind, Kind::Unauthorized);
        assert!(refused.challenge.unwrap().contains("invalid_token"));
        assert!(gatekeeper.authenticate(None, 0).await.is_err());
    }
}
