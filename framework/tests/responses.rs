//! Responses through the in-process `TestClient`: the wrappers
//! (`JsonResponse`, `BytesResponse`, `NoContent`, `Created`, `Accepted`),
//! typed headers, cookies, raw headers, the order they are emitted in,
//! framing, and enums of outcomes. One behaviour per test.

use std::time::{Duration, UNIX_EPOCH};

use jero::{
    contract, endpoint, resource, Accepted, App, BoxError, BytesResponse, Created, JsonResponse, NoContent,
    SameSite, SetCookie, Wiring,
};
use jero_testing::{json, TestClient, TestResponse};
use serde_json::Value;

// ---------------------------------------------------------------------------
// Contracts

#[contract]
struct WidgetPath {
    widget_id: String,
}

#[contract]
struct Widget {
    id: String,
    name: String,
}

fn widget(id: &str) -> Widget {
    Widget {
        id: id.into(),
        name: "gear".into(),
    }
}

#[contract]
struct NewWidget {
    name: String,
}

#[contract]
struct Job {
    job_id: String,
}

#[contract]
struct Placement {
    region: String,
    shard: u32,
}

#[contract]
#[serde(rename_all = "kebab-case")]
enum Mode {
    FastPath,
}

/// Every kind of typed header value.
#[contract]
struct AllKinds {
    x_rate_limit: u32,
    x_offset: i64,
    x_ratio: f64,
    x_cached: bool,
    x_stale: bool,
    x_label: String,
    x_mode: Mode,
    x_placement: Placement,
    x_tags: Vec<String>,
    x_absent: Option<String>,
    x_present: Option<u32>,
}

#[contract]
#[serde(rename_all = "camelCase")]
struct CamelHeaders {
    x_rate_limit: u32,
    retry_after_seconds: u32,
}

#[contract]
struct RenamedHeaders {
    #[serde(rename = "x-ratelimit-limit")]
    limit: u32,
    #[serde(rename = "etag")]
    version: String,
}

#[contract]
struct RateHeaders {
    x_rate_limit: u32,
}

/// The encode bench's headers: a number and a string.
#[contract]
struct RequestHeaders {
    x_rate_limit: u32,
    x_request_id: String,
}

/// An optional content type: absent, the default one is sent.
#[contract]
struct MaybeContentType {
    content_type: Option<String>,
}

/// The same through the serde path (`rename_all` is resolved at run time).
#[contract]
#[serde(rename_all = "kebab-case")]
struct MaybeContentTypeSerde {
    content_type: Option<String>,
}

#[contract]
struct ContentTypeHeader {
    content_type: String,
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

// ---------------------------------------------------------------------------
// The app

/// Default statuses: `create` 201, the others 200.
struct Widgets;

#[resource(path = "/widgets")]
impl Widgets {
    async fn create(&self, json: NewWidget) -> JsonResponse<Widget> {
        JsonResponse::new(Widget {
            id: "w-new".into(),
            name: json.name,
        })
    }

    async fn read_many(&self) -> JsonResponse<Vec<Widget>> {
        JsonResponse::new(vec![widget("w1"), widget("w2")])
    }

    async fn read_one(&self, path: WidgetPath) -> JsonResponse<Widget> {
        JsonResponse::new(widget(&path.widget_id))
    }

    async fn update(&self, path: WidgetPath, json: NewWidget) -> JsonResponse<Widget> {
        JsonResponse::new(Widget {
            id: path.widget_id,
            name: json.name,
        })
    }

    async fn partial_update(&self, path: WidgetPath, json: NewWidget) -> JsonResponse<Widget> {
        JsonResponse::new(Widget {
            id: path.widget_id,
            name: json.name,
        })
    }

    async fn delete(&self, path: WidgetPath) -> JsonResponse<Widget> {
        JsonResponse::new(widget(&path.widget_id))
    }
}

/// `.status(..)` overrides the verb's default, both ways.
struct Overrides;

#[resource(path = "/overrides")]
impl Overrides {
    async fn create(&self) -> JsonResponse<Widget> {
        JsonResponse::new(widget("o1")).status(200)
    }

    async fn read_one(&self, path: WidgetPath) -> JsonResponse<Widget> {
        JsonResponse::new(widget(&path.widget_id)).status(203)
    }
}

/// An endpoint's POST answers 200, not 201.
struct EndpointPost;

#[endpoint(path = "/endpoint-post")]
impl EndpointPost {
    async fn post(&self) -> JsonResponse<Widget> {
        JsonResponse::new(widget("e1"))
    }
}

/// `JsonResponse<()>`: no body.
struct EmptyJson;

#[endpoint(path = "/empty-json")]
impl EmptyJson {
    async fn get(&self) -> JsonResponse<()> {
        JsonResponse::new(())
    }
}

struct Blob;

#[endpoint(path = "/blob")]
impl Blob {
    async fn get(&self) -> BytesResponse {
        BytesResponse::new(&b"\x00\x01\xffbinary"[..])
    }
}

struct Csv;

#[endpoint(path = "/csv")]
impl Csv {
    async fn get(&self) -> BytesResponse {
        BytesResponse::new("id,name\nw1,gear\n").content_type("text/csv")
    }
}

/// `BytesResponse` on `create` takes the verb's 201.
struct Uploads;

#[resource(path = "/uploads")]
impl Uploads {
    async fn create(&self) -> BytesResponse {
        BytesResponse::new("stored")
    }
}

struct Nothing;

#[endpoint(path = "/nothing")]
impl Nothing {
    async fn get(&self) -> NoContent {
        NoContent::new()
    }

    async fn post(&self) -> NoContent<RateHeaders> {
        NoContent::new()
            .headers(RateHeaders { x_rate_limit: 3 })
            .cookie(SetCookie::new("seen", "1"))
    }
}

struct MadeWidgets;

#[endpoint(path = "/made")]
impl MadeWidgets {
    async fn post(&self) -> Created<Widget> {
        Created::new(widget("m1")).raw_header("Location", "/widgets/m1")
    }

    async fn put(&self) -> Created {
        Created::empty().raw_header("Location", "/widgets/m2")
    }

