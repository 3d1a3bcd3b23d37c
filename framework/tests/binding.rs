//! Binding by name and the fixed REST statuses, through the in-process
//! `TestClient`: one behaviour per test.

use jero::{contract, endpoint, resource, App, BoxError, Bytes, RawHeaders, Wiring};
use jero_testing::{json, TestClient, TestResponse};
use serde_json::Value;

// ---------------------------------------------------------------------------
// The app under test

/// What a handler saw, echoed back as JSON.
#[contract]
struct Seen {
    value: Value,
}

fn seen(value: impl serde::Serialize) -> Seen {
    Seen {
        value: serde_json::to_value(value).unwrap(),
    }
}

// `path` ---------------------------------------------------------------------

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
#[serde(rename_all = "camelCase")]
struct NewWidget {
    name: String,
    price_cents: u32,
    #[serde(default)]
    kind: Option<WidgetKind>,
}

#[contract]
#[serde(rename_all = "snake_case")]
enum WidgetKind {
    Gear,
    Sprocket,
}

#[contract]
struct WidgetPatch {
    name: String,
}

struct Widgets;

#[resource(path = "/widgets")]
impl Widgets {
    async fn read_many(&self) -> Vec<Widget> {
        vec![
            Widget {
                id: "w1".into(),
                name: "one".into(),
            },
            Widget {
                id: "w2".into(),
                name: "two".into(),
            },
        ]
    }

    async fn create(&self, json: NewWidget) -> Widget {
        Widget {
            id: format!("{}-{}", json.name, json.price_cents),
            name: json.name,
        }
    }

    async fn read_one(&self, path: WidgetPath) -> Widget {
        Widget {
            id: path.widget_id,
            name: "widget-name".into(),
        }
    }

    async fn update(&self, path: WidgetPath, json: WidgetPatch) -> Widget {
        Widget {
            id: path.widget_id,
            name: json.name,
        }
    }

    async fn partial_update(&self, path: WidgetPath, json: WidgetPatch) -> Widget {
        Widget {
            id: path.widget_id,
            name: json.name,
        }
    }

    async fn delete(&self, path: WidgetPath) -> Widget {
        Widget {
            id: path.widget_id,
            name: "deleted".into(),
        }
    }
}

#[contract]
struct ItemPath {
    collection_id: String,
    item_id: String,
}

#[contract]
struct CollectionPath {
    collection_id: String,
}

struct Items;

#[resource(path = "/collections/{collection_id}/items")]
impl Items {
    async fn read_many(&self, path: CollectionPath) -> Seen {
        seen(json!({ "collection_id": path.collection_id }))
    }

    async fn read_one(&self, path: ItemPath) -> Seen {
        seen(json!({ "collection_id": path.collection_id, "item_id": path.item_id }))
    }
}

/// Fields declared in the reverse order of the URL's slots.
#[contract]
struct MemberPath {
    member_id: String,
    org_id: String,
}

struct Members;

#[resource(path = "/orgs/{org_id}/members")]
impl Members {
    async fn read_one(&self, path: MemberPath) -> Seen {
        seen(json!({ "org_id": path.org_id, "member_id": path.member_id }))
    }
}

#[contract]
struct NumberPath {
    number_id: u32,
}

struct Numbers;

#[resource(path = "/numbers")]
impl Numbers {
    async fn read_one(&self, path: NumberPath) -> Seen {
        seen(path.number_id)
    }
}

// `params` -------------------------------------------------------------------

fn default_limit() -> u32 {
    20
}

#[contract]
struct SearchParams {
    #[serde(default = "default_limit")]
    limit: u32,
    #[serde(default)]
    tag: Vec<String>,
    q: Option<String>,
}

struct Search;

#[endpoint(path = "/search")]
impl Search {
    async fn get(&self, params: SearchParams) -> Seen {
        seen(json!({ "limit": params.limit, "tag": params.tag, "q": params.q }))
    }
}

#[contract]
struct PageParams {
    page: u32,
}

struct Pages;

#[endpoint(path = "/pages")]
impl Pages {
    async fn get(&self, params: PageParams) -> Seen {
        seen(params.page)
    }
}

#[contract]
#[serde(rename_all = "camelCase")]
struct CamelParams {
    page_size: u32,
    #[serde(default)]
    sort: Option<SortOrder>,
}

#[contract]
#[serde(rename_all = "snake_case")]
enum SortOrder {
    Asc,
    Desc,
}

struct CamelSearch;

#[endpoint(path = "/camel-search")]
impl CamelSearch {
    async fn get(&self, params: CamelParams) -> Seen {
        seen(
            json!({ "page_size": params.page_size, "sort": params.sort.map(|s| matches!(s, SortOrder::Asc)) }),
        )
    }
}

#[contract]
#[serde(rename_all = "camelCase")]
struct CamelItemPath {
    collection_id: String,
    item_id: u64,
}

struct CamelItems;

#[resource(path = "/camel-collections/{collection_id}/items")]
impl CamelItems {
    async fn read_one(&self, path: CamelItemPath) -> Seen {
        seen(json!({ "collection_id": path.collection_id, "item_id": path.item_id }))
    }
}

// `headers` ------------------------------------------------------------------

#[contract]
struct TraceHeaders {
    x_trace_id: String,
    user_agent: Option<String>,
    x_retry_count: Option<u32>,
}

struct Traced;

#[endpoint(path = "/traced")]
impl Traced {
    async fn get(&self, headers: TraceHeaders) -> Seen {
        seen(json!({
            "x_trace_id": headers.x_trace_id,
            "user_agent": headers.user_agent,
            "x_retry_count": headers.x_retry_count,
        }))
    }
}

#[contract]
#[serde(rename_all = "camelCase")]
struct CamelHeaders {
    request_id: String,
}

struct CamelTraced;

#[endpoint(path = "/camel-headers")]
impl CamelTraced {
    async fn get(&self, headers: CamelHeaders) -> Seen {
        seen(headers.request_id)
    }
}

