//! The typed configuration: what a `supervisord.conf` means once read,
//! expanded and checked. Field names are 4.3.0's.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use crate::event_types::EventType;
use crate::signals::Signal;

/// A whole configuration, as `supervisord` runs it.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Config {
    /// The main file, when read from one.
    pub file: Option<PathBuf>,
    /// `[supervisord]`.
    pub supervisord: SupervisordConfig,
    /// `[inet_http_server*]` then `[unix_http_server*]` sections.
    pub http_servers: Vec<HttpServerConfig>,
    /// `[rpcinterface:x]` sections, in file order.
    pub rpc_interfaces: Vec<PluginConfig>,
    /// Process groups sorted by priority, then name (start order).
    pub groups: Vec<GroupConfig>,
    /// What reading the file found worth telling, logged at startup.
    pub messages: ParseMessages,
}

/// Warnings and notes from reading, which supervisord logs once it has a log.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ParseMessages {
    /// Logged at WARN (e.g. `No file matches via include "..."`).
    pub warnings: Vec<String>,
    /// Logged at INFO (e.g. `Included extra file "..." during parsing`).
    pub infos: Vec<String>,
}

/// Severity of a supervisord log line; 4.3.0 has seven.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LogLevel {
    /// BLAT (3).
    Blather = 3,
    /// TRAC (5).
    Trace = 5,
    /// DEBG (10).
    Debug = 10,
    /// INFO (20).
    Info = 20,
    /// WARN (30).
    Warn = 30,
    /// ERRO (40).
    Error = 40,
    /// CRIT (50).
    Critical = 50,
}

impl LogLevel {
    /// Reads a `loglevel=` value (`info`, `WARN`, ...).
    pub fn from_description(s: &str) -> Option<LogLevel> {
        Some(match s.to_lowercase().as_str() {
            "critical" => LogLevel::Critical,
            "error" => LogLevel::Error,
            "warn" => LogLevel::Warn,
            "info" => LogLevel::Info,
            "debug" => LogLevel::Debug,
            "trace" => LogLevel::Trace,
            "blather" => LogLevel::Blather,
            _ => return None,
        })
    }

    /// The config spelling (`info`).
    pub fn description(self) -> &'static str {
        match self {
            LogLevel::Critical => "critical",
            LogLevel::Error => "error",
            LogLevel::Warn => "warn",
            LogLevel::Info => "info",
            LogLevel::Debug => "debug",
            LogLevel::Trace => "trace",
            LogLevel::Blather => "blather",
        }
    }

    /// The four letters in supervisord.log (`INFO`).
    pub fn tag(self) -> &'static str {
        match self {
            LogLevel::Critical => "CRIT",
            LogLevel::Error => "ERRO",
            LogLevel::Warn => "WARN",
            LogLevel::Info => "INFO",
            LogLevel::Debug => "DEBG",
            LogLevel::Trace => "TRAC",
            LogLevel::Blather => "BLAT",
        }
    }
}

/// `[supervisord]`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct SupervisordConfig {
    /// `logfile` (`supervisord.log`); the word `syslog` sends it to syslog.
    pub logfile: PathBuf,
    /// `logfile_maxbytes` (50MB; 0 never rotates).
    pub logfile_maxbytes: u64,
    /// `logfile_backups` (10).
    pub logfile_backups: u32,
    /// `logfile_rotate`, `logfile_compress`, `logfile_maxage` (additions).
    pub logfile_retention: super::Retention,
    /// `logfile_format` (an addition; none: 4.3.0's lines).
    pub logfile_format: Option<super::LineFormat>,
    /// `childlog_format` (an addition): every program's, unless it sets its own.
    pub childlog_format: Option<super::LineFormat>,
    /// `loglevel` (info).
    pub loglevel: LogLevel,
    /// `pidfile` (`supervisord.pid`).
    pub pidfile: PathBuf,
    /// `umask` (022).
    pub umask: u32,
    /// `nodaemon` (false).
    pub nodaemon: bool,
    /// `silent` (false).
    pub silent: bool,
    /// `minfds` (1024).
    pub minfds: u64,
    /// `minprocs` (200).
    pub minprocs: u64,
    /// `nocleanup` (false).
    pub nocleanup: bool,
    /// `childlogdir` (the temp dir).
    pub childlogdir: PathBuf,
    /// `user` (none).
    pub user: Option<String>,
    /// `directory` (none).
    pub directory: Option<PathBuf>,
    /// `strip_ansi` (false).
    pub strip_ansi: bool,
    /// `environment`, added to every child's.
    pub environment: BTreeMap<String, String>,
    /// `environment_file`: dotenv files under `environment`, read at each
    /// spawn (an addition).
    pub environment_files: Vec<PathBuf>,
    /// `identifier` (supervisor).
    pub identifier: String,
}

