//! The complete example's own store is closed when the app stops: read
//! from the log, through a global subscriber. A test binary of its own:
//! a subscriber scoped to one test (`with_default`) missed events when
//! other tests ran beside it (tracing caches each callsite's interest
//! across threads), and other tests' apps would log the same lines.

use std::sync::{Arc, Mutex};

use jero_examples::complete::{Config, NotesApp};
use jero_testing::{json, TestClient};

/// Captured log output.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn the_app_s_own_store_closes_when_the_app_stops() {
    // The store the app makes is managed: its teardown runs when the app
    // stops (here, when the client is dropped), before the shutdown log
    // step registered ahead of it (teardowns run in reverse order), and
    // sees the notes written while the app ran.
    let logs = Captured::default();
    let writer = logs.clone();
    tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .init();
    let text = || String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    let c = TestClient::new(NotesApp::new(Config::default()));
    for (who, title) in [("Bearer alice-token", "one"), ("Bearer bob-token", "two")] {
        let res = c
            .post("/notes")
            .header("authorization", who)
            .json(&json!({"title": title}))
            .send();
        assert_eq!(res.status(), 201, "{}", res.text());
    }
    assert!(!text().contains("note store closed"), "{}", text());
    drop(c);
    let text = text();
    let stopped = text.find("notes service stopped").expect("the teardown step ran");
    let closed = text.find("note store closed").expect("the store was closed");
    assert!(
        text[closed..].lines().next().unwrap().contains("notes=2"),
        "{text}"
    );
    assert!(closed < stopped, "teardowns run in reverse order: {text}");
}
