//! Liveness (`health_check`, an addition): while a process is RUNNING its
//! check's failures are counted; `health_check_retries` in a row restart it
//! (stopsignal, stopwaitsecs and SIGKILL as any stop, then a start).

use tokio::sync::oneshot;

use super::Engine;
use crate::config::LogLevel;
use crate::process::ProcessState;
use crate::supervisor::host::Shell;

/// A process's liveness, as counted.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Health {
    /// Failures in a row.
    pub(super) failures: u32,
    /// Restarts for failing its check.
    pub(super) restarts: u32,
    /// Stopped for failing its check: start it once it is down.
    pub(super) restarting: bool,
}

impl<S: Shell> Engine<S> {
    /// One check of `id` passed or failed (`why`).
    pub(super) fn on_health(&mut self, id: usize, outcome: Result<(), String>) {
        let Some(p) = self.process(id) else { return };
        let Some(check) = p.config().health_check.clone() else { return };
        // One whose stop is decided and queued is stopped, not restarted.
        if p.state() != ProcessState::Running || !self.accepting() || self.stop_queue.contains(id) {
            return;
        }
        let name = p.config().name.clone();
        let health = self.health.entry(id).or_default();
        let why = match outcome {
            Ok(()) => {
                health.failures = 0;
                return;
            }
            Err(why) => why,
        };
        health.failures += 1;
        if health.failures < check.retries {
            return;
        }
        health.failures = 0;
        health.restarts += 1;
        health.restarting = true;
        let times = if check.retries == 1 { "once".to_owned() } else { format!("{} times", check.retries) };
        self.log(LogLevel::Warn, &format!("unhealthy: {name} ({}: {why}, {times})", check.probe));
        let now = self.now();
        self.with_process(id, |p, host| {
            let _ = p.stop(host, now);
        });
    }

    /// After a change of `id`: a process stopped for its health starts again.
    pub(super) fn restart_if_unhealthy(&mut self, id: usize) {
        let down = self.process(id).is_some_and(|p| p.state().is_stopped());
        let Some(health) = self.health.get_mut(&id).filter(|h| h.restarting && down) else { return };
        health.restarting = false;
        if !self.accepting() {
            return;
        }
        let name = self.name_of(id);
        let (tx, _) = oneshot::channel();
        self.start(id, &name, false, tx);
    }

    /// How many times `id` was restarted for failing its check, and its
    /// failures in a row now.
    pub(super) fn health_counts(&self, id: usize) -> (u32, u32) {
        self.health.get(&id).map_or((0, 0), |h| (h.restarts, h.failures))
    }
}
