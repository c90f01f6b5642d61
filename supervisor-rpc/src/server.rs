//! Serving the API for a running daemon: bind every configured server,
//! build the namespaces its `[rpcinterface:x]` sections select, serve.
//!
//! The listening sockets outlive the daemon's in-process restarts: a
//! restart swaps the app each server answers with, keeps every socket
//! whose address did not change (so there is no moment when the port is
//! free for another program, or refuses a client), and closes only what
//! the new config dropped or moved before binding what it added.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use supervisor_core::config::{Config, HttpServerConfig, Listen, LogLevel};
use supervisor_core::supervisor::Supervisor;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::accept::{App, Tls};
use crate::daemon::Daemon;
use crate::dispatch::Dispatcher;
use crate::http::{Credentials, Features, router};
use crate::interface::RpcRegistry;
use crate::listen::{BindError, Listener, bind, remove_socket};

/// Every configured server, bound but not yet serving.
pub struct Bound {
    servers: Vec<(HttpServerConfig, Listener)>,
}

impl Bound {
    /// Gives the servers up before serving (supervisord could not start):
    /// closes them and removes their socket files.
    pub fn discard(self) {
        for (_, l) in self.servers {
            if let Listener::Unix(_, path) = l {
                remove_socket(&path);
            }
        }
    }
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

/// One listening server.
struct Entry {
    config: HttpServerConfig,
    app: watch::Sender<App>,
    accept: JoinHandle<()>,
    socket: Option<SocketFile>,
    /// The TLS files last loaded (`tls_cert`, `tls_key`).
    /// The last acceptor loaded, and the files it was loaded from.
    tls: std::sync::Mutex<Option<(supervisor_core::config::TlsFiles, tokio_rustls::TlsAcceptor)>>,
}

/// A unix server's socket file: its path, and which file it is (device
/// and inode), so a file removed or replaced from outside is noticed.
struct SocketFile {
    path: PathBuf,
    id: Option<(u64, u64)>,
}

impl SocketFile {
    fn new(path: PathBuf) -> SocketFile {
        let id = file_id(&path);
        SocketFile { path, id }
    }

