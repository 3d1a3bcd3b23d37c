//! Binding by name: each handler argument's name picks its source.
//!
//! The arguments that read only the request head (`path`, `params`,
//! `headers`, `cookies`, `raw_headers`) are bound before the one that reads
//! the body (`json`, `content`). Each binder deserializes straight into the
//! handler's own argument type. Failures become the fixed REST statuses: a
//! path value that does not convert is 404; bad query, header or cookie
//! values and malformed JSON are 400; well-formed JSON that breaks the
//! schema is 422. Every message names the failing field, never its value.
//! Once decoded, a contract's declared constraints are checked (see
//! [`validate`](crate::validate)), and a violation is the same status as a
//! value of the source that does not convert.

mod fields;
mod form;
mod raw_headers;

use std::borrow::Cow;

use bytes::Bytes;
use serde::de::DeserializeOwned;
use smallvec::SmallVec;

pub use fields::FieldError;
pub use form::{bind_form, FilePart, FormPart, PartHeaders};
pub use raw_headers::RawHeaders;

use crate::contract::Contract;
use crate::problem::Problem;
use crate::router::OpMeta;
pub(crate) use fields::loose_eq;
use fields::{Entry, Fields, Match};

/// What a handler's binders read from: the request, the matched route and
/// the app's settings. Created by the router for each request.
pub struct RequestCx<'a> {
    pub(crate) req: &'a jero_engine::Request,
    /// Raw (still percent-encoded) slot values, in template order.
    pub(crate) slots: &'a [&'a str],
    pub(crate) meta: &'a OpMeta,
    pub(crate) app: &'a crate::router::AppShared,
    /// The exception handlers answering, innermost first: an error whose
    /// type has one of them is rendered without its handler (a handler
    /// whose response is its own error type, or that of a handler that
    /// led to it, would otherwise call itself without end).
    pub(crate) active: Option<&'a ActiveHandler<'a>>,
    /// What the operation's check before the body kept for it (the gate's
    /// answer), taken once by the handler.
    pub(crate) early: Option<&'a std::cell::Cell<Option<jero_engine::CarriedValue>>>,
}

/// An exception handler that is answering, and the one it answers within.
pub(crate) struct ActiveHandler<'a> {
    pub(crate) error: std::any::TypeId,
    pub(crate) outer: Option<&'a ActiveHandler<'a>>,
}

impl<'a> RequestCx<'a> {
    /// What the operation's check before the body kept, when it is a `T`:
    /// taken once (by [`crate::auth::pass_gate`]).
    #[inline]
    pub(crate) fn take_early<T: 'static>(&self) -> Option<T> {
        let value = self.early?.take()?;
        let kept = value.downcast::<T>().ok().map(|v| *v);
        // The check before the body and the handler are generated as a
        // pair: another type would be a bug, and the gate would run twice.
        debug_assert!(
            kept.is_some(),
            "the value kept before the body is not a {}",
            std::any::type_name::<T>()
        );
        kept
    }

    /// The engine's request.
    pub fn request(&self) -> &jero_engine::Request {
        self.req
    }

    /// The status this operation answers with when the handler does not
    /// choose one: 201 for `create`, 200 otherwise.
    pub fn default_status(&self) -> u16 {
        self.meta.default_status
    }

    /// The route being served, as `METHOD /template` (for logs).
    pub fn route(&self) -> &str {
        &self.meta.route
    }

    /// Renders a problem as this app renders errors.
    pub fn reject(&self, problem: Problem) -> jero_engine::Response {
        self.app.render(problem)
    }

    /// The exception handler registered for the error type `id`, unless
    /// it is already answering.
    #[inline]
    pub(crate) fn exception_handler(&self, id: std::any::TypeId) -> Option<&'a dyn crate::error::Handler> {
        let handler = self.app.handlers.find(id)?;
        let answering = std::iter::successors(self.active, |a| a.outer).any(|a| a.error == id);
        (!answering).then_some(handler)
    }
}

