use jero::{endpoint, Bytes};

struct Cache;

#[endpoint(path = "/cache")]
impl Cache {
    async fn delete(&self, content: Bytes) -> Bytes {
        content
    }
}

fn main() {}
