//! Contract lint: the error-level rules of Spectral's `oas` ruleset, the
//! warnings of it that matter to a gateway, and Canongate's own rules.
//!
//! Default severities are Spectral's, raised to error where a violation
//! breaks routing, validation or authorization at the gateway (query strings
//! or trailing slashes in paths, repeated or mistyped enum values, repeated
//! parameters, no success response, undefined security schemes or scopes).
//!
//! Every rule has a stable kebab-case id and a default severity, listed in
//! one table ([`rules`]); a project changes severities or turns rules off
//! with a [`Ruleset`] file. Problems found while loading become findings of the
//! rule that covers them (`parser`, `oas3-schema`, `path-params`,
//! `invalid-ref`, `canongate-governance`, ...); the other rules then run on
//! the document and on the normalized operations, so a contract that fails to
//! load still gets every finding that can be computed.

mod canongate;
mod config;
mod document;
mod examples;
mod from_load;
mod instance;
mod links;
mod operations;
mod schemas;
mod servers;
mod sunset;

use std::collections::HashSet;
use std::fmt;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::model::{Method, Operation};
use crate::{load, pointer, refs, walk};
use Check::{Load, Run};
use Severity::{Error, Warning};

pub use config::{Ruleset, RulesetError};

/// How much a finding matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The contract must not be published.
    Error,
    /// Should be fixed.
    Warning,
    /// For information.
    Info,
    /// A suggestion.
    Hint,
}

impl Severity {
    /// The lowercase name, e.g. `"error"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
            Severity::Hint => "hint",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One rule violation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The rule id, e.g. `path-params`.
    pub rule: &'static str,
    /// The rule's severity.
    pub severity: Severity,
    /// JSON pointer of the offending node; empty for the whole document.
    pub pointer: String,
    /// 1-based line in the source, when known.
    pub line: Option<usize>,
    /// What is wrong.
    pub message: String,
}

/// Where and why `instance` does not match the OpenAPI 3.0 `schema` (its `$ref`s resolved in
/// `document`): the JSON pointer into the instance and the reason; `None` when it matches.
/// `format` and `pattern` are not checked.
pub fn instance_mismatch(
    document: &serde_json::Value,
    schema: &serde_json::Value,
    instance: &serde_json::Value,
) -> Option<(String, String)> {
    instance::mismatch(document, schema, instance).map(|mismatch| (mismatch.at, mismatch.message))
}

/// The findings for one contract, ordered by line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LintReport {
    /// File path or label of the contract.
    pub origin: String,
    /// The findings.
    pub findings: Vec<Finding>,
    /// Whether the document could not be used at all (see
    /// [`crate::ProblemKind::is_unusable`]): unreadable, not YAML/JSON, not
    /// OpenAPI 3.0, external or cyclic references.
    pub unusable: bool,
}

impl LintReport {
    /// Whether any finding is an error.
    pub fn has_errors(&self) -> bool {
        self.count(Severity::Error) > 0
    }

    /// The number of findings of `severity`.
    pub fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    }

    /// Whether a finding is at or above `threshold` (`None`: never).
    pub fn fails(&self, threshold: Option<Severity>) -> bool {
        threshold.is_some_and(|threshold| self.findings.iter().any(|f| f.severity <= threshold))
    }

    /// One line per finding, `origin:line: severity rule pointer — message`
    /// (`:line` omitted when unknown), then `N errors, M warnings`.
    pub fn render_text(&self) -> String {
        let mut text = String::new();
        for finding in &self.findings {
            text.push_str(&self.origin);
            if let Some(line) = finding.line {
                text.push_str(&format!(":{line}"));
            }
            text.push_str(&format!(
                ": {} {} {} — {}\n",
                finding.severity,
                finding.rule,
                crate::pointer::display(&finding.pointer),
                finding.message
            ));
        }
        let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
        text.push_str(&plural(self.count(Severity::Error), "error"));
        text.push_str(", ");
        text.push_str(&plural(self.count(Severity::Warning), "warning"));
        text.push('\n');
        text
    }
}

