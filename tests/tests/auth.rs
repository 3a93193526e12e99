//! Authentication and authorization through the binary: a JWT vector suite (RFC 7515 and 7519
//! examples, algorithm confusion, forged and damaged tokens, claim checks) against one gateway,
//! API keys, subscriptions and scopes, credentials never reaching the system, and public
//! operations.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use canongate_policy::auth::{Algorithm, SigningKey};
use canongate_tests::document::{self, Consumer, Document, Identities};
use canongate_tests::gateway::{Gateway, anonymous_client};
use canongate_tests::mock::MockSystem;
use canongate_tests::tokens::{self, claims, with_claim};
use canongate_tests::{canonical_contract, expect_problem};
use serde_json::{Value, json};

/// The `iss` of the test identity provider.
const IDP: &str = "https://idp.test.invalid/";
/// The audience the gateway accepts from it.
const AUDIENCE: &str = "canongate";
/// The HS256 key of RFC 7515 appendix A.1 (a JWK `k`).
const RFC7515_KEY: &str =
    "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow";
/// RFC 7515 appendix A.1: HS256 with the key above, `iss: joe`, expired in 2011.
const RFC7515_A1: &str = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.\
     eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.\
     dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
/// RFC 7519 section 6.1: the unsecured JWT (`alg: none`) with the same claims.
const RFC7519_UNSECURED: &str = "eyJhbGciOiJub25lIn0.\
     eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.";
/// The API key of consumer `outsider`.
const OUTSIDER_KEY: &str = "outsider-key-0123456789";
/// The API key of consumer `reader`, who may not read inventory.
const READER_KEY: &str = "reader-key-0123456789";

/// The identity provider's signing keys.
struct Keys {
    rsa: SigningKey,
    ec: SigningKey,
    ed: SigningKey,
    rfc7515: SigningKey,
}

impl Keys {
    fn generate() -> Self {
        let rfc_secret = URL_SAFE_NO_PAD.decode(RFC7515_KEY).expect("base64url");
        Self {
            rsa: SigningKey::generate(Algorithm::RS256).expect("RSA key"),
            ec: SigningKey::generate(Algorithm::ES256).expect("P-256 key"),
            ed: SigningKey::generate(Algorithm::EdDSA).expect("Ed25519 key"),
            rfc7515: SigningKey::from_secret(Algorithm::HS256, &rfc_secret).expect("HS256 key"),
        }
    }

    /// Claims of a token for `subject` with `scope`, from the identity provider.
    fn claims(subject: &str, scope: &str) -> Value {
        claims(IDP, AUDIENCE, subject, scope)
    }

    /// The identity provider's RSA public key as PEM.
    fn rsa_pem(&self) -> String {
        self.rsa.public_pem().expect("RSA public key")
    }
}

