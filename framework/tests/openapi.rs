//! The OpenAPI document: operations, parameters, bodies, responses with
//! their statuses, security, tags and summaries, all from the types.

use jero::openapi::OpenApi;
use jero::{authenticator, contract, endpoint, resource, App, BoxError, FilePart, JsonResponse, Wiring};
use jero_testing::{json, TestClient};
use serde_json::Value;

#[contract]
struct User {
    id: String,
}

#[contract]
struct Bearer {
    authorization: String,
}

#[contract]
struct MaybeBearer {
    authorization: Option<String>,
}

#[jero::error(status = 401, code = "invalid-token", title = "Invalid token")]
struct InvalidToken;

struct TokenAuth;

#[authenticator(scheme = "bearer")]
impl TokenAuth {
    async fn authenticate(&self, headers: Bearer) -> Result<User, InvalidToken> {
        Ok(User {
            id: headers.authorization,
        })
    }
}

struct MaybeAuth;

#[authenticator]
impl MaybeAuth {
    async fn authenticate(&self, headers: MaybeBearer) -> Result<Option<User>, InvalidToken> {
        Ok(headers.authorization.map(|id| User { id }))
    }
}

#[contract]
#[serde(rename_all = "camelCase")]
struct Note {
    id: String,
    text: String,
}

#[contract]
struct NoteIn {
    text: String,
}

#[contract]
struct NotePath {
    note_id: String,
}

/// The order of a listing.
#[contract]
#[serde(rename_all = "lowercase")]
enum Order {
    Newest,
    Oldest,
}

#[contract]
struct Page {
    #[serde(default)]
    limit: u32,
    cursor: Option<String>,
    /// Newest first unless asked.
    order: Option<Order>,
}

#[contract]
struct Trace {
    x_trace_id: String,
}

#[jero::error(status = 404, code = "note-not-found", title = "Note not found")]
struct NoteNotFound;

struct Notes;

#[resource(path = "/notes", tag = "notes")]
impl Notes {
    /// Creates a note.
    ///
    /// The text is kept as sent.
    async fn create(&self, user: User, json: NoteIn) -> Note {
        Note {
            id: user.id,
            text: json.text,
        }
    }

    /// Lists notes, a page at a time.
    async fn read_many(&self, user: User, params: Page, headers: Trace) -> Vec<Note> {
        let _ = (user, params, headers);
        Vec::new()
    }

    async fn read_one(&self, user: User, path: NotePath) -> Result<Note, NoteNotFound> {
        let _ = (user, path);
        Err(NoteNotFound)
    }
}

#[contract(input)]
struct Upload {
    document: FilePart,
}

#[contract]
struct Size {
    size: usize,
}

struct Uploads;

#[endpoint(path = "/uploads")]
impl Uploads {
    async fn post(&self, form: Upload) -> Size {
        Size {
            size: form.document.bytes.len(),
        }
    }

    async fn put(&self, content: jero::Bytes) -> Size {
        Size { size: content.len() }
    }
}

#[derive(Debug)]
struct Upstream;

impl std::fmt::Display for Upstream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("upstream down")
    }
}

impl std::error::Error for Upstream {}

#[contract]
struct UpstreamBody {
    code: String,
}

struct Status;

#[endpoint(path = "/status")]
impl Status {
    async fn get(&self, user: Option<User>) -> Result<Size, jero::Error> {
        let _ = user;
        Err(Upstream)?
    }
}

struct Risky;

#[endpoint(path = "/risky")]
impl Risky {
    async fn get(&self) -> Result<Size, jero::Problem> {
        Err(jero::Problem::new(418, "teapot", "A teapot"))
    }
}

struct DocApp;

impl App for DocApp {
    async fn wire(&self, wiring: &mut Wiring) -> Result<(), BoxError> {
        wiring
            .include_openapi(OpenApi::new("Notes", "2.0.0").description("Notes by owner."))
            .include_resource_with_auth(Notes, TokenAuth)
            .include_endpoint(Uploads)
            .include_endpoint(Risky)
            .include_endpoint_with_auth(Status, MaybeAuth)
            .on_error_as(503, |_: &Upstream| {
                JsonResponse::new(UpstreamBody {
                    code: "upstream".into(),
                })
                .raw_header("Retry-After", "5")
            });
        Ok(())
    }
}

