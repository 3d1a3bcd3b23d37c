use jero::{contract, resource};

#[contract]
struct User {
    id: String,
}

#[contract]
struct Widget {
    id: String,
}

struct Widgets;

#[resource(path = "/widgets")]
impl Widgets {
    async fn read_many(&self, user: User) -> Vec<Widget> {
        vec![Widget { id: user.id }]
    }

    async fn create(&self, user: Option<User>) -> Widget {
        Widget { id: user.map(|u| u.id).unwrap_or_default() }
    }
}

fn main() {}
