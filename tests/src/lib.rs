//! Harness for Canongate's end-to-end tests: the real `canongate` binary on free loopback ports,
//! gateway documents written for it (with issuers, tiers and consumers), in-process mock systems
//! that record what reaches them, a mock issuer serving JWK Sets, token minting, and raw HTTP/1.1
//! for framing tests.
//!
//! Nothing here sleeps to wait for readiness: every wait polls with a deadline.

pub mod control_plane;
pub mod document;
pub mod gateway;
pub mod issuer;
pub mod mock;
pub mod raw;
pub mod scale;
pub mod tokens;

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// A loopback address with a port that was free a moment ago.
pub fn free_address() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    listener.local_addr().expect("local address")
}

/// Polls `probe` until it returns `Some`, failing the test after `timeout`.
pub fn wait_for<T>(what: &str, timeout: Duration, mut probe: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = probe() {
            return value;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Path of a canonical contract in the repository.
pub fn canonical_contract(api: &str) -> PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../contracts/canonical")
        .join(format!("{api}.yaml"))
}

/// Checks that `response` is an RFC 9457 problem of `urn:canongate:problem:{kind}` with `status`
/// and the response's request id, and returns its JSON.
pub fn expect_problem(
    response: reqwest::blocking::Response,
    status: u16,
    kind: &str,
) -> serde_json::Value {
    assert_eq!(response.status(), status, "status of the {kind} problem");
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|value| value.to_str().expect("ascii header").to_owned())
    };
    assert_eq!(
        header("content-type").as_deref(),
        Some("application/problem+json")
    );
    let request_id = header("x-request-id").expect("the answer carries X-Request-Id");
    let problem: serde_json::Value = response.json().expect("problem json");
    assert_eq!(
        problem["type"],
        format!("urn:canongate:problem:{kind}"),
        "{problem}"
    );
    assert_eq!(problem["status"], status, "{problem}");
    for member in ["title", "detail"] {
        assert!(
            problem[member]
                .as_str()
                .is_some_and(|text| !text.is_empty()),
            "{member} of {problem}"
        );
    }
    assert_eq!(problem["request_id"], request_id.as_str(), "{problem}");
    problem
}
