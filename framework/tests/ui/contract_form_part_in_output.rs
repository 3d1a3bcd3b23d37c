// A form is only read: a contract holding a file part that would also be
// serialized says to declare it input, not that FilePart lacks Serialize.
use jero::FilePart;

#[jero::contract]
struct Upload {
    title: String,
    attachments: Vec<FilePart>,
}

fn main() {}
