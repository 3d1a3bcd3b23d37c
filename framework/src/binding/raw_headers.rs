//! `raw_headers`: the request's header fields exactly as sent.

use bytes::Bytes;

/// The request headers as sent: order, original casing and repeats kept;
/// lookups ignore ASCII case. Values are views into the request buffer.
///
/// ```
/// use jero::RawHeaders;
/// let req = jero::__private::parse_request(
///     &b"GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\nx-a: 2\r\n\r\n"[..],
/// );
/// let h = RawHeaders::from_request(&req);
/// assert_eq!(h.get("X-A"), Some(&b"1"[..]));
/// assert_eq!(h.get_all("x-a").count(), 2);
/// assert_eq!(h.names().collect::<Vec<_>>(), ["Host", "X-A", "x-a"]);
/// ```
#[derive(Clone, Debug, Default)]
pub struct RawHeaders {
    fields: Vec<(Bytes, Bytes)>,
}

impl RawHeaders {
    /// Collects the headers of an engine request (no copies of the bytes).
    pub fn from_request(req: &jero_engine::Request) -> RawHeaders {
        let head = req.head_bytes();
        let fields = req
            .headers()
            .map(|(n, v)| (head.slice_ref(n.as_bytes()), head.slice_ref(v)))
            .collect();
        RawHeaders { fields }
    }

    /// The first value of `name` (ASCII case-insensitive).
    pub fn get(&self, name: &str) -> Option<&[u8]> {
        self.fields
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name.as_bytes()))
            .map(|(_, v)| &v[..])
    }

    /// The first value of `name` as text, if it is valid UTF-8.
    pub fn get_str(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(jero_engine::text)
    }

    /// Every value of `name`, in order.
    pub fn get_all<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'s [u8]> + 's {
        self.fields
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name.as_bytes()))
            .map(|(_, v)| &v[..])
    }

    /// Every field line as `(name, value)`, in order, original casing.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.fields
            .iter()
            .map(|(n, v)| (std::str::from_utf8(n).unwrap_or(""), &v[..]))
    }

    /// Every header name in order, original casing, repeats kept.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.iter().map(|(n, _)| n)
    }

    /// The number of field lines.
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// Whether there are no header fields.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }
}
