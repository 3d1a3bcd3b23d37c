//! `hello`: the engine alone, no framework. Serves
//! `GET /plaintext`, `GET /json`, `GET /healthz` and `POST /uploads`.

use jero_engine::{Method, Request, Response, Server, Service, StaticHeader};

struct Hello;

// Checked when compiled, so no check is left for each request.
const TEXT: StaticHeader = StaticHeader::new("content-type", "text/plain");
const JSON: StaticHeader = StaticHeader::new("content-type", "application/json");

impl Service for Hello {
    async fn call(&self, req: Request) -> Response {
        let get = matches!(req.method(), Method::Get | Method::Head);
        match req.path() {
            "/plaintext" if get => Response::new(200).with_static(&TEXT).with_body("Hello, World!"),
            "/json" if get => Response::new(200)
                .with_static(&JSON)
                .with_body(r#"{"message":"Hello, World!"}"#),
            "/healthz" if get => Response::new(200)
                .with_static(&JSON)
                .with_body(r#"{"status":"ok"}"#),
            "/uploads" if req.method() == Method::Post => Response::new(201)
                .with_static(&JSON)
                .with_body(format!(r#"{{"size":{}}}"#, req.body().len())),
            "/plaintext" | "/json" | "/healthz" | "/uploads" => {
                let allow = if req.path() == "/uploads" {
                    "POST"
                } else {
                    "GET, HEAD"
                };
                Response::new(405).with_header("allow", allow)
            }
            _ => Response::new(404),
        }
    }
}

fn main() {
    jero_examples::init_logging();
    let opts = jero_examples::Options::from_args();
    let server = match Server::builder().addr(&opts.addr).workers(opts.workers).bind() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("cannot listen on {}: {e}", opts.addr);
            std::process::exit(1);
        }
    };
    println!("listening on http://{}", server.local_addr());
    if let Err(e) = server.serve(|| Hello) {
        eprintln!("server error: {e}");
        std::process::exit(1);
    }
}
