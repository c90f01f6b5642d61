//! Stopping: the stop signal, SIGKILL after stopwaitsecs, process groups.

mod common;
use common::*;
use supervisor_core::process::ProcessState::{Running, Stopped};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_program_ignoring_sigterm_is_killed_after_stopwaitsecs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (sv, mut ev) = start(
        dir.path(),
        "[program:stubborn]\ncommand=sh -c 'trap \"\" TERM; echo ready; while true; do sleep 0.1; done'\nstartsecs=0\nstopwaitsecs=1\n",
    );
    // Stop only once the trap is in place. (The output can come before or
    // after the RUNNING event, so wait for it alone.)
    wait_output(&mut ev, "stubborn", "ready").await;
    let pid = sv.info(&pn("stubborn")).await.expect("info").pid.expect("pid");
    stop_one(&sv, "stubborn", true).await.expect("stop");
    assert_eq!(sv.info(&pn("stubborn")).await.expect("info").state, Stopped);
    let log = log_contains(dir.path(), "stopped: stubborn").await;
    assert!(log.contains(&format!("WARN killing 'stubborn' ({pid}) with SIGKILL")), "{log}");
    assert!(log.contains("WARN stopped: stubborn (terminated by SIGKILL)"), "{log}");
    assert!(!alive(pid));
    sv.shutdown().await.expect("shutdown");
}

fn children_of(pid: u32) -> Vec<u32> {
    std::fs::read_dir("/proc")
        .expect("proc")
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|p| {
            std::fs::read_to_string(format!("/proc/{p}/stat"))
                .ok()
                .and_then(|s| s.rsplit(')').next().map(str::to_owned))
                .and_then(|rest| rest.split_whitespace().nth(1).and_then(|pp| pp.parse::<u32>().ok()))
                == Some(pid)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopasgroup_reaches_the_grandchildren() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (sv, mut ev) = start(
        dir.path(),
        "[program:family]\ncommand=sh -c 'sleep 300 & sleep 300 & wait'\nstartsecs=0\nstopasgroup=true\n",
    );
    let pid = wait_for(&mut ev, "family", Running).await;
    let mut kids = Vec::new();
    eventually("two grandchildren", || {
        kids = children_of(pid);
        kids.len() == 2
    })
    .await;
    stop_one(&sv, "family", true).await.expect("stop");
    eventually("grandchildren gone", || kids.iter().all(|&k| !alive(k))).await;
    sv.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clean_stop_and_signals() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (sv, mut ev) = start(dir.path(), "[program:sleeper]\ncommand=sleep 300\nstartsecs=0\n");
    let pid = wait_for(&mut ev, "sleeper", Running).await;
    signal_one(&sv, "sleeper", supervisor_core::signals::Signal::TERM).await.expect("signal");
    // Not a stop: it exited on its own and autorestart=unexpected brings it back.
    wait_for(&mut ev, "sleeper", Running).await;
    assert!(!alive(pid));
    stop_one(&sv, "sleeper", true).await.expect("stop");
    assert_eq!(
        stop_one(&sv, "sleeper", true).await,
        Err(supervisor_core::supervisor::ControlError::NotRunning("sleeper".into()))
    );
    assert!(mainlog(dir.path()).contains("WARN stopped: sleeper (terminated by SIGTERM)"));
    sv.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_waiting_stop_is_reported() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (sv, mut ev) = start(
        dir.path(),
        "[program:slow]\ncommand=sh -c 'trap \"sleep 1; exit 0\" TERM; echo ready; while true; do sleep 0.1; done'\n\
         startsecs=0\nstopwaitsecs=10\n",
    );
    wait_output(&mut ev, "slow", "ready").await;
    stop_one(&sv, "slow", true).await.expect("stop");
    let log = log_contains(dir.path(), "stopped: slow").await;
    assert!(log.contains("INFO waiting for slow to stop"), "{log}");
    assert!(log.contains("INFO stopped: slow (exit status 0)"), "{log}");
    sv.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_child_that_closes_its_pipes_is_still_supervised() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (sv, mut ev) = start(
        dir.path(),
        "[program:quiet]\ncommand=sh -c 'exec 0<&- 1>&- 2>&-; sleep 300'\nstartsecs=1\nstopasgroup=true\n",
    );
    let pid = wait_for(&mut ev, "quiet", Running).await;
    stop_one(&sv, "quiet", true).await.expect("stop");
    assert!(!alive(pid));
    sv.shutdown().await.expect("shutdown");
}
