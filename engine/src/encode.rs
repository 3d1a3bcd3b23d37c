//! Response head encoding into the connection's write buffer.

use bytes::Bytes;

use crate::framed::Framed;
use crate::request::Version;
use crate::response::{reason_phrase, Body, BodyStream, Response};

/// Bodies at least this large are written straight from their own buffer
/// after the head instead of being copied into the write buffer.
pub(crate) const COPY_BODY_MAX: usize = 16 * 1024;

/// What the connection still has to do after the head is encoded.
pub(crate) enum Rest {
    /// Everything is in the write buffer.
    Done,
    /// Write this body after flushing the write buffer.
    Large(Bytes),
    /// Pump this stream; `chunked` says whether to frame the chunks.
    Stream { stream: BodyStream, chunked: bool },
}

/// Per-request facts that shape the response framing.
#[derive(Clone, Copy)]
pub(crate) struct Ctx {
    pub(crate) version: Version,
    pub(crate) is_head: bool,
    /// Whether the connection may stay open after this response.
    pub(crate) keep_alive: bool,
}

/// The statuses that never carry content (RFC 9110 6.4.1): 204, 304, and
/// 205 Reset Content (15.3.6), which says so with `content-length: 0`.
#[inline(always)]
pub(crate) fn without_content(status: u16) -> bool {
    status | 1 == 205 || status == 304
}

/// Replaces an invalid response (see [`Response::is_invalid`]) with a bare
/// 500; a status out of range is logged here (a refused header was logged
/// when it was refused).
#[cold]
#[inline(never)]
fn refuse(res: &mut Response) {
    if !crate::response::valid_status(res.status()) {
        tracing::error!(
            status = res.status(),
            "response status outside 200-599 refused; answering 500"
        );
    }
    std::mem::replace(res, Response::new(500)).take_body().discard();
}

/// RFC 9110 `tchar` (header name bytes) as a lookup table.
const TCHAR: [bool; 256] = alphanumeric_and(b"!#$%&'*+-.^_`|~");

/// A token byte (RFC 9110 `tchar`).
#[inline]
pub(crate) const fn is_tchar(b: u8) -> bool {
    TCHAR[b as usize]
}

/// A byte of a field value or a quoted string: visible, space, tab or
/// obs-text (RFC 9110 5.5), never CR, LF or another control.
#[inline]
pub(crate) const fn field_byte(b: u8) -> bool {
    matches!(b, b'\t' | b' '..=b'~' | 0x80..=0xff)
}

/// A byte table true for ASCII letters, digits and the bytes of `extra`.
pub(crate) const fn alphanumeric_and(extra: &[u8]) -> [bool; 256] {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = (b as u8).is_ascii_alphanumeric();
        b += 1;
    }
    let mut i = 0;
    while i < extra.len() {
        t[extra[i] as usize] = true;
        i += 1;
    }
    t
}

/// Whether `n` is an RFC 9110 token (a valid header field name, cookie
/// name or method).
///
/// ```
/// assert!(jero_engine::is_token(b"x-rate-limit"));
/// assert!(!jero_engine::is_token(b"bad name"));
/// assert!(!jero_engine::is_token(b""));
/// ```
#[inline]
pub const fn is_token(n: &[u8]) -> bool {
    if n.is_empty() {
        return false;
    }
    let mut i = 0;
    while i < n.len() {
        if !is_tchar(n[i]) {
            return false;
        }
        i += 1;
    }
    true
}

/// 0x01 in every byte of a word, for byte-at-a-time tests on eight bytes.
pub(crate) const LOW_BITS: u64 = 0x0101_0101_0101_0101;
/// 0x80 in every byte of a word.
pub(crate) const HIGH_BITS: u64 = 0x8080_8080_8080_8080;

/// The high bit of each byte of `w` that equals `b`: exact about whether
/// there is one, and about the lowest (a borrow only marks bytes above a
/// match).
#[inline(always)]
pub(crate) const fn byte_matches(w: u64, b: u8) -> u64 {
    let x = w ^ (LOW_BITS * b as u64);
    x.wrapping_sub(LOW_BITS) & !x & HIGH_BITS
}

/// Whether one of the eight bytes of `x` is below 0x20 or equal to 0x7f
/// (exact about whether there is one, not about which).
#[inline(always)]
const fn has_control(x: u64) -> bool {
    let below = x.wrapping_sub(LOW_BITS * 0x20) & !x & HIGH_BITS;
    below | byte_matches(x, 0x7f) != 0
}

