//! The HTTP/1.1 connection loop.
//!
//! The loop has one shape: read what is there, answer every complete request
//! in the buffer in order (encoding each response into one write buffer),
//! then write the whole batch with one call before reading again (a direct
//! `send(2)` when the socket takes it all, which it mostly does; the
//! runtime's write for the rest, waiting for room). Pipelining
//! falls out of that shape, and so does backpressure: the loop reads only
//! once all output has been written, and flushes early when the pending
//! output passes [`Limits::max_pending_output`], so a client that pipelines
//! without reading can never make the server buffer without bound. (The
//! receives are single-shot: nothing is pulled in while output is pending.)

use std::future::Future as _;
use std::io::ErrorKind;
use std::os::fd::AsRawFd;
use std::rc::Rc;
use std::time::Instant;

use bytes::{Bytes, BytesMut};
use futures_core::Stream;
use monoio::buf::{IoBuf, IoBufMut};
use monoio::io::{AsyncReadRent, AsyncWriteRent, AsyncWriteRentExt};
use monoio::net::TcpStream;

use crate::chunked::ChunkedDecoder;
use crate::encode::{self, Ctx, Rest};
use crate::parse::{parse_head, Framing, ParseError, ParsedHead};
use crate::request::Method;
use crate::worker::{race, Interrupted, Worker};
use crate::Service;

/// The length of an empty line (CRLF, or a bare LF) at the start of `buf`,
/// which RFC 9112 2.2 lets a server skip before a request line.
#[inline]
fn blank_line(buf: &[u8]) -> Option<usize> {
    match buf {
        [b'\r', b'\n', ..] => Some(2),
        [b'\n', ..] => Some(1),
        _ => None,
    }
}

/// Initial read buffer per connection. Small so that many idle connections
/// stay cheap; it grows for large heads and bodies and is reused after.
const READ_BUF: usize = 4 * 1024;
/// Read again only with at least this much free space in the buffer.
const MIN_READ_SPACE: usize = 1024;
/// The least a body's read buffer grows by at a time (see `read_body`).
const BODY_READ_STEP: usize = 64 * 1024;
/// A streamed response is written once this much is buffered, even if the
/// stream has more chunks ready.
const STREAM_BATCH: usize = 64 * 1024;

const CONTINUE: &[u8] = b"HTTP/1.1 100 Continue\r\n\r\n";

/// The end of a read attempt.
enum ReadEnd {
    /// The peer closed or the socket failed.
    Closed,
    /// A deadline passed or the server is shutting down.
    Interrupted(Interrupted),
}

/// Drops the slot and the connection count when the connection task ends,
/// however it ends.
struct Guard {
    worker: Rc<Worker>,
    key: usize,
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.worker.release(self.key);
        self.worker.conn_closed();
    }
}

/// Serves one accepted connection until it closes.
pub(crate) async fn serve<S: Service>(io: TcpStream, service: Rc<S>, worker: Rc<Worker>) {
    let key = worker.register();
    worker.conn_opened();
    let _guard = Guard {
        worker: worker.clone(),
        key,
    };
    let mut conn = Conn {
        io,
        rbuf: BytesMut::with_capacity(READ_BUF),
        // Taken from the worker's pool when there is output to encode.
        wbuf: Vec::new(),
        worker: worker.clone(),
        key,
    };
    // Past a shutdown's grace period the worker stops the task: what the
    // connection holds (a response stream, the service's future) is
    // dropped here, before the runtime goes, so its teardown runs.
    let _ = crate::worker::until_stopped(conn.run(&*service), &worker, key).await;
}

struct Conn {
    io: TcpStream,
    /// Received bytes not yet consumed; requests are split off its front.
    rbuf: BytesMut,
    /// Encoded responses not yet written.
    wbuf: Vec<u8>,
    worker: Rc<Worker>,
    /// This connection's slot in the worker (deadline, shutdown wake-up).
    key: usize,
}

