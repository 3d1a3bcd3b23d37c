//! The demo app's routes through the TestClient (the contract is DEMO_APP.md).

use jero_examples::demo::Demo;
use jero_testing::{json, TestClient};
use serde_json::Value;

fn client() -> TestClient {
    TestClient::new(Demo::new())
}

#[test]
fn healthz() {
    let r = client().get("/healthz").send();
    assert_eq!(r.status(), 200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.json::<Value>(), json!({"status": "ok"}));
}

#[test]
fn trace_binds_typed_headers() {
    let c = client();
    let r = c
        .get("/trace")
        .header("X-Trace-Id", "t-1")
        .header("User-Agent", "ua")
        .send();
    assert_eq!(r.json::<Value>(), json!({"traceId": "t-1", "userAgent": "ua"}));
    let r = c.get("/trace").header("x-trace-id", "t-2").send();
    assert_eq!(r.json::<Value>(), json!({"traceId": "t-2", "userAgent": null}));
    let r = c.get("/trace").send();
    assert_eq!(r.status(), 400);
    let body = r.json::<Value>();
    assert_eq!(body["type"], "malformed-request");
    assert_eq!(body["detail"], body["params"]["reason"]);
    assert!(body["detail"].as_str().unwrap().contains("x-trace-id"), "{body}");
}

#[test]
fn echo_sees_headers_as_sent() {
    let r = client()
        .get("/echo")
        .header("X-Trace-Id", "abc")
        .header("Cookie", "a=1")
        .header("cookie", "b=2")
        .send();
    let body = r.json::<Value>();
    assert_eq!(body["traceId"], "abc");
    assert_eq!(body["cookieCount"], 2);
    assert_eq!(body["names"], json!(["host", "X-Trace-Id", "Cookie", "cookie"]));
}

#[test]
fn uploads_counts_bytes() {
    let r = client()
        .post("/uploads")
        .header("content-type", "image/png")
        .body(vec![7u8; 1234])
        .send();
    assert_eq!(r.status(), 201);
    assert_eq!(r.json::<Value>(), json!({"size": 1234}));
}

#[test]
fn two_slots_are_percent_decoded() {
    let r = client().get("/collections/a%2Fb/items/x+y").send();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>(), json!({"collectionId": "a/b", "itemId": "x+y"}));
    assert_eq!(client().get("/collections/%FF/items/x").send().status(), 404);
}

#[test]
fn messages_are_created() {
    let r = client()
        .post("/conversations/c1/messages")
        .json(&json!({"text": "hi"}))
        .send();
    assert_eq!(r.status(), 201);
    let body = r.json::<Value>();
    assert_eq!(body["conversationId"], "c1");
    assert_eq!(body["text"], "hi");
    assert!(!body["id"].as_str().unwrap().is_empty());
}

#[test]
fn drafts_have_two_outcomes() {
    let c = client();
    let r = c.get("/drafts/draft-1").send();
    assert_eq!(r.status(), 204);
    assert!(r.body().is_empty());
    assert_eq!(r.header("content-type"), None);
    assert_eq!(r.header("content-length"), None);
    let r = c.get("/drafts/w1").send();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>(), json!({"id": "w1", "name": "gizmo"}));
}

#[test]
fn status_maps_the_upstream_error() {
    let r = client().get("/status").send();
    assert_eq!(r.status(), 503);
    assert_eq!(r.header("retry-after"), Some("30"));
    assert_eq!(r.json::<Value>(), json!({"code": "upstream-failed"}));
}

#[test]
fn boom_is_a_clean_500_and_the_app_keeps_serving() {
    let c = client();
    let r = c.get("/boom").send();
    assert_eq!(r.status(), 500);
    assert_eq!(r.header("content-type"), Some("application/problem+json"));
    assert_eq!(
        r.json::<Value>(),
        json!({"type": "internal-server-error", "title": "Internal server error", "status": 500})
    );
    assert!(!r.text().contains("boom"));
    assert_eq!(c.get("/healthz").send().status(), 200);
}

#[test]
fn session_sets_a_secure_cookie() {
    let c = client();
    let r = c.post("/session").json(&json!({"token": "token"})).send();
    assert_eq!(r.status(), 204);
    assert_eq!(
        r.header("set-cookie"),
        Some("session_id=token; Path=/; Secure; HttpOnly; SameSite=Lax")
    );
    let r = c.post("/session").json(&json!({"token": "nope"})).send();
    assert_eq!(r.status(), 401);
    assert_eq!(
        r.json::<Value>(),
        json!({"type": "invalid-token", "title": "Invalid token", "status": 401})
    );
}

#[test]
fn unknown_paths_and_methods() {
    let c = client();
    let r = c.get("/nope").send();
    assert_eq!(r.status(), 404);
    assert_eq!(
        r.json::<Value>(),
        json!({"type": "not-found", "title": "Not found", "status": 404})
    );
    let r = c.delete("/healthz").send();
    assert_eq!(r.status(), 405);
    assert_eq!(r.header("allow"), Some("GET, HEAD, OPTIONS"));
    let r = c.options("/uploads").send();
    assert_eq!(r.status(), 204);
    assert_eq!(r.header("allow"), Some("OPTIONS, POST"));
}
