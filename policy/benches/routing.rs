//! Route matching cost with 10 and 10,000 routes (the tree must keep the two close).

use std::hint::black_box;

use canongate_policy::routing::{RouteMatch, Router, RouterBuilder};
use criterion::{Criterion, criterion_group, criterion_main};
use http::Method;

/// `count` routes shaped like canonical APIs: collections and items over many APIs and versions.
fn router_with(count: usize) -> Router {
    let mut builder = RouterBuilder::default();
    for index in 0..count {
        let api = index / 20;
        let resource = index % 20 / 2;
        let template = if index % 2 == 0 {
            format!("/api-{api}/v1/resource-{resource}")
        } else {
            format!("/api-{api}/v1/resource-{resource}/{{id}}")
        };
        builder
            .add(&Method::GET, &template, index as u32)
            .expect("unique route");
    }
    let (router, conflicts) = builder.build();
    assert!(conflicts.is_empty());
    router
}

fn bench_routing(c: &mut Criterion) {
    let mut group = c.benchmark_group("route_lookup");
    for count in [10, 10_000] {
        let router = router_with(count);
        let last_api = (count - 1) / 20;
        let path = format!("/api-{last_api}/v1/resource-4/0b6f6a52-3b7a-4f55-9d8c-2f1c4b1f2e10");
        assert!(matches!(
            router.lookup(&Method::GET, &path),
            RouteMatch::Found(_)
        ));
        group.bench_function(format!("{count}_routes"), |b| {
            b.iter(|| router.lookup(black_box(&Method::GET), black_box(&path)))
        });
    }
    group.finish();
}

criterion_group!(benches, bench_routing);
criterion_main!(benches);
