//! Raw HTTP/1.1 over TCP, for requests no well-behaved client would send.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// Sends `bytes` and returns everything the server sends until it closes or goes quiet.
pub fn exchange(address: SocketAddr, bytes: &[u8]) -> String {
    let mut stream = TcpStream::connect(address).expect("connect");
    stream.set_read_timeout(Some(Duration::from_millis(1500))).expect("timeout");
    stream.write_all(bytes).expect("send");
    let mut received = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(read) => received.extend_from_slice(&chunk[..read]),
        }
    }
    String::from_utf8_lossy(&received).into_owned()
}

/// Status codes of every response in `text`, in order.
pub fn statuses(text: &str) -> Vec<u16> {
    text.match_indices("HTTP/1.1 ")
        .filter_map(|(index, _)| text.get(index + 9..index + 12)?.parse().ok())
        .collect()
}
