//! The command line: `config check` summaries and located problems (systems, APIs, issuers,
//! tiers, consumers), `gateway --config` refusing bad documents, `contract lint` exit codes, and
//! malformed input of every kind that must be refused cleanly rather than crash the process.

use std::path::{Path, PathBuf};
use std::time::Duration;

use canongate_tests::document::{self, Consumer, Document, Identities};
use canongate_tests::gateway::{Output, run_cli};
use canongate_tests::mock::MockSystem;
use canongate_tests::{canonical_contract, free_address};

/// A document body for inventory on a closed loopback port, its contract copied next to it and
/// referenced relatively.
fn relative_body(document: &Document) -> String {
    relative_body_with(document, &[], &Identities::default())
}

/// [`relative_body`] with further `apis:` entries after inventory, and `identities`.
fn relative_body_with(
    document: &Document,
    more_apis: &[String],
    identities: &Identities,
) -> String {
    std::fs::create_dir_all(document.dir().join("contracts")).expect("contracts dir");
    std::fs::copy(
        canonical_contract("inventory"),
        document.dir().join("contracts/inventory.yaml"),
    )
    .expect("copy");
    let base_url = format!("http://{}", free_address());
    let inventory = document::api(
        "inventory",
        Path::new("contracts/inventory.yaml"),
        "published",
        "erp",
        "/erp/inventory",
    );
    let apis: Vec<String> = std::iter::once(inventory)
        .chain(more_apis.iter().cloned())
        .collect();
    document::body_with(
        &[document::system("erp", &[&base_url], &[])],
        &apis,
        identities,
    )
}

fn check(path: &Path) -> Output {
    run_cli([Path::new("config"), Path::new("check"), path])
}

/// Asserts a refusal: exit 1, every stderr line names the file, and one line starts with
/// `{file}: {location}` (or `{file}:LINE:COL: {location}`) and contains `message`.
fn assert_refused(output: &Output, file: &Path, location: &str, message: &str) {
    assert_eq!(output.status.code(), Some(1), "stderr: {}", output.stderr);
    assert!(
        output.stdout.is_empty(),
        "nothing on stdout: {}",
        output.stdout
    );
    let prefix = file.display().to_string();
    let lines: Vec<&str> = output.stderr.lines().collect();
    assert!(!lines.is_empty(), "problems are listed");
    for line in &lines {
        assert!(line.starts_with(&prefix), "{line:?} names {prefix}");
    }
    let found = lines.iter().any(|line| {
        let rest = &line[prefix.len()..];
        let rest = rest.strip_prefix(": ").or_else(|| {
            // `:LINE:COL: ` of shape errors.
            let mut parts = rest.splitn(4, ':');
            let (_, line, column) = (parts.next()?, parts.next()?, parts.next()?);
            (line.parse::<usize>().is_ok() && column.parse::<usize>().is_ok())
                .then_some(parts.next()?.strip_prefix(' ')?)
        });
        rest.is_some_and(|rest| rest.starts_with(&format!("{location}:")) && rest.contains(message))
    });
    assert!(
        found,
        "no line locates {location:?} with {message:?}:\n{}",
        output.stderr
    );
}

