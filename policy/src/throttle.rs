//! Throttling: SLA tiers (GCRA rate and burst, quotas, concurrency) and priority load shedding.
//!
//! [`Throttle::compile`] turns the document's `tiers:` and `load_shedding:` into one limiter set
//! per tier (tier index = document order). [`Throttle::admit`] decides one request of a
//! consumer, for an API, at its tier, in this order:
//!
//! 1. **shedding** (the gateway-wide count of admitted requests in flight against the tier's
//!    priority threshold) → `503`, `Retry-After` = `load_shedding.retry_after`;
//! 2. **concurrency** (requests in flight per key) → `429`, `Retry-After: 1`;
//! 3. **rate** (GCRA, governor's keyed limiter) → `429`, `Retry-After` = the exact wait until a
//!    request would conform, rounded up to whole seconds;
//! 4. **quota** (UTC day and month counts) → `429`, `Retry-After` = seconds to the window's end.
//!
//! Shedding rule: the distinct tier priorities, sorted ascending, form `n` classes; class `k`
//! (0-based, lowest first) is admitted while fewer than `max(1, ⌊T·(k+1)/n⌋)` requests are in
//! flight, `T` being `load_shedding.max_in_flight`. The highest class is served up to `T`, and
//! the lowest classes are refused first as load grows: with `T = 90` and priorities {0, 5, 9},
//! priority 0 is shed from 30 requests in flight, 5 from 60 and 9 from 90.
//!
//! A request refused by a later step has still used the earlier steps' units that cannot be
//! given back (a GCRA cell when its quota is exhausted); concurrency and in-flight slots are
//! always given back.
//!
//! Limits are kept per consumer and API or per consumer, as the tier's `limit_by` says. An
//! admitted request holds a [`Permit`] whose drop ends its concurrency and in-flight slots. Every
//! answer carries the tier's [`RateLimitHeaders`]. The allowed path takes no lock beyond the
//! concurrent maps' shard read locks (a write lock only for a key's first request and for the
//! concurrency entry of a key whose last request ends) and allocates nothing.
//!
//! State per key: one GCRA word (governor), two quota words while the day or month lasts, and a
//! concurrency counter only while requests are in flight. [`Throttle::sweep`], called
//! periodically, drops refilled buckets and ended quota windows and releases the freed
//! capacity. Keys are the consumers' and APIs' stable limiter numbers (see
//! `snapshot::StableKeys`), so a snapshot keeps this state (by cloning this `Throttle`) across
//! reloads that leave the tiers and the shedding settings unchanged.

mod calendar;
mod clock;
mod concurrency;
mod config;
mod headers;
mod key_hash;
mod quota;
mod rate;
mod shedding;
mod tier;

#[cfg(test)]
mod tests;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use indexmap::IndexMap;

pub use clock::{ManualClock, ThrottleClock};
pub use config::{LimitScope, QuotaConfig, RateConfig, SheddingConfig, TierConfig};
pub use headers::RateLimitHeaders;
pub use quota::QuotaWindow;

use crate::consumers::ConsumerIndex;
use concurrency::ConcurrencyLimit;
use headers::{LimitKind, ServiceLimit};
use quota::{QuotaDecision, Usage};
use rate::{RateDecision, ceil_secs};
use shedding::Shedder;
use tier::Tier;

/// The compiled tiers and their live state. Clones share the state.
#[derive(Clone)]
pub struct Throttle {
    shared: Arc<Shared>,
}

struct Shared {
    tiers: Vec<Tier>,
    shedder: Option<Arc<Shedder>>,
    clock: ThrottleClock,
}

/// The decision on one request.
#[derive(Debug)]
#[must_use]
pub enum Admission {
    /// Go ahead; keep `permit` until the response is finished.
    Admitted {
        /// Holds the request's concurrency and in-flight slots until dropped.
        permit: Permit,
        /// `RateLimit-Policy` and `RateLimit` for the response.
        headers: RateLimitHeaders,
    },
    /// Refuse with `status` and `Retry-After: retry_after_secs`.
    Rejected {
        /// `429` (the consumer's limits) or `503` (shed under load).
        status: u16,
        /// Whole seconds until a retry can succeed; never zero.
        retry_after_secs: u64,
        /// `RateLimit-Policy` and `RateLimit` for the response.
        headers: RateLimitHeaders,
        /// Which limit refused the request.
        reason: Reason,
        /// A sentence for the problem document's `detail`.
        detail: String,
    },
}

/// Which limit refused a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// Shed because the gateway is overloaded and the tier's priority is too low.
    Shed,
    /// The consumer has as many requests in flight as its tier allows.
    TooManyConcurrent,
    /// The consumer is faster than its tier's rate and burst.
    RateLimited,
    /// The consumer used up a quota.
    QuotaExhausted {
        /// The exhausted window (the month when both are).
        window: QuotaWindow,
        /// Unix time (seconds) at which the window ends.
        resets_at_unix: u64,
    },
}

