//! `ProcessInfo`: what `getProcessInfo` tells of a process, typed, and
//! 4.3.0's human description of a state.

use std::fmt::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use super::names::ProcessName;
use crate::config::ProcessConfig;
use crate::process::ProcessState;

/// A process at a moment: its state and what 4.3.0's `getProcessInfo`
/// tells of it, typed (the wire's `0` and `""` for "none" are `None`s).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ProcessInfo {
    /// Which process.
    pub process: ProcessName,
    /// Its state.
    pub state: ProcessState,
    /// Its pid, while it has one.
    pub pid: Option<u32>,
    /// When it last started.
    pub started: Option<SystemTime>,
    /// When it last stopped.
    pub stopped: Option<SystemTime>,
    /// When this was taken.
    pub now: SystemTime,
    /// Its last exit status, once it has exited.
    pub exit_status: Option<i32>,
    /// Why it last failed to start.
    pub spawn_error: Option<String>,
    /// Its stdout log file, if it has one.
    pub stdout_log: Option<PathBuf>,
    /// Its stderr log file, if it has one.
    pub stderr_log: Option<PathBuf>,
    /// The description `supervisorctl status` shows (`pid 42, uptime
    /// 0:01:02`, `Not started`, ...).
    pub description: String,
    /// How many times it was restarted for failing its `health_check`.
    pub health_restarts: u32,
    /// Its `health_check`'s failures in a row now (0: healthy, or none).
    pub health_failures: u32,
}

/// Seconds since the epoch, as 4.3.0 reports times (0 for none).
pub(crate) fn epoch_secs(t: Option<SystemTime>) -> i64 {
    t.and_then(|t| t.duration_since(UNIX_EPOCH).ok()).map_or(0, |d| d.as_secs() as i64)
}

/// `datetime.timedelta` as `str()` prints it: `0:02:05`, `1 day, 2:11:57`.
pub fn format_uptime(secs: i64) -> String {
    let mut out = String::with_capacity(16);
    write_uptime(&mut out, secs);
    out
}

/// [`format_uptime`], appended to `out`.
fn write_uptime(out: &mut String, secs: i64) {
    let secs = secs.max(0);
    let (days, rest) = (secs / 86_400, secs % 86_400);
    match days {
        0 => {}
        1 => out.push_str("1 day, "),
        n => {
            let _ = write!(out, "{n} days, ");
        }
    }
    let _ = write!(out, "{}:{:02}:{:02}", rest / 3600, rest % 3600 / 60, rest % 60);
}

/// One process at a moment, as the supervisor holds it: the config is
/// shared, not copied, so taking a thousand costs no allocation each.
/// [`ProcessSnapshot::info`] makes the owned [`ProcessInfo`]; an answer
/// written straight from the snapshot (XML-RPC's `getAllProcessInfo`)
/// skips that.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use supervisor_core::config::Config;
/// use supervisor_core::supervisor::{RunOptions, Supervisor};
/// let config = Config::from_str("[supervisord]\n[program:idle]\ncommand=sleep 1\nautostart=false\n", "x.conf").unwrap();
/// let sv = Supervisor::start(config, RunOptions::default()).unwrap();
/// let all = sv.process_snapshots().await;
/// assert_eq!(all[0].config.name, "idle");
/// assert_eq!(all[0].info().description, "Not started");
/// sv.shutdown().await.unwrap();
/// # }
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ProcessSnapshot {
    /// The process's config (name, group, log files...).
    pub config: Arc<ProcessConfig>,
    /// State.
    pub state: ProcessState,
    /// Its pid, while it has one.
    pub pid: Option<u32>,
    /// When it last started.
    pub started: Option<SystemTime>,
    /// When it last stopped.
    pub stopped: Option<SystemTime>,
    /// When the snapshot was taken.
    pub now: SystemTime,
    /// Its last exit status, once it has exited.
    pub exit_status: Option<i32>,
    /// Why it failed to start, if it did.
    pub spawn_error: Option<String>,
    /// While STOPPED: what it waits for, or why it did not start
    /// (`waiting for db (running)`; `depends_on`).
    pub note: Option<String>,
    /// What it last said it is doing (`STATUS=` with `ready_check =
    /// notify`), while it runs.
    pub status: Option<String>,
    /// When it will start again by itself, where the config asks to say so
    /// (`restart_delay`, `backoff_max`, `startretries = unlimited`).
    pub next_start: Option<SystemTime>,
    /// How many times it was restarted for failing its `health_check`.
    pub health_restarts: u32,
    /// Its `health_check`'s failures in a row now (0: healthy, or none).
    pub health_failures: u32,
}

