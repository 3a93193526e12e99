//! The Pingora `ProxyHttp` of the data plane. It only sequences steps; the decisions live in
//! `canongate-policy`.
//!
//! | phase | work |
//! |---|---|
//! | `new_ctx` | load the current runtime once (one atomic load) |
//! | `early_request_filter` | HTTP/1.1 pipelining, request id, W3C trace context |
//! | `request_filter` | request-head rules, route and version, lifecycle, admission (credentials, consumer, subscription, scopes, tier limits) |
//! | `upstream_peer` | round-robin endpoint of the operation's system |
//! | `upstream_request_filter` | the system's request head ([`forward`]): canonical -> system path, `Host`, consumer credentials removed, identity and trace headers |
//! | `response_filter` | `X-Request-Id`, `RateLimit-Policy`/`RateLimit`; `Deprecation`, `Sunset` and the successor `Link` for deprecated versions |
//! | `fail_to_proxy` | every failure becomes problem+json |
//! | `logging` | access log and metrics |

use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use canongate_policy::config::Lifecycle;
use canongate_policy::consumers::ConsumerIndex;
use canongate_policy::framing;
use canongate_policy::problem::{Problem, ProblemKind};
use canongate_policy::routing::OperationIndex;
use canongate_policy::snapshot::{Operation, Snapshot};
use canongate_policy::throttle::{Permit, RateLimitHeaders};
use canongate_policy::tracing_context::{self, TraceParent};
use canongate_policy::versioning::{self, Resolution};
use pingora::http::RequestHeader;
use pingora::prelude::*;
use pingora::protocols::http::ServerSession;
use pingora::proxy::{FailToProxy, ProxyHttp, Session};
use pingora::{ErrorSource, ErrorType};

use crate::admission::{self, Refusal};
use crate::forward::{self, Forwarding};
use crate::metrics::{Metrics, RequestLabels};
use crate::respond::{Connection, send_problem};
use crate::runtime::{Runtime, SharedRuntime};

/// The data-plane proxy.
pub struct Gateway {
    runtime: SharedRuntime,
    metrics: Arc<Metrics>,
}

impl Gateway {
    /// A proxy serving whatever runtime `runtime` holds at each request.
    pub fn new(runtime: SharedRuntime, metrics: Arc<Metrics>) -> Self {
        Self { runtime, metrics }
    }
}

/// Per-request state shared across phases.
pub struct RequestContext {
    runtime: Arc<Runtime>,
    started: Instant,
    request_id: String,
    trace: TraceParent,
    operation: Option<OperationIndex>,
    prefix_len: usize,
    endpoint: Option<usize>,
    connect_attempts: usize,
    upstream_error: Option<&'static str>,
    consumer: Option<ConsumerIndex>,
    permit: Option<Permit>,
    rate_limit: Option<RateLimitHeaders>,
}

impl RequestContext {
    fn operation(&self) -> Option<&Operation> {
        self.operation
            .map(|index| self.runtime.snapshot.operation(index))
    }
}

/// Whether the client sent (or announced) a body that nobody has read.
fn has_request_body(session: &Session) -> bool {
    let headers = &session.req_header().headers;
    headers.contains_key(http::header::TRANSFER_ENCODING)
        || headers
            .get(http::header::CONTENT_LENGTH)
            .is_some_and(|value| value.as_bytes() != b"0")
}

/// Connection handling after an early answer: never leave an unread body on a kept connection.
fn after_early_answer(session: &Session) -> Connection {
    if has_request_body(session) {
        Connection::Close
    } else {
        Connection::KeepAlive
    }
}

#[async_trait]
impl ProxyHttp for Gateway {
    type CTX = RequestContext;

    /// No downstream modules: the gateway does not compress, so it skips their per-request cost.
    fn init_downstream_modules(&self, _modules: &mut pingora::modules::http::HttpModules) {}

    fn new_ctx(&self) -> Self::CTX {
        RequestContext {
            runtime: self.runtime.load_full(),
            started: Instant::now(),
            request_id: String::new(),
            trace: TraceParent::root(0, 0),
            operation: None,
            prefix_len: 0,
            endpoint: None,
            connect_attempts: 0,
            upstream_error: None,
            consumer: None,
            permit: None,
            rate_limit: None,
        }
    }