/// A gateway serving inventory and customer from one mock ERP, trusting two issuers:
///
/// * `rfc7515` (`iss: joe`): the HS256 key of RFC 7515 A.1;
/// * `idp` ([`IDP`], audience [`AUDIENCE`]): keys `rsa-1` (RS256, PEM file), `ec-1` (ES256,
///   JWK) and `ed-1` (EdDSA, PEM file).
///
/// Consumers: `partner` (idp `partner-app`, system crm, inventory), `outsider` (idp
/// `outsider-app` or [`OUTSIDER_KEY`], customer only), `joe` (rfc7515 `joe`, inventory),
/// `reader` ([`READER_KEY`], inventory with only `customer:read`) and the test client.
fn auth_gateway(keys: &Keys) -> (MockSystem, Gateway) {
    let mock = MockSystem::start("erp", Duration::ZERO);
    let document = Document::new();
    let dir = document.dir();
    std::fs::write(dir.join("rsa-1.pem"), keys.rsa_pem()).expect("write");
    std::fs::write(dir.join("ed-1.pem"), keys.ed.public_pem().expect("pem")).expect("write");
    let identities = Identities {
        issuers: vec![
            document::issuer(
                "rfc7515",
                "joe",
                &[&format!(
                    "keys: [{{algorithm: HS256, secret_base64: \"{RFC7515_KEY}\"}}]"
                )],
            ),
            document::issuer(
                "idp",
                IDP,
                &[
                    &format!("audiences: [{AUDIENCE}]"),
                    "keys:",
                    "  - {kid: rsa-1, algorithm: RS256, pem_file: rsa-1.pem}",
                    &format!(
                        "  - {{kid: ec-1, algorithm: ES256, jwk: {}}}",
                        keys.ec.jwk(None)
                    ),
                    "  - {kid: ed-1, algorithm: EdDSA, pem_file: ed-1.pem}",
                ],
            ),
        ],
        consumers: vec![
            Consumer::new("partner", "unlimited")
                .system("crm")
                .jwt("idp", "partner-app")
                .subscribed(&["inventory"]),
            Consumer::new("outsider", "unlimited")
                .jwt("idp", "outsider-app")
                .api_key(OUTSIDER_KEY)
                .scopes(&["customer:read", "inventory:read"])
                .subscribed(&["customer"]),
            Consumer::new("joe", "unlimited")
                .jwt("rfc7515", "joe")
                .subscribed(&["inventory"]),
            Consumer::new("reader", "unlimited")
                .api_key(READER_KEY)
                .scopes(&["customer:read"])
                .subscribed(&["inventory"]),
        ],
        ..Identities::default()
    };
    let apis = ["inventory", "customer"].map(|api| {
        document::api(
            api,
            &canonical_contract(api),
            "published",
            "erp",
            &format!("/erp/{api}"),
        )
    });
    document.write(&document::body_with(
        &[document::system("erp", &[&mock.base_url()], &[])],
        &apis,
        &identities,
    ));
    let gateway = document.start(&[]);
    (mock, gateway)
}

