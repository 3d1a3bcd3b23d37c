//! Typed response headers: a contract struct whose fields become headers.
//!
//! Field `x_rate_limit` is sent as `x-rate-limit` (serde renames are applied
//! first; a name with a `-` is only lowercased, any other has `_` turned
//! into `-` and its capitalized words split: `xRateLimit` and
//! `X_RATE_LIMIT` are `x-rate-limit`, `X-RateLimit-Limit` is
//! `x-ratelimit-limit`; see [`kebab_into`]). Flattened fields are headers
//! too, the entries of a flattened map included (an entry whose key is not
//! a header name is logged and left out). Scalars are sent as plain text,
//! booleans as `true`/`false`, nested structs and lists as JSON, and absent `Option` fields are omitted. A
//! field whose `Serialize` fails is logged and left out; the other headers
//! are still written. Each header is written straight into the response
//! head as it is serialized: no allocation and no intermediate copy per
//! header, except that a struct with a flattened field is serialized as a
//! map, whose keys serde hands over one by one (each is copied into a
//! `String` before its value comes).
//!
//! For a plain struct (no `rename_all`, `flatten`, generics and the like),
//! `#[jero::contract]` computes each header's `name: ` prefix at compile
//! time, and fields whose type is a [`HeaderScalar`] (integers, `bool`,
//! `String`, `&str`, `Box<str>`, `Cow<str>`, and `Option`s of them) are
//! written without serde: one bounds check, the prefix, the value (checked
//! for control bytes) and CRLF. Other types go through serde; both paths
//! send the same bytes.

use std::fmt::Write as _;

use jero_engine::{HeaderLine, LinePrefix, Response, ResponseBuf};
use serde::ser::{self, Impossible, Serialize, SerializeStruct};

/// Types usable as a response's typed headers: `()` (none) or a contract struct.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be used as typed response headers",
    note = "declare the headers as a #[jero::contract] struct (or use `()` for none)"
)]
pub trait HeaderContract {
    /// Whether one of the headers may be `content-type` (`true` unless it
    /// is known at compile time that none can): when none can, a JSON
    /// wrapper may write its response front to back, lines first
    /// ([`HeaderContract::write_lines`]), with its own content type last.
    const MAY_SET_CONTENT_TYPE: bool = true;
    /// Appends the headers to `res`; returns whether one of them was `content-type`.
    fn write_headers(&self, res: &mut Response) -> bool;
    /// Appends the headers to `lines`, for a response written front to
    /// back ([`ResponseBuf`]): `false`, with `lines` left as it may be,
    /// when they cannot all go there (a value written through serde, a
    /// `content-type` or a name the engine keeps, a value that would be
    /// refused); the caller then uses [`HeaderContract::write_headers`].
    /// The default: `false`.
    ///
    /// ```
    /// use jero::HeaderContract;
    /// use jero::engine::ResponseBuf;
    /// #[jero::contract]
    /// struct Rate { x_rate_limit: u32, x_request_id: String }
    /// let mut lines = ResponseBuf::new();
    /// let rate = Rate { x_rate_limit: 100, x_request_id: "r-1".into() };
    /// assert!(rate.write_lines(&mut lines));
    /// assert_eq!(lines.lines(), b"x-rate-limit: 100\r\nx-request-id: r-1\r\n");
    /// let split = Rate { x_rate_limit: 1, x_request_id: "r\r\nx-injected: 1".into() };
    /// assert!(!split.write_lines(&mut ResponseBuf::new()));
    /// ```
    #[inline]
    fn write_lines(&self, _lines: &mut ResponseBuf) -> bool {
        false
    }
    /// Whether [`HeaderContract::write_lines`] can succeed at all, known
    /// before a buffer is made for it: `false` when a header needs serde,
    /// is `content-type` or has a name the engine keeps (a constant once
    /// inlined; then only a refused value makes `write_lines` fail). The
    /// default: `false`.
    ///
    /// ```
    /// use jero::HeaderContract;
    /// #[jero::contract]
    /// struct Rate { x_rate_limit: u32 }
    /// #[jero::contract]
    /// struct Region { name: String }
    /// #[jero::contract]
    /// struct Placed { x_region: Region }
    /// assert!(Rate { x_rate_limit: 1 }.lines_possible());
    /// assert!(!Placed { x_region: Region { name: "eu".into() } }.lines_possible());
    /// ```
    #[inline]
    fn lines_possible(&self) -> bool {
        false
    }
    /// The schema of the headers (for OpenAPI), `None` for `()`.
    fn schema(generator: &mut schemars::SchemaGenerator) -> Option<schemars::Schema>;
}

impl HeaderContract for () {
    const MAY_SET_CONTENT_TYPE: bool = false;

    #[inline]
    fn write_headers(&self, _res: &mut Response) -> bool {
        false
    }

    #[inline(always)]
    fn write_lines(&self, _lines: &mut ResponseBuf) -> bool {
        true
    }

    #[inline(always)]
    fn lines_possible(&self) -> bool {
        true
    }

    fn schema(_: &mut schemars::SchemaGenerator) -> Option<schemars::Schema> {
        None
    }
}

impl<T: crate::Contract + Serialize> HeaderContract for T {
    const MAY_SET_CONTENT_TYPE: bool = T::__HEADERS_MAY_SET_CONTENT_TYPE;

    #[inline(always)]
    fn write_headers(&self, res: &mut Response) -> bool {
        match self.__write_headers(res) {
            Some(content_type) => content_type,
            None => write_with_serde(self, res),
        }
    }

