//! supervisord.log at `loglevel=trace` from our supervisord beside 4.3.0's,
//! on the same config and the same steps: a listener that starts with two
//! events waiting, rejects one event after a pause (so two wait again), a
//! program that crashes through BACKOFF to FATAL, RPC calls (one a fault),
//! a signal, a stop, a shutdown. Times, pids, `id()`s, fds and the
//! temporary folder are masked. What may vary between two runs of 4.3.0
//! itself is compared loosely: how child output is split into reads (its
//! text is compared whole), how many `received SIGCHLD` lines one pass
//! writes, and the order of lines from unrelated sources.

mod common;
use common::*;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use supervisor_rpc::client::Client;
use supervisor_rpc::dxr::Value;

/// Says READY, then answers each event at once with OK, except the first
/// start of `sleeper`: that one it answers FAIL, a second later.
const LISTENER: &str = r#"import sys
failed = False
sys.stdout.write('READY\n'); sys.stdout.flush()
while True:
    header = sys.stdin.readline()
    if not header:
        break
    fields = dict(x.split(':', 1) for x in header.split())
    payload = sys.stdin.read(int(fields['len']))
    if not failed and fields['eventname'] == 'PROCESS_STATE_STARTING' and 'processname:sleeper' in payload:
        import time; time.sleep(1)
        failed = True
        sys.stdout.write('RESULT 4\nFAILREADY\n')
    else:
        sys.stdout.write('RESULT 2\nOKREADY\n')
    sys.stdout.flush()
"#;

fn config() -> String {
    format!(
        "[unix_http_server]\nfile=%(here)s/s.sock\n[supervisord]\nlogfile=%(here)s/supervisord.log\n\
         pidfile=%(here)s/supervisord.pid\nchildlogdir=%(here)s\nnodaemon=true\nloglevel=trace\n\
         [rpcinterface:supervisor]\n\
         supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n\
         [eventlistener:lis]\ncommand={} %(here)s/listener.py\nevents=PROCESS_STATE\nstartsecs=0\n\
         [program:sleeper]\ncommand=sleep 300\nstartsecs=0\nautostart=false\n\
         [program:crash]\ncommand=sh -c 'echo boom; echo bang >&2; sleep 0.2; exit 3'\nstartsecs=5\n\
         startretries=1\nautostart=false\n",
        venv("python").display()
    )
}

/// One log record: the level and the message (continuation lines kept).
fn records(log: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in log.split_inclusive('\n') {
        let b = line.as_bytes();
        let stamped = b.len() > 29 && b[4] == b'-' && b[10] == b' ' && b[19] == b',' && b[23] == b' ';
        if stamped {
            let rest = &line[24..];
            let (level, message) = rest.split_once(' ').unwrap_or((rest, ""));
            out.push((level.to_owned(), message.to_owned()));
        } else if let Some(last) = out.last_mut() {
            last.1.push_str(line);
        }
    }
    for r in &mut out {
        if r.1.ends_with('\n') {
            r.1.pop();
        }
    }
    out
}

/// Replaces each run of digits after `marker` with `with`.
fn mask_after(text: &str, marker: &str, with: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find(marker) {
        let after = &rest[at + marker.len()..];
        let digits = after.len() - after.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        out.push_str(&rest[..at + marker.len()]);
        if digits > 0 {
            out.push_str(with);
        }
        rest = &after[digits..];
    }
    out.push_str(rest);
    out
}

/// What is the same in both daemons' runs: no times, pids, ids, fds or
/// folder.
fn mask(message: &str, dir: &Path) -> String {
    let mut m = message.replace(&dir.display().to_string(), "DIR");
    for (marker, with) in [("pid ", "N"), ("fd ", "N"), (" at ", "ID")] {
        m = mask_after(&m, marker, with);
    }
    if let Some((head, tail)) = m.split_once(" started at ") {
        let tail = tail.split_once('\n').map_or("", |(_, t)| t);
        m = format!("{head} started at TIME\n{tail}");
    }
    m
}

