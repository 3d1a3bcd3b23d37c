//! Streamed responses: raw byte chunks ([`StreamingResponse`]), one JSON
//! line per item ([`NdjsonResponse`]) and Server-Sent Events
//! ([`SseResponse`]). Each is sent with chunked transfer coding (delimited
//! by closing the connection for HTTP/1.0 clients), each chunk as soon as
//! no further one is ready.
//!
//! **Teardown.** A stream is dropped when it ends, when it fails, when the
//! client goes away mid-stream (noticed when a write fails, or, while the
//! stream has nothing to send, by the socket closing), and when it never
//! starts (a HEAD request, whose stream is never polled). A client that
//! sends bytes of its own during the stream (a pipelined request) is not
//! watched further: it is noticed at the next write. Whatever the stream owns is dropped with
//! it, so a per-stream resource is torn down in its `Drop`: open it on the
//! stream's first poll, and a HEAD request never opens it.
//!
//! **Errors.** An item that fails (a `try_new` stream's `Err`, an item that
//! does not serialize, a panic while producing one) is logged and cuts the
//! stream: the client sees the body end without its last chunk, which a
//! chunked-coding client reads as an incomplete response. The worker and
//! its other connections go on.
//!
//! The wrappers take any [`Stream`] (`futures-core`'s trait, re-exported);
//! `futures::stream::iter`, `unfold` and the like make one from an iterator
//! or a closure.

use std::future::Future as _;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{BufMut, Bytes, BytesMut};
use jero_engine::{Body, BoxError, Response, StaticHeader};
use serde::Serialize;

pub use futures_core::Stream;

use super::{ContentType, Extra, Extras};
use crate::binding::RequestCx;
use crate::contract::Contract;
use crate::cookie::SetCookie;
use crate::headers::HeaderContract;
use crate::response::{ContentSpec, IntoResponse, ResponseSpec, Responses, OCTET_CONTENT, OCTET_STREAM};
use jero_engine::HeaderBytes;

/// `application/x-ndjson`
pub const APPLICATION_NDJSON: &str = "application/x-ndjson";
/// `text/event-stream`
pub const TEXT_EVENT_STREAM: &str = "text/event-stream";

const NDJSON_CONTENT: StaticHeader = StaticHeader::new("content-type", APPLICATION_NDJSON);
const EVENT_STREAM_CONTENT: StaticHeader = StaticHeader::new("content-type", TEXT_EVENT_STREAM);
/// SSE responses must not be cached or transformed on the way.
const NO_CACHE: StaticHeader = StaticHeader::new("cache-control", "no-cache");

/// Items that are ready at once are encoded into one chunk, up to this
/// many bytes (a chunk per item would cost a chunk header and a write
/// check each; bigger chunks would hold items back from the client).
const COALESCE: usize = 16 * 1024;

type ChunkStream = Pin<Box<dyn Stream<Item = Result<Bytes, BoxError>>>>;

/// A response whose body is a stream of byte chunks, each sent as it is
/// produced (`application/octet-stream` unless
/// [`content_type`](StreamingResponse::content_type) says otherwise). With
/// typed headers `H`, cookies, raw headers and a status, like the other
/// wrappers.
///
/// ```
/// use jero::{endpoint, StreamingResponse};
/// # use jero::{App, BoxError, Wiring};
///
/// struct Export;
///
/// #[endpoint(path = "/export")]
/// impl Export {
///     async fn get(&self) -> StreamingResponse {
///         let chunks = futures_util::stream::iter(["id,name\n", "1,gizmo\n"]);
///         StreamingResponse::new(chunks).content_type("text/csv")
///     }
/// }
/// # struct MyApp;
/// # impl App for MyApp {
/// #     async fn wire(&self, w: &mut Wiring) -> Result<(), BoxError> { w.include_endpoint(Export); Ok(()) }
/// # }
/// let client = jero_testing::TestClient::new(MyApp);
/// let res = client.get("/export").send();
/// assert_eq!(res.header("content-type"), Some("text/csv"));
/// assert_eq!(res.text(), "id,name\n1,gizmo\n");
/// ```
pub struct StreamingResponse<H = ()> {
    body: (ChunkStream, ContentType),
    headers: H,
    extras: Extras,
}

