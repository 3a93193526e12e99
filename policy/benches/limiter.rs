//! Cost of `Throttle::admit` on the allowed path (rate, day/month quota and concurrency all
//! configured, never refusing), for one hot key and for 100,000 distinct keys, including the
//! permit's release.

use std::hint::black_box;

use canongate_policy::throttle::{Admission, Throttle, ThrottleClock, TierConfig};
use criterion::{Criterion, criterion_group, criterion_main};
use indexmap::IndexMap;

/// One tier whose limits are far above what the benchmark sends.
fn throttle(tier: &str) -> Throttle {
    let tiers: IndexMap<String, TierConfig> = serde_norway::from_str(tier).expect("tier");
    let mut problems = Vec::new();
    let throttle = Throttle::compile(
        &tiers,
        None,
        &ThrottleClock::system(),
        &mut |at, message| problems.push(format!("{at}: {message}")),
    );
    assert!(problems.is_empty(), "{problems:?}");
    throttle
}

fn bench_admit(c: &mut Criterion) {
    let rate_only = throttle("t: { rate: { requests: 1000000000, per: 1s } }");
    let full = throttle(
        "t:\n  rate: { requests: 1000000000, per: 1s }\n  \
         quota: { per_day: 1000000000000, per_month: 1000000000000 }\n  max_concurrent: 1000\n",
    );
    let mut group = c.benchmark_group("admit");
    for (name, throttle) in [("rate", &rate_only), ("rate_quota_concurrency", &full)] {
        group.bench_function(format!("{name}/hot_key"), |b| {
            b.iter(|| {
                let admission = throttle.admit(0, black_box(7), black_box(3));
                assert!(matches!(admission, Admission::Admitted { .. }));
                admission
            })
        });
        let mut consumer = 0u32;
        group.bench_function(format!("{name}/100k_keys"), |b| {
            b.iter(|| {
                consumer = (consumer + 1) % 100_000;
                let admission = throttle.admit(0, black_box(consumer), black_box(3));
                assert!(matches!(admission, Admission::Admitted { .. }));
                admission
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench_admit);
criterion_main!(benches);
