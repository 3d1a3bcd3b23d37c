//! Integration tests of the engine over real loopback sockets, run once on
//! each driver (`uring::*` and `epoll::*`).

mod common;

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant, SystemTime};

use common::{wait_until, Client, Drv, Opts, TestServer, SEQ_BODY};
use jero_engine::{Limits, Timeouts};

/// Generates every listed test twice: in `mod uring` (io_uring driver) and
/// in `mod epoll` (epoll driver).
macro_rules! both_drivers {
    ($($name:ident),* $(,)?) => {
        mod uring {
            $(
                #[test]
                fn $name() {
                    super::$name(crate::common::URING);
                }
            )*
        }
        mod epoll {
            $(
                #[test]
                fn $name() {
                    super::$name(crate::common::EPOLL);
                }
            )*
        }
    };
}

both_drivers!(
    driver_is_the_one_asked_for,
    keep_alive_serves_several_requests,
    http10_closes_by_default,
    http10_keep_alive_stays_open,
    pipelined_requests_answered_in_order_in_one_batch,
    request_sent_one_byte_at_a_time,
    head_split_inside_its_blank_line,
    content_length_body_split_across_reads,
    chunked_body_with_extensions_and_trailers_split_across_reads,
    expect_100_continue,
    head_has_no_body_and_keeps_content_length,
    connection_close_is_honoured,
    date_header_is_well_formed,
    chunked_streamed_response,
    http10_streamed_response_is_delimited_by_close,
    stream_teardown_when_stream_ends,
    stream_teardown_when_stream_fails,
    stream_teardown_when_client_disconnects,
    head_on_streaming_route_never_polls_the_stream,
    silent_stream_teardown_when_client_disconnects,
    silent_stream_keeps_a_pipelined_request_for_later,
    thousand_concurrent_keep_alive_connections,
    request_line_too_long_is_414,
    malformed_request_lines_are_400,
    head_rejections_carry_no_body,
    too_many_headers_is_431,
    headers_too_large_is_431,
    content_length_body_over_limit_is_413,
    chunked_body_over_limit_is_413,
    content_length_body_at_limit_is_accepted,
    announced_length_reserves_nothing_up_front,
    an_answer_before_the_body_is_sent_whole,
    chunked_body_at_limit_is_accepted,
    rejection_reaches_a_client_that_sends_its_whole_body_first,
    last_response_reaches_a_client_still_pipelining,
    lingering_after_a_rejection_ends_at_its_deadline,
    content_length_with_transfer_encoding_is_400,
    duplicate_content_length_is_400,
    invalid_content_length_is_400,
    invalid_chunk_size_is_400,
    obs_fold_is_400,
    malformed_start_of_a_head_is_refused_before_it_ends,
    invalid_header_name_bytes_are_400,
    invalid_header_value_bytes_are_400,
    missing_host_is_400,
    repeated_host_is_400,
    invalid_host_is_400,
    garbage_never_panics_the_worker,
    slow_head_is_cut_by_header_timeout_while_others_are_served,
    slow_head_after_keep_alive_is_cut_by_header_timeout,
    empty_lines_after_a_request_leave_the_connection_idle,
    a_crlf_split_across_reads_leaves_no_stale_header_timer,
    blank_lines_do_not_restart_the_first_header_timer,
    idle_keep_alive_connection_is_closed,
    slow_body_is_cut_by_body_timeout,
    pipelining_without_reading_is_bounded,
    shutdown_completes_in_flight_requests_with_connection_close,
    shutdown_closes_idle_keep_alive_connections,
    shutdown_closes_connections_that_never_sent_a_request,
    shutdown_refuses_new_connections_and_serve_returns,
    shutdown_drops_what_outlasts_the_grace_period,
);

fn get(path: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nHost: test\r\n\r\n")
}

// ---------------------------------------------------------------------------
// Protocol basics

fn driver_is_the_one_asked_for(d: Drv) {
    let server = TestServer::start(d);
    let mut c = server.connect();
    let res = c.get("/driver");
    assert_eq!(res.status, 200);
    assert_eq!(res.body_str(), d.name);
}

fn keep_alive_serves_several_requests(d: Drv) {
    let server = TestServer::start(d);
    let mut c = server.connect();
    for i in 0..5 {
        let res = c.get(&format!("/ka/{i}"));
        assert_eq!(res.status, 200);
        assert_eq!(res.body_str(), format!("/ka/{i}"));
        assert_eq!(res.header("connection"), None);
    }
    c.assert_open_for(Duration::from_millis(100));
}

fn http10_closes_by_default(d: Drv) {
    let server = TestServer::start(d);
    let mut c = server.connect();
    c.send(b"GET /old HTTP/1.0\r\n\r\n");
    let res = c.response();
    assert_eq!(res.status, 200);
    assert_eq!(res.body_str(), "/old");
    assert_eq!(res.header("connection"), Some("close"));
    assert!(c.is_closed());
}

fn http10_keep_alive_stays_open(d: Drv) {
    let server = TestServer::start(d);
    let mut c = server.connect();
    for i in 0..3 {
        c.send(format!("GET /old/{i} HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").as_bytes());
        let res = c.response();
        assert_eq!(res.status, 200);
        assert_eq!(res.body_str(), format!("/old/{i}"));
        assert_eq!(res.header("connection"), Some("keep-alive"));
    }
    c.assert_open_for(Duration::from_millis(100));
}

fn pipelined_requests_answered_in_order_in_one_batch(d: Drv) {
    let server = TestServer::start(d);
    let mut c = server.connect();
    let batch: String = (0..10).map(|i| get(&format!("/p/{i}"))).collect();
    c.send(batch.as_bytes());
    // The server answers the batch with one write: give it time to land,
    // then all ten responses must come out of one read.
    std::thread::sleep(Duration::from_millis(200));
    assert!(c.read_once() > 0);
    for i in 0..10 {
        let res = c.response();
        assert_eq!(res.status, 200);
        assert_eq!(res.body_str(), format!("/p/{i}"), "responses out of order");
    }
    assert_eq!(c.reads, 1, "the ten responses did not arrive as one batch");
    assert!(c.buf.is_empty());
    // Nothing more than the ten responses came.
    c.assert_open_for(Duration::from_millis(50));
}

