//! Request head parsing and message framing (RFC 9112).
//!
//! `httparse` tokenizes the head; this module records index ranges into the
//! read buffer (nothing is copied) and applies the framing rules of RFC 9112
//! section 6 that keep request smuggling out.

use std::mem::MaybeUninit;

use smallvec::SmallVec;

use crate::config::Limits;
use crate::encode::byte_matches;
use crate::request::{HeaderSpan, Method, Request, Span, Version};

/// Why a request could not be accepted, as the status to answer with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// The status to answer with (400, 413, 414, 431, 501, 505, ...).
    pub status: u16,
    /// A short human reason, safe to show (never quotes the input).
    pub reason: &'static str,
}

impl ParseError {
    pub(crate) const fn new(status: u16, reason: &'static str) -> ParseError {
        ParseError { status, reason }
    }
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.reason, self.status)
    }
}

impl std::error::Error for ParseError {}

/// How the request body is delimited (RFC 9112 section 6.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Framing {
    /// No body.
    Empty,
    /// `Content-Length: n`.
    Length(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked,
}

/// A complete, validated request head.
#[derive(Debug)]
pub(crate) struct ParsedHead {
    pub(crate) head_len: usize,
    pub(crate) method: Method,
    pub(crate) method_span: Span,
    pub(crate) target: Span,
    pub(crate) path_start: u32,
    pub(crate) path_end: u32,
    pub(crate) version: Version,
    pub(crate) headers: SmallVec<[HeaderSpan; crate::request::INLINE_HEADERS]>,
    pub(crate) framing: Framing,
    /// Whether the client wants the connection kept open after this exchange.
    pub(crate) keep_alive: bool,
    pub(crate) expect_continue: bool,
}

impl ParsedHead {
    /// The request this head describes, over `head` (its bytes) and
    /// `body`. The connection keeps the head for its framing, so only the
    /// header spans in use are copied (or the heap list taken when they
    /// spilled), instead of moving the whole inline array, and the head
    /// through the exchange future, once more per request. The head's
    /// header list is not to be read after this.
    pub(crate) fn take_request(&mut self, head: bytes::Bytes, body: bytes::Bytes) -> Request {
        Request {
            head,
            method: self.method,
            method_span: self.method_span,
            target: self.target,
            path_start: self.path_start,
            path_end: self.path_end,
            version: self.version,
            keep_alive: self.keep_alive,
            headers: if self.headers.spilled() {
                std::mem::take(&mut self.headers)
            } else {
                SmallVec::from_slice(&self.headers)
            },
            body,
            carried: Default::default(),
        }
    }
}

const BAD_REQUEST: ParseError = ParseError::new(400, "malformed request head");

/// Offset of `part` inside `buf`. `part` must be a subslice of `buf`
/// (httparse hands out subslices of the buffer it parsed).
#[inline]
fn offset_in(buf: &[u8], part: &[u8]) -> usize {
    part.as_ptr() as usize - buf.as_ptr() as usize
}

