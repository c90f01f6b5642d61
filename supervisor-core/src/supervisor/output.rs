//! Moving a child's output from its pipe to its log file and to event
//! subscribers. Bytes go straight through: no per-line work.

use std::os::fd::OwnedFd;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::broadcast;

use super::capture::{Capture, Piece};
use crate::config::LogLevel;
use crate::config::repr;
use crate::events::{Channel, Event};
use crate::logging::{MainLog, RotatingFile, strip_escapes, syslog};

/// How much one read takes from a pipe.
const READ_SIZE: usize = 256 * 1024;

/// What a pipe that fills up grows to (a pipe holds 64 KiB by default).
const BUSY_PIPE_SIZE: i32 = 256 * 1024;

/// The most one output event carries. The event bus holds up to 4096
/// events that some receiver has not read yet (a slow library subscriber),
/// so an event's size bounds what a flood can pile up behind one.
const EVENT_CHUNK: usize = 64 * 1024;

/// A read this long means the pipe was full: the child writes faster than
/// one read a wake-up moves.
const FULL_PIPE: usize = 64 * 1024;

/// A channel's log file, shared by its reader and by clear/reopen requests.
pub(crate) type SharedLog = Arc<Mutex<Option<RotatingFile>>>;

/// Who and where one pipe's output belongs.
pub(crate) struct Pump {
    pub group: String,
    pub name: String,
    pub pid: u32,
    pub channel: Channel,
    pub log: SharedLog,
    /// `*_syslog`.
    pub syslog: bool,
    /// `[supervisord] strip_ansi`.
    pub strip_ansi: bool,
    pub events: broadcast::Sender<Event>,
    /// How many of the bus's receivers are the engine's own (its listener
    /// pools' reader): output goes to them only with `*_events_enabled`.
    pub own_receivers: Arc<AtomicUsize>,
    /// `*_events_enabled`.
    pub events_enabled: bool,
    pub mainlog: Arc<Mutex<MainLog>>,
    /// For an event listener's stdout: where its protocol replies go.
    pub protocol: Option<tokio::sync::mpsc::UnboundedSender<(u32, Vec<u8>)>>,
    /// `*_capture_maxbytes` (0: no capture mode).
    pub capture_maxbytes: u64,
}

impl Pump {
    /// Ordinary output: log file, protocol, syslog, debug copy, event.
    fn record(&self, data: &[u8]) {
        if data.is_empty() {
            return;
        }
        if let Ok(mut guard) = self.log.lock()
            && let Some(file) = guard.as_mut()
        {
            // A full disk must not stop the child; the bytes are lost.
            let _ = file.write(data);
        }
        if let Some(tx) = &self.protocol {
            let _ = tx.send((self.pid, data.to_vec()));
        }
        if self.syslog {
            syslog::send_lines(Some(&self.name), data);
        }
        if let Ok(mut main) = self.mainlog.lock()
            && main.enabled(LogLevel::Debug)
        {
            let text = match std::str::from_utf8(data) {
                Ok(t) => t.to_owned(),
                Err(_) => format!("Undecodable: {}", bytes_repr(data)),
            };
            main.log(LogLevel::Debug, &format!("{} {} output:\n{text}", repr(&self.name), self.channel.name()));
        }
        // Copied to the bus only for someone who wants it: a library
        // subscriber, or listener pools when this channel's events are on.
        let receivers = self.events.receiver_count();
        let outside = receivers > self.own_receivers.load(Ordering::Relaxed);
        if outside || (self.events_enabled && receivers > 0) {
            for piece in data.chunks(EVENT_CHUNK) {
                let _ = self.events.send(Event::ProcessLog {
                    group: self.group.clone(),
                    name: self.name.clone(),
                    pid: self.pid,
                    channel: self.channel,
                    data: piece.to_vec(),
                });
            }
        }
    }

    /// A finished capture-mode message.
    fn communicate(&self, data: Vec<u8>) {
        if let Ok(mut main) = self.mainlog.lock() {
            main.log(LogLevel::Debug, &format!("{} {} emitted a comm event", repr(&self.name), self.channel.name()));
        }
        let _ = self.events.send(Event::ProcessCommunication {
            group: self.group.clone(),
            name: self.name.clone(),
            pid: self.pid,
            channel: self.channel,
            data,
        });
    }

