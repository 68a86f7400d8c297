//! The invitation landing page (`web/`) and a development-only sign-in, on the local server
//! only: `/invites/{id}` is the page the emailed link opens (`INVITE_LINK_BASE_URL` points
//! here in `scripts/run-local`), `/web/*` its files, and `/dev/sign-in` sets the `ks_uat`
//! cookie for a user picked by email, as the product's real sign-in would. The sign-in is on
//! only with `DEV_SIGN_IN=true` (`scripts/run-local` and `scripts/test` set it), so that a local
//! server pointed at a real table hands out no tokens. This crate is never deployed: no Lambda
//! build has the sign-in.

use hyper::body::Bytes;
use hyper::header::{CACHE_CONTROL, CONTENT_TYPE, HOST, LOCATION, ORIGIN, SET_COOKIE};
use hyper::{HeaderMap, Method, Response, StatusCode};
use invites_shared::config::AuthConfig;
use invites_shared::domain::{EmailAddress, TenantId};
use invites_shared::store::Store;

use crate::dev::{self, demo_ids};

const PAGE: &str = include_str!("../../web/invite.html");
const SCRIPT: &str = include_str!("../../web/invite.js");
const STYLE: &str = include_str!("../../web/invite.css");
const CONFIG: &str = include_str!("../../web/config.js");

/// How long a development session lasts.
const SESSION_HOURS: i64 = 12;

/// What the sign-in needs: the users (found or created by email) and the key to sign with.
pub struct DevSignIn {
    store: Store,
    auth: AuthConfig,
}

impl DevSignIn {
    /// Whether `DEV_SIGN_IN` turns the sign-in on (its settings are read only then); a value
    /// that is neither `true` nor `false` is refused, not read as off.
    pub fn is_enabled<L: Fn(&str) -> Option<String>>(
        env: &invites_shared::config::Env<L>,
    ) -> Result<bool, invites_shared::config::ConfigError> {
        env.choice("DEV_SIGN_IN", false, &[("true", true), ("false", false)])
    }

    pub fn new(store: Store, auth: AuthConfig) -> Self {
        Self { store, auth }
    }
}

type WebResponse = Response<http_body_util::Full<Bytes>>;

/// No framing (a framed Accept button could be clicked by a trick), scripts and styles from
/// this origin only, and no content sniffing. Deployers send the same from their static host.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; \
     form-action 'self'; object-src 'none'";

fn page(status: StatusCode, content_type: &'static str, body: impl Into<Bytes>) -> WebResponse {
    Response::builder()
        .status(status)
        .header(CONTENT_TYPE, content_type)
        .header(CACHE_CONTROL, "no-store")
        .header("content-security-policy", CONTENT_SECURITY_POLICY)
        .header("x-frame-options", "DENY")
        .header("x-content-type-options", "nosniff")
        .header("referrer-policy", "same-origin")
        .body(http_body_util::Full::new(body.into()))
        .expect("static parts are valid")
}

/// A request to the page or the sign-in.
pub struct WebRequest<'a> {
    pub method: &'a Method,
    pub path: &'a str,
    pub query: Option<&'a str>,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
}

/// The page's and the sign-in's answer to a request, or `None` if the path is not theirs
/// (the sign-in's paths are not, when it is off).
pub async fn respond(sign_in: Option<&DevSignIn>, req: WebRequest<'_>) -> Option<WebResponse> {
    let html = "text/html; charset=utf-8";
    if req.path.starts_with("/dev/") {
        return dev_route(sign_in?, req).await;
    }
    let response = match (req.method, req.path) {
        (&Method::GET, "/web/invite.js") => page(StatusCode::OK, "text/javascript", SCRIPT),
        (&Method::GET, "/web/invite.css") => page(StatusCode::OK, "text/css", STYLE),
        (&Method::GET, "/web/config.js") => page(StatusCode::OK, "text/javascript", CONFIG),
        (&Method::GET, path) if is_invite_page(path) => page(StatusCode::OK, html, PAGE),
        _ => return None,
    };
    Some(response)
}

