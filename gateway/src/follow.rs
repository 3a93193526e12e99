//! Following a control plane: the gateway document comes from its snapshot endpoint instead of a
//! file, and the last one applied is kept on disk to start from while the control plane is down.
//!
//! # Protocol
//!
//! The follower long-polls `GET {URL}/api/v1/snapshot?gateway={id}&wait=30s` with
//! `Authorization: Bearer {token}` and `If-None-Match: "{revision}"`, the revision it serves (the
//! request doubles as its heartbeat):
//!
//! * `200`: the body is the gateway document as JSON (self-contained), its `ETag` the quoted
//!   revision. The body is written to `{state-dir}/snapshot.candidate.json` and applied like a
//!   reloaded file ([`Reloader::apply`]); once it serves, the candidate is synced and renamed
//!   over `{state-dir}/last-known-good.json`. The next poll starts at once.
//! * `304`: nothing newer within `wait`; the next poll starts at once.
//! * anything else (connection refused, timeout, `5xx`, `401`/`403`): a warning with the status
//!   and the problem's `detail`, then a pause of 1 s doubling to 30 s (with jitter) while the
//!   current revision keeps serving.
//!
//! A refused document is logged with every problem and recorded in `/readyz` `last_reload`; the
//! previous revision keeps serving. Since the follower still sends its running revision, the
//! control plane answers the refused one again at once: the follower remembers it and backs off
//! instead of applying it again, until a newer revision arrives. A `200` carrying the running
//! revision (a control plane ignoring `If-None-Match`) is backed off the same way.
//!
//! # Start
//!
//! [`Follower::start`] fetches once (no `wait`, no `If-None-Match`) within 3 s and starts from
//! that document. When the control plane is unreachable, or its document is refused, it starts
//! from `last-known-good.json` with a warning; when neither works it fails, naming both causes.
//!
//! # Running
//!
//! [`Follower::spawn`] runs the loop on its own thread with a current-thread Tokio runtime; only
//! the waiting is async, and the proxy never waits for it. SIGHUP (through the reload thread's
//! [`Trigger::Wake`](crate::reload::Trigger::Wake)) cuts the current poll or pause short, forgets
//! a refused revision and fetches at once: a refused revision is tried again, for instance after
//! fixing a local file it names.
//!
//! # Gateway id
//!
//! `--gateway-id`, or else the id kept in `{state-dir}/gateway-id`, created at the first start as
//! `{hostname}-{8 random hex digits}`, so a gateway keeps its id across restarts.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use http::StatusCode;
use serde_json::{Value, json};
use tokio::sync::Notify;

use canongate_policy::throttle::ThrottleClock;

use crate::reload::{ReloadStatus, Reloader};
use crate::runtime::{self, Runtime};

/// How long the first fetch at start may take before the last-known-good document is used.
const START_DEADLINE: Duration = Duration::from_secs(3);
/// The `wait` of a long poll.
const LONG_POLL_WAIT: Duration = Duration::from_secs(30);
/// How long past `wait` a long poll may take before it counts as failed.
const LONG_POLL_MARGIN: Duration = Duration::from_secs(15);
/// Largest snapshot accepted (contracts are inline).
const MAX_SNAPSHOT_BYTES: usize = 64 * 1024 * 1024;
/// Most of an error response's body read for its problem detail.
const MAX_PROBLEM_BYTES: usize = 16 * 1024;

const CANDIDATE_FILE: &str = "snapshot.candidate.json";
const LAST_KNOWN_GOOD_FILE: &str = "last-known-good.json";
const GATEWAY_ID_FILE: &str = "gateway-id";

/// Where and how to follow a control plane.
pub struct Settings {
    /// Base URL of the control plane, e.g. `https://canongate-cp.internal:9080`.
    pub url: String,
    /// Bearer token with the `gateway` role.
    pub token: String,
    /// Directory of the candidate and last-known-good documents and of the persisted gateway id.
    pub state_dir: PathBuf,
    /// This gateway's id; `None`: the one persisted in the state directory.
    pub gateway_id: Option<String>,
}

/// The follower's contact with the control plane, for `/readyz`.
pub struct Contact {
    url: String,
    gateway_id: String,
    state: Mutex<ContactState>,
}

