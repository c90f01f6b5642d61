//! The callers waiting for a process to settle (a start until RUNNING or
//! failed, a stop until stopped): found by process at once, however many
//! wait (a `stopAllProcesses` of 10,000 leaves 10,000), and kept in the
//! order they came.

use std::collections::{BTreeMap, HashMap};

use super::Waiter;
use crate::supervisor::error::ControlError;

#[derive(Default)]
pub(super) struct Waiters {
    next: u64,
    /// Every waiter by arrival, with its process.
    all: BTreeMap<u64, (usize, Waiter)>,
    by_process: HashMap<usize, Vec<u64>>,
    /// How many of them wait for a stop.
    stops: usize,
}

impl Waiters {
    pub(super) fn push(&mut self, id: usize, waiter: Waiter) {
        if matches!(waiter, Waiter::Stop(_)) {
            self.stops += 1;
        }
        let seq = self.next;
        self.next += 1;
        self.all.insert(seq, (id, waiter));
        self.by_process.entry(id).or_default().push(seq);
    }

    /// Whether a stop is waited for.
    pub(super) fn any_stop(&self) -> bool {
        self.stops > 0
    }

    /// The processes whose stop is waited for, in the order the stops came.
    pub(super) fn stopping(&self) -> Vec<usize> {
        self.all.values().filter(|(_, w)| matches!(w, Waiter::Stop(_))).map(|(id, _)| *id).collect()
    }

    /// Answers each of `id`'s waiters that `outcome` has an answer for, and
    /// lets it go; the others keep waiting.
    pub(super) fn settle(&mut self, id: usize, outcome: impl Fn(&Waiter) -> Option<Result<(), ControlError>>) {
        let Waiters { all, by_process, stops, .. } = self;
        let Some(seqs) = by_process.get_mut(&id) else { return };
        seqs.retain(|seq| {
            let Some(result) = all.get(seq).and_then(|(_, w)| outcome(w)) else { return true };
            if let Some((_, waiter)) = all.remove(seq) {
                if matches!(waiter, Waiter::Stop(_)) {
                    *stops -= 1;
                }
                let (Waiter::Start(_, reply) | Waiter::Stop(reply)) = waiter;
                let _ = reply.send(result);
            }
            false
        });
        if seqs.is_empty() {
            by_process.remove(&id);
        }
    }
}
