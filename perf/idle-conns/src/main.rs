//! Opens N TCP connections to a loopback HTTP/1.1 server, serves one
//! `GET /plaintext` on each (so every connection is an established keep-alive
//! connection the server has already handled once), holds them all idle for
//! a fixed time and exits.
//!
//! Prints `holding N connections for S s` once every connection is up, so a
//! caller can sample the server's memory while they are held.
//!
//! Everything is bounded: every connect/read/write has a timeout, the whole
//! setup phase has a deadline, and the hold time is fixed.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::ExitCode;
use std::time::{Duration, Instant};

const IO_TIMEOUT: Duration = Duration::from_secs(5);

struct Args {
    addr: SocketAddr,
    conns: usize,
    hold: Duration,
    path: String,
    setup_deadline: Duration,
}

fn usage(err: &str) -> ! {
    if !err.is_empty() {
        eprintln!("error: {err}");
    }
    eprintln!(
        "usage: idle-conns [--addr 127.0.0.1:PORT] [--conns N] [--hold SECS] [--path /plaintext] [--setup-deadline SECS]"
    );
    std::process::exit(if err.is_empty() { 0 } else { 2 })
}

fn parse_args() -> Args {
    let mut a = Args {
        addr: "127.0.0.1:8000".parse().unwrap(),
        conns: 10_000,
        hold: Duration::from_secs(5),
        path: "/plaintext".to_owned(),
        setup_deadline: Duration::from_secs(60),
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || {
            args.next()
                .unwrap_or_else(|| usage(&format!("{arg} needs a value")))
        };
        let secs = |v: String| Duration::from_secs_f64(v.parse().unwrap_or_else(|e| usage(&format!("{e}"))));
        match arg.as_str() {
            "--addr" => a.addr = value().parse().unwrap_or_else(|e| usage(&format!("--addr: {e}"))),
            "--conns" => {
                a.conns = value()
                    .parse()
                    .unwrap_or_else(|e| usage(&format!("--conns: {e}")))
            }
            "--hold" => a.hold = secs(value()),
            "--path" => a.path = value(),
            "--setup-deadline" => a.setup_deadline = secs(value()),
            "-h" | "--help" => usage(""),
            _ => usage(&format!("unknown argument {arg:?}")),
        }
    }
    if !a.addr.ip().is_loopback() {
        usage("only loopback addresses may be targeted");
    }
    a
}

/// Raises the soft RLIMIT_NOFILE to the hard limit; returns the new soft limit.
fn raise_nofile_limit() -> io::Result<libc::rlim_t> {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `lim` is a valid, writable rlimit for the duration of the call.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
        return Err(io::Error::last_os_error());
    }
    if lim.rlim_cur < lim.rlim_max {
        lim.rlim_cur = lim.rlim_max;
        // SAFETY: `lim` is a valid rlimit; the soft limit does not exceed the hard one.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) } != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(lim.rlim_cur)
}

/// Reads one HTTP/1.1 response (headers plus a `content-length` body) and
/// returns its status code. Chunked bodies are not needed for this tool.
fn read_response(stream: &mut TcpStream, buf: &mut Vec<u8>) -> io::Result<u16> {
    buf.clear();
    let mut chunk = [0u8; 4096];
    loop {
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "server closed the connection",
            ));
        }
        buf.extend_from_slice(&chunk[..n]);
        let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let head = std::str::from_utf8(&buf[..end])
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "non-UTF-8 response head"))?;
        let status = head
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "bad status line"))?;
        let len: usize = head
            .lines()
            .filter_map(|l| l.split_once(':'))
            .find(|(k, _)| k.trim().eq_ignore_ascii_case("content-length"))
            .and_then(|(_, v)| v.trim().parse().ok())
            .unwrap_or(0);
        if buf.len() >= end + 4 + len {
            return Ok(status);
        }
    }
}

fn open_one(args: &Args, request: &[u8], buf: &mut Vec<u8>) -> io::Result<TcpStream> {
    let mut stream = TcpStream::connect_timeout(&args.addr, IO_TIMEOUT)?;
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    stream.set_write_timeout(Some(IO_TIMEOUT))?;
    stream.write_all(request)?;
    let status = read_response(&mut stream, buf)?;
    if status != 200 {
        return Err(io::Error::other(format!("status {status}")));
    }
    Ok(stream)
}

fn main() -> ExitCode {
    let args = parse_args();
    match raise_nofile_limit() {
        Ok(limit) if limit < (args.conns + 16) as libc::rlim_t => {
            eprintln!(
                "warning: RLIMIT_NOFILE is {limit}, too low for {} connections",
                args.conns
            );
        }
        Ok(_) => {}
        Err(e) => eprintln!("warning: raising RLIMIT_NOFILE: {e}"),
    }

    let request = format!("GET {} HTTP/1.1\r\nHost: x\r\n\r\n", args.path);
    let mut buf = Vec::with_capacity(4096);
    let mut held = Vec::with_capacity(args.conns);
    let started = Instant::now();
    for i in 0..args.conns {
        if started.elapsed() > args.setup_deadline {
            eprintln!(
                "error: setup deadline of {:?} passed after {i} connections",
                args.setup_deadline
            );
            return ExitCode::FAILURE;
        }
        match open_one(&args, request.as_bytes(), &mut buf) {
            Ok(stream) => held.push(stream),
            Err(e) => {
                eprintln!("error: connection {i} to {}: {e}", args.addr);
                return ExitCode::FAILURE;
            }
        }
    }
    println!(
        "holding {} connections for {} s (setup took {:.2} s)",
        held.len(),
        args.hold.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
    std::thread::sleep(args.hold);

    // Check that the server kept every connection open while idle: a
    // non-blocking read must say "would block", not EOF or an error.
    let mut closed = 0usize;
    for s in &mut held {
        s.set_nonblocking(true).ok();
        match s.read(&mut [0u8; 1]) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            _ => closed += 1,
        }
    }
    if closed > 0 {
        println!(
            "note: the server closed or reset {closed} of {} connections while idle",
            held.len()
        );
    }
    println!("done");
    ExitCode::SUCCESS
}
