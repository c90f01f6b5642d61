//! pidproxy forwards signals to the pid in the file and exits with them.

use std::process::Command;
use std::time::{Duration, Instant};

#[test]
fn forwards_term_to_the_pid_in_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pidfile = dir.path().join("daemon.pid");
    // The "daemon" writes its own pid, then waits.
    let script = format!("echo $$ > {}; exec sleep 300", pidfile.display());
    let mut proxy = Command::new(env!("CARGO_BIN_EXE_pidproxy"))
        .arg(&pidfile)
        .args(["/bin/sh", "-c", &script])
        .spawn()
        .expect("spawn");
    let deadline = Instant::now() + Duration::from_secs(30);
    let pid = loop {
        if let Some(pid) = std::fs::read_to_string(&pidfile).ok().and_then(|t| t.trim().parse::<i32>().ok()) {
            break pid;
        }
        assert!(Instant::now() < deadline, "no pidfile");
        std::thread::sleep(Duration::from_millis(20));
    };
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(proxy.id() as i32), nix::sys::signal::Signal::SIGTERM)
        .expect("kill");
    let status = proxy.wait().expect("wait");
    assert_eq!(status.code(), Some(0));
    // The sleep got the TERM: it is gone (reaped or a zombie of pidproxy's, now reparented).
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| !s.contains(") Z")) {
        assert!(Instant::now() < deadline, "the proxied process survived");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn usage_without_arguments() {
    let out = Command::new(env!("CARGO_BIN_EXE_pidproxy")).output().expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("Usage:"));
}
