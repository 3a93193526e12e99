//! `canongate demo`: the control plane, a gateway following it, and simulated CRM, ERP and shop
//! systems, all on loopback, with no set-up.
//!
//! The demo starts the simulated systems on free loopback ports, runs the control plane on its
//! data directory (a fresh temporary one unless `--data` names one) and seeds it through the
//! admin API — teams, systems, domains and APIs from the canonical contracts, each contract
//! published, issuers, tiers and consumers — then runs the gateway following the control plane,
//! prints the admin and consumer tokens with ready-to-paste requests and serves until Ctrl-C.

use std::fmt::Write as _;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};

use anyhow::Context;
use canongate_simulator::System;

mod credentials;
mod seed;

use canongate_registry::config::ControlPlaneConfig;

use super::{ServeArgs, control_plane};
use crate::follow;
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
    /// Address of the control plane's admin API.
    #[arg(long, default_value = "127.0.0.1:9080")]
    control_plane_listen: SocketAddr,
    /// Directory for the demo's files (default: a fresh temporary directory).
    #[arg(long, value_name = "DIR")]
    data: Option<PathBuf>,
    #[command(flatten)]
    serve: ServeArgs,
}

/// Starts the simulated systems, the control plane (seeded through its admin API) and the
/// gateway following it; returns only on a start-up failure.
pub fn run(args: &DemoArgs) -> anyhow::Result<()> {
    logging::init(args.serve.log_format, "warn,canongate::access=info");
    for (flag, address) in [("--listen", args.listen), ("--ops-listen", args.ops_listen)] {
        TcpListener::bind(address)
            .with_context(|| format!("{address} is not free: pick another address with {flag}"))?;
    }
    let control_plane = TcpListener::bind(args.control_plane_listen).with_context(|| {
        format!(
            "{} is not free: pick another address with --control-plane-listen",
            args.control_plane_listen
        )
    })?;
    let data = match &args.data {
        Some(dir) => dir.clone(),
        None => std::env::temp_dir().join(format!("canongate-demo-{}", std::process::id())),
    };
    std::fs::create_dir_all(&data).with_context(|| format!("cannot create {}", data.display()))?;
    let systems = start_systems()?;
    let issuer = DemoIssuer::generate()?;
    let admin = DemoIssuer::generate_for(credentials::ADMIN_ISSUER, credentials::ADMIN_AUDIENCE)?;
    let apis: Vec<&str> = canongate_contracts::canonical::ALL
        .iter()
        .map(|(api, _)| *api)
        .collect();
    let consumers = issuer.consumers(&apis)?;
    let document = canongate_policy::config::parse(
        "demo document",
        &format!(
            "{}{}",
            systems_section(&systems),
            issuer.document_sections(&consumers, &apis)
        ),
        data.clone(),
    )?;
    let settings = ControlPlaneConfig {
        listen: args.control_plane_listen,
        admin_issuer: Some(admin.issuer_config()?),
        ..ControlPlaneConfig::default()
    };
    let prepared = control_plane::prepare(data.join("registry"), settings)?;
    control_plane::spawn(prepared, control_plane)?;
    let url = format!("http://{}", args.control_plane_listen);
    let roles = admin_roles();
    let tokens = roles
        .iter()
        .map(|role| {
            Ok((
                role.clone(),
                admin.token(&format!("demo-{role}"), std::slice::from_ref(role))?,
            ))
        })
        .collect::<anyhow::Result<Vec<(String, String)>>>()?;
    let seeder = admin.token("demo-seeder", &["architect".into(), "security".into()])?;
    seed::Seeder::new(&url, seeder)?
        .seed(&document, &backends(&systems))
        .context("cannot seed the control plane")?;
    let credentials = credentials::write_credentials(&data, &consumers, &tokens)?;
    print!("{}", banner(args, &url, &data, &credentials, &consumers));
    let gateway_token = admin.token("demo-gateway", &["gateway".into()])?;
    let mut options = args.serve.options();
    options.listen = Some(args.listen);
    options.ops_listen = Some(args.ops_listen);
    server::run(
        server::Source::ControlPlane(follow::Settings {
            url,
            token: gateway_token,
            state_dir: data.join("gateway-state"),
            gateway_id: Some("demo-gateway".into()),
        }),
        &options,
    )
}

/// The admin roles the demo mints tokens for: the fixed ones and the owner of every team.
fn admin_roles() -> Vec<String> {
    let mut teams: Vec<String> = canongate_contracts::canonical::ALL
        .iter()
        .filter_map(|(api, text)| canongate_contracts::load_bytes(api, text.as_bytes()).ok())
        .map(|contract| format!("owner:{}", contract.governance.owner_team))
        .collect();
    teams.sort_unstable();
    teams.dedup();
    ["architect", "security", "viewer", "gateway"]
        .into_iter()
        .map(str::to_owned)
        .chain(teams)
        .collect()
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

/// The `systems` section of the demo document (its `apis` come from the control plane).
fn systems_section(systems: &[(System, SocketAddr)]) -> String {
    let mut out = String::from("apis: {}\nsystems:\n");
    for (system, address) in systems {
        let _ = writeln!(
            out,
            "  {}:\n    base_urls: [\"http://{address}\"]\n    connect_timeout: 1s\n    read_timeout: 10s",
            system.name()
        );
    }
    out
}

/// Per canonical API, the simulated system serving it and the path prefix there.
fn backends(systems: &[(System, SocketAddr)]) -> Vec<(&'static str, &'static str, String)> {
    canongate_contracts::canonical::ALL
        .iter()
        .filter_map(|(api, _)| {
            let (system, _) = systems
                .iter()
                .find(|(system, _)| canongate_simulator::apis(*system).contains(api))?;
            Some((
                *api,
                system.name(),
                canongate_simulator::path_prefix(*system, api),
            ))
        })
        .collect()
}

fn banner(
    args: &DemoArgs,
    control_plane: &str,
    data: &Path,
    credentials: &Path,
    consumers: &[DemoConsumer],
) -> String {
    let base = format!("http://{}", args.listen);
    let ops = format!("http://{}", args.ops_listen);
    let mut out = format!(
        "\nCanongate demo: the canonical retail APIs in front of simulated CRM, ERP and shop systems.\n\n\
         gateway   {base}\n\
         ops       {ops}/readyz   {ops}/metrics\n\
         control   {control_plane}/api/v1 (admin API; its OpenAPI document at /api/v1/openapi.json)\n\
         files     {data} (the registry database, the gateway's last-known-good document)\n\
         tokens    {credentials} (admin tokens by role; one consumer per system and tier)\n\n\
         Consumers (id, tier; scopes: read on every API, write on the APIs their system owns):\n",
        data = data.display(),
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
