//! Admission through whole tiers, driven by a manual clock at explicit Unix times.

use std::time::Duration;

use http::HeaderValue;
use indexmap::IndexMap;

use super::*;

/// A field value as text, for comparing.
fn text(value: Option<&HeaderValue>) -> Option<&str> {
    value.map(|value| value.to_str().expect("ASCII field value"))
}

/// 2026-05-18T23:00:00Z.
const MAY_18_23H: u64 = 1_779_145_200;
/// 2026-05-18T23:59:58Z.
const MAY_18_BEFORE_MIDNIGHT: u64 = 1_779_148_798;
/// 2026-05-19T00:00:00Z.
const MAY_19: u64 = 1_779_148_800;
/// 2026-06-01T00:00:00Z.
const JUNE_1: u64 = 1_780_272_000;
/// 2024-02-29T23:59:59Z.
const LEAP_DAY_LAST_SECOND: u64 = 1_709_251_199;

fn compile(
    tiers: &str,
    shedding: Option<SheddingConfig>,
    start: u64,
) -> (Throttle, ManualClock, Vec<String>) {
    let tiers: IndexMap<String, TierConfig> = serde_norway::from_str(tiers).expect("tiers");
    let clock = ManualClock::starting_at(start);
    let mut problems = Vec::new();
    let throttle = Throttle::compile(
        &tiers,
        shedding.as_ref(),
        &clock.clone().into(),
        &mut |at, message| problems.push(format!("{at}: {message}")),
    );
    (throttle, clock, problems)
}

fn build(tiers: &str, start: u64) -> (Throttle, ManualClock) {
    let (throttle, clock, problems) = compile(tiers, None, start);
    assert!(problems.is_empty(), "{problems:?}");
    (throttle, clock)
}

fn permit(admission: Admission) -> (Permit, RateLimitHeaders) {
    match admission {
        Admission::Admitted { permit, headers } => (permit, headers),
        Admission::Rejected { detail, .. } => panic!("refused: {detail}"),
    }
}

/// `(status, retry_after_secs, reason)` of a refusal; panics on admission.
fn refusal(admission: Admission) -> (u16, u64, Reason) {
    match admission {
        Admission::Rejected {
            status,
            retry_after_secs,
            reason,
            ..
        } => (status, retry_after_secs, reason),
        Admission::Admitted { .. } => panic!("admitted"),
    }
}

/// Admits requests of consumer 1 to API 1 until one is refused; how many were admitted.
fn admitted_in_a_row(throttle: &Throttle) -> usize {
    (0..)
        .take_while(|_| matches!(throttle.admit(0, 1, 1), Admission::Admitted { .. }))
        .count()
}

#[test]
fn gcra_admits_the_burst_then_exactly_the_rate() {
    let (throttle, clock) = build("t: { rate: { requests: 10, per: 1s } }", 0);
    assert_eq!(admitted_in_a_row(&throttle), 10);
    assert_eq!(
        refusal(throttle.admit(0, 1, 1)),
        (429, 1, Reason::RateLimited),
        "the wait is 100 ms, announced as 1 s"
    );
    clock.advance(Duration::from_millis(100));
    assert_eq!(admitted_in_a_row(&throttle), 1);
    for _ in 0..5 {
        clock.advance(Duration::from_secs(1));
        assert_eq!(admitted_in_a_row(&throttle), 10);
    }
    assert!(matches!(
        throttle.admit(0, 2, 1),
        Admission::Admitted { .. }
    ));
}

#[test]
fn retry_after_is_within_a_second_of_the_true_wait() {
    let (throttle, clock) = build("t: { rate: { requests: 1, per: 10s } }", 0);
    let (_permit, _) = permit(throttle.admit(0, 1, 1));
    let step = Duration::from_millis(700);
    let mut elapsed = Duration::ZERO;
    while elapsed < Duration::from_secs(10) {
        let (status, retry_after, _) = refusal(throttle.admit(0, 1, 1));
        let truth = Duration::from_secs(10) - elapsed;
        assert_eq!(status, 429);
        assert!(
            Duration::from_secs(retry_after) >= truth
                && Duration::from_secs(retry_after) < truth + Duration::from_secs(1),
            "Retry-After {retry_after} s, true wait {truth:?}"
        );
        clock.advance(step);
        elapsed += step;
    }
    assert!(matches!(
        throttle.admit(0, 1, 1),
        Admission::Admitted { .. }
    ));
}

