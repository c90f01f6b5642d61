//! `startretries = unlimited`, `backoff_max` and `restart_delay` with real
//! processes.

mod common;
use common::*;

use std::time::{Duration, Instant};

use supervisor_core::process::ProcessState::{Backoff, Exited, Running, Starting};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unlimited_retries_keep_trying_until_the_command_is_fixed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let script = dir.path().join("app.sh");
    std::fs::write(&script, "exit 1\n").expect("script");
    let programs = format!(
        "[program:app]\ncommand=sh {}\nstartretries=unlimited\nbackoff_max=0.1\nstartsecs=1\n",
        script.display()
    );
    let (sv, mut ev) = start(dir.path(), &programs);
    for _ in 0..20 {
        wait_for(&mut ev, "app", Backoff).await;
    }
    let info = sv.info(&pn("app")).await.expect("info");
    assert!(matches!(info.state, Backoff | Starting), "still retrying after 20 failed starts: {:?}", info.state);
    assert!(info.description.contains("; starts again at "), "{}", info.description);
    // Fixed: the next try stays up.
    std::fs::write(&script, "exec sleep 600\n").expect("script");
    wait_for(&mut ev, "app", Running).await;
    sv.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_delay_waits_before_the_autorestart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let programs =
        "[program:blip]\ncommand=sh -c 'sleep 0.2; exit 3'\nstartsecs=0\nautorestart=true\nrestart_delay=1\n";
    let (sv, mut ev) = start(dir.path(), programs);
    wait_for(&mut ev, "blip", Exited).await;
    let exited = Instant::now();
    let info = sv.info(&pn("blip")).await.expect("info");
    assert!(info.description.contains("; starts again at "), "{}", info.description);
    wait_for(&mut ev, "blip", Starting).await;
    assert!(exited.elapsed() >= Duration::from_millis(900), "restarted after {:?}", exited.elapsed());
    sv.shutdown().await.expect("shutdown");
}
