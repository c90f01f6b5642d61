//! systemd's notify protocol (`sd_notify(3)`), spoken when supervisord is
//! started with `NOTIFY_SOCKET` set: `READY=1` once the servers are bound
//! and the autostart programs launched, `RELOADING=1`/`READY=1` around a
//! restart, `STOPPING=1` at shutdown, `STATUS=` with a count of the
//! processes by state, and `WATCHDOG=1` when `WATCHDOG_USEC` asks for it.
//!
//! Written here rather than taken from a crate: the `sd-notify` crate reads
//! `NOTIFY_SOCKET` again at every call and can only hide it from children
//! by removing it from the process's environment (`remove_var`, unsound
//! once threads run). supervisord reads the variables once, before it
//! forks, keeps one socket, and leaves them out of the environment it
//! gives its programs ([`for_children`]).

use std::ffi::{OsStr, OsString};
use std::os::linux::net::SocketAddrExt;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::net::{SocketAddr, UnixDatagram};
use std::sync::Mutex;
use std::time::Duration;

use supervisor_core::process::ProcessState;
use supervisor_core::supervisor::ProcessSnapshot;

/// The variables of the protocol, which no program of ours inherits: a
/// program must not talk to systemd in supervisord's name.
pub const HIDDEN: [&str; 3] = ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"];

/// `environ` without the protocol's variables ([`HIDDEN`]).
pub fn for_children(environ: impl IntoIterator<Item = (OsString, OsString)>) -> Vec<(OsString, OsString)> {
    environ.into_iter().filter(|(k, _)| !HIDDEN.iter().any(|h| k == h)).collect()
}

/// How long a change of state (READY, RELOADING, STOPPING) may wait for
/// room in the manager's queue before it is given up.
const STATE_WAIT: Duration = Duration::from_secs(2);

/// supervisord's line to the service manager. Every send is best effort:
/// `WATCHDOG=1` and `STATUS=` never block (a full queue loses them), a
/// change of state waits up to `STATE_WAIT` (two seconds) for room, since a lost
/// `READY=1` would have systemd time the start out and kill supervisord.
#[derive(Debug)]
pub struct Notifier {
    /// Non-blocking, for the chatter.
    socket: UnixDatagram,
    /// Blocking with a timeout, for changes of state.
    state_socket: UnixDatagram,
    addr: SocketAddr,
    watchdog: Option<Duration>,
    /// The last `STATUS=` sent, so an unchanged one is not sent again.
    status: Mutex<String>,
}

impl Notifier {
    /// From the process's environment; `None` (nothing to do, ever) when
    /// `NOTIFY_SOCKET` is unset or not an address this speaks to. Call
    /// before forking: a `WATCHDOG_PID` naming this process (the one
    /// systemd started) also holds for the daemon it forks, which takes
    /// over as the main pid (`MAINPID=`).
    pub fn from_env() -> Option<Notifier> {
        Notifier::from_vars(
            std::env::var_os("NOTIFY_SOCKET").as_deref(),
            std::env::var_os("WATCHDOG_USEC").as_deref(),
            std::env::var_os("WATCHDOG_PID").as_deref(),
            std::process::id(),
        )
    }

    /// [`Notifier::from_env`] with the values given: `socket` is a path or
    /// `@name` (Linux's abstract namespace); the watchdog runs when `usec`
    /// is a positive number and `pid` is unset or `own_pid`.
    pub fn from_vars(
        socket: Option<&OsStr>,
        usec: Option<&OsStr>,
        pid: Option<&OsStr>,
        own_pid: u32,
    ) -> Option<Notifier> {
        let bytes = socket?.as_bytes();
        let addr = match bytes.first()? {
            b'@' => SocketAddr::from_abstract_name(&bytes[1..]).ok()?,
            b'/' => SocketAddr::from_pathname(OsStr::from_bytes(bytes)).ok()?,
            // vsock: and relative paths are for other managers.
            _ => return None,
        };
        let socket = UnixDatagram::unbound().ok()?;
        socket.set_nonblocking(true).ok()?;
        let state_socket = UnixDatagram::unbound().ok()?;
        state_socket.set_write_timeout(Some(STATE_WAIT)).ok()?;
        let number = |v: &OsStr| v.to_str()?.trim().parse::<u64>().ok();
        let ours = pid.is_none_or(|p| number(p) == Some(u64::from(own_pid)));
        let watchdog = usec.and_then(number).filter(|&u| u > 0 && ours).map(Duration::from_micros);
        Some(Notifier { socket, state_socket, addr, watchdog, status: Mutex::new(String::new()) })
    }

