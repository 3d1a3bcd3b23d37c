//! A response's header lines and body built in one buffer.

use crate::header::LinePrefix;
use crate::response::{
    block_at, close_block, open_block, put_prefixed, put_prefixed_decimal, put_words, StaticHeader,
    HEAD_INLINE, STATIC_BLOCK,
};
use crate::Response;

/// How much a [`ResponseBuf`] holds before it grows: the usual small JSON
/// response, with its header lines, in one allocation.
const START_CAPACITY: usize = 256;

/// A response built front to back in one buffer: its header lines, then
/// its body, which the engine sends with a single copy after its own
/// framing headers (`date`, `connection`, `content-length`).
///
/// A handler's JSON response is written this way: typed header lines go
/// straight into the buffer, then the content type and the blank line,
/// then the serializer appends the body. Nothing is copied on the way to
/// the connection's output but that one block, where a [`Response`] built
/// header by header has its lines copied into it and then out of it, and
/// its body copied on its own.
///
/// Each line is checked as it is added, as [`Response::append_prefixed`]
/// checks it; a value with control bytes is refused (`false`, nothing
/// added), and the caller decides what to answer.
///
/// ```
/// use jero_engine::{encode_response, LinePrefix, ResponseBuf, StaticHeader};
/// const RATE: Option<LinePrefix> = LinePrefix::from_static(b"x-rate-limit: ");
/// const ID: Option<LinePrefix> = LinePrefix::from_static(b"x-request-id: ");
/// const JSON: StaticHeader = StaticHeader::new("content-type", "application/json");
///
/// let mut buf = ResponseBuf::new();
/// buf.append_prefixed_u64(RATE.unwrap(), 100);
/// assert!(buf.append_prefixed(ID.unwrap(), b"req-7f3a"));
/// assert!(!buf.append_prefixed(ID.unwrap(), b"split\r\nx-injected: 1"));
/// assert_eq!(buf.lines(), b"x-rate-limit: 100\r\nx-request-id: req-7f3a\r\n");
///
/// let mut res = buf
///     .respond(200, Some(&JSON), |body| {
///         body.extend_from_slice(br#"{"ok":true}"#);
///         Ok::<_, std::convert::Infallible>(())
///     })
///     .unwrap();
/// let names: Vec<_> = res.headers().map(|(n, _)| n).collect();
/// assert_eq!(names, [&b"x-rate-limit"[..], b"x-request-id", b"content-type"]);
/// assert_eq!(res.body().bytes(), Some(&br#"{"ok":true}"#[..]));
///
/// let mut out = Vec::new();
/// encode_response(&mut res, false, &mut out);
/// let text = String::from_utf8(out).unwrap();
/// assert!(text.starts_with("HTTP/1.1 200 OK\r\ndate: "));
/// assert!(text.ends_with(
///     "content-length: 11\r\nx-rate-limit: 100\r\nx-request-id: req-7f3a\r\n\
///      content-type: application/json\r\n\r\n{\"ok\":true}"
/// ));
/// ```
#[derive(Debug)]
pub struct ResponseBuf {
    buf: Vec<u8>,
}

impl Default for ResponseBuf {
    fn default() -> ResponseBuf {
        ResponseBuf::new()
    }
}

impl ResponseBuf {
    /// An empty buffer, with room for a small response.
    #[inline(always)]
    pub fn new() -> ResponseBuf {
        ResponseBuf {
            buf: Vec::with_capacity(START_CAPACITY),
        }
    }

    /// The header lines written so far, `name: value\r\n` each.
    #[inline]
    pub fn lines(&self) -> &[u8] {
        &self.buf
    }

    /// Appends `prefix`, `value` and CRLF; `false` (nothing appended) when
    /// the value has control bytes.
    #[inline(always)]
    pub fn append_prefixed(&mut self, prefix: LinePrefix, value: &[u8]) -> bool {
        let prefix = prefix.as_bytes();
        // 8 to 16 bytes, in one compare: checked and stored as the two
        // words they are loaded as.
        if value.len().wrapping_sub(8) <= 8 {
            if let (Some(first), Some(last)) = (value.first_chunk(), value.last_chunk()) {
                if !crate::encode::words_valid([u64::from_le_bytes(*first), u64::from_le_bytes(*last)]) {
                    return false;
                }
                let at = self.open_block();
                let end = put_words(self.block(at), 0, prefix, value.len(), *first, *last);
                if !self.close_block(at, end) {
                    self.put_long(prefix, value);
                }
                return true;
            }
        }
        if !crate::encode::value_ok(value) {
            return false;
        }
        let at = self.open_block();
        let end = put_prefixed(self.block(at), 0, prefix, value);
        if !self.close_block(at, end) {
            self.put_long(prefix, value);
        }
        true
    }

