//! The running supervisor: start a [`Config`], control its processes through
//! an async handle, and watch what happens through [`Supervisor::subscribe`].
//!
//! ```no_run
//! use supervisor_core::config::Config;
//! use supervisor_core::events::Event;
//! use supervisor_core::process::ProcessState;
//! use supervisor_core::supervisor::{RunOptions, Supervisor};
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let config = Config::from_str("[supervisord]\n[program:sleeper]\ncommand=sleep 60\nstartsecs=0\n", "/tmp/s.conf")?;
//! let (supervisor, mut events) = Supervisor::start_subscribed(config, RunOptions::default())?;
//! while let Ok(event) = events.recv().await {
//!     if let Event::ProcessState { name, transition, .. } = event {
//!         if transition.to == ProcessState::Running {
//!             println!("{name} is up");
//!             break;
//!         }
//!     }
//! }
//! supervisor.shutdown().await;
//! # Ok(())
//! # }
//! ```

mod actor;
mod capture;
mod error;
mod fcgi;
mod host;
mod info;
mod output;
mod pools;

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use tokio::sync::{broadcast, mpsc, oneshot};

pub use error::ControlError;
pub use info::{ProcessInfo, ProcessSnapshot, format_uptime};

use self::actor::{Actor, Request};
use self::host::RealHost;
use crate::config::{Config, ConfigDiff, GroupConfig, LogFile, LogLevel};
use crate::events::{Channel, Event};
use crate::logging::{MainLog, ReadError, read_file, tail_file};
use crate::platform::SpawnContext;
use crate::platform::reap;
use crate::process::SupervisorState;
use crate::signals::Signal;

/// How a [`Supervisor`] runs, beyond its [`Config`].
pub struct RunOptions {
    /// supervisord's log, shared so the embedder can write to it too;
    /// `None` discards log lines.
    pub mainlog: Option<Arc<Mutex<MainLog>>>,
    /// What children inherit.
    pub spawn: SpawnContext,
    /// Capacity of the event stream; a subscriber that falls this far
    /// behind loses the oldest events (`RecvError::Lagged`).
    pub event_capacity: usize,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions { mainlog: None, spawn: SpawnContext::from_process(), event_capacity: 4096 }
    }
}

