//! The generic in-memory collection engine behind every simulated resource.
//!
//! A [`Collection`] holds JSON object records keyed by their `id` under one
//! `RwLock`. It lists them in the resource's order with cursor pagination and
//! filters, reads one, creates (server-assigned uuid, timestamps,
//! `Idempotency-Key` replay), updates with JSON Merge Patch under `If-Match`
//! optimistic concurrency, and applies named actions. What differs between
//! resources is supplied by their [`Rules`].

use std::collections::{HashMap, HashSet};
use std::sync::{PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use serde_json::{Map, Value, json};

use crate::clock;
use crate::error::Error;
use crate::idempotency::Replays;
use crate::ident;
use crate::merge_patch;
use crate::query::{self, ListQuery, Position};
use crate::rules::{Action, Rules};

/// One record: a JSON object.
pub type Record = Map<String, Value>;

/// Fields every record carries and only the server sets.
const SERVER_FIELDS: [&str; 3] = ["id", "created_at", "updated_at"];

/// A record as returned to a client, with its ETag.
#[derive(Debug, Clone, PartialEq)]
pub struct Stored {
    /// The record.
    pub record: Record,
    /// Its strong ETag, quoted.
    pub etag: String,
}

/// One page of a list.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    /// The records on this page.
    pub items: Vec<Record>,
    /// The cursor of the next page; `None` on the last page.
    pub next_cursor: Option<String>,
}

/// An in-memory collection of records.
pub struct Collection {
    rules: &'static dyn Rules,
    state: RwLock<State>,
}

#[derive(Debug, Default)]
struct State {
    records: HashMap<String, Stored>,
    fields: HashSet<String>,
    replays: Replays<Stored>,
}

impl Collection {
    /// An empty collection behaving as `rules` say.
    pub fn new(rules: &'static dyn Rules) -> Self {
        Self {
            rules,
            state: RwLock::new(State::default()),
        }
    }

