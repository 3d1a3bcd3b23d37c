//! `form`: a `multipart/form-data` body bound into a contract struct whose
//! fields are parts, by part name (serde renames honored).
//!
//! | field type | part |
//! | --- | --- |
//! | a scalar (`String`, numbers, `bool`, a unit enum) | the part's text |
//! | a nested contract struct | the part's body as JSON |
//! | [`Bytes`] | the part's bytes |
//! | [`FilePart`] | the bytes, with a required filename and the content type |
//! | [`FormPart<T, H>`] | `T` as above, with the part's content type, its headers as a contract `H` (bound as a handler's `headers` are) and as sent |
//! | `Vec<T>` | every part of that name, in order (zero or more) |
//! | `Option<T>` | the part if it was sent |
//!
//! A body that is not `multipart/form-data` is 415. A malformed one (no
//! boundary or one longer than RFC 2046's 70 characters, a body without
//! the declared boundary or without its closing delimiter, a part without
//! a `Content-Disposition: form-data` name) is 400. A missing required
//! part, a part sent twice for a field that is not a list, a file part
//! without a filename (`filename=""` is none), or a value that does not
//! convert is 422, naming the part. A file input left empty (a part with
//! `filename=""` and no bytes, as browsers send it) counts as not sent.
//! Parts the struct does not declare are ignored.

use std::borrow::Cow;
use std::fmt;

