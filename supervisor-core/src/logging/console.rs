//! supervisord's own stdout and stderr as log destinations
//! (`stdout_logfile = /dev/stdout`, the container idiom). Every writer of
//! one descriptor takes its lock, so the whole lines a pump hands over are
//! never cut by another program's (or the main log's echo).

use std::io::{self, Write};
use std::os::fd::FromRawFd;
use std::path::Path;
use std::sync::Mutex;

/// fd 1 or fd 2 of this process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Console {
    Stdout,
    Stderr,
}

static STDOUT: Mutex<()> = Mutex::new(());
static STDERR: Mutex<()> = Mutex::new(());

impl Console {
    /// The console a log path names, if it names one.
    pub(crate) fn of(path: &Path) -> Option<Console> {
        match path.to_str()? {
            "/dev/stdout" | "/dev/fd/1" | "/proc/self/fd/1" => Some(Console::Stdout),
            "/dev/stderr" | "/dev/fd/2" | "/proc/self/fd/2" => Some(Console::Stderr),
            _ => None,
        }
    }

    /// Writes all of `data` in one go with respect to other writers here.
    pub(crate) fn write(self, data: &[u8]) -> io::Result<()> {
        let (lock, fd) = match self {
            Console::Stdout => (&STDOUT, 1),
            Console::Stderr => (&STDERR, 2),
        };
        let _held = lock.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        // SAFETY: fds 1 and 2 stay open for the life of the process (a
        // daemonized supervisord points them at /dev/null), and ManuallyDrop
        // never closes them.
        let mut file = std::mem::ManuallyDrop::new(unsafe { std::fs::File::from_raw_fd(fd) });
        file.write_all(data)
    }
}

/// Writes a line of the main log's echo to stdout, under the same lock as
/// child output sent there.
pub(crate) fn echo(line: &[u8]) {
    let _held = STDOUT.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut out = io::stdout().lock();
    let _ = out.write_all(line).and_then(|()| out.flush());
}
