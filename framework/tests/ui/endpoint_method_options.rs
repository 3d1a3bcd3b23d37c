// OPTIONS (and HEAD) are the framework's to answer: a method of that name
// says so, not that it is no HTTP verb.
use jero::endpoint;

struct Health;

#[endpoint(path = "/health")]
impl Health {
    async fn options(&self) -> String {
        "ok".to_owned()
    }

    async fn head(&self) -> String {
        "ok".to_owned()
    }
}

fn main() {}
