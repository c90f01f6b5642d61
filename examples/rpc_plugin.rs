//! A custom XML-RPC namespace: `hello.greet(name)`, added to supervisord's
//! API the way `[rpcinterface:x]` sections add one in 4.3.0, then called
//! over the unix socket with the client. Exits non-zero if anything fails.
//!
//! `cargo run -p supervisor-examples --example rpc_plugin`

use std::collections::BTreeMap;
use std::sync::Arc;

use supervisor_core::config::{Config, LoadOptions};
use supervisor_core::supervisor::{RunOptions, Supervisor};
use supervisor_rpc::client::Client;
use supervisor_rpc::daemon::Daemon;
use supervisor_rpc::dxr::Value;
use supervisor_rpc::server::{bind_all, dispatcher, serve};
use supervisor_rpc::{Fault, FaultString, MethodDoc, RpcInterface, RpcRegistry};

/// The namespace: greets with the `greeting` key of its section.
struct Hello {
    greeting: String,
}

#[async_trait::async_trait]
impl RpcInterface for Hello {
    fn methods(&self) -> Vec<MethodDoc> {
        vec![MethodDoc { name: "greet", signature: &["string", "string"], help: "Greet someone." }]
    }

    async fn call(&self, method: &str, params: &[Value]) -> Result<Value, FaultString> {
        match (method, params) {
            ("greet", [Value::String(who)]) => Ok(Value::String(format!("{}, {who}", self.greeting))),
            _ => Err(Fault::IncorrectParameters.into()),
        }
    }
}

fn make_hello(_: &Arc<Daemon>, extras: &BTreeMap<String, String>) -> Result<Arc<dyn RpcInterface>, String> {
    let greeting = extras.get("greeting").cloned().unwrap_or_else(|| "hello".to_owned());
    Ok(Arc::new(Hello { greeting }))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::temp_dir().join(format!("rpc-plugin-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let socket = dir.join("supervisor.sock");
    let text = format!(
        "[unix_http_server]\nfile={}\n[supervisord]\n\
         [rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n\
         [rpcinterface:hello]\nsupervisor.rpcinterface_factory = example:make_hello\ngreeting = hi\n",
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
    let greeting = tokio::task::spawn_blocking(move || -> Result<Value, supervisor_rpc::client::ClientError> {
        let client = Client::new(&url, None, None)?;
        println!("methods: {:?}", client.call("system.listMethods", vec![])?);
        client.call("hello.greet", vec![Value::String("world".into())])
    })
    .await??;
    println!("hello.greet('world') = {greeting:?}");

    serving.stop().await;
    supervisor.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
    if greeting != Value::String("hi, world".into()) {
        return Err("unexpected greeting".into());
    }
    Ok(())
}