/// A slice of 4 to 16 bytes as two little-endian words that hold all of its
/// bytes and no others (they overlap when it is shorter than 16): two loads
/// instead of a loop, for byte-class checks on short text. 4 to 7 bytes
/// come as one word, twice (two overlapping halves); other lengths, `None`.
#[inline(always)]
pub(crate) const fn short_words(b: &[u8]) -> Option<[u64; 2]> {
    if b.len() > 16 {
        return None;
    }
    if let (Some(first), Some(last)) = (b.first_chunk::<8>(), b.last_chunk::<8>()) {
        return Some([u64::from_le_bytes(*first), u64::from_le_bytes(*last)]);
    }
    if let (Some(first), Some(last)) = (b.first_chunk::<4>(), b.last_chunk::<4>()) {
        let x = u32::from_le_bytes(*first) as u64 | (u32::from_le_bytes(*last) as u64) << 32;
        return Some([x, x]);
    }
    None
}

/// Field values may hold visible bytes, spaces and tabs, never CR, LF, NUL
/// or other controls (which would split the response).
///
/// Short values (most header values) are checked inline, in two
/// overlapping words; the rest in [`valid_long_value`].
#[inline(always)]
pub(crate) const fn valid_value(v: &[u8]) -> bool {
    if let Some([first, last]) = short_words(v) {
        if !has_control(first) && !has_control(last) {
            return true;
        }
    }
    valid_long_value(v)
}

/// [`valid_value`] at run time, for every header value a response takes:
/// where the target has SSE2 (every x86-64 CPU), a value of 4 to 16 bytes
/// (most header values) is checked as its two words ([`short_words`])
/// with [`words_valid`].
#[inline(always)]
pub(crate) fn value_ok(v: &[u8]) -> bool {
    #[cfg(all(any(target_arch = "x86", target_arch = "x86_64"), target_feature = "sse2"))]
    if let Some(words) = short_words(v) {
        return words_valid(words);
    }
    valid_value(v)
}

/// Whether the 16 bytes of `words` may all stand in a field value: exact,
/// tabs allowed. [`crate::ResponseBuf`] checks a value of 8 to 16 bytes
/// with it, then stores the same two words as the value's bytes.
///
/// With SSE2 this is one 16-byte compare: half the instructions of two
/// [`has_control`] words, and no bytewise second look for a tab
/// (`perf/encode-instructions.sh`: 15 of the instructions two typed
/// headers add to a response). Elsewhere it is [`valid_value`].
#[inline(always)]
pub(crate) fn words_valid(words: [u64; 2]) -> bool {
    #[cfg(all(any(target_arch = "x86", target_arch = "x86_64"), target_feature = "sse2"))]
    {
        // SAFETY: `sse2::control_mask` needs SSE2 and nothing else, and
        // this code is only compiled when the build target enables SSE2
        // for every CPU it runs on (the `cfg` above; part of x86-64's
        // baseline). It reads no memory: its input is two integers.
        unsafe { sse2::control_mask(words) == 0 }
    }
    #[cfg(not(all(any(target_arch = "x86", target_arch = "x86_64"), target_feature = "sse2")))]
    {
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&words[0].to_le_bytes());
        bytes[8..].copy_from_slice(&words[1].to_le_bytes());
        valid_value(&bytes)
    }
}

/// The SSE2 half of [`words_valid`].
#[cfg(all(any(target_arch = "x86", target_arch = "x86_64"), target_feature = "sse2"))]
mod sse2 {
    #[cfg(target_arch = "x86")]
    use std::arch::x86::*;
    #[cfg(target_arch = "x86_64")]
    use std::arch::x86_64::*;

    /// One bit per byte of `words` (first word in the low 8 bits) that is
    /// a control byte other than tab, or DEL. Calling it needs SSE2,
    /// hence `unsafe` outside functions that enable it.
    #[target_feature(enable = "sse2")]
    #[inline]
    pub(super) fn control_mask(words: [u64; 2]) -> u32 {
        let v = _mm_set_epi64x(words[1] as i64, words[0] as i64);
        // Bytes up to 0x1f: the unsigned minimum with 0x1f is the byte.
        let low = _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x1f)), v);
        let tab = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\t' as i8));
        let del = _mm_cmpeq_epi8(v, _mm_set1_epi8(0x7f));
        _mm_movemask_epi8(_mm_or_si128(_mm_andnot_si128(tab, low), del)) as u32
    }
}

