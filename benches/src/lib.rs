//! # jero-benches
//!
//! Criterion benchmarks for jero, one benchmark group per file under
//! `benches/benches/`:
//!
//! * `parse` — [`Request::parse`](jero_engine::Request::parse) on a small GET,
//!   a JSON POST and a 20-header browser request ([`requests`]).
//! * `loopback` — end to end through a real loopback socket: pipelined GETs
//!   against a one-worker [`BenchServer`].
//! * `router` — `Router::recognize` on a ten-route app, a static and a
//!   two-slot path.
//! * `binding` — a whole in-process dispatch binding `path`, `params` and
//!   `headers`; JSON decode and encode of a five-field contract.
//! * `get_widget` (`benches/dispatch.rs`) — `GET /widgets/{widget_id}` in
//!   process, raw bytes to encoded bytes, jero next to axum 0.8.
//! * `encode_response` — a contract to response bytes, plain and wrapped in
//!   `JsonResponse` with two typed headers.
//!
//! This library holds what the benchmark targets share: the global
//! allocator, the sample requests, a background server that stops when
//! dropped, and a cheap client-side response counter.
//!
//! The allocator is mimalloc, as in the example binaries (see the README's
//! "Allocator"); `--no-default-features` measures on the system allocator
//! instead. Every target links this library (`use jero_benches as _;` where
//! it uses nothing else of it), so they all run on the same one.
//!
//! Run everything with `cargo bench -p jero-benches`, or one group with
//! `cargo bench -p jero-benches --bench parse`.

/// The benchmarks' allocator: the one the example binaries ship with.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use jero_engine::{service_fn, Request, Response, Server, Service, ShutdownHandle};

pub mod encode_cases;

/// Raw sample requests, each a complete request (head and body).
pub mod requests {
    /// The smallest realistic request: the TechEmpower plaintext GET.
    pub const SMALL_GET: &[u8] = b"GET /plaintext HTTP/1.1\r\nHost: localhost\r\n\r\n";

    /// The JSON body of [`POST_JSON`] (101 bytes).
    pub const JSON_BODY: &[u8] = br#"{"id":12345,"name":"Ada Lovelace","email":"ada@example.com","roles":["admin","editor"],"active":true}"#;

    /// A POST carrying [`JSON_BODY`] with `Content-Type` and `Content-Length`.
    pub const POST_JSON: &[u8] = concat!(
        "POST /api/users HTTP/1.1\r\n",
        "Host: localhost:8080\r\n",
        "Content-Type: application/json\r\n",
        "Content-Length: 101\r\n",
        "\r\n",
        r#"{"id":12345,"name":"Ada Lovelace","email":"ada@example.com","roles":["admin","editor"],"active":true}"#,
    )
    .as_bytes();

    /// A navigation request as a current desktop Chrome sends it: 20 header
    /// fields (more than the engine keeps inline), client hints, a cookie and
    /// conditional headers, and a query string.
    pub const BROWSER_GET: &[u8] = concat!(
        "GET /products/42?ref=home&sort=price HTTP/1.1\r\n",
        "Host: localhost:8080\r\n",
        "Connection: keep-alive\r\n",
        "Cache-Control: max-age=0\r\n",
        "sec-ch-ua: \"Chromium\";v=\"124\", \"Google Chrome\";v=\"124\", \"Not-A.Brand\";v=\"99\"\r\n",
        "sec-ch-ua-mobile: ?0\r\n",
        "sec-ch-ua-platform: \"Linux\"\r\n",
        "Upgrade-Insecure-Requests: 1\r\n",
        "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) ",
        "Chrome/124.0.0.0 Safari/537.36\r\n",
        "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,",
        "image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7\r\n",
        "Sec-Fetch-Site: same-origin\r\n",
        "Sec-Fetch-Mode: navigate\r\n",
        "Sec-Fetch-User: ?1\r\n",
        "Sec-Fetch-Dest: document\r\n",
        "Referer: http://localhost:8080/products\r\n",
        "Accept-Encoding: gzip, deflate, br, zstd\r\n",
        "Accept-Language: en-US,en;q=0.9,de;q=0.8\r\n",
        "Cookie: session_id=3f9a1c7e2b8d4f60a5e1c9b7d3f2a8e4; theme=dark; ",
        "_ga=GA1.1.1234567890.1700000000; _ga_XYZ123=GS1.1.1700000000.3.1.1700000100.0.0.0\r\n",
        "If-None-Match: W/\"5f3a-1a2b3c4d\"\r\n",
        "If-Modified-Since: Tue, 14 Nov 2023 08:12:31 GMT\r\n",
        "Priority: u=0, i\r\n",
        "\r\n",
    )
    .as_bytes();
}