    /// Whether the path still names the socket we bound.
    fn intact(&self) -> bool {
        self.id.is_some() && file_id(&self.path) == self.id
    }
}

fn file_id(path: &std::path::Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::symlink_metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

/// The servers being served; they keep listening across
/// [`Servers::rebind`] and [`Servers::install`] until [`Servers::stop`].
pub struct Servers {
    runtime: tokio::runtime::Handle,
    entries: Vec<Entry>,
    /// The API's counters (`/metrics`), for the daemon's whole life.
    api_metrics: Arc<crate::metrics::ApiMetrics>,
    /// The recent state events (`/events`), for the daemon's whole life.
    events: Arc<crate::sse::EventLog>,
}

/// The old name of [`Servers`].
pub type Serving = Servers;

impl Servers {
    /// Starts accepting on every server of `bound`; requests wait until an
    /// app is [installed](Servers::install). `runtime` runs the
    /// connections (`Handle::current()` for the caller's own).
    pub fn start(runtime: &tokio::runtime::Handle, bound: Bound) -> std::io::Result<Servers> {
        let mut servers = Servers {
            runtime: runtime.clone(),
            entries: Vec::new(),
            api_metrics: Arc::default(),
            events: Arc::default(),
        };
        for (config, listener) in bound.servers {
            let entry = servers.listen(config, listener)?;
            servers.entries.push(entry);
        }
        Ok(servers)
    }

    fn listen(&self, config: HttpServerConfig, listener: Listener) -> std::io::Result<Entry> {
        // Tokio's listeners register with the reactor of the runtime they
        // are made in.
        let _entered = self.runtime.enter();
        let (app, slot) = watch::channel(App::Pending);
        let (accept, socket) = match listener {
            Listener::Unix(l, path) => {
                l.set_nonblocking(true)?;
                let l = tokio::net::UnixListener::from_std(l)?;
                (self.runtime.spawn(crate::accept::serve_unix(l, slot)), Some(SocketFile::new(path)))
            }
            Listener::Tcp(l) => {
                l.set_nonblocking(true)?;
                let l = tokio::net::TcpListener::from_std(l)?;
                (self.runtime.spawn(crate::accept::serve_tcp(l, slot)), None)
            }
        };
        Ok(Entry { config, app, accept, socket, tls: std::sync::Mutex::default() })
    }

    /// Makes the servers those of `config`: a server whose address is
    /// unchanged keeps its socket (and takes the section's new settings at
    /// the next [`Servers::install`]); one the config dropped or moved is
    /// closed before anything new is bound; a new one is bound. A bind
    /// that fails is logged and skipped: the others go on serving.
    pub async fn rebind(&mut self, config: &Config, log: impl Fn(LogLevel, &str)) {
        let wanted = &config.http_servers;
        let mut kept = Vec::new();
        for mut e in std::mem::take(&mut self.entries) {
            // A socket file removed (a /tmp cleaner) or replaced from
            // outside is bound again, as 4.3.0's restart would.
            let file_lost = e.socket.as_ref().is_some_and(|f| !f.intact());
            match wanted.iter().find(|s| same_socket(&s.listen, &e.config.listen)).filter(|_| !file_lost) {
                Some(s) => {
                    if let (Listen::Unix { file, chmod, chown }, Listen::Unix { chmod: old_mode, chown: old_owner, .. }) =
                        (&s.listen, &e.config.listen)
                        && (chmod != old_mode || chown != old_owner)
                        && let Err(e) = crate::listen::set_owner_and_mode(file, *chmod, *chown)
                    {
                        log(LogLevel::Critical, &format!("Cannot change {}: {e}", file.display()));
                    }
                    e.config = s.clone();
                    kept.push(e);
                }
                None => close(e).await,
            }
        }
        for s in wanted {
            if kept.iter().any(|e| same_socket(&e.config.listen, &s.listen)) {
                continue;
            }
            let entry = match bind(s) {
                Ok(listener) => self.listen(s.clone(), listener).map_err(BindError::Other),
                Err(e) => Err(e),
            };
            match entry {
                Ok(e) => kept.push(e),
                Err(e) => log(LogLevel::Critical, &format!("Server '{}' not serving: {e}", s.section)),
            }
        }
        // The config's order, which is the order 4.3.0 logs them in.
        kept.sort_by_key(|e| wanted.iter().position(|s| same_socket(&s.listen, &e.config.listen)));
        self.entries = kept;
    }

    /// Writes 4.3.0's lines for each server: medusa's start (a trace
    /// line), every namespace initialized, and a warning for a server
    /// without credentials.
    pub fn announce(&self, config: &Config, log: impl Fn(LogLevel, &str)) {
        for e in &self.entries {
            // Only worth a host name lookup when someone will read it.
            if config.supervisord.loglevel <= LogLevel::Trace {
                for line in medusa_started(&e.config.listen) {
                    log(LogLevel::Trace, &line);
                }
            }
            for plugin in &config.rpc_interfaces {
                log(LogLevel::Info, &format!("RPC interface '{}' initialized", plugin.name));
            }
            if credentials(&e.config).is_none() {
                log(
                    LogLevel::Critical,
                    &format!("Server '{}' running without any HTTP authentication checking", e.config.section),
                );
            }
        }
    }

    /// Answers every server's requests with `dispatcher` (and the
    /// `/logtail` streams and web page of `logs`), under each server's own
    /// credentials and limits.
    pub fn install(&self, dispatcher: Dispatcher, logs: Option<Supervisor>) {
        let dispatcher = Arc::new(dispatcher);
        match &logs {
            Some(sv) if self.entries.iter().any(|e| e.config.event_stream) => self.events.follow(sv, &self.runtime),
            // A reload that turned the stream off stops following.
            _ => self.events.unfollow(),
        }
        let api_metrics = self.entries.iter().any(|e| e.config.metrics).then(|| self.api_metrics.clone());
        for e in &self.entries {
            let body_limit = usize::try_from(e.config.body_limit).unwrap_or(usize::MAX);
            let features = Features {
                supervisor: logs.clone(),
                metrics: e.config.metrics,
                api_metrics: api_metrics.clone(),
                event_stream: e.config.event_stream.then(|| self.events.clone()),
            };
            let router = router(dispatcher.clone(), credentials(&e.config), body_limit, features);
            let header_timeout = Duration::from_secs(e.config.header_timeout_secs);
            let tls = self.tls_of(e);
            e.app.send_replace(App::Ready { router, header_timeout, tls });
        }
    }

    /// A server's TLS, its files read now (so a reload takes new ones).
    /// Files that became unreadable since the config was read keep the
    /// last ones loaded; with none, connections are closed (never answered
    /// in plain text).
    fn tls_of(&self, e: &Entry) -> Tls {
        let Some(files) = &e.config.tls else { return Tls::Off };
        let mut last = e.tls.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Ok(config) = files.server_config() {
            *last = Some((files.clone(), tokio_rustls::TlsAcceptor::from(config)));
        }
        // Only the same files' last acceptor stands in: one loaded without
        // a tls_client_ca added since must not let certificate-less
        // clients in.
        match last.as_ref() {
            Some((loaded, acceptor)) if loaded == files => Tls::On(acceptor.clone()),
            _ => Tls::Unusable,
        }
    }

    /// Holds every request until the next [`Servers::install`] (a restart
    /// is between two daemons).
    pub fn pause(&self) {
        for e in &self.entries {
            e.app.send_replace(App::Pending);
        }
    }

    /// Stops listening, answers what is still asked on open connections
    /// with 503, and removes the unix socket files.
    pub async fn stop(self) {
        for e in self.entries {
            close(e).await;
        }
    }
}

/// Whether two servers are the same socket: an address that did not move
/// (a unix socket's mode and owner can change in place).
fn same_socket(a: &Listen, b: &Listen) -> bool {
    match (a, b) {
        (Listen::Unix { file: f, .. }, Listen::Unix { file: g, .. }) => f == g,
        _ => a == b,
    }
}

/// What medusa logs when a server starts listening, each line prefixed
/// with the server's address as configured (empty for all interfaces):
/// `127.0.0.1:Medusa (V1.12) started at <ctime>\n\tHostname: localhost\n\tPort:9001`,
/// after `:Computing default hostname` or `<ip>:Cannot do reverse lookup`.
fn medusa_started(listen: &Listen) -> Vec<String> {
    let when = chrono::Local::now().format("%a %b %e %H:%M:%S %Y");
    let started = |ip: &str, hostname: &str, port: &str| {
        format!("{ip}:Medusa (V1.12) started at {when}\n\tHostname: {hostname}\n\tPort:{port}")
    };
    match listen {
        Listen::Unix { file, .. } => {
            let file = file.display().to_string();
            vec![started(&file, "<unix domain socket>", &file)]
        }
        Listen::Inet { host, port } => {
            let mut lines = Vec::new();
            let mut ip = host.clone();
            if host.is_empty() {
                lines.push(":Computing default hostname".to_owned());
                let name = nix::unistd::gethostname().map(|h| h.to_string_lossy().into_owned()).unwrap_or_default();
                ip = resolve(&name).map_or(name, |a| a.to_string());
            }
            let hostname = match resolve(&ip).and_then(reverse_lookup) {
                Some(name) => name,
                None => {
                    lines.push(format!("{host}:Cannot do reverse lookup"));
                    ip
                }
            };
            lines.push(started(host, &hostname, &port.to_string()));
            lines
        }
    }
}

/// The first address of a host name (or the address itself).
fn resolve(host: &str) -> Option<std::net::IpAddr> {
    use std::net::ToSocketAddrs;
    host.parse().ok().or_else(|| (host, 0).to_socket_addrs().ok()?.next().map(|a| a.ip()))
}

/// The name an address has (`socket.gethostbyaddr(ip)[0]`).
fn reverse_lookup(ip: std::net::IpAddr) -> Option<String> {
    match ip {
        std::net::IpAddr::V4(a) => {
            // SAFETY: all-zero is a valid sockaddr_in.
            let mut sa: libc::sockaddr_in = unsafe { std::mem::zeroed() };
            sa.sin_family = libc::AF_INET as libc::sa_family_t;
            sa.sin_addr.s_addr = u32::from_ne_bytes(a.octets());
            name_info(std::ptr::from_ref(&sa).cast(), std::mem::size_of_val(&sa))
        }
        std::net::IpAddr::V6(a) => {
            // SAFETY: all-zero is a valid sockaddr_in6.
            let mut sa: libc::sockaddr_in6 = unsafe { std::mem::zeroed() };
            sa.sin6_family = libc::AF_INET6 as libc::sa_family_t;
            sa.sin6_addr.s6_addr = a.octets();
            name_info(std::ptr::from_ref(&sa).cast(), std::mem::size_of_val(&sa))
        }
    }
}

/// `getnameinfo` with a name required.
fn name_info(addr: *const libc::sockaddr, len: usize) -> Option<String> {
    let mut name = [0 as libc::c_char; 1025];
    // SAFETY: `addr` points to a socket address of `len` bytes (the
    // callers' locals), and `name` is a writable buffer of the given size
    // that getnameinfo NUL-terminates on success.
    let rc = unsafe {
        libc::getnameinfo(
            addr,
            libc::socklen_t::try_from(len).ok()?,
            name.as_mut_ptr(),
            name.len() as libc::socklen_t,
            std::ptr::null_mut(),
            0,
            libc::NI_NAMEREQD,
        )
    };
    if rc != 0 {
        return None;
    }
    // SAFETY: getnameinfo succeeded, so `name` holds a NUL-terminated string.
    let name = unsafe { std::ffi::CStr::from_ptr(name.as_ptr()) };
    Some(name.to_string_lossy().into_owned())
}

fn credentials(config: &HttpServerConfig) -> Option<Credentials> {
    match (&config.username, &config.password) {
        (Some(u), Some(p)) => Some(Credentials { username: u.clone(), password: p.clone() }),
        _ => None,
    }
}

/// Closes a server: once this returns, its socket is closed (the accept
/// task, which owns it, has been dropped) and its socket file is gone.
async fn close(e: Entry) {
    e.app.send_replace(App::Closed);
    e.accept.abort();
    let _ = e.accept.await;
    // Only our own file: one put there since is somebody else's.
    if let Some(file) = e.socket
        && file.intact()
    {
        remove_socket(&file.path);
    }
}

/// The namespaces `[rpcinterface:x]` selects, built by their factories.
pub fn dispatcher(daemon: &Arc<Daemon>, config: &Config, registry: &RpcRegistry) -> Result<Dispatcher, String> {
    let mut d = Dispatcher::default();
    for plugin in &config.rpc_interfaces {
        let factory = registry.get(&plugin.factory).ok_or_else(|| format!("{} cannot be resolved", plugin.factory))?;
        d.add(&plugin.name, factory(daemon, &plugin.extras)?);
    }
    // Our additions come with 4.3.0's main interface, in a namespace of
    // their own (unless the config gave that name to a plugin).
    let main = config.rpc_interfaces.iter().any(|p| p.factory == supervisor_core::config::MAIN_RPC_FACTORY);
    if main && !config.rpc_interfaces.iter().any(|p| p.name == crate::extensions_ns::NAMESPACE) {
        d.add(
            crate::extensions_ns::NAMESPACE,
            Arc::new(crate::extensions_ns::ExtensionsNamespace::new(daemon.clone())),
        );
    }
    Ok(d)
}

/// Serves `bound` with `dispatcher` (and the `/logtail` streams and web
/// page of `logs`), writing 4.3.0's startup lines through `log`: the one
/// call for a server that never restarts.
pub fn serve(
    runtime: &tokio::runtime::Handle,
    bound: Bound,
    dispatcher: Dispatcher,
    config: &Config,
    logs: Option<Supervisor>,
    log: impl Fn(LogLevel, &str),
) -> std::io::Result<Servers> {
    let servers = Servers::start(runtime, bound)?;
    servers.announce(config, log);
    servers.install(dispatcher, logs);
    Ok(servers)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medusa_start_lines_have_4_3_0_s_shape() {
        let unix = medusa_started(&Listen::Unix { file: "/tmp/s.sock".into(), chmod: 0o700, chown: None });
        let [line] = unix.as_slice() else { panic!("{unix:?}") };
        let (head, tail) = line.split_once(" started at ").unwrap();
        assert_eq!(head, "/tmp/s.sock:Medusa (V1.12)");
        assert!(tail.ends_with("\n\tHostname: <unix domain socket>\n\tPort:/tmp/s.sock"), "{tail:?}");
        // ctime(): "Sun Dec  6 04:01:34 2026".
        let when = tail.split('\n').next().unwrap();
        assert_eq!(when.len(), 24, "{when:?}");

        let inet = medusa_started(&Listen::Inet { host: "127.0.0.1".into(), port: 9001 });
        let last = inet.last().unwrap();
        assert!(last.starts_with("127.0.0.1:Medusa (V1.12) started at "), "{last:?}");
        assert!(last.ends_with("\n\tPort:9001"), "{last:?}");
        let all = medusa_started(&Listen::Inet { host: String::new(), port: 9001 });
        assert_eq!(all[0], ":Computing default hostname");
        assert!(all.last().unwrap().starts_with(":Medusa (V1.12) started at "));
    }
}
