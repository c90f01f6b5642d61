//! Supervisor, rebuilt in Rust: run and watch long-lived programs exactly as
//! Python Supervisor 4.3.0 does.
//!
//! This crate is the library under the `supervisord` binary, usable with no
//! HTTP at all. Today it holds the configuration model ([`config`]): every
//! section, key, default and `%(name)s` expansion of 4.3.0, with errors that
//! name the file, line, section and key.
//!
//! ```
//! use supervisor_core::config::Config;
//! let config = Config::from_str("[supervisord]\n[program:cat]\ncommand=/bin/cat\n", "/etc/supervisord.conf")?;
//! assert_eq!(config.groups[0].processes[0].command, "/bin/cat");
//! # Ok::<(), supervisor_core::config::ConfigErrors>(())
//! ```
#![deny(missing_docs)]

pub mod config;
pub mod events;
pub mod logging;
pub mod platform;
pub mod process;
pub mod signals;
pub mod supervisor;
