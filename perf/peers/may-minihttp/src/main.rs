//! may_minihttp peer for jero's load tests: its idiomatic `HttpService` on
//! `--workers` may scheduler threads (perf runs use 1), serving the five
//! routes of `bench_app` (`/plaintext`, `/json`, `/info`, `/widgets/{id}`,
//! `POST /movies`), routed by hand on method and path, serde_json for JSON.

use std::io::{self, Read};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use bytes::BufMut;
use may_minihttp::{HttpService, HttpServiceFactory, Request, Response};
use serde::{Deserialize, Serialize};

const TOKEN: &str = "token";

#[derive(Serialize)]
struct Message {
    message: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Info {
    name: &'static str,
    version: &'static str,
    uptime_seconds: u64,
    healthy: bool,
    region: &'static str,
}

#[derive(Serialize)]
struct Widget<'a> {
    id: &'a str,
    name: &'static str,
}

#[derive(Deserialize)]
struct NewMovie {
    title: String,
    year: i32,
    director: String,
    rating: f64,
    genres: Vec<String>,
}

#[derive(Serialize)]
struct Movie {
    id: String,
    title: String,
    year: i32,
    director: String,
    rating: f64,
    genres: Vec<String>,
}

/// Process start (for `/info`'s uptime) and the `/movies` id counter,
/// shared by the services of all workers.
struct State {
    started: Instant,
    next_id: AtomicU64,
}

struct Hello {
    state: Arc<State>,
}

fn json<T: Serialize>(rsp: &mut Response, value: &T) -> io::Result<()> {
    rsp.header("Content-Type: application/json");
    serde_json::to_writer(rsp.body_mut().writer(), value)?;
    Ok(())
}

impl Hello {
    fn create_movie(&self, req: Request, rsp: &mut Response) -> io::Result<()> {
        let authorized = req.headers().iter().any(|h| {
            h.name.eq_ignore_ascii_case("authorization")
                && h.value.strip_prefix(b"Bearer ") == Some(TOKEN.as_bytes())
        });
        // Always read the body: may_minihttp leaves an unread body in the
        // connection's buffer, where it would be parsed as the next request.
        let mut body = Vec::new();
        req.body().read_to_end(&mut body)?;
        if !authorized {
            rsp.status_code(401, "Unauthorized");
            return Ok(());
        }
        let m: NewMovie = match serde_json::from_slice(&body) {
            Ok(m) => m,
            // Well-formed JSON of the wrong shape is 422; anything else 400.
            Err(e) if e.is_data() => {
                rsp.status_code(422, "Unprocessable Entity");
                return Ok(());
            }
            Err(_) => {
                rsp.status_code(400, "Bad Request");
                return Ok(());
            }
        };
        let id = self.state.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        rsp.status_code(201, "Created");
        json(
            rsp,
            &Movie {
                id: id.to_string(),
                title: m.title,
                year: m.year,
                director: m.director,
                rating: m.rating,
                genres: m.genres,
            },
        )
    }
}

impl HttpService for Hello {
    fn call(&mut self, req: Request, rsp: &mut Response) -> io::Result<()> {
        match (req.method(), req.path()) {
            ("GET", "/plaintext") => {
                rsp.header("Content-Type: text/plain").body("Hello, World!");
            }
            ("GET", "/json") => json(
                rsp,
                &Message {
                    message: "Hello, World!",
                },
            )?,
            ("GET", "/info") => {
                rsp.header("X-App-Version: 1.0");
                json(
                    rsp,
                    &Info {
                        name: "bench",
                        version: "1.0",
                        uptime_seconds: self.state.started.elapsed().as_secs(),
                        healthy: true,
                        region: "local",
                    },
                )?
            }
            ("POST", "/movies") => self.create_movie(req, rsp)?,
            ("GET", path) => match path.strip_prefix("/widgets/") {
                Some(id) if !id.is_empty() && !id.contains('/') => json(rsp, &Widget { id, name: "gizmo" })?,
                _ => {
                    rsp.status_code(404, "Not Found");
                }
            },
            _ => {
                rsp.status_code(404, "Not Found");
            }
        }
        Ok(())
    }
}

struct HelloFactory {
    state: Arc<State>,
}

impl HttpServiceFactory for HelloFactory {
    type Service = Hello;

    fn new_service(&self, _id: usize) -> Hello {
        Hello {
            state: self.state.clone(),
        }
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
    let factory = HelloFactory {
        state: Arc::new(State {
            started: Instant::now(),
            next_id: AtomicU64::new(0),
        }),
    };
    let server = factory.start(addr).unwrap_or_else(|e| {
        eprintln!("error: bind {addr}: {e}");
        std::process::exit(1)
    });
    println!("listening on http://{addr}");
    server.join().expect("server coroutine panicked");
}
