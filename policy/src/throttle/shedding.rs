//! Priority load shedding: one in-flight counter for the whole gateway and an admission
//! threshold per priority class.
//!
//! The distinct tier priorities, sorted ascending, form `n` classes; class `k` (0-based, lowest
//! first) is admitted while fewer than `max(1, ⌊T·(k+1)/n⌋)` requests are in flight, where `T`
//! is `max_in_flight`. The highest class is admitted up to `T`, and as load grows the classes
//! are refused from the lowest up: with `T = 90` and priorities {0, 5, 9}, priority 0 is shed
//! from 30 requests in flight, priority 5 from 60 and priority 9 from 90. The check and the
//! increment are one compare-and-swap, so the counter never passes a class's threshold on its
//! behalf.

use std::sync::atomic::{AtomicU32, Ordering};

/// The gateway-wide in-flight counter.
pub(super) struct Shedder {
    in_flight: AtomicU32,
    retry_after_secs: u64,
}

impl Shedder {
    /// A counter at zero; shed requests are told to retry after `retry_after_secs`.
    pub fn new(retry_after_secs: u64) -> Self {
        Self {
            in_flight: AtomicU32::new(0),
            retry_after_secs,
        }
    }

    /// `Retry-After` for shed requests.
    pub fn retry_after_secs(&self) -> u64 {
        self.retry_after_secs
    }

    /// Counts a request in unless `threshold` are already in flight; whether it was.
    pub fn try_enter(&self, threshold: u32) -> bool {
        self.in_flight
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < threshold).then_some(n + 1)
            })
            .is_ok()
    }

    /// Counts a request out.
    pub fn leave(&self) {
        // `Err` only if the counter is zero, which a balanced leave never meets.
        let _ = self
            .in_flight
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1));
    }

    /// Requests in flight.
    pub fn in_flight(&self) -> u32 {
        self.in_flight.load(Ordering::Acquire)
    }
}

/// The admission threshold of each priority in `priorities` under `max_in_flight`.
pub(super) fn thresholds(priorities: &[u8], max_in_flight: u32) -> Vec<u32> {
    let mut classes = priorities.to_vec();
    classes.sort_unstable();
    classes.dedup();
    let count = classes.len() as u64;
    priorities
        .iter()
        .map(|priority| {
            let class = classes.binary_search(priority).unwrap_or_default() as u64;
            let threshold = u64::from(max_in_flight) * (class + 1) / count;
            u32::try_from(threshold).unwrap_or(max_in_flight).max(1)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lower_priorities_get_lower_thresholds() {
        assert_eq!(thresholds(&[9, 0, 5, 0], 90), vec![90, 30, 60, 30]);
        assert_eq!(
            thresholds(&[3, 3], 10),
            vec![10, 10],
            "one class gets everything"
        );
        assert_eq!(thresholds(&[0, 1, 2], 2), vec![1, 1, 2], "never below one");
        assert!(thresholds(&[], 10).is_empty());
    }

    #[test]
    fn counter_stops_at_the_threshold() {
        let shedder = Shedder::new(1);
        assert!(shedder.try_enter(2));
        assert!(shedder.try_enter(2));
        assert!(!shedder.try_enter(2));
        assert!(shedder.try_enter(3));
        shedder.leave();
        assert_eq!(shedder.in_flight(), 2);
        assert!(shedder.try_enter(3));
    }
}
