//! Runnable examples of supervisor-core, one file each:
//!
//! - `parse_config`: read a `supervisord.conf` and print its groups and
//!   processes (`cargo run -p supervisor-examples --example parse_config -- FILE`).
//! - `embed`: a service building two programs in code, starting them,
//!   awaiting RUNNING, reading one's output stream, stopping it and shutting
//!   down, in 13 lines (`cargo run -p supervisor-examples --example embed`).
//! - `test_harness`: a harness for `#[tokio::test]`: start a program, assert
//!   on its output and state, kill it and see it come back, tear down with
//!   nothing left (`cargo run -p supervisor-examples --example test_harness`;
//!   its test runs with `cargo test`).
//! - `rpc_plugin`: a custom XML-RPC namespace selected by an
//!   `[rpcinterface:x]` section, answering through the typed handles,
//!   served and called (`cargo run -p supervisor-examples --example rpc_plugin`).
//! - `listener`: an event listener written in Rust, reading payloads by
//!   byte count (`len_in_bytes=true`).