/// An admitted request's slots: dropping it ends the request's concurrency slot and its
/// gateway-wide in-flight slot.
#[must_use = "dropping the permit ends the request's slots"]
pub struct Permit {
    shedder: Option<Arc<Shedder>>,
    concurrency: Option<(Arc<ConcurrencyLimit>, u64)>,
}

impl Drop for Permit {
    fn drop(&mut self) {
        if let Some((limit, key)) = self.concurrency.take() {
            limit.release(key);
        }
        if let Some(shedder) = self.shedder.take() {
            shedder.leave();
        }
    }
}

impl fmt::Debug for Permit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Permit")
            .field("in_flight_slot", &self.shedder.is_some())
            .field(
                "concurrency_key",
                &self.concurrency.as_ref().map(|(_, key)| key),
            )
            .finish()
    }
}

impl fmt::Debug for Throttle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Throttle")
            .field(
                "tiers",
                &self
                    .shared
                    .tiers
                    .iter()
                    .map(|tier| &tier.name)
                    .collect::<Vec<_>>(),
            )
            .field("in_flight", &self.in_flight())
            .field("tracked_keys", &self.tracked_keys())
            .finish()
    }
}

/// The step that refused a request.
enum Refusal {
    Shed,
    TooManyConcurrent,
    RateLimited {
        retry_after_secs: u64,
    },
    QuotaExhausted {
        window: QuotaWindow,
        resets_at: u64,
        unix: u64,
    },
}

impl Throttle {
    /// Compiles `tiers` (indices follow document order) and `shedding`, reporting every invalid
    /// setting as `(location, message)`; `clock` drives every limiter.
    pub fn compile(
        tiers: &IndexMap<String, TierConfig>,
        shedding: Option<&SheddingConfig>,
        clock: &ThrottleClock,
        report: &mut impl FnMut(String, String),
    ) -> Self {
        let mut compiled: Vec<Tier> = tiers
            .iter()
            .map(|(name, config)| Tier::compile(name, config, clock, report))
            .collect();
        let shedder = shedding.map(|shedding| {
            if shedding.max_in_flight == 0 {
                report(
                    "load_shedding.max_in_flight".into(),
                    "must be greater than zero".into(),
                );
            }
            if shedding.retry_after.is_zero() {
                report(
                    "load_shedding.retry_after".into(),
                    "must be greater than zero".into(),
                );
            }
            let priorities: Vec<u8> = compiled.iter().map(|tier| tier.priority).collect();
            let thresholds = shedding::thresholds(&priorities, shedding.max_in_flight);
            for (tier, threshold) in compiled.iter_mut().zip(thresholds) {
                tier.shed_threshold = threshold;
            }
            let retry_after = ceil_secs(shedding.retry_after).max(1);
            Arc::new(Shedder::new(retry_after))
        });
        Self {
            shared: Arc::new(Shared {
                tiers: compiled,
                shedder,
                clock: clock.clone(),
            }),
        }
    }

    /// Decides a request of `consumer` to API `api` at tier `tier` (see the module docs for the
    /// order of the checks).
    ///
    /// # Panics
    ///
    /// If `tier` is not an index of the compiled tiers.
    pub fn admit(&self, tier: usize, consumer: ConsumerIndex, api: u32) -> Admission {
        let shared = &*self.shared;
        let tier = &shared.tiers[tier];
        let key = tier.key(consumer, api);
        let mut permit = Permit {
            shedder: None,
            concurrency: None,
        };
        let mut headers = RateLimitHeaders::new(tier.policy.clone());

        if let Some(shedder) = &shared.shedder {
            if !shedder.try_enter(tier.shed_threshold) {
                return self.reject(tier, key, headers, Refusal::Shed);
            }
            permit.shedder = Some(Arc::clone(shedder));
        }
        if let Some(limit) = &tier.concurrency {
            let Some(count) = limit.try_acquire(key) else {
                return self.reject(tier, key, headers, Refusal::TooManyConcurrent);
            };
            headers.set(LimitKind::Concurrency, concurrency_limit(limit, count));
            permit.concurrency = Some((Arc::clone(limit), key));
        }
        if let Some(rate) = &tier.rate {
            match rate.check(key) {
                RateDecision::Allowed(state) => headers.set(LimitKind::Burst, state),
                RateDecision::Limited { retry_after_secs } => {
                    headers.set(
                        LimitKind::Burst,
                        ServiceLimit {
                            remaining: 0,
                            reset_secs: Some(retry_after_secs),
                        },
                    );
                    let refusal = Refusal::RateLimited { retry_after_secs };
                    return self.reject(tier, key, headers, refusal);
                }
            }
        }
        if let Some(quota) = &tier.quota {
            let unix = shared.clock.unix_secs();
            match quota.consume(key, unix) {
                QuotaDecision::Allowed(usage) => set_usage(&mut headers, usage),
                QuotaDecision::Exhausted {
                    window,
                    resets_at,
                    usage,
                } => {
                    set_usage(&mut headers, usage);
                    let refusal = Refusal::QuotaExhausted {
                        window,
                        resets_at,
                        unix,
                    };
                    return self.reject(tier, key, headers, refusal);
                }
            }
        }
        Admission::Admitted { permit, headers }
    }

