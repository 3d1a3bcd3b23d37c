//! Response wrappers: when headers, cookies or the status matter.
//!
//! Every wrapper carries typed headers `H` (a contract struct, `()` for
//! none), cookies, raw headers, and an optional status override. Headers are
//! emitted in that order: typed headers, then cookies, then raw headers.
//! `content-length` is always the framework's; `content-type` defaults per
//! body kind unless a typed or raw header sets it.

use std::fmt::Write as _;

use bytes::Bytes;
use jero_engine::{Body, HeaderBytes, Response, ResponseBuf, StaticHeader};
use schemars::Schema;
use serde::Serialize;

use crate::binding::RequestCx;
use crate::contract::Contract;
use crate::cookie::SetCookie;
use crate::headers::HeaderContract;
use crate::response::{
    header_specs, ContentSpec, IntoResponse, ResponseSpec, Responses, JSON_CONTENT, OCTET_CONTENT,
};

/// A wrapper's default content type: a compile-time checked one, or one
/// the application chose (checked when the response is built).
#[derive(Debug, Clone, Copy)]
enum ContentType {
    Known(&'static StaticHeader),
    Custom(&'static str),
}

/// A JSON body: a contract, a `Vec` of contracts, or `()` for no body.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a JSON response body",
    note = "use a #[jero::contract] struct, a Vec of them, or () for no body"
)]
pub trait JsonBody {
    /// Whether there is a body: `false` for `()`, whose responses carry
    /// neither a body nor a content type.
    const HAS_BODY: bool = true;

    /// Appends the body, serialized, to `out` (nothing for `()`): a
    /// `&mut Vec<u8>`, or any writer sonic-rs writes into.
    ///
    /// ```
    /// use jero::JsonBody;
    /// #[jero::contract]
    /// struct Id { id: u32 }
    /// let mut out = b"before it: ".to_vec();
    /// Id { id: 7 }.write_json(&mut out).unwrap();
    /// assert_eq!(out, b"before it: {\"id\":7}");
    /// ().write_json(&mut out).unwrap();
    /// assert!(out.ends_with(b"{\"id\":7}"));
    /// ```
    fn write_json<W: sonic_rs::writer::WriteExt>(&self, out: W) -> Result<(), sonic_rs::Error>;

    /// Serializes the body into `res`; returns whether there is one
    /// (`false` for `()`).
    ///
    /// ```
    /// use jero::JsonBody;
    /// #[jero::contract]
    /// struct Id { id: u32 }
    /// let mut res = jero::engine::Response::new(200);
    /// assert!(Id { id: 7 }.write_body(&mut res).unwrap());
    /// assert_eq!(res.body().bytes(), Some(&br#"{"id":7}"#[..]));
    /// assert!(!().write_body(&mut res).unwrap());
    /// ```
    fn write_body(&self, res: &mut Response) -> Result<bool, sonic_rs::Error> {
        if !Self::HAS_BODY {
            return Ok(false);
        }
        let mut bytes = Vec::with_capacity(crate::response::JSON_BODY_CAPACITY);
        self.write_json(&mut bytes)?;
        res.set_body(Body::Owned(bytes));
        Ok(true)
    }

    /// The body's schema; `None` for no body.
    fn schema(generator: &mut schemars::SchemaGenerator) -> Option<Schema>;
}

impl<T: Contract + Serialize> JsonBody for T {
    #[inline(always)]
    fn write_json<W: sonic_rs::writer::WriteExt>(&self, out: W) -> Result<(), sonic_rs::Error> {
        sonic_rs::to_writer(out, self)
    }

    fn schema(generator: &mut schemars::SchemaGenerator) -> Option<Schema> {
        Some(generator.subschema_for::<T>())
    }
}

impl<T: Contract + Serialize> JsonBody for Vec<T> {
    #[inline(always)]
    fn write_json<W: sonic_rs::writer::WriteExt>(&self, out: W) -> Result<(), sonic_rs::Error> {
        sonic_rs::to_writer(out, self)
    }

    fn schema(generator: &mut schemars::SchemaGenerator) -> Option<Schema> {
        Some(generator.subschema_for::<Vec<T>>())
    }
}

impl JsonBody for () {
    const HAS_BODY: bool = false;

    #[inline(always)]
    fn write_json<W: sonic_rs::writer::WriteExt>(&self, _out: W) -> Result<(), sonic_rs::Error> {
        Ok(())
    }

    fn schema(_: &mut schemars::SchemaGenerator) -> Option<Schema> {
        None
    }
}

