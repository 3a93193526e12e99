//! Request-head rules of RFC 9110/9112 that a gateway in front of ERPs and CRMs must enforce.
//!
//! [`check_request_head`] reads the request head exactly as the client sent it (request line and
//! header fields, up to the empty line) and refuses anything that could be framed or routed
//! differently by the gateway and the system behind it: duplicated or conflicting
//! `Content-Length`, `Content-Length` together with `Transfer-Encoding`, a final coding other
//! than `chunked`, a missing or duplicated or malformed `Host`, a request target that is not
//! origin-form, dot-segments, and heads over the configured limits. A canonical path never holds
//! a space, quote or angle bracket, encoded or not: the HTTP/1 parser percent-encodes such bytes
//! in a malformed request line before the gateway sees it, so refusing the encoded forms in the
//! path is what keeps a request line like `GET /a b HTTP/1.1` from being auto-corrected and
//! forwarded (RFC 9112 §3.2). It is one linear pass over
//! the head, allocation-free on the accepted path.

use crate::config::HttpLimits;

/// Why a request head was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Violation {
    /// Status to answer with: 400, 414, 431 or 501.
    pub status: u16,
    /// What is wrong, for the problem's `detail`.
    pub detail: &'static str,
}

impl Violation {
    const fn bad(detail: &'static str) -> Self {
        Self {
            status: 400,
            detail,
        }
    }
}

/// Checks a raw HTTP/1.x request head (from the method up to and including the empty line).
pub fn check_request_head(head: &[u8], limits: &HttpLimits) -> Result<(), Violation> {
    if head.len() > limits.max_header_bytes {
        return Err(Violation {
            status: 431,
            detail: "the request head is larger than allowed",
        });
    }
    let line_end =
        find_line_end(head).ok_or(Violation::bad("the request line is not terminated"))?;
    let request_line = &head[..line_end];
    if request_line.len() > limits.max_request_line_bytes {
        return Err(Violation {
            status: 414,
            detail: "the request line is longer than allowed",
        });
    }
    let http10 = check_request_line(request_line)?;
    check_fields(&head[line_end..], http10)
}

/// Index of the `\r\n` (or bare `\n`) ending the first line.
fn find_line_end(bytes: &[u8]) -> Option<usize> {
    let newline = memchr::memchr(b'\n', bytes)?;
    Some(if newline > 0 && bytes[newline - 1] == b'\r' {
        newline - 1
    } else {
        newline
    })
}

/// Checks `method SP origin-form SP HTTP/1.x`; returns whether the version is HTTP/1.0.
fn check_request_line(line: &[u8]) -> Result<bool, Violation> {
    let mut parts = line.split(|&b| b == b' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Violation::bad(
            "the request line is not `method SP target SP version`",
        ));
    };
    if method.is_empty() || !method.iter().all(|&b| is_tchar(b)) {
        return Err(Violation::bad("the method is not a token"));
    }
    let http10 = match version {
        b"HTTP/1.1" => false,
        b"HTTP/1.0" => true,
        _ => return Err(Violation::bad("the HTTP version is not 1.0 or 1.1")),
    };
    check_origin_form(target)?;
    Ok(http10)
}

