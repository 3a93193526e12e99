//! Background fetching of issuers' JWK Sets into an [`Authenticator`].
//!
//! [`JwksFetcher::spawn`] starts one thread with a current-thread tokio runtime for all of an
//! authenticator's JWKS endpoints. Each endpoint is fetched once at start (bounded by its
//! `timeout`, so start-up never hangs on an issuer), then every `refresh_interval` (every
//! `min_refresh_interval` while fetches fail). A fetch that fails or returns junk keeps the held
//! keys in service and is recorded for readiness ([`Authenticator::jwks_status`]).
//!
//! When a token names an unknown `kid`, the proxy (or the control plane, for its admin issuer)
//! calls [`JwksFetcher::refresh_for_unknown_kid`]: at most one such fetch per endpoint runs per
//! `min_refresh_interval`, and callers arriving while one is in flight wait for it and share its
//! answer (single flight). Fetches run on the fetcher's own runtime, whichever runtime the caller
//! is on. The thread holds the authenticator only weakly: it stops when the fetcher is dropped or
//! when the authenticator is gone (a reload replaced it).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::Instant;

use canongate_policy::auth::{Authenticator, JwksConfig, MAX_JWKS_BYTES};
use tokio::sync::{Mutex, oneshot};
use tokio::task::JoinSet;

/// Fetches and refreshes the JWK Sets of one authenticator's issuers.
pub struct JwksFetcher {
    shared: Arc<Shared>,
    worker: Option<Worker>,
}

/// The fetcher thread's runtime and its stop signal (dropping the sender stops it).
struct Worker {
    runtime: tokio::runtime::Handle,
    _stop: oneshot::Sender<()>,
}

struct Shared {
    authenticator: Weak<Authenticator>,
    client: reqwest::Client,
    sources: Vec<Source>,
}

/// One issuer's endpoint.
struct Source {
    issuer: usize,
    config: JwksConfig,
    /// Bumped after every fetch, so a caller that waited can tell one happened meanwhile.
    generation: AtomicU64,
    state: Mutex<FetchState>,
}

#[derive(Default)]
struct FetchState {
    last_on_demand: Option<Instant>,
    last_added_keys: bool,
}

impl std::fmt::Debug for JwksFetcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let urls: Vec<&str> = self
            .shared
            .sources
            .iter()
            .map(|source| source.config.url.as_str())
            .collect();
        f.debug_struct("JwksFetcher").field("urls", &urls).finish()
    }
}

impl JwksFetcher {
    /// Starts fetching for every issuer of `authenticator` that has a JWKS endpoint.
    ///
    /// Blocks until each endpoint's first fetch has succeeded or failed, which is bounded by
    /// the endpoints' `timeout`s; call it outside async code. Without JWKS endpoints no thread
    /// is started.
    pub fn spawn(authenticator: &Arc<Authenticator>) -> std::io::Result<Self> {
        let sources: Vec<Source> = authenticator
            .jwks_endpoints()
            .into_iter()
            .map(|(issuer, config)| Source {
                issuer,
                config,
                generation: AtomicU64::new(0),
                state: Mutex::default(),
            })
            .collect();
        // No redirects: a redirect could lead a checked https URL to an unchecked one.
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("canongate/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(std::io::Error::other)?;
        let shared = Arc::new(Shared {
            authenticator: Arc::downgrade(authenticator),
            client,
            sources,
        });
        if shared.sources.is_empty() {
            return Ok(Self {
                shared,
                worker: None,
            });
        }
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let handle = runtime.handle().clone();
        let (stop, stopped) = oneshot::channel();
        let (ready, first_round) = std::sync::mpsc::channel();
        let worker_shared = Arc::clone(&shared);
        std::thread::Builder::new()
            .name("canongate-jwks".into())
            .spawn(move || runtime.block_on(run(worker_shared, stopped, ready)))?;
        for _ in 0..shared.sources.len() {
            if first_round.recv().is_err() {
                break;
            }
        }
        Ok(Self {
            shared,
            worker: Some(Worker {
                runtime: handle,
                _stop: stop,
            }),
        })
    }

    /// Refreshes issuer `issuer`'s JWKS because a token named a `kid` it lacks; returns
    /// whether keys with new `kid`s arrived (then verify the token once more).
    ///
    /// At most one such fetch per `min_refresh_interval`; concurrent callers share one fetch.
    pub async fn refresh_for_unknown_kid(&self, issuer: usize) -> bool {
        let Some(worker) = &self.worker else {
            return false;
        };
        let Some(index) = self
            .shared
            .sources
            .iter()
            .position(|source| source.issuer == issuer)
        else {
            return false;
        };
        let seen = self.shared.sources[index]
            .generation
            .load(Ordering::Acquire);
        let shared = Arc::clone(&self.shared);
        worker
            .runtime
            .spawn(async move { shared.refresh_on_demand(index, seen).await })
            .await
            .unwrap_or(false)
    }
}

/// The fetcher thread: every source's first fetch, then its periodic refreshes, until stopped.
async fn run(
    shared: Arc<Shared>,
    stopped: oneshot::Receiver<()>,
    ready: std::sync::mpsc::Sender<()>,
) {
    let mut tasks = JoinSet::new();
    for index in 0..shared.sources.len() {
        let shared = Arc::clone(&shared);
        let ready = ready.clone();
        tasks.spawn(async move {
            let mut succeeded = shared.refresh_scheduled(index).await;
            // The receiver is gone once `spawn` has returned; later sends are not needed.
            let _ = ready.send(());
            let config = &shared.sources[index].config;
            loop {
                let pause = if succeeded {
                    config.refresh_interval
                } else {
                    config.min_refresh_interval
                };
                tokio::time::sleep(pause).await;
                if shared.authenticator.strong_count() == 0 {
                    break;
                }
                succeeded = shared.refresh_scheduled(index).await;
            }
        });
    }
    drop(ready);
    tokio::select! {
        _ = stopped => {}
        _ = async { while tasks.join_next().await.is_some() {} } => {}
    }
}

impl Shared {
    /// A periodic fetch; returns whether it succeeded.
    async fn refresh_scheduled(&self, index: usize) -> bool {
        let source = &self.sources[index];
        let mut state = source.state.lock().await;
        self.fetch_locked(source, &mut state).await.is_ok()
    }

