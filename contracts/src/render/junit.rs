//! JUnit XML: one test case per change or finding (a failure when it fails
//! the command), one for the semver gate when applied, and a passing case
//! when there is nothing to report, so that no suite is empty.

use crate::change::Level;
use crate::lint::LintReport;
use crate::report::DiffReport;

/// Escapes XML text and attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if c == '\n' || c == '\t' || !c.is_control() => out.push(c),
            _ => {}
        }
    }
    out
}

/// One test case.
struct Case {
    class: String,
    name: String,
    /// `(type, message, detail)` when it fails.
    failure: Option<(String, String, String)>,
    output: Option<String>,
}

fn document(suite: &str, cases: &[Case]) -> String {
    let failures = cases.iter().filter(|case| case.failure.is_some()).count();
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    xml.push_str(&format!(
        "<testsuites name=\"canongate contract\" tests=\"{}\" failures=\"{failures}\">\n",
        cases.len()
    ));
    xml.push_str(&format!(
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"0\">\n",
        escape(suite),
        cases.len()
    ));
    for case in cases {
        xml.push_str(&format!(
            "    <testcase classname=\"{}\" name=\"{}\"",
            escape(&case.class),
            escape(&case.name)
        ));
        match (&case.failure, &case.output) {
            (None, None) => xml.push_str("/>\n"),
            (failure, output) => {
                xml.push_str(">\n");
                if let Some((kind, message, detail)) = failure {
                    xml.push_str(&format!(
                        "      <failure type=\"{}\" message=\"{}\">{}</failure>\n",
                        escape(kind),
                        escape(message),
                        escape(detail)
                    ));
                }
                if let Some(output) = output {
                    xml.push_str(&format!(
                        "      <system-out>{}</system-out>\n",
                        escape(output)
                    ));
                }
                xml.push_str("    </testcase>\n");
            }
        }
    }
    xml.push_str("  </testsuite>\n</testsuites>\n");
    xml
}

pub(super) fn diff(report: &DiffReport, fail_on: Option<Level>) -> String {
    let mut cases: Vec<Case> = report
        .changes
        .iter()
        .map(|change| {
            let (file, line) = report.location(change);
            let place = line.map_or_else(|| file.to_owned(), |line| format!("{file}:{line}"));
            let detail = format!("{place}: {}", change.message);
            let fails = super::failing(change.level, fail_on);
            Case {
                class: format!("{} {}", change.operation.method, change.operation.path),
                name: change.id.clone(),
                failure: fails.then(|| {
                    (
                        change.level.to_string(),
                        change.message.clone(),
                        detail.clone(),
                    )
                }),
                output: (!fails).then_some(detail),
            }
        })
        .collect();
    if let Some(verdict) = &report.verdict {
        cases.push(Case {
            class: "semver".into(),
            name: "semver-gate".into(),
            failure: (!verdict.is_accepted())
                .then(|| ("refused".into(), verdict.to_string(), verdict.to_string())),
            output: verdict.is_accepted().then(|| verdict.to_string()),
        });
    }
    if cases.is_empty() {
        cases.push(Case {
            class: "diff".into(),
            name: "no-changes".into(),
            failure: None,
            output: None,
        });
    }
    let suite = format!("{} -> {}", report.old.origin, report.new.origin);
    document(&suite, &cases)
}

pub(super) fn lint(report: &LintReport, fail_on: Option<crate::lint::Severity>) -> String {
    let mut cases: Vec<Case> = report
        .findings
        .iter()
        .map(|finding| {
            let place = finding.line.map_or_else(
                || report.origin.clone(),
                |line| format!("{}:{line}", report.origin),
            );
            let detail = format!(
                "{place}: {}: {}",
                crate::pointer::display(&finding.pointer),
                finding.message
            );
            let fails = super::failing_finding(finding.severity, fail_on) || report.unusable;
            Case {
                class: finding.rule.to_owned(),
                name: format!(
                    "{} {}",
                    finding.rule,
                    crate::pointer::display(&finding.pointer)
                ),
                failure: fails.then(|| {
                    (
                        finding.severity.to_string(),
                        finding.message.clone(),
                        detail.clone(),
                    )
                }),
                output: (!fails).then_some(detail),
            }
        })
        .collect();
    if cases.is_empty() {
        cases.push(Case {
            class: "lint".into(),
            name: "no-findings".into(),
            failure: None,
            output: None,
        });
    }
    document(&report.origin, &cases)
}

#[cfg(test)]
mod tests {
    use crate::change::Level;
    use crate::render::tests::report;

    #[test]
    fn failures_follow_the_threshold() {
        let xml = super::diff(&report(), Some(Level::Breaking));
        assert!(xml.contains("tests=\"4\" failures=\"2\""), "{xml}");
        assert!(
            xml.contains(
                "<testcase classname=\"GET /orders\" name=\"request-parameter-became-required\">"
            ),
            "{xml}"
        );
        assert!(xml.contains("<failure type=\"breaking\""), "{xml}");
        assert!(xml.contains("name=\"semver-gate\""), "{xml}");
        let xml = super::diff(&report(), Some(Level::Info));
        assert!(xml.contains("failures=\"4\""), "{xml}");
        assert_eq!(
            super::escape("a<b & \"c\"\u{1}"),
            "a&lt;b &amp; &quot;c&quot;"
        );
    }
}
