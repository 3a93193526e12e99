//! `canongate demo`: the gateway on the canonical contracts in front of simulated CRM, ERP and
//! shop systems, all on loopback, with no set-up.
//!
//! The demo writes the canonical contracts and a gateway document into its data directory (a
//! fresh temporary one unless `--data` names one), starts the simulated systems on free
//! loopback ports, prints ready-to-paste requests and serves until Ctrl-C.

use std::fmt::Write as _;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};

use anyhow::Context;
use canongate_simulator::System;

mod credentials;

use super::ServeArgs;
use crate::logging;
use crate::server;
use credentials::{DemoConsumer, DemoIssuer};

/// Options of `canongate demo`.
#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Address of the gateway's proxy listener.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Address of the gateway's ops listener (health, readiness, metrics).
    #[arg(long, default_value = "127.0.0.1:9901")]
    ops_listen: SocketAddr,
    /// Directory for the demo's files (default: a fresh temporary directory).
    #[arg(long, value_name = "DIR")]
    data: Option<PathBuf>,
    #[command(flatten)]
    serve: ServeArgs,
}

/// Starts the simulated systems and the gateway; returns only on a start-up failure.
pub fn run(args: &DemoArgs) -> anyhow::Result<()> {
    logging::init(args.serve.log_format, "warn,canongate::access=info");
    for (flag, address) in [("--listen", args.listen), ("--ops-listen", args.ops_listen)] {
        TcpListener::bind(address)
            .with_context(|| format!("{address} is not free: pick another address with {flag}"))?;
    }
    let data = match &args.data {
        Some(dir) => dir.clone(),
        None => std::env::temp_dir().join(format!("canongate-demo-{}", std::process::id())),
    };
    let contracts = data.join("contracts");
    std::fs::create_dir_all(&contracts)
        .with_context(|| format!("cannot create {}", contracts.display()))?;
    for (api, text) in canongate_contracts::canonical::ALL {
        let file = contracts.join(format!("{api}.yaml"));
        std::fs::write(&file, text).with_context(|| format!("cannot write {}", file.display()))?;
    }
    let systems = start_systems()?;
    let issuer = DemoIssuer::generate()?;
    let apis: Vec<&str> = canongate_contracts::canonical::ALL
        .iter()
        .map(|(api, _)| *api)
        .collect();
    let consumers = issuer.consumers(&apis)?;
    let credentials = credentials::write_credentials(&data, &consumers)?;
    let config = data.join("gateway.yaml");
    let document = format!(
        "{}{}",
        gateway_document(args, &systems),
        issuer.document_sections(&consumers, &apis)
    );
    std::fs::write(&config, document)
        .with_context(|| format!("cannot write {}", config.display()))?;
    print!("{}", banner(args, &data, &config, &credentials, &consumers));
    server::run(config, &args.serve.options())
}

/// Binds every simulated system to a free loopback port and serves them on a background thread.
fn start_systems() -> anyhow::Result<Vec<(System, SocketAddr)>> {
    let mut bound = Vec::new();
    for system in System::all() {
        let listener = TcpListener::bind("127.0.0.1:0").context("cannot bind a loopback port")?;
        listener.set_nonblocking(true)?;
        bound.push((system, listener));
    }
    let addresses = bound
        .iter()
        .map(|(system, listener)| Ok((*system, listener.local_addr()?)))
        .collect::<std::io::Result<Vec<_>>>()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("canongate-simulator")
        .enable_all()
        .build()?;
    std::thread::Builder::new()
        .name("canongate-simulators".into())
        .spawn(move || {
            runtime.block_on(async move {
                let mut tasks = tokio::task::JoinSet::new();
                for (system, listener) in bound {
                    match tokio::net::TcpListener::from_std(listener) {
                        Ok(listener) => {
                            tasks.spawn(canongate_simulator::serve(system, listener));
                        }
                        Err(error) => {
                            tracing::error!(system = system.name(), %error, "cannot serve")
                        }
                    }
                }
                while let Some(result) = tasks.join_next().await {
                    if let Ok(Err(error)) = result {
                        tracing::error!(%error, "a simulated system stopped");
                    }
                }
            });
        })?;
    Ok(addresses)
}

/// The gateway document routing every canonical API to the simulated system that serves it.
fn gateway_document(args: &DemoArgs, systems: &[(System, SocketAddr)]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Written by `canongate demo`: the canonical APIs in front of simulated systems."
    );
    let _ = writeln!(
        out,
        "revision: demo\nlisteners:\n  proxy: {}\n  ops: {}\nsystems:",
        args.listen, args.ops_listen
    );
    for (system, address) in systems {
        let _ = writeln!(
            out,
            "  {}:\n    base_urls: [\"http://{address}\"]\n    connect_timeout: 1s\n    read_timeout: 10s",
            system.name()
        );
    }
    let _ = writeln!(out, "apis:");
    for (api, _) in canongate_contracts::canonical::ALL {
        let Some((system, _)) = systems
            .iter()
            .find(|(system, _)| canongate_simulator::apis(*system).contains(&api))
        else {
            continue;
        };
        let _ = writeln!(
            out,
            "  {api}:\n    versions:\n      - contract: contracts/{api}.yaml\n        lifecycle: published\n        backend:\n          system: {}\n          path_prefix: {}",
            system.name(),
            canongate_simulator::path_prefix(*system, api)
        );
    }
    out
}

fn banner(
    args: &DemoArgs,
    data: &Path,
    config: &Path,
    credentials: &Path,
    consumers: &[DemoConsumer],
) -> String {
    let base = format!("http://{}", args.listen);
    let ops = format!("http://{}", args.ops_listen);
    let mut out = format!(
        "\nCanongate demo: the canonical retail APIs in front of simulated CRM, ERP and shop systems.\n\n\
         gateway   {base}\n\
         ops       {ops}/readyz   {ops}/metrics\n\
         files     {data} (gateway document: {config}; edit it and send SIGHUP to reload)\n\
         tokens    {credentials} (one consumer per system and tier)\n\n\
         Consumers (id, tier; scopes: read on every API, write on the APIs their system owns):\n",
        data = data.display(),
        config = config.display(),
        credentials = credentials.display(),
    );
    for consumer in consumers {
        let _ = writeln!(
            out,
            "  {:<12} {:<7} {}...",
            consumer.id,
            consumer.tier,
            &consumer.token[..24.min(consumer.token.len())]
        );
    }
    let token = consumers
        .iter()
        .find(|c| c.id == "shop-gold")
        .map_or("", |c| c.token.as_str());
    let _ = write!(
        out,
        "\nTry (as shop-gold):\n\
         \x20 export TOKEN='{token}'\n\
         \x20 curl -s -H \"Authorization: Bearer $TOKEN\" '{base}/customer/v1/customers?limit=2'\n\
         \x20 curl -s -H \"Authorization: Bearer $TOKEN\" '{base}/inventory/v1/stock-levels?limit=3'\n\
         \x20 curl -s -H \"Authorization: Bearer $TOKEN\" -H 'Api-Version: 1' '{base}/order/orders?limit=1'\n\
         \x20 curl -si -H \"Authorization: Bearer $TOKEN\" '{base}/price/v1/prices?limit=1'   # RateLimit headers\n\
         \x20 curl -si '{base}/product/v1/products'                        # 401 without a token\n\
         \x20 curl -si -X DELETE -H \"Authorization: Bearer $TOKEN\" '{base}/order/v1/orders'   # 405 with Allow\n\
         \x20 curl -s '{ops}/readyz'\n\n\
         Press Ctrl-C to stop.\n\n"
    );
    out
}
