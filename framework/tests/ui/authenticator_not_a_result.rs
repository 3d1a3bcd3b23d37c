use jero::{authenticator, contract};

#[contract]
struct User {
    id: String,
}

#[contract]
struct Bearer {
    authorization: String,
}

struct TokenAuth;

#[authenticator]
impl TokenAuth {
    async fn authenticate(&self, headers: Bearer) -> Option<User> {
        Some(User { id: headers.authorization })
    }
}

fn main() {}
