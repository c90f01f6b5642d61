//! Reaping by waiting: one `waitpid(-1)` loop per process collects every
//! child, ours or orphaned (when we are PID 1 or a subreaper), so nothing
//! stays a zombie for long.
//!
//! It runs on a thread of its own that sleeps in `waitid(WNOWAIT)`, so the
//! kernel wakes it the moment a child exits, and routes each exit to
//! whoever registered the pid.
//!
//! A child can exit before its spawner has registered its pid. While any
//! spawn is under way, exits nobody claims wait in `early` for their owner;
//! a spawn claims only exits reaped after it began (so a reused pid never
//! takes an earlier process's exit), and what no spawn under way can claim
//! was an orphan's. The registry is locked
//! only for these bookkeeping steps, never across a fork, so a stream of
//! spawns (a crash loop) never keeps the reaper from its work.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::thread::Thread;
use std::time::Duration;

use tokio::sync::mpsc::UnboundedSender;

use super::Exit;
use crate::exit::ExitStatus;

#[derive(Default)]
struct Registry {
    owners: HashMap<u32, UnboundedSender<Exit>>,
    /// Who hears about pids nobody registered (orphans).
    orphans: Vec<UnboundedSender<Exit>>,
    /// Exits reaped so far: each exit's sequence number, and each spawn's
    /// mark (the count when it began).
    reaped: u64,
    /// The marks of spawns between fork and registration, with how many
    /// began at each.
    under_way: BTreeMap<u64, usize>,
    /// Exits reaped while a spawn was under way that nobody claimed yet,
    /// with their sequence numbers.
    early: HashMap<u32, (u64, ExitStatus)>,
}

impl Registry {
    fn route(&mut self, (pid, status): Exit) {
        self.reaped += 1;
        if let Some(owner) = self.owners.remove(&pid) {
            let _ = owner.send((pid, status));
        } else if self.under_way.is_empty() {
            self.orphan((pid, status));
        } else if let Some((_, stale)) = self.early.insert(pid, (self.reaped, status)) {
            // The pid was reused: the earlier exit was an orphan's.
            self.orphan((pid, stale));
        }
    }

    fn orphan(&mut self, exit: Exit) {
        super::tell_orphans(&mut self.orphans, exit);
    }

    fn begin_spawn(&mut self) -> u64 {
        *self.under_way.entry(self.reaped).or_default() += 1;
        self.reaped
    }

    /// Only an exit reaped after the spawn began can be its child's: an
    /// older one with the same pid was an earlier process's.
    fn register(&mut self, pid: u32, owner: UnboundedSender<Exit>, mark: u64) {
        match self.early.get(&pid) {
            Some(&(seq, status)) if seq > mark => {
                self.early.remove(&pid);
                let _ = owner.send((pid, status));
            }
            _ => {
                self.owners.insert(pid, owner);
            }
        }
    }

    /// A spawn is over; what no spawn still under way can claim was an
    /// orphan's.
    fn end_spawn(&mut self, mark: u64) {
        if let Some(n) = self.under_way.get_mut(&mark) {
            *n -= 1;
            if *n == 0 {
                self.under_way.remove(&mark);
            }
        }
        let oldest = self.under_way.keys().next().copied().unwrap_or(u64::MAX);
        let unclaimable: Vec<u32> =
            self.early.iter().filter(|(_, (seq, _))| *seq <= oldest).map(|(pid, _)| *pid).collect();
        for pid in unclaimable {
            if let Some((_, status)) = self.early.remove(&pid) {
                self.orphan((pid, status));
            }
        }
    }
}

static REGISTRY: OnceLock<Mutex<Registry>> = OnceLock::new();
/// The reaper thread, unparked when a spawn gives it children to wait for.
static REAPER: OnceLock<Thread> = OnceLock::new();
/// Set by SIGCHLD: some child may wait to be reaped. `waitpid(-1)` walks
/// every child, so with a thousand running the spawner does not call it
/// for nothing.
static PENDING: AtomicBool = AtomicBool::new(true);

fn registry() -> &'static Mutex<Registry> {
    REGISTRY.get_or_init(|| {
        start_thread();
        Mutex::new(Registry::default())
    })
}

fn lock() -> MutexGuard<'static, Registry> {
    // A poisoned lock only means a panic elsewhere; the map is still sound.
    registry().lock().unwrap_or_else(|e| e.into_inner())
}

fn start_thread() {
    // SAFETY: the handler only stores to an atomic (async-signal-safe).
    let registered = unsafe { signal_hook_registry::register(libc::SIGCHLD, || PENDING.store(true, Ordering::SeqCst)) };
    drop(registered);
    let spawned = std::thread::Builder::new().name("supervisor-reaper".into()).spawn(|| {
        crate::platform::sched::short_slice();
        loop {
            match wait_for_exit() {
                Ok(()) => reap_all(),
                // No children yet (or an embedding program reaped them):
                // wait for a spawn, or a while for an orphan to be handed
                // to us as subreaper.
                Err(libc::ECHILD) => std::thread::park_timeout(Duration::from_millis(100)),
                Err(_) => {}
            }
        }
    });
    if let Ok(handle) = spawned {
        let _ = REAPER.set(handle.thread().clone());
    }
}

