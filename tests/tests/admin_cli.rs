//! The control plane's command line end to end: `canongate contract|tier|consumer …` run as a
//! separate process against a real control plane, as its users would run it.
//!
//! Each test starts a control plane, runs commands with `--control-plane` and a token of the
//! role at hand ([`User`]), and checks the exit code (0 success, 1 refused by the control plane,
//! 2 unusable input or an unreachable control plane), the key parts of what was printed, and
//! what the control plane stored, read back through its admin API.

use std::path::PathBuf;
use std::process::{Command, Stdio};

use canongate_policy::auth::{Algorithm, SigningKey};
use canongate_tests::control_plane::{ControlPlane, contract};
use canongate_tests::free_address;
use canongate_tests::gateway::{Output, binary, run_cli};
use reqwest::Method;
use serde_json::{Value, json};

/// Someone running the command line against `control_plane` with `token`.
struct User<'a> {
    control_plane: &'a ControlPlane,
    token: String,
}

impl<'a> User<'a> {
    /// A user holding an admin token with `roles`.
    fn with_roles(control_plane: &'a ControlPlane, roles: &[&str]) -> Self {
        User {
            control_plane,
            token: control_plane.token(roles),
        }
    }

    /// `canongate ARGS --control-plane URL --token TOKEN`.
    fn run(&self, args: &[&str]) -> Output {
        let url = self.control_plane.base_url();
        let remote = [
            "--control-plane",
            url.as_str(),
            "--token",
            self.token.as_str(),
        ];
        run_cli(args.iter().chain(&remote))
    }

    /// Runs `args`, expects exit code 0 and returns standard output.
    fn succeeds(&self, args: &[&str]) -> String {
        let output = self.run(args);
        assert_exit(&output, 0, args);
        output.stdout
    }

    /// Runs `args`, expects exit code 1 (a refusal, described on standard error only) and
    /// returns standard error.
    fn refused(&self, args: &[&str]) -> String {
        let output = self.run(args);
        assert_exit(&output, 1, args);
        assert!(output.stdout.is_empty(), "{args:?}: {}", output.stdout);
        assert!(
            output.stderr.starts_with("error: "),
            "{args:?}: {}",
            output.stderr
        );
        output.stderr
    }

    /// Runs `args --format json`, expects exit code `code` and returns standard output as JSON
    /// (the answer, or the problem document of a refusal).
    fn json(&self, args: &[&str], code: i32) -> Value {
        let args: Vec<&str> = args.iter().copied().chain(["--format", "json"]).collect();
        let output = self.run(&args);
        assert_exit(&output, code, &args);
        serde_json::from_str(&output.stdout)
            .unwrap_or_else(|error| panic!("{args:?}: {error}: {}", output.stdout))
    }
}

/// Asserts that `output` of `args` ended with exit code `code`.
fn assert_exit(output: &Output, code: i32, args: &[&str]) {
    assert_eq!(
        output.status.code(),
        Some(code),
        "{args:?}\nstdout: {}\nstderr: {}",
        output.stdout,
        output.stderr
    );
}

