//! `supervisor_rs.*`: our additions to 4.3.0's API. They live in a
//! namespace of their own, so `supervisor.*` (and `system.listMethods`'
//! view of it) stays exactly 4.3.0's; a client looks for them in
//! `system.listMethods` and falls back to 4.3.0's calls without them.

use std::sync::Arc;

use dxr::Value;

use crate::daemon::Daemon;
use crate::dispatch::help_text;
use crate::faults::{Fault, FaultString};
use crate::interface::{MethodDoc, RpcInterface};
use crate::value::Params;

/// The namespace's name.
pub const NAMESPACE: &str = "supervisor_rs";

const METHODS: &[MethodDoc] = &[MethodDoc {
    name: "updateProcessGroup",
    signature: &["array", "string"],
    help: help_text!(
        "Apply the reread configuration of a group in use, restarting only the processes whose settings changed",
        "@param string name The group to update",
        "@return array result The names of the processes restarted, added or removed",
    ),
}];

/// `supervisor_rs.*`, served beside the `supervisor` namespace.
pub struct ExtensionsNamespace {
    daemon: Arc<Daemon>,
}

impl ExtensionsNamespace {
    /// The namespace for `daemon`.
    pub fn new(daemon: Arc<Daemon>) -> ExtensionsNamespace {
        ExtensionsNamespace { daemon }
    }

    /// Restarts only the processes of group `name` whose settings differ
    /// between the config in use and the one last reread.
    async fn update_group(&self, name: &str) -> Result<Value, FaultString> {
        let latest = self.daemon.latest_group(name).ok_or_else(|| Fault::BadName.with(name))?;
        let active = self.daemon.active_group(name).ok_or_else(|| Fault::BadName.with(name))?;
        // Processes whose settings are the same, as read; a change of group
        // kind (or of an FCGI group's socket) replaces every process.
        let unchanged: Vec<String> = if latest.kind == active.kind {
            latest
                .processes
                .iter()
                .filter(|p| active.processes.iter().any(|q| q == *p))
                .map(|p| p.name.clone())
                .collect()
        } else {
            Vec::new()
        };
        let touched = self.daemon.supervisor.update_group(latest.clone(), &unchanged).await?;
        self.daemon.activate(latest).await;
        Ok(Value::Array(touched.iter().map(|p| Value::String(p.to_string())).collect()))
    }
}

#[async_trait::async_trait]
impl RpcInterface for ExtensionsNamespace {
    fn methods(&self) -> Vec<MethodDoc> {
        METHODS.to_vec()
    }

    async fn call(&self, method: &str, params: &[Value]) -> Result<Value, FaultString> {
        if self.daemon.is_stopping() {
            return Err(Fault::ShutdownState.into());
        }
        match method {
            "updateProcessGroup" => self.update_group(&Params::new(params, 1, 1)?.string(0)?).await,
            _ => Err(Fault::UnknownMethod.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn help_texts_agree_with_their_signatures() {
        for m in super::METHODS {
            assert_eq!(crate::dispatch::check_help(m), Ok(()), "{}", m.name);
        }
    }
}
