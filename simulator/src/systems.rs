//! The three simulated systems: which canonical APIs each serves, the
//! collection behind each API, its path under the system's prefix
//! (`/{system}/{api}`), and the seed records it starts with (JSON arrays under
//! `seed/{system}/`, compiled in).

use axum::Router;
use axum::routing::get;
use http::StatusCode;
use serde_json::{Value, json};

use crate::collection::Collection;
use crate::endpoints;
use crate::error::Error;
use crate::problem::problem;
use crate::resources::{
    customer::Customer, order::Order, price::Price, product::Product, returns::Return,
    shipment::Shipment, stock_level::StockLevel,
};
use crate::rules::Rules;

/// A simulated system behind the gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum System {
    /// The CRM: customers.
    Crm,
    /// The ERP: products, prices, stock levels and shipments.
    Erp,
    /// The ecommerce platform: orders and returns.
    Shop,
}

impl System {
    /// The system's name and path prefix: `crm`, `erp` or `shop`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Crm => "crm",
            Self::Erp => "erp",
            Self::Shop => "shop",
        }
    }

    /// Every simulated system.
    pub fn all() -> [System; 3] {
        [Self::Crm, Self::Erp, Self::Shop]
    }
}

/// One canonical API's collection inside a system.
struct Resource {
    api: &'static str,
    path: &'static str,
    rules: &'static dyn Rules,
    seed: &'static str,
}

static CRM: [Resource; 1] = [Resource {
    api: "customer",
    path: "/customers",
    rules: &Customer,
    seed: include_str!("../seed/crm/customers.json"),
}];

static ERP: [Resource; 4] = [
    Resource {
        api: "product",
        path: "/products",
        rules: &Product,
        seed: include_str!("../seed/erp/products.json"),
    },
    Resource {
        api: "price",
        path: "/prices",
        rules: &Price,
        seed: include_str!("../seed/erp/prices.json"),
    },
    Resource {
        api: "inventory",
        path: "/stock-levels",
        rules: &StockLevel,
        seed: include_str!("../seed/erp/stock-levels.json"),
    },
    Resource {
        api: "shipment",
        path: "/shipments",
        rules: &Shipment,
        seed: include_str!("../seed/erp/shipments.json"),
    },
];

static SHOP: [Resource; 2] = [
    Resource {
        api: "order",
        path: "/orders",
        rules: &Order,
        seed: include_str!("../seed/shop/orders.json"),
    },
    Resource {
        api: "return",
        path: "/returns",
        rules: &Return,
        seed: include_str!("../seed/shop/returns.json"),
    },
];

fn resources(system: System) -> &'static [Resource] {
    match system {
        System::Crm => &CRM,
        System::Erp => &ERP,
        System::Shop => &SHOP,
    }
}

/// The canonical APIs `system` serves.
pub fn apis(system: System) -> &'static [&'static str] {
    match system {
        System::Crm => &["customer"],
        System::Erp => &["product", "price", "inventory", "shipment"],
        System::Shop => &["order", "return"],
    }
}

/// The path under which `system` serves `api`, e.g. `/erp/inventory`.
pub fn path_prefix(system: System, api: &str) -> String {
    format!("/{}/{api}", system.name())
}

/// A failure to load the compiled-in seed data.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    /// A seed file is not a JSON array.
    #[error("seed of {system}/{api} is not a JSON array: {reason}")]
    Malformed {
        /// The system.
        system: &'static str,
        /// The API.
        api: &'static str,
        /// The parse error.
        reason: String,
    },
    /// A seed record was refused by its collection.
    #[error("seed record {index} of {system}/{api} was refused: {error}")]
    Refused {
        /// The system.
        system: &'static str,
        /// The API.
        api: &'static str,
        /// Position of the record in the file.
        index: usize,
        /// Why it was refused.
        error: Error,
    },
}

/// The routes of `system` with freshly seeded collections, a health endpoint
/// at `/{system}/health`, and problem+json answers for unknown paths and
/// methods.
pub fn build(system: System) -> Result<Router, SeedError> {
    let mut router = Router::new().route(
        &format!("/{}/health", system.name()),
        get(move || async move { axum::Json(json!({ "status": "ok", "system": system.name() })) }),
    );
    for resource in resources(system) {
        let collection = seeded(system, resource)?;
        let base = format!("{}{}", path_prefix(system, resource.api), resource.path);
        router = router.merge(endpoints::routes(&base, collection));
    }
    Ok(router
        .fallback(|| async { problem(StatusCode::NOT_FOUND, "not-found", "no such resource") })
        .method_not_allowed_fallback(|| async {
            problem(
                StatusCode::METHOD_NOT_ALLOWED,
                "method-not-allowed",
                "the resource does not support this method",
            )
        }))
}

fn seeded(system: System, resource: &Resource) -> Result<Collection, SeedError> {
    let records: Vec<Value> =
        serde_json::from_str(resource.seed).map_err(|error| SeedError::Malformed {
            system: system.name(),
            api: resource.api,
            reason: error.to_string(),
        })?;
    let collection = Collection::new(resource.rules);
    for (index, record) in records.into_iter().enumerate() {
        collection
            .seed(record)
            .map_err(|error| SeedError::Refused {
                system: system.name(),
                api: resource.api,
                index,
                error,
            })?;
    }
    Ok(collection)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_seed_loads() {
        for system in System::all() {
            assert!(
                build(system).is_ok(),
                "{}: {:?}",
                system.name(),
                build(system).err()
            );
        }
    }

    #[test]
    fn seed_records_already_carry_their_derived_fields() {
        for system in System::all() {
            for resource in resources(system) {
                let collection = seeded(system, resource).unwrap();
                let records: Vec<Value> = serde_json::from_str(resource.seed).unwrap();
                for record in records {
                    let id = record["id"].as_str().unwrap_or_default();
                    let loaded = Value::Object(collection.get(id).unwrap().record);
                    assert_eq!(loaded, record, "{}/{} {id}", system.name(), resource.api);
                }
            }
        }
    }

    #[test]
    fn apis_match_resources() {
        for system in System::all() {
            let served: Vec<&str> = resources(system).iter().map(|r| r.api).collect();
            assert_eq!(served, apis(system));
        }
        assert_eq!(path_prefix(System::Erp, "inventory"), "/erp/inventory");
    }
}