/// Reduces a serde or parser message to what is safe to show: serde's
/// standard messages quote the offending input (`invalid type: string
/// "abc", expected u32`); keep only the expectation. Serde's derives also
/// name the Rust type they expected (`expected struct MovieIn`), which
/// says nothing to a client and exposes the server's code: that becomes
/// the JSON shape (`expected an object`).
pub(crate) fn sanitize(msg: &str) -> String {
    if let Some(rest) = msg.strip_prefix("invalid length ") {
        if let Some((count, expected)) = rest.split_once(", expected ") {
            // Serde's derives accept a struct as an array of its fields and
            // report the length of one that is short: the client sent the
            // wrong shape.
            if expected.starts_with("struct ") {
                return "invalid type: expected an object".to_owned();
            }
            let (what, elements) = match expected.rfind(" with ") {
                Some(i) => (&expected[..i], &expected[i..]),
                None => (expected, ""),
            };
            return format!("invalid length {count}, expected {}{elements}", shape(what));
        }
    }
    if msg.starts_with("data did not match any variant of untagged enum ") {
        return "data did not match any variant".to_owned();
    }
    for prefix in ["invalid type: ", "invalid value: "] {
        if let Some(rest) = msg.strip_prefix(prefix) {
            return match rest.rfind(", expected ") {
                Some(i) => format!("{}expected {}", prefix, shape(&rest[i + ", expected ".len()..])),
                None => prefix.trim_end_matches([' ', ':']).to_owned(),
            };
        }
    }
    for prefix in ["unknown variant ", "unknown field "] {
        if let Some(rest) = msg.strip_prefix(prefix) {
            let what = prefix.trim_end();
            return match rest.rfind(", expected ") {
                Some(i) => format!("{what}, expected {}", &rest[i + ", expected ".len()..]),
                None => match rest.rfind(", there are no") {
                    Some(i) => format!("{what}{}", &rest[i..]),
                    None => what.to_owned(),
                },
            };
        }
    }
    msg.to_owned()
}

/// What serde's derives expect, as a JSON shape instead of a Rust type
/// name: `struct MovieIn` is an object, `tuple struct Pair` an array,
/// `enum Genre` (however tagged) one of its variants.
fn shape(expected: &str) -> &str {
    // `kind Name`, with nothing after the name.
    let kind = |prefix: &str| {
        expected
            .strip_prefix(prefix)
            .is_some_and(|name| !name.is_empty() && !name.contains(' '))
    };
    if kind("struct variant ") || kind("struct ") {
        "an object"
    } else if kind("tuple variant ") || kind("tuple struct ") {
        "an array"
    } else if kind("unit struct ") {
        "null"
    } else if kind("unit variant ")
        || kind("enum ")
        || kind("internally tagged enum ")
        || kind("adjacently tagged enum ")
    {
        "one of the enum's variants"
    } else {
        expected
    }
}

