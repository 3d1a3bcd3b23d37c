//! # jero-testing
//!
//! [`TestClient`] runs a jero app's wiring and drives requests straight into
//! the framework: no socket, no server, a synchronous API. Requests go
//! through the engine's own parser, so what a test sends is held to the same
//! rules as real traffic, and responses come back framed as the engine
//! sends them: its `content-length` or `transfer-encoding` (none for an
//! HTTP/1.0 stream, which ends with the connection), its `connection`
//! header (`close` when the connection would close: the app asked, the
//! client did, the engine rejected the request, a panic escaped the
//! framework; `keep-alive` on a kept HTTP/1.0 connection), and no body for
//! HEAD, 204 and 304. Only `date` is left out.
//! Dropping the client runs the app's teardowns.
//!
//! ```
//! use jero::{contract, resource, App, BoxError, Wiring};
//! use jero_testing::TestClient;
//!
//! #[contract]
//! struct WidgetPath { widget_id: String }
//!
//! #[contract]
//! struct Widget { id: String, name: String }
//!
//! struct WidgetResource;
//!
//! #[resource(path = "/widgets")]
//! impl WidgetResource {
//!     async fn read_one(&self, path: WidgetPath) -> Widget {
//!         Widget { id: path.widget_id, name: "widget-name".into() }
//!     }
//! }
//!
//! struct MyApp;
//! impl App for MyApp {
//!     async fn wire(&self, w: &mut Wiring) -> Result<(), BoxError> {
//!         w.include_resource(WidgetResource);
//!         Ok(())
//!     }
//! }
//!
//! let client = TestClient::new(MyApp);
//! let resp = client.get("/widgets/abc").send();
//! assert_eq!(resp.status(), 200);
//! assert_eq!(resp.json::<serde_json::Value>(), serde_json::json!({"id": "abc", "name": "widget-name"}));
//! ```

use std::borrow::Cow;
use std::cell::RefCell;
use std::fmt::Write as _;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use jero::{App, Router, Teardowns, WiringError};
use jero_engine::Body;
use serde::de::DeserializeOwned;
use serde::Serialize;

pub use serde_json::json;

type Runtime = monoio::Runtime<monoio::time::TimeDriver<monoio::LegacyDriver>>;

/// An in-process client for a jero app. See the [crate docs](crate).
pub struct TestClient {
    router: Arc<Router>,
    teardowns: Option<Teardowns>,
    runtime: RefCell<Runner>,
    limits: jero_engine::Limits,
    /// Headers every request carries ([`TestClient::with_header`]).
    default_headers: Vec<(String, String)>,
    /// The cookies responses set, when kept ([`TestClient::with_cookie_jar`]).
    jar: Option<RefCell<cookie_store::CookieStore>>,
}

/// The client's runtime, and the one waker every future it runs sees.
///
/// Each `block_on` runs its future as a task of its own, and monoio's
/// timers keep the first waker they are polled with: a timer that a
/// stream started under one `block_on` (a keep-alive) would wake that
/// finished task, never the `block_on` reading the stream's next item.
/// So the futures see one waker for the client's life ([`Relay`]), which
/// passes each wake on to the `block_on` running at the time.
struct Runner {
    runtime: Runtime,
    relay: Arc<Relay>,
    /// The waker of `relay`, made once.
    waker: std::task::Waker,
}

/// Wakes whichever `block_on` of the client is running.
#[derive(Default)]
struct Relay {
    current: std::sync::Mutex<Option<std::task::Waker>>,
}

impl std::task::Wake for Relay {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let current = self.current.lock().unwrap_or_else(|e| e.into_inner()).clone();
        if let Some(w) = current {
            w.wake();
        }
    }
}

impl Runner {
    fn new() -> Runner {
        let relay = Arc::<Relay>::default();
        Runner {
            runtime: jero_engine::blocking_runtime::<monoio::LegacyDriver>()
                .enable_timer()
                .build()
                .expect("the test client could not create its runtime"),
            waker: std::task::Waker::from(relay.clone()),
            relay,
        }
    }

    /// Runs `fut` to completion on the runtime, its wakes relayed.
    fn block_on<F: std::future::Future>(&mut self, fut: F) -> F::Output {
        let (relay, waker) = (&self.relay, &self.waker);
        let out = self.runtime.block_on(async move {
            let mut fut = std::pin::pin!(fut);
            std::future::poll_fn(|cx| {
                let mut current = relay.current.lock().unwrap_or_else(|e| e.into_inner());
                if !current.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                    *current = Some(cx.waker().clone());
                }
                drop(current);
                fut.as_mut().poll(&mut std::task::Context::from_waker(waker))
            })
            .await
        });
        *self.relay.current.lock().unwrap_or_else(|e| e.into_inner()) = None;
        out
    }
}

impl TestClient {
    /// Wires `app` and returns a client for it.
    ///
    /// # Panics
    ///
    /// If the app is wired wrong; the panic message is the [`WiringError`].
    /// Use [`TestClient::try_new`] to inspect the error instead.
    #[track_caller]
    pub fn new<A: App>(app: A) -> TestClient {
        match TestClient::try_new(app) {
            Ok(c) => c,
            Err(e) => panic!("the app failed to wire: {e}"),
        }
    }

    /// Wires `app`, returning the wiring error if there is one.
    ///
    /// ```
    /// # struct Empty;
    /// # impl jero::App for Empty {
    /// #     async fn wire(&self, _: &mut jero::Wiring) -> Result<(), jero::BoxError> { Ok(()) }
    /// # }
    /// let client = jero_testing::TestClient::try_new(Empty).expect("wires");
    /// assert_eq!(client.get("/anything").send().status(), 404);
    /// ```
    pub fn try_new<A: App>(app: A) -> Result<TestClient, WiringError> {
        let mut rt = Runner::new();
        let wired = rt.block_on(jero::wire(&app))?;
        Ok(TestClient {
            router: wired.router,
            teardowns: Some(wired.teardowns),
            runtime: RefCell::new(rt),
            limits: jero_engine::Limits::default(),
            default_headers: Vec::new(),
            jar: None,
        })
    }

