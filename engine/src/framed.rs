//! A response's header lines and body built in one buffer.

use crate::header::LinePrefix;
use crate::response::{append_last_line, append_line, Line, StaticHeader, HEAD_INLINE, STATIC_BLOCK};
use crate::Response;

/// How much a [`ResponseBuf`] holds before it grows: the usual small JSON
/// response, with its header lines, in one allocation.
const START_CAPACITY: usize = 256;

/// A response built front to back in one buffer: its header lines, then
/// its body, which the engine sends with a single copy after its own
/// framing headers (`date`, `connection`, `content-length`).
///
/// The framework writes JSON responses this way (a contract returned
/// as is, and the JSON wrappers whose typed headers are all scalars):
/// typed header lines go straight into the buffer, then the content type
/// and the blank line, then the serializer appends the body. Nothing is copied on the way to
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
///     .respond(200, Some(&JSON), |mut body| {
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
                if !self.append_line(Line::Words(prefix, value.len(), *first, *last)) {
                    self.put_long(prefix, value);
                }
                return true;
            }
        }
        if !crate::encode::value_ok(value) {
            return false;
        }
        if !self.append_line(Line::Text(prefix, value)) {
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
        if !self.append_line(Line::Decimal(prefix, negative, n)) {
            let mut digits = itoa::Buffer::new();
            self.put_long(prefix, crate::response::decimal_text(&mut digits, negative, n));
        }
    }

    /// Appends `line` when it fits a block (`false` when it does not),
    /// written at constant offsets after one capacity check.
    #[inline(always)]
    fn append_line(&mut self, line: Line<'_>) -> bool {
        self.reserve(HEAD_INLINE);
        append_line(&mut self.buf, line)
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

    #[cold]
    #[inline(never)]
    fn put_long(&mut self, prefix: &[u8], value: &[u8]) {
        self.buf = with_line(std::mem::take(&mut self.buf), prefix, value);
    }

    /// Ends the header lines with `content_type`'s line (when there is
    /// one) and the blank line, lets `body` append the body, and makes the
    /// response from the buffer, which is left empty (it is taken by
    /// reference so that it is not moved on its way to the serializer).
    ///
    /// `body` writes through a [`BodyWriter`], which only appends: the
    /// lines before the body are out of its reach. An error from `body` is
    /// handed back, and the buffer holds its lines again, as before the
    /// call (what `body` wrote, and the content type, are cut off).
    ///
    /// ```
    /// use jero_engine::{LinePrefix, ResponseBuf};
    /// const ID: Option<LinePrefix> = LinePrefix::from_static(b"x-id: ");
    /// let res = ResponseBuf::new().respond(201, None, |_| Ok::<_, ()>(())).unwrap();
    /// assert_eq!((res.status(), res.headers().count()), (201, 0));
    /// assert_eq!(res.body().bytes(), Some(&b""[..]));
    ///
    /// let mut buf = ResponseBuf::new();
    /// assert!(buf.append_prefixed(ID.unwrap(), b"7"));
    /// let failed = buf.respond(200, None, |mut out| {
    ///     out.extend_from_slice(b"{\"partial");
    ///     Err("the serializer failed")
    /// });
    /// assert!(failed.is_err());
    /// assert_eq!(buf.lines(), b"x-id: 7\r\n");
    /// ```
    #[inline(always)]
    pub fn respond<E>(
        &mut self,
        status: u16,
        content_type: Option<&'static StaticHeader>,
        body: impl FnOnce(BodyWriter<'_>) -> Result<(), E>,
    ) -> Result<Response, E> {
        let lines_len = self.buf.len();
        // The content type's line and the blank line: one block copied
        // from the constant, the blank line stored after the line in it.
        self.reserve(STATIC_BLOCK);
        match content_type {
            Some(h) => append_last_line(&mut self.buf, h),
            None => self.buf.extend_from_slice(b"\r\n"),
        }
        let body_at = self.buf.len();
        if let Err(e) = body(BodyWriter { buf: &mut self.buf }) {
            self.buf.truncate(lines_len);
            return Err(e);
        }
        let buf = std::mem::take(&mut self.buf);
        Ok(Response::from_framed(status, Framed { buf, body_at }))
    }
}

/// Where [`ResponseBuf::respond`]'s body is written: the end of the
/// buffer, after the head, which it cannot reach (it only appends).
///
/// A serializer writes through [`std::io::Write`], or into the spare
/// capacity ([`BodyWriter::spare`]) and then marks what it wrote
/// ([`BodyWriter::advance`]), which is how sonic-rs writes without a
/// bounds check per byte.
///
/// ```
/// use std::io::Write;
/// let res = jero_engine::ResponseBuf::new()
///     .respond(200, None, |mut out| {
///         out.extend_from_slice(b"[1,");
///         write!(out, "{}", 2)?;
///         let spare = out.spare(1);
///         spare[0].write(b']');
///         // SAFETY: the first byte of the spare capacity was just written.
///         unsafe { out.advance(1) };
///         Ok::<_, std::io::Error>(())
///     })
///     .unwrap();
/// assert_eq!(res.body().bytes(), Some(&b"[1,2]"[..]));
/// ```
pub struct BodyWriter<'a> {
    buf: &'a mut Vec<u8>,
}

