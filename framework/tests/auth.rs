//! Authentication: authenticators bind their own credentials, gate routes
//! or admit anonymous callers, hand the user to the handlers, and run
//! after routing and before the body. Through the TestClient.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use jero::{authenticator, contract, endpoint, resource, App, BoxError, Problem, Wiring};
use jero_testing::{json, TestClient};

// ---------------------------------------------------------------------------
// Contracts and authenticators

#[contract]
#[derive(Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
struct User {
    id: String,
    may_see_spotlight: bool,
}

#[contract]
struct Bearer {
    authorization: String,
}

#[contract]
struct MaybeBearer {
    authorization: Option<String>,
}

#[contract]
struct Session {
    session_id: String,
}

#[jero::error(status = 401, code = "invalid-token", title = "Invalid token")]
struct InvalidToken;

fn user_for(token: &str) -> Option<User> {
    match token {
        "token" => Some(User {
            id: "user-id".into(),
            may_see_spotlight: true,
        }),
        "other-token" => Some(User {
            id: "other-id".into(),
            may_see_spotlight: false,
        }),
        _ => None,
    }
}

fn bearer(value: &str) -> Result<User, InvalidToken> {
    jero::auth::bearer_token(value)
        .and_then(user_for)
        .ok_or(InvalidToken)
}

/// Requires `Authorization: Bearer <token>`; counts its calls.
#[derive(Clone, Default)]
struct TokenAuth {
    calls: Arc<AtomicUsize>,
}

#[authenticator]
impl TokenAuth {
    async fn authenticate(&self, headers: Bearer) -> Result<User, InvalidToken> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        bearer(&headers.authorization)
    }
}

/// Admits anonymous callers; a token that is sent must be valid.
struct OptionalTokenAuth;

#[authenticator]
impl OptionalTokenAuth {
    async fn authenticate(&self, headers: MaybeBearer) -> Result<Option<User>, InvalidToken> {
        headers.authorization.as_deref().map(bearer).transpose()
    }
}

/// The `session_id` cookie; not async, to show that works too.
struct CookieAuth;

#[authenticator]
impl CookieAuth {
    fn authenticate(&self, cookies: Session) -> Result<User, InvalidToken> {
        user_for(&cookies.session_id).ok_or(InvalidToken)
    }
}

/// Reads both a header and a cookie: the header wins.
struct HeaderOrCookie;

#[contract]
struct MaybeSession {
    session_id: Option<String>,
}

#[authenticator]
impl HeaderOrCookie {
    async fn authenticate(&self, headers: MaybeBearer, cookies: MaybeSession) -> Result<User, Problem> {
        let found = match (headers.authorization, cookies.session_id) {
            (Some(h), _) => bearer(&h).ok(),
            (None, Some(c)) => user_for(&c),
            (None, None) => None,
        };
        found.ok_or_else(|| Problem::new(401, "no-credentials", "No credentials"))
    }
}

#[contract]
struct ApiKey {
    x_api_key: u64,
}

/// A numeric credential, to show one that does not convert.
struct KeyAuth;

#[authenticator]
impl KeyAuth {
    async fn authenticate(&self, headers: ApiKey) -> Result<User, InvalidToken> {
        match headers.x_api_key {
            42 => Ok(User {
                id: "key-user".into(),
                may_see_spotlight: false,
            }),
            _ => Err(InvalidToken),
        }
    }
}

// ---------------------------------------------------------------------------
// Routes

struct Keyed;

#[endpoint(path = "/keyed")]
impl Keyed {
    async fn get(&self, user: User) -> String {
        user.id
    }
}

struct Me;

#[endpoint(path = "/me")]
impl Me {
    async fn get(&self, user: User) -> User {
        user
    }
}

#[contract]
#[serde(rename_all = "camelCase")]
struct Spotlight {
    personalized_for: Option<String>,
}

struct SpotlightEndpoint;

#[endpoint(path = "/spotlight")]
impl SpotlightEndpoint {
    async fn get(&self, user: Option<User>) -> Result<Spotlight, jero::errors::Forbidden> {
        match user {
            Some(u) if !u.may_see_spotlight => Err(jero::errors::Forbidden),
            u => Ok(Spotlight {
                personalized_for: u.map(|u| u.id),
            }),
        }
    }
}

#[contract]
struct NoteIn {
    text: String,
}

#[contract]
#[serde(rename_all = "camelCase")]
struct Note {
    owner_id: String,
    text: String,
}

#[contract]
struct NotePath {
    note_id: String,
}

/// A resource whose handlers take `user`, but one (`read_one`) does not:
/// fine behind a gate.
struct Notes;