    /// Parses requests under `limits`, as a server given them with
    /// `jero::serve(app).limits(..)` does (the default: `Limits::default()`).
    ///
    /// ```
    /// # use jero::{endpoint, App, BoxError, Bytes, Wiring};
    /// # struct Uploads;
    /// # #[endpoint(path = "/uploads")]
    /// # impl Uploads { async fn post(&self, content: Bytes) -> String { content.len().to_string() } }
    /// # struct MyApp;
    /// # impl App for MyApp {
    /// #     async fn wire(&self, w: &mut Wiring) -> Result<(), BoxError> { w.include_endpoint(Uploads); Ok(()) }
    /// # }
    /// use jero::engine::Limits;
    /// let client = jero_testing::TestClient::new(MyApp)
    ///     .with_limits(Limits { max_body_size: 1024, ..Limits::default() });
    /// assert_eq!(client.post("/uploads").body(vec![0u8; 1024]).send().text(), "1024");
    /// assert_eq!(client.post("/uploads").body(vec![0u8; 1025]).send().status(), 413);
    /// ```
    pub fn with_limits(mut self, limits: jero_engine::Limits) -> TestClient {
        self.limits = limits;
        self
    }

    /// Sends `name: value` with every request built from this client (not
    /// with [`send_raw`](TestClient::send_raw)): credentials, say, or a
    /// `host`. A request's own header of the same name (ASCII
    /// case-insensitive) takes its place. Call it again for more headers;
    /// repeats of a name are all sent.
    ///
    /// ```
    /// # use jero::{endpoint, App, BoxError, Wiring};
    /// # #[jero::contract(input)] struct Tenant { x_tenant: String }
    /// # struct Who;
    /// # #[endpoint(path = "/who")]
    /// # impl Who { async fn get(&self, headers: Tenant) -> String { headers.x_tenant } }
    /// # struct MyApp;
    /// # impl App for MyApp {
    /// #     async fn wire(&self, w: &mut Wiring) -> Result<(), BoxError> { w.include_endpoint(Who); Ok(()) }
    /// # }
    /// let client = jero_testing::TestClient::new(MyApp).with_header("x-tenant", "acme");
    /// assert_eq!(client.get("/who").send().text(), "acme");
    /// assert_eq!(client.get("/who").header("X-Tenant", "globex").send().text(), "globex");
    /// ```
    ///
    /// # Panics
    ///
    /// As [`RequestBuilder::header`] does.
    #[track_caller]
    pub fn with_header(mut self, name: &str, value: &str) -> TestClient {
        check_header(name, value);
        self.default_headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Keeps the cookies that responses set and sends them back with the
    /// requests they apply to, as a browser does (RFC 6265, through the
    /// `cookie_store` crate): `Path` and `Domain` are honoured against the
    /// request's path and host (`testserver` unless the request names
    /// another), `Max-Age` and `Expires` end a cookie (a removal, `Max-Age=0`,
    /// deletes it at once), and the client counts as a secure origin, so
    /// `Secure` cookies (the [`SetCookie`](jero::SetCookie) default) are
    /// kept and sent. A cookie a request sets itself
    /// ([`RequestBuilder::cookie`]) takes the place of the jar's cookie of
    /// that name. [`send_raw`](TestClient::send_raw) neither sends nor keeps
    /// cookies. Without a jar (the default) every request carries only the
    /// cookies it is given.
    ///
    /// ```
    /// # use jero::{contract, endpoint, App, BoxError, NoContent, SetCookie, Wiring};
    /// # #[contract(input)] struct Session { session_id: Option<String> }
    /// # struct Login;
    /// # #[endpoint(path = "/login")]
    /// # impl Login { async fn post(&self) -> NoContent { NoContent::new().cookie(SetCookie::new("session_id", "s-1")) } }
    /// # struct Logout;
    /// # #[endpoint(path = "/logout")]
    /// # impl Logout { async fn post(&self) -> NoContent { NoContent::new().cookie(SetCookie::remove("session_id")) } }
    /// # struct Me;
    /// # #[endpoint(path = "/me")]
    /// # impl Me { async fn get(&self, cookies: Session) -> String { cookies.session_id.unwrap_or_default() } }
    /// # struct MyApp;
    /// # impl App for MyApp {
    /// #     async fn wire(&self, w: &mut Wiring) -> Result<(), BoxError> {
    /// #         w.include_endpoint(Login); w.include_endpoint(Logout); w.include_endpoint(Me); Ok(())
    /// #     }
    /// # }
    /// let client = jero_testing::TestClient::new(MyApp).with_cookie_jar();
    /// assert_eq!(client.get("/me").send().text(), "");
    /// client.post("/login").send();
    /// assert_eq!(client.saved_cookie("session_id").as_deref(), Some("s-1"));
    /// assert_eq!(client.get("/me").send().text(), "s-1");
    /// client.post("/logout").send();
    /// assert_eq!(client.saved_cookie("session_id"), None);
    /// assert_eq!(client.get("/me").send().text(), "");
    /// ```
    pub fn with_cookie_jar(mut self) -> TestClient {
        self.jar = Some(RefCell::default());
        self
    }

    /// The value of the cookie `name` in the jar
    /// ([`with_cookie_jar`](TestClient::with_cookie_jar)), percent-decoded
    /// as [`TestResponse::cookie`] decodes it; `None` when the jar holds
    /// none (or there is no jar). With several of that name (on different
    /// paths or hosts), the first in the jar's order (by host, then path).
    pub fn saved_cookie(&self, name: &str) -> Option<String> {
        let jar = self.jar.as_ref()?.borrow();
        let cookie = jar.iter_unexpired().find(|c| c.name() == name)?;
        Some(decode_cookie_value(cookie.value().as_bytes()))
    }

    /// Empties the jar (a browser that forgets its cookies); nothing
    /// without one.
    pub fn clear_cookies(&self) {
        if let Some(jar) = &self.jar {
            jar.borrow_mut().clear();
        }
    }

    /// Keeps the cookies of the `set-cookie` headers in `headers`
    /// ([`set_cookies`]), a response to a request for `url`.
    fn keep_cookies(&self, url: &url::Url, headers: &[(String, Vec<u8>)]) {
        let Some(jar) = &self.jar else { return };
        jar.borrow_mut().store_response_cookies(set_cookies(headers), url);
    }

    /// A request with any method.
    pub fn request(&self, method: &str, path: &str) -> RequestBuilder<'_> {
        RequestBuilder {
            client: self,
            method: method.to_owned(),
            path: path.to_owned(),
            query: Vec::new(),
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// A GET request.
    pub fn get(&self, path: &str) -> RequestBuilder<'_> {
        self.request("GET", path)
    }

    /// A POST request.
    pub fn post(&self, path: &str) -> RequestBuilder<'_> {
        self.request("POST", path)
    }

