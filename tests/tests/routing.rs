//! Routing through the real binary: every operation of every canonical contract reaches its own
//! system with the rewritten target, the simulated systems answer through the gateway, targets
//! keep their exact encoding, and identity headers (request id, trace context, Host, forwarding)
//! are set on the way.

use std::time::Duration;

use canongate_simulator::System;
use canongate_tests::document::{self, Document};
use canongate_tests::gateway::client;
use canongate_tests::mock::{MockSystem, Recorded};
use canongate_tests::{canonical_contract, raw};
use reqwest::Method;
use serde_json::Value;

/// The contract's path template with every `{param}` replaced by a sample value.
fn sample_path(template: &str) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let close = rest[open..].find('}').expect("closed template parameter") + open;
        out.push_str(&rest[..open]);
        out.push_str(&format!("s-{}-42", &rest[open + 1..close]));
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    out
}

#[test]
fn every_canonical_operation_reaches_its_own_system_with_the_rewritten_target() {
    let apis = canongate_contracts::canonical::ALL.map(|(api, _)| api);
    let mocks: Vec<MockSystem> = apis
        .iter()
        .map(|api| MockSystem::start(&format!("{api}-system"), Duration::ZERO))
        .collect();
    let document = Document::new();
    let systems: Vec<String> = mocks
        .iter()
        .map(|mock| document::system(mock.name(), &[&mock.base_url()], &[]))
        .collect();
    let entries: Vec<String> = apis
        .iter()
        .map(|api| {
            let prefix = format!("/{api}-system/canonical");
            document::api(
                api,
                &canonical_contract(api),
                "published",
                &format!("{api}-system"),
                &prefix,
            )
        })
        .collect();
    document.write(&document::body(&systems, &entries));
    let gateway = document.start(&[]);
    let client = client();

    for (api, mock) in apis.iter().zip(&mocks) {
        let contract = canongate_contracts::load_file(&canonical_contract(api))
            .expect("canonical contract loads");
        assert!(!contract.operations.is_empty(), "{api} has operations");
        for operation in &contract.operations {
            let path = sample_path(&operation.path);
            let query = format!("probe={}", operation.operation_id);
            let method = Method::from_bytes(operation.method.as_str().as_bytes()).expect("method");
            let mut request = client.request(
                method,
                gateway.url(&format!("/{api}/v{}{path}?{query}", contract.major)),
            );
            if operation.request_body.is_some() {
                request = request
                    .header("content-type", "application/json")
                    .body("{}");
            }
            let response = request.send().expect("request through the gateway");
            let what = format!("{} /{api}/v{}{path}", operation.method, contract.major);
            assert_eq!(response.status(), 200, "{what}");
            assert!(
                response.headers().contains_key("x-request-id"),
                "{what} has X-Request-Id"
            );
            let echo: Value = response.json().expect("echo json");
            assert_eq!(
                echo["system"],
                mock.name(),
                "{what} went to the wrong system"
            );
            assert_eq!(echo["method"], operation.method.as_str(), "{what}");
            assert_eq!(
                echo["target"],
                format!("/{api}-system/canonical{path}?{query}"),
                "{what}"
            );
        }
        assert_eq!(
            mock.requests().len(),
            contract.operations.len(),
            "{api}: one request per operation"
        );
    }
}

#[test]
fn simulated_systems_answer_every_list_operation_through_the_gateway() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let mut systems = Vec::new();
    for system in System::all() {
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("bind");
        let base_url = format!("http://{}", listener.local_addr().expect("address"));
        runtime.spawn(canongate_simulator::serve(system, listener));
        systems.push((system, base_url));
    }
    let document = Document::new();
    let system_entries: Vec<String> = systems
        .iter()
        .map(|(system, url)| document::system(system.name(), &[url], &[]))
        .collect();
    let mut api_entries = Vec::new();
    for (system, _) in &systems {
        for api in canongate_simulator::apis(*system) {
            let prefix = canongate_simulator::path_prefix(*system, api);
            api_entries.push(document::api(
                api,
                &canonical_contract(api),
                "published",
                system.name(),
                &prefix,
            ));
        }
    }
    assert_eq!(
        api_entries.len(),
        7,
        "the simulators serve every canonical API"
    );
    document.write(&document::body(&system_entries, &api_entries));
    let gateway = document.start(&[]);
    let client = client();

    for (api, _) in canongate_contracts::canonical::ALL {
        let contract = canongate_contracts::load_file(&canonical_contract(api)).expect("contract");
        let list = contract
            .operations
            .iter()
            .find(|op| op.method.as_str() == "GET" && !op.path.contains('{'))
            .unwrap_or_else(|| panic!("{api} has a list operation"));
        let url = gateway.url(&format!("/{api}/v{}{}?limit=2", contract.major, list.path));
        let response = client.get(&url).send().expect("list request");
        assert_eq!(response.status(), 200, "GET {url}");
        let page: Value = response.json().expect("json page");
        let items = page["items"]
            .as_array()
            .unwrap_or_else(|| panic!("{url} answered {page}"));
        assert!(
            !items.is_empty() && items.len() <= 2,
            "{url} gave {} items",
            items.len()
        );
    }

    let ada = "ce204bf9-36c0-5884-af3c-2d4949988ebe";
    let response = client
        .get(gateway.url(&format!("/customer/v1/customers/{ada}")))
        .send()
        .expect("read");
    assert_eq!(response.status(), 200);
    let customer: Value = response.json().expect("customer");
    assert_eq!(customer["email"], "ada.lovelace@example.com");
}

