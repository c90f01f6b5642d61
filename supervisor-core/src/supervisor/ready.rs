//! Ready checks (`ready_check`, an addition): each STARTING process with
//! one has a probe that tells the engine, once, that it is ready. TCP and
//! HTTP probes and `exec:` commands are tried every interval; `log:` is
//! watched by the output pumps; `notify` listens on a socket of the
//! process's own (`NOTIFY_SOCKET`). A probe ends when it succeeds or when
//! its process is reaped.

use std::os::fd::OwnedFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc::UnboundedSender;

use super::news::PumpNews;
use crate::config::{HealthCheck, Probe, ProcessConfig};
use crate::platform::reap::{self, Spawner};
use crate::platform::spawn_thread::SpawnThread;
use crate::platform::{SpawnContext, spawn_with_stdin};
use crate::pytext::strerror;

/// The most a connection attempt or an HTTP answer may take.
const ATTEMPT: Duration = Duration::from_secs(5);

/// What an `exec:` probe needs to run its command as the program runs.
pub(crate) struct ExecContext {
    /// The program's config, its command replaced by the check's.
    pub config: Arc<ProcessConfig>,
    pub spawn: Arc<SpawnContext>,
    pub thread: Arc<SpawnThread>,
}

/// One try of `probe`, cut at `patience`: `Err` says why it failed.
pub(crate) async fn attempt(probe: &Probe, exec: Option<&ExecContext>, patience: Duration) -> Result<(), String> {
    let tried = async {
        match (probe, exec) {
            (Probe::Tcp { host, port }, _) => tcp(host, *port).await,
            (Probe::Http { tls, host, port, path }, _) => http(*tls, host, *port, path).await,
            (Probe::Exec(_), Some(exec)) => run(exec, patience).await,
            _ => Err("cannot be tried".to_owned()),
        }
    };
    match tokio::time::timeout(patience, tried).await {
        Ok(result) => result,
        Err(_) => Err(format!("no answer within {} s", patience.as_secs_f64())),
    }
}

/// Tries `probe` every `interval` until it passes, then reports `pid` ready.
pub(crate) fn poll(
    probe: Probe,
    interval: Duration,
    pid: u32,
    exec: Option<ExecContext>,
    news: UnboundedSender<PumpNews>,
) -> tokio::task::AbortHandle {
    tokio::spawn(async move {
        loop {
            if attempt(&probe, exec.as_ref(), interval.max(ATTEMPT)).await.is_ok() {
                let _ = news.send(PumpNews::Ready(pid));
                return;
            }
            tokio::time::sleep(interval).await;
        }
    })
    .abort_handle()
}

/// A liveness check (`health_check`): every `interval`, one try cut at
/// `timeout`; each outcome is reported (the engine counts failures while
/// the process is RUNNING).
pub(crate) fn watch_health(
    check: HealthCheck,
    pid: u32,
    exec: Option<ExecContext>,
    news: UnboundedSender<PumpNews>,
) -> tokio::task::AbortHandle {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(check.interval).await;
            let outcome = attempt(&check.probe, exec.as_ref(), check.timeout).await;
            if news.send(PumpNews::Health(pid, outcome)).is_err() {
                return;
            }
        }
    })
    .abort_handle()
}

