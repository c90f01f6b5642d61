//! Routing `namespace.method` calls, and the `system` namespace
//! (`listMethods`, `methodHelp`, `methodSignature`, `multicall`).
//!
//! Only registered names resolve: a name must have exactly two dotted
//! parts, its method part must not start with `_`, and it must be one the
//! namespace lists. That is the CVE-2017-11610 fix of 4.3.0, by construction.

use std::collections::BTreeMap;
use std::sync::Arc;

use dxr::{MethodCall, Value};

use crate::faults::{Fault, FaultString};
use crate::interface::{MethodDoc, RpcInterface};
use crate::value::Params;

struct Namespace {
    interface: Arc<dyn RpcInterface>,
    methods: BTreeMap<&'static str, MethodDoc>,
}

/// Every namespace of one server.
#[derive(Default)]
pub struct Dispatcher {
    namespaces: BTreeMap<String, Namespace>,
}

const SYSTEM: &[MethodDoc] = &[
    MethodDoc {
        name: "listMethods",
        signature: &["array"],
        help: "Return an array listing the available method names",
    },
    MethodDoc {
        name: "methodHelp",
        signature: &["string", "string"],
        help: "Return a string showing the method's documentation",
    },
    MethodDoc {
        name: "methodSignature",
        signature: &["array", "string"],
        help: "Return an array describing the method signature in the form [rtype, ptype, ptype...]",
    },
    MethodDoc {
        name: "multicall",
        signature: &["array", "array"],
        help: "Process an array of calls, and return an array of results",
    },
];

/// Why a request body could not be handled at all (HTTP 400).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadRequest {
    /// Not UTF-8.
    #[error("request body is not UTF-8")]
    NotUtf8,
    /// Not an XML-RPC method call.
    #[error("request body is not an XML-RPC methodCall")]
    NotXmlRpc,
}

impl Dispatcher {
    /// Adds a namespace under `name`.
    pub fn add(&mut self, name: &str, interface: Arc<dyn RpcInterface>) {
        let methods = interface.methods().into_iter().map(|m| (m.name, m)).collect();
        self.namespaces.insert(name.to_owned(), Namespace { interface, methods });
    }

    fn docs(&self) -> BTreeMap<String, &MethodDoc> {
        let mut all: BTreeMap<String, &MethodDoc> = SYSTEM.iter().map(|m| (format!("system.{}", m.name), m)).collect();
        for (ns, n) in &self.namespaces {
            for (name, doc) in &n.methods {
                all.insert(format!("{ns}.{name}"), doc);
            }
        }
        all
    }

    /// Calls one method by its full name.
    pub async fn call(&self, method: &str, params: &[Value]) -> Result<Value, FaultString> {
        let (ns, name) = split_method(method).ok_or(Fault::UnknownMethod)?;
        if ns == "system" {
            return self.system(name, params).await;
        }
        let namespace = self.offering(ns, name).ok_or(Fault::UnknownMethod)?;
        namespace.interface.call(name, params).await
    }

    /// The namespace's own XML for a direct call, when it writes one.
    async fn call_xml(&self, method: &str, params: &[Value]) -> Option<Result<crate::xml::XmlValue, FaultString>> {
        let (ns, name) = split_method(method)?;
        self.offering(ns, name)?.interface.call_xml(name, params).await
    }

    /// The namespace `ns`, if it offers `name`.
    fn offering(&self, ns: &str, name: &str) -> Option<&Namespace> {
        self.namespaces.get(ns).filter(|n| n.methods.contains_key(name))
    }

