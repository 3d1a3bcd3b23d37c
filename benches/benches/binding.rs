//! `binding` group: what binding by name costs.
//!
//! * `path_query_headers` — the whole in-process dispatch of
//!   `GET /items/abc123?q=shoes` with `X-Trace-Id` and `User-Agent`: the raw
//!   bytes parsed with [`Request::parse`], then [`Router::dispatch`] (route,
//!   bind `path` (one slot), `params` (two fields, `limit` defaulted because
//!   the query leaves it out) and `headers` (`X-Trace-Id`, optional
//!   `User-Agent`), call, build the response). The handler returns a short
//!   `String`. The response is not encoded. The dispatch future completes
//!   without I/O, so it is polled once with a no-op waker.
//! * `json_decode_5_fields` — `sonic_rs::from_slice` of a five-field contract
//!   (String, i64, bool, f64, `Vec<String>`): the call jero's `json` binder
//!   makes (its `decode_json` is not public, so the call is made directly).
//! * `json_encode_5_fields` — the same contract encoded with
//!   [`JsonBody::write_body`] into a response, jero's public encoder.
//!
//! Throughput is one request (or one value) per iteration.

// Links the benches' library, which sets the global allocator.
use jero_benches as _;
use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use jero::engine::{Request, Response};
use jero::{contract, resource, App, BoxError, JsonBody, Router, Wiring};

// ---------------------------------------------------------------------------
// path + params + headers

const RAW_GET: &[u8] = b"GET /items/abc123?q=shoes HTTP/1.1\r\n\
    Host: localhost:8080\r\n\
    X-Trace-Id: 4bf92f3577b34da6\r\n\
    User-Agent: bench/1.0\r\n\
    \r\n";

#[contract]
struct ItemPath {
    item_id: String,
}

fn default_limit() -> u32 {
    20
}

#[contract]
struct ItemParams {
    q: String,
    #[serde(default = "default_limit")]
    limit: u32,
}

#[contract]
struct TraceHeaders {
    x_trace_id: String,
    user_agent: Option<String>,
}

struct Items;

// GET /items/{item_id}
#[resource(path = "/items")]
impl Items {
    async fn read_one(&self, path: ItemPath, params: ItemParams, headers: TraceHeaders) -> String {
        // Touch every bound value; the body stays short ("abc123").
        let used = params.q.len() + params.limit as usize + headers.x_trace_id.len();
        let ua = headers.user_agent.map_or(0, |s| s.len());
        black_box(used + ua);
        path.item_id
    }
}

struct BindingApp;

impl App for BindingApp {
    async fn wire(&self, wiring: &mut Wiring) -> Result<(), BoxError> {
        wiring.include_resource(Items);
        Ok(())
    }
}

/// Parses `raw` and dispatches it, polling the dispatch future once.
#[inline]
fn dispatch_once(router: &Router, raw: &'static [u8]) -> Response {
    let req = Request::parse(Bytes::from_static(raw)).expect("sample request parses");
    let mut fut = pin!(router.dispatch(req));
    match fut.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(res) => res,
        Poll::Pending => panic!("dispatch did not complete without I/O"),
    }
}

// ---------------------------------------------------------------------------
// JSON

#[contract]
#[derive(Clone, PartialEq, Debug)]
struct Order {
    customer: String,
    quantity: i64,
    express: bool,
    total: f64,
    tags: Vec<String>,
}

const ORDER_JSON: &[u8] =
    br#"{"customer":"Ada Lovelace","quantity":3,"express":true,"total":129.95,"tags":["gift","priority","eu"]}"#;

/// The order as a JSON response body.
fn encode_order(order: &Order) -> jero::engine::Response {
    let mut res = jero::engine::Response::new(200);
    assert!(order.write_body(&mut res).expect("sample order encodes"));
    res
}

fn binding(c: &mut Criterion) {
    let wired = jero::serve::block_on(jero::wire(&BindingApp))
        .expect("binding bench: runtime")
        .expect("binding bench: wiring");
    let router: &Router = &wired.router;

    // Fail loudly rather than benchmark an error path.
    let res = dispatch_once(router, RAW_GET);
    assert_eq!(res.status(), 200, "path_query_headers: unexpected status");

    let order: Order = sonic_rs::from_slice(ORDER_JSON).expect("sample order decodes");
    let encoded = encode_order(&order);
    let body = encoded.body().bytes().expect("a whole body");
    assert_eq!(sonic_rs::from_slice::<Order>(body).expect("round trip"), order);

    let mut group = c.benchmark_group("binding");
    group.throughput(Throughput::Elements(1));
    group.bench_function("path_query_headers", |b| {
        b.iter(|| dispatch_once(router, black_box(RAW_GET)))
    });
    group.bench_function("json_decode_5_fields", |b| {
        b.iter(|| sonic_rs::from_slice::<Order>(black_box(ORDER_JSON)).unwrap())
    });
    group.bench_function("json_encode_5_fields", |b| {
        b.iter(|| encode_order(black_box(&order)))
    });
    group.finish();
}

// `criterion_group!` expands to an undocumented `pub fn`; keeping it in a
// private module keeps it out of the `missing_docs` lint.
mod group {
    use super::*;

    criterion_group! {
        name = benches;
        config = Criterion::default()
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(3));
        targets = binding
    }
}
criterion_main!(group::benches);
