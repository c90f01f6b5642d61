//! `health_check` with real processes: a server that starts failing, one
//! that hangs, and a notify program that stops sending WATCHDOG=1 are each
//! restarted after `health_check_retries` failures.

mod common;
use common::*;

use supervisor_core::process::ProcessState::Running;

/// Waits for `name` to be RUNNING again with another pid; returns it.
async fn restarted(ev: &mut Receiver<supervisor_core::events::Event>, name: &str, first: u32) -> u32 {
    loop {
        let pid = wait_for(ev, name, Running).await;
        if pid != first {
            return pid;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_starts_failing_is_restarted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    // 200 twice, then 500 for good.
    let server = http_server(dir.path(), "web.py", port, "200 if n <= 2 else 500");
    let programs = format!(
        "[program:web]\ncommand={server}\nstartsecs=0\nhealth_check=http://127.0.0.1:{port}/\n\
         health_check_interval=0.2\nhealth_check_retries=3\n"
    );
    let (sv, mut ev) = start(dir.path(), &programs);
    let first = wait_for(&mut ev, "web", Running).await;
    restarted(&mut ev, "web", first).await;
    assert!(!alive(first));
    log_contains(dir.path(), &format!("unhealthy: web (http://127.0.0.1:{port}/: answered 500, 3 times)")).await;
    let info = sv.info(&pn("web")).await.expect("info");
    assert!(info.health_restarts >= 1);
    assert!(info.description.contains("as unhealthy"), "{}", info.description);
    sv.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_hangs_is_cut_at_the_timeout_and_restarted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    // Accepts, never answers.
    let server = python(
        dir.path(),
        "hang.py",
        &format!(
            "import socket, time\ns = socket.socket()\ns.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n\
             s.bind(('127.0.0.1', {port}))\ns.listen()\nheld = []\nwhile True:\n    held.append(s.accept())\n"
        ),
    );
    let programs = format!(
        "[program:hang]\ncommand={server}\nstartsecs=0\nhealth_check=http://127.0.0.1:{port}/\n\
         health_check_interval=0.1\nhealth_check_timeout=0.3\nhealth_check_retries=2\nstopwaitsecs=1\n"
    );
    let (sv, mut ev) = start(dir.path(), &programs);
    let first = wait_for(&mut ev, "hang", Running).await;
    restarted(&mut ev, "hang", first).await;
    log_contains(dir.path(), "unhealthy: hang (").await;
    log_contains(dir.path(), "no answer within 0.3 s, 2 times)").await;
    sv.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_notify_program_that_stops_its_watchdog_is_restarted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let program = python(
        dir.path(),
        "dog.py",
        "import os, socket, time\naddr = os.environ['NOTIFY_SOCKET']\n\
         addr = '\\0' + addr[1:] if addr.startswith('@') else addr\n\
         s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)\n\
         for _ in range(3):\n    s.sendto(b'WATCHDOG=1', addr)\n    time.sleep(0.1)\ntime.sleep(600)\n",
    );
    let programs = format!(
        "[program:dog]\ncommand={program}\nstartsecs=0\nhealth_check=notify\nhealth_check_interval=0.4\n\
         health_check_retries=2\n"
    );
    let (sv, mut ev) = start(dir.path(), &programs);
    let first = wait_for(&mut ev, "dog", Running).await;
    restarted(&mut ev, "dog", first).await;
    log_contains(dir.path(), "unhealthy: dog (notify: no WATCHDOG=1 within 0.4 s, 2 times)").await;
    sv.shutdown().await.expect("shutdown");
}