use bytes::Bytes;
use futures_util::FutureExt;
use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::de::{self, DeserializeOwned, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use super::fields::{FieldError, Values};
use super::{sanitize, RequestCx};
use crate::contract::Contract;
use crate::problem::Problem;

/// The struct name [`FilePart`]'s `Deserialize` asks for, so that the form
/// deserializer hands it the part itself.
const FILE_PART: &str = "$jero::FilePart";
/// The same for [`FormPart`].
const FORM_PART: &str = "$jero::FormPart";

/// A file part: its bytes, its (required) filename and its content type.
///
/// ```
/// # use jero::{contract, FilePart};
/// #[contract(input)]
/// struct Upload {
///     document: FilePart,
///     attachments: Vec<FilePart>,
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilePart {
    /// The `filename` of the part's `Content-Disposition`.
    pub filename: String,
    /// The part's `Content-Type`, if it has one.
    pub content_type: Option<String>,
    /// The content.
    pub bytes: Bytes,
}

/// A part's value `T` (bound as a field of that type would be) with the
/// part's content type, filename and headers: typed, as a contract `H`
/// whose fields bind the part's headers by name (as a handler's `headers`
/// argument does: `x_checksum` binds `X-Checksum`), and raw, as sent.
///
/// ```
/// # use jero::{contract, FormPart};
/// #[contract(input)]
/// struct Settings { dpi: u32 }
///
/// /// The config part's own headers.
/// #[contract(input)]
/// struct PartMeta {
///     #[schemars(length(equal = 8))]
///     x_checksum: Option<String>,
/// }
///
/// #[contract(input)]
/// struct Job {
///     config: FormPart<Settings, PartMeta>,
///     notes: Option<FormPart<String>>,
/// }
/// ```
///
/// A typed part header that is missing, does not convert or breaks its
/// declared constraint is 422, naming the part and the header.
///
/// The OpenAPI document lists `H`'s headers in the form's `encoding`, under
/// the part's name (for every part of a `Vec<FormPart<T, H>>`, and for an
/// optional one): named as binding reads them, each with its field's schema,
/// required unless the field is optional or has a default. A `content_type`
/// field is not listed there: OpenAPI describes a part's `Content-Type` apart.
///
/// ```
/// # use jero::{contract, endpoint, openapi::OpenApi, App, BoxError, Bytes, FormPart, Wiring};
/// #[contract(input)]
/// struct ScanMeta {
///     #[schemars(length(equal = 8))]
///     x_checksum: String,
///     x_page: Option<u32>,
/// }
///
/// #[contract(input)]
/// struct Scans {
///     scans: Vec<FormPart<Bytes, ScanMeta>>,
/// }
///
/// #[contract]
/// struct Count { count: usize }
///
/// struct ScansEndpoint;
///
/// #[endpoint(path = "/scans")]
/// impl ScansEndpoint {
///     async fn post(&self, form: Scans) -> Count {
///         Count { count: form.scans.len() }
///     }
/// }
///
/// struct MyApp;
/// impl App for MyApp {
///     async fn wire(&self, wiring: &mut Wiring) -> Result<(), BoxError> {
///         wiring.include_endpoint(ScansEndpoint).include_openapi(OpenApi::new("Scans", "1.0.0"));
///         Ok(())
///     }
/// }
///
/// let doc = jero_testing::TestClient::new(MyApp).get("/openapi.json").send().json::<serde_json::Value>();
/// let form = &doc["paths"]["/scans"]["post"]["requestBody"]["content"]["multipart/form-data"];
/// assert_eq!(
///     form["encoding"]["scans"]["headers"],
///     serde_json::json!({
///         "x-checksum": {"required": true, "schema": {"type": "string", "minLength": 8, "maxLength": 8}},
///         "x-page": {"required": false, "schema": {"type": "integer", "format": "uint32", "minimum": 0}},
///     })
/// );
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct FormPart<T, H = ()> {
    /// The value.
    pub value: T,
    /// The part's `Content-Type`, if it has one.
    pub content_type: Option<String>,
    /// The part's filename, if it has one.
    pub filename: Option<String>,
    /// The part's headers, as the contract `H` (`()`: none).
    pub headers: H,
    /// The part's headers, in order, names as sent (a value that is not
    /// UTF-8 with U+FFFD for what does not decode; a field of `H` that
    /// binds such a value is refused).
    pub raw_headers: Vec<(String, String)>,
}

/// A part's value is checked as the field's own would be (its headers
/// were checked when they were bound).
impl<T: crate::validate::HoldsContracts, H> crate::validate::HoldsContracts for FormPart<T, H> {
    fn check_held(&self) -> Result<(), crate::validate::Violation> {
        self.value.check_held()
    }
}

impl<T, H> FormPart<T, H> {
    /// The first value of a part header as sent (ASCII case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.raw_headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// The typed headers of a [`FormPart`]: `()` for none, or a contract whose
/// fields bind the part's headers by name.
pub trait PartHeaders: Sized {
    #[doc(hidden)]
    /// Binds the part's headers (and checks the contract's constraints);
    /// the error names the header.
    ///
    /// `not_utf8` holds the indices of the headers whose value was not
    /// UTF-8 (in `headers` as lossy text): a field binding one is refused.
    fn from_part(headers: &[(String, String)], not_utf8: &[usize]) -> Result<Self, String>;

    /// The schema of the headers contract (for OpenAPI), `None` for `()`.
    #[doc(hidden)]
    fn schema(generator: &mut SchemaGenerator) -> Option<Schema>;
}

impl PartHeaders for () {
    fn from_part(_: &[(String, String)], _: &[usize]) -> Result<(), String> {
        Ok(())
    }

    fn schema(_: &mut SchemaGenerator) -> Option<Schema> {
        None
    }
}

impl<H: Contract + DeserializeOwned> PartHeaders for H {
    fn schema(generator: &mut SchemaGenerator) -> Option<Schema> {
        Some(generator.subschema_for::<H>())
    }

    fn from_part(headers: &[(String, String)], not_utf8: &[usize]) -> Result<H, String> {
        let entries: smallvec::SmallVec<[super::fields::Entry<'_>; 8]> = headers
            .iter()
            .enumerate()
            .map(|(i, (n, v))| {
                let v = if not_utf8.contains(&i) {
                    super::fields::NOT_UTF8
                } else {
                    v.as_str()
                };
                (n.as_str(), Cow::Borrowed(v))
            })
            .collect();
        let describe = |e| super::describe_field("header", e, crate::headers::kebab);
        let bound = super::from_fields::<H>(super::fields::Fields {
            entries: &entries,
            empty: &[],
            matching: super::fields::Match::Header,
            strict: false,
        })
        .map_err(describe)?;
        super::checked(bound, describe)
    }
}

/// One part of the body, parsed.
struct Part {
    name: String,
    filename: Option<String>,
    content_type: Option<String>,
    /// As sent, a value that is not UTF-8 as lossy text...
    headers: Vec<(String, String)>,
    /// ...and its index here.
    not_utf8: Vec<usize>,
    data: Bytes,
}

/// Decodes a `multipart/form-data` body into the handler's `form` struct.
/// Not multipart: 415; malformed: 400; a part missing or that does not fit
/// its field: 422.
pub fn bind_form<T: DeserializeOwned + Contract>(cx: &RequestCx<'_>) -> Result<T, Problem> {
    let boundary = boundary(cx)?;
    let parts = parse(cx.req.body().clone(), boundary)?;
    // Fields with no part are left to serde (an `Option` is `None`, a
    // default applies); a list serde calls missing binds zero parts.
    match super::zero_or_more::<T>(|empty| T::deserialize(Form { parts: &parts, empty })) {
        Ok(v) => super::checked(v, part_violated),
        Err(retried) => Err(form_problem::<T>(&parts, &retried.empty)),
    }
}

/// The 422 for a form whose part breaks a declared constraint.
#[cold]
fn part_violated(e: super::FieldError) -> Problem {
    Problem::validation_failed(form_reason(e.field.as_deref(), &e.message))
}

/// What is wrong with a form: `at` its part, if known.
fn form_reason(at: Option<&str>, message: &str) -> String {
    match at {
        Some(at) => format!("invalid form part `{at}`: {message}"),
        None => format!("invalid form: {message}"),
    }
}

/// The 422 for a form that does not fit `T`, naming the part.
#[cold]
fn form_problem<T: DeserializeOwned>(parts: &[Part], empty: &[&'static str]) -> Problem {
    let form = Form { parts, empty };
    let reason = match serde_path_to_error::deserialize::<_, T>(form) {
        Ok(_) => "invalid form".to_owned(),
        Err(e) => {
            let path = super::safe_path(e.path(), &e.inner().message);
            let inner = e.into_inner();
            if let Some(part) = inner.missing_field() {
                return Problem::validation_failed(form_reason(
                    None,
                    &format!("missing part `{}`", sanitize(part)),
                ));
            }
            let at = match path.as_str() {
                "" | "." => inner.field,
                _ => Some(path),
            };
            form_reason(at.as_deref(), &sanitize(&inner.message))
        }
    };
    Problem::validation_failed(reason)
}

/// The boundary of a `multipart/form-data` request: 415 for any other
/// content type, 400 for a multipart one without a boundary.
fn boundary(cx: &RequestCx<'_>) -> Result<String, Problem> {
    let ct = cx
        .req
        .header("content-type")
        .and_then(jero_engine::text)
        .ok_or_else(unsupported)?;
    let essence = ct.split(';').next().unwrap_or("").trim();
    if !essence.eq_ignore_ascii_case("multipart/form-data") {
        return Err(unsupported());
    }
    let boundary = multer::parse_boundary(ct)
        .map_err(|_| Problem::malformed("malformed multipart body: the content type has no boundary"))?;
    if !valid_boundary(&boundary) {
        return Err(Problem::malformed(
            "malformed multipart body: the boundary must be 1 to 70 characters: letters, digits, \
             space (not last) and '()+_,-./:=?",
        ));
    }
    Ok(boundary)
}

/// RFC 2046 5.1.1: `1*69bchars bcharsnospace`.
fn valid_boundary(b: &str) -> bool {
    let bchar = |c: u8| c.is_ascii_alphanumeric() || b"'()+_,-./:=? ".contains(&c);
    (1..=70).contains(&b.len()) && b.bytes().all(bchar) && !b.ends_with(' ')
}

#[cold]
fn unsupported() -> Problem {
    Problem::new(415, "unsupported-media-type", "Unsupported media type")
        .with_reason("expected a multipart/form-data body")
}

/// The most parts a form may have: each costs an allocation or two beyond
/// its bytes, so a body of tiny parts (within the body limit) is refused
/// before it costs more than the body itself.
pub const MAX_PARTS: usize = 1000;

/// Every part of `body`, in order.
fn parse(body: Bytes, boundary: String) -> Result<Vec<Part>, Problem> {
    let malformed = |what: &str| Problem::malformed(format!("malformed multipart body: {what}"));
    let stream = futures_util::stream::once(async move { Ok::<_, std::convert::Infallible>(body) });
    let mut multipart = multer::Multipart::new(stream, boundary);
    let mut parts = Vec::new();
    loop {
        // The whole body is in memory: every step completes at once.
        let next = multipart
            .next_field()
            .now_or_never()
            .unwrap_or(Err(multer::Error::IncompleteStream));
        let field = match next {
            Ok(Some(_)) if parts.len() == MAX_PARTS => {
                return Err(malformed(&format!("more than {MAX_PARTS} parts")));
            }
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) => return Err(malformed(multer_reason(&e))),
        };
        // RFC 7578 4.2: every part names its field in its
        // `Content-Disposition: form-data`.
        let disposition = field.headers().get("content-disposition").map(|v| v.as_bytes());
        let Some(disposition) = disposition else {
            return Err(malformed("a part without a `Content-Disposition` header"));
        };
        let kind = disposition.split(|&b| b == b';').next().unwrap_or_default();
        if !kind.trim_ascii().eq_ignore_ascii_case(b"form-data") {
            return Err(malformed("a part whose `Content-Disposition` is not `form-data`"));
        }
        let Some(name) = field.name().map(str::to_owned) else {
            return Err(malformed(
                "a part whose `Content-Disposition` has no `name`, or one that is not UTF-8",
            ));
        };
        // `filename=""` is no filename: it is what a browser sends (with
        // no bytes) for a file input left empty.
        let sent_filename = field.file_name().is_some();
        let filename = field.file_name().filter(|f| !f.is_empty()).map(str::to_owned);
        // As sent (parameters included), not as `mime` would rewrite it.
        let content_type = field
            .headers()
            .get("content-type")
            .map(|v| String::from_utf8_lossy(v.as_bytes()).trim().to_owned());
        let mut not_utf8 = Vec::new();
        let headers = field
            .headers()
            .iter()
            .enumerate()
            .map(|(i, (n, v))| {
                let value = match std::str::from_utf8(v.as_bytes()) {
                    Ok(v) => v.to_owned(),
                    Err(_) => {
                        not_utf8.push(i);
                        String::from_utf8_lossy(v.as_bytes()).into_owned()
                    }
                };
                (n.as_str().to_owned(), value)
            })
            .collect();
        let data = match field.bytes().now_or_never() {
            Some(Ok(data)) => data,
            Some(Err(e)) => return Err(malformed(multer_reason(&e))),
            None => return Err(malformed("the body ended inside a part")),
        };
        if sent_filename && filename.is_none() && data.is_empty() {
            // A file input left empty: no part, as if none were sent.
            continue;
        }
        parts.push(Part {
            name,
            filename,
            content_type,
            headers,
            not_utf8,
            data,
        });
    }
    Ok(parts)
}

/// What went wrong, in words that never quote the body.
fn multer_reason(e: &multer::Error) -> &'static str {
    use multer::Error as E;
    match e {
        E::IncompleteStream | E::IncompleteFieldData { .. } => {
            "the body ends before the closing boundary delimiter"
        }
        E::IncompleteHeaders | E::ReadHeaderFailed(_) => "a part's headers are malformed",
        E::DecodeHeaderName { .. } | E::DecodeHeaderValue { .. } => "a part header is not valid",
        E::NoBoundary => "the content type has no boundary",
        _ => "the body does not match the declared boundary",
    }
}

// ---------------------------------------------------------------------------
// The deserializer: a struct of parts

struct Form<'p> {
    parts: &'p [Part],
    /// Fields handed over even with no part (see `bind_form`).
    empty: &'p [&'static str],
}

