//! Helpers for the loopback integration tests: a test server with a few
//! routes, a raw `std::net::TcpStream` client and a small HTTP/1.1 response
//! reader.

#![allow(dead_code)]

use std::collections::VecDeque;
use std::future::Future;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_core::Stream;
use jero_engine::{
    Body, BoxError, Driver, Limits, Request, Response, Server, Service, ShutdownHandle, Timeouts,
};

/// Which driver a test runs on, and the name `driver_name()` must report.
#[derive(Clone, Copy, Debug)]
pub struct Drv {
    pub driver: Driver,
    pub name: &'static str,
}

pub const URING: Drv = Drv {
    driver: Driver::IoUring,
    name: "io_uring",
};
pub const EPOLL: Drv = Drv {
    driver: Driver::Epoll,
    name: "epoll",
};

/// Read timeout of every client socket: a hung test fails instead of hanging.
pub const READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Body size of `/seq/<n>` responses.
pub const SEQ_BODY: usize = 16 * 1024;

/// Counters shared between a test and its server's services.
#[derive(Default, Debug)]
pub struct Shared {
    /// Test streams dropped (their teardown ran).
    pub stream_drops: AtomicUsize,
    /// Times any test stream was polled.
    pub stream_polls: AtomicUsize,
    /// Requests that entered the `/sleep` route.
    pub sleep_entered: AtomicUsize,
}

impl Shared {
    pub fn drops(&self) -> usize {
        self.stream_drops.load(Ordering::SeqCst)
    }
    pub fn polls(&self) -> usize {
        self.stream_polls.load(Ordering::SeqCst)
    }
    pub fn entered(&self) -> usize {
        self.sleep_entered.load(Ordering::SeqCst)
    }
}

/// The routes every test server answers.
///
/// * `/driver`: the worker's `driver_name()`
/// * `/echo`: the request body, with `x-body-len`
/// * `/hello`: `hello`
/// * `/seq/<n>`: [`SEQ_BODY`] bytes starting with `<n>\n`
/// * `/sleep`: sleeps 500 ms, then `slept`
/// * `/stream`: chunks `one`, `two`, `three` 20 ms apart, then the end
/// * `/stream-error`: chunk `one`, then an error
/// * `/stream-forever`: `tick\n` every 10 ms, forever
/// * `/stream-silent`: `hello\n`, then nothing, forever
/// * anything else: the request target as body
///
/// Before a body is read (`Service::before_body`), `/early` is refused
/// with a 401 of 20,000 bytes and `/early-stream` with a streamed 401.
pub struct TestService {
    shared: Arc<Shared>,
}

impl Service for TestService {
    async fn before_body(&self, req: &mut Request) -> Option<Response> {
        match req.path() {
            "/early" => Some(Response::new(401).with_body(vec![b'x'; 20_000])),
            "/early-stream" => Some(Response::new(401).with_body(Body::stream(TestStream::new(
                &self.shared,
                vec![Item::Chunk("one"), Item::Chunk("two")],
                Duration::ZERO,
            )))),
            _ => None,
        }
    }

    async fn call(&self, req: Request) -> Response {
        let path = req.path().to_owned();
        match path.as_str() {
            "/driver" => Response::new(200).with_body(jero_engine::driver_name()),
            "/echo" => Response::new(200)
                .with_header("content-type", "application/octet-stream")
                .with_header("x-body-len", req.body().len().to_string())
                .with_body(req.body().clone()),
            "/hello" => Response::new(200)
                .with_header("content-type", "text/plain")
                .with_body("hello"),
            "/sleep" => {
                self.shared.sleep_entered.fetch_add(1, Ordering::SeqCst);
                monoio::time::sleep(Duration::from_millis(500)).await;
                Response::new(200).with_body("slept")
            }
            "/stream" => Response::new(200).with_body(Body::stream(TestStream::new(
                &self.shared,
                vec![Item::Chunk("one"), Item::Chunk("two"), Item::Chunk("three")],
                Duration::from_millis(20),
            ))),
            "/stream-error" => Response::new(200).with_body(Body::stream(TestStream::new(
                &self.shared,
                vec![Item::Chunk("one"), Item::Fail],
                Duration::from_millis(20),
            ))),
            "/stream-forever" => Response::new(200).with_body(Body::stream(TestStream::new(
                &self.shared,
                Vec::new(),
                Duration::from_millis(10),
            ))),
            "/stream-silent" => Response::new(200).with_body(Body::stream(TestStream::new(
                &self.shared,
                vec![Item::Chunk("hello\n"), Item::Never],
                Duration::ZERO,
            ))),
            p if p.starts_with("/seq/") => {
                let mut body = format!("{}\n", &p[5..]).into_bytes();
                body.resize(SEQ_BODY, b'.');
                Response::new(200).with_body(body)
            }
            _ => Response::new(200).with_body(req.target().to_owned()),
        }
    }
}