    /// A PUT request.
    pub fn put(&self, path: &str) -> RequestBuilder<'_> {
        self.request("PUT", path)
    }

    /// A PATCH request.
    pub fn patch(&self, path: &str) -> RequestBuilder<'_> {
        self.request("PATCH", path)
    }

    /// A DELETE request.
    pub fn delete(&self, path: &str) -> RequestBuilder<'_> {
        self.request("DELETE", path)
    }

    /// A HEAD request.
    pub fn head(&self, path: &str) -> RequestBuilder<'_> {
        self.request("HEAD", path)
    }

    /// An OPTIONS request.
    pub fn options(&self, path: &str) -> RequestBuilder<'_> {
        self.request("OPTIONS", path)
    }

    /// Runs the app's background tasks (started with [`jero::spawn`]) for
    /// `duration` of real time: their timers fire and what they wait on
    /// arrives, as on a worker between requests. The client runs on one
    /// thread: its tasks run only while it is sending a request (the
    /// ready ones get a turn after each response), dropping a stream, or
    /// here. Tasks still pending when the client is dropped are dropped
    /// with it.
    ///
    /// ```
    /// # use std::sync::atomic::{AtomicUsize, Ordering};
    /// # use std::sync::Arc;
    /// # use std::time::Duration;
    /// # use jero::{endpoint, App, BoxError, Wiring};
    /// struct Jobs(Arc<AtomicUsize>);
    ///
    /// #[endpoint(path = "/jobs")]
    /// impl Jobs {
    ///     async fn post(&self) -> String {
    ///         let done = self.0.clone();
    ///         jero::spawn(async move {
    ///             monoio::time::sleep(Duration::from_millis(5)).await;
    ///             done.fetch_add(1, Ordering::SeqCst);
    ///         });
    ///         "queued".into()
    ///     }
    /// }
    /// # struct MyApp(Arc<AtomicUsize>);
    /// # impl App for MyApp {
    /// #     async fn wire(&self, w: &mut Wiring) -> Result<(), BoxError> { w.include_endpoint(Jobs(self.0.clone())); Ok(()) }
    /// # }
    /// let done = Arc::new(AtomicUsize::new(0));
    /// let client = jero_testing::TestClient::new(MyApp(done.clone()));
    /// assert_eq!(client.post("/jobs").send().text(), "queued");
    /// client.run_background(Duration::from_millis(50));
    /// assert_eq!(done.load(Ordering::SeqCst), 1);
    /// ```
    pub fn run_background(&self, duration: std::time::Duration) {
        // The timer is made inside: it needs the runtime's context.
        self.runtime
            .borrow_mut()
            .block_on(async move { monoio::time::sleep(duration).await });
    }

    /// Sends the raw bytes of one request, parsed and framed as the engine
    /// does it (see `jero_engine::Request::parse`).
    ///
    /// ```
    /// # struct Empty;
    /// # impl jero::App for Empty {
    /// #     async fn wire(&self, _: &mut jero::Wiring) -> Result<(), jero::BoxError> { Ok(()) }
    /// # }
    /// let client = jero_testing::TestClient::new(Empty);
    /// let resp = client.send_raw(b"GET /x HTTP/1.1\r\n\r\n".to_vec());
    /// assert_eq!(resp.status(), 400); // HTTP/1.1 requires Host
    /// ```
    pub fn send_raw(&self, raw: Vec<u8>) -> TestResponse {
        self.stream_raw(raw).collect()
    }

    /// [`send_raw`](TestClient::send_raw), handing back the response as it
    /// streams (see [`RequestBuilder::stream`]).
    pub fn stream_raw(&self, raw: Vec<u8>) -> TestStream<'_> {
        let raw = Bytes::from(raw);
        // As the engine frames it: whether the connection stays open, and
        // whether HTTP/1.0 (no chunked coding; keep-alive said aloud).
        let mut keep_alive = false;
        let mut http10 = false;
        let (response, is_head) = match jero_engine::Request::parse_with(raw, &self.limits) {
            Ok(req) => {
                let is_head = req.method() == jero_engine::Method::Head;
                keep_alive = req.wants_keep_alive();
                http10 = req.version() == jero_engine::Version::Http10;
                let router = self.router.clone();
                let res = self.runtime.borrow_mut().block_on(async move {
                    let res = jero_engine::catch_unwind(router.dispatch(req)).await;
                    // What the handler spawned runs now, as it would on a
                    // worker right after the response.
                    jero_engine::yield_now().await;
                    res
                });
                match res {
                    Ok(res) => (res, is_head),
                    Err(payload) => {
                        // What the engine does with a panic that escapes the
                        // framework (a panicking error format, say): the
                        // app's 500 if it renders, else a bare one, and the
                        // connection closes.
                        tracing::error!(panic = jero_engine::panic_message(&payload), "service panicked");
                        keep_alive = false;
                        (self.engine_error(500, "internal server error"), is_head)
                    }
                }
            }
            // The engine closes the connection after a request it rejects.
            Err(e) => (self.engine_error(e.status, e.reason), false),
        };
        keep_alive &= !response.wants_close();
        let (status, headers, body) = response.into_parts();
        let mut headers: Vec<(String, Vec<u8>)> = headers
            .into_iter()
            .map(|(n, v)| (String::from_utf8_lossy(&n).into_owned(), v.to_vec()))
            .collect();
        // The engine never keeps a service's framing headers; it adds its own
        // as below (`connection`, then the length or the coding), and sends
        // no body for HEAD, 204 and 304 (`into_parts` drops the body and
        // content type of the last two).
        let bodiless = status == 204 || status == 304;
        let body = match body {
            Body::Empty => Pending::Whole(Bytes::new()),
            Body::Full(b) => Pending::Whole(b),
            Body::Owned(v) => Pending::Whole(Bytes::from(v)),
            // Not reached today (`into_parts` unframes); the body alone if
            // it ever hands one back.
            Body::Framed(f) => Pending::Whole(f.into_bytes()),
            Body::Stream(stream) => Pending::Stream(jero_engine::GuardedStream::new(stream)),
        };
        let stream = matches!(body, Pending::Stream(_));
        // An HTTP/1.0 stream ends where the connection does.
        if stream && http10 && !bodiless {
            keep_alive = false;
        }
        // The engine's headers go before the service's.
        let mut framing: Vec<(String, Vec<u8>)> = Vec::with_capacity(2 + headers.len());
        if !keep_alive {
            framing.push(("connection".into(), b"close".to_vec()));
        } else if http10 {
            framing.push(("connection".into(), b"keep-alive".to_vec()));
        }
        match &body {
            Pending::Whole(b) if !bodiless => {
                framing.push(("content-length".into(), b.len().to_string().into_bytes()))
            }
            Pending::Stream(_) if !bodiless && !http10 => {
                framing.push(("transfer-encoding".into(), b"chunked".to_vec()))
            }
            _ => {}
        }
        framing.append(&mut headers);
        let headers = framing;
        TestStream {
            client: self,
            status,
            headers,
            body: match body {
                // HEAD never runs the stream; its teardown runs now.
                Pending::Stream(stream) if is_head || bodiless => {
                    self.drop_on_runtime(stream);
                    Pending::Done
                }
                _ if is_head || bodiless => Pending::Done,
                body => body,
            },
            lines: BytesMut::new(),
            failed: false,
        }
    }
}