/// Runs `canongate ARGS` with exactly `env` of the command line's variables
/// (`CANONGATE_TOKEN`, `CANONGATE_CONTROL_PLANE`) set, whatever the test's own environment holds.
fn run_with_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let output = Command::new(binary())
        .args(args)
        .env_remove("CANONGATE_TOKEN")
        .env_remove("CANONGATE_CONTROL_PLANE")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .output()
        .expect("run canongate");
    Output {
        status: output.status,
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Writes `text` to `name` in the control plane's scratch directory; its path, as an argument.
fn write_file(control_plane: &ControlPlane, name: &str, text: &str) -> String {
    let path = control_plane.scratch().join(name);
    std::fs::write(&path, text).expect("write a file for the command line");
    argument(path)
}

fn argument(path: PathBuf) -> String {
    path.into_os_string()
        .into_string()
        .expect("a UTF-8 temporary path")
}

/// Writes the test contract of `stock` at `version` (with `POST /items` when `with_create`).
fn contract_file(control_plane: &ControlPlane, version: &str, with_create: bool) -> String {
    let text = contract("stock", version, with_create);
    write_file(control_plane, &format!("stock-{version}.yaml"), &text)
}

/// Asserts that `table` has a row whose cells are `cells`.
fn assert_row(table: &str, cells: &[&str]) {
    assert!(
        table
            .lines()
            .any(|line| line.split_whitespace().eq(cells.iter().copied())),
        "no row {cells:?} in\n{table}"
    );
}

/// The status of `GET /api/v1{path}` as the bootstrap admin.
fn status_of(control_plane: &ControlPlane, path: &str) -> u16 {
    control_plane
        .send(Method::GET, path, Some(&control_plane.bootstrap), None)
        .status()
        .as_u16()
}

/// The `version` fields of the records in `list`, in order.
fn versions_in(list: &Value) -> Vec<&str> {
    list.as_array()
        .expect("a list")
        .iter()
        .map(|record| record["version"].as_str().expect("a version"))
        .collect()
}

/// The `lifecycle` of `stock` `version` as the admin API reports it.
fn lifecycle(control_plane: &ControlPlane, version: &str) -> Value {
    let path = format!("/apis/stock/versions/{version}");
    control_plane.admin(Method::GET, &path, None)["lifecycle"].clone()
}

/// A control plane with `stock` registered (its system on a port nobody serves).
fn with_stock() -> ControlPlane {
    let control_plane = ControlPlane::start();
    control_plane.register_api("stock", "http://127.0.0.1:9");
    control_plane
}

/// `contract publish FILE` of `stock`, served by `sys-stock` under `/stock`.
fn publish(file: &str) -> [&str; 9] {
    [
        "contract",
        "publish",
        file,
        "--api",
        "stock",
        "--system",
        "sys-stock",
        "--path-prefix",
        "/stock",
    ]
}

#[test]
fn publish_prints_the_version_and_refuses_a_breaking_change_without_a_major_bump() {
    let control_plane = with_stock();
    let architect = User::with_roles(&control_plane, &["architect"]);
    let first = contract_file(&control_plane, "1.0.0", true);
    let printed = architect.succeeds(&publish(&first));
    assert!(
        printed.starts_with("published stock 1.0.0 (the first version"),
        "{printed}"
    );
    let record = control_plane.admin(Method::GET, "/apis/stock/versions/1.0.0", None);
    assert_eq!(record["lifecycle"], "published", "{record}");
    assert_eq!(
        record["backend"],
        json!({"system": "sys-stock", "path_prefix": "/stock"}),
        "{record}"
    );

    let breaking = contract_file(&control_plane, "1.1.0", false);
    let stderr = architect.refused(&publish(&breaking));
    let mut lines = stderr.lines();
    let headline = lines.next().unwrap_or_default();
    assert!(
        headline.starts_with("error: Breaking change refused: "),
        "{stderr}"
    );
    assert!(
        stderr.contains("  required bump: major (1.0.0 -> 1.1.0)\n"),
        "{stderr}"
    );
    assert!(
        lines.any(|line| line.starts_with("  breaking operation-removed POST /items (createItem)")),
        "{stderr}"
    );
    let problem = architect.json(&publish(&breaking), 1);
    assert_eq!(problem["type"], "urn:canongate:problem:breaking-change");
    assert_eq!(problem["status"], 409);
    assert_eq!(problem["required_bump"], "major", "{problem}");

    assert_eq!(status_of(&control_plane, "/apis/stock/versions/1.1.0"), 404);
    let listed = architect.json(&["contract", "list", "--api", "stock"], 0);
    assert_eq!(versions_in(&listed), ["1.0.0"], "nothing stored: {listed}");

    let major = contract_file(&control_plane, "2.0.0", false);
    let printed = architect.succeeds(&publish(&major));
    assert!(
        printed.starts_with("published stock 2.0.0 (previous 1.0.0, required bump major"),
        "{printed}"
    );
    assert!(
        printed
            .lines()
            .any(|line| line.starts_with("  breaking operation-removed POST /items")),
        "the accepted changes are listed: {printed}"
    );
    assert_eq!(lifecycle(&control_plane, "2.0.0"), "published");
}

#[test]
fn an_owner_drafts_and_the_draft_is_listed_but_not_published() {
    let control_plane = with_stock();
    control_plane.publish("stock", &contract("stock", "1.0.0", false));
    let owner = User::with_roles(&control_plane, &["owner:team-stock"]);
    let draft = contract_file(&control_plane, "1.1.0", true);

    let printed = owner.succeeds(&["contract", "draft", &draft, "--api", "stock"]);
    assert!(printed.starts_with("drafted stock 1.1.0"), "{printed}");
    let record = control_plane.admin(Method::GET, "/apis/stock/versions/1.1.0", None);
    assert_eq!(record["lifecycle"], "draft", "{record}");
    assert_eq!(
        record["backend"]["system"], "sys-stock",
        "the backend of the latest version: {record}"
    );
    assert_row(
        &owner.succeeds(&["contract", "list", "--api", "stock"]),
        &["stock", "1.1.0", "draft", "-", "-"],
    );
}

/// `contract deprecate` of `stock` 1.0.0 in favour of 2.0.0.
fn deprecate<'a>(sunset: &'a str, deprecated_on: &'a str) -> [&'a str; 12] {
    [
        "contract",
        "deprecate",
        "--api",
        "stock",
        "--version",
        "1.0.0",
        "--sunset",
        sunset,
        "--successor",
        "2.0.0",
        "--deprecated-on",
        deprecated_on,
    ]
}

