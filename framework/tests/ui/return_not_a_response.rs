use jero::resource;

struct Widget {
    id: String,
}

struct Widgets;

#[resource(path = "/widgets")]
impl Widgets {
    async fn read_many(&self) -> Widget {
        Widget { id: String::new() }
    }
}

fn main() {}
