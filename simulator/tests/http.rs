//! The simulated systems over real HTTP: pagination, reads, idempotent
//! creates, conditional updates and actions.

mod common;

use std::collections::HashSet;

use canongate_simulator::System;
use reqwest::{Client, StatusCode, header};
use serde_json::{Value, json};

/// The seeded order `WEB-10040037`: confirmed, paid, allocated, not shipped.
const CANCELLABLE_ORDER: &str = "acb7f842-a33c-534a-bd1d-f192e66f1295";
/// The seeded customer Ada Lovelace.
const CUSTOMER: &str = "ce204bf9-36c0-5884-af3c-2d4949988ebe";
/// The seeded stock level of `SKU-10001-S` at `DC-LEEDS-01`.
const STOCK_LEVEL: &str = "bf171148-c0b8-5675-ae39-5149842cdbda";

async fn json_of(response: reqwest::Response) -> Value {
    response.json().await.expect("a JSON body")
}

#[tokio::test]
async fn pagination_walks_every_record_exactly_once() {
    let base = common::start(System::Erp).await;
    let client = Client::new();
    let seeded = include_str!("../seed/erp/stock-levels.json");
    let expected = serde_json::from_str::<Vec<Value>>(seeded)
        .expect("seed")
        .len();
    let mut seen = HashSet::new();
    let mut pages = 0;
    let mut next = Some("/erp/inventory/stock-levels?limit=17".to_owned());
    while let Some(path) = next.take() {
        let page = json_of(
            client
                .get(format!("{base}{path}"))
                .send()
                .await
                .expect("list"),
        )
        .await;
        assert_eq!(page["links"]["self"], json!(path));
        for item in page["items"].as_array().expect("items") {
            let id = item["id"].as_str().expect("id").to_owned();
            assert!(seen.insert(id), "a record was listed twice");
        }
        assert_eq!(
            page["next_cursor"].is_string(),
            page["links"]["next"].is_string()
        );
        next = page["links"]["next"].as_str().map(str::to_owned);
        pages += 1;
    }
    assert_eq!(seen.len(), expected);
    assert_eq!(pages, expected.div_ceil(17));
}

#[tokio::test]
async fn filters_and_limits() {
    let base = common::start(System::Erp).await;
    let client = Client::new();
    let url = format!("{base}/erp/inventory/stock-levels?locationId=DC-LEEDS-01&limit=200");
    let page = json_of(client.get(url).send().await.expect("list")).await;
    let items = page["items"].as_array().expect("items");
    assert!(!items.is_empty());
    assert!(
        items
            .iter()
            .all(|item| item["location_id"] == json!("DC-LEEDS-01"))
    );
    let url = format!("{base}/erp/product/products?sku=SKU-10001-M");
    let page = json_of(client.get(url).send().await.expect("list")).await;
    assert_eq!(page["items"][0]["sku"], json!("SKU-10001"));
    let url = format!("{base}/erp/inventory/stock-levels?limit=500");
    let response = client.get(url).send().await.expect("list");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        problem_type(response).await,
        "https://problems.example.com/invalid-query"
    );
}

async fn problem_type(response: reqwest::Response) -> String {
    let content_type = response.headers()[header::CONTENT_TYPE].clone();
    assert_eq!(content_type, "application/problem+json");
    let body = json_of(response).await;
    body["type"].as_str().expect("type").to_owned()
}

#[tokio::test]
async fn get_by_id_and_not_found() {
    let base = common::start(System::Erp).await;
    let client = Client::new();
    let url = format!("{base}/erp/inventory/stock-levels/{STOCK_LEVEL}");
    let response = client.get(url).send().await.expect("get");
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers().contains_key(header::ETAG));
    let stock = json_of(response).await;
    assert_eq!(stock["sku"], json!("SKU-10001-S"));
    let missing = format!("{base}/erp/inventory/stock-levels/00000000-0000-4000-8000-000000000000");
    let response = client.get(missing).send().await.expect("get");
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        problem_type(response).await,
        "https://problems.example.com/not-found"
    );
    let response = client
        .get(format!("{base}/erp/nothing"))
        .send()
        .await
        .expect("get");
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let response = client
        .delete(format!("{base}/erp/inventory/stock-levels/{STOCK_LEVEL}"))
        .send()
        .await
        .expect("delete");
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
}

fn new_order(email: &str) -> Value {
    json!({
        "channel": "web",
        "customer_id": CUSTOMER,
        "email": email,
        "currency": "GBP",
        "prices_include_tax": true,
        "lines": [{"sku": "SKU-10001-M", "quantity": 2, "unit_price": 1999}],
        "shipping_amount": 399,
        "shipping_method": "standard",
        "shipping_address": {"line1": "1 St James's Square", "city": "London", "postal_code": "SW1Y 4LB", "country_code": "GB"}
    })
}