impl std::fmt::Debug for BodyWriter<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BodyWriter").finish_non_exhaustive()
    }
}

impl BodyWriter<'_> {
    /// Appends `bytes`.
    #[inline(always)]
    pub fn extend_from_slice(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// Room for at least `additional` more bytes: the first `additional`
    /// bytes of the spare capacity, not yet part of the body (see
    /// [`BodyWriter::advance`]).
    #[inline(always)]
    pub fn spare(&mut self, additional: usize) -> &mut [std::mem::MaybeUninit<u8>] {
        self.buf.reserve(additional);
        &mut self.buf.spare_capacity_mut()[..additional]
    }

    /// Makes the next `n` bytes of the spare capacity part of the body.
    ///
    /// # Safety
    ///
    /// Those `n` bytes must have been written, through the slice
    /// [`BodyWriter::spare`] returned since the last change to the body
    /// (so they are within the spare capacity).
    #[inline(always)]
    pub unsafe fn advance(&mut self, n: usize) {
        let len = self.buf.len();
        // Checked in debug builds only: sonic-rs calls this after every
        // piece it writes, and a check here cost it 34 instructions per
        // response (`perf/encode-instructions.sh`).
        debug_assert!(n <= self.buf.capacity() - len, "advance past the spare capacity");
        // SAFETY: the caller guarantees that the `n` bytes after `len`
        // were written through `spare`'s slice, so they are within the
        // capacity and initialized.
        unsafe { self.buf.set_len(len + n) };
    }
}