/// The revision named by a `config check` summary line.
fn revision_of(summary: &str) -> String {
    let start = summary.find("(revision ").expect("a revision") + "(revision ".len();
    summary[start..]
        .split(',')
        .next()
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn config_check_summarises_a_valid_document() {
    let document = Document::new();
    let path = document.write(&relative_body(&document));
    let output = check(&path);
    assert_eq!(output.status.code(), Some(0), "stderr: {}", output.stderr);
    let lines: Vec<&str> = output.stdout.lines().collect();
    assert_eq!(lines.len(), 1, "one summary line: {}", output.stdout);
    let prefix = format!("{}: valid (revision fnv-", path.display());
    assert!(lines[0].starts_with(&prefix), "{}", lines[0]);
    assert!(
        lines[0].contains("1 systems, 1 APIs, 5 operations"),
        "{}",
        lines[0]
    );
    assert_eq!(
        check(&path).stdout,
        output.stdout,
        "the revision hash is stable"
    );

    let relabelled = document.write(&format!(
        "revision: release-7\n{}",
        relative_body(&document)
    ));
    let output = check(&relabelled);
    assert!(
        output.stdout.starts_with(&format!(
            "{}: valid (revision release-7,",
            relabelled.display()
        )),
        "{}",
        output.stdout
    );

    let first = revision_of(lines[0]);
    let changed = document.write(&relative_body(&document).replace("/erp/inventory", "/erp/stock"));
    let output = check(&changed);
    assert_eq!(output.status.code(), Some(0));
    assert_ne!(
        revision_of(&output.stdout),
        first,
        "a change makes a new revision"
    );
}

#[test]
fn config_check_locates_an_unknown_field_by_line() {
    let document = Document::new();
    let body =
        relative_body(&document).replace("    base_urls:", "    timeout: 2s\n    base_urls:");
    let path = document.write(&body);
    let text = std::fs::read_to_string(&path).expect("document");
    let line = text
        .lines()
        .position(|line| line.contains("timeout: 2s"))
        .expect("line")
        + 1;
    let output = check(&path);
    assert_refused(
        &output,
        &path,
        "systems.erp.timeout",
        "unknown field `timeout`",
    );
    let expected = format!(
        "{}:{line}:5: systems.erp.timeout: unknown field `timeout`",
        path.display()
    );
    assert!(
        output.stderr.starts_with(&expected),
        "expected {expected:?}, got {}",
        output.stderr
    );
}

#[test]
fn config_check_names_the_place_of_every_problem() {
    let document = Document::new();
    let good = relative_body(&document);
    let cases = [
        (
            good.replace("http://127.0.0.1", "ftp://127.0.0.1"),
            "systems.erp.base_urls[0]",
            "ftp",
        ),
        (
            good.replace("base_urls: [\"http://", "base_urls: [\"not a url "),
            "systems.erp.base_urls[0]",
            "not a url",
        ),
        (
            good.replace("contracts/inventory.yaml", "contracts/missing.yaml"),
            "apis.inventory.versions[0].contract",
            "missing.yaml",
        ),
        (
            good.replace("system: erp", "system: crm"),
            "apis.inventory.versions[0].backend.system",
            "crm",
        ),
        (
            good.replace("lifecycle: published", "lifecycle: live"),
            "apis.inventory.versions[0].lifecycle",
            "live",
        ),
        (
            good.replace("    base_urls:", "    read_timeout: 0s\n    base_urls:"),
            "systems.erp.read_timeout",
            "zero",
        ),
        (
            relative_body_with(
                &document,
                &["  stock:\n    base_path: /inventory\n    versions:\n      - contract: contracts/inventory.yaml\n        backend: {system: erp}\n".to_owned()],
                &Identities::default(),
            ),
            "apis.stock.versions[0].contract",
            "same route",
        ),
    ];
    for (body, location, message) in cases {
        let path = document.write(&body);
        assert_refused(&check(&path), &path, location, message);
    }
}

#[test]
fn config_check_lists_every_problem_at_once() {
    let document = Document::new();
    let body = relative_body(&document)
        .replace("http://127.0.0.1", "ftp://127.0.0.1")
        .replace("system: erp", "system: crm")
        .replace(
            "path_prefix: \"/erp/inventory\"",
            "path_prefix: \"erp/inventory/\"",
        );
    let path = document.write(&body);
    let output = check(&path);
    assert_refused(&output, &path, "systems.erp.base_urls[0]", "ftp");
    assert_refused(
        &output,
        &path,
        "apis.inventory.versions[0].backend.system",
        "crm",
    );
    assert_refused(
        &output,
        &path,
        "apis.inventory.versions[0].backend.path_prefix",
        "erp/inventory/",
    );
    assert_eq!(output.stderr.lines().count(), 3, "{}", output.stderr);
}

#[test]
fn config_check_locates_problems_of_issuers_tiers_and_consumers() {
    let document = Document::new();
    let identities = Identities {
        issuers: vec![document::issuer(
            "idp",
            "https://idp.test.invalid/",
            &[
                "keys: [{kid: k1, algorithm: ES256, pem: \"not a key\"}, {kid: k2, algorithm: HS256, secret_base64: c2hvcnQ=}]",
                "jwks: {url: \"http://idp.test.invalid/keys\", algorithms: [ES256]}",
            ],
        )],
        tiers: vec![document::tier("stalled", "rate: {requests: 0, per: 1s}")],
        consumers: vec![
            Consumer::new("partner", "platinum")
                .jwt("nobody", "partner-app")
                .api_key_sha256("abc")
                .subscribed(&["warehouse"]),
        ],
        ..Identities::default()
    };
    let path = document.write(&relative_body_with(&document, &[], &identities));
    let output = check(&path);
    for (location, message) in [
        ("issuers.idp.keys[0].pem", "not a PEM public key"),
        ("issuers.idp.keys[1].secret_base64", "at least 32 bytes"),
        ("issuers.idp.jwks.url", "https"),
        ("tiers.stalled.rate.requests", "greater than zero"),
        ("consumers.partner.tier", "unknown tier `platinum`"),
        (
            "consumers.partner.credentials.jwt[0].issuer",
            "unknown issuer `nobody`",
        ),
        ("consumers.partner.credentials.api_key_sha256[0]", "SHA-256"),
        (
            "consumers.partner.subscriptions[0]",
            "unknown API `warehouse`",
        ),
    ] {
        assert_refused(&output, &path, location, message);
    }
    assert_eq!(output.stderr.lines().count(), 8, "{}", output.stderr);
    let output = run_cli([Path::new("gateway"), Path::new("--config"), &path]);
    assert_eq!(output.status.code(), Some(1), "{}", output.stderr);
    assert!(
        output.stderr.contains("tiers.stalled.rate.requests"),
        "{}",
        output.stderr
    );
}

#[test]
fn gateway_refuses_to_start_on_a_bad_document() {
    let document = Document::new();
    let path = document.write(&relative_body(&document).replace("system: erp", "system: crm"));
    let output = run_cli([Path::new("gateway"), Path::new("--config"), &path]);
    assert_eq!(output.status.code(), Some(1), "{}", output.stderr);
    assert!(
        output
            .stderr
            .contains("apis.inventory.versions[0].backend.system"),
        "{}",
        output.stderr
    );
    assert!(!output.stderr.contains("panicked"), "{}", output.stderr);
    let listening = std::net::TcpStream::connect(document.proxy).is_ok();
    assert!(!listening, "nothing listens for a refused document");

    let missing = document.dir().join("absent.yaml");
    let output = run_cli([Path::new("gateway"), Path::new("--config"), &missing]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        output.stderr.contains(&missing.display().to_string()),
        "{}",
        output.stderr
    );
}

#[test]
fn contract_lint_passes_every_canonical_contract() {
    for (api, _) in canongate_contracts::canonical::ALL {
        let output = run_cli([
            Path::new("contract"),
            Path::new("lint"),
            &canonical_contract(api),
        ]);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{api}:\n{}{}",
            output.stdout,
            output.stderr
        );
        assert!(
            output.stdout.contains("0 errors"),
            "{api}: {}",
            output.stdout
        );
    }
}

