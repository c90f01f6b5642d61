//! Reaping: one `waitpid(-1)` loop per process collects every child, ours or
//! orphaned (when we are PID 1 or a subreaper), so nothing stays a zombie.
//!
//! It runs on a thread of its own, woken by a SIGCHLD handler that writes a
//! byte to a pipe, and routes each exit to whoever registered the pid. Any
//! number of supervisors (and runtimes) in one process share it. Spawning
//! holds the registry lock from fork until the pid is registered, so an exit
//! can never arrive before its owner is known.
//!
//! One consequence: children the embedding program starts and waits for
//! itself (`std::process::Command::output`) may be reaped here first.

use std::collections::HashMap;
use std::io::Read;
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock};

use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::Pid;
use tokio::sync::mpsc::UnboundedSender;

use crate::process::ExitStatus;

/// A reaped child.
pub type Exit = (u32, ExitStatus);

struct Registry {
    owners: HashMap<u32, UnboundedSender<Exit>>,
    /// Who hears about pids nobody registered (orphans).
    orphans: Vec<UnboundedSender<Exit>>,
}

static REGISTRY: OnceLock<Mutex<Registry>> = OnceLock::new();
static WAKE_FD: AtomicI32 = AtomicI32::new(-1);
/// Set by SIGCHLD: some child may wait to be reaped. `waitpid(-1)` walks
/// every child, so with a thousand running it is not called for nothing.
static PENDING: AtomicBool = AtomicBool::new(true);

fn registry() -> &'static Mutex<Registry> {
    REGISTRY.get_or_init(|| {
        start_thread();
        Mutex::new(Registry { owners: HashMap::new(), orphans: Vec::new() })
    })
}

fn lock() -> MutexGuard<'static, Registry> {
    // A poisoned lock only means a panic elsewhere; the map is still sound.
    registry().lock().unwrap_or_else(|e| e.into_inner())
}

fn start_thread() {
    let Ok((mut reader, writer)) = UnixStream::pair() else {
        return;
    };
    let _ = writer.set_nonblocking(true);
    WAKE_FD.store(writer.as_raw_fd(), Ordering::SeqCst);
    std::mem::forget(writer);
    // SAFETY: the handler only loads an atomic and calls write(2), both
    // async-signal-safe.
    let registered = unsafe {
        signal_hook_registry::register(libc::SIGCHLD, || {
            PENDING.store(true, Ordering::SeqCst);
            let fd = WAKE_FD.load(Ordering::Relaxed);
            if fd >= 0 {
                let _ = libc::write(fd, [1u8].as_ptr().cast(), 1);
            }
        })
    };
    if registered.is_err() {
        return;
    }
    let spawned = std::thread::Builder::new().name("supervisor-reaper".into()).spawn(move || {
        let mut buf = [0u8; 64];
        loop {
            reap_and_route(false);
            if matches!(reader.read(&mut buf), Ok(0) | Err(_)) {
                // Without a wake-up pipe, fall back to a slow sweep.
                std::thread::sleep(std::time::Duration::from_millis(100));
                reap_and_route(true);
            }
        }
    });
    drop(spawned);
}

fn reap_and_route(always: bool) {
    let mut reg = lock();
    if PENDING.swap(false, Ordering::SeqCst) || always {
        reap_with(&mut reg);
    }
}

/// Reaps every child that has exited and routes each exit; the caller holds
/// the registry, so no spawn is between fork and registration.
fn reap_with(reg: &mut Registry) {
    loop {
        let exit = match waitpid(Pid::from_raw(-1), Some(WaitPidFlag::WNOHANG)) {
            Ok(WaitStatus::Exited(pid, code)) => (pid.as_raw() as u32, ExitStatus::Exited(code)),
            Ok(WaitStatus::Signaled(pid, signal, core_dumped)) => {
                (pid.as_raw() as u32, ExitStatus::Signaled { signal: signal as i32, core_dumped })
            }
            Ok(WaitStatus::StillAlive) | Err(_) => break,
            Ok(_) => continue,
        };
        match reg.owners.remove(&exit.0) {
            Some(owner) => {
                let _ = owner.send(exit);
            }
            None => {
                reg.orphans.retain(|o| !o.is_closed());
                if let Some(o) = reg.orphans.first() {
                    let _ = o.send(exit);
                }
            }
        }
    }
}

/// Exits of the pids registered through [`Spawner::register`] arrive on
/// `exits`; so do orphans' when no earlier listener takes them.
pub fn listen_for_orphans(exits: UnboundedSender<Exit>) {
    lock().orphans.push(exits);
}

/// Holds the registry while a child is forked and registered.
pub struct Spawner {
    guard: MutexGuard<'static, Registry>,
}

impl Spawner {
    /// Locks the registry; reaping waits until this is dropped.
    pub fn lock() -> Spawner {
        Spawner { guard: lock() }
    }

    /// Routes `pid`'s exit to `owner`.
    pub fn register(&mut self, pid: u32, owner: UnboundedSender<Exit>) {
        self.guard.owners.insert(pid, owner);
    }
}

impl Drop for Spawner {
    fn drop(&mut self) {
        // While we hold the registry no other waitpid can run, so reap
        // here: a stream of spawns (a crash loop) would otherwise keep the
        // reaper thread waiting for the lock while zombies pile up.
        if PENDING.swap(false, Ordering::SeqCst) {
            reap_with(&mut self.guard);
        }
        // A child may also exit right after we let go; wake the reaper.
        let fd = WAKE_FD.load(Ordering::Relaxed);
        if fd >= 0 {
            // SAFETY: writing one byte to our own non-blocking socket.
            unsafe {
                libc::write(fd, [1u8].as_ptr().cast(), 1);
            }
        }
    }
}
