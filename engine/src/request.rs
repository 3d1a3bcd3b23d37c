//! The parsed request handed to a [`Service`](crate::Service).

use bytes::Bytes;
use smallvec::SmallVec;

/// `bytes` as text, when it is UTF-8: `str::from_utf8(bytes).ok()`, made
/// cheap for the short ASCII strings a request is made of.
///
/// Request text (method, target, header names and values) is nearly always
/// ASCII, and `str::from_utf8` costs ~100 instructions even on a ten-byte
/// path, once per call: `bash perf/instructions.sh` counted it at 2-3 % of
/// a plaintext request's user-space work. So ASCII is checked a word at a
/// time first, and only other input goes through the full validation.
/// The framework's binders read header values through it.
///
/// ```
/// assert_eq!(jero_engine::text(b"Bearer token"), Some("Bearer token"));
/// assert_eq!(jero_engine::text("caf\u{e9}".as_bytes()), Some("caf\u{e9}"));
/// assert_eq!(jero_engine::text(b"caf\xe9"), None); // Latin-1, not UTF-8
/// ```
#[inline]
pub fn text(bytes: &[u8]) -> Option<&str> {
    if is_ascii(bytes) {
        // SAFETY: every byte of `bytes` is below 0x80 (checked just above),
        // and a sequence of ASCII bytes is valid UTF-8.
        Some(unsafe { std::str::from_utf8_unchecked(bytes) })
    } else {
        std::str::from_utf8(bytes).ok()
    }
}

/// Whether every byte is ASCII; 4 to 16 bytes in two overlapping loads,
/// no loop.
#[inline]
fn is_ascii(b: &[u8]) -> bool {
    match crate::encode::short_words(b) {
        Some([first, last]) => (first | last) & crate::encode::HIGH_BITS == 0,
        None => b.is_ascii(),
    }
}

/// An HTTP request method.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Method {
    /// `GET`
    Get,
    /// `HEAD`
    Head,
    /// `POST`
    Post,
    /// `PUT`
    Put,
    /// `PATCH`
    Patch,
    /// `DELETE`
    Delete,
    /// `OPTIONS`
    Options,
    /// `CONNECT`
    Connect,
    /// `TRACE`
    Trace,
    /// Any other (extension) method; see [`Request::method_str`].
    Other,
}

impl Method {
    /// Maps a method token to its variant.
    pub fn from_bytes(token: &[u8]) -> Method {
        match token {
            b"GET" => Method::Get,
            b"HEAD" => Method::Head,
            b"POST" => Method::Post,
            b"PUT" => Method::Put,
            b"PATCH" => Method::Patch,
            b"DELETE" => Method::Delete,
            b"OPTIONS" => Method::Options,
            b"CONNECT" => Method::Connect,
            b"TRACE" => Method::Trace,
            _ => Method::Other,
        }
    }

    /// The method's token, or `None` for [`Method::Other`].
    pub fn as_str(self) -> Option<&'static str> {
        Some(match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
            Method::Options => "OPTIONS",
            Method::Connect => "CONNECT",
            Method::Trace => "TRACE",
            Method::Other => return None,
        })
    }
}

/// The HTTP version of a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Version {
    /// HTTP/1.0
    Http10,
    /// HTTP/1.1
    Http11,
}

/// A byte range into the request head. Heads are bounded by
/// [`Limits::HEAD_CAP`](crate::Limits::HEAD_CAP) (64 KiB - 1), so `u16`
/// offsets suffice and a header costs 8 bytes in the request: the request
/// is moved several times per exchange, so its size is measurable time.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Span {
    pub(crate) start: u16,
    pub(crate) end: u16,
}

impl Span {
    pub(crate) fn new(start: usize, len: usize) -> Span {
        debug_assert!(start + len <= crate::Limits::HEAD_CAP);
        Span {
            start: start as u16,
            end: (start + len) as u16,
        }
    }

    #[inline]
    pub(crate) fn get<'a>(&self, buf: &'a [u8]) -> &'a [u8] {
        &buf[self.start as usize..self.end as usize]
    }
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct HeaderSpan {
    pub(crate) name: Span,
    pub(crate) value: Span,
}