// `cookies` ------------------------------------------------------------------

#[contract]
struct SessionCookies {
    session_id: String,
    #[serde(rename = "Theme")]
    theme: Option<String>,
    visits: Option<u32>,
}

struct Session;

#[endpoint(path = "/session")]
impl Session {
    async fn get(&self, cookies: SessionCookies) -> Seen {
        seen(json!({ "session_id": cookies.session_id, "theme": cookies.theme, "visits": cookies.visits }))
    }
}

/// Cookies read through a map: every cookie the client sent.
#[contract]
struct AllCookies {
    #[serde(flatten)]
    all: std::collections::BTreeMap<String, String>,
}

struct Jar;

#[endpoint(path = "/jar")]
impl Jar {
    async fn get(&self, cookies: AllCookies) -> Seen {
        seen(json!(cookies.all))
    }
}

// Unknown fields and map keys ---------------------------------------------

#[contract]
#[serde(deny_unknown_fields)]
struct StrictParams {
    limit: u32,
}

#[contract(input)]
#[serde(deny_unknown_fields)]
struct StrictBody {
    name: String,
    tags: std::collections::HashMap<String, u32>,
}

struct Strict;

#[endpoint(path = "/strict")]
impl Strict {
    async fn get(&self, params: StrictParams) -> Seen {
        seen(json!(params.limit))
    }

    async fn post(&self, json: StrictBody) -> Seen {
        seen(json!({"name": json.name, "tags": json.tags.len()}))
    }
}

// `raw_headers` --------------------------------------------------------------

struct Raw;

#[endpoint(path = "/raw")]
impl Raw {
    async fn get(&self, raw_headers: RawHeaders) -> Seen {
        let lines: Vec<(String, String)> = raw_headers
            .iter()
            .map(|(n, v)| (n.to_owned(), String::from_utf8_lossy(v).into_owned()))
            .collect();
        let x_tag: Vec<String> = raw_headers
            .get_all("X-TAG")
            .map(|v| String::from_utf8_lossy(v).into_owned())
            .collect();
        seen(json!({
            "lines": lines,
            "first_x_tag": raw_headers.get_str("x-tag"),
            "x_tag": x_tag,
            "missing": raw_headers.get("x-missing").is_some(),
        }))
    }
}

// `json` ---------------------------------------------------------------------

#[contract]
struct LineItem {
    name: String,
    quantity: u32,
}

#[contract]
struct Order {
    items: Vec<LineItem>,
}

struct Orders;

#[resource(path = "/orders")]
impl Orders {
    async fn create(&self, json: Order) -> Seen {
        seen(json.items.len())
    }
}

struct Batches;

#[resource(path = "/batches")]
impl Batches {
    async fn create(&self, json: Vec<LineItem>) -> Vec<LineItem> {
        json
    }
}

// `content` ------------------------------------------------------------------

struct Blobs;

#[endpoint(path = "/blobs")]
impl Blobs {
    async fn post(&self, content: Bytes) -> Bytes {
        content
    }

    async fn put(&self, content: Vec<u8>) -> Seen {
        seen(content.len())
    }

    async fn patch(&self, content: String) -> String {
        content
    }
}

// returns --------------------------------------------------------------------

struct Text;

#[endpoint(path = "/text")]
impl Text {
    async fn get(&self) -> String {
        "hello, text".to_owned()
    }
}

struct Verbs;

#[endpoint(path = "/verbs")]
impl Verbs {
    async fn get(&self) -> String {
        "get".into()
    }
    async fn post(&self) -> String {
        "post".into()
    }
    async fn put(&self) -> String {
        "put".into()
    }
    async fn patch(&self) -> String {
        "patch".into()
    }
    async fn delete(&self) -> String {
        "delete".into()
    }
}

struct TestApp;

impl App for TestApp {
    async fn wire(&self, w: &mut Wiring) -> Result<(), BoxError> {
        w.include_endpoint(Strict)
            .include_resource(Widgets)
            .include_resource(Items)
            .include_resource(Numbers)
            .include_resource(Members)
            .include_endpoint(Search)
            .include_endpoint(Pages)
            .include_endpoint(CamelSearch)
            .include_resource(CamelItems)
            .include_endpoint(Traced)
            .include_endpoint(CamelTraced)
            .include_endpoint(Session)
            .include_endpoint(Jar)
            .include_endpoint(Raw)
            .include_resource(Orders)
            .include_resource(Batches)
            .include_endpoint(Blobs)
            .include_endpoint(Text)
            .include_endpoint(Verbs);
        Ok(())
    }
}

fn client() -> TestClient {
    TestClient::new(TestApp)
}

/// The `value` a handler echoed.
#[track_caller]
fn seen_value(resp: &TestResponse) -> Value {
    assert_eq!(resp.status(), 200, "{}", resp.text());
    resp.json::<Value>()["value"].clone()
}

/// Asserts a problem response and returns its body.
#[track_caller]
fn problem(resp: &TestResponse, status: u16, code: &str) -> Value {
    assert_eq!(resp.status(), status, "{}", resp.text());
    assert_eq!(resp.header("content-type"), Some("application/problem+json"));
    let body: Value = resp.json();
    assert_eq!(body["type"], code, "{body}");
    assert_eq!(body["status"], status, "{body}");
    body
}

/// Asserts a problem's `detail` mirrors `params.reason` and returns it.
#[track_caller]
fn detail(body: &Value) -> String {
    let detail = body["detail"].as_str().expect("a detail").to_owned();
    assert_eq!(body["params"]["reason"], detail.as_str(), "{body}");
    detail
}

// ---------------------------------------------------------------------------
// `path`

#[test]
fn path_one_slot() {
    let resp = client().get("/widgets/abc").send();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.json::<Value>(), json!({"id": "abc", "name": "widget-name"}));
}

#[test]
fn path_two_slots_on_a_templated_mount() {
    let resp = client().get("/collections/c7/items/i9").send();
    assert_eq!(seen_value(&resp), json!({"collection_id": "c7", "item_id": "i9"}));
}

