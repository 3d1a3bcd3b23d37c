//! The getting-started app's test, as the seed page shows it.

use jero_examples::getting_started::App;
use jero_testing::{json, TestClient};

#[test]
fn read_one() {
    let client = TestClient::new(App);
    let resp = client.get("/widgets/abc").send();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.json::<serde_json::Value>(),
        json!({"id": "abc", "name": "widget-name"})
    );
}

#[test]
fn unknown_url_and_method() {
    let client = TestClient::new(App);
    assert_eq!(client.get("/nope").send().status(), 404);
    let resp = client.delete("/widgets/abc").send();
    assert_eq!(resp.status(), 405);
    assert_eq!(resp.header("allow"), Some("GET, HEAD, OPTIONS"));
}
