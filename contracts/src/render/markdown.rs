//! Markdown for pull-request comments: a heading, the summary, the semver
//! verdict, and a table of changes (or findings), most severe first.

use crate::change::Level;
use crate::lint::{LintReport, Severity};
use crate::report::DiffReport;

/// Makes `text` safe inside a table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace(['\n', '\r'], " ")
}

pub(super) fn diff(report: &DiffReport) -> String {
    let mut out = format!(
        "### Contract diff: {} {} → {}\n\n",
        cell(&report.new.title),
        report.old.version,
        report.new.version
    );
    if report.changes.is_empty() {
        out.push_str("No changes.\n");
    } else {
        out.push_str(&format!("{}\n", super::summary(report)));
    }
    if let Some(verdict) = &report.verdict {
        out.push_str(&format!(
            "\n**Semver gate**: {}\n",
            cell(&verdict.to_string())
        ));
    }
    if report.changes.is_empty() {
        return out;
    }
    out.push_str("\n| level | change | operation | where | details |\n|---|---|---|---|---|\n");
    for level in [Level::Breaking, Level::Warning, Level::Info] {
        for change in report.changes.iter().filter(|c| c.level == level) {
            let (file, line) = report.location(change);
            let place = line.map_or_else(|| file.to_owned(), |line| format!("{file}:{line}"));
            out.push_str(&format!(
                "| {} | `{}` | `{} {}` | {} | {} |\n",
                change.level,
                change.id,
                change.operation.method,
                cell(&change.operation.path),
                cell(&place),
                cell(&change.message)
            ));
        }
    }
    out
}

pub(super) fn lint(report: &LintReport) -> String {
    let mut out = format!("### Contract lint: {}\n\n", cell(&report.origin));
    out.push_str(&format!(
        "{}, {}, {} info, {}{}\n",
        super::plural(report.count(Severity::Error), "error"),
        super::plural(report.count(Severity::Warning), "warning"),
        report.count(Severity::Info),
        super::plural(report.count(Severity::Hint), "hint"),
        if report.unusable {
            " — the document is unusable"
        } else {
            ""
        }
    ));
    if report.findings.is_empty() {
        return out;
    }
    out.push_str("\n| severity | rule | where | message |\n|---|---|---|---|\n");
    for severity in [
        Severity::Error,
        Severity::Warning,
        Severity::Info,
        Severity::Hint,
    ] {
        for finding in report.findings.iter().filter(|f| f.severity == severity) {
            let place = match finding.line {
                Some(line) => format!(
                    "line {line}, `{}`",
                    crate::pointer::display(&finding.pointer)
                ),
                None => format!("`{}`", crate::pointer::display(&finding.pointer)),
            };
            out.push_str(&format!(
                "| {} | `{}` | {} | {} |\n",
                finding.severity,
                finding.rule,
                cell(&place),
                cell(&finding.message)
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::render::tests::{lint_report, report};

    #[test]
    fn a_table_most_severe_first() {
        let markdown = super::diff(&report());
        assert!(
            markdown.starts_with("### Contract diff: Orders 1.0.0 → 1.1.0\n"),
            "{markdown}"
        );
        assert!(
            markdown.contains("**Semver gate**: refused: "),
            "{markdown}"
        );
        let rows: Vec<&str> = markdown
            .lines()
            .filter(|l| l.starts_with("| ") && !l.starts_with("| level"))
            .collect();
        assert_eq!(rows.len(), 3, "{markdown}");
        assert!(rows[0].starts_with(
            "| breaking | `request-parameter-became-required` | `GET /orders` | new.yaml:11 |"
        ));
        assert!(rows[2].starts_with("| info |"));
        let lint = super::lint(&lint_report());
        assert!(lint.contains("| warning | `info-contact` |"), "{lint}");
    }
}
