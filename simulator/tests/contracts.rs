//! Every operation of every canonical contract reaches a handler: for each
//! path and method in `contracts/canonical/*.yaml`, a request at the path the
//! gateway rewrites it to (`/{system}/{api}<path>`, path parameters filled
//! with a seeded id) is answered with neither 404 nor 405.

mod common;

use std::collections::HashMap;
use std::path::Path;

use canongate_simulator::{System, apis, path_prefix};
use reqwest::{Client, Method, StatusCode, header};
use serde_json::{Value, json};

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

#[tokio::test]
async fn every_contract_operation_is_served() {
    let contracts = Path::new(env!("CARGO_MANIFEST_DIR")).join("../contracts/canonical");
    let mut files: Vec<_> = std::fs::read_dir(&contracts)
        .expect("the canonical contracts folder")
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "yaml"))
        .collect();
    files.sort();
    assert!(
        !files.is_empty(),
        "no contracts found in {}",
        contracts.display()
    );

    let mut bases = HashMap::new();
    for system in System::all() {
        bases.insert(system, common::start(system).await);
    }
    let client = Client::new();
    let mut checked = 0;
    for file in files {
        let api = file
            .file_stem()
            .and_then(|stem| stem.to_str())
            .expect("file name")
            .to_owned();
        let system = System::all()
            .into_iter()
            .find(|system| apis(*system).contains(&api.as_str()))
            .unwrap_or_else(|| panic!("no simulated system serves API `{api}`"));
        let text = std::fs::read_to_string(&file).expect("read contract");
        let contract: Value = serde_norway::from_str(&text).expect("parse contract");
        let paths = contract["paths"].as_object().expect("paths");
        let prefix = format!("{}{}", bases[&system], path_prefix(system, &api));
        let seeded_id = first_id(&client, &prefix, paths).await;
        for (path, item) in paths {
            let concrete = fill_parameters(path, &seeded_id);
            for method in METHODS.iter().filter(|method| item.get(**method).is_some()) {
                let method = Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
                let response = client
                    .request(method.clone(), format!("{prefix}{concrete}"))
                    .header(header::IF_MATCH, "*")
                    .header("Idempotency-Key", format!("coverage-{checked}"))
                    .json(&json!({}))
                    .send()
                    .await
                    .expect("request");
                let status = response.status();
                assert!(
                    status != StatusCode::NOT_FOUND && status != StatusCode::METHOD_NOT_ALLOWED,
                    "{api}: {method} {path} answered {status}"
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= 30, "only {checked} operations were checked");
}

/// The id of the first record of the API's main collection (the first path
/// without parameters).
async fn first_id(client: &Client, prefix: &str, paths: &serde_json::Map<String, Value>) -> String {
    let collection = paths
        .keys()
        .find(|path| !path.contains('{'))
        .expect("a collection path");
    let page: Value = client
        .get(format!("{prefix}{collection}?limit=1"))
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("page");
    page["items"][0]["id"]
        .as_str()
        .expect("a seeded id")
        .to_owned()
}

/// `path` with every `{parameter}` replaced by `id`.
fn fill_parameters(path: &str, id: &str) -> String {
    let mut filled = String::new();
    let mut rest = path;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            break;
        };
        filled.push_str(&rest[..open]);
        filled.push_str(id);
        rest = &rest[open + close + 1..];
    }
    filled.push_str(rest);
    filled
}
