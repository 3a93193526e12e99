//! Request quotas per UTC calendar day and month, counted per key.
//!
//! Each key holds one 64-bit word per window: the window's index (24 bits; days or months since
//! 1970) and the requests counted in it (40 bits). A request takes a unit with a
//! compare-and-swap that starts from zero whenever the stored index is not the current
//! window's, so windows roll over at their boundary without timers. With both windows
//! configured the day is taken first and given back if the month is exhausted. A count for the
//! current window must outlive idleness (dropping it would hand out a fresh quota), so
//! [`QuotaLimit::sweep`] drops a key only once all its windows have ended.

use std::sync::atomic::{AtomicU64, Ordering};

use dashmap::DashMap;
use dashmap::mapref::one::Ref;

use super::calendar::{self, Window};
use super::headers::ServiceLimit;
use super::key_hash::BuildKeyHasher;

/// Largest quota a window can count (40 bits).
pub(super) const MAX_QUOTA: u64 = (1 << COUNT_BITS) - 1;

const COUNT_BITS: u32 = 40;
const INDEX_MASK: u64 = (1 << (64 - COUNT_BITS)) - 1;

/// The calendar window of a quota.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuotaWindow {
    /// A UTC day.
    Day,
    /// A UTC calendar month.
    Month,
}

impl QuotaWindow {
    /// `daily` or `monthly`.
    pub fn adjective(self) -> &'static str {
        match self {
            Self::Day => "daily",
            Self::Month => "monthly",
        }
    }
}

/// One tier's compiled quotas and their per-key counts.
pub(super) struct QuotaLimit {
    per_day: Option<u64>,
    per_month: Option<u64>,
    counters: DashMap<u64, Counters, BuildKeyHasher>,
}

#[derive(Default)]
struct Counters {
    day: AtomicU64,
    month: AtomicU64,
}

/// What is left of each configured quota.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Usage {
    pub day: Option<ServiceLimit>,
    pub month: Option<ServiceLimit>,
}

/// The outcome of taking one unit of quota.
pub(super) enum QuotaDecision {
    /// Taken; what is left afterwards.
    Allowed(Usage),
    /// Refused: `window` is exhausted until `resets_at` (Unix seconds).
    Exhausted {
        window: QuotaWindow,
        resets_at: u64,
        usage: Usage,
    },
}

/// The windows containing one instant, computed once per request.
struct Now {
    unix: u64,
    day: Window,
    month: Window,
}

impl Now {
    fn at(unix: u64) -> Self {
        Self {
            unix,
            day: calendar::day(unix),
            month: calendar::month(unix),
        }
    }
}

impl QuotaLimit {
    /// Quotas of `per_day` and/or `per_month` requests (each between 1 and [`MAX_QUOTA`]).
    pub fn new(per_day: Option<u64>, per_month: Option<u64>) -> Self {
        Self {
            per_day,
            per_month,
            counters: DashMap::default(),
        }
    }

    /// The daily quota, if any.
    pub fn per_day(&self) -> Option<u64> {
        self.per_day
    }

    /// The monthly quota, if any.
    pub fn per_month(&self) -> Option<u64> {
        self.per_month
    }

    /// Takes one request from `key`'s quotas at Unix time `unix`.
    pub fn consume(&self, key: u64, unix: u64) -> QuotaDecision {
        let now = Now::at(unix);
        let counters = self.counters_of(key);
        if let Some(limit) = self.per_day
            && !take(&counters.day, now.day.index, limit)
        {
            return self.exhausted(&counters, &now);
        }
        if let Some(limit) = self.per_month
            && !take(&counters.month, now.month.index, limit)
        {
            if self.per_day.is_some() {
                give_back(&counters.day, now.day.index);
            }
            return self.exhausted(&counters, &now);
        }
        QuotaDecision::Allowed(self.usage_of(Some(&counters), &now))
    }

    /// What is left of `key`'s quotas at Unix time `unix`, without taking any.
    pub fn peek(&self, key: u64, unix: u64) -> Usage {
        self.usage_of(self.counters.get(&key).as_deref(), &Now::at(unix))
    }

    /// Drops keys whose every configured window has ended, then releases the freed capacity.
    pub fn sweep(&self, unix: u64) {
        let now = Now::at(unix);
        self.counters.retain(|_, counters| {
            (self.per_day.is_some() && used(&counters.day, now.day.index) > 0)
                || (self.per_month.is_some() && used(&counters.month, now.month.index) > 0)
        });
        self.counters.shrink_to_fit();
    }

    /// Keys currently holding counts.
    pub fn len(&self) -> usize {
        self.counters.len()
    }

    fn counters_of(&self, key: u64) -> Ref<'_, u64, Counters> {
        match self.counters.get(&key) {
            Some(counters) => counters,
            None => self.counters.entry(key).or_default().downgrade(),
        }
    }

    /// The refusal: the month when it is exhausted (it resets last), else the day.
    fn exhausted(&self, counters: &Counters, now: &Now) -> QuotaDecision {
        let usage = self.usage_of(Some(counters), now);
        let (window, resets_at) = match usage.month {
            Some(month) if month.remaining == 0 => (QuotaWindow::Month, now.month.resets_at),
            _ => (QuotaWindow::Day, now.day.resets_at),
        };
        QuotaDecision::Exhausted {
            window,
            resets_at,
            usage,
        }
    }

    fn usage_of(&self, counters: Option<&Counters>, now: &Now) -> Usage {
        let left = |limit: u64, cell: Option<&AtomicU64>, window: Window| ServiceLimit {
            remaining: limit.saturating_sub(cell.map_or(0, |cell| used(cell, window.index))),
            reset_secs: Some(window.resets_at.saturating_sub(now.unix)),
        };
        Usage {
            day: self
                .per_day
                .map(|limit| left(limit, counters.map(|c| &c.day), now.day)),
            month: self
                .per_month
                .map(|limit| left(limit, counters.map(|c| &c.month), now.month)),
        }
    }
}

