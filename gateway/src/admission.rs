//! The admission step of a routed request: authentication (bearer JWT or API key), consumer,
//! subscription, scopes and the consumer's tier limits, in that order.
//!
//! The decisions are `canongate-policy`'s; this module reads the request's credentials, refreshes
//! a JWKS once when a token names an unknown key, and turns every refusal into the problem, the
//! challenge and the rate-limit headers the client gets.

use std::sync::Arc;

use canongate_policy::access::Access;
use canongate_policy::auth::{self, AuthError, VerifiedToken};
use canongate_policy::consumers::ConsumerIndex;
use canongate_policy::problem::{Problem, ProblemKind};
use canongate_policy::snapshot::{Operation, Snapshot};
use canongate_policy::throttle::{Admission, Permit, RateLimitHeaders, Reason};
use http::HeaderValue;
use pingora::proxy::Session;

use crate::runtime::Runtime;

/// A request that may go on, and what it holds while it does.
pub struct Admitted {
    /// The consumer, for public operations `None`.
    pub consumer: Option<ConsumerIndex>,
    /// The tier's concurrency and in-flight slots, released when the request ends.
    pub permit: Option<Permit>,
    /// `RateLimit-Policy` / `RateLimit` for the response.
    pub rate_limit: Option<RateLimitHeaders>,
}

/// A refused request: the problem and the headers that go with it.
pub struct Refusal {
    /// The problem document.
    pub problem: Problem,
    /// Extra headers (`WWW-Authenticate`, `Retry-After`, `RateLimit*`).
    pub headers: Vec<(&'static str, String)>,
    /// The consumer, when it was identified before the refusal (for the access log).
    pub consumer: Option<ConsumerIndex>,
}

impl Refusal {
    /// A refusal with no extra headers.
    pub fn new(kind: ProblemKind, detail: impl Into<String>) -> Self {
        Self {
            problem: Problem::new(kind, detail),
            headers: Vec::new(),
            consumer: None,
        }
    }

