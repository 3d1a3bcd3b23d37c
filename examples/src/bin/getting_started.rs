//! The getting-started app: one resource, one handler, one contract each way.
//!
//! ```text
//! cargo run -p jero-examples --bin getting_started
//! curl localhost:8000/widgets/abc   # -> {"id":"abc","name":"widget-name"}
//! ```

use jero_examples::getting_started::App;

fn main() {
    jero_examples::run(App);
}