fn pack(index: u32, used: u64) -> u64 {
    ((u64::from(index) & INDEX_MASK) << COUNT_BITS) | used
}

fn used_in(word: u64, index: u32) -> u64 {
    if word >> COUNT_BITS == u64::from(index) & INDEX_MASK {
        word & MAX_QUOTA
    } else {
        0
    }
}

fn used(cell: &AtomicU64, index: u32) -> u64 {
    used_in(cell.load(Ordering::Relaxed), index)
}

/// Counts one request in window `index` unless `limit` is reached; whether it was counted.
fn take(cell: &AtomicU64, index: u32, limit: u64) -> bool {
    cell.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |word| {
        let used = used_in(word, index);
        (used < limit).then(|| pack(index, used + 1))
    })
    .is_ok()
}

/// Uncounts a request taken in window `index` (nothing if the window has since rolled over).
fn give_back(cell: &AtomicU64, index: u32) {
    // `Err` means the window rolled over or the count is zero: nothing to give back.
    let _ = cell.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |word| {
        used_in(word, index)
            .checked_sub(1)
            .map(|used| pack(index, used))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-05-18T23:59:58Z.
    const BEFORE_MIDNIGHT: u64 = 1_779_148_798;
    /// 2026-05-31T23:59:59Z.
    const END_OF_MAY: u64 = 1_780_271_999;

    fn remaining(decision: &QuotaDecision) -> (Option<u64>, Option<u64>) {
        let usage = match decision {
            QuotaDecision::Allowed(usage) | QuotaDecision::Exhausted { usage, .. } => usage,
        };
        (
            usage.day.map(|day| day.remaining),
            usage.month.map(|month| month.remaining),
        )
    }

    #[test]
    fn daily_quota_rolls_over_at_utc_midnight() {
        let quota = QuotaLimit::new(Some(2), None);
        assert_eq!(
            remaining(&quota.consume(1, BEFORE_MIDNIGHT)),
            (Some(1), None)
        );
        assert_eq!(
            remaining(&quota.consume(1, BEFORE_MIDNIGHT)),
            (Some(0), None)
        );
        let QuotaDecision::Exhausted {
            window, resets_at, ..
        } = quota.consume(1, BEFORE_MIDNIGHT + 1)
        else {
            panic!("third request of the day must be refused");
        };
        assert_eq!((window, resets_at), (QuotaWindow::Day, BEFORE_MIDNIGHT + 2));
        assert_eq!(
            remaining(&quota.consume(2, BEFORE_MIDNIGHT)),
            (Some(1), None)
        );
        assert_eq!(
            remaining(&quota.consume(1, BEFORE_MIDNIGHT + 2)),
            (Some(1), None)
        );
    }

    #[test]
    fn monthly_refusal_gives_the_day_back_and_names_the_later_reset() {
        let quota = QuotaLimit::new(Some(5), Some(2));
        quota.consume(1, END_OF_MAY);
        quota.consume(1, END_OF_MAY);
        let QuotaDecision::Exhausted {
            window,
            resets_at,
            usage,
        } = quota.consume(1, END_OF_MAY)
        else {
            panic!("month is exhausted");
        };
        assert_eq!((window, resets_at), (QuotaWindow::Month, END_OF_MAY + 1));
        assert_eq!(
            usage.day.map(|day| day.remaining),
            Some(3),
            "day given back"
        );
        assert_eq!(usage.month.and_then(|month| month.reset_secs), Some(1));
        assert!(matches!(
            quota.consume(1, END_OF_MAY + 1),
            QuotaDecision::Allowed(_)
        ));
    }

    #[test]
    fn peek_does_not_count_and_sweep_keeps_current_windows_only() {
        let quota = QuotaLimit::new(Some(10), None);
        let peeked = quota.peek(1, BEFORE_MIDNIGHT);
        assert_eq!(
            peeked.day.map(|day| (day.remaining, day.reset_secs)),
            Some((10, Some(2)))
        );
        assert_eq!(quota.len(), 0);
        quota.consume(1, BEFORE_MIDNIGHT);
        quota.sweep(BEFORE_MIDNIGHT + 1);
        assert_eq!(quota.len(), 1, "today's count is kept");
        quota.sweep(BEFORE_MIDNIGHT + 2);
        assert_eq!(quota.len(), 0, "yesterday's count is dropped");
    }

    #[test]
    fn counts_up_to_the_forty_bit_maximum() {
        let cell = AtomicU64::new(pack(7, MAX_QUOTA - 1));
        assert!(take(&cell, 7, MAX_QUOTA));
        assert!(!take(&cell, 7, MAX_QUOTA));
        assert!(take(&cell, 8, MAX_QUOTA), "a new window starts from zero");
        give_back(&cell, 7);
        assert_eq!(
            used(&cell, 8),
            1,
            "giving back to an ended window changes nothing"
        );
    }
}
