//! The OpenAPI 3.1 document, generated at wiring from the same types that
//! bind and encode: every operation with its parameters (path, query,
//! header and cookie contracts), its request body (`json`, `form` with
//! its parts' typed headers in the `encoding`, `content`), every response
//! it can give with its status (the handler's outcomes and errors, or what
//! an exception handler with a declared status answers for them, the
//! framework's 400/404/415/422 where its arguments can fail, 401 and the
//! authenticator's errors where it is authenticated, 500), security
//! schemes from the authenticators' credentials, and the summary,
//! description and tag declared on the route (the handler's doc comment;
//! `tag = "..."` on the impl block).
//!
//! An app includes it with [`Wiring::include_openapi`](crate::Wiring::include_openapi):
//! the document is served at `/openapi.json` and a docs page at `/docs`;
//! neither is in the document.

use bytes::Bytes;
use jero_engine::{Response, StaticHeader};
use schemars::SchemaGenerator;
use serde_json::{json, Map, Value};

use crate::binding::RequestCx;
use crate::router::{BoxFuture, ErasedHandler};

use crate::app::{ArgSpec, OpKind};
use crate::response::{resolve, ContentSpec, ResponseSpec};

/// What the document says about the API itself.
///
/// ```
/// # use jero::{openapi::OpenApi, Wiring};
/// # fn wire(wiring: &mut Wiring) {
/// wiring.include_openapi(OpenApi::new("Widgets API", "1.2.0").description("Widgets, by owner."));
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct OpenApi {
    title: String,
    version: String,
    description: Option<String>,
    /// Binary responses whose media type is only known at run time.
    produces: Vec<Produces>,
    /// Headers the app sets at run time, by route and status.
    runtime_headers: Vec<RuntimeHeader>,
}

/// A media type set at run time, as [`OpenApi::produces`] documents it.
#[derive(Debug, Clone)]
struct Produces {
    method: String,
    path: String,
    media_type: &'static str,
}

/// A header set at run time (`.raw_header(..)`, `.cookie(..)`), as
/// [`OpenApi::response_header`] documents it.
#[derive(Debug, Clone)]
struct RuntimeHeader {
    method: String,
    path: String,
    status: Status,
    name: String,
    description: String,
    schema: fn(&mut SchemaGenerator) -> schemars::Schema,
}

impl OpenApi {
    /// A document for the API `title` at `version`.
    pub fn new(title: impl Into<String>, version: impl Into<String>) -> OpenApi {
        OpenApi {
            title: title.into(),
            version: version.into(),
            description: None,
            produces: Vec::new(),
            runtime_headers: Vec::new(),
        }
    }

    /// A description of the API (CommonMark).
    pub fn description(mut self, description: impl Into<String>) -> OpenApi {
        self.description = Some(description.into());
        self
    }

    /// Documents the media type of an operation's binary or streamed
    /// success, set at run time (`BytesResponse::content_type`,
    /// `StreamingResponse::content_type`), where the type alone says
    /// `application/octet-stream`. `route` is `METHOD /template`; a route
    /// the app does not have, or one without such a response, is a
    /// [`WiringError`](crate::WiringError).
    ///
    /// ```
    /// let doc = jero::openapi::OpenApi::new("shop", "1.0").produces("GET /export", "text/csv");
    /// # let _ = doc;
    /// ```
    pub fn produces(mut self, route: &str, media_type: &'static str) -> OpenApi {
        let (method, path) = split_route(route);
        self.produces.push(Produces {
            method,
            path,
            media_type,
        });
        self
    }

    /// Documents a header that the operation `route` (`METHOD /template`)
    /// sends with `status` (a code, or [`Status::Default`] for the errors
    /// whose status only run time knows), set at run time where the types cannot show
    /// it: a raw header (`.raw_header("Retry-After", "30")`, from a
    /// handler or an exception handler) or a cookie (`Set-Cookie`). Its
    /// schema is `T`'s, and the document marks it required: the app says
    /// the response carries it. A route the app does not have, a status
    /// the operation does not answer, a name that is not a header name,
    /// `content-type` or `content-length` (the framework's), or a header
    /// the response's typed headers already document, is a
    /// [`WiringError`](crate::WiringError).
    ///
    /// ```
    /// let doc = jero::openapi::OpenApi::new("shop", "1.0")
    ///     .response_header::<u32>("GET /status", 503, "Retry-After", "Seconds until the upstream is back.")
    ///     .response_header::<String>("POST /session", 204, "Set-Cookie", "The session cookie.");
    /// # let _ = doc;
    /// ```
    pub fn response_header<T: schemars::JsonSchema>(
        mut self,
        route: &str,
        status: impl Into<Status>,
        name: &str,
        description: &str,
    ) -> OpenApi {
        let (method, path) = split_route(route);
        self.runtime_headers.push(RuntimeHeader {
            method,
            path,
            status: status.into(),
            name: name.to_owned(),
            description: description.to_owned(),
            schema: |generator| generator.subschema_for::<T>(),
        });
        self
    }
}

