//! `Snapshot::compile`: the gateway document turned into the hot-path form.
//!
//! Compilation loads every contract, resolves systems to socket addresses, builds the route tree
//! and checks every cross-reference. It reports every problem it finds, each with its location
//! in the document; a document with any problem yields no snapshot, so a running gateway keeps
//! the one it has.

mod contracts;
mod deprecation;
mod keys;
mod systems;

use std::borrow::Cow;
use std::sync::Arc;

use crate::access::Access;
use crate::auth::{self, Authenticator};
use crate::config::{
    ContractSource, DefaultVersion, GatewayConfig, HttpLimits, Lifecycle, Listeners,
};
use crate::consumers::{Consumers, Names};
use crate::routing::{OperationIndex, RouteError, Router, RouterBuilder};
use crate::throttle::{Throttle, ThrottleClock};

pub use contracts::ContractCache;
pub use deprecation::DeprecationFields;
pub use keys::StableKeys;
pub use systems::{Endpoint, System, SystemIndex};

/// One problem found while compiling, with its place in the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Field path in the document, e.g. `apis.inventory.versions[0].backend.system`.
    pub location: String,
    /// What is wrong there.
    pub message: String,
}

/// The document was refused; every problem is listed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", render(.origin, .problems))]
pub struct CompileError {
    /// File name or label of the document.
    pub origin: String,
    /// All problems found, in document order.
    pub problems: Vec<Diagnostic>,
}

fn render(origin: &str, problems: &[Diagnostic]) -> String {
    problems
        .iter()
        .map(|p| format!("{origin}: {}: {}", p.location, p.message))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A served (or retired) operation of one API version.
#[derive(Debug, Clone)]
pub struct Operation {
    /// Index of the API in [`Snapshot::apis`].
    pub api_index: usize,
    /// Index of the version in the API's [`Api::versions`].
    pub version_index: usize,
    /// API name, e.g. `inventory`.
    pub api: Arc<str>,
    /// Version label, e.g. `v1`.
    pub version: Arc<str>,
    /// The contract's operationId.
    pub operation_id: Arc<str>,
    /// Lifecycle of the version.
    pub lifecycle: Lifecycle,
    /// The system serving it.
    pub system: SystemIndex,
    /// Path on the system replacing the canonical prefix.
    pub upstream_prefix: String,
    /// Who may call it.
    pub access: Access,
    /// Length of the versioned prefix (`{base_path}/v{major}`) of every matching request path.
    pub canonical_prefix_len: usize,
}

impl Operation {
    /// The path to send to the system for a request path whose API prefix (`{base_path}/v{major}`,
    /// or `{base_path}` for an unversioned request) is `prefix_len` bytes long; query excluded.
    pub fn upstream_path(&self, request_path: &str, prefix_len: usize) -> String {
        let rest = request_path.get(prefix_len..).unwrap_or_default();
        let mut path = String::with_capacity(self.upstream_prefix.len() + rest.len());
        path.push_str(&self.upstream_prefix);
        path.push_str(rest);
        if path.is_empty() {
            path.push('/');
        }
        path
    }
}

/// A served API and its versions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Api {
    /// API name.
    pub name: String,
    /// Path prefix.
    pub base_path: String,
    /// Versions in document order.
    pub versions: Vec<ApiVersion>,
    /// Version for unversioned requests without `Api-Version`: `None` means the client must say.
    pub default_major: Option<u64>,
    /// The API's number for the limiters, stable across reloads.
    pub limiter_key: u32,
}

/// One version of an API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiVersion {
    /// Major version (`2` for `/v2`).
    pub major: u64,
    /// The contract's `info.version`.
    pub contract_version: String,
    /// Lifecycle state.
    pub lifecycle: Lifecycle,
    /// Response fields announcing the deprecation (empty unless the document gives them).
    pub deprecation: DeprecationFields,
}

impl ApiVersion {
    /// `v{major}`.
    pub fn label(&self) -> String {
        format!("v{}", self.major)
    }
}

impl Api {
    /// The version with this major, if clients can see it (drafts are invisible to them).
    pub fn version(&self, major: u64) -> Option<&ApiVersion> {
        self.versions
            .iter()
            .find(|version| version.major == major && version.lifecycle != Lifecycle::Draft)
    }

