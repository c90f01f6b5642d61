//! Runnable examples of supervisor-core, one file each:
//!
//! - `parse_config`: read a `supervisord.conf` and print its groups and
//!   processes (`cargo run -p supervisor-examples --example parse_config -- FILE`).
