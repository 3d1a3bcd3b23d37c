//! `form` binding through the TestClient: parts into scalars, JSON structs,
//! bytes, file parts, `FormPart`s, lists and options; 415, 400 and 422.

use jero::{contract, endpoint, App, BoxError, Bytes, FilePart, FormPart, Wiring};
use jero_testing::{json, Multipart, TestClient};
use serde_json::Value;

#[contract(input)]
struct Config {
    dpi: u32,
}

#[contract(input)]
#[serde(rename_all = "kebab-case")]
enum JobType {
    ExportText,
    ExportImages,
}

#[contract(input)]
#[serde(rename_all = "camelCase")]
struct JobForm {
    job_type: JobType,
    count: i64,
    config: Config,
    document: FilePart,
    attachments: Vec<FilePart>,
    note: Option<String>,
    raw: Option<Bytes>,
    labeled: Option<FormPart<String>>,
}

#[contract]
#[serde(rename_all = "camelCase")]
struct JobOut {
    job_type: String,
    count: i64,
    dpi: u32,
    filename: String,
    size: usize,
    content_type: Option<String>,
    attachments: Vec<String>,
    note: Option<String>,
    raw: Option<usize>,
    label: Option<String>,
    label_header: Option<String>,
}

struct Jobs;

#[endpoint(path = "/jobs")]
impl Jobs {
    async fn post(&self, form: JobForm) -> JobOut {
        JobOut {
            job_type: match form.job_type {
                JobType::ExportText => "export-text".into(),
                JobType::ExportImages => "export-images".into(),
            },
            count: form.count,
            dpi: form.config.dpi,
            filename: form.document.filename,
            size: form.document.bytes.len(),
            content_type: form.document.content_type,
            attachments: form.attachments.into_iter().map(|a| a.filename).collect(),
            note: form.note,
            raw: form.raw.map(|r| r.len()),
            label_header: form
                .labeled
                .as_ref()
                .and_then(|l| l.header("x-label").map(str::to_owned)),
            label: form.labeled.map(|l| l.value),
        }
    }
}

struct FormApp;

impl App for FormApp {
    async fn wire(&self, wiring: &mut Wiring) -> Result<(), BoxError> {
        wiring.include_endpoint(Jobs);
        Ok(())
    }
}

fn base() -> Multipart {
    Multipart::new()
        .text("jobType", "export-text")
        .text("count", "3")
        .json("config", &json!({"dpi": 300}))
        .file("document", "report.pdf", "application/pdf", b"%PDF-1.7 ....")
}

#[track_caller]
fn problem(res: &jero_testing::TestResponse, status: u16, kind: &str) -> Value {
    assert_eq!(res.status(), status, "{}", res.text());
    let body = res.json::<Value>();
    assert_eq!(body["type"], kind, "{body}");
    body
}

#[test]
fn every_kind_of_part_binds() {
    let c = TestClient::new(FormApp);
    let form = base()
        .file("attachments", "a.png", "image/png", [1u8, 2, 3])
        .file("attachments", "b.png", "image/png", [4u8])
        .text("note", "rush")
        .part(
            "raw",
            None,
            Some("application/octet-stream"),
            &[],
            &[0u8, 159, 146, 150],
        )
        .part(
            "labeled",
            None,
            Some("text/plain; charset=utf-8"),
            &[("X-Label", "L1")],
            b"hello",
        )
        .text("ignored", "parts the struct does not declare are ignored");
    let res = c.post("/jobs").multipart(form).send();
    assert_eq!(res.status(), 200, "{}", res.text());
    assert_eq!(
        res.json::<Value>(),
        json!({
            "jobType": "export-text", "count": 3, "dpi": 300, "filename": "report.pdf", "size": 13,
            "contentType": "application/pdf", "attachments": ["a.png", "b.png"], "note": "rush",
            "raw": 4, "label": "hello", "labelHeader": "L1"
        })
    );
}

#[test]
fn optional_and_repeated_parts_may_be_absent() {
    let c = TestClient::new(FormApp);
    let res = c.post("/jobs").multipart(base()).send();
    let body = res.json::<Value>();
    assert_eq!(body["attachments"], json!([]));
    assert_eq!(body["note"], Value::Null);
    assert_eq!(body["raw"], Value::Null);
}

