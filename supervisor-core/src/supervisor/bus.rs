//! The event bus: every event on one channel, and everything but output
//! on another, so a subscriber to state changes alone costs the output
//! path nothing (pumps copy output only while someone reads it).

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use tokio::sync::broadcast;

use crate::events::Event;

/// Both channels; cheap to clone.
#[derive(Clone)]
pub(crate) struct Bus {
    all: broadcast::Sender<Event>,
    states: broadcast::Sender<Event>,
    /// Events stream readers missed by falling behind (metrics).
    dropped: Arc<AtomicU64>,
}

impl Bus {
    /// A bus whose subscribers may fall `capacity` events behind.
    pub(crate) fn new(capacity: usize) -> Bus {
        let capacity = capacity.max(16);
        Bus { all: broadcast::channel(capacity).0, states: broadcast::channel(capacity).0, dropped: Arc::default() }
    }

    /// Where streams count the events their readers missed.
    pub(crate) fn dropped(&self) -> &Arc<AtomicU64> {
        &self.dropped
    }

    /// Publishes `event` to whoever listens.
    pub(crate) fn send(&self, event: Event) {
        if !matches!(event, Event::ProcessLog { .. }) && self.states.receiver_count() > 0 {
            let _ = self.states.send(event.clone());
        }
        let _ = self.all.send(event);
    }

    /// Every event, output included.
    pub(crate) fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.all.subscribe()
    }

    /// Every event but output ([`Event::ProcessLog`]).
    pub(crate) fn subscribe_states(&self) -> broadcast::Receiver<Event> {
        self.states.subscribe()
    }

    /// How many read every event (output included).
    pub(crate) fn receiver_count(&self) -> usize {
        self.all.receiver_count()
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
