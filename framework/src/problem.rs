//! RFC 9457 Problem Details: the one body every error is rendered as.

use std::borrow::Cow;

use bytes::Bytes;
use jero_engine::Response;
use serde::Serialize;

/// The media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// An RFC 9457 Problem Details error: a stable machine `type` code, a
/// human `title`, the HTTP `status`, and for parameterized errors a rendered
/// `detail` plus `params`.
///
/// ```
/// use jero::Problem;
/// let p = Problem::new(409, "widget-exists", "Widget already exists");
/// assert_eq!(p.status(), 409);
/// assert_eq!(p.to_json(), r#"{"type":"widget-exists","title":"Widget already exists","status":409}"#);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    // Boxed: errors are the slow path, and a small `Result<T, Problem>`
    // keeps the binders' happy path lean.
    inner: Box<Inner>,
}

#[derive(Debug, Clone, PartialEq)]
struct Inner {
    status: u16,
    code: Cow<'static, str>,
    title: Cow<'static, str>,
    detail: Option<String>,
    params: Option<serde_json::Value>,
    headers: Vec<(Bytes, Bytes)>,
}

#[derive(Serialize)]
struct Body<'a> {
    #[serde(rename = "type")]
    code: &'a str,
    title: &'a str,
    status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    params: Option<&'a serde_json::Value>,
}

impl Problem {
    /// A problem with a status, a stable `type` code and a title.
    pub fn new(
        status: u16,
        code: impl Into<Cow<'static, str>>,
        title: impl Into<Cow<'static, str>>,
    ) -> Problem {
        Problem {
            inner: Box::new(Inner {
                status,
                code: code.into(),
                title: title.into(),
                detail: None,
                params: None,
                headers: Vec::new(),
            }),
        }
    }

    /// Adds a rendered, human-readable `detail`.
    pub fn with_detail(mut self, detail: impl Into<String>) -> Problem {
        self.inner.detail = Some(detail.into());
        self
    }

    /// Adds `reason` as the `detail` and as `params.reason`: the shape of
    /// every problem the framework words itself (a 400, 415 or 422, the
    /// engine's 408 or 431), so a client reads the reason from one place.
    ///
    /// ```
    /// let p = jero::Problem::new(415, "unsupported-media-type", "Unsupported media type")
    ///     .with_reason("expected a multipart/form-data body");
    /// assert_eq!(p.detail(), Some("expected a multipart/form-data body"));
    /// assert_eq!(p.params().unwrap()["reason"], "expected a multipart/form-data body");
    /// ```
    pub fn with_reason(self, reason: impl Into<String>) -> Problem {
        let reason = reason.into();
        self.with_params(serde_json::json!({ "reason": reason }))
            .with_detail(reason)
    }

    /// Adds machine-readable `params` (a JSON object).
    pub fn with_params(mut self, params: serde_json::Value) -> Problem {
        self.inner.params = Some(params);
        self
    }

    /// Adds a response header sent with the problem (e.g. `Allow`).
    pub fn with_header(mut self, name: impl Into<Bytes>, value: impl Into<Bytes>) -> Problem {
        self.inner.headers.push((name.into(), value.into()));
        self
    }

    /// The HTTP status.
    pub fn status(&self) -> u16 {
        self.inner.status
    }

    /// The stable machine code (the `type` member).
    pub fn code(&self) -> &str {
        &self.inner.code
    }

    /// The title.
    pub fn title(&self) -> &str {
        &self.inner.title
    }

    /// The rendered detail, if any.
    pub fn detail(&self) -> Option<&str> {
        self.inner.detail.as_deref()
    }

    /// The params, if any.
    pub fn params(&self) -> Option<&serde_json::Value> {
        self.inner.params.as_ref()
    }

    /// Headers sent with the problem (e.g. `Allow`).
    pub fn headers(&self) -> &[(Bytes, Bytes)] {
        &self.inner.headers
    }

    /// The body as JSON text.
    pub fn to_json(&self) -> String {
        let body = Body {
            code: &self.inner.code,
            title: &self.inner.title,
            status: self.inner.status,
            detail: self.inner.detail.as_deref(),
            params: self.inner.params.as_ref(),
        };
        sonic_rs::to_string(&body).unwrap_or_else(|_| {
            r#"{"type":"internal-server-error","title":"Internal server error","status":500}"#.to_owned()
        })
    }

    /// Renders the problem as an `application/problem+json` response (a
    /// `content-type` among its headers replaces that one).
    pub fn into_response(self) -> Response {
        const PROBLEM_CONTENT: jero_engine::StaticHeader =
            jero_engine::StaticHeader::new("content-type", PROBLEM_JSON);
        let mut res = Response::new(self.inner.status);
        res.set_body(self.to_json());
        if !self.sets_content_type() {
            res.append_static(&PROBLEM_CONTENT);
        }
        for (n, v) in self.inner.headers {
            res.append_header(n, v);
        }
        res
    }

    /// Whether one of its headers is `content-type`.
    pub(crate) fn sets_content_type(&self) -> bool {
        self.inner
            .headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case(b"content-type"))
    }

    /// 404 `not-found`.
    pub fn not_found() -> Problem {
        Problem::new(404, "not-found", "Not found")
    }

    /// 405 `method-not-allowed`, with the `Allow` header.
    pub fn method_not_allowed(allow: Bytes) -> Problem {
        Problem::new(405, "method-not-allowed", "Method not allowed").with_header("allow", allow)
    }

    /// 400 `malformed-request`; `reason` names the failing field, never its value.
    pub fn malformed(reason: impl Into<String>) -> Problem {
        Problem::new(400, "malformed-request", "Malformed request").with_reason(reason)
    }

    /// 422 `validation-failed`; `reason` names the failing field, never its value.
    pub fn validation_failed(reason: impl Into<String>) -> Problem {
        Problem::new(422, "validation-failed", "Validation failed").with_reason(reason)
    }

    /// 500 `internal-server-error` (never carries details of the cause).
    pub fn internal() -> Problem {
        Problem::new(500, "internal-server-error", "Internal server error")
    }
}

/// Whether `status` is an error's: 400-599.
pub(crate) const fn error_status(status: u16) -> bool {
    matches!(status, 400..=599)
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.inner.status, self.inner.code)?;
        if let Some(d) = &self.inner.detail {
            write!(f, ": {d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Problem {}