/// Why a supervisor could not start.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// Not inside a tokio runtime.
    #[error("Supervisor::start must be called inside a tokio runtime")]
    NoRuntime,
    /// An AUTO log file could not be created.
    #[error("could not create an AUTO log file in {dir}: {source}")]
    AutoLog {
        /// `childlogdir`.
        dir: std::path::PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// A handle to a running supervisor. Cheap to clone; the supervisor shuts
/// down (stopping every process) when the last handle is dropped or
/// [`Supervisor::shutdown`] is called.
#[derive(Clone)]
pub struct Supervisor {
    requests: mpsc::Sender<Request>,
    events: broadcast::Sender<Event>,
    /// `childlogdir` and `identifier`, for AUTO logs of groups added later.
    auto_logs: Arc<(std::path::PathBuf, String)>,
}

/// One process's outcome in a group operation.
pub type ProcessResult = (String, Result<(), ControlError>);

impl Supervisor {
    /// Starts supervising `config`'s groups; autostart programs start now.
    /// Events sent before [`Supervisor::subscribe`] is called are not seen;
    /// use [`Supervisor::start_subscribed`] to see every one.
    pub fn start(config: Config, options: RunOptions) -> Result<Supervisor, RunError> {
        Supervisor::start_subscribed(config, options).map(|(s, _)| s)
    }

    /// [`Supervisor::start`], with a subscription made before the first
    /// process starts, so no event is missed.
    pub fn start_subscribed(
        config: Config,
        options: RunOptions,
    ) -> Result<(Supervisor, broadcast::Receiver<Event>), RunError> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| RunError::NoRuntime)?;
        let groups = resolve_auto_logs(config.groups, &config.supervisord.childlogdir, &config.supervisord.identifier)?;
        let (events, first) = broadcast::channel(options.event_capacity.max(16));
        let (exits_tx, exits_rx) = mpsc::unbounded_channel();
        let (news_tx, news_rx) = mpsc::unbounded_channel();
        reap::listen_for_orphans(exits_tx.clone());
        let mainlog =
            options.mainlog.unwrap_or_else(|| Arc::new(Mutex::new(MainLog::stdout_only(LogLevel::Critical, false))));
        if !crate::platform::handoff::available()
            && let Ok(mut log) = mainlog.lock()
        {
            // Said once, so a slower start under a strict seccomp profile
            // (no close_range) has an explanation.
            log.log(LogLevel::Info, "close_range refused or /dev/null missing: each start copies the descriptor table");
        }
        let host = RealHost {
            ctx: options.spawn,
            exits: exits_tx,
            events: events.clone(),
            own_receivers: Arc::default(),
            mainlog,
            io: HashMap::new(),
            stdin: HashMap::new(),
            strip_ansi: config.supervisord.strip_ansi,
            listener_groups: std::collections::HashSet::new(),
            sockets: std::collections::HashMap::new(),
            socket_holders: std::collections::HashMap::new(),
            news: news_tx,
            pipes: HashMap::new(),
            spawns: 0,
        };
        let (requests, requests_rx) = mpsc::channel(1024);
        let actor = Actor::new(groups, host, &config.supervisord.identifier);
        runtime.spawn(actor.run(requests_rx, exits_rx, news_rx));
        let auto_logs = Arc::new((config.supervisord.childlogdir, config.supervisord.identifier));
        Ok((Supervisor { requests, events, auto_logs }, first))
    }

    /// Every event from now on: transitions, output, group changes.
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.events.subscribe()
    }

    async fn ask<T>(&self, make: impl FnOnce(oneshot::Sender<T>) -> Request) -> Option<T> {
        let (tx, rx) = oneshot::channel();
        self.requests.send(make(tx)).await.ok()?;
        rx.await.ok()
    }

    async fn ask_result(
        &self,
        make: impl FnOnce(oneshot::Sender<Result<(), ControlError>>) -> Request,
    ) -> Result<(), ControlError> {
        self.ask(make).await.unwrap_or(Err(ControlError::ShuttingDown))
    }

    /// The supervisor's state.
    pub async fn state(&self) -> SupervisorState {
        self.ask(Request::State).await.unwrap_or(SupervisorState::Shutdown)
    }

    /// One process by `name` or `group:name`.
    pub async fn process_info(&self, namespec: &str) -> Result<ProcessInfo, ControlError> {
        self.ask(|r| Request::Info(namespec.to_owned(), r)).await.unwrap_or(Err(ControlError::ShuttingDown))
    }

    /// Every process, sorted by group then name.
    pub async fn all_process_info(&self) -> Vec<ProcessInfo> {
        self.process_snapshots().await.iter().map(ProcessSnapshot::info).collect()
    }

    /// Every process, sorted by group then name, as the supervisor holds it
    /// (cheaper than [`Supervisor::all_process_info`] for a large fleet).
    pub async fn process_snapshots(&self) -> Vec<ProcessSnapshot> {
        self.ask(Request::AllInfo).await.unwrap_or_default()
    }

    /// Starts a process; with `wait`, returns once it is RUNNING.
    pub async fn start_process(&self, namespec: &str, wait: bool) -> Result<(), ControlError> {
        self.ask_result(|r| Request::Start(namespec.to_owned(), wait, r)).await
    }

    /// Stops a process; with `wait`, returns once it has stopped.
    pub async fn stop_process(&self, namespec: &str, wait: bool) -> Result<(), ControlError> {
        self.ask_result(|r| Request::Stop(namespec.to_owned(), wait, r)).await
    }

    /// Stops a process if it runs, then starts it (`supervisorctl restart`).
    pub async fn restart_process(&self, namespec: &str, wait: bool) -> Result<(), ControlError> {
        match self.stop_process(namespec, true).await {
            Ok(()) | Err(ControlError::NotRunning(_)) => {}
            Err(e) => return Err(e),
        }
        self.start_process(namespec, wait).await
    }

    /// Sends a signal to a running process.
    pub async fn signal_process(&self, namespec: &str, signal: Signal) -> Result<(), ControlError> {
        self.ask_result(|r| Request::Signal(namespec.to_owned(), signal, r)).await
    }

    /// Writes to a running process's stdin.
    pub async fn send_stdin(&self, namespec: &str, data: impl Into<Vec<u8>>) -> Result<(), ControlError> {
        let data = data.into();
        self.ask_result(|r| Request::SendStdin(namespec.to_owned(), data, r)).await
    }

    /// Publishes a REMOTE_COMMUNICATION event (`sendRemoteCommEvent`).
    pub fn send_remote_comm_event(&self, kind: &str, data: &str) {
        let _ = self.events.send(Event::RemoteCommunication { kind: kind.to_owned(), data: data.to_owned() });
    }

    /// Reopens every log file (what SIGUSR2 does).
    pub async fn reopen_logs(&self) {
        let _ = self.ask(Request::ReopenLogs).await;
    }

    /// Empties a process's log files.
    pub async fn clear_logs(&self, namespec: &str) -> Result<(), ControlError> {
        self.ask_result(|r| Request::ClearLog(namespec.to_owned(), r)).await
    }

    async fn members(&self, group: Option<&str>) -> Result<Vec<String>, ControlError> {
        self.ask(|r| Request::Members(group.map(str::to_owned), r)).await.unwrap_or(Err(ControlError::ShuttingDown))
    }

    /// Starts every stopped process of a group (all groups with `None`);
    /// with `wait`, each result comes once that process is RUNNING or failed.
    pub async fn start_group(&self, group: Option<&str>, wait: bool) -> Result<Vec<ProcessResult>, ControlError> {
        let names = self.members(group).await?;
        self.fan_out(names, false, |name, reply| Request::Start(name, wait, reply)).await
    }

    /// Stops every running process of a group (all groups with `None`),
    /// highest priority first; the results come in start order, as
    /// 4.3.0's do.
    pub async fn stop_group(&self, group: Option<&str>, wait: bool) -> Result<Vec<ProcessResult>, ControlError> {
        let mut names = self.members(group).await?;
        names.reverse();
        let mut results = self.fan_out(names, true, |name, reply| Request::Stop(name, wait, reply)).await?;
        results.reverse();
        Ok(results)
    }

    /// Sends one request per process whose running-ness equals `running`,
    /// all before awaiting any, so the waits overlap as in 4.3.0.
    async fn fan_out(
        &self,
        names: Vec<String>,
        running: bool,
        make: impl Fn(String, oneshot::Sender<Result<(), ControlError>>) -> Request,
    ) -> Result<Vec<ProcessResult>, ControlError> {
        let mut pending = Vec::new();
        for name in names {
            if self.process_info(&name).await?.state.is_running() != running {
                continue;
            }
            let (tx, rx) = oneshot::channel();
            self.requests.send(make(name.clone(), tx)).await.map_err(|_| ControlError::ShuttingDown)?;
            pending.push((name, rx));
        }
        let mut out = Vec::new();
        for (name, rx) in pending {
            out.push((name, rx.await.unwrap_or(Err(ControlError::ShuttingDown))));
        }
        Ok(out)
    }

    /// Adds a group (4.3.0's `addProcessGroup`); its autostart programs
    /// start at once.
    pub async fn add_group(&self, group: GroupConfig) -> Result<(), ControlError> {
        let (dir, identifier) = &*self.auto_logs;
        let mut resolved =
            resolve_auto_logs(vec![group], dir, identifier).map_err(|e| ControlError::Failed(e.to_string()))?;
        let Some(group) = resolved.pop() else {
            return Ok(());
        };
        self.ask_result(|r| Request::AddGroup(Box::new(group), r)).await
    }

    /// Applies a [`ConfigDiff`] as 4.3.0's `update` does: removed groups are
    /// stopped and removed, changed groups stopped, removed and added again
    /// with their new settings, added groups added. Returns each group's
    /// outcome, in that order.
    pub async fn apply(&self, diff: &ConfigDiff) -> Vec<(String, Result<(), ControlError>)> {
        let mut out = Vec::new();
        for group in diff.removed.iter().chain(&diff.changed) {
            let stopped = self.stop_group(Some(&group.name), true).await;
            let removed = match stopped {
                Ok(_) => self.remove_group(&group.name).await,
                Err(e) => Err(e),
            };
            if diff.removed.contains(group) || removed.is_err() {
                out.push((group.name.clone(), removed));
            }
        }
        for group in diff.changed.iter().chain(&diff.added) {
            out.push((group.name.clone(), self.add_group(group.clone()).await));
        }
        out
    }

    /// Applies new settings to a running group, restarting only what
    /// changed: processes named in `unchanged` keep running; the others are
    /// stopped and started again with their new settings, new ones are
    /// added, vanished ones removed. Returns the namespecs restarted, added
    /// or removed.
    pub async fn update_group(&self, group: GroupConfig, unchanged: &[String]) -> Result<Vec<String>, ControlError> {
        let current = self.groups().await.into_iter().find(|g| g.name == group.name);
        let current = current.ok_or_else(|| ControlError::BadName(group.name.clone()))?;
        let mut touched = Vec::new();
        for p in current.processes.iter().filter(|p| !unchanged.contains(&p.name)) {
            match self.stop_process(&p.namespec(), true).await {
                Ok(()) | Err(ControlError::NotRunning(_)) => {}
                Err(e) => return Err(e),
            }
            touched.push(p.namespec());
        }
        for p in group.processes.iter().filter(|p| !unchanged.contains(&p.name)) {
            if !touched.contains(&p.namespec()) {
                touched.push(p.namespec());
            }
        }
        let (dir, identifier) = &*self.auto_logs;
        let mut fresh = group.clone();
        fresh.processes.retain(|p| !unchanged.contains(&p.name));
        let resolved =
            resolve_auto_logs(vec![fresh], dir, identifier).map_err(|e| ControlError::Failed(e.to_string()))?;
        let mut group = group;
        if let Some(r) = resolved.into_iter().next() {
            for p in &mut group.processes {
                if let Some(q) = r.processes.iter().find(|q| q.name == p.name) {
                    *p = q.clone();
                }
            }
        }
        let keep = unchanged.to_vec();
        self.ask_result(|r| Request::ReplaceGroup(Box::new(group), keep, r)).await?;
        Ok(touched)
    }

    /// Removes a group whose processes are all stopped
    /// (`removeProcessGroup`).
    pub async fn remove_group(&self, name: &str) -> Result<(), ControlError> {
        self.ask_result(|r| Request::RemoveGroup(name.to_owned(), r)).await
    }

    /// The groups being supervised, in start order, as configured (AUTO
    /// logs resolved to their files).
    pub async fn groups(&self) -> Vec<GroupConfig> {
        self.ask(Request::Groups).await.unwrap_or_default()
    }

    /// Bytes of a process's log (`readProcessStdoutLog`): `offset` and
    /// `length` as [`crate::logging::read_file`] takes them.
    pub async fn read_log(
        &self,
        namespec: &str,
        channel: Channel,
        offset: i64,
        length: i64,
    ) -> Result<Vec<u8>, ControlError> {
        let path = self.log_path(namespec, channel).await?;
        read_file(&path, offset, length).map_err(|e| match e {
            ReadError::BadArguments => ControlError::BadArguments,
            ReadError::Failed => ControlError::Failed(namespec.to_owned()),
        })
    }

    /// The newest bytes of a process's log (`tailProcessStdoutLog`):
    /// data, the next offset, and whether bytes were skipped.
    pub async fn tail_log(
        &self,
        namespec: &str,
        channel: Channel,
        offset: i64,
        length: i64,
    ) -> Result<(Vec<u8>, i64, bool), ControlError> {
        let info = self.process_info(namespec).await?;
        let path = match channel {
            Channel::Stdout => info.stdout_logfile,
            Channel::Stderr => info.stderr_logfile,
        };
        if path.is_empty() || !Path::new(&path).exists() {
            return Ok((Vec::new(), 0, false));
        }
        Ok(tail_file(Path::new(&path), offset, length))
    }

    async fn log_path(&self, namespec: &str, channel: Channel) -> Result<std::path::PathBuf, ControlError> {
        let info = self.process_info(namespec).await?;
        let path = match channel {
            Channel::Stdout => info.stdout_logfile,
            Channel::Stderr => info.stderr_logfile,
        };
        if path.is_empty() || !Path::new(&path).exists() {
            return Err(ControlError::NoFile(path));
        }
        Ok(path.into())
    }

    /// The path of supervisord's own log, when it writes one.
    pub async fn main_log_path(&self) -> Option<std::path::PathBuf> {
        self.ask(Request::MainLogPath).await.flatten()
    }

    /// Bytes of supervisord's own log (`readLog`).
    pub async fn read_main_log(&self, offset: i64, length: i64) -> Result<Vec<u8>, ControlError> {
        let path = self.main_log_path().await.ok_or(ControlError::NoFile(String::new()))?;
        if !path.exists() {
            return Err(ControlError::NoFile(path.display().to_string()));
        }
        read_file(&path, offset, length).map_err(|e| match e {
            ReadError::BadArguments => ControlError::BadArguments,
            ReadError::Failed => ControlError::Failed(path.display().to_string()),
        })
    }

    /// Stops every process (groups one at a time, highest priority first)
    /// and ends the supervisor; returns when all are down.
    pub async fn shutdown(&self) {
        let _ = self.ask(Request::Shutdown).await;
    }
}

