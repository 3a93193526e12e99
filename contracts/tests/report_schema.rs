//! Real diff and lint reports, in JSON, validate against the published
//! schema `contracts/schema/report.schema.json`.

use std::path::{Path, PathBuf};

use canongate_contracts::change::Level;
use canongate_contracts::deprecation::{Date, DeprecationPolicy};
use canongate_contracts::diff::DiffOptions;
use canongate_contracts::lint::{Severity, lint_bytes};
use canongate_contracts::render::{self, Format};
use canongate_contracts::report::DiffReport;
use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

fn validator() -> jsonschema::Validator {
    let text = std::fs::read_to_string(root().join("schema/report.schema.json")).expect("schema");
    let schema: Value = serde_json::from_str(&text).expect("the schema is JSON");
    jsonschema::validator_for(&schema).expect("the schema is a valid JSON Schema")
}

fn assert_valid(validator: &jsonschema::Validator, json: &str, what: &str) {
    let instance: Value = serde_json::from_str(json).expect("the report is JSON");
    let errors: Vec<String> = validator
        .iter_errors(&instance)
        .map(|error| format!("{} at {}", error, error.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{what}:\n{}\n{json}", errors.join("\n"));
}

fn diff_json(case: &str, check_version: bool) -> String {
    let folder = root().join("tests/fixtures").join(case);
    let read = |name: &str| std::fs::read(folder.join(name)).expect("fixture");
    let (old, new) = (read("base.yaml"), read("revision.yaml"));
    let options = DiffOptions {
        deprecation: DeprecationPolicy {
            today: Date::parse("2026-06-01").expect("date"),
            ..DeprecationPolicy::default()
        },
    };
    let report = DiffReport::from_bytes(
        ("base.yaml", &old),
        ("revision.yaml", &new),
        &options,
        check_version,
    )
    .expect("fixtures load");
    render::diff(&report, Format::Json, Some(Level::Breaking))
}

#[test]
fn diff_reports_validate() {
    let validator = validator();
    for (case, check_version) in [
        ("none-identical", false),
        ("none-identical", true),
        ("operation-removed", true),
        ("operation-path-changed", false),
        ("request-property-type-changed", true),
        ("security-scheme-replaced", false),
        ("response-header-deprecated", true),
    ] {
        let json = diff_json(case, check_version);
        assert_valid(&validator, &json, case);
        let value: Value = serde_json::from_str(&json).expect("json");
        assert_eq!(value["semver"].is_null(), !check_version, "{case}");
    }
}

#[test]
fn lint_reports_validate() {
    let validator = validator();
    let canonical = std::fs::read(root().join("canonical/order.yaml")).expect("contract");
    let inputs: [(&str, &[u8]); 4] = [
        ("order.yaml", &canonical),
        ("broken.yaml", b"openapi: 3.0.3\ninfo: {title: T, version: x}\npaths:\n  /a/:\n    get: {responses: {}}\n"),
        ("garbage.yaml", b"a: ["),
        ("v31.yaml", b"openapi: 3.1.0\n"),
    ];
    for (name, bytes) in inputs {
        let report = lint_bytes(name, bytes);
        let json = render::lint(&report, Format::Json, Some(Severity::Error));
        assert_valid(&validator, &json, name);
    }
}

#[test]
fn the_schema_rejects_a_malformed_report() {
    let validator = validator();
    let mut value: Value =
        serde_json::from_str(&diff_json("operation-removed", false)).expect("json");
    value["changes"][0]["level"] = Value::from("fatal");
    assert!(!validator.is_valid(&value));
}
