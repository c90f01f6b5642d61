//! The supervisor actor: one task owns every process and group. Requests,
//! child exits and timers arrive here; nothing else mutates state, so there
//! are no locks on the hot path. Only processes with a pending deadline
//! (starting, backing off, stopping) have a timer: an idle RUNNING process
//! costs nothing.

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use tokio::sync::{mpsc, oneshot};

use super::error::ControlError;
use super::host::RealHost;
use super::info::ProcessSnapshot;
use super::names::{ProcessName, Target, program_of};
use super::output::PumpNews;
use super::pools::{PoolHost, Pools, is_output};
use crate::config::{GroupConfig, GroupKind, LogLevel};
use crate::events::payload::{notification, timeslice};
use crate::events::{Channel, Event, EventType};
use crate::platform::command::{self, CommandError};
use crate::platform::reap::Exit;
use crate::process::{ExitStatus, Now, Process, ProcessState, StartError, SupervisorState};
use crate::signals::Signal;

type Reply<T> = oneshot::Sender<T>;

/// One process's answer to come: at once, or when it settles.
pub(crate) type Pending = (ProcessName, oneshot::Receiver<Result<(), ControlError>>);

/// One process's outcome.
pub(crate) type Outcome = (ProcessName, Result<(), ControlError>);

/// What callers ask of the actor.
pub(crate) enum Request {
    /// The target's processes, in start order.
    Info(Target, Reply<Result<Vec<ProcessSnapshot>, ControlError>>),
    /// Every process, sorted by group then name.
    AllInfo(Reply<Vec<ProcessSnapshot>>),
    /// Starts the target's processes (of a group: those not running); with
    /// `wait`, each answer comes once its process is RUNNING or failed.
    Start(Target, bool, Reply<Result<Vec<Pending>, ControlError>>),
    /// Stops the target's processes (of a group: those running), highest
    /// priority first; the answers come in start order.
    Stop(Target, bool, Reply<Result<Vec<Pending>, ControlError>>),
    /// Signals the target's processes (of a group: those signallable).
    Signal(Target, Signal, Reply<Result<Vec<Outcome>, ControlError>>),
    SendStdin(ProcessName, Vec<u8>, Reply<Result<(), ControlError>>),
    ReopenLogs(Reply<()>),
    ClearLog(ProcessName, Reply<Result<(), ControlError>>),
    AddGroup(Box<GroupConfig>, Reply<Result<(), ControlError>>),
    RemoveGroup(String, Reply<Result<(), ControlError>>),
    /// A group's new settings; the processes named in the list keep running.
    ReplaceGroup(Box<GroupConfig>, Vec<String>, Reply<Result<(), ControlError>>),
    Groups(Reply<Vec<GroupConfig>>),
    MainLogPath(Reply<Option<PathBuf>>),
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
    /// A start, and the name the caller gave (its faults repeat it).
    Start(String, Reply<Result<(), ControlError>>),
    Stop(Reply<Result<(), ControlError>>),
}

/// The most bus events one turn of the actor takes in.
const BUS_TURN: usize = 256;

/// How often a pending stop logs `waiting for x to stop`.
const STOP_REPORT_EVERY: Duration = Duration::from_secs(2);

pub(crate) struct Actor {
    origin: Instant,
    slots: HashMap<usize, Slot>,
    next_id: usize,
    /// Groups in start order: priority, then name.
    groups: Vec<GroupSlot>,
    by_pid: HashMap<u32, usize>,
    timers: BTreeSet<(Duration, usize)>,
    host: RealHost,
    state: SupervisorState,
    waiters: Vec<(usize, Waiter)>,
    /// Groups still to stop during shutdown, by name, highest priority last.
    stop_groups: Vec<String>,
    shutdown_replies: Vec<Reply<()>>,
    last_die_report: Option<Duration>,
    pools: Pools,
    /// The event bus, read only while there are pools to feed.
    bus: Option<tokio::sync::broadcast::Receiver<Event>>,
    /// The last TICK slice seen, by period.
    ticks: HashMap<u64, u64>,
}

