//! Startup wiring errors: an app wired wrong must not serve. Each test wires
//! one mistake and asserts the exact [`WiringError`] message (it names the
//! type, the method and the fix), and the lifecycle rules around wiring:
//! teardowns run in reverse order, also when wiring fails part way.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use jero::{contract, endpoint, resource, App, BoxError, Teardown, Wiring, WiringError};
use jero_testing::TestClient;

// ---------------------------------------------------------------------------
// Helpers

/// An app whose `wire` is a closure.
struct WireWith<F>(F);

impl<F: Fn(&mut Wiring) + Send + Sync + 'static> App for WireWith<F> {
    async fn wire(&self, wiring: &mut Wiring) -> Result<(), BoxError> {
        (self.0)(wiring);
        Ok(())
    }
}

fn app(f: impl Fn(&mut Wiring) + Send + Sync + 'static) -> impl App {
    WireWith(f)
}

/// Wires `app`, expecting a wiring error.
#[track_caller]
fn wiring_error(app: impl App) -> WiringError {
    match TestClient::try_new(app) {
        Ok(_) => panic!("the app wired, but a WiringError was expected"),
        Err(e) => e,
    }
}

/// The message of the wiring error `include` produces.
#[track_caller]
fn message_of(include: impl Fn(&mut Wiring) + Send + Sync + 'static) -> String {
    wiring_error(app(include)).message().to_owned()
}

/// A future that is pending once, so an async teardown really suspends.
struct YieldOnce(bool);

