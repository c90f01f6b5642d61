//! `/` and `/index.html`: every process's state, description and actions;
//! with `action=`, the action first, then a 301 back to the page with
//! 4.3.0's message. Each action link carries a token (after 4.3.0's
//! parameters) that lets it act whatever the request's headers say.

use std::fmt::Write;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use supervisor_core::process::ProcessState;
use supervisor_core::supervisor::{ControlError, ProcessInfo, Supervisor, Target, Wait};

use super::form::{self, quote};
use super::page::{HEADERS, escape, html};
use super::token;
use crate::faults::FaultString;
use crate::namespec;
use crate::supervisor_ns::SUPERVISOR_VERSION;

/// Python's `time.ctime()`: `Sat Nov 21 22:30:01 2026`.
fn ctime() -> String {
    chrono::Local::now().format("%a %b %e %H:%M:%S %Y").to_string()
}

fn unexpected(e: ControlError) -> String {
    FaultString::from(e).unexpected()
}

/// Why an action could not even be tried.
enum NotDone {
    UnknownAction,
    NoProcessName,
}

/// Carries out `action` and gives 4.3.0's message for it. Names are used
/// as given, as 4.3.0 does (`foo:foo` stays `foo:foo`).
async fn act(sv: &Supervisor, action: &str, name: Option<&str>) -> Result<String, NotDone> {
    match action {
        "refresh" => return Ok(format!("Page refreshed at {}", ctime())),
        "stopall" => {
            let _ = sv.stop_processes(Target::All, Wait::Yes).await;
            return Ok(format!("All stopped at {}", ctime()));
        }
        "restartall" => {
            let _ = sv.stop_processes(Target::All, Wait::Yes).await;
            let _ = sv.start_processes(Target::All, Wait::Yes).await;
            return Ok(format!("All restarted at {}", ctime()));
        }
        _ => {}
    }
    let name = name.ok_or(NotDone::NoProcessName)?;
    // Only a process, not a group or `group:*`.
    if let Err(ControlError::BadName(_)) = namespec::exists(sv, name).await {
        return Ok(format!("No such process named {name}"));
    }
    Ok(match action {
        "start" => match namespec::start_one(sv, name, true).await {
            Ok(()) => format!("Process {name} started"),
            Err(e) => {
                let why = match e {
                    ControlError::NoFile(_) => "no such file".to_owned(),
                    ControlError::NotExecutable(_) => "file not executable".to_owned(),
                    ControlError::AlreadyStarted(_) => "already started".to_owned(),
                    ControlError::SpawnError(_) => "spawn error".to_owned(),
                    ControlError::AbnormalTermination(_) => "abnormal termination".to_owned(),
                    other => unexpected(other),
                };
                format!("ERROR: Process {name}: {why}")
            }
        },
        "stop" => match namespec::stop_one(sv, name, true).await {
            Ok(()) => format!("Process {name} stopped"),
            Err(e) => unexpected(e),
        },
        // As 4.3.0: a stop then a start, whatever each gives.
        "restart" => {
            let _ = namespec::stop_one(sv, name, true).await;
            let _ = namespec::start_one(sv, name, true).await;
            format!("Process {name} restarted")
        }
        "clearlog" => match sv.clear_logs(&namespec::process(name)).await {
            Ok(()) => format!("Log for {name} cleared"),
            Err(_) => unexpected(ControlError::Failed(name.to_owned())),
        },
        _ => return Err(NotDone::UnknownAction),
    })
}

fn state_class(state: ProcessState) -> &'static str {
    match state {
        ProcessState::Running => "statusrunning",
        ProcessState::Fatal | ProcessState::Backoff => "statuserror",
        _ => "statusnominal",
    }
}

/// The link that asks `action` on `name` (none for the actions on all),
/// with its token for `headers`' credentials.
fn action_href(headers: &HeaderMap, action: &str, name: Option<&str>) -> String {
    let t = token::token(headers, action, name.unwrap_or(""));
    match name {
        Some(name) => {
            format!("index.html?processname={}&amp;action={action}&amp;{}={t}", quote(name), token::PARAMETER)
        }
        None => format!("index.html?action={action}&amp;{}={t}", token::PARAMETER),
    }
}

/// The action links for a process in `state`, as 4.3.0 offers them.
fn actions(out: &mut String, headers: &HeaderMap, state: ProcessState, name: &str) {
    let q = quote(name);
    let act = |label: &str, what: &str| format!("<a href=\"{}\">{label}</a>", action_href(headers, what, Some(name)));
    let mut links = Vec::new();
    match state {
        ProcessState::Running => {
            links.push(act("Restart", "restart"));
            links.push(act("Stop", "stop"));
        }
        ProcessState::Stopped | ProcessState::Exited | ProcessState::Fatal => links.push(act("Start", "start")),
        _ => {}
    }
    links.push(act("Clear Log", "clearlog"));
    links.push(format!("<a href=\"logtail/{q}\" target=\"_blank\">Tail -f Stdout</a>"));
    links.push(format!("<a href=\"logtail/{q}/stderr\" target=\"_blank\">Tail -f Stderr</a>"));
    out.push_str("<ul class=\"actions\">");
    for link in links {
        let _ = write!(out, "<li>{link}</li>");
    }
    out.push_str("</ul>");
}

