//! What a load takes from outside the file ([`LoadOptions`]): read by
//! every section reader, so it sits below them and below the load itself.

use std::collections::BTreeMap;
use std::path::PathBuf;

/// The standard `[rpcinterface:supervisor]` factory.
pub const MAIN_RPC_FACTORY: &str = "supervisor.rpcinterface:make_main_rpcinterface";
/// The standard event listener `result_handler`.
pub const DEFAULT_RESULT_HANDLER: &str = "supervisor.dispatchers:default_handler";

/// What a load needs from outside the file, injectable for tests and
/// embedders.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// The environment `%(ENV_X)s` reads.
    pub environ: BTreeMap<String, String>,
    /// `%(host_node_name)s`.
    pub host_node_name: String,
    /// The default `childlogdir`.
    pub temp_dir: PathBuf,
    /// `[rpcinterface:x]` factories this build provides.
    pub rpc_factories: Vec<String>,
    /// `[eventlistener:x] result_handler`s this build provides.
    pub result_handlers: Vec<String>,
    /// Reject section types this program does not know (4.3.0 ignores them).
    pub reject_unknown_sections: bool,
}

impl Default for LoadOptions {
    /// The current process's environment, host name and temp dir.
    fn default() -> Self {
        let environ: BTreeMap<String, String> =
            std::env::vars_os().filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?))).collect();
        let host_node_name = nix::unistd::gethostname().ok().and_then(|h| h.into_string().ok()).unwrap_or_default();
        LoadOptions {
            environ,
            host_node_name,
            temp_dir: std::env::temp_dir(),
            rpc_factories: vec![MAIN_RPC_FACTORY.to_owned()],
            result_handlers: vec![DEFAULT_RESULT_HANDLER.to_owned()],
            reject_unknown_sections: true,
        }
    }
}