#[test]
fn path_collection_on_a_templated_mount() {
    let resp = client().get("/collections/c7/items").send();
    assert_eq!(seen_value(&resp), json!({"collection_id": "c7"}));
}

#[test]
fn path_fields_bind_by_name_not_declaration_order() {
    let resp = client().get("/orgs/o1/members/m1").send();
    assert_eq!(seen_value(&resp), json!({"org_id": "o1", "member_id": "m1"}));
}

#[test]
fn path_is_percent_decoded() {
    let resp = client().get("/widgets/a%2Fb").send();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.json::<Value>()["id"], "a/b");
    let resp = client().get("/widgets/caf%C3%A9%20x").send();
    assert_eq!(resp.json::<Value>()["id"], "café x");
}

#[test]
fn path_plus_is_not_a_space() {
    let resp = client().get("/widgets/a+b").send();
    assert_eq!(resp.json::<Value>()["id"], "a+b");
}

#[test]
fn path_slot_not_utf8_once_decoded_is_404() {
    let resp = client().get("/widgets/%FF%FE").send();
    let body = problem(&resp, 404, "not-found");
    assert_eq!(
        body,
        json!({"type": "not-found", "title": "Not found", "status": 404})
    );
}

#[test]
fn path_slot_with_a_malformed_escape_is_404() {
    let c = client();
    for path in [
        "/widgets/%zz",
        "/widgets/a%",
        "/widgets/a%2",
        "/widgets/%2F%g0",
        "/widgets/100%",
    ] {
        let resp = c.get(path).send();
        problem(&resp, 404, "not-found");
    }
    // Well-formed escapes next to them still decode.
    let resp = c.get("/widgets/100%25%2A").send();
    assert_eq!(resp.json::<Value>()["id"], "100%*");
}

#[test]
fn path_value_that_fails_conversion_is_404() {
    let c = client();
    assert_eq!(seen_value(&c.get("/numbers/42").send()), json!(42));
    problem(&c.get("/numbers/abc").send(), 404, "not-found");
    problem(&c.get("/numbers/-1").send(), 404, "not-found");
    problem(&c.get("/numbers/99999999999").send(), 404, "not-found");
}

#[test]
fn path_ignores_the_query_string() {
    let resp = client().get("/widgets/abc?x=1&y=2").send();
    assert_eq!(resp.json::<Value>()["id"], "abc");
}

#[test]
fn path_rename_all_camel_case_is_honored() {
    let c = client();
    let resp = c.get("/camel-collections/c%201/items/77").send();
    assert_eq!(seen_value(&resp), json!({"collection_id": "c 1", "item_id": 77}));
    problem(&c.get("/camel-collections/c1/items/x").send(), 404, "not-found");
}

#[test]
fn path_empty_slot_is_404() {
    problem(&client().get("/collections//items/i1").send(), 404, "not-found");
}

// ---------------------------------------------------------------------------
// `params`

#[test]
fn params_defaults_are_honored() {
    let resp = client().get("/search").send();
    assert_eq!(seen_value(&resp), json!({"limit": 20, "tag": [], "q": null}));
}

#[test]
fn params_are_decoded() {
    let resp = client()
        .get("/search")
        .query("limit", "5")
        .query("q", "a b&c")
        .send();
    assert_eq!(seen_value(&resp), json!({"limit": 5, "tag": [], "q": "a b&c"}));
}

#[test]
fn params_plus_is_a_space_in_the_query() {
    let resp = client().get("/search?q=a+b%2Bc").send();
    assert_eq!(seen_value(&resp)["q"], "a b+c");
}

#[test]
fn params_repeated_keys_fill_a_vec() {
    let resp = client().get("/search?tag=red&tag=blue&tag=green").send();
    assert_eq!(seen_value(&resp)["tag"], json!(["red", "blue", "green"]));
}

#[test]
fn params_single_key_fills_a_vec() {
    let resp = client().get("/search?tag=red").send();
    assert_eq!(seen_value(&resp)["tag"], json!(["red"]));
}

/// A key sent with an empty value is present with the empty text, as in
/// axum's `Query`: not a number (400, also for an `Option` of one, which
/// an HTML-form reading would take as absent), an empty string for text.
#[test]
fn params_an_empty_value_is_the_empty_text() {
    for query in [
        "/camel-search?pageSize=",
        "/camel-search?pageSize",
        "/pages?page=",
    ] {
        let resp = client().get(query).send();
        let body = problem(&resp, 400, "malformed-request");
        assert!(detail(&body).contains("page"), "{query}: {body}");
    }
    let resp = client().get("/camel-search?pageSize=3&sort=").send();
    let body = problem(&resp, 400, "malformed-request");
    assert!(detail(&body).contains("sort"), "{body}");
    let resp = client().get("/search?q=").send();
    assert_eq!(seen_value(&resp)["q"], "");
    let resp = client().get("/search?q&tag=&tag=x").send();
    assert_eq!(seen_value(&resp), json!({"limit": 20, "tag": ["", "x"], "q": ""}));
}

/// A number in the query is the number alone: whitespace around it (a
/// `+`, an escaped tab) makes it not a number.
#[test]
fn params_whitespace_around_a_number_is_400() {
    for query in ["/pages?page=2+", "/pages?page=%092", "/pages?page=+2"] {
        let resp = client().get(query).send();
        let body = problem(&resp, 400, "malformed-request");
        assert!(detail(&body).contains("page"), "{query}: {body}");
    }
    assert_eq!(seen_value(&client().get("/pages?page=2").send()), json!(2));
}

/// One value per scalar field: a repeated key is 400 naming it.
#[test]
fn params_a_repeated_scalar_is_400() {
    let resp = client().get("/pages?page=1&page=2").send();
    let body = problem(&resp, 400, "malformed-request");
    assert!(detail(&body).contains("page"), "{body}");
}