    /// The rules this collection follows.
    pub fn rules(&self) -> &'static dyn Rules {
        self.rules
    }

    /// Adds a complete record (seed data) as it is, apart from derived fields.
    pub fn seed(&self, record: Value) -> Result<(), Error> {
        let Value::Object(mut record) = record else {
            return Err(Error::InvalidBody("a record must be a JSON object".into()));
        };
        let Some(id) = record.get("id").and_then(Value::as_str).map(str::to_owned) else {
            return Err(Error::InvalidBody("a record needs a string `id`".into()));
        };
        self.rules.derive(&mut record);
        let mut state = self.write();
        if state.records.contains_key(&id) {
            return Err(Error::Conflict(format!("duplicate id `{id}`")));
        }
        state.check_conflicts(self.rules, &record, &id)?;
        state.put(id, record);
        Ok(())
    }

    /// A page of records matching `params` (`limit`, `cursor`, filters).
    pub fn list(&self, params: &[(String, String)]) -> Result<Page, Error> {
        let query = ListQuery::parse(params)?;
        let order = self.rules.order();
        let state = self.read();
        let mut matches: Vec<(Position, &Record)> = state
            .records
            .iter()
            .map(|(id, stored)| (order.position(id, &stored.record), &stored.record))
            .filter(|(at, record)| {
                query
                    .after
                    .as_ref()
                    .is_none_or(|after| order.compare(after, at).is_lt())
                    && query
                        .filters
                        .iter()
                        .all(|(param, value)| state.matches(self.rules, record, param, value))
            })
            .collect();
        matches.sort_unstable_by(|(a, _), (b, _)| order.compare(a, b));
        let next_cursor =
            (matches.len() > query.limit).then(|| matches[query.limit - 1].0.to_cursor());
        matches.truncate(query.limit);
        Ok(Page {
            items: matches
                .into_iter()
                .map(|(_, record)| record.clone())
                .collect(),
            next_cursor,
        })
    }

    /// The record with `id`.
    pub fn get(&self, id: &str) -> Result<Stored, Error> {
        self.read().stored(id)
    }

    /// Creates a record from `body`, replaying the first result for a repeated
    /// `idempotency_key`.
    pub fn create(&self, body: &Value, idempotency_key: Option<&str>) -> Result<Stored, Error> {
        if self.rules.create_requires_idempotency_key() && idempotency_key.is_none() {
            return Err(Error::IdempotencyKeyRequired);
        }
        let members = writable_members(body, &[self.rules.read_only()])?;
        let fingerprint = json!({ "create": body });
        let mut state = self.write();
        if let Some(stored) = replay(&state, idempotency_key, &fingerprint)? {
            return Ok(stored);
        }
        let id = ident::new_uuid();
        let now = clock::now_rfc3339();
        let mut record = Record::new();
        record.insert("id".into(), Value::String(id.clone()));
        record.extend(members.clone());
        self.rules.on_create(&mut record, &now);
        record.insert("created_at".into(), Value::String(now.clone()));
        record.insert("updated_at".into(), Value::String(now));
        self.rules.derive(&mut record);
        state.check_conflicts(self.rules, &record, &id)?;
        let stored = state.put(id, record);
        if let Some(key) = idempotency_key {
            state.replays.remember(key, fingerprint, stored.clone());
        }
        Ok(stored)
    }

    /// Applies a JSON Merge Patch to the record with `id` if `if_match` names
    /// its current ETag.
    pub fn update(&self, id: &str, patch: &Value, if_match: Option<&str>) -> Result<Stored, Error> {
        writable_members(patch, &[self.rules.read_only(), self.rules.immutable()])?;
        let if_match = if_match.ok_or(Error::PreconditionRequired)?;
        let mut state = self.write();
        let before = state.current(id, Some(if_match))?;
        let mut after = Value::Object(before.clone());
        merge_patch::apply(&mut after, patch);
        let Value::Object(mut after) = after else {
            return Err(Error::InvalidBody(
                "a merge patch must be a JSON object".into(),
            ));
        };
        let now = clock::now_rfc3339();
        self.rules.on_update(&before, &mut after, &now)?;
        self.commit(&mut state, id, after, now)
    }

    /// Applies `action` to the record with `id`, honouring `If-Match` when sent
    /// and replaying the first result for a repeated `idempotency_key`.
    pub fn act(
        &self,
        action: &Action,
        id: &str,
        body: &Value,
        idempotency_key: Option<&str>,
        if_match: Option<&str>,
    ) -> Result<Stored, Error> {
        if action.requires_idempotency_key && idempotency_key.is_none() {
            return Err(Error::IdempotencyKeyRequired);
        }
        let fingerprint = json!({ "action": action.name, "id": id, "body": body });
        let mut state = self.write();
        if let Some(stored) = replay(&state, idempotency_key, &fingerprint)? {
            return Ok(stored);
        }
        let before = state.current(id, if_match)?;
        let mut after = before.clone();
        let now = clock::now_rfc3339();
        (action.apply)(&mut after, body, &now)?;
        let stored = if after == before {
            state.stored(id)?
        } else {
            self.commit(&mut state, id, after, now)?
        };
        if let Some(key) = idempotency_key {
            state.replays.remember(key, fingerprint, stored.clone());
        }
        Ok(stored)
    }

    /// Stamps, derives, checks and stores a changed version of record `id`.
    fn commit(
        &self,
        state: &mut State,
        id: &str,
        mut record: Record,
        now: String,
    ) -> Result<Stored, Error> {
        record.insert("updated_at".into(), Value::String(now));
        self.rules.derive(&mut record);
        state.check_conflicts(self.rules, &record, id)?;
        Ok(state.put(id.to_owned(), record))
    }

    fn read(&self) -> RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(PoisonError::into_inner)
    }
}

impl State {
    /// Record `id` as stored.
    fn stored(&self, id: &str) -> Result<Stored, Error> {
        self.records
            .get(id)
            .cloned()
            .ok_or_else(|| Error::NotFound(id.to_owned()))
    }

    /// A copy of record `id`, after checking `if_match` against its ETag.
    fn current(&self, id: &str, if_match: Option<&str>) -> Result<Record, Error> {
        let stored = self
            .records
            .get(id)
            .ok_or_else(|| Error::NotFound(id.to_owned()))?;
        if let Some(sent) = if_match
            && !etag_matches(sent, &stored.etag)
        {
            return Err(Error::PreconditionFailed {
                sent: sent.to_owned(),
                current: stored.etag.clone(),
            });
        }
        Ok(stored.record.clone())
    }

    /// Refuses `record` (with `id`) when it conflicts with another record.
    fn check_conflicts(&self, rules: &dyn Rules, record: &Record, id: &str) -> Result<(), Error> {
        let clash = self
            .records
            .iter()
            .filter(|(other_id, _)| other_id.as_str() != id)
            .find_map(|(_, other)| rules.conflict(record, &other.record));
        clash.map_or(Ok(()), |reason| Err(Error::Conflict(reason)))
    }

    /// Whether `record` passes filter `param=value`.
    fn matches(&self, rules: &dyn Rules, record: &Record, param: &str, value: &str) -> bool {
        rules
            .matches(record, param, value)
            .unwrap_or_else(|| query::generic_match(record, &self.fields, param, value))
    }

    fn put(&mut self, id: String, record: Record) -> Stored {
        self.fields.extend(record.keys().cloned());
        let stored = Stored {
            etag: ident::etag_of(&record),
            record,
        };
        self.records.insert(id, stored.clone());
        stored
    }
}