#[resource(path = "/notes")]
impl Notes {
    async fn create(&self, user: User, json: NoteIn) -> Note {
        Note {
            owner_id: user.id,
            text: json.text,
        }
    }

    async fn read_many(&self, user: User) -> Vec<Note> {
        vec![Note {
            owner_id: user.id,
            text: "first".into(),
        }]
    }

    async fn read_one(&self, path: NotePath) -> Note {
        Note {
            owner_id: "anyone".into(),
            text: path.note_id,
        }
    }
}

/// An endpoint with no `user` at all, behind a gate: authentication only
/// decides whether it is served.
struct Gated;

#[endpoint(path = "/gated")]
impl Gated {
    async fn get(&self) -> String {
        "in".into()
    }
}

struct Profile;

#[endpoint(path = "/profile")]
impl Profile {
    async fn get(&self, user: User) -> User {
        user
    }
}

struct Either;

#[endpoint(path = "/either")]
impl Either {
    async fn get(&self, user: User) -> String {
        user.id
    }
}

struct AuthApp {
    token: TokenAuth,
}

impl App for AuthApp {
    async fn wire(&self, wiring: &mut Wiring) -> Result<(), BoxError> {
        wiring
            .include_endpoint_with_auth(Me, self.token.clone())
            .include_endpoint_with_auth(SpotlightEndpoint, OptionalTokenAuth)
            .include_resource_with_auth(Notes, self.token.clone())
            .include_endpoint_with_auth(Gated, self.token.clone())
            .include_endpoint_with_auth(Profile, CookieAuth)
            .include_endpoint_with_auth(Either, HeaderOrCookie)
            .include_endpoint_with_auth(Keyed, KeyAuth);
        Ok(())
    }
}

fn client() -> (TestClient, Arc<AtomicUsize>) {
    let token = TokenAuth::default();
    let calls = token.calls.clone();
    (TestClient::new(AuthApp { token }), calls)
}

