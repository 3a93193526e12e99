//! Load problems: what is wrong with a contract and where.
//!
//! Every stage of loading pushes [`ProblemKind`]s with the JSON pointer they
//! concern into a [`Problems`] collector; the loader then fills in the YAML
//! line of each pointer and returns them all at once as a [`LoadError`].

use std::collections::HashSet;
use std::fmt;

use serde::Serialize;

/// All problems found while loading one contract.
///
/// `Display` prints one problem per line as `origin: pointer: message`.
#[derive(Debug, Clone, PartialEq, Serialize, thiserror::Error)]
pub struct LoadError {
    /// The problems, in the order they were found; never empty.
    pub problems: Vec<Problem>,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, problem) in self.problems.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{problem}")?;
        }
        Ok(())
    }
}

/// One problem in a contract.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Problem {
    /// The file path or label the contract was loaded from.
    pub origin: String,
    /// JSON pointer (RFC 6901) of the offending node; empty for the whole document.
    pub pointer: String,
    /// 1-based line of the node in the source text, when known.
    pub line: Option<usize>,
    /// What is wrong.
    pub kind: ProblemKind,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {}: {}",
            self.origin,
            crate::pointer::display(&self.pointer),
            self.kind
        )
    }
}

/// The kinds of problem the loader reports.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum ProblemKind {
    /// The file could not be read.
    #[error("cannot read the contract: {message}")]
    Io {
        /// The operating system's error message.
        message: String,
    },
    /// The bytes are not well-formed YAML or JSON (this includes duplicate keys).
    #[error("syntax error: {message}")]
    Syntax {
        /// 1-based line of the error; 0 when the parser could not tell.
        line: usize,
        /// 1-based column of the error; 0 when the parser could not tell.
        column: usize,
        /// The parser's message.
        message: String,
    },
    /// The document is not an OpenAPI description (no `openapi` field at the root).
    #[error("not an OpenAPI document: the root must be a mapping with an `openapi` version field")]
    NotOpenApi,
    /// The document is OpenAPI, but not version 3.0.x.
    #[error("{}", unsupported_version(found))]
    UnsupportedVersion {
        /// The version as written (`openapi` or `swagger` field).
        found: String,
    },
    /// `info.version` is not a semantic version.
    #[error("info.version `{found}` is not a semantic version (MAJOR.MINOR.PATCH, e.g. 1.4.0)")]
    InvalidVersion {
        /// The version as written.
        found: String,
    },
    /// The document does not have the shape OpenAPI 3.0 requires.
    #[error("invalid OpenAPI document: {message}")]
    InvalidDocument {
        /// What does not match the specification.
        message: String,
    },
    /// An operation has no `operationId`.
    #[error("the operation has no operationId")]
    MissingOperationId,
    /// Two operations share an `operationId`; reported on the second one.
    #[error("operationId `{operation_id}` is already used by the operation at {first_pointer}")]
    DuplicateOperationId {
        /// The repeated identifier.
        operation_id: String,
        /// Pointer of the operation that uses it first.
        first_pointer: String,
    },
    /// A path template is malformed (empty `{}`, unbalanced braces, a repeated name).
    #[error("invalid path template: {message}")]
    InvalidPathTemplate {
        /// What is wrong with the template.
        message: String,
    },
    /// Two path templates differ only in the names of their parameters.
    #[error("the path is equivalent to the path at {first_pointer}; requests could not be routed")]
    AmbiguousPath {
        /// Pointer of the first equivalent path.
        first_pointer: String,
    },
    /// A `{name}` of the path template has no path parameter.
    #[error("path parameter `{name}` is used in the path template but not declared")]
    UndeclaredPathParameter {
        /// The template variable.
        name: String,
    },
    /// A path parameter does not appear in the path template.
    #[error("path parameter `{name}` is declared but not used in the path template")]
    PathParameterNotInTemplate {
        /// The parameter name.
        name: String,
    },
    /// A path parameter is not marked `required: true`.
    #[error("path parameter `{name}` must be required")]
    PathParameterNotRequired {
        /// The parameter name.
        name: String,
    },
    /// A local `$ref` points at nothing.
    #[error("reference `{reference}` cannot be resolved")]
    UnresolvableRef {
        /// The reference as written.
        reference: String,
    },
    /// A `$ref` points outside the document.
    #[error("reference `{reference}` is external: only local '#/...' references are supported")]
    ExternalRef {
        /// The reference as written.
        reference: String,
    },
    /// A chain of references leads back to itself without reaching an object.
    #[error("reference `{reference}` is cyclic: it never reaches an object")]
    CyclicRef {
        /// The reference as written.
        reference: String,
    },
    /// The `x-canongate` governance block is missing.
    #[error("the x-canongate governance block is missing (domain, owner-team, system-of-record)")]
    MissingGovernance,
    /// The `x-canongate` block is malformed.
    #[error("x-canongate `{field}`: {message}")]
    InvalidGovernance {
        /// The offending key.
        field: String,
        /// What is wrong with it.
        message: String,
    },
}

