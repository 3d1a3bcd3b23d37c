//! Turning a panic while polling a future into a value, so one failing
//! request never takes its worker down.

use std::any::Any;
use std::future::Future;
use std::panic::{catch_unwind as catch, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{Context, Poll};

/// The payload of a caught panic.
pub type PanicPayload = Box<dyn Any + Send + 'static>;

/// Polls `future`, catching a panic from any poll.
///
/// The future is not used again after it panics (it is dropped), so the
/// `AssertUnwindSafe` is sound in spirit: no broken state is observed.
///
/// ```
/// # let mut rt = monoio::RuntimeBuilder::<monoio::LegacyDriver>::new().build().unwrap();
/// rt.block_on(async {
///     let ok = jero_engine::catch_unwind(async { 1 }).await;
///     assert_eq!(ok.unwrap(), 1);
///     let caught = jero_engine::catch_unwind(async { panic!("boom") }).await;
///     assert_eq!(jero_engine::panic_message(&caught.unwrap_err()), "boom");
/// });
/// ```
pub fn catch_unwind<F: Future>(future: F) -> CatchUnwind<F> {
    CatchUnwind { inner: future }
}

pin_project_lite::pin_project! {
    /// See [`catch_unwind`].
    pub struct CatchUnwind<F> {
        #[pin]
        inner: F,
    }
}

impl<F: Future> Future for CatchUnwind<F> {
    type Output = Result<F::Output, PanicPayload>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = self.project().inner;
        match catch(AssertUnwindSafe(move || inner.poll(cx))) {
            Ok(Poll::Ready(v)) => Poll::Ready(Ok(v)),
            Ok(Poll::Pending) => Poll::Pending,
            Err(payload) => Poll::Ready(Err(payload)),
        }
    }
}

/// The message of a panic payload (`panic!("...")` text), or a placeholder.
pub fn panic_message(payload: &PanicPayload) -> &str {
    if let Some(s) = payload.downcast_ref::<&'static str>() {
        s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s
    } else {
        "non-string panic payload"
    }
}

/// Spawns `future` as a task of the calling worker, as `monoio::spawn`
/// does, with one difference: a panic inside the task is caught and
/// logged (with its message) instead of unwinding through the worker,
/// which would stop it and every connection it serves. So is a panic in
/// the task's destructor once it has panicked. The handle resolves to the
/// task's output, or `None` when it panicked.
///
/// Call it from a handler (or anything else running on a worker); outside
/// a worker's runtime it panics, as `monoio::spawn` does.
///
/// ```
/// # let mut rt = monoio::RuntimeBuilder::<monoio::LegacyDriver>::new().build().unwrap();
/// rt.block_on(async {
///     assert_eq!(jero_engine::spawn(async { 7 }).await, Some(7));
///     let failed = jero_engine::spawn(async { panic!("background job failed") });
///     assert_eq!(failed.await, None::<()>);
/// });
/// ```
pub fn spawn<F>(future: F) -> monoio::task::JoinHandle<Option<F::Output>>
where
    F: Future + 'static,
    F::Output: 'static,
{
    monoio::spawn(async move {
        let mut task = Box::pin(catch_unwind(future));
        let out = task.as_mut().await;
        match out {
            Ok(v) => Some(v),
            Err(payload) => {
                tracing::error!(panic = panic_message(&payload), "a spawned task panicked");
                // The task is dropped here, where a panic in its destructor
                // is caught too.
                drop_logged(task, "a panicked spawned task's destructor panicked");
                None
            }
        }
    })
}

/// Runs the blocking function `f` (a file read, a C library, a hash of a
/// password: work that would stall every connection of the worker) on a
/// thread of a pool shared by every worker, and resolves to its result on
/// the calling task, or `None` when `f` panicked (caught and logged with
/// its message; the pool's thread lives on). `monoio::spawn_blocking`
/// runs on the same pool.
///
/// The pool has [`BLOCKING_THREADS`] threads, started when it is first
/// used; more calls at once than that wait for a free thread.
///
/// Call it from a handler (or anything else running on a worker's, the
/// TestClient's or [`blocking_runtime`]'s runtime); outside such a
/// runtime it panics, as `monoio::spawn_blocking` does.
///
/// ```
/// # let mut rt = jero_engine::blocking_runtime::<monoio::LegacyDriver>().build().unwrap();
/// rt.block_on(async {
///     let digest = jero_engine::spawn_blocking(|| (1..=10u64).product::<u64>()).await;
///     assert_eq!(digest, Some(3_628_800));
///     let failed = jero_engine::spawn_blocking(|| -> u8 { panic!("the disk is gone") });
///     assert_eq!(failed.await, None);
/// });
/// ```
pub async fn spawn_blocking<F, R>(f: F) -> Option<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    // A panic must not unwind through the pool's task: its handle would
    // never resolve.
    let ran = monoio::spawn_blocking(move || catch(AssertUnwindSafe(f))).await;
    match ran {
        Ok(Ok(value)) => Some(value),
        Ok(Err(payload)) => {
            tracing::error!(panic = panic_message(&payload), "a blocking task panicked");
            drop_logged(payload, "a blocking task's panic payload panicked when dropped");
            None
        }
        Err(monoio::blocking::JoinError::Canceled) => {
            tracing::error!("a blocking task was dropped by its pool before it ran");
            None
        }
    }
}

/// Threads of the pool [`spawn_blocking`] runs on.
pub const BLOCKING_THREADS: usize = 16;

/// The pool [`spawn_blocking`] runs on: one for the process, started on
/// first use.
struct BlockingPool;

impl monoio::blocking::ThreadPool for BlockingPool {
    fn schedule_task(&self, task: monoio::blocking::BlockingTask) {
        static POOL: std::sync::OnceLock<monoio::blocking::DefaultThreadPool> = std::sync::OnceLock::new();
        POOL.get_or_init(|| monoio::blocking::DefaultThreadPool::new(BLOCKING_THREADS))
            .schedule_task(task);
    }
}

/// A runtime builder with the blocking pool attached, as every runtime
/// the engine, the framework and the TestClient start is built: on it,
/// [`spawn_blocking`] and `monoio::spawn_blocking` work.
///
/// ```
/// let mut rt = jero_engine::blocking_runtime::<monoio::LegacyDriver>().build().unwrap();
/// assert_eq!(rt.block_on(jero_engine::spawn_blocking(|| 2 + 2)), Some(4));
/// ```
pub fn blocking_runtime<D>() -> monoio::RuntimeBuilder<D> {
    monoio::RuntimeBuilder::<D>::new().attach_thread_pool(Box::new(BlockingPool))
}

/// Drops `value`, catching a panic from its destructor: logged with `what`
/// and the panic's message, never unwound into the caller.
pub(crate) fn drop_logged<T>(value: T, what: &'static str) {
    if let Err(payload) = catch(AssertUnwindSafe(move || drop(value))) {
        tracing::error!(panic = panic_message(&payload), "{what}");
    }
}
