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

use crate::dispatch::{Dispatcher, Logger};
use crate::metrics::ApiMetrics;
use crate::throttle::{Peer, Throttle};
use supervisor_core::config::LogLevel;

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

/// The API and where its calls are counted.
#[derive(Clone)]
struct Api {
    dispatcher: Arc<Dispatcher>,
    /// None without `metrics = true` anywhere: calls are not counted.
    metrics: Option<Arc<ApiMetrics>>,
}

async fn rpc2(State(api): State<Api>, body: Bytes) -> Response {
    let began = std::time::Instant::now();
    match api.dispatcher.handle_observed(&body).await {
        Ok((xml, answered)) => {
            if let Some(metrics) = &api.metrics {
                metrics.record(answered.method.as_deref(), answered.fault, began.elapsed());
            }
            ([(header::CONTENT_TYPE, "text/xml")], xml).into_response()
        }
        // Only the reason is answered, never the body: nothing is echoed.
        Err(bad) => (StatusCode::BAD_REQUEST, bad.to_string()).into_response(),
    }
}

/// A TCP client's address, for the access log (none on a unix socket).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RemoteAddr(pub Option<std::net::SocketAddr>);

/// Medusa's access log line, which 4.3.0 writes at TRAC once the answer
/// is all produced, e.g.
/// `localhost:0 - - [06/Dec/2026:04:01:38 +0000] "POST /RPC2 HTTP/1.1" 200 251`.
/// The date is UTC followed by the local standard offset, as medusa writes
/// it; the size is our answer's, header included. (4.3.0 logs a line that
/// says "error" anywhere, say in its path, at ERRO instead; that would add
/// lines at the default level, so ours stays TRAC.)
async fn access_log(State(log): State<Logger>, request: axum::extract::Request, next: Next) -> Response {
    let who = match request.extensions().get::<RemoteAddr>().and_then(|r| r.0) {
        Some(addr) => format!("{}:{}", addr.ip(), addr.port()),
        None => "localhost:0".to_owned(),
    };
    let line = format!("{} {} {:?}", request.method(), request.uri(), request.version());
    let response = next.run(request).await;
    let status = response.status().as_u16();
    let head = head_size(&response);
    let mut done = Logged { log, who, line, status, bytes: head };
    match axum::body::HttpBody::size_hint(response.body()).exact() {
        Some(n) => {
            done.bytes += n;
            drop(done);
            response
        }
        // A stream (`/logtail`): logged when it ends.
        None => {
            let (parts, body) = response.into_parts();
            let body = futures_util::StreamExt::map(body.into_data_stream(), move |chunk| {
                // The whole guard moves in (not just its count), so it
                // drops with the stream.
                let done: &mut Logged = &mut done;
                if let Ok(bytes) = &chunk {
                    done.bytes += bytes.len() as u64;
                }
                chunk
            });
            Response::from_parts(parts, axum::body::Body::from_stream(body))
        }
    }
}

/// Writes its access log line when dropped.
struct Logged {
    log: Logger,
    who: String,
    line: String,
    status: u16,
    bytes: u64,
}

impl Drop for Logged {
    fn drop(&mut self) {
        let when = log_date(chrono::Utc::now());
        let message = format!("{} - - [{when}] \"{}\" {} {}", self.who, self.line, self.status, self.bytes);
        (self.log)(LogLevel::Trace, &message);
    }
}

/// What hyper writes before the body: status line, headers (with the
/// `date` and `content-length` it adds), blank line.
fn head_size(response: &Response) -> u64 {
    let status = response.status();
    let mut n = "HTTP/1.1 ".len() + 3 + 1 + status.canonical_reason().unwrap_or("").len() + 2;
    for (name, value) in response.headers() {
        n += name.as_str().len() + 2 + value.len() + 2;
    }
    n += "date: Sun, 06 Dec 2026 04:01:38 GMT\r\n".len();
    if let Some(len) = axum::body::HttpBody::size_hint(response.body()).exact()
        && !response.headers().contains_key(header::CONTENT_LENGTH)
    {
        n += "content-length: \r\n".len() + len.to_string().len();
    }
    (n + 2) as u64
}

/// Medusa's `log_date_string`: the time in UTC, then the local offset
/// from UTC outside daylight saving time (`time.timezone`).
fn log_date(now: chrono::DateTime<chrono::Utc>) -> String {
    use chrono::{Datelike, Offset, TimeZone};
    let standard = [1, 7]
        .into_iter()
        .filter_map(|month| chrono::Utc.with_ymd_and_hms(now.year(), month, 1, 0, 0, 0).single())
        .map(|t| chrono::Local.offset_from_utc_datetime(&t.naive_utc()).fix().local_minus_utc())
        .min()
        .unwrap_or(0);
    let sign = if standard < 0 { '-' } else { '+' };
    let minutes = standard.unsigned_abs() / 60;
    format!("{} {sign}{:02}{:02}", now.format("%d/%b/%Y:%H:%M:%S"), minutes / 60, minutes % 60)
}

