//! Mock systems: loopback HTTP/1.1 (or HTTPS) servers that record every request as soon as it
//! has reached them and answer with a small JSON echo (`system`, `method`, `target`), optionally
//! after a delay or only once the test opens their gate (so a test knows which requests are in
//! flight).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::watch;

/// A request as the mock system received it.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// Method.
    pub method: String,
    /// Request target (path and query).
    pub target: String,
    /// Header fields, names lower-cased, in order.
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Vec<u8>,
}

impl Recorded {
    /// The first value of header `name` (lower-case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// TLS identity of an HTTPS mock system.
pub struct TlsIdentity {
    /// PEM of the self-signed certificate, to trust in the gateway document.
    pub certificate_pem: String,
    config: Arc<tokio_rustls::rustls::ServerConfig>,
}

impl TlsIdentity {
    /// A self-signed certificate for `localhost`.
    pub fn localhost() -> Self {
        let certified =
            rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).expect("certificate");
        let der = certified.cert.der().clone();
        let key = tokio_rustls::rustls::pki_types::PrivateKeyDer::Pkcs8(
            certified.signing_key.serialize_der().into(),
        );
        let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
        let config = tokio_rustls::rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("protocol versions")
            .with_no_client_auth()
            .with_single_cert(vec![der], key)
            .expect("server config");
        Self {
            certificate_pem: certified.cert.pem(),
            config: Arc::new(config),
        }
    }
}

/// A running mock system; stops when dropped.
pub struct MockSystem {
    /// Listening address.
    pub address: SocketAddr,
    name: String,
    tls: bool,
    requests: Arc<Mutex<Vec<Recorded>>>,
    gate: Option<watch::Sender<bool>>,
    _runtime: tokio::runtime::Runtime,
}

/// How a mock system answers.
#[derive(Clone)]
struct Answering {
    delay: Duration,
    /// When set, answers wait until it reads `true`.
    gate: Option<watch::Receiver<bool>>,
}

impl MockSystem {
    /// A plain-HTTP mock named `name` answering after `delay`.
    pub fn start(name: &str, delay: Duration) -> Self {
        Self::spawn(name, delay, false, None)
    }

    /// A plain-HTTP mock named `name` that records requests at once but answers none of them
    /// until [`MockSystem::release`].
    pub fn start_gated(name: &str) -> Self {
        Self::spawn(name, Duration::ZERO, true, None)
    }

    /// An HTTPS mock with `identity`.
    pub fn start_tls(name: &str, identity: &TlsIdentity) -> Self {
        Self::spawn(name, Duration::ZERO, false, Some(identity.config.clone()))
    }

    /// Opens the gate of a [`MockSystem::start_gated`] mock: held requests and all later ones
    /// are answered.
    pub fn release(&self) {
        if let Some(gate) = &self.gate {
            gate.send_replace(true);
        }
    }

    fn spawn(
        name: &str,
        delay: Duration,
        gated: bool,
        tls: Option<Arc<tokio_rustls::rustls::ServerConfig>>,
    ) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let listener = runtime
            .block_on(TcpListener::bind("127.0.0.1:0"))
            .expect("bind");
        let address = listener.local_addr().expect("address");
        let requests = Arc::new(Mutex::new(Vec::new()));
        let (recorder, system) = (requests.clone(), name.to_owned());
        let is_tls = tls.is_some();
        let (gate, opened) = if gated {
            let (gate, opened) = watch::channel(false);
            (Some(gate), Some(opened))
        } else {
            (None, None)
        };
        let answering = Answering {
            delay,
            gate: opened,
        };
        runtime.spawn(async move {
            let acceptor = tls.map(tokio_rustls::TlsAcceptor::from);
            while let Ok((stream, _)) = listener.accept().await {
                let (recorder, system, acceptor, answering) = (
                    recorder.clone(),
                    system.clone(),
                    acceptor.clone(),
                    answering.clone(),
                );
                tokio::spawn(async move {
                    match acceptor {
                        Some(acceptor) => {
                            if let Ok(stream) = acceptor.accept(stream).await {
                                serve_connection(stream, &system, answering, &recorder).await;
                            }
                        }
                        None => serve_connection(stream, &system, answering, &recorder).await,
                    }
                });
            }
        });
        Self {
            address,
            name: name.to_owned(),
            tls: is_tls,
            requests,
            gate,
            _runtime: runtime,
        }
    }

    /// `http(s)://127.0.0.1:port` of the system (an HTTPS one presents a `localhost` certificate).
    pub fn base_url(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}", self.address)
    }

    /// The system's name (echoed in every answer).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Every request received so far (a delayed answer may still be pending).
    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }
}