    #[inline(always)]
    fn write_lines(&self, lines: &mut ResponseBuf) -> bool {
        self.__write_header_lines(lines)
    }

    #[inline(always)]
    fn lines_possible(&self) -> bool {
        self.__header_lines_possible()
    }

    fn schema(generator: &mut schemars::SchemaGenerator) -> Option<schemars::Schema> {
        Some(generator.subschema_for::<T>())
    }
}

/// Typed headers through serde, for structs whose wire names are only known
/// at run time (`rename_all`, flattening, and the like).
fn write_with_serde<T: Serialize>(value: &T, res: &mut Response) -> bool {
    let mut content_type = false;
    if let Err(e) = value.serialize(HeaderWriter {
        res,
        content_type: &mut content_type,
        key: None,
    }) {
        tracing::error!(error = %e.0, type_name = std::any::type_name::<T>(), "typed headers not written");
    }
    content_type
}

/// Writes the header name for a field's wire name into `out` (as much as
/// fits) and returns its full length.
///
/// A name written as a header (it has a `-`) is only lowercased:
/// `X-Request-ID` gives `x-request-id`, `X-RateLimit-Limit`
/// `x-ratelimit-limit`, `WWW-Authenticate` `www-authenticate`. Any other
/// name is a field's: `_` becomes `-`, letters are lowercased, and a `-`
/// goes before each word that starts with a capital (after a lowercase
/// letter or a digit, or after a capital when a lowercase letter follows):
/// `x_rate_limit`, `xRateLimit`, `XRateLimit` and `X_RATE_LIMIT` all give
/// `x-rate-limit`, `userID` `user-id`. (So `ETag` gives `e-tag`: write
/// `etag` for that one.) A `const fn`, so that `#[jero::contract]` computes
/// the names of typed headers at compile time with the same rule the serde
/// path applies at run time.
///
/// ```
/// fn kebab(key: &str) -> String {
///     let mut out = [0u8; 64];
///     let n = jero::__private::kebab_into(key.as_bytes(), &mut out);
///     String::from_utf8(out[..n].to_vec()).unwrap()
/// }
/// assert_eq!(kebab("x_rate_limit"), "x-rate-limit");
/// assert_eq!(kebab("xRateLimit"), "x-rate-limit");
/// assert_eq!(kebab("XRequestId"), "x-request-id");
/// assert_eq!(kebab("XApiKey"), "x-api-key");
/// assert_eq!(kebab("X_RATE_LIMIT"), "x-rate-limit");
/// assert_eq!(kebab("userID"), "user-id");
/// assert_eq!(kebab("retryAfter2Seconds"), "retry-after2-seconds");
/// assert_eq!(kebab("X-Request-ID"), "x-request-id");
/// assert_eq!(kebab("X-RateLimit-Limit"), "x-ratelimit-limit");
/// assert_eq!(kebab("Sec-WebSocket-Accept"), "sec-websocket-accept");
/// assert_eq!(kebab("etag"), "etag");
/// ```
pub const fn kebab_into(key: &[u8], out: &mut [u8]) -> usize {
    let mut as_header = false;
    let mut i = 0;
    while i < key.len() {
        if key[i] == b'-' {
            as_header = true;
        }
        i += 1;
    }
    let mut n = 0;
    let mut i = 0;
    while i < key.len() {
        let b = key[i];
        let dash = !as_header && b.is_ascii_uppercase() && i > 0 && {
            let prev = key[i - 1];
            let next_lower = i + 1 < key.len() && key[i + 1].is_ascii_lowercase();
            prev.is_ascii_lowercase() || prev.is_ascii_digit() || (prev.is_ascii_uppercase() && next_lower)
        };
        let c = if b == b'_' && !as_header {
            b'-'
        } else {
            b.to_ascii_lowercase()
        };
        i += 1;
        if dash {
            if n < out.len() {
                out[n] = b'-';
            }
            n += 1;
        }
        if n < out.len() {
            out[n] = c;
        }
        n += 1;
    }
    n
}

/// The length of a wire name's header name (`kebab_into`'s rule).
pub const fn header_name_len(key: &str) -> usize {
    kebab_into(key.as_bytes(), &mut [])
}

/// A wire name's header name as an array (`kebab_into`'s rule).
pub const fn header_name<const N: usize>(key: &str) -> [u8; N] {
    let mut out = [0u8; N];
    let n = kebab_into(key.as_bytes(), &mut out);
    assert!(n == N, "header_name: N must be header_name_len(key)");
    out
}

/// Calls `f` with the header name for a field's wire name, built on the
/// stack.
#[inline]
pub(crate) fn with_header_name<R>(key: &str, f: impl FnOnce(&[u8]) -> R) -> R {
    if key
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return f(key.as_bytes());
    }
    let mut out = [0u8; 64];
    let n = kebab_into(key.as_bytes(), &mut out);
    if n <= out.len() {
        f(&out[..n])
    } else {
        f(kebab(key).as_bytes())
    }
}

