//! The panic path and response framing over a real loopback socket: the app
//! is served by the engine (`jero::serve(..).bind()`, one worker) and driven
//! with raw HTTP/1.1 over `std::net::TcpStream`.
//!
//! Two layers catch panics. The framework's dispatch catches a handler's
//! panic and answers the generic 500 itself, so to the engine the request
//! succeeded and the connection stays open (keep-alive). Only a panic that
//! escapes the framework (here: a panicking error format, which runs outside
//! the handler's guard) reaches the engine's own guard, which answers 500
//! through `Service::engine_error` and closes the connection.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::thread::JoinHandle;
use std::time::Duration;

use jero::engine::ShutdownHandle;
use jero::{contract, endpoint, App, BoxError, JsonResponse, NoContent, Problem, SetCookie, Wiring};
use serde_json::{json, Value};

// ---------------------------------------------------------------------------
// The app

#[contract]
struct Widget {
    id: String,
    name: String,
}

#[contract]
struct RateHeaders {
    x_rate_limit: u32,
}

struct Boom;

#[endpoint(path = "/boom")]
impl Boom {
    async fn get(&self) -> Widget {
        panic!("boom: secret-panic-detail")
    }
}

struct Healthy;

#[endpoint(path = "/healthy")]
impl Healthy {
    async fn get(&self) -> Widget {
        Widget {
            id: "h1".into(),
            name: "ok".into(),
        }
    }
}

struct LyingLength;

#[endpoint(path = "/lying-length")]
impl LyingLength {
    async fn get(&self) -> JsonResponse<Widget> {
        JsonResponse::new(Widget {
            id: "l1".into(),
            name: "gear".into(),
        })
        .raw_header("Content-Length", "999")
    }

    async fn delete(&self) -> NoContent {
        NoContent::new().raw_header("Content-Length", "999")
    }
}

struct Ordered;

#[endpoint(path = "/ordered")]
impl Ordered {
    async fn get(&self) -> JsonResponse<Widget, RateHeaders> {
        JsonResponse::new(Widget {
            id: "o1".into(),
            name: "gear".into(),
        })
        .raw_header("X-Trace-Id", "t-1")
        .cookie(SetCookie::new("a", "1"))
        .headers(RateHeaders { x_rate_limit: 10 })
        .raw_header("X-Trace-Id", "t-2")
    }
}

fn include_routes(w: &mut Wiring) {
    w.include_endpoint(Boom)
        .include_endpoint(Healthy)
        .include_endpoint(LyingLength)
        .include_endpoint(Ordered);
}

/// Problem Details.
struct PlainApp;

impl App for PlainApp {
    async fn wire(&self, w: &mut Wiring) -> Result<(), BoxError> {
        include_routes(w);
        Ok(())
    }
}

#[contract]
struct HouseError {
    error_code: String,
    message: String,
    http_status: u16,
}

/// A house error format that panics on 404: the panic escapes the
/// framework's guard and reaches the engine's.
struct PanickyFormatApp;

impl App for PanickyFormatApp {
    async fn wire(&self, w: &mut Wiring) -> Result<(), BoxError> {
        include_routes(w);
        w.error_format(|p: &Problem| {
            if p.status() == 404 {
                panic!("error format boom");
            }
            HouseError {
                error_code: p.code().to_owned(),
                message: p.detail().unwrap_or(p.title()).to_owned(),
                http_status: p.status(),
            }
        });
        Ok(())
    }
}

/// A house error format that always panics, even for the engine's 500.
struct AlwaysPanickyFormatApp;