impl StreamingResponse {
    /// Streams `chunks`, which cannot fail.
    pub fn new<S, B>(chunks: S) -> StreamingResponse
    where
        S: Stream<Item = B> + 'static,
        B: Into<Bytes>,
    {
        StreamingResponse::from_stream(Box::pin(Infallible { chunks }))
    }

    /// Streams `chunks`; an `Err` is logged and cuts the stream.
    pub fn try_new<S, B, E>(chunks: S) -> StreamingResponse
    where
        S: Stream<Item = Result<B, E>> + 'static,
        B: Into<Bytes>,
        E: Into<BoxError>,
    {
        StreamingResponse::from_stream(Box::pin(Fallible { chunks }))
    }

    fn from_stream(stream: ChunkStream) -> StreamingResponse {
        StreamingResponse {
            body: (stream, ContentType::Known(&OCTET_CONTENT)),
            headers: (),
            extras: Extras::default(),
        }
    }
}

impl<H> StreamingResponse<H> {
    /// Sets the content type (checked when the response is built).
    pub fn content_type(mut self, content_type: &'static str) -> Self {
        self.body.1 = ContentType::Custom(content_type);
        self
    }
}

options!(StreamingResponse);

impl<H: HeaderContract> IntoResponse for StreamingResponse<H> {
    fn into_response(self, cx: &RequestCx<'_>) -> Response {
        let (stream, content_type) = self.body;
        streamed(cx, stream, &self.headers, &self.extras, content_type, None)
    }

    fn describe(r: &mut Responses<'_>) {
        describe_stream::<H>(r, OCTET_STREAM, None, "StreamingResponse");
    }
}

/// One JSON document per line (`application/x-ndjson`), every line ending
/// in `\n`, from a stream of contracts; a tagged enum
/// (`#[serde(tag = "type")]`) mixes kinds of items in one stream. Items
/// that are ready at once share a chunk.
///
/// ```
/// use jero::{contract, endpoint, NdjsonResponse};
/// # use jero::{App, BoxError, Wiring};
///
/// #[contract]
/// struct Movie { title: String }
///
/// struct Movies;
///
/// #[endpoint(path = "/movies")]
/// impl Movies {
///     async fn get(&self) -> NdjsonResponse<Movie> {
///         let movies = (0..3).map(|i| Movie { title: format!("movie-{i}") });
///         NdjsonResponse::new(futures_util::stream::iter(movies))
///     }
/// }
/// # struct MyApp;
/// # impl App for MyApp {
/// #     async fn wire(&self, w: &mut Wiring) -> Result<(), BoxError> { w.include_endpoint(Movies); Ok(()) }
/// # }
/// let res = jero_testing::TestClient::new(MyApp).get("/movies").send();
/// assert_eq!(res.header("content-type"), Some("application/x-ndjson"));
/// assert_eq!(res.text(), "{\"title\":\"movie-0\"}\n{\"title\":\"movie-1\"}\n{\"title\":\"movie-2\"}\n");
/// ```
#[doc(alias = "NDJSONStreamingResponse")]
pub struct NdjsonResponse<T, H = ()> {
    body: (ChunkStream, PhantomData<fn() -> T>),
    headers: H,
    extras: Extras,
}

impl<T: Contract + Serialize + 'static> NdjsonResponse<T> {
    /// Streams `items`, one JSON line each.
    pub fn new<S: Stream<Item = T> + 'static>(items: S) -> NdjsonResponse<T> {
        NdjsonResponse {
            body: (Box::pin(Encoded::new(items, write_ndjson::<T>)), PhantomData),
            headers: (),
            extras: Extras::default(),
        }
    }
}

options!(NdjsonResponse<T>);

fn write_ndjson<T: Serialize>(item: T, out: &mut BytesMut) -> Result<(), BoxError> {
    sonic_rs::to_writer(out.writer(), &item)?;
    out.put_u8(b'\n');
    Ok(())
}

impl<T: Contract + Serialize + 'static, H: HeaderContract> IntoResponse for NdjsonResponse<T, H> {
    fn into_response(self, cx: &RequestCx<'_>) -> Response {
        let content_type = ContentType::Known(&NDJSON_CONTENT);
        streamed(cx, self.body.0, &self.headers, &self.extras, content_type, None)
    }

    fn describe(r: &mut Responses<'_>) {
        let items = r.generator.subschema_for::<T>();
        describe_stream::<H>(r, APPLICATION_NDJSON, Some(items), std::any::type_name::<T>());
    }
}

