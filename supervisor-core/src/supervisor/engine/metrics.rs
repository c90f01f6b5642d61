//! The engine's part of the metrics: per process, what it counts as it
//! goes (restarts by reason, the shell's output bytes).

use super::Engine;
use crate::process::ProcessState;
use crate::supervisor::host::Shell;
use crate::supervisor::metrics::{EngineFigures, ProcessMetrics, Restarts};
use crate::supervisor::names::ProcessName;

/// A process's figures the engine counts itself.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Counted {
    /// Starts asked for after it had run.
    pub(super) manual_restarts: u64,
    /// Its last exit's status, kept across runs (the machine forgets it
    /// at the next start).
    pub(super) last_exit: Option<i32>,
}

impl<S: Shell> Engine<S> {
    /// Counts a start asked for of each of `ids` that has run before and
    /// is not running now: a manual restart.
    pub(super) fn count_manual_restarts(&mut self, ids: &[usize]) {
        for &id in ids {
            let again = self.process(id).is_some_and(|p| p.start_time().is_some() && p.state().is_stopped());
            if again {
                self.counted.entry(id).or_default().manual_restarts += 1;
            }
        }
    }

    /// Every process's counted figures, sorted by group then name.
    pub(super) fn figures(&self) -> EngineFigures {
        let mut processes: Vec<ProcessMetrics> = self
            .slots
            .iter()
            .map(|(id, slot)| {
                let p = &slot.process;
                let config = p.config();
                let (health_restarts, health_failures) = self.health_counts(*id);
                let (stdout_bytes, stderr_bytes) = self.host.output_bytes(config);
                let counted = self.counted.get(id).copied().unwrap_or_default();
                ProcessMetrics {
                    process: ProcessName::new(config.group.clone(), config.name.clone()),
                    state: p.state(),
                    pid: Some(p.pid()).filter(|&pid| pid != 0),
                    started: p.start_time(),
                    exit_status: counted.last_exit,
                    restarts: Restarts {
                        autorestart: p.autorestarts(),
                        health: u64::from(health_restarts),
                        manual: counted.manual_restarts,
                    },
                    stdout_bytes,
                    stderr_bytes,
                    cpu_seconds: None,
                    resident_memory_bytes: None,
                    health_failures: config.health_check.as_ref().map(|_| health_failures),
                    ready: config.ready_check.as_ref().map(|_| p.state() == ProcessState::Running),
                }
            })
            .collect();
        processes.sort_unstable_by(|a, b| a.process.cmp(&b.process));
        EngineFigures { state: self.state, pool_events_dropped: self.pools.dropped(), processes }
    }
}
