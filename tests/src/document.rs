//! Gateway documents for tests: a temporary directory with free listener addresses, YAML
//! fragments for systems and APIs, and starting the gateway on the result.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use crate::free_address;
use crate::gateway::Gateway;

/// A gateway document being prepared for a test, in its own temporary directory.
pub struct Document {
    dir: tempfile::TempDir,
    /// Proxy listener address written into the document.
    pub proxy: SocketAddr,
    /// Ops listener address written into the document.
    pub ops: SocketAddr,
}

impl Document {
    /// A fresh directory and free listener addresses.
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("temp dir"),
            proxy: free_address(),
            ops: free_address(),
        }
    }

    /// The directory that relative paths in the document resolve against.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Path of the document file, `gateway.yaml` in [`Document::dir`].
    pub fn path(&self) -> PathBuf {
        self.dir.path().join("gateway.yaml")
    }

    /// The `listeners:` block for this document's addresses.
    pub fn listeners(&self) -> String {
        format!("listeners:\n  proxy: {}\n  ops: {}\n", self.proxy, self.ops)
    }

    /// Writes `body` as the document, after the listeners block; returns the file's path.
    pub fn write(&self, body: &str) -> PathBuf {
        let path = self.path();
        std::fs::write(&path, format!("{}{body}", self.listeners())).expect("write document");
        path
    }

    /// Starts `canongate gateway` on the document last written, waiting until it is ready.
    pub fn start(self, extra_args: &[&str]) -> Gateway {
        let config = self.path();
        let mut command = std::process::Command::new(crate::gateway::binary());
        command
            .arg("gateway")
            .arg("--config")
            .arg(&config)
            .args(["--threads", "2"])
            .args(extra_args);
        Gateway::launch(command, self.proxy, self.ops, config, self.dir)
    }
}

impl Default for Document {
    fn default() -> Self {
        Self::new()
    }
}

