//! The control plane end to end: publishing through the governance engine to a following
//! gateway, refusals with their change lists and locations, lifecycle rules, and the gateway's
//! last-known-good document while the control plane is down.

use std::time::{Duration, Instant};

use canongate_policy::auth::{Algorithm, SigningKey};
use canongate_tests::control_plane::{ControlPlane, contract};
use canongate_tests::expect_problem;
use canongate_tests::gateway::anonymous_client;
use canongate_tests::issuer::MockIssuer;
use canongate_tests::mock::MockSystem;
use canongate_tests::{tokens, wait_for};
use reqwest::Method;
use serde_json::{Value, json};

fn status_of(url: &str) -> u16 {
    anonymous_client()
        .get(url)
        .send()
        .map(|response| response.status().as_u16())
        .unwrap_or(0)
}

#[test]
fn a_published_version_reaches_a_following_gateway_within_a_second() {
    let system = MockSystem::start("inventory", Duration::ZERO);
    let control_plane = ControlPlane::start();
    control_plane.register_api("stock", &system.base_url());
    let published = control_plane.publish("stock", &contract("stock", "1.0.0", false));
    assert_eq!(
        published["version"]["lifecycle"], "published",
        "{published}"
    );
    assert_eq!(published["previous"], Value::Null);

    let state = tempfile::tempdir().unwrap();
    let gateway = control_plane.gateway(state.path());
    assert_eq!(status_of(&gateway.url("/stock/v1/items")), 200);
    assert_eq!(status_of(&gateway.url("/stock/v2/items")), 404);

    // A draft is stored, never routed: the publish below carries it in a later revision.
    control_plane.admin(
        Method::POST,
        "/apis/stock/versions",
        Some(&json!({"contract": contract("stock", "3.0.0", true)})),
    );
    let started = Instant::now();
    let answer = control_plane.publish("stock", &contract("stock", "2.0.0", true));
    assert_eq!(answer["previous"], "1.0.0", "{answer}");
    wait_for("v2 on the gateway", Duration::from_secs(1), || {
        (status_of(&gateway.url("/stock/v2/items")) == 200).then_some(())
    });
    let elapsed = started.elapsed();
    eprintln!("publish -> served in {elapsed:?}");
    assert_eq!(status_of(&gateway.url("/stock/v1/items")), 200, "v1 stays");
    assert_eq!(
        status_of(&gateway.url("/stock/v3/items")),
        404,
        "the draft is not routed"
    );

    let gateways = control_plane.admin(Method::GET, "/gateways", None);
    let seen = &gateways["items"][0];
    assert_eq!(seen["id"], "test-gateway", "{gateways}");
    assert_eq!(seen["connected"], true);
    let revision: u64 = gateway.revision().parse().unwrap();
    wait_for(
        "the gateway's revision at the control plane",
        Duration::from_secs(5),
        || {
            let gateways = control_plane.admin(Method::GET, "/gateways", None);
            (gateways["items"][0]["revision"] == revision).then_some(())
        },
    );
}

#[test]
fn a_breaking_change_without_a_major_bump_is_refused_with_its_change_list() {
    let control_plane = ControlPlane::start();
    control_plane.register_api("stock", "http://127.0.0.1:9");
    control_plane.publish("stock", &contract("stock", "1.0.0", true));
    let breaking = contract("stock", "1.1.0", false);
    let response = control_plane.send(
        Method::POST,
        "/apis/stock/versions",
        Some(&control_plane.token(&["architect"])),
        Some(&json!({"contract": breaking, "publish": true})),
    );
    let problem = expect_problem(response, 409, "breaking-change");
    assert_eq!(problem["required_bump"], "major", "{problem}");
    assert_eq!(problem["suggested_version"], "2.0.0", "{problem}");
    let changes = problem["changes"].as_array().expect("changes");
    assert!(
        changes
            .iter()
            .any(|change| change["id"] == "operation-removed"
                && change["level"] == "breaking"
                && change["operation"]["operation_id"] == "createItem"),
        "{problem}"
    );
    let stored = control_plane.send(
        Method::GET,
        "/apis/stock/versions/1.1.0",
        Some(&control_plane.bootstrap),
        None,
    );
    expect_problem(stored, 404, "not-found");

    let accepted = control_plane.publish("stock", &contract("stock", "2.0.0", false));
    assert_eq!(accepted["required_bump"], "major", "{accepted}");
    assert!(
        accepted["changes"]
            .as_array()
            .is_some_and(|c| !c.is_empty())
    );
}

