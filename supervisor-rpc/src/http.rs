//! The HTTP side: `POST /RPC2` (any path under it, as 4.3.0 matches),
//! Basic authentication, and limits on what a client may send.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use base64::Engine;
use sha1::Digest;

use crate::dispatch::Dispatcher;
use crate::throttle::{Peer, Throttle};

/// The largest request body accepted by default (larger ones get 413);
/// `request_body_limit` in a server section changes it.
pub const DEFAULT_BODY_LIMIT: usize = supervisor_core::config::HttpServerConfig::DEFAULT_BODY_LIMIT as usize;

/// Who may call: `username` and `password` from the server section.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Credentials {
    /// The user name.
    pub username: String,
    /// Plain text, or `{SHA}` and the hex SHA-1 of the password.
    pub password: String,
}

impl Credentials {
    /// Whether an `Authorization` header value carries these credentials.
    pub fn accepts(&self, header: &str) -> bool {
        let Some(encoded) = header.strip_prefix("Basic ").or_else(|| header.strip_prefix("basic ")) else {
            return false;
        };
        let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(encoded.trim()) else {
            return false;
        };
        let Ok(decoded) = String::from_utf8(decoded) else {
            return false;
        };
        let Some((user, password)) = decoded.split_once(':') else {
            return false;
        };
        if user != self.username {
            return false;
        }
        match self.password.strip_prefix("{SHA}") {
            Some(hex) => {
                let digest = sha1::Sha1::digest(password.as_bytes());
                let ours: String = digest.iter().map(|b| format!("{b:02x}")).collect();
                ours.eq_ignore_ascii_case(hex)
            }
            None => password == self.password,
        }
    }
}

async fn rpc2(State(dispatcher): State<Arc<Dispatcher>>, body: Bytes) -> Response {
    match dispatcher.handle(&body).await {
        Ok(xml) => ([(header::CONTENT_TYPE, "text/xml")], xml).into_response(),
        // Only the reason is answered, never the body: nothing is echoed.
        Err(bad) => (StatusCode::BAD_REQUEST, bad.to_string()).into_response(),
    }
}

/// What the authentication layer needs: the credentials and the failures.
#[derive(Clone)]
struct Auth {
    credentials: Option<Arc<Credentials>>,
    body_limit: usize,
    throttle: Arc<Throttle>,
}

/// 4.3.0's (medusa's) 401 page.
const UNAUTHORIZED_PAGE: &str = "<head>\r\n<title>Error response</title>\r\n</head>\r\n<body>\r\n\
                                 <h1>Error response</h1>\r\n<p>Error code 401.\r\n<p>Message: Unauthorized.\r\n\
                                 </body>\r\n";

async fn authenticate(
    State(auth): State<Auth>,
    headers: HeaderMap,
    request: axum::extract::Request,
    next: Next,
) -> Response {
    if let Some(c) = auth.credentials {
        let ok = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).is_some_and(|v| c.accepts(v));
        // Requests served without the accept loop (tests) count as one client.
        let peer = request.extensions().get::<Peer>().copied().unwrap_or(Peer::Uid(None));
        if ok {
            auth.throttle.succeed(peer);
        } else {
            // Read what the client sends (up to the body limit) before
            // answering and closing: a client still writing its request
            // would otherwise hit a closed socket (EPIPE) instead of
            // reading the 401.
            let _ = axum::body::to_bytes(request.into_body(), auth.body_limit).await;
            let wait = auth.throttle.fail(peer, std::time::Instant::now());
            if !wait.is_zero() {
                tokio::time::sleep(wait).await;
            }
            let mut response =
                (StatusCode::UNAUTHORIZED, [(header::CONTENT_TYPE, "text/html")], UNAUTHORIZED_PAGE).into_response();
            let h = response.headers_mut();
            h.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"default\""));
            h.insert(header::CONNECTION, HeaderValue::from_static("close"));
            return response;
        }
    }
    next.run(request).await
}

/// The router one server serves: the API, plus the log streams and the web
/// page when a supervisor is given.
pub fn router(
    dispatcher: Arc<Dispatcher>,
    credentials: Option<Credentials>,
    body_limit: usize,
    logs: Option<supervisor_core::supervisor::Supervisor>,
) -> Router {
    let api = Router::new().route("/RPC2", post(rpc2)).route("/RPC2/{*rest}", post(rpc2)).with_state(dispatcher);
    let app = match logs {
        Some(sv) => api.merge(crate::logtail::routes(sv.clone())).merge(crate::web::routes(sv)),
        None => api,
    };
    app.layer(DefaultBodyLimit::max(body_limit))
        .layer(middleware::from_fn_with_state(
            Auth { credentials: credentials.map(Arc::new), body_limit, throttle: Arc::default() },
            authenticate,
        ))
        .layer(middleware::map_response(server_header))
}

/// What 4.3.0's server calls itself, on every answer (clients and
/// monitoring probes look at it).
pub const SERVER: &str = "Medusa/1.12";

async fn server_header(mut response: Response) -> Response {
    response.headers_mut().insert(header::SERVER, HeaderValue::from_static(SERVER));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basic(s: &str) -> String {
        format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(s))
    }

    #[test]
    fn plain_and_sha_passwords() {
        let plain = Credentials { username: "user".into(), password: "123".into() };
        assert!(plain.accepts(&basic("user:123")));
        assert!(!plain.accepts(&basic("user:124")));
        assert!(!plain.accepts(&basic("other:123")));
        assert!(!plain.accepts("Basic !!!"));
        assert!(!plain.accepts("Bearer x"));
        // sha1("123") = 40bd001563085fc35165329ea1ff5c5ecbdbbeef
        let sha =
            Credentials { username: "user".into(), password: "{SHA}40bd001563085fc35165329ea1ff5c5ecbdbbeef".into() };
        assert!(sha.accepts(&basic("user:123")));
        assert!(!sha.accepts(&basic("user:{SHA}40bd001563085fc35165329ea1ff5c5ecbdbbeef")));
    }
}
