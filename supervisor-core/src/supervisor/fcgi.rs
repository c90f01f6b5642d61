//! The socket an `[fcgi-program:x]` group shares with its processes, as
//! 4.3.0's `SocketManager`: made (`Creating socket tcp://...`) when the
//! first process takes a reference at its spawn, closed (`Closing socket
//! ...`) when the last one holding it is reaped, so the address listens
//! exactly while some process of the group is alive. Each process gets the
//! listening socket as its fd 0.

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::sync::{Arc, Mutex};

use crate::config::{FcgiAddress, FcgiSocketConfig};

/// A group's socket and how many processes hold it.
#[derive(Debug)]
pub(crate) struct SocketManager {
    config: FcgiSocketConfig,
    refs: usize,
    socket: Option<OwnedFd>,
    /// A TCP host's address, looked up once (a lookup blocks, and the
    /// socket is made again after each time it closed).
    resolved: Option<std::net::SocketAddr>,
}

/// A manager shared by its group and the processes holding a reference.
pub(crate) type Shared = Arc<Mutex<SocketManager>>;

/// Why the socket could not be made: 4.3.0's words.
#[derive(Debug, thiserror::Error)]
#[error("Could not create FastCGI socket {url}: {source}")]
pub(crate) struct SocketError {
    url: String,
    source: std::io::Error,
}

impl SocketManager {
    pub(crate) fn new(config: FcgiSocketConfig) -> Shared {
        Arc::new(Mutex::new(SocketManager { config, refs: 0, socket: None, resolved: None }))
    }

    /// The URL 4.3.0 logs (`tcp://localhost:9000`).
    pub(crate) fn url(&self) -> String {
        self.config.address.url()
    }

    /// Takes a reference, making the socket if none is open; `log` gets
    /// 4.3.0's INFO line.
    pub(crate) fn acquire(&mut self, log: &mut dyn FnMut(String)) -> Result<BorrowedFd<'_>, SocketError> {
        if self.socket.is_none() {
            log(format!("Creating socket {}", self.url()));
            let socket =
                bind(&self.config, &mut self.resolved).map_err(|source| SocketError { url: self.url(), source })?;
            self.socket = Some(socket);
        }
        self.refs += 1;
        match &self.socket {
            Some(s) => Ok(s.as_fd()),
            None => unreachable!("made above"),
        }
    }

    /// Drops a reference; the last one closes the socket.
    pub(crate) fn release(&mut self, log: &mut dyn FnMut(String)) {
        self.refs = self.refs.saturating_sub(1);
        if self.refs == 0 && self.socket.take().is_some() {
            log(format!("Closing socket {}", self.url()));
        }
    }

    /// References held (tests).
    #[cfg(test)]
    pub(crate) fn refs(&self) -> usize {
        self.refs
    }
}

/// Binds and listens as 4.3.0's `create_and_bind` does: TCP with
/// SO_REUSEADDR; unix after removing what is at the path, then its owner
/// and mode. The backlog is `socket_backlog`, else SOMAXCONN.
fn bind(config: &FcgiSocketConfig, resolved: &mut Option<std::net::SocketAddr>) -> std::io::Result<OwnedFd> {
    let fd: OwnedFd = match &config.address {
        FcgiAddress::Tcp { host, port } => {
            use std::net::ToSocketAddrs;
            let addr = match resolved {
                Some(addr) => *addr,
                None => {
                    let addr = (host.as_str(), *port)
                        .to_socket_addrs()?
                        .next()
                        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::AddrNotAvailable, "no address"))?;
                    *resolved = Some(addr);
                    addr
                }
            };
            // std sets SO_REUSEADDR on Unix.
            std::net::TcpListener::bind(addr)?.into()
        }
        FcgiAddress::Unix { path, mode, owner } => {
            if path.exists() {
                std::fs::remove_file(path)?;
            }
            let listener = std::os::unix::net::UnixListener::bind(path)?;
            let finish = || -> std::io::Result<()> {
                if let Some((uid, gid)) = owner {
                    std::os::unix::fs::chown(path, Some(*uid), *gid)?;
                }
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(path, std::fs::Permissions::from_mode(*mode))
            };
            if let Err(e) = finish() {
                let _ = std::fs::remove_file(path);
                return Err(e);
            }
            listener.into()
        }
    };
    let backlog = config.backlog.map_or(libc::SOMAXCONN, |b| i32::try_from(b).unwrap_or(i32::MAX));
    // listen() again sets the backlog of a listening socket.
    // SAFETY: listen(2) on a socket descriptor we own.
    if unsafe { libc::listen(fd.as_raw_fd(), backlog) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(fd)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tcp() -> FcgiSocketConfig {
        let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map_or(0, |a| a.port());
        FcgiSocketConfig { address: FcgiAddress::Tcp { host: "127.0.0.1".into(), port }, backlog: Some(5) }
    }

    #[test]
    fn the_socket_is_open_exactly_while_referenced() {
        let config = tcp();
        let FcgiAddress::Tcp { port, .. } = config.address else { unreachable!() };
        let shared = SocketManager::new(config);
        let mut lines = Vec::new();
        let mut log = |l: String| lines.push(l);
        let mut m = shared.lock().expect("lock");
        m.acquire(&mut log).expect("bind");
        m.acquire(&mut log).expect("again");
        assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_ok());
        m.release(&mut log);
        assert_eq!(m.refs(), 1);
        assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_ok());
        m.release(&mut log);
        assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err(), "closed with the last reference");
        m.acquire(&mut log).expect("made again");
        m.release(&mut log);
        drop(m);
        let url = format!("tcp://127.0.0.1:{port}");
        assert_eq!(
            lines,
            [
                format!("Creating socket {url}"),
                format!("Closing socket {url}"),
                format!("Creating socket {url}"),
                format!("Closing socket {url}")
            ]
        );
    }

    #[test]
    fn a_unix_socket_replaces_a_stale_file_and_takes_its_mode() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("fcgi.sock");
        std::fs::write(&path, "stale").expect("write");
        let shared = SocketManager::new(FcgiSocketConfig {
            address: FcgiAddress::Unix { path: path.clone(), mode: 0o660, owner: None },
            backlog: None,
        });
        let mut m = shared.lock().expect("lock");
        m.acquire(&mut |_| {}).expect("bind");
        let mode = std::fs::metadata(&path).expect("socket file").permissions().mode() & 0o777;
        assert_eq!(mode, 0o660);
        assert!(std::os::unix::net::UnixStream::connect(&path).is_ok());
        m.release(&mut |_| {});
        assert!(std::os::unix::net::UnixStream::connect(&path).is_err());
    }

    #[test]
    fn a_taken_port_is_4_3_0_s_error() {
        let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = taken.local_addr().expect("addr").port();
        let shared = SocketManager::new(FcgiSocketConfig {
            address: FcgiAddress::Tcp { host: "127.0.0.1".into(), port },
            backlog: None,
        });
        let mut m = shared.lock().expect("lock");
        let e = m.acquire(&mut |_| {}).expect_err("in use");
        assert!(e.to_string().starts_with(&format!("Could not create FastCGI socket tcp://127.0.0.1:{port}: ")), "{e}");
        assert_eq!(m.refs(), 0);
    }
}
