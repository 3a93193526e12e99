//! JWKS through the binary, against a mock issuer: keys fetched at start, a rotation picked up
//! by the refresh an unknown `kid` triggers, refreshes rate-limited, the held keys still served
//! while the endpoint returns junk or is down, with readiness showing the staleness, and an
//! endpoint that never answers holding up neither start-up nor letting a token through.

use std::time::{Duration, Instant};

use canongate_policy::auth::{Algorithm, SigningKey};
use canongate_tests::document::{self, Consumer, Document, Identities};
use canongate_tests::gateway::{Gateway, anonymous_client};
use canongate_tests::issuer::MockIssuer;
use canongate_tests::mock::MockSystem;
use canongate_tests::tokens::{self, jwks};
use canongate_tests::{canonical_contract, wait_for};
use serde_json::Value;

const IDP: &str = "https://jwks.test.invalid/";
const AUDIENCE: &str = "canongate";

/// A gateway trusting `issuer`'s JWKS (ES256; refreshed hourly, on demand at most once a
/// second, one second allowed per fetch), with consumer `partner` (`partner-app`) on inventory.
fn jwks_gateway(issuer: &MockIssuer) -> (MockSystem, Gateway) {
    let mock = MockSystem::start("erp", Duration::ZERO);
    let document = Document::new();
    let identities = Identities {
        issuers: vec![document::issuer(
            "idp",
            IDP,
            &[
                &format!("audiences: [{AUDIENCE}]"),
                &format!(
                    "jwks: {{url: \"{}\", algorithms: [ES256], refresh_interval: 1h, min_refresh_interval: 1s, timeout: 1s}}",
                    issuer.jwks_url()
                ),
            ],
        )],
        consumers: vec![
            Consumer::new("partner", "unlimited")
                .jwt("idp", "partner-app")
                .subscribed(&["inventory"]),
        ],
        ..Identities::default()
    };
    document.write(&document::body_with(
        &[document::system("erp", &[&mock.base_url()], &[])],
        &[document::api(
            "inventory",
            &canonical_contract("inventory"),
            "published",
            "erp",
            "/erp/inventory",
        )],
        &identities,
    ));
    let gateway = document.start(&[]);
    (mock, gateway)
}

/// The status of a fresh token (never cached) signed by `key` under `kid`.
fn status_with(gateway: &Gateway, key: &SigningKey, kid: &str) -> u16 {
    let claims = tokens::claims(IDP, AUDIENCE, "partner-app", "inventory:read");
    anonymous_client()
        .get(gateway.url("/inventory/v1/stock-levels"))
        .bearer_auth(tokens::sign(key, Some(kid), &claims))
        .send()
        .expect("request")
        .status()
        .as_u16()
}

/// The readiness entry of the issuer's JWKS.
fn jwks_status(gateway: &Gateway) -> Value {
    let readiness = gateway.readiness();
    let entries = readiness["jwks"]
        .as_array()
        .unwrap_or_else(|| panic!("a jwks array in {readiness}"));
    assert_eq!(entries.len(), 1, "{readiness}");
    entries[0].clone()
}

