//! Plain text: `file:line: level id METHOD /path (operationId) — message`
//! per change, then the summary and the semver verdict.

use crate::report::DiffReport;

pub(super) fn diff(report: &DiffReport) -> String {
    let mut text = String::new();
    for change in &report.changes {
        let (file, line) = report.location(change);
        text.push_str(file);
        if let Some(line) = line {
            text.push_str(&format!(":{line}"));
        }
        text.push_str(&format!(
            ": {} {} {} — {}\n",
            change.level, change.id, change.operation, change.message
        ));
    }
    text.push_str(&format!(
        "{} {} -> {} {}: {}\n",
        report.old.origin,
        report.old.version,
        report.new.origin,
        report.new.version,
        if report.changes.is_empty() {
            "no changes".to_owned()
        } else {
            super::summary(report)
        }
    ));
    if let Some(verdict) = &report.verdict {
        text.push_str(&format!("semver gate: {verdict}\n"));
    }
    text
}

#[cfg(test)]
mod tests {
    use crate::render::tests::report;

    #[test]
    fn one_line_per_change_then_the_summary() {
        let text = super::diff(&report());
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 5, "{text}");
        assert!(
            lines.contains(&"new.yaml:11: breaking request-parameter-became-required GET /orders (listOrders) — query parameter `status` became required"),
            "{text}"
        );
        assert_eq!(
            lines[3],
            "old.yaml 1.0.0 -> new.yaml 1.1.0: 1 breaking, 1 warning, 1 info; required bump: major"
        );
        assert!(
            lines[4].starts_with("semver gate: refused: 1.0.0 -> 1.1.0 is a minor bump"),
            "{text}"
        );
    }
}