    async fn early_request_filter(&self, session: &mut Session, ctx: &mut Self::CTX) -> Result<()> {
        // Serve pipelined HTTP/1.1 requests in order instead of dropping all but the first.
        if let ServerSession::H1(h1) = session.as_downstream_mut() {
            h1.set_pipelining_enabled(true);
        }
        let headers = &session.req_header().headers;
        ctx.request_id = match headers.get("x-request-id") {
            Some(value) if tracing_context::is_acceptable_request_id(value.as_bytes()) => {
                String::from_utf8_lossy(value.as_bytes()).into_owned()
            }
            _ => tracing_context::new_request_id(rand::random()),
        };
        let span_id = rand::random();
        ctx.trace = match headers
            .get("traceparent")
            .and_then(|v| TraceParent::parse(v.as_bytes()))
        {
            Some(parent) => parent.child(span_id),
            None => TraceParent::root(rand::random(), span_id),
        };
        Ok(())
    }

    async fn request_filter(&self, session: &mut Session, ctx: &mut Self::CTX) -> Result<bool> {
        let runtime = ctx.runtime.clone();
        let snapshot = &runtime.snapshot;
        let head = session.as_downstream().to_h1_raw();
        if let Err(violation) = framing::check_request_head(&head, &snapshot.http) {
            let problem = Problem::new(
                ProblemKind::for_framing_status(violation.status),
                violation.detail,
            );
            send_problem(session, problem, &ctx.request_id, &[], Connection::Close).await?;
            return Ok(true);
        }
        let refusal = match route(snapshot, session, ctx) {
            Ok(operation) => match admission::admit(&runtime, session, operation).await {
                Ok(admitted) => {
                    ctx.consumer = admitted.consumer;
                    ctx.permit = admitted.permit;
                    ctx.rate_limit = admitted.rate_limit;
                    return Ok(false);
                }
                Err(refusal) => {
                    ctx.consumer = refusal.consumer;
                    refusal
                }
            },
            Err(refusal) => refusal,
        };
        let connection = after_early_answer(session);
        let headers: Vec<(&'static str, &str)> = refusal
            .headers
            .iter()
            .map(|(name, value)| (*name, value.as_str()))
            .collect();
        send_problem(
            session,
            refusal.problem,
            &ctx.request_id,
            &headers,
            connection,
        )
        .await?;
        Ok(true)
    }

    async fn upstream_peer(
        &self,
        _session: &mut Session,
        ctx: &mut Self::CTX,
    ) -> Result<Box<HttpPeer>> {
        let Some(operation) = ctx.operation() else {
            return Error::e_explain(InternalError, "no operation was matched");
        };
        let peers = &ctx.runtime.peers[operation.system];
        // A retry after a failed connect goes to the next endpoint, not wherever the shared
        // round-robin counter points.
        let (endpoint, mut peer) = match ctx.endpoint {
            Some(failed) => peers.peer_after(failed),
            None => peers.next_peer(),
        };
        let snapshot = &ctx.runtime.snapshot;
        let tier_timeout = ctx.consumer.and_then(|consumer| {
            snapshot
                .throttle
                .upstream_timeout(snapshot.consumers.get(consumer).tier)
        });
        if let Some(tier_timeout) = tier_timeout {
            let read_timeout = peer
                .options
                .read_timeout
                .map_or(tier_timeout, |t| t.min(tier_timeout));
            peer.options.read_timeout = Some(read_timeout);
        }
        ctx.endpoint = Some(endpoint);
        ctx.connect_attempts += 1;
        Ok(peer)
    }

    fn fail_to_connect(
        &self,
        _session: &mut Session,
        _peer: &HttpPeer,
        ctx: &mut Self::CTX,
        mut error: Box<Error>,
    ) -> Box<Error> {
        // Nothing was sent yet, so another endpoint of the same system may be tried once each.
        let endpoints = ctx
            .operation()
            .map_or(0, |op| ctx.runtime.peers[op.system].len());
        error.set_retry(ctx.connect_attempts < endpoints);
        error
    }

    async fn upstream_request_filter(
        &self,
        session: &mut Session,
        upstream_request: &mut RequestHeader,
        ctx: &mut Self::CTX,
    ) -> Result<()> {
        let (Some(operation), Some(endpoint)) = (ctx.operation(), ctx.endpoint) else {
            return Error::e_explain(InternalError, "no operation was matched");
        };
        let uri = &session.req_header().uri;
        let mut target = operation.upstream_path(uri.path(), ctx.prefix_len);
        if let Some(query) = uri.query() {
            target.push('?');
            target.push_str(query);
        }
        let snapshot = &ctx.runtime.snapshot;
        let forwarding = Forwarding {
            host: ctx.runtime.peers[operation.system].host(endpoint),
            client_ip: session
                .client_addr()
                .and_then(|addr| addr.as_inet())
                .map(|addr| addr.ip()),
            api_key_header: snapshot.auth.api_key_header(),
            consumer: ctx.consumer.map(|index| {
                let consumer = snapshot.consumers.get(index);
                (consumer.id.as_str(), consumer.system.as_str())
            }),
            request_id: &ctx.request_id,
            traceparent: ctx.trace.to_header(),
        };
        *upstream_request =
            forward::system_request(upstream_request, target.as_bytes(), forwarding)?;
        Ok(())
    }

    async fn response_filter(
        &self,
        _session: &mut Session,
        upstream_response: &mut pingora::http::ResponseHeader,
        ctx: &mut Self::CTX,
    ) -> Result<()> {
        upstream_response.insert_header("x-request-id", &ctx.request_id)?;
        if let Some(headers) = &ctx.rate_limit {
            for (name, value) in admission::rate_limit_fields(headers) {
                upstream_response.insert_header(name, value)?;
            }
        }
        if let Some(operation) = ctx.operation()
            && operation.lifecycle == Lifecycle::Deprecated
        {
            let fields = &ctx.runtime.snapshot.version_of(operation).deprecation;
            if let Some(value) = &fields.deprecation {
                upstream_response.insert_header("deprecation", value)?;
            }
            if let Some(value) = &fields.sunset {
                upstream_response.insert_header("sunset", value)?;
            }
            // `Link` is a list: the system's own links stay.
            if let Some(value) = &fields.successor_link {
                upstream_response.append_header(http::header::LINK, value)?;
            }
        }
        Ok(())
    }

    async fn fail_to_proxy(
        &self,
        session: &mut Session,
        error: &Error,
        ctx: &mut Self::CTX,
    ) -> FailToProxy {
        let (kind, detail) = classify(error, ctx);
        let Some(kind) = kind else {
            return FailToProxy {
                error_code: 0,
                can_reuse_downstream: false,
            };
        };
        let status = kind.status();
        if session.response_written().is_none() {
            let problem = Problem::new(kind, detail);
            let fields: Vec<(&'static str, String)> = ctx
                .rate_limit
                .as_ref()
                .map(|headers| admission::rate_limit_texts(headers).collect())
                .unwrap_or_default();
            let headers: Vec<(&'static str, &str)> = fields
                .iter()
                .map(|(name, value)| (*name, value.as_str()))
                .collect();
            if let Err(write_error) = send_problem(
                session,
                problem,
                &ctx.request_id,
                &headers,
                Connection::Close,
            )
            .await
            {
                tracing::debug!(error = %write_error, "cannot send the error response");
            }
        }
        FailToProxy {
            error_code: status,
            can_reuse_downstream: false,
        }
    }

    async fn logging(&self, session: &mut Session, error: Option<&Error>, ctx: &mut Self::CTX) {
        let status = session
            .response_written()
            .map_or(0, |response| response.status.as_u16());
        let elapsed = ctx.started.elapsed();
        let operation = ctx.operation();
        let labels = operation.map_or(RequestLabels::UNMATCHED, |op| RequestLabels {
            api: &op.api,
            version: &op.version,
            operation: &op.operation_id,
        });
        self.metrics.observe_request(labels, status, elapsed);
        let upstream = match (operation, ctx.endpoint) {
            (Some(op), Some(endpoint)) => ctx.runtime.peers[op.system].label(endpoint),
            _ => "",
        };
        if let (Some(kind), Some(op)) = (ctx.upstream_error, operation) {
            self.metrics
                .upstream_error(&ctx.runtime.snapshot.systems[op.system].name, kind);
        }
        let request = session.req_header();
        tracing::info!(
            target: "canongate::access",
            request_id = %ctx.request_id,
            consumer = ctx.consumer.map_or("", |index| ctx.runtime.snapshot.consumers.get(index).id.as_str()),
            method = %request.method,
            path = request.uri.path(),
            api = labels.api,
            version = labels.version,
            operation = labels.operation,
            status,
            upstream,
            duration_ms = elapsed.as_secs_f64() * 1000.0,
            trace_id = %format_args!("{:032x}", ctx.trace.trace_id),
            error = error.map(|e| e.etype().as_str()).unwrap_or(""),
        );
    }
}

/// Resolves the request to a callable operation, or the refusal for it (no route, wrong method,
/// unknown or retired version).
fn route<'a>(
    snapshot: &'a Snapshot,
    session: &Session,
    ctx: &mut RequestContext,
) -> std::result::Result<&'a Operation, Refusal> {
    let request = session.req_header();
    let path = request.uri.path();
    let api_version = request
        .headers
        .get("api-version")
        .map(|value| value.as_bytes());
    let refusal = |kind, detail: String| Refusal::new(kind, detail);
    match versioning::resolve(snapshot, &request.method, path, api_version) {
        Resolution::Found {
            operation: index,
            prefix_len,
        } => {
            ctx.operation = Some(index);
            ctx.prefix_len = prefix_len;
            let operation = snapshot.operation(index);
            if operation.lifecycle != Lifecycle::Retired {
                return Ok(operation);
            }
            let api = &snapshot.apis[operation.api_index];
            Err(refusal(
                ProblemKind::VersionRetired,
                format!(
                    "{} {} was retired; callable versions: {}",
                    operation.api,
                    operation.version,
                    api.callable_versions()
                ),
            ))
        }
        Resolution::MethodNotAllowed { allow } => {
            let mut refused = refusal(
                ProblemKind::MethodNotAllowed,
                format!(
                    "{} is not allowed on {path}; allowed: {allow}",
                    request.method
                ),
            );
            refused.headers.push(("allow", allow.to_owned()));
            Err(refused)
        }
        Resolution::NotFound => Err(refusal(
            ProblemKind::NoRoute,
            format!(
                "{} {path} matches no operation of any served API",
                request.method
            ),
        )),
        Resolution::UnknownVersion { api, requested } => Err(refusal(
            ProblemKind::UnknownVersion,
            format!(
                "API `{}` has no version {requested}; callable versions: {}",
                api.name,
                api.callable_versions()
            ),
        )),
        Resolution::VersionRequired { api } => Err(refusal(
            ProblemKind::VersionRequired,
            format!(
                "API `{}` needs a version: call {}/v{{major}}/… or send `Api-Version`; callable versions: {}",
                api.name,
                api.base_path,
                api.callable_versions()
            ),
        )),
        Resolution::InvalidVersionHeader { api } => Err(refusal(
            ProblemKind::VersionRequired,
            format!(
                "`Api-Version` must be a major version such as `2` or `v2`; callable versions of `{}`: {}",
                api.name,
                api.callable_versions()
            ),
        )),
    }
}

/// Maps a proxy failure to the problem the client gets (`None`: the client is gone).
fn classify(error: &Error, ctx: &mut RequestContext) -> (Option<ProblemKind>, String) {
    let system = ctx
        .operation()
        .map(|op| ctx.runtime.snapshot.systems[op.system].name.clone())
        .unwrap_or_default();
    match (error.esource(), error.etype()) {
        (_, ErrorType::HTTPStatus(code)) if *code == 504 => {
            ctx.upstream_error = Some("timeout");
            (
                Some(ProblemKind::UpstreamTimeout),
                format!("system `{system}` did not answer in time"),
            )
        }
        (ErrorSource::Upstream, ErrorType::ConnectTimedout) => {
            ctx.upstream_error = Some("connect");
            (
                Some(ProblemKind::UpstreamUnavailable),
                format!("system `{system}` did not accept a connection within the connect timeout"),
            )
        }
        (
            ErrorSource::Upstream,
            ErrorType::ConnectRefused | ErrorType::ConnectNoRoute | ErrorType::ConnectError,
        ) => {
            ctx.upstream_error = Some("connect");
            (
                Some(ProblemKind::UpstreamUnavailable),
                format!("system `{system}` refused the connection"),
            )
        }
        (
            ErrorSource::Upstream,
            ErrorType::TLSHandshakeFailure
            | ErrorType::TLSHandshakeTimedout
            | ErrorType::InvalidCert
            | ErrorType::HandshakeError,
        ) => {
            ctx.upstream_error = Some("tls");
            (
                Some(ProblemKind::UpstreamUnavailable),
                format!("TLS with system `{system}` failed"),
            )
        }
        (ErrorSource::Upstream, ErrorType::ReadTimedout | ErrorType::WriteTimedout) => {
            ctx.upstream_error = Some("timeout");
            (
                Some(ProblemKind::UpstreamTimeout),
                format!("system `{system}` did not answer in time"),
            )
        }
        (ErrorSource::Upstream, _) => {
            ctx.upstream_error = Some("protocol");
            (
                Some(ProblemKind::UpstreamUnavailable),
                format!("system `{system}` sent an invalid or incomplete response"),
            )
        }
        (
            ErrorSource::Downstream,
            ErrorType::ReadError | ErrorType::WriteError | ErrorType::ConnectionClosed,
        ) => (None, String::new()),
        (ErrorSource::Downstream, ErrorType::ReadTimedout) => (None, String::new()),
        (ErrorSource::Downstream, ErrorType::InvalidHTTPHeader) => (
            Some(ProblemKind::MalformedRequest),
            "the request's header fields cannot be forwarded (e.g. `Connection` names a protected field)"
                .to_owned(),
        ),
        (ErrorSource::Downstream, _) => (
            Some(ProblemKind::MalformedRequest),
            "the request body is not framed correctly".to_owned(),
        ),
        _ => (
            Some(ProblemKind::Internal),
            "the gateway failed to handle the request".to_owned(),
        ),
    }
}
