//! Simulated CRM, ERP and ecommerce ("shop") systems: in-memory HTTP services
//! that answer every operation of the canonical contracts under the system's
//! own paths, so `canongate demo`, the end-to-end tests and the load harness
//! have real backends on loopback.
//!
//! The gateway rewrites a canonical path `/{api}/v{major}<path>` to
//! `/{system}/{api}<path>`: `GET /inventory/v1/stock-levels/{id}` arrives at
//! the ERP as `GET /erp/inventory/stock-levels/{id}`.
//!
//! | system | APIs |
//! |---|---|
//! | `crm` | customer |
//! | `erp` | product, price, inventory, shipment |
//! | `shop` | order, return |
//!
//! # How it works
//!
//! Every resource is a collection of JSON records under one lock:
//! cursor-paginated lists with filters (`limit` 1–200, default 50), reads,
//! creates (server-assigned uuid and timestamps, `201` with `Location` and
//! `ETag`, `Idempotency-Key` replay and `422` on reuse with another body),
//! JSON Merge Patch updates (`If-Match` required: `428` without, `412` when
//! stale), and actions such as `POST /orders/{id}/cancellation` (`409` when
//! the state forbids it). Each resource's own behaviour (defaults, computed
//! totals, lifecycles, natural keys) lives in its own rules; the systems table maps
//! systems to resources and loads the seed data. Errors are RFC 9457
//! `application/problem+json`. Each [`router`] call starts from fresh seed
//! data, so tests do not see each other's writes.
//!
//! # Well-known seed records
//!
//! Seed ids are stable, so these work against a fresh system:
//!
//! | record | id | canonical request |
//! |---|---|---|
//! | customer Ada Lovelace (`ada.lovelace@example.com`) | `ce204bf9-36c0-5884-af3c-2d4949988ebe` | `GET /customer/v1/customers/{id}` |
//! | product `SKU-10001` (Organic cotton T-shirt) | `5f4b189c-7c4f-5505-9cf6-37886b30ee73` | `GET /product/v1/products/{id}` |
//! | price of `SKU-10001-S` in `retail-gb` | `a904c2aa-ee2b-50f3-9fd4-5becf1ce474d` | `GET /price/v1/prices/{id}` |
//! | stock level of `SKU-10001-S` at `DC-LEEDS-01` | `bf171148-c0b8-5675-ae39-5149842cdbda` | `POST /inventory/v1/stock-levels/{id}/adjustments` |
//! | order `WEB-10040037` (confirmed, not shipped) | `acb7f842-a33c-534a-bd1d-f192e66f1295` | `POST /order/v1/orders/{id}/cancellation` |
//! | shipment `EVR0000100001` of order `WEB-10040074` | `ea481d69-9d78-5993-ae12-16df06425530` | `GET /shipment/v1/shipments/{id}` |
//! | return `RMA-20250013` of order `WEB-10040074` | `c068c5fa-8374-56a8-ae1a-61b83a7b51ab` | `GET /return/v1/returns/{id}` |
//!
//! The seed holds 40 customers, 34 products with their variants, prices in GBP, EUR
//! and USD, stock levels at four locations, and orders with their shipments
//! and returns that reference those customers and SKUs with consistent
//! totals. Request bodies are not validated against the contract schemas; the
//! simulator checks only what its rules need.

mod clock;
mod collection;
mod endpoints;
mod error;
mod idempotency;
mod ident;
mod merge_patch;
mod problem;
mod query;
mod resources;
mod rules;
mod systems;

pub use systems::{System, apis, path_prefix};

/// The routes of `system` over fresh in-memory state seeded from the
/// compiled-in data, plus `GET /{system}/health`.
pub fn router(system: System) -> axum::Router {
    systems::build(system).expect("the compiled-in seed data is valid")
}

/// Serves `system` on `listener` until the process ends or the listener fails.
pub async fn serve(system: System, listener: tokio::net::TcpListener) -> std::io::Result<()> {
    axum::serve(listener, router(system)).await
}
