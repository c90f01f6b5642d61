//! Why a control request failed. Each kind maps onto one of 4.3.0's
//! faults (supervisor-rpc does that); the texts here are for people.

use std::time::Duration;

use crate::process::ProcessState;

/// A refused or failed request (start, stop, signal, ...). The names in it
/// are as the request gave them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ControlError {
    /// No such process, program or group.
    #[error("no such process or group: {0}")]
    BadName(String),
    /// The command, or a log file, cannot be found.
    #[error("no such file: {0}")]
    NoFile(String),
    /// The command cannot be executed.
    #[error("not executable: {0}")]
    NotExecutable(String),
    /// Already running.
    #[error("already started: {0}")]
    AlreadyStarted(String),
    /// Not running.
    #[error("not running: {0}")]
    NotRunning(String),
    /// It failed to spawn.
    #[error("could not spawn: {0}")]
    SpawnError(String),
    /// It died while starting.
    #[error("exited while starting: {0}")]
    AbnormalTermination(String),
    /// Something else went wrong; the text says what.
    #[error("failed: {0}")]
    Failed(String),
    /// A group of that name is already running.
    #[error("group already added: {0}")]
    AlreadyAdded(String),
    /// The group still has running processes.
    #[error("group still running: {0}")]
    StillRunning(String),
    /// A bad argument, such as a negative offset with a length.
    #[error("bad arguments")]
    BadArguments,
    /// The supervisor is shutting down (or gone).
    #[error("the supervisor is shutting down")]
    ShuttingDown,
}

/// Why [`Program::wait_for`](super::Program::wait_for) returned without
/// its state.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WaitError {
    /// The time ran out; the processes were last in `last`.
    #[error("not {wanted} after {after:?} (last {last})")]
    TimedOut {
        /// The state waited for.
        wanted: ProcessState,
        /// How long was waited.
        after: Duration,
        /// The state the first process not there was in.
        last: ProcessState,
    },
    /// The program is unknown, or the supervisor shut down.
    #[error(transparent)]
    Control(#[from] ControlError),
}
