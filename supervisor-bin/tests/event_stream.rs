//! `event_stream = true`: `GET /events` as Server-Sent Events, read by
//! curl: transitions in order during start, stop and a crash, a reconnect
//! with `Last-Event-ID` that gets the missed ones, `?output=`, and a
//! reader that stops reading, which neither blocks the daemon nor other
//! readers and is told it lagged.

mod common;
use common::*;

use std::io::{BufRead, BufReader, Read};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// One event as read: its kind, id and data.
#[derive(Debug, Clone, PartialEq)]
struct Sse {
    event: String,
    id: Option<u64>,
    data: serde_json::Value,
}

/// A curl reading `/events` (with `extra` curl arguments); events come
/// out of the receiver as they arrive.
struct Reader {
    child: Child,
    events: mpsc::Receiver<Sse>,
}

impl Reader {
    fn open(sock: &Path, query: &str, extra: &[&str]) -> Reader {
        let mut child = Command::new("curl")
            .args(["-sN", "--unix-socket", sock.to_str().expect("utf-8"), "-u", "user:pass"])
            .args(extra)
            .arg(format!("http://localhost/events{query}"))
            .stdout(Stdio::piped())
            .spawn()
            .expect("curl");
        let out = child.stdout.take().expect("stdout");
        let (tx, events) = mpsc::channel();
        std::thread::spawn(move || {
            let (mut event, mut id, mut data) = (String::new(), None, String::new());
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { return };
                if line.is_empty() {
                    if !data.is_empty() {
                        let parsed = serde_json::from_str(&data).unwrap_or(serde_json::Value::Null);
                        let _ = tx.send(Sse { event: std::mem::take(&mut event), id: id.take(), data: parsed });
                    }
                    data.clear();
                } else if let Some(v) = line.strip_prefix("event: ").or_else(|| line.strip_prefix("event:")) {
                    event = v.to_owned();
                } else if let Some(v) = line.strip_prefix("id: ").or_else(|| line.strip_prefix("id:")) {
                    id = v.parse().ok();
                } else if let Some(v) = line.strip_prefix("data: ").or_else(|| line.strip_prefix("data:")) {
                    data.push_str(v);
                }
            }
        });
        Reader { child, events }
    }

    /// Events until `done` says the last one read is enough.
    fn until(&self, what: &str, mut done: impl FnMut(&Sse) -> bool) -> Vec<Sse> {
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut seen = Vec::new();
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.events.recv_timeout(left) {
                Ok(e) => {
                    let stop = done(&e);
                    seen.push(e);
                    if stop {
                        return seen;
                    }
                }
                Err(_) => break,
            }
        }
        panic!("no {what} within 60 s; read: {seen:#?}");
    }
}