fn problem_type(res: &jero_testing::TestResponse) -> String {
    res.json::<serde_json::Value>()["type"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

// ---------------------------------------------------------------------------
// Required authentication

#[test]
fn a_valid_token_reaches_the_handler_as_user() {
    let (c, _) = client();
    let res = c.get("/me").header("Authorization", "Bearer token").send();
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.json::<serde_json::Value>(),
        json!({"id": "user-id", "maySeeSpotlight": true})
    );
}

#[test]
fn missing_credentials_are_401_authentication_required() {
    let (c, _) = client();
    let res = c.get("/me").send();
    assert_eq!(res.status(), 401);
    assert_eq!(res.header("content-type"), Some("application/problem+json"));
    assert_eq!(
        res.json::<serde_json::Value>(),
        json!({"type": "authentication-required", "title": "Authentication required", "status": 401})
    );
}

#[test]
fn the_authenticators_own_error_is_rendered() {
    let (c, _) = client();
    let res = c.get("/me").header("Authorization", "Bearer nope").send();
    assert_eq!(res.status(), 401);
    assert_eq!(
        res.json::<serde_json::Value>(),
        json!({"type": "invalid-token", "title": "Invalid token", "status": 401})
    );
}

#[test]
fn credentials_that_do_not_bind_are_401_not_400() {
    let (c, _) = client();
    // A header value that does not convert to its field's type: the
    // credentials are missing, never a malformed-request.
    let res = c.get("/keyed").header("X-Api-Key", "forty-two").send();
    assert_eq!(res.status(), 401, "{}", res.text());
    assert_eq!(problem_type(&res), "authentication-required");
    let res = c.get("/keyed").header("X-Api-Key", "41").send();
    assert_eq!(problem_type(&res), "invalid-token");
    let res = c.get("/keyed").header("X-Api-Key", "42").send();
    assert_eq!(res.text(), "key-user");
}

#[test]
fn a_gate_without_user_still_authenticates() {
    let (c, calls) = client();
    assert_eq!(c.get("/gated").send().status(), 401);
    assert_eq!(
        c.get("/gated")
            .header("Authorization", "Bearer nope")
            .send()
            .status(),
        401
    );
    let res = c.get("/gated").header("Authorization", "Bearer token").send();
    assert_eq!((res.status(), res.text()), (200, "in".to_owned()));
    assert_eq!(
        calls.load(Ordering::Relaxed),
        2,
        "the missing header never reaches authenticate"
    );
}

#[test]
fn every_operation_of_a_resource_is_gated() {
    let (c, _) = client();
    assert_eq!(c.get("/notes").send().status(), 401);
    assert_eq!(c.get("/notes/n1").send().status(), 401);
    let res = c
        .get("/notes/n1")
        .header("Authorization", "Bearer other-token")
        .send();
    assert_eq!(
        res.json::<serde_json::Value>(),
        json!({"ownerId": "anyone", "text": "n1"})
    );
    let res = c
        .post("/notes")
        .header("Authorization", "Bearer other-token")
        .json(&json!({"text": "hi"}))
        .send();
    assert_eq!(res.status(), 201);
    assert_eq!(
        res.json::<serde_json::Value>(),
        json!({"ownerId": "other-id", "text": "hi"})
    );
}

// ---------------------------------------------------------------------------
// Order of checks

#[test]
fn authentication_comes_before_the_body() {
    let (c, _) = client();
    // No token and a malformed body: 401, the body is never looked at.
    let res = c
        .post("/notes")
        .body("{not json")
        .header("content-type", "application/json")
        .send();
    assert_eq!(res.status(), 401);
    assert_eq!(problem_type(&res), "authentication-required");
    // With a token, the body's own errors come through.
    let res = c
        .post("/notes")
        .header("Authorization", "Bearer token")
        .body("{not json")
        .send();
    assert_eq!(res.status(), 400);
    let res = c
        .post("/notes")
        .header("Authorization", "Bearer token")
        .json(&json!({"txt": "x"}))
        .send();
    assert_eq!(res.status(), 422);
}

#[test]
fn routing_needs_no_credentials() {
    let (c, calls) = client();
    assert_eq!(c.get("/nowhere").send().status(), 404);
    let res = c.delete("/me").send();
    assert_eq!(res.status(), 405);
    assert_eq!(res.header("allow"), Some("GET, HEAD, OPTIONS"));
    let res = c.options("/notes").send();
    assert_eq!(res.status(), 204);
    // With credentials sent, the authenticator still does not run for any
    // of these.
    for (method, path) in [("DELETE", "/me"), ("OPTIONS", "/notes"), ("GET", "/nowhere")] {
        let res = c
            .request(method, path)
            .header("Authorization", "Bearer token")
            .send();
        assert!(matches!(res.status(), 204 | 404 | 405), "{method} {path}");
    }
    assert_eq!(calls.load(Ordering::Relaxed), 0);
    c.get("/me").header("Authorization", "Bearer token").send();
    assert_eq!(calls.load(Ordering::Relaxed), 1, "the counter counts");
}

/// The path is part of routing: a slot that names no resource (not UTF-8
/// once percent-decoded, or empty) is 404 before credentials are asked for
/// or checked; a slot that does name one still needs them.
#[test]
fn a_path_that_names_nothing_is_404_before_credentials() {
    let (c, calls) = client();
    for path in ["/notes/%FF", "/notes/%C3%28", "/notes/"] {
        let res = c.get(path).send();
        assert_eq!(res.status(), 404, "{path}");
        assert_eq!(problem_type(&res), "not-found", "{path}");
        let res = c.get(path).header("Authorization", "Bearer token").send();
        assert_eq!(res.status(), 404, "{path}");
    }
    assert_eq!(calls.load(Ordering::Relaxed), 0);
    assert_eq!(c.get("/notes/%C3%A9").send().status(), 401);
    let res = c
        .get("/notes/%C3%A9")
        .header("Authorization", "Bearer token")
        .send();
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<serde_json::Value>()["text"], "é");
}

#[test]
fn head_is_authenticated_like_get() {
    let (c, _) = client();
    assert_eq!(c.head("/me").send().status(), 401);
    let res = c.head("/me").header("Authorization", "Bearer token").send();
    assert_eq!(res.status(), 200);
    assert!(res.body().is_empty());
}

// ---------------------------------------------------------------------------
// Optional authentication

#[test]
fn optional_auth_admits_anonymous_callers_as_none() {
    let (c, _) = client();
    let res = c.get("/spotlight").send();
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<serde_json::Value>(), json!({"personalizedFor": null}));
}

#[test]
fn optional_auth_hands_over_a_valid_user() {
    let (c, _) = client();
    let res = c.get("/spotlight").header("Authorization", "Bearer token").send();
    assert_eq!(
        res.json::<serde_json::Value>(),
        json!({"personalizedFor": "user-id"})
    );
    let res = c
        .get("/spotlight")
        .header("Authorization", "Bearer other-token")
        .send();
    assert_eq!(res.status(), 403);
    assert_eq!(problem_type(&res), "forbidden");
}

