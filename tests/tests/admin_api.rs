//! The admin API against its own OpenAPI document: every documented operation is served and
//! refuses no token, an expired token and every role it does not list; every change is audited;
//! ETags, pagination, body limits and input errors behave as documented.

use std::collections::BTreeSet;

use canongate_tests::control_plane::{ControlPlane, contract};
use canongate_tests::expect_problem;
use canongate_tests::gateway::anonymous_client;
use reqwest::Method;
use serde_json::{Value, json};

/// Every role a token can hold, with the team of the owner roles.
const ROLES: [&str; 6] = [
    "architect",
    "security",
    "viewer",
    "gateway",
    "owner:team-stock",
    "owner:team-other",
];

/// A registry holding one resource of every kind, a published version and a draft.
fn seeded() -> ControlPlane {
    let control_plane = ControlPlane::start();
    control_plane.register_api("stock", "http://127.0.0.1:9");
    control_plane.admin(
        Method::POST,
        "/teams",
        Some(&json!({"name": "team-other", "spec": {"display_name": "Other"}})),
    );
    control_plane.publish("stock", &contract("stock", "1.0.0", false));
    control_plane.admin(
        Method::POST,
        "/apis/stock/versions",
        Some(&json!({"contract": contract("stock", "1.1.0", true)})),
    );
    control_plane.admin(
        Method::POST,
        "/tiers",
        Some(&json!({"name": "gold", "spec": {"rate": {"requests": 10, "per": "1s"}}})),
    );
    control_plane.admin(
        Method::POST,
        "/issuers",
        Some(&json!({"name": "idp", "spec": {
            "issuer": "https://idp.test.invalid/",
            "keys": [{"kid": "k1", "algorithm": "HS256", "secret_base64": "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA=="}],
        }})),
    );
    control_plane.admin(
        Method::POST,
        "/consumers",
        Some(&json!({"name": "web", "spec": {
            "name": "Web", "team": "team-stock", "system": "sys-stock", "tier": "gold",
            "credentials": {"jwt": [{"issuer": "idp", "subject": "web"}]},
            "subscriptions": ["stock"],
        }})),
    );
    control_plane
}

/// The served OpenAPI document (public).
fn document(control_plane: &ControlPlane) -> Value {
    let response = control_plane.send(Method::GET, "/openapi.json", None, None);
    assert_eq!(response.status(), 200);
    response.json().expect("the admin OpenAPI document is JSON")
}

/// `(method, path template, operation)` of every documented operation.
fn operations(document: &Value) -> Vec<(Method, String, Value)> {
    let mut operations = Vec::new();
    for (path, item) in document["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("path item") {
            let method = match method.as_str() {
                "get" => Method::GET,
                "post" => Method::POST,
                "put" => Method::PUT,
                "delete" => Method::DELETE,
                "patch" => Method::PATCH,
                _ => continue,
            };
            operations.push((method, path.clone(), operation.clone()));
        }
    }
    operations
}

/// The template with every parameter replaced by a resource the seeded registry holds.
fn concrete(template: &str) -> String {
    let collection = template.split('/').nth(1).unwrap_or_default();
    let name = match collection {
        "teams" => "team-stock",
        "systems" => "sys-stock",
        "domains" | "apis" => "stock",
        "issuers" => "idp",
        "tiers" => "gold",
        _ => "web",
    };
    template
        .replace("{name}", name)
        .replace("{api}", "stock")
        .replace("{version}", "1.1.0")
        .replace("{consumer}", "web")
}

/// Whether `role` is among the operation's `x-canongate-roles`.
fn allowed(operation: &Value, role: &str) -> bool {
    operation["x-canongate-roles"]
        .as_array()
        .expect("roles")
        .iter()
        .filter_map(Value::as_str)
        .any(|listed| match listed {
            "owner:*" => role.starts_with("owner:"),
            "owner:{api}" => role == "owner:team-stock",
            listed => listed == role,
        })
}

fn documents_status(operation: &Value, status: u16) -> bool {
    operation["responses"].get(status.to_string()).is_some()
}

