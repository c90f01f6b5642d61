//! One process's lifecycle: 4.3.0's `Subprocess` rules as a pure state
//! machine. Time comes in as an argument and everything that touches the OS
//! goes through [`Host`], so every rule is unit-tested without a process.
//!
//! Deadlines use a monotonic clock, so 4.3.0's clock-rollback compensation
//! has no counterpart here: a wall-clock jump cannot stretch or cut a wait.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use super::state::ProcessState;
use crate::config::{AutoRestart, LogLevel, ProcessConfig, StartRetries};
use crate::exit::ExitStatus;
use crate::signals::Signal;

/// Python's `str()` of the `OSError` a signal to a gone process raises.
const ESRCH_TEXT: &str = "[Errno 3] No such process";

/// A moment: monotonic for deadlines, wall time for reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Now {
    /// Time since an arbitrary fixed origin; never goes back.
    pub mono: Duration,
    /// The wall clock, for `start`/`stop` in process info.
    pub wall: SystemTime,
}

/// What a line of supervisord's log is about: the fields of a structured
/// log line. Only what the line is about is set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct LogContext {
    /// The process's name.
    pub program: Option<String>,
    /// Its group.
    pub group: Option<String>,
    /// Its pid.
    pub pid: Option<u32>,
    /// The state it left, for a line that reports a change.
    pub from_state: Option<ProcessState>,
    /// The state it entered.
    pub to_state: Option<ProcessState>,
    /// Its exit status, for a line that reports an exit.
    pub exit_status: Option<i32>,
    /// Whether that exit status was expected (`exitcodes`).
    pub expected: Option<bool>,
}

/// Why a spawn failed, in 4.3.0's words (`can't find command 'x'`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SpawnError(pub String);

/// A state change, as events and the library's stream report it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    /// The state left.
    pub from: ProcessState,
    /// The state entered.
    pub to: ProcessState,
    /// For EXITED: whether the exit code was in `exitcodes`.
    pub expected: bool,
    /// The process id, 0 when there is none.
    pub pid: u32,
    /// The backoff counter (`tries` in STARTING/BACKOFF events).
    pub tries: u32,
    /// The exit status, once the process has exited (EXITED, STOPPED).
    pub exitstatus: Option<i32>,
}

/// What the state machine needs from the world.
pub trait Host {
    /// Starts the process; returns its pid.
    fn spawn(&mut self, config: &Arc<ProcessConfig>) -> Result<u32, SpawnError>;
    /// Sends `signal` to `pid`, or to its process group when `group`.
    fn kill(&mut self, pid: u32, group: bool, signal: Signal) -> Result<(), nix::errno::Errno>;
    /// Writes a line to supervisord's log.
    fn log(&mut self, level: LogLevel, message: String);
    /// Writes a line about one process; `about` carries what a structured
    /// log (`logfile_format = json`) shows as fields. By default the
    /// fields are dropped.
    fn log_about(&mut self, level: LogLevel, message: String, about: &LogContext) {
        let _ = about;
        self.log(level, message);
    }
    /// Reports a state change.
    fn transition(&mut self, config: &ProcessConfig, change: Transition);
}

/// Why a start request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StartError {
    /// Already STARTING, RUNNING or BACKOFF.
    #[error("already started")]
    AlreadyStarted,
    /// In STOPPING or UNKNOWN: it must settle first.
    #[error("{0} is in state {1}")]
    NotStartable(String, ProcessState),
}

/// One process and everything 4.3.0 tracks about it.
#[derive(Debug, Clone)]
pub struct Process {
    config: Arc<ProcessConfig>,
    state: ProcessState,
    pid: u32,
    laststart: Option<Now>,
    laststop: Option<SystemTime>,
    laststopreport: Option<Duration>,
    /// When to act next in BACKOFF (retry) or STOPPING (SIGKILL).
    delay: Option<Duration>,
    backoff: u32,
    killing: bool,
    /// Stopped for not being ready within `ready_check_timeout`: its exit
    /// is a failed start.
    not_ready: bool,
    exitstatus: Option<i32>,
    spawnerr: Option<String>,
    /// Starts made by `autorestart` after an exit.
    autorestarts: u64,
}

impl Process {
    /// A process that has never run.
    pub fn new(config: Arc<ProcessConfig>) -> Process {
        Process {
            config,
            state: ProcessState::Stopped,
            pid: 0,
            laststart: None,
            laststop: None,
            laststopreport: None,
            delay: None,
            backoff: 0,
            killing: false,
            not_ready: false,
            exitstatus: None,
            spawnerr: None,
            autorestarts: 0,
        }
    }

