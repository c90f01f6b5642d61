//! Supervisor's events: their types ([`EventType`]), by the names
//! listeners subscribe to, and the typed [`Event`]s the engine publishes.
//! (Their 4.3.0 text payloads and the event listener protocol are the
//! engine's own business.)

pub(crate) mod listener;
pub(crate) mod payload;

pub use crate::event_types::EventType;

/// Which output channel of a process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Channel {
    /// stdout.
    Stdout,
    /// stderr.
    Stderr,
}

impl Channel {
    /// `stdout` or `stderr`.
    pub fn name(self) -> &'static str {
        match self {
            Channel::Stdout => "stdout",
            Channel::Stderr => "stderr",
        }
    }

    /// 0 for stdout, 1 for stderr: where a channel's entry is in a pair.
    pub(crate) fn index(self) -> usize {
        match self {
            Channel::Stdout => 0,
            Channel::Stderr => 1,
        }
    }
}

/// What a running supervisor reports on its streams
/// ([`Supervisor::events`](crate::supervisor::Supervisor::events)).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// A process changed state.
    ProcessState {
        /// Its group.
        group: String,
        /// Its name.
        name: String,
        /// The change.
        transition: crate::process::Transition,
    },
    /// A process wrote output.
    ProcessLog {
        /// Its group.
        group: String,
        /// Its name.
        name: String,
        /// Its pid.
        pid: u32,
        /// stdout or stderr.
        channel: Channel,
        /// The bytes, as read.
        data: Vec<u8>,
    },
    /// The supervisor started running or began shutting down.
    SupervisorState(crate::process::SupervisorState),
    /// A group was added.
    GroupAdded(String),
    /// A group was removed.
    GroupRemoved(String),
    /// A process wrote a capture-mode message (PROCESS_COMMUNICATION).
    ProcessCommunication {
        /// Its group.
        group: String,
        /// Its name.
        name: String,
        /// Its pid.
        pid: u32,
        /// stdout or stderr.
        channel: Channel,
        /// What it wrote between the tokens.
        data: Vec<u8>,
    },
    /// A TICK_5, TICK_60 or TICK_3600 time slice began.
    Tick {
        /// Which tick.
        kind: EventType,
        /// The slice start, epoch seconds.
        when: u64,
    },
    /// `supervisor.sendRemoteCommEvent(type, data)`.
    RemoteCommunication {
        /// The `type` argument.
        kind: String,
        /// The `data` argument.
        data: String,
    },
}
