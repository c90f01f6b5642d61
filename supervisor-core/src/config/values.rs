//! The value types of config keys, for command lines that take the same
//! values as the file (supervisord's `-d`, `-m`, `-a`; supervisorctl's
//! `-s`), checked and worded as 4.3.0 checks them.
//!
//! ```
//! use supervisor_core::config::values;
//! assert_eq!(values::byte_size("50MB"), Ok(50 * 1024 * 1024));
//! assert_eq!(values::octal("022"), Ok(0o22));
//! assert!(values::integer("x").is_err());
//! ```

pub use super::datatypes::{
    ValueError, abspath, boolean, byte_size, existing_directory, existing_dirpath, integer, octal, url,
};
