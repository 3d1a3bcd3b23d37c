//! Routing and authentication before the body is read, over a real socket:
//! a request whose body has not arrived with its head is answered 404, 405
//! or 401 at once, without waiting for (or asking for, with `Expect:
//! 100-continue`) a body the server would refuse, and a body over the limit
//! on such a route is not 413 first.

use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use jero::{authenticator, contract, endpoint, resource, App, BoxError, Wiring};

mod common;
use common::Server;

#[contract]
struct Bearer {
    authorization: String,
}

#[jero::error(status = 401, code = "invalid-token", title = "Invalid token")]
struct InvalidToken;

/// `Bearer token`; counts its calls.
#[derive(Clone, Default)]
struct TokenAuth {
    calls: Arc<AtomicUsize>,
}

#[authenticator(scheme = "bearer")]
impl TokenAuth {
    async fn authenticate(&self, headers: Bearer) -> Result<String, InvalidToken> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        match headers.authorization.as_str() {
            "Bearer token" => Ok("user-id".to_owned()),
            _ => Err(InvalidToken),
        }
    }
}

#[contract]
struct NoteIn {
    text: String,
}

#[contract]
struct Note {
    owner: String,
    text: String,
}

#[contract]
struct NotePath {
    note_id: String,
}

struct Notes;

#[resource(path = "/notes")]
impl Notes {
    async fn create(&self, user: String, json: NoteIn) -> Note {
        Note {
            owner: user,
            text: json.text,
        }
    }

    async fn update(&self, user: String, path: NotePath, json: NoteIn) -> Note {
        Note {
            owner: format!("{user}/{}", path.note_id),
            text: json.text,
        }
    }
}

struct Echo;

#[endpoint(path = "/echo")]
impl Echo {
    async fn post(&self, json: NoteIn) -> NoteIn {
        json
    }
}

struct GatedApp {
    auth: TokenAuth,
}

impl App for GatedApp {
    async fn wire(&self, w: &mut Wiring) -> Result<(), BoxError> {
        w.include_resource_with_auth(Notes, self.auth.clone())
            .include_endpoint(Echo);
        Ok(())
    }
}

fn start() -> (Server, Arc<AtomicUsize>) {
    let auth = TokenAuth::default();
    let calls = auth.calls.clone();
    (Server::start(GatedApp { auth }), calls)
}

/// The head of a POST announcing `len` bytes of JSON, with `extra` lines.
fn head(path: &str, len: usize, extra: &str) -> String {
    format!("POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {len}\r\n{extra}\r\n")
}

#[test]
fn no_token_is_401_before_the_body_is_sent() {
    let (server, calls) = start();
    for extra in ["", "Expect: 100-continue\r\n"] {
        let mut conn = server.connect();
        // The head alone: the answer comes without the 1,000 bytes (and
        // with no `100 Continue` first), and the connection closes.
        let resp = conn.send_raw(head("/notes", 1000, extra).as_bytes(), false);
        assert_eq!(resp.status, 401, "{extra:?}");
        assert_eq!(resp.json()["type"], "authentication-required");
        assert_eq!(resp.header("connection"), Some("close"));
        assert_eq!(resp.header("www-authenticate"), Some("Bearer"));
    }
    let mut conn = server.connect();
    let resp = conn.send_raw(
        head("/notes", 1000, "Authorization: Bearer nope\r\n").as_bytes(),
        false,
    );
    assert_eq!(resp.status, 401);
    assert_eq!(resp.json()["type"], "invalid-token");
    assert_eq!(resp.header("www-authenticate"), Some("Bearer"));
    // Absent credentials never reach the authenticator; the wrong token did.
    assert_eq!(calls.load(Ordering::Relaxed), 1);
    server.stop();
}

#[test]
fn routing_answers_before_the_body_and_before_its_size() {
    let (server, _) = start();
    let over = 16 * 1024 * 1024 + 1;
    for (path, method, status) in [
        ("/nowhere", "POST", 404),
        ("/notes", "PUT", 405),
        ("/notes", "POST", 401),
    ] {
        let mut conn = server.connect();
        let raw = head(path, over, "").replacen("POST", method, 1);
        let resp = conn.send_raw(raw.as_bytes(), false);
        assert_eq!(resp.status, status, "{method} {path}");
    }
    // Past the gate, the size is what is wrong.
    let mut conn = server.connect();
    let resp = conn.send_raw(
        head("/notes", over, "Authorization: Bearer token\r\n").as_bytes(),
        false,
    );
    assert_eq!(resp.status, 413);
    server.stop();
}

#[test]
fn a_body_that_follows_its_head_is_served() {
    let (server, calls) = start();
    let body = br#"{"text": "hello"}"#;
    let mut conn = server.connect();
    let raw = head("/notes", body.len(), "Authorization: Bearer token\r\n");
    conn.writer.write_all(raw.as_bytes()).unwrap();
    std::thread::sleep(Duration::from_millis(100));
    let resp = conn.send_raw(body, false);
    assert_eq!(resp.status, 201, "{}", resp.text());
    assert_eq!(
        resp.json(),
        serde_json::json!({"owner": "user-id", "text": "hello"})
    );
    // Once: before the body, its answer kept for the handler.
    assert_eq!(calls.load(Ordering::Relaxed), 1);
    // With the body in the same write, once; and the connection stays open.
    let mut raw = head("/notes", body.len(), "Authorization: Bearer token\r\n").into_bytes();
    raw.extend_from_slice(body);
    assert_eq!(conn.send_raw(&raw, false).status, 201);
    assert_eq!(calls.load(Ordering::Relaxed), 2);
    // A path slot and a late body: the slot is bound with the request,
    // the user kept from before the body.
    let mut conn = server.connect();
    let raw = head("/notes/n-1", body.len(), "Authorization: Bearer token\r\n").replacen("POST", "PUT", 1);
    conn.writer.write_all(raw.as_bytes()).unwrap();
    std::thread::sleep(Duration::from_millis(100));
    let resp = conn.send_raw(body, false);
    assert_eq!(
        (resp.status, resp.json()),
        (200, serde_json::json!({"owner": "user-id/n-1", "text": "hello"}))
    );
    assert_eq!(calls.load(Ordering::Relaxed), 3);
    // A public route, body late: served.
    let mut conn = server.connect();
    conn.writer
        .write_all(head("/echo", body.len(), "").as_bytes())
        .unwrap();
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(conn.send_raw(body, false).status, 200);
    server.stop();
}

/// The path is checked before the gate whether the body came with the head
/// or not: a slot that names nothing is 404, never 401.
#[test]
fn a_path_that_names_nothing_is_404_before_and_with_the_body() {
    let (server, calls) = start();
    let body = br#"{"text": "t"}"#;
    let raw = head("/notes/%FF", body.len(), "").replacen("POST", "PUT", 1);
    // The head alone, then with its body, then chunked.
    let resp = server.connect().send_raw(raw.as_bytes(), false);
    assert_eq!(resp.status, 404);
    let mut whole = raw.clone().into_bytes();
    whole.extend_from_slice(body);
    assert_eq!(server.connect().send_raw(&whole, false).status, 404);
    let chunked = "PUT /notes/%FF HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n";
    assert_eq!(server.connect().send_raw(chunked.as_bytes(), false).status, 404);
    assert_eq!(calls.load(Ordering::Relaxed), 0);
    // A slot that names something, without a token: 401.
    let raw = head("/notes/n1", body.len(), "").replacen("POST", "PUT", 1);
    assert_eq!(server.connect().send_raw(raw.as_bytes(), false).status, 401);
    server.stop();
}