impl Conn {
    async fn run<S: Service>(&mut self, service: &S) {
        let config = self.worker.config.clone();
        let limits = &config.limits;
        let timeouts = &config.timeouts;
        // Whether the current head has been waited on before; only then is
        // the end-of-head scan worth doing before calling the parser.
        let mut scanned: Option<usize> = None;
        let mut served_any = false;
        // When the head being received must be complete; set once its timer runs.
        let mut head_deadline: Option<Instant> = None;
        loop {
            // Empty lines before a request line are not a request (RFC 9112
            // 2.2: a client that ends a body with an extra CRLF): they start
            // no head, so the connection stays idle, not under the header
            // timer (which answered 408 ten seconds later).
            while let Some(n) = blank_line(&self.rbuf) {
                bytes::Buf::advance(&mut self.rbuf, n);
                if self.rbuf.is_empty() && served_any {
                    // No head under way after all: the next one's timer
                    // starts with its first byte. (The first request's
                    // runs from accept: blank lines do not restart it.)
                    head_deadline = None;
                    scanned = None;
                }
            }
            let parsed = if self.rbuf.is_empty() {
                Ok(None)
            } else if scanned.is_some_and(|from| !head_end_after(&self.rbuf, from)) {
                crate::parse::check_partial(&self.rbuf, limits).map(|()| None)
            } else {
                parse_head(&self.rbuf, limits)
            };
            let mut head = match parsed {
                Ok(Some(head)) => head,
                Ok(None) => {
                    if !self.flush().await {
                        return;
                    }
                    // Waiting for input: the (empty) write buffer goes back to
                    // the worker, so idle connections hold no write buffer.
                    self.worker.give_write_buf(std::mem::take(&mut self.wbuf));
                    // No request under way (idle keep-alive, or nothing sent
                    // since accept): shutdown may close it.
                    let idle = self.rbuf.is_empty();
                    if idle && self.worker.shutting_down() {
                        return;
                    }
                    if idle && served_any {
                        self.worker.arm(self.key, Some(timeouts.keep_alive_idle), true);
                    } else {
                        // The header timer: the first request's runs from
                        // accept (blank lines before it do not restart it),
                        // a later one's from its first byte; shutdown waits
                        // for a head that is partly in.
                        let deadline = *head_deadline
                            .get_or_insert_with(|| self.worker.deadline_in(timeouts.header_read));
                        self.worker.arm_at(self.key, Some(deadline), idle);
                    }
                    // Checked before the read: an interrupted read keeps the buffer.
                    let partial = !idle;
                    // Only a head that is already partly in is scanned for its
                    // end before parsing again (so a head sent a byte at a time
                    // is not parsed from its start once per byte). A head that
                    // starts in this read goes straight to the parser: most
                    // arrive whole, and scanning them first would read every
                    // byte twice. (One cut short is parsed as far as it goes,
                    // so a malformed start is refused right away, with the
                    // status it would get once whole.)
                    scanned = partial.then(|| self.rbuf.len().saturating_sub(3));
                    match self.read().await {
                        Ok(()) => continue,
                        Err(ReadEnd::Interrupted(Interrupted::Timeout)) if partial => {
                            let is_head = self.pending_head();
                            self.reject(
                                service,
                                ParseError::new(408, "request head not received in time"),
                                is_head,
                            )
                            .await;
                            return;
                        }
                        Err(_) => return,
                    }
                }
                Err(e) => {
                    let is_head = self.pending_head();
                    self.reject(service, e, is_head).await;
                    return;
                }
            };
            scanned = None;
            head_deadline = None;
            served_any = true;
            if !self.exchange(service, &mut head).await {
                return;
            }
        }
    }

