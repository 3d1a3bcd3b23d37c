//! The main binding and status rules over a real loopback socket: the app is
//! served by the engine (`jero::serve(..).bind()`, one worker) and driven
//! with raw HTTP/1.1 over `std::net::TcpStream`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use jero::{contract, resource, App, BoxError, Wiring};
use serde_json::json;

mod common;
use common::{Conn, Server};

// ---------------------------------------------------------------------------
// The app

#[contract]
struct WidgetPath {
    widget_id: String,
}

#[contract]
struct Widget {
    id: String,
    name: String,
}

#[contract]
#[serde(rename_all = "camelCase")]
struct NewWidget {
    name: String,
    price_cents: u32,
}

struct Widgets;

#[resource(path = "/widgets")]
impl Widgets {
    async fn read_many(&self) -> Vec<Widget> {
        vec![Widget {
            id: "w1".into(),
            name: "one".into(),
        }]
    }

    async fn create(&self, json: NewWidget) -> Widget {
        Widget {
            id: format!("w-{}", json.price_cents),
            name: json.name,
        }
    }

    async fn read_one(&self, path: WidgetPath) -> Widget {
        Widget {
            id: path.widget_id,
            name: "widget-name".into(),
        }
    }
}

struct SocketApp {
    torn_down: Arc<AtomicBool>,
}

