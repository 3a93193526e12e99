//! Talking to systems: refused connections and slow systems become 502/504 problems in bounded
//! time, several base URLs are used round-robin with a retry on the next one when an endpoint
//! refuses, and HTTPS systems are verified against the configured CA and server name.

use std::time::{Duration, Instant};

use canongate_tests::document::{self, Document};
use canongate_tests::gateway::{Gateway, client};
use canongate_tests::mock::{MockSystem, TlsIdentity};
use canongate_tests::{expect_problem, free_address};
use serde_json::Value;

const LIST: &str = "/inventory/v1/stock-levels";

#[test]
fn a_refused_connection_is_502_well_within_the_connect_timeout() {
    let closed = format!("http://{}", free_address());
    let document = Document::new();
    document.write(&document::inventory(&[&closed], &["connect_timeout: 5s"]));
    let gateway = document.start(&[]);
    for _ in 0..3 {
        let started = Instant::now();
        let response = client().get(gateway.url(LIST)).send().expect("request");
        let elapsed = started.elapsed();
        let problem = expect_problem(response, 502, "upstream-unavailable");
        assert!(elapsed < Duration::from_secs(1), "502 took {elapsed:?}");
        assert!(
            problem["detail"]
                .as_str()
                .unwrap_or_default()
                .contains("erp"),
            "{problem}"
        );
    }
}

#[test]
fn every_endpoint_refusing_is_one_502() {
    let (first, second) = (
        format!("http://{}", free_address()),
        format!("http://{}", free_address()),
    );
    let document = Document::new();
    document.write(&document::inventory(
        &[&first, &second],
        &["connect_timeout: 5s"],
    ));
    let gateway = document.start(&[]);
    let started = Instant::now();
    let response = client().get(gateway.url(LIST)).send().expect("request");
    expect_problem(response, 502, "upstream-unavailable");
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "502 took {:?}",
        started.elapsed()
    );
    gateway.wait_for_metric(
        "canongate_upstream_errors_total",
        &[("kind", "connect"), ("system", "erp")],
        1.0,
    );
}

#[test]
fn a_slow_system_is_504_at_the_read_timeout() {
    let mock = MockSystem::start("erp", Duration::from_secs(3));
    let document = Document::new();
    document.write(&document::inventory(
        &[&mock.base_url()],
        &["read_timeout: 300ms"],
    ));
    let gateway = document.start(&[]);
    let started = Instant::now();
    let response = client().get(gateway.url(LIST)).send().expect("request");
    let elapsed = started.elapsed();
    expect_problem(response, 504, "upstream-timeout");
    assert!(
        elapsed >= Duration::from_millis(300),
        "504 came before the read timeout: {elapsed:?}"
    );
    assert!(elapsed < Duration::from_secs(2), "504 took {elapsed:?}");
    gateway.wait_for_metric(
        "canongate_upstream_errors_total",
        &[("kind", "timeout"), ("system", "erp")],
        1.0,
    );
}

#[test]
fn several_base_urls_are_used_round_robin() {
    let (first, second) = (
        MockSystem::start("erp-a", Duration::ZERO),
        MockSystem::start("erp-b", Duration::ZERO),
    );
    let document = Document::new();
    document.write(&document::inventory(
        &[&first.base_url(), &second.base_url()],
        &[],
    ));
    let gateway = document.start(&[]);
    let mut answered_by = Vec::new();
    for _ in 0..10 {
        let echo: Value = client()
            .get(gateway.url(LIST))
            .send()
            .expect("request")
            .json()
            .expect("echo");
        answered_by.push(echo["system"].as_str().unwrap_or_default().to_owned());
    }
    assert_eq!(
        (first.requests().len(), second.requests().len()),
        (5, 5),
        "{answered_by:?}"
    );
    assert!(
        answered_by.windows(2).all(|pair| pair[0] != pair[1]),
        "strict alternation: {answered_by:?}"
    );
}

#[test]
fn a_refusing_endpoint_is_retried_on_the_next_one() {
    let live = MockSystem::start("erp", Duration::ZERO);
    let dead = format!("http://{}", free_address());
    let document = Document::new();
    document.write(&document::inventory(&[&dead, &live.base_url()], &[]));
    let gateway = document.start(&[]);
    for attempt in 0..6 {
        let response = client().get(gateway.url(LIST)).send().expect("request");
        assert_eq!(response.status(), 200, "request {attempt}");
    }
    assert_eq!(live.requests().len(), 6);
}

/// A request through a gateway to one HTTPS mock whose CA the document trusts when
/// `trust_the_ca` is set (server name `localhost` either way).
fn https_case(trust_the_ca: bool) -> (MockSystem, Gateway, reqwest::blocking::Response) {
    let identity = TlsIdentity::localhost();
    let mock = MockSystem::start_tls("erp", &identity);
    let document = Document::new();
    std::fs::write(document.dir().join("ca.pem"), &identity.certificate_pem).expect("write CA");
    let tls = if trust_the_ca {
        "tls: {sni: localhost, ca_file: ca.pem}"
    } else {
        "tls: {sni: localhost}"
    };
    document.write(&document::inventory(
        &[&mock.base_url()],
        &[tls, "connect_timeout: 2s"],
    ));
    let gateway = document.start(&[]);
    let response = client().get(gateway.url(LIST)).send().expect("request");
    (mock, gateway, response)
}

#[test]
fn an_https_system_is_reached_with_its_ca_and_server_name() {
    let (mock, _gateway, response) = https_case(true);
    assert_eq!(response.status(), 200);
    let echo: Value = response.json().expect("echo");
    assert_eq!(echo["target"], "/erp/inventory/stock-levels");
    assert_eq!(mock.requests().len(), 1);
}

#[test]
fn an_https_system_with_an_untrusted_certificate_is_502() {
    let (mock, _gateway, response) = https_case(false);
    expect_problem(response, 502, "upstream-unavailable");
    assert!(
        mock.requests().is_empty(),
        "no request went over the untrusted connection"
    );
}