#[test]
fn optional_auth_still_refuses_invalid_credentials() {
    let (c, _) = client();
    let res = c.get("/spotlight").header("Authorization", "Bearer nope").send();
    assert_eq!(res.status(), 401);
    assert_eq!(problem_type(&res), "invalid-token");
}

/// Optional, with credentials that are required once sent: a token and a
/// tenant number in headers, or a session cookie.
struct StrictOptionalAuth;

#[contract]
struct TenantBearer {
    authorization: String,
    x_tenant: u32,
}

#[authenticator]
impl StrictOptionalAuth {
    async fn authenticate(&self, headers: TenantBearer) -> Result<Option<User>, InvalidToken> {
        let mut user = bearer(&headers.authorization)?;
        user.id = format!("{}@{}", user.id, headers.x_tenant);
        Ok(Some(user))
    }
}

struct OptionalCookieAuth;

#[authenticator]
impl OptionalCookieAuth {
    fn authenticate(&self, cookies: Session) -> Result<Option<User>, InvalidToken> {
        user_for(&cookies.session_id).ok_or(InvalidToken).map(Some)
    }
}

struct Whoami;

#[endpoint(path = "/whoami")]
impl Whoami {
    async fn get(&self, user: Option<User>) -> String {
        user.map_or_else(|| "anonymous".to_owned(), |u| u.id)
    }
}

struct OptionalApp;

impl App for OptionalApp {
    async fn wire(&self, w: &mut Wiring) -> Result<(), BoxError> {
        w.include_endpoint_with_auth(Whoami, StrictOptionalAuth);
        Ok(())
    }
}

struct OptionalCookieApp;

impl App for OptionalCookieApp {
    async fn wire(&self, w: &mut Wiring) -> Result<(), BoxError> {
        w.include_endpoint_with_auth(Whoami, OptionalCookieAuth);
        Ok(())
    }
}

/// Behind optional auth, credentials that are required fields of their
/// contract: none sent is an anonymous caller (`None`); sent but
/// incomplete or not converting is 401.
#[test]
fn optional_auth_with_required_credential_fields() {
    let c = TestClient::new(OptionalApp);
    let res = c.get("/whoami").header("Accept", "text/plain").send();
    assert_eq!((res.status(), res.text()), (200, "anonymous".to_owned()));
    let res = c
        .get("/whoami")
        .header("Authorization", "Bearer token")
        .header("X-Tenant", "7")
        .send();
    assert_eq!((res.status(), res.text()), (200, "user-id@7".to_owned()));
    // Sent, but without the tenant, or with one that is not a number.
    let res = c.get("/whoami").header("Authorization", "Bearer token").send();
    assert_eq!(res.status(), 401);
    assert_eq!(problem_type(&res), "authentication-required");
    let res = c.get("/whoami").header("X-Tenant", "seven").send();
    assert_eq!(problem_type(&res), "authentication-required");
    // A valid shape with a bad token is the authenticator's own 401.
    let res = c
        .get("/whoami")
        .header("Authorization", "Bearer nope")
        .header("X-Tenant", "7")
        .send();
    assert_eq!(problem_type(&res), "invalid-token");

    let c = TestClient::new(OptionalCookieApp);
    assert_eq!(c.get("/whoami").send().text(), "anonymous");
    // Other cookies are not this authenticator's credentials.
    assert_eq!(
        c.get("/whoami").cookie("theme", "dark").send().text(),
        "anonymous"
    );
    assert_eq!(
        c.get("/whoami").cookie("session_id", "token").send().text(),
        "user-id"
    );
    assert_eq!(
        problem_type(&c.get("/whoami").cookie("session_id", "nope").send()),
        "invalid-token"
    );
}

// ---------------------------------------------------------------------------
// Cookies, and several sources

#[test]
fn cookie_authentication() {
    let (c, _) = client();
    assert_eq!(problem_type(&c.get("/profile").send()), "authentication-required");
    let res = c.get("/profile").cookie("session_id", "nope").send();
    assert_eq!(problem_type(&res), "invalid-token");
    let res = c.get("/profile").cookie("session_id", "token").send();
    assert_eq!(res.json::<serde_json::Value>()["id"], "user-id");
}

#[test]
fn an_authenticator_may_read_headers_and_cookies() {
    let (c, _) = client();
    let res = c.get("/either").cookie("session_id", "other-token").send();
    assert_eq!(res.text(), "other-id");
    let res = c
        .get("/either")
        .header("Authorization", "Bearer token")
        .cookie("session_id", "other-token")
        .send();
    assert_eq!(res.text(), "user-id");
    let res = c.get("/either").send();
    assert_eq!(res.status(), 401);
    assert_eq!(problem_type(&res), "no-credentials");
}

