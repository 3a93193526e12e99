//! SLA tiers through the binary. Rates and quotas run on the gateway's manual clock
//! (`--manual-clock`, moved by the ops endpoint `/debug/clock`), so every request lands at an
//! exact instant: GCRA bursts and then exactly the rate with exact `Retry-After`, the
//! `RateLimit`/`RateLimit-Policy` fields, and a daily quota rolling over at UTC midnight.
//! Limiter state outlives reloads that leave it unchanged. Concurrency limits, priority load
//! shedding and a tier's upstream timeout hold requests in flight on a gated mock system.

use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use canongate_tests::document::{self, Consumer, Document, Identities};
use canongate_tests::gateway::{Gateway, anonymous_client};
use canongate_tests::mock::MockSystem;
use canongate_tests::{canonical_contract, expect_problem, wait_for};

/// `(consumer id = API key, tier)` of the consumers of [`tier_gateway`].
type Member = (&'static str, &'static str);

/// A document serving inventory and customer from `mock`, with `tiers` (entries of
/// [`document::tier`]), consumers `members` (each authenticated by its id as API key, subscribed
/// to both APIs with read scopes) and further top-level `sections`.
fn tier_body(mock: &MockSystem, tiers: &[String], members: &[Member], sections: &str) -> String {
    let consumers = members
        .iter()
        .map(|(id, tier)| {
            Consumer::new(id, tier)
                .api_key(id)
                .scopes(&["inventory:read", "customer:read"])
                .subscribed(&["inventory", "customer"])
        })
        .collect();
    let identities = Identities {
        tiers: tiers.to_vec(),
        consumers,
        sections: sections.to_owned(),
        ..Identities::default()
    };
    let apis = ["inventory", "customer"].map(|api| {
        document::api(
            api,
            &canonical_contract(api),
            "published",
            "erp",
            &format!("/erp/{api}"),
        )
    });
    document::body_with(
        &[document::system("erp", &[&mock.base_url()], &[])],
        &apis,
        &identities,
    )
}

/// A gateway on [`tier_body`], started with `args`.
fn tier_gateway(
    mock: &MockSystem,
    tiers: &[String],
    members: &[Member],
    sections: &str,
    args: &[&str],
) -> Gateway {
    let document = Document::new();
    document.write(&tier_body(mock, tiers, members, sections));
    document.start(args)
}

/// What the gateway answered, with the throttling header fields.
#[derive(Debug)]
struct Answer {
    status: u16,
    retry_after: Option<String>,
    policy: Option<String>,
    limit: Option<String>,
}

/// GET a list of `api` as consumer `key`.
fn call(gateway: &Gateway, key: &str, api: &str) -> Answer {
    let path = match api {
        "inventory" => "/inventory/v1/stock-levels",
        _ => "/customer/v1/customers",
    };
    let response = anonymous_client()
        .get(gateway.url(path))
        .header("x-api-key", key)
        .send()
        .expect("request");
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|value| value.to_str().expect("ascii header").to_owned())
    };
    Answer {
        status: response.status().as_u16(),
        retry_after: header("retry-after"),
        policy: header("ratelimit-policy"),
        limit: header("ratelimit"),
    }
}

/// Asserts that `answer` is a 200 with `limit` as its `RateLimit` and `policy` as its
/// `RateLimit-Policy`.
fn assert_served(answer: &Answer, policy: &str, limit: &str) {
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.policy.as_deref(), Some(policy), "{answer:?}");
    assert_eq!(answer.limit.as_deref(), Some(limit), "{answer:?}");
    assert_eq!(answer.retry_after, None, "{answer:?}");
}

/// Asserts that `answer` is a 429 with `Retry-After: retry_after`, `limit` and `policy`.
fn assert_limited(answer: &Answer, retry_after: u64, policy: &str, limit: &str) {
    assert_eq!(answer.status, 429, "{answer:?}");
    assert_eq!(
        answer.retry_after.as_deref(),
        Some(retry_after.to_string().as_str()),
        "{answer:?}"
    );
    assert_eq!(answer.policy.as_deref(), Some(policy), "{answer:?}");
    assert_eq!(answer.limit.as_deref(), Some(limit), "{answer:?}");
}

