//! # jero
//!
//! A web framework for typed JSON/REST APIs, on a thread-per-core io_uring
//! HTTP/1.1 engine ([`jero_engine`]).
//!
//! jero is prescriptive: a **resource** is an impl block marked once with its
//! path, whose method names carry the HTTP semantics; an **endpoint** has
//! bare verb methods on one exact path; handler arguments bind **by name**;
//! everything that crosses the wire is a declared **contract**. All
//! introspection happens once, at wiring, so a request only goes
//! `parse -> route -> decode -> call -> encode`.
//!
//! ```
//! use jero::{contract, resource, App, BoxError, Wiring};
//!
//! #[contract]
//! struct WidgetPath {
//!     widget_id: String,
//! }
//!
//! #[contract]
//! struct Widget {
//!     id: String,
//!     name: String,
//! }
//!
//! struct WidgetResource;
//!
//! #[resource(path = "/widgets")]
//! impl WidgetResource {
//!     // GET /widgets/{widget_id}
//!     async fn read_one(&self, path: WidgetPath) -> Widget {
//!         Widget { id: path.widget_id, name: "widget-name".into() }
//!     }
//! }
//!
//! struct MyApp;
//!
//! impl App for MyApp {
//!     async fn wire(&self, wiring: &mut Wiring) -> Result<(), BoxError> {
//!         wiring.include_resource(WidgetResource);
//!         Ok(())
//!     }
//! }
//! # let wired = jero::serve::block_on(jero::wire(&MyApp)).unwrap().unwrap();
//! # let _ = wired;
//! ```
//!
//! ## Resources
//!
//! | method | HTTP | default status | URL |
//! | --- | --- | --- | --- |
//! | `create` | POST | 201 | the mount path |
//! | `read_many` | GET | 200 | the mount path |
//! | `read_one` | GET | 200 | mount path + item slot |
//! | `update` | PUT | 200 | mount path + item slot |
//! | `partial_update` | PATCH | 200 | mount path + item slot |
//! | `delete` | DELETE | 200 | mount path + item slot |
//!
//! The mount path may have `{slot}`s (snake_case). An item operation's
//! `path` struct has a field for each slot plus the fields that extend the
//! URL (the item id): `path: WidgetPath { widget_id }` on `/widgets` is
//! `/widgets/{widget_id}`. For `create`, `read_many` and endpoints the path
//! is exact.
//!
//! ## Binding by name
//!
//! | argument | source | type |
//! | --- | --- | --- |
//! | `path` | URL slots, percent-decoded | a contract struct |
//! | `params` | query string (repeated keys into a `Vec`) | a contract struct |
//! | `headers` | headers: `X-Trace-Id` binds `x_trace_id` | a contract struct |
//! | `cookies` | the `Cookie` header, names verbatim | a contract struct |
//! | `raw_headers` | headers as sent | [`RawHeaders`] |
//! | `json` | the body, JSON | a contract struct (or a `Vec` of them) |
//! | `content` | the body, raw | [`Bytes`], `Vec<u8>` or `String` |
//! | `form` | a `multipart/form-data` body, parts by name | a contract struct of parts ([`FilePart`], [`FormPart`], ...) |
//! | `user` | the route's authenticator ([`auth`]) | its user type (`Option` behind optional auth) |
//!
//! `json`, `content` and `form` are mutually exclusive and not allowed on
//! GET or DELETE (a compile error says so). Serde attributes such as
//! `#[serde(rename_all = "camelCase")]` are honored by every source.
//!
//! ## REST semantics
//!
//! Unmatched URL 404; a path value that does not convert 404; known path
//! with the wrong method 405 with `Allow`; malformed query, headers, cookies
//! or JSON 400; well-formed JSON that breaks the schema 422 (the `detail`
//! names the failing field's path, never the value); `create` 201; else
//! 200. HEAD is served from GET without a body; OPTIONS answers 204 with
//! `Allow`. Errors are RFC 9457 Problem Details ([`Problem`]). A JSON body
//! is never a free-form map: returning one is a startup [`WiringError`].
//!
//! ## Wiring and state
//!
//! See [`app`](crate::App) for where `wire` runs under thread-per-core and
//! how state is shared between workers: once, on the starting thread; every
//! worker shares the same resource instances. Services are plain
//! constructor arguments of your app type (no DI container): a test passes
//! stand-ins the same way.

extern crate self as jero;

mod app;
pub mod auth;
mod binding;
mod contract;
mod cookie;
mod error;
mod headers;
pub mod openapi;
mod problem;
mod response;
mod router;
pub mod serve;
mod template;
pub mod validate;
mod wrappers;