    /// [`ResponseBuf::append_prefixed`] for an unsigned number, in decimal.
    #[inline(always)]
    pub fn append_prefixed_u64(&mut self, prefix: LinePrefix, n: u64) {
        self.append_decimal(prefix, false, n);
    }

    /// [`ResponseBuf::append_prefixed`] for a signed number, in decimal.
    #[inline(always)]
    pub fn append_prefixed_i64(&mut self, prefix: LinePrefix, n: i64) {
        self.append_decimal(prefix, n < 0, n.unsigned_abs());
    }

    #[inline(always)]
    fn append_decimal(&mut self, prefix: LinePrefix, negative: bool, n: u64) {
        let prefix = prefix.as_bytes();
        let at = self.open_block();
        let end = put_prefixed_decimal(self.block(at), 0, prefix, negative, n);
        if !self.close_block(at, end) {
            let mut digits = itoa::Buffer::new();
            let value = match negative {
                true => digits.format(-i128::from(n)),
                false => digits.format(n),
            };
            self.put_long(prefix, value.as_bytes());
        }
    }

    /// Appends a zeroed block for a line to be written at constant offsets
    /// (one capacity check); returns where it starts.
    #[inline(always)]
    fn open_block(&mut self) -> usize {
        self.reserve(HEAD_INLINE);
        open_block(&mut self.buf)
    }

    /// Makes room for `n` more bytes. The buffer is handed to the cold
    /// path by value, never by reference: a buffer whose address no call
    /// keeps can live in registers until the body's serializer needs it,
    /// and is not copied in memory on its way there (each `extend` that
    /// may grow the buffer passes its address to the growing code).
    #[inline(always)]
    fn reserve(&mut self, n: usize) {
        if self.buf.capacity() - self.buf.len() < n {
            self.buf = grown(std::mem::take(&mut self.buf), n);
        }
    }

    #[inline(always)]
    fn block(&mut self, at: usize) -> &mut [u8; HEAD_INLINE] {
        block_at(&mut self.buf, at)
    }

    #[inline(always)]
    fn close_block(&mut self, at: usize, end: Option<usize>) -> bool {
        close_block(&mut self.buf, at, end)
    }

    #[cold]
    #[inline(never)]
    fn put_long(&mut self, prefix: &[u8], value: &[u8]) {
        self.buf = with_line(std::mem::take(&mut self.buf), prefix, value);
    }

    /// Ends the header lines with `content_type`'s line (when there is
    /// one) and the blank line, lets `body` append the body, and makes the
    /// response from the buffer, which is left empty (it is taken by
    /// reference so that it is not moved on its way to the serializer). An
    /// error from `body` is handed back.
    ///
    /// `body` is given the buffer to append to. It must leave the bytes
    /// before the body as they are: a buffer it cuts shorter than where
    /// the body starts makes the response invalid (the engine answers a
    /// bare 500, see [`Response::is_invalid`]).
    ///
    /// ```
    /// let res = jero_engine::ResponseBuf::new()
    ///     .respond(201, None, |_| Ok::<_, ()>(()))
    ///     .unwrap();
    /// assert_eq!((res.status(), res.headers().count()), (201, 0));
    /// assert_eq!(res.body().bytes(), Some(&b""[..]));
    ///
    /// let res = jero_engine::ResponseBuf::new().respond(200, None, |buf| {
    ///     buf.clear();
    ///     Ok::<_, ()>(())
    /// });
    /// assert!(res.unwrap().is_invalid());
    /// ```
    #[inline(always)]
    pub fn respond<E>(
        &mut self,
        status: u16,
        content_type: Option<&'static StaticHeader>,
        body: impl FnOnce(&mut Vec<u8>) -> Result<(), E>,
    ) -> Result<Response, E> {
        // The content type's line and the blank line: one block copied
        // from the constant, the blank line stored after the line in it.
        self.reserve(STATIC_BLOCK);
        let at = self.buf.len();
        match content_type.map(|h| (h, h.line_block())) {
            Some((h, Some(block))) => {
                let end = at + h.line().len();
                self.buf.extend_from_slice(block);
                self.buf[end..end + 2].copy_from_slice(b"\r\n");
                self.buf.truncate(end + 2);
            }
            Some((h, None)) => {
                self.buf.extend_from_slice(h.line());
                self.buf.extend_from_slice(b"\r\n");
            }
            None => self.buf.extend_from_slice(b"\r\n"),
        }
        let body_at = self.buf.len();
        body(&mut self.buf)?;
        let cut = self.buf.len() < body_at;
        let buf = std::mem::take(&mut self.buf);
        let mut res = Response::from_framed(status, Framed { buf, body_at });
        if cut {
            res.set_invalid();
        }
        Ok(res)
    }

