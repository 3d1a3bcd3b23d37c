//! The response a [`Service`](crate::Service) hands back.

use std::mem::MaybeUninit;
use std::pin::Pin;

use bytes::Bytes;
use futures_core::Stream;

use crate::framed::Framed;
use crate::header::{HeaderBytes, HeaderName, LinePrefix};

/// The error type a body stream may fail with.
pub type BoxError = Box<dyn std::error::Error + 'static>;

/// A streamed body: chunks produced one at a time. Polled on the worker
/// thread that serves the connection, so it need not be `Send`.
pub type BodyStream = Pin<Box<dyn Stream<Item = Result<Bytes, BoxError>> + 'static>>;

/// A response body.
#[derive(Default)]
pub enum Body {
    /// No body. Sent as `content-length: 0` except where the status forbids
    /// a body (1xx, 204, 304), in which case no length header is sent.
    #[default]
    Empty,
    /// A body whose bytes are all known; sent with `content-length`.
    Full(Bytes),
    /// A body in an owned buffer (what serializers produce); sent like
    /// [`Body::Full`], without the reference count `Bytes` would add.
    Owned(Vec<u8>),
    /// A streamed body; sent with chunked transfer coding (HTTP/1.1) or
    /// delimited by closing the connection (HTTP/1.0). Each chunk is written
    /// as soon as it is produced. The stream is dropped when it ends, fails,
    /// or the client goes away, so its `Drop` is the place for teardown.
    Stream(BodyStream),
    /// A body written after its response's header lines, in one buffer
    /// (see [`ResponseBuf`](crate::ResponseBuf)); sent like
    /// [`Body::Owned`]. [`Body::bytes`] gives the body alone.
    Framed(Framed),
}

impl std::fmt::Debug for Body {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Body::Empty => f.write_str("Body::Empty"),
            Body::Full(b) => f.debug_tuple("Body::Full").field(&b.len()).finish(),
            Body::Owned(b) => f.debug_tuple("Body::Owned").field(&b.len()).finish(),
            Body::Stream(_) => f.write_str("Body::Stream(..)"),
            Body::Framed(b) => f.debug_tuple("Body::Framed").field(&b.body().len()).finish(),
        }
    }
}

impl Body {
    /// The body's bytes when they are all known (`None` for a stream).
    ///
    /// ```
    /// use jero_engine::Body;
    /// assert_eq!(Body::from("hi").bytes(), Some(&b"hi"[..]));
    /// assert_eq!(Body::from(vec![1u8, 2]).bytes(), Some(&[1u8, 2][..]));
    /// assert_eq!(Body::Empty.bytes(), Some(&[][..]));
    /// ```
    pub fn bytes(&self) -> Option<&[u8]> {
        match self {
            Body::Empty => Some(&[]),
            Body::Full(b) => Some(b),
            Body::Owned(b) => Some(b),
            Body::Framed(b) => Some(b.body()),
            Body::Stream(_) => None,
        }
    }

    /// Drops the body, catching a panic in a stream's `Drop` (its
    /// teardown): the panic is logged, never unwound into the caller. The
    /// engine drops every body stream this way, so a teardown that panics
    /// costs its connection at most, never the worker.
    ///
    /// ```
    /// use std::pin::Pin;
    /// use std::task::{Context, Poll};
    /// use bytes::Bytes;
    /// use jero_engine::{Body, BoxError};
    ///
    /// /// A stream whose teardown panics.
    /// struct Bomb;
    /// impl futures_core::Stream for Bomb {
    ///     type Item = Result<Bytes, BoxError>;
    ///     fn poll_next(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Self::Item>> {
    ///         Poll::Ready(None)
    ///     }
    /// }
    /// impl Drop for Bomb {
    ///     fn drop(&mut self) {
    ///         panic!("teardown failed");
    ///     }
    /// }
    /// Body::stream(Bomb).discard(); // logged, not unwound
    /// Body::from("bytes").discard();
    /// ```
    pub fn discard(self) {
        if let Body::Stream(stream) = self {
            crate::panic::drop_logged(stream, "response stream panicked while being dropped");
        }
    }

    /// Wraps a stream of chunks.
    pub fn stream<S>(stream: S) -> Body
    where
        S: Stream<Item = Result<Bytes, BoxError>> + 'static,
    {
        Body::Stream(Box::pin(stream))
    }
}

/// Drops `body`, without a call when it is empty (as a response's body is
/// before it is set): `Body`'s drop glue, five kinds of body, is a
/// function LLVM does not inline, and it called it even for the empty
/// body it had just stored (`perf/instructions.sh`, `/plaintext`).
#[inline(always)]
fn drop_body(body: Body) {
    match body {
        Body::Empty => {}
        Body::Full(bytes) => drop(bytes),
        Body::Owned(bytes) => drop(bytes),
        body => drop(body),
    }
}

/// A body stream that is dropped through [`Body::discard`], whichever way
/// its owner lets go of it: a panic in its teardown is logged, never
/// unwound (the engine pumps streams this way; so can an in-process
/// driver).
///
/// ```
/// use std::pin::Pin;
/// use std::task::{Context, Poll};
/// use jero_engine::{Body, BoxError, GuardedStream};
///
/// /// A stream that ends at once, and panics when dropped.
/// struct Bomb;
/// impl futures_core::Stream for Bomb {
///     type Item = Result<bytes::Bytes, BoxError>;
///     fn poll_next(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Self::Item>> {
///         Poll::Ready(None)
///     }
/// }
/// impl Drop for Bomb {
///     fn drop(&mut self) {
///         panic!("teardown failed");
///     }
/// }
/// let Body::Stream(stream) = Body::stream(Bomb) else { unreachable!() };
/// let mut guard = GuardedStream::new(stream);
/// let waker = std::task::Waker::noop();
/// let polled = guard.get().as_mut().poll_next(&mut Context::from_waker(&waker));
/// assert!(matches!(polled, Poll::Ready(None)));
/// drop(guard); // the panic is logged, not unwound
/// ```
pub struct GuardedStream(Option<BodyStream>);

impl GuardedStream {
    /// Guards `stream`.
    pub fn new(stream: BodyStream) -> GuardedStream {
        GuardedStream(Some(stream))
    }

    /// The stream, to poll.
    pub fn get(&mut self) -> &mut BodyStream {
        self.0
            .as_mut()
            .expect("a guarded stream is present until dropped")
    }
}

impl Drop for GuardedStream {
    fn drop(&mut self) {
        if let Some(stream) = self.0.take() {
            Body::Stream(stream).discard();
        }
    }
}

impl From<Bytes> for Body {
    fn from(b: Bytes) -> Body {
        Body::Full(b)
    }
}

impl From<Vec<u8>> for Body {
    #[inline]
    fn from(b: Vec<u8>) -> Body {
        Body::Owned(b)
    }
}

impl From<&'static str> for Body {
    fn from(s: &'static str) -> Body {
        Body::Full(Bytes::from_static(s.as_bytes()))
    }
}

impl From<String> for Body {
    #[inline]
    fn from(s: String) -> Body {
        Body::Owned(s.into_bytes())
    }
}

/// Inline bytes for the encoded header lines before spilling to the heap:
/// room for a few short headers (the content type usually sits in the
/// response's static slot, not here). Sized so that a whole [`Response`]
/// is 128 bytes: x86-64 code moves that in a few register copies, where the
/// 176 bytes of the earlier layout took a `memcpy` call on every move
/// (handler, router, panic guard, connection: up to nine per request).
///
/// It is also the block one line is written into ([`Line::put`]): a
/// `ResponseBuf` line longer than that takes its slow path, and the
/// engine's `content-length` line is checked at compile time to fit.
pub(crate) const HEAD_INLINE: usize = 63;

/// An HTTP response: status, header fields, body.
///
/// Header fields are validated and encoded as they are added (`name: value`
/// lines, exactly as given: casing kept, repeats kept, in order), so writing
/// the response head is one copy. The engine owns framing: `content-length`,
/// `transfer-encoding`, `date` and `connection` set here are not sent (the
/// engine writes the real ones; `connection: close` closes the connection
/// after this response).
///
/// A header name that is not a token, or a value with CR, LF, NUL or
/// another control byte (which would split the response), is refused: it is
/// logged, and the response is answered as a bare 500 instead. So is a
/// status outside 200-599: the engine sends no interim (1xx) response on a
/// service's behalf (a client would take the next response as this
/// request's answer), and HTTP has no other statuses.
///
/// On 204 and 304, which carry no content, the engine sends neither
/// `content-length` nor `content-type` (a `content-type` set here is left
/// out), and no body; on 205 (Reset Content), `content-length: 0` and no
/// body.
///
/// ```
/// use jero_engine::{Body, Response};
/// let res = Response::new(201)
///     .with_header("content-type", "application/json")
///     .with_body(r#"{"ok":true}"#);
/// assert_eq!(res.status(), 201);
/// assert_eq!(res.headers().count(), 1);
/// assert_eq!(res.header("Content-Type"), Some(&b"application/json"[..]));
/// assert!(matches!(res.body(), Body::Full(b) if b.len() == 11));
/// ```
pub struct Response {
    status: u16,
    /// A `connection: close` was set: close after this response.
    close: bool,
    /// A header with invalid bytes was refused: answer 500 instead.
    invalid: bool,
    /// A [`HeaderLine`] was started and neither finished nor dropped (it
    /// was forgotten): its unchecked bytes must not reach the wire.
    open: bool,
    /// The first header added from a [`StaticHeader`] (a content type,
    /// typically): its line is sent from the constant, without a copy into
    /// `lines`.
    fixed: Option<&'static StaticHeader>,
    /// Where `fixed` goes among `lines` (the length of `lines` when it was
    /// added), so headers go out in the order they were added.
    fixed_at: u16,
    /// `name: value\r\n` lines, validated.
    lines: Lines,
    body: Body,
}

const _: () = assert!(std::mem::size_of::<Response>() <= 128);

impl std::fmt::Debug for Response {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let headers: Vec<_> = self
            .headers()
            .map(|(n, v)| (String::from_utf8_lossy(n), String::from_utf8_lossy(v)))
            .collect();
        f.debug_struct("Response")
            .field("status", &self.status)
            .field("headers", &headers)
            .field("body", &self.body)
            .finish()
    }
}

/// Encoded header lines: inline up to [`HEAD_INLINE`] bytes (a
/// [`LineBuf`]), then on the heap (all of them) once they outgrow it.
struct Lines {
    inline: LineBuf,
    /// All the lines once they outgrew `inline` (boxed: one pointer in the
    /// response instead of three words).
    #[expect(
        clippy::box_collection,
        reason = "one word in every response instead of three"
    )]
    heap: Option<Box<Vec<u8>>>,
}

