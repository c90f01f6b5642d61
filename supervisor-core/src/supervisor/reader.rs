//! The one task that reads a process's pipes. A hand-written future
//! holding both channels' state, rather than an `async` task per pipe: a
//! thousand idle programs each cost one small task instead of two large
//! ones (the pipe's own readiness slot holds the waker, so no wait future
//! is stored), about 0.7 KiB less per program.

use std::future::Future;
use std::os::fd::OwnedFd;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use tokio::net::unix::pipe::Receiver;
use tokio::time::Sleep;

use super::capture::Capture;
use super::output::{Pump, Step};

/// Reads `stdout` (and `stderr`, unless it goes to stdout) until the
/// child closes each, telling the actor as each one ends.
pub(crate) fn run(stdout: (Pump, OwnedFd), stderr: Option<(Pump, OwnedFd)>) {
    let sides = [Some(stdout), stderr].map(|side| side.and_then(|(pump, fd)| Side::open(pump, fd)));
    if sides.iter().any(Option::is_some) {
        tokio::spawn(Reader { sides, first: 0 });
    }
}

/// Both pipes of one process; a side is `None` once its pipe has ended.
struct Reader {
    sides: [Option<Side>; 2],
    /// Which side is read first this time: they take turns, so a flood
    /// on one, which ends a poll only when the task's cooperative budget
    /// is spent, cannot keep the other waiting.
    first: usize,
}

impl Future for Reader {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let first = self.first;
        self.first ^= 1;
        for i in [first, first ^ 1] {
            let slot = &mut self.sides[i];
            if slot.as_mut().is_some_and(|side| side.poll(cx).is_ready())
                && let Some(side) = slot.take()
            {
                side.finish();
            }
        }
        if self.sides.iter().all(Option::is_none) { Poll::Ready(()) } else { Poll::Pending }
    }
}

/// One pipe and what its reading keeps between reads.
struct Side {
    pump: Pump,
    pipe: Receiver,
    /// Capture mode's state; boxed, as it is rare.
    capture: Option<Box<Capture>>,
    /// Whether the pipe was made bigger (it filled up once).
    grown: bool,
    /// The wait for a held partial line; boxed, as most pipes never hold one.
    partial: Option<Pin<Box<Sleep>>>,
}

impl Side {
    /// A pipe the reactor watches; `None` (and the end told) if it cannot.
    fn open(pump: Pump, fd: OwnedFd) -> Option<Side> {
        match Receiver::from_owned_fd(fd) {
            Ok(pipe) => {
                // The protocol channel of a listener never captures.
                let capture = (pump.capture_maxbytes > 0 && !pump.listener)
                    .then(|| Box::new(Capture::new(usize::try_from(pump.capture_maxbytes).unwrap_or(usize::MAX))));
                Some(Side { pump, pipe, capture, grown: false, partial: None })
            }
            Err(_) => {
                pump.closed();
                None
            }
        }
    }

    /// Reads what there is; `Ready` once the pipe has ended.
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            // What the pipe holds first, then a held partial line's wait,
            // so a line whose rest has come is not cut in two.
            match self.pipe.poll_read_ready(cx) {
                Poll::Ready(Ok(())) => {}
                Poll::Ready(Err(_)) => return Poll::Ready(()),
                Poll::Pending => {
                    let Some(at) = self.pump.partial_deadline() else {
                        self.partial = None;
                        return Poll::Pending;
                    };
                    let at = tokio::time::Instant::from_std(at);
                    let timer = self.partial.get_or_insert_with(|| Box::pin(tokio::time::sleep_until(at)));
                    if timer.deadline() != at {
                        timer.as_mut().reset(at);
                    }
                    ready!(timer.as_mut().poll(cx));
                    self.partial = None;
                    self.pump.flush_lines();
                    continue;
                }
            }
            // try_read does not count against tokio's cooperative budget:
            // without this a flooding child would keep its worker thread
            // from everything else (RPC answers).
            let coop = ready!(tokio::task::coop::poll_proceed(cx));
            match self.pump.read_once(&self.pipe, &mut self.grown, &mut self.capture) {
                Step::More => coop.made_progress(),
                // The read cleared the pipe's readiness: the next look
                // registers this task's waker.
                Step::Wait => {}
                Step::Closed => return Poll::Ready(()),
            }
        }
    }

    /// Writes what is held and tells the actor that the pipe has ended.
    fn finish(mut self) {
        self.pump.flush_lines();
        self.pump.closed();
    }
}