    /// A fixed-status wrapper keeps its status on GET too.
    async fn get(&self) -> Created<Widget> {
        Created::new(widget("m3"))
    }
}

struct Jobs;

#[endpoint(path = "/jobs")]
impl Jobs {
    async fn post(&self) -> Accepted<Job> {
        Accepted::new(Job { job_id: "j1".into() })
    }

    async fn put(&self) -> Accepted {
        Accepted::empty()
    }

    /// Typed headers without a body: no content type.
    async fn patch(&self) -> Accepted<(), RateHeaders> {
        Accepted::empty().headers(RateHeaders { x_rate_limit: 3 })
    }
}

/// Typed scalar headers: short and long ones (written into the response's
/// buffer ahead of its body), one with control bytes (refused).
struct TypedScalars;

#[endpoint(path = "/typed-scalars")]
impl TypedScalars {
    async fn get(&self, params: IdParam) -> JsonResponse<Widget, RequestHeaders> {
        JsonResponse::new(widget("s1")).headers(RequestHeaders {
            x_rate_limit: 100,
            x_request_id: format!("{}{}", "a".repeat(params.pad.unwrap_or(0)), params.id),
        })
    }
}

/// The request id: `pad` times `a`, then `id`.
#[contract]
struct IdParam {
    id: String,
    pad: Option<usize>,
}

/// Typed headers of every kind.
struct TypedKinds;

#[endpoint(path = "/typed-kinds")]
impl TypedKinds {
    async fn get(&self) -> JsonResponse<Widget, AllKinds> {
        JsonResponse::new(widget("t1")).headers(AllKinds {
            x_rate_limit: 10,
            x_offset: -3,
            x_ratio: 0.5,
            x_cached: true,
            x_stale: false,
            x_label: "gear box".into(),
            x_mode: Mode::FastPath,
            x_placement: Placement {
                region: "eu".into(),
                shard: 3,
            },
            x_tags: vec!["a".into(), "b".into()],
            x_absent: None,
            x_present: Some(7),
        })
    }
}

struct CamelTyped;

#[endpoint(path = "/typed-camel")]
impl CamelTyped {
    async fn get(&self) -> JsonResponse<Widget, CamelHeaders> {
        JsonResponse::new(widget("c1")).headers(CamelHeaders {
            x_rate_limit: 10,
            retry_after_seconds: 30,
        })
    }
}

struct RenamedTyped;

#[endpoint(path = "/typed-renamed")]
impl RenamedTyped {
    async fn get(&self) -> JsonResponse<Widget, RenamedHeaders> {
        JsonResponse::new(widget("r1")).headers(RenamedHeaders {
            limit: 100,
            version: "\"v7\"".into(),
        })
    }
}

/// Typed headers, cookies and raw headers, set in a scrambled order.
struct Ordered;

#[endpoint(path = "/ordered")]
impl Ordered {
    async fn get(&self) -> JsonResponse<Widget, RateHeaders> {
        JsonResponse::new(widget("o1"))
            .raw_header("X-Trace-Id", "t-1")
            .cookie(SetCookie::new("a", "1"))
            .headers(RateHeaders { x_rate_limit: 10 })
            .raw_header("x-MiXeD-CaSe", "v")
            .cookie(SetCookie::new("b", "2"))
            .raw_header("X-Trace-Id", "t-2")
    }

    /// The same on a `BytesResponse`.
    async fn post(&self) -> BytesResponse<RateHeaders> {
        BytesResponse::new("raw")
            .raw_header("X-Trace-Id", "t-1")
            .cookie(SetCookie::new("a", "1"))
            .headers(RateHeaders { x_rate_limit: 10 })
    }
}

struct LyingLength;

#[endpoint(path = "/lying-length")]
impl LyingLength {
    async fn get(&self) -> JsonResponse<Widget> {
        JsonResponse::new(widget("l1")).raw_header("Content-Length", "999")
    }

    async fn post(&self) -> BytesResponse {
        BytesResponse::new("four").raw_header("content-length", "1")
    }

    async fn delete(&self) -> NoContent {
        NoContent::new().raw_header("Content-Length", "999")
    }
}

struct RawContentType;

#[endpoint(path = "/raw-content-type")]
impl RawContentType {
    async fn get(&self) -> JsonResponse<Widget> {
        JsonResponse::new(widget("r1")).raw_header("Content-Type", "application/vnd.widget+json")
    }

    async fn post(&self) -> BytesResponse {
        BytesResponse::new("a,b\n")
            .content_type("text/csv")
            .raw_header("Content-Type", "text/plain; charset=utf-8")
    }
}

struct TypedContentType;

#[endpoint(path = "/typed-content-type")]
impl TypedContentType {
    async fn get(&self) -> BytesResponse<ContentTypeHeader> {
        BytesResponse::new("<svg/>").headers(ContentTypeHeader {
            content_type: "image/svg+xml".into(),
        })
    }

    async fn post(&self) -> JsonResponse<Widget, ContentTypeHeader> {
        JsonResponse::new(widget("t1")).headers(ContentTypeHeader {
            content_type: "application/merge-patch+json".into(),
        })
    }

    async fn put(&self) -> JsonResponse<Widget, MaybeContentType> {
        JsonResponse::new(widget("t1")).headers(MaybeContentType { content_type: None })
    }

    async fn patch(&self) -> JsonResponse<Widget, MaybeContentTypeSerde> {
        JsonResponse::new(widget("t1")).headers(MaybeContentTypeSerde { content_type: None })
    }

    async fn delete(&self) -> BytesResponse<ContentTypeHeader> {
        BytesResponse::new("<svg/>")
            .headers(ContentTypeHeader {
                content_type: "image/svg+xml".into(),
            })
            .raw_header("Content-Type", "image/svg+xml; charset=utf-8")
    }
}

struct BothContentTypes;

#[endpoint(path = "/both-content-types")]
impl BothContentTypes {
    async fn get(&self) -> JsonResponse<Widget, ContentTypeHeader> {
        JsonResponse::new(widget("b1"))
            .headers(ContentTypeHeader {
                content_type: "application/merge-patch+json".into(),
            })
            .raw_header("Content-Type", "application/vnd.widget+json")
    }

