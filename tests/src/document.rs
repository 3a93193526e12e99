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
    let names: Vec<&str> = apis
        .iter()
        .filter_map(|entry| entry.trim_start().split(':').next())
        .collect();
    format!(
        "systems:\n{}apis:\n{}{}",
        systems.concat(),
        apis.concat(),
        test_consumer(&names)
    )
}

/// The API key of the test consumer; [`crate::gateway::client`] sends it on every request.
pub const TEST_API_KEY: &str = "test-key-0123456789abcdef";

/// `tiers:` and `consumers:` sections with one unlimited tier and the consumer `test-client`:
/// API key [`TEST_API_KEY`], read and write scopes on every canonical API, subscribed to `apis`.
pub fn test_consumer(apis: &[&str]) -> String {
    let digest: String = canongate_policy::auth::api_key_digest(TEST_API_KEY.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    let scopes: Vec<String> = [
        "customer",
        "product",
        "price",
        "inventory",
        "order",
        "shipment",
        "return",
    ]
    .iter()
    .flat_map(|api| [format!("{api}:read"), format!("{api}:write")])
    .collect();
    format!(
        "tiers:\n  unlimited: {{}}\nconsumers:\n  test-client:\n    name: Test client\n    team: qa\n    system: shop\n    tier: unlimited\n    credentials: {{api_key_sha256: [\"{digest}\"]}}\n    scopes: [{}]\n    subscriptions: [{}]\n",
        scopes.join(", "),
        apis.join(", ")
    )
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
