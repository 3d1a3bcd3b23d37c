//! The demo app: the reference application, run by
//! `cargo run --release -p jero-examples --bin demo`.
//!
//! Routes served so far: `/healthz`, `/widgets` (token auth), `/me`,
//! `/spotlight` (optional token auth), `/trace`, `/echo`, `/uploads`,
//! `/collections/{collection_id}/items/{item_id}`,
//! `/conversations/{conversation_id}/messages`, `/drafts/{widget_id}`,
//! `/status`, `/boom`, `/session`, `/profile` (cookie auth), `/movies`,
//! `/movies/stats`, `/answer`, `/events`, `/export` (streams), `/jobs`
//! (a multipart form), and its OpenAPI document at `/openapi.json` with a
//! docs page at `/docs`.
//!
//! ```
//! use jero_testing::{json, TestClient};
//! let client = TestClient::new(jero_examples::demo::Demo::new());
//! assert_eq!(client.get("/healthz").send().json::<serde_json::Value>(), json!({"status": "ok"}));
//! ```

pub mod auth;
pub mod jobs;
pub mod streams;
pub mod widgets;

use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use jero::{contract, endpoint, resource, App, BoxError, Bytes, NoContent, RawHeaders, Wiring};

pub use auth::{InvalidToken, Tokens, User};

/// `{"status":"ok"}`
#[contract]
pub struct Health {
    /// Always `ok`.
    pub status: String,
}

/// `GET /healthz`
pub struct HealthEndpoint;

#[endpoint(path = "/healthz")]
impl HealthEndpoint {
    /// Liveness: always `{"status":"ok"}`.
    async fn get(&self) -> Health {
        Health { status: "ok".into() }
    }
}

/// Typed request headers of `/trace`.
#[contract]
pub struct TraceHeaders {
    /// Required.
    pub x_trace_id: String,
    /// Optional.
    pub user_agent: Option<String>,
}

/// `{"traceId":..,"userAgent":..}`
#[contract]
#[serde(rename_all = "camelCase")]
pub struct Trace {
    /// From `X-Trace-Id`.
    pub trace_id: String,
    /// From `User-Agent`, or null.
    pub user_agent: Option<String>,
}

/// `GET /trace`
pub struct TraceEndpoint;

#[endpoint(path = "/trace")]
impl TraceEndpoint {
    /// Echoes the `X-Trace-Id` and `User-Agent` request headers.
    async fn get(&self, headers: TraceHeaders) -> Trace {
        Trace {
            trace_id: headers.x_trace_id,
            user_agent: headers.user_agent,
        }
    }
}

/// `GET /echo`'s answer.
#[contract]
#[serde(rename_all = "camelCase")]
pub struct Echo {
    /// `X-Trace-Id`, looked up case-insensitively, or null.
    pub trace_id: Option<String>,
    /// How many `Cookie` field lines were sent.
    pub cookie_count: usize,
    /// Every header name in order, original casing, repeats kept.
    pub names: Vec<String>,
}

/// `GET /echo`
pub struct EchoEndpoint;

#[endpoint(path = "/echo")]
impl EchoEndpoint {
    /// Describes the request's headers as sent: names in order, casing and repeats kept.
    async fn get(&self, raw_headers: RawHeaders) -> Echo {
        Echo {
            trace_id: raw_headers.get_str("x-trace-id").map(str::to_owned),
            cookie_count: raw_headers.get_all("cookie").count(),
            names: raw_headers.names().map(str::to_owned).collect(),
        }
    }
}

/// `{"size": n}`
#[contract]
pub struct UploadSize {
    /// Bytes received.
    pub size: usize,
}

/// `POST /uploads`
pub struct UploadResource;

#[resource(path = "/uploads")]
impl UploadResource {
    /// Takes a raw body of any content type (up to the body limit) and answers its size.
    async fn create(&self, content: Bytes) -> UploadSize {
        UploadSize { size: content.len() }
    }
}

/// Two slots.
#[contract]
pub struct ItemPath {
    /// The collection.
    pub collection_id: String,
    /// The item.
    pub item_id: String,
}

/// `{"collectionId":..,"itemId":..}`
#[contract]
#[serde(rename_all = "camelCase")]
pub struct Item {
    /// The collection.
    pub collection_id: String,
    /// The item.
    pub item_id: String,
}

/// `GET /collections/{collection_id}/items/{item_id}`
pub struct ItemResource;

#[resource(path = "/collections/{collection_id}/items")]
impl ItemResource {
    /// An item of a collection, by both ids.
    async fn read_one(&self, path: ItemPath) -> Item {
        Item {
            collection_id: path.collection_id,
            item_id: path.item_id,
        }
    }
}

/// The conversation slot.
#[contract]
pub struct ConversationPath {
    /// The conversation.
    pub conversation_id: String,
}

/// `{"text": str}`
#[contract]
pub struct MessageIn {
    /// The message text.
    pub text: String,
}

