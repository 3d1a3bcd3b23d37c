//! The complete example (`cargo run -p jero-examples --bin complete`): an
//! app factory, a service with a lifecycle, authentication, every resource
//! method, typed binding with declared constraints, and typed responses,
//! together.
//!
//! - **Factory.** [`NotesApp::new`] builds the app from its [`Config`];
//!   [`NotesApp::with_store`] hands it another [`NoteStore`], which is how a
//!   test swaps in a stand-in service. No container: constructor arguments.
//! - **Service and lifecycle.** The app's own store, [`MemoryStore`], is
//!   registered with `wiring.manage`, and closed at shutdown; an
//!   `on_teardown` step logs the shutdown.
//! - **Authentication.** [`TokenAuth`] binds `Authorization: Bearer <token>`
//!   and gates `/notes`; each caller sees only their own notes.
//!   `/healthz` is public.
//! - **Resource methods.** `create` (201 with `Location`), `read_many` (a
//!   page), `read_one`, `update`, `partial_update`, `delete` (204).
//! - **Typed binding.** `path` (`note_id`, an integer), `params` (`limit`
//!   and `offset`, with defaults and bounds), `headers` (`X-Request-Id`,
//!   echoed back), `json` (with length constraints, enforced and documented).
//! - **Typed responses.** `JsonResponse` with typed headers, `NoContent`,
//!   a typed error (`note-not-found`, 404), and the OpenAPI document.
//!
//! ```
//! use jero_examples::complete::{Config, NotesApp};
//! use jero_testing::{json, TestClient};
//!
//! let client = TestClient::new(NotesApp::new(Config::default()));
//! let created = client
//!     .post("/notes")
//!     .header("Authorization", "Bearer alice-token")
//!     .json(&json!({"title": "Groceries", "body": "eggs", "tags": ["home"]}))
//!     .send();
//! assert_eq!(created.status(), 201);
//! assert_eq!(created.header("location"), Some("/notes/1"));
//! let anonymous = client.get("/notes/1").send();
//! assert_eq!(anonymous.status(), 401);
//! ```

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use jero::openapi::OpenApi;
use jero::{
    authenticator, contract, endpoint, resource, BoxError, JsonResponse, NoContent, Teardown, Wiring,
};

// ---------------------------------------------------------------------------
// Contracts

/// A note as a client writes it.
#[contract]
pub struct NoteIn {
    /// 1 to 120 characters.
    #[schemars(length(min = 1, max = 120))]
    pub title: String,
    /// At most 10,000 characters.
    #[schemars(length(max = 10_000))]
    #[serde(default)]
    pub body: String,
    /// At most 10 tags of 1 to 30 characters.
    #[schemars(length(max = 10), inner(length(min = 1, max = 30)))]
    #[serde(default)]
    pub tags: Vec<String>,
}

/// Some fields of a note; those left out keep their value.
#[contract]
pub struct NotePatch {
    /// 1 to 120 characters.
    #[schemars(length(min = 1, max = 120))]
    pub title: Option<String>,
    /// At most 10,000 characters.
    #[schemars(length(max = 10_000))]
    pub body: Option<String>,
}

/// A stored note.
#[contract]
#[derive(Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Note {
    /// Its id, per store.
    pub id: u64,
    /// Who wrote it.
    pub owner_id: String,
    /// The title.
    pub title: String,
    /// The text.
    pub body: String,
    /// The tags.
    pub tags: Vec<String>,
}

/// `/notes/{note_id}`.
#[contract]
pub struct NotePath {
    /// A note's id: a number (anything else names no note: 404).
    pub note_id: u64,
}

/// `?limit=&offset=`.
#[contract]
pub struct Page {
    /// 1 to 100, 20 when absent.
    #[schemars(range(min = 1, max = 100))]
    #[serde(default = "default_limit")]
    pub limit: u32,
    /// How many to skip.
    #[serde(default)]
    pub offset: u32,
}

fn default_limit() -> u32 {
    20
}

/// The headers a write reads.
#[contract]
pub struct RequestMeta {
    /// `X-Request-Id`, if the client sent one (up to 64 characters).
    #[schemars(length(max = 64))]
    pub x_request_id: Option<String>,
}

/// The headers of a created note.
#[contract]
pub struct CreatedHeaders {
    /// `Location: /notes/{id}`.
    pub location: String,
    /// `X-Request-Id`, echoed when sent.
    pub x_request_id: Option<String>,
}

/// `{"status": "ok", "notes": n}`
#[contract]
pub struct Health {
    /// Always `ok` when it answers.
    pub status: String,
    /// How many notes the store holds.
    pub notes: u64,
}

