//! The engine's own rules with a fake shell and paused time: waiters
//! released on the right transition, group operations, shutdown order,
//! reload.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{broadcast, oneshot};

use super::{Engine, Pending, Request};
use crate::config::{Config, FcgiSocketConfig, GroupConfig, LogLevel, ProcessConfig};
use crate::events::{Channel, Event};
use crate::platform::command::CommandError;
use crate::process::{ExitStatus, Host, ProcessState, SpawnError, Transition};
use crate::signals::Signal;
use crate::supervisor::error::ControlError;
use crate::supervisor::host::{OpenPipe, Shell};
use crate::supervisor::names::{ProcessName, Target};

/// A world that records what the engine asks of it.
struct Fake {
    next_pid: u32,
    /// (process name, pid, command) of each spawn.
    spawned: Vec<(String, u32, String)>,
    /// (pid, signal) of each signal.
    kills: Vec<(u32, Signal)>,
    logs: Vec<String>,
    changes: Vec<(String, ProcessState)>,
    published: Vec<Event>,
    bus: broadcast::Sender<Event>,
    stdin: Vec<(u32, Vec<u8>)>,
    missing: HashSet<String>,
    /// Programs whose spawn fails (a command that cannot run).
    unspawnable: HashSet<String>,
}

impl Fake {
    fn new() -> Fake {
        Fake {
            next_pid: 100,
            spawned: Vec::new(),
            kills: Vec::new(),
            logs: Vec::new(),
            changes: Vec::new(),
            published: Vec::new(),
            bus: broadcast::channel(64).0,
            stdin: Vec::new(),
            missing: HashSet::new(),
            unspawnable: HashSet::new(),
        }
    }
}

impl Host for Fake {
    fn spawn(&mut self, config: &Arc<ProcessConfig>) -> Result<u32, SpawnError> {
        if self.unspawnable.contains(&config.name) {
            return Err(SpawnError(format!("can't find command '{}'", config.command)));
        }
        self.next_pid += 1;
        self.spawned.push((config.name.clone(), self.next_pid, config.command.clone()));
        Ok(self.next_pid)
    }
    fn kill(&mut self, pid: u32, _group: bool, signal: Signal) -> Result<(), nix::errno::Errno> {
        self.kills.push((pid, signal));
        Ok(())
    }
    fn log(&mut self, _: LogLevel, message: String) {
        self.logs.push(message);
    }
    fn transition(&mut self, config: &ProcessConfig, change: Transition) {
        self.changes.push((config.name.clone(), change.to));
    }
}

impl Shell for Fake {
    fn publish(&mut self, event: Event) {
        self.published.push(event);
    }
    fn subscribe_for_pools(&mut self) -> broadcast::Receiver<Event> {
        self.bus.subscribe()
    }
    fn write_stdin(&mut self, pid: u32, data: &[u8]) -> bool {
        self.stdin.push((pid, data.to_vec()));
        true
    }
    fn check_command(&self, config: &ProcessConfig) -> Result<(), CommandError> {
        if self.missing.contains(&config.name) {
            return Err(CommandError::NotFound(config.command.clone()));
        }
        Ok(())
    }
    fn reaped(&mut self, _: u32) {}
    fn close_pipes(&mut self, _: u32, _: Option<(Channel, u64)>) -> Vec<OpenPipe> {
        Vec::new()
    }
    fn set_listener_group(&mut self, _: &str, _: bool) {}
    fn add_socket(&mut self, _: &str, _: &FcgiSocketConfig) {}
    fn remove_socket(&mut self, _: &str) {}
    fn forget_logs(&mut self, _: &str) {}
    fn clear_logs(&mut self, _: &ProcessConfig) -> std::io::Result<()> {
        Ok(())
    }
    fn reopen_logs(&mut self) {}
    fn main_log_path(&self) -> Option<std::path::PathBuf> {
        None
    }
}

fn groups(programs: &str) -> Vec<GroupConfig> {
    let text = format!("[supervisord]\n{programs}");
    Config::from_str(&text, "/tmp/engine.conf").expect("config").groups
}

fn engine(programs: &str) -> Engine<Fake> {
    let mut engine = Engine::new(groups(programs), Fake::new(), "supervisor");
    engine.begin();
    engine
}

fn name(n: &str) -> ProcessName {
    ProcessName::new(n, n)
}

/// Sends a request and returns what the engine answered at once.
fn ask<T>(engine: &mut Engine<Fake>, make: impl FnOnce(oneshot::Sender<T>) -> Request) -> T {
    let (tx, mut rx) = oneshot::channel();
    engine.on_request(Some(make(tx)));
    rx.try_recv().expect("answered at once")
}

fn state(engine: &mut Engine<Fake>, n: &str) -> ProcessState {
    let infos = ask(engine, |r| Request::Info(Target::Process(name(n)), r)).expect("known");
    infos[0].state
}