/// Checks that a request target is origin-form (`/path?query`) with no dot-segments.
fn check_origin_form(target: &[u8]) -> Result<(), Violation> {
    if target.first() != Some(&b'/') {
        return Err(Violation::bad(
            "the request target must be origin-form (`/path?query`); `*`, authority-form and absolute-form are refused",
        ));
    }
    let path_end = target
        .iter()
        .position(|&b| b == b'?')
        .unwrap_or(target.len());
    // Only a `.` or an escape can spell a dot-segment; most paths hold neither.
    let mut may_hold_dot_segment = false;
    let mut index = 0;
    while index < target.len() {
        let byte = target[index];
        if byte == b'%' {
            let valid = target
                .get(index + 1..index + 3)
                .is_some_and(|hex| hex.iter().all(u8::is_ascii_hexdigit));
            if !valid {
                return Err(Violation::bad(
                    "the request target has a malformed percent-escape",
                ));
            }
            let decoded = hex_value(target[index + 1]) * 16 + hex_value(target[index + 2]);
            if decoded < 0x20 || decoded == 0x7f {
                return Err(Violation::bad(
                    "the request target encodes a control character",
                ));
            }
            if index < path_end {
                if b" \"<>".contains(&decoded) {
                    return Err(Violation::bad(
                        "the request path holds a space, quote or angle bracket (encoded or not)",
                    ));
                }
                may_hold_dot_segment = true;
            }
            index += 3;
            continue;
        }
        if !TARGET_CHARS[usize::from(byte)] {
            return Err(Violation::bad(
                "the request target holds a byte that is not allowed unencoded (space, control, non-ASCII or delimiter)",
            ));
        }
        may_hold_dot_segment |= byte == b'.' && index < path_end;
        index += 1;
    }
    if may_hold_dot_segment && has_dot_segment(&target[..path_end]) {
        return Err(Violation::bad(
            "the request path holds a `.` or `..` segment",
        ));
    }
    Ok(())
}

fn hex_value(digit: u8) -> u8 {
    match digit {
        b'0'..=b'9' => digit - b'0',
        b'a'..=b'f' => digit - b'a' + 10,
        _ => digit - b'A' + 10,
    }
}

/// Whether a segment of the path, as a system that decodes before normalising could see it, is
/// a dot-segment: the path is split at `/` and at encoded separators (`%2F`, `%5C`), and each
/// piece is taken without its `;params`.
fn has_dot_segment(path: &[u8]) -> bool {
    let mut piece_start = 0;
    let mut index = 0;
    loop {
        let separator_len = match path.get(index) {
            None => 0,
            Some(b'/') => 1,
            Some(b'%') if is_encoded_separator(&path[index..]) => 3,
            Some(_) => {
                index += 1;
                continue;
            }
        };
        let piece = &path[piece_start..index];
        let piece = piece.split(|&b| b == b';').next().unwrap_or(piece);
        if is_dot_segment(piece) {
            return true;
        }
        if separator_len == 0 {
            return false;
        }
        index += separator_len;
        piece_start = index;
    }
}

/// `%2F` or `%5C` (either case) at the start of `bytes`.
fn is_encoded_separator(bytes: &[u8]) -> bool {
    bytes.len() >= 3
        && bytes[0] == b'%'
        && (bytes[1..3].eq_ignore_ascii_case(b"2f") || bytes[1..3].eq_ignore_ascii_case(b"5c"))
}

/// `.` and `..`, literally or percent-encoded (`%2e`).
fn is_dot_segment(segment: &[u8]) -> bool {
    let mut dots = 0;
    let mut rest = segment;
    while !rest.is_empty() {
        if rest[0] == b'.' {
            rest = &rest[1..];
        } else if rest.len() >= 3
            && rest[0] == b'%'
            && rest[1] == b'2'
            && rest[2].eq_ignore_ascii_case(&b'e')
        {
            rest = &rest[3..];
        } else {
            return false;
        }
        dots += 1;
    }
    dots == 1 || dots == 2
}

/// A 256-entry membership table: alphanumerics plus `extra`.
const fn byte_class(extra: &[u8]) -> [bool; 256] {
    let mut table = [false; 256];
    let mut byte = 0;
    while byte < 256 {
        table[byte] = (byte as u8).is_ascii_alphanumeric();
        byte += 1;
    }
    let mut index = 0;
    while index < extra.len() {
        table[extra[index] as usize] = true;
        index += 1;
    }
    table
}

/// RFC 3986 `pchar` / `query` characters, minus `%` (handled by the caller).
static TARGET_CHARS: [bool; 256] = byte_class(b"-._~!$&'()*+,;=:@/?");

/// RFC 9110 `tchar`.
static TOKEN_CHARS: [bool; 256] = byte_class(b"!#$%&'*+-.^_`|~");

