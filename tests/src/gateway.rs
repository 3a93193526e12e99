//! Running the `canongate` binary: one-shot commands with a deadline, and long-running gateway
//! (or demo) processes on free ports whose logs are captured and which are killed on drop.

use std::ffi::OsStr;
use std::io::Read;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::{free_address, wait_for};

/// How long a one-shot command may run before the test fails.
const COMMAND_DEADLINE: Duration = Duration::from_secs(20);

/// Path of the `canongate` binary built alongside the tests (or `CANONGATE_BIN`).
pub fn binary() -> PathBuf {
    if let Some(path) = std::env::var_os("CANONGATE_BIN") {
        return PathBuf::from(path);
    }
    let exe = std::env::current_exe().expect("test executable path");
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target profile directory");
    let binary = dir.join("canongate");
    assert!(
        binary.exists(),
        "{} is missing: run `cargo build -p canongate-gateway` first",
        binary.display()
    );
    binary
}

/// What a finished command printed.
#[derive(Debug)]
pub struct Output {
    /// Exit status.
    pub status: ExitStatus,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

/// Runs `canongate ARGS` to completion (killing it and failing the test past a deadline).
pub fn run_cli<S: AsRef<OsStr>>(args: impl IntoIterator<Item = S>) -> Output {
    let mut child = Command::new(binary())
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run canongate");
    let stdout = capture(child.stdout.take().expect("stdout"));
    let stderr = capture(child.stderr.take().expect("stderr"));
    let deadline = Instant::now() + COMMAND_DEADLINE;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for canongate") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "canongate ran longer than {COMMAND_DEADLINE:?}; stderr:\n{}",
                stderr.lock().unwrap()
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    // The readers finish once the pipes close, shortly after the exit.
    let text = |sink: Arc<Mutex<String>>| {
        wait_for("the output pipes to close", Duration::from_secs(5), || {
            (Arc::strong_count(&sink) == 1).then(|| sink.lock().unwrap().clone())
        })
    };
    Output {
        status,
        stdout: text(stdout),
        stderr: text(stderr),
    }
}

/// Copies everything `source` yields into a shared string, on a thread that ends (dropping its
/// handle on the string) when the source closes.
pub fn capture(mut source: impl Read + Send + 'static) -> Arc<Mutex<String>> {
    let text = Arc::new(Mutex::new(String::new()));
    let sink = text.clone();
    std::thread::spawn(move || {
        let mut buffer = [0u8; 8192];
        while let Ok(read) = source.read(&mut buffer) {
            if read == 0 {
                break;
            }
            sink.lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(&buffer[..read]));
        }
    });
    text
}

/// What the manual clock of a gateway reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockReading {
    /// How far the clock was moved since the gateway started.
    pub elapsed: Duration,
    /// The Unix time (seconds) it stands at.
    pub unix: u64,
}

/// A running gateway process on free ports; killed on drop.
pub struct Gateway {
    child: Child,
    /// Proxy listener.
    pub proxy: SocketAddr,
    /// Ops listener.
    pub ops: SocketAddr,
    /// The document the gateway runs (rewrite it and call [`Gateway::send_hangup`]).
    pub config: PathBuf,
    logs: Arc<Mutex<String>>,
    _dir: tempfile::TempDir,
}

impl Gateway {
    /// Spawns `command` (a gateway on `proxy`/`ops` running `config` from `dir`) with info-level
    /// logs captured, and waits until it is ready.
    pub fn launch(
        mut command: Command,
        proxy: SocketAddr,
        ops: SocketAddr,
        config: PathBuf,
        dir: tempfile::TempDir,
    ) -> Self {
        let mut child = command
            .env("CANONGATE_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn canongate");
        let logs = capture(child.stderr.take().expect("stderr"));
        let mut gateway = Gateway {
            child,
            proxy,
            ops,
            config,
            logs,
            _dir: dir,
        };
        gateway.wait_ready();
        gateway
    }

