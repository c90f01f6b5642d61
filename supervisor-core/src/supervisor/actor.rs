//! The supervisor actor: one task owns every process and group. Requests,
//! child exits and timers arrive here; nothing else mutates state, so there
//! are no locks on the hot path. Only processes with a pending deadline
//! (starting, backing off, stopping) have a timer: an idle RUNNING process
//! costs nothing.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use tokio::sync::{mpsc, oneshot};

use super::error::ControlError;
use super::host::RealHost;
use super::info::{ProcessInfo, describe, epoch_secs};
use crate::config::{GroupConfig, LogFile, LogLevel};
use crate::events::Event;
use crate::platform::command::{self, CommandError};
use crate::platform::reap::Exit;
use crate::process::{Now, Process, ProcessState, StartError, SupervisorState};
use crate::signals::Signal;

type Reply<T> = oneshot::Sender<T>;

/// What callers ask of the actor.
pub(crate) enum Request {
    Info(String, Reply<Result<ProcessInfo, ControlError>>),
    AllInfo(Reply<Vec<ProcessInfo>>),
    Members(Option<String>, Reply<Result<Vec<String>, ControlError>>),
    Start(String, bool, Reply<Result<(), ControlError>>),
    Stop(String, bool, Reply<Result<(), ControlError>>),
    Signal(String, Signal, Reply<Result<(), ControlError>>),
    SendStdin(String, Vec<u8>, Reply<Result<(), ControlError>>),
    ReopenLogs(Reply<()>),
    ClearLog(String, Reply<Result<(), ControlError>>),
    State(Reply<SupervisorState>),
    Shutdown(Reply<()>),
}

struct Slot {
    process: Process,
    deadline: Option<Duration>,
}

struct GroupSlot {
    config: GroupConfig,
    members: Vec<usize>,
}

enum Waiter {
    Start(Reply<Result<(), ControlError>>),
    Stop(Reply<Result<(), ControlError>>),
}

pub(crate) struct Actor {
    origin: Instant,
    slots: Vec<Slot>,
    groups: Vec<GroupSlot>,
    by_pid: HashMap<u32, usize>,
    timers: BTreeSet<(Duration, usize)>,
    host: RealHost,
    state: SupervisorState,
    waiters: Vec<(usize, Waiter)>,
    /// Groups still to stop during shutdown, highest priority last.
    stop_groups: Vec<usize>,
    shutdown_replies: Vec<Reply<()>>,
    last_die_report: Option<Duration>,
}

impl Actor {
    pub(crate) fn new(groups: Vec<GroupConfig>, host: RealHost) -> Actor {
        let mut actor = Actor {
            origin: Instant::now(),
            slots: Vec::new(),
            groups: Vec::new(),
            by_pid: HashMap::new(),
            timers: BTreeSet::new(),
            host,
            state: SupervisorState::Running,
            waiters: Vec::new(),
            stop_groups: Vec::new(),
            shutdown_replies: Vec::new(),
            last_die_report: None,
        };
        for group in groups {
            actor.add_group(group);
        }
        actor
    }

    fn now(&self) -> Now {
        Now {
            mono: self.origin.elapsed(),
            wall: SystemTime::now(),
        }
    }

    fn accepting(&self) -> bool {
        self.state == SupervisorState::Running
    }

    fn add_group(&mut self, mut config: GroupConfig) {
        let mut members = Vec::new();
        for p in &mut config.processes {
            let id = self.slots.len();
            self.slots.push(Slot {
                process: Process::new(Arc::new(p.clone())),
                deadline: None,
            });
            members.push(id);
        }
        self.groups.push(GroupSlot { config, members });
    }

