//! The namespaces this crate builds in, registered by the names
//! `supervisor.rpcinterface_factory` uses. Above both the registry
//! ([`crate::interface`]) and the namespaces it registers
//! ([`crate::supervisor_ns`]), so neither imports the other.

use std::sync::Arc;

use crate::interface::{RpcInterface, RpcRegistry};
use crate::supervisor_ns::SupervisorNamespace;

impl RpcRegistry {
    /// The registry with 4.3.0's main interface
    /// (`supervisor.rpcinterface:make_main_rpcinterface`).
    pub fn with_main() -> RpcRegistry {
        let mut r = RpcRegistry::default();
        r.register(supervisor_core::config::MAIN_RPC_FACTORY, |daemon, _| {
            Ok(Arc::new(SupervisorNamespace::new(daemon.clone())) as Arc<dyn RpcInterface>)
        });
        r
    }
}