impl Drop for Reader {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn is(e: &Sse, name: &str, to: &str) -> bool {
    e.event == "state" && e.data["name"] == name && e.data["to"] == to
}

fn transitions(events: &[Sse], name: &str) -> Vec<String> {
    events
        .iter()
        .filter(|e| e.event == "state" && e.data["name"] == name)
        .map(|e| format!("{}>{}", e.data["from"].as_str().unwrap_or("?"), e.data["to"].as_str().unwrap_or("?")))
        .collect()
}

/// Waits until `reader`'s stream is open (an event comes through: probe is
/// toggled until one does), then sets aside what it read.
fn opened(reader: &Reader, dir: &Path) {
    wait_until("the stream open", || {
        ctl(dir, &["start", "probe"]);
        ctl(dir, &["stop", "probe"]);
        reader.events.try_iter().any(|e| e.event == "state" && e.data["name"] == "probe")
    });
    // What probe's last toggle still sends is read and set aside.
    std::thread::sleep(Duration::from_millis(300));
    reader.events.try_iter().for_each(drop);
}

fn ctl(dir: &Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_supervisorctl"))
        .args(["-s", &format!("unix://{}/s.sock", dir.display()), "-u", "user", "-p", "pass"])
        .args(args)
        .output()
        .expect("supervisorctl");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn transitions_stream_in_order_and_a_reconnect_misses_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let programs = "[program:worker]\ncommand=sleep 300\nautostart=false\nstartsecs=0\n\
                    [program:probe]\ncommand=sleep 300\nautostart=false\nstartsecs=0\n\
                    [program:crasher]\ncommand=sh -c 'sleep 0.5; exit 4'\nautostart=false\nstartsecs=0\nautorestart=false\n\
                    [program:talker]\ncommand=sh -c 'sleep 1; echo hello-stream; exec sleep 300'\nautostart=false\nstartsecs=0\n";
    let text = format!("{}{programs}", daemon_sections(d, "username=user\npassword=pass\nevent_stream=true\n"));
    let (_guard, _) = start_daemon(&write_conf(d, &text));
    let sock = d.join("s.sock");
    wait_until("the socket", || UnixStream::connect(&sock).is_ok());

    // The same Basic auth as everything else.
    let denied = Command::new("curl")
        .args(["-s", "-o", "/dev/null", "-w", "%{http_code}", "--unix-socket", sock.to_str().expect("utf-8")])
        .arg("http://localhost/events")
        .output()
        .expect("curl");
    assert_eq!(String::from_utf8_lossy(&denied.stdout), "401");

    let reader = Reader::open(&sock, "", &[]);
    opened(&reader, d);
    assert!(ctl(d, &["start", "worker"]).contains("worker: started"));
    let first = reader.until("worker running", |e| is(e, "worker", "RUNNING"));
    assert!(ctl(d, &["stop", "worker"]).contains("worker: stopped"));
    assert!(ctl(d, &["start", "crasher"]).contains("crasher: started"));
    let mut seen = first;
    seen.extend(reader.until("crasher's exit", |e| is(e, "crasher", "EXITED")));
    assert_eq!(
        transitions(&seen, "worker"),
        ["STOPPED>STARTING", "STARTING>RUNNING", "RUNNING>STOPPING", "STOPPING>STOPPED"],
        "{seen:#?}"
    );
    assert_eq!(transitions(&seen, "crasher"), ["STOPPED>STARTING", "STARTING>RUNNING", "RUNNING>EXITED"]);
    let exit = seen.last().expect("an event");
    assert_eq!((exit.data["exitstatus"].as_i64(), exit.data["expected"].as_bool()), (Some(4), Some(false)));
    // Ids count up, one each.
    let ids: Vec<u64> = seen.iter().filter_map(|e| e.id).collect();
    assert!(ids.windows(2).all(|w| w[1] == w[0] + 1), "{ids:?}");

    // A client that dropped after worker's start reconnects with the last
    // id it saw and gets every event since, in order, then live ones.
    let running = seen.iter().find(|e| is(e, "worker", "RUNNING")).and_then(|e| e.id).expect("an id");
    let again = Reader::open(&sock, "", &["-H", &format!("Last-Event-ID: {running}")]);
    let missed = again.until("the replay", |e| is(e, "crasher", "EXITED"));
    assert_eq!(missed.first().and_then(|e| e.id), Some(running + 1), "{missed:#?}");
    let after: Vec<&Sse> = seen.iter().filter(|e| e.id.is_some_and(|id| id > running)).collect();
    assert_eq!(missed.iter().collect::<Vec<_>>(), after);
    ctl(d, &["start", "worker"]);
    again.until("a live event after the replay", |e| is(e, "worker", "RUNNING"));

    // ?output=name: that program's output, besides the transitions.
    let talk = Reader::open(&sock, "?output=talker", &[]);
    opened(&talk, d);
    wait_until("talker started", || ctl(d, &["start", "talker"]).contains("talker: started"));
    let heard = talk.until("talker's output", |e| e.event == "output");
    let out = heard.last().expect("output");
    assert_eq!((out.data["name"].as_str(), out.data["channel"].as_str()), (Some("talker"), Some("stdout")));
    assert_eq!(out.data["data"].as_str(), Some("hello-stream\n"));
    // The web page follows the stream (and works without JavaScript: the
    // table and the Refresh link are there as always).
    let page = Command::new("curl")
        .args(["-s", "-u", "user:pass", "--unix-socket"])
        .arg(&sock)
        .arg("http://localhost/")
        .output()
        .expect("curl");
    let page = String::from_utf8_lossy(&page.stdout);
    assert!(page.contains("new EventSource('events')") && page.contains(">Refresh</a>"), "{page}");
    let unknown = Command::new("curl")
        .args(["-s", "-o", "/dev/null", "-w", "%{http_code}", "-u", "user:pass", "--unix-socket"])
        .arg(&sock)
        .arg("http://localhost/events?output=nosuch")
        .output()
        .expect("curl");
    assert_eq!(String::from_utf8_lossy(&unknown.stdout), "404");
}

#[test]
fn a_reader_that_stops_reading_blocks_nobody_and_is_told_it_lagged() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    // flapper exits at once and is restarted at once: a crash storm.
    let programs = "[program:flapper]\ncommand=true\nautostart=false\nstartsecs=0\nautorestart=true\n\
                    stdout_logfile=NONE\nstderr_logfile=NONE\n\
                    [program:marker]\ncommand=sleep 300\nautostart=false\nstartsecs=0\n";
    let text = format!("{}{programs}", daemon_sections(d, "username=user\npassword=pass\nevent_stream=true\n"));
    let (_guard, _) = start_daemon(&write_conf(d, &text));
    let sock = d.join("s.sock");
    wait_until("the socket", || UnixStream::connect(&sock).is_ok());

