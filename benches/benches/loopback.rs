//! `loopback` group: requests end to end through a real loopback socket.
//!
//! One server (one worker, [`plaintext_service`]) serves the whole group. Per
//! benchmark id a `std::net::TcpStream` client (`TCP_NODELAY`) writes `N`
//! pipelined `GET /plaintext` in one write and reads until `N` responses have
//! arrived. Throughput is `N` requests per iteration.

use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use jero_benches::{plaintext_service, requests, BenchServer, PipelineClient, PLAINTEXT_BODY};

fn loopback(c: &mut Criterion) {
    let server = BenchServer::start(plaintext_service);
    eprintln!(
        "loopback: server on {} ({} driver)",
        server.addr(),
        server.driver()
    );

    let mut group = c.benchmark_group("loopback");
    for n in [1usize, 16] {
        let mut client = PipelineClient::new(
            server.connect(),
            requests::SMALL_GET,
            n,
            PLAINTEXT_BODY.as_bytes(),
        );
        // One round outside the measurement: connection accepted, buffers warm.
        client.round().expect("loopback warm-up round");
        group.throughput(Throughput::Elements(n as u64));
        group.bench_function(BenchmarkId::new("plaintext_pipelined", n), |b| {
            b.iter(|| client.round().expect("loopback round"))
        });
    }
    group.finish();

    server.stop().expect("bench server shut down with an error");
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
        targets = loopback
    }
}
criterion_main!(group::benches);
