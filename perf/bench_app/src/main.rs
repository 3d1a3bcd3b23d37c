//! `bench_app`: the jero app of the load tests (`SUITE=app bash perf/run.sh`).
//!
//! Written the way a jero user would write it: contracts, endpoints and
//! resources, no engine-level shortcuts. Every peer in `perf/peers/` serves
//! the same five routes:
//!
//! | route | answer |
//! | --- | --- |
//! | `GET /plaintext` | `Hello, World!` (`text/plain; charset=utf-8`) |
//! | `GET /json` | `{"message":"Hello, World!"}` |
//! | `GET /info` | a 5-field struct (camelCase), header `x-app-version: 1.0` |
//! | `GET /widgets/{id}` | `{"id":"<id>","name":"gizmo"}` |
//! | `POST /movies` | behind an authenticator: `Authorization: Bearer token` (else 401, before the body is read); JSON movie body (else 400/422); 201 with the movie and an `id` |
//!
//! ```text
//! bench_app [--addr HOST:PORT] [--workers N]     # defaults: 127.0.0.1:8000, 1 worker
//! ```
//! `JERO_DRIVER=uring|epoll` picks the engine's I/O driver.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use jero::{authenticator, contract, endpoint, resource, BoxError, JsonResponse, Wiring};

/// The bearer token `POST /movies` accepts.
const TOKEN: &str = "token";

// GET /plaintext ------------------------------------------------------------

struct Plaintext;

#[endpoint(path = "/plaintext")]
impl Plaintext {
    async fn get(&self) -> &'static str {
        "Hello, World!"
    }
}

// GET /json -----------------------------------------------------------------

#[contract(output)]
struct Message {
    message: &'static str,
}

struct Json;

#[endpoint(path = "/json")]
impl Json {
    async fn get(&self) -> Message {
        Message {
            message: "Hello, World!",
        }
    }
}

// GET /info -----------------------------------------------------------------

#[contract(output)]
#[serde(rename_all = "camelCase")]
struct Info {
    name: &'static str,
    version: &'static str,
    uptime_seconds: u64,
    healthy: bool,
    region: &'static str,
}

#[contract(output)]
struct InfoHeaders {
    x_app_version: &'static str,
}

struct InfoEndpoint {
    started: Instant,
}

#[endpoint(path = "/info")]
impl InfoEndpoint {
    async fn get(&self) -> JsonResponse<Info, InfoHeaders> {
        let info = Info {
            name: "bench",
            version: "1.0",
            uptime_seconds: self.started.elapsed().as_secs(),
            healthy: true,
            region: "local",
        };
        JsonResponse::new(info).headers(InfoHeaders { x_app_version: "1.0" })
    }
}

// GET /widgets/{id} ---------------------------------------------------------

#[contract]
struct WidgetPath {
    id: String,
}

#[contract(output)]
struct Widget {
    id: String,
    name: &'static str,
}

struct Widgets;

#[resource(path = "/widgets")]
impl Widgets {
    async fn read_one(&self, path: WidgetPath) -> Widget {
        Widget {
            id: path.id,
            name: "gizmo",
        }
    }
}

// POST /movies --------------------------------------------------------------

/// The credentials `POST /movies` needs.
#[contract(input)]
struct BearerHeaders {
    authorization: String,
}

/// 401 `invalid-token`: an `Authorization` header with another token.
#[jero::error(status = 401, code = "invalid-token", title = "Invalid token")]
struct InvalidToken;

/// The caller `BearerAuth` admits.
struct Caller;

/// `Authorization: Bearer token`; a missing header is 401
/// `authentication-required` (the framework's).
struct BearerAuth;

#[authenticator]
impl BearerAuth {
    async fn authenticate(&self, headers: BearerHeaders) -> Result<Caller, InvalidToken> {
        match headers.authorization.strip_prefix("Bearer ") {
            Some(TOKEN) => Ok(Caller),
            _ => Err(InvalidToken),
        }
    }
}

#[contract(input)]
struct NewMovie {
    title: String,
    year: i32,
    director: String,
    rating: f64,
    genres: Vec<String>,
}

#[contract(output)]
struct Movie {
    id: String,
    title: String,
    year: i32,
    director: String,
    rating: f64,
    genres: Vec<String>,
}

struct Movies {
    next_id: AtomicU64,
}

#[resource(path = "/movies")]
impl Movies {
    async fn create(&self, json: NewMovie) -> Movie {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        Movie {
            id: id.to_string(),
            title: json.title,
            year: json.year,
            director: json.director,
            rating: json.rating,
            genres: json.genres,
        }
    }
}

// The app -------------------------------------------------------------------

struct BenchApp;

impl jero::App for BenchApp {
    async fn wire(&self, wiring: &mut Wiring) -> Result<(), BoxError> {
        wiring
            .include_endpoint(Plaintext)
            .include_endpoint(Json)
            .include_endpoint(InfoEndpoint {
                started: Instant::now(),
            })
            .include_resource(Widgets)
            .include_resource_with_auth(
                Movies {
                    next_id: AtomicU64::new(0),
                },
                BearerAuth,
            );
        Ok(())
    }
}

fn parse_args() -> (String, usize) {
    let mut addr = "127.0.0.1:8000".to_owned();
    let mut workers = 1;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| {
            args.next()
                .unwrap_or_else(|| usage(&format!("{name} needs a value")))
        };
        match arg.as_str() {
            "--addr" => addr = value("--addr"),
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
    eprintln!("usage: bench_app [--addr HOST:PORT] [--workers N]");
    std::process::exit(if err.is_empty() { 0 } else { 2 })
}

fn main() {
    let (addr, workers) = parse_args();
    let bound = jero::serve(BenchApp)
        .addr(addr)
        .workers(workers)
        .bind()
        .unwrap_or_else(|e| {
            eprintln!("error: {e}");
            std::process::exit(1)
        });
    println!("listening on http://{}", bound.local_addr());
    if let Err(e) = bound.run() {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}