/// One Server-Sent Event: JSON `data`, and optionally its `event` name, `id`
/// and the client's reconnection delay (`retry`).
///
/// ```
/// use std::time::Duration;
/// #[jero::contract]
/// struct Added { title: String }
///
/// let event = jero::SseEvent::new(Added { title: "second".into() })
///     .event("added")
///     .id("2")
///     .retry(Duration::from_secs(3));
/// # let _ = event;
/// ```
#[derive(Debug, Clone)]
pub struct SseEvent<T> {
    data: T,
    event: Option<String>,
    id: Option<String>,
    retry: Option<Duration>,
}

impl<T> SseEvent<T> {
    /// An event carrying `data` (sent as one line of JSON).
    pub fn new(data: T) -> SseEvent<T> {
        SseEvent {
            data,
            event: None,
            id: None,
            retry: None,
        }
    }

    /// Names the event (`event:`). A name with a line break cuts the stream.
    pub fn event(mut self, name: impl Into<String>) -> Self {
        self.event = Some(name.into());
        self
    }

    /// Sets the event's id (`id:`). An id with a line break or NUL cuts the stream.
    pub fn id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(id.into());
        self
    }

    /// Asks the client to wait this long before reconnecting (`retry:`, in
    /// milliseconds).
    pub fn retry(mut self, delay: Duration) -> Self {
        self.retry = Some(delay);
        self
    }
}

impl<T> From<T> for SseEvent<T> {
    fn from(data: T) -> SseEvent<T> {
        SseEvent::new(data)
    }
}

/// A Server-Sent Events stream (`text/event-stream`, `cache-control:
/// no-cache`), GET only (another verb is a startup `WiringError`). With
/// [`keep_alive`](SseResponse::keep_alive), a comment line is sent after
/// every that many idle seconds, so proxies keep the connection and a
/// client that went away is noticed.
///
/// ```
/// use jero::{contract, endpoint, SseEvent, SseResponse};
/// # use jero::{App, BoxError, Wiring};
///
/// #[contract]
/// struct Movie { title: String }
///
/// struct Events;
///
/// #[endpoint(path = "/events")]
/// impl Events {
///     async fn get(&self) -> SseResponse<Movie> {
///         let events = [
///             SseEvent::new(Movie { title: "first".into() }),
///             SseEvent::new(Movie { title: "second".into() }).event("added").id("2"),
///         ];
///         SseResponse::new(futures_util::stream::iter(events))
///     }
/// }
/// # struct MyApp;
/// # impl App for MyApp {
/// #     async fn wire(&self, w: &mut Wiring) -> Result<(), BoxError> { w.include_endpoint(Events); Ok(()) }
/// # }
/// let res = jero_testing::TestClient::new(MyApp).get("/events").send();
/// assert_eq!(
///     res.text(),
///     "data: {\"title\":\"first\"}\n\nevent: added\nid: 2\ndata: {\"title\":\"second\"}\n\n"
/// );
/// ```
#[doc(alias = "SSEResponse")]
pub struct SseResponse<T, H = ()> {
    body: SseBody<T>,
    headers: H,
    extras: Extras,
}

/// The events and the keep-alive interval.
struct SseBody<T> {
    events: ChunkStream,
    keep_alive: Option<Duration>,
    _items: PhantomData<fn() -> T>,
}

impl<T: Contract + Serialize + 'static> SseResponse<T> {
    /// Streams `events` (an item may be a bare `T`, sent as `data` only).
    pub fn new<S, E>(events: S) -> SseResponse<T>
    where
        S: Stream<Item = E> + 'static,
        E: Into<SseEvent<T>> + 'static,
    {
        SseResponse {
            body: SseBody {
                events: Box::pin(Encoded::new(events, write_sse::<T, E>)),
                keep_alive: None,
                _items: PhantomData,
            },
            headers: (),
            extras: Extras::default(),
        }
    }
}