/// Whether a record is an exit: `exited: x (...)` or `stopped: x (...)`.
fn is_exit(message: &str) -> bool {
    message.starts_with("exited: ") || message.starts_with("stopped: ")
}

/// What one run logged, in the shapes the comparison needs.
#[derive(Debug, Default, PartialEq, Eq)]
struct Seen {
    /// Every masked record, sorted, but output, SIGCHLD lines, the
    /// `rebuffering` lines of a dispatch and `waiting for` lines (which
    /// come when 4.3.0's main loop gets to them).
    lines: Vec<String>,
    /// Each process channel's output, all reads joined (4.3.0's reads are
    /// 128 KiB, ours 256 KiB, and a pipe gives what was written so far).
    output: BTreeMap<String, String>,
    /// Exits and SIGCHLD lines in order, a run of SIGCHLD lines as one.
    exits: Vec<String>,
    /// The listener protocol's lines, in order, but for the `rebuffering`
    /// lines of a dispatch (right after an `event N sent`): how many
    /// events wait together at a dispatch depends on when 4.3.0's main
    /// loop wakes (up to a second after an exit).
    protocol: Vec<String>,
    /// Those `rebuffering` lines.
    dispatch_rebuffered: Vec<String>,
    /// Per process, the lines about it in order; the `fd N closed` lines
    /// of one exit sorted (ours come from two pumps at once).
    lifecycle: BTreeMap<String, Vec<String>>,
}

const NAMES: [&str; 3] = ["lis", "sleeper", "crash"];

fn about(message: &str) -> Option<&'static str> {
    NAMES.into_iter().find(|n| {
        [
            format!(": {n} "),
            format!(": '{n}' "),
            format!("with name {n} "),
            format!("killing {n} "),
            format!("sending {n} "),
        ]
        .iter()
        .any(|pat| format!(": {message}").contains(pat.as_str()))
    })
}

fn seen(log: &str, dir: &Path) -> Seen {
    let mut s = Seen::default();
    let mut fds: Vec<(String, String)> = Vec::new();
    let flush = |fds: &mut Vec<(String, String)>, s: &mut Seen| {
        fds.sort();
        for (name, line) in fds.drain(..) {
            s.lifecycle.entry(name).or_default().push(line);
        }
    };
    for (level, message) in records(log) {
        // Ours alone says how children are reaped (docs/compatibility.md).
        if message.starts_with("children are reaped by ") {
            continue;
        }
        if let Some((who, data)) = message.split_once(" output:\n") {
            // A listener's reads are Python bytes reprs: join their insides.
            let data = match data.strip_prefix("b'").and_then(|d| d.strip_suffix('\'')) {
                Some(inner) => inner.to_owned(),
                None => data.to_owned(),
            };
            s.output.entry(format!("{level} {who}")).or_default().push_str(&data);
            continue;
        }
        let m = mask(&message, dir);
        // 4.3.0 writes `waiting for x to stop` when its deferred answer
        // first finds x still stopping, and `waiting for x to die` when its
        // shutdown gets to x: both depend on when its main loop wakes.
        if m.starts_with("waiting for ") {
            continue;
        }
        if m == "received SIGCHLD indicating a child quit" {
            if s.exits.last().is_none_or(|l| *l != m) {
                s.exits.push(m);
            }
            continue;
        }
        if is_exit(&m) {
            s.exits.push(m.clone());
        }
        let protocol = m.starts_with("lis: ") && !m.contains("has entered")
            || m.starts_with("event ") && m.contains(" sent to listener ")
            || m.starts_with("rebuffering event ");
        if protocol {
            let line = format!("{level} {m}");
            let after_send = s.protocol.last().is_some_and(|l| l.contains(" sent to listener "));
            if m.starts_with("rebuffering event ") && after_send {
                s.dispatch_rebuffered.push(line);
                continue;
            }
            s.protocol.push(line);
        }
        if let Some(name) = about(&m).filter(|_| !protocol) {
            if m.starts_with("fd N closed") {
                fds.push((name.to_owned(), format!("{level} {m}")));
            } else {
                flush(&mut fds, &mut s);
                s.lifecycle.entry(name.to_owned()).or_default().push(format!("{level} {m}"));
            }
        }
        // The request line's size is the answer's, header included: our
        // headers are not medusa's.
        let m = match m.split_once("\" 200 ") {
            Some((head, _)) if m.starts_with("localhost:0 - - [") => {
                let request = head.split_once("] \"").map_or("", |(_, r)| r);
                format!("localhost:0 - - [DATE] \"{request}\" 200 BYTES")
            }
            _ => m,
        };
        s.lines.push(format!("{level} {m}"));
    }
    flush(&mut fds, &mut s);
    s.lines.sort();
    s
}