    /// Labels of the versions a client can call (`v1, v2`), for error details.
    pub fn callable_versions(&self) -> String {
        let labels: Vec<String> = self
            .versions
            .iter()
            .filter(|v| matches!(v.lifecycle, Lifecycle::Published | Lifecycle::Deprecated))
            .map(ApiVersion::label)
            .collect();
        if labels.is_empty() {
            "none".to_owned()
        } else {
            labels.join(", ")
        }
    }
}

/// The compiled, immutable form of a gateway document that the data plane runs.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// Revision label (the document's, or a hash of the document and its contracts).
    pub revision: String,
    /// Listening addresses the document asks for.
    pub listeners: Listeners,
    /// Request-head limits.
    pub http: HttpLimits,
    /// Systems, indexed by [`SystemIndex`].
    pub systems: Vec<System>,
    /// APIs in document order.
    pub apis: Vec<Api>,
    /// Operations, indexed by [`OperationIndex`].
    pub operations: Vec<Operation>,
    /// The route tree.
    pub router: Router,
    /// JWT issuers, the verified-token cache and API-key settings.
    pub auth: Arc<Authenticator>,
    /// Tiers and their live limiter state.
    pub throttle: Throttle,
    /// Consumers and their credentials (shared with the next snapshot when they are unchanged).
    pub consumers: Arc<Consumers>,
    /// Limiter numbers of consumer ids and API names, carried across reloads.
    limiter_keys: (StableKeys, StableKeys),
    /// Fingerprints of the auth and throttle settings, to carry live state across reloads.
    fingerprints: (u64, u64),
    /// The loaded contracts, reused by the next compilation when their text is unchanged.
    contracts: ContractCache,
    /// Digest of the consumers and the names they resolve against ([`consumers_digest`]).
    consumers_digest: [u8; 32],
}

/// What a compilation may reuse or needs besides the document.
#[derive(Default)]
pub struct CompileContext<'a> {
    /// The time source of the limiters (the system clock when `None`).
    pub clock: Option<ThrottleClock>,
    /// The running snapshot: its token cache, JWKS keys and limiter state are kept when the
    /// settings they depend on did not change.
    pub previous: Option<&'a Snapshot>,
}

impl Snapshot {
    /// Compiles a document, loading its contracts from the file system.
    pub fn compile(config: &GatewayConfig) -> Result<Self, CompileError> {
        Self::compile_with(config, &CompileContext::default())
    }

