//! The demo's users and how they authenticate: bearer tokens (`/me`,
//! `/widgets`, `/spotlight`), a session cookie (`/profile`), and the
//! `/session` endpoint that sets it.

use std::sync::Arc;

use jero::{authenticator, contract, endpoint, NoContent, SetCookie};

/// A caller: `{"id","name","maySeeSpotlight"}`.
#[contract]
#[derive(Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct User {
    /// Stable id (widgets are owned by it).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Whether `/spotlight` serves this user.
    pub may_see_spotlight: bool,
}

/// 401 `invalid-token`: credentials were sent, and they are not valid.
#[jero::error(status = 401, code = "invalid-token", title = "Invalid token")]
pub struct InvalidToken;

/// The demo's known tokens and their users.
#[derive(Debug, Default)]
pub struct Tokens;

impl Tokens {
    /// The user a token belongs to.
    pub fn user(&self, token: &str) -> Option<User> {
        let (id, name, may_see_spotlight) = match token {
            "token" => ("user-id", "user-name", true),
            "other-token" => ("other-id", "other-name", false),
            _ => return None,
        };
        Some(User {
            id: id.into(),
            name: name.into(),
            may_see_spotlight,
        })
    }

    /// The user of an `Authorization` value, `Bearer <token>` (the scheme
    /// is case-insensitive, RFC 9110 section 11.1).
    fn bearer(&self, authorization: &str) -> Result<User, InvalidToken> {
        jero::auth::bearer_token(authorization)
            .and_then(|token| self.user(token))
            .ok_or(InvalidToken)
    }
}

/// `Authorization`, required.
#[contract]
pub struct BearerHeaders {
    /// `Bearer <token>`.
    pub authorization: String,
}

/// `Authorization`, if sent.
#[contract]
pub struct MaybeBearerHeaders {
    /// `Bearer <token>`.
    pub authorization: Option<String>,
}

/// The session cookie `/session` sets.
#[contract]
pub struct SessionCookies {
    /// A token.
    pub session_id: String,
}

/// Bearer-token authentication: gates the route.
#[derive(Clone)]
pub struct TokenAuth {
    tokens: Arc<Tokens>,
}

impl TokenAuth {
    /// Authenticates against `tokens`.
    pub fn new(tokens: Arc<Tokens>) -> TokenAuth {
        TokenAuth { tokens }
    }
}

#[authenticator(scheme = "bearer")]
impl TokenAuth {
    async fn authenticate(&self, headers: BearerHeaders) -> Result<User, InvalidToken> {
        self.tokens.bearer(&headers.authorization)
    }
}

/// Bearer-token authentication that admits anonymous callers.
pub struct OptionalTokenAuth {
    tokens: Arc<Tokens>,
}

#[authenticator(scheme = "bearer")]
impl OptionalTokenAuth {
    async fn authenticate(&self, headers: MaybeBearerHeaders) -> Result<Option<User>, InvalidToken> {
        headers.authorization.map(|a| self.tokens.bearer(&a)).transpose()
    }
}

/// Session-cookie authentication (`session_id`).
pub struct CookieAuth {
    tokens: Arc<Tokens>,
}

#[authenticator]
impl CookieAuth {
    async fn authenticate(&self, cookies: SessionCookies) -> Result<User, InvalidToken> {
        self.tokens.user(&cookies.session_id).ok_or(InvalidToken)
    }
}

/// `GET /me`: the caller.
pub struct MeEndpoint;

#[endpoint(path = "/me")]
impl MeEndpoint {
    /// The caller, by bearer token.
    async fn get(&self, user: User) -> User {
        user
    }
}

/// `GET /profile`: the caller, by session cookie.
pub struct ProfileEndpoint;

#[endpoint(path = "/profile")]
impl ProfileEndpoint {
    /// The caller, by the `session_id` cookie.
    async fn get(&self, user: User) -> User {
        user
    }
}

/// `{"widgetId":"spotlight","personalizedFor":..}`
#[contract]
#[serde(rename_all = "camelCase")]
pub struct Spotlight {
    /// Always `spotlight`.
    pub widget_id: String,
    /// The caller's name, or null for anonymous callers.
    pub personalized_for: Option<String>,
}

/// `GET /spotlight`: optional auth; a user who may not see it is 403.
pub struct SpotlightEndpoint;

#[endpoint(path = "/spotlight")]
impl SpotlightEndpoint {
    /// Today's spotlight: open to anonymous callers, forbidden to users who may not see it.
    async fn get(&self, user: Option<User>) -> Result<Spotlight, jero::errors::Forbidden> {
        if user.as_ref().is_some_and(|u| !u.may_see_spotlight) {
            return Err(jero::errors::Forbidden);
        }
        Ok(Spotlight {
            widget_id: "spotlight".into(),
            personalized_for: user.map(|u| u.name),
        })
    }
}

/// `{"token": str}`
#[contract]
pub struct SessionIn {
    /// A bearer token.
    pub token: String,
}

/// `POST /session`: a known token becomes the `session_id` cookie.
pub struct SessionEndpoint {
    tokens: Arc<Tokens>,
}

#[endpoint(path = "/session")]
impl SessionEndpoint {
    /// Starts a session: a known token is set as the `session_id` cookie.
    async fn post(&self, json: SessionIn) -> Result<NoContent, InvalidToken> {
        if self.tokens.user(&json.token).is_none() {
            return Err(InvalidToken);
        }
        Ok(NoContent::new().cookie(SetCookie::new("session_id", json.token)))
    }
}

/// Every route of this module, wired with its authenticator.
pub(crate) fn include(wiring: &mut jero::Wiring, tokens: &Arc<Tokens>) {
    let token_auth = TokenAuth::new(tokens.clone());
    wiring
        .include_endpoint_with_auth(MeEndpoint, token_auth)
        .include_endpoint_with_auth(
            ProfileEndpoint,
            CookieAuth {
                tokens: tokens.clone(),
            },
        )
        .include_endpoint_with_auth(
            SpotlightEndpoint,
            OptionalTokenAuth {
                tokens: tokens.clone(),
            },
        )
        .include_endpoint(SessionEndpoint {
            tokens: tokens.clone(),
        });
}
