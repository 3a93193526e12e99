//! `RateLimit-Policy` and `RateLimit` header fields, as defined by
//! draft-ietf-httpapi-ratelimit-headers-10.
//!
//! The draft (sections 3 and 4) defines both fields as Structured Field Lists (RFC 9651) of
//! Items. Each Item's bare value is a String naming a policy, and its parameters carry numbers:
//!
//! * `RateLimit-Policy` (a non-empty List of quota policy items): `q` (required, non-negative
//!   Integer: the quota, in quota units), `qu` (optional String: the unit, `requests` by default;
//!   `concurrent-requests` is a registered unit), `w` (optional, non-zero Integer: the window in
//!   whole seconds; no sub-second windows), `pk` (optional Byte Sequence: a partition key).
//! * `RateLimit` (a List of service limit items): `r` (required, non-negative Integer: the
//!   units remaining), `t` (optional, non-negative Integer in delay-seconds: the time until more
//!   quota becomes available), `pk`.
//!
//! RFC 9651 writes a List as its members separated by a comma and one space, and an Item as its
//! bare item followed by its parameters:
//!
//! ```text
//! sf-list     = list-member *( OWS "," OWS list-member )
//! sf-item     = bare-item parameters
//! parameters  = *( ";" *SP parameter )
//! parameter   = param-key [ "=" param-value ]
//! sf-string   = DQUOTE *( unescaped / "%" / escaped ) DQUOTE
//! ```
//!
//! Canongate advertises these policies (no `pk`: the limit applies to the caller's own
//! credentials, which it already knows):
//!
//! | policy | `RateLimit-Policy` item | `RateLimit` item |
//! |---|---|---|
//! | GCRA rate | `"burst";q=<burst>;w=<seconds to refill the whole bucket, rounded up>` | `r` = requests the bucket holds now, `t` = seconds until it gains one: exact (rounded up) when empty, else the emission interval rounded up, an upper bound |
//! | day quota | `"day";q=<per_day>;w=86400` | `r` = requests left today, `t` = seconds to 00:00:00Z |
//! | month quota | `"month";q=<per_month>` (no `w`: calendar months differ in length) | `r` = requests left this month, `t` = seconds to the 1st, 00:00:00Z |
//! | concurrency | `"concurrency";q=<max_concurrent>;qu="concurrent-requests"` | `r` = further requests that may start now |
//!
//! for example `RateLimit-Policy: "burst";q=100;w=1, "day";q=10000;w=86400` and
//! `RateLimit: "burst";r=99;t=1, "day";r=9999;t=3600`. The policy field is rendered once per tier
//! at compile time; the dynamic field is rendered per response from plain numbers.

use http::HeaderValue;

/// The limits a tier can advertise, in the order they appear in both fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum LimitKind {
    /// The GCRA rate and burst.
    Burst = 0,
    /// The UTC-day quota.
    Day = 1,
    /// The UTC-month quota.
    Month = 2,
    /// The concurrency limit.
    Concurrency = 3,
}

const KINDS: usize = 4;
const NAMES: [&str; KINDS] = ["burst", "day", "month", "concurrency"];

/// The static description of a tier's limits: `(q, w)` per advertised limit.
#[derive(Debug, Default)]
pub(super) struct Policies {
    items: [Option<(u64, Option<u64>)>; KINDS],
}

impl Policies {
    /// Advertises `kind` with quota `q` and, when known, window `w` in seconds.
    pub fn add(&mut self, kind: LimitKind, q: u64, w: Option<u64>) {
        self.items[kind as usize] = Some((q, w));
    }

    /// The `RateLimit-Policy` field value, or `None` when the tier has no limit.
    pub fn field(&self) -> Option<HeaderValue> {
        let mut field = String::new();
        for (kind, item) in self.items.iter().enumerate() {
            let Some((quota, window)) = item else {
                continue;
            };
            if !field.is_empty() {
                field.push_str(", ");
            }
            push_item(&mut field, NAMES[kind], "q", *quota);
            if let Some(window) = window {
                push_parameter(&mut field, "w", *window);
            }
            if kind == LimitKind::Concurrency as usize {
                field.push_str(";qu=\"concurrent-requests\"");
            }
        }
        field_value(field)
    }
}