    /// Reads the body of `head`, calls the service and encodes the response.
    /// Returns whether the connection stays open.
    async fn exchange<S: Service>(&mut self, service: &S, head: &mut ParsedHead) -> bool {
        let max_pending_output = self.worker.config.limits.max_pending_output;
        if self.wbuf.capacity() == 0 {
            self.wbuf = self.worker.take_write_buf();
        }
        let head_bytes = self.rbuf.split_to(head.head_len).freeze();
        let is_head = head.method == Method::Head;
        let mut req = head.take_request(head_bytes, Bytes::new());
        // The service may answer before the body is read (see
        // `Service::before_body`): the body then stays unread, and the
        // connection closes after the answer.
        let mut early = None;
        // Most requests have no body: no read_body future for them.
        if head.framing != Framing::Empty {
            if self.body_pending(head) {
                self.worker.arm(self.key, None, false);
                early = match crate::panic::catch_unwind(service.before_body(&mut req)).await {
                    Ok(early) => early,
                    Err(payload) => Some(service_panicked(service, &payload)),
                };
            }
            if early.is_none() {
                match self.read_body(head).await {
                    Ok(body) => req.body = body,
                    Err(Some(e)) => {
                        self.reject(service, e, is_head).await;
                        return false;
                    }
                    Err(None) => return false,
                }
            }
        }
        let unread = early.is_some();
        // No deadline while the service runs: it owns its own time.
        self.worker.arm(self.key, None, false);
        let (version, wants_keep_alive) = (head.version, head.keep_alive);
        // The response lives in this block only: encoded, it must not be
        // kept in this future's state across the writes below.
        let (rest, keep_alive) = {
            let mut panicked = false;
            let mut res = match early {
                Some(res) => res,
                None => match crate::panic::catch_unwind(service.call(req)).await {
                    Ok(res) => res,
                    Err(payload) => {
                        panicked = true;
                        service_panicked(service, &payload)
                    }
                },
            };
            // Checked after the call: a shutdown that began while the service ran
            // makes this the connection's last response, and it says so.
            let ctx = Ctx {
                version,
                is_head,
                keep_alive: wants_keep_alive && !panicked && !unread && !self.worker.shutting_down(),
            };
            encode::encode(&mut res, ctx, &mut self.wbuf)
        };
        let ok = match rest {
            Rest::Done => true,
            Rest::Large(bytes) => self.flush().await && self.write_bytes(bytes).await,
            Rest::Stream { stream, chunked } => self.pump(stream, chunked).await,
        };
        if !ok {
            return false;
        }
        let keep_alive = keep_alive && !self.worker.shutting_down();
        // A connection about to close must still send what it has encoded.
        if (!keep_alive || self.wbuf.len() >= max_pending_output) && !self.flush().await {
            return false;
        }
        if !keep_alive && (unread || !self.rbuf.is_empty()) {
            // The unread body, or requests pipelined after the last one this
            // connection answers.
            self.linger().await;
        }
        keep_alive
    }

    /// Whether `head`'s body is still to be read (or is refused unread):
    /// a length body not all in the buffer or over the limit, or a chunked
    /// one (whose end is only known once decoded).
    fn body_pending(&self, head: &ParsedHead) -> bool {
        match head.framing {
            Framing::Empty => false,
            Framing::Length(n) => {
                n > self.worker.config.limits.max_body_size as u64 || (self.rbuf.len() as u64) < n
            }
            Framing::Chunked => true,
        }
    }

    /// Reads the request body. `Err(Some)` is a status to answer with,
    /// `Err(None)` means the connection is gone.
    async fn read_body(&mut self, head: &ParsedHead) -> Result<Bytes, Option<ParseError>> {
        // Not per request: only requests with a body get here.
        let config = self.worker.config.clone();
        let limits = &config.limits;
        match head.framing {
            Framing::Empty => Ok(Bytes::new()),
            Framing::Length(n) => {
                if n > limits.max_body_size as u64 {
                    return Err(Some(ParseError::new(413, "request body too large")));
                }
                let n = n as usize;
                if self.rbuf.len() < n {
                    self.start_body(head).await?;
                    while self.rbuf.len() < n {
                        // Room for what is still to come, but at most as
                        // much as has come so far (64 KiB to begin with):
                        // the buffer grows with the bytes that arrive, not
                        // with the length announced. A client that
                        // announces 16 MiB and sends one byte holds 64 KiB
                        // (reserved up front, 1,000 such connections held
                        // 16 GiB of address space and 870 MB resident).
                        let len = self.rbuf.len();
                        // (`reserve` does nothing while that much is free.)
                        self.rbuf.reserve((n - len).min(len.max(BODY_READ_STEP)));
                        self.read_for_body().await?;
                    }
                }
                Ok(self.rbuf.split_to(n).freeze())
            }
            Framing::Chunked => {
                let mut decoder = ChunkedDecoder::new(limits.max_body_size, limits.max_head_size);
                let mut out = BytesMut::new();
                let mut started = false;
                loop {
                    match decoder.decode(&mut self.rbuf, &mut out) {
                        Ok(true) => return Ok(out.freeze()),
                        Ok(false) => {
                            if !started {
                                started = true;
                                self.start_body(head).await?;
                            }
                            self.read_for_body().await?;
                        }
                        Err(e) => return Err(Some(e)),
                    }
                }
            }
        }
    }

