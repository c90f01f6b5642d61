//! `ProcessInfo`: every field `getProcessInfo` returns, and 4.3.0's
//! human description of a state.

use std::time::{SystemTime, UNIX_EPOCH};

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

pub(crate) fn epoch_secs(t: Option<SystemTime>) -> i64 {
    t.and_then(|t| t.duration_since(UNIX_EPOCH).ok()).map_or(0, |d| d.as_secs() as i64)
}

/// `datetime.timedelta` as `str()` prints it: `0:02:05`, `1 day, 2:11:57`.
pub fn format_uptime(secs: i64) -> String {
    let secs = secs.max(0);
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let hms = format!("{}:{:02}:{:02}", rest / 3600, rest % 3600 / 60, rest % 60);
    match days {
        0 => hms,
        1 => format!("1 day, {hms}"),
        n => format!("{n} days, {hms}"),
    }
}

/// 4.3.0's `_interpretProcessInfo`.
pub(crate) fn describe(info: &ProcessInfo) -> String {
    match info.state {
        ProcessState::Running => format!("pid {}, uptime {}", info.pid, format_uptime(info.now - info.start)),
        ProcessState::Fatal | ProcessState::Backoff if info.spawnerr.is_empty() => {
            format!("unknown error (try \"tail {}\")", info.name)
        }
        ProcessState::Fatal | ProcessState::Backoff => info.spawnerr.clone(),
        ProcessState::Stopped | ProcessState::Exited if info.start != 0 => {
            use chrono::TimeZone;
            chrono::Local
                .timestamp_opt(info.stop, 0)
                .single()
                .map_or_else(String::new, |t| t.format("%b %d %I:%M %p").to_string())
        }
        ProcessState::Stopped | ProcessState::Exited => "Not started".to_owned(),
        _ => String::new(),
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
