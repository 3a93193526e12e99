//! The `canongate` command line: subcommands and their exit codes.
//!
//! | command | exit codes |
//! |---|---|
//! | `gateway --config FILE` | runs until stopped; 1 when the document cannot be loaded |
//! | `config check FILE` | 0 valid, 1 problems found (each listed with its location) |
//! | `contract lint FILE` | 0 nothing at or above `--fail-on`, 1 findings at or above it, 2 unusable input |
//! | `contract diff OLD NEW` | 0 nothing at or above `--fail-on`, 1 changes at or above it (or a refused version with `--check-version`), 2 unusable input |
//! | `demo` | runs until Ctrl-C; 1 when it cannot start |

mod config;
mod contract;
mod demo;

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
    /// Run the gateway on a gateway document.
    Gateway(GatewayArgs),
    /// Work with gateway documents.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Work with OpenAPI contracts.
    #[command(subcommand)]
    Contract(ContractCommand),
    /// Run the gateway in front of simulated CRM, ERP and shop systems, on loopback.
    Demo(demo::DemoArgs),
}

#[derive(Debug, clap::Args)]
struct GatewayArgs {
    /// The gateway document (YAML).
    #[arg(long, value_name = "FILE")]
    config: PathBuf,
    #[command(flatten)]
    serve: ServeArgs,
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
            report(server::run(args.config, &args.serve.options()))
        }
        Command::Config(ConfigCommand::Check { file }) => config::check(&file),
        Command::Contract(command) => contract::run(command),
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