/// A stored message.
#[contract]
#[serde(rename_all = "camelCase")]
pub struct Message {
    /// A new id.
    pub id: String,
    /// The conversation.
    pub conversation_id: String,
    /// The text.
    pub text: String,
}

/// `POST /conversations/{conversation_id}/messages`
pub struct MessageResource {
    next: AtomicU64,
}

#[resource(path = "/conversations/{conversation_id}/messages")]
impl MessageResource {
    /// Posts a message to a conversation.
    async fn create(&self, path: ConversationPath, json: MessageIn) -> Message {
        let n = self.next.fetch_add(1, Ordering::Relaxed) + 1;
        Message {
            id: format!("msg-{n}"),
            conversation_id: path.conversation_id,
            text: json.text,
        }
    }
}

/// The draft slot.
#[contract]
pub struct DraftPath {
    /// The widget.
    pub widget_id: String,
}

/// `{"id":..,"name":"gizmo"}`
#[contract]
pub struct DraftWidget {
    /// Its id.
    pub id: String,
    /// Always `gizmo`.
    pub name: String,
}

/// Either a pending draft (204) or a widget (200).
#[derive(jero::IntoResponse)]
pub enum Draft {
    /// A draft: 204, no body.
    Pending(NoContent),
    /// A widget: 200.
    Found(DraftWidget),
}

/// `GET /drafts/{widget_id}`
pub struct DraftResource;

#[resource(path = "/drafts")]
impl DraftResource {
    /// A draft: 204 with no body for an id that starts with `draft-`, else the widget.
    async fn read_one(&self, path: DraftPath) -> Draft {
        if path.widget_id.starts_with("draft-") {
            Draft::Pending(NoContent::new())
        } else {
            Draft::Found(DraftWidget {
                id: path.widget_id,
                name: "gizmo".into(),
            })
        }
    }
}

/// The upstream failure `/status` runs into.
#[derive(Debug)]
pub struct UpstreamFailed;

impl std::fmt::Display for UpstreamFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the upstream service did not answer")
    }
}

impl std::error::Error for UpstreamFailed {}

/// `{"code":"upstream-failed"}`
#[contract]
pub struct UpstreamBody {
    /// The house error code.
    pub code: String,
}

/// `GET /status`
pub struct StatusEndpoint;

#[endpoint(path = "/status")]
impl StatusEndpoint {
    /// Always fails: the upstream is down (the app maps that to 503).
    async fn get(&self) -> Result<Infallible, jero::Error> {
        Err(UpstreamFailed)?
    }
}

/// `GET /boom`
pub struct BoomEndpoint;

#[endpoint(path = "/boom")]
impl BoomEndpoint {
    /// Always panics (the generic 500).
    async fn get(&self) -> Infallible {
        panic!("boom: the demo's deliberate panic")
    }
}

/// The demo app.
pub struct Demo {
    tokens: Arc<Tokens>,
}

impl Demo {
    /// The demo with its built-in users.
    pub fn new() -> Demo {
        Demo {
            tokens: Arc::new(Tokens),
        }
    }
}

impl Default for Demo {
    fn default() -> Self {
        Demo::new()
    }
}

impl App for Demo {
    async fn wire(&self, wiring: &mut Wiring) -> Result<(), BoxError> {
        wiring
            .include_endpoint(HealthEndpoint)
            .include_endpoint(TraceEndpoint)
            .include_endpoint(EchoEndpoint)
            .include_resource(UploadResource)
            .include_resource(ItemResource)
            .include_resource(MessageResource {
                next: AtomicU64::new(0),
            })
            .include_resource(DraftResource)
            .include_endpoint(StatusEndpoint)
            .include_endpoint(BoomEndpoint)
            .include_endpoint(jobs::JobsEndpoint)
            .include_resource_with_auth(
                widgets::WidgetResource::default(),
                auth::TokenAuth::new(self.tokens.clone()),
            );
        auth::include(wiring, &self.tokens);
        streams::include(wiring);
        wiring.on_error_as(503, |_: &UpstreamFailed| {
            jero::JsonResponse::new(UpstreamBody {
                code: "upstream-failed".into(),
            })
            .raw_header("Retry-After", "30")
        });
        wiring.include_openapi(
            jero::openapi::OpenApi::new("jero demo", env!("CARGO_PKG_VERSION"))
                .description("The reference app: every part of the framework, as a service would use it.")
                // `/export` streams CSV: a media type set at run time.
                .produces("GET /export", "text/csv")
                // Headers set at run time: the exception handler's
                // `Retry-After` and the session cookie.
                .response_header::<u32>(
                    "GET /status",
                    503,
                    "Retry-After",
                    "Seconds to wait before asking again.",
                )
                .response_header::<String>(
                    "POST /session",
                    204,
                    "Set-Cookie",
                    "The session: `session_id=<token>; Path=/; Secure; HttpOnly; SameSite=Lax`.",
                ),
        );
        Ok(())
    }
}
