//! `canongate contract publish|draft|deprecate|retire|list`: contract versions on the control
//! plane.
//!
//! `publish` and `draft` send the contract file's text to `POST /apis/{api}/versions` with
//! `"publish": true` or `false`, and a `backend` only when `--system` names one (without it the
//! control plane takes the backend of the highest version of the same major, else of the
//! latest); the version is the contract's `info.version`. A published version is printed with the changes the control plane accepted,
//! one per line; a publish the semver gate refuses is a `breaking-change` problem, printed with
//! every change (see [`super::problem`]). `deprecate` and `retire` post to the version's lifecycle
//! endpoints. `list` prints one API's versions, or every API's (following every page of
//! `GET /apis` and of each `GET /apis/{api}/versions`), as a table: api, version, lifecycle,
//! sunset, successor.

use std::path::PathBuf;

use canongate_contracts::deprecation::Date;
use canongate_contracts::pointer;
use clap::Subcommand;
use serde_json::{Value, json};

use super::client::Client;
use super::{Done, Failure, Remote, cell, one_line, plural, table};
use crate::commands::contract::parse_date;

/// The contract commands served by the control plane.
#[derive(Debug, Subcommand)]
pub enum VersionCommand {
    /// Publish a contract version on the control plane; the semver gate applies.
    Publish(SubmitArgs),
    /// Store a contract version on the control plane as a draft.
    Draft(SubmitArgs),
    /// Deprecate a published version: its sunset date and its successor.
    Deprecate(DeprecateArgs),
    /// Retire a version (before its sunset date only with --override and a reason).
    Retire(RetireArgs),
    /// List the contract versions of every API, or of one.
    List(ListArgs),
}

/// Options of `contract publish` and `contract draft`.
#[derive(Debug, clap::Args)]
pub struct SubmitArgs {
    /// The contract (OpenAPI 3.0, YAML or JSON); its info.version is the version's.
    file: PathBuf,
    /// The API the version belongs to.
    #[arg(long, value_name = "NAME")]
    api: String,
    /// The system that serves the version (default: the backend of the highest version of the
    /// same major, else of the latest).
    #[arg(long, value_name = "SYSTEM")]
    system: Option<String>,
    /// The path prefix on the system, e.g. `/erp/inventory`.
    #[arg(long, requires = "system", value_name = "PREFIX")]
    path_prefix: Option<String>,
    #[command(flatten)]
    remote: Remote,
}

/// Options of `contract deprecate`.
#[derive(Debug, clap::Args)]
pub struct DeprecateArgs {
    /// The API.
    #[arg(long, value_name = "NAME")]
    api: String,
    /// The version to deprecate, e.g. `1.4.0`.
    #[arg(long, value_name = "VERSION")]
    version: String,
    /// The day the version stops being served (YYYY-MM-DD).
    #[arg(long, value_parser = parse_date, value_name = "DATE")]
    sunset: Date,
    /// The version consumers should move to.
    #[arg(long, value_name = "VERSION")]
    successor: String,
    /// The day of the deprecation (YYYY-MM-DD; default: today, as the control plane sees it).
    #[arg(long, value_parser = parse_date, value_name = "DATE")]
    deprecated_on: Option<Date>,
    #[command(flatten)]
    remote: Remote,
}

/// Options of `contract retire`.
#[derive(Debug, clap::Args)]
pub struct RetireArgs {
    /// The API.
    #[arg(long, value_name = "NAME")]
    api: String,
    /// The version to retire.
    #[arg(long, value_name = "VERSION")]
    version: String,
    /// Retire before the sunset date (needs --reason).
    #[arg(long = "override", requires = "reason")]
    before_sunset: bool,
    /// Why, recorded in the audit log.
    #[arg(long, value_name = "TEXT")]
    reason: Option<String>,
    #[command(flatten)]
    remote: Remote,
}

/// Options of `contract list`.
#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// Only this API's versions.
    #[arg(long, value_name = "NAME")]
    api: Option<String>,
    #[command(flatten)]
    remote: Remote,
}

impl VersionCommand {
    /// The control plane the command talks to.
    pub(super) fn remote(&self) -> &Remote {
        match self {
            VersionCommand::Publish(args) | VersionCommand::Draft(args) => &args.remote,
            VersionCommand::Deprecate(args) => &args.remote,
            VersionCommand::Retire(args) => &args.remote,
            VersionCommand::List(args) => &args.remote,
        }
    }
}

/// Runs `command` against the control plane.
pub(super) fn run(client: &Client, command: &VersionCommand) -> Result<Done, Failure> {
    match command {
        VersionCommand::Publish(args) => submit(client, args, true),
        VersionCommand::Draft(args) => submit(client, args, false),
        VersionCommand::Deprecate(args) => deprecate(client, args),
        VersionCommand::Retire(args) => retire(client, args),
        VersionCommand::List(args) => list(client, args),
    }
}