impl Future for YieldOnce {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            Poll::Ready(())
        } else {
            self.0 = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

// ---------------------------------------------------------------------------
// Contracts shared by the cases

#[contract]
struct Widget {
    id: String,
}

#[contract]
struct WidgetPath {
    widget_id: String,
}

#[contract]
struct CollectionPath {
    collection_id: String,
}

#[contract]
struct TwoFieldsPath {
    a_id: String,
    b_id: String,
}

/// A free-form JSON map (serializes as an object without declared fields).
#[contract]
struct Tags(HashMap<String, String>);

/// A bare scalar.
#[contract]
struct Count(u32);

// ---------------------------------------------------------------------------
// Path templates

struct NoSlash;

#[resource(path = "widgets")]
impl NoSlash {
    async fn read_many(&self) -> String {
        String::new()
    }
}

#[test]
fn path_not_starting_with_slash() {
    assert_eq!(
        message_of(|w| {
            w.include_resource(NoSlash);
        }),
        r#"resource NoSlash: the path "widgets" does not start with `/`; write it as "/widgets""#
    );
}

struct NoSlashEndpoint;

#[endpoint(path = "health")]
impl NoSlashEndpoint {
    async fn get(&self) -> String {
        String::new()
    }
}

#[test]
fn endpoint_path_not_starting_with_slash() {
    assert_eq!(
        message_of(|w| {
            w.include_endpoint(NoSlashEndpoint);
        }),
        r#"endpoint NoSlashEndpoint: the path "health" does not start with `/`; write it as "/health""#
    );
}

struct UnclosedSlot;

#[resource(path = "/a/{b")]
impl UnclosedSlot {
    async fn read_many(&self) -> String {
        String::new()
    }
}

#[test]
fn template_with_unclosed_slot() {
    assert_eq!(
        message_of(|w| {
            w.include_resource(UnclosedSlot);
        }),
        r#"resource UnclosedSlot: the path "/a/{b" has a malformed slot `{b`; write slots as `{name}`"#
    );
}

struct SlotInsideSegment;

#[resource(path = "/a/x{b}")]
impl SlotInsideSegment {
    async fn read_many(&self) -> String {
        String::new()
    }
}

#[test]
fn template_with_slot_inside_a_segment() {
    assert_eq!(
        message_of(|w| {
            w.include_resource(SlotInsideSegment);
        }),
        "resource SlotInsideSegment: the path \"/a/x{b}\" has a malformed segment `x{b}`; a slot must be \
         a whole segment, like `/{widget_id}`"
    );
}

struct CamelSlot;

#[resource(path = "/a/{itemId}")]
impl CamelSlot {
    async fn read_many(&self) -> String {
        String::new()
    }
}

#[test]
fn template_with_slot_not_snake_case() {
    assert_eq!(
        message_of(|w| {
            w.include_resource(CamelSlot);
        }),
        "resource CamelSlot: the path \"/a/{itemId}\" has a slot `{itemId}` that is not snake_case; \
         name slots like `{widget_id}`"
    );
}

struct DuplicateSlot;

#[resource(path = "/a/{b}/c/{b}")]
impl DuplicateSlot {
    async fn read_many(&self) -> String {
        String::new()
    }
}

#[test]
fn template_with_duplicate_slot() {
    assert_eq!(
        message_of(|w| {
            w.include_resource(DuplicateSlot);
        }),
        r#"resource DuplicateSlot: the path "/a/{b}/c/{b}" uses the slot `{b}` twice; rename one"#
    );
}

// ---------------------------------------------------------------------------
// `path` structs

#[contract]
struct WrongSlotPath {
    coll_id: String,
}

struct SlotMissingFromPath;

#[resource(path = "/collections/{collection_id}/items")]
impl SlotMissingFromPath {
    async fn read_many(&self, path: WrongSlotPath) -> String {
        path.coll_id
    }
}

#[test]
fn slot_missing_from_path_struct() {
    assert_eq!(
        message_of(|w| {
            w.include_resource(SlotMissingFromPath);
        }),
        "SlotMissingFromPath::read_many: the path /collections/{collection_id}/items has the slot \
         {collection_id} but WrongSlotPath has no field for it; add a field `collection_id` to WrongSlotPath"
    );
}

struct SlotsWithoutPathArgument;

#[resource(path = "/collections/{collection_id}/items")]
impl SlotsWithoutPathArgument {
    async fn read_many(&self) -> String {
        String::new()
    }
}

#[test]
fn slots_without_a_path_argument() {
    assert_eq!(
        message_of(|w| {
            w.include_resource(SlotsWithoutPathArgument);
        }),
        "SlotsWithoutPathArgument::read_many: the path /collections/{collection_id}/items has slots \
         ({collection_id}) but `read_many` declares no `path` argument; add `path: P` where the struct P \
         has a field for each slot"
    );
}

#[contract]
struct DefaultPath {
    #[serde(default)]
    widget_id: String,
}

struct PathFieldWithDefault;

#[resource(path = "/widgets")]
impl PathFieldWithDefault {
    async fn read_one(&self, path: DefaultPath) -> String {
        path.widget_id
    }
}

#[test]
fn path_field_with_default() {
    assert_eq!(
        message_of(|w| {
            w.include_resource(PathFieldWithDefault);
        }),
        "PathFieldWithDefault::read_one: path field `widget_id` of DefaultPath has a default or is \
         optional; a URL always carries every slot, so remove the default (or the Option)"
    );
}

#[contract]
struct OptionalPath {
    widget_id: Option<String>,
}

struct OptionalPathField;

#[resource(path = "/widgets")]
impl OptionalPathField {
    async fn read_one(&self, path: OptionalPath) -> String {
        path.widget_id.unwrap_or_default()
    }
}

#[test]
fn path_field_that_is_an_option() {
    assert_eq!(
        message_of(|w| {
            w.include_resource(OptionalPathField);
        }),
        "OptionalPathField::read_one: path field `widget_id` of OptionalPath has a default or is \
         optional; a URL always carries every slot, so remove the default (or the Option)"
    );
}

struct ExtraPathOnReadMany;

#[resource(path = "/widgets")]
impl ExtraPathOnReadMany {
    async fn read_many(&self, path: WidgetPath) -> String {
        path.widget_id
    }
}

#[test]
fn extra_path_field_on_read_many() {
    assert_eq!(
        message_of(|w| {
            w.include_resource(ExtraPathOnReadMany);
        }),
        "ExtraPathOnReadMany::read_many: WidgetPath has field `widget_id` that the path /widgets has no \
         slot for, and a collection operation's path is exact; remove the field or add the slot to the path"
    );
}

struct ExtraPathOnCreate;

#[resource(path = "/widgets")]
impl ExtraPathOnCreate {
    async fn create(&self, path: TwoFieldsPath) -> String {
        path.a_id + &path.b_id
    }
}

#[test]
fn extra_path_fields_on_create() {
    assert_eq!(
        message_of(|w| {
            w.include_resource(ExtraPathOnCreate);
        }),
        "ExtraPathOnCreate::create: TwoFieldsPath has fields `a_id`, `b_id` that the path /widgets has \
         no slot for, and a collection operation's path is exact; remove the fields or add the slots to \
         the path"
    );
}

struct ExtraPathOnEndpoint;

#[endpoint(path = "/health")]
impl ExtraPathOnEndpoint {
    async fn get(&self, path: WidgetPath) -> String {
        path.widget_id
    }
}

#[test]
fn extra_path_field_on_endpoint() {
    assert_eq!(
        message_of(|w| {
            w.include_endpoint(ExtraPathOnEndpoint);
        }),
        "ExtraPathOnEndpoint::get: WidgetPath has field `widget_id` that the path /health has no slot \
         for, and an endpoint's path is exact; remove the field or add the slot to the path"
    );
}

struct ItemWithoutPath;

#[resource(path = "/widgets")]
impl ItemWithoutPath {
    async fn read_one(&self) -> String {
        String::new()
    }
}

#[test]
fn item_operation_without_path() {
    assert_eq!(
        message_of(|w| {
            w.include_resource(ItemWithoutPath);
        }),
        "ItemWithoutPath::read_one: `read_one` addresses one item, so it needs a `path` argument whose \
         struct has the item id field (e.g. `widget_id`), which extends the URL to /widgets/{widget_id}"
    );
}

struct DeleteWithoutPath;

#[resource(path = "/widgets")]
impl DeleteWithoutPath {
    async fn delete(&self) -> String {
        String::new()
    }
}

#[test]
fn delete_without_path() {
    assert_eq!(
        message_of(|w| {
            w.include_resource(DeleteWithoutPath);
        }),
        "DeleteWithoutPath::delete: `delete` addresses one item, so it needs a `path` argument whose \
         struct has the item id field (e.g. `widget_id`), which extends the URL to /widgets/{widget_id}"
    );
}

struct ItemWithoutItemField;

#[resource(path = "/collections/{collection_id}/items")]
impl ItemWithoutItemField {
    async fn read_one(&self, path: CollectionPath) -> String {
        path.collection_id
    }
}

#[test]
fn item_operation_without_item_field() {
    assert_eq!(
        message_of(|w| {
            w.include_resource(ItemWithoutItemField);
        }),
        "ItemWithoutItemField::read_one: `read_one` addresses one item, but every field of \
         CollectionPath is a slot of the mount path /collections/{collection_id}/items; add the item id \
         field (e.g. `widget_id`) to CollectionPath"
    );
}

// ---------------------------------------------------------------------------
// Operations and routes

struct EmptyResource;

#[resource(path = "/empty")]
impl EmptyResource {}

#[test]
fn resource_without_operations() {
    assert_eq!(
        message_of(|w| {
            w.include_resource(EmptyResource);
        }),
        "resource EmptyResource has no operation; define at least one of create, read_many, read_one, \
         update, partial_update or delete in its #[jero::resource] impl block"
    );
}

struct EmptyEndpoint;

#[endpoint(path = "/empty")]
impl EmptyEndpoint {}

#[test]
fn endpoint_without_verbs() {
    assert_eq!(
        message_of(|w| {
            w.include_endpoint(EmptyEndpoint);
        }),
        "endpoint EmptyEndpoint has no operation; define at least one of get, post, put, patch or delete \
         in its #[jero::endpoint] impl block"
    );
}

struct FirstWidgets;

#[resource(path = "/widgets")]
impl FirstWidgets {
    async fn read_many(&self) -> Vec<Widget> {
        Vec::new()
    }

    async fn read_one(&self, path: WidgetPath) -> Widget {
        Widget { id: path.widget_id }
    }
}

struct SecondWidgets;

#[resource(path = "/widgets")]
impl SecondWidgets {
    async fn read_many(&self) -> Vec<Widget> {
        Vec::new()
    }
}

#[test]
fn two_resources_claim_one_method_and_path() {
    assert_eq!(
        message_of(|w| {
            w.include_resource(FirstWidgets);
            w.include_resource(SecondWidgets);
        }),
        "two routes claim GET /widgets: FirstWidgets::read_many and SecondWidgets::read_many; remove one, \
         or give one of them another path"
    );
}

struct WidgetsEndpoint;

#[endpoint(path = "/widgets")]
impl WidgetsEndpoint {
    async fn get(&self) -> String {
        String::new()
    }

    async fn post(&self) -> String {
        String::new()
    }
}

#[test]
fn resource_and_endpoint_claim_one_method_and_path() {
    assert_eq!(
        message_of(|w| {
            w.include_resource(FirstWidgets);
            w.include_endpoint(WidgetsEndpoint);
        }),
        "two routes claim GET /widgets: FirstWidgets::read_many and WidgetsEndpoint::get; remove one, or \
         give one of them another path"
    );
}

#[contract]
struct IdPath {
    id: String,
}

struct WidgetByIdEndpoint;

#[endpoint(path = "/widgets/{id}")]
impl WidgetByIdEndpoint {
    async fn get(&self, path: IdPath) -> String {
        path.id
    }
}

#[test]
fn same_shape_with_other_slot_names_is_the_same_route() {
    assert_eq!(
        message_of(|w| {
            w.include_resource(FirstWidgets);
            w.include_endpoint(WidgetByIdEndpoint);
        }),
        "two routes claim GET /widgets/{widget_id}: FirstWidgets::read_one and WidgetByIdEndpoint::get; \
         remove one, or give one of them another path"
    );
}

struct PostOnlyWidgets;

#[endpoint(path = "/widgets")]
impl PostOnlyWidgets {
    async fn post(&self) -> String {
        "posted".to_owned()
    }
}

#[test]
fn different_methods_on_one_path_from_two_types_wire() {
    let client = TestClient::new(app(|w| {
        w.include_resource(FirstWidgets);
        w.include_endpoint(PostOnlyWidgets);
    }));
    assert_eq!(client.get("/widgets").send().status(), 200);
    assert_eq!(client.post("/widgets").send().text(), "posted");
    let resp = client.delete("/widgets").send();
    assert_eq!(resp.status(), 405);
    assert_eq!(resp.header("allow"), Some("GET, HEAD, OPTIONS, POST"));
}

// ---------------------------------------------------------------------------
// Free-form JSON

struct MapReturn;

#[resource(path = "/tags")]
impl MapReturn {
    async fn read_many(&self) -> Tags {
        Tags(HashMap::new())
    }
}

#[test]
fn free_form_map_return() {
    assert_eq!(
        message_of(|w| {
            w.include_resource(MapReturn);
        }),
        "MapReturn::read_many: returns Tags, which is not a struct or a list of structs (a free-form JSON \
         map or a bare value); return a #[jero::contract] struct (or a Vec of them) so the response has a \
         declared shape"
    );
}

struct MapListReturn;

#[resource(path = "/tags")]
impl MapListReturn {
    async fn read_many(&self) -> Vec<Tags> {
        Vec::new()
    }
}

#[test]
fn list_of_free_form_maps_return() {
    assert_eq!(
        message_of(|w| {
            w.include_resource(MapListReturn);
        }),
        "MapListReturn::read_many: returns Vec<Tags>, which is not a struct or a list of structs (a \
         free-form JSON map or a bare value); return a #[jero::contract] struct (or a Vec of them) so the \
         response has a declared shape"
    );
}

struct ScalarReturn;

#[endpoint(path = "/count")]
impl ScalarReturn {
    async fn get(&self) -> Count {
        Count(3)
    }
}

#[test]
fn bare_scalar_newtype_return() {
    assert_eq!(
        message_of(|w| {
            w.include_endpoint(ScalarReturn);
        }),
        "ScalarReturn::get: returns Count, which is not a struct or a list of structs (a free-form JSON \
         map or a bare value); return a #[jero::contract] struct (or a Vec of them) so the response has a \
         declared shape"
    );
}

struct MapBody;

#[resource(path = "/tags")]
impl MapBody {
    async fn create(&self, json: Tags) -> String {
        json.0.len().to_string()
    }
}

#[test]
fn json_argument_that_is_a_map() {
    assert_eq!(
        message_of(|w| {
            w.include_resource(MapBody);
        }),
        "MapBody::create: the `json` argument's type Tags is not a struct or a list of structs; declare a \
         #[jero::contract] struct"
    );
}

struct ScalarParams;

#[endpoint(path = "/scalar-params")]
impl ScalarParams {
    async fn get(&self, params: Count) -> String {
        params.0.to_string()
    }
}

#[test]
fn params_argument_that_is_not_a_struct() {
    assert_eq!(
        message_of(|w| {
            w.include_endpoint(ScalarParams);
        }),
        "ScalarParams::get: the `params` argument's type Count is not a struct; declare a \
         #[jero::contract] struct"
    );
}

#[test]
fn include_time_errors_point_at_the_include_call() {
    let line = line!() + 2;
    let err = wiring_error(app(|w| {
        w.include_resource(MapBody);
    }));
    let location = err
        .location()
        .expect("the error knows where the route was included");
    assert!(location.file().ends_with("wiring_errors.rs"), "{location}");
    assert_eq!(location.line(), line);
    assert!(err.to_string().starts_with(err.message()));
    assert!(err.to_string().contains(" (included at "), "{err}");
}

/// A struct with no fields is still a struct (it serializes as `{}`).
#[contract]
struct Ack {}

struct AckReturn;

#[endpoint(path = "/ack")]
impl AckReturn {
    async fn post(&self) -> Ack {
        Ack {}
    }
}

#[test]
fn field_less_struct_return_wires() {
    let client = match TestClient::try_new(app(|w| {
        w.include_endpoint(AckReturn);
    })) {
        Ok(c) => c,
        Err(e) => panic!("{e}"),
    };
    let resp = client.post("/ack").send();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.header("content-type"), Some("application/json"));
    assert_eq!(resp.text(), "{}");
}

