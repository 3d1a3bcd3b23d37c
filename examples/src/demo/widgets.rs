//! `/widgets`: a resource behind token authentication, each caller seeing
//! only the widgets they own. The store is one `Mutex` shared by every
//! worker thread: a widget created through one connection is visible
//! through any other.

use std::sync::Mutex;

use jero::{contract, resource, JsonResponse};

use super::auth::User;

/// `{"name": str (at least 1 char), "priceCents": int (>= 0)}`
#[contract]
#[serde(rename_all = "camelCase")]
pub struct WidgetIn {
    /// At least one character.
    #[schemars(length(min = 1))]
    pub name: String,
    /// Zero or more.
    #[schemars(range(min = 0))]
    pub price_cents: i64,
}

/// `{"name"?: str, "priceCents"?: int}`, with `WidgetIn`'s constraints on
/// the fields that are present (`null` is not a name or a price: 422).
#[contract]
#[serde(rename_all = "camelCase")]
pub struct WidgetPatch {
    /// A new name (documented as a string that may be left out, not as
    /// nullable).
    #[serde(default, deserialize_with = "present")]
    #[schemars(with = "String", length(min = 1))]
    pub name: Option<String>,
    /// A new price.
    #[serde(default, deserialize_with = "present")]
    #[schemars(with = "i64", range(min = 0))]
    pub price_cents: Option<i64>,
}

/// A field that may be absent (`None`, by `default`) but, when present,
/// must be a `T`: `null` is refused.
fn present<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    T::deserialize(d).map(Some)
}

/// `{"id","name","priceCents","ownerId"}`
#[contract]
#[derive(Clone, Debug)]
#[serde(rename_all = "camelCase")]
pub struct Widget {
    /// `w-<n>`.
    pub id: String,
    /// Unique among its owner's widgets.
    pub name: String,
    /// Zero or more.
    pub price_cents: i64,
    /// The user who created it.
    pub owner_id: String,
}

/// `{"id":..,"deleted":true}`
#[contract]
pub struct Deleted {
    /// The deleted widget's id.
    pub id: String,
    /// Always true.
    pub deleted: bool,
}

/// The item slot.
#[contract]
pub struct WidgetPath {
    /// The widget.
    pub widget_id: String,
}

/// `?limit=&offset=`: each absent or empty is its default.
#[contract]
pub struct Page {
    /// At most this many (default 20).
    #[serde(default = "default_limit", deserialize_with = "count_or::<_, DEFAULT_LIMIT>")]
    pub limit: usize,
    /// Skip this many (default 0).
    #[serde(default, deserialize_with = "count_or::<_, 0>")]
    pub offset: usize,
}

/// How many widgets a page holds when `limit` is absent or empty.
const DEFAULT_LIMIT: usize = 20;

fn default_limit() -> usize {
    DEFAULT_LIMIT
}

/// A count given as text: empty (`?limit=`, as the route's contract
/// writes it) is `DEFAULT`, as if absent; anything but digits is refused
/// (400).
fn count_or<'de, D: serde::Deserializer<'de>, const DEFAULT: usize>(d: D) -> Result<usize, D::Error> {
    let text = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
    if text.is_empty() {
        return Ok(DEFAULT);
    }
    let digits = text.bytes().all(|b| b.is_ascii_digit());
    digits.then(|| text.parse().ok()).flatten().ok_or_else(|| {
        serde::de::Error::custom(
            "expected a whole number, digits only (e.g. `20`), or nothing for the default",
        )
    })
}

/// `create`'s headers.
#[contract]
pub struct CreatedHeaders {
    /// `/widgets/<id>`.
    pub location: String,
    /// A trace id for the request.
    pub x_trace_id: String,
}

/// 409: the owner already has a widget of that name.
#[jero::error(status = 409, code = "widget-exists", title = "Widget already exists")]
pub struct WidgetExists;

/// 404: no such widget for this caller.
#[jero::error(
    status = 404,
    code = "widget-not-found",
    title = "Widget not found",
    detail = "Widget {widget_id} not found"
)]
#[serde(rename_all = "camelCase")]
pub struct WidgetNotFound {
    /// The id asked for.
    pub widget_id: String,
}