#[test]
fn jwks_rotation_is_picked_up_and_held_keys_outlive_the_endpoint() {
    let (a, b, c) = (
        SigningKey::generate(Algorithm::ES256).expect("key"),
        SigningKey::generate(Algorithm::ES256).expect("key"),
        SigningKey::generate(Algorithm::ES256).expect("key"),
    );
    let issuer = MockIssuer::start(&jwks(&[("key-a", &a)]));
    let (_mock, gateway) = jwks_gateway(&issuer);

    let status = jwks_status(&gateway);
    assert_eq!(issuer.fetches(), 1, "fetched once at start");
    assert_eq!(status["issuer"], "idp");
    assert_eq!(status["url"], issuer.jwks_url());
    assert_eq!(status["keys"], 1);
    assert!(status["last_success_unix"].is_u64(), "{status}");
    assert!(status["last_error"].is_null(), "{status}");
    assert_eq!(status_with(&gateway, &a, "key-a"), 200);

    issuer.rotate(&jwks(&[("key-b", &b)]));
    assert_eq!(
        status_with(&gateway, &b, "key-b"),
        200,
        "a token with the new kid is served after the on-demand refresh"
    );
    assert_eq!(issuer.fetches(), 2, "one refresh for the unknown kid");
    assert_eq!(
        status_with(&gateway, &a, "key-a"),
        401,
        "the rotated-out key no longer verifies"
    );

    // Unknown kids cannot make the gateway hammer the issuer.
    let (before, started) = (issuer.fetches(), Instant::now());
    for attempt in 0..20 {
        assert_eq!(
            status_with(&gateway, &c, &format!("unknown-{attempt}")),
            401
        );
    }
    let refreshes = issuer.fetches() - before;
    let allowed = usize::try_from(started.elapsed().as_secs()).unwrap_or(usize::MAX) + 1;
    assert!(
        refreshes <= allowed,
        "{refreshes} refreshes in {:?} with min_refresh_interval 1s",
        started.elapsed()
    );

    // Junk from the endpoint: the held keys stay.
    let last_success = jwks_status(&gateway)["last_success_unix"].clone();
    issuer.answer_with(200, "<html>maintenance</html>");
    let status = wait_for("a refused JWKS to show", Duration::from_secs(10), || {
        assert_eq!(status_with(&gateway, &c, "key-c"), 401);
        let status = jwks_status(&gateway);
        (!status["last_error"].is_null()).then_some(status)
    });
    assert!(
        status["last_error"]
            .as_str()
            .is_some_and(|error| error.contains("JWK Set")),
        "{status}"
    );
    assert_eq!(status["keys"], 1, "{status}");
    assert_eq!(status["last_success_unix"], last_success, "{status}");
    assert_eq!(status_with(&gateway, &b, "key-b"), 200, "held keys serve");

    // A good set again clears the error.
    issuer.rotate(&jwks(&[("key-b", &b), ("key-c", &c)]));
    wait_for("key-c to be fetched", Duration::from_secs(10), || {
        (status_with(&gateway, &c, "key-c") == 200).then_some(())
    });
    let status = jwks_status(&gateway);
    assert!(status["last_error"].is_null(), "{status}");
    assert_eq!(status["keys"], 2, "{status}");

    // The endpoint goes down: cached keys keep serving, readiness shows the failure.
    issuer.stop();
    let d = SigningKey::generate(Algorithm::ES256).expect("key");
    let status = wait_for("the failed fetch to show", Duration::from_secs(10), || {
        assert_eq!(status_with(&gateway, &d, "key-d"), 401);
        let status = jwks_status(&gateway);
        (!status["last_error"].is_null()).then_some(status)
    });
    assert!(
        status["last_error"]
            .as_str()
            .is_some_and(|error| error.contains(&issuer.jwks_url())),
        "the error names the endpoint: {status}"
    );
    assert_eq!(status["keys"], 2, "{status}");
    assert_eq!(status_with(&gateway, &b, "key-b"), 200);
    assert_eq!(status_with(&gateway, &c, "key-c"), 200);
    assert_eq!(
        gateway.readiness()["status"],
        "ready",
        "a stale JWKS does not take the gateway out of service"
    );
}

#[test]
fn a_hanging_jwks_endpoint_fails_closed_and_recovers() {
    let key = SigningKey::generate(Algorithm::ES256).expect("key");
    let issuer = MockIssuer::start(&jwks(&[("key-a", &key)]));
    issuer.hang();
    let (mock, gateway) = jwks_gateway(&issuer);

    let status = jwks_status(&gateway);
    assert_eq!(status["keys"], 0, "{status}");
    assert!(status["last_success_unix"].is_null(), "{status}");
    assert!(
        status["last_error"]
            .as_str()
            .is_some_and(|error| error.contains(&issuer.jwks_url())),
        "{status}"
    );
    assert_eq!(
        status_with(&gateway, &key, "key-a"),
        401,
        "no keys, no entry: the refresh for the unknown kid times out"
    );
    assert!(mock.requests().is_empty());

    issuer.rotate(&jwks(&[("key-a", &key)]));
    wait_for("the endpoint's keys", Duration::from_secs(10), || {
        (status_with(&gateway, &key, "key-a") == 200).then_some(())
    });
    let status = jwks_status(&gateway);
    assert_eq!(status["keys"], 1, "{status}");
    assert!(status["last_error"].is_null(), "{status}");
    assert!(status["last_success_unix"].is_u64(), "{status}");
}

#[test]
fn jwks_keys_survive_a_reload_and_a_changed_issuer_fetches_again() {
    let key = SigningKey::generate(Algorithm::ES256).expect("key");
    let issuer = MockIssuer::start(&jwks(&[("key-a", &key)]));
    let (_mock, gateway) = jwks_gateway(&issuer);
    assert_eq!(status_with(&gateway, &key, "key-a"), 200);
    assert_eq!(issuer.fetches(), 1);

    let body = std::fs::read_to_string(&gateway.config).expect("document");
    let body = body
        .split_once("systems:")
        .map(|(_, rest)| format!("systems:{rest}"));
    let body = body.expect("a systems section");
    gateway.reload("relabelled", &body);
    assert_eq!(status_with(&gateway, &key, "key-a"), 200);
    assert_eq!(issuer.fetches(), 1, "the held keys serve on: no fetch");

    gateway.reload(
        "new-audience",
        &body.replace("audiences: [canongate]", "audiences: [canongate, partners]"),
    );
    assert_eq!(
        issuer.fetches(),
        2,
        "a changed issuer fetches its keys at load"
    );
    assert_eq!(jwks_status(&gateway)["keys"], 1);
    assert_eq!(status_with(&gateway, &key, "key-a"), 200);
    assert_eq!(issuer.fetches(), 2);
}
