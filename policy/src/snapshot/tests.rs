use std::path::Path;

use super::*;
use crate::config;
use crate::routing::RouteMatch;

/// Writes a small valid contract with the given `(method, path, operationId)` operations.
fn write_contract(dir: &Path, file: &str, version: &str, operations: &[(&str, &str, &str)]) {
    let mut paths = String::new();
    let mut by_path: indexmap::IndexMap<&str, Vec<(&str, &str)>> = indexmap::IndexMap::new();
    for (method, path, id) in operations {
        by_path.entry(path).or_default().push((method, id));
    }
    for (path, methods) in by_path {
        paths.push_str(&format!("  {path}:\n"));
        let params: Vec<&str> = path
            .split('/')
            .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .collect();
        for (method, id) in methods {
            paths.push_str(&format!("    {method}:\n      operationId: {id}\n"));
            if !params.is_empty() {
                paths.push_str("      parameters:\n");
                for name in &params {
                    paths.push_str(&format!(
                        "        - {{name: {name}, in: path, required: true, schema: {{type: string}}}}\n"
                    ));
                }
            }
            paths.push_str("      responses:\n        '200': {description: ok}\n");
        }
    }
    let text = format!(
        "openapi: 3.0.3\ninfo: {{title: t, version: '{version}'}}\nsecurity: []\nx-canongate:\n  domain: d\n  owner-team: team\n  system-of-record: erp\npaths:\n{paths}"
    );
    std::fs::write(dir.join(file), text).unwrap();
}

fn compile(dir: &Path, document: &str) -> Result<Snapshot, CompileError> {
    let config = config::parse("gw.yaml", document, dir.to_path_buf()).unwrap();
    Snapshot::compile(&config)
}

const SYSTEMS: &str =
    "systems:\n  erp:\n    base_urls: [http://127.0.0.1:7001, http://127.0.0.1:7002]\n";

#[test]
fn compiles_routes_and_rewrites_paths() {
    let dir = tempfile::tempdir().unwrap();
    write_contract(
        dir.path(),
        "inventory.yaml",
        "1.2.0",
        &[
            ("get", "/stock-levels", "listStockLevels"),
            ("get", "/stock-levels/{id}", "getStockLevel"),
        ],
    );
    let snapshot = compile(
        dir.path(),
        &format!("{SYSTEMS}apis:\n  inventory:\n    versions:\n      - contract: inventory.yaml\n        backend: {{system: erp, path_prefix: /erp/inventory}}\n"),
    )
    .unwrap();
    assert!(snapshot.revision.starts_with("fnv-"));
    assert_eq!(snapshot.systems[0].endpoints.len(), 2);
    let RouteMatch::Found(index) = snapshot
        .router
        .lookup(&http::Method::GET, "/inventory/v1/stock-levels/SKU-1")
    else {
        panic!("no route");
    };
    let operation = snapshot.operation(index);
    assert_eq!(&*operation.operation_id, "getStockLevel");
    assert_eq!(&*operation.version, "v1");
    assert_eq!(snapshot.apis[0].versions[0].contract_version, "1.2.0");
    assert_eq!(
        operation.upstream_path(
            "/inventory/v1/stock-levels/SKU-1",
            operation.canonical_prefix_len
        ),
        "/erp/inventory/stock-levels/SKU-1"
    );
}

#[test]
fn drafts_are_not_routed_and_retired_versions_are() {
    let dir = tempfile::tempdir().unwrap();
    write_contract(dir.path(), "v1.yaml", "1.0.0", &[("get", "/x", "getX")]);
    write_contract(dir.path(), "v2.yaml", "2.0.0", &[("get", "/x", "getX")]);
    let snapshot = compile(
        dir.path(),
        &format!("{SYSTEMS}apis:\n  a:\n    versions:\n      - {{contract: v1.yaml, lifecycle: retired, backend: {{system: erp}}}}\n      - {{contract: v2.yaml, lifecycle: draft, backend: {{system: erp}}}}\n"),
    )
    .unwrap();
    let RouteMatch::Found(index) = snapshot.router.lookup(&http::Method::GET, "/a/v1/x") else {
        panic!("retired versions stay routed so they can answer 410");
    };
    assert_eq!(snapshot.operation(index).lifecycle, Lifecycle::Retired);
    assert_eq!(
        snapshot.router.lookup(&http::Method::GET, "/a/v2/x"),
        RouteMatch::NotFound
    );
    assert_eq!(snapshot.operation(index).upstream_path("/a/v1/x", 5), "/x");
}