#[tokio::test]
async fn create_replays_for_the_same_idempotency_key() {
    let base = common::start(System::Shop).await;
    let client = Client::new();
    let url = format!("{base}/shop/order/orders");
    let post = |body: Value, key: Option<&str>| {
        let mut request = client.post(&url).json(&body);
        if let Some(key) = key {
            request = request.header("Idempotency-Key", key);
        }
        request.send()
    };
    let first = post(new_order("ada.lovelace@example.com"), Some("k-1"))
        .await
        .expect("create");
    assert_eq!(first.status(), StatusCode::CREATED);
    let location = first.headers()[header::LOCATION]
        .to_str()
        .expect("location")
        .to_owned();
    let etag = first.headers()[header::ETAG].clone();
    let order = json_of(first).await;
    assert_eq!(
        location,
        format!("/shop/order/orders/{}", order["id"].as_str().expect("id"))
    );
    assert_eq!(order["status"], json!("pending"));
    assert_eq!(order["totals"]["grand_total"], json!(2 * 1999 + 399));
    let again = post(new_order("ada.lovelace@example.com"), Some("k-1"))
        .await
        .expect("retry");
    assert_eq!(again.status(), StatusCode::CREATED);
    assert_eq!(again.headers()[header::ETAG], etag);
    assert_eq!(json_of(again).await, order);
    let reused = post(new_order("other@example.com"), Some("k-1"))
        .await
        .expect("reuse");
    assert_eq!(reused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let keyless = post(new_order("ada.lovelace@example.com"), None)
        .await
        .expect("no key");
    assert_eq!(keyless.status(), StatusCode::BAD_REQUEST);
    let created = client
        .get(format!("{base}{location}"))
        .send()
        .await
        .expect("get");
    assert_eq!(created.status(), StatusCode::OK);
}

#[tokio::test]
async fn patch_requires_a_current_if_match() {
    let base = common::start(System::Crm).await;
    let client = Client::new();
    let url = format!("{base}/crm/customer/customers/{CUSTOMER}");
    let current = client.get(&url).send().await.expect("get");
    let etag = current.headers()[header::ETAG]
        .to_str()
        .expect("etag")
        .to_owned();
    let patch = json!({"given_name": "Augusta", "phone": null});
    let send = |if_match: Option<&str>| {
        let mut request = client
            .patch(&url)
            .header(header::CONTENT_TYPE, "application/merge-patch+json")
            .body(patch.to_string());
        if let Some(if_match) = if_match {
            request = request.header(header::IF_MATCH, if_match);
        }
        request.send()
    };
    let missing = send(None).await.expect("patch");
    assert_eq!(missing.status(), StatusCode::PRECONDITION_REQUIRED);
    let updated = send(Some(&etag)).await.expect("patch");
    assert_eq!(updated.status(), StatusCode::OK);
    assert_ne!(updated.headers()[header::ETAG], etag.as_str());
    let customer = json_of(updated).await;
    assert_eq!(customer["given_name"], json!("Augusta"));
    assert!(customer.get("phone").is_none());
    let stale = send(Some(&etag)).await.expect("patch");
    assert_eq!(stale.status(), StatusCode::PRECONDITION_FAILED);
    assert_eq!(
        problem_type(stale).await,
        "https://problems.example.com/precondition-failed"
    );
}

#[tokio::test]
async fn cancellation_moves_the_order_to_cancelled_once() {
    let base = common::start(System::Shop).await;
    let client = Client::new();
    let url = format!("{base}/shop/order/orders/{CANCELLABLE_ORDER}");
    let cancel = || {
        client
            .post(format!("{url}/cancellation"))
            .json(&json!({"reason": "customer_request"}))
            .send()
    };
    let cancelled = cancel().await.expect("cancel");
    assert_eq!(cancelled.status(), StatusCode::OK);
    let etag = cancelled.headers()[header::ETAG].clone();
    let order = json_of(cancelled).await;
    assert_eq!(order["status"], json!("cancelled"));
    assert_eq!(order["payment_status"], json!("refunded"));
    assert_eq!(order["cancellation"]["reason"], json!("customer_request"));
    let again = cancel().await.expect("cancel again");
    assert_eq!(again.status(), StatusCode::OK);
    assert_eq!(again.headers()[header::ETAG], etag);
    let edit = client
        .patch(&url)
        .header(header::IF_MATCH, etag)
        .json(&json!({"status": "confirmed"}))
        .send()
        .await
        .expect("patch");
    assert_eq!(edit.status(), StatusCode::CONFLICT);

    let shipped = format!("{base}/shop/order/orders?limit=200");
    let page = json_of(client.get(shipped).send().await.expect("list")).await;
    let delivered = page["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|order| order["fulfilment"]["status"] == json!("delivered"))
        .expect("a delivered order");
    let refused = client
        .post(format!(
            "{base}/shop/order/orders/{}/cancellation",
            delivered["id"].as_str().expect("id")
        ))
        .json(&json!({"reason": "customer_request"}))
        .send()
        .await
        .expect("cancel");
    assert_eq!(refused.status(), StatusCode::CONFLICT);
    assert_eq!(
        problem_type(refused).await,
        "https://problems.example.com/transition-not-allowed"
    );
}

#[tokio::test]
async fn stock_adjustments_are_keyed_movements() {
    let base = common::start(System::Erp).await;
    let client = Client::new();
    let url = format!("{base}/erp/inventory/stock-levels/{STOCK_LEVEL}");
    let before = json_of(client.get(&url).send().await.expect("get")).await;
    let adjust = |key: &str, delta: i64| {
        client
            .post(format!("{url}/adjustments"))
            .header("Idempotency-Key", key)
            .json(&json!({"delta": delta, "reason": "goods_receipt"}))
            .send()
    };
    let moved = json_of(adjust("a-1", 12).await.expect("adjust")).await;
    let on_hand = before["on_hand"].as_i64().expect("on_hand");
    assert_eq!(moved["on_hand"], json!(on_hand + 12));
    let replayed = json_of(adjust("a-1", 12).await.expect("replay")).await;
    assert_eq!(replayed, moved);
    let negative = adjust("a-2", -(on_hand + 13)).await.expect("adjust");
    assert_eq!(negative.status(), StatusCode::CONFLICT);
}