impl<T, H> SseResponse<T, H> {
    /// Sends a `: keep-alive` comment after every `idle` without an event.
    pub fn keep_alive(mut self, idle: Duration) -> Self {
        self.body.keep_alive = Some(idle);
        self
    }
}

options!(SseResponse<T>);

fn write_sse<T: Serialize, E: Into<SseEvent<T>>>(item: E, out: &mut BytesMut) -> Result<(), BoxError> {
    let event: SseEvent<T> = item.into();
    // A field value is one line: a line break would start another field
    // (or end the event) on the client, and an id with NUL is ignored.
    let field = |out: &mut BytesMut, name: &str, value: &str| -> Result<(), BoxError> {
        if value.bytes().any(|b| matches!(b, b'\r' | b'\n' | 0)) {
            return Err(format!("SSE `{name}` holds a line break or NUL").into());
        }
        out.put_slice(name.as_bytes());
        out.put_slice(b": ");
        out.put_slice(value.as_bytes());
        out.put_u8(b'\n');
        Ok(())
    };
    if let Some(name) = &event.event {
        field(out, "event", name)?;
    }
    if let Some(id) = &event.id {
        field(out, "id", id)?;
    }
    if let Some(retry) = event.retry {
        field(out, "retry", &retry.as_millis().to_string())?;
    }
    out.put_slice(b"data: ");
    // Compact JSON has no raw line breaks (they are escaped in strings).
    sonic_rs::to_writer(out.writer(), &event.data)?;
    out.put_slice(b"\n\n");
    Ok(())
}

impl<T: Contract + Serialize + 'static, H: HeaderContract> IntoResponse for SseResponse<T, H> {
    fn into_response(self, cx: &RequestCx<'_>) -> Response {
        let SseBody {
            events, keep_alive, ..
        } = self.body;
        let stream: ChunkStream = match keep_alive {
            Some(idle) => Box::pin(KeepAlive::new(events, idle)),
            None => events,
        };
        let content_type = ContentType::Known(&EVENT_STREAM_CONTENT);
        streamed(
            cx,
            stream,
            &self.headers,
            &self.extras,
            content_type,
            Some(&NO_CACHE),
        )
    }

    fn describe(r: &mut Responses<'_>) {
        let items = r.generator.subschema_for::<T>();
        describe_stream::<H>(r, TEXT_EVENT_STREAM, Some(items), std::any::type_name::<T>());
    }
}

/// A streamed response with the wrapper's headers.
fn streamed<H: HeaderContract>(
    cx: &RequestCx<'_>,
    stream: ChunkStream,
    headers: &H,
    extras: &Extras,
    content_type: ContentType,
    also: Option<&'static StaticHeader>,
) -> Response {
    let mut res = Response::new(extras.status.unwrap_or(cx.default_status()));
    res.set_body(Body::Stream(stream));
    extras.apply(headers, &mut res, Some(content_type));
    if let Some(h) = also {
        res.append_static(h);
    }
    res
}

fn describe_stream<H: HeaderContract>(
    r: &mut Responses<'_>,
    media_type: &'static str,
    items: Option<schemars::Schema>,
    type_name: &'static str,
) {
    let headers = crate::response::header_specs::<H>(r.generator);
    r.specs.push(
        ResponseSpec::new(None, ContentSpec::Stream { media_type, items }, type_name).with_headers(headers),
    );
}

// ---------------------------------------------------------------------------
// Stream adapters

pin_project_lite::pin_project! {
    /// Chunks of a stream that cannot fail.
    struct Infallible<S> {
        #[pin]
        chunks: S,
    }
}

impl<S, B> Stream for Infallible<S>
where
    S: Stream<Item = B>,
    B: Into<Bytes>,
{
    type Item = Result<Bytes, BoxError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.project()
            .chunks
            .poll_next(cx)
            .map(|item| item.map(|b| Ok(b.into())))
    }
}

pin_project_lite::pin_project! {
    /// Chunks of a stream whose items may fail.
    struct Fallible<S> {
        #[pin]
        chunks: S,
    }
}

impl<S, B, E> Stream for Fallible<S>
where
    S: Stream<Item = Result<B, E>>,
    B: Into<Bytes>,
    E: Into<BoxError>,
{
    type Item = Result<Bytes, BoxError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.project()
            .chunks
            .poll_next(cx)
            .map(|item| item.map(|r| r.map(Into::into).map_err(Into::into)))
    }
}

