//! The follower's pieces that need no control plane: the durable write, the backoff, entity tags,
//! problem details, the gateway id, and JSON documents read by the document loader.

use std::path::{Path, PathBuf};
use std::time::Duration;

use canongate_policy::config::{self, ContractSource};
use canongate_policy::throttle::ThrottleClock;

use super::*;

/// A fresh directory under the system's temporary directory, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "canongate-follow-{name}-{}-{:08x}",
            std::process::id(),
            rand::random::<u32>()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn durable_write_creates_then_replaces_whole_and_leaves_no_temporary_file() {
    let scratch = Scratch::new("durable");
    let path = scratch.0.join(LAST_KNOWN_GOOD_FILE);
    write_durably(&path, b"{\"revision\": \"1\"}").unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"{\"revision\": \"1\"}");
    write_durably(&path, b"{}").unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"{}");
    assert_eq!(entries(&scratch.0), [LAST_KNOWN_GOOD_FILE]);
}

#[test]
fn failed_durable_write_keeps_the_old_file() {
    let scratch = Scratch::new("durable-failed");
    let path = scratch.0.join(LAST_KNOWN_GOOD_FILE);
    write_durably(&path, b"old").unwrap();
    // A directory where the temporary file should go makes the write fail before the rename.
    std::fs::create_dir(scratch.0.join(format!("{LAST_KNOWN_GOOD_FILE}.tmp"))).unwrap();
    assert!(write_durably(&path, b"new").is_err());
    assert_eq!(std::fs::read(&path).unwrap(), b"old");
    assert!(write_durably(Path::new("/"), b"x").is_err());
}

#[test]
fn backoff_doubles_to_thirty_seconds_with_jitter_and_resets() {
    let mut backoff = Backoff::default();
    let full = [1, 2, 4, 8, 16, 30, 30].map(Duration::from_secs);
    for full in full {
        let pause = backoff.failure();
        assert!(pause >= full / 2 && pause <= full, "{pause:?} for {full:?}");
    }
    backoff.reset();
    assert!(backoff.failure() <= Duration::from_secs(1));
}

#[test]
fn revision_is_the_text_of_the_entity_tag() {
    assert_eq!(revision_from_etag("\"42\""), Some("42"));
    assert_eq!(revision_from_etag(" W/\"42\" "), Some("42"));
    assert_eq!(revision_from_etag("\"2026-11-26.1\""), Some("2026-11-26.1"));
    for refused in ["42", "\"\"", "\"4\"2\"", "\"4 2\"", "\"42", "W/42", "\"é\""] {
        assert_eq!(revision_from_etag(refused), None, "{refused}");
    }
    assert!(is_opaque_tag("17"));
    assert!(!is_opaque_tag("a b"));
}

#[test]
fn problem_detail_prefers_the_detail_then_the_title_then_the_text() {
    let problem = br#"{"type":"urn:canongate:problem:unauthorized","title":"Unauthorized","status":401,"detail":"the token has expired"}"#;
    assert_eq!(problem_detail(problem), "the token has expired");
    assert_eq!(problem_detail(br#"{"title":"Forbidden"}"#), "Forbidden");
    assert_eq!(problem_detail(b"  Bad Gateway\n"), "Bad Gateway");
    assert_eq!(problem_detail(b""), "no detail");
}

#[test]
fn gateway_id_is_created_once_and_kept() {
    let scratch = Scratch::new("id");
    let id = gateway_id(None, &scratch.0).unwrap();
    assert!(id.len() > 9 && id.is_ascii(), "{id}");
    assert_eq!(gateway_id(None, &scratch.0).unwrap(), id);
    assert_eq!(gateway_id(Some("edge-1"), &scratch.0).unwrap(), "edge-1");

    let error = gateway_id(Some("edge 1"), &scratch.0).unwrap_err();
    assert!(
        error.to_string().starts_with("--gateway-id \"edge 1\""),
        "{error}"
    );
    std::fs::write(scratch.0.join(GATEWAY_ID_FILE), "\n").unwrap();
    let error = gateway_id(None, &scratch.0).unwrap_err();
    assert!(
        error.to_string().contains("fix or delete the file"),
        "{error}"
    );
}

#[test]
fn a_self_contained_json_document_loads_like_its_yaml_original() {
    let deploy = Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy");
    let text = std::fs::read_to_string(deploy.join("gateway.example.yaml")).unwrap();
    let mut document = config::parse("example", &text, deploy.clone()).unwrap();
    for (name, api) in &mut document.apis {
        for version in &mut api.versions {
            let file = version.contract.file().unwrap();
            version.contract = ContractSource::Inline {
                origin: name.clone(),
                text: std::fs::read_to_string(deploy.join(file)).unwrap(),
            };
        }
    }
    let scratch = Scratch::new("json");
    let path = scratch.0.join(CANDIDATE_FILE);
    for json in [
        serde_json::to_vec(&document).unwrap(),
        serde_json::to_vec_pretty(&document).unwrap(),
    ] {
        std::fs::write(&path, json).unwrap();
        let read = config::load_file(&path).unwrap();
        assert_eq!(read.apis, document.apis);
        assert_eq!(read.consumers, document.consumers);
        assert_eq!(read.issuers, document.issuers);
        assert_eq!(read.systems, document.systems);
        let checked = runtime::check(&path, &ThrottleClock::system(), None).unwrap();
        assert_eq!(checked.snapshot.revision, "example-1");
        assert_eq!(checked.snapshot.operations.len(), 31);
    }
}

#[test]
fn contact_reports_the_last_answer_and_the_failure_since() {
    let contact = Contact {
        url: "http://127.0.0.1:9080".into(),
        gateway_id: "edge-1".into(),
        state: Mutex::default(),
    };
    assert_eq!(
        contact.to_json(),
        json!({"control_plane": "http://127.0.0.1:9080", "gateway_id": "edge-1", "last_contact_unix": null, "last_error": null})
    );
    contact.update(None);
    let contacted = contact.to_json()["last_contact_unix"].as_u64().unwrap();
    assert!(contacted > 0);
    contact.update(Some("connection refused".into()));
    let json = contact.to_json();
    assert_eq!(json["last_error"], "connection refused");
    assert_eq!(json["last_contact_unix"], contacted);
}