impl ProblemKind {
    /// Whether the document cannot be used at all: unreadable, not YAML or
    /// JSON, not OpenAPI 3.0, or with a reference that leaves the document
    /// or loops. Other problems are defects of a usable document.
    pub fn is_unusable(&self) -> bool {
        matches!(
            self,
            ProblemKind::Io { .. }
                | ProblemKind::Syntax { .. }
                | ProblemKind::NotOpenApi
                | ProblemKind::UnsupportedVersion { .. }
                | ProblemKind::ExternalRef { .. }
                | ProblemKind::CyclicRef { .. }
        )
    }
}

fn unsupported_version(found: &str) -> String {
    if found.starts_with("3.1") {
        format!("OpenAPI 3.1 is not supported yet; use 3.0.x (found {found})")
    } else if found.starts_with('2') {
        format!("OpenAPI 2.0 (Swagger) is not supported; use 3.0.x (found {found})")
    } else {
        format!("OpenAPI version `{found}` is not supported; use 3.0.x")
    }
}

/// Collects problems of one contract, ignoring exact repeats.
#[derive(Debug)]
pub(crate) struct Problems {
    origin: String,
    list: Vec<Problem>,
    seen: HashSet<(String, ProblemKind)>,
}

impl Problems {
    pub(crate) fn new(origin: &str) -> Self {
        Self {
            origin: origin.to_owned(),
            list: Vec::new(),
            seen: HashSet::new(),
        }
    }

    /// Records a problem at `pointer`; the line is filled in later.
    pub(crate) fn push(&mut self, pointer: impl Into<String>, kind: ProblemKind) {
        self.push_at(pointer, None, kind);
    }

    /// Records a problem whose line is already known.
    pub(crate) fn push_at(
        &mut self,
        pointer: impl Into<String>,
        line: Option<usize>,
        kind: ProblemKind,
    ) {
        let pointer = pointer.into();
        if !self.seen.insert((pointer.clone(), kind.clone())) {
            return;
        }
        self.list.push(Problem {
            origin: self.origin.clone(),
            pointer,
            line,
            kind,
        });
    }

    /// Fills in missing lines and returns the problems in the order found.
    pub(crate) fn finish(self, line_of: impl Fn(&str) -> Option<usize>) -> Vec<Problem> {
        let mut list = self.list;
        for problem in &mut list {
            if problem.line.is_none() {
                problem.line = line_of(&problem.pointer);
            }
        }
        list
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_lists_one_problem_per_line() {
        let mut problems = Problems::new("orders.yaml");
        problems.push("", ProblemKind::NotOpenApi);
        problems.push("/paths/~1orders/get", ProblemKind::MissingOperationId);
        problems.push("/paths/~1orders/get", ProblemKind::MissingOperationId);
        let error = LoadError {
            problems: problems.finish(|_| None),
        };
        assert_eq!(error.problems.len(), 2, "repeats are dropped");
        assert_eq!(
            error.to_string(),
            "orders.yaml: (root): not an OpenAPI document: the root must be a mapping with an `openapi` version field\n\
             orders.yaml: /paths/~1orders/get: the operation has no operationId"
        );
    }

    #[test]
    fn version_messages_name_the_supported_version() {
        let v31 = ProblemKind::UnsupportedVersion {
            found: "3.1.0".into(),
        };
        assert!(
            v31.to_string()
                .contains("OpenAPI 3.1 is not supported yet; use 3.0.x")
        );
        let v2 = ProblemKind::UnsupportedVersion {
            found: "2.0".into(),
        };
        assert!(v2.to_string().contains("Swagger"));
    }
}
