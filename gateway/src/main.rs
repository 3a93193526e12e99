//! The `canongate` binary.

use std::process::ExitCode;

use clap::Parser;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    canongate_gateway::commands::run(canongate_gateway::commands::Cli::parse())
}
