//! The fetcher against a loopback mock issuer: rotation, the refresh interval, single flight,
//! and an endpoint that is down, silent or returns junk.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use canongate_policy::auth::{
    self, Algorithm, AuthConfig, AuthError, Authenticator, IssuerConfig, JwksConfig, SigningKey,
};
use indexmap::IndexMap;
use serde_json::json;

use super::JwksFetcher;

const ISS: &str = "https://idp.example";

/// What the mock answers.
#[derive(Clone)]
enum Answer {
    Jwks(Vec<u8>),
    Status(u16),
    Silence,
}

struct MockIssuer {
    address: SocketAddr,
    answer: Arc<Mutex<(Answer, Duration)>>,
    hits: Arc<Mutex<usize>>,
}

impl MockIssuer {
    fn start(answer: Answer) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        let answer = Arc::new(Mutex::new((answer, Duration::ZERO)));
        let hits = Arc::new(Mutex::new(0));
        let (shared_answer, shared_hits) = (Arc::clone(&answer), Arc::clone(&hits));
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (answer, hits) = (Arc::clone(&shared_answer), Arc::clone(&shared_hits));
                std::thread::spawn(move || serve(stream, &answer, &hits));
            }
        });
        Self {
            address,
            answer,
            hits,
        }
    }

    fn set(&self, answer: Answer) {
        self.answer.lock().unwrap().0 = answer;
    }

    fn delay(&self, delay: Duration) {
        self.answer.lock().unwrap().1 = delay;
    }

    fn hits(&self) -> usize {
        *self.hits.lock().unwrap()
    }

    fn url(&self) -> String {
        format!("http://{}/jwks", self.address)
    }
}

