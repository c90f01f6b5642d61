//! The engine: every process and group, and the rules between them
//! (requests and their waiters, group operations, shutdown order, reload).
//! It is pure: time comes from tokio's clock (pausable in tests), and the
//! world only through [`Shell`], so a fake shell tests every rule without a
//! process. The actor (`actor.rs`) drives it from one task: requests, child
//! exits and timers arrive there and nothing else mutates state, so there
//! are no locks on the hot path. Only processes with a pending deadline
//! (starting, backing off, stopping) have a timer: an idle RUNNING process
//! costs nothing.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::sync::oneshot;
use tokio::time::Instant;

mod container;
mod dependencies;
mod groups;
mod health;
mod listeners;
mod metrics;
mod requests;
mod shutdown;
mod stop_queue;
#[cfg(test)]
mod tests;
mod waiters;

use self::listeners::PoolView;
use super::error::ControlError;
use super::host::Shell;
use super::info::ProcessSnapshot;
use super::names::{ProcessName, Target, program_of};
use super::news::PumpNews;
use super::pools::Pools;
use crate::config::{GroupConfig, LogLevel};
use crate::events::Event;
use crate::process::{ExitStatus, Now, Process, ProcessState, SupervisorState};
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
    Groups(Reply<Vec<Arc<GroupConfig>>>),
    MainLogPath(Reply<Option<PathBuf>>),
    State(Reply<SupervisorState>),
    /// The engine's figures for metrics (no `/proc` reading).
    Metrics(Reply<super::metrics::EngineFigures>),
    Shutdown(Reply<()>),
}

impl Request {
    /// Whether the request only asks (changes nothing).
    fn only_reads(&self) -> bool {
        matches!(
            self,
            Request::Info(..)
                | Request::AllInfo(_)
                | Request::Groups(_)
                | Request::MainLogPath(_)
                | Request::State(_)
                | Request::Metrics(_)
        )
    }
}

struct Slot {
    process: Process,
    deadline: Option<Duration>,
}

struct GroupSlot {
    /// Shared with whoever asked for the groups (supervisord's API keeps
    /// them for `reread`): one copy each.
    config: Arc<GroupConfig>,
    members: Vec<usize>,
}

enum Waiter {
    /// A start, and the name the caller gave (its faults repeat it).
    Start(String, Reply<Result<(), ControlError>>),
    Stop(Reply<Result<(), ControlError>>),
}

/// A start request waiting for its process to be RUNNING: the name as
/// given, and where the answer goes.
type StartWaiter = (String, Reply<Result<(), ControlError>>);

/// The most bus events one turn of the actor takes in.
const BUS_TURN: usize = 256;

/// The most deadlines one turn of the actor handles. Each may be a spawn
/// (about a millisecond): 8 keep a request's wait around ten milliseconds
/// while a thousand programs start.
const TIMER_TURN: usize = 8;

/// The most queued stops one turn of the actor sends (a signal costs tens
/// of microseconds: 32 keep a question's wait to a few milliseconds while
/// a thousand programs stop).
const STOP_TURN: usize = 32;

