//! The stops of a stop of many processes (`stopAllProcesses`, a group)
//! that a turn of the actor has not sent yet. Signalling a process costs
//! tens of microseconds (the kernel wakes it): a thousand in one turn held
//! every question for 75 ms or more, so a turn sends a batch and the API
//! gets its answers between batches. Each queued stop is one the request
//! already decided on; nothing else may overtake it (see `Engine`).

use std::collections::{HashSet, VecDeque};

use super::Reply;
use crate::supervisor::error::ControlError;
use crate::supervisor::names::ProcessName;

/// A stop decided on and not yet sent: the process, its name, whether the
/// caller waits for STOPPED, and where the answer goes.
pub(super) struct QueuedStop {
    pub id: usize,
    pub name: ProcessName,
    pub wait: bool,
    pub reply: Reply<Result<(), ControlError>>,
}

#[derive(Default)]
pub(super) struct StopQueue {
    queue: VecDeque<QueuedStop>,
    /// The processes in `queue`, to find one at once.
    ids: HashSet<usize>,
}

impl StopQueue {
    pub(super) fn push(&mut self, stop: QueuedStop) {
        self.ids.insert(stop.id);
        self.queue.push_back(stop);
    }

    pub(super) fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    pub(super) fn contains(&self, id: usize) -> bool {
        self.ids.contains(&id)
    }

    /// The next stop to send.
    pub(super) fn pop(&mut self) -> Option<QueuedStop> {
        let stop = self.queue.pop_front()?;
        self.ids.remove(&stop.id);
        Some(stop)
    }

    /// `id`'s stop, taken out of its turn (its process exited first).
    pub(super) fn take(&mut self, id: usize) -> Option<QueuedStop> {
        if !self.ids.remove(&id) {
            return None;
        }
        let at = self.queue.iter().position(|s| s.id == id)?;
        self.queue.remove(at)
    }
}
