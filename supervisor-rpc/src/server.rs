//! Serving the API for a running daemon: bind every configured server,
//! build the namespaces its `[rpcinterface:x]` sections select, serve.

use std::path::PathBuf;
use std::sync::Arc;

use supervisor_core::config::{Config, HttpServerConfig, LogLevel};
use tokio::task::JoinHandle;

use crate::daemon::Daemon;
use crate::dispatch::Dispatcher;
use crate::http::{Credentials, router};
use crate::interface::RpcRegistry;
use crate::listen::{BindError, Listener, bind, remove_socket};

/// Every configured server, bound but not yet serving.
pub struct Bound {
    servers: Vec<(HttpServerConfig, Listener)>,
}

/// Binds every `[inet_http_server*]` and `[unix_http_server*]`; on failure
/// nothing stays bound and no socket file is left.
pub fn bind_all(config: &Config) -> Result<Bound, BindError> {
    let mut servers = Vec::new();
    for s in &config.http_servers {
        match bind(s) {
            Ok(l) => servers.push((s.clone(), l)),
            Err(e) => {
                for (_, l) in servers {
                    if let Listener::Unix(_, path) = l {
                        remove_socket(&path);
                    }
                }
                return Err(e);
            }
        }
    }
    Ok(Bound { servers })
}

/// The servers being served; stop them with [`Serving::stop`].
pub struct Serving {
    tasks: Vec<JoinHandle<()>>,
    sockets: Vec<PathBuf>,
}

impl Serving {
    /// Stops serving and removes the unix socket files.
    pub fn stop(self) {
        for t in self.tasks {
            t.abort();
        }
        for path in self.sockets {
            remove_socket(&path);
        }
    }
}

/// The namespaces `[rpcinterface:x]` selects, built by their factories.
pub fn dispatcher(daemon: &Arc<Daemon>, config: &Config, registry: &RpcRegistry) -> Result<Dispatcher, String> {
    let mut d = Dispatcher::default();
    for plugin in &config.rpc_interfaces {
        let factory = registry.get(&plugin.factory).ok_or_else(|| format!("{} cannot be resolved", plugin.factory))?;
        d.add(&plugin.name, factory(daemon, &plugin.extras)?);
    }
    Ok(d)
}

/// Serves `bound` with `dispatcher` (and the `/logtail` streams of `logs`),
/// writing 4.3.0's startup lines through `log`. `runtime` runs the
/// connections (`Handle::current()` for the caller's own): supervisord
/// gives them threads of their own, so requests are answered while output
/// pumps keep its other threads busy.
pub fn serve(
    runtime: &tokio::runtime::Handle,
    bound: Bound,
    dispatcher: Dispatcher,
    config: &Config,
    logs: Option<supervisor_core::supervisor::Supervisor>,
    log: impl Fn(LogLevel, &str),
) -> std::io::Result<Serving> {
    // Tokio's listeners register with the reactor of the runtime they are
    // made in.
    let _entered = runtime.enter();
    for plugin in &config.rpc_interfaces {
        log(LogLevel::Info, &format!("RPC interface '{}' initialized", plugin.name));
    }
    let dispatcher = Arc::new(dispatcher);
    let mut serving = Serving { tasks: Vec::new(), sockets: Vec::new() };
    for (config, listener) in bound.servers {
        let credentials = match (&config.username, &config.password) {
            (Some(u), Some(p)) => Some(Credentials { username: u.clone(), password: p.clone() }),
            _ => {
                log(
                    LogLevel::Critical,
                    &format!("Server '{}' running without any HTTP authentication checking", config.section),
                );
                None
            }
        };
        let body_limit = usize::try_from(config.body_limit).unwrap_or(usize::MAX);
        let app = router(dispatcher.clone(), credentials, body_limit, logs.clone());
        let timeout = std::time::Duration::from_secs(config.header_timeout_secs);
        let task = match listener {
            Listener::Unix(l, path) => {
                l.set_nonblocking(true)?;
                let l = tokio::net::UnixListener::from_std(l)?;
                serving.sockets.push(path);
                runtime.spawn(crate::accept::serve_unix(l, app, timeout))
            }
            Listener::Tcp(l) => {
                l.set_nonblocking(true)?;
                let l = tokio::net::TcpListener::from_std(l)?;
                runtime.spawn(crate::accept::serve_tcp(l, app, timeout))
            }
        };
        serving.tasks.push(task);
    }
    Ok(serving)
}