    /// Compiles a document with a clock and the snapshot it replaces.
    pub fn compile_with(
        config: &GatewayConfig,
        context: &CompileContext<'_>,
    ) -> Result<Self, CompileError> {
        let mut problems = Vec::new();
        let mut report = |location: String, message: String| {
            problems.push(Diagnostic { location, message });
        };
        // Only a document without a revision label needs its fingerprint.
        let mut fingerprint = config.revision.is_none().then(|| {
            let mut fingerprint = Fingerprint::default();
            fingerprint.add(serde_json::to_string(config).unwrap_or_default().as_bytes());
            fingerprint
        });
        let mut contracts = contracts::Loader::new(context.previous.map(|p| &p.contracts));

        let systems = systems::compile(config, &mut report);
        let mut apis = Vec::new();
        let mut operations = Vec::new();
        let mut routes = RouterBuilder::default();
        let mut route_owners: Vec<String> = Vec::new();

        for (api_name, api) in &config.apis {
            let at = format!("apis.{api_name}");
            if !is_name(api_name) {
                report(
                    at.clone(),
                    "API names use lower-case letters, digits and `-`".into(),
                );
            }
            let base_path = api
                .base_path
                .clone()
                .unwrap_or_else(|| format!("/{api_name}"));
            if let Err(message) = check_path_prefix(&base_path, false) {
                report(format!("{at}.base_path"), message);
            }
            if api.versions.is_empty() {
                report(
                    format!("{at}.versions"),
                    "an API needs at least one version".into(),
                );
            }
            let mut versions = Vec::new();
            // Where each version of the document landed in `versions`, if its contract loaded.
            let mut slots = vec![None; api.versions.len()];
            for (index, version) in api.versions.iter().enumerate() {
                let at = format!("{at}.versions[{index}]");
                let name = contract_name(&version.contract, &at);
                let contract = match contracts.load(&config.base_dir, &version.contract, &name) {
                    Ok((contract, digest)) => {
                        if let Some(fingerprint) = fingerprint.as_mut() {
                            fingerprint.add(&digest);
                        }
                        contract
                    }
                    Err(messages) => {
                        for message in messages {
                            report(format!("{at}.contract"), message);
                        }
                        continue;
                    }
                };
                let label = format!("v{}", contract.major);
                if versions
                    .iter()
                    .any(|existing: &ApiVersion| existing.major == contract.major)
                {
                    report(
                        format!("{at}.contract"),
                        format!(
                            "{} is version {}, but {api_name} already has a {label}",
                            contract_name(&version.contract, &at),
                            contract.version
                        ),
                    );
                    continue;
                }
                let version_index = versions.len();
                slots[index] = Some(version_index);
                versions.push(ApiVersion {
                    major: contract.major,
                    contract_version: contract.version.clone(),
                    lifecycle: version.lifecycle,
                    deprecation: DeprecationFields::default(),
                });
                let system = systems.index_of(&version.backend.system);
                if system.is_none() {
                    report(
                        format!("{at}.backend.system"),
                        format!(
                            "unknown system `{}` (known: {})",
                            version.backend.system,
                            systems.names().join(", ")
                        ),
                    );
                }
                if let Err(message) = check_path_prefix(&version.backend.path_prefix, true) {
                    report(format!("{at}.backend.path_prefix"), message);
                }
                let (
                    Some(system),
                    Lifecycle::Published | Lifecycle::Deprecated | Lifecycle::Retired,
                ) = (system, version.lifecycle)
                else {
                    continue;
                };
                let canonical_prefix = format!("{base_path}/{label}");
                let api_label: Arc<str> = api_name.as_str().into();
                let version_label: Arc<str> = label.as_str().into();
                for operation in &contract.operations {
                    let template = format!("{canonical_prefix}{}", operation.path);
                    let method = http::Method::from_bytes(operation.method.as_str().as_bytes())
                        .unwrap_or(http::Method::GET);
                    let index = operations.len() as OperationIndex;
                    let owner = format!("{api_name} {label} {}", operation.operation_id);
                    if let Err(error) = routes.add(&method, &template, index) {
                        let message = match &error {
                            RouteError::Duplicate { holder, .. } => format!(
                                "{error}: {} and {owner} claim the same route",
                                route_owners[*holder as usize]
                            ),
                            _ => error.to_string(),
                        };
                        report(format!("{at}.contract"), message);
                        continue;
                    }
                    route_owners.push(owner);
                    operations.push(Operation {
                        api_index: apis.len(),
                        version_index,
                        api: api_label.clone(),
                        version: version_label.clone(),
                        operation_id: operation.operation_id.as_str().into(),
                        lifecycle: version.lifecycle,
                        system,
                        upstream_prefix: version.backend.path_prefix.clone(),
                        access: Access::from_contract(operation.security.as_deref()),
                        canonical_prefix_len: canonical_prefix.len(),
                    });
                }
            }
            let majors: Vec<u64> = versions.iter().map(|version| version.major).collect();
            let all_loaded = slots.iter().all(Option::is_some);
            for (index, (version, slot)) in api.versions.iter().zip(&slots).enumerate() {
                let Some(announcement) = &version.deprecation else {
                    continue;
                };
                let announced = deprecation::Announced {
                    lifecycle: version.lifecycle,
                    major: slot.map(|slot| versions[slot].major),
                    api_majors: all_loaded.then_some(majors.as_slice()),
                    base_path: &base_path,
                };
                let at = format!("{at}.versions[{index}].deprecation");
                let fields = deprecation::compile(announcement, &announced, &at, &mut report);
                if let Some(slot) = slot {
                    versions[*slot].deprecation = fields;
                }
            }
            let default_major =
                default_major(api.default_version, &versions).unwrap_or_else(|message| {
                    report(format!("{at}.default_version"), message);
                    None
                });
            apis.push(Api {
                name: api_name.clone(),
                limiter_key: 0,
                base_path,
                versions,
                default_major,
            });
        }

        let (router, conflicts) = routes.build();
        for conflict in conflicts {
            report(
                "apis".into(),
                format!("two APIs claim the same route: {conflict}"),
            );
        }

        let fingerprints = policy_fingerprints(config);
        let unchanged = |part: fn(&(u64, u64)) -> u64| {
            context
                .previous
                .filter(|previous| part(&previous.fingerprints) == part(&fingerprints))
        };
        let auth = match unchanged(|f| f.0) {
            Some(previous) => previous.auth.clone(),
            None => {
                let auth =
                    auth::compile(&config.auth, &config.issuers, &config.base_dir, &mut report);
                if let Some(previous) = context.previous {
                    auth.adopt_jwks_keys(&previous.auth);
                }
                Arc::new(auth)
            }
        };
        let throttle = match unchanged(|f| f.1) {
            Some(previous) => previous.throttle.clone(),
            None => {
                let clock = context.clock.clone().unwrap_or_else(ThrottleClock::system);
                Throttle::compile(
                    &config.tiers,
                    config.load_shedding.as_ref(),
                    &clock,
                    &mut report,
                )
            }
        };
        let issuer_names: Vec<&str> = config.issuers.keys().map(String::as_str).collect();
        let tier_names: Vec<&str> = config.tiers.keys().map(String::as_str).collect();
        let api_names: Vec<&str> = config.apis.keys().map(String::as_str).collect();
        let names = Names {
            issuers: &issuer_names,
            tiers: &tier_names,
            apis: &api_names,
        };
        let previous_keys = context.previous.map(|previous| &previous.limiter_keys);
        let consumer_keys = StableKeys::assign(
            previous_keys.map(|keys| &keys.0),
            config.consumers.keys().map(String::as_str),
        );
        let api_keys =
            StableKeys::assign(previous_keys.map(|keys| &keys.1), api_names.iter().copied());
        for api in &mut apis {
            api.limiter_key = api_keys.get(&api.name);
        }
        let digest = consumers_digest(config);
        let consumers = match context
            .previous
            .filter(|previous| previous.consumers_digest == digest)
        {
            Some(previous) => previous.consumers.clone(),
            None => Arc::new(Consumers::compile(
                &config.consumers,
                &names,
                &consumer_keys,
                &mut report,
            )),
        };
        if !problems.is_empty() {
            return Err(CompileError {
                origin: config.origin.clone(),
                problems,
            });
        }
        Ok(Snapshot {
            revision: config
                .revision
                .clone()
                .unwrap_or_else(|| fingerprint.unwrap_or_default().revision()),
            listeners: config.listeners.clone(),
            http: config.http,
            systems: systems.into_vec(),
            apis,
            operations,
            router,
            auth,
            throttle,
            consumers,
            limiter_keys: (consumer_keys, api_keys),
            fingerprints,
            contracts: contracts.finish(),
            consumers_digest: digest,
        })
    }

