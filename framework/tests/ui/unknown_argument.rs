use jero::{contract, resource};

#[contract]
struct Widget {
    id: String,
}

struct Widgets;

#[resource(path = "/widgets")]
impl Widgets {
    async fn read_many(&self, query: Widget) -> Vec<Widget> {
        vec![query]
    }
}

fn main() {}
