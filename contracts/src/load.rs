//! The loading pipeline shared by [`crate::load_bytes`] and the linter:
//! source -> references -> governance -> info -> operations, collecting every
//! problem on the way.

use serde_json::Value;

use crate::error::{LoadError, Problem, ProblemKind, Problems};
use crate::governance::{self, Governance};
use crate::lines::LineIndex;
use crate::model::{Contract, Operation};
use crate::{normalize, refs, semver, source};

/// Everything learnt from one contract, valid or not.
pub(crate) struct Analysis {
    pub origin: String,
    /// The document, when it is YAML/JSON OpenAPI 3.0.x.
    pub document: Option<Value>,
    /// Lines of the document's nodes.
    pub lines: LineIndex,
    pub governance: Option<Governance>,
    /// `info.title`, `info.version` and its major, when the document has the OpenAPI shape.
    pub info: Option<(String, String, Option<u64>)>,
    /// The operations, when the document has the OpenAPI shape.
    pub operations: Option<Vec<Operation>>,
    pub problems: Vec<Problem>,
}

/// Runs every loading stage on `bytes`.
pub(crate) fn analyze(origin: &str, bytes: &[u8]) -> Analysis {
    let mut problems = Problems::new(origin);
    let Some(source) = source::read(bytes, &mut problems) else {
        return Analysis {
            origin: origin.to_owned(),
            document: None,
            lines: LineIndex::default(),
            governance: None,
            info: None,
            operations: None,
            problems: problems.finish(|_| None),
        };
    };
    refs::check(&source.document, &mut problems);
    let governance = governance::read(&source.document, &mut problems);
    let (info, operations) = match &source.openapi {
        Some(openapi) => {
            let version = openapi.info.version.clone();
            let major = semver::major(&version);
            if major.is_none() {
                let kind = ProblemKind::InvalidVersion {
                    found: version.clone(),
                };
                problems.push("/info/version", kind);
            }
            let operations = normalize::operations(&source.document, openapi, &mut problems);
            (
                Some((openapi.info.title.clone(), version, major)),
                Some(operations),
            )
        }
        None => (None, None),
    };
    let lines = source.lines;
    Analysis {
        origin: origin.to_owned(),
        problems: problems.finish(|pointer| lines.line(pointer)),
        document: Some(source.document),
        lines,
        governance,
        info,
        operations,
    }
}

impl Analysis {
    /// The contract, or every problem found.
    pub(crate) fn into_contract(self) -> Result<Contract, LoadError> {
        self.into_located().map(|(contract, _)| contract)
    }

