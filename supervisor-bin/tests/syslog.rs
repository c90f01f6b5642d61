//! Syslog, through a `/dev/log` of our own: a program's output with
//! `stdout_syslog=true` and supervisord's own log with `logfile=syslog`
//! arrive as the same records 4.3.0's supervisord sends.
//!
//! Runs only where nothing owns `/dev/log` and we may create it (root);
//! elsewhere it says so and passes.

mod common;
use common::*;

use std::os::unix::net::UnixDatagram;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const DEV_LOG: &str = "/dev/log";

/// `/dev/log`, removed again when the test ends, however it ends.
struct DevLog(UnixDatagram);

impl Drop for DevLog {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(DEV_LOG);
    }
}

/// What a record says once its priority and time are masked, and pids and
/// the main log's own time stamps with them.
fn masked(record: &str) -> String {
    // "<14>Nov 21 23:07:02 supervisord: ..." (the day may be space-padded).
    let (priority, rest) = record.split_once('>').unwrap_or(("", record));
    let body = rest.get(16..).unwrap_or(rest).trim_end_matches(['\n', '\0']);
    let body: Vec<String> = body
        .split(' ')
        .map(|w| {
            let digits = w.trim_end_matches(',').chars().filter(|c| c.is_ascii_digit()).count();
            if digits > 0 && w.chars().all(|c| c.is_ascii_digit() || ":,-".contains(c)) {
                "N".to_owned()
            } else {
                w.to_owned()
            }
        })
        .collect();
    format!("{priority}> {}", body.join(" "))
}

/// The records one daemon sends until `wanted` have all come.
fn records(daemon: &Path, dir: &Path, log: &DevLog, wanted: &[&str]) -> Vec<String> {
    let d = dir.display();
    let conf = dir.join("supervisord.conf");
    let text = format!(
        "[unix_http_server]\nfile={d}/s.sock\n[supervisord]\nlogfile=syslog\npidfile={d}/supervisord.pid\n\
         childlogdir={d}\nnodaemon=true\n[rpcinterface:supervisor]\n\
         supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n\
         [program:talk]\ncommand=sh -c 'echo line one; echo line two; exec sleep 300'\nstartsecs=0\n\
         stdout_syslog=true\nstdout_logfile=NONE\n"
    );
    std::fs::write(&conf, text).expect("write");
    let child =
        Command::new(daemon).arg("-c").arg(&conf).stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("spawn");
    let guard = Guard::new(child);
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut buf = [0u8; 8192];
    while !wanted.iter().all(|w| seen.iter().any(|r: &String| r.contains(w))) {
        assert!(Instant::now() < deadline, "never got all of {wanted:?}: {seen:#?}");
        if let Ok(n) = log.0.recv(&mut buf) {
            seen.push(masked(&String::from_utf8_lossy(&buf[..n])));
        }
    }
    drop(guard);
    // Drain what the stop sent, so the next daemon starts afresh.
    while log.0.recv(&mut buf).is_ok() {}
    seen
}

#[test]
fn output_and_the_main_log_reach_syslog_as_4_3_0_sends_them() {
    if Path::new(DEV_LOG).exists() {
        eprintln!("skipped: {DEV_LOG} belongs to a syslog daemon here");
        return;
    }
    if !nix::unistd::geteuid().is_root() {
        eprintln!("skipped: creating {DEV_LOG} needs root");
        return;
    }
    let Ok(socket) = UnixDatagram::bind(DEV_LOG) else {
        eprintln!("skipped: {DEV_LOG} could not be made");
        return;
    };
    let log = DevLog(socket);
    log.0.set_read_timeout(Some(Duration::from_millis(200))).expect("timeout");
    let wanted = ["supervisord: talk line one", "supervisord: talk line two", "INFO spawned: 'talk' with pid"];
    let pick = |records: Vec<String>| -> Vec<String> {
        let mut keep: Vec<String> = records.into_iter().filter(|r| wanted.iter().any(|w| r.contains(w))).collect();
        keep.sort();
        keep.dedup();
        keep
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let ours = pick(records(Path::new(env!("CARGO_BIN_EXE_supervisord")), dir.path(), &log, &wanted));
    let dir = tempfile::tempdir().expect("tempdir");
    let theirs = pick(records(&venv("supervisord"), dir.path(), &log, &wanted));
    assert_eq!(ours, theirs, "ours, then 4.3.0's");
    assert!(ours.iter().any(|r| r == "<14> supervisord: talk line one"), "{ours:#?}");
}