// ---------------------------------------------------------------------------
// Lifecycle

#[test]
fn teardowns_registered_before_a_wiring_failure_still_run() {
    let torn_down = Arc::new(AtomicBool::new(false));
    let flag = torn_down.clone();
    let err = wiring_error(app(move |w| {
        let flag = flag.clone();
        w.on_teardown("pool", move || async move { flag.store(true, Ordering::SeqCst) });
        w.include_resource(MapReturn);
    }));
    assert!(
        err.message().starts_with("MapReturn::read_many: returns Tags"),
        "{err}"
    );
    assert!(torn_down.load(Ordering::SeqCst), "the teardown did not run");
}

#[test]
fn teardowns_run_on_a_conflict_found_at_the_end_of_wiring() {
    let torn_down = Arc::new(AtomicBool::new(false));
    let flag = torn_down.clone();
    let err = wiring_error(app(move |w| {
        let flag = flag.clone();
        w.on_teardown("pool", move || async move { flag.store(true, Ordering::SeqCst) });
        w.include_resource(FirstWidgets);
        w.include_resource(SecondWidgets);
    }));
    assert!(
        err.message().starts_with("two routes claim GET /widgets"),
        "{err}"
    );
    assert!(torn_down.load(Ordering::SeqCst), "the teardown did not run");
}