    async fn post(&self) -> JsonResponse<Widget, MaybeContentTypeSerde> {
        JsonResponse::new(widget("b1"))
            .headers(MaybeContentTypeSerde {
                content_type: Some("application/merge-patch+json".into()),
            })
            .raw_header("Content-Type", "application/vnd.widget+json")
    }
}

struct Cookies;

#[endpoint(path = "/cookies")]
impl Cookies {
    async fn get(&self) -> JsonResponse<Widget> {
        JsonResponse::new(widget("k1"))
            .cookie(SetCookie::new("session_id", "abc"))
            .cookie(SetCookie::new("theme", "dark").http_only(false).max_age(3600))
    }

    /// A cookie whose name is not a token is not sent; the others are.
    async fn post(&self) -> JsonResponse<Widget> {
        JsonResponse::new(widget("k2"))
            .cookie(SetCookie::new("bad name", "x"))
            .cookie(SetCookie::new("good", "y"))
    }
}

/// Several outcomes, each keeping its own status.
#[derive(jero::IntoResponse)]
enum Lookup {
    Found(Widget),
    Pending(NoContent),
    Queued(Accepted<Job>),
}

struct Drafts;

#[resource(path = "/drafts")]
impl Drafts {
    async fn read_one(&self, path: WidgetPath) -> Lookup {
        match path.widget_id.as_str() {
            "pending" => NoContent::new().into(),
            "queued" => Accepted::new(Job { job_id: "j9".into() }).into(),
            id => Lookup::Found(widget(id)),
        }
    }

    /// On `create`, the plain struct takes 201; the others keep theirs.
    async fn create(&self, json: NewWidget) -> Lookup {
        match json.name.as_str() {
            "pending" => Lookup::Pending(NoContent::new()),
            "queued" => Lookup::Queued(Accepted::new(Job { job_id: "j8".into() })),
            name => Lookup::Found(Widget {
                id: "d-new".into(),
                name: name.into(),
            }),
        }
    }
}

struct Broken;

#[endpoint(path = "/broken")]
impl Broken {
    async fn get(&self) -> Unserializable {
        Unserializable { value: 1 }
    }

    async fn post(&self) -> JsonResponse<Unserializable> {
        JsonResponse::new(Unserializable { value: 1 }).raw_header("X-Never", "sent")
    }

    async fn put(&self) -> Created<Unserializable> {
        Created::new(Unserializable { value: 1 })
    }

    async fn patch(&self) -> JsonResponse<Unserializable, RateHeaders> {
        JsonResponse::new(Unserializable { value: 1 }).headers(RateHeaders { x_rate_limit: 9 })
    }
}

/// An application's own response type, alone and as a `Result`'s error.
struct Teapot;

impl jero::IntoResponse for Teapot {
    fn into_response(self, _cx: &jero::RequestCx<'_>) -> jero::engine::Response {
        jero::engine::Response::new(418)
            .with_header("content-type", "text/plain")
            .with_body("short and stout")
    }

    fn describe(_r: &mut jero::Responses<'_>) {}
}

struct Kettle;

#[endpoint(path = "/kettle")]
impl Kettle {
    async fn get(&self) -> Teapot {
        Teapot
    }

    async fn post(&self) -> Result<Widget, Teapot> {
        Err(Teapot)
    }
}

/// Statuses and headers the engine cannot send as they are.
struct Refused;

#[contract]
struct StatusParam {
    code: u16,
}

#[endpoint(path = "/refused")]
impl Refused {
    /// Any status, from the query.
    async fn get(&self, params: StatusParam) -> JsonResponse<Widget> {
        JsonResponse::new(widget("r1")).status(params.code)
    }

    /// A content type that would split the head.
    async fn post(&self) -> BytesResponse {
        BytesResponse::new("secret-body").content_type("text/csv\r\nx-injected: 1")
    }
}

/// Statuses without content: no content type, whoever set it.
struct NoContentTypes;

#[endpoint(path = "/no-content-types")]
impl NoContentTypes {
    async fn get(&self, params: StatusParam) -> JsonResponse<Widget> {
        JsonResponse::new(widget("n1")).status(params.code)
    }

    async fn post(&self) -> NoContent {
        NoContent::new()
            .raw_header("Content-Type", "text/plain")
            .raw_header("X-Kept", "1")
    }
}

/// An optional nested typed header.
#[contract]
struct NestedOption {
    x_placement: Option<Placement>,
    x_rate_limit: u32,
}

#[contract]
struct PlacedParam {
    placed: bool,
}

struct Nested;

#[endpoint(path = "/nested")]
impl Nested {
    async fn get(&self, params: PlacedParam) -> JsonResponse<Widget, NestedOption> {
        JsonResponse::new(widget("p1")).headers(NestedOption {
            x_placement: params.placed.then(|| Placement {
                region: "eu".into(),
                shard: 3,
            }),
            x_rate_limit: 5,
        })
    }
}

/// Cookies whose `Path` or `Domain` would break out of the attribute.
struct BadCookies;

#[endpoint(path = "/bad-cookies")]
impl BadCookies {
    async fn get(&self) -> JsonResponse<Widget> {
        JsonResponse::new(widget("c1"))
            .cookie(SetCookie::new("p", "1").path(Some("/a\r\nX-Injected: y")))
            .cookie(SetCookie::new("ok", "1"))
            .cookie(SetCookie::new("d", "1").domain("example.com; Secure=no"))
    }
}

/// A header struct with flattened fields: a struct and a map.
#[contract]
struct InnerHeaders {
    x_inner: u32,
}

#[contract]
struct FlatHeaders {
    x_outer: u32,
    #[serde(flatten)]
    inner: InnerHeaders,
    #[serde(flatten)]
    extra: std::collections::BTreeMap<String, String>,
}

/// Flattened maps whose keys are not all header names.
#[contract]
struct FlatOdd {
    x_a: u32,
    #[serde(flatten)]
    numbered: std::collections::BTreeMap<u16, String>,
    #[serde(flatten)]
    named: std::collections::BTreeMap<String, String>,
    x_b: u32,
}

/// Header names written as headers, and a SCREAMING style.
#[contract]
struct WireNames {
    #[serde(rename = "X-Request-ID")]
    id: String,
    #[serde(rename = "etag")]
    etag: String,
    #[serde(rename = "WWW-Authenticate")]
    auth: String,
    #[serde(rename = "Content-MD5")]
    md5: String,
}

#[contract]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
struct Screaming {
    x_rate_limit: u32,
    #[serde(rename = "X-RateLimit-Remaining")]
    remaining: u32,
}

#[contract]
#[serde(rename_all = "PascalCase")]
struct Pascal {
    x_request_id: String,
    x_api_key: String,
}

struct NamedHeaders;

#[endpoint(path = "/named-headers")]
impl NamedHeaders {
    async fn get(&self) -> JsonResponse<Widget, FlatHeaders> {
        JsonResponse::new(widget("f1")).headers(FlatHeaders {
            x_outer: 1,
            inner: InnerHeaders { x_inner: 2 },
            extra: [("x-extra".to_owned(), "3".to_owned())].into(),
        })
    }