fn request_sent_one_byte_at_a_time(d: Drv) {
    let server = TestServer::start(d);
    let mut c = server.connect();
    let raw = b"POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\n\r\nhello";
    for b in raw {
        c.send(&[*b]);
        std::thread::sleep(Duration::from_millis(1));
    }
    let res = c.response();
    assert_eq!(res.status, 200);
    assert_eq!(res.body_str(), "hello");
    // The connection is still usable.
    assert_eq!(c.get("/after").body_str(), "/after");
}

fn head_split_inside_its_blank_line(d: Drv) {
    // The blank line that ends a head, cut at each of its three inner
    // points, with a pause so that the halves arrive in separate reads.
    let server = TestServer::start(d);
    let mut c = server.connect();
    let raw = get("/split");
    let end = raw.len();
    for cut in [end - 3, end - 2, end - 1] {
        c.send(&raw.as_bytes()[..cut]);
        std::thread::sleep(Duration::from_millis(30));
        c.send(&raw.as_bytes()[cut..]);
        let res = c.response();
        assert_eq!(res.status, 200, "cut at {cut} of {end}");
        assert_eq!(res.body_str(), "/split");
    }
}

fn content_length_body_split_across_reads(d: Drv) {
    let server = TestServer::start(d);
    let mut c = server.connect();
    c.send(b"POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 11\r\n\r\nhel");
    std::thread::sleep(Duration::from_millis(50));
    c.send(b"lo wo");
    std::thread::sleep(Duration::from_millis(50));
    // The rest of the body and the next request in one write.
    c.send(format!("rld{}", get("/next")).as_bytes());
    let res = c.response();
    assert_eq!(res.status, 200);
    assert_eq!(res.body_str(), "hello world");
    assert_eq!(res.header("x-body-len"), Some("11"));
    let res = c.response();
    assert_eq!(res.body_str(), "/next");
}

fn chunked_body_with_extensions_and_trailers_split_across_reads(d: Drv) {
    let server = TestServer::start(d);
    let mut c = server.connect();
    let parts: [&[u8]; 7] = [
        b"POST /echo HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n5;na",
        b"me=\"val\"\r\nhel",
        b"lo\r",
        b"\n6\r\n wor",
        b"ld\r\n0;last\r\nX-Trailer: ye",
        b"s\r\nX-Other: 1\r\n",
        b"\r\n",
    ];
    for p in parts {
        c.send(p);
        std::thread::sleep(Duration::from_millis(30));
    }
    c.send(get("/next").as_bytes());
    let res = c.response();
    assert_eq!(res.status, 200);
    assert_eq!(res.body_str(), "hello world");
    let res = c.response();
    assert_eq!(res.status, 200);
    assert_eq!(res.body_str(), "/next");
}

