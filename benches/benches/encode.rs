//! `encode_response` group: a handler's return value to response bytes, with
//! and without the `JsonResponse` wrapper (target: the wrapper with two
//! typed headers costs at most 10% more than the plain struct).
//!
//! Every id turns a value built from the same template (a four-field
//! contract) into a response as the framework does with a handler's return
//! value (`IntoResponse::into_response`, under a detached request context
//! from `jero::__private::with_detached_cx`), and encodes it by reference
//! with `encode_response` into a reused buffer, as the server does:
//!
//! * `plain_struct`: the contract itself (JSON body, `content-type`).
//! * `json_response_two_typed_headers`: `JsonResponse::new(contract)
//!   .headers(RateHeaders { x_rate_limit, x_request_id })`, the same body
//!   plus `x-rate-limit` (a `u32`) and `x-request-id` (a `String`).
//! * `json_response_no_headers` and `json_response_one_typed_header`: the
//!   steps in between (the bare wrapper; `x-rate-limit` alone), to see
//!   where the difference comes from.
//!
//! The values are built outside the timed section, in batches of 64 (a
//! handler builds its value either way, and a batch that small stays in
//! the L1 cache, as a value just built does). `iter_batched_ref` drops each
//! batch's buffer after the timed section; with `iter_batched` the buffer
//! of the moved-out values was freed inside it, which charged the larger
//! wrapped values for the allocator's work on criterion's own buffer.
//!
//! Each value is consumed, so its `String`s are freed inside the timed
//! section: with the system allocator (`--no-default-features`) the
//! `x_request_id` header's `free` alone is about 100 instructions, 7 % of
//! the plain struct's cost; with mimalloc, the default here as in the
//! example binaries, about 20.
//!
//! The ids run one after the other, and this machine's speed drifts by more
//! than the difference between them: compare them with
//! `bash perf/encode-pairs.sh`, which alternates the two ids of the target
//! in separate runs, pinned to one core, and prints the medians.
//!
//! The values and `encode_into` live in `jero_benches::encode_cases`,
//! shared with `perf/probes/encode-ab` (the same cases counted by
//! callgrind, or timed in alternating batches).
//!
//! Throughput is one response per iteration.

use std::hint::black_box;
use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkGroup, Criterion, Throughput};
use jero::IntoResponse;
use jero_benches::encode_cases::{bare, encode_into, one_header, two_headers, widget};

/// Times `encode_into` on values from `make`, built in batches of 64
/// outside the timed section.
fn bench_case<V: IntoResponse>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    id: &str,
    out: &mut Vec<u8>,
    make: impl Fn() -> V,
) {
    group.bench_function(id, |b| {
        jero::__private::with_detached_cx(200, |cx| {
            b.iter_batched_ref(
                || Some(make()),
                |slot| {
                    let value = slot.take().expect("each value is used once");
                    encode_into(value, cx, out);
                    black_box(out.len())
                },
                BatchSize::NumIterations(64),
            )
        })
    });
}

fn encode(c: &mut Criterion) {
    let template = widget();
    let widget = || black_box(&template).clone();
    let wrapped = || two_headers(widget());

    // Fail loudly if the responses are not what they should be.
    let mut out = Vec::with_capacity(1024);
    jero::__private::with_detached_cx(200, |cx| {
        encode_into(widget(), cx, &mut out);
        let plain = String::from_utf8(out.clone()).expect("ASCII response");
        encode_into(wrapped(), cx, &mut out);
        let wrapper = String::from_utf8(out.clone()).expect("ASCII response");
        let body = r#"{"id":"w-42","name":"gizmo","price_cents":1999,"in_stock":true}"#;
        for text in [&plain, &wrapper] {
            assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
            assert!(text.contains("content-type: application/json\r\n"), "{text}");
            assert!(text.ends_with(body), "{text}");
        }
        assert!(wrapper.contains("x-rate-limit: 100\r\n"), "{wrapper}");
        assert!(wrapper.contains("x-request-id: req-7f3a\r\n"), "{wrapper}");
    });

    let mut group = c.benchmark_group("encode_response");
    group.throughput(Throughput::Elements(1));
    bench_case(&mut group, "plain_struct", &mut out, widget);
    bench_case(&mut group, "json_response_two_typed_headers", &mut out, wrapped);
    bench_case(
        &mut group,
        "json_response_no_headers",
        &mut out,
        || bare(widget()),
    );
    bench_case(&mut group, "json_response_one_typed_header", &mut out, || {
        one_header(widget())
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
