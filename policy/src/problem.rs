//! RFC 9457 problem details: the one shape of every error a client sees from the gateway.
//!
//! Each [`ProblemKind`] has a stable `type` URI, a title and a status; the gateway renders a
//! [`Problem`] as `application/problem+json`.

use serde::Serialize;

/// Media type of problem documents.
pub const CONTENT_TYPE: &str = "application/problem+json";

/// The kinds of problem the gateway reports, each with a stable `type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemKind {
    /// The request head breaks an RFC 9110/9112 rule.
    MalformedRequest,
    /// The request line is too long.
    RequestLineTooLong,
    /// The request head is too large.
    RequestHeadTooLarge,
    /// The request uses a transfer coding the gateway does not implement.
    UnsupportedTransferCoding,
    /// No operation has this path.
    NoRoute,
    /// The path exists, not for this method.
    MethodNotAllowed,
    /// The API version was retired.
    VersionRetired,
    /// The API has no such version.
    UnknownVersion,
    /// An unversioned request to an API without a default version, or a malformed `Api-Version`.
    VersionRequired,
    /// No credential, or one that is not valid.
    Unauthorized,
    /// A valid credential without the operation's scopes.
    InsufficientScope,
    /// The consumer is not subscribed to the API.
    NotSubscribed,
    /// The consumer exceeded its tier's rate or concurrency.
    RateLimited,
    /// The consumer used up a quota of its tier.
    QuotaExhausted,
    /// The gateway is overloaded and sheds the consumer's tier.
    Overloaded,
    /// The system could not be reached.
    UpstreamUnavailable,
    /// The system did not answer in time.
    UpstreamTimeout,
    /// Anything else that went wrong inside the gateway.
    Internal,
}

impl ProblemKind {
    /// HTTP status of the problem.
    pub fn status(self) -> u16 {
        match self {
            Self::MalformedRequest => 400,
            Self::RequestLineTooLong => 414,
            Self::RequestHeadTooLarge => 431,
            Self::UnsupportedTransferCoding => 501,
            Self::NoRoute => 404,
            Self::MethodNotAllowed => 405,
            Self::VersionRetired => 410,
            Self::UnknownVersion => 404,
            Self::VersionRequired => 400,
            Self::Unauthorized => 401,
            Self::InsufficientScope | Self::NotSubscribed => 403,
            Self::RateLimited | Self::QuotaExhausted => 429,
            Self::Overloaded => 503,
            Self::UpstreamUnavailable => 502,
            Self::UpstreamTimeout => 504,
            Self::Internal => 500,
        }
    }

    /// The stable `type` URI.
    pub fn type_uri(self) -> &'static str {
        match self {
            Self::MalformedRequest => "urn:canongate:problem:malformed-request",
            Self::RequestLineTooLong => "urn:canongate:problem:request-line-too-long",
            Self::RequestHeadTooLarge => "urn:canongate:problem:request-head-too-large",
            Self::UnsupportedTransferCoding => "urn:canongate:problem:unsupported-transfer-coding",
            Self::NoRoute => "urn:canongate:problem:no-route",
            Self::MethodNotAllowed => "urn:canongate:problem:method-not-allowed",
            Self::VersionRetired => "urn:canongate:problem:version-retired",
            Self::UnknownVersion => "urn:canongate:problem:unknown-version",
            Self::VersionRequired => "urn:canongate:problem:version-required",
            Self::Unauthorized => "urn:canongate:problem:unauthorized",
            Self::InsufficientScope => "urn:canongate:problem:insufficient-scope",
            Self::NotSubscribed => "urn:canongate:problem:not-subscribed",
            Self::RateLimited => "urn:canongate:problem:rate-limited",
            Self::QuotaExhausted => "urn:canongate:problem:quota-exhausted",
            Self::Overloaded => "urn:canongate:problem:overloaded",
            Self::UpstreamUnavailable => "urn:canongate:problem:upstream-unavailable",
            Self::UpstreamTimeout => "urn:canongate:problem:upstream-timeout",
            Self::Internal => "urn:canongate:problem:internal",
        }
    }

    /// Short, constant title.
    pub fn title(self) -> &'static str {
        match self {
            Self::MalformedRequest => "Malformed request",
            Self::RequestLineTooLong => "Request line too long",
            Self::RequestHeadTooLarge => "Request header fields too large",
            Self::UnsupportedTransferCoding => "Transfer coding not implemented",
            Self::NoRoute => "No such operation",
            Self::MethodNotAllowed => "Method not allowed",
            Self::VersionRetired => "API version retired",
            Self::UnknownVersion => "No such API version",
            Self::VersionRequired => "API version required",
            Self::Unauthorized => "Authentication required",
            Self::InsufficientScope => "Insufficient scope",
            Self::NotSubscribed => "Not subscribed",
            Self::RateLimited => "Rate limit exceeded",
            Self::QuotaExhausted => "Quota exhausted",
            Self::Overloaded => "Gateway overloaded",
            Self::UpstreamUnavailable => "System unavailable",
            Self::UpstreamTimeout => "System timed out",
            Self::Internal => "Internal gateway error",
        }
    }

    /// The kind for a request-head status from [`crate::framing`].
    pub fn for_framing_status(status: u16) -> Self {
        match status {
            414 => Self::RequestLineTooLong,
            431 => Self::RequestHeadTooLarge,
            501 => Self::UnsupportedTransferCoding,
            _ => Self::MalformedRequest,
        }
    }
}

/// One problem occurrence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// Stable type URI.
    #[serde(rename = "type")]
    pub type_uri: &'static str,
    /// Constant title of the type.
    pub title: &'static str,
    /// HTTP status.
    pub status: u16,
    /// What went wrong with this request.
    pub detail: String,
    /// The request id, so a report can be matched with the access log.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

impl Problem {
    /// A problem of `kind` with a specific detail.
    pub fn new(kind: ProblemKind, detail: impl Into<String>) -> Self {
        Self {
            type_uri: kind.type_uri(),
            title: kind.title(),
            status: kind.status(),
            detail: detail.into(),
            request_id: None,
        }
    }

    /// Attaches the request id.
    pub fn with_request_id(mut self, request_id: &str) -> Self {
        if !request_id.is_empty() {
            self.request_id = Some(request_id.to_owned());
        }
        self
    }

    /// The JSON body.
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_rfc9457_members() {
        let problem = Problem::new(ProblemKind::NoRoute, "GET /x matches no operation")
            .with_request_id("req-1");
        let json: serde_json::Value = serde_json::from_slice(&problem.to_json()).unwrap();
        assert_eq!(json["type"], "urn:canongate:problem:no-route");
        assert_eq!(json["status"], 404);
        assert_eq!(json["title"], "No such operation");
        assert_eq!(json["detail"], "GET /x matches no operation");
        assert_eq!(json["request_id"], "req-1");
    }

    #[test]
    fn framing_statuses_map_to_kinds() {
        assert_eq!(ProblemKind::for_framing_status(414).status(), 414);
        assert_eq!(ProblemKind::for_framing_status(431).status(), 431);
        assert_eq!(ProblemKind::for_framing_status(400).status(), 400);
    }
}
