//! Supervisor, rebuilt in Rust: run and watch long-lived programs exactly as
//! Python Supervisor 4.3.0 does, in-process.
//!
//! This crate is the library under the `supervisord` binary, usable with no
//! HTTP at all: build or load a [`config::Config`], start a
//! [`supervisor::Supervisor`] on your tokio runtime, and control its
//! programs through typed handles ([`supervisor::Program`],
//! [`supervisor::ProcessGroup`]) while streams tell you what happens.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use futures_util::StreamExt;
//! use supervisor_core::config::{Config, ProgramSpec};
//! use supervisor_core::supervisor::{RunOptions, Supervisor, Wait};
//!
//! let config = Config::builder().program(ProgramSpec::new("hello", "echo hello").autostart(false)).build()?;
//! let supervisor = Supervisor::start(config, RunOptions::default())?;
//! let hello = supervisor.program("hello");
//! let mut output = hello.output().await?;
//! hello.start(Wait::No).await?;
//! assert_eq!(output.next().await.expect("open")?.data, b"hello\n");
//! supervisor.shutdown().await?; // every child gone
//! # Ok(())
//! # }
//! ```
//!
//! A config file loads in one call, with 4.3.0's every section, key,
//! default and `%(name)s` expansion, and errors that name the file, line,
//! section and key:
//!
//! ```
//! use supervisor_core::config::Config;
//! let config = Config::from_str("[supervisord]\n[program:cat]\ncommand=/bin/cat\n", "/etc/supervisord.conf")?;
//! assert_eq!(config.groups[0].processes[0].command, "/bin/cat");
//! # Ok::<(), supervisor_core::config::ConfigErrors>(())
//! ```
//!
//! The modules: [`config`] (the model, the file reader, the builder),
//! [`supervisor`] (the running instance, its handles and streams),
//! [`process`] (the state machine and its states), [`events`] (event
//! types), [`logging`] (log files), [`signals`], and [`daemon`] (what a
//! program that is itself the supervisor daemon sets up).
#![deny(missing_docs)]

pub mod config;
pub mod daemon;
pub(crate) mod event_types;
pub mod events;
pub(crate) mod exit;
#[cfg(test)]
mod layers;
pub mod logging;
pub(crate) mod platform;
pub mod process;
pub(crate) mod pytext;
pub mod signals;
pub mod supervisor;
