//! The server: listeners, worker threads, runtimes, signals, shutdown.

use std::io;
use std::net::{SocketAddr, TcpListener as StdListener, ToSocketAddrs};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Instant;

use monoio::{IoUringDriver, LegacyDriver};
use socket2::{Domain, Protocol, Socket, Type};

use crate::config::{Driver, Limits, Timeouts};
use crate::worker::{race, Worker, TICK};
use crate::Service;

/// Pending connections the kernel queues per listener.
const BACKLOG: i32 = 4096;
/// Submission queue entries per io_uring.
const RING_ENTRIES: u32 = 1024;

/// Settings shared by every worker (read-only while serving).
#[derive(Clone, Debug)]
pub(crate) struct Config {
    pub(crate) limits: Limits,
    pub(crate) timeouts: Timeouts,
    pub(crate) driver: Driver,
}

/// Configures and binds a [`Server`].
///
/// ```no_run
/// use jero_engine::{service_fn, Response, Server};
///
/// let server = Server::builder()
///     .addr("127.0.0.1:8000")
///     .workers(2)
///     .bind()
///     .expect("bind");
/// println!("listening on http://{}", server.local_addr());
/// server
///     .serve(|| service_fn(|_req| async { Response::new(200).with_body("hi") }))
///     .expect("serve");
/// ```
#[derive(Debug)]
pub struct ServerBuilder {
    addr: String,
    workers: usize,
    config: Config,
    handle_signals: bool,
}

impl Default for ServerBuilder {
    fn default() -> Self {
        ServerBuilder {
            addr: "127.0.0.1:8000".to_owned(),
            workers: std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
            config: Config {
                limits: Limits::default(),
                timeouts: Timeouts::default(),
                driver: Driver::from_env(),
            },
            handle_signals: true,
        }
    }
}

impl ServerBuilder {
    /// The address to listen on, `HOST:PORT` (port 0 picks a free port).
    pub fn addr(mut self, addr: impl Into<String>) -> Self {
        self.addr = addr.into();
        self
    }

    /// Worker threads, each with its own runtime and listener (default: one
    /// per core; at least 1).
    pub fn workers(mut self, n: usize) -> Self {
        self.workers = n.max(1);
        self
    }

    /// Request size limits.
    pub fn limits(mut self, limits: Limits) -> Self {
        self.config.limits = limits;
        self
    }

    /// Connection timeouts.
    pub fn timeouts(mut self, timeouts: Timeouts) -> Self {
        self.config.timeouts = timeouts;
        self
    }

    /// The I/O driver (default: from `JERO_DRIVER`, else auto).
    pub fn driver(mut self, driver: Driver) -> Self {
        self.config.driver = driver;
        self
    }

    /// Whether [`Server::serve`] installs SIGTERM/SIGINT handlers that start
    /// a graceful shutdown (default: yes). A second signal exits at once.
    pub fn handle_signals(mut self, yes: bool) -> Self {
        self.handle_signals = yes;
        self
    }

    /// Binds one `SO_REUSEPORT` listener per worker. Once this returns, the
    /// kernel accepts connections on the address (they queue until served).
    ///
    /// An address another socket listens on is an error
    /// ([`io::ErrorKind::AddrInUse`]), another server of this kind
    /// included: `SO_REUSEPORT` alone would let a second process of the
    /// same user share the port and take part of its connections. The
    /// check is made just before the listeners bind: two servers started
    /// in the same instant can both pass it.
    ///
    /// ```
    /// let first = jero_engine::Server::builder().addr("127.0.0.1:0").bind().unwrap();
    /// let taken = first.local_addr().to_string();
    /// let second = jero_engine::Server::builder().addr(taken).bind();
    /// assert_eq!(second.unwrap_err().kind(), std::io::ErrorKind::AddrInUse);
    /// ```
    pub fn bind(self) -> io::Result<Server> {
        let addr = self
            .addr
            .to_socket_addrs()?
            .next()
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "address resolves to nothing"))?;
        if addr.port() != 0 {
            check_free(addr)?;
        }
        let first = listener(addr)?;
        let local_addr = first.local_addr()?;
        let mut listeners = vec![first];
        for _ in 1..self.workers {
            listeners.push(listener(local_addr)?);
        }
        Ok(Server {
            listeners,
            local_addr,
            config: Arc::new(self.config),
            shutdown: Arc::new(ShutdownState::default()),
            handle_signals: self.handle_signals,
        })
    }
}