#[test]
fn malformed_contracts_are_refused_with_locations_and_nothing_is_stored() {
    let control_plane = ControlPlane::start();
    control_plane.register_api("stock", "http://127.0.0.1:9");
    let good = contract("stock", "1.0.0", false);
    let cases = [
        (
            "bad YAML",
            "openapi: 3.0.3\ninfo: [unclosed\n".to_owned(),
            "",
        ),
        (
            "OpenAPI 3.1",
            good.replace("openapi: 3.0.3", "openapi: 3.1.0"),
            "",
        ),
        (
            "a broken $ref",
            good.replace(
                "'#/components/responses/Problem'",
                "'#/components/responses/Nope'",
            ),
            "contract:/paths/~1items/get/responses/default/$ref",
        ),
        (
            "an external $ref",
            good.replace("'#/components/responses/Problem'", "'other.yaml#/Problem'"),
            "contract:/paths/~1items/get/responses/default/$ref",
        ),
    ];
    let token = control_plane.token(&["architect"]);
    for (case, text, field) in cases {
        let response = control_plane.send(
            Method::POST,
            "/apis/stock/versions",
            Some(&token),
            Some(&json!({"contract": text, "backend": {"system": "sys-stock"}})),
        );
        let problem = expect_problem(response, 422, "validation-failed");
        let errors = problem["errors"].as_array().expect("errors");
        assert!(!errors.is_empty(), "{case}: {problem}");
        assert!(
            errors.iter().all(|error| error["field"]
                .as_str()
                .is_some_and(|f| f.starts_with("contract:"))),
            "{case}: {problem}"
        );
        if !field.is_empty() {
            assert!(
                errors
                    .iter()
                    .any(|error| error["field"] == field && error["line"].is_u64()),
                "{case}: {problem}"
            );
        }
    }
    let versions = control_plane.admin(Method::GET, "/apis/stock/versions", None);
    assert_eq!(versions["items"], json!([]), "{versions}");
    let audit = control_plane.admin(Method::GET, "/audit?action=version.create", None);
    assert_eq!(audit["items"], json!([]), "{audit}");
}

#[test]
fn lifecycle_rules_guard_deprecation_and_retirement() {
    let system = MockSystem::start("stock", Duration::ZERO);
    let control_plane = ControlPlane::start();
    control_plane.register_api("stock", &system.base_url());
    control_plane.publish("stock", &contract("stock", "1.0.0", false));
    let architect = control_plane.token(&["architect"]);
    let deprecate = |body: Value| {
        control_plane.send(
            Method::POST,
            "/apis/stock/versions/1.0.0/deprecate",
            Some(&architect),
            Some(&body),
        )
    };
    let problem = expect_problem(
        deprecate(
            json!({"sunset": "2099-06-01", "successor": "2.0.0", "deprecated_on": "2098-12-01"}),
        ),
        422,
        "validation-failed",
    );
    assert_eq!(problem["errors"][0]["field"], "/successor", "{problem}");
    control_plane.publish("stock", &contract("stock", "2.0.0", true));
    let problem = expect_problem(
        deprecate(
            json!({"sunset": "2099-01-01", "successor": "2.0.0", "deprecated_on": "2098-12-01"}),
        ),
        422,
        "validation-failed",
    );
    assert_eq!(problem["errors"][0]["field"], "/sunset", "{problem}");
    assert!(
        problem["detail"].as_str().unwrap().contains("at least 90"),
        "{problem}"
    );

    let problem = expect_problem(
        deprecate(
            json!({"sunset": "2000-06-01", "successor": "2.0.0", "deprecated_on": "2000-01-01"}),
        ),
        422,
        "validation-failed",
    );
    assert_eq!(
        problem["errors"][0]["field"], "/sunset",
        "backdated: {problem}"
    );
    let state = tempfile::tempdir().unwrap();
    let gateway = control_plane.gateway(state.path());
    let response = deprecate(
        json!({"sunset": "2099-06-01", "successor": "2.0.0", "deprecated_on": "2099-01-01"}),
    );
    assert_eq!(response.status(), 200, "{}", response.text().unwrap());
    wait_for(
        "the deprecation notice on v1",
        Duration::from_secs(5),
        || {
            let response = anonymous_client()
                .get(gateway.url("/stock/v1/items"))
                .send()
                .ok()?;
            (response.headers().get("sunset")?.to_str().ok()? == "Mon, 01 Jun 2099 00:00:00 GMT")
                .then_some(())
        },
    );

    let retire = |token: &str, body: Value| {
        control_plane.send(
            Method::POST,
            "/apis/stock/versions/1.0.0/retire",
            Some(token),
            Some(&body),
        )
    };
    let problem = expect_problem(retire(&architect, json!({})), 409, "lifecycle-violation");
    assert!(
        problem["detail"].as_str().unwrap().contains("2099-06-01"),
        "{problem}"
    );
    let owner = control_plane.token(&["owner:team-stock"]);
    expect_problem(
        retire(&owner, json!({"override": true, "reason": "x"})),
        403,
        "forbidden",
    );
    let problem = expect_problem(
        retire(&architect, json!({"override": true})),
        422,
        "validation-failed",
    );
    assert_eq!(problem["errors"][0]["field"], "/reason", "{problem}");
    let response = retire(
        &architect,
        json!({"override": true, "reason": "security incident"}),
    );
    assert_eq!(response.status(), 200, "{}", response.text().unwrap());
    wait_for("410 for the retired v1", Duration::from_secs(5), || {
        (status_of(&gateway.url("/stock/v1/items")) == 410).then_some(())
    });
    let audit = control_plane.admin(Method::GET, "/audit?action=version.retire-override", None);
    let entry = &audit["items"][0];
    assert_eq!(entry["role"], "architect", "{audit}");
    assert_eq!(entry["entity"], "apis/stock/versions/1.0.0");
    assert_eq!(entry["after"]["reason"], "security incident");
}