fn pid(engine: &mut Engine<Fake>, n: &str) -> u32 {
    let infos = ask(engine, |r| Request::Info(Target::Process(name(n)), r)).expect("known");
    infos[0].pid.expect("a pid")
}

/// Whether an answer has come, and which.
fn answered(pending: &mut Pending) -> Option<Result<(), ControlError>> {
    pending.1.try_recv().ok()
}

#[tokio::test(start_paused = true)]
async fn a_start_waiter_is_released_once_the_process_is_running() {
    let mut e = engine("[program:a]\ncommand=a\nautostart=false\nstartsecs=1\n");
    let mut pending = ask(&mut e, |r| Request::Start(Target::Process(name("a")), true, r)).expect("started");
    assert_eq!(pending.len(), 1);
    assert_eq!(state(&mut e, "a"), ProcessState::Starting);
    assert_eq!(answered(&mut pending[0]), None, "not before startsecs");
    tokio::time::advance(Duration::from_millis(999)).await;
    e.on_timer();
    assert_eq!(answered(&mut pending[0]), None);
    tokio::time::advance(Duration::from_millis(1)).await;
    e.on_timer();
    assert_eq!(answered(&mut pending[0]), Some(Ok(())));
    assert_eq!(state(&mut e, "a"), ProcessState::Running);
}

#[tokio::test(start_paused = true)]
async fn a_start_waiter_hears_of_a_death_while_starting() {
    let mut e = engine("[program:a]\ncommand=a\nautostart=false\nstartsecs=5\n");
    let mut pending = ask(&mut e, |r| Request::Start(Target::Process(name("a")), true, r)).expect("started");
    let a = pid(&mut e, "a");
    e.on_exits([(a, ExitStatus::Exited(1))]);
    // As 4.3.0: "Exited too quickly" is a spawn error, and the wait says so.
    assert_eq!(answered(&mut pending[0]), Some(Err(ControlError::SpawnError("a".into()))));
    assert_eq!(state(&mut e, "a"), ProcessState::Backoff);
    // Without waiting, the answer is at once.
    let mut e = engine("[program:b]\ncommand=b\nautostart=false\nstartsecs=5\n");
    let mut pending = ask(&mut e, |r| Request::Start(Target::Process(name("b")), false, r)).expect("started");
    assert_eq!(answered(&mut pending[0]), Some(Ok(())));
}

#[tokio::test(start_paused = true)]
async fn refusals_come_at_once_and_name_the_process() {
    let mut e = engine("[program:a]\ncommand=a\nstartsecs=0\n[program:gone]\ncommand=nope\nautostart=false\n");
    e.host.missing.insert("gone".into());
    let mut again = ask(&mut e, |r| Request::Start(Target::Process(name("a")), true, r)).expect("one");
    assert_eq!(answered(&mut again[0]), Some(Err(ControlError::AlreadyStarted("a".into()))));
    let mut missing = ask(&mut e, |r| Request::Start(Target::Process(name("gone")), true, r)).expect("one");
    assert!(matches!(answered(&mut missing[0]), Some(Err(ControlError::NoFile(_)))));
    let unknown = ask(&mut e, |r| Request::Start(Target::Process(name("zz")), true, r));
    assert_eq!(unknown.err(), Some(ControlError::BadName("zz".into())));
    let unknown = ask(&mut e, |r| Request::Stop(Target::Group("zz".into()), true, r));
    assert_eq!(unknown.err(), Some(ControlError::BadName("zz".into())));
}

#[tokio::test(start_paused = true)]
async fn a_group_start_skips_what_runs_and_a_stop_goes_highest_priority_first() {
    let mut e = engine(
        "[group:g]\nprograms=low,high\n\
         [program:low]\ncommand=low\npriority=1\nautostart=false\nstartsecs=0\n\
         [program:high]\ncommand=high\npriority=2\nautostart=false\nstartsecs=0\n",
    );
    let g = |n: &str| ProcessName::new("g", n);
    let mut first = ask(&mut e, |r| Request::Start(Target::Process(g("low")), true, r)).expect("one");
    assert_eq!(answered(&mut first[0]), Some(Ok(())));
    let mut rest = ask(&mut e, |r| Request::Start(Target::Group("g".into()), true, r)).expect("group");
    assert_eq!(rest.iter().map(|p| p.0.clone()).collect::<Vec<_>>(), [g("high")], "the running one is skipped");
    assert_eq!(answered(&mut rest[0]), Some(Ok(())));
    let (low, high) = (e.host.spawned[0].1, e.host.spawned[1].1);

    let mut stops = ask(&mut e, |r| Request::Stop(Target::All, true, r)).expect("all");
    assert_eq!(stops.iter().map(|p| p.0.clone()).collect::<Vec<_>>(), [g("low"), g("high")], "answers in start order");
    assert_eq!(e.host.kills, [(high, Signal::TERM), (low, Signal::TERM)], "signals highest priority first");
    assert_eq!(answered(&mut stops[1]), None, "waits for the exit");
    e.on_exits([(high, ExitStatus::Signaled { signal: 15, core_dumped: false })]);
    assert_eq!(answered(&mut stops[1]), Some(Ok(())));
    assert_eq!(answered(&mut stops[0]), None);
    e.on_exits([(low, ExitStatus::Signaled { signal: 15, core_dumped: false })]);
    assert_eq!(answered(&mut stops[0]), Some(Ok(())));
    // Nothing runs: a group stop has nothing to do, a process stop is refused.
    assert!(ask(&mut e, |r| Request::Stop(Target::Group("g".into()), true, r)).expect("group").is_empty());
    let mut one = ask(&mut e, |r| Request::Stop(Target::Process(g("low")), true, r)).expect("one");
    assert_eq!(answered(&mut one[0]), Some(Err(ControlError::NotRunning("g:low".into()))));
}

