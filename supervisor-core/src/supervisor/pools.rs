//! Event listener pools (4.3.0's `EventListenerPool`): each pool buffers the
//! events it subscribes to and hands them, one at a time, to a member that
//! is RUNNING and said READY.

use std::collections::{HashMap, VecDeque};

use crate::config::{EventListenerPoolConfig, LogLevel};
use crate::events::listener::{Listener, ListenerState, Outcome};
use crate::events::payload::{LenUnit, Notification, envelope};
use crate::events::{Event, EventType};

/// What the pools need from the supervisor around them.
pub(crate) trait PoolHost {
    /// The pid of process `id` if it is RUNNING.
    fn running_pid(&self, id: usize) -> Option<u32>;
    /// Writes to a process's stdin without waiting; false if it could not.
    fn write_stdin(&mut self, pid: u32, data: &[u8]) -> bool;
    /// Logs a line to supervisord's log.
    fn log(&mut self, level: LogLevel, message: &str);
    /// Process `id`'s name.
    fn name(&self, id: usize) -> String;
}

#[derive(Debug, Clone)]
struct Queued {
    n: Notification,
    serial: u64,
    pool_serial: u64,
}

struct Pool {
    unit: LenUnit,
    events: Vec<EventType>,
    buffer_size: usize,
    buffer: VecDeque<Queued>,
    next_serial: u64,
    members: Vec<usize>,
}

struct Member {
    pool: String,
    protocol: Listener,
    held: Option<Queued>,
}

/// Every pool of one supervisor.
#[derive(Default)]
pub(crate) struct Pools {
    pools: HashMap<String, Pool>,
    members: HashMap<usize, Member>,
    serial: u64,
    identifier: String,
    /// Events discarded because a pool's buffer was full.
    dropped: u64,
}

impl Pools {
    pub fn new(identifier: &str) -> Pools {
        Pools { identifier: identifier.to_owned(), ..Pools::default() }
    }

    pub fn is_empty(&self) -> bool {
        self.pools.is_empty()
    }

    /// Events discarded so far because a pool's buffer was full.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Whether any pool wants TICK events.
    pub fn wants_ticks(&self) -> bool {
        self.pools.values().any(|p| {
            p.events
                .iter()
                .any(|e| [EventType::Tick5, EventType::Tick60, EventType::Tick3600].iter().any(|t| e.matches(*t)))
        })
    }

    /// Adds (or reconfigures) a pool; its buffered events survive a reconfiguration.
    pub fn add(&mut self, name: &str, config: &EventListenerPoolConfig, members: Vec<usize>) {
        for &id in &members {
            self.members.entry(id).or_insert_with(|| Member {
                pool: name.to_owned(),
                protocol: Listener::default(),
                held: None,
            });
        }
        let pool = self.pools.entry(name.to_owned()).or_insert_with(|| Pool {
            unit: LenUnit::Characters,
            events: Vec::new(),
            buffer_size: 1,
            buffer: VecDeque::new(),
            next_serial: 0,
            members: Vec::new(),
        });
        pool.events = config.events.clone();
        pool.unit = if config.len_in_bytes { LenUnit::Bytes } else { LenUnit::Characters };
        pool.buffer_size = config.buffer_size.max(1);
        pool.members = members;
    }

    pub fn remove(&mut self, name: &str) {
        if let Some(pool) = self.pools.remove(name) {
            for id in pool.members {
                self.members.remove(&id);
            }
        }
    }

    /// A listener process (re)started: it begins ACKNOWLEDGED.
    pub fn spawned(&mut self, id: usize) {
        if let Some(m) = self.members.get_mut(&id) {
            m.protocol = Listener::default();
        }
    }

    /// A listener process exited: an event it held goes back to the head.
    pub fn exited(&mut self, id: usize, host: &mut dyn PoolHost) {
        if let Some(m) = self.members.get_mut(&id)
            && let Some(q) = m.held.take()
        {
            let pool = m.pool.clone();
            self.requeue(&pool, q, host);
            self.dispatch(&pool, host);
        }
    }

    fn accept(&mut self, pool_name: &str, q: Queued, head: bool, host: &mut dyn PoolHost) {
        let Some(pool) = self.pools.get_mut(pool_name) else { return };
        if pool.buffer.len() >= pool.buffer_size
            && let Some(dropped) = pool.buffer.pop_front()
        {
            self.dropped += 1;
            host.log(
                LogLevel::Error,
                &format!("pool {pool_name} event buffer overflowed, discarding event {}", dropped.serial),
            );
        }
        if head { pool.buffer.push_front(q) } else { pool.buffer.push_back(q) }
    }

    fn requeue(&mut self, pool_name: &str, q: Queued, host: &mut dyn PoolHost) {
        let (len, max) = self.pools.get(pool_name).map_or((0, 0), |p| (p.buffer.len(), p.buffer_size));
        host.log(
            LogLevel::Debug,
            &format!("rebuffering event {} for pool {pool_name} (buf size={len}, max={max})", q.serial),
        );
        self.accept(pool_name, q, true, host);
    }

