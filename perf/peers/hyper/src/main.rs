//! hyper 1.x peer for jero's load tests: the five routes of `bench_app`
//! (`/plaintext`, `/json`, `/info`, `/widgets/{id}`, `POST /movies`), routed
//! by hand on method and path as plain hyper code does, serde_json for JSON.
//!
//! HTTP/1.1 only, one `current_thread` tokio runtime per worker (perf runs use
//! `--workers 1`), `pipeline_flush(true)` and TCP_NODELAY on every accepted
//! socket. With `--workers N > 1` each worker thread runs its own runtime and
//! accepts from a clone of the same listening socket.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{HeaderValue, AUTHORIZATION, CONTENT_TYPE};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
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

/// Process start (for `/info`'s uptime) and the `/movies` id counter.
struct State {
    started: Instant,
    next_id: AtomicU64,
}

fn reply(content_type: &'static str, body: impl Into<Bytes>) -> Response<Full<Bytes>> {
    let mut rsp = Response::new(Full::new(body.into()));
    rsp.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    rsp
}

fn json<T: Serialize>(value: &T) -> Response<Full<Bytes>> {
    let body = serde_json::to_vec(value).expect("serializing these structs cannot fail");
    reply("application/json", body)
}

fn status(code: StatusCode) -> Response<Full<Bytes>> {
    let mut rsp = Response::new(Full::default());
    *rsp.status_mut() = code;
    rsp
}

async fn create_movie(req: Request<Incoming>, state: &State) -> Response<Full<Bytes>> {
    let bearer = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if bearer != Some(TOKEN) {
        return status(StatusCode::UNAUTHORIZED);
    }
    let body = match req.into_body().collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => return status(StatusCode::BAD_REQUEST),
    };
    let m: NewMovie = match serde_json::from_slice(&body) {
        Ok(m) => m,
        // Well-formed JSON of the wrong shape is 422; anything else 400.
        Err(e) if e.is_data() => return status(StatusCode::UNPROCESSABLE_ENTITY),
        Err(_) => return status(StatusCode::BAD_REQUEST),
    };
    let id = state.next_id.fetch_add(1, Ordering::Relaxed) + 1;
    let mut rsp = json(&Movie {
        id: id.to_string(),
        title: m.title,
        year: m.year,
        director: m.director,
        rating: m.rating,
        genres: m.genres,
    });
    *rsp.status_mut() = StatusCode::CREATED;
    rsp
}

async fn handle(req: Request<Incoming>, state: &State) -> Result<Response<Full<Bytes>>, Infallible> {
    let path = req.uri().path();
    Ok(match (req.method(), path) {
        (&Method::GET, "/plaintext") => reply("text/plain", "Hello, World!"),
        (&Method::GET, "/json") => json(&Message {
            message: "Hello, World!",
        }),
        (&Method::GET, "/info") => {
            let mut rsp = json(&Info {
                name: "bench",
                version: "1.0",
                uptime_seconds: state.started.elapsed().as_secs(),
                healthy: true,
                region: "local",
            });
            rsp.headers_mut()
                .insert("x-app-version", HeaderValue::from_static("1.0"));
            rsp
        }
        (&Method::POST, "/movies") => create_movie(req, state).await,
        (&Method::GET, _) => match path.strip_prefix("/widgets/") {
            Some(id) if !id.is_empty() && !id.contains('/') => json(&Widget { id, name: "gizmo" }),
            _ => status(StatusCode::NOT_FOUND),
        },
        _ => status(StatusCode::NOT_FOUND),
    })
}

async fn serve(listener: std::net::TcpListener, state: &'static State) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::from_std(listener)?;
    let mut http = http1::Builder::new();
    http.pipeline_flush(true);
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(conn) => conn,
            Err(e) => {
                eprintln!("accept: {e}");
                continue;
            }
        };
        stream.set_nodelay(true)?;
        let conn = http.serve_connection(TokioIo::new(stream), service_fn(move |req| handle(req, state)));
        tokio::spawn(async move {
            // Client resets and the like are expected under load; ignore them.
            let _ = conn.await;
        });
    }
}

fn worker(listener: std::net::TcpListener, state: &'static State) -> std::io::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()?;
    rt.block_on(serve(listener, state))
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
    eprintln!("usage: peer-hyper [--addr HOST:PORT] [--workers N]");
    std::process::exit(if err.is_empty() { 0 } else { 2 })
}

fn main() -> std::io::Result<()> {
    let (addr, workers) = parse_args();
    let listener = std::net::TcpListener::bind(addr)?;
    listener.set_nonblocking(true)?;
    println!("listening on http://{}", listener.local_addr()?);
    let state: &'static State = Box::leak(Box::new(State {
        started: Instant::now(),
        next_id: AtomicU64::new(0),
    }));

    let extra: Vec<_> = (1..workers)
        .map(|_| {
            let l = listener.try_clone()?;
            Ok(std::thread::spawn(move || worker(l, state)))
        })
        .collect::<std::io::Result<_>>()?;
    let result = worker(listener, state);
    for t in extra {
        t.join().expect("worker thread panicked")?;
    }
    result
}
