//! The running supervisor: start a [`Config`], control its programs
//! through [`Program`] and [`ProcessGroup`] handles, and watch what happens
//! through streams ([`Supervisor::events`], [`Program::output`]).
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::Duration;
//! use supervisor_core::config::{Config, ProgramSpec};
//! use supervisor_core::process::ProcessState;
//! use supervisor_core::supervisor::{RunOptions, Supervisor, Wait};
//!
//! let config = Config::builder().program(ProgramSpec::new("sleeper", "sleep 60").startsecs(0)).build()?;
//! let supervisor = Supervisor::start(config, RunOptions::default())?;
//! let sleeper = supervisor.program("sleeper");
//! sleeper.wait_for(ProcessState::Running, Duration::from_secs(10)).await?;
//! sleeper.stop(Wait::Yes).await?;
//! assert_eq!(sleeper.state().await?, ProcessState::Stopped);
//! supervisor.shutdown().await?;
//! # Ok(())
//! # }
//! ```
//!
//! A supervisor lives as long as its handles: [`Supervisor::shutdown`]
//! stops every process as supervisord does (`stopwaitsecs` and all);
//! dropping the last handle without it kills every child's process group
//! at once, so nothing is left behind either way.

mod actor;
mod bus;
mod capture;
mod child_log;
mod engine;
mod error;
mod fcgi;
mod handles;
mod host;
mod info;
mod lifeline;
mod metrics;
mod names;
mod news;
mod output;
mod pools;
mod reader;
mod ready;
mod streams;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use tokio::sync::{mpsc, oneshot};

pub use error::{ControlError, WaitError};
pub use handles::{ProcessGroup, Program, Wait};
pub use info::{ProcessInfo, ProcessSnapshot, format_uptime};
pub use lifeline::{Ended, EngineError, ShutdownCause};
pub use metrics::{MetricsSnapshot, ProcessMetrics, Restarts};
pub use names::{ProcessName, Target};
pub use streams::{EventStream, Lagged, OutputChunk, OutputStream, StateChange, StateStream};

pub use crate::platform::SpawnContext;

use self::bus::Bus;
use self::engine::{Engine, Pending, Request};
use self::host::RealHost;
use self::lifeline::{LiveChildren, Outcome};
use self::streams::Only;
use crate::config::{Config, ConfigDiff, GroupConfig, LogFile, LogLevel};
use crate::events::{Channel, Event};
use crate::logging::MainLog;
pub use crate::logging::{LogRange, LogTail};
use crate::platform::reap;
use crate::platform::spawn_thread::SpawnThread;
use crate::process::SupervisorState;
use crate::signals::Signal;

/// How a [`Supervisor`] runs, beyond its [`Config`].
#[non_exhaustive]
pub struct RunOptions {
    /// supervisord's log, shared so the embedder can write to it too;
    /// `None` discards log lines.
    pub mainlog: Option<Arc<Mutex<MainLog>>>,
    /// What children inherit.
    pub spawn: SpawnContext,
    /// How far a stream's reader may fall behind before it misses events
    /// (and is told so, [`Lagged`]). The ring of that many events is made
    /// when the first stream (or event listener pool) subscribes.
    pub event_capacity: usize,
    /// The runtime the engine runs on; `None` is the caller's own.
    pub runtime: Option<tokio::runtime::Handle>,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions { mainlog: None, spawn: SpawnContext::from_process(), event_capacity: 4096, runtime: None }
    }
}

impl RunOptions {
    /// The defaults, writing supervisord's log lines to `mainlog`.
    pub fn with_mainlog(mut self, mainlog: Arc<Mutex<MainLog>>) -> RunOptions {
        self.mainlog = Some(mainlog);
        self
    }

    /// The defaults, with children inheriting `spawn`.
    pub fn with_spawn_context(mut self, spawn: SpawnContext) -> RunOptions {
        self.spawn = spawn;
        self
    }

