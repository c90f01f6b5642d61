//! Every 4.3.0 lifecycle rule, on the pure state machine with a fake host.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use super::machine::{Host, Now, Process, SpawnError, StartError, Transition};
use super::state::ProcessState as S;
use crate::config::{AutoRestart, Config, LogLevel, ProcessConfig};
use crate::exit::ExitStatus;
use crate::signals::Signal;

#[derive(Default)]
struct Fake {
    next_pid: u32,
    spawn_error: Option<String>,
    kill_error: Option<nix::errno::Errno>,
    spawns: u32,
    kills: Vec<(u32, bool, Signal)>,
    logs: Vec<(LogLevel, String)>,
    changes: Vec<Transition>,
}

impl Host for Fake {
    fn spawn(&mut self, _: &Arc<ProcessConfig>) -> Result<u32, SpawnError> {
        self.spawns += 1;
        if let Some(e) = &self.spawn_error {
            return Err(SpawnError(e.clone()));
        }
        self.next_pid += 1;
        Ok(100 + self.next_pid)
    }
    fn kill(&mut self, pid: u32, group: bool, signal: Signal) -> Result<(), nix::errno::Errno> {
        self.kills.push((pid, group, signal));
        self.kill_error.map_or(Ok(()), Err)
    }
    fn log(&mut self, level: LogLevel, message: String) {
        self.logs.push((level, message));
    }
    fn transition(&mut self, _: &ProcessConfig, change: Transition) {
        self.changes.push(change);
    }
}

impl Fake {
    fn states(&self) -> Vec<(S, S)> {
        self.changes.iter().map(|c| (c.from, c.to)).collect()
    }
    fn logged(&self, level: LogLevel, text: &str) -> bool {
        self.logs.iter().any(|(l, m)| *l == level && m == text)
    }
}

fn at(secs: f64) -> Now {
    let d = Duration::from_secs_f64(secs);
    Now { mono: d, wall: SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000) + d }
}

fn process(extra: &str) -> Process {
    let text = format!("[supervisord]\n[program:cat]\ncommand=/bin/cat\n{extra}\n");
    let config = Config::from_str(&text, "/tmp/t.conf").expect("config");
    Process::new(Arc::clone(&config.groups[0].processes[0]))
}

fn exit(code: i32) -> ExitStatus {
    ExitStatus::Exited(code)
}

#[test]
fn autostart_then_running_after_startsecs() {
    let (mut p, mut h) = (process(""), Fake::default());
    assert_eq!(p.deadline(true), Some(Duration::ZERO));
    p.tick(&mut h, at(0.0), true);
    assert_eq!((p.state(), p.pid()), (S::Starting, 101));
    assert!(h.logged(LogLevel::Info, "spawned: 'cat' with pid 101"));
    assert_eq!(p.deadline(true), Some(Duration::from_secs(1)));
    p.tick(&mut h, at(0.5), true);
    assert_eq!(p.state(), S::Starting);
    p.tick(&mut h, at(1.0), true);
    assert_eq!(p.state(), S::Running);
    assert!(h.logged(
        LogLevel::Info,
        "success: cat entered RUNNING state, process has stayed up for > than 1 seconds (startsecs)"
    ));
    assert_eq!(h.states(), [(S::Stopped, S::Starting), (S::Starting, S::Running)]);
    assert_eq!(p.deadline(true), None, "an idle RUNNING process needs no timer");
}

#[test]
fn startsecs_zero_is_running_at_once() {
    let (mut p, mut h) = (process("startsecs=0"), Fake::default());
    p.tick(&mut h, at(0.0), true);
    assert_eq!(p.deadline(true), Some(Duration::ZERO));
    p.tick(&mut h, at(0.0), true);
    assert_eq!(p.state(), S::Running);
}

#[test]
fn no_autostart_means_no_start_and_no_timer() {
    let (mut p, mut h) = (process("autostart=false"), Fake::default());
    assert_eq!(p.deadline(true), None);
    p.tick(&mut h, at(0.0), true);
    assert_eq!((p.state(), h.spawns), (S::Stopped, 0));
}