#[tokio::test(start_paused = true)]
async fn a_program_target_is_its_numprocs_processes() {
    let mut e = engine(
        "[program:w]\ncommand=w\nnumprocs=2\nprocess_name=w_%(process_num)d\nautostart=false\nstartsecs=0\n\
         [program:other]\ncommand=o\nautostart=false\n",
    );
    let target = Target::Program { group: None, program: "w".into() };
    let started = ask(&mut e, |r| Request::Start(target.clone(), false, r)).expect("program");
    let names: Vec<String> = started.iter().map(|p| p.0.to_string()).collect();
    assert_eq!(names, ["w:w_0", "w:w_1"]);
    let unknown = ask(&mut e, |r| Request::Start(Target::Program { group: None, program: "nope".into() }, false, r));
    assert_eq!(unknown.err(), Some(ControlError::BadName("nope".into())));
}

#[tokio::test(start_paused = true)]
async fn a_stop_escalates_to_kill_after_stopwaitsecs() {
    let mut e = engine("[program:a]\ncommand=a\nstartsecs=0\nstopwaitsecs=3\n");
    let a = pid(&mut e, "a");
    let mut stop = ask(&mut e, |r| Request::Stop(Target::Process(name("a")), true, r)).expect("one");
    assert_eq!(e.host.kills, [(a, Signal::TERM)]);
    tokio::time::advance(Duration::from_secs(2)).await;
    e.on_timer();
    assert_eq!(e.host.kills.len(), 1, "not before stopwaitsecs");
    tokio::time::advance(Duration::from_secs(1)).await;
    e.on_timer();
    assert_eq!(e.host.kills, [(a, Signal::TERM), (a, Signal::KILL)]);
    e.on_exits([(a, ExitStatus::Signaled { signal: 9, core_dumped: false })]);
    assert_eq!(answered(&mut stop[0]), Some(Ok(())));
}

#[tokio::test(start_paused = true)]
async fn shutdown_stops_one_group_at_a_time_highest_priority_first() {
    let mut e = engine(
        "[program:first]\ncommand=f\npriority=1\nstartsecs=0\n\
         [program:last]\ncommand=l\npriority=9\nstartsecs=0\n",
    );
    let (first, last) = (pid(&mut e, "first"), pid(&mut e, "last"));
    let (tx, mut done) = oneshot::channel();
    e.on_request(Some(Request::Shutdown(tx)));
    assert!(!e.finished());
    assert_eq!(e.host.kills, [(last, Signal::TERM)], "the last to start stops first, alone");
    // Nothing new starts while shutting down.
    let refused = ask(&mut e, |r| Request::Start(Target::Process(name("first")), false, r)).expect("one");
    assert_eq!(
        refused.into_iter().next().map(|mut p| p.1.try_recv().ok()),
        Some(Some(Err(ControlError::ShuttingDown)))
    );
    e.on_exits([(last, ExitStatus::Exited(0))]);
    assert!(!e.finished());
    assert_eq!(e.host.kills, [(last, Signal::TERM), (first, Signal::TERM)]);
    assert!(done.try_recv().is_err(), "answered only when all are down");
    e.on_exits([(first, ExitStatus::Exited(0))]);
    assert!(e.finished());
    assert_eq!(done.try_recv(), Ok(()));
    assert!(e.host.published.contains(&Event::SupervisorState(crate::process::SupervisorState::Shutdown)));
}