/// Which of an operation's responses [`OpenApi::response_header`] means.
///
/// ```
/// use jero::openapi::Status;
/// assert_eq!(Status::from(503), Status::Code(503));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// The response with this status code.
    Code(u16),
    /// The `default` response: what a [`Problem`](crate::Problem) error
    /// or an exception handler without a declared status answers, its
    /// status known only at run time.
    Default,
}

impl From<u16> for Status {
    fn from(code: u16) -> Status {
        Status::Code(code)
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Status::Code(code) => write!(f, "{code}"),
            Status::Default => f.write_str("default"),
        }
    }
}

/// `METHOD /template` as `(lowercase method, template)`.
fn split_route(route: &str) -> (String, String) {
    let (method, path) = route.trim().split_once(' ').unwrap_or(("", route));
    (method.to_ascii_lowercase(), path.trim().to_owned())
}

/// The responses of the operation at `method` and `path`, for `what`
/// (the `OpenApi` method naming it) to change.
fn responses_of<'a>(
    paths: &'a mut Map<String, Value>,
    method: &str,
    path: &str,
    what: &str,
) -> Result<&'a mut Map<String, Value>, String> {
    paths
        .get_mut(path)
        .and_then(|item| item.get_mut(method))
        .and_then(|op| op.get_mut("responses"))
        .and_then(Value::as_object_mut)
        .ok_or_else(|| {
            format!(
                "OpenApi::{what} names {}, which the app does not route; write it as \
                 `METHOD /template`, as the route was included (e.g. `GET /notes/{{note_id}}`)",
                route_name(method, path)
            )
        })
}

/// `GET /template`, as the user wrote the route.
fn route_name(method: &str, path: &str) -> String {
    format!("{} {path}", method.to_ascii_uppercase())
}

/// Gives the binary or streamed successes of `p`'s operation in `paths`
/// its media type.
fn add_produces(paths: &mut Map<String, Value>, p: &Produces) -> Result<(), String> {
    let responses = responses_of(paths, &p.method, &p.path, "produces")?;
    let mut found = false;
    for (status, response) in responses.iter_mut() {
        if !status.starts_with('2') {
            continue;
        }
        let Some(content) = response.get_mut("content").and_then(Value::as_object_mut) else {
            continue;
        };
        if let Some(schema) = content.remove("application/octet-stream") {
            content.insert(p.media_type.to_owned(), schema);
            found = true;
        }
    }
    if found {
        return Ok(());
    }
    Err(format!(
        "OpenApi::produces names {}, which has no binary or streamed success left to give the \
         media type {}: only a BytesResponse or StreamingResponse success takes one, from \
         the first produces that names the route; remove this produces",
        route_name(&p.method, &p.path),
        p.media_type
    ))
}

/// Adds the header `h` to its response in `paths`.
fn add_runtime_header(
    paths: &mut Map<String, Value>,
    h: &RuntimeHeader,
    generator: &mut SchemaGenerator,
) -> Result<(), String> {
    let route = route_name(&h.method, &h.path);
    let refuse = |why: String| format!("OpenApi::response_header for {route} {}: {why}", h.status);
    if !jero_engine::is_token(h.name.as_bytes()) {
        return Err(refuse(format!(
            "{:?} is not a header name (letters, digits and !#$%&'*+-.^_`|~ only)",
            h.name
        )));
    }
    if h.name.eq_ignore_ascii_case("content-type") || h.name.eq_ignore_ascii_case("content-length") {
        return Err(refuse(format!(
            "{} is the framework's to send and to document; remove this response_header",
            h.name
        )));
    }
    let responses = responses_of(paths, &h.method, &h.path, "response_header")?;
    let Some(response) = responses.get_mut(&h.status.to_string()) else {
        let mut answered: Vec<&str> = responses.keys().map(String::as_str).collect();
        answered.sort_unstable();
        return Err(refuse(format!(
            "the operation does not answer {}; it answers {}",
            h.status,
            answered.join(", ")
        )));
    };
    let headers = response
        .as_object_mut()
        .expect("a response object")
        .entry("headers")
        .or_insert_with(|| json!({}))
        .as_object_mut()
        .expect("a headers object");
    if headers.keys().any(|k| k.eq_ignore_ascii_case(&h.name)) {
        return Err(refuse(format!(
            "{} is already documented (a typed header of the response, or an earlier response_header); \
             remove this response_header",
            h.name
        )));
    }
    headers.insert(
        h.name.clone(),
        json!({
            "description": h.description,
            "required": true,
            "schema": (h.schema)(generator),
        }),
    );
    Ok(())
}