impl TestClient {
    /// Drops `value` (an app's stream) on the client's runtime, as the
    /// server drops it on its worker: a destructor that spawns a task or
    /// starts a timer (an async cleanup) finds a runtime to do it on.
    fn drop_on_runtime<T>(&self, value: T) {
        self.runtime.borrow_mut().block_on(async move {
            drop(value);
            jero_engine::yield_now().await;
        });
    }

    /// What the engine sends for a request it rejects, or whose service
    /// panicked.
    fn engine_error(&self, status: u16, reason: &'static str) -> jero_engine::Response {
        let service = jero::AppService::new(self.router.clone());
        jero_engine::render_engine_error(&service, status, reason)
    }
}

impl Drop for TestClient {
    fn drop(&mut self) {
        if let Some(t) = self.teardowns.take() {
            self.runtime.borrow_mut().block_on(t.run());
        }
    }
}

/// A request being built; finish with [`RequestBuilder::send`].
pub struct RequestBuilder<'c> {
    client: &'c TestClient,
    method: String,
    path: String,
    query: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl<'c> RequestBuilder<'c> {
    /// Adds a header (repeats are kept, in order).
    ///
    /// # Panics
    ///
    /// If `name` is not a header name (a token), or `value` holds CR, LF
    /// or NUL (it would be another header, or no request at all): send
    /// such bytes with [`TestClient::send_raw`]. And for `content-length`
    /// or `transfer-encoding`: the client frames the body itself.
    #[track_caller]
    pub fn header(mut self, name: &str, value: &str) -> Self {
        check_header(name, value);
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Sets the `content-type`, replacing one set before.
    fn content_type(mut self, value: String) -> Self {
        self.headers
            .retain(|(n, _)| !n.eq_ignore_ascii_case("content-type"));
        self.headers.push(("content-type".into(), value));
        self
    }

    /// Adds a query parameter (percent-encoded for you).
    pub fn query(mut self, name: &str, value: &str) -> Self {
        self.query.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Adds a cookie (a `Cookie` line of its own), its value
    /// percent-encoded where a cookie value cannot hold the byte as it is
    /// (space, `"`, `,`, `;`, `\\`, `%`, controls and non-ASCII), as
    /// [`SetCookie`](jero::SetCookie) encodes it and the app decodes it.
    #[track_caller]
    pub fn cookie(self, name: &str, value: &str) -> Self {
        let encoded = percent_encoding::utf8_percent_encode(value, jero::__private::COOKIE_VALUE_ESCAPES);
        self.header("cookie", &format!("{name}={encoded}"))
    }

    /// Sends `value` as a JSON body with `content-type: application/json`.
    /// Replaces a content type set before.
    pub fn json<T: Serialize + ?Sized>(mut self, value: &T) -> Self {
        self.body = serde_json::to_vec(value).expect("the test body serializes to JSON");
        self.content_type("application/json".into())
    }

    /// Sends a `multipart/form-data` body (with its content type, replacing
    /// one set before).
    ///
    /// ```
    /// # use jero::{contract, endpoint, App, BoxError, FilePart, Wiring};
    /// # #[contract(input)] struct Upload { title: String, document: FilePart }
    /// # #[contract] struct Size { title: String, size: usize }
    /// # struct Uploads;
    /// # #[endpoint(path = "/uploads")]
    /// # impl Uploads {
    /// #     async fn post(&self, form: Upload) -> Size { Size { title: form.title, size: form.document.bytes.len() } }
    /// # }
    /// # struct MyApp;
    /// # impl App for MyApp {
    /// #     async fn wire(&self, w: &mut Wiring) -> Result<(), BoxError> { w.include_endpoint(Uploads); Ok(()) }
    /// # }
    /// use jero_testing::{Multipart, TestClient};
    /// let client = TestClient::new(MyApp);
    /// let form = Multipart::new()
    ///     .text("title", "report")
    ///     .file("document", "report.pdf", "application/pdf", b"%PDF-1.7".to_vec());
    /// let resp = client.post("/uploads").multipart(form).send();
    /// assert_eq!(resp.text(), r#"{"title":"report","size":8}"#);
    /// ```
    pub fn multipart(mut self, form: Multipart) -> Self {
        self.body = form.finish();
        self.content_type(format!("multipart/form-data; boundary={}", Multipart::BOUNDARY))
    }

    /// Sends raw body bytes.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    /// The client's default headers this request does not replace, then
    /// its own.
    fn sent_headers(&self) -> impl Iterator<Item = &(String, String)> + '_ {
        let own = |name: &str| self.headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name));
        self.client
            .default_headers
            .iter()
            .filter(move |(n, _)| !own(n))
            .chain(&self.headers)
    }

    /// The address the jar files this request's cookies under, when the
    /// client keeps a jar: `https://` (a secure origin), the request's
    /// `host` (`testserver` unless it names another) and its `path` (as
    /// sent, [`encode_path`]). `None` when that is not a URL (a test of a
    /// bad `host` or target).
    fn jar_url(&self, path: &str) -> Option<url::Url> {
        self.client.jar.as_ref()?;
        if !self.path.starts_with('/') {
            return None;
        }
        let host = self
            .sent_headers()
            .find(|(n, _)| n.eq_ignore_ascii_case("host"))
            .map_or("testserver", |(_, v)| v.as_str());
        // A host that is more than a host ("a/b", "u@h") would file the
        // cookies elsewhere.
        if host.contains(['/', '\\', '@', '?', '#']) {
            return None;
        }
        url::Url::parse(&format!("https://{host}{path}")).ok()
    }

    /// The jar's cookies for `url` as one `cookie` line's value, without
    /// those the request sets itself; `None` when there are none.
    fn jar_cookies(&self, url: &url::Url) -> Option<String> {
        let jar = self.client.jar.as_ref()?.borrow();
        let own: Vec<&str> = self
            .sent_headers()
            .filter(|(n, _)| n.eq_ignore_ascii_case("cookie"))
            .flat_map(|(_, v)| v.split(';'))
            .filter_map(|pair| pair.split_once('=').map(|(n, _)| n.trim()))
            .collect();
        let mut cookies = jar.matches(url);
        // Longer paths first (RFC 6265 5.4), then in the jar's order (by
        // host, then path, then the order set; a cookie set again keeps
        // its place): the sort is stable.
        cookies.sort_by_key(|c| std::cmp::Reverse(AsRef::<str>::as_ref(&c.path).len()));
        let pairs: Vec<String> = cookies
            .iter()
            .filter(|c| !own.contains(&c.name()))
            .map(|c| format!("{}={}", c.name(), c.value()))
            .collect();
        (!pairs.is_empty()).then(|| pairs.join("; "))
    }

    /// The request as the bytes a client would send, for `path` (as sent,
    /// [`encode_path`]), with the jar's cookies for `url`.
    fn raw(&self, path: &str, url: Option<&url::Url>) -> Vec<u8> {
        let mut raw = String::new();
        let _ = write!(raw, "{} {path}", self.method);
        for (i, (k, v)) in self.query.iter().enumerate() {
            raw.push(if i == 0 && !path.contains('?') { '?' } else { '&' });
            raw.extend(url::form_urlencoded::byte_serialize(k.as_bytes()));
            raw.push('=');
            raw.extend(url::form_urlencoded::byte_serialize(v.as_bytes()));
        }
        raw.push_str(" HTTP/1.1\r\n");
        if !self.sent_headers().any(|(n, _)| n.eq_ignore_ascii_case("host")) {
            raw.push_str("host: testserver\r\n");
        }
        for (n, v) in self.sent_headers() {
            let _ = write!(raw, "{n}: {v}\r\n");
        }
        if let Some(cookies) = url.and_then(|url| self.jar_cookies(url)) {
            let _ = write!(raw, "cookie: {cookies}\r\n");
        }
        if !self.body.is_empty() {
            let _ = write!(raw, "content-length: {}\r\n", self.body.len());
        }
        raw.push_str("\r\n");
        let mut bytes = raw.into_bytes();
        bytes.extend_from_slice(&self.body);
        bytes
    }

    /// Sends the request and reads the whole response.
    pub fn send(self) -> TestResponse {
        self.stream().collect()
    }

    /// Sends the request and hands back the response as it streams: the
    /// status and headers at once, the body chunk by chunk
    /// ([`TestStream::next_chunk`]) or line by line
    /// ([`TestStream::next_line`]). Dropping the [`TestStream`] before the
    /// end is a client that disconnects: the app's stream is dropped, and
    /// its teardown runs.
    ///
    /// ```
    /// # use jero::{contract, endpoint, App, BoxError, NdjsonResponse, Wiring};
    /// # #[contract] struct Tick { n: u32 }
    /// # struct Ticks;
    /// # #[endpoint(path = "/ticks")]
    /// # impl Ticks {
    /// #     async fn get(&self) -> NdjsonResponse<Tick> {
    /// #         NdjsonResponse::new(futures_util::stream::iter((0..).map(|n| Tick { n })))
    /// #     }
    /// # }
    /// # struct MyApp;
    /// # impl App for MyApp {
    /// #     async fn wire(&self, w: &mut Wiring) -> Result<(), BoxError> { w.include_endpoint(Ticks); Ok(()) }
    /// # }
    /// let client = jero_testing::TestClient::new(MyApp);
    /// let mut ticks = client.get("/ticks").stream(); // an endless stream
    /// assert_eq!(ticks.status(), 200);
    /// assert_eq!(ticks.next_line().as_deref(), Some(r#"{"n":0}"#));
    /// assert_eq!(ticks.next_json::<serde_json::Value>(), Some(serde_json::json!({"n": 1})));
    /// drop(ticks); // disconnects
    /// ```
    pub fn stream(self) -> TestStream<'c> {
        let path = encode_path(&self.path);
        let url = self.jar_url(&path);
        let stream = self.client.stream_raw(self.raw(&path, url.as_ref()));
        if let Some(url) = &url {
            self.client.keep_cookies(url, &stream.headers);
        }
        stream
    }
}

