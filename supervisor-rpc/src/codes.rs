//! The numbers on the wire, each defined once, for servers and clients
//! alike: fault codes (`faultCode`, and the `status` of a group call's
//! results) and process and supervisor states (`state`, `statecode`).
//!
//! ```
//! use supervisor_rpc::codes::{Fault, ProcessState};
//! assert_eq!(Fault::from_code(70), Some(Fault::NotRunning));
//! assert!(ProcessState::from_code(100).is_some_and(ProcessState::is_stopped));
//! ```

pub use supervisor_core::process::{ProcessState, SupervisorState};

pub use crate::faults::{Fault, FaultString};