#[test]
fn early_exits_back_off_linearly_then_give_up() {
    let (mut p, mut h) = (process("startretries=3"), Fake::default());
    let mut t = 0.0;
    p.tick(&mut h, at(t), true);
    for tries in 1..=4u32 {
        t += 0.1;
        p.exited(&mut h, exit(1), at(t));
        assert_eq!(p.state(), S::Backoff);
        assert_eq!(p.backoff(), tries);
        assert_eq!(p.spawnerr(), Some("Exited too quickly (process log may have details)"));
        assert_eq!(h.changes.last().map(|c| c.tries), Some(tries));
        if tries <= 3 {
            // Retry after 1 s, 2 s, 3 s: not before.
            assert_eq!(p.deadline(true), Some(Duration::from_secs_f64(t) + Duration::from_secs(u64::from(tries))));
            p.tick(&mut h, at(t + f64::from(tries) - 0.05), true);
            assert_eq!(p.state(), S::Backoff);
            t += f64::from(tries);
            p.tick(&mut h, at(t), true);
            assert_eq!(p.state(), S::Starting);
        }
    }
    assert!(h.logged(LogLevel::Warn, "exited: cat (exit status 1; not expected)"));
    p.tick(&mut h, at(t + 0.2), true);
    assert_eq!(p.state(), S::Fatal);
    assert!(h.logged(LogLevel::Info, "gave up: cat entered FATAL state, too many start retries too quickly"));
    assert_eq!(h.spawns, 4, "1 + startretries spawns");
    assert_eq!((p.backoff(), p.deadline(true)), (0, None));
}

#[test]
fn spawn_errors_go_to_backoff_with_the_message() {
    let (mut p, mut h) =
        (process("startretries=0"), Fake { spawn_error: Some("can't find command '/x'".into()), ..Fake::default() });
    p.tick(&mut h, at(0.0), true);
    assert_eq!(p.state(), S::Backoff);
    assert_eq!(p.spawnerr(), Some("can't find command '/x'"));
    assert!(h.logged(LogLevel::Info, "spawnerr: can't find command '/x'"));
    assert_eq!(h.states(), [(S::Stopped, S::Starting), (S::Starting, S::Backoff)]);
    p.tick(&mut h, at(0.0), true);
    assert_eq!(p.state(), S::Fatal);
}

#[test]
fn running_reset_the_backoff_counter() {
    let (mut p, mut h) = (process(""), Fake::default());
    p.tick(&mut h, at(0.0), true);
    p.exited(&mut h, exit(1), at(0.1));
    p.tick(&mut h, at(1.2), true);
    assert_eq!((p.state(), p.backoff()), (S::Starting, 1));
    p.tick(&mut h, at(2.3), true);
    assert_eq!((p.state(), p.backoff()), (S::Running, 0));
}

#[test]
fn autorestart_unexpected_follows_exitcodes() {
    let (mut p, mut h) = (process("startsecs=0\nexitcodes=0,2"), Fake::default());
    p.tick(&mut h, at(0.0), true);
    p.tick(&mut h, at(0.0), true);
    p.exited(&mut h, exit(2), at(5.0));
    assert_eq!((p.state(), p.exitstatus()), (S::Exited, Some(2)));
    assert!(h.changes.last().is_some_and(|c| c.expected));
    assert!(h.logged(LogLevel::Info, "exited: cat (exit status 2; expected)"));
    assert_eq!(h.changes.last().map(|c| c.exitstatus), Some(Some(2)));
    assert_eq!(p.deadline(true), None, "expected exit: no restart");

    let (mut p, mut h) = (process("startsecs=0"), Fake::default());
    p.tick(&mut h, at(0.0), true);
    p.tick(&mut h, at(0.0), true);
    p.exited(&mut h, exit(3), at(5.0));
    assert!(h.changes.last().is_some_and(|c| !c.expected));
    assert_eq!(p.spawnerr(), Some("Bad exit code 3"));
    assert!(h.logged(LogLevel::Warn, "exited: cat (exit status 3; not expected)"));
    assert_eq!(p.deadline(true), Some(Duration::ZERO));
    p.tick(&mut h, at(5.0), true);
    assert_eq!((p.state(), h.spawns), (S::Starting, 2));
}

#[test]
fn autorestart_true_and_false() {
    for (setting, restarts) in [("true", true), ("false", false)] {
        let (mut p, mut h) = (process(&format!("startsecs=0\nautorestart={setting}")), Fake::default());
        assert_eq!(p.config().autorestart, if restarts { AutoRestart::Always } else { AutoRestart::Never });
        p.tick(&mut h, at(0.0), true);
        p.tick(&mut h, at(0.0), true);
        p.exited(&mut h, exit(0), at(1.0));
        p.tick(&mut h, at(1.0), true);
        assert_eq!(p.state() == S::Starting, restarts, "autorestart={setting}");
        // The autostart is not a restart; the start after the exit is.
        assert_eq!(p.autorestarts(), u64::from(restarts), "autorestart={setting}");
    }
}