pub(crate) struct Engine<S: Shell> {
    origin: Instant,
    /// Boxed: the table holds a pointer per bucket, not a whole slot (at
    /// 1000 processes hashbrown has 2048 buckets).
    slots: HashMap<usize, Box<Slot>>,
    next_id: usize,
    /// Groups in start order: priority, then name.
    groups: Vec<GroupSlot>,
    by_pid: HashMap<u32, usize>,
    timers: BTreeSet<(Duration, usize)>,
    /// The due deadlines a pass found and has not handled yet, in order.
    pass: VecDeque<(Duration, usize)>,
    host: S,
    state: SupervisorState,
    waiters: waiters::Waiters,
    /// Groups still to stop during shutdown, by name, highest priority last.
    stop_groups: Vec<String>,
    /// Where the last of them was found in `groups`.
    stop_hint: usize,
    shutdown_replies: Vec<Reply<()>>,
    last_die_report: Option<Duration>,
    pools: Pools,
    /// The event bus, read only while there are pools to feed.
    bus: Option<tokio::sync::broadcast::Receiver<Event>>,
    /// The last TICK slice seen, by period.
    ticks: HashMap<u64, u64>,
    /// Processes waiting for their dependencies, with the start requests
    /// that wait for them to be RUNNING (name as given, reply).
    waiting: std::collections::BTreeMap<usize, Vec<StartWaiter>>,
    /// What a STOPPED process's description says instead (`waiting for
    /// db (running)`, `not started: ...`).
    notes: HashMap<usize, String>,
    /// Who waits on each process (its waiting dependents).
    waiting_on: HashMap<usize, Vec<usize>>,
    /// Stops held until the dependents they name have stopped.
    held_stops: Vec<dependencies::HeldStop>,
    /// Stops of a many-process stop that later turns send.
    stop_queue: stop_queue::StopQueue,
    /// Set while dependencies are being checked (a start inside the check
    /// must not start another check).
    checking: bool,
    /// Each process's last exit.
    last_exit: HashMap<usize, ExitStatus>,
    /// Liveness of the processes with a `health_check`.
    health: HashMap<usize, health::Health>,
    /// Why the engine ends by itself (`shutdown_on`), once it does.
    shutdown_cause: Option<crate::supervisor::lifeline::ShutdownCause>,
    /// What each running process last said it does (`STATUS=`).
    statuses: HashMap<usize, String>,
    /// Autostart processes not to start by themselves again: their
    /// dependencies failed, or their wait was stopped.
    held_back: std::collections::HashSet<usize>,
    /// What metrics count per process beyond the machine's state.
    counted: HashMap<usize, metrics::Counted>,
}

impl<S: Shell> Engine<S> {
    pub(crate) fn new(groups: Vec<GroupConfig>, host: S, identifier: &str) -> Engine<S> {
        let mut actor = Engine {
            origin: Instant::now(),
            slots: HashMap::new(),
            next_id: 0,
            groups: Vec::new(),
            by_pid: HashMap::new(),
            timers: BTreeSet::new(),
            pass: VecDeque::new(),
            host,
            state: SupervisorState::Running,
            waiters: waiters::Waiters::default(),
            stop_groups: Vec::new(),
            stop_hint: usize::MAX,
            shutdown_replies: Vec::new(),
            last_die_report: None,
            pools: Pools::new(identifier),
            bus: None,
            ticks: HashMap::new(),
            waiting: std::collections::BTreeMap::new(),
            notes: HashMap::new(),
            held_stops: Vec::new(),
            stop_queue: stop_queue::StopQueue::default(),
            waiting_on: HashMap::new(),
            checking: false,
            held_back: std::collections::HashSet::new(),
            statuses: HashMap::new(),
            last_exit: HashMap::new(),
            health: HashMap::new(),
            shutdown_cause: None,
            counted: HashMap::new(),
        };
        for group in groups {
            actor.insert_group(group);
        }
        actor
    }

    /// Writes a line to supervisord's log.
    fn log(&mut self, level: LogLevel, message: &str) {
        self.host.log(level, message.to_owned());
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
        self.slots.insert(id, Box::new(Slot { process: Process::new(Arc::clone(config)), deadline: None }));
        id
    }

    /// Starts the autostart programs, in group priority order, all in one
    /// pass (4.3.0 does not wait for one to be up before the next).
    pub(crate) fn begin(&mut self) {
        self.host.publish(Event::SupervisorState(SupervisorState::Running));
        for id in self.start_order() {
            self.reschedule(id);
        }
        self.fire_due_timers();
        self.tick_events();
    }