/// An authenticator's credentials, for its security scheme (used by the
/// `#[jero::authenticator]` expansion).
#[doc(hidden)]
#[derive(Debug, Clone)]
pub enum Credential {
    /// A request header (lowercase name).
    Header(String),
    /// A cookie.
    Cookie(String),
}

/// What an operation's documentation needs of the gate in front of it.
pub(crate) struct Security {
    /// The scheme names (one per credential) and their definitions.
    pub(crate) schemes: Vec<(String, Value)>,
    /// Whether anonymous callers are admitted.
    pub(crate) optional: bool,
    /// The `WWW-Authenticate` challenge its 401s carry (`Bearer`).
    pub(crate) challenge: Option<&'static str>,
}

/// The security schemes of an authenticator named `name` reading these
/// credentials: `http` bearer for an `Authorization` header when `bearer`
/// says so, else API keys by where they travel.
#[doc(hidden)]
pub fn security_schemes(name: &str, bearer: bool, credentials: &[Credential]) -> Vec<(String, Value)> {
    let many = credentials.len() > 1;
    credentials
        .iter()
        .map(|c| {
            let (key, scheme) = match c {
                Credential::Header(h) if bearer && h == "authorization" => {
                    (h, json!({"type": "http", "scheme": "bearer"}))
                }
                Credential::Header(h) => (h, json!({"type": "apiKey", "in": "header", "name": h})),
                Credential::Cookie(k) => (k, json!({"type": "apiKey", "in": "cookie", "name": k})),
            };
            let scheme_name = if many {
                format!("{name}.{key}")
            } else {
                name.to_owned()
            };
            (scheme_name, scheme)
        })
        .collect()
}

/// The credential names a `headers` or `cookies` contract declares.
#[doc(hidden)]
pub fn credentials_of(info: &crate::ContractInfo, header: bool) -> Vec<Credential> {
    info.fields
        .iter()
        .map(|f| {
            if header {
                Credential::Header(crate::headers::kebab(f))
            } else {
                Credential::Cookie(f.clone())
            }
        })
        .collect()
}

/// One operation, documented at wiring; its responses are written when
/// the document is (every exception handler known by then).
pub(crate) struct OpDoc {
    pub(crate) path: String,
    pub(crate) method: &'static str,
    /// The operation, with `responses` still to fill in.
    pub(crate) operation: Value,
    pub(crate) schemes: Vec<(String, Value)>,
    /// The responses of the handler's return type.
    responses: Vec<ResponseSpec>,
    /// The statuses of the framework's own problems for this operation.
    framework: Vec<u16>,
    /// The status of a response that does not choose one.
    default_status: u16,
    /// The `WWW-Authenticate` challenge of the gate's 401s, if any.
    challenge: Option<&'static str>,
}

/// The app's exception handlers, for the document.
#[derive(Default)]
pub(crate) struct HandledErrors {
    /// By error type name, in the order they were registered: what the
    /// handler answers, when its status was declared
    /// ([`Wiring::on_error_as`](crate::Wiring::on_error_as)).
    handlers: Vec<(&'static str, Option<Vec<ResponseSpec>>)>,
}

impl HandledErrors {
    pub(crate) fn insert(&mut self, error: &'static str, declared: Option<Vec<ResponseSpec>>) {
        self.handlers.push((error, declared));
    }

    fn get(&self, error: &str) -> Option<&Option<Vec<ResponseSpec>>> {
        self.handlers
            .iter()
            .find(|(name, _)| *name == error)
            .map(|(_, declared)| declared)
    }

    /// The handler that answers instead of `spec`, if one does: the
    /// outermost enclosing enum's, else the error type's own (a
    /// `#[jero::error]` type's problem). `Some(None)`: a handler whose
    /// status was not declared.
    fn instead_of(&self, spec: &ResponseSpec) -> Option<&Option<Vec<ResponseSpec>>> {
        typed_errors(spec).find_map(|name| self.get(name))
    }

    /// What a `jero::Error` may be answered with: the declared responses of
    /// the handlers for types that no operation returns as a typed error
    /// (those, error enums and `#[jero::error]` types, are not boxed).
    fn boxed(&self, ops: &[OpDoc]) -> Vec<ResponseSpec> {
        let typed: std::collections::HashSet<&str> = ops
            .iter()
            .flat_map(|op| op.responses.iter().flat_map(typed_errors))
            .collect();
        self.handlers
            .iter()
            .filter(|(name, _)| !typed.contains(name))
            .filter_map(|(_, declared)| declared.as_ref())
            .flatten()
            .cloned()
            .collect()
    }
}

/// The typed errors a response belongs to, outermost first: the error enums
/// enclosing it, then its own type when it is a `#[jero::error]` type's
/// problem (a fixed status).
fn typed_errors(spec: &ResponseSpec) -> impl Iterator<Item = &'static str> + '_ {
    let own = (spec.status.is_some()
        && matches!(
            spec.content,
            ContentSpec::Problem | ContentSpec::ProblemWithParams(_)
        ))
    .then_some(spec.type_name);
    spec.enclosing.iter().copied().chain(own)
}

/// Everything [`operation`] reads.
pub(crate) struct OpFacts<'a> {
    pub(crate) kind: OpKind,
    pub(crate) owner: &'a str,
    pub(crate) path: String,
    pub(crate) args: &'a ArgSpec,
    pub(crate) responses: Vec<ResponseSpec>,
    pub(crate) doc: &'static str,
    pub(crate) tag: Option<&'static str>,
    pub(crate) security: Option<Security>,
}

