// An error's params are its named fields: a tuple struct's field would go
// out raw, as `params`, without a name.
#[jero::error(status = 409, code = "widget-exists", title = "Widget already exists")]
struct WidgetExists(String);

fn main() {}