#[tokio::test(start_paused = true)]
async fn replacing_a_group_keeps_the_unchanged_process_running() {
    let programs = "[group:g]\nprograms=keep,edit\n\
                    [program:keep]\ncommand=k\nstartsecs=0\n[program:edit]\ncommand=old\nstartsecs=0\n";
    let mut e = engine(programs);
    let g = |n: &str| ProcessName::new("g", n);
    let keep = e.host.spawned.iter().find(|s| s.0 == "keep").map(|s| s.1).expect("keep");
    let edit = e.host.spawned.iter().find(|s| s.0 == "edit").map(|s| s.1).expect("edit");
    // What `update_group` does: stop the changed process, then replace.
    let mut stop = ask(&mut e, |r| Request::Stop(Target::Process(g("edit")), true, r)).expect("one");
    e.on_exits([(edit, ExitStatus::Exited(0))]);
    assert_eq!(answered(&mut stop[0]), Some(Ok(())));
    let new = groups(&programs.replace("command=old", "command=new")).remove(0);
    let replaced = ask(&mut e, |r| Request::ReplaceGroup(Box::new(new), vec!["keep".into()], r));
    assert_eq!(replaced, Ok(()));
    let infos = ask(&mut e, |r| Request::Info(Target::Group("g".into()), r)).expect("group");
    let keep_now = infos.iter().find(|i| i.config.name == "keep").and_then(|i| i.pid);
    assert_eq!(keep_now, Some(keep), "the unchanged process was not touched");
    let last = e.host.spawned.last().expect("a spawn");
    assert_eq!((last.0.as_str(), last.2.as_str()), ("edit", "new"), "the changed one starts with its new command");
    assert!(!e.host.kills.iter().any(|(p, _)| *p == keep));
}

#[tokio::test(start_paused = true)]
async fn stdin_goes_only_to_a_running_process() {
    let mut e = engine("[program:a]\ncommand=a\nstartsecs=0\n[program:b]\ncommand=b\nautostart=false\n");
    let a = pid(&mut e, "a");
    assert_eq!(ask(&mut e, |r| Request::SendStdin(name("a"), b"hi\n".to_vec(), r)), Ok(()));
    assert_eq!(e.host.stdin, [(a, b"hi\n".to_vec())]);
    let refused = ask(&mut e, |r| Request::SendStdin(name("b"), b"hi\n".to_vec(), r));
    assert_eq!(refused, Err(ControlError::NotRunning("b".into())));
}

fn spawned(e: &Engine<Fake>, n: &str) -> bool {
    e.host.spawned.iter().any(|s| s.0 == n)
}

fn description(e: &mut Engine<Fake>, n: &str) -> String {
    let infos = ask(e, |r| Request::Info(Target::Process(name(n)), r)).expect("known");
    infos[0].info().description
}

#[tokio::test(start_paused = true)]
async fn a_dependent_waits_stopped_until_its_dependency_runs() {
    let mut e = engine(
        "[program:web]\ncommand=w\nstartsecs=0\ndepends_on=db\n\
         [program:db]\ncommand=d\nstartsecs=1\n",
    );
    assert!(spawned(&e, "db") && !spawned(&e, "web"));
    assert_eq!(state(&mut e, "web"), ProcessState::Stopped);
    assert_eq!(description(&mut e, "web"), "waiting for db (running)");
    tokio::time::advance(Duration::from_secs(1)).await;
    e.on_timer();
    assert_eq!(state(&mut e, "db"), ProcessState::Running);
    assert!(spawned(&e, "web"), "started once db runs");
    assert_eq!(state(&mut e, "web"), ProcessState::Running);
    let order: Vec<&str> = e.host.spawned.iter().map(|s| s.0.as_str()).collect();
    assert_eq!(order, ["db", "web"]);
}

#[tokio::test(start_paused = true)]
async fn a_fatal_dependency_gives_its_dependents_up() {
    let mut e = engine(
        "[program:a]\ncommand=a\nstartretries=0\n\
         [program:b]\ncommand=b\ndepends_on=a\n[program:c]\ncommand=c\ndepends_on=b\n",
    );
    let a = pid(&mut e, "a");
    e.on_exits([(a, ExitStatus::Exited(1))]);
    e.on_timer();
    assert_eq!(state(&mut e, "a"), ProcessState::Fatal);
    assert!(!spawned(&e, "b") && !spawned(&e, "c"), "never spawned");
    assert_eq!(description(&mut e, "b"), "not started: dependency a: a entered FATAL");
    assert!(e.host.logs.iter().any(|l| l == "not started: b: dependency a: a entered FATAL"), "{:?}", e.host.logs);
    assert_eq!(state(&mut e, "c"), ProcessState::Stopped);
    assert!(e.next_deadline().is_none(), "nothing left to do, no timer spinning");
}