    /// An event from the bus: buffered by every pool subscribed to its
    /// type. As in 4.3.0, nothing is sent until [`Pools::dispatch_all`]:
    /// the events of one turn are buffered together first.
    pub fn publish(&mut self, n: Notification, host: &mut dyn PoolHost) {
        let subscribed: Vec<String> = self
            .pools
            .iter()
            .filter(|(_, p)| p.events.iter().any(|e| e.matches(n.kind)))
            .map(|(k, _)| k.clone())
            .collect();
        if subscribed.is_empty() {
            return;
        }
        let serial = self.serial;
        self.serial = self.serial.wrapping_add(1);
        for name in subscribed {
            let Some(pool) = self.pools.get_mut(&name) else { continue };
            let pool_serial = pool.next_serial;
            pool.next_serial = pool.next_serial.wrapping_add(1);
            self.accept(&name, Queued { n: n.clone(), serial, pool_serial }, false, host);
        }
    }

    /// [`Pools::dispatch`] for every pool (4.3.0's `transition()`).
    pub fn dispatch_all(&mut self, host: &mut dyn PoolHost) {
        let names: Vec<String> = self.pools.keys().cloned().collect();
        for name in names {
            self.dispatch(&name, host);
        }
    }

    /// Hands buffered events to READY members until none is left or ready.
    /// As 4.3.0's `dispatch()`, this runs only when some member is RUNNING
    /// and READY, and the event it could not place goes back to the head
    /// of the buffer with a `rebuffering` line.
    pub fn dispatch(&mut self, pool_name: &str, host: &mut dyn PoolHost) {
        let Some(pool) = self.pools.get(pool_name) else { return };
        let capable = pool.members.iter().any(|&id| {
            self.members.get(&id).is_some_and(|m| m.protocol.state() == ListenerState::Ready)
                && host.running_pid(id).is_some()
        });
        if !capable {
            return;
        }
        loop {
            let Some(pool) = self.pools.get(pool_name) else { return };
            let Some(q) = pool.buffer.front().cloned() else { return };
            let unit = pool.unit;
            let mut sent = false;
            for &id in &pool.members {
                let Some(m) = self.members.get(&id) else { continue };
                if m.protocol.state() != ListenerState::Ready {
                    continue;
                }
                let Some(pid) = host.running_pid(id) else { continue };
                let text = envelope(&self.identifier, q.serial, pool_name, q.pool_serial, &q.n, unit);
                if !host.write_stdin(pid, text.as_bytes()) {
                    let name = host.name(id);
                    host.log(
                        LogLevel::Debug,
                        &format!(
                            "epipe occurred while sending event {} to listener {name}, listener state unchanged",
                            q.serial
                        ),
                    );
                    continue;
                }
                if let Some(m) = self.members.get_mut(&id) {
                    m.protocol.sent();
                    m.held = Some(q.clone());
                }
                let name = host.name(id);
                host.log(LogLevel::Debug, &format!("event {} sent to listener {name}", q.serial));
                sent = true;
                break;
            }
            if !sent {
                // 4.3.0 pops the event, then puts it back: the size it
                // reports is the buffer without it.
                host.log(
                    LogLevel::Debug,
                    &format!(
                        "rebuffering event {} for pool {pool_name} (buf size={}, max={})",
                        q.serial,
                        pool.buffer.len() - 1,
                        pool.buffer_size
                    ),
                );
                return;
            }
            if let Some(pool) = self.pools.get_mut(pool_name) {
                pool.buffer.pop_front();
            }
        }
    }

    /// Output from a listener's stdout.
    pub fn output(&mut self, id: usize, data: &[u8], host: &mut dyn PoolHost) {
        let Some(m) = self.members.get_mut(&id) else { return };
        let outcomes = m.protocol.feed(data);
        let pool = m.pool.clone();
        let name = host.name(id);
        // 4.3.0's `_change_listener_state` logs every change but READY ->
        // BUSY (an event sent) and the reset of a respawn.
        let change = |host: &mut dyn PoolHost, from: ListenerState, to: ListenerState| {
            host.log(LogLevel::Debug, &format!("{name}: {} -> {}", from.description(), to.description()));
        };
        for outcome in outcomes {
            match outcome {
                Outcome::Ready => change(host, ListenerState::Acknowledged, ListenerState::Ready),
                Outcome::Accepted => {
                    if let Some(m) = self.members.get_mut(&id) {
                        m.held = None;
                    }
                    host.log(LogLevel::Debug, &format!("{name}: event was processed"));
                    change(host, ListenerState::Busy, ListenerState::Acknowledged);
                }
                Outcome::Rejected => {
                    host.log(LogLevel::Warn, &format!("{name}: event was rejected"));
                    change(host, ListenerState::Busy, ListenerState::Acknowledged);
                    if let Some(q) = self.members.get_mut(&id).and_then(|m| m.held.take()) {
                        self.requeue(&pool, q, host);
                    }
                }
                Outcome::Violation { from, warning, requeue } => {
                    if let Some(w) = warning {
                        host.log(LogLevel::Warn, &format!("{name}: {w}"));
                    }
                    change(host, from, ListenerState::Unknown);
                    host.log(
                        LogLevel::Warn,
                        &format!(
                            "{name}: has entered the UNKNOWN state and will no longer receive events, this usually \
                             indicates the process violated the eventlistener protocol"
                        ),
                    );
                    let held = self.members.get_mut(&id).and_then(|m| m.held.take());
                    if let (true, Some(q)) = (requeue, held) {
                        self.requeue(&pool, q, host);
                    }
                }
            }
        }
        self.dispatch(&pool, host);
    }
}

