//! Container mode (`shutdown_on`): supervisord, in the foreground, ends
//! when the program does what its `shutdown_on` says, with its exit status,
//! one CRIT line, and nothing left running.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A config for supervisord in the foreground, everything in `dir`.
fn foreground_conf(dir: &std::path::Path, programs: &str) -> std::path::PathBuf {
    let d = dir.display();
    let conf = dir.join("supervisord.conf");
    let text = format!(
        "[supervisord]\nnodaemon=true\nlogfile={d}/supervisord.log\npidfile={d}/supervisord.pid\n\
         childlogdir={d}\n{programs}"
    );
    std::fs::write(&conf, text).expect("conf");
    conf
}

/// Runs supervisord on `programs` until it exits (or 60 s); its exit code
/// and its log.
fn run(programs: &str) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let conf = foreground_conf(dir.path(), &format!("[program:bystander]\ncommand=sleep 600\nstartsecs=0\n{programs}"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_supervisord"))
        .args(["-c", &conf.to_string_lossy()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("supervisord");
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!(
                "supervisord did not end: {}",
                std::fs::read_to_string(dir.path().join("supervisord.log")).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let log = std::fs::read_to_string(dir.path().join("supervisord.log")).unwrap_or_default();
    // The bystander went down with it.
    let bystander: u32 = log
        .lines()
        .find_map(|l| l.split("spawned: 'bystander' with pid ").nth(1))
        .and_then(|p| p.trim().parse().ok())
        .expect("the bystander was spawned");
    let alive = std::fs::read_to_string(format!("/proc/{bystander}/stat"))
        .is_ok_and(|s| !s.rsplit(')').next().is_some_and(|r| r.trim_start().starts_with('Z')));
    assert!(!alive, "the bystander outlived supervisord:\n{log}");
    (status.code(), log)
}

/// The CRIT lines about shutting down (running as root says one too).
fn crit_lines(log: &str) -> Vec<&str> {
    log.lines().filter(|l| l.contains(" CRIT ") && l.contains("shutting down")).collect()
}

#[test]
fn fatal_ends_supervisord_with_the_last_exit_status() {
    let (code, log) = run("[program:job]\ncommand=sh -c 'exit 3'\nstartsecs=1\nstartretries=1\nshutdown_on=fatal\n");
    assert_eq!(code, Some(3), "{log}");
    let crit = crit_lines(&log);
    assert_eq!(crit.len(), 1, "{log}");
    assert!(crit[0].ends_with("CRIT job entered FATAL: shutting down (shutdown_on = fatal), exit status 3"), "{log}");
}

#[test]
fn an_unexpected_exit_ends_it_even_with_autorestart() {
    let (code, log) = run(
        "[program:job]\ncommand=sh -c 'sleep 0.3; exit 4'\nstartsecs=0\nautorestart=true\nshutdown_on=unexpected\n",
    );
    assert_eq!(code, Some(4), "{log}");
    assert!(
        log.contains(
            "CRIT job exited (exit status 4; not expected): shutting down (shutdown_on = unexpected), exit status 4"
        ),
        "{log}"
    );
    assert_eq!(log.matches("spawned: 'job'").count(), 1, "not restarted: {log}");
}

#[test]
fn any_exit_ends_it_with_the_job_s_status() {
    let (code, log) = run("[program:job]\ncommand=sh -c 'sleep 0.3'\nstartsecs=0\nshutdown_on=exit\n");
    assert_eq!(code, Some(0), "a job that succeeded ends the container with 0: {log}");
    let (code, log) = run("[program:job]\ncommand=sh -c 'sleep 0.3; kill -9 $$'\nstartsecs=0\nshutdown_on=exit\n");
    assert_eq!(code, Some(128 + 9), "{log}");
}

#[test]
fn a_stop_on_request_is_not_an_exit() {
    // Without shutdown_on nothing ends supervisord but a request; with it,
    // an expected exit of a `fatal` program is not a reason either.
    let (code, log) = run("[program:job]\ncommand=sh -c 'sleep 0.3'\nstartsecs=0\nshutdown_on=unexpected\n\
         [program:ender]\ncommand=sh -c 'sleep 1; exit 5'\nstartsecs=0\nshutdown_on=exit\n");
    assert_eq!(code, Some(5), "only the ender ended it: {log}");
    assert!(!log.contains("CRIT job"), "{log}");
}

#[test]
fn as_pid_1_the_container_ends_with_the_job_s_status() {
    let dir = tempfile::tempdir().expect("tempdir");
    let conf = foreground_conf(
        dir.path(),
        "[program:side]\ncommand=sh -c 'sleep 600 & wait'\nstartsecs=0\n\
         [program:job]\ncommand=sh -c 'sleep 0.5; exit 7'\nstartsecs=0\nshutdown_on=exit\n",
    );
    // unshare waits for its child, supervisord as PID 1, and exits with
    // its status.
    let out = Command::new("unshare")
        .args(["--pid", "--fork", "--kill-child"])
        .arg(env!("CARGO_BIN_EXE_supervisord"))
        .args(["-c", &conf.to_string_lossy()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .expect("unshare");
    let log = std::fs::read_to_string(dir.path().join("supervisord.log")).unwrap_or_default();
    assert_eq!(std::fs::read_to_string(dir.path().join("supervisord.pid")).ok(), None, "pidfile removed at exit");
    assert!(log.contains("supervisord started with pid 1"), "{log}");
    assert_eq!(out.status.code(), Some(7), "{log}");
    assert!(
        log.contains("CRIT job exited (exit status 7): shutting down (shutdown_on = exit), exit status 7"),
        "{log}"
    );
}