/// [`valid_value`] for values it could not pass in two words: longer than
/// 16 bytes, shorter than 4, or with a byte that needs a closer look.
#[inline(never)]
const fn valid_long_value(v: &[u8]) -> bool {
    // Eight bytes at a time: a chunk without controls passes at once; one
    // that may hold a tab (allowed) is checked bytewise.
    let mut i = 0;
    while i + 8 <= v.len() {
        let x = u64::from_le_bytes([
            v[i],
            v[i + 1],
            v[i + 2],
            v[i + 3],
            v[i + 4],
            v[i + 5],
            v[i + 6],
            v[i + 7],
        ]);
        if has_control(x) {
            break;
        }
        i += 8;
    }
    while i < v.len() {
        if !field_byte(v[i]) {
            return false;
        }
        i += 1;
    }
    true
}

/// A status line in a block of [`STATUS_BLOCK`] bytes, and its length:
/// copied as the whole block and cut back, a few vector moves where a
/// line of its own length took a `memcpy` call.
struct StatusLine {
    block: [u8; STATUS_BLOCK],
    len: usize,
}

/// The longest common status line fits: `HTTP/1.1 400 Bad Request\r\n` is
/// 26 bytes.
const STATUS_BLOCK: usize = 32;

impl StatusLine {
    const fn new(line: &[u8]) -> StatusLine {
        assert!(line.len() <= STATUS_BLOCK, "status line longer than its block");
        let mut block = [0u8; STATUS_BLOCK];
        let mut i = 0;
        while i < line.len() {
            block[i] = line[i];
            i += 1;
        }
        StatusLine {
            block,
            len: line.len(),
        }
    }
}

/// Status lines for the most common codes, to skip formatting.
#[inline]
fn status_line(status: u16) -> Option<&'static StatusLine> {
    const OK: StatusLine = StatusLine::new(b"HTTP/1.1 200 OK\r\n");
    const CREATED: StatusLine = StatusLine::new(b"HTTP/1.1 201 Created\r\n");
    const NO_CONTENT: StatusLine = StatusLine::new(b"HTTP/1.1 204 No Content\r\n");
    const BAD_REQUEST: StatusLine = StatusLine::new(b"HTTP/1.1 400 Bad Request\r\n");
    const NOT_FOUND: StatusLine = StatusLine::new(b"HTTP/1.1 404 Not Found\r\n");
    Some(match status {
        200 => &OK,
        201 => &CREATED,
        204 => &NO_CONTENT,
        400 => &BAD_REQUEST,
        404 => &NOT_FOUND,
        _ => return None,
    })
}

/// The two ASCII digits of every number below 100.
const DIGIT_PAIRS: [[u8; 2]; 100] = {
    let mut t = [[0u8; 2]; 100];
    let mut i = 0;
    while i < 100 {
        t[i] = [b'0' + (i / 10) as u8, b'0' + (i % 10) as u8];
        i += 1;
    }
    t
};

/// How many decimal digits `n` has (1 for 0). Header values are mostly
/// small numbers: up to four digits take a few compares, where `ilog10`
/// always takes its whole sequence.
#[inline(always)]
pub(crate) const fn decimal_len(n: u64) -> usize {
    if n < 10 {
        1
    } else if n < 100 {
        2
    } else if n < 1_000 {
        3
    } else if n < 10_000 {
        4
    } else {
        n.ilog10() as usize + 1
    }
}

/// Writes `n` in decimal into `dst`, which is [`decimal_len`]`(n)` bytes
/// long: straight into its place, two digits at a time, where formatting
/// into a buffer of 20 and copying the used end took a copy of unknown
/// length (`benches/encode`: an integer typed header).
///
/// Every byte of `dst`, which is `decimal_len(n)` long, is written: up to
/// four digits each length has its
/// own stores (the usual header value and body length: the branches that
/// counted the digits lead straight to them); longer, the pairs fill it
/// from the end, and the one or two digits left fill what is left at the
/// start.
#[inline(always)]
pub(crate) fn write_decimal<T: crate::response::Byte>(dst: &mut [T], mut n: u64) {
    debug_assert_eq!(dst.len(), decimal_len(n));
    match dst.len() {
        1 => return T::copy(&mut dst[..1], &[b'0' + n as u8]),
        2 => return T::copy(&mut dst[..2], &DIGIT_PAIRS[n as usize]),
        3 => {
            T::copy(&mut dst[..1], &[b'0' + (n / 100) as u8]);
            return T::copy(&mut dst[1..3], &DIGIT_PAIRS[(n % 100) as usize]);
        }
        4 => {
            T::copy(&mut dst[..2], &DIGIT_PAIRS[(n / 100) as usize]);
            return T::copy(&mut dst[2..4], &DIGIT_PAIRS[(n % 100) as usize]);
        }
        _ => {}
    }
    let mut end = dst.len();
    while n >= 100 {
        T::copy(&mut dst[end - 2..end], &DIGIT_PAIRS[(n % 100) as usize]);
        end -= 2;
        n /= 100;
    }
    // One or two digits left, as many as the bytes left at the start.
    if n >= 10 {
        T::copy(&mut dst[..2], &DIGIT_PAIRS[n as usize]);
    } else {
        T::copy(&mut dst[..1], &[b'0' + n as u8]);
    }
}