    /// Its configuration.
    pub fn config(&self) -> &Arc<ProcessConfig> {
        &self.config
    }

    /// The current state.
    pub fn state(&self) -> ProcessState {
        self.state
    }

    /// The pid, 0 when not running.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// How many times `autorestart` started it again after an exit.
    pub fn autorestarts(&self) -> u64 {
        self.autorestarts
    }

    /// When it last started (wall clock).
    pub fn start_time(&self) -> Option<SystemTime> {
        self.laststart.map(|n| n.wall)
    }

    /// When it last stopped (wall clock).
    pub fn stop_time(&self) -> Option<SystemTime> {
        self.laststop
    }

    /// The last exit status, when it exited.
    pub fn exitstatus(&self) -> Option<i32> {
        self.exitstatus
    }

    /// Why it failed to start, if it did.
    pub fn spawnerr(&self) -> Option<&str> {
        self.spawnerr.as_deref()
    }

    /// The backoff counter.
    pub fn backoff(&self) -> u32 {
        self.backoff
    }

    fn change_state(&mut self, host: &mut dyn Host, to: ProcessState, expected: bool, now: Now) -> LogContext {
        let from = self.state;
        if from == to {
            return self.about();
        }
        self.state = to;
        if to == ProcessState::Backoff {
            self.backoff = self.backoff.saturating_add(1);
            let wait = Duration::from_secs(u64::from(self.backoff));
            self.delay = Some(now.mono + self.config.backoff_max.map_or(wait, |most| wait.min(most)));
        }
        let change = Transition { from, to, expected, pid: self.pid, tries: self.backoff, exitstatus: self.exitstatus };
        host.transition(&self.config, change);
        LogContext { from_state: Some(from), to_state: Some(to), ..self.about() }
    }

    /// The fields of a log line about this process.
    fn about(&self) -> LogContext {
        LogContext {
            program: Some(self.config.name.clone()),
            group: Some(self.config.group.clone()),
            pid: (self.pid != 0).then_some(self.pid),
            ..LogContext::default()
        }
    }

    /// Starts the process on request; valid from STOPPED, EXITED and FATAL
    /// (BACKOFF counts as started, as in 4.3.0's `startProcess`).
    pub fn start(&mut self, host: &mut dyn Host, now: Now) -> Result<(), StartError> {
        match self.state {
            ProcessState::Starting | ProcessState::Running | ProcessState::Backoff => Err(StartError::AlreadyStarted),
            ProcessState::Stopping | ProcessState::Unknown => {
                Err(StartError::NotStartable(self.config.name.clone(), self.state))
            }
            _ => {
                self.spawn(host, now);
                Ok(())
            }
        }
    }

    fn spawn(&mut self, host: &mut dyn Host, now: Now) {
        if self.pid != 0 {
            host.log(LogLevel::Warn, format!("process '{}' already running", self.config.name));
            return;
        }
        self.killing = false;
        self.not_ready = false;
        self.spawnerr = None;
        self.exitstatus = None;
        self.laststart = Some(now);
        let started = self.change_state(host, ProcessState::Starting, true, now);
        match host.spawn(&self.config) {
            Ok(pid) => {
                self.pid = pid;
                let about = LogContext { pid: Some(pid), ..started };
                host.log_about(LogLevel::Info, format!("spawned: '{}' with pid {pid}", self.config.name), &about);
                self.spawnerr = None;
                self.delay = Some(now.mono + Duration::from_secs(self.config.startsecs));
            }
            Err(SpawnError(message)) => {
                host.log_about(LogLevel::Info, format!("spawnerr: {message}"), &self.about());
                self.spawnerr = Some(message);
                self.change_state(host, ProcessState::Backoff, true, now);
            }
        }
    }

    /// An administrative stop: the stop signal, SIGKILL after `stopwaitsecs`.
    /// `Err` carries 4.3.0's message when there was nothing to signal.
    pub fn stop(&mut self, host: &mut dyn Host, now: Now) -> Result<(), String> {
        self.laststopreport = None;
        self.kill(host, self.config.stopsignal, now, true)
    }

    /// The stop of a process known to have exited, its exit not taken in
    /// yet: everything [`Process::stop`] does but the signal, which could
    /// reach another process that took over the pid. 4.3.0 signals the
    /// unreaped child there, to the same effect.
    pub fn stop_exited(&mut self, host: &mut dyn Host, now: Now) -> Result<(), String> {
        self.laststopreport = None;
        self.kill(host, self.config.stopsignal, now, false)
    }