const _: () = assert!(HEAD_INLINE <= u8::MAX as usize);

impl Lines {
    #[inline]
    const fn new() -> Lines {
        Lines {
            inline: LineBuf::new(),
            heap: None,
        }
    }

    #[inline]
    fn spilled(&self) -> bool {
        self.heap.is_some()
    }

    #[inline]
    fn len(&self) -> usize {
        match &self.heap {
            Some(heap) => heap.len(),
            None => self.inline.len as usize,
        }
    }

    #[inline]
    fn as_slice(&self) -> &[u8] {
        match &self.heap {
            Some(heap) => heap,
            None => self.inline.as_bytes(),
        }
    }

    /// Appends bytes.
    #[inline(always)]
    fn push(&mut self, bytes: &[u8]) {
        let at = self.inline.len as usize;
        let end = at + bytes.len();
        if end <= HEAD_INLINE && !self.spilled() {
            self.inline.bytes[at..end].copy_from_slice(bytes);
            self.inline.len = end as u8;
        } else {
            self.push_heap(bytes);
        }
    }

    /// Appends `prefix`, `value` and CRLF, with one bounds check.
    #[inline(always)]
    fn push_prefixed(&mut self, prefix: &[u8], value: &[u8]) {
        if !self.spilled() {
            let at = self.inline.len as usize;
            let line = Line::Text(prefix, value).put(&mut self.inline.bytes, at);
            if self.inline.put(line) {
                return;
            }
        }
        self.push_heap(prefix);
        self.push_heap(value);
        self.push_heap(b"\r\n");
    }

    /// Appends `prefix`, `n` in decimal (after a `-` when `negative`) and
    /// CRLF, with one bounds check; the digits are written in place.
    #[inline(always)]
    fn push_prefixed_decimal(&mut self, prefix: &[u8], negative: bool, n: u64) {
        if !self.spilled() {
            let at = self.inline.len as usize;
            let line = Line::Decimal(prefix, negative, n).put(&mut self.inline.bytes, at);
            if self.inline.put(line) {
                return;
            }
        }
        let mut digits = itoa::Buffer::new();
        let value = decimal_text(&mut digits, negative, n);
        self.push_heap(prefix);
        self.push_heap(value);
        self.push_heap(b"\r\n");
    }

    /// Appends a whole `name: value` line.
    #[inline]
    fn push_line(&mut self, name: &[u8], value: &[u8]) {
        self.push(name);
        self.push(b": ");
        self.push(value);
        self.push(b"\r\n");
    }

    #[cold]
    fn push_heap(&mut self, bytes: &[u8]) {
        let inline = self.inline.as_bytes();
        self.heap
            .get_or_insert_with(|| {
                let mut heap = Vec::with_capacity((4 * HEAD_INLINE).max(inline.len() + bytes.len()));
                heap.extend_from_slice(inline);
                Box::new(heap)
            })
            .extend_from_slice(bytes);
    }

    #[inline]
    fn truncate(&mut self, len: usize) {
        match &mut self.heap {
            Some(heap) => heap.truncate(len),
            None if len < self.inline.len as usize => self.inline.len = len as u8,
            None => {}
        }
    }
}

/// A byte a line is written into: `u8` in a response's inline lines
/// (which start zeroed), `MaybeUninit<u8>` in a buffer's spare capacity
/// ([`append_line`]), which is not zeroed first. The line writers below
/// serve both with the same code.
///
/// # Safety
///
/// `copy` must write every element of `dst` (or panic): [`append_line`]
/// and [`append_last_line`] make bytes part of a buffer because the
/// writers copied into them.
pub(crate) unsafe trait Byte: Sized {
    /// Copies `src` into `dst`, of the same length (it panics otherwise).
    fn copy(dst: &mut [Self], src: &[u8]);
}

// SAFETY: `copy_from_slice` writes all of `dst` or panics.
unsafe impl Byte for u8 {
    #[inline(always)]
    fn copy(dst: &mut [u8], src: &[u8]) {
        dst.copy_from_slice(src);
    }
}

// SAFETY: `copy_from_slice` writes all of `dst` or panics.
unsafe impl Byte for MaybeUninit<u8> {
    #[inline(always)]
    fn copy(dst: &mut [MaybeUninit<u8>], src: &[u8]) {
        // SAFETY: `MaybeUninit<u8>` has the layout of `u8`, and any `u8`
        // is a valid `MaybeUninit<u8>`; the source is only read. (This is
        // `write_copy_of_slice`, which needs Rust 1.93; a copy element by
        // element cost two typed headers 7 instructions.)
        let src = unsafe { &*(src as *const [u8] as *const [MaybeUninit<u8>]) };
        dst.copy_from_slice(src);
    }
}

/// A header line as the block writers take it: the `name: ` prefix, then
/// the value in one of three forms, then CRLF.
#[derive(Clone, Copy)]
pub(crate) enum Line<'a> {
    /// The value's bytes.
    Text(&'a [u8], &'a [u8]),
    /// A value of 8 to 16 bytes (the `usize`), given as the words of its
    /// first and last 8 bytes (which overlap below 16).
    Words(&'a [u8], usize, [u8; 8], [u8; 8]),
    /// A number in decimal, after a `-` when the flag is set.
    Decimal(&'a [u8], bool, u64),
}

impl Line<'_> {
    /// Writes the line into `buf` at `at`: its end, or `None` (nothing
    /// written) when it does not fit. On `Some(end)`, every byte of
    /// `buf[at..end]` has been written ([`append_line`] relies on it): the
    /// prefix, then the value (each form fills its whole slice), then CRLF.
    #[inline(always)]
    pub(crate) fn put<T: Byte>(self, buf: &mut [T; HEAD_INLINE], at: usize) -> Option<usize> {
        let (prefix, value_len) = match self {
            Line::Text(prefix, value) => (prefix, value.len()),
            // The two words cover the value only at 8 to 16 bytes; checked
            // here, where the bytes are written (free after the caller's
            // own check).
            Line::Words(prefix, n, ..) if (8..=16).contains(&n) => (prefix, n),
            Line::Words(..) => return None,
            Line::Decimal(prefix, negative, n) => (prefix, negative as usize + crate::encode::decimal_len(n)),
        };
        let value_at = at + prefix.len();
        let crlf_at = value_at + value_len;
        let end = crlf_at + 2;
        if end > HEAD_INLINE {
            return None;
        }
        T::copy(&mut buf[at..value_at], prefix);
        let value = &mut buf[value_at..crlf_at];
        match self {
            Line::Text(_, text) => copy_short(value, text),
            // Stored as the two words the value was loaded (and checked) as.
            Line::Words(_, n, first, last) => {
                T::copy(&mut value[..8], &first);
                T::copy(&mut value[n - 8..], &last);
            }
            Line::Decimal(_, negative, n) => {
                let digits = match negative {
                    true => {
                        T::copy(&mut value[..1], b"-");
                        &mut value[1..]
                    }
                    false => value,
                };
                crate::encode::write_decimal(digits, n);
            }
        }
        T::copy(&mut buf[crlf_at..end], b"\r\n");
        Some(end)
    }
}

/// Appends `line` to `out` when it fits a block of [`HEAD_INLINE`] bytes
/// (`false`, nothing appended, when it does not): written in place into
/// the spare capacity, which the caller has reserved, and which is not
/// zeroed first (`perf/encode-instructions.sh`: zeroing a block per line
/// and cutting the buffer back to the line after cost two typed header
/// lines 17 instructions, and every response's `content-length` line 17).
#[inline(always)]
pub(crate) fn append_line(out: &mut Vec<u8>, line: Line<'_>) -> bool {
    let len = out.len();
    let room = out.spare_capacity_mut().first_chunk_mut::<HEAD_INLINE>();
    let Some(end) = line.put(room.expect("room for a line was reserved"), 0) else {
        return false;
    };
    // SAFETY: `Line::put` wrote every byte of `room[..end]`, and `room`
    // is the start of `out`'s spare capacity (`end` <= `HEAD_INLINE`, so
    // within it): the first `end` bytes past `len` are initialized.
    unsafe { out.set_len(len + end) };
    true
}

/// Appends `h`'s line and the blank line (CRLF) that ends a head to `out`:
/// the line's whole block of [`STATIC_BLOCK`] bytes is copied from its
/// constant into the spare capacity (which the caller has reserved, that
/// many bytes), the blank line stored after the line in it, and `out`
/// lengthened to the blank line's end; nothing is cut back, and no index
/// of a run-time end is checked. A line too long for the block (no usual
/// content type is) is appended piece by piece.
#[inline(always)]
pub(crate) fn append_last_line(out: &mut Vec<u8>, h: &StaticHeader) {
    let len = out.len();
    let room = out.spare_capacity_mut().first_chunk_mut::<STATIC_BLOCK>();
    let (Some(block), Some(room)) = (h.line_block(), room) else {
        return append_last_line_long(out, h);
    };
    // `line_block` has room for the CRLF after the line.
    let end = h.line().len() + 2;
    <MaybeUninit<u8> as Byte>::copy(room, block);
    <MaybeUninit<u8> as Byte>::copy(&mut room[end - 2..end], b"\r\n");
    // SAFETY: every byte of `room`, the start of `out`'s spare capacity,
    // was written (the block, then the CRLF within it), and `end` <=
    // `STATIC_BLOCK`: the first `end` bytes past `len` are initialized.
    unsafe { out.set_len(len + end) };
}

#[cold]
fn append_last_line_long(out: &mut Vec<u8>, h: &StaticHeader) {
    out.extend_from_slice(h.line());
    out.extend_from_slice(b"\r\n");
}

/// `n` in decimal, after a `-` when `negative`, formatted in `digits`: for
/// lines too long for a block.
#[cold]
pub(crate) fn decimal_text(digits: &mut itoa::Buffer, negative: bool, n: u64) -> &[u8] {
    match negative {
        true => digits.format(-i128::from(n)).as_bytes(),
        false => digits.format(n).as_bytes(),
    }
}

/// A response's header lines while they fit inline: up to 63 bytes.
pub(crate) struct LineBuf {
    bytes: [u8; HEAD_INLINE],
    len: u8,
}

impl LineBuf {
    /// No lines.
    #[inline(always)]
    const fn new() -> LineBuf {
        LineBuf {
            bytes: [0; HEAD_INLINE],
            len: 0,
        }
    }