/// The command exits 0 within `patience` (killed after it). It is started
/// as the program is (user, environment, directory), from the supervisor's
/// spawn thread, and reaped like any child of ours.
async fn run(exec: &ExecContext, patience: Duration) -> Result<(), String> {
    let (exits, mut exit) = tokio::sync::mpsc::unbounded_channel();
    let (config, spawn) = (Arc::clone(&exec.config), Arc::clone(&exec.spawn));
    let started = exec.thread.run(move || {
        let mut spawner = Spawner::begin();
        let mut child =
            spawn_with_stdin(&config, &spawn, spawner.wants_pidfd(), None, || Ok(())).map_err(|e| e.to_string())?;
        spawner.register(child.pid, child.pidfd.take(), exits).map_err(|e| e.to_string())?;
        Ok::<_, String>(child)
    });
    let child = started.ok_or("the spawn thread is gone")??;
    // Killed with its process group if this check is dropped (its program
    // was reaped) or runs out of time: a hung check leaves nothing behind.
    let guard = KillOnDrop(child.pid);
    // Its output is read and dropped, so it never blocks on a full pipe.
    drain(child.stdout);
    if let Some(err) = child.stderr {
        drain(err);
    }
    drop(child.stdin);
    let outcome = match tokio::time::timeout(patience, exit.recv()).await {
        Ok(Some((_, crate::exit::ExitStatus::Exited(0)))) => Ok(()),
        Ok(Some((_, status))) => Err(status.describe()),
        _ => return Err(format!("did not finish within {} s", patience.as_secs_f64())),
    };
    // It has exited and been reaped: its pid is no longer ours to signal.
    std::mem::forget(guard);
    outcome
}

/// A check's child, killed with its process group when dropped.
struct KillOnDrop(u32);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = nix::sys::signal::killpg(nix::unistd::Pid::from_raw(self.0 as i32), nix::sys::signal::SIGKILL);
        let _ = reap::signal(self.0, libc::SIGKILL);
    }
}

fn drain(fd: OwnedFd) {
    if let Ok(mut pipe) = tokio::net::unix::pipe::Receiver::from_owned_fd(fd) {
        tokio::spawn(async move {
            let mut sink = tokio::io::sink();
            let _ = tokio::io::copy(&mut pipe, &mut sink).await;
        });
    }
}

/// A connection is accepted.
async fn tcp(host: &str, port: u16) -> Result<(), String> {
    match tokio::time::timeout(ATTEMPT, tokio::net::TcpStream::connect((host, port))).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(strerror(&e).to_lowercase()),
        Err(_) => Err("no connection within 5 s".to_owned()),
    }
}

/// A GET answers 2xx (over TLS for `https://`, the certificate checked
/// against the system's roots).
async fn http(tls: bool, host: &str, port: u16, path: &str) -> Result<(), String> {
    let stream = tokio::net::TcpStream::connect((host, port)).await.map_err(|e| strerror(&e).to_lowercase())?;
    if !tls {
        return get(stream, host, port, path).await;
    }
    let config = tls_config()?;
    let name = tokio_rustls::rustls::pki_types::ServerName::try_from(host.to_owned())
        .map_err(|_| format!("{host} is not a TLS server name"))?;
    let stream = tokio_rustls::TlsConnector::from(config)
        .connect(name, stream)
        .await
        .map_err(|e| format!("TLS: {}", e.to_string().to_lowercase()))?;
    get(stream, host, port, path).await
}

/// The client side of TLS, made once: the system's root certificates
/// (`SSL_CERT_FILE` and `SSL_CERT_DIR` name others, as OpenSSL's do).
fn tls_config() -> Result<Arc<tokio_rustls::rustls::ClientConfig>, String> {
    use tokio_rustls::rustls;
    static CONFIG: std::sync::OnceLock<Result<Arc<rustls::ClientConfig>, String>> = std::sync::OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let mut roots = rustls::RootCertStore::empty();
            for cert in rustls_native_certs::load_native_certs().certs {
                let _ = roots.add(cert);
            }
            if roots.is_empty() {
                return Err("no system root certificates to check against".to_owned());
            }
            // ring, not aws-lc-rs: no cmake or assembler to build it. Its
            // lack of post-quantum key exchange does not matter to a check.
            #[allow(deprecated)]
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let config = rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .map_err(|e| e.to_string())?
                .with_root_certificates(roots)
                .with_no_client_auth();
            Ok(Arc::new(config))
        })
        .clone()
}

