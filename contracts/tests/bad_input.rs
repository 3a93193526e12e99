//! Unusable input is refused with its file and pointer, never with a panic
//! or a hang: invalid YAML or JSON, documents that are not OpenAPI 3.0,
//! external and cyclic references; and the diff survives mutated contracts
//! and deeply self-referencing schemas.

use canongate_contracts::canonical;
use canongate_contracts::deprecation::DeprecationPolicy;
use canongate_contracts::diff::{DiffOptions, diff};
use canongate_contracts::lint::lint_bytes;
use canongate_contracts::report::DiffReport;
use canongate_contracts::{ProblemKind, load_bytes};

const GOOD: &str = "openapi: 3.0.3\ninfo: {title: T, version: 1.0.0}\nx-canongate: {domain: order, owner-team: commerce, system-of-record: erp}\npaths:\n  /orders:\n    get:\n      operationId: listOrders\n      responses:\n        '200':\n          description: ok\n          content: {application/json: {schema: {$ref: '#/components/schemas/Order'}}}\ncomponents:\n  schemas:\n    Order: {type: object}\n";

/// `(what, document, pointer of the problem)`.
fn unusable() -> Vec<(&'static str, String, &'static str)> {
    vec![
        ("invalid YAML", "openapi: 3.0.3\ninfo: [\n".to_owned(), ""),
        ("invalid JSON", "{\"openapi\": \"3.0.3\", \"paths\": [}".to_owned(), ""),
        ("duplicate key", GOOD.replace("paths:", "openapi: 3.0.2\npaths:"), ""),
        ("not OpenAPI", "info: {title: T}\npaths: {}\n".to_owned(), ""),
        ("a sequence", "- openapi\n".to_owned(), ""),
        ("Swagger 2.0", "swagger: '2.0'\ninfo: {title: T, version: 1.0.0}\n".to_owned(), "/swagger"),
        ("OpenAPI 3.1", GOOD.replace("3.0.3", "3.1.0"), "/openapi"),
        (
            "a reference to another file",
            GOOD.replace("'#/components/schemas/Order'", "'common.yaml#/Order'"),
            "/paths/~1orders/get/responses/200/content/application~1json/schema/$ref",
        ),
        (
            "a reference to a URL",
            GOOD.replace("'#/components/schemas/Order'", "'https://schemas.retail.test/order.json'"),
            "/paths/~1orders/get/responses/200/content/application~1json/schema/$ref",
        ),
        (
            "a cyclic reference",
            GOOD.replace("Order: {type: object}", "Order: {$ref: '#/components/schemas/Alias'}\n    Alias: {$ref: '#/components/schemas/Order'}"),
            "/paths/~1orders/get/responses/200/content/application~1json/schema/$ref",
        ),
    ]
}

#[test]
fn unusable_input_is_refused_with_its_file_and_pointer() {
    for (what, text, pointer) in unusable() {
        let report = lint_bytes("bad.yaml", text.as_bytes());
        assert!(report.unusable, "{what}: {}", report.render_text());

        for (old, new) in [
            (
                ("good.yaml", GOOD.as_bytes()),
                ("bad.yaml", text.as_bytes()),
            ),
            (
                ("bad.yaml", text.as_bytes()),
                ("good.yaml", GOOD.as_bytes()),
            ),
        ] {
            let error =
                DiffReport::from_bytes(old, new, &DiffOptions::default(), true).expect_err(what);
            assert!(
                error.problems.iter().all(|p| p.origin == "bad.yaml"),
                "{what}: {error}"
            );
            let problem = error
                .problems
                .iter()
                .find(|p| p.kind.is_unusable())
                .unwrap_or_else(|| panic!("{what}: {error}"));
            assert_eq!(problem.pointer, pointer, "{what}: {error}");
            if !matches!(problem.kind, ProblemKind::Syntax { .. }) || !pointer.is_empty() {
                assert!(
                    problem.line.is_some() || pointer.is_empty(),
                    "{what}: {error}"
                );
            }
        }
    }
}