/// What a change to a widget can fail with (the constraints of its fields,
/// declared on `WidgetIn` and `WidgetPatch`, are the framework's 422).
#[derive(jero::IntoResponse)]
pub enum WidgetError {
    /// 409 `widget-exists`.
    Exists(WidgetExists),
    /// 404 `widget-not-found`.
    NotFound(WidgetNotFound),
}

#[derive(Default)]
struct Store {
    /// In creation order.
    widgets: Vec<Widget>,
    next_id: u64,
}

impl Store {
    fn position(&self, owner: &User, id: &str) -> Result<usize, WidgetNotFound> {
        self.widgets
            .iter()
            .position(|w| w.id == id && w.owner_id == owner.id)
            .ok_or_else(|| WidgetNotFound {
                widget_id: id.to_owned(),
            })
    }

    /// Refuses `name` if another widget of `owner` (not `except`) has it.
    fn check_name(&self, owner: &User, name: &str, except: Option<&str>) -> Result<(), WidgetExists> {
        let taken = self
            .widgets
            .iter()
            .any(|w| w.owner_id == owner.id && w.name == name && Some(w.id.as_str()) != except);
        if taken {
            Err(WidgetExists)
        } else {
            Ok(())
        }
    }
}

/// The widget store, shared by every worker.
#[derive(Default)]
pub struct WidgetResource {
    store: Mutex<Store>,
}

impl WidgetResource {
    fn store(&self) -> std::sync::MutexGuard<'_, Store> {
        // A handler that panicked while holding the lock left no partial
        // update behind (every change is one push or one assignment).
        self.store.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[resource(path = "/widgets")]
impl WidgetResource {
    /// Creates a widget for the caller.
    async fn create(
        &self,
        user: User,
        json: WidgetIn,
    ) -> Result<JsonResponse<Widget, CreatedHeaders>, WidgetExists> {
        let mut store = self.store();
        store.check_name(&user, &json.name, None)?;
        store.next_id += 1;
        let id = format!("w-{}", store.next_id);
        let widget = Widget {
            id: id.clone(),
            name: json.name,
            price_cents: json.price_cents,
            owner_id: user.id,
        };
        store.widgets.push(widget.clone());
        let trace = store.next_id;
        drop(store);
        Ok(JsonResponse::new(widget).headers(CreatedHeaders {
            location: format!("/widgets/{id}"),
            x_trace_id: format!("trace-{trace}"),
        }))
    }

    /// The caller's widgets, a page at a time (`limit`, `offset`).
    async fn read_many(&self, user: User, params: Page) -> Vec<Widget> {
        self.store()
            .widgets
            .iter()
            .filter(|w| w.owner_id == user.id)
            .skip(params.offset)
            .take(params.limit)
            .cloned()
            .collect()
    }

    /// One of the caller's widgets.
    async fn read_one(&self, user: User, path: WidgetPath) -> Result<Widget, WidgetNotFound> {
        let store = self.store();
        let at = store.position(&user, &path.widget_id)?;
        Ok(store.widgets[at].clone())
    }

    /// Replaces one of the caller's widgets.
    async fn update(&self, user: User, path: WidgetPath, json: WidgetIn) -> Result<Widget, WidgetError> {
        let mut store = self.store();
        let at = store.position(&user, &path.widget_id)?;
        store.check_name(&user, &json.name, Some(&path.widget_id))?;
        let widget = &mut store.widgets[at];
        widget.name = json.name;
        widget.price_cents = json.price_cents;
        Ok(widget.clone())
    }

    /// Changes some fields of one of the caller's widgets.
    async fn partial_update(
        &self,
        user: User,
        path: WidgetPath,
        json: WidgetPatch,
    ) -> Result<Widget, WidgetError> {
        let mut store = self.store();
        let at = store.position(&user, &path.widget_id)?;
        if let Some(name) = &json.name {
            store.check_name(&user, name, Some(&path.widget_id))?;
        }
        let widget = &mut store.widgets[at];
        if let Some(name) = json.name {
            widget.name = name;
        }
        if let Some(price) = json.price_cents {
            widget.price_cents = price;
        }
        Ok(widget.clone())
    }

    /// Deletes one of the caller's widgets.
    async fn delete(&self, user: User, path: WidgetPath) -> Result<Deleted, WidgetNotFound> {
        let mut store = self.store();
        let at = store.position(&user, &path.widget_id)?;
        let widget = store.widgets.remove(at);
        Ok(Deleted {
            id: widget.id,
            deleted: true,
        })
    }
}
