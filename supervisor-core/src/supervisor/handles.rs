//! Handles on one group and one program of a running [`Supervisor`]: cheap
//! to clone, each call one request to the engine.

use std::time::Duration;

use futures_core::Stream;
use tokio::time::Instant;

use super::error::{ControlError, WaitError};
use super::info::ProcessInfo;
use super::names::{ProcessName, Target};
use super::streams::{Lagged, Only, OutputStream, StateStream};
use super::{LogRange, LogTail, ProcessResult, Supervisor};
use crate::config::GroupConfig;
use crate::events::Channel;
use crate::process::ProcessState;
use crate::signals::Signal;

/// Whether a start or stop returns at once or once it has settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Wait {
    /// Return once each process is RUNNING (or failed to start), or has
    /// stopped: what supervisorctl does.
    #[default]
    Yes,
    /// Return once the request is under way.
    No,
}

impl Wait {
    pub(crate) fn is_yes(self) -> bool {
        self == Wait::Yes
    }
}

/// The first failure of an operation on several processes.
fn all_ok(results: Vec<ProcessResult>) -> Result<(), ControlError> {
    results.into_iter().try_for_each(|(_, r)| r)
}

/// A handle on one group of a running supervisor.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use supervisor_core::config::{Config, ProgramSpec};
/// use supervisor_core::supervisor::{RunOptions, Supervisor, Wait};
///
/// let config = Config::builder()
///     .program(ProgramSpec::new("a", "sleep 60").autostart(false))
///     .program(ProgramSpec::new("b", "sleep 60").autostart(false))
///     .group("pair", ["a", "b"])
///     .build()?;
/// let sv = Supervisor::start(config, RunOptions::default())?;
/// let pair = sv.group("pair");
/// let started = pair.start(Wait::No).await?;
/// assert_eq!(started.len(), 2);
/// pair.stop(Wait::Yes).await?;
/// assert!(pair.info().await?.iter().all(|p| p.state.is_stopped()));
/// sv.shutdown().await?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct ProcessGroup {
    sv: Supervisor,
    name: String,
}

impl ProcessGroup {
    pub(crate) fn new(sv: Supervisor, name: &str) -> ProcessGroup {
        ProcessGroup { sv, name: name.to_owned() }
    }

    fn target(&self) -> Target {
        Target::Group(self.name.clone())
    }

    /// The group's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A handle on the program `name` within this group.
    pub fn program(&self, name: &str) -> Program {
        Program::new(self.sv.clone(), Some(self.name.clone()), name)
    }

    /// Starts every process not running, in start order; each one's
    /// result.
    pub async fn start(&self, wait: Wait) -> Result<Vec<ProcessResult>, ControlError> {
        self.sv.start_processes(self.target(), wait).await
    }

    /// Stops every running process, highest priority first; each one's
    /// result, in start order.
    pub async fn stop(&self, wait: Wait) -> Result<Vec<ProcessResult>, ControlError> {
        self.sv.stop_processes(self.target(), wait).await
    }

    /// Stops the group (waiting), then starts it.
    pub async fn restart(&self, wait: Wait) -> Result<Vec<ProcessResult>, ControlError> {
        self.stop(Wait::Yes).await?;
        self.start(wait).await
    }

    /// Sends `signal` to every process that can take one.
    pub async fn signal(&self, signal: Signal) -> Result<Vec<ProcessResult>, ControlError> {
        self.sv.signal_processes(self.target(), signal).await
    }

    /// Every process of the group, in start order.
    pub async fn info(&self) -> Result<Vec<ProcessInfo>, ControlError> {
        let snapshots = self.sv.snapshots(self.target()).await?;
        Ok(snapshots.iter().map(super::ProcessSnapshot::info).collect())
    }

    /// The group's settings, as running.
    pub async fn config(&self) -> Result<GroupConfig, ControlError> {
        let groups = self.sv.group_configs().await;
        groups.into_iter().find(|g| g.name == self.name).ok_or_else(|| ControlError::BadName(self.name.clone()))
    }

    /// The output of every process of the group, from now on.
    pub fn output(&self) -> OutputStream {
        self.sv.output_of(Only::Group(self.name.clone()))
    }

    /// The state changes of every process of the group, from now on.
    pub fn states(&self) -> StateStream {
        self.sv.states_of(Only::Group(self.name.clone()))
    }
}

