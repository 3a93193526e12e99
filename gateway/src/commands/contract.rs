//! `canongate contract diff OLD NEW` and `canongate contract lint FILE`.
//!
//! Both print their report on standard output in the chosen `--format` and
//! exit with 0 when nothing reaches the `--fail-on` threshold, 1 when
//! something does (or, with `--check-version`, when the semver gate refuses
//! the new version), and 2 when an input is unusable: unreadable, not
//! YAML/JSON, not OpenAPI 3.0, with an external or cyclic `$ref` (for `diff`,
//! any contract that does not load), or a lint configuration that is not
//! valid. Unusable input is described on standard error, one problem per
//! line with its file, line and JSON pointer.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use canongate_contracts::change::Level;
use canongate_contracts::deprecation::{Date, DeprecationPolicy};
use canongate_contracts::diff::DiffOptions;
use canongate_contracts::lint::{Ruleset, Severity, lint_bytes_with};
use canongate_contracts::render::{self, Format};
use canongate_contracts::report::DiffReport;
use canongate_contracts::{LoadError, pointer};
use clap::builder::{PossibleValuesParser, TypedValueParser};

use super::ContractCommand;

/// Exit code of unusable input.
const UNUSABLE: u8 = 2;

fn format_parser() -> impl TypedValueParser<Value = Format> {
    PossibleValuesParser::new(Format::NAMES).try_map(|name| name.parse::<Format>())
}

/// Options of `contract diff`.
#[derive(Debug, clap::Args)]
pub struct DiffArgs {
    /// The old version of the contract (YAML or JSON).
    old: PathBuf,
    /// The new version of the contract (YAML or JSON).
    new: PathBuf,
    /// Output format.
    #[arg(long, default_value = "text", value_parser = format_parser())]
    format: Format,
    /// Exit with 1 when a change is at this level or above; `never` only reports.
    #[arg(long, default_value = "breaking", value_parser = ["breaking", "warning", "info", "never"])]
    fail_on: String,
    /// Apply the semver gate: the new info.version must increase by at least the bump the changes need.
    #[arg(long)]
    check_version: bool,
    /// Least notice between today and the x-sunset date of a newly deprecated item, e.g. `90d`, `12w`.
    #[arg(long, default_value = "90d", value_parser = parse_days)]
    min_sunset_notice: u32,
    /// Level of a deprecation without x-sunset or with too short a notice.
    #[arg(long, default_value = "warning", value_parser = ["warning", "breaking"])]
    sunset_violations: String,
    /// Judge sunset dates as of this date (YYYY-MM-DD) instead of today (UTC).
    #[arg(long, value_parser = parse_date)]
    today: Option<Date>,
}

/// Options of `contract lint`.
#[derive(Debug, clap::Args)]
pub struct LintArgs {
    /// The contract (YAML or JSON).
    file: PathBuf,
    /// Output format.
    #[arg(long, default_value = "text", value_parser = format_parser())]
    format: Format,
    /// Exit with 1 when a finding has this severity or above (`breaking` means `error`); `never` only reports.
    #[arg(long, default_value = "error", value_parser = ["error", "breaking", "warning", "info", "hint", "never"])]
    fail_on: String,
    /// A lint configuration file: `rules: {rule-id: off|error|warning|info|hint}`.
    #[arg(long, value_name = "FILE")]
    ruleset: Option<PathBuf>,
}

/// Runs a `contract` subcommand.
pub(super) fn run(command: ContractCommand) -> ExitCode {
    match command {
        ContractCommand::Diff(args) => diff(&args),
        ContractCommand::Lint(args) => lint(&args),
        ContractCommand::Versions(command) => super::admin::versions(&command),
    }
}

/// `90d`, `12w` or `90` (days) -> days.
fn parse_days(text: &str) -> Result<u32, String> {
    let (number, unit) = match text.as_bytes().last() {
        Some(b'd') => (&text[..text.len() - 1], 1),
        Some(b'w') => (&text[..text.len() - 1], 7),
        _ => (text, 1),
    };
    number
        .parse::<u32>()
        .ok()
        .and_then(|n| n.checked_mul(unit))
        .ok_or_else(|| format!("`{text}` is not a number of days such as `90d` or `12w`"))
}