fn doc() -> Value {
    let c = TestClient::new(DocApp);
    let r = c.get("/openapi.json").send();
    assert_eq!(r.status(), 200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    r.json()
}

fn statuses(op: &Value) -> Vec<String> {
    op["responses"].as_object().unwrap().keys().cloned().collect()
}

#[test]
fn the_document_lists_every_route_but_its_own() {
    let d = doc();
    assert_eq!(d["openapi"], "3.1.0");
    assert_eq!(
        d["info"],
        json!({"title": "Notes", "version": "2.0.0", "description": "Notes by owner."})
    );
    let paths: Vec<&String> = d["paths"].as_object().unwrap().keys().collect();
    assert_eq!(
        paths,
        ["/notes", "/notes/{note_id}", "/uploads", "/risky", "/status"]
    );
    let methods: Vec<&String> = d["paths"]["/notes"].as_object().unwrap().keys().collect();
    assert_eq!(methods, ["post", "get"]);
}

#[test]
fn summaries_descriptions_and_tags_come_from_the_code() {
    let d = doc();
    let create = &d["paths"]["/notes"]["post"];
    assert_eq!(create["summary"], "Creates a note.");
    assert_eq!(create["description"], "The text is kept as sent.");
    assert_eq!(create["tags"], json!(["notes"]));
    assert_eq!(create["operationId"], "Notes_create");
    assert!(d["paths"]["/notes/{note_id}"]["get"].get("summary").is_none());
    assert!(d["paths"]["/uploads"]["post"].get("tags").is_none());
}

#[test]
fn parameters_come_from_path_query_and_header_contracts() {
    let d = doc();
    assert_eq!(
        d["paths"]["/notes"]["get"]["parameters"],
        json!([
            {"name": "limit", "in": "query", "required": false, "schema": {"type": "integer", "format": "uint32", "minimum": 0, "default": 0}},
            // An Option's `null` is left out: a query value is text, never
            // null (absent is `required: false`).
            {"name": "cursor", "in": "query", "required": false, "schema": {"type": "string"}},
            {"name": "order", "in": "query", "required": false, "schema": {"$ref": "#/components/schemas/Order", "description": "Newest first unless asked."}},
            {"name": "x-trace-id", "in": "header", "required": true, "schema": {"type": "string"}},
        ])
    );
    assert_eq!(
        d["paths"]["/notes/{note_id}"]["get"]["parameters"],
        json!([{"name": "note_id", "in": "path", "required": true, "schema": {"type": "string"}}])
    );
}

#[test]
fn request_bodies_by_kind() {
    let d = doc();
    assert_eq!(
        d["paths"]["/notes"]["post"]["requestBody"],
        json!({"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/NoteIn"}}}})
    );
    let form = &d["paths"]["/uploads"]["post"]["requestBody"]["content"]["multipart/form-data"]["schema"];
    assert_eq!(form, &json!({"$ref": "#/components/schemas/Upload"}));
    assert_eq!(
        d["components"]["schemas"]["Upload"]["properties"]["document"],
        json!({"type": "string", "format": "binary", "contentMediaType": "application/octet-stream"})
    );
    assert_eq!(
        d["paths"]["/uploads"]["put"]["requestBody"]["content"]["application/octet-stream"]["schema"],
        json!({"type": "string", "format": "binary"})
    );
}

#[test]
fn every_status_an_operation_can_answer() {
    let d = doc();
    assert_eq!(
        statuses(&d["paths"]["/notes"]["post"]),
        ["201", "400", "401", "413", "422", "500"]
    );
    assert_eq!(
        statuses(&d["paths"]["/notes"]["get"]),
        ["200", "400", "401", "500"]
    );
    assert_eq!(
        statuses(&d["paths"]["/notes/{note_id}"]["get"]),
        ["200", "401", "404", "500"]
    );
    assert_eq!(
        statuses(&d["paths"]["/uploads"]["post"]),
        ["200", "400", "413", "415", "422", "500"]
    );
    assert_eq!(statuses(&d["paths"]["/uploads"]["put"]), ["200", "413", "500"]);
    // A `Problem` has its status only at run time: any error.
    assert_eq!(statuses(&d["paths"]["/risky"]["get"]), ["200", "500", "default"]);
    // The exception handler's declared status, for an operation that can
    // fail with a jero::Error.
    assert_eq!(
        statuses(&d["paths"]["/status"]["get"]),
        ["200", "401", "500", "503"]
    );
    let created = &d["paths"]["/notes"]["post"]["responses"]["201"];
    assert_eq!(
        created["content"]["application/json"]["schema"],
        json!({"$ref": "#/components/schemas/Note"})
    );
    let problem = &d["paths"]["/notes/{note_id}"]["get"]["responses"]["404"]["content"];
    assert_eq!(
        problem["application/problem+json"]["schema"],
        json!({"$ref": "#/components/schemas/Problem"})
    );
    assert_eq!(
        d["components"]["schemas"]["Problem"]["required"],
        json!(["type", "title", "status"])
    );
}

#[test]
fn security_schemes_come_from_the_authenticators() {
    let d = doc();
    assert_eq!(
        d["components"]["securitySchemes"],
        json!({
            "TokenAuth": {"type": "http", "scheme": "bearer"},
            "MaybeAuth": {"type": "apiKey", "in": "header", "name": "authorization"},
        })
    );
    assert_eq!(
        d["paths"]["/notes"]["post"]["security"],
        json!([{"TokenAuth": []}])
    );
    // Optional auth: anonymous callers are admitted.
    assert_eq!(
        d["paths"]["/status"]["get"]["security"],
        json!([{}, {"MaybeAuth": []}])
    );
    assert!(d["paths"]["/uploads"]["post"].get("security").is_none());
    // The bearer gate's 401s carry its challenge; an API key's have none.
    let challenge = &d["paths"]["/notes"]["post"]["responses"]["401"]["headers"]["www-authenticate"];
    assert_eq!(
        challenge["schema"],
        json!({"type": "string", "example": "Bearer"}),
        "{challenge}"
    );
    assert_eq!(challenge["required"], false);
    assert!(d["paths"]["/status"]["get"]["responses"]["401"]["headers"].is_null());
}

