//! Applying new documents: the one path by which a document replaces the running one, and the
//! reload thread that SIGHUP (and optionally a poll of the document's files) drives.
//!
//! [`Reloader::apply`] loads a document; a valid one replaces the runtime atomically (requests in
//! flight finish on the old one); an invalid one is refused with an error log listing every
//! problem, and the old runtime keeps serving. Both outcomes are recorded for `/readyz` and in the
//! reload metrics. File reloads and control-plane updates ([`crate::follow`]) both go through it.
//!
//! The reload thread runs with a small Tokio runtime, and the SIGHUP handler is installed before
//! [`spawn`] returns, so a reload signal can never kill a starting gateway. Depending on the
//! [`Trigger`], SIGHUP re-reads the document file or wakes the control-plane follower. The same
//! thread sweeps idle limiter state every few seconds.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use serde_json::{Value, json};
use tokio::sync::Notify;

use canongate_policy::throttle::ThrottleClock;

use crate::metrics::Metrics;
use crate::runtime::{self, SharedRuntime};

/// How often idle limiter state is dropped, so memory follows the active consumers.
const SWEEP_INTERVAL: Duration = Duration::from_secs(10);

/// The outcome of the last reload, for `/readyz`.
#[derive(Default)]
pub struct ReloadStatus {
    last: Mutex<Option<Outcome>>,
}

struct Outcome {
    at: SystemTime,
    result: Result<String, String>,
}

impl ReloadStatus {
    /// Records the outcome of an attempt: the applied revision, or the problems.
    pub(crate) fn record(&self, result: Result<String, String>) {
        let outcome = Outcome {
            at: SystemTime::now(),
            result,
        };
        *self
            .last
            .lock()
            .unwrap_or_else(|poison| poison.into_inner()) = Some(outcome);
    }

    /// `null` before any reload, else the time, result, and revision or error.
    pub fn to_json(&self) -> Value {
        let last = self
            .last
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        let Some(outcome) = last.as_ref() else {
            return Value::Null;
        };
        let at = outcome
            .at
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        match &outcome.result {
            Ok(revision) => json!({"at_unix": at, "result": "applied", "revision": revision}),
            Err(error) => json!({"at_unix": at, "result": "refused", "error": error}),
        }
    }
}

/// Applies documents to a shared runtime, recording each outcome.
pub struct Reloader {
    clock: ThrottleClock,
    runtime: SharedRuntime,
    metrics: Arc<Metrics>,
    status: Arc<ReloadStatus>,
}

impl Reloader {
    /// A reloader into `runtime`, with the limiters on `clock`.
    pub fn new(
        clock: ThrottleClock,
        runtime: SharedRuntime,
        metrics: Arc<Metrics>,
        status: Arc<ReloadStatus>,
    ) -> Self {
        Self {
            clock,
            runtime,
            metrics,
            status,
        }
    }

    /// Loads the document at `path` and swaps it in when valid. Returns the applied revision, or
    /// every problem of a refused document.
    pub fn apply(&self, path: &Path) -> Result<String, String> {
        let current = self.runtime.load_full();
        match runtime::load(path, &self.clock, Some(&current)) {
            Ok(next) => {
                if next.snapshot.listeners != current.snapshot.listeners {
                    tracing::warn!("listener addresses changed; they take effect after a restart");
                }
                let revision = next.snapshot.revision.clone();
                self.runtime.store(Arc::new(next));
                // Readiness first: whoever sees the metric or the log line sees this outcome.
                self.status.record(Ok(revision.clone()));
                self.metrics.set_revision(&revision);
                self.metrics.reload(true);
                tracing::info!(%revision, path = %path.display(), "configuration reloaded");
                Ok(revision)
            }
            Err(error) => {
                let problems = error.to_string();
                self.status.record(Err(problems.clone()));
                self.metrics.reload(false);
                tracing::error!(
                    path = %path.display(),
                    %problems,
                    "configuration refused; the previous revision keeps serving"
                );
                Err(problems)
            }
        }
    }