/// `YYYY-MM-DD` -> a date.
pub(super) fn parse_date(text: &str) -> Result<Date, String> {
    Date::parse(text).ok_or_else(|| format!("`{text}` is not a date (YYYY-MM-DD)"))
}

fn level(name: &str) -> Option<Level> {
    match name {
        "breaking" => Some(Level::Breaking),
        "warning" => Some(Level::Warning),
        "info" => Some(Level::Info),
        _ => None,
    }
}

fn severity(name: &str) -> Option<Severity> {
    match name {
        "error" | "breaking" => Some(Severity::Error),
        "warning" => Some(Severity::Warning),
        "info" => Some(Severity::Info),
        "hint" => Some(Severity::Hint),
        _ => None,
    }
}

/// Reads `path`, or describes why it cannot be read.
fn read(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path)
        .map_err(|error| format!("{}: cannot read the file: {error}", path.display()))
}

/// Prints every load problem as `file:line: pointer: message`.
fn print_problems(error: &LoadError) {
    for problem in &error.problems {
        let line = problem
            .line
            .map(|line| format!(":{line}"))
            .unwrap_or_default();
        eprintln!(
            "{}{line}: {}: {}",
            problem.origin,
            pointer::display(&problem.pointer),
            problem.kind
        );
    }
}

fn diff(args: &DiffArgs) -> ExitCode {
    let (old, new) = match (read(&args.old), read(&args.new)) {
        (Ok(old), Ok(new)) => (old, new),
        (old, new) => {
            for message in [old.err(), new.err()].into_iter().flatten() {
                eprintln!("{message}");
            }
            return ExitCode::from(UNUSABLE);
        }
    };
    let options = DiffOptions {
        deprecation: DeprecationPolicy {
            today: args.today.unwrap_or_else(Date::today),
            min_notice_days: args.min_sunset_notice,
            violation_level: level(&args.sunset_violations).unwrap_or(Level::Warning),
        },
    };
    let (old_origin, new_origin) = (
        args.old.display().to_string(),
        args.new.display().to_string(),
    );
    let report = match DiffReport::from_bytes(
        (&old_origin, &old),
        (&new_origin, &new),
        &options,
        args.check_version,
    ) {
        Ok(report) => report,
        Err(error) => {
            print_problems(&error);
            return ExitCode::from(UNUSABLE);
        }
    };
    let fail_on = level(&args.fail_on);
    print!("{}", render::diff(&report, args.format, fail_on));
    if report.fails(fail_on) {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn lint(args: &LintArgs) -> ExitCode {
    let ruleset = match args.ruleset.as_deref().map(Ruleset::load).transpose() {
        Ok(ruleset) => ruleset.unwrap_or_default(),
        Err(error) => {
            eprintln!("{error}");
            return ExitCode::from(UNUSABLE);
        }
    };
    let bytes = match read(&args.file) {
        Ok(bytes) => bytes,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(UNUSABLE);
        }
    };
    let report = lint_bytes_with(&args.file.display().to_string(), &bytes, &ruleset);
    let fail_on = severity(&args.fail_on);
    print!("{}", render::lint(&report, args.format, fail_on));
    if report.unusable {
        eprintln!(
            "{}: the document cannot be used; see the findings above",
            args.file.display()
        );
        ExitCode::from(UNUSABLE)
    } else if report.fails(fail_on) {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_notice_periods() {
        assert_eq!(parse_days("90d"), Ok(90));
        assert_eq!(parse_days("12w"), Ok(84));
        assert_eq!(parse_days("30"), Ok(30));
        assert!(parse_days("soon").is_err());
        assert!(parse_days("d").is_err());
        assert!(parse_days("999999999999w").is_err());
    }

    #[test]
    fn thresholds() {
        assert_eq!(level("never"), None);
        assert_eq!(level("warning"), Some(Level::Warning));
        assert_eq!(severity("breaking"), Some(Severity::Error));
        assert_eq!(severity("never"), None);
    }
}
