//! The engine's view of the world ([`Shell`]) and the real one
//! ([`RealHost`]): spawns through the platform layer, wires pipes to logs,
//! writes supervisord's log and publishes events. The engine reaches the
//! OS only through these calls, so its rules are tested with a fake.

use std::collections::HashMap;
use std::os::fd::AsRawFd;
use std::sync::{Arc, Mutex};

use tokio::sync::mpsc::UnboundedSender;

use super::bus::Bus;
use super::child_log::ChildLog;
use super::fcgi::{Shared, SocketManager};
use super::lifeline::LiveChildren;
use super::names::program_of;
use super::news::PumpNews;
use super::output::{Pump, SharedLog};
use super::ready::{self, ExecContext, LogWatch, NotifySocket};
use crate::config::{LogFile, LogLevel, Probe, ProcessConfig};
use crate::events::{Channel, Event};
use crate::logging::{FieldValue, LineWriter, MainLog, Origin};
use crate::platform::command::{self, CommandError};
use crate::platform::reap::{self, Exit, Spawner};
use crate::platform::spawn_thread::SpawnThread;
use crate::platform::{SpawnContext, SpawnFailure, spawn_with_stdin};
use crate::process::{Host, LogContext, SpawnError, Transition};
use crate::signals::Signal;

/// What the engine needs beyond the state machine's [`Host`]: events,
/// stdin, logs, sockets, and the bookkeeping of a child's end.
pub(crate) trait Shell: Host {
    /// Publishes an event.
    fn publish(&mut self, event: Event);
    /// A receiver of every event, for the listener pools (counted as the
    /// engine's own, see `Pump::own_receivers`).
    fn subscribe_for_pools(&mut self) -> tokio::sync::broadcast::Receiver<Event>;
    /// Writes to a running child's stdin without waiting; false if it has
    /// none or the pipe is full or closed.
    fn write_stdin(&mut self, pid: u32, data: &[u8]) -> bool;
    /// Whether the command can be run at all (found, executable).
    fn check_command(&self, config: &ProcessConfig) -> Result<(), CommandError>;
    /// `pid` was reaped: forget its stdin, pipes and socket.
    fn reaped(&mut self, pid: u32);
    /// The pipes of `pid` whose end is now logged: the one of spawn number
    /// `spawn` on `channel`, or every one not logged yet.
    fn close_pipes(&mut self, pid: u32, which: Option<(Channel, u64)>) -> Vec<OpenPipe>;
    /// Whether `group` is an event listener pool (its stdout is protocol).
    fn set_listener_group(&mut self, group: &str, listener: bool);
    /// An FCGI group's socket is made (and checked) now.
    fn add_socket(&mut self, group: &str, config: &crate::config::FcgiSocketConfig);
    /// An FCGI group's socket is forgotten.
    fn remove_socket(&mut self, group: &str);
    /// A removed process's open log files are forgotten.
    fn forget_logs(&mut self, namespec: &str);
    /// Empties a process's log files.
    fn clear_logs(&mut self, config: &ProcessConfig) -> std::io::Result<()>;
    /// Reopens every log file (SIGUSR2).
    fn reopen_logs(&mut self);
    /// supervisord's own log file, if it writes one.
    fn main_log_path(&self) -> Option<std::path::PathBuf>;
    /// Bytes a process wrote to stdout and stderr, over all its spawns.
    fn output_bytes(&self, _config: &ProcessConfig) -> (u64, u64) {
        (0, 0)
    }
}

/// Per-process I/O that outlives one spawn.
#[derive(Default, Clone)]
pub(crate) struct ProcessIo {
    pub stdout: SharedLog,
    pub stderr: SharedLog,
    /// Bytes read from stdout and stderr, over every spawn (metrics); one
    /// allocation for both.
    pub bytes: Arc<[std::sync::atomic::AtomicU64; 2]>,
}