    /// The operation at `index`.
    pub fn operation(&self, index: OperationIndex) -> &Operation {
        &self.operations[index as usize]
    }

    /// The API version `operation` belongs to.
    pub fn version_of(&self, operation: &Operation) -> &ApiVersion {
        &self.apis[operation.api_index].versions[operation.version_index]
    }
}

/// The major version an unversioned request without `Api-Version` gets.
fn default_major(policy: DefaultVersion, versions: &[ApiVersion]) -> Result<Option<u64>, String> {
    let highest = |lifecycle: Lifecycle| {
        versions
            .iter()
            .filter(|v| v.lifecycle == lifecycle)
            .map(|v| v.major)
            .max()
    };
    match policy {
        DefaultVersion::Required => Ok(None),
        DefaultVersion::Latest => {
            Ok(highest(Lifecycle::Published).or(highest(Lifecycle::Deprecated)))
        }
        DefaultVersion::Major(major) => match versions.iter().find(|v| v.major == major) {
            Some(v) if matches!(v.lifecycle, Lifecycle::Published | Lifecycle::Deprecated) => {
                Ok(Some(major))
            }
            Some(v) => Err(format!(
                "v{major} is {}, so it cannot be the default",
                v.lifecycle.as_str()
            )),
            None => Err(format!("the API has no v{major}")),
        },
    }
}

