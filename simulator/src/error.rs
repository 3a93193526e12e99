//! The ways a request to a simulated collection can fail, each with the HTTP
//! status and the stable problem `type` slug it is reported under.

use http::StatusCode;

/// A request a collection refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// No record has the requested id.
    #[error("no record has id `{0}`")]
    NotFound(String),
    /// A list query parameter is malformed or out of range.
    #[error("query parameter `{name}` is invalid: {reason}")]
    InvalidQuery {
        /// The parameter name as sent.
        name: String,
        /// Why it was refused.
        reason: String,
    },
    /// The request body is not the JSON the operation needs.
    #[error("request body is invalid: {0}")]
    InvalidBody(String),
    /// An `Idempotency-Key` was reused with a different request body.
    #[error("Idempotency-Key `{0}` was already used with a different request body")]
    IdempotencyKeyReused(String),
    /// A conditional write arrived without `If-Match`.
    #[error("this write requires an If-Match header carrying the record's current ETag")]
    PreconditionRequired,
    /// `If-Match` names none of the record's current ETag.
    #[error("If-Match {sent} does not match the record's current ETag {current}")]
    PreconditionFailed {
        /// The `If-Match` value as sent.
        sent: String,
        /// The record's current ETag.
        current: String,
    },
    /// The write conflicts with the stored records (a duplicate natural key,
    /// a quantity that would turn negative).
    #[error("{0}")]
    Conflict(String),
    /// An operation that is not idempotent by nature arrived without a key.
    #[error("this operation requires an Idempotency-Key header")]
    IdempotencyKeyRequired,
    /// The record's state does not allow the requested action.
    #[error("{action} is not allowed while {field} is `{state}`")]
    TransitionNotAllowed {
        /// What was attempted, e.g. `cancellation`.
        action: String,
        /// The state field the action reads.
        field: String,
        /// The record's current state.
        state: String,
    },
}

impl Error {
    /// The HTTP status this error is answered with.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::InvalidQuery { .. } | Self::InvalidBody(_) | Self::IdempotencyKeyRequired => {
                StatusCode::BAD_REQUEST
            }
            Self::IdempotencyKeyReused(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::PreconditionRequired => StatusCode::PRECONDITION_REQUIRED,
            Self::PreconditionFailed { .. } => StatusCode::PRECONDITION_FAILED,
            Self::Conflict(_) | Self::TransitionNotAllowed { .. } => StatusCode::CONFLICT,
        }
    }

    /// The stable slug of the problem `type` URI for this kind of error.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::NotFound(_) => "not-found",
            Self::InvalidQuery { .. } => "invalid-query",
            Self::InvalidBody(_) => "invalid-body",
            Self::IdempotencyKeyReused(_) => "idempotency-key-reused",
            Self::PreconditionRequired => "precondition-required",
            Self::PreconditionFailed { .. } => "precondition-failed",
            Self::Conflict(_) => "conflict",
            Self::IdempotencyKeyRequired => "idempotency-key-required",
            Self::TransitionNotAllowed { .. } => "transition-not-allowed",
        }
    }
}
