//! Binding the servers `[unix_http_server*]` and `[inet_http_server*]`
//! describe, before any child starts.

use std::io;
use std::net::SocketAddr;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use supervisor_core::config::{HttpServerConfig, Listen};

/// 4.3.0's words when the address is taken.
pub const IN_USE: &str = "Another program is already listening on a port that one of our HTTP servers is configured \
                          to use.  Shut this program down first before starting supervisord.";

/// A bound listener (std, so it can be bound before daemonizing and
/// before any runtime exists).
pub enum Listener {
    /// A unix socket, and its path (removed on exit).
    Unix(std::os::unix::net::UnixListener, PathBuf),
    /// A TCP socket.
    Tcp(std::net::TcpListener),
}

/// Why a server could not be bound.
#[derive(Debug, thiserror::Error)]
pub enum BindError {
    /// Something answers there already.
    #[error("{IN_USE}")]
    InUse,
    /// Any other failure.
    #[error("Cannot open an HTTP server: socket.error reported {0}")]
    Other(#[from] io::Error),
}

/// `[::1]` → `::1`; empty (or `*`, already emptied) → all IPv4 interfaces.
fn host_for_bind(host: &str) -> &str {
    match host {
        "" => "0.0.0.0",
        h => h.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(h),
    }
}

/// Binds one server. A unix socket file left by a dead supervisord is
/// replaced; one a live program answers on is [`BindError::InUse`].
pub fn bind(config: &HttpServerConfig) -> Result<Listener, BindError> {
    match &config.listen {
        Listen::Inet { host, port } => {
            use std::net::ToSocketAddrs;
            let addrs: Vec<SocketAddr> = (host_for_bind(host), *port).to_socket_addrs()?.collect();
            let mut last = io::Error::new(io::ErrorKind::AddrNotAvailable, "no address");
            for addr in addrs {
                match std::net::TcpListener::bind(addr) {
                    Ok(l) => return Ok(Listener::Tcp(l)),
                    Err(e) if e.kind() == io::ErrorKind::AddrInUse => return Err(BindError::InUse),
                    Err(e) => last = e,
                }
            }
            Err(BindError::Other(last))
        }
        Listen::Unix { file, chmod, chown } => {
            if file.exists() {
                if std::os::unix::net::UnixStream::connect(file).is_ok() {
                    return Err(BindError::InUse);
                }
                // 4.3.0 says so on stderr, not in its log.
                eprintln!("Unlinking stale socket {}", file.display());
                std::fs::remove_file(file)?;
            }
            let listener = std::os::unix::net::UnixListener::bind(file)?;
            if let Err(e) = set_owner_and_mode(file, *chmod, *chown) {
                let _ = std::fs::remove_file(file);
                return Err(BindError::Other(e));
            }
            Ok(Listener::Unix(listener, file.clone()))
        }
    }
}

/// Applies a unix server's `chmod` and `chown` to its socket file.
pub fn set_owner_and_mode(file: &Path, chmod: u32, chown: Option<(u32, Option<u32>)>) -> io::Result<()> {
    std::fs::set_permissions(file, std::fs::Permissions::from_mode(chmod))?;
    if let Some((uid, gid)) = chown {
        std::os::unix::fs::chown(file, Some(uid), gid)?;
    }
    Ok(())
}

/// The URL children get as `SUPERVISOR_SERVER_URL`: the first unix server,
/// else the first inet one (`localhost` for all interfaces).
pub fn server_url(servers: &[HttpServerConfig]) -> Option<String> {
    servers
        .iter()
        .find_map(|s| match &s.listen {
            Listen::Unix { file, .. } => Some(format!("unix://{}", file.display())),
            Listen::Inet { .. } => None,
        })
        .or_else(|| {
            servers.iter().find_map(|s| match &s.listen {
                Listen::Inet { host, port } => {
                    let scheme = if s.tls.is_some() { "https" } else { "http" };
                    Some(format!("{scheme}://{}:{port}", if host.is_empty() { "localhost" } else { host }))
                }
                Listen::Unix { .. } => None,
            })
        })
}

/// Removes a unix socket file on the way out.
pub fn remove_socket(path: &Path) {
    let _ = std::fs::remove_file(path);
}
