//! Locates the deepest node of a document that does not have the shape
//! OpenAPI 3.0 requires.
//!
//! `openapiv3` flattens extensions into nearly every object, which makes
//! serde lose track of where inside an object decoding failed. So when the
//! whole document does not decode, each child node is decoded on its own
//! with its `openapiv3` type, descending into the first one that fails; the
//! deepest failing node and its error are reported.

use openapiv3::ReferenceOr;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::pointer;

/// The OpenAPI object types looked into.
#[derive(Debug, Clone, Copy)]
enum Node {
    Root,
    Info,
    Server,
    Tag,
    PathItem,
    Operation,
    Parameter,
    RequestBody,
    Response,
    MediaType,
    Header,
    Schema,
    SecurityScheme,
    Example,
    Link,
}

/// Where the children of each node are: `key` is one child, `key/*` every
/// entry of a map or sequence (extensions `x-...` excepted).
fn children(node: Node) -> &'static [(&'static str, Node)] {
    use Node::*;
    match node {
        Root => &[
            ("info", Info),
            ("servers/*", Server),
            ("tags/*", Tag),
            ("paths/*", PathItem),
            ("components/schemas/*", Schema),
            ("components/responses/*", Response),
            ("components/parameters/*", Parameter),
            ("components/examples/*", Example),
            ("components/requestBodies/*", RequestBody),
            ("components/headers/*", Header),
            ("components/securitySchemes/*", SecurityScheme),
            ("components/links/*", Link),
        ],
        PathItem => &[
            ("get", Operation),
            ("put", Operation),
            ("post", Operation),
            ("delete", Operation),
            ("options", Operation),
            ("head", Operation),
            ("patch", Operation),
            ("trace", Operation),
            ("servers/*", Server),
            ("parameters/*", Parameter),
        ],
        Operation => &[
            ("parameters/*", Parameter),
            ("requestBody", RequestBody),
            ("responses/*", Response),
            ("servers/*", Server),
        ],
        Parameter | Header => &[
            ("schema", Schema),
            ("content/*", MediaType),
            ("examples/*", Example),
        ],
        RequestBody => &[("content/*", MediaType)],
        Response => &[
            ("headers/*", Header),
            ("content/*", MediaType),
            ("links/*", Link),
        ],
        MediaType => &[("schema", Schema), ("examples/*", Example)],
        Schema => &[
            ("properties/*", Schema),
            ("items", Schema),
            ("allOf/*", Schema),
            ("anyOf/*", Schema),
            ("oneOf/*", Schema),
            ("not", Schema),
        ],
        Info | Server | Tag | SecurityScheme | Example | Link => &[],
    }
}

fn decode<T: DeserializeOwned>(value: &Value) -> Result<(), String> {
    T::deserialize(value)
        .map(drop)
        .map_err(|error| error.to_string())
}

fn check(node: Node, value: &Value) -> Result<(), String> {
    use openapiv3 as o;
    match node {
        Node::Root => decode::<o::OpenAPI>(value),
        Node::Info => decode::<o::Info>(value),
        Node::Server => decode::<o::Server>(value),
        Node::Tag => decode::<o::Tag>(value),
        Node::PathItem => decode::<ReferenceOr<o::PathItem>>(value),
        Node::Operation => decode::<o::Operation>(value),
        Node::Parameter => decode::<ReferenceOr<o::Parameter>>(value),
        Node::RequestBody => decode::<ReferenceOr<o::RequestBody>>(value),
        Node::Response => decode::<ReferenceOr<o::Response>>(value),
        Node::MediaType => decode::<o::MediaType>(value),
        Node::Header => decode::<ReferenceOr<o::Header>>(value),
        Node::Schema => decode::<ReferenceOr<o::Schema>>(value),
        Node::SecurityScheme => decode::<ReferenceOr<o::SecurityScheme>>(value),
        Node::Example => decode::<ReferenceOr<o::Example>>(value),
        Node::Link => decode::<ReferenceOr<o::Link>>(value),
    }
}

/// The pointer and error of the deepest node that does not decode, or
/// `None` when the document is a valid OpenAPI 3.0 document.
pub(crate) fn locate(document: &Value) -> Option<(String, String)> {
    locate_in(Node::Root, document, String::new())
}

fn locate_in(node: Node, value: &Value, at: String) -> Option<(String, String)> {
    let error = check(node, value).err()?;
    for (pattern, child) in children(node) {
        for (child_at, child_value) in expand(value, &at, pattern) {
            if let Some(found) = locate_in(*child, child_value, child_at) {
                return Some(found);
            }
        }
    }
    Some((at, error))
}

/// The nodes `pattern` names below `value` (at `at`), with their pointers.
fn expand<'a>(value: &'a Value, at: &str, pattern: &str) -> Vec<(String, &'a Value)> {
    let mut nodes = vec![(at.to_owned(), value)];
    for segment in pattern.split('/') {
        nodes = nodes
            .into_iter()
            .flat_map(|(at, value)| -> Vec<(String, &'a Value)> {
                match (segment, value) {
                    ("*", Value::Object(map)) => map
                        .iter()
                        .filter(|(key, _)| !key.starts_with("x-"))
                        .map(|(key, child)| (pointer::child(&at, key), child))
                        .collect(),
                    ("*", Value::Array(items)) => items
                        .iter()
                        .enumerate()
                        .map(|(index, child)| (pointer::index(&at, index), child))
                        .collect(),
                    (key, Value::Object(map)) => map
                        .get(key)
                        .map(|child| (pointer::child(&at, key), child))
                        .into_iter()
                        .collect(),
                    _ => Vec::new(),
                }
            })
            .collect();
    }
    nodes
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn document(paths: Value) -> Value {
        json!({"openapi": "3.0.3", "info": {"title": "T", "version": "1.0.0"}, "paths": paths})
    }

    #[test]
    fn a_valid_document_has_no_location() {
        assert_eq!(locate(&document(json!({"x-note": 1}))), None);
    }

    #[test]
    fn finds_the_deepest_failing_node() {
        let paths = json!({"/a": {"get": {"responses": {"200": {
            "description": "ok",
            "content": {"application/json": {"schema": {"type": "object", "properties": {"n": {"type": "integer", "minimum": "x"}}}}}
        }}}}});
        let (at, message) = locate(&document(paths)).expect("invalid");
        assert_eq!(
            at,
            "/paths/~1a/get/responses/200/content/application~1json/schema/properties/n"
        );
        assert!(message.contains("invalid type"), "{message}");
    }

    #[test]
    fn reports_missing_fields_on_their_object() {
        let (at, message) = locate(&json!({"openapi": "3.0.3", "paths": {}})).expect("invalid");
        assert_eq!(at, "");
        assert!(message.contains("info"), "{message}");
        let (at, _) = locate(&document(
            json!({"/a": {"get": {"responses": {"200": {}}}}}),
        ))
        .expect("invalid");
        assert_eq!(at, "/paths/~1a/get/responses/200");
    }
}
