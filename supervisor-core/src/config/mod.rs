//! The configuration model: reading `supervisord.conf` exactly as
//! Supervisor 4.3.0 reads it.
//!
//! The flow is `file → ini reader → sections → %(name)s expansion → typed
//! Config`. Nothing here touches processes, so a new configuration can be
//! read and [`diff`]ed against the running one before anything moves.
//!
//! ```
//! use supervisor_core::config::{Config, LogFile, AutoRestart};
//!
//! let text = "\
//! [supervisord]
//! logfile = /tmp/supervisord.log   ; a comment
//!
//! [program:worker]
//! command = /usr/bin/env sleep 60
//! numprocs = 2
//! process_name = %(program_name)s_%(process_num)02d
//! autorestart = true
//! stdout_logfile = NONE
//! ";
//! let config = Config::from_str(text, "/etc/supervisord.conf").unwrap();
//! let group = &config.groups[0];
//! assert_eq!(group.name, "worker");
//! assert_eq!(group.processes[1].name, "worker_01");
//! assert_eq!(group.processes[1].autorestart, AutoRestart::Always);
//! assert_eq!(group.processes[1].stdout.logfile, LogFile::None);
//! ```
//!
//! Errors name the file, line, section and key:
//!
//! ```
//! use supervisor_core::config::Config;
//! let err = Config::from_str("[supervisord]\n[program:x]\ncommand=cat\nautostart=maybe\n", "/etc/s.conf")
//!     .unwrap_err();
//! assert_eq!(err.to_string(), "/etc/s.conf:4: [program:x] autostart: not a valid boolean value: 'maybe'");
//! ```

mod build;
mod builder;
pub(crate) mod datatypes;
mod dependencies;
mod diff;
mod envfile;
mod envlist;
mod error;
pub(crate) mod expand;
mod groups;
mod include;
pub(crate) mod ini;
mod keys;
mod load;
mod logformat;
mod model;
mod options;
mod plugins;
mod programs;
mod reader;
mod search;
mod servers;
mod supervisord;
mod tls;
pub mod values;

pub use crate::pytext::repr;
pub use builder::{ConfigBuilder, ProgramSpec};
pub(crate) use dependencies::resolve as resolve_namespec;
pub use diff::{ConfigDiff, diff};
pub use envfile::EnvFileError;
pub(crate) use envfile::read_into as read_env_file;
pub use envlist::parse_key_value_pairs;
pub use error::{ConfigError, ConfigErrors, ErrorKind, Location};
pub use keys::{Key, SectionDoc, UnknownKey, documented_sections};
pub use load::{Checked, CtlConfig};
pub use logformat::{
    Compression, Conversion, Field, FormatPattern, LineFormat, LogFields, Part, Retention, Rotation, Spec, max_age,
};
pub use model::*;
pub use options::{DEFAULT_RESULT_HANDLER, LoadOptions, MAIN_RPC_FACTORY};
pub use plugins::{CTL_FACTORY_KEY, RPC_FACTORY_KEY};
pub use search::{find_config_file, search_paths};
pub use tls::{TlsFileError, TlsFiles};
