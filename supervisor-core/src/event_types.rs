//! The event types of 4.3.0 by the names listeners subscribe to
//! (`events=` in `[eventlistener:x]`, `PROCESS_STATE_RUNNING` on the wire).
//!
//! Ground floor: the config validates these names and the engine publishes
//! events of these types, so this module imports nothing from the crate.
//! The public path is [`crate::events::EventType`].

use std::fmt;

macro_rules! event_types {
    ($( $variant:ident = $name:literal, $parent:expr; )*) => {
        /// An event type of 4.3.0 (`supervisor/events.py: EventTypes`).
        /// Abstract types (`PROCESS_STATE`, `TICK`, ...) match all their subtypes.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[allow(missing_docs)]
        pub enum EventType { $( $variant, )* }

        impl EventType {
            /// Every type, in 4.3.0's order.
            pub const ALL: &'static [EventType] = &[ $( EventType::$variant, )* ];

            /// The name on the wire and in `events=` (`PROCESS_STATE_RUNNING`).
            pub fn name(self) -> &'static str {
                match self { $( EventType::$variant => $name, )* }
            }

            /// The abstract type this one belongs to, `None` for `EVENT`.
            pub fn parent(self) -> Option<EventType> {
                match self { $( EventType::$variant => $parent, )* }
            }
        }
    };
}

event_types! {
    Event = "EVENT", None;
    ProcessState = "PROCESS_STATE", Some(EventType::Event);
    ProcessStateStopped = "PROCESS_STATE_STOPPED", Some(EventType::ProcessState);
    ProcessStateExited = "PROCESS_STATE_EXITED", Some(EventType::ProcessState);
    ProcessStateStarting = "PROCESS_STATE_STARTING", Some(EventType::ProcessState);
    ProcessStateStopping = "PROCESS_STATE_STOPPING", Some(EventType::ProcessState);
    ProcessStateBackoff = "PROCESS_STATE_BACKOFF", Some(EventType::ProcessState);
    ProcessStateFatal = "PROCESS_STATE_FATAL", Some(EventType::ProcessState);
    ProcessStateRunning = "PROCESS_STATE_RUNNING", Some(EventType::ProcessState);
    ProcessStateUnknown = "PROCESS_STATE_UNKNOWN", Some(EventType::ProcessState);
    ProcessCommunication = "PROCESS_COMMUNICATION", Some(EventType::Event);
    ProcessCommunicationStdout = "PROCESS_COMMUNICATION_STDOUT", Some(EventType::ProcessCommunication);
    ProcessCommunicationStderr = "PROCESS_COMMUNICATION_STDERR", Some(EventType::ProcessCommunication);
    ProcessLog = "PROCESS_LOG", Some(EventType::Event);
    ProcessLogStdout = "PROCESS_LOG_STDOUT", Some(EventType::ProcessLog);
    ProcessLogStderr = "PROCESS_LOG_STDERR", Some(EventType::ProcessLog);
    RemoteCommunication = "REMOTE_COMMUNICATION", Some(EventType::Event);
    SupervisorStateChange = "SUPERVISOR_STATE_CHANGE", Some(EventType::Event);
    SupervisorStateChangeRunning = "SUPERVISOR_STATE_CHANGE_RUNNING", Some(EventType::SupervisorStateChange);
    SupervisorStateChangeStopping = "SUPERVISOR_STATE_CHANGE_STOPPING", Some(EventType::SupervisorStateChange);
    Tick = "TICK", Some(EventType::Event);
    Tick5 = "TICK_5", Some(EventType::Tick);
    Tick60 = "TICK_60", Some(EventType::Tick);
    Tick3600 = "TICK_3600", Some(EventType::Tick);
    ProcessGroup = "PROCESS_GROUP", Some(EventType::Event);
    ProcessGroupAdded = "PROCESS_GROUP_ADDED", Some(EventType::ProcessGroup);
    ProcessGroupRemoved = "PROCESS_GROUP_REMOVED", Some(EventType::ProcessGroup);
}

impl EventType {
    /// Looks a type up by name, case-insensitively as `events=` reads it.
    pub fn from_name(name: &str) -> Option<EventType> {
        let upper = name.to_uppercase();
        EventType::ALL.iter().copied().find(|t| t.name() == upper)
    }

    /// Whether a subscription to `self` receives events of type `other`.
    ///
    /// ```
    /// use supervisor_core::events::EventType;
    /// assert!(EventType::ProcessState.matches(EventType::ProcessStateRunning));
    /// assert!(EventType::Event.matches(EventType::Tick5));
    /// assert!(!EventType::Tick5.matches(EventType::Tick60));
    /// ```
    pub fn matches(self, other: EventType) -> bool {
        let mut t = Some(other);
        while let Some(x) = t {
            if x == self {
                return true;
            }
            t = x.parent();
        }
        false
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