impl ProcessSnapshot {
    /// A process of `config` in `state` at `now`, with nothing else known
    /// (no pid, never started); set the fields to say more.
    pub fn new(config: Arc<ProcessConfig>, state: ProcessState, now: SystemTime) -> ProcessSnapshot {
        ProcessSnapshot {
            config,
            state,
            pid: None,
            started: None,
            stopped: None,
            now,
            exit_status: None,
            spawn_error: None,
            note: None,
            status: None,
            next_start: None,
            health_restarts: 0,
            health_failures: 0,
        }
    }

    /// Which process.
    pub fn process(&self) -> ProcessName {
        ProcessName::new(self.config.group.clone(), self.config.name.clone())
    }

    /// The stdout log file, if any.
    pub fn stdout_log(&self) -> Option<&Path> {
        self.config.stdout.logfile.path()
    }

    /// The stderr log file, if any.
    pub fn stderr_log(&self) -> Option<&Path> {
        self.config.stderr.logfile.path()
    }

    /// The description `supervisorctl status` shows, appended to `out`.
    pub fn write_description(&self, out: &mut String) {
        self.write_state_description(out);
        if let Some(at) = self.next_start {
            use chrono::TimeZone;
            if let Some(t) = chrono::Local.timestamp_opt(epoch_secs(Some(at)), 0).single() {
                let _ = write!(out, "; starts again at {}", t.format("%H:%M:%S"));
            }
        }
    }

    fn write_state_description(&self, out: &mut String) {
        let spawnerr = self.spawn_error.as_deref().unwrap_or("");
        let (start, now) = (epoch_secs(self.started), epoch_secs(Some(self.now)));
        if let (ProcessState::Stopped, Some(note)) = (self.state, &self.note) {
            out.push_str(note);
            return;
        }
        match self.state {
            ProcessState::Running => {
                let _ = write!(out, "pid {}, uptime ", self.pid.unwrap_or(0));
                write_uptime(out, now - start);
                if let Some(status) = &self.status {
                    let _ = write!(out, ", {status}");
                }
                match self.health_restarts {
                    0 => {}
                    1 => out.push_str(", restarted once as unhealthy"),
                    n => {
                        let _ = write!(out, ", restarted {n} times as unhealthy");
                    }
                }
            }
            ProcessState::Starting => out.push_str(self.status.as_deref().unwrap_or("")),
            ProcessState::Fatal | ProcessState::Backoff if spawnerr.is_empty() => {
                let _ = write!(out, "unknown error (try \"tail {}\")", self.config.name);
            }
            ProcessState::Fatal | ProcessState::Backoff => out.push_str(spawnerr),
            ProcessState::Stopped | ProcessState::Exited if start != 0 => {
                use chrono::TimeZone;
                if let Some(t) = chrono::Local.timestamp_opt(epoch_secs(self.stopped), 0).single() {
                    let _ = write!(out, "{}", t.format("%b %d %I:%M %p"));
                }
            }
            ProcessState::Stopped | ProcessState::Exited => out.push_str("Not started"),
            _ => {}
        }
    }

    /// The owned form.
    pub fn info(&self) -> ProcessInfo {
        let mut description = String::with_capacity(32);
        self.write_description(&mut description);
        ProcessInfo {
            process: self.process(),
            state: self.state,
            pid: self.pid,
            started: self.started,
            stopped: self.stopped,
            now: self.now,
            exit_status: self.exit_status,
            spawn_error: self.spawn_error.clone(),
            stdout_log: self.stdout_log().map(Path::to_path_buf),
            stderr_log: self.stderr_log().map(Path::to_path_buf),
            description,
            health_restarts: self.health_restarts,
            health_failures: self.health_failures,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uptimes_read_like_timedelta() {
        assert_eq!(format_uptime(125), "0:02:05");
        assert_eq!(format_uptime(86_400 + 2 * 3600 + 11 * 60 + 57), "1 day, 2:11:57");
        assert_eq!(format_uptime(2 * 86_400 + 1), "2 days, 0:00:01");
        assert_eq!(format_uptime(-5), "0:00:00");
    }
}