#[test]
fn the_docs_page_and_the_exception_handlers_status() {
    let c = TestClient::new(DocApp);
    let docs = c.get("/docs").send();
    assert_eq!(docs.status(), 200);
    assert_eq!(docs.header("content-type"), Some("text/html; charset=utf-8"));
    assert!(docs.text().contains("/openapi.json"));
    assert_eq!(c.head("/openapi.json").send().status(), 200);
    assert_eq!(c.post("/openapi.json").send().status(), 405);
    let r = c.get("/status").send();
    assert_eq!(r.status(), 503);
    assert_eq!(r.header("retry-after"), Some("5"));
    assert_eq!(r.json::<Value>(), json!({"code": "upstream"}));
}

struct NoDoc;

impl App for NoDoc {
    async fn wire(&self, wiring: &mut Wiring) -> Result<(), BoxError> {
        wiring.include_endpoint(Uploads);
        Ok(())
    }
}

struct BadStatus;

impl App for BadStatus {
    async fn wire(&self, wiring: &mut Wiring) -> Result<(), BoxError> {
        wiring.on_error_as(302, |_: &Upstream| JsonResponse::new(Size { size: 0 }));
        Ok(())
    }
}

#[test]
fn no_document_unless_included_and_error_statuses_are_checked() {
    assert_eq!(TestClient::new(NoDoc).get("/openapi.json").send().status(), 404);
    let err = TestClient::try_new(BadStatus).err().expect("a wiring error");
    assert_eq!(
        err.message(),
        "the exception handler for Upstream declares status 302; an error's status is 400-599"
    );
}

// ---------------------------------------------------------------------------
// Apps wired by a closure, with the document included

/// An app whose `wire` is a closure (the document is always included).
struct WireWith<F>(F);

impl<F: Fn(&mut Wiring) + Send + Sync + 'static> App for WireWith<F> {
    async fn wire(&self, wiring: &mut Wiring) -> Result<(), BoxError> {
        wiring.include_openapi(OpenApi::new("Test", "1.0.0"));
        (self.0)(wiring);
        Ok(())
    }
}

/// A client for the app `wire` describes, and its document.
fn with_doc(wire: impl Fn(&mut Wiring) + Send + Sync + 'static) -> (TestClient, Value) {
    let c = TestClient::new(WireWith(wire));
    let d = c.get("/openapi.json").send().json();
    (c, d)
}

// ---------------------------------------------------------------------------
// Exception handlers for typed errors and error enums

#[jero::error(status = 404, code = "note-missing", title = "Note missing")]
struct NoteMissing;

#[jero::error(status = 409, code = "note-locked", title = "Note locked")]
struct NoteLocked;

#[jero::error(status = 410, code = "note-gone", title = "Note gone")]
struct NoteGone;

/// An error enum; an outcome enum with one error variant.
#[derive(jero::IntoResponse)]
enum NoteError {
    Missing(NoteMissing),
    Locked(NoteLocked),
}

#[derive(jero::IntoResponse)]
enum NoteOutcome {
    Found(Note),
    Gone(NoteGone),
}

struct Typed;

#[endpoint(path = "/typed")]
impl Typed {
    /// Fails with the enum, whose handler declares 503.
    async fn get(&self) -> Result<Size, NoteError> {
        Err(NoteMissing.into())
    }

    /// Fails with `NoteLocked` itself, whose handler declares nothing.
    async fn put(&self) -> Result<Size, NoteLocked> {
        Err(NoteLocked)
    }

    /// An outcome whose error variant `NoteGone` has a handler (429).
    async fn post(&self) -> NoteOutcome {
        NoteOutcome::Gone(NoteGone)
    }

    /// `NoteMissing` itself: its own handler (none) is not the enum's.
    async fn delete(&self) -> Result<Size, NoteMissing> {
        Err(NoteMissing)
    }
}

