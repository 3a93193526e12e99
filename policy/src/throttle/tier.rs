//! One compiled SLA tier: the checks of its settings, its limiters, the key its requests share
//! limits under, and its `RateLimit-Policy` field.

use std::sync::Arc;
use std::time::Duration;

use super::clock::ThrottleClock;
use super::concurrency::ConcurrencyLimit;
use super::config::{LimitScope, TierConfig};
use super::headers::{LimitKind, Policies};
use super::quota::{MAX_QUOTA, QuotaLimit};
use super::rate::RateLimit;
use crate::consumers::ConsumerIndex;

const NOT_ZERO: &str = "must be greater than zero";

/// A tier ready to admit requests.
pub(super) struct Tier {
    /// The tier's name in the document.
    pub name: String,
    /// Who shares a limit.
    pub scope: LimitScope,
    /// Importance under load shedding.
    pub priority: u8,
    /// Cap on the wait for the system's answer.
    pub upstream_timeout: Option<Duration>,
    /// GCRA rate and burst.
    pub rate: Option<RateLimit>,
    /// Day and month quotas.
    pub quota: Option<QuotaLimit>,
    /// Requests in flight per key (shared with the permits holding a slot).
    pub concurrency: Option<Arc<ConcurrencyLimit>>,
    /// The `RateLimit-Policy` field value; `None` without limits.
    pub policy: Option<http::HeaderValue>,
    /// In-flight requests (all tiers) below which this tier is admitted under load shedding.
    pub shed_threshold: u32,
}

impl Tier {
    /// Builds tier `name`, reporting each invalid setting as `(location, message)`; an invalid
    /// limit is left out of the result (the caller refuses the document anyway).
    pub fn compile(
        name: &str,
        config: &TierConfig,
        clock: &ThrottleClock,
        report: &mut impl FnMut(String, String),
    ) -> Self {
        let at = |field: &str| format!("tiers.{name}.{field}");
        let mut policies = Policies::default();

        let burst = config.burst.or(config.rate.map(|rate| rate.requests));
        if config.burst == Some(0) {
            report(at("burst"), NOT_ZERO.into());
        } else if config.burst.is_some() && config.rate.is_none() {
            report(at("burst"), "has no effect without `rate`".into());
        }
        let rate = config.rate.and_then(|rate| {
            if rate.requests == 0 {
                report(at("rate.requests"), NOT_ZERO.into());
            }
            if rate.per.is_zero() {
                report(at("rate.per"), NOT_ZERO.into());
            }
            let limit = RateLimit::new(rate, burst.unwrap_or(rate.requests), clock.clone());
            if limit.is_none() && rate.requests > 0 && !rate.per.is_zero() && burst != Some(0) {
                report(
                    at("rate"),
                    format!(
                        "{} requests per {} is more than one per nanosecond",
                        rate.requests,
                        crate::duration::format(rate.per)
                    ),
                );
            }
            limit
        });
        if let Some(rate) = &rate {
            policies.add(
                LimitKind::Burst,
                u64::from(rate.burst()),
                Some(rate.refill_secs()),
            );
        }

        let quota = config.quota.and_then(|quota| {
            if quota.per_day.is_none() && quota.per_month.is_none() {
                report(at("quota"), "set `per_day`, `per_month` or both".into());
            }
            let per_day = checked_quota(quota.per_day, &at("quota.per_day"), report);
            let per_month = checked_quota(quota.per_month, &at("quota.per_month"), report);
            let (Some(per_day), Some(per_month)) = (per_day, per_month) else {
                return None;
            };
            (per_day.is_some() || per_month.is_some()).then(|| QuotaLimit::new(per_day, per_month))
        });
        if let Some(quota) = &quota {
            if let Some(per_day) = quota.per_day() {
                policies.add(LimitKind::Day, per_day, Some(86_400));
            }
            if let Some(per_month) = quota.per_month() {
                policies.add(LimitKind::Month, per_month, None);
            }
        }

        let concurrency = config.max_concurrent.and_then(|max| {
            if max == 0 {
                report(at("max_concurrent"), NOT_ZERO.into());
                return None;
            }
            policies.add(LimitKind::Concurrency, u64::from(max), None);
            Some(Arc::new(ConcurrencyLimit::new(max)))
        });

        if config
            .upstream_timeout
            .is_some_and(|timeout| timeout.is_zero())
        {
            report(at("upstream_timeout"), NOT_ZERO.into());
        }

        Self {
            name: name.to_owned(),
            scope: config.limit_by,
            priority: config.priority,
            upstream_timeout: config.upstream_timeout,
            rate,
            quota,
            concurrency,
            policy: policies.field(),
            shed_threshold: u32::MAX,
        }
    }

    /// The key under which this request's limits are kept.
    pub fn key(&self, consumer: ConsumerIndex, api: u32) -> u64 {
        match self.scope {
            LimitScope::ConsumerApi => (u64::from(consumer) << 32) | u64::from(api),
            LimitScope::Consumer => u64::from(consumer),
        }
    }

    /// Who shares a limit, for messages.
    pub fn scope_text(&self) -> &'static str {
        match self.scope {
            LimitScope::ConsumerApi => "per consumer and API",
            LimitScope::Consumer => "per consumer",
        }
    }
}

/// `quota` when it is absent or within `1..=MAX_QUOTA`; `None` (after reporting) otherwise.
fn checked_quota(
    quota: Option<u64>,
    location: &str,
    report: &mut impl FnMut(String, String),
) -> Option<Option<u64>> {
    match quota {
        Some(0) => report(location.to_owned(), NOT_ZERO.into()),
        Some(value) if value > MAX_QUOTA => {
            report(location.to_owned(), format!("must be at most {MAX_QUOTA}"))
        }
        _ => return Some(quota),
    }
    None
}