/// Documents one operation.
pub(crate) fn operation(generator: &mut SchemaGenerator, f: OpFacts<'_>) -> OpDoc {
    let mut op = Map::new();
    op.insert("operationId".into(), f.owner.replace("::", "_").into());
    let (summary, description) = split_doc(f.doc);
    if let Some(s) = summary {
        op.insert("summary".into(), s.into());
    }
    if let Some(d) = description {
        op.insert("description".into(), d.into());
    }
    if let Some(t) = f.tag {
        op.insert("tags".into(), json!([t]));
    }

    let mut parameters = Vec::new();
    for (arg, place) in [
        (f.args.path, "path"),
        (f.args.params, "query"),
        (f.args.headers, "header"),
        (f.args.cookies, "cookie"),
    ] {
        let Some(info) = arg else { continue };
        let info = info(generator);
        for (field, required, schema) in fields(&info.schema, generator) {
            let name = if place == "header" {
                crate::headers::kebab(&field)
            } else {
                field
            };
            parameters.push(json!({
                "name": name,
                "in": place,
                "required": place == "path" || required,
                "schema": schema,
            }));
        }
    }
    if !parameters.is_empty() {
        op.insert("parameters".into(), parameters.into());
    }

    let body = if let Some(info) = f.args.json {
        Some(("application/json", json!({"schema": info(generator).schema})))
    } else if let Some(info) = f.args.form {
        let info = info(generator);
        let encoding = part_encoding(&info.schema, generator);
        let schema = lists_optional(info.schema, generator);
        let mut media = json!({ "schema": schema });
        if !encoding.is_empty() {
            media["encoding"] = Value::Object(encoding);
        }
        Some(("multipart/form-data", media))
    } else {
        f.args.content.map(|_| {
            (
                "application/octet-stream",
                json!({"schema": {"type": "string", "format": "binary"}}),
            )
        })
    };
    if let Some((media_type, media)) = body {
        op.insert(
            "requestBody".into(),
            json!({"required": true, "content": {media_type: media}}),
        );
    }

    // Responses: written with the document (see `responses`); the key
    // keeps its place.
    op.insert("responses".into(), Value::Null);
    let mut framework = Vec::new();
    if f.args.path.is_some() {
        framework.push(404);
    }
    if f.args.params.is_some()
        || f.args.headers.is_some()
        || f.args.cookies.is_some()
        || f.args.json.is_some()
    {
        framework.push(400);
    }
    if f.args.json.is_some() || f.args.form.is_some() {
        framework.push(422);
    }
    if f.args.form.is_some() {
        framework.extend([400, 415]);
    }
    if f.args.json.is_some() || f.args.form.is_some() || f.args.content.is_some() {
        // A body over the engine's limit.
        framework.push(413);
    }
    if f.security.is_some() {
        framework.push(401);
    }
    framework.push(500);

    let mut schemes = Vec::new();
    let challenge = f.security.as_ref().and_then(|s| s.challenge);
    if let Some(sec) = f.security {
        let mut reqs: Vec<Value> = Vec::new();
        if sec.optional {
            reqs.push(json!({}));
        }
        for (name, _) in &sec.schemes {
            reqs.push(json!({ name.as_str(): [] }));
        }
        op.insert("security".into(), reqs.into());
        schemes = sec.schemes;
    }
    OpDoc {
        path: f.path,
        method: match f.kind.method().as_str() {
            Some(m) => lower(m),
            None => "get",
        },
        operation: Value::Object(op),
        schemes,
        responses: f.responses,
        framework,
        default_status: f.kind.default_status(),
        challenge,
    }
}

/// The definition `schema` refers to (or `schema` itself), as the
/// document will have it: a copy taken now, before the generator's
/// transforms ([`doc_transforms`]) run on the definitions, with them
/// applied.
fn resolve_doc(schema: &schemars::Schema, generator: &SchemaGenerator) -> schemars::Schema {
    let mut resolved = resolve(schema, generator);
    for mut t in doc_transforms() {
        t.transform(&mut resolved);
    }
    resolved
}

/// What the document's schemas go through: the generator's transforms,
/// also applied to the copies [`resolve_doc`] inlines.
fn doc_transforms() -> [Box<dyn schemars::generate::GenTransform>; 2] {
    [Box::new(DropImpossibleNullDefaults), Box::new(DropPartHeaders)]
}

