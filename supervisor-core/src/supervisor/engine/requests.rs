//! What the handles ask: each request answered, or a waiter left for the
//! transition that settles it.

use tokio::sync::oneshot;

use super::dependencies::HeldStop;
use super::stop_queue::QueuedStop;
use super::{Engine, Outcome, Pending, Reply, Request, STOP_TURN, Waiter};
use crate::config::LogLevel;
use crate::platform::command::CommandError;
use crate::process::{Process, ProcessState, StartError};
use crate::signals::Signal;
use crate::supervisor::error::ControlError;
use crate::supervisor::host::Shell;
use crate::supervisor::info::ProcessSnapshot;
use crate::supervisor::names::{ProcessName, Target};

impl<S: Shell> Engine<S> {
    /// Answers a request, at once or through a waiter.
    pub(super) fn handle(&mut self, request: Request) {
        match request {
            Request::Info(target, reply) => {
                let now = self.now();
                let infos = self.resolve(&target).map(|ids| {
                    ids.iter()
                        .filter_map(|&id| {
                            let health = self.health_counts(id);
                            self.process(id)
                                .map(|p| Self::snapshot(p, now, self.notes.get(&id), self.statuses.get(&id), health))
                        })
                        .collect()
                });
                let _ = reply.send(infos);
            }
            Request::AllInfo(reply) => {
                let _ = reply.send(self.all_snapshots());
            }
            Request::Start(target, wait, reply) => {
                let result = self.resolve(&target).map(|ids| self.start_all(&target, ids, wait));
                let _ = reply.send(result);
            }
            Request::Stop(target, wait, reply) => {
                let result = self.resolve(&target).map(|ids| self.stop_all(&target, ids, wait));
                let _ = reply.send(result);
            }
            Request::Signal(target, signal, reply) => {
                let result = self.resolve(&target).map(|ids| self.signal_all(&target, ids, signal));
                let _ = reply.send(result);
            }
            Request::SendStdin(name, data, reply) => {
                let _ = reply.send(self.send_stdin(&name, &data));
            }
            Request::ReopenLogs(reply) => {
                self.log(LogLevel::Info, "supervisord logreopen");
                self.host.reopen_logs();
                let _ = reply.send(());
            }
            Request::ClearLog(name, reply) => {
                let _ = reply.send(self.clear_log(&name));
            }
            Request::AddGroup(config, reply) => {
                let _ = reply.send(self.add_group(*config));
            }
            Request::RemoveGroup(name, reply) => {
                let _ = reply.send(self.remove_group(name));
            }
            Request::ReplaceGroup(config, keep, reply) => {
                let _ = reply.send(self.replace_group(*config, &keep));
            }
            Request::Groups(reply) => {
                let _ = reply.send(self.groups.iter().map(|g| g.config.clone()).collect());
            }
            Request::MainLogPath(reply) => {
                let _ = reply.send(self.host.main_log_path());
            }
            Request::State(reply) => {
                let _ = reply.send(self.state);
            }
            Request::Metrics(reply) => {
                let _ = reply.send(self.figures());
            }
            Request::Shutdown(reply) => {
                self.shutdown_replies.push(reply);
                self.begin_shutdown();
            }
        }
    }

    /// Every process, sorted by group then name.
    fn all_snapshots(&self) -> Vec<ProcessSnapshot> {
        let now = self.now();
        let mut all: Vec<ProcessSnapshot> = self
            .slots
            .iter()
            .map(|(id, s)| {
                Self::snapshot(&s.process, now, self.notes.get(id), self.statuses.get(id), self.health_counts(*id))
            })
            .collect();
        all.sort_unstable_by(|a, b| (&a.config.group, &a.config.name).cmp(&(&b.config.group, &b.config.name)));
        all
    }

