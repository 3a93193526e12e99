//! The operations every named resource of the admin API has, as consumers and tiers use them:
//! `list`, `show NAME`, `apply NAME --file FILE` and `delete NAME`.
//!
//! `list` follows every page of `GET /{kind}` and prints a table: the name, then the kind's own
//! columns ([`Kind::columns`]). `show` prints the spec as YAML under a `# <kind> <name>` comment,
//! so its output is a valid file for `apply`. `apply` reads the spec file (YAML or JSON), then
//! `GET`s the resource: when it exists and its spec differs, `PUT {"name", "spec"}` with the
//! `If-Match` of that read (a change made in between is refused with 412, never overwritten);
//! when it is equal nothing is written; when it is not found, `POST {"name", "spec"}`. The
//! control plane stores specs with their defaults filled in, so the file's spec is compared in
//! that form ([`Kind::normalize`]).

use std::path::PathBuf;

use clap::Subcommand;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::client::Client;
use super::{Done, Failure, Remote, cell, read_spec, table};

/// The commands of a named resource.
#[derive(Debug, Subcommand)]
pub enum NamedCommand {
    /// List every one, with its main fields.
    List {
        #[command(flatten)]
        remote: Remote,
    },
    /// Show one: its spec as YAML (a valid file for `apply`), or its record with --format json.
    Show {
        /// Its name.
        name: String,
        #[command(flatten)]
        remote: Remote,
    },
    /// Create one from a spec file, or replace the spec of the existing one.
    Apply {
        /// Its name.
        name: String,
        /// The spec (YAML or JSON).
        #[arg(long, value_name = "FILE")]
        file: PathBuf,
        #[command(flatten)]
        remote: Remote,
    },
    /// Delete one.
    Delete {
        /// Its name.
        name: String,
        #[command(flatten)]
        remote: Remote,
    },
}

impl NamedCommand {
    /// The control plane the command talks to.
    pub(super) fn remote(&self) -> &Remote {
        match self {
            NamedCommand::List { remote }
            | NamedCommand::Show { remote, .. }
            | NamedCommand::Apply { remote, .. }
            | NamedCommand::Delete { remote, .. } => remote,
        }
    }
}

/// A kind of named resource.
#[derive(Debug)]
pub(super) struct Kind {
    /// Its collection in the admin API, e.g. `consumers`.
    pub path: &'static str,
    /// What one is called in messages, e.g. `consumer`.
    pub noun: &'static str,
    /// The columns of `list` after the name.
    pub columns: &'static [Column],
    /// A spec as the control plane stores it (see [`normalized`]).
    pub normalize: fn(&Value) -> Option<Value>,
}

/// `spec` decoded as `T` and re-encoded with `T`'s defaults filled in, as the control plane
/// stores it; `None` when it does not decode (the control plane refuses it, naming the field).
pub(super) fn normalized<T: DeserializeOwned + Serialize>(spec: &Value) -> Option<Value> {
    let typed: T = serde_json::from_value(spec.clone()).ok()?;
    serde_json::to_value(typed).ok()
}

/// A column of a `list` table.
#[derive(Debug)]
pub(super) struct Column {
    /// The header.
    pub header: &'static str,
    /// The cell of an item (`{"name", "spec"}`).
    pub cell: fn(&Value) -> String,
}

/// Runs `command` on resources of `kind`.
pub(super) fn run(client: &Client, kind: &Kind, command: &NamedCommand) -> Result<Done, Failure> {
    match command {
        NamedCommand::List { .. } => {
            let items = client.list(&[kind.path])?;
            Ok(Done {
                text: list_table(kind, &items),
                json: Value::Array(items),
            })
        }
        NamedCommand::Show { name, .. } => {
            let reply = client.get(&[kind.path, name])?;
            Ok(Done {
                text: show_text(kind, name, &reply.body)?,
                json: reply.body,
            })
        }
        NamedCommand::Apply { name, file, .. } => apply(client, kind, name, &read_spec(file)?),
        NamedCommand::Delete { name, .. } => {
            let reply = client.delete(&[kind.path, name])?;
            Ok(Done {
                text: format!("deleted {} {name}\n", kind.noun),
                json: reply.body,
            })
        }
    }
}

