//! `depends_on` in the engine (an addition): a process whose dependencies
//! do not hold yet waits, STOPPED, with a description saying for what,
//! while they are started; it starts once they hold, or gives up when one
//! cannot (FATAL, a job that failed). Stopping several stops dependents
//! before their dependencies.

use std::collections::{BTreeMap, HashMap};

use super::{Engine, Reply, Waiter};
use crate::config::{Condition, LogLevel};
use crate::process::ProcessState;
use crate::supervisor::error::ControlError;
use crate::supervisor::host::Shell;
use crate::supervisor::names::ProcessName;

/// What one dependency is doing for a dependent.
enum Verdict {
    Holds,
    Waits,
    /// It cannot hold (without someone starting it again): why.
    Fails(String),
}

/// A stop held until the dependents named stop.
pub(super) struct HeldStop {
    pub(super) id: usize,
    pub(super) name: ProcessName,
    pub(super) wait: bool,
    pub(super) reply: Reply<Result<(), ControlError>>,
    /// Processes of the same stop that depend on it.
    pub(super) after: Vec<usize>,
}

impl<S: Shell> Engine<S> {
    /// The processes a `depends_on` namespec names, found as the config
    /// checked them (a group's members are in its processes' order).
    fn targets(&self, namespec: &str) -> Vec<usize> {
        crate::config::resolve_namespec(self.groups.iter().map(|g| &*g.config), namespec)
            .into_iter()
            .filter_map(|(gi, pi)| self.groups.get(gi)?.members.get(pi).copied())
            .collect()
    }

    /// Each dependency of `id`: its processes and condition, and its name.
    fn dependencies(&self, id: usize) -> Vec<(Vec<usize>, Condition, String)> {
        let Some(p) = self.process(id) else { return Vec::new() };
        p.config().depends_on.iter().map(|d| (self.targets(&d.target), d.condition, d.target.clone())).collect()
    }

    /// Whether `ids` hold `condition`. `fresh` (a new start): a FATAL or
    /// given-up dependency is one to start again, not a reason to give up.
    fn verdict(&self, ids: &[usize], condition: Condition, fresh: bool) -> Verdict {
        let mut holds = true;
        for &id in ids {
            let Some(p) = self.process(id) else { continue };
            let state = p.state();
            if state == ProcessState::Fatal && !fresh {
                return Verdict::Fails(format!("{} entered FATAL", p.config().name));
            }
            let given_up =
                state == ProcessState::Stopped && self.notes.get(&id).is_some_and(|n| n.starts_with("not started"));
            if given_up && !fresh {
                return Verdict::Fails(format!("{} was not started", p.config().name));
            }
            let ok = match condition {
                Condition::Running => state == ProcessState::Running,
                Condition::Started => {
                    matches!(state, ProcessState::Starting | ProcessState::Running | ProcessState::Exited)
                        && p.start_time().is_some()
                }
                Condition::Exited => state == ProcessState::Exited,
                Condition::Succeeded if state == ProcessState::Exited => {
                    let code = p.exitstatus().unwrap_or(-1);
                    if !u8::try_from(code).is_ok_and(|c| p.config().exitcodes.contains(&c)) {
                        return Verdict::Fails(format!("{} exited with status {code}", p.config().name));
                    }
                    true
                }
                _ => false,
            };
            holds &= ok;
        }
        if holds { Verdict::Holds } else { Verdict::Waits }
    }

    /// What `id` still waits for (`db (running)`), or why it never will
    /// (`fresh`: as for a new start, see [`Engine::verdict`]).
    fn unmet(&self, id: usize, fresh: bool) -> Result<Vec<(Vec<usize>, Condition, String)>, String> {
        let mut out = Vec::new();
        for (ids, condition, name) in self.dependencies(id) {
            match self.verdict(&ids, condition, fresh) {
                Verdict::Holds => {}
                Verdict::Waits => out.push((ids, condition, format!("{name} ({})", condition.name()))),
                Verdict::Fails(why) => return Err(format!("dependency {name}: {why}")),
            }
        }
        Ok(out)
    }

