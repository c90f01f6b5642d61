//! numprocs expansion at run time, and shutdown order.

mod common;
use common::*;
use supervisor_core::process::ProcessState::Running;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn numprocs_run_side_by_side() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (sv, mut ev) =
        start(dir.path(), "[program:w]\ncommand=sleep 300\nnumprocs=3\nprocess_name=w_%(process_num)d\nstartsecs=0\n");
    for n in 0..3 {
        wait_for(&mut ev, &format!("w_{n}"), Running).await;
    }
    let infos = sv.processes().await;
    let names: Vec<_> = infos.iter().map(|i| i.process.to_string()).collect();
    assert_eq!(names, ["w:w_0", "w:w_1", "w:w_2"]);
    let mut pids: Vec<u32> = infos.iter().filter_map(|i| i.pid).collect();
    pids.dedup();
    assert_eq!(pids.len(), 3);
    assert!(infos[0].description.starts_with(&format!("pid {}, uptime 0:00:0", pids[0])));
    sv.shutdown().await.expect("shutdown");
    for pid in pids {
        assert!(!alive(pid), "{pid} survived shutdown");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_stops_groups_highest_priority_first() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (sv, mut ev) = start(
        dir.path(),
        "[program:first]\ncommand=sleep 300\npriority=1\nstartsecs=0\n\
         [program:last]\ncommand=sleep 300\npriority=900\nstartsecs=0\n\
         [program:middle]\ncommand=sleep 300\npriority=50\nstartsecs=0\n",
    );
    for n in ["first", "middle", "last"] {
        wait_for(&mut ev, n, Running).await;
    }
    sv.shutdown().await.expect("shutdown");
    let log = mainlog(dir.path());
    let at = |n: &str| log.find(&format!("stopped: {n} ")).unwrap_or_else(|| panic!("{n} not stopped:\n{log}"));
    assert!(at("last") < at("middle") && at("middle") < at("first"), "{log}");
    let spawned = |n: &str| log.find(&format!("spawned: '{n}'")).expect("spawned");
    assert!(spawned("first") < spawned("middle") && spawned("middle") < spawned("last"), "start order:\n{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_operations_cover_every_member() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (sv, mut ev) = start(
        dir.path(),
        "[program:g]\ncommand=sleep 300\nnumprocs=2\nprocess_name=g_%(process_num)d\nstartsecs=0\nautostart=false\n",
    );
    let started = sv.group("g").start(Wait::Yes).await.expect("start group");
    assert_eq!(started, [(pn("g:g_0"), Ok(())), (pn("g:g_1"), Ok(()))]);
    wait_for(&mut ev, "g_1", Running).await;
    let stopped = sv.stop_processes(Target::All, Wait::Yes).await.expect("stop all");
    // Stopped highest priority first, reported in start order (as 4.3.0).
    assert_eq!(stopped, [(pn("g:g_0"), Ok(())), (pn("g:g_1"), Ok(()))]);
    assert!(sv.processes().await.iter().all(|i| i.state.is_stopped()));
    assert_eq!(
        sv.group("nope").start(Wait::Yes).await,
        Err(supervisor_core::supervisor::ControlError::BadName("nope".into()))
    );
    sv.shutdown().await.expect("shutdown");
}