/// The rate-limit header fields of one response.
///
/// [`policy_header`](Self::policy_header) is the tier's constant `RateLimit-Policy` value;
/// [`render`](Self::render) gives the `RateLimit` value for the limits this request was
/// measured against (every configured limit on admission; on a rejection, the limits evaluated
/// up to it plus the quota and concurrency state, which can be read without consuming).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimitHeaders {
    policy: Option<HeaderValue>,
    limits: [Option<ServiceLimit>; KINDS],
}

/// Remaining units (`r`) and seconds until more are available (`t`) of one policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct ServiceLimit {
    pub remaining: u64,
    pub reset_secs: Option<u64>,
}

impl RateLimitHeaders {
    pub(super) fn new(policy: Option<HeaderValue>) -> Self {
        Self {
            policy,
            limits: [None; KINDS],
        }
    }

    pub(super) fn set(&mut self, kind: LimitKind, limit: ServiceLimit) {
        self.limits[kind as usize] = Some(limit);
    }

    pub(super) fn has(&self, kind: LimitKind) -> bool {
        self.limits[kind as usize].is_some()
    }

    /// The `RateLimit-Policy` field value; `None` for a tier without limits.
    pub fn policy_header(&self) -> Option<&HeaderValue> {
        self.policy.as_ref()
    }

    /// The `RateLimit` field value; `None` when no limit was measured.
    pub fn render(&self) -> Option<HeaderValue> {
        let mut field = String::with_capacity(64);
        for (kind, limit) in self.limits.iter().enumerate() {
            let Some(limit) = limit else { continue };
            if !field.is_empty() {
                field.push_str(", ");
            }
            push_item(&mut field, NAMES[kind], "r", limit.remaining);
            if let Some(reset) = limit.reset_secs {
                push_parameter(&mut field, "t", reset);
            }
        }
        field_value(field)
    }
}

/// Appends the item `"name";key=value`.
fn push_item(field: &mut String, name: &str, key: &str, value: u64) {
    field.push('"');
    field.push_str(name);
    field.push('"');
    push_parameter(field, key, value);
}

/// Appends the parameter `;key=value`.
fn push_parameter(field: &mut String, key: &str, value: u64) {
    field.push(';');
    field.push_str(key);
    field.push('=');
    field.push_str(itoa::Buffer::new().format(value));
}

/// The field's value; `None` for an empty list. Items are ASCII, so it is a valid value.
fn field_value(field: String) -> Option<HeaderValue> {
    if field.is_empty() {
        return None;
    }
    HeaderValue::try_from(field).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A field value as text, for comparing.
    fn text(value: Option<&HeaderValue>) -> Option<&str> {
        value.map(|value| value.to_str().expect("ASCII field value"))
    }

    #[test]
    fn policy_field_lists_items_in_fixed_order_with_their_parameters() {
        let mut policies = Policies::default();
        policies.add(LimitKind::Concurrency, 10, None);
        policies.add(LimitKind::Month, 300_000, None);
        policies.add(LimitKind::Burst, 100, Some(1));
        policies.add(LimitKind::Day, 10_000, Some(86_400));
        assert_eq!(
            text(policies.field().as_ref()),
            Some(
                "\"burst\";q=100;w=1, \"day\";q=10000;w=86400, \"month\";q=300000, \
                 \"concurrency\";q=10;qu=\"concurrent-requests\""
            )
        );
        assert_eq!(Policies::default().field(), None);
    }

    #[test]
    fn service_limits_render_r_and_optional_t() {
        let mut headers =
            RateLimitHeaders::new(Some(HeaderValue::from_static("\"burst\";q=100;w=1")));
        assert_eq!(headers.render(), None);
        headers.set(
            LimitKind::Burst,
            ServiceLimit {
                remaining: 42,
                reset_secs: Some(1),
            },
        );
        headers.set(
            LimitKind::Concurrency,
            ServiceLimit {
                remaining: 3,
                reset_secs: None,
            },
        );
        assert!(headers.has(LimitKind::Burst) && !headers.has(LimitKind::Day));
        assert_eq!(text(headers.policy_header()), Some("\"burst\";q=100;w=1"));
        assert_eq!(
            text(headers.render().as_ref()),
            Some("\"burst\";r=42;t=1, \"concurrency\";r=3")
        );
    }
}
