//! Mutation tests of binding: valid requests to an app that binds every
//! source (path, query, headers, cookies, a JSON body, a multipart form,
//! an authenticator's credentials) are mutated thousands of times over by
//! a fixed pseudo-random sequence (bytes replaced, inserted and deleted,
//! lines repeated), so every run sends the same inputs and a failure names
//! the one that caused it. Whatever arrives, the app must answer:
//!
//! * with one of the statuses bad input can get (never a 500: that is a
//!   panic or an internal error reached from outside);
//! * errors as Problem Details whose 400 and 422 carry `detail` equal to
//!   `params.reason`;
//! * without quoting the submitted values (every value of the seeds holds
//!   a marker that would show if an error repeated it).

use jero::{authenticator, contract, endpoint, resource, App, BoxError, Bytes, FilePart, FormPart, Wiring};
use jero_testing::TestClient;
use serde_json::Value;

/// In every value of the seeds. Its `.` keeps a key that a mutation made
/// of it out of error messages too (keys that are not plain are shown as
/// `*`).
const MARK: &str = "zq.mark";

#[contract]
struct ItemPath {
    shelf: String,
    item_id: u32,
}

#[contract]
struct Query {
    limit: Option<u32>,
    #[serde(default)]
    tags: Vec<String>,
    q: Option<String>,
}

#[contract]
struct Headers {
    #[schemars(length(min = 1, max = 40))]
    x_trace_id: String,
    x_count: Option<u16>,
    x_flag: Option<bool>,
}

#[contract]
struct Cookies {
    session_id: Option<String>,
    #[serde(rename = "Theme")]
    theme: Option<String>,
}

#[contract]
struct Line {
    sku: String,
    #[schemars(range(min = 1, max = 99))]
    qty: u8,
}

#[contract]
#[serde(rename_all = "camelCase")]
struct Order {
    #[schemars(length(min = 1))]
    customer_name: String,
    lines: Vec<Line>,
    note: Option<String>,
    priority: Option<i64>,
}

#[contract]
struct Seen {
    ok: bool,
}

#[contract]
struct Settings {
    dpi: u32,
}

#[contract(input)]
struct PartMeta {
    x_checksum: String,
}

#[contract(input)]
#[serde(rename_all = "camelCase")]
struct Upload {
    title: String,
    count: Option<i32>,
    settings: FormPart<Settings, PartMeta>,
    document: FilePart,
    #[serde(default)]
    extras: Vec<FilePart>,
    raw: Option<Bytes>,
}

struct Items;

#[resource(path = "/shelves/{shelf}/items")]
impl Items {
    async fn read_one(&self, path: ItemPath, params: Query, headers: Headers, cookies: Cookies) -> Seen {
        let _ = (path, params, headers, cookies);
        Seen { ok: true }
    }

    async fn update(&self, path: ItemPath, json: Order) -> Seen {
        let _ = (path, json);
        Seen { ok: true }
    }
}

struct Uploads;

#[endpoint(path = "/uploads")]
impl Uploads {
    async fn post(&self, form: Upload) -> Seen {
        let _ = form;
        Seen { ok: true }
    }
}

#[contract]
struct Credentials {
    authorization: String,
}

#[contract]
struct User {
    name: String,
}

#[jero::error(status = 401, code = "invalid-token", title = "Invalid token")]
struct InvalidToken;

struct TokenAuth;

#[authenticator(scheme = "bearer")]
impl TokenAuth {
    async fn authenticate(&self, headers: Credentials) -> Result<User, InvalidToken> {
        match jero::auth::bearer_token(&headers.authorization) {
            Some("good-token") => Ok(User { name: "u".into() }),
            _ => Err(InvalidToken),
        }
    }
}

struct Orders;

#[resource(path = "/orders")]
impl Orders {
    async fn create(&self, user: User, json: Order) -> Seen {
        let _ = (user, json);
        Seen { ok: true }
    }
}

struct Everything;

impl App for Everything {
    async fn wire(&self, w: &mut Wiring) -> Result<(), BoxError> {
        w.include_resource(Items)
            .include_endpoint(Uploads)
            .include_resource_with_auth(Orders, TokenAuth);
        Ok(())
    }
}

/// xorshift64*: a fixed sequence, so every run sends the same requests.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// A request with `content-length` set to its body's.
fn request(head: &str, body: &[u8]) -> Vec<u8> {
    let mut raw = format!("{head}Content-Length: {}\r\n\r\n", body.len()).into_bytes();
    raw.extend_from_slice(body);
    raw
}

