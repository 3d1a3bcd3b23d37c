// A pattern is a string literal, so that it is compiled (and refused if
// invalid or too big) with the contract, never on a request.
const SLUG: &str = "^[a-z-]+$";

#[jero::contract]
struct WidgetIn {
    #[schemars(regex(pattern = SLUG))]
    slug: String,
}

#[jero::contract]
struct Huge {
    #[schemars(pattern(r"^(\w{100}){100}$"))]
    name: String,
}

fn main() {}