fn submit(client: &Client, args: &SubmitArgs, publish: bool) -> Result<Done, Failure> {
    let contract = std::fs::read_to_string(&args.file).map_err(|error| {
        Failure::Unusable(format!(
            "{}: cannot read the file: {error}",
            args.file.display()
        ))
    })?;
    let mut body = json!({"contract": contract, "publish": publish});
    if let Some(system) = &args.system {
        let mut backend = json!({"system": system});
        if let Some(prefix) = &args.path_prefix {
            backend["path_prefix"] = json!(prefix);
        }
        body["backend"] = backend;
    }
    let reply = client.post(&["apis", &args.api, "versions"], &body)?;
    let text = if publish {
        published(&args.api, &reply.body)
    } else {
        drafted(&args.api, &reply.body)
    };
    Ok(Done {
        text,
        json: reply.body,
    })
}

/// `published <api> <version> (previous …, required bump …, lint: …)` and the accepted changes.
///
/// The answer is either the version record or, like `POST …/publish`, `{"version": record,
/// "changes": […], "required_bump": …, "previous": …}`.
fn published(api: &str, answer: &Value) -> String {
    let record = answer
        .get("version")
        .filter(|version| version.is_object())
        .unwrap_or(answer);
    let mut facts = Vec::new();
    match answer.get("previous") {
        Some(Value::String(previous)) => facts.push(format!("previous {}", one_line(previous))),
        Some(Value::Null) => facts.push("the first version".to_owned()),
        _ => {}
    }
    if let Some(bump) = answer.get("required_bump").and_then(Value::as_str) {
        facts.push(format!("required bump {}", one_line(bump)));
    }
    facts.extend(lint(record));
    let mut text = format!(
        "published {api} {}{}\n",
        cell(record.get("version")),
        parenthesized(&facts)
    );
    let changes = answer.get("changes").and_then(Value::as_array);
    for change in changes.into_iter().flatten() {
        text.push_str(&format!("  {}\n", change_line(change)));
    }
    text
}

/// `drafted <api> <version> (lint: …)`.
fn drafted(api: &str, record: &Value) -> String {
    let facts: Vec<String> = lint(record).into_iter().collect();
    format!(
        "drafted {api} {}{}\n",
        cell(record.get("version")),
        parenthesized(&facts)
    )
}

/// `lint: 0 errors, 2 warnings` from a version record's `lint` counts.
fn lint(record: &Value) -> Option<String> {
    let count = |severity: &str| record.pointer(&format!("/lint/{severity}"))?.as_u64();
    match (count("errors"), count("warnings")) {
        (Some(errors), Some(warnings)) => Some(format!(
            "lint: {}, {}",
            plural(errors, "error"),
            plural(warnings, "warning")
        )),
        _ => None,
    }
}

fn parenthesized(facts: &[String]) -> String {
    if facts.is_empty() {
        String::new()
    } else {
        format!(" ({})", facts.join(", "))
    }
}

/// One contract change, as the control plane reports it (the shape of the `changes` of
/// `contract diff --format json`): `level id METHOD /path (operationId) at /pointer (line N) —
/// message`, the pointer into the new contract, or into the previous version for something
/// removed.
pub(super) fn change_line(change: &Value) -> String {
    let text = |at: &str| change.pointer(at).and_then(Value::as_str).map(one_line);
    let mut line = format!(
        "{} {}",
        text("/level").unwrap_or_else(|| "change".to_owned()),
        text("/id").unwrap_or_else(|| "(no id)".to_owned())
    );
    if let (Some(method), Some(path)) = (text("/operation/method"), text("/operation/path")) {
        line.push_str(&format!(" {method} {path}"));
        if let Some(operation_id) = text("/operation/operation_id") {
            line.push_str(&format!(" ({operation_id})"));
        }
    }
    if let Some(at) = text("/new/pointer") {
        line.push_str(&format!(" at {}", pointer::display(&at)));
        if let Some(number) = change.pointer("/new/line").and_then(Value::as_u64) {
            line.push_str(&format!(" (line {number})"));
        }
    } else if let Some(at) = text("/old/pointer") {
        line.push_str(&format!(" at {} (previous version)", pointer::display(&at)));
    }
    if let Some(message) = text("/message") {
        line.push_str(&format!(" — {message}"));
    }
    line
}

fn deprecate(client: &Client, args: &DeprecateArgs) -> Result<Done, Failure> {
    let mut body = json!({"sunset": args.sunset.to_string(), "successor": args.successor});
    if let Some(day) = args.deprecated_on {
        body["deprecated_on"] = json!(day.to_string());
    }
    let path = ["apis", &args.api, "versions", &args.version, "deprecate"];
    let reply = client.post(&path, &body)?;
    Ok(Done {
        text: format!(
            "deprecated {} {}: sunset {}, successor {}\n",
            args.api, args.version, args.sunset, args.successor
        ),
        json: reply.body,
    })
}