#[test]
fn versions_are_listed_deprecated_and_retired_under_the_lifecycle_rules() {
    let control_plane = with_stock();
    control_plane.register_api("orders", "http://127.0.0.1:9");
    control_plane.publish("stock", &contract("stock", "1.0.0", false));
    control_plane.publish("stock", &contract("stock", "2.0.0", true));
    control_plane.publish("orders", &contract("orders", "1.0.0", false));
    let architect = User::with_roles(&control_plane, &["architect"]);
    let viewer = User::with_roles(&control_plane, &["viewer"]);

    let every_api = viewer.succeeds(&["contract", "list"]);
    assert!(every_api.starts_with("API "), "{every_api}");
    for row in [
        ["stock", "1.0.0", "published", "-", "-"],
        ["stock", "2.0.0", "published", "-", "-"],
        ["orders", "1.0.0", "published", "-", "-"],
    ] {
        assert_row(&every_api, &row);
    }
    let stock_only = viewer.succeeds(&["contract", "list", "--api", "stock"]);
    assert!(!stock_only.contains("orders"), "{stock_only}");
    let listed = viewer.json(&["contract", "list"], 0);
    assert_eq!(versions_in(&listed).len(), 3, "{listed}");
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .all(|record| record["lifecycle"] == "published" && record["api"].is_string()),
        "{listed}"
    );

    let stderr = architect.refused(&deprecate("2027-01-01", "2026-12-01"));
    assert!(
        stderr.lines().any(|line| line.starts_with("  /sunset: ")),
        "{stderr}"
    );
    assert_eq!(lifecycle(&control_plane, "1.0.0"), "published");

    assert_eq!(
        architect.succeeds(&deprecate("2099-06-01", "2099-01-01")),
        "deprecated stock 1.0.0: sunset 2099-06-01, successor 2.0.0\n"
    );
    assert_row(
        &viewer.succeeds(&["contract", "list", "--api", "stock"]),
        &["stock", "1.0.0", "deprecated", "2099-06-01", "2.0.0"],
    );
    let record = control_plane.admin(Method::GET, "/apis/stock/versions/1.0.0", None);
    assert_eq!(record["lifecycle"], "deprecated", "{record}");
    assert_eq!(record["sunset"], "2099-06-01", "{record}");
    assert_eq!(record["successor"], "2.0.0", "{record}");

    let retire = ["contract", "retire", "--api", "stock", "--version", "1.0.0"];
    let stderr = architect.refused(&retire);
    assert!(
        stderr.starts_with("error: Lifecycle rule violated: "),
        "{stderr}"
    );
    assert!(stderr.contains("2099-06-01"), "names the sunset: {stderr}");
    assert_eq!(lifecycle(&control_plane, "1.0.0"), "deprecated");

    let overriding: Vec<&str> = retire
        .iter()
        .copied()
        .chain(["--override", "--reason", "security incident"])
        .collect();
    assert_eq!(
        architect.succeeds(&overriding),
        "retired stock 1.0.0 before its sunset date\n"
    );
    assert_eq!(lifecycle(&control_plane, "1.0.0"), "retired");
    let audit = control_plane.admin(Method::GET, "/audit?action=version.retire-override", None);
    assert_eq!(
        audit["items"][0]["after"]["reason"], "security incident",
        "{audit}"
    );
}

