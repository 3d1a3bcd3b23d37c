//! The complete example through the TestClient: every resource method,
//! binding and its constraints, authentication, typed responses, the
//! document, the lifecycle, and a stand-in store handed to the app.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use jero_examples::complete::{Config, MemoryStore, Note, NoteIn, NoteStore, NotesApp};
use jero_testing::{json, TestClient};
use serde_json::Value;

const ALICE: &str = "Bearer alice-token";
const BOB: &str = "Bearer bob-token";

fn client() -> TestClient {
    TestClient::new(NotesApp::new(Config::default()))
}

fn create(c: &TestClient, who: &str, body: Value) -> jero_testing::TestResponse {
    c.post("/notes").header("Authorization", who).json(&body).send()
}

#[test]
fn every_resource_method_of_a_callers_own_notes() {
    let c = client();
    let res = c
        .post("/notes")
        .header("Authorization", ALICE)
        .header("X-Request-Id", "req-1")
        .json(&json!({"title": "Groceries", "body": "eggs", "tags": ["home"]}))
        .send();
    assert_eq!(res.status(), 201);
    assert_eq!(res.header("location"), Some("/notes/1"));
    assert_eq!(res.header("x-request-id"), Some("req-1"));
    assert_eq!(
        res.json::<Value>(),
        json!({"id": 1, "ownerId": "alice", "title": "Groceries", "body": "eggs", "tags": ["home"]})
    );
    // Without X-Request-Id, no such header comes back.
    let res = create(&c, ALICE, json!({"title": "Second"}));
    assert_eq!((res.status(), res.header("x-request-id")), (201, None));
    create(&c, BOB, json!({"title": "Bob's"}));

    let list: Vec<Value> = c.get("/notes").header("Authorization", ALICE).send().json();
    assert_eq!(list.len(), 2, "alice sees her two notes, not bob's");
    let page: Vec<Value> = c
        .get("/notes?limit=1&offset=1")
        .header("Authorization", ALICE)
        .send()
        .json();
    assert_eq!(page[0]["title"], "Second");

    let res = c.get("/notes/1").header("Authorization", ALICE).send();
    assert_eq!(res.json::<Value>()["title"], "Groceries");
    let res = c
        .put("/notes/1")
        .header("Authorization", ALICE)
        .json(&json!({"title": "Shopping", "body": "milk"}))
        .send();
    assert_eq!(
        res.json::<Value>(),
        json!({"id": 1, "ownerId": "alice", "title": "Shopping", "body": "milk", "tags": []})
    );
    let res = c
        .patch("/notes/1")
        .header("Authorization", ALICE)
        .json(&json!({"body": "milk, bread"}))
        .send();
    assert_eq!(res.json::<Value>()["title"], "Shopping");
    assert_eq!(res.json::<Value>()["body"], "milk, bread");

    let res = c.delete("/notes/1").header("Authorization", ALICE).send();
    assert_eq!(res.status(), 204);
    assert!(res.body().is_empty());
    let res = c.get("/notes/1").header("Authorization", ALICE).send();
    assert_eq!(res.status(), 404);
    assert_eq!(
        res.json::<Value>(),
        json!({"type": "note-not-found", "title": "Note not found", "status": 404,
               "detail": "No note 1", "params": {"noteId": 1}})
    );
    // Bob's note is not Alice's to read.
    assert_eq!(
        c.get("/notes/3").header("Authorization", ALICE).send().status(),
        404
    );
    assert_eq!(
        c.get("/notes/3").header("Authorization", BOB).send().status(),
        200
    );
}

#[test]
fn authentication_gates_the_notes_but_not_the_health_check() {
    let c = client();
    let res = c.get("/notes").send();
    assert_eq!(res.status(), 401);
    assert_eq!(res.json::<Value>()["type"], "authentication-required");
    let res = c.get("/notes").header("Authorization", "Bearer nope").send();
    assert_eq!(res.json::<Value>()["type"], "invalid-token");
    assert_eq!(res.header("www-authenticate"), Some("Bearer"));
    // The scheme in any case.
    let res = c
        .get("/notes")
        .header("Authorization", "bearer alice-token")
        .send();
    assert_eq!(res.status(), 200);
    let res = c.get("/healthz").send();
    assert_eq!(res.json::<Value>(), json!({"status": "ok", "notes": 0}));
}

