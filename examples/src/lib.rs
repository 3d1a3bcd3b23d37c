//! The example apps of jero, and the plumbing their binaries share:
//! command-line options and logging.

pub mod complete;
pub mod demo;
pub mod getting_started;

/// The allocator of every example binary (the demo included), each of
/// which links this library: mimalloc. jero itself never picks the global
/// allocator; an application does, with these two lines. On the load-test
/// app it takes 2 to 5 % off the user-space instructions per request
/// (glibc's `free` alone is about 100 instructions a call): see the
/// README's "Allocator".
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Options every example binary takes.
#[derive(Debug, Clone)]
pub struct Options {
    /// `--addr HOST:PORT`, else `JERO_ADDR`, else `127.0.0.1:8000`.
    pub addr: String,
    /// `--workers N`, else `JERO_WORKERS`, else one per core.
    pub workers: usize,
}

/// What `--help` prints, and bad input after its error.
const USAGE: &str = "usage: [--addr HOST:PORT] [--workers N]
  --addr HOST:PORT  the address to listen on (else JERO_ADDR, else 127.0.0.1:8000)
  --workers N       worker threads (else JERO_WORKERS, else one per core)";

impl Options {
    /// Parses `std::env::args()`; `--help` (or `-h`) prints the usage and
    /// exits 0; bad input exits 2 with the error and the usage.
    pub fn from_args() -> Options {
        let args: Vec<String> = std::env::args().skip(1).collect();
        if args.iter().any(|a| a == "--help" || a == "-h") {
            println!("{USAGE}");
            std::process::exit(0);
        }
        match Options::parse(args) {
            Ok(o) => o,
            Err(msg) => {
                eprintln!("{msg}\n{USAGE}");
                std::process::exit(2);
            }
        }
    }

    /// Parses the given arguments (without the program name). A flag wins
    /// over its environment variable, which is then not read; a variable
    /// set empty counts as unset.
    ///
    /// ```
    /// let o = jero_examples::Options::parse(["--addr", "127.0.0.1:9", "--workers", "3"].map(String::from)).unwrap();
    /// assert_eq!(o.addr, "127.0.0.1:9");
    /// assert_eq!(o.workers, 3);
    /// assert!(jero_examples::Options::parse(["--workers", "x"].map(String::from)).is_err());
    /// ```
    pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Options, String> {
        let mut addr = None;
        let mut workers = None;
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            let (key, inline) = match arg.split_once('=') {
                Some((k, v)) => (k.to_owned(), Some(v.to_owned())),
                None => (arg.clone(), None),
            };
            let mut value = || {
                inline
                    .clone()
                    .or_else(|| args.next())
                    .ok_or(format!("{key} needs a value"))
            };
            match key.as_str() {
                "--addr" => addr = Some(value()?),
                "--workers" => workers = Some(parse_workers("--workers", &value()?)?),
                other => return Err(format!("unknown argument {other}")),
            }
        }
        let env = |name| std::env::var(name).ok().filter(|v: &String| !v.is_empty());
        let addr = addr
            .or_else(|| env("JERO_ADDR"))
            .unwrap_or_else(|| "127.0.0.1:8000".to_owned());
        let workers = match workers {
            Some(n) => n,
            None => match env("JERO_WORKERS") {
                Some(v) => parse_workers("JERO_WORKERS", &v)?,
                None => std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
            },
        };
        Ok(Options { addr, workers })
    }
}

fn parse_workers(source: &str, v: &str) -> Result<usize, String> {
    match v.parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!("{source} must be a positive integer, got {v:?}")),
    }
}

/// Logs to stderr, filtered by `RUST_LOG` (default `info`).
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// Serves `app` the way every example binary does: options from the command
/// line and environment, one `listening on http://HOST:PORT` line once the
/// listeners are bound, exit code 1 on a wiring or server error.
pub fn run<A: jero::App>(app: A) {
    init_logging();
    let opts = Options::from_args();
    let bound = match jero::serve(app).addr(&opts.addr).workers(opts.workers).bind() {
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