#[test]
fn rate_limited_detail_and_headers() {
    let (throttle, _clock) = build("t: { rate: { requests: 1, per: 5s }, burst: 2 }", 0);
    let (_, headers) = permit(throttle.admit(0, 1, 1));
    assert_eq!(text(headers.policy_header()), Some("\"burst\";q=2;w=10"));
    assert_eq!(text(headers.render().as_ref()), Some("\"burst\";r=1;t=5"));
    let _ = throttle.admit(0, 1, 1);
    let Admission::Rejected {
        headers, detail, ..
    } = throttle.admit(0, 1, 1)
    else {
        panic!("the bucket is empty");
    };
    assert_eq!(text(headers.render().as_ref()), Some("\"burst\";r=0;t=5"));
    assert_eq!(
        detail,
        "tier `t` allows 1 requests per 5s with bursts of 2 per consumer and API; retry in 5 s"
    );
}

#[test]
fn headers_cover_every_configured_limit() {
    let (throttle, _clock) = build(
        "full:\n  rate: { requests: 100, per: 1s }\n  quota: { per_day: 10000, per_month: 300000 }\n  \
         max_concurrent: 10\nbare: {}\n",
        MAY_18_23H,
    );
    let (_permit, headers) = permit(throttle.admit(0, 1, 1));
    assert_eq!(
        text(headers.policy_header()),
        Some(
            "\"burst\";q=100;w=1, \"day\";q=10000;w=86400, \"month\";q=300000, \
             \"concurrency\";q=10;qu=\"concurrent-requests\""
        )
    );
    assert_eq!(
        text(headers.render().as_ref()),
        Some(&*format!(
            "\"burst\";r=99;t=1, \"day\";r=9999;t=3600, \"month\";r=299999;t={}, \
             \"concurrency\";r=9",
            JUNE_1 - MAY_18_23H
        ))
    );
    let (_, bare) = permit(throttle.admit(1, 1, 1));
    assert_eq!((bare.policy_header(), bare.render().as_ref()), (None, None));
}

#[test]
fn daily_quota_rolls_over_at_utc_midnight() {
    let (throttle, clock) = build("t: { quota: { per_day: 3 } }", MAY_18_BEFORE_MIDNIGHT);
    assert_eq!(admitted_in_a_row(&throttle), 3);
    let Admission::Rejected {
        status,
        retry_after_secs,
        reason,
        headers,
        detail,
    } = throttle.admit(0, 1, 1)
    else {
        panic!("quota is used up");
    };
    assert_eq!((status, retry_after_secs), (429, 2));
    assert_eq!(
        reason,
        Reason::QuotaExhausted {
            window: QuotaWindow::Day,
            resets_at_unix: MAY_19
        }
    );
    assert_eq!(text(headers.render().as_ref()), Some("\"day\";r=0;t=2"));
    assert_eq!(
        detail,
        "the daily quota of 3 requests of tier `t` per consumer and API is used up; it resets \
         at 2026-05-19T00:00:00Z"
    );
    clock.advance(Duration::from_millis(1_999));
    assert_eq!(refusal(throttle.admit(0, 1, 1)).1, 1);
    clock.advance(Duration::from_millis(1));
    let (_, headers) = permit(throttle.admit(0, 1, 1));
    assert_eq!(text(headers.render().as_ref()), Some("\"day\";r=2;t=86400"));
}

#[test]
fn monthly_quota_rolls_over_at_the_end_of_a_leap_february() {
    let (throttle, clock) = build(
        "t: { quota: { per_day: 100, per_month: 2 } }",
        LEAP_DAY_LAST_SECOND,
    );
    assert_eq!(admitted_in_a_row(&throttle), 2);
    let (status, retry_after, reason) = refusal(throttle.admit(0, 1, 1));
    assert_eq!((status, retry_after), (429, 1));
    assert_eq!(
        reason,
        Reason::QuotaExhausted {
            window: QuotaWindow::Month,
            resets_at_unix: LEAP_DAY_LAST_SECOND + 1
        }
    );
    clock.advance(Duration::from_secs(1));
    let (_, headers) = permit(throttle.admit(0, 1, 1));
    assert_eq!(
        text(headers.render().as_ref()),
        Some("\"day\";r=99;t=86400, \"month\";r=1;t=2678400"),
        "March has 31 days"
    );
}

