//! The complete example: a notes service with a factory, a managed store,
//! bearer authentication, every resource method, typed binding and typed
//! responses.
//!
//! ```text
//! cargo run -p jero-examples --bin complete
//! curl -X POST localhost:8000/notes -H 'Authorization: Bearer alice-token' \
//!      -H 'Content-Type: application/json' -d '{"title":"Groceries","body":"eggs"}'
//! curl localhost:8000/notes -H 'Authorization: Bearer alice-token'
//! curl localhost:8000/openapi.json
//! ```

use jero_examples::complete::{Config, NotesApp};

fn main() {
    jero_examples::run(NotesApp::new(Config::default()));
}