    fn with(mut self, name: &'static str, value: String) -> Self {
        self.headers.push((name, value));
        self
    }
}

/// A credential found on the request.
enum Credential<'a> {
    Bearer(&'a str),
    ApiKey(&'a [u8]),
}

/// Admits or refuses a request routed to `operation`.
pub async fn admit(
    runtime: &Runtime,
    session: &Session,
    operation: &Operation,
) -> Result<Admitted, Refusal> {
    if operation.access == Access::Public {
        return Ok(Admitted {
            consumer: None,
            permit: None,
            rate_limit: None,
        });
    }
    let (consumer, token) = identify(runtime, session).await?;
    authorize(&runtime.snapshot, operation, consumer, token.as_deref()).map_err(|mut refusal| {
        refusal.consumer = Some(consumer);
        refusal
    })
}

/// Subscription, scopes and tier limits of an identified consumer.
fn authorize(
    snapshot: &Snapshot,
    operation: &Operation,
    consumer_index: ConsumerIndex,
    token: Option<&VerifiedToken>,
) -> Result<Admitted, Refusal> {
    let consumer = snapshot.consumers.get(consumer_index);
    if !consumer.is_subscribed(operation.api_index) {
        return Err(Refusal::new(
            ProblemKind::NotSubscribed,
            format!(
                "consumer `{}` is not subscribed to API `{}`",
                consumer.id, operation.api
            ),
        ));
    }
    let granted = token
        .as_ref()
        .map_or(&consumer.scopes, |token| &token.scopes);
    if let Err(required) = operation.access.check_scopes(granted) {
        return Err(Refusal::new(
            ProblemKind::InsufficientScope,
            format!(
                "{} {} needs the scopes {}",
                operation.api,
                operation.operation_id,
                required.join(" ")
            ),
        )
        .with(
            "www-authenticate",
            auth::insufficient_scope_challenge(required),
        ));
    }
    let api = snapshot.apis[operation.api_index].limiter_key;
    match snapshot
        .throttle
        .admit(consumer.tier, consumer.limiter_key, api)
    {
        Admission::Admitted { permit, headers } => Ok(Admitted {
            consumer: Some(consumer_index),
            permit: Some(permit),
            rate_limit: Some(headers),
        }),
        Admission::Rejected {
            retry_after_secs,
            headers,
            reason,
            detail,
            ..
        } => {
            let kind = match reason {
                Reason::Shed => ProblemKind::Overloaded,
                Reason::QuotaExhausted { .. } => ProblemKind::QuotaExhausted,
                Reason::TooManyConcurrent | Reason::RateLimited => ProblemKind::RateLimited,
            };
            let mut refusal =
                Refusal::new(kind, detail).with("retry-after", retry_after_secs.to_string());
            refusal.headers.extend(rate_limit_texts(&headers));
            Err(refusal)
        }
    }
}

/// The consumer behind the request's credential, and its verified token when it used one.
async fn identify(
    runtime: &Runtime,
    session: &Session,
) -> Result<(ConsumerIndex, Option<Arc<VerifiedToken>>), Refusal> {
    let snapshot = &runtime.snapshot;
    let headers = &session.req_header().headers;
    let credential = match (
        headers.get(http::header::AUTHORIZATION),
        headers.get(snapshot.auth.api_key_header()),
    ) {
        (Some(authorization), _) => {
            Credential::Bearer(auth::bearer_token(authorization.as_bytes()).map_err(unauthorized)?)
        }
        (None, Some(key)) => Credential::ApiKey(key.as_bytes()),
        (None, None) => return Err(unauthorized(AuthError::MissingCredential)),
    };
    match credential {
        Credential::Bearer(token) => {
            let token = verify(runtime, token).await.map_err(unauthorized)?;
            let consumer = snapshot
                .consumers
                .by_subject(token.issuer, &token.subject)
                .ok_or_else(|| {
                    Refusal::new(
                        ProblemKind::Unauthorized,
                        format!(
                            "the token's subject `{}` is not a registered consumer",
                            token.subject
                        ),
                    )
                    .with(
                        "www-authenticate",
                        r#"Bearer error="invalid_token", error_description="unknown consumer""#
                            .to_owned(),
                    )
                })?;
            Ok((consumer, Some(token)))
        }
        Credential::ApiKey(key) => {
            let consumer = snapshot
                .consumers
                .by_key_digest(&auth::api_key_digest(key))
                .ok_or_else(|| {
                    Refusal::new(ProblemKind::Unauthorized, "the API key is not valid").with(
                        "www-authenticate",
                        format!(r#"ApiKey header="{}""#, snapshot.auth.api_key_header()),
                    )
                })?;
            Ok((consumer, None))
        }
    }
}

/// Verifies a bearer token, refreshing its issuer's JWKS once when it names an unknown key.
async fn verify(runtime: &Runtime, token: &str) -> Result<Arc<VerifiedToken>, AuthError> {
    let authenticator = &runtime.snapshot.auth;
    match authenticator.verify_bearer(token, crate::unix_now()) {
        Err(AuthError::UnknownKid { issuer, .. })
            if runtime.jwks.refresh_for_unknown_kid(issuer).await =>
        {
            authenticator.verify_bearer(token, crate::unix_now())
        }
        outcome => outcome,
    }
}

fn unauthorized(error: AuthError) -> Refusal {
    Refusal::new(ProblemKind::Unauthorized, error.detail())
        .with("www-authenticate", error.www_authenticate())
}

/// The `RateLimit-Policy` and `RateLimit` fields of `headers`.
pub fn rate_limit_fields(
    headers: &RateLimitHeaders,
) -> impl Iterator<Item = (&'static str, HeaderValue)> + '_ {
    let policy = headers.policy_header().cloned();
    let limit = headers.render();
    [("ratelimit-policy", policy), ("ratelimit", limit)]
        .into_iter()
        .filter_map(|(name, value)| Some((name, value?)))
}

/// The same fields as text, for a gateway-made answer.
pub fn rate_limit_texts(
    headers: &RateLimitHeaders,
) -> impl Iterator<Item = (&'static str, String)> {
    rate_limit_fields(headers)
        .map(|(name, value)| (name, String::from_utf8_lossy(value.as_bytes()).into_owned()))
}
