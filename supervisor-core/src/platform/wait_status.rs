//! Wait statuses as the kernel reports them, read into [`ExitStatus`]:
//! what [`pidfd`](super::pidfd) and [`reap`](super::reap) both decode.

use nix::sys::wait::WaitStatus;

use crate::exit::ExitStatus;

/// The exit a wait reported (the pid and how it ended), if it was one.
pub(crate) fn exit_of(status: WaitStatus) -> Option<(u32, ExitStatus)> {
    match status {
        WaitStatus::Exited(pid, code) => Some((pid.as_raw() as u32, ExitStatus::Exited(code))),
        WaitStatus::Signaled(pid, signal, core_dumped) => {
            Some((pid.as_raw() as u32, ExitStatus::Signaled { signal: signal as i32, core_dumped }))
        }
        _ => None,
    }
}

/// A raw wait status as `waitpid` returns it.
pub(crate) fn decode(status: i32) -> ExitStatus {
    if libc::WIFSIGNALED(status) {
        ExitStatus::Signaled { signal: libc::WTERMSIG(status), core_dumped: libc::WCOREDUMP(status) }
    } else {
        ExitStatus::Exited(libc::WEXITSTATUS(status))
    }
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
}