pub(crate) struct RealHost {
    pub ctx: Arc<SpawnContext>,
    /// Where every child is cloned from (see [`SpawnThread`]).
    pub spawner: Arc<SpawnThread>,
    /// Each STARTING process's ready check task, by pid.
    pub probes: HashMap<u32, tokio::task::AbortHandle>,
    /// Each process's liveness check task, by pid.
    pub health: HashMap<u32, tokio::task::AbortHandle>,
    /// The children alive now, killed if the supervisor is dropped.
    pub children: Arc<LiveChildren>,
    pub exits: UnboundedSender<Exit>,
    pub events: Bus,
    /// The bus receivers the engine holds itself (see `Pump::own_receivers`).
    pub own_receivers: Arc<std::sync::atomic::AtomicUsize>,
    pub mainlog: Arc<Mutex<MainLog>>,
    /// By process namespec.
    pub io: HashMap<String, ProcessIo>,
    /// stdin write ends (non-blocking), by pid.
    pub stdin: HashMap<u32, std::os::fd::OwnedFd>,
    /// Groups that are event listener pools: their stdout is the protocol.
    pub listener_groups: std::collections::HashSet<String>,
    /// Where output pumps report listener stdout and the ends of pipes.
    pub news: UnboundedSender<PumpNews>,
    /// The pipes each running child's pumps read, until their end is
    /// logged (4.3.0's `fd N closed, stopped monitoring ...`).
    pub pipes: HashMap<u32, Vec<OpenPipe>>,
    /// What every pump shares (the fields above, once).
    pub pump_context: Arc<super::output::PumpContext>,
    /// Spawns so far: each spawn's dispatchers get new ids.
    pub spawns: u64,
    /// `[fcgi-program:x]` groups' sockets, by group name.
    pub sockets: HashMap<String, Shared>,
    /// The socket each running FCGI process holds, by pid.
    pub socket_holders: HashMap<u32, Shared>,
}

/// A pipe an output pump reads: what 4.3.0's dispatcher repr shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OpenPipe {
    pub channel: Channel,
    /// The parent's end of the pipe.
    pub fd: i32,
    /// An event listener's stdout (`PEventListenerDispatcher`).
    pub listener: bool,
    /// Which spawn made it.
    pub spawn: u64,
}

impl OpenPipe {
    /// 4.3.0's `fd N closed, stopped monitoring <dispatcher repr>` line.
    /// The ids stand in for CPython's `id()`: the process's stays the same
    /// across respawns (`slot`), a dispatcher's is new with each spawn.
    pub(crate) fn closed_line(&self, slot: usize, name: &str, state: crate::process::ProcessState) -> String {
        let class = if self.listener { "PEventListenerDispatcher" } else { "POutputDispatcher" };
        let dispatcher = 139_800_000_000_000 + self.spawn * 4_096 + self.channel.index() as u64 * 1_024;
        let process = 139_700_000_000_000 + slot as u64 * 4_096;
        format!(
            "fd {} closed, stopped monitoring <{class} at {dispatcher} for <Subprocess at {process} with name {name} \
             in state {state}> ({})>",
            self.fd,
            self.channel.name()
        )
    }
}

impl RealHost {
    pub(crate) fn log(&self, level: LogLevel, message: &str) {
        if let Ok(mut main) = self.mainlog.lock() {
            main.log(level, message);
        }
    }

    /// Makes (and closes again) an FCGI group's socket when the group is
    /// built, as 4.3.0 does to fail early; the group's processes then take
    /// it at each spawn.
    fn make_socket(&mut self, group: &str, config: &crate::config::FcgiSocketConfig) {
        let manager = SocketManager::new(config.clone());
        let made = match manager.lock() {
            Ok(mut m) => {
                let mut lines = Vec::new();
                let made = m.acquire(&mut |l| lines.push(l)).map(|_| ());
                if made.is_ok() {
                    m.release(&mut |l| lines.push(l));
                }
                for l in lines {
                    RealHost::log(self, LogLevel::Info, &l);
                }
                made
            }
            Err(_) => Ok(()),
        };
        if let Err(e) = made {
            RealHost::log(self, LogLevel::Critical, &e.to_string());
        }
        self.sockets.insert(group.to_owned(), manager);
    }

    fn release_socket(&self, manager: &Shared) {
        if let Ok(mut m) = manager.lock() {
            m.release(&mut |l| RealHost::log(self, LogLevel::Info, &l));
        }
    }

    /// Reopens supervisord.log and every child log a spawn made (SIGUSR2).
    fn reopen_all(&mut self) {
        if let Ok(mut main) = self.mainlog.lock() {
            let _ = main.reopen();
        }
        for io in self.io.values() {
            for log in [&io.stdout, &io.stderr] {
                if let Ok(mut g) = log.lock() {
                    let _ = g.reopen();
                }
            }
        }
    }

