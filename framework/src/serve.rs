//! Serving an app on the engine: one call from `main`.

use std::io;
use std::net::SocketAddr;

use jero_engine::{Driver, Limits, Server, ServerBuilder, ShutdownHandle, Timeouts};

use crate::app::{wire, App, Wired, WiringError};
use crate::router::AppService;

/// Why an app could not be served.
#[derive(Debug)]
pub enum ServeError {
    /// The app is wired wrong; it must not serve.
    Wiring(WiringError),
    /// Binding or running the server failed.
    Io(io::Error),
}

impl std::fmt::Display for ServeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ServeError::Wiring(e) => write!(f, "wiring error: {e}"),
            ServeError::Io(e) => write!(f, "server error: {e}"),
        }
    }
}

impl std::error::Error for ServeError {}

impl From<WiringError> for ServeError {
    fn from(e: WiringError) -> Self {
        ServeError::Wiring(e)
    }
}

impl From<io::Error> for ServeError {
    fn from(e: io::Error) -> Self {
        ServeError::Io(e)
    }
}

/// Serves an app: configure, then [`bind`](Serve::bind) and [`run`](Bound::run).
///
/// ```no_run
/// # struct MyApp;
/// # impl jero::App for MyApp {
/// #     async fn wire(&self, _w: &mut jero::Wiring) -> Result<(), jero::BoxError> { Ok(()) }
/// # }
/// let bound = jero::serve(MyApp).addr("127.0.0.1:8000").workers(2).bind().expect("start");
/// println!("listening on http://{}", bound.local_addr());
/// bound.run().expect("serve");
/// ```
pub fn serve<A: App>(app: A) -> Serve<A> {
    Serve {
        app,
        builder: Server::builder(),
    }
}

/// See [`serve`].
pub struct Serve<A> {
    app: A,
    builder: ServerBuilder,
}

impl<A: App> Serve<A> {
    /// `HOST:PORT` to listen on (default `127.0.0.1:8000`).
    pub fn addr(mut self, addr: impl Into<String>) -> Self {
        self.builder = self.builder.addr(addr);
        self
    }

    /// Worker threads (default: one per core).
    pub fn workers(mut self, n: usize) -> Self {
        self.builder = self.builder.workers(n);
        self
    }

    /// Request limits (body size and more).
    pub fn limits(mut self, limits: Limits) -> Self {
        self.builder = self.builder.limits(limits);
        self
    }

    /// Connection timeouts.
    pub fn timeouts(mut self, timeouts: Timeouts) -> Self {
        self.builder = self.builder.timeouts(timeouts);
        self
    }

    /// The I/O driver (default: io_uring where available).
    pub fn driver(mut self, driver: Driver) -> Self {
        self.builder = self.builder.driver(driver);
        self
    }

    /// Whether SIGTERM/SIGINT start a graceful shutdown (default: yes).
    pub fn handle_signals(mut self, yes: bool) -> Self {
        self.builder = self.builder.handle_signals(yes);
        self
    }

    /// Wires, binds and serves until shutdown, then tears down: the one call
    /// a `main` needs. Logs the listening address (use [`Serve::bind`] to
    /// print it or to learn an ephemeral port).
    ///
    /// ```no_run
    /// # struct MyApp;
    /// # impl jero::App for MyApp {
    /// #     async fn wire(&self, _w: &mut jero::Wiring) -> Result<(), jero::BoxError> { Ok(()) }
    /// # }
    /// fn main() -> Result<(), jero::ServeError> {
    ///     jero::serve(MyApp).addr("127.0.0.1:8000").run()
    /// }
    /// ```
    pub fn run(self) -> Result<(), ServeError> {
        let bound = self.bind()?;
        tracing::info!(addr = %bound.local_addr(), "listening");
        bound.run()
    }

    /// Wires the app (on this thread) and binds the listeners. A wiring
    /// mistake is returned here, before anything listens.
    pub fn bind(self) -> Result<Bound, ServeError> {
        let wired = block_on(wire(&self.app))??;
        match self.builder.bind() {
            Ok(server) => Ok(Bound { server, wired }),
            Err(e) => {
                block_on(wired.teardowns.run())?;
                Err(ServeError::Io(e))
            }
        }
    }
}

/// A wired app with bound listeners.
pub struct Bound {
    server: Server,
    wired: Wired,
}

impl Bound {
    /// The address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.server.local_addr()
    }

    /// A handle to stop the server from another thread.
    pub fn shutdown_handle(&self) -> ShutdownHandle {
        self.server.shutdown_handle()
    }

    /// Serves until shutdown, then runs the app's teardowns.
    pub fn run(self) -> Result<(), ServeError> {
        let router = self.wired.router.clone();
        let served = self.server.serve(move || AppService::new(router.clone()));
        block_on(self.wired.teardowns.run())?;
        served.map_err(ServeError::Io)
    }
}

/// Runs a future to completion on a fresh single-threaded runtime (used for
/// wiring and teardown, outside the workers).
pub fn block_on<F: std::future::Future>(fut: F) -> io::Result<F::Output> {
    let mut rt = jero_engine::blocking_runtime::<monoio::LegacyDriver>()
        .enable_timer()
        .build()?;
    Ok(rt.block_on(fut))
}
