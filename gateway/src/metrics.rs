//! Prometheus metrics of the data plane: requests, latency, upstream errors, reloads.
//!
//! One registry per process, rendered by the ops listener at `/metrics`. Label values come from
//! the snapshot (API, version, operationId), so their number is bounded by the contracts;
//! requests that match no operation are counted under `-`.

use std::time::Duration;

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, Registry, TextEncoder,
};

/// Label value for requests that matched no operation.
pub const UNMATCHED: &str = "-";

/// The gateway's metric families.
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    duration: HistogramVec,
    upstream_errors: IntCounterVec,
    reloads: IntCounterVec,
    revision: IntGaugeVec,
    token_cache: IntGaugeVec,
}

/// Labels of one request.
#[derive(Debug, Clone, Copy)]
pub struct RequestLabels<'a> {
    /// API name.
    pub api: &'a str,
    /// Version label (`v1`).
    pub version: &'a str,
    /// operationId.
    pub operation: &'a str,
}

impl RequestLabels<'_> {
    /// Labels for a request that matched no operation.
    pub const UNMATCHED: RequestLabels<'static> = RequestLabels {
        api: UNMATCHED,
        version: UNMATCHED,
        operation: UNMATCHED,
    };
}

impl Metrics {
    /// Creates and registers every family.
    pub fn new() -> Self {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new(
                "canongate_requests_total",
                "Requests answered, by operation and status.",
            ),
            &["api", "version", "operation", "status"],
        )
        .expect("valid metric");
        let duration = HistogramVec::new(
            HistogramOpts::new(
                "canongate_request_duration_seconds",
                "Time from the request head to the end of the response, by operation.",
            )
            .buckets(vec![
                0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                10.0,
            ]),
            &["api", "version", "operation"],
        )
        .expect("valid metric");
        let upstream_errors = IntCounterVec::new(
            Opts::new(
                "canongate_upstream_errors_total",
                "Failures talking to systems, by kind.",
            ),
            &["system", "kind"],
        )
        .expect("valid metric");
        let reloads = IntCounterVec::new(
            Opts::new(
                "canongate_config_reloads_total",
                "Configuration reloads, by result.",
            ),
            &["result"],
        )
        .expect("valid metric");
        let revision = IntGaugeVec::new(
            Opts::new(
                "canongate_config_revision_info",
                "The active configuration revision (1).",
            ),
            &["revision"],
        )
        .expect("valid metric");
        for collector in [
            Box::new(requests.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(duration.clone()),
            Box::new(upstream_errors.clone()),
            Box::new(reloads.clone()),
            Box::new(revision.clone()),
        ] {
            registry.register(collector).expect("unique metric names");
        }
        let token_cache = IntGaugeVec::new(
            Opts::new(
                "canongate_token_cache",
                "Verified-token cache of the running revision: hits and misses since it was built, and entries.",
            ),
            &["measure"],
        )
        .expect("valid metric");
        registry
            .register(Box::new(token_cache.clone()))
            .expect("unique metric names");
        for result in ["applied", "refused"] {
            reloads.with_label_values(&[result]);
        }
        Self {
            registry,
            requests,
            duration,
            upstream_errors,
            reloads,
            revision,
            token_cache,
        }
    }

    /// Counts one answered request and its duration.
    pub fn observe_request(&self, labels: RequestLabels<'_>, status: u16, elapsed: Duration) {
        let buffer = itoa_status(status);
        let status = std::str::from_utf8(&buffer[..]).unwrap_or("0");
        self.requests
            .with_label_values(&[labels.api, labels.version, labels.operation, status])
            .inc();
        self.duration
            .with_label_values(&[labels.api, labels.version, labels.operation])
            .observe(elapsed.as_secs_f64());
    }

    /// Counts a failure towards a system (`connect`, `timeout`, `tls`, `protocol`).
    pub fn upstream_error(&self, system: &str, kind: &str) {
        self.upstream_errors
            .with_label_values(&[system, kind])
            .inc();
    }

    /// Counts a reload attempt.
    pub fn reload(&self, applied: bool) {
        self.reloads
            .with_label_values(&[if applied { "applied" } else { "refused" }])
            .inc();
    }

    /// Marks `revision` as the active one.
    pub fn set_revision(&self, revision: &str) {
        self.revision.reset();
        self.revision.with_label_values(&[revision]).set(1);
    }

    /// Records the verified-token cache's counts, read when metrics are scraped.
    pub fn set_token_cache(&self, hits: u64, misses: u64, entries: usize) {
        for (measure, value) in [
            ("hits", hits),
            ("misses", misses),
            ("entries", entries as u64),
        ] {
            self.token_cache
                .with_label_values(&[measure])
                .set(i64::try_from(value).unwrap_or(i64::MAX));
        }
    }

    /// The Prometheus text exposition of every family.
    pub fn render(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(8 * 1024);
        let encoder = TextEncoder::new();
        if let Err(error) = encoder.encode(&self.registry.gather(), &mut out) {
            tracing::error!(%error, "cannot encode metrics");
        }
        out
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

/// Three ASCII digits of a status code (statuses are always 100..=999 here).
fn itoa_status(status: u16) -> [u8; 3] {
    let status = status.min(999);
    [
        b'0' + (status / 100) as u8,
        b'0' + (status / 10 % 10) as u8,
        b'0' + (status % 10) as u8,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_requests_latency_upstream_errors_and_revision() {
        let metrics = Metrics::new();
        let labels = RequestLabels {
            api: "inventory",
            version: "v1",
            operation: "getStockLevel",
        };
        metrics.observe_request(labels, 200, Duration::from_millis(3));
        metrics.observe_request(labels, 200, Duration::from_millis(3));
        metrics.observe_request(RequestLabels::UNMATCHED, 404, Duration::from_micros(50));
        metrics.upstream_error("erp", "connect");
        metrics.set_revision("r1");
        metrics.set_revision("r2");
        let text = String::from_utf8(metrics.render()).unwrap();
        assert!(text.contains(r#"canongate_requests_total{api="inventory",operation="getStockLevel",status="200",version="v1"} 2"#), "{text}");
        assert!(
            text.contains(
                r#"canongate_requests_total{api="-",operation="-",status="404",version="-"} 1"#
            ),
            "{text}"
        );
        assert!(text.contains("canongate_request_duration_seconds_bucket"));
        assert!(text.contains(r#"canongate_upstream_errors_total{kind="connect",system="erp"} 1"#));
        assert!(text.contains(r#"canongate_config_revision_info{revision="r2"} 1"#));
        assert!(!text.contains(r#"revision="r1""#));
    }
}