    /// Empties a process's log files, running or not (`clearProcessLogs`).
    fn clear_files(&mut self, config: &ProcessConfig) -> std::io::Result<()> {
        let io = self.io.get(&config.namespec()).cloned().unwrap_or_default();
        for (file, shared) in [(&config.stdout.logfile, io.stdout), (&config.stderr.logfile, io.stderr)] {
            let Some(path) = file.path() else { continue };
            let mut guard = shared.lock().map_err(|_| std::io::Error::other("log lock poisoned"))?;
            // Never spawned (or its last spawn failed): a regular file
            // there is emptied; nothing is made, and nothing else touched
            // (removing `/dev/stdout` as root would remove the device link).
            if !guard.clear()? && std::fs::symlink_metadata(path).is_ok_and(|m| m.is_file()) {
                std::fs::OpenOptions::new().write(true).truncate(true).open(path)?;
            }
        }
        Ok(())
    }
}

impl Host for RealHost {
    fn spawn(&mut self, config: &Arc<ProcessConfig>) -> Result<u32, SpawnError> {
        // Before the FCGI socket is taken: these may refuse the spawn.
        let (config, notify) = prepare(config)?;
        let config = &config;
        // An FCGI group's processes hold its socket from spawn to reaping.
        let socket = self.sockets.get(&config.group).cloned();
        let mut held = match &socket {
            Some(m) => Some(m.lock().map_err(|_| SpawnError("socket manager lock poisoned".into()))?),
            None => None,
        };
        let mainlog = self.mainlog.clone();
        let mut info = |line: String| {
            if let Ok(mut main) = mainlog.lock() {
                main.log(LogLevel::Info, &line);
            }
        };
        let fd0 = match held.as_mut() {
            Some(m) => Some(m.acquire(&mut info).map_err(|e| SpawnError(e.to_string()))?),
            None => None,
        };
        let io = self.io.entry(config.namespec()).or_default();
        // Both channels logged to one file, with time rotation or
        // compression: one writer, or each would rotate the file from
        // under the other (without those keys, two writers as in 4.3.0).
        let one_file = matches!((&config.stdout.logfile, &config.stderr.logfile), (LogFile::Path(a), LogFile::Path(b)) if a == b)
            && !(config.stdout.retention.is_default() && config.stderr.retention.is_default());
        if one_file != Arc::ptr_eq(&io.stdout, &io.stderr) {
            io.stderr = if one_file { io.stdout.clone() } else { SharedLog::default() };
        }
        let io = io.clone();
        let spawned = {
            let (config, ctx) = (Arc::clone(config), Arc::clone(&self.ctx));
            let fd0 = fd0.map(|fd| fd.as_raw_fd());
            let logs = [(io.stdout.clone(), Channel::Stdout), (io.stderr.clone(), Channel::Stderr)];
            self.spawner
                .run(move || {
                    let spawner = Spawner::begin();
                    // SAFETY: the socket stays open while this runs: its
                    // manager is locked (`held`) until the job has returned.
                    let fd0 = fd0.map(|fd| unsafe { std::os::fd::BorrowedFd::borrow_raw(fd) });
                    let make_logs = || {
                        // One file for both: made once, with stdout's keys.
                        let logs = &logs[..if one_file { 1 } else { 2 }];
                        let made = logs
                            .iter()
                            .map(|(_, channel)| ChildLog::at_spawn(&config, *channel))
                            .collect::<std::io::Result<Vec<_>>>();
                        // Both or neither: a failed spawn keeps no log of an
                        // earlier run (4.3.0 has no dispatchers then).
                        let mut made = made.map(Vec::into_iter);
                        for (shared, _) in logs {
                            if let Ok(mut g) = shared.lock() {
                                *g = made.as_mut().ok().and_then(Iterator::next).unwrap_or_default();
                            }
                        }
                        made.map(drop)
                    };
                    spawn_with_stdin(&config, &ctx, spawner.wants_pidfd(), fd0, make_logs).map(|child| (spawner, child))
                })
                .unwrap_or_else(|| Err(SpawnFailure::Os("the spawn thread is gone".into())))
                .map_err(|e| match e {
                    SpawnFailure::Command(c) => SpawnError(c.to_string()),
                    other => SpawnError(other.to_string()),
                })
        };
        if spawned.is_err()
            && let Some(m) = held.as_mut()
        {
            m.release(&mut info);
        }
        drop(held);
        let child = {
            let (mut spawner, mut child) = spawned?;
            if let Err(untracked) = spawner.register(child.pid, child.pidfd.take(), self.exits.clone()) {
                // A child nobody could report the exit of is stopped, not lost.
                let _ =
                    nix::sys::signal::killpg(nix::unistd::Pid::from_raw(child.pid as i32), nix::sys::signal::SIGKILL);
                if let Some(m) = &socket {
                    self.release_socket(m);
                }
                return Err(SpawnError(untracked.to_string()));
            }
            child
        };
        self.children.add(child.pid);
        let (mut watch_out, mut watch_err) = match self.start_checks(config, child.pid, notify) {
            Some((a, b)) => (Some(Box::new(a)), Some(Box::new(b))),
            None => (None, None),
        };
        let console = [&io.stdout, &io.stderr].map(|shared| shared.lock().is_ok_and(|g| g.is_console()));
        let is_listener = self.listener_groups.contains(&config.group);
        self.spawns += 1;
        // At most two: room for exactly that (a push would make it four).
        let mut pipes = Vec::with_capacity(2);
        pipes.push(OpenPipe {
            channel: Channel::Stdout,
            fd: child.stdout.as_raw_fd(),
            listener: is_listener,
            spawn: self.spawns,
        });
        if let Some(fd) = &child.stderr {
            pipes.push(OpenPipe { channel: Channel::Stderr, fd: fd.as_raw_fd(), listener: false, spawn: self.spawns });
        }
        self.pipes.insert(child.pid, pipes);
        let lines = |channel: Channel| {
            let to_console = console[channel.index()];
            (config.childlog_format.is_some() || to_console).then(|| {
                let origin = Origin {
                    program: program_of(&config.section),
                    process_name: &config.name,
                    group: &config.group,
                    channel: channel.name(),
                    pid: child.pid,
                };
                Box::new(LineWriter::new(config.childlog_format.as_deref(), origin))
            })
        };
        let pump = |channel: Channel, ready| {
            let (log, settings) = match channel {
                Channel::Stdout => (io.stdout.clone(), &config.stdout),
                Channel::Stderr => (io.stderr.clone(), &config.stderr),
            };
            Pump {
                process: Arc::clone(config),
                pid: child.pid,
                channel,
                log,
                syslog: settings.syslog,
                context: self.pump_context.clone(),
                events_enabled: settings.events_enabled,
                listener: is_listener && channel == Channel::Stdout,
                spawn: self.spawns,
                capture_maxbytes: settings.capture_maxbytes,
                ready,
                lines: lines(channel),
                bytes: io.bytes.clone(),
            }
        };
        let out_pump = pump(Channel::Stdout, watch_out.take());
        let err_pump = child.stderr.map(|fd| (pump(Channel::Stderr, watch_err.take()), fd));
        super::reader::run((out_pump, child.stdout), err_pump);
        if let Some(stdin) = child.stdin {
            let nonblocking = nix::fcntl::fcntl(&stdin, nix::fcntl::FcntlArg::F_SETFL(nix::fcntl::OFlag::O_NONBLOCK));
            if nonblocking.is_ok() {
                self.stdin.insert(child.pid, stdin);
            }
        }
        if let Some(socket) = socket {
            self.socket_holders.insert(child.pid, socket);
        }
        Ok(child.pid)
    }