fn retire(client: &Client, args: &RetireArgs) -> Result<Done, Failure> {
    let mut body = json!({"override": args.before_sunset});
    if let Some(reason) = &args.reason {
        body["reason"] = json!(reason);
    }
    let path = ["apis", &args.api, "versions", &args.version, "retire"];
    let reply = client.post(&path, &body)?;
    let how = if args.before_sunset {
        " before its sunset date"
    } else {
        ""
    };
    Ok(Done {
        text: format!("retired {} {}{how}\n", args.api, args.version),
        json: reply.body,
    })
}

fn list(client: &Client, args: &ListArgs) -> Result<Done, Failure> {
    let apis = match &args.api {
        Some(api) => vec![api.clone()],
        None => client
            .list(&["apis"])?
            .iter()
            .map(|api| {
                api.get("name")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .ok_or_else(|| {
                        Failure::Unusable("the control plane listed an API without a name".into())
                    })
            })
            .collect::<Result<_, _>>()?,
    };
    let mut records = Vec::new();
    let mut rows = Vec::new();
    for api in &apis {
        for record in client.list(&["apis", api, "versions"])? {
            rows.push(version_row(api, &record));
            records.push(record);
        }
    }
    Ok(Done {
        text: table(&VERSION_COLUMNS, &rows),
        json: Value::Array(records),
    })
}

const VERSION_COLUMNS: [&str; 5] = ["API", "VERSION", "LIFECYCLE", "SUNSET", "SUCCESSOR"];

/// The table row of a version `record` of `api`.
fn version_row(api: &str, record: &Value) -> Vec<String> {
    let mut row = vec![one_line(api)];
    row.extend(
        ["version", "lifecycle", "sunset", "successor"].map(|field| cell(record.get(field))),
    );
    row
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change() -> Value {
        json!({
            "id": "operation-added",
            "level": "info",
            "bump": "minor",
            "operation": {"method": "POST", "path": "/items", "operation_id": "createItem"},
            "old": null,
            "new": {"pointer": "/paths/~1items/post", "line": 40},
            "message": "operation POST /items was added"
        })
    }

    #[test]
    fn change_lines_point_into_the_new_or_the_previous_contract() {
        assert_eq!(
            change_line(&change()),
            "info operation-added POST /items (createItem) at /paths/~1items/post (line 40) — operation POST /items was added"
        );
        let removed = json!({
            "id": "operation-removed", "level": "breaking",
            "operation": {"method": "DELETE", "path": "/items/{id}", "operation_id": "deleteItem"},
            "old": {"pointer": "/paths/~1items~1{id}/delete", "line": 80}, "new": null,
            "message": "operation DELETE /items/{id} was removed"
        });
        assert_eq!(
            change_line(&removed),
            "breaking operation-removed DELETE /items/{id} (deleteItem) at /paths/~1items~1{id}/delete (previous version) — operation DELETE /items/{id} was removed"
        );
        assert_eq!(
            change_line(&json!({"id": "info-changed", "level": "info", "new": {"pointer": ""}})),
            "info info-changed at (root)"
        );
    }

    #[test]
    fn published_versions_list_their_changes() {
        let record = json!({
            "api": "inventory", "version": "1.3.0", "lifecycle": "published",
            "lint": {"errors": 0, "warnings": 1}
        });
        let answer = json!({
            "version": record, "changes": [change()], "required_bump": "minor", "previous": "1.2.0"
        });
        assert_eq!(
            published("inventory", &answer),
            "published inventory 1.3.0 (previous 1.2.0, required bump minor, lint: 0 errors, 1 warning)\n\
             \x20 info operation-added POST /items (createItem) at /paths/~1items/post (line 40) — operation POST /items was added\n"
        );
        assert_eq!(
            published(
                "inventory",
                &json!({"version": record, "changes": [], "previous": null})
            ),
            "published inventory 1.3.0 (the first version, lint: 0 errors, 1 warning)\n"
        );
        assert_eq!(
            published("inventory", &record),
            "published inventory 1.3.0 (lint: 0 errors, 1 warning)\n"
        );
        assert_eq!(
            drafted("inventory", &record),
            "drafted inventory 1.3.0 (lint: 0 errors, 1 warning)\n"
        );
        assert_eq!(drafted("inventory", &json!({})), "drafted inventory -\n");
    }

    #[test]
    fn version_tables_show_lifecycle_sunset_and_successor() {
        let rows = [
            json!({"api": "inventory", "version": "1.0.0", "lifecycle": "deprecated",
                   "sunset": "2027-03-31", "successor": "2.0.0", "deprecated_on": "2026-12-01"}),
            json!({"api": "inventory", "version": "2.0.0", "lifecycle": "published",
                   "sunset": null, "successor": null}),
        ]
        .iter()
        .map(|record| version_row("inventory", record))
        .collect::<Vec<_>>();
        assert_eq!(
            table(&VERSION_COLUMNS, &rows),
            "API        VERSION  LIFECYCLE   SUNSET      SUCCESSOR\n\
             inventory  1.0.0    deprecated  2027-03-31  2.0.0\n\
             inventory  2.0.0    published   -           -\n"
        );
    }
}