    pub(crate) async fn run(
        mut self,
        mut requests: mpsc::Receiver<Request>,
        mut exits: mpsc::UnboundedReceiver<Exit>,
    ) {
        let _ = self
            .host
            .events
            .send(Event::SupervisorState(SupervisorState::Running));
        // Start in group priority order, all in one pass (4.3.0 does not wait
        // for one to be up before the next).
        for id in self.start_order() {
            self.reschedule(id);
        }
        self.fire_due_timers();
        loop {
            if self.state == SupervisorState::Shutdown && self.advance_shutdown() {
                break;
            }
            let next = self.timers.first().map(|(d, _)| *d);
            let sleep = async {
                match next {
                    Some(d) => tokio::time::sleep_until((self.origin + d).into()).await,
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                biased;
                Some((pid, status)) = exits.recv() => self.on_exit(pid, status),
                request = requests.recv() => match request {
                    Some(r) => self.handle(r),
                    // Every handle is gone: stop everything, as a shutdown would.
                    None => self.begin_shutdown(),
                },
                () = sleep => {}
            }
            self.fire_due_timers();
        }
        for reply in self.shutdown_replies.drain(..) {
            let _ = reply.send(());
        }
    }

    fn start_order(&self) -> Vec<usize> {
        self.groups
            .iter()
            .flat_map(|g| g.members.iter().copied())
            .collect()
    }

    fn reschedule(&mut self, id: usize) {
        let accepting = self.accepting();
        let slot = &mut self.slots[id];
        if let Some(d) = slot.deadline.take() {
            self.timers.remove(&(d, id));
        }
        if let Some(d) = slot.process.deadline(accepting) {
            slot.deadline = Some(d);
            self.timers.insert((d, id));
        }
    }

    fn fire_due_timers(&mut self) {
        // A tick can make another tick due at once (spawn, then RUNNING for
        // startsecs=0), so loop until nothing is due.
        loop {
            let now = self.now();
            let due: Vec<usize> = self
                .timers
                .iter()
                .take_while(|(d, _)| *d <= now.mono)
                .map(|(_, id)| *id)
                .collect();
            if due.is_empty() {
                return;
            }
            for id in due {
                self.tick(id, now);
            }
        }
    }

    fn tick(&mut self, id: usize, now: Now) {
        let accepting = self.accepting();
        let before = self.slots[id].process.pid();
        self.slots[id].process.tick(&mut self.host, now, accepting);
        self.after_change(id, before);
    }

    /// Bookkeeping after any state machine call on `id`.
    fn after_change(&mut self, id: usize, pid_before: u32) {
        let pid = self.slots[id].process.pid();
        if pid != pid_before {
            if pid_before != 0 {
                self.by_pid.remove(&pid_before);
                self.host.stdin.remove(&pid_before);
            }
            if pid != 0 {
                self.by_pid.insert(pid, id);
            }
        }
        self.reschedule(id);
        self.settle_waiters(id);
    }

    fn on_exit(&mut self, pid: u32, status: crate::process::ExitStatus) {
        let Some(&id) = self.by_pid.get(&pid) else {
            self.host.log(
                LogLevel::Info,
                &format!("reaped unknown pid {pid} ({})", status.describe()),
            );
            return;
        };
        let now = self.now();
        self.slots[id].process.exited(&mut self.host, status, now);
        self.after_change(id, pid);
    }

    fn settle_waiters(&mut self, id: usize) {
        let process = &self.slots[id].process;
        let state = process.state();
        let spawnerr = process.spawnerr().is_some();
        let name = process.config().namespec();
        let mut i = 0;
        while i < self.waiters.len() {
            if self.waiters[i].0 != id {
                i += 1;
                continue;
            }
            let done = match &self.waiters[i].1 {
                Waiter::Start(_) if spawnerr => Some(Err(ControlError::SpawnError(name.clone()))),
                Waiter::Start(_) if state == ProcessState::Running => Some(Ok(())),
                Waiter::Start(_) if state != ProcessState::Starting => {
                    Some(Err(ControlError::AbnormalTermination(name.clone())))
                }
                Waiter::Stop(_) if state.is_stopped() => Some(Ok(())),
                _ => None,
            };
            match done {
                Some(result) => {
                    let (_, waiter) = self.waiters.swap_remove(i);
                    let (Waiter::Start(reply) | Waiter::Stop(reply)) = waiter;
                    let _ = reply.send(result);
                }
                None => i += 1,
            }
        }
    }

    /// A process by namespec: `name`, or `group:name`.
    fn find(&self, namespec: &str) -> Result<usize, ControlError> {
        let (group, name) = match namespec.split_once(':') {
            Some((g, n)) => (g, n),
            None => (namespec, namespec),
        };
        self.groups
            .iter()
            .find(|g| g.config.name == group)
            .and_then(|g| {
                g.members
                    .iter()
                    .copied()
                    .find(|&id| self.slots[id].process.config().name == name)
            })
            .ok_or_else(|| ControlError::BadName(namespec.to_owned()))
    }

    fn info(&self, id: usize) -> ProcessInfo {
        let p = &self.slots[id].process;
        let config = p.config();
        let path = |f: &LogFile| match f {
            LogFile::Path(p) => p.display().to_string(),
            _ => String::new(),
        };
        let mut info = ProcessInfo {
            name: config.name.clone(),
            group: config.group.clone(),
            start: epoch_secs(p.start_time()),
            stop: epoch_secs(p.stop_time()),
            now: epoch_secs(Some(SystemTime::now())),
            state: p.state(),
            spawnerr: p.spawnerr().unwrap_or("").to_owned(),
            exitstatus: p.exitstatus().unwrap_or(0),
            stdout_logfile: path(&config.stdout.logfile),
            stderr_logfile: path(&config.stderr.logfile),
            pid: p.pid(),
            description: String::new(),
        };
        info.description = describe(&info);
        info
    }

    fn handle(&mut self, request: Request) {
        match request {
            Request::Info(name, reply) => {
                let _ = reply.send(self.find(&name).map(|id| self.info(id)));
            }
            Request::AllInfo(reply) => {
                let mut ids: Vec<usize> = (0..self.slots.len()).collect();
                ids.sort_by(|&a, &b| {
                    let (pa, pb) = (
                        self.slots[a].process.config(),
                        self.slots[b].process.config(),
                    );
                    (&pa.group, &pa.name).cmp(&(&pb.group, &pb.name))
                });
                let _ = reply.send(ids.into_iter().map(|id| self.info(id)).collect());
            }
            Request::Members(group, reply) => {
                let result = match group {
                    None => Ok(self
                        .start_order()
                        .iter()
                        .map(|&id| self.slots[id].process.config().namespec())
                        .collect()),
                    Some(g) => match self.groups.iter().find(|s| s.config.name == g) {
                        Some(s) => Ok(s
                            .members
                            .iter()
                            .map(|&id| self.slots[id].process.config().namespec())
                            .collect()),
                        None => Err(ControlError::BadName(g)),
                    },
                };
                let _ = reply.send(result);
            }
            Request::Start(name, wait, reply) => self.start(&name, wait, reply),
            Request::Stop(name, wait, reply) => self.stop(&name, wait, reply),
            Request::Signal(name, signal, reply) => {
                let result = self.find(&name).and_then(|id| {
                    let state = self.slots[id].process.state();
                    if !state.is_signallable() {
                        return Err(ControlError::NotRunning(name.clone()));
                    }
                    let now = self.now();
                    let before = self.slots[id].process.pid();
                    let r = self.slots[id].process.signal(&mut self.host, signal, now);
                    self.after_change(id, before);
                    r.map_err(ControlError::Failed)
                });
                let _ = reply.send(result);
            }
            Request::SendStdin(name, data, reply) => {
                let result = self.find(&name).and_then(|id| {
                    let p = &self.slots[id].process;
                    if p.pid() == 0 || !p.state().is_signallable() {
                        return Err(ControlError::NotRunning(name.clone()));
                    }
                    let tx = self
                        .host
                        .stdin
                        .get(&p.pid())
                        .ok_or_else(|| ControlError::NoFile(name.clone()))?;
                    write_all_nonblocking(tx, &data).map_err(|_| ControlError::NoFile(name.clone()))
                });
                let _ = reply.send(result);
            }
            Request::ReopenLogs(reply) => {
                self.host.log(LogLevel::Info, "supervisord logreopen");
                if let Ok(mut main) = self.host.mainlog.lock() {
                    let _ = main.reopen();
                }
                for io in self.host.io.values() {
                    for log in [&io.stdout, &io.stderr] {
                        if let Ok(mut g) = log.lock()
                            && let Some(f) = g.as_mut()
                        {
                            let _ = f.reopen();
                        }
                    }
                }
                let _ = reply.send(());
            }
            Request::ClearLog(name, reply) => {
                let result = self.find(&name).and_then(|id| {
                    let namespec = self.slots[id].process.config().namespec();
                    let config = self.slots[id].process.config().clone();
                    for (file, shared) in [
                        (
                            &config.stdout.logfile,
                            self.host.io.get(&namespec).map(|io| io.stdout.clone()),
                        ),
                        (
                            &config.stderr.logfile,
                            self.host.io.get(&namespec).map(|io| io.stderr.clone()),
                        ),
                    ] {
                        let LogFile::Path(path) = file else { continue };
                        let open = shared.as_ref().and_then(|s| s.lock().ok()).is_some_and(
                            |mut g| match g.as_mut() {
                                Some(f) => {
                                    let _ = f.clear();
                                    true
                                }
                                None => false,
                            },
                        );
                        if !open {
                            match std::fs::remove_file(path) {
                                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                                    return Err(ControlError::Failed(format!("{name}: {e}")));
                                }
                                _ => {}
                            }
                        }
                    }
                    Ok(())
                });
                let _ = reply.send(result);
            }
            Request::State(reply) => {
                let _ = reply.send(self.state);
            }
            Request::Shutdown(reply) => {
                self.shutdown_replies.push(reply);
                self.begin_shutdown();
            }
        }
    }