#[tokio::test(start_paused = true)]
async fn a_job_must_succeed_and_is_not_run_again() {
    let programs = "[program:migrate]\ncommand=m\nstartsecs=0\nautorestart=false\n\
                    [program:app]\ncommand=a\nstartsecs=0\nautostart=false\ndepends_on=migrate=succeeded\n";
    let mut e = engine(programs);
    let m = pid(&mut e, "migrate");
    let mut start = ask(&mut e, |r| Request::Start(Target::Process(name("app")), true, r)).expect("one");
    assert_eq!(description(&mut e, "app"), "waiting for migrate (succeeded)");
    e.on_exits([(m, ExitStatus::Exited(0))]);
    assert_eq!(answered(&mut start[0]), Some(Ok(())), "started once the job succeeded, and RUNNING");
    // Restarting the dependent does not run the job again.
    let app = pid(&mut e, "app");
    let mut stop = ask(&mut e, |r| Request::Stop(Target::Process(name("app")), true, r)).expect("one");
    e.on_exits([(app, ExitStatus::Exited(0))]);
    assert_eq!(answered(&mut stop[0]), Some(Ok(())));
    let mut again = ask(&mut e, |r| Request::Start(Target::Process(name("app")), true, r)).expect("one");
    assert_eq!(answered(&mut again[0]), Some(Ok(())));
    assert_eq!(e.host.spawned.iter().filter(|s| s.0 == "migrate").count(), 1);

    // A failed job: the dependent does not start.
    let mut e = engine(programs);
    let m = pid(&mut e, "migrate");
    let mut start = ask(&mut e, |r| Request::Start(Target::Process(name("app")), true, r)).expect("one");
    e.on_exits([(m, ExitStatus::Exited(3))]);
    assert!(matches!(answered(&mut start[0]), Some(Err(ControlError::Failed(_)))));
    assert_eq!(description(&mut e, "app"), "not started: dependency migrate: migrate exited with status 3");
    assert!(!spawned(&e, "app"));
}

#[tokio::test(start_paused = true)]
async fn starting_a_dependent_starts_its_dependencies_first() {
    let mut e = engine(
        "[program:db]\ncommand=d\nautostart=false\nstartsecs=0\n\
         [program:cache]\ncommand=c\nautostart=false\nstartsecs=1\n\
         [program:web]\ncommand=w\nautostart=false\nstartsecs=0\ndepends_on=db,cache\n",
    );
    assert!(e.host.spawned.is_empty());
    let mut start = ask(&mut e, |r| Request::Start(Target::Process(name("web")), true, r)).expect("one");
    assert!(spawned(&e, "db") && spawned(&e, "cache") && !spawned(&e, "web"));
    assert_eq!(description(&mut e, "web"), "waiting for cache (running)");
    assert_eq!(answered(&mut start[0]), None);
    tokio::time::advance(Duration::from_secs(1)).await;
    e.on_timer();
    assert_eq!(answered(&mut start[0]), Some(Ok(())));
    assert_eq!(state(&mut e, "web"), ProcessState::Running);
}

#[tokio::test(start_paused = true)]
async fn stopping_everything_stops_dependents_first() {
    // By priority alone db (999) would stop before web (1).
    let mut e = engine(
        "[program:web]\ncommand=w\nstartsecs=0\npriority=1\ndepends_on=db\n\
         [program:db]\ncommand=d\nstartsecs=0\npriority=999\n",
    );
    let (web, db) = (pid(&mut e, "web"), pid(&mut e, "db"));
    let mut stops = ask(&mut e, |r| Request::Stop(Target::All, true, r)).expect("all");
    assert_eq!(e.host.kills, [(web, Signal::TERM)], "the dependent first, alone");
    e.on_exits([(web, ExitStatus::Signaled { signal: 15, core_dumped: false })]);
    assert_eq!(e.host.kills, [(web, Signal::TERM), (db, Signal::TERM)]);
    e.on_exits([(db, ExitStatus::Signaled { signal: 15, core_dumped: false })]);
    assert!(stops.iter_mut().all(|p| answered(p) == Some(Ok(()))));

    // Shutdown too.
    let mut e = engine(
        "[program:web]\ncommand=w\nstartsecs=0\npriority=1\ndepends_on=db\n\
         [program:db]\ncommand=d\nstartsecs=0\npriority=999\n",
    );
    let (web, db) = (pid(&mut e, "web"), pid(&mut e, "db"));
    let (tx, _done) = oneshot::channel();
    e.on_request(Some(Request::Shutdown(tx)));
    assert!(!e.finished());
    assert_eq!(e.host.kills, [(web, Signal::TERM)]);
    e.on_exits([(web, ExitStatus::Exited(0))]);
    assert!(!e.finished());
    assert_eq!(e.host.kills, [(web, Signal::TERM), (db, Signal::TERM)]);
}