#[test]
fn reports_every_problem_with_its_location() {
    let dir = tempfile::tempdir().unwrap();
    write_contract(dir.path(), "a.yaml", "1.0.0", &[("get", "/x", "getX")]);
    write_contract(dir.path(), "a2.yaml", "1.5.0", &[("get", "/y", "getY")]);
    let error = compile(
        dir.path(),
        "systems:\n  erp:\n    base_urls: [ftp://127.0.0.1]\n    connect_timeout: 0s\n    tls: {ca_file: missing.pem}\napis:\n  a:\n    base_path: /a/\n    versions:\n      - {contract: a.yaml, backend: {system: wms, path_prefix: erp}}\n      - {contract: a2.yaml, backend: {system: erp}}\n      - {contract: nowhere.yaml, backend: {system: erp}}\n  B:\n    versions: []\n",
    )
    .unwrap_err();
    let located: Vec<(&str, &str)> = error
        .problems
        .iter()
        .map(|p| (p.location.as_str(), p.message.as_str()))
        .collect();
    let has = |location: &str, fragment: &str| {
        located
            .iter()
            .any(|(l, m)| *l == location && m.contains(fragment))
    };
    assert!(
        has("systems.erp.base_urls[0]", "scheme `ftp`"),
        "{located:#?}"
    );
    assert!(
        has("systems.erp.connect_timeout", "greater than zero"),
        "{located:#?}"
    );
    assert!(
        has("systems.erp.tls.ca_file", "cannot read"),
        "{located:#?}"
    );
    assert!(
        has(
            "apis.a.base_path",
            "must start with `/` and not end with `/`"
        ),
        "{located:#?}"
    );
    assert!(
        has(
            "apis.a.versions[0].backend.system",
            "unknown system `wms` (known: erp)"
        ),
        "{located:#?}"
    );
    assert!(
        has("apis.a.versions[0].backend.path_prefix", "`erp`"),
        "{located:#?}"
    );
    assert!(
        has("apis.a.versions[1].contract", "already has a v1"),
        "{located:#?}"
    );
    assert!(
        has("apis.a.versions[2].contract", "nowhere.yaml"),
        "{located:#?}"
    );
    assert!(has("apis.B", "lower-case"), "{located:#?}");
    assert!(
        has("apis.B.versions", "at least one version"),
        "{located:#?}"
    );
    assert!(
        error
            .to_string()
            .lines()
            .all(|line| line.starts_with("gw.yaml: "))
    );
}

#[test]
fn two_apis_claiming_one_route_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    write_contract(dir.path(), "a.yaml", "1.0.0", &[("get", "/x/{id}", "getX")]);
    write_contract(
        dir.path(),
        "b.yaml",
        "1.0.0",
        &[("get", "/x/{id}", "getOther")],
    );
    let error = compile(
        dir.path(),
        &format!("{SYSTEMS}apis:\n  a:\n    versions: [{{contract: a.yaml, backend: {{system: erp}}}}]\n  b:\n    base_path: /a\n    versions: [{{contract: b.yaml, backend: {{system: erp}}}}]\n"),
    )
    .unwrap_err();
    let message = error.to_string();
    assert!(message.contains("apis.b.versions[0].contract"), "{message}");
    assert!(
        message.contains("a v1 getX and b v1 getOther claim the same route"),
        "{message}"
    );
}

#[test]
fn revision_label_wins_and_hash_tracks_contract_content() {
    let dir = tempfile::tempdir().unwrap();
    write_contract(dir.path(), "a.yaml", "1.0.0", &[("get", "/x", "getX")]);
    let document = format!(
        "{SYSTEMS}apis:\n  a:\n    versions: [{{contract: a.yaml, backend: {{system: erp}}}}]\n"
    );
    let first = compile(dir.path(), &document).unwrap().revision;
    assert_eq!(compile(dir.path(), &document).unwrap().revision, first);
    write_contract(dir.path(), "a.yaml", "1.0.1", &[("get", "/x", "getX")]);
    assert_ne!(compile(dir.path(), &document).unwrap().revision, first);
    let labelled = compile(dir.path(), &format!("revision: r42\n{document}")).unwrap();
    assert_eq!(labelled.revision, "r42");
}