    /// `canongate demo` on free ports with a fresh data directory, once ready; its control
    /// plane listens on `control_plane`.
    pub fn demo(control_plane: SocketAddr) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let (proxy, ops) = (free_address(), free_address());
        let mut command = Command::new(binary());
        command
            .arg("demo")
            .args([
                "--listen",
                &proxy.to_string(),
                "--ops-listen",
                &ops.to_string(),
                "--control-plane-listen",
                &control_plane.to_string(),
                "--threads",
                "2",
            ])
            .arg("--data")
            .arg(dir.path());
        let config = dir.path().join("gateway.yaml");
        Self::launch(command, proxy, ops, config, dir)
    }

    fn wait_ready(&mut self) {
        let url = format!("http://{}/readyz", self.ops);
        let client = client();
        wait_for("the gateway to be ready", Duration::from_secs(20), || {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "gateway exited with {status} before it was ready:\n{}",
                    self.logs()
                );
            }
            client
                .get(&url)
                .send()
                .ok()
                .filter(|r| r.status() == 200)
                .map(|_| ())
        });
    }

    /// `http://{proxy}{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.proxy)
    }

    /// The `/readyz` document.
    pub fn readiness(&self) -> serde_json::Value {
        client()
            .get(format!("http://{}/readyz", self.ops))
            .send()
            .expect("readyz")
            .json()
            .expect("json")
    }

    /// The active revision from `/readyz`.
    pub fn revision(&self) -> String {
        self.readiness()["revision"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Waits until `/readyz` reports `revision` as active.
    pub fn wait_for_revision(&self, revision: &str) {
        wait_for(
            &format!("revision {revision}"),
            Duration::from_secs(10),
            || (self.revision() == revision).then_some(()),
        );
    }

    /// The `/metrics` text.
    pub fn metrics(&self) -> String {
        client()
            .get(format!("http://{}/metrics", self.ops))
            .send()
            .expect("metrics")
            .text()
            .expect("text")
    }

    /// Waits until the sample of `name` with (at least) `labels` reaches `value`.
    pub fn wait_for_metric(&self, name: &str, labels: &[(&str, &str)], value: f64) {
        wait_for(
            &format!("{name}{labels:?} = {value}"),
            Duration::from_secs(10),
            || (sample(&self.metrics(), name, labels) == Some(value)).then_some(()),
        );
    }

    /// Replaces the document by `body`, keeping its listeners block (apply it with
    /// [`Gateway::send_hangup`], or let `--watch` find it). The new file is renamed into place,
    /// so a watching gateway never reads it half-written.
    pub fn rewrite(&self, body: &str) {
        let current = std::fs::read_to_string(&self.config).expect("read document");
        let listeners: String = current
            .lines()
            .take(3)
            .map(|line| format!("{line}\n"))
            .collect();
        assert!(listeners.starts_with("listeners:"), "{listeners}");
        let staged = self.config.with_extension("yaml.new");
        std::fs::write(&staged, format!("{listeners}{body}")).expect("write document");
        std::fs::rename(&staged, &self.config).expect("replace document");
    }

    /// Replaces the document by `body` labelled `revision`, sends SIGHUP and waits until the
    /// revision is active.
    pub fn reload(&self, revision: &str, body: &str) {
        self.rewrite(&format!("revision: {revision}\n{body}"));
        self.send_hangup();
        self.wait_for_revision(revision);
    }

    /// Sends SIGHUP.
    pub fn send_hangup(&self) {
        let status = Command::new("kill")
            .args(["-HUP", &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success(), "kill -HUP failed");
    }

    /// Everything the gateway logged so far.
    pub fn logs(&self) -> String {
        self.logs.lock().unwrap().clone()
    }

    /// Waits until the logs contain `needle`; returns the first line holding it.
    pub fn wait_for_log(&self, needle: &str) -> String {
        wait_for(
            &format!("a log line containing {needle:?}"),
            Duration::from_secs(10),
            || {
                self.logs()
                    .lines()
                    .find(|line| line.contains(needle))
                    .map(str::to_owned)
            },
        )
    }

    /// The limiters' clock of a gateway started with `--manual-clock`.
    pub fn clock(&self) -> ClockReading {
        self.clock_request(client().get(self.clock_url()))
    }

    /// Moves the limiters' clock of a gateway started with `--manual-clock` forward by `by`
    /// (whole milliseconds); returns the new reading.
    pub fn advance_clock(&self, by: Duration) -> ClockReading {
        let url = format!("{}?advance={}ms", self.clock_url(), by.as_millis());
        self.clock_request(client().post(url))
    }

    fn clock_url(&self) -> String {
        format!("http://{}/debug/clock", self.ops)
    }

    fn clock_request(&self, request: reqwest::blocking::RequestBuilder) -> ClockReading {
        let response = request.send().expect("the clock endpoint");
        assert_eq!(response.status(), 200, "is the gateway on --manual-clock?");
        let reading: serde_json::Value = response.json().expect("clock json");
        let field = |name: &str| {
            reading[name]
                .as_u64()
                .unwrap_or_else(|| panic!("`{name}` in {reading}"))
        };
        ClockReading {
            elapsed: Duration::from_millis(field("elapsed_ms")),
            unix: field("unix"),
        }
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
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

/// The value of the Prometheus sample `name` whose labels include every pair of `labels`.
pub fn sample(metrics: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    metrics.lines().find_map(|line| {
        let rest = line.strip_prefix(name)?;
        let (label_text, value) = match rest.strip_prefix('{') {
            Some(rest) => rest.split_once("} ")?,
            None => ("", rest.strip_prefix(' ')?),
        };
        let matches = labels.iter().all(|(key, wanted)| {
            label_text
                .split(',')
                .any(|pair| pair == format!("{key}=\"{wanted}\""))
        });
        matches.then(|| value.trim().parse().ok()).flatten()
    })
}

/// A blocking HTTP client that neither follows redirects nor uses a proxy, and authenticates as
/// the test consumer (`X-Api-Key`).
pub fn client() -> reqwest::blocking::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        "x-api-key",
        reqwest::header::HeaderValue::from_static(crate::document::TEST_API_KEY),
    );
    builder()
        .default_headers(headers)
        .build()
        .expect("http client")
}

/// Like [`client`], but sending no credential unless the request adds one.
pub fn anonymous_client() -> reqwest::blocking::Client {
    builder().build().expect("http client")
}

fn builder() -> reqwest::blocking::ClientBuilder {
    reqwest::blocking::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(15))
}
