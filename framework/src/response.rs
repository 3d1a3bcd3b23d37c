//! What handlers return: plain values and the responses they become.

use bytes::Bytes;
use jero_engine::{BodyWriter, Response, ResponseBuf, StaticHeader};
use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::Serialize;

use crate::binding::RequestCx;
use crate::contract::Contract;
use crate::problem::Problem;

/// `application/json`
pub const APPLICATION_JSON: &str = "application/json";
/// `text/plain; charset=utf-8`
pub const TEXT_PLAIN: &str = "text/plain; charset=utf-8";
/// `application/octet-stream`
pub const OCTET_STREAM: &str = "application/octet-stream";

/// `content-type: application/json`, checked at compile time.
pub(crate) const JSON_CONTENT: StaticHeader = StaticHeader::new("content-type", APPLICATION_JSON);
/// `content-type: text/plain; charset=utf-8`.
pub(crate) const TEXT_CONTENT: StaticHeader = StaticHeader::new("content-type", TEXT_PLAIN);
/// `content-type: application/octet-stream`.
pub(crate) const OCTET_CONTENT: StaticHeader = StaticHeader::new("content-type", OCTET_STREAM);

/// The body kind of one documented response.
#[derive(Debug, Clone)]
pub enum ContentSpec {
    /// JSON with this schema.
    Json(Schema),
    /// `text/plain`.
    Text,
    /// `application/octet-stream` (or another binary type).
    Bytes,
    /// No body.
    Empty,
    /// A problem document.
    Problem,
    /// A problem document whose `params` have this schema (a
    /// parameterized `#[jero::error]`).
    ProblemWithParams(Schema),
    /// A streamed body of this media type, with the schema of each item
    /// (NDJSON lines, SSE `data`), if it has one.
    Stream {
        /// `application/x-ndjson`, `text/event-stream`, ...
        media_type: &'static str,
        /// One item's schema.
        items: Option<Schema>,
    },
}

/// One response a handler can give.
#[derive(Debug, Clone)]
pub struct ResponseSpec {
    /// The status, or `None` for the operation's default (201 for `create`, else 200).
    pub status: Option<u16>,
    /// The body.
    pub content: ContentSpec,
    /// The Rust type that produces it, for messages.
    pub type_name: &'static str,
    /// The error enums (`#[derive(IntoResponse)]`) this response is an
    /// error variant of, outermost first: an exception handler registered
    /// for one of them answers instead, and the OpenAPI document lists that
    /// handler's response (see [`describe_variant`]).
    pub enclosing: Vec<&'static str>,
    /// The typed headers it carries (for the OpenAPI document).
    pub headers: Vec<HeaderSpec>,
}

/// A typed response header, for the OpenAPI document.
#[derive(Debug, Clone)]
pub struct HeaderSpec {
    /// The header's name, as sent.
    pub name: String,
    /// Whether every response carries it (not an `Option`).
    pub required: bool,
    /// The schema of its value.
    pub schema: serde_json::Value,
}

/// The typed headers of `H`, for [`ResponseSpec::headers`]: each field of
/// the header struct's schema under its header name.
pub(crate) fn header_specs<H: crate::HeaderContract>(generator: &mut SchemaGenerator) -> Vec<HeaderSpec> {
    match H::schema(generator) {
        Some(schema) => headers_of(&schema, generator),
        None => Vec::new(),
    }
}

/// Each field of a header contract's schema under its header name (a
/// response's typed headers, a form part's).
pub(crate) fn headers_of(contract: &Schema, generator: &SchemaGenerator) -> Vec<HeaderSpec> {
    crate::openapi::fields(contract, generator)
        .into_iter()
        .map(|(wire, required, schema)| HeaderSpec {
            name: crate::headers::kebab(&wire),
            required,
            schema,
        })
        .collect()
}

impl ResponseSpec {
    /// A response with `status` (`None`: the operation's default), `content`,
    /// produced by the type `type_name`, in no enclosing error enum.
    ///
    /// ```
    /// use jero::{ContentSpec, ResponseSpec};
    /// let spec = ResponseSpec::new(Some(418), ContentSpec::Text, "Teapot");
    /// assert_eq!(spec.status, Some(418));
    /// assert!(spec.enclosing.is_empty() && spec.headers.is_empty());
    /// ```
    pub fn new(status: Option<u16>, content: ContentSpec, type_name: &'static str) -> ResponseSpec {
        ResponseSpec {
            status,
            content,
            type_name,
            enclosing: Vec::new(),
            headers: Vec::new(),
        }
    }

    /// The same response, carrying `headers`.
    pub fn with_headers(mut self, headers: Vec<HeaderSpec>) -> ResponseSpec {
        self.headers = headers;
        self
    }
}

