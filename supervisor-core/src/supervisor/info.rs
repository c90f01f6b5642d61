//! `ProcessInfo`: every field `getProcessInfo` returns, and 4.3.0's
//! human description of a state.

use std::borrow::Cow;
use std::fmt::Write;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::config::{LogFile, ProcessConfig};
use crate::process::ProcessState;

/// A process's state as `supervisor.getProcessInfo` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessInfo {
    /// Process name.
    pub name: String,
    /// Group name.
    pub group: String,
    /// Last start, epoch seconds (0 if never).
    pub start: i64,
    /// Last stop, epoch seconds (0 if never).
    pub stop: i64,
    /// Now, epoch seconds.
    pub now: i64,
    /// State.
    pub state: ProcessState,
    /// Why it failed to start, or empty.
    pub spawnerr: String,
    /// Last exit status (0 if none).
    pub exitstatus: i32,
    /// stdout log path, or empty.
    pub stdout_logfile: String,
    /// stderr log path, or empty.
    pub stderr_logfile: String,
    /// Pid, 0 if not running.
    pub pid: u32,
    /// The description `supervisorctl status` shows.
    pub description: String,
}

impl ProcessInfo {
    /// `group:name`, or `name` alone when the group is the program's own.
    pub fn namespec(&self) -> String {
        if self.group == self.name { self.name.clone() } else { format!("{}:{}", self.group, self.name) }
    }
}

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
/// sv.shutdown().await;
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct ProcessSnapshot {
    /// The process's config (name, group, log files...).
    pub config: Arc<ProcessConfig>,
    /// State.
    pub state: ProcessState,
    /// Pid, 0 if not running.
    pub pid: u32,
    /// Last start, epoch seconds (0 if never).
    pub start: i64,
    /// Last stop, epoch seconds (0 if never).
    pub stop: i64,
    /// When the snapshot was taken, epoch seconds.
    pub now: i64,
    /// Last exit status (0 if none).
    pub exitstatus: i32,
    /// Why it failed to start, if it did.
    pub spawnerr: Option<String>,
}

impl ProcessSnapshot {
    /// The stdout log's path as `getProcessInfo` gives it ("" if none).
    pub fn stdout_logfile(&self) -> Cow<'_, str> {
        log_path(&self.config.stdout.logfile)
    }

    /// The stderr log's path as `getProcessInfo` gives it ("" if none).
    pub fn stderr_logfile(&self) -> Cow<'_, str> {
        log_path(&self.config.stderr.logfile)
    }

    /// The description `supervisorctl status` shows, appended to `out`.
    pub fn write_description(&self, out: &mut String) {
        let spawnerr = self.spawnerr.as_deref().unwrap_or("");
        match self.state {
            ProcessState::Running => {
                let _ = write!(out, "pid {}, uptime ", self.pid);
                write_uptime(out, self.now - self.start);
            }
            ProcessState::Fatal | ProcessState::Backoff if spawnerr.is_empty() => {
                let _ = write!(out, "unknown error (try \"tail {}\")", self.config.name);
            }
            ProcessState::Fatal | ProcessState::Backoff => out.push_str(spawnerr),
            ProcessState::Stopped | ProcessState::Exited if self.start != 0 => {
                use chrono::TimeZone;
                if let Some(t) = chrono::Local.timestamp_opt(self.stop, 0).single() {
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
            name: self.config.name.clone(),
            group: self.config.group.clone(),
            start: self.start,
            stop: self.stop,
            now: self.now,
            state: self.state,
            spawnerr: self.spawnerr.clone().unwrap_or_default(),
            exitstatus: self.exitstatus,
            stdout_logfile: self.stdout_logfile().into_owned(),
            stderr_logfile: self.stderr_logfile().into_owned(),
            pid: self.pid,
            description,
        }
    }
}

fn log_path(f: &LogFile) -> Cow<'_, str> {
    match f {
        // to_str first: to_string_lossy's own check is several times slower.
        LogFile::Path(p) => p.to_str().map_or_else(|| p.to_string_lossy(), Cow::Borrowed),
        _ => Cow::Borrowed(""),
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
