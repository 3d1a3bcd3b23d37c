use jero::resource;

struct Widgets;

#[resource]
impl Widgets {
    async fn read_many(&self) -> String {
        String::new()
    }
}

fn main() {}