/// Describes `V`, a variant of the enum `enclosing` (`None` for an enum
/// whose exception handler is never looked up: a generic one). Used by
/// the `#[derive(IntoResponse)]` expansion.
pub fn describe_variant<V: IntoResponse>(r: &mut Responses<'_>, enclosing: Option<&'static str>) {
    let start = r.specs.len();
    V::describe(r);
    if let (true, Some(name)) = (V::IS_ERROR, enclosing) {
        for spec in &mut r.specs[start..] {
            spec.enclosing.insert(0, name);
        }
    }
}

/// The responses an operation can give, collected at wiring.
pub struct Responses<'g> {
    /// The schema generator shared by the whole app.
    pub generator: &'g mut SchemaGenerator,
    /// The responses found so far.
    pub specs: Vec<ResponseSpec>,
}

/// A value a handler can return.
///
/// Implemented for `#[jero::contract]` types and `Vec`s of them (JSON),
/// `String` (text), [`Bytes`] (binary), [`Problem`], `Result<T, E>` of
/// two such types, and the engine's raw `Response` as an escape hatch.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be returned from a jero handler",
    label = "not a response type",
    note = "return a #[jero::contract] struct, a Vec of them, String, jero::Bytes, a response wrapper (JsonResponse, Created, NoContent, ...), an enum of outcomes with #[derive(jero::IntoResponse)], or Result<T, E> of those with E a #[jero::error] type or such an enum"
)]
pub trait IntoResponse {
    /// Whether every value of the type is an error: `#[jero::error]` types,
    /// [`jero::Error`](crate::Error), [`Problem`], and enums of them
    /// (`#[derive(IntoResponse)]`). An exception handler registered for an
    /// enum takes its error variants only; its other outcomes go out as
    /// they are. It is a property of the type: a `Result`, or an enum that
    /// mixes outcomes and errors, is not an error even when its value is.
    const IS_ERROR: bool = false;

    /// Builds the response.
    fn into_response(self, cx: &RequestCx<'_>) -> Response;

    /// Describes the responses this type can produce (wiring checks and OpenAPI).
    fn describe(responses: &mut Responses<'_>);
}

/// Initial capacity of a JSON body. sonic-rs reserves room for the worst
/// case escaping of every string before writing it (six bytes per byte, plus
/// 35), so with its default of 128 bytes a small object already reallocates
/// once; 256 bytes hold the usual small response in one allocation.
pub(crate) const JSON_BODY_CAPACITY: usize = 256;

/// sonic-rs writing into a framed response's body ([`BodyWriter`]), as it
/// writes into a `Vec`: into the spare capacity, then marking what it
/// wrote.
pub(crate) struct JsonOut<'a>(BodyWriter<'a>);

impl std::io::Write for JsonOut<'_> {
    #[inline(always)]
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        std::io::Write::write(&mut self.0, bytes)
    }

    #[inline(always)]
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl sonic_rs::writer::WriteExt for JsonOut<'_> {
    #[inline(always)]
    fn reserve_with(&mut self, additional: usize) -> std::io::Result<&mut [std::mem::MaybeUninit<u8>]> {
        Ok(self.0.spare(additional))
    }

    #[inline(always)]
    unsafe fn flush_len(&mut self, additional: usize) -> std::io::Result<()> {
        // SAFETY: `WriteExt`'s contract: sonic-rs calls this after
        // `reserve_with`, having written the first `additional` bytes of
        // the slice it returned, which is `BodyWriter::advance`'s.
        unsafe { self.0.advance(additional) };
        Ok(())
    }
}

/// Logs a response body that failed to serialize; the generic 500.
#[cold]
#[inline(never)]
pub(crate) fn json_failed<T: ?Sized>(cx: &RequestCx<'_>, e: sonic_rs::Error) -> Response {
    tracing::error!(error = %e, type_name = std::any::type_name::<T>(), "response serialization failed");
    cx.reject(Problem::internal())
}

/// A JSON response: the content type and the body written front to back
/// in one buffer, which the engine sends in one copy (see
/// [`ResponseBuf`](jero_engine::ResponseBuf)).
#[inline]
pub(crate) fn json_response<T: Serialize + ?Sized>(cx: &RequestCx<'_>, value: &T) -> Response {
    let json = |out: JsonOut<'_>| sonic_rs::to_writer(out, value);
    framed_json::<T>(
        cx,
        &mut ResponseBuf::new(),
        cx.default_status(),
        Some(&JSON_CONTENT),
        json,
    )
}

