//! Runnable examples of supervisor-core, one file each:
//!
//! - `parse_config`: read a `supervisord.conf` and print its groups and
//!   processes (`cargo run -p supervisor-examples --example parse_config -- FILE`).
//! - `embed`: a service supervising two programs and printing the event
//!   stream (`cargo run -p supervisor-examples --example embed`).
//! - `test_harness`: start a program, wait for RUNNING, kill it, see it come
//!   back (`cargo run -p supervisor-examples --example test_harness`).
//! - `rpc_plugin`: a custom XML-RPC namespace selected by an
//!   `[rpcinterface:x]` section, served and called
//!   (`cargo run -p supervisor-examples --example rpc_plugin`).
//! - `listener`: an event listener written in Rust, reading payloads by
//!   byte count (`len_in_bytes=true`).