/// One `[inet_http_server]` or `[unix_http_server]` section.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct HttpServerConfig {
    /// The section name.
    pub section: String,
    /// What follows `:` in the section name, if anything.
    pub name: Option<String>,
    /// `username`.
    pub username: Option<String>,
    /// `password`: plain or `{SHA}` + hex SHA-1.
    pub password: Option<String>,
    /// Where it listens.
    pub listen: Listen,
    /// `request_body_limit` (ours; 4.3.0 has no limit): larger request
    /// bodies are refused with 413 before they are read. Default 2MB.
    pub body_limit: u64,
    /// `request_header_timeout` (ours; 4.3.0 waits forever): seconds a
    /// client has to send a request's head. Default 10.
    pub header_timeout_secs: u64,
    /// `metrics` (ours): serve `GET /metrics` in Prometheus' text format.
    pub metrics: bool,
    /// `event_stream` (ours): serve `GET /events`, state changes as
    /// Server-Sent Events.
    pub event_stream: bool,
    /// `tls_cert`, `tls_key`, `tls_client_ca` (ours, inet servers): speak
    /// TLS (https) instead of plain HTTP.
    pub tls: Option<super::TlsFiles>,
}

impl HttpServerConfig {
    /// The default `request_body_limit`.
    pub const DEFAULT_BODY_LIMIT: u64 = 2 << 20;
    /// The default `request_header_timeout`.
    pub const DEFAULT_HEADER_TIMEOUT_SECS: u64 = 10;
}

/// Where an HTTP server listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listen {
    /// `[inet_http_server] port=host:port`; an empty host means all interfaces.
    Inet {
        /// Host, lower-cased; empty for all.
        host: String,
        /// Port.
        port: u16,
    },
    /// `[unix_http_server] file=`.
    Unix {
        /// The socket path, absolute.
        file: PathBuf,
        /// `chmod` (0700).
        chmod: u32,
        /// `chown`: uid and optional gid.
        chown: Option<(u32, Option<u32>)>,
    },
}

/// An `[rpcinterface:x]` or `[ctlplugin:x]` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginConfig {
    /// What follows `:` in the section name.
    pub name: String,
    /// The factory (`supervisor.rpcinterface:make_main_rpcinterface`).
    pub factory: String,
    /// Every other key, expanded, passed to the factory.
    pub extras: BTreeMap<String, String>,
}

/// A group of processes started and stopped together.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct GroupConfig {
    /// The group name.
    pub name: String,
    /// `priority`: lower starts first and stops last.
    pub priority: i64,
    /// Program group, listener pool or FastCGI group.
    pub kind: GroupKind,
    /// Processes sorted by priority, then name. Shared: the running
    /// supervisor, the daemon's reread state and every copy of a config
    /// hold the same ones, not a copy each (a thousand programs' configs
    /// were a third of the daemon's heap).
    pub processes: Vec<Arc<ProcessConfig>>,
}

/// What kind of group a [`GroupConfig`] is.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum GroupKind {
    /// `[program:x]` (a group of its own) or `[group:x]`.
    Programs,
    /// `[eventlistener:x]`.
    EventListenerPool(EventListenerPoolConfig),
    /// `[fcgi-program:x]`.
    FastCgi(FcgiSocketConfig),
}

/// The keys only `[eventlistener:x]` has.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct EventListenerPoolConfig {
    /// `buffer_size` (10).
    pub buffer_size: usize,
    /// `events`, sorted and de-duplicated.
    pub events: Vec<EventType>,
    /// `result_handler` (`supervisor.dispatchers:default_handler`).
    pub result_handler: String,
    /// `len_in_bytes` (false): count the envelope's `len:` in bytes rather
    /// than 4.3.0's characters. Not a 4.3.0 key (4.3.0 ignores it).
    pub len_in_bytes: bool,
}

/// The socket an `[fcgi-program:x]` group shares with its processes.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FcgiSocketConfig {
    /// Where it listens.
    pub address: FcgiAddress,
    /// `socket_backlog` (none: SOMAXCONN).
    pub backlog: Option<u32>,
}

