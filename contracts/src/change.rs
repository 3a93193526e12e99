//! One difference between two versions of a contract, as [`crate::diff`]
//! reports it.
//!
//! Every change has a stable kebab-case id naming what changed and, for
//! schema changes, where: `request-parameter-…`, `request-body-…` (the body
//! schema itself), `request-property-…` (anything inside it),
//! `response-body-…`, `response-property-…`, `response-header-…`. Its level
//! says what it means for existing consumers and its bump what
//! [`crate::semver`] requires of the new version.

use std::fmt;

use serde::Serialize;

use crate::model::{Method, Operation};
use crate::semver::Bump;

/// What a change means for the consumers of the old version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Worth knowing; nothing breaks.
    Info,
    /// Needs attention: a governance rule is not followed, or behaviour
    /// changes without breaking the wire contract.
    Warning,
    /// Existing consumers break.
    Breaking,
}

impl Level {
    /// The lowercase name, e.g. `"breaking"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Info => "info",
            Level::Warning => "warning",
            Level::Breaking => "breaking",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The operation a change belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct OperationRef {
    /// The HTTP method.
    pub method: Method,
    /// The path template (of the new version, unless the operation was removed).
    pub path: String,
    /// The `operationId` (of the new version, unless the operation was removed).
    pub operation_id: String,
}

impl OperationRef {
    /// The reference to `operation`.
    pub fn of(operation: &Operation) -> Self {
        Self {
            method: operation.method,
            path: operation.path.clone(),
            operation_id: operation.operation_id.clone(),
        }
    }
}

impl fmt::Display for OperationRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} ({})", self.method, self.path, self.operation_id)
    }
}

/// One change between two versions of a contract.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// Stable kebab-case id, e.g. `request-parameter-became-required`.
    pub id: String,
    /// What it means for existing consumers.
    pub level: Level,
    /// The version bump it requires.
    pub bump: Bump,
    /// The operation affected.
    pub operation: OperationRef,
    /// JSON pointer of the changed node in the old document, if it is there.
    pub old_pointer: Option<String>,
    /// JSON pointer of the changed node in the new document, if it is there.
    pub new_pointer: Option<String>,
    /// One line for humans.
    pub message: String,
}

/// The level and bump of a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Impact {
    pub level: Level,
    pub bump: Bump,
}

impl Impact {
    /// Breaks existing consumers: a new major version.
    pub(crate) const BREAKING: Impact = Impact::new(Level::Breaking, Bump::Major);
    /// A governance or behaviour warning; a new minor version.
    pub(crate) const WARNING: Impact = Impact::new(Level::Warning, Bump::Minor);
    /// Backward-compatible new capability: a new minor version.
    pub(crate) const ADDITION: Impact = Impact::new(Level::Info, Bump::Minor);
    /// Nothing a consumer relies on changes: a patch.
    pub(crate) const PATCH: Impact = Impact::new(Level::Info, Bump::Patch);

    pub(crate) const fn new(level: Level, bump: Bump) -> Self {
        Self { level, bump }
    }
}