/// A lint rule: its id, default severity and what it checks.
#[derive(Debug)]
pub struct Rule {
    /// Stable kebab-case id.
    pub id: &'static str,
    /// Severity when not configured otherwise.
    pub severity: Severity,
    /// What a contract must do to pass.
    pub description: &'static str,
    check: Check,
}

#[derive(Debug)]
enum Check {
    /// Findings come from load problems (see `from_load`).
    Load,
    /// Findings come from this function.
    Run(fn(&Context<'_>) -> Vec<Hit>),
}

/// What a rule sees.
pub(crate) struct Context<'a> {
    /// The whole document.
    pub document: &'a Value,
    /// Every structural object of the document with its pointer (see [`walk`]).
    pub objects: &'a [(String, &'a Map<String, Value>)],
    /// The normalized operations (empty when the document's shape is invalid).
    pub operations: &'a [Operation],
}

impl<'a> Context<'a> {
    /// Every `key` sequence of the path items and of their operations
    /// (path item references followed), with its pointer.
    pub(crate) fn path_item_lists(&self, key: &str) -> Vec<(String, &'a Vec<Value>)> {
        let paths = self.document.get("paths").and_then(Value::as_object);
        let mut lists = Vec::new();
        for path in paths.into_iter().flat_map(|paths| paths.keys()) {
            let Ok((item_at, item)) = refs::follow(self.document, &pointer::child("/paths", path))
            else {
                continue;
            };
            if let Some(list) = item.get(key).and_then(Value::as_array) {
                lists.push((pointer::child(&item_at, key), list));
            }
            for method in Method::ALL {
                let list = item
                    .get(method.key())
                    .and_then(|operation| operation.get(key));
                if let Some(list) = list.and_then(Value::as_array) {
                    let operation_at = pointer::child(&item_at, method.key());
                    lists.push((pointer::child(&operation_at, key), list));
                }
            }
        }
        lists
    }
}

/// One violation reported by a rule's check.
pub(crate) struct Hit {
    pub pointer: String,
    pub message: String,
}

impl Hit {
    pub(crate) fn new(pointer: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            pointer: pointer.into(),
            message: message.into(),
        }
    }
}

const fn rule(
    id: &'static str,
    severity: Severity,
    description: &'static str,
    check: Check,
) -> Rule {
    Rule {
        id,
        severity,
        description,
        check,
    }
}

