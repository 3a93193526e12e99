//! Canonical API contracts: loading, the normalized model and lint.
//!
//! A contract is an OpenAPI 3.0.x document (YAML or JSON) with an
//! `x-canongate` governance block naming its data domain, owner team and
//! system of record. [`load_file`] / [`load_bytes`] turn one into a
//! [`Contract`]: every operation with its references resolved and its
//! path-level parameters merged, schemas kept as written. Loading is strict
//! and exhaustive: it refuses anything the gateway could not serve
//! (Swagger 2.0, OpenAPI 3.1, external or broken `$ref`s, missing or duplicate
//! operation ids, path templates that disagree with their parameters, a
//! missing governance block) and reports every problem at once, each with a
//! JSON pointer and, when known, its line in the source.
//!
//! [`lint`] runs the same loader plus style and governance rules and returns
//! findings instead of failing.
//!
//! How: the bytes are parsed with serde_norway into `serde_json::Value`, a
//! second pass over the text maps pointers to lines, `openapiv3` checks the
//! document's shape, and the normalizer walks `paths` by pointer, decoding
//! each node it needs with the `openapiv3` types.

pub mod canonical;
mod error;
mod governance;
mod lines;
pub mod lint;
mod load;
mod model;
mod normalize;
pub mod pointer;
mod refs;
mod semver;
mod source;
mod template;
mod walk;

use std::path::Path;

pub use error::{LoadError, Problem, ProblemKind};
pub use governance::{EXTENSION as GOVERNANCE_EXTENSION, FieldOwner, Governance};
pub use model::{
    Contract, MediaType, Method, Operation, Parameter, ParameterLocation, RequestBody, Response,
    SecurityRequirement,
};

/// Loads the contract at `path`; its display form is the origin in messages.
pub fn load_file(path: &Path) -> Result<Contract, LoadError> {
    let origin = path.display().to_string();
    match std::fs::read(path) {
        Ok(bytes) => load_bytes(&origin, &bytes),
        Err(error) => Err(LoadError {
            problems: vec![Problem {
                origin,
                pointer: String::new(),
                line: None,
                kind: ProblemKind::Io {
                    message: error.to_string(),
                },
            }],
        }),
    }
}

/// Loads a contract from YAML or JSON `bytes`; `origin` labels it in messages.
pub fn load_bytes(origin: &str, bytes: &[u8]) -> Result<Contract, LoadError> {
    load::analyze(origin, bytes).into_contract()
}
