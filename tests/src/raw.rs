//! Raw HTTP/1.1 over TCP, for requests no well-behaved client would send.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// How long the server may stay silent before an exchange counts its connection as kept open.
const QUIET: Duration = Duration::from_millis(1500);

/// What the server sent back for raw bytes.
#[derive(Debug)]
pub struct Reply {
    /// Everything received (lossy UTF-8).
    pub text: String,
    /// Whether the server closed (or reset) the connection, rather than going quiet.
    pub closed: bool,
}

impl Reply {
    /// Status codes of every response, in order.
    pub fn statuses(&self) -> Vec<u16> {
        self.text
            .match_indices("HTTP/1.1 ")
            .filter_map(|(index, _)| self.text.get(index + 9..index + 12)?.parse().ok())
            .collect()
    }

    /// Whether the first response is problem+json of `urn:canongate:problem:{kind}`.
    pub fn is_problem(&self, kind: &str) -> bool {
        let lower = self.text.to_ascii_lowercase();
        lower.contains("content-type: application/problem+json")
            && self
                .text
                .contains(&format!("\"type\":\"urn:canongate:problem:{kind}\""))
    }
}

/// The header field that authenticates a raw request as the test consumer.
pub fn api_key_field() -> String {
    format!("X-Api-Key: {}", crate::document::TEST_API_KEY)
}

/// Sends `bytes` and returns everything the server sends until it closes or goes quiet.
///
/// A server may close before reading everything; a failed write is then not an error.
pub fn exchange(address: SocketAddr, bytes: &[u8]) -> Reply {
    let mut stream = TcpStream::connect(address).expect("connect");
    stream.set_read_timeout(Some(QUIET)).expect("timeout");
    let _ = stream.write_all(bytes);
    let mut received = Vec::new();
    let mut chunk = [0u8; 8192];
    let closed = loop {
        match stream.read(&mut chunk) {
            Ok(0) => break true,
            Ok(read) => received.extend_from_slice(&chunk[..read]),
            Err(error) if matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                break false;
            }
            Err(_) => break true,
        }
    };
    Reply {
        text: String::from_utf8_lossy(&received).into_owned(),
        closed,
    }
}