/// Sleeps until some child has exited, without reaping it.
fn wait_for_exit() -> Result<(), i32> {
    // SAFETY: waitid with a valid out-pointer; WNOWAIT leaves the child
    // waitable.
    unsafe {
        let mut info: libc::siginfo_t = std::mem::zeroed();
        if libc::waitid(libc::P_ALL, 0, &mut info, libc::WEXITED | libc::WNOWAIT) == 0 {
            Ok(())
        } else {
            Err(*libc::__errno_location())
        }
    }
}

/// Reaps every child that has exited and routes each exit.
fn reap_all() {
    PENDING.store(false, Ordering::SeqCst);
    while let Some(exit) = super::reap_any() {
        lock().route(exit);
    }
}

/// Orphans' exits go to `exits` when no earlier listener takes them.
pub(super) fn listen_for_orphans(exits: UnboundedSender<Exit>) {
    lock().orphans.push(exits);
}

/// Announces a spawn (before forking); the mark it returns is the spawn's.
pub(super) fn begin_spawn() -> u64 {
    lock().begin_spawn()
}

/// Routes `pid`'s exit to `owner`, at once if it has already come.
pub(super) fn register(pid: u32, owner: UnboundedSender<Exit>, mark: u64) {
    lock().register(pid, owner, mark);
}

/// A spawn is over (registered or failed).
pub(super) fn end_spawn(mark: u64) {
    lock().end_spawn(mark);
    // Under a crash loop both cores are busy and the reaper thread
    // waits for a turn; the spawning thread is running now, so it reaps.
    if PENDING.load(Ordering::SeqCst) {
        reap_all();
    }
    // The reaper may be parked for want of children; now there is one.
    if let Some(reaper) = REAPER.get() {
        reaper.unpark();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::sync::mpsc::unbounded_channel;

    const DONE: ExitStatus = ExitStatus::Exited(0);

    fn with_orphans() -> (Registry, tokio::sync::mpsc::UnboundedReceiver<Exit>) {
        let mut reg = Registry::default();
        let (orphans, orphaned) = unbounded_channel();
        reg.orphans.push(orphans);
        (reg, orphaned)
    }

    #[test]
    fn an_exit_before_registration_waits_for_its_owner() {
        let (mut reg, mut orphaned) = with_orphans();
        let mark = reg.begin_spawn();
        reg.route((42, DONE));
        assert!(orphaned.try_recv().is_err(), "kept for the spawn under way");
        let (owner, mut mine) = unbounded_channel();
        reg.register(42, owner, mark);
        assert_eq!(mine.try_recv().ok(), Some((42, DONE)));
        reg.end_spawn(mark);
        assert!(orphaned.try_recv().is_err());
        assert!(reg.early.is_empty() && reg.owners.is_empty() && reg.under_way.is_empty());
    }

    #[test]
    fn unclaimed_exits_go_to_the_orphan_listener_once_no_spawn_can_claim_them() {
        let (mut reg, mut orphaned) = with_orphans();
        let first = reg.begin_spawn();
        let second = reg.begin_spawn();
        reg.route((7, DONE));
        reg.end_spawn(first);
        assert!(orphaned.try_recv().is_err(), "the second spawn may still claim it");
        reg.end_spawn(second);
        assert_eq!(orphaned.try_recv().ok(), Some((7, DONE)));
        reg.route((8, DONE));
        assert_eq!(orphaned.try_recv().ok(), Some((8, DONE)), "no spawn: straight to the orphans");
    }

    #[test]
    fn a_reused_pid_never_claims_an_earlier_process_exit() {
        let (mut reg, mut orphaned) = with_orphans();
        let long = reg.begin_spawn();
        reg.route((7, DONE));
        // A later spawn's child gets pid 7 again; the exit reaped before it
        // began is not its own.
        let later = reg.begin_spawn();
        let (owner, mut mine) = unbounded_channel();
        reg.register(7, owner, later);
        assert!(mine.try_recv().is_err(), "the stale exit was not delivered");
        reg.end_spawn(later);
        reg.end_spawn(long);
        assert_eq!(orphaned.try_recv().ok(), Some((7, DONE)), "the stale exit was an orphan's");
        reg.route((7, ExitStatus::Exited(3)));
        assert_eq!(mine.try_recv().ok(), Some((7, ExitStatus::Exited(3))), "its own exit reaches it");
    }

    #[test]
    fn a_registered_pid_gets_its_exit_directly() {
        let mut reg = Registry::default();
        let (owner, mut mine) = unbounded_channel();
        let mark = reg.begin_spawn();
        reg.register(9, owner, mark);
        reg.end_spawn(mark);
        reg.route((9, DONE));
        assert_eq!(mine.try_recv().ok(), Some((9, DONE)));
        assert!(reg.owners.is_empty());
    }
}