/// The options every wrapper shares. Kept small (cookies and raw headers
/// share one list, a null pointer until the first is added) because every
/// wrapper is moved through the handler's return path.
#[derive(Debug, Clone, Default)]
struct Extras {
    status: Option<u16>,
    /// Whether a raw header sets `content-type` (checked as they are added).
    raw_content_type: bool,
    /// Cookies and raw headers, in the order they were added.
    items: Items,
}

/// A list that is one null pointer while empty: a wrapper without cookies
/// or raw headers is 16 bytes smaller than with a `Vec`, and dropping it
/// is one test instead of a call to the list's drop glue
/// (`benches/encode`: the bare wrapper against the plain struct). The
/// first two items share one allocation.
#[derive(Debug, Clone, Default)]
struct Items(Option<Box<ItemList>>);

/// What [`Items`] points to.
type ItemList = smallvec::SmallVec<[Extra; 2]>;

impl Items {
    fn push(&mut self, item: Extra) {
        self.0.get_or_insert_with(Default::default).push(item);
    }

    #[inline(always)]
    fn as_slice(&self) -> &[Extra] {
        self.0.as_deref().map_or(&[], |items| items.as_slice())
    }

    #[inline(always)]
    fn is_empty(&self) -> bool {
        self.0.is_none()
    }
}

impl Drop for Items {
    #[inline(always)]
    fn drop(&mut self) {
        if let Some(items) = self.0.take() {
            drop_items(items);
        }
    }
}

/// The out-of-line part of dropping [`Items`].
#[cold]
#[inline(never)]
fn drop_items(items: Box<ItemList>) {
    drop(items);
}

#[derive(Debug, Clone)]
enum Extra {
    Cookie(SetCookie),
    Raw(HeaderBytes, HeaderBytes),
}

impl Extras {
    /// Writes typed headers, cookies, raw headers, then the default
    /// content type if none of them set one. A raw `content-type` (the
    /// escape hatch) replaces a typed one: a response has one content type.
    #[inline]
    fn apply<H: HeaderContract>(&self, headers: &H, res: &mut Response, content_type: Option<ContentType>) {
        let typed_content_type = headers.write_headers(res);
        if typed_content_type && self.raw_content_type {
            res.remove_header("content-type");
        }
        if !self.items.is_empty() {
            write_items(self.items.as_slice(), res);
        }
        if let Some(ct) = content_type {
            if !typed_content_type && !self.raw_content_type {
                match ct {
                    ContentType::Known(h) => res.append_static(h),
                    ContentType::Custom(ct) => res.append_header("content-type", ct),
                }
            }
        }
    }
}

/// Cookies first, then raw headers, each in the order they were added.
#[inline(never)]
fn write_items(items: &[Extra], res: &mut Response) {
    for item in items {
        if let Extra::Cookie(c) = item {
            match c.refused() {
                None => {
                    let mut line = res.header_line(b"set-cookie");
                    let _ = write!(line, "{c}");
                    line.finish();
                }
                Some(why) => tracing::error!(name = c.name(), "{why}"),
            }
        }
    }
    for item in items {
        if let Extra::Raw(n, v) = item {
            res.append_header(n, v);
        }
    }
}

macro_rules! options {
    ($name:ident) => {
        options!($name<>);
    };
    ($name:ident < $($g:ident),* >) => {
        impl<$($g,)* H> $name<$($g,)* H> {
            /// Replaces the typed headers.
            pub fn headers<H2: HeaderContract>(self, headers: H2) -> $name<$($g,)* H2> {
                $name { body: self.body, headers, extras: self.extras }
            }

            /// Overrides the status (200-599: another one is logged and
            /// answered with the generic 500 problem). On 204 and 304 no
            /// body and no `content-type` are sent.
            #[doc(alias = "status_code")]
            pub fn status(mut self, status: u16) -> Self {
                self.extras.status = Some(status);
                self
            }

            /// Adds a cookie (secure by default, see [`SetCookie`]). The
            /// OpenAPI document lists its `Set-Cookie` where the app says
            /// so ([`OpenApi::response_header`](crate::openapi::OpenApi::response_header)).
            pub fn cookie(mut self, cookie: SetCookie) -> Self {
                self.extras.items.push(Extra::Cookie(cookie));
                self
            }

            /// Adds a raw header, exactly as given (casing and repeats kept).
            /// The OpenAPI document lists it where the app says so
            /// ([`OpenApi::response_header`](crate::openapi::OpenApi::response_header)).
            pub fn raw_header(mut self, name: impl Into<HeaderBytes>, value: impl Into<HeaderBytes>) -> Self {
                let name = name.into();
                if name.eq_ignore_ascii_case(b"content-type") {
                    self.extras.raw_content_type = true;
                }
                self.extras.items.push(Extra::Raw(name, value.into()));
                self
            }

            /// The typed headers.
            pub fn typed_headers(&self) -> &H {
                &self.headers
            }
        }
    };
}

