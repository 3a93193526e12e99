//! Security requirements: what a consumer must present to call an operation.
//!
//! Requirements are alternatives (any one suffices), each a set of schemes
//! (all needed) with scopes. An operation without requirements, or with an
//! empty alternative, is callable anonymously. Alternatives pair by their
//! scheme names; an unpaired old alternative pairs with a new one that has
//! more schemes (schemes added: breaking) or fewer (schemes removed:
//! harmless), else it is removed. More scopes on a pair break consumers
//! whose tokens lack them; fewer do not. A scheme used by both versions
//! whose definition changed (type, location, name, flows) breaks them too.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::{Differ, Sink};
use crate::change::Impact;
use crate::model::{Operation, SecurityRequirement};
use crate::{pointer, refs};

/// Where the effective security of `operation` is written in `document`.
fn security_at(document: &Value, operation: &Operation) -> String {
    let own = pointer::child(&operation.pointer, "security");
    if pointer::resolve(document, &own).is_some() {
        own
    } else if document.get("security").is_some() {
        "/security".to_owned()
    } else {
        operation.pointer.clone()
    }
}

fn schemes(requirement: &SecurityRequirement) -> BTreeSet<&str> {
    requirement.schemes.keys().map(String::as_str).collect()
}

/// Compares the security of two versions of an operation.
pub(super) fn compare(differ: &mut Differ<'_>, old: &Operation, new: &Operation, sink: &mut Sink) {
    let at = (security_at(differ.old, old), security_at(differ.new, new));
    let at = (Some(at.0.as_str()), Some(at.1.as_str()));
    let old_alternatives = old.security.as_deref().unwrap_or_default();
    let new_alternatives = new.security.as_deref().unwrap_or_default();
    let public = |alternatives: &[SecurityRequirement]| {
        alternatives.is_empty() || alternatives.iter().any(|r| r.schemes.is_empty())
    };
    match (public(old_alternatives), public(new_alternatives)) {
        (true, false) => {
            let message = "security was added: anonymous calls are refused".to_owned();
            sink.push(
                "security-added".into(),
                Impact::BREAKING,
                at.0,
                at.1,
                message,
            );
            return;
        }
        (false, true) => {
            let message = "security was removed: anonymous calls are accepted".to_owned();
            sink.push(
                "security-removed".into(),
                Impact::WARNING,
                at.0,
                at.1,
                message,
            );
            return;
        }
        (true, true) => return,
        (false, false) => {}
    }
    let mut new_free = vec![true; new_alternatives.len()];
    let mut unpaired = Vec::new();
    for old_requirement in old_alternatives {
        let found = new_alternatives
            .iter()
            .enumerate()
            .find(|(j, r)| new_free[*j] && schemes(r) == schemes(old_requirement));
        match found {
            Some((j, new_requirement)) => {
                new_free[j] = false;
                scopes(old_requirement, new_requirement, at, sink);
            }
            None => unpaired.push(old_requirement),
        }
    }
    for old_requirement in unpaired {
        let old_schemes = schemes(old_requirement);
        let found = new_alternatives.iter().enumerate().find(|(j, r)| {
            let new_schemes = schemes(r);
            new_free[*j]
                && (new_schemes.is_superset(&old_schemes) || new_schemes.is_subset(&old_schemes))
        });
        let Some((j, new_requirement)) = found else {
            let names = old_schemes.into_iter().collect::<Vec<_>>().join(" + ");
            let message = format!("the security alternative {names} was removed");
            sink.push(
                "security-alternative-removed".into(),
                Impact::BREAKING,
                at.0,
                at.1,
                message,
            );
            continue;
        };
        new_free[j] = false;
        let new_schemes = schemes(new_requirement);
        for added in new_schemes.difference(&old_schemes) {
            let message = format!("security scheme `{added}` is now required as well");
            sink.push(
                "security-scheme-added".into(),
                Impact::BREAKING,
                at.0,
                at.1,
                message,
            );
        }
        for removed in old_schemes.difference(&new_schemes) {
            let message = format!("security scheme `{removed}` is no longer required");
            sink.push(
                "security-scheme-removed".into(),
                Impact::ADDITION,
                at.0,
                at.1,
                message,
            );
        }
        scopes(old_requirement, new_requirement, at, sink);
    }
    for (j, new_requirement) in new_alternatives.iter().enumerate() {
        if new_free[j] {
            let names = schemes(new_requirement)
                .into_iter()
                .collect::<Vec<_>>()
                .join(" + ");
            let message = format!("the security alternative {names} was added");
            sink.push(
                "security-alternative-added".into(),
                Impact::ADDITION,
                at.0,
                at.1,
                message,
            );
        }
    }
    definitions(differ, old_alternatives, new_alternatives, sink);
}

