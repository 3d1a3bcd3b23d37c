//! Authentication: an authenticator is an object passed when a route is
//! included. It binds its own typed `headers`, `cookies` or `raw_headers`
//! (by name, like a handler) and returns the caller, or an error.
//!
//! Its return type is the policy:
//!
//! * `Result<User, E>` gates the route: a request without valid
//!   credentials never reaches the handler.
//! * `Result<Option<User>, E>` admits anonymous callers. A request that
//!   sends none of the headers or cookies its credential contracts name
//!   is anonymous: the handler gets `None` (when a contract's fields are
//!   required, `authenticate` is not called; declared as `Option` fields,
//!   it is called with `None`s and decides). Credentials that are sent but
//!   incomplete or do not convert are still 401, and so is what
//!   `authenticate` refuses.
//!
//! Credentials that are missing or do not bind (a required header absent,
//! a value that does not convert) are 401 `authentication-required`; the
//! error `E` the authenticator returns is rendered like any handler error
//! (an [`ApiError`](crate::ApiError) such as a 401 `invalid-token`, with
//! the app's exception handlers and error format applied).
//!
//! The handlers behind an authenticator receive its result as their `user`
//! argument. The types are checked by the compiler: `user` must be exactly
//! the authenticator's type (`Option<User>` behind optional auth, `User`
//! otherwise), a resource or endpoint whose handlers declare `user` cannot
//! be included without an authenticator, and its handlers must all declare
//! the same type. What only wiring can see is a startup
//! [`WiringError`](crate::WiringError): behind optional auth, a handler
//! that declares no `user` (the operation would silently serve anonymous
//! callers as if the route were public).
//!
//! Authentication runs after routing (404, 405 and OPTIONS need no
//! credentials; neither does a `path` argument that fails to bind, a 404,
//! since the path is part of routing) and before anything else of the
//! request is bound for the handler, so a request with no token and a
//! malformed body is 401.
//!
//! Over a socket, a request whose body has not arrived with its head (or
//! is chunked, or over the size limit) is authenticated before the body is
//! read: a refusal goes out at once and the body is never read (see
//! [`Service::before_body`](jero_engine::Service::before_body)). Its
//! answer, the user, is kept with the request for the handler once the
//! body has arrived: every request is authenticated once, whenever its
//! body comes.
//!
//! ```
//! use jero::{authenticator, contract, endpoint, App, BoxError, Wiring};
//! use jero_testing::TestClient;
//!
//! #[contract]
//! struct User {
//!     name: String,
//! }
//!
//! #[contract]
//! struct BearerHeaders {
//!     authorization: String,
//! }
//!
//! #[jero::error(status = 401, code = "invalid-token", title = "Invalid token")]
//! struct InvalidToken;
//!
//! #[derive(Clone)]
//! struct TokenAuth;
//!
//! #[authenticator]
//! impl TokenAuth {
//!     async fn authenticate(&self, headers: BearerHeaders) -> Result<User, InvalidToken> {
//!         match headers.authorization.as_str() {
//!             "Bearer token" => Ok(User { name: "ada".into() }),
//!             _ => Err(InvalidToken),
//!         }
//!     }
//! }
//!
//! struct Me;
//!
//! #[endpoint(path = "/me")]
//! impl Me {
//!     async fn get(&self, user: User) -> User {
//!         user
//!     }
//! }
//!
//! struct MyApp;
//!
//! impl App for MyApp {
//!     async fn wire(&self, wiring: &mut Wiring) -> Result<(), BoxError> {
//!         wiring.include_endpoint_with_auth(Me, TokenAuth);
//!         Ok(())
//!     }
//! }
//!
//! let client = TestClient::new(MyApp);
//! assert_eq!(client.get("/me").header("Authorization", "Bearer token").send().text(), r#"{"name":"ada"}"#);
//! assert_eq!(client.get("/me").send().status(), 401);
//! let refused = client.get("/me").header("Authorization", "Bearer nope").send();
//! assert_eq!(refused.json::<serde_json::Value>()["type"], "invalid-token");
//! ```

use jero_engine::{Response, StaticHeader};

use crate::binding::RequestCx;
use crate::response::Responses;