/// The members of a create or patch body, refusing server-owned fields.
fn writable_members<'a>(
    body: &'a Value,
    protected: &[&[&'static str]],
) -> Result<&'a Record, Error> {
    let Value::Object(members) = body else {
        return Err(Error::InvalidBody("expected a JSON object".into()));
    };
    let refused = SERVER_FIELDS
        .iter()
        .chain(protected.iter().flat_map(|fields| fields.iter()))
        .find(|field| members.contains_key(**field));
    match refused {
        Some(field) => Err(Error::InvalidBody(format!(
            "`{field}` cannot be set by a client"
        ))),
        None => Ok(members),
    }
}

/// The remembered result for `key`, if one was sent and used before.
fn replay(state: &State, key: Option<&str>, fingerprint: &Value) -> Result<Option<Stored>, Error> {
    match key {
        Some(key) => state.replays.replay(key, fingerprint),
        None => Ok(None),
    }
}

/// `If-Match` semantics (RFC 9110 13.1.1): `*` or a list holding the ETag.
fn etag_matches(if_match: &str, etag: &str) -> bool {
    if_match
        .split(',')
        .map(str::trim)
        .any(|candidate| candidate == "*" || candidate == etag)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cancel(record: &mut Record, _: &Value, now: &str) -> Result<(), Error> {
        match record.get("status").and_then(Value::as_str) {
            Some("open") => {
                record.insert("status".into(), json!("cancelled"));
                record.insert("cancelled_at".into(), json!(now));
                Ok(())
            }
            state => Err(Error::TransitionNotAllowed {
                action: "cancellation".into(),
                field: "status".into(),
                state: state.unwrap_or_default().into(),
            }),
        }
    }

    static CANCEL: Action = Action {
        name: "cancellation",
        apply: cancel,
        requires_idempotency_key: false,
    };

    static NOOP: Action = Action {
        name: "noop",
        apply: |_, _, _| Ok(()),
        requires_idempotency_key: false,
    };

    static KEYED_CANCEL: Action = Action {
        name: "cancellation",
        apply: cancel,
        requires_idempotency_key: true,
    };

    /// Records with a unique `code`, a computed `total = a + b`, and a
    /// `status` that may not go back to `open` once `closed`.
    struct Test;

    impl Rules for Test {
        fn read_only(&self) -> &'static [&'static str] {
            &["total"]
        }

        fn immutable(&self) -> &'static [&'static str] {
            &["code"]
        }

        fn on_create(&self, record: &mut Record, _now: &str) {
            record.entry("status").or_insert(json!("open"));
        }

        fn derive(&self, record: &mut Record) {
            let sum = ["a", "b"]
                .iter()
                .filter_map(|field| record.get(*field).and_then(Value::as_i64))
                .sum::<i64>();
            record.insert("total".into(), json!(sum));
        }

        fn on_update(&self, before: &Record, after: &mut Record, _now: &str) -> Result<(), Error> {
            if before.get("status") == Some(&json!("closed"))
                && after.get("status") == Some(&json!("open"))
            {
                return Err(Error::Conflict("a closed record stays closed".into()));
            }
            Ok(())
        }

        fn conflict(&self, record: &Record, other: &Record) -> Option<String> {
            (record.get("code") == other.get("code")).then(|| "duplicate code".into())
        }
    }

    fn collection(n: usize) -> Collection {
        let collection = Collection::new(&Test);
        for i in 0..n {
            collection
                .seed(json!({
                    "id": format!("id-{i:03}"),
                    "code": format!("C{i}"),
                    "kind": if i % 2 == 0 { "even" } else { "odd" },
                    "a": i, "b": 1, "status": "open",
                    "created_at": "2025-01-01T00:00:00Z",
                    "updated_at": format!("2025-01-{:02}T00:00:00Z", 1 + i % 28),
                }))
                .unwrap();
        }
        collection
    }

    fn pairs(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect()
    }

    #[test]
    fn seeds_derive_and_refuse_duplicates() {
        let collection = collection(3);
        assert_eq!(collection.get("id-002").unwrap().record["total"], json!(3));
        let duplicate = json!({"id": "id-000", "code": "X"});
        assert!(matches!(
            collection.seed(duplicate),
            Err(Error::Conflict(_))
        ));
        let same_code = json!({"id": "new", "code": "C1"});
        assert!(matches!(
            collection.seed(same_code),
            Err(Error::Conflict(_))
        ));
        assert!(collection.seed(json!({"code": "Y"})).is_err());
    }

    #[test]
    fn pages_cover_every_match_once_newest_first() {
        let collection = collection(75);
        let mut seen = Vec::new();
        let mut cursor = None;
        loop {
            let mut params = pairs(&[("limit", "7"), ("kind", "odd")]);
            if let Some(cursor) = cursor.take() {
                params.push(("cursor".into(), cursor));
            }
            let page = collection.list(&params).unwrap();
            seen.extend(page.items);
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        assert_eq!(seen.len(), 37);
        let mut ids: Vec<&str> = seen.iter().map(|r| r["id"].as_str().unwrap()).collect();
        let stamps: Vec<&str> = seen
            .iter()
            .map(|r| r["updated_at"].as_str().unwrap())
            .collect();
        assert!(stamps.windows(2).all(|w| w[0] >= w[1]));
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), 37);
    }

    #[test]
    fn create_assigns_server_fields_and_replays() {
        let collection = collection(0);
        let body = json!({"code": "N1", "a": 5});
        let first = collection.create(&body, Some("key-1")).unwrap();
        let record = &first.record;
        assert_eq!(record["status"], json!("open"));
        assert_eq!(record["total"], json!(5));
        assert_eq!(record["created_at"], record["updated_at"]);
        let again = collection.create(&body, Some("key-1")).unwrap();
        assert_eq!(again, first);
        let other = collection.create(&json!({"code": "N2"}), Some("key-1"));
        assert_eq!(other.unwrap_err().kind(), "idempotency-key-reused");
        let clash = collection.create(&json!({"code": "N1"}), None);
        assert_eq!(clash.unwrap_err().kind(), "conflict");
        let read_only = collection.create(&json!({"code": "N3", "total": 1}), None);
        assert_eq!(read_only.unwrap_err().kind(), "invalid-body");
        assert_eq!(
            collection.create(&json!([1]), None).unwrap_err().kind(),
            "invalid-body"
        );
    }

    #[test]
    fn update_needs_the_current_etag() {
        let collection = collection(1);
        let etag = collection.get("id-000").unwrap().etag;
        let patch = json!({"a": 10, "status": "closed"});
        assert_eq!(
            collection.update("id-000", &patch, None),
            Err(Error::PreconditionRequired)
        );
        let updated = collection.update("id-000", &patch, Some(&etag)).unwrap();
        assert_eq!(updated.record["total"], json!(11));
        assert_eq!(updated.record["status"], json!("closed"));
        assert_ne!(updated.etag, etag);
        let reopen = collection.update("id-000", &json!({"status": "open"}), Some("*"));
        assert_eq!(reopen.unwrap_err().kind(), "conflict");
        let removed = collection.update("id-000", &json!({"b": null}), Some(&updated.etag));
        assert!(removed.unwrap().record.get("b").is_none());
        let stale = collection
            .update("id-000", &patch, Some(&etag))
            .unwrap_err();
        assert_eq!(stale.kind(), "precondition-failed");
        let immutable = collection.update("id-000", &json!({"code": "Z"}), Some("*"));
        assert_eq!(immutable.unwrap_err().kind(), "invalid-body");
        let missing = collection.update("nope", &patch, Some("*")).unwrap_err();
        assert_eq!(missing, Error::NotFound("nope".into()));
    }

    #[test]
    fn actions_transition_once() {
        let collection = collection(1);
        let done = collection
            .act(&CANCEL, "id-000", &json!({}), None, None)
            .unwrap();
        assert_eq!(done.record["status"], json!("cancelled"));
        let closed = collection.get("id-000").unwrap();
        let etag = closed.etag.clone();
        let reopen = collection.update("id-000", &json!({"status": "open"}), Some(&etag));
        assert!(reopen.is_ok());
        let again = collection.act(&CANCEL, "id-000", &json!({}), None, None);
        assert!(again.is_ok());
        let unchanged = collection
            .act(&NOOP, "id-000", &json!({}), None, None)
            .unwrap();
        assert_eq!(unchanged.etag, collection.get("id-000").unwrap().etag);
        let refused = collection.act(&CANCEL, "id-000", &json!({}), None, None);
        assert_eq!(refused.unwrap_err().kind(), "transition-not-allowed");
        let stale = collection.act(&CANCEL, "id-000", &json!({}), None, Some("\"x\""));
        assert_eq!(stale.unwrap_err().kind(), "precondition-failed");
    }

    #[test]
    fn keyed_actions_require_and_replay_keys() {
        let collection = collection(1);
        let missing = collection.act(&KEYED_CANCEL, "id-000", &json!({}), None, None);
        assert_eq!(missing, Err(Error::IdempotencyKeyRequired));
        let first = collection
            .act(&KEYED_CANCEL, "id-000", &json!({}), Some("k"), None)
            .unwrap();
        let replay = collection
            .act(&KEYED_CANCEL, "id-000", &json!({}), Some("k"), None)
            .unwrap();
        assert_eq!(replay, first);
    }
}
