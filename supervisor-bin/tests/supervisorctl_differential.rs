//! The stock Python `supervisorctl` 4.3.0 runs the same commands against
//! Python's `supervisord` 4.3.0 and against ours, on the same config; the
//! outputs and exit codes must match once pids, times and paths are masked.

mod common;
use common::*;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// After the shared programs.
const MORE: &str = "\
[supervisorctl]
serverurl=unix://%(here)s/s.sock
[program:idle]
command=sleep 300
autostart=false
[program:ghost]
command=/no/such/program
autostart=false
[program:talker]
command=sh -c 'echo hello from talker; echo complaint >&2; exec sleep 300'
startsecs=0
stopasgroup=true
";

/// Every command, in order; each is run as `supervisorctl -c CONF <args>`.
const SCRIPT: &[&[&str]] = &[
    &["status"],
    &["status", "a"],
    &["status", "nosuch"],
    &["status", "g:*"],
    &["status", "idle"],
    &["version"],
    &["stop", "a"],
    &["status", "a"],
    &["stop", "a"],
    &["start", "a"],
    &["start", "a"],
    &["start", "ghost"],
    &["start", "nosuch"],
    &["start", "nosuch:*"],
    &["restart", "g:*"],
    &["stop", "g:"],
    &["start", "g:*"],
    &["restart", "a", "idle"],
    &["stop", "idle"],
    &["signal", "HUP", "a"],
    &["signal", "BOGUS", "a"],
    &["signal", "USR1", "g:*"],
    &["signal", "USR1", "idle"],
    &["tail", "talker"],
    &["tail", "-6", "talker"],
    &["tail", "talker", "stderr"],
    &["clear", "talker"],
    &["tail", "talker"],
    &["avail"],
    &["reread"],
    &["update"],
    &["remove", "a"],
    &["stop", "a"],
    &["remove", "a"],
    &["status", "a"],
    &["add", "a"],
    &["add", "a"],
    &["pid", "a"],
    &["pid", "nosuch"],
    &["stop", "all"],
    &["status"],
    &["start", "all"],
    &["status"],
    &["maintail"],
    &["maintail", "-200"],
    &["reload"],
];

/// Masks what differs between runs: pids, uptimes, dates, the work dir.
fn mask(text: &str, dir: &Path) -> String {
    let text = text.replace(&dir.display().to_string(), "DIR");
    let mut out = String::new();
    for line in text.lines() {
        let mut words: Vec<String> = Vec::new();
        let mut prev = String::new();
        for w in line.split(' ') {
            let masked = if (prev == "pid" || prev.is_empty() && words.is_empty())
                && w.trim_end_matches(',').chars().all(|c| c.is_ascii_digit())
                && !w.is_empty()
            {
                "N".to_owned() + if w.ends_with(',') { "," } else { "" }
            } else if prev == "uptime" {
                "U".to_owned()
            } else {
                w.to_owned()
            };
            prev = w.to_owned();
            words.push(masked);
        }
        let line = words.join(" ");
        // Stop times: "Nov 21 11:50 AM" after the state column.
        let line = match line.find(" AM").or_else(|| line.find(" PM")) {
            Some(at) if at >= 12 => format!("{}DATE", &line[..at - 12]),
            _ => line,
        };
        out.push_str(&line);
        out.push('\n');
    }
    out
}

fn run_script(daemon_cmd: Command, ctl_bin: &Path, dir: &Path) -> Vec<String> {
    let conf = dir.join("supervisord.conf");
    let mut daemon_cmd = daemon_cmd;
    let child = daemon_cmd.arg("-c").arg(&conf).stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("spawn");
    let daemon = Guard::new(child);
    let ctl = |args: &[&str]| {
        let out = Command::new(ctl_bin).arg("-c").arg(&conf).args(args).output().expect("supervisorctl");
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        (out.status.code().unwrap_or(-1), text)
    };
    wait_until("everything running", || {
        let (_, status) = ctl(&["status"]);
        ["a ", "g:b", "g:c", "talker"].iter().all(|n| status.lines().any(|l| l.starts_with(n) && l.contains("RUNNING")))
    });
    let mut results = Vec::new();
    for args in SCRIPT {
        let (code, text) = ctl(args);
        let mut text = mask(&text, dir);
        // Group and `all` results come back in completion order in 4.3.0,
        // which depends on timing: compare them as sets.
        if args.iter().any(|a| *a == "all" || a.ends_with(":*") || a.ends_with(':')) && args[0] != "status" {
            let mut lines: Vec<&str> = text.lines().collect();
            lines.sort();
            text = lines.join("\n") + "\n";
        }
        if args[0] == "maintail" {
            // The two daemons' logs differ line by line; the command works if
            // it shows a log.
            text = if text.trim().is_empty() { String::new() } else { "LOG\n".to_owned() };
        }
        results.push(format!("$ supervisorctl {}\n{text}exit {code}\n", args.join(" ")));
        if args == &["start", "all"] {
            wait_until("restart all", || ctl(&["status", "a"]).1.contains("RUNNING"));
        }
        if args == &["reload"] {
            wait_until("back after reload", || {
                let (_, status) = ctl(&["status"]);
                ["a ", "g:b", "g:c", "talker"]
                    .iter()
                    .all(|n| status.lines().any(|l| l.starts_with(n) && l.contains("RUNNING")))
            });
        }
    }
    let (code, text) = ctl(&["shutdown"]);
    results.push(format!("$ supervisorctl shutdown\n{}exit {code}\n", mask(&text, dir)));
    drop(daemon);
    results
}

fn compare(label: &str, ours: &[String], reference: &[String]) -> Vec<String> {
    ours.iter()
        .zip(reference)
        .filter(|(a, b)| a != b)
        .map(|(a, b)| format!("[{label}]\n--- ours\n{a}--- 4.3.0 with 4.3.0\n{b}"))
        .collect()
}

fn pairing(daemon: Command, ctl: &Path) -> Vec<String> {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("supervisord.conf"), side_by_side_config(MORE)).expect("write");
    run_script(daemon, ctl, dir.path())
}

/// All four pairings of {4.3.0, ours} supervisorctl with {4.3.0, ours}
/// supervisord must print what 4.3.0 with 4.3.0 prints.
#[test]
fn supervisorctl_and_supervisord_in_every_pairing() {
    let py_ctl = venv("supervisorctl");
    let our_ctl = PathBuf::from(env!("CARGO_BIN_EXE_supervisorctl"));
    let ours = || Command::new(env!("CARGO_BIN_EXE_supervisord"));
    let theirs = || Command::new(venv("supervisord"));
    let reference = pairing(theirs(), &py_ctl);
    let mut differences = Vec::new();
    differences.extend(compare("4.3.0 supervisorctl, our supervisord", &pairing(ours(), &py_ctl), &reference));
    differences.extend(compare("our supervisorctl, 4.3.0 supervisord", &pairing(theirs(), &our_ctl), &reference));
    differences.extend(compare("our supervisorctl, our supervisord", &pairing(ours(), &our_ctl), &reference));
    assert!(differences.is_empty(), "{} differences:\n{}", differences.len(), differences.join("\n"));
}
