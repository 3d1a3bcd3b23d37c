//! Errors through the in-process `TestClient`: `#[jero::error]` types,
//! enums of errors, the built-in errors, `jero::Error`, exception handlers,
//! the app's own error format, and handler panics. One behaviour per test.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use jero::{contract, endpoint, errors, resource, App, BoxError, JsonResponse, NoContent, Problem, Wiring};
use jero_testing::{json, TestClient, TestResponse};
use serde_json::Value;

// ---------------------------------------------------------------------------
// Contracts and errors

/// A foreign (non-jero) error type: `Debug`, `Display` with `message`,
/// `std::error::Error`.
macro_rules! foreign_error {
    ($(#[$doc:meta])* $name:ident, $message:literal) => {
        $(#[$doc])*
        #[derive(Debug)]
        struct $name;

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str($message)
            }
        }

        impl std::error::Error for $name {}
    };
}

#[contract]
struct WidgetPath {
    widget_id: String,
}

#[contract]
struct Widget {
    id: String,
    name: String,
}

#[contract]
struct NewWidget {
    name: String,
}

#[contract]
struct SearchParams {
    limit: u32,
}

#[contract]
struct Count {
    count: u32,
}

/// 409, no params.
#[jero::error(status = 409, code = "widget-exists", title = "Widget already exists")]
struct WidgetExists;

/// 404 with a detail template and camelCase params.
#[jero::error(
    status = 404,
    code = "widget-not-found",
    title = "Widget not found",
    detail = "Widget {widget_id} not found on shelf {shelf_name}"
)]
#[serde(rename_all = "camelCase")]
struct WidgetNotFound {
    widget_id: String,
    shelf_name: String,
}

/// Every error a widget handler can give.
#[derive(jero::IntoResponse)]
enum WidgetError {
    NotFound(WidgetNotFound),
    Exists(WidgetExists),
}

fn find(id: &str) -> Result<Widget, WidgetNotFound> {
    if id == "w1" {
        Ok(Widget {
            id: "w1".into(),
            name: "gear".into(),
        })
    } else {
        Err(WidgetNotFound {
            widget_id: id.into(),
            shelf_name: "north".into(),
        })
    }
}

fn ensure_new(name: &str) -> Result<(), WidgetExists> {
    if name == "taken" {
        Err(WidgetExists)
    } else {
        Ok(())
    }
}

foreign_error!(
    /// A foreign (non-jero) error, mapped by an exception handler.
    UpstreamFailed,
    "the upstream service did not answer"
);

foreign_error!(
    /// A foreign error with no exception handler; its message must not leak.
    SecretFailure,
    "db password=hunter2 rejected"
);

foreign_error!(
    /// A foreign error whose exception handler answers 200.
    NotReallyAnError,
    "not really an error"
);

foreign_error!(
    /// A foreign error whose exception handler panics.
    Exploding,
    "exploding"
);

foreign_error!(
    /// A foreign error whose exception handler answers a jero error.
    DuplicateKey,
    "duplicate key value violates unique constraint"
);

#[contract]
struct UpstreamBody {
    code: String,
}

#[contract]
struct MissingBody {
    missing: String,
}

/// A future that is pending once before it is ready.
struct YieldOnce(bool);

