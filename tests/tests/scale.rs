//! The control plane at the scale its issue names (1,000 APIs, 10,000 operations, 100,000
//! consumers): how long the document takes to compile and to reach a gateway, how much memory
//! the gateway holding it needs, how fast a publish reaches it, and how many admin reads one
//! core serves. A benchmark, not a test: it prints figures and asserts only correctness.
//!
//! cargo build --release --bin canongate
//! cargo nextest run --release -p canongate-tests --test scale --run-ignored only --no-capture

use std::process::Command;
use std::time::{Duration, Instant};

use canongate_tests::control_plane::ControlPlane;
use canongate_tests::gateway::anonymous_client;
use canongate_tests::mock::MockSystem;
use canongate_tests::scale::{Scale, api_name, contract, seed};
use canongate_tests::wait_for;
use reqwest::Method;
use serde_json::json;

/// `VmHWM` and `VmRSS` of a process, in MiB.
fn memory(pid: u32) -> (f64, f64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    let field = |name: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next()?.parse::<f64>().ok())
            .map_or(0.0, |kib| kib / 1024.0)
    };
    (field("VmHWM:"), field("VmRSS:"))
}

fn percentile(samples: &mut [Duration], percent: usize) -> Duration {
    samples.sort_unstable();
    let index = (samples.len() * percent).div_ceil(100).saturating_sub(1);
    samples[index.min(samples.len() - 1)]
}

/// Requests per second `wrk` reaches on `url` with `token`, the server pinned to CPU 0 and
/// `wrk` to CPU 1; `None` without `wrk` or `taskset`.
fn reads_per_second(server: u32, url: &str, token: &str) -> Option<f64> {
    let pinned = Command::new("taskset")
        .args(["-a", "-p", "-c", "0", &server.to_string()])
        .output()
        .ok()?;
    if !pinned.status.success() {
        return None;
    }
    let output = Command::new("taskset")
        .args(["-c", "1", "wrk", "-t1", "-c32", "-d10s", "-H"])
        .arg(format!("Authorization: Bearer {token}"))
        .arg(url)
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    eprintln!("{text}");
    text.lines()
        .find_map(|line| line.strip_prefix("Requests/sec:"))
        .and_then(|rate| rate.trim().parse().ok())
}

/// Publishes measured, each a new minor version of one API.
const PUBLISHES: usize = 40;

#[test]
#[ignore = "benchmark: run in release, see BENCHMARKS.md"]
fn control_plane_at_issue_scale() {
    let system = MockSystem::start("backend", Duration::ZERO);
    let scale = Scale::ISSUE;
    let started = Instant::now();
    let control_plane = ControlPlane::start_seeded(|data| seed(data, scale, &system.base_url()));
    eprintln!(
        "seeded {} APIs x {} operations, {} consumers in {:?}",
        scale.apis,
        scale.operations,
        scale.consumers,
        started.elapsed()
    );

    // The control plane compiles the document on the first request for a revision.
    let gateway_token = control_plane.token(&["gateway"]);
    let started = Instant::now();
    let response = control_plane.send(Method::GET, "/snapshot", Some(&gateway_token), None);
    assert_eq!(response.status(), 200);
    let bytes = response.bytes().expect("document").len();
    let build = started.elapsed();
    eprintln!(
        "control plane: document built and sent in {build:?} ({} MiB)",
        bytes >> 20
    );

    // A gateway compiles it: start to ready.
    let state = tempfile::tempdir().expect("state dir");
    let started = Instant::now();
    let gateway = control_plane.gateway(state.path());
    let ready = started.elapsed();
    let url = |path: &str| gateway.url(path);
    let served = anonymous_client()
        .get(url("/api-999/v1/res-9/x"))
        .send()
        .expect("answer");
    assert_eq!(served.status(), 200);
    let (peak, resident) = memory(gateway.pid());
    eprintln!(
        "gateway: fetched, compiled and ready in {ready:?}; VmHWM {peak:.1} MiB, VmRSS {resident:.1} MiB"
    );

    // Publish -> served, twenty times.
    let api = api_name(0);
    let mut latencies = Vec::new();
    for minor in 1..=PUBLISHES {
        let body = json!({"contract": contract(&api, &format!("1.{minor}.0"), scale.operations, minor), "publish": true});
        let started = Instant::now();
        control_plane.admin(Method::POST, &format!("/apis/{api}/versions"), Some(&body));
        let path = url(&format!("/{api}/v1/extra-{}", minor - 1));
        wait_for(
            "the new version on the gateway",
            Duration::from_secs(30),
            || {
                let status = anonymous_client().get(&path).send().ok()?.status();
                (status == 200).then_some(())
            },
        );
        latencies.push(started.elapsed());
        if minor % 5 == 0 {
            let (peak, resident) = memory(gateway.pid());
            eprintln!(
                "gateway after {minor} publishes: VmHWM {peak:.1} MiB, VmRSS {resident:.1} MiB"
            );
        }
    }
    // The allocator returns freed memory to the system a while after it is freed (mimalloc's
    // purge delay, 1 s by default), when it next runs: measure again after a pause and traffic.
    std::thread::sleep(Duration::from_secs(3));
    for _ in 0..200 {
        anonymous_client()
            .get(url("/api-999/v1/res-9/x"))
            .send()
            .expect("answer");
    }
    let (peak, resident) = memory(gateway.pid());
    eprintln!("gateway settled after the publishes: VmHWM {peak:.1} MiB, VmRSS {resident:.1} MiB");
    let mut slowest = latencies.clone();
    slowest.sort_unstable_by(|a, b| b.cmp(a));
    eprintln!("slowest publishes: {:?}", &slowest[..3]);
    let (p50, p99) = (
        percentile(&mut latencies, 50),
        percentile(&mut latencies, 99),
    );
    eprintln!(
        "publish -> served: p50 {p50:?}, p99 {p99:?} over {} publishes",
        latencies.len()
    );

    let reader = control_plane.token(&["viewer"]);
    let read_url = format!("{}/api/v1/teams/scale", control_plane.base_url());
    match control_plane
        .pid()
        .and_then(|pid| reads_per_second(pid, &read_url, &reader))
    {
        Some(rate) => eprintln!("admin reads on one core: {rate:.0} requests/s"),
        None => eprintln!("admin reads: wrk or taskset unavailable"),
    }
}
