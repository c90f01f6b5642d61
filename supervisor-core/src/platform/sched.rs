//! Scheduling hints for supervisord's own threads.

/// Asks the kernel for a short time slice for the calling thread (Linux
/// 6.12+ reads `sched_runtime` as the slice of a normal task; no privilege
/// is needed, and an older kernel refuses it, which changes nothing).
///
/// For threads that wake often and work for microseconds (the reaper, the
/// request handlers): with the default slice a woken thread waits for the
/// running task's slice to end, which on a loaded machine is milliseconds.
/// Priority and share of the CPU stay as they were.
pub fn short_slice() {
    #[repr(C)]
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
    // SAFETY: sched_setattr on this thread with a valid struct of the size
    // it states.
    unsafe {
        libc::syscall(libc::SYS_sched_setattr, 0, &attr as *const SchedAttr, 0u32);
    }
}
