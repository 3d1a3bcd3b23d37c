//! Typed response headers: a contract struct whose fields become headers.
//!
//! Field `x_rate_limit` is sent as `x-rate-limit` (serde renames are applied
//! first, then the name is lowercased with `_` and camel humps turned into
//! `-`). Scalars are sent as plain text, booleans as `true`/`false`, nested
//! structs and lists as JSON, and absent `Option` fields are omitted. Short
//! names and values are stored inline: no allocation per header.

use std::fmt::Write as _;

use jero_engine::{HeaderBytes, Response};
use serde::ser::{self, Impossible, Serialize, SerializeStruct};

/// Types usable as a response's typed headers: `()` (none) or a contract struct.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be used as typed response headers",
    note = "declare the headers as a #[jero::contract] struct (or use `()` for none)"
)]
pub trait HeaderContract {
    /// Appends the headers to `res`; returns whether one of them was `content-type`.
    fn write_headers(&self, res: &mut Response) -> bool;
    /// The schema of the headers (for OpenAPI), `None` for `()`.
    fn schema(generator: &mut schemars::SchemaGenerator) -> Option<schemars::Schema>;
}

impl HeaderContract for () {
    #[inline]
    fn write_headers(&self, _res: &mut Response) -> bool {
        false
    }

    fn schema(_: &mut schemars::SchemaGenerator) -> Option<schemars::Schema> {
        None
    }
}

impl<T: crate::Contract + Serialize> HeaderContract for T {
    #[inline]
    fn write_headers(&self, res: &mut Response) -> bool {
        let mut content_type = false;
        if let Err(e) = self.serialize(HeaderWriter {
            res,
            content_type: &mut content_type,
        }) {
            tracing::error!(error = %e.0, type_name = std::any::type_name::<T>(), "typed headers not written");
        }
        content_type
    }

    fn schema(generator: &mut schemars::SchemaGenerator) -> Option<schemars::Schema> {
        Some(generator.subschema_for::<T>())
    }
}

/// The header name for a field's wire name: `x_rate_limit` and `xRateLimit`
/// both give `x-rate-limit`.
pub(crate) fn header_name(key: &'static str) -> HeaderBytes {
    if key
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return HeaderBytes::from(key);
    }
    let mut out = [0u8; 64];
    let mut n = 0;
    let mut prev_dash = true;
    for b in key.bytes() {
        if n + 2 > out.len() {
            let owned: String = kebab(key);
            return HeaderBytes::from(owned);
        }
        if b == b'_' || b == b'-' {
            out[n] = b'-';
            n += 1;
            prev_dash = true;
        } else if b.is_ascii_uppercase() {
            if !prev_dash {
                out[n] = b'-';
                n += 1;
            }
            out[n] = b.to_ascii_lowercase();
            n += 1;
            prev_dash = false;
        } else {
            out[n] = b;
            n += 1;
            prev_dash = false;
        }
    }
    HeaderBytes::copy_from_slice(&out[..n])
}

/// `x_rate_limit`, `xRateLimit` and `X-Rate-Limit` all give `x-rate-limit`.
pub(crate) fn kebab(key: &str) -> String {
    let mut s = String::with_capacity(key.len() + 4);
    let mut prev_dash = true;
    for c in key.chars() {
        if c == '_' || c == '-' {
            s.push('-');
            prev_dash = true;
        } else if c.is_ascii_uppercase() {
            if !prev_dash {
                s.push('-');
            }
            s.push(c.to_ascii_lowercase());
            prev_dash = false;
        } else {
            s.push(c);
            prev_dash = false;
        }
    }
    s
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
    type SerializeMap = Impossible<(), HeaderError>;
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
        Err(unsupported("a map"))
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
        let v = match value.serialize(ValueWriter) {
            Ok(Some(v)) => v,
            Ok(None) => return Ok(()),
            Err(Compound) => match sonic_rs::to_vec(value) {
                Ok(json) => HeaderBytes::from(json),
                Err(e) => return Err(HeaderError(format!("header `{key}`: {e}"))),
            },
        };
        let name = header_name(key);
        if name.as_bytes() == b"content-type" {
            *self.content_type = true;
        }
        self.res.append_header(name, v);
        Ok(())
    }

    fn end(self) -> Result<(), HeaderError> {
        Ok(())
    }
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

/// A small stack buffer for formatting numbers.
struct Stack {
    buf: [u8; 40],
    len: usize,
}

