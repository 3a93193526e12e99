//! Rules on Server objects (the document's, each path item's and each
//! operation's): variables, trailing slashes, example.com.

use std::collections::BTreeSet;

use serde_json::Value;

use super::{Context, Hit};
use crate::pointer;

/// Every Server object with its pointer.
fn servers<'a>(cx: &Context<'a>) -> Vec<(String, &'a Value)> {
    let mut lists = cx.path_item_lists("servers");
    if let Some(root) = cx.document.get("servers").and_then(Value::as_array) {
        lists.insert(0, ("/servers".to_owned(), root));
    }
    let mut found = Vec::new();
    for (list_at, list) in lists {
        for (index, server) in list.iter().enumerate() {
            found.push((pointer::index(&list_at, index), server));
        }
    }
    found
}

fn url(server: &Value) -> Option<&str> {
    server.get("url").and_then(Value::as_str)
}

/// The `{name}`s of a server URL template.
fn url_variables(url: &str) -> Vec<&str> {
    let mut names = Vec::new();
    let mut rest = url;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else { break };
        names.push(&after[..close]);
        rest = &after[close + 1..];
    }
    names
}

pub(super) fn variables(cx: &Context<'_>) -> Vec<Hit> {
    let mut hits = Vec::new();
    for (at, server) in servers(cx) {
        let Some(url) = url(server) else { continue };
        let used: BTreeSet<&str> = url_variables(url).into_iter().collect();
        let variables_at = pointer::child(&at, "variables");
        let defined = server.get("variables").and_then(Value::as_object);
        let is_defined = |name: &str| defined.is_some_and(|defined| defined.contains_key(name));
        let missing: Vec<&str> = used
            .iter()
            .copied()
            .filter(|name| !is_defined(name))
            .collect();
        if !missing.is_empty() {
            let message = format!(
                "server URL `{url}` uses variables that are not defined in `variables`: {}",
                missing.join(", ")
            );
            hits.push(Hit::new(at.clone(), message));
        }
        for (name, variable) in defined.into_iter().flatten() {
            let variable_at = pointer::child(&variables_at, name);
            if !used.contains(name.as_str()) {
                let message = format!("server variable `{name}` is not used in the URL `{url}`");
                hits.push(Hit::new(variable_at.clone(), message));
            }
            let default = variable.get("default").and_then(Value::as_str);
            let allowed = variable.get("enum").and_then(Value::as_array);
            if let (Some(default), Some(allowed)) = (default, allowed)
                && !allowed.iter().any(|value| value.as_str() == Some(default))
            {
                let message = format!(
                    "the default `{default}` of server variable `{name}` is not one of its enum values"
                );
                hits.push(Hit::new(pointer::child(&variable_at, "default"), message));
            }
        }
    }
    hits
}

pub(super) fn no_trailing_slash(cx: &Context<'_>) -> Vec<Hit> {
    servers(cx)
        .into_iter()
        .filter_map(|(at, server)| {
            let url = url(server)?;
            (url.len() > 1 && url.ends_with('/')).then(|| {
                Hit::new(
                    pointer::child(&at, "url"),
                    format!("server URL `{url}` ends with a slash"),
                )
            })
        })
        .collect()
}

pub(super) fn not_example(cx: &Context<'_>) -> Vec<Hit> {
    servers(cx)
        .into_iter()
        .filter_map(|(at, server)| {
            let url = url(server)?;
            url.contains("example.com").then(|| {
                Hit::new(
                    pointer::child(&at, "url"),
                    format!("server URL `{url}` points at example.com"),
                )
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::lint::tests::{clean_with, hits};

    #[test]
    fn not_example() {
        let text = clean_with(
            "tags:\n",
            "servers:\n  - url: https://api.example.com/v1\n  - url: https://api.retail.test\ntags:\n",
        );
        assert_eq!(
            hits(&text, "oas3-server-not-example.com")[0].0,
            "/servers/0/url"
        );
        assert_eq!(hits(&text, "oas3-server-not-example.com").len(), 1);
    }

    #[test]
    fn variables() {
        let text = clean_with(
            "tags:\n",
            "servers:\n  - url: 'https://{region}.retail.test/{base}'\n    variables:\n      region: {default: eu, enum: [us, asia]}\n      spare: {default: x}\ntags:\n",
        );
        let found = hits(&text, "oas3-server-variables");
        let pointers: Vec<&str> = found.iter().map(|(at, _)| at.as_str()).collect();
        assert_eq!(
            pointers,
            [
                "/servers/0",
                "/servers/0/variables/region/default",
                "/servers/0/variables/spare"
            ],
            "{found:?}"
        );
        assert!(found[0].1.contains("base"));
        let text = clean_with(
            "tags:\n",
            "servers:\n  - url: 'https://{region}.retail.test'\n    variables:\n      region: {default: eu, enum: [eu, us]}\ntags:\n",
        );
        assert!(hits(&text, "oas3-server-variables").is_empty());
    }

    #[test]
    fn trailing_slash() {
        let text = clean_with(
            "    get:\n      operationId: getOrder\n",
            "    get:\n      servers: [{url: 'https://orders.retail.test/'}, {url: /}]\n      operationId: getOrder\n",
        );
        assert_eq!(
            hits(&text, "oas3-server-trailing-slash")
                .into_iter()
                .map(|(at, _)| at)
                .collect::<Vec<_>>(),
            ["/paths/~1orders~1{orderId}/get/servers/0/url"]
        );
    }
}
