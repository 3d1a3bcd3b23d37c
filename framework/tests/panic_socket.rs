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

use futures_util::StreamExt;
use jero::{
    contract, endpoint, App, BoxError, JsonResponse, NoContent, Problem, SetCookie, StreamingResponse, Wiring,
};
use serde_json::json;

mod common;
use common::Server;

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

struct Background;

#[endpoint(path = "/background")]
impl Background {
    /// Starts a task that panics after the response is sent; `jero::spawn`
    /// keeps the panic from unwinding through the worker.
    async fn post(&self) -> NoContent {
        let _task = jero::spawn(async {
            monoio::time::sleep(std::time::Duration::from_millis(5)).await;
            panic!("background job failed");
        });
        NoContent::new()
    }

    /// The same with a task that panics the first time it runs.
    async fn put(&self) -> NoContent {
        let _task = jero::spawn(async { panic!("background job failed at once") });
        NoContent::new()
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

/// Responses the engine cannot send as they are.
struct Unsendable;

#[endpoint(path = "/unsendable")]
impl Unsendable {
    /// An interim status as the final answer.
    async fn get(&self) -> JsonResponse<Widget> {
        JsonResponse::new(Widget {
            id: "u1".into(),
            name: "gear".into(),
        })
        .status(100)
    }

    /// A header value that would split the head.
    async fn post(&self) -> JsonResponse<Widget> {
        JsonResponse::new(Widget {
            id: "u2".into(),
            name: "gear".into(),
        })
        .raw_header("X-Split", "a\r\nset-cookie: session=attacker")
    }

    /// A JSON body on a 204: neither body, length nor content type is sent.
    async fn put(&self) -> JsonResponse<Widget> {
        JsonResponse::new(Widget {
            id: "u3".into(),
            name: "gear".into(),
        })
        .status(204)
    }
}

/// A value whose teardown panics, owned by a response stream.
struct DropBomb;

impl Drop for DropBomb {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            panic!("drop bomb: secret-teardown-detail");
        }
    }
}

/// One chunk, from a stream that owns a [`DropBomb`].
fn bomb_stream() -> impl futures_util::Stream<Item = &'static str> {
    let bomb = DropBomb;
    futures_util::stream::iter(["chunk"]).inspect(move |_| {
        let _ = &bomb;
    })
}

/// Streams whose teardown panics: run to the end (GET), never run (HEAD,
/// a 204).
struct Bombs;

#[endpoint(path = "/bomb-stream")]
impl Bombs {
    async fn get(&self) -> StreamingResponse {
        StreamingResponse::new(bomb_stream())
    }

    async fn delete(&self) -> StreamingResponse {
        StreamingResponse::new(bomb_stream()).status(204)
    }
}

/// Framing cases the TestClient must agree with the socket on.
struct Framing;

#[endpoint(path = "/framing")]
impl Framing {
    async fn get(&self) -> StreamingResponse {
        StreamingResponse::new(futures_util::stream::iter(["a", "b"]))
    }

    async fn post(&self) -> JsonResponse<Widget> {
        JsonResponse::new(Widget {
            id: "f1".into(),
            name: "gear".into(),
        })
        .raw_header("ConNecTion", "keep-alive, Close")
    }

    /// The body it got, back.
    async fn put(&self, content: jero::Bytes) -> JsonResponse<Widget> {
        JsonResponse::new(Widget {
            id: "f2".into(),
            name: String::from_utf8_lossy(&content).into_owned(),
        })
    }
}

fn include_routes(w: &mut Wiring) {
    w.include_endpoint(Framing)
        .include_endpoint(Bombs)
        .include_endpoint(Boom)
        .include_endpoint(Healthy)
        .include_endpoint(Background)
        .include_endpoint(LyingLength)
        .include_endpoint(Ordered)
        .include_endpoint(Unsendable);
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
    let resp = conn.send("DELETE", "/lying-length", &[], b"");
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
            ("date", "DATE"),
            ("content-length", "25"),
            ("x-rate-limit", "10"),
            ("set-cookie", "a=1; Path=/; Secure; HttpOnly; SameSite=Lax"),
            ("X-Trace-Id", "t-1"),
            ("X-Trace-Id", "t-2"),
            ("content-type", "application/json"),
        ]
    );
    server.stop();
}

// ---------------------------------------------------------------------------
// Responses the engine refuses: the generic 500 problem, and the
// connection stays in step

#[test]
fn interim_status_as_an_answer_is_the_generic_500_and_keeps_the_connection_in_step() {
    let server = Server::start(PlainApp);
    let mut conn = server.connect();
    let resp = conn.get("/unsendable");
    assert_eq!(resp.status, 500, "{}", resp.text());
    assert_eq!(resp.header("content-type"), Some("application/problem+json"));
    assert_eq!(resp.text(), GENERIC_500);
    // Had `100 Continue` gone out, this read would get the 500 or worse.
    let next = conn.get("/healthy");
    assert_eq!(next.status, 200, "{}", next.text());
    assert_eq!(next.json(), json!({"id": "h1", "name": "ok"}));
    server.stop();
}

#[test]
fn header_injection_is_the_generic_500_problem_on_the_wire() {
    let server = Server::start(PlainApp);
    let mut conn = server.connect();
    let resp = conn.send("POST", "/unsendable", &[], b"");
    assert_eq!(resp.status, 500, "{}", resp.text());
    assert_eq!(resp.text(), GENERIC_500);
    assert_eq!(resp.header("set-cookie"), None);
    assert_eq!(resp.header("x-split"), None);
    assert_eq!(conn.get("/healthy").status, 200);
    server.stop();
}