#[test]
fn a_file_without_content_type_has_none() {
    let c = TestClient::new(FormApp);
    let form = Multipart::new()
        .text("jobType", "export-images")
        .text("count", "1")
        .json("config", &json!({"dpi": 72}))
        .part("document", Some("notes.txt"), None, &[], b"plain");
    let body = c.post("/jobs").multipart(form).send().json::<Value>();
    assert_eq!(body["contentType"], Value::Null);
    assert_eq!(body["jobType"], "export-images");
}

#[test]
fn a_body_that_is_not_multipart_is_415() {
    let c = TestClient::new(FormApp);
    for ct in [
        Some("application/x-www-form-urlencoded"),
        Some("application/json"),
        Some("text/plain"),
        None,
    ] {
        let mut req = c.post("/jobs").body("jobType=export-text");
        if let Some(ct) = ct {
            req = req.header("content-type", ct);
        }
        let p = problem(&req.send(), 415, "unsupported-media-type");
        // Worded by the framework: the reason in `detail` and in `params`.
        assert_eq!(p["detail"], "expected a multipart/form-data body");
        assert_eq!(p["params"]["reason"], p["detail"]);
    }
}

#[test]
fn malformed_multipart_is_400() {
    let c = TestClient::new(FormApp);
    // One part, and no closing delimiter.
    let full = format!(
        "--{b}\r\ncontent-disposition: form-data; name=\"count\"\r\n\r\n3\r\n",
        b = Multipart::BOUNDARY
    )
    .into_bytes();
    let cases: Vec<(String, Vec<u8>)> = vec![
        // No boundary parameter.
        ("multipart/form-data".into(), full.clone()),
        // A boundary the body never uses.
        ("multipart/form-data; boundary=other".into(), full.clone()),
        // No closing delimiter.
        (
            format!("multipart/form-data; boundary={}", Multipart::BOUNDARY),
            full,
        ),
    ];
    for (ct, body) in cases {
        let res = c.post("/jobs").header("content-type", &ct).body(body).send();
        let p = problem(&res, 400, "malformed-request");
        assert_eq!(p["detail"], p["params"]["reason"], "{ct}");
    }
}

/// A form whose parts are delimited by `boundary`: `count` only.
fn delimited(boundary: &str) -> Vec<u8> {
    format!("--{boundary}\r\ncontent-disposition: form-data; name=\"count\"\r\n\r\n3\r\n--{boundary}--\r\n")
        .into_bytes()
}

#[test]
fn a_boundary_is_1_to_70_of_rfc_2046s_characters() {
    let c = TestClient::new(FormApp);
    let send = |boundary: &str| {
        c.post("/jobs")
            .header(
                "content-type",
                &format!("multipart/form-data; boundary=\"{boundary}\""),
            )
            .body(delimited(boundary))
            .send()
    };
    let longest = "a".repeat(70);
    for ok in [
        longest.as_str(),
        "x",
        "----WebKitFormBoundary7MA4YWxkTrZu0gW",
        "a'()+_,-./:=? b",
    ] {
        // Well framed: the missing parts are the form's 422, not a 400.
        problem(&send(ok), 422, "validation-failed");
    }
    // An empty boundary, quoted or not, is none.
    for ct in [
        "multipart/form-data; boundary=",
        "multipart/form-data; boundary=\"\"",
    ] {
        let res = c
            .post("/jobs")
            .header("content-type", ct)
            .body(delimited(""))
            .send();
        let p = problem(&res, 400, "malformed-request");
        assert!(
            p["detail"]
                .as_str()
                .unwrap()
                .starts_with("malformed multipart body: the "),
            "{p}"
        );
    }
    let too_long = "a".repeat(71);
    for bad in [too_long.as_str(), "trailing ", "accent\u{e9}", "star*"] {
        let p = problem(&send(bad), 400, "malformed-request");
        assert_eq!(
            p["detail"],
            "malformed multipart body: the boundary must be 1 to 70 characters: letters, digits, \
             space (not last) and '()+_,-./:=?",
            "{bad:?}"
        );
    }
}