#[rustfmt::skip]
static RULES: &[Rule] = &[
    rule("parser", Error, "The document is well-formed YAML or JSON without duplicate keys.", Load),
    rule("oas3-schema", Error, "The document is OpenAPI 3.0.x and has the shape the specification requires.", Load),
    rule("invalid-ref", Error, "Every $ref resolves and no chain of references loops.", Load),
    rule("canongate-local-refs", Error, "References are local ('#/...'); contracts are self-contained.", Load),
    rule("operation-operationId", Error, "Every operation has an operationId.", Load),
    rule("operation-operationId-unique", Error, "Every operationId is unique.", Load),
    rule("path-params", Error, "Path templates are well-formed and unambiguous; their variables and the required path parameters agree.", Load),
    rule("canongate-governance", Error, "The x-canongate block names the domain, owner team and system of record.", Load),
    rule("canongate-semver", Error, "info.version is a semantic version.", Load),
    rule("info-contact", Warning, "info has a contact.", Run(document::info_contact)),
    rule("info-description", Warning, "info has a description.", Run(document::info_description)),
    rule("oas3-server-not-example.com", Warning, "Server URLs do not point at example.com.", Run(servers::not_example)),
    rule("oas3-server-trailing-slash", Warning, "Server URLs do not end with a slash.", Run(servers::no_trailing_slash)),
    rule("oas3-server-variables", Error, "Server URL variables are all defined, all used, and their defaults are among their enum values.", Run(servers::variables)),
    rule("path-keys-no-trailing-slash", Error, "Paths do not end with a slash.", Run(document::no_trailing_slash)),
    rule("path-not-include-query", Error, "Paths do not contain a query string.", Run(document::no_query)),
    rule("no-eval-in-markdown", Warning, "Descriptions and titles do not contain `eval(`.", Run(document::no_eval)),
    rule("no-script-tags-in-markdown", Warning, "Descriptions and titles do not contain `<script`.", Run(document::no_script)),
    rule("openapi-tags-uniqueness", Error, "Tag names are unique.", Run(document::unique_tags)),
    rule("no-$ref-siblings", Error, "A $ref has no sibling keys (OpenAPI 3.0 ignores them).", Run(document::no_ref_siblings)),
    rule("oas3-unused-component", Warning, "Every reusable component is referenced.", Run(document::unused_components)),
    rule("duplicated-entry-in-enum", Error, "Enum values are unique.", Run(schemas::unique_enum)),
    rule("typed-enum", Error, "Enum values have the schema's type.", Run(schemas::typed_enum)),
    rule("array-items", Error, "Array schemas declare items.", Run(schemas::array_items)),
    rule("oas3-valid-media-example", Error, "Examples of media types, parameters and headers match their schema.", Run(examples::media)),
    rule("oas3-valid-schema-example", Error, "Schema examples and defaults match the schema.", Run(examples::schema)),
    rule("oas3-examples-value-or-externalValue", Warning, "Example objects have either `value` or `externalValue`.", Run(examples::value_or_external)),
    rule("oas3-links-parameters-expression", Error, "Link parameters that are runtime expressions are valid ones.", Run(links::parameters_expression)),
    rule("operation-operationId-valid-in-url", Error, "operationIds only use characters valid in a URL.", Run(operations::operation_id_in_url)),
    rule("operation-parameters", Error, "A parameter list names each parameter (name and location) once.", Run(operations::unique_parameters)),
    rule("operation-description", Warning, "Operations have a description.", Run(operations::description)),
    rule("operation-tags", Warning, "Operations have at least one tag.", Run(operations::tags)),
    rule("operation-tag-defined", Warning, "Operation tags are declared in the root `tags`.", Run(operations::tag_defined)),
    rule("operation-success-response", Error, "Operations declare at least one 2xx or 3xx response.", Run(operations::success_response)),
    rule("oas3-operation-security-defined", Error, "Security requirements name defined schemes and, for OAuth 2, defined scopes.", Run(operations::security_defined)),
    rule("canongate-operation-security", Error, "Every operation declares security, or `security: []` when public.", Run(canongate::operation_security)),
    rule("canongate-problem-json", Error, "4xx, 5xx and default responses are application/problem+json only.", Run(canongate::problem_json)),
    rule("canongate-operation-id-camel-case", Warning, "operationIds are lowerCamelCase.", Run(canongate::operation_id_camel_case)),
    rule("canongate-path-kebab-case", Warning, "Literal path segments are kebab-case.", Run(canongate::path_kebab_case)),
    rule("canongate-list-paginated", Warning, "GET on a collection declares a `cursor` or `page`/`offset` query parameter.", Run(canongate::list_paginated)),
    rule("canongate-idempotency-key", Warning, "POST creating orders or returns (on an `orders` or `returns` collection) requires an Idempotency-Key header.", Run(canongate::idempotency_key)),
    rule("canongate-sunset-date", Error, "Every x-sunset is a date (YYYY-MM-DD) on something deprecated.", Run(sunset::sunset_date)),
    rule("canongate-deprecated-sunset", Warning, "Deprecated operations, parameters, headers and properties have an x-sunset date.", Run(sunset::deprecated_sunset)),
];

/// Every rule, load-problem rules first.
pub fn rules() -> &'static [Rule] {
    RULES
}

fn severity_of(id: &str) -> Severity {
    RULES
        .iter()
        .find(|rule| rule.id == id)
        .map_or(Error, |rule| rule.severity)
}

/// Lints a contract given as YAML or JSON `bytes` with the default
/// severities; never fails: problems that stop loading become findings too.
pub fn lint_bytes(origin: &str, bytes: &[u8]) -> LintReport {
    lint_bytes_with(origin, bytes, &Ruleset::default())
}