#[test]
fn params_bad_value_is_400_naming_the_field_not_the_value() {
    let resp = client().get("/search?limit=abc").send();
    let body = problem(&resp, 400, "malformed-request");
    let detail = detail(&body);
    assert!(detail.contains("limit"), "{detail}");
    assert!(!resp.text().contains("abc"), "{}", resp.text());
}

#[test]
fn params_missing_required_is_400() {
    let c = client();
    assert_eq!(seen_value(&c.get("/pages?page=3").send()), json!(3));
    let resp = c.get("/pages").send();
    let body = problem(&resp, 400, "malformed-request");
    assert!(detail(&body).contains("page"), "{body}");
}

#[test]
fn params_rename_all_camel_case_is_honored() {
    let resp = client().get("/camel-search?pageSize=7&sort=asc").send();
    assert_eq!(seen_value(&resp), json!({"page_size": 7, "sort": true}));
}

#[test]
fn params_bad_enum_value_is_400_without_the_value() {
    let resp = client()
        .get("/camel-search?pageSize=7&sort=SECRET-VALUE-123")
        .send();
    let body = problem(&resp, 400, "malformed-request");
    assert!(detail(&body).contains("sort"), "{body}");
    assert!(!resp.text().contains("SECRET-VALUE-123"), "{}", resp.text());
}

/// A submitted value that contains serde's own `, expected ` separator.
const CRAFTED: &str = "x`, expected SECRET-VALUE-123";

#[test]
fn params_crafted_enum_value_is_not_echoed() {
    let resp = client()
        .get("/camel-search")
        .query("pageSize", "1")
        .query("sort", CRAFTED)
        .send();
    let body = problem(&resp, 400, "malformed-request");
    assert!(detail(&body).contains("sort"), "{body}");
    assert!(!resp.text().contains("SECRET-VALUE-123"), "{}", resp.text());
}

// ---------------------------------------------------------------------------
// `headers`

#[test]
fn headers_x_trace_id_binds_x_trace_id() {
    let resp = client().get("/traced").header("X-Trace-Id", "t-123").send();
    assert_eq!(
        seen_value(&resp),
        json!({"x_trace_id": "t-123", "user_agent": null, "x_retry_count": null})
    );
}

#[test]
fn headers_optional_user_agent() {
    let resp = client()
        .get("/traced")
        .header("x-trace-id", "t")
        .header("User-Agent", "curl/8.0")
        .header("X-Retry-Count", "2")
        .send();
    assert_eq!(
        seen_value(&resp),
        json!({"x_trace_id": "t", "user_agent": "curl/8.0", "x_retry_count": 2})
    );
}

#[test]
fn headers_missing_required_is_400_naming_the_header() {
    let resp = client().get("/traced").header("User-Agent", "curl/8.0").send();
    let body = problem(&resp, 400, "malformed-request");
    let detail = detail(&body);
    assert!(detail.contains("x-trace-id"), "{detail}");
}

#[test]
fn headers_bad_integer_is_400_without_the_value() {
    let resp = client()
        .get("/traced")
        .header("X-Trace-Id", "t")
        .header("X-Retry-Count", "SECRET-VALUE-123")
        .send();
    let body = problem(&resp, 400, "malformed-request");
    let detail = detail(&body);
    assert!(detail.contains("x-retry-count"), "{detail}");
    assert!(!resp.text().contains("SECRET-VALUE-123"), "{}", resp.text());
}

#[test]
fn headers_utf8_values_bind_as_sent_and_other_bytes_are_400_where_a_field_binds_them() {
    // A header value is visible ASCII plus obs-text (bytes 0x80-0xFF): UTF-8
    // text binds as sent; bytes that are not UTF-8 (Latin-1 `é`) are a 400
    // naming the header when a field binds it (never text with U+FFFD in
    // place of what was sent), and nothing when no field does.
    let c = client();
    let utf8 = c.send_raw("GET /traced HTTP/1.1\r\nHost: t\r\nX-Trace-Id: caf\u{e9}-\u{2603}\r\n\r\n".into());
    assert_eq!(seen_value(&utf8)["x_trace_id"], json!("caf\u{e9}-\u{2603}"));
    let latin1 = c.send_raw(
        b"GET /traced HTTP/1.1\r\nHost: t\r\nX-Trace-Id: caf\xe9!\r\nUser-Agent: ok\r\n\r\n".to_vec(),
    );
    let body = problem(&latin1, 400, "malformed-request");
    assert_eq!(detail(&body), "header `x-trace-id`: not valid UTF-8");
    // An optional field too, and a header no field takes is no matter.
    let latin1 = c.send_raw(
        b"GET /traced HTTP/1.1\r\nHost: t\r\nX-Trace-Id: t\r\nUser-Agent: caf\xe9\r\n\r\n".to_vec(),
    );
    let body = problem(&latin1, 400, "malformed-request");
    assert_eq!(detail(&body), "header `user-agent`: not valid UTF-8");
    let unbound =
        c.send_raw(b"GET /traced HTTP/1.1\r\nHost: t\r\nX-Trace-Id: t\r\nX-Other: caf\xe9\r\n\r\n".to_vec());
    assert_eq!(
        seen_value(&unbound),
        json!({"x_trace_id": "t", "user_agent": null, "x_retry_count": null})
    );
}

#[test]
fn headers_rename_all_camel_case_is_honored() {
    let resp = client().get("/camel-headers").header("Request-Id", "r-1").send();
    assert_eq!(seen_value(&resp), json!("r-1"));
}

#[test]
fn headers_missing_camel_case_header_is_named_as_sent() {
    let resp = client().get("/camel-headers").send();
    let body = problem(&resp, 400, "malformed-request");
    let detail = detail(&body);
    assert!(detail.contains("`request-id`"), "{detail}");
}

// ---------------------------------------------------------------------------
// `cookies`

#[test]
fn cookies_bind_by_exact_name() {
    let resp = client()
        .get("/session")
        .header("Cookie", "Theme=dark; session_id=s-1")
        .send();
    assert_eq!(
        seen_value(&resp),
        json!({"session_id": "s-1", "theme": "dark", "visits": null})
    );
}

