//! The demo app's routes through the TestClient: its contract, route by route.

use jero_examples::demo::Demo;
use jero_testing::{json, TestClient};
use serde_json::Value;

fn client() -> TestClient {
    TestClient::new(Demo::new())
}

#[test]
fn healthz() {
    let r = client().get("/healthz").send();
    assert_eq!(r.status(), 200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.json::<Value>(), json!({"status": "ok"}));
}

#[test]
fn trace_binds_typed_headers() {
    let c = client();
    let r = c
        .get("/trace")
        .header("X-Trace-Id", "t-1")
        .header("User-Agent", "ua")
        .send();
    assert_eq!(r.json::<Value>(), json!({"traceId": "t-1", "userAgent": "ua"}));
    let r = c.get("/trace").header("x-trace-id", "t-2").send();
    assert_eq!(r.json::<Value>(), json!({"traceId": "t-2", "userAgent": null}));
    let r = c.get("/trace").send();
    assert_eq!(r.status(), 400);
    let body = r.json::<Value>();
    assert_eq!(body["type"], "malformed-request");
    assert_eq!(body["detail"], body["params"]["reason"]);
    assert!(body["detail"].as_str().unwrap().contains("x-trace-id"), "{body}");
    // Another spelling is another header, not the trace id.
    let r = c
        .get("/trace")
        .header("X_Trace_Id", "evil")
        .header("X-Trace-Id", "good")
        .send();
    assert_eq!(r.json::<Value>()["traceId"], "good");
    assert_eq!(c.get("/trace").header("xtraceid", "evil").send().status(), 400);
}

#[test]
fn echo_sees_headers_as_sent() {
    let r = client()
        .get("/echo")
        .header("X-Trace-Id", "abc")
        .header("Cookie", "a=1")
        .header("cookie", "b=2")
        .send();
    let body = r.json::<Value>();
    assert_eq!(body["traceId"], "abc");
    assert_eq!(body["cookieCount"], 2);
    assert_eq!(body["names"], json!(["host", "X-Trace-Id", "Cookie", "cookie"]));
}

#[test]
fn uploads_counts_bytes() {
    let r = client()
        .post("/uploads")
        .header("content-type", "image/png")
        .body(vec![7u8; 1234])
        .send();
    assert_eq!(r.status(), 201);
    assert_eq!(r.json::<Value>(), json!({"size": 1234}));
}

#[test]
fn two_slots_are_percent_decoded() {
    let r = client().get("/collections/a%2Fb/items/x+y").send();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>(), json!({"collectionId": "a/b", "itemId": "x+y"}));
    assert_eq!(client().get("/collections/%FF/items/x").send().status(), 404);
    // Behind token auth too, without a token: the path is routing.
    assert_eq!(client().get("/widgets/%FF").send().status(), 404);
}

#[test]
fn messages_are_created() {
    let r = client()
        .post("/conversations/c1/messages")
        .json(&json!({"text": "hi"}))
        .send();
    assert_eq!(r.status(), 201);
    let body = r.json::<Value>();
    assert_eq!(body["conversationId"], "c1");
    assert_eq!(body["text"], "hi");
    assert!(!body["id"].as_str().unwrap().is_empty());
}

#[test]
fn drafts_have_two_outcomes() {
    let c = client();
    let r = c.get("/drafts/draft-1").send();
    assert_eq!(r.status(), 204);
    assert!(r.body().is_empty());
    assert_eq!(r.header("content-type"), None);
    assert_eq!(r.header("content-length"), None);
    let r = c.get("/drafts/w1").send();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>(), json!({"id": "w1", "name": "gizmo"}));
}

#[test]
fn status_maps_the_upstream_error() {
    let r = client().get("/status").send();
    assert_eq!(r.status(), 503);
    assert_eq!(r.header("retry-after"), Some("30"));
    assert_eq!(r.json::<Value>(), json!({"code": "upstream-failed"}));
}

