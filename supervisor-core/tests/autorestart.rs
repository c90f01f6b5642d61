//! autorestart and exitcodes with real processes.

mod common;
use common::*;
use supervisor_core::process::ProcessState::{Exited, Running, Starting};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crashing_program_comes_back_with_a_new_pid() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (sv, mut ev) =
        start(dir.path(), "[program:crash]\ncommand=sh -c 'sleep 0.3; exit 3'\nstartsecs=0\nautorestart=true\n");
    let first = wait_for(&mut ev, "crash", Running).await;
    sv.program("crash").restart(Wait::Yes).await.expect("restart");
    wait_for(&mut ev, "crash", Exited).await;
    let second = wait_for(&mut ev, "crash", Starting).await;
    assert_ne!(first, 0);
    let again = wait_for(&mut ev, "crash", Running).await;
    assert!(second == 0 || second != first);
    assert_ne!(again, first);
    let log = mainlog(dir.path());
    assert!(log.contains("WARN exited: crash (exit status 3; not expected)"), "{log}");
    sv.shutdown().await.expect("shutdown");
    assert!(!alive(again));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expected_exit_is_not_restarted_by_default() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (sv, mut ev) =
        start(dir.path(), "[program:done]\ncommand=sh -c 'sleep 0.2; exit 2'\nstartsecs=0\nexitcodes=0,2\n");
    wait_for(&mut ev, "done", Exited).await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let info = sv.info(&pn("done")).await.expect("info");
    assert_eq!((info.state, info.exit_status), (Exited, Some(2)));
    assert!(mainlog(dir.path()).contains("INFO exited: done (exit status 2; expected)"));
    assert_eq!(mainlog(dir.path()).matches("spawned: 'done'").count(), 1);
    sv.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unexpected_exit_restarts_under_the_default_policy() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (sv, mut ev) = start(dir.path(), "[program:bad]\ncommand=sh -c 'sleep 0.2; exit 1'\nstartsecs=0\n");
    wait_for(&mut ev, "bad", Exited).await;
    wait_for(&mut ev, "bad", Starting).await;
    let info = sv.info(&pn("bad")).await.expect("info");
    assert_ne!(info.state, Exited);
    sv.shutdown().await.expect("shutdown");
}
