// A constraint written for the `validator` crate would be documented by
// schemars but not checked: refused, with what to write instead.
#[jero::contract]
struct WidgetIn {
    #[validate(length(min = 1))]
    name: String,
}

fn main() {}
