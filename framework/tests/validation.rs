//! A contract's declared constraints (`#[schemars(length, range, pattern,
//! ..)]`, the ones the OpenAPI document shows) are checked after binding,
//! from every source: 422 for a JSON body or a form, 400 for query,
//! headers and cookies, 404 for a path, 401 for an authenticator's
//! credentials. Through the TestClient.

use jero::{authenticator, contract, endpoint, resource, App, BoxError, FormPart, Wiring};
use jero_testing::{json, Multipart, TestClient, TestResponse};
use serde_json::Value;

#[contract]
#[serde(rename_all = "camelCase")]
struct Part {
    #[schemars(range(min = 1))]
    qty: u32,
    #[schemars(length(min = 1))]
    sku: String,
}

#[contract]
#[serde(rename_all = "camelCase")]
struct WidgetIn {
    #[schemars(length(min = 1, max = 10))]
    name: String,
    #[schemars(range(min = 0, max = 1_000_000))]
    price_cents: i64,
    #[schemars(range(min = -0.5, max = 0.5))]
    discount: Option<f64>,
    #[schemars(regex(pattern = r"^[A-Z]{3}$"))]
    currency: String,
    #[schemars(email)]
    contact: Option<String>,
    #[schemars(url)]
    homepage: Option<String>,
    #[schemars(ip)]
    origin: Option<String>,
    #[schemars(contains("-"))]
    code: Option<String>,
    #[schemars(length(max = 3), inner(length(min = 1)))]
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    parts: Vec<Part>,
    #[schemars(required)]
    note: Option<String>,
    #[serde(rename = "SKU", default)]
    #[schemars(pattern("^[0-9]+$"))]
    raw_sku: Option<String>,
}

#[contract]
struct Saved {
    name: String,
}

/// Sizes, by kind: the constraints of an enum's variants.
#[contract]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Size {
    Box {
        #[schemars(range(min = 1))]
        width: u32,
    },
    Tube {
        #[schemars(range(max = 2))]
        length: u32,
    },
}

#[contract]
struct Page {
    #[schemars(range(min = 1, max = 100))]
    limit: Option<u32>,
    #[schemars(inner(length(min = 2)))]
    #[serde(default)]
    tag: Vec<String>,
}

#[contract]
struct Trace {
    #[schemars(length(max = 8))]
    x_trace_id: Option<String>,
}

#[contract]
struct Prefs {
    #[schemars(regex(pattern = "^(light|dark)$"))]
    theme: Option<String>,
}

#[contract]
struct WidgetPath {
    #[schemars(pattern(r"^w-[0-9]+$"))]
    widget_id: String,
}

#[contract]
struct Config {
    #[schemars(range(min = 72))]
    dpi: u32,
}

#[contract(input)]
struct JobForm {
    #[schemars(range(min = 1))]
    count: u32,
    config: FormPart<Config>,
}

struct Widgets;

#[resource(path = "/widgets")]
impl Widgets {
    async fn create(&self, json: WidgetIn) -> Saved {
        Saved { name: json.name }
    }

    async fn read_many(&self, params: Page, headers: Trace, cookies: Prefs) -> Vec<Saved> {
        let _ = (params, headers, cookies);
        Vec::new()
    }

    async fn read_one(&self, path: WidgetPath) -> Saved {
        Saved { name: path.widget_id }
    }
}

struct Batch;

#[endpoint(path = "/batch")]
impl Batch {
    async fn post(&self, json: Vec<Part>) -> Saved {
        Saved {
            name: json.len().to_string(),
        }
    }

    async fn put(&self, json: Size) -> Saved {
        Saved {
            name: match json {
                Size::Box { width } => width.to_string(),
                Size::Tube { length } => length.to_string(),
            },
        }
    }
}

struct Jobs;

#[endpoint(path = "/jobs")]
impl Jobs {
    async fn post(&self, form: JobForm) -> Saved {
        Saved {
            name: format!("{}@{}", form.count, form.config.value.dpi),
        }
    }
}

#[contract]
struct ApiKey {
    #[schemars(length(equal = 4))]
    x_api_key: String,
}

#[contract]
struct User {
    id: String,
}

struct KeyAuth;