mod streaming;
pub use streaming::{
    NdjsonResponse, SseEvent, SseResponse, Stream, StreamingResponse, APPLICATION_NDJSON, TEXT_EVENT_STREAM,
};

/// A JSON response with typed headers `H`, cookies, raw headers and an
/// optional status.
///
/// ```
/// use jero::{contract, JsonResponse, SetCookie};
///
/// #[contract]
/// struct Widget { id: String }
///
/// #[contract]
/// struct RateHeaders { x_rate_limit: u32 }
///
/// let res = JsonResponse::new(Widget { id: "w1".into() })
///     .headers(RateHeaders { x_rate_limit: 10 })
///     .cookie(SetCookie::new("seen", "1"))
///     .raw_header("X-Trace-Id", "t-1")
///     .status(202);
/// # let _ = res;
/// ```
#[derive(Debug, Clone)]
#[doc(alias = "JSONResponse")]
pub struct JsonResponse<T, H = ()> {
    body: T,
    headers: H,
    extras: Extras,
}

impl<T: JsonBody> JsonResponse<T> {
    /// A response with this body and the operation's default status.
    pub fn new(body: T) -> JsonResponse<T> {
        JsonResponse {
            body,
            headers: (),
            extras: Extras::default(),
        }
    }
}

impl<T, H> JsonResponse<T, H> {
    /// The body.
    pub fn body(&self) -> &T {
        &self.body
    }
}

options!(JsonResponse<T>);

/// A wrapper's JSON response: typed headers, the serialized body, and the
/// JSON content type after the headers unless one of them set it; a
/// serialization failure is logged and answered with the generic 500.
///
/// When the typed headers cannot be `content-type` (known at compile
/// time: `HeaderContract::MAY_SET_CONTENT_TYPE`) and all are scalars
/// (names checked at compile time, values the engine would not refuse),
/// the response is written front to back in one buffer
/// ([`ResponseBuf`]): the header lines, the content type, then the body,
/// which the engine sends in one copy, as it does a plain struct's. The
/// headers' cost over a plain return is then their lines alone
/// (`benches/encode`). Otherwise the headers are written into a
/// [`Response`] the usual way, and the body after them.
#[inline(always)]
fn json_wrapper<T: JsonBody, H: HeaderContract>(
    cx: &RequestCx<'_>,
    status: u16,
    body: &T,
    headers: &H,
    extras: &Extras,
) -> Response {
    let status = extras.status.unwrap_or(status);
    // The lines' buffer is only made when they can all go there.
    if !extras.items.is_empty() || H::MAY_SET_CONTENT_TYPE || !headers.lines_possible() {
        return json_with_items(Response::new(status), cx, body, headers, extras);
    }
    let mut buf = ResponseBuf::new();
    if !headers.write_lines(&mut buf) {
        return json_with_items(Response::new(status), cx, body, headers, extras);
    }
    let content_type = T::HAS_BODY.then_some(&JSON_CONTENT);
    crate::response::framed_json::<T>(cx, &mut buf, status, content_type, |out| body.write_json(out))
}

/// [`json_wrapper`] built header by header: with cookies or raw headers,
/// or typed headers that cannot all be written ahead of the body.
#[inline(never)]
fn json_with_items<T: JsonBody, H: HeaderContract>(
    mut res: Response,
    cx: &RequestCx<'_>,
    body: &T,
    headers: &H,
    extras: &Extras,
) -> Response {
    match body.write_body(&mut res) {
        Ok(has_body) => {
            extras.apply(
                headers,
                &mut res,
                has_body.then_some(ContentType::Known(&JSON_CONTENT)),
            );
            res
        }
        Err(e) => crate::response::json_failed::<T>(cx, e),
    }
}

fn describe_json<T: JsonBody, H: HeaderContract>(r: &mut Responses<'_>, status: Option<u16>) {
    let content = match T::schema(r.generator) {
        Some(s) => ContentSpec::Json(s),
        None => ContentSpec::Empty,
    };
    let headers = header_specs::<H>(r.generator);
    r.specs
        .push(ResponseSpec::new(status, content, std::any::type_name::<T>()).with_headers(headers));
}