/// One `systems:` entry named `name` with its base URLs and further settings, each a YAML line
/// at the system's level such as `"read_timeout: 300ms"`.
pub fn system(name: &str, base_urls: &[&str], settings: &[&str]) -> String {
    let urls = base_urls
        .iter()
        .map(|url| format!("\"{url}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let mut out = format!("  {name}:\n    base_urls: [{urls}]\n");
    for setting in settings {
        let _ = writeln!(out, "    {setting}");
    }
    out
}

/// One `apis:` entry: API `name` with a single version of `contract` in `lifecycle`, served by
/// `system` under `path_prefix`.
pub fn api(
    name: &str,
    contract: &Path,
    lifecycle: &str,
    system: &str,
    path_prefix: &str,
) -> String {
    format!(
        "  {name}:\n    versions:\n      - contract: \"{}\"\n        lifecycle: {lifecycle}\n        backend: {{system: {system}, path_prefix: \"{path_prefix}\"}}\n",
        contract.display()
    )
}

/// A document body from `systems:` and `apis:` entries, plus the test consumer
/// ([`test_consumer`]) subscribed to every API in `apis`.
pub fn body(systems: &[String], apis: &[String]) -> String {
    body_with(systems, apis, &Identities::default())
}

/// [`body`] with `identities` added: issuers, tiers and consumers beside the test consumer's,
/// and further top-level sections.
pub fn body_with(systems: &[String], apis: &[String], identities: &Identities) -> String {
    let names: Vec<&str> = apis
        .iter()
        .filter_map(|entry| entry.trim_start().split(':').next())
        .collect();
    let issuers = if identities.issuers.is_empty() {
        String::new()
    } else {
        format!("issuers:\n{}", identities.issuers.concat())
    };
    let consumers: String = std::iter::once(&test_consumer(&names))
        .chain(&identities.consumers)
        .map(Consumer::yaml)
        .collect();
    format!(
        "systems:\n{}apis:\n{}{issuers}tiers:\n  unlimited: {{}}\n{}consumers:\n{consumers}{}",
        systems.concat(),
        apis.concat(),
        identities.tiers.concat(),
        identities.sections,
    )
}

/// What a test adds to a document's identity sections (see [`body_with`]).
#[derive(Debug, Clone, Default)]
pub struct Identities {
    /// `issuers:` entries, each YAML at the entry level (`  name:\n    issuer: …`).
    pub issuers: Vec<String>,
    /// `tiers:` entries beside `unlimited` (see [`tier`]).
    pub tiers: Vec<String>,
    /// Consumers beside the test consumer.
    pub consumers: Vec<Consumer>,
    /// Further top-level sections, written as is (e.g. `load_shedding:`).
    pub sections: String,
}

/// One `tiers:` entry: tier `name` with `settings` written as a YAML flow mapping's members,
/// e.g. `"rate: {requests: 10, per: 1s}, burst: 10"`.
pub fn tier(name: &str, settings: &str) -> String {
    format!("  {name}: {{{settings}}}\n")
}

/// One `issuers:` entry: issuer `name` with `iss` value `issuer` and further settings, each a
/// YAML line at the issuer's level such as `"audiences: [canongate]"`.
pub fn issuer(name: &str, issuer: &str, settings: &[&str]) -> String {
    let mut out = format!("  {name}:\n    issuer: \"{issuer}\"\n");
    for setting in settings {
        let _ = writeln!(out, "    {setting}");
    }
    out
}

/// A `consumers:` entry, built up field by field.
#[derive(Debug, Clone)]
pub struct Consumer {
    id: String,
    system: String,
    tier: String,
    jwt: Vec<(String, String)>,
    api_keys: Vec<String>,
    scopes: Vec<String>,
    subscriptions: Vec<String>,
}

impl Consumer {
    /// Consumer `id` acting for system `shop` at `tier`, without credentials, scopes or
    /// subscriptions.
    pub fn new(id: &str, tier: &str) -> Self {
        Self {
            id: id.to_owned(),
            system: "shop".to_owned(),
            tier: tier.to_owned(),
            jwt: Vec::new(),
            api_keys: Vec::new(),
            scopes: Vec::new(),
            subscriptions: Vec::new(),
        }
    }

    /// Acts for `system`.
    pub fn system(mut self, system: &str) -> Self {
        self.system = system.to_owned();
        self
    }

    /// Is known to `issuer` (its name in `issuers:`) as `subject`.
    pub fn jwt(mut self, issuer: &str, subject: &str) -> Self {
        self.jwt.push((issuer.to_owned(), subject.to_owned()));
        self
    }

    /// Holds the API key `key` (written as its SHA-256 digest).
    pub fn api_key(self, key: &str) -> Self {
        self.api_key_sha256(&sha256_hex(key))
    }

    /// Holds the API key whose digest is written as `digest` (well-formed or not).
    pub fn api_key_sha256(mut self, digest: &str) -> Self {
        self.api_keys.push(digest.to_owned());
        self
    }

    /// Has `scopes` on API-key calls.
    pub fn scopes(mut self, scopes: &[&str]) -> Self {
        self.scopes.extend(scopes.iter().map(|s| (*s).to_owned()));
        self
    }

    /// Is subscribed to `apis`.
    pub fn subscribed(mut self, apis: &[&str]) -> Self {
        self.subscriptions
            .extend(apis.iter().map(|api| (*api).to_owned()));
        self
    }

    /// The entry as YAML under `consumers:`.
    pub fn yaml(&self) -> String {
        let jwt: Vec<String> = self
            .jwt
            .iter()
            .map(|(issuer, subject)| format!("{{issuer: {issuer}, subject: \"{subject}\"}}"))
            .collect();
        let keys: Vec<String> = self
            .api_keys
            .iter()
            .map(|key| format!("\"{key}\""))
            .collect();
        format!(
            "  {id}:\n    name: Consumer {id}\n    team: qa\n    system: {}\n    tier: {}\n    credentials: {{jwt: [{}], api_key_sha256: [{}]}}\n    scopes: [{}]\n    subscriptions: [{}]\n",
            self.system,
            self.tier,
            jwt.join(", "),
            keys.join(", "),
            self.scopes.join(", "),
            self.subscriptions.join(", "),
            id = self.id,
        )
    }
}

/// Lower-case hex SHA-256 of an API key, as `api_key_sha256` stores it.
pub fn sha256_hex(key: &str) -> String {
    canongate_policy::auth::api_key_digest(key.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// The API key of the test consumer; [`crate::gateway::client`] sends it on every request.
pub const TEST_API_KEY: &str = "test-key-0123456789abcdef";

/// The consumer `test-client` at tier `unlimited` (which [`body_with`] always defines): API key
/// [`TEST_API_KEY`], read and write scopes on every canonical API, subscribed to `apis`.
pub fn test_consumer(apis: &[&str]) -> Consumer {
    let scopes: Vec<String> = canongate_contracts::canonical::ALL
        .iter()
        .flat_map(|(api, _)| [format!("{api}:read"), format!("{api}:write")])
        .collect();
    let scopes: Vec<&str> = scopes.iter().map(String::as_str).collect();
    Consumer::new("test-client", "unlimited")
        .api_key(TEST_API_KEY)
        .scopes(&scopes)
        .subscribed(apis)
}

/// The body most tests use: the canonical inventory API, published, on system `erp` at
/// `base_urls` (with `settings`), under `/erp/inventory`.
pub fn inventory(base_urls: &[&str], settings: &[&str]) -> String {
    body(
        &[system("erp", base_urls, settings)],
        &[api(
            "inventory",
            &crate::canonical_contract("inventory"),
            "published",
            "erp",
            "/erp/inventory",
        )],
    )
}
