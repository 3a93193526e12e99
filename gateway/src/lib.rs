//! Canongate's data plane on Pingora, its operations endpoints and the `canongate` commands.
//!
//! [`server::run`] loads a gateway document into a [`runtime::Runtime`] and serves it with the
//! [`proxy::Gateway`] `ProxyHttp`; [`reload`] swaps in new documents, from a file or from a
//! control plane that [`follow`] long-polls; [`ops`] answers health, readiness and metrics;
//! [`commands`] holds the CLI subcommands, including the demo.

pub mod admission;
pub mod commands;
pub mod follow;
pub mod forward;
pub mod jwks;
pub mod logging;
pub mod metrics;
pub mod ops;
pub mod proxy;
pub mod reload;
pub mod respond;
pub mod runtime;
pub mod server;
pub mod upstream;

/// Seconds since the Unix epoch (0 if the clock is before it).
pub(crate) fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}