/// With `event_stream`: the table is fetched again (a plain refresh,
/// never an action) shortly after each state change `/events` tells of,
/// or after a lag (`supervisorEvents` is the page's `EventSource`).
/// Without JavaScript the page is what it always was, Refresh link and all.
const LIVE_SCRIPT: &str = "<script>
if (window.EventSource && window.fetch && window.DOMParser) {
  var supervisorWaiting = false;
  var supervisorRefresh = function () {
    if (supervisorWaiting) { return; }
    supervisorWaiting = true;
    setTimeout(function () {
      supervisorWaiting = false;
      fetch(location.pathname, { credentials: 'same-origin' })
        .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
        .then(function (html) {
          var fresh = new DOMParser().parseFromString(html, 'text/html').querySelector('main table');
          var shown = document.querySelector('main table');
          if (fresh && shown) { shown.replaceWith(fresh); }
        })
        .catch(function () {});
    }, 200);
  };
  var supervisorEvents = new EventSource('events');
  supervisorEvents.addEventListener('state', supervisorRefresh);
  supervisorEvents.addEventListener('lagged', supervisorRefresh);
}
</script>
";

/// The table; `infos` come sorted by group and name; `headers` are the
/// request's (its credentials sign the links).
fn render(infos: Vec<ProcessInfo>, message: Option<&str>, headers: &HeaderMap, live: bool) -> Response {
    let mut body = String::from("<header><h1>Supervisor Status</h1></header>\n<main>\n");
    if let Some(m) = message {
        let _ = writeln!(body, "<div class=\"status_msg\">{}</div>", escape(m));
    }
    body.push_str("<ul class=\"buttons\">");
    for (label, action) in [("Refresh", "refresh"), ("Restart All", "restartall"), ("Stop All", "stopall")] {
        let _ =
            write!(body, "<li><a class=\"button\" href=\"{}\">{label}</a></li>", action_href(headers, action, None));
    }
    body.push_str("</ul>\n");
    if infos.is_empty() {
        body.push_str("<p>No programs to manage</p>\n");
    } else {
        body.push_str("<table>\n<tr><th>State</th><th>Description</th><th>Name</th><th>Action</th></tr>\n");
        for (i, info) in infos.iter().enumerate() {
            let name = info.process.to_string();
            let shade = if i % 2 == 1 { " class=\"shade\"" } else { "" };
            let _ = write!(
                body,
                "<tr{shade}><td class=\"{}\">{}</td><td>{}</td><td><a href=\"tail.html?processname={}\" target=\"_blank\">{}</a></td><td>",
                state_class(info.state),
                info.state.name().to_lowercase(),
                escape(&info.description),
                quote(&name),
                escape(&name),
            );
            actions(&mut body, headers, info.state, &name);
            body.push_str("</td></tr>\n");
        }
        body.push_str("</table>\n");
    }
    if live {
        body.push_str(LIVE_SCRIPT);
    }
    let _ = write!(
        body,
        "</main>\n<footer>Supervisor {SUPERVISOR_VERSION} (supervisor-rs), {}</footer>\n",
        chrono::Local::now().format("%Y")
    );
    html("Supervisor Status", &body)
}

/// The status page, after the action it was asked for.
pub async fn page(
    State(sv): State<Arc<Supervisor>>,
    axum::Extension(live): axum::Extension<super::LiveTable>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = form::parse(uri.query(), &form::post_body(&method, &body));
    let Some(action) = form.get("action").cloned() else {
        return render(sv.processes().await, form.get("message").map(String::as_str), &headers, live.0);
    };
    // 4.3.0 acts only on GET and POST; a HEAD (link previews) must not act.
    if method == Method::HEAD {
        return StatusCode::METHOD_NOT_ALLOWED.into_response();
    }
    // A link of our page acts whatever the headers say (a proxy may have
    // rewritten `Host`); without its token, a browser's request from
    // another site's page does not.
    let name = form.get("processname").cloned();
    let signed =
        form.get(token::PARAMETER).is_some_and(|t| token::valid(&headers, &action, name.as_deref().unwrap_or(""), t));
    if action != "refresh" && !signed && super::from_another_site(&headers) {
        return (StatusCode::FORBIDDEN, "Forbidden: an action asked from another site's page").into_response();
    }
    // The action runs to its end even if the client goes away, so a
    // restart never stops without starting again.
    let acting = tokio::spawn(async move { act(&sv, &action, name.as_deref()).await });
    let message = match acting.await {
        Ok(Ok(message)) => message,
        Ok(Err(NotDone::NoProcessName)) => {
            return (StatusCode::BAD_REQUEST, "Bad Request: the action needs a processname").into_response();
        }
        Ok(Err(NotDone::UnknownAction)) => {
            return (StatusCode::BAD_REQUEST, "Bad Request: no such action").into_response();
        }
        Err(_) => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    };
    // Relative: right behind a proxy and on a unix socket alike.
    let location = format!("/?message={}", quote(&message));
    (StatusCode::MOVED_PERMANENTLY, HEADERS, [(header::LOCATION, location)]).into_response()
}
