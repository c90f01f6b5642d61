//! Supervisor 4.3's XML-RPC interface over HTTP, on unix sockets and TCP:
//! the `supervisor.*` and `system.*` namespaces, Basic auth, and a trait
//! for plugin namespaces. Wire-compatible with 4.3.0's clients
//! (`supervisorctl`, `xmlrpc.client`, Cesi, supervisord-monitor).
//!
//! ```
//! use supervisor_rpc::Fault;
//! assert_eq!(Fault::BadName.code(), 10);
//! assert_eq!(Fault::BadName.with("foo").to_string(), "BAD_NAME: foo");
//! ```
#![deny(missing_docs)]

pub mod accept;
mod builtin;
pub mod client;
pub mod codes;
pub mod daemon;
pub mod dispatch;
pub mod extensions_ns;
mod faults;
pub mod http;
pub mod interface;
#[cfg(test)]
mod layers;
pub mod listen;
pub mod logtail;
pub mod metrics;
pub mod namespec;
pub mod server;
pub mod sse;
pub mod supervisor_ns;
pub mod throttle;
pub mod value;
pub mod web;
pub mod xml;

pub use dxr;
pub use faults::{Fault, FaultString};
pub use interface::{MethodDoc, RpcInterface, RpcRegistry};