#[test]
fn boom_is_a_clean_500_and_the_app_keeps_serving() {
    let c = client();
    let r = c.get("/boom").send();
    assert_eq!(r.status(), 500);
    assert_eq!(r.header("content-type"), Some("application/problem+json"));
    assert_eq!(
        r.json::<Value>(),
        json!({"type": "internal-server-error", "title": "Internal server error", "status": 500})
    );
    assert!(!r.text().contains("boom"));
    assert_eq!(c.get("/healthz").send().status(), 200);
}

#[test]
fn session_sets_a_secure_cookie() {
    let c = client();
    let r = c.post("/session").json(&json!({"token": "token"})).send();
    assert_eq!(r.status(), 204);
    assert_eq!(
        r.header("set-cookie"),
        Some("session_id=token; Path=/; Secure; HttpOnly; SameSite=Lax")
    );
    let r = c.post("/session").json(&json!({"token": "nope"})).send();
    assert_eq!(r.status(), 401);
    assert_eq!(
        r.json::<Value>(),
        json!({"type": "invalid-token", "title": "Invalid token", "status": 401})
    );
}

/// Deeply nested JSON on a public route: 400, and the server keeps
/// serving (sonic-rs's unbounded recursion once aborted the process here).
#[test]
fn deeply_nested_json_is_400() {
    let c = client();
    for body in [
        "[".repeat(20_000),
        format!(r#"{{"token": "token", "x": {}"#, "[".repeat(50_000)),
    ] {
        let r = c
            .post("/session")
            .header("content-type", "application/json")
            .body(body)
            .send();
        let p = assert_problem(&r, 400, "malformed-request");
        assert_eq!(p["detail"], p["params"]["reason"]);
    }
    assert_eq!(c.get("/healthz").send().status(), 200);
}

#[test]
fn unknown_paths_and_methods() {
    let c = client();
    let r = c.get("/nope").send();
    assert_eq!(r.status(), 404);
    assert_eq!(
        r.json::<Value>(),
        json!({"type": "not-found", "title": "Not found", "status": 404})
    );
    let r = c.delete("/healthz").send();
    assert_eq!(r.status(), 405);
    assert_eq!(r.header("allow"), Some("GET, HEAD, OPTIONS"));
    let r = c.options("/uploads").send();
    assert_eq!(r.status(), 204);
    assert_eq!(r.header("allow"), Some("OPTIONS, POST"));
}

// ---------------------------------------------------------------------------
// Authentication: /me, /spotlight, /profile

const TOKEN: (&str, &str) = ("Authorization", "Bearer token");
const OTHER: (&str, &str) = ("Authorization", "Bearer other-token");

fn user_json() -> Value {
    json!({"id": "user-id", "name": "user-name", "maySeeSpotlight": true})
}

#[track_caller]
fn assert_problem(r: &jero_testing::TestResponse, status: u16, kind: &str) -> Value {
    assert_eq!(r.status(), status, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("application/problem+json"));
    let body = r.json::<Value>();
    assert_eq!(body["type"], kind, "{body}");
    body
}

#[test]
fn me_is_the_token_user() {
    let c = client();
    let r = c.get("/me").header(TOKEN.0, TOKEN.1).send();
    assert_eq!(r.json::<Value>(), user_json());
    let r = c.get("/me").header(OTHER.0, OTHER.1).send();
    assert_eq!(
        r.json::<Value>(),
        json!({"id": "other-id", "name": "other-name", "maySeeSpotlight": false})
    );
    let body = assert_problem(&c.get("/me").send(), 401, "authentication-required");
    assert_eq!(
        body,
        json!({"type": "authentication-required", "title": "Authentication required", "status": 401})
    );
    let body = assert_problem(
        &c.get("/me").header("Authorization", "Bearer nope").send(),
        401,
        "invalid-token",
    );
    assert_eq!(
        body,
        json!({"type": "invalid-token", "title": "Invalid token", "status": 401})
    );
    assert_problem(
        &c.get("/me").header("Authorization", "Basic dG9rZW4=").send(),
        401,
        "invalid-token",
    );
}

#[test]
fn spotlight_has_optional_auth() {
    let c = client();
    let r = c.get("/spotlight").send();
    assert_eq!(
        r.json::<Value>(),
        json!({"widgetId": "spotlight", "personalizedFor": null})
    );
    let r = c.get("/spotlight").header(TOKEN.0, TOKEN.1).send();
    assert_eq!(
        r.json::<Value>(),
        json!({"widgetId": "spotlight", "personalizedFor": "user-name"})
    );
    assert_problem(
        &c.get("/spotlight").header(OTHER.0, OTHER.1).send(),
        403,
        "forbidden",
    );
    assert_problem(
        &c.get("/spotlight").header("Authorization", "Bearer x").send(),
        401,
        "invalid-token",
    );
}

#[test]
fn profile_authenticates_by_the_session_cookie() {
    let c = client();
    assert_problem(&c.get("/profile").send(), 401, "authentication-required");
    assert_problem(
        &c.get("/profile").cookie("session_id", "nope").send(),
        401,
        "invalid-token",
    );
    // A bearer token is not a session.
    assert_problem(
        &c.get("/profile").header(TOKEN.0, TOKEN.1).send(),
        401,
        "authentication-required",
    );
    let set = c.post("/session").json(&json!({"token": "token"})).send();
    assert_eq!(set.status(), 204);
    let r = c.get("/profile").cookie("session_id", "token").send();
    assert_eq!(r.json::<Value>(), user_json());
}

// ---------------------------------------------------------------------------
// Widgets

fn create(c: &TestClient, auth: (&str, &str), body: Value) -> jero_testing::TestResponse {
    c.post("/widgets").header(auth.0, auth.1).json(&body).send()
}

#[test]
fn widgets_are_created_with_location_and_trace_id() {
    let c = client();
    let r = create(&c, TOKEN, json!({"name": "gizmo", "priceCents": 250}));
    assert_eq!(r.status(), 201);
    let w = r.json::<Value>();
    let id = w["id"].as_str().expect("an id").to_owned();
    assert!(!id.is_empty());
    assert_eq!(
        w,
        json!({"id": id, "name": "gizmo", "priceCents": 250, "ownerId": "user-id"})
    );
    assert_eq!(r.header("location"), Some(format!("/widgets/{id}").as_str()));
    assert!(r.header("x-trace-id").is_some_and(|t| !t.is_empty()));
    // Same name, same owner: 409; another owner may use it.
    let r = create(&c, TOKEN, json!({"name": "gizmo", "priceCents": 1}));
    let body = assert_problem(&r, 409, "widget-exists");
    assert_eq!(
        body,
        json!({"type": "widget-exists", "title": "Widget already exists", "status": 409})
    );
    assert_eq!(
        create(&c, OTHER, json!({"name": "gizmo", "priceCents": 1})).status(),
        201
    );
}

#[test]
fn widgets_are_the_callers_own() {
    let c = client();
    let id = create(&c, TOKEN, json!({"name": "mine", "priceCents": 0})).json::<Value>()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = c.get(&format!("/widgets/{id}")).header(TOKEN.0, TOKEN.1).send();
    assert_eq!(r.json::<Value>()["name"], "mine");
    let r = c.get(&format!("/widgets/{id}")).header(OTHER.0, OTHER.1).send();
    let body = assert_problem(&r, 404, "widget-not-found");
    assert_eq!(
        body,
        json!({"type": "widget-not-found", "title": "Widget not found", "status": 404,
               "detail": format!("Widget {id} not found"), "params": {"widgetId": id}})
    );
    assert_eq!(
        c.get("/widgets").header(OTHER.0, OTHER.1).send().json::<Value>(),
        json!([])
    );
}

#[test]
fn widgets_page_in_creation_order() {
    let c = client();
    for i in 0..25 {
        assert_eq!(
            create(&c, TOKEN, json!({"name": format!("w{i}"), "priceCents": i})).status(),
            201
        );
    }
    let names = |q: &str| -> Vec<String> {
        let r = c.get(&format!("/widgets{q}")).header(TOKEN.0, TOKEN.1).send();
        assert_eq!(r.status(), 200, "{}", r.text());
        r.json::<Vec<Value>>()
            .iter()
            .map(|w| w["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let all = names("");
    assert_eq!(all.len(), 20);
    assert_eq!(all[0], "w0");
    assert_eq!(names("?limit=2&offset=3"), ["w3", "w4"]);
    assert_eq!(names("?offset=24"), ["w24"]);
    assert_eq!(names("?limit=0"), Vec::<String>::new());
    // The route as its contract writes it (`?limit=&offset=`): empty values are the defaults.
    assert_eq!(names("?limit=&offset="), all);
    assert_eq!(names("?limit=&offset=24"), ["w24"]);
    for q in [
        "?limit=abc",
        "?limit=-1",
        "?limit=+2",
        "?offset=1.5",
        "?limit=1&limit=2",
    ] {
        let r = c.get(&format!("/widgets{q}")).header(TOKEN.0, TOKEN.1).send();
        let body = assert_problem(&r, 400, "malformed-request");
        assert_eq!(body["detail"], body["params"]["reason"]);
    }
}

#[test]
fn widgets_update_patch_and_delete() {
    let c = client();
    let id = create(&c, TOKEN, json!({"name": "a", "priceCents": 1})).json::<Value>()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    create(&c, TOKEN, json!({"name": "taken", "priceCents": 1}));
    let url = format!("/widgets/{id}");
    let r = c
        .put(&url)
        .header(TOKEN.0, TOKEN.1)
        .json(&json!({"name": "b", "priceCents": 2}))
        .send();
    assert_eq!(
        r.json::<Value>(),
        json!({"id": id, "name": "b", "priceCents": 2, "ownerId": "user-id"})
    );
    let r = c
        .patch(&url)
        .header(TOKEN.0, TOKEN.1)
        .json(&json!({"priceCents": 7}))
        .send();
    assert_eq!(
        r.json::<Value>(),
        json!({"id": id, "name": "b", "priceCents": 7, "ownerId": "user-id"})
    );
    let r = c
        .patch(&url)
        .header(TOKEN.0, TOKEN.1)
        .json(&json!({"name": "c"}))
        .send();
    assert_eq!(r.json::<Value>()["name"], "c");
    // Renaming onto another widget's name is a conflict; onto its own is not.
    assert_problem(
        &c.patch(&url)
            .header(TOKEN.0, TOKEN.1)
            .json(&json!({"name": "taken"}))
            .send(),
        409,
        "widget-exists",
    );
    assert_eq!(
        c.patch(&url)
            .header(TOKEN.0, TOKEN.1)
            .json(&json!({"name": "c"}))
            .send()
            .status(),
        200
    );
    // Another owner cannot touch it.
    assert_problem(
        &c.delete(&url).header(OTHER.0, OTHER.1).send(),
        404,
        "widget-not-found",
    );
    let r = c.delete(&url).header(TOKEN.0, TOKEN.1).send();
    assert_eq!(r.json::<Value>(), json!({"id": id, "deleted": true}));
    assert_problem(
        &c.get(&url).header(TOKEN.0, TOKEN.1).send(),
        404,
        "widget-not-found",
    );
    assert_problem(
        &c.delete(&url).header(TOKEN.0, TOKEN.1).send(),
        404,
        "widget-not-found",
    );
}

#[test]
fn widget_bodies_are_validated() {
    let c = client();
    let cases = [
        (json!({"priceCents": 1}), "name"),
        (json!({"name": "x", "priceCents": "1"}), "priceCents"),
        (json!({"name": "", "priceCents": 1}), "name"),
        (json!({"name": "x", "priceCents": -1}), "priceCents"),
        // An array serde would take as the fields in order.
        (json!(["seqname", 5]), "expected an object"),
    ];
    for (body, field) in cases {
        let r = create(&c, TOKEN, body.clone());
        let p = assert_problem(&r, 422, "validation-failed");
        assert_eq!(p["detail"], p["params"]["reason"], "{p}");
        assert!(p["detail"].as_str().unwrap().contains(field), "{body}: {p}");
    }
    let id = create(&c, TOKEN, json!({"name": "ok", "priceCents": 1})).json::<Value>()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let url = format!("/widgets/{id}");
    for body in [
        json!({"name": ""}),
        json!({"priceCents": -5}),
        json!({"name": null}),
        json!({"priceCents": null}),
    ] {
        let r = c.patch(&url).header(TOKEN.0, TOKEN.1).json(&body).send();
        assert_problem(&r, 422, "validation-failed");
    }
    let r = c
        .put(&url)
        .header(TOKEN.0, TOKEN.1)
        .json(&json!({"name": "x"}))
        .send();
    assert_problem(&r, 422, "validation-failed");
    let r = c
        .post("/widgets")
        .header(TOKEN.0, TOKEN.1)
        .header("content-type", "application/json")
        .body("{\"name\": ")
        .send();
    let p = assert_problem(&r, 400, "malformed-request");
    assert_eq!(p["detail"], p["params"]["reason"]);
}

#[test]
fn widgets_check_credentials_before_anything_else() {
    let c = client();
    // No token plus malformed JSON: 401.
    let r = c
        .post("/widgets")
        .header("content-type", "application/json")
        .body("{oops")
        .send();
    assert_problem(&r, 401, "authentication-required");
    assert_problem(
        &c.get("/widgets?limit=abc").send(),
        401,
        "authentication-required",
    );
    assert_problem(
        &c.get("/widgets").header("Authorization", "Bearer nope").send(),
        401,
        "invalid-token",
    );
    // Routing needs none.
    let r = c.options("/widgets/w-1").send();
    assert_eq!(r.status(), 204);
    assert_eq!(r.header("allow"), Some("DELETE, GET, HEAD, OPTIONS, PATCH, PUT"));
    let r = c.post("/widgets/w-1").send();
    assert_eq!(r.status(), 405);
}

// ---------------------------------------------------------------------------
// Streams

fn stats(c: &TestClient) -> (u64, u64) {
    let s = c.get("/movies/stats").send().json::<Value>();
    (s["opened"].as_u64().unwrap(), s["closed"].as_u64().unwrap())
}

#[test]
fn movies_stream_ndjson() {
    let c = client();
    let r = c.get("/movies").send();
    assert_eq!(r.status(), 200);
    assert_eq!(r.header("content-type"), Some("application/x-ndjson"));
    assert_eq!(r.text(), "{\"title\":\"first\"}\n{\"title\":\"second\"}\n");
    let r = c.get("/movies?count=3").send();
    assert_eq!(
        r.text(),
        "{\"title\":\"movie-0\"}\n{\"title\":\"movie-1\"}\n{\"title\":\"movie-2\"}\n"
    );
    assert_eq!(c.get("/movies?count=0").send().text(), "");
    assert_eq!(stats(&c), (3, 3));
}

#[test]
fn movies_count_out_of_range_is_400() {
    let c = client();
    for q in ["-1", "1000001", "abc", "1.5", "99999999999999999999999"] {
        let r = c.get(&format!("/movies?count={q}")).send();
        let body = assert_problem(&r, 400, "malformed-request");
        assert_eq!(body["detail"], body["params"]["reason"], "{q}");
        assert!(body["detail"].as_str().unwrap().contains("count"), "{q}: {body}");
        assert!(!r.text().contains(q), "{q}: the value is quoted: {body}");
    }
    // An empty value is not a number either (nor is it no value).
    for path in ["/movies?count=", "/movies?count", "/movies?count=1&count=2"] {
        let r = c.get(path).send();
        let body = assert_problem(&r, 400, "malformed-request");
        assert!(
            body["detail"].as_str().unwrap().contains("count"),
            "{path}: {body}"
        );
    }
    assert_eq!(stats(&c), (0, 0), "refused requests open no cursor");
}

#[test]
fn a_million_movies_stream_lazily_and_disconnecting_closes_the_cursor() {
    let c = client();
    let mut s = c.get("/movies?count=1000000").stream();
    assert_eq!(s.next_line().as_deref(), Some("{\"title\":\"movie-0\"}"));
    assert_eq!(stats(&c), (1, 0));
    drop(s);
    assert_eq!(stats(&c), (1, 1));
    // The whole stream, to its last line.
    let mut s = c.get("/movies?count=1000000").stream();
    let mut last = None;
    let mut n = 0;
    while let Some(line) = s.next_line() {
        n += 1;
        last = Some(line);
    }
    assert_eq!(n, 1_000_000);
    assert_eq!(last.as_deref(), Some("{\"title\":\"movie-999999\"}"));
    assert_eq!(stats(&c), (2, 2));
}

#[test]
fn head_on_movies_never_starts_the_stream() {
    let c = client();
    let r = c.head("/movies").send();
    assert_eq!(r.status(), 200);
    assert_eq!(r.header("content-type"), Some("application/x-ndjson"));
    assert!(r.body().is_empty());
    assert_eq!(stats(&c), (0, 0));
}

#[test]
fn answer_streams_a_tagged_enum() {
    let r = client().get("/answer").send();
    assert_eq!(
        r.text(),
        "{\"type\":\"TextChunk\",\"text\":\"first\"}\n\
         {\"type\":\"TextChunk\",\"text\":\"second\"}\n\
         {\"type\":\"FooterChunk\",\"totalChunks\":2}\n"
    );
}

#[test]
fn events_are_server_sent() {
    let c = client();
    let r = c.get("/events").send();
    assert_eq!(r.header("content-type"), Some("text/event-stream"));
    assert_eq!(
        r.text(),
        "data: {\"title\":\"first\"}\n\nevent: added\nid: 2\ndata: {\"title\":\"second\"}\n\n"
    );
    let r = c.post("/events").send();
    assert_eq!(r.status(), 405);
    assert_eq!(r.header("allow"), Some("GET, HEAD, OPTIONS"));
}

#[test]
fn export_is_csv_in_two_chunks() {
    let c = client();
    let mut s = c.get("/export").stream();
    assert_eq!(s.header("content-type"), Some("text/csv"));
    assert_eq!(s.next_chunk().as_deref(), Some(&b"id,name\n"[..]));
    assert_eq!(s.next_chunk().as_deref(), Some(&b"1,gizmo\n"[..]));
    assert_eq!(s.next_chunk(), None);
}

// ---------------------------------------------------------------------------
// Jobs (multipart)

fn job_form() -> jero_testing::Multipart {
    jero_testing::Multipart::new()
        .text("jobType", "export-text")
        .text("count", "2")
        .json("config", &json!({"dpi": 300}))
        .file("document", "report.pdf", "application/pdf", vec![b'%'; 1000])
}

#[test]
fn jobs_take_a_multipart_form() {
    let c = client();
    let r = c.post("/jobs").multipart(job_form()).send();
    assert_eq!(r.status(), 200, "{}", r.text());
    assert_eq!(
        r.json::<Value>(),
        json!({"filename": "report.pdf", "size": 1000, "attachmentCount": 0, "dpi": 300,
               "note": null, "contentType": "application/pdf"})
    );
    let form = job_form()
        .file("attachments", "a.png", "image/png", [1u8])
        .file("attachments", "b.png", "image/png", [2u8])
        .text("note", "rush");
    let body = c.post("/jobs").multipart(form).send().json::<Value>();
    assert_eq!(
        (body["attachmentCount"].clone(), body["note"].clone()),
        (json!(2), json!("rush"))
    );
    let form = jero_testing::Multipart::new()
        .text("jobType", "export-images")
        .text("count", "1")
        .json("config", &json!({"dpi": 72}))
        .part("document", Some("raw.bin"), None, &[], b"xyz");
    assert_eq!(
        c.post("/jobs").multipart(form).send().json::<Value>()["contentType"],
        Value::Null
    );
}

#[test]
fn jobs_refuse_what_is_not_a_good_form() {
    let c = client();
    // Not multipart: 415.
    for ct in [
        "application/x-www-form-urlencoded",
        "application/json",
        "text/plain",
    ] {
        let r = c
            .post("/jobs")
            .header("content-type", ct)
            .body("jobType=export-text")
            .send();
        assert_problem(&r, 415, "unsupported-media-type");
    }
    assert_problem(&c.post("/jobs").body("x").send(), 415, "unsupported-media-type");
    // Malformed: 400.
    let r = c
        .post("/jobs")
        .header("content-type", "multipart/form-data")
        .body("--x\r\n")
        .send();
    assert_problem(&r, 400, "malformed-request");
    // Parts that do not fit: 422.
    let bad = [
        jero_testing::Multipart::new()
            .text("jobType", "export-text")
            .text("count", "2")
            .json("config", &json!({"dpi": 300})),
        jero_testing::Multipart::new()
            .text("jobType", "export-text")
            .text("count", "two")
            .json("config", &json!({"dpi": 300}))
            .file("document", "r.pdf", "application/pdf", b"x"),
        jero_testing::Multipart::new()
            .text("jobType", "print")
            .text("count", "2")
            .json("config", &json!({"dpi": 300}))
            .file("document", "r.pdf", "application/pdf", b"x"),
        jero_testing::Multipart::new()
            .text("jobType", "export-text")
            .text("count", "2")
            .json("config", &json!({"dpi": "high"}))
            .file("document", "r.pdf", "application/pdf", b"x"),
        jero_testing::Multipart::new()
            .text("jobType", "export-text")
            .text("count", "2")
            .json("config", &json!({"dpi": 300}))
            .part("document", None, Some("application/pdf"), &[], b"x"),
    ];
    let named = ["document", "count", "jobType", "config", "document"];
    for (form, part) in bad.into_iter().zip(named) {
        let r = c.post("/jobs").multipart(form).send();
        let p = assert_problem(&r, 422, "validation-failed");
        assert_eq!(p["detail"], p["params"]["reason"]);
        assert!(p["detail"].as_str().unwrap().contains(part), "{part}: {p}");
    }
}

// ---------------------------------------------------------------------------
// OpenAPI

#[test]
fn the_openapi_document_covers_every_route() {
    let c = client();
    let r = c.get("/openapi.json").send();
    assert_eq!(r.header("content-type"), Some("application/json"));
    let d = r.json::<Value>();
    assert_eq!(d["openapi"], "3.1.0");
    let paths = d["paths"].as_object().unwrap();
    for p in [
        "/healthz",
        "/widgets",
        "/widgets/{widget_id}",
        "/me",
        "/spotlight",
        "/trace",
        "/echo",
        "/uploads",
        "/jobs",
        "/movies",
        "/movies/stats",
        "/answer",
        "/events",
        "/export",
        "/collections/{collection_id}/items/{item_id}",
        "/conversations/{conversation_id}/messages",
        "/drafts/{widget_id}",
        "/status",
        "/boom",
        "/session",
        "/profile",
    ] {
        assert!(paths.contains_key(p), "{p} missing");
    }
    assert!(!paths.contains_key("/openapi.json") && !paths.contains_key("/docs"));
    // Every component is referred to (no leftovers of inlined contracts).
    let text = d.to_string();
    for name in d["components"]["schemas"].as_object().unwrap().keys() {
        let reference = format!("\"#/components/schemas/{name}\"");
        assert!(text.contains(&reference), "{name} is referred to by nothing");
    }
    // Every operation says what it does (its handler's doc comment).
    for (path, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            assert!(op["summary"].is_string(), "{method} {path} has no summary");
        }
    }
    let codes = |p: &str, m: &str| -> Vec<String> {
        d["paths"][p][m]["responses"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect()
    };
    // The constraints the handlers enforce are in the schemas; a patch's
    // fields may be left out but are not nullable; attachments are optional.
    let schemas = &d["components"]["schemas"];
    assert_eq!(schemas["WidgetIn"]["properties"]["name"]["minLength"], 1);
    assert_eq!(schemas["WidgetIn"]["properties"]["priceCents"]["minimum"], 0);
    assert_eq!(schemas["WidgetPatch"]["properties"]["name"]["type"], "string");
    assert_eq!(
        schemas["WidgetPatch"]["properties"]["priceCents"]["type"],
        "integer"
    );
    assert!(
        schemas["WidgetPatch"]["required"].is_null(),
        "{}",
        schemas["WidgetPatch"]
    );
    // Not `"default": null`, which a string or an integer is not (OpenAPI
    // validators reject the document for it).
    for field in ["name", "priceCents"] {
        let schema = &schemas["WidgetPatch"]["properties"][field];
        assert!(schema.get("default").is_none(), "{field}: {schema}");
    }
    assert!(
        !schemas["JobForm"]["required"]
            .as_array()
            .unwrap()
            .contains(&json!("attachments")),
        "{}",
        schemas["JobForm"]
    );
    let count = d["paths"]["/movies"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "count")
        .unwrap();
    assert_eq!(count["schema"]["maximum"], 1_000_000, "{count}");
    // The statuses each can answer, and no others: neither ever succeeds.
    assert_eq!(codes("/status", "get"), ["500", "503"]);
    assert!(
        d["paths"]["/export"]["get"]["responses"]["200"]["content"]["text/csv"].is_object(),
        "{}",
        d["paths"]["/export"]["get"]["responses"]["200"]
    );
    assert_eq!(codes("/boom", "get"), ["500"]);
    // The headers set at run time, as the app documents them.
    let header = |p: &str, m: &str, status: &str, name: &str| {
        d["paths"][p][m]["responses"][status]["headers"][name]["schema"]["type"].clone()
    };
    assert_eq!(header("/status", "get", "503", "Retry-After"), "integer");
    assert_eq!(header("/session", "post", "204", "Set-Cookie"), "string");
    assert!(codes("/widgets", "post").contains(&"401".to_owned()));
    assert!(codes("/widgets", "post").contains(&"409".to_owned()));
    // Each widget operation lists the errors it can answer with: reading
    // and deleting never conflict and bind no body.
    let item = "/widgets/{widget_id}";
    assert_eq!(codes(item, "get"), ["200", "401", "404", "500"]);
    assert_eq!(codes(item, "delete"), ["200", "401", "404", "500"]);
    for (method, code) in [("put", "409"), ("put", "422"), ("patch", "409"), ("patch", "422")] {
        assert!(codes(item, method).contains(&code.to_owned()), "{method} {code}");
    }
    assert_eq!(
        d["paths"]["/widgets"]["post"]["security"],
        json!([{"TokenAuth": []}])
    );
    let docs = c.get("/docs").send();
    assert_eq!(docs.status(), 200);
    assert!(docs.header("content-type").unwrap().starts_with("text/html"));
}
