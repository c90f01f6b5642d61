//! Supervisor 4.3's XML-RPC interface for supervisor-core.
//!
//! This crate grows into the `supervisor.*` and `system.*` namespaces served
//! over HTTP. It starts with the fault codes every client checks.
//!
//! ```
//! use supervisor_rpc::Fault;
//! assert_eq!(Fault::BadName.code(), 10);
//! assert_eq!(Fault::BadName.with("foo").to_string(), "BAD_NAME: foo");
//! ```
#![deny(missing_docs)]

mod faults;

pub use faults::{Fault, FaultString};
