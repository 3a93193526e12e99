//! Assembling and running the Pingora server: the proxy service, the ops service, the reload
//! thread and, following a control plane, the follower, around one shared runtime.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use pingora::server::Server;
use pingora::server::configuration::{Opt, ServerConf};

use canongate_policy::throttle::{ManualClock, ThrottleClock};

use crate::follow::{self, Follower};
use crate::metrics::Metrics;
use crate::ops::{DocumentSource, OpsApp};
use crate::proxy::Gateway;
use crate::reload::{self, ReloadStatus, Reloader, Trigger};
use crate::runtime;

/// Where the gateway document comes from.
pub enum Source {
    /// A document file (GitOps): reloaded on SIGHUP and, with `--watch`, when it changes.
    File(PathBuf),
    /// A control plane's snapshot, followed by long polling ([`follow`]).
    ControlPlane(follow::Settings),
}

/// A source whose first document is loaded.
enum Following {
    File(PathBuf),
    ControlPlane(Box<Follower>),
}

/// How the gateway process runs.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Worker threads of the proxy service.
    pub threads: usize,
    /// Poll the document's files at this interval and reload on change.
    pub watch_interval: Option<Duration>,
    /// Run the limiters on a clock that only the ops endpoint `/debug/clock` moves (tests only).
    pub manual_clock: bool,
    /// Proxy listener address, instead of the document's `listeners.proxy`.
    pub listen: Option<SocketAddr>,
    /// Ops listener address, instead of the document's `listeners.ops`.
    pub ops_listen: Option<SocketAddr>,
}

/// Loads the document from `source`, then serves until a shutdown signal ends the process.
///
/// A document that cannot be loaded is returned as an error before anything listens.
pub fn run(source: Source, options: &ServeOptions) -> anyhow::Result<()> {
    let manual_clock = options
        .manual_clock
        .then(|| ManualClock::starting_at(crate::unix_now()));
    let clock = manual_clock
        .clone()
        .map_or_else(ThrottleClock::system, ThrottleClock::from);
    let reloads = Arc::new(ReloadStatus::default());
    let (initial, following) = match source {
        Source::File(path) => (runtime::load(&path, &clock, None)?, Following::File(path)),
        Source::ControlPlane(settings) => {
            let (follower, initial) = Follower::start(settings, &clock, &reloads)?;
            (initial, Following::ControlPlane(Box::new(follower)))
        }
    };
    let mut listeners = initial.snapshot.listeners.clone();
    listeners.proxy = options.listen.unwrap_or(listeners.proxy);
    listeners.ops = options.ops_listen.unwrap_or(listeners.ops);
    let pool_size = initial.keepalive_pool_size().max(1);
    let metrics = Arc::new(Metrics::new());
    metrics.set_revision(&initial.snapshot.revision);
    tracing::info!(
        revision = %initial.snapshot.revision,
        proxy = %listeners.proxy,
        ops = %listeners.ops,
        operations = initial.snapshot.operations.len(),
        "gateway starting"
    );
    let shared = Arc::new(ArcSwap::from_pointee(initial));
    let reloader = Arc::new(Reloader::new(
        clock,
        shared.clone(),
        metrics.clone(),
        reloads.clone(),
    ));
    let (trigger, source) = match following {
        Following::File(path) => (
            Trigger::File {
                path: path.clone(),
                watch_interval: options.watch_interval,
            },
            DocumentSource::File(path),
        ),
        Following::ControlPlane(follower) => {
            let contact = follower.contact();
            (
                Trigger::Wake(follower.spawn(reloader.clone())?),
                DocumentSource::ControlPlane(contact),
            )
        }
    };
    reload::spawn(reloader, trigger)?;

    let conf = ServerConf {
        threads: options.threads.max(1),
        work_stealing: false,
        upstream_keepalive_pool_size: pool_size,
        grace_period_seconds: Some(1),
        graceful_shutdown_timeout_seconds: Some(5),
        ..ServerConf::default()
    };
    let mut server = Server::new_with_opt_and_conf(Opt::default(), conf);
    server.bootstrap();

    let mut proxy = pingora::proxy::http_proxy_service(
        &server.configuration,
        Gateway::new(shared.clone(), metrics.clone()),
    );
    proxy.add_tcp(&listeners.proxy.to_string());
    let mut ops = pingora::services::listening::Service::new(
        "ops".to_owned(),
        OpsApp::new(
            shared,
            metrics,
            reloads,
            source,
            listeners.proxy,
            manual_clock,
        ),
    );
    ops.add_tcp(&listeners.ops.to_string());
    ops.threads = Some(1);
    server.add_service(proxy);
    server.add_service(ops);
    server.run_forever()
}