/// Checks `body` against the JSON schema the document gives for `status`.
fn expect_documented_body(document: &Value, operation: &Value, status: u16, body: &Value) {
    let id = &operation["operationId"];
    let response = &operation["responses"][status.to_string()];
    let response = match response["$ref"].as_str() {
        Some(reference) => {
            canongate_contracts::pointer::resolve(document, reference.trim_start_matches('#'))
                .expect("the response reference resolves")
        }
        None => response,
    };
    let Some(schema) = response["content"]["application/json"].get("schema") else {
        return;
    };
    if let Some((at, message)) =
        canongate_contracts::lint::instance_mismatch(document, schema, body)
    {
        panic!("{id} {status}: the body breaks its documented schema at `{at}`: {message}\n{body}");
    }
}

#[test]
fn every_documented_operation_refuses_missing_expired_and_wrong_role_tokens() {
    let control_plane = seeded();
    let document = document(&control_plane);
    let operations = operations(&document);
    assert!(operations.len() >= 50, "{} operations", operations.len());
    let expired = control_plane.expired_token(&ROLES);
    let mut refusals = 0;
    for (method, template, operation) in &operations {
        let id = operation["operationId"].as_str().expect("operationId");
        if operation["security"] == json!([]) {
            let response = control_plane.send(method.clone(), &concrete(template), None, None);
            assert_eq!(response.status(), 200, "{id} is public");
            continue;
        }
        let path = concrete(template);
        let body = (*method != Method::GET && *method != Method::DELETE).then(|| json!({}));
        let send =
            |token: Option<&str>| control_plane.send(method.clone(), &path, token, body.as_ref());
        for (label, token) in [
            ("no token", None),
            ("an expired token", Some(expired.as_str())),
        ] {
            let response = send(token);
            assert!(
                response.headers().contains_key("www-authenticate"),
                "{id} with {label}"
            );
            let problem = expect_problem(response, 401, "unauthorized");
            assert!(
                documents_status(operation, 401),
                "{id}: 401 undocumented: {problem}"
            );
        }
        let mut refused = false;
        for role in ROLES {
            let token = control_plane.token(&[role]);
            if allowed(operation, role) {
                if *method == Method::GET {
                    let response = send(Some(&token));
                    let status = response.status().as_u16();
                    let body: Value = response.json().unwrap_or_default();
                    assert!(
                        (200..300).contains(&status) && documents_status(operation, status),
                        "{id} as {role}: {status} {body}"
                    );
                    expect_documented_body(&document, operation, status, &body);
                }
                continue;
            }
            let problem = expect_problem(send(Some(&token)), 403, "forbidden");
            assert!(documents_status(operation, 403), "{id}: 403 undocumented");
            assert!(
                problem["detail"].as_str().unwrap().contains(role),
                "{id}: {problem}"
            );
            refused = true;
            refusals += 1;
        }
        assert!(
            refused,
            "{id}: no role is refused, so the route is unproven"
        );
    }
    eprintln!(
        "{} operations, {refusals} wrong-role refusals",
        operations.len()
    );
}

#[test]
fn documented_paths_answer_405_to_undocumented_methods_and_unknown_paths_404() {
    let control_plane = seeded();
    let document = document(&control_plane);
    let token = control_plane.bootstrap.clone();
    let mut by_path: std::collections::BTreeMap<String, BTreeSet<Method>> = Default::default();
    for (method, template, _) in operations(&document) {
        by_path.entry(template).or_default().insert(method);
    }
    for (template, methods) in by_path {
        for method in [
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::DELETE,
            Method::PATCH,
        ] {
            if methods.contains(&method) {
                continue;
            }
            let response =
                control_plane.send(method.clone(), &concrete(&template), Some(&token), None);
            expect_problem(response, 405, "method-not-allowed");
        }
    }
    let response = control_plane.send(Method::GET, "/nowhere", Some(&token), None);
    expect_problem(response, 404, "not-found");
}

/// A request: method, path under `/api/v1`, JSON body.
type Request<'a> = (Method, &'a str, Option<Value>);

/// A change to make: the operation it exercises, the role making it, the request, and the audit
/// action and entity it must leave.
type Step<'a> = (&'a str, &'a str, Request<'a>, &'a str, &'a str);