    /// The buffer, emptied, for a body written another way (its capacity
    /// is kept).
    #[inline]
    pub fn into_vec(mut self) -> Vec<u8> {
        self.buf.clear();
        self.buf
    }
}

/// `buf` with room for `n` more bytes (at least twice its capacity).
#[cold]
#[inline(never)]
fn grown(mut buf: Vec<u8>, n: usize) -> Vec<u8> {
    buf.reserve(n.max(buf.capacity()));
    buf
}

/// `buf` with the line `prefix`, `value`, CRLF appended.
#[cold]
#[inline(never)]
fn with_line(mut buf: Vec<u8>, prefix: &[u8], value: &[u8]) -> Vec<u8> {
    buf.extend_from_slice(prefix);
    buf.extend_from_slice(value);
    buf.extend_from_slice(b"\r\n");
    buf
}

/// A [`ResponseBuf`]'s buffer in a response's [`Body::Framed`](crate::Body::Framed): the
/// response's header lines, a blank line, then the body.
///
/// ```
/// use jero_engine::{Body, LinePrefix, ResponseBuf};
/// const ID: Option<LinePrefix> = LinePrefix::from_static(b"x-id: ");
/// let mut buf = ResponseBuf::new();
/// assert!(buf.append_prefixed(ID.unwrap(), b"7"));
/// let res = buf
///     .respond(200, None, |out| {
///         out.extend_from_slice(b"seven");
///         Ok::<_, ()>(())
///     })
///     .unwrap();
/// let Body::Framed(framed) = res.body() else { unreachable!() };
/// assert_eq!(framed.lines(), b"x-id: 7\r\n");
/// assert_eq!(framed.body(), b"seven");
/// ```
pub struct Framed {
    buf: Vec<u8>,
    /// Where the body starts (after the blank line).
    body_at: usize,
}

impl std::fmt::Debug for Framed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Framed")
            .field("lines", &String::from_utf8_lossy(self.lines()))
            .field("body", &self.body().len())
            .finish()
    }
}

impl Framed {
    /// The body.
    #[inline]
    pub fn body(&self) -> &[u8] {
        self.buf.get(self.body_at..).unwrap_or_default()
    }

    /// The header lines, `name: value\r\n` each.
    #[inline]
    pub fn lines(&self) -> &[u8] {
        self.buf.get(..self.body_at - 2).unwrap_or_default()
    }

    /// The header lines and the blank line after them, then the body.
    #[inline(always)]
    pub(crate) fn parts(&self) -> (&[u8], &[u8]) {
        self.buf.split_at(self.body_at.min(self.buf.len()))
    }

    /// The whole buffer: header lines, blank line, body.
    #[inline(always)]
    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.buf
    }

    /// The body alone, its lines cut off (one move of the body's bytes).
    pub fn into_body(self) -> Vec<u8> {
        let mut buf = self.buf;
        buf.drain(..self.body_at.min(buf.len()));
        buf
    }

    /// The whole buffer and where the body starts in it.
    #[inline]
    pub(crate) fn into_parts(self) -> (Vec<u8>, usize) {
        (self.buf, self.body_at)
    }
}