#[derive(Default)]
struct ContactState {
    last_contact_unix: Option<u64>,
    last_error: Option<String>,
}

impl Contact {
    fn update(&self, error: Option<String>) {
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        if error.is_none() {
            state.last_contact_unix = Some(crate::unix_now());
        }
        state.last_error = error;
    }

    /// `{"control_plane", "gateway_id", "last_contact_unix", "last_error"}`: the time of the last
    /// answer (`200` or `304`), and the failure since then, if any.
    pub fn to_json(&self) -> Value {
        let state = self
            .state
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        json!({
            "control_plane": self.url,
            "gateway_id": self.gateway_id,
            "last_contact_unix": state.last_contact_unix,
            "last_error": state.last_error,
        })
    }
}

/// What the snapshot endpoint answered.
enum Answer {
    /// `200`: a document and its revision.
    Document { revision: String, body: Vec<u8> },
    /// `304`: nothing newer.
    Unchanged,
}

/// Follows one control plane; see the module documentation.
pub struct Follower {
    snapshot_url: reqwest::Url,
    token: String,
    gateway_id: String,
    candidate: PathBuf,
    last_known_good: PathBuf,
    client: reqwest::Client,
    tokio: tokio::runtime::Runtime,
    contact: Arc<Contact>,
    /// The revision serving, sent in `If-None-Match`.
    running: Option<String>,
    /// The last revision refused, not applied again until SIGHUP.
    refused: Option<String>,
    backoff: Backoff,
}

impl Follower {
    /// Prepares the state directory and the gateway id, then loads the document to start from:
    /// the control plane's, else the last-known-good one. A refusal of the control plane's
    /// document is recorded in `status`.
    ///
    /// Blocks up to a few seconds (plus the JWKS start-up of the loaded document).
    pub fn start(
        settings: Settings,
        clock: &ThrottleClock,
        status: &ReloadStatus,
    ) -> anyhow::Result<(Self, Runtime)> {
        let base = reqwest::Url::parse(&settings.url)
            .ok()
            .filter(|url| matches!(url.scheme(), "http" | "https") && url.has_host())
            .with_context(|| {
                format!(
                    "--control-plane {}: expected an http:// or https:// URL",
                    settings.url
                )
            })?;
        let snapshot_url = reqwest::Url::parse(&format!(
            "{}/api/v1/snapshot",
            base.as_str().trim_end_matches('/')
        ))
        .with_context(|| format!("--control-plane {}: not a base URL", settings.url))?;
        std::fs::create_dir_all(&settings.state_dir).with_context(|| {
            format!(
                "cannot create the state directory {}",
                settings.state_dir.display()
            )
        })?;
        let gateway_id = gateway_id(settings.gateway_id.as_deref(), &settings.state_dir)?;
        // No redirects: the bearer token must not follow one to another origin.
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(START_DEADLINE)
            .user_agent(concat!("canongate/", env!("CARGO_PKG_VERSION")))
            .build()
            .context("cannot build the control-plane HTTP client")?;
        let tokio = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("cannot start the control-plane follower's runtime")?;
        let mut follower = Self {
            contact: Arc::new(Contact {
                url: settings.url,
                gateway_id: gateway_id.clone(),
                state: Mutex::default(),
            }),
            snapshot_url,
            token: settings.token,
            gateway_id,
            candidate: settings.state_dir.join(CANDIDATE_FILE),
            last_known_good: settings.state_dir.join(LAST_KNOWN_GOOD_FILE),
            client,
            tokio,
            running: None,
            refused: None,
            backoff: Backoff::default(),
        };
        let runtime = follower.load_initial(clock, status)?;
        Ok((follower, runtime))
    }

    /// The contact status, for `/readyz`.
    pub fn contact(&self) -> Arc<Contact> {
        self.contact.clone()
    }

    /// Starts following on a thread of its own; returns what wakes it for an immediate fetch.
    pub fn spawn(self, reloader: Arc<Reloader>) -> std::io::Result<Arc<Notify>> {
        let wake = Arc::new(Notify::new());
        let woken = wake.clone();
        std::thread::Builder::new()
            .name("canongate-follow".into())
            .spawn(move || self.run(&reloader, &woken))?;
        Ok(wake)
    }

