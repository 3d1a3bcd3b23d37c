//! hyper 1.x peer for jero's load tests.
//!
//! HTTP/1.1 only, one `current_thread` tokio runtime per worker (perf runs use
//! `--workers 1`), `pipeline_flush(true)` and TCP_NODELAY on every accepted
//! socket. With `--workers N > 1` each worker thread runs its own runtime and
//! accepts from a clone of the same listening socket.

use std::convert::Infallible;
use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde::Serialize;

#[derive(Serialize)]
struct Message {
    message: &'static str,
}

fn reply(content_type: &'static str, body: impl Into<Bytes>) -> Response<Full<Bytes>> {
    let mut rsp = Response::new(Full::new(body.into()));
    rsp.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    rsp
}

async fn handle(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    Ok(match (req.method(), req.uri().path()) {
        (&Method::GET, "/plaintext") => reply("text/plain", "Hello, World!"),
        (&Method::GET, "/json") => {
            let body = serde_json::to_vec(&Message {
                message: "Hello, World!",
            })
            .expect("serializing a static struct cannot fail");
            reply("application/json", body)
        }
        _ => {
            let mut rsp = Response::new(Full::default());
            *rsp.status_mut() = StatusCode::NOT_FOUND;
            rsp
        }
    })
}

async fn serve(listener: std::net::TcpListener) -> std::io::Result<()> {
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
        let conn = http.serve_connection(TokioIo::new(stream), service_fn(handle));
        tokio::spawn(async move {
            // Client resets and the like are expected under load; ignore them.
            let _ = conn.await;
        });
    }
}

fn worker(listener: std::net::TcpListener) -> std::io::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()?;
    rt.block_on(serve(listener))
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

    let extra: Vec<_> = (1..workers)
        .map(|_| {
            let l = listener.try_clone()?;
            Ok(std::thread::spawn(move || worker(l)))
        })
        .collect::<std::io::Result<_>>()?;
    let result = worker(listener);
    for t in extra {
        t.join().expect("worker thread panicked")?;
    }
    result
}