/// An FCGI socket address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FcgiAddress {
    /// `tcp://host:port`.
    Tcp {
        /// Host, lower-cased.
        host: String,
        /// Port.
        port: u16,
    },
    /// `unix:///path`.
    Unix {
        /// Absolute path.
        path: PathBuf,
        /// `socket_mode` (0700).
        mode: u32,
        /// `socket_owner`, or the program's user when that differs from ours.
        owner: Option<(u32, Option<u32>)>,
    },
}

impl FcgiAddress {
    /// The URL 4.3.0 shows (`tcp://localhost:9000`, `unix:///tmp/x.sock`).
    pub fn url(&self) -> String {
        match self {
            FcgiAddress::Tcp { host, port } => format!("tcp://{host}:{port}"),
            FcgiAddress::Unix { path, .. } => format!("unix://{}", path.display()),
        }
    }
}

/// `autorestart`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AutoRestart {
    /// `false`: never.
    Never,
    /// `unexpected`: when the exit code is not in `exitcodes`.
    Unexpected,
    /// `true`: always.
    Always,
}

/// One layer of a child's environment (see
/// [`ProcessConfig::environment_layers`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EnvLayer {
    /// A dotenv file, read at each spawn.
    File(PathBuf),
    /// Values from the config.
    Values(BTreeMap<String, String>),
}

/// A liveness check (`health_check` and its `_interval`, `_timeout`,
/// `_retries`; an addition): tried while RUNNING; after `retries` failures
/// in a row the process is restarted.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct HealthCheck {
    /// The check (`tcp://`, `http://`, `exec:`, or `notify`: `WATCHDOG=1`
    /// within each interval).
    pub probe: Probe,
    /// How often it is tried (10 s).
    pub interval: std::time::Duration,
    /// How long one try may take (5 s).
    pub timeout: std::time::Duration,
    /// Failures in a row before a restart (3).
    pub retries: u32,
}

impl HealthCheck {
    /// `probe` every 10 s, 5 s each, restart after 3 failures (the defaults).
    pub fn new(probe: Probe) -> HealthCheck {
        HealthCheck {
            probe,
            interval: std::time::Duration::from_secs(10),
            timeout: std::time::Duration::from_secs(5),
            retries: 3,
        }
    }
}

/// What of a program ends the whole supervisor (`shutdown_on`, an
/// addition for containers: the orchestrator then restarts it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ShutdownOn {
    /// `fatal`: it entered FATAL.
    Fatal,
    /// `unexpected`: it exited in a way 4.3.0 calls not expected (a code
    /// not in `exitcodes`, or any exit before `startsecs`).
    Unexpected,
    /// `exit`: it exited in any way but being stopped on request.
    Exit,
}

impl ShutdownOn {
    /// The name in `shutdown_on`.
    pub fn name(self) -> &'static str {
        match self {
            ShutdownOn::Fatal => "fatal",
            ShutdownOn::Unexpected => "unexpected",
            ShutdownOn::Exit => "exit",
        }
    }
}

/// How many failed starts in a row before giving up (`startretries`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StartRetries {
    /// This many retries, then FATAL.
    Limit(u32),
    /// `unlimited`: never give up (an addition).
    Unlimited,
}

impl StartRetries {
    /// Whether a process that failed `failures` starts in a row may try
    /// again.
    pub fn allows(self, failures: u32) -> bool {
        match self {
            StartRetries::Limit(n) => failures <= n,
            StartRetries::Unlimited => true,
        }
    }
}

/// What must hold of another program before a process starts
/// (`depends_on = db, migrate=succeeded`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Dependency {
    /// The namespec as written: a program or group name (every process
    /// of it), `group:name` (one process) or `group:*` (a group).
    pub target: String,
    /// What must hold of it.
    pub condition: Condition,
}

impl Dependency {
    /// `target` must be in `condition`.
    pub fn new(target: impl Into<String>, condition: Condition) -> Dependency {
        Dependency { target: target.into(), condition }
    }
}

/// What a dependency must have done (`depends_on = x=<condition>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Condition {
    /// `running` (the default): RUNNING, which with a `ready_check` means
    /// ready.
    #[default]
    Running,
    /// `started`: spawned (entered STARTING).
    Started,
    /// `exited`: ran and exited, whatever the code.
    Exited,
    /// `succeeded`: ran and exited with one of its `exitcodes`.
    Succeeded,
}