    async fn delete(&self) -> JsonResponse<Widget, FlatOdd> {
        JsonResponse::new(widget("f5")).headers(FlatOdd {
            x_a: 1,
            numbered: [(7, "seven".to_owned())].into(),
            named: [
                ("bad key".to_owned(), "x".to_owned()),
                (String::new(), "y".to_owned()),
                ("X-RateLimit-Remaining".to_owned(), "4".to_owned()),
            ]
            .into(),
            x_b: 2,
        })
    }

    async fn put(&self) -> JsonResponse<Widget, WireNames> {
        JsonResponse::new(widget("f2")).headers(WireNames {
            id: "r-1".into(),
            etag: "\"v1\"".into(),
            auth: "Bearer".into(),
            md5: "Q2hlY2s=".into(),
        })
    }

    async fn post(&self) -> JsonResponse<Widget, Screaming> {
        JsonResponse::new(widget("f3")).headers(Screaming {
            x_rate_limit: 9,
            remaining: 8,
        })
    }

    async fn patch(&self) -> JsonResponse<Widget, Pascal> {
        JsonResponse::new(widget("f4")).headers(Pascal {
            x_request_id: "r-2".into(),
            x_api_key: "k".into(),
        })
    }
}

struct ResponsesApp;

impl App for ResponsesApp {
    async fn wire(&self, w: &mut Wiring) -> Result<(), BoxError> {
        w.include_resource(Widgets)
            .include_resource(Overrides)
            .include_endpoint(EndpointPost)
            .include_endpoint(EmptyJson)
            .include_endpoint(Blob)
            .include_endpoint(Csv)
            .include_resource(Uploads)
            .include_endpoint(Nothing)
            .include_endpoint(MadeWidgets)
            .include_endpoint(Jobs)
            .include_endpoint(TypedKinds)
            .include_endpoint(TypedScalars)
            .include_endpoint(CamelTyped)
            .include_endpoint(RenamedTyped)
            .include_endpoint(Ordered)
            .include_endpoint(LyingLength)
            .include_endpoint(RawContentType)
            .include_endpoint(TypedContentType)
            .include_endpoint(BothContentTypes)
            .include_endpoint(Cookies)
            .include_resource(Drafts)
            .include_endpoint(Broken)
            .include_endpoint(Kettle)
            .include_endpoint(Refused)
            .include_endpoint(NoContentTypes)
            .include_endpoint(Nested)
            .include_endpoint(BadCookies)
            .include_endpoint(NamedHeaders);
        Ok(())
    }
}

fn client() -> TestClient {
    TestClient::new(ResponsesApp)
}

/// Every header of the response, in order, as text.
fn headers(resp: &TestResponse) -> Vec<(String, String)> {
    resp.headers()
        .iter()
        .map(|(n, v)| (n.clone(), String::from_utf8_lossy(v).into_owned()))
        .collect()
}

fn h(name: &str, value: &str) -> (String, String) {
    (name.to_owned(), value.to_owned())
}

fn len(resp: &TestResponse) -> String {
    resp.body().len().to_string()
}

// ---------------------------------------------------------------------------
// JsonResponse

#[test]
fn json_response_on_create_is_201() {
    let resp = client().post("/widgets").json(&json!({"name": "cog"})).send();
    assert_eq!(resp.status(), 201, "{}", resp.text());
    assert_eq!(resp.header("content-type"), Some("application/json"));
    assert_eq!(resp.text(), r#"{"id":"w-new","name":"cog"}"#);
}

#[test]
fn json_response_on_read_many_is_200_with_a_list() {
    let resp = client().get("/widgets").send();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.text(),
        r#"[{"id":"w1","name":"gear"},{"id":"w2","name":"gear"}]"#
    );
}

#[test]
fn json_response_on_read_one_is_200() {
    let resp = client().get("/widgets/w7").send();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.json::<Value>(), json!({"id": "w7", "name": "gear"}));
}

#[test]
fn json_response_on_update_partial_update_and_delete_is_200() {
    let c = client();
    let put = c.put("/widgets/w1").json(&json!({"name": "a"})).send();
    assert_eq!(put.status(), 200, "{}", put.text());
    assert_eq!(put.json::<Value>(), json!({"id": "w1", "name": "a"}));
    let patch = c.patch("/widgets/w1").json(&json!({"name": "b"})).send();
    assert_eq!(patch.status(), 200, "{}", patch.text());
    assert_eq!(patch.json::<Value>(), json!({"id": "w1", "name": "b"}));
    let delete = c.delete("/widgets/w1").send();
    assert_eq!(delete.status(), 200, "{}", delete.text());
    assert_eq!(delete.json::<Value>(), json!({"id": "w1", "name": "gear"}));
}

#[test]
fn json_response_on_an_endpoint_post_is_200() {
    let resp = client().post("/endpoint-post").send();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.json::<Value>(), json!({"id": "e1", "name": "gear"}));
}

#[test]
fn json_response_status_overrides_create_default() {
    let resp = client().post("/overrides").send();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.json::<Value>(), json!({"id": "o1", "name": "gear"}));
}

#[test]
fn json_response_status_overrides_read_default() {
    let resp = client().get("/overrides/o2").send();
    assert_eq!(resp.status(), 203);
    assert_eq!(resp.header("content-type"), Some("application/json"));
    assert_eq!(resp.json::<Value>(), json!({"id": "o2", "name": "gear"}));
}

