//! The web page against a real supervisord: the status table and its
//! actions, with 4.3.0's redirects and messages, the tail page, the
//! liveness probe, authentication, and no actions from another site.

mod common;
use common::*;

use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

const AUTH: &str = "Authorization: Basic dXNlcjpwYXNz\r\n"; // user:pass

fn get(sock: &Path, path: &str, extra: &str) -> Answer {
    send(sock, &format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n{extra}\r\n"))
}

fn send(sock: &Path, request: &str) -> Answer {
    let mut s = UnixStream::connect(sock).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(30))).expect("timeout");
    exchange(&mut s, request)
}

/// The redirect's message, as the page would show it.
fn message(answer: &Answer) -> String {
    assert_eq!(answer.status, 301, "{}\n{}", answer.head, answer.body);
    let location = answer.header("location").expect("a Location");
    let (_, quoted) = location.split_once("/?message=").unwrap_or_else(|| panic!("{location}"));
    percent_decode(quoted)
}

/// The row of `name` in the status table.
fn row<'a>(page: &'a str, name: &str) -> &'a str {
    let marker = format!(">{name}</a>");
    page.lines()
        .find(|l| l.starts_with("<tr") && l.contains(&marker))
        .unwrap_or_else(|| panic!("no row for {name}: {page}"))
}

