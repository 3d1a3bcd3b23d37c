//! The README's recipe for libraries built on tokio (sqlx, reqwest, redis):
//! they need a tokio reactor, which a jero worker (monoio) is not, so they
//! run on a tokio runtime of their own, and a handler awaits the
//! `JoinHandle`, woken from tokio's threads.

use std::sync::LazyLock;
use std::time::Duration;

use common::get;
use jero::{contract, endpoint, App, BoxError, Wiring};
use jero_testing::TestClient;

mod common;

/// The app's tokio runtime: two threads of its own, started on first use.
static TOKIO: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
});

#[contract(input)]
struct Delay {
    ms: u64,
}

#[contract]
struct Waited {
    ms: u64,
    /// Whether tokio's timer ran its full time before the task finished.
    slept: bool,
}

struct Slow;

#[endpoint(path = "/slow")]
impl Slow {
    async fn get(&self, params: Delay) -> Waited {
        let ms = params.ms;
        // A tokio timer, as a tokio client library's IO would be: it
        // panics outside a tokio runtime ("there is no reactor running").
        let slept = TOKIO.spawn(async move {
            let start = std::time::Instant::now();
            tokio::time::sleep(Duration::from_millis(ms)).await;
            start.elapsed() >= Duration::from_millis(ms)
        });
        Waited {
            ms,
            slept: slept.await.expect("the tokio task finished"),
        }
    }
}

/// The same timer awaited on the worker itself, as the README warns.
struct Direct;

#[endpoint(path = "/direct")]
impl Direct {
    async fn get(&self) -> String {
        tokio::time::sleep(Duration::from_millis(1)).await;
        "unreachable".to_owned()
    }
}

struct MyApp;

impl App for MyApp {
    async fn wire(&self, w: &mut Wiring) -> Result<(), BoxError> {
        w.include_endpoint(Slow).include_endpoint(Direct);
        Ok(())
    }
}

#[test]
fn a_handler_awaits_work_on_a_tokio_runtime() {
    let client = TestClient::new(MyApp);
    for ms in [0, 20] {
        let res = client.get("/slow").query("ms", &ms.to_string()).send();
        assert_eq!(res.status(), 200, "{}", res.text());
        assert_eq!(
            res.json::<serde_json::Value>(),
            serde_json::json!({"ms": ms, "slept": true})
        );
    }
}

#[test]
fn a_tokio_timer_awaited_on_the_worker_is_the_generic_500() {
    // "there is no reactor running": a panic in the handler, logged, and
    // the client gets the generic problem; the worker goes on serving.
    let client = TestClient::new(MyApp);
    let res = client.get("/direct").send();
    assert_eq!(res.status(), 500);
    assert_eq!(res.problem().code, "internal-server-error");
    assert_eq!(client.get("/slow?ms=0").send().status(), 200);
}

#[test]
fn over_a_socket_too() {
    let bound = jero::serve(MyApp)
        .addr("127.0.0.1:0")
        .workers(1)
        .handle_signals(false)
        .bind()
        .expect("bind");
    let addr = bound.local_addr();
    let stop = bound.shutdown_handle();
    let server = std::thread::spawn(move || bound.run());
    let body = get(addr, "/slow?ms=20");
    assert!(body.ends_with(r#"{"ms":20,"slept":true}"#), "{body}");
    stop.shutdown();
    server.join().expect("server thread").expect("server ran");
}