    /// Drops state that no longer limits anyone (refilled buckets, ended quota windows) and
    /// releases the freed capacity. Call it periodically, e.g. every 10 seconds.
    pub fn sweep(&self) {
        let unix = self.shared.clock.unix_secs();
        for tier in &self.shared.tiers {
            if let Some(rate) = &tier.rate {
                rate.sweep();
            }
            if let Some(quota) = &tier.quota {
                quota.sweep(unix);
            }
            if let Some(concurrency) = &tier.concurrency {
                concurrency.shrink();
            }
        }
    }

    /// The tier's cap on the wait for the system's answer, if it sets one.
    ///
    /// # Panics
    ///
    /// If `tier` is not an index of the compiled tiers.
    pub fn upstream_timeout(&self, tier: usize) -> Option<Duration> {
        self.shared.tiers[tier].upstream_timeout
    }

    /// Admitted requests still holding their permit (counted only with load shedding on).
    pub fn in_flight(&self) -> u32 {
        self.shared
            .shedder
            .as_ref()
            .map_or(0, |shedder| shedder.in_flight())
    }

    /// Entries held across all tiers' rate, quota and concurrency state.
    pub fn tracked_keys(&self) -> usize {
        self.shared
            .tiers
            .iter()
            .map(|tier| {
                tier.rate.as_ref().map_or(0, |rate| rate.len())
                    + tier.quota.as_ref().map_or(0, |quota| quota.len())
                    + tier.concurrency.as_ref().map_or(0, |limit| limit.len())
            })
            .sum()
    }

    /// Completes the headers with the state readable without consuming, and builds the refusal.
    fn reject(
        &self,
        tier: &Tier,
        key: u64,
        mut headers: RateLimitHeaders,
        refusal: Refusal,
    ) -> Admission {
        if let Some(limit) = &tier.concurrency
            && !headers.has(LimitKind::Concurrency)
        {
            headers.set(
                LimitKind::Concurrency,
                concurrency_limit(limit, limit.in_flight(key)),
            );
        }
        if let Some(quota) = &tier.quota
            && !headers.has(LimitKind::Day)
            && !headers.has(LimitKind::Month)
        {
            set_usage(&mut headers, quota.peek(key, self.shared.clock.unix_secs()));
        }
        let name = &tier.name;
        let scope = tier.scope_text();
        let (status, retry_after_secs, reason, detail) = match refusal {
            Refusal::Shed => {
                let retry = self
                    .shared
                    .shedder
                    .as_ref()
                    .map_or(1, |shedder| shedder.retry_after_secs());
                let detail = format!(
                    "the gateway is overloaded: tier `{name}` (priority {}) is served while \
                     fewer than {} requests are in flight",
                    tier.priority, tier.shed_threshold
                );
                (503, retry, Reason::Shed, detail)
            }
            Refusal::TooManyConcurrent => {
                let max = tier.concurrency.as_ref().map_or(0, |limit| limit.max());
                let detail = format!("tier `{name}` allows {max} concurrent requests {scope}");
                (429, 1, Reason::TooManyConcurrent, detail)
            }
            Refusal::RateLimited { retry_after_secs } => {
                let rate = tier
                    .rate
                    .as_ref()
                    .map_or_else(String::new, |rate| rate.describe());
                let detail =
                    format!("tier `{name}` allows {rate} {scope}; retry in {retry_after_secs} s");
                (429, retry_after_secs, Reason::RateLimited, detail)
            }
            Refusal::QuotaExhausted {
                window,
                resets_at,
                unix,
            } => {
                let quota = tier.quota.as_ref().and_then(|quota| match window {
                    QuotaWindow::Day => quota.per_day(),
                    QuotaWindow::Month => quota.per_month(),
                });
                let detail = format!(
                    "the {} quota of {} requests of tier `{name}` {scope} is used up; it \
                     resets at {}",
                    window.adjective(),
                    quota.unwrap_or_default(),
                    calendar::rfc3339(resets_at)
                );
                let reason = Reason::QuotaExhausted {
                    window,
                    resets_at_unix: resets_at,
                };
                (429, resets_at.saturating_sub(unix).max(1), reason, detail)
            }
        };
        Admission::Rejected {
            status,
            retry_after_secs,
            headers,
            reason,
            detail,
        }
    }
}

fn concurrency_limit(limit: &ConcurrencyLimit, in_flight: u32) -> ServiceLimit {
    ServiceLimit {
        remaining: u64::from(limit.max().saturating_sub(in_flight)),
        reset_secs: None,
    }
}

fn set_usage(headers: &mut RateLimitHeaders, usage: Usage) {
    if let Some(day) = usage.day {
        headers.set(LimitKind::Day, day);
    }
    if let Some(month) = usage.month {
        headers.set(LimitKind::Month, month);
    }
}
