//! Answers the gateway makes itself: 404 for unknown routes and draft versions, 405 with `Allow`,
//! 410 for retired versions, always as problem+json carrying the request id, and never
//! forwarded to the system.

use std::time::Duration;

use canongate_tests::document::{self, Document};
use canongate_tests::gateway::{Gateway, client};
use canongate_tests::mock::MockSystem;
use canongate_tests::{canonical_contract, expect_problem};

/// Inventory v1 retired and v2 published (a copy of the contract at 2.0.0, referenced relative
/// to the document), product as a draft and price deprecated, all on one mock ERP.
fn lifecycle_gateway() -> (MockSystem, Gateway) {
    let mock = MockSystem::start("erp", Duration::ZERO);
    let document = Document::new();
    let v1 = std::fs::read_to_string(canonical_contract("inventory")).expect("inventory contract");
    let v2 = v1.replacen("  version: 1.0.0", "  version: 2.0.0", 1);
    assert_ne!(v1, v2, "the contract's info.version was rewritten");
    std::fs::write(document.dir().join("inventory-v2.yaml"), v2).expect("write v2 contract");
    let body = format!(
        "revision: lifecycle\n{}",
        document::body(
            &[document::system("erp", &[&mock.base_url()], &[])],
            &[
                format!(
                    "  inventory:\n    versions:\n      - contract: \"{}\"\n        lifecycle: retired\n        backend: {{system: erp, path_prefix: /erp/inventory}}\n      - contract: inventory-v2.yaml\n        lifecycle: published\n        backend: {{system: erp, path_prefix: /erp/inventory-v2}}\n",
                    canonical_contract("inventory").display()
                ),
                document::api(
                    "product",
                    &canonical_contract("product"),
                    "draft",
                    "erp",
                    "/erp/product"
                ),
                document::api(
                    "price",
                    &canonical_contract("price"),
                    "deprecated",
                    "erp",
                    "/erp/price"
                ),
            ],
        )
    );
    document.write(&body);
    let gateway = document.start(&[]);
    (mock, gateway)
}

#[test]
fn unknown_routes_get_a_no_route_problem() {
    let mock = MockSystem::start("erp", Duration::ZERO);
    let document = Document::new();
    document.write(&document::inventory(&[&mock.base_url()], &[]));
    let gateway = document.start(&[]);
    for path in [
        "/",
        "/nope",
        "/inventory",
        "/inventory/v1",
        "/inventory/v1/unknown",
        "/inventory/v1/stock-levels/s-1/adjustments/extra",
        "/erp/inventory/stock-levels",
        "/INVENTORY/v1/stock-levels",
    ] {
        let response = client().get(gateway.url(path)).send().expect("request");
        let problem = expect_problem(response, 404, "no-route");
        assert!(
            problem["detail"]
                .as_str()
                .unwrap_or_default()
                .contains(path),
            "{path}: {problem}"
        );
    }
    let response = client()
        .get(gateway.url("/inventory/v2/stock-levels"))
        .send()
        .expect("request");
    let problem = expect_problem(response, 404, "unknown-version");
    assert_eq!(
        problem["detail"],
        "API `inventory` has no version v2; callable versions: v1"
    );

    let response = client()
        .get(gateway.url("/nope"))
        .header("x-request-id", "client-404")
        .send()
        .expect("request");
    assert_eq!(
        expect_problem(response, 404, "no-route")["request_id"],
        "client-404"
    );
    assert!(
        mock.requests().is_empty(),
        "nothing reached the system: {:?}",
        mock.requests()
    );
}

/// The methods of an `Allow` header value.
fn allowed(response: &reqwest::blocking::Response) -> Vec<String> {
    let allow = response
        .headers()
        .get("allow")
        .expect("Allow header")
        .to_str()
        .expect("ascii");
    let mut methods: Vec<String> = allow
        .split(',')
        .map(|method| method.trim().to_owned())
        .collect();
    methods.sort();
    methods
}

