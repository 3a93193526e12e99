//! GitHub Actions workflow commands: an annotation per change or finding
//! on its file and line (`::error` for what fails the command, `::warning`
//! and `::notice` for the rest), and one for a refused version.

use crate::change::Level;
use crate::lint::{LintReport, Severity};
use crate::report::DiffReport;

/// Escapes the message of a workflow command.
fn data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property value of a workflow command.
fn property(text: &str) -> String {
    data(text).replace(':', "%3A").replace(',', "%2C")
}

fn command(
    kind: &str,
    file: Option<&str>,
    line: Option<usize>,
    title: &str,
    message: &str,
) -> String {
    let mut properties = Vec::new();
    if let Some(file) = file {
        properties.push(format!("file={}", property(file)));
    }
    if let Some(line) = line {
        properties.push(format!("line={line}"));
    }
    properties.push(format!("title={}", property(title)));
    format!("::{kind} {}::{}\n", properties.join(","), data(message))
}

pub(super) fn diff(report: &DiffReport, fail_on: Option<Level>) -> String {
    let mut out = String::new();
    for change in &report.changes {
        let kind = match change.level {
            _ if super::failing(change.level, fail_on) => "error",
            Level::Info => "notice",
            _ => "warning",
        };
        let (file, line) = report.location(change);
        let message = format!("{}: {}", change.operation, change.message);
        out.push_str(&command(kind, Some(file), line, &change.id, &message));
    }
    if let Some(verdict) = &report.verdict
        && !verdict.is_accepted()
    {
        let line = report.new.line("/info/version");
        out.push_str(&command(
            "error",
            Some(&report.new.origin),
            line,
            "semver gate",
            &verdict.to_string(),
        ));
    }
    let summary = if report.changes.is_empty() {
        "no changes".to_owned()
    } else {
        super::summary(report)
    };
    out.push_str(&command(
        "notice",
        None,
        None,
        "canongate contract diff",
        &summary,
    ));
    out
}

pub(super) fn lint(report: &LintReport, fail_on: Option<Severity>) -> String {
    let mut out = String::new();
    for finding in &report.findings {
        let kind = match finding.severity {
            _ if super::failing_finding(finding.severity, fail_on) || report.unusable => "error",
            Severity::Error | Severity::Warning => "warning",
            Severity::Info | Severity::Hint => "notice",
        };
        let message = format!(
            "{}: {}",
            crate::pointer::display(&finding.pointer),
            finding.message
        );
        out.push_str(&command(
            kind,
            Some(&report.origin),
            finding.line,
            finding.rule,
            &message,
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::change::Level;
    use crate::render::tests::report;

    #[test]
    fn annotations_on_lines() {
        let out = super::diff(&report(), Some(Level::Breaking));
        let lines: Vec<&str> = out.lines().collect();
        assert!(
            lines.contains(&"::error file=new.yaml,line=11,title=request-parameter-became-required::GET /orders (listOrders): query parameter `status` became required"),
            "{out}"
        );
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("::warning file=new.yaml,line=")),
            "{out}"
        );
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("::error file=new.yaml,line=4,title=semver gate::refused")),
            "{out}"
        );
        assert_eq!(super::property("a:b,c%"), "a%3Ab%2Cc%25");
        assert_eq!(super::data("x\ny"), "x%0Ay");
    }
}