#[authenticator]
impl KeyAuth {
    async fn authenticate(&self, headers: ApiKey) -> Result<User, jero::errors::Forbidden> {
        Ok(User {
            id: headers.x_api_key,
        })
    }
}

struct Me;

#[endpoint(path = "/me")]
impl Me {
    async fn get(&self, user: User) -> User {
        user
    }
}

struct ValidationApp;

impl App for ValidationApp {
    async fn wire(&self, w: &mut Wiring) -> Result<(), BoxError> {
        w.include_resource(Widgets)
            .include_endpoint(Batch)
            .include_endpoint(Jobs)
            .include_endpoint_with_auth(Me, KeyAuth);
        Ok(())
    }
}

fn valid() -> Value {
    json!({"name": "gizmo", "priceCents": 5, "currency": "EUR", "note": "n"})
}

fn with(field: &str, value: Value) -> Value {
    let mut body = valid();
    body[field] = value;
    body
}

/// The status, problem type and detail of a response.
fn problem(res: TestResponse) -> (u16, String, String) {
    let p = res.problem();
    (p.status, p.code, p.detail.unwrap_or_default())
}

fn invalid_body(detail: &str) -> (u16, String, String) {
    (422, "validation-failed".into(), detail.into())
}

#[test]
fn a_body_within_its_constraints_binds() {
    let c = TestClient::new(ValidationApp);
    let body = json!({
        "name": "gizmo", "priceCents": 0, "discount": -0.5, "currency": "EUR",
        "contact": "a@example.com", "homepage": "https://example.com", "origin": "::1",
        "code": "a-b", "tags": ["x", "y", "z"], "parts": [{"qty": 1, "sku": "s"}],
        "note": "", "SKU": "123"
    });
    let res = c.post("/widgets").json(&body).send();
    assert_eq!(res.status(), 201, "{}", res.text());
}

#[test]
fn each_constraint_of_a_json_body_is_422_naming_the_field_and_the_rule() {
    let c = TestClient::new(ValidationApp);
    let cases = [
        (
            with("name", json!("")),
            "invalid JSON body at `name`: must have at least 1 character",
        ),
        (
            with("name", json!("abcdefghijk")),
            "invalid JSON body at `name`: must have at most 10 characters",
        ),
        (
            with("priceCents", json!(-1)),
            "invalid JSON body at `priceCents`: must be at least 0",
        ),
        (
            with("priceCents", json!(1_000_001)),
            "invalid JSON body at `priceCents`: must be at most 1000000",
        ),
        (
            with("discount", json!(0.75)),
            "invalid JSON body at `discount`: must be at most 0.5",
        ),
        (
            with("currency", json!("eur")),
            "invalid JSON body at `currency`: must match the pattern `^[A-Z]{3}$`",
        ),
        (
            with("contact", json!("nobody")),
            "invalid JSON body at `contact`: must be an email address",
        ),
        (
            with("homepage", json!("example.com")),
            "invalid JSON body at `homepage`: must be a URI",
        ),
        (
            with("origin", json!("10.0.0.256")),
            "invalid JSON body at `origin`: must be an IP address",
        ),
        (
            with("code", json!("ab")),
            "invalid JSON body at `code`: must contain `-`",
        ),
        (
            with("tags", json!(["a", "b", "c", "d"])),
            "invalid JSON body at `tags`: must have at most 3 items",
        ),
        (
            with("tags", json!(["a", ""])),
            "invalid JSON body at `tags[1]`: must have at least 1 character",
        ),
        (
            with("parts", json!([{"qty": 1, "sku": "a"}, {"qty": 0, "sku": "b"}])),
            "invalid JSON body at `parts[1].qty`: must be at least 1",
        ),
        (
            with("parts", json!([{"qty": 1, "sku": ""}])),
            "invalid JSON body at `parts[0].sku`: must have at least 1 character",
        ),
        (
            with("note", Value::Null),
            "invalid JSON body at `note`: is required",
        ),
        (
            with("SKU", json!("12a")),
            "invalid JSON body at `SKU`: must match the pattern `^[0-9]+$`",
        ),
    ];
    for (body, detail) in cases {
        let res = c.post("/widgets").json(&body).send();
        assert_eq!(problem(res), invalid_body(detail), "{body}");
    }
    // `required`: absent is the same as null.
    let mut body = valid();
    body.as_object_mut().unwrap().remove("note");
    let res = c.post("/widgets").json(&body).send();
    assert_eq!(
        problem(res),
        invalid_body("invalid JSON body at `note`: is required")
    );
    // The value itself is never in the message.
    let res = c
        .post("/widgets")
        .json(&with("contact", json!("secret-value")))
        .send();
    assert!(!res.text().contains("secret-value"), "{}", res.text());
}

