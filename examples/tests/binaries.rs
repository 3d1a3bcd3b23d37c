//! The example binaries as a user runs them: flags, the `listening on`
//! line, real requests, and graceful shutdown on SIGTERM/SIGINT (exit 0).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use common::get;

mod common;

/// Held while a server binds its port (`start`), and by a test that
/// checks a port it freed stays unanswered: the tests run in parallel,
/// and the kernel may hand a freed port to the next server that binds.
static BINDING: Mutex<()> = Mutex::new(());

fn binding() -> MutexGuard<'static, ()> {
    BINDING.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

struct Running {
    child: Child,
    addr: String,
}

fn start(bin: &str) -> Running {
    let _binding = binding();
    let mut child = Command::new(bin)
        .args(["--addr", "127.0.0.1:0", "--workers", "2"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("a first line");
    let addr = line
        .trim()
        .strip_prefix("listening on http://")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    Running { child, addr }
}

fn signal_and_wait(mut r: Running, signal: &str) -> i32 {
    let pid = r.child.id().to_string();
    let status = Command::new("kill")
        .args(["-s", signal, &pid])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Some(status) = r.child.try_wait().expect("wait") {
            return status.code().expect("exited by itself, not killed by the signal");
        }
        if Instant::now() > deadline {
            let _ = r.child.kill();
            panic!("the server did not stop within 15 s of {signal}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn hello_serves_and_exits_zero_on_sigterm() {
    let r = start(env!("CARGO_BIN_EXE_hello"));
    let resp = get(&r.addr, "/plaintext");
    assert!(resp.starts_with("HTTP/1.1 200 OK\r\n"), "{resp}");
    assert!(resp.ends_with("Hello, World!"), "{resp}");
    assert_eq!(signal_and_wait(r, "TERM"), 0);
}

#[test]
fn hello_exits_zero_on_sigint() {
    let r = start(env!("CARGO_BIN_EXE_hello"));
    assert!(get(&r.addr, "/healthz").ends_with(r#"{"status":"ok"}"#));
    assert_eq!(signal_and_wait(r, "INT"), 0);
}

#[test]
fn sigterm_lets_an_open_keep_alive_connection_go_and_refuses_new_ones() {
    let r = start(env!("CARGO_BIN_EXE_hello"));
    let mut idle = TcpStream::connect(&r.addr).unwrap();
    idle.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    idle.write_all(b"GET /json HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let mut buf = [0u8; 512];
    let n = idle.read(&mut buf).unwrap();
    assert!(buf[..n].starts_with(b"HTTP/1.1 200 OK"));
    let addr = r.addr.clone();
    // No other test's server may take the port until it is checked.
    let _binding = binding();
    assert_eq!(signal_and_wait(r, "TERM"), 0);
    // The idle keep-alive connection was closed by the shutdown...
    assert_eq!(idle.read(&mut buf).unwrap_or(0), 0);
    // ...and nothing listens any more. A connect may still succeed by
    // connecting to itself: the kernel can pick the freed port as the
    // client's own ephemeral port (a TCP self-connect), with no server.
    if let Ok(s) = TcpStream::connect(&addr) {
        assert_eq!(
            s.local_addr().unwrap(),
            s.peer_addr().unwrap(),
            "something still listens on {addr}"
        );
    }
}

#[test]
fn demo_serves_and_exits_zero_on_sigterm() {
    let r = start(env!("CARGO_BIN_EXE_demo"));
    let resp = get(&r.addr, "/healthz");
    assert!(resp.starts_with("HTTP/1.1 200 OK\r\n"), "{resp}");
    assert!(resp.contains("content-type: application/json\r\n"), "{resp}");
    assert!(resp.ends_with(r#"{"status":"ok"}"#), "{resp}");
    let resp = get(&r.addr, "/boom");
    assert!(resp.starts_with("HTTP/1.1 500 "), "{resp}");
    assert!(get(&r.addr, "/healthz").starts_with("HTTP/1.1 200 OK\r\n"));
    assert_eq!(signal_and_wait(r, "TERM"), 0);
}

#[test]
fn bad_flags_are_refused_with_usage() {
    let out = Command::new(env!("CARGO_BIN_EXE_hello"))
        .args(["--workers", "zero"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("usage:"));
}

#[test]
fn help_prints_the_usage_and_exits_zero() {
    for flag in ["--help", "-h"] {
        let out = Command::new(env!("CARGO_BIN_EXE_demo"))
            .arg(flag)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{flag}");
        let usage = String::from_utf8_lossy(&out.stdout);
        assert!(
            usage.starts_with("usage:") && usage.contains("JERO_ADDR"),
            "{usage}"
        );
    }
}

#[test]
fn a_flag_wins_over_its_variable_and_an_empty_variable_is_unset() {
    let run = |vars: &[(&str, &str)], args: &[&str]| {
        let _binding = binding();
        let mut child = Command::new(env!("CARGO_BIN_EXE_hello"))
            .envs(vars.iter().copied())
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let _ = child.kill();
        let status = child.wait().unwrap();
        let mut err = String::new();
        child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
        (line, status.code(), err)
    };
    // A bad JERO_WORKERS is not read when --workers is given.
    let (line, _, err) = run(
        &[("JERO_WORKERS", "abc")],
        &["--workers", "1", "--addr", "127.0.0.1:0"],
    );
    assert!(
        line.starts_with("listening on http://127.0.0.1:"),
        "{line:?} {err}"
    );
    // Set but empty: the default (one per core), not an error.
    let (line, _, err) = run(
        &[("JERO_WORKERS", ""), ("JERO_ADDR", "")],
        &["--addr", "127.0.0.1:0"],
    );
    assert!(
        line.starts_with("listening on http://127.0.0.1:"),
        "{line:?} {err}"
    );
    // Read, and refused by its own name, when no flag is given.
    let (line, code, err) = run(&[("JERO_WORKERS", "abc")], &["--addr", "127.0.0.1:0"]);
    assert_eq!((line.as_str(), code), ("", Some(2)), "{err}");
    assert!(
        err.starts_with("JERO_WORKERS must be a positive integer"),
        "{err}"
    );
}

/// The body after the head of a `Connection: close` response.
fn body_of(resp: &str) -> &str {
    resp.split_once("\r\n\r\n").map_or("", |(_, b)| b)
}

#[test]
fn demo_streams_over_a_socket() {
    let r = start(env!("CARGO_BIN_EXE_demo"));
    // Two chunks of chunked coding, exactly.
    let resp = get(&r.addr, "/export");
    assert!(resp.contains("content-type: text/csv\r\n"), "{resp}");
    assert!(resp.contains("transfer-encoding: chunked\r\n"), "{resp}");
    assert_eq!(body_of(&resp), "8\r\nid,name\n\r\n8\r\n1,gizmo\n\r\n0\r\n\r\n");
    let resp = get(&r.addr, "/events");
    assert!(resp.contains("content-type: text/event-stream\r\n"), "{resp}");
    assert!(
        resp.contains("event: added\nid: 2\ndata: {\"title\":\"second\"}\n\n"),
        "{resp}"
    );
    // HEAD: the head only, no stream started.
    let mut s = TcpStream::connect(&r.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(s, "HEAD /movies HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
    let mut head = String::new();
    s.read_to_string(&mut head).unwrap();
    assert!(
        head.starts_with("HTTP/1.1 200 OK\r\n") && head.ends_with("\r\n\r\n"),
        "{head}"
    );
    assert!(body_of(&get(&r.addr, "/movies/stats")).ends_with(r#"{"opened":0,"closed":0}"#));
    assert_eq!(signal_and_wait(r, "TERM"), 0);
}

#[test]
fn demo_closes_a_stream_whose_client_went_away() {
    let r = start(env!("CARGO_BIN_EXE_demo"));
    let mut s = TcpStream::connect(&r.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(s, "GET /movies?count=1000000 HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let mut buf = vec![0u8; 4096];
    let n = s.read(&mut buf).unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).contains("movie-0"));
    drop(s);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let stats = get(&r.addr, "/movies/stats");
        if body_of(&stats) == r#"{"opened":1,"closed":1}"# {
            break;
        }
        assert!(Instant::now() < deadline, "the cursor was not closed: {stats}");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(signal_and_wait(r, "TERM"), 0);
}

#[test]
fn demo_state_is_shared_by_every_worker() {
    let r = start(env!("CARGO_BIN_EXE_demo"));
    let send = |req: String| {
        let mut s = TcpStream::connect(&r.addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s.write_all(req.as_bytes()).unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        out
    };
    let body = r#"{"name":"shared","priceCents":5}"#;
    let created = send(format!(
        "POST /widgets HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer token\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    ));
    assert!(created.starts_with("HTTP/1.1 201 "), "{created}");
    let location = created
        .lines()
        .find_map(|l| l.strip_prefix("location: "))
        .expect("a location")
        .to_owned();
    // Fresh connections land on either worker (SO_REUSEPORT); all see it.
    for _ in 0..16 {
        let got = send(format!(
            "GET {location} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer token\r\nConnection: close\r\n\r\n"
        ));
        assert!(got.starts_with("HTTP/1.1 200 OK\r\n"), "{got}");
        assert!(body_of(&got).contains(r#""name":"shared""#), "{got}");
    }
    assert_eq!(signal_and_wait(r, "TERM"), 0);
}