#[test]
fn handlers_of_typed_errors_and_error_enums_replace_their_problems() {
    let (c, d) = with_doc(|w: &mut Wiring| {
        w.include_endpoint(Typed)
            .on_error_as(503, |_: &NoteError| {
                JsonResponse::new(UpstreamBody { code: "notes".into() })
            })
            .on_error(|_: &NoteLocked| {
                JsonResponse::new(UpstreamBody {
                    code: "locked".into(),
                })
                .status(423)
            })
            .on_error_as(429, |_: &NoteGone| {
                JsonResponse::new(UpstreamBody { code: "gone".into() })
            });
    });
    let ops = &d["paths"]["/typed"];
    // The enum's handler answers for both variants: 503 in place of 404 and 409.
    assert_eq!(statuses(&ops["get"]), ["200", "500", "503"]);
    assert_eq!(
        ops["get"]["responses"]["503"]["content"]["application/json"]["schema"],
        json!({"$ref": "#/components/schemas/UpstreamBody"})
    );
    // A handler without a declared status: the error's own problem stays.
    assert_eq!(statuses(&ops["put"]), ["200", "409", "500"]);
    // An outcome enum: the success stays, the error variant's handler replaces it.
    assert_eq!(statuses(&ops["post"]), ["200", "429", "500"]);
    assert_eq!(statuses(&ops["delete"]), ["200", "404", "500"]);
    // What the handlers answer, as documented.
    assert_eq!(c.get("/typed").send().status(), 503);
    assert_eq!(c.put("/typed").send().status(), 423);
    assert_eq!(c.post("/typed").send().status(), 429);
    assert_eq!(c.delete("/typed").send().status(), 404);
}

/// An enum of an error enum; an enum with a boxed-error variant.
#[derive(jero::IntoResponse)]
enum OuterError {
    Notes(NoteError),
    Gone(NoteGone),
}

#[derive(jero::IntoResponse)]
enum WithBoxed {
    Missing(NoteMissing),
    Other(jero::Error),
}

/// A boxed error with its own declared handler.
#[derive(Debug)]
struct Flaky;

impl std::fmt::Display for Flaky {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("flaky")
    }
}

impl std::error::Error for Flaky {}

struct Nested;

#[endpoint(path = "/nested")]
impl Nested {
    /// The outer enum's handler (418) answers for every variant, the
    /// inner enum's included.
    async fn get(&self) -> Result<Size, OuterError> {
        Err(OuterError::Notes(NoteMissing.into()))
    }

    /// The enum's handler (502) answers for the boxed variant too: no
    /// other boxed handler's status is listed.
    async fn put(&self) -> Result<Size, WithBoxed> {
        Err(WithBoxed::Other(Flaky.into()))
    }

    /// A plain boxed error: only the handlers for types no operation
    /// returns as typed errors (Flaky's 504), not NoteGone's or the enums'.
    async fn post(&self) -> Result<Size, jero::Error> {
        Err(Flaky)?
    }
}

#[test]
fn nested_enums_and_boxed_variants_list_what_answers() {
    let (c, d) = with_doc(|w: &mut Wiring| {
        w.include_endpoint(Nested)
            .on_error_as(418, |_: &OuterError| {
                JsonResponse::new(UpstreamBody { code: "outer".into() })
            })
            .on_error_as(503, |_: &NoteError| {
                JsonResponse::new(UpstreamBody { code: "inner".into() })
            })
            .on_error_as(429, |_: &NoteGone| {
                JsonResponse::new(UpstreamBody { code: "gone".into() })
            })
            .on_error_as(502, |_: &WithBoxed| {
                JsonResponse::new(UpstreamBody { code: "boxed".into() })
            })
            .on_error_as(504, |_: &Flaky| {
                JsonResponse::new(UpstreamBody { code: "flaky".into() })
            });
    });
    let ops = &d["paths"]["/nested"];
    assert_eq!(statuses(&ops["get"]), ["200", "418", "500"]);
    assert_eq!(statuses(&ops["put"]), ["200", "500", "502"]);
    assert_eq!(statuses(&ops["post"]), ["200", "500", "504"]);
    // As answered.
    assert_eq!(c.get("/nested").send().status(), 418);
    assert_eq!(c.put("/nested").send().status(), 502);
    assert_eq!(c.post("/nested").send().status(), 504);
}

/// Two outcomes with one status.
#[derive(jero::IntoResponse)]
enum Either {
    Note(JsonResponse<Note>),
    Size(JsonResponse<Size>),
}

struct Eithers;

#[endpoint(path = "/either")]
impl Eithers {
    async fn get(&self) -> Either {
        Either::Size(JsonResponse::new(Size { size: 1 }))
    }
}

#[test]
fn outcomes_sharing_a_status_are_any_of_their_schemas() {
    let (_, d) = with_doc(|w: &mut Wiring| {
        w.include_endpoint(Eithers);
    });
    let ok = &d["paths"]["/either"]["get"]["responses"]["200"];
    assert_eq!(
        ok["content"]["application/json"]["schema"],
        json!({"anyOf": [
            {"$ref": "#/components/schemas/Note"},
            {"$ref": "#/components/schemas/Size"},
        ]})
    );
}

/// Typed response headers.
#[contract]
struct RateHeaders {
    x_rate_limit: u32,
    #[serde(rename = "X-Request-ID")]
    request_id: Option<String>,
}

struct Rated;

#[endpoint(path = "/rated")]
impl Rated {
    async fn get(&self) -> JsonResponse<Size, RateHeaders> {
        JsonResponse::new(Size { size: 1 }).headers(RateHeaders {
            x_rate_limit: 10,
            request_id: None,
        })
    }
}

