//! Reaping children and routing each exit to the supervisor that started
//! the child. Any number of supervisors (and runtimes) in one process share
//! one reaper thread, in one of two ways:
//!
//! - [`wait`] (the default): a `waitpid(-1)` loop reaps every child, ours or
//!   orphaned (when we are PID 1 or a subreaper). A child is a zombie from
//!   its exit until that thread gets a CPU, and children the embedding
//!   program starts and waits for itself (`std::process::Command::output`)
//!   may be reaped here first.
//! - [`kernel`] (after [`reap_automatically`], which supervisord calls):
//!   the kernel releases every child the moment it exits, so none is ever a
//!   zombie however busy the machine is, and each exit status is read from
//!   the pidfd taken at clone time. Orphans are released as silently.

use std::os::fd::OwnedFd;
use std::sync::OnceLock;

use tokio::sync::mpsc::UnboundedSender;

use super::pidfd;
use crate::process::ExitStatus;

mod kernel;
mod wait;

/// A reaped child.
pub type Exit = (u32, ExitStatus);

static AUTOMATIC: OnceLock<bool> = OnceLock::new();

/// Lets the kernel reap every child of this process as it exits
/// (`SA_NOCLDWAIT`), where it keeps exit statuses for pidfds (Linux 6.15+).
/// Says whether that is now the case; it cannot be undone.
///
/// Call it before any supervisor in the process starts a child: once the
/// waiting reaper runs it is too late, and this returns false. Afterwards
/// `wait`/`waitpid` for a child of the embedding program's own fails with
/// `ECHILD`, as for any process that sets `SA_NOCLDWAIT`, and orphans
/// handed to a subreaper are released without a "reaped unknown pid" line.
///
/// ```standalone_crate
/// use supervisor_core::platform::reap;
///
/// let automatic = reap::reap_automatically();
/// assert_eq!(reap::automatic(), automatic);
/// // Asking again changes nothing.
/// assert_eq!(reap::reap_automatically(), automatic);
/// ```
pub fn reap_automatically() -> bool {
    *AUTOMATIC.get_or_init(|| {
        !wait::started() && pidfd::exit_status_outlives_reaping() && kernel::start() && release_children_at_exit()
    })
}

/// Whether the kernel reaps this process's children ([`reap_automatically`]).
pub fn automatic() -> bool {
    AUTOMATIC.get() == Some(&true)
}

/// Adds `SA_NOCLDWAIT` to SIGCHLD's action, keeping whatever handler it has.
fn release_children_at_exit() -> bool {
    // SAFETY: sigaction reads and then sets SIGCHLD's action with valid
    // pointers; the handler is the one already installed.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        if libc::sigaction(libc::SIGCHLD, std::ptr::null(), &mut action) != 0 {
            return false;
        }
        action.sa_flags |= libc::SA_NOCLDWAIT;
        libc::sigaction(libc::SIGCHLD, &action, std::ptr::null_mut()) == 0
    }
}

/// Exits of the pids registered through [`Spawner::register`] arrive on
/// `exits`; so do orphans' when no earlier listener takes them (only when
/// waiting: the kernel releases orphans unseen).
pub fn listen_for_orphans(exits: UnboundedSender<Exit>) {
    if !automatic() {
        wait::listen_for_orphans(exits);
    }
}

/// One spawn under way: from before the fork until its pid is registered
/// (or the spawn failed), exits nobody claims are kept for it.
pub struct Spawner {
    /// The waiting reaper's mark; none when the kernel reaps.
    mark: Option<u64>,
}

impl Spawner {
    /// Announces a spawn; call before forking.
    pub fn begin() -> Spawner {
        Spawner { mark: (!automatic()).then(wait::begin_spawn) }
    }

    /// Routes `pid`'s exit to `owner`, at once if it has already come.
    /// When the kernel reaps, the exit status comes through `pidfd`, the
    /// one the clone returned ([`spawn`](super::spawn) takes one then).
    pub fn register(&mut self, pid: u32, pidfd: Option<OwnedFd>, owner: UnboundedSender<Exit>) {
        match self.mark {
            Some(mark) => wait::register(pid, owner, mark),
            None => match pidfd.map_or_else(|| pidfd::open(pid), Ok) {
                Ok(fd) => kernel::watch(pid, fd, owner),
                // The clone gives a pidfd whenever the kernel reaps (the probe
                // saw it do so); a child we cannot follow is reported gone
                // rather than left RUNNING for ever.
                Err(_) => {
                    let _ = owner.send((pid, ExitStatus::Signaled { signal: libc::SIGKILL, core_dumped: false }));
                }
            },
        }
    }
}

impl Drop for Spawner {
    fn drop(&mut self) {
        if let Some(mark) = self.mark {
            wait::end_spawn(mark);
        }
    }
}