/// Compares the scopes of the schemes both requirements name.
fn scopes(
    old: &SecurityRequirement,
    new: &SecurityRequirement,
    at: (Option<&str>, Option<&str>),
    sink: &mut Sink,
) {
    for (scheme, old_scopes) in &old.schemes {
        let Some(new_scopes) = new.schemes.get(scheme) else {
            continue;
        };
        for scope in new_scopes.iter().filter(|s| !old_scopes.contains(s)) {
            let message = format!("scope `{scope}` of `{scheme}` is now required");
            sink.push(
                "security-scope-added".into(),
                Impact::BREAKING,
                at.0,
                at.1,
                message,
            );
        }
        for scope in old_scopes.iter().filter(|s| !new_scopes.contains(s)) {
            let message = format!("scope `{scope}` of `{scheme}` is no longer required");
            sink.push(
                "security-scope-removed".into(),
                Impact::ADDITION,
                at.0,
                at.1,
                message,
            );
        }
    }
}

/// What a consumer must match in a security scheme definition.
fn definition(document: &Value, name: &str) -> Option<(String, Value)> {
    let at = pointer::child("/components/securitySchemes", name);
    let (at, scheme) = refs::follow(document, &at).ok()?;
    let text = |key: &str| scheme.get(key).and_then(Value::as_str).map(str::to_owned);
    let flows: Vec<Value> = scheme
        .get("flows")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(kind, flow)| {
            json!({
                "flow": kind,
                "authorizationUrl": flow.get("authorizationUrl"),
                "tokenUrl": flow.get("tokenUrl"),
            })
        })
        .collect();
    let shape = json!({
        "type": text("type"),
        "in": text("in"),
        "name": text("name"),
        "scheme": text("scheme").map(|scheme| scheme.to_ascii_lowercase()),
        "openIdConnectUrl": text("openIdConnectUrl"),
        "flows": flows,
    });
    Some((at, shape))
}

/// Reports schemes used by both versions whose definitions changed.
fn definitions(
    differ: &mut Differ<'_>,
    old: &[SecurityRequirement],
    new: &[SecurityRequirement],
    sink: &mut Sink,
) {
    let used = |requirements: &[SecurityRequirement]| -> BTreeSet<String> {
        requirements
            .iter()
            .flat_map(|r| r.schemes.keys().cloned())
            .collect()
    };
    let (old_used, new_used) = (used(old), used(new));
    for name in old_used.intersection(&new_used) {
        let at = pointer::child("/components/securitySchemes", name);
        if differ.schemas.same(&at, &at) {
            continue;
        }
        let (Some((old_at, old_shape)), Some((new_at, new_shape))) =
            (definition(differ.old, name), definition(differ.new, name))
        else {
            continue;
        };
        if old_shape != new_shape {
            sink.push(
                "security-scheme-changed".into(),
                Impact::BREAKING,
                Some(&old_at),
                Some(&new_at),
                format!("the definition of security scheme `{name}` changed: existing credentials may no longer work"),
            );
        }
    }
}