impl Future for YieldOnce {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            Poll::Ready(())
        } else {
            self.0 = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

// ---------------------------------------------------------------------------
// Routes (shared by every app below)

struct Widgets;

#[resource(path = "/widgets")]
impl Widgets {
    /// `?` converts `WidgetExists` into `WidgetError` (derived `From`).
    async fn create(&self, json: NewWidget) -> Result<Widget, WidgetError> {
        ensure_new(&json.name)?;
        Ok(Widget {
            id: "w-new".into(),
            name: json.name,
        })
    }

    /// `?` converts `WidgetNotFound` into `WidgetError` (derived `From`).
    async fn read_one(&self, path: WidgetPath) -> Result<Widget, WidgetError> {
        let widget = find(&path.widget_id)?;
        Ok(widget)
    }

    async fn read_many(&self) -> Vec<Widget> {
        Vec::new()
    }
}

struct Conflict;

#[endpoint(path = "/conflict")]
impl Conflict {
    async fn get(&self) -> Result<Widget, WidgetExists> {
        Err(WidgetExists)
    }
}

struct Missing;

#[endpoint(path = "/missing")]
impl Missing {
    async fn get(&self) -> Result<Widget, WidgetNotFound> {
        find("w9")
    }
}

struct Search;

#[endpoint(path = "/search")]
impl Search {
    async fn get(&self, params: SearchParams) -> Count {
        Count { count: params.limit }
    }
}

#[contract]
struct BuiltinPath {
    name: String,
}

/// Every built-in error, in one enum.
#[derive(jero::IntoResponse)]
enum Builtin {
    NotFound(errors::NotFound),
    MethodNotAllowed(errors::MethodNotAllowed),
    MalformedRequest(errors::MalformedRequest),
    ValidationFailed(errors::ValidationFailed),
    AuthenticationRequired(errors::AuthenticationRequired),
    Forbidden(errors::Forbidden),
    Conflict(errors::Conflict),
    Gone(errors::Gone),
    TooManyRequests(errors::TooManyRequests),
    UnsupportedMediaType(errors::UnsupportedMediaType),
    PayloadTooLarge(errors::PayloadTooLarge),
    InternalServerError(errors::InternalServerError),
}

struct Builtins;

#[endpoint(path = "/builtin/{name}")]
impl Builtins {
    async fn get(&self, path: BuiltinPath) -> Result<Widget, Builtin> {
        Err(match path.name.as_str() {
            "not-found" => errors::NotFound.into(),
            "method-not-allowed" => errors::MethodNotAllowed.into(),
            "malformed-request" => errors::MalformedRequest {
                reason: "the `limit` query parameter: expected u32".into(),
            }
            .into(),
            "validation-failed" => errors::ValidationFailed {
                reason: "body.name: missing field".into(),
            }
            .into(),
            "authentication-required" => errors::AuthenticationRequired.into(),
            "forbidden" => errors::Forbidden.into(),
            "conflict" => errors::Conflict.into(),
            "gone" => errors::Gone.into(),
            "too-many-requests" => errors::TooManyRequests.into(),
            "unsupported-media-type" => errors::UnsupportedMediaType.into(),
            "payload-too-large" => errors::PayloadTooLarge.into(),
            _ => errors::InternalServerError.into(),
        })
    }
}

/// Handlers that fail with `jero::Error`.
struct Upstream;

#[endpoint(path = "/upstream")]
impl Upstream {
    async fn get(&self) -> Result<Widget, jero::Error> {
        Err(UpstreamFailed)?
    }
}

struct Secret;

#[endpoint(path = "/secret")]
impl Secret {
    async fn get(&self) -> Result<Widget, jero::Error> {
        Err(SecretFailure)?
    }
}

struct NotReally;

#[endpoint(path = "/not-really")]
impl NotReally {
    async fn get(&self) -> Result<Widget, jero::Error> {
        Err(NotReallyAnError)?
    }
}

struct Explodes;

#[endpoint(path = "/explodes")]
impl Explodes {
    async fn get(&self) -> Result<Widget, jero::Error> {
        Err(Exploding)?
    }
}

struct Duplicate;

#[endpoint(path = "/duplicate")]
impl Duplicate {
    async fn get(&self) -> Result<Widget, jero::Error> {
        Err(DuplicateKey)?
    }
}

struct BoxedProblem;

#[endpoint(path = "/boxed-problem")]
impl BoxedProblem {
    async fn get(&self) -> Result<Widget, jero::Error> {
        Err(Problem::new(423, "widget-locked", "Widget locked").with_detail("Widget w1 is locked"))?
    }
}

struct Boom;

#[endpoint(path = "/boom")]
impl Boom {
    async fn get(&self) -> Widget {
        panic!("boom: secret-panic-detail")
    }

    /// A panic on a later poll, after the handler has been suspended.
    async fn post(&self) -> Widget {
        YieldOnce(false).await;
        panic!("late boom: secret-panic-detail")
    }

    /// A non-async handler.
    fn put(&self) -> Widget {
        panic!("sync boom: secret-panic-detail")
    }

    /// A panic whose payload is not a string.
    async fn delete(&self) -> Widget {
        std::panic::panic_any(42_u64)
    }
}

/// A body that refuses to serialize.
#[contract]
struct Unserializable {
    #[serde(serialize_with = "refuse")]
    value: u32,
}

fn refuse<S: serde::Serializer>(_: &u32, _: S) -> Result<S::Ok, S::Error> {
    Err(serde::ser::Error::custom("refused: secret-serialization-detail"))
}

struct Broken;

#[endpoint(path = "/broken")]
impl Broken {
    async fn get(&self) -> Unserializable {
        Unserializable { value: 1 }
    }

    async fn post(&self) -> JsonResponse<Unserializable> {
        JsonResponse::new(Unserializable { value: 1 })
    }

    async fn put(&self) -> Vec<Unserializable> {
        vec![Unserializable { value: 1 }]
    }
}

struct Healthy;

#[endpoint(path = "/healthy")]
impl Healthy {
    async fn get(&self) -> Widget {
        Widget {
            id: "h1".into(),
            name: "ok".into(),
        }
    }
}

/// An outcome enum: a success and an error.
#[derive(jero::IntoResponse)]
enum Lookup {
    Found(JsonResponse<Widget>),
    Plain(Widget),
    Missing(WidgetNotFound),
}

struct LookupWidget;

#[endpoint(path = "/lookup/{widget_id}")]
impl LookupWidget {
    async fn get(&self, path: WidgetPath) -> Lookup {
        match find(&path.widget_id) {
            Ok(w) => Lookup::Found(JsonResponse::new(w).status(203)),
            Err(e) => Lookup::Missing(e),
        }
    }

    async fn post(&self, path: WidgetPath) -> Lookup {
        match find(&path.widget_id) {
            Ok(w) => Lookup::Plain(w),
            Err(e) => Lookup::Missing(e),
        }
    }
}

foreign_error!(
    /// A library's error, mapped by its handler into the app's error enum.
    DbFailure,
    "db failure"
);

#[derive(jero::IntoResponse)]
enum AppFailure {
    Busy(WidgetBusy),
}

struct Db;

#[endpoint(path = "/db")]
impl Db {
    async fn get(&self) -> Result<Widget, jero::Error> {
        Err(DbFailure)?
    }
}

/// Two errors whose handlers answer each other.
#[jero::error(status = 429, code = "loop-a", title = "Loop A")]
struct LoopA;

#[jero::error(status = 429, code = "loop-b", title = "Loop B")]
struct LoopB;

struct Loop;

#[endpoint(path = "/loop")]
impl Loop {
    async fn get(&self) -> Result<Widget, LoopA> {
        Err(LoopA)
    }
}

/// A problem whose header would split the response head.
struct BadProblemHeader;

#[endpoint(path = "/bad-problem-header")]
impl BadProblemHeader {
    async fn get(&self) -> Result<Widget, jero::Error> {
        Err(Problem::new(423, "widget-locked", "Widget locked").with_header("x-why", "a\nx-injected: 1"))?
    }
}

/// A problem with its own content type.
struct TextProblem;

#[endpoint(path = "/text-problem")]
impl TextProblem {
    async fn get(&self) -> Result<Widget, jero::Error> {
        Err(Problem::new(418, "teapot", "Teapot").with_header("Content-Type", "text/plain"))?
    }
}

/// A problem with a success status.
struct SuccessProblem;

#[endpoint(path = "/success-problem")]
impl SuccessProblem {
    async fn get(&self) -> Result<Widget, jero::Error> {
        Err(Problem::new(200, "fine", "Fine"))?
    }
}

/// An error whose exception handler answers with the same error.
#[jero::error(status = 409, code = "widget-busy", title = "Widget busy")]
struct WidgetBusy;

struct Busy;

#[endpoint(path = "/busy")]
impl Busy {
    async fn get(&self) -> Result<Widget, WidgetBusy> {
        Err(WidgetBusy)
    }
}

foreign_error!(
    /// A foreign error whose exception handler answers with a header the
    /// engine refuses.
    SplitHeader,
    "split header"
);

struct Split;

#[endpoint(path = "/split")]
impl Split {
    async fn get(&self) -> Result<Widget, jero::Error> {
        Err(SplitHeader)?
    }
}

/// A parameterized error whose field is renamed.
#[jero::error(
    status = 423,
    code = "widget-locked",
    title = "Widget locked",
    detail = "Widget {widget_id} is locked"
)]
struct WidgetLocked {
    #[serde(rename = "wid")]
    widget_id: String,
}

struct Locked;

#[endpoint(path = "/locked")]
impl Locked {
    async fn get(&self) -> Result<Widget, WidgetLocked> {
        Err(WidgetLocked {
            widget_id: "w1".into(),
        })
    }
}

/// A panic only the log test triggers.
struct LoggedBoom;

#[contract]
struct BoomPath {
    n: u32,
}

#[endpoint(path = "/logged-boom/{n}")]
impl LoggedBoom {
    async fn get(&self, path: BoomPath) -> Widget {
        panic!("logged boom: {}", path.n)
    }
}

