use jero::endpoint;

struct Health;

#[endpoint]
impl Health {
    async fn get(&self) -> String {
        "ok".to_owned()
    }
}

fn main() {}
