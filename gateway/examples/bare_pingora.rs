//! The floor under the gateway, for the load harness's `pingora` target: a Pingora `ProxyHttp`
//! that does nothing but send every request to one fixed peer, built and run like `canongate`
//! (release profile with fat LTO, mimalloc, one worker thread, no work stealing, the same
//! keep-alive pool, no downstream modules). The gap between this and `canongate` is what the
//! gateway's own work costs.
//!
//! `cargo run --release -p canongate-gateway --example bare_pingora -- LISTEN UPSTREAM`
//! (both `host:port`; `CANONGATE_WORKER_THREADS` sets the worker threads, default 1).

use std::net::SocketAddr;

use async_trait::async_trait;
use pingora::prelude::*;
use pingora::server::configuration::{Opt, ServerConf};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Proxies everything to `upstream`.
struct FixedPeer {
    upstream: SocketAddr,
}

#[async_trait]
impl ProxyHttp for FixedPeer {
    type CTX = ();

    /// As in the gateway: no compression module on every request.
    fn init_downstream_modules(&self, _modules: &mut pingora::modules::http::HttpModules) {}

    fn new_ctx(&self) -> Self::CTX {}

    async fn upstream_peer(&self, _session: &mut Session, _ctx: &mut ()) -> Result<Box<HttpPeer>> {
        Ok(Box::new(HttpPeer::new(self.upstream, false, String::new())))
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(listen), Some(upstream), None) = (args.next(), args.next(), args.next()) else {
        eprintln!("usage: bare_pingora LISTEN UPSTREAM (both host:port)");
        std::process::exit(2);
    };
    let Ok(upstream) = upstream.parse() else {
        eprintln!("bare_pingora: UPSTREAM {upstream:?} is not host:port");
        std::process::exit(2);
    };
    let threads = std::env::var("CANONGATE_WORKER_THREADS")
        .ok()
        .and_then(|value| value.parse::<usize>().ok())
        .unwrap_or(1)
        .max(1);
    let conf = ServerConf {
        threads,
        work_stealing: false,
        upstream_keepalive_pool_size: 128,
        ..ServerConf::default()
    };
    let mut server = Server::new_with_opt_and_conf(Opt::default(), conf);
    server.bootstrap();
    let mut proxy =
        pingora::proxy::http_proxy_service(&server.configuration, FixedPeer { upstream });
    proxy.add_tcp(&listen);
    server.add_service(proxy);
    server.run_forever()
}