#[test]
fn concurrency_permits_are_released_on_drop() {
    let (throttle, _clock) = build(
        "shared: { max_concurrent: 2, limit_by: consumer }\nper_api: { max_concurrent: 1 }\n",
        0,
    );
    let (first, _) = permit(throttle.admit(0, 1, 1));
    let (second, headers) = permit(throttle.admit(0, 1, 2));
    assert_eq!(text(headers.render().as_ref()), Some("\"concurrency\";r=0"));
    let Admission::Rejected {
        status,
        retry_after_secs,
        reason,
        headers,
        detail,
    } = throttle.admit(0, 1, 3)
    else {
        panic!("two requests are in flight");
    };
    assert_eq!(
        (status, retry_after_secs, reason),
        (429, 1, Reason::TooManyConcurrent)
    );
    assert_eq!(text(headers.render().as_ref()), Some("\"concurrency\";r=0"));
    assert_eq!(
        detail,
        "tier `shared` allows 2 concurrent requests per consumer"
    );
    assert!(matches!(
        throttle.admit(0, 2, 1),
        Admission::Admitted { .. }
    ));
    drop(first);
    let (_third, _) = permit(throttle.admit(0, 1, 3));
    drop(second);

    let (_one, _) = permit(throttle.admit(1, 1, 1));
    let (_other_api, _) = permit(throttle.admit(1, 1, 2));
    assert_eq!(
        refusal(throttle.admit(1, 1, 1)).2,
        Reason::TooManyConcurrent
    );
}

#[test]
fn overload_sheds_the_low_priority_tier_and_serves_the_high_one() {
    let shedding = SheddingConfig {
        max_in_flight: 4,
        retry_after: Duration::from_millis(1_500),
    };
    let (throttle, _clock, problems) = compile(
        "bronze: { priority: 0, rate: { requests: 1, per: 1h } }\ngold: { priority: 9 }\n",
        Some(shedding),
        0,
    );
    assert!(problems.is_empty(), "{problems:?}");
    let bronze: Vec<_> = (0..2)
        .map(|consumer| permit(throttle.admit(0, consumer, 1)))
        .collect();
    let Admission::Rejected {
        status,
        retry_after_secs,
        reason,
        detail,
        ..
    } = throttle.admit(0, 2, 1)
    else {
        panic!("bronze is shed from 2 requests in flight");
    };
    assert_eq!((status, retry_after_secs, reason), (503, 2, Reason::Shed));
    assert_eq!(
        detail,
        "the gateway is overloaded: tier `bronze` (priority 0) is served while fewer than 2 \
         requests are in flight"
    );
    let gold: Vec<_> = (0..2)
        .map(|consumer| permit(throttle.admit(1, consumer, 1)))
        .collect();
    assert_eq!(throttle.in_flight(), 4);
    assert_eq!(refusal(throttle.admit(1, 9, 1)).2, Reason::Shed);
    drop(gold);
    assert_eq!(throttle.in_flight(), 2);
    assert_eq!(refusal(throttle.admit(0, 3, 1)).2, Reason::Shed);
    assert!(matches!(
        throttle.admit(1, 9, 1),
        Admission::Admitted { .. }
    ));
    drop(bronze);
    assert_eq!(
        refusal(throttle.admit(0, 0, 1)).2,
        Reason::RateLimited,
        "a refusal after the shedding step gives its in-flight slot back"
    );
    assert_eq!(throttle.in_flight(), 0);
    assert!(matches!(
        throttle.admit(0, 5, 1),
        Admission::Admitted { .. }
    ));
}

#[test]
fn limit_by_consumer_shares_one_bucket_across_apis() {
    let (throttle, _clock) = build(
        "shared: { rate: { requests: 2, per: 1m }, limit_by: consumer }\n\
         split: { rate: { requests: 2, per: 1m } }\n",
        0,
    );
    for api in [1, 2] {
        assert!(matches!(
            throttle.admit(0, 1, api),
            Admission::Admitted { .. }
        ));
        assert!(matches!(
            throttle.admit(1, 1, api),
            Admission::Admitted { .. }
        ));
    }
    assert_eq!(refusal(throttle.admit(0, 1, 3)).1, 30);
    assert!(matches!(
        throttle.admit(1, 1, 3),
        Admission::Admitted { .. }
    ));
}

#[test]
fn compile_reports_every_problem_with_its_location() {
    let tiers = "zero:\n  rate: { requests: 0, per: 0s }\n  burst: 0\n  \
                 quota: { per_day: 0, per_month: 1099511627776 }\n  max_concurrent: 0\n  \
                 upstream_timeout: 0ms\n\
                 empty_quota: { quota: {}, burst: 5 }\n\
                 too_fast: { rate: { requests: 2000000, per: 1ms } }\n";
    let shedding = SheddingConfig {
        max_in_flight: 0,
        retry_after: Duration::ZERO,
    };
    let (_, _, problems) = compile(tiers, Some(shedding), 0);
    assert_eq!(
        problems,
        [
            "tiers.zero.burst: must be greater than zero",
            "tiers.zero.rate.requests: must be greater than zero",
            "tiers.zero.rate.per: must be greater than zero",
            "tiers.zero.quota.per_day: must be greater than zero",
            "tiers.zero.quota.per_month: must be at most 1099511627775",
            "tiers.zero.max_concurrent: must be greater than zero",
            "tiers.zero.upstream_timeout: must be greater than zero",
            "tiers.empty_quota.burst: has no effect without `rate`",
            "tiers.empty_quota.quota: set `per_day`, `per_month` or both",
            "tiers.too_fast.rate: 2000000 requests per 1ms is more than one per nanosecond",
            "load_shedding.max_in_flight: must be greater than zero",
            "load_shedding.retry_after: must be greater than zero",
        ]
    );
}

