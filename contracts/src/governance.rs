//! The `x-canongate` governance block at the root of every canonical contract.
//!
//! ```yaml
//! x-canongate:
//!   domain: order                 # data domain the API belongs to
//!   owner-team: commerce          # team that owns the contract
//!   system-of-record: erp         # system that holds the truth for the domain
//!   writers: [shop]               # other systems allowed to write (optional)
//!   field-owners:                 # per-field system of record (optional)
//!     - {pointer: /shipping_address, system: shop}
//! ```
//!
//! The block is read strictly: unknown keys are problems, and every problem
//! in it is reported, not only the first.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::error::{ProblemKind, Problems};
use crate::pointer;

/// Key of the governance block.
pub const EXTENSION: &str = "x-canongate";

/// Ownership facts of a contract, from its `x-canongate` block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Governance {
    /// Data domain, e.g. `order`.
    pub domain: String,
    /// Team that owns the contract.
    pub owner_team: String,
    /// System that is the system of record for the domain.
    pub system_of_record: String,
    /// Other systems allowed to write through this API.
    pub writers: Vec<String>,
    /// Fields whose system of record differs from the domain's.
    pub field_owners: Vec<FieldOwner>,
}

/// One field whose system of record is not the domain's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldOwner {
    /// JSON pointer of the field in the resource representation, e.g. `/email`.
    pub pointer: String,
    /// The system that owns the field.
    pub system: String,
}

const KEYS: &str = "domain, owner-team, system-of-record, writers, field-owners";

/// Reads the governance block of `document`, pushing every problem found.
pub(crate) fn read(document: &Value, problems: &mut Problems) -> Option<Governance> {
    let Some(block) = document.get(EXTENSION) else {
        problems.push("", ProblemKind::MissingGovernance);
        return None;
    };
    let at = pointer::child("", EXTENSION);
    let Some(block) = block.as_object() else {
        problems.push(&at, invalid(EXTENSION, "must be a mapping"));
        return None;
    };
    let mut reader = Reader {
        at: &at,
        problems,
        valid: true,
    };
    for key in block.keys() {
        if !matches!(
            key.as_str(),
            "domain" | "owner-team" | "system-of-record" | "writers" | "field-owners"
        ) {
            let message = format!("unknown key; expected one of {KEYS}");
            reader.fail(&pointer::child(&at, key), key, &message);
        }
    }
    let domain = reader.required_name(block, "domain");
    let owner_team = reader.required_name(block, "owner-team");
    let system_of_record = reader.required_name(block, "system-of-record");
    let writers = reader.writers(block);
    let field_owners = reader.field_owners(block);
    if !reader.valid {
        return None;
    }
    Some(Governance {
        domain: domain?,
        owner_team: owner_team?,
        system_of_record: system_of_record?,
        writers,
        field_owners,
    })
}

fn invalid(field: &str, message: &str) -> ProblemKind {
    ProblemKind::InvalidGovernance {
        field: field.to_owned(),
        message: message.to_owned(),
    }
}

struct Reader<'a> {
    at: &'a str,
    problems: &'a mut Problems,
    valid: bool,
}

