//! Version resolution through the binary: the path's major wins, `Api-Version` picks the major of
//! an unversioned path, otherwise the API's default version; unknown versions are 404 listing the
//! callable ones, and an API without a default answers 400. Responses of a deprecated version
//! announce its deprecation date, sunset and successor.

use std::time::Duration;

use canongate_tests::document::{self, Document};
use canongate_tests::gateway::{Gateway, client};
use canongate_tests::mock::MockSystem;
use canongate_tests::{canonical_contract, expect_problem};

/// Inventory v1 and v2 (published) and v3 (draft) on one mock ERP; `default_version` as given,
/// `v1_settings` YAML lines at the level of v1's entry (e.g. another `lifecycle`).
fn versioned_gateway(default_version: &str, v1_settings: &[&str]) -> (MockSystem, Gateway) {
    let mock = MockSystem::start("erp", Duration::ZERO);
    let document = Document::new();
    let v1 = std::fs::read_to_string(canonical_contract("inventory")).expect("inventory contract");
    for major in [2, 3] {
        let text = v1.replacen("  version: 1.0.0", &format!("  version: {major}.0.0"), 1);
        std::fs::write(
            document.dir().join(format!("inventory-v{major}.yaml")),
            text,
        )
        .expect("write");
    }
    let v1_settings: String = v1_settings
        .iter()
        .map(|setting| format!("        {setting}\n"))
        .collect();
    let body = document::body(
        &[document::system("erp", &[&mock.base_url()], &[])],
        &[format!(
            "  inventory:\n    default_version: {default_version}\n    versions:\n      - contract: \"{}\"\n{v1_settings}        backend: {{system: erp, path_prefix: /erp/inv1}}\n      - contract: inventory-v2.yaml\n        backend: {{system: erp, path_prefix: /erp/inv2}}\n      - contract: inventory-v3.yaml\n        lifecycle: draft\n        backend: {{system: erp, path_prefix: /erp/inv3}}\n",
            canonical_contract("inventory").display()
        )],
    );
    document.write(&body);
    let gateway = document.start(&[]);
    (mock, gateway)
}

fn last_target(mock: &MockSystem) -> String {
    mock.requests()
        .last()
        .expect("a request reached the system")
        .target
        .clone()
}

#[test]
fn path_header_and_default_pick_the_version() {
    let (mock, gateway) = versioned_gateway("latest", &[]);
    let http = client();
    let get = |path: &str, version: Option<&str>| {
        let mut request = http.get(gateway.url(path));
        if let Some(version) = version {
            request = request.header("Api-Version", version);
        }
        request.send().expect("request")
    };
    assert_eq!(
        get("/inventory/v1/stock-levels?limit=1", Some("2")).status(),
        200
    );
    assert_eq!(
        last_target(&mock),
        "/erp/inv1/stock-levels?limit=1",
        "the path's major wins"
    );
    assert_eq!(get("/inventory/stock-levels/s-1", Some("1")).status(), 200);
    assert_eq!(last_target(&mock), "/erp/inv1/stock-levels/s-1");
    assert_eq!(get("/inventory/stock-levels/s-1", Some("v2")).status(), 200);
    assert_eq!(last_target(&mock), "/erp/inv2/stock-levels/s-1");
    assert_eq!(get("/inventory/stock-levels", None).status(), 200);
    assert_eq!(
        last_target(&mock),
        "/erp/inv2/stock-levels",
        "latest published is the default"
    );
    let seen = mock.requests().len();

    for (path, version) in [
        ("/inventory/v3/stock-levels", None),
        ("/inventory/stock-levels", Some("3")),
        ("/inventory/v9/stock-levels", None),
    ] {
        let problem = expect_problem(get(path, version), 404, "unknown-version");
        let detail = problem["detail"].as_str().unwrap_or_default();
        assert!(detail.ends_with("callable versions: v1, v2"), "{detail}");
    }
    let problem = expect_problem(
        get("/inventory/stock-levels", Some("latest")),
        400,
        "version-required",
    );
    assert!(
        problem["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("`Api-Version` must be")
    );
    assert_eq!(
        mock.requests().len(),
        seen,
        "refused requests never reach the system"
    );
}

#[test]
fn an_api_without_default_version_requires_one() {
    let (mock, gateway) = versioned_gateway("none", &[]);
    let response = client()
        .get(gateway.url("/inventory/stock-levels"))
        .send()
        .expect("request");
    let problem = expect_problem(response, 400, "version-required");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("/inventory/v{major}/")
    );
    let response = client()
        .get(gateway.url("/inventory/stock-levels"))
        .header("Api-Version", "1")
        .send()
        .expect("request");
    assert_eq!(response.status(), 200);
    assert_eq!(last_target(&mock), "/erp/inv1/stock-levels");
}

#[test]
fn a_deprecated_version_announces_its_deprecation_sunset_and_successor() {
    let (mock, gateway) = versioned_gateway(
        "latest",
        &[
            "lifecycle: deprecated",
            "deprecation: {deprecated_on: 2026-01-15, sunset: 2026-07-01, successor: 2.0.0}",
        ],
    );
    let http = client();
    let fields = |path: &str| {
        let response = http.get(gateway.url(path)).send().expect("request");
        assert_eq!(response.status(), 200, "{path}");
        ["deprecation", "sunset", "link"].map(|name| {
            response
                .headers()
                .get(name)
                .map(|value| value.to_str().expect("ascii field").to_owned())
        })
    };
    let [deprecation, sunset, link] = fields("/inventory/v1/stock-levels");
    assert_eq!(last_target(&mock), "/erp/inv1/stock-levels");
    assert_eq!(deprecation.as_deref(), Some("@1768435200"));
    assert_eq!(sunset.as_deref(), Some("Wed, 01 Jul 2026 00:00:00 GMT"));
    assert_eq!(
        link.as_deref(),
        Some("</inventory/v2>; rel=\"successor-version\"")
    );
    assert_eq!(
        fields("/inventory/v2/stock-levels"),
        [None, None, None],
        "a published version announces nothing"
    );
    assert_eq!(last_target(&mock), "/erp/inv2/stock-levels");
}
