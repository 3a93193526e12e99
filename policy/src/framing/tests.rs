use super::*;

fn check(head: &str) -> Result<(), Violation> {
    check_request_head(head.as_bytes(), &HttpLimits::default())
}

fn refused(head: &str) -> u16 {
    match check(head) {
        Err(violation) => violation.status,
        Ok(()) => panic!("accepted: {head:?}"),
    }
}

#[test]
fn accepts_ordinary_requests() {
    for head in [
        "GET /inventory/v1/stock-levels?sku=SKU-1&limit=5 HTTP/1.1\r\nHost: api.example.com\r\n\r\n",
        "POST /order/v1/orders HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nContent-Length: 12\r\n\r\n",
        "POST /order/v1/orders HTTP/1.1\r\nHost: [::1]:8080\r\nTransfer-Encoding: chunked\r\n\r\n",
        "GET /customer/v1/customers/M%C3%BCller HTTP/1.0\r\nHost: a\r\n\r\n",
        "GET /product/v1/products/..x/a.b HTTP/1.1\nHost: a\n\n",
    ] {
        assert_eq!(check(head), Ok(()), "{head:?}");
    }
}

#[test]
fn refuses_content_length_ambiguity() {
    assert_eq!(
        refused("POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n"),
        400
    );
    assert_eq!(
        refused("POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n"),
        400
    );
    assert_eq!(
        refused("POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\n"),
        400
    );
    assert_eq!(
        refused("POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\n"),
        400
    );
    assert_eq!(
        check(
            "POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        .unwrap_err()
        .detail,
        "Content-Length and Transfer-Encoding cannot both be sent"
    );
}

#[test]
fn refuses_transfer_encoding_that_does_not_end_in_chunked() {
    for te in [
        "gzip",
        "chunked, gzip",
        "chunked, chunked",
        "",
        "chunked\u{0b}",
    ] {
        let head = format!("POST /a HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: {te}\r\n\r\n");
        assert_eq!(refused(&head), 400, "{te:?}");
    }
    let split = "POST /a HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n";
    assert_eq!(refused(split), 400);
    assert_eq!(
        refused("POST /a HTTP/1.0\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"),
        400
    );
}

#[test]
fn refuses_missing_repeated_and_invalid_hosts() {
    assert_eq!(
        check("GET /a HTTP/1.1\r\n\r\n").unwrap_err().detail,
        "the Host header is missing"
    );
    assert_eq!(
        refused("GET /a HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"),
        400
    );
    for host in ["", "a b", "a:port", "a:123456", "[zz]:1", "a/b", "a@b"] {
        assert_eq!(
            refused(&format!("GET /a HTTP/1.1\r\nHost: {host}\r\n\r\n")),
            400,
            "{host:?}"
        );
    }
}

#[test]
fn refuses_targets_that_are_not_origin_form() {
    for target in [
        "*",
        "example.com:443",
        "http://example.com/a",
        "/a/../b",
        "/a/./b",
        "/a/%2e%2E/b",
        "/a/..",
        "/a%zz",
        "/a%0d%0aX-Injected:1",
        "/a%00",
        "/a\"b",
        "/a<b>",
        "/a{b}",
        "/a#frag",
        "/a\\b",
    ] {
        assert_eq!(
            refused(&format!("GET {target} HTTP/1.1\r\nHost: a\r\n\r\n")),
            400,
            "{target:?}"
        );
    }
    assert_eq!(refused("GET /a b HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
    for escaped in ["/a%20b", "/a%22b", "/a%3Cb", "/a%3eb"] {
        assert_eq!(
            refused(&format!("GET {escaped} HTTP/1.1\r\nHost: a\r\n\r\n")),
            400,
            "{escaped}"
        );
    }
    assert_eq!(
        check("GET /customer/v1/customers?q=Anna%20M%C3%BCller%22 HTTP/1.1\r\nHost: a\r\n\r\n"),
        Ok(())
    );
    assert_eq!(refused("GET /caf\u{e9} HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
    assert_eq!(refused("GET /a\x01 HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
}

#[test]
fn refuses_malformed_lines_and_fields() {
    for head in [
        "GET /a HTTP/2.0\r\nHost: a\r\n\r\n",
        "GET /a\r\nHost: a\r\n\r\n",
        "G(T /a HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET /a HTTP/1.1\r\nHost : a\r\n\r\n",
        "GET /a HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n",
        "GET /a HTTP/1.1\r\nHost: a\r\nX-Bad: a\x00b\r\n\r\n",
        "GET /a HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n",
        "GET /a HTTP/1.1\r\nHost: a\r\n",
    ] {
        assert_eq!(refused(head), 400, "{head:?}");
    }
}

#[test]
fn enforces_request_line_and_head_limits() {
    let limits = HttpLimits {
        max_request_line_bytes: 64,
        max_header_bytes: 256,
    };
    let long_line = format!("GET /{} HTTP/1.1\r\nHost: a\r\n\r\n", "a".repeat(100));
    assert_eq!(
        check_request_head(long_line.as_bytes(), &limits)
            .unwrap_err()
            .status,
        414
    );
    let big_head = format!(
        "GET /a HTTP/1.1\r\nHost: a\r\nX-Pad: {}\r\n\r\n",
        "b".repeat(300)
    );
    assert_eq!(
        check_request_head(big_head.as_bytes(), &limits)
            .unwrap_err()
            .status,
        431
    );
}

#[test]
fn refuses_content_codings_under_chunked_with_501() {
    let head = "POST /a HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n";
    assert_eq!(refused(head), 501);
}

#[test]
fn refuses_dot_segments_hidden_behind_encoded_separators_and_params() {
    for target in [
        "/inventory/v1/stock-levels/%2e%2e%2F%2e%2e%2Fadmin",
        "/inventory/v1/stock-levels/x%2F..%2Fadmin",
        "/inventory/v1/stock-levels/..;",
        "/inventory/v1/stock-levels/..;jsessionid=1/x",
        "/a/%5c..%5cb",
    ] {
        assert_eq!(
            refused(&format!("GET {target} HTTP/1.1\r\nHost: a\r\n\r\n")),
            400,
            "{target}"
        );
    }
    assert_eq!(
        check("GET /inventory/v1/stock-levels/SKU-1%2FA HTTP/1.1\r\nHost: a\r\n\r\n"),
        Ok(())
    );
}

#[test]
fn refuses_gateway_identity_headers_from_clients_in_any_spelling() {
    for name in [
        "X-Canongate-Consumer",
        "x_canongate_consumer",
        "X_Canongate-Consumer-System",
    ] {
        let head = format!("GET /a HTTP/1.1\r\nHost: a\r\n{name}: erp-gold\r\n\r\n");
        assert_eq!(refused(&head), 400, "{name}");
    }
    assert_eq!(
        check("GET /a HTTP/1.1\r\nHost: a\r\nX-Canongatex: 1\r\n\r\n"),
        Ok(())
    );
}

#[test]
fn connection_options_are_tokens_and_never_name_protected_fields() {
    assert_eq!(
        check("GET /a HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, x-trace-hint\r\n\r\n"),
        Ok(())
    );
    for value in [
        "host",
        "X-Forwarded-For",
        "close, Authorization",
        "x-canongate-consumer",
        "\"x-forwarded-for\"",
        ":authority",
        "a, b, c, d, e, f, g, h, i, j",
    ] {
        let head = format!("GET /a HTTP/1.1\r\nHost: a\r\nConnection: {value}\r\n\r\n");
        assert_eq!(refused(&head), 400, "{value}");
    }
    let split = "GET /a HTTP/1.1\r\nHost: a\r\nConnection: a, b, c, d, e\r\nConnection: f, g, h, i, j\r\n\r\n";
    assert_eq!(refused(split), 400, "options are counted across lines");
}
