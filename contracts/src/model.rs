//! The normalized contract: what the gateway and the registry need from an
//! OpenAPI document, with references to parameters, request bodies and
//! responses resolved and path-level parameters merged into each operation.
//!
//! Schemas stay as written (JSON, local `$ref`s kept); [`Contract::document`]
//! holds the whole document for resolving them.

use std::fmt;

use indexmap::IndexMap;
use serde::Serialize;
use serde_json::Value;

use crate::governance::Governance;

/// A loaded, valid contract.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Contract {
    /// File path or label used in messages.
    pub origin: String,
    /// `info.title`.
    pub title: String,
    /// `info.version` as written.
    pub version: String,
    /// Major number of `info.version`.
    pub major: u64,
    /// The `x-canongate` governance block.
    pub governance: Governance,
    /// Every operation, in document order.
    pub operations: Vec<Operation>,
    /// The whole document as JSON.
    pub document: Value,
}

impl Contract {
    /// The operation with `operation_id`, if any.
    pub fn operation(&self, operation_id: &str) -> Option<&Operation> {
        self.operations
            .iter()
            .find(|op| op.operation_id == operation_id)
    }
}

/// HTTP methods an OpenAPI path item can describe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    /// `GET`
    Get,
    /// `PUT`
    Put,
    /// `POST`
    Post,
    /// `DELETE`
    Delete,
    /// `OPTIONS`
    Options,
    /// `HEAD`
    Head,
    /// `PATCH`
    Patch,
    /// `TRACE`
    Trace,
}

impl Method {
    /// All methods, in the order path items list them.
    pub const ALL: [Method; 8] = [
        Method::Get,
        Method::Put,
        Method::Post,
        Method::Delete,
        Method::Options,
        Method::Head,
        Method::Patch,
        Method::Trace,
    ];

    /// The method as sent on the wire, e.g. `"GET"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Put => "PUT",
            Method::Post => "POST",
            Method::Delete => "DELETE",
            Method::Options => "OPTIONS",
            Method::Head => "HEAD",
            Method::Patch => "PATCH",
            Method::Trace => "TRACE",
        }
    }

    /// The key of the operation in a path item, e.g. `"get"`.
    pub fn key(self) -> &'static str {
        match self {
            Method::Get => "get",
            Method::Put => "put",
            Method::Post => "post",
            Method::Delete => "delete",
            Method::Options => "options",
            Method::Head => "head",
            Method::Patch => "patch",
            Method::Trace => "trace",
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One operation (method + path template).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Operation {
    /// The HTTP method.
    pub method: Method,
    /// The path template as written, e.g. `/stock-levels/{stockLevelId}`.
    pub path: String,
    /// `operationId`.
    pub operation_id: String,
    /// JSON pointer of the operation object, e.g. `/paths/~1orders~1{orderId}/get`.
    pub pointer: String,
    /// `summary`.
    pub summary: Option<String>,
    /// `deprecated`.
    pub deprecated: bool,
    /// Path-item parameters merged with the operation's own (which win on the
    /// same name and location), references resolved.
    pub parameters: Vec<Parameter>,
    /// The request body, reference resolved.
    pub request_body: Option<RequestBody>,
    /// The responses in document order, references resolved.
    pub responses: Vec<Response>,
    /// Effective security: the operation's own, else the document's. `None`
    /// when neither declares any; `Some(vec![])` when explicitly public.
    pub security: Option<Vec<SecurityRequirement>>,
}

impl Operation {
    /// The parameter `name` in `location` (header names compare case-insensitively).
    pub fn parameter(&self, name: &str, location: ParameterLocation) -> Option<&Parameter> {
        self.parameters
            .iter()
            .find(|p| p.location == location && p.is_named(name))
    }
}

/// One alternative of an operation's security: every scheme listed must
/// pass (AND); the alternatives of an operation are ORed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SecurityRequirement {
    /// Security scheme name -> required scopes.
    pub schemes: IndexMap<String, Vec<String>>,
}

/// Where a parameter is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ParameterLocation {
    /// A `{variable}` of the path template.
    Path,
    /// A query-string parameter.
    Query,
    /// A request header.
    Header,
    /// A cookie.
    Cookie,
}

impl ParameterLocation {
    /// The `in` value of the parameter, e.g. `"query"`.
    pub fn as_str(self) -> &'static str {
        match self {
            ParameterLocation::Path => "path",
            ParameterLocation::Query => "query",
            ParameterLocation::Header => "header",
            ParameterLocation::Cookie => "cookie",
        }
    }
}

impl fmt::Display for ParameterLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A request parameter.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Parameter {
    /// JSON pointer of the list entry that declares it; a `$ref` there is
    /// followed to the parameter object.
    pub pointer: String,
    /// The name; for headers as written (compare case-insensitively).
    pub name: String,
    /// Where it is sent.
    pub location: ParameterLocation,
    /// `required` (always true for path parameters of a valid contract).
    pub required: bool,
    /// `deprecated`.
    pub deprecated: bool,
    /// The schema as written (may contain local `$ref`s); for a parameter
    /// described with `content`, the schema of its media type.
    pub schema: Option<Value>,
    /// `style` as written.
    pub style: Option<String>,
    /// `explode` as written.
    pub explode: Option<bool>,
}

impl Parameter {
    /// Whether the parameter is called `name` (case-insensitively for headers).
    pub fn is_named(&self, name: &str) -> bool {
        if self.location == ParameterLocation::Header {
            self.name.eq_ignore_ascii_case(name)
        } else {
            self.name == name
        }
    }
}

/// A request body.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RequestBody {
    /// JSON pointer of the operation's `requestBody` (possibly a `$ref`).
    pub pointer: String,
    /// `required`.
    pub required: bool,
    /// Media type -> content description.
    pub content: IndexMap<String, MediaType>,
}

/// The description of one media type of a body.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MediaType {
    /// JSON pointer of the media type object (references already followed).
    pub pointer: String,
    /// The schema as written (may contain local `$ref`s).
    pub schema: Option<Value>,
}

/// One response of an operation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Response {
    /// JSON pointer of the response entry of the operation (possibly a `$ref`).
    pub pointer: String,
    /// `"200"`, a range such as `"4XX"`, or `"default"`.
    pub status: String,
    /// `description`.
    pub description: String,
    /// Media type -> content description.
    pub content: IndexMap<String, MediaType>,
    /// Names of the declared response headers.
    pub headers: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_render_upper_case() {
        assert_eq!(Method::Patch.as_str(), "PATCH");
        assert_eq!(Method::Patch.key(), "patch");
        assert_eq!(
            serde_json::to_value(Method::Get).ok(),
            Some(Value::from("GET"))
        );
        assert_eq!(
            serde_json::to_value(ParameterLocation::Header).ok(),
            Some(Value::from("header"))
        );
    }

    #[test]
    fn header_names_compare_case_insensitively() {
        let header = Parameter {
            pointer: "/paths/~1orders/post/parameters/0".into(),
            name: "Idempotency-Key".into(),
            location: ParameterLocation::Header,
            required: true,
            deprecated: false,
            schema: None,
            style: None,
            explode: None,
        };
        assert!(header.is_named("idempotency-key"));
        let query = Parameter {
            location: ParameterLocation::Query,
            ..header
        };
        assert!(!query.is_named("idempotency-key"));
    }
}
