//! What the tasks around the engine tell it, in the order it happened:
//! output pumps (listener protocol, a pipe's end) and ready checks.

use crate::events::Channel;

/// News for the engine from a pump or a probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PumpNews {
    /// Output of an event listener's stdout: its protocol replies.
    Protocol(u32, Vec<u8>),
    /// The pipe of `pid`'s channel reached its end (or failed): 4.3.0's
    /// dispatcher closes there and logs `fd N closed`. `spawn` tells a
    /// reused pid's pipes apart.
    Closed { pid: u32, channel: Channel, spawn: u64 },
    /// The process's ready check passed.
    Ready(u32),
    /// One liveness check of the process: passed, or why not.
    Health(u32, Result<(), String>),
    /// The process said what it is doing (`STATUS=` over the notify
    /// protocol).
    Status(u32, String),
}