    /// Sends a signal meant to end the process (4.3.0's `kill()`); with
    /// `send` false, all but the signal.
    fn kill(&mut self, host: &mut dyn Host, signal: Signal, now: Now, send: bool) -> Result<(), String> {
        let name = self.config.name.clone();
        // Stopping a process that keeps failing to start must not wait for
        // its retries: BACKOFF goes straight to STOPPED.
        if self.state == ProcessState::Backoff {
            host.log(LogLevel::Debug, format!("Attempted to kill {name}, which is in BACKOFF state."));
            self.change_state(host, ProcessState::Stopped, true, now);
            return Ok(());
        }
        if self.pid == 0 {
            let msg = format!("attempted to kill {name} with sig {signal} but it wasn't running");
            host.log(LogLevel::Debug, msg.clone());
            return Err(msg);
        }
        // The first signal honours stopasgroup, the SIGKILL killasgroup.
        let group =
            if self.state == ProcessState::Stopping { self.config.killasgroup } else { self.config.stopasgroup };
        let as_group = if group { "process group " } else { "" };
        host.log_about(
            LogLevel::Debug,
            format!("killing {name} (pid {}) {as_group}with signal {signal}", self.pid),
            &self.about(),
        );
        self.killing = true;
        self.delay = Some(now.mono + Duration::from_secs(self.config.stopwaitsecs));
        self.change_state(host, ProcessState::Stopping, true, now);
        let sent = if send { host.kill(self.pid, group, signal) } else { Ok(()) };
        match sent {
            Ok(()) => Ok(()),
            Err(nix::errno::Errno::ESRCH) => {
                // It exited on its own; the reaper will report it.
                host.log(
                    LogLevel::Debug,
                    format!(
                        "unable to signal {name} (pid {}), it probably just exited on its own: {ESRCH_TEXT}",
                        self.pid
                    ),
                );
                Ok(())
            }
            Err(e) => {
                let msg = format!("unknown problem killing {name} ({}):{e}", self.pid);
                host.log(LogLevel::Critical, msg.clone());
                self.change_state(host, ProcessState::Unknown, true, now);
                self.killing = false;
                self.delay = None;
                Err(msg)
            }
        }
    }

    /// Sends a signal without meaning to end the process (`signalProcess`).
    pub fn signal(&mut self, host: &mut dyn Host, signal: Signal, now: Now) -> Result<(), String> {
        let name = self.config.name.clone();
        if self.pid == 0 {
            let msg = format!("attempted to send {name} sig {signal} but it wasn't running");
            host.log(LogLevel::Debug, msg.clone());
            return Err(msg);
        }
        host.log(LogLevel::Debug, format!("sending {name} (pid {}) sig {signal}", self.pid));
        match host.kill(self.pid, false, signal) {
            Ok(()) => Ok(()),
            Err(nix::errno::Errno::ESRCH) => {
                // It exited on its own; the reaper will report it.
                host.log(
                    LogLevel::Debug,
                    format!(
                        "unable to signal {name} (pid {}), it probably just now exited on its own: {ESRCH_TEXT}",
                        self.pid
                    ),
                );
                Ok(())
            }
            Err(e) => {
                let msg = format!("unknown problem sending sig {name} ({}):{e}", self.pid);
                host.log(LogLevel::Critical, msg.clone());
                self.change_state(host, ProcessState::Unknown, true, now);
                Err(msg)
            }
        }
    }

