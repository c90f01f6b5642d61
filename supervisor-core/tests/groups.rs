//! Adding and removing groups while running.

mod common;
use common::*;
use futures_util::StreamExt;
use supervisor_core::config::{Config, GroupConfig, LogFile, ProcessConfig, ProgramSpec};
use supervisor_core::events::Event;
use supervisor_core::process::ProcessState::{Running, Stopped};
use supervisor_core::supervisor::ControlError;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn groups_come_and_go() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (sv, mut ev) = start(dir.path(), "[program:base]\ncommand=sleep 300\nstartsecs=0\n");
    wait_for(&mut ev, "base", Running).await;

    let mut extra = ProcessConfig::new("extra", "sleep 300");
    extra.startsecs = 0;
    let group = GroupConfig::new("more", vec![extra]);
    let mut group_events = sv.events();
    sv.add_group(group.clone()).await.expect("add");
    wait_for(&mut ev, "extra", Running).await;
    assert_eq!(sv.add_group(group).await, Err(ControlError::AlreadyAdded("more".into())));
    let names: Vec<String> = sv.group_configs().await.into_iter().map(|g| g.name).collect();
    assert_eq!(names, ["base", "more"]);
    let info = sv.info(&pn("more:extra")).await.expect("info");
    let log = info.stdout_log.expect("a log").display().to_string();
    assert!(log.contains("extra-stdout---supervisor-"), "AUTO log resolved: {log}");

    assert_eq!(sv.remove_group("more").await, Err(ControlError::StillRunning("more".into())));
    sv.group("more").stop(Wait::Yes).await.expect("stop");
    assert_eq!(sv.info(&pn("more:extra")).await.expect("info").state, Stopped);
    sv.remove_group("more").await.expect("remove");
    assert_eq!(sv.info(&pn("more:extra")).await, Err(ControlError::BadName("more:extra".into())));
    assert_eq!(sv.remove_group("more").await, Err(ControlError::BadName("more".into())));
    sv.shutdown().await.expect("shutdown");

    let mut seen = Vec::new();
    while let Some(Ok(event)) = group_events.next().await {
        match event {
            Event::GroupAdded(g) => seen.push(format!("+{g}")),
            Event::GroupRemoved(g) => seen.push(format!("-{g}")),
            _ => {}
        }
    }
    assert_eq!(seen, ["+more", "-more"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_config_built_in_code_runs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("hello.out");
    let config = Config::builder()
        .program(
            ProgramSpec::new("hello", "echo hello")
                .startsecs(0)
                .autorestart(supervisor_core::config::AutoRestart::Never)
                .stdout_logfile(LogFile::Path(out.clone())),
        )
        .childlogdir(dir.path())
        .build()
        .expect("config");
    let (sv, mut ev) = start_config(config, Default::default());
    wait_for(&mut ev, "hello", supervisor_core::process::ProcessState::Exited).await;
    eventually("output", || std::fs::read_to_string(&out).is_ok_and(|t| t == "hello\n")).await;
    sv.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn applying_a_config_diff() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (sv, mut ev) = start(
        dir.path(),
        "[program:keep]\ncommand=sleep 300\nstartsecs=0\n[program:gone]\ncommand=sleep 300\nstartsecs=0\n\
         [program:edit]\ncommand=sleep 300\nstartsecs=0\n",
    );
    // Equal priorities start in name order.
    let edit = wait_for(&mut ev, "edit", Running).await;
    wait_for(&mut ev, "gone", Running).await;
    let keep = wait_for(&mut ev, "keep", Running).await;
    let old = Config::from_str(
        "[supervisord]\n[program:keep]\ncommand=sleep 300\nstartsecs=0\n[program:gone]\ncommand=sleep 300\nstartsecs=0\n\
         [program:edit]\ncommand=sleep 300\nstartsecs=0\n",
        dir.path().join("supervisord.conf"),
    )
    .expect("old");
    let new = Config::from_str(
        "[supervisord]\n[program:keep]\ncommand=sleep 300\nstartsecs=0\n[program:edit]\ncommand=sleep 301\nstartsecs=0\n\
         [program:new]\ncommand=sleep 300\nstartsecs=0\n",
        dir.path().join("supervisord.conf"),
    )
    .expect("new");
    let results = sv.apply(&supervisor_core::config::diff(&old, &new)).await;
    assert!(results.iter().all(|(_, r)| r.is_ok()), "{results:?}");
    wait_for(&mut ev, "new", Running).await;
    let names: Vec<String> = sv.group_configs().await.into_iter().map(|g| g.name).collect();
    assert_eq!(names, ["edit", "keep", "new"]);
    assert_eq!(sv.info(&pn("keep")).await.expect("keep").pid, Some(keep), "unchanged groups keep running");
    let edited = sv.info(&pn("edit")).await.expect("edit");
    assert_ne!(edited.pid, Some(edit), "changed groups restart");
    assert!(!alive(edit));
    sv.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_configs_running_keep_their_auto_logs_resolved_in_place() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = format!(
        "[supervisord]\nchildlogdir={d}\n[program:a]\ncommand=sleep 300\nstartsecs=0\n",
        d = dir.path().display()
    );
    let config = Config::from_str(&text, dir.path().join("supervisord.conf")).expect("config");
    let as_read = std::sync::Arc::as_ptr(&config.groups[0].processes[0]) as usize;
    let (sv, mut ev) = start_config(config.clone(), Default::default());
    wait_for(&mut ev, "a", Running).await;
    let running = sv.group_configs().await;
    let a = &running[0].processes[0];
    // A config the caller still holds is copied, never changed under it.
    assert_ne!(std::sync::Arc::as_ptr(a) as usize, as_read);
    assert_eq!(config.groups[0].processes[0].stdout.logfile, LogFile::Auto);
    let Some(first) = a.stdout.logfile.path().map(std::path::Path::to_path_buf) else {
        panic!("AUTO resolved: {:?}", a.stdout.logfile)
    };
    assert!(matches!(a.stdout.logfile, LogFile::AutoFile(_)));
    assert!(first.exists(), "{first:?}");
    // Still AUTO, so the config read again is the same setting.
    assert_eq!(running, config.groups);
    sv.shutdown().await.expect("shutdown");

    // The configs a supervisor ran, started again (a restart that falls
    // back to them): AUTO gets a new file, and a config nobody else holds
    // is resolved in place.
    let mut again = config.clone();
    again.groups = running;
    let held = std::sync::Arc::as_ptr(&again.groups[0].processes[0]) as usize;
    let (sv, mut ev) = start_config(again, Default::default());
    wait_for(&mut ev, "a", Running).await;
    let running = sv.group_configs().await;
    let a = &running[0].processes[0];
    assert_eq!(std::sync::Arc::as_ptr(a) as usize, held, "resolved in place");
    let second = a.stdout.logfile.path().expect("a file").to_path_buf();
    assert_ne!(second, first);
    assert!(second.exists());
    sv.shutdown().await.expect("shutdown");
}