/// `X-Canongate-…`, also spelled with `_` for `-` (as CGI-style systems read both alike).
fn is_gateway_header(name: &[u8]) -> bool {
    const PREFIX: &[u8] = b"x-canongate-";
    name.len() > PREFIX.len()
        && name[..PREFIX.len()]
            .iter()
            .zip(PREFIX)
            .all(|(&byte, &expected)| {
                byte.to_ascii_lowercase() == expected || (expected == b'-' && byte == b'_')
            })
}

/// RFC 9110 `tchar`.
fn is_tchar(byte: u8) -> bool {
    TOKEN_CHARS[usize::from(byte)]
}

/// Walks the header fields once, checking their syntax and the framing and Host rules.
fn check_fields(mut rest: &[u8], http10: bool) -> Result<(), Violation> {
    let mut hosts = 0;
    let mut content_lengths = 0;
    let mut transfer_encoding = TransferEncoding::Absent;
    let mut nominations = 0;
    rest = skip_newline(rest);
    loop {
        let line_end =
            find_line_end(rest).ok_or(Violation::bad("the header section is not terminated"))?;
        let line = &rest[..line_end];
        rest = skip_newline(&rest[line_end..]);
        if line.is_empty() {
            break;
        }
        if line[0] == b' ' || line[0] == b'\t' {
            return Err(Violation::bad("obsolete line folding is not accepted"));
        }
        let colon =
            memchr::memchr(b':', line).ok_or(Violation::bad("a header field has no `:`"))?;
        let name = &line[..colon];
        if name.is_empty() || !name.iter().all(|&b| is_tchar(b)) {
            return Err(Violation::bad(
                "a header field name is not a token (whitespace before `:`?)",
            ));
        }
        if is_gateway_header(name) {
            return Err(Violation::bad(
                "`X-Canongate-*` header fields are set by the gateway and cannot be sent",
            ));
        }
        let value = trim_ows(&line[colon + 1..]);
        // No early exit: the whole value is checked branch-free (values can be long tokens).
        let has_control = value.iter().fold(false, |found, &b| {
            found | ((b < 0x20) & (b != b'\t')) | (b == 0x7f)
        });
        if has_control {
            return Err(Violation::bad(
                "a header field value holds a control character",
            ));
        }
        if name.eq_ignore_ascii_case(b"host") {
            hosts += 1;
            if !is_valid_host(value) {
                return Err(Violation::bad("the Host header is not a valid host[:port]"));
            }
        } else if name.eq_ignore_ascii_case(b"content-length") {
            content_lengths += 1;
            if value.is_empty() || !value.iter().all(u8::is_ascii_digit) || value.len() > 18 {
                return Err(Violation::bad(
                    "Content-Length is not a single decimal number",
                ));
            }
        } else if name.eq_ignore_ascii_case(b"connection") {
            nominations = check_connection(value, nominations)?;
        } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
            transfer_encoding = transfer_encoding.append(value)?;
        }
    }
    match hosts {
        0 => return Err(Violation::bad("the Host header is missing")),
        1 => {}
        _ => return Err(Violation::bad("the Host header is repeated")),
    }
    if content_lengths > 1 {
        return Err(Violation::bad("Content-Length is repeated"));
    }
    match transfer_encoding {
        TransferEncoding::Absent => Ok(()),
        _ if http10 => Err(Violation::bad(
            "HTTP/1.0 requests cannot use Transfer-Encoding",
        )),
        _ if content_lengths > 0 => Err(Violation::bad(
            "Content-Length and Transfer-Encoding cannot both be sent",
        )),
        TransferEncoding::ChunkedLast => Ok(()),
        TransferEncoding::CodedThenChunked => Err(Violation {
            status: 501,
            detail: "only the `chunked` transfer coding is supported",
        }),
        TransferEncoding::OtherLast => Err(Violation::bad(
            "the final transfer coding must be `chunked`",
        )),
    }
}

/// Most options one request may name in `Connection`.
const MAX_CONNECTION_OPTIONS: usize = 9;