#[tokio::test(start_paused = true)]
async fn a_group_added_later_depending_on_a_running_one_starts_at_once() {
    let mut e = engine("[program:db]\ncommand=d\nstartsecs=0\n");
    assert_eq!(state(&mut e, "db"), ProcessState::Running);
    let added = groups("[program:db]\ncommand=d\n[program:web]\ncommand=w\nstartsecs=0\ndepends_on=db\n")
        .into_iter()
        .find(|g| g.name == "web")
        .expect("web");
    assert_eq!(ask(&mut e, |r| Request::AddGroup(Box::new(added), r)), Ok(()));
    e.on_timer();
    assert!(spawned(&e, "web"), "its dependency already runs");
    assert_eq!(state(&mut e, "web"), ProcessState::Running);
}

#[tokio::test(start_paused = true)]
async fn an_autostart_dependent_whose_command_cannot_run_goes_fatal_not_round_and_round() {
    let mut fake = Fake::new();
    fake.unspawnable.insert("web".into());
    fake.missing.insert("web".into());
    let mut e = Engine::new(
        groups("[program:db]\ncommand=d\nstartsecs=0\n[program:web]\ncommand=/typo\nstartretries=0\ndepends_on=db\n"),
        fake,
        "supervisor",
    );
    e.begin();
    e.on_timer();
    assert_eq!(state(&mut e, "db"), ProcessState::Running);
    assert_eq!(state(&mut e, "web"), ProcessState::Fatal, "a spawn error, as an autostart's in 4.3.0");
    assert_eq!(e.next_deadline(), None, "nothing left due: no busy loop");
}

#[tokio::test(start_paused = true)]
async fn stop_all_gets_through_a_chain_whose_middle_is_backing_off() {
    let mut fake = Fake::new();
    fake.unspawnable.insert("b".into());
    let mut e = Engine::new(
        groups(
            "[program:a]\ncommand=a\nstartsecs=0\n\
             [program:b]\ncommand=b\nstartretries=unlimited\ndepends_on=a\n\
             [program:c]\ncommand=c\nautostart=false\ndepends_on=b\n",
        ),
        fake,
        "supervisor",
    );
    e.begin();
    e.on_timer();
    let a = pid(&mut e, "a");
    assert_eq!(state(&mut e, "b"), ProcessState::Backoff);
    let mut stops = ask(&mut e, |r| Request::Stop(Target::All, true, r)).expect("all");
    assert_eq!(e.host.kills, [(a, Signal::TERM)], "b went down at once, so a's stop was let go");
    e.on_exits([(a, ExitStatus::Exited(0))]);
    assert!(stops.iter_mut().all(|p| answered(p) == Some(Ok(()))));
}

#[tokio::test(start_paused = true)]
async fn starting_a_running_dependent_is_already_started() {
    let mut e = engine("[program:db]\ncommand=d\nstartsecs=0\n[program:web]\ncommand=w\nstartsecs=0\ndepends_on=db\n");
    assert_eq!(state(&mut e, "web"), ProcessState::Running);
    let mut again = ask(&mut e, |r| Request::Start(Target::Process(name("web")), true, r)).expect("one");
    assert_eq!(answered(&mut again[0]), Some(Err(ControlError::AlreadyStarted("web".into()))));
    assert!(e.next_deadline().is_none() || state(&mut e, "web") == ProcessState::Running);
}

#[tokio::test(start_paused = true)]
async fn failed_health_checks_are_counted_then_restart_the_process() {
    use crate::supervisor::news::PumpNews;
    let mut e =
        engine("[program:web]\ncommand=w\nstartsecs=0\nhealth_check=tcp://127.0.0.1:9\nhealth_check_retries=3\n");
    let web = pid(&mut e, "web");
    let health = |e: &mut Engine<Fake>| {
        let info = ask(e, |r| Request::Info(Target::Process(name("web")), r)).expect("known")[0].info();
        (info.health_failures, info.health_restarts)
    };
    e.on_news(PumpNews::Health(web, Err("connection refused".into())));
    e.on_news(PumpNews::Health(web, Err("connection refused".into())));
    assert_eq!(health(&mut e), (2, 0));
    e.on_news(PumpNews::Health(web, Ok(())));
    assert_eq!(health(&mut e), (0, 0), "a pass ends the run of failures");
    for _ in 0..3 {
        e.on_news(PumpNews::Health(web, Err("connection refused".into())));
    }
    assert_eq!(e.host.kills, [(web, Signal::TERM)], "restarted: stopped first");
    assert!(e.host.logs.iter().any(|l| l == "unhealthy: web (tcp://127.0.0.1:9: connection refused, 3 times)"));
    e.on_exits([(web, ExitStatus::Signaled { signal: 15, core_dumped: false })]);
    assert_eq!(state(&mut e, "web"), ProcessState::Running, "then started again");
    assert_ne!(pid(&mut e, "web"), web);
    assert_eq!(health(&mut e), (0, 1));
}