/// Inline capacity for header spans; requests with more spill to the heap.
pub(crate) const INLINE_HEADERS: usize = 16;

/// A parsed HTTP/1.x request.
///
/// The head and the body are [`Bytes`] views into the connection's read
/// buffer: nothing is copied while parsing. Header names and values are
/// exposed as slices of that buffer, in the order and casing they were sent.
#[derive(Clone, Debug)]
pub struct Request {
    pub(crate) head: Bytes,
    pub(crate) method: Method,
    pub(crate) method_span: Span,
    pub(crate) target: Span,
    pub(crate) path_end: u32,
    pub(crate) path_start: u32,
    pub(crate) version: Version,
    pub(crate) keep_alive: bool,
    pub(crate) headers: SmallVec<[HeaderSpan; INLINE_HEADERS]>,
    pub(crate) body: Bytes,
    /// What [`Service::before_body`](crate::Service::before_body) left
    /// for [`Service::call`](crate::Service::call).
    pub(crate) carried: Carried,
}

/// A value a service keeps with a request from `before_body` to `call`
/// ([`Request::carry`]). A clone of the request carries nothing. `Send`
/// keeps the request `Send`; the wrapper keeps it `Sync` (the value is
/// never reached through `&`).
#[derive(Default)]
pub(crate) struct Carried(sync_wrapper::SyncWrapper<Option<CarriedValue>>);

// A request can be handed to another thread (and shared with one).
const _: fn() = || {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Request>();
};

/// What [`Request::carry_boxed`] keeps.
pub type CarriedValue = Box<dyn std::any::Any + Send>;

impl Clone for Carried {
    fn clone(&self) -> Carried {
        Carried::default()
    }
}

impl std::fmt::Debug for Carried {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Carried(..)")
    }
}

impl Request {
    /// Keeps `value` with the request, for the service's own later look
    /// ([`Request::take_carried`]): what
    /// [`Service::before_body`](crate::Service::before_body) found (an
    /// authenticated user, say), for [`Service::call`](crate::Service::call)
    /// not to find it again once the body has arrived. A clone of the
    /// request carries nothing.
    ///
    /// ```
    /// # let mut req = jero_engine::Request::parse(&b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"[..]).unwrap();
    /// req.carry(42u32);
    /// assert_eq!(req.take_carried::<String>(), None); // another type: left
    /// assert_eq!(req.take_carried::<u32>(), Some(42));
    /// assert_eq!(req.take_carried::<u32>(), None);
    /// ```
    pub fn carry<T: std::any::Any + Send>(&mut self, value: T) {
        self.carry_boxed(Box::new(value));
    }

    /// [`Request::carry`] for a value already boxed.
    pub fn carry_boxed(&mut self, value: CarriedValue) {
        *self.carried.0.get_mut() = Some(value);
    }

    /// Takes back what [`Request::carry`] kept, when it is a `T`.
    #[inline]
    pub fn take_carried<T: std::any::Any>(&mut self) -> Option<T> {
        let carried = self.take_carried_boxed()?;
        match carried.downcast::<T>() {
            Ok(value) => Some(*value),
            Err(other) => {
                self.carry_boxed(other);
                None
            }
        }
    }

    /// Takes back what [`Request::carry`] kept, boxed.
    #[inline]
    pub fn take_carried_boxed(&mut self) -> Option<CarriedValue> {
        self.carried.0.get_mut().take()
    }

    /// The request method.
    #[inline]
    pub fn method(&self) -> Method {
        self.method
    }

    /// The method token as sent (useful for [`Method::Other`]).
    pub fn method_str(&self) -> &str {
        // The parser only accepts token characters (ASCII) for the method.
        text(self.method_span.get(&self.head)).unwrap_or("")
    }

    /// The request target as sent: origin form (`/a/b?c`), absolute form
    /// (`http://host/a`), or `*`.
    #[inline]
    pub fn target(&self) -> &str {
        // Validated as UTF-8 when the head was parsed.
        text(self.target.get(&self.head)).unwrap_or("")
    }