/// The sign-in's own paths, when it is on.
async fn dev_route(sign_in: &DevSignIn, req: WebRequest<'_>) -> Option<WebResponse> {
    let html = "text/html; charset=utf-8";
    let response = match (req.method, req.path) {
        (&Method::GET, "/dev/sign-in") => {
            let params = form(req.query.unwrap_or_default().as_bytes());
            let email = params.get("email").map(String::as_str).unwrap_or_default();
            let back = params.get("redirect_url").map(String::as_str);
            page(StatusCode::OK, html, sign_in_page(email, back, None))
        }
        (&Method::POST, "/dev/sign-in") if !same_origin(req.headers) => page(
            StatusCode::FORBIDDEN,
            html,
            "Cross-site sign-in refused: post the form from this server's own page.",
        ),
        (&Method::POST, "/dev/sign-in") => sign_in.sign_in(&form(req.body)).await,
        (&Method::GET, "/dev/sign-out") => Response::builder()
            .status(StatusCode::SEE_OTHER)
            .header(
                SET_COOKIE,
                "ks_uat=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0",
            )
            .header(LOCATION, "/dev/sign-in")
            .body(Default::default())
            .expect("static parts are valid"),
        _ => return None,
    };
    Some(response)
}

/// Whether a form post comes from this server's own pages: a browser names the page's origin
/// in `Origin` (absent: not a browser's cross-site post).
fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(ORIGIN) else {
        return true;
    };
    let host = headers.get(HOST).and_then(|host| host.to_str().ok());
    host.is_some_and(|host| origin.to_str().ok() == Some(format!("http://{host}").as_str()))
}

/// `/invites/<one segment>`: the link's shape (`<base>/<invite id>`); the page itself says
/// when the id is not an invite's.
fn is_invite_page(path: &str) -> bool {
    path.strip_prefix("/invites/")
        .is_some_and(|id| !id.is_empty() && !id.contains('/'))
}

fn form(bytes: &[u8]) -> std::collections::HashMap<String, String> {
    form_urlencoded::parse(bytes).into_owned().collect()
}

impl DevSignIn {
    /// Finds the user with the posted email (or creates one, as signing up would), sets the
    /// cookie and goes back to the page that asked.
    async fn sign_in(&self, params: &std::collections::HashMap<String, String>) -> WebResponse {
        let raw = params.get("email").map(String::as_str).unwrap_or_default();
        let back = params.get("redirect_url").map(String::as_str);
        let html = "text/html; charset=utf-8";
        let Ok(email) = EmailAddress::parse(raw) else {
            let again = sign_in_page(raw, back, Some("Enter a valid email address."));
            return page(StatusCode::UNPROCESSABLE_ENTITY, html, again);
        };
        let token = match self.token_for(email).await {
            Ok(token) => token,
            Err(error) => {
                tracing::warn!(error = %error, "development sign-in failed");
                let again = sign_in_page(raw, back, Some("Sign-in failed: see the server's log."));
                return page(StatusCode::INTERNAL_SERVER_ERROR, html, again);
            }
        };
        let cookie = format!(
            "ks_uat={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}",
            SESSION_HOURS * 3600
        );
        Response::builder()
            .status(StatusCode::SEE_OTHER)
            .header(SET_COOKIE, cookie)
            .header(LOCATION, local_path(back))
            .header(CACHE_CONTROL, "no-store")
            .body(Default::default())
            .expect("a token and a local path are valid header values")
    }

    async fn token_for(&self, email: EmailAddress) -> Result<String, dev::DevError> {
        let user = dev::create_user(&self.store, None, email).await?;
        // Tokens name a tenant; a new user has none yet, and accepting does not use it.
        let tenant = user.current_tenant_id.unwrap_or_else(TenantId::new_random);
        let ttl = chrono::Duration::hours(SESSION_HOURS);
        dev::mint_signed_in_token(&self.auth, &user, tenant, ttl)
    }
}