#[test]
fn the_gateway_serves_its_last_known_good_document_while_the_control_plane_is_down() {
    let system = MockSystem::start("stock", Duration::ZERO);
    let mut control_plane = ControlPlane::start();
    control_plane.register_api("stock", &system.base_url());
    control_plane.publish("stock", &contract("stock", "1.0.0", false));
    let state = tempfile::tempdir().unwrap();
    let token = control_plane.token(&["gateway"]);
    let url = control_plane.base_url();
    let mut gateway = canongate_tests::control_plane::following_gateway(&url, &token, state.path());
    assert_eq!(status_of(&gateway.url("/stock/v1/items")), 200);

    control_plane.kill();
    wait_for("the follower to notice", Duration::from_secs(10), || {
        gateway.readiness()["source"]["last_error"]
            .is_string()
            .then_some(())
    });
    assert_eq!(status_of(&gateway.url("/stock/v1/items")), 200);

    drop(gateway);
    gateway = canongate_tests::control_plane::following_gateway(&url, &token, state.path());
    assert_eq!(
        status_of(&gateway.url("/stock/v1/items")),
        200,
        "served from last-known-good"
    );
    assert!(
        gateway.logs().contains("last-known-good"),
        "{}",
        gateway.logs()
    );

    control_plane.restart();
    control_plane.publish("stock", &contract("stock", "2.0.0", true));
    wait_for(
        "v2 after the control plane is back",
        Duration::from_secs(30),
        || (status_of(&gateway.url("/stock/v2/items")) == 200).then_some(()),
    );
    assert!(gateway.is_running());
}