/// Sends a change as `role` with its own request id; returns the id.
fn change(control_plane: &ControlPlane, role: &str, (method, path, body): Request<'_>) -> String {
    let request_id = format!(
        "audit-{}",
        path.replace('/', "_").replace('.', "-") + method.as_str()
    );
    let mut request = anonymous_client()
        .request(
            method.clone(),
            format!("{}/api/v1{path}", control_plane.base_url()),
        )
        .bearer_auth(control_plane.token_as(&format!("{role}-person"), &[role]))
        .header("x-request-id", &request_id);
    if let Some(body) = &body {
        request = request.json(body);
    }
    let response = request.send().expect("answer");
    assert!(
        response.status().is_success(),
        "{method} {path}: {} {}",
        response.status(),
        response.text().unwrap_or_default()
    );
    request_id
}

#[test]
fn every_mutating_operation_is_audited_with_actor_role_entity_and_request_id() {
    let control_plane = seeded();
    let document = document(&control_plane);
    let stock = contract("stock", "2.0.0", true);
    let steps: Vec<Step<'_>> = vec![
        (
            "createTeam",
            "architect",
            (
                Method::POST,
                "/teams",
                Some(json!({"name": "t2", "spec": {"display_name": "T2"}})),
            ),
            "team.create",
            "teams/t2",
        ),
        (
            "updateTeam",
            "architect",
            (
                Method::PUT,
                "/teams/t2",
                Some(json!({"spec": {"display_name": "Team two"}})),
            ),
            "team.update",
            "teams/t2",
        ),
        (
            "createSystem",
            "architect",
            (
                Method::POST,
                "/systems",
                Some(
                    json!({"name": "wms", "spec": {"connection": {"base_urls": ["http://127.0.0.1:9"]}}}),
                ),
            ),
            "system.create",
            "systems/wms",
        ),
        (
            "updateSystem",
            "architect",
            (
                Method::PUT,
                "/systems/wms",
                Some(json!({"spec": {"connection": {"base_urls": ["http://127.0.0.1:10"]}}})),
            ),
            "system.update",
            "systems/wms",
        ),
        (
            "createDomain",
            "architect",
            (
                Method::POST,
                "/domains",
                Some(
                    json!({"name": "slot", "spec": {"owner_team": "t2", "system_of_record": "wms"}}),
                ),
            ),
            "domain.create",
            "domains/slot",
        ),
        (
            "updateDomain",
            "architect",
            (
                Method::PUT,
                "/domains/slot",
                Some(
                    json!({"spec": {"owner_team": "t2", "system_of_record": "wms", "writers": ["sys-stock"]}}),
                ),
            ),
            "domain.update",
            "domains/slot",
        ),
        (
            "createApi",
            "architect",
            (
                Method::POST,
                "/apis",
                Some(json!({"name": "slots", "spec": {"domain": "slot", "owner_team": "t2"}})),
            ),
            "api.create",
            "apis/slots",
        ),
        (
            "updateApi",
            "architect",
            (
                Method::PUT,
                "/apis/slots",
                Some(
                    json!({"spec": {"domain": "slot", "owner_team": "t2", "base_path": "/slot-api"}}),
                ),
            ),
            "api.update",
            "apis/slots",
        ),
        (
            "createIssuer",
            "security",
            (
                Method::POST,
                "/issuers",
                Some(
                    json!({"name": "idp2", "spec": {"issuer": "https://idp2.test.invalid/", "keys": [{"kid": "k", "algorithm": "HS256", "secret_base64": "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA=="}]}}),
                ),
            ),
            "issuer.create",
            "issuers/idp2",
        ),
        (
            "updateIssuer",
            "security",
            (
                Method::PUT,
                "/issuers/idp2",
                Some(
                    json!({"spec": {"issuer": "https://idp2.test.invalid/", "leeway": "5s", "keys": [{"kid": "k", "algorithm": "HS256", "secret_base64": "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA=="}]}}),
                ),
            ),
            "issuer.update",
            "issuers/idp2",
        ),
        (
            "createTier",
            "security",
            (
                Method::POST,
                "/tiers",
                Some(json!({"name": "silver", "spec": {"rate": {"requests": 5, "per": "1s"}}})),
            ),
            "tier.create",
            "tiers/silver",
        ),
        (
            "updateTier",
            "security",
            (
                Method::PUT,
                "/tiers/silver",
                Some(json!({"spec": {"rate": {"requests": 6, "per": "1s"}}})),
            ),
            "tier.update",
            "tiers/silver",
        ),
        (
            "createConsumer",
            "security",
            (
                Method::POST,
                "/consumers",
                Some(
                    json!({"name": "app", "spec": {"name": "App", "team": "t2", "system": "wms", "tier": "silver"}}),
                ),
            ),
            "consumer.create",
            "consumers/app",
        ),
        (
            "updateConsumer",
            "security",
            (
                Method::PUT,
                "/consumers/app",
                Some(
                    json!({"spec": {"name": "App 2", "team": "t2", "system": "wms", "tier": "silver"}}),
                ),
            ),
            "consumer.update",
            "consumers/app",
        ),
        (
            "addSubscription",
            "security",
            (Method::PUT, "/consumers/app/subscriptions/stock", None),
            "subscription.add",
            "consumers/app/subscriptions/stock",
        ),
        (
            "removeSubscription",
            "security",
            (Method::DELETE, "/consumers/app/subscriptions/stock", None),
            "subscription.remove",
            "consumers/app/subscriptions/stock",
        ),
        (
            "updateVersion",
            "owner:team-stock",
            (
                Method::PUT,
                "/apis/stock/versions/1.1.0",
                Some(json!({"contract": contract("stock", "1.1.0", true)})),
            ),
            "version.update",
            "apis/stock/versions/1.1.0",
        ),
        (
            "publishVersion",
            "architect",
            (Method::POST, "/apis/stock/versions/1.1.0/publish", None),
            "version.publish",
            "apis/stock/versions/1.1.0",
        ),
        (
            "createVersion",
            "architect",
            (
                Method::POST,
                "/apis/stock/versions",
                Some(json!({"contract": stock, "publish": true})),
            ),
            "version.publish",
            "apis/stock/versions/2.0.0",
        ),
        (
            "deprecateVersion",
            "owner:team-stock",
            (
                Method::POST,
                "/apis/stock/versions/1.1.0/deprecate",
                Some(
                    json!({"sunset": "2099-06-01", "successor": "2.0.0", "deprecated_on": "2099-01-01"}),
                ),
            ),
            "version.deprecate",
            "apis/stock/versions/1.1.0",
        ),
        (
            "retireVersion",
            "architect",
            (
                Method::POST,
                "/apis/stock/versions/1.1.0/retire",
                Some(json!({"override": true, "reason": "replaced early"})),
            ),
            "version.retire-override",
            "apis/stock/versions/1.1.0",
        ),
        (
            "deleteVersion",
            "owner:team-stock",
            (Method::DELETE, "/apis/stock/versions/2.1.0", None),
            "version.delete",
            "apis/stock/versions/2.1.0",
        ),
        (
            "deleteConsumer",
            "security",
            (Method::DELETE, "/consumers/app", None),
            "consumer.delete",
            "consumers/app",
        ),
        (
            "deleteTier",
            "security",
            (Method::DELETE, "/tiers/silver", None),
            "tier.delete",
            "tiers/silver",
        ),
        (
            "deleteIssuer",
            "security",
            (Method::DELETE, "/issuers/idp2", None),
            "issuer.delete",
            "issuers/idp2",
        ),
        (
            "deleteApi",
            "architect",
            (Method::DELETE, "/apis/slots", None),
            "api.delete",
            "apis/slots",
        ),
        (
            "deleteDomain",
            "architect",
            (Method::DELETE, "/domains/slot", None),
            "domain.delete",
            "domains/slot",
        ),
        (
            "deleteSystem",
            "architect",
            (Method::DELETE, "/systems/wms", None),
            "system.delete",
            "systems/wms",
        ),
        (
            "deleteTeam",
            "architect",
            (Method::DELETE, "/teams/t2", None),
            "team.delete",
            "teams/t2",
        ),
    ];
    let mut covered = BTreeSet::new();
    for (operation, role, request, action, entity) in steps {
        if operation == "deleteVersion" {
            // A draft to delete.
            control_plane.admin(
                Method::POST,
                "/apis/stock/versions",
                Some(&json!({"contract": contract("stock", "2.1.0", true)})),
            );
        }
        let request_id = change(&control_plane, role, request);
        let audit = control_plane.admin(
            Method::GET,
            &format!("/audit?entity={entity}&action={action}"),
            None,
        );
        let entry = audit["items"]
            .as_array()
            .and_then(|entries| {
                entries
                    .iter()
                    .find(|entry| entry["request_id"] == request_id.as_str())
            })
            .unwrap_or_else(|| panic!("{operation}: no audit entry for {request_id}: {audit}"));
        assert_eq!(
            entry["actor"],
            format!("{role}-person"),
            "{operation}: {entry}"
        );
        assert_eq!(entry["role"], role, "{operation}: {entry}");
        assert!(
            entry["at"].as_str().is_some_and(|at| at.ends_with('Z')),
            "{entry}"
        );
        let creates = action.ends_with(".create")
            || action == "version.publish" && operation == "createVersion";
        let deletes = action.ends_with(".delete");
        assert_eq!(
            entry["before"].is_null(),
            creates && operation != "createVersion",
            "{operation}: {entry}"
        );
        assert_eq!(entry["after"].is_null(), deletes, "{operation}: {entry}");
        covered.insert(operation.to_owned());
    }
    covered.insert("createVersion".into());
    let mutating: BTreeSet<String> = operations(&document)
        .into_iter()
        .filter(|(method, ..)| *method != Method::GET)
        .filter_map(|(_, _, operation)| operation["operationId"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(covered, mutating, "every mutating operation is exercised");

    let by_actor = control_plane.admin(Method::GET, "/audit?actor=security-person&limit=500", None);
    assert!(
        by_actor["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["role"] == "security")
    );
    let future = control_plane.admin(Method::GET, "/audit?since=2999-01-01T00:00:00Z", None);
    assert_eq!(future["items"], json!([]));
    let past = control_plane.admin(Method::GET, "/audit?until=2000-01-01T00:00:00Z", None);
    assert_eq!(past["items"], json!([]));
    let problem = expect_problem(
        control_plane.send(
            Method::GET,
            "/audit?since=yesterday",
            Some(&control_plane.bootstrap),
            None,
        ),
        400,
        "invalid-request",
    );
    assert!(
        problem["detail"].as_str().unwrap().contains("since"),
        "{problem}"
    );
}

#[test]
fn etags_pagination_limits_and_input_errors() {
    let control_plane = seeded();
    let architect = control_plane.token(&["architect"]);
    let token = Some(architect.as_str());
    let get = control_plane.send(Method::GET, "/teams/team-stock", token, None);
    let etag = get.headers()["etag"].to_str().unwrap().to_owned();
    let update = |if_match: &str, name: &str| {
        anonymous_client()
            .put(format!(
                "{}/api/v1/teams/team-stock",
                control_plane.base_url()
            ))
            .bearer_auth(&architect)
            .header("if-match", if_match)
            .json(&json!({"spec": {"display_name": name}}))
            .send()
            .unwrap()
    };
    let first = update(&etag, "Stock");
    assert_eq!(first.status(), 200);
    let next = first.headers()["etag"].to_str().unwrap().to_owned();
    assert_ne!(next, etag);
    let problem = expect_problem(update(&etag, "Stale"), 412, "precondition-failed");
    assert!(
        problem["detail"].as_str().unwrap().contains(&next),
        "{problem}"
    );
    assert_eq!(
        control_plane.admin(Method::GET, "/teams/team-stock", None)["spec"]["display_name"],
        "Stock"
    );

    for index in 0..5 {
        control_plane.admin(
            Method::POST,
            "/teams",
            Some(&json!({"name": format!("page-{index}"), "spec": {"display_name": "P"}})),
        );
    }
    let mut names = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let query = cursor
            .as_ref()
            .map_or(String::new(), |c| format!("&cursor={c}"));
        let page = control_plane.admin(Method::GET, &format!("/teams?limit=2{query}"), None);
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 2);
        names.extend(
            items
                .iter()
                .map(|item| item["name"].as_str().unwrap().to_owned()),
        );
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    let unique: BTreeSet<&String> = names.iter().collect();
    assert_eq!((names.len(), unique.len()), (7, 7), "{names:?}");
    expect_problem(
        control_plane.send(Method::GET, "/teams?limit=0", token, None),
        400,
        "invalid-request",
    );

    let huge = json!({"name": "huge", "spec": {"display_name": "x".repeat(2 << 20)}});
    let problem = expect_problem(
        control_plane.send(Method::POST, "/teams", token, Some(&huge)),
        413,
        "payload-too-large",
    );
    assert!(
        problem["detail"].as_str().unwrap().contains("1048576"),
        "{problem}"
    );

    let raw = |content_type: &str, body: &str| {
        anonymous_client()
            .post(format!("{}/api/v1/teams", control_plane.base_url()))
            .bearer_auth(&architect)
            .header("content-type", content_type)
            .body(body.to_owned())
            .send()
            .unwrap()
    };
    expect_problem(
        raw("application/json", "{\"name\": "),
        400,
        "invalid-request",
    );
    expect_problem(raw("text/plain", "{}"), 415, "unsupported-media-type");
    let problem = expect_problem(
        raw(
            "application/json",
            r#"{"name": "ops", "spec": {"display_name": "Ops", "colour": "red"}}"#,
        ),
        422,
        "validation-failed",
    );
    assert_eq!(problem["errors"][0]["field"], "/spec/colour", "{problem}");
    let problem = expect_problem(
        raw(
            "application/json",
            r#"{"name": "Ops!", "spec": {"display_name": "Ops"}}"#,
        ),
        422,
        "validation-failed",
    );
    assert_eq!(problem["errors"][0]["field"], "/name", "{problem}");
    expect_problem(
        raw(
            "application/json",
            r#"{"name": "team-stock", "spec": {"display_name": "Dup"}}"#,
        ),
        409,
        "conflict",
    );

    let problem = expect_problem(
        control_plane.send(Method::DELETE, "/teams/team-stock", token, None),
        409,
        "conflict",
    );
    assert!(
        problem["errors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["field"] == "apis.stock.owner_team"),
        "{problem}"
    );
    assert_eq!(
        control_plane.admin(Method::GET, "/teams/team-stock", None)["name"],
        "team-stock"
    );

    let security = control_plane.token(&["security"]);
    let problem = expect_problem(
        control_plane.send(
            Method::PUT,
            "/consumers/web",
            Some(&security),
            Some(&json!({"spec": {"name": "Web", "team": "x", "system": "sys-stock", "tier": "platinum"}})),
        ),
        422,
        "validation-failed",
    );
    assert!(
        problem["errors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["field"] == "consumers.web.tier"),
        "{problem}"
    );
    expect_problem(
        control_plane.send(Method::GET, "/tiers/platinum", token, None),
        404,
        "not-found",
    );
    // A credential another consumer holds is refused: the gateways could not tell them apart.
    let copy = json!({"name": "copy", "spec": {"name": "Copy", "team": "x", "system": "sys-stock", "tier": "gold",
        "credentials": {"jwt": [{"issuer": "idp", "subject": "web"}]}}});
    let problem = expect_problem(
        control_plane.send(Method::POST, "/consumers", Some(&security), Some(&copy)),
        422,
        "validation-failed",
    );
    assert_eq!(
        problem["errors"][0]["field"], "consumers.copy.credentials.jwt[0]",
        "{problem}"
    );
    assert!(
        problem["detail"].as_str().unwrap().contains("`web`"),
        "{problem}"
    );
    let keyed = |name: &str| {
        json!({"name": name, "spec": {"name": name, "team": "x", "system": "sys-stock", "tier": "gold",
            "credentials": {"api_key_sha256": ["9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"]}}})
    };
    control_plane.admin(Method::POST, "/consumers", Some(&keyed("first")));
    let problem = expect_problem(
        control_plane.send(
            Method::POST,
            "/consumers",
            Some(&security),
            Some(&keyed("second")),
        ),
        422,
        "validation-failed",
    );
    assert_eq!(
        problem["errors"][0]["field"], "consumers.second.credentials.api_key_sha256[0]",
        "{problem}"
    );
    // A long poll longer than the control plane allows is shortened, not refused.
    let gateway = control_plane.token(&["gateway"]);
    let snapshot = control_plane.send(Method::GET, "/snapshot?wait=999s", Some(&gateway), None);
    assert_eq!(snapshot.status(), 200);
    // Errors of the layers under the handlers are problems too: a path that is not UTF-8.
    expect_problem(
        control_plane.send(Method::GET, "/teams/%FF", token, None),
        400,
        "invalid-request",
    );
}

#[test]
fn issuer_key_material_is_shown_only_to_those_who_may_change_it() {
    const SECRET: &str = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA==";
    let control_plane = seeded();
    let get = |role: &str, path: &str| -> Value {
        let token = control_plane.token(&[role]);
        let response = control_plane.send(Method::GET, path, Some(&token), None);
        assert_eq!(response.status(), 200, "{role} GET {path}");
        response.json().expect("JSON")
    };

    for role in ["viewer", "architect", "owner:team-stock"] {
        let issuer = get(role, "/issuers/idp");
        assert_eq!(
            issuer["spec"]["keys"][0]["secret_base64"], "(redacted)",
            "{role}: {issuer}"
        );
        assert_eq!(issuer["spec"]["issuer"], "https://idp.test.invalid/");
        let listed = get(role, "/issuers");
        assert_eq!(
            listed["items"][0]["spec"]["keys"][0]["secret_base64"], "(redacted)",
            "{role}: {listed}"
        );
    }
    let issuer = get("security", "/issuers/idp");
    assert_eq!(issuer["spec"]["keys"][0]["secret_base64"], SECRET);

    // A symmetric JWK's `k` is a secret too; after an update neither the old secret nor the new
    // one is in any answer a non-security reader gets, the audit log included.
    const JWK_SECRET: &str = "b3RoZXItc2VjcmV0LW90aGVyLXNlY3JldC1vdGhlci1zZWNyZXQ";
    let security = control_plane.token(&["security"]);
    let updated = control_plane.send(
        Method::PUT,
        "/issuers/idp",
        Some(&security),
        Some(&json!({"spec": {
            "issuer": "https://idp.test.invalid/",
            "keys": [{"kid": "k1", "algorithm": "HS256", "jwk": {"kty": "oct", "k": JWK_SECRET}}],
        }})),
    );
    assert_eq!(updated.status(), 200);
    for path in [
        "/issuers/idp",
        "/issuers",
        "/audit?entity=issuers/idp",
        "/audit",
    ] {
        let token = control_plane.token(&["viewer"]);
        let body = control_plane
            .send(Method::GET, path, Some(&token), None)
            .text()
            .expect("body");
        assert!(
            !body.contains(SECRET) && !body.contains(JWK_SECRET),
            "{path}: {body}"
        );
    }
    let issuer = get("viewer", "/issuers/idp");
    assert_eq!(
        issuer["spec"]["keys"][0]["jwk"]["k"], "(redacted)",
        "{issuer}"
    );

    // The audit trail keeps who changed what, never the keys, whoever reads it.
    for role in ["security", "viewer"] {
        let audit = get(role, "/audit?entity=issuers/idp");
        let [created, updated] = [&audit["items"][0], &audit["items"][1]];
        assert_eq!(created["action"], "issuer.create", "{audit}");
        assert_eq!(
            created["after"]["spec"]["keys"][0]["secret_base64"], "(redacted)",
            "{role}: {created}"
        );
        assert_eq!(updated["action"], "issuer.update", "{audit}");
        assert_eq!(
            updated["before"]["spec"]["keys"][0]["secret_base64"], "(redacted)",
            "{role}: {updated}"
        );
        assert_eq!(
            updated["after"]["spec"]["keys"][0]["jwk"]["k"], "(redacted)",
            "{role}: {updated}"
        );
    }

    // Gateways still get the key they verify with.
    let gateway = control_plane.token(&["gateway"]);
    let snapshot = control_plane.send(Method::GET, "/snapshot", Some(&gateway), None);
    assert_eq!(snapshot.status(), 200);
    assert!(snapshot.text().expect("body").contains(JWK_SECRET));
}