    /// Starts `id` once its dependencies hold: at once if they do, or it
    /// waits (STOPPED, described) while those not up are started (a FATAL
    /// or given-up one too: a new start retries). `reply` answers a request;
    /// without one (autostart, a dependency) a command that cannot run is
    /// a spawn error, as an autostart's is in 4.3.0.
    pub(super) fn start_after_dependencies(
        &mut self,
        id: usize,
        name: &ProcessName,
        wait: bool,
        reply: Option<Reply<Result<(), ControlError>>>,
    ) {
        let startable = self.process(id).is_some_and(|p| {
            !p.config().depends_on.is_empty()
                && matches!(p.state(), ProcessState::Stopped | ProcessState::Exited | ProcessState::Fatal)
        });
        // Nothing to wait for, or not startable anyway (the start says why).
        let unmet = if startable { self.unmet(id, true).unwrap_or_default() } else { Vec::new() };
        if unmet.is_empty() {
            self.held_back.remove(&id);
            self.notes.remove(&id);
            return match reply {
                Some(reply) => self.start(id, name, wait, reply),
                None => self.start_internal(id),
            };
        }
        self.held_back.remove(&id);
        self.notes.insert(id, waiting_note(&unmet));
        self.wait_on(id, &unmet);
        let waiters = self.waiting.entry(id).or_default();
        match reply {
            Some(reply) if wait => waiters.push((name.to_string(), reply)),
            Some(reply) => {
                let _ = reply.send(Ok(()));
            }
            None => {}
        }
        self.reschedule(id);
        // Start what is not up yet (each after its own dependencies); a
        // job that already ran is not run again for an exited/succeeded
        // condition.
        for (ids, condition, _) in unmet {
            let rerun = matches!(condition, Condition::Running | Condition::Started);
            for dep in ids {
                let idle = self.process(dep).is_some_and(|p| match p.state() {
                    ProcessState::Stopped | ProcessState::Fatal => true,
                    ProcessState::Exited => rerun,
                    _ => false,
                });
                if idle && !self.waiting.contains_key(&dep) {
                    let dep_name = self.name_of(dep);
                    self.start_after_dependencies(dep, &dep_name, false, None);
                }
            }
        }
    }

    /// Notes, logs and says why `id` does not start.
    fn give_up(&mut self, id: usize, why: &str) -> ControlError {
        let name = self.process(id).map(|p| p.config().name.clone()).unwrap_or_default();
        self.notes.insert(id, format!("not started: {why}"));
        self.held_back.insert(id);
        self.reschedule(id);
        self.log(LogLevel::Warn, &format!("not started: {name}: {why}"));
        ControlError::Failed(format!("{name} not started: {why}"))
    }

    /// Whether `id` waits for its dependencies (it has no timer then).
    pub(super) fn is_waiting(&self, id: usize) -> bool {
        self.waiting.contains_key(&id)
    }

    /// Whether the autostart of `id` must go through its dependencies.
    pub(super) fn gated(&self, id: usize) -> bool {
        self.process(id).is_some_and(|p| {
            !p.config().depends_on.is_empty()
                && p.state() == ProcessState::Stopped
                && p.start_time().is_none()
                && p.config().autostart
        }) && !self.is_waiting(id)
    }

    /// After `changed` changed: starts the processes waiting on it whose
    /// dependencies now hold, gives up those that never will (and so on
    /// for what waits on them), and lets held stops go. Only the waiters of
    /// what changed are looked at, so a thousand waiting cost nothing.
    pub(super) fn check_dependencies(&mut self, changed: usize) {
        if self.checking || (self.waiting.is_empty() && self.held_stops.is_empty()) {
            return;
        }
        self.checking = true;
        let mut queue = vec![changed];
        while let Some(x) = queue.pop() {
            let dependents = self.waiting_on.get(&x).cloned().unwrap_or_default();
            for w in dependents {
                if self.waiting.contains_key(&w) && self.check_one(w) {
                    queue.push(w);
                }
            }
        }
        while self.release_stops() {}
        self.checking = false;
    }

    /// Notes that `id` waits on each of `unmet`'s processes.
    fn wait_on(&mut self, id: usize, unmet: &[(Vec<usize>, Condition, String)]) {
        for (ids, _, _) in unmet {
            for &dep in ids {
                let waiters = self.waiting_on.entry(dep).or_default();
                if !waiters.contains(&id) {
                    waiters.push(id);
                }
            }
        }
    }

    /// `id` waits no more.
    fn forget_waits(&mut self, id: usize) {
        self.waiting_on.retain(|_, waiters| {
            waiters.retain(|&w| w != id);
            !waiters.is_empty()
        });
    }

    fn check_one(&mut self, id: usize) -> bool {
        let still_stopped = self.process(id).is_some_and(|p| p.state() == ProcessState::Stopped);
        let verdict = if still_stopped { self.unmet(id, false) } else { Ok(Vec::new()) };
        match verdict {
            Ok(unmet) if !unmet.is_empty() => {
                let note = waiting_note(&unmet);
                self.wait_on(id, &unmet);
                self.notes.insert(id, note);
                false
            }
            Ok(_) => {
                self.forget_waits(id);
                let waiters = self.waiting.remove(&id).unwrap_or_default();
                self.notes.remove(&id);
                let name = self.name_of(id);
                let mut waiters = waiters.into_iter();
                let first = waiters.next();
                // The others wait for the same start, settled with it.
                for (label, reply) in waiters {
                    self.waiters.push(id, Waiter::Start(label, reply));
                }
                match first {
                    Some((_, reply)) if still_stopped => self.start(id, &name, true, reply),
                    Some((_, reply)) => {
                        let _ = reply.send(Ok(()));
                    }
                    None if still_stopped => self.start_internal(id),
                    None => {}
                }
                self.reschedule(id);
                true
            }
            Err(why) => {
                self.forget_waits(id);
                let error = self.give_up(id, &why);
                for (_, reply) in self.waiting.remove(&id).unwrap_or_default() {
                    let _ = reply.send(Err(error.clone()));
                }
                self.reschedule(id);
                true
            }
        }
    }

