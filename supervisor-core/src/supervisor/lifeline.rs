//! What ties a supervisor's children to its handles: the children alive
//! now, killed when the last handle goes without a shutdown, and how the
//! engine task ended.

use std::collections::HashSet;
use std::sync::Mutex;

use nix::sys::signal::{Signal as NixSignal, killpg};
use nix::unistd::Pid;
use tokio::sync::watch;

use crate::platform::reap;

/// The pids of the children running now.
#[derive(Debug, Default)]
pub(crate) struct LiveChildren(Mutex<HashSet<u32>>);

impl LiveChildren {
    fn pids(&self) -> std::sync::MutexGuard<'_, HashSet<u32>> {
        // A poisoned lock only means a panic elsewhere; the set is sound.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn add(&self, pid: u32) {
        self.pids().insert(pid);
    }

    pub(crate) fn remove(&self, pid: u32) {
        self.pids().remove(&pid);
    }

    /// Kills every child and its process group at once, with no wait: a
    /// pid here is not reaped yet, so its group cannot be someone else's.
    pub(crate) fn kill_all(&self) {
        for &pid in self.pids().iter() {
            let _ = killpg(Pid::from_raw(pid as i32), NixSignal::SIGKILL);
            let _ = reap::signal(pid, libc::SIGKILL);
        }
    }
}

/// Why a supervisor ended by itself: a program's `shutdown_on`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ShutdownCause {
    /// The program.
    pub process: crate::supervisor::ProcessName,
    /// What it did (`entered FATAL`, `exited (exit status 3; not expected)`).
    pub reason: String,
    /// The exit status supervisord ends with.
    pub exit_code: i32,
}

/// How an engine that ended well ended.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Ended {
    /// Set when a program's `shutdown_on` ended it, not a shutdown request.
    pub cause: Option<ShutdownCause>,
}

/// How the engine task ended.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EngineError {
    /// It panicked (a bug); its children were killed.
    #[error("the supervisor engine panicked: {0}")]
    Panicked(String),
    /// Its runtime shut down under it before it finished.
    #[error("the supervisor engine's runtime shut down before it finished")]
    Cancelled,
}

/// The engine's outcome, once it has one.
pub(crate) type Outcome = watch::Receiver<Option<Result<Ended, EngineError>>>;

/// Awaits the engine's outcome.
pub(crate) async fn closed(mut outcome: Outcome) -> Result<Ended, EngineError> {
    match outcome.wait_for(Option::is_some).await {
        Ok(done) => done.clone().unwrap_or(Err(EngineError::Cancelled)),
        // The watcher task was dropped with its runtime.
        Err(_) => Err(EngineError::Cancelled),
    }
}

/// Where the engine's outcome is told, and where it is read.
pub(crate) fn outcome() -> (watch::Sender<Option<Result<Ended, EngineError>>>, Outcome) {
    watch::channel(None)
}

/// Spawns `engine` on `runtime` and a watcher that records how it ended.
pub(crate) fn spawn_engine(
    runtime: &tokio::runtime::Handle,
    engine: impl Future<Output = Option<ShutdownCause>> + Send + 'static,
    children: std::sync::Arc<LiveChildren>,
    tx: watch::Sender<Option<Result<Ended, EngineError>>>,
) {
    let task = runtime.spawn(engine);
    runtime.spawn(async move {
        let outcome = match task.await {
            Ok(cause) => Ok(Ended { cause }),
            Err(e) if e.is_panic() => {
                // Nothing will reap or stop them now.
                children.kill_all();
                let payload = e.into_panic();
                let message = payload
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "(no message)".to_owned());
                Err(EngineError::Panicked(message))
            }
            Err(_) => Err(EngineError::Cancelled),
        };
        let _ = tx.send(Some(outcome));
    });
}
