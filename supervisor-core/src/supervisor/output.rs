//! Moving a child's output from its pipe to its log file and to event
//! subscribers. Bytes go straight through: no per-line work, unless the
//! log wants lines (`childlog_format`, or supervisord's own stdout).

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use super::bus::Bus;
use super::capture::{Capture, Piece};
use super::child_log::ChildLog;
use super::news::PumpNews;
use super::ready::LogWatch;
use crate::config::repr;
use crate::config::{LogLevel, ProcessConfig};
use crate::events::{Channel, Event};
use crate::logging::{LineWriter, MainLog, strip_escapes, syslog};

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
pub(crate) type SharedLog = Arc<Mutex<ChildLog>>;

/// What every pump of a supervisor shares: one copy, not one per pipe (a
/// thousand idle programs hold two pumps each).
pub(crate) struct PumpContext {
    /// `[supervisord] strip_ansi`.
    pub strip_ansi: bool,
    pub events: Bus,
    /// How many of the bus's receivers are the engine's own (its listener
    /// pools' reader): output goes to them only with `*_events_enabled`.
    pub own_receivers: Arc<AtomicUsize>,
    pub mainlog: Arc<Mutex<MainLog>>,
    /// Where protocol replies and the pipes' ends are reported.
    pub news: tokio::sync::mpsc::UnboundedSender<PumpNews>,
}

/// Who and where one pipe's output belongs.
pub(crate) struct Pump {
    /// Whose output: its group and name (shared, not copied: a thousand
    /// idle programs hold two pumps each).
    pub process: Arc<ProcessConfig>,
    pub pid: u32,
    pub channel: Channel,
    pub log: SharedLog,
    /// `*_syslog`.
    pub syslog: bool,
    /// What every pump of the supervisor shares.
    pub context: Arc<PumpContext>,
    /// `*_events_enabled`.
    pub events_enabled: bool,
    /// Whether this is an event listener's stdout: its protocol replies
    /// go to the actor.
    pub listener: bool,
    /// `*_capture_maxbytes` (0: no capture mode).
    pub capture_maxbytes: u64,
    /// Which spawn this pipe belongs to (see `RealHost::spawns`).
    pub spawn: u64,
    /// A `log:` ready check watching this pipe's lines.
    pub ready: Option<Box<LogWatch>>,
    /// Lines for the log file: formatted (`childlog_format`) or whole (a
    /// console). None: bytes as they come.
    pub lines: Option<Box<LineWriter>>,
    /// Bytes read from this channel of the process, over all its spawns.
    /// Both channels' (the process's `ProcessIo::bytes`): this pump adds
    /// to its channel's.
    pub bytes: Arc<[AtomicU64; 2]>,
}

impl Pump {
    /// Ordinary output: log file, syslog, debug copy, event. Output being
    /// captured (`to_logs` false) skips the log file and syslog, as in
    /// 4.3.0, where the capture log stands in for them.
    fn record(&mut self, data: &[u8], to_logs: bool) {
        if data.is_empty() {
            return;
        }
        if to_logs {
            match self.lines.as_mut() {
                None => write_log(&self.log, data),
                Some(lines) => FORMAT_BUFFER.with_borrow_mut(|out| {
                    out.clear();
                    lines.feed(data, chrono::Local::now(), out);
                    write_log(&self.log, out);
                    shrink(out);
                }),
            }
        }
        if to_logs && self.syslog {
            syslog::send_lines(Some(&self.process.name), data);
        }
        // A listener's output was logged (as bytes) before its protocol
        // saw it, as 4.3.0's PEventListenerDispatcher does.
        if !self.listener
            && let Ok(mut main) = self.context.mainlog.lock()
            && main.enabled(LogLevel::Debug)
        {
            let text = match std::str::from_utf8(data) {
                Ok(t) => t.to_owned(),
                Err(_) => format!("Undecodable: {}", bytes_repr(data)),
            };
            main.log(LogLevel::Debug, &format!("{} {} output:\n{text}", repr(&self.process.name), self.channel.name()));
        }
        // Copied to the bus only for someone who wants it: a library
        // subscriber, or listener pools when this channel's events are on.
        let receivers = self.context.events.receiver_count();
        let outside = receivers > self.context.own_receivers.load(Ordering::Relaxed);
        if outside || (self.events_enabled && receivers > 0) {
            for piece in data.chunks(EVENT_CHUNK) {
                self.context.events.send(Event::ProcessLog {
                    group: self.process.group.clone(),
                    name: self.process.name.clone(),
                    pid: self.pid,
                    channel: self.channel,
                    data: piece.to_vec(),
                });
            }
        }
    }