#[test]
fn the_status_page_acts_and_answers_as_4_3_0_does() {
    let dir = tempfile::tempdir().expect("tempdir");
    let programs = "[program:talk]\ncommand=sh -c 'echo \"<hello> & bye\"; exec sleep 300'\nstartsecs=0\n\
                    [program:idle]\ncommand=sleep 300\nautostart=false\nstartsecs=0\n";
    let text = format!("{}{programs}", daemon_sections(dir.path(), "username=user\npassword=pass\n"));
    let (_guard, _) = start_daemon(&write_conf(dir.path(), &text));
    let sock = dir.path().join("s.sock");
    wait_until("the socket", || UnixStream::connect(&sock).is_ok());
    wait_until("talk running", || row(&get(&sock, "/", AUTH).body, "talk").contains("statusrunning"));

    // Every page is behind the same authentication as the API.
    for path in ["/", "/index.html", "/tail.html?processname=talk", "/ok.html", "/stylesheets/supervisor.css"] {
        assert_eq!(get(&sock, path, "").status, 401, "{path}");
    }
    assert_eq!(get(&sock, "/ok.html", AUTH).body, "OK");

    let page = get(&sock, "/", AUTH);
    assert_eq!(page.status, 200);
    assert_eq!(page.header("content-type"), Some("text/html;charset=utf-8"));
    assert_eq!(page.header("cache-control"), Some("no-cache"));
    assert_eq!(page.header("x-frame-options"), Some("DENY"), "no other site may frame the page");
    let talk = row(&page.body, "talk");
    assert!(talk.contains(">running<") && talk.contains("pid "), "{talk}");
    assert!(
        talk.contains("action=restart") && talk.contains("action=stop") && !talk.contains("action=start"),
        "{talk}"
    );
    assert!(talk.contains("href=\"logtail/talk\"") && talk.contains("href=\"logtail/talk/stderr\""));
    let idle = row(&page.body, "idle");
    assert!(idle.contains(">stopped<") && idle.contains("action=start") && !idle.contains("action=stop"), "{idle}");

    // Actions redirect back with 4.3.0's messages, and really act.
    let started = get(&sock, "/index.html?processname=idle&action=start", AUTH);
    assert_eq!(message(&started), "Process idle started");
    assert_eq!(started.header("location"), Some("/?message=Process%20idle%20started"));
    // Never cached: a second click on the same link acts again.
    assert_eq!(started.header("cache-control"), Some("no-cache"));
    assert!(row(&get(&sock, "/", AUTH).body, "idle").contains(">running<"));
    assert_eq!(message(&get(&sock, "/?processname=idle&action=restart", AUTH)), "Process idle restarted");
    assert_eq!(message(&get(&sock, "/?processname=idle&action=stop", AUTH)), "Process idle stopped");
    assert!(row(&get(&sock, "/", AUTH).body, "idle").contains(">stopped<"));
    assert_eq!(message(&get(&sock, "/?processname=nope&action=stop", AUTH)), "No such process named nope");
    assert_eq!(message(&get(&sock, "/?processname=talk&action=start", AUTH)), "ERROR: Process talk: already started");
    assert!(message(&get(&sock, "/?action=refresh", AUTH)).starts_with("Page refreshed at "));
    // The message is shown, escaped.
    let shown = get(&sock, "/?message=%3Cb%3Edone", AUTH);
    assert!(shown.body.contains("<div class=\"status_msg\">&lt;b&gt;done</div>"), "{}", shown.body);

    // The tail page shows stdout, escaped.
    let tail = get(&sock, "/tail.html?processname=talk", AUTH);
    assert_eq!(tail.status, 200);
    assert!(tail.body.contains("&lt;hello&gt; &amp; bye"), "{}", tail.body);
    assert!(tail.body.contains("Supervisor tail of process talk"));
    assert!(get(&sock, "/tail.html", AUTH).body.contains("No process name found"));
    let longer = get(&sock, "/tail.html?processname=talk&limit=5000", AUTH);
    assert!(longer.body.contains("href=\"tail.html?processname=talk&amp;limit=5000\""), "{}", longer.body);
    assert_eq!(message(&get(&sock, "/?processname=talk&action=clearlog", AUTH)), "Log for talk cleared");
    assert!(!get(&sock, "/tail.html?processname=talk", AUTH).body.contains("hello"));

    // A browser's request from another site may look but not act.
    let forged = get(&sock, "/?processname=talk&action=stop", &format!("{AUTH}Sec-Fetch-Site: cross-site\r\n"));
    assert_eq!(forged.status, 403);
    let forged = get(&sock, "/?processname=talk&action=stop", &format!("{AUTH}Origin: http://evil.example\r\n"));
    assert_eq!(forged.status, 403);
    assert!(row(&get(&sock, "/", AUTH).body, "talk").contains(">running<"), "nothing was stopped");
    let forged = get(&sock, "/?processname=talk&action=stop", &format!("{AUTH}Referer: http://evil.example/x\r\n"));
    assert_eq!(forged.status, 403);
    assert!(row(&get(&sock, "/", AUTH).body, "talk").contains(">running<"), "nothing was stopped");
    // The page's own links carry a token bound to the credentials, the
    // action and the process, and act whatever the headers say (behind a
    // proxy that rewrites Host, the page's own Referer looks foreign).
    let talk = row(&get(&sock, "/", AUTH).body, "talk").to_owned();
    let clear =
        talk.split("href=\"").map(|r| r.split('"').next().unwrap_or("")).find(|h| h.contains("action=clearlog"));
    let clear = format!("/{}", clear.expect("a Clear Log link").replace("&amp;", "&"));
    assert!(clear.contains("&token="), "{clear}");
    let cross = format!("{AUTH}Sec-Fetch-Site: cross-site\r\nReferer: http://proxy.example/\r\n");
    assert_eq!(message(&get(&sock, &clear, &cross)), "Log for talk cleared");
    for forged in
        [clear.replace("action=clearlog", "action=stop"), clear.replace("processname=talk", "processname=idle")]
    {
        assert_eq!(get(&sock, &forged, &cross).status, 403, "{forged}");
    }
    let same = get(&sock, "/?action=refresh", &format!("{AUTH}Sec-Fetch-Site: same-origin\r\n"));
    assert_eq!(same.status, 301);
    let own = get(&sock, "/?processname=idle&action=start", &format!("{AUTH}Origin: http://localhost\r\n"));
    assert_eq!(message(&own), "Process idle started");

    // A HEAD (a link preview) does not act.
    let head = send(
        &sock,
        &format!("HEAD /?processname=idle&action=stop HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n{AUTH}\r\n"),
    );
    assert_eq!(head.status, 405);
    assert!(row(&get(&sock, "/", AUTH).body, "idle").contains(">running<"));
    // A POST's form body counts, and wins over the query.
    let body = "processname=idle&action=stop";
    let posted = send(
        &sock,
        &format!(
            "POST /index.html?action=refresh HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n{AUTH}\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        ),
    );
    assert_eq!(message(&posted), "Process idle stopped");
    assert_eq!(get(&sock, "/?action=start", AUTH).status, 400, "start needs a processname");

    assert_eq!(message(&get(&sock, "/?action=stopall", AUTH)).split(" at ").next(), Some("All stopped"));
    let page = get(&sock, "/", AUTH).body;
    assert!(row(&page, "talk").contains(">stopped<") && row(&page, "idle").contains(">stopped<"), "{page}");
    assert_eq!(message(&get(&sock, "/?action=restartall", AUTH)).split(" at ").next(), Some("All restarted"));
    assert!(row(&get(&sock, "/", AUTH).body, "talk").contains(">running<"));
}
