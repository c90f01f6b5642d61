//! The web page 4.3.0 serves beside the API: `/` and `/index.html` (the
//! status table and its actions), `/tail.html` (the end of a process's
//! stdout), `/ok.html` (a liveness probe) and the page's style sheet.
//!
//! Actions are plain links, as in 4.3.0, so scripts that fetch
//! `index.html?processname=x&action=restart` keep working; but a browser's
//! request that shows it was sent from another site's page may not act
//! (4.3.0's #19, cross-site request forgery): see [`from_another_site`].
//! The page's own links carry a token (see `token.rs`) and act whatever the
//! headers say, so a reverse proxy that rewrites `Host` does not make them
//! look foreign.

mod form;
mod page;
mod status;
mod tail;
mod token;

use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use supervisor_core::supervisor::Supervisor;

/// The web page's routes for `supervisor`.
pub fn routes(supervisor: Supervisor) -> Router {
    routes_live(supervisor, false)
}

/// Whether the status page updates its table from `/events`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LiveTable(pub bool);

/// [`routes`]; with `live`, the status page updates its table as `/events`
/// (`event_stream = true`) tells of changes.
pub fn routes_live(supervisor: Supervisor, live: bool) -> Router {
    token::init();
    Router::new()
        .route("/", get(status::page).post(status::page))
        .route("/index.html", get(status::page).post(status::page))
        .route("/tail.html", get(tail::page).post(tail::page))
        .route("/ok.html", get(ok).post(ok))
        .route("/stylesheets/supervisor.css", get(stylesheet))
        .layer(axum::Extension(LiveTable(live)))
        .with_state(Arc::new(supervisor))
}

async fn ok() -> Response {
    ([(header::CONTENT_TYPE, "text/plain")], "OK").into_response()
}

async fn stylesheet() -> Response {
    ([(header::CONTENT_TYPE, "text/css")], page::STYLESHEET).into_response()
}

/// Whether a browser sent this request from a page of another site: its
/// `Sec-Fetch-Site` says so, or its `Origin` or `Referer` names another
/// host than the one asked. Scripts (curl, wget) send none of them and may
/// act. Browsers send `Sec-Fetch-Site` only to https and localhost, and a
/// page can withhold its referrer, so over plain http to another address
/// this stops the usual forgeries, not a determined one. Asked only of a
/// request without a valid token: behind a proxy that rewrites `Host`, the
/// page's own `Referer` names another host than the one asked.
pub fn from_another_site(headers: &HeaderMap) -> bool {
    let text = |name| headers.get(name).and_then(|v: &axum::http::HeaderValue| v.to_str().ok());
    if let Some(site) = text("sec-fetch-site") {
        return !matches!(site, "same-origin" | "none");
    }
    let host = text("host");
    let foreign = |url: &str| {
        let authority = url.split_once("://").map(|(_, rest)| rest.split('/').next().unwrap_or(""));
        authority.is_none() || authority != host
    };
    text("origin").is_some_and(foreign) || text("referer").is_some_and(foreign)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn only_requests_from_another_site_are_refused() {
        assert!(!from_another_site(&headers(&[])), "a script");
        assert!(!from_another_site(&headers(&[("sec-fetch-site", "same-origin")])));
        assert!(!from_another_site(&headers(&[("sec-fetch-site", "none")])), "typed in the address bar");
        assert!(from_another_site(&headers(&[("sec-fetch-site", "cross-site")])));
        // Another port on the same host is the same site, not the same origin.
        assert!(from_another_site(&headers(&[("sec-fetch-site", "same-site")])));
        assert!(!from_another_site(&headers(&[("origin", "http://h:9001"), ("host", "h:9001")])));
        assert!(from_another_site(&headers(&[("origin", "http://evil.example"), ("host", "h:9001")])));
        assert!(from_another_site(&headers(&[("origin", "null"), ("host", "h:9001")])));
        assert!(!from_another_site(&headers(&[("referer", "http://h:9001/index.html?x=1"), ("host", "h:9001")])));
        assert!(from_another_site(&headers(&[("referer", "http://evil.example/page"), ("host", "h:9001")])));
    }
}