#[test]
fn a_list_body_and_an_enum_body_are_checked_item_by_item() {
    let c = TestClient::new(ValidationApp);
    let res = c
        .post("/batch")
        .json(&json!([{"qty": 2, "sku": "a"}, {"qty": 0, "sku": "b"}]))
        .send();
    assert_eq!(
        problem(res),
        invalid_body("invalid JSON body at `[1].qty`: must be at least 1")
    );
    let res = c.put("/batch").json(&json!({"kind": "box", "width": 0})).send();
    assert_eq!(
        problem(res),
        invalid_body("invalid JSON body at `width`: must be at least 1")
    );
    let res = c.put("/batch").json(&json!({"kind": "tube", "length": 3})).send();
    assert_eq!(
        problem(res),
        invalid_body("invalid JSON body at `length`: must be at most 2")
    );
    let res = c.put("/batch").json(&json!({"kind": "tube", "length": 2})).send();
    assert_eq!(res.status(), 200);
}

#[test]
fn query_headers_and_cookies_that_break_a_constraint_are_400() {
    let c = TestClient::new(ValidationApp);
    assert_eq!(c.get("/widgets?limit=100&tag=ab").send().status(), 200);
    let malformed = |detail: &str| (400, "malformed-request".to_owned(), detail.to_owned());
    assert_eq!(
        problem(c.get("/widgets?limit=101").send()),
        malformed("query parameter `limit`: must be at most 100")
    );
    assert_eq!(
        problem(c.get("/widgets?limit=0").send()),
        malformed("query parameter `limit`: must be at least 1")
    );
    assert_eq!(
        problem(c.get("/widgets?tag=ab&tag=x").send()),
        malformed("query parameter `tag[1]`: must have at least 2 characters")
    );
    assert_eq!(
        problem(c.get("/widgets").header("X-Trace-Id", "123456789").send()),
        malformed("header `x-trace-id`: must have at most 8 characters")
    );
    assert_eq!(
        problem(c.get("/widgets").cookie("theme", "blue").send()),
        malformed("cookie `theme`: must match the pattern `^(light|dark)$`")
    );
    assert_eq!(c.get("/widgets").cookie("theme", "dark").send().status(), 200);
}

#[test]
fn a_path_that_breaks_a_constraint_names_no_resource() {
    let c = TestClient::new(ValidationApp);
    assert_eq!(c.get("/widgets/w-12").send().status(), 200);
    let res = c.get("/widgets/gizmo").send();
    assert_eq!((res.status(), problem(res).1), (404, "not-found".to_owned()));
}

#[test]
fn a_form_and_its_json_parts_are_checked() {
    let c = TestClient::new(ValidationApp);
    let form = |count: &str, dpi: u32| {
        Multipart::new()
            .text("count", count)
            .json("config", &json!({ "dpi": dpi }))
    };
    let res = c.post("/jobs").multipart(form("2", 300)).send();
    assert_eq!(
        (res.status(), res.json::<Value>()["name"].clone()),
        (200, json!("2@300"))
    );
    assert_eq!(
        problem(c.post("/jobs").multipart(form("0", 300)).send()),
        invalid_body("invalid form part `count`: must be at least 1")
    );
    assert_eq!(
        problem(c.post("/jobs").multipart(form("2", 10)).send()),
        invalid_body("invalid form part `config.dpi`: must be at least 72")
    );
}

#[test]
fn credentials_that_break_a_constraint_are_401() {
    let c = TestClient::new(ValidationApp);
    assert_eq!(c.get("/me").header("X-Api-Key", "abcd").send().status(), 200);
    let res = c.get("/me").header("X-Api-Key", "abc").send();
    assert_eq!(
        (res.status(), problem(res).1),
        (401, "authentication-required".to_owned())
    );
}