impl<'de> de::Deserializer<'de> for Form<'de> {
    type Error = FieldError;

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, FieldError> {
        visitor.visit_map(PartsAccess {
            parts: self.parts,
            empty: self.empty,
            fields,
            next: 0,
            current: None,
        })
    }

    fn deserialize_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, FieldError> {
        Err(FieldError {
            field: None,
            message: "a form binds a struct whose fields are its parts".into(),
        })
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map enum identifier ignored_any
    }
}

struct PartsAccess<'p> {
    parts: &'p [Part],
    empty: &'p [&'static str],
    fields: &'static [&'static str],
    next: usize,
    current: Option<(&'static str, Vec<&'p Part>)>,
}

impl<'de> MapAccess<'de> for PartsAccess<'de> {
    type Error = FieldError;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, FieldError> {
        while self.next < self.fields.len() {
            let field = self.fields[self.next];
            self.next += 1;
            let parts: Vec<&Part> = self.parts.iter().filter(|p| p.name == field).collect();
            if parts.is_empty() && !self.empty.contains(&field) {
                continue;
            }
            self.current = Some((field, parts));
            return seed.deserialize(field.into_deserializer()).map(Some);
        }
        Ok(None)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, FieldError> {
        let (field, parts) = self.current.take().expect("value requested before key");
        seed.deserialize(Parts { parts: &parts, field }).map_err(|mut e| {
            e.field.get_or_insert_with(|| field.to_owned());
            e
        })
    }
}

