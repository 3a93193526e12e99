//! Canonical API contracts: loading, the normalized model, lint, and the
//! governance engine (breaking-change diff, deprecation rules, semver gate).
//!
//! A contract is an OpenAPI 3.0.x document (YAML or JSON) with an
//! `x-canongate` governance block naming its data domain, owner team and
//! system of record. [`load_file`] / [`load_bytes`] turn one into a
//! [`Contract`]: every operation with its references resolved and its
//! path-level parameters merged, schemas kept as written. Loading is strict
//! and exhaustive: it refuses anything the gateway could not serve
//! (Swagger 2.0, OpenAPI 3.1, external or broken `$ref`s, missing or duplicate
//! operation ids, path templates that disagree with their parameters, a
//! missing governance block) and reports every problem at once, each with a
//! JSON pointer and, when known, its line in the source.
//!
//! [`lint`] runs the same loader plus style and governance rules and returns
//! findings instead of failing; a [`lint::Ruleset`] file changes severities.
//! [`diff`] lists the [`change::Change`]s between two versions, judged by
//! the direction values travel and by the [`deprecation`] rules;
//! [`semver::check_version`] is the gate on `info.version` that publishing
//! applies. [`report`] and [`render`] turn a diff or a lint into text, JSON
//! (`contracts/schema/report.schema.json`), Markdown, JUnit or GitHub
//! annotations. [`canonical`] embeds the canonical retail contracts of
//! `contracts/canonical/`.
//!
//! How: the bytes are parsed once with serde_norway into `serde_json::Value`,
//! the text is scanned for the line of each node when a message needs one,
//! `openapiv3` checks the document's shape, and the normalizer walks `paths`
//! by pointer, decoding each node it needs with the `openapiv3` types.

pub mod canonical;
pub mod change;
pub mod deprecation;
pub mod diff;
mod error;
mod governance;
mod lines;
pub mod lint;
mod load;
mod model;
mod normalize;
pub mod pointer;
mod refs;
pub mod render;
pub mod report;
pub mod semver;
mod shape;
mod source;
mod template;
mod walk;

use std::path::Path;

pub use error::{LoadError, Problem, ProblemKind};
pub use governance::{EXTENSION as GOVERNANCE_EXTENSION, FieldOwner, Governance};
pub use model::{
    Contract, MediaType, Method, Operation, Parameter, ParameterLocation, RequestBody, Response,
    SecurityRequirement,
};

/// Loads the contract at `path`; its display form is the origin in messages.
pub fn load_file(path: &Path) -> Result<Contract, LoadError> {
    let origin = path.display().to_string();
    match std::fs::read(path) {
        Ok(bytes) => load_bytes(&origin, &bytes),
        Err(error) => Err(LoadError {
            problems: vec![Problem {
                origin,
                pointer: String::new(),
                line: None,
                kind: ProblemKind::Io {
                    message: error.to_string(),
                },
            }],
        }),
    }
}

