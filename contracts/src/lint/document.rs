//! Rules on the document as a whole: info, path keys, tags,
//! markdown text, `$ref` siblings and unused components.

use std::collections::HashSet;

use serde_json::Value;

use super::{Context, Hit};
use crate::pointer;

pub(super) fn info_description(cx: &Context<'_>) -> Vec<Hit> {
    let description = pointer::resolve(cx.document, "/info/description").and_then(Value::as_str);
    if description.is_some_and(|text| !text.trim().is_empty()) {
        return Vec::new();
    }
    vec![Hit::new("/info", "info has no description")]
}

pub(super) fn info_contact(cx: &Context<'_>) -> Vec<Hit> {
    let contact = pointer::resolve(cx.document, "/info/contact");
    if contact
        .and_then(Value::as_object)
        .is_some_and(|contact| !contact.is_empty())
    {
        return Vec::new();
    }
    vec![Hit::new(
        "/info",
        "info has no contact (the owning team's name, email or URL)",
    )]
}

/// The keys of `paths` that are paths, with their pointers.
fn path_keys<'a>(cx: &Context<'a>) -> impl Iterator<Item = (&'a str, String)> {
    let paths = cx.document.get("paths").and_then(Value::as_object);
    paths
        .into_iter()
        .flat_map(|paths| paths.keys())
        .filter(|path| path.starts_with('/'))
        .map(|path| (path.as_str(), pointer::child("/paths", path)))
}

pub(super) fn no_trailing_slash(cx: &Context<'_>) -> Vec<Hit> {
    path_keys(cx)
        .filter(|(path, _)| path.len() > 1 && path.ends_with('/'))
        .map(|(path, at)| Hit::new(at, format!("path `{path}` ends with a slash")))
        .collect()
}

pub(super) fn no_query(cx: &Context<'_>) -> Vec<Hit> {
    path_keys(cx)
        .filter(|(path, _)| path.contains('?'))
        .map(|(path, at)| {
            Hit::new(
                at,
                format!("path `{path}` contains a query string; declare query parameters instead"),
            )
        })
        .collect()
}

/// `description` and `title` strings containing `needle` (ASCII case-insensitively).
fn markdown(cx: &Context<'_>, needle: &str, message: &str) -> Vec<Hit> {
    let mut hits = Vec::new();
    for (at, object) in cx.objects {
        let at = at.as_str();
        for key in ["description", "title"] {
            let Some(text) = object.get(key).and_then(Value::as_str) else {
                continue;
            };
            let found = text
                .as_bytes()
                .windows(needle.len())
                .any(|window| window.eq_ignore_ascii_case(needle.as_bytes()));
            if found {
                hits.push(Hit::new(pointer::child(at, key), message));
            }
        }
    }
    hits
}

pub(super) fn no_eval(cx: &Context<'_>) -> Vec<Hit> {
    markdown(cx, "eval(", "the text contains `eval(`")
}

pub(super) fn no_script(cx: &Context<'_>) -> Vec<Hit> {
    markdown(cx, "<script", "the text contains a `<script>` tag")
}

pub(super) fn unique_tags(cx: &Context<'_>) -> Vec<Hit> {
    let tags = cx.document.get("tags").and_then(Value::as_array);
    let mut seen = HashSet::new();
    let mut hits = Vec::new();
    for (index, tag) in tags.into_iter().flatten().enumerate() {
        let Some(name) = tag.get("name").and_then(Value::as_str) else {
            continue;
        };
        if !seen.insert(name) {
            let at = pointer::child(&pointer::index("/tags", index), "name");
            hits.push(Hit::new(
                at,
                format!("tag `{name}` is declared more than once"),
            ));
        }
    }
    hits
}

pub(super) fn no_ref_siblings(cx: &Context<'_>) -> Vec<Hit> {
    let mut hits = Vec::new();
    for (at, object) in cx.objects {
        let at = at.as_str();
        if !object.get("$ref").is_some_and(Value::is_string) {
            continue;
        }
        for key in object.keys().filter(|key| *key != "$ref") {
            let message = format!(
                "`{key}` next to $ref is ignored by OpenAPI 3.0; move it into the referenced object"
            );
            hits.push(Hit::new(pointer::child(at, key), message));
        }
    }
    hits
}