/// The parts sent under one field's name (several when it repeats).
struct Parts<'a, 'p> {
    parts: &'a [&'p Part],
    field: &'static str,
}

impl<'a, 'p> Parts<'a, 'p> {
    fn err(&self, message: impl Into<String>) -> FieldError {
        FieldError {
            field: Some(self.field.to_owned()),
            message: message.into(),
        }
    }

    /// The one part a field that is not a list binds: a name sent twice
    /// is ambiguous (which one did the client mean?), so it is refused.
    fn single(&self) -> Result<&'p Part, FieldError> {
        match self.parts {
            [part] => Ok(part),
            [] => Err(FieldError {
                field: None,
                message: format!("missing field `{}`", self.field),
            }),
            [..] => Err(self.err("given more than once")),
        }
    }

    /// The part's text, for a scalar.
    fn text(&self) -> Result<&'p str, FieldError> {
        std::str::from_utf8(&self.single()?.data).map_err(|_| self.err("expected text (UTF-8)"))
    }
}

macro_rules! scalar {
    ($($method:ident)*) => {
        $(fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, FieldError> {
            let text = self.text()?;
            de::Deserializer::$method(Values::new(&[text], self.field), visitor)
        })*
    };
}

impl<'de> de::Deserializer<'de> for Parts<'_, 'de> {
    type Error = FieldError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, FieldError> {
        if self.parts.len() > 1 {
            return self.deserialize_seq(visitor);
        }
        visitor.visit_str(self.text()?)
    }