#[test]
fn json_body_on_a_204_sends_no_body_length_or_content_type() {
    let server = Server::start(PlainApp);
    let mut conn = server.connect();
    let resp = conn.send("PUT", "/unsendable", &[], b"");
    assert_eq!(resp.status, 204);
    assert_eq!(resp.header("content-type"), None);
    assert_eq!(resp.header("content-length"), None);
    assert_eq!(resp.text(), "");
    let next = conn.get("/healthy");
    assert_eq!(next.status, 200, "{}", next.text());
    server.stop();
}

// ---------------------------------------------------------------------------
// A spawned task that panics: logged, the worker keeps serving

#[test]
fn spawned_task_panic_does_not_stop_the_worker() {
    // One worker: a task spawned with `monoio::spawn` whose panic unwound
    // through the runtime would stop it, and every later connection would
    // be refused or hang.
    let server = Server::start(PlainApp);
    let mut conn = server.connect();
    for _ in 0..3 {
        assert_eq!(conn.send("POST", "/background", &[], b"").status, 204);
    }
    // Long enough for the tasks to have run and panicked.
    std::thread::sleep(std::time::Duration::from_millis(100));
    let next = conn.get("/healthy");
    assert_eq!(next.status, 200, "{}", next.text());
    assert_eq!(server.connect().get("/healthy").status, 200);
    server.stop();
}

#[test]
fn spawned_task_panic_does_not_reach_the_test_client() {
    let c = jero_testing::TestClient::new(PlainApp);
    assert_eq!(c.put("/background").send().status(), 204);
    // The task runs (and panics) while the client's runtime serves the
    // next requests.
    for _ in 0..3 {
        assert_eq!(c.get("/healthy").send().status(), 200);
    }
}

// ---------------------------------------------------------------------------
// A stream whose teardown panics: logged, the worker keeps serving

#[test]
fn stream_teardown_panic_does_not_stop_the_worker() {
    // One worker: had a teardown panic unwound through it, every later
    // connection would be refused.
    let server = Server::start(PlainApp);
    for (method, status, body) in [("GET", 200, "chunk"), ("HEAD", 200, ""), ("DELETE", 204, "")] {
        let mut conn = server.connect();
        let resp = conn.send(method, "/bomb-stream", &[], b"");
        assert_eq!(resp.status, status, "{method}");
        assert_eq!(resp.text(), body, "{method}");
        // The same connection, and a new one, still answer.
        let next = conn.get("/healthy");
        assert_eq!(next.status, 200, "{method}: {}", next.text());
        assert_eq!(server.connect().get("/healthy").status, 200, "{method}");
    }
    server.stop();
}

#[test]
fn stream_teardown_panic_does_not_reach_the_test_client() {
    let c = jero_testing::TestClient::new(PlainApp);
    let resp = c.get("/bomb-stream").send();
    assert_eq!((resp.status(), resp.text()), (200, "chunk".to_owned()));
    assert_eq!(c.head("/bomb-stream").send().status(), 200);
    assert_eq!(c.delete("/bomb-stream").send().status(), 204);
    // Dropped unread: a client that disconnects.
    drop(c.get("/bomb-stream").stream());
    assert_eq!(c.get("/healthy").send().status(), 200);
}

// ---------------------------------------------------------------------------
// The TestClient frames responses as the engine does

#[test]
fn test_client_agrees_with_the_socket_on_framing() {
    let server = Server::start(PlainApp);
    let client = jero_testing::TestClient::new(PlainApp);
    let cases: [(&[u8], bool); 13] = [
        (
            b"PUT /framing HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
            false,
        ),
        (
            b"PUT /framing HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nZZZZ\r\n",
            false,
        ),
        (
            b"PUT /framing HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhello",
            false,
        ),
        (b"GET /framing HTTP/1.1\r\nHost: a\r\n\r\n", false),
        (b"GET /framing HTTP/1.0\r\n\r\n", false),
        (b"HEAD /framing HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", true),
        (
            b"DELETE /lying-length HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
            false,
        ),
        (
            b"DELETE /bomb-stream HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
            false,
        ),
        (b"GET /framing HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", false),
        (b"GET /healthy HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", false),
        (
            b"GET /healthy HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
            false,
        ),
        (b"POST /framing HTTP/1.1\r\nHost: a\r\n\r\n", false),
        // Rejected by the engine: HTTP/1.1 without Host.
        (b"GET /healthy HTTP/1.1\r\n\r\n", false),
    ];
    for (raw, is_head) in cases {
        let what = String::from_utf8_lossy(raw)
            .lines()
            .next()
            .unwrap_or_default()
            .to_owned();
        let wire = server.connect().send_raw(raw, is_head);
        let test = client.send_raw(raw.to_vec());
        let wire_headers: Vec<(String, String)> = wire
            .headers
            .iter()
            .filter(|(n, _)| n != "date")
            .map(|(n, v)| (n.clone(), v.clone()))
            .collect();
        let test_headers: Vec<(String, String)> = test
            .headers()
            .iter()
            .map(|(n, v)| (n.clone(), String::from_utf8_lossy(v).into_owned()))
            .collect();
        assert_eq!(test.status(), wire.status, "{what}");
        assert_eq!(test_headers, wire_headers, "{what}");
        assert_eq!(test.body().as_ref(), &wire.body[..], "{what}");
    }
    server.stop();
}
