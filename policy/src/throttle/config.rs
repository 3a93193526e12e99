//! The document's form of SLA tiers (`tiers:`) and of priority load shedding (`load_shedding:`).
//!
//! Plain serde data; [`super::Throttle::compile`] checks the meaning and builds the limiters.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// One entry of `tiers:` (tier name → settings). Every limit is optional; a tier without any
/// limit only carries a priority and, possibly, an upstream timeout.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TierConfig {
    /// Sustained request rate, enforced with GCRA (a token bucket without timers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate: Option<RateConfig>,
    /// Bucket size of the rate limit: how many requests may arrive at once after an idle period;
    /// defaults to `rate.requests`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub burst: Option<u32>,
    /// Which requests share a rate limit, a quota and a concurrency limit.
    #[serde(default)]
    pub limit_by: LimitScope,
    /// Request quotas per UTC calendar day and/or month.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quota: Option<QuotaConfig>,
    /// Most requests in flight at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_concurrent: Option<u32>,
    /// Cap on how long the gateway waits for the system's answer for this tier (the lower of this
    /// and the system's read timeout applies).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "optional_duration"
    )]
    pub upstream_timeout: Option<Duration>,
    /// Importance under overload: higher is more important; lower priorities are shed first.
    #[serde(default)]
    pub priority: u8,
}

/// A sustained rate: `requests` per `per`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateConfig {
    /// Requests allowed per period.
    pub requests: u32,
    /// Length of the period (`1s`, `1m`, …).
    #[serde(with = "crate::duration")]
    pub per: Duration,
}

/// The requests that share one set of limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LimitScope {
    /// Each consumer has separate limits for each API it calls.
    #[default]
    ConsumerApi,
    /// Each consumer has one set of limits across all APIs.
    Consumer,
}

/// Quotas over UTC calendar windows; a window's count starts again at its boundary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuotaConfig {
    /// Requests per UTC day (resets at 00:00:00Z).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_day: Option<u64>,
    /// Requests per UTC calendar month (resets at 00:00:00Z on the first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_month: Option<u64>,
}

/// `load_shedding:`: refuse the least important requests first when too many are in flight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SheddingConfig {
    /// In-flight requests (all tiers together) at which even the highest priority is shed; lower
    /// priorities are shed earlier (see [`super`] for the rule).
    pub max_in_flight: u32,
    /// `Retry-After` sent with a shed request (rounded up to whole seconds).
    #[serde(
        default = "SheddingConfig::default_retry_after",
        with = "crate::duration"
    )]
    pub retry_after: Duration,
}

impl SheddingConfig {
    fn default_retry_after() -> Duration {
        Duration::from_secs(1)
    }
}

/// Serde adaptor for an optional [`Duration`] written as text (see [`crate::duration`]).
mod optional_duration {
    use std::time::Duration;

    use serde::{Deserializer, Serializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Duration>, D::Error> {
        crate::duration::deserialize(deserializer).map(Some)
    }

    pub fn serialize<S: Serializer>(
        duration: &Option<Duration>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match duration {
            Some(duration) => crate::duration::serialize(duration, serializer),
            None => serializer.serialize_none(),
        }
    }
}

#[cfg(test)]
mod tests {
    use indexmap::IndexMap;

    use super::*;

    #[test]
    fn reads_a_full_tier_and_shedding_block() {
        let tiers: IndexMap<String, TierConfig> = serde_norway::from_str(
            "gold:\n  rate: { requests: 100, per: 1s }\n  burst: 150\n  limit_by: consumer\n  \
             quota: { per_day: 10000, per_month: 300000 }\n  max_concurrent: 10\n  \
             upstream_timeout: 5s\n  priority: 9\nbronze: {}\n",
        )
        .unwrap();
        assert_eq!(
            tiers["gold"],
            TierConfig {
                rate: Some(RateConfig {
                    requests: 100,
                    per: Duration::from_secs(1)
                }),
                burst: Some(150),
                limit_by: LimitScope::Consumer,
                quota: Some(QuotaConfig {
                    per_day: Some(10_000),
                    per_month: Some(300_000)
                }),
                max_concurrent: Some(10),
                upstream_timeout: Some(Duration::from_secs(5)),
                priority: 9,
            }
        );
        assert_eq!(tiers["bronze"], TierConfig::default());
        let round_trip: IndexMap<String, TierConfig> =
            serde_norway::from_str(&serde_norway::to_string(&tiers).unwrap()).unwrap();
        assert_eq!(round_trip, tiers);

        let shedding: SheddingConfig = serde_norway::from_str("max_in_flight: 500\n").unwrap();
        assert_eq!(shedding.retry_after, Duration::from_secs(1));
    }

    #[test]
    fn refuses_unknown_fields_and_scopes() {
        let typo = serde_norway::from_str::<TierConfig>("rates: { requests: 1, per: 1s }\n");
        assert!(
            typo.unwrap_err()
                .to_string()
                .contains("unknown field `rates`")
        );
        let scope = serde_norway::from_str::<TierConfig>("limit_by: ip\n");
        assert!(
            scope
                .unwrap_err()
                .to_string()
                .contains("unknown variant `ip`")
        );
    }
}
