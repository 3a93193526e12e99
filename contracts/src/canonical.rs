//! The canonical retail contracts shipped with Canongate (`contracts/canonical/*.yaml`),
//! compiled into the binary so the demo and tests need no files on disk.

/// `(api name, OpenAPI YAML)` of every canonical contract.
pub const ALL: [(&str, &str); 7] = [
    ("customer", include_str!("../canonical/customer.yaml")),
    ("product", include_str!("../canonical/product.yaml")),
    ("price", include_str!("../canonical/price.yaml")),
    ("inventory", include_str!("../canonical/inventory.yaml")),
    ("order", include_str!("../canonical/order.yaml")),
    ("shipment", include_str!("../canonical/shipment.yaml")),
    ("return", include_str!("../canonical/return.yaml")),
];
