use jero::endpoint;

struct Health;

#[endpoint(path = "/health")]
impl Health {
    async fn check(&self) -> String {
        "ok".to_owned()
    }
}

fn main() {}