    /// An unknown-`kid` fetch, unless one ran while the caller waited (then its answer is
    /// shared) or the last one is younger than `min_refresh_interval`.
    async fn refresh_on_demand(&self, index: usize, seen: u64) -> bool {
        let source = &self.sources[index];
        let mut state = source.state.lock().await;
        if source.generation.load(Ordering::Acquire) != seen {
            return state.last_added_keys;
        }
        if state
            .last_on_demand
            .is_some_and(|at| at.elapsed() < source.config.min_refresh_interval)
        {
            return false;
        }
        state.last_on_demand = Some(Instant::now());
        matches!(self.fetch_locked(source, &mut state).await, Ok(added) if added > 0)
    }

    /// Fetches `source` and installs the keys (the caller holds its lock); returns how many
    /// `kid`s are new.
    async fn fetch_locked(&self, source: &Source, state: &mut FetchState) -> Result<usize, ()> {
        let body = fetch(&self.client, &source.config).await;
        let outcome = match self.authenticator.upgrade() {
            None => Err(()),
            Some(authenticator) => match body {
                Ok(body) => authenticator
                    .install_jwks(source.issuer, &body, crate::unix_now())
                    .map_err(|error| {
                        tracing::warn!(url = %source.config.url, %error, "JWKS refused; keeping the held keys");
                    }),
                Err(error) => {
                    tracing::warn!(url = %source.config.url, %error, "JWKS fetch failed; keeping the held keys");
                    // The source exists by construction, so recording cannot fail.
                    let _ = authenticator.record_jwks_failure(source.issuer, error);
                    Err(())
                }
            },
        };
        state.last_added_keys = matches!(outcome, Ok(added) if added > 0);
        source.generation.fetch_add(1, Ordering::AcqRel);
        outcome
    }
}

/// GETs a JWK Set, refusing bodies over [`MAX_JWKS_BYTES`].
async fn fetch(client: &reqwest::Client, config: &JwksConfig) -> Result<Vec<u8>, String> {
    let failed = |error: reqwest::Error| format!("fetching {}: {}", config.url, chain(&error));
    let mut response = client
        .get(&config.url)
        .timeout(config.timeout)
        .header(
            http::header::ACCEPT,
            "application/jwk-set+json, application/json",
        )
        .send()
        .await
        .map_err(failed)?;
    if !response.status().is_success() {
        return Err(format!("{} answered {}", config.url, response.status()));
    }
    let too_large = || format!("{} sent more than {MAX_JWKS_BYTES} bytes", config.url);
    if response
        .content_length()
        .is_some_and(|len| len > MAX_JWKS_BYTES as u64)
    {
        return Err(too_large());
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(failed)? {
        if body.len() + chunk.len() > MAX_JWKS_BYTES {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// An error and its sources, joined with `: `.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests;