/// Decodes the path slots into the handler's `path` struct. Any failure,
/// including a slot with a `%` not followed by two hex digits (RFC 3986's
/// percent-encoding) or that is not UTF-8 once percent-decoded, is 404.
pub fn bind_path<T: DeserializeOwned + Contract>(cx: &RequestCx<'_>) -> Result<T, Problem> {
    let mut entries: SmallVec<[Entry<'_>; 4]> = SmallVec::new();
    for (raw, key) in cx.slots.iter().zip(cx.meta.slot_keys.iter()) {
        if raw.is_empty() {
            // `/collections//items/x`: an empty segment names no resource.
            return Err(Problem::not_found());
        }
        // Most slots hold no escapes: they are already the text they stand
        // for (and already UTF-8), without a pass through the decoder's
        // UTF-8 check.
        let value = if raw.contains('%') {
            if !escapes_well_formed(raw) {
                // `%zz` stands for nothing: no resource is named by it.
                return Err(Problem::not_found());
            }
            percent_encoding::percent_decode_str(raw)
                .decode_utf8()
                .map_err(|_| Problem::not_found())?
        } else {
            Cow::Borrowed(*raw)
        };
        entries.push((key, value));
    }
    let fields = Fields {
        entries: &entries,
        empty: &[],
        matching: Match::Exact,
        strict: false,
    };
    // Every slot is there (wiring checked the template against the
    // contract): no list to retry, so not `from_fields`, whose loop costs
    // a path binding about 35 instructions.
    let value = T::deserialize(fields).map_err(|_| Problem::not_found())?;
    checked(value, |_| Problem::not_found())
}

/// Whether every `%` in `raw` starts a `%XX` escape (two hex digits).
fn escapes_well_formed(raw: &str) -> bool {
    let bytes = raw.as_bytes();
    let mut i = 0;
    while let Some(at) = bytes[i..].iter().position(|&b| b == b'%') {
        let escape = i + at;
        match bytes.get(escape + 1..escape + 3) {
            Some([hi, lo]) if hi.is_ascii_hexdigit() && lo.is_ascii_hexdigit() => i = escape + 3,
            _ => return false,
        }
    }
    true
}

/// Decodes the query string into the handler's `params` struct (repeated
/// keys into a `Vec`, serde defaults honored; `+` is a space, escapes are
/// decoded). A key given with an empty value (`?count=` or `?count`) is
/// present with the empty text: an error for a number (even an `Option`
/// of one), `""` for a string. Failures are 400.
pub fn bind_params<T: DeserializeOwned + Contract>(cx: &RequestCx<'_>) -> Result<T, Problem> {
    let query = cx.req.query().unwrap_or("");
    let pairs: SmallVec<[(Cow<'_, str>, Cow<'_, str>); 8]> =
        form_urlencoded::parse(query.as_bytes()).collect();
    let entries: SmallVec<[Entry<'_>; 8]> = pairs
        .iter()
        .map(|(k, v)| (k.as_ref(), Cow::Borrowed(v.as_ref())))
        .collect();
    let fields = Fields {
        entries: &entries,
        empty: &[],
        matching: Match::Exact,
        strict: true,
    };
    bind_fields(fields, |e| {
        Problem::malformed(describe_field("query parameter", e, str::to_owned))
    })
}

/// A contract from named text fields, its declared constraints checked
/// (see [`validate`](crate::validate)): a binding error and a violation
/// become the source's problem through `problem` alike.
#[inline]
fn bind_fields<T: DeserializeOwned + Contract>(
    fields: Fields<'_, '_>,
    problem: impl Fn(FieldError) -> Problem,
) -> Result<T, Problem> {
    let value = from_fields(fields).map_err(&problem)?;
    checked(value, problem)
}

/// `T` from `fields`, its lists zero or more ([`zero_or_more`]).
#[inline]
pub(crate) fn from_fields<T: DeserializeOwned>(fields: Fields<'_, '_>) -> Result<T, FieldError> {
    zero_or_more::<T>(|empty| T::deserialize(Fields { empty, ..fields })).map_err(|r| r.error)
}

/// `T` from passes of `pass`, which hands the fields it is given over with
/// no entries (or parts): its lists are zero or more. Once serde calls a
/// field missing, the next pass hands that field over empty, which a list
/// (`Vec`, a set) takes as empty, so that `tags: Vec<String>` takes a
/// query without `tags` and `attachments: Vec<FilePart>` a form without
/// one; a missing field of another type is the error, as serde first said
/// it. One more pass per missing list. Query parameters, headers, cookies,
/// part headers and forms bind through it.
///
/// `pass` (`T::deserialize`) has this one call site, in the loop: a second
/// one, in a function for the error path, kept LLVM from inlining it into
/// the binding (`perf/instructions.sh`: `/widgets/abc123` +52
/// instructions). The first pass carries no retry state (a null pointer):
/// the state lives in a box made on the error path.
#[inline]
pub(crate) fn zero_or_more<T: DeserializeOwned>(
    mut pass: impl FnMut(&[&'static str]) -> Result<T, FieldError>,
) -> Result<T, Box<Retried>> {
    let mut retry: Option<Box<Retried>> = None;
    loop {
        let empty = retry.as_ref().map_or(&[][..], |r| &r.empty[..]);
        match pass(empty) {
            Ok(value) => return Ok(value),
            Err(e) => list_to_retry::<T>(e, &mut retry)?,
        }
    }
}

/// What [`zero_or_more`] carries from a failed pass to the next, and
/// gives back when it gives up.
pub(crate) struct Retried {
    /// The fields handed over empty.
    pub(crate) empty: SmallVec<[&'static str; 4]>,
    /// serde's error for the last of them; when given back, the error to
    /// report.
    pub(crate) error: FieldError,
}

/// After a pass of [`zero_or_more`] that failed with `e`: adds the field
/// serde called missing to those the next pass hands over empty; or gives
/// up with the error to report: `e`, unless the last pass was a retry
/// that failed another way (the field is not a list), when it is serde's
/// first word on that field.
#[cold]
#[inline(never)]
fn list_to_retry<T: DeserializeOwned>(
    e: FieldError,
    retry: &mut Option<Box<Retried>>,
) -> Result<(), Box<Retried>> {
    let retried = retry.is_some();
    let r = retry.get_or_insert_with(|| {
        Box::new(Retried {
            empty: SmallVec::new(),
            error: FieldError {
                field: None,
                message: String::new(),
            },
        })
    });
    let field = e.missing_field().and_then(|name| {
        fields::field_names::<T>()
            .iter()
            .copied()
            .find(|f| *f == name && !r.empty.contains(f))
    });
    match field {
        Some(field) => {
            r.empty.push(field);
            r.error = e;
            Ok(())
        }
        None => {
            let mut given_up = retry.take().expect("made above");
            // A retry that failed some other way: its field is no list.
            if !retried || e.missing_field().is_some() {
                given_up.error = e;
            }
            Err(given_up)
        }
    }
}

/// `value` once its declared constraints hold; a violation becomes the
/// source's problem through `problem`, as a binding error of the field
/// would.
#[inline]
pub(crate) fn checked<T: crate::validate::HoldsContracts, E>(
    value: T,
    problem: impl FnOnce(FieldError) -> E,
) -> Result<T, E> {
    match value.check_held() {
        Ok(()) => Ok(value),
        Err(v) => Err(problem(v.into())),
    }
}

/// A failing field's path, safe to show: the key of an unknown field (what
/// the client sent) is left out, and a map key that is long or holds
/// other bytes than letters, digits, `_` and `-` shows as `*`, so that a
/// client cannot make the error repeat arbitrary input.
pub(crate) fn safe_path(path: &serde_path_to_error::Path, message: &str) -> String {
    use serde_path_to_error::Segment;
    let mut segments: Vec<&Segment> = path.iter().collect();
    if message.starts_with("unknown field") {
        segments.pop();
    }
    // A key as shown: as sent when it is a plain name, else `*`.
    let mut out = String::new();
    for segment in segments {
        let name = match segment {
            Segment::Seq { index } => {
                out.push_str(&format!("[{index}]"));
                continue;
            }
            Segment::Map { key } => shown_key(key),
            Segment::Enum { variant } => shown_key(variant),
            // Where the error could not be placed: the path up to it names
            // the field (`config`, not `config.?`).
            Segment::Unknown => continue,
        };
        if !out.is_empty() {
            out.push('.');
        }
        out.push_str(name);
    }
    out
}

/// A key (a map's, a variant's) in a path shown to the client: as sent
/// when it is a plain name (letters, digits, `_`, `-`, at most 64 bytes),
/// else `*`, so that a client cannot make an error repeat arbitrary input.
pub(crate) fn shown_key(key: &str) -> &str {
    let plain = (1..=64).contains(&key.len())
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if plain {
        key
    } else {
        "*"
    }
}

/// Decodes request headers into the handler's `headers` struct: a field
/// binds the header its name names (the response headers' rule: field
/// `x_trace_id`, or `xTraceId` under `rename_all = "camelCase"`, binds
/// `X-Trace-Id`, in any case; `X_Trace_Id` is another header). Failures
/// are 400.
pub fn bind_headers<T: DeserializeOwned + Contract>(cx: &RequestCx<'_>) -> Result<T, Problem> {
    let entries: SmallVec<[Entry<'_>; 16]> = cx
        .req
        .headers()
        .map(|(n, v)| match jero_engine::text(v) {
            Some(v) => (n, Cow::Borrowed(v)),
            // obs-text that is not UTF-8 (Latin-1): a field that binds it
            // is a 400, not text with U+FFFD in place of what the client
            // sent; `raw_headers` has the bytes.
            None => (n, Cow::Borrowed(fields::NOT_UTF8)),
        })
        .collect();
    let fields = Fields {
        entries: &entries,
        empty: &[],
        matching: Match::Header,
        strict: false,
    };
    bind_fields(fields, |e| {
        Problem::malformed(describe_field("header", e, crate::headers::kebab))
    })
}

fn describe_field(source: &str, e: FieldError, show: impl Fn(&str) -> String) -> String {
    match &e.field {
        Some(f) => format!("{source} `{}`: {}", show(f), e.message),
        None => {
            // serde's own "missing field `x`": name it as the source names it.
            if let Some(name) = e.missing_field() {
                format!("missing {source} `{}`", show(name))
            } else {
                format!("{source}: {}", e.message)
            }
        }
    }
}

/// Decodes the `Cookie` header(s) into the handler's `cookies` struct; names
/// bind verbatim (case-sensitive), values percent-decoded (as
/// [`SetCookie`](crate::SetCookie) encodes them; a value whose decoding is
/// not UTF-8 binds as sent). Failures are 400.
pub fn bind_cookies<T: DeserializeOwned + Contract>(cx: &RequestCx<'_>) -> Result<T, Problem> {
    let entries = cookie_entries(cx);
    let fields = Fields {
        entries: &entries,
        empty: &[],
        matching: Match::Exact,
        strict: false,
    };
    bind_fields(fields, |e| {
        Problem::malformed(describe_field("cookie", e, str::to_owned))
    })
}

/// Whether the request carries none of the headers (`headers`) or cookies
/// (otherwise) that the contract `T` binds: for an optional authenticator,
/// whose credentials that do not bind are then absent (an anonymous
/// caller) rather than invalid (401). A contract read through a map or
/// `flatten` names no fields of its own: its credentials are never taken
/// as absent (every request has headers), so it refuses as before.
pub fn credentials_absent<T: DeserializeOwned>(cx: &RequestCx<'_>, headers: bool) -> bool {
    let fields = fields::field_names::<T>();
    if fields.is_empty() {
        return false;
    }
    let matching = if headers { Match::Header } else { Match::Exact };
    let named = |name: &str| fields.iter().any(|f| fields::names_field(matching, name, f));
    if headers {
        !cx.req.headers().any(|(n, _)| named(n))
    } else {
        !cookie_entries(cx).iter().any(|(n, _)| named(n))
    }
}

/// The request's cookies, name and value, in order: values unquoted and
/// percent-decoded (as sent when that is not UTF-8). A value that is not
/// UTF-8 is [`fields::NOT_UTF8`] (a field binding it is a 400); a name
/// that is not UTF-8 can be no field's and is left out.
fn cookie_entries<'r>(cx: &RequestCx<'r>) -> SmallVec<[Entry<'r>; 8]> {
    let mut entries: SmallVec<[Entry<'_>; 8]> = SmallVec::new();
    for (name, value) in cx.req.headers() {
        if !name.eq_ignore_ascii_case("cookie") {
            continue;
        }
        for pair in value.split(|&b| b == b';') {
            let Some(eq) = pair.iter().position(|&b| b == b'=') else {
                continue;
            };
            let Ok(k) = std::str::from_utf8(&pair[..eq]) else {
                continue;
            };
            let Ok(v) = std::str::from_utf8(&pair[eq + 1..]) else {
                entries.push((k.trim(), Cow::Borrowed(fields::NOT_UTF8)));
                continue;
            };
            let v = v.trim();
            let v = v.strip_prefix('"').and_then(|v| v.strip_suffix('"')).unwrap_or(v);
            let v = match percent_encoding::percent_decode_str(v).decode_utf8() {
                Ok(decoded) => decoded,
                Err(_) => Cow::Borrowed(v),
            };
            entries.push((k.trim(), v));
        }
    }
    entries
}

/// Binds `raw_headers`: every header as sent.
pub fn bind_raw_headers<T: From<RawHeaders>>(cx: &RequestCx<'_>) -> Result<T, Problem> {
    Ok(T::from(RawHeaders::from_request(cx.req)))
}

/// Types a `json` body can bind to: a contract, or a `Vec` of contracts.
#[diagnostic::on_unimplemented(
    message = "`json` cannot be bound to `{Self}`",
    note = "declare `json` as a #[jero::contract] struct or a Vec of them; a JSON body is never a free-form map"
)]
pub trait JsonInput: DeserializeOwned + crate::validate::HoldsContracts {
    /// Whether the body must be a JSON object (a struct with named fields).
    #[doc(hidden)]
    const OBJECT: bool;
}

impl<T: Contract + DeserializeOwned> JsonInput for T {
    const OBJECT: bool = T::__JSON_OBJECT;
}
impl<T: Contract + DeserializeOwned> JsonInput for Vec<T> {
    const OBJECT: bool = false;
}

/// Decodes the JSON body into the handler's `json` type. Malformed JSON is
/// 400; JSON that does not fit the type is 422, an array or a scalar where
/// the body's own type is an object included (serde would take an array's
/// elements as a struct's fields in order). Inside the body, serde's rule
/// stands: a nested struct also binds from an array.
pub fn bind_json<T: JsonInput>(cx: &RequestCx<'_>) -> Result<T, Problem> {
    let body = cx.req.body();
    if T::OBJECT && body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(not_an_object(body));
    }
    let value: T = decode_json(body)?;
    checked(value, body_violated)
}

/// A JSON body that breaks a declared constraint: 422 naming the field.
#[cold]
fn body_violated(e: FieldError) -> Problem {
    json_body_invalid(e.field.as_deref().unwrap_or(""), &e.message)
}

/// A well-formed JSON body that does not fit: 422 naming where (`path`,
/// empty or `.` for the body itself) and what.
fn json_body_invalid(path: &str, message: &str) -> Problem {
    Problem::validation_failed(match path {
        "" | "." => format!("invalid JSON body: {message}"),
        path => format!("invalid JSON body at `{path}`: {message}"),
    })
}

/// How deep arrays and objects may nest in a JSON body (serde_json's
/// limit, which the form's JSON parts get too); deeper is 400.
pub const JSON_MAX_DEPTH: usize = 128;

/// The deepest nesting sonic-rs reads. It skips a value it does not bind
/// (an unknown field, or any value once the type does not match) by
/// recursion without a limit, with large frames: about 40 levels
/// overflowed a 2 MiB stack in a debug build, 20,000 in a release build
/// (a 20 KB body), and a stack overflow aborts the whole process. Deeper
/// bodies go to serde_json, which skips without recursion.
const SONIC_MAX_DEPTH: usize = 32;

/// Which parser a JSON body needs, by how deep its arrays and objects nest.
#[derive(Debug, PartialEq)]
enum Nesting {
    /// At most [`SONIC_MAX_DEPTH`]: sonic-rs.
    Shallow,
    /// At most [`JSON_MAX_DEPTH`]: serde_json.
    Deep,
    /// Deeper: 400.
    TooDeep,
}

/// How deep `body` nests. Counting its brackets (one vectorized pass: a
/// count that stops early is a byte loop, 4 % more instructions for `POST
/// /movies`) settles most bodies; one with more brackets than
/// [`SONIC_MAX_DEPTH`] (a list of objects, say) is walked, strings skipped.
#[inline]
fn nesting(body: &[u8]) -> Nesting {
    let brackets = body.iter().filter(|&&b| b == b'[' || b == b'{').count();
    if brackets <= SONIC_MAX_DEPTH {
        return Nesting::Shallow;
    }
    match json_depth(body) {
        d if d <= SONIC_MAX_DEPTH => Nesting::Shallow,
        d if d <= JSON_MAX_DEPTH => Nesting::Deep,
        _ => Nesting::TooDeep,
    }
}

/// The deepest nesting of arrays and objects in `body`, outside strings
/// (stops counting past [`JSON_MAX_DEPTH`]).
#[inline(never)]
fn json_depth(body: &[u8]) -> usize {
    let (mut depth, mut deepest, mut in_string, mut escaped) = (0usize, 0usize, false, false);
    for &b in body {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                deepest = deepest.max(depth);
                if deepest > JSON_MAX_DEPTH {
                    break;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

/// A body that is not an object where one is expected: 422 when it is
/// well-formed JSON, else the malformed body's 400.
#[cold]
fn not_an_object(body: &[u8]) -> Problem {
    match decode_json::<serde::de::IgnoredAny>(body) {
        Ok(_) => Problem::validation_failed("invalid JSON body: expected an object".to_owned()),
        Err(p) => p,
    }
}

/// See [`bind_json`]; usable on any bytes. Arrays and objects nested
/// deeper than [`JSON_MAX_DEPTH`] are 400.
pub fn decode_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, Problem> {
    match nesting(body) {
        Nesting::Shallow => sonic_rs::from_slice::<T>(body).map_err(|e| json_problem::<T>(body, &e)),
        Nesting::Deep => decode_deep_json(body),
        Nesting::TooDeep => Err(Problem::malformed(format!(
            "malformed JSON body: arrays and objects nested deeper than {JSON_MAX_DEPTH} levels"
        ))),
    }
}

/// [`decode_json`] with serde_json, for a body nested too deep for sonic-rs.
#[cold]
#[inline(never)]
fn decode_deep_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, Problem> {
    let e = match serde_json::from_slice::<T>(body) {
        Ok(v) => return Ok(v),
        Err(e) => e,
    };
    Err(match e.classify() {
        serde_json::error::Category::Data => data_problem(
            found_again::<T, _>(&mut serde_json::Deserializer::from_slice(body)),
            &e.to_string(),
        ),
        _ => syntax_problem(body, e.line(), e.column()),
    })
}

#[cold]
fn json_problem<T: DeserializeOwned>(body: &[u8], e: &sonic_rs::Error) -> Problem {
    use sonic_rs::error::Category;
    match e.classify() {
        Category::TypeUnmatched | Category::NotFound => data_problem(
            found_again::<T, _>(&mut sonic_rs::Deserializer::from_slice(body)),
            &e.to_string(),
        ),
        _ => syntax_problem(body, e.line(), e.column()),
    }
}

/// Decodes again with `de`, tracking the path: where the error is and
/// what it says, if it happens again.
fn found_again<'de, T: DeserializeOwned, D>(de: D) -> Option<(serde_path_to_error::Path, String)>
where
    D: serde::Deserializer<'de>,
    D::Error: std::fmt::Display,
{
    serde_path_to_error::deserialize::<_, T>(de)
        .err()
        .map(|e| (e.path().clone(), e.inner().to_string()))
}

/// Well-formed JSON that does not fit: 422 naming where, from the second
/// decoding's path and message when it found the error again, else from
/// the first error's message.
fn data_problem(found: Option<(serde_path_to_error::Path, String)>, first: &str) -> Problem {
    let (path, message) = match found {
        Some((path, message)) => (safe_path(&path, &message), json_message(&message)),
        None => (String::new(), json_message(first)),
    };
    json_body_invalid(&path, &message)
}

/// Malformed JSON: 400 with the position, never the input.
fn syntax_problem(body: &[u8], line: usize, column: usize) -> Problem {
    let reason = if body.iter().all(u8::is_ascii_whitespace) {
        "malformed JSON body: the body is empty".to_owned()
    } else {
        format!("malformed JSON body at line {line} column {column}")
    };
    Problem::malformed(reason)
}

/// sonic-rs appends the position and a snippet of the input to its
/// messages; keep only the message itself, sanitized.
fn json_message(msg: &str) -> String {
    let msg = match msg.find(" at line ") {
        Some(i) => &msg[..i],
        None => msg,
    };
    sanitize(msg)
}

/// Types a raw `content` body can bind to.
#[diagnostic::on_unimplemented(
    message = "`content` cannot be bound to `{Self}`",
    note = "declare `content` as `jero::Bytes`, `Vec<u8>` or `String`"
)]
pub trait FromContent: Sized {
    /// Converts the body.
    fn from_content(body: Bytes) -> Result<Self, Problem>;
}

impl FromContent for Bytes {
    fn from_content(body: Bytes) -> Result<Self, Problem> {
        Ok(body)
    }
}

impl FromContent for Vec<u8> {
    fn from_content(body: Bytes) -> Result<Self, Problem> {
        Ok(body.to_vec())
    }
}

impl FromContent for String {
    fn from_content(body: Bytes) -> Result<Self, Problem> {
        String::from_utf8(body.to_vec()).map_err(|_| Problem::malformed("the body is not valid UTF-8"))
    }
}

/// Binds `content`: the raw body.
pub fn bind_content<T: FromContent>(cx: &RequestCx<'_>) -> Result<T, Problem> {
    T::from_content(cx.req.body().clone())
}

#[cfg(test)]
mod tests {
    use super::sanitize;

    #[test]
    fn sanitize_drops_quoted_input() {
        assert_eq!(
            sanitize("invalid type: string \"secret\", expected i64"),
            "invalid type: expected i64"
        );
        assert_eq!(
            sanitize("invalid value: integer `-5`, expected u32"),
            "invalid value: expected u32"
        );
        assert_eq!(
            sanitize("unknown variant `secret`, expected `a` or `b`"),
            "unknown variant, expected `a` or `b`"
        );
        assert_eq!(sanitize("missing field `name`"), "missing field `name`");
    }

    #[test]
    fn sanitize_names_json_shapes_not_rust_types() {
        let cases = [
            (
                "invalid type: string \"x\", expected struct SessionIn",
                "invalid type: expected an object",
            ),
            (
                "invalid length 0, expected struct SessionIn with 1 element",
                "invalid type: expected an object",
            ),
            (
                "invalid length 1, expected tuple struct Pair with 2 elements",
                "invalid length 1, expected an array with 2 elements",
            ),
            (
                "invalid length 1, expected tuple variant Shape::Line with 2 elements",
                "invalid length 1, expected an array with 2 elements",
            ),
            (
                "invalid type: map, expected tuple struct Pair",
                "invalid type: expected an array",
            ),
            (
                "invalid type: integer `3`, expected enum Genre",
                "invalid type: expected one of the enum's variants",
            ),
            (
                "invalid type: sequence, expected internally tagged enum Shape",
                "invalid type: expected one of the enum's variants",
            ),
            (
                "invalid type: sequence, expected adjacently tagged enum Shape",
                "invalid type: expected one of the enum's variants",
            ),
            (
                "invalid type: map, expected unit variant Shape::Empty",
                "invalid type: expected one of the enum's variants",
            ),
            (
                "invalid type: map, expected unit struct Nothing",
                "invalid type: expected null",
            ),
            (
                "invalid type: map, expected struct variant Shape::Circle",
                "invalid type: expected an object",
            ),
            (
                "data did not match any variant of untagged enum Shape",
                "data did not match any variant",
            ),
            // Lengths of real sequences keep their message.
            (
                "invalid length 3, expected a tuple of size 2",
                "invalid length 3, expected a tuple of size 2",
            ),
            (
                "invalid length 3, expected fewer elements in array",
                "invalid length 3, expected fewer elements in array",
            ),
            // Expectations that are not type names stay as they are.
            (
                "invalid type: null, expected a string",
                "invalid type: expected a string",
            ),
            (
                "invalid value: string \"x\", expected a struct name",
                "invalid value: expected a struct name",
            ),
        ];
        for (message, shown) in cases {
            assert_eq!(sanitize(message), shown, "for {message:?}");
        }
    }
}