    /// Sends one message (`KEY=value` lines) if there is room for it now.
    pub fn send(&self, message: &str) {
        let _ = self.socket.send_to_addr(message.as_bytes(), &self.addr);
    }

    /// Sends a change of state, waiting a little for room if need be.
    fn send_state(&self, message: &str) {
        let _ = self.state_socket.send_to_addr(message.as_bytes(), &self.addr);
    }

    /// How often to send `WATCHDOG=1` (half of `WATCHDOG_USEC`), if at all.
    pub fn watchdog_every(&self) -> Option<Duration> {
        self.watchdog.map(|w| (w / 2).max(Duration::from_millis(1)))
    }

    /// `READY=1` with the status line.
    pub fn ready(&self, status: &str) {
        let status = one_line(status);
        self.send_state(&format!("READY=1\nSTATUS={status}"));
        *self.status.lock().unwrap_or_else(|e| e.into_inner()) = status;
    }

    /// The launching process of a daemonizing supervisord, for the daemon
    /// it forked: `MAINPID=` hands systemd the pid to watch (accepted from
    /// the pid systemd started, which a forked daemon is not), with
    /// `READY=1`.
    pub fn ready_for(&self, daemon: u32) {
        self.send_state(&format!("MAINPID={daemon}\nREADY=1"));
    }

    /// `RELOADING=1` with the time it began (`MONOTONIC_USEC`, as systemd
    /// 253+ asks of `Type=notify-reload` services).
    pub fn reloading(&self) {
        self.send_state(&format!("RELOADING=1\nMONOTONIC_USEC={}\nSTATUS=Reloading", monotonic_usec()));
        self.forget_status();
    }

    /// `STOPPING=1`.
    pub fn stopping(&self) {
        self.send_state("STOPPING=1\nSTATUS=Shutting down");
        self.forget_status();
    }

    /// `STATUS=` if it changed since the last one sent.
    pub fn status(&self, status: &str) {
        let status = one_line(status);
        let mut last = self.status.lock().unwrap_or_else(|e| e.into_inner());
        if *last != status {
            self.send(&format!("STATUS={status}"));
            *last = status;
        }
    }

    fn forget_status(&self) {
        self.status.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }
}

/// A status is one line.
fn one_line(s: &str) -> String {
    s.replace(['\n', '\r'], " ")
}

/// `CLOCK_MONOTONIC` in microseconds, the clock systemd compares with.
fn monotonic_usec() -> u64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid timespec to write; CLOCK_MONOTONIC always exists.
    if unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) } != 0 {
        return 0;
    }
    u64::try_from(ts.tv_sec).unwrap_or(0) * 1_000_000 + u64::try_from(ts.tv_nsec).unwrap_or(0) / 1000
}

/// The states in the order a summary lists them, with their words.
const ORDER: [(ProcessState, &str); 8] = [
    (ProcessState::Running, "running"),
    (ProcessState::Starting, "starting"),
    (ProcessState::Backoff, "backoff"),
    (ProcessState::Stopping, "stopping"),
    (ProcessState::Exited, "exited"),
    (ProcessState::Fatal, "fatal"),
    (ProcessState::Unknown, "unknown"),
    (ProcessState::Stopped, "stopped"),
];

