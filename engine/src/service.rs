//! The one trait between the engine and whatever serves requests.

use std::future::Future;

use crate::{Request, Response};

/// Serves requests on one worker thread.
///
/// The engine builds one service per worker (see
/// [`Server::serve`](crate::Server::serve)) and calls it for every request the
/// worker's connections receive, one request at a time per connection. The
/// futures run on that worker's thread only, so neither the service nor its
/// futures need to be `Send`; share state between workers with `Arc`.
///
/// ```
/// use jero_engine::{Request, Response, Service};
///
/// struct Hello;
///
/// impl Service for Hello {
///     async fn call(&self, req: Request) -> Response {
///         match req.path() {
///             "/" => Response::new(200)
///                 .with_header("content-type", "text/plain")
///                 .with_body("hello"),
///             _ => Response::new(404),
///         }
///     }
/// }
/// ```
pub trait Service: 'static {
    /// Answers one request.
    fn call(&self, req: Request) -> impl Future<Output = Response>;

    /// Looks at a request's head before its body is read, when the body
    /// has not all arrived with the head (or is chunked, or over the size
    /// limit). An answer here (a 404, a 401, ...) is sent at once: the body
    /// is not read, no `100 Continue` is sent for it, and the connection
    /// closes after the answer (what the client still sends is read and
    /// dropped for a moment, so that it gets the answer rather than a
    /// reset). `None` reads the body, then [`Service::call`] answers. `req`
    /// has an empty body; what the service finds here and wants again in
    /// `call` it keeps with [`Request::carry`]. The default: `None`.
    ///
    /// ```
    /// use jero_engine::{Request, Response, Service};
    /// struct Uploads;
    /// impl Service for Uploads {
    ///     async fn call(&self, req: Request) -> Response {
    ///         Response::new(201).with_body(format!("{} bytes", req.body().len()))
    ///     }
    ///     // Only /uploads takes a body: anything else is refused unread.
    ///     async fn before_body(&self, req: &mut Request) -> Option<Response> {
    ///         (req.path() != "/uploads").then(|| Response::new(404))
    ///     }
    /// }
    /// ```
    fn before_body(&self, req: &mut Request) -> impl Future<Output = Option<Response>> {
        let _ = req;
        std::future::ready(None)
    }

    /// Renders an error the engine answers by itself, before or instead of
    /// calling the service: a malformed head (400), an unsupported version
    /// (505), limits (413, 414, 431), a body-read timeout (408). The
    /// connection is closed after it. The default renders an RFC 9457
    /// Problem Details body; a framework overrides it to keep one error format.
    fn engine_error(&self, status: u16, reason: &'static str) -> Response {
        default_error_response(status, reason)
    }
}

/// What the engine sends for a request it rejects (or whose service
/// panicked): `service`'s rendering of the error, or, if that panics too,
/// [`default_error_response`] (the panic is logged; the caller never
/// unwinds). In-process drivers (a test client) call it to answer as the
/// engine does.
///
/// ```
/// let res = jero_engine::render_engine_error(&jero_engine::service_fn(|_| async {
///     jero_engine::Response::new(200)
/// }), 413, "request body too large");
/// assert_eq!(res.status(), 413);
/// ```
pub fn render_engine_error<S: Service + ?Sized>(service: &S, status: u16, reason: &'static str) -> Response {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        service.engine_error(status, reason)
    }))
    .unwrap_or_else(|payload| {
        tracing::error!(
            panic = crate::panic::panic_message(&payload),
            "the service's error rendering panicked; sending the engine's default"
        );
        default_error_response(status, reason)
    })
}

