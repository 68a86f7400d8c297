//! The API's OpenAPI document at `/openapi.json` and a Swagger UI page at `/docs`, as FastAPI
//! serves them. The document is `openapi.yaml`, embedded at build time; the UI's assets come
//! from the `swagger-ui-dist` npm package installed in `local/`.

use std::path::PathBuf;
use std::sync::OnceLock;

use hyper::body::Bytes;

/// `openapi.yaml` as JSON.
pub fn openapi_json() -> &'static Bytes {
    static JSON: OnceLock<Bytes> = OnceLock::new();
    JSON.get_or_init(|| {
        let document: serde_json::Value = serde_yaml::from_str(include_str!("../../openapi.yaml"))
            .expect("openapi.yaml is valid YAML (checked by tests)");
        Bytes::from(serde_json::to_vec(&document).expect("a JSON value serialises"))
    })
}

const DOCS_PAGE: &str = r##"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Invites API - Swagger UI</title>
<link rel="stylesheet" href="/docs/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script>
window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#swagger-ui", withCredentials: true });
</script>
</body>
</html>
"##;

fn assets_dir() -> PathBuf {
    std::env::var_os("SWAGGER_UI_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("node_modules/swagger-ui-dist")
        })
}

/// `(content type, body)` for a docs path, or `None` if it is not one.
pub fn docs_resource(path: &str) -> Option<(&'static str, Bytes)> {
    match path {
        "/openapi.json" => Some(("application/json", openapi_json().clone())),
        "/docs" | "/docs/" => Some((
            "text/html; charset=utf-8",
            Bytes::from_static(DOCS_PAGE.as_bytes()),
        )),
        "/docs/swagger-ui.css" | "/docs/swagger-ui-bundle.js" => {
            let name = path.trim_start_matches("/docs/");
            let content_type = if name.ends_with(".css") {
                "text/css; charset=utf-8"
            } else {
                "text/javascript; charset=utf-8"
            };
            std::fs::read(assets_dir().join(name))
                .ok()
                .map(|bytes| (content_type, Bytes::from(bytes)))
        }
        _ => None,
    }
}
