//! The demo's streams: `/movies` (NDJSON, produced lazily, each stream
//! owning a cursor that its teardown closes), `/movies/stats`, `/answer`
//! (a tagged enum), `/events` (SSE) and `/export` (raw CSV chunks).

use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_util::stream;
use jero::{contract, endpoint, NdjsonResponse, SseEvent, SseResponse, Stream, StreamingResponse};

/// The most lines `/movies?count=` streams.
pub const MAX_COUNT: u64 = 1_000_000;

/// `{"title": str}`
#[contract]
pub struct Movie {
    /// The title.
    pub title: String,
}

/// `?count=N`
#[contract]
pub struct MoviesQuery {
    /// How many `movie-<i>` lines (at most 1,000,000); absent: the two
    /// default movies.
    #[schemars(range(max = MAX_COUNT))]
    pub count: Option<u64>,
}

/// How many `/movies` cursors were opened and closed, shared by every
/// worker.
#[derive(Debug, Default)]
pub struct CursorStats {
    opened: AtomicU64,
    closed: AtomicU64,
}

/// A per-stream resource: opened when its stream produces its first line,
/// closed when the stream is dropped (it ended, failed, or the client went
/// away).
struct Cursor {
    stats: Arc<CursorStats>,
}

impl Cursor {
    fn open(stats: &Arc<CursorStats>) -> Cursor {
        stats.opened.fetch_add(1, Ordering::SeqCst);
        Cursor { stats: stats.clone() }
    }
}

impl Drop for Cursor {
    fn drop(&mut self) {
        self.stats.closed.fetch_add(1, Ordering::SeqCst);
    }
}

/// The lines of one `/movies` stream, made one at a time (never all in
/// memory).
struct MovieLines {
    stats: Arc<CursorStats>,
    /// Opened on the first poll, so a stream that never starts (HEAD)
    /// opens nothing.
    cursor: Option<Cursor>,
    count: Option<u64>,
    next: u64,
}

impl Stream for MovieLines {
    type Item = Movie;

    fn poll_next(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Option<Movie>> {
        if self.cursor.is_none() {
            self.cursor = Some(Cursor::open(&self.stats));
        }
        let i = self.next;
        let title = match self.count {
            None if i < 2 => ["first", "second"][i as usize].to_owned(),
            Some(n) if i < n => format!("movie-{i}"),
            _ => return Poll::Ready(None),
        };
        self.next += 1;
        Poll::Ready(Some(Movie { title }))
    }
}

/// `GET /movies`: NDJSON.
pub struct MoviesEndpoint {
    stats: Arc<CursorStats>,
}

#[endpoint(path = "/movies")]
impl MoviesEndpoint {
    /// Streams movies, one JSON object per line.
    ///
    /// Two by default; `?count=N` (at most 1,000,000) streams `N`, made
    /// one at a time as the client reads them.
    // A count above `MAX_COUNT` is the framework's 400: the constraint is
    // declared on `MoviesQuery`.
    async fn get(&self, params: MoviesQuery) -> NdjsonResponse<Movie> {
        NdjsonResponse::new(MovieLines {
            stats: self.stats.clone(),
            cursor: None,
            count: params.count,
            next: 0,
        })
    }
}

/// `{"opened": n, "closed": n}`
#[contract]
pub struct Stats {
    /// Cursors opened.
    pub opened: u64,
    /// Cursors closed.
    pub closed: u64,
}

/// `GET /movies/stats`
pub struct MovieStatsEndpoint {
    stats: Arc<CursorStats>,
}

#[endpoint(path = "/movies/stats")]
impl MovieStatsEndpoint {
    /// How many movie streams opened their resource, and how many closed it.
    async fn get(&self) -> Stats {
        Stats {
            opened: self.stats.opened.load(Ordering::SeqCst),
            closed: self.stats.closed.load(Ordering::SeqCst),
        }
    }
}

/// `/answer`'s lines: `{"type": "TextChunk", ...}` or `{"type": "FooterChunk", ...}`.
#[contract]
#[serde(tag = "type")]
pub enum AnswerChunk {
    /// Some text.
    TextChunk {
        /// The text.
        text: String,
    },
    /// The last line.
    #[serde(rename_all = "camelCase")]
    FooterChunk {
        /// How many text chunks came before.
        total_chunks: u32,
    },
}

/// `GET /answer`: NDJSON of a tagged enum.
pub struct AnswerEndpoint;

#[endpoint(path = "/answer")]
impl AnswerEndpoint {
    /// An answer streamed in chunks, one JSON object per line.
    async fn get(&self) -> NdjsonResponse<AnswerChunk> {
        NdjsonResponse::new(stream::iter([
            AnswerChunk::TextChunk { text: "first".into() },
            AnswerChunk::TextChunk {
                text: "second".into(),
            },
            AnswerChunk::FooterChunk { total_chunks: 2 },
        ]))
    }
}

/// `GET /events`: two Server-Sent Events, then the end.
pub struct EventsEndpoint;

#[endpoint(path = "/events")]
impl EventsEndpoint {
    /// Movies as server-sent events.
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
        ]))
    }
}

/// `GET /export`: CSV in two chunks.
pub struct ExportEndpoint;

#[endpoint(path = "/export")]
impl ExportEndpoint {
    /// A CSV export, streamed in chunks.
    async fn get(&self) -> StreamingResponse {
        StreamingResponse::new(stream::iter(["id,name\n", "1,gizmo\n"])).content_type("text/csv")
    }
}

/// Every route of this module.
pub(crate) fn include(wiring: &mut jero::Wiring) {
    let stats = Arc::new(CursorStats::default());
    wiring
        .include_endpoint(MoviesEndpoint { stats: stats.clone() })
        .include_endpoint(MovieStatsEndpoint { stats })
        .include_endpoint(AnswerEndpoint)
        .include_endpoint(EventsEndpoint)
        .include_endpoint(ExportEndpoint);
}
