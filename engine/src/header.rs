//! Header names and values without per-response allocations.

use bytes::Bytes;

/// Longest value stored inline (no allocation).
const INLINE: usize = 30;

/// Bytes of a response header name or value.
///
/// Static text and shared [`Bytes`] are kept by reference; short owned
/// values (numbers, short strings, up to 30 bytes) are stored inline, so
/// typical typed headers cost no allocation.
///
/// ```
/// use jero_engine::HeaderBytes;
/// let a = HeaderBytes::from("x-rate-limit");
/// let b = HeaderBytes::copy_from_slice(b"42");
/// assert_eq!(a.as_bytes(), b"x-rate-limit");
/// assert_eq!(b.as_bytes(), b"42");
/// assert_eq!(HeaderBytes::copy_from_slice(&[b'a'; 100]).as_bytes().len(), 100);
/// ```
#[derive(Clone)]
pub struct HeaderBytes(Repr);

#[derive(Clone)]
enum Repr {
    Static(&'static [u8]),
    Shared(Bytes),
    Inline { len: u8, buf: [u8; INLINE] },
}

impl HeaderBytes {
    /// Copies `bytes`, inline when short.
    #[inline]
    pub fn copy_from_slice(bytes: &[u8]) -> HeaderBytes {
        if bytes.len() <= INLINE {
            let mut buf = [0u8; INLINE];
            buf[..bytes.len()].copy_from_slice(bytes);
            HeaderBytes(Repr::Inline {
                len: bytes.len() as u8,
                buf,
            })
        } else {
            HeaderBytes(Repr::Shared(Bytes::copy_from_slice(bytes)))
        }
    }

    /// A static value (no copy).
    #[inline]
    pub const fn from_static(bytes: &'static [u8]) -> HeaderBytes {
        HeaderBytes(Repr::Static(bytes))
    }

    /// The bytes.
    #[inline]
    pub fn as_bytes(&self) -> &[u8] {
        match &self.0 {
            Repr::Static(s) => s,
            Repr::Shared(b) => b,
            Repr::Inline { len, buf } => &buf[..*len as usize],
        }
    }
}

impl std::ops::Deref for HeaderBytes {
    type Target = [u8];

    #[inline]
    fn deref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl AsRef<[u8]> for HeaderBytes {
    #[inline]
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl std::fmt::Debug for HeaderBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(self.as_bytes()))
    }
}

impl PartialEq for HeaderBytes {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for HeaderBytes {}

impl From<&'static str> for HeaderBytes {
    #[inline]
    fn from(s: &'static str) -> Self {
        HeaderBytes(Repr::Static(s.as_bytes()))
    }
}

impl From<&'static [u8]> for HeaderBytes {
    #[inline]
    fn from(s: &'static [u8]) -> Self {
        HeaderBytes(Repr::Static(s))
    }
}

impl From<Bytes> for HeaderBytes {
    #[inline]
    fn from(b: Bytes) -> Self {
        HeaderBytes(Repr::Shared(b))
    }
}

impl From<String> for HeaderBytes {
    #[inline]
    fn from(s: String) -> Self {
        if s.len() <= INLINE {
            HeaderBytes::copy_from_slice(s.as_bytes())
        } else {
            HeaderBytes(Repr::Shared(Bytes::from(s)))
        }
    }
}

impl From<Vec<u8>> for HeaderBytes {
    #[inline]
    fn from(v: Vec<u8>) -> Self {
        if v.len() <= INLINE {
            HeaderBytes::copy_from_slice(&v)
        } else {
            HeaderBytes(Repr::Shared(Bytes::from(v)))
        }
    }
}

impl From<HeaderBytes> for Bytes {
    fn from(h: HeaderBytes) -> Bytes {
        match h.0 {
            Repr::Static(s) => Bytes::from_static(s),
            Repr::Shared(b) => b,
            Repr::Inline { len, buf } => Bytes::copy_from_slice(&buf[..len as usize]),
        }
    }
}

/// A header name checked once: an RFC 9110 token that is not one of the
/// framing headers the engine writes itself (`content-length`,
/// `transfer-encoding`, `date`, `connection`). Lines started from one
/// ([`Response::header_line_named`](crate::Response::header_line_named))
/// skip the name checks, which pays off for names used on every response.
///
/// ```
/// use jero_engine::HeaderName;
/// let name = HeaderName::new(b"x-rate-limit").unwrap();
/// assert_eq!(name.as_bytes(), b"x-rate-limit");
/// assert!(HeaderName::new(b"bad name").is_none());
/// assert!(HeaderName::new(b"Content-Length").is_none());
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct HeaderName(HeaderBytes);

impl HeaderName {
    /// Checks and copies `name` (inline when short); `None` when it is not a
    /// token or names a framing header.
    pub fn new(name: &[u8]) -> Option<HeaderName> {
        (crate::encode::is_token(name) && !crate::encode::is_framing_header(name))
            .then(|| HeaderName(HeaderBytes::copy_from_slice(name)))
    }

    /// [`HeaderName::new`] for a static name, usable in a `const` (the
    /// check runs at compile time there).
    ///
    /// ```
    /// use jero_engine::HeaderName;
    /// const RATE: Option<HeaderName> = HeaderName::from_static(b"x-rate-limit");
    /// assert!(RATE.is_some());
    /// const DATE: Option<HeaderName> = HeaderName::from_static(b"date");
    /// assert!(DATE.is_none());
    /// ```
    pub const fn from_static(name: &'static [u8]) -> Option<HeaderName> {
        if crate::encode::is_token(name) && !crate::encode::is_framing_header(name) {
            Some(HeaderName(HeaderBytes::from_static(name)))
        } else {
            None
        }
    }

    /// The name's bytes.
    #[inline]
    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl std::fmt::Debug for HeaderName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// The start of a header line, `name: `, checked once (in a `const`, at
/// compile time): the name is a token and not one of the framing headers
/// the engine writes itself. [`Response::append_prefixed`] appends a header
/// from it with one bounds check and no name checks, which is what typed
/// headers use on every response.
///
/// [`Response::append_prefixed`]: crate::Response::append_prefixed
///
/// ```
/// use jero_engine::LinePrefix;
/// const RATE: Option<LinePrefix> = LinePrefix::from_static(b"x-rate-limit: ");
/// assert_eq!(RATE.unwrap().name(), b"x-rate-limit");
/// assert!(LinePrefix::from_static(b"x-rate-limit").is_none()); // no `: `
/// assert!(LinePrefix::from_static(b"bad name: ").is_none());
/// assert!(LinePrefix::from_static(b"Content-Length: ").is_none());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinePrefix(&'static [u8]);

impl LinePrefix {
    /// Checks `prefix`: a header name followed by `: `. `None` when it is
    /// not of that form, the name is not a token, or it names a framing
    /// header.
    pub const fn from_static(prefix: &'static [u8]) -> Option<LinePrefix> {
        let n = prefix.len();
        if n < 3 || prefix[n - 2] != b':' || prefix[n - 1] != b' ' {
            return None;
        }
        let (name, _) = prefix.split_at(n - 2);
        if crate::encode::is_token(name) && !crate::encode::is_framing_header(name) {
            Some(LinePrefix(prefix))
        } else {
            None
        }
    }

    /// The whole prefix, `name: `.
    #[inline(always)]
    pub fn as_bytes(&self) -> &'static [u8] {
        self.0
    }

    /// The header name.
    #[inline]
    pub fn name(&self) -> &'static [u8] {
        &self.0[..self.0.len() - 2]
    }
}
