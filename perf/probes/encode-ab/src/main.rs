//! The cases of `benches/benches/encode.rs` (`jero_benches::encode_cases`),
//! measured the ways a noisy machine allows:
//!
//! * counted: each case run alone under callgrind, instructions per encode
//!   (deterministic; the figures in perf/README.md);
//! * timed: the cases take turns in batches of 64 values (built outside
//!   the timed part, as criterion's `iter_batched_ref` does), and each
//!   case's median over all its batches is printed with its ratio to the
//!   plain struct. Drift hits every case alike, but the ratios still move
//!   by a few points from run to run (code and stack placement): take the
//!   median of many runs.
//!
//! ```text
//! encode-ab time [ROUNDS]        # alternating batches (default 15000 rounds)
//! encode-ab CASE [N]             # CASE N times (default 10000), for
//!                                # valgrind --tool=callgrind --toggle-collect='encode_ab::timed'
//! ```
//!
//! CASE is one of `plain`, `bare`, `one`, `two`, `cow` (two headers, the
//! text one a `Cow<'static, str>`: the `String`'s `free` left out),
//! `padded` (the plain struct carried in a value as large as the two
//! headers' wrapper, 104 bytes: what the value's size alone costs).

use std::hint::black_box;
use std::time::Instant;

use jero::{IntoResponse, RequestCx};
use jero_benches::encode_cases::{bare, cow_headers, encode_into, one_header, two_headers, widget, Widget};

const CASES: [&str; 6] = ["plain", "bare", "one", "two", "cow", "padded"];

/// The plain struct in a value of the two headers' wrapper's size: it
/// encodes as the plain struct does, and only its size differs.
struct Padded {
    widget: Widget,
    _pad: [u64; 6],
}

impl IntoResponse for Padded {
    #[inline]
    fn into_response(self, cx: &RequestCx<'_>) -> jero::engine::Response {
        self.widget.into_response(cx)
    }

    fn describe(responses: &mut jero::Responses<'_>) {
        Widget::describe(responses)
    }
}
const BATCH: usize = 64;

/// What is timed: a value to response bytes, as the bench does it. Not
/// inlined, so callgrind can count it alone.
#[inline(never)]
fn timed<V: IntoResponse>(value: V, cx: &RequestCx<'_>, out: &mut Vec<u8>) -> usize {
    encode_into(value, cx, out);
    out.len()
}

struct Probe {
    template: Widget,
    out: Vec<u8>,
}

impl Probe {
    fn widget(&self) -> Widget {
        black_box(&self.template).clone()
    }

    /// Builds `n` values of case `case` and hands them to `run`.
    fn with_values(&mut self, case: &str, n: usize, cx: &RequestCx<'_>) -> f64 {
        match case {
            "plain" => self.run(cx, (0..n).map(|_| self.widget()).collect()),
            "bare" => self.run(cx, (0..n).map(|_| bare(self.widget())).collect()),
            "one" => self.run(cx, (0..n).map(|_| one_header(self.widget())).collect()),
            "two" => self.run(cx, (0..n).map(|_| two_headers(self.widget())).collect()),
            "cow" => self.run(cx, (0..n).map(|_| cow_headers(self.widget())).collect()),
            "padded" => {
                let padded = |widget| Padded {
                    widget,
                    _pad: black_box([0; 6]),
                };
                self.run(cx, (0..n).map(|_| padded(self.widget())).collect())
            }
            other => panic!("unknown case {other:?}; one of {CASES:?}"),
        }
    }

    /// Encodes every value; nanoseconds per value.
    fn run<V: IntoResponse>(&mut self, cx: &RequestCx<'_>, values: Vec<V>) -> f64 {
        let n = values.len();
        let start = Instant::now();
        for v in values {
            black_box(timed(v, cx, &mut self.out));
        }
        start.elapsed().as_nanos() as f64 / n as f64
    }
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_else(|| "time".to_owned());
    let count: Option<usize> = args.next().map(|n| n.parse().expect("a count"));
    let mut probe = Probe {
        template: widget(),
        out: Vec::with_capacity(1024),
    };
    jero::__private::with_detached_cx(200, |cx| {
        if mode != "time" {
            probe.with_values(&mode, count.unwrap_or(10_000), cx);
            return;
        }
        let rounds = count.unwrap_or(15_000);
        let mut samples = vec![Vec::with_capacity(rounds); CASES.len()];
        for round in 0..rounds {
            // A different case goes first in each round.
            for k in 0..CASES.len() {
                let i = (k + round) % CASES.len();
                samples[i].push(probe.with_values(CASES[i], BATCH, cx));
            }
        }
        let medians: Vec<f64> = samples.iter_mut().map(|s| median(s)).collect();
        for (case, m) in CASES.iter().zip(&medians) {
            println!("{case:>6} {m:7.1} ns  {:+6.1} %", (m / medians[0] - 1.0) * 100.0);
        }
    });
}
