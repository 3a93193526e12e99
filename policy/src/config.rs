//! The gateway document (`GatewayConfig`): plain serde data, read from YAML.
//!
//! The same document is produced by the control plane and by GitOps files. Every struct refuses
//! unknown fields, so a typo is an error with its location rather than a silently ignored key.
//! [`load_file`]/[`parse`] only check the shape; [`crate::Snapshot::compile`] checks the meaning.

mod load;

use std::borrow::Cow;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

pub use load::{ConfigError, load_file, parse};

use crate::auth::{AuthConfig, IssuerConfig};
use crate::consumers::ConsumerConfig;
use crate::throttle::{SheddingConfig, TierConfig};

/// The whole gateway document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GatewayConfig {
    /// Label of this revision of the document; when absent, a hash of the document is used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<String>,
    /// Addresses the gateway listens on.
    #[serde(default)]
    pub listeners: Listeners,
    /// Limits on the request head, enforced before routing.
    #[serde(default)]
    pub http: HttpLimits,
    /// Back-end systems (CRM, ERP, shop, …) by name.
    pub systems: IndexMap<String, SystemConfig>,
    /// Canonical APIs by name; `/{name}/v{major}/…` is served unless `base_path` says otherwise.
    pub apis: IndexMap<String, ApiConfig>,
    /// Credential settings shared by all consumers.
    #[serde(default)]
    pub auth: AuthConfig,
    /// JWT issuers by name.
    #[serde(default)]
    pub issuers: IndexMap<String, IssuerConfig>,
    /// SLA tiers by name.
    #[serde(default)]
    pub tiers: IndexMap<String, TierConfig>,
    /// Shedding of low-priority tiers under overload; absent: no shedding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load_shedding: Option<SheddingConfig>,
    /// Consumers by id.
    #[serde(default)]
    pub consumers: IndexMap<String, ConsumerConfig>,
    /// Directory that relative contract and TLS paths are resolved against (the document's own
    /// directory when read from a file).
    #[serde(skip)]
    pub base_dir: PathBuf,
    /// Where the document came from (its file name), for error messages.
    #[serde(skip)]
    pub origin: String,
}

/// Listening addresses. Changing them needs a restart; a reload keeps the bound sockets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Listeners {
    /// Address of the proxy listener serving the canonical APIs.
    #[serde(default = "Listeners::default_proxy")]
    pub proxy: SocketAddr,
    /// Address of the operations listener (`/healthz`, `/readyz`, `/metrics`).
    #[serde(default = "Listeners::default_ops")]
    pub ops: SocketAddr,
}

impl Listeners {
    fn default_proxy() -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], 8080))
    }
    fn default_ops() -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], 9901))
    }
}

impl Default for Listeners {
    fn default() -> Self {
        Self {
            proxy: Self::default_proxy(),
            ops: Self::default_ops(),
        }
    }
}

/// Limits on what a client may send in the request head.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpLimits {
    /// Longest request line accepted; longer ones get 414 URI Too Long.
    #[serde(default = "HttpLimits::default_request_line")]
    pub max_request_line_bytes: usize,
    /// Largest request head (request line plus header fields); larger ones get 431.
    #[serde(default = "HttpLimits::default_header_bytes")]
    pub max_header_bytes: usize,
}

impl HttpLimits {
    fn default_request_line() -> usize {
        8 * 1024
    }
    fn default_header_bytes() -> usize {
        32 * 1024
    }
}

impl Default for HttpLimits {
    fn default() -> Self {
        Self {
            max_request_line_bytes: Self::default_request_line(),
            max_header_bytes: Self::default_header_bytes(),
        }
    }
}

