//! Ctrl-C during `tail -f`/`maintail -f`: noticed, not fatal, so the follow
//! can end as 4.3.0's does.

use std::sync::atomic::{AtomicBool, Ordering};

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Starts watching for SIGINT; the returned function says whether it came.
pub fn watch() -> impl Fn() -> bool {
    INTERRUPTED.store(false, Ordering::SeqCst);
    // SAFETY: the handler only stores to an atomic (async-signal-safe).
    let _ = unsafe { signal_hook_registry::register(libc::SIGINT, || INTERRUPTED.store(true, Ordering::SeqCst)) };
    || INTERRUPTED.load(Ordering::SeqCst)
}
