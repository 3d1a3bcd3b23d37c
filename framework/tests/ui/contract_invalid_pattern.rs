// A pattern that is not a regular expression fails to compile, not on the
// first request.
#[jero::contract]
struct WidgetIn {
    #[schemars(regex(pattern = "^[a-z+$"))]
    name: String,
}

fn main() {}
