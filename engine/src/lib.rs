//! # jero-engine
//!
//! A thread-per-core HTTP/1.1 server on io_uring (monoio), with an epoll
//! fallback. It knows nothing of the jero framework: anything that
//! implements [`Service`] can be served.
//!
//! * One monoio runtime per worker thread, each with its own `SO_REUSEPORT`
//!   listener: no work stealing and no cross-thread locks per request.
//! * io_uring set up single-issuer with deferred task running where the
//!   kernel allows it, stepping down to simpler rings, and to epoll (one log
//!   line) when io_uring is unavailable. `JERO_DRIVER=epoll` or
//!   [`ServerBuilder::driver`] forces epoll.
//! * HTTP/1.1 per RFC 9112: keep-alive, HTTP/1.0, pipelining (every complete
//!   request in the buffer answered in order, one write per batch: a
//!   direct `send(2)` when the socket takes it all, the ring otherwise),
//!   `Content-Length` and chunked bodies, chunked streamed responses,
//!   `Expect: 100-continue`, HEAD, a cached `Date`.
//! * Hostile input gets a status and a closed connection: see [`Limits`] and
//!   [`Timeouts`].
//! * Graceful shutdown on SIGTERM/SIGINT or [`ShutdownHandle::shutdown`].
//! * Eight `unsafe` blocks. Seven are kept because a count of instructions
//!   shows they pay: that `send(2)` call (`conn::send_now`; a fifth of a
//!   request's user-space instructions, perf/README.md, "Sending without the
//!   ring"; Miri cannot run it, the tests call it on real sockets); request
//!   text handed out as `&str` after a word-wise ASCII check instead of
//!   `str::from_utf8` (`request::text`; ~100 instructions per request); the
//!   SSE2 check of header values of 4 to 16 bytes (`encode::words_valid`;
//!   15 of the ~140 instructions two typed headers add to a response,
//!   perf/README.md, "Encoding typed headers"); a framed body's bytes
//!   written into its buffer's spare capacity ([`BodyWriter::advance`], as
//!   sonic-rs writes; a checked version cost 34 instructions per response);
//!   and header lines written into a buffer's spare capacity, never zeroed
//!   (`response::append_line`, `append_last_line`, and the copy into
//!   `MaybeUninit` bytes they use, through an `unsafe trait` whose copy
//!   writes every byte; 41 of the instructions two typed headers
//!   cost, perf/README.md, session 8). The eighth borrows a socket's
//!   descriptor to peek at it (monoio's sockets only implement `AsRawFd`).
//!   `bash scripts/miri.sh` runs the tests of all but the first and the
//!   eighth under Miri.
//!
//! ```no_run
//! use jero_engine::{Request, Response, Server, Service};
//!
//! struct Hello;
//!
//! impl Service for Hello {
//!     async fn call(&self, req: Request) -> Response {
//!         match req.path() {
//!             "/plaintext" => Response::new(200)
//!                 .with_header("content-type", "text/plain")
//!                 .with_body("Hello, World!"),
//!             _ => Response::new(404),
//!         }
//!     }
//! }
//!
//! let server = Server::builder().addr("127.0.0.1:8000").bind().unwrap();
//! server.serve(|| Hello).unwrap();
//! ```

mod chunked;
mod config;
mod conn;
mod date;
mod encode;
mod framed;
mod header;
mod panic;
mod parse;
mod request;
mod response;
mod server;
mod service;
mod worker;

#[cfg(test)]
mod mutation_tests;

pub use config::{Driver, Limits, Timeouts};
pub use conn::yield_now;
pub use encode::{encode_response, is_token};
pub use framed::{BodyWriter, Framed, ResponseBuf};
pub use header::{HeaderBytes, HeaderName, LinePrefix};
pub use panic::{
    blocking_runtime, catch_unwind, panic_message, spawn, spawn_blocking, CatchUnwind, PanicPayload,
    BLOCKING_THREADS,
};
pub use parse::ParseError;
pub use request::{text, CarriedValue, Method, Request, Version};
pub use response::{
    reason_phrase, Body, BodyStream, BoxError, GuardedStream, HeaderLine, Response, StaticHeader,
};
pub use server::{Server, ServerBuilder, ShutdownHandle};
pub use service::{
    default_error_response, engine_problem, render_engine_error, service_fn, Service, ServiceFn,
};

/// The name of the I/O driver the calling worker thread runs on
/// (`"io_uring"` or `"epoll"`), for logs and diagnostics.
pub fn driver_name() -> &'static str {
    server::current_driver_name()
}
