//! The getting-started app (`cargo run -p jero-examples --bin getting_started`).
//!
//! A contract for the URL slots (`path`), a contract for the response, and
//! a method name (`read_one`) that maps to GET:
//!
//! ```
//! use jero_examples::getting_started::App;
//! use jero_testing::{json, TestClient};
//!
//! let client = TestClient::new(App);
//! let resp = client.get("/widgets/abc").send();
//! assert_eq!(resp.status(), 200);
//! assert_eq!(resp.json::<serde_json::Value>(), json!({"id": "abc", "name": "widget-name"}));
//! ```

use jero::{contract, resource, BoxError, Wiring};

/// The URL slots of one widget.
#[contract]
pub struct WidgetPath {
    /// The widget's id, from `/widgets/{widget_id}`.
    pub widget_id: String,
}

/// A widget, as the API returns it.
#[contract]
pub struct Widget {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
}

/// The widgets collection.
pub struct WidgetResource;

#[resource(path = "/widgets")]
impl WidgetResource {
    /// `GET /widgets/{widget_id}`
    async fn read_one(&self, path: WidgetPath) -> Widget {
        Widget {
            id: path.widget_id,
            name: "widget-name".into(),
        }
    }
}

/// The app: wires the one resource.
pub struct App;

impl jero::App for App {
    async fn wire(&self, wiring: &mut Wiring) -> Result<(), BoxError> {
        wiring.include_resource(WidgetResource);
        Ok(())
    }
}