/// `x_rate_limit`, `xRateLimit` and `X-Rate-Limit` all give `x-rate-limit`.
pub(crate) fn kebab(key: &str) -> String {
    let mut out = vec![0u8; header_name_len(key)];
    kebab_into(key.as_bytes(), &mut out);
    // Only ASCII bytes change; the rest are copied whole.
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// A wire name's header line prefix, `name: ` (`kebab_into`'s rule), as an
/// array of `header_name_len(key) + 2` bytes.
pub const fn line_prefix<const N: usize>(key: &str) -> [u8; N] {
    let mut out = [0u8; N];
    let n = kebab_into(key.as_bytes(), &mut out);
    assert!(n + 2 == N, "line_prefix: N must be header_name_len(key) + 2");
    out[n] = b':';
    out[n + 1] = b' ';
    out
}

/// A typed header's names, computed at compile time by the code
/// `#[jero::contract]` generates for each field of a plain struct.
#[derive(Debug, Clone, Copy)]
pub struct FieldHeader {
    /// The field's wire name (for messages).
    pub key: &'static str,
    /// The header name (`kebab_into`'s rule: lowercase).
    pub name: &'static [u8],
    /// `name: `, checked; `None` for a name the engine refuses or writes
    /// itself (`content-length`, `date`, ...), which then takes the
    /// checked path.
    pub prefix: Option<LinePrefix>,
    /// Whether the header is `content-type`.
    pub content_type: bool,
}

impl FieldHeader {
    /// The names of the field `key`, given its header name and line prefix
    /// (from [`header_name`] and [`line_prefix`]).
    ///
    /// ```
    /// use jero::__private::{header_name, header_name_len, line_prefix, FieldHeader};
    /// const KEY: &str = "content_type";
    /// const NAME: [u8; header_name_len(KEY)] = header_name(KEY);
    /// const PREFIX: [u8; header_name_len(KEY) + 2] = line_prefix(KEY);
    /// const FIELD: FieldHeader = FieldHeader::new(KEY, &NAME, &PREFIX);
    /// assert!(FIELD.content_type && FIELD.prefix.is_some());
    /// ```
    pub const fn new(key: &'static str, name: &'static [u8], prefix: &'static [u8]) -> FieldHeader {
        FieldHeader {
            key,
            name,
            prefix: LinePrefix::from_static(prefix),
            // Header names from the kebab rule are lowercase.
            content_type: matches!(name, b"content-type"),
        }
    }
}

/// One typed header whose name was computed at compile time, through
/// serde (the fast path `#[jero::contract]` generates for values that are
/// not [`HeaderScalar`]s); returns whether it was written.
#[inline]
pub fn write_typed_header<T: ?Sized + Serialize>(res: &mut Response, field: &FieldHeader, value: &T) -> bool {
    let line = match field.prefix {
        Some(p) => res.header_line_prefixed(p),
        None => res.header_line(field.name),
    };
    match write_value(line, field.key, value) {
        Ok(written) => written,
        Err(e) => {
            tracing::error!(error = %e.0, "typed header not written");
            false
        }
    }
}

/// A typed header value written without serde: integers, `bool`, strings,
/// and `Option`s and references of them. Each is sent exactly as the serde
/// path would send it (numbers in decimal, `true`/`false`, text as is, an
/// absent `Option` omitted); `#[jero::contract]` picks this path for such
/// fields, and serde for every other type.
pub trait HeaderScalar {
    /// Appends the header `prefix` + value; `false` when the value is
    /// absent (nothing appended).
    fn append(&self, res: &mut Response, prefix: LinePrefix) -> bool;
    /// Writes the value into a started line; `false` when it is absent.
    fn push(&self, line: &mut HeaderLine<'_>) -> bool;
    /// Appends the header `prefix` + value to `lines` (nothing when the
    /// value is absent); `false` when it was refused.
    fn append_to(&self, lines: &mut ResponseBuf, prefix: LinePrefix) -> bool;
}

macro_rules! scalar_ints {
    ($append:ident, $push:ident, $wide:ty: $($ty:ty),*) => {$(
        impl HeaderScalar for $ty {
            #[inline(always)]
            fn append(&self, res: &mut Response, prefix: LinePrefix) -> bool {
                res.$append(prefix, *self as $wide);
                true
            }

            #[inline]
            fn push(&self, line: &mut HeaderLine<'_>) -> bool {
                line.$push(*self as $wide);
                true
            }

            #[inline(always)]
            fn append_to(&self, lines: &mut ResponseBuf, prefix: LinePrefix) -> bool {
                lines.$append(prefix, *self as $wide);
                true
            }
        }
    )*};
}

scalar_ints!(append_prefixed_u64, push_u64, u64: u8, u16, u32, u64, usize);
scalar_ints!(append_prefixed_i64, push_i64, i64: i8, i16, i32, i64, isize);

impl HeaderScalar for bool {
    #[inline(always)]
    fn append(&self, res: &mut Response, prefix: LinePrefix) -> bool {
        res.append_prefixed(prefix, if *self { b"true" } else { b"false" });
        true
    }

    #[inline]
    fn push(&self, line: &mut HeaderLine<'_>) -> bool {
        line.push(if *self { b"true" } else { b"false" });
        true
    }

    #[inline(always)]
    fn append_to(&self, lines: &mut ResponseBuf, prefix: LinePrefix) -> bool {
        lines.append_prefixed(prefix, if *self { b"true" } else { b"false" })
    }
}

macro_rules! scalar_text {
    ($($ty:ty),*) => {$(
        impl HeaderScalar for $ty {
            #[inline(always)]
            fn append(&self, res: &mut Response, prefix: LinePrefix) -> bool {
                res.append_prefixed(prefix, self.as_bytes());
                true
            }

            #[inline]
            fn push(&self, line: &mut HeaderLine<'_>) -> bool {
                line.push(self.as_bytes());
                true
            }

            #[inline(always)]
            fn append_to(&self, lines: &mut ResponseBuf, prefix: LinePrefix) -> bool {
                lines.append_prefixed(prefix, self.as_bytes())
            }
        }
    )*};
}

scalar_text!(
    str,
    String,
    Box<str>,
    std::borrow::Cow<'_, str>,
    std::sync::Arc<str>,
    std::rc::Rc<str>
);

impl<T: HeaderScalar + ?Sized> HeaderScalar for &T {
    #[inline(always)]
    fn append(&self, res: &mut Response, prefix: LinePrefix) -> bool {
        (**self).append(res, prefix)
    }

    #[inline]
    fn push(&self, line: &mut HeaderLine<'_>) -> bool {
        (**self).push(line)
    }

    #[inline(always)]
    fn append_to(&self, lines: &mut ResponseBuf, prefix: LinePrefix) -> bool {
        (**self).append_to(lines, prefix)
    }
}

impl<T: HeaderScalar> HeaderScalar for Option<T> {
    #[inline(always)]
    fn append(&self, res: &mut Response, prefix: LinePrefix) -> bool {
        match self {
            Some(v) => v.append(res, prefix),
            None => false,
        }
    }

    #[inline]
    fn push(&self, line: &mut HeaderLine<'_>) -> bool {
        match self {
            Some(v) => v.push(line),
            None => false,
        }
    }

    #[inline(always)]
    fn append_to(&self, lines: &mut ResponseBuf, prefix: LinePrefix) -> bool {
        match self {
            Some(v) => v.append_to(lines, prefix),
            None => true,
        }
    }
}

/// A typed header field, as the code `#[jero::contract]` generates sees it:
/// `(&&HeaderField(&value)).write_field(..)` resolves to [`ScalarField`]
/// for a [`HeaderScalar`] and to [`SerdeField`] for any other `Serialize`
/// type (method resolution tries the doubly referenced receiver first).
pub struct HeaderField<'a, T: ?Sized>(pub &'a T);

/// The [`HeaderScalar`] path of [`HeaderField`].
pub trait ScalarField {
    /// Writes the header; returns whether it was written.
    fn write_field(&self, res: &mut Response, field: &FieldHeader) -> bool;
    /// Appends the header to `lines`; `false` when it cannot go there (see
    /// [`HeaderContract::write_lines`]).
    fn write_line(&self, lines: &mut ResponseBuf, field: &FieldHeader) -> bool;
    /// Whether the header can go to a [`ResponseBuf`] at all (a name the
    /// engine does not keep, not `content-type`).
    fn line_possible(&self, field: &FieldHeader) -> bool;
}

impl<T: HeaderScalar + ?Sized> ScalarField for &HeaderField<'_, T> {
    #[inline(always)]
    fn write_field(&self, res: &mut Response, field: &FieldHeader) -> bool {
        match field.prefix {
            Some(p) => self.0.append(res, p),
            // A name the engine refuses or keeps for itself: the checked
            // path decides (a 500, or a dropped framing header).
            None => scalar_unchecked(res, field.name, self.0),
        }
    }

    #[inline(always)]
    fn write_line(&self, lines: &mut ResponseBuf, field: &FieldHeader) -> bool {
        match field.prefix {
            Some(p) if self.line_possible(field) => self.0.append_to(lines, p),
            _ => false,
        }
    }

    #[inline(always)]
    fn line_possible(&self, field: &FieldHeader) -> bool {
        field.prefix.is_some() && !field.content_type
    }
}