/// The fields of a contract whose values are header, query, path or
/// cookie text (a struct's properties), in order: each wire name, whether
/// it is required (no default, not optional, not a list that may be
/// empty: [`optional_lists`]) and its schema, as the document has it,
/// without `null` ([`without_null`]).
pub(crate) fn fields(contract: &schemars::Schema, generator: &SchemaGenerator) -> Vec<(String, bool, Value)> {
    let mut resolved = resolve_doc(contract, generator);
    optional_lists(&mut resolved);
    let required: Vec<&str> = resolved
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let Some(props) = resolved.get("properties").and_then(Value::as_object) else {
        return Vec::new();
    };
    props
        .iter()
        .map(|(field, schema)| {
            let required = required.contains(&field.as_str());
            (field.clone(), required, without_null(schema.clone()))
        })
        .collect()
}

/// A text value's schema without the `null` an `Option` adds to it:
/// text (a header, a query or path parameter, a cookie) is never null,
/// an absent value is no value (`required: false` says so). `type:
/// ["string", "null"]` becomes `type: "string"`, and `anyOf: [X, {type:
/// null}]` becomes `X` (with the schema's own keywords, a description
/// say, kept beside it).
fn without_null(mut schema: Value) -> Value {
    let Some(obj) = schema.as_object_mut() else {
        return schema;
    };
    if let Some(Value::Array(types)) = obj.get_mut("type") {
        types.retain(|t| t != "null");
        if let [only] = types.as_slice() {
            let only = only.clone();
            obj.insert("type".into(), only);
        }
    }
    for key in ["anyOf", "oneOf"] {
        let Some(Value::Array(options)) = obj.get_mut(key) else {
            continue;
        };
        options.retain(|o| o.get("type") != Some(&Value::from("null")));
        if let [only] = options.as_slice() {
            let only = only.clone();
            obj.remove(key);
            match only {
                // `$ref` with siblings is allowed in OpenAPI 3.1; the
                // field's own keywords (its description) win.
                Value::Object(o) => {
                    for (k, v) in o {
                        obj.entry(k).or_insert(v);
                    }
                }
                other => return other,
            }
        }
    }
    // An inlined enum (or a `const`) of an `Option` lists null among its
    // values.
    if let Some(Value::Array(values)) = obj.get_mut("enum") {
        values.retain(|v| !v.is_null());
    }
    if obj.get("default") == Some(&Value::Null) {
        obj.remove("default");
    }
    schema
}

/// A form's schema with its lists of parts not required
/// ([`optional_lists`]): a copy of the definition, inline, when it lists
/// one as required; else `form` itself.
fn lists_optional(form: schemars::Schema, generator: &SchemaGenerator) -> schemars::Schema {
    let mut resolved = resolve_doc(&form, generator);
    match optional_lists(&mut resolved) {
        true => resolved,
        false => form,
    }
}

/// Takes the lists out of a resolved contract's `required`, unless they
/// have a minimum length (`length(min = 1)`, refused when none is sent):
/// a list binds zero parts of a form, or zero entries of a query, headers
/// or cookies, when none is sent (where a JSON body's list is required
/// unless it has a default). Whether one was taken out.
fn optional_lists(resolved: &mut schemars::Schema) -> bool {
    let is_list = |name: &str| {
        let schema = resolved.get("properties").and_then(|p| p.get(name));
        let at_least = schema.and_then(|s| s.get("minItems")).and_then(Value::as_u64);
        schema.and_then(|s| s.get("type")) == Some(&json!("array")) && at_least.unwrap_or(0) == 0
    };
    let Some(required) = resolved.get("required").and_then(Value::as_array) else {
        return false;
    };
    let kept: Vec<Value> = required
        .iter()
        .filter(|r| !r.as_str().is_some_and(is_list))
        .cloned()
        .collect();
    if kept.len() == required.len() {
        return false;
    }
    if kept.is_empty() {
        resolved.remove("required");
    } else {
        resolved.insert("required".into(), kept.into());
    }
    true
}

/// The key under which a [`FormPart`](crate::FormPart)'s schema carries the
/// schema of its typed headers, for [`part_encoding`]; taken out of every
/// schema of the document ([`DropPartHeaders`]).
pub(crate) const PART_HEADERS: &str = "x-jero-part-headers";

