//! Which lint rule covers each kind of load problem.

use crate::error::ProblemKind;

/// The id of the rule that reports `kind`.
pub(super) fn rule_of(kind: &ProblemKind) -> &'static str {
    match kind {
        ProblemKind::Io { .. } | ProblemKind::Syntax { .. } => "parser",
        ProblemKind::NotOpenApi
        | ProblemKind::UnsupportedVersion { .. }
        | ProblemKind::InvalidDocument { .. } => "oas3-schema",
        ProblemKind::InvalidVersion { .. } => "canongate-semver",
        ProblemKind::MissingOperationId => "operation-operationId",
        ProblemKind::DuplicateOperationId { .. } => "operation-operationId-unique",
        ProblemKind::InvalidPathTemplate { .. }
        | ProblemKind::AmbiguousPath { .. }
        | ProblemKind::UndeclaredPathParameter { .. }
        | ProblemKind::PathParameterNotInTemplate { .. }
        | ProblemKind::PathParameterNotRequired { .. } => "path-params",
        ProblemKind::UnresolvableRef { .. } | ProblemKind::CyclicRef { .. } => "invalid-ref",
        ProblemKind::ExternalRef { .. } => "canongate-local-refs",
        ProblemKind::MissingGovernance | ProblemKind::InvalidGovernance { .. } => {
            "canongate-governance"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::{Check, RULES};

    #[test]
    fn every_load_rule_is_in_the_table() {
        let kinds = [
            ProblemKind::Io {
                message: String::new(),
            },
            ProblemKind::Syntax {
                line: 0,
                column: 0,
                message: String::new(),
            },
            ProblemKind::NotOpenApi,
            ProblemKind::InvalidVersion {
                found: String::new(),
            },
            ProblemKind::MissingOperationId,
            ProblemKind::DuplicateOperationId {
                operation_id: String::new(),
                first_pointer: String::new(),
            },
            ProblemKind::AmbiguousPath {
                first_pointer: String::new(),
            },
            ProblemKind::UnresolvableRef {
                reference: String::new(),
            },
            ProblemKind::ExternalRef {
                reference: String::new(),
            },
            ProblemKind::MissingGovernance,
        ];
        for kind in kinds {
            let id = rule_of(&kind);
            let rule = RULES.iter().find(|rule| rule.id == id);
            assert!(
                matches!(rule, Some(rule) if matches!(rule.check, Check::Load)),
                "{id}"
            );
        }
    }
}