#[test]
fn an_older_major_takes_maintenance_releases_while_a_newer_one_is_out() {
    let control_plane = ControlPlane::start();
    control_plane.register_api("stock", "http://127.0.0.1:9");
    control_plane.admin(
        Method::POST,
        "/systems",
        Some(&json!({"name": "sys-stock-2", "spec": {"connection": {"base_urls": ["http://127.0.0.1:10"]}}})),
    );
    let architect = control_plane.token(&["architect"]);
    let post = |path: &str, body: Value| {
        control_plane.send(Method::POST, path, Some(&architect), Some(&body))
    };
    let publish = |version: &str, with_create: bool| {
        post(
            "/apis/stock/versions",
            json!({"contract": contract("stock", version, with_create), "publish": true}),
        )
    };
    control_plane.publish("stock", &contract("stock", "1.0.0", false));
    let v2 = post(
        "/apis/stock/versions",
        json!({
            "contract": contract("stock", "2.0.0", true),
            "backend": {"system": "sys-stock-2", "path_prefix": "/stock/v2"},
            "publish": true,
        }),
    );
    assert_eq!(v2.status(), 201);

    // 1.1.0 adds an operation to the 1.x line: checked against 1.0.0, not 2.0.0, and served by
    // the 1.x backend when it names none.
    let backport: Value = publish("1.1.0", true).json().expect("JSON");
    assert_eq!(backport["previous"], "1.0.0", "{backport}");
    assert_eq!(backport["required_bump"], "minor", "{backport}");
    assert_eq!(
        backport["version"]["backend"]["system"], "sys-stock",
        "{backport}"
    );

    // Within a major, a release must be above the latest of that major.
    let behind = expect_problem(publish("1.0.1", true), 409, "breaking-change");
    assert_eq!(behind["old_version"], "1.1.0", "{behind}");
    // A new major cannot open below the published ones.
    let retroactive = expect_problem(publish("0.9.0", false), 409, "breaking-change");
    assert_eq!(retroactive["old_version"], "2.0.0", "{retroactive}");
    // A pre-release does not open a door for breaking the release it precedes, and the
    // gateways keep serving the release on /v1.
    assert_eq!(publish("1.2.0-rc.1", true).status(), 201);
    let broken = expect_problem(publish("1.2.0", false), 409, "breaking-change");
    assert_eq!(broken["old_version"], "1.1.0", "{broken}");
    let gateway = control_plane.token(&["gateway"]);
    let snapshot: Value = control_plane
        .send(Method::GET, "/snapshot", Some(&gateway), None)
        .json()
        .expect("JSON");
    let served = snapshot["apis"]["stock"]["versions"].to_string();
    assert!(
        served.contains("version: 1.1.0") && served.contains("version: 2.0.0"),
        "{served}"
    );
    assert!(!served.contains("1.2.0-rc.1"), "{served}");

    // Gateways serve one version per major: a successor is a later major's.
    let same_major = post(
        "/apis/stock/versions/1.1.0/deprecate",
        json!({"sunset": "2099-01-31", "successor": "1.2.0-rc.1"}),
    );
    let problem = expect_problem(same_major, 422, "validation-failed");
    assert_eq!(problem["errors"][0]["field"], "/successor", "{problem}");

    // A release into a deprecated major stays deprecated, with the same sunset and successor.
    let deprecated = post(
        "/apis/stock/versions/1.1.0/deprecate",
        json!({"sunset": "2099-01-31", "successor": "2.0.0"}),
    );
    assert_eq!(deprecated.status(), 200);
    let patch: Value = publish("1.1.1", true).json().expect("JSON");
    assert_eq!(patch["version"]["lifecycle"], "deprecated", "{patch}");
    assert_eq!(patch["version"]["sunset"], "2099-01-31", "{patch}");
    assert_eq!(patch["version"]["successor"], "2.0.0", "{patch}");

    // A retired major takes no more releases.
    let retired = post(
        "/apis/stock/versions/1.1.1/retire",
        json!({"override": true, "reason": "v1 is closed early"}),
    );
    assert_eq!(retired.status(), 200);
    let refused = expect_problem(publish("1.1.2", true), 409, "lifecycle-violation");
    assert!(
        refused["detail"]
            .as_str()
            .is_some_and(|d| d.contains("retired")),
        "{refused}"
    );
}

#[test]
fn admin_tokens_are_verified_with_the_keys_the_admin_issuer_publishes() {
    let first = SigningKey::generate(Algorithm::ES256).expect("key");
    let idp = MockIssuer::start(&tokens::jwks(&[("admin-1", &first)]));
    let control_plane = ControlPlane::start_with_admin_jwks(first, &idp.jwks_url());
    let status = |token: &str| {
        control_plane
            .send(Method::GET, "/teams", Some(token), None)
            .status()
            .as_u16()
    };
    assert_eq!(status(&control_plane.token(&["viewer"])), 200);
    assert_eq!(idp.fetches(), 1, "one fetch at start");

    // The IdP rotates its key: the first token naming the new `kid` fetches the set again.
    let second = SigningKey::generate(Algorithm::ES256).expect("key");
    idp.rotate(&tokens::jwks(&[("admin-2", &second)]));
    let rotated = ControlPlane::token_signed_by(&second, "admin-2", &["viewer"]);
    wait_for(
        "a token of the rotated key to be accepted",
        Duration::from_secs(5),
        || (status(&rotated) == 200).then_some(()),
    );
    // A token of the key the set dropped is refused (a fresh one: tokens already verified stay
    // valid until they expire).
    assert_eq!(
        status(&control_plane.token_as("someone-else", &["viewer"])),
        401
    );

    // Tokens naming unknown keys cost at most one fetch per `min_refresh_interval` (1s).
    let fetched = idp.fetches();
    let unknown = SigningKey::generate(Algorithm::ES256).expect("key");
    for kid in ["x-1", "x-2", "x-3", "x-4", "x-5"] {
        let stranger = ControlPlane::token_signed_by(&unknown, kid, &["viewer"]);
        let refused = control_plane.send(Method::GET, "/teams", Some(&stranger), None);
        expect_problem(refused, 401, "unauthorized");
    }
    assert!(idp.fetches() <= fetched + 1, "{} fetches", idp.fetches());

    // While the IdP is down, the keys already fetched keep verifying new tokens.
    idp.stop();
    let fresh = ControlPlane::token_signed_by(&second, "admin-2", &["architect"]);
    assert_eq!(status(&fresh), 200);
}