/// A managed service with an async teardown that logs its name.
struct Pool {
    name: &'static str,
    log: Arc<Mutex<Vec<String>>>,
}

impl Teardown for Pool {
    async fn teardown(&self) {
        YieldOnce(false).await;
        self.log.lock().unwrap().push(self.name.to_owned());
    }
}

struct LifecycleApp {
    log: Arc<Mutex<Vec<String>>>,
}

impl App for LifecycleApp {
    async fn wire(&self, w: &mut Wiring) -> Result<(), BoxError> {
        let log = self.log.clone();
        w.on_teardown("first", move || async move {
            log.lock().unwrap().push("first".into())
        });
        let pool = w.manage(Pool {
            name: "second (async)",
            log: self.log.clone(),
        });
        assert_eq!(pool.name, "second (async)");
        let log = self.log.clone();
        w.on_teardown("third", move || async move {
            YieldOnce(false).await;
            log.lock().unwrap().push("third".into())
        });
        w.include_resource(FirstWidgets);
        Ok(())
    }
}

#[test]
fn teardowns_run_in_reverse_order_when_the_client_drops() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let client = TestClient::new(LifecycleApp { log: log.clone() });
    assert_eq!(client.get("/widgets").send().status(), 200);
    assert!(log.lock().unwrap().is_empty(), "teardowns ran before shutdown");
    drop(client);
    assert_eq!(*log.lock().unwrap(), ["third", "second (async)", "first"]);
}

