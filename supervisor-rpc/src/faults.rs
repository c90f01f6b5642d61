//! Supervisor's XML-RPC fault codes (`supervisor/xmlrpc.py: Faults`).

use std::fmt;

/// A fault code with its 4.3.0 name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum Fault {
    UnknownMethod,
    IncorrectParameters,
    BadArguments,
    SignatureUnsupported,
    ShutdownState,
    BadName,
    BadSignal,
    NoFile,
    NotExecutable,
    Failed,
    AbnormalTermination,
    SpawnError,
    AlreadyStarted,
    NotRunning,
    Success,
    AlreadyAdded,
    StillRunning,
    CantReread,
}

impl Fault {
    /// Every fault.
    pub const ALL: &'static [Fault] = &[
        Fault::UnknownMethod,
        Fault::IncorrectParameters,
        Fault::BadArguments,
        Fault::SignatureUnsupported,
        Fault::ShutdownState,
        Fault::BadName,
        Fault::BadSignal,
        Fault::NoFile,
        Fault::NotExecutable,
        Fault::Failed,
        Fault::AbnormalTermination,
        Fault::SpawnError,
        Fault::AlreadyStarted,
        Fault::NotRunning,
        Fault::Success,
        Fault::AlreadyAdded,
        Fault::StillRunning,
        Fault::CantReread,
    ];

    /// The `faultCode` on the wire.
    pub fn code(self) -> i32 {
        match self {
            Fault::UnknownMethod => 1,
            Fault::IncorrectParameters => 2,
            Fault::BadArguments => 3,
            Fault::SignatureUnsupported => 4,
            Fault::ShutdownState => 6,
            Fault::BadName => 10,
            Fault::BadSignal => 11,
            Fault::NoFile => 20,
            Fault::NotExecutable => 21,
            Fault::Failed => 30,
            Fault::AbnormalTermination => 40,
            Fault::SpawnError => 50,
            Fault::AlreadyStarted => 60,
            Fault::NotRunning => 70,
            Fault::Success => 80,
            Fault::AlreadyAdded => 90,
            Fault::StillRunning => 91,
            Fault::CantReread => 92,
        }
    }

    /// The name that starts the `faultString`.
    pub fn name(self) -> &'static str {
        match self {
            Fault::UnknownMethod => "UNKNOWN_METHOD",
            Fault::IncorrectParameters => "INCORRECT_PARAMETERS",
            Fault::BadArguments => "BAD_ARGUMENTS",
            Fault::SignatureUnsupported => "SIGNATURE_UNSUPPORTED",
            Fault::ShutdownState => "SHUTDOWN_STATE",
            Fault::BadName => "BAD_NAME",
            Fault::BadSignal => "BAD_SIGNAL",
            Fault::NoFile => "NO_FILE",
            Fault::NotExecutable => "NOT_EXECUTABLE",
            Fault::Failed => "FAILED",
            Fault::AbnormalTermination => "ABNORMAL_TERMINATION",
            Fault::SpawnError => "SPAWN_ERROR",
            Fault::AlreadyStarted => "ALREADY_STARTED",
            Fault::NotRunning => "NOT_RUNNING",
            Fault::Success => "SUCCESS",
            Fault::AlreadyAdded => "ALREADY_ADDED",
            Fault::StillRunning => "STILL_RUNNING",
            Fault::CantReread => "CANT_REREAD",
        }
    }

    /// The fault with a detail: `faultString` becomes `NAME: detail`.
    pub fn with(self, detail: impl Into<String>) -> FaultString {
        FaultString { fault: self, detail: Some(detail.into()) }
    }

    /// The fault code for a number, if Supervisor defines it.
    pub fn from_code(code: i32) -> Option<Fault> {
        Fault::ALL.iter().copied().find(|f| f.code() == code)
    }
}

/// A fault and its optional detail, displayed as 4.3.0's `faultString`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultString {
    /// The fault.
    pub fault: Fault,
    /// Text after `NAME: `.
    pub detail: Option<String>,
}

impl From<Fault> for FaultString {
    fn from(fault: Fault) -> Self {
        FaultString { fault, detail: None }
    }
}

impl FaultString {
    /// How 4.3.0's web page reports a fault it did not expect:
    /// `unexpected rpc fault [CODE] NAME: detail`.
    pub fn unexpected(&self) -> String {
        format!("unexpected rpc fault [{}] {self}", self.fault.code())
    }
}

impl fmt::Display for FaultString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.detail {
            Some(d) => write!(f, "{}: {d}", self.fault.name()),
            None => f.write_str(self.fault.name()),
        }
    }
}

impl From<supervisor_core::supervisor::ControlError> for FaultString {
    fn from(e: supervisor_core::supervisor::ControlError) -> Self {
        use supervisor_core::supervisor::ControlError as E;
        match e {
            E::BadName(n) => Fault::BadName.with(n),
            E::NoFile(n) => Fault::NoFile.with(n),
            E::NotExecutable(n) => Fault::NotExecutable.with(n),
            E::AlreadyStarted(n) => Fault::AlreadyStarted.with(n),
            E::NotRunning(n) => Fault::NotRunning.with(n),
            E::SpawnError(n) => Fault::SpawnError.with(n),
            E::AbnormalTermination(n) => Fault::AbnormalTermination.with(n),
            E::Failed(n) => Fault::Failed.with(n),
            E::AlreadyAdded(n) => Fault::AlreadyAdded.with(n),
            E::StillRunning(n) => Fault::StillRunning.with(n),
            E::BadArguments => Fault::BadArguments.into(),
            E::ShuttingDown => Fault::ShutdownState.into(),
            // A kind added later: said, if not by its own fault.
            other => Fault::Failed.with(other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_are_unique() {
        for f in Fault::ALL {
            assert_eq!(Fault::from_code(f.code()), Some(*f));
        }
        assert_eq!(Fault::from_code(5), None);
        assert_eq!(FaultString::from(Fault::Failed).to_string(), "FAILED");
    }
}