#[test]
fn bad_input_gets_the_rest_statuses_naming_the_field() {
    let c = client();
    let detail = |res: jero_testing::TestResponse| {
        let p = res.problem();
        (p.status, p.detail.unwrap_or_default())
    };
    assert_eq!(
        detail(create(&c, ALICE, json!({"title": ""}))),
        (
            422,
            "invalid JSON body at `title`: must have at least 1 character".into()
        )
    );
    assert_eq!(
        detail(create(&c, ALICE, json!({"title": "t", "tags": ["ok", ""]}))),
        (
            422,
            "invalid JSON body at `tags[1]`: must have at least 1 character".into()
        )
    );
    assert_eq!(
        detail(create(&c, ALICE, json!({"body": "no title"}))),
        (422, "invalid JSON body: missing field `title`".into())
    );
    assert_eq!(
        detail(c.post("/notes").header("Authorization", ALICE).body("{").send()).0,
        400
    );
    assert_eq!(
        detail(c.get("/notes?limit=101").header("Authorization", ALICE).send()),
        (400, "query parameter `limit`: must be at most 100".into())
    );
    let long_id = "r".repeat(65);
    assert_eq!(
        detail(
            c.post("/notes")
                .header("Authorization", ALICE)
                .header("X-Request-Id", &long_id)
                .json(&json!({"title": "t"}))
                .send()
        ),
        (
            400,
            "header `x-request-id`: must have at most 64 characters".into()
        )
    );
    // A note id that is not a number names no note.
    assert_eq!(
        c.get("/notes/abc").header("Authorization", ALICE).send().status(),
        404
    );
    assert_eq!(
        c.post("/notes/1").header("Authorization", ALICE).send().status(),
        405
    );
}

#[test]
fn the_document_lists_the_routes_their_errors_and_the_scheme() {
    let c = client();
    let d: Value = c.get("/openapi.json").send().json();
    let statuses = |path: &str, method: &str| -> Vec<String> {
        d["paths"][path][method]["responses"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect()
    };
    assert_eq!(
        statuses("/notes", "post"),
        ["201", "400", "401", "413", "422", "500"]
    );
    assert_eq!(statuses("/notes/{note_id}", "get"), ["200", "401", "404", "500"]);
    assert_eq!(
        statuses("/notes/{note_id}", "delete"),
        ["204", "401", "404", "500"]
    );
    assert_eq!(statuses("/healthz", "get"), ["200", "500"]);
    let title = &d["components"]["schemas"]["NoteIn"]["properties"]["title"];
    assert_eq!(
        (title["minLength"].clone(), title["maxLength"].clone()),
        (json!(1), json!(120))
    );
    assert_eq!(
        d["paths"]["/notes"]["post"]["responses"]["201"]["headers"]["location"]["schema"]["type"],
        "string"
    );
    assert_eq!(
        d["components"]["securitySchemes"]["TokenAuth"],
        json!({"type": "http", "scheme": "bearer"})
    );
    assert_eq!(
        d["paths"]["/notes"]["get"]["security"],
        json!([{"TokenAuth": []}])
    );
    assert!(d["paths"]["/healthz"]["get"]["security"].is_null());
}

/// A stand-in store: counts writes and holds nothing.
#[derive(Default)]
struct CountingStore {
    inserts: AtomicUsize,
}

impl NoteStore for CountingStore {
    fn insert(&self, owner: &str, note: NoteIn) -> Note {
        let id = self.inserts.fetch_add(1, Ordering::SeqCst) as u64 + 100;
        Note {
            id,
            owner_id: owner.to_owned(),
            title: note.title,
            body: note.body,
            tags: note.tags,
        }
    }
    fn list(&self, _: &str, _: usize, _: usize) -> Vec<Note> {
        Vec::new()
    }
    fn get(&self, _: &str, _: u64) -> Option<Note> {
        None
    }
    fn update(&self, _: &str, _: u64, _: &mut dyn FnMut(&mut Note)) -> Option<Note> {
        None
    }
    fn remove(&self, _: &str, _: u64) -> bool {
        false
    }
    fn count(&self) -> u64 {
        self.inserts.load(Ordering::SeqCst) as u64
    }
}

#[test]
fn a_test_hands_the_app_a_stand_in_store() {
    let stand_in = Arc::new(CountingStore::default());
    let c = TestClient::new(NotesApp::with_store(Config::default(), stand_in.clone()));
    let res = create(&c, ALICE, json!({"title": "t"}));
    assert_eq!(res.header("location"), Some("/notes/100"));
    assert_eq!(stand_in.inserts.load(Ordering::SeqCst), 1);
    assert_eq!(c.get("/healthz").send().json::<Value>()["notes"], 1);
    assert_eq!(
        c.get("/notes/100").header("Authorization", ALICE).send().status(),
        404
    );
}

#[test]
fn a_store_given_by_the_caller_is_not_torn_down_with_the_app() {
    // The app manages (and tears down) only the store it makes itself.
    let store = Arc::new(MemoryStore::default());
    let c = TestClient::new(NotesApp::with_store(Config::default(), store.clone()));
    create(&c, ALICE, json!({"title": "kept"}));
    drop(c);
    assert!(!store.is_closed(), "the caller's store is the caller's to close");
    assert_eq!(store.list("alice", 0, 10)[0].title, "kept");
}
