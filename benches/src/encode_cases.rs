//! The values of the `encode_response` group (`benches/encode.rs`), shared
//! with `perf/probes/encode-ab`, which counts and times the same cases.

use std::borrow::Cow;

use jero::{contract, IntoResponse, JsonResponse};

/// The body: a four-field contract.
#[contract]
#[derive(Clone)]
pub struct Widget {
    /// `w-42`
    pub id: String,
    /// `gizmo`
    pub name: String,
    /// 1999
    pub price_cents: u32,
    /// `true`
    pub in_stock: bool,
}

/// One typed header: `x-rate-limit`.
#[contract]
pub struct OneHeader {
    /// `x-rate-limit: 100`
    pub x_rate_limit: u32,
}

/// The target's two typed headers: a number and an owned string.
#[contract]
pub struct RateHeaders {
    /// `x-rate-limit: 100`
    pub x_rate_limit: u32,
    /// `x-request-id: req-7f3a`, a `String` freed with the value.
    pub x_request_id: String,
}

/// [`RateHeaders`] with a borrowed id: the same bytes, without the
/// `String`'s allocation and `free`.
#[contract(output)]
pub struct CowHeaders {
    /// `x-rate-limit: 100`
    pub x_rate_limit: u32,
    /// `x-request-id: req-7f3a`, borrowed.
    pub x_request_id: Cow<'static, str>,
}

/// The request id both header structs send.
pub const REQUEST_ID: &str = "req-7f3a";

/// The body every case starts from.
pub fn widget() -> Widget {
    Widget {
        id: "w-42".into(),
        name: "gizmo".into(),
        price_cents: 1999,
        in_stock: true,
    }
}

/// The bare wrapper.
pub fn bare(widget: Widget) -> JsonResponse<Widget> {
    JsonResponse::new(widget)
}

/// The wrapper with [`OneHeader`].
pub fn one_header(widget: Widget) -> JsonResponse<Widget, OneHeader> {
    JsonResponse::new(widget).headers(OneHeader { x_rate_limit: 100 })
}

/// The target: the wrapper with [`RateHeaders`].
pub fn two_headers(widget: Widget) -> JsonResponse<Widget, RateHeaders> {
    JsonResponse::new(widget).headers(RateHeaders {
        x_rate_limit: 100,
        x_request_id: REQUEST_ID.to_owned(),
    })
}

/// The wrapper with [`CowHeaders`].
pub fn cow_headers(widget: Widget) -> JsonResponse<Widget, CowHeaders> {
    JsonResponse::new(widget).headers(CowHeaders {
        x_rate_limit: 100,
        x_request_id: Cow::Borrowed(REQUEST_ID),
    })
}

/// Converts `value` as the framework does with a handler's return value
/// and encodes it into `out` (cleared first), by reference, as the server
/// does.
///
/// ```
/// use jero_benches::encode_cases::{encode_into, two_headers, widget};
/// let mut out = Vec::new();
/// jero::__private::with_detached_cx(200, |cx| encode_into(two_headers(widget()), cx, &mut out));
/// let text = String::from_utf8(out).unwrap();
/// assert!(text.contains("x-rate-limit: 100\r\nx-request-id: req-7f3a\r\ncontent-type: application/json\r\n"));
/// assert!(text.ends_with(r#"{"id":"w-42","name":"gizmo","price_cents":1999,"in_stock":true}"#));
/// ```
///
/// Never inlined: each case runs the same call, whatever LLVM decides for
/// its closure, and callgrind counts the case's instructions per call in
/// the bench binary itself (`bash perf/encode-instructions.sh`).
#[inline(never)]
pub fn encode_into(value: impl IntoResponse, cx: &jero::RequestCx<'_>, out: &mut Vec<u8>) {
    out.clear();
    let mut res = value.into_response(cx);
    let stream = jero::engine::encode_response(&mut res, false, out);
    debug_assert!(stream.is_none());
}