/// One line counting processes by state: `12 running, 1 fatal`
/// (`no programs` when there are none).
pub fn summary(states: impl IntoIterator<Item = ProcessState>) -> String {
    let mut counts = [0usize; ORDER.len()];
    for state in states {
        if let Some(i) = ORDER.iter().position(|(s, _)| *s == state) {
            counts[i] += 1;
        }
    }
    let parts: Vec<String> =
        ORDER.iter().zip(counts).filter(|(_, n)| *n > 0).map(|((_, word), n)| format!("{n} {word}")).collect();
    if parts.is_empty() { "no programs".to_owned() } else { parts.join(", ") }
}

/// [`summary`] of a supervisor's processes.
pub fn summarize(snapshots: &[ProcessSnapshot]) -> String {
    summary(snapshots.iter().map(|s| s.state))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(s: &str) -> Option<&OsStr> {
        Some(OsStr::new(s))
    }

    #[test]
    fn summary_counts_in_order_and_skips_zeros() {
        use ProcessState::*;
        assert_eq!(summary([Fatal, Running, Running, Stopped]), "2 running, 1 fatal, 1 stopped");
        assert_eq!(summary([]), "no programs");
    }

    #[test]
    fn addresses_and_watchdog() {
        assert!(Notifier::from_vars(None, None, None, 1).is_none());
        assert!(Notifier::from_vars(os(""), None, None, 1).is_none());
        assert!(Notifier::from_vars(os("relative/sock"), None, None, 1).is_none());
        assert!(Notifier::from_vars(os("vsock:2:1234"), None, None, 1).is_none());
        let abstract_ = Notifier::from_vars(os("@name"), None, None, 1).expect("abstract");
        assert_eq!(abstract_.addr.as_abstract_name(), Some(&b"name"[..]));
        let path = Notifier::from_vars(os("/run/x"), os("200000"), None, 7).expect("path");
        assert_eq!(path.watchdog_every(), Some(Duration::from_millis(100)));
        let own = Notifier::from_vars(os("/run/x"), os("200000"), os("7"), 7).expect("own");
        assert!(own.watchdog_every().is_some());
        let other = Notifier::from_vars(os("/run/x"), os("200000"), os("8"), 7).expect("other");
        assert!(other.watchdog_every().is_none());
        let zero = Notifier::from_vars(os("/run/x"), os("0"), None, 7).expect("zero");
        assert!(zero.watchdog_every().is_none());
    }

    #[test]
    fn children_never_see_the_protocol() {
        let env = [("PATH", "/bin"), ("NOTIFY_SOCKET", "/run/n"), ("WATCHDOG_USEC", "1"), ("WATCHDOG_PID", "2")]
            .map(|(k, v)| (OsString::from(k), OsString::from(v)));
        assert_eq!(for_children(env), vec![(OsString::from("PATH"), OsString::from("/bin"))]);
    }

    #[test]
    fn messages_arrive() {
        let dir = std::env::temp_dir().join(format!("notify-unit-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let path = dir.join("n.sock");
        let _ = std::fs::remove_file(&path);
        let server = UnixDatagram::bind(&path).expect("bind");
        server.set_read_timeout(Some(Duration::from_secs(5))).expect("timeout");
        let n = Notifier::from_vars(Some(path.as_os_str()), None, None, 1).expect("notifier");
        let mut buf = [0u8; 256];
        let mut next = || {
            let len = server.recv(&mut buf).expect("recv");
            String::from_utf8_lossy(&buf[..len]).into_owned()
        };
        n.ready("1 running\nand more");
        assert_eq!(next(), "READY=1\nSTATUS=1 running and more");
        n.status("1 running and more");
        n.status("2 running");
        assert_eq!(next(), "STATUS=2 running");
        n.reloading();
        let reloading = next();
        assert!(reloading.starts_with("RELOADING=1\nMONOTONIC_USEC="), "{reloading}");
        n.stopping();
        assert_eq!(next(), "STOPPING=1\nSTATUS=Shutting down");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
