//! `router` group: route lookup with [`Router::recognize`] on a wired app of
//! ten routes (four static, six with `{slots}`, two of them nested).
//!
//! * `static` — `GET /widgets` (a static route whose sibling `/widgets/{widget_id}`
//!   shares its prefix).
//! * `templated` — `GET /collections/c-1/items/i-2` (two slots).
//!
//! The app is wired once, with `jero::serve::block_on(jero::wire(&app))`.
//! Throughput is one lookup per iteration.

// Links the benches' library, which sets the global allocator.
use jero_benches as _;
use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use jero::engine::Method;
use jero::{contract, endpoint, resource, App, BoxError, Router, Wiring};

#[contract]
struct WidgetPath {
    widget_id: String,
}

#[contract]
struct UserPath {
    user_id: String,
}

#[contract]
struct OrderPath {
    order_id: String,
}

#[contract]
struct CollectionPath {
    collection_id: String,
}

#[contract]
struct ItemPath {
    collection_id: String,
    item_id: String,
}

struct Health;

// GET /healthz
#[endpoint(path = "/healthz")]
impl Health {
    async fn get(&self) -> String {
        "ok".into()
    }
}

struct Me;

// GET /me
#[endpoint(path = "/me")]
impl Me {
    async fn get(&self) -> String {
        "me".into()
    }
}

struct Widgets;

// GET /widgets, GET /widgets/{widget_id}
#[resource(path = "/widgets")]
impl Widgets {
    async fn read_many(&self) -> String {
        "widgets".into()
    }

    async fn read_one(&self, path: WidgetPath) -> String {
        path.widget_id
    }
}

struct Users;

// GET /users, GET /users/{user_id}
#[resource(path = "/users")]
impl Users {
    async fn read_many(&self) -> String {
        "users".into()
    }

    async fn read_one(&self, path: UserPath) -> String {
        path.user_id
    }
}

struct Orders;

// GET /orders, GET /orders/{order_id}
#[resource(path = "/orders")]
impl Orders {
    async fn read_many(&self) -> String {
        "orders".into()
    }

    async fn read_one(&self, path: OrderPath) -> String {
        path.order_id
    }
}

struct Items;

// GET /collections/{collection_id}/items, GET /collections/{collection_id}/items/{item_id}
#[resource(path = "/collections/{collection_id}/items")]
impl Items {
    async fn read_many(&self, path: CollectionPath) -> String {
        path.collection_id
    }

    async fn read_one(&self, path: ItemPath) -> String {
        path.item_id
    }
}

struct BenchApp;

impl App for BenchApp {
    async fn wire(&self, wiring: &mut Wiring) -> Result<(), BoxError> {
        wiring
            .include_endpoint(Health)
            .include_endpoint(Me)
            .include_resource(Widgets)
            .include_resource(Users)
            .include_resource(Orders)
            .include_resource(Items);
        Ok(())
    }
}

fn router(c: &mut Criterion) {
    let wired = jero::serve::block_on(jero::wire(&BenchApp))
        .expect("router bench: runtime")
        .expect("router bench: wiring");
    let router: &Router = &wired.router;

    let cases = [
        ("static", "/widgets", "Widgets::read_many"),
        ("templated", "/collections/c-1/items/i-2", "Items::read_one"),
    ];
    let mut group = c.benchmark_group("router");
    group.throughput(Throughput::Elements(1));
    for (id, path, handler) in cases {
        // Fail loudly rather than benchmark a miss.
        assert_eq!(router.recognize(Method::Get, path), Some(handler), "{id}: {path}");
        group.bench_function(id, |b| {
            b.iter(|| {
                router
                    .recognize(black_box(Method::Get), black_box(path))
                    .map(str::len)
            })
        });
    }
    group.finish();
}

// `criterion_group!` expands to an undocumented `pub fn`; keeping it in a
// private module keeps it out of the `missing_docs` lint.
mod group {
    use super::*;

    criterion_group! {
        name = benches;
        config = Criterion::default()
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(3));
        targets = router
    }
}
criterion_main!(group::benches);
