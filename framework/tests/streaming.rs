//! Streamed responses through the TestClient: raw chunks, NDJSON and SSE;
//! their headers, their teardown (end, failure, disconnect, HEAD), errors
//! mid-stream, keep-alive comments, and the wiring rules.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures_util::stream::{self, StreamExt};
use jero::{
    contract, endpoint, App, BoxError, Bytes, NdjsonResponse, SseEvent, SseResponse, StreamingResponse,
    Wiring,
};
use jero_testing::{json, TestClient};

// ---------------------------------------------------------------------------
// A per-stream resource: opened on the stream's first poll, closed on drop.

#[derive(Clone, Default)]
struct Counts {
    opened: Arc<AtomicUsize>,
    closed: Arc<AtomicUsize>,
}

impl Counts {
    fn get(&self) -> (usize, usize) {
        (
            self.opened.load(Ordering::SeqCst),
            self.closed.load(Ordering::SeqCst),
        )
    }
}

struct Cursor {
    counts: Counts,
}

impl Drop for Cursor {
    fn drop(&mut self) {
        self.counts.closed.fetch_add(1, Ordering::SeqCst);
    }
}

/// `n` movies (`None`: endless), the cursor opened lazily.
fn movies(counts: Counts, n: Option<usize>) -> impl jero::Stream<Item = Movie> {
    stream::unfold(
        (counts, None::<Cursor>, 0usize),
        move |(counts, cursor, i)| async move {
            if n.is_some_and(|n| i >= n) {
                return None;
            }
            let cursor = cursor.or_else(|| {
                counts.opened.fetch_add(1, Ordering::SeqCst);
                Some(Cursor {
                    counts: counts.clone(),
                })
            });
            Some((
                Movie {
                    title: format!("movie-{i}"),
                },
                (counts, cursor, i + 1),
            ))
        },
    )
}

#[contract]
#[derive(Clone)]
struct Movie {
    title: String,
}

#[contract]
#[serde(tag = "type")]
enum Chunk {
    TextChunk {
        text: String,
    },
    #[serde(rename_all = "camelCase")]
    FooterChunk {
        total_chunks: u32,
    },
}

#[contract]
struct ExportHeaders {
    x_export_rows: u32,
}

// ---------------------------------------------------------------------------
// Routes

struct Export;

#[endpoint(path = "/export")]
impl Export {
    async fn get(&self) -> StreamingResponse<ExportHeaders> {
        StreamingResponse::new(stream::iter(["id,name\n", "1,gizmo\n"]))
            .content_type("text/csv")
            .headers(ExportHeaders { x_export_rows: 1 })
    }
}

struct Failing;

#[endpoint(path = "/failing")]
impl Failing {
    async fn get(&self) -> StreamingResponse {
        let chunks: [Result<&'static str, std::io::Error>; 3] = [
            Ok("one\n"),
            Err(std::io::Error::other("disk gone")),
            Ok("never\n"),
        ];
        StreamingResponse::try_new(stream::iter(chunks))
    }
}

struct Movies {
    counts: Counts,
}

#[contract]
struct Count {
    count: Option<usize>,
}

#[endpoint(path = "/movies")]
impl Movies {
    async fn get(&self, params: Count) -> NdjsonResponse<Movie> {
        NdjsonResponse::new(movies(self.counts.clone(), params.count))
    }
}

struct Answer;

#[endpoint(path = "/answer")]
impl Answer {
    async fn get(&self) -> NdjsonResponse<Chunk> {
        NdjsonResponse::new(stream::iter([
            Chunk::TextChunk { text: "first".into() },
            Chunk::TextChunk {
                text: "second".into(),
            },
            Chunk::FooterChunk { total_chunks: 2 },
        ]))
    }
}

struct Panicking;

#[endpoint(path = "/panicking")]
impl Panicking {
    async fn get(&self) -> NdjsonResponse<Movie> {
        NdjsonResponse::new(stream::iter(0..3).map(|i| {
            if i == 1 {
                panic!("the second item breaks");
            }
            Movie {
                title: format!("m{i}"),
            }
        }))
    }
}

