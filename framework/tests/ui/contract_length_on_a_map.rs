// The schema of a map shows no length, so a length is not checked on one
// either: refused.
#[jero::contract]
struct Labels {
    #[schemars(length(max = 2))]
    labels: std::collections::HashMap<String, String>,
}

fn main() {}
