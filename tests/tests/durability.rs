//! Durability of the control plane's store: SIGKILL in the middle of a stream of writes loses no
//! write it acknowledged, and the store opens again at the same state.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use canongate_tests::control_plane::ControlPlane;
use canongate_tests::gateway::anonymous_client;
use canongate_tests::wait_for;
use reqwest::Method;
use serde_json::json;

/// Acknowledged writes in total, across the kill.
const WRITES: usize = 1000;
/// Writers running at once.
const WRITERS: usize = 4;

/// Creates teams `t-N` until `stop` is set or the control plane stops answering; records the
/// names of the acknowledged (201) ones.
fn write_until_stopped(
    url: String,
    token: String,
    next: Arc<AtomicUsize>,
    acknowledged: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
) {
    let client = anonymous_client();
    while !stop.load(Ordering::Relaxed) {
        let name = format!("t-{}", next.fetch_add(1, Ordering::Relaxed));
        let answer = client
            .post(format!("{url}/api/v1/teams"))
            .bearer_auth(&token)
            .json(&json!({"name": name, "spec": {"display_name": name}}))
            .send();
        match answer {
            Ok(response) if response.status() == 201 => acknowledged.lock().unwrap().push(name),
            Ok(response) => panic!("{name}: {}", response.status()),
            Err(_) => return,
        }
    }
}

fn stored_teams(control_plane: &ControlPlane) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut cursor = String::new();
    loop {
        let page = control_plane.admin(Method::GET, &format!("/teams?limit=500{cursor}"), None);
        for item in page["items"].as_array().expect("items") {
            names.insert(item["name"].as_str().expect("name").to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => return names,
        }
    }
}

#[test]
fn sigkill_during_a_thousand_acknowledged_writes_loses_none() {
    let mut control_plane = ControlPlane::start();
    let next = Arc::new(AtomicUsize::new(0));
    let acknowledged = Arc::new(Mutex::new(Vec::new()));
    let (url, token) = (control_plane.base_url(), control_plane.bootstrap.clone());
    let run_writers = |stop: &Arc<AtomicBool>| {
        (0..WRITERS)
            .map(|_| {
                let (url, token) = (url.clone(), token.clone());
                let (next, acknowledged, stop) = (next.clone(), acknowledged.clone(), stop.clone());
                std::thread::spawn(move || {
                    write_until_stopped(url, token, next, acknowledged, stop)
                })
            })
            .collect::<Vec<_>>()
    };

    // Kill it while the writers are busy, about halfway.
    let stop = Arc::new(AtomicBool::new(false));
    let writers = run_writers(&stop);
    wait_for("half of the writes", Duration::from_secs(120), || {
        (acknowledged.lock().unwrap().len() >= WRITES / 2).then_some(())
    });
    control_plane.kill();
    for writer in writers {
        writer.join().expect("writer");
    }
    let before_restart = acknowledged.lock().unwrap().len();

    // Restart on the same data and write the rest.
    control_plane.restart();
    let stop = Arc::new(AtomicBool::new(false));
    let writers = run_writers(&stop);
    wait_for("the remaining writes", Duration::from_secs(120), || {
        (acknowledged.lock().unwrap().len() >= WRITES).then_some(())
    });
    stop.store(true, Ordering::Relaxed);
    for writer in writers {
        writer.join().expect("writer");
    }

    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(acknowledged.len() >= WRITES);
    let stored = stored_teams(&control_plane);
    let lost: Vec<&String> = acknowledged
        .iter()
        .filter(|name| !stored.contains(*name))
        .collect();
    assert!(
        lost.is_empty(),
        "{} of {} acknowledged writes lost ({before_restart} before the kill): {lost:?}",
        lost.len(),
        acknowledged.len()
    );
    let audit = control_plane.admin(Method::GET, "/audit?action=team.create&limit=1", None);
    assert_eq!(audit["items"][0]["action"], "team.create");
}