#[test]
fn no_restarts_while_shutting_down() {
    let (mut p, mut h) = (process("startsecs=0\nautorestart=true"), Fake::default());
    p.tick(&mut h, at(0.0), true);
    p.tick(&mut h, at(0.0), true);
    p.exited(&mut h, exit(0), at(1.0));
    assert_eq!(p.deadline(false), None);
    p.tick(&mut h, at(1.0), false);
    assert_eq!(p.state(), S::Exited);
}

#[test]
fn stop_signals_then_sigkills_after_stopwaitsecs() {
    let (mut p, mut h) = (process("stopsignal=INT\nstopwaitsecs=2"), Fake::default());
    p.tick(&mut h, at(0.0), true);
    p.tick(&mut h, at(1.0), true);
    assert_eq!(p.stop(&mut h, at(10.0)), Ok(()));
    assert_eq!(p.state(), S::Stopping);
    assert_eq!(h.kills, [(101, false, Signal::INT)]);
    assert!(h.logged(LogLevel::Debug, "killing cat (pid 101) with signal SIGINT"));
    assert_eq!(p.deadline(true), Some(Duration::from_secs(12)));
    p.tick(&mut h, at(11.9), true);
    assert_eq!(h.kills.len(), 1);
    p.tick(&mut h, at(12.0), true);
    assert!(h.logged(LogLevel::Warn, "killing 'cat' (101) with SIGKILL"));
    assert_eq!(h.kills[1], (101, false, Signal::KILL));
    // Still stuck: SIGKILL again every stopwaitsecs.
    assert_eq!(p.deadline(true), Some(Duration::from_secs(14)));
    p.exited(&mut h, ExitStatus::Signaled { signal: 9, core_dumped: false }, at(12.1));
    assert_eq!(p.state(), S::Stopped);
    assert!(h.logged(LogLevel::Warn, "stopped: cat (terminated by SIGKILL)"));
    assert_eq!(p.deadline(true), None, "a stopped process is not autostarted again");
}

#[test]
fn stopasgroup_and_killasgroup_pick_the_target() {
    let (mut p, mut h) = (process("stopasgroup=true"), Fake::default());
    p.tick(&mut h, at(0.0), true);
    p.stop(&mut h, at(0.5)).expect("stop");
    p.tick(&mut h, at(10.5), true);
    assert_eq!(h.kills, [(101, true, Signal::TERM), (101, true, Signal::KILL)]);
    assert!(h.logged(LogLevel::Debug, "killing cat (pid 101) process group with signal SIGTERM"));

    let (mut p, mut h) = (process("killasgroup=true"), Fake::default());
    p.tick(&mut h, at(0.0), true);
    p.stop(&mut h, at(0.5)).expect("stop");
    p.tick(&mut h, at(10.5), true);
    assert_eq!(h.kills, [(101, false, Signal::TERM), (101, true, Signal::KILL)]);
}

#[test]
fn a_clean_stop_exit_logs_info() {
    let (mut p, mut h) = (process(""), Fake::default());
    p.tick(&mut h, at(0.0), true);
    p.stop(&mut h, at(0.5)).expect("stop");
    p.exited(&mut h, exit(0), at(0.6));
    assert!(h.logged(LogLevel::Info, "stopped: cat (exit status 0)"));
    assert_eq!(h.states().last(), Some(&(S::Stopping, S::Stopped)));
}

#[test]
fn stopping_a_backoff_process_is_immediate() {
    let (mut p, mut h) = (process(""), Fake::default());
    p.tick(&mut h, at(0.0), true);
    p.exited(&mut h, exit(1), at(0.1));
    assert_eq!(p.stop(&mut h, at(0.2)), Ok(()));
    assert_eq!((p.state(), h.kills.len()), (S::Stopped, 0));
}

#[test]
fn stopping_or_signalling_nothing_is_an_error() {
    let (mut p, mut h) = (process("autostart=false"), Fake::default());
    assert_eq!(p.stop(&mut h, at(0.0)), Err("attempted to kill cat with sig SIGTERM but it wasn't running".into()));
    assert_eq!(
        p.signal(&mut h, Signal::HUP, at(0.0)),
        Err("attempted to send cat sig SIGHUP but it wasn't running".into())
    );
}

