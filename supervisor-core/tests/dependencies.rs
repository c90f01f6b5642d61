//! `depends_on` with real processes: dependents are spawned only once what
//! they depend on is ready, stop before it, and give up when it cannot be.

mod common;
use common::*;

use supervisor_core::process::ProcessState::{Exited, Fatal, Running, Stopped};

/// The byte offset of `needle` in the main log.
fn at(log: &str, needle: &str) -> usize {
    log.find(needle).unwrap_or_else(|| panic!("{needle:?} not in:\n{log}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dependents_start_after_the_database_is_ready_and_stop_before_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let db = tcp_server(dir.path(), "db.py", port, 1.0);
    let programs = format!(
        "[program:web]\ncommand=sleep 600\nstartsecs=0\npriority=1\ndepends_on=db, migrate=succeeded\n\
         [program:migrate]\ncommand=sh -c 'sleep 0.3'\nstartsecs=0\nautorestart=false\ndepends_on=db\n\
         [program:db]\ncommand={db}\nready_check=tcp://127.0.0.1:{port}\nready_check_interval=0.1\n"
    );
    let (sv, mut ev) = start(dir.path(), &programs);
    wait_for(&mut ev, "web", Running).await;
    let info = sv.info(&pn("migrate")).await.expect("migrate");
    assert_eq!((info.state, info.exit_status), (Exited, Some(0)));
    let log = log_contains(dir.path(), "spawned: 'web'").await;
    // db ready, then the job, then its success, then web.
    assert!(at(&log, "success: db entered RUNNING state, process is ready") < at(&log, "spawned: 'migrate'"), "{log}");
    assert!(at(&log, "exited: migrate (exit status 0; expected)") < at(&log, "spawned: 'web'"), "{log}");
    sv.shutdown().await.expect("shutdown");
    let log = mainlog(dir.path());
    // web (priority 1) would stop last by priority; it depends on db, so first.
    assert!(at(&log, "stopped: web") < at(&log, "stopped: db"), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chain_whose_root_is_never_ready_starts_nothing_else() {
    let dir = tempfile::tempdir().expect("tempdir");
    let programs = "[program:a]\ncommand=sleep 600\nready_check=log:never\nready_check_timeout=0.3\nstartretries=0\n\
                    stopwaitsecs=1\n\
                    [program:b]\ncommand=sleep 600\ndepends_on=a\n[program:c]\ncommand=sleep 600\ndepends_on=b\n";
    let (sv, mut ev) = start(dir.path(), programs);
    let a = wait_for(&mut ev, "a", Fatal).await;
    assert!(!alive(a));
    let b = sv.info(&pn("b")).await.expect("b");
    assert_eq!((b.state, b.description.as_str()), (Stopped, "not started: dependency a: a entered FATAL"));
    let c = sv.info(&pn("c")).await.expect("c");
    assert_eq!((c.state, c.description.as_str()), (Stopped, "not started: dependency b: b was not started"));
    let log = log_contains(dir.path(), "not started: b: dependency a: a entered FATAL").await;
    assert!(!log.contains("spawned: 'b'") && !log.contains("spawned: 'c'"), "{log}");
    assert!(sv.processes().await.iter().all(|p| p.pid.is_none()), "nothing left running");
    sv.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_migration_keeps_its_dependents_down() {
    let dir = tempfile::tempdir().expect("tempdir");
    let programs = "[program:migrate]\ncommand=sh -c 'exit 4'\nstartsecs=0\nautorestart=false\n\
                    [program:app]\ncommand=sleep 600\ndepends_on=migrate=succeeded\n";
    let (sv, mut ev) = start(dir.path(), programs);
    wait_for(&mut ev, "migrate", Exited).await;
    let log = log_contains(dir.path(), "not started: app: dependency migrate: migrate exited with status 4").await;
    assert!(!log.contains("spawned: 'app'"), "{log}");
    sv.shutdown().await.expect("shutdown");
}