#[test]
fn cookies_names_are_case_sensitive() {
    let c = client();
    let resp = c
        .get("/session")
        .header("Cookie", "Session_Id=wrong; session_id=right; theme=light")
        .send();
    assert_eq!(
        seen_value(&resp),
        json!({"session_id": "right", "theme": null, "visits": null})
    );
    let resp = c.get("/session").cookie("SESSION_ID", "x").send();
    let body = problem(&resp, 400, "malformed-request");
    assert!(detail(&body).contains("session_id"), "{body}");
}

#[test]
fn cookies_bad_value_is_400_without_the_value() {
    let resp = client()
        .get("/session")
        .header("Cookie", "session_id=s; visits=SECRET-VALUE-123")
        .send();
    let body = problem(&resp, 400, "malformed-request");
    assert!(detail(&body).contains("visits"), "{body}");
    assert!(!resp.text().contains("SECRET-VALUE-123"), "{}", resp.text());
}

#[test]
fn cookies_from_several_cookie_headers() {
    let resp = client()
        .get("/session")
        .cookie("session_id", "s-2")
        .cookie("Theme", "dark")
        .send();
    assert_eq!(
        seen_value(&resp),
        json!({"session_id": "s-2", "theme": "dark", "visits": null})
    );
}

#[test]
fn a_map_of_cookies_leaves_out_values_that_are_not_utf8() {
    // A map takes every cookie: one the app never reads by name must not
    // refuse the request.
    let raw = b"GET /jar HTTP/1.1\r\nHost: t\r\nCookie: tracker=caf\xe9; session_id=s\r\n\r\n";
    let resp = client().send_raw(raw.to_vec());
    assert_eq!(seen_value(&resp), json!({"session_id": "s"}));
}

#[test]
fn cookie_names_and_values_are_trimmed_of_the_spaces_around_them() {
    // RFC 6265 5.2: whitespace around the name and the value is no part
    // of either.
    let resp = client()
        .get("/session")
        .header("Cookie", "  Theme = \"dark\" ;session_id=s-1 ")
        .send();
    assert_eq!(
        seen_value(&resp),
        json!({"session_id": "s-1", "theme": "dark", "visits": null})
    );
}

#[test]
fn a_cookie_value_that_is_not_utf8_is_400_where_a_field_binds_it() {
    // The other cookies of its line and of other lines still bind.
    let raw = b"GET /session HTTP/1.1\r\nHost: t\r\nCookie: Other=d\xe9cor; Theme=dark\r\nCookie: session_id=s-3\r\n\r\n";
    let resp = client().send_raw(raw.to_vec());
    assert_eq!(
        seen_value(&resp),
        json!({"session_id": "s-3", "theme": "dark", "visits": null})
    );
    let raw = b"GET /session HTTP/1.1\r\nHost: t\r\nCookie: Theme=d\xe9cor\r\nCookie: session_id=s-3\r\n\r\n";
    let resp = client().send_raw(raw.to_vec());
    let body = problem(&resp, 400, "malformed-request");
    assert_eq!(detail(&body), "cookie `Theme`: not valid UTF-8");
}

// ---------------------------------------------------------------------------
// `raw_headers`

#[test]
fn raw_headers_keep_order_casing_and_repeats() {
    let resp = client()
        .get("/raw")
        .header("X-Tag", "one")
        .header("accept", "*/*")
        .header("x-TAG", "two")
        .send();
    let v = seen_value(&resp);
    assert_eq!(
        v["lines"],
        json!([
            ["host", "testserver"],
            ["X-Tag", "one"],
            ["accept", "*/*"],
            ["x-TAG", "two"]
        ])
    );
    assert_eq!(v["first_x_tag"], "one");
    assert_eq!(v["x_tag"], json!(["one", "two"]));
    assert_eq!(v["missing"], false);
}

// ---------------------------------------------------------------------------
// `json`

#[test]
fn json_body_is_decoded() {
    let resp = client()
        .post("/widgets")
        .json(&json!({"name": "gear", "priceCents": 250, "kind": "sprocket"}))
        .send();
    assert_eq!(resp.status(), 201);
    assert_eq!(resp.json::<Value>(), json!({"id": "gear-250", "name": "gear"}));
}