/// Checks one `Connection` line: a few `token` options, none naming a field the gateway relies on
/// (a nominated field is removed on the way to the system as hop-by-hop). Returns the options
/// counted so far.
fn check_connection(value: &[u8], mut count: usize) -> Result<usize, Violation> {
    for option in value
        .split(|&b| b == b',')
        .map(trim_ows)
        .filter(|o| !o.is_empty())
    {
        count += 1;
        if count > MAX_CONNECTION_OPTIONS {
            return Err(Violation::bad("`Connection` names too many options"));
        }
        if !option.iter().all(|&b| is_tchar(b)) {
            return Err(Violation::bad("a `Connection` option is not a token"));
        }
        let protected = [
            &b"host"[..],
            b"authorization",
            b"content-length",
            b"transfer-encoding",
            b"forwarded",
            b"x-forwarded-for",
            b"x-forwarded-host",
            b"x-forwarded-proto",
            b"x-real-ip",
            b"x-request-id",
            b"traceparent",
        ];
        if protected
            .iter()
            .any(|name| option.eq_ignore_ascii_case(name))
            || is_gateway_header(option)
        {
            return Err(Violation::bad(
                "`Connection` cannot name a field the gateway relies on",
            ));
        }
    }
    Ok(count)
}

/// What the `Transfer-Encoding` field lines say so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TransferEncoding {
    Absent,
    ChunkedLast,
    /// Another coding (gzip, …) under `chunked`: understood framing, unsupported content coding.
    CodedThenChunked,
    OtherLast,
}

impl TransferEncoding {
    fn append(self, value: &[u8]) -> Result<Self, Violation> {
        let mut state = self;
        for coding in value.split(|&b| b == b',') {
            let coding = trim_ows(coding);
            if coding.is_empty() {
                continue;
            }
            if !coding
                .iter()
                .all(|&b| is_tchar(b) || b";= \t\"".contains(&b))
            {
                return Err(Violation::bad("Transfer-Encoding is malformed"));
            }
            if coding.eq_ignore_ascii_case(b"chunked") {
                state = match state {
                    Self::ChunkedLast | Self::CodedThenChunked => {
                        return Err(Violation::bad("`chunked` is applied more than once"));
                    }
                    Self::OtherLast => Self::CodedThenChunked,
                    Self::Absent => Self::ChunkedLast,
                };
            } else {
                if matches!(state, Self::ChunkedLast | Self::CodedThenChunked) {
                    return Err(Violation::bad(
                        "the final transfer coding must be `chunked`",
                    ));
                }
                state = Self::OtherLast;
            }
        }
        if state == Self::Absent {
            return Err(Violation::bad("Transfer-Encoding is empty"));
        }
        Ok(state)
    }
}

fn skip_newline(bytes: &[u8]) -> &[u8] {
    let bytes = bytes.strip_prefix(b"\r").unwrap_or(bytes);
    bytes.strip_prefix(b"\n").unwrap_or(bytes)
}

fn trim_ows(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|&b| b != b' ' && b != b'\t')
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|&b| b != b' ' && b != b'\t')
        .map_or(start, |i| i + 1);
    &bytes[start..end]
}

/// `uri-host [":" port]` with a reg-name, IPv4 or bracketed IPv6 host.
fn is_valid_host(value: &[u8]) -> bool {
    let (host, port) = if value.first() == Some(&b'[') {
        let Some(close) = value.iter().position(|&b| b == b']') else {
            return false;
        };
        let literal = &value[1..close];
        if literal.is_empty()
            || !literal
                .iter()
                .all(|&b| b.is_ascii_hexdigit() || b":.".contains(&b))
        {
            return false;
        }
        (&value[..=close], &value[close + 1..])
    } else {
        match value.iter().position(|&b| b == b':') {
            Some(colon) => (&value[..colon], &value[colon..]),
            None => (value, &value[value.len()..]),
        }
    };
    let host_ok = host.first() == Some(&b'[')
        || (!host.is_empty()
            && host
                .iter()
                .all(|&b| b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=".contains(&b)));
    let port_ok = port.is_empty()
        || (port.len() > 1 && port.len() <= 6 && port[1..].iter().all(u8::is_ascii_digit));
    host_ok && port_ok
}

#[cfg(test)]
mod tests;