#[test]
fn resolves_versions_from_path_header_and_default() {
    use crate::versioning::{Resolution, resolve};
    let dir = tempfile::tempdir().unwrap();
    write_contract(
        dir.path(),
        "v1.yaml",
        "1.0.0",
        &[("get", "/x/{id}", "getX")],
    );
    write_contract(
        dir.path(),
        "v2.yaml",
        "2.1.0",
        &[("get", "/x/{id}", "getX")],
    );
    write_contract(
        dir.path(),
        "v3.yaml",
        "3.0.0",
        &[("get", "/x/{id}", "getX")],
    );
    let versions = "versions:\n      - {contract: v1.yaml, backend: {system: erp, path_prefix: /one}}\n      - {contract: v2.yaml, lifecycle: deprecated, backend: {system: erp, path_prefix: /two}}\n      - {contract: v3.yaml, lifecycle: draft, backend: {system: erp}}\n";
    let snapshot = compile(
        dir.path(),
        &format!(
            "{SYSTEMS}apis:\n  a:\n    {versions}  b:\n    default_version: none\n    {}",
            versions.replace("/one", "/b1").replace("/two", "/b2")
        ),
    )
    .unwrap();
    let get = http::Method::GET;
    let found = |resolution: Resolution<'_>| match resolution {
        Resolution::Found {
            operation,
            prefix_len,
        } => (
            snapshot.operation(operation).version.to_string(),
            prefix_len,
        ),
        other => panic!("{other:?}"),
    };
    assert_eq!(
        found(resolve(&snapshot, &get, "/a/v1/x/7", Some(b"2"))),
        ("v1".into(), 5)
    );
    // Both published and deprecated count; the highest published one is the default.
    assert_eq!(
        found(resolve(&snapshot, &get, "/a/x/7", None)),
        ("v1".into(), 2)
    );
    assert_eq!(
        found(resolve(&snapshot, &get, "/a/x/7", Some(b"v2"))),
        ("v2".into(), 2)
    );
    let Resolution::Found {
        operation,
        prefix_len,
    } = resolve(&snapshot, &get, "/a/x/7", Some(b"2"))
    else {
        panic!()
    };
    assert_eq!(
        snapshot
            .operation(operation)
            .upstream_path("/a/x/7", prefix_len),
        "/two/x/7"
    );
    assert!(
        matches!(resolve(&snapshot, &get, "/a/x/7", Some(b"3")), Resolution::UnknownVersion { requested, .. } if requested == "v3")
    );
    assert!(
        matches!(resolve(&snapshot, &get, "/a/v9/x/7", None), Resolution::UnknownVersion { api, .. } if api.callable_versions() == "v1, v2")
    );
    assert!(matches!(
        resolve(&snapshot, &get, "/a/x/7", Some(b"latest")),
        Resolution::InvalidVersionHeader { .. }
    ));
    assert!(matches!(
        resolve(&snapshot, &get, "/b/x/7", None),
        Resolution::VersionRequired { .. }
    ));
    assert_eq!(
        found(resolve(&snapshot, &get, "/b/x/7", Some(b"1"))),
        ("v1".into(), 2)
    );
    assert!(matches!(
        resolve(&snapshot, &http::Method::POST, "/a/x/7", None),
        Resolution::MethodNotAllowed { .. }
    ));
    assert_eq!(
        resolve(&snapshot, &get, "/a/v1/nothing", None),
        Resolution::NotFound
    );
    assert_eq!(
        resolve(&snapshot, &get, "/ab/x/7", None),
        Resolution::NotFound
    );
}

#[test]
fn default_version_must_name_a_served_version() {
    let dir = tempfile::tempdir().unwrap();
    write_contract(dir.path(), "v1.yaml", "1.0.0", &[("get", "/x", "getX")]);
    for (default, message) in [("v4", "the API has no v4"), ("v1", "v1 is retired")] {
        let error = compile(
            dir.path(),
            &format!("{SYSTEMS}apis:\n  a:\n    default_version: {default}\n    versions: [{{contract: v1.yaml, lifecycle: retired, backend: {{system: erp}}}}]\n"),
        )
        .unwrap_err();
        assert!(
            error
                .to_string()
                .contains(&format!("apis.a.default_version: {message}")),
            "{error}"
        );
    }
}

#[test]
fn inline_contracts_compile_and_report_problems_at_their_version() {
    let dir = tempfile::tempdir().unwrap();
    write_contract(dir.path(), "x.yaml", "3.1.0", &[("get", "/x/{id}", "getX")]);
    let text = std::fs::read_to_string(dir.path().join("x.yaml")).unwrap();
    let inline = |text: &str, origin: &str| {
        let mut config = config::parse(
            "gw.yaml",
            &format!("{SYSTEMS}apis:\n  a:\n    versions: [{{contract: x.yaml, backend: {{system: erp}}}}]\n"),
            dir.path().join("elsewhere"),
        )
        .unwrap();
        config.apis["a"].versions[0].contract = config::ContractSource::Inline {
            origin: origin.to_owned(),
            text: text.to_owned(),
        };
        Snapshot::compile(&config)
    };
    let snapshot = inline(&text, "").unwrap();
    assert_eq!(snapshot.apis[0].versions[0].contract_version, "3.1.0");
    assert!(matches!(
        snapshot.router.lookup(&http::Method::GET, "/a/v3/x/1"),
        RouteMatch::Found(_)
    ));

    let broken = text.replace("operationId: getX", "operationId: [getX]");
    for (origin, named) in [("", "apis.a.versions[0]"), ("a@3.1.0", "a@3.1.0")] {
        let error = inline(&broken, origin).unwrap_err();
        assert_eq!(error.problems.len(), 1, "{error}");
        let problem = &error.problems[0];
        assert_eq!(problem.location, "apis.a.versions[0].contract");
        assert!(problem.message.contains(named), "{}", problem.message);
        assert!(
            problem.message.contains("/paths/~1x~1{id}/get"),
            "{}",
            problem.message
        );
    }
}

