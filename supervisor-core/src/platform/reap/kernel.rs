//! Reaping by the kernel: with `SA_NOCLDWAIT` a child is released the
//! moment it exits and is never a zombie, not even for the microseconds a
//! reaper thread needs to be scheduled. Its exit status comes from the
//! pidfd taken when it was cloned (Linux 6.15 keeps it there). One thread
//! waits on every child's pidfd with epoll and routes each exit to its
//! owner.

use std::collections::HashMap;
use std::os::fd::{AsFd, AsRawFd, OwnedFd, RawFd};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use nix::sys::epoll::{Epoll, EpollCreateFlags, EpollEvent, EpollFlags};
use tokio::sync::mpsc::UnboundedSender;

use super::Exit;
use crate::platform::pidfd;

struct Watched {
    pidfd: OwnedFd,
    pid: u32,
    owner: UnboundedSender<Exit>,
    /// epoll refused it: looked at on every timeout instead.
    unwatched: bool,
}

struct Watcher {
    epoll: Epoll,
    /// Keyed by the pidfd's number, which stays unique while it is open
    /// (a pid can be reused before its earlier exit is routed).
    children: Mutex<HashMap<RawFd, Watched>>,
}

static WATCHER: OnceLock<Watcher> = OnceLock::new();

/// How long the thread waits before looking at children epoll refused.
const SWEEP_MS: u16 = 1000;

impl Watcher {
    fn children(&self) -> MutexGuard<'_, HashMap<RawFd, Watched>> {
        // A poisoned lock only means a panic elsewhere; the map is sound.
        self.children.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Routes the child's exit if it has come; false if not yet.
    fn settle(&self, fd: RawFd) -> bool {
        let mut children = self.children();
        let Some(child) = children.get(&fd) else { return true };
        let status = match pidfd::exit_status(child.pidfd.as_fd()) {
            Ok(Some(status)) => Some(status),
            // Not released yet: either the kernel is about to, or someone
            // turned automatic reaping off again and it waits for us.
            _ => pidfd::reap(child.pidfd.as_fd()).ok().flatten(),
        };
        let Some(status) = status else { return false };
        if let Some(child) = children.remove(&fd) {
            // Closing the pidfd also takes it out of the epoll set.
            let _ = child.owner.send((child.pid, status));
        }
        true
    }

    fn run(&self) {
        let mut events = [EpollEvent::empty(); 64];
        loop {
            let ready = match self.epoll.wait(&mut events, SWEEP_MS) {
                Ok(n) => n,
                Err(nix::errno::Errno::EINTR) => continue,
                Err(_) => {
                    std::thread::sleep(Duration::from_millis(10));
                    continue;
                }
            };
            let mut waiting = false;
            for event in &events[..ready] {
                waiting |= !self.settle(event.data() as RawFd);
            }
            if ready == 0 {
                let unwatched: Vec<RawFd> =
                    self.children().iter().filter(|(_, c)| c.unwatched).map(|(&f, _)| f).collect();
                for fd in unwatched {
                    self.settle(fd);
                }
            }
            // An exit reported before the kernel released the child: give
            // it a moment rather than spin on the same readiness.
            if waiting {
                std::thread::sleep(Duration::from_micros(100));
            }
        }
    }
}

/// Starts the thread; false if the OS refuses it.
pub(super) fn start() -> bool {
    if WATCHER.get().is_some() {
        return true;
    }
    let Ok(epoll) = Epoll::new(EpollCreateFlags::EPOLL_CLOEXEC) else { return false };
    if WATCHER.set(Watcher { epoll, children: Mutex::new(HashMap::new()) }).is_err() {
        return true;
    }
    std::thread::Builder::new()
        .name("supervisor-reaper".into())
        .spawn(|| {
            crate::platform::sched::short_slice();
            if let Some(w) = WATCHER.get() {
                w.run();
            }
        })
        .is_ok()
}

/// Routes the exit of the child behind `pidfd` to `owner`.
pub(super) fn watch(pid: u32, pidfd: OwnedFd, owner: UnboundedSender<Exit>) {
    let Some(watcher) = WATCHER.get() else { return };
    let fd = pidfd.as_raw_fd();
    let mut children = watcher.children();
    let added = watcher.epoll.add(&pidfd, EpollEvent::new(EpollFlags::EPOLLIN, fd as u64));
    children.insert(fd, Watched { pidfd, pid, owner, unwatched: added.is_err() });
}
