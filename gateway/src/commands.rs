//! The `canongate` command line: subcommands and their exit codes.
//!
//! | command | exit codes |
//! |---|---|
//! | `gateway --config FILE` or `gateway --control-plane URL` | runs until stopped; 1 when no document can be loaded |
//! | `config check FILE` | 0 valid, 1 problems found (each listed with its location) |
//! | `contract lint FILE` | 0 nothing at or above `--fail-on`, 1 findings at or above it, 2 unusable input |
//! | `contract diff OLD NEW` | 0 nothing at or above `--fail-on`, 1 changes at or above it (or a refused version with `--check-version`), 2 unusable input |
//! | `contract publish\|draft\|deprecate\|retire\|list`, `consumer …`, `tier …` | 0 done, 1 the control plane refused (its problem on standard error), 2 unusable input or an unreachable control plane |
//! | `control-plane --data DIR` | runs until stopped; 1 when the store or the settings cannot be used |
//! | `demo` | runs until Ctrl-C; 1 when it cannot start |

mod admin;
mod config;
mod contract;
mod control_plane;
mod demo;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};

use crate::logging::{self, LogFormat};
use crate::server::{self, ServeOptions};

/// Canongate: the governed front door to a retailer's CRM, ERP, ecommerce and warehouse APIs.
#[derive(Debug, Parser)]
#[command(name = "canongate", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the gateway on a gateway document file, or following a control plane.
    Gateway(GatewayArgs),
    /// Work with gateway documents.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Work with OpenAPI contracts.
    #[command(subcommand)]
    Contract(ContractCommand),
    /// Manage consumers on the control plane: their specs and subscriptions.
    #[command(subcommand)]
    Consumer(admin::ConsumerCommand),
    /// Manage SLA tiers on the control plane.
    #[command(subcommand)]
    Tier(admin::NamedCommand),
    /// Run the control plane: the contract registry and its admin API.
    ControlPlane(control_plane::Args),
    /// Run the gateway in front of simulated CRM, ERP and shop systems, on loopback.
    Demo(demo::DemoArgs),
}

#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("source").required(true).args(["config", "control_plane"])))]
struct GatewayArgs {
    /// The gateway document (YAML).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(flatten)]
    control_plane: ControlPlaneArgs,
    /// Proxy listener address, instead of the document's `listeners.proxy`.
    #[arg(long, value_name = "ADDR")]
    listen: Option<SocketAddr>,
    /// Ops listener address, instead of the document's `listeners.ops`.
    #[arg(long, value_name = "ADDR")]
    ops_listen: Option<SocketAddr>,
    #[command(flatten)]
    serve: ServeArgs,
}

/// Following a control plane instead of a document file.
#[derive(Debug, clap::Args)]
struct ControlPlaneArgs {
    /// Follow the snapshot of the control plane at this base URL instead of a file.
    #[arg(long, value_name = "URL", requires = "token", conflicts_with = "watch")]
    control_plane: Option<String>,
    /// Bearer token with the `gateway` role at the control plane.
    #[arg(long, env = "CANONGATE_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// Where the last-known-good document and the gateway id are kept.
    #[arg(
        long,
        value_name = "DIR",
        default_value = "./canongate-state",
        requires = "control_plane"
    )]
    state_dir: PathBuf,
    /// This gateway's id at the control plane [default: `{hostname}-{random}`, kept in the
    /// state directory].
    #[arg(long, value_name = "ID", requires = "control_plane")]
    gateway_id: Option<String>,
}

/// Options shared by every command that runs the gateway.
#[derive(Debug, Clone, clap::Args)]
struct ServeArgs {
    /// Proxy worker threads.
    #[arg(long, env = "CANONGATE_WORKER_THREADS", default_value_t = default_threads())]
    threads: usize,
    /// Reload when the document or its contracts change (polled at --watch-interval).
    #[arg(long)]
    watch: bool,
    /// How often --watch checks the files, e.g. `1s`, `500ms`.
    #[arg(long, default_value = "1s", value_parser = parse_duration)]
    watch_interval: Duration,
    /// Drive the limiters with a clock moved only by `POST /debug/clock?advance=…` on the ops
    /// listener (for tests of exact rate limiting).
    #[arg(long, hide = true)]
    manual_clock: bool,
    /// Log line format on standard error.
    #[arg(long, value_enum, default_value_t = LogFormat::Json)]
    log_format: LogFormat,
}

impl ServeArgs {
    fn options(&self) -> ServeOptions {
        ServeOptions {
            threads: self.threads,
            watch_interval: self.watch.then_some(self.watch_interval),
            manual_clock: self.manual_clock,
            listen: None,
            ops_listen: None,
        }
    }
}

impl GatewayArgs {
    /// The document file, else the control plane (clap requires one of them, and a token with
    /// the control plane).
    fn source(self) -> server::Source {
        let ControlPlaneArgs {
            control_plane,
            token,
            state_dir,
            gateway_id,
        } = self.control_plane;
        match (self.config, control_plane) {
            (Some(path), _) => server::Source::File(path),
            (None, url) => server::Source::ControlPlane(crate::follow::Settings {
                url: url.unwrap_or_default(),
                token: token.unwrap_or_default(),
                state_dir,
                gateway_id,
            }),
        }
    }
}

#[derive(Debug, Subcommand)]
enum ConfigCommand {
    /// Check a gateway document: its shape, its contracts, its systems and its routes.
    Check {
        /// The gateway document (YAML).
        file: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum ContractCommand {
    /// Compare two versions of a contract: breaking changes, deprecations, the semver gate.
    Diff(contract::DiffArgs),
    /// Lint an OpenAPI 3.0 contract against Canongate's ruleset.
    Lint(contract::LintArgs),
    #[command(flatten)]
    Versions(admin::VersionCommand),
}

fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    canongate_policy::duration::parse(text)
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> ExitCode {
    match cli.command {
        Command::Gateway(args) => {
            logging::init(args.serve.log_format, "info");
            let options = ServeOptions {
                listen: args.listen,
                ops_listen: args.ops_listen,
                ..args.serve.options()
            };
            report(server::run(args.source(), &options))
        }
        Command::Config(ConfigCommand::Check { file }) => config::check(&file),
        Command::Contract(command) => contract::run(command),
        Command::Consumer(command) => admin::consumer(&command),
        Command::Tier(command) => admin::tier(&command),
        Command::ControlPlane(args) => report(control_plane::run(&args)),
        Command::Demo(args) => report(demo::run(&args)),
    }
}

/// Prints a start-up failure and turns it into exit code 1.
fn report(result: anyhow::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("canongate: {error:#}");
            ExitCode::FAILURE
        }
    }
}