struct FailingApp {
    torn_down: Arc<AtomicBool>,
}

impl App for FailingApp {
    async fn wire(&self, w: &mut Wiring) -> Result<(), BoxError> {
        let flag = self.torn_down.clone();
        w.on_teardown("pool", move || async move { flag.store(true, Ordering::SeqCst) });
        w.include_resource(FirstWidgets);
        Err("the database is unreachable".into())
    }
}

#[test]
fn an_error_returned_from_wire_is_reported_and_runs_teardowns() {
    let torn_down = Arc::new(AtomicBool::new(false));
    let err = wiring_error(FailingApp {
        torn_down: torn_down.clone(),
    });
    assert_eq!(
        err.message(),
        "FailingApp failed to wire: the database is unreachable"
    );
    assert!(torn_down.load(Ordering::SeqCst), "the teardown did not run");
}

/// `wire` that includes nothing and returns a given error.
struct FailWith(WiringError);

impl App for FailWith {
    async fn wire(&self, _w: &mut Wiring) -> Result<(), BoxError> {
        Err(Box::new(self.0.clone()))
    }
}

#[test]
fn a_wiring_error_returned_from_wire_is_reported_as_is() {
    let err = wiring_error(FailWith(WiringError::new("the config names no database")));
    assert_eq!(err.message(), "the config names no database");
}