#[test]
fn wrong_methods_get_405_with_allow() {
    let mock = MockSystem::start("erp", Duration::ZERO);
    let document = Document::new();
    document.write(&document::inventory(&[&mock.base_url()], &[]));
    let gateway = document.start(&[]);
    let cases: [(&str, &str, &[&str]); 4] = [
        (
            "DELETE",
            "/inventory/v1/stock-levels",
            &["GET", "HEAD", "POST"],
        ),
        (
            "PUT",
            "/inventory/v1/stock-levels",
            &["GET", "HEAD", "POST"],
        ),
        (
            "DELETE",
            "/inventory/v1/stock-levels/s-1",
            &["GET", "HEAD", "PATCH"],
        ),
        (
            "GET",
            "/inventory/v1/stock-levels/s-1/adjustments",
            &["POST"],
        ),
    ];
    for (method, path, allow) in cases {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let response = client()
            .request(method.clone(), gateway.url(path))
            .send()
            .expect("request");
        assert_eq!(allowed(&response), allow, "{method} {path}");
        expect_problem(response, 405, "method-not-allowed");
    }
    assert!(
        mock.requests().is_empty(),
        "nothing reached the system: {:?}",
        mock.requests()
    );
}

#[test]
fn retired_versions_get_410_and_their_successor_is_served() {
    let (mock, gateway) = lifecycle_gateway();
    for (method, path) in [
        ("GET", "/inventory/v1/stock-levels"),
        ("POST", "/inventory/v1/stock-levels"),
        ("GET", "/inventory/v1/stock-levels/s-1"),
    ] {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let response = client()
            .request(method, gateway.url(path))
            .send()
            .expect("request");
        expect_problem(response, 410, "version-retired");
    }
    let response = client()
        .get(gateway.url("/inventory/v1/unknown"))
        .send()
        .expect("request");
    expect_problem(response, 404, "no-route");
    assert!(
        mock.requests().is_empty(),
        "retired versions never reach the system"
    );

    let response = client()
        .get(gateway.url("/inventory/v2/stock-levels/s-1"))
        .send()
        .expect("request");
    assert_eq!(response.status(), 200);
    let requests = mock.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].target, "/erp/inventory-v2/stock-levels/s-1");
}

#[test]
fn draft_versions_are_not_routed_and_deprecated_ones_are() {
    let (mock, gateway) = lifecycle_gateway();
    let response = client()
        .get(gateway.url("/product/v1/products"))
        .send()
        .expect("request");
    let problem = expect_problem(response, 404, "unknown-version");
    assert_eq!(
        problem["detail"],
        "API `product` has no version v1; callable versions: none"
    );
    assert!(
        mock.requests().is_empty(),
        "a draft never reaches the system"
    );

    let response = client()
        .get(gateway.url("/price/v1/prices"))
        .send()
        .expect("request");
    assert_eq!(response.status(), 200);
    assert_eq!(
        mock.requests().pop().expect("recorded").target,
        "/erp/price/prices"
    );

    let readiness = gateway.readiness();
    let lifecycles: Vec<(String, String)> = readiness["apis"]
        .as_array()
        .expect("apis")
        .iter()
        .flat_map(|api| {
            api["versions"]
                .as_array()
                .expect("versions")
                .iter()
                .map(move |version| {
                    (
                        format!(
                            "{} {}",
                            api["name"].as_str().unwrap_or_default(),
                            version["version"].as_str().unwrap_or_default()
                        ),
                        version["lifecycle"].as_str().unwrap_or_default().to_owned(),
                    )
                })
        })
        .collect();
    let expected = [
        ("inventory v1", "retired"),
        ("inventory v2", "published"),
        ("product v1", "draft"),
        ("price v1", "deprecated"),
    ]
    .map(|(version, lifecycle)| (version.to_owned(), lifecycle.to_owned()));
    assert_eq!(lifecycles, expected);
}