    /// Reads `fd` until the child closes it.
    pub(crate) fn run(self, fd: OwnedFd) {
        let Ok(pipe) = tokio::net::unix::pipe::Receiver::from_owned_fd(fd) else {
            return;
        };
        tokio::spawn(async move {
            // The protocol channel of a listener never captures.
            let mut capture = (self.capture_maxbytes > 0 && self.protocol.is_none())
                .then(|| Capture::new(usize::try_from(self.capture_maxbytes).unwrap_or(usize::MAX)));
            let mut grown = false;
            loop {
                if pipe.readable().await.is_err() {
                    return;
                }
                loop {
                    // try_read does not count against tokio's cooperative
                    // budget: without this a flooding child would keep its
                    // worker thread from everything else (RPC answers).
                    tokio::task::consume_budget().await;
                    // The worker thread's buffer: a thousand idle programs
                    // hold none, and a flood allocates nothing per read.
                    let step = READ_BUFFER.with_borrow_mut(|buf| {
                        // Read into spare capacity: untouched pages of the
                        // buffer cost no memory until a flood needs them.
                        buf.clear();
                        buf.reserve(READ_SIZE);
                        match pipe.try_read_buf(buf) {
                            Ok(0) => Step::Closed,
                            Ok(n) => {
                                if n >= FULL_PIPE && !grown {
                                    grown = true;
                                    grow(&pipe);
                                }
                                self.take(&buf[..n], &mut capture);
                                Step::More
                            }
                            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => Step::Wait,
                            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => Step::More,
                            Err(_) => Step::Closed,
                        }
                    });
                    match step {
                        Step::More => {}
                        Step::Wait => break,
                        Step::Closed => return,
                    }
                }
            }
        });
    }

    /// One read's worth of output: stripped, split by capture mode, logged.
    fn take(&self, data: &[u8], capture: &mut Option<Capture>) {
        let stripped;
        let data = if self.strip_ansi {
            stripped = strip_escapes(data);
            &stripped[..]
        } else {
            data
        };
        match capture.as_mut() {
            None => self.record(data),
            Some(c) => {
                for piece in c.feed(data) {
                    match piece {
                        Piece::Normal(d) => self.record(&d),
                        Piece::Captured(d) => self.communicate(d),
                    }
                }
            }
        }
    }
}

/// Gives a flooding child's pipe four times the default room, so the child
/// blocks less often and each wake-up of its pump moves up to 256 KiB
/// instead of 64 KiB (a quarter more throughput, a fifth less CPU per
/// byte, measured with `benches/system`). Only busy pipes grow: the kernel counts
/// pipe pages against a per-user limit (`fs.pipe-user-pages-soft`). A
/// refusal (that limit, or `fs.pipe-max-size`) leaves the pipe as it was.
fn grow(pipe: &tokio::net::unix::pipe::Receiver) {
    use nix::fcntl::{FcntlArg, fcntl};
    use std::os::fd::AsFd;
    // A child may have made its pipe bigger still: never shrink it.
    if fcntl(pipe.as_fd(), FcntlArg::F_GETPIPE_SZ).is_ok_and(|size| size < BUSY_PIPE_SIZE) {
        let _ = fcntl(pipe.as_fd(), FcntlArg::F_SETPIPE_SZ(BUSY_PIPE_SIZE));
    }
}

/// What a pump does after a read.
enum Step {
    More,
    Wait,
    Closed,
}

thread_local! {
    static READ_BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Python's `repr()` of a bytes value (`b'\xff\n'`).
fn bytes_repr(data: &[u8]) -> String {
    let mut out = String::from("b'");
    for &b in data {
        match b {
            b'\\' => out.push_str("\\\\"),
            b'\'' => out.push_str("\\'"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x20..=0x7e => out.push(b as char),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out.push('\'');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_repr_matches_python() {
        assert_eq!(super::bytes_repr(b"a'\xff\n"), "b'a\\'\\xff\\n'");
    }

    fn pump(events: &broadcast::Sender<Event>, own: usize, events_enabled: bool) -> Pump {
        Pump {
            group: "g".into(),
            name: "p".into(),
            pid: 7,
            channel: Channel::Stdout,
            log: SharedLog::default(),
            syslog: false,
            strip_ansi: false,
            events: events.clone(),
            own_receivers: Arc::new(AtomicUsize::new(own)),
            events_enabled,
            mainlog: Arc::new(Mutex::new(MainLog::stdout_only(LogLevel::Critical, false))),
            protocol: None,
            capture_maxbytes: 0,
        }
    }

    /// How many output events wait on `rx`, and their total size.
    fn drain(rx: &mut broadcast::Receiver<Event>) -> (usize, usize) {
        let (mut n, mut bytes) = (0, 0);
        while let Ok(Event::ProcessLog { data, .. }) = rx.try_recv() {
            assert!(data.len() <= EVENT_CHUNK);
            n += 1;
            bytes += data.len();
        }
        (n, bytes)
    }

    #[test]
    fn output_reaches_the_bus_only_for_someone_who_wants_it() {
        let (tx, mut rx) = broadcast::channel(64);
        let data = vec![b'x'; 200 * 1024];
        // Only the engine's own reader, and events off: nothing is copied.
        pump(&tx, 1, false).record(&data);
        assert_eq!(drain(&mut rx), (0, 0));
        // Events on: the pools get it, in pieces of at most 64 KiB.
        pump(&tx, 1, true).record(&data);
        assert_eq!(drain(&mut rx), (4, data.len()));
        // A subscriber of the library's own: always.
        pump(&tx, 0, false).record(&data);
        assert_eq!(drain(&mut rx), (4, data.len()));
    }
}
