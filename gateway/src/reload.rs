//! Hot reload: SIGHUP, and optionally a poll of the document's files, re-read the document.
//!
//! A valid document replaces the runtime atomically (requests in flight finish on the old one);
//! an invalid one is refused with an error log listing every problem, and the old runtime keeps
//! serving. The watcher runs on its own thread with a small Tokio runtime, and the SIGHUP handler
//! is installed before [`spawn`] returns, so a reload signal can never kill a starting gateway.
//! The same thread sweeps idle limiter state every few seconds.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use serde_json::{Value, json};

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
    fn record(&self, result: Result<String, String>) {
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

/// Re-reads one document into a shared runtime.
pub struct Reloader {
    path: PathBuf,
    clock: ThrottleClock,
    runtime: SharedRuntime,
    metrics: Arc<Metrics>,
    status: Arc<ReloadStatus>,
}

impl Reloader {
    /// A reloader of `path` into `runtime`.
    pub fn new(
        path: PathBuf,
        clock: ThrottleClock,
        runtime: SharedRuntime,
        metrics: Arc<Metrics>,
        status: Arc<ReloadStatus>,
    ) -> Self {
        Self {
            path,
            clock,
            runtime,
            metrics,
            status,
        }
    }

    /// Loads the document; swaps it in when valid. Returns whether it was applied.
    pub fn reload(&self) -> bool {
        let current = self.runtime.load_full();
        match runtime::load(&self.path, &self.clock, Some(&current)) {
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
                tracing::info!(%revision, path = %self.path.display(), "configuration reloaded");
                true
            }
            Err(error) => {
                self.status.record(Err(error.to_string()));
                self.metrics.reload(false);
                tracing::error!(
                    path = %self.path.display(),
                    problems = %error,
                    "configuration refused; the previous revision keeps serving"
                );
                false
            }
        }
    }

    /// Modification stamp of every file the current runtime was built from.
    fn stamp(&self) -> Vec<Option<(SystemTime, u64)>> {
        let runtime = self.runtime.load();
        let mut files = runtime.sources.clone();
        if !files.contains(&self.path) {
            files.push(self.path.clone());
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

/// What woke the reload thread.
enum Event {
    Sweep,
    Hangup,
    Poll,
}

/// Starts the reload thread; returns once the SIGHUP handler is installed.
pub fn spawn(reloader: Reloader, watch_interval: Option<Duration>) -> std::io::Result<()> {
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
            let (mut sweeps, mut ticker) = {
                let _context = runtime.enter();
                let mut ticker =
                    tokio::time::interval(watch_interval.unwrap_or(Duration::from_secs(3600)));
                ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                (tokio::time::interval(SWEEP_INTERVAL), ticker)
            };
            let mut last_stamp = reloader.stamp();
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
                match event {
                    Event::Sweep => reloader.runtime.load().snapshot.throttle.sweep(),
                    Event::Hangup => {
                        tracing::info!("SIGHUP received: reloading the configuration");
                        reloader.reload();
                        last_stamp = reloader.stamp();
                    }
                    Event::Poll => {
                        let stamp = reloader.stamp();
                        if stamp != last_stamp {
                            tracing::info!("configuration files changed: reloading");
                            reloader.reload();
                            last_stamp = reloader.stamp();
                        }
                    }
                }
            }
        })?;
    installed_rx
        .recv()
        .map_err(|_| std::io::Error::other("the reload thread stopped before it started"))?
}
