use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::*;

fn client_head(fields: &[(&str, &str)]) -> RequestHeader {
    let mut head = RequestHeader::build("GET", b"/inventory/v1/stock-levels/1", None).unwrap();
    for (name, value) in fields {
        head.append_header(name.to_string(), *value).unwrap();
    }
    head
}

fn forwarding<'a>(host: &'a HeaderValue, api_key: &'a HeaderName) -> Forwarding<'a> {
    Forwarding {
        host,
        client_ip: Some(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 7))),
        api_key_header: api_key,
        consumer: Some(("storefront", "shop")),
        request_id: "req-1",
        traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01".to_owned(),
    }
}

fn wire(head: &RequestHeader) -> String {
    let mut buf = Vec::new();
    head.header_to_h1_wire(&mut buf);
    String::from_utf8(buf).unwrap()
}

#[test]
fn keeps_client_fields_in_their_spelling_and_sets_the_gateways_own() {
    let sent = client_head(&[
        ("Host", "gateway.example"),
        ("Accept", "application/json"),
        ("X-Tenant-Ref", "EU-1"),
        ("If-Match", "\"v7\""),
    ]);
    let host = HeaderValue::from_static("erp.internal:8443");
    let api_key = HeaderName::from_static("x-api-key");
    let head =
        system_request(&sent, b"/erp/stock/1?at=DC-01", forwarding(&host, &api_key)).unwrap();

    assert_eq!(head.raw_path(), b"/erp/stock/1?at=DC-01");
    assert_eq!(head.method, http::Method::GET);
    assert_eq!(
        wire(&head),
        "Host: erp.internal:8443\r\n\
         Accept: application/json\r\n\
         X-Tenant-Ref: EU-1\r\n\
         If-Match: \"v7\"\r\n\
         x-forwarded-for: 192.0.2.7\r\n\
         x-forwarded-proto: http\r\n\
         x-canongate-consumer: storefront\r\n\
         x-canongate-consumer-system: shop\r\n\
         x-request-id: req-1\r\n\
         traceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\r\n"
    );
}

#[test]
fn withholds_credentials_and_client_forwarding_fields() {
    let sent = client_head(&[
        ("Host", "gateway.example"),
        ("Authorization", "Bearer secret"),
        ("X-API-KEY", "key"),
        ("Forwarded", "for=10.0.0.1"),
        ("X-Forwarded-For", "10.0.0.1"),
        ("X-Forwarded-Host", "evil.example"),
        ("X-Forwarded-Proto", "https"),
        ("X-Real-IP", "10.0.0.1"),
        ("X-Request-Id", "client-chosen"),
        (
            "traceparent",
            "00-11111111111111111111111111111111-2222222222222222-01",
        ),
        ("Accept", "*/*"),
    ]);
    let host = HeaderValue::from_static("erp.internal");
    let api_key = HeaderName::from_static("x-api-key");
    let mut forwarding = forwarding(&host, &api_key);
    forwarding.consumer = None;
    forwarding.client_ip = None;
    let head = system_request(&sent, b"/erp/stock/1", forwarding).unwrap();

    let names: Vec<&str> = head.headers.keys().map(HeaderName::as_str).collect();
    assert_eq!(
        names,
        [
            "host",
            "accept",
            "x-forwarded-proto",
            "x-request-id",
            "traceparent"
        ]
    );
    assert_eq!(head.headers["host"], "erp.internal");
    assert_eq!(head.headers["x-request-id"], "req-1");
    assert_eq!(
        head.headers["traceparent"],
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    );
}

#[test]
fn keeps_the_body_framing_the_client_sent() {
    let mut sent = RequestHeader::build("POST", b"/orders/v1/orders", None).unwrap();
    sent.append_header("Host", "g").unwrap();
    sent.append_header("Content-Length", "17").unwrap();
    sent.append_header("Content-Type", "application/json")
        .unwrap();
    let host = HeaderValue::from_static("shop");
    let api_key = HeaderName::from_static("x-api-key");
    let head = system_request(&sent, b"/shop/orders", forwarding(&host, &api_key)).unwrap();
    assert_eq!(head.method, http::Method::POST);
    assert_eq!(head.headers["content-length"], "17");
    assert_eq!(head.headers["content-type"], "application/json");
}

#[test]
fn a_client_head_without_spelling_keeps_its_fields_in_order() {
    let mut sent = RequestHeader::build_no_case("GET", b"/a", None).unwrap();
    sent.append_header("x-tenant-ref", "EU-1").unwrap();
    sent.append_header("accept", "*/*").unwrap();
    let host = HeaderValue::from_static("erp");
    let api_key = HeaderName::from_static("x-api-key");
    let head = system_request(&sent, b"/erp/a", forwarding(&host, &api_key)).unwrap();
    assert!(!head.has_case());
    let wire = wire(&head);
    assert!(
        wire.starts_with("Host: erp\r\nx-tenant-ref: EU-1\r\naccept: */*\r\n"),
        "{wire}"
    );
}

#[test]
fn keeps_repeated_client_fields() {
    let sent = client_head(&[("Host", "g"), ("Accept", "a/b"), ("Accept", "c/d")]);
    let host = HeaderValue::from_static("erp");
    let api_key = HeaderName::from_static("x-api-key");
    let head = system_request(&sent, b"/", forwarding(&host, &api_key)).unwrap();
    let accepts: Vec<_> = head.headers.get_all("accept").iter().collect();
    assert_eq!(accepts, ["a/b", "c/d"]);
}

#[test]
fn refuses_a_target_that_is_not_a_request_target() {
    let sent = client_head(&[("Host", "g")]);
    let host = HeaderValue::from_static("erp");
    let api_key = HeaderName::from_static("x-api-key");
    let error = system_request(&sent, b"/a b", forwarding(&host, &api_key)).unwrap_err();
    assert_eq!(error.etype(), &InternalError);
}

#[test]
fn writes_addresses_in_their_usual_form() {
    for ip in [
        Ipv4Addr::new(0, 0, 0, 0),
        Ipv4Addr::new(9, 10, 99, 100),
        Ipv4Addr::new(127, 0, 0, 1),
        Ipv4Addr::new(255, 255, 255, 255),
        Ipv4Addr::new(10, 200, 7, 250),
    ] {
        assert_eq!(ip_text(IpAddr::V4(ip)), ip.to_string());
    }
    let v6 = IpAddr::V6(Ipv6Addr::LOCALHOST);
    assert_eq!(ip_text(v6), "::1");
}