#[test]
fn json_malformed_is_400() {
    let resp = client()
        .post("/widgets")
        .header("content-type", "application/json")
        .body(r#"{"name": "SECRET-VALUE-123", "priceCents": "#)
        .send();
    let body = problem(&resp, 400, "malformed-request");
    detail(&body);
    assert!(!resp.text().contains("SECRET-VALUE-123"), "{}", resp.text());
}

#[test]
fn json_empty_body_is_400() {
    let resp = client()
        .post("/widgets")
        .header("content-type", "application/json")
        .send();
    problem(&resp, 400, "malformed-request");
}

#[test]
fn json_wrong_type_is_422_naming_the_field_not_the_value() {
    let resp = client()
        .post("/widgets")
        .json(&json!({"name": "gear", "priceCents": "SECRET-VALUE-123"}))
        .send();
    let body = problem(&resp, 422, "validation-failed");
    assert_eq!(body["title"], "Validation failed");
    let detail = detail(&body);
    assert!(detail.contains("priceCents"), "{detail}");
    assert!(!resp.text().contains("SECRET-VALUE-123"), "{}", resp.text());
}

#[test]
fn json_missing_field_is_422_naming_the_field() {
    let resp = client().post("/widgets").json(&json!({"name": "gear"})).send();
    let body = problem(&resp, 422, "validation-failed");
    let detail = detail(&body);
    assert!(detail.contains("priceCents"), "{detail}");
}

#[test]
fn json_unknown_enum_variant_is_422_without_the_value() {
    let resp = client()
        .post("/widgets")
        .json(&json!({"name": "gear", "priceCents": 1, "kind": "SECRET-VALUE-123"}))
        .send();
    let body = problem(&resp, 422, "validation-failed");
    let detail = detail(&body);
    assert!(detail.contains("kind"), "{detail}");
    assert!(!resp.text().contains("SECRET-VALUE-123"), "{}", resp.text());
}

#[test]
fn json_crafted_enum_value_is_not_echoed() {
    let resp = client()
        .post("/widgets")
        .json(&json!({"name": "gear", "priceCents": 1, "kind": CRAFTED}))
        .send();
    let body = problem(&resp, 422, "validation-failed");
    assert!(detail(&body).contains("kind"), "{body}");
    assert!(!resp.text().contains("SECRET-VALUE-123"), "{}", resp.text());
}

#[test]
fn json_null_body_is_422() {
    let resp = client()
        .post("/widgets")
        .header("content-type", "application/json")
        .body("null")
        .send();
    problem(&resp, 422, "validation-failed");
}

#[test]
fn json_of_the_wrong_shape_names_the_shape_not_the_rust_type() {
    // A string, a short array and a nested string where objects belong:
    // serde's own messages would say `expected struct NewWidget` or
    // `expected struct NewWidget with 2 elements`.
    for (path, body, at) in [
        ("/widgets", json!("SECRET-VALUE-123"), None),
        ("/widgets", json!([]), None),
        (
            "/orders",
            json!({"items": ["SECRET-VALUE-123"]}),
            Some("items[0]"),
        ),
    ] {
        let resp = client().post(path).json(&body).send();
        let problem = problem(&resp, 422, "validation-failed");
        let detail = detail(&problem);
        assert!(detail.ends_with("expected an object"), "{detail}");
        if let Some(at) = at {
            assert!(detail.contains(at), "{detail}");
        }
        for leak in ["NewWidget", "LineItem", "struct", "SECRET-VALUE-123"] {
            assert!(!resp.text().contains(leak), "{leak} in {}", resp.text());
        }
    }
}

/// serde takes an array's elements as a struct's fields, in order: a body
/// that is an array where the contract is an object was bound (201) or,
/// with one element too many, called malformed (400). Well-formed JSON of
/// the wrong shape is 422; malformed JSON stays 400; whitespace before the
/// object is fine; a `Vec` contract still takes an array.
#[test]
fn json_array_for_an_object_is_422() {
    for body in [
        r#"["gear", 250]"#,
        r#"["gear", 250, null]"#,
        r#" ["n7",1,2]"#,
        "7",
        "true",
    ] {
        let resp = client()
            .post("/widgets")
            .header("content-type", "application/json")
            .body(body)
            .send();
        let problem = problem(&resp, 422, "validation-failed");
        assert_eq!(
            detail(&problem),
            "invalid JSON body: expected an object",
            "{body}"
        );
    }
    for body in ["[1,", "[\"gear\" 250]"] {
        let resp = client()
            .post("/widgets")
            .header("content-type", "application/json")
            .body(body)
            .send();
        problem(&resp, 400, "malformed-request");
    }
    let resp = client()
        .post("/widgets")
        .header("content-type", "application/json")
        .body("\r\n\t {\"name\": \"gear\", \"priceCents\": 250}")
        .send();
    assert_eq!(resp.status(), 201);
}

/// Nesting is bounded: past 128 levels is 400, and past 32 the body is
/// read by serde_json rather than sonic-rs, which skips a value it does
/// not bind by recursion without a limit (about 40 levels overflowed a
/// 2 MiB stack in this debug build, 20,000 in release, aborting the
/// process). Deep bodies bind, skip and fail as shallow ones do; strings
/// may hold any brackets.
#[test]
fn json_nesting_is_bounded() {
    let c = client();
    let post = |body: String| {
        c.post("/widgets")
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    let nested = |levels: usize| format!("{}1{}", "[".repeat(levels), "]".repeat(levels));
    let with_extra =
        |levels: usize| format!(r#"{{"name": "n", "priceCents": 1, "extra": {}}}"#, nested(levels));
    for body in [
        "[".repeat(20_000),
        "{\"a\":".repeat(20_000),
        format!(
            r#"{{"name": "n", "priceCents": 1, "extra": {}"#,
            "[".repeat(50_000)
        ),
        with_extra(128),
    ] {
        let problem = problem(&post(body.clone()), 400, "malformed-request");
        assert_eq!(
            detail(&problem),
            "malformed JSON body: arrays and objects nested deeper than 128 levels",
            "{}",
            &body[..40]
        );
    }
    // 128 levels in all, and 40 (past sonic-rs's 32): bound, the extra
    // field skipped.
    for levels in [127, 39, 31] {
        let resp = post(with_extra(levels));
        assert_eq!(resp.status(), 201, "{levels}: {}", resp.text());
        assert_eq!(resp.json::<Value>(), json!({"id": "n-1", "name": "n"}));
    }
    // A deep body that does not fit is 422 naming the field; a malformed
    // one is 400 with the position; neither quotes the input.
    let resp = post(format!(
        r#"{{"name": "n", "priceCents": "SECRET", "extra": {}}}"#,
        nested(40)
    ));
    let body = problem(&resp, 422, "validation-failed");
    assert!(detail(&body).contains("priceCents"), "{body}");
    assert!(!resp.text().contains("SECRET"), "{}", resp.text());
    let resp = post(format!(
        r#"{{"name": "n", "priceCents": 1, "extra": {} SECRET}}"#,
        nested(40)
    ));
    let body = problem(&resp, 400, "malformed-request");
    assert!(
        detail(&body).starts_with("malformed JSON body at line 1 column"),
        "{body}"
    );
    assert!(!resp.text().contains("SECRET"), "{}", resp.text());
    // An array where the object belongs, deep: still 422.
    let body = problem(&post(format!("[{}]", nested(40))), 422, "validation-failed");
    assert_eq!(detail(&body), "invalid JSON body: expected an object");
    let brackets = "[{".repeat(1000);
    let resp = c
        .post("/widgets")
        .json(&json!({"name": brackets, "priceCents": 1}))
        .send();
    assert_eq!(resp.status(), 201, "{}", resp.text());
}

#[test]
fn json_trailing_garbage_is_400() {
    let resp = client()
        .post("/widgets")
        .header("content-type", "application/json")
        .body(r#"{"name": "gear", "priceCents": 1} trailing"#)
        .send();
    problem(&resp, 400, "malformed-request");
}

#[test]
fn json_nested_field_path_is_named() {
    let resp = client()
        .post("/orders")
        .json(&json!({"items": [{"name": "a", "quantity": 1}, {"name": "SECRET-VALUE-123", "quantity": "SECRET-VALUE-123"}]}))
        .send();
    let body = problem(&resp, 422, "validation-failed");
    let detail = detail(&body);
    assert!(detail.contains("items[1].quantity"), "{detail}");
    assert!(!resp.text().contains("SECRET-VALUE-123"), "{}", resp.text());
}

#[test]
fn json_nested_wrong_type_names_the_path() {
    let resp = client()
        .post("/orders")
        .json(&json!({"items": [{"name": 5, "quantity": 1}]}))
        .send();
    let body = problem(&resp, 422, "validation-failed");
    let detail = detail(&body);
    assert!(detail.contains("items[0].name"), "{detail}");
}

#[test]
fn json_list_of_contracts_body() {
    let items = json!([{"name": "a", "quantity": 1}, {"name": "b", "quantity": 2}]);
    let resp = client().post("/batches").json(&items).send();
    assert_eq!(resp.status(), 201, "{}", resp.text());
    assert_eq!(resp.header("content-type"), Some("application/json"));
    assert_eq!(resp.json::<Value>(), items);
}

#[test]
fn json_list_body_element_error_names_its_index() {
    let resp = client()
        .post("/batches")
        .json(&json!([{"name": "a", "quantity": 1}, {"name": "b"}]))
        .send();
    let body = problem(&resp, 422, "validation-failed");
    let detail = detail(&body);
    assert!(detail.contains("[1]") && detail.contains("quantity"), "{detail}");
}

#[test]
fn json_object_where_a_list_is_expected_is_422() {
    let resp = client()
        .post("/batches")
        .json(&json!({"name": "a", "quantity": 1}))
        .send();
    problem(&resp, 422, "validation-failed");
}

// ---------------------------------------------------------------------------
// `content`

#[test]
fn content_binds_raw_bytes_of_any_content_type() {
    let bytes: Vec<u8> = vec![0x89, b'P', b'N', b'G', 0, 0xff, 0xfe, b'\r', b'\n'];
    let resp = client()
        .post("/blobs")
        .header("content-type", "image/png")
        .body(bytes.clone())
        .send();
    assert_eq!(resp.status(), 200);
    assert_eq!(&resp.body()[..], &bytes[..]);
    let resp = client().put("/blobs").body("no content type").send();
    assert_eq!(seen_value(&resp), json!(15));
}

#[test]
fn content_as_string() {
    let resp = client()
        .patch("/blobs")
        .header("content-type", "application/json")
        .body(r#"{"not": "parsed"}"#)
        .send();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.text(), r#"{"not": "parsed"}"#);
}

#[test]
fn content_empty_body() {
    let resp = client().post("/blobs").send();
    assert_eq!(resp.status(), 200);
    assert!(resp.body().is_empty());
    assert_eq!(resp.header("content-length"), Some("0"));
}

// ---------------------------------------------------------------------------
// Returns and statuses

#[test]
fn struct_return_is_json() {
    let resp = client().get("/widgets/w1").send();
    assert_eq!(resp.header("content-type"), Some("application/json"));
    let len: usize = resp.header("content-length").unwrap().parse().unwrap();
    assert_eq!(len, resp.body().len());
}

#[test]
fn list_return_is_a_json_array() {
    let resp = client().get("/widgets").send();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.header("content-type"), Some("application/json"));
    assert_eq!(
        resp.json::<Value>(),
        json!([{"id": "w1", "name": "one"}, {"id": "w2", "name": "two"}])
    );
}

#[test]
fn string_return_is_text_plain() {
    let resp = client().get("/text").send();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.header("content-type"), Some("text/plain; charset=utf-8"));
    assert_eq!(resp.text(), "hello, text");
}

#[test]
fn bytes_return_is_octet_stream() {
    let resp = client().post("/blobs").body("abc").send();
    assert_eq!(resp.header("content-type"), Some("application/octet-stream"));
    assert_eq!(resp.text(), "abc");
}

#[test]
fn create_is_201() {
    let resp = client()
        .post("/widgets")
        .json(&json!({"name": "n", "priceCents": 1}))
        .send();
    assert_eq!(resp.status(), 201);
    assert_eq!(resp.header("content-type"), Some("application/json"));
}

#[test]
fn other_resource_operations_are_200() {
    let c = client();
    assert_eq!(c.get("/widgets").send().status(), 200);
    assert_eq!(c.get("/widgets/w1").send().status(), 200);
    let resp = c.put("/widgets/w1").json(&json!({"name": "put"})).send();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.json::<Value>(), json!({"id": "w1", "name": "put"}));
    let resp = c.patch("/widgets/w1").json(&json!({"name": "patched"})).send();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.json::<Value>(), json!({"id": "w1", "name": "patched"}));
    let resp = c.delete("/widgets/w1").send();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.json::<Value>(), json!({"id": "w1", "name": "deleted"}));
}