    /// The lines, `name: value\r\n` each.
    #[inline]
    fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len as usize]
    }

    #[inline(always)]
    fn put(&mut self, end: Option<usize>) -> bool {
        match end {
            Some(end) => {
                self.len = end as u8;
                true
            }
            None => false,
        }
    }
}

/// Whether a service may answer with `status`: a final response's status,
/// 200-599.
#[inline(always)]
pub(crate) const fn valid_status(status: u16) -> bool {
    status.wrapping_sub(200) < 400
}

#[cold]
#[inline(never)]
fn log_refused(status: u16, name: &[u8], why: &'static str) {
    tracing::error!(
        status,
        name = %String::from_utf8_lossy(name),
        why,
        "response header refused; answering 500"
    );
}

/// Appends the first `len` bytes of `block` to `out`: the whole block is
/// copied (a constant size, so a few vector moves) and `out` is cut back.
#[inline(always)]
pub(crate) fn push_prefix<const N: usize>(out: &mut Vec<u8>, block: &[u8; N], len: usize) {
    debug_assert!(len <= N);
    let at = out.len();
    out.extend_from_slice(block);
    out.truncate(at + len);
}

/// How much of a static header's line is copied as one block: by
/// [`push_static_line`] into a head, and by [`append_last_line`] (with the
/// blank line after it) into a framed one. [`StaticHeader::line_block`]
/// gives it.
pub(crate) const STATIC_BLOCK: usize = 64;

/// Appends a static header's line to `out`: as one fixed-size block when
/// it is at most [`STATIC_BLOCK`] bytes (every usual content type is).
#[inline(always)]
fn push_static_line(out: &mut Vec<u8>, h: &StaticHeader) {
    let len = h.line_len as usize;
    match h.line.first_chunk::<STATIC_BLOCK>() {
        Some(block) if len <= STATIC_BLOCK => push_prefix(out, block, len),
        _ => out.extend_from_slice(h.line()),
    }
}

/// Copies `src` into `dst` (of the same length). Header values are short:
/// up to 16 bytes this is two overlapping fixed-size copies instead of a
/// call to `memcpy`, which measurably cost typed headers (`benches/encode`).
/// Every byte of `dst`, which is as long as `src`, is written.
#[inline(always)]
fn copy_short<T: Byte>(dst: &mut [T], src: &[u8]) {
    let n = src.len();
    debug_assert_eq!(dst.len(), n);
    if (8..=16).contains(&n) {
        T::copy(&mut dst[..8], &src[..8]);
        T::copy(&mut dst[n - 8..n], &src[n - 8..]);
    } else if (4..8).contains(&n) {
        T::copy(&mut dst[..4], &src[..4]);
        T::copy(&mut dst[n - 4..n], &src[n - 4..]);
    } else if n < 4 {
        // First, middle and last byte: all of 1 to 3 bytes, with no loop
        // (which LLVM turned back into a `memcpy` call).
        if n > 0 {
            T::copy(&mut dst[..1], &src[..1]);
            T::copy(&mut dst[n / 2..n / 2 + 1], &src[n / 2..n / 2 + 1]);
            T::copy(&mut dst[n - 1..], &src[n - 1..]);
        }
    } else {
        T::copy(dst, src);
    }
}

/// A header whose name and value are checked at compile time, appended
/// without further checks by [`Response::append_static`].
///
/// ```
/// use jero_engine::{Response, StaticHeader};
/// const JSON: StaticHeader = StaticHeader::new("content-type", "application/json");
/// let mut res = Response::new(200);
/// res.append_static(&JSON);
/// assert_eq!(res.header("content-type"), Some(&b"application/json"[..]));
/// ```
///
/// An invalid header, or one the engine owns, fails to compile when the
/// constant is used:
///
/// ```compile_fail
/// const BAD: jero_engine::StaticHeader = jero_engine::StaticHeader::new("content-length", "3");
/// let _ = BAD;
/// ```
///
/// So does a line longer than 255 bytes:
///
/// ```compile_fail
/// const LONG: jero_engine::StaticHeader = jero_engine::StaticHeader::new("x-long", {
///     "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\
///      0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\
///      0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\
///      0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
/// });
/// let _ = LONG;
/// ```
#[derive(Clone, Copy)]
pub struct StaticHeader {
    name: &'static str,
    value: &'static str,
    /// `name: value\r\n`, built at compile time.
    line: [u8; STATIC_LINE_MAX],
    line_len: u8,
}

/// The longest line a [`StaticHeader`] holds (name, value, `: ` and CRLF).
const STATIC_LINE_MAX: usize = 255;

impl std::fmt::Debug for StaticHeader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StaticHeader")
            .field("name", &self.name)
            .field("value", &self.value)
            .finish()
    }
}

impl StaticHeader {
    /// A header; panics (at compile time in a `const`) when the name is not
    /// a token, the value has control bytes, the name is one of the
    /// framing headers the engine writes itself, or the line (name, `: `,
    /// value, CRLF) is longer than 255 bytes.
    pub const fn new(name: &'static str, value: &'static str) -> StaticHeader {
        assert!(
            crate::encode::is_token(name.as_bytes()),
            "header name is not a token"
        );
        assert!(
            crate::encode::valid_value(value.as_bytes()),
            "header value has control bytes"
        );
        assert!(
            !crate::encode::is_framing_header(name.as_bytes()),
            "content-length, transfer-encoding, date and connection are the engine's"
        );
        let (n, v) = (name.as_bytes(), value.as_bytes());
        let len = n.len() + v.len() + 4;
        assert!(len <= STATIC_LINE_MAX, "header line longer than 255 bytes");
        let mut line = [0u8; STATIC_LINE_MAX];
        let mut i = 0;
        while i < n.len() {
            line[i] = n[i];
            i += 1;
        }
        line[i] = b':';
        line[i + 1] = b' ';
        let mut j = 0;
        while j < v.len() {
            line[i + 2 + j] = v[j];
            j += 1;
        }
        line[len - 2] = b'\r';
        line[len - 1] = b'\n';
        StaticHeader {
            name,
            value,
            line,
            line_len: len as u8,
        }
    }

    /// The whole `name: value\r\n` line.
    #[inline]
    pub(crate) fn line(&self) -> &[u8] {
        &self.line[..self.line_len as usize]
    }

    /// The line in a block of [`STATIC_BLOCK`] bytes, when it leaves at
    /// least two of them after it (for a CRLF).
    #[inline(always)]
    pub(crate) fn line_block(&self) -> Option<&[u8; STATIC_BLOCK]> {
        match self.line.first_chunk() {
            Some(block) if (self.line_len as usize) + 2 <= STATIC_BLOCK => Some(block),
            _ => None,
        }
    }

    /// The name.
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// The value.
    pub const fn value(&self) -> &'static str {
        self.value
    }
}

impl Response {
    /// A response with the given status, no headers and no body.
    #[inline]
    pub fn new(status: u16) -> Response {
        Response::made(status, None, Body::Empty)
    }

    /// A response with no lines but `fixed`'s, and `body`, built as one
    /// value (built from another response, the other's body would be
    /// dropped, a call: see [`drop_body`]).
    #[inline(always)]
    fn made(status: u16, fixed: Option<&'static StaticHeader>, body: Body) -> Response {
        Response {
            status,
            close: false,
            invalid: false,
            open: false,
            fixed,
            fixed_at: 0,
            lines: Lines::new(),
            body,
        }
    }

    /// A response with one header from a constant (its content type,
    /// typically) and a body: what [`Response::with_static`] and
    /// [`Response::with_body`] make, built in one piece (there is no empty
    /// body to drop first).
    ///
    /// ```
    /// use jero_engine::{Response, StaticHeader};
    /// const TEXT: StaticHeader = StaticHeader::new("content-type", "text/plain");
    /// let res = Response::with_content(200, &TEXT, "hi");
    /// assert_eq!(res.header("content-type"), Some(&b"text/plain"[..]));
    /// assert_eq!(res.body().bytes(), Some(&b"hi"[..]));
    /// ```
    #[inline(always)]
    pub fn with_content(status: u16, header: &'static StaticHeader, body: impl Into<Body>) -> Response {
        Response::made(status, Some(header), body.into())
    }

    /// A response whose header lines and body are `framed`'s (see
    /// [`ResponseBuf`](crate::ResponseBuf)).
    #[inline(always)]
    pub(crate) fn from_framed(status: u16, framed: Framed) -> Response {
        Response::made(status, None, Body::Framed(framed))
    }

    /// Before the lines or the body change: a framed body's header lines
    /// become the response's own lines, and the body its own buffer, so
    /// that what is added goes after them (a framed response has no other
    /// lines: it is made with none, and every change comes here first).
    #[inline(always)]
    fn unframe(&mut self) {
        if matches!(self.body, Body::Framed(_)) {
            self.unframe_lines();
        }
    }

    #[cold]
    #[inline(never)]
    fn unframe_lines(&mut self) {
        if let Body::Framed(framed) = std::mem::take(&mut self.body) {
            self.keep_lines(&framed);
            self.body = Body::Owned(framed.into_body());
        }
    }

    /// Whether the response has no lines of its own (as a framed one
    /// never has: see [`Response::unframe`]).
    pub(crate) fn own_lines_are_empty(&self) -> bool {
        self.lines.len() == 0 && self.fixed.is_none()
    }

    /// Puts `body`, returning the one it replaces; a framed body's lines
    /// stay the response's (its body is not moved: the caller drops it).
    #[inline(always)]
    fn replace_body(&mut self, body: Body) -> Body {
        let old = std::mem::replace(&mut self.body, body);
        if let Body::Framed(framed) = &old {
            self.keep_lines(framed);
        }
        old
    }

    /// A framed body's lines, kept as the response's own.
    #[cold]
    #[inline(never)]
    fn keep_lines(&mut self, framed: &Framed) {
        debug_assert!(self.own_lines_are_empty());
        self.lines.push(framed.lines());
    }

    /// The status code.
    #[inline]
    pub fn status(&self) -> u16 {
        self.status
    }

    /// Replaces the status code.
    #[inline]
    pub fn set_status(&mut self, status: u16) {
        self.status = status;
    }

    /// Appends a header field (kept even if one with the same name exists).
    #[inline]
    pub fn append_header(&mut self, name: impl AsRef<[u8]>, value: impl AsRef<[u8]>) {
        let mut line = self.header_line(name.as_ref());
        line.push(value.as_ref());
        line.finish();
    }