/// Gives every AUTO log a file in `childlogdir`, named as 4.3.0 names them
/// (`<name>-<channel>---<identifier>-<random>.log`).
fn resolve_auto_logs(mut groups: Vec<GroupConfig>, dir: &Path, identifier: &str) -> Result<Vec<GroupConfig>, RunError> {
    for group in &mut groups {
        for p in &mut group.processes {
            // Only a process with an AUTO log gets a copy of its own (the
            // daemon keeps the unresolved config for `reread`); the rest
            // stay shared.
            if p.stdout.logfile != LogFile::Auto && p.stderr.logfile != LogFile::Auto {
                continue;
            }
            let p = Arc::make_mut(p);
            for (channel, config) in [("stdout", &mut p.stdout), ("stderr", &mut p.stderr)] {
                if config.logfile != LogFile::Auto {
                    continue;
                }
                let file = tempfile::Builder::new()
                    .prefix(&format!("{}-{channel}---{identifier}-", p.name))
                    .suffix(".log")
                    .rand_bytes(8)
                    .tempfile_in(dir)
                    .map_err(|source| RunError::AutoLog { dir: dir.to_path_buf(), source })?;
                let (_, path) =
                    file.keep().map_err(|e| RunError::AutoLog { dir: dir.to_path_buf(), source: e.error })?;
                config.logfile = LogFile::Path(path);
            }
        }
    }
    Ok(groups)
}
