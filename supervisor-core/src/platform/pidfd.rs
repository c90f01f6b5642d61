//! Process file descriptors: a handle on one child that can never name
//! another process, and (Linux 6.15+) that child's exit status even after
//! the kernel has reaped it.

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};

use nix::errno::Errno;
use nix::sys::wait::{Id, WaitPidFlag, WaitStatus, waitid};

use super::wait_status::{decode, exit_of};
use crate::exit::ExitStatus;

/// The kernel's `struct pidfd_info` as far as the exit code
/// (`PIDFD_INFO_SIZE_VER0`); the ioctl copies no more than this.
#[repr(C)]
#[derive(Default)]
struct Info {
    mask: u64,
    cgroupid: u64,
    /// pid, tgid, ppid and the eight uids and gids.
    ids: [u32; 11],
    exit_code: i32,
}

const _: () = assert!(std::mem::size_of::<Info>() == 64);

const INFO_EXIT: u64 = 1 << 3;
const PIDFS_IOCTL_MAGIC: u8 = 0xFF;
const GET_INFO_NR: u8 = 11;

/// Takes ownership of the descriptor a `CLONE_PIDFD` clone wrote.
///
/// # Safety
/// `raw` must be a pidfd this process owns and nothing else will close.
pub(crate) unsafe fn own(raw: libc::c_int) -> Option<OwnedFd> {
    // SAFETY: the caller hands over a descriptor nobody else owns.
    (raw >= 0).then(|| unsafe { OwnedFd::from_raw_fd(raw) })
}

/// The exit status the kernel kept for a process that has been released,
/// `None` while it runs or is not released yet.
pub(crate) fn exit_status(pidfd: BorrowedFd<'_>) -> Result<Option<ExitStatus>, Errno> {
    let mut info = Info { mask: INFO_EXIT, ..Info::default() };
    let request =
        nix::request_code_readwrite!(PIDFS_IOCTL_MAGIC, GET_INFO_NR, std::mem::size_of::<Info>()) as libc::Ioctl;
    // SAFETY: PIDFD_GET_INFO fills at most the size encoded in the request,
    // which is the size of `info`.
    let done = unsafe { libc::ioctl(pidfd.as_raw_fd(), request, &mut info as *mut Info) };
    Errno::result(done)?;
    Ok((info.mask & INFO_EXIT != 0).then(|| decode(info.exit_code)))
}

/// Reaps the process if it is a zombie child of ours: `Ok(None)` while it
/// runs, `Err(ECHILD)` once it is not ours to reap (the kernel has it).
pub(crate) fn reap(pidfd: BorrowedFd<'_>) -> Result<Option<ExitStatus>, Errno> {
    let status = waitid(Id::PIDFd(pidfd), WaitPidFlag::WEXITED | WaitPidFlag::WNOHANG)?;
    Ok(exit_of(status).map(|(_, exit)| exit))
}

/// Sends `signal` to exactly this process, never to one that reused its pid.
pub(crate) fn send_signal(pidfd: BorrowedFd<'_>, signal: i32) -> Result<(), Errno> {
    // SAFETY: pidfd_send_signal with a valid descriptor and no siginfo.
    let sent = unsafe {
        libc::syscall(libc::SYS_pidfd_send_signal, pidfd.as_raw_fd(), signal, std::ptr::null::<libc::siginfo_t>(), 0)
    };
    Errno::result(sent).map(drop)
}

/// What this kernel can do with pidfds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Support {
    /// `waitid(P_PIDFD)` reaps a child through its pidfd (Linux 5.4+).
    pub waitid: bool,
    /// The exit status outlives reaping (Linux 6.15+), so the kernel may
    /// reap and we still learn it.
    pub status_kept: bool,
}

/// What this kernel can do with pidfds, found once: clones a child with
/// `CLONE_PIDFD`, as spawning does, that exits 7, reaps it through the
/// pidfd, and asks the kernel for the status it kept. Call only while
/// nothing else reaps with `waitpid(-1)`.
pub(crate) fn probe() -> Support {
    static FOUND: std::sync::OnceLock<Support> = std::sync::OnceLock::new();
    *FOUND.get_or_init(probe_now)
}

fn probe_now() -> Support {
    const NONE: Support = Support { waitid: false, status_kept: false };
    const STACK: usize = 16 * 1024;
    let mut stack = vec![0u8; STACK];
    let top = (stack.as_mut_ptr() as usize + STACK) & !15;
    extern "C" fn entry(_: *mut libc::c_void) -> libc::c_int {
        // SAFETY: the child leaves at once; _exit is async-signal-safe.
        unsafe { libc::_exit(7) }
    }
    let mut raw: libc::c_int = -1;
    // SAFETY: the child runs `entry` on its own stack and only calls
    // _exit; this thread resumes once it has.
    let pid = unsafe {
        libc::clone(
            entry,
            top as *mut libc::c_void,
            libc::CLONE_VM | libc::CLONE_VFORK | libc::CLONE_PIDFD | libc::SIGCHLD,
            std::ptr::null_mut(),
            &mut raw as *mut libc::c_int,
        )
    };
    drop(stack);
    if pid <= 0 {
        return NONE;
    }
    let reap_by_pid = || {
        let _ = nix::sys::wait::waitpid(nix::unistd::Pid::from_raw(pid), None);
        NONE
    };
    // SAFETY: the clone succeeded; a descriptor it wrote is ours alone.
    let Some(fd) = (unsafe { own(raw) }) else { return reap_by_pid() };
    let reaped = loop {
        match waitid(Id::PIDFd(fd.as_fd()), WaitPidFlag::WEXITED) {
            Err(Errno::EINTR) => continue,
            other => break other,
        }
    };
    match reaped {
        Ok(WaitStatus::Exited(_, 7)) => {
            Support { waitid: true, status_kept: matches!(exit_status(fd.as_fd()), Ok(Some(ExitStatus::Exited(7)))) }
        }
        Ok(_) => NONE,
        // No waitid on pidfds (before 5.4): the child is still ours to reap.
        Err(_) => reap_by_pid(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_running_process_has_no_exit_status_yet() {
        // SAFETY: pidfd_open on our own pid returns a new descriptor.
        let raw = unsafe { libc::syscall(libc::SYS_pidfd_open, std::process::id() as libc::pid_t, 0) };
        // SAFETY: a non-negative result is a descriptor we own.
        let Some(me) = (unsafe { own(raw as libc::c_int) }) else { return };
        // Kernels before 6.13 have no PIDFD_GET_INFO at all.
        if let Ok(status) = exit_status(me.as_fd()) {
            assert_eq!(status, None);
        }
    }
}