    /// Writes a partial line held too long (or at the pipe's end).
    pub(super) fn flush_lines(&mut self) {
        let Some(lines) = self.lines.as_mut() else { return };
        FORMAT_BUFFER.with_borrow_mut(|out| {
            out.clear();
            lines.flush(chrono::Local::now(), out);
            write_log(&self.log, out);
        });
    }

    /// A finished capture-mode message.
    fn communicate(&self, data: Vec<u8>) {
        if let Ok(mut main) = self.context.mainlog.lock() {
            main.log(
                LogLevel::Debug,
                &format!("{} {} emitted a comm event", repr(&self.process.name), self.channel.name()),
            );
        }
        self.context.events.send(Event::ProcessCommunication {
            group: self.process.group.clone(),
            name: self.process.name.clone(),
            pid: self.pid,
            channel: self.channel,
            data,
        });
    }

    /// A listener's stdout, before anything else sees it: the debug line
    /// with the bytes as Python shows them (unstripped), then the actor.
    fn protocol(&self, data: &[u8]) {
        if let Ok(mut main) = self.context.mainlog.lock()
            && main.enabled(LogLevel::Debug)
        {
            main.log(
                LogLevel::Debug,
                &format!("{} {} output:\n{}", repr(&self.process.name), self.channel.name(), bytes_repr(data)),
            );
        }
        let _ = self.context.news.send(PumpNews::Protocol(self.pid, data.to_vec()));
    }

    /// When a held partial line is to be written, if one is held.
    pub(super) fn partial_deadline(&self) -> Option<std::time::Instant> {
        self.lines.as_ref().and_then(|l| l.deadline())
    }

    /// Tells the actor that this pipe has ended.
    pub(super) fn closed(&self) {
        let _ = self.context.news.send(PumpNews::Closed { pid: self.pid, channel: self.channel, spawn: self.spawn });
    }

