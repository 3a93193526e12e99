//! The ops listener (`/healthz`, `/readyz`, `/metrics`) and the access log, as seen after real
//! requests through the proxy.

use std::time::Duration;

use canongate_tests::document::{self, Document};
use canongate_tests::free_address;
use canongate_tests::gateway::{Gateway, client, sample};
use canongate_tests::mock::MockSystem;
use serde_json::{Value, json};

const LIST: &str = "/inventory/v1/stock-levels";

/// A gateway with revision `ops` serving inventory from `mock` and product from a closed port.
fn gateway(mock: &MockSystem) -> Gateway {
    let document = Document::new();
    let closed = format!("http://{}", free_address());
    let body = document::body(
        &[
            document::system("erp", &[&mock.base_url()], &[]),
            document::system("pim", &[&closed], &[]),
        ],
        &[
            document::api(
                "inventory",
                &canongate_tests::canonical_contract("inventory"),
                "published",
                "erp",
                "/erp/inventory",
            ),
            document::api(
                "product",
                &canongate_tests::canonical_contract("product"),
                "deprecated",
                "pim",
                "",
            ),
        ],
    );
    document.write(&format!("revision: ops\n{body}"));
    document.start(&[])
}

fn ops_get(gateway: &Gateway, path: &str) -> reqwest::blocking::Response {
    client()
        .get(format!("http://{}{path}", gateway.ops))
        .send()
        .expect("ops request")
}

#[test]
fn health_and_readiness_describe_the_running_revision() {
    let mock = MockSystem::start("erp", Duration::ZERO);
    let gateway = gateway(&mock);
    let health = ops_get(&gateway, "/healthz");
    assert_eq!(health.status(), 200);
    assert_eq!(health.json::<Value>().expect("json")["status"], "ok");

    let ready = ops_get(&gateway, "/readyz");
    assert_eq!(ready.status(), 200);
    let ready: Value = ready.json().expect("json");
    assert_eq!(ready["status"], "ready");
    assert_eq!(ready["revision"], "ops");
    assert_eq!(ready["last_reload"], Value::Null);
    assert_eq!(
        ready["apis"],
        json!([
            {"name": "inventory", "base_path": "/inventory", "default_version": "v1", "versions": [{"version": "v1", "contract_version": "1.0.0", "lifecycle": "published"}]},
            {"name": "product", "base_path": "/product", "default_version": "v1", "versions": [{"version": "v1", "contract_version": "1.0.0", "lifecycle": "deprecated"}]},
        ])
    );

    let unknown = ops_get(&gateway, "/nope");
    assert_eq!(unknown.status(), 404);
    assert_eq!(
        unknown.json::<Value>().expect("problem")["type"],
        "urn:canongate:problem:no-route"
    );
    let post = client()
        .post(format!("http://{}/readyz", gateway.ops))
        .send()
        .expect("post");
    assert_eq!(post.status(), 405);
    assert_eq!(
        post.headers().get("allow").map(|allow| allow.as_bytes()),
        Some(&b"GET, HEAD"[..])
    );
    assert_eq!(post.headers()["content-type"], "application/problem+json");
}

#[test]
fn metrics_count_requests_latency_upstream_errors_and_revision() {
    let mock = MockSystem::start("erp", Duration::ZERO);
    let gateway = gateway(&mock);
    for _ in 0..3 {
        assert_eq!(
            client()
                .get(gateway.url(LIST))
                .send()
                .expect("request")
                .status(),
            200
        );
    }
    assert_eq!(
        client()
            .get(gateway.url("/nope"))
            .send()
            .expect("request")
            .status(),
        404
    );
    assert_eq!(
        client()
            .get(gateway.url("/product/v1/products"))
            .send()
            .expect("request")
            .status(),
        502
    );

    let list = [
        ("api", "inventory"),
        ("operation", "listStockLevels"),
        ("version", "v1"),
    ];
    gateway.wait_for_metric(
        "canongate_requests_total",
        &[list.as_slice(), &[("status", "200")]].concat(),
        3.0,
    );
    let unmatched = [
        ("api", "-"),
        ("operation", "-"),
        ("version", "-"),
        ("status", "404"),
    ];
    gateway.wait_for_metric("canongate_requests_total", &unmatched, 1.0);
    let failed = [
        ("api", "product"),
        ("operation", "listProducts"),
        ("version", "v1"),
        ("status", "502"),
    ];
    gateway.wait_for_metric("canongate_requests_total", &failed, 1.0);
    gateway.wait_for_metric(
        "canongate_upstream_errors_total",
        &[("kind", "connect"), ("system", "pim")],
        1.0,
    );

    let metrics = gateway.metrics();
    let all = [list.as_slice(), &[("le", "+Inf")]].concat();
    assert_eq!(
        sample(&metrics, "canongate_request_duration_seconds_bucket", &all),
        Some(3.0),
        "{metrics}"
    );
    assert_eq!(
        sample(&metrics, "canongate_request_duration_seconds_count", &list),
        Some(3.0)
    );
    assert_eq!(
        sample(
            &metrics,
            "canongate_config_revision_info",
            &[("revision", "ops")]
        ),
        Some(1.0)
    );
    assert_eq!(
        sample(
            &metrics,
            "canongate_upstream_errors_total",
            &[("system", "erp")]
        ),
        None,
        "erp never failed"
    );
}

#[test]
fn every_request_gets_one_access_log_line() {
    let mock = MockSystem::start("erp", Duration::ZERO);
    let gateway = gateway(&mock);
    let trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    let response = client()
        .get(gateway.url(&format!("{LIST}?limit=1")))
        .header("x-request-id", "access-log-1")
        .header("traceparent", format!("00-{trace}-00f067aa0ba902b7-01"))
        .send()
        .expect("request");
    assert_eq!(response.status(), 200);
    client()
        .get(gateway.url("/nope"))
        .header("x-request-id", "access-log-2")
        .send()
        .expect("request");

    let line = gateway.wait_for_log("access-log-1");
    let entry: Value =
        serde_json::from_str(&line).unwrap_or_else(|error| panic!("{error}: {line}"));
    assert_eq!(entry["target"], "canongate::access", "{entry}");
    assert_eq!(entry["request_id"], "access-log-1");
    assert_eq!(entry["method"], "GET");
    assert_eq!(entry["path"], LIST);
    assert_eq!(entry["api"], "inventory");
    assert_eq!(entry["version"], "v1");
    assert_eq!(entry["operation"], "listStockLevels");
    assert_eq!(entry["status"], 200);
    assert_eq!(entry["upstream"], mock.base_url());
    assert_eq!(entry["trace_id"], trace);
    assert!(
        entry["duration_ms"].as_f64().is_some_and(|ms| ms >= 0.0),
        "{entry}"
    );

    let line = gateway.wait_for_log("access-log-2");
    let entry: Value = serde_json::from_str(&line).expect("json line");
    assert_eq!(
        (entry["status"].as_u64(), entry["path"].as_str()),
        (Some(404), Some("/nope"))
    );
    let lines = gateway
        .logs()
        .lines()
        .filter(|line| line.contains("\"canongate::access\""))
        .count();
    assert_eq!(lines, 2, "one access line per request");
}
