//! The client's cookie jar and default headers: what a response sets is
//! sent back where it applies (path, host, expiry, removal), a request's
//! own cookie or header takes the place of the kept one, and raw requests
//! go as written.

use futures_util::stream;
use jero::{contract, endpoint, App, BoxError, NoContent, RawHeaders, SetCookie, StreamingResponse, Wiring};
use jero_testing::TestClient;

/// Sets each `line` of its query as a `Set-Cookie` header, as written.
#[contract(input)]
struct Lines {
    line: Vec<String>,
}

struct Set;

#[endpoint(path = "/set")]
impl Set {
    async fn post(&self, params: Lines) -> NoContent {
        params
            .line
            .into_iter()
            .fold(NoContent::new(), |res, line| res.raw_header("set-cookie", line))
    }
}

/// Through the typed API: a session cookie (secure, HTTP-only, by
/// default) holding a value that needs encoding.
struct Login;

#[endpoint(path = "/login")]
impl Login {
    async fn post(&self) -> NoContent {
        NoContent::new().cookie(SetCookie::new("session", "a b;c"))
    }
}

struct Logout;

#[endpoint(path = "/logout")]
impl Logout {
    async fn post(&self) -> NoContent {
        NoContent::new().cookie(SetCookie::remove("session"))
    }
}

/// A stream that sets a cookie in its head.
struct Feed;

#[endpoint(path = "/feed")]
impl Feed {
    async fn get(&self) -> StreamingResponse {
        let chunks = stream::iter([jero::Bytes::from_static(b"one\n")]);
        StreamingResponse::new(chunks).cookie(SetCookie::new("feed", "seen"))
    }
}

#[contract]
struct Echoed {
    cookie: Vec<String>,
    tenant: Vec<String>,
    host: Vec<String>,
}

/// The `cookie`, `x-tenant` and `host` lines as they came.
fn echo(raw: &RawHeaders) -> Echoed {
    let all = |name| {
        raw.get_all(name)
            .map(|v| String::from_utf8_lossy(v).into_owned())
            .collect()
    };
    Echoed {
        cookie: all("cookie"),
        tenant: all("x-tenant"),
        host: all("host"),
    }
}

macro_rules! echo_at {
    ($($name:ident $path:literal),*) => {$(
        struct $name;

        #[endpoint(path = $path)]
        impl $name {
            async fn get(&self, raw_headers: RawHeaders) -> Echoed {
                echo(&raw_headers)
            }
        }
    )*};
}

echo_at!(Echo "/echo", ApiEcho "/api/echo", ApiDeep "/api/v1/echo");

struct MyApp;

impl App for MyApp {
    async fn wire(&self, w: &mut Wiring) -> Result<(), BoxError> {
        w.include_endpoint(Set);
        w.include_endpoint(Login);
        w.include_endpoint(Logout);
        w.include_endpoint(Feed);
        w.include_endpoint(Echo);
        w.include_endpoint(ApiEcho);
        w.include_endpoint(ApiDeep);
        Ok(())
    }
}

fn set(client: &TestClient, lines: &[&str]) {
    let res = lines
        .iter()
        .fold(client.post("/set"), |req, line| req.query("line", line))
        .send();
    assert_eq!(res.status(), 204, "{}", res.text());
}

fn cookies_at(client: &TestClient, path: &str) -> Vec<String> {
    client.get(path).send().json::<Echoed>().cookie
}

#[test]
fn without_a_jar_nothing_is_kept() {
    let client = TestClient::new(MyApp);
    set(&client, &["a=1"]);
    assert_eq!(cookies_at(&client, "/echo"), Vec::<String>::new());
    assert_eq!(client.saved_cookie("a"), None);
}

#[test]
fn kept_cookies_go_back_in_one_line_in_the_order_set() {
    let client = TestClient::new(MyApp).with_cookie_jar();
    set(&client, &["b=2", "a=1"]);
    set(&client, &["c=3; Path=/"]);
    assert_eq!(cookies_at(&client, "/echo"), ["b=2; a=1; c=3"]);
    // A cookie set again keeps its place (its creation time, RFC 6265
    // 5.3) and takes the new value.
    set(&client, &["b=20"]);
    assert_eq!(cookies_at(&client, "/echo"), ["b=20; a=1; c=3"]);
    assert_eq!(client.saved_cookie("b").as_deref(), Some("20"));
}

#[test]
fn the_typed_api_round_trips_through_the_jar() {
    let client = TestClient::new(MyApp).with_cookie_jar();
    client.post("/login").send();
    // Secure by default: the client is a secure origin, so it is kept.
    assert_eq!(client.saved_cookie("session").as_deref(), Some("a b;c"));
    assert_eq!(cookies_at(&client, "/echo"), ["session=a%20b%3Bc"]);
    client.post("/logout").send();
    assert_eq!(client.saved_cookie("session"), None);
    assert_eq!(cookies_at(&client, "/echo"), Vec::<String>::new());
}