fn include_routes(w: &mut Wiring) {
    w.include_endpoint(LoggedBoom)
        .include_endpoint(LookupWidget)
        .include_endpoint(Db)
        .include_endpoint(Loop)
        .include_endpoint(BadProblemHeader)
        .include_endpoint(TextProblem)
        .include_endpoint(SuccessProblem)
        .include_endpoint(Busy)
        .include_endpoint(Split)
        .include_endpoint(Locked);
    w.include_resource(Widgets)
        .include_endpoint(Conflict)
        .include_endpoint(Missing)
        .include_endpoint(Search)
        .include_endpoint(Builtins)
        .include_endpoint(Upstream)
        .include_endpoint(Secret)
        .include_endpoint(NotReally)
        .include_endpoint(Explodes)
        .include_endpoint(Duplicate)
        .include_endpoint(BoxedProblem)
        .include_endpoint(Boom)
        .include_endpoint(Broken)
        .include_endpoint(Healthy);
}

// ---------------------------------------------------------------------------
// Apps

/// An app whose `wire` is a closure.
struct WireWith<F>(F);

impl<F: Fn(&mut Wiring) + Send + Sync + 'static> App for WireWith<F> {
    async fn wire(&self, wiring: &mut Wiring) -> Result<(), BoxError> {
        (self.0)(wiring);
        Ok(())
    }
}

/// Problem Details, no exception handlers.
fn plain() -> TestClient {
    TestClient::new(WireWith(include_routes))
}

/// Problem Details, with exception handlers.
fn with_handlers() -> TestClient {
    TestClient::new(WireWith(|w: &mut Wiring| {
        include_routes(w);
        wire_handlers(w);
    }))
}

fn wire_handlers(w: &mut Wiring) {
    w.on_error(|_: &UpstreamFailed| {
        JsonResponse::new(UpstreamBody {
            code: "upstream-failed".into(),
        })
        .status(503)
        .raw_header("Retry-After", "30")
    })
    .on_error(|e: &WidgetNotFound| {
        JsonResponse::new(MissingBody {
            missing: e.widget_id.clone(),
        })
        .status(404)
        .raw_header("X-Handled-By", "on_error")
    })
    .on_error(|_: &NotReallyAnError| JsonResponse::new(UpstreamBody { code: "fine".into() }).status(200))
    .on_error(|_: &Exploding| -> JsonResponse<UpstreamBody> { panic!("exception handler boom: secret") })
    .on_error(|_: &DuplicateKey| WidgetExists)
    .on_error(|_: &WidgetBusy| -> Result<NoContent, WidgetBusy> { Err(WidgetBusy) })
    .on_error(|_: &SplitHeader| {
        JsonResponse::new(UpstreamBody { code: "split".into() })
            .status(502)
            .raw_header("X-Why", "a\r\nx-injected: 1")
    });
}

/// The house error body.
#[contract]
struct HouseError {
    error_code: String,
    message: String,
    http_status: u16,
}

/// The house error format, with the exception handlers.
fn house() -> TestClient {
    TestClient::new(WireWith(|w: &mut Wiring| {
        include_routes(w);
        wire_handlers(w);
        w.error_format(|p: &Problem| HouseError {
            error_code: p.code().to_owned(),
            message: p.detail().unwrap_or(p.title()).to_owned(),
            http_status: p.status(),
        });
    }))
}

const GENERIC_500: &str = r#"{"type":"internal-server-error","title":"Internal server error","status":500}"#;

/// Asserts a problem response: status, media type and exact body.
#[track_caller]
fn assert_problem(resp: &TestResponse, status: u16, body: &str) {
    assert_eq!(resp.status(), status, "{}", resp.text());
    assert_eq!(resp.header("content-type"), Some("application/problem+json"));
    assert_eq!(resp.text(), body);
}

/// Asserts a house-format response: status, media type and body.
#[track_caller]
fn assert_house(resp: &TestResponse, status: u16, code: &str, message: &str) {
    assert_eq!(resp.status(), status, "{}", resp.text());
    assert_eq!(resp.header("content-type"), Some("application/json"));
    assert_eq!(
        resp.json::<Value>(),
        json!({"error_code": code, "message": message, "http_status": status})
    );
}

// ---------------------------------------------------------------------------
// `#[jero::error]`

#[test]
fn unit_error_is_its_exact_problem() {
    let resp = plain().get("/conflict").send();
    assert_problem(
        &resp,
        409,
        r#"{"type":"widget-exists","title":"Widget already exists","status":409}"#,
    );
}

#[test]
fn unit_error_headers_are_problem_json_and_length() {
    let resp = plain().get("/conflict").send();
    let headers: Vec<(&str, String)> = resp
        .headers()
        .iter()
        .map(|(n, v)| (n.as_str(), String::from_utf8_lossy(v).into_owned()))
        .collect();
    assert_eq!(
        headers,
        vec![
            ("content-length", resp.body().len().to_string()),
            ("content-type", "application/problem+json".to_owned()),
        ]
    );
}

#[test]
fn parameterized_error_renders_detail_and_camel_case_params() {
    let resp = plain().get("/missing").send();
    assert_problem(
        &resp,
        404,
        r#"{"type":"widget-not-found","title":"Widget not found","status":404,"detail":"Widget w9 not found on shelf north","params":{"widgetId":"w9","shelfName":"north"}}"#,
    );
}

#[test]
fn parameterized_error_api_error_values() {
    use jero::ApiError;
    let e = WidgetNotFound {
        widget_id: "w9".into(),
        shelf_name: "north".into(),
    };
    assert_eq!(WidgetNotFound::STATUS, 404);
    assert_eq!(WidgetNotFound::CODE, "widget-not-found");
    assert_eq!(WidgetNotFound::TITLE, "Widget not found");
    assert_eq!(e.detail().as_deref(), Some("Widget w9 not found on shelf north"));
    assert_eq!(e.params(), Some(json!({"widgetId": "w9", "shelfName": "north"})));
    assert_eq!(e.to_string(), "Widget w9 not found on shelf north");
    assert_eq!(WidgetExists.detail(), None);
    assert_eq!(WidgetExists.params(), None);
    assert_eq!(WidgetExists.to_string(), "Widget already exists");
}

#[test]
fn error_enum_with_question_mark_gives_the_not_found_variant() {
    let resp = plain().get("/widgets/w2").send();
    assert_problem(
        &resp,
        404,
        r#"{"type":"widget-not-found","title":"Widget not found","status":404,"detail":"Widget w2 not found on shelf north","params":{"widgetId":"w2","shelfName":"north"}}"#,
    );
}

#[test]
fn error_enum_with_question_mark_gives_the_conflict_variant() {
    let resp = plain().post("/widgets").json(&json!({"name": "taken"})).send();
    assert_problem(
        &resp,
        409,
        r#"{"type":"widget-exists","title":"Widget already exists","status":409}"#,
    );
}