    /// Builder form of [`Response::append_header`].
    #[inline]
    pub fn with_header(mut self, name: impl AsRef<[u8]>, value: impl AsRef<[u8]>) -> Response {
        self.append_header(name, value);
        self
    }

    /// A line forgotten before this one left unchecked bytes behind: the
    /// response is invalid. Stores only then: a byte written on every
    /// header, right before the response is moved, made the move's wider
    /// load of the flags wait for the store (`benches/encode`: a
    /// store-forwarding stall of a few nanoseconds per wrapped response).
    #[inline(always)]
    fn note_forgotten_line(&mut self) {
        if self.open {
            self.invalid = true;
        }
    }

    /// What every method that adds a line does first: a framed body's
    /// lines become the response's own ([`Response::unframe`]), so the new
    /// line goes after them, and a line forgotten before this one makes
    /// the response invalid.
    #[inline(always)]
    fn before_line(&mut self) {
        self.unframe();
        self.note_forgotten_line();
    }

    /// Appends a header checked at compile time. The response's first such
    /// header (a content type, typically) costs a pointer: its line is sent
    /// straight from the constant.
    #[inline]
    pub fn append_static(&mut self, header: &'static StaticHeader) {
        self.before_line();
        let at = self.lines.len();
        match u16::try_from(at) {
            Ok(at) if self.fixed.is_none() && !self.open => {
                self.fixed = Some(header);
                self.fixed_at = at;
            }
            _ => self.lines.push(header.line()),
        }
    }

    /// Builder form of [`Response::append_static`]: no check is left for
    /// the request's time.
    ///
    /// ```
    /// use jero_engine::{Response, StaticHeader};
    /// const TEXT: StaticHeader = StaticHeader::new("content-type", "text/plain");
    /// let res = Response::new(200).with_static(&TEXT).with_body("hi");
    /// assert_eq!(res.header("content-type"), Some(&b"text/plain"[..]));
    /// ```
    #[inline]
    pub fn with_static(mut self, header: &'static StaticHeader) -> Response {
        self.append_static(header);
        self
    }

    /// Appends a header from a name checked in advance: the line is
    /// `prefix`, `value`, CRLF. The value is checked as in
    /// [`Response::append_header`] (control bytes refuse the response).
    ///
    /// ```
    /// use jero_engine::{LinePrefix, Response};
    /// const RATE: Option<LinePrefix> = LinePrefix::from_static(b"x-rate-limit: ");
    /// let rate = RATE.unwrap();
    /// let mut res = Response::new(200);
    /// res.append_prefixed(rate, b"100");
    /// res.append_prefixed_u64(rate, 7);
    /// res.append_prefixed_i64(rate, -1);
    /// let headers: Vec<_> = res.headers().map(|(_, v)| v).collect();
    /// assert_eq!(headers, [&b"100"[..], b"7", b"-1"]);
    /// res.append_prefixed(rate, b"1\r\nx-injected: 1");
    /// assert!(res.is_invalid());
    /// ```
    #[inline(always)]
    pub fn append_prefixed(&mut self, prefix: LinePrefix, value: &[u8]) {
        // A line forgotten before this one left unchecked bytes behind.
        self.before_line();
        if crate::encode::value_ok(value) {
            self.lines.push_prefixed(prefix.as_bytes(), value);
        } else {
            self.refuse(prefix.name(), "value has control bytes");
        }
    }

    /// [`Response::append_prefixed`] for an unsigned number, in decimal.
    #[inline(always)]
    pub fn append_prefixed_u64(&mut self, prefix: LinePrefix, n: u64) {
        self.before_line();
        self.lines.push_prefixed_decimal(prefix.as_bytes(), false, n);
    }

    /// [`Response::append_prefixed`] for a signed number, in decimal.
    #[inline(always)]
    pub fn append_prefixed_i64(&mut self, prefix: LinePrefix, n: i64) {
        self.before_line();
        self.lines
            .push_prefixed_decimal(prefix.as_bytes(), n < 0, n.unsigned_abs());
    }

    /// [`Response::header_line`] from a name checked in advance.
    ///
    /// ```
    /// use jero_engine::{LinePrefix, Response};
    /// const TAGS: Option<LinePrefix> = LinePrefix::from_static(b"x-tags: ");
    /// let mut res = Response::new(200);
    /// let mut line = res.header_line_prefixed(TAGS.unwrap());
    /// line.push(br#"["a","b"]"#);
    /// line.finish();
    /// assert_eq!(res.header("x-tags"), Some(&br#"["a","b"]"#[..]));
    /// ```
    #[inline(always)]
    pub fn header_line_prefixed(&mut self, prefix: LinePrefix) -> HeaderLine<'_> {
        self.before_line();
        let start = self.lines.len();
        self.lines.push(prefix.as_bytes());
        self.open = true;
        HeaderLine {
            value_start: self.lines.len(),
            res: self,
            start,
            name_len: prefix.name().len(),
            framing: false,
            valid: true,
            bad_name: None,
        }
    }

    /// Starts a header whose value is written in pieces (numbers, formatted
    /// text) straight into the response head, with no intermediate buffer.
    /// The header is added by [`HeaderLine::finish`]; dropping the line
    /// unfinished leaves the response as it was.
    ///
    /// ```
    /// use std::fmt::Write;
    /// let mut res = jero_engine::Response::new(200);
    /// let mut line = res.header_line(b"x-rate-limit");
    /// line.push_u64(100);
    /// line.finish();
    /// let mut line = res.header_line(b"x-window");
    /// write!(line, "{}s", 60).unwrap();
    /// line.finish();
    /// drop(res.header_line(b"x-abandoned"));
    /// let headers: Vec<_> = res.headers().collect();
    /// assert_eq!(headers, [(&b"x-rate-limit"[..], &b"100"[..]), (&b"x-window"[..], &b"60s"[..])]);
    /// ```
    ///
    /// A name that is not a token is refused when the line is finished (the
    /// response becomes a 500); an abandoned line with such a name changes
    /// nothing.
    #[inline]
    pub fn header_line<'r>(&'r mut self, name: &'r [u8]) -> HeaderLine<'r> {
        // A line forgotten before this one left unchecked bytes behind.
        self.before_line();
        let start = self.lines.len();
        let ok = crate::encode::is_token(name);
        let bad_name = if ok {
            self.lines.push(name);
            self.lines.push(b": ");
            self.open = true;
            None
        } else {
            Some(name)
        };
        HeaderLine {
            value_start: self.lines.len(),
            res: self,
            start,
            name_len: name.len(),
            framing: ok && crate::encode::is_framing_header(name),
            valid: true,
            bad_name,
        }
    }

    /// [`Response::header_line`] for a name checked in advance.
    ///
    /// ```
    /// use jero_engine::{HeaderName, Response};
    /// let name = HeaderName::new(b"x-request-id").unwrap();
    /// let mut res = Response::new(200);
    /// let mut line = res.header_line_named(&name);
    /// line.push(b"r-1");
    /// line.finish();
    /// assert_eq!(res.header("x-request-id"), Some(&b"r-1"[..]));
    /// ```
    #[inline(always)]
    pub fn header_line_named(&mut self, name: &HeaderName) -> HeaderLine<'_> {
        let name = name.as_bytes();
        // A line forgotten before this one left unchecked bytes behind.
        self.before_line();
        let start = self.lines.len();
        self.lines.push(name);
        self.lines.push(b": ");
        self.open = true;
        HeaderLine {
            value_start: self.lines.len(),
            res: self,
            start,
            name_len: name.len(),
            framing: false,
            valid: true,
            bad_name: None,
        }
    }

    /// Refuses a header: the response becomes a 500. The logging is out of
    /// line and never sees the response, so a response built in one
    /// function stays in registers and its return slot (no copies).
    #[inline(always)]
    fn refuse(&mut self, name: &[u8], why: &'static str) {
        log_refused(self.status, name, why);
        self.invalid = true;
    }

    /// The header fields, in order (framing headers are not kept: see the
    /// type's documentation).
    pub fn headers(&self) -> impl Iterator<Item = (&[u8], &[u8])> {
        let [before, fixed, after] = self.head_lines();
        HeaderLines { rest: before }
            .chain(HeaderLines { rest: fixed })
            .chain(HeaderLines { rest: after })
    }

    /// The first value of the header `name` (ASCII case-insensitive).
    pub fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers()
            .find(|(n, _)| n.eq_ignore_ascii_case(name.as_bytes()))
            .map(|(_, v)| v)
    }

    /// Removes every header named `name` (ASCII case-insensitive). A header
    /// that was refused was never kept, so removing it does not undo the 500.
    pub fn remove_header(&mut self, name: &str) {
        self.unframe();
        let doomed = |n: &[u8]| n.eq_ignore_ascii_case(name.as_bytes());
        if self.fixed.is_some_and(|h| doomed(h.name.as_bytes())) {
            self.fixed = None;
        }
        let [before, _, after] = self.head_lines();
        let mut kept = Lines::new();
        for (n, v) in (HeaderLines { rest: before }) {
            if !doomed(n) {
                kept.push_line(n, v);
            }
        }
        // `kept` is no longer than `before`, whose length fitted.
        let fixed_at = kept.len() as u16;
        for (n, v) in (HeaderLines { rest: after }) {
            if !doomed(n) {
                kept.push_line(n, v);
            }
        }
        self.fixed_at = fixed_at;
        self.lines = kept;
    }

    /// The body.
    #[inline]
    pub fn body(&self) -> &Body {
        &self.body
    }

    /// Replaces the body.
    #[inline]
    pub fn set_body(&mut self, body: impl Into<Body>) {
        drop_body(self.replace_body(body.into()));
    }

    /// Builder form of [`Response::set_body`].
    #[inline]
    pub fn with_body(mut self, body: impl Into<Body>) -> Response {
        self.set_body(body);
        self
    }

    /// Splits the response into its parts, as the engine would send them: a
    /// response with a refused header or status comes out as a bare 500,
    /// a 204 or 304 without `content-type` or body, and a 205 without body.
    ///
    /// ```
    /// use jero_engine::{Body, Response};
    /// let res = Response::new(200).with_header("x-a", "a\nb").with_body("hi");
    /// let (status, headers, body) = res.into_parts();
    /// assert_eq!((status, headers.len()), (500, 0));
    /// assert!(matches!(body, Body::Empty));
    ///
    /// let res = Response::new(204).with_header("content-type", "text/plain").with_body("hi");
    /// let (status, headers, body) = res.into_parts();
    /// assert_eq!((status, headers.len()), (204, 0));
    /// assert!(matches!(body, Body::Empty));
    /// ```
    pub fn into_parts(mut self) -> (u16, Vec<(HeaderBytes, HeaderBytes)>, Body) {
        if self.is_invalid() {
            self.body.discard();
            return (500, Vec::new(), Body::Empty);
        }
        self.unframe();
        self.clear_content();
        let headers = self
            .headers()
            .map(|(n, v)| (HeaderBytes::copy_from_slice(n), HeaderBytes::copy_from_slice(v)))
            .collect();
        (self.status, headers, self.body)
    }

    /// The encoded header lines in order: the lines added before the static
    /// slot's, its line, and the lines added after it.
    #[inline]
    pub(crate) fn head_lines(&self) -> [&[u8]; 3] {
        if let Body::Framed(framed) = &self.body {
            return [&[], &[], framed.lines()];
        }
        let lines = self.lines.as_slice();
        match self.fixed {
            Some(h) => {
                let (before, after) = lines.split_at((self.fixed_at as usize).min(lines.len()));
                [before, h.line(), after]
            }
            None => [&[], &[], lines],
        }
    }

    /// Appends the encoded header lines to `out`, in order (what
    /// [`Response::head_lines`] gives, without the slices).
    ///
    /// A static line (the content type, usually) is copied as one 64-byte
    /// block from its constant and `out` cut back to its length: a few
    /// vector moves instead of a `memcpy` call for a run-time length
    /// (`benches/encode`: the plain struct 87.6 -> 79.1 ns). The inline
    /// lines are copied the same way, as one 63-byte block, 4 instructions
    /// fewer than a copy by length (`perf/probes/encode-ab`). A framed
    /// response's lines are not here: they go out with its body.
    #[inline(always)]
    pub(crate) fn write_head_lines(&self, out: &mut Vec<u8>) {
        if self.lines.spilled() {
            return self.write_head_lines_sliced(out);
        }
        let len = self.lines.inline.len as usize;
        let inline = &self.lines.inline.bytes;
        match self.fixed {
            None => push_prefix(out, inline, len),
            Some(h) if self.fixed_at as usize >= len => {
                if len > 0 {
                    push_prefix(out, inline, len);
                }
                push_static_line(out, h);
            }
            Some(h) if self.fixed_at == 0 => {
                push_static_line(out, h);
                push_prefix(out, inline, len);
            }
            Some(_) => self.write_head_lines_sliced(out),
        }
    }

    #[cold]
    fn write_head_lines_sliced(&self, out: &mut Vec<u8>) {
        for part in self.head_lines() {
            out.extend_from_slice(part);
        }
    }

    /// Whether a refused header (or a [`HeaderLine`] that was forgotten
    /// instead of finished or dropped) makes the engine answer a bare 500
    /// instead of this response.
    ///
    /// ```
    /// let mut res = jero_engine::Response::new(200);
    /// let mut line = res.header_line(b"x-a");
    /// line.push(b"evil\r\ninjected: 1");
    /// std::mem::forget(line);
    /// assert!(res.is_invalid());
    /// ```
    ///
    /// A status outside 200-599 makes it invalid too:
    ///
    /// ```
    /// assert!(jero_engine::Response::new(100).is_invalid());
    /// assert!(jero_engine::Response::new(600).is_invalid());
    /// assert!(!jero_engine::Response::new(599).is_invalid());
    /// ```
    #[inline]
    pub fn is_invalid(&self) -> bool {
        self.invalid || self.open || !valid_status(self.status)
    }

    /// For a status that carries no content (204, 205, 304): drops the body
    /// (through [`Body::discard`]) and, on 204 and 304, the content type,
    /// which has nothing to describe. Returns whether the status is one.
    pub(crate) fn clear_content(&mut self) -> bool {
        if !crate::encode::without_content(self.status) {
            return false;
        }
        self.replace_body(Body::Empty).discard();
        if self.status != 205 {
            self.remove_header("content-type");
        }
        true
    }

    /// Whether the service asked to close the connection after this
    /// response (a `connection: close` header, which is not kept as a line).
    ///
    /// ```
    /// let res = jero_engine::Response::new(200).with_header("Connection", "close");
    /// assert!(res.wants_close());
    /// assert!(res.header("connection").is_none());
    /// ```
    #[inline]
    pub fn wants_close(&self) -> bool {
        self.close
    }

    pub(crate) fn take_body(&mut self) -> Body {
        std::mem::take(&mut self.body)
    }
}

