use jero::{authenticator, contract};

#[contract]
struct User {
    id: String,
}

#[contract]
struct Login {
    token: String,
}

struct TokenAuth;

#[authenticator]
impl TokenAuth {
    async fn authenticate(&self, json: Login) -> Result<User, jero::Problem> {
        Ok(User { id: json.token })
    }
}

fn main() {}