#[tokio::test(start_paused = true)]
async fn restarts_are_counted_by_reason_and_the_last_exit_is_kept() {
    use crate::supervisor::news::PumpNews;
    let mut e = engine(
        "[program:web]\ncommand=w\nstartsecs=0\nautorestart=true\nhealth_check=tcp://127.0.0.1:9\n\
         health_check_retries=1\n[program:job]\ncommand=j\nautostart=false\nstartsecs=0\nautorestart=false\n",
    );
    let figures = |e: &mut Engine<Fake>, n: &str| {
        let all = ask(e, Request::Metrics).processes;
        all.into_iter().find(|p| p.process.name() == n).expect("known")
    };
    let fresh = figures(&mut e, "job");
    assert_eq!((fresh.restarts.manual, fresh.exit_status, fresh.health_failures), (0, None, None));
    // A crash, restarted by autorestart; its status is kept while it runs again.
    let web = pid(&mut e, "web");
    e.on_exits([(web, ExitStatus::Exited(3))]);
    assert_eq!(state(&mut e, "web"), ProcessState::Running);
    let web_now = figures(&mut e, "web");
    assert_eq!((web_now.restarts.autorestart, web_now.restarts.manual, web_now.exit_status), (1, 0, Some(3)));
    assert_eq!(web_now.health_failures, Some(0));
    // A failed health check: a health restart, not an autorestart.
    let web = pid(&mut e, "web");
    e.on_news(PumpNews::Health(web, Err("refused".into())));
    e.on_exits([(web, ExitStatus::Signaled { signal: 15, core_dumped: false })]);
    let web_now = figures(&mut e, "web");
    assert_eq!((web_now.restarts.autorestart, web_now.restarts.health, web_now.restarts.manual), (1, 1, 0));
    assert_eq!(web_now.exit_status, Some(-1));
    // The first start on request is no restart; a start after a stop is.
    ask(&mut e, |r| Request::Start(Target::Process(name("job")), false, r)).expect("started");
    let job = pid(&mut e, "job");
    e.on_exits([(job, ExitStatus::Exited(0))]);
    assert_eq!(figures(&mut e, "job").restarts.manual, 0);
    ask(&mut e, |r| Request::Start(Target::Process(name("job")), false, r)).expect("started");
    let job_now = figures(&mut e, "job");
    assert_eq!((job_now.restarts.manual, job_now.restarts.autorestart, job_now.exit_status), (1, 0, Some(0)));
}

/// An engine whose autostart programs have all been started.
fn running(programs: &str) -> Engine<Fake> {
    let mut e = engine(programs);
    settle(&mut e);
    e
}

/// Stops everything, `wait`ing or not; the answers to come.
fn stop_all(e: &mut Engine<Fake>, wait: bool) -> Vec<Pending> {
    ask(e, |r| Request::Stop(Target::All, wait, r)).expect("stop")
}

/// Runs the turns a pass left for later until nothing is due.
fn settle(e: &mut Engine<Fake>) {
    while e.has_due() {
        e.on_timer();
    }
}

fn idle_programs(n: usize) -> String {
    (0..n).map(|i| format!("[program:p{i:02}]\ncommand=p\nstartsecs=0\n")).collect()
}

#[tokio::test(start_paused = true)]
async fn a_mass_start_goes_in_turns_in_order_and_questions_are_answered_between_them() {
    let mut e = engine(&idle_programs(40));
    // One turn spawned a few; the rest stay due for the next turns.
    let first = e.host.spawned.len();
    assert!(first > 0 && first < 40, "{first} spawned in the first turn");
    assert!(e.has_due());
    // A question is answered as things are, before the next turn.
    let infos = ask(&mut e, Request::AllInfo);
    assert_eq!(infos.len(), 40);
    assert_eq!(infos.iter().filter(|i| i.state != ProcessState::Stopped).count(), first);
    settle(&mut e);
    // The same order as in one pass: every spawn in start order, then
    // every RUNNING.
    let spawned: Vec<&str> = e.host.spawned.iter().map(|s| s.0.as_str()).collect();
    let want: Vec<String> = (0..40).map(|i| format!("p{i:02}")).collect();
    assert_eq!(spawned, want);
    let last_starting = e.host.changes.iter().rposition(|c| c.1 == ProcessState::Starting);
    let first_running = e.host.changes.iter().position(|c| c.1 == ProcessState::Running);
    assert!(last_starting < first_running, "{:?}", e.host.changes);
    assert!(ask(&mut e, Request::AllInfo).iter().all(|i| i.state == ProcessState::Running));
}

#[tokio::test(start_paused = true)]
async fn a_request_that_acts_comes_after_everything_that_was_due() {
    let mut e = engine(&idle_programs(40));
    assert!(e.has_due());
    let pending = stop_all(&mut e, false);
    assert_eq!(e.host.spawned.len(), 40, "every due start happened first");
    assert_eq!(pending.len(), 40);
    settle(&mut e);
    assert_eq!(e.host.kills.len(), 40, "and the stop reached all of them");
}