/// Panics unless `name: value` is a header line the client may send (see
/// [`RequestBuilder::header`]).
#[track_caller]
fn check_header(name: &str, value: &str) {
    assert!(
        jero_engine::is_token(name.as_bytes()),
        "{name:?} is not a header name; use send_raw to send one"
    );
    assert!(
        !value.bytes().any(|b| matches!(b, b'\r' | b'\n' | 0)),
        "the value of {name} holds CR, LF or NUL; use send_raw to send one"
    );
    assert!(
        !name.eq_ignore_ascii_case("content-length") && !name.eq_ignore_ascii_case("transfer-encoding"),
        "the client sets {name} from the body; use send_raw for framing of your own"
    );
}

/// A cookie value as the app meant it: percent-decoded, as
/// [`SetCookie`](jero::SetCookie) encodes it.
fn decode_cookie_value(value: &[u8]) -> String {
    percent_encoding::percent_decode(value)
        .decode_utf8_lossy()
        .into_owned()
}

/// A path as a client sends it: no fragment (`#...` stays with the
/// client), and the bytes a request target cannot hold as they are
/// (space, controls, `"`, `<`, `>`, `\\`, `^`, `` ` ``, `{`, `|`, `}`
/// and non-ASCII) percent-encoded; everything else (`%`, `/`, `?`, `+`)
/// as written.
fn encode_path(path: &str) -> String {
    let path = path.split_once('#').map_or(path, |(p, _)| p);
    percent_encoding::utf8_percent_encode(path, NOT_IN_TARGET).to_string()
}

