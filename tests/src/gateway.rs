//! Spawning the `canongate` binary with a gateway document, and talking to it.

use std::io::Read;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::{free_address, wait_for};

/// Path of the `canongate` binary built alongside the tests (or `CANONGATE_BIN`).
pub fn binary() -> PathBuf {
    if let Some(path) = std::env::var_os("CANONGATE_BIN") {
        return PathBuf::from(path);
    }
    let exe = std::env::current_exe().expect("test executable path");
    let dir = exe.parent().and_then(Path::parent).expect("target profile directory");
    let binary = dir.join("canongate");
    assert!(binary.exists(), "{} is missing: build the workspace first", binary.display());
    binary
}

/// Runs `canongate ARGS` to completion, returning its status, stdout and stderr.
pub fn run_cli(args: &[&str]) -> (ExitStatus, String, String) {
    let output = Command::new(binary()).args(args).output().expect("run canongate");
    (
        output.status,
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// A running gateway process on free ports; killed on drop.
pub struct Gateway {
    child: Child,
    /// Proxy listener.
    pub proxy: SocketAddr,
    /// Ops listener.
    pub ops: SocketAddr,
    /// The document the gateway runs (rewrite it and call [`Gateway::reload`]).
    pub config: PathBuf,
    logs: Arc<Mutex<String>>,
    _dir: tempfile::TempDir,
}

/// A gateway document being prepared for a test.
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
        Self { dir: tempfile::tempdir().expect("temp dir"), proxy: free_address(), ops: free_address() }
    }

    /// The directory that relative paths in the document resolve against.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The `listeners:` block for this document's addresses.
    pub fn listeners(&self) -> String {
        format!("listeners:\n  proxy: {}\n  ops: {}\n", self.proxy, self.ops)
    }

    /// Writes `text` as the document (the listeners block is prepended).
    pub fn write(&self, text: &str) -> PathBuf {
        let path = self.dir.path().join("gateway.yaml");
        std::fs::write(&path, format!("{}{text}", self.listeners())).expect("write document");
        path
    }

    /// Starts the gateway on the document last written, waiting until it is ready.
    pub fn start(self, extra_args: &[&str]) -> Gateway {
        let config = self.dir.path().join("gateway.yaml");
        let mut child = Command::new(binary())
            .arg("gateway")
            .arg("--config")
            .arg(&config)
            .args(["--threads", "2"])
            .args(extra_args)
            .env("CANONGATE_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn canongate gateway");
        let logs = Arc::new(Mutex::new(String::new()));
        let mut stderr = child.stderr.take().expect("stderr");
        let sink = logs.clone();
        std::thread::spawn(move || {
            let mut buffer = [0u8; 8192];
            while let Ok(read) = stderr.read(&mut buffer) {
                if read == 0 {
                    break;
                }
                sink.lock().unwrap().push_str(&String::from_utf8_lossy(&buffer[..read]));
            }
        });
        let mut gateway = Gateway { child, proxy: self.proxy, ops: self.ops, config, logs, _dir: self.dir };
        gateway.wait_ready();
        gateway
    }
}

impl Default for Document {
    fn default() -> Self {
        Self::new()
    }
}

impl Gateway {
    fn wait_ready(&mut self) {
        let url = format!("http://{}/readyz", self.ops);
        let client = client();
        wait_for("the gateway to be ready", Duration::from_secs(20), || {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("gateway exited with {status} before it was ready:\n{}", self.logs());
            }
            client.get(&url).send().ok().filter(|r| r.status() == 200).map(|_| ())
        });
    }

    /// `http://{proxy}{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.proxy)
    }

    /// The `/readyz` document.
    pub fn readiness(&self) -> serde_json::Value {
        client().get(format!("http://{}/readyz", self.ops)).send().expect("readyz").json().expect("json")
    }

    /// The active revision from `/readyz`.
    pub fn revision(&self) -> String {
        self.readiness()["revision"].as_str().unwrap_or_default().to_owned()
    }

    /// The `/metrics` text.
    pub fn metrics(&self) -> String {
        client().get(format!("http://{}/metrics", self.ops)).send().expect("metrics").text().expect("text")
    }

    /// Sends SIGHUP.
    pub fn send_hangup(&self) {
        let status = Command::new("kill").args(["-HUP", &self.child.id().to_string()]).status().expect("kill");
        assert!(status.success());
    }

    /// Everything the gateway logged so far.
    pub fn logs(&self) -> String {
        self.logs.lock().unwrap().clone()
    }

    /// Waits until the logs contain `needle`.
    pub fn wait_for_log(&self, needle: &str) {
        wait_for(&format!("log line containing {needle:?}"), Duration::from_secs(10), || {
            self.logs().contains(needle).then_some(())
        });
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A blocking HTTP client that neither follows redirects nor uses a proxy.
pub fn client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(15))
        .build()
        .expect("http client")
}