    async fn system(&self, name: &str, params: &[Value]) -> Result<Value, FaultString> {
        match name {
            "listMethods" => {
                Params::new(params, 0, 0)?;
                Ok(Value::Array(self.docs().into_keys().map(Value::String).collect()))
            }
            "methodHelp" => {
                let full = Params::new(params, 1, 1)?.string(0)?;
                let docs = self.docs();
                let doc = docs.get(&full).ok_or(Fault::SignatureUnsupported)?;
                Ok(Value::String(doc.help.to_owned()))
            }
            "methodSignature" => {
                let full = Params::new(params, 1, 1)?.string(0)?;
                let docs = self.docs();
                let doc = docs.get(&full).ok_or(Fault::SignatureUnsupported)?;
                Ok(Value::Array(doc.signature.iter().map(|s| Value::String((*s).to_owned())).collect()))
            }
            "multicall" => {
                let calls = match Params::new(params, 1, 1)?.value(0) {
                    Some(Value::Array(calls)) => calls.clone(),
                    _ => return Err(Fault::IncorrectParameters.into()),
                };
                let mut results = Vec::with_capacity(calls.len());
                for call in calls {
                    let result = self.one_of_many(&call).await;
                    // 4.3.0 returns bare values, not the spec's one-item arrays.
                    results.push(result.unwrap_or_else(|f| fault_struct(&f)));
                }
                Ok(Value::Array(results))
            }
            _ => Err(Fault::UnknownMethod.into()),
        }
    }

    async fn one_of_many(&self, call: &Value) -> Result<Value, FaultString> {
        let Value::Struct(call) = call else {
            return Err(Fault::IncorrectParameters.with("No methodName"));
        };
        let Some(Value::String(name)) = call.get("methodName") else {
            return Err(Fault::IncorrectParameters.with("No methodName"));
        };
        if name == "system.multicall" {
            return Err(Fault::IncorrectParameters.with("Recursive system.multicall forbidden"));
        }
        let params = match call.get("params") {
            None => Vec::new(),
            Some(Value::Array(p)) => p.clone(),
            Some(_) => return Err(Fault::IncorrectParameters.into()),
        };
        Box::pin(self.call(name, &params)).await
    }

    /// Handles one `POST /RPC2` body: the response XML (a value or a
    /// fault), or why the body is not a call at all.
    pub async fn handle(&self, body: &[u8]) -> Result<String, BadRequest> {
        let call = decode_call(body)?;
        if let Some(answer) = self.call_xml(&call.name, &call.params).await {
            return Ok(match answer {
                Ok(value) => crate::xml::method_response_xml(value),
                Err(f) => crate::xml::fault_response(f.fault.code(), &f.to_string()),
            });
        }
        Ok(match self.call(&call.name, &call.params).await {
            Ok(value) => crate::xml::method_response(&value),
            Err(f) => crate::xml::fault_response(f.fault.code(), &f.to_string()),
        })
    }
}

/// `namespace.method`, exactly two parts; names starting with `_` are private.
fn split_method(method: &str) -> Option<(&str, &str)> {
    let (ns, name) = method.split_once('.')?;
    (!name.contains('.') && !name.starts_with('_')).then_some((ns, name))
}

/// Decodes a `POST /RPC2` body into a method call; the fuzz target
/// `xmlrpc_request` feeds it arbitrary bytes.
///
/// ```
/// use supervisor_rpc::dispatch::{decode_call, BadRequest};
/// let body = b"<methodCall><methodName>supervisor.getState</methodName><params/></methodCall>";
/// assert_eq!(decode_call(body).map(|c| c.name.into_owned()), Ok("supervisor.getState".to_owned()));
/// assert!(matches!(decode_call(b"\xff"), Err(BadRequest::NotUtf8)));
/// ```
pub fn decode_call(body: &[u8]) -> Result<MethodCall<'_>, BadRequest> {
    let text = std::str::from_utf8(body).map_err(|_| BadRequest::NotUtf8)?;
    MethodCall::from_xml(text).map_err(|_| BadRequest::NotXmlRpc)
}

/// 4.3.0's fault struct inside a multicall result.
pub fn fault_struct(f: &FaultString) -> Value {
    let mut s = BTreeMap::new();
    s.insert("faultCode".to_owned(), Value::Integer(f.fault.code()));
    s.insert("faultString".to_owned(), Value::String(f.to_string()));
    Value::Struct(s)
}