pin_project_lite::pin_project! {
    /// Items encoded by `encode` into chunks: every item that is ready at
    /// once goes into the same chunk, up to [`COALESCE`] bytes. An item
    /// that fails (does not encode, or panics while it is produced) ends
    /// the stream with an error, after the items encoded before it.
    struct Encoded<S, F> {
        #[pin]
        items: S,
        encode: F,
        buf: BytesMut,
        state: State,
    }
}

/// Where an [`Encoded`] stream is.
enum State {
    Streaming,
    /// Failed; the error goes out once the chunk before it has.
    Failed(Option<BoxError>),
    Done,
}

impl<S, F> Encoded<S, F> {
    fn new(items: S, encode: F) -> Encoded<S, F> {
        Encoded {
            items,
            encode,
            buf: BytesMut::new(),
            state: State::Streaming,
        }
    }
}

impl<S, F> Stream for Encoded<S, F>
where
    S: Stream,
    F: FnMut(S::Item, &mut BytesMut) -> Result<(), BoxError>,
{
    type Item = Result<Bytes, BoxError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let mut this = self.project();
        loop {
            match this.state {
                State::Done => return Poll::Ready(None),
                State::Failed(e) => {
                    let e = e.take().unwrap_or_else(|| "response stream failed".into());
                    *this.state = State::Done;
                    return Poll::Ready(Some(Err(e)));
                }
                State::Streaming => {}
            }
            // A panic while producing an item is that item failing: the
            // stream is never polled again.
            let polled =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| this.items.as_mut().poll_next(cx)));
            let failure = match polled {
                Ok(Poll::Ready(Some(item))) => {
                    let before = this.buf.len();
                    match (this.encode)(item, this.buf) {
                        Ok(()) if this.buf.len() >= COALESCE => {
                            return Poll::Ready(Some(Ok(this.buf.split().freeze())))
                        }
                        Ok(()) => continue,
                        Err(e) => {
                            // Nothing of the failing item goes out: the
                            // stream is cut after the items before it.
                            this.buf.truncate(before);
                            e
                        }
                    }
                }
                Ok(Poll::Ready(None)) => {
                    *this.state = State::Done;
                    if this.buf.is_empty() {
                        return Poll::Ready(None);
                    }
                    return Poll::Ready(Some(Ok(this.buf.split().freeze())));
                }
                Ok(Poll::Pending) if this.buf.is_empty() => return Poll::Pending,
                // What is ready goes out now; the stream's waker stays
                // registered for what comes later.
                Ok(Poll::Pending) => return Poll::Ready(Some(Ok(this.buf.split().freeze()))),
                Err(payload) => {
                    let message = jero_engine::panic_message(&payload);
                    format!("response stream panicked: {message}").into()
                }
            };
            *this.state = State::Failed(Some(failure));
            if !this.buf.is_empty() {
                return Poll::Ready(Some(Ok(this.buf.split().freeze())));
            }
        }
    }
}

pin_project_lite::pin_project! {
    /// An SSE stream that sends a comment after every `idle` without an
    /// event.
    struct KeepAlive {
        events: ChunkStream,
        idle: Duration,
        #[pin]
        timer: monoio::time::Sleep,
    }
}

impl KeepAlive {
    fn new(events: ChunkStream, idle: Duration) -> KeepAlive {
        KeepAlive {
            events,
            idle,
            timer: monoio::time::sleep(idle),
        }
    }
}

impl Stream for KeepAlive {
    type Item = Result<Bytes, BoxError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let mut this = self.project();
        match this.events.as_mut().poll_next(cx) {
            Poll::Ready(item) => {
                this.timer
                    .as_mut()
                    .reset(monoio::time::Instant::now() + *this.idle);
                Poll::Ready(item)
            }
            Poll::Pending => match this.timer.as_mut().poll(cx) {
                Poll::Ready(()) => {
                    this.timer
                        .as_mut()
                        .reset(monoio::time::Instant::now() + *this.idle);
                    Poll::Ready(Some(Ok(Bytes::from_static(b": keep-alive\n\n"))))
                }
                Poll::Pending => Poll::Pending,
            },
        }
    }
}