/// The path (and query) of `redirect_url` when it is one of this server's pages, else `/`:
/// the sign-in never sends a browser to another site.
fn local_path(redirect_url: Option<&str>) -> String {
    let Some(url) = redirect_url else {
        return "/".into();
    };
    let path = match url.split_once("://") {
        Some((_, rest)) => rest.find('/').map(|at| &rest[at..]).unwrap_or("/"),
        None => url,
    };
    let safe = path.starts_with('/')
        && !path.starts_with("//")
        && !path.contains('\\')
        && path.chars().all(|c| c.is_ascii_graphic());
    if safe {
        path.to_owned()
    } else {
        "/".into()
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn sign_in_page(email: &str, redirect_url: Option<&str>, problem: Option<&str>) -> String {
    let back = escape(redirect_url.unwrap_or("/"));
    let quick = [demo_ids::INVITEE_EMAIL, demo_ids::ADMIN_EMAIL]
        .iter()
        .map(|seeded| {
            format!(
                r#"<li><form method="post" action="/dev/sign-in"><input type="hidden" name="email" value="{seeded}"><input type="hidden" name="redirect_url" value="{back}"><button type="submit">Sign in as {seeded}</button></form></li>"#
            )
        })
        .collect::<String>();
    let problem = problem
        .map(|text| {
            format!(
                r#"<p class="notice problem" role="alert">{}</p>"#,
                escape(text)
            )
        })
        .unwrap_or_default();
    format!(
        r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in (development)</title>
<link rel="stylesheet" href="/web/invite.css">
</head>
<body>
<main>
<h1>Sign in (development only)</h1>
<p class="muted">The local server's stand-in for the product's sign-in: it sets the
<code>ks_uat</code> cookie for the user with this email (made if there is none). It exists
only in <code>invites-local</code>, never in a Lambda.</p>
{problem}
<form method="post" action="/dev/sign-in">
<p><label for="email">Email</label><br>
<input id="email" name="email" type="email" required autocomplete="email" value="{email}"></p>
<input type="hidden" name="redirect_url" value="{back}">
<p><button type="submit" id="sign-in-submit">Sign in</button></p>
</form>
<h2>Seeded users</h2>
<ul>{quick}</ul>
<p><a href="/dev/sign-out">Sign out</a></p>
</main>
</body>
</html>
"#,
        email = escape(email),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sign_in_is_on_only_when_asked_and_a_misspelling_is_refused() {
        let env = |value: &'static str| {
            invites_shared::config::Env::new(move |_: &str| Some(value.to_owned()))
        };
        assert!(!DevSignIn::is_enabled(&env("")).unwrap());
        assert!(!DevSignIn::is_enabled(&env("false")).unwrap());
        assert!(DevSignIn::is_enabled(&env("true")).unwrap());
        assert!(DevSignIn::is_enabled(&env("yes")).is_err());
    }

    #[test]
    fn the_sign_in_only_returns_to_this_servers_pages() {
        let cases = [
            (
                Some("http://localhost:8000/invites/abc?x=1"),
                "/invites/abc?x=1",
            ),
            (Some("/invites/abc"), "/invites/abc"),
            (Some("https://evil.example/phish"), "/phish"),
            (Some("//evil.example/x"), "/"),
            (Some("/\\evil.example"), "/"),
            (Some("javascript:alert(1)"), "/"),
            (Some("/a b"), "/"),
            (None, "/"),
        ];
        for (given, expected) in cases {
            assert_eq!(local_path(given), expected, "{given:?}");
        }
    }

    #[test]
    fn the_sign_in_page_escapes_what_the_url_says() {
        let html = sign_in_page("\"><script>x</script>", Some("\"><b>"), None);
        assert!(!html.contains("<script>x"));
        assert!(!html.contains("\"><b>"));
    }

    #[test]
    fn only_this_servers_pages_may_post_the_sign_in() {
        let headers = |pairs: &[(&str, &str)]| {
            let mut map = HeaderMap::new();
            for (name, value) in pairs {
                map.insert(
                    hyper::header::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                    value.parse().unwrap(),
                );
            }
            map
        };
        let host = ("host", "localhost:8000");
        assert!(same_origin(&headers(&[host])));
        assert!(same_origin(&headers(&[
            host,
            ("origin", "http://localhost:8000")
        ])));
        assert!(!same_origin(&headers(&[
            host,
            ("origin", "https://evil.example")
        ])));
        assert!(!same_origin(&headers(&[host, ("origin", "null")])));
        assert!(!same_origin(&headers(&[(
            "origin",
            "http://localhost:8000"
        )])));
    }

    #[tokio::test]
    async fn without_dev_sign_in_the_sign_in_is_not_there() {
        let headers = HeaderMap::new();
        for method in [Method::GET, Method::POST] {
            for path in ["/dev/sign-in", "/dev/sign-out"] {
                let req = WebRequest {
                    method: &method,
                    path,
                    query: None,
                    headers: &headers,
                    body: b"email=a%40example.com",
                };
                assert!(respond(None, req).await.is_none(), "{method} {path}");
            }
        }
    }

    #[test]
    fn invite_pages_are_one_segment_under_invites() {
        assert!(is_invite_page("/invites/0b1c"));
        assert!(!is_invite_page("/invites/"));
        assert!(!is_invite_page("/invites/a/b"));
        assert!(!is_invite_page("/v1/invites"));
    }
}