/// A header being written into a [`Response`]; see [`Response::header_line`].
pub struct HeaderLine<'r> {
    res: &'r mut Response,
    /// Where the line starts (rolled back to when not finished).
    start: usize,
    value_start: usize,
    name_len: usize,
    /// Whether the name is a framing header (checked, then dropped).
    framing: bool,
    /// Whether every byte pushed so far may appear in a value (checked as
    /// the bytes are pushed, while they are in cache).
    valid: bool,
    /// A name that is not a token, refused when the line is finished
    /// (nothing of such a line is written).
    bad_name: Option<&'r [u8]>,
}

impl HeaderLine<'_> {
    /// Appends bytes to the value.
    #[inline(always)]
    pub fn push(&mut self, bytes: &[u8]) {
        self.valid &= crate::encode::value_ok(bytes);
        self.push_valid(bytes);
    }

    /// Appends bytes known to be valid in a value.
    #[inline(always)]
    fn push_valid(&mut self, bytes: &[u8]) {
        if self.bad_name.is_none() {
            self.res.lines.push(bytes);
        }
    }

    /// Appends an unsigned number in decimal.
    #[inline(always)]
    pub fn push_u64(&mut self, n: u64) {
        self.push_valid(itoa::Buffer::new().format(n).as_bytes());
    }

    /// Appends a signed number in decimal.
    #[inline]
    pub fn push_i64(&mut self, n: i64) {
        self.push_valid(itoa::Buffer::new().format(n).as_bytes());
    }

    /// The value written so far.
    pub fn value(&self) -> &[u8] {
        if self.bad_name.is_none() {
            &self.res.lines.as_slice()[self.value_start..]
        } else {
            &[]
        }
    }

    /// Adds the header: checks the value, and keeps the line unless it is a
    /// framing header the engine writes itself.
    #[inline(always)]
    pub fn finish(mut self) {
        if let Some(name) = self.bad_name {
            self.res.refuse(name, "name is not a token");
            return;
        }
        if !self.valid {
            self.refuse_value();
            return;
        }
        if self.framing {
            self.framing_value();
            return;
        }
        self.res.lines.push(b"\r\n");
        self.res.open = false;
        self.start = usize::MAX;
    }

    #[cold]
    fn refuse_value(&mut self) {
        let name = self.res.lines.as_slice()[self.start..self.start + self.name_len].to_vec();
        self.res.refuse(&name, "value has control bytes");
    }

    /// A framing header is not sent; `connection: close` is remembered.
    #[cold]
    fn framing_value(&mut self) {
        let lines = self.res.lines.as_slice();
        let name = &lines[self.start..self.start + self.name_len];
        let value = &lines[self.value_start..];
        if name.eq_ignore_ascii_case(b"connection")
            && value
                .split(|&b| b == b',')
                .any(|t| t.trim_ascii().eq_ignore_ascii_case(b"close"))
        {
            self.res.close = true;
        }
    }
}

impl Drop for HeaderLine<'_> {
    #[inline]
    fn drop(&mut self) {
        if self.start != usize::MAX {
            self.res.lines.truncate(self.start);
            self.res.open = false;
        }
    }
}

impl std::fmt::Write for HeaderLine<'_> {
    #[inline]
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.push(s.as_bytes());
        Ok(())
    }
}

/// Iterates `name: value\r\n` lines.
struct HeaderLines<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for HeaderLines<'a> {
    type Item = (&'a [u8], &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        // Names are tokens (no `:`) and values have no CR: the first `:` and
        // the first CR delimit them.
        let colon = self.rest.iter().position(|&b| b == b':')?;
        let cr = colon + self.rest[colon..].iter().position(|&b| b == b'\r')?;
        let name = &self.rest[..colon];
        let value = &self.rest[colon + 2..cr];
        self.rest = &self.rest[cr + 2..];
        Some((name, value))
    }
}

impl From<Body> for Response {
    fn from(body: Body) -> Response {
        Response::made(200, None, body)
    }
}

