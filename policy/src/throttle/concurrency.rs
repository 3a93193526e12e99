//! Most requests in flight at once, per key.
//!
//! A key's entry is a counter that exists only while the key has requests in flight: acquiring
//! increments it (creating it if needed) unless it is at the limit, and the release that brings
//! it back to zero removes it, so memory follows the requests in flight rather than the keys
//! ever seen. Increments happen under the map's shard guard and removal takes the shard's write
//! lock and re-checks zero, so a removal never loses a concurrent acquisition.

use std::sync::atomic::{AtomicU32, Ordering};

use dashmap::DashMap;

use super::key_hash::BuildKeyHasher;

/// One tier's concurrency limit and the keys with requests in flight.
pub(super) struct ConcurrencyLimit {
    max: u32,
    in_flight: DashMap<u64, AtomicU32, BuildKeyHasher>,
}

impl ConcurrencyLimit {
    /// At most `max` (at least 1) requests in flight per key.
    pub fn new(max: u32) -> Self {
        Self {
            max,
            in_flight: DashMap::default(),
        }
    }

    /// The limit.
    pub fn max(&self) -> u32 {
        self.max
    }

    /// Counts a request for `key` unless `max` are in flight; the count including it.
    pub fn try_acquire(&self, key: u64) -> Option<u32> {
        let increment = |count: &AtomicU32| {
            count
                .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                    (n < self.max).then_some(n + 1)
                })
                .ok()
                .map(|previous| previous + 1)
        };
        if let Some(count) = self.in_flight.get(&key) {
            return increment(&count);
        }
        increment(&self.in_flight.entry(key).or_default())
    }

    /// Ends a request for `key` counted by [`Self::try_acquire`].
    pub fn release(&self, key: u64) {
        let emptied = self.in_flight.get(&key).is_some_and(|count| {
            count.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1)) == Ok(1)
        });
        if emptied {
            self.in_flight
                .remove_if(&key, |_, count| count.load(Ordering::Acquire) == 0);
        }
    }

    /// Requests in flight for `key`.
    pub fn in_flight(&self, key: u64) -> u32 {
        self.in_flight
            .get(&key)
            .map_or(0, |count| count.load(Ordering::Acquire))
    }

    /// Releases capacity left over from a past peak of keys in flight.
    pub fn shrink(&self) {
        self.in_flight.shrink_to_fit();
    }

    /// Keys with requests in flight.
    pub fn len(&self) -> usize {
        self.in_flight.len()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[test]
    fn limits_each_key_and_forgets_idle_keys() {
        let limit = ConcurrencyLimit::new(2);
        assert_eq!(limit.try_acquire(1), Some(1));
        assert_eq!(limit.try_acquire(1), Some(2));
        assert_eq!(limit.try_acquire(1), None);
        assert_eq!(limit.try_acquire(2), Some(1));
        limit.release(1);
        assert_eq!(limit.in_flight(1), 1);
        assert_eq!(limit.try_acquire(1), Some(2));
        limit.release(1);
        limit.release(1);
        limit.release(2);
        assert_eq!((limit.len(), limit.in_flight(1)), (0, 0));
        limit.release(1);
        assert_eq!(
            limit.len(),
            0,
            "a release without an acquisition changes nothing"
        );
    }

    #[test]
    fn concurrent_acquire_and_release_balance() {
        let limit = Arc::new(ConcurrencyLimit::new(u32::MAX));
        let workers: Vec<_> = (0..2)
            .map(|_| {
                let limit = Arc::clone(&limit);
                std::thread::spawn(move || {
                    for round in 0..20_000u64 {
                        let key = round % 3;
                        assert!(limit.try_acquire(key).is_some());
                        limit.release(key);
                    }
                })
            })
            .collect();
        for worker in workers {
            worker.join().expect("worker");
        }
        assert_eq!(limit.len(), 0);
    }
}