pub enum Item {
    Chunk(&'static str),
    Fail,
    /// Pending forever.
    Never,
}

/// A response body stream that counts its polls and its drop. With no items
/// it yields `tick\n` forever; `delay` is slept before each item.
pub struct TestStream {
    items: VecDeque<Item>,
    forever: bool,
    delay: Duration,
    sleep: Option<Pin<Box<monoio::time::Sleep>>>,
    /// The waker of an `Item::Never` wait.
    parked: Option<std::task::Waker>,
    shared: Arc<Shared>,
}

impl TestStream {
    fn new(shared: &Arc<Shared>, items: Vec<Item>, delay: Duration) -> TestStream {
        TestStream {
            forever: items.is_empty(),
            items: items.into(),
            delay,
            sleep: None,
            parked: None,
            shared: shared.clone(),
        }
    }
}

impl Stream for TestStream {
    type Item = Result<Bytes, BoxError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        this.shared.stream_polls.fetch_add(1, Ordering::SeqCst);
        if !this.delay.is_zero() {
            let delay = this.delay;
            let sleep = this
                .sleep
                .get_or_insert_with(|| Box::pin(monoio::time::sleep(delay)));
            if sleep.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            this.sleep = None;
        }
        if this.forever {
            return Poll::Ready(Some(Ok(Bytes::from_static(b"tick\n"))));
        }
        if matches!(this.items.front(), Some(Item::Never)) {
            // Kept, as a stream waiting for an event keeps the waker it
            // will be woken with (a stream that kept none could never be
            // polled again, and the runtime would drop its task).
            this.parked = Some(cx.waker().clone());
            return Poll::Pending;
        }
        Poll::Ready(match this.items.pop_front() {
            Some(Item::Chunk(s)) => Some(Ok(Bytes::from_static(s.as_bytes()))),
            Some(Item::Never) => unreachable!("handled above"),
            Some(Item::Fail) => Some(Err("stream failed on purpose".into())),
            None => None,
        })
    }
}

impl Drop for TestStream {
    fn drop(&mut self) {
        self.shared.stream_drops.fetch_add(1, Ordering::SeqCst);
    }
}

/// Server settings for one test.
#[derive(Clone, Debug)]
pub struct Opts {
    pub workers: usize,
    pub limits: Limits,
    pub timeouts: Timeouts,
}

impl Default for Opts {
    fn default() -> Self {
        Opts {
            workers: 2,
            limits: Limits::default(),
            timeouts: Timeouts {
                shutdown_grace: Duration::from_secs(3),
                ..Timeouts::default()
            },
        }
    }
}

/// A running server on a free loopback port. Dropping it shuts it down and
/// waits (bounded) for `serve` to return.
pub struct TestServer {
    pub addr: SocketAddr,
    pub shared: Arc<Shared>,
    handle: ShutdownHandle,
    done: mpsc::Receiver<io::Result<()>>,
    stopped: bool,
}

impl TestServer {
    pub fn start(d: Drv) -> TestServer {
        TestServer::with(d, Opts::default())
    }

    /// Starts a server and checks that its workers run on the asked driver.
    pub fn with(d: Drv, opts: Opts) -> TestServer {
        let server = Server::builder()
            .addr("127.0.0.1:0")
            .workers(opts.workers)
            .limits(opts.limits)
            .timeouts(opts.timeouts)
            .driver(d.driver)
            .handle_signals(false)
            .bind()
            .expect("bind");
        let addr = server.local_addr();
        let handle = server.shutdown_handle();
        let shared = Arc::new(Shared::default());
        let (tx, done) = mpsc::channel();
        let for_workers = shared.clone();
        std::thread::Builder::new()
            .name("test-serve".into())
            .spawn(move || {
                let res = server.serve(move || TestService {
                    shared: for_workers.clone(),
                });
                let _ = tx.send(res);
            })
            .expect("spawn serve thread");
        let ts = TestServer {
            addr,
            shared,
            handle,
            done,
            stopped: false,
        };
        // Every worker must be on the asked driver; with SO_REUSEPORT a few
        // connections reach each of them.
        for _ in 0..opts.workers * 4 {
            let res = ts.get_close("/driver");
            assert_eq!(res.status, 200);
            assert_eq!(res.body_str(), d.name, "worker runs on the wrong driver");
        }
        ts
    }