fn seeds() -> Vec<Vec<u8>> {
    let order = format!(
        r#"{{"customerName":"{MARK}-a","lines":[{{"sku":"{MARK}-s","qty":3}},{{"sku":"b","qty":9}}],"note":"{MARK} n","priority":-4}}"#
    );
    let b = "XbOuNdArY";
    let form = format!(
        "--{b}\r\ncontent-disposition: form-data; name=\"title\"\r\n\r\n{MARK}-title\r\n\
         --{b}\r\ncontent-disposition: form-data; name=\"count\"\r\n\r\n12\r\n\
         --{b}\r\ncontent-disposition: form-data; name=\"settings\"\r\ncontent-type: application/json\r\n\
         x-checksum: {MARK}-c\r\n\r\n{{\"dpi\":300}}\r\n\
         --{b}\r\ncontent-disposition: form-data; name=\"document\"; filename=\"{MARK}.pdf\"\r\n\
         content-type: application/pdf\r\n\r\n%PDF {MARK}\r\n\
         --{b}\r\ncontent-disposition: form-data; name=\"extras\"; filename=\"e.txt\"\r\n\r\nx\r\n\
         --{b}\r\ncontent-disposition: form-data; name=\"raw\"\r\n\r\n\x00\x01{MARK}\r\n\
         --{b}--\r\n"
    );
    vec![
        format!(
            "GET /shelves/{MARK}%2Fa/items/17?limit=5&tags={MARK}-1&tags=b&q={MARK}+x HTTP/1.1\r\n\
             Host: t\r\nX-Trace-Id: {MARK}-trace\r\nX-Count: 7\r\nX-Flag: true\r\n\
             Cookie: session_id={MARK}-s; Theme=\"{MARK}%20d\"\r\nCookie: other={MARK}\r\n\r\n"
        )
        .into_bytes(),
        request(
            "PUT /shelves/s/items/4 HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n",
            order.as_bytes(),
        ),
        request(
            "POST /orders HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer good-token\r\n\
             Content-Type: application/json\r\n",
            order.as_bytes(),
        ),
        request(
            &format!(
                "POST /uploads HTTP/1.1\r\nHost: t\r\nContent-Type: multipart/form-data; boundary={b}\r\n"
            ),
            form.as_bytes(),
        ),
    ]
}

/// One to four random edits of `input`: a byte replaced (often by one
/// that means something to a parser), inserted or deleted, or a line
/// repeated.
fn mutate(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
    const MEANINGFUL: &[u8] = b"\"{}[],:;=&?%/\\+-.0123456789eE \t\r\n\x00\x7f\xc3\xa9\xff";
    let mut out = input.to_vec();
    for _ in 0..1 + rng.below(4) {
        if out.is_empty() {
            break;
        }
        let at = rng.below(out.len());
        let byte = if rng.below(2) == 0 {
            MEANINGFUL[rng.below(MEANINGFUL.len())]
        } else {
            rng.next() as u8
        };
        match rng.below(4) {
            0 => out[at] = byte,
            1 => out.insert(at, byte),
            2 => {
                out.remove(at);
            }
            _ => {
                // Repeat the line that holds `at`.
                let start = out[..at].iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
                let end = out[at..]
                    .iter()
                    .position(|&b| b == b'\n')
                    .map_or(out.len(), |p| at + p + 1);
                let line = out[start..end].to_vec();
                out.splice(end..end, line);
            }
        }
    }
    out
}

/// The statuses bad input may get from the engine or the framework (408:
/// a body shorter than its `Content-Length`, which never comes).
const ALLOWED: &[u16] = &[
    200, 201, 400, 401, 404, 405, 408, 411, 413, 414, 415, 417, 422, 431, 501, 505,
];

#[track_caller]
fn check(raw: &[u8], status: u16, content_type: Option<&str>, body: &[u8]) {
    let shown = String::from_utf8_lossy(raw);
    assert!(
        ALLOWED.contains(&status),
        "status {status} for {shown:?}: {}",
        String::from_utf8_lossy(body)
    );
    if status < 400 {
        return;
    }
    assert_eq!(content_type, Some("application/problem+json"), "for {shown:?}");
    let problem: Value = serde_json::from_slice(body).unwrap_or_else(|e| panic!("{e} for {shown:?}"));
    let members: Vec<&str> = problem
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    assert!(
        members
            .iter()
            .all(|m| ["type", "title", "status", "detail", "params"].contains(m)),
        "{problem} for {shown:?}"
    );
    assert_eq!(problem["status"], status, "{problem}");
    if matches!(status, 400 | 422) {
        assert_eq!(
            problem["detail"], problem["params"]["reason"],
            "{problem} for {shown:?}"
        );
    }
    let text = String::from_utf8_lossy(body);
    assert!(
        !text.contains(MARK),
        "an error quoted the input: {text} for {shown:?}"
    );
}

#[test]
fn seeds_are_valid_requests() {
    let c = TestClient::new(Everything);
    for seed in seeds() {
        let res = c.send_raw(seed.clone());
        assert!(
            matches!(res.status(), 200 | 201),
            "{} for {:?}",
            res.text(),
            String::from_utf8_lossy(&seed)
        );
    }
}

#[test]
fn mutated_requests_get_a_clear_answer_that_quotes_nothing() {
    let c = TestClient::new(Everything);
    let seeds = seeds();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut seen = std::collections::BTreeMap::<u16, usize>::new();
    for _ in 0..20_000 {
        let seed = &seeds[rng.below(seeds.len())];
        let raw = mutate(&mut rng, seed);
        let res = c.send_raw(raw.clone());
        check(&raw, res.status(), res.header("content-type"), res.body());
        *seen.entry(res.status()).or_default() += 1;
    }
    // The mutations reach every kind of answer, not only the parser's 400.
    for status in [200, 201, 400, 401, 404, 422] {
        assert!(seen.get(&status).copied().unwrap_or(0) > 10, "{status}: {seen:?}");
    }
}
