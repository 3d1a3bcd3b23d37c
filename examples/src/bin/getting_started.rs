//! The getting-started app: one resource, one handler, one contract each way.
//!
//! ```text
//! cargo run -p jero-examples --bin getting_started
//! curl localhost:8000/widgets/abc   # -> {"id":"abc","name":"widget-name"}
//! ```

use jero_examples::getting_started::App;

fn main() {
    jero_examples::init_logging();
    let opts = jero_examples::Options::from_args();
    let bound = match jero::serve(App).addr(&opts.addr).workers(opts.workers).bind() {
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