    fn kill(&mut self, pid: u32, group: bool, signal: Signal) -> Result<(), nix::errno::Errno> {
        let sig = nix::sys::signal::Signal::try_from(signal.number())?;
        if group {
            nix::sys::signal::killpg(nix::unistd::Pid::from_raw(pid as i32), sig)
        } else {
            reap::signal(pid, sig as i32)
        }
    }

    fn log(&mut self, level: LogLevel, message: String) {
        RealHost::log(self, level, &message);
    }

    fn log_about(&mut self, level: LogLevel, message: String, about: &LogContext) {
        let Ok(mut main) = self.mainlog.lock() else { return };
        if !main.structured() {
            // Only a JSON log shows the fields: no need to list them.
            main.log(level, &message);
            return;
        }
        let mut fields: Vec<(&str, FieldValue<'_>)> = Vec::with_capacity(7);
        if let Some(p) = &about.program {
            fields.push(("program", FieldValue::Text(p)));
        }
        if let Some(g) = &about.group {
            fields.push(("group", FieldValue::Text(g)));
        }
        if let Some(pid) = about.pid {
            fields.push(("pid", FieldValue::Int(i64::from(pid))));
        }
        if let Some(s) = about.from_state {
            fields.push(("from_state", FieldValue::Text(s.name())));
        }
        if let Some(s) = about.to_state {
            fields.push(("to_state", FieldValue::Text(s.name())));
        }
        if let Some(es) = about.exit_status {
            fields.push(("exit_status", FieldValue::Int(i64::from(es))));
        }
        if let Some(e) = about.expected {
            fields.push(("expected", FieldValue::Bool(e)));
        }
        main.log_with(level, &message, &fields);
    }

    fn transition(&mut self, config: &ProcessConfig, change: Transition) {
        self.events.send(Event::ProcessState {
            group: config.group.clone(),
            name: config.name.clone(),
            transition: change,
        });
    }
}

/// The config a spawn uses: with `environment_file`s read now (so an edit
/// is picked up by a restart) and, for a `notify` check, the socket the
/// child is told of in `NOTIFY_SOCKET`. Without either, the config as is.
fn prepare(config: &Arc<ProcessConfig>) -> Result<(Arc<ProcessConfig>, Option<NotifySocket>), SpawnError> {
    let is_notify = |probe: Option<&Probe>| probe == Some(&Probe::Notify);
    let notify = if is_notify(config.ready_check.as_ref().map(|c| &c.probe))
        || is_notify(config.health_check.as_ref().map(|c| &c.probe))
    {
        Some(NotifySocket::bind().map_err(|e| SpawnError(format!("could not make the notify socket: {e}")))?)
    } else {
        None
    };
    if config.environment_layers.is_empty() && notify.is_none() {
        return Ok((Arc::clone(config), None));
    }
    let mut c = ProcessConfig::clone(config);
    if !c.environment_layers.is_empty() {
        c.environment = layered_environment(&c.environment_layers).map_err(|e| SpawnError(e.to_string()))?;
        c.environment_layers.clear();
    }
    if let Some(socket) = &notify {
        c.environment.insert("NOTIFY_SOCKET".into(), socket.address.clone());
    }
    Ok((Arc::new(c), notify))
}

impl RealHost {
    /// Starts the ready and health checks of the child `pid`; a `log:`
    /// check's watches are returned, for its two pumps.
    fn start_checks(
        &mut self,
        config: &Arc<ProcessConfig>,
        pid: u32,
        notify: Option<NotifySocket>,
    ) -> Option<(LogWatch, LogWatch)> {
        let watchdog = config.health_check.as_ref().filter(|h| h.probe == Probe::Notify).map(|h| h.interval);
        if let Some(check) = config.health_check.as_ref().filter(|h| h.probe != Probe::Notify) {
            let exec = self.exec_context(config, &check.probe);
            self.health.insert(
                pid,
                ready::watch_health(crate::config::HealthCheck::clone(check), pid, exec, self.news.clone()),
            );
        }
        // A notify socket not for readiness serves the health watchdog alone.
        let ready_by_notify = config.ready_check.as_ref().is_some_and(|c| c.probe == Probe::Notify);
        let mut notify = notify;
        if !ready_by_notify
            && let Some(task) = notify.take().and_then(|socket| socket.listen(pid, watchdog, self.news.clone()))
        {
            self.health.insert(pid, task);
        }
        let check = config.ready_check.as_ref()?;
        let task = match &check.probe {
            Probe::Log(pattern) => return LogWatch::pair(pattern, pid),
            Probe::Notify => notify.and_then(|socket| socket.listen(pid, watchdog, self.news.clone())),
            probe => {
                let exec = self.exec_context(config, probe);
                Some(ready::poll(probe.clone(), check.interval, pid, exec, self.news.clone()))
            }
        };
        if let Some(task) = task {
            self.probes.insert(pid, task);
        }
        None
    }