#[test]
fn kill_failures() {
    // ESRCH: it just exited; stay STOPPING and let the reaper report it.
    let (mut p, mut h) = (process(""), Fake { kill_error: Some(nix::errno::Errno::ESRCH), ..Fake::default() });
    p.tick(&mut h, at(0.0), true);
    assert_eq!(p.stop(&mut h, at(0.5)), Ok(()));
    assert_eq!(p.state(), S::Stopping);
    assert!(h.logged(
        LogLevel::Debug,
        "unable to signal cat (pid 101), it probably just exited on its own: [Errno 3] No such process"
    ));
    // A signal that finds it gone says "just now", as 4.3.0 does.
    let (mut p, mut h) = (process(""), Fake { kill_error: Some(nix::errno::Errno::ESRCH), ..Fake::default() });
    p.tick(&mut h, at(0.0), true);
    assert_eq!(p.signal(&mut h, Signal::HUP, at(0.5)), Ok(()));
    assert!(h.logged(
        LogLevel::Debug,
        "unable to signal cat (pid 101), it probably just now exited on its own: [Errno 3] No such process"
    ));
    // Anything else: UNKNOWN.
    let (mut p, mut h) = (process(""), Fake { kill_error: Some(nix::errno::Errno::EPERM), ..Fake::default() });
    p.tick(&mut h, at(0.0), true);
    assert!(p.stop(&mut h, at(0.5)).is_err());
    assert_eq!(p.state(), S::Unknown);
    assert!(matches!(p.start(&mut h, at(1.0)), Err(StartError::NotStartable(_, S::Unknown))));
}

#[test]
fn signal_does_not_change_state() {
    let (mut p, mut h) = (process(""), Fake::default());
    p.tick(&mut h, at(0.0), true);
    p.tick(&mut h, at(1.0), true);
    assert_eq!(p.signal(&mut h, Signal::USR1, at(2.0)), Ok(()));
    assert_eq!((p.state(), h.kills.clone()), (S::Running, vec![(101, false, Signal::USR1)]));
    assert!(h.logged(LogLevel::Debug, "sending cat (pid 101) sig SIGUSR1"));
}

#[test]
fn start_requests() {
    let (mut p, mut h) = (process("autostart=false"), Fake::default());
    assert_eq!(p.start(&mut h, at(0.0)), Ok(()));
    assert_eq!(p.start(&mut h, at(0.1)), Err(StartError::AlreadyStarted));
    p.stop(&mut h, at(0.2)).expect("stop");
    assert!(matches!(p.start(&mut h, at(0.3)), Err(StartError::NotStartable(_, S::Stopping))));
    p.exited(&mut h, ExitStatus::Signaled { signal: 15, core_dumped: false }, at(0.4));
    assert_eq!(p.start(&mut h, at(0.5)), Ok(()));
    assert_eq!(p.start_time(), Some(at(0.5).wall));
    assert_eq!(p.stop_time(), Some(at(0.4).wall));
}

#[test]
fn an_exit_after_startsecs_but_before_the_tick_passes_through_running() {
    let (mut p, mut h) = (process("autorestart=false"), Fake::default());
    p.tick(&mut h, at(0.0), true);
    p.exited(&mut h, exit(0), at(1.5));
    assert_eq!(h.states(), [(S::Stopped, S::Starting), (S::Starting, S::Running), (S::Running, S::Exited)]);
    assert_eq!(h.changes[1].pid, 101);
}

#[test]
fn waiting_to_stop_is_reported_every_two_seconds() {
    let (mut p, mut h) = (process(""), Fake::default());
    p.tick(&mut h, at(0.0), true);
    p.stop(&mut h, at(1.0)).expect("stop");
    for t in [1.0, 2.0, 3.5, 4.0] {
        p.stop_report(&mut h, at(t));
    }
    let n = h.logs.iter().filter(|(_, m)| m == "waiting for cat to stop").count();
    assert_eq!(n, 2);
}

#[test]
fn a_ready_check_replaces_startsecs() {
    let (mut p, mut h) =
        (process("startsecs=0\nready_check=tcp://127.0.0.1:9\nready_check_timeout=5"), Fake::default());
    p.tick(&mut h, at(0.0), true);
    assert_eq!(p.state(), S::Starting);
    assert_eq!(p.deadline(true), Some(Duration::from_secs(5)), "the timeout, not startsecs");
    p.tick(&mut h, at(4.0), true);
    assert_eq!(p.state(), S::Starting, "startsecs=0 does not promote it");
    p.ready(&mut h, at(4.5));
    assert_eq!(p.state(), S::Running);
    assert!(h.logged(LogLevel::Info, "success: cat entered RUNNING state, process is ready (tcp://127.0.0.1:9)"));
    p.ready(&mut h, at(4.6));
    assert_eq!(h.states(), [(S::Stopped, S::Starting), (S::Starting, S::Running)], "ready once");
}