impl std::io::Write for BodyWriter<'_> {
    #[inline(always)]
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    #[inline(always)]
    fn write_all(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.buf.extend_from_slice(bytes);
        Ok(())
    }

    #[inline(always)]
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// `buf` with room for `n` more bytes (`reserve` at least doubles it).
#[cold]
#[inline(never)]
fn grown(mut buf: Vec<u8>, n: usize) -> Vec<u8> {
    buf.reserve(n);
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
///     .respond(200, None, |mut out| {
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
    /// Where the body starts, after the blank line (so at least 2, and at
    /// most `buf`'s length: `ResponseBuf::respond`, the one maker, sees to
    /// both).
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
        &self.buf[self.body_at..]
    }

    /// The header lines, `name: value\r\n` each.
    #[inline]
    pub fn lines(&self) -> &[u8] {
        &self.buf[..self.body_at - 2]
    }

    /// The header lines and the blank line after them, then the body.
    #[inline(always)]
    pub(crate) fn parts(&self) -> (&[u8], &[u8]) {
        // `min` is what the compiler cannot see (`body_at` <= the length):
        // no panic branch on the encoder's path.
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
        buf.drain(..self.body_at);
        buf
    }

    /// The body alone as `Bytes`, without moving it (the lines before it
    /// stay in the allocation).
    pub fn into_bytes(self) -> bytes::Bytes {
        bytes::Bytes::from(self.buf).slice(self.body_at..)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Exercises `BodyWriter::advance`'s `unsafe` block (also under Miri:
    /// `bash scripts/miri.sh`): bytes written into the spare capacity and
    /// then advanced over are the body, after lines and appends, across
    /// the buffer's growth.
    #[test]
    fn body_writer_spare_capacity_becomes_the_body() {
        let prefix = LinePrefix::from_static(b"x-a: ").unwrap();
        for len in [0, 1, 200, 1000] {
            let mut buf = ResponseBuf::new();
            buf.append_prefixed_u64(prefix, 7);
            let res = buf
                .respond(200, None, |mut out| {
                    out.extend_from_slice(b"<");
                    let spare = out.spare(len);
                    assert_eq!(spare.len(), len);
                    for (i, b) in spare.iter_mut().enumerate() {
                        b.write(b'a' + (i % 26) as u8);
                    }
                    // SAFETY: all `len` bytes were written just above.
                    unsafe { out.advance(len) };
                    out.extend_from_slice(b">");
                    Ok::<_, ()>(())
                })
                .unwrap();
            let want: Vec<u8> = std::iter::once(b'<')
                .chain((0..len).map(|i| b'a' + (i % 26) as u8))
                .chain(std::iter::once(b'>'))
                .collect();
            assert_eq!(res.body().bytes(), Some(&want[..]), "{len}");
            assert_eq!(res.header("x-a"), Some(&b"7"[..]));
        }
    }

    /// `len` letters, `A` to `Z` over and over.
    fn distinct(len: usize) -> String {
        (0..len).map(|i| char::from(b'A' + (i % 26) as u8)).collect()
    }

    /// Exercises `append_line`'s `unsafe` block (also under Miri: `bash
    /// scripts/miri.sh`): lines written into spare capacity that was
    /// never zeroed, then made part of the buffer. Every kind of line
    /// (numbers of every length, signed and not; values short, of two
    /// words, long), on both sides of a block's end and across the
    /// buffer's growth, read back whole. (The engine's `content-length`
    /// line: `encode::tests::length_line_written_into_unzeroed_spare_capacity`.)
    #[test]
    fn lines_written_into_unzeroed_spare_capacity() {
        let prefixes = [
            LinePrefix::from_static(b"x-n: ").unwrap(),
            LinePrefix::from_static(b"x-a-forty-one-byte-long-name-for-it-all: ").unwrap(),
        ];
        let numbers = [0, 9, 10, 99, 100, 12_345, u64::from(u32::MAX), u64::MAX];
        let mut buf = ResponseBuf::new();
        let mut want = Vec::new();
        for prefix in prefixes {
            let mut line = |value: &dyn std::fmt::Display| {
                want.extend_from_slice(
                    format!("{}{value}\r\n", String::from_utf8_lossy(prefix.as_bytes())).as_bytes(),
                )
            };
            for n in numbers {
                buf.append_prefixed_u64(prefix, n);
                line(&n);
                let signed = -((n / 2) as i64) - 1;
                buf.append_prefixed_i64(prefix, signed);
                line(&signed);
            }
            // Every length a block can hold and more, each byte distinct
            // from its neighbours (a byte left out, or copied to the
            // wrong place, shows).
            for len in 0..=64 {
                let value = distinct(len);
                assert!(buf.append_prefixed(prefix, value.as_bytes()));
                line(&value);
            }
        }
        assert!(want.len() > START_CAPACITY, "the buffer grew");
        assert_eq!(
            String::from_utf8_lossy(buf.lines()),
            String::from_utf8_lossy(&want)
        );
    }

    /// Exercises `response::append_last_line`'s `unsafe` block (also under
    /// Miri: `bash scripts/miri.sh`): the content type's line copied as a
    /// whole block into spare capacity that was never zeroed, the blank
    /// line stored within it, after lines of every length up to a block
    /// and more, for a line that fills the block to its last byte and one
    /// a byte too long for it (appended piece by piece).
    #[test]
    fn content_type_and_blank_line_written_into_unzeroed_spare_capacity() {
        const SHORT: StaticHeader = StaticHeader::new("content-type", "application/json");
        // "content-type: " (14) + 46 + CRLF: 62 bytes, and the blank line
        // ends at the block's last byte.
        const FULL: StaticHeader =
            StaticHeader::new("content-type", "application/vnd.forty-six-bytes-long-type+json");
        const LONG: StaticHeader =
            StaticHeader::new("content-type", "application/vnd.forty-seven-byte-long-type+json");
        assert_eq!(FULL.line().len(), STATIC_BLOCK - 2);
        assert_eq!(LONG.line().len(), STATIC_BLOCK - 1);
        let prefix = LinePrefix::from_static(b"x-a: ").unwrap();
        for h in [&SHORT, &FULL, &LONG] {
            for len in [0, 1, 7, 40, 57, 200] {
                let mut buf = ResponseBuf::new();
                let value = distinct(len);
                assert!(buf.append_prefixed(prefix, value.as_bytes()));
                let res = buf
                    .respond(200, Some(h), |mut out| {
                        out.extend_from_slice(b"{}");
                        Ok::<_, ()>(())
                    })
                    .unwrap();
                let crate::Body::Framed(framed) = res.body() else {
                    panic!("a framed body")
                };
                let want = format!("x-a: {value}\r\n{}\r\n{{}}", String::from_utf8_lossy(h.line()));
                assert_eq!(String::from_utf8_lossy(framed.as_bytes()), want);
            }
        }
    }

    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "advance past the spare capacity")]
    fn body_writer_does_not_advance_past_its_capacity() {
        let _ = ResponseBuf::new().respond(200, None, |mut out| {
            let room = out.spare(0).len() + 1_000_000;
            // SAFETY: not upheld on purpose; `advance`'s debug check
            // refuses before anything is read.
            unsafe { out.advance(room) };
            Ok::<_, ()>(())
        });
    }
}