#[test]
fn endpoint_verbs_are_all_200() {
    let c = client();
    for verb in ["GET", "POST", "PUT", "PATCH", "DELETE"] {
        let resp = c.request(verb, "/verbs").send();
        assert_eq!(resp.status(), 200, "{verb}");
        assert_eq!(resp.text(), verb.to_ascii_lowercase());
    }
}

#[test]
fn unmatched_url_is_404_problem() {
    let c = client();
    for url in ["/nope", "/widgets/a/b", "/collections/c1", "/", "/widgets/"] {
        let resp = c.get(url).send();
        assert_eq!(resp.status(), 404, "{url}");
        assert_eq!(
            resp.header("content-type"),
            Some("application/problem+json"),
            "{url}"
        );
        assert_eq!(
            resp.text(),
            r#"{"type":"not-found","title":"Not found","status":404}"#,
            "{url}"
        );
    }
}

#[test]
fn wrong_method_is_405_with_allow() {
    let c = client();
    let resp = c.delete("/widgets").send();
    let body = problem(&resp, 405, "method-not-allowed");
    assert_eq!(body["title"], "Method not allowed");
    assert_eq!(resp.header("allow"), Some("GET, HEAD, OPTIONS, POST"));

    let resp = c.post("/widgets/w1").send();
    problem(&resp, 405, "method-not-allowed");
    assert_eq!(
        resp.header("allow"),
        Some("DELETE, GET, HEAD, OPTIONS, PATCH, PUT")
    );
}

