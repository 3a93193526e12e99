//! Breaking-change detection between two versions of a contract.
//!
//! [`diff`] pairs the operations of both versions by method and path shape
//! (`/orders/{id}` and `/orders/{orderId}` are the same route), reports
//! operations added and removed, and compares each pair: operationId and
//! deprecation ([`crate::deprecation`]), parameters, request body,
//! responses and security. Schemas are compared semantically and in the
//! direction they travel ([`schema`]). Each [`Change`] names its operation
//! and the JSON pointer of the node in each document; within an operation a
//! change reported twice at the same pointers is kept once.

mod bodies;
mod parameters;
mod schema;
mod security;

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use self::schema::Comparator;
use crate::change::{Change, Impact, OperationRef};
use crate::deprecation::{self, DeprecationPolicy, Marks};
use crate::model::{Contract, Operation};
use crate::{pointer, template};

/// How to judge the changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DiffOptions {
    /// The deprecation rules: today's date, minimum notice, violation level.
    pub deprecation: DeprecationPolicy,
}

/// Every change from `old` to `new`, operation by operation: operations of
/// the new version in document order, then the removed ones.
pub fn diff(old: &Contract, new: &Contract, options: &DiffOptions) -> Vec<Change> {
    let mut differ = Differ {
        old: &old.document,
        new: &new.document,
        policy: &options.deprecation,
        schemas: Comparator::new(&old.document, &new.document, &options.deprecation),
    };
    let route = |op: &Operation| (op.method, template::shape(&op.path));
    let old_by_route: HashMap<_, &Operation> =
        old.operations.iter().map(|op| (route(op), op)).collect();
    let mut matched = HashSet::new();
    let mut changes = Vec::new();
    for new_op in &new.operations {
        let mut sink = Sink::new(OperationRef::of(new_op));
        match old_by_route.get(&route(new_op)) {
            Some(old_op) => {
                matched.insert(route(old_op));
                differ.operation(old_op, new_op, &mut sink);
            }
            None => sink.push(
                "operation-added".into(),
                Impact::ADDITION,
                None,
                Some(&new_op.pointer),
                format!("{} {} was added", new_op.method, new_op.path),
            ),
        }
        changes.extend(sink.changes);
    }
    for old_op in old
        .operations
        .iter()
        .filter(|op| !matched.contains(&route(op)))
    {
        let mut sink = Sink::new(OperationRef::of(old_op));
        let marks =
            Marks::of(pointer::resolve(differ.old, &old_op.pointer).unwrap_or(&Value::Null));
        let outcome = deprecation::removal(&marks, differ.policy);
        sink.push(
            format!("operation-{}", outcome.suffix),
            Impact::new(outcome.level, outcome.bump),
            Some(&old_op.pointer),
            None,
            format!("{} {} {}", old_op.method, old_op.path, outcome.describe()),
        );
        changes.extend(sink.changes);
    }
    changes
}

/// The changes of one operation, without repeats.
pub(crate) struct Sink {
    operation: OperationRef,
    changes: Vec<Change>,
    seen: HashSet<(String, Option<String>, Option<String>)>,
}

impl Sink {
    fn new(operation: OperationRef) -> Self {
        Self {
            operation,
            changes: Vec::new(),
            seen: HashSet::new(),
        }
    }

    /// Records a change unless the same id was recorded at the same pointers.
    pub(crate) fn push(
        &mut self,
        id: String,
        impact: Impact,
        old_pointer: Option<&str>,
        new_pointer: Option<&str>,
        message: String,
    ) {
        let old_pointer = old_pointer.map(str::to_owned);
        let new_pointer = new_pointer.map(str::to_owned);
        if !self
            .seen
            .insert((id.clone(), old_pointer.clone(), new_pointer.clone()))
        {
            return;
        }
        self.changes.push(Change {
            id,
            level: impact.level,
            bump: impact.bump,
            operation: self.operation.clone(),
            old_pointer,
            new_pointer,
            message,
        });
    }
}

/// Both documents and the shared schema comparator.
pub(crate) struct Differ<'a> {
    old: &'a Value,
    new: &'a Value,
    policy: &'a DeprecationPolicy,
    schemas: Comparator<'a>,
}

impl Differ<'_> {
    fn operation(&mut self, old: &Operation, new: &Operation, sink: &mut Sink) {
        if old.operation_id != new.operation_id {
            sink.push(
                "operation-id-changed".into(),
                Impact::WARNING,
                Some(&pointer::child(&old.pointer, "operationId")),
                Some(&pointer::child(&new.pointer, "operationId")),
                format!(
                    "operationId changed from `{}` to `{}`: generated clients rename their method",
                    old.operation_id, new.operation_id
                ),
            );
        }
        let marks = |document: &Value, at: &str| {
            Marks::of(pointer::resolve(document, at).unwrap_or(&Value::Null))
        };
        let (old_marks, new_marks) = (marks(self.old, &old.pointer), marks(self.new, &new.pointer));
        for outcome in deprecation::transition(&old_marks, &new_marks, self.policy) {
            sink.push(
                format!("operation-{}", outcome.suffix),
                Impact::new(outcome.level, outcome.bump),
                Some(&old.pointer),
                Some(&new.pointer),
                format!("{} {} {}", new.method, new.path, outcome.describe()),
            );
        }
        parameters::compare(self, old, new, sink);
        bodies::request(self, old, new, sink);
        bodies::responses(self, old, new, sink);
        security::compare(self, old, new, sink);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::change::Level;
    use crate::deprecation::Date;

    const HEAD: &str = "openapi: 3.0.3\ninfo: {title: T, version: 1.0.0}\nx-canongate: {domain: order, owner-team: commerce, system-of-record: erp}\n";

    fn contract(rest: &str) -> Contract {
        crate::load_bytes("t.yaml", format!("{HEAD}{rest}").as_bytes())
            .unwrap_or_else(|error| panic!("{error}"))
    }

    fn changes(old: &str, new: &str) -> Vec<(String, Level)> {
        let options = DiffOptions {
            deprecation: DeprecationPolicy {
                today: Date::parse("2026-06-01").expect("date"),
                ..DeprecationPolicy::default()
            },
        };
        diff(&contract(old), &contract(new), &options)
            .into_iter()
            .map(|change| (change.id, change.level))
            .collect()
    }

    const ORDERS: &str = "paths:\n  /orders/{id}:\n    get:\n      operationId: getOrder\n      parameters: [{name: id, in: path, required: true, schema: {type: string}}]\n      responses: {'200': {description: ok}}\n";

    #[test]
    fn renamed_path_variables_keep_the_operation() {
        let renamed = ORDERS
            .replace("{id}", "{orderId}")
            .replace("name: id", "name: orderId");
        assert_eq!(
            changes(ORDERS, &renamed),
            [("request-parameter-renamed".to_owned(), Level::Info)]
        );
    }

    #[test]
    fn removed_and_added_operations() {
        let moved = ORDERS.replace("/orders/{id}", "/sales-orders/{id}");
        assert_eq!(
            changes(ORDERS, &moved),
            [
                ("operation-added".to_owned(), Level::Info),
                ("operation-removed".to_owned(), Level::Breaking)
            ]
        );
    }

    #[test]
    fn a_contract_has_no_changes_against_itself() {
        for (name, text) in crate::canonical::ALL {
            let contract = crate::load_bytes(name, text.as_bytes()).expect("canonical");
            let found = diff(&contract, &contract, &DiffOptions::default());
            assert!(found.is_empty(), "{name}: {found:?}");
        }
    }
}
