//! `/tail.html?processname=X[&limit=N]`: the last `max(1024, N)` bytes of
//! a process's stdout log, with a link that reloads it.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::Uri;
use axum::response::Response;
use supervisor_core::events::Channel;
use supervisor_core::supervisor::{ControlError, Supervisor};

use super::form::{self, quote};
use super::page::{escape, html};
use crate::faults::FaultString;

/// How many bytes to show: at least 1024, more when `limit` says so.
fn limit(asked: Option<&str>) -> i64 {
    asked.filter(|l| l.bytes().all(|b| b.is_ascii_digit())).and_then(|l| l.parse::<i64>().ok()).unwrap_or(0).max(1024)
}

/// The tail page.
pub async fn page(State(sv): State<Arc<Supervisor>>, uri: Uri, body: Bytes) -> Response {
    let form = form::parse(uri.query(), &body);
    let name = form.get("processname");
    let limit = limit(form.get("limit").map(String::as_str));
    let text = match name {
        None => "No process name found".to_owned(),
        Some(name) => match sv.read_log(name, Channel::Stdout, -limit, 0).await {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(ControlError::NoFile(_)) => format!("No file for {name}"),
            Err(e) => {
                let fault = FaultString::from(e);
                format!("ERROR: unexpected rpc fault [{}] {fault}", fault.fault.code())
            }
        },
    };
    let shown = name.map_or("None", String::as_str);
    let title = format!("Supervisor tail of process {shown}");
    let mut body = format!("<header><h1>{}</h1></header>\n<main>\n", escape(&title));
    if let Some(name) = name {
        body.push_str(&format!(
            "<ul class=\"buttons\"><li><a class=\"button\" href=\"tail.html?processname={}&amp;limit={limit}\">Refresh</a></li></ul>\n",
            quote(name)
        ));
    }
    body.push_str(&format!("<pre>{}</pre>\n</main>\n", escape(&text)));
    html(&title, &body)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_limit_is_at_least_1024_and_only_digits_count() {
        assert_eq!(super::limit(None), 1024);
        assert_eq!(super::limit(Some("10")), 1024);
        assert_eq!(super::limit(Some("4096")), 4096);
        assert_eq!(super::limit(Some("-5000")), 1024);
        assert_eq!(super::limit(Some("9x")), 1024);
    }
}