/// A `wire` that panics after registering a teardown, and one that
/// registers a teardown that panics between two that do not.
struct PanickyApp {
    log: Arc<Mutex<Vec<String>>>,
    panic_in_wire: bool,
}

impl App for PanickyApp {
    async fn wire(&self, w: &mut Wiring) -> Result<(), BoxError> {
        let log = self.log.clone();
        w.on_teardown("first", move || async move {
            log.lock().unwrap().push("first".into())
        });
        w.on_teardown("broken", || async { panic!("the pool was already closed") });
        let log = self.log.clone();
        w.on_teardown("third", move || async move {
            log.lock().unwrap().push("third".into())
        });
        if self.panic_in_wire {
            panic!("the config file is not TOML");
        }
        w.include_resource(FirstWidgets);
        Ok(())
    }
}

#[test]
fn a_panicking_teardown_is_logged_and_the_others_still_run() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let client = TestClient::new(PanickyApp {
        log: log.clone(),
        panic_in_wire: false,
    });
    assert_eq!(client.get("/widgets").send().status(), 200);
    drop(client);
    assert_eq!(*log.lock().unwrap(), ["third", "first"]);
}

#[test]
fn a_panic_in_wire_is_a_wiring_error_and_runs_the_teardowns() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let err = wiring_error(PanickyApp {
        log: log.clone(),
        panic_in_wire: true,
    });
    assert_eq!(
        err.message(),
        "PanickyApp panicked while wiring: the config file is not TOML"
    );
    assert_eq!(*log.lock().unwrap(), ["third", "first"]);
}
