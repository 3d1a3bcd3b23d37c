use jero::resource;

struct Widgets;

#[resource(path = "/widgets")]
impl Widgets {
    async fn read_many(&self) -> String {
        self.helper()
    }

    fn helper(&self) -> String {
        String::new()
    }
}

fn main() {}