// ---------------------------------------------------------------------------
// The app's error rendering applies

#[contract]
struct HouseError {
    error_code: String,
}

struct HouseApp;

impl App for HouseApp {
    async fn wire(&self, wiring: &mut Wiring) -> Result<(), BoxError> {
        wiring.error_format(|p: &Problem| HouseError {
            error_code: p.code().to_owned(),
        });
        wiring.on_error(|_: &jero::errors::AuthenticationRequired| {
            jero::JsonResponse::new(HouseError {
                error_code: "log-in-first".into(),
            })
            .status(401)
            .raw_header("WWW-Authenticate", "Bearer")
        });
        wiring.include_endpoint_with_auth(Me, TokenAuth::default());
        Ok(())
    }
}

#[test]
fn refusals_go_through_exception_handlers_and_the_house_format() {
    let c = TestClient::new(HouseApp);
    let res = c.get("/me").send();
    assert_eq!(res.status(), 401);
    assert_eq!(res.header("www-authenticate"), Some("Bearer"));
    assert_eq!(
        res.json::<serde_json::Value>(),
        json!({"error_code": "log-in-first"})
    );
    let res = c.get("/me").header("Authorization", "Bearer nope").send();
    assert_eq!(res.status(), 401);
    assert_eq!(
        res.json::<serde_json::Value>(),
        json!({"error_code": "invalid-token"})
    );
}

// ---------------------------------------------------------------------------
// Wiring errors

/// Behind optional auth, every operation must declare `user`.
struct HalfOptional;

#[resource(path = "/half")]
impl HalfOptional {
    async fn read_many(&self, user: Option<User>) -> Vec<Note> {
        let _ = user;
        Vec::new()
    }

    async fn create(&self, json: NoteIn) -> Note {
        Note {
            owner_id: String::new(),
            text: json.text,
        }
    }
}

struct HalfApp;

impl App for HalfApp {
    async fn wire(&self, wiring: &mut Wiring) -> Result<(), BoxError> {
        wiring.include_resource_with_auth(HalfOptional, OptionalTokenAuth);
        Ok(())
    }
}

#[test]
fn optional_auth_with_an_operation_that_declares_no_user_does_not_wire() {
    let err = TestClient::try_new(HalfApp).err().expect("a wiring error");
    assert_eq!(
        err.message(),
        "HalfOptional::create declares no `user`, but HalfOptional is included behind OptionalTokenAuth, \
         which admits anonymous callers: the operation would serve them as if it were public. Add \
         `user: Option<User>` to `create` (and serve anonymous callers deliberately), or include it \
         behind an authenticator that returns Result<User, E>"
    );
    assert!(err
        .location()
        .is_some_and(|l| l.file().ends_with("tests/auth.rs")));
}

/// The same token check, declared as the `bearer` scheme.
struct BearerAuth;

#[authenticator(scheme = "bearer")]
impl BearerAuth {
    async fn authenticate(&self, headers: Bearer) -> Result<User, InvalidToken> {
        bearer(&headers.authorization)
    }
}

struct ChallengeApp;

impl App for ChallengeApp {
    async fn wire(&self, w: &mut Wiring) -> Result<(), BoxError> {
        w.include_endpoint_with_auth(Me, BearerAuth);
        w.include_endpoint_with_auth(Keyed, KeyAuth);
        Ok(())
    }
}

/// A bearer authenticator's 401s carry `WWW-Authenticate: Bearer` (RFC
/// 9110 11.6.1), for missing and for invalid credentials; an API key has
/// no HTTP scheme to challenge with, and an answer that is not a 401 none.
#[test]
fn a_bearer_authenticators_401_carries_its_challenge() {
    let c = TestClient::new(ChallengeApp);
    let res = c.get("/me").send();
    assert_eq!(res.status(), 401);
    assert_eq!(res.header("www-authenticate"), Some("Bearer"));
    let res = c.get("/me").header("Authorization", "Bearer nope").send();
    assert_eq!(
        (res.status(), res.header("www-authenticate")),
        (401, Some("Bearer"))
    );
    assert_eq!(problem_type(&res), "invalid-token");
    let res = c.get("/me").header("Authorization", "Bearer token").send();
    assert_eq!((res.status(), res.header("www-authenticate")), (200, None));
    let res = c.get("/keyed").send();
    assert_eq!((res.status(), res.header("www-authenticate")), (401, None));
    // HEAD gets the same head.
    let res = c.head("/me").send();
    assert_eq!(
        (res.status(), res.header("www-authenticate")),
        (401, Some("Bearer"))
    );
}
