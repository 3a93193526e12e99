//! Hot reload: documents rewritten under concurrent load and applied by SIGHUP drop no request;
//! invalid documents are refused while the previous revision keeps serving; `--watch` applies a
//! changed file on its own.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use canongate_tests::document::{self, Document};
use canongate_tests::gateway::{client, sample};
use canongate_tests::mock::MockSystem;
use canongate_tests::{canonical_contract, wait_for};

const LIST: &str = "/inventory/v1/stock-levels";

/// The inventory API on `mock` under `prefix`, labelled `revision`.
fn revision_body(revision: &str, mock: &MockSystem, prefix: &str) -> String {
    let body = document::body(
        &[document::system("erp", &[&mock.base_url()], &[])],
        &[document::api(
            "inventory",
            &canonical_contract("inventory"),
            "published",
            "erp",
            prefix,
        )],
    );
    format!("revision: {revision}\n{body}")
}

/// Counts of a load run.
#[derive(Default)]
struct Load {
    stop: AtomicBool,
    succeeded: AtomicUsize,
    failures: std::sync::Mutex<Vec<String>>,
}

#[test]
fn reloads_under_concurrent_load_drop_no_request() {
    let mock = MockSystem::start("erp", Duration::ZERO);
    let document = Document::new();
    document.write(&revision_body("r0", &mock, "/erp-a/inventory"));
    let gateway = document.start(&[]);
    let url = gateway.url(LIST);
    let load = Arc::new(Load::default());
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let (load, url) = (load.clone(), url.clone());
            std::thread::spawn(move || {
                let client = client();
                while !load.stop.load(Ordering::Relaxed) {
                    match client.get(&url).send() {
                        Ok(response) if response.status() == 200 => {
                            load.succeeded.fetch_add(1, Ordering::Relaxed);
                        }
                        Ok(response) => load.failures.lock().unwrap().push(format!(
                            "{}: {}",
                            response.status(),
                            response.text().unwrap_or_default()
                        )),
                        Err(error) => load.failures.lock().unwrap().push(format!("{error:?}")),
                    }
                }
            })
        })
        .collect();

    let started = Instant::now();
    let mut reloads = 0;
    while reloads < 6 || started.elapsed() < Duration::from_secs(3) {
        reloads += 1;
        let prefix = if reloads % 2 == 0 {
            "/erp-a/inventory"
        } else {
            "/erp-b/inventory"
        };
        let revision = format!("r{reloads}");
        gateway.rewrite(&revision_body(&revision, &mock, prefix));
        gateway.send_hangup();
        gateway.wait_for_revision(&revision);
        let before = load.succeeded.load(Ordering::Relaxed);
        wait_for(
            "requests on the new revision",
            Duration::from_secs(10),
            || (load.succeeded.load(Ordering::Relaxed) >= before + 40).then_some(()),
        );
    }
    load.stop.store(true, Ordering::Relaxed);
    for worker in workers {
        worker.join().expect("load thread");
    }

    let failures = load.failures.lock().unwrap();
    let succeeded = load.succeeded.load(Ordering::Relaxed);
    assert!(
        failures.is_empty(),
        "{} of {} requests failed: {:?}",
        failures.len(),
        succeeded + failures.len(),
        &failures[..failures.len().min(5)]
    );
    let targets: Vec<String> = mock
        .requests()
        .into_iter()
        .map(|request| request.target)
        .collect();
    assert_eq!(
        targets.len(),
        succeeded,
        "every success was answered by the system"
    );
    for prefix in [
        "/erp-a/inventory/stock-levels",
        "/erp-b/inventory/stock-levels",
    ] {
        assert!(
            targets.iter().any(|target| target == prefix),
            "{prefix} never reached the system"
        );
    }
    assert_eq!(gateway.readiness()["last_reload"]["result"], "applied");
    assert_eq!(
        gateway.readiness()["last_reload"]["revision"],
        format!("r{reloads}")
    );
    let metrics = gateway.metrics();
    assert_eq!(
        sample(
            &metrics,
            "canongate_config_reloads_total",
            &[("result", "applied")]
        ),
        Some(f64::from(reloads))
    );
    assert_eq!(
        sample(
            &metrics,
            "canongate_config_revision_info",
            &[("revision", &format!("r{reloads}"))]
        ),
        Some(1.0)
    );
    // The log line may follow the swap by a moment.
    gateway.wait_for_log("configuration reloaded");
}