    pub fn connect(&self) -> Client {
        Client::connect(self.addr)
    }

    /// One request on a fresh connection (with `Connection: close`).
    pub fn get_close(&self, path: &str) -> Resp {
        let mut c = self.connect();
        c.send(format!("GET {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n").as_bytes());
        c.response()
    }

    /// Asserts the server still serves: a fresh connection gets a 200.
    pub fn assert_alive(&self) {
        let res = self.get_close("/hello");
        assert_eq!(res.status, 200, "the server stopped serving");
        assert_eq!(res.body_str(), "hello");
    }

    pub fn shutdown_handle(&self) -> &ShutdownHandle {
        &self.handle
    }

    /// Starts the shutdown without waiting.
    pub fn begin_shutdown(&self) {
        self.handle.shutdown();
    }

    /// Waits until `serve` has returned (at most `within`), returning its result.
    pub fn wait_stopped(&mut self, within: Duration) -> io::Result<()> {
        let res = self
            .done
            .recv_timeout(within)
            .expect("serve did not return in time");
        self.stopped = true;
        // `serve` has returned, so this cannot block for long.
        self.handle.wait();
        res
    }

    /// Shuts down and waits until `serve` has returned.
    pub fn stop(&mut self) {
        self.handle.shutdown();
        self.wait_stopped(Duration::from_secs(15)).expect("serve failed");
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if self.stopped {
            return;
        }
        self.handle.shutdown();
        let res = self.done.recv_timeout(Duration::from_secs(15));
        if !std::thread::panicking() {
            res.expect("serve did not return after shutdown")
                .expect("serve failed");
            self.handle.wait();
        }
    }
}

/// A parsed response.
#[derive(Debug, Default, Clone)]
pub struct Resp {
    pub status: u16,
    pub reason: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Chunk sizes of a chunked body, in order.
    pub chunks: Vec<usize>,
    pub trailers: Vec<(String, String)>,
}

impl Resp {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn count(&self, name: &str) -> usize {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .count()
    }

    pub fn body_str(&self) -> &str {
        std::str::from_utf8(&self.body).expect("utf-8 body")
    }

    pub fn is_chunked(&self) -> bool {
        self.header("transfer-encoding")
            .is_some_and(|v| v.eq_ignore_ascii_case("chunked"))
    }
}

/// A raw HTTP/1.1 client over a blocking `std::net::TcpStream`.
pub struct Client {
    pub stream: TcpStream,
    /// Received bytes not yet consumed by the response reader.
    pub buf: Vec<u8>,
    /// Reads that returned data or EOF.
    pub reads: usize,
}

impl Client {
    pub fn connect(addr: SocketAddr) -> Client {
        let stream = TcpStream::connect(addr).expect("connect");
        stream.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
        stream.set_write_timeout(Some(READ_TIMEOUT)).unwrap();
        stream.set_nodelay(true).unwrap();
        Client::from_stream(stream)
    }

    pub fn from_stream(stream: TcpStream) -> Client {
        Client {
            stream,
            buf: Vec::new(),
            reads: 0,
        }
    }