#[test]
fn gcra_allows_the_burst_then_exactly_the_rate() {
    let mock = MockSystem::start("erp", Duration::ZERO);
    let tiers = [
        document::tier("steady", "rate: {requests: 10, per: 1s}, burst: 10"),
        document::tier("slow", "rate: {requests: 1, per: 5s}, burst: 2"),
    ];
    let members = [
        ("steady-key-1", "steady"),
        ("steady-key-2", "steady"),
        ("slow-key", "slow"),
    ];
    let gateway = tier_gateway(&mock, &tiers, &members, "", &["--manual-clock"]);
    let start = gateway.clock();
    let steady = "\"burst\";q=10;w=1";
    let key = "steady-key-1";

    for remaining in (0..10).rev() {
        let answer = call(&gateway, key, "inventory");
        assert_served(&answer, steady, &format!("\"burst\";r={remaining};t=1"));
    }
    assert_limited(
        &call(&gateway, key, "inventory"),
        1,
        steady,
        "\"burst\";r=0;t=1",
    );
    let response = anonymous_client()
        .get(gateway.url("/inventory/v1/stock-levels"))
        .header("x-api-key", key)
        .send()
        .expect("request");
    let problem = expect_problem(response, 429, "rate-limited");
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|detail| detail.contains("10 requests per 1s")),
        "{problem}"
    );
    // Limits are kept per consumer and API.
    assert_served(
        &call(&gateway, key, "customer"),
        steady,
        "\"burst\";r=9;t=1",
    );
    assert_served(
        &call(&gateway, "steady-key-2", "inventory"),
        steady,
        "\"burst\";r=9;t=1",
    );

    // Then one request per 100 ms emission interval, to the millisecond.
    for _ in 0..3 {
        gateway.advance_clock(Duration::from_millis(99));
        assert_eq!(call(&gateway, key, "inventory").status, 429, "at 99 ms");
        gateway.advance_clock(Duration::from_millis(1));
        assert_served(
            &call(&gateway, key, "inventory"),
            steady,
            "\"burst\";r=0;t=1",
        );
        assert_eq!(
            call(&gateway, key, "inventory").status,
            429,
            "one per interval"
        );
    }
    // A full period refills the whole bucket, and no more.
    gateway.advance_clock(Duration::from_secs(1));
    let served = (0..11)
        .take_while(|_| call(&gateway, key, "inventory").status == 200)
        .count();
    assert_eq!(served, 10);

    // Retry-After is the exact wait, rounded up to whole seconds.
    let slow = "\"burst\";q=2;w=10";
    assert_served(
        &call(&gateway, "slow-key", "inventory"),
        slow,
        "\"burst\";r=1;t=5",
    );
    assert_served(
        &call(&gateway, "slow-key", "inventory"),
        slow,
        "\"burst\";r=0;t=5",
    );
    assert_limited(
        &call(&gateway, "slow-key", "inventory"),
        5,
        slow,
        "\"burst\";r=0;t=5",
    );
    gateway.advance_clock(Duration::from_millis(2_500));
    assert_limited(
        &call(&gateway, "slow-key", "inventory"),
        3,
        slow,
        "\"burst\";r=0;t=3",
    );
    gateway.advance_clock(Duration::from_millis(2_499));
    assert_limited(
        &call(&gateway, "slow-key", "inventory"),
        1,
        slow,
        "\"burst\";r=0;t=1",
    );
    gateway.advance_clock(Duration::from_millis(1));
    assert_served(
        &call(&gateway, "slow-key", "inventory"),
        slow,
        "\"burst\";r=0;t=5",
    );

    let elapsed = gateway.clock().elapsed - start.elapsed;
    assert_eq!(
        elapsed,
        Duration::from_millis(6_300),
        "only the test moved the clock"
    );
    let reached = mock.requests().len();
    assert_eq!(
        reached,
        10 + 2 + 3 + 10 + 3,
        "refused requests never reach the system"
    );
}