    /// The defaults, with the engine on `runtime`: a supervisor can then be
    /// started from outside any runtime (a plain `main`, a test thread).
    ///
    /// ```
    /// use supervisor_core::config::{Config, ProgramSpec};
    /// use supervisor_core::supervisor::{RunOptions, Supervisor};
    ///
    /// let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    /// let config = Config::builder().program(ProgramSpec::new("idle", "sleep 60").autostart(false)).build()?;
    /// let sv = Supervisor::start(config, RunOptions::default().with_runtime(runtime.handle().clone()))?;
    /// runtime.block_on(sv.shutdown())?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_runtime(mut self, runtime: tokio::runtime::Handle) -> RunOptions {
        self.runtime = Some(runtime);
        self
    }
}

/// Why a supervisor could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RunError {
    /// Not inside a tokio runtime, and none was given
    /// ([`RunOptions::with_runtime`]).
    #[error("Supervisor::start must be called inside a tokio runtime, or be given one (RunOptions::with_runtime)")]
    NoRuntime,
    /// An AUTO log file could not be created.
    #[error("could not create an AUTO log file in {dir}: {source}")]
    AutoLog {
        /// `childlogdir`.
        dir: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The thread children are started from could not be made.
    #[error("could not start the spawn thread: {0}")]
    SpawnThread(#[source] std::io::Error),
}

/// A handle to a running supervisor. Cheap to clone.
///
/// [`Supervisor::shutdown`] stops every process gracefully and returns
/// once all are gone. Dropping the last handle without it kills every
/// child's process group at once (SIGKILL), as nothing could wait for a
/// graceful stop.
#[derive(Clone)]
pub struct Supervisor {
    /// First, so the last handle kills its children before its request
    /// channel closes: the engine's graceful stop, which that close starts,
    /// would otherwise reap a leader (taking it out of the live set) while
    /// its children still run.
    life: Arc<Lifeline>,
    requests: mpsc::Sender<Request>,
    bus: Bus,
    /// `childlogdir` and `identifier`, for AUTO logs of groups added later.
    auto_logs: Arc<(PathBuf, String)>,
}

/// What the last handle takes down with it.
struct Lifeline {
    children: Arc<LiveChildren>,
    outcome: Outcome,
}

impl Drop for Lifeline {
    fn drop(&mut self) {
        // After a shutdown there is nobody left; otherwise nothing can wait
        // for a graceful stop, and no child may outlive its supervisor.
        self.children.kill_all();
    }
}

/// One process's outcome in an operation on several.
pub type ProcessResult = (ProcessName, Result<(), ControlError>);

impl Supervisor {
    /// Starts supervising `config`'s groups; autostart programs start now.
    /// The engine runs as a task on the caller's tokio runtime (either
    /// flavour), or on the one [`RunOptions::with_runtime`] gives. Events sent before a stream is made are not
    /// seen; [`Supervisor::start_with_events`] sees every one.
    pub fn start(config: Config, options: RunOptions) -> Result<Supervisor, RunError> {
        Supervisor::start_with(config, options, |_| ()).map(|(s, ())| s)
    }

    /// [`Supervisor::start`], with an [`EventStream`] made before the first
    /// process starts, so no event is missed.
    pub fn start_with_events(config: Config, options: RunOptions) -> Result<(Supervisor, EventStream), RunError> {
        Supervisor::start_with(config, options, Supervisor::events)
    }

    /// [`Supervisor::start`], calling `before` with the handle before the
    /// first process starts: streams it makes miss nothing.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use futures_util::StreamExt;
    /// use supervisor_core::config::{Config, ProgramSpec};
    /// use supervisor_core::supervisor::{RunOptions, Supervisor};
    ///
    /// let config = Config::builder().program(ProgramSpec::new("hi", "echo hi").startsecs(0)).build()?;
    /// let (sv, mut output) = Supervisor::start_with(config, RunOptions::default(), Supervisor::output)?;
    /// let first = output.next().await.expect("open")?;
    /// assert_eq!((first.process.name(), &first.data[..]), ("hi", &b"hi\n"[..]));
    /// sv.shutdown().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn start_with<T>(
        config: Config,
        options: RunOptions,
        before: impl FnOnce(&Supervisor) -> T,
    ) -> Result<(Supervisor, T), RunError> {
        let runtime = match options.runtime {
            Some(runtime) => runtime,
            None => tokio::runtime::Handle::try_current().map_err(|_| RunError::NoRuntime)?,
        };
        let groups = resolve_auto_logs(config.groups, &config.supervisord.childlogdir, &config.supervisord.identifier)?;
        let bus = Bus::new(options.event_capacity);
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
        let children = Arc::new(LiveChildren::default());
        let own_receivers: Arc<std::sync::atomic::AtomicUsize> = Arc::default();
        let pump_context = Arc::new(output::PumpContext {
            strip_ansi: config.supervisord.strip_ansi,
            events: bus.clone(),
            own_receivers: Arc::clone(&own_receivers),
            mainlog: Arc::clone(&mainlog),
            news: news_tx.clone(),
        });
        let host = RealHost {
            ctx: Arc::new(options.spawn),
            spawner: Arc::new(SpawnThread::start().map_err(RunError::SpawnThread)?),
            probes: HashMap::new(),
            health: HashMap::new(),
            children: Arc::clone(&children),
            exits: exits_tx,
            events: bus.clone(),
            own_receivers,
            mainlog,
            io: HashMap::new(),
            stdin: HashMap::new(),
            listener_groups: std::collections::HashSet::new(),
            sockets: HashMap::new(),
            socket_holders: HashMap::new(),
            news: news_tx,
            pipes: HashMap::new(),
            pump_context,
            spawns: 0,
        };
        let (requests, requests_rx) = mpsc::channel(1024);
        let engine = Engine::new(groups, host, &config.supervisord.identifier);
        let (told, outcome) = lifeline::outcome();
        let auto_logs = Arc::new((config.supervisord.childlogdir, config.supervisord.identifier));
        let life = Arc::new(Lifeline { children: Arc::clone(&children), outcome });
        let supervisor = Supervisor { life, requests, bus, auto_logs };
        let early = before(&supervisor);
        lifeline::spawn_engine(&runtime, actor::run(engine, requests_rx, exits_rx, news_rx), children, told);
        Ok((supervisor, early))
    }

    /// A handle on the program `name` (`[program:name]`), in whichever
    /// group holds it. Made at once; a name that matches nothing fails each
    /// call with [`ControlError::BadName`].
    pub fn program(&self, name: &str) -> Program {
        Program::new(self.clone(), None, name)
    }

    /// A handle on the group `name`. Made at once; a name that matches
    /// nothing fails each call with [`ControlError::BadName`].
    pub fn group(&self, name: &str) -> ProcessGroup {
        ProcessGroup::new(self.clone(), name)
    }

    /// A handle on every program, in start order.
    pub async fn programs(&self) -> Vec<Program> {
        let mut out: Vec<Program> = Vec::new();
        for group in self.group_configs().await {
            for p in &group.processes {
                let program = names::program_of(&p.section);
                if !out.iter().any(|h| h.group_name() == Some(group.name.as_str()) && h.name() == program) {
                    out.push(Program::new(self.clone(), Some(group.name.clone()), program));
                }
            }
        }
        out
    }

    /// A handle on every group, in start order.
    pub async fn groups(&self) -> Vec<ProcessGroup> {
        self.group_configs().await.into_iter().map(|g| ProcessGroup::new(self.clone(), &g.name)).collect()
    }

    /// Every event from now on but output: state changes, groups added and
    /// removed, the supervisor's own state. Reading it costs the output
    /// path nothing.
    pub fn events(&self) -> EventStream {
        EventStream::new(self.bus.subscribe_states(), self.bus.dropped().clone())
    }

    /// Every process's output from now on.
    pub fn output(&self) -> OutputStream {
        OutputStream::new(self.bus.subscribe(), Only::Any, self.bus.dropped().clone())
    }

    /// Every process's state changes from now on.
    pub fn states(&self) -> StateStream {
        StateStream::new(self.bus.subscribe_states(), Only::Any, self.bus.dropped().clone())
    }

    pub(crate) fn output_of(&self, only: Only) -> OutputStream {
        OutputStream::new(self.bus.subscribe(), only, self.bus.dropped().clone())
    }

    pub(crate) fn states_of(&self, only: Only) -> StateStream {
        StateStream::new(self.bus.subscribe_states(), only, self.bus.dropped().clone())
    }

    /// Every event from now on, output included, as the engine sends them
    /// (the event listener protocol's view).
    pub fn all_events(&self) -> EventStream {
        EventStream::new(self.bus.subscribe(), self.bus.dropped().clone())
    }

    /// Resolves once the engine has ended: after a shutdown, or a program's
    /// `shutdown_on` (then [`Ended::cause`] says which and why), `Ok`; if it
    /// panicked or its runtime went away first, why.
    pub async fn closed(&self) -> Result<Ended, EngineError> {
        lifeline::closed(self.life.outcome.clone()).await
    }

    async fn ask<T>(&self, make: impl FnOnce(oneshot::Sender<T>) -> Request) -> Option<T> {
        let (tx, rx) = oneshot::channel();
        self.requests.send(make(tx)).await.ok()?;
        rx.await.ok()
    }

    async fn ask_result<T>(
        &self,
        make: impl FnOnce(oneshot::Sender<Result<T, ControlError>>) -> Request,
    ) -> Result<T, ControlError> {
        self.ask(make).await.unwrap_or(Err(ControlError::ShuttingDown))
    }

    /// The supervisor's state.
    pub async fn state(&self) -> SupervisorState {
        self.ask(Request::State).await.unwrap_or(SupervisorState::Shutdown)
    }

    /// One process.
    pub async fn info(&self, process: &ProcessName) -> Result<ProcessInfo, ControlError> {
        let snapshots = self.snapshots(Target::Process(process.clone())).await?;
        snapshots.first().map(ProcessSnapshot::info).ok_or_else(|| ControlError::BadName(process.to_string()))
    }

    /// The target's processes, in start order.
    pub async fn snapshots(&self, target: Target) -> Result<Vec<ProcessSnapshot>, ControlError> {
        self.ask_result(|r| Request::Info(target, r)).await
    }

    /// Every process, sorted by group then name.
    pub async fn processes(&self) -> Vec<ProcessInfo> {
        self.process_snapshots().await.iter().map(ProcessSnapshot::info).collect()
    }

    /// Every process, sorted by group then name, as the supervisor holds it
    /// (cheaper than [`Supervisor::processes`] for a large fleet).
    pub async fn process_snapshots(&self) -> Vec<ProcessSnapshot> {
        self.ask(Request::AllInfo).await.unwrap_or_default()
    }

    /// Starts the target's processes: one process, or of a program, group
    /// or all, those not already running (in start order). With
    /// [`Wait::Yes`] each result comes once its process is RUNNING or has
    /// failed to start; the waits overlap. One request to the engine.
    pub async fn start_processes(
        &self,
        target: impl Into<Target>,
        wait: Wait,
    ) -> Result<Vec<ProcessResult>, ControlError> {
        let target = target.into();
        let pending = self.ask_result(|r| Request::Start(target, wait.is_yes(), r)).await?;
        Ok(settle(pending).await)
    }

    /// Stops the target's processes: one process, or of a program, group
    /// or all, those running (highest priority first; results in start
    /// order, as 4.3.0's). With [`Wait::Yes`] each result comes once its
    /// process has stopped.
    pub async fn stop_processes(
        &self,
        target: impl Into<Target>,
        wait: Wait,
    ) -> Result<Vec<ProcessResult>, ControlError> {
        let target = target.into();
        let pending = self.ask_result(|r| Request::Stop(target, wait.is_yes(), r)).await?;
        Ok(settle(pending).await)
    }

    /// Sends `signal` to the target's processes: one process, or of a
    /// program, group or all, those that can take one.
    pub async fn signal_processes(
        &self,
        target: impl Into<Target>,
        signal: Signal,
    ) -> Result<Vec<ProcessResult>, ControlError> {
        let target = target.into();
        self.ask_result(|r| Request::Signal(target, signal, r)).await
    }

    /// Writes `data` to a running process's stdin.
    pub async fn send_stdin(&self, process: &ProcessName, data: impl Into<Vec<u8>>) -> Result<(), ControlError> {
        let (process, data) = (process.clone(), data.into());
        self.ask_result(|r| Request::SendStdin(process, data, r)).await
    }

    /// Publishes a REMOTE_COMMUNICATION event (`sendRemoteCommEvent`).
    pub fn send_remote_comm_event(&self, kind: &str, data: &str) {
        self.bus.send(Event::RemoteCommunication { kind: kind.to_owned(), data: data.to_owned() });
    }

    /// Reopens every log file (what SIGUSR2 does).
    pub async fn reopen_logs(&self) {
        let _ = self.ask(Request::ReopenLogs).await;
    }

    /// Empties a process's log files.
    pub async fn clear_logs(&self, process: &ProcessName) -> Result<(), ControlError> {
        let process = process.clone();
        self.ask_result(|r| Request::ClearLog(process, r)).await
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
            let stopped = self.stop_processes(Target::Group(group.name.clone()), Wait::Yes).await;
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
    /// added, vanished ones removed. Returns the processes restarted, added
    /// or removed.
    pub async fn update_group(
        &self,
        group: GroupConfig,
        unchanged: &[String],
    ) -> Result<Vec<ProcessName>, ControlError> {
        let current = self.group_configs().await.into_iter().find(|g| g.name == group.name);
        let current = current.ok_or_else(|| ControlError::BadName(group.name.clone()))?;
        let mut touched = Vec::new();
        for p in current.processes.iter().filter(|p| !unchanged.contains(&p.name)) {
            let name = ProcessName::new(p.group.clone(), p.name.clone());
            match self.stop_processes(name.clone(), Wait::Yes).await.map(first_result) {
                Ok(Ok(()) | Err(ControlError::NotRunning(_))) => {}
                Ok(Err(e)) | Err(e) => return Err(e),
            }
            touched.push(name);
        }
        for p in group.processes.iter().filter(|p| !unchanged.contains(&p.name)) {
            let name = ProcessName::new(p.group.clone(), p.name.clone());
            if !touched.contains(&name) {
                touched.push(name);
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
        let name = name.to_owned();
        self.ask_result(|r| Request::RemoveGroup(name, r)).await
    }

    /// The groups being supervised, in start order, as configured (AUTO
    /// logs resolved to their files).
    pub async fn group_configs(&self) -> Vec<GroupConfig> {
        self.shared_group_configs().await.iter().map(|g| GroupConfig::clone(g)).collect()
    }

    /// [`Supervisor::group_configs`], shared with the supervisor instead
    /// of copied: for a caller that keeps them (supervisord's API keeps
    /// them to diff a reread against).
    pub async fn shared_group_configs(&self) -> Vec<Arc<GroupConfig>> {
        self.ask(Request::Groups).await.unwrap_or_default()
    }

    /// A process's log file on `channel`, if it has one.
    pub async fn log_file(&self, process: &ProcessName, channel: Channel) -> Result<Option<PathBuf>, ControlError> {
        let info = self.info(process).await?;
        Ok(match channel {
            Channel::Stdout => info.stdout_log,
            Channel::Stderr => info.stderr_log,
        })
    }

    /// Bytes of a process's log.
    pub async fn read_log(
        &self,
        process: &ProcessName,
        channel: Channel,
        range: LogRange,
    ) -> Result<Vec<u8>, ControlError> {
        let path = self.log_file(process, channel).await?;
        let path = path.filter(|p| p.exists()).ok_or_else(|| ControlError::NoFile(process.to_string()))?;
        crate::logging::read_range(&path, range).map_err(|e| ControlError::Failed(format!("{}: {e}", path.display())))
    }

    /// The newest bytes of a process's log, at most `max` of them, from
    /// `offset` on (`supervisorctl tail -f` calls this in a loop with the
    /// last `next_offset`). No log yet reads as empty.
    pub async fn tail_log(
        &self,
        process: &ProcessName,
        channel: Channel,
        offset: u64,
        max: u64,
    ) -> Result<LogTail, ControlError> {
        let path = self.log_file(process, channel).await?;
        let Some(path) = path.filter(|p| p.exists()) else {
            return Ok(LogTail { data: Vec::new(), next_offset: 0, overflow: false });
        };
        crate::logging::tail(&path, offset, max).map_err(|e| ControlError::Failed(format!("{}: {e}", path.display())))
    }

    /// Every process's figures and the supervisor's (see
    /// [`MetricsSnapshot`]): the engine's counters, and CPU and memory
    /// read from `/proc` now (off the engine, on a blocking thread).
    pub async fn metrics(&self) -> MetricsSnapshot {
        let figures = self.ask(Request::Metrics).await;
        let (state, pool_dropped, mut processes) = figures
            .map_or((SupervisorState::Shutdown, 0, Vec::new()), |f| (f.state, f.pool_events_dropped, f.processes));
        let pids: Vec<u32> = processes.iter().filter_map(|p| p.pid).collect();
        let read = move || (crate::platform::usage::usage(&pids), crate::platform::usage::own());
        let (usage, (own_rss, own_fds)) = tokio::task::spawn_blocking(read).await.unwrap_or_default();
        for p in &mut processes {
            if let Some(u) = p.pid.and_then(|pid| usage.get(&pid)) {
                p.cpu_seconds = Some(u.cpu_seconds);
                p.resident_memory_bytes = Some(u.resident_bytes);
            }
        }
        let streams_dropped = self.bus.dropped().load(std::sync::atomic::Ordering::Relaxed);
        MetricsSnapshot {
            taken: std::time::SystemTime::now(),
            state,
            events_dropped: streams_dropped + pool_dropped,
            own_resident_memory_bytes: own_rss,
            own_open_fds: own_fds,
            processes,
        }
    }

    /// `[supervisord] identifier`.
    pub fn identifier(&self) -> &str {
        &self.auto_logs.1
    }

    /// The path of supervisord's own log, when it writes one.
    pub async fn main_log_path(&self) -> Option<PathBuf> {
        self.ask(Request::MainLogPath).await.flatten()
    }

    /// Stops every process (groups one at a time, highest priority first)
    /// and ends the supervisor; returns once every child is gone, with how
    /// the engine ended. Other handles see [`ControlError::ShuttingDown`]
    /// from then on.
    pub async fn shutdown(self) -> Result<(), EngineError> {
        self.begin_shutdown().await;
        self.closed().await.map(drop)
    }

    /// Asks for a shutdown and waits until every process has stopped,
    /// without giving up the handle (supervisord's loop needs it after).
    pub async fn begin_shutdown(&self) {
        let _ = self.ask(Request::Shutdown).await;
    }
}

/// Awaits each process's answer, in order.
async fn settle(pending: Vec<Pending>) -> Vec<ProcessResult> {
    let mut out = Vec::with_capacity(pending.len());
    for (name, rx) in pending {
        out.push((name, rx.await.unwrap_or(Err(ControlError::ShuttingDown))));
    }
    out
}

/// The result of an operation on one process.
fn first_result(results: Vec<ProcessResult>) -> Result<(), ControlError> {
    results.into_iter().next().map_or(Ok(()), |(_, r)| r)
}

/// Gives every AUTO log a file in `childlogdir`, named as 4.3.0 names them
/// (`<name>-<channel>---<identifier>-<random>.log`).
fn resolve_auto_logs(mut groups: Vec<GroupConfig>, dir: &Path, identifier: &str) -> Result<Vec<GroupConfig>, RunError> {
    for group in &mut groups {
        for p in &mut group.processes {
            // Only a process with an AUTO log is changed; a config nobody
            // else holds is changed in place (an AUTO log stays equal to
            // `AUTO`, so a caller may keep the resolved configs for a
            // later diff instead of a copy as read). An AUTO log resolved
            // before (a restart with the same configs) gets a new file.
            if !p.stdout.logfile.is_auto() && !p.stderr.logfile.is_auto() {
                continue;
            }
            let p = Arc::make_mut(p);
            for (channel, config) in [("stdout", &mut p.stdout), ("stderr", &mut p.stderr)] {
                if !config.logfile.is_auto() {
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
                config.logfile = LogFile::AutoFile(path);
            }
        }
    }
    Ok(groups)
}