fn expect_100_continue(d: Drv) {
    let server = TestServer::start(d);
    let mut c = server.connect();
    c.send(b"POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
    let interim = c.response();
    assert_eq!(interim.status, 100);
    assert_eq!(interim.reason, "Continue");
    assert!(interim.headers.is_empty());
    c.send(b"hello");
    let res = c.response();
    assert_eq!(res.status, 200);
    assert_eq!(res.body_str(), "hello");
}

fn head_has_no_body_and_keeps_content_length(d: Drv) {
    let server = TestServer::start(d);
    let mut c = server.connect();
    c.send(b"HEAD /hello HTTP/1.1\r\nHost: test\r\n\r\n");
    let res = c.head_response();
    assert_eq!(res.status, 200);
    assert_eq!(res.header("content-length"), Some("5"));
    assert_eq!(res.header("content-type"), Some("text/plain"));
    // No body bytes: the next response follows the head directly.
    let res = c.get("/hello");
    assert_eq!(res.status, 200);
    assert_eq!(res.body_str(), "hello");
}

fn connection_close_is_honoured(d: Drv) {
    let server = TestServer::start(d);
    let mut c = server.connect();
    c.send(b"GET /bye HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n");
    let res = c.response();
    assert_eq!(res.status, 200);
    assert_eq!(res.body_str(), "/bye");
    assert_eq!(res.header("connection"), Some("close"));
    assert!(c.is_closed());
}

fn date_header_is_well_formed(d: Drv) {
    let server = TestServer::start(d);
    let mut c = server.connect();
    let res = c.get("/hello");
    assert_eq!(res.count("date"), 1);
    let date = res.header("date").expect("date header");
    // IMF-fixdate: `Sun, 06 Nov 1994 08:49:37 GMT`.
    assert_eq!(date.len(), 29, "{date:?}");
    assert!(date.ends_with(" GMT"), "{date:?}");
    assert_eq!(&date[3..5], ", ", "{date:?}");
    let when = httpdate::parse_http_date(date).expect("parsable date");
    let now = SystemTime::now();
    let skew = now.duration_since(when).unwrap_or_else(|e| e.duration());
    assert!(skew < Duration::from_secs(5), "date {date} is {skew:?} off");
}

// ---------------------------------------------------------------------------
// Streamed responses

fn chunked_streamed_response(d: Drv) {
    let server = TestServer::start(d);
    let mut c = server.connect();
    let res = c.get("/stream");
    assert_eq!(res.status, 200);
    assert!(res.is_chunked());
    assert_eq!(res.header("content-length"), None);
    assert_eq!(res.body_str(), "onetwothree");
    assert_eq!(res.chunks, vec![3, 3, 5]);
    // The connection stays usable after the terminating chunk.
    assert_eq!(c.get("/after").body_str(), "/after");
}

fn http10_streamed_response_is_delimited_by_close(d: Drv) {
    let server = TestServer::start(d);
    let mut c = server.connect();
    c.send(b"GET /stream HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    let res = c.response();
    assert_eq!(res.status, 200);
    assert_eq!(res.header("transfer-encoding"), None);
    assert_eq!(res.header("content-length"), None);
    assert_eq!(res.header("connection"), Some("close"));
    assert_eq!(res.body_str(), "onetwothree");
    assert!(c.is_closed());
}

fn stream_teardown_when_stream_ends(d: Drv) {
    let server = TestServer::start(d);
    let mut c = server.connect();
    let res = c.get("/stream");
    assert_eq!(res.body_str(), "onetwothree");
    assert!(
        wait_until(Duration::from_secs(5), || server.shared.drops() == 1),
        "stream not dropped after it ended"
    );
}

fn stream_teardown_when_stream_fails(d: Drv) {
    let server = TestServer::start(d);
    let mut c = server.connect();
    c.send(get("/stream-error").as_bytes());
    let raw = c.read_to_close();
    let text = String::from_utf8_lossy(&raw);
    assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text:?}");
    assert!(text.contains("transfer-encoding: chunked\r\n"), "{text:?}");
    // The chunk before the failure, then the cut: no terminating chunk.
    assert!(text.ends_with("\r\n\r\n3\r\none\r\n"), "{text:?}");
    assert!(
        wait_until(Duration::from_secs(5), || server.shared.drops() == 1),
        "stream not dropped after it failed"
    );
}

fn stream_teardown_when_client_disconnects(d: Drv) {
    let server = TestServer::start(d);
    let mut c = server.connect();
    c.send(get("/stream-forever").as_bytes());
    read_until(&mut c, b"tick\n", 3);
    assert_eq!(server.shared.drops(), 0);
    drop(c);
    assert!(
        wait_until(Duration::from_secs(5), || server.shared.drops() == 1),
        "stream not dropped after the client went away"
    );
}

/// Reads from `c` until `needle` has arrived `times` times.
fn read_until(c: &mut Client, needle: &[u8], times: usize) {
    let mut got = Vec::new();
    let mut tmp = [0u8; 1024];
    while got.windows(needle.len()).filter(|w| *w == needle).count() < times {
        let n = c.stream.read(&mut tmp).unwrap();
        assert!(n > 0, "closed early");
        got.extend_from_slice(&tmp[..n]);
    }
}

fn silent_stream_teardown_when_client_disconnects(d: Drv) {
    // A stream with nothing to send: no write can fail, yet the client that
    // leaves must still take the stream's resources with it.
    let server = TestServer::start(d);
    let mut c = server.connect();
    c.send(get("/stream-silent").as_bytes());
    read_until(&mut c, b"hello\n", 1);
    assert_eq!(server.shared.drops(), 0);
    drop(c);
    assert!(
        wait_until(Duration::from_secs(5), || server.shared.drops() == 1),
        "a silent stream was not dropped after the client went away"
    );
}

fn silent_stream_keeps_a_pipelined_request_for_later(d: Drv) {
    // Bytes from a client that is still there do not end the stream, and
    // stay in the socket for the request they belong to.
    let server = TestServer::start(d);
    let mut c = server.connect();
    c.send(get("/stream-silent").as_bytes());
    read_until(&mut c, b"hello\n", 1);
    c.send(get("/next").as_bytes());
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        server.shared.drops(),
        0,
        "a client that sent a request was taken for gone"
    );
}

fn head_on_streaming_route_never_polls_the_stream(d: Drv) {
    let server = TestServer::start(d);
    let mut c = server.connect();
    c.send(b"HEAD /stream-forever HTTP/1.1\r\nHost: test\r\n\r\n");
    let res = c.head_response();
    assert_eq!(res.status, 200);
    // Nothing follows the head: the next response comes right after it.
    assert_eq!(c.get("/after").body_str(), "/after");
    assert_eq!(server.shared.polls(), 0, "HEAD polled the stream");
    assert_eq!(server.shared.drops(), 1, "HEAD did not drop the stream");
}

// ---------------------------------------------------------------------------
// Many connections

fn thousand_concurrent_keep_alive_connections(d: Drv) {
    let server = TestServer::start(d);
    let mut clients: Vec<Client> = (0..1000).map(|_| server.connect()).collect();
    for round in 0..2 {
        for (i, c) in clients.iter_mut().enumerate() {
            c.send(get(&format!("/c/{i}/{round}")).as_bytes());
        }
        for (i, c) in clients.iter_mut().enumerate() {
            let res = c.response();
            assert_eq!(res.status, 200);
            assert_eq!(res.body_str(), format!("/c/{i}/{round}"));
        }
    }
}

// ---------------------------------------------------------------------------
// Hostile input: a status, then the connection closes, and the worker lives.

const BODY_LIMIT: usize = 1024;

fn hostile_server(d: Drv) -> TestServer {
    TestServer::with(
        d,
        Opts {
            // One worker, so the fresh connection after each case reaches
            // the worker that handled it.
            workers: 1,
            limits: Limits {
                max_request_line: 1024,
                max_head_size: 4096,
                max_headers: 20,
                max_body_size: BODY_LIMIT,
                ..Limits::default()
            },
            timeouts: Timeouts {
                header_read: Duration::from_secs(3),
                shutdown_grace: Duration::from_secs(3),
                ..Timeouts::default()
            },
        },
    )
}

/// Sends `raw` on a fresh connection, asserts the status and that the
/// connection closes after it, then that a fresh connection still gets 200.
fn assert_rejected(server: &TestServer, raw: &[u8], status: u16) {
    let mut c = server.connect();
    c.send_lossy(raw);
    let res = c
        .try_response(false)
        .unwrap_or_else(|e| panic!("no response to {:?}: {e}", String::from_utf8_lossy(raw)));
    assert_eq!(
        res.status,
        status,
        "wrong status for {:?}",
        String::from_utf8_lossy(&raw[..raw.len().min(200)])
    );
    assert_eq!(res.header("connection"), Some("close"));
    assert!(c.is_closed(), "connection left open after {status}");
    server.assert_alive();
}