/// Loads a contract from YAML or JSON `bytes`; `origin` labels it in messages.
pub fn load_bytes(origin: &str, bytes: &[u8]) -> Result<Contract, LoadError> {
    load::analyze(origin, bytes).into_contract()
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    fn canonical_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("canonical")
    }

    fn canonical_files() -> Vec<PathBuf> {
        let entries = std::fs::read_dir(canonical_dir()).expect("contracts/canonical exists");
        let mut files: Vec<PathBuf> = entries
            .filter_map(|entry| entry.ok().map(|entry| entry.path()))
            .filter(|path| path.extension().is_some_and(|ext| ext == "yaml"))
            .collect();
        files.sort();
        files
    }

    /// Operations of each canonical contract, as `METHOD path operationId`.
    const EXPECTED: &[(&str, &[&str])] = &[
        (
            "customer",
            &[
                "GET /customers listCustomers",
                "POST /customers createCustomer",
                "GET /customers/{customerId} getCustomer",
                "PATCH /customers/{customerId} updateCustomer",
                "GET /customers/{customerId}/addresses listCustomerAddresses",
            ],
        ),
        (
            "inventory",
            &[
                "GET /stock-levels listStockLevels",
                "POST /stock-levels createStockLevel",
                "GET /stock-levels/{stockLevelId} getStockLevel",
                "PATCH /stock-levels/{stockLevelId} updateStockLevel",
                "POST /stock-levels/{stockLevelId}/adjustments adjustStockLevel",
            ],
        ),
        (
            "order",
            &[
                "GET /orders listOrders",
                "POST /orders createOrder",
                "GET /orders/{orderId} getOrder",
                "PATCH /orders/{orderId} updateOrder",
                "POST /orders/{orderId}/cancellation cancelOrder",
            ],
        ),
        (
            "price",
            &[
                "GET /prices listPrices",
                "POST /prices createPrice",
                "GET /prices/{priceId} getPrice",
                "PATCH /prices/{priceId} updatePrice",
            ],
        ),
        (
            "product",
            &[
                "GET /products listProducts",
                "POST /products createProduct",
                "GET /products/{productId} getProduct",
                "PATCH /products/{productId} updateProduct",
            ],
        ),
        (
            "return",
            &[
                "GET /returns listReturns",
                "POST /returns createReturn",
                "GET /returns/{returnId} getReturn",
                "PATCH /returns/{returnId} updateReturn",
            ],
        ),
        (
            "shipment",
            &[
                "GET /shipments listShipments",
                "POST /shipments createShipment",
                "GET /shipments/{shipmentId} getShipment",
                "PATCH /shipments/{shipmentId} updateShipment",
            ],
        ),
    ];

    #[test]
    fn canonical_contracts_load_with_their_operations() {
        let stems: Vec<String> = canonical_files()
            .iter()
            .filter_map(|path| {
                path.file_stem()
                    .map(|stem| stem.to_string_lossy().into_owned())
            })
            .collect();
        let expected: Vec<&str> = EXPECTED.iter().map(|(domain, _)| *domain).collect();
        assert_eq!(stems, expected);
        let mut embedded: Vec<&str> = canonical::ALL.iter().map(|(name, _)| *name).collect();
        embedded.sort_unstable();
        assert_eq!(embedded, expected, "canonical::ALL embeds every file");
        for (domain, operations) in EXPECTED {
            let path = canonical_dir().join(format!("{domain}.yaml"));
            let contract = load_file(&path).unwrap_or_else(|error| panic!("{error}"));
            assert_eq!(contract.governance.domain, *domain);
            assert_eq!(contract.major, 1, "{domain}");
            let found: Vec<String> = contract
                .operations
                .iter()
                .map(|op| format!("{} {} {}", op.method, op.path, op.operation_id))
                .collect();
            assert_eq!(found, *operations, "{domain}");
            for operation in &contract.operations {
                assert!(operation.security.is_some(), "{}", operation.operation_id);
                assert!(contract.operation(&operation.operation_id).is_some());
            }
        }
    }

    #[test]
    fn canonical_contracts_lint_without_errors() {
        for path in canonical_files() {
            let bytes = std::fs::read(&path).expect("readable");
            let report = lint::lint_bytes(&path.display().to_string(), &bytes);
            assert!(!report.has_errors(), "{}", report.render_text());
        }
    }

    #[test]
    fn a_missing_file_is_an_io_problem() {
        let error = load_file(Path::new("/nonexistent/orders.yaml")).expect_err("no such file");
        assert!(matches!(error.problems[0].kind, ProblemKind::Io { .. }));
        assert!(
            error
                .to_string()
                .starts_with("/nonexistent/orders.yaml: (root): cannot read the contract")
        );
    }

    #[test]
    fn a_self_referencing_schema_loads() {
        let text = "openapi: 3.0.3\ninfo: {title: T, version: 1.0.0}\nx-canongate: {domain: d, owner-team: t, system-of-record: s}\npaths:\n  /nodes:\n    get:\n      operationId: listNodes\n      security: []\n      responses:\n        '200':\n          description: ok\n          content: {application/json: {schema: {$ref: '#/components/schemas/Node'}}}\ncomponents:\n  schemas:\n    Node:\n      type: object\n      properties:\n        children: {type: array, items: {$ref: '#/components/schemas/Node'}}\n        parent: {allOf: [{$ref: '#/components/schemas/Node'}]}\n";
        let contract =
            load_bytes("nodes.yaml", text.as_bytes()).unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(contract.operations.len(), 1);
        let report = lint::lint_bytes("nodes.yaml", text.as_bytes());
        assert!(!report.has_errors(), "{}", report.render_text());
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

    /// Loads and lints `bytes`; only returning matters (no panic, no hang).
    fn survive(bytes: &[u8]) {
        let loaded = load_bytes("fuzz", bytes);
        let report = lint::lint_bytes("fuzz", bytes);
        if loaded.is_err() {
            assert!(report.has_errors(), "a load failure must be a lint error");
        }
    }

    #[test]
    fn garbage_never_panics() {
        let mut noise = Noise(0x9e37_79b9_7f4a_7c15);
        let alphabet = b"{}[]:,-'\"&*!|>#?%@` \n\t\r$ref/~01aZ\\\xff\xc3";
        for _ in 0..300 {
            let len = noise.below(200);
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    if noise.below(4) == 0 {
                        noise.next() as u8
                    } else {
                        alphabet[noise.below(alphabet.len())]
                    }
                })
                .collect();
            survive(&bytes);
        }
        let nested = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        survive(nested.as_bytes());
        let mappings: String = (0..2_000)
            .map(|depth| format!("{}a:\n", " ".repeat(depth)))
            .collect();
        survive(mappings.as_bytes());
        let bomb = "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\ng: [*f, *f, *f, *f, *f, *f, *f, *f, *f]\n";
        survive(bomb.as_bytes());
    }

    #[test]
    fn truncated_and_mutated_contracts_never_panic() {
        let mut noise = Noise(42);
        for path in canonical_files() {
            let bytes = std::fs::read(&path).expect("readable");
            let step = (bytes.len() / 40).max(1);
            for cut in (0..bytes.len()).step_by(step) {
                survive(&bytes[..cut]);
            }
            for _ in 0..20 {
                let mut mutated = bytes.clone();
                for _ in 0..1 + noise.below(4) {
                    let at = noise.below(mutated.len());
                    mutated[at] = b" :-{}[]'\"\n#&*x0"[noise.below(15)];
                }
                survive(&mutated);
            }
        }
    }
}
