//! Scheduling hints for supervisord's own threads.

/// Asks the kernel for a short time slice for the calling thread (Linux
/// 6.12+ reads `sched_runtime` as the slice of a normal task; no privilege
/// is needed, and an older kernel ignores it).
///
/// For threads that wake often and work for microseconds (the reaper, the
/// request handlers): with the default slice a woken thread waits for the
/// running task's slice to end, which on a loaded machine is milliseconds.
/// Priority and share of the CPU stay as they were. Says whether the
/// kernel took it (reading it back: older kernels accept and ignore it).
pub fn short_slice() -> bool {
    // Only a normal thread's slice; a policy someone chose (`chrt`) stays.
    // SAFETY: sched_getscheduler reads this thread's policy.
    if unsafe { libc::sched_getscheduler(0) } != libc::SCHED_OTHER {
        return false;
    }
    #[repr(C)]
    #[derive(Default)]
    struct SchedAttr {
        size: u32,
        policy: u32,
        flags: u64,
        nice: i32,
        priority: u32,
        runtime: u64,
        deadline: u64,
        period: u64,
    }
    let attr = SchedAttr {
        size: std::mem::size_of::<SchedAttr>() as u32,
        policy: libc::SCHED_OTHER as u32,
        flags: 0,
        // SAFETY: getpriority has no memory effects; a failure reads as 0.
        nice: unsafe { libc::getpriority(libc::PRIO_PROCESS, 0) },
        priority: 0,
        // 0.1 ms, the smallest slice the kernel takes.
        runtime: 100_000,
        deadline: 0,
        period: 0,
    };
    let size = attr.size;
    // SAFETY: sched_setattr and sched_getattr on this thread with a valid
    // struct of the size they are told.
    unsafe {
        if libc::syscall(libc::SYS_sched_setattr, 0, &attr as *const SchedAttr, 0u32) != 0 {
            return false;
        }
        let mut now = SchedAttr::default();
        libc::syscall(libc::SYS_sched_getattr, 0, &mut now as *mut SchedAttr, size, 0u32) == 0
            && now.runtime == attr.runtime
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_slice_is_the_one_asked_for_where_the_kernel_takes_it() {
        let slice = std::thread::spawn(|| {
            let taken = super::short_slice();
            // Kernels without scheduler debugging have no such file.
            let sched = std::fs::read_to_string("/proc/thread-self/sched").unwrap_or_default();
            let slice = sched.lines().find(|l| l.starts_with("se.slice")).map(|l| l.to_string());
            (taken, slice)
        })
        .join()
        .expect("thread");
        if let (true, Some(line)) = slice {
            assert!(line.trim_end().ends_with(" 100000"), "{line}");
        }
    }
}
