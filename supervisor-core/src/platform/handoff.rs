//! Handing a child its pipes without copying supervisord's descriptor table.
//!
//! A plain `clone` copies every descriptor the parent holds and the child's
//! `exec` closes them all again: with three pipes per program, starting the
//! thousandth program costs thousands of descriptor operations, and starting
//! a thousand costs millions. Instead the child shares the parent's table
//! (`CLONE_FILES`) and leaves it with `close_range(n, ~0,
//! CLOSE_RANGE_UNSHARE)`, which copies only the descriptors below `n`. The
//! pipes reach it through three descriptor numbers reserved for this below
//! `n`: the parent parks the child's ends there until the child has left
//! the shared table (`spawn::settle`), then parks `/dev/null` there again.

use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::sync::{Mutex, MutexGuard, OnceLock};

/// The reserved numbers and what stays parked on them between starts.
struct Slots {
    idle: OwnedFd,
    slots: [OwnedFd; 3],
    /// One past the highest slot: the child keeps what is below it.
    keep_below: u32,
}

static SLOTS: OnceLock<Mutex<Option<Slots>>> = OnceLock::new();

fn reserve() -> Option<Slots> {
    // Some seccomp profiles forbid close_range; the child could not leave
    // the shared table, so clone without sharing it. Closing from the
    // highest possible number closes nothing.
    // SAFETY: close_range over a range where no descriptor can be open.
    if unsafe { libc::syscall(libc::SYS_close_range, u32::MAX, u32::MAX, 0u32) } != 0 {
        return None;
    }
    let idle = std::fs::File::open("/dev/null").ok()?;
    let idle = OwnedFd::from(idle);
    // Above 2, so placing a slot on the child's 0, 1 or 2 never overwrites
    // another slot.
    let dup = || {
        // SAFETY: F_DUPFD_CLOEXEC on a descriptor we own returns a new one
        // (or -1), which we then own.
        let fd = unsafe { libc::fcntl(idle.as_raw_fd(), libc::F_DUPFD_CLOEXEC, 3) };
        // SAFETY: `fd` was just returned to us and nothing else owns it.
        (fd >= 0).then(|| unsafe { <OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(fd) })
    };
    let slots = [dup()?, dup()?, dup()?];
    let keep_below = slots.iter().map(|s| s.as_raw_fd()).max()? as u32 + 1;
    Some(Slots { idle, slots, keep_below })
}

/// The child's stdin, stdout and stderr parked on the reserved numbers; they
/// go back to `/dev/null` when this is dropped, once the child has its own
/// copies (`spawn::settle`).
pub(crate) struct Parked {
    guard: MutexGuard<'static, Option<Slots>>,
    /// The numbers the child finds its pipes on.
    pub fds: [RawFd; 3],
    /// What the child passes to `close_range` with `CLOSE_RANGE_UNSHARE`.
    pub keep_below: u32,
}

/// Whether starts hand pipes over this way (set up on first use); when not,
/// each start copies the descriptor table, which works but costs more.
pub(crate) fn available() -> bool {
    let lock = SLOTS.get_or_init(|| Mutex::new(reserve()));
    lock.lock().unwrap_or_else(|e| e.into_inner()).is_some()
}

/// Parks `fds` on the reserved numbers, or `None` when they cannot be had
/// (the caller then clones without `CLONE_FILES`).
pub(crate) fn park(fds: [RawFd; 3]) -> Option<Parked> {
    let lock = SLOTS.get_or_init(|| Mutex::new(reserve()));
    let mut guard = lock.lock().unwrap_or_else(|e| e.into_inner());
    let slots = guard.as_ref()?;
    let targets = [slots.slots[0].as_raw_fd(), slots.slots[1].as_raw_fd(), slots.slots[2].as_raw_fd()];
    let keep_below = slots.keep_below;
    for (fd, slot) in fds.into_iter().zip(targets) {
        // SAFETY: both descriptors are open and ours; dup3 replaces the slot
        // atomically, so no other thread can take its number meanwhile.
        if unsafe { libc::dup3(fd, slot, libc::O_CLOEXEC) } < 0 {
            unpark(&mut guard);
            return None;
        }
    }
    Some(Parked { guard, fds: targets, keep_below })
}

/// Puts `/dev/null` back on every slot. Failing that the pipes must not stay
/// open here (the child's exit would never read as end of file), so the
/// slots are given up for good.
fn unpark(guard: &mut MutexGuard<'static, Option<Slots>>) {
    let Some(slots) = guard.as_ref() else { return };
    let idle = slots.idle.as_raw_fd();
    // SAFETY: as in `park`.
    let ok = slots.slots.iter().all(|s| unsafe { libc::dup3(idle, s.as_raw_fd(), libc::O_CLOEXEC) } >= 0);
    if !ok {
        **guard = None;
    }
}

impl Drop for Parked {
    fn drop(&mut self) {
        unpark(&mut self.guard);
    }
}