fn count(dir: &Path, needle: &str) -> usize {
    log(dir).matches(needle).count()
}

/// Waits until `needle` is logged `n` times, then a moment for stragglers.
fn settle(dir: &Path, needle: &str, n: usize) {
    wait_until(&format!("{n} x {needle:?}"), || count(dir, needle) >= n);
    std::thread::sleep(Duration::from_millis(300));
}

fn run(daemon: &Path) -> Seen {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    std::fs::write(d.join("listener.py"), LISTENER).expect("listener");
    let conf = write_conf(d, &config());
    let child =
        Command::new(daemon).arg("-c").arg(&conf).stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("spawn");
    let guard = Guard::new(child);
    let processed = "lis: event was processed";
    // The listener's own STARTING and RUNNING wait for its READY: one goes
    // out, the other is put back.
    settle(d, processed, 2);
    let client = Client::new(&format!("unix://{}", d.join("s.sock").display()), None, None).expect("client");
    let call = |method: &str, params: Vec<Value>| {
        let _ = client.call(method, params);
    };
    // sleeper's STARTING is rejected after a second, RUNNING waits meanwhile.
    call("supervisor.startProcess", vec![Value::String("sleeper".into()), Value::Boolean(true)]);
    settle(d, processed, 4);
    // Two tries, both too quick: STARTING, BACKOFF, STARTING, BACKOFF, FATAL.
    call("supervisor.startProcess", vec![Value::String("crash".into()), Value::Boolean(false)]);
    settle(d, "gave up: crash entered FATAL state", 1);
    settle(d, processed, 9);
    call("supervisor.getState", vec![]);
    call("supervisor.stopProcess", vec![Value::String("nosuch".into())]);
    call("supervisor.signalProcess", vec![Value::String("sleeper".into()), Value::String("CONT".into())]);
    call("supervisor.stopProcess", vec![Value::String("sleeper".into())]);
    settle(d, processed, 11);
    let status = guard.finish().status;
    assert!(status.success(), "{status:?}");
    // TRACE_LOG_KEEP=/tmp/x keeps both logs (/tmp/x.ours, /tmp/x.ref).
    if let Ok(keep) = std::env::var("TRACE_LOG_KEEP") {
        let which = if daemon.to_string_lossy().contains(".venv") { "ref" } else { "ours" };
        let _ = std::fs::copy(d.join("supervisord.log"), format!("{keep}.{which}"));
    }
    seen(&log(d), d)
}