#[test]
fn daily_quota_rolls_over_at_utc_midnight() {
    let mock = MockSystem::start("erp", Duration::ZERO);
    let tiers = [document::tier("daily", "quota: {per_day: 3}")];
    let gateway = tier_gateway(
        &mock,
        &tiers,
        &[("daily-key", "daily")],
        "",
        &["--manual-clock"],
    );
    let policy = "\"day\";q=3;w=86400";
    let to_midnight = 86_400 - gateway.clock().unix % 86_400;

    for remaining in (0..3).rev() {
        assert_served(
            &call(&gateway, "daily-key", "inventory"),
            policy,
            &format!("\"day\";r={remaining};t={to_midnight}"),
        );
    }
    let exhausted = format!("\"day\";r=0;t={to_midnight}");
    assert_limited(
        &call(&gateway, "daily-key", "inventory"),
        to_midnight,
        policy,
        &exhausted,
    );
    let response = anonymous_client()
        .get(gateway.url("/inventory/v1/stock-levels"))
        .header("x-api-key", "daily-key")
        .send()
        .expect("request");
    let problem = expect_problem(response, 429, "quota-exhausted");
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|detail| detail.contains("T00:00:00Z")),
        "the problem says when the quota resets: {problem}"
    );

    gateway.advance_clock(Duration::from_secs(to_midnight - 1));
    assert_limited(
        &call(&gateway, "daily-key", "inventory"),
        1,
        policy,
        "\"day\";r=0;t=1",
    );
    gateway.advance_clock(Duration::from_secs(1));
    assert_eq!(gateway.clock().unix % 86_400, 0, "at midnight");
    for remaining in (0..3).rev() {
        assert_served(
            &call(&gateway, "daily-key", "inventory"),
            policy,
            &format!("\"day\";r={remaining};t=86400"),
        );
    }
    assert_eq!(call(&gateway, "daily-key", "inventory").status, 429);
    assert_eq!(mock.requests().len(), 6);
}

/// Sends a request of `key` on its own thread; joins to its status.
fn in_background(gateway: &Gateway, key: &'static str) -> JoinHandle<u16> {
    let url = gateway.url("/inventory/v1/stock-levels");
    std::thread::spawn(move || {
        anonymous_client()
            .get(url)
            .header("x-api-key", key)
            .send()
            .expect("request")
            .status()
            .as_u16()
    })
}

/// Waits until `count` requests have reached `mock`.
fn wait_for_arrivals(mock: &MockSystem, count: usize) {
    wait_for(
        &format!("{count} requests to reach the system"),
        Duration::from_secs(10),
        || (mock.requests().len() >= count).then_some(()),
    );
}

/// Asserts a `503 overloaded` with `Retry-After: 2` for `key`.
fn assert_shed(gateway: &Gateway, key: &str) {
    let response = anonymous_client()
        .get(gateway.url("/inventory/v1/stock-levels"))
        .header("x-api-key", key)
        .send()
        .expect("request");
    assert_eq!(
        response.headers().get("retry-after").map(|v| v.as_bytes()),
        Some(&b"2"[..]),
        "{key}"
    );
    expect_problem(response, 503, "overloaded");
}

#[test]
fn overload_sheds_the_low_priority_tier_first() {
    let mock = MockSystem::start_gated("erp");
    let tiers = [
        document::tier("low", "priority: 1"),
        document::tier("high", "priority: 9"),
    ];
    // Priorities {0 (unlimited), 1, 9} make three classes: with 6 in flight, priority 1 is shed
    // from 4 requests in flight and priority 9 from 6.
    let gateway = tier_gateway(
        &mock,
        &tiers,
        &[("low-key", "low"), ("high-key", "high")],
        "load_shedding: {max_in_flight: 6, retry_after: 2s}\n",
        &[],
    );
    let mut held: Vec<JoinHandle<u16>> = (0..4)
        .map(|_| in_background(&gateway, "high-key"))
        .collect();
    wait_for_arrivals(&mock, 4);
    assert_shed(&gateway, "low-key");
    held.push(in_background(&gateway, "high-key"));
    wait_for_arrivals(&mock, 5);
    held.push(in_background(&gateway, "high-key"));
    wait_for_arrivals(&mock, 6);
    assert_shed(&gateway, "high-key");
    assert_shed(&gateway, "low-key");

    mock.release();
    for request in held {
        assert_eq!(request.join().expect("request thread"), 200);
    }
    wait_for(
        "the low tier to be served again",
        Duration::from_secs(10),
        || (call(&gateway, "low-key", "inventory").status == 200).then_some(()),
    );
    assert_eq!(
        mock.requests().len(),
        7,
        "shed requests never reach the system"
    );
}