#[tokio::test(start_paused = true)]
async fn a_mass_stop_goes_in_turns_in_order_and_questions_are_answered_between_them() {
    let mut e = running(&idle_programs(100));
    let pids: Vec<u32> = e.host.spawned.iter().map(|s| s.1).collect();
    let mut pending = stop_all(&mut e, false);
    let first = e.host.kills.len();
    assert!(first > 0 && first < 100, "{first} signalled in the first turn");
    // A question between turns sees exactly those STOPPING.
    let infos = ask(&mut e, Request::AllInfo);
    assert_eq!(infos.iter().filter(|i| i.state == ProcessState::Stopping).count(), first);
    assert_eq!(pending.iter_mut().filter_map(answered).count(), first, "an answer as each stop is sent");
    settle(&mut e);
    // Highest priority (here: last in start order) first, as in one turn.
    let killed: Vec<u32> = e.host.kills.iter().map(|k| k.0).collect();
    let want: Vec<u32> = pids.iter().rev().copied().collect();
    assert_eq!(killed, want);
    assert!(pending.iter_mut().filter_map(answered).all(|a| a.is_ok()));
}

#[tokio::test(start_paused = true)]
async fn a_process_that_exits_before_its_queued_stop_is_stopped_not_restarted() {
    let mut e = running(&idle_programs(100));
    let mut pending = stop_all(&mut e, true);
    // p00 is stopped last: it crashes while its stop waits in the queue.
    let p00 = pid(&mut e, "p00");
    assert!(!e.host.kills.iter().any(|k| k.0 == p00));
    assert_eq!(state(&mut e, "p00"), ProcessState::Running);
    e.on_exits([(p00, ExitStatus::Exited(1))]);
    assert_eq!(state(&mut e, "p00"), ProcessState::Stopped, "no autorestart: its stop was decided");
    assert!(answered(&mut pending[0]).is_some_and(|a| a.is_ok()), "and its caller heard");
    settle(&mut e);
    assert_eq!(e.host.spawned.len(), 100, "nothing was started again");
    assert!(!e.host.kills.iter().any(|k| k.0 == p00), "never signalled: its pid is free again");
}

#[tokio::test(start_paused = true)]
async fn a_queued_stop_is_not_overtaken_by_a_health_restart() {
    use crate::supervisor::news::PumpNews;
    let mut programs = idle_programs(40);
    programs.push_str(
        "[program:aa]\ncommand=w\nstartsecs=0\npriority=1\nhealth_check=tcp://127.0.0.1:9\nhealth_check_retries=1\n",
    );
    let mut e = running(&programs);
    let aa = pid(&mut e, "aa");
    // `aa` starts first, so it stops last: its stop waits in the queue.
    let mut pending = stop_all(&mut e, true);
    assert!(!e.host.kills.iter().any(|k| k.0 == aa));
    e.on_news(PumpNews::Health(aa, Err("connection refused".into())));
    settle(&mut e);
    let pids: Vec<u32> = e.host.kills.iter().map(|k| k.0).collect();
    assert_eq!(pids.iter().filter(|&&p| p == aa).count(), 1, "stopped once, by the stop");
    e.on_exits(pids.iter().map(|&p| (p, ExitStatus::Signaled { signal: 15, core_dumped: false })));
    assert_eq!(state(&mut e, "aa"), ProcessState::Stopped, "and not started again");
    assert_eq!(e.host.spawned.len(), 41);
    assert!(pending.iter_mut().filter_map(answered).all(|a| a.is_ok()));
}

#[tokio::test(start_paused = true)]
async fn stop_waiters_are_answered_each_when_its_process_stops() {
    let mut e = running(&idle_programs(20));
    let mut pending = stop_all(&mut e, true);
    assert!(e.stopping_waits());
    let pids: Vec<u32> = e.host.kills.iter().map(|k| k.0).collect();
    // Half of them exit: exactly their callers hear.
    e.on_exits(pids[..10].iter().map(|&p| (p, ExitStatus::Signaled { signal: 15, core_dumped: false })));
    let done: Vec<bool> = pending.iter_mut().map(|p| answered(p).is_some()).collect();
    assert_eq!(done.iter().filter(|d| **d).count(), 10, "{done:?}");
    assert!(e.stopping_waits());
    e.on_exits(pids[10..].iter().map(|&p| (p, ExitStatus::Signaled { signal: 15, core_dumped: false })));
    let rest = pending.iter_mut().filter_map(answered).filter(Result::is_ok).count();
    assert_eq!(rest, 10, "the other half heard once theirs stopped");
    assert!(!e.stopping_waits(), "no stop is waited for any more");
}
