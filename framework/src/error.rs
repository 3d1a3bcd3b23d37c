//! Errors as values: typed application errors, the built-in ones, boxed
//! foreign errors, exception handlers, and the app's error format.

use std::any::{Any, TypeId};
use std::sync::Arc;

use jero_engine::Response;

use crate::binding::RequestCx;
use crate::problem::Problem;
use crate::response::{ContentSpec, IntoResponse, ResponseSpec, Responses};

/// An application error with a fixed status, a stable `type` code and a
/// title; parameterized errors add a rendered `detail` and typed `params`.
///
/// Declare one with [`#[jero::error]`](crate::error):
///
/// ```
/// #[jero::error(status = 404, code = "widget-not-found", title = "Widget not found",
///               detail = "Widget {widget_id} not found")]
/// #[serde(rename_all = "camelCase")]
/// struct WidgetNotFound {
///     widget_id: String,
/// }
///
/// use jero::ApiError;
/// let p = WidgetNotFound { widget_id: "w1".into() }.to_problem();
/// assert_eq!(
///     p.to_json(),
///     r#"{"type":"widget-not-found","title":"Widget not found","status":404,"detail":"Widget w1 not found","params":{"widgetId":"w1"}}"#
/// );
/// ```
pub trait ApiError: Send + Sync + 'static {
    /// The HTTP status.
    const STATUS: u16;
    /// The stable machine code (`type`).
    const CODE: &'static str;
    /// The human title.
    const TITLE: &'static str;

    /// The rendered detail, for parameterized errors.
    fn detail(&self) -> Option<String> {
        None
    }

    /// The params, for parameterized errors (serde renames honored).
    fn params(&self) -> Option<serde_json::Value> {
        None
    }

    /// The problem document.
    fn to_problem(&self) -> Problem {
        let mut p = Problem::new(Self::STATUS, Self::CODE, Self::TITLE);
        if let Some(d) = self.detail() {
            p = p.with_detail(d);
        }
        if let Some(params) = self.params() {
            p = p.with_params(params);
        }
        p
    }

    /// The schema of the params, if any (for OpenAPI).
    fn params_schema(_generator: &mut schemars::SchemaGenerator) -> Option<schemars::Schema> {
        None
    }
}

/// Renders an [`ApiError`], through the app's exception handler for its
/// type when one is registered. Used by the `#[jero::error]` expansion.
pub fn render_api_error<E: ApiError>(error: E, cx: &RequestCx<'_>) -> Response {
    match cx.exception_handler(TypeId::of::<E>()) {
        Some(handler) => handler.handle(&error, cx),
        None => cx.reject(error.to_problem()),
    }
}

/// The response of the exception handler registered for `E`, if there is
/// one. Used by `#[derive(IntoResponse)]` on an enum (a handler for the
/// enum takes all its variants).
#[inline]
pub fn handle_error<E: Any>(error: &E, cx: &RequestCx<'_>) -> Option<Response> {
    cx.exception_handler(TypeId::of::<E>())
        .map(|handler| handler.handle(error, cx))
}

/// Describes an [`ApiError`] response. Used by the `#[jero::error]` expansion.
pub fn describe_api_error<E: ApiError>(r: &mut Responses<'_>) {
    let content = match E::params_schema(r.generator) {
        Some(params) => ContentSpec::ProblemWithParams(params),
        None => ContentSpec::Problem,
    };
    r.specs.push(ResponseSpec::new(
        Some(E::STATUS),
        content,
        std::any::type_name::<E>(),
    ));
}

/// Any error, boxed: the `?`-friendly error type for handlers whose
/// failures come from other libraries. An app maps such errors to typed
/// responses with [`Wiring::on_error`](crate::Wiring::on_error); an error
/// without a handler is the generic 500 (its cause is logged, never sent).
///
/// ```
/// #[derive(Debug)]
/// struct Upstream;
/// impl std::fmt::Display for Upstream {
///     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str("upstream down") }
/// }
/// impl std::error::Error for Upstream {}
///
/// fn call() -> Result<(), jero::Error> {
///     Err(Upstream)?
/// }
/// assert!(call().unwrap_err().is::<Upstream>());
/// ```
pub struct Error {
    inner: Box<dyn AnyError>,
}

trait AnyError: std::error::Error + Send + Sync + 'static {
    fn as_any(&self) -> &dyn Any;
}

impl<E: std::error::Error + Send + Sync + 'static> AnyError for E {
    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl<E: std::error::Error + Send + Sync + 'static> From<E> for Error {
    fn from(e: E) -> Error {
        Error { inner: Box::new(e) }
    }
}

impl Error {
    /// Whether the boxed error is an `E`.
    pub fn is<E: 'static>(&self) -> bool {
        self.inner.as_any().is::<E>()
    }

    /// The boxed error as an `E`, if it is one.
    pub fn downcast_ref<E: 'static>(&self) -> Option<&E> {
        self.inner.as_any().downcast_ref::<E>()
    }
}

impl std::fmt::Debug for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&self.inner, f)
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&self.inner, f)
    }
}

impl IntoResponse for Error {
    const IS_ERROR: bool = true;

    fn into_response(self, cx: &RequestCx<'_>) -> Response {
        let any = self.inner.as_any();
        if let Some(handler) = cx.exception_handler(any.type_id()) {
            return handler.handle(any, cx);
        }
        if let Some(p) = any.downcast_ref::<Problem>() {
            return cx.reject(p.clone());
        }
        // A handler for `jero::Error` itself takes the rest.
        if let Some(handler) = cx.exception_handler(TypeId::of::<Error>()) {
            return handler.handle(&self, cx);
        }
        tracing::error!(error = %self.inner, route = cx.route(), "unhandled error; answering 500");
        cx.reject(Problem::internal())
    }