#[test]
fn allow_has_no_head_without_get() {
    let c = client();
    let resp = c.get("/orders").send();
    problem(&resp, 405, "method-not-allowed");
    assert_eq!(resp.header("allow"), Some("OPTIONS, POST"));
    let resp = c.head("/orders").send();
    assert_eq!(resp.status(), 405);
    assert!(resp.body().is_empty());
    assert_eq!(resp.header("allow"), Some("OPTIONS, POST"));
}

#[test]
fn head_is_served_from_get_without_a_body() {
    let c = client();
    let get = c.get("/widgets").send();
    let head = c.head("/widgets").send();
    assert_eq!(head.status(), 200);
    assert!(head.body().is_empty());
    assert_eq!(head.header("content-type"), Some("application/json"));
    assert_eq!(head.header("content-length"), get.header("content-length"));
    assert_eq!(
        head.header("content-length").unwrap(),
        get.body().len().to_string()
    );
}

#[test]
fn options_is_204_with_allow() {
    let c = client();
    let resp = c.options("/widgets").send();
    assert_eq!(resp.status(), 204);
    assert_eq!(resp.header("allow"), Some("GET, HEAD, OPTIONS, POST"));
    assert_eq!(resp.header("content-length"), None);
    assert!(resp.body().is_empty());
    let resp = c.options("/verbs").send();
    assert_eq!(resp.status(), 204);
    assert_eq!(
        resp.header("allow"),
        Some("DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT")
    );
}

#[test]
fn options_on_an_unknown_url_is_404() {
    problem(&client().options("/nope").send(), 404, "not-found");
}

/// `OPTIONS *` asks about the server (RFC 9110 9.3.7): 204 with every
/// method some route allows. `*` is no target for other methods.
#[test]
fn options_star_is_204_with_the_app_s_methods() {
    let c = client();
    let resp = c.options("*").send();
    assert_eq!(resp.status(), 204);
    assert_eq!(
        resp.header("allow"),
        Some("DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT")
    );
    assert!(resp.body().is_empty());
    problem(&c.get("*").send(), 400, "malformed-request");
}

#[test]
fn item_resource_on_templated_mount_allows_only_its_methods() {
    let c = client();
    let resp = c.delete("/collections/c1/items/i1").send();
    problem(&resp, 405, "method-not-allowed");
    assert_eq!(resp.header("allow"), Some("GET, HEAD, OPTIONS"));
}

#[test]
fn cookies_read_back_what_set_cookie_set() {
    let c = client();
    for value in ["dark mode", "é", "%20", "a%b", "x;y\"z,w", "plain", ""] {
        let set = jero::SetCookie::new("Theme", value).to_string();
        let pair = set.split(';').next().unwrap().to_owned();
        let resp = c
            .get("/session")
            .header("Cookie", &format!("session_id=s; {pair}"))
            .send();
        assert_eq!(seen_value(&resp)["theme"], json!(value), "{set}");
    }
}

#[test]
fn cookie_whose_decoding_is_not_utf8_binds_as_sent() {
    let resp = client()
        .get("/session")
        .header("Cookie", "session_id=s%FF%FE; Theme=%41")
        .send();
    assert_eq!(
        seen_value(&resp),
        json!({"session_id": "s%FF%FE", "theme": "A", "visits": null})
    );
}

#[test]
fn an_unknown_field_is_not_named_back() {
    let c = client();
    let resp = c
        .get("/strict")
        .query("limit", "1")
        .query("SECRET_KEY_1", "2")
        .send();
    let body = problem(&resp, 400, "malformed-request");
    assert!(detail(&body).contains("unknown field"), "{body}");
    assert!(!resp.text().contains("SECRET_KEY_1"), "{}", resp.text());
    let resp = c
        .post("/strict")
        .json(&json!({"name": "n", "tags": {}, "SECRET_FIELD_2": 1}))
        .send();
    let body = problem(&resp, 422, "validation-failed");
    assert!(detail(&body).contains("unknown field"), "{body}");
    assert!(!resp.text().contains("SECRET_FIELD_2"), "{}", resp.text());
}

#[test]
fn a_map_key_that_is_not_a_plain_name_is_not_repeated() {
    let c = client();
    let long = "k".repeat(100_000);
    for key in ["a key with spaces`", long.as_str()] {
        let resp = c
            .post("/strict")
            .json(&json!({"name": "n", "tags": {key: "not a number"}}))
            .send();
        let body = problem(&resp, 422, "validation-failed");
        assert_eq!(
            detail(&body),
            "invalid JSON body at `tags.*`: invalid type: expected u32",
            "{body}"
        );
        assert!(resp.body().len() < 1000);
    }
    // A plain key is a name, shown.
    let resp = c
        .post("/strict")
        .json(&json!({"name": "n", "tags": {"red": "x"}}))
        .send();
    let body = problem(&resp, 422, "validation-failed");
    assert!(
        detail(&body).starts_with("invalid JSON body at `tags.red`"),
        "{body}"
    );
}
