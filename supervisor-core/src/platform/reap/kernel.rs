//! Following children by pidfd: one thread waits on every child's pidfd
//! with epoll and routes each exit to its owner.
//!
//! With the kernel reaping (`SA_NOCLDWAIT`) a child is released the moment
//! it exits, so it never waits as a zombie for a thread of ours to be
//! scheduled; its exit status comes from the pidfd (Linux 6.15 keeps it
//! there). Otherwise (our own children only) the thread reaps each one
//! through its pidfd, `waitid(P_PIDFD)`, and never touches another.

use std::collections::HashMap;
use std::os::fd::{AsFd, AsRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::sys::epoll::{Epoll, EpollCreateFlags, EpollEvent, EpollFlags};
use tokio::sync::mpsc::UnboundedSender;

use super::Exit;
use crate::platform::pidfd;

struct Watched {
    pidfd: OwnedFd,
    pid: u32,
    owner: UnboundedSender<Exit>,
}

#[derive(Default)]
struct State {
    /// Keyed by the pidfd's number, unique while it is open (a pid can be
    /// reused before the earlier exit is routed).
    children: HashMap<RawFd, Watched>,
    /// The live child behind each pid, for signals.
    by_pid: HashMap<u32, RawFd>,
    /// Out of the epoll set: exited before the kernel had released them
    /// (retried soon, then on every sweep), or refused by epoll.
    pending: Vec<(RawFd, Instant)>,
    orphans: Vec<UnboundedSender<Exit>>,
}

struct Watcher {
    epoll: Epoll,
    state: Mutex<State>,
    /// The kernel reaps: statuses come from pidfds, and the sweep keeps
    /// `SA_NOCLDWAIT` on and releases orphans. Otherwise only our own
    /// children are reaped, each through its pidfd.
    kernel: bool,
    /// The last sweep found `SA_NOCLDWAIT` on, or put it back.
    released: AtomicBool,
}

static WATCHER: OnceLock<Watcher> = OnceLock::new();

/// How often the thread looks at what epoll cannot tell it.
const SWEEP: Duration = Duration::from_secs(1);
/// How long an exit the kernel has not released yet is retried every
/// millisecond before only the sweep looks at it.
const SOON: Duration = Duration::from_secs(1);

enum Settled {
    Done,
    /// Exited, not released yet: the kernel is between the two steps.
    NotYet,
    /// Still running (a readiness left over for a reused descriptor number).
    Running,
}

impl Watcher {
    fn state(&self) -> MutexGuard<'_, State> {
        // A poisoned lock only means a panic elsewhere; the maps are sound.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Routes the child's exit if the kernel has its status.
    fn settle(&self, fd: RawFd) -> Settled {
        let mut state = self.state();
        let Some(child) = state.children.get(&fd) else { return Settled::Done };
        let status = if self.kernel {
            match pidfd::exit_status(child.pidfd.as_fd()) {
                Ok(Some(status)) => status,
                // Not released: either the kernel is about to, or SIGCHLD lost
                // SA_NOCLDWAIT (someone set a handler) and it waits for us.
                _ => match pidfd::reap(child.pidfd.as_fd()) {
                    Ok(Some(status)) => status,
                    Ok(None) => return Settled::Running,
                    Err(_) => return Settled::NotYet,
                },
            }
        } else {
            match pidfd::reap(child.pidfd.as_fd()) {
                Ok(Some(status)) => status,
                Ok(None) => return Settled::Running,
                // Someone else reaped our child (a `waitpid(-1)` of the
                // embedding program's): the kernel may have kept its status;
                // if not, it is unknown, which reads as an unexpected exit.
                Err(_) => match pidfd::exit_status(child.pidfd.as_fd()) {
                    Ok(Some(status)) => status,
                    _ => crate::exit::ExitStatus::Exited(255),
                },
            }
        };
        if let Some(child) = state.children.remove(&fd) {
            if state.by_pid.get(&child.pid) == Some(&fd) {
                state.by_pid.remove(&child.pid);
            }
            // Out of the set before closing: a vfork child between clone and
            // exec may hold a copy of the descriptor.
            let _ = self.epoll.delete(&child.pidfd);
            let _ = child.owner.send((child.pid, status));
        }
        Settled::Done
    }

    /// Settles a child epoll reported, giving the kernel a few turns to
    /// release it before putting it aside.
    fn on_ready(&self, fd: RawFd) {
        for _ in 0..8 {
            match self.settle(fd) {
                Settled::Done | Settled::Running => return,
                Settled::NotYet => std::thread::yield_now(),
            }
        }
        let mut state = self.state();
        if let Some(child) = state.children.get(&fd) {
            // Level-triggered: left in the set it would be reported again at once.
            let _ = self.epoll.delete(&child.pidfd);
            state.pending.push((fd, Instant::now()));
        }
    }

    /// Retries children put aside; with `all`, also those past [`SOON`].
    fn retry(&self, all: bool) {
        let due: Vec<RawFd> =
            self.state().pending.iter().filter(|(_, since)| all || since.elapsed() < SOON).map(|&(f, _)| f).collect();
        for fd in due {
            // One epoll refused may still be running: it stays until it ends.
            if matches!(self.settle(fd), Settled::Done) {
                self.state().pending.retain(|&(f, _)| f != fd);
            }
        }
    }

    /// What epoll cannot tell: SIGCHLD's `SA_NOCLDWAIT` taken away by a
    /// handler set later (put back), and zombies left meanwhile (reaped; an
    /// orphan's exit goes to the orphan listener, a child of ours is then
    /// settled through its pidfd).
    fn sweep(&self) {
        if !self.kernel {
            self.retry(true);
            return;
        }
        // While the flag stays on, the kernel leaves no zombie: a wait would
        // only walk every child, each second (idle CPU growing with the
        // number of programs). Only once it was taken away is there
        // something to reap.
        if self.released.load(Ordering::Relaxed) && super::children_released_at_exit() {
            self.retry(true);
            return;
        }
        self.released.store(super::release_children_at_exit(), Ordering::Relaxed);
        while let Some(exit) = super::reap_any() {
            let mut state = self.state();
            if !state.by_pid.contains_key(&exit.0) {
                super::tell_orphans(&mut state.orphans, exit);
            }
        }
        self.retry(true);
    }

    fn run(&self) {
        let mut events = [EpollEvent::empty(); 64];
        let mut next_sweep = Instant::now() + SWEEP;
        loop {
            let soon = self.state().pending.iter().any(|(_, since)| since.elapsed() < SOON);
            let wait =
                if soon { Duration::from_millis(1) } else { next_sweep.saturating_duration_since(Instant::now()) };
            // Rounded up: the last fraction of a millisecond before a sweep
            // would otherwise be a busy loop of zero timeouts, each second.
            let millis = wait.as_micros().div_ceil(1000).min(u128::from(u16::MAX)) as u16;
            let ready = match self.epoll.wait(&mut events, millis) {
                Ok(n) => n,
                Err(Errno::EINTR) => 0,
                Err(_) => {
                    std::thread::sleep(Duration::from_millis(10));
                    0
                }
            };
            for event in &events[..ready] {
                self.on_ready(event.data() as RawFd);
            }
            if soon {
                self.retry(false);
            }
            if Instant::now() >= next_sweep {
                self.sweep();
                next_sweep = Instant::now() + SWEEP;
            }
        }
    }
}

/// Starts the thread; `kernel` when the kernel reaps (once per process).
pub(super) fn start(kernel: bool) -> Result<(), Errno> {
    if WATCHER.get().is_some() {
        return Ok(());
    }
    let epoll = Epoll::new(EpollCreateFlags::EPOLL_CLOEXEC)?;
    let watcher = Watcher { epoll, state: Mutex::new(State::default()), kernel, released: AtomicBool::new(false) };
    if WATCHER.set(watcher).is_err() {
        return Ok(());
    }
    std::thread::Builder::new()
        .name("supervisor-reaper".into())
        .spawn(|| {
            crate::platform::sched::short_slice();
            if let Some(w) = WATCHER.get() {
                w.run();
            }
        })
        .map(drop)
        .map_err(|e| Errno::from_raw(e.raw_os_error().unwrap_or(libc::EAGAIN)))
}

/// Routes the exit of the child behind `pidfd` to `owner`.
pub(super) fn watch(pid: u32, pidfd: OwnedFd, owner: UnboundedSender<Exit>) {
    debug_assert!(WATCHER.get().is_some(), "pidfd reaping is on only once the thread runs");
    let Some(watcher) = WATCHER.get() else { return };
    let fd = pidfd.as_raw_fd();
    // Inserted under the lock before the thread can hear of it.
    let mut state = watcher.state();
    if watcher.epoll.add(&pidfd, EpollEvent::new(EpollFlags::EPOLLIN, fd as u64)).is_err() {
        state.pending.push((fd, Instant::now()));
    }
    state.by_pid.insert(pid, fd);
    state.children.insert(fd, Watched { pidfd, pid, owner });
}

/// Sends `signal` to the live child `pid` through its pidfd; ESRCH once
/// it has exited, even if the pid is already someone else's.
pub(super) fn signal(pid: u32, signal: i32) -> Result<(), Errno> {
    let Some(watcher) = WATCHER.get() else { return Err(Errno::ESRCH) };
    let state = watcher.state();
    let child = state.by_pid.get(&pid).and_then(|fd| state.children.get(fd)).ok_or(Errno::ESRCH)?;
    pidfd::send_signal(child.pidfd.as_fd(), signal)
}

/// Orphans' exits, should a sweep find any, go to `exits`.
pub(super) fn listen_for_orphans(exits: UnboundedSender<Exit>) {
    if let Some(watcher) = WATCHER.get() {
        watcher.state().orphans.push(exits);
    }
}