impl Reader<'_> {
    fn fail(&mut self, at: &str, field: &str, message: &str) {
        self.valid = false;
        self.problems.push(at, invalid(field, message));
    }

    /// A non-empty string; `at` locates it for messages.
    fn name(&mut self, value: &Value, at: &str, field: &str) -> Option<String> {
        match value.as_str().map(str::trim) {
            Some(name) if !name.is_empty() => Some(name.to_owned()),
            _ => {
                self.fail(at, field, "must be a non-empty string");
                None
            }
        }
    }

    fn required_name(&mut self, block: &Map<String, Value>, key: &str) -> Option<String> {
        match block.get(key) {
            Some(value) => self.name(value, &pointer::child(self.at, key), key),
            None => {
                let at = self.at.to_owned();
                self.fail(&at, key, "is required");
                None
            }
        }
    }

    /// The optional sequence under `key`, with the pointer of each element.
    fn list<'v>(&mut self, block: &'v Map<String, Value>, key: &str) -> Vec<(String, &'v Value)> {
        let at = pointer::child(self.at, key);
        match block.get(key) {
            None => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(index, item)| (pointer::index(&at, index), item))
                .collect(),
            Some(_) => {
                self.fail(&at, key, "must be a sequence");
                Vec::new()
            }
        }
    }

    fn writers(&mut self, block: &Map<String, Value>) -> Vec<String> {
        self.list(block, "writers")
            .into_iter()
            .filter_map(|(at, item)| self.name(item, &at, "writers"))
            .collect()
    }

    fn field_owners(&mut self, block: &Map<String, Value>) -> Vec<FieldOwner> {
        let mut owners = Vec::new();
        for (at, item) in self.list(block, "field-owners") {
            let Some(entry) = item.as_object() else {
                self.fail(
                    &at,
                    "field-owners",
                    "each entry must be a mapping with `pointer` and `system`",
                );
                continue;
            };
            for key in entry
                .keys()
                .filter(|key| !matches!(key.as_str(), "pointer" | "system"))
            {
                let message =
                    format!("unknown key `{key}` in a field owner; expected pointer, system");
                self.fail(&pointer::child(&at, key), "field-owners", &message);
            }
            let field_pointer = match entry.get("pointer").map(|value| (value, value.as_str())) {
                Some((_, Some(text))) if pointer::is_valid(text) => Some(text.to_owned()),
                Some(_) => {
                    let message = "`pointer` must be a JSON pointer starting with `/`";
                    self.fail(&pointer::child(&at, "pointer"), "field-owners", message);
                    None
                }
                None => {
                    self.fail(&at, "field-owners", "`pointer` is required");
                    None
                }
            };
            let system = match entry.get("system") {
                Some(value) => self.name(value, &pointer::child(&at, "system"), "field-owners"),
                None => {
                    self.fail(&at, "field-owners", "`system` is required");
                    None
                }
            };
            if let (Some(pointer), Some(system)) = (field_pointer, system) {
                owners.push(FieldOwner { pointer, system });
            }
        }
        owners
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read_block(block: Value) -> (Option<Governance>, Vec<(String, ProblemKind)>) {
        let mut problems = Problems::new("t");
        let governance = read(&json!({ "x-canongate": block }), &mut problems);
        let list = problems
            .finish(|_| None)
            .into_iter()
            .map(|p| (p.pointer, p.kind))
            .collect();
        (governance, list)
    }

    #[test]
    fn reads_a_complete_block() {
        let (governance, problems) = read_block(json!({
            "domain": "order",
            "owner-team": "commerce",
            "system-of-record": "erp",
            "writers": ["shop"],
            "field-owners": [{"pointer": "/shipping_address", "system": "shop"}]
        }));
        assert!(problems.is_empty(), "{problems:?}");
        let governance = governance.expect("valid");
        assert_eq!(governance.domain, "order");
        assert_eq!(governance.writers, ["shop"]);
        assert_eq!(
            governance.field_owners,
            [FieldOwner {
                pointer: "/shipping_address".into(),
                system: "shop".into()
            }]
        );
    }

    #[test]
    fn a_missing_block_is_reported() {
        let mut problems = Problems::new("t");
        assert!(read(&json!({"openapi": "3.0.3"}), &mut problems).is_none());
        assert_eq!(
            problems.finish(|_| None)[0].kind,
            ProblemKind::MissingGovernance
        );
    }

    #[test]
    fn reports_every_problem_of_the_block() {
        let (governance, problems) = read_block(json!({
            "domain": "",
            "owner_team": "x",
            "writers": "shop",
            "field-owners": [{"pointer": "email", "system": "crm", "why": 1}, 7]
        }));
        assert!(governance.is_none());
        let fields: Vec<(&str, String)> = problems
            .iter()
            .map(|(at, kind)| match kind {
                ProblemKind::InvalidGovernance { field, .. } => (at.as_str(), field.clone()),
                other => panic!("unexpected {other:?}"),
            })
            .collect();
        assert_eq!(
            fields,
            [
                ("/x-canongate/owner_team", "owner_team".to_owned()),
                ("/x-canongate/domain", "domain".to_owned()),
                ("/x-canongate", "owner-team".to_owned()),
                ("/x-canongate", "system-of-record".to_owned()),
                ("/x-canongate/writers", "writers".to_owned()),
                ("/x-canongate/field-owners/0/why", "field-owners".to_owned()),
                (
                    "/x-canongate/field-owners/0/pointer",
                    "field-owners".to_owned()
                ),
                ("/x-canongate/field-owners/1", "field-owners".to_owned()),
            ]
        );
    }

    #[test]
    fn the_block_must_be_a_mapping() {
        let (_, problems) = read_block(json!(["order"]));
        assert_eq!(problems[0].0, "/x-canongate");
    }
}