impl Condition {
    /// The name in `depends_on` (`running`).
    pub fn name(self) -> &'static str {
        match self {
            Condition::Running => "running",
            Condition::Started => "started",
            Condition::Exited => "exited",
            Condition::Succeeded => "succeeded",
        }
    }
}

/// How a process shows it is ready (`ready_check`), instead of staying up
/// for `startsecs`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Probe {
    /// `tcp://HOST:PORT`: a connection is accepted.
    Tcp {
        /// The host.
        host: String,
        /// The port.
        port: u16,
    },
    /// `http://HOST:PORT/PATH` (or `https://`): a GET answers 2xx.
    Http {
        /// Whether it is `https://`.
        tls: bool,
        /// The host.
        host: String,
        /// The port (80 or 443 when not given).
        port: u16,
        /// The path, with its query (at least `/`).
        path: String,
    },
    /// `exec:COMMAND ARGS`: the command exits 0 (run as the program runs).
    Exec(String),
    /// `log:REGEX`: a line of the program's stdout or stderr matches.
    Log(String),
    /// `notify`: the program sends `READY=1` over the systemd notify
    /// protocol.
    Notify,
}

impl std::fmt::Display for Probe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Probe::Tcp { host, port } => write!(f, "tcp://{host}:{port}"),
            Probe::Http { tls, host, port, path } => {
                write!(f, "{}://{host}:{port}{path}", if *tls { "https" } else { "http" })
            }
            Probe::Exec(command) => write!(f, "exec:{command}"),
            Probe::Log(pattern) => write!(f, "log:{pattern}"),
            Probe::Notify => f.write_str("notify"),
        }
    }
}

/// `ready_check` with its `ready_check_interval` and `ready_check_timeout`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct ReadyCheck {
    /// The check.
    pub probe: Probe,
    /// How often it is tried (1 s).
    pub interval: std::time::Duration,
    /// How long after the spawn it may take at most (60 s).
    pub timeout: std::time::Duration,
}

impl ReadyCheck {
    /// `probe` every second, for at most a minute (the defaults).
    pub fn new(probe: Probe) -> ReadyCheck {
        ReadyCheck { probe, interval: std::time::Duration::from_secs(1), timeout: std::time::Duration::from_secs(60) }
    }
}

/// Where one output channel of a process is written.
///
/// Equality compares settings: an AUTO log the supervisor has given its
/// file ([`LogFile::AutoFile`]) is still `AUTO`, so a config read again
/// compares equal to the one running.
///
/// ```
/// use supervisor_core::config::LogFile;
///
/// assert_eq!(LogFile::AutoFile("/tmp/a-stdout---supervisor-x.log".into()), LogFile::Auto);
/// assert_eq!(LogFile::AutoFile("/tmp/a-stdout---supervisor-x.log".into()).path(), Some("/tmp/a-stdout---supervisor-x.log".as_ref()));
/// assert_ne!(LogFile::Path("/tmp/a.log".into()), LogFile::Auto);
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum LogFile {
    /// `AUTO`: a file in `childlogdir`, removed at the next start.
    Auto,
    /// `NONE`: not kept.
    None,
    /// A path.
    Path(PathBuf),
    /// `AUTO`, as the running supervisor resolved it: its file in
    /// `childlogdir`. Only the supervisor makes these (the configs of
    /// [`Supervisor::group_configs`](crate::supervisor::Supervisor::group_configs)
    /// and process snapshots); each start gives a new file.
    AutoFile(PathBuf),
}

impl LogFile {
    /// The file written, if there is one yet: a path's, or an AUTO log's
    /// once resolved.
    pub fn path(&self) -> Option<&std::path::Path> {
        match self {
            LogFile::Path(p) | LogFile::AutoFile(p) => Some(p),
            LogFile::Auto | LogFile::None => None,
        }
    }

    /// Whether this is `AUTO`, resolved or not.
    pub fn is_auto(&self) -> bool {
        matches!(self, LogFile::Auto | LogFile::AutoFile(_))
    }
}

impl PartialEq for LogFile {
    fn eq(&self, other: &LogFile) -> bool {
        match (self, other) {
            (LogFile::Path(a), LogFile::Path(b)) => a == b,
            (LogFile::None, LogFile::None) => true,
            (a, b) => a.is_auto() && b.is_auto(),
        }
    }
}

impl Eq for LogFile {}