    /// Before waiting for a body: answer `100 Continue` if asked, and start
    /// the body timer.
    async fn start_body(&mut self, head: &ParsedHead) -> Result<(), Option<ParseError>> {
        if head.expect_continue {
            self.wbuf.extend_from_slice(CONTINUE);
        }
        if !self.flush().await {
            return Err(None);
        }
        let timeout = self.worker.config.timeouts.body_read;
        self.worker.arm(self.key, Some(timeout), false);
        Ok(())
    }

    async fn read_for_body(&mut self) -> Result<(), Option<ParseError>> {
        match self.read().await {
            Ok(()) => Ok(()),
            Err(ReadEnd::Interrupted(Interrupted::Timeout)) => {
                Err(Some(ParseError::new(408, "request body not received in time")))
            }
            Err(_) => Err(None),
        }
    }

    /// One read into the free space of the read buffer.
    async fn read(&mut self) -> Result<(), ReadEnd> {
        if self.rbuf.capacity() - self.rbuf.len() < MIN_READ_SPACE {
            self.rbuf.reserve(READ_BUF);
        }
        let buf = std::mem::take(&mut self.rbuf);
        let len = buf.len();
        match race(
            self.io.read(buf.slice_mut(len..)),
            self.worker.interrupt(self.key),
        )
        .await
        {
            Ok((res, slice)) => {
                self.rbuf = slice.into_inner();
                match res {
                    Ok(0) | Err(_) => Err(ReadEnd::Closed),
                    Ok(_) => Ok(()),
                }
            }
            // The buffer stays with the cancelled operation; the connection closes.
            Err(why) => Err(ReadEnd::Interrupted(why)),
        }
    }