    /// The first fetch, else the last-known-good document; see [`Follower::start`].
    fn load_initial(
        &mut self,
        clock: &ThrottleClock,
        status: &ReloadStatus,
    ) -> anyhow::Result<Runtime> {
        let fetched = self
            .tokio
            .block_on(async { tokio::time::timeout(START_DEADLINE, self.fetch(false)).await })
            .unwrap_or_else(|_| {
                Err(format!(
                    "{} did not answer within {START_DEADLINE:?}",
                    self.snapshot_url
                ))
            });
        let cause = match fetched {
            Ok(Answer::Document { revision, body }) => {
                self.contact.update(None);
                let written = self.write_candidate(&body);
                // The document is read back from the file; the body would only add to the peak.
                drop(body);
                match written.map_err(|error| error.to_string()).and_then(|()| {
                    runtime::load(&self.candidate, clock, None).map_err(|e| e.to_string())
                }) {
                    Ok(runtime) => {
                        self.promote_candidate();
                        tracing::info!(%revision, control_plane = %self.contact.url, "starting from the control plane's revision");
                        self.running = Some(revision);
                        return Ok(runtime);
                    }
                    Err(problems) => {
                        tracing::error!(%revision, %problems, "the control plane's revision is refused");
                        status.record(Err(problems.clone()));
                        let cause = format!("its revision {revision} is refused: {problems}");
                        self.refused = Some(revision);
                        cause
                    }
                }
            }
            Ok(Answer::Unchanged) => {
                let error = format!("{} answered 304 without If-None-Match", self.snapshot_url);
                self.contact.update(Some(error.clone()));
                error
            }
            Err(error) => {
                self.contact.update(Some(error.clone()));
                error
            }
        };
        if !self.last_known_good.exists() {
            anyhow::bail!(
                "cannot start: the control plane gave no usable document ({cause}), and there is no last-known-good document at {}",
                self.last_known_good.display()
            );
        }
        match runtime::load(&self.last_known_good, clock, None) {
            Ok(runtime) => {
                tracing::warn!(
                    %cause,
                    path = %self.last_known_good.display(),
                    revision = %runtime.snapshot.revision,
                    "starting from the last-known-good document"
                );
                self.running = Some(runtime.snapshot.revision.clone())
                    .filter(|revision| is_opaque_tag(revision));
                Ok(runtime)
            }
            Err(error) => anyhow::bail!(
                "cannot start: the control plane gave no usable document ({cause}), and the last-known-good document is refused: {error}"
            ),
        }
    }

    /// The follow loop: poll, apply, pause; forever.
    fn run(mut self, reloader: &Reloader, wake: &Notify) {
        loop {
            let answer = self.tokio.block_on(async {
                tokio::select! {
                    answer = self.fetch(true) => Some(answer),
                    () = wake.notified() => None,
                }
            });
            let pause = match answer {
                Some(answer) => self.handle(answer, reloader),
                None => {
                    self.woken();
                    None
                }
            };
            if let Some(pause) = pause {
                let woken = self.tokio.block_on(async {
                    tokio::select! {
                        () = tokio::time::sleep(pause) => false,
                        () = wake.notified() => true,
                    }
                });
                if woken {
                    self.woken();
                }
            }
        }
    }

    /// SIGHUP: retry at once, a refused revision included.
    fn woken(&mut self) {
        self.refused = None;
        self.backoff.reset();
    }

    /// Acts on one answer; returns how long to pause before the next poll, if at all.
    fn handle(&mut self, answer: Result<Answer, String>, reloader: &Reloader) -> Option<Duration> {
        let (revision, body) = match answer {
            Err(error) => {
                self.contact.update(Some(error.clone()));
                let pause = self.backoff.failure();
                tracing::warn!(%error, retry_in = ?pause, "control plane unavailable; the current revision keeps serving");
                return Some(pause);
            }
            Ok(Answer::Unchanged) => {
                self.contact.update(None);
                self.backoff.reset();
                return None;
            }
            Ok(Answer::Document { revision, body }) => (revision, body),
        };
        self.contact.update(None);
        if self.refused.as_ref() == Some(&revision) || self.running.as_ref() == Some(&revision) {
            let pause = self.backoff.failure();
            tracing::debug!(%revision, retry_in = ?pause, "the control plane answered a revision already tried; waiting for a newer one");
            return Some(pause);
        }
        let written = self.write_candidate(&body);
        // The document is read back from the file; the body would only add to the peak.
        drop(body);
        if let Err(error) = written {
            let pause = self.backoff.failure();
            tracing::error!(%error, retry_in = ?pause, "cannot apply the control plane's revision {revision}");
            return Some(pause);
        }
        match reloader.apply(&self.candidate) {
            Ok(_) => {
                self.promote_candidate();
                self.running = Some(revision);
                self.refused = None;
                self.backoff.reset();
                None
            }
            Err(_) => {
                self.refused = Some(revision);
                Some(self.backoff.failure())
            }
        }
    }