/// Ends `buf`'s lines with `content_type` (if any) and the blank line,
/// and lets `write` serialize the body of type `T` after them; a failure
/// is logged and answered with the generic 500.
#[inline(always)]
pub(crate) fn framed_json<T: ?Sized>(
    cx: &RequestCx<'_>,
    buf: &mut ResponseBuf,
    status: u16,
    content_type: Option<&'static StaticHeader>,
    write: impl FnOnce(JsonOut<'_>) -> Result<(), sonic_rs::Error>,
) -> Response {
    match buf.respond(status, content_type, |out| write(JsonOut(out))) {
        Ok(res) => res,
        Err(e) => json_failed::<T>(cx, e),
    }
}

impl<T: Contract + Serialize> IntoResponse for T {
    #[inline]
    fn into_response(self, cx: &RequestCx<'_>) -> Response {
        json_response(cx, &self)
    }

    fn describe(r: &mut Responses<'_>) {
        let schema = r.generator.subschema_for::<T>();
        r.specs.push(ResponseSpec::new(
            None,
            ContentSpec::Json(schema),
            std::any::type_name::<T>(),
        ));
    }
}

impl<T: Contract + Serialize> IntoResponse for Vec<T> {
    #[inline]
    fn into_response(self, cx: &RequestCx<'_>) -> Response {
        json_response(cx, &self)
    }

    fn describe(r: &mut Responses<'_>) {
        let schema = r.generator.subschema_for::<Vec<T>>();
        r.specs.push(ResponseSpec::new(
            None,
            ContentSpec::Json(schema),
            std::any::type_name::<Vec<T>>(),
        ));
    }
}

impl IntoResponse for String {
    fn into_response(self, cx: &RequestCx<'_>) -> Response {
        Response::with_content(cx.default_status(), &TEXT_CONTENT, self)
    }

    fn describe(r: &mut Responses<'_>) {
        r.specs.push(ResponseSpec::new(None, ContentSpec::Text, "String"));
    }
}

impl IntoResponse for &'static str {
    fn into_response(self, cx: &RequestCx<'_>) -> Response {
        Response::with_content(cx.default_status(), &TEXT_CONTENT, self)
    }

    fn describe(r: &mut Responses<'_>) {
        r.specs.push(ResponseSpec::new(None, ContentSpec::Text, "&str"));
    }
}

impl IntoResponse for Bytes {
    fn into_response(self, cx: &RequestCx<'_>) -> Response {
        Response::with_content(cx.default_status(), &OCTET_CONTENT, self)
    }

    fn describe(r: &mut Responses<'_>) {
        r.specs.push(ResponseSpec::new(None, ContentSpec::Bytes, "Bytes"));
    }
}

impl IntoResponse for Problem {
    const IS_ERROR: bool = true;

    fn into_response(self, cx: &RequestCx<'_>) -> Response {
        cx.reject(self)
    }

    fn describe(r: &mut Responses<'_>) {
        r.specs
            .push(ResponseSpec::new(None, ContentSpec::Problem, "Problem"));
    }
}

impl IntoResponse for Response {
    fn into_response(self, _cx: &RequestCx<'_>) -> Response {
        self
    }

    fn describe(_r: &mut Responses<'_>) {}
}

/// What a handler that never succeeds returns (it always fails, or
/// panics): `Result<Infallible, E>` answers and documents only `E`'s
/// responses, and `Infallible` alone none of its own (OpenAPI lists the
/// framework's 500).
///
/// ```
/// use std::convert::Infallible;
/// use jero::{endpoint, errors::Conflict, openapi::OpenApi, App, BoxError, Wiring};
/// struct Retired;
///
/// #[endpoint(path = "/v1/widgets")]
/// impl Retired {
///     /// Always 409: the route is kept only to say so.
///     async fn get(&self) -> Result<Infallible, Conflict> {
///         Err(Conflict)
///     }
/// }
/// struct MyApp;
/// impl App for MyApp {
///     async fn wire(&self, w: &mut Wiring) -> Result<(), BoxError> {
///         w.include_endpoint(Retired).include_openapi(OpenApi::new("api", "1"));
///         Ok(())
///     }
/// }
/// let c = jero_testing::TestClient::new(MyApp);
/// assert_eq!(c.get("/v1/widgets").send().status(), 409);
/// let doc = c.get("/openapi.json").send().json::<serde_json::Value>();
/// let statuses: Vec<&String> = doc["paths"]["/v1/widgets"]["get"]["responses"]
///     .as_object()
///     .unwrap()
///     .keys()
///     .collect();
/// assert_eq!(statuses, ["409", "500"]);
/// ```
impl IntoResponse for std::convert::Infallible {
    fn into_response(self, _cx: &RequestCx<'_>) -> Response {
        match self {}
    }

    fn describe(_r: &mut Responses<'_>) {}
}

impl<T: IntoResponse, E: IntoResponse> IntoResponse for Result<T, E> {
    #[inline]
    fn into_response(self, cx: &RequestCx<'_>) -> Response {
        match self {
            Ok(v) => v.into_response(cx),
            Err(e) => e.into_response(cx),
        }
    }