#[test]
fn deprecation_metadata_becomes_response_fields() {
    let dir = tempfile::tempdir().unwrap();
    write_contract(dir.path(), "v1.yaml", "1.0.0", &[("get", "/x", "getX")]);
    write_contract(dir.path(), "v2.yaml", "2.0.0", &[("get", "/x", "getX")]);
    let document = |deprecation: &str| {
        format!(
            "{SYSTEMS}apis:\n  a:\n    base_path: /aa\n    versions:\n      - {{contract: v1.yaml, lifecycle: deprecated, deprecation: {deprecation}, backend: {{system: erp}}}}\n      - {{contract: v2.yaml, backend: {{system: erp}}}}\n"
        )
    };
    let snapshot = compile(
        dir.path(),
        &document("{deprecated_on: 2026-01-15, sunset: 2026-07-01, successor: 2.0.0}"),
    )
    .unwrap();
    let RouteMatch::Found(index) = snapshot.router.lookup(&http::Method::GET, "/aa/v1/x") else {
        panic!("no route");
    };
    let fields = &snapshot.version_of(snapshot.operation(index)).deprecation;
    assert_eq!(fields.deprecation.as_ref().unwrap(), "@1768435200");
    assert_eq!(
        fields.sunset.as_ref().unwrap(),
        "Wed, 01 Jul 2026 00:00:00 GMT"
    );
    assert_eq!(
        fields.successor_link.as_ref().unwrap(),
        "</aa/v2>; rel=\"successor-version\""
    );
    assert_eq!(
        snapshot.apis[0].versions[1].deprecation,
        DeprecationFields::default()
    );

    let error = compile(dir.path(), &document("{successor: v5}")).unwrap_err();
    assert_eq!(
        error.to_string(),
        "gw.yaml: apis.a.versions[0].deprecation.successor: the API has no v5 (its versions: v1, v2)"
    );
    let error = compile(
        dir.path(),
        &document("{sunset: 2026-07-01}").replace("lifecycle: deprecated", "lifecycle: published"),
    )
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        "gw.yaml: apis.a.versions[0].deprecation: only a deprecated or retired version can carry `deprecation`; this one is published"
    );
}

#[test]
fn a_reload_keeps_the_compiled_consumers_when_they_and_their_names_are_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    write_contract(dir.path(), "a.yaml", "1.0.0", &[("get", "/x", "getX")]);
    let document = |tiers: &str, consumer_name: &str| {
        format!(
            "{SYSTEMS}apis:\n  a:\n    versions:\n      - {{contract: a.yaml, backend: {{system: erp}}}}\ntiers:\n{tiers}consumers:\n  web:\n    name: {consumer_name}\n    team: t\n    system: erp\n    tier: gold\n    subscriptions: [a]\n"
        )
    };
    let parse = |text: &str| config::parse("gw.yaml", text, dir.path().to_path_buf()).unwrap();
    let first = Snapshot::compile(&parse(&document("  gold: {}\n", "Web"))).unwrap();
    let recompile = |text: &str| {
        let context = CompileContext {
            clock: None,
            previous: Some(&first),
        };
        Snapshot::compile_with(&parse(text), &context).unwrap()
    };
    let same = recompile(&document("  gold: {priority: 2}\n", "Web"));
    assert!(Arc::ptr_eq(&first.consumers, &same.consumers));
    let renamed = recompile(&document("  gold: {}\n", "Web shop"));
    assert!(!Arc::ptr_eq(&first.consumers, &renamed.consumers));
    assert_eq!(renamed.consumers.get(0).name, "Web shop");
    let more_tiers = recompile(&document("  bronze: {}\n  gold: {}\n", "Web"));
    assert!(!Arc::ptr_eq(&first.consumers, &more_tiers.consumers));
    assert_eq!(more_tiers.consumers.get(0).tier, 1);
}
