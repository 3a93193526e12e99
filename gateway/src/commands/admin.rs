//! The control plane's command line: `canongate contract publish|draft|deprecate|retire|list`,
//! `canongate consumer …` and `canongate tier …`, clients of the admin API (`/api/v1`).
//!
//! Every command takes `--control-plane URL` (env `CANONGATE_CONTROL_PLANE`, default
//! `http://127.0.0.1:9080`), `--token TOKEN` (env `CANONGATE_TOKEN`, sent as a bearer token; the
//! environment keeps it out of process listings) and `--format text|json`. Text is for people:
//! one line per result, aligned tables for lists, specs as YAML. JSON is the control plane's
//! answer as it came (a list is every item of every page, as one array; an answer without a body,
//! such as a delete, prints nothing).
//!
//! Exit codes: 0 success; 1 the control plane refused: its problem document is described on
//! standard error as `error: <title>: <detail>`, one `  <field>: <message>` line per `errors[]`
//! item and, for a `breaking-change` refusal, the bump the changes need and one line per change
//! (with `--format json` the problem document is printed on standard output as well); 2 unusable
//! input (an unreadable or malformed file, a control plane URL that is not one) or a control plane
//! that cannot be reached, described on standard error.
//!
//! [`client`] sends the requests and turns every refusal into a [`problem::Problem`];
//! [`contract`], [`consumer`] and [`tier`] are the command families, [`named`] the list, show,
//! apply and delete operations that consumers and tiers share.

mod client;
mod consumer;
mod contract;
mod named;
mod problem;
mod tier;

use std::path::Path;
use std::process::ExitCode;

use serde_json::Value;

use client::Client;
use problem::Problem;

pub use consumer::ConsumerCommand;
pub use contract::VersionCommand;
pub use named::NamedCommand;

/// Exit code of unusable input and of an unreachable control plane.
const UNUSABLE: u8 = 2;

/// Where the control plane is, who is asking, and how to print the answer.
#[derive(Debug, Clone, clap::Args)]
pub struct Remote {
    /// Base URL of the control plane.
    #[arg(
        long,
        env = "CANONGATE_CONTROL_PLANE",
        default_value = "http://127.0.0.1:9080",
        value_name = "URL"
    )]
    control_plane: String,
    /// Bearer token for the admin API (prefer the environment variable).
    #[arg(
        long,
        env = "CANONGATE_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    token: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Output::Text)]
    format: Output,
}

/// How a command prints its result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Output {
    /// Lines and aligned tables for people.
    Text,
    /// The control plane's JSON answer.
    Json,
}

/// Why a command did not succeed.
#[derive(Debug)]
enum Failure {
    /// The control plane answered with an error status (exit code 1).
    Refused(Problem),
    /// The input is unusable or the control plane cannot be reached (exit code 2).
    Unusable(String),
}

/// What a successful command prints: `text` for `--format text`, `json` for `--format json`
/// (nothing when it is `null`).
#[derive(Debug)]
struct Done {
    text: String,
    json: Value,
}

/// Runs `contract publish|draft|deprecate|retire|list`.
pub(super) fn versions(command: &VersionCommand) -> ExitCode {
    execute(command.remote(), |client| contract::run(client, command))
}

/// Runs a `consumer` subcommand.
pub(super) fn consumer(command: &ConsumerCommand) -> ExitCode {
    execute(command.remote(), |client| consumer::run(client, command))
}

/// Runs a `tier` subcommand.
pub(super) fn tier(command: &NamedCommand) -> ExitCode {
    execute(command.remote(), |client| tier::run(client, command))
}