    /// When the next process needs a tick.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.timers.first().map(|(d, _)| self.origin + *d)
    }

    /// Whether a deadline has passed that a turn left for later.
    pub(crate) fn has_due(&self) -> bool {
        !self.stop_queue.is_empty()
            || !self.pass.is_empty()
            || self.timers.first().is_some_and(|(d, _)| *d <= self.origin.elapsed())
    }

    /// Whether a stop is being waited for (it is reported every 2 s).
    pub(crate) fn stopping_waits(&self) -> bool {
        self.waiters.any_stop()
    }

    /// Whether some listener pool subscribes to TICK events.
    pub(crate) fn wants_ticks(&self) -> bool {
        self.pools.wants_ticks()
    }

    /// The pools' bus reader, while there are pools.
    pub(crate) fn bus(&mut self) -> Option<&mut tokio::sync::broadcast::Receiver<Event>> {
        self.bus.as_mut()
    }

    /// Exits reaped together: 4.3.0 reaps every child that exited, then
    /// logs the SIGCHLD that woke it once.
    pub(crate) fn on_exits(&mut self, exits: impl IntoIterator<Item = (u32, ExitStatus)>) {
        for (pid, status) in exits {
            self.on_exit(pid, status);
        }
        self.log(LogLevel::Debug, "received SIGCHLD indicating a child quit");
        self.fire_due_timers();
    }

    /// News from an output pump.
    pub(crate) fn on_news(&mut self, news: PumpNews) {
        match news {
            PumpNews::Protocol(pid, data) => {
                if let Some(&id) = self.by_pid.get(&pid) {
                    self.pools.output(id, &data, &mut PoolView { slots: &self.slots, host: &mut self.host });
                }
            }
            PumpNews::Closed { pid, channel, spawn } => self.on_pipe_closed(pid, Some((channel, spawn))),
            PumpNews::Health(pid, outcome) => {
                if let Some(&id) = self.by_pid.get(&pid) {
                    self.on_health(id, outcome);
                }
            }
            PumpNews::Status(pid, text) => {
                if let Some(&id) = self.by_pid.get(&pid) {
                    self.statuses.insert(id, text);
                }
            }
            PumpNews::Ready(pid) => {
                if let Some(&id) = self.by_pid.get(&pid) {
                    let now = self.now();
                    self.with_process(id, |p, host| p.ready(host, now));
                }
            }
        }
        self.fire_due_timers();
    }

    /// An event from the bus for the pools, and at most what waited on the
    /// bus when it came (output pumps can refill it as fast as it empties:
    /// exits, requests and timers get their turn). Everything this turn
    /// sent is buffered before anything goes out, as 4.3.0 buffers a whole
    /// pass's events.
    pub(crate) fn on_bus(&mut self, event: Event) {
        self.on_bus_event(event);
        let waiting = self.bus.as_ref().map_or(0, tokio::sync::broadcast::Receiver::len);
        for _ in 0..waiting.min(BUS_TURN) {
            let Some(event) = self.next_bus_event() else { break };
            self.on_bus_event(event);
        }
        self.pools.dispatch_all(&mut PoolView { slots: &self.slots, host: &mut self.host });
        self.fire_due_timers();
    }

    /// A second passed (TICK events, only while some pool wants them).
    pub(crate) fn on_tick(&mut self) {
        self.tick_events();
        self.fire_due_timers();
    }

    /// A request from a handle; `None` when every handle is gone, which
    /// stops everything as a shutdown would.
    pub(crate) fn on_request(&mut self, request: Option<Request>) {
        match request {
            Some(r) => {
                // What a turn left due happens before anything acts on
                // the processes, as if no turn had been cut short: a stop
                // of everything never misses a crashed program whose
                // restart was due. A question is answered as things are.
                if !r.only_reads() {
                    self.send_queued_stops(usize::MAX);
                    self.fire_timers_due(usize::MAX);
                }
                self.handle(r);
            }
            None => self.begin_shutdown(),
        }
        self.fire_due_timers();
    }

    /// A deadline passed, or a turn left work for later.
    pub(crate) fn on_timer(&mut self) {
        self.send_queued_stops(STOP_TURN);
        self.fire_due_timers();
    }

    /// Sends at most `budget` of the queued stops, in the order decided.
    fn send_queued_stops(&mut self, budget: usize) {
        for _ in 0..budget {
            let Some(s) = self.stop_queue.pop() else { return };
            self.stop(s.id, &s.name, s.wait, s.reply);
        }
    }

    /// Logs `waiting for x to stop` for each stop being waited for.
    pub(crate) fn on_stop_report(&mut self) {
        self.report_stops();
        self.fire_due_timers();
    }

    /// Starts `id` with no one to answer (autostart, a dependency): as the
    /// state machine starts it, so a command that cannot run is a spawn
    /// error (BACKOFF, FATAL), as for an autostart in 4.3.0.
    fn start_internal(&mut self, id: usize) {
        if !self.accepting() {
            return;
        }
        let now = self.now();
        self.with_process(id, |p, host| {
            if p.start(host, now).is_ok() {
                p.tick(host, now, true);
            }
        });
    }

    /// Everything kept about `id` beyond its slot, for a process that is
    /// gone (its group removed or replaced).
    fn forget_process(&mut self, id: usize) {
        if let Some(waiters) = self.waiting.remove(&id) {
            for (label, reply) in waiters {
                let _ = reply.send(Err(ControlError::BadName(label)));
            }
        }
        self.waiting_on.remove(&id);
        for waiters in self.waiting_on.values_mut() {
            waiters.retain(|&w| w != id);
        }
        self.notes.remove(&id);
        self.held_back.remove(&id);
        self.health.remove(&id);
        self.statuses.remove(&id);
        self.last_exit.remove(&id);
        self.counted.remove(&id);
    }

    /// Why the engine ended by itself (`shutdown_on`), if it did.
    pub(crate) fn take_shutdown_cause(&mut self) -> Option<crate::supervisor::lifeline::ShutdownCause> {
        self.shutdown_cause.take()
    }

    /// Whether the engine is done: shut down with every process stopped.
    /// Then the shutdown requests are answered.
    pub(crate) fn finished(&mut self) -> bool {
        if self.state != SupervisorState::Shutdown || !self.advance_shutdown() {
            return false;
        }
        for reply in self.shutdown_replies.drain(..) {
            let _ = reply.send(());
        }
        true
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
        // A process waiting for its dependencies is started by their
        // transitions, not by a timer.
        if slot.process.state() == ProcessState::Stopped
            && (self.waiting.contains_key(&id) || self.held_back.contains(&id))
        {
            return;
        }
        if let Some(d) = slot.process.deadline(accepting) {
            slot.deadline = Some(d);
            self.timers.insert((d, id));
        }
    }

    /// Handles due deadlines, at most [`TIMER_TURN`] of them: the rest stay
    /// due, and the actor comes back for them once it has looked at what
    /// else waits (a mass start must not hold the API's calls up).
    /// Deadlines are handled in their order either way.
    fn fire_due_timers(&mut self) {
        self.fire_timers_due(TIMER_TURN);
    }

    /// Handles due deadlines, at most `budget` of them.
    fn fire_timers_due(&mut self, mut budget: usize) {
        let mut now = self.now();
        // A tick can make another tick due at once (spawn, then RUNNING for
        // startsecs=0): each pass takes what is due when it begins, in
        // deadline order, and passes follow until nothing is due or the
        // turn is over. A pass cut short goes on in the next turn, so the
        // order is the same as in one go.
        while budget > 0 {
            if self.pass.is_empty() {
                now = self.now();
                self.pass = self.timers.iter().take_while(|(d, _)| *d <= now.mono).copied().collect();
            }
            let Some((due, id)) = self.pass.pop_front() else { return };
            budget -= 1;
            // Out of the timers first: whatever happens below, this
            // deadline is handled (and set again if still needed), so the
            // loop always gets on. One that an earlier tick or a turn
            // between moved, or took away, is not this one any more (a
            // moved one that is still due comes in the next pass).
            self.timers.remove(&(due, id));
            match self.slots.get_mut(&id) {
                Some(slot) if slot.deadline == Some(due) => slot.deadline = None,
                _ => continue,
            }
            let accepting = self.accepting();
            // An earlier id may have put this one to wait for its
            // dependencies since the pass began.
            let stopped = self.process(id).is_some_and(|p| p.state() == ProcessState::Stopped);
            if stopped && (self.is_waiting(id) || self.held_back.contains(&id)) {
                continue;
            }
            if accepting && self.gated(id) {
                // Autostart goes through its dependencies.
                let name = self.name_of(id);
                self.start_after_dependencies(id, &name, false, None);
                continue;
            }
            self.with_process(id, |p, host| p.tick(host, now, accepting));
        }
    }

    /// Runs one state machine call on `id`, then the bookkeeping every
    /// change needs (pid map, timer, waiters).
    fn with_process<T>(&mut self, id: usize, f: impl FnOnce(&mut Process, &mut S) -> T) -> Option<T> {
        let slot = self.slots.get_mut(&id)?;
        let state_before = slot.process.state();
        let before = slot.process.pid();
        let out = f(&mut slot.process, &mut self.host);
        let pid = slot.process.pid();
        if pid != before {
            if before != 0 {
                self.by_pid.remove(&before);
                self.statuses.remove(&id);
                self.host.reaped(before);
                self.pools.exited(id, &mut PoolView { slots: &self.slots, host: &mut self.host });
            }
            if pid != 0 {
                // A new run: its health and exit are its own.
                if let Some(h) = self.health.get_mut(&id) {
                    h.failures = 0;
                }
                self.last_exit.remove(&id);
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
        self.restart_if_unhealthy(id);
        self.check_dependencies(id);
        // FATAL comes from a tick, not an exit.
        if self.process(id).is_some_and(|p| p.state() == ProcessState::Fatal) {
            self.container_check(id, state_before, None);
        }
        Some(out)
    }

    /// Logs the end of `pid`'s pipe on `channel` made by spawn number
    /// `spawn` (every pipe not yet logged: `None`), in the state its process
    /// is in now.
    fn on_pipe_closed(&mut self, pid: u32, channel: Option<(crate::events::Channel, u64)>) {
        let Some(&id) = self.by_pid.get(&pid) else { return };
        let closed = self.host.close_pipes(pid, channel);
        let Some(process) = self.slots.get(&id).map(|s| &s.process) else { return };
        let lines: Vec<String> =
            closed.iter().map(|pipe| pipe.closed_line(id, &process.config().name, process.state())).collect();
        for line in lines {
            self.log(LogLevel::Debug, &line);
        }
    }

    fn on_exit(&mut self, pid: u32, status: ExitStatus) {
        let Some(&id) = self.by_pid.get(&pid) else {
            self.log(LogLevel::Info, &format!("reaped unknown pid {pid} ({})", status.describe()));
            return;
        };
        // Its stop was decided before it exited: the stop comes first (no
        // signal: the pid is free again), and the exit then ends the stop,
        // as in 4.3.0, whose stop signals the unreaped child. No autorestart.
        if let Some(s) = self.stop_queue.take(id) {
            self.stop_with(s.id, &s.name, s.wait, s.reply, false);
        }
        // 4.3.0 drains the pipes before it decides what the exit means: a
        // pipe whose end the pump has not reported yet is closed there.
        self.on_pipe_closed(pid, None);
        let now = self.now();
        self.last_exit.insert(id, status);
        self.counted.entry(id).or_default().last_exit = Some(status.code());
        let before = self.process(id).map_or(ProcessState::Stopped, Process::state);
        self.with_process(id, |p, host| p.exited(host, status, now));
        self.container_check(id, before, Some(status));
    }

    fn report_stops(&mut self) {
        let now = self.now();
        let ids = self.waiters.stopping();
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
        self.waiters.settle(id, |waiter| match waiter {
            Waiter::Start(name, _) if spawnerr => Some(Err(ControlError::SpawnError(name.clone()))),
            Waiter::Start(..) if state == ProcessState::Running => Some(Ok(())),
            Waiter::Start(name, _) if state != ProcessState::Starting => {
                Some(Err(ControlError::AbnormalTermination(name.clone())))
            }
            Waiter::Stop(_) if state.is_stopped() => Some(Ok(())),
            _ => None,
        });
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

    /// A snapshot of `p`; `health` is its restarts and failures in a row.
    fn snapshot(
        p: &Process,
        now: Now,
        note: Option<&String>,
        status: Option<&String>,
        health: (u32, u32),
    ) -> ProcessSnapshot {
        ProcessSnapshot {
            health_restarts: health.0,
            health_failures: health.1,
            next_start: p.next_start(now),
            note: note.filter(|_| p.state() == ProcessState::Stopped).cloned(),
            status: status.filter(|_| p.pid() != 0).cloned(),
            config: Arc::clone(p.config()),
            state: p.state(),
            pid: Some(p.pid()).filter(|&pid| pid != 0),
            started: p.start_time(),
            stopped: p.stop_time(),
            now: now.wall,
            exit_status: p.exitstatus(),
            spawn_error: p.spawnerr().map(str::to_owned),
        }
    }
}