    fn describe(r: &mut Responses<'_>) {
        r.specs
            .push(ResponseSpec::new(Some(500), ContentSpec::Problem, BOXED_ERROR));
    }
}

/// The `type_name` of [`Error`]'s response spec: the OpenAPI document puts
/// the handlers for boxed errors where it finds it.
pub(crate) const BOXED_ERROR: &str = "jero::Error";

/// An exception handler, type-erased.
pub(crate) trait Handler: Send + Sync {
    fn handle(&self, error: &dyn Any, cx: &RequestCx<'_>) -> Response;
}

pub(crate) struct TypedHandler<E, F, R> {
    pub(crate) f: F,
    /// The status declared with [`Wiring::on_error_as`](crate::Wiring::on_error_as):
    /// every response of the handler gets it.
    pub(crate) status: Option<u16>,
    pub(crate) _marker: std::marker::PhantomData<fn(&E) -> R>,
}

impl<E, F, R> Handler for TypedHandler<E, F, R>
where
    E: 'static,
    F: Fn(&E) -> R + Send + Sync,
    R: IntoResponse,
{
    fn handle(&self, error: &dyn Any, cx: &RequestCx<'_>) -> Response {
        let Some(e) = error.downcast_ref::<E>() else {
            return cx.reject(Problem::internal());
        };
        // An `E` the handler's response raises skips this handler.
        let active = crate::binding::ActiveHandler {
            error: TypeId::of::<E>(),
            outer: cx.active,
        };
        let cx = &RequestCx {
            active: Some(&active),
            ..*cx
        };
        let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let mut res = (self.f)(e).into_response(cx);
            if let Some(status) = self.status {
                res.set_status(status);
            }
            res
        }));
        match out {
            Ok(res) if crate::problem::error_status(res.status()) && !res.is_invalid() => res,
            Ok(res) => {
                let why = match res.is_invalid() {
                    true => {
                        "a header the engine refuses (a value with CR, LF or another control byte, \
                             or a name that is not a token): send only valid header values"
                    }
                    false => "a status outside 400-599: an exception handler answers with an error status",
                };
                tracing::error!(
                    status = res.status(),
                    error_type = std::any::type_name::<E>(),
                    "exception handler answered {why}; answering 500"
                );
                cx.reject(Problem::internal())
            }
            Err(payload) => {
                tracing::error!(
                    panic = jero_engine::panic_message(&payload),
                    error_type = std::any::type_name::<E>(),
                    "exception handler panicked; answering 500"
                );
                cx.reject(Problem::internal())
            }
        }
    }
}

/// The exception handlers of an app, by error type.
#[derive(Default, Clone)]
pub(crate) struct Handlers {
    by_type: Vec<(TypeId, &'static str, Arc<dyn Handler>)>,
}

impl Handlers {
    #[inline]
    pub(crate) fn find(&self, id: TypeId) -> Option<&dyn Handler> {
        if self.by_type.is_empty() {
            return None;
        }
        self.by_type
            .iter()
            .find(|(t, _, _)| *t == id)
            .map(|(_, _, h)| &**h)
    }

    pub(crate) fn insert(&mut self, id: TypeId, name: &'static str, h: Arc<dyn Handler>) -> Result<(), ()> {
        if self.by_type.iter().any(|(t, _, _)| *t == id) {
            return Err(());
        }
        self.by_type.push((id, name, h));
        Ok(())
    }
}

/// The built-in errors, ready to return from handlers.
pub mod errors {
    /// 404 `not-found`.
    #[crate::error(status = 404, code = "not-found", title = "Not found")]
    pub struct NotFound;

    /// 405 `method-not-allowed`.
    #[crate::error(status = 405, code = "method-not-allowed", title = "Method not allowed")]
    pub struct MethodNotAllowed;

    /// 400 `malformed-request`: `reason` names the failing field, never its value.
    #[crate::error(
        status = 400,
        code = "malformed-request",
        title = "Malformed request",
        detail = "{reason}"
    )]
    pub struct MalformedRequest {
        /// What was malformed.
        pub reason: String,
    }

    /// 422 `validation-failed`: `reason` names the failing field, never its value.
    #[crate::error(
        status = 422,
        code = "validation-failed",
        title = "Validation failed",
        detail = "{reason}"
    )]
    pub struct ValidationFailed {
        /// What failed validation.
        pub reason: String,
    }

    /// 401 `authentication-required`.
    #[crate::error(
        status = 401,
        code = "authentication-required",
        title = "Authentication required"
    )]
    pub struct AuthenticationRequired;

    /// 403 `forbidden`.
    #[crate::error(status = 403, code = "forbidden", title = "Forbidden")]
    pub struct Forbidden;

    /// 409 `conflict`.
    #[crate::error(status = 409, code = "conflict", title = "Conflict")]
    pub struct Conflict;

    /// 410 `gone`.
    #[crate::error(status = 410, code = "gone", title = "Gone")]
    pub struct Gone;

    /// 429 `too-many-requests`.
    #[crate::error(status = 429, code = "too-many-requests", title = "Too many requests")]
    pub struct TooManyRequests;

    /// 415 `unsupported-media-type`.
    #[crate::error(
        status = 415,
        code = "unsupported-media-type",
        title = "Unsupported media type"
    )]
    pub struct UnsupportedMediaType;

    /// 413 `payload-too-large`.
    #[crate::error(status = 413, code = "payload-too-large", title = "Payload too large")]
    pub struct PayloadTooLarge;

    /// 500 `internal-server-error` (carries nothing of the cause).
    #[crate::error(status = 500, code = "internal-server-error", title = "Internal server error")]
    pub struct InternalServerError;
}
