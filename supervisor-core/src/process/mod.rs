//! Processes: their states and the lifecycle rules of 4.3.0.

mod machine;
mod state;
#[cfg(test)]
mod tests;

pub use machine::{Host, Now, Process, SpawnError, StartError, Transition};
pub use state::{ExitStatus, ProcessState, SupervisorState};
