//! Reaping children and routing each exit to the supervisor that started
//! the child. Any number of supervisors (and runtimes) in one process share
//! one reaper thread, in one of three ways ([`Reaping`]), chosen once per
//! process:
//!
//! - [`Reaping::OwnChildren`] (the default, for a library): each child a
//!   supervisor starts is watched and reaped through the pidfd its clone
//!   returned (`waitid(P_PIDFD)`), and nothing else: the embedding
//!   program's own children (`std::process::Command::wait`) are untouched,
//!   and SIGCHLD's action is left as it is.
//! - [`Reaping::AnyChild`] (after [`reap_any_child`], or where the kernel
//!   has no pidfds): a `waitpid(-1)` loop ([`wait`]) reaps every child, ours
//!   or orphaned (when we are PID 1 or a subreaper).
//! - [`Reaping::Kernel`] (after [`reap_automatically`], which supervisord
//!   calls): the kernel releases every child in the step that ends it
//!   ([`kernel`]), so no exited child waits on us however busy the machine
//!   is, and each exit status is read from the pidfd taken at clone time.
//!   Orphans are released as silently.
//!
//! With a pidfd (the first and the last), signals go through it too, so a
//! pid reused after an exit is never signalled by mistake.

use std::os::fd::OwnedFd;
use std::sync::OnceLock;

use nix::errno::Errno;
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::Pid;
use tokio::sync::mpsc::UnboundedSender;

use super::pidfd;
use super::wait_status::exit_of;
use crate::exit::ExitStatus;

mod kernel;
mod wait;

/// A reaped child.
pub type Exit = (u32, ExitStatus);

/// Reaps one exited child, ours or not (`waitpid(-1)`), if any is waiting.
fn reap_any() -> Option<Exit> {
    loop {
        match waitpid(Pid::from_raw(-1), Some(WaitPidFlag::WNOHANG)) {
            Ok(WaitStatus::StillAlive) | Err(_) => return None,
            Ok(status) => {
                if let Some(exit) = exit_of(status) {
                    return Some(exit);
                }
            }
        }
    }
}

/// Hands an orphan's exit to the first listener still listening.
fn tell_orphans(listeners: &mut Vec<UnboundedSender<Exit>>, exit: Exit) {
    listeners.retain(|o| !o.is_closed());
    if let Some(o) = listeners.first() {
        let _ = o.send(exit);
    }
}

/// Why the kernel does not reap this process's children.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NotAutomatic {
    /// A supervisor started children (reaped by waiting) before it was asked.
    #[error("children were already being reaped by waiting")]
    AlreadyWaiting,
    /// The kernel does not keep exit statuses for pidfds (before 6.15), or
    /// something (seccomp) forbids the calls.
    #[error("this kernel does not keep exit statuses for pidfds (Linux 6.15+)")]
    Unsupported,
    /// The reaper thread or its epoll set could not be made.
    #[error("could not start the reaper: {0}")]
    Reaper(Errno),
    /// SIGCHLD's action could not be changed.
    #[error("could not set SIGCHLD's action: {0}")]
    SigAction(Errno),
}

/// How this process's children are reaped, chosen once per process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Reaping {
    /// The default: each child a supervisor starts is watched and reaped
    /// through the pidfd its clone returned (`waitid(P_PIDFD)`), and
    /// nothing else is touched: the host program's own children
    /// (`std::process::Command::wait`) and SIGCHLD's action are its own.
    OwnChildren,
    /// Every child of the process, orphans handed to it included, by
    /// `waitpid(-1)` ([`reap_any_child`], or where the kernel has no
    /// pidfds).
    AnyChild,
    /// The kernel releases every child as it exits (`SA_NOCLDWAIT`), so no
    /// zombie waits on us however busy the machine; statuses come from
    /// pidfds ([`reap_automatically`], what supervisord uses).
    Kernel,
}

/// The process's way of reaping, settled by the first of
/// [`reap_automatically`], [`reap_any_child`], a spawn, or a supervisor
/// starting; with [`reap_automatically`]'s answer.
static MODE: OnceLock<(Reaping, Result<(), NotAutomatic>)> = OnceLock::new();

/// The default: our own children by pidfd, where the kernel can wait on
/// one (Linux 5.4+); otherwise every child by waiting.
fn settle_default() -> (Reaping, Result<(), NotAutomatic>) {
    let mode = match pidfd::probe() {
        pidfd::Support { waitid: true, .. } if kernel::start(false).is_ok() => Reaping::OwnChildren,
        _ => Reaping::AnyChild,
    };
    (mode, Err(NotAutomatic::AlreadyWaiting))
}

/// How children are reaped; settles the default if nothing chose yet.
pub fn reaping() -> Reaping {
    MODE.get_or_init(settle_default).0
}

/// Whether exits come through pidfds (a spawn must ask its clone for one).
fn by_pidfd() -> bool {
    reaping() != Reaping::AnyChild
}

/// Makes this process reap every child by waiting (`waitpid(-1)`),
/// orphans handed to it included: what a PID 1 or a subreaper that is not
/// supervisord needs. Call it before any supervisor starts; returns the
/// way that was settled (the first choice holds).
pub fn reap_any_child() -> Reaping {
    MODE.get_or_init(|| (Reaping::AnyChild, Err(NotAutomatic::AlreadyWaiting))).0
}

