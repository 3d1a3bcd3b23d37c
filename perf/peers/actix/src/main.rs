//! actix-web 4 peer for jero's load tests.
//!
//! Idiomatic actix-web: an `App` of routes, extractors (`web::Path`,
//! `web::Data`, `HttpRequest`, `web::Json`) and `HttpServer::workers(N)`
//! (perf runs use 1). `web::Json` rejects a body that does not fit the
//! struct; its error handler is set (the usual `JsonConfig` way) to answer
//! 422 for a well-formed body of the wrong shape and 400 for one that is not
//! JSON, like the other servers. HTTP/1 only. Like every other server in the
//! harness it sets TCP_NODELAY on accepted sockets (`HttpServer::tcp_nodelay`;
//! actix keeps the OS default otherwise), and its keep-alive idle timeout is
//! 60 s like jero's (actix's default, 5 s, would close the idle connections
//! of the memory test while they are being opened).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use actix_web::error::{InternalError, JsonPayloadError};
use actix_web::http::header::AUTHORIZATION;
use actix_web::{get, post, web, App, HttpRequest, HttpResponse, HttpServer};
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

#[get("/plaintext")]
async fn plaintext() -> &'static str {
    "Hello, World!"
}

#[get("/json")]
async fn json() -> web::Json<Message> {
    web::Json(Message {
        message: "Hello, World!",
    })
}

#[get("/info")]
async fn info(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("x-app-version", "1.0"))
        .json(Info {
            name: "bench",
            version: "1.0",
            uptime_seconds: state.started.elapsed().as_secs(),
            healthy: true,
            region: "local",
        })
}

#[get("/widgets/{id}")]
async fn widget(id: web::Path<String>) -> web::Json<Widget> {
    web::Json(Widget {
        id: id.into_inner(),
        name: "gizmo",
    })
}

// The bearer check comes first: taking `web::Json` as a `Result` lets the
// handler answer 401 before it looks at a body error.
#[post("/movies")]
async fn create_movie(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Result<web::Json<NewMovie>, actix_web::Error>,
) -> Result<HttpResponse, actix_web::Error> {
    let bearer = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if bearer != Some(TOKEN) {
        return Ok(HttpResponse::Unauthorized().finish());
    }
    let m = body?.into_inner();
    let id = state.next_id.fetch_add(1, Ordering::Relaxed) + 1;
    Ok(HttpResponse::Created().json(Movie {
        id: id.to_string(),
        title: m.title,
        year: m.year,
        director: m.director,
        rating: m.rating,
        genres: m.genres,
    }))
}

fn json_error(err: JsonPayloadError, _req: &HttpRequest) -> actix_web::Error {
    let status = match &err {
        JsonPayloadError::Deserialize(e) if e.is_data() => actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
        JsonPayloadError::ContentType => actix_web::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
        _ => actix_web::http::StatusCode::BAD_REQUEST,
    };
    InternalError::from_response(err, HttpResponse::build(status).finish()).into()
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
    eprintln!("usage: peer-actix [--addr HOST:PORT] [--workers N]");
    std::process::exit(if err.is_empty() { 0 } else { 2 })
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let (addr, workers) = parse_args();
    let state = web::Data::new(AppState {
        started: Instant::now(),
        next_id: AtomicU64::new(0),
    });
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .app_data(web::JsonConfig::default().error_handler(json_error))
            .service(plaintext)
            .service(json)
            .service(info)
            .service(widget)
            .service(create_movie)
    })
    .workers(workers)
    .tcp_nodelay(true)
    .keep_alive(Duration::from_secs(60))
    // A load-test peer is stopped with SIGTERM and should exit promptly.
    .shutdown_timeout(1)
    .bind(addr)?;
    for a in server.addrs() {
        println!("listening on http://{a}");
    }
    server.run().await
}
