//! The JSON reports, version 1, as described by
//! `contracts/schema/report.schema.json`. Fields are only ever added; a
//! change of meaning gets a new `format_version`.

use serde::Serialize;

use crate::change::{Change, Level};
use crate::lint::{Finding, LintReport, Severity};
use crate::model::Method;
use crate::report::{ContractFile, DiffReport};
use crate::semver::{Bump, Refusal};

/// The version of the JSON report format.
const FORMAT_VERSION: u32 = 1;

#[derive(Serialize)]
struct DiffJson<'r> {
    report: &'static str,
    format_version: u32,
    old: FileJson<'r>,
    new: FileJson<'r>,
    summary: DiffSummary,
    semver: Option<VerdictJson<'r>>,
    changes: Vec<ChangeJson<'r>>,
}

#[derive(Serialize)]
struct FileJson<'r> {
    file: &'r str,
    title: &'r str,
    version: &'r str,
}

#[derive(Serialize)]
struct DiffSummary {
    breaking: usize,
    warning: usize,
    info: usize,
    required_bump: Bump,
}

#[derive(Serialize)]
struct VerdictJson<'r> {
    old_version: &'r str,
    new_version: &'r str,
    required_bump: Bump,
    actual_bump: Option<Bump>,
    accepted: bool,
    refusal: Option<&'static str>,
    message: String,
}

#[derive(Serialize)]
struct ChangeJson<'r> {
    id: &'r str,
    level: Level,
    bump: Bump,
    operation: OperationJson<'r>,
    old: Option<PlaceJson<'r>>,
    new: Option<PlaceJson<'r>>,
    message: &'r str,
}

#[derive(Serialize)]
struct OperationJson<'r> {
    method: Method,
    path: &'r str,
    operation_id: &'r str,
}

#[derive(Serialize)]
struct PlaceJson<'r> {
    pointer: &'r str,
    line: Option<usize>,
}

fn file(file: &ContractFile) -> FileJson<'_> {
    FileJson {
        file: &file.origin,
        title: &file.title,
        version: &file.version,
    }
}

fn change<'r>(report: &'r DiffReport, change: &'r Change) -> ChangeJson<'r> {
    let place = |pointer: &'r Option<String>, file: &ContractFile| {
        pointer.as_deref().map(|pointer| PlaceJson {
            pointer,
            line: file.line(pointer),
        })
    };
    ChangeJson {
        id: &change.id,
        level: change.level,
        bump: change.bump,
        operation: OperationJson {
            method: change.operation.method,
            path: &change.operation.path,
            operation_id: &change.operation.operation_id,
        },
        old: place(&change.old_pointer, &report.old),
        new: place(&change.new_pointer, &report.new),
        message: &change.message,
    }
}

fn to_string(value: &impl Serialize) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
    text.push('\n');
    text
}

pub(super) fn diff(report: &DiffReport) -> String {
    let semver = report.verdict.as_ref().map(|verdict| VerdictJson {
        old_version: &verdict.old_version,
        new_version: &verdict.new_version,
        required_bump: verdict.required_bump,
        actual_bump: verdict.actual_bump,
        accepted: verdict.is_accepted(),
        refusal: verdict.refusal.as_ref().map(|refusal| match refusal {
            Refusal::InvalidVersion { .. } => "invalid-version",
            Refusal::NotIncreased => "not-increased",
            Refusal::BumpTooSmall => "bump-too-small",
        }),
        message: verdict.to_string(),
    });
    to_string(&DiffJson {
        report: "diff",
        format_version: FORMAT_VERSION,
        old: file(&report.old),
        new: file(&report.new),
        summary: DiffSummary {
            breaking: report.count(Level::Breaking),
            warning: report.count(Level::Warning),
            info: report.count(Level::Info),
            required_bump: report.required_bump(),
        },
        semver,
        changes: report.changes.iter().map(|c| change(report, c)).collect(),
    })
}

#[derive(Serialize)]
struct LintJson<'r> {
    report: &'static str,
    format_version: u32,
    file: &'r str,
    usable: bool,
    summary: LintSummary,
    findings: &'r [Finding],
}

#[derive(Serialize)]
struct LintSummary {
    error: usize,
    warning: usize,
    info: usize,
    hint: usize,
}

pub(super) fn lint(report: &LintReport) -> String {
    to_string(&LintJson {
        report: "lint",
        format_version: FORMAT_VERSION,
        file: &report.origin,
        usable: !report.unusable,
        summary: LintSummary {
            error: report.count(Severity::Error),
            warning: report.count(Severity::Warning),
            info: report.count(Severity::Info),
            hint: report.count(Severity::Hint),
        },
        findings: &report.findings,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use crate::render::tests::{lint_report, report};

    #[test]
    fn diff_json_has_the_documented_fields() {
        let value: Value = serde_json::from_str(&super::diff(&report())).expect("json");
        assert_eq!(value["report"], "diff");
        assert_eq!(value["format_version"], 1);
        assert_eq!(value["summary"]["required_bump"], "major");
        assert_eq!(value["semver"]["refusal"], "bump-too-small");
        let change = &value["changes"][0];
        assert_eq!(change["operation"]["method"], "GET");
        assert_eq!(change["new"]["line"], 11);
    }

    #[test]
    fn lint_json_has_the_documented_fields() {
        let value: Value = serde_json::from_str(&super::lint(&lint_report())).expect("json");
        assert_eq!(value["report"], "lint");
        assert_eq!(value["usable"], true);
        assert!(value["findings"][0]["rule"].is_string());
    }
}
