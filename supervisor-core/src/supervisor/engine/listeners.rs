//! Event listener pools' side of the engine: the bus they read, what
//! each event becomes for them, and TICK events.

use std::collections::HashMap;
use std::time::SystemTime;

use super::{Engine, Slot};
use crate::config::{GroupConfig, GroupKind, LogLevel};
use crate::events::payload::{notification, timeslice};
use crate::events::{Channel, Event, EventType};
use crate::process::{Process, ProcessState};
use crate::supervisor::host::Shell;
use crate::supervisor::pools::{PoolHost, is_output};

/// The pools' view of the engine's processes and I/O.
pub(super) struct PoolView<'a, S: Shell> {
    pub(super) slots: &'a HashMap<usize, Box<Slot>>,
    pub(super) host: &'a mut S,
}

impl<S: Shell> PoolHost for PoolView<'_, S> {
    fn running_pid(&self, id: usize) -> Option<u32> {
        self.slots.get(&id).map(|s| &s.process).filter(|p| p.state() == ProcessState::Running).map(Process::pid)
    }

    fn write_stdin(&mut self, pid: u32, data: &[u8]) -> bool {
        self.host.write_stdin(pid, data)
    }

    fn log(&mut self, level: LogLevel, message: &str) {
        self.host.log(level, message.to_owned());
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

impl<S: Shell> Engine<S> {
    /// Registers a listener pool (and starts reading the bus for it).
    pub(super) fn track_pool(&mut self, config: &GroupConfig, members: &[usize]) {
        if let GroupKind::EventListenerPool(pool) = &config.kind {
            self.pools.add(&config.name, pool, members.to_vec());
            self.host.set_listener_group(&config.name, true);
            if self.bus.is_none() {
                self.bus = Some(self.host.subscribe_for_pools());
            }
        }
    }

    /// An event from the bus, for the pools.
    pub(super) fn on_bus_event(&mut self, event: Event) {
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
    pub(super) fn next_bus_event(&mut self) -> Option<Event> {
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
    pub(super) fn tick_events(&mut self) {
        let now = epoch_now();
        for (period, kind) in TICK_PERIODS {
            let slice = timeslice(period, now);
            match self.ticks.insert(period, slice) {
                Some(last) if last != slice => {
                    self.host.publish(Event::Tick { kind, when: slice });
                }
                _ => {}
            }
        }
    }
}