impl std::hash::Hash for LogFile {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        // As equality: every AUTO hashes alike.
        match self {
            LogFile::Auto | LogFile::AutoFile(_) => 0u8.hash(state),
            LogFile::None => 1u8.hash(state),
            LogFile::Path(p) => {
                2u8.hash(state);
                p.hash(state);
            }
        }
    }
}

/// The `stdout_*` or `stderr_*` keys of a program.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ChannelConfig {
    /// `*_logfile` (AUTO).
    pub logfile: LogFile,
    /// `*_logfile_maxbytes` (50MB).
    pub logfile_maxbytes: u64,
    /// `*_logfile_backups` (10).
    pub logfile_backups: u32,
    /// `*_logfile_rotate`, `*_logfile_compress`, `*_logfile_maxage` (additions).
    pub retention: super::Retention,
    /// `*_capture_maxbytes` (0).
    pub capture_maxbytes: u64,
    /// `*_events_enabled` (false).
    pub events_enabled: bool,
    /// `*_syslog` (false).
    pub syslog: bool,
}

/// One process, after numprocs expansion: what `supervisord` spawns.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ProcessConfig {
    /// `process_name`, expanded.
    pub name: String,
    /// The group the process belongs to.
    pub group: String,
    /// The section that defined it (`program:web`).
    pub section: String,
    /// `command`, expanded, not yet split.
    pub command: String,
    /// `directory`.
    pub directory: Option<PathBuf>,
    /// `umask`; none inherits supervisord's.
    pub umask: Option<u32>,
    /// `priority` (999; -1 for listeners).
    pub priority: i64,
    /// `autostart` (true).
    pub autostart: bool,
    /// `autorestart` (unexpected).
    pub autorestart: AutoRestart,
    /// `startsecs` (1).
    pub startsecs: u64,
    /// `startretries` (3; `unlimited` never gives up).
    pub startretries: StartRetries,
    /// `restart_delay`: wait this long before an autorestart of a process
    /// that exited from RUNNING (none: at once, as 4.3.0).
    pub restart_delay: Option<std::time::Duration>,
    /// `backoff_max`: the longest wait between failed starts (none: 1, 2,
    /// 3, ... seconds without a cap, as 4.3.0).
    pub backoff_max: Option<std::time::Duration>,
    /// `user`, as written.
    pub user: Option<String>,
    /// The uid `user` resolved to.
    pub uid: Option<u32>,
    /// stdout keys.
    pub stdout: ChannelConfig,
    /// stderr keys.
    pub stderr: ChannelConfig,
    /// `stopsignal` (TERM).
    pub stopsignal: Signal,
    /// `stopwaitsecs` (10).
    pub stopwaitsecs: u64,
    /// `stopasgroup` (false).
    pub stopasgroup: bool,
    /// `killasgroup` (= stopasgroup).
    pub killasgroup: bool,
    /// `exitcodes` (0).
    pub exitcodes: Vec<u8>,
    /// `health_check`: how it shows it is alive while RUNNING (none).
    /// Boxed, as the additions below: most programs have none, and a
    /// thousand configs should not carry room for each.
    pub health_check: Option<Box<HealthCheck>>,
    /// `shutdown_on`: what of this program ends supervisord (never).
    pub shutdown_on: Option<ShutdownOn>,
    /// `depends_on`: what must hold before it starts (nothing).
    pub depends_on: Vec<Dependency>,
    /// `ready_check`: how it shows it is ready (none: `startsecs`).
    pub ready_check: Option<Box<ReadyCheck>>,
    /// `redirect_stderr` (false).
    pub redirect_stderr: bool,
    /// `childlog_format`, or `[supervisord] childlog_format` (an addition;
    /// none: output is logged byte for byte).
    pub childlog_format: Option<Box<super::LineFormat>>,
    /// `[supervisord] environment` overlaid with the program's own.
    pub environment: BTreeMap<String, String>,
    /// With an `environment_file` anywhere (an addition): the child's
    /// environment as layers, lowest first, read at each spawn:
    /// `[supervisord] environment_file`, `[supervisord] environment`, the
    /// program's `environment_file`, its `environment`. Empty otherwise
    /// (then `environment` is all).
    pub environment_layers: Vec<EnvLayer>,
    /// `serverurl`; none means AUTO (supervisord's own server).
    pub serverurl: Option<String>,
}

impl ProcessConfig {
    /// `group:name`, or `name` when the two are the same (4.3.0's namespec).
    pub fn namespec(&self) -> String {
        if self.group == self.name { self.name.clone() } else { format!("{}:{}", self.group, self.name) }
    }
}