    pub fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).expect("write");
        self.stream.flush().unwrap();
    }

    /// Sends `bytes` ignoring errors (the server may already have closed).
    pub fn send_lossy(&mut self, bytes: &[u8]) {
        let _ = self.stream.write_all(bytes);
    }

    pub fn get(&mut self, path: &str) -> Resp {
        self.send(format!("GET {path} HTTP/1.1\r\nHost: test\r\n\r\n").as_bytes());
        self.response()
    }

    /// Reads more bytes into the buffer; `Ok(0)` at EOF.
    fn fill(&mut self) -> io::Result<usize> {
        let mut tmp = [0u8; 16 * 1024];
        let n = self.stream.read(&mut tmp)?;
        self.reads += 1;
        self.buf.extend_from_slice(&tmp[..n]);
        Ok(n)
    }

    /// One read into the buffer; returns the bytes read (0 at EOF).
    pub fn read_once(&mut self) -> usize {
        self.fill().expect("read")
    }

    fn fill_some(&mut self) -> io::Result<()> {
        if self.fill()? == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "connection closed mid-response",
            ));
        }
        Ok(())
    }

    /// Reads and removes one line (without CRLF).
    fn line(&mut self) -> io::Result<String> {
        loop {
            if let Some(p) = self.buf.windows(2).position(|w| w == b"\r\n") {
                let line = String::from_utf8_lossy(&self.buf[..p]).into_owned();
                self.buf.drain(..p + 2);
                return Ok(line);
            }
            self.fill_some()?;
        }
    }

    fn take(&mut self, n: usize) -> io::Result<Vec<u8>> {
        while self.buf.len() < n {
            self.fill_some()?;
        }
        Ok(self.buf.drain(..n).collect())
    }

    /// Reads one response to a non-HEAD request.
    pub fn response(&mut self) -> Resp {
        self.try_response(false).expect("read response")
    }

    /// Reads one response to a HEAD request (no body follows).
    pub fn head_response(&mut self) -> Resp {
        self.try_response(true).expect("read response")
    }

    /// Reads one response: status line, headers, then the body framed by
    /// `transfer-encoding: chunked`, `content-length` or the connection close.
    pub fn try_response(&mut self, head: bool) -> io::Result<Resp> {
        let status_line = self.line()?;
        let mut parts = status_line.splitn(3, ' ');
        let version = parts.next().unwrap_or_default();
        assert_eq!(version, "HTTP/1.1", "status line: {status_line:?}");
        let status: u16 = parts
            .next()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
        let reason = parts.next().unwrap_or_default().to_owned();
        let mut res = Resp {
            status,
            reason,
            ..Resp::default()
        };
        loop {
            let line = self.line()?;
            if line.is_empty() {
                break;
            }
            let (n, v) = line
                .split_once(':')
                .unwrap_or_else(|| panic!("bad header line {line:?}"));
            res.headers.push((n.to_owned(), v.trim().to_owned()));
        }
        if head || status < 200 || status == 204 || status == 304 {
            return Ok(res);
        }
        if res.is_chunked() {
            loop {
                let size_line = self.line()?;
                let hex = size_line.split(';').next().unwrap_or_default().trim();
                let size = usize::from_str_radix(hex, 16)
                    .unwrap_or_else(|_| panic!("bad chunk size line {size_line:?}"));
                if size == 0 {
                    break;
                }
                let data = self.take(size)?;
                res.body.extend_from_slice(&data);
                res.chunks.push(size);
                let crlf = self.take(2)?;
                assert_eq!(crlf, b"\r\n", "chunk data not followed by CRLF");
            }
            loop {
                let line = self.line()?;
                if line.is_empty() {
                    break;
                }
                let (n, v) = line.split_once(':').expect("trailer line");
                res.trailers.push((n.to_owned(), v.trim().to_owned()));
            }
        } else if let Some(len) = res.header("content-length") {
            let len: usize = len.parse().expect("content-length value");
            res.body = self.take(len)?;
        } else {
            while self.fill()? > 0 {}
            res.body = std::mem::take(&mut self.buf);
        }
        Ok(res)
    }

    /// Reads everything until the server closes (or resets) the connection.
    pub fn read_to_close(&mut self) -> Vec<u8> {
        loop {
            match self.fill() {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::ConnectionReset => break,
                Err(e) => panic!("connection not closed: {e}"),
            }
        }
        std::mem::take(&mut self.buf)
    }

    /// Whether the server has closed the connection, with nothing more sent:
    /// a read gives EOF (or a reset, when unread request bytes were left).
    /// Waits at most the read timeout.
    pub fn is_closed(&mut self) -> bool {
        if !self.buf.is_empty() {
            return false;
        }
        let mut tmp = [0u8; 1024];
        match self.stream.read(&mut tmp) {
            Ok(0) => true,
            Ok(n) => {
                self.buf.extend_from_slice(&tmp[..n]);
                false
            }
            Err(e) => e.kind() == io::ErrorKind::ConnectionReset,
        }
    }

    /// Asserts the connection is still open: nothing arrives within `wait`.
    pub fn assert_open_for(&mut self, wait: Duration) {
        self.stream.set_read_timeout(Some(wait)).unwrap();
        let mut tmp = [0u8; 64];
        match self.stream.read(&mut tmp) {
            Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => {}
            other => panic!("connection should be open and quiet, got {other:?}"),
        }
        self.stream.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
    }
}

/// Polls `cond` until it holds or `within` has passed.
pub fn wait_until(within: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    loop {
        if cond() {
            return true;
        }
        if start.elapsed() > within {
            return false;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}
