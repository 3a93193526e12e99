//! `canongate consumer list|show|apply|delete|subscribe|unsubscribe`: consumers on the control
//! plane.
//!
//! The named-resource commands are [`super::named`]'s, with a list of team, system, tier and
//! subscriptions; `subscribe ID API` and `unsubscribe ID API` are
//! `PUT|DELETE /consumers/{id}/subscriptions/{api}`.

use canongate_policy::consumers::ConsumerConfig;
use clap::Subcommand;

use super::client::Client;
use super::named::{self, Column, Kind, NamedCommand, normalized};
use super::{Done, Failure, Remote, cell};

/// The consumer commands.
#[derive(Debug, Subcommand)]
pub enum ConsumerCommand {
    #[command(flatten)]
    Named(NamedCommand),
    /// Let a consumer call an API.
    Subscribe(SubscriptionArgs),
    /// Stop a consumer from calling an API.
    Unsubscribe(SubscriptionArgs),
}

/// Options of `consumer subscribe` and `consumer unsubscribe`.
#[derive(Debug, clap::Args)]
pub struct SubscriptionArgs {
    /// The consumer's id.
    id: String,
    /// The API's name.
    api: String,
    #[command(flatten)]
    remote: Remote,
}

const CONSUMERS: Kind = Kind {
    path: "consumers",
    noun: "consumer",
    columns: &[
        Column {
            header: "TEAM",
            cell: |item| cell(item.pointer("/spec/team")),
        },
        Column {
            header: "SYSTEM",
            cell: |item| cell(item.pointer("/spec/system")),
        },
        Column {
            header: "TIER",
            cell: |item| cell(item.pointer("/spec/tier")),
        },
        Column {
            header: "SUBSCRIPTIONS",
            cell: |item| cell(item.pointer("/spec/subscriptions")),
        },
    ],
    normalize: normalized::<ConsumerConfig>,
};

impl ConsumerCommand {
    /// The control plane the command talks to.
    pub(super) fn remote(&self) -> &Remote {
        match self {
            ConsumerCommand::Named(command) => command.remote(),
            ConsumerCommand::Subscribe(args) | ConsumerCommand::Unsubscribe(args) => &args.remote,
        }
    }
}

/// Runs `command` against the control plane.
pub(super) fn run(client: &Client, command: &ConsumerCommand) -> Result<Done, Failure> {
    match command {
        ConsumerCommand::Named(command) => named::run(client, &CONSUMERS, command),
        ConsumerCommand::Subscribe(args) => {
            let reply = client.put(&subscription(args), None, None)?;
            Ok(Done {
                text: format!("subscribed consumer {} to {}\n", args.id, args.api),
                json: reply.body,
            })
        }
        ConsumerCommand::Unsubscribe(args) => {
            let reply = client.delete(&subscription(args))?;
            Ok(Done {
                text: format!("unsubscribed consumer {} from {}\n", args.id, args.api),
                json: reply.body,
            })
        }
    }
}

fn subscription(args: &SubscriptionArgs) -> [&str; 4] {
    ["consumers", &args.id, "subscriptions", &args.api]
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn consumer_columns() {
        let item = json!({"name": "storefront", "spec": {
            "name": "Storefront", "team": "web", "system": "shop", "tier": "gold",
            "subscriptions": ["inventory", "orders"]
        }});
        let cells: Vec<String> = CONSUMERS.columns.iter().map(|c| (c.cell)(&item)).collect();
        assert_eq!(cells, ["web", "shop", "gold", "inventory,orders"]);
    }
}
