//! The admin API client: a blocking HTTP client bound to one control plane and token.
//!
//! Paths are given as segments (`["consumers", id]`) and appended to `<control plane>/api/v1`,
//! each percent-encoded, so a name can never reach another resource. A 2xx answer is parsed as
//! JSON (an empty body is `null`) with its `ETag`; any other status becomes a [`Problem`]
//! (exit code 1); a control plane that cannot be reached, or that answers success with something
//! other than JSON, is unusable (exit code 2) and the message names its URL. Lists follow
//! `next_cursor` until the last page.

use std::time::Duration;

use reqwest::blocking::Client as Http;
use reqwest::header::{ACCEPT, ETAG, IF_MATCH};
use reqwest::{Method, StatusCode, Url};
use serde_json::Value;

use super::{Failure, Problem, Remote};

/// Items asked for per page of a list (the most the admin API allows).
const PAGE_SIZE: &str = "500";

/// A successful answer.
#[derive(Debug)]
pub(super) struct Reply {
    /// The `ETag` header, when there is one.
    pub etag: Option<String>,
    /// The JSON body; `null` when there is none.
    pub body: Value,
}

/// A client of one control plane's admin API.
#[derive(Debug)]
pub(super) struct Client {
    http: Http,
    base: Url,
    token: Option<String>,
}

impl Client {
    /// A client of the control plane `remote` names; unusable when its URL is not an http(s)
    /// URL.
    pub(super) fn new(remote: &Remote) -> Result<Client, Failure> {
        let base = Url::parse(&remote.control_plane)
            .ok()
            .filter(|url| matches!(url.scheme(), "http" | "https") && !url.cannot_be_a_base())
            .ok_or_else(|| {
                Failure::Unusable(format!(
                    "--control-plane `{}` is not an http(s) URL such as http://127.0.0.1:9080",
                    remote.control_plane
                ))
            })?;
        let http = Http::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(120))
            .user_agent(concat!("canongate/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|error| {
                Failure::Unusable(format!("cannot set up an HTTP client: {}", chain(&error)))
            })?;
        let token = remote.token.clone().filter(|token| !token.is_empty());
        Ok(Client { http, base, token })
    }

    /// `GET` a single resource.
    pub(super) fn get(&self, path: &[&str]) -> Result<Reply, Failure> {
        self.send(Method::GET, path, &[], None, None)
    }

    /// `POST` a JSON body.
    pub(super) fn post(&self, path: &[&str], body: &Value) -> Result<Reply, Failure> {
        self.send(Method::POST, path, &[], Some(body), None)
    }

    /// `PUT` a JSON body (when `if_match` is given, only over that version of the resource).
    pub(super) fn put(
        &self,
        path: &[&str],
        body: Option<&Value>,
        if_match: Option<&str>,
    ) -> Result<Reply, Failure> {
        self.send(Method::PUT, path, &[], body, if_match)
    }

    /// `DELETE` a resource.
    pub(super) fn delete(&self, path: &[&str]) -> Result<Reply, Failure> {
        self.send(Method::DELETE, path, &[], None, None)
    }

    /// Every item of a paginated list, following `next_cursor`.
    pub(super) fn list(&self, path: &[&str]) -> Result<Vec<Value>, Failure> {
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut query = vec![("limit", PAGE_SIZE.to_owned())];
            query.extend(cursor.take().map(|cursor| ("cursor", cursor)));
            let mut page = self.send(Method::GET, path, &query, None, None)?.body;
            match page.get_mut("items").map(Value::take) {
                Some(Value::Array(page_items)) => items.extend(page_items),
                _ => {
                    return Err(Failure::Unusable(format!(
                        "{}: the answer is not a list page (no `items` array)",
                        self.url(path)
                    )));
                }
            }
            match page.get_mut("next_cursor").map(Value::take) {
                Some(Value::String(next)) if !next.is_empty() => cursor = Some(next),
                _ => return Ok(items),
            }
        }
    }

    /// `<control plane>/api/v1/<path segments>`, each segment percent-encoded.
    fn url(&self, path: &[&str]) -> Url {
        let mut url = self.base.clone();
        url.set_query(None);
        url.set_fragment(None);
        // The base can be a base (checked in `new`), so the segments are always there.
        if let Ok(mut segments) = url.path_segments_mut() {
            segments.pop_if_empty().extend(["api", "v1"]).extend(path);
        }
        url
    }

    fn send(
        &self,
        method: Method,
        path: &[&str],
        query: &[(&str, String)],
        body: Option<&Value>,
        if_match: Option<&str>,
    ) -> Result<Reply, Failure> {
        let url = self.url(path);
        let mut request = self
            .http
            .request(method, url.clone())
            .header(ACCEPT, "application/json, application/problem+json");
        if !query.is_empty() {
            request = request.query(query);
        }
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        if let Some(tag) = if_match {
            request = request.header(IF_MATCH, tag);
        }
        let response = request.send().map_err(|error| {
            Failure::Unusable(format!(
                "cannot reach the control plane at {}: {}",
                self.base,
                chain(&error)
            ))
        })?;
        let status = response.status();
        let etag = response
            .headers()
            .get(ETAG)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        let bytes = response.bytes().map_err(|error| {
            Failure::Unusable(format!(
                "{url}: the answer of the control plane was cut off: {}",
                chain(&error)
            ))
        })?;
        if !status.is_success() {
            let mut problem = Problem::from_answer(status, &bytes);
            if status == StatusCode::UNAUTHORIZED && self.token.is_none() {
                problem.note =
                    Some("no token was given: pass --token or set CANONGATE_TOKEN".to_owned());
            }
            return Err(Failure::Refused(problem));
        }
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).map_err(|_| {
                Failure::Unusable(format!(
                    "{url}: the answer is not JSON; is {} the control plane?",
                    self.base
                ))
            })?
        };
        Ok(Reply { etag, body })
    }
}

