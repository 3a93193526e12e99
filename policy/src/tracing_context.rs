//! Request identity: `X-Request-Id` acceptance and W3C Trace Context (`traceparent`) handling.
//!
//! Pure functions over bytes and caller-supplied random numbers, so they are tested without
//! a clock or RNG. The gateway keeps a well-formed incoming request id, otherwise mints one; it
//! continues an incoming trace with a new span id, otherwise starts a new trace.

/// Whether a client-supplied `X-Request-Id` is kept: 1–128 characters of `[A-Za-z0-9._:-]`.
pub fn is_acceptable_request_id(value: &[u8]) -> bool {
    (1..=128).contains(&value.len())
        && value
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b"._:-".contains(&b))
}

/// Formats 128 random bits as a request id (UUID layout, version 4 bits set).
pub fn new_request_id(random: u128) -> String {
    let bits = (random & !(0xf << 76) | (0x4 << 76)) & !(0x3 << 62) | (0x2 << 62);
    let mut out = String::with_capacity(36);
    for (index, (shift, digits)) in [(96, 8), (80, 4), (64, 4), (48, 4), (0, 12)]
        .into_iter()
        .enumerate()
    {
        if index > 0 {
            out.push('-');
        }
        push_hex(&mut out, bits >> shift, digits);
    }
    out
}

/// Appends the low `digits` hex digits of `value`, lower-case, zero-padded.
fn push_hex(out: &mut String, value: u128, digits: u32) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for position in (0..digits).rev() {
        out.push(char::from(HEX[((value >> (position * 4)) & 0xf) as usize]));
    }
}

/// A parsed `traceparent` (version 00).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TraceParent {
    /// Trace id (never zero).
    pub trace_id: u128,
    /// Parent (span) id (never zero).
    pub parent_id: u64,
    /// Trace flags (bit 0: sampled).
    pub flags: u8,
}

impl TraceParent {
    /// Parses `00-{32 hex}-{16 hex}-{2 hex}`; `None` when malformed or an all-zero id.
    pub fn parse(value: &[u8]) -> Option<Self> {
        let text = std::str::from_utf8(value).ok()?;
        let mut parts = text.split('-');
        let (version, trace, parent, flags) =
            (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        let lower_hex = |s: &str, len: usize| {
            s.len() == len
                && s.bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        };
        if !lower_hex(version, 2)
            || version == "ff"
            || !lower_hex(trace, 32)
            || !lower_hex(parent, 16)
            || !lower_hex(flags, 2)
        {
            return None;
        }
        // Version 00 has exactly four fields; later versions may append more.
        if version == "00" && parts.next().is_some() {
            return None;
        }
        let trace_id = u128::from_str_radix(trace, 16).ok()?;
        let parent_id = u64::from_str_radix(parent, 16).ok()?;
        let flags = u8::from_str_radix(flags, 16).ok()?;
        (trace_id != 0 && parent_id != 0).then_some(Self {
            trace_id,
            parent_id,
            flags,
        })
    }

    /// Starts a new trace (sampled flag clear).
    pub fn root(trace_id: u128, span_id: u64) -> Self {
        Self {
            trace_id: trace_id.max(1),
            parent_id: span_id.max(1),
            flags: 0,
        }
    }

    /// The same trace with the gateway's own span as parent.
    pub fn child(self, span_id: u64) -> Self {
        Self {
            parent_id: span_id.max(1),
            ..self
        }
    }

    /// The header value.
    pub fn to_header(self) -> String {
        let mut out = String::with_capacity(55);
        out.push_str("00-");
        push_hex(&mut out, self.trace_id, 32);
        out.push('-');
        push_hex(&mut out, u128::from(self.parent_id), 16);
        out.push('-');
        push_hex(&mut out, u128::from(self.flags), 2);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_kept_when_well_formed() {
        assert!(is_acceptable_request_id(b"abc-123_x.y:z"));
        assert!(!is_acceptable_request_id(b""));
        assert!(!is_acceptable_request_id(b"has space"));
        assert!(!is_acceptable_request_id(&[b'a'; 129]));
        let minted = new_request_id(u128::MAX);
        assert_eq!(minted.len(), 36);
        assert_eq!(&minted[14..15], "4");
        assert!(is_acceptable_request_id(minted.as_bytes()));
    }

    #[test]
    fn continues_a_valid_trace_with_a_new_span() {
        let incoming = b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let parent = TraceParent::parse(incoming).unwrap();
        let child = parent.child(0x1234);
        assert_eq!(
            child.to_header(),
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000001234-01"
        );
    }

    #[test]
    fn refuses_malformed_trace_parents() {
        for value in [
            &b"00-00000000000000000000000000000000-00f067aa0ba902b7-01"[..],
            b"00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            b"ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            b"00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
            b"garbage",
        ] {
            assert_eq!(
                TraceParent::parse(value),
                None,
                "{}",
                String::from_utf8_lossy(value)
            );
        }
        assert!(
            TraceParent::parse(b"01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra")
                .is_some()
        );
        assert_eq!(
            TraceParent::root(7, 9).to_header(),
            "00-00000000000000000000000000000007-0000000000000009-00"
        );
    }
}