    /// What an `exec:` check needs: the program's config with the check's
    /// command, and the spawn machinery.
    fn exec_context(&self, config: &Arc<ProcessConfig>, probe: &Probe) -> Option<ExecContext> {
        let Probe::Exec(command) = probe else { return None };
        let mut c = ProcessConfig::clone(config);
        c.command = command.clone();
        c.ready_check = None;
        c.health_check = None;
        Some(ExecContext { config: Arc::new(c), spawn: Arc::clone(&self.ctx), thread: Arc::clone(&self.spawner) })
    }
}

impl Shell for RealHost {
    fn publish(&mut self, event: Event) {
        self.events.send(event);
    }

    fn subscribe_for_pools(&mut self) -> tokio::sync::broadcast::Receiver<Event> {
        self.own_receivers.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.events.subscribe()
    }

    fn write_stdin(&mut self, pid: u32, data: &[u8]) -> bool {
        self.stdin.get(&pid).is_some_and(|fd| write_all_nonblocking(fd, data).is_ok())
    }

    fn check_command(&self, config: &ProcessConfig) -> Result<(), CommandError> {
        command::resolve(config, self.ctx.path().as_deref()).map(drop)
    }

    fn reaped(&mut self, pid: u32) {
        for task in [self.probes.remove(&pid), self.health.remove(&pid)].into_iter().flatten() {
            task.abort();
        }
        self.stdin.remove(&pid);
        self.pipes.remove(&pid);
        self.children.remove(pid);
        if let Some(m) = self.socket_holders.remove(&pid) {
            self.release_socket(&m);
        }
    }