/// A handle on one program (`[program:x]`) of a running supervisor: its one
/// process, or its `numprocs` processes.
///
/// Operations act on every process of the program and are idempotent: a
/// start leaves running processes be, a stop stopped ones; the first
/// failure is the error. [`Supervisor::start_processes`] with a
/// [`Target::Process`] gives 4.3.0's exact answers for one process.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use std::time::Duration;
/// use futures_util::StreamExt;
/// use supervisor_core::config::{Config, ProgramSpec};
/// use supervisor_core::process::ProcessState;
/// use supervisor_core::supervisor::{RunOptions, Supervisor, Wait};
///
/// let spec = ProgramSpec::new("echo", "cat").autostart(false).stdout_logfile_none();
/// let sv = Supervisor::start(Config::builder().program(spec).build()?, RunOptions::default())?;
/// let echo = sv.program("echo");
/// let mut output = echo.output().await?;
/// echo.start(Wait::Yes).await?;
/// echo.send_stdin("hello\n").await?;
/// let chunk = output.next().await.expect("open")?;
/// assert_eq!(chunk.data, b"hello\n");
/// echo.stop(Wait::Yes).await?;
/// assert_eq!(echo.state().await?, ProcessState::Stopped);
/// sv.shutdown().await?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Program {
    sv: Supervisor,
    group: Option<String>,
    name: String,
}

impl Program {
    pub(crate) fn new(sv: Supervisor, group: Option<String>, name: &str) -> Program {
        Program { sv, group, name: name.to_owned() }
    }

    fn target(&self) -> Target {
        Target::Program { group: self.group.clone(), program: self.name.clone() }
    }

    /// The program's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The group it was asked in, if one was named.
    pub fn group_name(&self) -> Option<&str> {
        self.group.as_deref()
    }

    /// Its processes, in start order.
    pub async fn processes(&self) -> Result<Vec<ProcessName>, ControlError> {
        let snapshots = self.sv.snapshots(self.target()).await?;
        Ok(snapshots.iter().map(super::ProcessSnapshot::process).collect())
    }

    /// Starts every process not running; with [`Wait::Yes`], returns once
    /// they are RUNNING.
    pub async fn start(&self, wait: Wait) -> Result<(), ControlError> {
        all_ok(self.sv.start_processes(self.target(), wait).await?)
    }

    /// Stops every running process; with [`Wait::Yes`], returns once they
    /// have stopped.
    pub async fn stop(&self, wait: Wait) -> Result<(), ControlError> {
        all_ok(self.sv.stop_processes(self.target(), wait).await?)
    }