#[inline]
pub(crate) fn push_usize(out: &mut Vec<u8>, n: usize) {
    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
}

pub(crate) fn push_hex(out: &mut Vec<u8>, mut n: usize) {
    let mut tmp = [0u8; 16];
    let mut i = tmp.len();
    loop {
        i -= 1;
        tmp[i] = b"0123456789abcdef"[n & 0xf];
        n >>= 4;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&tmp[i..]);
}

/// Encodes `res` into `out`. Returns what remains to be written and whether
/// the connection stays open afterwards.
///
/// Takes the response by reference: a `Response` is 128 bytes, and passing
/// it by value cost the connection loop a copy. The response is left with
/// its body taken out (and replaced by a bare 500 if it was invalid).
pub(crate) fn encode(res: &mut Response, ctx: Ctx, out: &mut Vec<u8>) -> (Rest, bool) {
    // A refused header (injection attempt) or status turns the response
    // into a 500.
    if res.is_invalid() {
        refuse(res);
    }
    let status = res.status();
    if without_content(status) {
        return encode_without_content(res, ctx, out);
    }
    // A service may ask to close by sending `connection: close`.
    let mut keep_alive = ctx.keep_alive && !res.wants_close();
    let body = res.take_body();
    let streaming_close = matches!(body, Body::Stream(_)) && ctx.version == Version::Http10;
    if streaming_close {
        keep_alive = false;
    }

    // The engine's own headers first, then the service's: a framed body
    // carries the service's lines before it, and goes out in one copy.
    push_status_line(out, status);
    push_date_and_connection(out, ctx, keep_alive);

    let rest = match body {
        Body::Framed(framed) => {
            // Every change to a framed response unframes it first: its
            // own lines are all in the body's buffer.
            debug_assert!(res.own_lines_are_empty());
            push_framed(out, ctx, framed)
        }
        Body::Stream(stream) => stream_head(res, ctx, stream, out),
        Body::Empty => {
            push_whole(out, ctx, res, &[]);
            Rest::Done
        }
        Body::Full(bytes) => match push_whole(out, ctx, res, &bytes) {
            true => Rest::Done,
            false => Rest::Large(bytes),
        },
        Body::Owned(bytes) => match push_whole(out, ctx, res, &bytes) {
            true => Rest::Done,
            false => Rest::Large(Bytes::from(bytes)),
        },
    };
    (rest, keep_alive)
}

/// Writes the length of a body whose bytes are all known, the service's
/// lines, then the body, unless the request is HEAD; `false` when it is
/// too large to copy (it goes out after the head, as it is). One copy of
/// this in `encode` serves every such kind of body.
#[inline]
fn push_whole(out: &mut Vec<u8>, ctx: Ctx, res: &Response, body: &[u8]) -> bool {
    push_length(out, body.len());
    end_head(res, out);
    if ctx.is_head {
        return true;
    }
    if body.len() >= COPY_BODY_MAX {
        return false;
    }
    out.extend_from_slice(body);
    true
}

/// The head of a streamed response: its coding (chunked on HTTP/1.1; on
/// HTTP/1.0 the stream ends where the connection does), the service's
/// lines; HEAD drops the stream unstarted, which runs its teardown.
#[cold]
#[inline(never)]
fn stream_head(res: &Response, ctx: Ctx, stream: BodyStream, out: &mut Vec<u8>) -> Rest {
    let chunked = ctx.version == Version::Http11;
    if chunked {
        out.extend_from_slice(b"transfer-encoding: chunked\r\n");
    }
    end_head(res, out);
    if ctx.is_head {
        Body::Stream(stream).discard();
        Rest::Done
    } else {
        Rest::Stream { stream, chunked }
    }
}

/// [`encode`] for the statuses without content (see [`without_content`]):
/// no body (a stream is dropped unstarted, which runs its teardown); 204
/// and 304 without `content-length` and `content-type`, 205 with
/// `content-length: 0`.
#[inline(never)]
fn encode_without_content(res: &mut Response, ctx: Ctx, out: &mut Vec<u8>) -> (Rest, bool) {
    let status = res.status();
    let keep_alive = ctx.keep_alive && !res.wants_close();
    res.clear_content();
    push_status_line(out, status);
    push_date_and_connection(out, ctx, keep_alive);
    if status == 205 {
        out.extend_from_slice(b"content-length: 0\r\n");
    }
    end_head(res, out);
    (Rest::Done, keep_alive)
}