#[cold]
fn scalar_unchecked<T: HeaderScalar + ?Sized>(res: &mut Response, name: &[u8], value: &T) -> bool {
    let mut line = res.header_line(name);
    let written = value.push(&mut line);
    if written {
        line.finish();
    }
    written
}

/// The serde path of [`HeaderField`].
pub trait SerdeField {
    /// Writes the header; returns whether it was written.
    fn write_field(&self, res: &mut Response, field: &FieldHeader) -> bool;
    /// `false`: a value written through serde never goes to a [`ResponseBuf`].
    fn write_line(&self, lines: &mut ResponseBuf, field: &FieldHeader) -> bool;
    /// `false`, as `write_line`.
    fn line_possible(&self, field: &FieldHeader) -> bool;
}

impl<T: Serialize + ?Sized> SerdeField for HeaderField<'_, T> {
    #[inline]
    fn write_field(&self, res: &mut Response, field: &FieldHeader) -> bool {
        write_typed_header(res, field, self.0)
    }

    #[inline(always)]
    fn write_line(&self, _lines: &mut ResponseBuf, _field: &FieldHeader) -> bool {
        false
    }

    #[inline(always)]
    fn line_possible(&self, _field: &FieldHeader) -> bool {
        false
    }
}

/// Why typed headers could not be written.
#[derive(Debug)]
pub(crate) struct HeaderError(String);

impl std::fmt::Display for HeaderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for HeaderError {}

impl ser::Error for HeaderError {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        HeaderError(msg.to_string())
    }
}

fn unsupported(what: &str) -> HeaderError {
    HeaderError(format!("typed headers must be a struct, not {what}"))
}

struct HeaderWriter<'r> {
    res: &'r mut Response,
    content_type: &'r mut bool,
    /// The key of the map entry being written (a struct with a
    /// `#[serde(flatten)]` field is serialized as a map).
    key: Option<String>,
}

