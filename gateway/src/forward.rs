//! The request head a system receives.
//!
//! [`system_request`] builds it once, with its header maps sized for every field it will hold:
//! the system's `Host`; the client's fields as Pingora left them (hop-by-hop fields already
//! removed), in the client's spelling, minus those the gateway owns; then the gateway's
//! `X-Forwarded-For`, `X-Forwarded-Proto`, consumer identity, `X-Request-Id` and `traceparent`.
//! Building it whole costs one pass over the client's fields; editing Pingora's copy in place
//! grew both of its maps (names and values) several times per request.

use std::net::IpAddr;

use http::header::{self, HeaderName, HeaderValue};
use pingora::http::RequestHeader;
use pingora::prelude::*;

/// Header naming the consumer to the system.
const CONSUMER_HEADER: &str = "x-canongate-consumer";
/// Header naming the system the consumer acts for.
const CONSUMER_SYSTEM_HEADER: &str = "x-canongate-consumer-system";

/// Fields the gateway sets or withholds: a client's value never reaches a system. Forwarding
/// fields are not trusted from the front door; credentials are the gateway's business.
/// (Client-sent `X-Canongate-*` fields are refused with the request head.)
static GATEWAY_OWNED: [HeaderName; 9] = [
    header::HOST,
    header::AUTHORIZATION,
    header::FORWARDED,
    HeaderName::from_static("x-forwarded-for"),
    HeaderName::from_static("x-forwarded-host"),
    HeaderName::from_static("x-forwarded-proto"),
    HeaderName::from_static("x-real-ip"),
    HeaderName::from_static("x-request-id"),
    HeaderName::from_static("traceparent"),
];

/// The gateway's fields added to the system request; room is made for them up front.
const GATEWAY_FIELDS: usize = 7;

/// What the gateway adds to the client's fields.
pub struct Forwarding<'a> {
    /// `Host` of the chosen endpoint.
    pub host: &'a HeaderValue,
    /// Client address, for `X-Forwarded-For`.
    pub client_ip: Option<IpAddr>,
    /// The API-key header of the document, withheld like `Authorization`.
    pub api_key_header: &'a HeaderName,
    /// Consumer id and the system it acts for, when one was identified.
    pub consumer: Option<(&'a str, &'a str)>,
    /// `X-Request-Id`.
    pub request_id: &'a str,
    /// `traceparent` with the gateway's span.
    pub traceparent: String,
}

/// The head sent to the system: `sent` (Pingora's sanitised copy of the client's head) with
/// `target` as its request-target and the gateway's fields.
pub fn system_request(
    sent: &RequestHeader,
    target: &[u8],
    forwarding: Forwarding<'_>,
) -> Result<RequestHeader> {
    let capacity = Some(sent.headers.len() + GATEWAY_FIELDS);
    let built = if sent.has_case() {
        RequestHeader::build(sent.method.clone(), target, capacity)
    } else {
        RequestHeader::build_no_case(sent.method.clone(), target, capacity)
    };
    let mut head = built.map_err(|cause| {
        Error::because(
            InternalError,
            "the rewritten request-target is not valid",
            cause,
        )
    })?;
    head.set_version(sent.version);
    *head.extensions_mut() = sent.extensions.clone();
    // `Host` first, where RFC 9110 (section 7.2) asks senders to put it.
    head.append_header(header::HOST, forwarding.host.clone())?;
    let forwarded =
        |name: &HeaderName| name != forwarding.api_key_header && !GATEWAY_OWNED.contains(name);
    if sent.has_case() {
        // Pingora keeps both maps in the same order (it asserts so when writing them).
        for ((name, value), (spelling, _)) in sent.headers.iter().zip(sent.case_header_iter()) {
            if forwarded(name) {
                head.append_header(spelling.clone(), value.clone())?;
            }
        }
    } else {
        for (name, value) in &sent.headers {
            if forwarded(name) {
                head.append_header(name, value.clone())?;
            }
        }
    }
    if let Some(ip) = forwarding.client_ip {
        head.append_header("x-forwarded-for", ip_text(ip))?;
    }
    head.append_header("x-forwarded-proto", HeaderValue::from_static("http"))?;
    if let Some((consumer, system)) = forwarding.consumer {
        head.append_header(CONSUMER_HEADER, consumer)?;
        head.append_header(CONSUMER_SYSTEM_HEADER, system)?;
    }
    head.append_header("x-request-id", forwarding.request_id)?;
    head.append_header("traceparent", forwarding.traceparent)?;
    Ok(head)
}

/// The address in its usual text form; IPv4, the common case, without the formatting machinery.
fn ip_text(ip: IpAddr) -> String {
    let IpAddr::V4(v4) = ip else {
        return ip.to_string();
    };
    let mut text = String::with_capacity(15);
    for (index, octet) in v4.octets().into_iter().enumerate() {
        if index > 0 {
            text.push('.');
        }
        if octet >= 100 {
            text.push(char::from(b'0' + octet / 100));
        }
        if octet >= 10 {
            text.push(char::from(b'0' + octet / 10 % 10));
        }
        text.push(char::from(b'0' + octet % 10));
    }
    text
}

#[cfg(test)]
mod tests;