    scalar! {
        deserialize_bool deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64
        deserialize_i128 deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64
        deserialize_u128 deserialize_f32 deserialize_f64 deserialize_char deserialize_str
        deserialize_string deserialize_identifier
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, FieldError> {
        let text = self.text()?;
        de::Deserializer::deserialize_enum(Values::new(&[text], self.field), name, variants, visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, FieldError> {
        visitor.visit_bytes(&self.single()?.data)
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, FieldError> {
        visitor.visit_byte_buf(self.single()?.data.to_vec())
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, FieldError> {
        if self.parts.is_empty() {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, FieldError> {
        visitor.visit_unit()
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        visitor: V,
    ) -> Result<V::Value, FieldError> {
        visitor.visit_unit()
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, FieldError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, FieldError> {
        visitor.visit_seq(PartSeq {
            parts: self.parts.iter(),
            field: self.field,
        })
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, FieldError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, FieldError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, FieldError> {
        self.json(move |de| de::Deserializer::deserialize_map(de, visitor))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, FieldError> {
        match name {
            FILE_PART => {
                let part = self.single()?;
                if part.filename.is_none() {
                    return Err(self.err("a file part needs a filename"));
                }
                visitor.visit_map(WholePart::new(part, self.field))
            }
            FORM_PART => visitor.visit_map(WholePart::new(self.single()?, self.field)),
            // A nested struct: the part is a JSON object (read as a map:
            // serde would also take an array's elements as its fields).
            _ => {
                let _ = (name, fields);
                self.json(move |de| de::Deserializer::deserialize_map(de, visitor))
            }
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, FieldError> {
        visitor.visit_unit()
    }
}

impl<'p> Parts<'_, 'p> {
    /// Deserializes the part's body as JSON, errors naming the part.
    fn json<R>(
        &self,
        f: impl FnOnce(
            &mut serde_json::Deserializer<serde_json::de::SliceRead<'p>>,
        ) -> Result<R, serde_json::Error>,
    ) -> Result<R, FieldError> {
        let part = self.single()?;
        let mut de = serde_json::Deserializer::from_slice(&part.data);
        let value = f(&mut de).map_err(|e| self.err(json_reason(&e)))?;
        de.end().map_err(|e| self.err(json_reason(&e)))?;
        Ok(value)
    }
}

/// A JSON part's error without the input it may quote.
fn json_reason(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    match e.classify() {
        Category::Data => {
            let msg = e.to_string();
            let msg = msg.find(" at line ").map_or(msg.as_str(), |i| &msg[..i]);
            format!("invalid JSON part: {}", sanitize(msg))
        }
        _ => format!("malformed JSON part at line {} column {}", e.line(), e.column()),
    }
}

struct PartSeq<'a, 'p> {
    parts: std::slice::Iter<'a, &'p Part>,
    field: &'static str,
}

impl<'de> SeqAccess<'de> for PartSeq<'_, 'de> {
    type Error = FieldError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, FieldError> {
        match self.parts.next() {
            Some(part) => seed
                .deserialize(Parts {
                    parts: std::slice::from_ref(part),
                    field: self.field,
                })
                .map(Some),
            None => Ok(None),
        }
    }
}

/// A whole part as a map, for [`FilePart`] and [`FormPart`]: `value`
/// (the part as a field), `filename`, `content_type`, `headers` and
/// `not_utf8` (the indices of the headers whose value was not UTF-8).
struct WholePart<'p> {
    part: &'p Part,
    field: &'static str,
    keys: std::slice::Iter<'static, &'static str>,
    key: &'static str,
}

const WHOLE_PART_KEYS: &[&str] = &["value", "filename", "content_type", "headers", "not_utf8"];

impl<'p> WholePart<'p> {
    fn new(part: &'p Part, field: &'static str) -> WholePart<'p> {
        WholePart {
            part,
            field,
            keys: WHOLE_PART_KEYS.iter(),
            key: "",
        }
    }
}

impl<'de> MapAccess<'de> for WholePart<'de> {
    type Error = FieldError;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, FieldError> {
        match self.keys.next() {
            Some(k) => {
                self.key = k;
                seed.deserialize((*k).into_deserializer()).map(Some)
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, FieldError> {
        let part = self.part;
        match self.key {
            "value" => seed.deserialize(Parts {
                parts: std::slice::from_ref(&self.part),
                field: self.field,
            }),
            "filename" => seed.deserialize(OptStr(part.filename.as_deref())),
            "content_type" => seed.deserialize(OptStr(part.content_type.as_deref())),
            "not_utf8" => seed.deserialize(de::value::SeqDeserializer::<_, FieldError>::new(
                part.not_utf8.iter().copied(),
            )),
            // A list of `(name, value)` pairs.
            _ => seed.deserialize(de::value::MapDeserializer::<_, FieldError>::new(
                part.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())),
            )),
        }
    }
}

/// An optional string, for the `filename` and `content_type` of a part.
struct OptStr<'a>(Option<&'a str>);

impl<'de> de::Deserializer<'de> for OptStr<'_> {
    type Error = FieldError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, FieldError> {
        match self.0 {
            Some(s) => visitor.visit_some(de::value::StrDeserializer::<FieldError>::new(s)),
            None => visitor.visit_none(),
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

// ---------------------------------------------------------------------------
// Deserialize and JsonSchema for the part types

/// The fields a whole-part map carries, as `FilePart`'s and `FormPart`'s
/// visitors read them.
#[derive(Deserialize)]
struct RawWhole<T> {
    value: T,
    filename: Option<String>,
    content_type: Option<String>,
    headers: Vec<(String, String)>,
    not_utf8: Vec<usize>,
}

/// A file part's bytes, read through `deserialize_bytes`.
struct PartBytes(Bytes);

impl<'de> Deserialize<'de> for PartBytes {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = PartBytes;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a part's bytes")
            }
            fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<PartBytes, E> {
                Ok(PartBytes(Bytes::copy_from_slice(v)))
            }
            fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> Result<PartBytes, E> {
                Ok(PartBytes(Bytes::from(v)))
            }
        }
        d.deserialize_bytes(V)
    }
}

/// Reads a whole part through the `name` token, so only the form
/// deserializer can produce one (anything else refuses the token's shape).
fn whole<'de, D: de::Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
    name: &'static str,
) -> Result<RawWhole<T>, D::Error> {
    struct V<T>(std::marker::PhantomData<T>);
    impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
        type Value = RawWhole<T>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a multipart form part")
        }
        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RawWhole<T>, A::Error> {
            RawWhole::deserialize(de::value::MapAccessDeserializer::new(map))
        }
    }
    d.deserialize_struct(name, WHOLE_PART_KEYS, V(std::marker::PhantomData))
}

impl<'de> Deserialize<'de> for FilePart {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = whole::<D, PartBytes>(d, FILE_PART)?;
        Ok(FilePart {
            filename: raw.filename.unwrap_or_default(),
            content_type: raw.content_type,
            bytes: raw.value.0,
        })
    }
}

impl<'de, T: Deserialize<'de>, H: PartHeaders> Deserialize<'de> for FormPart<T, H> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = whole::<D, T>(d, FORM_PART)?;
        Ok(FormPart {
            headers: H::from_part(&raw.headers, &raw.not_utf8).map_err(de::Error::custom)?,
            value: raw.value,
            content_type: raw.content_type,
            filename: raw.filename,
            raw_headers: raw.headers,
        })
    }
}

impl JsonSchema for FilePart {
    fn schema_name() -> Cow<'static, str> {
        "FilePart".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        schemars::json_schema!({ "type": "string", "format": "binary", "contentMediaType": "application/octet-stream" })
    }

    fn inline_schema() -> bool {
        true
    }
}

/// A part's schema is its value's (`T`'s own, a reference to its definition
/// where it has one), carrying the schema of its typed headers under
/// `x-jero-part-headers`: the OpenAPI document lists them in the form's
/// `encoding` and takes the key out of the schema.
impl<T: JsonSchema, H: PartHeaders> JsonSchema for FormPart<T, H> {
    fn schema_name() -> Cow<'static, str> {
        T::schema_name()
    }

    fn schema_id() -> Cow<'static, str> {
        format!("jero::FormPart<{}>", T::schema_id()).into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let mut schema = generator.subschema_for::<T>();
        if let Some(headers) = H::schema(generator) {
            schema.insert(crate::openapi::PART_HEADERS.into(), headers.to_value());
        }
        schema
    }

    fn inline_schema() -> bool {
        true
    }
}
