//! `canongate demo`: the gateway in front of the simulated systems becomes ready on the given
//! addresses, writes its files into the data directory (the gateway document, the contracts and
//! `demo-credentials.json`) and serves the canonical APIs to the demo consumers' tokens.

use std::collections::BTreeSet;

use canongate_tests::expect_problem;
use canongate_tests::gateway::{Gateway, anonymous_client};
use serde_json::Value;

/// The demo's `demo-credentials.json`.
fn credentials(demo: &Gateway) -> Value {
    let path = demo
        .config
        .parent()
        .expect("data dir")
        .join("demo-credentials.json");
    let text = std::fs::read_to_string(&path).expect("the demo writes demo-credentials.json");
    serde_json::from_str(&text).expect("credentials json")
}

/// The token of demo consumer `id`.
fn token_of(credentials: &Value, id: &str) -> String {
    credentials["consumers"]
        .as_array()
        .expect("consumers")
        .iter()
        .find(|consumer| consumer["id"] == id)
        .and_then(|consumer| consumer["token"].as_str())
        .unwrap_or_else(|| panic!("consumer {id} in {credentials}"))
        .to_owned()
}

/// GET `path` on the demo with `token`.
fn get(demo: &Gateway, token: &str, path: &str) -> reqwest::blocking::Response {
    anonymous_client()
        .get(demo.url(path))
        .bearer_auth(token)
        .send()
        .expect("request")
}

#[test]
fn demo_serves_the_canonical_apis_from_simulated_systems() {
    let demo = Gateway::demo();
    let token = token_of(&credentials(&demo), "shop-gold");
    let response = get(&demo, &token, "/inventory/v1/stock-levels?limit=2");
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
    let response = get(&demo, &token, &format!("/order/v1/orders/{order}"));
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

#[test]
fn demo_credentials_name_one_consumer_per_system_and_tier_with_working_tokens() {
    let demo = Gateway::demo();
    let credentials = credentials(&demo);
    let consumers = credentials["consumers"]
        .as_array()
        .unwrap_or_else(|| panic!("a consumers array: {credentials}"));
    let mut pairs = BTreeSet::new();
    let mut policies = BTreeSet::new();
    for consumer in consumers {
        let field = |name: &str| {
            consumer[name]
                .as_str()
                .filter(|value| !value.is_empty())
                .unwrap_or_else(|| panic!("`{name}` of {consumer}"))
        };
        let (id, system, tier, token) =
            (field("id"), field("system"), field("tier"), field("token"));
        assert!(
            pairs.insert((system.to_owned(), tier.to_owned())),
            "{id}: one consumer per system and tier"
        );
        assert_eq!(token.split('.').count(), 3, "{id}: a JWS compact token");
        let scopes: Vec<&str> = consumer["scopes"]
            .as_array()
            .unwrap_or_else(|| panic!("scopes of {consumer}"))
            .iter()
            .filter_map(Value::as_str)
            .collect();
        for (api, _) in canongate_contracts::canonical::ALL {
            assert!(
                scopes.contains(&format!("{api}:read").as_str()),
                "{id} reads {api}: {scopes:?}"
            );
        }

        let response = get(&demo, token, "/product/v1/products?limit=1");
        assert_eq!(response.status(), 200, "{id}");
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|value| value.to_str().ok())
                .unwrap_or_else(|| panic!("{id}: no {name} header"))
                .to_owned()
        };
        let policy = header("ratelimit-policy");
        assert!(header("ratelimit").contains("\"burst\";r="), "{id}");
        policies.insert((tier.to_owned(), policy));
    }
    let systems: BTreeSet<&str> = pairs.iter().map(|(system, _)| system.as_str()).collect();
    let tiers: BTreeSet<&str> = pairs.iter().map(|(_, tier)| tier.as_str()).collect();
    assert_eq!(systems, BTreeSet::from(["crm", "erp", "shop"]));
    assert_eq!(tiers, BTreeSet::from(["bronze", "gold", "silver"]));
    assert_eq!(pairs.len(), systems.len() * tiers.len());
    let distinct: BTreeSet<&str> = policies.iter().map(|(_, policy)| policy.as_str()).collect();
    assert_eq!(
        (policies.len(), distinct.len()),
        (3, 3),
        "one RateLimit-Policy per tier, each its own: {policies:?}"
    );

    // Write scopes follow the system: only the shop writes orders.
    let crm = token_of(&credentials, "crm-gold");
    let response = anonymous_client()
        .post(demo.url("/order/v1/orders"))
        .bearer_auth(&crm)
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .expect("request");
    expect_problem(response, 403, "insufficient-scope");

    let response = anonymous_client()
        .get(demo.url("/product/v1/products"))
        .send()
        .expect("request");
    expect_problem(response, 401, "unauthorized");
}