    fn start(&mut self, name: &str, wait: bool, reply: Reply<Result<(), ControlError>>) {
        if !self.accepting() {
            let _ = reply.send(Err(ControlError::ShuttingDown));
            return;
        }
        let id = match self.find(name) {
            Ok(id) => id,
            Err(e) => {
                let _ = reply.send(Err(e));
                return;
            }
        };
        // Refuse early what could only fail later, as 4.3.0 does.
        let config = self.slots[id].process.config().clone();
        let path = self
            .host
            .ctx
            .environ
            .iter()
            .find(|(k, _)| k == "PATH")
            .map(|(_, v)| v.to_string_lossy().into_owned());
        match command::resolve(&config, path.as_deref()) {
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
        let before = self.slots[id].process.pid();
        let started = self.slots[id].process.start(&mut self.host, now);
        let result = match started {
            Err(StartError::AlreadyStarted) => Err(ControlError::AlreadyStarted(name.to_owned())),
            Err(StartError::NotStartable(_, ProcessState::Unknown)) => Err(ControlError::Failed(
                format!("{name} is in an unknown process state"),
            )),
            Err(StartError::NotStartable(..)) => {
                Err(ControlError::Failed(format!("{name} is stopping")))
            }
            Ok(()) => Ok(()),
        };
        if let Err(e) = result {
            let _ = reply.send(Err(e));
            return;
        }
        // startsecs=0 reaches RUNNING in this same turn.
        let now = self.now();
        self.slots[id].process.tick(&mut self.host, now, true);
        let p = &self.slots[id].process;
        let outcome = if p.spawnerr().is_some() {
            Some(Err(ControlError::SpawnError(name.to_owned())))
        } else if !wait || p.state() == ProcessState::Running {
            Some(Ok(()))
        } else {
            None
        };
        match outcome {
            Some(r) => {
                let _ = reply.send(r);
            }
            None => self.waiters.push((id, Waiter::Start(reply))),
        }
        self.after_change(id, before);
    }

    fn stop(&mut self, name: &str, wait: bool, reply: Reply<Result<(), ControlError>>) {
        let id = match self.find(name) {
            Ok(id) => id,
            Err(e) => {
                let _ = reply.send(Err(e));
                return;
            }
        };
        if !self.slots[id].process.state().is_running() {
            let _ = reply.send(Err(ControlError::NotRunning(name.to_owned())));
            return;
        }
        let now = self.now();
        let before = self.slots[id].process.pid();
        if let Err(msg) = self.slots[id].process.stop(&mut self.host, now) {
            let _ = reply.send(Err(ControlError::Failed(msg)));
            self.after_change(id, before);
            return;
        }
        if !wait || self.slots[id].process.state().is_stopped() {
            let _ = reply.send(Ok(()));
        } else {
            self.waiters.push((id, Waiter::Stop(reply)));
        }
        self.after_change(id, before);
    }

    fn begin_shutdown(&mut self) {
        if self.state == SupervisorState::Shutdown {
            return;
        }
        self.state = SupervisorState::Shutdown;
        let _ = self
            .host
            .events
            .send(Event::SupervisorState(SupervisorState::Shutdown));
        self.stop_groups = (0..self.groups.len()).collect();
        for id in 0..self.slots.len() {
            self.reschedule(id);
        }
    }

    /// Stops groups one at a time, highest priority first; true when all are down.
    fn advance_shutdown(&mut self) -> bool {
        while let Some(&g) = self.stop_groups.last() {
            let mut members = self.groups[g].members.clone();
            members.sort_by_key(|&id| std::cmp::Reverse(self.slots[id].process.config().priority));
            let now = self.now();
            for &id in &members {
                let before = self.slots[id].process.pid();
                match self.slots[id].process.state() {
                    ProcessState::Running | ProcessState::Starting => {
                        let _ = self.slots[id].process.stop(&mut self.host, now);
                    }
                    ProcessState::Backoff => self.slots[id].process.give_up(&mut self.host, now),
                    _ => {}
                }
                self.after_change(id, before);
            }
            let unstopped: Vec<String> = members
                .iter()
                .filter(|&&id| !self.slots[id].process.state().is_stopped())
                .map(|&id| self.slots[id].process.config().name.clone())
                .collect();
            if unstopped.is_empty() {
                self.stop_groups.pop();
                continue;
            }
            let now = self.now().mono;
            if self
                .last_die_report
                .is_none_or(|t| now > t + Duration::from_secs(3))
            {
                self.host.log(
                    LogLevel::Info,
                    &format!("waiting for {} to die", unstopped.join(", ")),
                );
                self.last_die_report = Some(now);
            }
            return false;
        }
        true
    }
}

/// Writes to a child's stdin without waiting: a full pipe is an error, as a
/// closed one is (4.3.0 buffers; we refuse rather than grow without bound).
fn write_all_nonblocking(
    fd: &std::os::fd::OwnedFd,
    mut data: &[u8],
) -> Result<(), nix::errno::Errno> {
    while !data.is_empty() {
        let n = nix::unistd::write(fd, data)?;
        data = &data[n..];
    }
    Ok(())
}