#[test]
fn error_enum_success_path_keeps_the_verb_status() {
    let c = plain();
    let read = c.get("/widgets/w1").send();
    assert_eq!(read.status(), 200);
    assert_eq!(read.json::<Value>(), json!({"id": "w1", "name": "gear"}));
    let create = c.post("/widgets").json(&json!({"name": "cog"})).send();
    assert_eq!(create.status(), 201);
    assert_eq!(create.json::<Value>(), json!({"id": "w-new", "name": "cog"}));
}

// ---------------------------------------------------------------------------
// Built-in errors

#[track_caller]
fn builtin(name: &str) -> TestResponse {
    plain().get(&format!("/builtin/{name}")).send()
}

#[test]
fn builtin_not_found() {
    assert_problem(
        &builtin("not-found"),
        404,
        r#"{"type":"not-found","title":"Not found","status":404}"#,
    );
}

#[test]
fn builtin_method_not_allowed() {
    assert_problem(
        &builtin("method-not-allowed"),
        405,
        r#"{"type":"method-not-allowed","title":"Method not allowed","status":405}"#,
    );
}

#[test]
fn builtin_malformed_request_detail_is_the_reason() {
    assert_problem(
        &builtin("malformed-request"),
        400,
        r#"{"type":"malformed-request","title":"Malformed request","status":400,"detail":"the `limit` query parameter: expected u32","params":{"reason":"the `limit` query parameter: expected u32"}}"#,
    );
}

#[test]
fn builtin_validation_failed_detail_is_the_reason() {
    assert_problem(
        &builtin("validation-failed"),
        422,
        r#"{"type":"validation-failed","title":"Validation failed","status":422,"detail":"body.name: missing field","params":{"reason":"body.name: missing field"}}"#,
    );
}

#[test]
fn builtin_authentication_required() {
    assert_problem(
        &builtin("authentication-required"),
        401,
        r#"{"type":"authentication-required","title":"Authentication required","status":401}"#,
    );
}

#[test]
fn builtin_forbidden() {
    assert_problem(
        &builtin("forbidden"),
        403,
        r#"{"type":"forbidden","title":"Forbidden","status":403}"#,
    );
}

#[test]
fn builtin_conflict() {
    assert_problem(
        &builtin("conflict"),
        409,
        r#"{"type":"conflict","title":"Conflict","status":409}"#,
    );
}

#[test]
fn builtin_gone() {
    assert_problem(
        &builtin("gone"),
        410,
        r#"{"type":"gone","title":"Gone","status":410}"#,
    );
}

#[test]
fn builtin_too_many_requests() {
    assert_problem(
        &builtin("too-many-requests"),
        429,
        r#"{"type":"too-many-requests","title":"Too many requests","status":429}"#,
    );
}

#[test]
fn builtin_unsupported_media_type() {
    assert_problem(
        &builtin("unsupported-media-type"),
        415,
        r#"{"type":"unsupported-media-type","title":"Unsupported media type","status":415}"#,
    );
}

#[test]
fn builtin_payload_too_large() {
    assert_problem(
        &builtin("payload-too-large"),
        413,
        r#"{"type":"payload-too-large","title":"Payload too large","status":413}"#,
    );
}

#[test]
fn builtin_internal_server_error() {
    assert_problem(&builtin("internal-server-error"), 500, GENERIC_500);
}

#[test]
fn builtin_malformed_request_matches_the_framework_own_400() {
    let c = plain();
    let own = c.get("/search").query("limit", "abc").send();
    assert_eq!(own.status(), 400, "{}", own.text());
    let reason = own.json::<Value>()["detail"].as_str().unwrap().to_owned();
    let expected = jero::ApiError::to_problem(&errors::MalformedRequest { reason }).to_json();
    assert_problem(&own, 400, &expected);
}

// ---------------------------------------------------------------------------
// `jero::Error` and exception handlers

