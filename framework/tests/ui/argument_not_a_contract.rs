use jero::resource;

struct WidgetPath {
    widget_id: String,
}

struct Widgets;

#[resource(path = "/widgets")]
impl Widgets {
    async fn read_one(&self, path: WidgetPath) -> String {
        path.widget_id
    }
}

fn main() {}
