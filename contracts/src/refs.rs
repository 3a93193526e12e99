//! Local `$ref` handling: checks every reference of a document and follows
//! reference chains for the normalizer and the lint rules.
//!
//! Only `#/...` references are supported. Following a chain stops at the
//! first object that is not itself a reference; schemas are never expanded,
//! so recursive schemas are harmless.

use serde_json::Value;

use crate::error::{ProblemKind, Problems};
use crate::pointer::{self, RefError};
use crate::walk;

/// Why a reference chain does not reach an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Broken {
    /// A reference in the chain is external, malformed or points at nothing.
    Dangling,
    /// The chain comes back to a reference it already passed.
    Cyclic,
}

/// Reports every `$ref` that is external, unresolvable or cyclic, at the
/// pointer of the `$ref` member itself.
pub(crate) fn check(document: &Value, problems: &mut Problems) {
    walk::objects(document, &mut |at, object| {
        let Some(Value::String(reference)) = object.get("$ref") else {
            return;
        };
        let reference = reference.clone();
        let at = pointer::child(at, "$ref");
        match pointer::from_ref(&reference) {
            Err(RefError::External) => problems.push(at, ProblemKind::ExternalRef { reference }),
            Err(RefError::Malformed) => {
                problems.push(at, ProblemKind::UnresolvableRef { reference })
            }
            Ok(target) if pointer::resolve(document, &target).is_none() => {
                problems.push(at, ProblemKind::UnresolvableRef { reference });
            }
            Ok(target) => {
                if follow(document, &target) == Err(Broken::Cyclic) {
                    problems.push(at, ProblemKind::CyclicRef { reference });
                }
            }
        }
    });
}

/// Follows references from the node at `pointer` to the first node that is
/// not a reference; returns that node and its pointer.
pub(crate) fn follow<'a>(
    document: &'a Value,
    pointer: &str,
) -> Result<(String, &'a Value), Broken> {
    let mut current = pointer.to_owned();
    let mut passed: Vec<String> = Vec::new();
    loop {
        let value = pointer::resolve(document, &current).ok_or(Broken::Dangling)?;
        let Some(reference) = value.get("$ref").and_then(Value::as_str) else {
            return Ok((current, value));
        };
        if passed.contains(&current) {
            return Err(Broken::Cyclic);
        }
        let next = pointer::from_ref(reference).map_err(|_| Broken::Dangling)?;
        passed.push(std::mem::replace(&mut current, next));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn problems(document: &Value) -> Vec<(String, ProblemKind)> {
        let mut problems = Problems::new("t");
        check(document, &mut problems);
        problems
            .finish(|_| None)
            .into_iter()
            .map(|p| (p.pointer, p.kind))
            .collect()
    }

    #[test]
    fn reports_bad_references_where_they_are_written() {
        let document = json!({
            "a": {"$ref": "other.yaml#/x"},
            "b": {"$ref": "#/missing"},
            "c": {"$ref": "#nope"},
            "d": {"$ref": "#/e"},
            "e": {"$ref": "#/d"},
            "f": {"$ref": "#/g"},
            "g": {"type": "object", "properties": {"self": {"$ref": "#/g"}}},
            "h": {"example": {"$ref": "not checked"}}
        });
        assert_eq!(
            problems(&document),
            [
                (
                    "/a/$ref".to_owned(),
                    ProblemKind::ExternalRef {
                        reference: "other.yaml#/x".into()
                    }
                ),
                (
                    "/b/$ref".to_owned(),
                    ProblemKind::UnresolvableRef {
                        reference: "#/missing".into()
                    }
                ),
                (
                    "/c/$ref".to_owned(),
                    ProblemKind::UnresolvableRef {
                        reference: "#nope".into()
                    }
                ),
                (
                    "/d/$ref".to_owned(),
                    ProblemKind::CyclicRef {
                        reference: "#/e".into()
                    }
                ),
                (
                    "/e/$ref".to_owned(),
                    ProblemKind::CyclicRef {
                        reference: "#/d".into()
                    }
                ),
            ]
        );
    }

    #[test]
    fn follows_chains_to_an_object() {
        let document = json!({"a": {"$ref": "#/b"}, "b": {"$ref": "#/c"}, "c": {"x": 1}, "s": {"$ref": "#/s"}});
        let (at, value) = follow(&document, "/a").expect("resolves");
        assert_eq!(at, "/c");
        assert_eq!(value, &json!({"x": 1}));
        assert_eq!(follow(&document, "/s"), Err(Broken::Cyclic));
        assert_eq!(follow(&document, "/zz"), Err(Broken::Dangling));
    }
}
