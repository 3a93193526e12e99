//! Stable numbers for consumer ids and API names across snapshots.
//!
//! The limiters key their state by numbers, not names. Indices shift when a consumer or API is
//! added in the middle of the document, so each name instead keeps the number it was first given
//! for the life of the process; a reload that adds one consumer then leaves every other
//! consumer's buckets and quotas where they were.

use std::collections::HashMap;

/// Name -> number, carried from snapshot to snapshot.
#[derive(Debug, Clone, Default)]
pub struct StableKeys {
    by_name: HashMap<String, u32>,
}

impl StableKeys {
    /// Numbers `names`, keeping every number `previous` gave (also for names no longer present,
    /// so a name that comes back gets its old number).
    pub fn assign<'a>(
        previous: Option<&StableKeys>,
        names: impl IntoIterator<Item = &'a str>,
    ) -> Self {
        let mut keys = previous.cloned().unwrap_or_default();
        for name in names {
            let next = u32::try_from(keys.by_name.len()).unwrap_or(u32::MAX);
            keys.by_name.entry(name.to_owned()).or_insert(next);
        }
        keys
    }

    /// The number of `name` (every name given to [`Self::assign`] has one).
    pub fn get(&self, name: &str) -> u32 {
        self.by_name.get(name).copied().unwrap_or(u32::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_keep_their_numbers_when_others_are_inserted_or_removed() {
        let first = StableKeys::assign(None, ["web", "pos"]);
        let second = StableKeys::assign(Some(&first), ["app", "web"]);
        assert_eq!(second.get("web"), first.get("web"));
        assert_ne!(second.get("app"), second.get("web"));
        assert_ne!(second.get("app"), first.get("pos"));
        let third = StableKeys::assign(Some(&second), ["pos"]);
        assert_eq!(third.get("pos"), first.get("pos"));
    }
}