/// A HEAD the engine rejects (in its head, or over its body's limit) gets
/// the status and length, never the body (RFC 9110 9.3.2).
fn head_rejections_carry_no_body(d: Drv) {
    let server = hostile_server(d);
    let big = format!(
        "HEAD /hello HTTP/1.1\r\nHost: t\r\nContent-Length: {}\r\n\r\n",
        BODY_LIMIT + 1
    );
    let cases: [(&[u8], u16); 3] = [
        (b"HEAD /hello HTTP/1.1\r\nHost: t\r\nExpect: nope\r\n\r\n", 417),
        (b"HEAD /hello HTTP/1.1\r\n\r\n", 400),
        (big.as_bytes(), 413),
    ];
    for (raw, status) in cases {
        let mut c = server.connect();
        c.send_lossy(raw);
        let res = c.try_response(true).expect("a response");
        assert_eq!(res.status, status);
        assert!(res.header("content-length").is_some_and(|n| n != "0"), "{status}");
        // Nothing follows the head: the connection just closes.
        assert!(c.is_closed(), "{status}: body bytes after the head");
    }
    server.assert_alive();
}

fn request_line_too_long_is_414(d: Drv) {
    let server = hostile_server(d);
    let long = format!("GET /{} HTTP/1.1\r\nHost: test\r\n\r\n", "a".repeat(2000));
    assert_rejected(&server, long.as_bytes(), 414);
    // Also when the line has not ended yet.
    let partial = format!("GET /{}", "a".repeat(2000));
    assert_rejected(&server, partial.as_bytes(), 414);
    // The limit (1024) is the line without its CRLF: 1024 bytes pass, whole
    // or cut between the line's CR and LF, and 1025 do not.
    let line = |len: usize| format!("GET /{} HTTP/1.1", "a".repeat(len - 14));
    assert_eq!(line(1024).len(), 1024);
    let mut c = server.connect();
    c.send(format!("{}\r\nHost: test\r\n\r\n", line(1024)).as_bytes());
    assert_eq!(c.response().status, 200);
    let mut c = server.connect();
    let whole = format!("{}\r\nHost: test\r\n\r\n", line(1024));
    c.send(&whole.as_bytes()[..1025]);
    std::thread::sleep(Duration::from_millis(50));
    c.send(&whole.as_bytes()[1025..]);
    assert_eq!(c.response().status, 200);
    assert_rejected(
        &server,
        format!("{}\r\nHost: test\r\n\r\n", line(1025)).as_bytes(),
        414,
    );
}

/// Request lines of the wrong shape are 400 (505 is for a well-formed line
/// with a version this server does not speak); `*` is OPTIONS's alone; a
/// target never carries a fragment.
fn malformed_request_lines_are_400(d: Drv) {
    let server = hostile_server(d);
    for raw in [
        "GET /health z HTTP/1.1\r\nHost: test\r\n\r\n",
        "GET  /x HTTP/1.1\r\nHost: test\r\n\r\n",
        "GET * HTTP/1.1\r\nHost: test\r\n\r\n",
        "GET /x#frag HTTP/1.1\r\nHost: test\r\n\r\n",
    ] {
        assert_rejected(&server, raw.as_bytes(), 400);
    }
    assert_rejected(&server, b"GET /x HTTP/2.0\r\nHost: test\r\n\r\n", 505);
    let mut c = server.connect();
    c.send(b"OPTIONS * HTTP/1.1\r\nHost: test\r\n\r\n");
    assert_eq!(c.response().status, 200);
}

fn too_many_headers_is_431(d: Drv) {
    let server = hostile_server(d);
    let many: String = (0..30).map(|i| format!("X-H{i}: v\r\n")).collect();
    let raw = format!("GET / HTTP/1.1\r\nHost: test\r\n{many}\r\n");
    assert_rejected(&server, raw.as_bytes(), 431);
}

fn headers_too_large_is_431(d: Drv) {
    let server = hostile_server(d);
    let raw = format!(
        "GET / HTTP/1.1\r\nHost: test\r\nX-Big: {}\r\n\r\n",
        "b".repeat(5000)
    );
    assert_rejected(&server, raw.as_bytes(), 431);
}

fn content_length_body_over_limit_is_413(d: Drv) {
    let server = hostile_server(d);
    let raw = format!(
        "POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: {}\r\n\r\n{}",
        BODY_LIMIT + 1,
        "x".repeat(BODY_LIMIT + 1)
    );
    assert_rejected(&server, raw.as_bytes(), 413);
}

fn chunked_body_over_limit_is_413(d: Drv) {
    let server = hostile_server(d);
    let raw = format!(
        "POST /echo HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n200\r\n{}\r\n201\r\n{}\r\n0\r\n\r\n",
        "x".repeat(0x200),
        "y".repeat(0x201)
    );
    assert_rejected(&server, raw.as_bytes(), 413);
}

fn content_length_body_at_limit_is_accepted(d: Drv) {
    let server = hostile_server(d);
    let mut c = server.connect();
    let body = "x".repeat(BODY_LIMIT);
    c.send(
        format!("POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: {BODY_LIMIT}\r\n\r\n{body}").as_bytes(),
    );
    let res = c.response();
    assert_eq!(res.status, 200);
    assert_eq!(res.body_str(), body);
}

/// The process's virtual size in bytes (`/proc/self/statm`).
fn vm_size() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("statm");
    let pages: usize = statm.split_whitespace().next().unwrap().parse().unwrap();
    // SAFETY: sysconf reads a system setting; no pointers.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    pages * usize::try_from(page).expect("a page size")
}