/// What a request target cannot hold as it is (besides controls and
/// non-ASCII, which every set encodes).
const NOT_IN_TARGET: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'<')
    .add(b'>')
    .add(b'\\')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// The cookies of the `set-cookie` headers among `headers`, in order;
/// values that are not UTF-8 or not cookies are left out, as a browser
/// ignores them.
fn set_cookies(headers: &[(String, Vec<u8>)]) -> impl Iterator<Item = cookie_store::RawCookie<'static>> + '_ {
    headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("set-cookie"))
        .filter_map(|(_, v)| std::str::from_utf8(v).ok())
        .filter_map(|v| cookie_store::RawCookie::parse(v.to_owned()).ok())
}

/// Every value of the header `name`, as text.
fn all_headers<'s>(headers: &'s [(String, Vec<u8>)], name: &'s str) -> impl Iterator<Item = &'s str> + 's {
    headers
        .iter()
        .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
        .map(move |(_, v)| utf8_value(name, v))
}

/// The first value of header `name` in `headers` (ASCII
/// case-insensitive), as text.
#[track_caller]
fn first_header<'h>(headers: &'h [(String, Vec<u8>)], name: &str) -> Option<&'h str> {
    // Not `all_headers(..).next()`: its iterator borrows `name` too, which
    // the value returned here does not.
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| utf8_value(name, v))
}

/// A header value as text.
///
/// # Panics
///
/// If it is not UTF-8 (compare bytes through `headers()` instead).
#[track_caller]
fn utf8_value<'v>(name: &str, value: &'v [u8]) -> &'v str {
    match std::str::from_utf8(value) {
        Ok(text) => text,
        Err(_) => panic!("header {name:?} is not UTF-8 ({value:?}): compare its bytes through headers()"),
    }
}

/// A response from the app.
#[derive(Debug, Clone)]
pub struct TestResponse {
    status: u16,
    headers: Vec<(String, Vec<u8>)>,
    body: Bytes,
    failed: bool,
}

impl TestResponse {
    /// Whether the app's stream failed part way (an item that errored or
    /// did not serialize, a panic): the body is what came before, and the
    /// server would have cut the connection there, which a client sees as
    /// a truncated body.
    pub fn failed(&self) -> bool {
        self.failed
    }

    /// The status code.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The first value of a header (ASCII case-insensitive), as text.
    ///
    /// # Panics
    ///
    /// If the value is not UTF-8 (compare its bytes through `headers()`).
    #[track_caller]
    pub fn header(&self, name: &str) -> Option<&str> {
        first_header(&self.headers, name)
    }

    /// Every value of a header, in order.
    ///
    /// # Panics
    ///
    /// If a value is not UTF-8 (compare its bytes through `headers()`).
    pub fn header_all<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'s str> + 's {
        all_headers(&self.headers, name)
    }

    /// Every header as sent, in order, repeats kept.
    pub fn headers(&self) -> &[(String, Vec<u8>)] {
        &self.headers
    }

    /// The value of the cookie `name` that the response sets (its last
    /// `Set-Cookie` of that name, as a browser keeps it), percent-decoded
    /// as [`SetCookie`](jero::SetCookie) encoded it; `None` if it sets no
    /// such cookie. Send it back with [`RequestBuilder::cookie`].
    ///
    /// ```
    /// # use jero::{endpoint, App, BoxError, NoContent, SetCookie, Wiring};
    /// # struct Session;
    /// # #[endpoint(path = "/session")]
    /// # impl Session {
    /// #     async fn post(&self) -> NoContent { NoContent::new().cookie(SetCookie::new("session_id", "s 1")) }
    /// # }
    /// # struct MyApp;
    /// # impl App for MyApp {
    /// #     async fn wire(&self, w: &mut Wiring) -> Result<(), BoxError> { w.include_endpoint(Session); Ok(()) }
    /// # }
    /// let client = jero_testing::TestClient::new(MyApp);
    /// let res = client.post("/session").send();
    /// assert_eq!(res.cookie("session_id").as_deref(), Some("s 1"));
    /// assert_eq!(res.cookie("theme"), None);
    /// ```
    pub fn cookie(&self, name: &str) -> Option<String> {
        set_cookies(&self.headers)
            .filter(|c| c.name() == name)
            .last()
            .map(|c| decode_cookie_value(c.value().as_bytes()))
    }

    /// The body bytes.
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// The body as text (lossy UTF-8).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body parsed as JSON.
    ///
    /// # Panics
    ///
    /// If the body is not JSON of that shape (the message shows the body).
    #[track_caller]
    pub fn json<T: DeserializeOwned>(&self) -> T {
        match serde_json::from_slice(&self.body) {
            Ok(v) => v,
            Err(e) => panic!("response body is not the expected JSON ({e}): {}", self.text()),
        }
    }

    /// The body as RFC 9457 Problem Details, the framework's error format.
    ///
    /// ```
    /// # use jero::{contract, endpoint, App, BoxError, Wiring};
    /// # #[contract] struct Page { limit: u32 }
    /// # struct Items;
    /// # #[endpoint(path = "/items")]
    /// # impl Items { async fn get(&self, params: Page) -> String { params.limit.to_string() } }
    /// # struct MyApp;
    /// # impl App for MyApp {
    /// #     async fn wire(&self, w: &mut Wiring) -> Result<(), BoxError> { w.include_endpoint(Items); Ok(()) }
    /// # }
    /// let client = jero_testing::TestClient::new(MyApp);
    /// let problem = client.get("/items?limit=many").send().problem();
    /// assert_eq!((problem.status, problem.code.as_str()), (400, "malformed-request"));
    /// assert!(problem.detail.unwrap().starts_with("query parameter `limit`"));
    /// ```
    ///
    /// # Panics
    ///
    /// If the response is not a problem: the message gives its status,
    /// content type and body.
    #[track_caller]
    pub fn problem(&self) -> ProblemDetails {
        match serde_json::from_slice(&self.body) {
            Ok(problem) => problem,
            Err(e) => panic!(
                "the response is not a problem ({e}): status {}, content-type {:?}, body {:?}",
                self.status,
                first_header(&self.headers, "content-type"),
                self.text()
            ),
        }
    }
}

