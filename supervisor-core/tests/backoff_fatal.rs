//! startsecs, backoff and FATAL with real processes.

mod common;
use common::*;
use supervisor_core::process::ProcessState::{Backoff, Fatal};
use supervisor_core::supervisor::ControlError;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exiting_too_quickly_backs_off_then_gives_up() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (sv, mut ev) = start(dir.path(), "[program:quick]\ncommand=true\nstartsecs=1\nstartretries=2\n");
    wait_for(&mut ev, "quick", Backoff).await;
    wait_for(&mut ev, "quick", Fatal).await;
    let log = log_contains(dir.path(), "gave up: quick").await;
    assert_eq!(log.matches("spawned: 'quick'").count(), 3, "1 + startretries spawns:\n{log}");
    assert!(log.contains("gave up: quick entered FATAL state, too many start retries too quickly"), "{log}");
    let info = sv.info(&pn("quick")).await.expect("info");
    assert_eq!(info.description, "Exited too quickly (process log may have details)");
    sv.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_command_is_fatal_with_the_spawn_error_and_the_daemon_goes_on() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (sv, mut ev) = start(
        dir.path(),
        "[program:ghost]\ncommand=/no/such/program\nstartretries=1\n[program:ok]\ncommand=sleep 30\nstartsecs=0\n",
    );
    wait_for(&mut ev, "ghost", Fatal).await;
    let info = sv.info(&pn("ghost")).await.expect("info");
    assert_eq!(info.spawn_error.as_deref(), Some("can't find command '/no/such/program'"));
    assert!(mainlog(dir.path()).contains("INFO spawnerr: can't find command '/no/such/program'"));
    assert_eq!(sv.info(&pn("ok")).await.expect("info").state, supervisor_core::process::ProcessState::Running);
    assert_eq!(
        start_one(&sv, "ghost", true).await,
        Err(ControlError::NoFile("can't find command '/no/such/program'".into()))
    );
    sv.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_log_file_that_cannot_be_made_is_a_spawn_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sub = dir.path().join("sub");
    std::fs::create_dir(&sub).expect("dir");
    let (sv, _ev) = start(
        dir.path(),
        &format!(
            "[program:x]\ncommand=sleep 30\nstartsecs=0\nautostart=false\nstartretries=0\nstdout_logfile={}\n",
            sub.join("x.log").display()
        ),
    );
    // Checked when the config was read; gone before the start.
    std::fs::remove_dir(&sub).expect("removed");
    assert_eq!(start_one(&sv, "x", true).await, Err(ControlError::SpawnError("x".into())));
    let info = sv.info(&pn("x")).await.expect("info");
    let message = "unknown error making dispatchers for 'x': ENOENT";
    assert_eq!(info.spawn_error.as_deref(), Some(message));
    assert!(mainlog(dir.path()).contains(&format!("INFO spawnerr: {message}")));
    assert!(!mainlog(dir.path()).contains("spawned: 'x'"), "nothing ran");
    // Back, it starts.
    std::fs::create_dir(&sub).expect("dir");
    assert_eq!(start_one(&sv, "x", true).await, Ok(()));
    // Gone again after a run: the failed spawn keeps no log of the run
    // before, so clearing has nothing to make again and succeeds, as in
    // 4.3.0 (no dispatchers).
    assert_eq!(stop_one(&sv, "x", true).await, Ok(()));
    std::fs::remove_dir_all(&sub).expect("removed");
    assert_eq!(start_one(&sv, "x", true).await, Err(ControlError::SpawnError("x".into())));
    sv.clear_logs(&pn("x")).await.expect("clear");
    assert!(!sub.exists(), "nothing made");
    sv.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn starting_with_wait_reports_abnormal_termination_and_spawn_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (sv, _ev) = start(
        dir.path(),
        "[program:flaky]\ncommand=sh -c 'sleep 0.3; exit 1'\nstartsecs=2\nautostart=false\nstartretries=0\n\
         [program:slow]\ncommand=sleep 30\nstartsecs=1\nautostart=false\n",
    );
    assert_eq!(start_one(&sv, "flaky", true).await, Err(ControlError::SpawnError("flaky".into())));
    assert_eq!(start_one(&sv, "slow", true).await, Ok(()));
    assert_eq!(start_one(&sv, "slow", true).await, Err(ControlError::AlreadyStarted("slow".into())));
    assert_eq!(start_one(&sv, "nope", true).await, Err(ControlError::BadName("nope".into())));
    sv.shutdown().await.expect("shutdown");
}

/// 4.3.0's debug lines around an exit, with the waiting reaper (the
/// library's; supervisord's kernel reaping is in supervisor-bin's
/// trace_log test): the pipes' ends first, in the state before the exit,
/// then the exit, then the SIGCHLD that woke it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exit_is_logged_as_4_3_0_logs_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (sv, mut ev) =
        start(dir.path(), "[program:quick]\ncommand=sh -c 'echo hi; exit 3'\nstartsecs=1\nstartretries=0\n");
    wait_for(&mut ev, "quick", Fatal).await;
    let log = log_contains(dir.path(), "gave up: quick").await;
    let lines: Vec<&str> = log.lines().map(|l| l.get(24..).unwrap_or(l)).collect();
    let at = |prefix: &str| {
        lines.iter().position(|l| l.starts_with(prefix)).unwrap_or_else(|| panic!("no {prefix:?} in\n{log}"))
    };
    let exited = at("WARN exited: quick (exit status 3; not expected)");
    for channel in ["stdout", "stderr"] {
        let closed = lines
            .iter()
            .position(|l| {
                l.starts_with("DEBG fd ")
                    && l.contains(" closed, stopped monitoring <POutputDispatcher at ")
                    && l.contains("with name quick in state STARTING>")
                    && l.ends_with(&format!("({channel})>"))
            })
            .unwrap_or_else(|| panic!("no {channel} close in\n{log}"));
        assert!(closed < exited, "{log}");
    }
    assert_eq!(lines.get(exited + 1), Some(&"DEBG received SIGCHLD indicating a child quit"), "{log}");
    sv.shutdown().await.expect("shutdown");
}
