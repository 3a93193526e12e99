//! `Idempotency-Key` replay memory of one collection: the first request with
//! a key records a fingerprint of the request (operation, target and body) and
//! the result it produced; a retry with the same fingerprint gets that result
//! again, and a retry with another fingerprint is refused.

use std::collections::HashMap;

use serde_json::Value;

use crate::error::Error;

/// Remembered results keyed by `Idempotency-Key`.
#[derive(Debug)]
pub struct Replays<T> {
    entries: HashMap<String, (Value, T)>,
}

impl<T> Default for Replays<T> {
    fn default() -> Self {
        Self {
            entries: HashMap::new(),
        }
    }
}

impl<T: Clone> Replays<T> {
    /// The result remembered for `key`, `None` if the key is new, or an error
    /// when the key was used for a request with another fingerprint.
    pub fn replay(&self, key: &str, fingerprint: &Value) -> Result<Option<T>, Error> {
        match self.entries.get(key) {
            None => Ok(None),
            Some((seen, result)) if seen == fingerprint => Ok(Some(result.clone())),
            Some(_) => Err(Error::IdempotencyKeyReused(key.to_owned())),
        }
    }

    /// Remembers the result of the first request made with `key`.
    pub fn remember(&mut self, key: &str, fingerprint: Value, result: T) {
        self.entries
            .entry(key.to_owned())
            .or_insert((fingerprint, result));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn replays_same_request_and_refuses_another() {
        let mut replays = Replays::default();
        assert_eq!(replays.replay("k", &json!({"a": 1})), Ok(None));
        replays.remember("k", json!({"a": 1}), 7);
        assert_eq!(replays.replay("k", &json!({"a": 1})), Ok(Some(7)));
        assert_eq!(
            replays.replay("k", &json!({"a": 2})),
            Err(Error::IdempotencyKeyReused("k".to_owned()))
        );
        assert_eq!(replays.replay("other", &json!({"a": 2})), Ok(None));
    }
}
