//! Helpers for tests that run real processes under an in-process supervisor.
#![allow(dead_code)]

use std::path::Path;
use std::time::Duration;

use supervisor_core::config::{Config, LogLevel};
use supervisor_core::events::Event;
use supervisor_core::logging::MainLog;
use supervisor_core::process::ProcessState;
use supervisor_core::supervisor::{RunOptions, Supervisor};
use tokio::sync::broadcast::Receiver;

/// Generous: only guards against a hang, never measures speed.
pub const PATIENCE: Duration = Duration::from_secs(30);

/// A supervisor for `programs` (config text after `[supervisord]`), logging
/// to `dir/supervisord.log` at debug level, with child logs in `dir`.
pub fn start(dir: &Path, programs: &str) -> (Supervisor, Receiver<Event>) {
    let text = format!("[supervisord]\nchildlogdir={d}\nlogfile={d}/supervisord.log\n{programs}\n", d = dir.display());
    let config = Config::from_str(&text, dir.join("supervisord.conf")).expect("config");
    let log = MainLog::open(Some(dir.join("supervisord.log")), 0, 0, LogLevel::Debug, false).expect("log");
    let options =
        RunOptions { mainlog: Some(std::sync::Arc::new(std::sync::Mutex::new(log))), ..RunOptions::default() };
    Supervisor::start_subscribed(config, options).expect("start")
}

/// Waits for `name` to enter `state`; returns the transition's pid.
pub async fn wait_for(events: &mut Receiver<Event>, name: &str, state: ProcessState) -> u32 {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let event = tokio::time::timeout_at(deadline, events.recv())
            .await
            .unwrap_or_else(|_| panic!("{name} never reached {state}"))
            .expect("event stream open");
        if let Event::ProcessState { name: n, transition, .. } = event
            && n == name
            && transition.to == state
        {
            return transition.pid;
        }
    }
}

/// supervisord.log's text.
pub fn mainlog(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("supervisord.log")).unwrap_or_default()
}

/// Whether a pid is alive (and not a zombie).
pub fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => !stat.rsplit(')').next().is_some_and(|rest| rest.trim_start().starts_with('Z')),
        Err(_) => false,
    }
}

/// Polls `check` until it holds (guarding against hangs only).
pub async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !check() {
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits until the main log contains `needle`; returns the log.
pub async fn log_contains(dir: &Path, needle: &str) -> String {
    eventually(&format!("{needle:?} in supervisord.log"), || mainlog(dir).contains(needle)).await;
    mainlog(dir)
}

/// Waits for `name` to write `needle` to its output.
pub async fn wait_output(events: &mut Receiver<Event>, name: &str, needle: &str) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    let mut seen = Vec::new();
    while !String::from_utf8_lossy(&seen).contains(needle) {
        let event = tokio::time::timeout_at(deadline, events.recv())
            .await
            .unwrap_or_else(|_| panic!("{name} never wrote {needle:?}"))
            .expect("event stream open");
        if let Event::ProcessLog { name: n, data, .. } = event
            && n == name
        {
            seen.extend(data);
        }
    }
}
