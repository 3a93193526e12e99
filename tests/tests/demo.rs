//! `canongate demo`: the control plane seeded with the canonical contracts, a gateway following
//! it in front of the simulated systems, `demo-credentials.json` with admin tokens by role and
//! consumer tokens, and the canonical APIs served to those consumers.

use std::collections::BTreeSet;

use canongate_tests::gateway::{Gateway, anonymous_client};
use canongate_tests::{expect_problem, free_address};
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
    let control_plane = free_address();
    let demo = Gateway::demo(control_plane);
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
    assert_eq!(
        readiness["source"]["gateway_id"], "demo-gateway",
        "{readiness}"
    );
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

    // The control plane: admin tokens by role, the registry it was seeded with, the gateway.
    let credentials = credentials(&demo);
    let admin = |role: &str| {
        credentials["admin"][role]
            .as_str()
            .unwrap_or_else(|| panic!("an admin token for {role}: {credentials}"))
            .to_owned()
    };
    let api = |path: &str, role: &str| {
        anonymous_client()
            .get(format!("http://{control_plane}/api/v1{path}"))
            .bearer_auth(admin(role))
            .send()
            .expect("the control plane answers")
    };
    let listed: Value = api("/apis", "viewer").json().expect("apis");
    assert_eq!(
        listed["items"].as_array().map(Vec::len),
        Some(canonical.len())
    );
    let gateways: Value = api("/gateways", "architect").json().expect("gateways");
    assert_eq!(gateways["items"][0]["id"], "demo-gateway", "{gateways}");
    let audit: Value = api(
        "/audit?actor=demo-seeder&action=version.publish",
        "security",
    )
    .json()
    .expect("audit");
    assert_eq!(
        audit["items"].as_array().map(Vec::len),
        Some(canonical.len())
    );
    for role in ["owner:supply-chain", "gateway"] {
        assert!(!admin(role).is_empty());
    }
    let refused = anonymous_client()
        .post(format!("http://{control_plane}/api/v1/teams"))
        .bearer_auth(admin("viewer"))
        .json(&serde_json::json!({"name": "x", "spec": {"display_name": "X"}}))
        .send()
        .expect("the control plane answers");
    expect_problem(refused, 403, "forbidden");
}

#[test]
fn demo_credentials_name_one_consumer_per_system_and_tier_with_working_tokens() {
    let demo = Gateway::demo(free_address());
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
