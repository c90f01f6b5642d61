//! Helpers for tests that run the real binaries.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Child, Output};
use std::time::{Duration, Instant};

/// Polls `check` until it holds; the limit only guards against hangs.
pub fn wait_until(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Field `n` after the command name in /proc/PID/stat (0: state, 1: ppid).
pub fn stat_field(pid: i32, n: usize) -> Option<String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit(')').next()?.split_whitespace().nth(n).map(str::to_owned)
}

/// Whether `pid` exists and is not a zombie.
pub fn alive(pid: i32) -> bool {
    stat_field(pid, 0).is_some_and(|s| s != "Z")
}

/// The name a process runs under (`/proc/PID/comm`).
fn comm(pid: i32) -> Option<String> {
    std::fs::read_to_string(format!("/proc/{pid}/comm")).ok()
}

/// Live children of `pid` (any thread's), sorted.
pub fn children(pid: i32) -> Vec<i32> {
    let parent = comm(pid);
    let mut out: Vec<i32> = std::fs::read_dir("/proc")
        .expect("proc")
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|&p| stat_field(p, 1).and_then(|pp| pp.parse().ok()) == Some(pid))
        .filter(|&p| alive(p))
        // Not a clone of the parent itself (same name): the daemon's kernel
        // probe at its start, before its signal handlers exist.
        .filter(|&p| comm(p).is_some_and(|c| Some(c) != parent))
        .collect();
    out.sort();
    out
}

/// Zombie children of `pid`.
pub fn zombies(pid: i32) -> usize {
    std::fs::read_dir("/proc")
        .expect("proc")
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|&p| stat_field(p, 1).and_then(|pp| pp.parse().ok()) == Some(pid))
        .filter(|&p| stat_field(p, 0).as_deref() == Some("Z"))
        .count()
}

/// Sends `sig` to `pid`.
pub fn kill(pid: i32, sig: nix::sys::signal::Signal) {
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), sig).expect("kill");
}

/// supervisord.log in `dir`.
pub fn log(dir: &Path) -> String {
    match std::fs::read(dir.join("supervisord.log")) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(e) => format!("<no log: {e}>"),
    }
}

/// A running daemon, stopped with SIGTERM on drop even when a test fails,
/// so nothing is left running. `.1` is the pid to signal.
pub struct Guard(pub Option<Child>, pub i32);

impl Guard {
    pub fn new(child: Child) -> Guard {
        let pid = child.id() as i32;
        Guard(Some(child), pid)
    }

    /// SIGTERM, then the exit status and output.
    pub fn finish(mut self) -> Output {
        let child = self.0.take().expect("child");
        kill(self.1, nix::sys::signal::Signal::SIGTERM);
        child.wait_with_output().expect("wait")
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(self.1), nix::sys::signal::Signal::SIGTERM);
            // A failed test must fail, not hang the suite on a child that
            // ignores SIGTERM (`unshare` waits for the one it forked).
            let deadline = Instant::now() + Duration::from_secs(20);
            while matches!(child.try_wait(), Ok(None)) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
            if matches!(child.try_wait(), Ok(None)) {
                let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(self.1), nix::sys::signal::Signal::SIGKILL);
                let _ = child.kill();
            }
            let _ = child.wait();
        }
    }
}

/// Starts our supervisord on `conf` (stdout discarded); the guard stops it.
pub fn start_daemon(conf: &Path) -> (Guard, i32) {
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_supervisord"))
        .arg("-c")
        .arg(conf)
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("spawn supervisord");
    let pid = child.id() as i32;
    (Guard::new(child), pid)
}

/// The sections most daemon tests share: a unix socket at `dir/s.sock`
/// (with `server_keys`, e.g. credentials), log, pidfile and child logs in
/// `dir`, the foreground, and the `supervisor` namespace.
pub fn daemon_sections(dir: &Path, server_keys: &str) -> String {
    let d = dir.display();
    format!(
        "[unix_http_server]\nfile={d}/s.sock\n{server_keys}[supervisord]\nlogfile={d}/supervisord.log\n\
         pidfile={d}/supervisord.pid\nchildlogdir={d}\nnodaemon=true\n\
         [rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n"
    )
}

/// Writes `text` to `dir/supervisord.conf` and returns that path.
pub fn write_conf(dir: &Path, text: &str) -> std::path::PathBuf {
    let path = dir.join("supervisord.conf");
    std::fs::write(&path, text).expect("write the config");
    path
}

/// `%XX` escapes decoded (what a browser does with a redirect's message).
pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A program of the reference Python Supervisor 4.3.0 (`.venv`, made by
/// `scripts/test`).
pub fn venv(bin: &str) -> std::path::PathBuf {
    let p = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin").join(bin);
    assert!(p.exists(), "the reference venv is missing: run scripts/test (it creates .venv)");
    p
}

/// The config both daemons of a side-by-side test read (`%(here)s` is its
/// folder): a unix socket, the `supervisor` namespace, program `a` and
/// group `g` of `b` and `c` (started first: priority 5), then `more`.
pub fn side_by_side_config(more: &str) -> String {
    format!(
        "[unix_http_server]\nfile=%(here)s/s.sock\n[supervisord]\nlogfile=%(here)s/supervisord.log\n\
         pidfile=%(here)s/supervisord.pid\nchildlogdir=%(here)s\nnodaemon=true\n[rpcinterface:supervisor]\n\
         supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n\
         [program:a]\ncommand=sleep 300\nstartsecs=0\n[group:g]\nprograms=b,c\n\
         [program:b]\ncommand=sleep 300\nstartsecs=0\n[program:c]\ncommand=sleep 300\nstartsecs=0\npriority=5\n{more}"
    )
}

/// An HTTP answer read to its end: status, head, body.
pub struct Answer {
    pub status: u16,
    pub head: String,
    pub body: String,
}

impl Answer {
    /// A header's value (the name in any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }
}

/// Sends a raw request on `stream` and reads the answer until the server
/// closes (send `Connection: close`).
pub fn exchange(stream: &mut (impl std::io::Read + std::io::Write), request: &str) -> Answer {
    stream.write_all(request.as_bytes()).expect("write");
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let text = String::from_utf8_lossy(&answer).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    Answer { status, head: head.to_owned(), body: body.to_owned() }
}