struct Events;

#[endpoint(path = "/events")]
impl Events {
    async fn get(&self) -> SseResponse<Movie> {
        SseResponse::new(stream::iter([
            SseEvent::new(Movie {
                title: "first".into(),
            }),
            SseEvent::new(Movie {
                title: "second".into(),
            })
            .event("added")
            .id("2"),
            SseEvent::new(Movie {
                title: "third".into(),
            })
            .retry(Duration::from_millis(1500)),
        ]))
    }
}

struct BareEvents;

#[endpoint(path = "/bare-events")]
impl BareEvents {
    async fn get(&self) -> SseResponse<Movie> {
        SseResponse::new(stream::iter([Movie { title: "only".into() }]))
    }
}

struct BadEvent;

#[endpoint(path = "/bad-event")]
impl BadEvent {
    async fn get(&self) -> SseResponse<Movie> {
        SseResponse::new(stream::iter([
            SseEvent::new(Movie { title: "ok".into() }),
            SseEvent::new(Movie { title: "x".into() }).event("two\nlines"),
        ]))
    }
}

/// A second event that fails after its `event` field was written.
struct BadLateEvent;

#[endpoint(path = "/bad-late-event")]
impl BadLateEvent {
    async fn get(&self) -> SseResponse<Movie> {
        SseResponse::new(stream::iter([
            SseEvent::new(Movie { title: "ok".into() }),
            SseEvent::new(Movie { title: "x".into() })
                .event("added")
                .id("two\nlines"),
        ]))
    }
}

/// An NDJSON item whose serialization fails half way through its line.
#[contract(output)]
struct Row {
    n: u32,
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "refuse")]
    extra: Option<u32>,
}

fn refuse<S: serde::Serializer>(_: &Option<u32>, _: S) -> Result<S::Ok, S::Error> {
    Err(serde::ser::Error::custom("refused"))
}

struct HalfRows;

#[endpoint(path = "/half-rows")]
impl HalfRows {
    async fn get(&self) -> NdjsonResponse<Row> {
        NdjsonResponse::new(stream::iter([
            Row { n: 1, extra: None },
            Row { n: 2, extra: Some(2) },
            Row { n: 3, extra: None },
        ]))
    }
}

struct Quiet;

#[endpoint(path = "/quiet")]
impl Quiet {
    async fn get(&self) -> SseResponse<Movie> {
        // One event, then nothing for a long time.
        now_and_later(Duration::from_secs(3600))
    }
}

struct Later;

#[endpoint(path = "/later")]
impl Later {
    async fn get(&self) -> SseResponse<Movie> {
        // One event, keep-alive comments for a while, then another.
        now_and_later(Duration::from_millis(150))
    }
}

/// `now` at once, `late` after `pause`, keep-alive comments every 30 ms
/// in between.
fn now_and_later(pause: Duration) -> SseResponse<Movie> {
    let later = stream::once(async move {
        monoio::time::sleep(pause).await;
        Movie { title: "late".into() }
    });
    SseResponse::new(stream::iter([Movie { title: "now".into() }]).chain(later))
        .keep_alive(Duration::from_millis(30))
}

struct StreamApp {
    counts: Counts,
}

impl App for StreamApp {
    async fn wire(&self, wiring: &mut Wiring) -> Result<(), BoxError> {
        wiring
            .include_endpoint(Export)
            .include_endpoint(Failing)
            .include_endpoint(Movies {
                counts: self.counts.clone(),
            })
            .include_endpoint(Answer)
            .include_endpoint(Panicking)
            .include_endpoint(Events)
            .include_endpoint(BareEvents)
            .include_endpoint(BadEvent)
            .include_endpoint(BadLateEvent)
            .include_endpoint(HalfRows)
            .include_endpoint(Quiet)
            .include_endpoint(Later);
        Ok(())
    }
}

fn client() -> (TestClient, Counts) {
    let counts = Counts::default();
    (
        TestClient::new(StreamApp {
            counts: counts.clone(),
        }),
        counts,
    )
}

// ---------------------------------------------------------------------------
// Raw byte streams