/// The `encoding` of a form body: for each part of the form whose
/// `FormPart` has typed headers (alone, in a list or optional), those
/// headers, named as binding reads them (`x_checksum`: `x-checksum`),
/// required as binding requires them (no default, not optional). Not its
/// `Content-Type`, which OpenAPI describes apart and ignores there.
fn part_encoding(form: &schemars::Schema, generator: &SchemaGenerator) -> Map<String, Value> {
    let mut encoding = Map::new();
    let resolved = resolve(form, generator);
    let Some(props) = resolved.get("properties").and_then(Value::as_object) else {
        return encoding;
    };
    for (part, schema) in props {
        let contract = part_headers(schema).cloned().map(schemars::Schema::try_from);
        let Some(Ok(contract)) = contract else { continue };
        let headers: Map<String, Value> = crate::response::headers_of(&contract, generator)
            .into_iter()
            .filter(|h| h.name != "content-type")
            .map(|h| (h.name, json!({"required": h.required, "schema": h.schema})))
            .collect();
        if !headers.is_empty() {
            encoding.insert(part.clone(), json!({ "headers": headers }));
        }
    }
    encoding
}

/// The schema of the typed headers a part's schema carries: its own, its
/// items' (a list of parts) or a member's of its `anyOf` (an optional part).
fn part_headers(schema: &Value) -> Option<&Value> {
    schema
        .get(PART_HEADERS)
        .or_else(|| schema.get("items").and_then(part_headers))
        .or_else(|| {
            let members = schema.get("anyOf").and_then(Value::as_array)?;
            members.iter().find_map(part_headers)
        })
}

fn lower(method: &str) -> &'static str {
    match method {
        "POST" => "post",
        "PUT" => "put",
        "PATCH" => "patch",
        "DELETE" => "delete",
        _ => "get",
    }
}

/// A doc comment's first paragraph as the summary (one line), the rest as
/// the description.
fn split_doc(doc: &str) -> (Option<String>, Option<String>) {
    let doc = doc.trim();
    if doc.is_empty() {
        return (None, None);
    }
    let (first, rest) = doc.split_once("\n\n").unwrap_or((doc, ""));
    let summary = first.split_whitespace().collect::<Vec<_>>().join(" ");
    let rest = rest.trim();
    (Some(summary), (!rest.is_empty()).then(|| rest.to_owned()))
}

/// Adds a spec's response under `status`, with its typed headers. When
/// another response already has that status, a header is required only if
/// both always carry it.
fn add_spec(responses: &mut Map<String, Value>, status: &str, spec: &ResponseSpec) {
    let shared = responses.contains_key(status);
    add_response(responses, status, &spec.content);
    let Some(entry) = responses.get_mut(status).and_then(Value::as_object_mut) else {
        return;
    };
    if spec.headers.is_empty() && !entry.contains_key("headers") {
        return;
    }
    let headers = entry.entry("headers").or_insert_with(|| json!({}));
    let Some(headers) = headers.as_object_mut() else {
        return;
    };
    for (name, header) in headers.iter_mut() {
        let carried = spec.headers.iter().find(|h| h.name == *name);
        if !carried.is_some_and(|h| h.required) {
            header["required"] = false.into();
        }
    }
    for h in &spec.headers {
        headers
            .entry(h.name.clone())
            .or_insert_with(|| json!({"required": h.required && !shared, "schema": h.schema}));
    }
}

/// Adds (or extends) the response for `status` (a code, or `default`).
fn add_response(responses: &mut Map<String, Value>, status: &str, content: &ContentSpec) {
    let entry = responses.entry(status).or_insert_with(|| {
        let description = match status.parse::<u16>() {
            Ok(code) => match jero_engine::reason_phrase(code) {
                "" => format!("Status {code}"),
                reason => reason.to_owned(),
            },
            Err(_) => "Any other error".to_owned(),
        };
        json!({ "description": description })
    });
    let media = match content {
        ContentSpec::Json(schema) => Some((crate::APPLICATION_JSON, schema.as_value().clone())),
        ContentSpec::Text => Some(("text/plain", json!({"type": "string"}))),
        ContentSpec::Bytes => Some((
            "application/octet-stream",
            json!({"type": "string", "format": "binary"}),
        )),
        ContentSpec::Empty => None,
        ContentSpec::ProblemWithParams(params) => Some((
            crate::PROBLEM_JSON,
            json!({"allOf": [
                {"$ref": "#/components/schemas/Problem"},
                {"properties": {"params": params.as_value().clone()}},
            ]}),
        )),
        ContentSpec::Problem => Some((
            crate::PROBLEM_JSON,
            json!({"$ref": "#/components/schemas/Problem"}),
        )),
        ContentSpec::Stream { media_type, items } => Some((
            *media_type,
            match items {
                // OpenAPI 3.1 has no stream type: the item's schema, with
                // a note saying it repeats.
                Some(schema) => json!({
                    "description": "A stream: one item of this schema per line (or per event).",
                    "allOf": [schema.as_value().clone()],
                }),
                None => json!({"type": "string", "format": "binary"}),
            },
        )),
    };
    if let Some((media, schema)) = media {
        let obj = entry.as_object_mut().expect("a response object");
        let content = obj.entry("content").or_insert_with(|| json!({}));
        if let Some(c) = content.as_object_mut() {
            match c.get_mut(media).and_then(|m| m.get_mut("schema")) {
                None => {
                    c.insert(media.to_owned(), json!({"schema": schema}));
                }
                // Two outcomes with one status and media type: either body.
                Some(existing) => any_of(existing, schema),
            }
        }
    }
}