    /// The contract with the lines of its nodes, or every problem found.
    pub(crate) fn into_located(self) -> Result<(Contract, LineIndex), LoadError> {
        match (self.document, self.governance, self.info, self.operations) {
            (
                Some(document),
                Some(governance),
                Some((title, version, Some(major))),
                Some(operations),
            ) if self.problems.is_empty() => Ok((
                Contract {
                    origin: self.origin,
                    title,
                    version,
                    major,
                    governance,
                    operations,
                    document,
                },
                self.lines,
            )),
            _ => Err(LoadError {
                problems: self.problems,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = "openapi: 3.0.3\ninfo: {title: T, version: 1.0.0}\nx-canongate: {domain: order, owner-team: commerce, system-of-record: erp}\n";

    /// `(pointer, kind)` of every problem of `HEAD` + `rest`.
    fn problems(rest: &str) -> Vec<(String, ProblemKind)> {
        let text = format!("{HEAD}{rest}");
        analyze("t.yaml", text.as_bytes())
            .problems
            .into_iter()
            .map(|problem| (problem.pointer, problem.kind))
            .collect()
    }

    fn one(rest: &str) -> (String, ProblemKind) {
        let mut found = problems(rest);
        assert_eq!(found.len(), 1, "{found:?}");
        found.remove(0)
    }

    #[test]
    fn loads_a_contract() {
        let text = format!(
            "{HEAD}security: [{{key: []}}]\npaths:\n  /orders/{{orderId}}:\n    parameters:\n      - {{$ref: '#/components/parameters/OrderId'}}\n    get:\n      operationId: getOrder\n      summary: One order\n      parameters:\n        - {{name: orderId, in: path, required: true, schema: {{type: integer}}}}\n        - {{name: expand, in: query, style: form, explode: false, schema: {{type: string}}}}\n      responses:\n        '200':\n          description: ok\n          headers: {{ETag: {{schema: {{type: string}}}}}}\n          content: {{application/json: {{schema: {{$ref: '#/components/schemas/Order'}}}}}}\n        default: {{$ref: '#/components/responses/Problem'}}\n    delete:\n      operationId: deleteOrder\n      deprecated: true\n      security: []\n      responses: {{'204': {{description: gone}}}}\ncomponents:\n  parameters:\n    OrderId: {{name: orderId, in: path, required: true, schema: {{type: string}}}}\n  responses:\n    Problem: {{description: problem, content: {{application/problem+json: {{}}}}}}\n  schemas:\n    Order: {{type: object, properties: {{parent: {{$ref: '#/components/schemas/Order'}}}}}}\n"
        );
        let contract = analyze("t.yaml", text.as_bytes())
            .into_contract()
            .expect("valid");
        assert_eq!(
            (
                contract.title.as_str(),
                contract.version.as_str(),
                contract.major
            ),
            ("T", "1.0.0", 1)
        );
        assert_eq!(contract.governance.system_of_record, "erp");
        let ids: Vec<&str> = contract
            .operations
            .iter()
            .map(|op| op.operation_id.as_str())
            .collect();
        assert_eq!(ids, ["getOrder", "deleteOrder"]);

        let get = &contract.operations[0];
        assert_eq!(get.method.as_str(), "GET");
        assert_eq!(get.path, "/orders/{orderId}");
        assert_eq!(get.pointer, "/paths/~1orders~1{orderId}/get");
        assert_eq!(get.summary.as_deref(), Some("One order"));
        assert_eq!(
            get.parameters.len(),
            2,
            "the operation's orderId overrides the path item's"
        );
        assert_eq!(
            get.parameters[0].schema,
            Some(serde_json::json!({"type": "integer"}))
        );
        assert_eq!(get.parameters[1].style.as_deref(), Some("form"));
        assert_eq!(get.parameters[1].explode, Some(false));
        let statuses: Vec<&str> = get.responses.iter().map(|r| r.status.as_str()).collect();
        assert_eq!(statuses, ["200", "default"]);
        assert_eq!(get.responses[0].headers, ["ETag"]);
        assert_eq!(
            get.responses[0].content["application/json"].schema,
            Some(serde_json::json!({"$ref": "#/components/schemas/Order"}))
        );
        assert!(
            get.responses[1]
                .content
                .contains_key("application/problem+json")
        );
        let security = get.security.as_ref().expect("root security applies");
        assert_eq!(security[0].schemes["key"], Vec::<String>::new());

        let delete = &contract.operations[1];
        assert!(delete.deprecated);
        assert_eq!(delete.security, Some(vec![]));
        assert_eq!(
            delete.parameters[0].schema,
            Some(serde_json::json!({"type": "string"}))
        );
    }

    #[test]
    fn security_is_none_when_nothing_is_declared() {
        let text = format!(
            "{HEAD}paths:\n  /a:\n    get:\n      operationId: a\n      responses: {{'200': {{description: ok}}}}\n"
        );
        let contract = analyze("t.yaml", text.as_bytes())
            .into_contract()
            .expect("valid");
        assert_eq!(contract.operations[0].security, None);
        assert_eq!(contract.operations[0].request_body, None);
    }

    #[test]
    fn request_bodies_are_resolved() {
        let text = format!(
            "{HEAD}paths:\n  /a:\n    post:\n      operationId: a\n      requestBody: {{$ref: '#/components/requestBodies/A'}}\n      responses: {{'201': {{description: ok}}}}\ncomponents:\n  requestBodies:\n    A: {{required: true, content: {{application/json: {{schema: {{type: object}}}}}}}}\n"
        );
        let contract = analyze("t.yaml", text.as_bytes())
            .into_contract()
            .expect("valid");
        let body = contract.operations[0].request_body.as_ref().expect("body");
        assert!(body.required);
        assert_eq!(
            body.content["application/json"].schema,
            Some(serde_json::json!({"type": "object"}))
        );
    }

    #[test]
    fn missing_and_duplicate_operation_ids() {
        let found = problems(
            "paths:\n  /a:\n    get: {operationId: x, responses: {'200': {description: ok}}}\n    put: {responses: {'200': {description: ok}}}\n  /b:\n    get: {operationId: x, responses: {'200': {description: ok}}}\n",
        );
        assert_eq!(
            found,
            [
                ("/paths/~1a/put".to_owned(), ProblemKind::MissingOperationId),
                (
                    "/paths/~1b/get/operationId".to_owned(),
                    ProblemKind::DuplicateOperationId {
                        operation_id: "x".into(),
                        first_pointer: "/paths/~1a/get".into()
                    }
                ),
            ]
        );
    }

    #[test]
    fn path_parameters_must_match_the_template() {
        let found = problems(
            "paths:\n  /a/{id}:\n    parameters: [{name: other, in: path, required: true, schema: {type: string}}]\n    get:\n      operationId: a\n      responses: {'200': {description: ok}}\n    put:\n      operationId: b\n      parameters: [{name: id, in: path, schema: {type: string}}]\n      responses: {'200': {description: ok}}\n",
        );
        assert_eq!(
            found,
            [
                (
                    "/paths/~1a~1{id}/get".to_owned(),
                    ProblemKind::UndeclaredPathParameter { name: "id".into() }
                ),
                (
                    "/paths/~1a~1{id}/parameters/0".to_owned(),
                    ProblemKind::PathParameterNotInTemplate {
                        name: "other".into()
                    }
                ),
                (
                    "/paths/~1a~1{id}/put/parameters/0".to_owned(),
                    ProblemKind::PathParameterNotRequired { name: "id".into() }
                ),
            ]
        );
    }

    #[test]
    fn malformed_and_ambiguous_templates() {
        let (at, kind) = one(
            "paths:\n  /a/{}:\n    get: {operationId: a, responses: {'200': {description: ok}}}\n",
        );
        assert_eq!(at, "/paths/~1a~1{}");
        assert!(matches!(kind, ProblemKind::InvalidPathTemplate { .. }));

        let found = problems(
            "paths:\n  /a/{x}:\n    parameters: [{name: x, in: path, required: true, schema: {type: string}}]\n  /a/{y}:\n    parameters: [{name: y, in: path, required: true, schema: {type: string}}]\n",
        );
        assert_eq!(
            found,
            [(
                "/paths/~1a~1{y}".to_owned(),
                ProblemKind::AmbiguousPath {
                    first_pointer: "/paths/~1a~1{x}".into()
                }
            )]
        );
    }

    #[test]
    fn references_must_be_local_resolvable_and_acyclic() {
        let found = problems(
            "paths:\n  /a:\n    get:\n      operationId: a\n      parameters:\n        - $ref: 'common.yaml#/P'\n        - $ref: '#/components/parameters/Missing'\n        - $ref: '#/components/parameters/Loop'\n      responses: {'200': {description: ok}}\ncomponents:\n  parameters:\n    Loop: {$ref: '#/components/parameters/Loop'}\n",
        );
        let kinds: Vec<(&str, &ProblemKind)> =
            found.iter().map(|(at, kind)| (at.as_str(), kind)).collect();
        assert_eq!(
            kinds,
            [
                (
                    "/paths/~1a/get/parameters/0/$ref",
                    &ProblemKind::ExternalRef {
                        reference: "common.yaml#/P".into()
                    }
                ),
                (
                    "/paths/~1a/get/parameters/1/$ref",
                    &ProblemKind::UnresolvableRef {
                        reference: "#/components/parameters/Missing".into()
                    }
                ),
                (
                    "/paths/~1a/get/parameters/2/$ref",
                    &ProblemKind::CyclicRef {
                        reference: "#/components/parameters/Loop".into()
                    }
                ),
                (
                    "/components/parameters/Loop/$ref",
                    &ProblemKind::CyclicRef {
                        reference: "#/components/parameters/Loop".into()
                    }
                ),
            ]
        );
    }

    #[test]
    fn a_reference_to_the_wrong_kind_of_object_is_reported() {
        let (at, kind) = one(
            "paths:\n  /a:\n    get:\n      operationId: a\n      parameters: [{$ref: '#/components/schemas/S'}]\n      responses: {'200': {description: ok}}\ncomponents:\n  schemas:\n    S: {type: string}\n",
        );
        assert_eq!(at, "/paths/~1a/get/parameters/0");
        assert!(
            matches!(kind, ProblemKind::InvalidDocument { message } if message.contains("/components/schemas/S"))
        );
    }

    #[test]
    fn invalid_response_keys_and_paths() {
        let found = problems(
            "paths:\n  orders:\n    get: {}\n  /a:\n    get: {operationId: a, responses: {'20': {description: ok}, '200': {description: ok}}}\n",
        );
        let pointers: Vec<&str> = found.iter().map(|(at, _)| at.as_str()).collect();
        assert_eq!(pointers, ["/paths/orders", "/paths/~1a/get/responses/20"]);
        assert!(
            found
                .iter()
                .all(|(_, kind)| matches!(kind, ProblemKind::InvalidDocument { .. }))
        );
    }

    #[test]
    fn info_version_must_be_semver() {
        let text = "openapi: 3.0.3\ninfo: {title: T, version: v1}\nx-canongate: {domain: d, owner-team: t, system-of-record: s}\npaths: {}\n";
        let analysis = analyze("t.yaml", text.as_bytes());
        assert_eq!(
            analysis.problems[0].kind,
            ProblemKind::InvalidVersion { found: "v1".into() }
        );
        assert_eq!(analysis.problems[0].pointer, "/info/version");
        assert_eq!(analysis.problems[0].line, Some(2));
    }

    #[test]
    fn governance_problems_are_collected_with_the_others() {
        let text = "openapi: 3.0.3\ninfo: {title: T, version: 1.0.0}\npaths:\n  /a:\n    get: {responses: {'200': {description: ok}}}\n";
        let kinds: Vec<ProblemKind> = analyze("t.yaml", text.as_bytes())
            .problems
            .into_iter()
            .map(|p| p.kind)
            .collect();
        assert_eq!(
            kinds,
            [
                ProblemKind::MissingGovernance,
                ProblemKind::MissingOperationId
            ]
        );
    }

    #[test]
    fn problems_carry_lines() {
        let text = format!(
            "{HEAD}paths:\n  /a:\n    get:\n      responses:\n        '200':\n          description: ok\n"
        );
        let analysis = analyze("t.yaml", text.as_bytes());
        assert_eq!(analysis.problems[0].pointer, "/paths/~1a/get");
        assert_eq!(analysis.problems[0].line, Some(6));
        let error = analysis.into_contract().expect_err("invalid");
        assert_eq!(
            error.to_string(),
            "t.yaml: /paths/~1a/get: the operation has no operationId"
        );
    }
}
