//! may_minihttp peer for jero's load tests: its idiomatic `HttpService` on
//! `--workers` may scheduler threads (perf runs use 1).

use std::io;
use std::net::SocketAddr;

use bytes::BufMut;
use may_minihttp::{HttpService, HttpServiceFactory, Request, Response};
use serde::Serialize;

#[derive(Serialize)]
struct Message {
    message: &'static str,
}

struct Hello;

impl HttpService for Hello {
    fn call(&mut self, req: Request, rsp: &mut Response) -> io::Result<()> {
        match (req.method(), req.path()) {
            ("GET", "/plaintext") => {
                rsp.header("Content-Type: text/plain").body("Hello, World!");
            }
            ("GET", "/json") => {
                rsp.header("Content-Type: application/json");
                serde_json::to_writer(
                    rsp.body_mut().writer(),
                    &Message {
                        message: "Hello, World!",
                    },
                )?;
            }
            _ => {
                rsp.status_code(404, "Not Found");
            }
        }
        Ok(())
    }
}

struct HelloFactory;

impl HttpServiceFactory for HelloFactory {
    type Service = Hello;

    fn new_service(&self, _id: usize) -> Hello {
        Hello
    }
}

fn parse_args() -> (SocketAddr, usize) {
    let mut addr: SocketAddr = "127.0.0.1:8000".parse().unwrap();
    let mut workers = 1;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| {
            args.next()
                .unwrap_or_else(|| usage(&format!("{name} needs a value")))
        };
        match arg.as_str() {
            "--addr" => {
                addr = value("--addr")
                    .parse()
                    .unwrap_or_else(|e| usage(&format!("--addr: {e}")))
            }
            "--workers" => {
                workers = value("--workers")
                    .parse()
                    .unwrap_or_else(|e| usage(&format!("--workers: {e}")))
            }
            "-h" | "--help" => usage(""),
            other => usage(&format!("unknown argument {other:?}")),
        }
    }
    (addr, workers.max(1))
}

fn usage(err: &str) -> ! {
    if !err.is_empty() {
        eprintln!("error: {err}");
    }
    eprintln!("usage: peer-may-minihttp [--addr HOST:PORT] [--workers N]");
    std::process::exit(if err.is_empty() { 0 } else { 2 })
}

fn main() {
    let (addr, workers) = parse_args();
    // Leave CPU placement to the caller (`taskset`) instead of may's own
    // worker-to-core pinning.
    may::config().set_workers(workers);
    may::config().set_worker_pin(false);
    let server = HelloFactory.start(addr).unwrap_or_else(|e| {
        eprintln!("error: bind {addr}: {e}");
        std::process::exit(1)
    });
    println!("listening on http://{addr}");
    server.join().expect("server coroutine panicked");
}