/// The service's header lines and the blank line that ends the head.
#[inline(always)]
fn end_head(res: &Response, out: &mut Vec<u8>) {
    res.write_head_lines(out);
    out.extend_from_slice(b"\r\n");
}

#[inline(always)]
fn push_status_line(out: &mut Vec<u8>, status: u16) {
    match status_line(status) {
        Some(line) => crate::response::push_prefix(out, &line.block, line.len),
        None => {
            out.extend_from_slice(b"HTTP/1.1 ");
            push_usize(out, status as usize);
            out.push(b' ');
            out.extend_from_slice(reason_phrase(status).as_bytes());
            out.extend_from_slice(b"\r\n");
        }
    }
}

#[inline(always)]
fn push_date_and_connection(out: &mut Vec<u8>, ctx: Ctx, keep_alive: bool) {
    crate::date::push_line(out);
    if !keep_alive {
        out.extend_from_slice(b"connection: close\r\n");
    } else if ctx.version == Version::Http10 {
        out.extend_from_slice(b"connection: keep-alive\r\n");
    }
}

/// Writes a framed body's length, then its header lines and the body
/// after them in one copy (the lines alone for HEAD, and the body on its
/// own after the head when it is too large to copy).
#[inline(always)]
fn push_framed(out: &mut Vec<u8>, ctx: Ctx, framed: Framed) -> Rest {
    let (head, body) = framed.parts();
    push_length(out, body.len());
    // One copy of the lines for both cases (two copies made LLVM stop
    // inlining the copy of the whole buffer below: 16 instructions).
    if ctx.is_head || body.len() >= COPY_BODY_MAX {
        out.extend_from_slice(head);
        if ctx.is_head {
            return Rest::Done;
        }
        // Too large to copy: it goes out after the head as it is.
        return Rest::Large(framed.into_bytes());
    }
    out.extend_from_slice(framed.as_bytes());
    Rest::Done
}

/// `content-length: {len}\r\n`, written as one block (the digits in
/// place, no formatting buffer and no copy of a run-time length).
#[inline(always)]
fn push_length(out: &mut Vec<u8>, len: usize) {
    use crate::response::{append_line, Line, HEAD_INLINE};
    const PREFIX: &[u8] = b"content-length: ";
    // The longest number has 20 digits: the line always fits a block.
    const _: () = assert!(PREFIX.len() + 20 + 2 <= HEAD_INLINE);
    out.reserve(HEAD_INLINE);
    let fitted = append_line(out, Line::Decimal(PREFIX, false, len as u64));
    debug_assert!(fitted);
}

/// Whether the engine writes this header itself (a service's copy is
/// not sent).
#[inline]
pub(crate) const fn is_framing_header(name: &[u8]) -> bool {
    match name.len() {
        4 => eq_ignore_case(name, b"date"),
        10 => eq_ignore_case(name, b"connection"),
        14 => eq_ignore_case(name, b"content-length"),
        17 => eq_ignore_case(name, b"transfer-encoding"),
        _ => false,
    }
}

