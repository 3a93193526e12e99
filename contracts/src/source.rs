//! Reads contract bytes into a JSON document, checks that it is OpenAPI
//! 3.0.x and decodes the typed `openapiv3` view of it.
//!
//! The bytes are parsed once into `serde_json::Value`, the form the rest of
//! the crate works on, through [`strict::Strict`], which refuses duplicate
//! keys (YAML keys such as `200` become strings): by serde_json when they
//! look like a JSON object and are one (much faster), else by serde_norway,
//! whose syntax errors come with their line. The source text is then scanned for the
//! line of each node. When the document does not decode as
//! `openapiv3::OpenAPI`, [`shape::locate`] finds the node at fault.

use openapiv3::OpenAPI;
use serde::Deserialize;
use serde_json::Value;

use crate::error::{ProblemKind, Problems};
use crate::lines::LineIndex;
use crate::shape;

mod strict;

/// A syntactically valid OpenAPI 3.0.x document.
pub(crate) struct Source {
    /// The whole document.
    pub document: Value,
    /// Lines of the document's nodes.
    pub lines: LineIndex,
    /// The typed view; `None` when the document does not have the OpenAPI shape.
    pub openapi: Option<OpenAPI>,
}

/// Parses `bytes`; `None` (with problems pushed) when they are not YAML/JSON
/// or not an OpenAPI 3.0.x document.
pub(crate) fn read(bytes: &[u8], problems: &mut Problems) -> Option<Source> {
    let document = match parse(bytes) {
        Ok(document) => document,
        Err(error) => {
            let (line, column) = error
                .location()
                .map_or((0, 0), |location| (location.line(), location.column()));
            let kind = ProblemKind::Syntax {
                line,
                column,
                message: error.to_string(),
            };
            problems.push_at("", (line > 0).then_some(line), kind);
            return None;
        }
    };
    let lines = LineIndex::new(&String::from_utf8_lossy(bytes));
    if let Err((at, kind)) = check_version(&document) {
        problems.push_at(at, lines.line(at), kind);
        return None;
    }
    let openapi = match OpenAPI::deserialize(&document) {
        Ok(openapi) => Some(openapi),
        Err(error) => {
            let (at, message) =
                shape::locate(&document).unwrap_or_else(|| (String::new(), error.to_string()));
            problems.push(at, ProblemKind::InvalidDocument { message });
            None
        }
    };
    Some(Source {
        document,
        lines,
        openapi,
    })
}

fn parse(bytes: &[u8]) -> Result<Value, serde_norway::Error> {
    let json = bytes.trim_ascii_start().starts_with(b"{");
    if json && let Ok(strict::Strict(document)) = serde_json::from_slice(bytes) {
        return Ok(document);
    }
    serde_norway::from_slice::<strict::Strict>(bytes).map(|strict| strict.0)
}

/// Accepts OpenAPI 3.0.x; names the field at fault otherwise.
fn check_version(document: &Value) -> Result<(), (&'static str, ProblemKind)> {
    let Some(root) = document.as_object() else {
        return Err(("", ProblemKind::NotOpenApi));
    };
    let as_text = |value: &Value| {
        value
            .as_str()
            .map_or_else(|| value.to_string(), str::to_owned)
    };
    if let Some(swagger) = root.get("swagger") {
        let found = as_text(swagger);
        return Err(("/swagger", ProblemKind::UnsupportedVersion { found }));
    }
    match root.get("openapi") {
        None => Err(("", ProblemKind::NotOpenApi)),
        Some(Value::String(version)) if is_3_0(version) => Ok(()),
        Some(other) => {
            let found = as_text(other);
            Err(("/openapi", ProblemKind::UnsupportedVersion { found }))
        }
    }
}

fn is_3_0(version: &str) -> bool {
    version
        .strip_prefix("3.0.")
        .is_some_and(|patch| !patch.is_empty() && patch.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_problems(text: &str) -> (Option<Source>, Vec<crate::Problem>) {
        let mut problems = Problems::new("t.yaml");
        let source = read(text.as_bytes(), &mut problems);
        (source, problems.finish(|_| None))
    }

    const MINIMAL: &str = "openapi: 3.0.3\ninfo: {title: T, version: 1.0.0}\npaths: {}\n";

    #[test]
    fn reads_a_minimal_document() {
        let (source, problems) = read_problems(MINIMAL);
        assert!(problems.is_empty(), "{problems:?}");
        let source = source.expect("source");
        assert_eq!(source.openapi.expect("typed").info.title, "T");
        assert_eq!(source.lines.line("/paths"), Some(3));
    }

    #[test]
    fn reports_syntax_errors_with_their_line() {
        let (source, problems) = read_problems("openapi: 3.0.3\ninfo:\n  title: [\n");
        assert!(source.is_none());
        assert!(
            matches!(problems[0].kind, ProblemKind::Syntax { line: 4, .. }),
            "{problems:?}"
        );
        assert_eq!(problems[0].line, Some(4));
    }

    #[test]
    fn rejects_duplicate_keys() {
        let (_, problems) = read_problems("openapi: 3.0.3\nopenapi: 3.0.3\n");
        assert!(
            matches!(&problems[0].kind, ProblemKind::Syntax { message, .. } if message.contains("duplicate"))
        );
    }

    #[test]
    fn rejects_other_versions() {
        let (_, problems) = read_problems("swagger: '2.0'\n");
        assert_eq!(problems[0].pointer, "/swagger");
        assert_eq!(
            problems[0].kind,
            ProblemKind::UnsupportedVersion {
                found: "2.0".into()
            }
        );

        let (_, problems) = read_problems("openapi: 3.1.0\ninfo: {title: T, version: 1.0.0}\n");
        assert_eq!(problems[0].pointer, "/openapi");
        assert!(
            problems[0]
                .kind
                .to_string()
                .contains("OpenAPI 3.1 is not supported yet; use 3.0.x")
        );

        let (_, problems) = read_problems("openapi: 3.0\n");
        assert_eq!(
            problems[0].kind,
            ProblemKind::UnsupportedVersion {
                found: "3.0".into()
            }
        );
    }

    #[test]
    fn rejects_documents_without_openapi_field() {
        for text in ["", "just text", "- a\n", "info: {}\n"] {
            let (_, problems) = read_problems(text);
            assert_eq!(problems[0].kind, ProblemKind::NotOpenApi, "{text:?}");
        }
    }

    #[test]
    fn reports_shape_errors_with_a_pointer() {
        let text = "openapi: 3.0.3\ninfo: {title: T, version: 1.0.0}\npaths:\n  /a:\n    get:\n      responses: 5\n";
        let (source, problems) = read_problems(text);
        assert!(source.expect("document kept").openapi.is_none());
        assert!(
            matches!(problems[0].kind, ProblemKind::InvalidDocument { .. }),
            "{problems:?}"
        );
        assert_eq!(problems[0].pointer, "/paths/~1a/get", "{problems:?}");
    }
}