impl App for AlwaysPanickyFormatApp {
    async fn wire(&self, w: &mut Wiring) -> Result<(), BoxError> {
        include_routes(w);
        w.error_format(|_: &Problem| -> HouseError { panic!("error format always boom") });
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// A served app and a tiny HTTP/1.1 client

struct Server {
    addr: SocketAddr,
    shutdown: ShutdownHandle,
    thread: Option<JoinHandle<Result<(), jero::ServeError>>>,
}

impl Server {
    fn start(app: impl App) -> Server {
        let bound = jero::serve(app)
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
        }
    }

    fn connect(&self) -> Conn {
        let stream = TcpStream::connect(self.addr).expect("connect");
        stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        stream.set_nodelay(true).unwrap();
        Conn {
            reader: BufReader::new(stream.try_clone().unwrap()),
            writer: stream,
        }
    }

    /// Stops the server and waits for it to finish cleanly.
    fn stop(mut self) {
        self.shutdown.shutdown();
        let result = self
            .thread
            .take()
            .unwrap()
            .join()
            .expect("the server thread panicked");
        result.expect("the server ran cleanly");
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

    fn header_all(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
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
    /// Sends one bodiless request and reads its response.
    fn send(&mut self, method: &str, target: &str) -> Resp {
        let raw = format!("{method} {target} HTTP/1.1\r\nHost: localhost\r\n\r\n");
        self.writer.write_all(raw.as_bytes()).expect("write the request");
        self.read_response(method == "HEAD")
    }

    fn get(&mut self, target: &str) -> Resp {
        self.send("GET", target)
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

    /// Whether the server closed the connection (EOF, nothing more sent).
    fn closed_by_server(&mut self) -> bool {
        let mut rest = Vec::new();
        match self.reader.read_to_end(&mut rest) {
            Ok(_) => rest.is_empty(),
            Err(_) => false,
        }
    }
}

const GENERIC_500: &str = r#"{"type":"internal-server-error","title":"Internal server error","status":500}"#;

// ---------------------------------------------------------------------------
// A handler panic: caught by the framework

#[test]
fn panic_is_the_generic_500_over_a_socket() {
    let server = Server::start(PlainApp);
    let resp = server.connect().get("/boom");
    assert_eq!(resp.status, 500);
    assert_eq!(resp.header("content-type"), Some("application/problem+json"));
    assert_eq!(resp.text(), GENERIC_500);
    assert!(!resp.text().contains("secret"));
    server.stop();
}

#[test]
fn panic_keeps_the_connection_alive() {
    // The framework catches the panic, so the engine sees an ordinary 500
    // and keeps the connection: no `connection: close`, and the same
    // connection serves the next request.
    let server = Server::start(PlainApp);
    let mut conn = server.connect();
    let resp = conn.get("/boom");
    assert_eq!(resp.status, 500);
    assert_eq!(resp.header("connection"), None);
    let next = conn.get("/healthy");
    assert_eq!(next.status, 200, "{}", next.text());
    assert_eq!(next.json(), json!({"id": "h1", "name": "ok"}));
    server.stop();
}

#[test]
fn panic_does_not_stop_the_worker() {
    let server = Server::start(PlainApp);
    assert_eq!(server.connect().get("/boom").status, 500);
    // A new connection to the same (only) worker.
    let next = server.connect().get("/healthy");
    assert_eq!(next.status, 200, "{}", next.text());
    assert_eq!(next.json(), json!({"id": "h1", "name": "ok"}));
    server.stop();
}

#[test]
fn repeated_panics_on_one_connection_keep_answering() {
    let server = Server::start(PlainApp);
    let mut conn = server.connect();
    for _ in 0..3 {
        let resp = conn.get("/boom");
        assert_eq!(resp.status, 500);
        assert_eq!(resp.text(), GENERIC_500);
    }
    assert_eq!(conn.get("/healthy").status, 200);
    server.stop();
}

// ---------------------------------------------------------------------------
// A panic that escapes the framework: caught by the engine

#[test]
fn escaped_panic_is_500_and_closes_the_connection() {
    let server = Server::start(PanickyFormatApp);
    let mut conn = server.connect();
    let resp = conn.get("/nowhere");
    assert_eq!(resp.status, 500, "{}", resp.text());
    assert_eq!(resp.header("connection"), Some("close"));
    assert!(conn.closed_by_server());
    server.stop();
}

#[test]
fn escaped_panic_does_not_stop_the_worker() {
    let server = Server::start(PanickyFormatApp);
    assert_eq!(server.connect().get("/nowhere").status, 500);
    let next = server.connect().get("/healthy");
    assert_eq!(next.status, 200, "{}", next.text());
    server.stop();
}

#[test]
fn escaped_panic_body_is_the_generic_500() {
    let server = Server::start(PanickyFormatApp);
    let resp = server.connect().get("/nowhere");
    assert_eq!(resp.status, 500, "{}", resp.text());
    assert_eq!(resp.header("content-type"), Some("application/json"));
    assert_eq!(
        resp.json(),
        json!({"error_code": "internal-server-error", "message": "Internal server error", "http_status": 500})
    );
    server.stop();
}

#[test]
fn always_panicking_error_format_does_not_stop_the_worker() {
    let server = Server::start(AlwaysPanickyFormatApp);
    let mut conn = server.connect();
    let resp = conn.get("/nowhere");
    assert_eq!(resp.status, 500, "{}", resp.text());
    let next = server.connect().get("/healthy");
    assert_eq!(next.status, 200, "{}", next.text());
    server.stop();
}

// ---------------------------------------------------------------------------
// Framing and header order on the wire

#[test]
fn raw_content_length_is_replaced_on_the_wire() {
    let server = Server::start(PlainApp);
    let mut conn = server.connect();
    let resp = conn.get("/lying-length");
    assert_eq!(resp.status, 200);
    assert_eq!(resp.header_all("content-length"), ["25"]);
    assert_eq!(resp.text(), r#"{"id":"l1","name":"gear"}"#);
    // The framing was right: the next response on the connection parses.
    let next = conn.get("/healthy");
    assert_eq!(next.status, 200, "{}", next.text());
    server.stop();
}

#[test]
fn raw_content_length_on_no_content_is_not_sent() {
    let server = Server::start(PlainApp);
    let mut conn = server.connect();
    let resp = conn.send("DELETE", "/lying-length");
    assert_eq!(resp.status, 204);
    assert_eq!(resp.header("content-length"), None);
    assert_eq!(resp.header("content-type"), None);
    let next = conn.get("/healthy");
    assert_eq!(next.status, 200, "{}", next.text());
    server.stop();
}

#[test]
fn header_order_on_the_wire() {
    let server = Server::start(PlainApp);
    let resp = server.connect().get("/ordered");
    assert_eq!(resp.status, 200);
    let names: Vec<(&str, &str)> = resp
        .headers
        .iter()
        .map(|(n, v)| (n.as_str(), if n == "date" { "DATE" } else { v.as_str() }))
        .collect();
    assert_eq!(
        names,
        [
            ("x-rate-limit", "10"),
            ("set-cookie", "a=1; Path=/; Secure; HttpOnly; SameSite=Lax"),
            ("X-Trace-Id", "t-1"),
            ("X-Trace-Id", "t-2"),
            ("content-type", "application/json"),
            ("date", "DATE"),
            ("content-length", "25"),
        ]
    );
    server.stop();
}