/// GET the inventory list with `headers`, without the test client's API key.
fn list_stock(gateway: &Gateway, headers: &[(&str, &str)]) -> reqwest::blocking::Response {
    let mut request = anonymous_client().get(gateway.url("/inventory/v1/stock-levels"));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().expect("request")
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

/// What a request must get.
#[derive(Debug)]
enum Expect {
    /// 200 from the system.
    Served,
    /// A problem of `kind` with `status` and, when given, this `WWW-Authenticate` value.
    Refused {
        status: u16,
        kind: &'static str,
        challenge: Option<String>,
    },
}

/// 401 with the RFC 6750 `invalid_token` challenge carrying `description`.
fn invalid(description: &str) -> Expect {
    Expect::Refused {
        status: 401,
        kind: "unauthorized",
        challenge: Some(format!(
            "Bearer error=\"invalid_token\", error_description=\"{description}\""
        )),
    }
}

/// 403 `insufficient_scope` naming the inventory read scope.
fn insufficient_scope() -> Expect {
    Expect::Refused {
        status: 403,
        kind: "insufficient-scope",
        challenge: Some("Bearer error=\"insufficient_scope\", scope=\"inventory:read\"".into()),
    }
}

/// Why `response` does not meet `expect`, if it does not.
fn mismatch(response: reqwest::blocking::Response, expect: &Expect) -> Option<String> {
    let status = response.status().as_u16();
    let challenge = response
        .headers()
        .get("www-authenticate")
        .map(|value| value.to_str().unwrap_or("(not ASCII)").to_owned());
    let body = response.text().unwrap_or_default();
    let problem: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    let ok = match expect {
        Expect::Served => status == 200,
        Expect::Refused {
            status: wanted,
            kind,
            challenge: wanted_challenge,
        } => {
            status == *wanted
                && problem["type"] == format!("urn:canongate:problem:{kind}")
                && wanted_challenge
                    .as_ref()
                    .is_none_or(|wanted| challenge.as_ref() == Some(wanted))
        }
    };
    (!ok).then(|| format!("expected {expect:?}, got {status} {challenge:?} {body}"))
}

/// The JWT vectors: `(name, token, expectation)`.
fn vectors(keys: &Keys) -> Vec<(&'static str, String, Expect)> {
    let read = "inventory:read";
    let valid = Keys::claims("partner-app", read);
    let now = tokens::unix_now();
    let ec = |claims: &Value| tokens::sign(&keys.ec, Some("ec-1"), claims);
    let rsa = |claims: &Value| tokens::sign(&keys.rsa, Some("rsa-1"), claims);
    let joe = json!({"iss": "joe", "sub": "joe", "exp": now + 600, "scope": read});
    let pem_as_secret =
        SigningKey::from_secret(Algorithm::HS256, keys.rsa_pem().as_bytes()).expect("HMAC key");
    let attacker = SigningKey::generate(Algorithm::ES256).expect("P-256 key");
    let embedded_key =
        json!({"alg": "ES256", "typ": "JWT", "kid": "ec-1", "jwk": attacker.jwk(None)});
    let crit = json!({"alg": "ES256", "kid": "ec-1", "crit": ["exp"]});
    let sign_header = |key: &SigningKey, header: &Value, claims: &Value| {
        key.sign_with_header(header, claims).expect("sign")
    };
    let escalated = with_claim(&valid, "scope", json!("inventory:read inventory:write"));
    vec![
        (
            "RFC 7515 A.1: validly signed, expired",
            RFC7515_A1.to_owned(),
            invalid("token expired"),
        ),
        (
            "the RFC 7515 A.1 key on fresh claims",
            tokens::sign(&keys.rfc7515, None, &joe),
            Expect::Served,
        ),
        (
            "RFC 7519 6.1: unsecured (alg none)",
            RFC7519_UNSECURED.to_owned(),
            invalid("algorithm not accepted"),
        ),
        (
            "alg none on a registered consumer's valid claims",
            tokens::unsecured(&json!({"alg": "none", "kid": "ec-1"}), &valid),
            invalid("algorithm not accepted"),
        ),
        (
            "alg nOnE",
            tokens::unsecured(&json!({"alg": "nOnE"}), &valid),
            invalid("algorithm not accepted"),
        ),
        (
            "HS256 with the issuer's RSA public key PEM as the secret, kid rsa-1",
            tokens::sign(&pem_as_secret, Some("rsa-1"), &valid),
            invalid("algorithm not accepted"),
        ),
        (
            "HS256 with the issuer's RSA public key PEM as the secret, no kid",
            tokens::sign(&pem_as_secret, None, &valid),
            invalid("algorithm not accepted"),
        ),
        (
            "PS256 with the RS256-pinned key",
            tokens::sign(
                &keys
                    .rsa
                    .with_rsa_algorithm(Algorithm::PS256)
                    .expect("PS256"),
                Some("rsa-1"),
                &valid,
            ),
            invalid("algorithm not accepted"),
        ),
        (
            "unknown kid",
            tokens::sign(&keys.ec, Some("ec-2"), &valid),
            invalid("unknown signing key"),
        ),
        (
            "kid with a parent-directory path",
            tokens::sign(&keys.ec, Some("../../../../dev/null"), &valid),
            invalid("malformed token"),
        ),
        (
            "kid with a backslash path",
            tokens::sign(&keys.ec, Some("keys\\ec-1"), &valid),
            invalid("malformed token"),
        ),
        (
            "kid with an absolute path",
            tokens::sign(&keys.ec, Some("/etc/passwd"), &valid),
            invalid("unknown signing key"),
        ),
        (
            "tampered payload (scope escalated)",
            tokens::with_payload(&ec(&valid), &escalated),
            invalid("invalid signature"),
        ),
        (
            "tampered signature",
            tokens::with_flipped_signature(&rsa(&valid)),
            invalid("invalid signature"),
        ),
        (
            "ES256 all-zero signature",
            tokens::with_signature(&ec(&valid), &[0; 64]),
            invalid("invalid signature"),
        ),
        (
            "ES256 empty signature",
            tokens::with_signature(&ec(&valid), &[]),
            invalid("invalid signature"),
        ),
        (
            "signed by a key embedded in the header",
            sign_header(&attacker, &embedded_key, &valid),
            invalid("invalid signature"),
        ),
        (
            "wrong iss on a known kid",
            ec(&with_claim(
                &valid,
                "iss",
                json!("https://evil.test.invalid/"),
            )),
            invalid("issuer mismatch"),
        ),
        (
            "wrong iss without kid",
            tokens::sign(
                &keys.ec,
                None,
                &with_claim(&valid, "iss", json!("https://evil.test.invalid/")),
            ),
            invalid("untrusted issuer"),
        ),
        (
            "wrong aud",
            ec(&with_claim(&valid, "aud", json!("someone-else"))),
            invalid("audience not accepted"),
        ),
        (
            "aud missing",
            ec(&with_claim(&valid, "aud", Value::Null)),
            invalid("required claim missing"),
        ),
        (
            "nbf in the future",
            ec(&with_claim(&valid, "nbf", json!(now + 3600))),
            invalid("token not yet valid"),
        ),
        (
            "exp missing",
            ec(&with_claim(&valid, "exp", Value::Null)),
            invalid("required claim missing"),
        ),
        (
            "expired an hour ago",
            ec(&with_claim(&valid, "exp", json!(now - 3600))),
            invalid("token expired"),
        ),
        (
            "expired within the leeway",
            ec(&with_claim(&valid, "exp", json!(now - 5))),
            Expect::Served,
        ),
        (
            "sub missing",
            ec(&with_claim(&valid, "sub", Value::Null)),
            invalid("required claim missing"),
        ),
        (
            "critical header extension",
            sign_header(&keys.ec, &crit, &valid),
            invalid("malformed token"),
        ),
        (
            "not a JWS",
            "not-a-token".to_owned(),
            invalid("malformed token"),
        ),
        (
            "a token over 16 KiB",
            ec(&with_claim(&valid, "padding", json!("p".repeat(17 * 1024)))),
            invalid("malformed token"),
        ),
        (
            "unknown consumer subject",
            ec(&Keys::claims("ghost-app", read)),
            invalid("unknown consumer"),
        ),
        (
            "not subscribed",
            ec(&Keys::claims("outsider-app", read)),
            Expect::Refused {
                status: 403,
                kind: "not-subscribed",
                challenge: None,
            },
        ),
        (
            "scope missing",
            ec(&Keys::claims(
                "partner-app",
                "customer:read inventory:write",
            )),
            insufficient_scope(),
        ),
        (
            "no scope at all",
            ec(&with_claim(&valid, "scope", Value::Null)),
            insufficient_scope(),
        ),
        ("valid ES256", ec(&valid), Expect::Served),
        ("valid RS256", rsa(&valid), Expect::Served),
        (
            "valid EdDSA",
            tokens::sign(&keys.ed, Some("ed-1"), &valid),
            Expect::Served,
        ),
        (
            "valid, scopes in an scp array",
            ec(&with_claim(
                &with_claim(&valid, "scope", Value::Null),
                "scp",
                json!(["customer:read", "inventory:read"]),
            )),
            Expect::Served,
        ),
    ]
}

#[test]
fn jwt_vectors_get_the_right_answer() {
    let keys = Keys::generate();
    let (mock, gateway) = auth_gateway(&keys);
    let vectors = vectors(&keys);
    let mut failures = Vec::new();
    for (name, token, expect) in &vectors {
        let response = list_stock(&gateway, &[("authorization", &bearer(token))]);
        if let Some(why) = mismatch(response, expect) {
            failures.push(format!("{name}: {why}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} vectors failed:\n{}",
        failures.len(),
        vectors.len(),
        failures.join("\n")
    );
    let served = vectors
        .iter()
        .filter(|(_, _, expect)| matches!(expect, Expect::Served))
        .count();
    assert_eq!(
        mock.requests().len(),
        served,
        "refused requests never reach the system"
    );
}

#[test]
fn api_keys_subscriptions_and_scopes() {
    let keys = Keys::generate();
    let (mock, gateway) = auth_gateway(&keys);

    let response = list_stock(&gateway, &[]);
    assert_eq!(
        response
            .headers()
            .get("www-authenticate")
            .map(|v| v.as_bytes()),
        Some(&b"Bearer"[..]),
        "a missing credential gets the bare Bearer challenge"
    );
    expect_problem(response, 401, "unauthorized");

    let test_key = document::TEST_API_KEY;
    assert_eq!(
        list_stock(&gateway, &[("x-api-key", test_key)]).status(),
        200
    );
    for (name, key) in [
        ("unknown key", "not-a-known-key"),
        ("empty key", ""),
        (
            "a key's digest instead of the key",
            &document::sha256_hex(test_key),
        ),
        ("the key in upper case", &test_key.to_uppercase()),
    ] {
        let response = list_stock(&gateway, &[("x-api-key", key)]);
        let challenge = response
            .headers()
            .get("www-authenticate")
            .map(|value| value.to_str().expect("ascii").to_owned());
        assert!(
            challenge
                .as_deref()
                .is_some_and(|challenge| challenge.contains("x-api-key")),
            "{name}: the challenge names the key header: {challenge:?}"
        );
        expect_problem(response, 401, "unauthorized");
    }
    let response = list_stock(&gateway, &[("x-api-key", OUTSIDER_KEY)]);
    expect_problem(response, 403, "not-subscribed");
    let response = list_stock(&gateway, &[("x-api-key", READER_KEY)]);
    assert!(
        mismatch(response, &insufficient_scope()).is_none(),
        "an API key without the scope"
    );
    let response = anonymous_client()
        .get(gateway.url("/customer/v1/customers"))
        .header("x-api-key", OUTSIDER_KEY)
        .send()
        .expect("request");
    assert_eq!(response.status(), 200, "outsider may read customers");

    // A bearer token is taken before an API key, whatever either holds.
    let token = tokens::sign(
        &keys.ec,
        Some("ec-1"),
        &Keys::claims("partner-app", "inventory:read"),
    );
    let response = list_stock(
        &gateway,
        &[
            ("authorization", "Bearer not-a-token"),
            ("x-api-key", test_key),
        ],
    );
    expect_problem(response, 401, "unauthorized");
    let response = list_stock(
        &gateway,
        &[("authorization", &bearer(&token)), ("x-api-key", "wrong")],
    );
    assert_eq!(response.status(), 200, "the token decides");
    assert_eq!(
        mock.requests()
            .last()
            .and_then(|r| r.header("x-canongate-consumer").map(str::to_owned)),
        Some("partner".to_owned())
    );
    let response = list_stock(&gateway, &[("authorization", &format!("bearer {token}"))]);
    assert_eq!(response.status(), 200, "the scheme is case-insensitive");
    for authorization in [format!("Basic {token}"), token.clone(), "Bearer".to_owned()] {
        let response = list_stock(&gateway, &[("authorization", &authorization)]);
        expect_problem(response, 401, "unauthorized");
    }
}

#[test]
fn credentials_are_stripped_and_the_consumer_named_before_the_system() {
    let keys = Keys::generate();
    let (mock, gateway) = auth_gateway(&keys);
    let token = tokens::sign(
        &keys.rsa,
        Some("rsa-1"),
        &Keys::claims("partner-app", "inventory:read"),
    );
    let forged = [
        ("x-canongate-consumer", "test-client"),
        ("x-canongate-consumer-system", "erp"),
    ];
    let authorization = bearer(&token);
    let identified = [
        ("authorization", authorization.as_str()),
        ("x-request-id", "partner-call-1"),
    ];
    let response = list_stock(
        &gateway,
        &[&[("authorization", authorization.as_str())][..], &forged].concat(),
    );
    expect_problem(response, 400, "malformed-request");
    assert!(
        mock.requests().is_empty(),
        "a forged identity never reaches the system"
    );
    let response = list_stock(&gateway, &identified);
    assert_eq!(response.status(), 200);
    let line = gateway.wait_for_log("partner-call-1");
    let entry: Value = serde_json::from_str(&line).expect("a JSON access-log line");
    assert_eq!(
        entry["consumer"], "partner",
        "the access log names the consumer: {entry}"
    );
    let response = list_stock(&gateway, &[("x-api-key", document::TEST_API_KEY)]);
    assert_eq!(response.status(), 200);

    let requests = mock.requests();
    assert_eq!(requests.len(), 2);
    for (request, (consumer, system)) in requests
        .iter()
        .zip([("partner", "crm"), ("test-client", "shop")])
    {
        for credential in ["authorization", "x-api-key"] {
            assert_eq!(
                request.header(credential),
                None,
                "{consumer}: {credential} reached the system"
            );
        }
        let values = |name: &str| -> Vec<&str> {
            request
                .headers
                .iter()
                .filter(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
                .collect()
        };
        assert_eq!(values("x-canongate-consumer"), [consumer]);
        assert_eq!(values("x-canongate-consumer-system"), [system]);
    }
}

/// The inventory contract with `listStockLevels` made public (`security: []`).
fn public_list_contract(dir: &std::path::Path) -> std::path::PathBuf {
    let text = std::fs::read_to_string(canonical_contract("inventory")).expect("contract");
    let secured = "      security:\n        - oauth2:\n            - inventory:read\n";
    let list = text
        .find("operationId: listStockLevels")
        .expect("list operation");
    let at = list + text[list..].find(secured).expect("its security");
    let public = format!(
        "{}      security: []\n{}",
        &text[..at],
        &text[at + secured.len()..]
    );
    let path = dir.join("inventory-public-list.yaml");
    std::fs::write(&path, public).expect("write");
    path
}

#[test]
fn public_operations_need_no_credential_and_identity_headers_cannot_be_forged() {
    let mock = MockSystem::start("erp", Duration::ZERO);
    let document = Document::new();
    let contract = public_list_contract(document.dir());
    document.write(&document::body(
        &[document::system("erp", &[&mock.base_url()], &[])],
        &[document::api(
            "inventory",
            &contract,
            "published",
            "erp",
            "/erp/inventory",
        )],
    ));
    let gateway = document.start(&[]);

    assert_eq!(
        list_stock(&gateway, &[]).status(),
        200,
        "public: no credential"
    );
    let response = list_stock(&gateway, &[("authorization", "Bearer not-a-token")]);
    assert_eq!(
        response.status(),
        200,
        "public: a credential is not examined"
    );
    let response = anonymous_client()
        .get(gateway.url("/inventory/v1/stock-levels/s-1"))
        .send()
        .expect("request");
    expect_problem(response, 401, "unauthorized");

    let seen = mock.requests().len();
    for forged in [
        ("x-canongate-consumer", "test-client"),
        ("x_canongate_consumer", "test-client"),
        ("X-Canongate-Consumer-System", "erp"),
    ] {
        let response = list_stock(&gateway, &[forged, ("x-api-key", document::TEST_API_KEY)]);
        expect_problem(response, 400, "malformed-request");
    }
    assert_eq!(
        mock.requests().len(),
        seen,
        "forged identities never reach the system"
    );
    let response = list_stock(&gateway, &[("x-api-key", document::TEST_API_KEY)]);
    assert_eq!(response.status(), 200);
    let requests = mock.requests();
    let forwarded = requests.last().expect("the request reached the system");
    assert_eq!(forwarded.header("authorization"), None);
    assert_eq!(forwarded.header("x-api-key"), None);
    assert_eq!(
        forwarded.header("x-canongate-consumer"),
        None,
        "a client's own consumer header never reaches the system"
    );
    assert_eq!(forwarded.header("x-canongate-consumer-system"), None);
}