    /// One read from `pipe`, and what it read written where it goes.
    pub(super) fn read_once(
        &mut self,
        pipe: &tokio::net::unix::pipe::Receiver,
        grown: &mut bool,
        capture: &mut Option<Box<Capture>>,
    ) -> Step {
        // The worker thread's buffer: a thousand idle programs hold none,
        // and a flood allocates nothing per read.
        READ_BUFFER.with_borrow_mut(|buf| {
            // Read into spare capacity: untouched pages of the buffer cost
            // no memory until a flood needs them.
            buf.clear();
            buf.reserve(READ_SIZE);
            match pipe.try_read_buf(buf) {
                Ok(0) => Step::Closed,
                Ok(n) => {
                    if n >= FULL_PIPE && !*grown {
                        *grown = true;
                        grow(pipe);
                    }
                    self.take(&buf[..n], capture);
                    Step::More
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => Step::Wait,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => Step::More,
                Err(_) => Step::Closed,
            }
        })
    }

    /// One read's worth of output: stripped, split by capture mode, logged.
    fn take(&mut self, data: &[u8], capture: &mut Option<Box<Capture>>) {
        self.bytes[self.channel.index()].fetch_add(data.len() as u64, Ordering::Relaxed);
        if self.listener {
            self.protocol(data);
        }
        let stripped;
        let data = if self.context.strip_ansi {
            stripped = strip_escapes(data);
            &stripped[..]
        } else {
            data
        };
        // A `log:` ready check sees lines as the log file gets them.
        if let Some(watch) = &self.ready {
            watch.feed(data, &self.context.news);
        }
        match capture.as_mut() {
            None => self.record(data, true),
            Some(c) => {
                for piece in c.feed(data) {
                    match piece {
                        Piece::Normal(d) => self.record(&d, true),
                        Piece::Capturing(d) => self.record(&d, false),
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
pub(super) enum Step {
    More,
    Wait,
    Closed,
}

thread_local! {
    static READ_BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    /// Formatted lines on their way to a log file.
    static FORMAT_BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Writes to a channel's log file, if it has one.
fn write_log(log: &SharedLog, data: &[u8]) {
    if !data.is_empty()
        && let Ok(mut guard) = log.lock()
    {
        guard.write(data);
    }
}

/// Gives back what a flood made the format buffer grow to.
fn shrink(buf: &mut Vec<u8>) {
    if buf.capacity() > 2 * READ_SIZE {
        *buf = Vec::new();
    }
}

/// Python's `repr()` of a bytes value (`b'\xff\n'`; double quotes when
/// it holds a `'` and no `"`).
fn bytes_repr(data: &[u8]) -> String {
    let quote = if data.contains(&b'\'') && !data.contains(&b'"') { '"' } else { '\'' };
    let mut out = String::with_capacity(data.len() + 3);
    out.push('b');
    out.push(quote);
    for &b in data {
        match b {
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            _ if char::from(b) == quote => {
                out.push('\\');
                out.push(quote);
            }
            0x20..=0x7e => out.push(char::from(b)),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out.push(quote);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_repr_matches_python() {
        assert_eq!(super::bytes_repr(b"a'\xff\n"), "b\"a'\\xff\\n\"");
        assert_eq!(super::bytes_repr(b"a'\"\\\t"), "b'a\\'\"\\\\\\t'");
        assert_eq!(super::bytes_repr(b"RESULT 2\nOKREADY\n"), "b'RESULT 2\\nOKREADY\\n'");
    }

    fn pump(events: &Bus, own: usize, events_enabled: bool) -> Pump {
        let mut config = crate::config::Config::builder()
            .program(crate::config::ProgramSpec::new("p", "true"))
            .build()
            .expect("config")
            .groups;
        let process = config.remove(0).processes.remove(0);
        Pump {
            process,
            pid: 7,
            channel: Channel::Stdout,
            log: SharedLog::default(),
            syslog: false,
            context: Arc::new(PumpContext {
                strip_ansi: false,
                events: events.clone(),
                own_receivers: Arc::new(AtomicUsize::new(own)),
                mainlog: Arc::new(Mutex::new(MainLog::stdout_only(LogLevel::Critical, false))),
                news: tokio::sync::mpsc::unbounded_channel().0,
            }),
            events_enabled,
            listener: false,
            capture_maxbytes: 0,
            spawn: 0,
            ready: None,
            lines: None,
            bytes: Arc::default(),
        }
    }

    /// How many output events wait on `rx`, and their total size.
    fn drain(rx: &mut tokio::sync::broadcast::Receiver<Event>) -> (usize, usize) {
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
        let tx = Bus::new(64);
        let mut rx = tx.subscribe();
        let data = vec![b'x'; 200 * 1024];
        // Only the engine's own reader, and events off: nothing is copied.
        pump(&tx, 1, false).record(&data, true);
        assert_eq!(drain(&mut rx), (0, 0));
        // Events on: the pools get it, in pieces of at most 64 KiB.
        pump(&tx, 1, true).record(&data, true);
        assert_eq!(drain(&mut rx), (4, data.len()));
        // A subscriber of the library's own: always.
        pump(&tx, 0, false).record(&data, true);
        assert_eq!(drain(&mut rx), (4, data.len()));
    }
}
