//! Renders diff and lint reports for people and for CI: plain text, JSON
//! (stable, described by `contracts/schema/report.schema.json`), Markdown
//! (pull-request comments), JUnit XML (test report views) and GitHub
//! Actions workflow commands (annotations on the changed lines).
//!
//! Every format shows the same facts; the JUnit and GitHub forms mark as
//! failures exactly what makes the command fail (`fail_on`).

mod github;
mod json;
mod junit;
mod markdown;
mod text;

use std::fmt;
use std::str::FromStr;

use crate::change::Level;
use crate::lint::{LintReport, Severity};
use crate::report::DiffReport;

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One line per change or finding, then a summary.
    Text,
    /// The stable JSON report.
    Json,
    /// A Markdown summary and table.
    Markdown,
    /// JUnit XML.
    Junit,
    /// GitHub Actions workflow commands (`::error file=...::...`).
    Github,
}

impl Format {
    /// The names accepted by [`Format::from_str`].
    pub const NAMES: [&'static str; 5] = ["text", "json", "markdown", "junit", "github"];

    /// The format's name, e.g. `"junit"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Json => "json",
            Format::Markdown => "markdown",
            Format::Junit => "junit",
            Format::Github => "github",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text is not a format name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown format `{0}`; expected text, json, markdown, junit or github")]
pub struct UnknownFormat(String);

impl FromStr for Format {
    type Err = UnknownFormat;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "text" => Ok(Format::Text),
            "json" => Ok(Format::Json),
            "markdown" => Ok(Format::Markdown),
            "junit" => Ok(Format::Junit),
            "github" => Ok(Format::Github),
            other => Err(UnknownFormat(other.to_owned())),
        }
    }
}

/// Renders a diff report; `fail_on` is the level from which changes fail.
pub fn diff(report: &DiffReport, format: Format, fail_on: Option<Level>) -> String {
    match format {
        Format::Text => text::diff(report),
        Format::Json => json::diff(report),
        Format::Markdown => markdown::diff(report),
        Format::Junit => junit::diff(report, fail_on),
        Format::Github => github::diff(report, fail_on),
    }
}

/// Renders a lint report; `fail_on` is the severity from which findings fail.
pub fn lint(report: &LintReport, format: Format, fail_on: Option<Severity>) -> String {
    match format {
        Format::Text => report.render_text(),
        Format::Json => json::lint(report),
        Format::Markdown => markdown::lint(report),
        Format::Junit => junit::lint(report, fail_on),
        Format::Github => github::lint(report, fail_on),
    }
}

/// `n word` or `n words`.
fn plural(count: usize, word: &str) -> String {
    format!("{count} {word}{}", if count == 1 { "" } else { "s" })
}

/// The one-line summary of a diff, e.g. `1 breaking, 0 warnings, 2 info; required bump: major`.
fn summary(report: &DiffReport) -> String {
    format!(
        "{} breaking, {}, {} info; required bump: {}",
        report.count(Level::Breaking),
        plural(report.count(Level::Warning), "warning"),
        report.count(Level::Info),
        report.required_bump()
    )
}

/// Whether a change at `level` fails under `fail_on`.
fn failing(level: Level, fail_on: Option<Level>) -> bool {
    fail_on.is_some_and(|threshold| level >= threshold)
}

/// Whether a finding of `severity` fails under `fail_on`.
fn failing_finding(severity: Severity, fail_on: Option<Severity>) -> bool {
    fail_on.is_some_and(|threshold| severity <= threshold)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::deprecation::{Date, DeprecationPolicy};
    use crate::diff::DiffOptions;

    pub(crate) const OLD: &str = "openapi: 3.0.3\ninfo:\n  title: Orders\n  version: 1.0.0\nx-canongate: {domain: order, owner-team: commerce, system-of-record: erp}\npaths:\n  /orders:\n    get:\n      operationId: listOrders\n      parameters:\n        - {name: status, in: query, schema: {type: string}}\n      responses:\n        '200': {description: ok}\n    post:\n      operationId: createOrder\n      responses:\n        '201': {description: created}\n";

    /// A report with one breaking, one warning and one info change, gate applied.
    pub(crate) fn report() -> DiffReport {
        let new = OLD
            .replace("version: 1.0.0", "version: 1.1.0")
            .replace("in: query,", "in: query, required: true,")
            .replace(
                "operationId: createOrder",
                "operationId: placeOrder\n      deprecated: true\n      x-sunset: '2026-12-31'",
            );
        let options = DiffOptions {
            deprecation: DeprecationPolicy {
                today: Date::parse("2026-06-01").expect("date"),
                ..DeprecationPolicy::default()
            },
        };
        DiffReport::from_bytes(
            ("old.yaml", OLD.as_bytes()),
            ("new.yaml", new.as_bytes()),
            &options,
            true,
        )
        .expect("loads")
    }

    pub(crate) fn lint_report() -> LintReport {
        crate::lint::lint_bytes("orders.yaml", OLD.as_bytes())
    }

    #[test]
    fn formats_parse_and_print() {
        for name in Format::NAMES {
            let format: Format = name.parse().expect("known");
            assert_eq!(format.to_string(), name);
        }
        assert!("xml".parse::<Format>().is_err());
    }

    #[test]
    fn every_format_renders_both_reports() {
        let (diff_report, lint_report) = (report(), lint_report());
        for name in Format::NAMES {
            let format: Format = name.parse().expect("known");
            assert!(
                !diff(&diff_report, format, Some(Level::Breaking)).is_empty(),
                "{name}"
            );
            assert!(
                !lint(&lint_report, format, Some(Severity::Error)).is_empty(),
                "{name}"
            );
        }
    }
}
