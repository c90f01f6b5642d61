//! `[fcgi-program:x]` at run time, side by side with 4.3.0: the group's
//! socket listens exactly while some process of the group is alive, every
//! process gets it as fd 0 and accepts on it, and the log says when it is
//! made and closed.

mod common;
use common::*;

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

fn ctl(conf: &Path, args: &[&str]) -> String {
    let out = Command::new(venv("supervisorctl")).arg("-c").arg(conf).args(args).output().expect("supervisorctl");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The pid that answered on the port, if anything listens.
fn answer(port: u16) -> Option<u32> {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(std::time::Duration::from_secs(10))).ok()?;
    let mut text = String::new();
    s.read_to_string(&mut text).ok()?;
    text.trim().strip_prefix("hello from ")?.parse().ok()
}

fn pids(conf: &Path) -> Vec<u32> {
    let mut p: Vec<u32> =
        ["web:web_0", "web:web_1"].iter().filter_map(|n| ctl(conf, &["pid", n]).trim().parse().ok()).collect();
    p.retain(|&x| x > 0);
    p
}

/// The socket lines of supervisord.log, the port masked.
fn socket_lines(dir: &Path, port: u16) -> Vec<String> {
    log(dir)
        .lines()
        .filter(|l| l.contains(" socket "))
        .map(|l| l.get(24..).unwrap_or(l).replace(&port.to_string(), "PORT"))
        .collect()
}

/// Runs one daemon through the scenario; returns its socket lines and what
/// was seen on the port at each step.
fn scenario(daemon: &Path) -> (Vec<String>, Vec<String>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let child_py = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/python/fcgi_child.py");
    let more = format!(
        "[supervisorctl]\nserverurl=unix://%(here)s/s.sock\n\
         [fcgi-program:web]\ncommand={} {}\nsocket=tcp://127.0.0.1:{port}\nnumprocs=2\n\
         process_name=%(program_name)s_%(process_num)s\nstartsecs=0\nautostart=false\n",
        venv("python").display(),
        child_py.display()
    );
    let conf = dir.path().join("supervisord.conf");
    std::fs::write(&conf, side_by_side_config(&more)).expect("write");
    let child =
        Command::new(daemon).arg("-c").arg(&conf).stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("spawn");
    let _daemon = Guard::new(child);
    let mut seen = Vec::new();
    wait_until("the socket", || dir.path().join("s.sock").exists() && ctl(&conf, &["status"]).contains("web:web_1"));
    seen.push(format!("before any start: listening={}", answer(port).is_some()));
    seen.push(ctl(&conf, &["start", "web:*"]));
    let running = pids(&conf);
    seen.push(format!("running: {}", running.len()));
    let mut answered = std::collections::BTreeSet::new();
    for _ in 0..40 {
        if let Some(pid) = answer(port) {
            assert!(running.contains(&pid), "{pid} is not one of {running:?}");
            answered.insert(pid);
        }
    }
    seen.push(format!("answered by a process of the group: {}", !answered.is_empty()));
    seen.push(ctl(&conf, &["stop", "web:web_0"]));
    seen.push(format!("one left: listening={}", answer(port).is_some()));
    seen.push(ctl(&conf, &["stop", "web:web_1"]));
    seen.push(format!("none left: listening={}", answer(port).is_some()));
    seen.push(ctl(&conf, &["start", "web:web_1"]));
    seen.push(format!("started again: listening={}", answer(port).is_some()));
    // No stdin: fd 0 is the socket.
    let out = Command::new(venv("python"))
        .args([
            "-c",
            "import sys, xmlrpc.client\nfrom supervisor.xmlrpc import SupervisorTransport\n\
             p = xmlrpc.client.ServerProxy('http://x', transport=SupervisorTransport(None, None, 'unix://' + sys.argv[1]))\n\
             try:\n    p.supervisor.sendProcessStdin('web:web_1', 'x')\nexcept xmlrpc.client.Fault as f:\n    print(f.faultString)",
        ])
        .arg(dir.path().join("s.sock"))
        .output()
        .expect("python");
    seen.push(String::from_utf8_lossy(&out.stdout).into_owned());
    seen.push(ctl(&conf, &["stop", "web:*"]));
    seen.push(format!("stopped: listening={}", answer(port).is_some()));
    wait_until("the last close", || socket_lines(dir.path(), port).len() >= 6);
    (socket_lines(dir.path(), port), seen)
}

#[test]
fn an_fcgi_group_shares_its_socket_as_4_3_0_s_does() {
    let (their_lines, theirs) = scenario(&venv("supervisord"));
    let (our_lines, ours) = scenario(Path::new(env!("CARGO_BIN_EXE_supervisord")));
    assert_eq!(ours, theirs);
    assert_eq!(our_lines, their_lines);
    assert!(ours.iter().any(|l| l == "answered by a process of the group: true"), "{ours:?}");
    assert_eq!(
        our_lines.first().map(String::as_str),
        Some("INFO Creating socket tcp://127.0.0.1:PORT"),
        "{our_lines:?}"
    );
}

/// `update` after the socket moved: the group's processes restart on the
/// new address and the old one is closed (by both clients' paths).
#[test]
fn update_moves_an_fcgi_group_to_its_new_socket() {
    let dir = tempfile::tempdir().expect("tempdir");
    let child_py = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/python/fcgi_child.py");
    let text = |port: u16| {
        side_by_side_config(&format!(
            "[supervisorctl]\nserverurl=unix://%(here)s/s.sock\n\
             [fcgi-program:web]\ncommand={} {}\nsocket=tcp://127.0.0.1:{port}\nstartsecs=0\n",
            venv("python").display(),
            child_py.display()
        ))
    };
    let (first, second) = (free_port(), free_port());
    let conf = dir.path().join("supervisord.conf");
    std::fs::write(&conf, text(first)).expect("write");
    let (daemon, _) = start_daemon(&conf);
    wait_until("the first socket answers", || answer(first).is_some());
    std::fs::write(&conf, text(second)).expect("write");
    for ctl in [std::path::PathBuf::from(env!("CARGO_BIN_EXE_supervisorctl")), venv("supervisorctl")] {
        let out = Command::new(&ctl).arg("-c").arg(&conf).arg("update").output().expect("update");
        assert!(out.status.success(), "{out:?}");
        wait_until("the new socket answers", || answer(second).is_some());
        assert!(answer(first).is_none(), "the old socket is closed");
        // Back to the first port for the other client.
        std::fs::write(&conf, text(first)).expect("write");
        let out = Command::new(&ctl).arg("-c").arg(&conf).arg("update").output().expect("update");
        assert!(out.status.success(), "{out:?}");
        wait_until("the first socket again", || answer(first).is_some());
        assert!(answer(second).is_none());
        std::fs::write(&conf, text(second)).expect("write");
    }
    let _ = daemon.finish();
}
