//! The main binding and status rules over a real loopback socket: the app is
//! served by the engine (`jero::serve(..).bind()`, one worker) and driven
//! with raw HTTP/1.1 over `std::net::TcpStream`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use jero::engine::ShutdownHandle;
use jero::{contract, resource, App, BoxError, Wiring};
use serde_json::{json, Value};

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

struct Server {
    addr: SocketAddr,
    shutdown: ShutdownHandle,
    thread: Option<JoinHandle<Result<(), jero::ServeError>>>,
    torn_down: Arc<AtomicBool>,
}

impl Server {
    fn start() -> Server {
        let torn_down = Arc::new(AtomicBool::new(false));
        let bound = jero::serve(SocketApp {
            torn_down: torn_down.clone(),
        })
        .addr("127.0.0.1:0")
        .workers(1)
        .handle_signals(false)
        .bind()
        .expect("the app binds");
        let addr = bound.local_addr();
        let shutdown = bound.shutdown_handle();
        let thread = std::thread::spawn(move || bound.run());
        Server {
            addr,
            shutdown,
            thread: Some(thread),
            torn_down,
        }
    }

    fn connect(&self) -> Conn {
        let stream = TcpStream::connect(self.addr).expect("connect");
        stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        stream.set_nodelay(true).unwrap();
        Conn {
            reader: BufReader::new(stream.try_clone().unwrap()),
            writer: stream,
        }
    }

    /// Stops the server, waits for it, and checks the teardown ran.
    fn stop(mut self) {
        self.shutdown.shutdown();
        let result = self
            .thread
            .take()
            .unwrap()
            .join()
            .expect("the server thread panicked");
        result.expect("the server ran cleanly");
        assert!(
            self.torn_down.load(Ordering::SeqCst),
            "teardown did not run at shutdown"
        );
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // A failed test still stops its server.
        if let Some(thread) = self.thread.take() {
            self.shutdown.shutdown();
            let _ = thread.join();
        }
    }
}

/// One keep-alive connection.
struct Conn {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

#[derive(Debug)]
struct Resp {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Resp {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    #[track_caller]
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
}

impl Conn {
    /// Sends one request and reads its response.
    fn send(&mut self, method: &str, target: &str, headers: &[(&str, &str)], body: &[u8]) -> Resp {
        let mut raw = format!("{method} {target} HTTP/1.1\r\nHost: localhost\r\n");
        for (n, v) in headers {
            raw.push_str(&format!("{n}: {v}\r\n"));
        }
        if !body.is_empty() {
            raw.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        raw.push_str("\r\n");
        let mut bytes = raw.into_bytes();
        bytes.extend_from_slice(body);
        self.writer.write_all(&bytes).expect("write the request");
        self.read_response(method == "HEAD")
    }

    fn get(&mut self, target: &str) -> Resp {
        self.send("GET", target, &[], b"")
    }

    /// Reads a response framed by `Content-Length` (no body for HEAD, 1xx,
    /// 204 and 304).
    fn read_response(&mut self, is_head: bool) -> Resp {
        let mut line = String::new();
        self.reader.read_line(&mut line).expect("read the status line");
        let mut parts = line.trim_end().splitn(3, ' ');
        assert_eq!(parts.next(), Some("HTTP/1.1"), "status line: {line:?}");
        let status: u16 = parts.next().and_then(|s| s.parse().ok()).expect("a status code");
        let mut headers = Vec::new();
        loop {
            let mut line = String::new();
            self.reader.read_line(&mut line).expect("read a header line");
            let line = line.trim_end_matches(['\r', '\n']);
            if line.is_empty() {
                break;
            }
            let (n, v) = line.split_once(':').expect("a header line");
            headers.push((n.to_owned(), v.trim().to_owned()));
        }
        let mut resp = Resp {
            status,
            headers,
            body: Vec::new(),
        };
        let bodiless = is_head || status < 200 || status == 204 || status == 304;
        if !bodiless {
            assert!(
                resp.header("transfer-encoding").is_none(),
                "unexpected chunked response"
            );
            let len: usize = resp
                .header("content-length")
                .expect("a content-length")
                .parse()
                .expect("a numeric content-length");
            resp.body = vec![0; len];
            self.reader.read_exact(&mut resp.body).expect("read the body");
        }
        resp
    }
}

// ---------------------------------------------------------------------------
// Tests

#[test]
fn path_binding_is_200_json() {
    let server = Server::start();
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
    let server = Server::start();
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
    let server = Server::start();
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
    let server = Server::start();
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
    let server = Server::start();
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
    let server = Server::start();
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
    let server = Server::start();
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
    let server = Server::start();
    let mut conn = server.connect();
    let resp = conn.send("OPTIONS", "/widgets/w1", &[], b"");
    assert_eq!(resp.status, 204);
    assert_eq!(resp.header("allow"), Some("GET, HEAD, OPTIONS"));
    assert_eq!(resp.header("content-length"), None);
    let next = conn.get("/widgets/w2");
    assert_eq!(next.status, 200);
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