/// ASCII case-insensitive equality against a lowercase `lower`.
const fn eq_ignore_case(a: &[u8], lower: &[u8]) -> bool {
    if a.len() != lower.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i].to_ascii_lowercase() != lower[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// Encodes a response exactly as the server writes it to an HTTP/1.1
/// keep-alive connection: the status line, the engine's headers (`date`,
/// then the length or the coding), the service's headers, and a full
/// body.
/// A streamed body is handed back unpolled (the head announces chunked
/// coding). For tests, benchmarks and in-process drivers.
///
/// The response is taken by reference, as the server does, so that it is
/// encoded where it was built rather than moved first; its body is taken
/// out of it.
///
/// ```
/// let mut out = Vec::new();
/// let mut res = jero_engine::Response::new(200).with_body("hi");
/// assert!(jero_engine::encode_response(&mut res, false, &mut out).is_none());
/// assert!(out.starts_with(b"HTTP/1.1 200 OK\r\n"));
/// assert!(out.ends_with(b"content-length: 2\r\n\r\nhi"));
/// ```
pub fn encode_response(res: &mut Response, is_head: bool, out: &mut Vec<u8>) -> Option<BodyStream> {
    encode_whole(res, http11(is_head, true), out)
}

/// Encodes a response for a request the engine rejects itself; the
/// connection closes after it. A streamed body is not sent: the
/// connection closes at once.
pub(crate) fn encode_error(res: Response, is_head: bool, out: &mut Vec<u8>) {
    if let Some(stream) = encode_whole(&mut { res }, http11(is_head, false), out) {
        Body::Stream(stream).discard();
    }
}

fn http11(is_head: bool, keep_alive: bool) -> Ctx {
    Ctx {
        version: Version::Http11,
        is_head,
        keep_alive,
    }
}

/// [`encode`] with everything in `out`: a large body (a service's own
/// rendering of an error included) is copied after the head; a streamed
/// one is handed back unpolled.
#[inline(always)]
fn encode_whole(res: &mut Response, ctx: Ctx, out: &mut Vec<u8>) -> Option<BodyStream> {
    match encode(res, ctx, out).0 {
        Rest::Done => None,
        Rest::Large(bytes) => {
            out.extend_from_slice(&bytes);
            None
        }
        Rest::Stream { stream, .. } => Some(stream),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_at_every_length() {
        let mut values = vec![0u64, u64::MAX, u64::MAX - 1];
        for digits in 1..20 {
            let p = 10u64.pow(digits);
            values.extend([p - 1, p, p + 1, p + p / 2]);
        }
        for n in values {
            let want = n.to_string();
            assert_eq!(decimal_len(n), want.len(), "{n}");
            let mut out = vec![b'?'; want.len()];
            write_decimal(&mut out, n);
            assert_eq!(out, want.as_bytes());
        }
    }

    /// Exercises `response::append_line`'s `unsafe` block as the
    /// `content-length` line uses it (also under Miri: `bash
    /// scripts/miri.sh`): written into the output's spare capacity, never
    /// zeroed, after what the output already holds, at every length of
    /// number, across the output's growth.
    #[test]
    fn length_line_written_into_unzeroed_spare_capacity() {
        let mut out = b"HTTP/1.1 200 OK\r\n".to_vec();
        let mut want = out.clone();
        let mut lengths = vec![0, usize::MAX];
        for digits in 1..20 {
            let p = 10usize.pow(digits);
            lengths.extend([p / 10 + digits as usize % 7, p - 1]);
        }
        for len in lengths {
            push_length(&mut out, len);
            want.extend_from_slice(format!("content-length: {len}\r\n").as_bytes());
        }
        assert_eq!(String::from_utf8_lossy(&out), String::from_utf8_lossy(&want));
    }

    /// The field-value rule, one byte at a time.
    fn allowed(b: u8) -> bool {
        b == b'\t' || (b >= 0x20 && b != 0x7f)
    }

    /// Exercises the `unsafe` SSE2 block of `words_valid` (also under
    /// Miri: `bash scripts/miri.sh`), through `value_ok`, and
    /// `valid_value`, which other targets use: every byte value at every
    /// position of values of 4, 8 and 16 bytes (one word twice, one word,
    /// two words), on backgrounds of every kind of allowed byte.
    #[test]
    fn value_ok_is_the_byte_rule_at_every_position() {
        let words = |v: &[u8]| short_words(v).is_some_and(words_valid);
        // Under Miri (about 1000 times slower), two backgrounds.
        let fills: &[u8] = match cfg!(miri) {
            true => &[b'\t', 0xff],
            false => &[b'a', b' ', b'\t', 0x7e, 0x80, 0xff],
        };
        for check in [value_ok, valid_value, words] {
            for len in [4, 8, 16] {
                for &fill in fills {
                    let base = vec![fill; len];
                    assert!(check(&base));
                    for at in 0..len {
                        for b in 0..=255u8 {
                            let mut v = base.clone();
                            v[at] = b;
                            assert_eq!(check(&v), allowed(b), "{b:#04x} at {at} of {len} on {fill:#04x}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn token_bytes() {
        // RFC 9110 tchar: letters, digits and these 15; nothing else.
        let others = b"!#$%&'*+-.^_`|~";
        for b in 0..=255u8 {
            let want = b.is_ascii_alphanumeric() || others.contains(&b);
            assert_eq!(is_token(&[b]), want, "byte {b:#04x}");
            assert_eq!(is_token(&[b'a', b, b'z']), want, "byte {b:#04x} inside a name");
        }
        assert!(!is_token(b""));
    }

    fn enc(res: Response, ctx: Ctx) -> (String, bool) {
        let mut out = Vec::new();
        let (_, ka) = encode(&mut { res }, ctx, &mut out);
        let s = String::from_utf8(out).unwrap();
        // Blank out the date for comparisons.
        let start = s.find("date: ").unwrap() + 6;
        let mut s = s;
        s.replace_range(start..start + 29, "DATE");
        (s, ka)
    }

    const KA11: Ctx = Ctx {
        version: Version::Http11,
        is_head: false,
        keep_alive: true,
    };

    #[test]
    fn full_body() {
        let (s, ka) = enc(
            Response::new(200)
                .with_header("content-type", "text/plain")
                .with_body("hi"),
            KA11,
        );
        assert_eq!(
            s,
            "HTTP/1.1 200 OK\r\ndate: DATE\r\ncontent-length: 2\r\ncontent-type: text/plain\r\n\r\nhi"
        );
        assert!(ka);
    }

    #[test]
    fn framework_owns_framing_headers() {
        let res = Response::new(200)
            .with_header("Content-Length", "99")
            .with_body("hi");
        let (s, _) = enc(res, KA11);
        assert!(!s.contains("99"));
        assert!(s.contains("content-length: 2\r\n"));
    }

    #[test]
    fn no_content_has_no_length() {
        let (s, _) = enc(Response::new(204), KA11);
        assert_eq!(s, "HTTP/1.1 204 No Content\r\ndate: DATE\r\n\r\n");
    }

    #[test]
    fn no_content_has_no_content_type_or_body() {
        const JSON: crate::StaticHeader = crate::StaticHeader::new("content-type", "application/json");
        for status in [204u16, 304] {
            let mut res = Response::new(status)
                .with_header("x-a", "1")
                .with_header("Content-Type", "text/plain")
                .with_header("x-b", "2")
                .with_body("dropped");
            res.append_static(&JSON);
            let (s, ka) = enc(res, KA11);
            let line = format!("HTTP/1.1 {status} {}\r\n", reason_phrase(status));
            assert_eq!(s, format!("{line}date: DATE\r\nx-a: 1\r\nx-b: 2\r\n\r\n"));
            assert!(ka);
        }
        // Other statuses keep theirs.
        let (s, _) = enc(Response::new(200).with_header("Content-Type", "text/plain"), KA11);
        assert!(s.contains("Content-Type: text/plain\r\n"), "{s}");
    }

    /// A stream that records being dropped and never yields.
    struct Tracked(std::rc::Rc<std::cell::Cell<bool>>);

    impl futures_core::Stream for Tracked {
        type Item = Result<Bytes, crate::BoxError>;
        fn poll_next(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<Self::Item>> {
            std::task::Poll::Pending
        }
    }

    impl Drop for Tracked {
        fn drop(&mut self) {
            self.0.set(true);
        }
    }

    #[test]
    fn statuses_without_content_drop_a_stream_and_keep_http10_alive() {
        let http10 = Ctx {
            version: Version::Http10,
            is_head: false,
            keep_alive: true,
        };
        for (status, end) in [
            (204u16, "date: DATE\r\nconnection: keep-alive\r\n\r\n"),
            (
                205,
                "date: DATE\r\nconnection: keep-alive\r\ncontent-length: 0\r\n\r\n",
            ),
            (304, "date: DATE\r\nconnection: keep-alive\r\n\r\n"),
        ] {
            let dropped = std::rc::Rc::new(std::cell::Cell::new(false));
            let res = Response::new(status).with_body(Body::stream(Tracked(dropped.clone())));
            let mut out = Vec::new();
            let (rest, keep_alive) = encode(&mut { res }, http10, &mut out);
            assert!(matches!(rest, Rest::Done), "{status}");
            // No body goes out, so the connection need not close.
            assert!(keep_alive, "{status}");
            assert!(dropped.get(), "{status}: the stream was not dropped");
            let (s, _) = enc(Response::new(status), http10);
            assert!(s.ends_with(end), "{status}: {s}");
        }
        // Another status with a stream on HTTP/1.0 is delimited by the close.
        let res = Response::new(200).with_body(Body::stream(Tracked(Default::default())));
        let (rest, keep_alive) = encode(&mut { res }, http10, &mut Vec::new());
        assert!(matches!(rest, Rest::Stream { chunked: false, .. }));
        assert!(!keep_alive);
    }

    /// An error a service renders with a large body goes out whole.
    #[test]
    fn a_large_error_body_is_sent() {
        let body = "x".repeat(COPY_BODY_MAX + 1);
        let mut out = Vec::new();
        encode_error(Response::new(413).with_body(body.clone()), false, &mut out);
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("connection: close\r\n"), "{text}");
        assert!(text.ends_with(&format!("content-length: {}\r\n\r\n{body}", body.len())));
    }

    #[test]
    fn reset_content_has_length_zero_and_no_body() {
        let (s, _) = enc(Response::new(205).with_body("dropped"), KA11);
        assert_eq!(
            s,
            "HTTP/1.1 205 Reset Content\r\ndate: DATE\r\ncontent-length: 0\r\n\r\n"
        );
        let (status, _, body) = Response::new(205).with_body("dropped").into_parts();
        assert_eq!(status, 205);
        assert!(matches!(body, Body::Empty));
        let head = Ctx {
            is_head: true,
            ..KA11
        };
        let (s, _) = enc(Response::new(205).with_body("dropped"), head);
        assert!(s.ends_with("content-length: 0\r\n\r\n"), "{s}");
    }

    #[test]
    fn status_outside_200_to_599_becomes_500() {
        for status in [0u16, 99, 100, 101, 103, 199, 600, 999, 1000, u16::MAX] {
            let res = Response::new(status).with_header("x-a", "1").with_body("secret");
            let (s, ka) = enc(res, KA11);
            assert_eq!(
                s, "HTTP/1.1 500 Internal Server Error\r\ndate: DATE\r\ncontent-length: 0\r\n\r\n",
                "status {status}"
            );
            assert!(ka);
        }
        for status in [200u16, 299, 300, 404, 599] {
            let (s, _) = enc(Response::new(status), KA11);
            assert!(s.starts_with(&format!("HTTP/1.1 {status} ")), "{s}");
        }
        let mut res = Response::new(200);
        res.set_status(100);
        assert!(res.is_invalid());
    }

    #[test]
    fn head_keeps_length_drops_body() {
        let ctx = Ctx {
            is_head: true,
            ..KA11
        };
        let (s, _) = enc(Response::new(200).with_body("hello"), ctx);
        assert!(s.ends_with("content-length: 5\r\n\r\n"), "{s}");
    }

    #[test]
    fn http10_keep_alive_and_close() {
        let ctx = Ctx {
            version: Version::Http10,
            is_head: false,
            keep_alive: true,
        };
        let (s, _) = enc(Response::new(200), ctx);
        assert!(s.contains("connection: keep-alive\r\n"));
        let (s, ka) = enc(
            Response::new(200),
            Ctx {
                keep_alive: false,
                ..ctx
            },
        );
        assert!(s.contains("connection: close\r\n"));
        assert!(!ka);
    }

    #[test]
    fn header_injection_becomes_500() {
        let (s, _) = enc(Response::new(200).with_header("x-a", "a\r\nb: c"), KA11);
        assert!(s.starts_with("HTTP/1.1 500 Internal Server Error\r\n"), "{s}");
        assert!(!s.contains("b: c"));
    }

    #[test]
    fn connection_close_from_the_service_closes_once() {
        let (s, ka) = enc(Response::new(200).with_header("Connection", "close"), KA11);
        assert!(!ka);
        assert_eq!(s.matches("connection: close\r\n").count(), 1, "{s}");
        assert!(!s.contains("Connection"), "{s}");
    }

    #[test]
    fn owned_bodies_are_framed_like_full_ones() {
        let (s, _) = enc(Response::new(200).with_body(b"hello".to_vec()), KA11);
        assert!(s.ends_with("content-length: 5\r\n\r\nhello"), "{s}");
        let big = vec![b'x'; COPY_BODY_MAX + 1];
        let mut out = Vec::new();
        let (rest, _) = encode(&mut Response::new(200).with_body(big), KA11, &mut out);
        assert!(matches!(rest, Rest::Large(b) if b.len() == COPY_BODY_MAX + 1));
    }

    #[test]
    fn unusual_status_line() {
        let (s, _) = enc(Response::new(418), KA11);
        assert!(s.starts_with("HTTP/1.1 418 \r\n"), "{s}");
    }

    #[test]
    fn common_status_lines_are_the_formatted_ones() {
        for status in 200..600u16 {
            let (s, _) = enc(Response::new(status), KA11);
            let want = format!("HTTP/1.1 {status} {}\r\ndate: ", reason_phrase(status));
            assert!(s.starts_with(&want), "{status}: {s}");
            if let Some(line) = status_line(status) {
                assert_eq!(&line.block[..line.len], &want.as_bytes()[..line.len], "{status}");
                assert!(line.block[line.len..].iter().all(|&b| b == 0));
            }
        }
    }

    #[test]
    fn numbers() {
        let mut v = Vec::new();
        push_usize(&mut v, 0);
        v.push(b' ');
        push_usize(&mut v, 16777216);
        v.push(b' ');
        push_hex(&mut v, 255);
        assert_eq!(v, b"0 16777216 ff");
    }
}
