//! A custom XML-RPC namespace: `hello.greet(name)` and `hello.state(program)`
//! (answered through the library's typed handles), added to supervisord's
//! API the way `[rpcinterface:x]` sections add one in 4.3.0, then called
//! over the unix socket with the client. Exits non-zero if anything fails.
//!
//! `cargo run -p supervisor-examples --example rpc_plugin`

use std::collections::BTreeMap;
use std::sync::Arc;

use supervisor_core::config::{Config, LoadOptions};
use supervisor_core::supervisor::{ControlError, RunOptions, Supervisor};
use supervisor_rpc::client::{Client, ClientError};
use supervisor_rpc::daemon::Daemon;
use supervisor_rpc::dxr::Value;
use supervisor_rpc::server::{bind_all, dispatcher, serve};
use supervisor_rpc::{Fault, FaultString, MethodDoc, RpcInterface, RpcRegistry};

/// The namespace: greets with the `greeting` key of its section, and
/// tells a program's state.
struct Hello {
    greeting: String,
    supervisor: Supervisor,
}

#[async_trait::async_trait]
impl RpcInterface for Hello {
    fn methods(&self) -> Vec<MethodDoc> {
        vec![
            MethodDoc { name: "greet", signature: &["string", "string"], help: "Greet someone." },
            MethodDoc { name: "state", signature: &["string", "string"], help: "A program's state." },
        ]
    }

    async fn call(&self, method: &str, params: &[Value]) -> Result<Value, FaultString> {
        match (method, params) {
            ("greet", [Value::String(who)]) => Ok(Value::String(format!("{}, {who}", self.greeting))),
            ("state", [Value::String(program)]) => match self.supervisor.program(program).state().await {
                Ok(state) => Ok(Value::String(state.to_string())),
                Err(ControlError::BadName(_)) => Err(Fault::BadName.with(program)),
                Err(e) => Err(Fault::Failed.with(e.to_string())),
            },
            _ => Err(Fault::IncorrectParameters.into()),
        }
    }
}

fn make_hello(daemon: &Arc<Daemon>, extras: &BTreeMap<String, String>) -> Result<Arc<dyn RpcInterface>, String> {
    let greeting = extras.get("greeting").cloned().unwrap_or_else(|| "hello".to_owned());
    Ok(Arc::new(Hello { greeting, supervisor: daemon.supervisor.clone() }))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::temp_dir().join(format!("rpc-plugin-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let socket = dir.join("supervisor.sock");
    let text = format!(
        "[unix_http_server]\nfile={}\n[supervisord]\n\
         [rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n\
         [rpcinterface:hello]\nsupervisor.rpcinterface_factory = example:make_hello\ngreeting = hi\n\
         [program:idle]\ncommand = sleep 60\nautostart = false\n",
        socket.display()
    );

    let mut registry = RpcRegistry::with_main();
    registry.register("example:make_hello", make_hello);
    // The loader accepts exactly the factories the registry provides.
    let options = LoadOptions { rpc_factories: registry.names(), ..LoadOptions::default() };
    let config = Config::from_str_with(&text, &dir.join("supervisord.conf"), &options)?;

    let supervisor = Supervisor::start(config.clone(), RunOptions::default())?;
    let (daemon, _requests) = Daemon::new(supervisor.clone(), &config, options);
    let daemon = Arc::new(daemon);
    let bound = bind_all(&config)?;
    let serving = serve(
        &tokio::runtime::Handle::current(),
        bound,
        dispatcher(&daemon, &config, &registry)?,
        &config,
        None,
        |_, line| println!("{line}"),
    )?;

    let url = format!("unix://{}", socket.display());
    type Answers = (Value, Value, Result<Value, supervisor_rpc::client::ClientError>);
    let (greeting, state, unknown) = tokio::task::spawn_blocking(move || -> Result<Answers, ClientError> {
        let client = Client::new(&url, None, None)?;
        println!("methods: {:?}", client.call("system.listMethods", vec![])?);
        let greeting = client.call("hello.greet", vec![Value::String("world".into())])?;
        let state = client.call("hello.state", vec![Value::String("idle".into())])?;
        Ok((greeting, state, client.call("hello.state", vec![Value::String("nope".into())])))
    })
    .await??;
    println!("hello.greet('world') = {greeting:?}");
    println!("hello.state('idle') = {state:?}");
    println!("hello.state('nope') = {unknown:?}");

    serving.stop().await;
    supervisor.shutdown().await?;
    let _ = std::fs::remove_dir_all(&dir);
    if greeting != Value::String("hi, world".into()) || state != Value::String("STOPPED".into()) {
        return Err("unexpected answers".into());
    }
    match unknown {
        Err(ClientError::Fault { code: 10, string }) if string == "BAD_NAME: nope" => Ok(()),
        other => Err(format!("unexpected answer for an unknown program: {other:?}").into()),
    }
}