    fn describe(r: &mut Responses<'_>) {
        T::describe(r);
        E::describe(r);
    }
}

/// Whether a JSON schema (as the generator produced it) describes a struct
/// (an object with declared properties) or a list of structs. Free-form
/// maps and bare scalars are refused at wiring.
pub(crate) fn is_struct_like(schema: &Schema, generator: &SchemaGenerator) -> bool {
    let resolved = resolve(schema, generator);
    let Some(obj) = resolved.as_object() else {
        return false;
    };
    let ty = obj.get("type").and_then(|t| t.as_str());
    match ty {
        // A struct declares its properties; a field-less struct declares
        // none and admits no others. A map admits any property.
        Some("object") => {
            if obj.contains_key("properties") {
                !free_additional(obj)
            } else {
                matches!(
                    obj.get("additionalProperties"),
                    None | Some(serde_json::Value::Bool(false))
                )
            }
        }
        Some("array") => match obj.get("items") {
            Some(items) => match Schema::try_from(items.clone()) {
                Ok(items) => is_struct_like(&items, generator),
                Err(_) => false,
            },
            None => false,
        },
        // Tagged enums: every variant must be struct-like.
        None => ["oneOf", "anyOf"].iter().any(|k| {
            obj.get(*k).and_then(|v| v.as_array()).is_some_and(|variants| {
                variants.iter().all(|v| {
                    Schema::try_from(v.clone())
                        .map(|s| is_struct_like(&s, generator))
                        .unwrap_or(false)
                })
            })
        }),
        _ => false,
    }
}

fn free_additional(obj: &serde_json::Map<String, serde_json::Value>) -> bool {
    match obj.get("additionalProperties") {
        None | Some(serde_json::Value::Bool(false)) => false,
        Some(_) => obj
            .get("properties")
            .and_then(|p| p.as_object())
            .is_some_and(|p| p.is_empty()),
    }
}

/// Follows a `$ref` into the generator's definitions.
pub(crate) fn resolve(schema: &Schema, generator: &SchemaGenerator) -> Schema {
    if let Some(r) = schema.get("$ref").and_then(|r| r.as_str()) {
        let name = r.rsplit('/').next().unwrap_or(r);
        if let Some(def) = generator.definitions().get(name) {
            if let Ok(s) = Schema::try_from(def.clone()) {
                return s;
            }
        }
    }
    schema.clone()
}

/// Schema facts about an argument contract, gathered once at wiring.
#[derive(Debug, Clone)]
pub struct ContractInfo {
    /// The Rust type name.
    pub type_name: &'static str,
    /// The schema (possibly a `$ref`).
    pub schema: Schema,
    /// Wire names of the struct's fields, in declaration order (empty when
    /// the type is not a struct).
    pub fields: Vec<String>,
    /// The subset of `fields` that is required (no default, not optional).
    pub required: Vec<String>,
    /// Whether the type is a struct (an object with declared properties).
    pub is_struct: bool,
}

/// Collects [`ContractInfo`] for `T`.
pub fn contract_info<T: JsonSchema>(generator: &mut SchemaGenerator) -> ContractInfo {
    let schema = generator.subschema_for::<T>();
    let resolved = resolve(&schema, generator);
    let obj = resolved.as_object();
    let fields: Vec<String> = obj
        .and_then(|o| o.get("properties"))
        .and_then(|p| p.as_object())
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default();
    let required: Vec<String> = obj
        .and_then(|o| o.get("required"))
        .and_then(|r| r.as_array())
        .map(|r| r.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
        .unwrap_or_default();
    let is_struct = is_struct_like(&resolved, generator)
        && obj.and_then(|o| o.get("type")).and_then(|t| t.as_str()) == Some("object");
    ContractInfo {
        type_name: std::any::type_name::<T>(),
        schema,
        fields,
        required,
        is_struct,
    }
}

#[cfg(test)]
mod tests {
    use super::json_response;

    #[test]
    fn json_bodies_match_sonic_at_every_size() {
        // Below, at and well past the initial capacity, with escapes that
        // make sonic-rs reserve the most.
        for n in [0, 1, 100, 250, 256, 300, 5000] {
            let value = vec!["\"\\\n\u{1}é".repeat(n / 8), "x".repeat(n)];
            let res = crate::__private::with_detached_cx(200, |cx| json_response(cx, &value));
            let want = sonic_rs::to_vec(&value).unwrap();
            assert_eq!(res.body().bytes(), Some(&want[..]), "n = {n}");
            let headers: Vec<_> = res.headers().collect();
            assert_eq!(
                headers,
                [(&b"content-type"[..], &b"application/json"[..])],
                "n = {n}"
            );
        }
    }
}