impl HeaderWriter<'_> {
    /// Writes the header for one field (or map entry) `key`. A map entry's
    /// key comes from the data: one that is not a header name is logged
    /// and left out (a field's name is the program's, and a bad one is
    /// refused with the response, as any header's).
    fn write_entry<T: ?Sized + Serialize>(&mut self, key: &str, value: &T, map_entry: bool) {
        let res = &mut *self.res;
        let content_type = &mut *self.content_type;
        with_header_name(key, |name| {
            if map_entry && !jero_engine::is_token(name) {
                tracing::error!(
                    key,
                    "typed header not written: a flattened map's key is not a header name"
                );
                return;
            }
            match write_value(res.header_line(name), key, value) {
                Ok(written) => *content_type |= written && name == b"content-type",
                // As on the compile-time path: this header is left out, the
                // others are still written.
                Err(e) => tracing::error!(error = %e.0, "typed header not written"),
            }
        });
    }
}

macro_rules! not_a_struct {
    ($($method:ident($($arg:ty),*) => $what:literal;)*) => {
        $(fn $method(self, $(_: $arg),*) -> Result<Self::Ok, Self::Error> { Err(unsupported($what)) })*
    };
}

impl<'r> ser::Serializer for HeaderWriter<'r> {
    type Ok = ();
    type Error = HeaderError;
    type SerializeSeq = Impossible<(), HeaderError>;
    type SerializeTuple = Impossible<(), HeaderError>;
    type SerializeTupleStruct = Impossible<(), HeaderError>;
    type SerializeTupleVariant = Impossible<(), HeaderError>;
    type SerializeMap = Self;
    type SerializeStruct = Self;
    type SerializeStructVariant = Impossible<(), HeaderError>;

    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<Self, HeaderError> {
        Ok(self)
    }

    fn serialize_unit(self) -> Result<(), HeaderError> {
        Ok(())
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), HeaderError> {
        Ok(())
    }

    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        v: &T,
    ) -> Result<(), HeaderError> {
        v.serialize(self)
    }

    not_a_struct! {
        serialize_bool(bool) => "a bool";
        serialize_i8(i8) => "a number";
        serialize_i16(i16) => "a number";
        serialize_i32(i32) => "a number";
        serialize_i64(i64) => "a number";
        serialize_u8(u8) => "a number";
        serialize_u16(u16) => "a number";
        serialize_u32(u32) => "a number";
        serialize_u64(u64) => "a number";
        serialize_f32(f32) => "a number";
        serialize_f64(f64) => "a number";
        serialize_char(char) => "a char";
        serialize_str(&str) => "a string";
        serialize_bytes(&[u8]) => "bytes";
        serialize_none() => "an option";
        serialize_unit_variant(&'static str, u32, &'static str) => "an enum";
    }

    fn serialize_some<T: ?Sized + Serialize>(self, v: &T) -> Result<(), HeaderError> {
        v.serialize(self)
    }

    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), HeaderError> {
        Err(unsupported("an enum"))
    }

    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, HeaderError> {
        Err(unsupported("a list"))
    }

    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, HeaderError> {
        Err(unsupported("a tuple"))
    }

    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, HeaderError> {
        Err(unsupported("a tuple struct"))
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, HeaderError> {
        Err(unsupported("an enum"))
    }

    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, HeaderError> {
        Ok(self)
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, HeaderError> {
        Err(unsupported("an enum"))
    }
}

impl SerializeStruct for HeaderWriter<'_> {
    type Ok = ();
    type Error = HeaderError;

    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), HeaderError> {
        self.write_entry(key, value, false);
        Ok(())
    }

    fn end(self) -> Result<(), HeaderError> {
        Ok(())
    }
}

/// A struct with a `#[serde(flatten)]` field: its entries, keyed by the
/// wire names of the fields (strings; another kind of key is refused).
impl ser::SerializeMap for HeaderWriter<'_> {
    type Ok = ();
    type Error = HeaderError;

    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result<(), HeaderError> {
        // An entry whose key is not a string, or not a header name, is left
        // out (logged); the others are still written.
        self.key = match serde_json::to_value(key) {
            Ok(serde_json::Value::String(key)) => Some(key),
            _ => {
                tracing::error!("typed header not written: a flattened map's key is not a string");
                None
            }
        };
        Ok(())
    }

    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), HeaderError> {
        if let Some(key) = self.key.take() {
            self.write_entry(&key, value, true);
        }
        Ok(())
    }

    fn end(self) -> Result<(), HeaderError> {
        Ok(())
    }
}

/// Writes one header's value; an absent optional value omits the header.
/// Returns whether the header was written.
#[inline]
fn write_value<T: ?Sized + Serialize>(
    mut line: HeaderLine<'_>,
    key: &str,
    value: &T,
) -> Result<bool, HeaderError> {
    match value.serialize(ValueWriter { line: &mut line }) {
        Ok(true) => {}
        // An absent optional header: dropping the line omits it.
        Ok(false) => return Ok(false),
        // Not a scalar (nothing written yet): sent as JSON.
        Err(Compound) => match sonic_rs::to_vec(value) {
            Ok(json) => line.push(&json),
            Err(e) => return Err(HeaderError(format!("header `{key}`: {e}"))),
        },
    }
    line.finish();
    Ok(true)
}

/// A value that is not a scalar: sent as JSON instead.
#[derive(Debug)]
struct Compound;

impl std::fmt::Display for Compound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("compound value")
    }
}

impl std::error::Error for Compound {}

impl ser::Error for Compound {
    fn custom<T: std::fmt::Display>(_msg: T) -> Self {
        Compound
    }
}

/// Serializes one field's value as header text straight into the
/// response head; `Ok(false)` omits the header.
struct ValueWriter<'a, 'r> {
    line: &'a mut HeaderLine<'r>,
}

