use jero::{authenticator, contract, endpoint, Wiring};

#[contract]
struct User {
    id: String,
}

#[contract]
struct Admin {
    id: String,
}

#[contract]
struct Bearer {
    authorization: String,
}

#[jero::error(status = 401, code = "invalid-token", title = "Invalid token")]
struct InvalidToken;

struct TokenAuth;

#[authenticator]
impl TokenAuth {
    async fn authenticate(&self, headers: Bearer) -> Result<User, InvalidToken> {
        Ok(User { id: headers.authorization })
    }
}

struct Me;

#[endpoint(path = "/me")]
impl Me {
    async fn get(&self, user: Admin) -> Admin {
        user
    }
}

fn wire(wiring: &mut Wiring) {
    wiring.include_endpoint_with_auth(Me, TokenAuth);
}

fn main() {}
