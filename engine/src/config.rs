//! Limits, timeouts and driver selection.

use std::time::Duration;

/// Which I/O driver each worker's runtime uses.
///
/// The default comes from the `JERO_DRIVER` environment variable (`uring`,
/// `epoll` or `auto`), else [`Driver::Auto`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Driver {
    /// io_uring when the kernel allows it, else epoll with one log line.
    Auto,
    /// io_uring, falling back to epoll only if the ring cannot be set up at all.
    /// Identical to `Auto` in behaviour; it exists so a caller can state intent.
    IoUring,
    /// Force the epoll (readiness) driver.
    Epoll,
}

impl Driver {
    /// Reads `JERO_DRIVER`; unknown or missing values give [`Driver::Auto`].
    pub fn from_env() -> Driver {
        match std::env::var("JERO_DRIVER").ok().as_deref() {
            Some("epoll") | Some("legacy") => Driver::Epoll,
            Some("uring") | Some("io_uring") | Some("iouring") => Driver::IoUring,
            _ => Driver::Auto,
        }
    }
}

/// Size limits applied to every request. Exceeding one answers with the
/// status named on the field and closes the connection.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Longest request line (method, target, version) in bytes: 414.
    pub max_request_line: usize,
    /// Largest request head (request line plus all header lines) in bytes:
    /// 431. At most [`Limits::HEAD_CAP`].
    pub max_head_size: usize,
    /// Most header fields in one request: 431. At most [`Limits::HEADER_CAP`].
    pub max_headers: usize,
    /// Largest request body in bytes, after chunked decoding: 413.
    pub max_body_size: usize,
    /// Unsent response bytes above which the connection stops reading
    /// (and parsing pipelined requests) until the output has been written.
    pub max_pending_output: usize,
}

impl Limits {
    /// Hard ceiling for [`Limits::max_headers`].
    pub const HEADER_CAP: usize = 256;
    /// Hard ceiling for [`Limits::max_head_size`] (larger settings act as this).
    pub const HEAD_CAP: usize = 65_535;

    /// The effective head limit.
    #[inline]
    pub(crate) fn head_limit(&self) -> usize {
        self.max_head_size.min(Limits::HEAD_CAP)
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_request_line: 8 * 1024,
            max_head_size: Limits::HEAD_CAP,
            max_headers: 100,
            max_body_size: 16 * 1024 * 1024,
            max_pending_output: 256 * 1024,
        }
    }
}

/// Connection timeouts.
#[derive(Clone, Debug)]
pub struct Timeouts {
    /// Time allowed from the first byte of a request head (or from accept,
    /// for the first request) until the head is complete. Defends against
    /// slowloris. Expiry closes the connection (408 if anything was received).
    pub header_read: Duration,
    /// Time an idle keep-alive connection may wait for its next request.
    pub keep_alive_idle: Duration,
    /// Time allowed to receive a whole request body once its head is in. Expiry: 408.
    pub body_read: Duration,
    /// How long graceful shutdown waits for in-flight requests before dropping them.
    pub shutdown_grace: Duration,
    /// How long a connection that closes while its client may still be
    /// sending goes on reading, and dropping, what arrives: after a
    /// response that refuses a request (a body over the limit, a malformed
    /// head; not after a 408), and after the last response of a
    /// `Connection: close` exchange with further requests already read.
    /// Closing a socket with unread input makes the kernel reset the
    /// connection, and a client that writes its whole request before
    /// reading (most do) would see the reset instead of the response; so
    /// the response is followed by a FIN, and the socket is closed when the
    /// client closes its side or this time has passed, whichever comes
    /// first. A total, not an idle timeout; graceful shutdown ends it at
    /// once. Default 5 s.
    pub linger: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            header_read: Duration::from_secs(10),
            keep_alive_idle: Duration::from_secs(60),
            body_read: Duration::from_secs(30),
            shutdown_grace: Duration::from_secs(10),
            linger: Duration::from_secs(5),
        }
    }
}