/// A gateway on one mock system serving the inventory API under `/erp/inventory`.
fn inventory_gateway() -> (MockSystem, canongate_tests::gateway::Gateway) {
    let mock = MockSystem::start("erp", Duration::ZERO);
    let document = Document::new();
    document.write(&document::inventory(&[&mock.base_url()], &[]));
    let gateway = document.start(&[]);
    (mock, gateway)
}

#[test]
fn path_parameters_and_query_strings_keep_their_exact_encoding() {
    let (mock, gateway) = inventory_gateway();
    let cases = [
        "/stock-levels/SKU-1%2FA%2BB%40x%E2%82%AC?sku=a%2Bb&name=%E2%82%AC%20x&empty=&flag",
        "/stock-levels/SKU-1@STORE-7;v=1:'x'(y)*~!$,+=?next=/a/b?c&q=%3D%26",
        "/stock-levels/a%2eb%2Fc?%7E=%7e",
        "/stock-levels",
    ];
    for case in cases {
        let request = format!(
            "GET /inventory/v1{case} HTTP/1.1\r\nHost: gateway.test\r\n{}\r\nConnection: close\r\n\r\n",
            raw::api_key_field()
        );
        let reply = raw::exchange(gateway.proxy, request.as_bytes());
        assert_eq!(reply.statuses(), [200], "{case}: {}", reply.text);
        let recorded = mock.requests().pop().expect("a request reached the system");
        assert_eq!(recorded.target, format!("/erp/inventory{case}"), "{case}");
    }
    assert_eq!(mock.requests().len(), cases.len());
}

#[test]
fn head_is_served_by_the_get_operation() {
    let (mock, gateway) = inventory_gateway();
    let response = client()
        .head(gateway.url("/inventory/v1/stock-levels/s-1"))
        .send()
        .expect("head");
    assert_eq!(response.status(), 200);
    let requests = mock.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(
        (requests[0].method.as_str(), requests[0].target.as_str()),
        ("HEAD", "/erp/inventory/stock-levels/s-1")
    );
}

/// Whether `value` has the layout of a request id the gateway mints (a version-4 UUID).
fn is_minted_request_id(value: &str) -> bool {
    let groups: Vec<&str> = value.split('-').collect();
    groups.iter().map(|group| group.len()).eq([8, 4, 4, 4, 12])
        && groups
            .iter()
            .all(|group| group.bytes().all(|b| b.is_ascii_hexdigit()))
        && groups[2].starts_with('4')
}

/// `(trace id, parent id, flags)` of a well-formed version-00 `traceparent`.
fn trace_parts(value: &str) -> (String, String, String) {
    let parts: Vec<&str> = value.split('-').collect();
    assert_eq!(parts.len(), 4, "traceparent {value}");
    assert_eq!(parts[0], "00", "traceparent {value}");
    let hex = |text: &str, len: usize| {
        text.len() == len && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    };
    assert!(
        hex(parts[1], 32) && parts[1] != "0".repeat(32),
        "trace id of {value}"
    );
    assert!(
        hex(parts[2], 16) && parts[2] != "0".repeat(16),
        "parent id of {value}"
    );
    assert!(hex(parts[3], 2), "flags of {value}");
    (
        parts[1].to_owned(),
        parts[2].to_owned(),
        parts[3].to_owned(),
    )
}

/// Sends GET with `headers`; returns the response's X-Request-Id and what the system received.
fn send_with(
    gateway: &canongate_tests::gateway::Gateway,
    mock: &MockSystem,
    headers: &[(&str, &str)],
) -> (String, Recorded) {
    let mut request = client().get(gateway.url("/inventory/v1/stock-levels"));
    for (name, value) in headers {
        let value =
            reqwest::header::HeaderValue::from_bytes(value.as_bytes()).expect("header value");
        request = request.header(*name, value);
    }
    let response = request.send().expect("request");
    assert_eq!(response.status(), 200);
    let id = response.headers()["x-request-id"]
        .to_str()
        .expect("ascii id")
        .to_owned();
    (id, mock.requests().pop().expect("recorded"))
}