#[test]
fn contract_lint_fails_a_broken_contract_and_an_unreadable_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let text = std::fs::read_to_string(canonical_contract("inventory")).expect("contract");
    let broken = text.replacen("      operationId: listStockLevels\n", "", 1);
    assert_ne!(broken, text);
    let path = dir.path().join("broken.yaml");
    std::fs::write(&path, broken).expect("write");
    let output = run_cli([Path::new("contract"), Path::new("lint"), &path]);
    assert_eq!(
        output.status.code(),
        Some(LINT_ERRORS),
        "{}{}",
        output.stdout,
        output.stderr
    );
    assert!(output.stdout.contains("error"), "{}", output.stdout);
    assert!(
        output.stdout.contains(&path.display().to_string()),
        "findings name the file: {}",
        output.stdout
    );

    let output = run_cli([
        Path::new("contract"),
        Path::new("lint"),
        &dir.path().join("absent.yaml"),
    ]);
    assert_eq!(
        output.status.code(),
        Some(LINT_UNUSABLE),
        "{}",
        output.stderr
    );
    assert!(!output.stderr.is_empty());
}

/// Malformed gateway documents (written as is, without a listeners block).
fn malformed_documents() -> Vec<(&'static str, Vec<u8>)> {
    let garbage: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let aliases = "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n\
                  c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n\
                  e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n\
                  g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\nsystems: *g\napis: {}\n";
    let system = |settings: &str| {
        format!("systems:\n  erp:\n    base_urls: [\"http://127.0.0.1:9\"]\n{settings}apis: {{}}\n")
    };
    vec![
        ("empty", Vec::new()),
        ("comment only", b"# nothing here\n".to_vec()),
        ("binary garbage", garbage),
        ("invalid UTF-8", b"systems: {}\napis: \xff\xfe\n".to_vec()),
        ("NUL bytes", b"systems: {}\x00\napis: {}\n".to_vec()),
        ("deeply nested sequences", "[".repeat(10_000).into_bytes()),
        ("deeply nested mappings", format!("systems: {}\napis: {{}}\n", "{a: ".repeat(5_000)).into_bytes()),
        ("anchors and aliases", aliases.as_bytes().to_vec()),
        ("a scalar document", b"42\n".to_vec()),
        ("a sequence document", b"- systems\n- apis\n".to_vec()),
        ("several documents", b"systems: {}\napis: {}\n---\nsystems: {}\napis: {}\n".to_vec()),
        ("duplicate keys", b"systems: {}\nsystems: {}\napis: {}\n".to_vec()),
        ("binary tag on a mapping", b"systems: {}\napis: !!binary aGVsbG8=\n".to_vec()),
        ("systems as a list", b"systems: []\napis: {}\n".to_vec()),
        ("apis as a number", b"systems: {}\napis: 5\n".to_vec()),
        ("base_urls as a string", b"systems: {erp: {base_urls: x}}\napis: {}\n".to_vec()),
        ("revision as a map", b"revision: {a: b}\nsystems: {}\napis: {}\n".to_vec()),
        ("huge integer", b"http: {max_request_line_bytes: 99999999999999999999999999999}\nsystems: {}\napis: {}\n".to_vec()),
        ("float limit", b"http: {max_header_bytes: 1e400}\nsystems: {}\napis: {}\n".to_vec()),
        ("negative limit", b"http: {max_header_bytes: -1}\nsystems: {}\napis: {}\n".to_vec()),
        ("port out of range", b"listeners: {proxy: \"127.0.0.1:99999\"}\nsystems: {}\napis: {}\n".to_vec()),
        ("huge duration", system("    read_timeout: 99999999999999999999999h\n").into_bytes()),
        ("overflowing duration", system("    connect_timeout: 18446744073709551615h\n").into_bytes()),
        ("negative duration", system("    read_timeout: -1s\n").into_bytes()),
        ("fractional duration", system("    read_timeout: 1.5e308s\n").into_bytes()),
        ("huge pool", system("    keepalive: {pool_size: 184467440737095516150}\n").into_bytes()),
        ("very long line", format!("revision: {}\nsystems: [\n", "r".repeat(1_000_000)).into_bytes()),
        ("base URL with no host", system("").replace("http://127.0.0.1:9", "http://").into_bytes()),
        ("base URL with a path", system("").replace("http://127.0.0.1:9", "http://127.0.0.1:9/erp?x#y").into_bytes()),
        ("base URL with a huge port", system("").replace("127.0.0.1:9", "127.0.0.1:99999999999").into_bytes()),
    ]
}

