use jero::{resource, Bytes};

struct Widgets;

#[resource(path = "/widgets")]
impl Widgets {
    async fn read_many(&self, content: Bytes) -> Bytes {
        content
    }
}

fn main() {}