#[test]
fn tiers_are_applied_listed_shown_and_deleted() {
    let control_plane = ControlPlane::start();
    let security = User::with_roles(&control_plane, &["security"]);
    let tier_file = |requests: u32| {
        let text = format!(
            "rate: {{requests: {requests}, per: 1s}}\nburst: 200\nquota: {{per_day: 100000}}\npriority: 5\n"
        );
        write_file(&control_plane, "gold.yaml", &text)
    };
    let apply = |file: &str| security.succeeds(&["tier", "apply", "gold", "--file", file]);
    let stored = || control_plane.admin(Method::GET, "/tiers/gold", None)["spec"].clone();

    assert_eq!(apply(&tier_file(100)), "created tier gold\n");
    assert_eq!(stored()["rate"]["requests"], 100);
    let file = tier_file(150);
    assert_eq!(apply(&file), "updated tier gold\n");
    assert_eq!(stored()["rate"]["requests"], 150);
    assert_eq!(
        apply(&file),
        "unchanged tier gold\n",
        "re-applying the same file"
    );
    let updates = control_plane.admin(
        Method::GET,
        "/audit?entity=tiers/gold&action=tier.update",
        None,
    );
    assert_eq!(
        updates["items"].as_array().map(Vec::len),
        Some(1),
        "{updates}"
    );

    let shown = security.succeeds(&["tier", "show", "gold"]);
    assert!(shown.starts_with("# tier gold\n"), "{shown}");
    let shown_file = write_file(&control_plane, "shown.yaml", &shown);
    assert_eq!(
        apply(&shown_file),
        "unchanged tier gold\n",
        "the output of show is a file for apply"
    );
    let record = security.json(&["tier", "show", "gold"], 0);
    assert_eq!(record["name"], "gold");
    assert_eq!(record["spec"], stored());

    let silver = write_file(&control_plane, "silver.yaml", "priority: 1\n");
    security.succeeds(&["tier", "apply", "silver", "--file", &silver]);
    let table = security.succeeds(&["tier", "list"]);
    assert_row(&table, &["gold", "150/1s", "200", "100000/day", "-", "5"]);
    assert_row(&table, &["silver", "-", "-", "-", "-", "1"]);
    let listed = security.json(&["tier", "list"], 0);
    let names: Vec<&Value> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|t| &t["name"])
        .collect();
    assert_eq!(names, [&json!("gold"), &json!("silver")], "{listed}");

    let invalid = write_file(
        &control_plane,
        "invalid.yaml",
        "rate: {requests: 5, per: 1s, bogus: 1}\n",
    );
    let stderr = security.refused(&["tier", "apply", "gold", "--file", &invalid]);
    assert!(stderr.starts_with("error: Validation failed: "), "{stderr}");
    assert!(
        stderr
            .lines()
            .any(|line| line.starts_with("  /spec/rate/bogus: ")),
        "{stderr}"
    );
    assert_eq!(
        stored()["rate"]["requests"],
        150,
        "unchanged after the refusal"
    );

    assert_eq!(
        security.succeeds(&["tier", "delete", "silver"]),
        "deleted tier silver\n"
    );
    assert_eq!(status_of(&control_plane, "/tiers/silver"), 404);
    let stderr = security.refused(&["tier", "show", "silver"]);
    assert!(stderr.starts_with("error: Not found: "), "{stderr}");
}