/// Asserts that `output` is a clean refusal (exit 1, a message, no panic).
fn assert_clean_refusal(what: &str, output: &Output) {
    assert!(
        !output.stderr.contains("panicked"),
        "{what}: {}",
        output.stderr
    );
    assert!(
        !output.stderr.contains("RUST_BACKTRACE"),
        "{what}: {}",
        output.stderr
    );
    assert_eq!(output.status.code(), Some(1), "{what}: {}", output.stderr);
    assert!(
        !output.stderr.trim().is_empty(),
        "{what}: the refusal says why"
    );
}

#[test]
fn malformed_documents_are_refused_without_a_crash() {
    let dir = tempfile::tempdir().expect("temp dir");
    for (index, (what, bytes)) in malformed_documents().into_iter().enumerate() {
        let path = dir.path().join(format!("malformed-{index}.yaml"));
        std::fs::write(&path, &bytes).expect("write");
        assert_clean_refusal(&format!("config check: {what}"), &check(&path));
        let output = run_cli([Path::new("gateway"), Path::new("--config"), &path]);
        assert_clean_refusal(&format!("gateway: {what}"), &output);
    }
}

/// Exit code of `contract lint` for a document with error findings.
const LINT_ERRORS: i32 = 1;
/// Exit code of `contract lint` for unusable input: not YAML/JSON, not OpenAPI 3.0, an external
/// or cyclic `$ref`.
const LINT_UNUSABLE: i32 = 2;