    /// Stops it (waiting), then starts it.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use std::time::Duration;
    /// use supervisor_core::config::{AutoRestart, Config, ProgramSpec};
    /// use supervisor_core::process::ProcessState;
    /// use supervisor_core::signals::Signal;
    /// use supervisor_core::supervisor::{ControlError, RunOptions, Supervisor, Wait};
    ///
    /// let spec = ProgramSpec::new("svc", "sleep 60").startsecs(0).autorestart(AutoRestart::Never);
    /// let sv = Supervisor::start(Config::builder().program(spec).build()?, RunOptions::default())?;
    /// let svc = sv.program("svc");
    /// svc.wait_for(ProcessState::Running, Duration::from_secs(10)).await?;
    /// let before = svc.info().await?[0].pid;
    /// svc.restart(Wait::Yes).await?;
    /// assert_ne!(svc.info().await?[0].pid, before, "a new process");
    /// svc.signal(Signal::KILL).await?;
    /// svc.wait_for(ProcessState::Exited, Duration::from_secs(10)).await?;
    /// assert!(matches!(svc.signal(Signal::HUP).await, Err(ControlError::NotRunning(_))));
    /// sv.shutdown().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn restart(&self, wait: Wait) -> Result<(), ControlError> {
        self.stop(Wait::Yes).await?;
        self.start(wait).await
    }

    /// Sends `signal` to every process that can take one;
    /// [`ControlError::NotRunning`] if none can.
    pub async fn signal(&self, signal: Signal) -> Result<(), ControlError> {
        let results = self.sv.signal_processes(self.target(), signal).await?;
        if results.is_empty() {
            return Err(ControlError::NotRunning(self.target().label()));
        }
        all_ok(results)
    }

    /// Every process, in start order.
    pub async fn info(&self) -> Result<Vec<ProcessInfo>, ControlError> {
        let snapshots = self.sv.snapshots(self.target()).await?;
        Ok(snapshots.iter().map(super::ProcessSnapshot::info).collect())
    }

    /// The state of its first process (its only one, unless `numprocs`).
    pub async fn state(&self) -> Result<ProcessState, ControlError> {
        let snapshots = self.sv.snapshots(self.target()).await?;
        snapshots.first().map(|s| s.state).ok_or_else(|| ControlError::BadName(self.target().label()))
    }

    /// Waits until every process is in `state`, for at most `timeout`.
    /// No polling: it wakes on the program's transitions.
    pub async fn wait_for(&self, state: ProcessState, timeout: Duration) -> Result<(), WaitError> {
        let deadline = Instant::now() + timeout;
        // Subscribed before looking, so no transition falls between.
        let mut changes = self.sv.states_of(Only::Any);
        loop {
            let snapshots = self.sv.snapshots(self.target()).await?;
            let Some(behind) = snapshots.iter().find(|s| s.state != state) else { return Ok(()) };
            let last = behind.state;
            let names: Vec<ProcessName> = snapshots.iter().map(super::ProcessSnapshot::process).collect();
            loop {
                match tokio::time::timeout_at(deadline, next(&mut changes)).await {
                    Err(_) => return Err(WaitError::TimedOut { wanted: state, after: timeout, last }),
                    Ok(None) => return Err(ControlError::ShuttingDown.into()),
                    // Missed some: look again.
                    Ok(Some(Err(Lagged(_)))) => break,
                    Ok(Some(Ok(change))) if names.contains(&change.process) => break,
                    Ok(Some(Ok(_))) => {}
                }
            }
        }
    }

    /// Writes `data` to the stdin of every running process.
    pub async fn send_stdin(&self, data: impl Into<Vec<u8>>) -> Result<(), ControlError> {
        let data = data.into();
        for name in self.processes().await? {
            self.sv.send_stdin(&name, data.clone()).await?;
        }
        Ok(())
    }

    /// Bytes of its first process's log on `channel`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use std::time::Duration;
    /// use supervisor_core::config::{AutoRestart, Config, LogFile, ProgramSpec};
    /// use supervisor_core::events::Channel;
    /// use supervisor_core::process::ProcessState;
    /// use supervisor_core::supervisor::{LogRange, RunOptions, Supervisor};
    ///
    /// let dir = tempfile::tempdir()?;
    /// let log = LogFile::Path(dir.path().join("count.log"));
    /// let spec = ProgramSpec::new("count", "printf 0123456789").startsecs(0).autorestart(AutoRestart::Never);
    /// let config = Config::builder().program(spec.stdout_logfile(log)).build()?;
    /// let sv = Supervisor::start(config, RunOptions::default())?;
    /// let count = sv.program("count");
    /// count.wait_for(ProcessState::Exited, Duration::from_secs(10)).await?;
    /// # for _ in 0..100 { if count.read_log(Channel::Stdout, LogRange::From(0)).await?.len() == 10 { break } tokio::time::sleep(Duration::from_millis(20)).await; }
    /// assert_eq!(count.read_log(Channel::Stdout, LogRange::Last(4)).await?, b"6789");
    /// assert_eq!(count.read_log(Channel::Stdout, LogRange::Span { offset: 2, length: 3 }).await?, b"234");
    /// let tail = count.tail_log(Channel::Stdout, 0, 5).await?;
    /// assert_eq!((tail.data, tail.next_offset, tail.overflow), (b"56789".to_vec(), 10, true));
    /// count.clear_logs().await?;
    /// assert!(count.read_log(Channel::Stdout, LogRange::From(0)).await?.is_empty());
    /// sv.shutdown().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn read_log(&self, channel: Channel, range: LogRange) -> Result<Vec<u8>, ControlError> {
        let first = self.first().await?;
        self.sv.read_log(&first, channel, range).await
    }

    /// The newest bytes (at most `max`) of its first process's log on
    /// `channel`, from `offset` on.
    pub async fn tail_log(&self, channel: Channel, offset: u64, max: u64) -> Result<LogTail, ControlError> {
        let first = self.first().await?;
        self.sv.tail_log(&first, channel, offset, max).await
    }

    /// Empties every process's log files.
    pub async fn clear_logs(&self) -> Result<(), ControlError> {
        for name in self.processes().await? {
            self.sv.clear_logs(&name).await?;
        }
        Ok(())
    }

    /// Its processes' output from now on, as they are now (processes a
    /// later update adds are not included).
    pub async fn output(&self) -> Result<OutputStream, ControlError> {
        let stream = self.sv.output_of(Only::Any);
        let names = self.processes().await?;
        Ok(stream.only(Only::Processes(names)))
    }

    /// Its processes' state changes from now on.
    pub async fn states(&self) -> Result<StateStream, ControlError> {
        let stream = self.sv.states_of(Only::Any);
        let names = self.processes().await?;
        Ok(stream.only(Only::Processes(names)))
    }

    async fn first(&self) -> Result<ProcessName, ControlError> {
        let names = self.processes().await?;
        names.into_iter().next().ok_or_else(|| ControlError::BadName(self.target().label()))
    }
}

/// The next item of a stream.
async fn next<S: Stream + Unpin>(stream: &mut S) -> Option<S::Item> {
    std::future::poll_fn(|cx| std::pin::Pin::new(&mut *stream).poll_next(cx)).await
}