/// Connects to the control plane, runs `work` and prints its outcome; the exit code.
fn execute(remote: &Remote, work: impl FnOnce(&Client) -> Result<Done, Failure>) -> ExitCode {
    let result = Client::new(remote).and_then(|client| work(&client));
    match result {
        Ok(done) => {
            match remote.format {
                Output::Text => print!("{}", done.text),
                Output::Json if done.json.is_null() => {}
                Output::Json => println!("{}", pretty(&done.json)),
            }
            ExitCode::SUCCESS
        }
        Err(Failure::Refused(problem)) => {
            if remote.format == Output::Json {
                println!("{}", pretty(&problem.body));
            }
            eprint!("{}", problem.render());
            ExitCode::FAILURE
        }
        Err(Failure::Unusable(message)) => {
            eprintln!("error: {message}");
            ExitCode::from(UNUSABLE)
        }
    }
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

/// Reads a spec file: a YAML (or JSON) mapping.
fn read_spec(path: &Path) -> Result<Value, Failure> {
    let text = std::fs::read_to_string(path).map_err(|error| {
        Failure::Unusable(format!("{}: cannot read the file: {error}", path.display()))
    })?;
    parse_spec(&path.display().to_string(), &text)
}

/// Parses the text of a spec file named `origin`.
fn parse_spec(origin: &str, text: &str) -> Result<Value, Failure> {
    let spec: Value = serde_norway::from_str(text).map_err(|error| {
        Failure::Unusable(format!("{origin}: not a YAML or JSON spec: {error}"))
    })?;
    if spec.is_object() {
        Ok(spec)
    } else {
        Err(Failure::Unusable(format!(
            "{origin}: the spec must be a mapping of its fields, not {}",
            describe(&spec)
        )))
    }
}

/// What kind of JSON value `value` is, for messages.
fn describe(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

/// `text` on one line with no control characters (answers are untrusted: no terminal escapes).
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// A table cell for `value`: strings as they are, lists joined with commas, `-` when absent.
fn cell(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => "-".to_owned(),
        Some(Value::String(text)) => one_line(text),
        Some(Value::Array(items)) if items.is_empty() => "-".to_owned(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| cell(Some(item)))
            .collect::<Vec<_>>()
            .join(","),
        Some(other) => one_line(&other.to_string()),
    }
}

/// A table with a header row, columns separated by two spaces and padded to their widest cell.
fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let header: Vec<String> = headers.iter().map(|&h| h.to_owned()).collect();
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in std::iter::once(&header).chain(rows) {
        let line = row
            .iter()
            .zip(&widths)
            .map(|(cell, &width)| format!("{cell:<width$}"))
            .collect::<Vec<_>>()
            .join("  ");
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// `1 error`, `2 errors`.
fn plural(count: u64, word: &str) -> String {
    if count == 1 {
        format!("{count} {word}")
    } else {
        format!("{count} {word}s")
    }
}

#[cfg(test)]
mod tests {
    use clap::{CommandFactory, Parser};
    use serde_json::json;

    use super::*;
    use crate::commands::{Cli, Command, ContractCommand};

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn parses_the_admin_commands() {
        let cli = Cli::try_parse_from([
            "canongate",
            "contract",
            "publish",
            "inventory.yaml",
            "--api",
            "inventory",
            "--system",
            "erp",
            "--control-plane",
            "http://cp.example:9080",
            "--format",
            "json",
        ])
        .expect("parses");
        let Command::Contract(ContractCommand::Versions(command)) = cli.command else {
            panic!("not a contract version command: {cli:?}");
        };
        assert_eq!(command.remote().control_plane, "http://cp.example:9080");
        assert_eq!(command.remote().format, Output::Json);

        for args in [
            &["consumer", "apply", "storefront", "--file", "c.yaml"][..],
            &["consumer", "subscribe", "storefront", "inventory"],
            &["tier", "list"],
            &["contract", "list", "--api", "inventory"],
            &["contract", "retire", "--api", "a", "--version", "1.0.0"],
            &[
                "contract",
                "deprecate",
                "--api",
                "a",
                "--version",
                "1.0.0",
                "--sunset",
                "2027-01-31",
                "--successor",
                "2.0.0",
            ],
        ] {
            let line = std::iter::once("canongate").chain(args.iter().copied());
            assert!(Cli::try_parse_from(line).is_ok(), "{args:?}");
        }
    }

    #[test]
    fn refuses_unusable_arguments() {
        let refused = |args: &[&str]| {
            let line = std::iter::once("canongate").chain(args.iter().copied());
            Cli::try_parse_from(line).expect_err("refused").exit_code()
        };
        let override_without_reason = [
            "contract",
            "retire",
            "--api",
            "a",
            "--version",
            "1.0.0",
            "--override",
        ];
        assert_eq!(refused(&override_without_reason), i32::from(UNUSABLE));
        let bad_sunset = [
            "contract",
            "deprecate",
            "--api",
            "a",
            "--version",
            "1.0.0",
            "--sunset",
            "next year",
            "--successor",
            "2.0.0",
        ];
        assert_eq!(refused(&bad_sunset), i32::from(UNUSABLE));
        assert_eq!(
            refused(&["consumer", "list", "--format", "yaml"]),
            i32::from(UNUSABLE)
        );
    }

    #[test]
    fn tables_are_aligned() {
        let rows = vec![
            vec!["inventory".to_owned(), "1.0.0".to_owned(), "-".to_owned()],
            vec!["a".to_owned(), "12.0.0".to_owned(), "x".to_owned()],
        ];
        assert_eq!(
            table(&["API", "VERSION", "SUNSET"], &rows),
            "API        VERSION  SUNSET\ninventory  1.0.0    -\na          12.0.0   x\n"
        );
        assert_eq!(table(&["NAME", "TIER"], &[]), "NAME  TIER\n");
    }

    #[test]
    fn cells_are_single_clean_lines() {
        assert_eq!(cell(None), "-");
        assert_eq!(cell(Some(&json!(null))), "-");
        assert_eq!(cell(Some(&json!([]))), "-");
        assert_eq!(cell(Some(&json!(["a", "b"]))), "a,b");
        assert_eq!(cell(Some(&json!(7))), "7");
        assert_eq!(cell(Some(&json!("x\u{1b}[31m\ny"))), "x [31m y");
    }

    #[test]
    fn spec_files_must_hold_a_mapping() {
        let spec = parse_spec("tier.yaml", "rate: {requests: 10, per: 1s}\npriority: 3\n")
            .expect("a mapping");
        assert_eq!(
            spec,
            json!({"rate": {"requests": 10, "per": "1s"}, "priority": 3})
        );
        assert_eq!(
            parse_spec("t.json", r#"{"priority": 1}"#).expect("JSON"),
            json!({"priority": 1})
        );
        let Err(Failure::Unusable(message)) = parse_spec("tier.yaml", "- gold\n") else {
            panic!("a list is not a spec");
        };
        assert_eq!(
            message,
            "tier.yaml: the spec must be a mapping of its fields, not a list"
        );
        let Err(Failure::Unusable(message)) = parse_spec("tier.yaml", "rate: [\n") else {
            panic!("not YAML");
        };
        assert!(
            message.starts_with("tier.yaml: not a YAML or JSON spec: "),
            "{message}"
        );
    }

    #[test]
    fn unreadable_spec_files_name_the_file() {
        let path = Path::new("/nonexistent/canongate/tier.yaml");
        let Err(Failure::Unusable(message)) = read_spec(path) else {
            panic!("the file does not exist");
        };
        assert!(message.starts_with("/nonexistent/canongate/tier.yaml: cannot read the file"));
    }
}