/// Sends the GET and reads the status line.
async fn get<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin>(
    mut stream: S,
    host: &str,
    port: u16,
    path: &str,
) -> Result<(), String> {
    let authority = if host.contains(':') { format!("[{host}]:{port}") } else { format!("{host}:{port}") };
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {authority}\r\nUser-Agent: supervisord ready_check\r\nAccept: */*\r\n\
         Connection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.map_err(|e| e.to_string())?;
    let mut head = Vec::with_capacity(64);
    let mut buf = [0u8; 64];
    while !head.contains(&b'\n') && head.len() < 1024 {
        let n = stream.read(&mut buf).await.map_err(|e| e.to_string())?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&buf[..n]);
    }
    if success_status(&head) {
        return Ok(());
    }
    let line = String::from_utf8_lossy(head.split(|&b| b == b'\n').next().unwrap_or_default()).into_owned();
    match line.split(' ').nth(1) {
        Some(code) if line.starts_with("HTTP/") => Err(format!("answered {code}")),
        _ => Err("no HTTP answer".to_owned()),
    }
}

/// Whether an HTTP status line says 2xx (`HTTP/1.1 204 No Content`).
fn success_status(head: &[u8]) -> bool {
    let line = head.split(|&b| b == b'\n').next().unwrap_or_default();
    let mut words = line.split(|&b| b == b' ');
    words.next().is_some_and(|v| v.starts_with(b"HTTP/")) && words.next().is_some_and(|c| c.len() == 3 && c[0] == b'2')
}

/// A `log:` probe's side in one output pump: lines are matched until one
/// does (on either channel), then the process is reported ready.
pub(crate) struct LogWatch {
    pattern: Arc<regex::Regex>,
    /// Shared by the process's stdout and stderr pumps.
    done: Arc<AtomicBool>,
    /// The line this pump has begun and not ended yet.
    partial: Mutex<Vec<u8>>,
    pid: u32,
}

/// The longest line kept whole for matching.
const MAX_LINE: usize = 64 * 1024;

impl LogWatch {
    /// Watches for `pattern` for `pid`; the pair share one outcome.
    pub(crate) fn pair(pattern: &str, pid: u32) -> Option<(LogWatch, LogWatch)> {
        let pattern = Arc::new(regex::Regex::new(pattern).ok()?);
        let done = Arc::new(AtomicBool::new(false));
        let watch = || LogWatch {
            pattern: Arc::clone(&pattern),
            done: Arc::clone(&done),
            partial: Mutex::new(Vec::new()),
            pid,
        };
        Some((watch(), watch()))
    }

    /// Looks at output; reports the process ready on the first line that
    /// matches.
    pub(crate) fn feed(&self, data: &[u8], news: &UnboundedSender<PumpNews>) {
        if self.done.load(Ordering::Relaxed) {
            return;
        }
        let Ok(mut partial) = self.partial.lock() else { return };
        let mut rest = data;
        while let Some(at) = rest.iter().position(|&b| b == b'\n') {
            partial.extend_from_slice(&rest[..at]);
            rest = &rest[at + 1..];
            let line = std::mem::take(&mut *partial);
            if self.pattern.is_match(&String::from_utf8_lossy(&line)) && !self.done.swap(true, Ordering::Relaxed) {
                let _ = news.send(PumpNews::Ready(self.pid));
                return;
            }
        }
        if partial.len() + rest.len() <= MAX_LINE {
            partial.extend_from_slice(rest);
        }
    }
}

/// A `notify` probe: an abstract unix datagram socket only this process is
/// told of (a random name in `NOTIFY_SOCKET`); `READY=1` reports it ready.
pub(crate) struct NotifySocket {
    /// `NOTIFY_SOCKET`'s value: `@` and the abstract name.
    pub address: String,
    socket: std::os::unix::net::UnixDatagram,
}

impl NotifySocket {
    /// Binds a socket with a fresh name.
    pub(crate) fn bind() -> std::io::Result<NotifySocket> {
        use std::os::linux::net::SocketAddrExt;
        let mut name = [0u8; 12];
        let urandom =
            std::fs::File::open("/dev/urandom").and_then(|mut f| std::io::Read::read_exact(&mut f, &mut name));
        if urandom.is_err() {
            // Unpredictable enough to keep other programs from guessing it
            // by chance; the pid makes it unique.
            let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
            name[..8].copy_from_slice(&nanos.as_nanos().to_le_bytes()[..8]);
        }
        let hex: String = name.iter().map(|b| format!("{b:02x}")).collect();
        let abstract_name = format!("supervisord/{}/notify/{hex}", std::process::id());
        let addr = std::os::unix::net::SocketAddr::from_abstract_name(abstract_name.as_bytes())?;
        let socket = std::os::unix::net::UnixDatagram::bind_addr(&addr)?;
        socket.set_nonblocking(true)?;
        Ok(NotifySocket { address: format!("@{abstract_name}"), socket })
    }

    /// Listens while the process lives: `READY=1` reports `pid` ready
    /// (once), `STATUS=` what it says it is doing; with `watchdog`, each
    /// interval with a `WATCHDOG=1` is a passed health check and each
    /// without one a failed one.
    pub(crate) fn listen(
        self,
        pid: u32,
        watchdog: Option<Duration>,
        news: UnboundedSender<PumpNews>,
    ) -> Option<tokio::task::AbortHandle> {
        let socket = tokio::net::UnixDatagram::from_std(self.socket).ok()?;
        Some(
            tokio::spawn(async move {
                let mut buf = vec![0u8; 4096];
                let mut ready = false;
                loop {
                    let n = match watchdog {
                        Some(interval) => match tokio::time::timeout(interval, socket.recv(&mut buf)).await {
                            Ok(Ok(n)) => n,
                            Ok(Err(_)) => return,
                            Err(_) => {
                                let why = format!("no WATCHDOG=1 within {} s", interval.as_secs_f64());
                                let _ = news.send(PumpNews::Health(pid, Err(why)));
                                continue;
                            }
                        },
                        None => match socket.recv(&mut buf).await {
                            Ok(n) => n,
                            Err(_) => return,
                        },
                    };
                    let message = String::from_utf8_lossy(&buf[..n]);
                    for line in message.lines() {
                        if let Some(status) = line.strip_prefix("STATUS=") {
                            // One line of a sane length, whatever was sent.
                            let status: String = status.chars().filter(|c| !c.is_control()).take(200).collect();
                            let _ = news.send(PumpNews::Status(pid, status));
                        } else if line.trim() == "READY=1" && !ready {
                            ready = true;
                            let _ = news.send(PumpNews::Ready(pid));
                        } else if line.trim() == "WATCHDOG=1" && watchdog.is_some() {
                            let _ = news.send(PumpNews::Health(pid, Ok(())));
                        }
                    }
                }
            })
            .abort_handle(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_2xx_status_lines_pass() {
        assert!(success_status(b"HTTP/1.1 200 OK\r\n"));
        assert!(success_status(b"HTTP/1.0 204 No Content\r\n"));
        assert!(!success_status(b"HTTP/1.1 503 Service Unavailable\r\n"));
        assert!(!success_status(b"HTTP/1.1 301 Moved\r\n"));
        assert!(!success_status(b"garbage 200\r\n"));
        assert!(!success_status(b""));
    }

    #[test]
    fn a_log_watch_matches_whole_lines_once() {
        let (news, mut heard) = tokio::sync::mpsc::unbounded_channel();
        let (out, err) = LogWatch::pair("listening on port \\d+", 7).expect("compiles");
        out.feed(b"starting\nlistening on ", &news);
        assert!(heard.try_recv().is_err(), "half a line");
        out.feed(b"port 8080\n", &news);
        assert!(matches!(heard.try_recv(), Ok(PumpNews::Ready(7))));
        err.feed(b"listening on port 1\n", &news);
        assert!(heard.try_recv().is_err(), "reported once for both channels");
    }
}