#[test]
fn json_response_exact_headers() {
    let resp = client().get("/widgets/w7").send();
    assert_eq!(
        headers(&resp),
        vec![
            h("content-length", &len(&resp)),
            h("content-type", "application/json")
        ]
    );
}

#[test]
fn an_application_response_type_needs_only_into_response() {
    let client = client();
    for resp in [client.get("/kettle").send(), client.post("/kettle").send()] {
        assert_eq!(resp.status(), 418);
        assert_eq!(&resp.body()[..], b"short and stout");
        assert_eq!(
            headers(&resp),
            vec![h("content-length", "15"), h("content-type", "text/plain")]
        );
    }
}

#[test]
fn json_response_with_unit_body_has_no_body_and_no_content_type() {
    let resp = client().get("/empty-json").send();
    assert_eq!(resp.status(), 200);
    assert!(resp.body().is_empty());
    assert_eq!(headers(&resp), vec![h("content-length", "0")]);
}

// ---------------------------------------------------------------------------
// BytesResponse

#[test]
fn bytes_response_defaults_to_octet_stream() {
    let resp = client().get("/blob").send();
    assert_eq!(resp.status(), 200);
    assert_eq!(&resp.body()[..], b"\x00\x01\xffbinary");
    assert_eq!(
        headers(&resp),
        vec![
            h("content-length", "9"),
            h("content-type", "application/octet-stream")
        ]
    );
}

#[test]
fn bytes_response_content_type_is_set() {
    let resp = client().get("/csv").send();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.text(), "id,name\nw1,gear\n");
    assert_eq!(
        headers(&resp),
        vec![h("content-length", "16"), h("content-type", "text/csv")]
    );
}

#[test]
fn bytes_response_on_create_is_201() {
    let resp = client().post("/uploads").send();
    assert_eq!(resp.status(), 201);
    assert_eq!(resp.text(), "stored");
    assert_eq!(resp.header("content-type"), Some("application/octet-stream"));
}

// ---------------------------------------------------------------------------
// NoContent, Created, Accepted

#[test]
fn no_content_is_204_without_body_content_type_or_length() {
    let resp = client().get("/nothing").send();
    assert_eq!(resp.status(), 204);
    assert!(resp.body().is_empty());
    assert_eq!(resp.header("content-type"), None);
    assert_eq!(resp.header("content-length"), None);
    assert!(resp.headers().is_empty(), "{:?}", headers(&resp));
}

#[test]
fn no_content_keeps_typed_headers_and_cookies() {
    let resp = client().post("/nothing").send();
    assert_eq!(resp.status(), 204);
    assert!(resp.body().is_empty());
    assert_eq!(
        headers(&resp),
        vec![
            h("x-rate-limit", "3"),
            h("set-cookie", "seen=1; Path=/; Secure; HttpOnly; SameSite=Lax"),
        ]
    );
}

#[test]
fn created_with_a_body_is_201_json() {
    let resp = client().post("/made").send();
    assert_eq!(resp.status(), 201);
    assert_eq!(resp.text(), r#"{"id":"m1","name":"gear"}"#);
    assert_eq!(
        headers(&resp),
        vec![
            h("content-length", &len(&resp)),
            h("Location", "/widgets/m1"),
            h("content-type", "application/json")
        ]
    );
}

#[test]
fn created_empty_is_201_without_body_or_content_type() {
    let resp = client().put("/made").send();
    assert_eq!(resp.status(), 201);
    assert!(resp.body().is_empty());
    assert_eq!(
        headers(&resp),
        vec![h("content-length", "0"), h("Location", "/widgets/m2")]
    );
}

#[test]
fn created_keeps_201_on_a_get() {
    let resp = client().get("/made").send();
    assert_eq!(resp.status(), 201);
    assert_eq!(resp.json::<Value>(), json!({"id": "m3", "name": "gear"}));
}

#[test]
fn accepted_with_a_body_is_202_json() {
    let resp = client().post("/jobs").send();
    assert_eq!(resp.status(), 202);
    assert_eq!(resp.header("content-type"), Some("application/json"));
    assert_eq!(resp.text(), r#"{"job_id":"j1"}"#);
}

#[test]
fn accepted_empty_is_202_without_body() {
    let resp = client().put("/jobs").send();
    assert_eq!(resp.status(), 202);
    assert!(resp.body().is_empty());
    assert_eq!(headers(&resp), vec![h("content-length", "0")]);
}

// ---------------------------------------------------------------------------
// Typed headers

#[test]
fn typed_headers_every_kind_in_field_order() {
    let resp = client().get("/typed-kinds").send();
    assert_eq!(resp.status(), 200, "{}", resp.text());
    assert_eq!(
        headers(&resp),
        vec![
            h("content-length", &len(&resp)),
            h("x-rate-limit", "10"),
            h("x-offset", "-3"),
            h("x-ratio", "0.5"),
            h("x-cached", "true"),
            h("x-stale", "false"),
            h("x-label", "gear box"),
            h("x-mode", "fast-path"),
            h("x-placement", r#"{"region":"eu","shard":3}"#),
            h("x-tags", r#"["a","b"]"#),
            h("x-present", "7"),
            h("content-type", "application/json")
        ]
    );
}

#[test]
fn typed_scalar_headers_short_long_and_refused() {
    let c = client();
    for pad in [0, 100, 70_000] {
        let resp = c
            .get("/typed-scalars")
            .query("id", "req-7f3a")
            .query("pad", &pad.to_string())
            .send();
        assert_eq!(resp.status(), 200);
        let id = format!("{}req-7f3a", "a".repeat(pad));
        assert_eq!(
            headers(&resp),
            vec![
                h("content-length", &len(&resp)),
                h("x-rate-limit", "100"),
                h("x-request-id", &id),
                h("content-type", "application/json")
            ],
            "an id of {} bytes",
            id.len()
        );
        assert_eq!(resp.json::<Value>(), json!({"id": "s1", "name": "gear"}));
    }
    // A value that would split the head: refused (500), even past 64 KiB
    // of lines, where the content type must still go out last.
    for pad in [0, 65_520] {
        let resp = c
            .get("/typed-scalars")
            .query("id", "x\r\nset-cookie: session=attacker")
            .query("pad", &pad.to_string())
            .send();
        assert_eq!(resp.status(), 500);
        assert_eq!(resp.header("set-cookie"), None);
        assert_eq!(resp.header("x-rate-limit"), None);
        assert_eq!(resp.header("content-type"), Some("application/problem+json"));
        assert_eq!(resp.text(), GENERIC_500);
    }
}

#[test]
fn typed_header_snake_field_is_kebab_cased() {
    let resp = client().get("/typed-kinds").send();
    assert_eq!(resp.header("x-rate-limit"), Some("10"));
    assert!(resp.headers().iter().all(|(n, _)| !n.contains('_')));
}

#[test]
fn typed_header_absent_option_is_omitted() {
    let resp = client().get("/typed-kinds").send();
    assert_eq!(resp.header("x-absent"), None);
    assert_eq!(resp.header("x-present"), Some("7"));
}

#[test]
fn typed_header_camel_case_rename_is_still_kebab_cased() {
    let resp = client().get("/typed-camel").send();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        headers(&resp),
        vec![
            h("content-length", &len(&resp)),
            h("x-rate-limit", "10"),
            h("retry-after-seconds", "30"),
            h("content-type", "application/json")
        ]
    );
}

#[test]
fn typed_header_serde_rename_is_honored() {
    let resp = client().get("/typed-renamed").send();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        headers(&resp),
        vec![
            h("content-length", &len(&resp)),
            h("x-ratelimit-limit", "100"),
            h("etag", "\"v7\""),
            h("content-type", "application/json")
        ]
    );
}

// ---------------------------------------------------------------------------
// Emission order, raw headers, framing, content type

#[test]
fn typed_headers_then_cookies_then_raw_headers() {
    let resp = client().get("/ordered").send();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        headers(&resp),
        vec![
            h("content-length", &len(&resp)),
            h("x-rate-limit", "10"),
            h("set-cookie", "a=1; Path=/; Secure; HttpOnly; SameSite=Lax"),
            h("set-cookie", "b=2; Path=/; Secure; HttpOnly; SameSite=Lax"),
            h("X-Trace-Id", "t-1"),
            h("x-MiXeD-CaSe", "v"),
            h("X-Trace-Id", "t-2"),
            h("content-type", "application/json")
        ]
    );
}

#[test]
fn bytes_response_emits_in_the_same_order() {
    let resp = client().post("/ordered").send();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        headers(&resp),
        vec![
            h("content-length", "3"),
            h("x-rate-limit", "10"),
            h("set-cookie", "a=1; Path=/; Secure; HttpOnly; SameSite=Lax"),
            h("X-Trace-Id", "t-1"),
            h("content-type", "application/octet-stream")
        ]
    );
}