/// Two outcomes with one status, one with typed headers.
#[derive(jero::IntoResponse)]
enum MaybeRated {
    Rated(JsonResponse<Size, RateHeaders>),
    Plain(JsonResponse<Size>),
}

struct MaybeRatedEndpoint;

#[endpoint(path = "/maybe-rated")]
impl MaybeRatedEndpoint {
    async fn get(&self) -> MaybeRated {
        MaybeRated::Plain(JsonResponse::new(Size { size: 2 }))
    }
}

#[test]
fn typed_response_headers_are_documented_under_their_names() {
    let (_, d) = with_doc(|w: &mut Wiring| {
        w.include_endpoint(Rated).include_endpoint(MaybeRatedEndpoint);
    });
    let headers = &d["paths"]["/rated"]["get"]["responses"]["200"]["headers"];
    assert_eq!(headers["x-rate-limit"]["required"], json!(true), "{headers}");
    assert_eq!(
        headers["x-rate-limit"]["schema"]["type"],
        json!("integer"),
        "{headers}"
    );
    assert_eq!(headers["x-request-id"]["required"], json!(false), "{headers}");
    assert_eq!(
        headers.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["x-rate-limit", "x-request-id"]
    );
    // Only one of two outcomes with that status sends it: not required.
    let shared = &d["paths"]["/maybe-rated"]["get"]["responses"]["200"]["headers"];
    assert_eq!(shared["x-rate-limit"]["required"], json!(false), "{shared}");
}

/// A parameterized error.
#[jero::error(
    status = 404,
    code = "note-id-missing",
    title = "Note not found",
    detail = "no {note_id}"
)]
#[serde(rename_all = "camelCase")]
struct NoteIdMissing {
    note_id: String,
}

struct Params;

#[endpoint(path = "/params")]
impl Params {
    async fn get(&self) -> Result<Size, NoteIdMissing> {
        Err(NoteIdMissing { note_id: "n1".into() })
    }
}

#[test]
fn error_params_are_documented_with_their_schema() {
    let (_, d) = with_doc(|w: &mut Wiring| {
        w.include_endpoint(Params);
    });
    let schema =
        &d["paths"]["/params"]["get"]["responses"]["404"]["content"]["application/problem+json"]["schema"];
    assert_eq!(
        schema["allOf"][0],
        json!({"$ref": "#/components/schemas/Problem"}),
        "{schema}"
    );
    let params = &schema["allOf"][1]["properties"]["params"];
    assert_eq!(
        params,
        &json!({"$ref": "#/components/schemas/NoteIdMissing"}),
        "{schema}"
    );
    assert_eq!(
        d["components"]["schemas"]["NoteIdMissing"]["properties"]["noteId"]["type"],
        json!("string")
    );
}

/// A patch: fields that may be left out, one documented as its inner type
/// (not nullable), one as nullable.
#[contract]
struct NotePatch {
    #[serde(default)]
    #[schemars(with = "String")]
    title: Option<String>,
    #[serde(default)]
    pages: Option<u32>,
}

/// Query and header fields of the same shape.
#[contract]
struct PatchQuery {
    #[serde(default)]
    #[schemars(with = "String")]
    reason: Option<String>,
}

#[contract]
struct PatchHeaders {
    #[serde(default)]
    #[schemars(with = "String")]
    x_reason: Option<String>,
}

struct Patches;

#[endpoint(path = "/patches")]
impl Patches {
    async fn get(&self, params: PatchQuery, headers: PatchHeaders) -> Size {
        Size {
            size: params.reason.map_or(0, |r| r.len()) + headers.x_reason.map_or(0, |r| r.len()),
        }
    }

    async fn patch(&self, json: NotePatch) -> Size {
        Size {
            size: json.title.map_or(0, |t| t.len()) + json.pages.unwrap_or(0) as usize,
        }
    }
}