#[test]
fn paths_scope_cookies() {
    let client = TestClient::new(MyApp).with_cookie_jar();
    set(
        &client,
        &["api=1; Path=/api", "v1=1; Path=/api/v1", "everywhere=1; Path=/"],
    );
    assert_eq!(cookies_at(&client, "/echo"), ["everywhere=1"]);
    assert_eq!(cookies_at(&client, "/api/echo"), ["api=1; everywhere=1"]);
    assert_eq!(cookies_at(&client, "/api/v1/echo"), ["v1=1; api=1; everywhere=1"]);
    // Without `Path`, a cookie belongs to the directory of the path that
    // set it (RFC 6265 5.1.4): `/set` sets it for `/`.
    set(&client, &["dir=1"]);
    assert!(cookies_at(&client, "/api/echo")[0].ends_with("; dir=1"));
}

#[test]
fn expired_and_removed_cookies_are_dropped() {
    let client = TestClient::new(MyApp).with_cookie_jar();
    set(&client, &["a=1", "b=2", "c=3"]);
    set(
        &client,
        &[
            "a=; Max-Age=0",
            "b=2; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
            "c=3; Max-Age=3600",
        ],
    );
    assert_eq!(cookies_at(&client, "/echo"), ["c=3"]);
    assert_eq!(client.saved_cookie("a"), None);
    client.clear_cookies();
    assert_eq!(cookies_at(&client, "/echo"), Vec::<String>::new());
}

#[test]
fn hosts_scope_cookies() {
    let client = TestClient::new(MyApp).with_cookie_jar();
    // Set through api.example.com for the whole domain, and host-only.
    let res = client
        .post("/set")
        .header("host", "api.example.com")
        .query("line", "wide=1; Domain=example.com")
        .query("line", "narrow=1")
        .send();
    assert_eq!(res.status(), 204);
    let at = |host: &str| {
        client
            .get("/echo")
            .header("host", host)
            .send()
            .json::<Echoed>()
            .cookie
    };
    assert_eq!(at("api.example.com"), ["wide=1; narrow=1"]);
    assert_eq!(at("www.example.com"), ["wide=1"]);
    assert_eq!(cookies_at(&client, "/echo"), Vec::<String>::new());
    // A domain the host is not in is refused, as a browser refuses it.
    set(&client, &["foreign=1; Domain=example.org"]);
    assert_eq!(client.saved_cookie("foreign"), None);
}

#[test]
fn a_request_cookie_takes_the_place_of_the_kept_one() {
    let client = TestClient::new(MyApp).with_cookie_jar();
    set(&client, &["a=1", "b=2"]);
    let seen = client.get("/echo").cookie("a", "mine").send().json::<Echoed>();
    assert_eq!(seen.cookie, ["a=mine", "b=2"]);
    // The jar keeps its own.
    assert_eq!(client.saved_cookie("a").as_deref(), Some("1"));
}

#[test]
fn streams_set_cookies_too() {
    let client = TestClient::new(MyApp).with_cookie_jar();
    let mut feed = client.get("/feed").stream();
    assert_eq!(client.saved_cookie("feed").as_deref(), Some("seen"));
    assert_eq!(feed.next_line().as_deref(), Some("one"));
    drop(feed);
    assert_eq!(cookies_at(&client, "/echo"), ["feed=seen"]);
}

#[test]
fn raw_requests_neither_send_nor_keep_cookies() {
    let client = TestClient::new(MyApp).with_cookie_jar();
    set(&client, &["a=1"]);
    let res = client.send_raw(b"GET /echo HTTP/1.1\r\nhost: testserver\r\n\r\n".to_vec());
    assert_eq!(res.json::<Echoed>().cookie, Vec::<String>::new());
    client.send_raw(b"POST /set?line=b%3D2 HTTP/1.1\r\nhost: testserver\r\n\r\n".to_vec());
    assert_eq!(client.saved_cookie("b"), None);
}

#[test]
fn default_headers_go_with_every_request_unless_replaced() {
    let client = TestClient::new(MyApp)
        .with_header("x-tenant", "acme")
        .with_header("X-Tenant", "also")
        .with_header("cookie", "pref=dark");
    let seen = client.get("/echo").send().json::<Echoed>();
    assert_eq!(seen.tenant, ["acme", "also"]);
    assert_eq!(seen.cookie, ["pref=dark"]);
    assert_eq!(seen.host, ["testserver"]);
    // A request's own header of the name replaces every default of it.
    let seen = client
        .get("/echo")
        .header("x-TENANT", "globex")
        .send()
        .json::<Echoed>();
    assert_eq!(seen.tenant, ["globex"]);
    assert_eq!(seen.cookie, ["pref=dark"]);
}

#[test]
fn a_default_host_is_the_jar_s_host() {
    let client = TestClient::new(MyApp)
        .with_header("host", "api.example.com")
        .with_cookie_jar();
    set(&client, &["a=1; Domain=api.example.com"]);
    let seen = client.get("/echo").send().json::<Echoed>();
    assert_eq!(seen.host, ["api.example.com"]);
    assert_eq!(seen.cookie, ["a=1"]);
}

#[test]
#[should_panic(expected = "holds CR, LF or NUL")]
fn a_default_header_is_checked_as_a_request_header_is() {
    let _ = TestClient::new(MyApp).with_header("x-a", "b\r\nx-injected: 1");
}
