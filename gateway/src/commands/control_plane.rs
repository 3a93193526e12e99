//! `canongate control-plane`: the registry's admin API on its SQLite store.
//!
//! The first start in an empty data directory mints the bootstrap admin token and prints it once
//! on standard output; only its SHA-256 is stored. An admin issuer with a JWKS endpoint has its
//! keys fetched by the same fetcher the gateway uses for its issuers. The process serves until SIGINT or SIGTERM,
//! finishing requests in flight.

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;

use anyhow::Context;
use canongate_registry::auth::KeyRefresh;
use canongate_registry::config::ControlPlaneConfig;
use canongate_registry::server::{self, Options, Prepared};

use crate::jwks::JwksFetcher;
use crate::logging::{self, LogFormat};

/// Options of `canongate control-plane`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Directory of the store (created when absent).
    #[arg(long, value_name = "DIR")]
    data: PathBuf,
    /// Address of the admin API, instead of the settings' `listen` (default 127.0.0.1:9080).
    #[arg(long, value_name = "ADDR")]
    listen: Option<SocketAddr>,
    /// Settings file (admin issuer, lifecycle rules, limits).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Log line format on standard error.
    #[arg(long, value_enum, default_value_t = LogFormat::Json)]
    log_format: LogFormat,
}

/// Opens the store and prepares the API from the command's options.
pub fn prepare(data: PathBuf, config: ControlPlaneConfig) -> anyhow::Result<Prepared> {
    server::prepare(&Options { data, config }).context("the control plane cannot start")
}

/// Starts fetching the keys of an admin issuer with a JWKS endpoint: fetched now (bounded by the
/// endpoint's timeout) and kept fresh. Call it after [`announce`], so that a failure here never
/// loses a bootstrap token just minted.
pub fn fetch_admin_keys(prepared: &Prepared) -> anyhow::Result<()> {
    if let Some(issuer) = prepared.app.gatekeeper.issuer() {
        let fetcher =
            JwksFetcher::spawn(issuer).context("cannot start fetching the admin issuer's keys")?;
        prepared.app.gatekeeper.set_key_refresh(Arc::new(fetcher));
    }
    Ok(())
}

impl KeyRefresh for JwksFetcher {
    fn refresh_for_unknown_kid(
        &self,
        issuer: usize,
    ) -> Pin<Box<dyn Future<Output = bool> + Send + '_>> {
        Box::pin(JwksFetcher::refresh_for_unknown_kid(self, issuer))
    }
}

/// Announces a freshly minted bootstrap token, once.
pub fn announce(prepared: &Prepared) {
    if let Some(token) = &prepared.bootstrap_token {
        println!("bootstrap admin token (shown once; only its SHA-256 is stored): {token}");
    }
}

/// Runs the control plane until it is stopped.
pub fn run(args: &Args) -> anyhow::Result<()> {
    logging::init(args.log_format, "info");
    let mut config = match &args.config {
        Some(path) => ControlPlaneConfig::load(path)?,
        None => ControlPlaneConfig::default(),
    };
    if let Some(listen) = args.listen {
        config.listen = listen;
    }
    let listen = config.listen;
    let prepared = prepare(args.data.clone(), config)?;
    announce(&prepared);
    fetch_admin_keys(&prepared)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("cannot listen on {listen}"))?;
        println!(
            "control plane listening on http://{}",
            listener.local_addr()?
        );
        server::serve(listener, prepared.app, stopped())
            .await
            .context("the admin API stopped")
    })
}

/// Serves the control plane on `listener` from a background thread, for as long as the process
/// lives (the demo's way of running it beside the gateway).
pub fn spawn(prepared: Prepared, listener: std::net::TcpListener) -> anyhow::Result<()> {
    listener.set_nonblocking(true)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("canongate-control-plane")
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    std::thread::Builder::new()
        .name("canongate-control-plane".into())
        .spawn(move || {
            runtime.block_on(async move {
                let served = match tokio::net::TcpListener::from_std(listener) {
                    Ok(listener) => {
                        server::serve(listener, prepared.app, std::future::pending()).await
                    }
                    Err(error) => Err(error),
                };
                if let Err(error) = served {
                    tracing::error!(%error, "the control plane stopped");
                }
            });
        })?;
    Ok(())
}

/// Resolves on SIGINT or SIGTERM.
async fn stopped() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = terminate => {}
    }
}