/// Fails with `AddrInUse` if a socket listens on `addr`: a socket
/// without `SO_REUSEPORT` cannot bind beside one, reuse-port or not
/// (`SO_REUSEADDR` still lets it past connections of an earlier run in
/// `TIME_WAIT`). It is closed before the workers' listeners bind.
fn check_free(addr: SocketAddr) -> io::Result<()> {
    let probe = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    probe.set_reuse_address(true)?;
    probe.bind(&addr.into()).map_err(|e| match e.kind() {
        io::ErrorKind::AddrInUse => io::Error::new(
            io::ErrorKind::AddrInUse,
            format!("{addr} is in use: another server listens on it; stop that one, or give this one another address"),
        ),
        _ => e,
    })
}

fn listener(addr: SocketAddr) -> io::Result<StdListener> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    socket.set_reuse_address(true)?;
    socket.set_reuse_port(true)?;
    socket.set_nodelay(true)?;
    socket.bind(&addr.into())?;
    socket.listen(BACKLOG)?;
    socket.set_nonblocking(true)?;
    Ok(socket.into())
}

#[derive(Default, Debug)]
struct ShutdownState {
    requested: Arc<AtomicBool>,
    done: Mutex<bool>,
    done_cv: Condvar,
}

/// Starts a graceful shutdown of a running [`Server`] from any thread.
#[derive(Clone, Debug)]
pub struct ShutdownHandle(Arc<ShutdownState>);

impl ShutdownHandle {
    /// Asks the server to stop accepting, finish in-flight requests, close
    /// idle connections and return from [`Server::serve`]. Returns at once.
    pub fn shutdown(&self) {
        self.0.requested.store(true, Ordering::Release);
    }

    /// Blocks until [`Server::serve`] has returned.
    pub fn wait(&self) {
        let mut done = self.0.done.lock().unwrap_or_else(|e| e.into_inner());
        while !*done {
            done = self.0.done_cv.wait(done).unwrap_or_else(|e| e.into_inner());
        }
    }
}

/// A bound server, ready to [`serve`](Server::serve).
#[derive(Debug)]
pub struct Server {
    listeners: Vec<StdListener>,
    local_addr: SocketAddr,
    config: Arc<Config>,
    shutdown: Arc<ShutdownState>,
    handle_signals: bool,
}

impl Server {
    /// A builder with the defaults.
    pub fn builder() -> ServerBuilder {
        ServerBuilder::default()
    }

    /// The bound address (with the real port when 0 was asked).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// A handle that can stop the server from another thread.
    pub fn shutdown_handle(&self) -> ShutdownHandle {
        ShutdownHandle(self.shutdown.clone())
    }

    /// Serves until shutdown (SIGTERM/SIGINT if signal handling is on, or a
    /// [`ShutdownHandle`]). `make_service` runs once on each worker thread
    /// and builds that worker's service; share state through `Arc`.
    ///
    /// Returns after every worker has drained (or the grace period ran out).
    pub fn serve<F, S>(self, make_service: F) -> io::Result<()>
    where
        F: Fn() -> S + Send + Sync + 'static,
        S: Service,
    {
        let mut signal_ids = Vec::new();
        if self.handle_signals {
            for sig in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
                // A second signal while shutting down exits immediately.
                signal_ids.push(signal_hook::flag::register_conditional_shutdown(
                    sig,
                    1,
                    self.shutdown.requested.clone(),
                )?);
                signal_ids.push(signal_hook::flag::register(sig, self.shutdown.requested.clone())?);
            }
        }
        let make_service = Arc::new(make_service);
        let mut threads = Vec::with_capacity(self.listeners.len());
        for (i, listener) in self.listeners.into_iter().enumerate() {
            let config = self.config.clone();
            let requested = self.shutdown.requested.clone();
            let make_service = make_service.clone();
            let t = std::thread::Builder::new()
                .name(format!("jero-worker-{i}"))
                .spawn(move || run_worker(listener, config, requested, move || make_service()))?;
            threads.push(t);
        }
        let mut result = Ok(());
        for t in threads {
            match t.join() {
                Ok(Ok(())) => {}
                Ok(Err(e)) => {
                    // A worker that fails stops the others.
                    self.shutdown.requested.store(true, Ordering::Release);
                    result = Err(e);
                }
                Err(_) => {
                    self.shutdown.requested.store(true, Ordering::Release);
                    result = Err(io::Error::other("a worker thread panicked"));
                }
            }
        }
        for id in signal_ids {
            signal_hook::low_level::unregister(id);
        }
        *self.shutdown.done.lock().unwrap_or_else(|e| e.into_inner()) = true;
        self.shutdown.done_cv.notify_all();
        result
    }
}

static FALLBACK_LOGGED: AtomicBool = AtomicBool::new(false);