#[test]
fn a_byte_stream_keeps_its_chunks_and_headers() {
    let (c, _) = client();
    let mut s = c.get("/export").stream();
    assert_eq!(s.status(), 200);
    assert_eq!(s.header("content-type"), Some("text/csv"));
    assert_eq!(s.header("x-export-rows"), Some("1"));
    assert_eq!(s.header("transfer-encoding"), Some("chunked"));
    assert_eq!(s.header("content-length"), None);
    assert_eq!(s.next_chunk().as_deref(), Some(&b"id,name\n"[..]));
    assert_eq!(s.next_chunk().as_deref(), Some(&b"1,gizmo\n"[..]));
    assert_eq!(s.next_chunk(), None);
    assert!(!s.failed());
}

#[test]
fn an_error_mid_stream_cuts_it() {
    let (c, _) = client();
    let mut s = c.get("/failing").stream();
    assert_eq!(s.next_chunk().as_deref(), Some(&b"one\n"[..]));
    assert_eq!(s.next_chunk(), None);
    assert!(s.failed());
    // The app goes on serving.
    assert_eq!(c.get("/export").send().text(), "id,name\n1,gizmo\n");
}

// ---------------------------------------------------------------------------
// NDJSON

#[test]
fn ndjson_is_one_line_per_item() {
    let (c, counts) = client();
    let r = c.get("/movies").query("count", "3").send();
    assert_eq!(r.status(), 200);
    assert_eq!(r.header("content-type"), Some("application/x-ndjson"));
    assert_eq!(
        r.text(),
        "{\"title\":\"movie-0\"}\n{\"title\":\"movie-1\"}\n{\"title\":\"movie-2\"}\n"
    );
    assert_eq!(
        counts.get(),
        (1, 1),
        "the stream's resource is closed when it ends"
    );
}

#[test]
fn a_tagged_enum_mixes_kinds_of_items() {
    let (c, _) = client();
    let mut s = c.get("/answer").stream();
    assert_eq!(
        s.next_json::<serde_json::Value>(),
        Some(json!({"type": "TextChunk", "text": "first"}))
    );
    assert_eq!(
        s.next_json::<serde_json::Value>(),
        Some(json!({"type": "TextChunk", "text": "second"}))
    );
    assert_eq!(
        s.next_json::<serde_json::Value>(),
        Some(json!({"type": "FooterChunk", "totalChunks": 2}))
    );
    assert_eq!(s.next_line(), None);
}

#[test]
fn a_long_stream_is_produced_lazily_and_in_bounded_chunks() {
    let (c, counts) = client();
    let mut s = c.get("/movies").query("count", "100000").stream();
    let first = s.next_chunk().expect("a first chunk");
    // Items ready at once share a chunk, but a chunk stays small.
    assert!(first.len() > 1000 && first.len() < 20 * 1024, "{}", first.len());
    let mut lines = 0;
    let mut last = String::new();
    while let Some(line) = s.next_line() {
        lines += 1;
        last = line;
    }
    // The first chunk's lines were consumed as a chunk, not as lines.
    let in_first = first.iter().filter(|&&b| b == b'\n').count();
    assert_eq!(lines + in_first, 100_000);
    assert_eq!(last, "{\"title\":\"movie-99999\"}");
    assert_eq!(counts.get(), (1, 1));
}

#[test]
fn a_client_that_disconnects_mid_stream_tears_it_down() {
    let (c, counts) = client();
    let mut s = c.get("/movies").stream(); // endless
    assert_eq!(
        s.next_json::<serde_json::Value>(),
        Some(json!({"title": "movie-0"}))
    );
    assert_eq!(counts.get(), (1, 0));
    drop(s);
    assert_eq!(counts.get(), (1, 1));
}

#[test]
fn head_never_starts_the_stream() {
    let (c, counts) = client();
    let r = c.head("/movies").send();
    assert_eq!(r.status(), 200);
    assert_eq!(r.header("content-type"), Some("application/x-ndjson"));
    assert!(r.body().is_empty());
    assert_eq!(counts.get(), (0, 0));
}