// ---------------------------------------------------------------------------
// Shapes: contracts behind pointers, in arrays, in generics; every format;
// the other spellings schemars takes.

#[contract]
struct Item {
    #[schemars(length(min = 1))]
    name: String,
}

#[contract]
struct Shapes {
    boxed: Box<Item>,
    shared: std::sync::Arc<Item>,
    pair: [Item; 2],
    maybe: Option<Box<Item>>,
}

#[contract]
struct PageOf<T: jero::Contract> {
    items: Vec<T>,
}

type Maybe<T> = Option<T>;

#[contract]
struct Spellings {
    #[schemars(ipv4)]
    v4: Option<String>,
    #[schemars(ipv6)]
    v6: Option<String>,
    #[schemars(contains(pattern = "-"))]
    code: Option<String>,
    #[schemars(range(max = 1.))]
    ratio: Option<f32>,
    #[schemars(required)]
    note: Maybe<String>,
    #[schemars(length(equal = 4))]
    pin: [u8; 4],
}

#[contract]
#[serde(rename_all = "kebab-case")]
enum Pick {
    TwoOf(Item, Item),
    #[serde(rename_all = "camelCase")]
    NamedOne {
        the_item: Item,
    },
}

fn item(name: &str) -> Item {
    Item { name: name.into() }
}

fn path_of(v: &impl jero::Contract) -> Option<(String, String)> {
    v.__validate()
        .err()
        .map(|v| (v.path().to_owned(), v.rule().to_owned()))
}

fn at(path: &str, rule: &str) -> Option<(String, String)> {
    Some((path.to_owned(), rule.to_owned()))
}

#[test]
fn contracts_behind_pointers_in_arrays_and_in_generics_are_checked() {
    const EMPTY: &str = "must have at least 1 character";
    let ok = || Shapes {
        boxed: Box::new(item("a")),
        shared: std::sync::Arc::new(item("a")),
        pair: [item("a"), item("a")],
        maybe: None,
    };
    assert_eq!(path_of(&ok()), None);
    let mut s = ok();
    *s.boxed = item("");
    assert_eq!(path_of(&s), at("boxed.name", EMPTY));
    let mut s = ok();
    s.shared = std::sync::Arc::new(item(""));
    assert_eq!(path_of(&s), at("shared.name", EMPTY));
    let mut s = ok();
    s.pair[1] = item("");
    assert_eq!(path_of(&s), at("pair[1].name", EMPTY));
    let mut s = ok();
    s.maybe = Some(Box::new(item("")));
    assert_eq!(path_of(&s), at("maybe.name", EMPTY));
    let page = PageOf {
        items: vec![item("a"), item("")],
    };
    assert_eq!(path_of(&page), at("items[1].name", EMPTY));
}

#[test]
fn every_format_and_spelling_is_checked() {
    let ok = || Spellings {
        v4: Some("10.0.0.1".into()),
        v6: Some("::1".into()),
        code: Some("a-b".into()),
        ratio: Some(1.0),
        note: Some(String::new()),
        pin: [1, 2, 3, 4],
    };
    assert_eq!(path_of(&ok()), None);
    type Case = (fn(&mut Spellings), &'static str, &'static str);
    let cases: [Case; 5] = [
        (|s| s.v4 = Some("::1".into()), "v4", "must be an IPv4 address"),
        (
            |s| s.v6 = Some("10.0.0.1".into()),
            "v6",
            "must be an IPv6 address",
        ),
        (|s| s.code = Some("ab".into()), "code", "must contain `-`"),
        (|s| s.ratio = Some(1.5), "ratio", "must be at most 1"),
        (|s| s.note = None, "note", "is required"),
    ];
    for (change, path, rule) in cases {
        let mut s = ok();
        change(&mut s);
        assert_eq!(path_of(&s), at(path, rule));
    }
}

#[test]
fn enum_paths_follow_serdes_names_and_tuple_items_are_indices() {
    let two = Pick::TwoOf(item("a"), item(""));
    assert_eq!(
        path_of(&two),
        at("two-of[1].name", "must have at least 1 character")
    );
    let named = Pick::NamedOne { the_item: item("") };
    assert_eq!(
        path_of(&named),
        at("named-one.theItem.name", "must have at least 1 character")
    );
}
