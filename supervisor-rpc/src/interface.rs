//! The trait an XML-RPC namespace implements (`supervisor`, `system`, or a
//! plugin's), and the registry `[rpcinterface:x]` sections select from.

use std::collections::BTreeMap;
use std::sync::Arc;

use dxr::Value;

use crate::daemon::Daemon;
use crate::faults::FaultString;

/// One method's documentation, for `system.methodHelp`/`methodSignature`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MethodDoc {
    /// The method name without the namespace.
    pub name: &'static str,
    /// Types: the return type first, then each parameter's.
    pub signature: &'static [&'static str],
    /// What it does.
    pub help: &'static str,
}

/// An XML-RPC namespace. Implement it to add methods to supervisord:
/// register a factory with [`RpcRegistry::register`] and name that factory
/// in an `[rpcinterface:x]` section.
///
/// ```
/// use std::sync::Arc;
/// use supervisor_rpc::{FaultString, MethodDoc, RpcInterface, dxr::Value};
///
/// struct Hello;
///
/// #[async_trait::async_trait]
/// impl RpcInterface for Hello {
///     fn methods(&self) -> Vec<MethodDoc> {
///         vec![MethodDoc { name: "greet", signature: &["string", "string"], help: "Says hello." }]
///     }
///     async fn call(&self, method: &str, params: &[Value]) -> Result<Value, FaultString> {
///         match (method, params) {
///             ("greet", [Value::String(who)]) => Ok(Value::String(format!("hello, {who}"))),
///             _ => Err(supervisor_rpc::Fault::IncorrectParameters.into()),
///         }
///     }
/// }
/// ```
#[async_trait::async_trait]
pub trait RpcInterface: Send + Sync {
    /// Every method this namespace offers.
    fn methods(&self) -> Vec<MethodDoc>;
    /// Calls `method` (without the namespace). Only names from
    /// [`RpcInterface::methods`] are ever passed.
    async fn call(&self, method: &str, params: &[Value]) -> Result<Value, FaultString>;

    /// Like [`RpcInterface::call`], for answers big enough that building a
    /// `Value` tree first costs more than the call: returns the answer's
    /// `<value>` element, written with [`crate::xml::ValueWriter`] (whose
    /// buffer becomes the response without a copy). `None`
    /// (the default) means `call` answers this method. A direct call, not
    /// one inside `system.multicall`, takes this path when it can.
    async fn call_xml(&self, method: &str, params: &[Value]) -> Option<Result<crate::xml::XmlValue, FaultString>> {
        let _ = (method, params);
        None
    }
}

/// Makes a namespace from the daemon and the section's other keys.
pub type Factory =
    Arc<dyn Fn(&Arc<Daemon>, &BTreeMap<String, String>) -> Result<Arc<dyn RpcInterface>, String> + Send + Sync>;

/// Factories by the name `supervisor.rpcinterface_factory` uses.
#[derive(Clone, Default)]
pub struct RpcRegistry {
    factories: BTreeMap<String, Factory>,
}

impl RpcRegistry {
    /// Adds a factory under `name`.
    pub fn register(
        &mut self,
        name: &str,
        factory: impl Fn(&Arc<Daemon>, &BTreeMap<String, String>) -> Result<Arc<dyn RpcInterface>, String>
        + Send
        + Sync
        + 'static,
    ) {
        self.factories.insert(name.to_owned(), Arc::new(factory));
    }

    /// Every registered factory name (what the config loader accepts).
    pub fn names(&self) -> Vec<String> {
        self.factories.keys().cloned().collect()
    }

    /// The factory for `name`.
    pub fn get(&self, name: &str) -> Option<&Factory> {
        self.factories.get(name)
    }
}