#[test]
fn not_ready_in_time_is_stopped_and_a_failed_start() {
    let text = "ready_check=log:up\nready_check_timeout=2\nstopwaitsecs=3\nstopsignal=INT\nstartretries=0";
    let (mut p, mut h) = (process(text), Fake::default());
    p.tick(&mut h, at(0.0), true);
    let pid = p.pid();
    p.tick(&mut h, at(2.0), true);
    assert_eq!(h.kills, [(pid, false, Signal::INT)]);
    assert!(h.logged(LogLevel::Warn, "cat is not ready within 2 seconds (log:up): stopping it with SIGINT"));
    assert_eq!(p.state(), S::Starting);
    p.ready(&mut h, at(2.5));
    assert_eq!(p.state(), S::Starting, "too late to count");
    assert_eq!(p.deadline(true), Some(Duration::from_secs(5)));
    p.tick(&mut h, at(5.0), true);
    assert_eq!(h.kills.last(), Some(&(pid, false, Signal::KILL)));
    p.exited(&mut h, ExitStatus::Signaled { signal: 9, core_dumped: false }, at(5.1));
    assert_eq!(p.state(), S::Backoff);
    assert_eq!(p.spawnerr(), Some("not ready within 2 seconds"));
    p.tick(&mut h, at(5.2), true);
    assert_eq!(p.state(), S::Fatal, "startretries=0: one failed start is fatal");
}

#[test]
fn with_a_ready_check_any_exit_before_ready_is_a_failed_start() {
    let (mut p, mut h) = (process("startsecs=1\nready_check=notify"), Fake::default());
    p.tick(&mut h, at(0.0), true);
    p.exited(&mut h, exit(0), at(30.0));
    assert_eq!(p.state(), S::Backoff, "even after startsecs");
    assert_eq!(p.spawnerr(), Some("Exited too quickly (process log may have details)"));
}

#[test]
fn unlimited_retries_with_a_capped_backoff_never_give_up() {
    let (mut p, mut h) = (process("startretries=unlimited\nbackoff_max=2"), Fake::default());
    let mut t = 0.0;
    p.tick(&mut h, at(t), true);
    let mut waits = Vec::new();
    for _ in 0..30 {
        t += 0.1;
        p.exited(&mut h, exit(1), at(t));
        assert_eq!(p.state(), S::Backoff);
        let next = p.deadline(true).expect("a retry is due");
        waits.push((next.as_secs_f64() - t).round() as u64);
        t = next.as_secs_f64();
        p.tick(&mut h, at(t), true);
        assert_eq!(p.state(), S::Starting, "still retrying");
    }
    assert_eq!(&waits[..5], [1, 2, 2, 2, 2]);
    assert!(waits.iter().all(|&w| w <= 2));
    assert_eq!(h.spawns, 31);
}

#[test]
fn a_restart_delay_holds_an_autorestart_back() {
    let (mut p, mut h) = (process("startsecs=0\nautorestart=true\nrestart_delay=3"), Fake::default());
    p.tick(&mut h, at(0.0), true);
    p.tick(&mut h, at(0.0), true);
    assert_eq!(p.state(), S::Running);
    p.exited(&mut h, exit(0), at(10.0));
    assert_eq!(p.state(), S::Exited);
    assert_eq!(p.deadline(true), Some(Duration::from_secs(13)));
    let wall = p.next_start(at(10.0)).expect("told");
    assert_eq!(wall, at(13.0).wall);
    p.tick(&mut h, at(12.9), true);
    assert_eq!((p.state(), h.spawns), (S::Exited, 1), "not before 3 s");
    p.tick(&mut h, at(13.0), true);
    assert_eq!((p.state(), h.spawns), (S::Starting, 2));
    // Without the key: at once, and nothing said (as 4.3.0).
    let (mut q, mut h) = (process("startsecs=0\nautorestart=true"), Fake::default());
    q.tick(&mut h, at(0.0), true);
    q.tick(&mut h, at(0.0), true);
    q.exited(&mut h, exit(0), at(1.0));
    assert_eq!(q.deadline(true), Some(Duration::ZERO));
    assert_eq!(q.next_start(at(1.0)), None);
}
