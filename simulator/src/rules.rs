//! The [`Rules`] trait: everything that makes one kind of resource behave
//! differently from the others inside the generic collection engine (list
//! order, custom filters, server defaults, computed fields, allowed
//! transitions, natural-key conflicts, actions and read-only views). Every
//! method has a neutral default, so a resource states only what is special.
//! [`Lifecycle`] describes the allowed moves of a status field.

use serde_json::Value;

use crate::collection::Record;
use crate::error::Error;
use crate::query::Order;

/// Applies an action to a record, given the request body and the current time.
pub type ActionFn = fn(&mut Record, &Value, &str) -> Result<(), Error>;

/// A named state change of one record, served as `POST /{id}/{name}`.
#[derive(Debug)]
pub struct Action {
    /// The path segment after the record id, e.g. `cancellation`.
    pub name: &'static str,
    /// The change; refuses with an [`Error`] when the record's state forbids it.
    pub apply: ActionFn,
    /// Whether requests must carry an `Idempotency-Key`.
    pub requires_idempotency_key: bool,
}

/// A read-only projection of one record, served as `GET /{id}/{name}`.
#[derive(Debug)]
pub struct View {
    /// The path segment after the record id, e.g. `addresses`.
    pub name: &'static str,
    /// Builds the response body from the record.
    pub render: fn(&Record) -> Value,
}

/// Resource-specific behaviour of a collection.
pub trait Rules: Send + Sync {
    /// Computed fields a client may never send (beyond `id` and timestamps).
    fn read_only(&self) -> &'static [&'static str] {
        &[]
    }

    /// Fields set on create that a patch may not change.
    fn immutable(&self) -> &'static [&'static str] {
        &[]
    }

    /// Whether creating a record requires an `Idempotency-Key`.
    fn create_requires_idempotency_key(&self) -> bool {
        false
    }

    /// The order lists are returned in.
    fn order(&self) -> Order {
        Order::NewestFirst("updated_at")
    }

    /// Whether `record` passes filter `param=value`; `None` leaves the
    /// decision to the generic rule of [`crate::query`].
    fn matches(&self, _record: &Record, _param: &str, _value: &str) -> Option<bool> {
        None
    }

    /// Fills server defaults into a record being created at `now`.
    fn on_create(&self, _record: &mut Record, _now: &str) {}

    /// Recomputes derived fields after every write (and of seed records).
    fn derive(&self, _record: &mut Record) {}

    /// Checks and completes an update from `before` to `after` at `now`:
    /// refuses one that breaks a rule (such as an illegal status transition)
    /// and stamps what the change implies (such as a `delivered_at`).
    fn on_update(&self, _before: &Record, _after: &mut Record, _now: &str) -> Result<(), Error> {
        Ok(())
    }

    /// Why `record` cannot coexist with `other` (a shared natural key, an
    /// overlapping validity period), or `None` when it can.
    fn conflict(&self, _record: &Record, _other: &Record) -> Option<String> {
        None
    }

    /// The actions records accept.
    fn actions(&self) -> &'static [Action] {
        &[]
    }

    /// The read-only views of a record.
    fn views(&self) -> &'static [View] {
        &[]
    }
}

/// The allowed moves of a status field: the states that may follow each state.
#[derive(Debug)]
pub struct Lifecycle {
    /// The status field, e.g. `status`.
    pub field: &'static str,
    /// For each state, the states it may move to; a missing state is final.
    pub next: &'static [(&'static str, &'static [&'static str])],
}

impl Lifecycle {
    /// Refuses a change of the status field from `before` to `after` that is
    /// not an allowed move; keeping the same state is always allowed.
    pub fn check(&self, before: &Record, after: &Record) -> Result<(), Error> {
        let state = |record: &Record| {
            record
                .get(self.field)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        let (from, to) = (state(before), state(after));
        let allowed = from == to
            || self
                .next
                .iter()
                .any(|(state, next)| *state == from && next.contains(&to.as_str()));
        if allowed {
            return Ok(());
        }
        Err(Error::TransitionNotAllowed {
            action: format!("changing {} to `{to}`", self.field),
            field: self.field.to_owned(),
            state: from,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    static LIFECYCLE: Lifecycle = Lifecycle {
        field: "status",
        next: &[("draft", &["active"]), ("active", &["archived"])],
    };

    fn status(state: &str) -> Record {
        json!({ "status": state })
            .as_object()
            .cloned()
            .unwrap_or_default()
    }

    #[test]
    fn lifecycle_allows_listed_moves_only() {
        assert!(LIFECYCLE.check(&status("draft"), &status("active")).is_ok());
        assert!(
            LIFECYCLE
                .check(&status("archived"), &status("archived"))
                .is_ok()
        );
        let back = LIFECYCLE
            .check(&status("active"), &status("draft"))
            .unwrap_err();
        assert_eq!(back.kind(), "transition-not-allowed");
        assert!(
            LIFECYCLE
                .check(&status("archived"), &status("active"))
                .is_err()
        );
    }
}