#[test]
fn raw_headers_keep_casing_and_repeats() {
    let resp = client().get("/ordered").send();
    let traces: Vec<&str> = resp.header_all("x-trace-id").collect();
    assert_eq!(traces, ["t-1", "t-2"]);
    let names: Vec<&str> = resp
        .headers()
        .iter()
        .map(|(n, _)| n.as_str())
        .filter(|n| n.eq_ignore_ascii_case("x-trace-id") || n.eq_ignore_ascii_case("x-mixed-case"))
        .collect();
    assert_eq!(names, ["X-Trace-Id", "x-MiXeD-CaSe", "X-Trace-Id"]);
}

#[test]
fn raw_content_length_is_replaced_by_the_real_one() {
    let resp = client().get("/lying-length").send();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.text(), r#"{"id":"l1","name":"gear"}"#);
    let lengths: Vec<&str> = resp.header_all("content-length").collect();
    assert_eq!(lengths, ["25"]);
}

#[test]
fn raw_content_length_on_bytes_is_replaced_by_the_real_one() {
    let resp = client().post("/lying-length").send();
    assert_eq!(resp.text(), "four");
    let lengths: Vec<&str> = resp.header_all("content-length").collect();
    assert_eq!(lengths, ["4"]);
}

#[test]
fn raw_content_length_on_no_content_is_dropped() {
    let resp = client().delete("/lying-length").send();
    assert_eq!(resp.status(), 204);
    assert_eq!(resp.header("content-length"), None);
}

#[test]
fn raw_content_type_overrides_the_json_default() {
    let resp = client().get("/raw-content-type").send();
    assert_eq!(resp.status(), 200);
    let types: Vec<&str> = resp.header_all("content-type").collect();
    assert_eq!(types, ["application/vnd.widget+json"]);
    assert_eq!(
        headers(&resp),
        vec![
            h("content-length", &len(&resp)),
            h("Content-Type", "application/vnd.widget+json")
        ]
    );
}

#[test]
fn raw_content_type_overrides_the_bytes_content_type() {
    let resp = client().post("/raw-content-type").send();
    let types: Vec<&str> = resp.header_all("content-type").collect();
    assert_eq!(types, ["text/plain; charset=utf-8"]);
}

#[test]
fn typed_content_type_overrides_the_bytes_default() {
    let resp = client().get("/typed-content-type").send();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.text(), "<svg/>");
    assert_eq!(
        headers(&resp),
        vec![h("content-length", "6"), h("content-type", "image/svg+xml")]
    );
}

#[test]
fn typed_content_type_overrides_the_json_default() {
    let resp = client().post("/typed-content-type").send();
    let types: Vec<&str> = resp.header_all("content-type").collect();
    assert_eq!(types, ["application/merge-patch+json"]);
    assert_eq!(resp.json::<Value>(), json!({"id": "t1", "name": "gear"}));
}

