//! `parse` group: [`Request::parse`] on sample requests, with the server's
//! parsing rules and no copies. Throughput is the request's size in bytes.

use std::hint::black_box;
use std::time::Duration;

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use jero_benches::requests;
use jero_engine::Request;

fn parse(c: &mut Criterion) {
    let mut group = c.benchmark_group("parse");
    let cases: [(&str, &'static [u8]); 3] = [
        ("small_get", requests::SMALL_GET),
        ("post_json", requests::POST_JSON),
        ("browser_20_headers", requests::BROWSER_GET),
    ];
    for (name, raw) in cases {
        // Fail loudly rather than benchmark the error path.
        Request::parse(raw).unwrap_or_else(|e| panic!("{name}: sample request does not parse: {e:?}"));
        group.throughput(Throughput::Bytes(raw.len() as u64));
        group.bench_function(name, |b| {
            b.iter(|| {
                let req = Request::parse(Bytes::from_static(black_box(raw))).unwrap();
                // Read something back so the parse cannot be optimised away.
                black_box(req.header_count() + req.body().len())
            })
        });
    }
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
        targets = parse
    }
}
criterion_main!(group::benches);
