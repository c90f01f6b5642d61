//! Log files: child output logs and supervisord's own log.

mod ansi;
mod mainlog;
mod read;
mod rotating;
pub(crate) mod syslog;

pub use ansi::strip_escapes;
pub use mainlog::MainLog;
pub use read::{LogRange, LogTail, read_range, tail};
pub use rotating::RotatingFile;