/// The Problem Details `type` code and `title` of an error status the
/// engine answers by itself (a bad request, a timeout, a limit, an
/// unsupported feature), titles in sentence case as the framework's own
/// ("Not found"). Any other status (the engine sends none) is
/// `malformed-request` titled with its reason phrase.
///
/// ```
/// assert_eq!(jero_engine::engine_problem(414), ("uri-too-long", "URI too long"));
/// assert_eq!(jero_engine::engine_problem(400), ("malformed-request", "Malformed request"));
/// assert_eq!(jero_engine::engine_problem(409), ("malformed-request", "Conflict"));
/// ```
pub fn engine_problem(status: u16) -> (&'static str, &'static str) {
    match status {
        408 => ("request-timeout", "Request timeout"),
        413 => ("payload-too-large", "Payload too large"),
        414 => ("uri-too-long", "URI too long"),
        417 => ("expectation-failed", "Expectation failed"),
        431 => (
            "request-header-fields-too-large",
            "Request header fields too large",
        ),
        500 => ("internal-server-error", "Internal server error"),
        501 => ("not-implemented", "Not implemented"),
        505 => ("http-version-not-supported", "HTTP version not supported"),
        400 => ("malformed-request", "Malformed request"),
        other => ("malformed-request", crate::response::reason_phrase(other)),
    }
}

/// The engine's own error body: `application/problem+json` with a stable
/// `type` code and title ([`engine_problem`]), the status, and the engine's
/// short reason as `detail` (repeated as `params.reason`). Never quotes input.
///
/// ```
/// let res = jero_engine::default_error_response(413, "request body too large");
/// assert_eq!(res.status(), 413);
/// assert_eq!(res.header("content-type"), Some(&b"application/problem+json"[..]));
/// ```
pub fn default_error_response(status: u16, reason: &'static str) -> Response {
    let (code, title) = engine_problem(status);
    let body = format!(
        "{{\"type\":\"{code}\",\"title\":\"{title}\",\"status\":{status},\"detail\":\"{reason}\",\"params\":{{\"reason\":\"{reason}\"}}}}"
    );
    Response::new(status)
        .with_header("content-type", "application/problem+json")
        .with_body(body)
}

/// A [`Service`] made from an async closure-like function.
///
/// ```
/// use jero_engine::{service_fn, Request, Response};
/// let svc = service_fn(|req: Request| async move {
///     Response::new(200).with_body(format!("you asked for {}", req.path()))
/// });
/// # let _ = svc;
/// ```
pub fn service_fn<F, Fut>(f: F) -> ServiceFn<F>
where
    F: Fn(Request) -> Fut + 'static,
    Fut: Future<Output = Response>,
{
    ServiceFn(f)
}

/// See [`service_fn`].
#[derive(Clone, Copy, Debug)]
pub struct ServiceFn<F>(F);

impl<F, Fut> Service for ServiceFn<F>
where
    F: Fn(Request) -> Fut + 'static,
    Fut: Future<Output = Response>,
{
    #[inline]
    fn call(&self, req: Request) -> impl Future<Output = Response> {
        (self.0)(req)
    }
}

impl<S: Service> Service for std::rc::Rc<S> {
    #[inline]
    fn call(&self, req: Request) -> impl Future<Output = Response> {
        (**self).call(req)
    }

    fn engine_error(&self, status: u16, reason: &'static str) -> Response {
        (**self).engine_error(status, reason)
    }
}

impl<S: Service> Service for std::sync::Arc<S> {
    #[inline]
    fn call(&self, req: Request) -> impl Future<Output = Response> {
        (**self).call(req)
    }

    fn engine_error(&self, status: u16, reason: &'static str) -> Response {
        (**self).engine_error(status, reason)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Custom;

    impl Service for Custom {
        async fn call(&self, _req: Request) -> Response {
            Response::new(200)
        }

        fn engine_error(&self, status: u16, _reason: &'static str) -> Response {
            Response::new(status).with_header("x-custom", "yes")
        }
    }

    #[test]
    fn shared_services_keep_their_error_rendering() {
        let rc = std::rc::Rc::new(Custom);
        assert_eq!(rc.engine_error(413, "big").header("x-custom"), Some(&b"yes"[..]));
        let arc = std::sync::Arc::new(Custom);
        assert_eq!(arc.engine_error(400, "bad").header("x-custom"), Some(&b"yes"[..]));
    }
}
