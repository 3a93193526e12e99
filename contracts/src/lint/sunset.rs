//! Canongate's deprecation rules: a deprecated operation, parameter,
//! header or property announces its removal with an `x-sunset` date, and
//! every `x-sunset` is a date on something deprecated.

use serde_json::Value;

use super::{Context, Hit};
use crate::deprecation::{Date, SUNSET};
use crate::pointer;

pub(super) fn sunset_date(cx: &Context<'_>) -> Vec<Hit> {
    let mut hits = Vec::new();
    for (at, object) in cx.objects {
        let at = at.as_str();
        let Some(value) = object.get(SUNSET) else {
            continue;
        };
        let sunset_at = pointer::child(at, SUNSET);
        if value.as_str().and_then(Date::parse).is_none() {
            let message = format!("{SUNSET} {value} is not a date (YYYY-MM-DD)");
            hits.push(Hit::new(sunset_at, message));
        } else if object.get("deprecated") != Some(&Value::Bool(true)) {
            let message = format!("{SUNSET} is set on something that is not `deprecated: true`");
            hits.push(Hit::new(sunset_at, message));
        }
    }
    hits
}

pub(super) fn deprecated_sunset(cx: &Context<'_>) -> Vec<Hit> {
    let mut hits = Vec::new();
    for (at, object) in cx.objects {
        let at = at.as_str();
        if object.get("deprecated") == Some(&Value::Bool(true)) && !object.contains_key(SUNSET) {
            let message = format!("deprecated without an {SUNSET} date announcing its removal");
            hits.push(Hit::new(at, message));
        }
    }
    hits
}

#[cfg(test)]
mod tests {
    use crate::lint::tests::{clean_with, hits};

    #[test]
    fn sunset_dates() {
        let text = clean_with(
            "      operationId: getOrder\n",
            "      operationId: getOrder\n      deprecated: true\n      x-sunset: soon\n",
        );
        assert_eq!(
            hits(&text, "canongate-sunset-date")[0].0,
            "/paths/~1orders~1{orderId}/get/x-sunset"
        );
        let text = clean_with(
            "      operationId: getOrder\n",
            "      operationId: getOrder\n      x-sunset: 2027-01-31\n",
        );
        assert!(
            hits(&text, "canongate-sunset-date")[0]
                .1
                .contains("not `deprecated: true`")
        );
        let text = clean_with(
            "      operationId: getOrder\n",
            "      operationId: getOrder\n      deprecated: true\n      x-sunset: 2027-01-31\n",
        );
        assert!(hits(&text, "canongate-sunset-date").is_empty());
        assert!(hits(&text, "canongate-deprecated-sunset").is_empty());
    }

    #[test]
    fn deprecated_without_sunset() {
        let text = clean_with(
            "status: {type: string,",
            "status: {deprecated: true, type: string,",
        );
        assert_eq!(
            hits(&text, "canongate-deprecated-sunset")[0].0,
            "/components/schemas/Order/properties/status"
        );
    }
}