/// A body's read buffer grows with the bytes that arrive, not with the
/// length announced: 100 connections that each announce 16 MiB and send
/// one byte reserved 1.6 GiB when the whole length was reserved up front.
fn announced_length_reserves_nothing_up_front(d: Drv) {
    let server = TestServer::start(d);
    let mut warm = server.connect();
    warm.send(get("/warm").as_bytes());
    assert_eq!(warm.response().status, 200);
    let before = vm_size();
    let mut clients = Vec::new();
    for _ in 0..100 {
        let mut c = server.connect();
        c.send(b"POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 16777216\r\n\r\nx");
        clients.push(c);
    }
    // Every head read: a request on a new connection is answered after
    // them (one worker, and its loop takes connections in order).
    std::thread::sleep(Duration::from_millis(300));
    warm.send(get("/after").as_bytes());
    assert_eq!(warm.response().status, 200);
    let grown = vm_size().saturating_sub(before);
    assert!(grown < 256 << 20, "{} MiB more address space", grown >> 20);
    // The bodies still complete.
    let mut c = clients.pop().unwrap();
    c.send(&vec![b'y'; 16 * 1024 * 1024 - 1]);
    let res = c.response();
    assert_eq!(res.status, 200);
    assert_eq!(res.header("x-body-len"), Some("16777216"));
}

/// An answer the service gives before the body is read goes out whole,
/// however large or streamed, then the connection closes; the body is
/// never read (it was not even sent), and no `100 Continue` asked for it.
fn an_answer_before_the_body_is_sent_whole(d: Drv) {
    let server = TestServer::start(d);
    for expect in ["", "Expect: 100-continue\r\n"] {
        let mut c = server.connect();
        c.send(
            format!("POST /early HTTP/1.1\r\nHost: test\r\nContent-Length: 100\r\n{expect}\r\n").as_bytes(),
        );
        let res = c.response();
        assert_eq!(res.status, 401, "{expect:?}");
        assert_eq!(res.body.len(), 20_000);
        assert_eq!(res.header("connection"), Some("close"));
        assert!(c.is_closed());
        let mut c = server.connect();
        c.send(
            format!(
                "POST /early-stream HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n{expect}\r\n"
            )
            .as_bytes(),
        );
        let res = c.response();
        assert_eq!(res.status, 401);
        assert_eq!(res.body_str(), "onetwo");
        assert!(c.is_closed());
    }
    // Its body in with the head: no early look, the route serves it.
    let mut c = server.connect();
    c.send(b"POST /early HTTP/1.1\r\nHost: test\r\nContent-Length: 2\r\n\r\nhi");
    assert_eq!(c.response().status, 200);
    server.assert_alive();
}

fn chunked_body_at_limit_is_accepted(d: Drv) {
    let server = hostile_server(d);
    let mut c = server.connect();
    let half = BODY_LIMIT / 2;
    c.send(
        format!(
            "POST /echo HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n{half:x}\r\n{}\r\n{half:x}\r\n{}\r\n0\r\n\r\n",
            "x".repeat(half),
            "y".repeat(half)
        )
        .as_bytes(),
    );
    let res = c.response();
    assert_eq!(res.status, 200);
    assert_eq!(res.body.len(), BODY_LIMIT);
}