    /// Starts `ids` (of a group: those not running; one process that runs
    /// is an error, ALREADY_STARTED), in order; one answer each.
    fn start_all(&mut self, target: &Target, ids: Vec<usize>, wait: bool) -> Vec<Pending> {
        let ids: Vec<usize> = ids
            .into_iter()
            .filter(|&id| target.is_single() || !self.process(id).is_some_and(|p| p.state().is_running()))
            .collect();
        self.count_manual_restarts(&ids);
        ids.into_iter()
            .map(|id| {
                let (tx, rx) = oneshot::channel();
                let name = self.name_of(id);
                self.start_after_dependencies(id, &name, wait, Some(tx));
                (name, rx)
            })
            .collect()
    }

    /// Stops `ids` (of a group: those running), highest priority first;
    /// the answers in start order, as 4.3.0's.
    fn stop_all(&mut self, target: &Target, ids: Vec<usize>, wait: bool) -> Vec<Pending> {
        // Those waiting for their dependencies wait no more.
        if !target.is_single() {
            for &id in &ids {
                self.stop_waiting(id);
            }
        }
        let mut ids: Vec<usize> = ids
            .into_iter()
            .filter(|&id| target.is_single() || self.process(id).is_some_and(|p| p.state().is_running()))
            .collect();
        // Dependents stop before what they depend on (`depends_on`): those
        // wait until the dependents among this stop have stopped.
        let mut after = if target.is_single() { Default::default() } else { self.dependents_within(&ids) };
        ids.reverse();
        let mut pending: Vec<Pending> = ids
            .into_iter()
            .map(|id| {
                let (tx, rx) = oneshot::channel();
                let name = self.name_of(id);
                match after.remove(&id) {
                    Some(dependents) => {
                        self.held_stops.push(HeldStop { id, name: name.clone(), wait, reply: tx, after: dependents });
                    }
                    // A RUNNING process of a many-process stop is
                    // signalled in a later turn (`STOP_TURN` a turn), in
                    // this order; one with a deadline (STARTING,
                    // BACKOFF) now, before its deadline can act.
                    None if !target.is_single()
                        && self.process(id).is_some_and(|p| p.state() == ProcessState::Running) =>
                    {
                        self.stop_queue.push(QueuedStop { id, name: name.clone(), wait, reply: tx });
                    }
                    None => self.stop(id, &name, wait, tx),
                }
                (name, rx)
            })
            .collect();
        pending.reverse();
        self.send_queued_stops(STOP_TURN);
        while self.release_stops() {}
        pending
    }

    /// Signals `ids` (of a group: those that can take one).
    fn signal_all(&mut self, target: &Target, ids: Vec<usize>, signal: Signal) -> Vec<Outcome> {
        let ids: Vec<usize> = ids
            .into_iter()
            .filter(|&id| target.is_single() || self.process(id).is_some_and(|p| p.state().is_signallable()))
            .collect();
        ids.into_iter()
            .map(|id| {
                let name = self.name_of(id);
                let result = self.signal(id, &name, signal);
                (name, result)
            })
            .collect()
    }

    /// Writes to a running (or starting) process's stdin; not while it
    /// stops, as 4.3.0 (`killing`).
    fn send_stdin(&mut self, name: &ProcessName, data: &[u8]) -> Result<(), ControlError> {
        let id = self.find(name)?;
        let pid = self
            .process(id)
            .filter(|p| matches!(p.state(), ProcessState::Running | ProcessState::Starting))
            .map_or(0, Process::pid);
        if pid == 0 {
            return Err(ControlError::NotRunning(name.to_string()));
        }
        if self.host.write_stdin(pid, data) { Ok(()) } else { Err(ControlError::NoFile(name.to_string())) }
    }

    fn clear_log(&mut self, name: &ProcessName) -> Result<(), ControlError> {
        let id = self.find(name)?;
        let config =
            self.process(id).map(|p| p.config().clone()).ok_or_else(|| ControlError::BadName(name.to_string()))?;
        self.host.clear_logs(&config).map_err(|e| ControlError::Failed(format!("{name}: {e}")))
    }

    /// Sends `signal` to one process; it must be signallable.
    pub(super) fn signal(&mut self, id: usize, name: &ProcessName, signal: Signal) -> Result<(), ControlError> {
        if !self.process(id).is_some_and(|p| p.state().is_signallable()) {
            return Err(ControlError::NotRunning(name.to_string()));
        }
        let now = self.now();
        self.with_process(id, |p, host| p.signal(host, signal, now))
            .unwrap_or(Err(String::new()))
            .map_err(ControlError::Failed)
    }