    /// Writes the write buffer out. Returns `false` if the connection failed.
    async fn flush(&mut self) -> bool {
        if self.wbuf.is_empty() {
            return true;
        }
        // Most batches fit the socket's send buffer: sent at once, without
        // a ring operation, its completion and a second poll of this task.
        let sent = match send_now(&self.io, &self.wbuf) {
            Ok(n) if n == self.wbuf.len() => {
                self.wbuf.clear();
                return true;
            }
            // The socket took part (or none): the ring writes the rest and
            // waits for room, under the write timeout.
            Ok(n) => n,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::Interrupted) => 0,
            Err(_) => return false,
        };
        let write_timeout = self.worker.config.timeouts.body_read;
        self.worker.arm(self.key, Some(write_timeout), false);
        let rest = std::mem::take(&mut self.wbuf).slice(sent..);
        match race(self.io.write_all(rest), self.worker.interrupt(self.key)).await {
            Ok((res, rest)) => {
                let mut buf = rest.into_inner();
                buf.clear();
                self.wbuf = buf;
                res.is_ok()
            }
            Err(_) => false,
        }
    }

    async fn write_bytes(&mut self, bytes: Bytes) -> bool {
        let write_timeout = self.worker.config.timeouts.body_read;
        self.worker.arm(self.key, Some(write_timeout), false);
        match race(self.io.write_all(bytes), self.worker.interrupt(self.key)).await {
            Ok((res, _)) => res.is_ok(),
            Err(_) => false,
        }
    }

    /// Streams a body: each chunk is written as soon as no further chunk is
    /// ready at once. Ends the connection on a stream error or a write failure
    /// (dropping the stream, which runs its teardown).
    async fn pump(&mut self, stream: crate::BodyStream, chunked: bool) -> bool {
        // Every way out of here drops the stream through `Body::discard`.
        let mut guard = crate::GuardedStream::new(stream);
        let stream = guard.get();
        // Whether a client that hangs up while the stream has nothing to
        // send is still watched for (until it sends bytes of its own).
        let mut watch = true;
        loop {
            let next = match poll_once(stream.as_mut()).await {
                Some(item) => item,
                None => {
                    // Nothing ready: send what we have, then wait for the stream.
                    if !self.flush().await {
                        return false;
                    }
                    self.worker.arm(self.key, None, false);
                    match next_or_hangup(&self.io, stream.as_mut(), &mut watch).await {
                        Some(item) => item,
                        // The client went away: dropping the stream tears it down.
                        None => return false,
                    }
                }
            };
            match next {
                Some(Ok(chunk)) => {
                    if chunk.is_empty() {
                        continue;
                    }
                    if chunked {
                        encode::push_hex(&mut self.wbuf, chunk.len());
                        self.wbuf.extend_from_slice(b"\r\n");
                        self.wbuf.extend_from_slice(&chunk);
                        self.wbuf.extend_from_slice(b"\r\n");
                    } else {
                        self.wbuf.extend_from_slice(&chunk);
                    }
                    if self.wbuf.len() >= STREAM_BATCH {
                        if !self.flush().await {
                            return false;
                        }
                        // A stream that is always ready, to a client that
                        // reads as fast, would otherwise keep the worker from
                        // its other connections until it ends.
                        yield_now().await;
                    }
                }
                Some(Err(e)) => {
                    tracing::warn!(error = %e, "response stream failed; cutting the connection");
                    let _ = self.flush().await;
                    return false;
                }
                None => {
                    if chunked {
                        self.wbuf.extend_from_slice(b"0\r\n\r\n");
                    }
                    return self.flush().await && chunked;
                }
            }
        }
    }

    /// Whether the request being read, whose head is not parsed (yet), is
    /// a HEAD: its rejection then gets no body.
    fn pending_head(&self) -> bool {
        self.rbuf.starts_with(b"HEAD ")
    }

    /// Answers a request the engine rejects itself (with no body for a
    /// HEAD), then lets the connection close.
    async fn reject<S: Service>(&mut self, service: &S, e: ParseError, is_head: bool) {
        tracing::debug!(status = e.status, reason = e.reason, "rejecting request");
        let res = crate::service::render_engine_error(service, e.status, e.reason);
        encode::encode_error(res, is_head, &mut self.wbuf);
        // A client that was too slow (408) is not waited for again.
        if self.flush().await && e.status != 408 {
            self.linger().await;
        }
    }

    /// Before closing a connection whose client may still be sending:
    /// sends a FIN after the response and reads, dropping it, whatever
    /// arrives until the client closes its side or `Timeouts::linger`
    /// passes. Closing with input unread makes the kernel reset the
    /// connection, and a client still writing its request (a body over the
    /// limit, say) would get the reset instead of the response. Shutdown
    /// ends the wait at once.
    async fn linger(&mut self) {
        if self.io.shutdown().await.is_err() {
            return;
        }
        let linger = self.worker.config.timeouts.linger;
        self.worker.arm(self.key, Some(linger), true);
        // The worker's clock only moves on its tick, and the tick only runs
        // when this task lets it: the deadline is checked here as well.
        let deadline = Instant::now() + linger;
        // Dropped input needs one read's worth of room; the old buffer may
        // be a view into a body-sized allocation.
        self.rbuf = BytesMut::with_capacity(READ_BUF);
        loop {
            self.rbuf.clear();
            if self.read().await.is_err() || Instant::now() >= deadline {
                return;
            }
            // On the epoll driver a read of a socket with input waiting
            // completes without yielding: a client sending without pause
            // would keep the worker from its other connections.
            yield_now().await;
        }
    }
}

/// Lets the runtime run its other tasks (those ready to run: just spawned
/// or woken) before this one goes on.
///
/// Waking itself would not do it: monoio puts a task woken while it runs
/// back at the front of its queue, to run again at once. So the wake comes
/// from a task spawned behind the others, which runs after them.
///
/// ```
/// # let mut rt = monoio::RuntimeBuilder::<monoio::LegacyDriver>::new().build().unwrap();
/// rt.block_on(async {
///     let ran = std::rc::Rc::new(std::cell::Cell::new(false));
///     let flag = ran.clone();
///     monoio::spawn(async move { flag.set(true) });
///     jero_engine::yield_now().await;
///     assert!(ran.get());
/// });
/// ```
pub async fn yield_now() {
    let mut yielded = false;
    std::future::poll_fn(|cx| {
        if yielded {
            return std::task::Poll::Ready(());
        }
        yielded = true;
        let waker = cx.waker().clone();
        monoio::spawn(async move { waker.wake() });
        std::task::Poll::Pending
    })
    .await
}

