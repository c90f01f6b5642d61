//! Hostile HTTP clients against a real supervisord: every malformed request
//! is answered, huge and slow request heads are cut off, and a well-behaved
//! client keeps getting answers meanwhile. Outcomes only; speeds are the
//! benchmark's business.

mod common;
use common::*;

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

const AUTH: &str = "Authorization: Basic dXNlcjpwYXNz\r\n"; // user:pass

fn setup(dir: &Path) -> (Guard, PathBuf) {
    let conf = write_conf(dir, &daemon_sections(dir, "username=user\npassword=pass\n"));
    let (guard, _) = start_daemon(&conf);
    let sock = dir.join("s.sock");
    wait_until("the socket", || UnixStream::connect(&sock).is_ok());
    (guard, sock)
}

/// Sends `request` and returns the status code of the answer (0: none).
fn status_of(sock: &Path, request: &[u8]) -> u16 {
    let mut s = UnixStream::connect(sock).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(20))).expect("timeout");
    let _ = s.write_all(request);
    let _ = s.shutdown(std::net::Shutdown::Write);
    let mut answer = Vec::new();
    let _ = s.read_to_end(&mut answer);
    let text = String::from_utf8_lossy(&answer);
    text.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0)
}

fn post(body: &[u8], extra_headers: &str) -> Vec<u8> {
    let mut r = format!(
        "POST /RPC2 HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/xml\r\nContent-Length: {}\r\n{extra_headers}\r\n",
        body.len()
    )
    .into_bytes();
    r.extend_from_slice(body);
    r
}

fn get_state(sock: &Path) -> String {
    let body = b"<?xml version=\"1.0\"?><methodCall><methodName>supervisor.getState</methodName><params/></methodCall>";
    let mut s = UnixStream::connect(sock).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(5))).expect("timeout");
    s.write_all(&post(body, &format!("{AUTH}Connection: close\r\n"))).expect("write");
    let mut answer = String::new();
    s.read_to_string(&mut answer).expect("a well-behaved client is answered");
    answer
}

#[test]
fn every_malformed_request_is_answered_and_nothing_is_echoed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (daemon, sock) = setup(dir.path());
    let bomb = "<?xml version=\"1.0\"?><!DOCTYPE l [<!ENTITY a \"SECRETBODY\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;\">\
                <!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;\">]><methodCall><methodName>&c;</methodName></methodCall>";
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("truncated XML", post(b"<methodCall><methodName>supervisor.getSta", AUTH)),
        ("wrong root", post(b"<SECRETBODY/>", AUTH)),
        ("entity bomb", post(bomb.as_bytes(), AUTH)),
        ("non-UTF-8", post(b"<methodCall>\xff\xfe\xfdSECRETBODY</methodCall>", AUTH)),
        (
            "Content-Length: 0",
            b"POST /RPC2 HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n"
                .iter()
                .chain(AUTH.as_bytes())
                .chain(b"\r\n")
                .copied()
                .collect(),
        ),
        (
            "Content-Length: abc",
            format!("POST /RPC2 HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n{AUTH}\r\nSECRETBODY").into_bytes(),
        ),
        ("bad Basic header", post(b"<methodCall/>", "Authorization: Basic %%%SECRETBODY\r\n")),
        ("no credentials", post(b"<methodCall/>", "")),
        ("a body over the limit", post(&vec![b'x'; 3 << 20], AUTH)),
    ];
    for (what, request) in cases {
        let code = status_of(&sock, &request);
        assert!(
            (400..500).contains(&code) || code == 200,
            "{what}: answered with {code} (0 is no answer)\n{}",
            log(dir.path())
        );
        if code == 200 {
            // A 200 is only right when it carries an XML-RPC fault.
            let mut s = UnixStream::connect(&sock).expect("connect");
            s.set_read_timeout(Some(Duration::from_secs(5))).expect("timeout");
            let _ = s.write_all(&request);
            let mut answer = String::new();
            let _ = s.read_to_string(&mut answer);
            assert!(answer.contains("<fault>"), "{what}: 200 without a fault: {answer}");
        }
    }
    assert!(get_state(&sock).contains("RUNNING"));
    drop(daemon);
    let text = log(dir.path());
    assert!(!text.contains("SECRETBODY"), "request bodies must not reach the log:\n{text}");
}

