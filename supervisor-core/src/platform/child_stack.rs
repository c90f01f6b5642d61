//! Stacks for children cloned with `CLONE_VM`, which run on memory of ours
//! until they exec.
//!
//! Each is its own mapping with a guard page below it, so a child that ran
//! off its stack would fault in the child rather than write over our heap.
//! A few are kept for the next starts: a mapping's pages are only touched
//! (and only count towards our memory) where a child has used them, and a
//! kept stack costs no new mapping or page faults.

use std::sync::Mutex;

/// Enough for the child's few frames and libc's clone trampoline.
const SIZE: usize = 64 * 1024;
/// Stacks kept for reuse; children rarely overlap more than this.
const KEEP: usize = 4;

/// A mapped stack with a guard page below it.
#[derive(Debug)]
pub(crate) struct Stack {
    base: *mut libc::c_void,
    len: usize,
}

// SAFETY: the mapping belongs to this value alone; moving it between
// threads moves that ownership.
unsafe impl Send for Stack {}

static SPARE: Mutex<Vec<Stack>> = Mutex::new(Vec::new());

impl Stack {
    /// A kept stack, or a new mapping; the error is the mapping's errno.
    pub(crate) fn take() -> Result<Stack, i32> {
        if let Some(stack) = SPARE.lock().unwrap_or_else(|e| e.into_inner()).pop() {
            return Ok(stack);
        }
        // SAFETY: sysconf has no preconditions.
        let page = usize::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) }).unwrap_or(4096);
        let len = SIZE + page;
        // SAFETY: a fresh anonymous mapping, then its lowest page made
        // inaccessible; nothing else refers to it.
        unsafe {
            let base = libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_STACK,
                -1,
                0,
            );
            if base == libc::MAP_FAILED {
                return Err(*libc::__errno_location());
            }
            let stack = Stack { base, len };
            if libc::mprotect(base, page, libc::PROT_NONE) != 0 {
                return Err(*libc::__errno_location());
            }
            Ok(stack)
        }
    }

    /// Its top, 16-byte aligned: where a downward-growing stack starts.
    pub(crate) fn top(&self) -> *mut libc::c_void {
        ((self.base as usize + self.len) & !15) as *mut libc::c_void
    }

    /// Gives it back once no child runs on it, for the next start.
    pub(crate) fn give_back(self) {
        let mut spare = SPARE.lock().unwrap_or_else(|e| e.into_inner());
        if spare.len() < KEEP {
            spare.push(self);
        }
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        // SAFETY: our own mapping, which no child runs on any more.
        unsafe {
            libc::munmap(self.base, self.len);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stack_is_writable_up_to_its_top_and_guarded_below() {
        let stack = Stack::take().expect("mapped");
        let top = stack.top() as usize;
        assert_eq!(top % 16, 0);
        // SAFETY: the bytes just below the top are inside the mapping.
        unsafe { std::ptr::write_volatile((top - 1) as *mut u8, 7) };
        // The guard page, as the kernel lists it.
        let maps = std::fs::read_to_string("/proc/self/maps").expect("maps");
        let guard = format!("{:x}-", stack.base as usize);
        let line = maps.lines().find(|l| l.starts_with(&guard)).expect("the guard page is mapped");
        assert!(line.split_whitespace().nth(1).is_some_and(|perms| perms.starts_with("---")), "{line}");
        stack.give_back();
    }
}