    /// One request to the snapshot endpoint; a long poll sends `wait` and the running revision.
    async fn fetch(&self, long_poll: bool) -> Result<Answer, String> {
        let url = &self.snapshot_url;
        let mut request = self
            .client
            .get(url.clone())
            .bearer_auth(&self.token)
            .header(http::header::ACCEPT, "application/json");
        if long_poll {
            let wait = format!("{}s", LONG_POLL_WAIT.as_secs());
            request = request
                .query(&[("gateway", self.gateway_id.as_str()), ("wait", &wait)])
                .timeout(LONG_POLL_WAIT + LONG_POLL_MARGIN);
            if let Some(revision) = &self.running {
                request = request.header(http::header::IF_NONE_MATCH, format!("\"{revision}\""));
            }
        } else {
            request = request.query(&[("gateway", self.gateway_id.as_str())]);
        }
        let failed =
            |error: reqwest::Error| format!("{url}: {:#}", anyhow::Error::new(error.without_url()));
        let mut response = request.send().await.map_err(failed)?;
        match response.status() {
            StatusCode::NOT_MODIFIED => Ok(Answer::Unchanged),
            StatusCode::OK => {
                let revision = response
                    .headers()
                    .get(http::header::ETAG)
                    .and_then(|value| value.to_str().ok())
                    .and_then(revision_from_etag)
                    .map(str::to_owned)
                    .ok_or_else(|| {
                        format!("{url} answered 200 without an ETag naming the revision")
                    })?;
                let (body, complete) = read_body(&mut response, MAX_SNAPSHOT_BYTES)
                    .await
                    .map_err(failed)?;
                if !complete {
                    return Err(format!(
                        "{url} sent a snapshot over {MAX_SNAPSHOT_BYTES} bytes"
                    ));
                }
                Ok(Answer::Document { revision, body })
            }
            status => {
                let (body, _) = read_body(&mut response, MAX_PROBLEM_BYTES)
                    .await
                    .unwrap_or_default();
                Err(format!(
                    "{url} answered {status}: {}",
                    problem_detail(&body)
                ))
            }
        }
    }

    fn write_candidate(&self, body: &[u8]) -> std::io::Result<()> {
        std::fs::write(&self.candidate, body).map_err(|error| {
            std::io::Error::new(
                error.kind(),
                format!("cannot write {}: {error}", self.candidate.display()),
            )
        })
    }

    /// Makes the candidate, now serving, the last-known-good document (synced, renamed into
    /// place, directory synced); a failure only costs the next start without the control plane,
    /// so it is logged.
    fn promote_candidate(&self) {
        if let Err(error) = promote(&self.candidate, &self.last_known_good) {
            tracing::warn!(
                path = %self.last_known_good.display(),
                %error,
                "cannot save the last-known-good document"
            );
        }
    }
}

/// Reads a response body up to `limit` bytes; returns it and whether it was complete.
async fn read_body(
    response: &mut reqwest::Response,
    limit: usize,
) -> Result<(Vec<u8>, bool), reqwest::Error> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if body.len() + chunk.len() > limit {
            body.extend_from_slice(&chunk[..limit - body.len()]);
            return Ok((body, false));
        }
        body.extend_from_slice(&chunk);
    }
    Ok((body, true))
}