/// Sends what the socket takes right now, without waiting: the number of
/// bytes it took, or `WouldBlock` when its send buffer is full. Never raises
/// `SIGPIPE` (a reset peer is an `Err`).
///
/// One `send(2)` with `MSG_DONTWAIT`, outside the runtime: measured side by
/// side (perf/README.md, "Sending without the ring"), it takes ~900 of
/// ~4,400 user-space instructions off a plaintext request and 1-2 % off the
/// server core's time per request on io_uring.
fn send_now(socket: &impl AsRawFd, buf: &[u8]) -> std::io::Result<usize> {
    // SAFETY: `send` reads at most `buf.len()` bytes from `buf.as_ptr()`,
    // which is a live, initialized slice for the whole call, and writes
    // nothing to user memory. The descriptor is borrowed from `socket`,
    // which owns it and keeps it open for the whole call, so the bytes go
    // to that socket and no other.
    let n = unsafe {
        libc::send(
            socket.as_raw_fd(),
            buf.as_ptr().cast(),
            buf.len(),
            libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL,
        )
    };
    // A negative return is -1 with `errno` set; anything else fits usize.
    usize::try_from(n).map_err(|_| std::io::Error::last_os_error())
}

/// Looks at the next byte the peer sent, without taking it and without
/// waiting: `Ok(0)` once the peer has closed its side, `Ok(1)` when a byte
/// is waiting, `WouldBlock` when neither.
fn peek_byte(socket: &impl AsRawFd) -> std::io::Result<usize> {
    // SAFETY: the descriptor is owned by `socket`, which is borrowed for
    // this whole function, so it stays open (and means the same socket)
    // while the `BorrowedFd` lives; the `BorrowedFd` does not outlive it.
    // monoio's sockets implement only `AsRawFd`, not `AsFd`.
    let fd = unsafe { std::os::fd::BorrowedFd::borrow_raw(socket.as_raw_fd()) };
    let mut byte = [std::mem::MaybeUninit::<u8>::uninit()];
    socket2::SockRef::from(&fd).recv_with_flags(&mut byte, libc::MSG_PEEK | libc::MSG_DONTWAIT)
}

/// Polls a stream once without waiting. `None` means it is not ready.
///
/// The poll uses the task's real waker, not a no-op one: monoio's timers (and
/// other futures) keep only the first waker they are polled with, so a stream
/// first polled with a no-op waker would never wake the connection again.
async fn poll_once(
    mut stream: std::pin::Pin<&mut (dyn Stream<Item = Result<Bytes, crate::BoxError>> + 'static)>,
) -> Option<Option<Result<Bytes, crate::BoxError>>> {
    std::future::poll_fn(|cx| match poll_guarded(stream.as_mut(), cx) {
        std::task::Poll::Ready(item) => std::task::Poll::Ready(Some(item)),
        std::task::Poll::Pending => std::task::Poll::Ready(None),
    })
    .await
}

/// The stream's next item, watching the socket meanwhile: `None` when the
/// client closed or reset the connection first. A stream that has nothing
/// to send for a while (events yet to happen) would otherwise keep what it
/// owns until its next write failed, however long after the client left.
async fn next_or_hangup(
    io: &TcpStream,
    mut stream: std::pin::Pin<&mut (dyn Stream<Item = Result<Bytes, crate::BoxError>> + 'static)>,
    watch: &mut bool,
) -> Option<Option<Result<Bytes, crate::BoxError>>> {
    let mut hangup = std::pin::pin!(hangup(io, watch));
    std::future::poll_fn(|cx| {
        if let std::task::Poll::Ready(item) = poll_guarded(stream.as_mut(), cx) {
            return std::task::Poll::Ready(Some(item));
        }
        hangup.as_mut().poll(cx).map(|()| None)
    })
    .await
}

/// Resolves when the peer of `io` closes or resets the connection. Bytes
/// from the client (a pipelined request) mean it is still there: from then
/// on it is not watched (`watch` turns false), and the bytes stay in the
/// socket for the next request.
async fn hangup(io: &TcpStream, watch: &mut bool) {
    while *watch {
        if io.readable(false).await.is_err() {
            return;
        }
        match peek_byte(io) {
            Ok(0) => return,
            Ok(_) => *watch = false,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::Interrupted) => {}
            Err(_) => return,
        }
    }
    std::future::pending::<()>().await
}

/// The answer for a request whose service panicked (logged): the service's
/// 500, and the connection closes after it; the worker and its other
/// connections carry on.
#[cold]
fn service_panicked<S: Service>(service: &S, payload: &crate::PanicPayload) -> crate::Response {
    tracing::error!(panic = crate::panic::panic_message(payload), "service panicked");
    crate::service::render_engine_error(service, 500, "internal server error")
}

/// Polls a body stream, turning a panic inside it into a stream error (the
/// stream is dropped right after, so its broken state is never observed).
fn poll_guarded(
    stream: std::pin::Pin<&mut (dyn Stream<Item = Result<Bytes, crate::BoxError>> + 'static)>,
    cx: &mut std::task::Context<'_>,
) -> std::task::Poll<Option<Result<Bytes, crate::BoxError>>> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| stream.poll_next(cx))) {
        Ok(poll) => poll,
        Err(payload) => {
            let message = crate::panic::panic_message(&payload).to_owned();
            std::task::Poll::Ready(Some(Err(format!("response stream panicked: {message}").into())))
        }
    }
}

