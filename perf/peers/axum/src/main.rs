//! axum 0.8 peer for jero's load tests.
//!
//! Idiomatic axum: a `Router` and extractors (`State`, `Path`, `HeaderMap`,
//! `Json`), serde_json through `Json`.
//! One `current_thread` tokio runtime per worker (perf runs use
//! `--workers 1`), HTTP/1 only, TCP_NODELAY on accepted sockets via
//! `ListenerExt::tap_io` (axum 0.8's documented way). With `--workers N > 1` each worker
//! thread runs its own runtime and accepts from a clone of the same
//! listening socket.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{Path, State};
use axum::http::header::AUTHORIZATION;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::serve::ListenerExt;
use axum::{Json, Router};
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
struct Widget {
    id: String,
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

struct AppState {
    started: Instant,
    next_id: AtomicU64,
}

async fn plaintext() -> &'static str {
    "Hello, World!"
}

async fn json() -> Json<Message> {
    Json(Message {
        message: "Hello, World!",
    })
}

async fn info(State(state): State<Arc<AppState>>) -> impl IntoResponse {
    let info = Info {
        name: "bench",
        version: "1.0",
        uptime_seconds: state.started.elapsed().as_secs(),
        healthy: true,
        region: "local",
    };
    ([("x-app-version", "1.0")], Json(info))
}

async fn widget(Path(id): Path<String>) -> Json<Widget> {
    Json(Widget { id, name: "gizmo" })
}

// The bearer check runs before the body is parsed: `HeaderMap` comes first
// and `Json` (which consumes the body) last, as axum requires. A body that
// does not fit `NewMovie` is rejected by `Json` itself: 422 (400 when it is
// not JSON at all, 415 without `content-type: application/json`).
async fn create_movie(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Json<NewMovie>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let bearer = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if bearer != Some(TOKEN) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let Json(m) = match body {
        Ok(b) => b,
        Err(rejection) => return rejection.into_response(),
    };
    let id = state.next_id.fetch_add(1, Ordering::Relaxed) + 1;
    let movie = Movie {
        id: id.to_string(),
        title: m.title,
        year: m.year,
        director: m.director,
        rating: m.rating,
        genres: m.genres,
    };
    (StatusCode::CREATED, Json(movie)).into_response()
}

fn app(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/plaintext", get(plaintext))
        .route("/json", get(json))
        .route("/info", get(info))
        .route("/widgets/{id}", get(widget))
        .route("/movies", post(create_movie))
        .with_state(state)
}

fn worker(listener: std::net::TcpListener, state: Arc<AppState>) -> std::io::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()?;
    rt.block_on(async move {
        // TCP_NODELAY on every accepted socket, as axum's `ListenerExt` docs show.
        let listener = tokio::net::TcpListener::from_std(listener)?.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        axum::serve(listener, app(state)).await
    })
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
    eprintln!("usage: peer-axum [--addr HOST:PORT] [--workers N]");
    std::process::exit(if err.is_empty() { 0 } else { 2 })
}

fn main() -> std::io::Result<()> {
    let (addr, workers) = parse_args();
    let listener = std::net::TcpListener::bind(addr)?;
    listener.set_nonblocking(true)?;
    println!("listening on http://{}", listener.local_addr()?);
    let state = Arc::new(AppState {
        started: Instant::now(),
        next_id: AtomicU64::new(0),
    });

    let extra: Vec<_> = (1..workers)
        .map(|_| {
            let l = listener.try_clone()?;
            let s = state.clone();
            Ok(std::thread::spawn(move || worker(l, s)))
        })
        .collect::<std::io::Result<_>>()?;
    let result = worker(listener, state);
    for t in extra {
        t.join().expect("worker thread panicked")?;
    }
    result
}