/// A back-end system that serves one or more canonical API versions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SystemConfig {
    /// Base URLs (`http://host:port` or `https://host:port`), used round-robin.
    pub base_urls: Vec<String>,
    /// Longest wait for a TCP (and TLS) connection; past it the client gets 502.
    #[serde(
        default = "SystemConfig::default_connect_timeout",
        with = "crate::duration"
    )]
    pub connect_timeout: Duration,
    /// Longest wait for each read from the system; past it the client gets 504.
    #[serde(
        default = "SystemConfig::default_read_timeout",
        with = "crate::duration"
    )]
    pub read_timeout: Duration,
    /// Longest wait for each write to the system.
    #[serde(
        default = "SystemConfig::default_write_timeout",
        with = "crate::duration"
    )]
    pub write_timeout: Duration,
    /// TLS settings for `https` base URLs.
    #[serde(default)]
    pub tls: TlsConfig,
    /// Connection reuse towards this system.
    #[serde(default)]
    pub keepalive: KeepaliveConfig,
}

impl SystemConfig {
    fn default_connect_timeout() -> Duration {
        Duration::from_secs(2)
    }
    fn default_read_timeout() -> Duration {
        Duration::from_secs(30)
    }
    fn default_write_timeout() -> Duration {
        Duration::from_secs(30)
    }
}

/// TLS towards a system.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// Server name sent in SNI and checked against the certificate; defaults to the URL's host.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sni: Option<String>,
    /// PEM file with the CA certificates to trust instead of the built-in web roots.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<PathBuf>,
    /// Skip certificate and host-name verification (for test systems only).
    #[serde(default)]
    pub insecure_skip_verify: bool,
}

/// Idle-connection reuse towards a system.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeepaliveConfig {
    /// Idle connections kept for this system. The gateway's connection pool is one shared LRU
    /// whose capacity is the sum over all systems; `0` disables reuse for this system.
    #[serde(default = "KeepaliveConfig::default_pool_size")]
    pub pool_size: usize,
    /// How long an idle connection is kept before it is closed.
    #[serde(
        default = "KeepaliveConfig::default_idle_timeout",
        with = "crate::duration"
    )]
    pub idle_timeout: Duration,
}

impl KeepaliveConfig {
    fn default_pool_size() -> usize {
        128
    }
    fn default_idle_timeout() -> Duration {
        Duration::from_secs(60)
    }
}

impl Default for KeepaliveConfig {
    fn default() -> Self {
        Self {
            pool_size: Self::default_pool_size(),
            idle_timeout: Self::default_idle_timeout(),
        }
    }
}

/// A canonical API and its versions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiConfig {
    /// Path prefix of the API; defaults to `/{api name}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_path: Option<String>,
    /// Version served for an unversioned path without an `Api-Version` header.
    #[serde(default)]
    pub default_version: DefaultVersion,
    /// The API's versions, one per major version.
    pub versions: Vec<ApiVersionConfig>,
}

/// Which version an unversioned request (`/inventory/stock-levels`, no `Api-Version`) gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum DefaultVersion {
    /// `latest`: the highest published version (else the highest deprecated one).
    #[default]
    Latest,
    /// `none`: the client must name a version; otherwise 400.
    Required,
    /// `v2`: this major version.
    Major(u64),
}

impl TryFrom<String> for DefaultVersion {
    type Error = String;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        match text.as_str() {
            "latest" => Ok(Self::Latest),
            "none" => Ok(Self::Required),
            other => other
                .strip_prefix('v')
                .and_then(|major| major.parse().ok())
                .map(Self::Major)
                .ok_or_else(|| {
                    format!("`{other}` is not `latest`, `none` or a version such as `v2`")
                }),
        }
    }
}

impl From<DefaultVersion> for String {
    fn from(version: DefaultVersion) -> Self {
        match version {
            DefaultVersion::Latest => "latest".into(),
            DefaultVersion::Required => "none".into(),
            DefaultVersion::Major(major) => format!("v{major}"),
        }
    }
}