/// An error response's body: RFC 9457 Problem Details, as the framework
/// writes them (see [`TestResponse::problem`]).
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct ProblemDetails {
    /// The stable code (`type`), e.g. `validation-failed`.
    #[serde(rename = "type")]
    pub code: String,
    /// The title, e.g. `Validation failed`.
    pub title: String,
    /// The status.
    pub status: u16,
    /// The rendered detail, when the error has one.
    #[serde(default)]
    pub detail: Option<String>,
    /// The typed parameters, when the error has some.
    #[serde(default)]
    pub params: Option<serde_json::Value>,
}

/// What is left of a response body.
enum Pending {
    Whole(Bytes),
    Stream(jero_engine::GuardedStream),
    Done,
}

/// A response read as it streams, from [`RequestBuilder::stream`]. Dropping
/// it before the end is a client that disconnects: the app's stream is
/// dropped, and its teardown runs.
pub struct TestStream<'c> {
    client: &'c TestClient,
    status: u16,
    headers: Vec<(String, Vec<u8>)>,
    body: Pending,
    /// Bytes read but not yet handed out as a line.
    lines: BytesMut,
    failed: bool,
}

impl TestStream<'_> {
    /// The status code.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The first value of a header (ASCII case-insensitive), as text.
    ///
    /// # Panics
    ///
    /// If the value is not UTF-8 (compare its bytes through `headers()`).
    #[track_caller]
    pub fn header(&self, name: &str) -> Option<&str> {
        first_header(&self.headers, name)
    }

    /// Every value of a header, in order.
    ///
    /// # Panics
    ///
    /// If a value is not UTF-8 (compare its bytes through `headers()`).
    pub fn header_all<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'s str> + 's {
        all_headers(&self.headers, name)
    }

    /// Every header as sent, in order, repeats kept.
    pub fn headers(&self) -> &[(String, Vec<u8>)] {
        &self.headers
    }

    /// The next chunk of the body as the app produced it (a buffered body
    /// is one chunk); `None` at the end, or once the stream has failed (the
    /// server would cut the connection there; see [`failed`](TestStream::failed)).
    /// Waits, on the client's runtime, for a stream that is not ready.
    pub fn next_chunk(&mut self) -> Option<Bytes> {
        match std::mem::replace(&mut self.body, Pending::Done) {
            Pending::Done => None,
            Pending::Whole(b) => (!b.is_empty()).then_some(b),
            Pending::Stream(mut stream) => {
                let item = self.client.runtime.borrow_mut().block_on(async {
                    loop {
                        // As the engine does: a panic while producing an item
                        // is the stream failing, not the test.
                        let next = std::future::poll_fn(|cx| {
                            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                                stream.get().as_mut().poll_next(cx)
                            }))
                            .unwrap_or_else(|_| {
                                std::task::Poll::Ready(Some(Err("the stream panicked".into())))
                            })
                        });
                        match next.await {
                            Some(Ok(chunk)) if chunk.is_empty() => continue,
                            other => break other,
                        }
                    }
                });
                match item {
                    Some(Ok(chunk)) => {
                        self.body = Pending::Stream(stream);
                        Some(chunk)
                    }
                    // The end, or a failure (cut part way).
                    ended => {
                        self.failed = ended.is_some();
                        self.client.drop_on_runtime(stream);
                        None
                    }
                }
            }
        }
    }

    /// The next line of the body, without its `\n` (or `\r\n`); the last
    /// bytes even if no line break ends them. `None` at the end.
    pub fn next_line(&mut self) -> Option<String> {
        loop {
            if let Some(at) = self.lines.iter().position(|&b| b == b'\n') {
                let line = self.lines.split_to(at + 1);
                let line = line.strip_suffix(b"\n").unwrap_or(&line);
                let line = line.strip_suffix(b"\r").unwrap_or(line);
                return Some(String::from_utf8_lossy(line).into_owned());
            }
            match self.next_chunk() {
                Some(chunk) => self.lines.extend_from_slice(&chunk),
                None if self.lines.is_empty() => return None,
                None => return Some(String::from_utf8_lossy(&self.lines.split()).into_owned()),
            }
        }
    }

    /// The next server-sent event, read as a browser's `EventSource` reads
    /// it: `data` lines joined with `\n`, comments (a keep-alive) skipped;
    /// `None` at the end (an event the stream ends inside is dropped, as
    /// the SSE standard says).
    ///
    /// ```
    /// # use jero::{contract, endpoint, App, BoxError, SseEvent, SseResponse, Wiring};
    /// # #[contract] struct Tick { n: u32 }
    /// # struct Ticks;
    /// # #[endpoint(path = "/ticks")]
    /// # impl Ticks {
    /// #     async fn get(&self) -> SseResponse<Tick> {
    /// #         SseResponse::new(futures_util::stream::iter([SseEvent::new(Tick { n: 1 }).event("tick").id("1")]))
    /// #     }
    /// # }
    /// # struct MyApp;
    /// # impl App for MyApp {
    /// #     async fn wire(&self, w: &mut Wiring) -> Result<(), BoxError> { w.include_endpoint(Ticks); Ok(()) }
    /// # }
    /// let client = jero_testing::TestClient::new(MyApp);
    /// let mut events = client.get("/ticks").stream();
    /// let tick = events.next_event().unwrap();
    /// assert_eq!((tick.event.as_deref(), tick.id.as_deref()), (Some("tick"), Some("1")));
    /// assert_eq!(tick.json::<serde_json::Value>(), serde_json::json!({"n": 1}));
    /// assert_eq!(events.next_event(), None);
    /// ```
    pub fn next_event(&mut self) -> Option<SseMessage> {
        let mut message = SseMessage::default();
        let mut data: Vec<String> = Vec::new();
        loop {
            let line = self.next_line()?;
            if line.is_empty() {
                // Dispatched only with data, as EventSource does; else its
                // fields are forgotten.
                if !data.is_empty() {
                    message.data = data.join("\n");
                    return Some(message);
                }
                message = SseMessage::default();
                continue;
            }
            if line.starts_with(':') {
                continue;
            }
            let (field, value) = match line.split_once(':') {
                Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
                None => (line.as_str(), ""),
            };
            match field {
                "event" => message.event = Some(value.to_owned()),
                "data" => data.push(value.to_owned()),
                "id" => message.id = Some(value.to_owned()),
                "retry" => message.retry = value.parse().ok().or(message.retry),
                _ => {}
            }
        }
    }

    /// The next line parsed as JSON (an NDJSON item); `None` at the end.
    ///
    /// # Panics
    ///
    /// If the line is not JSON of that shape (the message shows the line).
    #[track_caller]
    pub fn next_json<T: DeserializeOwned>(&mut self) -> Option<T> {
        let line = self.next_line()?;
        match serde_json::from_str(&line) {
            Ok(v) => Some(v),
            Err(e) => panic!("stream line is not the expected JSON ({e}): {line}"),
        }
    }

    /// Reads the rest of the body.
    pub fn rest(&mut self) -> Bytes {
        let mut out = BytesMut::from(&self.lines.split()[..]);
        while let Some(chunk) = self.next_chunk() {
            out.extend_from_slice(&chunk);
        }
        out.freeze()
    }

    /// Whether the app's stream failed (an item that errored or did not
    /// serialize, a panic): the server would have cut the connection.
    pub fn failed(&self) -> bool {
        self.failed
    }

    /// Reads the rest of the body into a [`TestResponse`].
    fn collect(mut self) -> TestResponse {
        let mut body = BytesMut::new();
        while let Some(chunk) = self.next_chunk() {
            body.extend_from_slice(&chunk);
        }
        TestResponse {
            status: self.status,
            headers: std::mem::take(&mut self.headers),
            body: body.freeze(),
            failed: self.failed,
        }
    }
}