    /// The process was reaped (4.3.0's `finish()`).
    pub fn exited(&mut self, host: &mut dyn Host, status: ExitStatus, now: Now) {
        let name = self.config.name.clone();
        let es = status.code();
        let msg = status.describe();
        let pid = self.pid;
        self.laststop = Some(now.wall);
        let ran_for = self.laststart.map_or(Duration::MAX, |s| now.mono.saturating_sub(s.mono));
        let too_quickly = ran_for < Duration::from_secs(self.config.startsecs);
        let exit_expected = self.exit_expected(es);

        let exit = |about: LogContext, expected: bool| LogContext {
            exit_status: Some(es),
            expected: Some(expected),
            pid: Some(pid),
            ..about
        };
        if self.killing {
            self.killing = false;
            self.delay = None;
            self.exitstatus = Some(es);
            let about = exit(self.change_state(host, ProcessState::Stopped, true, now), exit_expected);
            let level = if exit_expected { LogLevel::Info } else { LogLevel::Warn };
            host.log_about(level, format!("stopped: {name} ({msg})"), &about);
        } else if (too_quickly || self.config.ready_check.is_some()) && self.state == ProcessState::Starting {
            // With a ready_check, any exit before ready is a failed start.
            self.exitstatus = None;
            self.delay = None;
            self.spawnerr = Some(match (&self.config.ready_check, self.not_ready) {
                (Some(check), true) => format!("not ready within {} seconds", check.timeout.as_secs_f64()),
                _ => "Exited too quickly (process log may have details)".to_owned(),
            });
            let about = exit(self.change_state(host, ProcessState::Backoff, true, now), false);
            host.log_about(LogLevel::Warn, format!("exited: {name} ({msg}; not expected)"), &about);
        } else {
            self.delay = None;
            self.backoff = 0;
            self.exitstatus = Some(es);
            if self.state == ProcessState::Starting {
                self.change_state(host, ProcessState::Running, true, now);
            }
            if exit_expected {
                let about = exit(self.change_state(host, ProcessState::Exited, true, now), true);
                host.log_about(LogLevel::Info, format!("exited: {name} ({msg}; expected)"), &about);
            } else {
                self.spawnerr = Some(format!("Bad exit code {es}"));
                let about = exit(self.change_state(host, ProcessState::Exited, false, now), false);
                host.log_about(LogLevel::Warn, format!("exited: {name} ({msg}; not expected)"), &about);
            }
            // `restart_delay`: an autorestart waits this long.
            if let Some(wait) = self.config.restart_delay {
                self.delay = Some(now.mono + wait);
            }
        }
        self.pid = 0;
    }

    /// One pass of 4.3.0's `transition()`: start what should start, promote
    /// STARTING to RUNNING, give up, escalate to SIGKILL. `accept_starts` is
    /// false while the daemon shuts down.
    pub fn tick(&mut self, host: &mut dyn Host, now: Now, accept_starts: bool) {
        let state = self.state;
        if accept_starts {
            match state {
                ProcessState::Exited if self.wants_restart() && self.delay_passed(now) => {
                    self.autorestarts += 1;
                    self.spawn(host, now);
                }
                ProcessState::Stopped if self.laststart.is_none() && self.config.autostart => self.spawn(host, now),
                ProcessState::Backoff if self.config.startretries.allows(self.backoff) && self.delay_passed(now) => {
                    self.spawn(host, now);
                }
                _ => {}
            }
        }
        let name = self.config.name.clone();
        if state == ProcessState::Starting && self.config.ready_check.is_some() {
            self.not_ready_yet(host, now);
            return;
        }
        match state {
            ProcessState::Starting if self.up_for_startsecs(now) => {
                self.delay = None;
                self.backoff = 0;
                let about = self.change_state(host, ProcessState::Running, true, now);
                host.log_about(
                    LogLevel::Info,
                    format!(
                        "success: {name} entered RUNNING state, process has stayed up for > than {} seconds (startsecs)",
                        self.config.startsecs
                    ),
                    &about,
                );
            }
            ProcessState::Backoff if !self.config.startretries.allows(self.backoff) => {
                self.delay = None;
                self.backoff = 0;
                let about = self.change_state(host, ProcessState::Fatal, true, now);
                host.log_about(
                    LogLevel::Info,
                    format!("gave up: {name} entered FATAL state, too many start retries too quickly"),
                    &about,
                );
            }
            ProcessState::Stopping if self.delay_passed(now) => {
                host.log_about(LogLevel::Warn, format!("killing '{name}' ({}) with SIGKILL", self.pid), &self.about());
                let _ = self.kill(host, Signal::KILL, now, true);
            }
            _ => {}
        }
    }

    /// The ready check passed: STARTING becomes RUNNING (a check that
    /// passes after the timeout, or at any other time, changes nothing).
    pub fn ready(&mut self, host: &mut dyn Host, now: Now) {
        let Some(check) = &self.config.ready_check else { return };
        if self.state != ProcessState::Starting || self.not_ready || self.pid == 0 {
            return;
        }
        let line = format!("success: {} entered RUNNING state, process is ready ({})", self.config.name, check.probe);
        self.delay = None;
        self.backoff = 0;
        let about = self.change_state(host, ProcessState::Running, true, now);
        host.log_about(LogLevel::Info, line, &about);
    }