    /// Modification stamp of `path` and of every file the current runtime was built from.
    fn stamp(&self, path: &Path) -> Vec<Option<(SystemTime, u64)>> {
        let runtime = self.runtime.load();
        let mut files = runtime.sources.clone();
        if !files.iter().any(|file| file == path) {
            files.push(path.to_path_buf());
        }
        files
            .iter()
            .map(|file| {
                std::fs::metadata(file)
                    .ok()
                    .and_then(|m| Some((m.modified().ok()?, m.len())))
            })
            .collect()
    }
}

/// What SIGHUP does on the reload thread.
pub enum Trigger {
    /// Re-read the document file; with `watch_interval`, also poll it and its contracts and
    /// reload when one changes.
    File {
        /// The gateway document.
        path: PathBuf,
        /// How often to poll the files, if at all.
        watch_interval: Option<Duration>,
    },
    /// Wake the control-plane follower waiting on this, which fetches at once.
    Wake(Arc<Notify>),
}

/// What woke the reload thread.
enum Event {
    Sweep,
    Hangup,
    Poll,
}

/// Starts the reload thread; returns once the SIGHUP handler is installed.
pub fn spawn(reloader: Arc<Reloader>, trigger: Trigger) -> std::io::Result<()> {
    let (installed_tx, installed_rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("canongate-reload".into())
        .spawn(move || {
            let runtime = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(runtime) => runtime,
                Err(error) => {
                    let _ = installed_tx.send(Err(error));
                    return;
                }
            };
            let hangups = {
                let _context = runtime.enter();
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
            };
            let mut hangups = match hangups {
                Ok(stream) => stream,
                Err(error) => {
                    let _ = installed_tx.send(Err(error));
                    return;
                }
            };
            let _ = installed_tx.send(Ok(()));
            let watch_interval = match &trigger {
                Trigger::File { watch_interval, .. } => *watch_interval,
                Trigger::Wake(_) => None,
            };
            let (mut sweeps, mut ticker) = {
                let _context = runtime.enter();
                let mut ticker =
                    tokio::time::interval(watch_interval.unwrap_or(Duration::from_secs(3600)));
                ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                (tokio::time::interval(SWEEP_INTERVAL), ticker)
            };
            let mut last_stamp = match &trigger {
                Trigger::File { path, .. } => reloader.stamp(path),
                Trigger::Wake(_) => Vec::new(),
            };
            loop {
                // Only the waiting is async: reloads (file reads, DNS, JWKS start-up) run outside
                // the runtime, so their blocking work never sits inside it.
                let event = runtime.block_on(async {
                    tokio::select! {
                        _ = sweeps.tick() => Event::Sweep,
                        _ = hangups.recv() => Event::Hangup,
                        _ = ticker.tick(), if watch_interval.is_some() => Event::Poll,
                    }
                });
                match (event, &trigger) {
                    (Event::Sweep, _) => reloader.runtime.load().snapshot.throttle.sweep(),
                    (Event::Hangup, Trigger::Wake(wake)) => {
                        tracing::info!("SIGHUP received: fetching from the control plane now");
                        wake.notify_one();
                    }
                    (Event::Hangup, Trigger::File { path, .. }) => {
                        tracing::info!("SIGHUP received: reloading the configuration");
                        let _ = reloader.apply(path);
                        last_stamp = reloader.stamp(path);
                    }
                    (Event::Poll, Trigger::File { path, .. }) => {
                        let stamp = reloader.stamp(path);
                        if stamp != last_stamp {
                            tracing::info!("configuration files changed: reloading");
                            let _ = reloader.apply(path);
                            last_stamp = reloader.stamp(path);
                        }
                    }
                    // Polling is only armed for a file.
                    (Event::Poll, Trigger::Wake(_)) => {}
                }
            }
        })?;
    installed_rx
        .recv()
        .map_err(|_| std::io::Error::other("the reload thread stopped before it started"))?
}