#[test]
fn a_huge_request_head_is_cut_off_and_others_are_answered() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_daemon, sock) = setup(dir.path());
    let mut s = UnixStream::connect(&sock).expect("connect");
    s.set_write_timeout(Some(Duration::from_secs(20))).expect("timeout");
    s.write_all(b"POST /RPC2 HTTP/1.1\r\nX-Junk: ").expect("write");
    let chunk = vec![b'a'; 1 << 20];
    let mut sent = 0usize;
    // 64 MiB of one header: the server must close the connection long before.
    while sent < 64 << 20 {
        if s.write_all(&chunk).is_err() {
            break;
        }
        sent += chunk.len();
    }
    assert!(sent < 64 << 20, "the server read a 64 MiB request head");
    assert!(get_state(&sock).contains("RUNNING"));
}

#[test]
fn slowloris_connections_are_closed_and_others_are_answered() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_daemon, sock) = setup(dir.path());
    let mut slow: Vec<UnixStream> = (0..50)
        .map(|_| {
            let mut s = UnixStream::connect(&sock).expect("connect");
            s.write_all(b"POST /RPC2 HTTP/1.1\r\nHost: x\r\n").expect("write");
            s
        })
        .collect();
    // Held open, they must not keep anyone else out.
    assert!(get_state(&sock).contains("RUNNING"));
    // The header deadline closes each of them (read sees EOF or an answer).
    for s in &mut slow {
        s.set_read_timeout(Some(Duration::from_secs(30))).expect("timeout");
        let mut buf = Vec::new();
        let closed = s.read_to_end(&mut buf).is_ok();
        assert!(closed, "a slow client was still held open after 30 s");
    }
    assert!(get_state(&sock).contains("RUNNING"));
}

#[test]
fn repeated_wrong_passwords_are_all_refused_and_slowed_down() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_daemon, sock) = setup(dir.path());
    let wrong = post(b"<methodCall/>", "Authorization: Basic dXNlcjp3cm9uZw==\r\n"); // user:wrong
    let started = std::time::Instant::now();
    for i in 0..8 {
        assert_eq!(status_of(&sock, &wrong), 401, "wrong password #{i}");
    }
    // Three are free, then 100, 200, 400, 800, 1600 ms: a lower bound, so
    // a slow machine cannot make this fail.
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(3100), "8 failures took only {took:?}");
    // The right password is still let in, and forgives the failures.
    assert!(get_state(&sock).contains("RUNNING"));
    assert_eq!(status_of(&sock, &wrong), 401);
}

#[test]
fn the_body_limit_and_header_timeout_are_configurable() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = "username=user\npassword=pass\nrequest_body_limit=1KB\nrequest_header_timeout=1\n";
    let conf = write_conf(dir.path(), &daemon_sections(dir.path(), server));
    let (_daemon, _) = start_daemon(&conf);
    let sock = dir.path().join("s.sock");
    wait_until("the socket", || UnixStream::connect(&sock).is_ok());
    // 2 KiB is over this server's 1KB: refused before it is read.
    let big = format!(
        "<?xml version=\"1.0\"?><methodCall><methodName>supervisor.getState</methodName><params/></methodCall>{}",
        " ".repeat(2048)
    );
    assert_eq!(status_of(&sock, &post(big.as_bytes(), AUTH)), 413);
    assert!(get_state(&sock).contains("RUNNING"), "a small body still passes");
    // A head left unfinished is closed after about 1 s, not the default 10.
    let mut slow = UnixStream::connect(&sock).expect("connect");
    slow.write_all(b"POST /RPC2 HTTP/1.1\r\nHost: x\r\n").expect("write");
    slow.set_read_timeout(Some(Duration::from_secs(8))).expect("timeout");
    let t = std::time::Instant::now();
    let mut buf = Vec::new();
    assert!(slow.read_to_end(&mut buf).is_ok(), "the slow client was still held after 8 s");
    assert!(t.elapsed() < Duration::from_secs(8));
}

#[test]
fn a_bad_limit_is_a_config_error_naming_the_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let conf = write_conf(dir.path(), &daemon_sections(dir.path(), "request_body_limit=lots\n"));
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_supervisord"))
        .arg("-c")
        .arg(&conf)
        .arg("--check")
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(err.contains("request_body_limit"), "{err}");
}
