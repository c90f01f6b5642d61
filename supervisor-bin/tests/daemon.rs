//! The real `supervisord` binary: foreground and daemon modes, pidfile,
//! HUP restart in the same pid, USR2, TERM shutdown with no survivors.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn wait_until(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn alive(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .is_ok_and(|s| !s.rsplit(')').next().is_some_and(|r| r.trim_start().starts_with('Z')))
}

fn children(pid: i32) -> Vec<i32> {
    let mut out: Vec<i32> = std::fs::read_dir("/proc")
        .expect("proc")
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|p| {
            std::fs::read_to_string(format!("/proc/{p}/stat"))
                .ok()
                .and_then(|s| s.rsplit(')').next()?.split_whitespace().nth(1)?.parse::<i32>().ok())
                == Some(pid)
        })
        .filter(|&p| alive(p))
        .collect();
    out.sort();
    out
}

fn kill(pid: i32, sig: nix::sys::signal::Signal) {
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), sig).expect("kill");
}

fn write_config(dir: &Path, nodaemon: bool) -> std::path::PathBuf {
    let d = dir.display();
    let text = format!(
        "[supervisord]\nlogfile={d}/supervisord.log\npidfile={d}/supervisord.pid\nchildlogdir={d}\nnodaemon={nodaemon}\n\
         [program:a]\ncommand=sleep 300\nstartsecs=0\npriority=1\n[program:b]\ncommand=sleep 300\nstartsecs=0\npriority=2\n"
    );
    let path = dir.join("supervisord.conf");
    std::fs::write(&path, text).expect("write config");
    path
}

fn pid_in(dir: &Path) -> Option<i32> {
    std::fs::read_to_string(dir.join("supervisord.pid")).ok()?.trim().parse().ok()
}

fn log(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("supervisord.log")).unwrap_or_default()
}

#[test]
fn foreground_signals_and_clean_exit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_config(dir.path(), true);
    let child = Command::new(env!("CARGO_BIN_EXE_supervisord"))
        .args(["-c", config.to_str().expect("path")])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let pid = child.id() as i32;
    wait_until("two programs", || children(pid).len() == 2);
    assert_eq!(pid_in(dir.path()), Some(pid));
    let first = children(pid);

    kill(pid, nix::sys::signal::Signal::SIGUSR2);
    wait_until("reopen", || log(dir.path()).contains("INFO received SIGUSR2 indicating log reopen request"));

    kill(pid, nix::sys::signal::Signal::SIGHUP);
    wait_until("restart", || {
        let now = children(pid);
        now.len() == 2 && now.iter().all(|p| !first.contains(p))
    });
    assert!(log(dir.path()).contains("WARN received SIGHUP indicating restart request"));
    assert!(first.iter().all(|&p| !alive(p)), "old children must be gone");
    let second = children(pid);

    kill(pid, nix::sys::signal::Signal::SIGTERM);
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(0));
    let text = log(dir.path());
    assert!(text.contains("WARN received SIGTERM indicating exit request"), "{text}");
    // Higher priority number stops first.
    let (b, a) = (text.rfind("stopped: b ").expect("b"), text.rfind("stopped: a ").expect("a"));
    assert!(b < a, "{text}");
    assert!(second.iter().all(|&p| !alive(p)), "no child survives");
    assert!(!dir.path().join("supervisord.pid").exists(), "pidfile removed");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("INFO supervisord started with pid"), "nodaemon echoes the log: {stdout}");
}

#[test]
fn daemon_mode_detaches_and_stops_on_term() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_config(dir.path(), false);
    let status = Command::new(env!("CARGO_BIN_EXE_supervisord"))
        .args(["-c", config.to_str().expect("path")])
        .status()
        .expect("run");
    assert!(status.success(), "the launching process exits 0");
    wait_until("pidfile", || pid_in(dir.path()).is_some());
    let pid = pid_in(dir.path()).expect("pid");
    wait_until("two programs", || children(pid).len() == 2);
    let kids = children(pid);
    kill(pid, nix::sys::signal::Signal::SIGTERM);
    wait_until("daemon exit", || !alive(pid));
    assert!(kids.iter().all(|&p| !alive(p)));
    assert!(!dir.path().join("supervisord.pid").exists());
}

#[test]
fn a_bad_config_exits_2_without_starting_anything() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bad.conf");
    std::fs::write(&path, "[supervisord]\nnodaemon=true\n[program:x]\ncommand=sleep 300\nstartsecs=soon\n")
        .expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_supervisord"))
        .args(["-c", path.to_str().expect("path")])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("[program:x] startsecs: invalid literal for int()"));
}
