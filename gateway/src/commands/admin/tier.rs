//! `canongate tier list|show|apply|delete`: SLA tiers on the control plane, with
//! [`super::named`]'s commands and a list of rate, burst, quota, concurrency and priority.

use canongate_policy::throttle::TierConfig;
use serde_json::Value;

use super::client::Client;
use super::named::{self, Column, Kind, NamedCommand, normalized};
use super::{Done, Failure, cell};

const TIERS: Kind = Kind {
    path: "tiers",
    noun: "tier",
    columns: &[
        Column {
            header: "RATE",
            cell: rate,
        },
        Column {
            header: "BURST",
            cell: |item| cell(item.pointer("/spec/burst")),
        },
        Column {
            header: "QUOTA",
            cell: quota,
        },
        Column {
            header: "CONCURRENT",
            cell: |item| cell(item.pointer("/spec/max_concurrent")),
        },
        Column {
            header: "PRIORITY",
            cell: |item| cell(item.pointer("/spec/priority")),
        },
    ],
    normalize: normalized::<TierConfig>,
};

/// Runs `command` against the control plane.
pub(super) fn run(client: &Client, command: &NamedCommand) -> Result<Done, Failure> {
    named::run(client, &TIERS, command)
}

/// `100/1s`.
fn rate(item: &Value) -> String {
    match item.pointer("/spec/rate") {
        Some(rate) if !rate.is_null() => {
            format!("{}/{}", cell(rate.get("requests")), cell(rate.get("per")))
        }
        _ => cell(None),
    }
}

/// `1000/day,20000/month`.
fn quota(item: &Value) -> String {
    let parts: Vec<String> = [("per_day", "day"), ("per_month", "month")]
        .into_iter()
        .filter_map(|(field, period)| {
            let limit = item.pointer(&format!("/spec/quota/{field}"))?;
            (!limit.is_null()).then(|| format!("{}/{period}", cell(Some(limit))))
        })
        .collect();
    if parts.is_empty() {
        cell(None)
    } else {
        parts.join(",")
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn tier_columns() {
        let cells = |item: &Value| -> Vec<String> {
            TIERS.columns.iter().map(|c| (c.cell)(item)).collect()
        };
        let gold = json!({"name": "gold", "spec": {
            "rate": {"requests": 100, "per": "1s"}, "burst": 200,
            "quota": {"per_day": 100000, "per_month": 2000000}, "max_concurrent": 50, "priority": 9
        }});
        assert_eq!(
            cells(&gold),
            ["100/1s", "200", "100000/day,2000000/month", "50", "9"]
        );
        let bare = json!({"name": "free", "spec": {"quota": {"per_month": 1000}}});
        assert_eq!(cells(&bare), ["-", "-", "1000/month", "-", "-"]);
    }
}