#[test]
fn defects_of_a_usable_document_are_findings() {
    let dangling = GOOD.replace(
        "'#/components/schemas/Order'",
        "'#/components/schemas/Missing'",
    );
    let report = lint_bytes("t.yaml", dangling.as_bytes());
    assert!(!report.unusable);
    assert!(report.has_errors());
}

/// A small deterministic pseudo-random generator (xorshift64).
struct Noise(u64);

impl Noise {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, bound: usize) -> usize {
        (self.next() % bound.max(1) as u64) as usize
    }
}

#[test]
fn mutated_contracts_diff_without_panicking() {
    let mut noise = Noise(0x2545_f491_4f6c_dd1d);
    let options = DiffOptions {
        deprecation: DeprecationPolicy::default(),
    };
    let edits: &[(&str, &str)] = &[
        ("type: string", "type: integer"),
        ("required: true", "required: false"),
        ("type: object", "type: array\n      items: {}"),
        (
            "$ref: '#/components/schemas/",
            "$ref: '#/components/schemas/X",
        ),
        ("maxLength: ", "maxLength: 1"),
        ("enum:", "x-enum:"),
        ("format: uuid", "format: date"),
        ("minimum: 0", "minimum: -1"),
        ("- oauth2:", "- apiKey:"),
        ("'200':", "'299':"),
        ("application/json", "application/xml"),
        ("nullable: true", "nullable: false"),
        ("readOnly: true", "writeOnly: true"),
        ("allOf:", "anyOf:"),
        ("oneOf:", "allOf:"),
    ];
    let mut diffs = 0;
    for (name, text) in canonical::ALL {
        let original = load_bytes(name, text.as_bytes()).expect("canonical");
        for _ in 0..12 {
            let mut mutated = text.to_owned();
            for _ in 0..1 + noise.below(4) {
                let (from, to) = edits[noise.below(edits.len())];
                let found: Vec<usize> = mutated.match_indices(from).map(|(at, _)| at).collect();
                if let Some(&at) = found.get(noise.below(found.len())) {
                    mutated.replace_range(at..at + from.len(), to);
                }
            }
            let Ok(changed) = load_bytes(name, mutated.as_bytes()) else {
                continue;
            };
            diff(&original, &changed, &options);
            diff(&changed, &original, &options);
            diffs += 1;
        }
    }
    assert!(diffs > 20, "only {diffs} mutated contracts loaded");
}

/// `count` schemas, each a `oneOf` of an inline object pointing at the next
/// schema and a string, the last pointing back at the first.
fn chain(count: usize, bound: usize) -> String {
    let mut text = GOOD.replace("'#/components/schemas/Order'", "'#/components/schemas/S0'");
    text = text.replace("    Order: {type: object}\n", "");
    for index in 0..count {
        let next = (index + 1) % count;
        let max = if index == count - 1 { bound } else { 20 };
        text.push_str(&format!(
            "    S{index}:\n      oneOf:\n        - {{type: object, properties: {{next: {{$ref: '#/components/schemas/S{next}'}}, self: {{$ref: '#/components/schemas/S{index}'}}, v: {{type: string, maxLength: {max}}}}}}}\n        - {{type: string}}\n"
        ));
    }
    text
}

#[test]
fn deep_self_referencing_schemas_are_diffed_in_bounded_time() {
    let old = load_bytes("old.yaml", chain(300, 20).as_bytes()).expect("old");
    let new = load_bytes("new.yaml", chain(300, 10).as_bytes()).expect("new");
    let changes = diff(&old, &new, &DiffOptions::default());
    let ids: Vec<&str> = changes.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(
        ids,
        ["response-property-max-length-decreased"],
        "{changes:?}"
    );
    assert!(diff(&old, &old, &DiffOptions::default()).is_empty());
}
