//! Shutting down as 4.3.0 does: nothing new starts, then groups stop one
//! at a time, highest priority first.

use std::time::Duration;

use super::Engine;
use crate::config::LogLevel;
use crate::events::Event;
use crate::process::{ProcessState, SupervisorState};
use crate::supervisor::host::Shell;

impl<S: Shell> Engine<S> {
    pub(super) fn begin_shutdown(&mut self) {
        if self.state == SupervisorState::Shutdown {
            return;
        }
        // Stops already decided go first, answered as they would have been.
        self.send_queued_stops(usize::MAX);
        self.state = SupervisorState::Shutdown;
        self.host.publish(Event::SupervisorState(SupervisorState::Shutdown));
        // Dependents stop before their dependencies, then by priority.
        self.stop_groups = self.shutdown_order();
        self.cancel_waiting();
        let ids: Vec<usize> = self.slots.keys().copied().collect();
        for id in ids {
            self.reschedule(id);
        }
    }

    /// Stops groups one at a time, highest priority first; true when all are down.
    pub(super) fn advance_shutdown(&mut self) -> bool {
        while let Some(name) = self.stop_groups.last().cloned() {
            let Some(group) = self.group_for_stop(&name).map(|i| &self.groups[i]) else {
                self.stop_groups.pop();
                continue;
            };
            let mut members = group.members.clone();
            members.sort_by_key(|&id| std::cmp::Reverse(self.process(id).map_or(0, |p| p.config().priority)));
            let now = self.now();
            // Within the group too, dependents stop before what they
            // depend on: those wait for a later pass.
            let after = self.dependents_within(&members);
            for &id in &members {
                let dependents_up = after
                    .get(&id)
                    .is_some_and(|ds| ds.iter().any(|&d| self.process(d).is_some_and(|p| !p.state().is_stopped())));
                if dependents_up {
                    continue;
                }
                self.with_process(id, |p, host| match p.state() {
                    ProcessState::Running | ProcessState::Starting => {
                        let _ = p.stop(host, now);
                    }
                    ProcessState::Backoff => p.give_up(host, now),
                    _ => {}
                });
            }
            let stopped = |actor: &Engine<S>, ids: &[usize]| {
                ids.iter().filter_map(|&id| actor.process(id)).all(|p| p.state().is_stopped())
            };
            if stopped(self, &members) {
                self.stop_groups.pop();
                continue;
            }
            let now = self.now().mono;
            if self.last_die_report.is_none_or(|t| now > t + Duration::from_secs(3)) {
                // 4.3.0 names every process not yet stopped, in every
                // group. Only when it is said: this runs on every turn.
                let unstopped: Vec<&str> = self
                    .groups
                    .iter()
                    .flat_map(|g| g.members.iter())
                    .filter_map(|&id| self.process(id))
                    .filter(|p| !p.state().is_stopped())
                    .map(|p| p.config().name.as_str())
                    .collect();
                let line = format!("waiting for {} to die", unstopped.join(", "));
                self.log(LogLevel::Info, &line);
                self.last_die_report = Some(now);
            }
            return false;
        }
        true
    }

    /// Where group `name` is. This runs on every turn of a shutdown, and
    /// the groups stop in about the reverse of their order: the search
    /// starts where the last one was found and goes back, so it is short
    /// however many groups there are.
    fn group_for_stop(&mut self, name: &str) -> Option<usize> {
        let n = self.groups.len();
        let from = self.stop_hint.min(n.checked_sub(1)?);
        let found = (0..n).map(|k| (from + n - k) % n).find(|&i| self.groups[i].config.name == name)?;
        self.stop_hint = found;
        Some(found)
    }
}