/// A raw `Content-Type` is the escape hatch: it replaces a typed one (a
/// response carries one content type), whichever path wrote the typed
/// one (scalar or serde), on JSON and bytes alike.
#[test]
fn a_raw_content_type_replaces_a_typed_one() {
    for resp in [
        client().get("/both-content-types").send(),
        client().post("/both-content-types").send(),
    ] {
        assert_eq!(resp.status(), 200);
        assert_eq!(
            headers(&resp),
            vec![
                h("content-length", &len(&resp)),
                h("Content-Type", "application/vnd.widget+json")
            ]
        );
        assert_eq!(resp.json::<Value>(), json!({"id": "b1", "name": "gear"}));
    }
    let resp = client().delete("/typed-content-type").send();
    assert_eq!(
        headers(&resp),
        vec![
            h("content-length", "6"),
            h("Content-Type", "image/svg+xml; charset=utf-8")
        ]
    );
}

#[test]
fn an_absent_typed_content_type_keeps_the_default() {
    for resp in [
        client().put("/typed-content-type").send(),
        client().patch("/typed-content-type").send(),
    ] {
        let types: Vec<&str> = resp.header_all("content-type").collect();
        assert_eq!(types, ["application/json"]);
        assert_eq!(resp.json::<Value>(), json!({"id": "t1", "name": "gear"}));
    }
}

// ---------------------------------------------------------------------------
// Cookies

#[test]
fn cookies_are_sent_as_set_cookie_in_order() {
    let resp = client().get("/cookies").send();
    let cookies: Vec<&str> = resp.header_all("set-cookie").collect();
    assert_eq!(
        cookies,
        [
            "session_id=abc; Path=/; Secure; HttpOnly; SameSite=Lax",
            "theme=dark; Path=/; Max-Age=3600; Secure; SameSite=Lax",
        ]
    );
}

#[test]
fn cookie_with_an_invalid_name_is_not_sent() {
    let resp = client().post("/cookies").send();
    assert_eq!(resp.status(), 200);
    let cookies: Vec<&str> = resp.header_all("set-cookie").collect();
    assert_eq!(cookies, ["good=y; Path=/; Secure; HttpOnly; SameSite=Lax"]);
}

#[test]
fn set_cookie_secure_defaults() {
    assert_eq!(
        SetCookie::new("session_id", "abc").to_string(),
        "session_id=abc; Path=/; Secure; HttpOnly; SameSite=Lax"
    );
}

#[test]
fn set_cookie_with_every_option() {
    let cookie = SetCookie::new("theme", "dark")
        .path(Some("/app"))
        .domain("example.com")
        .max_age(3600)
        .expires(UNIX_EPOCH + Duration::from_secs(1_000_000_000))
        .secure(false)
        .http_only(false)
        .same_site(Some(SameSite::Strict));
    assert_eq!(
        cookie.to_string(),
        "theme=dark; Path=/app; Domain=example.com; Max-Age=3600; \
         Expires=Sun, 09 Sep 2001 01:46:40 GMT; SameSite=Strict"
    );
}

#[test]
fn set_cookie_without_path_or_same_site() {
    let cookie = SetCookie::new("a", "b").path(None).same_site(None);
    assert_eq!(cookie.to_string(), "a=b; Secure; HttpOnly");
}

#[test]
fn set_cookie_same_site_none() {
    let cookie = SetCookie::new("a", "b").same_site(Some(SameSite::None));
    assert_eq!(cookie.to_string(), "a=b; Path=/; Secure; HttpOnly; SameSite=None");
}

#[test]
fn set_cookie_remove_expires_it() {
    assert_eq!(
        SetCookie::remove("session_id").to_string(),
        "session_id=; Path=/; Max-Age=0; Secure; HttpOnly; SameSite=Lax"
    );
}

#[test]
fn set_cookie_value_is_percent_encoded() {
    assert_eq!(
        SetCookie::new("a", "x y;z\"é").to_string(),
        "a=x%20y%3Bz%22%C3%A9; Path=/; Secure; HttpOnly; SameSite=Lax"
    );
}

// ---------------------------------------------------------------------------
// Several outcomes

#[test]
fn outcome_struct_variant_is_200_json() {
    let resp = client().get("/drafts/w5").send();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.header("content-type"), Some("application/json"));
    assert_eq!(resp.json::<Value>(), json!({"id": "w5", "name": "gear"}));
}

#[test]
fn outcome_no_content_variant_is_204() {
    let resp = client().get("/drafts/pending").send();
    assert_eq!(resp.status(), 204);
    assert!(resp.body().is_empty());
    assert!(resp.headers().is_empty(), "{:?}", headers(&resp));
}

#[test]
fn outcome_accepted_variant_is_202() {
    let resp = client().get("/drafts/queued").send();
    assert_eq!(resp.status(), 202);
    assert_eq!(resp.json::<Value>(), json!({"job_id": "j9"}));
}

#[test]
fn outcome_struct_variant_on_create_is_201() {
    let resp = client().post("/drafts").json(&json!({"name": "cog"})).send();
    assert_eq!(resp.status(), 201, "{}", resp.text());
    assert_eq!(resp.json::<Value>(), json!({"id": "d-new", "name": "cog"}));
}

#[test]
fn outcome_no_content_variant_on_create_stays_204() {
    let resp = client().post("/drafts").json(&json!({"name": "pending"})).send();
    assert_eq!(resp.status(), 204);
    assert!(resp.body().is_empty());
}

#[test]
fn outcome_accepted_variant_on_create_stays_202() {
    let resp = client().post("/drafts").json(&json!({"name": "queued"})).send();
    assert_eq!(resp.status(), 202);
    assert_eq!(resp.json::<Value>(), json!({"job_id": "j8"}));
}

// ---------------------------------------------------------------------------
// A body that fails to serialize

const GENERIC_500: &str = r#"{"type":"internal-server-error","title":"Internal server error","status":500}"#;

#[test]
fn plain_body_that_fails_to_serialize_is_the_generic_500() {
    let resp = client().get("/broken").send();
    assert_eq!(resp.status(), 500);
    assert_eq!(resp.header("content-type"), Some("application/problem+json"));
    assert_eq!(resp.text(), GENERIC_500);
}

#[test]
fn json_response_body_that_fails_to_serialize_is_the_generic_500() {
    let resp = client().post("/broken").send();
    assert_eq!(resp.status(), 500);
    assert_eq!(resp.header("content-type"), Some("application/problem+json"));
    assert_eq!(resp.text(), GENERIC_500);
    assert_eq!(resp.header("x-never"), None);
}