/// The body [`plaintext_service`] answers `/plaintext` with; the loopback
/// client counts responses by counting it.
pub const PLAINTEXT_BODY: &str = "Hello, World!";

/// A service answering `GET /plaintext` with `Hello, World!` (text/plain)
/// and anything else with 404. Allocation-free per request.
pub fn plaintext_service() -> impl Service {
    service_fn(|req: Request| async move {
        match req.path() {
            "/plaintext" => Response::new(200)
                .with_header("content-type", "text/plain")
                .with_body(PLAINTEXT_BODY),
            _ => Response::new(404),
        }
    })
}

/// A jero server on `127.0.0.1:0` with one worker, serving on a background
/// thread. Dropping it (or [`BenchServer::stop`]) shuts it down gracefully.
#[derive(Debug)]
pub struct BenchServer {
    addr: SocketAddr,
    driver: &'static str,
    shutdown: ShutdownHandle,
    thread: Option<JoinHandle<io::Result<()>>>,
}

impl BenchServer {
    /// Binds, starts serving, and returns once the worker has built its
    /// service (so the first benchmark sample does not include startup).
    ///
    /// Panics if the server cannot bind or its worker does not come up.
    pub fn start<F, S>(make_service: F) -> BenchServer
    where
        F: Fn() -> S + Send + Sync + 'static,
        S: Service,
    {
        let server = Server::builder()
            .addr("127.0.0.1:0")
            .workers(1)
            .handle_signals(false)
            .bind()
            .expect("bench server: bind 127.0.0.1:0");
        let addr = server.local_addr();
        let shutdown = server.shutdown_handle();
        let (ready_tx, ready_rx) = mpsc::sync_channel(1);
        let thread = std::thread::Builder::new()
            .name("jero-bench-server".into())
            .spawn(move || {
                server.serve(move || {
                    // Runs on the worker thread, after its runtime is built.
                    let _ = ready_tx.try_send(jero_engine::driver_name());
                    make_service()
                })
            })
            .expect("bench server: spawn thread");
        let driver = ready_rx
            .recv_timeout(Duration::from_secs(10))
            .expect("bench server: worker did not start");
        BenchServer {
            addr,
            driver,
            shutdown,
            thread: Some(thread),
        }
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The I/O driver the worker runs on (`"io_uring"` or `"epoll"`).
    pub fn driver(&self) -> &'static str {
        self.driver
    }

    /// Opens a client connection with `TCP_NODELAY` and a 10 s read timeout
    /// (a stuck server fails the benchmark instead of hanging it).
    pub fn connect(&self) -> TcpStream {
        let stream = TcpStream::connect(self.addr).expect("bench client: connect");
        stream.set_nodelay(true).expect("bench client: TCP_NODELAY");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("bench client: read timeout");
        stream
    }

    /// Shuts the server down and waits for it; returns what `serve` returned.
    pub fn stop(mut self) -> io::Result<()> {
        self.stop_inner()
    }

    fn stop_inner(&mut self) -> io::Result<()> {
        let Some(thread) = self.thread.take() else {
            return Ok(());
        };
        self.shutdown.shutdown();
        thread
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("bench server thread panicked")))
    }
}

impl Drop for BenchServer {
    fn drop(&mut self) {
        let _ = self.stop_inner();
    }
}

/// `n` copies of `request` back to back, to be sent in one write.
pub fn pipelined(request: &[u8], n: usize) -> Vec<u8> {
    request.repeat(n)
}

/// A client connection that sends a fixed batch of pipelined requests and
/// reads until every response has arrived.
///
/// Responses are counted by occurrences of a marker that appears exactly once
/// per response (for [`plaintext_service`], its body), so the client does
/// no HTTP parsing and costs little next to the server.
#[derive(Debug)]
pub struct PipelineClient {
    stream: TcpStream,
    batch: Vec<u8>,
    n: usize,
    marker: Vec<u8>,
    buf: Vec<u8>,
}

impl PipelineClient {
    /// A client on `stream` that sends `n` copies of `request` per round and
    /// expects one `marker` per response. `marker` must not be empty.
    pub fn new(stream: TcpStream, request: &[u8], n: usize, marker: &[u8]) -> PipelineClient {
        assert!(!marker.is_empty(), "empty response marker");
        PipelineClient {
            stream,
            batch: pipelined(request, n),
            n,
            marker: marker.to_vec(),
            buf: vec![0; 64 * 1024],
        }
    }