/// Malformed contracts (as files next to a document that uses them), with the exit code
/// `contract lint` gives each.
fn malformed_contracts() -> Vec<(&'static str, Vec<u8>, i32)> {
    let inventory = std::fs::read_to_string(canonical_contract("inventory")).expect("contract");
    vec![
        ("empty", Vec::new(), LINT_UNUSABLE),
        ("binary garbage", (0..=255u8).cycle().take(4096).collect(), LINT_UNUSABLE),
        ("swagger 2.0", b"swagger: \"2.0\"\ninfo: {title: x, version: 1.0.0}\npaths: {}\n".to_vec(), LINT_UNUSABLE),
        ("openapi 3.1", inventory.replacen("openapi: 3.0.3", "openapi: 3.1.0", 1).into_bytes(), LINT_UNUSABLE),
        ("paths as a number", b"openapi: 3.0.3\ninfo: {title: x, version: 1.0.0}\npaths: 5\n".to_vec(), LINT_ERRORS),
        ("version not semver", inventory.replacen("  version: 1.0.0", "  version: latest", 1).into_bytes(), LINT_ERRORS),
        ("huge major version", inventory.replacen("  version: 1.0.0", "  version: 99999999999999999999999.0.0", 1).into_bytes(), LINT_ERRORS),
        (
            "self-referencing schema",
            b"openapi: 3.0.3\ninfo: {title: x, version: 1.0.0}\npaths: {}\ncomponents:\n  schemas:\n    A: {$ref: '#/components/schemas/A'}\n"
                .to_vec(),
            LINT_UNUSABLE,
        ),
        (
            "reference cycle in parameters",
            b"openapi: 3.0.3\ninfo: {title: x, version: 1.0.0}\npaths:\n  /a:\n    get:\n      operationId: a\n      parameters: [{$ref: '#/components/parameters/P'}]\n      responses: {'200': {description: ok}}\ncomponents:\n  parameters:\n    P: {$ref: '#/components/parameters/Q'}\n    Q: {$ref: '#/components/parameters/P'}\n"
                .to_vec(),
            LINT_UNUSABLE,
        ),
        ("external reference", inventory.replacen("'#/components/parameters/Sku'", "'other.yaml#/Sku'", 1).into_bytes(), LINT_UNUSABLE),
        ("deep nesting", format!("openapi: 3.0.3\ninfo: {}\n", "{a: ".repeat(5_000)).into_bytes(), LINT_UNUSABLE),
        ("unbalanced template", inventory.replacen("/stock-levels/{stockLevelId}:", "/stock-levels/{stockLevelId:", 1).into_bytes(), LINT_ERRORS),
    ]
}