/// An authenticator: the caller of a request, or the response refusing it.
///
/// Implemented by [`#[jero::authenticator]`](crate::authenticator) on an
/// impl block with one method, `async fn authenticate(&self, ...) ->
/// Result<User, E>`, whose arguments bind by name (`headers`, `cookies`,
/// `raw_headers`). Pass one to
/// [`Wiring::include_resource_with_auth`](crate::Wiring::include_resource_with_auth)
/// or [`Wiring::include_endpoint_with_auth`](crate::Wiring::include_endpoint_with_auth).
/// One instance serves every worker thread, hence `Send + Sync`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a jero authenticator",
    note = "mark an impl block with #[jero::authenticator] and give it `async fn authenticate(&self, headers: H) -> Result<User, E>`"
)]
pub trait Authenticator: Send + Sync + 'static {
    /// What the handlers behind it receive as `user`: a user type, or an
    /// `Option` of one when anonymous callers are admitted. It is `Send`
    /// where handlers declare it: it is kept with a request whose body
    /// comes after the head ([`jero_engine::Request::carry`]).
    type User: 'static;
    /// Whether anonymous callers are admitted (`User` is an `Option`).
    const OPTIONAL: bool;

    /// The `WWW-Authenticate` challenge its 401s carry (RFC 9110 section
    /// 11.6.1): `Bearer` for `#[jero::authenticator(scheme = "bearer")]`,
    /// none for API keys and cookies, which have no HTTP scheme. Added to a
    /// 401 refusal that does not set one itself.
    const CHALLENGE: Option<&'static StaticHeader> = None;

    /// Binds the credentials and authenticates: the user, or the response
    /// that refuses the request (already rendered in the app's format).
    // The refusal is a whole `Response` (128 bytes, moved without a
    // `memcpy` call; see the engine's docs): boxing it would allocate on
    // every refused request for nothing.
    #[allow(async_fn_in_trait, clippy::result_large_err)]
    async fn authenticate_request(&self, cx: &RequestCx<'_>) -> Result<Self::User, Response>;

    /// Describes the responses the authenticator can refuse with.
    fn describe(responses: &mut Responses<'_>);

    /// The OpenAPI security schemes of its credentials, by name.
    fn security_schemes(generator: &mut schemars::SchemaGenerator) -> Vec<(String, serde_json::Value)>;
}

/// The `user` type a resource's or endpoint's handlers declare. Implemented
/// by `#[jero::resource]` and `#[jero::endpoint]`.
pub trait Users: Send + Sync + 'static {
    /// The declared type; `()` when no handler declares `user`.
    type User: 'static;
}

/// A resource or endpoint none of whose handlers declares `user`: it can be
/// included without an authenticator. Implemented by the macros.
#[diagnostic::on_unimplemented(
    message = "the handlers of `{Self}` declare a `user` argument, so it needs an authenticator",
    label = "included without an authenticator",
    note = "include it with `wiring.include_resource_with_auth(resource, authenticator)` (or `include_endpoint_with_auth`), or remove the `user` arguments"
)]
pub trait Public: Users {}

/// A resource or endpoint whose handlers can receive `U`, an
/// authenticator's result, as their `user`. Implemented by the macros: for
/// exactly the declared type, or for any type when no handler declares
/// `user` (the authenticator then only gates the route).
#[diagnostic::on_unimplemented(
    message = "the `user` argument of `{Self}`'s handlers is not `{U}`, the type its authenticator returns",
    label = "the authenticator's user type and the handlers' `user` type differ",
    note = "declare `user: {U}` exactly: the same type, and an Option only behind an authenticator that returns Result<Option<User>, E>"
)]
pub trait AcceptsUser<U>: Users {
    /// What the handlers receive: `Some(user)` when they declare `user`,
    /// `None` (the user dropped) when none does.
    fn accept(user: U) -> Option<Self::User>;
}

/// What stands in front of a route's handlers: an [`Authenticator`], or
/// [`NoAuth`] on a public route. The macros' handlers pass every request
/// through it first.
pub trait Gate<R: Users>: Send + Sync + 'static {
    /// Whether every request passes without a look ([`NoAuth`]): the
    /// macros then pick handlers that have no trace of the gate.
    const PUBLIC: bool = false;

    /// The user for the handlers (`None` when none declares `user`, or on a
    /// public route), or the response that refuses the request.
    // A refusal is a whole 128-byte `Response`, as for `Authenticator`.
    #[allow(async_fn_in_trait, clippy::result_large_err)]
    async fn pass(&self, cx: &RequestCx<'_>) -> Result<Option<R::User>, Response>;
}

