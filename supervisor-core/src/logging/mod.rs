//! Log files: child output logs and supervisord's own log.

mod ansi;
mod console;
mod lines;
mod mainlog;
mod read;
mod render;
mod retention;
mod rotating;
pub(crate) mod syslog;

pub use ansi::strip_escapes;
pub use lines::{LineWriter, Origin, PARTIAL_MAX, PARTIAL_WAIT};
pub use mainlog::{FieldValue, MainLog};
pub use read::{LogRange, LogTail, read_range, tail};
pub use retention::wait_idle as wait_for_compression;
pub use rotating::RotatingFile;
