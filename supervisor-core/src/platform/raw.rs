//! System calls that leave `errno` alone, for a child that shares
//! supervisord's memory while supervisord goes on running.
//!
//! A child cloned with `CLONE_VM` but not `CLONE_VFORK` runs beside the
//! thread that cloned it, on that thread's thread-local storage: any libc
//! wrapper that fails would write the spawning thread's `errno` under it.
//! These make the call directly and return the kernel's answer, `-errno` on
//! failure. Where the instruction is not written out here ([`SHARED`] is
//! false), the libc wrapper stands in and the caller must clone with
//! `CLONE_VFORK`, so that the parent is asleep while the child runs.

/// Whether these calls leave the calling thread's `errno` untouched here.
pub(crate) const SHARED: bool = cfg!(any(target_arch = "x86_64", target_arch = "aarch64"));

/// Makes system call `nr` with `args` (up to six; more are ignored) and
/// returns the kernel's answer, `-errno` on failure.
///
/// # Safety
/// As for the system call itself: pointers must be valid for what the call
/// does with them.
#[inline(always)]
pub(crate) unsafe fn syscall(nr: libc::c_long, args: &[usize]) -> isize {
    let mut a = [0usize; 6];
    for (slot, v) in a.iter_mut().zip(args) {
        *slot = *v;
    }
    let ret: isize;
    // SAFETY: the x86_64 Linux system call convention; the kernel clobbers
    // rcx and r11 and nothing else.
    #[cfg(target_arch = "x86_64")]
    unsafe {
        std::arch::asm!(
            "syscall",
            inlateout("rax") nr as isize => ret,
            in("rdi") a[0], in("rsi") a[1], in("rdx") a[2], in("r10") a[3], in("r8") a[4], in("r9") a[5],
            lateout("rcx") _, lateout("r11") _,
            options(nostack),
        );
    }
    // SAFETY: the aarch64 Linux system call convention (number in x8,
    // result in x0).
    #[cfg(target_arch = "aarch64")]
    unsafe {
        std::arch::asm!(
            "svc 0",
            in("x8") nr,
            inlateout("x0") a[0] as isize => ret,
            in("x1") a[1], in("x2") a[2], in("x3") a[3], in("x4") a[4], in("x5") a[5],
            options(nostack),
        );
    }
    // SAFETY: forwarded as given (libc sets errno here: see [`SHARED`]).
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    unsafe {
        let r = libc::syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
        ret = if r < 0 { -(*libc::__errno_location() as isize) } else { r as isize };
    }
    ret
}

/// The errno of a failed call's result (0 when it did not fail).
pub(crate) fn errno(ret: isize) -> i32 {
    if (-4095..0).contains(&ret) { -ret as i32 } else { 0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_come_back_without_touching_errno() {
        // SAFETY: getpid takes nothing; close of a number that cannot be
        // open fails with EBADF and touches nothing.
        unsafe {
            assert_eq!(syscall(libc::SYS_getpid, &[]) as u32, std::process::id());
            *libc::__errno_location() = 0;
            let ret = syscall(libc::SYS_close, &[i32::MAX as usize]);
            assert_eq!(errno(ret), libc::EBADF);
            if SHARED {
                assert_eq!(*libc::__errno_location(), 0);
            }
        }
    }
}