/// One major version of a canonical API, bound to the system that serves it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiVersionConfig {
    /// The OpenAPI 3.0 contract (YAML or JSON); its `info.version` gives the major version.
    pub contract: ContractSource,
    /// Where the version is in its life; only `published` and `deprecated` versions are served.
    #[serde(default)]
    pub lifecycle: Lifecycle,
    /// What clients of a deprecated version are told; only for `deprecated` and `retired`
    /// versions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deprecation: Option<DeprecationConfig>,
    /// The system serving this version and where the API lives on it.
    pub backend: BackendBinding,
}

/// Where a version's contract comes from: a file (`contract: contracts/x.yaml`) or the document
/// itself (`contract: {inline: "<OpenAPI text>", origin: inventory@1.2.0}`), which makes the
/// document self-contained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContractSource {
    /// A contract file, relative to the document's directory unless absolute.
    File(PathBuf),
    /// The contract's text, carried in the document.
    Inline {
        /// Names the contract in error messages; empty when the document gives no name, in
        /// which case the version's place in the document (`apis.<api>.versions[i]`) is used.
        origin: String,
        /// The OpenAPI text.
        text: String,
    },
}

impl ContractSource {
    /// The contract file, if the contract is one.
    pub fn file(&self) -> Option<&Path> {
        match self {
            Self::File(file) => Some(file),
            Self::Inline { .. } => None,
        }
    }
}

/// The mapping form of [`ContractSource::Inline`].
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct InlineContract<'a> {
    /// The OpenAPI text.
    inline: Cow<'a, str>,
    /// Name of the contract in error messages.
    #[serde(default, skip_serializing_if = "str::is_empty")]
    origin: Cow<'a, str>,
}

impl Serialize for ContractSource {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::File(file) => file.serialize(serializer),
            Self::Inline { origin, text } => InlineContract {
                inline: Cow::Borrowed(text),
                origin: Cow::Borrowed(origin),
            }
            .serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for ContractSource {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SourceVisitor;

        impl<'de> serde::de::Visitor<'de> for SourceVisitor {
            type Value = ContractSource;

            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str(
                    "a contract file path or a mapping `{inline: <OpenAPI text>, origin: <name>}`",
                )
            }

            fn visit_str<E: serde::de::Error>(self, file: &str) -> Result<Self::Value, E> {
                Ok(ContractSource::File(PathBuf::from(file)))
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<Self::Value, A::Error> {
                let InlineContract { inline, origin } =
                    Deserialize::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
                Ok(ContractSource::Inline {
                    origin: origin.into_owned(),
                    text: inline.into_owned(),
                })
            }
        }

        deserializer.deserialize_any(SourceVisitor)
    }
}

/// How a deprecated version is announced to its clients: every response of a `deprecated`
/// version carries `Deprecation` (RFC 9745), `Sunset` (RFC 8594) and a `Link` to the successor,
/// each when its field is given.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeprecationConfig {
    /// The day (`YYYY-MM-DD`, UTC) the version was deprecated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deprecated_on: Option<String>,
    /// The day (`YYYY-MM-DD`, UTC) the version stops being served; not before `deprecated_on`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sunset: Option<String>,
    /// The version that replaces this one, as a version (`2.0.0`) or a major (`v2`) of the same
    /// API.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub successor: Option<String>,
}

/// Lifecycle state of a contract version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Lifecycle {
    /// Being written; never routed.
    Draft,
    /// Served.
    #[default]
    Published,
    /// Served, announced for removal.
    Deprecated,
    /// No longer served: requests get 410 Gone.
    Retired,
}

impl Lifecycle {
    /// The state's name as written in the document.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Published => "published",
            Self::Deprecated => "deprecated",
            Self::Retired => "retired",
        }
    }
}

/// Binding of an API version to a system.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackendBinding {
    /// Name of a system in `systems`.
    pub system: String,
    /// Path on the system that replaces `/{api}/v{major}`; empty keeps the contract path as is.
    #[serde(default)]
    pub path_prefix: String,
}