/// Creates the issuer `partners` with an inline ES256 key.
fn create_partner_issuer(control_plane: &ControlPlane) {
    let key = SigningKey::generate(Algorithm::ES256).expect("a key");
    let spec = json!({
        "issuer": "https://partners.test.invalid/",
        "audiences": ["stock"],
        "keys": [{"kid": "partners-1", "algorithm": "ES256", "jwk": key.jwk(Some("partners-1"))}],
    });
    control_plane.admin(
        Method::POST,
        "/issuers",
        Some(&json!({"name": "partners", "spec": spec})),
    );
}

#[test]
fn consumers_are_applied_subscribed_shown_and_deleted() {
    let control_plane = with_stock();
    control_plane.publish("stock", &contract("stock", "1.0.0", false));
    create_partner_issuer(&control_plane);
    let security = User::with_roles(&control_plane, &["security"]);
    let tier = write_file(
        &control_plane,
        "silver.yaml",
        "rate: {requests: 10, per: 1s}\n",
    );
    security.succeeds(&["tier", "apply", "silver", "--file", &tier]);
    let consumer = write_file(
        &control_plane,
        "storefront.yaml",
        "name: Storefront\nteam: team-stock\nsystem: sys-stock\ntier: silver\n\
         credentials:\n  jwt: [{issuer: partners, subject: storefront-app}]\n",
    );
    let subscriptions = || {
        control_plane.admin(Method::GET, "/consumers/storefront/subscriptions", None)["items"]
            .clone()
    };

    let apply = ["consumer", "apply", "storefront", "--file", &consumer];
    assert_eq!(security.succeeds(&apply), "created consumer storefront\n");
    assert_eq!(security.succeeds(&apply), "unchanged consumer storefront\n");
    let spec = control_plane.admin(Method::GET, "/consumers/storefront", None)["spec"].clone();
    assert_eq!(spec["tier"], "silver", "{spec}");
    assert_eq!(
        spec["credentials"]["jwt"],
        json!([{"issuer": "partners", "subject": "storefront-app"}]),
        "{spec}"
    );
    assert_eq!(subscriptions(), json!([]));

    assert_eq!(
        security.succeeds(&["consumer", "subscribe", "storefront", "stock"]),
        "subscribed consumer storefront to stock\n"
    );
    assert_eq!(subscriptions(), json!(["stock"]));
    let stderr = security.refused(&["consumer", "subscribe", "storefront", "nothing"]);
    assert!(
        stderr.contains("nothing"),
        "names the unknown API: {stderr}"
    );
    assert_eq!(subscriptions(), json!(["stock"]));

    let shown = security.succeeds(&["consumer", "show", "storefront"]);
    assert!(shown.starts_with("# consumer storefront\n"), "{shown}");
    assert!(shown.contains("storefront-app"), "{shown}");
    let record = security.json(&["consumer", "show", "storefront"], 0);
    assert_eq!(
        record["spec"]["subscriptions"],
        json!(["stock"]),
        "{record}"
    );
    assert_row(
        &security.succeeds(&["consumer", "list"]),
        &["storefront", "team-stock", "sys-stock", "silver", "stock"],
    );

    let problem = security.json(&["tier", "delete", "silver"], 1);
    assert_eq!(
        problem["type"], "urn:canongate:problem:conflict",
        "{problem}"
    );
    assert_eq!(problem["status"], 409, "{problem}");
    let stderr = security.refused(&["tier", "delete", "silver"]);
    assert!(
        stderr.contains("storefront"),
        "names the consumer: {stderr}"
    );
    assert_eq!(status_of(&control_plane, "/tiers/silver"), 200);

    assert_eq!(
        security.succeeds(&["consumer", "unsubscribe", "storefront", "stock"]),
        "unsubscribed consumer storefront from stock\n"
    );
    assert_eq!(subscriptions(), json!([]));

    assert_eq!(
        security.succeeds(&["consumer", "delete", "storefront"]),
        "deleted consumer storefront\n"
    );
    assert_eq!(status_of(&control_plane, "/consumers/storefront"), 404);
    security.succeeds(&["tier", "delete", "silver"]);
    assert_eq!(status_of(&control_plane, "/tiers/silver"), 404);
}

