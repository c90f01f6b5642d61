//! The command-line layer of the `supervisord`, `supervisorctl`,
//! `echo_supervisord_conf` and `pidproxy` binaries: option parsing as 4.3.0
//! does it. Everything a library user would want lives in supervisor-core.
#![deny(missing_docs)]

pub mod ctl;
pub mod daemon;
pub mod getopt;
pub mod man;
pub mod notify;
pub mod pidproxy;
pub mod supervisord_cli;
pub mod usage;

/// The text `echo_supervisord_conf` prints: every section and key, documented.
pub const SAMPLE_CONF: &str = include_str!("sample.conf");
