//! The request builder sends what it is given, or refuses: header bytes
//! that would split the head, framing it owns; cookie values, paths,
//! part names and filenames encoded as a client encodes them; one content
//! type; and a response whose stream failed says so.

use futures_util::stream;
use jero::{contract, endpoint, resource, App, BoxError, FilePart, RawHeaders, StreamingResponse, Wiring};
use jero_testing::{json, Multipart, TestClient};
use serde_json::Value;

#[contract]
struct Jar {
    session: Option<String>,
    other: Option<String>,
}

#[contract]
struct Seen {
    value: Value,
}

struct Cookies;

#[endpoint(path = "/cookies")]
impl Cookies {
    async fn get(&self, cookies: Jar) -> Seen {
        Seen {
            value: json!({"session": cookies.session, "other": cookies.other}),
        }
    }
}

#[contract]
struct SlotPath {
    slot: String,
}

struct Slots;

#[resource(path = "/slots")]
impl Slots {
    async fn read_one(&self, path: SlotPath) -> Seen {
        Seen {
            value: json!(path.slot),
        }
    }
}

struct Types;

#[endpoint(path = "/types")]
impl Types {
    async fn post(&self, raw_headers: RawHeaders) -> Seen {
        let types: Vec<&str> = raw_headers
            .get_all("content-type")
            .filter_map(|v| std::str::from_utf8(v).ok())
            .collect();
        Seen { value: json!(types) }
    }
}

#[contract(input)]
struct Upload {
    document: FilePart,
}

struct Uploads;

#[endpoint(path = "/uploads")]
impl Uploads {
    async fn post(&self, form: Upload) -> Seen {
        Seen {
            value: json!(form.document.filename),
        }
    }
}

struct Cut;

#[endpoint(path = "/cut")]
impl Cut {
    async fn get(&self) -> StreamingResponse {
        let chunks: [Result<&'static str, std::io::Error>; 2] =
            [Ok("one\n"), Err(std::io::Error::other("gone"))];
        StreamingResponse::try_new(stream::iter(chunks))
    }
}

struct BuilderApp;

impl App for BuilderApp {
    async fn wire(&self, w: &mut Wiring) -> Result<(), BoxError> {
        w.include_endpoint(Cookies)
            .include_resource(Slots)
            .include_endpoint(Types)
            .include_endpoint(Uploads)
            .include_endpoint(Cut);
        Ok(())
    }
}

fn seen(res: &jero_testing::TestResponse) -> Value {
    assert_eq!(res.status(), 200, "{}", res.text());
    res.json::<Value>()["value"].clone()
}

#[track_caller]
fn panic_message(f: impl FnOnce() + std::panic::UnwindSafe) -> String {
    jero::engine::panic_message(&std::panic::catch_unwind(f).expect_err("a panic")).to_owned()
}

#[test]
fn header_bytes_that_would_split_the_head_and_framing_headers_are_refused() {
    let c = TestClient::new(BuilderApp);
    let c = std::panic::AssertUnwindSafe(&c);
    assert_eq!(
        panic_message(|| drop(c.get("/cookies").header("x-a", "v\r\nx-injected: yes"))),
        "the value of x-a holds CR, LF or NUL; use send_raw to send one"
    );
    assert_eq!(
        panic_message(|| drop(c.get("/cookies").header("x-a\r\nx-b", "v"))),
        "\"x-a\\r\\nx-b\" is not a header name; use send_raw to send one"
    );
    assert_eq!(
        panic_message(|| drop(c.post("/types").header("Content-Length", "3"))),
        "the client sets Content-Length from the body; use send_raw for framing of your own"
    );
}

#[test]
fn a_cookie_value_arrives_as_given() {
    let c = TestClient::new(BuilderApp);
    let res = c
        .get("/cookies")
        .cookie("session", "a b;other=injected \"é\" 100%")
        .send();
    assert_eq!(
        seen(&res),
        json!({"session": "a b;other=injected \"é\" 100%", "other": null})
    );
}

#[test]
fn a_path_is_sent_as_a_client_sends_it() {
    let c = TestClient::new(BuilderApp);
    assert_eq!(seen(&c.get("/slots/a b").send()), json!("a b"));
    assert_eq!(seen(&c.get("/slots/café{1}").send()), json!("café{1}"));
    // The fragment stays with the client; a query still follows the path.
    assert_eq!(seen(&c.get("/slots/x#frag").query("q", "1").send()), json!("x"));
    // A `?` in the dropped fragment does not make the query's `?` an `&`.
    assert_eq!(seen(&c.get("/slots/x#a?b").query("q", "1").send()), json!("x"));
    // Escapes written by hand are kept.
    assert_eq!(seen(&c.get("/slots/a%2Fb").send()), json!("a/b"));
}

#[test]
fn json_and_multipart_replace_a_content_type_set_before() {
    let c = TestClient::new(BuilderApp);
    let res = c
        .post("/types")
        .header("content-type", "text/plain")
        .json(&json!({}))
        .send();
    assert_eq!(seen(&res), json!(["application/json"]));
    let form = Multipart::new().text("a", "b");
    let res = c.post("/types").json(&json!({})).multipart(form).send();
    assert_eq!(
        seen(&res),
        json!([format!("multipart/form-data; boundary={}", Multipart::BOUNDARY)])
    );
}

#[test]
fn a_filename_with_quotes_arrives_as_browsers_send_it() {
    let c = TestClient::new(BuilderApp);
    let form = Multipart::new().file("document", "my \"quoted\".txt", "text/plain", b"x");
    assert_eq!(
        seen(&c.post("/uploads").multipart(form).send()),
        json!("my %22quoted%22.txt")
    );
}

#[test]
fn a_response_whose_stream_failed_says_so() {
    let c = TestClient::new(BuilderApp);
    let res = c.get("/cut").send();
    assert_eq!(
        (res.status(), res.text(), res.failed()),
        (200, "one\n".to_owned(), true)
    );
    assert!(!c.get("/slots/x").send().failed());
    // A stream's headers read as a whole response's do.
    let mut s = c.get("/cut").stream();
    assert_eq!(s.header_all("transfer-encoding").collect::<Vec<_>>(), ["chunked"]);
    assert_eq!(s.rest().as_ref(), b"one\n");
    assert!(s.failed());
}

/// Reading a success as a problem says what the response was.
#[test]
#[should_panic(expected = "status 204, content-type None")]
fn problem_on_a_success_names_its_status() {
    let client = TestClient::new(BuilderApp);
    let res = client.options("/cookies").send();
    assert_eq!(res.status(), 204);
    res.problem();
}
