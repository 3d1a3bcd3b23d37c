//! The demo server of `DEMO_APP.md`.
//!
//! `--addr HOST:PORT` (else `JERO_ADDR`, else `127.0.0.1:8000`), `--workers N`
//! (else `JERO_WORKERS`, else one per core). Prints `listening on http://...`
//! once it accepts connections; SIGTERM/SIGINT shut it down gracefully.

fn main() {
    jero_examples::init_logging();
    let opts = jero_examples::Options::from_args();
    let bound = match jero::serve(jero_examples::demo::Demo::new())
        .addr(&opts.addr)
        .workers(opts.workers)
        .bind()
    {
        Ok(b) => b,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    println!("listening on http://{}", bound.local_addr());
    if let Err(e) = bound.run() {
        eprintln!("{e}");
        std::process::exit(1);
    }
}