#[test]
fn trace_logs_say_what_4_3_0_s_say() {
    let theirs = run(&venv("supervisord"));
    let ours = run(Path::new(env!("CARGO_BIN_EXE_supervisord")));
    let only = |a: &[String], b: &[String]| -> Vec<String> {
        let mut b = b.to_vec();
        a.iter()
            .filter(|l| match b.iter().position(|x| x == *l) {
                Some(at) => {
                    b.remove(at);
                    false
                }
                None => true,
            })
            .cloned()
            .collect()
    };
    let (ours_only, theirs_only) = (only(&ours.lines, &theirs.lines), only(&theirs.lines, &ours.lines));
    assert!(
        ours_only.is_empty() && theirs_only.is_empty(),
        "only ours:\n{}\n\nonly 4.3.0's:\n{}",
        ours_only.join("\n"),
        theirs_only.join("\n")
    );
    assert_eq!(ours.output, theirs.output, "output");
    // The exits alike; ours each followed by the SIGCHLD line. 4.3.0's
    // line comes in the pass that got the signal: after the exit's, but
    // once in a while the signal lands between its reap and its look at
    // the signals, and the line comes a pass before the exit's.
    let sigchld = "received SIGCHLD indicating a child quit";
    let exits = |s: &Seen| -> Vec<String> { s.exits.iter().filter(|l| *l != sigchld).cloned().collect() };
    assert_eq!(exits(&ours), exits(&theirs), "exits");
    let alternating: Vec<String> = exits(&ours).into_iter().flat_map(|x| [x, sigchld.to_owned()]).collect();
    assert_eq!(ours.exits, alternating, "ours: SIGCHLD after each exit");
    assert!(theirs.exits.iter().any(|l| l == sigchld), "4.3.0's SIGCHLD: {:?}", theirs.exits);
    assert_eq!(ours.protocol, theirs.protocol, "listener protocol");
    // Where the timing is fixed: the listener's own STARTING and RUNNING
    // wait for its READY, sleeper's STARTING and RUNNING come in one turn,
    // and both wait again after the rejection.
    let fixed = [
        "DEBG rebuffering event 1 for pool lis (buf size=0, max=10)",
        "DEBG rebuffering event 3 for pool lis (buf size=0, max=10)",
        "DEBG rebuffering event 3 for pool lis (buf size=0, max=10)",
    ];
    for rebuffered in [&ours.dispatch_rebuffered, &theirs.dispatch_rebuffered] {
        let early: Vec<&str> = rebuffered
            .iter()
            .map(String::as_str)
            .filter(|l| ["1", "2", "3"].iter().any(|n| l.starts_with(&format!("DEBG rebuffering event {n} "))))
            .collect();
        assert_eq!(
            early, fixed,
            "dispatch rebuffering: ours {:?}, 4.3.0's {:?}",
            ours.dispatch_rebuffered, theirs.dispatch_rebuffered
        );
    }
    assert_eq!(ours.lifecycle, theirs.lifecycle, "per process");
}

#[test]
fn records_and_masks() {
    let log = "2026-12-06 04:01:34,148 TRAC /tmp/x/s.sock:Medusa (V1.12) started at Sun Dec  6 04:01:34 2026\n\
               \tHostname: <unix domain socket>\n\tPort:/tmp/x/s.sock\n\
               2026-12-06 04:01:35,164 DEBG 'cat' stdout output:\nhello\n\n\
               2026-12-06 04:01:36,165 DEBG fd 12 closed, stopped monitoring <POutputDispatcher at 1398615 for \
               <Subprocess at 1398 with name cat in state RUNNING> (stdout)>\n";
    let r = records(log);
    assert_eq!(r.len(), 3);
    assert_eq!(r[1], ("DEBG".into(), "'cat' stdout output:\nhello\n".into()));
    assert_eq!(
        mask(&r[0].1, Path::new("/tmp/x")),
        "DIR/s.sock:Medusa (V1.12) started at TIME\n\tHostname: <unix domain socket>\n\tPort:DIR/s.sock"
    );
    assert_eq!(
        mask(&r[2].1, Path::new("/tmp/x")),
        "fd N closed, stopped monitoring <POutputDispatcher at ID for <Subprocess at ID with name cat in state \
         RUNNING> (stdout)>"
    );
    assert_eq!(
        mask("killing cat (pid 15241) with signal SIGTERM", Path::new("/x")),
        "killing cat (pid N) with signal SIGTERM"
    );
    assert_eq!(
        about("fd N closed, stopped monitoring <X at ID for <Subprocess at ID with name lis in state S> (stdout)>"),
        Some("lis")
    );
    assert_eq!(about("exited: crash (exit status 3; not expected)"), Some("crash"));
    assert_eq!(about("spawned: 'sleeper' with pid N"), Some("sleeper"));
}