#[test]
fn upstream_timeout_is_exposed_per_tier() {
    let (throttle, _clock) = build("slow: { upstream_timeout: 2s }\nfast: {}\n", 0);
    assert_eq!(throttle.upstream_timeout(0), Some(Duration::from_secs(2)));
    assert_eq!(throttle.upstream_timeout(1), None);
}

#[test]
fn sweep_forgets_idle_consumers_once_their_windows_end() {
    let (throttle, clock) = build(
        "t: { rate: { requests: 5, per: 1s }, quota: { per_day: 100 }, max_concurrent: 3 }",
        MAY_18_23H,
    );
    for consumer in 0..1_000 {
        let _ = permit(throttle.admit(0, consumer, 7));
    }
    assert_eq!(
        throttle.tracked_keys(),
        2_000,
        "rate and quota; no request in flight"
    );
    clock.advance(Duration::from_secs(2));
    throttle.sweep();
    assert_eq!(throttle.tracked_keys(), 1_000, "today's quota counts stay");
    clock.advance(Duration::from_secs(3_600));
    throttle.sweep();
    assert_eq!(throttle.tracked_keys(), 0);
}

/// A memory figure of this process from `/proc/self/status` (`VmRSS`, `VmHWM`), in bytes.
fn proc_status_bytes(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("procfs");
    let kib: u64 = status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|value| value.split_whitespace().next()?.parse().ok())
        .expect("field in /proc/self/status");
    kib * 1024
}

fn rss_bytes() -> u64 {
    proc_status_bytes("VmRSS")
}

/// Memory with 1,000,000 distinct consumers seen, and after they go idle. Run alone, in release:
/// `cargo test -p canongate-policy --release -- --ignored --nocapture memory`.
#[test]
#[ignore = "measures process memory; run alone"]
fn memory_stays_bounded_with_a_million_consumers_and_shrinks_when_idle() {
    const CONSUMERS: u32 = 1_000_000;
    const MIB: f64 = 1024.0 * 1024.0;
    let (throttle, clock) = build(
        "t:\n  rate: { requests: 10, per: 1s }\n  quota: { per_day: 1000, per_month: 20000 }\n  \
         max_concurrent: 5\n  limit_by: consumer_api\n",
        MAY_18_23H,
    );
    let before = rss_bytes();
    for consumer in 0..CONSUMERS {
        let (permit, _) = permit(throttle.admit(0, consumer, 3));
        drop(permit);
    }
    let keys = throttle.tracked_keys();
    let seen = rss_bytes();
    let peak = proc_status_bytes("VmHWM");
    clock.advance(Duration::from_secs(2));
    throttle.sweep();
    let rate_swept = rss_bytes();
    let keys_after_rate = throttle.tracked_keys();
    clock.advance(Duration::from_secs(40 * 86_400));
    throttle.sweep();
    let idle = rss_bytes();
    println!(
        "{CONSUMERS} consumers: {keys} entries, state {:.1} MiB (RSS {:.1} → {:.1} MiB, peak \
         {:.1} MiB); buckets refilled: {keys_after_rate} entries, RSS {:.1} MiB; windows \
         ended: {} entries, RSS {:.1} MiB",
        seen.saturating_sub(before) as f64 / MIB,
        before as f64 / MIB,
        seen as f64 / MIB,
        peak as f64 / MIB,
        rate_swept as f64 / MIB,
        throttle.tracked_keys(),
        idle as f64 / MIB,
    );
    assert_eq!(keys, 2 * CONSUMERS as usize);
    assert_eq!(keys_after_rate, CONSUMERS as usize);
    assert_eq!(throttle.tracked_keys(), 0);
    assert!(seen.saturating_sub(before) <= 128 * 1024 * 1024);
    assert!(peak.saturating_sub(before) <= 128 * 1024 * 1024);
    assert!(idle < seen, "memory shrinks when consumers go idle");
}