fn apply(client: &Client, kind: &Kind, name: &str, spec: &Value) -> Result<Done, Failure> {
    let body = json!({"name": name, "spec": spec});
    let stored = (kind.normalize)(spec);
    let (done, reply) = match client.get(&[kind.path, name]) {
        Ok(current) if stored.is_some() && current.body.get("spec") == stored.as_ref() => {
            ("unchanged", current)
        }
        Ok(current) => {
            let path = [kind.path, name];
            let reply = client.put(&path, Some(&body), current.etag.as_deref())?;
            ("updated", reply)
        }
        Err(Failure::Refused(problem)) if problem.status == reqwest::StatusCode::NOT_FOUND => {
            ("created", client.post(&[kind.path], &body)?)
        }
        Err(failure) => return Err(failure),
    };
    Ok(Done {
        text: format!("{done} {} {name}\n", kind.noun),
        json: reply.body,
    })
}

/// `NAME` and the kind's columns, one row per item.
fn list_table(kind: &Kind, items: &[Value]) -> String {
    let headers: Vec<&str> = std::iter::once("NAME")
        .chain(kind.columns.iter().map(|column| column.header))
        .collect();
    let rows: Vec<Vec<String>> = items
        .iter()
        .map(|item| {
            std::iter::once(cell(item.get("name")))
                .chain(kind.columns.iter().map(|column| (column.cell)(item)))
                .collect()
        })
        .collect();
    table(&headers, &rows)
}

/// `# <kind> <name>` and the record's spec as YAML.
fn show_text(kind: &Kind, name: &str, record: &Value) -> Result<String, Failure> {
    let spec = record.get("spec").unwrap_or(&Value::Null);
    let yaml = serde_norway::to_string(spec).map_err(|error| {
        Failure::Unusable(format!(
            "the {} {name} cannot be shown as YAML: {error}",
            kind.noun
        ))
    })?;
    Ok(format!("# {} {name}\n{yaml}", kind.noun))
}

#[cfg(test)]
mod tests {
    use super::*;

    const THINGS: Kind = Kind {
        path: "things",
        noun: "thing",
        columns: &[Column {
            header: "OWNER",
            cell: |item| cell(item.pointer("/spec/owner")),
        }],
        normalize: normalized::<Thing>,
    };

    #[derive(serde::Deserialize, Serialize)]
    #[serde(deny_unknown_fields)]
    struct Thing {
        owner: String,
        #[serde(default)]
        tags: Vec<String>,
    }

    #[test]
    fn specs_are_compared_with_their_defaults() {
        assert_eq!(
            (THINGS.normalize)(&json!({"owner": "commerce"})),
            Some(json!({"owner": "commerce", "tags": []}))
        );
        assert_eq!((THINGS.normalize)(&json!({"owner": 1})), None);
        assert_eq!((THINGS.normalize)(&json!({"owner": "a", "x": 1})), None);
    }

    #[test]
    fn lists_names_and_columns() {
        let items = [
            json!({"name": "first", "spec": {"owner": "commerce"}}),
            json!({"name": "second-thing", "spec": {}}),
        ];
        assert_eq!(
            list_table(&THINGS, &items),
            "NAME          OWNER\nfirst         commerce\nsecond-thing  -\n"
        );
    }

    #[test]
    fn shows_specs_as_yaml_files() {
        let record = json!({"name": "first", "spec": {"owner": "commerce", "tags": ["a", "b"]}});
        let text = show_text(&THINGS, "first", &record).expect("YAML");
        assert_eq!(text, "# thing first\nowner: commerce\ntags:\n- a\n- b\n");
        let spec: Value = serde_norway::from_str(&text).expect("a valid spec file");
        assert_eq!(spec, record["spec"]);
    }
}
