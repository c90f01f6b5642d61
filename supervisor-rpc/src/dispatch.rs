//! Routing `namespace.method` calls, and the `system` namespace
//! (`listMethods`, `methodHelp`, `methodSignature`, `multicall`).
//!
//! Only registered names resolve: a name must have exactly two dotted
//! parts, its method part must not start with `_`, and it must be one the
//! namespace lists. That is the CVE-2017-11610 fix of 4.3.0, by construction.

use std::collections::BTreeMap;
use std::sync::Arc;

use dxr::{MethodCall, Value};
use supervisor_core::config::LogLevel;

use crate::faults::{Fault, FaultString};
use crate::interface::{MethodDoc, RpcInterface};
use crate::value::Params;

struct Namespace {
    interface: Arc<dyn RpcInterface>,
    methods: BTreeMap<&'static str, MethodDoc>,
}

/// Where the API writes supervisord's log lines; shared by every request.
pub type Logger = Arc<dyn Fn(LogLevel, &str) + Send + Sync>;

/// Every namespace of one server.
#[derive(Default)]
pub struct Dispatcher {
    namespaces: BTreeMap<String, Namespace>,
    /// The log and the least severe level it writes.
    log: Option<(Logger, LogLevel)>,
}

/// A `system.methodHelp` text in 4.3.0's docstring shape: a leading space,
/// the one-line summary, a blank line, then one `@param type name what` line
/// per parameter and an `@return type name what` line, each indented by
/// eight spaces, and eight spaces after the last newline.
macro_rules! help_text {
    ($summary:literal $(, $line:literal)* $(,)?) => {
        concat!(" ", $summary, "\n\n", $("        ", $line, "\n",)* "        ")
    };
}
pub(crate) use help_text;

const SYSTEM: &[MethodDoc] = &[
    MethodDoc {
        name: "listMethods",
        signature: &["array"],
        help: help_text!(
            "List the names of every method this server answers",
            "@return array result The full method names (namespace.method), as strings",
        ),
    },
    MethodDoc {
        name: "methodHelp",
        signature: &["string", "string"],
        help: help_text!(
            "Describe one method: what it does, its parameters and its result",
            "@param string name The full method name, e.g. supervisor.getState",
            "@return string result This text, for the method asked about",
        ),
    },
    MethodDoc {
        name: "methodSignature",
        signature: &["array", "string"],
        help: help_text!(
            "Give the XML-RPC types of a method as [return type, parameter types...]",
            "@param string name The full method name, e.g. supervisor.startProcess",
            "@return array result The return type first, then each parameter's type in order",
        ),
    },
    MethodDoc {
        name: "multicall",
        signature: &["array", "array"],
        help: help_text!(
            "Run several calls in one request and answer with all their results",
            "@param array calls Structs of {'methodName': string, 'params': array}",
            "@return array result One entry per call: its value, or a {'faultCode', 'faultString'} struct",
        ),
    },
];