    /// STARTING with a ready check, not ready yet: past the timeout it is
    /// stopped (stopsignal, then SIGKILL after stopwaitsecs), and its exit
    /// counts as a failed start.
    fn not_ready_yet(&mut self, host: &mut dyn Host, now: Now) {
        let (Some(check), Some(start)) = (&self.config.ready_check, self.laststart) else { return };
        if self.pid == 0 {
            return;
        }
        let name = self.config.name.clone();
        if !self.not_ready && now.mono >= start.mono + check.timeout {
            self.not_ready = true;
            let signal = self.config.stopsignal;
            host.log(
                LogLevel::Warn,
                format!(
                    "{name} is not ready within {} seconds ({}): stopping it with {}",
                    check.timeout.as_secs_f64(),
                    check.probe,
                    signal.name()
                ),
            );
            self.delay = Some(now.mono + Duration::from_secs(self.config.stopwaitsecs));
            let _ = host.kill(self.pid, self.config.stopasgroup, signal);
        } else if self.not_ready && self.delay_passed(now) {
            host.log(LogLevel::Warn, format!("killing '{name}' ({}) with SIGKILL", self.pid));
            self.delay = None;
            let _ = host.kill(self.pid, self.config.killasgroup, Signal::KILL);
        }
    }

    /// EXITED and `autorestart` says to start again.
    fn wants_restart(&self) -> bool {
        match self.config.autorestart {
            AutoRestart::Always => true,
            AutoRestart::Never => false,
            AutoRestart::Unexpected => !self.exit_expected(self.exitstatus.unwrap_or(-1)),
        }
    }

    fn exit_expected(&self, es: i32) -> bool {
        u8::try_from(es).is_ok_and(|c| self.config.exitcodes.contains(&c))
    }

    fn up_for_startsecs(&self, now: Now) -> bool {
        self.laststart.is_some_and(|s| now.mono.saturating_sub(s.mono) >= Duration::from_secs(self.config.startsecs))
    }

    fn delay_passed(&self, now: Now) -> bool {
        self.delay.is_none_or(|d| now.mono >= d)
    }

    /// When [`Process::tick`] next has something to do, if ever; `accept_starts`
    /// as for `tick`. The shell sets one timer for this and no other.
    pub fn deadline(&self, accept_starts: bool) -> Option<Duration> {
        let now_ish = Duration::ZERO;
        match self.state {
            ProcessState::Starting => match &self.config.ready_check {
                Some(_) if self.not_ready => self.delay,
                Some(check) => self.laststart.map(|s| s.mono + check.timeout),
                None => self.laststart.map(|s| s.mono + Duration::from_secs(self.config.startsecs)),
            },
            ProcessState::Backoff if !self.config.startretries.allows(self.backoff) => Some(now_ish),
            ProcessState::Backoff if accept_starts => Some(self.delay.unwrap_or(now_ish)),
            ProcessState::Stopping => self.delay,
            ProcessState::Exited | ProcessState::Stopped if accept_starts => match self.state {
                ProcessState::Stopped => (self.laststart.is_none() && self.config.autostart).then_some(now_ish),
                _ => self.wants_restart().then(|| self.delay.unwrap_or(now_ish)),
            },
            _ => None,
        }
    }

    /// When it will start again by itself, where the config asks to say
    /// so (`restart_delay`, `backoff_max`, `startretries = unlimited`).
    pub fn next_start(&self, now: Now) -> Option<SystemTime> {
        let told = match self.state {
            ProcessState::Exited => self.config.restart_delay.is_some() && self.wants_restart(),
            ProcessState::Backoff => {
                (self.config.backoff_max.is_some() || self.config.startretries == StartRetries::Unlimited)
                    && self.config.startretries.allows(self.backoff)
            }
            _ => false,
        };
        let at = self.delay.filter(|_| told)?;
        Some(now.wall + at.saturating_sub(now.mono))
    }

    /// Shutdown's answer to a process stuck retrying: BACKOFF -> FATAL.
    pub fn give_up(&mut self, host: &mut dyn Host, now: Now) {
        if self.state == ProcessState::Backoff {
            self.delay = None;
            self.backoff = 0;
            self.change_state(host, ProcessState::Fatal, true, now);
        }
    }

    /// Logs `waiting for x to stop`, at most every 2 s, while STOPPING.
    pub fn stop_report(&mut self, host: &mut dyn Host, now: Now) {
        if self.state != ProcessState::Stopping {
            return;
        }
        if self.laststopreport.is_none_or(|last| now.mono > last + Duration::from_secs(2)) {
            host.log(LogLevel::Info, format!("waiting for {} to stop", self.config.name));
            self.laststopreport = Some(now.mono);
        }
    }
}
