//! Process file descriptors: a handle on one child that can never name
//! another process, and (Linux 6.15+) that child's exit status even after
//! the kernel has reaped it.

use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};

use nix::errno::Errno;
use nix::sys::wait::{Id, WaitPidFlag, WaitStatus, waitid};

use crate::process::ExitStatus;

/// The kernel's `struct pidfd_info`, as far as the exit code
/// (`PIDFD_INFO_SIZE_VER0`); newer kernels fill only what is asked for.
#[repr(C)]
#[derive(Default)]
struct Info {
    mask: u64,
    cgroupid: u64,
    /// pid, tgid, ppid and the eight uids and gids.
    ids: [u32; 11],
    exit_code: i32,
}

const INFO_EXIT: u64 = 1 << 3;
const PIDFS_IOCTL_MAGIC: u8 = 0xFF;
const GET_INFO_NR: u8 = 11;

/// `CLONE_PIDFD`: the clone writes a pidfd for the child where the parent
/// tid would go.
pub(crate) const CLONE_PIDFD: libc::c_int = 0x1000;

/// Takes ownership of the descriptor a `CLONE_PIDFD` clone wrote.
///
/// # Safety
/// `raw` must be a pidfd this process owns and nothing else will close.
pub(crate) unsafe fn own(raw: libc::c_int) -> Option<OwnedFd> {
    // SAFETY: the caller hands over a descriptor nobody else owns.
    (raw >= 0).then(|| unsafe { OwnedFd::from_raw_fd(raw) })
}

/// A pidfd for a running `pid` (`pidfd_open`); fails once it is gone.
pub(crate) fn open(pid: u32) -> Result<OwnedFd, Errno> {
    // SAFETY: pidfd_open takes a pid and flags and returns a new descriptor.
    let raw = unsafe { libc::syscall(libc::SYS_pidfd_open, pid as libc::pid_t, 0) };
    // SAFETY: a non-negative result is a new descriptor we own.
    Errno::result(raw).map(|fd| unsafe { OwnedFd::from_raw_fd(fd as libc::c_int) })
}

/// The exit status the kernel kept for a process that has been reaped,
/// `None` while it runs or is not reaped yet.
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

/// Reaps the process if it is a zombie child of ours; `None` if it has not
/// exited or someone (the kernel) reaps it.
pub(crate) fn reap(pidfd: BorrowedFd<'_>) -> Result<Option<ExitStatus>, Errno> {
    match waitid(Id::PIDFd(pidfd), WaitPidFlag::WEXITED | WaitPidFlag::WNOHANG)? {
        WaitStatus::Exited(_, code) => Ok(Some(ExitStatus::Exited(code))),
        WaitStatus::Signaled(_, signal, core_dumped) => {
            Ok(Some(ExitStatus::Signaled { signal: signal as i32, core_dumped }))
        }
        _ => Ok(None),
    }
}

/// A wait status as `waitpid` returns it.
fn decode(status: i32) -> ExitStatus {
    if libc::WIFSIGNALED(status) {
        ExitStatus::Signaled { signal: libc::WTERMSIG(status), core_dumped: libc::WCOREDUMP(status) }
    } else {
        ExitStatus::Exited(libc::WEXITSTATUS(status))
    }
}

/// Whether this kernel gives a pidfd at clone time and keeps the exit
/// status for it after the child is reaped: starts a child that exits 7,
/// reaps it, and asks. Call only while nothing else reaps with
/// `waitpid(-1)`.
pub(crate) fn exit_status_outlives_reaping() -> bool {
    let mut raw: libc::c_int = -1;
    // SAFETY: a fork-like clone (no shared memory, no new stack): the child
    // runs on its own copy of this stack and only calls _exit.
    let pid = unsafe {
        libc::syscall(libc::SYS_clone, (CLONE_PIDFD | libc::SIGCHLD) as libc::c_ulong, 0usize, &mut raw, 0usize, 0usize)
    };
    if pid == 0 {
        // SAFETY: the child leaves at once; _exit is async-signal-safe.
        unsafe { libc::_exit(7) }
    }
    if pid < 0 {
        return false;
    }
    // SAFETY: the clone succeeded and wrote a descriptor we now own.
    let Some(fd) = (unsafe { own(raw) }) else {
        // No pidfd (an old kernel ignoring the flag): reap the child by pid.
        let _ = nix::sys::wait::waitpid(nix::unistd::Pid::from_raw(pid as libc::pid_t), None);
        return false;
    };
    let reaped = waitid(Id::PIDFd(std::os::fd::AsFd::as_fd(&fd)), WaitPidFlag::WEXITED);
    matches!(reaped, Ok(WaitStatus::Exited(_, 7)))
        && matches!(exit_status(std::os::fd::AsFd::as_fd(&fd)), Ok(Some(ExitStatus::Exited(7))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wait_statuses_decode_as_waitpid_reads_them() {
        assert_eq!(decode(3 << 8), ExitStatus::Exited(3));
        assert_eq!(decode(libc::SIGTERM), ExitStatus::Signaled { signal: libc::SIGTERM, core_dumped: false });
        assert_eq!(decode(libc::SIGSEGV | 0x80), ExitStatus::Signaled { signal: libc::SIGSEGV, core_dumped: true });
    }

    #[test]
    fn a_running_process_has_no_exit_status_yet() {
        let me = open(std::process::id()).expect("pidfd_open on ourselves");
        // Kernels before 6.13 have no PIDFD_GET_INFO at all.
        if let Ok(status) = exit_status(std::os::fd::AsFd::as_fd(&me)) {
            assert_eq!(status, None);
        }
    }
}