/// Makes `existing` also admit `schema`: `anyOf` both, once each (not
/// `oneOf`: a body may match both, as any problem matches the plain
/// `Problem` schema).
fn any_of(existing: &mut Value, schema: Value) {
    if *existing == schema {
        return;
    }
    let ours = existing
        .as_object()
        .is_some_and(|o| o.len() == 1 && o.contains_key("anyOf"));
    if ours {
        if let Some(list) = existing.get_mut("anyOf").and_then(Value::as_array_mut) {
            if !list.contains(&schema) {
                list.push(schema);
            }
            return;
        }
    }
    let first = std::mem::take(existing);
    *existing = json!({ "anyOf": [first, schema] });
}

/// An operation's responses: the handler's (an error an exception
/// handler answers for replaced by that handler's declared responses; a
/// `jero::Error` adding every declared one), then the framework's.
fn responses(op: &OpDoc, handled: &HandledErrors, boxed: &[ResponseSpec]) -> Value {
    let mut responses = Map::new();
    let mut add = |spec: &ResponseSpec| match (spec.status, &spec.content) {
        (Some(status), _) => add_spec(&mut responses, &status.to_string(), spec),
        // A `Problem` value carries its status at run time: any error.
        (None, ContentSpec::Problem) => add_spec(&mut responses, "default", spec),
        (None, _) => add_spec(&mut responses, &op.default_status.to_string(), spec),
    };
    for spec in &op.responses {
        match handled.instead_of(spec) {
            Some(Some(declared)) => declared.iter().for_each(&mut add),
            // A handler without a declared status: what it answers is
            // known at run time only.
            Some(None) => add(spec),
            None => {
                add(spec);
                if spec.type_name == crate::error::BOXED_ERROR {
                    boxed.iter().for_each(&mut add);
                }
            }
        }
    }
    for status in &op.framework {
        let problem = ResponseSpec::new(Some(*status), ContentSpec::Problem, "the framework");
        add_spec(&mut responses, &status.to_string(), &problem);
    }
    if let (Some(challenge), Some(unauthorized)) = (op.challenge, responses.get_mut("401")) {
        // Not required: a handler's own 401 behind the gate is the
        // handler's to challenge.
        unauthorized["headers"]["www-authenticate"] = json!({
            "description": format!("The challenge of the authenticator's refusals: `{challenge}`."),
            "required": false,
            "schema": {"type": "string", "example": challenge},
        });
    }
    let mut sorted: Vec<(String, Value)> = responses.into_iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    Value::Object(sorted.into_iter().collect())
}

/// The whole document.
pub(crate) fn document(
    info: &OpenApi,
    ops: Vec<OpDoc>,
    handled: &HandledErrors,
    generator: &mut SchemaGenerator,
) -> Result<Value, String> {
    let mut paths: Map<String, Value> = Map::new();
    let mut schemes: Map<String, Value> = Map::new();
    let boxed = handled.boxed(&ops);
    for mut op in ops {
        op.operation["responses"] = responses(&op, handled, &boxed);
        let item = paths.entry(op.path).or_insert_with(|| json!({}));
        if let Some(item) = item.as_object_mut() {
            item.insert(op.method.into(), op.operation);
        }
        for (name, scheme) in op.schemes {
            schemes.entry(name).or_insert(scheme);
        }
    }
    for p in &info.produces {
        add_produces(&mut paths, p)?;
    }
    for h in &info.runtime_headers {
        add_runtime_header(&mut paths, h, generator)?;
    }
    let mut schemas = generator.take_definitions(true);
    schemas.insert("Problem".into(), problem_schema());
    keep_referenced(&mut schemas, &paths);
    let mut info_obj = json!({"title": info.title, "version": info.version});
    if let Some(d) = &info.description {
        info_obj["description"] = d.clone().into();
    }
    let mut components = json!({"schemas": schemas});
    if !schemes.is_empty() {
        components["securitySchemes"] = Value::Object(schemes);
    }
    Ok(json!({
        "openapi": "3.1.0",
        "info": info_obj,
        "paths": paths,
        "components": components,
    }))
}

