use jero::{authenticator, contract, endpoint, Wiring};

#[contract]
struct User {
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
    // The authenticator gates the route: the user is never absent.
    async fn get(&self, user: Option<User>) -> String {
        user.map(|u| u.id).unwrap_or_default()
    }
}

fn wire(wiring: &mut Wiring) {
    wiring.include_endpoint_with_auth(Me, TokenAuth);
}

fn main() {}