#[test]
fn invalid_documents_are_refused_and_the_revision_keeps_serving() {
    let mock = MockSystem::start("erp", Duration::ZERO);
    let document = Document::new();
    document.write(&revision_body("good", &mock, "/erp/inventory"));
    let mut gateway = document.start(&[]);
    let good = revision_body("good", &mock, "/erp/inventory");
    let invalid = [
        (
            "bad YAML",
            "revision: bad\nsystems: {erp: [\n".to_owned(),
            "gateway.yaml",
        ),
        (
            "unknown system",
            good.replace("system: erp", "system: nosuch"),
            "nosuch",
        ),
        (
            "missing contract",
            good.replace("inventory.yaml", "missing-contract.yaml"),
            "missing-contract.yaml",
        ),
    ];
    for (refusals, (what, body, mentioned)) in invalid.iter().enumerate() {
        gateway.rewrite(&body.replace("revision: good", "revision: bad"));
        gateway.send_hangup();
        gateway.wait_for_metric(
            "canongate_config_reloads_total",
            &[("result", "refused")],
            (refusals + 1) as f64,
        );
        let readiness = gateway.readiness();
        assert_eq!(readiness["revision"], "good", "{what}");
        assert_eq!(readiness["last_reload"]["result"], "refused", "{what}");
        let error = readiness["last_reload"]["error"]
            .as_str()
            .unwrap_or_default();
        assert!(
            error.contains(mentioned),
            "{what}: the error names {mentioned:?}: {error}"
        );
        let response = client().get(gateway.url(LIST)).send().expect("request");
        assert_eq!(
            response.status(),
            200,
            "{what}: the old revision keeps serving"
        );
    }
    assert_eq!(
        mock.requests()
            .iter()
            .filter(|r| r.target == "/erp/inventory/stock-levels")
            .count(),
        3
    );
    let refused = gateway.wait_for_log("configuration refused");
    assert!(
        refused.contains("ERROR"),
        "refusals are logged as errors: {refused}"
    );
    assert!(gateway.is_running(), "refusals never stop the gateway");
}

#[test]
fn watch_applies_a_changed_document_without_a_signal() {
    let mock = MockSystem::start("erp", Duration::ZERO);
    let document = Document::new();
    document.write(&revision_body("first", &mock, "/erp-a/inventory"));
    let gateway = document.start(&["--watch", "--watch-interval", "100ms"]);
    client().get(gateway.url(LIST)).send().expect("request");
    gateway.rewrite(&revision_body("second-revision", &mock, "/erp-b/inventory"));
    gateway.wait_for_revision("second-revision");
    gateway.wait_for_log("configuration reloaded");
    client().get(gateway.url(LIST)).send().expect("request");
    let targets: Vec<String> = mock
        .requests()
        .into_iter()
        .map(|request| request.target)
        .collect();
    assert_eq!(
        targets,
        [
            "/erp-a/inventory/stock-levels",
            "/erp-b/inventory/stock-levels"
        ]
    );
}

#[test]
fn watch_applies_a_changed_contract() {
    let mock = MockSystem::start("erp", Duration::ZERO);
    let document = Document::new();
    let contract = document.dir().join("inventory.yaml");
    let text = std::fs::read_to_string(canonical_contract("inventory")).expect("contract");
    std::fs::write(&contract, &text).expect("copy contract");
    document.write(&document::body(
        &[document::system("erp", &[&mock.base_url()], &[])],
        &[document::api(
            "inventory",
            &contract,
            "published",
            "erp",
            "/erp/inventory",
        )],
    ));
    let gateway = document.start(&["--watch", "--watch-interval", "100ms"]);
    let first = gateway.revision();
    assert!(
        first.starts_with("fnv-"),
        "an unlabelled document is named by its hash: {first}"
    );
    let movements = gateway.url("/inventory/v1/stock-levels/s-1/movements");
    assert_eq!(
        client().post(&movements).send().expect("request").status(),
        404
    );

    let renamed = text.replacen(
        "/stock-levels/{stockLevelId}/adjustments:",
        "/stock-levels/{stockLevelId}/movements:",
        1,
    );
    assert_ne!(renamed, text);
    std::fs::write(&contract, renamed).expect("rewrite contract");
    wait_for(
        "the changed contract to be applied",
        Duration::from_secs(10),
        || (gateway.revision() != first).then_some(()),
    );
    assert_eq!(
        client().post(&movements).send().expect("request").status(),
        200
    );
    assert_eq!(
        mock.requests().pop().expect("recorded").target,
        "/erp/inventory/stock-levels/s-1/movements"
    );
}