#[test]
fn request_ids_are_minted_kept_or_replaced() {
    let (mock, gateway) = inventory_gateway();

    let (minted, recorded) = send_with(&gateway, &mock, &[]);
    assert!(is_minted_request_id(&minted), "minted id {minted}");
    assert_eq!(recorded.header("x-request-id"), Some(minted.as_str()));
    let (other, _) = send_with(&gateway, &mock, &[]);
    assert_ne!(minted, other, "each request gets its own id");

    let kept = "Order-42.retry_1:abc";
    let (id, recorded) = send_with(&gateway, &mock, &[("x-request-id", kept)]);
    assert_eq!(id, kept);
    assert_eq!(recorded.header("x-request-id"), Some(kept));
    let longest = "a".repeat(128);
    assert_eq!(
        send_with(&gateway, &mock, &[("x-request-id", &longest)]).0,
        longest
    );

    for invalid in ["has space", "semi;colon", "quote\"d", &"a".repeat(129), "é"] {
        let (id, recorded) = send_with(&gateway, &mock, &[("x-request-id", invalid)]);
        assert!(
            is_minted_request_id(&id),
            "{invalid:?} was answered with id {id:?}"
        );
        assert_eq!(
            recorded.header("x-request-id"),
            Some(id.as_str()),
            "{invalid:?}"
        );
        let ids: Vec<_> = recorded
            .headers
            .iter()
            .filter(|(name, _)| name == "x-request-id")
            .collect();
        assert_eq!(
            ids.len(),
            1,
            "the client's invalid id is not forwarded beside the new one"
        );
    }
}

#[test]
fn trace_context_is_continued_or_started() {
    let (mock, gateway) = inventory_gateway();
    let incoming = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let (_, recorded) = send_with(&gateway, &mock, &[("traceparent", incoming)]);
    let (trace, parent, flags) = trace_parts(recorded.header("traceparent").expect("traceparent"));
    assert_eq!(
        trace, "4bf92f3577b34da6a3ce929d0e0e4736",
        "the client's trace continues"
    );
    assert_ne!(
        parent, "00f067aa0ba902b7",
        "the gateway's own span is the new parent"
    );
    assert_eq!(flags, "01", "the sampled flag is kept");

    let (_, first) = send_with(&gateway, &mock, &[]);
    let (_, second) = send_with(&gateway, &mock, &[]);
    let first = trace_parts(first.header("traceparent").expect("a trace is started"));
    let second = trace_parts(second.header("traceparent").expect("a trace is started"));
    assert_ne!(
        first.0, second.0,
        "each request without a trace starts its own"
    );

    for invalid in [
        "garbage",
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
        "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    ] {
        let (_, recorded) = send_with(&gateway, &mock, &[("traceparent", invalid)]);
        let forwarded = recorded.header("traceparent").expect("traceparent");
        let (trace, _, _) = trace_parts(forwarded);
        assert_ne!(
            trace, "4bf92f3577b34da6a3ce929d0e0e4736",
            "{invalid:?} must start a new trace"
        );
        assert_ne!(forwarded, invalid);
    }
}

#[test]
fn the_system_gets_its_own_host_and_forwarding_headers() {
    let (mock, gateway) = inventory_gateway();
    let (_, recorded) = send_with(&gateway, &mock, &[]);
    assert_eq!(
        recorded.header("host"),
        Some(mock.address.to_string().as_str())
    );
    assert_eq!(recorded.header("x-forwarded-host"), None);
    assert_eq!(recorded.header("x-forwarded-for"), Some("127.0.0.1"));
    assert_eq!(recorded.header("x-forwarded-proto"), Some("http"));
    let hosts = recorded
        .headers
        .iter()
        .filter(|(name, _)| name == "host")
        .count();
    assert_eq!(hosts, 1, "exactly one Host reaches the system");

    let forged = [
        ("x-forwarded-for", "203.0.113.9"),
        ("forwarded", "for=203.0.113.9"),
        ("x-forwarded-host", "evil.example"),
        ("x-real-ip", "203.0.113.9"),
    ];
    let (_, recorded) = send_with(&gateway, &mock, &forged);
    assert_eq!(
        recorded.header("x-forwarded-for"),
        Some("127.0.0.1"),
        "the client's own forwarding chain is not trusted"
    );
    for name in ["forwarded", "x-forwarded-host", "x-real-ip"] {
        assert_eq!(recorded.header(name), None, "{name}");
    }
}
