//! Log files: child output logs and supervisord's own log.

pub mod mainlog;
pub mod rotating;

pub use mainlog::MainLog;
pub use rotating::RotatingFile;