/// Whether an event reaches pools at all (output events only when the
/// process enables them; the caller checks that).
pub(crate) fn is_output(event: &Event) -> bool {
    matches!(event, Event::ProcessLog { .. })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One pool member, `lis` (id 0, pid 10), that is RUNNING.
    #[derive(Default)]
    struct Fake {
        written: Vec<String>,
        logs: Vec<String>,
    }

    impl PoolHost for Fake {
        fn running_pid(&self, id: usize) -> Option<u32> {
            (id == 0).then_some(10)
        }
        fn write_stdin(&mut self, _: u32, data: &[u8]) -> bool {
            self.written.push(String::from_utf8_lossy(data).into_owned());
            true
        }
        fn log(&mut self, level: LogLevel, message: &str) {
            self.logs.push(format!("{} {message}", level.tag()));
        }
        fn name(&self, _: usize) -> String {
            "lis".into()
        }
    }

    fn pools() -> Pools {
        let mut p = Pools::new("sid");
        let config = EventListenerPoolConfig {
            buffer_size: 10,
            events: vec![EventType::Tick5],
            result_handler: String::new(),
            len_in_bytes: false,
        };
        p.add("lis", &config, vec![0]);
        p
    }

    fn tick() -> Notification {
        Notification { kind: EventType::Tick5, payload: "when:5".into() }
    }

    #[test]
    fn listener_state_changes_are_logged_where_4_3_0_logs_them() {
        let (mut p, mut h) = (pools(), Fake::default());
        p.output(0, b"READY\n", &mut h);
        // Two events: the first goes out (READY -> BUSY is not logged), the
        // second waits.
        p.publish(tick(), &mut h);
        p.dispatch_all(&mut h);
        p.publish(tick(), &mut h);
        p.dispatch_all(&mut h);
        p.output(0, b"RESULT 4\nFAIL", &mut h);
        p.output(0, b"READY\n", &mut h);
        p.output(0, b"RESULT 2\nOKREADY\n", &mut h);
        p.output(0, b"garbage\n", &mut h);
        assert_eq!(
            h.logs,
            [
                "DEBG lis: ACKNOWLEDGED -> READY",
                "DEBG event 0 sent to listener lis",
                "WARN lis: event was rejected",
                "DEBG lis: BUSY -> ACKNOWLEDGED",
                "DEBG rebuffering event 0 for pool lis (buf size=1, max=10)",
                "DEBG lis: ACKNOWLEDGED -> READY",
                "DEBG event 0 sent to listener lis",
                "DEBG rebuffering event 1 for pool lis (buf size=0, max=10)",
                "DEBG lis: event was processed",
                "DEBG lis: BUSY -> ACKNOWLEDGED",
                "DEBG lis: ACKNOWLEDGED -> READY",
                "DEBG event 1 sent to listener lis",
                "WARN lis: bad result line: 'garbage'",
                "DEBG lis: BUSY -> UNKNOWN",
                "WARN lis: has entered the UNKNOWN state and will no longer receive events, this usually indicates \
                 the process violated the eventlistener protocol",
                "DEBG rebuffering event 1 for pool lis (buf size=0, max=10)",
            ]
        );
        assert_eq!(h.written.len(), 3);
    }

    #[test]
    fn events_of_one_turn_are_buffered_before_any_is_sent() {
        let (mut p, mut h) = (pools(), Fake::default());
        p.output(0, b"READY\n", &mut h);
        p.publish(tick(), &mut h);
        p.publish(tick(), &mut h);
        p.dispatch_all(&mut h);
        assert_eq!(
            h.logs,
            [
                "DEBG lis: ACKNOWLEDGED -> READY",
                "DEBG event 0 sent to listener lis",
                "DEBG rebuffering event 1 for pool lis (buf size=0, max=10)",
            ]
        );
    }

    #[test]
    fn no_rebuffering_while_no_member_is_ready() {
        let (mut p, mut h) = (pools(), Fake::default());
        p.publish(tick(), &mut h);
        p.publish(tick(), &mut h);
        p.dispatch_all(&mut h);
        assert!(h.logs.is_empty(), "{:?}", h.logs);
        p.output(0, b"READY\n", &mut h);
        assert_eq!(
            h.logs,
            [
                "DEBG lis: ACKNOWLEDGED -> READY",
                "DEBG event 0 sent to listener lis",
                "DEBG rebuffering event 1 for pool lis (buf size=0, max=10)",
            ]
        );
    }
}
