//! Per-worker state: the coarse clock, connection deadlines, shutdown.
//!
//! Timeouts do not use one timer per I/O operation. Each connection owns a
//! slot holding its current deadline; the worker's tick task sweeps the slots
//! a few times a second and interrupts the connections whose deadline has
//! passed. An I/O operation is raced against its slot's [`Interrupt`], which
//! costs two `Cell` reads per poll. The same slots let graceful shutdown wake
//! the connections that sit idle between requests.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

/// How often the tick task refreshes the clock, the `Date` cache, sweeps
/// deadlines and checks for shutdown. Timeouts are accurate to about this.
pub(crate) const TICK: Duration = Duration::from_millis(250);

/// Why an interruptible operation was cut short.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Interrupted {
    /// The slot's deadline passed.
    Timeout,
    /// The server is shutting down and the slot was idle.
    Shutdown,
}

#[derive(Default)]
struct Slot {
    waker: Option<Waker>,
    /// When the current operation must be done; `None` while the service runs.
    deadline: Option<Instant>,
    /// Whether shutdown may interrupt the current wait (idle keep-alive, accept).
    idle: bool,
    timed_out: bool,
    in_use: bool,
    /// The connection task's waker, for [`Worker::stop_tasks`].
    task: Option<Waker>,
}

/// State shared by every task on one worker thread.
pub(crate) struct Worker {
    pub(crate) config: Arc<crate::server::Config>,
    global_shutdown: Arc<AtomicBool>,
    shutting_down: Cell<bool>,
    /// The shutdown's grace period is over: connection tasks end at their
    /// next poll ([`until_stopped`]).
    stopped: Cell<bool>,
    now: Cell<Instant>,
    slots: RefCell<Vec<Slot>>,
    free: RefCell<Vec<usize>>,
    active: Cell<usize>,
    /// Write buffers not in use, shared by the worker's connections.
    write_bufs: RefCell<Vec<Vec<u8>>>,
}

/// Size of a fresh write buffer.
const WRITE_BUF: usize = 4 * 1024;
/// Most write buffers kept in a worker's pool.
const POOLED_WRITE_BUFS: usize = 256;
/// Buffers that grew beyond this are freed instead of pooled.
const POOLED_WRITE_BUF_MAX: usize = 64 * 1024;

impl Worker {
    pub(crate) fn new(config: Arc<crate::server::Config>, global_shutdown: Arc<AtomicBool>) -> Worker {
        Worker {
            config,
            global_shutdown,
            shutting_down: Cell::new(false),
            stopped: Cell::new(false),
            now: Cell::new(Instant::now()),
            slots: RefCell::new(Vec::new()),
            free: RefCell::new(Vec::new()),
            active: Cell::new(0),
            write_bufs: RefCell::new(Vec::new()),
        }
    }

    #[inline]
    pub(crate) fn shutting_down(&self) -> bool {
        self.shutting_down.get()
    }

    pub(crate) fn active_connections(&self) -> usize {
        self.active.get()
    }

    /// Takes a slot for a new task; released by [`Worker::release`].
    pub(crate) fn register(&self) -> usize {
        let mut slots = self.slots.borrow_mut();
        let key = match self.free.borrow_mut().pop() {
            Some(k) => k,
            None => {
                slots.push(Slot::default());
                slots.len() - 1
            }
        };
        slots[key] = Slot {
            in_use: true,
            ..Slot::default()
        };
        key
    }

    pub(crate) fn release(&self, key: usize) {
        self.slots.borrow_mut()[key] = Slot::default();
        self.free.borrow_mut().push(key);
    }

    /// A write buffer for a connection that has output to encode.
    #[inline]
    pub(crate) fn take_write_buf(&self) -> Vec<u8> {
        self.write_bufs
            .borrow_mut()
            .pop()
            .unwrap_or_else(|| Vec::with_capacity(WRITE_BUF))
    }

    /// Returns a connection's write buffer to the pool (when it goes idle).
    #[inline]
    pub(crate) fn give_write_buf(&self, mut buf: Vec<u8>) {
        let cap = buf.capacity();
        if cap == 0 || cap > POOLED_WRITE_BUF_MAX {
            return;
        }
        let mut pool = self.write_bufs.borrow_mut();
        if pool.len() < POOLED_WRITE_BUFS {
            buf.clear();
            pool.push(buf);
        }
    }

    pub(crate) fn conn_opened(&self) {
        self.active.set(self.active.get() + 1);
    }

    pub(crate) fn conn_closed(&self) {
        self.active.set(self.active.get() - 1);
    }

    /// Sets the deadline of the slot's next operations, and whether shutdown
    /// may interrupt them.
    #[inline]
    pub(crate) fn arm(&self, key: usize, timeout: Option<Duration>, idle: bool) {
        let deadline = timeout.map(|t| self.deadline_in(t));
        self.arm_at(key, deadline, idle);
    }

    /// The instant `timeout` from now, on the worker's coarse clock.
    #[inline]
    pub(crate) fn deadline_in(&self, timeout: Duration) -> Instant {
        self.now.get() + timeout
    }