/// A server-sent event, from [`TestStream::next_event`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SseMessage {
    /// `event:`, if the event names its type.
    pub event: Option<String>,
    /// `id:`, if it has one.
    pub id: Option<String>,
    /// Its `data:` lines, joined with `\n`.
    pub data: String,
    /// `retry:`, in milliseconds.
    pub retry: Option<u64>,
}

impl SseMessage {
    /// The data parsed as JSON.
    ///
    /// # Panics
    ///
    /// If the data is not JSON of that shape (the message shows it).
    #[track_caller]
    pub fn json<T: DeserializeOwned>(&self) -> T {
        serde_json::from_str(&self.data)
            .unwrap_or_else(|e| panic!("event data is not the expected JSON ({e}): {}", self.data))
    }
}

impl Drop for TestStream<'_> {
    /// A stream dropped before its end is a client that disconnects: the
    /// app's stream is dropped on the client's runtime, as the server
    /// drops it on its worker.
    fn drop(&mut self) {
        if let Pending::Stream(stream) = std::mem::replace(&mut self.body, Pending::Done) {
            self.client.drop_on_runtime(stream);
        }
    }
}

impl std::fmt::Debug for TestStream<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestStream")
            .field("status", &self.status)
            .field("failed", &self.failed)
            .finish_non_exhaustive()
    }
}

/// A `multipart/form-data` body for [`RequestBuilder::multipart`], part by
/// part, in order.
#[derive(Debug, Clone, Default)]
pub struct Multipart {
    body: Vec<u8>,
}

impl Multipart {
    /// The boundary between parts.
    pub const BOUNDARY: &'static str = "jero-testing-boundary-7MA4YWxkTrZu0gW";

    /// An empty form.
    pub fn new() -> Multipart {
        Multipart::default()
    }

    /// A text part.
    pub fn text(self, name: &str, value: &str) -> Multipart {
        self.part(name, None, None, &[], value.as_bytes())
    }

    /// A JSON part (`content-type: application/json`).
    pub fn json<T: Serialize + ?Sized>(self, name: &str, value: &T) -> Multipart {
        let body = serde_json::to_vec(value).expect("the part serializes to JSON");
        self.part(name, None, Some("application/json"), &[], &body)
    }

    /// A file part with a filename and a content type.
    pub fn file(self, name: &str, filename: &str, content_type: &str, bytes: impl AsRef<[u8]>) -> Multipart {
        self.part(name, Some(filename), Some(content_type), &[], bytes.as_ref())
    }

    /// Any part: its name, optional filename and content type, extra
    /// headers, and bytes. A `"`, CR or LF in the name or filename is sent
    /// percent-encoded, as browsers send it.
    pub fn part(
        mut self,
        name: &str,
        filename: Option<&str>,
        content_type: Option<&str>,
        headers: &[(&str, &str)],
        bytes: &[u8],
    ) -> Multipart {
        let b = &mut self.body;
        let _ = write!(
            Lines(b),
            "--{}\r\ncontent-disposition: form-data; name=\"{}\"",
            Self::BOUNDARY,
            quoted(name)
        );
        if let Some(f) = filename {
            let _ = write!(Lines(b), "; filename=\"{}\"", quoted(f));
        }
        b.extend_from_slice(b"\r\n");
        if let Some(ct) = content_type {
            let _ = write!(Lines(b), "content-type: {ct}\r\n");
        }
        for (n, v) in headers {
            let _ = write!(Lines(b), "{n}: {v}\r\n");
        }
        b.extend_from_slice(b"\r\n");
        b.extend_from_slice(bytes);
        b.extend_from_slice(b"\r\n");
        self
    }

    /// The body, closing delimiter included.
    fn finish(mut self) -> Vec<u8> {
        let _ = write!(Lines(&mut self.body), "--{}--\r\n", Self::BOUNDARY);
        self.body
    }
}

/// A part's name or filename as browsers put it between quotes (WHATWG's
/// multipart/form-data encoding): `"`, CR and LF percent-encoded.
fn quoted(s: &str) -> Cow<'_, str> {
    if !s.contains(['"', '\r', '\n']) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(s.replace('"', "%22").replace('\r', "%0D").replace('\n', "%0A"))
}

/// `fmt::Write` into a byte buffer.
struct Lines<'a>(&'a mut Vec<u8>);

impl std::fmt::Write for Lines<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}