#[test]
fn a_part_without_a_form_data_name_is_400() {
    let c = TestClient::new(FormApp);
    let b = Multipart::BOUNDARY;
    let cases: [(&[u8], &str); 4] = [
        (
            b"content-type: text/plain\r\n",
            "a part without a `Content-Disposition` header",
        ),
        (
            b"content-disposition: attachment; name=\"count\"\r\n",
            "a part whose `Content-Disposition` is not `form-data`",
        ),
        (
            b"content-disposition: form-data\r\n",
            "a part whose `Content-Disposition` has no `name`, or one that is not UTF-8",
        ),
        (
            b"content-disposition: form-data; name=\"caf\xe9\"\r\n",
            "a part whose `Content-Disposition` has no `name`, or one that is not UTF-8",
        ),
    ];
    for (headers, reason) in cases {
        let mut body = format!("--{b}\r\n").into_bytes();
        body.extend_from_slice(headers);
        body.extend_from_slice(format!("\r\n3\r\n--{b}--\r\n").as_bytes());
        let res = c
            .post("/jobs")
            .header("content-type", &format!("multipart/form-data; boundary={b}"))
            .body(body)
            .send();
        let p = problem(&res, 400, "malformed-request");
        assert_eq!(p["detail"], format!("malformed multipart body: {reason}"));
    }
}

#[test]
fn a_part_sent_twice_for_a_single_field_is_422() {
    let c = TestClient::new(FormApp);
    let p = problem(
        &c.post("/jobs").multipart(base().text("count", "4")).send(),
        422,
        "validation-failed",
    );
    assert_eq!(p["detail"], "invalid form part `count`: given more than once");
    let p = problem(
        &c.post("/jobs")
            .multipart(base().text("note", "a").text("note", "b"))
            .send(),
        422,
        "validation-failed",
    );
    assert_eq!(p["detail"], "invalid form part `note`: given more than once");
}

#[test]
fn an_empty_file_input_is_no_part_and_an_empty_filename_is_none() {
    let c = TestClient::new(FormApp);
    // What a browser sends for a file input left empty.
    let empty =
        |form: Multipart, name: &str| form.part(name, Some(""), Some("application/octet-stream"), &[], b"");
    let res = c.post("/jobs").multipart(empty(base(), "attachments")).send();
    assert_eq!(res.status(), 200, "{}", res.text());
    assert_eq!(res.json::<Value>()["attachments"], json!([]));
    // For a required file, it is the missing part.
    let form = Multipart::new()
        .text("jobType", "export-text")
        .text("count", "3")
        .json("config", &json!({"dpi": 300}));
    let p = problem(
        &c.post("/jobs").multipart(empty(form.clone(), "document")).send(),
        422,
        "validation-failed",
    );
    assert_eq!(p["detail"], "invalid form: missing part `document`");
    // With bytes, `filename=""` is no filename.
    let form = form.part("document", Some(""), None, &[], b"x");
    let p = problem(&c.post("/jobs").multipart(form).send(), 422, "validation-failed");
    assert_eq!(
        p["detail"],
        "invalid form part `document`: a file part needs a filename"
    );
}

#[test]
fn parts_that_do_not_fit_are_422_naming_the_part() {
    let c = TestClient::new(FormApp);
    let cases = [
        (
            Multipart::new()
                .text("jobType", "export-text")
                .text("count", "3")
                .json("config", &json!({"dpi": 300})),
            "document",
        ),
        (
            Multipart::new()
                .text("jobType", "export-text")
                .text("count", "three")
                .json("config", &json!({"dpi": 300}))
                .file("document", "r.pdf", "application/pdf", b"x"),
            "count",
        ),
        (
            Multipart::new()
                .text("jobType", "print-SECRET")
                .text("count", "3")
                .json("config", &json!({"dpi": 300}))
                .file("document", "r.pdf", "application/pdf", b"x"),
            "jobType",
        ),
        (
            Multipart::new()
                .text("jobType", "export-text")
                .text("count", "3")
                .json("config", &json!({"dots": 300}))
                .file("document", "r.pdf", "application/pdf", b"x"),
            "config",
        ),
        (
            Multipart::new()
                .text("jobType", "export-text")
                .text("count", "3")
                .json("config", &json!({"dpi": 300}))
                .part("document", None, Some("application/pdf"), &[], b"x"),
            "document",
        ),
    ];
    for (form, part) in cases {
        let res = c.post("/jobs").multipart(form).send();
        let p = problem(&res, 422, "validation-failed");
        let detail = p["detail"].as_str().unwrap().to_owned();
        assert_eq!(p["params"]["reason"], detail.as_str());
        assert!(detail.contains(part), "{part}: {detail}");
        assert!(!res.text().contains("SECRET"), "{}", res.text());
    }
}

