//! `canongate demo`: the gateway in front of the simulated systems becomes ready on the given
//! addresses, writes its files into the data directory and serves the canonical APIs.

use canongate_tests::gateway::{Gateway, client};
use serde_json::Value;

#[test]
fn demo_serves_the_canonical_apis_from_simulated_systems() {
    let demo = Gateway::demo();
    let response = client()
        .get(demo.url("/inventory/v1/stock-levels?limit=2"))
        .send()
        .expect("request");
    assert_eq!(response.status(), 200);
    assert!(response.headers().contains_key("x-request-id"));
    let page: Value = response.json().expect("json page");
    let items = page["items"]
        .as_array()
        .unwrap_or_else(|| panic!("a page of items: {page}"));
    assert_eq!(items.len(), 2);

    let readiness = demo.readiness();
    assert_eq!(readiness["revision"], "demo");
    let mut apis: Vec<&str> = readiness["apis"]
        .as_array()
        .expect("apis")
        .iter()
        .filter_map(|api| api["name"].as_str())
        .collect();
    apis.sort_unstable();
    let mut canonical = canongate_contracts::canonical::ALL.map(|(api, _)| api);
    canonical.sort_unstable();
    assert_eq!(apis, canonical);

    let order = "acb7f842-a33c-534a-bd1d-f192e66f1295";
    let response = client()
        .get(demo.url(&format!("/order/v1/orders/{order}")))
        .send()
        .expect("request");
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<Value>().expect("order")["id"], order);

    let document =
        std::fs::read_to_string(&demo.config).expect("the demo writes its gateway document");
    assert!(document.contains("revision: demo"), "{document}");
    let contracts = demo.config.parent().expect("data dir").join("contracts");
    for (api, _) in canongate_contracts::canonical::ALL {
        assert!(
            contracts.join(format!("{api}.yaml")).is_file(),
            "{api} contract written"
        );
    }
}
