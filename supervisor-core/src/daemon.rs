//! What a program that *is* a supervisor daemon (supervisord, or a service
//! playing its part, such as a container's PID 1) does to its own process,
//! beyond running a [`Supervisor`](crate::supervisor::Supervisor): how
//! children are reaped, resource limits, privileges, orphans. A library
//! user embedding a supervisor in a larger program needs none of it; the
//! defaults disturb nothing of the host's.
//!
//! ```standalone_crate
//! use supervisor_core::daemon::{Reaping, reaping};
//! // Nothing chose: a supervisor reaps only the children it started.
//! assert_eq!(reaping(), Reaping::OwnChildren);
//! ```

pub use crate::platform::limits::{LimitError, raise_limits};
pub use crate::platform::privileges::{PrivilegeError, become_subreaper, drop_privileges};
pub use crate::platform::reap::{NotAutomatic, Reaping, automatic, reap_any_child, reap_automatically, reaping};
pub use crate::platform::sched::short_slice;