/// 404 `note-not-found`.
#[jero::error(
    status = 404,
    code = "note-not-found",
    title = "Note not found",
    detail = "No note {note_id}"
)]
#[serde(rename_all = "camelCase")]
pub struct NoteNotFound {
    /// The id asked for.
    pub note_id: u64,
}

// ---------------------------------------------------------------------------
// The service

/// Where notes live. A trait, so that a test can give the app a stand-in
/// (see [`NotesApp::with_store`]).
pub trait NoteStore: Send + Sync + 'static {
    /// Stores a new note of `owner`.
    fn insert(&self, owner: &str, note: NoteIn) -> Note;
    /// `owner`'s notes, oldest first, a page of them.
    fn list(&self, owner: &str, offset: usize, limit: usize) -> Vec<Note>;
    /// One of `owner`'s notes.
    fn get(&self, owner: &str, id: u64) -> Option<Note>;
    /// Changes one of `owner`'s notes with `change`; the note after it.
    fn update(&self, owner: &str, id: u64, change: &mut dyn FnMut(&mut Note)) -> Option<Note>;
    /// Removes one of `owner`'s notes; whether there was one.
    fn remove(&self, owner: &str, id: u64) -> bool;
    /// How many notes there are, of every owner.
    fn count(&self) -> u64;
}

/// The app's own store: in memory, one lock (shared by every worker).
#[derive(Default)]
pub struct MemoryStore {
    notes: Mutex<Vec<Note>>,
    next_id: AtomicU64,
    closed: std::sync::atomic::AtomicBool,
}

impl MemoryStore {
    /// Whether its teardown ran (a real store would have closed its
    /// connections).
    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }

    fn notes(&self) -> std::sync::MutexGuard<'_, Vec<Note>> {
        // Every change is one push, assignment or removal: a panic while
        // holding the lock leaves no half-made change behind.
        self.notes.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl NoteStore for MemoryStore {
    fn insert(&self, owner: &str, note: NoteIn) -> Note {
        let note = Note {
            id: self.next_id.fetch_add(1, Ordering::Relaxed) + 1,
            owner_id: owner.to_owned(),
            title: note.title,
            body: note.body,
            tags: note.tags,
        };
        self.notes().push(note.clone());
        note
    }

    fn list(&self, owner: &str, offset: usize, limit: usize) -> Vec<Note> {
        let notes = self.notes();
        notes
            .iter()
            .filter(|n| n.owner_id == owner)
            .skip(offset)
            .take(limit)
            .cloned()
            .collect()
    }

    fn get(&self, owner: &str, id: u64) -> Option<Note> {
        self.notes()
            .iter()
            .find(|n| n.id == id && n.owner_id == owner)
            .cloned()
    }

    fn update(&self, owner: &str, id: u64, change: &mut dyn FnMut(&mut Note)) -> Option<Note> {
        let mut notes = self.notes();
        let note = notes.iter_mut().find(|n| n.id == id && n.owner_id == owner)?;
        change(note);
        Some(note.clone())
    }

    fn remove(&self, owner: &str, id: u64) -> bool {
        let mut notes = self.notes();
        let before = notes.len();
        notes.retain(|n| !(n.id == id && n.owner_id == owner));
        notes.len() != before
    }

    fn count(&self) -> u64 {
        self.notes().len() as u64
    }
}

impl Teardown for MemoryStore {
    async fn teardown(&self) {
        // A real store would flush and close its connections here.
        self.closed.store(true, Ordering::SeqCst);
        tracing::info!(notes = self.count(), "note store closed");
    }
}

// ---------------------------------------------------------------------------
// Authentication

/// A caller.
#[contract]
#[derive(Clone, Debug)]
pub struct Caller {
    /// Their id.
    pub id: String,
}

/// `Authorization`.
#[contract]
pub struct Bearer {
    /// `Bearer <token>`.
    pub authorization: String,
}

/// 401 `invalid-token`.
#[jero::error(status = 401, code = "invalid-token", title = "Invalid token")]
pub struct InvalidToken;

/// Bearer tokens of [`Config::tokens`].
pub struct TokenAuth {
    tokens: Arc<HashMap<String, String>>,
}

#[authenticator(scheme = "bearer")]
impl TokenAuth {
    async fn authenticate(&self, headers: Bearer) -> Result<Caller, InvalidToken> {
        let token = jero::auth::bearer_token(&headers.authorization).ok_or(InvalidToken)?;
        let id = self.tokens.get(token).ok_or(InvalidToken)?;
        Ok(Caller { id: id.clone() })
    }
}

// ---------------------------------------------------------------------------
// Routes

/// `/notes`: each caller's own notes.
pub struct NoteResource {
    store: Arc<dyn NoteStore>,
}

