//! JSON pointer (RFC 6901) helpers: escaping segments, building child
//! pointers, turning local `$ref` fragments into pointers, and resolving
//! pointers without allocating.

use std::borrow::Cow;

use serde_json::Value;

/// The node at `pointer` in `document`, like `Value::pointer` but without
/// allocating for tokens that need no unescaping.
pub fn resolve<'a>(document: &'a Value, pointer: &str) -> Option<&'a Value> {
    if pointer.is_empty() {
        return Some(document);
    }
    let mut tokens = pointer.strip_prefix('/')?.split('/');
    tokens.try_fold(document, |node, token| {
        let token = if token.contains('~') {
            Cow::Owned(unescape(token))
        } else {
            Cow::Borrowed(token)
        };
        match node {
            Value::Object(map) => map.get(token.as_ref()),
            Value::Array(items) => {
                let valid = token == "0" || !token.starts_with(['0', '+']);
                items.get(token.parse::<usize>().ok().filter(|_| valid)?)
            }
            _ => None,
        }
    })
}

/// Undoes [`escape`] on one reference token: `~1` becomes `/`, `~0` becomes `~`.
fn unescape(token: &str) -> String {
    let mut out = String::with_capacity(token.len());
    let mut chars = token.chars();
    while let Some(c) = chars.next() {
        match (c, chars.clone().next()) {
            ('~', Some('1')) => {
                out.push('/');
                chars.next();
            }
            ('~', Some('0')) => {
                out.push('~');
                chars.next();
            }
            _ => out.push(c),
        }
    }
    out
}

/// Escapes one reference token: `~` becomes `~0`, `/` becomes `~1`.
pub fn escape(segment: &str) -> Cow<'_, str> {
    if segment.contains(['~', '/']) {
        Cow::Owned(segment.replace('~', "~0").replace('/', "~1"))
    } else {
        Cow::Borrowed(segment)
    }
}

/// Returns the pointer of the child `segment` of `parent`.
pub fn child(parent: &str, segment: &str) -> String {
    let segment = escape(segment);
    let mut pointer = String::with_capacity(parent.len() + 1 + segment.len());
    pointer.push_str(parent);
    pointer.push('/');
    pointer.push_str(&segment);
    pointer
}

/// Returns the pointer of the array element `index` of `parent`.
pub fn index(parent: &str, index: usize) -> String {
    format!("{parent}/{index}")
}

/// Returns the parent of `pointer`, or `None` for the root pointer.
pub fn parent(pointer: &str) -> Option<&str> {
    pointer.rfind('/').map(|at| &pointer[..at])
}

/// Tells whether `pointer` is a well-formed, non-root JSON pointer
/// (starts with `/`, every `~` is followed by `0` or `1`).
pub fn is_valid(pointer: &str) -> bool {
    let bytes = pointer.as_bytes();
    bytes.first() == Some(&b'/')
        && bytes
            .iter()
            .enumerate()
            .all(|(at, &b)| b != b'~' || matches!(bytes.get(at + 1), Some(b'0' | b'1')))
}

/// Formats a pointer for messages: the root pointer reads `(root)`.
pub fn display(pointer: &str) -> &str {
    if pointer.is_empty() {
        "(root)"
    } else {
        pointer
    }
}

/// Why a `$ref` cannot be turned into a pointer into the same document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefError {
    /// The reference names another document.
    External,
    /// The fragment is not a JSON pointer (or its percent-encoding is broken).
    Malformed,
}

/// Turns a local reference such as `#/components/schemas/Order` into the
/// JSON pointer `/components/schemas/Order`, undoing URI percent-encoding.
pub fn from_ref(reference: &str) -> Result<String, RefError> {
    let fragment = reference.strip_prefix('#').ok_or(RefError::External)?;
    let decoded = percent_decode(fragment).ok_or(RefError::Malformed)?;
    if decoded.is_empty() || is_valid(&decoded) {
        Ok(decoded)
    } else {
        Err(RefError::Malformed)
    }
}

fn percent_decode(text: &str) -> Option<String> {
    if !text.contains('%') {
        return Some(text.to_owned());
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while let Some(&b) = bytes.get(at) {
        if b == b'%' {
            let hex = bytes.get(at + 1..at + 3)?;
            let hex = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            at += 3;
        } else {
            out.push(b);
            at += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_slashes_and_tildes() {
        assert_eq!(escape("/orders/{orderId}"), "~1orders~1{orderId}");
        assert_eq!(escape("a~b"), "a~0b");
        assert_eq!(child("/paths", "/orders"), "/paths/~1orders");
        assert_eq!(index("/tags", 2), "/tags/2");
        assert_eq!(parent("/paths/~1orders"), Some("/paths"));
        assert_eq!(parent("/paths"), Some(""));
        assert_eq!(parent(""), None);
    }

    #[test]
    fn resolves_like_serde_json() {
        let document = serde_json::json!({"a/b": {"c~d": [1, {"e": 2}]}, "": 3});
        for at in [
            "",
            "/a~1b",
            "/a~1b/c~0d",
            "/a~1b/c~0d/1/e",
            "/a~01b",
            "/a~1b/c~0d/01",
            "/a~1b/c~0d/+1",
            "/a~1b/c~0d/9",
            "/",
            "/x/y",
            "no-slash",
        ] {
            assert_eq!(resolve(&document, at), document.pointer(at), "{at}");
        }
    }

    #[test]
    fn validates_pointers() {
        assert!(is_valid("/a/b~0c/~1"));
        assert!(!is_valid("a/b"));
        assert!(!is_valid("/a~2"));
        assert!(!is_valid("/a~"));
        assert!(!is_valid(""));
    }

    #[test]
    fn converts_local_refs() {
        assert_eq!(
            from_ref("#/components/schemas/Order").as_deref(),
            Ok("/components/schemas/Order")
        );
        assert_eq!(
            from_ref("#/paths/~1orders~1%7BorderId%7D").as_deref(),
            Ok("/paths/~1orders~1{orderId}")
        );
        assert_eq!(from_ref("#").as_deref(), Ok(""));
        assert_eq!(from_ref("other.yaml#/a"), Err(RefError::External));
        assert_eq!(from_ref("#Order"), Err(RefError::Malformed));
        assert_eq!(from_ref("#/a%zz"), Err(RefError::Malformed));
        assert_eq!(from_ref("#/a%4"), Err(RefError::Malformed));
    }
}