/// The pools' view of the actor's processes and I/O.
struct PoolView<'a> {
    slots: &'a HashMap<usize, Slot>,
    host: &'a mut RealHost,
}

impl PoolHost for PoolView<'_> {
    fn running_pid(&self, id: usize) -> Option<u32> {
        self.slots.get(&id).map(|s| &s.process).filter(|p| p.state() == ProcessState::Running).map(Process::pid)
    }

    fn write_stdin(&mut self, pid: u32, data: &[u8]) -> bool {
        self.host.stdin.get(&pid).is_some_and(|fd| write_all_nonblocking(fd, data).is_ok())
    }

    fn log(&mut self, level: LogLevel, message: &str) {
        self.host.log(level, message);
    }

    fn name(&self, id: usize) -> String {
        self.slots.get(&id).map(|s| s.process.config().name.clone()).unwrap_or_default()
    }
}

const TICK_PERIODS: [(u64, EventType); 3] =
    [(5, EventType::Tick5), (60, EventType::Tick60), (3600, EventType::Tick3600)];

fn epoch_now() -> u64 {
    SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

impl Actor {
    pub(crate) fn new(groups: Vec<GroupConfig>, host: RealHost, identifier: &str) -> Actor {
        let mut actor = Actor {
            origin: Instant::now(),
            slots: HashMap::new(),
            next_id: 0,
            groups: Vec::new(),
            by_pid: HashMap::new(),
            timers: BTreeSet::new(),
            host,
            state: SupervisorState::Running,
            waiters: Vec::new(),
            stop_groups: Vec::new(),
            shutdown_replies: Vec::new(),
            last_die_report: None,
            pools: Pools::new(identifier),
            bus: None,
            ticks: HashMap::new(),
        };
        for group in groups {
            actor.insert_group(group);
        }
        actor
    }

    fn now(&self) -> Now {
        Now { mono: self.origin.elapsed(), wall: SystemTime::now() }
    }

    fn accepting(&self) -> bool {
        self.state == SupervisorState::Running
    }

    fn process(&self, id: usize) -> Option<&Process> {
        self.slots.get(&id).map(|s| &s.process)
    }

    /// A new slot for a process that has never run; returns its id.
    fn new_slot(&mut self, config: &Arc<crate::config::ProcessConfig>) -> usize {
        let id = self.next_id;
        self.next_id += 1;
        self.slots.insert(id, Slot { process: Process::new(Arc::clone(config)), deadline: None });
        id
    }

    /// Puts a group where start order wants it: priority, then name.
    fn place_group(&mut self, config: GroupConfig, members: Vec<usize>) {
        let at = self
            .groups
            .iter()
            .position(|g| (g.config.priority, &g.config.name) > (config.priority, &config.name))
            .unwrap_or(self.groups.len());
        self.groups.insert(at, GroupSlot { config, members });
    }

    /// Adds a group's processes in start order; returns their ids.
    fn insert_group(&mut self, config: GroupConfig) -> Vec<usize> {
        let members: Vec<usize> = config.processes.iter().map(|p| self.new_slot(p)).collect();
        self.track_pool(&config, &members);
        if let GroupKind::FastCgi(socket) = &config.kind {
            self.host.add_socket(&config.name, socket);
        }
        self.place_group(config, members.clone());
        members
    }

    /// Registers a listener pool (and starts reading the bus for it).
    fn track_pool(&mut self, config: &GroupConfig, members: &[usize]) {
        if let GroupKind::EventListenerPool(pool) = &config.kind {
            self.pools.add(&config.name, pool, members.to_vec());
            self.host.listener_groups.insert(config.name.clone());
            if self.bus.is_none() {
                self.bus = Some(self.host.events.subscribe());
                self.host.own_receivers.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
        }
    }

    /// An event from the bus, for the pools.
    fn on_bus_event(&mut self, event: Event) {
        if let Event::ProcessLog { group, name, channel, .. } = &event {
            let enabled = self
                .groups
                .iter()
                .find(|g| &g.config.name == group)
                .and_then(|g| g.config.processes.iter().find(|p| &p.name == name))
                .is_some_and(|p| match channel {
                    Channel::Stdout => p.stdout.events_enabled,
                    Channel::Stderr => p.stderr.events_enabled,
                });
            if !enabled || !is_output(&event) {
                return;
            }
        }
        let n = notification(&event);
        self.pools.publish(n, &mut PoolView { slots: &self.slots, host: &mut self.host });
    }

    /// An event already waiting on the bus, if any.
    fn next_bus_event(&mut self) -> Option<Event> {
        let rx = self.bus.as_mut()?;
        // A lag skips to the oldest event still held; the next receive
        // returns it (or nothing), so this ends.
        match rx.try_recv() {
            Ok(event) => Some(event),
            Err(tokio::sync::broadcast::error::TryRecvError::Lagged(_)) => rx.try_recv().ok(),
            Err(_) => None,
        }
    }

    /// Emits the TICK events whose slice changed since the last look.
    fn tick_events(&mut self) {
        let now = epoch_now();
        for (period, kind) in TICK_PERIODS {
            let slice = timeslice(period, now);
            match self.ticks.insert(period, slice) {
                Some(last) if last != slice => {
                    self.host.events.send(Event::Tick { kind, when: slice });
                }
                _ => {}
            }
        }
    }

    pub(crate) async fn run(
        mut self,
        mut requests: mpsc::Receiver<Request>,
        mut exits: mpsc::UnboundedReceiver<Exit>,
        mut news: mpsc::UnboundedReceiver<PumpNews>,
    ) {
        self.host.events.send(Event::SupervisorState(SupervisorState::Running));
        // Start in group priority order, all in one pass (4.3.0 does not wait
        // for one to be up before the next).
        for id in self.start_order() {
            self.reschedule(id);
        }
        self.fire_due_timers();
        self.tick_events();
        let mut tick_timer = tokio::time::interval(Duration::from_secs(1));
        tick_timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        let mut stop_reports = tokio::time::interval(STOP_REPORT_EVERY);
        stop_reports.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
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
            let stopping_waits = self.waiters.iter().any(|(_, w)| matches!(w, Waiter::Stop(_)));
            let wants_ticks = self.pools.wants_ticks();
            let bus = async {
                match self.bus.as_mut() {
                    Some(rx) => rx.recv().await.ok(),
                    None => std::future::pending().await,
                }
            };
            // Unbiased on purpose: in a crash storm exits are always ready,
            // and a biased select would never reach a stop request.
            tokio::select! {
                Some((pid, status)) = exits.recv() => {
                    self.on_exit(pid, status);
                    // 4.3.0 reaps every child that exited, then logs the
                    // SIGCHLD that woke it once.
                    while let Ok((pid, status)) = exits.try_recv() {
                        self.on_exit(pid, status);
                    }
                    self.host.log(LogLevel::Debug, "received SIGCHLD indicating a child quit");
                }
                Some(news) = news.recv() => match news {
                    PumpNews::Protocol(pid, data) => {
                        if let Some(&id) = self.by_pid.get(&pid) {
                            self.pools.output(id, &data, &mut PoolView { slots: &self.slots, host: &mut self.host });
                        }
                    }
                    PumpNews::Closed { pid, channel, spawn } => self.on_pipe_closed(pid, Some((channel, spawn))),
                },
                Some(event) = bus => {
                    // Everything this turn sent is buffered before anything
                    // goes out, as 4.3.0 buffers a whole pass's events.
                    self.on_bus_event(event);
                    // At most what was waiting when this turn began (output
                    // pumps can refill the bus as fast as it empties): the
                    // exits, requests and timers get their turn.
                    let waiting = self.bus.as_ref().map_or(0, tokio::sync::broadcast::Receiver::len);
                    for _ in 0..waiting.min(BUS_TURN) {
                        let Some(event) = self.next_bus_event() else { break };
                        self.on_bus_event(event);
                    }
                    self.pools.dispatch_all(&mut PoolView { slots: &self.slots, host: &mut self.host });
                }
                // Slices turn on wall-clock boundaries; a once-a-second look is
                // enough, and only while some pool subscribes to TICK.
                _ = tick_timer.tick(), if wants_ticks => self.tick_events(),
                request = requests.recv() => match request {
                    Some(r) => self.handle(r),
                    // Every handle is gone: stop everything, as a shutdown would.
                    None => self.begin_shutdown(),
                },
                () = sleep => {}
                _ = stop_reports.tick(), if stopping_waits => self.report_stops(),
            }
            self.fire_due_timers();
        }
        for reply in self.shutdown_replies.drain(..) {
            let _ = reply.send(());
        }
    }

    fn start_order(&self) -> Vec<usize> {
        self.groups.iter().flat_map(|g| g.members.iter().copied()).collect()
    }

    fn reschedule(&mut self, id: usize) {
        let accepting = self.accepting();
        let Some(slot) = self.slots.get_mut(&id) else {
            return;
        };
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
            let due: Vec<usize> = self.timers.iter().take_while(|(d, _)| *d <= now.mono).map(|(_, id)| *id).collect();
            if due.is_empty() {
                return;
            }
            for id in due {
                let accepting = self.accepting();
                self.with_process(id, |p, host| p.tick(host, now, accepting));
            }
        }
    }

    /// Runs one state machine call on `id`, then the bookkeeping every
    /// change needs (pid map, timer, waiters).
    fn with_process<T>(&mut self, id: usize, f: impl FnOnce(&mut Process, &mut RealHost) -> T) -> Option<T> {
        let slot = self.slots.get_mut(&id)?;
        let before = slot.process.pid();
        let out = f(&mut slot.process, &mut self.host);
        let pid = slot.process.pid();
        if pid != before {
            if before != 0 {
                self.by_pid.remove(&before);
                self.host.stdin.remove(&before);
                self.host.pipes.remove(&before);
                self.host.reaped(before);
                self.pools.exited(id, &mut PoolView { slots: &self.slots, host: &mut self.host });
            }
            if pid != 0 {
                self.by_pid.insert(pid, id);
                self.pools.spawned(id);
            }
        }
        if !self.pools.is_empty() {
            let running = self.process(id).is_some_and(|p| p.state() == ProcessState::Running);
            let group = self.process(id).map(|p| p.config().group.clone());
            if let (true, Some(group)) = (running, group) {
                self.pools.dispatch(&group, &mut PoolView { slots: &self.slots, host: &mut self.host });
            }
        }
        self.reschedule(id);
        self.settle_waiters(id);
        Some(out)
    }

    /// Logs the end of `pid`'s pipe on `channel` made by spawn number
    /// `spawn` (every pipe not yet logged: `None`), in the state its process
    /// is in now.
    fn on_pipe_closed(&mut self, pid: u32, channel: Option<(crate::events::Channel, u64)>) {
        let Some(&id) = self.by_pid.get(&pid) else { return };
        let Some(process) = self.slots.get(&id).map(|s| &s.process) else { return };
        let Some(pipes) = self.host.pipes.get_mut(&pid) else { return };
        let closed: Vec<_> = match channel {
            Some((c, spawn)) => pipes
                .iter()
                .position(|p| p.channel == c && p.spawn == spawn)
                .map(|at| pipes.remove(at))
                .into_iter()
                .collect(),
            None => std::mem::take(pipes),
        };
        for pipe in closed {
            let line = pipe.closed_line(id, &process.config().name, process.state());
            self.host.log(LogLevel::Debug, &line);
        }
    }

    fn on_exit(&mut self, pid: u32, status: ExitStatus) {
        let Some(&id) = self.by_pid.get(&pid) else {
            self.host.log(LogLevel::Info, &format!("reaped unknown pid {pid} ({})", status.describe()));
            return;
        };
        // 4.3.0 drains the pipes before it decides what the exit means: a
        // pipe whose end the pump has not reported yet is closed there.
        self.on_pipe_closed(pid, None);
        let now = self.now();
        self.with_process(id, |p, host| p.exited(host, status, now));
    }

    fn report_stops(&mut self) {
        let now = self.now();
        let ids: Vec<usize> =
            self.waiters.iter().filter(|(_, w)| matches!(w, Waiter::Stop(_))).map(|(id, _)| *id).collect();
        for id in ids {
            if let Some(slot) = self.slots.get_mut(&id) {
                slot.process.stop_report(&mut self.host, now);
            }
        }
    }

    fn settle_waiters(&mut self, id: usize) {
        let Some(process) = self.process(id) else {
            return;
        };
        let state = process.state();
        let spawnerr = process.spawnerr().is_some();
        let mut i = 0;
        while i < self.waiters.len() {
            if self.waiters[i].0 != id {
                i += 1;
                continue;
            }
            let done = match &self.waiters[i].1 {
                Waiter::Start(name, _) if spawnerr => Some(Err(ControlError::SpawnError(name.clone()))),
                Waiter::Start(..) if state == ProcessState::Running => Some(Ok(())),
                Waiter::Start(name, _) if state != ProcessState::Starting => {
                    Some(Err(ControlError::AbnormalTermination(name.clone())))
                }
                Waiter::Stop(_) if state.is_stopped() => Some(Ok(())),
                _ => None,
            };
            match done {
                Some(result) => {
                    let (_, waiter) = self.waiters.swap_remove(i);
                    let (Waiter::Start(_, reply) | Waiter::Stop(reply)) = waiter;
                    let _ = reply.send(result);
                }
                None => i += 1,
            }
        }
    }

    /// The process `name`.
    fn find(&self, name: &ProcessName) -> Result<usize, ControlError> {
        self.groups
            .iter()
            .find(|g| g.config.name == name.group())
            .and_then(|g| {
                g.members.iter().copied().find(|&id| self.process(id).is_some_and(|p| p.config().name == name.name()))
            })
            .ok_or_else(|| ControlError::BadName(name.to_string()))
    }

    /// The target's processes, in start order.
    fn resolve(&self, target: &Target) -> Result<Vec<usize>, ControlError> {
        let group = |name: &str| self.groups.iter().find(|g| g.config.name == name);
        match target {
            Target::Process(name) => self.find(name).map(|id| vec![id]),
            Target::Group(name) => {
                group(name).map(|g| g.members.clone()).ok_or_else(|| ControlError::BadName(name.clone()))
            }
            Target::All => Ok(self.start_order()),
            Target::Program { group: in_group, program } => {
                let of_program =
                    |id: &usize| self.process(*id).is_some_and(|p| program_of(&p.config().section) == program);
                let ids: Vec<usize> = match in_group {
                    Some(g) => {
                        group(g).map(|g| g.members.iter().copied().filter(of_program).collect()).unwrap_or_default()
                    }
                    // The first group (in start order) that holds it.
                    None => self
                        .groups
                        .iter()
                        .map(|g| g.members.iter().copied().filter(of_program).collect::<Vec<_>>())
                        .find(|ids| !ids.is_empty())
                        .unwrap_or_default(),
                };
                if ids.is_empty() { Err(ControlError::BadName(target.label())) } else { Ok(ids) }
            }
            // A target added later reads as unknown.
            #[allow(unreachable_patterns)]
            _ => Err(ControlError::BadName(target.label())),
        }
    }

    fn name_of(&self, id: usize) -> ProcessName {
        self.process(id).map_or_else(
            || ProcessName::new("", ""),
            |p| ProcessName::new(p.config().group.clone(), p.config().name.clone()),
        )
    }

    fn snapshot(p: &Process, now: SystemTime) -> ProcessSnapshot {
        ProcessSnapshot {
            config: Arc::clone(p.config()),
            state: p.state(),
            pid: Some(p.pid()).filter(|&pid| pid != 0),
            started: p.start_time(),
            stopped: p.stop_time(),
            now,
            exit_status: p.exitstatus(),
            spawn_error: p.spawnerr().map(str::to_owned),
        }
    }

    fn handle(&mut self, request: Request) {
        match request {
            Request::Info(target, reply) => {
                let now = SystemTime::now();
                let infos = self
                    .resolve(&target)
                    .map(|ids| ids.iter().filter_map(|&id| self.process(id)).map(|p| Self::snapshot(p, now)).collect());
                let _ = reply.send(infos);
            }
            Request::AllInfo(reply) => {
                let now = SystemTime::now();
                let mut all: Vec<ProcessSnapshot> =
                    self.slots.values().map(|s| Self::snapshot(&s.process, now)).collect();
                all.sort_unstable_by(|a, b| (&a.config.group, &a.config.name).cmp(&(&b.config.group, &b.config.name)));
                let _ = reply.send(all);
            }
            Request::Start(target, wait, reply) => {
                let result = self.resolve(&target).map(|ids| {
                    // A group start skips what already runs; one process
                    // that does is an error (ALREADY_STARTED).
                    let ids: Vec<usize> = ids
                        .into_iter()
                        .filter(|&id| target.is_single() || !self.process(id).is_some_and(|p| p.state().is_running()))
                        .collect();
                    ids.into_iter()
                        .map(|id| {
                            let (tx, rx) = oneshot::channel();
                            let name = self.name_of(id);
                            self.start(id, &name, wait, tx);
                            (name, rx)
                        })
                        .collect()
                });
                let _ = reply.send(result);
            }
            Request::Stop(target, wait, reply) => {
                let result = self.resolve(&target).map(|ids| {
                    let mut ids: Vec<usize> = ids
                        .into_iter()
                        .filter(|&id| target.is_single() || self.process(id).is_some_and(|p| p.state().is_running()))
                        .collect();
                    // Highest priority first; the answers in start order, as 4.3.0's.
                    ids.reverse();
                    let mut pending: Vec<Pending> = ids
                        .into_iter()
                        .map(|id| {
                            let (tx, rx) = oneshot::channel();
                            let name = self.name_of(id);
                            self.stop(id, &name, wait, tx);
                            (name, rx)
                        })
                        .collect();
                    pending.reverse();
                    pending
                });
                let _ = reply.send(result);
            }
            Request::Signal(target, signal, reply) => {
                let result = self.resolve(&target).map(|ids| {
                    let ids: Vec<usize> = ids
                        .into_iter()
                        .filter(|&id| {
                            target.is_single() || self.process(id).is_some_and(|p| p.state().is_signallable())
                        })
                        .collect();
                    ids.into_iter()
                        .map(|id| {
                            let name = self.name_of(id);
                            let result = self.signal(id, &name, signal);
                            (name, result)
                        })
                        .collect()
                });
                let _ = reply.send(result);
            }
            Request::SendStdin(name, data, reply) => {
                let result = self.find(&name).and_then(|id| {
                    // 4.3.0: not while stopping (`killing`).
                    let pid = self
                        .process(id)
                        .filter(|p| matches!(p.state(), ProcessState::Running | ProcessState::Starting))
                        .map_or(0, Process::pid);
                    if pid == 0 {
                        return Err(ControlError::NotRunning(name.to_string()));
                    }
                    let fd = self.host.stdin.get(&pid).ok_or_else(|| ControlError::NoFile(name.to_string()))?;
                    write_all_nonblocking(fd, &data).map_err(|_| ControlError::NoFile(name.to_string()))
                });
                let _ = reply.send(result);
            }
            Request::ReopenLogs(reply) => {
                self.host.log(LogLevel::Info, "supervisord logreopen");
                self.host.reopen_logs();
                let _ = reply.send(());
            }
            Request::ClearLog(name, reply) => {
                let result = self.find(&name).and_then(|id| {
                    let config = self
                        .process(id)
                        .map(|p| p.config().clone())
                        .ok_or_else(|| ControlError::BadName(name.to_string()))?;
                    self.host.clear_logs(&config).map_err(|e| ControlError::Failed(format!("{name}: {e}")))
                });
                let _ = reply.send(result);
            }
            Request::AddGroup(config, reply) => {
                let result = if !self.accepting() {
                    Err(ControlError::ShuttingDown)
                } else if self.groups.iter().any(|g| g.config.name == config.name) {
                    Err(ControlError::AlreadyAdded(config.name.clone()))
                } else {
                    let name = config.name.clone();
                    for id in self.insert_group(*config) {
                        self.reschedule(id);
                    }
                    self.host.events.send(Event::GroupAdded(name));
                    Ok(())
                };
                let _ = reply.send(result);
                self.fire_due_timers();
            }
            Request::RemoveGroup(name, reply) => {
                let result = match self.groups.iter().position(|g| g.config.name == name) {
                    None => Err(ControlError::BadName(name)),
                    Some(at) => {
                        let members = &self.groups[at].members;
                        if members.iter().any(|&id| self.process(id).is_some_and(|p| !p.state().is_stopped())) {
                            Err(ControlError::StillRunning(name))
                        } else {
                            let group = self.groups.remove(at);
                            self.pools.remove(&group.config.name);
                            self.host.listener_groups.remove(&group.config.name);
                            self.host.remove_socket(&group.config.name);
                            for id in group.members {
                                if let Some(slot) = self.slots.remove(&id)
                                    && let Some(d) = slot.deadline
                                {
                                    self.timers.remove(&(d, id));
                                }
                            }
                            for p in &group.config.processes {
                                self.host.io.remove(&p.namespec());
                            }
                            self.host.events.send(Event::GroupRemoved(name));
                            Ok(())
                        }
                    }
                };
                let _ = reply.send(result);
            }
            Request::ReplaceGroup(config, keep, reply) => {
                let _ = reply.send(self.replace_group(*config, &keep));
                self.fire_due_timers();
            }
            Request::Groups(reply) => {
                let _ = reply.send(self.groups.iter().map(|g| g.config.clone()).collect());
            }
            Request::MainLogPath(reply) => {
                let _ = reply.send(self.host.mainlog.lock().ok().and_then(|m| m.path().map(PathBuf::from)));
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

    /// Swaps a group's settings in place: processes named in `keep` stay as
    /// they are (running or not); the others are replaced by the new
    /// configuration's (they must already be stopped) or dropped.
    fn replace_group(&mut self, mut config: GroupConfig, keep: &[String]) -> Result<(), ControlError> {
        let at = self
            .groups
            .iter()
            .position(|g| g.config.name == config.name)
            .ok_or_else(|| ControlError::BadName(config.name.clone()))?;
        // A changed socket (or group kind) is a new socket manager: every
        // process of the group must be down (a start may have slipped in
        // since `update_group` stopped them), so the old socket is closed.
        let current = &self.groups[at];
        if current.config.kind != config.kind
            && current.members.iter().any(|&id| self.process(id).is_some_and(|p| !p.state().is_stopped()))
        {
            return Err(ControlError::StillRunning(config.name.clone()));
        }
        let old = self.groups.remove(at);
        if old.config.kind != config.kind {
            self.host.remove_socket(&config.name);
            if let GroupKind::FastCgi(socket) = &config.kind {
                self.host.add_socket(&config.name, socket);
            }
        }
        let mut kept: HashMap<String, usize> = HashMap::new();
        for id in old.members {
            let Some(name) = self.process(id).map(|p| p.config().name.clone()) else { continue };
            if keep.contains(&name) {
                kept.insert(name, id);
            } else if let Some(slot) = self.slots.remove(&id)
                && let Some(d) = slot.deadline
            {
                self.timers.remove(&(d, id));
            }
        }
        let mut members = Vec::new();
        for p in &mut config.processes {
            let id = match kept.remove(&p.name) {
                Some(id) => {
                    // Keep the running process and the log files it writes.
                    if let Some(slot) = self.slots.get(&id) {
                        *p = Arc::clone(slot.process.config());
                    }
                    id
                }
                None => self.new_slot(p),
            };
            members.push(id);
        }
        self.track_pool(&config, &members);
        self.place_group(config, members.clone());
        for id in members {
            self.reschedule(id);
        }
        Ok(())
    }

    /// Sends `signal` to one process; it must be signallable.
    fn signal(&mut self, id: usize, name: &ProcessName, signal: Signal) -> Result<(), ControlError> {
        if !self.process(id).is_some_and(|p| p.state().is_signallable()) {
            return Err(ControlError::NotRunning(name.to_string()));
        }
        let now = self.now();
        self.with_process(id, |p, host| p.signal(host, signal, now))
            .unwrap_or(Err(String::new()))
            .map_err(ControlError::Failed)
    }

    fn start(&mut self, id: usize, name: &ProcessName, wait: bool, reply: Reply<Result<(), ControlError>>) {
        let name = &name.to_string();
        if !self.accepting() {
            let _ = reply.send(Err(ControlError::ShuttingDown));
            return;
        }
        // Refuse early what could only fail later, as 4.3.0 does.
        let Some(config) = self.process(id).map(|p| p.config().clone()) else {
            return;
        };
        match command::resolve(&config, self.host.ctx.path().as_deref()) {
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
                self.host.log(LogLevel::Warn, &format!("process '{process}' already running"));
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
            self.waiters.push((id, Waiter::Start(name.to_owned(), reply)));
        }
    }

    fn stop(&mut self, id: usize, name: &ProcessName, wait: bool, reply: Reply<Result<(), ControlError>>) {
        let name = &name.to_string();
        if !self.process(id).is_some_and(|p| p.state().is_running()) {
            let _ = reply.send(Err(ControlError::NotRunning(name.to_owned())));
            return;
        }
        let now = self.now();
        match self.with_process(id, |p, host| p.stop(host, now)) {
            Some(Err(msg)) => {
                let _ = reply.send(Err(ControlError::Failed(msg)));
            }
            _ if !wait || self.process(id).is_none_or(|p| p.state().is_stopped()) => {
                let _ = reply.send(Ok(()));
            }
            _ => self.waiters.push((id, Waiter::Stop(reply))),
        }
    }

    fn begin_shutdown(&mut self) {
        if self.state == SupervisorState::Shutdown {
            return;
        }
        self.state = SupervisorState::Shutdown;
        self.host.events.send(Event::SupervisorState(SupervisorState::Shutdown));
        self.stop_groups = self.groups.iter().map(|g| g.config.name.clone()).collect();
        let ids: Vec<usize> = self.slots.keys().copied().collect();
        for id in ids {
            self.reschedule(id);
        }
    }

    /// Stops groups one at a time, highest priority first; true when all are down.
    fn advance_shutdown(&mut self) -> bool {
        while let Some(name) = self.stop_groups.last().cloned() {
            let Some(group) = self.groups.iter().find(|g| g.config.name == name) else {
                self.stop_groups.pop();
                continue;
            };
            let mut members = group.members.clone();
            members.sort_by_key(|&id| std::cmp::Reverse(self.process(id).map_or(0, |p| p.config().priority)));
            let now = self.now();
            for &id in &members {
                self.with_process(id, |p, host| match p.state() {
                    ProcessState::Running | ProcessState::Starting => {
                        let _ = p.stop(host, now);
                    }
                    ProcessState::Backoff => p.give_up(host, now),
                    _ => {}
                });
            }
            let stopped = |actor: &Actor, ids: &[usize]| {
                ids.iter().filter_map(|&id| actor.process(id)).all(|p| p.state().is_stopped())
            };
            if stopped(self, &members) {
                self.stop_groups.pop();
                continue;
            }
            // 4.3.0 names every process not yet stopped, in every group.
            let unstopped: Vec<String> = self
                .groups
                .iter()
                .flat_map(|g| g.members.iter())
                .filter_map(|&id| self.process(id))
                .filter(|p| !p.state().is_stopped())
                .map(|p| p.config().name.clone())
                .collect();
            let now = self.now().mono;
            if self.last_die_report.is_none_or(|t| now > t + Duration::from_secs(3)) {
                self.host.log(LogLevel::Info, &format!("waiting for {} to die", unstopped.join(", ")));
                self.last_die_report = Some(now);
            }
            return false;
        }
        true
    }
}

/// Writes to a child's stdin without waiting: a full pipe is an error, as a
/// closed one is (4.3.0 buffers; we refuse rather than grow without bound).
fn write_all_nonblocking(fd: &std::os::fd::OwnedFd, mut data: &[u8]) -> Result<(), nix::errno::Errno> {
    while !data.is_empty() {
        let n = nix::unistd::write(fd, data)?;
        data = &data[n..];
    }
    Ok(())
}