/// The `detail` (else `title`) of a problem+json body, else the start of the body as text.
fn problem_detail(body: &[u8]) -> String {
    let from_problem = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|problem| {
            ["detail", "title"]
                .iter()
                .find_map(|key| problem.get(key)?.as_str().map(str::to_owned))
        });
    from_problem.unwrap_or_else(|| {
        let text = String::from_utf8_lossy(body);
        let text: String = text.trim().chars().take(200).collect();
        if text.is_empty() {
            "no detail".to_owned()
        } else {
            text
        }
    })
}

/// The revision in an `ETag` value: the text of a (strong or weak) entity tag.
fn revision_from_etag(value: &str) -> Option<&str> {
    let value = value.trim();
    let tag = value.strip_prefix("W/").unwrap_or(value);
    let revision = tag.strip_prefix('"')?.strip_suffix('"')?;
    is_opaque_tag(revision).then_some(revision)
}

/// Whether `text` can stand between the quotes of an entity tag (RFC 9110 `etagc`, ASCII).
fn is_opaque_tag(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|byte| byte == 0x21 || (0x23..=0x7e).contains(&byte))
}

/// Replaces the file at `path` with `bytes` so that a crash leaves either the old or the new
/// content, never a mix: a temporary file beside it is written and synced, renamed over `path`,
/// and the directory synced.
pub fn write_durably(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| std::io::Error::other(format!("{} is not a file path", path.display())))?;
    let mut temporary = name.to_os_string();
    temporary.push(".tmp");
    let temporary = dir.join(temporary);
    let written = (|| {
        let mut file = std::fs::File::create(&temporary)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&temporary, path)?;
        std::fs::File::open(dir)?.sync_all()
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    written
}

/// Durably replaces `target` by the file `source`: `source` synced, renamed over `target`, the
/// directory synced.
fn promote(source: &Path, target: &Path) -> std::io::Result<()> {
    std::fs::File::open(source)?.sync_all()?;
    std::fs::rename(source, target)?;
    let dir = match target.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    std::fs::File::open(dir)?.sync_all()
}

/// Pauses after failures: 1 s doubling to 30 s, each drawn between half and all of it so that
/// gateways refused together do not come back together.
#[derive(Debug)]
struct Backoff {
    next: Duration,
}

impl Backoff {
    const FIRST: Duration = Duration::from_secs(1);
    const MAX: Duration = Duration::from_secs(30);

    /// The pause after one more failure.
    fn failure(&mut self) -> Duration {
        let full = self.next;
        self.next = (self.next * 2).min(Self::MAX);
        full.mul_f64(rand::random_range(0.5..=1.0))
    }

    /// Back to the first pause, after a success.
    fn reset(&mut self) {
        self.next = Self::FIRST;
    }
}

impl Default for Backoff {
    fn default() -> Self {
        Self { next: Self::FIRST }
    }
}

/// `given`, or the id kept in `state_dir`, created on first use.
fn gateway_id(given: Option<&str>, state_dir: &Path) -> anyhow::Result<String> {
    const RULE: &str = "1 to 128 ASCII letters, digits, `-`, `.` or `_`";
    let valid = |id: &str| {
        (1..=128).contains(&id.len())
            && id
                .bytes()
                .all(|byte| byte.is_ascii_alphanumeric() || b"-._".contains(&byte))
    };
    if let Some(id) = given {
        anyhow::ensure!(valid(id), "--gateway-id {id:?}: expected {RULE}");
        return Ok(id.to_owned());
    }
    let path = state_dir.join(GATEWAY_ID_FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            let id = text.trim();
            anyhow::ensure!(
                valid(id),
                "{}: the gateway id {id:?} is not {RULE}; fix or delete the file",
                path.display()
            );
            Ok(id.to_owned())
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            let host: String = std::fs::read_to_string("/proc/sys/kernel/hostname")
                .unwrap_or_default()
                .trim()
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '.')
                .take(64)
                .collect();
            let host = if host.is_empty() { "gateway" } else { &host };
            let id = format!("{host}-{:08x}", rand::random::<u32>());
            write_durably(&path, format!("{id}\n").as_bytes())
                .with_context(|| format!("cannot save the gateway id in {}", path.display()))?;
            tracing::info!(gateway_id = %id, path = %path.display(), "created the gateway id");
            Ok(id)
        }
        Err(error) => Err(error).with_context(|| format!("cannot read {}", path.display())),
    }
}

#[cfg(test)]
mod tests;