/// An error and its causes, `outer: inner: …` (a cause already in the text is not repeated).
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let message = cause.to_string();
        if !text.contains(&message) {
            text.push_str(": ");
            text.push_str(&message);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::admin::Output;

    fn remote(url: &str) -> Remote {
        Remote {
            control_plane: url.to_owned(),
            token: Some(String::new()),
            format: Output::Text,
        }
    }

    #[test]
    fn builds_admin_urls_with_encoded_segments() {
        let client = Client::new(&remote("http://127.0.0.1:9080")).expect("a URL");
        assert_eq!(
            client.url(&["consumers", "a/b c"]).as_str(),
            "http://127.0.0.1:9080/api/v1/consumers/a%2Fb%20c"
        );
        assert!(client.token.is_none(), "an empty token is no token");
        let behind_a_proxy =
            Client::new(&remote("https://cp.example/canongate/?x=1")).expect("a URL");
        assert_eq!(
            behind_a_proxy.url(&["apis"]).as_str(),
            "https://cp.example/canongate/api/v1/apis"
        );
    }

    #[test]
    fn refuses_urls_that_are_not_http() {
        for url in ["127.0.0.1:9080", "ftp://cp.example", "mailto:a@b", ""] {
            let Err(Failure::Unusable(message)) = Client::new(&remote(url)) else {
                panic!("{url} is not usable");
            };
            assert_eq!(
                message,
                format!(
                    "--control-plane `{url}` is not an http(s) URL such as http://127.0.0.1:9080"
                )
            );
        }
    }

    #[test]
    fn chains_error_causes() {
        #[derive(Debug)]
        struct Sending(std::io::Error);
        impl std::fmt::Display for Sending {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("error sending request")
            }
        }
        impl std::error::Error for Sending {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.0)
            }
        }
        let error = Sending(std::io::Error::other("connection refused"));
        assert_eq!(chain(&error), "error sending request: connection refused");
    }
}
