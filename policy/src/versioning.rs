//! Version resolution: which operation a request means, given its path and `Api-Version`.
//!
//! The path's major (`/inventory/v2/...`) is canonical and wins. An unversioned path
//! (`/inventory/stock-levels`) takes the major from the `Api-Version` header (`2` or `v2`), else
//! the API's default version, else it is refused with 400. A version the API does not have is a
//! 404 that lists the versions that exist. The versioned route tree answers the common case in
//! one lookup; the rest only runs when that lookup misses.

use http::Method;

use crate::routing::{OperationIndex, RouteMatch};
use crate::snapshot::{Api, Snapshot};

/// The outcome of resolving a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution<'a> {
    /// An operation; `prefix_len` is the length of the request path's API prefix.
    Found {
        /// The operation.
        operation: OperationIndex,
        /// Length of `{base_path}/v{major}` or, for an unversioned request, `{base_path}`.
        prefix_len: usize,
    },
    /// The path exists for other methods.
    MethodNotAllowed {
        /// Value for `Allow`.
        allow: &'a str,
    },
    /// No operation has this path.
    NotFound,
    /// The API exists but not in the requested version.
    UnknownVersion {
        /// The API.
        api: &'a Api,
        /// The version asked for, as the client wrote it.
        requested: String,
    },
    /// An unversioned request to an API that has no default version.
    VersionRequired {
        /// The API.
        api: &'a Api,
    },
    /// `Api-Version` is not a version.
    InvalidVersionHeader {
        /// The API.
        api: &'a Api,
    },
}

/// Resolves `method path` with the request's `Api-Version` header value, if any.
pub fn resolve<'a>(
    snapshot: &'a Snapshot,
    method: &Method,
    path: &str,
    api_version: Option<&[u8]>,
) -> Resolution<'a> {
    match snapshot.router.lookup(method, path) {
        RouteMatch::Found(operation) => {
            let prefix_len = snapshot.operation(operation).canonical_prefix_len;
            return Resolution::Found {
                operation,
                prefix_len,
            };
        }
        RouteMatch::MethodNotAllowed { allow } => return Resolution::MethodNotAllowed { allow },
        RouteMatch::NotFound => {}
    }
    let Some(api) = api_for_path(snapshot, path) else {
        return Resolution::NotFound;
    };
    let rest = &path[api.base_path.len()..];
    if let Some(major) = path_major(rest) {
        return match api.version(major) {
            Some(_) => Resolution::NotFound,
            None => Resolution::UnknownVersion {
                api,
                requested: format!("v{major}"),
            },
        };
    }
    let major = match api_version {
        Some(value) => match parse_version(value) {
            Some(major) => major,
            None => return Resolution::InvalidVersionHeader { api },
        },
        None => match api.default_major {
            Some(major) => major,
            None => return Resolution::VersionRequired { api },
        },
    };
    if api.version(major).is_none() {
        return Resolution::UnknownVersion {
            api,
            requested: format!("v{major}"),
        };
    }
    let versioned = format!("{}/v{major}{rest}", api.base_path);
    match snapshot.router.lookup(method, &versioned) {
        RouteMatch::Found(operation) => Resolution::Found {
            operation,
            prefix_len: api.base_path.len(),
        },
        RouteMatch::MethodNotAllowed { allow } => Resolution::MethodNotAllowed { allow },
        RouteMatch::NotFound => Resolution::NotFound,
    }
}

/// The API whose base path is the longest segment-aligned prefix of `path`.
fn api_for_path<'a>(snapshot: &'a Snapshot, path: &str) -> Option<&'a Api> {
    snapshot
        .apis
        .iter()
        .filter(|api| {
            path.strip_prefix(api.base_path.as_str())
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        })
        .max_by_key(|api| api.base_path.len())
}

/// `Some(major)` when `rest` starts with a `/v{digits}` segment.
fn path_major(rest: &str) -> Option<u64> {
    let segment = rest.strip_prefix("/v")?;
    let end = segment.find('/').unwrap_or(segment.len());
    let digits = &segment[..end];
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// `2` or `v2` (surrounding whitespace allowed).
fn parse_version(value: &[u8]) -> Option<u64> {
    let text = std::str::from_utf8(value).ok()?.trim();
    let digits = text.strip_prefix('v').unwrap_or(text);
    if digits.is_empty() || digits.len() > 9 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_majors_and_header_versions_parse() {
        assert_eq!(path_major("/v2/stock-levels"), Some(2));
        assert_eq!(path_major("/v10"), Some(10));
        assert_eq!(path_major("/vx/stock-levels"), None);
        assert_eq!(path_major("/stock-levels"), None);
        assert_eq!(parse_version(b"2"), Some(2));
        assert_eq!(parse_version(b" v3 "), Some(3));
        for bad in [&b""[..], b"v", b"two", b"2.1", b"9999999999", b"\xff"] {
            assert_eq!(parse_version(bad), None);
        }
    }
}