impl std::fmt::Write for Stack {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        if end > self.buf.len() {
            return Err(std::fmt::Error);
        }
        self.buf[self.len..end].copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

fn display(v: impl std::fmt::Display) -> Option<HeaderBytes> {
    let mut s = Stack { buf: [0; 40], len: 0 };
    match write!(s, "{v}") {
        Ok(()) => Some(HeaderBytes::copy_from_slice(&s.buf[..s.len])),
        Err(_) => Some(HeaderBytes::from(v.to_string())),
    }
}

/// Serializes one field's value as header text; `None` omits the header.
struct ValueWriter;

macro_rules! scalar {
    ($($method:ident($ty:ty);)*) => {
        $(fn $method(self, v: $ty) -> Result<Self::Ok, Compound> { Ok(display(v)) })*
    };
}

macro_rules! integer {
    ($($method:ident($ty:ty);)*) => {
        $(fn $method(self, v: $ty) -> Result<Self::Ok, Compound> { Ok(Some(integer(i128::from(v)))) })*
    };
}

/// Formats an integer without going through `core::fmt`.
fn integer(v: i128) -> HeaderBytes {
    let mut buf = [0u8; 40];
    let mut i = buf.len();
    let mut n = v.unsigned_abs();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if v < 0 {
        i -= 1;
        buf[i] = b'-';
    }
    HeaderBytes::copy_from_slice(&buf[i..])
}

impl ser::Serializer for ValueWriter {
    type Ok = Option<HeaderBytes>;
    type Error = Compound;
    type SerializeSeq = Impossible<Self::Ok, Compound>;
    type SerializeTuple = Impossible<Self::Ok, Compound>;
    type SerializeTupleStruct = Impossible<Self::Ok, Compound>;
    type SerializeTupleVariant = Impossible<Self::Ok, Compound>;
    type SerializeMap = Impossible<Self::Ok, Compound>;
    type SerializeStruct = Impossible<Self::Ok, Compound>;
    type SerializeStructVariant = Impossible<Self::Ok, Compound>;

    fn serialize_bool(self, v: bool) -> Result<Self::Ok, Compound> {
        Ok(Some(HeaderBytes::from(if v { "true" } else { "false" })))
    }

    integer! {
        serialize_i8(i8); serialize_i16(i16); serialize_i32(i32); serialize_i64(i64); serialize_i128(i128);
        serialize_u8(u8); serialize_u16(u16); serialize_u32(u32); serialize_u64(u64);
    }

    scalar! {
        serialize_u128(u128); serialize_f32(f32); serialize_f64(f64); serialize_char(char);
    }

    fn serialize_str(self, v: &str) -> Result<Self::Ok, Compound> {
        Ok(Some(HeaderBytes::copy_from_slice(v.as_bytes())))
    }

    fn serialize_bytes(self, v: &[u8]) -> Result<Self::Ok, Compound> {
        Ok(Some(HeaderBytes::copy_from_slice(v)))
    }

    fn serialize_none(self) -> Result<Self::Ok, Compound> {
        Ok(None)
    }

    fn serialize_some<T: ?Sized + Serialize>(self, v: &T) -> Result<Self::Ok, Compound> {
        v.serialize(self)
    }

    fn serialize_unit(self) -> Result<Self::Ok, Compound> {
        Ok(None)
    }

    fn serialize_unit_struct(self, _: &'static str) -> Result<Self::Ok, Compound> {
        Ok(None)
    }

    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<Self::Ok, Compound> {
        Ok(Some(HeaderBytes::from(variant)))
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

    #[test]
    fn names() {
        assert_eq!(header_name("x_rate_limit").as_bytes(), b"x-rate-limit");
        assert_eq!(header_name("xRateLimit").as_bytes(), b"x-rate-limit");
        assert_eq!(header_name("X-Custom").as_bytes(), b"x-custom");
        assert_eq!(header_name("location").as_bytes(), b"location");
        assert_eq!(header_name("retry_after").as_bytes(), b"retry-after");
        // Cached: the same answer the second time.
        assert_eq!(header_name("x_rate_limit").as_bytes(), b"x-rate-limit");
    }

    #[test]
    fn integers() {
        assert_eq!(integer(0).as_bytes(), b"0");
        assert_eq!(integer(-42).as_bytes(), b"-42");
        assert_eq!(
            integer(i128::from(u64::MAX)).as_bytes(),
            u64::MAX.to_string().as_bytes()
        );
    }
}