/// Serves keep-alive HTTP/1.1 requests on one connection.
async fn serve_connection<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    system: &str,
    mut answering: Answering,
    recorder: &Mutex<Vec<Recorded>>,
) {
    let mut buffer = Vec::new();
    loop {
        let Some(request) = read_request(&mut stream, &mut buffer).await else {
            return;
        };
        let body = serde_json::json!({
            "system": system,
            "method": request.method,
            "target": request.target,
        })
        .to_string();
        let head_only = request.method == "HEAD";
        recorder.lock().unwrap().push(request);
        if !answering.delay.is_zero() {
            tokio::time::sleep(answering.delay).await;
        }
        if let Some(gate) = &mut answering.gate
            && gate.wait_for(|open| *open).await.is_err()
        {
            return;
        }
        let mut response = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
            body.len()
        );
        if !head_only {
            response.push_str(&body);
        }
        if stream.write_all(response.as_bytes()).await.is_err() {
            return;
        }
    }
}

async fn read_request<S: AsyncRead + Unpin>(
    stream: &mut S,
    buffer: &mut Vec<u8>,
) -> Option<Recorded> {
    let head_end = loop {
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break end + 4;
        }
        let mut chunk = [0u8; 4096];
        let read = stream.read(&mut chunk).await.ok()?;
        if read == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..read]);
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let (method, target) = (
        request_line.next()?.to_owned(),
        request_line.next()?.to_owned(),
    );
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    let length = headers
        .iter()
        .find(|(name, _)| name == "content-length")
        .and_then(|(_, value)| value.parse::<usize>().ok())
        .unwrap_or(0);
    let chunked = headers
        .iter()
        .any(|(n, v)| n == "transfer-encoding" && v.contains("chunked"));
    buffer.drain(..head_end);
    let body = if chunked {
        read_chunked(stream, buffer).await?
    } else {
        read_exact(stream, buffer, length).await?
    };
    Some(Recorded {
        method,
        target,
        headers,
        body,
    })
}

async fn fill<S: AsyncRead + Unpin>(stream: &mut S, buffer: &mut Vec<u8>) -> Option<()> {
    let mut chunk = [0u8; 4096];
    let read = stream.read(&mut chunk).await.ok()?;
    (read > 0).then(|| buffer.extend_from_slice(&chunk[..read]))
}

async fn read_exact<S: AsyncRead + Unpin>(
    stream: &mut S,
    buffer: &mut Vec<u8>,
    length: usize,
) -> Option<Vec<u8>> {
    while buffer.len() < length {
        fill(stream, buffer).await?;
    }
    Some(buffer.drain(..length).collect())
}

async fn read_chunked<S: AsyncRead + Unpin>(
    stream: &mut S,
    buffer: &mut Vec<u8>,
) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let line_end = loop {
            if let Some(end) = buffer.windows(2).position(|w| w == b"\r\n") {
                break end;
            }
            fill(stream, buffer).await?;
        };
        let size_text = String::from_utf8_lossy(&buffer[..line_end]).into_owned();
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        buffer.drain(..line_end + 2);
        let chunk = read_exact(stream, buffer, size + 2).await?;
        if size == 0 {
            return Some(body);
        }
        body.extend_from_slice(&chunk[..size]);
    }
}
