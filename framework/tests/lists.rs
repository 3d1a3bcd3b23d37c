//! Lists bound from text (query parameters, headers, cookies) are zero or
//! more, as a form's lists of parts are: a list no entry names binds
//! empty, without `#[serde(default)]`, unless it declares a minimum
//! length; a missing field of another type is still an error, named. The
//! document says the same: such lists are not required.

use jero::openapi::OpenApi;
use jero::{contract, endpoint, App, BoxError, Bytes, FormPart, Wiring};
use jero_testing::{json, Multipart, TestClient};
use serde_json::Value;

#[contract(input)]
struct ListQuery {
    tag: Vec<String>,
    id: Vec<u32>,
    page: u32,
}

#[contract(input)]
struct ListHeaders {
    x_tag: Vec<String>,
}

#[contract(input)]
struct ListCookies {
    seen: std::collections::BTreeSet<String>,
}

#[contract]
struct Bound {
    tag: Vec<String>,
    id: Vec<u32>,
    page: u32,
    x_tag: Vec<String>,
    seen: Vec<String>,
}

struct Lists;

#[endpoint(path = "/lists")]
impl Lists {
    async fn get(&self, params: ListQuery, headers: ListHeaders, cookies: ListCookies) -> Bound {
        Bound {
            tag: params.tag,
            id: params.id,
            page: params.page,
            x_tag: headers.x_tag,
            seen: cookies.seen.into_iter().collect(),
        }
    }
}

/// An inlined enum: its `Option` lists null among the values, which a
/// query value never is.
#[contract]
#[serde(rename_all = "lowercase")]
#[schemars(inline)]
enum Mode {
    Fast,
    Slow,
}

#[contract(input)]
struct AtLeastOne {
    #[schemars(length(min = 1))]
    tag: Vec<String>,
    mode: Option<Mode>,
}

/// A two-way contract may hold a form part serde never serializes.
#[contract]
#[allow(dead_code)]
struct Skipped {
    title: String,
    #[serde(skip_serializing)]
    doc: Option<jero::FilePart>,
}

struct Must;

#[endpoint(path = "/must")]
impl Must {
    async fn get(&self, params: AtLeastOne) -> String {
        params.tag.join(",")
    }
}

/// A part's typed headers bind lists the same way.
#[contract(input)]
struct PartLabels {
    x_label: Vec<String>,
}

#[contract(input)]
struct Labeled {
    doc: FormPart<Bytes, PartLabels>,
}

struct Labels;

#[endpoint(path = "/labels")]
impl Labels {
    async fn post(&self, form: Labeled) -> String {
        form.doc.headers.x_label.join(",")
    }
}

struct ListsApp;

impl App for ListsApp {
    async fn wire(&self, w: &mut Wiring) -> Result<(), BoxError> {
        w.include_endpoint(Lists)
            .include_endpoint(Must)
            .include_endpoint(Labels)
            .include_openapi(OpenApi::new("lists", "1"));
        Ok(())
    }
}

#[test]
fn lists_nothing_names_bind_empty() {
    let c = TestClient::new(ListsApp);
    let res = c.get("/lists?page=2").send();
    assert_eq!(res.status(), 200, "{}", res.text());
    assert_eq!(
        res.json::<Value>(),
        json!({"tag": [], "id": [], "page": 2, "x_tag": [], "seen": []})
    );
    let res = c
        .get("/lists?tag=a&page=1&tag=b&id=7")
        .header("x-tag", "h1")
        .header("X-Tag", "h2")
        .cookie("seen", "s2")
        .cookie("seen", "s1")
        .send();
    assert_eq!(
        res.json::<Value>(),
        json!({"tag": ["a", "b"], "id": [7], "page": 1, "x_tag": ["h1", "h2"], "seen": ["s1", "s2"]})
    );
}

#[test]
fn a_part_s_header_lists_too() {
    let c = TestClient::new(ListsApp);
    let send = |headers: &[(&str, &str)]| {
        let form = Multipart::new().part("doc", None, None, headers, b"x");
        c.post("/labels").multipart(form).send()
    };
    let res = send(&[]);
    assert_eq!((res.status(), res.text()), (200, String::new()));
    let res = send(&[("x-label", "a")]);
    assert_eq!(res.text(), "a");
}

#[test]
fn other_missing_fields_and_bad_items_are_still_errors() {
    let c = TestClient::new(ListsApp);
    // `page` comes after two missing lists: it is the one named.
    let p = c.get("/lists").send().problem();
    assert_eq!(
        (p.status, p.detail.as_deref()),
        (400, Some("missing query parameter `page`"))
    );
    let p = c.get("/lists?page=1&id=x").send().problem();
    assert_eq!(p.status, 400);
    assert!(
        p.detail.as_deref().unwrap().starts_with("query parameter `id`"),
        "{p:?}"
    );
    // A list with a minimum length is refused when none is sent.
    let p = c.get("/must").send().problem();
    assert_eq!(p.status, 400, "{p:?}");
    assert!(p.detail.as_deref().unwrap().contains("`tag`"), "{p:?}");
    assert_eq!(c.get("/must?tag=a&tag=b").send().text(), "a,b");
}

#[test]
fn the_document_does_not_require_them() {
    let c = TestClient::new(ListsApp);
    let doc = c.get("/openapi.json").send().json::<Value>();
    let required = |path: &str| -> Vec<(String, bool)> {
        doc["paths"][path]["get"]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p["name"].as_str().unwrap().to_owned(),
                    p["required"].as_bool().unwrap(),
                )
            })
            .collect()
    };
    let want = |pairs: &[(&str, bool)]| -> Vec<(String, bool)> {
        pairs.iter().map(|(n, r)| (n.to_string(), *r)).collect()
    };
    assert_eq!(
        required("/lists"),
        want(&[
            ("tag", false),
            ("id", false),
            ("page", true),
            ("x-tag", false),
            ("seen", false)
        ])
    );
    assert_eq!(required("/must"), want(&[("tag", true), ("mode", false)]));
    let mode = &doc["paths"]["/must"]["get"]["parameters"][1]["schema"];
    assert_eq!(mode["enum"], json!(["fast", "slow"]), "{mode}");
    assert_eq!(mode["type"], "string", "{mode}");
}