/// A JSON part bound to a struct is an object: an array (which serde would
/// take as the struct's fields in order) is 422 naming the part, and a
/// malformed one names the part, not a placeholder after it.
#[test]
fn a_json_part_must_be_an_object() {
    let c = TestClient::new(FormApp);
    for (config, says) in [
        (
            "[300]",
            "invalid form part `config`: invalid JSON part: invalid type: expected an object",
        ),
        (
            "[300, \"x\"]",
            "invalid form part `config`: invalid JSON part: invalid type: expected an object",
        ),
        (
            "{SECRET",
            "invalid form part `config`: malformed JSON part at line 1 column 2",
        ),
    ] {
        let form = Multipart::new()
            .text("jobType", "export-text")
            .text("count", "3")
            .part("config", None, Some("application/json"), &[], config.as_bytes())
            .file("document", "r.pdf", "application/pdf", b"x");
        let res = c.post("/jobs").multipart(form).send();
        let p = problem(&res, 422, "validation-failed");
        let detail = p["detail"].as_str().unwrap();
        assert!(detail.starts_with(says), "{config}: {detail}");
        assert!(
            !detail.contains('?') && !detail.contains("SECRET"),
            "{config}: {detail}"
        );
    }
}

#[test]
fn a_file_part_without_a_filename_says_so() {
    let c = TestClient::new(FormApp);
    let form = Multipart::new()
        .text("jobType", "export-text")
        .text("count", "3")
        .json("config", &json!({"dpi": 300}))
        .part("document", None, None, &[], b"x");
    let p = problem(&c.post("/jobs").multipart(form).send(), 422, "validation-failed");
    assert_eq!(
        p["detail"],
        "invalid form part `document`: a file part needs a filename"
    );
}

#[test]
fn a_missing_part_is_named() {
    let c = TestClient::new(FormApp);
    let form = Multipart::new()
        .text("jobType", "export-text")
        .json("config", &json!({"dpi": 300}))
        .file("document", "r.pdf", "application/pdf", b"x");
    let p = problem(&c.post("/jobs").multipart(form).send(), 422, "validation-failed");
    assert_eq!(p["detail"], "invalid form: missing part `count`");
}

#[contract(input)]
struct WithDefaults {
    #[serde(default = "five")]
    priority: u8,
    tags: Vec<String>,
    title: String,
}

fn five() -> u8 {
    5
}

#[contract]
struct Echoed {
    priority: u8,
    tags: Vec<String>,
    title: String,
}

struct Defaults;

#[endpoint(path = "/defaults")]
impl Defaults {
    async fn post(&self, form: WithDefaults) -> Echoed {
        Echoed {
            priority: form.priority,
            tags: form.tags,
            title: form.title,
        }
    }
}

struct DefaultsApp;

impl App for DefaultsApp {
    async fn wire(&self, wiring: &mut Wiring) -> Result<(), BoxError> {
        wiring.include_endpoint(Defaults);
        Ok(())
    }
}

#[test]
fn absent_parts_take_serde_defaults_and_lists_are_empty() {
    let c = TestClient::new(DefaultsApp);
    let res = c
        .post("/defaults")
        .multipart(Multipart::new().text("title", "t"))
        .send();
    assert_eq!(
        res.json::<Value>(),
        json!({"priority": 5, "tags": [], "title": "t"})
    );
    let form = Multipart::new()
        .text("tags", "a")
        .text("priority", "1")
        .text("tags", "b")
        .text("title", "t");
    let res = c.post("/defaults").multipart(form).send();
    assert_eq!(
        res.json::<Value>(),
        json!({"priority": 1, "tags": ["a", "b"], "title": "t"})
    );
    let p = problem(
        &c.post("/defaults").multipart(Multipart::new()).send(),
        422,
        "validation-failed",
    );
    assert_eq!(p["detail"], "invalid form: missing part `title`");
}

