//! The stock Python `supervisorctl` 4.3.0 runs the same commands against
//! Python's `supervisord` 4.3.0 and against ours, on the same config, and
//! so does ours; the outputs and exit codes must match 4.3.0 with 4.3.0
//! once pids, times and paths are masked. Commands are given on the command
//! line, piped to the shell on stdin, and `update` applies added, changed
//! and removed groups.

mod common;
use common::*;

use std::io::Write;
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
/// Everything else is kept byte for byte, newlines included.
fn mask(text: &str, dir: &Path) -> String {
    let text = text.replace(&dir.display().to_string(), "DIR");
    let mut out: Vec<String> = Vec::new();
    for line in text.split('\n') {
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
        out.push(line);
    }
    out.join("\n")
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

/// A daemon (either one) on `DIR/supervisord.conf`, and a client (either
/// one) to run against it; the daemon is stopped on drop.
struct Session {
    dir: tempfile::TempDir,
    ctl_bin: PathBuf,
    _daemon: Guard,
}

impl Session {
    /// Writes `config` and starts `daemon` on it; waits until every process
    /// named in `running` is RUNNING.
    fn start(mut daemon: Command, ctl_bin: &Path, config: &str, running: &[&str]) -> Session {
        let dir = tempfile::tempdir().expect("tempdir");
        let conf = dir.path().join("supervisord.conf");
        std::fs::write(&conf, config).expect("write");
        let child = daemon.arg("-c").arg(&conf).stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("spawn");
        let session = Session { dir, ctl_bin: ctl_bin.to_owned(), _daemon: Guard::new(child) };
        wait_until("everything running", || {
            let status = session.ctl(&["status"]).1;
            running.iter().all(|n| status.lines().any(|l| l.starts_with(&format!("{n} ")) && l.contains("RUNNING")))
        });
        session
    }

    fn conf(&self) -> PathBuf {
        self.dir.path().join("supervisord.conf")
    }

    /// `supervisorctl -c CONF args...`: exit status, stdout then stderr.
    fn ctl(&self, args: &[&str]) -> (i32, String) {
        let out = Command::new(&self.ctl_bin).arg("-c").arg(self.conf()).args(args).output().expect("supervisorctl");
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        (out.status.code().unwrap_or(-1), text)
    }

    /// `supervisorctl -c CONF` with `input` on stdin (a pipe): exit status,
    /// stdout and stderr.
    fn piped(&self, input: &str) -> (i32, String, String) {
        let mut child = Command::new(&self.ctl_bin)
            .arg("-c")
            .arg(self.conf())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("supervisorctl");
        // Ignored: a shell that quits early closes the pipe.
        let _ = child.stdin.take().expect("stdin").write_all(input.as_bytes());
        let out = child.wait_with_output().expect("supervisorctl");
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        (out.status.code().unwrap_or(-1), text(&out.stdout), text(&out.stderr))
    }

    /// A transcript line for `args`, masked.
    fn step(&self, args: &[&str]) -> String {
        let (code, text) = self.ctl(args);
        format!("$ supervisorctl {}\n{}exit {code}\n", args.join(" "), mask(&text, self.dir.path()))
    }
}

/// Runs `script` with each pairing of {4.3.0, ours} supervisorctl and
/// {4.3.0, ours} supervisord; every pairing's transcript must equal 4.3.0
/// with 4.3.0's.
fn every_pairing(script: impl Fn(Command, &Path) -> Vec<String>) {
    let py_ctl = venv("supervisorctl");
    let our_ctl = PathBuf::from(env!("CARGO_BIN_EXE_supervisorctl"));
    let ours = || Command::new(env!("CARGO_BIN_EXE_supervisord"));
    let theirs = || Command::new(venv("supervisord"));
    let reference = script(theirs(), &py_ctl);
    let mut differences = Vec::new();
    differences.extend(compare("4.3.0 supervisorctl, our supervisord", &script(ours(), &py_ctl), &reference));
    differences.extend(compare("our supervisorctl, 4.3.0 supervisord", &script(theirs(), &our_ctl), &reference));
    differences.extend(compare("our supervisorctl, our supervisord", &script(ours(), &our_ctl), &reference));
    assert!(differences.is_empty(), "{} differences:\n{}", differences.len(), differences.join("\n"));
}

/// What is piped to the shell, each with no command on the command line.
const PIPED: &[&str] = &[
    // A prompt before each command's output, blank lines included; the end
    // of input is EOF: a prompt, then an empty line.
    "status\nstart idle\n\n   \nstatus idle\nbogus\n!ls\nhelp quit\n?\nstop idle\nstatus nosuch\n",
    // The last line without its newline.
    "status idle\nversion",
    // Nothing at all.
    "",
    // quit, exit and EOF end the shell there, with an empty line.
    "stop a\nquit\nstart a\n",
    "status a\n  exit now  \r\nstart a\n",
    "EOF\nstart a\n",
    // A question reads the next line.
    "shutdown\nno\nstart a\nstatus a\n",
];

/// Commands piped to supervisorctl: the same stdout, byte for byte (pids
/// and times masked), the same stderr and exit status 0.
#[test]
fn piped_commands_in_every_pairing() {
    every_pairing(|daemon, ctl| {
        let more =
            "[supervisorctl]\nserverurl=unix://%(here)s/s.sock\n[program:idle]\ncommand=sleep 300\nautostart=false\n";
        let session = Session::start(daemon, ctl, &side_by_side_config(more), &["a", "g:b", "g:c"]);
        let mut results = Vec::new();
        for input in PIPED {
            let (code, stdout, stderr) = session.piped(input);
            let stdout = mask(&stdout, session.dir.path());
            results.push(format!("$ printf {input:?} | supervisorctl\n{stdout}--- stderr\n{stderr}exit {code}\n"));
            // Each ends as it found it, except for what it stopped.
            results.push(session.step(&["status", "a", "idle"]));
        }
        results
    });
}

/// The config of the update test, first (`false`) and after the edit
/// (`true`): `a` and `g:c` change, `g:b` does not, `gone` and `gone2` go,
/// `new` and `new0` come.
fn update_config(edited: bool) -> String {
    let (a, c) = if edited { ("sleep 301", "sleep 302") } else { ("sleep 300", "sleep 300") };
    let programs = if edited { ["new", "new0"] } else { ["gone", "gone2"] };
    let mut text = format!(
        "[unix_http_server]\nfile=%(here)s/s.sock\n[supervisord]\nlogfile=%(here)s/supervisord.log\n\
         pidfile=%(here)s/supervisord.pid\nchildlogdir=%(here)s\nnodaemon=true\n[rpcinterface:supervisor]\n\
         supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n\
         [supervisorctl]\nserverurl=unix://%(here)s/s.sock\n\
         [program:a]\ncommand={a}\nstartsecs=0\n[group:g]\nprograms=b,c\n\
         [program:b]\ncommand=sleep 300\nstartsecs=0\n[program:c]\ncommand={c}\nstartsecs=0\n"
    );
    for p in programs {
        text.push_str(&format!("[program:{p}]\ncommand=sleep 300\nstartsecs=0\n"));
    }
    text
}

/// `update` prints, in 4.3.0's order, `stopped` and `removed process group`
/// for a removed group, `stopped` and `updated process group` for a changed
/// one (ours restarts only the changed programs, and prints the same), and
/// `added process group` for a new one; named groups only when named.
#[test]
fn update_in_every_pairing() {
    every_pairing(|daemon, ctl| {
        let session = Session::start(daemon, ctl, &update_config(false), &["a", "g:b", "g:c", "gone", "gone2"]);
        std::fs::write(session.conf(), update_config(true)).expect("rewrite");
        let mut results = Vec::new();
        for args in [
            &["update", "nosuch"][..],
            &["update", "g", "new", "g"],
            &["reread"],
            &["update", "all"],
            &["update"],
            &["reread"],
        ] {
            results.push(session.step(args));
        }
        wait_until("everything back", || {
            let (code, status) = session.ctl(&["status"]);
            code == 0 && status.lines().count() == 5
        });
        results.push(session.step(&["status"]));
        results
    });
}