#[test]
fn concurrency_limits_count_requests_in_flight_across_apis() {
    let mock = MockSystem::start_gated("erp");
    let tiers = [document::tier(
        "single",
        "max_concurrent: 1, limit_by: consumer",
    )];
    let gateway = tier_gateway(&mock, &tiers, &[("single-key", "single")], "", &[]);
    let policy = "\"concurrency\";q=1;qu=\"concurrent-requests\"";
    let held = in_background(&gateway, "single-key");
    wait_for_arrivals(&mock, 1);
    assert_limited(
        &call(&gateway, "single-key", "inventory"),
        1,
        policy,
        "\"concurrency\";r=0",
    );
    assert_limited(
        &call(&gateway, "single-key", "customer"),
        1,
        policy,
        "\"concurrency\";r=0",
    );
    mock.release();
    assert_eq!(held.join().expect("request thread"), 200);
    let answer = wait_for("the slot to be free", Duration::from_secs(10), || {
        let answer = call(&gateway, "single-key", "inventory");
        (answer.status == 200).then_some(answer)
    });
    assert_served(&answer, policy, "\"concurrency\";r=0");
}

#[test]
fn a_tier_upstream_timeout_caps_the_wait_for_the_system() {
    let mock = MockSystem::start_gated("erp");
    let tiers = [document::tier("hasty", "upstream_timeout: 300ms")];
    let gateway = tier_gateway(&mock, &tiers, &[("hasty-key", "hasty")], "", &[]);
    let started = Instant::now();
    let response = anonymous_client()
        .get(gateway.url("/inventory/v1/stock-levels"))
        .header("x-api-key", "hasty-key")
        .send()
        .expect("request");
    expect_problem(response, 504, "upstream-timeout");
    let elapsed = started.elapsed();
    assert!(
        elapsed < Duration::from_secs(5),
        "the tier's 300 ms apply, not the system's 30 s read timeout: {elapsed:?}"
    );
    mock.release();
}

#[test]
fn limiter_state_survives_reloads_that_leave_the_tiers_unchanged() {
    let mock = MockSystem::start("erp", Duration::ZERO);
    let members = [("pair-key", "pair")];
    let pair = |burst: u32| {
        [document::tier(
            "pair",
            &format!("rate: {{requests: 1, per: 1m}}, burst: {burst}"),
        )]
    };
    let gateway = tier_gateway(&mock, &pair(2), &members, "", &["--manual-clock"]);
    let status = || call(&gateway, "pair-key", "inventory").status;
    assert_eq!([status(), status(), status()], [200, 200, 429]);

    gateway.reload("relabelled", &tier_body(&mock, &pair(2), &members, ""));
    assert_eq!(
        status(),
        429,
        "a reload of the same tiers keeps their state"
    );

    gateway.reload("wider", &tier_body(&mock, &pair(3), &members, ""));
    assert_eq!(
        [status(), status(), status(), status()],
        [200, 200, 200, 429],
        "changed tiers start afresh"
    );

    let auth_only = "auth: {token_cache_capacity: 5000}\n";
    gateway.reload(
        "auth-changed",
        &tier_body(&mock, &pair(3), &members, auth_only),
    );
    assert_eq!(
        status(),
        429,
        "a change of the authentication settings alone keeps the limiter state"
    );

    let joined = [("new-key", "pair"), ("pair-key", "pair")];
    gateway.reload(
        "consumer-added",
        &tier_body(&mock, &pair(3), &joined, auth_only),
    );
    assert_eq!(
        status(),
        429,
        "adding a consumer before this one keeps this consumer's limits"
    );
    assert_eq!(
        call(&gateway, "new-key", "inventory").status,
        200,
        "the new consumer starts with its own budget"
    );
}
