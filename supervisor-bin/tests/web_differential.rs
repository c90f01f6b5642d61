//! The web page of our supervisord beside 4.3.0's, on the same config and
//! the same requests: each action's status and redirect message, each
//! row's state and action links, and the tail page's text must match
//! (the markup is our own; times are masked).

mod common;
use common::*;

use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

/// After the shared programs.
const MORE: &str = "\
[program:idle]
command=sleep 300
autostart=false
startsecs=0
[program:ghost]
command=/no/such/program
autostart=false
[program:broken]
command=false
startsecs=1
startretries=0
[program:talker]
command=sh -c 'echo \"hello <b> & bye\"; exec sleep 300'
startsecs=0
";

/// The requests, in order.
const SCRIPT: &[&str] = &[
    "/tail.html?processname=talker",
    "/tail.html?processname=talker&limit=5000",
    "/tail.html?processname=nope",
    "/tail.html",
    "/index.html?processname=idle&action=start",
    "/index.html?processname=idle&action=start",
    "/index.html?processname=idle&action=stop",
    "/index.html?processname=idle&action=stop",
    "/index.html?processname=nope&action=stop",
    "/index.html?processname=g%3A%2A&action=stop",
    "/index.html?processname=ghost&action=start",
    "/index.html?processname=broken&action=start",
    "/index.html?processname=g%3Ab&action=restart",
    "/?processname=talker&action=clearlog",
    "/tail.html?processname=talker",
    "/?processname=a&action=stop",
    "/",
    "/?action=refresh",
    "/?action=stopall",
    "/",
    "/?action=restartall",
    "/ok.html",
];

fn get(sock: &Path, path: &str) -> (u16, String, String) {
    let mut s = UnixStream::connect(sock).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(60))).expect("timeout");
    let answer = exchange(&mut s, &format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"));
    let location = answer.header("location").unwrap_or("").to_owned();
    (answer.status, location, answer.body)
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// Text between `open` (up to the end of its tag) and `close`.
fn between<'a>(text: &'a str, open: &str, close: &str) -> Option<&'a str> {
    let start = text.find(open)?;
    let after = start + text[start..].find('>')? + 1;
    let end = after + text[after..].find(close)?;
    Some(&text[after..end])
}

/// What a status page says, whatever its markup: per row, the name, the
/// state and its class, and the actions offered.
fn rows(page: &str) -> Vec<String> {
    let mut out = Vec::new();
    for chunk in page.split("<tr").skip(1) {
        let Some(name) = between(chunk, "href=\"tail.html?processname=", "</a>") else { continue };
        let class = ["statusrunning", "statuserror", "statusnominal"]
            .into_iter()
            .find(|c| chunk.contains(&format!("class=\"{c}\"")))
            .unwrap_or("?");
        let state = between(chunk, &format!("class=\"{class}\""), "<").unwrap_or("?");
        let mut actions: Vec<String> =
            chunk.split("action=").skip(1).map(|r| r.split(['"', '&']).next().unwrap_or("").to_owned()).collect();
        actions.extend(chunk.split("href=\"logtail/").skip(1).map(|r| {
            let target = r.split('"').next().unwrap_or("");
            if target.ends_with("/stderr") { "tail stderr".to_owned() } else { "tail stdout".to_owned() }
        }));
        out.push(format!("{} {class} {} [{}]", unescape(name), unescape(state.trim()), actions.join(" ")));
    }
    out
}

/// Masks `ctime()` in a message: "... at Sat Nov 21 22:30:01 2026".
fn mask_time(message: &str) -> String {
    match message.split_once(" at ") {
        Some((what, _)) => format!("{what} at TIME"),
        None => message.to_owned(),
    }
}

fn run(daemon: &Path) -> Vec<String> {
    let dir = tempfile::tempdir().expect("tempdir");
    let conf = dir.path().join("supervisord.conf");
    std::fs::write(&conf, side_by_side_config(MORE)).expect("write");
    let child =
        Command::new(daemon).arg("-c").arg(&conf).stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("spawn");
    let _daemon = Guard::new(child);
    let sock = dir.path().join("s.sock");
    wait_until("the socket", || UnixStream::connect(&sock).is_ok());
    wait_until("everything running", || {
        let page = rows(&get(&sock, "/").2);
        ["a ", "g:b ", "g:c ", "talker "]
            .iter()
            .all(|n| page.iter().any(|r| r.starts_with(n) && r.contains(" running ")))
    });
    // The talker's output reaches its log a moment after it runs (later
    // still on a busy machine): both daemons are compared once it is there.
    wait_until("the talker's output", || get(&sock, "/tail.html?processname=talker").2.contains("bye"));
    let mut seen = Vec::new();
    for path in SCRIPT {
        let (status, location, body) = get(&sock, path);
        let what = if status == 301 {
            let message = location.split_once("/?message=").map_or("", |(_, m)| m);
            format!("301 {}", mask_time(&percent_decode(message)))
        } else if path.starts_with("/tail.html") {
            format!("{status} {:?}", between(&body, "<pre", "</pre>").map(unescape))
        } else if path.starts_with("/ok.html") {
            format!("{status} {body}")
        } else {
            format!("{status}\n{}", rows(&body).join("\n"))
        };
        seen.push(format!("GET {path}\n{what}\n"));
    }
    seen
}

#[test]
fn our_web_page_says_and_does_what_4_3_0_s_does() {
    let reference = run(&venv("supervisord"));
    let ours = run(Path::new(env!("CARGO_BIN_EXE_supervisord")));
    let differences: Vec<String> = ours
        .iter()
        .zip(&reference)
        .filter(|(a, b)| a != b)
        .map(|(a, b)| format!("--- ours\n{a}--- 4.3.0\n{b}"))
        .collect();
    assert_eq!(ours.len(), reference.len());
    assert!(differences.is_empty(), "{} differences:\n{}", differences.len(), differences.join("\n"));
}