#[resource(path = "/notes", tag = "notes")]
impl NoteResource {
    /// Writes a note.
    async fn create(
        &self,
        user: Caller,
        headers: RequestMeta,
        json: NoteIn,
    ) -> JsonResponse<Note, CreatedHeaders> {
        let note = self.store.insert(&user.id, json);
        let location = format!("/notes/{}", note.id);
        JsonResponse::new(note).headers(CreatedHeaders {
            location,
            x_request_id: headers.x_request_id,
        })
    }

    /// The caller's notes, oldest first.
    async fn read_many(&self, user: Caller, params: Page) -> Vec<Note> {
        self.store
            .list(&user.id, params.offset as usize, params.limit as usize)
    }

    /// One note.
    async fn read_one(&self, user: Caller, path: NotePath) -> Result<Note, NoteNotFound> {
        self.store.get(&user.id, path.note_id).ok_or(NoteNotFound {
            note_id: path.note_id,
        })
    }

    /// Replaces a note's title, body and tags.
    async fn update(&self, user: Caller, path: NotePath, json: NoteIn) -> Result<Note, NoteNotFound> {
        // Moved in, not copied; a store that called `change` twice would
        // find nothing more to move.
        let mut json = Some(json);
        self.store
            .update(&user.id, path.note_id, &mut |note| {
                if let Some(NoteIn { title, body, tags }) = json.take() {
                    (note.title, note.body, note.tags) = (title, body, tags);
                }
            })
            .ok_or(NoteNotFound {
                note_id: path.note_id,
            })
    }

    /// Changes the fields given.
    async fn partial_update(
        &self,
        user: Caller,
        path: NotePath,
        mut json: NotePatch,
    ) -> Result<Note, NoteNotFound> {
        self.store
            .update(&user.id, path.note_id, &mut |note| {
                if let Some(title) = json.title.take() {
                    note.title = title;
                }
                if let Some(body) = json.body.take() {
                    note.body = body;
                }
            })
            .ok_or(NoteNotFound {
                note_id: path.note_id,
            })
    }

    /// Removes a note: 204.
    async fn delete(&self, user: Caller, path: NotePath) -> Result<NoContent, NoteNotFound> {
        match self.store.remove(&user.id, path.note_id) {
            true => Ok(NoContent::new()),
            false => Err(NoteNotFound {
                note_id: path.note_id,
            }),
        }
    }
}

/// `GET /healthz`, public.
pub struct HealthEndpoint {
    store: Arc<dyn NoteStore>,
}

#[endpoint(path = "/healthz", tag = "ops")]
impl HealthEndpoint {
    /// Whether the service is up.
    async fn get(&self) -> Health {
        Health {
            status: "ok".into(),
            notes: self.store.count(),
        }
    }
}

// ---------------------------------------------------------------------------
// The app

/// What the app is built from.
pub struct Config {
    /// Bearer token -> caller id.
    pub tokens: HashMap<String, String>,
}

impl Default for Config {
    /// Two callers: `alice-token` (alice) and `bob-token` (bob).
    fn default() -> Config {
        Config {
            tokens: HashMap::from([
                ("alice-token".to_owned(), "alice".to_owned()),
                ("bob-token".to_owned(), "bob".to_owned()),
            ]),
        }
    }
}

/// The notes service.
pub struct NotesApp {
    tokens: Arc<HashMap<String, String>>,
    /// A store given by the caller (a test's stand-in); else the app makes
    /// and manages its own.
    store: Option<Arc<dyn NoteStore>>,
}

impl NotesApp {
    /// The app with its own store.
    pub fn new(config: Config) -> NotesApp {
        NotesApp {
            tokens: Arc::new(config.tokens),
            store: None,
        }
    }

    /// The app with `store` in place of its own (which it then neither
    /// makes nor tears down).
    pub fn with_store(config: Config, store: Arc<dyn NoteStore>) -> NotesApp {
        NotesApp {
            store: Some(store),
            ..NotesApp::new(config)
        }
    }
}

impl jero::App for NotesApp {
    async fn wire(&self, wiring: &mut Wiring) -> Result<(), BoxError> {
        wiring.on_teardown("shutdown log", || async {
            tracing::info!("notes service stopped")
        });
        let store: Arc<dyn NoteStore> = match &self.store {
            Some(stand_in) => stand_in.clone(),
            None => wiring.manage(MemoryStore::default()),
        };
        let auth = TokenAuth {
            tokens: self.tokens.clone(),
        };
        wiring
            .include_resource_with_auth(NoteResource { store: store.clone() }, auth)
            .include_endpoint(HealthEndpoint { store })
            .include_openapi(OpenApi::new("notes", env!("CARGO_PKG_VERSION")));
        Ok(())
    }
}