#[test]
fn exception_handler_maps_a_boxed_error_to_its_response() {
    let resp = with_handlers().get("/upstream").send();
    assert_eq!(resp.status(), 503, "{}", resp.text());
    assert_eq!(resp.header("content-type"), Some("application/json"));
    assert_eq!(resp.header("retry-after"), Some("30"));
    assert_eq!(resp.text(), r#"{"code":"upstream-failed"}"#);
}

#[test]
fn exception_handler_response_keeps_raw_header_casing() {
    let resp = with_handlers().get("/upstream").send();
    assert!(
        resp.headers()
            .iter()
            .any(|(n, v)| n == "Retry-After" && v == b"30"),
        "{:?}",
        resp.headers()
    );
}

#[test]
fn exception_handler_overrides_a_jero_error_default_problem() {
    let resp = with_handlers().get("/missing").send();
    assert_eq!(resp.status(), 404, "{}", resp.text());
    assert_eq!(resp.header("content-type"), Some("application/json"));
    assert_eq!(resp.header("x-handled-by"), Some("on_error"));
    assert_eq!(resp.text(), r#"{"missing":"w9"}"#);
}

#[test]
fn exception_handler_applies_inside_an_error_enum() {
    let resp = with_handlers().get("/widgets/w4").send();
    assert_eq!(resp.status(), 404, "{}", resp.text());
    assert_eq!(resp.header("x-handled-by"), Some("on_error"));
    assert_eq!(resp.text(), r#"{"missing":"w4"}"#);
}

#[test]
fn exception_handler_leaves_other_error_types_alone() {
    let resp = with_handlers().get("/conflict").send();
    assert_problem(
        &resp,
        409,
        r#"{"type":"widget-exists","title":"Widget already exists","status":409}"#,
    );
}

#[test]
fn exception_handler_may_answer_a_jero_error() {
    let resp = with_handlers().get("/duplicate").send();
    assert_problem(
        &resp,
        409,
        r#"{"type":"widget-exists","title":"Widget already exists","status":409}"#,
    );
}

#[test]
fn second_exception_handler_for_one_type_is_a_wiring_error() {
    let app = WireWith(|w: &mut Wiring| {
        include_routes(w);
        w.on_error(|_: &UpstreamFailed| JsonResponse::new(UpstreamBody { code: "a".into() }).status(503));
        w.on_error(|_: &UpstreamFailed| JsonResponse::new(UpstreamBody { code: "b".into() }).status(502));
    });
    let err = TestClient::try_new(app).err().unwrap();
    assert_eq!(
        err.message(),
        "an exception handler for UpstreamFailed is already registered; keep one handler per error type"
    );
}

#[test]
fn exception_handler_answering_200_becomes_the_generic_500() {
    let resp = with_handlers().get("/not-really").send();
    assert_problem(&resp, 500, GENERIC_500);
}

#[test]
fn exception_handler_that_panics_becomes_the_generic_500() {
    let c = with_handlers();
    let resp = c.get("/explodes").send();
    assert_problem(&resp, 500, GENERIC_500);
    assert!(!resp.text().contains("secret"));
    assert_eq!(c.get("/healthy").send().status(), 200);
}

#[test]
fn boxed_error_without_a_handler_is_the_generic_500() {
    let resp = plain().get("/secret").send();
    assert_problem(&resp, 500, GENERIC_500);
}

#[test]
fn boxed_error_without_a_handler_leaks_nothing_of_its_cause() {
    let resp = plain().get("/secret").send();
    let text = resp.text();
    assert!(!text.contains("hunter2"), "{text}");
    assert!(!text.contains("password"), "{text}");
    assert!(!text.contains("SecretFailure"), "{text}");
    assert!(resp
        .headers()
        .iter()
        .all(|(_, v)| !String::from_utf8_lossy(v).contains("hunter2")));
}

#[test]
fn boxed_error_is_the_generic_500_when_only_other_types_have_handlers() {
    let resp = with_handlers().get("/secret").send();
    assert_problem(&resp, 500, GENERIC_500);
}

#[test]
fn boxed_problem_is_rendered_as_itself() {
    let resp = plain().get("/boxed-problem").send();
    assert_problem(
        &resp,
        423,
        r#"{"type":"widget-locked","title":"Widget locked","status":423,"detail":"Widget w1 is locked"}"#,
    );
}

#[test]
fn boxed_error_keeps_its_type_for_downcasting() {
    let e: jero::Error = UpstreamFailed.into();
    assert!(e.is::<UpstreamFailed>());
    assert!(!e.is::<SecretFailure>());
    assert!(e.downcast_ref::<UpstreamFailed>().is_some());
    assert_eq!(e.to_string(), "the upstream service did not answer");
}

// ---------------------------------------------------------------------------
// The house error format

#[test]
fn house_format_renders_a_unit_app_error() {
    let resp = house().get("/conflict").send();
    assert_house(&resp, 409, "widget-exists", "Widget already exists");
}

#[test]
fn house_format_renders_a_parameterized_app_error_with_its_detail() {
    // No exception handlers here: the format renders the detail.
    let app = WireWith(|w: &mut Wiring| {
        include_routes(w);
        w.error_format(|p: &Problem| HouseError {
            error_code: p.code().to_owned(),
            message: p.detail().unwrap_or(p.title()).to_owned(),
            http_status: p.status(),
        });
    });
    let resp = TestClient::new(app).get("/widgets/w3").send();
    assert_house(
        &resp,
        404,
        "widget-not-found",
        "Widget w3 not found on shelf north",
    );
}

#[test]
fn house_format_renders_a_builtin_error() {
    let resp = house().get("/builtin/gone").send();
    assert_house(&resp, 410, "gone", "Gone");
}

#[test]
fn house_format_renders_the_unmatched_404() {
    let resp = house().get("/nowhere").send();
    assert_house(&resp, 404, "not-found", "Not found");
}

#[test]
fn house_format_renders_the_405_and_keeps_allow() {
    let resp = house().delete("/widgets").send();
    assert_house(&resp, 405, "method-not-allowed", "Method not allowed");
    assert_eq!(resp.header("allow"), Some("GET, HEAD, OPTIONS, POST"));
}

/// Sends the same request to the house app and to the plain app: the house
/// body carries the problem's status, code and detail.
#[track_caller]
fn assert_house_matches_plain(send: impl Fn(&TestClient) -> TestResponse, status: u16, code: &str) {
    let plain = send(&plain());
    assert_eq!(plain.status(), status, "{}", plain.text());
    let detail = plain.json::<Value>()["detail"]
        .as_str()
        .expect("a detail")
        .to_owned();
    assert_house(&send(&house()), status, code, &detail);
}

#[test]
fn house_format_renders_a_bad_query_400() {
    assert_house_matches_plain(
        |c| c.get("/search").query("limit", "abc").send(),
        400,
        "malformed-request",
    );
}

#[test]
fn house_format_renders_a_schema_422() {
    assert_house_matches_plain(
        |c| c.post("/widgets").json(&json!({"name": 5})).send(),
        422,
        "validation-failed",
    );
}

#[test]
fn house_format_renders_malformed_json_400() {
    assert_house_matches_plain(
        |c| {
            c.post("/widgets")
                .header("content-type", "application/json")
                .body("{\"name\":")
                .send()
        },
        400,
        "malformed-request",
    );
}

#[test]
fn house_format_renders_the_unhandled_boxed_error_500() {
    let resp = house().get("/secret").send();
    assert_house(&resp, 500, "internal-server-error", "Internal server error");
    assert!(!resp.text().contains("hunter2"));
}

#[test]
fn house_format_renders_the_panic_500() {
    let resp = house().get("/boom").send();
    assert_house(&resp, 500, "internal-server-error", "Internal server error");
    assert!(!resp.text().contains("secret"));
}

#[test]
fn house_format_leaves_exception_handler_responses_alone() {
    let resp = house().get("/widgets/w3").send();
    assert_eq!(resp.status(), 404);
    assert_eq!(resp.header("content-type"), Some("application/json"));
    assert_eq!(resp.text(), r#"{"missing":"w3"}"#);
}

#[test]
fn house_format_leaves_a_foreign_error_handler_response_alone() {
    let resp = house().get("/upstream").send();
    assert_eq!(resp.status(), 503);
    assert_eq!(resp.header("retry-after"), Some("30"));
    assert_eq!(resp.text(), r#"{"code":"upstream-failed"}"#);
}

#[test]
fn house_format_renders_the_fallback_of_a_bad_exception_handler() {
    let resp = house().get("/not-really").send();
    assert_house(&resp, 500, "internal-server-error", "Internal server error");
}

#[test]
fn house_format_renders_a_boxed_problem() {
    let resp = house().get("/boxed-problem").send();
    assert_house(&resp, 423, "widget-locked", "Widget w1 is locked");
}

#[test]
fn house_format_renders_an_engine_rejection() {
    // HTTP/1.1 without Host: rejected by the engine's parser, rendered by the app.
    let resp = house().send_raw(b"GET /widgets HTTP/1.1\r\n\r\n".to_vec());
    assert_eq!(resp.status(), 400, "{}", resp.text());
    assert_eq!(resp.header("content-type"), Some("application/json"));
    let body: Value = resp.json();
    assert_eq!(body["error_code"], "malformed-request", "{body}");
    assert_eq!(body["http_status"], 400, "{body}");
}

#[test]
fn house_format_renders_a_json_response_serialization_failure() {
    let resp = house().post("/broken").send();
    assert_house(&resp, 500, "internal-server-error", "Internal server error");
}

#[test]
fn house_format_renders_a_plain_body_serialization_failure() {
    let resp = house().get("/broken").send();
    assert_house(&resp, 500, "internal-server-error", "Internal server error");
}

#[test]
fn house_format_renders_a_plain_list_serialization_failure() {
    let resp = house().put("/broken").send();
    assert_house(&resp, 500, "internal-server-error", "Internal server error");
}

#[test]
fn house_format_keeps_successes_untouched() {
    let resp = house().get("/widgets/w1").send();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.json::<Value>(), json!({"id": "w1", "name": "gear"}));
}

// ---------------------------------------------------------------------------
// Panics

#[test]
fn panic_is_the_generic_500_problem() {
    let resp = plain().get("/boom").send();
    assert_problem(&resp, 500, GENERIC_500);
}

#[test]
fn panic_leaks_nothing_of_its_message() {
    let resp = plain().get("/boom").send();
    assert!(!resp.text().contains("secret"), "{}", resp.text());
    assert!(!resp.text().contains("boom"), "{}", resp.text());
    assert!(resp
        .headers()
        .iter()
        .all(|(_, v)| !String::from_utf8_lossy(v).contains("secret")));
}

#[test]
fn panic_does_not_stop_the_client_serving() {
    let c = plain();
    assert_eq!(c.get("/boom").send().status(), 500);
    let next = c.get("/healthy").send();
    assert_eq!(next.status(), 200);
    assert_eq!(next.json::<Value>(), json!({"id": "h1", "name": "ok"}));
    // The panicking route itself keeps answering 500, not worse.
    assert_problem(&c.get("/boom").send(), 500, GENERIC_500);
}

#[test]
fn panic_after_a_suspension_is_the_generic_500() {
    let resp = plain().post("/boom").send();
    assert_problem(&resp, 500, GENERIC_500);
}

#[test]
fn panic_in_a_sync_handler_is_the_generic_500() {
    let resp = plain().put("/boom").send();
    assert_problem(&resp, 500, GENERIC_500);
}

#[test]
fn panic_with_a_non_string_payload_is_the_generic_500() {
    let resp = plain().delete("/boom").send();
    assert_problem(&resp, 500, GENERIC_500);
}

#[test]
fn panic_is_logged_with_its_message_and_route() {
    let logs = Logs::global();
    let resp = plain().get("/logged-boom/7").send();
    assert_problem(&resp, 500, GENERIC_500);
    let text = logs.text();
    let line = text
        .lines()
        .find(|l| l.contains("logged boom: 7"))
        .unwrap_or_else(|| panic!("no panic line in {text:?}"));
    assert!(line.contains("ERROR"), "{line}");
    assert!(line.contains("handler panicked; answering 500"), "{line}");
    assert!(line.contains(r#"route="GET /logged-boom/{n}""#), "{line}");
    assert!(line.contains(r#"handler="LoggedBoom::get""#), "{line}");
}

/// Log output collected in memory, from every thread of this test binary.
#[derive(Clone, Default)]
struct Logs(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl Logs {
    /// The logs of this binary from now on. A global subscriber, not a
    /// scoped one: with tests running in parallel, a scoped subscriber
    /// misses events whose callsite another thread registered first.
    fn global() -> Logs {
        static LOGS: std::sync::OnceLock<Logs> = std::sync::OnceLock::new();
        LOGS.get_or_init(|| {
            let logs = Logs::default();
            let subscriber = tracing_subscriber::fmt()
                .with_ansi(false)
                .with_writer(logs.clone())
                .finish();
            tracing::subscriber::set_global_default(subscriber).expect("the only global subscriber");
            logs
        })
        .clone()
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl std::io::Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Logs {
    type Writer = Logs;

    fn make_writer(&'a self) -> Logs {
        self.clone()
    }
}

// ---------------------------------------------------------------------------
// Errors the engine could not send as they are

#[test]
fn problem_with_a_refused_header_is_the_generic_500_problem() {
    let resp = plain().get("/bad-problem-header").send();
    assert_problem(&resp, 500, GENERIC_500);
    assert_eq!(resp.header("x-injected"), None);
    assert_eq!(resp.header("x-why"), None);
}

#[test]
fn house_format_renders_the_500_of_a_problem_with_a_refused_header() {
    let resp = house().get("/bad-problem-header").send();
    assert_house(&resp, 500, "internal-server-error", "Internal server error");
    assert_eq!(resp.header("x-why"), None);
}

#[test]
fn problem_with_a_success_status_is_the_generic_500() {
    assert_problem(&plain().get("/success-problem").send(), 500, GENERIC_500);
    let resp = house().get("/success-problem").send();
    assert_house(&resp, 500, "internal-server-error", "Internal server error");
}

#[test]
fn exception_handler_answering_a_refused_header_becomes_the_generic_500() {
    let c = with_handlers();
    let resp = c.get("/split").send();
    assert_problem(&resp, 500, GENERIC_500);
    assert_eq!(resp.header("x-injected"), None);
    assert_eq!(c.get("/healthy").send().status(), 200);
}

#[test]
fn exception_handler_answering_its_own_error_renders_that_error_plainly() {
    // The handler's `Err(WidgetBusy)` skips the handlers (it would call
    // itself without end): it is WidgetBusy's own problem.
    let c = with_handlers();
    let resp = c.get("/busy").send();
    assert_problem(
        &resp,
        409,
        r#"{"type":"widget-busy","title":"Widget busy","status":409}"#,
    );
    assert_eq!(c.get("/healthy").send().status(), 200);
}

#[test]
fn exception_handler_answering_its_own_error_in_the_house_format() {
    let resp = house().get("/busy").send();
    assert_house(&resp, 409, "widget-busy", "Widget busy");
}

#[test]
fn parameterized_error_honors_a_serde_rename_on_a_field() {
    let resp = plain().get("/locked").send();
    assert_problem(
        &resp,
        423,
        r#"{"type":"widget-locked","title":"Widget locked","status":423,"detail":"Widget w1 is locked","params":{"wid":"w1"}}"#,
    );
}

// ---------------------------------------------------------------------------
// Exception handlers for an error enum and for `jero::Error`

/// Exception handlers for the `WidgetError` enum and, to show the enum's
/// comes first, for its `WidgetNotFound` variant.
fn enum_handler() -> TestClient {
    TestClient::new(WireWith(|w: &mut Wiring| {
        include_routes(w);
        w.on_error(|e: &WidgetError| {
            let code = match e {
                WidgetError::NotFound(n) => format!("enum: no {}", n.widget_id),
                WidgetError::Exists(_) => "enum: exists".to_owned(),
            };
            JsonResponse::new(UpstreamBody { code }).status(410)
        })
        .on_error(|_: &WidgetNotFound| {
            JsonResponse::new(UpstreamBody {
                code: "variant".into(),
            })
            .status(404)
        });
    }))
}

#[test]
fn exception_handler_for_an_error_enum_takes_every_variant() {
    let c = enum_handler();
    let resp = c.get("/widgets/w7").send();
    assert_eq!(resp.status(), 410, "{}", resp.text());
    assert_eq!(resp.text(), r#"{"code":"enum: no w7"}"#);
    let resp = c.post("/widgets").json(&json!({"name": "taken"})).send();
    assert_eq!(resp.status(), 410, "{}", resp.text());
    assert_eq!(resp.text(), r#"{"code":"enum: exists"}"#);
}

#[test]
fn exception_handler_for_an_outcome_enum_takes_only_its_error_variants() {
    let c = TestClient::new(WireWith(|w: &mut Wiring| {
        include_routes(w);
        w.on_error(|_: &Lookup| {
            JsonResponse::new(UpstreamBody {
                code: "lookup".into(),
            })
            .status(410)
        });
    }));
    // The success variant keeps its body and its own status.
    let resp = c.get("/lookup/w1").send();
    assert_eq!(resp.status(), 203, "{}", resp.text());
    assert_eq!(resp.json::<Value>(), json!({"id": "w1", "name": "gear"}));
    // So does the plain one.
    assert_eq!(c.post("/lookup/w1").send().status(), 200);
    // The error variant goes to the enum's handler.
    let resp = c.get("/lookup/w2").send();
    assert_eq!(resp.status(), 410, "{}", resp.text());
    assert_eq!(resp.text(), r#"{"code":"lookup"}"#);
}

#[test]
fn error_an_exception_handler_maps_to_reaches_that_error_type_handler() {
    // DbFailure's handler answers an AppFailure; AppFailure has a handler.
    let c = TestClient::new(WireWith(|w: &mut Wiring| {
        include_routes(w);
        w.on_error(|_: &DbFailure| -> Result<NoContent, AppFailure> { Err(AppFailure::Busy(WidgetBusy)) })
            .on_error(|_: &AppFailure| JsonResponse::new(UpstreamBody { code: "app".into() }).status(503));
    }));
    let resp = c.get("/db").send();
    assert_eq!(resp.status(), 503, "{}", resp.text());
    assert_eq!(resp.text(), r#"{"code":"app"}"#);
}

#[test]
fn exception_handlers_that_answer_each_other_stop_at_the_first_repeat() {
    // LoopA's handler answers LoopB, LoopB's answers LoopA: LoopA is
    // rendered as itself, within its own handler.
    let c = TestClient::new(WireWith(|w: &mut Wiring| {
        include_routes(w);
        w.on_error(|_: &LoopA| -> Result<NoContent, LoopB> { Err(LoopB) })
            .on_error(|_: &LoopB| -> Result<NoContent, LoopA> { Err(LoopA) });
    }));
    let resp = c.get("/loop").send();
    assert_problem(&resp, 429, r#"{"type":"loop-a","title":"Loop A","status":429}"#);
    assert_eq!(c.get("/healthy").send().status(), 200);
}

#[test]
fn exception_handler_for_a_variant_type_still_applies_outside_the_enum() {
    // `/missing` returns `WidgetNotFound` itself, not the enum.
    let resp = enum_handler().get("/missing").send();
    assert_eq!(resp.status(), 404, "{}", resp.text());
    assert_eq!(resp.text(), r#"{"code":"variant"}"#);
}

/// A catch-all handler for `jero::Error`, next to the usual ones.
fn catch_all() -> TestClient {
    TestClient::new(WireWith(|w: &mut Wiring| {
        include_routes(w);
        wire_handlers(w);
        w.on_error(|e: &jero::Error| {
            let code = if e.is::<SecretFailure>() {
                "secret"
            } else {
                "other"
            };
            JsonResponse::new(UpstreamBody { code: code.into() }).status(502)
        });
    }))
}

#[test]
fn exception_handler_for_jero_error_takes_boxed_errors_without_a_handler() {
    let resp = catch_all().get("/secret").send();
    assert_eq!(resp.status(), 502, "{}", resp.text());
    assert_eq!(resp.text(), r#"{"code":"secret"}"#);
}

#[test]
fn exception_handler_for_jero_error_leaves_typed_handlers_and_problems_alone() {
    let c = catch_all();
    let resp = c.get("/upstream").send();
    assert_eq!(resp.status(), 503, "{}", resp.text());
    assert_eq!(resp.text(), r#"{"code":"upstream-failed"}"#);
    assert_problem(
        &c.get("/boxed-problem").send(),
        423,
        r#"{"type":"widget-locked","title":"Widget locked","status":423,"detail":"Widget w1 is locked"}"#,
    );
    // Typed (non-boxed) errors are not `jero::Error`s.
    assert_problem(
        &c.get("/conflict").send(),
        409,
        r#"{"type":"widget-exists","title":"Widget already exists","status":409}"#,
    );
}

#[test]
fn second_error_format_is_a_wiring_error() {
    let app = WireWith(|w: &mut Wiring| {
        include_routes(w);
        w.error_format(|p: &Problem| MissingBody {
            missing: p.code().to_owned(),
        });
        w.error_format(|p: &Problem| UpstreamBody {
            code: p.code().to_owned(),
        });
    });
    let err = TestClient::try_new(app).err().unwrap();
    assert_eq!(
        err.message(),
        "an error format is already set; an app has one error format"
    );
}

/// An enum without variants still derives.
#[derive(jero::IntoResponse)]
enum Never {}

#[test]
fn is_error_is_true_for_errors_and_enums_of_errors_only() {
    use jero::IntoResponse;
    let errors = [
        <WidgetExists as IntoResponse>::IS_ERROR,
        <jero::Error as IntoResponse>::IS_ERROR,
        <Problem as IntoResponse>::IS_ERROR,
        <WidgetError as IntoResponse>::IS_ERROR,
        <Builtin as IntoResponse>::IS_ERROR,
        <Never as IntoResponse>::IS_ERROR,
    ];
    assert_eq!(errors, [true; 6]);
    let outcomes = [
        <Lookup as IntoResponse>::IS_ERROR,
        <Widget as IntoResponse>::IS_ERROR,
        <JsonResponse<Widget> as IntoResponse>::IS_ERROR,
        <Result<Widget, WidgetExists> as IntoResponse>::IS_ERROR,
    ];
    assert_eq!(outcomes, [false; 4]);
}

// ---------------------------------------------------------------------------
// A panic that escapes the framework: the TestClient answers as the engine

/// A house format that panics on 404 (`always`: on every error).
fn panicky_format(always: bool) -> TestClient {
    TestClient::new(WireWith(move |w: &mut Wiring| {
        include_routes(w);
        w.error_format(move |p: &Problem| {
            if always || p.status() == 404 {
                panic!("error format boom");
            }
            HouseError {
                error_code: p.code().to_owned(),
                message: p.title().to_owned(),
                http_status: p.status(),
            }
        });
    }))
}

#[test]
fn escaped_panic_is_the_app_500_and_closes_in_the_test_client() {
    let c = panicky_format(false);
    let resp = c.get("/nowhere").send();
    assert_house(&resp, 500, "internal-server-error", "Internal server error");
    assert_eq!(resp.header("connection"), Some("close"));
    // The client (as the worker) keeps serving.
    let next = c.get("/healthy").send();
    assert_eq!(next.status(), 200);
    assert_eq!(next.header("connection"), None);
}

#[test]
fn escaped_panic_with_a_panicking_500_is_the_engine_default() {
    let c = panicky_format(true);
    let resp = c.get("/nowhere").send();
    assert_eq!(resp.status(), 500);
    assert_eq!(resp.header("connection"), Some("close"));
    assert_eq!(
        resp.body().as_ref(),
        jero::engine::default_error_response(500, "internal server error")
            .body()
            .bytes()
            .unwrap()
    );
    assert_eq!(c.get("/healthy").send().status(), 200);
}

/// A generic enum: it derives (no `From` for the variant whose type is a
/// parameter), and has no enum-level handler lookup.
#[derive(jero::IntoResponse)]
enum Either<E: jero::IntoResponse> {
    Missing(WidgetNotFound),
    Other(E),
}

struct Generic;

#[endpoint(path = "/generic")]
impl Generic {
    async fn get(&self) -> Result<Widget, Either<WidgetExists>> {
        Err(Either::Other(WidgetExists))
    }

    async fn post(&self) -> Result<Widget, Either<WidgetExists>> {
        // `From` is derived for the non-generic variant.
        let missing = WidgetNotFound {
            widget_id: "w9".into(),
            shelf_name: "north".into(),
        };
        Err(missing.into())
    }
}

#[test]
fn generic_error_enum_renders_its_variants() {
    let c = TestClient::new(WireWith(|w: &mut Wiring| {
        include_routes(w);
        w.include_endpoint(Generic);
    }));
    assert_problem(
        &c.get("/generic").send(),
        409,
        r#"{"type":"widget-exists","title":"Widget already exists","status":409}"#,
    );
    assert_eq!(c.post("/generic").send().status(), 404);
}

#[test]
fn boxed_own_error_raised_by_a_handler_reaches_the_catch_all() {
    // The handler for SplitHeader raises a SplitHeader again, boxed: its
    // own handler is answering, so the jero::Error handler takes it.
    let c = TestClient::new(WireWith(|w: &mut Wiring| {
        include_routes(w);
        w.on_error(|_: &SplitHeader| -> Result<NoContent, jero::Error> { Err(SplitHeader)? })
            .on_error(|_: &jero::Error| {
                JsonResponse::new(UpstreamBody {
                    code: "caught".into(),
                })
                .status(502)
            });
    }));
    let resp = c.get("/split").send();
    assert_eq!(resp.status(), 502, "{}", resp.text());
    assert_eq!(resp.text(), r#"{"code":"caught"}"#);
}

#[test]
fn a_problem_content_type_replaces_the_default_one() {
    let resp = plain().get("/text-problem").send();
    assert_eq!(resp.status(), 418);
    assert_eq!(
        resp.header_all("content-type").collect::<Vec<_>>(),
        ["text/plain"]
    );
    let resp = house().get("/text-problem").send();
    assert_eq!(
        resp.header_all("content-type").collect::<Vec<_>>(),
        ["text/plain"]
    );
    assert_eq!(resp.json::<Value>()["error_code"], "teapot");
}

/// A generic parameterized error and a generic contract, without bounds
/// spelled out.
#[jero::error(status = 422, code = "bad-value", title = "Bad value", detail = "bad {field}")]
struct BadValue<T> {
    field: String,
    value: T,
}

#[contract]
struct Page<T> {
    items: Vec<T>,
    total: u32,
}

#[test]
fn generic_errors_and_contracts_need_no_spelled_out_bounds() {
    let p = jero::ApiError::to_problem(&BadValue {
        field: "limit".into(),
        value: 7u32,
    });
    assert_eq!(
        p.to_json(),
        r#"{"type":"bad-value","title":"Bad value","status":422,"detail":"bad limit","params":{"field":"limit","value":7}}"#
    );
    fn is_contract<C: jero::Contract>() {}
    is_contract::<Page<Widget>>();
    let _ = Page::<Widget> {
        items: Vec::new(),
        total: 0,
    };
}

/// Errors whose fields give no params object.
#[jero::error(status = 409, code = "hidden", title = "Hidden")]
struct Hidden {
    #[serde(skip)]
    #[allow(dead_code)]
    secret: String,
}

#[jero::error(status = 409, code = "wrapped", title = "Wrapped")]
#[serde(transparent)]
struct Wrapped {
    inner: String,
}

/// `transparent` after a parenthesized argument is still seen.
#[jero::error(status = 409, code = "wrapped-renamed", title = "Wrapped")]
#[serde(rename_all(serialize = "camelCase"), transparent)]
struct WrappedRenamed {
    inner: String,
}

#[test]
fn a_transparent_error_documents_no_params() {
    let mut generator = jero::__private::schemars::SchemaGenerator::default();
    assert!(<Wrapped as jero::ApiError>::params_schema(&mut generator).is_none());
    assert!(<WrappedRenamed as jero::ApiError>::params_schema(&mut generator).is_none());
    let problem = jero::ApiError::to_problem(&WrappedRenamed { inner: "t".into() });
    assert_eq!(problem.params(), None);
}

#[test]
fn params_are_sent_only_as_a_non_empty_object() {
    let hidden = jero::ApiError::to_problem(&Hidden { secret: "s".into() });
    assert_eq!(
        hidden.to_json(),
        r#"{"type":"hidden","title":"Hidden","status":409}"#
    );
    let wrapped = jero::ApiError::to_problem(&Wrapped { inner: "t".into() });
    assert_eq!(
        wrapped.to_json(),
        r#"{"type":"wrapped","title":"Wrapped","status":409}"#
    );
}

#[test]
fn the_test_client_answers_bodies_the_engine_refuses_as_the_engine() {
    let c = plain();
    // Over the default 16 MiB body limit.
    let resp = c
        .post("/widgets")
        .header("content-type", "application/json")
        .body(vec![b' '; 16 * 1024 * 1024 + 1])
        .send();
    assert_problem(
        &resp,
        413,
        r#"{"type":"payload-too-large","title":"Payload too large","status":413}"#,
    );
    assert_eq!(resp.header("connection"), Some("close"));
    // A body cut short: the engine stops waiting.
    let short = b"POST /widgets HTTP/1.1\r\nHost: t\r\nContent-Length: 50\r\n\r\n{}".to_vec();
    let resp = c.send_raw(short);
    assert_eq!(resp.status(), 408);
    // Worded by the engine: the reason in `detail` and in `params`.
    let body = resp.json::<serde_json::Value>();
    assert_eq!(body["detail"], "request body not received in time");
    assert_eq!(body["params"]["reason"], body["detail"]);
}
