//! The kinds of named resource the registry stores, their specs and who may change them.
//!
//! Teams, systems, domains and APIs are the registry's own facts (their specs are defined
//! here); issuers, tiers and consumers are stored exactly as the gateway document writes them
//! (`canongate_policy` types), so what the security team stores is what gateways run.
//! [`ResourceKind::normalize`] decodes a submitted spec into its typed form — refusing unknown
//! fields with the JSON pointer at fault — and returns it re-encoded with defaults filled in.

use canongate_policy::auth::IssuerConfig;
use canongate_policy::config::{DefaultVersion, SystemConfig};
use canongate_policy::consumers::ConsumerConfig;
use canongate_policy::throttle::TierConfig;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::auth::Role;
use crate::problem::{ApiError, FieldError};

/// A kind of named resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceKind {
    /// Teams owning APIs and domains.
    Team,
    /// Back-end systems (CRM, ERP, shop, WMS…).
    System,
    /// Data domains and their system of record.
    Domain,
    /// Canonical APIs.
    Api,
    /// JWT issuers trusted by gateways.
    Issuer,
    /// SLA tiers.
    Tier,
    /// Consumers with their credentials and subscriptions.
    Consumer,
}

/// A team.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TeamSpec {
    /// Human-readable name.
    pub display_name: String,
    /// How to reach the team (mail, chat channel).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
}

/// A back-end system and how gateways reach it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SystemSpec {
    /// What the system is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Reference to the system's credentials in the secret store (never the secret itself).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials_ref: Option<String>,
    /// Base URLs, timeouts, TLS and keepalive, as in the gateway document's `systems:`.
    pub connection: SystemConfig,
}

/// A data domain and who may write it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DomainSpec {
    /// Team that owns the domain.
    pub owner_team: String,
    /// The system whose data wins for the domain.
    pub system_of_record: String,
    /// Other systems allowed to write the domain.
    #[serde(default)]
    pub writers: Vec<String>,
    /// Fields owned by a system other than the system of record.
    #[serde(default)]
    pub field_owners: Vec<FieldOwnerSpec>,
}

/// A field whose system of record differs from its domain's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldOwnerSpec {
    /// JSON pointer of the field in the resource representation (`/email`).
    pub pointer: String,
    /// The system owning it.
    pub system: String,
}

/// A canonical API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiSpec {
    /// The data domain the API exposes.
    pub domain: String,
    /// Team that owns the API (its `owner:<team>` role may write drafts).
    pub owner_team: String,
    /// Path prefix; default `/{name}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_path: Option<String>,
    /// The version unversioned requests get.
    #[serde(default)]
    pub default_version: DefaultVersion,
}

impl ResourceKind {
    /// Every kind, in the order the gateway document depends on them.
    pub const ALL: [ResourceKind; 7] = [
        Self::Team,
        Self::System,
        Self::Domain,
        Self::Api,
        Self::Issuer,
        Self::Tier,
        Self::Consumer,
    ];

    /// The collection's path segment and stored kind (`teams`).
    pub fn collection(self) -> &'static str {
        match self {
            Self::Team => "teams",
            Self::System => "systems",
            Self::Domain => "domains",
            Self::Api => "apis",
            Self::Issuer => "issuers",
            Self::Tier => "tiers",
            Self::Consumer => "consumers",
        }
    }

    /// One of them, for messages and audit actions (`team`).
    pub fn singular(self) -> &'static str {
        match self {
            Self::Team => "team",
            Self::System => "system",
            Self::Domain => "domain",
            Self::Api => "api",
            Self::Issuer => "issuer",
            Self::Tier => "tier",
            Self::Consumer => "consumer",
        }
    }

    /// The role that may create, change and delete them.
    pub fn writer(self) -> Role {
        match self {
            Self::Team | Self::System | Self::Domain | Self::Api => Role::Architect,
            Self::Issuer | Self::Tier | Self::Consumer => Role::Security,
        }
    }

    /// Decodes `spec` (found at `/spec` in the request body) into its typed form and returns it
    /// re-encoded with defaults filled in.
    pub fn normalize(self, spec: &Value) -> Result<Value, ApiError> {
        match self {
            Self::Team => typed::<TeamSpec>(spec),
            Self::System => typed::<SystemSpec>(spec),
            Self::Domain => typed::<DomainSpec>(spec),
            Self::Api => typed::<ApiSpec>(spec),
            Self::Issuer => typed::<IssuerConfig>(spec),
            Self::Tier => typed::<TierConfig>(spec),
            Self::Consumer => typed::<ConsumerConfig>(spec),
        }
    }
}

/// Decodes `value` as `T`; a failure names the JSON pointer under `/spec`.
pub fn decode<T: DeserializeOwned>(value: &Value, at: &str) -> Result<T, FieldError> {
    serde_path_to_error::deserialize(value).map_err(|error| {
        let mut field = at.to_owned();
        for segment in error.path().iter() {
            use serde_path_to_error::Segment;
            let part = match segment {
                Segment::Seq { index } => index.to_string(),
                Segment::Map { key } => key.replace('~', "~0").replace('/', "~1"),
                Segment::Enum { variant } => variant.clone(),
                Segment::Unknown => continue,
            };
            field.push('/');
            field.push_str(&part);
        }
        FieldError::new(field, error.into_inner().to_string())
    })
}

fn typed<T: DeserializeOwned + Serialize>(spec: &Value) -> Result<Value, ApiError> {
    let typed: T = decode(spec, "/spec").map_err(|error| {
        ApiError::validation(format!("{}: {}", error.field, error.message), vec![error])
    })?;
    serde_json::to_value(typed).map_err(ApiError::internal)
}

/// `true` for resource names: lower-case ASCII letters, digits and `-`, starting with a letter,
/// at most 64 bytes.
pub fn is_name(name: &str) -> bool {
    name.len() <= 64
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn unknown_fields_are_refused_with_their_pointer() {
        let error = ResourceKind::Tier
            .normalize(&json!({"rate": {"requests": 5, "per": "1s", "bogus": 1}}))
            .unwrap_err();
        assert_eq!(error.errors[0].field, "/spec/rate/bogus");
        assert!(error.errors[0].message.contains("bogus"), "{error:?}");
    }

    #[test]
    fn defaults_are_filled_in() {
        let spec = ResourceKind::System
            .normalize(&json!({"connection": {"base_urls": ["http://127.0.0.1:1"]}}))
            .unwrap();
        assert_eq!(spec["connection"]["connect_timeout"], "2s");
        let api = ResourceKind::Api
            .normalize(&json!({"domain": "order", "owner_team": "commerce"}))
            .unwrap();
        assert_eq!(api["default_version"], "latest");
    }

    #[test]
    fn names_are_checked() {
        assert!(is_name("supply-chain"));
        assert!(!is_name("Supply"));
        assert!(!is_name("a_b"));
        assert!(!is_name(""));
        assert!(!is_name(&"a".repeat(65)));
    }
}