/// Whether `buf` holds the blank line that ends a head, looking only at
/// bytes from `from` on (earlier bytes were already scanned).
fn head_end_after(buf: &[u8], from: usize) -> bool {
    let mut i = from;
    while let Some(p) = buf[i..].iter().position(|&b| b == b'\n') {
        let at = i + p;
        match buf.get(at + 1) {
            Some(b'\n') => return true,
            Some(b'\r') if buf.get(at + 2) == Some(&b'\n') => return true,
            _ => {}
        }
        i = at + 1;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::os::unix::net::UnixStream;

    // Miri cannot run `send(2)`; these run natively in every `cargo test`.

    #[test]
    fn peek_byte_sees_data_without_taking_it_and_sees_a_close() {
        let (a, mut b) = UnixStream::pair().unwrap();
        assert_eq!(peek_byte(&a).unwrap_err().kind(), std::io::ErrorKind::WouldBlock);
        b.write_all(b"xy").unwrap();
        assert_eq!(peek_byte(&a).unwrap(), 1);
        assert_eq!(peek_byte(&a).unwrap(), 1, "the byte is still there");
        let mut got = [0u8; 2];
        (&a).read_exact(&mut got).unwrap();
        assert_eq!(&got, b"xy");
        drop(b);
        assert_eq!(peek_byte(&a).unwrap(), 0);
    }

    #[test]
    fn send_now_sends_whole_buffers() {
        let (a, mut b) = UnixStream::pair().unwrap();
        assert_eq!(send_now(&a, b"hello").unwrap(), 5);
        assert_eq!(send_now(&a, b"").unwrap(), 0);
        let mut got = [0u8; 5];
        b.read_exact(&mut got).unwrap();
        assert_eq!(&got, b"hello");
    }

    #[test]
    fn send_now_reports_a_full_socket_as_would_block() {
        let (a, mut b) = UnixStream::pair().unwrap();
        let chunk = vec![7u8; 64 * 1024];
        let mut sent = 0;
        let full = loop {
            match send_now(&a, &chunk) {
                Ok(n) => {
                    assert!(n <= chunk.len());
                    sent += n;
                }
                Err(e) => break e,
            }
            assert!(sent < 64 << 20, "the socket never filled up");
        };
        assert_eq!(full.kind(), ErrorKind::WouldBlock);
        // What was taken arrives, byte for byte.
        drop(a);
        let mut all = Vec::new();
        b.read_to_end(&mut all).unwrap();
        assert_eq!(all.len(), sent);
        assert!(all.iter().all(|&x| x == 7));
    }

    #[test]
    fn send_now_to_a_closed_peer_is_an_error_not_a_signal() {
        let (a, b) = UnixStream::pair().unwrap();
        drop(b);
        // Without MSG_NOSIGNAL this would raise SIGPIPE and end the test binary.
        let e = send_now(&a, b"late").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::BrokenPipe);
    }

    #[test]
    fn send_now_on_a_socket_shut_for_writing_is_an_error() {
        let (a, _b) = UnixStream::pair().unwrap();
        a.shutdown(std::net::Shutdown::Write).unwrap();
        assert_eq!(send_now(&a, b"x").unwrap_err().kind(), ErrorKind::BrokenPipe);
    }
}