    /// The path of the target, still percent-encoded, without the query.
    /// For an absolute-form target this is the part after the authority
    /// (`/` when empty); for `*` it is `*`.
    #[inline]
    pub fn path(&self) -> &str {
        let bytes = &self.head[self.path_start as usize..self.path_end as usize];
        match text(bytes) {
            Some("") | None => "/",
            Some(p) => p,
        }
    }

    /// The raw query string after `?`, if any (without the `?`).
    #[inline]
    pub fn query(&self) -> Option<&str> {
        let end = self.target.end as usize;
        let p = self.path_end as usize;
        if p < end {
            text(&self.head[p + 1..end])
        } else {
            None
        }
    }

    /// The HTTP version.
    #[inline]
    pub fn version(&self) -> Version {
        self.version
    }

    /// Whether the client asked to keep the connection open: HTTP/1.1
    /// unless `Connection: close`, HTTP/1.0 with `Connection: keep-alive`.
    ///
    /// ```
    /// use jero_engine::Request;
    /// assert!(Request::parse(&b"GET / HTTP/1.1\r\nhost: a\r\n\r\n"[..]).unwrap().wants_keep_alive());
    /// assert!(!Request::parse(&b"GET / HTTP/1.0\r\n\r\n"[..]).unwrap().wants_keep_alive());
    /// let close = Request::parse(&b"GET / HTTP/1.1\r\nhost: a\r\nconnection: close\r\n\r\n"[..]);
    /// assert!(!close.unwrap().wants_keep_alive());
    /// ```
    #[inline]
    pub fn wants_keep_alive(&self) -> bool {
        self.keep_alive
    }

    /// The number of header fields.
    #[inline]
    pub fn header_count(&self) -> usize {
        self.headers.len()
    }

