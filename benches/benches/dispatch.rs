//! `get_widget` group: `GET /widgets/{widget_id}` answered in process, jero
//! next to axum (target: jero ≤ 1 µs and at least 2x faster than axum).
//!
//! * `jero` — raw request bytes to encoded response bytes:
//!   [`Request::parse`], [`Router::dispatch`] (the future completes without
//!   I/O, so it is polled once with a no-op waker), then
//!   [`encode_response`] into a reused buffer.
//! * `axum` — the same route in axum 0.8 (`Path<String>` in, `Json<Widget>`
//!   out through serde_json), driven with `tower::ServiceExt::oneshot` from
//!   an `http::Request` built per iteration to the collected body bytes. Its
//!   future also completes on the first poll, so it is driven the same way,
//!   with no runtime.
//!
//! Neither side touches a socket; the jero side does parse the request and
//! encode the response head, which the axum side (hyper's job there) does
//! not. Throughput is one request per iteration.

// Links the benches' library, which sets the global allocator.
use jero_benches as _;
use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use http_body_util::BodyExt;
use jero::engine::{encode_response, Request};
use jero::{contract, resource, App, BoxError, Router, Wiring};
use tower::ServiceExt;

const RAW: &[u8] = b"GET /widgets/w-42 HTTP/1.1\r\nHost: localhost:8080\r\n\r\n";
const EXPECTED_BODY: &str = r#"{"id":"w-42","name":"gizmo"}"#;

/// Polls `fut` once with a no-op waker; panics if it is not ready.
#[inline]
fn now_or_never<F: Future>(fut: F) -> F::Output {
    let mut fut = pin!(fut);
    match fut.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(out) => out,
        Poll::Pending => panic!("future did not complete without I/O"),
    }
}

// ---------------------------------------------------------------------------
// jero

#[contract]
struct WidgetPath {
    widget_id: String,
}

#[contract]
struct Widget {
    id: String,
    name: String,
}

struct WidgetResource;

#[resource(path = "/widgets")]
impl WidgetResource {
    // GET /widgets/{widget_id}
    async fn read_one(&self, path: WidgetPath) -> Widget {
        Widget {
            id: path.widget_id,
            name: "gizmo".into(),
        }
    }
}

struct WidgetApp;

impl App for WidgetApp {
    async fn wire(&self, wiring: &mut Wiring) -> Result<(), BoxError> {
        wiring.include_resource(WidgetResource);
        Ok(())
    }
}

/// One request through jero: parse, dispatch, encode into `out`.
#[inline]
fn jero_round(router: &Router, raw: &'static [u8], out: &mut Vec<u8>) {
    out.clear();
    let req = Request::parse(Bytes::from_static(raw)).expect("sample request parses");
    let mut res = now_or_never(router.dispatch(req));
    let stream = encode_response(&mut res, false, out);
    debug_assert!(stream.is_none());
}

// ---------------------------------------------------------------------------
// axum

async fn axum_read_one(axum::extract::Path(widget_id): axum::extract::Path<String>) -> axum::Json<Widget> {
    axum::Json(Widget {
        id: widget_id,
        name: "gizmo".into(),
    })
}

fn axum_router() -> axum::Router {
    axum::Router::new().route("/widgets/{widget_id}", axum::routing::get(axum_read_one))
}

/// One request through axum: build it, route and call, collect the body.
#[inline]
fn axum_round(app: &axum::Router, uri: &'static str) -> (http::StatusCode, Bytes) {
    let req = http::Request::builder()
        .method(http::Method::GET)
        .uri(uri)
        .header(http::header::HOST, "localhost:8080")
        .body(axum::body::Body::empty())
        .expect("valid request");
    now_or_never(async {
        let res = app.clone().oneshot(req).await.expect("infallible");
        let (parts, body) = res.into_parts();
        let bytes = body.collect().await.expect("in-memory body").to_bytes();
        (parts.status, bytes)
    })
}

fn get_widget(c: &mut Criterion) {
    let wired = jero::serve::block_on(jero::wire(&WidgetApp))
        .expect("dispatch bench: runtime")
        .expect("dispatch bench: wiring");
    let router: &Router = &wired.router;
    let app = axum_router();

    // Fail loudly rather than benchmark an error path on either side.
    let mut out = Vec::with_capacity(1024);
    jero_round(router, RAW, &mut out);
    let text = std::str::from_utf8(&out).expect("ASCII response");
    assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "jero: {text}");
    assert!(text.ends_with(EXPECTED_BODY), "jero: {text}");
    let (status, body) = axum_round(&app, "/widgets/w-42");
    assert_eq!(status, http::StatusCode::OK, "axum status");
    assert_eq!(&body[..], EXPECTED_BODY.as_bytes(), "axum body");

    let mut group = c.benchmark_group("get_widget");
    group.throughput(Throughput::Elements(1));
    group.bench_function("jero", |b| {
        b.iter(|| {
            jero_round(router, black_box(RAW), &mut out);
            black_box(out.len())
        })
    });
    group.bench_function("axum", |b| {
        b.iter(|| axum_round(&app, black_box("/widgets/w-42")))
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
            .measurement_time(Duration::from_secs(4));
        targets = get_widget
    }
}
criterion_main!(group::benches);
