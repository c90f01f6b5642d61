//! The real [`Host`]: spawns through the platform layer, wires pipes to
//! logs, writes supervisord's log and publishes transitions.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::broadcast;
use tokio::sync::mpsc::UnboundedSender;

use super::output::{Pump, SharedLog};
use crate::config::{LogFile, LogLevel, ProcessConfig};
use crate::events::{Channel, Event};
use crate::logging::{MainLog, RotatingFile};
use crate::platform::reap::{self, Exit, Spawner};
use crate::platform::{SpawnContext, SpawnFailure, spawn};
use crate::process::{Host, SpawnError, Transition};
use crate::signals::Signal;

/// Per-process I/O that outlives one spawn.
#[derive(Default, Clone)]
pub(crate) struct ProcessIo {
    pub stdout: SharedLog,
    pub stderr: SharedLog,
}

pub(crate) struct RealHost {
    pub ctx: SpawnContext,
    pub exits: UnboundedSender<Exit>,
    pub events: broadcast::Sender<Event>,
    /// The bus receivers the engine holds itself (see `Pump::own_receivers`).
    pub own_receivers: Arc<std::sync::atomic::AtomicUsize>,
    pub mainlog: Arc<Mutex<MainLog>>,
    /// By process namespec.
    pub io: HashMap<String, ProcessIo>,
    /// stdin write ends (non-blocking), by pid.
    pub stdin: HashMap<u32, std::os::fd::OwnedFd>,
    /// `[supervisord] strip_ansi`.
    pub strip_ansi: bool,
    /// Groups that are event listener pools: their stdout is the protocol.
    pub listener_groups: std::collections::HashSet<String>,
    /// Where listener stdout goes, besides its log.
    pub protocol: tokio::sync::mpsc::UnboundedSender<(u32, Vec<u8>)>,
}

fn open_log(file: &LogFile, maxbytes: u64, backups: u32) -> Option<RotatingFile> {
    match file {
        LogFile::Path(p) => RotatingFile::open(p, maxbytes, backups).ok(),
        _ => None,
    }
}

impl RealHost {
    pub(crate) fn log(&self, level: LogLevel, message: &str) {
        if let Ok(mut main) = self.mainlog.lock() {
            main.log(level, message);
        }
    }

    /// Reopens supervisord.log and every open child log (SIGUSR2).
    pub(crate) fn reopen_logs(&mut self) {
        if let Ok(mut main) = self.mainlog.lock() {
            let _ = main.reopen();
        }
        for io in self.io.values() {
            for log in [&io.stdout, &io.stderr] {
                if let Ok(mut g) = log.lock()
                    && let Some(f) = g.as_mut()
                {
                    let _ = f.reopen();
                }
            }
        }
    }

    /// Empties a process's log files, open or not (`clearProcessLogs`).
    pub(crate) fn clear_logs(&mut self, config: &ProcessConfig) -> std::io::Result<()> {
        let io = self.io.get(&config.namespec()).cloned().unwrap_or_default();
        for (file, shared) in [(&config.stdout.logfile, io.stdout), (&config.stderr.logfile, io.stderr)] {
            let LogFile::Path(path) = file else { continue };
            let mut guard = shared.lock().map_err(|_| std::io::Error::other("log lock poisoned"))?;
            match guard.as_mut() {
                Some(f) => f.clear()?,
                None => match std::fs::remove_file(path) {
                    Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
                    _ => {}
                },
            }
        }
        Ok(())
    }
}

impl Host for RealHost {
    fn spawn(&mut self, config: &ProcessConfig) -> Result<u32, SpawnError> {
        let child = {
            let mut spawner = Spawner::begin();
            let mut child = spawn(config, &self.ctx, spawner.wants_pidfd()).map_err(|e| match e {
                SpawnFailure::Command(c) => SpawnError(c.to_string()),
                other => SpawnError(other.to_string()),
            })?;
            if let Err(untracked) = spawner.register(child.pid, child.pidfd.take(), self.exits.clone()) {
                // A child nobody could report the exit of is stopped, not lost.
                let _ =
                    nix::sys::signal::killpg(nix::unistd::Pid::from_raw(child.pid as i32), nix::sys::signal::SIGKILL);
                return Err(SpawnError(untracked.to_string()));
            }
            child
        };
        let io = self.io.entry(config.namespec()).or_default().clone();
        if let Ok(mut g) = io.stdout.lock() {
            *g = open_log(&config.stdout.logfile, config.stdout.logfile_maxbytes, config.stdout.logfile_backups);
        }
        if let Ok(mut g) = io.stderr.lock() {
            *g = open_log(&config.stderr.logfile, config.stderr.logfile_maxbytes, config.stderr.logfile_backups);
        }
        let is_listener = self.listener_groups.contains(&config.group);
        let pump = |channel, log, syslog, events_enabled| Pump {
            group: config.group.clone(),
            name: config.name.clone(),
            pid: child.pid,
            channel,
            log,
            syslog,
            strip_ansi: self.strip_ansi,
            events: self.events.clone(),
            own_receivers: self.own_receivers.clone(),
            events_enabled,
            mainlog: self.mainlog.clone(),
            protocol: (is_listener && channel == Channel::Stdout).then(|| self.protocol.clone()),
            capture_maxbytes: match channel {
                Channel::Stdout => config.stdout.capture_maxbytes,
                Channel::Stderr => config.stderr.capture_maxbytes,
            },
        };
        pump(Channel::Stdout, io.stdout.clone(), config.stdout.syslog, config.stdout.events_enabled).run(child.stdout);
        if let Some(fd) = child.stderr {
            pump(Channel::Stderr, io.stderr.clone(), config.stderr.syslog, config.stderr.events_enabled).run(fd);
        }
        let nonblocking = nix::fcntl::fcntl(&child.stdin, nix::fcntl::FcntlArg::F_SETFL(nix::fcntl::OFlag::O_NONBLOCK));
        if nonblocking.is_ok() {
            self.stdin.insert(child.pid, child.stdin);
        }
        Ok(child.pid)
    }

    fn kill(&mut self, pid: u32, group: bool, signal: Signal) -> Result<(), nix::errno::Errno> {
        let sig = nix::sys::signal::Signal::try_from(signal.number())?;
        if group {
            nix::sys::signal::killpg(nix::unistd::Pid::from_raw(pid as i32), sig)
        } else {
            reap::signal(pid, sig as i32)
        }
    }

    fn log(&mut self, level: LogLevel, message: String) {
        RealHost::log(self, level, &message);
    }

    fn transition(&mut self, config: &ProcessConfig, change: Transition) {
        let _ = self.events.send(Event::ProcessState {
            group: config.group.clone(),
            name: config.name.clone(),
            transition: change,
        });
    }
}
