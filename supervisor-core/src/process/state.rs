//! Process and supervisor states, with 4.3.0's codes and names.

use std::fmt;

/// A process state (`supervisor/states.py: ProcessStates`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ProcessState {
    /// Not running; stopped on request or never started.
    Stopped,
    /// Spawned, not yet up for `startsecs`.
    Starting,
    /// Up for longer than `startsecs`.
    Running,
    /// Failed to start; waiting to retry.
    Backoff,
    /// Sent its stop signal; waiting for it to exit.
    Stopping,
    /// Exited on its own from RUNNING.
    Exited,
    /// Gave up after `startretries`.
    Fatal,
    /// Something went wrong signalling it.
    Unknown,
}

impl ProcessState {
    /// Every state, in code order.
    pub const ALL: &'static [ProcessState] = &[
        ProcessState::Stopped,
        ProcessState::Starting,
        ProcessState::Running,
        ProcessState::Backoff,
        ProcessState::Stopping,
        ProcessState::Exited,
        ProcessState::Fatal,
        ProcessState::Unknown,
    ];

    /// The state a wire code stands for, if 4.3.0 defines it.
    pub fn from_code(code: i32) -> Option<ProcessState> {
        ProcessState::ALL.iter().copied().find(|s| s.code() == code)
    }

    /// The code on the wire (`state` in `getProcessInfo`).
    pub fn code(self) -> i32 {
        match self {
            ProcessState::Stopped => 0,
            ProcessState::Starting => 10,
            ProcessState::Running => 20,
            ProcessState::Backoff => 30,
            ProcessState::Stopping => 40,
            ProcessState::Exited => 100,
            ProcessState::Fatal => 200,
            ProcessState::Unknown => 1000,
        }
    }

    /// The name on the wire (`statename`).
    pub fn name(self) -> &'static str {
        match self {
            ProcessState::Stopped => "STOPPED",
            ProcessState::Starting => "STARTING",
            ProcessState::Running => "RUNNING",
            ProcessState::Backoff => "BACKOFF",
            ProcessState::Stopping => "STOPPING",
            ProcessState::Exited => "EXITED",
            ProcessState::Fatal => "FATAL",
            ProcessState::Unknown => "UNKNOWN",
        }
    }

    /// STOPPED, EXITED, FATAL or UNKNOWN.
    pub fn is_stopped(self) -> bool {
        matches!(self, ProcessState::Stopped | ProcessState::Exited | ProcessState::Fatal | ProcessState::Unknown)
    }

    /// RUNNING, BACKOFF or STARTING (4.3.0's `RUNNING_STATES`).
    pub fn is_running(self) -> bool {
        matches!(self, ProcessState::Running | ProcessState::Backoff | ProcessState::Starting)
    }

    /// RUNNING, STARTING or STOPPING: a live pid that can take a signal.
    pub fn is_signallable(self) -> bool {
        matches!(self, ProcessState::Running | ProcessState::Starting | ProcessState::Stopping)
    }
}

impl fmt::Display for ProcessState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The daemon's own state (`SupervisorStates`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SupervisorState {
    /// Declared by 4.3.0 but never entered.
    Fatal,
    /// Normal operation.
    Running,
    /// Restarting (SIGHUP, `supervisor.restart`).
    Restarting,
    /// Shutting down.
    Shutdown,
}

impl SupervisorState {
    /// Every state.
    pub const ALL: &'static [SupervisorState] =
        &[SupervisorState::Fatal, SupervisorState::Running, SupervisorState::Restarting, SupervisorState::Shutdown];

    /// The state a wire code (`getState`'s `statecode`) stands for.
    pub fn from_code(code: i32) -> Option<SupervisorState> {
        SupervisorState::ALL.iter().copied().find(|s| s.code() == code)
    }

    /// The code on the wire (`getState`).
    pub fn code(self) -> i32 {
        match self {
            SupervisorState::Fatal => 2,
            SupervisorState::Running => 1,
            SupervisorState::Restarting => 0,
            SupervisorState::Shutdown => -1,
        }
    }

    /// The name on the wire.
    pub fn name(self) -> &'static str {
        match self {
            SupervisorState::Fatal => "FATAL",
            SupervisorState::Running => "RUNNING",
            SupervisorState::Restarting => "RESTARTING",
            SupervisorState::Shutdown => "SHUTDOWN",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_descriptions() {
        assert_eq!((ProcessState::Fatal.code(), ProcessState::Fatal.name()), (200, "FATAL"));
        for s in ProcessState::ALL {
            assert_eq!(ProcessState::from_code(s.code()), Some(*s));
        }
        assert_eq!(ProcessState::from_code(5), None);
        assert_eq!(SupervisorState::from_code(-1), Some(SupervisorState::Shutdown));
    }
}
