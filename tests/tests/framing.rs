//! Request-head rules, sent as raw bytes: every malformed head is answered 400, 414 or 431 and
//! the connection closed, and the mock system proves that nothing reached it. Heads the
//! gateway's own checks refuse get problem+json; heads Pingora's HTTP layer refuses first get
//! its bare answer (400, or 405 for `CONNECT`) or a closed connection. Pipelined requests are
//! answered in order.

use std::time::Duration;

use canongate_tests::document::{self, Document};
use canongate_tests::gateway::Gateway;
use canongate_tests::mock::MockSystem;
use canongate_tests::raw::{self, Reply};

/// What a malformed head must get.
#[derive(Debug, Clone, Copy)]
enum Expect {
    /// The gateway's problem+json with this status and problem kind.
    Problem(u16, &'static str),
    /// Answered by Pingora's HTTP layer before the gateway's checks run: a bare response with
    /// this status and no body, or just a close.
    Bare(u16),
}

/// A request head: the request line, header fields and the empty line, CRLF-terminated.
fn head(request_line: &str, fields: &[&str]) -> String {
    let mut out = format!("{request_line}\r\n");
    for field in fields {
        out.push_str(field);
        out.push_str("\r\n");
    }
    out.push_str("\r\n");
    out
}

/// A gateway on a fresh mock ERP with small head limits (request line 1 KiB, head 4 KiB).
fn gateway() -> (MockSystem, Gateway) {
    let mock = MockSystem::start("erp", Duration::ZERO);
    let document = Document::new();
    let limits = "http: {max_request_line_bytes: 1024, max_header_bytes: 4096}\n";
    document.write(&format!(
        "{limits}{}",
        document::inventory(&[&mock.base_url()], &[])
    ));
    (mock, document.start(&[]))
}

/// Why `reply` does not meet `expect`, if it does not.
fn mismatch(reply: &Reply, expect: Expect) -> Option<String> {
    let statuses = reply.statuses();
    let answered = match expect {
        Expect::Problem(status, kind) => {
            statuses.first() == Some(&status) && reply.is_problem(kind)
        }
        Expect::Bare(bare) => statuses.first().is_none_or(|&status| status == bare),
    };
    if !answered {
        return Some(format!(
            "expected {expect:?}, got {statuses:?}:\n{}",
            reply.text
        ));
    }
    if statuses.len() > 1 {
        return Some(format!("one answer expected, got {statuses:?}"));
    }
    (!reply.closed).then(|| "the connection was kept open".to_owned())
}

/// Sends every case on its own connection; fails listing each case whose answer is wrong or
/// that reached the system.
fn check_cases(cases: &[(&str, String, Expect)]) {
    let (mock, gateway) = gateway();
    let mut failures = Vec::new();
    for (name, bytes, expect) in cases {
        let reply = raw::exchange(gateway.proxy, bytes.as_bytes());
        if let Some(why) = mismatch(&reply, *expect) {
            failures.push(format!("{name}: {why}"));
        }
        let reached = mock.requests();
        if !reached.is_empty() {
            failures.push(format!("{name}: reached the system as {reached:?}"));
            break;
        }
    }
    assert!(
        failures.is_empty(),
        "{} case(s) failed:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

const POST: &str = "POST /inventory/v1/stock-levels HTTP/1.1";
const HOST: &str = "Host: gateway.test";

#[test]
fn content_length_and_transfer_encoding_must_be_unambiguous() {
    let malformed = Expect::Problem(400, "malformed-request");
    let chunked_body = "2\r\n{}\r\n0\r\n\r\n";
    let cases = [
        (
            "Content-Length twice, same value",
            head(POST, &[HOST, "Content-Length: 2", "Content-Length: 2"]) + "{}",
            malformed,
        ),
        (
            "Content-Length as a list",
            head(POST, &[HOST, "Content-Length: 2, 2"]) + "{}",
            malformed,
        ),
        (
            "Content-Length twice, different values",
            head(POST, &[HOST, "Content-Length: 2", "Content-Length: 3"]) + "{}",
            Expect::Bare(400),
        ),
        (
            "Content-Length not a number",
            head(POST, &[HOST, "Content-Length: two"]) + "{}",
            Expect::Bare(400),
        ),
        (
            "Content-Length negative",
            head(POST, &[HOST, "Content-Length: -2"]) + "{}",
            Expect::Bare(400),
        ),
        (
            "Content-Length with Transfer-Encoding",
            head(
                POST,
                &[HOST, "Content-Length: 2", "Transfer-Encoding: chunked"],
            ) + chunked_body,
            malformed,
        ),
        (
            "final coding not chunked",
            head(POST, &[HOST, "Transfer-Encoding: gzip"]) + "{}",
            Expect::Bare(400),
        ),
        (
            "chunked then gzip",
            head(POST, &[HOST, "Transfer-Encoding: chunked, gzip"]) + chunked_body,
            Expect::Bare(400),
        ),
        (
            "chunked twice in one field",
            head(POST, &[HOST, "Transfer-Encoding: chunked, chunked"]) + chunked_body,
            malformed,
        ),
        (
            "chunked in two fields",
            head(
                POST,
                &[
                    HOST,
                    "Transfer-Encoding: chunked",
                    "Transfer-Encoding: chunked",
                ],
            ) + chunked_body,
            malformed,
        ),
        (
            "Transfer-Encoding in HTTP/1.0",
            head(
                "POST /inventory/v1/stock-levels HTTP/1.0",
                &[HOST, "Transfer-Encoding: chunked"],
            ) + chunked_body,
            Expect::Bare(400),
        ),
    ];
    check_cases(&cases);
}

#[test]
fn host_must_be_present_once_and_valid() {
    let get = "GET /inventory/v1/stock-levels HTTP/1.1";
    let malformed = Expect::Problem(400, "malformed-request");
    let cases = [
        ("no Host", head(get, &["Accept: */*"]), malformed),
        (
            "two Hosts",
            head(get, &[HOST, "Host: other.test"]),
            Expect::Bare(400),
        ),
        (
            "Host with a space",
            head(get, &["Host: gate way.test"]),
            malformed,
        ),
        (
            "Host with a path",
            head(get, &["Host: gateway.test/inventory"]),
            malformed,
        ),
        (
            "Host with a bad port",
            head(get, &["Host: gateway.test:80x"]),
            malformed,
        ),
        (
            "Host with userinfo",
            head(get, &["Host: user@gateway.test"]),
            Expect::Bare(400),
        ),
        ("empty Host", head(get, &["Host:"]), malformed),
    ];
    check_cases(&cases);
}

#[test]
fn request_targets_must_be_plain_origin_form() {
    let malformed = Expect::Problem(400, "malformed-request");
    let get = |target: &str| head(&format!("GET {target} HTTP/1.1"), &[HOST]);
    let mut cases = vec![
        (
            "asterisk-form",
            head("OPTIONS * HTTP/1.1", &[HOST]),
            malformed,
        ),
        (
            "authority-form",
            head("CONNECT gateway.test:443 HTTP/1.1", &[HOST]),
            Expect::Bare(405),
        ),
        (
            "absolute-form",
            get("http://gateway.test/inventory/v1/stock-levels"),
            malformed,
        ),
        (
            "dot-dot segment",
            get("/inventory/v1/../v1/stock-levels"),
            malformed,
        ),
        (
            "dot segment",
            get("/inventory/v1/./stock-levels"),
            malformed,
        ),
        (
            "trailing dot-dot",
            get("/inventory/v1/stock-levels/s-1/.."),
            malformed,
        ),
        (
            "encoded dot-dot",
            get("/inventory/v1/%2e%2e/v1/stock-levels"),
            malformed,
        ),
        (
            "upper-case encoded dot-dot",
            get("/inventory/v1/%2E%2E/v1/stock-levels"),
            malformed,
        ),
        (
            "mixed dot-dot",
            get("/inventory/v1/.%2e/v1/stock-levels"),
            malformed,
        ),
        (
            "encoded dot",
            get("/inventory/v1/%2e/stock-levels"),
            malformed,
        ),
        (
            "malformed percent-escape",
            get("/inventory/v1/stock-levels/%zz"),
            malformed,
        ),
        (
            "truncated percent-escape",
            get("/inventory/v1/stock-levels/%4"),
            malformed,
        ),
        (
            "non-ASCII byte",
            get("/inventory/v1/stock-levels/caf\u{e9}"),
            malformed,
        ),
        (
            "tab in the target",
            get("/inventory/v1/stock-levels/a\tb"),
            malformed,
        ),
    ];
    let encoded_controls = ["%00", "%0a", "%0D", "%1f", "%1F", "%7f", "%7F"];
    let encoded: Vec<(String, String)> = encoded_controls
        .iter()
        .map(|escape| {
            (
                format!("encoded control {escape}"),
                get(&format!("/inventory/v1/stock-levels/a{escape}b")),
            )
        })
        .collect();
    let encoded_in_path = ["%20", "%22", "%3C", "%3e"];
    let encoded_in_path: Vec<(String, String)> = encoded_in_path
        .iter()
        .map(|escape| {
            (
                format!("{escape} in the path"),
                get(&format!("/inventory/v1/stock-levels/a{escape}b")),
            )
        })
        .collect();
    let literal = |bytes: &[char]| -> Vec<(String, String)> {
        bytes
            .iter()
            .map(|byte| {
                (
                    format!("literal {byte:?}"),
                    get(&format!("/inventory/v1/stock-levels/a{byte}b")),
                )
            })
            .collect()
    };
    // The URI parser under Pingora refuses `<`, `>` and backquote itself.
    let (ours, parsers) = (
        literal(&['"', '{', '}', '\\', '^', '|', '#', '[', ']']),
        literal(&['<', '>', '`']),
    );
    for (name, bytes) in encoded.iter().chain(&encoded_in_path).chain(&ours) {
        cases.push((name.as_str(), bytes.clone(), malformed));
    }
    for (name, bytes) in &parsers {
        cases.push((name.as_str(), bytes.clone(), Expect::Bare(400)));
    }
    check_cases(&cases);
}

#[test]
fn header_fields_must_be_well_formed() {
    let get = "GET /inventory/v1/stock-levels HTTP/1.1";
    let cases = [
        (
            "obs-fold",
            head(get, &[HOST, "X-Note: first", " continued"]),
            Expect::Bare(400),
        ),
        (
            "whitespace before the colon",
            head(get, &[HOST, "X-Note : value"]),
            Expect::Bare(400),
        ),
        (
            "whitespace before the colon of Host",
            head(get, &["Host : gateway.test"]),
            Expect::Bare(400),
        ),
        (
            "control character in a value",
            head(get, &[HOST, "X-Note: a\u{1}b"]),
            Expect::Bare(400),
        ),
        (
            "field without a colon",
            head(get, &[HOST, "X-Note"]),
            Expect::Bare(400),
        ),
        (
            "field name not a token",
            head(get, &[HOST, "X(Note): value"]),
            Expect::Bare(400),
        ),
        (
            "version not HTTP/1.x",
            head("GET /inventory/v1/stock-levels HTTP/2.0", &[HOST]),
            Expect::Bare(400),
        ),
    ];
    check_cases(&cases);
}

#[test]
fn oversized_request_lines_and_heads_are_refused() {
    let long_target = format!("/inventory/v1/stock-levels?q={}", "a".repeat(1024));
    let padding = format!("X-Padding: {}", "p".repeat(100));
    let many: Vec<&str> = std::iter::once(HOST)
        .chain(std::iter::repeat_n(padding.as_str(), 45))
        .collect();
    let cases = [
        (
            "request line over max_request_line_bytes",
            head(&format!("GET {long_target} HTTP/1.1"), &[HOST]),
            Expect::Problem(414, "request-line-too-long"),
        ),
        (
            "head over max_header_bytes",
            head("GET /inventory/v1/stock-levels HTTP/1.1", &many),
            Expect::Problem(431, "request-head-too-large"),
        ),
    ];
    check_cases(&cases);
}

#[test]
fn heads_at_the_limits_are_served() {
    let (mock, gateway) = gateway();
    let prefix = "GET /inventory/v1/stock-levels?q=";
    let suffix = " HTTP/1.1";
    let line = format!(
        "{prefix}{}{suffix}",
        "a".repeat(1024 - prefix.len() - suffix.len())
    );
    assert_eq!(line.len(), 1024);
    let key = raw::api_key_field();
    let reply = raw::exchange(
        gateway.proxy,
        head(&line, &[HOST, &key, "Connection: close"]).as_bytes(),
    );
    assert_eq!(reply.statuses(), [200], "{}", reply.text);
    assert_eq!(mock.requests().len(), 1);
}

#[test]
fn invalid_chunked_bodies_never_reach_the_system() {
    // Authenticated, so the request passes admission and its body is read.
    let key = raw::api_key_field();
    let fields = [HOST, key.as_str(), "Transfer-Encoding: chunked"];
    let cases = [
        (
            "chunk size not hex",
            head(POST, &fields) + "zz\r\n{}\r\n0\r\n\r\n",
            Expect::Bare(400),
        ),
        (
            "chunk longer than its size",
            head(POST, &fields) + "1\r\n{}\r\n0\r\n\r\n",
            Expect::Bare(400),
        ),
    ];
    check_cases(&cases);
}

#[test]
fn literal_spaces_in_the_target_are_refused() {
    // Pingora percent-encodes these before the gateway sees the head; the path rule catches them.
    let malformed = Expect::Problem(400, "malformed-request");
    let cases = [
        (
            "literal space in the path",
            head("GET /inventory/v1/stock-levels/a b HTTP/1.1", &[HOST]),
            malformed,
        ),
        (
            "literal space and non-ASCII",
            head(
                "GET /inventory/v1/stock-levels/caf\u{e9} au lait HTTP/1.1",
                &[HOST],
            ),
            malformed,
        ),
    ];
    check_cases(&cases);
}

#[test]
#[ignore = "gap: Pingora rewrites a literal space in the query to %20 before the gateway's head \
            check runs, and %20 is legal in a query, so `GET /inventory/v1/stock-levels?sku=a b` \
            reaches the system as `?sku=a%20b` with 200 instead of a 400 problem"]
fn literal_spaces_in_the_query_are_refused() {
    let cases = [(
        "literal space in the query",
        head("GET /inventory/v1/stock-levels?sku=a b HTTP/1.1", &[HOST]),
        Expect::Problem(400, "malformed-request"),
    )];
    check_cases(&cases);
}

#[test]
fn pipelined_requests_are_all_answered_in_order() {
    let (mock, gateway) = gateway();
    let key = raw::api_key_field();
    let first = head(
        "GET /inventory/v1/stock-levels/first HTTP/1.1",
        &[HOST, &key],
    );
    let second = head(
        "GET /inventory/v1/stock-levels/second HTTP/1.1",
        &[HOST, &key, "Connection: close"],
    );
    let reply = raw::exchange(gateway.proxy, format!("{first}{second}").as_bytes());
    assert_eq!(reply.statuses(), [200, 200], "{}", reply.text);
    let targets: Vec<String> = mock
        .requests()
        .into_iter()
        .map(|request| request.target)
        .collect();
    assert_eq!(
        targets,
        [
            "/erp/inventory/stock-levels/first",
            "/erp/inventory/stock-levels/second"
        ]
    );

    let not_found = head("GET /nope HTTP/1.1", &[HOST]);
    let reply = raw::exchange(gateway.proxy, format!("{not_found}{second}").as_bytes());
    assert_eq!(
        reply.statuses(),
        [404, 200],
        "a 404 keeps the connection: {}",
        reply.text
    );
    assert_eq!(mock.requests().len(), 3);
}

#[test]
fn an_early_answer_to_a_request_with_a_body_closes_the_connection() {
    let (mock, gateway) = gateway();
    let unknown = head("POST /nope HTTP/1.1", &[HOST, "Content-Length: 2"]) + "{}";
    let next = head(
        "GET /inventory/v1/stock-levels HTTP/1.1",
        &[HOST, "Connection: close"],
    );
    let reply = raw::exchange(gateway.proxy, format!("{unknown}{next}").as_bytes());
    assert_eq!(reply.statuses(), [404], "{}", reply.text);
    assert!(reply.is_problem("no-route"), "{}", reply.text);
    assert!(
        reply.closed,
        "the unread body is never taken for the next request"
    );
    assert!(mock.requests().is_empty(), "{:?}", mock.requests());
}

#[test]
fn a_request_after_a_refused_head_is_never_processed() {
    let (mock, gateway) = gateway();
    let bad = head("GET /inventory/v1/../v1/stock-levels HTTP/1.1", &[HOST]);
    let good = head(
        "GET /inventory/v1/stock-levels HTTP/1.1",
        &[HOST, "Connection: close"],
    );
    let reply = raw::exchange(gateway.proxy, format!("{bad}{good}").as_bytes());
    assert_eq!(reply.statuses(), [400], "{}", reply.text);
    assert!(reply.closed);
    assert!(mock.requests().is_empty(), "{:?}", mock.requests());
}