    fn close_pipes(&mut self, pid: u32, which: Option<(Channel, u64)>) -> Vec<OpenPipe> {
        let Some(pipes) = self.pipes.get_mut(&pid) else { return Vec::new() };
        match which {
            Some((c, spawn)) => pipes
                .iter()
                .position(|p| p.channel == c && p.spawn == spawn)
                .map(|at| pipes.remove(at))
                .into_iter()
                .collect(),
            None => std::mem::take(pipes),
        }
    }

    fn set_listener_group(&mut self, group: &str, listener: bool) {
        if listener {
            self.listener_groups.insert(group.to_owned());
        } else {
            self.listener_groups.remove(group);
        }
    }

    fn add_socket(&mut self, group: &str, config: &crate::config::FcgiSocketConfig) {
        self.make_socket(group, config);
    }

    fn remove_socket(&mut self, group: &str) {
        self.sockets.remove(group);
    }

    fn forget_logs(&mut self, namespec: &str) {
        self.io.remove(namespec);
    }

    fn clear_logs(&mut self, config: &ProcessConfig) -> std::io::Result<()> {
        self.clear_files(config)
    }

    fn reopen_logs(&mut self) {
        self.reopen_all();
    }

    fn main_log_path(&self) -> Option<std::path::PathBuf> {
        self.mainlog.lock().ok().and_then(|m| m.path().map(std::path::PathBuf::from))
    }

    fn output_bytes(&self, config: &ProcessConfig) -> (u64, u64) {
        use std::sync::atomic::Ordering::Relaxed;
        self.io.get(&config.namespec()).map_or((0, 0), |io| {
            (io.bytes[Channel::Stdout.index()].load(Relaxed), io.bytes[Channel::Stderr.index()].load(Relaxed))
        })
    }
}

/// A child's environment from its layers, lowest first (files read now).
fn layered_environment(
    layers: &[crate::config::EnvLayer],
) -> Result<std::collections::BTreeMap<String, String>, crate::config::EnvFileError> {
    let mut env = std::collections::BTreeMap::new();
    for layer in layers {
        match layer {
            crate::config::EnvLayer::File(path) => crate::config::read_env_file(path, &mut env)?,
            crate::config::EnvLayer::Values(values) => env.extend(values.clone()),
            #[allow(unreachable_patterns)]
            _ => {}
        }
    }
    Ok(env)
}

/// Writes to a child's stdin without waiting: a full pipe is an error, as a
/// closed one is (4.3.0 buffers; we refuse rather than grow without bound).
fn write_all_nonblocking(fd: &std::os::fd::OwnedFd, mut data: &[u8]) -> Result<(), nix::errno::Errno> {
    while !data.is_empty() {
        let n = nix::unistd::write(fd, data)?;
        data = &data[n..];
    }
    Ok(())
}

#[cfg(test)]
mod pipe_tests {
    use super::*;
    use crate::process::ProcessState;

    #[test]
    fn closed_lines_have_4_3_0_s_shape() {
        let pipe = OpenPipe { channel: Channel::Stderr, fd: 12, listener: false, spawn: 3 };
        let line = pipe.closed_line(2, "cat", ProcessState::Running);
        assert_eq!(
            line,
            "fd 12 closed, stopped monitoring <POutputDispatcher at 139800000013312 for <Subprocess at \
             139700000008192 with name cat in state RUNNING> (stderr)>"
        );
        let listener = OpenPipe { channel: Channel::Stdout, fd: 7, listener: true, spawn: 4 };
        let line = listener.closed_line(2, "lis", ProcessState::Stopping);
        assert!(line.starts_with("fd 7 closed, stopped monitoring <PEventListenerDispatcher at "), "{line}");
        // The process's number stays with its slot; the dispatcher's is new.
        assert!(line.contains(" for <Subprocess at 139700000008192 with name lis in state STOPPING> (stdout)>"));
        assert!(!line.contains("139800000013312"));
    }
}