macro_rules! formatted {
    ($($method:ident($ty:ty);)*) => {
        $(fn $method(self, v: $ty) -> Result<bool, Compound> {
            let _ = write!(self.line, "{v}");
            Ok(true)
        })*
    };
}

macro_rules! unsigned {
    ($($method:ident($ty:ty);)*) => {
        $(fn $method(self, v: $ty) -> Result<bool, Compound> {
            self.line.push_u64(u64::from(v));
            Ok(true)
        })*
    };
}

macro_rules! signed {
    ($($method:ident($ty:ty);)*) => {
        $(fn $method(self, v: $ty) -> Result<bool, Compound> {
            self.line.push_i64(i64::from(v));
            Ok(true)
        })*
    };
}

impl ser::Serializer for ValueWriter<'_, '_> {
    type Ok = bool;
    type Error = Compound;
    type SerializeSeq = Impossible<Self::Ok, Compound>;
    type SerializeTuple = Impossible<Self::Ok, Compound>;
    type SerializeTupleStruct = Impossible<Self::Ok, Compound>;
    type SerializeTupleVariant = Impossible<Self::Ok, Compound>;
    type SerializeMap = Impossible<Self::Ok, Compound>;
    type SerializeStruct = Impossible<Self::Ok, Compound>;
    type SerializeStructVariant = Impossible<Self::Ok, Compound>;

    fn serialize_bool(self, v: bool) -> Result<bool, Compound> {
        self.line.push(if v { b"true" } else { b"false" });
        Ok(true)
    }

    unsigned! { serialize_u8(u8); serialize_u16(u16); serialize_u32(u32); serialize_u64(u64); }
    signed! { serialize_i8(i8); serialize_i16(i16); serialize_i32(i32); serialize_i64(i64); }
    formatted! {
        serialize_i128(i128); serialize_u128(u128); serialize_f32(f32); serialize_f64(f64); serialize_char(char);
    }

    fn serialize_str(self, v: &str) -> Result<bool, Compound> {
        self.line.push(v.as_bytes());
        Ok(true)
    }

    fn serialize_bytes(self, v: &[u8]) -> Result<bool, Compound> {
        self.line.push(v);
        Ok(true)
    }

    fn serialize_none(self) -> Result<Self::Ok, Compound> {
        Ok(false)
    }

    fn serialize_some<T: ?Sized + Serialize>(self, v: &T) -> Result<Self::Ok, Compound> {
        v.serialize(self)
    }

    fn serialize_unit(self) -> Result<Self::Ok, Compound> {
        Ok(false)
    }

