//! A mock token issuer's key endpoint: a loopback HTTP/1.1 server answering every request with
//! the JWK Set (or any body) it was last given, counting the fetches, and able to hang or go
//! down.
//!
//! Each answer closes its connection, so nothing pooled outlives [`MockIssuer::stop`]: once
//! stopped, connections to the address are refused.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the endpoint does with a request.
#[derive(Debug, Clone)]
enum Answer {
    /// Answers with a status and a body.
    Respond(u16, String),
    /// Never answers; holds the connection until the client gives up.
    Hang,
}

/// A running JWKS endpoint; stops when dropped.
pub struct MockIssuer {
    /// Listening address.
    pub address: SocketAddr,
    answer: Arc<Mutex<Answer>>,
    fetches: Arc<AtomicUsize>,
    server: tokio::task::JoinHandle<()>,
    _runtime: tokio::runtime::Runtime,
}

impl MockIssuer {
    /// Serves `jwks` (a JWK Set document) on a free loopback port.
    pub fn start(jwks: &serde_json::Value) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let listener = runtime
            .block_on(TcpListener::bind("127.0.0.1:0"))
            .expect("bind");
        let address = listener.local_addr().expect("address");
        let answer = Arc::new(Mutex::new(Answer::Respond(200, jwks.to_string())));
        let fetches = Arc::new(AtomicUsize::new(0));
        let (served, counted) = (answer.clone(), fetches.clone());
        let server = runtime.spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (served, counted) = (served.clone(), counted.clone());
                tokio::spawn(async move { answer_once(stream, &served, &counted).await });
            }
        });
        Self {
            address,
            answer,
            fetches,
            server,
            _runtime: runtime,
        }
    }

    /// The JWKS URL to configure in an issuer's `jwks.url`.
    pub fn jwks_url(&self) -> String {
        format!("http://{}/jwks.json", self.address)
    }

    /// Serves `jwks` from the next fetch on (a key rotation).
    pub fn rotate(&self, jwks: &serde_json::Value) {
        self.answer_with(200, &jwks.to_string());
    }

    /// Answers the next fetches with `status` and `body` (junk, errors).
    pub fn answer_with(&self, status: u16, body: &str) {
        *self.answer.lock().unwrap() = Answer::Respond(status, body.to_owned());
    }

    /// Accepts the next fetches but never answers them.
    pub fn hang(&self) {
        *self.answer.lock().unwrap() = Answer::Hang;
    }

    /// Requests answered so far.
    pub fn fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }

    /// Stops listening: from now on connections are refused.
    pub fn stop(&self) {
        self.server.abort();
        crate::wait_for(
            "the mock issuer to stop listening",
            std::time::Duration::from_secs(5),
            || {
                std::net::TcpStream::connect(self.address)
                    .is_err()
                    .then_some(())
            },
        );
    }
}

impl Drop for MockIssuer {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// Reads one request head and answers it, closing the connection.
async fn answer_once(mut stream: TcpStream, answer: &Mutex<Answer>, fetches: &AtomicUsize) {
    let mut head = Vec::new();
    let mut chunk = [0u8; 1024];
    while !head.windows(4).any(|window| window == b"\r\n\r\n") {
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(read) => head.extend_from_slice(&chunk[..read]),
        }
    }
    let answer = answer.lock().unwrap().clone();
    fetches.fetch_add(1, Ordering::SeqCst);
    let Answer::Respond(status, body) = answer else {
        while matches!(stream.read(&mut chunk).await, Ok(read) if read > 0) {}
        return;
    };
    let response = format!(
        "HTTP/1.1 {status} Answer\r\ncontent-type: application/jwk-set+json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}