#[test]
fn refusals_and_unusable_input_have_their_exit_codes() {
    let control_plane = with_stock();
    let file = contract_file(&control_plane, "1.0.0", false);
    let publish = ["contract", "publish", &file, "--api", "stock"];

    let viewer = User::with_roles(&control_plane, &["viewer"]);
    let stderr = viewer.refused(&publish);
    assert!(stderr.starts_with("error: Role not allowed: "), "{stderr}");
    let problem = viewer.json(&publish, 1);
    assert_eq!(
        problem["type"], "urn:canongate:problem:forbidden",
        "{problem}"
    );
    assert_eq!(problem["status"], 403, "{problem}");
    assert_eq!(status_of(&control_plane, "/apis/stock/versions/1.0.0"), 404);

    let url = control_plane.base_url();
    let anonymous = run_with_env(&["tier", "list", "--control-plane", &url], &[]);
    assert_exit(&anonymous, 1, &["tier", "list", "(no token)"]);
    assert!(
        anonymous
            .stderr
            .starts_with("error: Authentication required: "),
        "{}",
        anonymous.stderr
    );
    assert!(
        anonymous
            .stderr
            .contains("no token was given: pass --token or set CANONGATE_TOKEN"),
        "{}",
        anonymous.stderr
    );

    let nobody = format!("http://{}", free_address());
    let unreachable = run_cli(["tier", "list", "--control-plane", &nobody]);
    assert_exit(&unreachable, 2, &["tier", "list", &nobody]);
    assert!(
        unreachable.stderr.starts_with(&format!(
            "error: cannot reach the control plane at {nobody}/"
        )),
        "{}",
        unreachable.stderr
    );

    let not_a_url = run_cli(["tier", "list", "--control-plane", "127.0.0.1:9080"]);
    assert_exit(&not_a_url, 2, &["tier", "list", "127.0.0.1:9080"]);
    assert!(
        not_a_url.stderr.contains("`127.0.0.1:9080`"),
        "{}",
        not_a_url.stderr
    );

    let architect = User::with_roles(&control_plane, &["architect"]);
    let missing = argument(control_plane.scratch().join("missing.yaml"));
    for args in [
        &["contract", "publish", &missing, "--api", "stock"][..],
        &["tier", "apply", "gold", "--file", &missing],
    ] {
        let output = architect.run(args);
        assert_exit(&output, 2, args);
        assert!(
            output
                .stderr
                .starts_with(&format!("error: {missing}: cannot read the file")),
            "{}",
            output.stderr
        );
    }
    let list = control_plane.admin(Method::GET, "/apis/stock/versions", None);
    assert_eq!(list["items"], json!([]), "{list}");
}

#[test]
fn the_token_and_the_control_plane_can_come_from_the_environment() {
    let control_plane = ControlPlane::start();
    let tier = write_file(&control_plane, "bronze.yaml", "priority: 2\n");
    let token = control_plane.token_as("alice", &["security"]);
    let url = control_plane.base_url();
    let env = [
        ("CANONGATE_TOKEN", token.as_str()),
        ("CANONGATE_CONTROL_PLANE", url.as_str()),
    ];

    let output = run_with_env(&["tier", "apply", "bronze", "--file", &tier], &env);
    assert_exit(&output, 0, &["tier", "apply", "(environment)"]);
    assert_eq!(output.stdout, "created tier bronze\n");
    let audit = control_plane.admin(Method::GET, "/audit?entity=tiers/bronze", None);
    assert_eq!(audit["items"][0]["actor"], "alice", "{audit}");

    let viewer = control_plane.token(&["viewer"]);
    let overridden = run_with_env(&["tier", "delete", "bronze", "--token", &viewer], &env);
    assert_exit(&overridden, 1, &["tier", "delete", "--token (viewer)"]);
    assert!(
        overridden.stderr.starts_with("error: Role not allowed: "),
        "--token wins over the environment: {}",
        overridden.stderr
    );
    assert_eq!(status_of(&control_plane, "/tiers/bronze"), 200);
}
