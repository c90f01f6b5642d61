//! The event bus: every event on one channel, and everything but output
//! on another, so a subscriber to state changes alone costs the output
//! path nothing (pumps copy output only while someone reads it).

use std::sync::atomic::AtomicU64;
use std::sync::{Arc, OnceLock};

use tokio::sync::broadcast;

use crate::events::Event;

/// Both channels; cheap to clone. Each ring is made when its first
/// subscriber comes: an event nobody listens to is dropped either way, and
/// a daemon nobody subscribes to (no event listener, no stream) does not
/// hold two rings of `capacity` slots (850 KB at 4096).
#[derive(Clone)]
pub(crate) struct Bus {
    all: Arc<OnceLock<broadcast::Sender<Event>>>,
    states: Arc<OnceLock<broadcast::Sender<Event>>>,
    capacity: usize,
    /// Events stream readers missed by falling behind (metrics).
    dropped: Arc<AtomicU64>,
}

impl Bus {
    /// A bus whose subscribers may fall `capacity` events behind.
    pub(crate) fn new(capacity: usize) -> Bus {
        Bus { all: Arc::default(), states: Arc::default(), capacity: capacity.max(16), dropped: Arc::default() }
    }

    /// Where streams count the events their readers missed.
    pub(crate) fn dropped(&self) -> &Arc<AtomicU64> {
        &self.dropped
    }

    /// Publishes `event` to whoever listens.
    pub(crate) fn send(&self, event: Event) {
        if !matches!(event, Event::ProcessLog { .. })
            && let Some(states) = self.states.get()
            && states.receiver_count() > 0
        {
            let _ = states.send(event.clone());
        }
        if let Some(all) = self.all.get() {
            let _ = all.send(event);
        }
    }

    fn ring(&self, which: &OnceLock<broadcast::Sender<Event>>) -> broadcast::Receiver<Event> {
        which.get_or_init(|| broadcast::channel(self.capacity).0).subscribe()
    }

    /// Every event, output included.
    pub(crate) fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.ring(&self.all)
    }

    /// Every event but output ([`Event::ProcessLog`]).
    pub(crate) fn subscribe_states(&self) -> broadcast::Receiver<Event> {
        self.ring(&self.states)
    }

    /// How many read every event (output included).
    pub(crate) fn receiver_count(&self) -> usize {
        self.all.get().map_or(0, broadcast::Sender::receiver_count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::Channel;

    fn output() -> Event {
        Event::ProcessLog { group: "g".into(), name: "n".into(), pid: 1, channel: Channel::Stdout, data: b"x".to_vec() }
    }

    #[test]
    fn a_ring_is_made_by_its_first_subscriber() {
        let bus = Bus::new(16);
        bus.send(Event::GroupAdded("before".into()));
        assert!(bus.all.get().is_none() && bus.states.get().is_none(), "no ring without a subscriber");
        let mut states = bus.clone().subscribe_states();
        assert!(bus.all.get().is_none(), "only the ring asked for");
        bus.send(Event::GroupAdded("g".into()));
        assert_eq!(states.try_recv().ok(), Some(Event::GroupAdded("g".into())));
        assert!(states.try_recv().is_err(), "an event sent before the ring existed is not kept");
    }

    #[test]
    fn state_subscribers_do_not_see_or_count_as_output_readers() {
        let bus = Bus::new(16);
        let mut states = bus.subscribe_states();
        assert_eq!(bus.receiver_count(), 0, "output is copied for nobody");
        let mut all = bus.subscribe();
        bus.send(output());
        bus.send(Event::GroupAdded("g".into()));
        assert_eq!(states.try_recv().ok(), Some(Event::GroupAdded("g".into())));
        assert!(states.try_recv().is_err());
        assert_eq!(all.try_recv().ok(), Some(output()));
        assert_eq!(all.try_recv().ok(), Some(Event::GroupAdded("g".into())));
    }
}
