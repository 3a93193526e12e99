//! Route matching: method + request path -> operation, on a radix tree built at compile time.
//!
//! Every served operation is inserted as `{base_path}/v{major}{contract path}` into one
//! `matchit` tree whose leaves hold a small per-method table, so a lookup is one tree walk and
//! one array index; the `Allow` value for 405 answers is prepared when the tree is built.

use http::Method;

/// Index of an operation in [`crate::Snapshot::operations`].
pub type OperationIndex = u32;

const METHODS: [Method; 8] = [
    Method::GET,
    Method::PUT,
    Method::POST,
    Method::DELETE,
    Method::OPTIONS,
    Method::HEAD,
    Method::PATCH,
    Method::TRACE,
];

fn method_slot(method: &Method) -> Option<usize> {
    // Compare the common methods by identity first: `Method` equality on standard methods is cheap.
    METHODS.iter().position(|m| m == method)
}

/// The outcome of matching a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteMatch<'a> {
    /// The path and method name an operation.
    Found(OperationIndex),
    /// The path exists, but not for this method; `allow` lists the methods that do.
    MethodNotAllowed {
        /// Value for the `Allow` header.
        allow: &'a str,
    },
    /// No operation has this path.
    NotFound,
}

/// Operations of one path template, by method.
#[derive(Debug, Clone, Default)]
struct MethodTable {
    by_method: [Option<OperationIndex>; METHODS.len()],
    allow: String,
}

/// A route that could not be added to the tree.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RouteError {
    /// The same method and path template were already taken.
    #[error("{method} {template} is already served by another operation")]
    Duplicate {
        /// The method.
        method: Method,
        /// The full path template.
        template: String,
        /// The operation that holds it.
        holder: OperationIndex,
    },
    /// The method cannot be routed.
    #[error("method {0} cannot be routed")]
    UnsupportedMethod(Method),
    /// The template clashes with another one in a way the tree cannot tell apart.
    #[error("{template} conflicts with another route: {message}")]
    Conflict {
        /// The full path template.
        template: String,
        /// The tree's explanation.
        message: String,
    },
}

/// Collects routes, then freezes them into a [`Router`].
#[derive(Debug, Default)]
pub struct RouterBuilder {
    templates: indexmap::IndexMap<String, MethodTable>,
}

impl RouterBuilder {
    /// Adds `method template` for `operation`.
    pub fn add(
        &mut self,
        method: &Method,
        template: &str,
        operation: OperationIndex,
    ) -> Result<(), RouteError> {
        let slot =
            method_slot(method).ok_or_else(|| RouteError::UnsupportedMethod(method.clone()))?;
        let table = self.templates.entry(template.to_owned()).or_default();
        if let Some(holder) = table.by_method[slot] {
            return Err(RouteError::Duplicate {
                method: method.clone(),
                template: template.to_owned(),
                holder,
            });
        }
        table.by_method[slot] = Some(operation);
        Ok(())
    }

    /// Builds the tree; every template that clashes with an earlier one is reported.
    pub fn build(self) -> (Router, Vec<RouteError>) {
        let mut tree = matchit::Router::new();
        let mut errors = Vec::new();
        for (template, mut table) in self.templates {
            let get = method_slot(&Method::GET).unwrap_or_default();
            let head = method_slot(&Method::HEAD).unwrap_or_default();
            if table.by_method[head].is_none() {
                table.by_method[head] = table.by_method[get];
            }
            table.allow = METHODS
                .iter()
                .zip(table.by_method.iter())
                .filter(|(_, op)| op.is_some())
                .map(|(method, _)| method.as_str())
                .collect::<Vec<_>>()
                .join(", ");
            if let Err(error) = tree.insert(template.as_str(), table) {
                errors.push(RouteError::Conflict {
                    template,
                    message: error.to_string(),
                });
            }
        }
        (Router { tree }, errors)
    }
}

/// The frozen route tree of a snapshot.
#[derive(Debug, Clone)]
pub struct Router {
    tree: matchit::Router<MethodTable>,
}

impl Router {
    /// Matches a request path (no query) and method.
    pub fn lookup(&self, method: &Method, path: &str) -> RouteMatch<'_> {
        let Ok(matched) = self.tree.at(path) else {
            return RouteMatch::NotFound;
        };
        let table = matched.value;
        match method_slot(method).and_then(|slot| table.by_method[slot]) {
            Some(operation) => RouteMatch::Found(operation),
            None => RouteMatch::MethodNotAllowed {
                allow: &table.allow,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn router(routes: &[(Method, &str)]) -> Router {
        let mut builder = RouterBuilder::default();
        for (index, (method, template)) in routes.iter().enumerate() {
            builder
                .add(method, template, index as OperationIndex)
                .unwrap();
        }
        let (router, errors) = builder.build();
        assert!(errors.is_empty(), "{errors:?}");
        router
    }

    #[test]
    fn matches_static_and_templated_paths_by_method() {
        let router = router(&[
            (Method::GET, "/inventory/v1/stock-levels"),
            (Method::POST, "/inventory/v1/stock-levels"),
            (Method::GET, "/inventory/v1/stock-levels/{stockLevelId}"),
            (Method::PATCH, "/inventory/v1/stock-levels/{stockLevelId}"),
        ]);
        assert_eq!(
            router.lookup(&Method::GET, "/inventory/v1/stock-levels"),
            RouteMatch::Found(0)
        );
        assert_eq!(
            router.lookup(&Method::POST, "/inventory/v1/stock-levels"),
            RouteMatch::Found(1)
        );
        assert_eq!(
            router.lookup(&Method::PATCH, "/inventory/v1/stock-levels/SKU-1@STORE-7"),
            RouteMatch::Found(3)
        );
    }

    #[test]
    fn head_follows_get_and_wrong_method_lists_allow() {
        let router = router(&[
            (Method::GET, "/order/v1/orders/{orderId}"),
            (Method::PATCH, "/order/v1/orders/{orderId}"),
        ]);
        assert_eq!(
            router.lookup(&Method::HEAD, "/order/v1/orders/1"),
            RouteMatch::Found(0)
        );
        assert_eq!(
            router.lookup(&Method::DELETE, "/order/v1/orders/1"),
            RouteMatch::MethodNotAllowed {
                allow: "GET, HEAD, PATCH"
            }
        );
        let custom = Method::from_bytes(b"PURGE").unwrap();
        assert!(matches!(
            router.lookup(&custom, "/order/v1/orders/1"),
            RouteMatch::MethodNotAllowed { .. }
        ));
    }

    #[test]
    fn unknown_paths_trailing_slashes_and_prefixes_are_not_found() {
        let router = router(&[(Method::GET, "/order/v1/orders/{orderId}")]);
        for path in [
            "/order/v1/orders/1/",
            "/order/v1/orders",
            "/order/v2/orders/1",
            "/",
            "",
        ] {
            assert_eq!(
                router.lookup(&Method::GET, path),
                RouteMatch::NotFound,
                "{path}"
            );
        }
    }

    #[test]
    fn duplicate_and_conflicting_templates_are_reported() {
        let mut builder = RouterBuilder::default();
        builder.add(&Method::GET, "/a/v1/x/{id}", 0).unwrap();
        assert!(matches!(
            builder.add(&Method::GET, "/a/v1/x/{id}", 1),
            Err(RouteError::Duplicate { holder: 0, .. })
        ));
        builder.add(&Method::GET, "/a/v1/x/{other}", 2).unwrap();
        let (_, errors) = builder.build();
        assert!(
            matches!(&errors[..], [RouteError::Conflict { template, .. }] if template == "/a/v1/x/{other}")
        );
    }
}