    fn serialize_unit_struct(self, _: &'static str) -> Result<Self::Ok, Compound> {
        Ok(false)
    }

    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<Self::Ok, Compound> {
        self.line.push(variant.as_bytes());
        Ok(true)
    }

    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        v: &T,
    ) -> Result<Self::Ok, Compound> {
        v.serialize(self)
    }

    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<Self::Ok, Compound> {
        Err(Compound)
    }

    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Compound> {
        Err(Compound)
    }

    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Compound> {
        Err(Compound)
    }

    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, Compound> {
        Err(Compound)
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Compound> {
        Err(Compound)
    }

    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Compound> {
        Err(Compound)
    }

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct, Compound> {
        Err(Compound)
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Compound> {
        Err(Compound)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(key: &str) -> String {
        with_header_name(key, |n| String::from_utf8(n.to_vec()).unwrap())
    }

    #[crate::contract]
    struct Plain {
        x_rate_limit: u32,
        r#type: String,
        #[serde(rename = "X-Trace")]
        trace: Option<String>,
        missing: Option<u32>,
        content_type: String,
        content_length: u32,
        nested: Vec<u8>,
    }

    #[crate::contract]
    #[serde(rename_all = "camelCase")]
    struct Renamed {
        x_rate_limit: u32,
    }

    /// `cfg_attr` can add serde attributes the macro cannot see.
    #[crate::contract]
    struct Conditional {
        #[cfg_attr(all(), serde(rename = "x-other"))]
        limit: u32,
    }

    #[test]
    fn cfg_attr_leaves_the_struct_to_serde() {
        use crate::Contract;
        let value = Conditional { limit: 1 };
        assert_eq!(value.__write_headers(&mut Response::new(200)), None);
        let mut res = Response::new(200);
        value.write_headers(&mut res);
        assert_eq!(res.header("x-other"), Some(&b"1"[..]));
    }

    fn head(res: &Response) -> Vec<(Vec<u8>, Vec<u8>)> {
        res.headers().map(|(n, v)| (n.to_vec(), v.to_vec())).collect()
    }

    #[test]
    fn compile_time_names_match_the_serde_path() {
        use crate::Contract;
        let value = Plain {
            x_rate_limit: 7,
            r#type: "gizmo".into(),
            trace: Some("t-1".into()),
            missing: None,
            content_type: "text/csv".into(),
            content_length: 99,
            nested: vec![1, 2],
        };
        let (mut fast, mut slow) = (Response::new(200), Response::new(200));
        assert_eq!(
            value.__write_headers(&mut fast),
            Some(true),
            "plain structs take the fast path"
        );
        assert!(write_with_serde(&value, &mut slow));
        assert_eq!(head(&fast), head(&slow));
        let expected: Vec<(Vec<u8>, Vec<u8>)> = [
            ("x-rate-limit", "7"),
            ("type", "gizmo"),
            ("x-trace", "t-1"),
            ("content-type", "text/csv"),
            ("nested", "[1,2]"),
        ]
        .iter()
        .map(|(n, v)| (n.as_bytes().to_vec(), v.as_bytes().to_vec()))
        .collect();
        assert_eq!(head(&fast), expected);

        let renamed = Renamed { x_rate_limit: 3 };
        assert_eq!(
            renamed.__write_headers(&mut Response::new(200)),
            None,
            "rename_all goes through serde"
        );
        let mut res = Response::new(200);
        assert!(!renamed.write_headers(&mut res));
        assert_eq!(res.header("x-rate-limit"), Some(&b"3"[..]));
    }

    /// Every scalar type the generated code writes without serde.
    #[crate::contract]
    struct Scalars {
        x_u8: u8,
        x_i16: i16,
        x_i64: i64,
        x_u64: u64,
        x_usize: usize,
        x_isize: isize,
        x_yes: bool,
        x_no: bool,
        x_text: String,
        x_boxed: Box<str>,
        x_cow: std::borrow::Cow<'static, str>,
        x_some: Option<bool>,
        x_none: Option<i32>,
        x_float: f64,
        x_char: char,
        connection: String,
        date: String,
    }

    fn scalars() -> Scalars {
        Scalars {
            x_u8: 255,
            x_i16: -32768,
            x_i64: i64::MIN,
            x_u64: u64::MAX,
            x_usize: 0,
            x_isize: -1,
            x_yes: true,
            x_no: false,
            x_text: "a b\tc".into(),
            x_boxed: "boxed".into(),
            x_cow: "cow".into(),
            x_some: Some(true),
            x_none: None,
            x_float: 1.5,
            x_char: 'z',
            connection: "keep-alive, close".into(),
            date: "yesterday".into(),
        }
    }

    #[test]
    fn scalars_are_written_as_serde_writes_them() {
        use crate::Contract;
        let value = scalars();
        let (mut fast, mut slow) = (Response::new(200), Response::new(200));
        assert_eq!(value.__write_headers(&mut fast), Some(false));
        assert!(!write_with_serde(&value, &mut slow));
        assert_eq!(head(&fast), head(&slow));
        let expected: Vec<(Vec<u8>, Vec<u8>)> = [
            ("x-u8", "255"),
            ("x-i16", "-32768"),
            ("x-i64", "-9223372036854775808"),
            ("x-u64", "18446744073709551615"),
            ("x-usize", "0"),
            ("x-isize", "-1"),
            ("x-yes", "true"),
            ("x-no", "false"),
            ("x-text", "a b\tc"),
            ("x-boxed", "boxed"),
            ("x-cow", "cow"),
            ("x-some", "true"),
            ("x-float", "1.5"),
            ("x-char", "z"),
        ]
        .iter()
        .map(|(n, v)| (n.as_bytes().to_vec(), v.as_bytes().to_vec()))
        .collect();
        assert_eq!(head(&fast), expected, "framing headers are not kept");
        assert!(
            fast.wants_close() && slow.wants_close(),
            "`connection: close` is remembered"
        );
        assert!(!fast.is_invalid() && !slow.is_invalid());
    }

    #[test]
    fn a_scalar_with_control_bytes_refuses_the_response_on_both_paths() {
        use crate::Contract;
        let value = Scalars {
            x_text: "1\r\nx-injected: 1".into(),
            ..scalars()
        };
        let (mut fast, mut slow) = (Response::new(200), Response::new(200));
        value.__write_headers(&mut fast);
        write_with_serde(&value, &mut slow);
        assert!(fast.is_invalid() && slow.is_invalid());
        assert!(head(&fast).iter().all(|(n, _)| n != b"x-injected"));
    }

    /// Scalars only.
    #[crate::contract]
    struct Few {
        x_rate_limit: u32,
        x_request_id: String,
        x_flag: Option<bool>,
        x_none: Option<i64>,
        x_neg: i16,
    }

    fn few() -> Few {
        Few {
            x_rate_limit: 100,
            x_request_id: "r1".into(),
            x_flag: Some(true),
            x_none: None,
            x_neg: -7,
        }
    }

    #[test]
    fn header_lines_are_the_response_path_lines() {
        use crate::Contract;
        let value = few();
        let mut lines = ResponseBuf::new();
        assert!(value.__write_header_lines(&mut lines));
        let mut res = Response::new(200);
        assert_eq!(value.__write_headers(&mut res), Some(false));
        assert_eq!(
            lines.lines(),
            b"x-rate-limit: 100\r\nx-request-id: r1\r\nx-flag: true\r\nx-neg: -7\r\n"
        );
        let framed = lines.respond(200, None, |_| Ok::<_, ()>(())).unwrap();
        assert_eq!(head(&framed), head(&res));
    }

    #[test]
    fn header_lines_refuse_what_only_a_response_can_take() {
        use crate::Contract;
        // A value with control bytes: the response path refuses it (500).
        let bad = Few {
            x_request_id: "1\r\nx-injected: 1".into(),
            ..few()
        };
        assert!(!bad.__write_header_lines(&mut ResponseBuf::new()));
        // Lines longer than a response holds inline go to the buffer too.
        let long = Few {
            x_request_id: "r".repeat(70),
            ..few()
        };
        let mut lines = ResponseBuf::new();
        assert!(long.__write_header_lines(&mut lines));
        let mut res = Response::new(200);
        long.__write_headers(&mut res);
        let framed = lines.respond(200, None, |_| Ok::<_, ()>(())).unwrap();
        assert_eq!(head(&framed), head(&res));
        // A field written through serde, a name the engine keeps, a
        // content type: each needs the response path.
        let marked = WithMarked {
            x_marked: Marked,
            x_list: vec![1],
        };
        assert!(!marked.__write_header_lines(&mut ResponseBuf::new()));
        let framing = Framing {
            connection: "close".into(),
        };
        assert!(!framing.__write_header_lines(&mut ResponseBuf::new()));
        let mut res = Response::new(200);
        assert_eq!(framing.__write_headers(&mut res), Some(false));
        assert!(res.wants_close() && res.headers().count() == 0);
        let typed = ContentTyped {
            content_type: "text/csv".into(),
        };
        assert!(!typed.__write_header_lines(&mut ResponseBuf::new()));
        // Each of those is known before a buffer is made; the scalars'
        // are not (only a refused value fails them).
        assert!(!marked.lines_possible() && !framing.lines_possible() && !typed.lines_possible());
        assert!(few().lines_possible() && long.lines_possible() && bad.lines_possible());
        const { assert!(<ContentTyped as HeaderContract>::MAY_SET_CONTENT_TYPE) };
        const { assert!(!<Few as HeaderContract>::MAY_SET_CONTENT_TYPE) };
    }

    #[crate::contract]
    struct ContentTyped {
        content_type: String,
    }

    /// A name the engine keeps (`connection: close` closes the connection).
    #[crate::contract]
    struct Framing {
        connection: String,
    }

    /// `Deserialize` (from `()`) and an empty schema, so that a test type
    /// can be a contract field; its `Serialize` is the point of the test.
    macro_rules! unit_contract_field {
        ($ty:ident) => {
            impl<'de> serde::Deserialize<'de> for $ty {
                fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                    <()>::deserialize(d).map(|()| $ty)
                }
            }

            impl schemars::JsonSchema for $ty {
                fn schema_name() -> std::borrow::Cow<'static, str> {
                    stringify!($ty).into()
                }
                fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                    schemars::json_schema!({})
                }
            }
        };
    }

    /// Written differently by the two paths, to see which one runs.
    struct Marked;

    impl HeaderScalar for Marked {
        fn append(&self, res: &mut Response, prefix: LinePrefix) -> bool {
            res.append_prefixed(prefix, b"scalar");
            true
        }
        fn push(&self, line: &mut HeaderLine<'_>) -> bool {
            line.push(b"scalar");
            true
        }
        fn append_to(&self, lines: &mut ResponseBuf, prefix: LinePrefix) -> bool {
            lines.append_prefixed(prefix, b"scalar")
        }
    }

    impl Serialize for Marked {
        fn serialize<S: ser::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_str("serde")
        }
    }

    unit_contract_field!(Marked);

    #[crate::contract]
    struct WithMarked {
        x_marked: Marked,
        x_list: Vec<u8>,
    }

    #[test]
    fn header_scalars_skip_serde_and_other_types_use_it() {
        use crate::Contract;
        let mut res = Response::new(200);
        let value = WithMarked {
            x_marked: Marked,
            x_list: vec![1],
        };
        assert_eq!(value.__write_headers(&mut res), Some(false));
        assert_eq!(res.header("x-marked"), Some(&b"scalar"[..]));
        assert_eq!(res.header("x-list"), Some(&b"[1]"[..]));
    }

    /// A field whose `Serialize` fails (as a custom impl may).
    #[derive(Debug)]
    struct Fails;

    impl Serialize for Fails {
        fn serialize<S: ser::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
            Err(ser::Error::custom("no header text for this"))
        }
    }

    unit_contract_field!(Fails);

    #[crate::contract]
    struct OneFails {
        x_before: u32,
        x_broken: Fails,
        x_after: bool,
    }

    #[crate::contract]
    #[serde(rename_all = "kebab-case")]
    struct OneFailsRenamed {
        x_before: u32,
        x_broken: Fails,
        x_after: bool,
    }

    #[test]
    fn a_failing_header_is_left_out_on_both_paths() {
        use crate::Contract;
        let expected: Vec<(Vec<u8>, Vec<u8>)> = vec![
            (b"x-before".to_vec(), b"1".to_vec()),
            (b"x-after".to_vec(), b"true".to_vec()),
        ];
        let fast = OneFails {
            x_before: 1,
            x_broken: Fails,
            x_after: true,
        };
        let mut res = Response::new(200);
        assert_eq!(fast.__write_headers(&mut res), Some(false));
        assert_eq!(head(&res), expected);
        assert!(!res.is_invalid());

        let slow = OneFailsRenamed {
            x_before: 1,
            x_broken: Fails,
            x_after: true,
        };
        let mut res = Response::new(200);
        assert_eq!(slow.__write_headers(&mut Response::new(200)), None);
        assert!(!slow.write_headers(&mut res));
        assert_eq!(head(&res), expected);
        assert!(!res.is_invalid());
    }

    #[test]
    fn const_names() {
        const NAME: [u8; header_name_len("retryAfter_seconds")] = header_name("retryAfter_seconds");
        assert_eq!(&NAME, b"retry-after-seconds");
        // Written as a header: only lowercased.
        assert_eq!(kebab("X-RateLimit"), "x-ratelimit");
        assert_eq!(kebab("XRateLimit"), "x-rate-limit");
    }

    #[test]
    fn names() {
        assert_eq!(name("x_rate_limit"), "x-rate-limit");
        assert_eq!(name("xRateLimit"), "x-rate-limit");
        assert_eq!(name("X-Custom"), "x-custom");
        assert_eq!(name("location"), "location");
        assert_eq!(name("retry_after"), "retry-after");
        let long = "a_".repeat(40);
        assert_eq!(name(&long), "a-".repeat(40));
    }
}