/// Parses a request head at the start of `buf`.
///
/// Returns `Ok(None)` when more bytes are needed, after checking that what
/// has arrived so far is still within the request-line and head limits.
pub(crate) fn parse_head(buf: &[u8], limits: &Limits) -> Result<Option<ParsedHead>, ParseError> {
    let mut slots = [const { MaybeUninit::<httparse::Header<'_>>::uninit() }; Limits::HEADER_CAP];
    let max_headers = limits.max_headers.min(Limits::HEADER_CAP);
    let mut req = httparse::Request::new(&mut []);
    let status = req.parse_with_uninit_headers(buf, &mut slots[..max_headers]);
    let head_len = match status {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => {
            check_partial(buf, limits)?;
            return Ok(None);
        }
        Err(httparse::Error::TooManyHeaders) => return Err(ParseError::new(431, "too many header fields")),
        Err(httparse::Error::Version) => return Err(version_error(buf)),
        Err(httparse::Error::Token) | Err(httparse::Error::Status) => {
            // A request line that is too long can fail as a bad token once
            // the limit is passed; report the limit, not a parse error.
            check_request_line(buf, limits)?;
            return Err(BAD_REQUEST);
        }
        Err(_) => {
            check_request_line(buf, limits)?;
            return Err(BAD_REQUEST);
        }
    };
    if head_len > limits.head_limit() {
        return Err(ParseError::new(431, "request head too large"));
    }

    let method_s = req.method.ok_or(BAD_REQUEST)?;
    let target_s = req.path.ok_or(BAD_REQUEST)?;
    // The line without its CRLF: method, target, ` HTTP/1.x`.
    let request_line_len = offset_in(buf, target_s.as_bytes()) + target_s.len() + 9;
    if request_line_len > limits.max_request_line {
        return Err(ParseError::new(414, "request line too long"));
    }
    let version = match req.version {
        Some(0) => Version::Http10,
        Some(1) => Version::Http11,
        _ => return Err(ParseError::new(505, "unsupported HTTP version")),
    };

    let method_span = Span::new(offset_in(buf, method_s.as_bytes()), method_s.len());
    let target_off = offset_in(buf, target_s.as_bytes());
    let target = Span::new(target_off, target_s.len());
    let method = Method::from_bytes(method_s.as_bytes());
    let (path_start, path_end) = split_target(target_s.as_bytes(), method)?;

    let mut spans: SmallVec<[HeaderSpan; crate::request::INLINE_HEADERS]> = SmallVec::new();
    let mut content_length: Option<u64> = None;
    let mut chunked = false;
    let mut te_seen = false;
    let mut hosts = 0usize;
    let mut conn_close = false;
    let mut conn_keep_alive = false;
    let mut expect_continue = false;

    for h in req.headers.iter() {
        let name = h.name.as_bytes();
        let value = h.value;
        spans.push(HeaderSpan {
            name: Span::new(offset_in(buf, name), name.len()),
            value: Span::new(offset_in(buf, value), value.len()),
        });
        match name.len() {
            4 if name.eq_ignore_ascii_case(b"host") => {
                hosts += 1;
                if !valid_host(value) {
                    return Err(ParseError::new(400, "invalid Host header"));
                }
            }
            6 if name.eq_ignore_ascii_case(b"expect") => {
                if value.eq_ignore_ascii_case(b"100-continue") {
                    expect_continue = true;
                } else {
                    return Err(ParseError::new(417, "unsupported expectation"));
                }
            }
            10 if name.eq_ignore_ascii_case(b"connection") => {
                for token in value.split(|&b| b == b',') {
                    let token = trim(token);
                    if token.eq_ignore_ascii_case(b"close") {
                        conn_close = true;
                    } else if token.eq_ignore_ascii_case(b"keep-alive") {
                        conn_keep_alive = true;
                    }
                }
            }
            14 if name.eq_ignore_ascii_case(b"content-length") => {
                // RFC 9112 6.3: a repeated or list-valued Content-Length is
                // treated as unrecoverable, even when the values agree.
                if content_length.is_some() {
                    return Err(ParseError::new(400, "duplicate Content-Length"));
                }
                content_length = Some(parse_content_length(value)?);
            }
            17 if name.eq_ignore_ascii_case(b"transfer-encoding") => {
                te_seen = true;
                for coding in value.split(|&b| b == b',') {
                    let coding = trim(coding);
                    if coding.is_empty() {
                        continue;
                    }
                    if chunked {
                        // RFC 9112 6.3: chunked must be the final coding.
                        return Err(ParseError::new(400, "chunked is not the final transfer coding"));
                    }
                    if coding.eq_ignore_ascii_case(b"chunked") {
                        chunked = true;
                    } else {
                        return Err(ParseError::new(501, "unsupported transfer coding"));
                    }
                }
            }
            _ => {}
        }
    }

    if version == Version::Http11 && hosts != 1 {
        return Err(ParseError::new(
            400,
            if hosts == 0 {
                "missing Host header"
            } else {
                "repeated Host header"
            },
        ));
    }
    if hosts > 1 {
        return Err(ParseError::new(400, "repeated Host header"));
    }

    let framing = if te_seen {
        // RFC 9112 6.1: Transfer-Encoding with Content-Length is a smuggling
        // attempt; Transfer-Encoding in HTTP/1.0 is faulty framing.
        if content_length.is_some() {
            return Err(ParseError::new(400, "both Content-Length and Transfer-Encoding"));
        }
        if version == Version::Http10 {
            return Err(ParseError::new(400, "Transfer-Encoding in an HTTP/1.0 request"));
        }
        if !chunked {
            return Err(ParseError::new(400, "Transfer-Encoding without chunked"));
        }
        Framing::Chunked
    } else {
        match content_length {
            None | Some(0) => Framing::Empty,
            Some(n) => Framing::Length(n),
        }
    };

    let keep_alive = match version {
        Version::Http11 => !conn_close,
        Version::Http10 => conn_keep_alive && !conn_close,
    };

    Ok(Some(ParsedHead {
        head_len,
        method,
        method_span,
        target,
        path_start: (target_off + path_start) as u32,
        path_end: (target_off + path_end) as u32,
        version,
        headers: spans,
        framing,
        keep_alive,
        expect_continue: expect_continue && version == Version::Http11,
    }))
}

/// Checks an incomplete head against the limits, so that a client cannot make
/// the server buffer an endless request line or header block.
pub(crate) fn check_partial(buf: &[u8], limits: &Limits) -> Result<(), ParseError> {
    check_request_line(buf, limits)?;
    if buf.len() > limits.head_limit() {
        return Err(ParseError::new(431, "request head too large"));
    }
    Ok(())
}

/// The error for a request line whose version httparse refused: 505 for
/// a well-formed `HTTP/DIGIT.DIGIT` other than 1.0 and 1.1 (RFC 9110
/// section 15.6.6), 400 for anything else in that place (RFC 9112
/// section 3: an invalid request line), so `GET / HTTP/2.0` is 505 and
/// `THIS IS NOT HTTP` is 400. A line still arriving is judged on what is
/// there: 505 while it can still become such a version.
#[cold]
fn version_error(buf: &[u8]) -> ParseError {
    let line_end = buf.iter().position(|&b| b == b'\r' || b == b'\n');
    let line = &buf[..line_end.unwrap_or(buf.len())];
    let token = line.rsplit(|&b| b == b' ').next().unwrap_or_default();
    let well_formed = |i: usize, b: u8| match i {
        0..=4 => b == b"HTTP/"[i],
        5 | 7 => b.is_ascii_digit(),
        6 => b == b'.',
        _ => false,
    };
    let complete = line_end.is_some();
    let shape_ok = token.iter().enumerate().all(|(i, &b)| well_formed(i, b));
    // Method, target and version, one space apart: a line of another shape
    // is malformed (400), whatever its last word.
    let parts = line.split(|&b| b == b' ').count();
    let line_ok = parts == 3 || (!complete && parts < 3);
    if line_ok && shape_ok && (token.len() == 8 || (!complete && token.len() < 8)) {
        ParseError::new(505, "unsupported HTTP version")
    } else {
        BAD_REQUEST
    }
}

fn check_request_line(buf: &[u8], limits: &Limits) -> Result<(), ParseError> {
    // The line may run to the limit, then its CRLF.
    let window = &buf[..buf.len().min(limits.max_request_line + 2)];
    if !window.contains(&b'\n') && buf.len() >= limits.max_request_line + 2 {
        return Err(ParseError::new(414, "request line too long"));
    }
    Ok(())
}

/// Where the query of target `t` starts (its first `?`; `t.len()` when it
/// has none), or `None` when `t` holds a `#` anywhere. One pass, eight
/// bytes at a time (the last eight overlapping), for both bytes: the
/// fragment check and a bytewise search for `?` cost about 100
/// instructions of every request (`bash perf/instructions.sh`).
#[inline]
fn query_start(t: &[u8]) -> Option<usize> {
    let n = t.len();
    let mut query = n;
    if n < 8 {
        for (i, &b) in t.iter().enumerate() {
            if b == b'#' {
                return None;
            }
            if b == b'?' && query == n {
                query = i;
            }
        }
        return Some(query);
    }
    // One word at `base`: `false` on a `#`; the first `?` noted.
    let mut word = |base: usize, w: [u8; 8]| {
        let w = u64::from_le_bytes(w);
        if byte_matches(w, b'#') != 0 {
            return false;
        }
        let q = byte_matches(w, b'?');
        if q != 0 && query == n {
            query = base + (q.trailing_zeros() / 8) as usize;
        }
        true
    };
    let whole = n / 8 * 8;
    for (i, w) in t.chunks_exact(8).enumerate() {
        if !word(i * 8, w.try_into().expect("eight bytes")) {
            return None;
        }
    }
    // The last eight bytes, overlapping: those before `whole` were seen
    // already, and held no `?` if `query` is still unset.
    if whole < n && !word(n - 8, *t.last_chunk::<8>().expect("eight bytes or more")) {
        return None;
    }
    Some(query)
}

/// Returns `(path_start, path_end)` relative to the target; `*` is
/// OPTIONS's alone (RFC 9112 3.2.4).
fn split_target(t: &[u8], method: Method) -> Result<(usize, usize), ParseError> {
    // A fragment is the client's own: never part of a request target
    // (RFC 9112 3.2).
    let Some(query_at) = query_start(t) else {
        return Err(ParseError::new(400, "invalid request target"));
    };
    match t.first() {
        Some(b'/') => Ok((0, query_at)),
        Some(b'*') if t.len() == 1 && method == Method::Options => Ok((0, 1)),
        _ => {
            // absolute-form: scheme "://" authority [path]
            let rest = if t.len() >= 7 && t[..7].eq_ignore_ascii_case(b"http://") {
                7
            } else if t.len() >= 8 && t[..8].eq_ignore_ascii_case(b"https://") {
                8
            } else {
                return Err(ParseError::new(400, "invalid request target"));
            };
            let path_start = t[rest..query_at]
                .iter()
                .position(|&b| b == b'/')
                .map(|p| rest + p)
                .unwrap_or(query_at);
            Ok((path_start, query_at))
        }
    }
}

fn trim(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

fn parse_content_length(v: &[u8]) -> Result<u64, ParseError> {
    const INVALID: ParseError = ParseError::new(400, "invalid Content-Length");
    if v.is_empty() || v.len() > 19 {
        return Err(INVALID);
    }
    let mut n: u64 = 0;
    for &b in v {
        if !b.is_ascii_digit() {
            return Err(INVALID);
        }
        n = n * 10 + u64::from(b - b'0');
    }
    Ok(n)
}

/// `Host = uri-host [ ":" port ]` (RFC 9110 7.2). Empty is allowed by the
/// grammar (for URIs without authority); we accept reg-name, IPv4 and
/// bracketed IPv6 characters only.
fn valid_host(v: &[u8]) -> bool {
    if let Some(rest) = v.strip_prefix(b"[") {
        let Some(close) = rest.iter().position(|&b| b == b']') else {
            return false;
        };
        let (addr, after) = (&rest[..close], &rest[close + 1..]);
        return addr
            .iter()
            .all(|&b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
            && valid_port_suffix(after);
    }
    // One pass: a reg-name never holds `:`, so the host ends at the first
    // byte outside the set, and what follows must be the port (or nothing).
    // Eight bytes at a time while all eight are in the set (one branch for
    // the eight), then byte by byte. (Finding the `:` eight bytes at a
    // time and then checking the host's bytes took more instructions.)
    let mut host_len = 0;
    for chunk in v.chunks_exact(8) {
        if !chunk.iter().fold(true, |ok, &b| ok & REG_NAME[b as usize]) {
            break;
        }
        host_len += 8;
    }
    host_len += v[host_len..]
        .iter()
        .position(|&b| !REG_NAME[b as usize])
        .unwrap_or(v.len() - host_len);
    valid_port_suffix(&v[host_len..])
}

/// The bytes of a reg-name or IPv4 address: unreserved, sub-delims and `%`
/// (RFC 3986 3.2.2). A table: every request's `Host` goes through it.
static REG_NAME: [bool; 256] = crate::encode::alphanumeric_and(b"-._~%!$&'()*+,;=");

fn valid_port_suffix(p: &[u8]) -> bool {
    match p {
        [] => true,
        [b':', digits @ ..] => digits.len() <= 5 && digits.iter().all(u8::is_ascii_digit),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(raw: &str) -> Result<Option<ParsedHead>, ParseError> {
        parse_head(raw.as_bytes(), &Limits::default())
    }

    fn status(raw: &str) -> u16 {
        parse(raw).expect_err("expected an error").status
    }

    #[test]
    fn simple_get() {
        let mut h = parse("GET /a/b?x=1 HTTP/1.1\r\nHost: example.com\r\n\r\n")
            .unwrap()
            .unwrap();
        assert_eq!(h.method, Method::Get);
        assert_eq!(h.framing, Framing::Empty);
        assert!(h.keep_alive);
        let req = h.take_request(
            bytes::Bytes::from_static(b"GET /a/b?x=1 HTTP/1.1\r\nHost: example.com\r\n\r\n"),
            bytes::Bytes::new(),
        );
        assert_eq!(req.path(), "/a/b");
        assert_eq!(req.query(), Some("x=1"));
    }

    #[test]
    fn partial_is_none() {
        assert!(parse("GET / HTTP/1.1\r\nHost: x\r\n").unwrap().is_none());
    }

    #[test]
    fn framing_rules() {
        assert_eq!(
            status("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n"),
            400
        );
        assert_eq!(
            status("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1, 1\r\n\r\n"),
            400
        );
        assert_eq!(
            status("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +1\r\n\r\n"),
            400
        );
        assert_eq!(
            status("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n"),
            400
        );
        assert_eq!(
            status("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n"),
            400
        );
        assert_eq!(
            status("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n"),
            501
        );
        assert_eq!(
            status("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"),
            400
        );
        let h = parse("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
            .unwrap()
            .unwrap();
        assert_eq!(h.framing, Framing::Chunked);
    }

    #[test]
    fn host_rules() {
        assert_eq!(status("GET / HTTP/1.1\r\n\r\n"), 400);
        assert_eq!(status("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"), 400);
        assert_eq!(status("GET / HTTP/1.1\r\nHost: a b\r\n\r\n"), 400);
        assert_eq!(status("GET / HTTP/1.1\r\nHost: a:99999x\r\n\r\n"), 400);
        assert!(parse("GET / HTTP/1.0\r\n\r\n").unwrap().is_some());
        assert!(parse("GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n")
            .unwrap()
            .is_some());
    }

    #[test]
    fn obs_fold_and_bad_bytes() {
        assert_eq!(status("GET / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n"), 400);
        assert_eq!(status("GET / HTTP/1.1\r\nHost: x\r\nX A: a\r\n\r\n"), 400);
        assert_eq!(status("GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x01b\r\n\r\n"), 400);
    }

    #[test]
    fn limits() {
        let long = format!("GET /{} HTTP/1.1\r\nHost: x\r\n\r\n", "a".repeat(9000));
        assert_eq!(status(&long), 414);
        let partial_long = format!("GET /{}", "a".repeat(9000));
        assert_eq!(status(&partial_long), 414);
        let many: String = (0..101).map(|i| format!("X-{i}: v\r\n")).collect();
        assert_eq!(status(&format!("GET / HTTP/1.1\r\nHost: x\r\n{many}\r\n")), 431);
        let big = format!("GET / HTTP/1.1\r\nHost: x\r\nX-A: {}\r\n", "a".repeat(70_000));
        assert_eq!(status(&big), 431);
    }

    #[test]
    fn keep_alive_rules() {
        assert!(!parse("GET / HTTP/1.0\r\n\r\n").unwrap().unwrap().keep_alive);
        assert!(
            parse("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
                .unwrap()
                .unwrap()
                .keep_alive
        );
        assert!(
            !parse("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                .unwrap()
                .unwrap()
                .keep_alive
        );
    }

    #[test]
    fn absolute_form() {
        let raw = "GET http://example.com/p?q HTTP/1.1\r\nHost: example.com\r\n\r\n";
        let mut h = parse(raw).unwrap().unwrap();
        let req = h.take_request(bytes::Bytes::from(raw), bytes::Bytes::new());
        assert_eq!(req.path(), "/p");
        assert_eq!(req.query(), Some("q"));
        assert_eq!(status("GET foo HTTP/1.1\r\nHost: x\r\n\r\n"), 400);
    }

    #[test]
    fn host_bytes() {
        // Letters, digits and the 16 others of RFC 3986's unreserved,
        // sub-delims and `%`; nothing else, whatever the byte.
        let allowed = b"-._~%!$&'()*+,;=";
        let mut accepted = 0;
        for b in 0..=255u8 {
            let ok = valid_host(&[b'a', b, b'z']);
            assert_eq!(
                ok,
                b.is_ascii_alphanumeric() || allowed.contains(&b),
                "byte {b:#04x}"
            );
            accepted += usize::from(ok);
        }
        assert_eq!(accepted, 62 + allowed.len());
        assert!(valid_host(b"example.com:8080"));
        assert!(valid_host(b""));
        assert!(!valid_host(b"a/b"));
        assert!(!valid_host(b"user@host"));
        assert!(!valid_host(b"a:1:2"));
        assert!(valid_host(b"127.0.0.1:65535"));
        assert!(valid_host(b"[::1]:8080"));
        assert!(!valid_host(b"a:123456"));
        assert!(!valid_host(b"a:8x"));
        assert!(!valid_host(b"a b:80"));
    }

    /// `valid_host` against the grammar written plainly, on 200,000 values
    /// made of the bytes that matter to it.
    #[test]
    fn valid_host_is_the_grammar() {
        fn reference(v: &[u8]) -> bool {
            let port = |p: &[u8]| match p {
                [] => true,
                [b':', d @ ..] => d.len() <= 5 && d.iter().all(u8::is_ascii_digit),
                _ => false,
            };
            if let Some(rest) = v.strip_prefix(b"[") {
                let Some(close) = rest.iter().position(|&b| b == b']') else {
                    return false;
                };
                return rest[..close]
                    .iter()
                    .all(|&b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
                    && port(&rest[close + 1..]);
            }
            let reg = |b: u8| b.is_ascii_alphanumeric() || b"-._~%!$&'()*+,;=".contains(&b);
            let host = v.iter().position(|&b| !reg(b)).unwrap_or(v.len());
            port(&v[host..])
        }
        let alphabet = b"a1:.[]/ @%9z\xff\x00-_";
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let cases = if cfg!(miri) { 200 } else { 200_000 };
        for _ in 0..cases {
            let len = (next() % 24) as usize;
            let v: Vec<u8> = (0..len)
                .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                .collect();
            assert_eq!(valid_host(&v), reference(&v), "{:?}", String::from_utf8_lossy(&v));
        }
    }

    /// `query_start` is `None` with a `#` anywhere, else the first `?`
    /// (the length without one), at every length and position of each,
    /// both, and bytes one bit away from them.
    #[test]
    fn query_start_finds_every_hash_and_the_first_question_mark() {
        let reference = |t: &[u8]| match t.contains(&b'#') {
            true => None,
            false => Some(t.iter().position(|&b| b == b'?').unwrap_or(t.len())),
        };
        let near = [
            b'#' ^ 1,
            b'#' ^ 0x80,
            b'"',
            b'$',
            b'?' ^ 1,
            b'?' ^ 0x80,
            b'>',
            b'@',
        ];
        for len in 0..40 {
            let clean = vec![b'a'; len];
            assert_eq!(query_start(&clean), Some(len), "{len}");
            for at in 0..len {
                for &b in [b'#', b'?'].iter().chain(&near) {
                    let mut t = clean.clone();
                    t[at] = b;
                    assert_eq!(query_start(&t), reference(&t), "{b:#x} at {at} of {len}");
                    for second in 0..len {
                        for other in [b'#', b'?'] {
                            let mut u = t.clone();
                            u[second] = other;
                            assert_eq!(query_start(&u), reference(&u), "{u:?}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn take_request_keeps_every_header_inline_or_spilled() {
        // Within the inline capacity the spans are copied; past it the heap
        // list is taken. Either way the request sees every header, in order.
        for n in [
            0,
            1,
            crate::request::INLINE_HEADERS - 1,
            crate::request::INLINE_HEADERS,
            40,
        ] {
            let mut raw = String::from("GET / HTTP/1.1\r\nHost: x\r\n");
            for i in 0..n {
                raw.push_str(&format!("X-H{i}: v{i}\r\n"));
            }
            raw.push_str("\r\n");
            let mut h = parse(&raw).unwrap().unwrap();
            assert_eq!(
                h.headers.spilled(),
                n + 1 > crate::request::INLINE_HEADERS,
                "{n} headers"
            );
            let req = h.take_request(
                bytes::Bytes::from(raw.clone()),
                bytes::Bytes::from_static(b"body"),
            );
            assert_eq!(req.headers().count(), n + 1, "{n} headers");
            for i in 0..n {
                assert_eq!(
                    req.header(&format!("x-h{i}")),
                    Some(format!("v{i}").as_bytes()),
                    "{n} headers"
                );
            }
            assert_eq!(req.header("host"), Some(&b"x"[..]));
            assert_eq!(&req.body()[..], b"body");
        }
    }

    #[test]
    fn version_and_expect() {
        assert_eq!(status("GET / HTTP/2.0\r\nHost: x\r\n\r\n"), 505);
        assert_eq!(status("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), 505);
        assert_eq!(status("GET / HTTP/1.2\r\nHost: x\r\n\r\n"), 505);
        // Not a version at all: a malformed request line.
        assert_eq!(status("THIS IS NOT HTTP\r\n\r\n"), 400);
        assert_eq!(status("GET / HTTP/1.10\r\nHost: x\r\n\r\n"), 400);
        assert_eq!(status("GET / http/1.1\r\nHost: x\r\n\r\n"), 400);
        assert_eq!(status("GET / HTTP/x.1\r\nHost: x\r\n\r\n"), 400);
        assert_eq!(status("GET / FTP/1.0\r\n\r\n"), 400);
        // A line still arriving: 505 while it can still be a version.
        assert_eq!(status("GET / HTTP/9"), 505);
        assert_eq!(status("GET / HTTX"), 400);
        assert_eq!(status("GET / HTTP/1.1\r\nHost: x\r\nExpect: magic\r\n\r\n"), 417);
    }
}