    pub(super) fn start(&mut self, id: usize, name: &ProcessName, wait: bool, reply: Reply<Result<(), ControlError>>) {
        let name = &name.to_string();
        if !self.accepting() {
            let _ = reply.send(Err(ControlError::ShuttingDown));
            return;
        }
        // Refuse early what could only fail later, as 4.3.0 does.
        let Some(config) = self.process(id).map(|p| p.config().clone()) else {
            return;
        };
        match self.host.check_command(&config) {
            Err(e @ CommandError::NotFound(_)) => {
                let _ = reply.send(Err(ControlError::NoFile(e.to_string())));
                return;
            }
            Err(e) => {
                let _ = reply.send(Err(ControlError::NotExecutable(e.to_string())));
                return;
            }
            Ok(_) => {}
        }
        let now = self.now();
        let started = self.with_process(id, |p, host| {
            let r = p.start(host, now);
            // startsecs=0 reaches RUNNING in this same turn.
            if r.is_ok() {
                p.tick(host, now, true);
            }
            r
        });
        let result = match started {
            Some(Err(StartError::AlreadyStarted)) => Err(ControlError::AlreadyStarted(name.to_owned())),
            Some(Err(StartError::NotStartable(_, ProcessState::Unknown))) => {
                Err(ControlError::Failed(format!("{name} is in an unknown process state")))
            }
            // 4.3.0's spawn() does nothing for a process that still has a
            // pid, and the wait sees it neither starting nor running.
            Some(Err(StartError::NotStartable(..))) => {
                let process = self.process(id).map(|p| p.config().name.clone()).unwrap_or_default();
                self.log(LogLevel::Warn, &format!("process '{process}' already running"));
                let _ = reply.send(if wait { Err(ControlError::AbnormalTermination(name.to_owned())) } else { Ok(()) });
                return;
            }
            None => Err(ControlError::BadName(name.to_owned())),
            Some(Ok(())) => Ok(()),
        };
        if let Err(e) = result {
            let _ = reply.send(Err(e));
            return;
        }
        let Some(p) = self.process(id) else { return };
        if p.spawnerr().is_some() {
            let _ = reply.send(Err(ControlError::SpawnError(name.to_owned())));
        } else if !wait || p.state() == ProcessState::Running {
            let _ = reply.send(Ok(()));
        } else {
            self.waiters.push(id, Waiter::Start(name.to_owned(), reply));
        }
    }

    pub(super) fn stop(&mut self, id: usize, name: &ProcessName, wait: bool, reply: Reply<Result<(), ControlError>>) {
        self.stop_with(id, name, wait, reply, true);
    }

    /// [`Engine::stop`]; with `signal` false the process is known to have
    /// exited (its exit not taken in yet) and is not signalled.
    pub(super) fn stop_with(
        &mut self,
        id: usize,
        name: &ProcessName,
        wait: bool,
        reply: Reply<Result<(), ControlError>>,
        signal: bool,
    ) {
        let name = &name.to_string();
        // A stop asked for ends a restart for failed health checks.
        if let Some(h) = self.health.get_mut(&id) {
            h.restarting = false;
        }
        // A process waiting for its dependencies: the stop ends the wait.
        if self.stop_waiting(id) {
            let _ = reply.send(Ok(()));
            return;
        }
        if !self.process(id).is_some_and(|p| p.state().is_running()) {
            let _ = reply.send(Err(ControlError::NotRunning(name.to_owned())));
            return;
        }
        let now = self.now();
        match self.with_process(id, |p, host| if signal { p.stop(host, now) } else { p.stop_exited(host, now) }) {
            Some(Err(msg)) => {
                let _ = reply.send(Err(ControlError::Failed(msg)));
            }
            _ if !wait || self.process(id).is_none_or(|p| p.state().is_stopped()) => {
                let _ = reply.send(Ok(()));
            }
            _ => self.waiters.push(id, Waiter::Stop(reply)),
        }
    }
}