/// The standard reason phrase of a status code (empty when unknown).
pub fn reason_phrase(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        101 => "Switching Protocols",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        203 => "Non-Authoritative Information",
        204 => "No Content",
        205 => "Reset Content",
        206 => "Partial Content",
        300 => "Multiple Choices",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        402 => "Payment Required",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        407 => "Proxy Authentication Required",
        408 => "Request Timeout",
        409 => "Conflict",
        410 => "Gone",
        411 => "Length Required",
        412 => "Precondition Failed",
        413 => "Content Too Large",
        414 => "URI Too Long",
        415 => "Unsupported Media Type",
        416 => "Range Not Satisfiable",
        417 => "Expectation Failed",
        421 => "Misdirected Request",
        422 => "Unprocessable Content",
        425 => "Too Early",
        426 => "Upgrade Required",
        428 => "Precondition Required",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        451 => "Unavailable For Legal Reasons",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    impl Response {
        /// What `encode` writes for the header lines (checked against the
        /// slices `head_lines` gives, and written after other bytes, so the
        /// block copies' cut-back is checked at an offset).
        fn head_bytes_for_tests(&self) -> Vec<u8> {
            let mut out = b"HTTP/1.1 200 OK\r\n".to_vec();
            self.write_head_lines(&mut out);
            out.extend_from_slice(b"\r\n");
            let lines = out[17..out.len() - 2].to_vec();
            assert_eq!(lines, self.head_lines().concat(), "block copies and slices agree");
            lines
        }
    }

    fn lines(res: &Response) -> Vec<(String, String)> {
        res.headers()
            .map(|(n, v)| {
                (
                    String::from_utf8(n.to_vec()).unwrap(),
                    String::from_utf8(v.to_vec()).unwrap(),
                )
            })
            .collect()
    }

    #[test]
    fn headers_keep_order_casing_and_repeats() {
        let res = Response::new(200)
            .with_header("X-A", "1")
            .with_header("x-a", "2")
            .with_header("set-cookie", "a=b; Path=/");
        assert_eq!(
            lines(&res),
            [("X-A", "1"), ("x-a", "2"), ("set-cookie", "a=b; Path=/")]
                .map(|(n, v)| (n.to_owned(), v.to_owned()))
        );
        assert_eq!(res.header("X-a"), Some(&b"1"[..]));
        assert_eq!(
            res.head_bytes_for_tests(),
            b"X-A: 1\r\nx-a: 2\r\nset-cookie: a=b; Path=/\r\n"
        );
    }

    #[test]
    fn framing_headers_are_dropped_and_close_is_remembered() {
        let res = Response::new(200)
            .with_header("Content-Length", "5")
            .with_header("transfer-encoding", "chunked")
            .with_header("date", "yesterday")
            .with_header("x-kept", "yes");
        assert_eq!(lines(&res), [("x-kept".to_owned(), "yes".to_owned())]);
        assert!(!res.wants_close());
        let res = Response::new(200).with_header("Connection", "keep-alive, Close");
        assert!(res.headers().next().is_none());
        assert!(res.wants_close());
        assert!(!Response::new(200)
            .with_header("connection", "keep-alive")
            .wants_close());
    }

    #[test]
    fn invalid_names_and_values_are_refused() {
        for (name, value) in [
            (&b"bad name"[..], &b"v"[..]),
            (b"", b"v"),
            (b"x-a", b"a\r\nb: c"),
            (b"x-a", b"nul\0"),
            (b"x-a", b"del\x7f"),
            (b"x-a", b"a long value with a \n hidden newline"),
        ] {
            let res = Response::new(200).with_header(name, value);
            assert!(res.is_invalid(), "{name:?}: {value:?}");
            assert!(res.headers().next().is_none(), "nothing of it is kept");
        }
        // Tabs, spaces and non-ASCII bytes are fine in values.
        let ok = Response::new(200).with_header("x-a", "tab\there and caf\u{e9} \u{1F600}, and more text");
        assert!(!ok.is_invalid());
        assert_eq!(
            ok.header("x-a").unwrap(),
            "tab\there and caf\u{e9} \u{1F600}, and more text".as_bytes()
        );
    }

    #[test]
    fn value_check_finds_bad_bytes_at_every_position() {
        for fill in [b'a', b' ', 0x7e, 0x80, 0xff] {
            check_every_position([fill; 40]);
        }
    }

    fn check_every_position(base: [u8; 40]) {
        for valid in [crate::encode::valid_value, crate::encode::value_ok] {
            for len in 0..=base.len() {
                assert!(valid(&base[..len]));
                for at in 0..len {
                    for bad in [0u8, b'\r', b'\n', 0x1f, 0x7f] {
                        let mut v = base;
                        v[at] = bad;
                        assert!(!valid(&v[..len]), "{bad:#x} at {at} of {len}");
                    }
                    let mut v = base;
                    v[at] = b'\t';
                    assert!(valid(&v[..len]));
                    v[at] = 0x80;
                    assert!(valid(&v[..len]));
                }
            }
        }
    }

    #[test]
    fn lines_spill_to_the_heap_and_stay_in_order() {
        let mut res = Response::new(200);
        let mut expected = Vec::new();
        for i in 0..40 {
            let (n, v) = (format!("x-header-{i}"), format!("value-{i}"));
            res.append_header(&n, &v);
            expected.push((n, v));
        }
        assert!(res.head_bytes_for_tests().len() > HEAD_INLINE);
        assert_eq!(lines(&res), expected);
        res.remove_header("X-HEADER-3");
        expected.remove(3);
        assert_eq!(lines(&res), expected);
        let (_, parts, _) = res.into_parts();
        assert_eq!(parts.len(), 39);
    }

    #[test]
    fn prefixed_lines_match_checked_lines_inline_and_spilled() {
        const RATE: Option<LinePrefix> = LinePrefix::from_static(b"x-rate: ");
        let rate = RATE.unwrap();
        let (mut fast, mut slow) = (Response::new(200), Response::new(200));
        // Crosses the inline capacity part-way through, at every alignment
        // of the line that spills.
        for i in 0..30u64 {
            match i % 3 {
                0 => fast.append_prefixed_u64(rate, i * 1_000_003),
                1 => fast.append_prefixed_i64(rate, -(i as i64)),
                _ => fast.append_prefixed(rate, format!("v {i}\t!").as_bytes()),
            }
            let value = match i % 3 {
                0 => (i * 1_000_003).to_string(),
                1 => (-(i as i64)).to_string(),
                _ => format!("v {i}\t!"),
            };
            slow.append_header("x-rate", value);
            assert_eq!(
                fast.head_bytes_for_tests(),
                slow.head_bytes_for_tests(),
                "after {i} lines"
            );
        }
        assert!(fast.head_bytes_for_tests().len() > HEAD_INLINE);
        assert!(!fast.is_invalid());
        // Every value length, inline (short copies) and spilled.
        let value: Vec<u8> = (0..40u8).map(|i| b'a' + i % 26).collect();
        for len in 0..=value.len() {
            let (mut a, mut b) = (Response::new(200), Response::new(200));
            a.append_prefixed(rate, &value[..len]);
            b.append_header("x-rate", &value[..len]);
            assert_eq!(a.head_bytes_for_tests(), b.head_bytes_for_tests(), "length {len}");
            fast.append_prefixed(rate, &value[..len]);
            slow.append_header("x-rate", &value[..len]);
        }
        assert_eq!(fast.head_bytes_for_tests(), slow.head_bytes_for_tests());
        let mut line = fast.header_line_prefixed(rate);
        line.push(b"x");
        line.finish();
        slow.append_header("x-rate", "x");
        assert_eq!(fast.head_bytes_for_tests(), slow.head_bytes_for_tests());
    }

    #[test]
    fn response_buf_lines_are_response_lines() {
        // Numbers growing to 20 digits, with prefixes short and long enough
        // that lines cross the 63-byte block: each one the response's line,
        // byte for byte.
        let short = LinePrefix::from_static(b"x-rate: ").unwrap();
        let long = LinePrefix::from_static(b"x-a-forty-one-byte-long-name-for-it-all: ").unwrap();
        assert_eq!(long.as_bytes().len() + 20 + 2, HEAD_INLINE);
        let (mut buf, mut res) = (crate::ResponseBuf::new(), Response::new(200));
        let mut n = 0u64;
        while let Some(next) = n.checked_mul(10).and_then(|n| n.checked_add(7)) {
            for prefix in [short, long] {
                buf.append_prefixed_u64(prefix, n);
                res.append_prefixed_u64(prefix, n);
                buf.append_prefixed_i64(prefix, -(n as i64 % i64::MAX));
                res.append_prefixed_i64(prefix, -(n as i64 % i64::MAX));
            }
            assert_eq!(buf.lines(), &res.head_bytes_for_tests()[..]);
            n = next;
        }
        for n in [i64::MIN, i64::MAX] {
            buf.append_prefixed_i64(long, n);
            res.append_prefixed_i64(long, n);
        }
        buf.append_prefixed_u64(long, u64::MAX);
        res.append_prefixed_u64(long, u64::MAX);
        assert_eq!(buf.lines(), &res.head_bytes_for_tests()[..]);
        // Exactly the block (63 bytes) and one past it.
        let name = LinePrefix::from_static(b"x-a: ").unwrap();
        for len in [HEAD_INLINE - 8, HEAD_INLINE - 7, HEAD_INLINE - 6, 300] {
            let mut buf = crate::ResponseBuf::new();
            assert!(buf.append_prefixed(name, &vec![b'v'; len]));
            assert_eq!(buf.lines().len(), len + 7);
            assert!(buf.lines().ends_with(b"v\r\n"));
        }
        // Control bytes are refused with nothing appended, tabs are not.
        let mut buf = crate::ResponseBuf::new();
        for bad in [&b"a\rb"[..], b"a\nb", b"\0", b"a\x7fb", b"a\x1b[0m"] {
            assert!(!buf.append_prefixed(name, bad), "{bad:?}");
        }
        assert!(buf.lines().is_empty());
        assert!(buf.append_prefixed(name, b"a\tb"));
        buf.append_prefixed_i64(name, -12);
        assert_eq!(buf.lines(), b"x-a: a\tb\r\nx-a: -12\r\n");
    }

    #[test]
    fn response_buf_values_around_eight_to_sixteen_bytes() {
        // Values of 8 to 16 bytes are checked and stored as two words:
        // every length from 0 to 24 (both sides of that path), after
        // prefixes that put the line's end on both sides of the block's,
        // each line the one a response writes, or refused with nothing
        // appended.
        let prefixes = [
            LinePrefix::from_static(b"x-a: ").unwrap(),
            LinePrefix::from_static(b"x-a-forty-one-byte-long-name-for-it-all: ").unwrap(),
            LinePrefix::from_static(b"x-a-forty-nine-byte-long-name-for-it-all-of-it: ").unwrap(),
        ];
        for prefix in prefixes {
            for len in 0..=24 {
                let value: Vec<u8> = (0..len as u8).map(|i| b'A' + i).collect();
                let mut buf = crate::ResponseBuf::new();
                let mut res = Response::new(200);
                assert!(buf.append_prefixed(prefix, b"first"));
                res.append_prefixed(prefix, b"first");
                assert!(buf.append_prefixed(prefix, &value));
                res.append_prefixed(prefix, &value);
                assert_eq!(buf.lines(), &res.head_bytes_for_tests()[..], "{len}");
                // A bad byte anywhere refuses the value and leaves the
                // lines before it as they were; a tab or a non-ASCII byte
                // does not.
                for at in 0..len {
                    for (b, ok) in [
                        (b'\r', false),
                        (0, false),
                        (0x7f, false),
                        (b'\t', true),
                        (0xe9, true),
                    ] {
                        let mut v = value.clone();
                        v[at] = b;
                        let mut after = crate::ResponseBuf::new();
                        assert!(after.append_prefixed(prefix, b"first"));
                        assert!(after.append_prefixed(prefix, &value));
                        let start = after.lines().to_vec();
                        assert_eq!(after.append_prefixed(prefix, &v), ok, "{b:#04x} at {at} of {len}");
                        let mut want = start;
                        if ok {
                            want.extend_from_slice(prefix.as_bytes());
                            want.extend_from_slice(&v);
                            want.extend_from_slice(b"\r\n");
                        }
                        assert_eq!(after.lines(), &want[..], "{b:#04x} at {at} of {len}");
                    }
                }
            }
        }
    }

    fn framed_response(status: u16, body: &[u8]) -> Response {
        const JSON: StaticHeader = StaticHeader::new("content-type", "application/json");
        let rate = LinePrefix::from_static(b"x-rate: ").unwrap();
        let mut buf = crate::ResponseBuf::new();
        buf.append_prefixed_u64(rate, 10);
        buf.respond(status, Some(&JSON), |mut out| {
            out.extend_from_slice(body);
            Ok::<_, ()>(())
        })
        .unwrap()
    }

    #[test]
    fn a_framed_response_is_a_response_like_any_other() {
        let mut res = framed_response(201, b"{}");
        assert_eq!(res.status(), 201);
        assert_eq!(res.header("X-Rate"), Some(&b"10"[..]));
        assert_eq!(res.body().bytes(), Some(&b"{}"[..]));
        assert!(!res.is_invalid() && !res.wants_close());
        assert_eq!(format!("{:?}", res.body()), "Body::Framed(2)");
        // Lines added later go after its lines, the body stays.
        res.append_header("x-later", "1");
        let names: Vec<String> = lines(&res).into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["x-rate", "content-type", "x-later"]);
        assert!(matches!(res.body(), Body::Owned(b) if b == b"{}"));
        res.remove_header("x-rate");
        let mut out = Vec::new();
        assert!(crate::encode_response(&mut res, false, &mut out).is_none());
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("HTTP/1.1 201 Created\r\ndate: "));
        assert!(text.ends_with("content-length: 2\r\ncontent-type: application/json\r\nx-later: 1\r\n\r\n{}"));

        // Each way of changing it keeps its lines and body.
        type Change = (&'static str, fn(&mut Response));
        let changes: [Change; 6] = [
            ("append_static", |r| {
                const STATIC: StaticHeader = StaticHeader::new("x-s", "1");
                r.append_static(&STATIC)
            }),
            ("append_prefixed", |r| {
                r.append_prefixed(LinePrefix::from_static(b"x-p: ").unwrap(), b"1")
            }),
            ("append_prefixed_u64", |r| {
                r.append_prefixed_u64(LinePrefix::from_static(b"x-p: ").unwrap(), 1)
            }),
            ("append_prefixed_i64", |r| {
                r.append_prefixed_i64(LinePrefix::from_static(b"x-p: ").unwrap(), 1)
            }),
            ("header_line_named", |r| {
                let name = HeaderName::new(b"x-p").unwrap();
                let mut line = r.header_line_named(&name);
                line.push(b"1");
                line.finish();
            }),
            ("header_line_prefixed", |r| {
                let mut line = r.header_line_prefixed(LinePrefix::from_static(b"x-p: ").unwrap());
                line.push(b"1");
                line.finish();
            }),
        ];
        for (what, change) in changes {
            let mut res = framed_response(200, b"[1]");
            change(&mut res);
            let names: Vec<String> = lines(&res).into_iter().map(|(n, _)| n).collect();
            assert_eq!(names[..2], ["x-rate", "content-type"], "{what}");
            assert_eq!(names.len(), 3, "{what}");
            assert_eq!(res.body().bytes(), Some(&b"[1]"[..]), "{what}");
        }
        // A new body keeps the lines.
        let mut res = framed_response(200, b"[1]");
        res.set_body("x");
        assert_eq!(lines(&res).len(), 2);
        assert_eq!(res.body().bytes(), Some(&b"x"[..]));
        let res = framed_response(200, b"[1]").with_body("y");
        assert_eq!(lines(&res).len(), 2);
        // Its parts are the body alone, and its lines.
        let (status, headers, body) = framed_response(202, b"[2]").into_parts();
        assert_eq!((status, headers.len()), (202, 2));
        assert!(matches!(body, Body::Owned(b) if b == b"[2]"));
    }

    #[test]
    fn a_framed_response_encodes_with_its_lines_after_the_engines() {
        let head_of = |res: &mut Response, is_head: bool| {
            let mut out = Vec::new();
            let rest = crate::encode_response(res, is_head, &mut out);
            (String::from_utf8(out).unwrap(), rest.is_none())
        };
        let lines = "x-rate: 10\r\ncontent-type: application/json\r\n\r\n";
        let (text, done) = head_of(&mut framed_response(200, b"{}"), false);
        assert!(done && text.starts_with("HTTP/1.1 200 OK\r\ndate: "), "{text}");
        assert!(
            text.ends_with(&format!("\r\ncontent-length: 2\r\n{lines}{{}}")),
            "{text}"
        );
        // HEAD: the same length and lines, no body.
        let (text, _) = head_of(&mut framed_response(200, b"{}"), true);
        assert!(
            text.ends_with(&format!("\r\ncontent-length: 2\r\n{lines}")),
            "{text}"
        );
        // Empty.
        let (text, _) = head_of(&mut framed_response(200, b""), false);
        assert!(
            text.ends_with(&format!("\r\ncontent-length: 0\r\n{lines}")),
            "{text}"
        );
        // 204 and 304: neither length nor content type nor body; 205 no body.
        for status in [204, 304] {
            let (text, _) = head_of(&mut framed_response(status, b"{}"), false);
            assert!(text.contains("\r\nx-rate: 10\r\n"), "{text}");
            assert!(
                !text.contains("content-type") && !text.contains("content-length"),
                "{text}"
            );
            assert!(text.ends_with("\r\n\r\n"), "{text}");
        }
        let (text, _) = head_of(&mut framed_response(205, b"{}"), false);
        assert!(
            text.ends_with("content-length: 0\r\nx-rate: 10\r\ncontent-type: application/json\r\n\r\n"),
            "{text}"
        );
        // A large body goes out after the head, as it is.
        let big = vec![b'x'; crate::encode::COPY_BODY_MAX + 1];
        let mut res = framed_response(200, &big);
        let mut out = Vec::new();
        let (rest, keep) = crate::encode::encode(
            &mut res,
            crate::encode::Ctx {
                version: crate::Version::Http11,
                is_head: false,
                keep_alive: true,
            },
            &mut out,
        );
        assert!(keep);
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.ends_with(&format!("content-length: {}\r\n{lines}", big.len())),
            "{text}"
        );
        assert!(matches!(rest, crate::encode::Rest::Large(b) if b[..] == big[..]));
        // A body that failed halfway leaves the buffer with its lines
        // alone: answered again, it is a whole response.
        const JSON: StaticHeader = StaticHeader::new("content-type", "application/json");
        let mut buf = crate::ResponseBuf::new();
        buf.append_prefixed_u64(LinePrefix::from_static(b"x-rate: ").unwrap(), 1);
        let failed = buf.respond(200, Some(&JSON), |mut out| {
            out.extend_from_slice(b"{\"partial");
            Err(())
        });
        assert!(failed.is_err());
        assert_eq!(buf.lines(), b"x-rate: 1\r\n");
        let mut res = buf
            .respond(500, Some(&JSON), |mut out| {
                out.extend_from_slice(b"{}");
                Ok::<_, ()>(())
            })
            .unwrap();
        let (text, _) = head_of(&mut res, false);
        assert!(
            text.ends_with("content-length: 2\r\nx-rate: 1\r\ncontent-type: application/json\r\n\r\n{}"),
            "{text}"
        );
    }

    #[test]
    fn a_static_line_after_64_kib_of_lines_goes_in_order() {
        // Past 64 KiB of lines the static slot's offset no longer fits:
        // the static header is a line in order, never inside a value.
        const JSON: StaticHeader = StaticHeader::new("content-type", "application/json");
        let mut res = Response::new(200);
        let value = format!("{}set-cookie: session=attacker", "a".repeat(65_528));
        res.append_header("x-big", &value);
        res.append_static(&JSON);
        res.append_header("x-after", "v");
        assert!(res.lines.len() > u16::MAX as usize);
        assert!(!res.is_invalid());
        let names: Vec<String> = lines(&res).into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["x-big", "content-type", "x-after"]);
        assert_eq!(res.header("x-big"), Some(value.as_bytes()));
        let mut out = Vec::new();
        assert!(crate::encode_response(&mut res, false, &mut out).is_none());
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.matches("content-type").count(), 1);
        assert!(text.contains("\r\ncontent-type: application/json\r\nx-after: v\r\n"));
        assert!(!text.contains("\r\nset-cookie"));
    }

    #[test]
    fn prefixed_numbers_at_their_extremes_inline_and_spilled() {
        let short = LinePrefix::from_static(b"x-n: ").unwrap();
        let long =
            LinePrefix::from_static(b"x-a-header-name-long-enough-to-spill-a-twenty-digit-value: ").unwrap();
        for prefix in [short, long] {
            let (mut fast, mut slow) = (Response::new(200), Response::new(200));
            let name = &prefix.as_bytes()[..prefix.as_bytes().len() - 2];
            for n in [0, 9, 10, 99, 100, 9_999, 10_000, u64::MAX] {
                fast.append_prefixed_u64(prefix, n);
                slow.append_header(name, n.to_string());
            }
            for n in [0, -1, -10, -10_000, i64::MIN, i64::MAX] {
                fast.append_prefixed_i64(prefix, n);
                slow.append_header(name, n.to_string());
            }
            assert_eq!(fast.head_bytes_for_tests(), slow.head_bytes_for_tests());
            assert!(fast.head_bytes_for_tests().len() > HEAD_INLINE);
        }
        // The longest values (20 bytes) right at the inline limit, and one
        // line past it.
        const NAME: &str = "x-a-forty-one-byte-long-name-for-it-all";
        let prefix = LinePrefix::from_static(b"x-a-forty-one-byte-long-name-for-it-all: ").unwrap();
        assert_eq!(prefix.as_bytes().len() + 20 + 2, HEAD_INLINE);
        for (value, len) in [
            (i64::MIN.to_string(), 63),
            (u64::MAX.to_string(), 63),
            (i64::MAX.to_string(), 62),
        ] {
            let mut res = Response::new(200);
            match value.parse::<i64>() {
                Ok(n) => res.append_prefixed_i64(prefix, n),
                Err(_) => res.append_prefixed_u64(prefix, u64::MAX),
            }
            assert_eq!(res.head_bytes_for_tests().len(), len);
            assert!(!res.lines.spilled());
            assert_eq!(res.header(NAME), Some(value.as_bytes()));
        }
        let mut res = Response::new(200).with_header("x", "1");
        res.append_prefixed_i64(prefix, i64::MIN);
        assert!(res.lines.spilled());
        assert_eq!(res.header(NAME), Some(i64::MIN.to_string().as_bytes()));
    }

    #[test]
    fn prefixed_lines_refuse_bad_values_and_notice_forgotten_lines() {
        let rate = LinePrefix::from_static(b"x-rate: ").unwrap();
        let mut res = Response::new(200);
        res.append_prefixed(rate, b"1\r\nx-injected: 1");
        assert!(res.is_invalid());
        assert_eq!(res.headers().count(), 0);

        let mut res = Response::new(200);
        let mut line = res.header_line(b"x-a");
        line.push(b"evil\r\n");
        std::mem::forget(line);
        res.append_prefixed_u64(rate, 1);
        assert!(res.is_invalid(), "a forgotten line before a prefixed one");

        for bad in [
            &b"x-rate"[..],
            b": ",
            b"x rate: ",
            b"Date: ",
            b"transfer-encoding: ",
        ] {
            let leaked: &'static [u8] = Vec::leak(bad.to_vec());
            assert!(LinePrefix::from_static(leaked).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn unfinished_and_refused_lines_leave_no_trace() {
        let mut res = Response::new(200).with_header("x-first", "1");
        {
            let mut line = res.header_line(b"x-abandoned");
            line.push(b"partial");
            assert_eq!(line.value(), b"partial");
        }
        let mut line = res.header_line(b"x-bad");
        line.push(b"a\nb");
        line.finish();
        assert_eq!(lines(&res), [("x-first".to_owned(), "1".to_owned())]);
        assert!(res.is_invalid());
    }

    #[test]
    fn forgotten_lines_never_reach_the_wire() {
        let mut res = Response::new(200);
        let mut line = res.header_line(b"x-a");
        line.push(b"evil\r\ninjected: 1");
        std::mem::forget(line);
        assert!(res.is_invalid());
        // A static header right after does not clear it (and stays out of
        // the static slot, behind the unchecked bytes); nor does a later line.
        res.append_static(&TEXT);
        assert!(res.is_invalid());
        assert!(res.fixed.is_none());
        res.append_header("x-b", "fine");
        assert!(res.is_invalid());
        let (status, headers, _) = res.into_parts();
        assert_eq!((status, headers.len()), (500, 0));
    }

    #[test]
    fn bad_names_are_refused_only_when_finished() {
        let mut res = Response::new(200);
        drop(res.header_line(b"bad name"));
        assert!(!res.is_invalid(), "an abandoned line changes nothing");
        let mut line = res.header_line(b"bad name");
        line.push(b"v");
        line.finish();
        assert!(res.is_invalid());
    }

    #[test]
    fn named_lines_and_numbers() {
        let name = HeaderName::new(b"x-count").unwrap();
        let mut res = Response::new(200);
        let mut line = res.header_line_named(&name);
        line.push_i64(-42);
        line.finish();
        let mut line = res.header_line(b"x-max");
        line.push_u64(u64::MAX);
        line.finish();
        assert_eq!(res.header("x-count"), Some(&b"-42"[..]));
        assert_eq!(res.header("x-max"), Some(u64::MAX.to_string().as_bytes()));
        assert!(HeaderName::new(b"connection").is_none());
        assert!(HeaderName::new(b"").is_none());
    }

    #[test]
    fn owned_bodies() {
        let res = Response::new(200).with_body(String::from("hi"));
        assert!(matches!(res.body(), Body::Owned(b) if b == b"hi"));
        assert_eq!(res.body().bytes(), Some(&b"hi"[..]));
        assert!(format!("{res:?}").contains("Body::Owned(2)"));
    }

    const TEXT: StaticHeader = StaticHeader::new("content-type", "text/plain");
    const JSON: StaticHeader = StaticHeader::new("Content-Type", "application/json");

    #[test]
    fn responses_stay_within_128_bytes() {
        // Checked at compile time too; this names the number in a failure.
        assert!(
            std::mem::size_of::<Response>() <= 128,
            "{}",
            std::mem::size_of::<Response>()
        );
    }

    #[test]
    fn static_headers_go_out_where_they_were_added() {
        // First, between, last, after a spill: the wire order is the order
        // of adding, whether the line sits in the static slot or not.
        for before in [0, 1, 2, 40] {
            for after in [0, 1, 40] {
                let mut res = Response::new(200);
                let mut expected = Vec::new();
                for i in 0..before {
                    res.append_header(format!("x-b{i}"), "v");
                    expected.push((format!("x-b{i}"), "v".to_owned()));
                }
                res.append_static(&TEXT);
                expected.push(("content-type".to_owned(), "text/plain".to_owned()));
                for i in 0..after {
                    res.append_header(format!("x-a{i}"), "w");
                    expected.push((format!("x-a{i}"), "w".to_owned()));
                }
                res.append_static(&JSON);
                expected.push(("Content-Type".to_owned(), "application/json".to_owned()));
                assert_eq!(lines(&res), expected, "{before} before, {after} after");
                let wire: String = expected.iter().map(|(n, v)| format!("{n}: {v}\r\n")).collect();
                assert_eq!(res.head_bytes_for_tests(), wire.as_bytes());
                assert_eq!(res.header("content-type"), Some(&b"text/plain"[..]));
            }
        }
    }

    #[test]
    fn removing_headers_around_the_static_slot_keeps_the_order() {
        let build = || {
            Response::new(200)
                .with_header("x-a", "1")
                .with_static(&TEXT)
                .with_header("x-b", "2")
                .with_header("x-a", "3")
        };
        let mut res = build();
        res.remove_header("X-A");
        assert_eq!(
            res.head_bytes_for_tests(),
            b"content-type: text/plain\r\nx-b: 2\r\n"
        );
        res.append_header("x-c", "4");
        assert_eq!(
            res.head_bytes_for_tests(),
            b"content-type: text/plain\r\nx-b: 2\r\nx-c: 4\r\n"
        );
        let mut res = build();
        res.remove_header("content-type");
        assert_eq!(res.head_bytes_for_tests(), b"x-a: 1\r\nx-b: 2\r\nx-a: 3\r\n");
        // The slot is free again: the next static header takes it, last.
        res.append_static(&JSON);
        assert_eq!(
            res.head_bytes_for_tests(),
            b"x-a: 1\r\nx-b: 2\r\nx-a: 3\r\nContent-Type: application/json\r\n"
        );
        let mut res = build();
        res.remove_header("x-b");
        assert_eq!(
            res.head_bytes_for_tests(),
            b"x-a: 1\r\ncontent-type: text/plain\r\nx-a: 3\r\n"
        );
    }

    #[test]
    fn static_lines_are_built_at_compile_time() {
        assert_eq!(TEXT.line(), b"content-type: text/plain\r\n");
        const LONG: StaticHeader = StaticHeader::new(
            "x-long",
            "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789\
             0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789\
             012345678901234567890123456789012345678901234",
        );
        assert_eq!(LONG.line().len(), 255);
        assert!(format!("{LONG:?}").contains("x-long"));
    }

    #[test]
    fn static_lines_of_every_length_around_the_block_go_out_whole() {
        // 60 to 68 bytes: either side of the 64-byte block copy, first,
        // last and between other lines, inline and spilled.
        static LINES: [StaticHeader; 9] = {
            const V: &str = "0123456789012345678901234567890123456789012345678901234567890123456789";
            let mut out = [TEXT; 9];
            let mut i = 0;
            while i < 9 {
                // `x-s: ` + value + CRLF = 7 + value length.
                let (v, _) = V.as_bytes().split_at(53 + i);
                out[i] = StaticHeader::new(
                    "x-s",
                    match std::str::from_utf8(v) {
                        Ok(v) => v,
                        Err(_) => panic!(),
                    },
                );
                i += 1;
            }
            out
        };
        for (i, h) in LINES.iter().enumerate() {
            assert_eq!(h.line().len(), 60 + i);
            let wire = |before: usize, after: usize| {
                let mut w = String::new();
                for k in 0..before {
                    w.push_str(&format!("x-b: {k}\r\n"));
                }
                w.push_str(std::str::from_utf8(h.line()).unwrap());
                for k in 0..after {
                    w.push_str(&format!("x-a: {k}\r\n"));
                }
                w
            };
            for (before, after) in [(0, 0), (0, 2), (2, 0), (1, 1), (0, 20), (20, 0), (20, 20)] {
                let mut res = Response::new(200);
                for k in 0..before {
                    res.append_header("x-b", k.to_string());
                }
                res.append_static(&LINES[i]);
                for k in 0..after {
                    res.append_header("x-a", k.to_string());
                }
                assert_eq!(
                    String::from_utf8(res.head_bytes_for_tests()).unwrap(),
                    wire(before, after),
                    "line of {} bytes, {before} before, {after} after",
                    60 + i
                );
            }
        }
    }

    #[test]
    fn prefixed_lines_match_checked_lines_at_every_name_and_value_length() {
        // The short copies cover names and values up to 32 bytes in two
        // overlapping moves; every length on either side of each step.
        for name_len in 1..=40 {
            let name: String = (0..name_len).map(|i| (b'a' + (i % 26) as u8) as char).collect();
            let prefix: &'static [u8] = Box::leak(format!("{name}: ").into_bytes().into_boxed_slice());
            let prefix = LinePrefix::from_static(prefix).unwrap();
            for value_len in [0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 40] {
                let value: Vec<u8> = (0..value_len).map(|i| b'A' + (i % 26) as u8).collect();
                let (mut fast, mut slow) = (Response::new(200), Response::new(200));
                fast.append_prefixed(prefix, &value);
                slow.append_header(&name, &value);
                assert_eq!(
                    fast.head_bytes_for_tests(),
                    slow.head_bytes_for_tests(),
                    "name {name_len}, value {value_len}"
                );
            }
        }
    }

    #[test]
    fn lines_rolled_back_right_after_the_static_slot_leave_it_in_place() {
        let mut res = Response::new(200).with_header("x-a", "1").with_static(&TEXT);
        // Dropped unfinished, then a framing header (kept out of the lines,
        // but remembered): both end exactly where the slot sits.
        let mut line = res.header_line(b"x-dropped");
        line.push(b"v");
        drop(line);
        res.append_header("Connection", "close");
        res.append_header("x-b", "2");
        assert!(res.wants_close());
        assert_eq!(
            res.head_bytes_for_tests(),
            b"x-a: 1\r\ncontent-type: text/plain\r\nx-b: 2\r\n"
        );
    }

    #[test]
    fn removing_spilled_lines_before_the_static_slot_moves_it_back() {
        let mut res = Response::new(200);
        for i in 0..40 {
            res.append_header("x-before", i.to_string());
        }
        res.append_static(&TEXT);
        res.append_header("x-after", "z");
        assert!(res.lines.spilled());
        res.remove_header("x-before");
        assert_eq!(
            res.head_bytes_for_tests(),
            b"content-type: text/plain\r\nx-after: z\r\n"
        );
        assert_eq!(
            lines(&res),
            [("content-type", "text/plain"), ("x-after", "z")].map(|(n, v)| (n.to_owned(), v.to_owned()))
        );
    }
}
