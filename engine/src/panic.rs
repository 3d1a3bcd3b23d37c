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

/// Drops `value`, catching a panic from its destructor: logged with `what`
/// and the panic's message, never unwound into the caller.
pub(crate) fn drop_logged<T>(value: T, what: &'static str) {
    if let Err(payload) = catch(AssertUnwindSafe(move || drop(value))) {
        tracing::error!(panic = panic_message(&payload), "{what}");
    }
}