    /// Every header field in the order sent: `(name, value)`, original casing,
    /// repeats kept.
    #[inline]
    pub fn headers(&self) -> impl ExactSizeIterator<Item = (&str, &[u8])> + '_ {
        self.headers.iter().map(move |h| {
            // Header names are validated tokens (ASCII) by the parser.
            let name = text(h.name.get(&self.head)).unwrap_or("");
            (name, h.value.get(&self.head))
        })
    }

    /// The value of the first header named `name` (ASCII case-insensitive).
    #[inline]
    pub fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// The whole request head as received (request line and header lines).
    #[inline]
    pub fn head_bytes(&self) -> &Bytes {
        &self.head
    }

    /// The request body (already de-chunked), empty when there is none.
    #[inline]
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// Takes the body out of the request, leaving it empty.
    #[inline]
    pub fn take_body(&mut self) -> Bytes {
        std::mem::take(&mut self.body)
    }

    /// Builds a request from the raw bytes of one request, head and body.
    ///
    /// Meant for tests, benchmarks and in-process drivers (such as a test
    /// client) that want the server's exact parsing rules without a socket.
    /// The body is framed as the server frames it, with the default
    /// [`Limits`](crate::Limits): `Content-Length` bytes (a view into `raw`,
    /// uncopied; what follows would be the next request and is left out) or
    /// the decoded chunks, over the limit 413, a malformed chunk 400, and a
    /// head or body cut short 408 (what a server answers once it stops
    /// waiting for the rest).
    ///
    /// ```
    /// use jero_engine::{Method, Request};
    /// let req = Request::parse(&b"GET /a?b=1 HTTP/1.1\r\nHost: x\r\n\r\n"[..]).unwrap();
    /// assert_eq!(req.method(), Method::Get);
    /// assert_eq!(req.path(), "/a");
    /// assert_eq!(req.query(), Some("b=1"));
    /// assert_eq!(req.header("host"), Some(&b"x"[..]));
    ///
    /// let chunked = &b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"[..];
    /// assert_eq!(Request::parse(chunked).unwrap().body().as_ref(), b"hello");
    /// let short = &b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 9\r\n\r\nhello"[..];
    /// assert_eq!(Request::parse(short).unwrap_err().status, 408);
    /// ```
    pub fn parse(raw: impl Into<Bytes>) -> Result<Request, crate::ParseError> {
        Request::parse_with(raw, &crate::Limits::default())
    }

    /// [`Request::parse`] under `limits`, as a server configured with them
    /// parses.
    ///
    /// ```
    /// use jero_engine::{Limits, Request};
    /// let small = Limits { max_body_size: 4, ..Limits::default() };
    /// let raw = &b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"[..];
    /// assert_eq!(Request::parse_with(raw, &small).unwrap_err().status, 413);
    /// assert_eq!(Request::parse(raw).unwrap().body().as_ref(), b"hello");
    /// ```
    pub fn parse_with(raw: impl Into<Bytes>, limits: &crate::Limits) -> Result<Request, crate::ParseError> {
        use crate::parse::Framing;
        use crate::ParseError;
        let raw: Bytes = raw.into();
        let Some(mut head) = crate::parse::parse_head(&raw, limits)? else {
            // A server would wait for the rest, then give up.
            return Err(ParseError::new(408, "request head not received in time"));
        };
        let head_len = head.head_len;
        let rest = raw.slice(head_len..);
        let body = match head.framing {
            Framing::Empty => Bytes::new(),
            Framing::Length(n) if n > limits.max_body_size as u64 => {
                return Err(ParseError::new(413, "request body too large"));
            }
            Framing::Length(n) => match rest.get(..n as usize) {
                Some(_) => rest.slice(..n as usize),
                None => return Err(ParseError::new(408, "request body not received in time")),
            },
            Framing::Chunked => {
                let mut decoder =
                    crate::chunked::ChunkedDecoder::new(limits.max_body_size, limits.max_head_size);
                let mut src = bytes::BytesMut::from(&rest[..]);
                let mut out = bytes::BytesMut::new();
                match decoder.decode(&mut src, &mut out)? {
                    true => out.freeze(),
                    false => return Err(ParseError::new(408, "request body not received in time")),
                }
            }
        };
        Ok(head.take_request(raw.slice(..head_len), body))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_ascii_agrees_with_std_at_every_length_and_position() {
        for len in 0..=40 {
            let clean = vec![b'a'; len];
            assert!(is_ascii(&clean), "len {len}");
            assert_eq!(text(&clean), Some(std::str::from_utf8(&clean).unwrap()));
            for at in 0..len {
                for high in [0x80u8, 0xc3, 0xff] {
                    let mut dirty = clean.clone();
                    dirty[at] = high;
                    assert!(!is_ascii(&dirty), "len {len}, {high:#x} at {at}");
                    assert_eq!(is_ascii(&dirty), dirty.is_ascii());
                }
            }
        }
    }

    #[test]
    fn text_validates_what_is_not_ascii() {
        assert_eq!(text("/café".as_bytes()), Some("/café"));
        assert_eq!(text("ü".as_bytes()), Some("ü"));
        assert_eq!(text(b"/caf\xc3"), None);
        assert_eq!(text(b"\xff"), None);
        assert_eq!(text(b""), Some(""));
    }

    #[test]
    fn non_ascii_targets_keep_their_text() {
        let req = Request::parse(
            "GET /café/ü?q=é&x HTTP/1.1\r\nHost: x\r\n\r\n"
                .as_bytes()
                .to_vec(),
        )
        .unwrap();
        assert_eq!(req.path(), "/café/ü");
        assert_eq!(req.query(), Some("q=é&x"));
        assert_eq!(req.target(), "/café/ü?q=é&x");
        let req = Request::parse(&b"GET http://h/\xc3\xa9 HTTP/1.1\r\nHost: h\r\n\r\n"[..]).unwrap();
        assert_eq!(req.path(), "/é");
        // Bytes that are not UTF-8 never reach a `&str`: httparse refuses them.
        assert!(Request::parse(&b"GET /\xff HTTP/1.1\r\nHost: h\r\n\r\n"[..]).is_err());
    }
}
