//! `ready_check` with real processes and real servers on 127.0.0.1: a
//! process stays STARTING until its check passes, then RUNNING; one that is
//! never ready is stopped and its start counts as failed.

mod common;
use common::*;

use std::path::Path;
use std::time::{Duration, Instant};

use supervisor_core::process::ProcessState::{Backoff, Fatal, Running, Starting};

/// Starts `programs`, waits for `name` to be RUNNING and returns how long
/// that took; it must have been STARTING all along before.
async fn ready_after(dir: &Path, programs: &str, name: &str) -> Duration {
    let started = Instant::now();
    let (sv, mut ev) = start(dir, programs);
    wait_for(&mut ev, name, Starting).await;
    wait_for(&mut ev, name, Running).await;
    let took = started.elapsed();
    sv.shutdown().await.expect("shutdown");
    took
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tcp_waits_for_the_port_to_open() {
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let server = tcp_server(dir.path(), "db.py", port, 1.5);
    let programs = format!(
        "[program:db]\ncommand={server}\nready_check=tcp://127.0.0.1:{port}\nready_check_interval=0.2\nstartsecs=0\n"
    );
    let took = ready_after(dir.path(), &programs, "db").await;
    assert!(took >= Duration::from_millis(1500), "RUNNING before the port opened ({took:?})");
    log_contains(dir.path(), &format!("success: db entered RUNNING state, process is ready (tcp://127.0.0.1:{port})"))
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_waits_for_a_2xx_answer() {
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    // 503 for the first three requests, then 200.
    let server = http_server(dir.path(), "web.py", port, "200 if n > 3 and self.path == '/health' else 503");
    let programs = format!(
        "[program:web]\ncommand={server}\nready_check=http://127.0.0.1:{port}/health\nready_check_interval=0.3\n"
    );
    let took = ready_after(dir.path(), &programs, "web").await;
    assert!(took >= Duration::from_millis(900), "three 503s come first ({took:?})");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_exec_and_notify_checks() {
    let dir = tempfile::tempdir().expect("tempdir");
    let flag = dir.path().join("flag");
    let notifier = python(
        dir.path(),
        "notify.py",
        "import os, socket, time\ntime.sleep(1)\naddr = os.environ['NOTIFY_SOCKET']\n\
         addr = '\\0' + addr[1:] if addr.startswith('@') else addr\n\
         s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)\ns.sendto(b'STATUS=warming up\\nREADY=1\\n', addr)\n\
         time.sleep(600)\n",
    );
    let programs = format!(
        "[program:chatty]\ncommand=sh -c 'sleep 1; echo server listening on port 80; exec sleep 600'\n\
         ready_check=log:listening on port \\d+\n\
         [program:job]\ncommand=sh -c 'sleep 1; touch {flag}; exec sleep 600'\nready_check=exec:test -f {flag}\n\
         ready_check_interval=0.2\n\
         [program:notifier]\ncommand={notifier}\nready_check=notify\n",
        flag = flag.display()
    );
    let started = Instant::now();
    let (sv, mut ev) = start(dir.path(), &programs);
    for name in ["chatty", "job", "notifier"] {
        wait_for(&mut ev, name, Running).await;
    }
    assert!(started.elapsed() >= Duration::from_secs(1), "none was ready before a second");
    for (name, check) in [
        ("chatty", "log:listening on port \\d+"),
        ("job", &*format!("exec:test -f {}", flag.display())),
        ("notifier", "notify"),
    ] {
        // The line follows the transition.
        log_contains(dir.path(), &format!("success: {name} entered RUNNING state, process is ready ({check})")).await;
    }
    // What it said of itself (STATUS=) shows in its description.
    let notifier = sv.info(&pn("notifier")).await.expect("info");
    assert!(notifier.description.ends_with(", warming up"), "{}", notifier.description);
    sv.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn never_ready_is_stopped_and_gives_up() {
    let dir = tempfile::tempdir().expect("tempdir");
    let programs = "[program:mute]\ncommand=sleep 600\nready_check=log:never\nready_check_timeout=0.5\n\
                    startretries=1\nstopwaitsecs=1\n";
    let (sv, mut ev) = start(dir.path(), programs);
    let first = wait_for(&mut ev, "mute", Starting).await;
    wait_for(&mut ev, "mute", Backoff).await;
    assert!(!alive(first), "the process that was not ready is gone");
    wait_for(&mut ev, "mute", Fatal).await;
    let info = sv.info(&pn("mute")).await.expect("info");
    assert_eq!(info.description, "not ready within 0.5 seconds");
    log_contains(dir.path(), "mute is not ready within 0.5 seconds (log:never): stopping it with SIGTERM").await;
    sv.shutdown().await.expect("shutdown");
}