/// Lints a contract with the severities of `ruleset` (rules it turns off
/// are not run).
pub fn lint_bytes_with(origin: &str, bytes: &[u8], ruleset: &Ruleset) -> LintReport {
    let analysis = load::analyze(origin, bytes);
    let mut findings: Vec<Finding> = analysis
        .problems
        .iter()
        .filter_map(|problem| {
            let rule = from_load::rule_of(&problem.kind);
            Some(Finding {
                rule,
                severity: ruleset.severity(rule, severity_of(rule))?,
                pointer: problem.pointer.clone(),
                line: problem.line,
                message: problem.kind.to_string(),
            })
        })
        .collect();
    if let Some(document) = &analysis.document {
        let objects = walk::collect(document);
        let context = Context {
            document,
            objects: &objects,
            operations: analysis.operations.as_deref().unwrap_or_default(),
        };
        for rule in RULES {
            let Run(check) = rule.check else { continue };
            let Some(severity) = ruleset.severity(rule.id, rule.severity) else {
                continue;
            };
            findings.extend(check(&context).into_iter().map(|hit| Finding {
                rule: rule.id,
                severity,
                line: analysis.lines.line(&hit.pointer),
                pointer: hit.pointer,
                message: hit.message,
            }));
        }
    }
    let mut seen = HashSet::new();
    findings.retain(|f| seen.insert((f.rule, f.pointer.clone(), f.message.clone())));
    findings.sort_by_key(|finding| finding.line.unwrap_or(0));
    LintReport {
        origin: origin.to_owned(),
        findings,
        unusable: analysis.problems.iter().any(|p| p.kind.is_unusable()),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A contract that passes every rule; tests change one thing in it.
    pub(crate) const CLEAN: &str = r##"
openapi: 3.0.3
info:
  title: Orders
  description: Orders of every channel.
  version: 1.2.0
  contact: {name: Commerce, email: commerce@retail.test}
x-canongate:
  domain: order
  owner-team: commerce
  system-of-record: erp
security:
  - oauth2: [orders:read]
tags:
  - name: Orders
paths:
  /orders:
    get:
      operationId: listOrders
      description: Lists orders.
      tags: [Orders]
      parameters:
        - $ref: '#/components/parameters/Cursor'
      responses:
        '200':
          description: A page.
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Order'}
              example: {id: o-1, status: open}
        '400': {$ref: '#/components/responses/Problem'}
    post:
      operationId: createOrder
      description: Creates an order.
      tags: [Orders]
      security:
        - oauth2: [orders:write]
      parameters:
        - name: Idempotency-Key
          in: header
          required: true
          schema: {type: string}
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: '#/components/schemas/Order'}
      responses:
        '201': {description: Created.}
        default: {$ref: '#/components/responses/Problem'}
  /orders/{orderId}:
    parameters:
      - name: orderId
        in: path
        required: true
        schema: {type: string}
    get:
      operationId: getOrder
      description: Returns one order.
      tags: [Orders]
      security: []
      responses:
        '200': {description: The order.}
        4XX: {$ref: '#/components/responses/Problem'}
components:
  securitySchemes:
    oauth2:
      type: oauth2
      flows:
        clientCredentials:
          tokenUrl: https://auth.retail.test/token
          scopes: {orders:read: Read., orders:write: Write.}
  parameters:
    Cursor:
      name: cursor
      in: query
      schema: {type: string}
  responses:
    Problem:
      description: A problem.
      content:
        application/problem+json:
          schema: {$ref: '#/components/schemas/Problem'}
  schemas:
    Order:
      type: object
      required: [id]
      properties:
        id: {type: string, readOnly: true}
        status: {type: string, enum: [open, closed], default: open}
        lines: {type: array, items: {$ref: '#/components/schemas/Order'}}
    Problem:
      type: object
      properties:
        title: {type: string}
"##;

    pub(crate) fn lint(text: &str) -> LintReport {
        lint_bytes("t.yaml", text.as_bytes())
    }

    /// The findings of `rule` for `text`, as `(pointer, message)`.
    pub(crate) fn hits(text: &str, rule: &str) -> Vec<(String, String)> {
        lint(text)
            .findings
            .into_iter()
            .filter(|f| f.rule == rule)
            .map(|f| (f.pointer, f.message))
            .collect()
    }

    /// `CLEAN` with `from` replaced by `to` (which must occur).
    pub(crate) fn clean_with(from: &str, to: &str) -> String {
        assert!(CLEAN.contains(from), "fixture lacks {from:?}");
        CLEAN.replacen(from, to, 1)
    }

    #[test]
    fn the_clean_fixture_has_no_findings() {
        let report = lint(CLEAN);
        assert!(report.findings.is_empty(), "{}", report.render_text());
    }

    #[test]
    fn rule_ids_are_unique_kebab_case() {
        for (i, rule) in RULES.iter().enumerate() {
            assert!(
                rule.id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-.$".contains(&b)),
                "{}",
                rule.id
            );
            assert!(
                RULES[..i].iter().all(|other| other.id != rule.id),
                "{} twice",
                rule.id
            );
        }
    }

    #[test]
    fn renders_text_with_a_summary() {
        let report = lint(&clean_with("      description: Lists orders.\n", ""));
        assert_eq!(report.count(Severity::Warning), 1);
        let text = report.render_text();
        let first = text.lines().next().unwrap_or_default();
        assert_eq!(
            first,
            "t.yaml:18: warning operation-description /paths/~1orders/get — the operation has no description"
        );
        assert!(text.ends_with("0 errors, 1 warning\n"), "{text}");
        assert!(!report.has_errors());
    }

    #[test]
    fn a_ruleset_changes_severities_and_turns_rules_off() {
        let text = clean_with("      description: Lists orders.\n", "");
        let ruleset = Ruleset::parse(
            "lint.yaml",
            b"rules: {operation-description: error, info-contact: off}",
        )
        .expect("ruleset");
        let report = lint_bytes_with("t.yaml", text.as_bytes(), &ruleset);
        assert_eq!(report.findings[0].rule, "operation-description");
        assert_eq!(report.findings[0].severity, Severity::Error);
        let text = clean_with(
            "  contact: {name: Commerce, email: commerce@retail.test}\n",
            "",
        );
        let report = lint_bytes_with("t.yaml", text.as_bytes(), &ruleset);
        assert!(report.findings.is_empty(), "{}", report.render_text());
        let ruleset = Ruleset::parse("lint.yaml", b"rules: {parser: warning}").expect("ruleset");
        let report = lint_bytes_with("t.yaml", b"a: [", &ruleset);
        assert_eq!(report.findings[0].severity, Severity::Warning);
        assert!(report.unusable);
    }

    #[test]
    fn load_problems_become_findings() {
        let report = lint("openapi: 3.1.0\n");
        assert_eq!(report.findings.len(), 1);
        assert_eq!(report.findings[0].rule, "oas3-schema");
        assert_eq!(report.findings[0].line, Some(1));
        assert!(report.has_errors());
        assert!(
            report
                .render_text()
                .starts_with("t.yaml:1: error oas3-schema /openapi — OpenAPI 3.1")
        );

        let report = lint("a: [");
        assert_eq!(report.findings[0].rule, "parser");
        assert_eq!(report.render_text().lines().count(), 2);
    }

    #[test]
    fn document_rules_run_when_the_shape_is_invalid() {
        let text = clean_with(
            "tags:\n  - name: Orders\n",
            "servers: [{url: 'https://api.example.com'}]\ntags: 5\n",
        );
        let rules: Vec<&str> = lint(&text).findings.iter().map(|f| f.rule).collect();
        assert!(rules.contains(&"oas3-schema"), "{rules:?}");
        assert!(rules.contains(&"oas3-server-not-example.com"), "{rules:?}");
    }

    #[test]
    fn severities_display_lowercase() {
        assert_eq!(Severity::Hint.to_string(), "hint");
        assert_eq!(
            serde_json::to_value(Severity::Warning).ok(),
            Some(Value::from("warning"))
        );
    }
}
