//! `/tail.html?processname=X[&limit=N]`: the last `max(1024, N)` bytes of
//! a process's stdout log, with a link that reloads it.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{Method, Uri};
use axum::response::Response;
use supervisor_core::events::Channel;
use supervisor_core::supervisor::Supervisor;

use super::form::{self, quote};
use super::page::html;
use crate::faults::Fault;
use crate::namespec;

/// The most the page shows (4.3.0 has no bound): the page is held and
/// escaped in memory, and anyone's page can embed the link.
pub const MOST: i64 = 4 * 1024 * 1024;

/// How many bytes to show: at least 1024, at most [`MOST`].
fn limit(asked: Option<&str>) -> i64 {
    let digits = asked.filter(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_digit()));
    // All digits yet unparsable means huge: the most.
    digits.map_or(0, |l| l.parse::<i64>().unwrap_or(MOST)).clamp(1024, MOST)
}

/// The tail page.
pub async fn page(State(sv): State<Arc<Supervisor>>, method: Method, uri: Uri, body: Bytes) -> Response {
    let form = form::parse(uri.query(), &form::post_body(&method, &body));
    let name = form.get("processname");
    let limit = limit(form.get("limit").map(String::as_str));
    let text = match name {
        None => "No process name found".to_owned(),
        Some(name) => match namespec::read_log(&sv, name, Channel::Stdout, -limit, 0).await {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(f) if f.fault == Fault::NoFile => format!("No file for {name}"),
            Err(f) => format!("ERROR: {}", f.unexpected()),
        },
    };
    let title = format!("Supervisor tail of process {}", name.map_or("None", String::as_str));
    let mut body = String::with_capacity(text.len() + 512);
    body.push_str("<header><h1>");
    crate::xml::escape_into(&mut body, &title);
    body.push_str("</h1></header>\n<main>\n");
    if let Some(name) = name {
        body.push_str(&format!(
            "<ul class=\"buttons\"><li><a class=\"button\" href=\"tail.html?processname={}&amp;limit={limit}\">Refresh</a></li></ul>\n",
            quote(name)
        ));
    }
    body.push_str("<pre>");
    crate::xml::escape_into(&mut body, &text);
    body.push_str("</pre>\n</main>\n");
    html(&title, &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_is_between_1024_and_the_most() {
        assert_eq!(limit(None), 1024);
        assert_eq!(limit(Some("10")), 1024);
        assert_eq!(limit(Some("4096")), 4096);
        assert_eq!(limit(Some("-5000")), 1024);
        assert_eq!(limit(Some("9x")), 1024);
        assert_eq!(limit(Some("99999999999")), MOST);
        assert_eq!(limit(Some("99999999999999999999999")), MOST);
    }
}
