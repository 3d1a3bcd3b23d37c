use jero::{contract, resource};

#[contract]
struct Widget {
    widget_id: String,
}

struct Widgets;

#[resource(path = "/widgets")]
impl Widgets {
    async fn delete(&self, path: Widget, json: Widget) -> Widget {
        let _ = path;
        json
    }
}

fn main() {}
