use serde_json::{json, Value};

use crate::helpers::*;

async fn post_raw(
    app: &TestApp,
    token: &str,
    content_type: Option<&str>,
    body: &str,
) -> (u16, Value) {
    let mut request = app
        .http
        .post(app.url("/v1/invites"))
        .bearer_auth(token)
        .body(body.to_owned());
    if let Some(content_type) = content_type {
        request = request.header("content-type", content_type);
    }
    status_and_body(request.send().await.unwrap()).await
}

fn first_issue(body: &Value) -> (&str, Value) {
    let issue = &body["detail"][0];
    assert!(
        issue["msg"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    (issue["type"].as_str().unwrap(), issue["loc"].clone())
}

#[tokio::test]
async fn malformed_create_bodies_get_fastapi_shaped_422s() {
    let app = TestApp::spawn().await;
    let admin = app.tenant_admin().await;
    let tenant = admin.tenant.to_string();
    let json_type = Some("application/json");
    let cases: Vec<(Option<&str>, String, &str, Value)> = vec![
        (
            json_type,
            "{\"tenant_id\": ".into(),
            "json_invalid",
            json!(["body", 14]),
        ),
        (
            json_type,
            "[1, 2]".into(),
            "model_attributes_type",
            json!(["body"]),
        ),
        (json_type, "".into(), "missing", json!(["body"])),
        (
            json_type,
            json!({ "email": "a@example.com" }).to_string(),
            "missing",
            json!(["body", "tenant_id"]),
        ),
        (
            json_type,
            json!({ "tenant_id": tenant }).to_string(),
            "missing",
            json!(["body", "email"]),
        ),
        (
            json_type,
            json!({ "tenant_id": "nope", "email": "a@example.com" }).to_string(),
            "uuid_parsing",
            json!(["body", "tenant_id"]),
        ),
        (
            json_type,
            json!({ "tenant_id": 7, "email": "a@example.com" }).to_string(),
            "uuid_type",
            json!(["body", "tenant_id"]),
        ),
        (
            json_type,
            json!({ "tenant_id": tenant, "email": 7 }).to_string(),
            "string_type",
            json!(["body", "email"]),
        ),
        (
            json_type,
            json!({ "tenant_id": tenant, "email": "not-an-email" }).to_string(),
            "value_error",
            json!(["body", "email"]),
        ),
        (
            json_type,
            json!({ "tenant_id": tenant, "email": format!("{}@example.com", "a".repeat(250)) })
                .to_string(),
            "value_error",
            json!(["body", "email"]),
        ),
        (
            json_type,
            json!({ "tenant_id": tenant, "email": "a@example.com\r\nBcc: x@example.com" })
                .to_string(),
            "value_error",
            json!(["body", "email"]),
        ),
        (
            json_type,
            json!({ "tenant_id": tenant, "email": "a@example.com", "role": "admin" }).to_string(),
            "enum",
            json!(["body", "role"]),
        ),
        (
            Some("text/plain"),
            json!({ "tenant_id": tenant, "email": "a@example.com" }).to_string(),
            "model_attributes_type",
            json!(["body"]),
        ),
    ];
    for (content_type, body, kind, loc) in cases {
        let (status, answer) = post_raw(&app, &admin.token, content_type, &body).await;
        assert_eq!(status, 422, "{body}: {answer}");
        assert_eq!(first_issue(&answer), (kind, loc), "{body}");
    }
    assert_eq!(
        app.list_ok(&admin.token, "").await["total"],
        0,
        "nothing was stored"
    );
}

#[tokio::test]
async fn a_body_without_content_type_is_read_as_json() {
    let app = TestApp::spawn().await;
    let admin = app.tenant_admin().await;
    let body = json!({ "tenant_id": admin.tenant, "email": unique_email("plain") }).to_string();
    let (status, _) = post_raw(&app, &admin.token, None, &body).await;
    assert_eq!(status, 201);
}

#[tokio::test]
async fn malformed_queries_and_paths_get_fastapi_shaped_422s() {
    let app = TestApp::spawn().await;
    let admin = app.tenant_admin().await;
    for (query, kind, field) in [
        ("limit=0", "greater_than_equal", "limit"),
        ("limit=101", "less_than_equal", "limit"),
        ("limit=ten", "int_parsing", "limit"),
        ("offset=-1", "greater_than_equal", "offset"),
        ("status=done", "enum", "status"),
        ("sort_by=email", "enum", "sort_by"),
        ("sort_dir=sideways", "enum", "sort_dir"),
        ("tenant_id=xyz", "uuid_parsing", "tenant_id"),
    ] {
        let (status, body) = status_and_body(app.list(&admin.token, query).await).await;
        assert_eq!(status, 422, "{query}");
        assert_eq!(
            first_issue(&body),
            (kind, json!(["query", field])),
            "{query}"
        );
    }
    // Unknown parameters are ignored; of repeated ones the last counts.
    let page = app
        .list_ok(&admin.token, "colour=blue&limit=5&limit=7")
        .await;
    assert_eq!(page["limit"], 7);

    for response in [
        app.accept(&admin.token, "not-a-uuid").await,
        app.delete(&admin.token, "12345").await,
    ] {
        let (status, body) = status_and_body(response).await;
        assert_eq!(status, 422);
        assert_eq!(
            first_issue(&body),
            ("uuid_parsing", json!(["path", "invite_id"]))
        );
    }
}

#[tokio::test]
async fn unknown_paths_wrong_methods_and_huge_bodies() {
    let app = TestApp::spawn().await;
    let admin = app.tenant_admin().await;

    let (status, body) = error_of(app.http.get(app.url("/v1/nothing")).send().await.unwrap()).await;
    assert_eq!(
        (status, body),
        (404, json!({ "detail": "Not Found", "code": "not_found" }))
    );

    let response = app.http.put(app.url("/v1/invites")).send().await.unwrap();
    assert_eq!(response.status(), 405);
    assert_eq!(response.headers()["allow"], "GET, POST");
    assert_eq!(
        error_of(response).await.1,
        json!({ "detail": "Method Not Allowed", "code": "bad_request" })
    );

    let huge =
        json!({ "tenant_id": admin.tenant, "email": "a@example.com", "pad": "x".repeat(20_000) })
            .to_string();
    let (status, body) = post_raw(&app, &admin.token, Some("application/json"), &huge).await;
    assert_eq!(status, 413);
    assert!(body["detail"].as_str().unwrap().contains("too large"));
}

#[tokio::test]
async fn the_served_openapi_document_is_the_file_and_docs_are_browsable() {
    let app = TestApp::spawn().await;
    let served: Value = app
        .http
        .get(app.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let file: Value =
        serde_yaml::from_str(&std::fs::read_to_string(repo().join("openapi.yaml")).unwrap())
            .unwrap();
    assert_eq!(served, file);
    // Every route the server serves is in the document, with its method.
    for route in invites_shared::routes::routes() {
        let method = route.method.as_str().to_lowercase();
        assert!(
            file["paths"][route.path][&method].is_object(),
            "{} {} is not documented",
            route.method,
            route.path
        );
    }

    let page = app.http.get(app.url("/docs")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("/openapi.json"));
    let bundle = app
        .http
        .get(app.url("/docs/swagger-ui-bundle.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        bundle.status(),
        200,
        "swagger-ui-dist is installed by npm ci in local/"
    );
}

#[tokio::test]
async fn every_error_is_detail_code_and_request_id_and_every_answer_names_its_request() {
    let app = TestApp::spawn().await;
    let admin = app.tenant_admin().await;
    // 422 keeps FastAPI's detail list and adds code and request_id.
    let (status, body) = error_of(app.list(&admin.token, "limit=0").await).await;
    assert_eq!(status, 422);
    assert_eq!(body["code"], "unprocessable_entity");
    assert_eq!(body["detail"][0]["type"], "greater_than_equal");
    // Others: one string detail.
    let (status, body) = error_of(app.list("not-a-token", "").await).await;
    assert_eq!((status, body["code"].clone()), (401, json!("unauthorized")));
    let user = app
        .member(admin.tenant, invites_shared::domain::Role::User)
        .await;
    let (status, body) = error_of(app.list(&user.token, "").await).await;
    assert_eq!((status, body["code"].clone()), (403, json!("forbidden")));
    // Successes carry the header too, a different id per request.
    let first = app.list(&admin.token, "").await;
    let second = app.list(&admin.token, "").await;
    let id = |r: &reqwest::Response| r.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert_eq!(first.status(), 200);
    assert!(!id(&first).is_empty());
    assert_ne!(id(&first), id(&second));
}
