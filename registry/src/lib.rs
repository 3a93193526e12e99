//! The control plane: the registry of canonical contracts and everything the gateways run.
//!
//! It owns every mutable fact — teams, systems, data domains with their system of record, APIs
//! and their contract versions with lifecycle, issuers, tiers, consumers and subscriptions — in
//! one SQLite database ([`store`]), changes them through an RBAC-guarded admin REST API
//! ([`api`], [`auth`]) that audits every change, applies the governance engine to every publish
//! ([`governance`]) and compiles the gateway document every following gateway runs
//! ([`document`]), distributed by long poll. It is never on the request path: gateways keep
//! their last-known-good document while it is down.

pub mod api;
pub mod auth;
pub mod config;
pub mod document;
pub mod governance;
pub mod kinds;
pub mod problem;
pub mod secrets;
pub mod server;
pub mod store;

/// Seconds since the Unix epoch.
pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}
