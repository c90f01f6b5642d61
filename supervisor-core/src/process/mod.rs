//! Processes: their states and the lifecycle rules of 4.3.0.

mod machine;
mod state;
#[cfg(test)]
mod tests;

pub use crate::exit::ExitStatus;
pub use machine::{Host, LogContext, Now, Process, SpawnError, StartError, Transition};
pub use state::{ProcessState, SupervisorState};
