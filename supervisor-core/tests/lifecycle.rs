//! A supervisor's life inside a host program: nothing left behind when it
//! is dropped, children that outlive the thread that started them, and the
//! host's own children left to the host.

mod common;
use common::*;

use std::time::Duration;

use futures_util::StreamExt;
use supervisor_core::config::{AutoRestart, Config, ProgramSpec};
use supervisor_core::daemon as reap;
use supervisor_core::process::ProcessState;
use supervisor_core::supervisor::{ControlError, EngineError, RunOptions, Supervisor};

/// A program that starts a grandchild and says its pid.
fn family() -> ProgramSpec {
    ProgramSpec::new("family", "sh -c 'sleep 600 & echo $!; wait'").startsecs(0).stdout_logfile_none()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_the_last_handle_kills_every_child_and_grandchild() {
    let config = Config::builder().program(family()).build().expect("config");
    let (sv, mut output) = Supervisor::start_with(config, RunOptions::default(), Supervisor::output).expect("start");
    let program = sv.program("family");
    program.wait_for(ProcessState::Running, PATIENCE).await.expect("running");
    let child = program.info().await.expect("info")[0].pid.expect("pid");
    let said = tokio::time::timeout(PATIENCE, output.next()).await.expect("output").expect("open").expect("no lag");
    let grandchild: u32 = String::from_utf8_lossy(&said.data).trim().parse().expect("a pid");
    assert!(alive(child) && alive(grandchild));
    drop((program, output));
    // The last handle: no shutdown, so nothing can wait for a graceful stop.
    drop(sv);
    eventually("the child to die", || !alive(child)).await;
    eventually("the grandchild to die", || !alive(grandchild)).await;
}

#[test]
fn children_outlive_the_thread_that_started_them() {
    // PR_SET_PDEATHSIG fires when the *thread* that cloned a child exits: a
    // supervisor started (and its child spawned) on a thread that then ends
    // must not lose the child.
    let (runtime, sv, pid) = std::thread::spawn(|| {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        let (sv, pid) = runtime.block_on(async {
            let spec = ProgramSpec::new("sleeper", "sleep 600").startsecs(0).stdout_logfile_none();
            let config = Config::builder().program(spec).build().expect("config");
            let sv = Supervisor::start(config, RunOptions::default()).expect("start");
            sv.program("sleeper").wait_for(ProcessState::Running, PATIENCE).await.expect("running");
            let pid = sv.program("sleeper").info().await.expect("info")[0].pid.expect("pid");
            (sv, pid)
        });
        (runtime, sv, pid)
    })
    .join()
    .expect("thread");
    std::thread::sleep(Duration::from_millis(300));
    assert!(alive(pid), "the child died with the thread that started the supervisor");
    runtime.block_on(async {
        assert_eq!(sv.program("sleeper").state().await, Ok(ProcessState::Running));
        sv.shutdown().await.expect("shutdown");
    });
    assert!(!alive(pid));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_host_program_still_waits_for_its_own_children() {
    assert_eq!(reap::reaping(), reap::Reaping::OwnChildren, "a library reaps only its own children by default");
    // A crash loop: the supervisor reaps all the time.
    let spec = ProgramSpec::new("crash", "sh -c 'exit 3'")
        .startsecs(0)
        .autorestart(AutoRestart::Always)
        .stdout_logfile_none()
        .stderr_logfile(supervisor_core::config::LogFile::None);
    let config = Config::builder().program(spec).build().expect("config");
    let (sv, mut states) = Supervisor::start_with(config, RunOptions::default(), Supervisor::states).expect("start");
    let host = tokio::task::spawn_blocking(|| {
        (0..100).map(|_| std::process::Command::new("sh").args(["-c", "exit 7"]).status()).collect::<Vec<_>>()
    })
    .await
    .expect("host");
    for status in host {
        assert_eq!(status.expect("the host's wait").code(), Some(7));
    }
    // Meanwhile the supervisor saw its own child's exits, each one's status.
    let mut exits = 0;
    while exits < 3 {
        let change = tokio::time::timeout(PATIENCE, states.next()).await.expect("a change").expect("open");
        let change = change.expect("no lag");
        if change.transition.to == ProcessState::Exited {
            assert_eq!(change.transition.exitstatus, Some(3));
            exits += 1;
        }
    }
    sv.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "current_thread")]
async fn after_shutdown_other_handles_are_told_and_closed_resolves() {
    let config = Config::builder().program(family()).build().expect("config");
    let sv = Supervisor::start(config, RunOptions::default()).expect("start");
    let other = sv.clone();
    let program = sv.program("family");
    program.wait_for(ProcessState::Running, PATIENCE).await.expect("running");
    let pid = program.info().await.expect("info")[0].pid.expect("pid");
    sv.shutdown().await.expect("a clean end");
    assert!(!alive(pid), "shutdown returns once every child is gone");
    assert_eq!(other.closed().await.map(|ended| ended.cause), Ok::<_, EngineError>(None), "ended on request");
    assert_eq!(program.start(supervisor_core::supervisor::Wait::Yes).await, Err(ControlError::ShuttingDown));
}