/// Sections of `components` whose entries are used through `$ref`.
const REUSABLE: &[&str] = &[
    "schemas",
    "responses",
    "parameters",
    "examples",
    "requestBodies",
    "headers",
    "links",
    "callbacks",
];

pub(super) fn unused_components(cx: &Context<'_>) -> Vec<Hit> {
    // The entries referenced: `/components/{section}/{name}` of every target.
    let mut used = HashSet::new();
    for (_, object) in cx.objects {
        let reference = object.get("$ref").and_then(Value::as_str);
        if let Some(target) = reference.and_then(|reference| pointer::from_ref(reference).ok()) {
            let entry: Vec<&str> = target.splitn(5, '/').take(4).collect();
            if entry.len() == 4 {
                used.insert(entry.join("/"));
            }
        }
    }
    let used = |at: &str| used.contains(at);
    let mut hits = Vec::new();
    for section in REUSABLE {
        let section_at = pointer::child("/components", section);
        let entries = pointer::resolve(cx.document, &section_at).and_then(Value::as_object);
        for name in entries.into_iter().flat_map(|entries| entries.keys()) {
            let at = pointer::child(&section_at, name);
            if !name.starts_with("x-") && !used(&at) {
                hits.push(Hit::new(
                    at,
                    format!("component `{name}` is never referenced"),
                ));
            }
        }
    }
    hits
}

#[cfg(test)]
mod tests {
    use crate::lint::tests::{clean_with, hits};

    #[test]
    fn info_contact() {
        let text = clean_with(
            "  contact: {name: Commerce, email: commerce@retail.test}\n",
            "",
        );
        assert_eq!(hits(&text, "info-contact")[0].0, "/info");
    }

    #[test]
    fn info_description() {
        let text = clean_with("  description: Orders of every channel.\n", "");
        assert_eq!(hits(&text, "info-description")[0].0, "/info");
    }

    #[test]
    fn path_keys() {
        let text = clean_with("  /orders:\n", "  /orders/:\n");
        assert_eq!(
            hits(&text, "path-keys-no-trailing-slash")[0].0,
            "/paths/~1orders~1"
        );
        let text = clean_with("  /orders:\n", "  /orders?all=1:\n");
        assert_eq!(
            hits(&text, "path-not-include-query")[0].0,
            "/paths/~1orders?all=1"
        );
    }

    #[test]
    fn markdown() {
        let text = clean_with(
            "Lists orders.",
            "Lists <SCRIPT>alert(1)</SCRIPT> orders; eval(x).",
        );
        assert_eq!(
            hits(&text, "no-script-tags-in-markdown")[0].0,
            "/paths/~1orders/get/description"
        );
        assert_eq!(hits(&text, "no-eval-in-markdown").len(), 1);
    }

    #[test]
    fn unique_tags() {
        let text = clean_with("  - name: Orders\n", "  - name: Orders\n  - name: Orders\n");
        assert_eq!(hits(&text, "openapi-tags-uniqueness")[0].0, "/tags/1/name");
    }

    #[test]
    fn ref_siblings() {
        let text = clean_with(
            "schema: {$ref: '#/components/schemas/Problem'}",
            "schema: {$ref: '#/components/schemas/Problem', description: x}",
        );
        assert_eq!(
            hits(&text, "no-$ref-siblings")[0].0,
            "/components/responses/Problem/content/application~1problem+json/schema/description"
        );
    }

    #[test]
    fn unused_components() {
        let text = clean_with("  schemas:\n", "  schemas:\n    Spare: {type: string}\n");
        assert_eq!(
            hits(&text, "oas3-unused-component")[0].0,
            "/components/schemas/Spare"
        );
        assert_eq!(hits(&text, "oas3-unused-component").len(), 1);
    }
}