    #[inline]
    pub(crate) fn arm_at(&self, key: usize, deadline: Option<Instant>, idle: bool) {
        let mut slots = self.slots.borrow_mut();
        let slot = &mut slots[key];
        slot.deadline = deadline;
        slot.idle = idle;
        // A new deadline starts afresh: without this, an expired one would
        // interrupt every later operation at once, such as writing the 408
        // that answers the expiry.
        slot.timed_out = false;
    }

    /// Resolves when the slot times out or (if idle) the worker shuts down.
    #[inline]
    pub(crate) fn interrupt(&self, key: usize) -> Interrupt<'_> {
        Interrupt { worker: self, key }
    }

    /// One tick: refresh the clock and `Date`, check for shutdown, sweep deadlines.
    pub(crate) fn tick(&self) {
        let now = Instant::now();
        self.now.set(now);
        crate::date::refresh();
        let start_shutdown = !self.shutting_down.get() && self.global_shutdown.load(Ordering::Acquire);
        if start_shutdown {
            self.shutting_down.set(true);
        }
        let mut slots = self.slots.borrow_mut();
        for slot in slots.iter_mut().filter(|s| s.in_use) {
            let expired = slot.deadline.is_some_and(|d| d <= now);
            if expired {
                slot.timed_out = true;
            }
            if expired || (start_shutdown && slot.idle) {
                if let Some(w) = slot.waker.take() {
                    w.wake();
                }
            }
        }
    }

    /// Wakes idle slots right away (used when shutdown starts between ticks).
    pub(crate) fn begin_shutdown(&self) {
        if !self.shutting_down.replace(true) {
            for slot in self.slots.borrow_mut().iter_mut().filter(|s| s.in_use && s.idle) {
                if let Some(w) = slot.waker.take() {
                    w.wake();
                }
            }
        }
    }

    /// Ends every connection task at its next poll, which drops what it
    /// holds (a response stream's teardown runs): for the connections
    /// still open when a shutdown's grace period is over.
    pub(crate) fn stop_tasks(&self) {
        self.stopped.set(true);
        for slot in self.slots.borrow_mut().iter_mut().filter(|s| s.in_use) {
            if let Some(w) = slot.task.take() {
                w.wake();
            }
        }
    }

    pub(crate) fn global_shutdown_requested(&self) -> bool {
        self.global_shutdown.load(Ordering::Acquire)
    }
}

/// See [`Worker::interrupt`].
pub(crate) struct Interrupt<'a> {
    worker: &'a Worker,
    key: usize,
}

impl Future for Interrupt<'_> {
    type Output = Interrupted;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Interrupted> {
        let mut slots = self.worker.slots.borrow_mut();
        let slot = &mut slots[self.key];
        if slot.timed_out {
            return Poll::Ready(Interrupted::Timeout);
        }
        if slot.idle && self.worker.shutting_down.get() {
            return Poll::Ready(Interrupted::Shutdown);
        }
        match &slot.waker {
            Some(w) if w.will_wake(cx.waker()) => {}
            _ => slot.waker = Some(cx.waker().clone()),
        }
        Poll::Pending
    }
}

pin_project_lite::pin_project! {
    /// See [`race`].
    pub(crate) struct Race<'a, F> {
        #[pin]
        op: F,
        interrupt: Interrupt<'a>,
    }
}

pin_project_lite::pin_project! {
    /// See [`until_stopped`].
    pub(crate) struct UntilStopped<'a, F> {
        #[pin]
        op: F,
        worker: &'a Worker,
        key: usize,
        registered: bool,
    }
}

/// Polls `op`, a connection task's whole work, until it finishes (`Some`)
/// or the worker stops its tasks (`None`, and `op` is dropped by the
/// caller). The task's waker is kept in slot `key` on the first poll:
/// this future is the task's own body, whose waker does not change.
#[inline]
pub(crate) fn until_stopped<F: Future>(op: F, worker: &Worker, key: usize) -> UntilStopped<'_, F> {
    UntilStopped {
        op,
        worker,
        key,
        registered: false,
    }
}

impl<F: Future> Future for UntilStopped<'_, F> {
    type Output = Option<F::Output>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if this.worker.stopped.get() {
            return Poll::Ready(None);
        }
        if !*this.registered {
            this.worker.slots.borrow_mut()[*this.key].task = Some(cx.waker().clone());
            *this.registered = true;
        }
        this.op.poll(cx).map(Some)
    }
}

/// Polls `op` and `interrupt` together; the first to finish wins.
///
/// A plain future rather than an `async fn`: the operation is built in
/// place in the caller's state, instead of being moved once more into an
/// `async` block's own (a `memcpy` per read, `perf/instructions.sh`).
#[inline]
pub(crate) fn race<F: Future>(op: F, interrupt: Interrupt<'_>) -> Race<'_, F> {
    Race { op, interrupt }
}

impl<F: Future> Future for Race<'_, F> {
    type Output = Result<F::Output, Interrupted>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if let Poll::Ready(v) = this.op.poll(cx) {
            return Poll::Ready(Ok(v));
        }
        match Pin::new(this.interrupt).poll(cx) {
            Poll::Ready(why) => Poll::Ready(Err(why)),
            Poll::Pending => Poll::Pending,
        }
    }
}
