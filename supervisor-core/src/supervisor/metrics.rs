//! The figures a dashboard or a Prometheus scrape asks for, per process
//! and for the supervisor: counters kept by the engine as it goes (restarts
//! by reason, output bytes), and CPU and memory read from `/proc` when a
//! snapshot is taken. supervisor-rpc serves them as `/metrics`; an embedder
//! publishes them its own way.

use std::time::SystemTime;

use super::names::ProcessName;
use crate::process::{ProcessState, SupervisorState};

/// Restarts of a process, by why they happened.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Restarts {
    /// Started again by `autorestart` after it exited.
    pub autorestart: u64,
    /// Stopped and started again for failing its `health_check`.
    pub health: u64,
    /// Started on request after having run before (`supervisorctl
    /// restart`, or a stop and a start).
    pub manual: u64,
}

/// One process's figures at a moment.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ProcessMetrics {
    /// Which process.
    pub process: ProcessName,
    /// Its state.
    pub state: ProcessState,
    /// Its pid, while it has one.
    pub pid: Option<u32>,
    /// When it last started.
    pub started: Option<SystemTime>,
    /// The status of its last exit (-1 for a signal), kept while it runs
    /// again.
    pub exit_status: Option<i32>,
    /// Its restarts, by reason.
    pub restarts: Restarts,
    /// Bytes it wrote to stdout, over all its runs.
    pub stdout_bytes: u64,
    /// Bytes it wrote to stderr, over all its runs.
    pub stderr_bytes: u64,
    /// CPU seconds of the running process (`utime + stime + cutime +
    /// cstime`: its own and its reaped children's), while it runs.
    pub cpu_seconds: Option<f64>,
    /// Resident memory of the running process and all its descendants.
    pub resident_memory_bytes: Option<u64>,
    /// With a `health_check`: its failures in a row now.
    pub health_failures: Option<u32>,
    /// With a `ready_check`: whether it is ready (RUNNING).
    pub ready: Option<bool>,
}

/// The supervisor's figures and each process's, at a moment.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use supervisor_core::config::{Config, ProgramSpec};
/// use supervisor_core::process::ProcessState;
/// use supervisor_core::supervisor::{RunOptions, Supervisor};
/// use std::time::Duration;
///
/// let config = Config::builder().program(ProgramSpec::new("sleeper", "sleep 60").startsecs(0)).build()?;
/// let sv = Supervisor::start(config, RunOptions::default())?;
/// sv.program("sleeper").wait_for(ProcessState::Running, Duration::from_secs(10)).await?;
/// let figures = sv.metrics().await;
/// let sleeper = &figures.processes[0];
/// assert_eq!((sleeper.process.name(), sleeper.state), ("sleeper", ProcessState::Running));
/// assert!(sleeper.resident_memory_bytes.unwrap() > 0);
/// assert_eq!(sleeper.restarts.autorestart, 0);
/// sv.shutdown().await?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct MetricsSnapshot {
    /// When it was taken.
    pub taken: SystemTime,
    /// The supervisor's state.
    pub state: SupervisorState,
    /// Events some reader missed: a stream that fell behind
    /// ([`Lagged`](super::Lagged)), an event listener pool whose buffer
    /// overflowed.
    pub events_dropped: u64,
    /// Resident memory of this process (the supervisor's host).
    pub own_resident_memory_bytes: u64,
    /// Descriptors this process has open.
    pub own_open_fds: u64,
    /// Every process, sorted by group then name.
    pub processes: Vec<ProcessMetrics>,
}

/// What the engine knows of the figures; `/proc` is read outside it.
pub(crate) struct EngineFigures {
    pub state: SupervisorState,
    pub pool_events_dropped: u64,
    pub processes: Vec<ProcessMetrics>,
}
