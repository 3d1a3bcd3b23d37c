//! The response a [`Service`](crate::Service) hands back.

use std::pin::Pin;

use bytes::Bytes;
use futures_core::Stream;
use smallvec::SmallVec;

use crate::header::HeaderBytes;

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
    /// A streamed body; sent with chunked transfer coding (HTTP/1.1) or
    /// delimited by closing the connection (HTTP/1.0). Each chunk is written
    /// as soon as it is produced. The stream is dropped when it ends, fails,
    /// or the client goes away, so its `Drop` is the place for teardown.
    Stream(BodyStream),
}

impl std::fmt::Debug for Body {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Body::Empty => f.write_str("Body::Empty"),
            Body::Full(b) => f.debug_tuple("Body::Full").field(&b.len()).finish(),
            Body::Stream(_) => f.write_str("Body::Stream(..)"),
        }
    }
}

impl Body {
    /// Wraps a stream of chunks.
    pub fn stream<S>(stream: S) -> Body
    where
        S: Stream<Item = Result<Bytes, BoxError>> + 'static,
    {
        Body::Stream(Box::pin(stream))
    }
}

impl From<Bytes> for Body {
    fn from(b: Bytes) -> Body {
        Body::Full(b)
    }
}

impl From<Vec<u8>> for Body {
    fn from(b: Vec<u8>) -> Body {
        Body::Full(Bytes::from(b))
    }
}

impl From<&'static str> for Body {
    fn from(s: &'static str) -> Body {
        Body::Full(Bytes::from_static(s.as_bytes()))
    }
}

impl From<String> for Body {
    fn from(s: String) -> Body {
        Body::Full(Bytes::from(s))
    }
}

/// Inline capacity for response headers before spilling to the heap.
const INLINE_RESPONSE_HEADERS: usize = 4;

/// An HTTP response: status, header fields, body.
///
/// Header names are written exactly as given (casing kept, repeats kept, in
/// order). The engine owns framing: any `content-length` or
/// `transfer-encoding` set here is ignored and replaced by the real one, and
/// `date` is added from a per-thread cache.
///
/// ```
/// use jero_engine::{Body, Response};
/// let res = Response::new(201)
///     .with_header("content-type", "application/json")
///     .with_body(r#"{"ok":true}"#);
/// assert_eq!(res.status(), 201);
/// assert_eq!(res.headers().count(), 1);
/// assert!(matches!(res.body(), Body::Full(b) if b.len() == 11));
/// ```
#[derive(Debug)]
pub struct Response {
    status: u16,
    headers: SmallVec<[(HeaderBytes, HeaderBytes); INLINE_RESPONSE_HEADERS]>,
    body: Body,
}

impl Response {
    /// A response with the given status, no headers and no body.
    #[inline]
    pub fn new(status: u16) -> Response {
        Response {
            status,
            headers: SmallVec::new(),
            body: Body::Empty,
        }
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
    pub fn append_header(&mut self, name: impl Into<HeaderBytes>, value: impl Into<HeaderBytes>) {
        self.headers.push((name.into(), value.into()));
    }

    /// Builder form of [`Response::append_header`].
    #[inline]
    pub fn with_header(mut self, name: impl Into<HeaderBytes>, value: impl Into<HeaderBytes>) -> Response {
        self.append_header(name, value);
        self
    }

    /// The header fields, in order.
    pub fn headers(&self) -> impl Iterator<Item = (&[u8], &[u8])> {
        self.headers.iter().map(|(n, v)| (&n[..], &v[..]))
    }

    /// The first value of the header `name` (ASCII case-insensitive).
    pub fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name.as_bytes()))
            .map(|(_, v)| &v[..])
    }

    /// Removes every header named `name` (ASCII case-insensitive).
    pub fn remove_header(&mut self, name: &str) {
        self.headers
            .retain(|(n, _)| !n.eq_ignore_ascii_case(name.as_bytes()));
    }

    /// The body.
    #[inline]
    pub fn body(&self) -> &Body {
        &self.body
    }

    /// Replaces the body.
    #[inline]
    pub fn set_body(&mut self, body: impl Into<Body>) {
        self.body = body.into();
    }

    /// Builder form of [`Response::set_body`].
    #[inline]
    pub fn with_body(mut self, body: impl Into<Body>) -> Response {
        self.body = body.into();
        self
    }

    /// Splits the response into its parts.
    pub fn into_parts(self) -> (u16, Vec<(HeaderBytes, HeaderBytes)>, Body) {
        (self.status, self.headers.into_vec(), self.body)
    }

    pub(crate) fn raw_headers(&self) -> &[(HeaderBytes, HeaderBytes)] {
        &self.headers
    }

    pub(crate) fn take_body(&mut self) -> Body {
        std::mem::take(&mut self.body)
    }
}

impl From<Body> for Response {
    fn from(body: Body) -> Response {
        Response::new(200).with_body(body)
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
