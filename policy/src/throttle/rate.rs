//! GCRA rate and burst per key, with governor's keyed limiter over a `DashMap` state store.
//!
//! A rate of `requests` per `per` becomes an emission interval `T = per / requests` and a
//! bucket of `burst` cells: governor keeps, per key, one theoretical arrival time (8 bytes plus
//! the key) and admits a request when it is not earlier than `TAT - (burst - 1)·T`. A refusal
//! reports exactly when the next request would conform ([`governor::NotUntil`]), which becomes
//! the `Retry-After`. Keys whose bucket has refilled are indistinguishable from new ones, so
//! [`RateLimit::sweep`] drops them.

use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::Clock;
use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::DashMapStateStore;
use governor::{Quota, RateLimiter};

use super::clock::ThrottleClock;
use super::config::RateConfig;
use super::headers::ServiceLimit;
use super::key_hash::BuildKeyHasher;

type Limiter = RateLimiter<
    u64,
    DashMapStateStore<u64, BuildKeyHasher>,
    ThrottleClock,
    StateInformationMiddleware,
>;

/// One tier's compiled rate limit.
pub(super) struct RateLimit {
    limiter: Limiter,
    rate: RateConfig,
    burst: u32,
    interval: Duration,
}

/// The outcome of one rate check.
pub(super) enum RateDecision {
    /// Admitted; the bucket's state after this request.
    Allowed(ServiceLimit),
    /// Refused; whole seconds (at least 1) until a request would conform.
    Limited { retry_after_secs: u64 },
}

impl RateLimit {
    /// The limiter for `rate` with bucket size `burst`, or `None` when the emission interval
    /// would be shorter than a nanosecond or either number is zero.
    pub fn new(rate: RateConfig, burst: u32, clock: ThrottleClock) -> Option<Self> {
        let interval = rate.per.checked_div(rate.requests)?;
        let quota = Quota::with_period(interval)?.allow_burst(NonZeroU32::new(burst)?);
        let limiter = Limiter::new(quota, DashMapStateStore::default(), clock);
        Some(Self {
            limiter,
            rate,
            burst,
            interval,
        })
    }

    /// The bucket size (`q` of the `burst` policy).
    pub fn burst(&self) -> u32 {
        self.burst
    }

    /// The limit in words, e.g. `100 requests per 1s with bursts of 150`.
    pub fn describe(&self) -> String {
        format!(
            "{} requests per {} with bursts of {}",
            self.rate.requests,
            crate::duration::format(self.rate.per),
            self.burst
        )
    }

    /// Whole seconds, rounded up, for an empty bucket to refill (`w` of the `burst` policy).
    pub fn refill_secs(&self) -> u64 {
        ceil_secs(self.interval.saturating_mul(self.burst)).max(1)
    }

    /// Takes one cell from `key`'s bucket if it conforms.
    pub fn check(&self, key: u64) -> RateDecision {
        match self.limiter.check_key(&key) {
            Ok(state) => RateDecision::Allowed(ServiceLimit {
                remaining: u64::from(state.remaining_burst_capacity()),
                reset_secs: Some(ceil_secs(self.interval)),
            }),
            Err(not_until) => RateDecision::Limited {
                retry_after_secs: ceil_secs(not_until.wait_time_from(self.limiter.clock().now()))
                    .max(1),
            },
        }
    }

    /// Drops keys whose bucket is full again and releases the freed capacity.
    pub fn sweep(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
    }

    /// Keys currently holding state.
    pub fn len(&self) -> usize {
        self.limiter.len()
    }
}

/// `duration` in whole seconds, rounded up.
pub(super) fn ceil_secs(duration: Duration) -> u64 {
    duration.as_secs() + u64::from(duration.subsec_nanos() > 0)
}

#[cfg(test)]
mod tests {
    use super::super::clock::ManualClock;
    use super::*;

    fn limit(requests: u32, per: Duration, burst: u32) -> (RateLimit, ManualClock) {
        let clock = ManualClock::starting_at(0);
        let rate = RateLimit::new(RateConfig { requests, per }, burst, clock.clone().into());
        (rate.expect("valid rate"), clock)
    }

    fn allowed(decision: RateDecision) -> Option<u64> {
        match decision {
            RateDecision::Allowed(state) => Some(state.remaining),
            RateDecision::Limited { .. } => None,
        }
    }

    #[test]
    fn refuses_rates_below_a_nanosecond_or_zero() {
        let clock = ThrottleClock::system();
        let per = Duration::from_nanos(1);
        let too_fast = RateConfig { requests: 2, per };
        assert!(RateLimit::new(too_fast, 1, clock.clone()).is_none());
        let zero = RateConfig { requests: 0, per };
        assert!(RateLimit::new(zero, 1, clock.clone()).is_none());
        let one = RateConfig { requests: 1, per };
        assert!(RateLimit::new(one, 0, clock).is_none());
    }

    #[test]
    fn burst_then_refusal_with_the_exact_wait() {
        let (rate, clock) = limit(1, Duration::from_secs(5), 2);
        assert_eq!(rate.refill_secs(), 10);
        assert_eq!(rate.describe(), "1 requests per 5s with bursts of 2");
        assert_eq!(allowed(rate.check(7)), Some(1));
        assert_eq!(allowed(rate.check(7)), Some(0));
        assert!(matches!(
            rate.check(7),
            RateDecision::Limited {
                retry_after_secs: 5
            }
        ));
        clock.advance(Duration::from_millis(2_500));
        assert!(matches!(
            rate.check(7),
            RateDecision::Limited {
                retry_after_secs: 3
            }
        ));
        clock.advance(Duration::from_millis(2_499));
        assert!(matches!(
            rate.check(7),
            RateDecision::Limited {
                retry_after_secs: 1
            }
        ));
        clock.advance(Duration::from_millis(1));
        assert_eq!(allowed(rate.check(7)), Some(0));
        assert_eq!(allowed(rate.check(8)), Some(1), "keys are independent");
    }

    #[test]
    fn sweep_drops_refilled_keys_only() {
        let (rate, clock) = limit(10, Duration::from_secs(1), 10);
        let drain = |key| (0..10).for_each(|_| assert!(allowed(rate.check(key)).is_some()));
        (0..100).for_each(drain);
        clock.advance(Duration::from_millis(500));
        drain(1_000);
        rate.sweep();
        assert_eq!(
            rate.len(),
            101,
            "buckets emptied 500 ms ago are not full yet"
        );
        clock.advance(Duration::from_millis(600));
        rate.sweep();
        assert_eq!(rate.len(), 1, "only the bucket emptied 600 ms ago remains");
    }
}
