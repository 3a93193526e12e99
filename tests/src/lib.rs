//! Harness for Canongate's end-to-end tests: the real `canongate` binary on free loopback ports,
//! in-process mock systems that record what reaches them, and raw HTTP/1.1 for framing tests.
//!
//! Nothing here sleeps to wait for readiness: every wait polls with a deadline.

pub mod gateway;
pub mod mock;
pub mod raw;

use std::net::{SocketAddr, TcpListener};
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
        assert!(Instant::now() < deadline, "timed out after {timeout:?} waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Path of a canonical contract in the repository.
pub fn canonical_contract(api: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../contracts/canonical")
        .join(format!("{api}.yaml"))
}