pub use app::{
    wire, App, ArgSpec, BoxError, Endpoint, InfoFn, OpKind, OperationDef, Resource, Teardown, Teardowns,
    Wired, Wiring, WiringError,
};
pub use auth::Authenticator;
pub use binding::{
    FieldError, FilePart, FormPart, FromContent, JsonInput, PartHeaders, RawHeaders, RequestCx,
};
pub use bytes::Bytes;
pub use contract::Contract;
pub use cookie::{SameSite, SetCookie};
pub use error::{errors, ApiError, Error};
pub use headers::HeaderContract;
pub use jero_macros::{authenticator, contract, endpoint, error, resource, IntoResponse};
pub use problem::{Problem, PROBLEM_JSON};
pub use response::{
    ContentSpec, ContractInfo, HeaderSpec, IntoResponse, ResponseSpec, Responses, APPLICATION_JSON,
    OCTET_STREAM, TEXT_PLAIN,
};
pub use router::{AppService, BeforeBody, BeforeBodyFn, BoxFuture, HandlerFn, Router};
pub use serve::{serve, Bound, Serve, ServeError};
pub use wrappers::{
    Accepted, BytesResponse, Created, JsonBody, JsonResponse, NdjsonResponse, NoContent, SseEvent,
    SseResponse, Stream, StreamingResponse, APPLICATION_NDJSON, TEXT_EVENT_STREAM,
};

/// Re-exported so users need no direct dependency on the engine.
pub use jero_engine as engine;
/// A background task on the calling worker whose panic is logged, not fatal
/// to the worker (see [`engine::spawn`]).
pub use jero_engine::spawn;
/// Blocking work on a thread of a shared pool, awaited from a handler; a
/// panic in it is logged and gives `None` (see [`engine::spawn_blocking`]).
pub use jero_engine::spawn_blocking;

/// Items used by the macros' generated code. Not a stable API.
#[doc(hidden)]
pub mod __private {
    pub use crate::app::respond;
    pub use crate::auth::{
        credentials_missing, missing_user, pass_gate, pass_gate_before_body, AcceptsUser, Authenticator,
        Gate, Public, Users, BEARER_CHALLENGE,
    };
    pub use crate::binding::{
        bind_content, bind_cookies, bind_form, bind_headers, bind_json, bind_params, bind_path,
        bind_raw_headers, credentials_absent,
    };
    pub use crate::cookie::COOKIE_VALUE_ESCAPES;
    pub use crate::error::{describe_api_error, handle_error, render_api_error};
    pub use crate::headers::{
        header_name, header_name_len, kebab_into, line_prefix, write_typed_header, FieldHeader, HeaderField,
        HeaderScalar, ScalarField, SerdeField,
    };
    pub use crate::openapi::{credentials_of, security_schemes, Credential};
    pub use crate::response::{contract_info, describe_variant};
    pub use crate::{ArgSpec, BeforeBody, BoxFuture, OpKind, OperationDef, RequestCx};
    pub use jero_engine::{HeaderName, LinePrefix, Method, Response, ResponseBuf, StaticHeader};
    pub use schemars;
    pub use serde;
    pub use serde_json;

    /// For arguments with no schema.
    pub fn no_contract(_: &mut schemars::SchemaGenerator) -> crate::ContractInfo {
        crate::ContractInfo {
            type_name: "",
            schema: schemars::Schema::default(),
            fields: Vec::new(),
            required: Vec::new(),
            is_struct: false,
        }
    }

    /// The responses a return type describes.
    pub fn describe_responses<T: crate::IntoResponse>(r: &mut crate::Responses<'_>) {
        T::describe(r)
    }

    /// Runs `f` with a request context that belongs to no route (for
    /// benchmarks and tests of `IntoResponse` implementations).
    pub fn with_detached_cx<R>(default_status: u16, f: impl FnOnce(&crate::RequestCx<'_>) -> R) -> R {
        let req = parse_request(b"GET / HTTP/1.1\r\nhost: detached\r\n\r\n");
        let meta = crate::router::OpMeta {
            slot_keys: Box::new([]),
            default_status,
            owner: "detached".into(),
            route: "GET /".into(),
        };
        let app = crate::router::AppShared::default();
        let cx = crate::RequestCx {
            req: &req,
            slots: &[],
            meta: &meta,
            app: &app,
            active: None,
            early: None,
        };
        f(&cx)
    }

    /// Parses a complete raw request (for doc examples and tests).
    pub fn parse_request(raw: &'static [u8]) -> jero_engine::Request {
        jero_engine::Request::parse(raw).expect("a complete request")
    }
}