/// Whether `value` is an instance of the JSON Schema type `ty`.
fn of_type(value: &Value, ty: &str) -> bool {
    match ty {
        "null" => value.is_null(),
        "boolean" => value.is_boolean(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "string" => value.is_string(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        _ => true,
    }
}

/// Every `default` in `value` (a whole document) that its schema's `type`
/// refuses, by JSON pointer.
fn defaults_refused_by_their_type(value: &Value, at: &str, found: &mut Vec<String>) {
    match value {
        Value::Object(obj) => {
            if let (Some(default), Some(ty)) = (obj.get("default"), obj.get("type")) {
                let ok = match ty {
                    Value::String(t) => of_type(default, t),
                    Value::Array(ts) => ts.iter().any(|t| t.as_str().is_some_and(|t| of_type(default, t))),
                    _ => true,
                };
                if !ok {
                    found.push(format!("{at}: default {default} for type {ty}"));
                }
            }
            for (k, v) in obj {
                defaults_refused_by_their_type(v, &format!("{at}/{k}"), found);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                defaults_refused_by_their_type(v, &format!("{at}/{i}"), found);
            }
        }
        _ => {}
    }
}

/// A field that may be left out but is documented as its inner type has
/// no `"default": null` in the document (its type refuses null, and
/// validators of the document reject it); a nullable one keeps it.
#[test]
fn defaults_are_instances_of_their_schemas() {
    let (c, d) = with_doc(|w: &mut Wiring| {
        w.include_endpoint(Patches);
    });
    let props = &d["components"]["schemas"]["NotePatch"]["properties"];
    assert_eq!(props["title"], json!({"type": "string"}), "{props}");
    assert_eq!(props["pages"]["default"], Value::Null, "{props}");
    assert_eq!(props["pages"]["type"], json!(["integer", "null"]), "{props}");
    let mut refused = Vec::new();
    defaults_refused_by_their_type(&d, "", &mut refused);
    assert!(refused.is_empty(), "{refused:#?}");
    // Parameters too (their schemas are copied from the definitions).
    let params = d["paths"]["/patches"]["get"]["parameters"].as_array().unwrap();
    assert_eq!(params.len(), 2, "{params:?}");
    for p in params {
        assert_eq!(p["schema"], json!({"type": "string"}), "{p}");
    }
    // Binding is unchanged: left out is None.
    let res = c.patch("/patches").json(&json!({"pages": 3})).send();
    assert_eq!((res.status(), res.json()), (200, json!({"size": 3})));
}

struct Export;

#[endpoint(path = "/export")]
impl Export {
    async fn get(&self) -> jero::BytesResponse {
        jero::BytesResponse::new(jero::Bytes::from_static(b"id,name\n")).content_type("text/csv")
    }

    async fn post(&self) -> Size {
        Size { size: 0 }
    }
}

/// A media type set at run time, documented with `OpenApi::produces`; a
/// route the app does not have, or one without a binary success, is a
/// wiring error.
#[test]
fn a_binary_responses_media_type_is_documented_where_the_app_says() {
    let wire = |produces: &'static str| {
        TestClient::try_new(WireWith(move |w: &mut Wiring| {
            w.include_endpoint(Export)
                .include_openapi(OpenApi::new("t", "1").produces(produces, "text/csv"));
        }))
    };
    let c = wire("GET /export").unwrap_or_else(|e| panic!("{e}"));
    let d: Value = c.get("/openapi.json").send().json();
    let content = &d["paths"]["/export"]["get"]["responses"]["200"]["content"];
    assert_eq!(
        content,
        &json!({"text/csv": {"schema": {"type": "string", "format": "binary"}}}),
        "{content}"
    );
    assert_eq!(c.get("/export").send().header("content-type"), Some("text/csv"));
    let err = wire("GET /exports").err().expect("a wiring error");
    assert_eq!(
        err.message(),
        "OpenApi::produces names GET /exports, which the app does not route; write it as \
         `METHOD /template`, as the route was included (e.g. `GET /notes/{note_id}`)"
    );
    let err = wire("POST /export").err().expect("a wiring error");
    assert!(
        err.message()
            .starts_with("OpenApi::produces names POST /export, which has no binary"),
        "{err}"
    );
}

/// Headers set at run time, documented with `OpenApi::response_header`
/// under the status the app names, with `T`'s schema; a route, status or
/// name the document cannot take is a wiring error that says why.
#[test]
fn run_time_headers_are_documented_where_the_app_says() {
    let wire = |route: &'static str, status: u16, name: &'static str| {
        TestClient::try_new(WireWith(move |w: &mut Wiring| {
            w.include_endpoint(Export)
                .include_endpoint(Rated)
                .include_openapi(
                    OpenApi::new("t", "1")
                        .response_header::<u32>(route, status, name, "Seconds to wait.")
                        .response_header::<String>("POST /export", 200, "Set-Cookie", "The session cookie."),
                );
        }))
    };
    let c = wire("GET /export", 200, "Retry-After").unwrap_or_else(|e| panic!("{e}"));
    let d: Value = c.get("/openapi.json").send().json();
    assert_eq!(
        d["paths"]["/export"]["get"]["responses"]["200"]["headers"],
        json!({"Retry-After": {
            "description": "Seconds to wait.",
            "required": true,
            "schema": {"type": "integer", "format": "uint32", "minimum": 0},
        }})
    );
    assert_eq!(
        d["paths"]["/export"]["post"]["responses"]["200"]["headers"]["Set-Cookie"],
        json!({"description": "The session cookie.", "required": true, "schema": {"type": "string"}})
    );
    // The typed headers of /rated stay as they were, beside a new one.
    let c = wire("GET /rated", 200, "Retry-After").unwrap_or_else(|e| panic!("{e}"));
    let d: Value = c.get("/openapi.json").send().json();
    let headers = d["paths"]["/rated"]["get"]["responses"]["200"]["headers"]
        .as_object()
        .unwrap();
    let mut names: Vec<&str> = headers.keys().map(String::as_str).collect();
    names.sort_unstable();
    assert_eq!(names, ["Retry-After", "x-rate-limit", "x-request-id"]);

    // The errors whose status only run time knows: `default`.
    let c = TestClient::try_new(WireWith(|w: &mut Wiring| {
        w.include_endpoint(Risky)
            .include_openapi(OpenApi::new("t", "1").response_header::<u32>(
                "GET /risky",
                jero::openapi::Status::Default,
                "Retry-After",
                "Seconds to wait.",
            ));
    }))
    .unwrap_or_else(|e| panic!("{e}"));
    let d: Value = c.get("/openapi.json").send().json();
    let default = &d["paths"]["/risky"]["get"]["responses"]["default"];
    assert_eq!(default["headers"]["Retry-After"]["required"], true, "{default}");

    let refused = |route, status, name| {
        wire(route, status, name)
            .err()
            .expect("a wiring error")
            .message()
            .to_owned()
    };
    assert_eq!(
        refused("GET /exports", 200, "Retry-After"),
        "OpenApi::response_header names GET /exports, which the app does not route; write it as \
         `METHOD /template`, as the route was included (e.g. `GET /notes/{note_id}`)"
    );
    assert_eq!(
        refused("GET /export", 503, "Retry-After"),
        "OpenApi::response_header for GET /export 503: the operation does not answer 503; it answers 200, 500"
    );
    assert_eq!(
        refused("GET /export", 200, "Retry After"),
        "OpenApi::response_header for GET /export 200: \"Retry After\" is not a header name \
         (letters, digits and !#$%&'*+-.^_`|~ only)"
    );
    assert_eq!(
        refused("GET /export", 200, "Content-Type"),
        "OpenApi::response_header for GET /export 200: Content-Type is the framework's to send and \
         to document; remove this response_header"
    );
    assert_eq!(
        refused("GET /rated", 200, "X-Rate-Limit"),
        "OpenApi::response_header for GET /rated 200: X-Rate-Limit is already documented (a typed \
         header of the response, or an earlier response_header); remove this response_header"
    );
}

// ---------------------------------------------------------------------------
// Form parts with typed headers

#[contract(input)]
struct PartSettings {
    dpi: u32,
}

/// A part's typed headers: a constrained one, an optional one, one renamed,
/// and the part's content type (which OpenAPI describes apart).
#[contract(input)]
struct PartMeta {
    #[schemars(length(equal = 8))]
    x_checksum: String,
    x_revision: Option<u32>,
    #[serde(rename = "X-Request-ID")]
    request_id: Option<String>,
    content_type: Option<String>,
}

#[contract(input)]
#[serde(rename_all = "camelCase")]
struct PageMeta {
    x_page_number: u32,
}

#[contract(input)]
#[serde(rename_all = "camelCase")]
struct SignedForm {
    config: jero::FormPart<PartSettings, PartMeta>,
    cover_note: Option<jero::FormPart<String, PartMeta>>,
    pages: Vec<jero::FormPart<jero::Bytes, PageMeta>>,
    appendix: Option<jero::FormPart<PartSettings, PageMeta>>,
    plain: jero::FormPart<String>,
    document: FilePart,
}

struct SignedUploads;

#[endpoint(path = "/signed")]
impl SignedUploads {
    async fn post(&self, form: SignedForm) -> Size {
        Size {
            size: form.config.value.dpi as usize + form.pages.len() + form.plain.value.len(),
        }
    }

    async fn put(&self, form: SignedForm) -> Size {
        Size {
            size: form.document.bytes.len(),
        }
    }
}

/// Every place in `value` (a whole document) where `key` appears, by JSON
/// pointer.
fn keys_named(value: &Value, key: &str, at: &str, found: &mut Vec<String>) {
    match value {
        Value::Object(obj) => {
            for (k, v) in obj {
                if k == key {
                    found.push(format!("{at}/{k}"));
                }
                keys_named(v, key, &format!("{at}/{k}"), found);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                keys_named(v, key, &format!("{at}/{i}"), found);
            }
        }
        _ => {}
    }
}

/// A `FormPart<T, H>`'s typed headers are the form's `encoding` for that
/// part (one of a list, one that may be left out): named as binding reads
/// them, required as binding requires them, `Content-Type` left out (OpenAPI
/// describes it apart). The form's schema is the same as without them.
#[test]
fn a_form_parts_typed_headers_are_documented_in_its_encoding() {
    let (c, d) = with_doc(|w: &mut Wiring| {
        w.include_endpoint(SignedUploads);
    });
    let media = &d["paths"]["/signed"]["post"]["requestBody"]["content"]["multipart/form-data"];
    let meta = json!({
        "x-checksum": {"required": true, "schema": {"type": "string", "minLength": 8, "maxLength": 8}},
        "x-revision": {"required": false, "schema": {"type": "integer", "format": "uint32", "minimum": 0}},
        "x-request-id": {"required": false, "schema": {"type": "string"}},
    });
    let page = json!({
        "x-page-number": {"required": true, "schema": {"type": "integer", "format": "uint32", "minimum": 0}},
    });
    assert_eq!(
        media["encoding"],
        json!({
            "config": {"headers": meta},
            "coverNote": {"headers": meta},
            "pages": {"headers": page},
            "appendix": {"headers": page},
        }),
        "{media}"
    );
    // Inline: its list of parts (`pages`) is not required, as a form binds
    // none when none is sent; its definition, referred to by nothing, is
    // not in the components, nor are the part headers' contracts.
    assert_eq!(
        media["schema"]["required"],
        json!(["config", "plain", "document"])
    );
    let schemas = d["components"]["schemas"].as_object().unwrap();
    for unused in ["SignedForm", "PartMeta", "PageMeta"] {
        assert!(!schemas.contains_key(unused), "{unused}: {:?}", schemas.keys());
    }
    // A second operation with the same form: the same encoding.
    let put = &d["paths"]["/signed"]["put"]["requestBody"]["content"]["multipart/form-data"];
    assert_eq!(put, media);
    let props = &media["schema"]["properties"];
    assert_eq!(
        props["config"],
        json!({"$ref": "#/components/schemas/PartSettings"}),
        "{props}"
    );
    assert_eq!(props["coverNote"], json!({"type": ["string", "null"]}), "{props}");
    assert_eq!(props["pages"]["type"], json!("array"), "{props}");
    assert_eq!(
        props["appendix"],
        json!({"anyOf": [{"$ref": "#/components/schemas/PartSettings"}, {"type": "null"}]}),
        "{props}"
    );
    assert_eq!(props["plain"], json!({"type": "string"}), "{props}");
    let mut leftovers = Vec::new();
    keys_named(&d, "x-jero-part-headers", "", &mut leftovers);
    assert!(leftovers.is_empty(), "{leftovers:#?}");

    // The documented names bind; a required one left out is 422.
    let form = |config_headers: &[(&str, &str)]| {
        jero_testing::Multipart::new()
            .part(
                "config",
                None,
                Some("application/json"),
                config_headers,
                br#"{"dpi": 3}"#,
            )
            .part("pages", None, None, &[("x-page-number", "1")], b"p1")
            .part("pages", None, None, &[("x-page-number", "2")], b"p2")
            .part("plain", None, None, &[], b"abcd")
            .part("document", Some("a.txt"), Some("text/plain"), &[], b"doc")
    };
    let sent = [
        ("x-checksum", "abcd1234"),
        ("x-revision", "2"),
        ("x-request-id", "r-1"),
    ];
    let res = c.post("/signed").multipart(form(&sent)).send();
    assert_eq!((res.status(), res.json()), (200, json!({"size": 9})));
    let p = c.post("/signed").multipart(form(&sent[1..])).send().problem();
    assert_eq!(
        (p.status, p.detail.as_deref()),
        (
            422,
            Some("invalid form part `config`: missing header `x-checksum`")
        )
    );
}

// ---------------------------------------------------------------------------
// Lists of parts

#[contract(input)]
struct Tagged {
    title: String,
    tags: Vec<String>,
    #[schemars(length(min = 1))]
    labels: Vec<String>,
}

struct TaggedEndpoint;

#[endpoint(path = "/tagged")]
impl TaggedEndpoint {
    async fn post(&self, form: Tagged) -> Size {
        Size {
            size: form.tags.len(),
        }
    }

    async fn put(&self, json: Tagged) -> Size {
        Size {
            size: json.tags.len(),
        }
    }
}

/// A list in a form binds zero parts when none is sent, so the form's
/// schema does not require it; the same contract as a JSON body (where a
/// missing list is a 422) still does.
#[test]
fn a_forms_lists_are_not_required_where_a_json_bodys_are() {
    let (c, d) = with_doc(|w: &mut Wiring| {
        w.include_endpoint(TaggedEndpoint);
    });
    let form = &d["paths"]["/tagged"]["post"]["requestBody"]["content"]["multipart/form-data"]["schema"];
    // A list with a minimum length is refused when none is sent: required.
    assert_eq!(form["required"], json!(["title", "labels"]), "{form}");
    assert_eq!(form["properties"]["tags"]["type"], "array", "{form}");
    let body = &d["paths"]["/tagged"]["put"]["requestBody"]["content"]["application/json"]["schema"];
    assert_eq!(body, &json!({"$ref": "#/components/schemas/Tagged"}));
    assert_eq!(
        d["components"]["schemas"]["Tagged"]["required"],
        json!(["title", "tags", "labels"])
    );
    // As bound: the form takes no tags, the JSON body refuses none.
    let form = || jero_testing::Multipart::new().text("title", "t");
    let res = c.post("/tagged").multipart(form().text("labels", "l")).send();
    assert_eq!((res.status(), res.json::<Value>()), (200, json!({"size": 0})));
    assert_eq!(c.post("/tagged").multipart(form()).send().status(), 422);
    let json = json!({"title": "t", "labels": ["l"]});
    assert_eq!(c.put("/tagged").json(&json).send().status(), 422);
}