#[test]
fn typed_headers_are_dropped_with_a_body_that_fails_to_serialize() {
    let resp = client().patch("/broken").send();
    assert_eq!(resp.status(), 500);
    assert_eq!(resp.text(), GENERIC_500);
    assert_eq!(
        headers(&resp),
        vec![
            h("content-length", &len(&resp)),
            h("content-type", "application/problem+json")
        ]
    );
}

#[test]
fn accepted_empty_with_typed_headers_has_no_content_type() {
    let resp = client().patch("/jobs").send();
    assert_eq!(resp.status(), 202);
    assert!(resp.body().is_empty());
    assert_eq!(
        headers(&resp),
        vec![h("content-length", "0"), h("x-rate-limit", "3")]
    );
}

#[test]
fn created_body_that_fails_to_serialize_is_the_generic_500() {
    let resp = client().put("/broken").send();
    assert_eq!(resp.status(), 500);
    assert_eq!(resp.text(), GENERIC_500);
}

// ---------------------------------------------------------------------------
// What the engine would refuse, and statuses without content

#[test]
fn status_outside_200_to_599_is_the_generic_500_problem() {
    let c = client();
    for code in [0, 100, 101, 199, 600, 1000] {
        let resp = c.get("/refused").query("code", &code.to_string()).send();
        assert_eq!(resp.status(), 500, "status {code}");
        assert_eq!(resp.header("content-type"), Some("application/problem+json"));
        assert_eq!(resp.text(), GENERIC_500, "status {code}");
    }
    for code in [200, 299, 302, 418, 599] {
        let resp = c.get("/refused").query("code", &code.to_string()).send();
        assert_eq!(resp.status(), code);
        assert_eq!(resp.json::<Value>(), json!({"id": "r1", "name": "gear"}));
    }
}

#[test]
fn refused_content_type_is_the_generic_500_problem() {
    let resp = client().post("/refused").send();
    assert_eq!(resp.status(), 500);
    assert_eq!(resp.text(), GENERIC_500);
    assert_eq!(resp.header("x-injected"), None);
}

#[test]
fn json_response_on_204_and_304_sends_no_content_type_length_or_body() {
    let c = client();
    for code in [204, 304] {
        let resp = c.get("/no-content-types").query("code", &code.to_string()).send();
        assert_eq!(resp.status(), code);
        assert!(resp.body().is_empty());
        assert!(resp.headers().is_empty(), "{code}: {:?}", headers(&resp));
    }
}

#[test]
fn json_response_on_205_sends_length_zero_and_no_body() {
    let resp = client().get("/no-content-types").query("code", "205").send();
    assert_eq!(resp.status(), 205);
    assert!(resp.body().is_empty());
    assert_eq!(
        headers(&resp),
        vec![h("content-length", "0"), h("content-type", "application/json")]
    );
}

#[test]
fn no_content_drops_a_raw_content_type_and_keeps_the_rest() {
    let resp = client().post("/no-content-types").send();
    assert_eq!(resp.status(), 204);
    assert_eq!(headers(&resp), vec![h("X-Kept", "1")]);
}

#[test]
fn typed_header_optional_nested_struct_is_json_or_omitted() {
    let c = client();
    let resp = c.get("/nested").query("placed", "true").send();
    assert_eq!(
        headers(&resp),
        vec![
            h("content-length", &len(&resp)),
            h("x-placement", r#"{"region":"eu","shard":3}"#),
            h("x-rate-limit", "5"),
            h("content-type", "application/json")
        ]
    );
    let resp = c.get("/nested").query("placed", "false").send();
    assert_eq!(
        headers(&resp),
        vec![
            h("content-length", &len(&resp)),
            h("x-rate-limit", "5"),
            h("content-type", "application/json")
        ]
    );
}

#[test]
fn head_on_every_wrapper_keeps_status_and_headers_without_a_body() {
    let c = client();
    for path in [
        "/made",
        "/blob",
        "/csv",
        "/typed-kinds",
        "/nothing",
        "/widgets/w1",
    ] {
        let get = c.get(path).send();
        let head = c.head(path).send();
        assert_eq!(head.status(), get.status(), "{path}");
        assert_eq!(headers(&head), headers(&get), "{path}");
        assert!(head.body().is_empty(), "{path}");
    }
}

#[test]
fn cookie_with_a_path_or_domain_that_breaks_out_is_not_sent() {
    let resp = client().get("/bad-cookies").send();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.header_all("set-cookie").collect::<Vec<_>>(),
        ["ok=1; Path=/; Secure; HttpOnly; SameSite=Lax"]
    );
    assert_eq!(resp.header("x-injected"), None);
}

#[test]
fn typed_headers_with_flattened_fields_are_all_sent() {
    let resp = client().get("/named-headers").send();
    assert_eq!(
        headers(&resp),
        vec![
            h("content-length", &len(&resp)),
            h("x-outer", "1"),
            h("x-inner", "2"),
            h("x-extra", "3"),
            h("content-type", "application/json")
        ]
    );
}

#[test]
fn typed_header_names_written_as_headers_keep_their_words() {
    let c = client();
    let resp = c.put("/named-headers").send();
    assert_eq!(
        headers(&resp),
        vec![
            h("content-length", &len(&resp)),
            h("x-request-id", "r-1"),
            h("etag", "\"v1\""),
            h("www-authenticate", "Bearer"),
            h("content-md5", "Q2hlY2s="),
            h("content-type", "application/json")
        ]
    );
    let resp = c.post("/named-headers").send();
    assert_eq!(resp.header("x-rate-limit"), Some("9"));
    assert_eq!(resp.header("x-ratelimit-remaining"), Some("8"));
    let resp = c.patch("/named-headers").send();
    assert_eq!(resp.header("x-request-id"), Some("r-2"));
    assert_eq!(resp.header("x-api-key"), Some("k"));
}

#[test]
fn flattened_map_entries_that_are_not_headers_are_left_out() {
    let resp = client().delete("/named-headers").send();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        headers(&resp),
        vec![
            h("content-length", &len(&resp)),
            h("x-a", "1"),
            h("x-ratelimit-remaining", "4"),
            h("x-b", "2"),
            h("content-type", "application/json")
        ]
    );
}
