//! A refusal of the control plane: its RFC 9457 problem document and how it reads on a terminal.
//!
//! [`Problem::render`] gives `error: <title>: <detail>`, then one indented line per `errors[]`
//! item (`<field>: <message>`, with ` (line N)` when the item has a line), then, when the
//! problem carries them (a `breaking-change` refusal), the bump the changes need and one line per
//! change. An error answer that is not a problem document (a proxy's HTML page, an empty body)
//! becomes one with the status's reason as its title.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::contract::change_line;
use super::one_line;

/// Longest part of a non-JSON error body quoted in the detail.
const QUOTED_CHARS: usize = 200;

/// An error answer of the control plane.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Problem {
    /// The HTTP status.
    pub status: StatusCode,
    /// The problem document (`type`, `title`, `status`, `detail`, extensions).
    pub body: Value,
    /// A hint of the command line's own, printed after the problem.
    pub note: Option<String>,
}

impl Problem {
    /// The problem of an answer with `status` and `bytes` as its body.
    pub(super) fn from_answer(status: StatusCode, bytes: &[u8]) -> Problem {
        let body = match serde_json::from_slice::<Value>(bytes) {
            Ok(body @ Value::Object(_)) => body,
            _ => {
                let text = String::from_utf8_lossy(bytes);
                let text = text.trim();
                let detail = if text.is_empty() {
                    format!("HTTP {} with no problem document", status.as_u16())
                } else {
                    let quoted: String = text.chars().take(QUOTED_CHARS).collect();
                    format!(
                        "HTTP {} with a body that is not a problem document: {quoted}",
                        status.as_u16()
                    )
                };
                json!({
                    "type": "about:blank",
                    "title": status.canonical_reason().unwrap_or("Error"),
                    "status": status.as_u16(),
                    "detail": detail,
                })
            }
        };
        Problem {
            status,
            body,
            note: None,
        }
    }

    /// The text of `member` of the problem document, on one line.
    fn text(&self, member: &str) -> Option<String> {
        self.body.get(member).and_then(Value::as_str).map(one_line)
    }

    /// The problem for standard error, one line per item, each ending with a newline.
    pub(super) fn render(&self) -> String {
        let title = self
            .text("title")
            .unwrap_or_else(|| format!("HTTP {}", self.status.as_u16()));
        let mut out = match self.text("detail") {
            Some(detail) => format!("error: {title}: {detail}\n"),
            None => format!("error: {title}\n"),
        };
        for item in self.items("errors") {
            let field = item
                .get("field")
                .and_then(Value::as_str)
                .map_or_else(|| "(request)".to_owned(), one_line);
            let line = item
                .get("line")
                .and_then(Value::as_u64)
                .map(|line| format!(" (line {line})"))
                .unwrap_or_default();
            let message = item.get("message").and_then(Value::as_str).unwrap_or("");
            out.push_str(&format!("  {field}{line}: {}\n", one_line(message)));
        }
        if let Some(bump) = self.text("required_bump") {
            let versions = match (self.text("old_version"), self.text("new_version")) {
                (Some(old), Some(new)) => format!(" ({old} -> {new})"),
                _ => String::new(),
            };
            out.push_str(&format!("  required bump: {bump}{versions}\n"));
        }
        for change in self.items("changes") {
            out.push_str(&format!("  {}\n", change_line(change)));
        }
        if let Some(note) = &self.note {
            out.push_str(&format!("  {note}\n"));
        }
        out
    }

    /// The items of the array extension `member` (none when it is absent).
    fn items(&self, member: &str) -> &[Value] {
        self.body
            .get(member)
            .and_then(Value::as_array)
            .map_or(&[], Vec::as_slice)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(status: u16, body: &Value) -> Problem {
        Problem::from_answer(
            StatusCode::from_u16(status).expect("a status"),
            body.to_string().as_bytes(),
        )
    }

    #[test]
    fn renders_validation_errors_with_their_fields() {
        let problem = problem(
            422,
            &json!({
                "type": "urn:canongate:problem:validation-failed",
                "title": "Validation failed",
                "status": 422,
                "detail": "the tier spec has 2 problems",
                "request_id": "r-1",
                "errors": [
                    {"field": "/spec/rate/requests", "message": "must be at least 1"},
                    {"field": "contract:/paths/~1items/get", "line": 12, "message": "no operationId"},
                    {"message": "something else"}
                ]
            }),
        );
        assert_eq!(
            problem.render(),
            "error: Validation failed: the tier spec has 2 problems\n\
             \x20 /spec/rate/requests: must be at least 1\n\
             \x20 contract:/paths/~1items/get (line 12): no operationId\n\
             \x20 (request): something else\n"
        );
    }

    #[test]
    fn renders_breaking_changes_with_operation_and_pointer() {
        let problem = problem(
            409,
            &json!({
                "type": "urn:canongate:problem:breaking-change",
                "title": "Breaking change",
                "status": 409,
                "detail": "1.1.0 needs a major version: 1 breaking change",
                "required_bump": "major",
                "old_version": "1.0.0",
                "new_version": "1.1.0",
                "changes": [{
                    "id": "request-parameter-became-required",
                    "level": "breaking",
                    "bump": "major",
                    "operation": {"method": "GET", "path": "/orders", "operation_id": "listOrders"},
                    "old": {"pointer": "/paths/~1orders/get/parameters/0", "line": 11},
                    "new": {"pointer": "/paths/~1orders/get/parameters/0", "line": 11},
                    "message": "query parameter `status` became required"
                }]
            }),
        );
        assert_eq!(
            problem.render(),
            "error: Breaking change: 1.1.0 needs a major version: 1 breaking change\n\
             \x20 required bump: major (1.0.0 -> 1.1.0)\n\
             \x20 breaking request-parameter-became-required GET /orders (listOrders) \
             at /paths/~1orders/get/parameters/0 (line 11) — query parameter `status` became required\n"
        );
    }

    #[test]
    fn answers_that_are_not_problems_get_the_status_reason() {
        let html = Problem::from_answer(StatusCode::BAD_GATEWAY, b"<html>\nbad\n</html>");
        assert_eq!(
            html.render(),
            "error: Bad Gateway: HTTP 502 with a body that is not a problem document: <html> bad </html>\n"
        );
        let mut empty = Problem::from_answer(StatusCode::UNAUTHORIZED, b"");
        empty.note = Some("no token was given".to_owned());
        assert_eq!(
            empty.render(),
            "error: Unauthorized: HTTP 401 with no problem document\n  no token was given\n"
        );
        let untitled = problem(404, &json!({"status": 404}));
        assert_eq!(untitled.render(), "error: HTTP 404\n");
    }

    #[test]
    fn control_characters_never_reach_the_terminal() {
        let problem = problem(
            400,
            &json!({"title": "Bad\u{1b}[2J", "detail": "line\nbreak", "errors": [{"field": "/a\r", "message": "x\u{7}"}]}),
        );
        assert_eq!(problem.render(), "error: Bad [2J: line break\n  /a : x \n");
    }
}