/// A part's own headers, typed.
#[contract(input)]
struct PartMeta {
    #[schemars(length(equal = 8))]
    x_checksum: String,
    x_revision: Option<u32>,
}

#[contract(input)]
struct SignedForm {
    config: FormPart<Config, PartMeta>,
}

#[contract]
#[serde(rename_all = "camelCase")]
struct SignedOut {
    dpi: u32,
    checksum: String,
    revision: Option<u32>,
    raw_checksum: Option<String>,
}

struct Signed;

#[endpoint(path = "/signed")]
impl Signed {
    async fn post(&self, form: SignedForm) -> SignedOut {
        let part = form.config;
        SignedOut {
            dpi: part.value.dpi,
            checksum: part.headers.x_checksum.clone(),
            revision: part.headers.x_revision,
            raw_checksum: part.header("X-CHECKSUM").map(str::to_owned),
        }
    }
}

struct SignedApp;

impl App for SignedApp {
    async fn wire(&self, wiring: &mut Wiring) -> Result<(), BoxError> {
        wiring.include_endpoint(Signed);
        Ok(())
    }
}

/// `FormPart<T, H>`: the part's headers bind `H` by name, as a handler's
/// `headers` do, and stay readable as sent; one that is missing, does not
/// convert or breaks its constraint is 422 naming the part and the header.
#[test]
fn a_parts_headers_bind_a_contract() {
    let c = TestClient::new(SignedApp);
    let form = |headers: &[(&str, &str)]| {
        Multipart::new().part(
            "config",
            None,
            Some("application/json"),
            headers,
            br#"{"dpi": 300}"#,
        )
    };
    let res = c
        .post("/signed")
        .multipart(form(&[("X-Checksum", "abcd1234"), ("x-revision", "7")]))
        .send();
    assert_eq!(res.status(), 200, "{}", res.text());
    assert_eq!(
        res.json::<Value>(),
        json!({"dpi": 300, "checksum": "abcd1234", "revision": 7, "rawChecksum": "abcd1234"})
    );
    let detail = |headers: &[(&str, &str)]| {
        let p = c.post("/signed").multipart(form(headers)).send().problem();
        (p.status, p.detail.unwrap_or_default())
    };
    assert_eq!(
        detail(&[]),
        (
            422,
            "invalid form part `config`: missing header `x-checksum`".to_owned()
        )
    );
    assert_eq!(
        detail(&[("X-Checksum", "abc")]),
        (
            422,
            "invalid form part `config`: header `x-checksum`: must have exactly 8 characters".to_owned()
        )
    );
    let (status, text) = detail(&[("X-Checksum", "abcd1234"), ("X-Revision", "seven")]);
    assert_eq!(status, 422);
    assert!(
        text.starts_with("invalid form part `config`: header `x-revision`: "),
        "{text}"
    );
    // A value that is not UTF-8 is refused where a field binds it, as a
    // handler's headers are; another header's is no matter.
    let b = Multipart::BOUNDARY;
    let raw = |headers: &[u8]| {
        let mut body = format!("--{b}\r\ncontent-disposition: form-data; name=\"config\"\r\n").into_bytes();
        body.extend_from_slice(headers);
        body.extend_from_slice(format!("\r\n{{\"dpi\": 300}}\r\n--{b}--\r\n").as_bytes());
        c.post("/signed")
            .header("content-type", &format!("multipart/form-data; boundary={b}"))
            .body(body)
            .send()
    };
    let p = raw(b"x-checksum: abcd123\xe9\r\n").problem();
    assert_eq!(
        (p.status, p.detail.as_deref()),
        (
            422,
            Some("invalid form part `config`: header `x-checksum`: not valid UTF-8")
        )
    );
    let res = raw(b"x-checksum: abcd1234\r\nx-note: caf\xe9\r\n");
    assert_eq!(res.status(), 200, "{}", res.text());
}
