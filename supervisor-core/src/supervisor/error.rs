//! Why a control request failed; each maps onto one 4.3.0 fault.

/// A refused request (`startProcess`, `stopProcess`, ...).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ControlError {
    /// No such process or group (BAD_NAME).
    #[error("BAD_NAME: {0}")]
    BadName(String),
    /// The command cannot be found (NO_FILE).
    #[error("NO_FILE: {0}")]
    NoFile(String),
    /// The command cannot be executed (NOT_EXECUTABLE).
    #[error("NOT_EXECUTABLE: {0}")]
    NotExecutable(String),
    /// Already running (ALREADY_STARTED).
    #[error("ALREADY_STARTED: {0}")]
    AlreadyStarted(String),
    /// Not running (NOT_RUNNING).
    #[error("NOT_RUNNING: {0}")]
    NotRunning(String),
    /// It failed to spawn (SPAWN_ERROR).
    #[error("SPAWN_ERROR: {0}")]
    SpawnError(String),
    /// It died while starting (ABNORMAL_TERMINATION).
    #[error("ABNORMAL_TERMINATION: {0}")]
    AbnormalTermination(String),
    /// Something else went wrong (FAILED).
    #[error("FAILED: {0}")]
    Failed(String),
    /// A group of that name is already running (ALREADY_ADDED).
    #[error("ALREADY_ADDED: {0}")]
    AlreadyAdded(String),
    /// The group still has running processes (STILL_RUNNING).
    #[error("STILL_RUNNING: {0}")]
    StillRunning(String),
    /// A bad argument, such as a negative offset with a length (BAD_ARGUMENTS).
    #[error("BAD_ARGUMENTS")]
    BadArguments,
    /// The supervisor is shutting down (SHUTDOWN_STATE).
    #[error("SHUTDOWN_STATE")]
    ShuttingDown,
}