    /// One round trip: writes the batch in one write, reads until `n`
    /// responses have arrived. Returns `n`.
    pub fn round(&mut self) -> io::Result<usize> {
        self.stream.write_all(&self.batch)?;
        read_until_count(&mut self.stream, &mut self.buf, &self.marker, self.n)?;
        Ok(self.n)
    }
}

/// Reads from `reader` until `marker` has been seen `n` times, using `buf` as
/// scratch (it must be longer than `marker`). Matches may straddle reads.
///
/// Errors with `UnexpectedEof` when the peer closes first.
pub fn read_until_count(reader: &mut impl Read, buf: &mut [u8], marker: &[u8], n: usize) -> io::Result<()> {
    assert!(buf.len() > marker.len(), "scratch buffer too small");
    let mut seen = 0;
    // Bytes at the start of `buf` kept from the last read: a possible
    // marker prefix, never longer than `marker.len() - 1`.
    let mut carry = 0;
    while seen < n {
        let got = reader.read(&mut buf[carry..])?;
        if got == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("connection closed after {seen} of {n} responses"),
            ));
        }
        let end = carry + got;
        let (count, keep_from) = count_marker(&buf[..end], marker);
        seen += count;
        buf.copy_within(keep_from..end, 0);
        carry = end - keep_from;
    }
    Ok(())
}

/// Counts non-overlapping `marker`s in `hay`; also returns where a match
/// cut off by the end of `hay` could start.
fn count_marker(hay: &[u8], marker: &[u8]) -> (usize, usize) {
    let last = marker[marker.len() - 1];
    let mut count = 0;
    let mut from = marker.len() - 1;
    let mut last_end = 0;
    // Look for the marker's last byte, then compare backwards.
    while from < hay.len() {
        match hay[from..].iter().position(|&b| b == last) {
            Some(off) => {
                let end = from + off + 1;
                if &hay[end - marker.len()..end] == marker {
                    count += 1;
                    last_end = end;
                    from = end + marker.len() - 1;
                } else {
                    from = end;
                }
            }
            None => break,
        }
    }
    (count, last_end.max(hay.len().saturating_sub(marker.len() - 1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_requests_parse() {
        let get = Request::parse(requests::SMALL_GET).unwrap();
        assert_eq!(get.path(), "/plaintext");
        assert_eq!(get.header_count(), 1);

        let post = Request::parse(requests::POST_JSON).unwrap();
        assert_eq!(post.header_count(), 3);
        assert_eq!(&post.body()[..], requests::JSON_BODY);
        let len: usize = std::str::from_utf8(post.header("content-length").unwrap())
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(len, requests::JSON_BODY.len());

        let browser = Request::parse(requests::BROWSER_GET).unwrap();
        assert_eq!(browser.header_count(), 20);
        assert_eq!(browser.path(), "/products/42");
        assert_eq!(browser.query(), Some("ref=home&sort=price"));
        assert!(browser.body().is_empty());
    }

    #[test]
    fn counts_markers_across_reads() {
        // A reader that hands out a few bytes at a time, splitting markers.
        struct Trickle<'a>(&'a [u8], usize);
        impl Read for Trickle<'_> {
            fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
                let n = self.1.min(self.0.len()).min(out.len());
                out[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let data = b"HTTP/1.1 200 OK\r\n\r\nHello, World!".repeat(5);
        for step in 1..data.len() {
            let mut buf = [0u8; 64];
            read_until_count(&mut Trickle(&data, step), &mut buf, b"Hello, World!", 5).unwrap();
        }
        let mut buf = [0u8; 64];
        let err = read_until_count(&mut Trickle(&data, 7), &mut buf, b"Hello, World!", 6).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
        assert_eq!(count_marker(b"aaaa", b"aa"), (2, 4));
        assert_eq!(count_marker(b"xxHell", b"Hello"), (0, 2));
    }

    #[test]
    fn loopback_round_trip() {
        let server = BenchServer::start(plaintext_service);
        let mut client = PipelineClient::new(server.connect(), requests::SMALL_GET, 16, b"Hello, World!");
        for _ in 0..3 {
            assert_eq!(client.round().unwrap(), 16);
        }
        drop(client);
        server.stop().unwrap();
    }
}