impl<T: JsonBody, H: HeaderContract> IntoResponse for JsonResponse<T, H> {
    #[inline]
    fn into_response(self, cx: &RequestCx<'_>) -> Response {
        json_wrapper(cx, cx.default_status(), &self.body, &self.headers, &self.extras)
    }

    fn describe(r: &mut Responses<'_>) {
        describe_json::<T, H>(r, None)
    }
}

/// A binary response with typed headers `H`.
///
/// ```
/// let res = jero::BytesResponse::new(jero::Bytes::from_static(b"id,name\n"))
///     .content_type("text/csv");
/// # let _ = res;
/// ```
#[derive(Debug, Clone)]
pub struct BytesResponse<H = ()> {
    body: (Bytes, ContentType),
    headers: H,
    extras: Extras,
}

impl BytesResponse {
    /// A response with these bytes (`application/octet-stream`).
    pub fn new(body: impl Into<Bytes>) -> BytesResponse {
        BytesResponse {
            body: (body.into(), ContentType::Known(&OCTET_CONTENT)),
            headers: (),
            extras: Extras::default(),
        }
    }
}

impl<H> BytesResponse<H> {
    /// Sets the content type.
    pub fn content_type(mut self, content_type: &'static str) -> Self {
        self.body.1 = ContentType::Custom(content_type);
        self
    }
}

options!(BytesResponse);

impl<H: HeaderContract> IntoResponse for BytesResponse<H> {
    fn into_response(self, cx: &RequestCx<'_>) -> Response {
        let (body, ct) = self.body;
        let mut res = Response::new(self.extras.status.unwrap_or(cx.default_status()));
        res.set_body(Body::Full(body));
        self.extras.apply(&self.headers, &mut res, Some(ct));
        res
    }

    fn describe(r: &mut Responses<'_>) {
        let headers = header_specs::<H>(r.generator);
        r.specs
            .push(ResponseSpec::new(None, ContentSpec::Bytes, "BytesResponse").with_headers(headers));
    }
}

/// 204 No Content: no body, and neither `content-type` nor `content-length`.
///
/// ```
/// let res = jero::NoContent::new().cookie(jero::SetCookie::new("session_id", "t"));
/// # let _ = res;
/// ```
#[derive(Debug, Clone, Default)]
pub struct NoContent<H = ()> {
    body: (),
    headers: H,
    extras: Extras,
}

impl NoContent {
    /// A 204 response.
    pub fn new() -> NoContent {
        NoContent::default()
    }
}

options!(NoContent);

impl<H: HeaderContract> IntoResponse for NoContent<H> {
    fn into_response(self, _cx: &RequestCx<'_>) -> Response {
        let mut res = Response::new(self.extras.status.unwrap_or(204));
        self.extras.apply(&self.headers, &mut res, None);
        res
    }

    fn describe(r: &mut Responses<'_>) {
        let headers = header_specs::<H>(r.generator);
        r.specs
            .push(ResponseSpec::new(Some(204), ContentSpec::Empty, "NoContent").with_headers(headers));
    }
}

macro_rules! fixed_status {
    ($(#[$doc:meta])* $name:ident, $status:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name<T = (), H = ()> {
            body: T,
            headers: H,
            extras: Extras,
        }

        impl<T: JsonBody> $name<T> {
            /// A response with this JSON body (`()` for none).
            pub fn new(body: T) -> $name<T> {
                $name { body, headers: (), extras: Extras::default() }
            }
        }

        impl $name<()> {
            /// A response without a body.
            pub fn empty() -> $name<()> {
                $name { body: (), headers: (), extras: Extras::default() }
            }
        }

        options!($name<T>);

        impl<T: JsonBody, H: HeaderContract> IntoResponse for $name<T, H> {
            fn into_response(self, cx: &RequestCx<'_>) -> Response {
                json_wrapper(cx, $status, &self.body, &self.headers, &self.extras)
            }

            fn describe(r: &mut Responses<'_>) {
                describe_json::<T, H>(r, Some($status))
            }
        }
    };
}

fixed_status!(
    /// 201 Created, with an optional JSON body and the usual header options.
    ///
    /// ```
    /// #[jero::contract]
    /// struct Id { id: String }
    /// let res = jero::Created::new(Id { id: "1".into() }).raw_header("Location", "/widgets/1");
    /// # let _ = res;
    /// ```
    Created,
    201
);

fixed_status!(
    /// 202 Accepted, with an optional JSON body and the usual header options.
    ///
    /// ```
    /// let res = jero::Accepted::empty();
    /// # let _ = res;
    /// ```
    Accepted,
    202
);