/// Leaves in `schemas` only the definitions the operations reach, directly
/// or through other definitions: the contracts of parameters and part
/// headers are inlined where they are used, and their definitions would
/// be components nothing refers to.
fn keep_referenced(schemas: &mut Map<String, Value>, paths: &Map<String, Value>) {
    const PREFIX: &str = "#/components/schemas/";
    fn refs<'v>(v: &'v Value, out: &mut Vec<&'v str>) {
        match v {
            Value::Object(o) => {
                if let Some(r) = o.get("$ref").and_then(Value::as_str) {
                    out.extend(r.strip_prefix(PREFIX));
                }
                o.values().for_each(|v| refs(v, out));
            }
            Value::Array(a) => a.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }
    let mut reached = std::collections::BTreeSet::new();
    let mut pending = Vec::new();
    paths.values().for_each(|p| refs(p, &mut pending));
    let mut pending: Vec<String> = pending.into_iter().map(str::to_owned).collect();
    while let Some(name) = pending.pop() {
        if !reached.insert(name.clone()) {
            continue;
        }
        if let Some(schema) = schemas.get(&name) {
            let mut more = Vec::new();
            refs(schema, &mut more);
            pending.extend(more.into_iter().map(str::to_owned));
        }
    }
    schemas.retain(|name, _| reached.contains(name));
}

/// RFC 9457 Problem Details, as every error is sent.
fn problem_schema() -> Value {
    json!({
        "type": "object",
        "description": "RFC 9457 Problem Details",
        "properties": {
            "type": {"type": "string", "description": "A stable machine code"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
            "params": {"type": "object"}
        },
        "required": ["type", "title", "status"]
    })
}

/// The generator every schema of a wired app comes from: definitions
/// under `#/components/schemas`, as the document needs them.
pub(crate) fn generator() -> SchemaGenerator {
    schemars::generate::SchemaSettings::draft2020_12()
        .with(|s| {
            s.definitions_path = "/components/schemas".into();
            s.transforms.extend(doc_transforms());
        })
        .into_generator()
}

/// Removes a `"default": null` that the schema it sits in refuses (a
/// `type` without `null`, or a lone `$ref`): schemars writes one for a
/// `#[serde(default)]` `Option` field whose schema is given as its inner
/// type (`#[schemars(with = "String")]`, a field that may be left out but
/// is not nullable), and validators of the document reject it
/// (`openapi-spec-validator`: "None is not of type 'string'"). Such a
/// field is already documented as optional by not being required.
#[derive(Clone, Copy, Debug)]
struct DropImpossibleNullDefaults;

impl schemars::transform::Transform for DropImpossibleNullDefaults {
    fn transform(&mut self, schema: &mut schemars::Schema) {
        if let Some(obj) = schema.as_object_mut() {
            let refused = match obj.get("type") {
                Some(Value::String(t)) => t != "null",
                Some(Value::Array(types)) => !types.iter().any(|t| t == "null"),
                Some(_) => false,
                None => {
                    obj.contains_key("$ref")
                        && !["anyOf", "oneOf", "allOf"].iter().any(|k| obj.contains_key(*k))
                }
            };
            if refused && obj.get("default") == Some(&Value::Null) {
                obj.remove("default");
            }
        }
        schemars::transform::transform_subschemas(self, schema);
    }
}

/// Removes the typed headers a [`FormPart`](crate::FormPart)'s schema
/// carries ([`PART_HEADERS`]): by the time the definitions are written,
/// they are in the `encoding` of the forms that have them.
#[derive(Clone, Copy, Debug)]
struct DropPartHeaders;

impl schemars::transform::Transform for DropPartHeaders {
    fn transform(&mut self, schema: &mut schemars::Schema) {
        schema.remove(PART_HEADERS);
        schemars::transform::transform_subschemas(self, schema);
    }
}

/// `/docs`: a page that renders `/openapi.json` (no external assets).
const DOCS_PAGE: &str = include_str!("openapi_docs.html");

const JSON_CONTENT: StaticHeader = StaticHeader::new("content-type", crate::APPLICATION_JSON);
const HTML_CONTENT: StaticHeader = StaticHeader::new("content-type", "text/html; charset=utf-8");

/// `/openapi.json` and `/docs`, each answering GET (and HEAD) with a body
/// built once.
pub(crate) fn pages(doc: &Value) -> [(&'static str, Box<dyn ErasedHandler>); 2] {
    let json = serde_json::to_vec(doc).expect("a JSON value serializes");
    [
        (
            "/openapi.json",
            Box::new(Page {
                body: Bytes::from(json),
                content_type: &JSON_CONTENT,
            }),
        ),
        (
            "/docs",
            Box::new(Page {
                body: Bytes::from_static(DOCS_PAGE.as_bytes()),
                content_type: &HTML_CONTENT,
            }),
        ),
    ]
}

/// A fixed page.
struct Page {
    body: Bytes,
    content_type: &'static StaticHeader,
}

impl ErasedHandler for Page {
    fn call<'a>(&'a self, _cx: &'a RequestCx<'a>) -> BoxFuture<'a> {
        let mut res = Response::new(200);
        res.append_static(self.content_type);
        res.set_body(self.body.clone());
        Box::pin(std::future::ready(res))
    }
}