/// How messages name a version's contract: its file as written, or an inline contract's origin
/// (`at`, the version's place in the document, when it has none).
fn contract_name<'a>(source: &'a ContractSource, at: &'a str) -> Cow<'a, str> {
    match source {
        ContractSource::File(file) => file.to_string_lossy(),
        ContractSource::Inline { origin, .. } if origin.is_empty() => Cow::Borrowed(at),
        ContractSource::Inline { origin, .. } => Cow::Borrowed(origin),
    }
}

/// SHA-256 over the consumers and the issuer, tier and API names they resolve against: equal
/// digests compile to equal consumers (their limiter numbers are stable too), so a reload that
/// changes neither — a publish, a tier's rate — keeps the compiled consumers of the previous
/// snapshot instead of compiling (and holding twice) a hundred thousand of them.
fn consumers_digest(config: &GatewayConfig) -> [u8; 32] {
    use std::hash::Hash;
    let mut digest = DigestWriter(aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256));
    for (id, consumer) in &config.consumers {
        id.hash(&mut digest);
        consumer.hash(&mut digest);
    }
    let names: [Vec<&String>; 3] = [
        config.issuers.keys().collect(),
        config.tiers.keys().collect(),
        config.apis.keys().collect(),
    ];
    for list in names {
        list.hash(&mut digest);
    }
    let mut out = [0u8; 32];
    out.copy_from_slice(digest.0.finish().as_ref());
    out
}

/// Feeds what [`std::hash::Hash`] writes into a SHA-256 context.
struct DigestWriter(aws_lc_rs::digest::Context);

impl std::hash::Hasher for DigestWriter {
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    fn finish(&self) -> u64 {
        0
    }
}

/// `true` for names made of lower-case ASCII letters, digits and `-`, starting with a letter.
pub(crate) fn is_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Checks a path prefix: `/seg/seg`, no trailing slash, unreserved characters only.
fn check_path_prefix(prefix: &str, may_be_empty: bool) -> Result<(), String> {
    if prefix.is_empty() {
        return if may_be_empty {
            Ok(())
        } else {
            Err("must not be empty".into())
        };
    }
    if !prefix.starts_with('/') || prefix.ends_with('/') {
        return Err(format!(
            "`{prefix}` must start with `/` and not end with `/`"
        ));
    }
    let valid_segment = |segment: &str| {
        !segment.is_empty()
            && segment != "."
            && segment != ".."
            && segment
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
    };
    if prefix[1..].split('/').all(valid_segment) {
        Ok(())
    } else {
        Err(format!(
            "`{prefix}` may only hold non-empty segments of letters, digits and `-._~`"
        ))
    }
}

/// Fingerprints of what the authenticator and the throttle are built from: when a reload leaves
/// them unchanged, the new snapshot keeps their live state (token cache, JWKS keys, limiters and
/// quotas). The throttle's state is keyed by the consumers' and APIs' [`StableKeys`], so adding or
/// removing a consumer or an API keeps everyone else's limits.
fn policy_fingerprints(config: &GatewayConfig) -> (u64, u64) {
    let mut auth = Fingerprint::default();
    auth.add(
        serde_json::to_string(&(&config.auth, &config.issuers))
            .unwrap_or_default()
            .as_bytes(),
    );
    for issuer in config.issuers.values() {
        for key in &issuer.keys {
            if let Some(file) = &key.pem_file {
                auth.add(&std::fs::read(config.base_dir.join(file)).unwrap_or_default());
            }
        }
    }
    let mut throttle = Fingerprint::default();
    let shape = (&config.tiers, &config.load_shedding);
    throttle.add(serde_json::to_string(&shape).unwrap_or_default().as_bytes());
    (auth.0, throttle.0)
}

/// FNV-1a over the document and its contracts: a stable revision label when none is given.
#[derive(Debug)]
struct Fingerprint(u64);

impl Default for Fingerprint {
    fn default() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }
}

impl Fingerprint {
    fn add(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 ^= u64::from(*byte);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }

    fn revision(&self) -> String {
        format!("fnv-{:016x}", self.0)
    }
}

#[cfg(test)]
mod tests;
