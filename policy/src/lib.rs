//! Canongate's policy layer: the gateway document, its compilation into a [`Snapshot`], and the
//! pure per-request decisions the data plane sequences (routing, request-head rules, request
//! identity, problem details). Nothing here touches a socket, so every decision is unit-tested
//! and benchmarked without a network.

pub mod access;
pub mod auth;
pub mod config;
pub mod consumers;
pub mod duration;
pub mod framing;
pub mod problem;
pub mod routing;
pub mod snapshot;
pub mod throttle;
pub mod tracing_context;
pub mod versioning;

pub use config::GatewayConfig;
pub use snapshot::{CompileError, Snapshot};