/// Many clients (Python's http.client, most test tools) write the whole
/// request before they read. A server that answers 413 and closes while
/// such a client is still writing must not reset the connection under it:
/// the client would see "connection reset" instead of the 413.
fn rejection_reaches_a_client_that_sends_its_whole_body_first(d: Drv) {
    let server = hostile_server(d);
    // Far more than the socket buffers hold, so most of it is still being
    // written when the server refuses the request.
    let body = vec![b'x'; 8 << 20];
    let chunked = {
        let mut raw = b"POST /echo HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
        for part in body.chunks(64 << 10) {
            raw.extend_from_slice(format!("{:x}\r\n", part.len()).as_bytes());
            raw.extend_from_slice(part);
            raw.extend_from_slice(b"\r\n");
        }
        raw.extend_from_slice(b"0\r\n\r\n");
        raw
    };
    let with_length = [
        format!(
            "POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
        .as_bytes(),
        &body[..],
    ]
    .concat();
    for raw in [with_length, chunked] {
        let mut c = server.connect();
        c.send(&raw);
        let res = c.response();
        assert_eq!(res.status, 413);
        assert_eq!(res.header("connection"), Some("close"));
        assert!(c.is_closed(), "connection left open after 413");
    }
    server.assert_alive();
}

/// `Connection: close` ends the connection after its response, even with
/// more requests pipelined behind it: they are read and dropped, not left
/// in the socket to turn the close into a reset.
fn last_response_reaches_a_client_still_pipelining(d: Drv) {
    let server = hostile_server(d);
    let mut raw = b"GET /hello HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n".to_vec();
    while raw.len() < 8 << 20 {
        raw.extend_from_slice(b"GET /never HTTP/1.1\r\nHost: test\r\n\r\n");
    }
    let mut c = server.connect();
    c.send(&raw);
    let res = c.response();
    assert_eq!((res.status, res.body_str()), (200, "hello"));
    assert!(c.is_closed(), "connection left open after Connection: close");
}

/// After a rejection the server reads and drops what the client still
/// sends, for `Timeouts::linger` only; then the socket is closed for good
/// (writes to it are refused with a reset).
fn lingering_after_a_rejection_ends_at_its_deadline(d: Drv) {
    let server = TestServer::with(
        d,
        Opts {
            workers: 1,
            limits: Limits {
                max_body_size: BODY_LIMIT,
                ..Limits::default()
            },
            timeouts: Timeouts {
                linger: Duration::from_secs(3),
                ..Timeouts::default()
            },
        },
    );
    let mut c = server.connect();
    c.send(
        format!(
            "POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: {}\r\n\r\n",
            BODY_LIMIT + 1
        )
        .as_bytes(),
    );
    assert_eq!(c.response().status, 413);
    // Half-closed: the response is followed by EOF, and the server still
    // takes (and drops) what the client sends.
    assert!(c.is_closed());
    // A closed socket answers the first write with a reset, which fails
    // the next one: these pass only while the server reads.
    for _ in 0..3 {
        c.send(&[b'x'; 1000]);
        std::thread::sleep(Duration::from_millis(50));
    }
    // The linger deadline is swept by the worker's 250 ms tick.
    let closed = wait_until(Duration::from_secs(10), || {
        std::thread::sleep(Duration::from_millis(50));
        c.stream.write_all(b"x").is_err()
    });
    assert!(closed, "the server still reads after its linger deadline");
    server.assert_alive();
}

fn content_length_with_transfer_encoding_is_400(d: Drv) {
    let server = hostile_server(d);
    assert_rejected(
        &server,
        b"POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        400,
    );
}

fn duplicate_content_length_is_400(d: Drv) {
    let server = hostile_server(d);
    assert_rejected(
        &server,
        b"POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello",
        400,
    );
}

fn invalid_content_length_is_400(d: Drv) {
    let server = hostile_server(d);
    for value in ["abc", "-1", "+5", "5 5", "5,5", "0x5", "99999999999999999999999"] {
        let raw = format!("POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: {value}\r\n\r\nhello");
        assert_rejected(&server, raw.as_bytes(), 400);
    }
}

fn invalid_chunk_size_is_400(d: Drv) {
    let server = hostile_server(d);
    for size in ["zz", "-5", "", " 5", "11111111111111111"] {
        let raw = format!(
            "POST /echo HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n{size}\r\nhello\r\n0\r\n\r\n"
        );
        assert_rejected(&server, raw.as_bytes(), 400);
    }
}

fn obs_fold_is_400(d: Drv) {
    let server = hostile_server(d);
    assert_rejected(
        &server,
        b"GET / HTTP/1.1\r\nHost: test\r\nX-Folded: a\r\n  continued\r\n\r\n",
        400,
    );
}

fn malformed_start_of_a_head_is_refused_before_it_ends(d: Drv) {
    // Refused with the status the whole head would get, without waiting
    // for the rest of it (which never comes here).
    let server = hostile_server(d);
    assert_rejected(&server, b"GET / HTTP/9.9\r\nHost: te", 505);
    assert_rejected(&server, b"G(T / HTTP/1.1\r\nHo", 400);
    // Something in the version's place that is no version at all.
    assert_rejected(&server, b"THIS IS NOT HTTP\r\n\r\n", 400);
}

fn invalid_header_name_bytes_are_400(d: Drv) {
    let server = hostile_server(d);
    for name in [&b"X A"[..], b"X\x01A", b"X\x7fA", b"X(A)", b"X\xffA", b"X-A "] {
        let mut raw = b"GET / HTTP/1.1\r\nHost: test\r\n".to_vec();
        raw.extend_from_slice(name);
        raw.extend_from_slice(b": v\r\n\r\n");
        assert_rejected(&server, &raw, 400);
    }
}

fn invalid_header_value_bytes_are_400(d: Drv) {
    let server = hostile_server(d);
    for value in [&b"a\x01b"[..], b"a\x00b", b"a\x7fb", b"a\rb", b"a\x1bb"] {
        let mut raw = b"GET / HTTP/1.1\r\nHost: test\r\nX-A: ".to_vec();
        raw.extend_from_slice(value);
        raw.extend_from_slice(b"\r\n\r\n");
        assert_rejected(&server, &raw, 400);
    }
}

fn missing_host_is_400(d: Drv) {
    let server = hostile_server(d);
    assert_rejected(&server, b"GET / HTTP/1.1\r\nX-A: b\r\n\r\n", 400);
}

fn repeated_host_is_400(d: Drv) {
    let server = hostile_server(d);
    assert_rejected(&server, b"GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", 400);
}

fn invalid_host_is_400(d: Drv) {
    let server = hostile_server(d);
    for host in ["a b", "a/b", "a@b", "a:port", "a:123456", "[::1", "a\"b"] {
        let raw = format!("GET / HTTP/1.1\r\nHost: {host}\r\n\r\n");
        assert_rejected(&server, raw.as_bytes(), 400);
    }
}

fn garbage_never_panics_the_worker(d: Drv) {
    let server = hostile_server(d);
    // A fixed xorshift sequence: random bytes, and random bytes after a
    // valid request line, each ended so that the head is complete.
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for round in 0..40 {
        let len = 1 + (next() % 300) as usize;
        let mut raw: Vec<u8> = if round % 2 == 0 {
            Vec::new()
        } else {
            b"GET / HTTP/1.1\r\n".to_vec()
        };
        raw.extend((0..len).map(|_| next() as u8));
        raw.extend_from_slice(b"\r\n\r\n");
        let mut c = server.connect();
        c.send_lossy(&raw);
        let res = c
            .try_response(false)
            .unwrap_or_else(|e| panic!("no response to garbage {raw:?}: {e}"));
        assert!(
            [400, 414, 417, 431, 501, 505].contains(&res.status),
            "status {} for garbage {raw:?}",
            res.status
        );
        assert!(c.is_closed());
        server.assert_alive();
    }
}

// ---------------------------------------------------------------------------
// Timeouts (the engine checks deadlines every 250 ms)

fn timeout_server(d: Drv, header_read: u64, keep_alive_idle: u64, body_read: u64) -> TestServer {
    TestServer::with(
        d,
        Opts {
            workers: 1,
            limits: Limits::default(),
            timeouts: Timeouts {
                header_read: Duration::from_millis(header_read),
                keep_alive_idle: Duration::from_millis(keep_alive_idle),
                body_read: Duration::from_millis(body_read),
                shutdown_grace: Duration::from_secs(3),
                ..Timeouts::default()
            },
        },
    )
}

fn slow_head_is_cut_by_header_timeout_while_others_are_served(d: Drv) {
    let server = timeout_server(d, 1000, 10_000, 10_000);
    let mut slow = server.connect();
    let start = Instant::now();
    slow.send(b"GET /slow HTTP/1.1\r\nHost: te");
    let waiter = std::thread::spawn(move || {
        let res = slow.try_response(false);
        let closed = slow.is_closed();
        (res.map(|r| r.status).ok(), closed, start.elapsed())
    });
    // Meanwhile, on the same worker, other clients are served.
    let mut served = 0;
    while start.elapsed() < Duration::from_millis(800) {
        server.assert_alive();
        served += 1;
        std::thread::sleep(Duration::from_millis(20));
    }
    let (status, closed, elapsed) = waiter.join().unwrap();
    assert_eq!(status, Some(408));
    assert!(closed);
    assert!(
        served >= 5,
        "only {served} requests served while a client stalled"
    );
    assert!(
        elapsed >= Duration::from_millis(700) && elapsed < Duration::from_secs(5),
        "cut after {elapsed:?}"
    );
}

fn slow_head_after_keep_alive_is_cut_by_header_timeout(d: Drv) {
    // The idle timeout is long: the header timeout must take over once the
    // next request has started arriving.
    let server = timeout_server(d, 1000, 20_000, 10_000);
    let mut c = server.connect();
    assert_eq!(c.get("/first").status, 200);
    std::thread::sleep(Duration::from_millis(300));
    let start = Instant::now();
    c.send(b"GET /slow HTTP/1.1\r\nHo");
    let res = c.response();
    assert_eq!(res.status, 408);
    assert!(c.is_closed());
    let elapsed = start.elapsed();
    assert!(
        elapsed >= Duration::from_millis(700) && elapsed < Duration::from_secs(5),
        "cut after {elapsed:?}"
    );
}

/// CRLFs after a request (or before the first) are skipped (RFC 9112
/// 2.2): the connection is idle, not in a head, so no 408 comes when the
/// header timer would run out, and the next request is served.
fn empty_lines_after_a_request_leave_the_connection_idle(d: Drv) {
    let server = timeout_server(d, 300, 20_000, 10_000);
    let mut c = server.connect();
    c.send(b"\r\nGET /first HTTP/1.1\r\nHost: test\r\n\r\n\r\n\r\n");
    assert_eq!(c.response().status, 200);
    c.assert_open_for(Duration::from_millis(1000));
    c.send(b"\r\nHEAD /second HTTP/1.1\r\nHost: test\r\n\r\n");
    let res = c.head_response();
    assert_eq!(res.status, 200);
}

/// A CRLF cut between its CR and LF after a response: the lone CR is a
/// head under way (its timer starts), the LF makes it a blank line, and
/// the timer must go with it: a later head that arrives in pieces gets its
/// own time, not a 408 from the old deadline.
fn a_crlf_split_across_reads_leaves_no_stale_header_timer(d: Drv) {
    let server = timeout_server(d, 300, 20_000, 10_000);
    let mut c = server.connect();
    c.send(b"GET /first HTTP/1.1\r\nHost: test\r\n\r\n\r");
    assert_eq!(c.response().status, 200);
    std::thread::sleep(Duration::from_millis(100));
    c.send(b"\n");
    // Past the old deadline, a head in two pieces.
    std::thread::sleep(Duration::from_millis(600));
    c.send(b"GET /second HTTP/1.1\r\n");
    std::thread::sleep(Duration::from_millis(100));
    c.send(b"Host: test\r\n\r\n");
    let res = c.response();
    assert_eq!(res.status, 200);
    assert_eq!(res.body_str(), "/second");
}

/// Before the first request, blank lines keep the timer that runs from
/// accept: a client sending only CRLFs is closed when it runs out.
fn blank_lines_do_not_restart_the_first_header_timer(d: Drv) {
    let server = timeout_server(d, 400, 20_000, 10_000);
    let mut c = server.connect();
    let start = Instant::now();
    let mut closed = false;
    // The server closes at 400 ms; a write or two later the socket says so.
    while start.elapsed() < Duration::from_millis(2000) {
        if c.stream.write_all(b"\r\n").is_err() {
            closed = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(closed, "still open after {:?} of blank lines", start.elapsed());
}

fn idle_keep_alive_connection_is_closed(d: Drv) {
    let server = timeout_server(d, 10_000, 1000, 10_000);
    let mut c = server.connect();
    assert_eq!(c.get("/first").status, 200);
    let start = Instant::now();
    assert!(c.is_closed(), "idle connection not closed (or got bytes)");
    let elapsed = start.elapsed();
    assert!(
        elapsed >= Duration::from_millis(700) && elapsed < Duration::from_secs(5),
        "closed after {elapsed:?}"
    );
}

fn slow_body_is_cut_by_body_timeout(d: Drv) {
    let server = timeout_server(d, 10_000, 10_000, 1000);
    let mut c = server.connect();
    let start = Instant::now();
    c.send(b"POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 10\r\n\r\nabc");
    let res = c.response();
    assert_eq!(res.status, 408);
    assert!(c.is_closed());
    let elapsed = start.elapsed();
    assert!(
        elapsed >= Duration::from_millis(700) && elapsed < Duration::from_secs(5),
        "cut after {elapsed:?}"
    );
}

// ---------------------------------------------------------------------------
// Backpressure

fn pipelining_without_reading_is_bounded(d: Drv) {
    let server = TestServer::with(
        d,
        Opts {
            workers: 1,
            ..Opts::default()
        },
    );
    // ~2 KiB requests, 16 KiB responses: 32 MiB of requests in all.
    const REQUESTS: usize = 16 * 1024;
    let pad = "p".repeat(2000);
    let mut all = Vec::new();
    for i in 0..REQUESTS {
        all.extend_from_slice(
            format!("GET /seq/{i} HTTP/1.1\r\nHost: test\r\nX-Pad: {pad}\r\n\r\n").as_bytes(),
        );
    }
    let stream = TcpStream::connect(server.addr).unwrap();
    stream.set_nonblocking(true).unwrap();
    let mut written = 0;
    let mut stalled_since: Option<Instant> = None;
    // Write without reading until no write has got through for 500 ms.
    while written < all.len() {
        match (&stream).write(&all[written..]) {
            Ok(n) => {
                written += n;
                stalled_since = None;
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                let since = *stalled_since.get_or_insert_with(Instant::now);
                if since.elapsed() > Duration::from_millis(500) {
                    break;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            Err(e) => panic!("write failed: {e}"),
        }
    }
    assert!(
        written < all.len() / 4,
        "the server kept reading: {written} of {} bytes taken without a response read",
        all.len()
    );

    // Now read: every response arrives, in order, while the rest is written.
    stream.set_nonblocking(false).unwrap();
    stream.set_read_timeout(Some(common::READ_TIMEOUT)).unwrap();
    let mut writer_side = stream.try_clone().unwrap();
    let rest = all.split_off(written);
    let writer = std::thread::spawn(move || writer_side.write_all(&rest));
    let mut c = Client::from_stream(stream);
    for i in 0..REQUESTS {
        let res = c.response();
        assert_eq!(res.status, 200);
        assert_eq!(res.body.len(), SEQ_BODY);
        let prefix = format!("{i}\n");
        assert!(
            res.body.starts_with(prefix.as_bytes()),
            "response {i} out of order"
        );
    }
    writer.join().unwrap().expect("write the rest");
}

// ---------------------------------------------------------------------------
// Graceful shutdown

fn shutdown_completes_in_flight_requests_with_connection_close(d: Drv) {
    let mut server = TestServer::start(d);
    let mut clients: Vec<Client> = (0..4).map(|_| server.connect()).collect();
    for c in &mut clients {
        c.send(get("/sleep").as_bytes());
    }
    assert!(
        wait_until(Duration::from_secs(5), || server.shared.entered() == 4),
        "requests did not reach the service"
    );
    server.begin_shutdown();
    for c in &mut clients {
        let res = c.response();
        assert_eq!(res.status, 200);
        assert_eq!(res.body_str(), "slept");
        assert_eq!(res.header("connection"), Some("close"));
        assert!(c.is_closed());
    }
    server.wait_stopped(Duration::from_secs(5)).expect("serve failed");
}

fn shutdown_closes_idle_keep_alive_connections(d: Drv) {
    let mut server = TestServer::start(d);
    let mut idle: Vec<Client> = (0..3).map(|_| server.connect()).collect();
    for c in &mut idle {
        assert_eq!(c.get("/hello").status, 200);
    }
    let start = Instant::now();
    server.begin_shutdown();
    for c in &mut idle {
        assert!(c.is_closed(), "idle keep-alive connection not closed");
    }
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "took {:?}",
        start.elapsed()
    );
    server.wait_stopped(Duration::from_secs(2)).expect("serve failed");
}

fn shutdown_closes_connections_that_never_sent_a_request(d: Drv) {
    let mut server = TestServer::start(d);
    let mut silent = server.connect();
    // Let the worker accept it.
    std::thread::sleep(Duration::from_millis(100));
    let start = Instant::now();
    server.begin_shutdown();
    assert!(silent.is_closed(), "silent connection not closed");
    server.wait_stopped(Duration::from_secs(2)).expect("serve failed");
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "took {:?}",
        start.elapsed()
    );
}

fn shutdown_refuses_new_connections_and_serve_returns(d: Drv) {
    let mut server = TestServer::start(d);
    let mut in_flight = server.connect();
    in_flight.send(get("/sleep").as_bytes());
    assert!(wait_until(Duration::from_secs(5), || server.shared.entered() == 1));
    server.begin_shutdown();
    // The listeners close at the next tick, while the request still runs.
    assert!(
        wait_until(Duration::from_secs(2), || TcpStream::connect(server.addr)
            .is_err_and(|e| e.kind() == ErrorKind::ConnectionRefused)),
        "new connections still accepted after shutdown"
    );
    let res = in_flight.response();
    assert_eq!(res.status, 200);
    server.wait_stopped(Duration::from_secs(5)).expect("serve failed");
    let err = TcpStream::connect(server.addr).expect_err("connected after serve returned");
    assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
}

/// A response that never ends (a stream that keeps ticking) is dropped
/// once the grace period is over: its teardown runs, the connection
/// closes, and `serve` returns.
fn shutdown_drops_what_outlasts_the_grace_period(d: Drv) {
    let grace = Duration::from_millis(800);
    let mut server = TestServer::with(
        d,
        Opts {
            timeouts: Timeouts {
                shutdown_grace: grace,
                ..Timeouts::default()
            },
            ..Opts::default()
        },
    );
    let mut c = server.connect();
    c.send(get("/stream-forever").as_bytes());
    read_until(&mut c, b"tick\n", 2);
    let start = Instant::now();
    server.begin_shutdown();
    server
        .wait_stopped(grace + Duration::from_secs(5))
        .expect("serve failed");
    // It waited for the stream (within a tick of the grace period), then
    // dropped it.
    assert!(
        start.elapsed() >= grace - Duration::from_millis(100),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(server.shared.drops(), 1, "the stream's teardown did not run");
    let rest = c.read_to_close();
    assert!(
        !rest.ends_with(b"0\r\n\r\n"),
        "a dropped stream must not look finished (no last chunk)"
    );
}

/// A port a running server listens on cannot be bound again (a second
/// process would take part of its connections through `SO_REUSEPORT`);
/// once that server has stopped, with connections it served closed, a
/// new one binds the port at once (`TIME_WAIT` does not hold it).
#[test]
fn a_port_in_use_is_refused_and_free_again_after_the_server_stops() {
    let mut server = TestServer::with(
        common::EPOLL,
        Opts {
            workers: 2,
            ..Opts::default()
        },
    );
    let taken = server.addr;
    let again = || {
        jero_engine::Server::builder()
            .addr(taken.to_string())
            .handle_signals(false)
            .bind()
    };
    let err = again().expect_err("a second server bound a port in use");
    assert_eq!(err.kind(), ErrorKind::AddrInUse);
    assert!(err.to_string().contains(&taken.to_string()), "{err}");
    // Served connections, closed by the server first, leave TIME_WAIT.
    let mut c = server.connect();
    c.send(b"GET /hello HTTP/1.1\r\nhost: t\r\nconnection: close\r\n\r\n");
    c.read_to_close();
    server.stop();
    let rebound = again().expect("the port is free once the server stopped");
    assert_eq!(rebound.local_addr(), taken);
}
