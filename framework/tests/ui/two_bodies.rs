use jero::{contract, resource, Bytes};

#[contract]
struct Widget {
    name: String,
}

struct Widgets;

#[resource(path = "/widgets")]
impl Widgets {
    async fn create(&self, json: Widget, content: Bytes) -> Widget {
        let _ = content;
        json
    }
}

fn main() {}
