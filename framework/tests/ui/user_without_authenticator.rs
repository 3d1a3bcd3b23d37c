use jero::{contract, resource, Wiring};

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
}

fn wire(wiring: &mut Wiring) {
    wiring.include_resource(Widgets);
}

fn main() {}
