//! Log files: child output logs and supervisord's own log.

mod ansi;
pub mod mainlog;
pub mod read;
pub mod rotating;
pub mod syslog;

pub use ansi::strip_escapes;
pub use mainlog::MainLog;
pub use read::{ReadError, read_file, tail_file};
pub use rotating::RotatingFile;
