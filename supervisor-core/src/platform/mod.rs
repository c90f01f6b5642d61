//! Everything that touches the OS for processes: resolving commands,
//! spawning, reaping. Nothing else in the crate calls fork, exec or waitpid.

mod child_stack;
pub mod command;
mod errno;
pub(crate) mod handoff;
pub mod limits;
mod pidfd;
pub mod privileges;
mod raw;
pub mod reap;
pub mod sched;
pub mod spawn;
pub(crate) mod spawn_thread;
pub(crate) mod usage;
mod wait_status;

pub use spawn::{SpawnContext, SpawnFailure, spawn_with_stdin};
