//! Helpers for tests that run real processes under an in-process supervisor.
#![allow(dead_code)]

use std::path::Path;
use std::time::Duration;

use futures_util::StreamExt;
use supervisor_core::config::{Config, LogLevel};
use supervisor_core::events::Event;
use supervisor_core::logging::MainLog;
use supervisor_core::process::ProcessState;
use supervisor_core::signals::Signal;
use supervisor_core::supervisor::{ControlError, EventStream, ProcessName, ProcessResult, RunOptions, Supervisor};
#[allow(unused_imports)]
pub use supervisor_core::supervisor::{Target, Wait};

/// Every event, output included.
pub type Receiver<T> = Events<T>;

/// A supervisor's whole event stream (output included), for the helpers.
pub struct Events<T> {
    stream: EventStream,
    _of: std::marker::PhantomData<T>,
}

impl Events<Event> {
    /// The next event; the stream never lags in these tests.
    pub async fn recv(&mut self) -> Option<Event> {
        match self.stream.next().await? {
            Ok(event) => Some(event),
            Err(lagged) => panic!("{lagged}"),
        }
    }

    /// An event already waiting, if any.
    pub fn try_recv(&mut self) -> Option<Event> {
        use futures_util::FutureExt;
        self.recv().now_or_never().flatten()
    }
}

/// The process a 4.3.0 namespec names: `group:name`, or `name` of its own group.
pub fn pn(namespec: &str) -> ProcessName {
    match namespec.split_once(':') {
        Some((g, n)) => ProcessName::new(g, n),
        None => ProcessName::new(namespec, namespec),
    }
}

fn one(results: Result<Vec<ProcessResult>, ControlError>) -> Result<(), ControlError> {
    results?.into_iter().next().map_or(Ok(()), |(_, r)| r)
}

fn wait(yes: bool) -> Wait {
    if yes { Wait::Yes } else { Wait::No }
}

/// 4.3.0's `startProcess(namespec, wait)`.
pub async fn start_one(sv: &Supervisor, namespec: &str, yes: bool) -> Result<(), ControlError> {
    one(sv.start_processes(pn(namespec), wait(yes)).await)
}

/// 4.3.0's `stopProcess(namespec, wait)`.
pub async fn stop_one(sv: &Supervisor, namespec: &str, yes: bool) -> Result<(), ControlError> {
    one(sv.stop_processes(pn(namespec), wait(yes)).await)
}

/// 4.3.0's `signalProcess(namespec, signal)`.
pub async fn signal_one(sv: &Supervisor, namespec: &str, signal: Signal) -> Result<(), ControlError> {
    one(sv.signal_processes(pn(namespec), signal).await)
}

/// Generous: only guards against a hang, never measures speed.
pub const PATIENCE: Duration = Duration::from_secs(30);

/// A supervisor for `programs` (config text after `[supervisord]`), logging
/// to `dir/supervisord.log` at debug level, with child logs in `dir`.
pub fn start(dir: &Path, programs: &str) -> (Supervisor, Receiver<Event>) {
    let text = format!("[supervisord]\nchildlogdir={d}\nlogfile={d}/supervisord.log\n{programs}\n", d = dir.display());
    let config = Config::from_str(&text, dir.join("supervisord.conf")).expect("config");
    let log = MainLog::open(Some(dir.join("supervisord.log")), 0, 0, LogLevel::Debug, false).expect("log");
    let options = RunOptions::default().with_mainlog(std::sync::Arc::new(std::sync::Mutex::new(log)));
    start_config(config, options)
}

/// A supervisor for `config`, with its whole event stream from the start.
pub fn start_config(config: Config, options: RunOptions) -> (Supervisor, Receiver<Event>) {
    let (sv, stream) = Supervisor::start_with(config, options, Supervisor::all_events).expect("start");
    (sv, Events { stream, _of: std::marker::PhantomData })
}

/// Waits for `name` to enter `state`; returns the transition's pid.
pub async fn wait_for(events: &mut Receiver<Event>, name: &str, state: ProcessState) -> u32 {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let event = tokio::time::timeout_at(deadline, events.recv())
            .await
            .unwrap_or_else(|_| panic!("{name} never reached {state}"))
            .expect("event stream open");
        if let Event::ProcessState { name: n, transition, .. } = event
            && n == name
            && transition.to == state
        {
            return transition.pid;
        }
    }
}

/// supervisord.log's text.
pub fn mainlog(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("supervisord.log")).unwrap_or_default()
}

/// Whether a pid is alive (and not a zombie).
pub fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => !stat.rsplit(')').next().is_some_and(|rest| rest.trim_start().starts_with('Z')),
        Err(_) => false,
    }
}

/// Polls `check` until it holds (guarding against hangs only).
pub async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !check() {
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits until the main log contains `needle`; returns the log.
pub async fn log_contains(dir: &Path, needle: &str) -> String {
    eventually(&format!("{needle:?} in supervisord.log"), || mainlog(dir).contains(needle)).await;
    mainlog(dir)
}

/// Waits for `name` to write `needle` to its output.
pub async fn wait_output(events: &mut Receiver<Event>, name: &str, needle: &str) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    let mut seen = Vec::new();
    while !String::from_utf8_lossy(&seen).contains(needle) {
        let event = tokio::time::timeout_at(deadline, events.recv())
            .await
            .unwrap_or_else(|_| panic!("{name} never wrote {needle:?}"))
            .expect("event stream open");
        if let Event::ProcessLog { name: n, data, .. } = event
            && n == name
        {
            seen.extend(data);
        }
    }
}

/// A port nothing listens on (yet) on 127.0.0.1.
pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

/// `python3 FILE`, with `text` written to `dir/name`.
pub fn python(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("script");
    format!("python3 {}", path.display())
}

/// A Python HTTP server on 127.0.0.1:`port` answering each GET with the
/// status `status` computes (a Python expression of `n`, the requests so
/// far, and `self.path`).
pub fn http_server(dir: &Path, name: &str, port: u16, status: &str) -> String {
    python(
        dir,
        name,
        &format!(
            "import http.server\ncounter = [0]\nclass H(http.server.BaseHTTPRequestHandler):\n    def do_GET(self):\n        \
             counter[0] += 1\n        n = counter[0]\n        self.send_response({status})\n        self.end_headers()\n    \
             def log_message(self, *a): pass\nhttp.server.HTTPServer.allow_reuse_address = True\n\
             http.server.HTTPServer(('127.0.0.1', {port}), H).serve_forever()\n"
        ),
    )
}

/// A Python TCP server that listens on 127.0.0.1:`port` after `delay`
/// seconds and closes each connection it accepts.
pub fn tcp_server(dir: &Path, name: &str, port: u16, delay: f64) -> String {
    python(
        dir,
        name,
        &format!(
            "import socket, time\ntime.sleep({delay})\ns = socket.socket()\n\
             s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\ns.bind(('127.0.0.1', {port}))\ns.listen()\n\
             while True:\n    c, _ = s.accept()\n    c.close()\n"
        ),
    )
}