#[test]
fn malformed_contracts_are_refused_without_a_crash() {
    let document = Document::new();
    let closed = format!("http://{}", free_address());
    for (index, (what, bytes, lint_code)) in malformed_contracts().into_iter().enumerate() {
        let contract = document.dir().join(format!("contract-{index}.yaml"));
        std::fs::write(&contract, &bytes).expect("write");
        let lint = run_cli([Path::new("contract"), Path::new("lint"), &contract]);
        assert!(
            !lint.stderr.contains("panicked"),
            "lint {what}: {}",
            lint.stderr
        );
        assert_eq!(
            lint.status.code(),
            Some(lint_code),
            "lint {what}:\n{}{}",
            lint.stdout,
            lint.stderr
        );
        assert!(
            lint.stdout.contains(&contract.display().to_string()),
            "lint {what}: the findings name the file:\n{}",
            lint.stdout
        );

        let body = document::body(
            &[document::system("erp", &[&closed], &[])],
            &[document::api(
                "inventory",
                &contract,
                "published",
                "erp",
                "",
            )],
        );
        let path = document.write(&body);
        let output = check(&path);
        assert_clean_refusal(&format!("config check with contract {what}"), &output);
        assert!(
            output
                .stderr
                .contains("apis.inventory.versions[0].contract"),
            "{what}: {}",
            output.stderr
        );
    }
}

#[test]
fn unusable_ca_files_are_refused_without_a_crash() {
    let document = Document::new();
    let cases: [(&str, &[u8]); 4] = [
        ("empty", b""),
        ("not PEM", b"hello\n"),
        (
            "PEM of garbage",
            b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        ),
        ("binary", &[0xff, 0x00, 0x13, 0x37]),
    ];
    for (what, bytes) in cases {
        std::fs::write(document.dir().join("ca.pem"), bytes).expect("write");
        let body = document::inventory(
            &["https://127.0.0.1:9"],
            &["tls: {sni: localhost, ca_file: ca.pem}"],
        );
        let path = document.write(&body);
        let output = check(&path);
        assert_refused(&output, &path, "systems.erp.tls.ca_file", "");
        assert!(
            !output.stderr.contains("panicked"),
            "{what}: {}",
            output.stderr
        );
    }
}

#[test]
fn oversized_keepalive_pools_are_refused_with_their_location() {
    let mock = MockSystem::start("erp", Duration::ZERO);
    let document = Document::new();
    let pool = "keepalive: {pool_size: 9223372036854775808}";
    let body = document::body(
        &[
            document::system("erp", &[&mock.base_url()], &[pool]),
            document::system("pim", &[&mock.base_url()], &[pool]),
        ],
        &[document::api(
            "inventory",
            &canonical_contract("inventory"),
            "published",
            "erp",
            "/erp/inventory",
        )],
    );
    let path: PathBuf = document.write(&body);
    let output = check(&path);
    assert_eq!(output.status.code(), Some(1), "{}", output.stderr);
    assert_refused(
        &output,
        &path,
        "systems.erp.keepalive.pool_size",
        "must be at most",
    );
    assert_refused(
        &output,
        &path,
        "systems.pim.keepalive.pool_size",
        "must be at most",
    );
    let output = run_cli([Path::new("gateway"), Path::new("--config"), &path]);
    assert_eq!(output.status.code(), Some(1), "{}", output.stderr);
    assert!(!output.stderr.contains("panicked"), "{}", output.stderr);
}

#[test]
fn the_deployment_example_is_a_valid_document() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/gateway.example.yaml");
    let output = check(&example);
    assert_eq!(output.status.code(), Some(0), "{}", output.stderr);
    assert!(
        output.stdout.contains("7 APIs, 31 operations, 2 consumers"),
        "{}",
        output.stdout
    );
}
