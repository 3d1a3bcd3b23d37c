//! The demo server: the reference app (`jero_examples::demo`).
//!
//! `--addr HOST:PORT` (else `JERO_ADDR`, else `127.0.0.1:8000`), `--workers N`
//! (else `JERO_WORKERS`, else one per core). Prints `listening on http://...`
//! once it accepts connections; SIGTERM/SIGINT shut it down gracefully.

fn main() {
    jero_examples::run(jero_examples::demo::Demo::new());
}
