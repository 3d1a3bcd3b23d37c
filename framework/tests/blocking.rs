//! Work off the request's path: a handler awaits a future that another
//! thread completes (its waker is woken from there), blocking work runs on
//! the shared pool with `jero::spawn_blocking`, and tasks spawned with
//! `jero::spawn` run after the response. Through the TestClient and over a
//! real socket.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use jero::{contract, endpoint, App, BoxError, Wiring};
use jero_testing::TestClient;
use serde_json::json;

mod common;
use common::Server;

/// A one-shot value that a plain `std::thread` sends.
struct Slot<T> {
    state: Mutex<(Option<T>, Option<Waker>)>,
}

/// The receiving side of a [`Slot`].
struct Received<T>(Arc<Slot<T>>);

impl<T> Future for Received<T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let mut state = self.0.state.lock().unwrap();
        match state.0.take() {
            Some(v) => Poll::Ready(v),
            None => {
                state.1 = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

/// `f`'s result, computed on a thread of its own after `delay` and sent
/// back through its waker.
fn on_a_thread<T: Send + 'static>(delay: Duration, f: impl FnOnce() -> T + Send + 'static) -> Received<T> {
    let slot = Arc::new(Slot {
        state: Mutex::new((None, None)),
    });
    let sender = slot.clone();
    std::thread::spawn(move || {
        std::thread::sleep(delay);
        let value = f();
        let waker = {
            let mut state = sender.state.lock().unwrap();
            state.0 = Some(value);
            state.1.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    });
    Received(slot)
}

#[contract]
struct Answer {
    value: u64,
}

struct Remote;

#[endpoint(path = "/remote")]
impl Remote {
    /// Waits on a value another thread sends (as a driver with threads of
    /// its own would).
    async fn get(&self) -> Answer {
        let value = on_a_thread(Duration::from_millis(20), || 42).await;
        Answer { value }
    }
}

struct Blocking;

#[endpoint(path = "/blocking")]
impl Blocking {
    /// Blocking work on the pool; its panic is `None`, not the worker's.
    async fn get(&self) -> Answer {
        let value = jero::spawn_blocking(|| {
            std::thread::sleep(Duration::from_millis(20));
            (1..=20u64).product::<u64>()
        })
        .await
        .expect("the blocking work ran");
        Answer { value }
    }

    async fn post(&self) -> Answer {
        let failed = jero::spawn_blocking(|| -> u64 { panic!("the blocking work failed") }).await;
        Answer {
            value: u64::from(failed.is_none()),
        }
    }
}

/// Spawns a task that counts at once, and one that counts after 5 ms.
struct Spawning(Arc<AtomicUsize>);

#[endpoint(path = "/spawning")]
impl Spawning {
    async fn post(&self) -> Answer {
        // Three ready tasks: monoio's block_on runs a couple of queued
        // tasks before it returns anyway; more than that need the turn
        // the client gives them after the response.
        for _ in 0..3 {
            let now = self.0.clone();
            jero::spawn(async move {
                now.fetch_add(1, Ordering::SeqCst);
            });
        }
        let later = self.0.clone();
        jero::spawn(async move {
            monoio::time::sleep(Duration::from_millis(100)).await;
            later.fetch_add(1, Ordering::SeqCst);
        });
        Answer { value: 0 }
    }
}

#[derive(Default)]
struct OffThread {
    spawned: Arc<AtomicUsize>,
}

impl App for OffThread {
    async fn wire(&self, w: &mut Wiring) -> Result<(), BoxError> {
        w.include_endpoint(Remote)
            .include_endpoint(Blocking)
            .include_endpoint(Spawning(self.spawned.clone()));
        Ok(())
    }
}

#[test]
fn spawned_tasks_run_after_the_response_and_for_as_long_as_asked() {
    let app = OffThread::default();
    let spawned = app.spawned.clone();
    let c = TestClient::new(app);
    assert_eq!(c.post("/spawning").send().status(), 200);
    // The ready ones ran right after the response, as on a worker.
    assert_eq!(spawned.load(Ordering::SeqCst), 3);
    c.run_background(Duration::from_millis(300));
    assert_eq!(spawned.load(Ordering::SeqCst), 4);
}

#[test]
fn a_handler_woken_from_another_thread_answers_in_the_test_client() {
    let c = TestClient::new(OffThread::default());
    for _ in 0..3 {
        let res = c.get("/remote").send();
        assert_eq!(
            (res.status(), res.json::<serde_json::Value>()),
            (200, json!({"value": 42}))
        );
    }
}

#[test]
fn blocking_work_runs_on_the_pool_and_its_panic_is_none() {
    let c = TestClient::new(OffThread::default());
    let res = c.get("/blocking").send();
    assert_eq!(
        res.json::<serde_json::Value>(),
        json!({"value": 2_432_902_008_176_640_000u64})
    );
    let res = c.post("/blocking").send();
    assert_eq!(
        (res.status(), res.json::<serde_json::Value>()),
        (200, json!({"value": 1}))
    );
}

#[test]
fn over_a_socket_both_answer_and_the_worker_keeps_serving() {
    let server = Server::start(OffThread::default());
    let mut conn = server.connect();
    for (method, path, value) in [
        ("GET", "/remote", json!(42)),
        ("GET", "/blocking", json!(2_432_902_008_176_640_000u64)),
        ("POST", "/blocking", json!(1)),
        ("GET", "/remote", json!(42)),
    ] {
        let resp = conn.send(method, path, &[], b"");
        assert_eq!(resp.status, 200, "{method} {path}: {}", resp.text());
        assert_eq!(resp.json()["value"], value, "{method} {path}");
    }
    server.stop();
}
