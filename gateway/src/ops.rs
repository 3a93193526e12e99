//! The operations listener: `/healthz` (process alive), `/readyz` (serving, with the active
//! revision, where the document comes from and the last reload outcome) and `/metrics`
//! (Prometheus text).
//!
//! With `--manual-clock` (tests only), `/debug/clock` moves the limiters' clock.
//!
//! Readiness means the proxy listener accepts connections: the first `/readyz` that finds it
//! accepting records that, so orchestrators never route traffic to a gateway still binding.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use async_trait::async_trait;
use canongate_policy::problem::{self, Problem, ProblemKind};
use canongate_policy::throttle::ManualClock;
use http::{Response, StatusCode};
use pingora::apps::http_app::ServeHttp;
use pingora::protocols::http::ServerSession;
use serde_json::{Value, json};

use crate::follow::Contact;
use crate::metrics::Metrics;
use crate::reload::ReloadStatus;
use crate::runtime::SharedRuntime;

/// Where the served document comes from, as `/readyz` reports it.
pub enum DocumentSource {
    /// A document file: `{"file": PATH}`.
    File(PathBuf),
    /// A control plane: its URL, this gateway's id, the last contact and the last error.
    ControlPlane(Arc<Contact>),
}

impl DocumentSource {
    fn to_json(&self) -> Value {
        match self {
            Self::File(path) => json!({"file": path.display().to_string()}),
            Self::ControlPlane(contact) => contact.to_json(),
        }
    }
}

/// The ops HTTP application.
pub struct OpsApp {
    runtime: SharedRuntime,
    metrics: Arc<Metrics>,
    reloads: Arc<ReloadStatus>,
    source: DocumentSource,
    proxy_address: SocketAddr,
    proxy_accepting: AtomicBool,
    manual_clock: Option<ManualClock>,
}

impl OpsApp {
    /// Serves health for the proxy listening on `proxy_address`, whose document comes from
    /// `source`.
    pub fn new(
        runtime: SharedRuntime,
        metrics: Arc<Metrics>,
        reloads: Arc<ReloadStatus>,
        source: DocumentSource,
        proxy_address: SocketAddr,
        manual_clock: Option<ManualClock>,
    ) -> Self {
        Self {
            runtime,
            metrics,
            reloads,
            source,
            proxy_address,
            proxy_accepting: AtomicBool::new(false),
            manual_clock,
        }
    }

    async fn proxy_is_accepting(&self) -> bool {
        if self.proxy_accepting.load(Ordering::Relaxed) {
            return true;
        }
        let accepting = tokio::net::TcpStream::connect(reachable(self.proxy_address))
            .await
            .is_ok();
        self.proxy_accepting.store(accepting, Ordering::Relaxed);
        accepting
    }

    async fn readiness(&self) -> Response<Vec<u8>> {
        let runtime = self.runtime.load();
        let accepting = self.proxy_is_accepting().await;
        let body = json!({
            "status": if accepting { "ready" } else { "starting" },
            "revision": runtime.snapshot.revision,
            "apis": runtime.snapshot.apis.iter().map(|api| json!({
                "name": api.name,
                "base_path": api.base_path,
                "default_version": api.default_major.map(|major| format!("v{major}")),
                "versions": api.versions.iter().map(|version| json!({
                    "version": version.label(),
                    "contract_version": version.contract_version,
                    "lifecycle": version.lifecycle.as_str(),
                })).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
            "source": self.source.to_json(),
            "last_reload": self.reloads.to_json(),
            "jwks": runtime.snapshot.auth.jwks_status().iter().map(|status| json!({
                "issuer": status.issuer,
                "url": status.url,
                "keys": status.keys,
                "last_success_unix": status.last_success_unix,
                "last_error": status.last_error,
            })).collect::<Vec<_>>(),
        });
        let status = if accepting {
            StatusCode::OK
        } else {
            StatusCode::SERVICE_UNAVAILABLE
        };
        respond(
            status,
            "application/json",
            serde_json::to_vec_pretty(&body).unwrap_or_default(),
        )
    }
}

/// `/debug/clock` (only with `--manual-clock`): `POST ?advance=1500ms` moves the limiters'
/// clock forward; both `GET` and `POST` answer the clock's reading.
fn advance_clock(clock: &ManualClock, post: bool, query: Option<&str>) -> Response<Vec<u8>> {
    if post {
        let by = query
            .and_then(|query| query.strip_prefix("advance="))
            .map(canongate_policy::duration::parse);
        match by {
            Some(Ok(by)) => clock.advance(by),
            _ => {
                let problem = Problem::new(
                    ProblemKind::MalformedRequest,
                    "POST /debug/clock?advance=<duration>, e.g. advance=1500ms",
                );
                return respond(
                    StatusCode::BAD_REQUEST,
                    problem::CONTENT_TYPE,
                    problem.to_json(),
                );
            }
        }
    }
    let body = json!({
        "elapsed_ms": clock.elapsed().as_millis() as u64,
        "unix": clock.unix_secs(),
    });
    respond(
        StatusCode::OK,
        "application/json",
        body.to_string().into_bytes(),
    )
}

/// A connectable form of a listening address (wildcards become loopback).
fn reachable(address: SocketAddr) -> SocketAddr {
    match address.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => {
            SocketAddr::new(Ipv4Addr::LOCALHOST.into(), address.port())
        }
        IpAddr::V6(ip) if ip.is_unspecified() => {
            SocketAddr::new(Ipv6Addr::LOCALHOST.into(), address.port())
        }
        _ => address,
    }
}

fn respond(status: StatusCode, content_type: &str, body: Vec<u8>) -> Response<Vec<u8>> {
    Response::builder()
        .status(status)
        .header(http::header::CONTENT_TYPE, content_type)
        .header(http::header::CONTENT_LENGTH, body.len())
        .header(http::header::CACHE_CONTROL, "no-store")
        .body(body)
        .unwrap_or_default()
}

#[async_trait]
impl ServeHttp for OpsApp {
    async fn response(&self, session: &mut ServerSession) -> Response<Vec<u8>> {
        let request = session.req_header();
        if let (Some(clock), "/debug/clock") = (&self.manual_clock, request.uri.path()) {
            return advance_clock(
                clock,
                request.method == http::Method::POST,
                request.uri.query(),
            );
        }
        if request.method != http::Method::GET && request.method != http::Method::HEAD {
            let problem = Problem::new(
                ProblemKind::MethodNotAllowed,
                "the ops endpoints are read-only",
            );
            let mut response = respond(
                StatusCode::METHOD_NOT_ALLOWED,
                problem::CONTENT_TYPE,
                problem.to_json(),
            );
            response.headers_mut().insert(
                http::header::ALLOW,
                http::HeaderValue::from_static("GET, HEAD"),
            );
            return response;
        }
        match request.uri.path() {
            "/healthz" => respond(
                StatusCode::OK,
                "application/json",
                br#"{"status":"ok"}"#.to_vec(),
            ),
            "/readyz" => self.readiness().await,
            "/metrics" => {
                let cache = self.runtime.load().snapshot.auth.token_cache_stats();
                self.metrics
                    .set_token_cache(cache.hits, cache.misses, cache.entries);
                respond(
                    StatusCode::OK,
                    "text/plain; version=0.0.4",
                    self.metrics.render(),
                )
            }
            path => {
                let problem = Problem::new(
                    ProblemKind::NoRoute,
                    format!("{path} is not an ops endpoint; try /healthz, /readyz or /metrics"),
                );
                respond(
                    StatusCode::NOT_FOUND,
                    problem::CONTENT_TYPE,
                    problem.to_json(),
                )
            }
        }
    }
}
