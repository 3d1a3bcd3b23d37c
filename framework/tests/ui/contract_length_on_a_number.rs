// `length` constrains text and collections; on a number it is a type error
// that says so.
#[jero::contract]
struct WidgetIn {
    #[schemars(length(min = 1))]
    price_cents: i64,
}

fn main() {}
