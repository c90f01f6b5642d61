//! The config structs made directly, with 4.3.0's defaults and no checks
//! ([`super::ConfigBuilder`] checks every key as a file's).
//!
//! ```
//! use supervisor_core::config::{AutoRestart, Config, GroupConfig, ProcessConfig};
//!
//! let mut web = ProcessConfig::new("web", "python3 -m http.server 8000");
//! web.autorestart = AutoRestart::Always;
//! web.environment.insert("PYTHONUNBUFFERED".into(), "1".into());
//! let config = Config::new(vec![GroupConfig::new("web", vec![web])]);
//! assert_eq!(config.groups[0].processes[0].startsecs, 1);
//! assert_eq!(config.supervisord.identifier, "supervisor");
//! ```

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use super::model::{
    AutoRestart, ChannelConfig, Config, GroupConfig, GroupKind, LogFile, LogLevel, ParseMessages, ProcessConfig,
    StartRetries, SupervisordConfig,
};
use crate::signals::Signal;

impl Default for ChannelConfig {
    /// `AUTO`, 50MB, 10 backups, no capture, no events, no syslog.
    fn default() -> Self {
        ChannelConfig {
            logfile: LogFile::Auto,
            logfile_maxbytes: 50 << 20,
            logfile_backups: 10,
            retention: super::Retention::default(),
            capture_maxbytes: 0,
            events_enabled: false,
            syslog: false,
        }
    }
}

impl ProcessConfig {
    /// A program named `name` running `command`, with every other key at
    /// its 4.3.0 default, in a group of its own name.
    pub fn new(name: impl Into<String>, command: impl Into<String>) -> ProcessConfig {
        let name = name.into();
        ProcessConfig {
            group: name.clone(),
            section: format!("program:{name}"),
            name,
            command: command.into(),
            directory: None,
            umask: None,
            priority: 999,
            autostart: true,
            autorestart: AutoRestart::Unexpected,
            startsecs: 1,
            startretries: StartRetries::Limit(3),
            restart_delay: None,
            backoff_max: None,
            user: None,
            uid: None,
            stdout: ChannelConfig::default(),
            stderr: ChannelConfig::default(),
            stopsignal: Signal::TERM,
            stopwaitsecs: 10,
            stopasgroup: false,
            killasgroup: false,
            exitcodes: vec![0],
            depends_on: Vec::new(),
            ready_check: None,
            environment_layers: Vec::new(),
            shutdown_on: None,
            health_check: None,
            redirect_stderr: false,
            childlog_format: None,
            environment: BTreeMap::new(),
            serverurl: None,
        }
    }
}

impl GroupConfig {
    /// A program group (priority 999) of `processes`, each moved into it.
    pub fn new(name: impl Into<String>, processes: Vec<ProcessConfig>) -> GroupConfig {
        let name = name.into();
        let processes = processes.into_iter().map(|p| Arc::new(ProcessConfig { group: name.clone(), ..p })).collect();
        GroupConfig { name, priority: 999, kind: GroupKind::Programs, processes }
    }
}

impl Default for SupervisordConfig {
    /// `[supervisord]` with nothing set.
    fn default() -> Self {
        SupervisordConfig {
            logfile: PathBuf::from("supervisord.log"),
            logfile_maxbytes: 50 << 20,
            logfile_backups: 10,
            logfile_retention: super::Retention::default(),
            logfile_format: None,
            childlog_format: None,
            loglevel: LogLevel::Info,
            pidfile: PathBuf::from("supervisord.pid"),
            umask: 0o22,
            nodaemon: false,
            silent: false,
            minfds: 1024,
            minprocs: 200,
            nocleanup: false,
            childlogdir: std::env::temp_dir(),
            user: None,
            directory: None,
            strip_ansi: false,
            environment: BTreeMap::new(),
            environment_files: Vec::new(),
            identifier: "supervisor".to_owned(),
        }
    }
}

impl Config {
    /// A configuration of `groups` (sorted into start order) with
    /// `[supervisord]` defaults and no HTTP servers.
    pub fn new(mut groups: Vec<GroupConfig>) -> Config {
        groups.sort_by(|a, b| (a.priority, &a.name).cmp(&(b.priority, &b.name)));
        Config {
            file: None,
            supervisord: SupervisordConfig::default(),
            http_servers: Vec::new(),
            rpc_interfaces: Vec::new(),
            groups,
            messages: ParseMessages::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_built_programs_equal_file_defaults() {
        let from_file = Config::from_str("[supervisord]\n[program:cat]\ncommand=/bin/cat\n", "/tmp/x.conf")
            .expect("config")
            .groups
            .remove(0);
        let mut built = GroupConfig::new("cat", vec![ProcessConfig::new("cat", "/bin/cat")]);
        // The file's environment is merged with [supervisord]'s, which is empty.
        Arc::make_mut(&mut built.processes[0]).environment = from_file.processes[0].environment.clone();
        assert_eq!(built, from_file);
    }
}
