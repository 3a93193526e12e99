//! Compiling the gateway document at the control-plane issue's scale (1,000 APIs, 10,000
//! operations, 100,000 consumers): the control plane building it from its store, a gateway
//! parsing and compiling it, and compiling it again after a publish (unchanged contracts reused).
//!
//! cargo bench -p canongate-tests --bench control_plane

use std::time::Duration;

use canongate_policy::Snapshot;
use canongate_policy::snapshot::CompileContext;
use canongate_registry::document;
use canongate_registry::store::{Store, revision_of};
use canongate_tests::scale::{Scale, seed};
use criterion::{Criterion, criterion_group, criterion_main};

fn compile(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    seed(dir.path(), Scale::ISSUE, "http://127.0.0.1:9");
    let store = Store::open(dir.path()).expect("store");
    let build = || {
        store
            .read(|sql| document::build_json(sql, revision_of(sql)?))
            .expect("document")
    };
    let mut group = c.benchmark_group("issue-scale");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(40));
    group.bench_function("control-plane/build-json", |b| b.iter(|| build().len()));
    let text = String::from_utf8(build()).expect("utf-8");
    let parse = || canongate_policy::config::parse("snapshot", &text, Default::default());
    group.bench_function("gateway/parse-json", |b| {
        b.iter(|| parse().expect("parses").consumers.len())
    });
    let built = parse().expect("parses");
    group.bench_function("gateway/compile", |b| {
        b.iter(|| Snapshot::compile(&built).expect("compiles").revision.len())
    });
    let first = Snapshot::compile(&built).expect("compiles");
    let context = CompileContext {
        clock: None,
        previous: Some(&first),
    };
    group.bench_function("gateway/recompile-with-previous", |b| {
        b.iter(|| {
            Snapshot::compile_with(&built, &context)
                .expect("compiles")
                .revision
                .len()
        })
    });
    group.finish();
}

criterion_group!(benches, compile);
criterion_main!(benches);