    // The stalled reader: asks, reads only the head, then nothing.
    let mut stalled = UnixStream::connect(&sock).expect("connect");
    nix::sys::socket::setsockopt(&stalled, nix::sys::socket::sockopt::RcvBuf, &4096).expect("SO_RCVBUF");
    std::io::Write::write_all(
        &mut stalled,
        b"GET /events HTTP/1.1\r\nHost: localhost\r\nAuthorization: Basic dXNlcjpwYXNz\r\n\r\n",
    )
    .expect("write");
    let mut head = [0u8; 64];
    let n = stalled.read(&mut head).expect("read the head");
    assert!(head[..n].starts_with(b"HTTP/1.1 200"), "{}", String::from_utf8_lossy(&head[..n]));
    let reader = Reader::open(&sock, "", &[]);

    assert!(ctl(d, &["start", "flapper"]).contains("flapper: started"));
    // While the storm goes on and the stalled reader reads nothing, the
    // daemon answers and the reader that reads gets its events. The storm
    // lasts until more has been sent than the stalled connection's socket
    // buffers hold (a unix socket's send buffer is 2 MiB: some 10 000
    // events) and its queue of 256 events.
    let storm = Instant::now();
    let (mut flaps, mut events) = (0, 0);
    while events < 16_000 && storm.elapsed() < Duration::from_secs(120) {
        assert!(ctl(d, &["status", "flapper"]).contains("flapper"), "the daemon answers");
        for e in reader.events.try_iter() {
            events += 1;
            flaps += usize::from(is(&e, "flapper", "EXITED"));
        }
    }
    ctl(d, &["stop", "flapper"]);
    assert!(ctl(d, &["start", "marker"]).contains("marker: started"));
    reader.until("marker running, after the storm", |e| {
        events += 1;
        flaps += usize::from(is(e, "flapper", "EXITED"));
        is(e, "marker", "RUNNING")
    });
    assert!(events >= 16_000, "a storm big enough to overflow the stalled reader: {events} events, {flaps} exits");

    // The stalled reader, reading again, is told what it missed and goes on.
    stalled.set_read_timeout(Some(Duration::from_secs(30))).expect("timeout");
    let mut got = Vec::new();
    let mut buf = [0u8; 65536];
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        match stalled.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
        let text = String::from_utf8_lossy(&got);
        if text.contains("event: lagged") && text.contains("\"name\":\"marker\"") {
            break;
        }
    }
    let text = String::from_utf8_lossy(&got);
    assert!(text.contains("event: lagged"), "{}", &text[text.len().saturating_sub(2000)..]);
    assert!(text.contains("\"name\":\"marker\""), "it reads on after the lag");
}