impl App for SocketApp {
    async fn wire(&self, w: &mut Wiring) -> Result<(), BoxError> {
        let flag = self.torn_down.clone();
        w.on_teardown("flag", move || async move { flag.store(true, Ordering::SeqCst) });
        w.include_resource(Widgets);
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// A served app and a tiny HTTP/1.1 client

/// The socket app's server; stopping it checks the app's teardown ran.
struct SocketServer {
    server: Server,
    torn_down: Arc<AtomicBool>,
}

impl SocketServer {
    fn start() -> SocketServer {
        let torn_down = Arc::new(AtomicBool::new(false));
        let server = Server::start(SocketApp {
            torn_down: torn_down.clone(),
        });
        SocketServer { server, torn_down }
    }

    fn connect(&self) -> Conn {
        self.server.connect()
    }

    /// Stops the server, waits for it, and checks the teardown ran.
    fn stop(self) {
        self.server.stop();
        assert!(
            self.torn_down.load(Ordering::SeqCst),
            "teardown did not run at shutdown"
        );
    }
}

// ---------------------------------------------------------------------------
// Tests

#[test]
fn path_binding_is_200_json() {
    let server = SocketServer::start();
    let mut conn = server.connect();
    let resp = conn.get("/widgets/a%2Fb");
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert_eq!(resp.header("content-type"), Some("application/json"));
    assert_eq!(resp.json(), json!({"id": "a/b", "name": "widget-name"}));
    // The same connection serves the next request (keep-alive).
    let resp = conn.get("/widgets");
    assert_eq!(resp.status, 200);
    assert_eq!(resp.json(), json!([{"id": "w1", "name": "one"}]));
    server.stop();
}

#[test]
fn unmatched_url_is_404_problem() {
    let server = SocketServer::start();
    let resp = server.connect().get("/nope");
    assert_eq!(resp.status, 404);
    assert_eq!(resp.header("content-type"), Some("application/problem+json"));
    assert_eq!(
        resp.text(),
        r#"{"type":"not-found","title":"Not found","status":404}"#
    );
    server.stop();
}

#[test]
fn wrong_method_is_405_with_allow() {
    let server = SocketServer::start();
    let mut conn = server.connect();
    let resp = conn.send("DELETE", "/widgets", &[], b"");
    assert_eq!(resp.status, 405);
    assert_eq!(resp.header("allow"), Some("GET, HEAD, OPTIONS, POST"));
    assert_eq!(resp.header("content-type"), Some("application/problem+json"));
    assert_eq!(resp.json()["type"], "method-not-allowed");
    let resp = conn.send("PUT", "/widgets/w1", &[], b"");
    assert_eq!(resp.status, 405);
    assert_eq!(resp.header("allow"), Some("GET, HEAD, OPTIONS"));
    server.stop();
}

#[test]
fn schema_violation_is_422_json_error() {
    let server = SocketServer::start();
    let body = br#"{"name":"gear","priceCents":"SECRET-VALUE-123"}"#;
    let resp = server
        .connect()
        .send("POST", "/widgets", &[("Content-Type", "application/json")], body);
    assert_eq!(resp.status, 422, "{}", resp.text());
    assert_eq!(resp.header("content-type"), Some("application/problem+json"));
    let problem = resp.json();
    assert_eq!(problem["type"], "validation-failed");
    assert_eq!(problem["status"], 422);
    assert!(
        problem["detail"].as_str().unwrap().contains("priceCents"),
        "{problem}"
    );
    assert!(!resp.text().contains("SECRET-VALUE-123"));
    server.stop();
}

#[test]
fn malformed_json_is_400() {
    let server = SocketServer::start();
    let resp = server.connect().send(
        "POST",
        "/widgets",
        &[("Content-Type", "application/json")],
        b"{\"name\":",
    );
    assert_eq!(resp.status, 400, "{}", resp.text());
    assert_eq!(resp.json()["type"], "malformed-request");
    server.stop();
}

#[test]
fn create_is_201_with_json_body() {
    let server = SocketServer::start();
    let body = br#"{"name":"gear","priceCents":250}"#;
    let resp = server
        .connect()
        .send("POST", "/widgets", &[("Content-Type", "application/json")], body);
    assert_eq!(resp.status, 201, "{}", resp.text());
    assert_eq!(resp.header("content-type"), Some("application/json"));
    assert_eq!(resp.json(), json!({"id": "w-250", "name": "gear"}));
    server.stop();
}

#[test]
fn head_has_no_body_and_the_get_content_length() {
    let server = SocketServer::start();
    let mut conn = server.connect();
    let get = conn.get("/widgets/abc");
    let head = conn.send("HEAD", "/widgets/abc", &[], b"");
    assert_eq!(head.status, 200);
    assert_eq!(head.header("content-type"), Some("application/json"));
    assert_eq!(
        head.header("content-length"),
        Some(get.body.len().to_string().as_str())
    );
    // Nothing of a body follows: the next response on the connection parses.
    let next = conn.get("/widgets/next");
    assert_eq!(next.status, 200);
    assert_eq!(next.json()["id"], "next");
    server.stop();
}

#[test]
fn options_is_204_with_allow() {
    let server = SocketServer::start();
    let mut conn = server.connect();
    let resp = conn.send("OPTIONS", "/widgets/w1", &[], b"");
    assert_eq!(resp.status, 204);
    assert_eq!(resp.header("allow"), Some("GET, HEAD, OPTIONS"));
    assert_eq!(resp.header("content-length"), None);
    let next = conn.get("/widgets/w2");
    assert_eq!(next.status, 200);
    let resp = conn.send("OPTIONS", "*", &[], b"");
    assert_eq!(resp.status, 204);
    assert_eq!(resp.header("allow"), Some("GET, HEAD, OPTIONS, POST"));
    assert_eq!(resp.header("content-length"), None);
    assert_eq!(conn.get("/widgets/w3").status, 200);
    server.stop();
}

/// What the engine refuses before the app sees a request is still a
/// problem in the framework's format, titled as the framework's own.
#[test]
fn the_engines_refusals_are_problems_titled_like_the_frameworks() {
    let server = SocketServer::start();
    let long = format!("GET /{} HTTP/1.1\r\nHost: t\r\n\r\n", "a".repeat(64 * 1024));
    let many: String = (0..1000).map(|i| format!("X-H{i}: v\r\n")).collect();
    let many = format!("GET /widgets HTTP/1.1\r\nHost: t\r\n{many}\r\n");
    let cases: [(&[u8], u16, &str, &str); 5] = [
        (long.as_bytes(), 414, "uri-too-long", "URI too long"),
        (
            many.as_bytes(),
            431,
            "request-header-fields-too-large",
            "Request header fields too large",
        ),
        (
            b"POST /widgets HTTP/1.1\r\nHost: t\r\nContent-Length: 999999999\r\n\r\n",
            413,
            "payload-too-large",
            "Payload too large",
        ),
        (
            b"POST /widgets HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip\r\n\r\n",
            501,
            "not-implemented",
            "Not implemented",
        ),
        (
            b"GET /widgets HTTP/2.0\r\nHost: t\r\n\r\n",
            505,
            "http-version-not-supported",
            "HTTP version not supported",
        ),
    ];
    for (raw, status, code, title) in cases {
        let resp = server.connect().send_raw(raw, false);
        assert_eq!(resp.status, status, "{}", resp.text());
        assert_eq!(resp.header("content-type"), Some("application/problem+json"));
        let body = resp.json();
        assert_eq!(
            (body["type"].as_str(), body["title"].as_str()),
            (Some(code), Some(title)),
            "{body}"
        );
        if status != 413 {
            assert!(body["detail"].is_string(), "{body}");
            assert_eq!(body["detail"], body["params"]["reason"], "{body}");
        }
    }
    server.stop();
}

struct NoSlash;

#[resource(path = "widgets")]
impl NoSlash {
    async fn read_many(&self) -> Vec<Widget> {
        Vec::new()
    }
}

struct MiswiredApp;

impl App for MiswiredApp {
    async fn wire(&self, w: &mut Wiring) -> Result<(), BoxError> {
        w.include_resource(NoSlash);
        Ok(())
    }
}

#[test]
fn a_wiring_error_stops_serve_before_it_listens() {
    let result = jero::serve(MiswiredApp)
        .addr("127.0.0.1:0")
        .workers(1)
        .handle_signals(false)
        .bind();
    match result {
        Err(jero::ServeError::Wiring(e)) => assert_eq!(
            e.message(),
            r#"resource NoSlash: the path "widgets" does not start with `/`; write it as "/widgets""#
        ),
        Err(e) => panic!("expected a wiring error, got {e}"),
        Ok(bound) => panic!("the app bound to {}", bound.local_addr()),
    }
}