    /// Lets go the held stops whose dependents have stopped.
    pub(super) fn release_stops(&mut self) -> bool {
        let ready: Vec<usize> = (0..self.held_stops.len())
            .filter(|&i| {
                self.held_stops[i].after.iter().all(|&d| self.process(d).is_none_or(|p| p.state().is_stopped()))
            })
            .collect();
        if ready.is_empty() {
            return false;
        }
        for i in ready.into_iter().rev() {
            let held = self.held_stops.remove(i);
            if self.process(held.id).is_some_and(|p| p.state().is_running()) {
                self.stop(held.id, &held.name, held.wait, held.reply);
            } else {
                let _ = held.reply.send(Ok(()));
            }
        }
        true
    }

    /// For a stop of `ids`: each one's dependents among them (which must
    /// stop first).
    pub(super) fn dependents_within(&self, ids: &[usize]) -> HashMap<usize, Vec<usize>> {
        let mut out: HashMap<usize, Vec<usize>> = HashMap::new();
        for &dependent in ids {
            for (deps, _, _) in self.dependencies(dependent) {
                for dep in deps.into_iter().filter(|d| ids.contains(d) && *d != dependent) {
                    out.entry(dep).or_default().push(dependent);
                }
            }
        }
        out
    }

    /// Group names in an order that stops dependents before their
    /// dependencies, and otherwise highest priority first: the last one
    /// stops first (`stop_groups` is taken from the end).
    pub(super) fn shutdown_order(&self) -> Vec<String> {
        let names: Vec<String> = self.groups.iter().map(|g| g.config.name.clone()).collect();
        let index: HashMap<&str, usize> = names.iter().enumerate().map(|(i, n)| (n.as_str(), i)).collect();
        // Group -> the groups it depends on.
        let mut needs: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for (gi, g) in self.groups.iter().enumerate() {
            for &id in &g.members {
                for (deps, _, _) in self.dependencies(id) {
                    for dep in deps {
                        let group = self.process(dep).map(|p| p.config().group.clone()).unwrap_or_default();
                        if let Some(&di) = index.get(group.as_str())
                            && di != gi
                        {
                            needs.entry(gi).or_default().push(di);
                        }
                    }
                }
            }
        }
        if needs.is_empty() {
            return names;
        }
        // Start order: each group after what it needs, else as it was.
        let mut placed = vec![false; names.len()];
        let mut order = Vec::with_capacity(names.len());
        while order.len() < names.len() {
            let next = (0..names.len())
                .find(|&i| !placed[i] && needs.get(&i).is_none_or(|n| n.iter().all(|&d| placed[d])))
                // A cycle (the config refuses one): take the rest as they come.
                .or_else(|| (0..names.len()).find(|&i| !placed[i]));
            let Some(i) = next else { break };
            placed[i] = true;
            order.push(names[i].clone());
        }
        order
    }

    /// A stop of a process that waits for its dependencies ends the wait.
    pub(super) fn stop_waiting(&mut self, id: usize) -> bool {
        let Some(waiters) = self.waiting.remove(&id) else { return false };
        self.forget_waits(id);
        for (label, reply) in waiters {
            let _ = reply.send(Err(ControlError::Failed(format!("{label}: start cancelled by a stop"))));
        }
        self.notes.remove(&id);
        self.held_back.insert(id);
        self.reschedule(id);
        true
    }

    /// Shutdown drops every waiting start (and nothing is held back: the
    /// held back are stopped).
    pub(super) fn cancel_waiting(&mut self) {
        self.held_back.clear();
        self.waiting_on.clear();
        for (_, waiters) in std::mem::take(&mut self.waiting) {
            for (_, reply) in waiters {
                let _ = reply.send(Err(ControlError::ShuttingDown));
            }
        }
        self.notes.clear();
    }
}

/// `waiting for db (running), migrate (succeeded)`.
fn waiting_note(unmet: &[(Vec<usize>, Condition, String)]) -> String {
    format!("waiting for {}", unmet.iter().map(|(_, _, w)| w.as_str()).collect::<Vec<_>>().join(", "))
}