/// Lets the kernel reap every child of this process as it exits
/// (`SA_NOCLDWAIT`), where it keeps exit statuses for pidfds (Linux 6.15+).
/// It cannot be undone; asking again gives the first answer.
///
/// Call it before any supervisor in the process starts: once children are
/// reaped by waiting it is too late ([`NotAutomatic::AlreadyWaiting`]).
/// Afterwards `wait`/`waitpid` for a child of the embedding program's own
/// fails with `ECHILD`, as in any process that sets `SA_NOCLDWAIT`, and
/// orphans handed to a subreaper are released without a "reaped unknown
/// pid" line. A SIGCHLD handler set later loses the flag; the reaper puts
/// it back within a second and reaps what waited meanwhile.
///
/// ```standalone_crate
/// use supervisor_core::daemon as reap;
///
/// match reap::reap_automatically() {
///     Ok(()) => assert!(reap::automatic()),
///     Err(why) => println!("children are reaped by waiting: {why}"),
/// }
/// // Asking again gives the same answer.
/// assert_eq!(reap::reap_automatically().is_ok(), reap::automatic());
/// ```
pub fn reap_automatically() -> Result<(), NotAutomatic> {
    MODE.get_or_init(|| {
        // Nothing else can spawn or reap while this runs: every spawn and
        // supervisor waits here for the mode first.
        let kernel = || {
            if !pidfd::probe().status_kept {
                return Err(NotAutomatic::Unsupported);
            }
            kernel::start(true).map_err(NotAutomatic::Reaper)?;
            if release_children_at_exit() { Ok(()) } else { Err(NotAutomatic::SigAction(Errno::last())) }
        };
        match kernel() {
            Ok(()) => (Reaping::Kernel, Ok(())),
            // supervisord then reaps every child, as 4.3.0 does.
            Err(why) => (Reaping::AnyChild, Err(why)),
        }
    })
    .1
}

/// Whether the kernel reaps this process's children ([`reap_automatically`]).
pub fn automatic() -> bool {
    MODE.get().is_some_and(|m| m.0 == Reaping::Kernel)
}

/// Whether SIGCHLD's action has the kernel release children as they exit
/// (`SA_NOCLDWAIT`, or ignored), now.
fn children_released_at_exit() -> bool {
    // SAFETY: sigaction only reads SIGCHLD's action into a valid pointer.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        libc::sigaction(libc::SIGCHLD, std::ptr::null(), &mut action) == 0
            && (action.sa_flags & libc::SA_NOCLDWAIT != 0 || action.sa_sigaction == libc::SIG_IGN)
    }
}

/// Makes sure SIGCHLD's action has `SA_NOCLDWAIT` (or is ignored), keeping
/// whatever handler it has.
fn release_children_at_exit() -> bool {
    // SAFETY: sigaction reads and then sets SIGCHLD's action with valid
    // pointers; the handler is the one already installed.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        if libc::sigaction(libc::SIGCHLD, std::ptr::null(), &mut action) != 0 {
            return false;
        }
        if action.sa_flags & libc::SA_NOCLDWAIT != 0 || action.sa_sigaction == libc::SIG_IGN {
            return true;
        }
        action.sa_flags |= libc::SA_NOCLDWAIT;
        libc::sigaction(libc::SIGCHLD, &action, std::ptr::null_mut()) == 0
    }
}

/// Exits of the pids registered through [`Spawner::register`] arrive on
/// their owners' channels; orphans' exits (when this process is PID 1 or a
/// subreaper) arrive on `exits` when no earlier listener takes them. When
/// the kernel reaps, orphans come only if it could not (see
/// [`reap_automatically`]).
pub fn listen_for_orphans(exits: UnboundedSender<Exit>) {
    match reaping() {
        Reaping::Kernel => kernel::listen_for_orphans(exits),
        Reaping::AnyChild => wait::listen_for_orphans(exits),
        // Orphans are not ours: whoever made this process a subreaper reaps them.
        Reaping::OwnChildren => {}
    }
}

/// Sends `signal` to the child `pid` we started. With pidfds, it goes
/// through the child's: once the child has exited this is `ESRCH`, even if
/// its pid is already someone else's.
pub fn signal(pid: u32, signal: i32) -> Result<(), Errno> {
    if by_pidfd() {
        kernel::signal(pid, signal)
    } else {
        // SAFETY: kill has no memory effects.
        Errno::result(unsafe { libc::kill(pid as libc::pid_t, signal) }).map(drop)
    }
}

/// A child whose exit could not be followed.
#[derive(Debug, thiserror::Error)]
#[error("no pidfd for pid {0}, so its exit could not be followed")]
pub struct Untracked(pub u32);

/// One spawn under way: from before the fork until its pid is registered
/// (or the spawn failed), exits nobody claims are kept for it.
pub struct Spawner {
    /// The waiting reaper's mark; none when exits come through pidfds.
    mark: Option<u64>,
}

impl Spawner {
    /// Announces a spawn; call before forking.
    pub fn begin() -> Spawner {
        Spawner { mark: (!by_pidfd()).then(wait::begin_spawn) }
    }

    /// Whether the clone must return a pidfd for [`register`](Self::register).
    pub fn wants_pidfd(&self) -> bool {
        self.mark.is_none()
    }

    /// Routes `pid`'s exit to `owner`, at once if it has already come.
    /// With pidfds, the exit comes through `pidfd`, the one the clone
    /// returned: without it the child must be stopped, as nothing
    /// would ever report its exit.
    pub fn register(
        &mut self,
        pid: u32,
        pidfd: Option<OwnedFd>,
        owner: UnboundedSender<Exit>,
    ) -> Result<(), Untracked> {
        match (self.mark, pidfd) {
            (Some(mark), _) => wait::register(pid, owner, mark),
            (None, Some(fd)) => kernel::watch(pid, fd, owner),
            (None, None) => return Err(Untracked(pid)),
        }
        Ok(())
    }
}

impl Drop for Spawner {
    fn drop(&mut self) {
        if let Some(mark) = self.mark {
            wait::end_spawn(mark);
        }
    }
}