/// What the authentication layer needs: the credentials and the failures.
#[derive(Clone)]
struct Auth {
    credentials: Option<Arc<Credentials>>,
    throttle: Arc<Throttle>,
}

/// How long a refused request's body may take to arrive before the 401 is
/// sent anyway.
const DRAIN_LIMIT: std::time::Duration = std::time::Duration::from_secs(5);

/// The largest body of a refused request that is read before the 401.
const DRAIN_MAX: u64 = 64 << 10;

/// Reads a body to its end (at most [`DRAIN_MAX`] bytes), keeping nothing.
async fn discard(body: axum::body::Body) {
    let mut stream = body.into_data_stream();
    let mut seen = 0u64;
    while let Some(Ok(chunk)) = futures_util::StreamExt::next(&mut stream).await {
        seen += chunk.len() as u64;
        if seen > DRAIN_MAX {
            return;
        }
    }
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
            // Read (and discard) what the client sends before answering
            // and closing: a client still writing its request would
            // otherwise hit a closed socket (EPIPE) instead of reading the
            // 401. Only a small body, for a short time, and never one the
            // client waits to be asked for (`Expect: 100-continue`).
            let small = headers
                .get(header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok()?.parse::<u64>().ok())
                .is_some_and(|n| n <= DRAIN_MAX);
            if small && !headers.contains_key(header::EXPECT) {
                let _ = tokio::time::timeout(DRAIN_LIMIT, discard(request.into_body())).await;
            }
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

/// What a server serves besides the API, and where its calls are counted.
#[derive(Clone, Default)]
#[non_exhaustive]
pub struct Features {
    /// The supervisor whose log streams and web page are served.
    pub supervisor: Option<supervisor_core::supervisor::Supervisor>,
    /// Serve `GET /metrics` (`metrics = true`; needs the supervisor).
    pub metrics: bool,
    /// The API's counters, shared by every server of the daemon; none when
    /// no server serves `/metrics` (then calls are not counted at all).
    pub api_metrics: Option<Arc<ApiMetrics>>,
    /// Serve `GET /events` from this log (`event_stream = true`; needs
    /// the supervisor).
    pub event_stream: Option<Arc<crate::sse::EventLog>>,
}

impl Features {
    /// The log streams and web page of `supervisor`, no more.
    pub fn with_supervisor(supervisor: supervisor_core::supervisor::Supervisor) -> Features {
        Features { supervisor: Some(supervisor), ..Features::default() }
    }
}

/// The router one server serves: the API, plus the log streams, the web
/// page and what `features` turns on when a supervisor is given.
pub fn router(
    dispatcher: Arc<Dispatcher>,
    credentials: Option<Credentials>,
    body_limit: usize,
    features: Features,
) -> Router {
    let dispatcher_log = dispatcher.log(LogLevel::Trace).cloned();
    let api_metrics = features.api_metrics.clone().or_else(|| features.metrics.then(Arc::default));
    let api = Api { dispatcher, metrics: api_metrics.clone() };
    let api = Router::new().route("/RPC2", post(rpc2)).route("/RPC2/{*rest}", post(rpc2)).with_state(api);
    let app = match features.supervisor {
        Some(sv) => {
            let live = features.event_stream.is_some();
            let mut app =
                api.merge(crate::logtail::routes(sv.clone())).merge(crate::web::routes_live(sv.clone(), live));
            if let Some(log) = features.event_stream {
                let route = crate::sse::EventsRoute { log, supervisor: sv.clone() };
                app = app.route("/events", axum::routing::get(crate::sse::serve).with_state(route));
            }
            if let Some(api) = api_metrics.filter(|_| features.metrics) {
                let route = crate::metrics::MetricsRoute { supervisor: sv, api };
                app = app.route("/metrics", axum::routing::get(crate::metrics::serve).with_state(route));
            }
            app
        }
        None => api,
    };
    let log = dispatcher_log;
    let app = app
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(middleware::from_fn_with_state(
            Auth { credentials: credentials.map(Arc::new), throttle: Arc::default() },
            authenticate,
        ))
        .layer(middleware::map_response(server_header));
    match log {
        Some(log) => app.layer(middleware::from_fn_with_state(log, access_log)),
        None => app,
    }
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
    fn medusa_log_dates() {
        use chrono::TimeZone;
        let when = chrono::Utc.with_ymd_and_hms(2026, 12, 6, 4, 1, 38).unwrap();
        let text = log_date(when);
        let (date, offset) = text.split_once(' ').unwrap();
        assert_eq!(date, "06/Dec/2026:04:01:38");
        assert!(offset.len() == 5 && (offset.starts_with('+') || offset.starts_with('-')), "{offset}");
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