/// Which call a request was and how it ended.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Answered {
    /// The method's name, if the server knows it.
    pub method: Option<String>,
    /// The fault it answered with, if any.
    pub fault: Option<Fault>,
}

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
    /// Writes 4.3.0's `XML-RPC method ...` trace lines for each call to
    /// `log`, when `level` (supervisord's `loglevel`) lets them through.
    #[must_use]
    pub fn with_log(mut self, log: Logger, level: LogLevel) -> Dispatcher {
        self.log = Some((log, level));
        self
    }

    /// The log given by [`Dispatcher::with_log`], if it writes `level`.
    pub fn log(&self, level: LogLevel) -> Option<&Logger> {
        self.log.as_ref().filter(|(_, least)| level >= *least).map(|(log, _)| log)
    }

    fn trace(&self, message: impl FnOnce() -> String) {
        if let Some(log) = self.log(LogLevel::Trace) {
            log(LogLevel::Trace, &message());
        }
    }

    /// 4.3.0's line for how a call ended.
    fn trace_end<T>(&self, method: &str, result: &Result<T, FaultString>) {
        self.trace(|| match result {
            Ok(_) => format!("XML-RPC method {method}() returned successfully"),
            Err(f) => format!("XML-RPC method {method}() returned fault: [{}] {f}", f.fault.code()),
        });
    }

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
        self.handle_observed(body).await.map(|(xml, _)| xml)
    }

    /// [`Dispatcher::handle`], also telling which call it was (for metrics).
    pub async fn handle_observed(&self, body: &[u8]) -> Result<(String, Answered), BadRequest> {
        let call = decode_call(body)?;
        self.trace(|| format!("XML-RPC method called: {}()", call.name));
        let known = self.knows(&call.name).then(|| call.name.to_string());
        if let Some(answer) = self.call_xml(&call.name, &call.params).await {
            self.trace_end(&call.name, &answer);
            let fault = answer.as_ref().err().map(|f| f.fault);
            let xml = match answer {
                Ok(value) => crate::xml::method_response_xml(value),
                Err(f) => crate::xml::fault_response(f.fault.code(), &f.to_string()),
            };
            return Ok((xml, Answered { method: known, fault }));
        }
        let answer = self.call(&call.name, &call.params).await;
        self.trace_end(&call.name, &answer);
        let fault = answer.as_ref().err().map(|f| f.fault);
        let xml = match answer {
            Ok(value) => crate::xml::method_response(&value),
            Err(f) => crate::xml::fault_response(f.fault.code(), &f.to_string()),
        };
        Ok((xml, Answered { method: known, fault }))
    }

    /// Whether `method` is one this server answers.
    pub fn knows(&self, method: &str) -> bool {
        match split_method(method) {
            Some(("system", name)) => SYSTEM.iter().any(|m| m.name == name),
            Some((ns, name)) => self.offering(ns, name).is_some(),
            None => false,
        }
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

/// Checks a help text against its signature: the docstring shape of
/// [`help_text!`], and `@return`/`@param` types equal to the signature
/// (return type first, then each parameter's).
#[cfg(test)]
pub(crate) fn check_help(doc: &MethodDoc) -> Result<(), String> {
    let name = doc.name;
    let help = doc.help;
    let (summary, rest) =
        help.split_once("\n\n").ok_or_else(|| format!("{name}: no blank line after the summary: {help:?}"))?;
    if !summary.starts_with(' ') || summary.trim().is_empty() || summary.contains('\n') {
        return Err(format!("{name}: the summary must be one line after a space: {summary:?}"));
    }
    let body =
        rest.strip_suffix("\n        ").ok_or_else(|| format!("{name}: must end with a newline and 8 spaces"))?;
    let mut returns = None;
    let mut params = Vec::new();
    for line in body.split('\n') {
        let line = line.strip_prefix("        ").ok_or_else(|| format!("{name}: line not indented by 8: {line:?}"))?;
        let mut words = line.split_whitespace();
        let (tag, ty, arg, what) = (words.next(), words.next(), words.next(), words.next());
        if arg.is_none() || what.is_none() {
            return Err(format!("{name}: want `@tag type name description`: {line:?}"));
        }
        match tag {
            Some("@param") if returns.is_none() => params.push(ty.unwrap_or_default()),
            Some("@return") if returns.is_none() => returns = ty,
            _ => return Err(format!("{name}: unexpected line {line:?}")),
        }
    }
    let mut types = vec![returns.ok_or_else(|| format!("{name}: no @return line"))?];
    types.extend(params);
    if types != doc.signature {
        return Err(format!("{name}: help types {types:?} differ from signature {:?}", doc.signature));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_help_texts_agree_with_their_signatures() {
        for doc in SYSTEM {
            check_help(doc).unwrap();
        }
    }

    #[test]
    fn calls_are_traced_as_4_3_0_traces_them() {
        let lines = Arc::new(std::sync::Mutex::new(Vec::new()));
        let sink = lines.clone();
        let log: Logger = Arc::new(move |level: LogLevel, m: &str| {
            sink.lock().unwrap().push(format!("{} {m}", level.tag()));
        });
        // Nothing at the default level.
        let quiet = Dispatcher::default().with_log(log.clone(), LogLevel::Info);
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let body = b"<methodCall><methodName>system.listMethods</methodName><params/></methodCall>";
        rt.block_on(quiet.handle(body)).unwrap();
        assert!(lines.lock().unwrap().is_empty());
        let d = Dispatcher::default().with_log(log, LogLevel::Trace);
        let call = |name: &str| {
            let body = format!("<methodCall><methodName>{name}</methodName><params/></methodCall>");
            let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
            rt.block_on(d.handle(body.as_bytes())).unwrap();
        };
        call("system.listMethods");
        call("supervisor.nosuch");
        assert_eq!(
            *lines.lock().unwrap(),
            [
                "TRAC XML-RPC method called: system.listMethods()",
                "TRAC XML-RPC method system.listMethods() returned successfully",
                "TRAC XML-RPC method called: supervisor.nosuch()",
                "TRAC XML-RPC method supervisor.nosuch() returned fault: [1] UNKNOWN_METHOD",
            ]
        );
    }

    #[test]
    fn help_text_has_the_docstring_shape() {
        let text = help_text!("Do it", "@param string name The name", "@return boolean result Always true");
        assert_eq!(
            text,
            " Do it\n\n        @param string name The name\n        @return boolean result Always true\n        "
        );
    }
}