#[test]
fn a_panic_while_producing_an_item_cuts_the_stream_only() {
    let (c, _) = client();
    let mut s = c.get("/panicking").stream();
    assert_eq!(s.next_line().as_deref(), Some("{\"title\":\"m0\"}"));
    assert_eq!(s.next_line(), None);
    assert!(s.failed());
    drop(s);
    assert_eq!(c.get("/answer").send().status(), 200);
}

// ---------------------------------------------------------------------------
// Server-Sent Events

#[test]
fn sse_events_carry_their_fields() {
    let (c, _) = client();
    let r = c.get("/events").send();
    assert_eq!(r.status(), 200);
    assert_eq!(r.header("content-type"), Some("text/event-stream"));
    assert_eq!(r.header("cache-control"), Some("no-cache"));
    assert_eq!(
        r.text(),
        "data: {\"title\":\"first\"}\n\n\
         event: added\nid: 2\ndata: {\"title\":\"second\"}\n\n\
         retry: 1500\ndata: {\"title\":\"third\"}\n\n"
    );
}

#[test]
fn the_test_client_reads_events_as_an_event_source_does() {
    let (c, _) = client();
    let mut s = c.get("/events").stream();
    let first = s.next_event().unwrap();
    assert_eq!(
        (first.event, first.id, first.data, first.retry),
        (None, None, r#"{"title":"first"}"#.to_owned(), None)
    );
    let second = s.next_event().unwrap();
    assert_eq!(
        (second.event.as_deref(), second.id.as_deref()),
        (Some("added"), Some("2"))
    );
    assert_eq!(second.json::<serde_json::Value>(), json!({"title": "second"}));
    assert_eq!(s.next_event().unwrap().retry, Some(1500));
    assert_eq!(s.next_event(), None);
    // Keep-alive comments are no events: the next event after them is.
    let whole = c.get("/later").send().text();
    assert!(whole.matches(": keep-alive\n\n").count() >= 2, "{whole}");
    let mut later = c.get("/later").stream();
    assert_eq!(later.next_event().unwrap().data, r#"{"title":"now"}"#);
    assert_eq!(later.next_event().unwrap().data, r#"{"title":"late"}"#);
    assert_eq!(later.next_event(), None);
}

#[test]
fn a_bare_item_is_an_event_with_data_only() {
    let (c, _) = client();
    assert_eq!(
        c.get("/bare-events").send().text(),
        "data: {\"title\":\"only\"}\n\n"
    );
}

#[test]
fn an_event_field_with_a_line_break_cuts_the_stream() {
    let (c, _) = client();
    let mut s = c.get("/bad-event").stream();
    assert_eq!(s.rest(), Bytes::from_static(b"data: {\"title\":\"ok\"}\n\n"));
    assert!(s.failed());
}

#[test]
fn a_failing_event_sends_none_of_its_fields() {
    let (c, _) = client();
    let mut s = c.get("/bad-late-event").stream();
    assert_eq!(s.rest(), Bytes::from_static(b"data: {\"title\":\"ok\"}\n\n"));
    assert!(s.failed());
}

#[test]
fn a_failing_ndjson_item_sends_none_of_its_line() {
    let (c, _) = client();
    let mut s = c.get("/half-rows").stream();
    assert_eq!(s.rest(), Bytes::from_static(b"{\"n\":1}\n"));
    assert!(s.failed());
}

#[test]
fn idle_sse_streams_send_keep_alive_comments() {
    let (c, _) = client();
    let mut s = c.get("/quiet").stream();
    assert_eq!(
        s.next_chunk().as_deref(),
        Some(&b"data: {\"title\":\"now\"}\n\n"[..])
    );
    assert_eq!(s.next_chunk().as_deref(), Some(&b": keep-alive\n\n"[..]));
    assert_eq!(s.next_chunk().as_deref(), Some(&b": keep-alive\n\n"[..]));
}

// ---------------------------------------------------------------------------
// Wiring rules

struct PostEvents;

#[endpoint(path = "/post-events")]
impl PostEvents {
    async fn post(&self) -> SseResponse<Movie> {
        SseResponse::new(stream::empty::<Movie>())
    }
}

#[contract]
struct Tags(std::collections::HashMap<String, String>);

struct FreeForm;

#[endpoint(path = "/free")]
impl FreeForm {
    async fn get(&self) -> NdjsonResponse<Tags> {
        NdjsonResponse::new(stream::empty())
    }
}

struct Only<F>(F);

impl<F: Fn(&mut Wiring) + Send + Sync + 'static> App for Only<F> {
    async fn wire(&self, wiring: &mut Wiring) -> Result<(), BoxError> {
        (self.0)(wiring);
        Ok(())
    }
}

#[test]
fn sse_on_another_verb_than_get_does_not_wire() {
    let err = TestClient::try_new(Only(|w: &mut Wiring| {
        w.include_endpoint(PostEvents);
    }))
    .err()
    .expect("a wiring error");
    assert_eq!(
        err.message(),
        "PostEvents::post: returns an SseResponse, but `post` answers POST; Server-Sent Events are read \
         with GET (browsers' EventSource only sends GET): serve the stream from a `get` or \
         `read_many`/`read_one`"
    );
}

#[test]
fn a_stream_of_free_form_maps_does_not_wire() {
    let err = TestClient::try_new(Only(|w: &mut Wiring| {
        w.include_endpoint(FreeForm);
    }))
    .err()
    .expect("a wiring error");
    assert_eq!(
        err.message(),
        "FreeForm::get: streams Tags, which is not a struct (a free-form JSON map or a bare value); stream \
         #[jero::contract] structs, or a tagged enum of them, so every item has a declared shape"
    );
}

// ---------------------------------------------------------------------------
// An async cleanup: a stream whose resource closes itself in a task

/// Spawns its closing as a task when dropped (a connection returned to a
/// pool with an async call, say): it needs the worker's runtime.
struct AsyncCursor {
    closed: Arc<AtomicUsize>,
}

impl Drop for AsyncCursor {
    fn drop(&mut self) {
        let closed = self.closed.clone();
        jero::spawn(async move {
            closed.fetch_add(1, Ordering::SeqCst);
        });
    }
}

struct AsyncClosing {
    closed: Arc<AtomicUsize>,
}

#[endpoint(path = "/async-closing")]
impl AsyncClosing {
    async fn get(&self) -> NdjsonResponse<Movie> {
        let cursor = AsyncCursor {
            closed: self.closed.clone(),
        };
        NdjsonResponse::new(stream::iter(0..3).map(move |i| {
            let _held = &cursor;
            Movie {
                title: format!("movie-{i}"),
            }
        }))
    }
}

struct AsyncClosingApp {
    closed: Arc<AtomicUsize>,
}

impl App for AsyncClosingApp {
    async fn wire(&self, wiring: &mut Wiring) -> Result<(), BoxError> {
        wiring.include_endpoint(AsyncClosing {
            closed: self.closed.clone(),
        });
        Ok(())
    }
}

/// The TestClient drops an app's stream on its runtime, as the server does
/// on its worker: at the end, on an early drop and for HEAD, a destructor
/// that spawns its cleanup gets it run.
#[test]
fn a_streams_async_cleanup_runs_at_the_end_on_disconnect_and_for_head() {
    let closed = Arc::new(AtomicUsize::new(0));
    let c = TestClient::new(AsyncClosingApp {
        closed: closed.clone(),
    });
    let mut s = c.get("/async-closing").stream();
    assert_eq!(
        s.rest().split(|&b| b == b'\n').filter(|l| !l.is_empty()).count(),
        3
    );
    assert_eq!(closed.load(Ordering::SeqCst), 1, "at the end");
    drop(s);
    let mut s = c.get("/async-closing").stream();
    assert!(s.next_line().is_some());
    drop(s);
    assert_eq!(closed.load(Ordering::SeqCst), 2, "on disconnect");
    assert_eq!(c.head("/async-closing").send().status(), 200);
    assert_eq!(closed.load(Ordering::SeqCst), 3, "for HEAD");
}