fn serve(mut stream: TcpStream, answer: &Mutex<(Answer, Duration)>, hits: &Mutex<usize>) {
    let mut request = Vec::new();
    let mut buffer = [0u8; 1024];
    while !request.windows(4).any(|window| window == b"\r\n\r\n") {
        match stream.read(&mut buffer) {
            Ok(0) | Err(_) => return,
            Ok(read) => request.extend_from_slice(&buffer[..read]),
        }
    }
    *hits.lock().unwrap() += 1;
    let (answer, delay) = answer.lock().unwrap().clone();
    std::thread::sleep(delay);
    let (status, body) = match answer {
        Answer::Jwks(body) => (200, body),
        Answer::Status(status) => (status, Vec::new()),
        Answer::Silence => {
            // Hold the connection open without answering until the client gives up.
            let _ = stream.read(&mut buffer);
            return;
        }
    };
    let head = format!(
        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(&body);
}

fn jwks(keys: &[(&SigningKey, &str)]) -> Answer {
    let keys: Vec<_> = keys.iter().map(|(key, kid)| key.jwk(Some(kid))).collect();
    Answer::Jwks(json!({ "keys": keys }).to_string().into_bytes())
}

fn authenticator(url: Option<String>, timeout: Duration) -> Arc<Authenticator> {
    let inline = SigningKey::generate(Algorithm::ES256).unwrap();
    let issuer = IssuerConfig {
        issuer: ISS.into(),
        audiences: Vec::new(),
        require_iss: true,
        require_aud: None,
        require_nbf: false,
        leeway: Duration::from_secs(30),
        consumer_claim: Default::default(),
        keys: Vec::new(),
        jwks: url.map(|url| JwksConfig {
            url,
            algorithms: vec![Algorithm::ES256],
            refresh_interval: Duration::from_secs(300),
            min_refresh_interval: Duration::from_secs(30),
            timeout,
        }),
    };
    let mut issuers = IndexMap::from([("idp".to_owned(), issuer)]);
    if issuers["idp"].jwks.is_none() {
        issuers["idp"].keys.push(auth::KeyConfig {
            kid: Some("inline".into()),
            algorithm: Algorithm::ES256,
            pem: inline.public_pem(),
            pem_file: None,
            jwk: None,
            secret_base64: None,
        });
    }
    let mut problems = Vec::new();
    let compiled = auth::compile(
        &AuthConfig::default(),
        &issuers,
        Path::new("."),
        &mut |at, message| problems.push(format!("{at}: {message}")),
    );
    assert!(problems.is_empty(), "{problems:?}");
    Arc::new(compiled)
}

fn now() -> u64 {
    crate::unix_now()
}

fn token(key: &SigningKey, kid: &str) -> String {
    key.sign(
        Some(kid),
        &json!({"iss": ISS, "sub": "crm", "exp": now() + 600}),
    )
    .unwrap()
}

#[tokio::test]
async fn rotation_is_picked_up_on_an_unknown_kid_at_most_once_per_interval() {
    let (first, second, third) = (
        SigningKey::generate(Algorithm::ES256).unwrap(),
        SigningKey::generate(Algorithm::ES256).unwrap(),
        SigningKey::generate(Algorithm::ES256).unwrap(),
    );
    let issuer = MockIssuer::start(jwks(&[(&first, "k1")]));
    let auth = authenticator(Some(issuer.url()), Duration::from_secs(5));
    let fetcher = JwksFetcher::spawn(&auth).unwrap();
    assert_eq!(issuer.hits(), 1);
    assert!(auth.verify_bearer(&token(&first, "k1"), now()).is_ok());

    let rotated = token(&second, "k2");
    assert_eq!(
        auth.verify_bearer(&rotated, now()),
        Err(AuthError::UnknownKid {
            issuer: 0,
            kid: "k2".into()
        })
    );
    issuer.set(jwks(&[(&first, "k1"), (&second, "k2")]));
    assert!(fetcher.refresh_for_unknown_kid(0).await);
    assert_eq!(issuer.hits(), 2);
    assert!(auth.verify_bearer(&rotated, now()).is_ok());

    issuer.set(jwks(&[(&first, "k1"), (&second, "k2"), (&third, "k3")]));
    assert!(
        !fetcher.refresh_for_unknown_kid(0).await,
        "within min_refresh_interval"
    );
    assert_eq!(issuer.hits(), 2);
    assert!(!fetcher.refresh_for_unknown_kid(3).await, "no such issuer");
    let status = &auth.jwks_status()[0];
    assert_eq!((status.keys, status.last_error.as_deref()), (2, None));
}

#[tokio::test]
async fn concurrent_callers_share_one_fetch() {
    let (first, second) = (
        SigningKey::generate(Algorithm::ES256).unwrap(),
        SigningKey::generate(Algorithm::ES256).unwrap(),
    );
    let issuer = MockIssuer::start(jwks(&[(&first, "k1")]));
    let auth = authenticator(Some(issuer.url()), Duration::from_secs(5));
    let fetcher = JwksFetcher::spawn(&auth).unwrap();
    issuer.set(jwks(&[(&first, "k1"), (&second, "k2")]));
    issuer.delay(Duration::from_millis(200));
    let (a, b) = tokio::join!(
        fetcher.refresh_for_unknown_kid(0),
        fetcher.refresh_for_unknown_kid(0)
    );
    assert!(a && b);
    assert_eq!(issuer.hits(), 2);
}

#[tokio::test]
async fn an_endpoint_that_goes_down_leaves_the_cached_keys_in_service() {
    let key = SigningKey::generate(Algorithm::ES256).unwrap();
    let issuer = MockIssuer::start(jwks(&[(&key, "k1")]));
    let auth = authenticator(Some(issuer.url()), Duration::from_secs(5));
    let fetcher = JwksFetcher::spawn(&auth).unwrap();
    issuer.set(Answer::Status(503));
    assert!(!fetcher.refresh_for_unknown_kid(0).await);
    let status = &auth.jwks_status()[0];
    assert_eq!(status.keys, 1);
    assert!(status.last_success_unix.is_some());
    assert!(
        status
            .last_error
            .as_deref()
            .is_some_and(|error| error.contains("503")),
        "{status:?}"
    );
    assert!(auth.verify_bearer(&token(&key, "k1"), now()).is_ok());
}

#[test]
fn a_silent_or_junk_endpoint_does_not_hold_up_start() {
    let issuer = MockIssuer::start(Answer::Silence);
    let auth = authenticator(Some(issuer.url()), Duration::from_millis(300));
    let started = Instant::now();
    let _fetcher = JwksFetcher::spawn(&auth).unwrap();
    assert!(started.elapsed() < Duration::from_secs(5));
    let status = &auth.jwks_status()[0];
    assert_eq!((status.keys, status.last_success_unix), (0, None));
    assert!(status.last_error.is_some());

    let junk = MockIssuer::start(Answer::Jwks(b"<html>maintenance</html>".to_vec()));
    let auth = authenticator(Some(junk.url()), Duration::from_secs(5));
    let _fetcher = JwksFetcher::spawn(&auth).unwrap();
    let status = &auth.jwks_status()[0];
    assert!(
        status
            .last_error
            .as_deref()
            .is_some_and(|error| error.contains("not a JWK Set")),
        "{status:?}"
    );
}

#[tokio::test]
async fn without_jwks_endpoints_nothing_is_fetched() {
    let auth = authenticator(None, Duration::from_secs(1));
    let fetcher = JwksFetcher::spawn(&auth).unwrap();
    assert!(!fetcher.refresh_for_unknown_kid(0).await);
    assert!(auth.jwks_status().is_empty());
}