/// Builds this thread's runtime and runs the worker on it.
fn run_worker<F, S>(
    listener: StdListener,
    config: Arc<Config>,
    requested: Arc<AtomicBool>,
    make_service: F,
) -> io::Result<()>
where
    F: FnOnce() -> S,
    S: Service,
{
    if config.driver != Driver::Epoll {
        match build_uring() {
            Ok(mut rt) => {
                DRIVER_NAME.with(|d| d.set("io_uring"));
                return rt.block_on(worker_main(listener, config, requested, make_service));
            }
            Err(e) => {
                if !FALLBACK_LOGGED.swap(true, Ordering::Relaxed) {
                    tracing::warn!(error = %e, "io_uring unavailable; falling back to the epoll driver");
                }
            }
        }
    }
    DRIVER_NAME.with(|d| d.set("epoll"));
    let mut rt = crate::blocking_runtime::<LegacyDriver>()
        .with_entries(RING_ENTRIES)
        .enable_timer()
        .build()?;
    rt.block_on(worker_main(listener, config, requested, make_service))
}

type UringRuntime = monoio::Runtime<monoio::time::TimeDriver<IoUringDriver>>;

/// io_uring with the cheapest setup the kernel accepts: single issuer with
/// deferred task running (Linux 6.1), then cooperative task running (5.19),
/// then a plain ring.
fn build_uring() -> io::Result<UringRuntime> {
    let attempts: [fn() -> io_uring::Builder; 3] = [
        || {
            let mut b = io_uring::IoUring::builder();
            b.setup_single_issuer().setup_defer_taskrun();
            b
        },
        || {
            let mut b = io_uring::IoUring::builder();
            b.setup_coop_taskrun();
            b
        },
        io_uring::IoUring::builder,
    ];
    let mut last = None;
    for make in attempts {
        match crate::blocking_runtime::<IoUringDriver>()
            .with_entries(RING_ENTRIES)
            .uring_builder(make())
            .enable_timer()
            .build()
        {
            Ok(rt) => return Ok(rt),
            Err(e) => {
                tracing::debug!(error = %e, "io_uring setup flags rejected; trying fewer");
                last = Some(e);
            }
        }
    }
    Err(last.unwrap_or_else(|| io::Error::other("io_uring setup failed")))
}

thread_local! {
    static DRIVER_NAME: std::cell::Cell<&'static str> = const { std::cell::Cell::new("none") };
}

/// Which driver the current worker thread runs.
pub(crate) fn current_driver_name() -> &'static str {
    DRIVER_NAME.with(|d| d.get())
}

async fn worker_main<F, S>(
    listener: StdListener,
    config: Arc<Config>,
    requested: Arc<AtomicBool>,
    make_service: F,
) -> io::Result<()>
where
    F: FnOnce() -> S,
    S: Service,
{
    let grace = config.timeouts.shutdown_grace;
    let worker = Rc::new(Worker::new(config, requested));
    let service = Rc::new(make_service());
    let listener = monoio::net::TcpListener::from_std(listener)?;

    // The tick task: clock, Date cache, deadlines, shutdown.
    let ticker = worker.clone();
    monoio::spawn(async move {
        let mut interval = monoio::time::interval(TICK);
        loop {
            interval.tick().await;
            ticker.tick();
        }
    });

    let accept_key = worker.register();
    worker.arm(accept_key, None, true);
    loop {
        if worker.global_shutdown_requested() {
            worker.begin_shutdown();
            break;
        }
        match race(listener.accept(), worker.interrupt(accept_key)).await {
            Ok(Ok((stream, _peer))) => {
                let _ = stream.set_nodelay(true);
                monoio::spawn(crate::conn::serve(stream, service.clone(), worker.clone()));
            }
            Ok(Err(e)) => {
                // EMFILE and friends: back off briefly instead of spinning.
                tracing::warn!(error = %e, "accept failed");
                monoio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
            Err(_) => break,
        }
    }
    drop(listener);
    worker.release(accept_key);

    // Drain: in-flight requests finish, idle connections were woken to close.
    if !drained(&worker, grace).await {
        tracing::warn!(
            open = worker.active_connections(),
            ?grace,
            "shutdown grace period over; dropping the requests still running \
             (raise Timeouts::shutdown_grace if they need longer)"
        );
        // Each task ends at its next poll, dropping its stream or service
        // future (whose teardown runs); a few turns of the runtime let them.
        worker.stop_tasks();
        if !drained(&worker, std::time::Duration::from_millis(100)).await {
            tracing::warn!(
                open = worker.active_connections(),
                "connections still open after being stopped; leaving them to the process exit"
            );
        }
    }
    Ok(())
}

/// Waits up to `within` for the worker's connections to close; whether
/// they all did.
async fn drained(worker: &Worker, within: std::time::Duration) -> bool {
    let deadline = Instant::now() + within;
    while worker.active_connections() > 0 && Instant::now() < deadline {
        monoio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    worker.active_connections() == 0
}
