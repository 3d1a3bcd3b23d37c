use jero::{contract, endpoint};

#[contract]
struct Ping {
    message: String,
}

struct Health;

#[endpoint(path = "/health")]
impl Health {
    async fn get(&self, json: Ping) -> Ping {
        json
    }
}

fn main() {}