/// The gate of a public route: lets every request through.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoAuth;

impl<R: Public> Gate<R> for NoAuth {
    const PUBLIC: bool = true;

    #[inline(always)]
    async fn pass(&self, _cx: &RequestCx<'_>) -> Result<Option<R::User>, Response> {
        Ok(None)
    }
}

impl<R: AcceptsUser<A::User>, A: Authenticator> Gate<R> for A {
    #[inline]
    async fn pass(&self, cx: &RequestCx<'_>) -> Result<Option<R::User>, Response> {
        match self.authenticate_request(cx).await {
            Ok(user) => Ok(R::accept(user)),
            Err(refused) => Err(challenged(refused, A::CHALLENGE)),
        }
    }
}

/// The gate's answer for a handler: the one its check before the body
/// kept (a body that came late), else the gate's own. Used by the macros'
/// expansion.
#[doc(hidden)]
#[inline]
pub async fn pass_gate<R: Users, G: Gate<R>>(
    gate: &G,
    cx: &RequestCx<'_>,
) -> Result<Option<R::User>, Response> {
    match cx.take_early::<Option<R::User>>() {
        Some(user) => Ok(user),
        None => gate.pass(cx).await,
    }
}

/// The gate's answer before the body is read: a refusal, or the user kept
/// for the handler ([`pass_gate`] takes it), so that the authenticator
/// runs once. Used by the macros' expansion.
#[doc(hidden)]
pub async fn pass_gate_before_body<R: Users, G: Gate<R>>(
    gate: &G,
    cx: &RequestCx<'_>,
) -> Result<Option<jero_engine::CarriedValue>, Response>
where
    R::User: Send,
{
    if G::PUBLIC {
        return Ok(None);
    }
    let user = gate.pass(cx).await?;
    Ok(Some(Box::new(user)))
}

/// The token of an `Authorization: Bearer <token>` value: the scheme in
/// any case, one or more spaces after it (RFC 9110 section 11.1, RFC 6750
/// section 2.1); `None` for another scheme or an empty token.
///
/// ```
/// use jero::auth::bearer_token;
/// assert_eq!(bearer_token("Bearer abc"), Some("abc"));
/// assert_eq!(bearer_token("bearer  abc"), Some("abc"));
/// assert_eq!(bearer_token("Basic abc"), None);
/// assert_eq!(bearer_token("Bearer "), None);
/// ```
pub fn bearer_token(authorization: &str) -> Option<&str> {
    let (scheme, token) = authorization.split_once(' ')?;
    let token = token.trim_start_matches(' ');
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// `WWW-Authenticate: Bearer`, the challenge of a bearer authenticator.
#[doc(hidden)]
pub static BEARER_CHALLENGE: StaticHeader = StaticHeader::new("www-authenticate", "Bearer");

/// A refusal with the authenticator's challenge, when it is a 401 that
/// carries none.
#[cold]
fn challenged(mut refused: Response, challenge: Option<&'static StaticHeader>) -> Response {
    if let Some(challenge) = challenge {
        if refused.status() == 401 && refused.header("www-authenticate").is_none() {
            refused.append_static(challenge);
        }
    }
    refused
}

/// A handler declares `user` but no authenticator handed one over (a route
/// included in a way the type checks should have made impossible): logged,
/// and the generic 500. Used by the macros' expansion.
#[cold]
#[inline(never)]
#[doc(hidden)]
pub fn missing_user(cx: &RequestCx<'_>) -> Response {
    tracing::error!(
        route = cx.route(),
        "handler declares `user` but no authenticator ran; answering 500"
    );
    cx.reject(crate::Problem::internal())
}

/// Credentials that are absent or do not bind: 401
/// `authentication-required` ([`errors::AuthenticationRequired`], through
/// the app's exception handler for it and its error format). Used by the
/// `#[jero::authenticator]` expansion.
///
/// [`errors::AuthenticationRequired`]: crate::errors::AuthenticationRequired
#[cold]
#[inline(never)]
#[doc(hidden)]
pub fn credentials_missing(cx: &RequestCx<'_>) -> Response {
    crate::error::render_api_error(crate::errors::AuthenticationRequired, cx)
}
