//! The section types and the keys each one reads: one table, used to reject
//! sections of unknown type, to check every key a reader fetches (in debug
//! builds), and by `supervisord --check` to point out keys nothing reads,
//! which 4.3.0 ignores without a word (`autostrat=false`).
//!
//! ```
//! use supervisor_core::config::{Config, LoadOptions};
//! use std::path::Path;
//! let text = "[DEFAULT]\nmine=1\n[supervisord]\n[program:x]\ncommand=cat\nautostrat=false\n";
//! let checked = Config::check_str_with(text, Path::new("/etc/s.conf"), &LoadOptions::default());
//! assert!(checked.config.is_ok());
//! assert_eq!(
//!     checked.unknown_keys[0].to_string(),
//!     "/etc/s.conf:6: [program:x] autostrat: unknown key, ignored (did you mean 'autostart'?)"
//! );
//! assert_eq!(checked.unknown_keys.len(), 1);
//! ```

use std::fmt;

use super::error::Location;
use super::ini::Ini;

/// What a section is, by its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SectionType {
    Supervisord,
    Supervisorctl,
    Include,
    UnixHttpServer,
    InetHttpServer,
    Program,
    Group,
    EventListener,
    FcgiProgram,
    RpcInterface,
    CtlPlugin,
}

/// Sections known by their whole name.
const EXACT: &[(&str, SectionType)] = &[
    ("supervisord", SectionType::Supervisord),
    ("supervisorctl", SectionType::Supervisorctl),
    ("include", SectionType::Include),
];

/// Sections known by how their name starts. As in 4.3.0, the HTTP servers
/// match by prefix alone (`[inet_http_server:two]`).
const PREFIXES: &[(&str, SectionType)] = &[
    ("unix_http_server", SectionType::UnixHttpServer),
    ("inet_http_server", SectionType::InetHttpServer),
    ("program:", SectionType::Program),
    ("group:", SectionType::Group),
    ("eventlistener:", SectionType::EventListener),
    ("fcgi-program:", SectionType::FcgiProgram),
    ("rpcinterface:", SectionType::RpcInterface),
    ("ctlplugin:", SectionType::CtlPlugin),
];

/// One key a section reads, with what `supervisord.conf(5)` says about it
/// (the man page is made from these tables, so every key the reader knows
/// is documented).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    /// The key.
    pub name: &'static str,
    /// Its default as the man page shows it; empty when it has none (the
    /// key is required, or unset means off).
    pub default: &'static str,
    /// What it does.
    pub doc: &'static str,
}

const fn key(name: &'static str, default: &'static str, doc: &'static str) -> Key {
    Key { name, default, doc }
}

const SUPERVISORD: &[Key] = &[
    key(
        "minfds",
        "1024",
        "The number of open files supervisord needs. At start it raises its soft limit (RLIMIT_NOFILE) to this \
         number, up to the hard limit; if that is not enough it refuses to start.",
    ),
    key(
        "minprocs",
        "200",
        "The number of processes supervisord needs (RLIMIT_NPROC), raised and checked as minfds is.",
    ),
    key("directory", "", "When daemonizing, change to this directory. Unset: stay in the current directory."),
    key(
        "user",
        "",
        "When started as root, switch to this user (name or numeric uid) once the sockets are bound. Unset: stay; \
         running as root without it logs a CRIT line.",
    ),
    key("umask", "022", "The umask of supervisord, inherited by the programs it runs (octal)."),
    key(
        "logfile",
        "$CWD/supervisord.log",
        "The main log. \"syslog\" sends it to syslog; a relative path is relative to the directory supervisord \
         was started in.",
    ),
    key("logfile_maxbytes", "50MB", "Rotate the main log when it reaches this size; 0 never rotates."),
    key("logfile_backups", "10", "How many rotated copies of the main log are kept; 0 keeps none."),
    key("loglevel", "info", "The main log's level: critical, error, warn, info, debug, trace or blather."),
    key("pidfile", "$CWD/supervisord.pid", "Where supervisord writes its pid."),
    key("identifier", "supervisor", "The name of this supervisord in the API (getIdentification)."),
    key("nodaemon", "false", "true: stay in the foreground instead of daemonizing."),
    key("silent", "false", "With nodaemon, do not copy the main log to stdout."),
    key("childlogdir", "the system temp directory", "The directory of AUTO child logs."),
    key("nocleanup", "false", "true: keep the old AUTO child logs found in childlogdir at start."),
    key("strip_ansi", "false", "Remove ANSI escape sequences from the output of programs before logging it."),
    key(
        "environment",
        "",
        "KEY=\"value\" pairs, separated by commas, added to the environment of every program (quotes let a \
         value hold commas).",
    ),
    key(
        "environment_file",
        "",
        "Dotenv files, comma-separated, read at each start of every program: under environment and under the \
         program's own.",
    ),
];

const SUPERVISORCTL: &[Key] = &[
    key(
        "serverurl",
        "http://localhost:9001",
        "How supervisorctl reaches supervisord: unix:///path/to/socket or http://host:port.",
    ),
    key("prompt", "supervisor", "The interactive prompt is this word followed by \"> \"."),
    key("username", "", "The user name supervisorctl sends to the server."),
    key("password", "", "The password supervisorctl sends to the server, in plain text."),
    key("history_file", "", "Keep the interactive shell's command history in this file."),
    key(
        "tls_ca",
        "the system's roots",
        "For an https:// serverurl: check the server's certificate against the CA certificates in this PEM file. \
         A supervisor-rs addition; Supervisor 4.3.0 ignores it.",
    ),
];

const INCLUDE: &[Key] = &[key(
    "files",
    "",
    "Globs of more files to read, separated by whitespace or newlines, relative to this file's directory; \
     the matches are read in sorted order after this file. Required.",
)];

/// Ours, in both kinds of HTTP server (4.3.0 ignores them).
const HTTP_LIMITS: &[Key] = &[
    key(
        "request_body_limit",
        "2MB",
        "Request bodies larger than this are refused with HTTP 413 before they are read. A supervisor-rs \
         addition; Supervisor 4.3.0 ignores it.",
    ),
    key(
        "request_header_timeout",
        "10",
        "Seconds a client has to send a request's head before the connection is closed. A supervisor-rs \
         addition; Supervisor 4.3.0 ignores it.",
    ),
    key(
        "metrics",
        "false",
        "Serve GET /metrics in the Prometheus text format (0.0.4), behind the same authentication: each \
         process's state, restarts by reason, CPU, memory and output bytes, and the daemon's own figures. A \
         supervisor-rs addition; Supervisor 4.3.0 ignores it.",
    ),
    key(
        "event_stream",
        "false",
        "Serve GET /events, behind the same authentication: every state change as a Server-Sent Event (JSON, \
         with an id a client reconnecting with Last-Event-ID resumes from), and with ?output=name that program's \
         output; the web page then updates its table live. A supervisor-rs addition; Supervisor 4.3.0 ignores it.",
    ),
];

const UNIX_HTTP_SERVER: &[Key] = &[
    key("file", "", "The path of the socket the API listens on. Required."),
    key("chmod", "0700", "The permission bits of the socket file (octal)."),
    key("chown", "the user supervisord runs as", "The owner of the socket file: user or user:group."),
    key("username", "", "Clients must send this user name (unset: no authentication)."),
    key(
        "password",
        "",
        "Clients must send this password, given in plain text or as {SHA} followed by the hex SHA-1 digest.",
    ),
];

/// Ours, in `[inet_http_server]` only.
const HTTP_TLS: &[Key] = &[
    key(
        "tls_cert",
        "",
        "Serve https: the server's certificate chain (PEM, leaf first). Needs tls_key. Read again at each reload \
         for new connections; the listening socket is kept. A supervisor-rs addition; Supervisor 4.3.0 ignores it.",
    ),
    key("tls_key", "", "The private key of tls_cert (PEM). A supervisor-rs addition."),
    key(
        "tls_client_ca",
        "",
        "Mutual TLS: only clients showing a certificate signed by one of these CA certificates (PEM) get in, \
         besides username and password when set. A supervisor-rs addition.",
    ),
];

const INET_HTTP_SERVER: &[Key] = &[
    key(
        "port",
        "",
        "[host:]port to listen on; \"*:9001\" or \":9001\" listens on every IPv4 address, \"[::1]:9001\" on an \
         IPv6 one (IPv6 is a supervisor-rs addition). Required. Without tls_cert the server encrypts nothing: \
         bind it to 127.0.0.1 or use it only on a network you trust.",
    ),
    key("username", "", "Clients must send this user name (unset: no authentication)."),
    key(
        "password",
        "",
        "Clients must send this password, given in plain text or as {SHA} followed by the hex SHA-1 digest.",
    ),
];

/// Dependencies and readiness (additions; 4.3.0 has none of them).
const READINESS: &[Key] = &[
    key(
        "depends_on",
        "",
        "Programs that must be up before this one starts: a comma-separated list of names (a program or group, \
         group:name, group:*), each with an optional =running (the default), =started, =exited or =succeeded. \
         Starting this program starts them first; stopping everything stops this one before them.",
    ),
    key(
        "ready_check",
        "",
        "How the program shows it is ready, instead of startsecs: tcp://HOST:PORT, http://HOST:PORT/PATH \
         (https:// too, the certificate checked against the system's roots; a 2xx answer), exec:COMMAND (exits \
         0), log:REGEX (a line of output matches) or notify (READY=1 over the systemd notify protocol). It stays \
         STARTING until then.",
    ),
    key("ready_check_interval", "1", "Seconds between ready checks (fractions allowed)."),
    key(
        "health_check",
        "",
        "A liveness check while RUNNING: tcp://HOST:PORT, http://HOST:PORT/PATH, exec:COMMAND, or notify (the \
         program sends WATCHDOG=1 within each interval). After health_check_retries failures in a row the \
         program is restarted.",
    ),
    key("health_check_interval", "10", "Seconds between health checks (fractions allowed)."),
    key("health_check_timeout", "5", "Seconds one health check may take."),
    key("health_check_retries", "3", "Failed health checks in a row before a restart."),
    key(
        "shutdown_on",
        "",
        "Container mode: fatal (the program entered FATAL), unexpected (it exited with a code not in exitcodes, \
         or before startsecs) or exit (it exited, unless stopped on request) stops everything and ends \
         supervisord with the program's exit status.",
    ),
    key(
        "ready_check_timeout",
        "60",
        "Seconds from the spawn within which it must be ready; otherwise it is stopped and the start counts as \
         failed.",
    ),
];

/// The main log's format and rotation (additions; `logformat.rs`).
const SUPERVISORD_LOGS: &[Key] = &[
    key(
        "logfile_format",
        "%(asctime)s %(levelname)s %(message)s",
        "The main log's lines: a pattern of %(asctime)s, %(created)f, %(msecs)d, %(levelname)s, %(levelno)d, \
         %(message)s, %(process)d and %(name)s fields (read as written, without %-expansion), or json: one \
         object per line with time, level, message and, where the line has them, program, group, pid, \
         from_state, to_state, exit_status and expected.",
    ),
    key(
        "childlog_format",
        "",
        "Every program's log lines, unless the program sets its own childlog_format. Unset: output is logged \
         byte for byte.",
    ),
    key(
        "logfile_rotate",
        "size",
        "size rotates at logfile_maxbytes only; hourly, daily or weekly also rotate at the start of each hour, \
         day or week (Monday), local time.",
    ),
    key("logfile_compress", "none", "gzip: rotated copies become .1.gz, .2.gz ..., compressed on a worker thread."),
    key("logfile_maxage", "", "Delete rotated copies older than this: 90s, 30m, 12h, 7d or 2w."),
];

/// A process's log format and rotation (additions; `logformat.rs`).
const PROCESS_LOGS: &[Key] = &[
    key(
        "childlog_format",
        "[supervisord] childlog_format",
        "Each line of output as logged: a pattern of %(asctime)s, %(created)f, %(msecs)d, %(program)s, \
         %(process_name)s, %(group)s, %(channel)s, %(pid)d and %(message)s fields (read as written, without \
         %-expansion), or json: one object per line with time, program, process, channel, pid and message. \
         Unset: output is logged byte for byte.",
    ),
    key(
        "stdout_logfile_rotate",
        "size",
        "size, hourly, daily or weekly: when the stdout log rotates besides at maxbytes.",
    ),
    key("stdout_logfile_compress", "none", "gzip: compress the stdout log's rotated copies (.1.gz ...)."),
    key("stdout_logfile_maxage", "", "Delete rotated copies of the stdout log older than this (7d)."),
    key(
        "stderr_logfile_rotate",
        "size",
        "size, hourly, daily or weekly: when the stderr log rotates besides at maxbytes.",
    ),
    key("stderr_logfile_compress", "none", "gzip: compress the stderr log's rotated copies (.1.gz ...)."),
    key("stderr_logfile_maxage", "", "Delete rotated copies of the stderr log older than this (7d)."),
];

/// Every process section's keys (`programs.rs`).
const PROCESS: &[Key] = &[
    key(
        "command",
        "",
        "The program and its arguments, split as a shell would (no other shell syntax); a bare name is looked \
         up on PATH. Required.",
    ),
    key(
        "process_name",
        "%(program_name)s",
        "The name of each process; with numprocs above 1 it must contain %(process_num).",
    ),
    key("numprocs", "1", "How many copies of the program to run."),
    key("numprocs_start", "0", "The first %(process_num)."),
    key("priority", "999", "Lower starts first and stops last."),
    key("autostart", "true", "Start the program when supervisord starts."),
    key(
        "autorestart",
        "unexpected",
        "Restart the program when it exits: true, false, or unexpected (only when its exit code is not in \
         exitcodes).",
    ),
    key(
        "startsecs",
        "1",
        "Seconds the program must stay up to count as started (RUNNING); 0 counts it as started at once.",
    ),
    key("startretries", "3", "Failed starts in a row before giving up (FATAL); unlimited never gives up."),
    key(
        "restart_delay",
        "0",
        "Seconds to wait before restarting a program that exited from RUNNING (autorestart); fractions allowed.",
    ),
    key(
        "backoff_max",
        "none",
        "The longest wait in seconds between failed starts; unset, the waits grow by a second each time (1, 2, 3, ...).",
    ),
    key(
        "stopsignal",
        "TERM",
        "The signal that asks the program to stop: a name with or without SIG (TERM, HUP, INT, QUIT, KILL, USR1, \
         USR2, ...) or a number.",
    ),
    key("stopwaitsecs", "10", "Seconds to wait after stopsignal before sending SIGKILL."),
    key(
        "stopasgroup",
        "false",
        "Send stopsignal to the program's whole process group (its children too); implies killasgroup.",
    ),
    key("killasgroup", "the value of stopasgroup", "Send the final SIGKILL to the program's whole process group."),
    key("exitcodes", "0", "The expected exit codes, a comma-separated list of numbers from 0 to 255."),
    key("redirect_stderr", "false", "Send the program's stderr to its stdout log."),
    key(
        "environment",
        "",
        "KEY=\"value\" pairs, separated by commas, added to the program's environment after [supervisord] \
         environment.",
    ),
    key(
        "environment_file",
        "",
        "Dotenv files (KEY=value, export KEY=value, quotes, # comments; no $VAR expansion), comma-separated, \
         read at each start: under environment, over [supervisord]'s.",
    ),
    key("directory", "", "Change to this directory before running the program. Unset: supervisord's directory."),
    key("umask", "supervisord's", "The umask of the program (octal)."),
    key("user", "supervisord's user", "Run the program as this user; needs supervisord to run as root."),
    key(
        "serverurl",
        "AUTO",
        "The value of SUPERVISOR_SERVER_URL in the program's environment; AUTO means this supervisord's own URL.",
    ),
    key(
        "stdout_logfile",
        "AUTO",
        "Where the program's stdout goes: a path, AUTO (a file in childlogdir, removed when supervisord \
         restarts) or NONE. Devices such as /dev/stdout are written, never rotated.",
    ),
    key("stdout_logfile_maxbytes", "50MB", "Rotate the stdout log at this size; 0 never rotates."),
    key("stdout_logfile_backups", "10", "How many rotated copies of the stdout log are kept; 0 keeps none."),
    key(
        "stdout_capture_maxbytes",
        "0",
        "The size of the capture-mode buffer, which turns output between the PROCESS_COMMUNICATION tokens \
         into events; 0 turns capture mode off.",
    ),
    key("stdout_events_enabled", "false", "Emit a PROCESS_LOG_STDOUT event for each piece of stdout."),
    key("stdout_syslog", "false", "Also send stdout to syslog, each line tagged with the process name."),
    key(
        "stderr_logfile",
        "AUTO",
        "Where the program's stderr goes: a path, AUTO or NONE; ignored with redirect_stderr.",
    ),
    key("stderr_logfile_maxbytes", "50MB", "Rotate the stderr log at this size; 0 never rotates."),
    key("stderr_logfile_backups", "10", "How many rotated copies of the stderr log are kept; 0 keeps none."),
    key("stderr_capture_maxbytes", "0", "The size of stderr's capture-mode buffer; 0 turns capture mode off."),
    key("stderr_events_enabled", "false", "Emit a PROCESS_LOG_STDERR event for each piece of stderr."),
    key("stderr_syslog", "false", "Also send stderr to syslog, each line tagged with the process name."),
];

const GROUP: &[Key] = &[
    key("programs", "", "The [program:x] and [fcgi-program:x] names of its members, comma-separated. Required."),
    key("priority", "999", "Lower starts first and stops last."),
];

/// `[eventlistener:x]`'s own keys (`groups.rs`).
const LISTENER: &[Key] = &[
    key(
        "events",
        "",
        "The event types the pool receives, comma-separated: EVENT, PROCESS_STATE, PROCESS_STATE_<STATE>, \
         PROCESS_LOG(_STDOUT, _STDERR), PROCESS_COMMUNICATION(_STDOUT, _STDERR), PROCESS_GROUP(_ADDED, _REMOVED), \
         REMOTE_COMMUNICATION, SUPERVISOR_STATE_CHANGE(_RUNNING, _STOPPING), TICK_5, TICK_60, TICK_3600. Required.",
    ),
    key("buffer_size", "10", "Events queued while every listener of the pool is busy; at least 1."),
    key(
        "result_handler",
        "supervisor.dispatchers:default_handler",
        "What handles a listener's result; only the handlers built into supervisord can be named.",
    ),
    key(
        "len_in_bytes",
        "false",
        "Count the envelope's len: in bytes rather than in characters as 4.3.0 does. A supervisor-rs \
         addition; Supervisor 4.3.0 ignores it.",
    ),
];

/// `[fcgi-program:x]`'s own keys (`groups.rs`).
const FCGI: &[Key] = &[
    key(
        "socket",
        "",
        "The socket shared by the group's processes as their stdin: unix:///absolute/path or tcp://host:port. \
         Required.",
    ),
    key("socket_backlog", "the system's SOMAXCONN", "The listen() backlog, from 1 to 65535."),
    key("socket_owner", "the program's user", "The owner of a unix socket: user or user:group."),
    key("socket_mode", "0700", "The permission bits of a unix socket (octal)."),
];

/// Every section type, in the order `supervisord.conf(5)` documents them.
const DOCUMENTED: [SectionType; 11] = [
    SectionType::UnixHttpServer,
    SectionType::InetHttpServer,
    SectionType::Supervisord,
    SectionType::Supervisorctl,
    SectionType::Program,
    SectionType::Include,
    SectionType::Group,
    SectionType::FcgiProgram,
    SectionType::EventListener,
    SectionType::RpcInterface,
    SectionType::CtlPlugin,
];

/// A section type as `supervisord.conf(5)` documents it.
#[derive(Debug, Clone, Copy)]
pub struct SectionDoc {
    /// Its header, as written in a file (`[program:x]`).
    pub header: &'static str,
    /// What it is for.
    pub about: &'static str,
    /// The keys its reader reads, table by table. A table another section
    /// shares (`[program:x]`'s, in listener pools and FastCGI groups) is the
    /// same slice there. Empty for plugin sections, whose keys are the
    /// factory's arguments.
    pub keys: &'static [&'static [Key]],
}

/// Every section type with its keys, in the man page's order.
pub fn documented_sections() -> Vec<SectionDoc> {
    DOCUMENTED
        .iter()
        .map(|&t| {
            let (header, about) = t.doc();
            SectionDoc { header, about, keys: t.keys().unwrap_or(&[]) }
        })
        .collect()
}

impl SectionType {
    /// Its header and what it is for, for `supervisord.conf(5)`.
    fn doc(self) -> (&'static str, &'static str) {
        match self {
            SectionType::Supervisord => ("[supervisord]", "supervisord's own settings. Required."),
            SectionType::Supervisorctl => (
                "[supervisorctl]",
                "How supervisorctl reaches supervisord; match the [unix_http_server] or [inet_http_server] \
                 settings. Command-line options override these keys.",
            ),
            SectionType::Include => (
                "[include]",
                "More files to read. Only the [include] of the main file counts; one in an included file is \
                 ignored. A glob that matches nothing only logs a warning.",
            ),
            SectionType::UnixHttpServer => (
                "[unix_http_server]",
                "Serves the API (and the web page) on a unix socket. Any section whose name starts with \
                 unix_http_server is one.",
            ),
            SectionType::InetHttpServer => (
                "[inet_http_server]",
                "Serves the API and the web page over TCP; off unless the section is present. Any section whose \
                 name starts with inet_http_server is one.",
            ),
            SectionType::Program => (
                "[program:x]",
                "Runs a program, or numprocs copies of it, as the process group x. Names must not contain \
                 spaces, ':' or '/'.",
            ),
            SectionType::Group => (
                "[group:x]",
                "Puts several programs into the process group x; those programs no longer form groups of their \
                 own.",
            ),
            SectionType::EventListener => (
                "[eventlistener:x]",
                "Runs a pool of event listeners. It takes the keys of [program:x] (redirect_stderr must stay \
                 false: stdout carries the listener protocol) and the keys below; its priority defaults to -1.",
            ),
            SectionType::FcgiProgram => (
                "[fcgi-program:x]",
                "Runs FastCGI programs that share one listening socket, which supervisord creates and hands to \
                 each process as its stdin (fd 0). It takes the keys of [program:x] and the keys below.",
            ),
            SectionType::RpcInterface => (
                "[rpcinterface:x]",
                "Turns on an API namespace; [rpcinterface:supervisor] with supervisor.rpcinterface_factory = \
                 supervisor.rpcinterface:make_main_rpcinterface must be present for supervisorctl and the web \
                 page to work. supervisor.rpcinterface_factory names the factory, one built into supervisord or \
                 registered from Rust; every other key is passed to the factory as a named argument.",
            ),
            SectionType::CtlPlugin => (
                "[ctlplugin:x]",
                "Adds commands to supervisorctl: supervisor.ctl_factory names the factory, and every other key is \
                 passed to it as a named argument.",
            ),
        }
    }

    /// The type of the section called `name`, if it is one this program reads.
    pub(crate) fn of(name: &str) -> Option<SectionType> {
        EXACT
            .iter()
            .find(|(n, _)| *n == name)
            .or_else(|| PREFIXES.iter().find(|(p, _)| name.starts_with(p)))
            .map(|(_, t)| *t)
    }

    /// The keys its reader reads; `None` for plugin sections, whose keys
    /// are the factory's keyword arguments.
    pub(crate) fn keys(self) -> Option<&'static [&'static [Key]]> {
        Some(match self {
            SectionType::Supervisord => &[SUPERVISORD, SUPERVISORD_LOGS],
            SectionType::Supervisorctl => &[SUPERVISORCTL],
            SectionType::Include => &[INCLUDE],
            SectionType::UnixHttpServer => &[UNIX_HTTP_SERVER, HTTP_LIMITS],
            SectionType::InetHttpServer => &[INET_HTTP_SERVER, HTTP_LIMITS, HTTP_TLS],
            SectionType::Program => &[PROCESS, READINESS, PROCESS_LOGS],
            SectionType::Group => &[GROUP],
            SectionType::EventListener => &[PROCESS, READINESS, PROCESS_LOGS, LISTENER],
            SectionType::FcgiProgram => &[PROCESS, READINESS, PROCESS_LOGS, FCGI],
            SectionType::RpcInterface | SectionType::CtlPlugin => return None,
        })
    }

    /// Whether its reader reads `key` (any key, for plugin sections).
    pub(crate) fn reads(self, key: &str) -> bool {
        self.keys().is_none_or(|tables| tables.iter().flat_map(|t| t.iter()).any(|k| k.name == key))
    }
}

/// Called by every read of a key: in debug builds, a key missing from the
/// tables above is a bug (`--check` would call it unknown), so it panics.
pub(crate) fn reading(section: &str, key: &str) {
    debug_assert!(
        SectionType::of(section).is_none_or(|t| t.reads(key)),
        "[{section}] {key} is read but not listed in config/keys.rs"
    );
    #[cfg(test)]
    tests::READ.with(|r| r.borrow_mut().push((section.to_owned(), key.to_owned())));
}

/// A key that no section of its type reads. 4.3.0 ignores it, and so does a
/// normal run; `supervisord --check` prints it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownKey {
    /// Where: file, line, section and key.
    pub location: Location,
    /// The nearest key of that section type, when it is close.
    pub suggestion: Option<&'static str>,
}

impl fmt::Display for UnknownKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: unknown key, ignored", self.location)?;
        match self.suggestion {
            Some(s) => write!(f, " (did you mean '{s}'?)"),
            None => Ok(()),
        }
    }
}

/// The keys set in a section of known, non-plugin type that its reader does
/// not read, in file order. Keys `[DEFAULT]` sets are inherited by every
/// section and never reported, even where a section sets them itself.
pub(crate) fn unknown_keys(ini: &Ini) -> Vec<UnknownKey> {
    let defaults = ini.defaults();
    let mut unknown = Vec::new();
    for section in ini.sections() {
        let Some(tables) = SectionType::of(&section.name).and_then(SectionType::keys) else {
            continue;
        };
        for entry in section.entries() {
            let key = entry.key.as_str();
            if tables.iter().flat_map(|t| t.iter()).any(|k| k.name == key)
                || defaults.is_some_and(|d| d.get(key).is_some())
            {
                continue;
            }
            unknown.push(UnknownKey {
                location: Location::at(&entry.origin).in_section(&section.name).with_key(key),
                suggestion: nearest(key, tables.iter().flat_map(|t| t.iter().map(|k| k.name))),
            });
        }
    }
    unknown
}

/// The candidate closest to `key` by edit distance (adjacent swaps count
/// as one edit), if within 2 edits and a third of the key's length; the
/// first of equals wins.
fn nearest(key: &str, candidates: impl Iterator<Item = &'static str>) -> Option<&'static str> {
    let limit = (key.chars().count() / 3).min(2);
    candidates.map(|c| (distance(key, c), c)).filter(|(d, _)| *d <= limit).min_by_key(|(d, _)| *d).map(|(_, c)| c)
}

/// Damerau-Levenshtein distance, optimal string alignment variant.
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // Three rows: two back, one back, current.
    let mut before: Vec<usize> = vec![0; b.len() + 1];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(before[j - 2] + 1);
            }
            cur[j] = d;
        }
        std::mem::swap(&mut before, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
pub(crate) mod tests {
    use std::cell::RefCell;
    use std::collections::{BTreeMap, BTreeSet};
    use std::path::Path;

    use super::*;
    use crate::config::{Config, CtlConfig, LoadOptions};

    thread_local! {
        /// Every (section, key) read on this thread.
        pub(crate) static READ: RefCell<Vec<(String, String)>> = const { RefCell::new(Vec::new()) };
    }

    #[test]
    fn every_section_type_and_key_is_documented() {
        let mut types: Vec<SectionType> = EXACT.iter().chain(PREFIXES).map(|(_, t)| *t).collect();
        types.sort_by_key(|t| format!("{t:?}"));
        let mut documented = DOCUMENTED.to_vec();
        documented.sort_by_key(|t| format!("{t:?}"));
        assert_eq!(types, documented);
        for section in documented_sections() {
            assert!(!section.about.is_empty(), "{}", section.header);
            let keys: Vec<&Key> = section.keys.iter().flat_map(|t| t.iter()).collect();
            for k in &keys {
                assert!(k.doc.ends_with('.'), "{} {}: {:?}", section.header, k.name, k.doc);
                assert_eq!(keys.iter().filter(|o| o.name == k.name).count(), 1, "{} {}", section.header, k.name);
            }
        }
    }

    #[test]
    fn edit_distance() {
        assert_eq!(distance("autostrat", "autostart"), 1);
        assert_eq!(distance("comand", "command"), 1);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(distance("ca", "abc"), 3);
        assert_eq!(distance("same", "same"), 0);
    }

    #[test]
    fn suggestions_only_when_close() {
        let process = || PROCESS.iter().map(|k| k.name);
        assert_eq!(nearest("autostrat", process()), Some("autostart"));
        assert_eq!(nearest("stdout_log_file", process()), Some("stdout_logfile"));
        assert_eq!(nearest("stdout-logfile-maxbytes", process()), Some("stdout_logfile_maxbytes"));
        assert_eq!(nearest("usr", process()), Some("user"));
        assert_eq!(nearest("stopsignals", process()), Some("stopsignal"));
        assert_eq!(nearest("foo", process()), None);
        assert_eq!(nearest("ab", process()), None);
        assert_eq!(nearest("stdout_logfile_maxsize", process()), None);
        assert_eq!(nearest("autostart_delay", process()), None);
    }

    #[test]
    fn section_types_follow_4_3_0_names() {
        assert_eq!(SectionType::of("supervisord"), Some(SectionType::Supervisord));
        assert_eq!(SectionType::of("supervisordx"), None);
        assert_eq!(SectionType::of("inet_http_server:two"), Some(SectionType::InetHttpServer));
        assert_eq!(SectionType::of("fcgi-program:x"), Some(SectionType::FcgiProgram));
        assert_eq!(SectionType::of("program:x"), Some(SectionType::Program));
        assert_eq!(SectionType::of("programs:x"), None);
        assert!(SectionType::RpcInterface.reads("anything"));
        assert!(!SectionType::Group.reads("command"));
    }

    /// A valid value for every key of the tables.
    fn value(t: SectionType, key: &str, dir: &str) -> String {
        match (t, key) {
            (SectionType::Supervisorctl, "serverurl") => format!("unix://{dir}/s.sock"),
            (SectionType::Include, "files") => format!("{dir}/none-*.conf"),
            (SectionType::UnixHttpServer, "file") => format!("{dir}/s.sock"),
            (SectionType::InetHttpServer, "port") => "127.0.0.1:9001".into(),
            (SectionType::InetHttpServer, "tls_cert" | "tls_client_ca") => format!("{dir}/cert.pem"),
            (SectionType::InetHttpServer, "tls_key") => format!("{dir}/key.pem"),
            (SectionType::Group, "programs") => "grouped".into(),
            (SectionType::FcgiProgram, "socket") => format!("unix://{dir}/f.sock"),
            (_, "serverurl") => "AUTO".into(),
            (_, "logfile" | "stdout_logfile" | "stderr_logfile" | "pidfile" | "history_file" | "tls_ca") => {
                format!("{dir}/{key}")
            }
            (_, "directory" | "childlogdir") => dir.to_owned(),
            (_, "user" | "chown" | "socket_owner") => "root".into(),
            (_, "umask" | "chmod" | "socket_mode") => "0700".into(),
            (_, "loglevel") => "info".into(),
            (_, "environment") => "A=\"1\"".into(),
            (_, "environment_file") => format!("{dir}/app.env"),
            (_, "command") => "cat".into(),
            (_, "ready_check") => "tcp://127.0.0.1:5432".into(),
            (_, "startretries") => "unlimited".into(),
            (_, "logfile_format") => "%(levelname)s %(message)s".into(),
            (_, "childlog_format") => "%(program)s | %(message)s".into(),
            (_, k) if k.ends_with("_rotate") => "daily".into(),
            (_, k) if k.ends_with("_compress") => "gzip".into(),
            (_, k) if k.ends_with("_maxage") => "7d".into(),
            (_, "shutdown_on") => "fatal".into(),
            (_, "health_check") => "tcp://127.0.0.1:5432".into(),
            // Programs and the listener depend on the FCGI group, which
            // depends on nothing (no cycle).
            (SectionType::FcgiProgram, "depends_on") => String::new(),
            (_, "depends_on") => "f=running".into(),
            (_, "process_name") => "%(program_name)s_%(process_num)s".into(),
            (_, "numprocs") => "2".into(),
            (_, "autorestart") => "unexpected".into(),
            (_, "stopsignal") => "TERM".into(),
            (_, "exitcodes") => "0,2".into(),
            (_, "events") => "PROCESS_STATE".into(),
            (_, "result_handler") => crate::config::DEFAULT_RESULT_HANDLER.into(),
            (_, "redirect_stderr" | "stopasgroup" | "killasgroup" | "nodaemon" | "silent" | "nocleanup") => {
                "false".into()
            }
            (_, "autostart" | "strip_ansi" | "len_in_bytes" | "stdout_events_enabled" | "stderr_events_enabled") => {
                "true".into()
            }
            (_, "stdout_syslog" | "stderr_syslog" | "metrics" | "event_stream") => "true".into(),
            (_, "identifier" | "prompt" | "username" | "password") => "x".into(),
            (_, k) if k.ends_with("maxbytes") || k == "request_body_limit" => "1MB".into(),
            _ => "5".into(),
        }
    }

    #[test]
    fn every_listed_key_is_read_and_every_read_key_is_listed() {
        let dir = std::env::temp_dir().join(format!("keys-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
        std::fs::write(dir.join("cert.pem"), cert.cert.pem()).unwrap();
        std::fs::write(dir.join("key.pem"), cert.signing_key.serialize_pem()).unwrap();
        let d = dir.to_str().unwrap();
        let sections = [
            ("supervisord", SectionType::Supervisord),
            ("supervisorctl", SectionType::Supervisorctl),
            ("include", SectionType::Include),
            ("unix_http_server", SectionType::UnixHttpServer),
            ("inet_http_server", SectionType::InetHttpServer),
            ("program:grouped", SectionType::Program),
            ("program:alone", SectionType::Program),
            ("group:g", SectionType::Group),
            ("eventlistener:l", SectionType::EventListener),
            ("fcgi-program:f", SectionType::FcgiProgram),
        ];
        let mut text = String::new();
        for (name, t) in sections {
            text.push_str(&format!("[{name}]\n"));
            for key in t.keys().unwrap().iter().flat_map(|t| t.iter()).map(|k| k.name) {
                text.push_str(&format!("{key}={}\n", value(t, key, d)));
            }
        }
        text.push_str("[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory=");
        text.push_str(crate::config::MAIN_RPC_FACTORY);
        text.push_str("\nanything=1\n");
        let path = dir.join("all.conf");
        std::fs::write(&path, &text).unwrap();

        READ.with(|r| r.borrow_mut().clear());
        let opts = LoadOptions::default();
        let checked = Config::check_str_with(&text, &path, &opts);
        let config = checked.config.unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert!(checked.unknown_keys.is_empty(), "{:?}", checked.unknown_keys);
        assert_eq!(config.groups.len(), 4);
        CtlConfig::load_with(&path, &opts).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();

        let mut read: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (section, key) in READ.with(|r| r.borrow_mut().split_off(0)) {
            read.entry(section).or_default().insert(key);
        }
        for (name, t) in sections {
            let listed: BTreeSet<String> =
                t.keys().unwrap().iter().flat_map(|t| t.iter()).map(|k| k.name.to_owned()).collect();
            assert_eq!(read.remove(name).unwrap_or_default(), listed, "[{name}]");
        }
        assert_eq!(read.keys().collect::<Vec<_>>(), ["rpcinterface:supervisor"]);
    }

    #[test]
    fn unknown_keys_skip_defaults_plugins_and_unknown_sections() {
        let text = "[DEFAULT]\nshared=%(here)s/x\nautostart=true\n\
                    [supervisord]\nlogfil=/tmp/x.log\nshared=mine\n\
                    [program:x]\ncommand=cat\nautostrat=false\nzzz=1\n\
                    [rpcinterface:supervisor]\nsupervisor.rpcinterface_factory=supervisor.rpcinterface:make_main_rpcinterface\nretries=1\n\
                    [ctlplugin:x]\nsupervisor.ctl_factory=a:b\nwhatever=1\n\
                    [supervisorctl]\nserverurl=unix:///tmp/s.sock\nprompts=x\n\
                    [group:g]\nprograms=x\nprogram=y\n\
                    [inet_http_server:two]\nport=127.0.0.1:9999\nrequest_body_limt=1MB\n";
        let mut ini = Ini::default();
        assert!(ini.read_str(text, Path::new("/etc/s.conf")).is_empty());
        ini.expand_here("/etc");
        let found: Vec<String> = unknown_keys(&ini).iter().map(ToString::to_string).collect();
        assert_eq!(
            found,
            [
                "/etc/s.conf:5: [supervisord] logfil: unknown key, ignored (did you mean 'logfile'?)",
                "/etc/s.conf:9: [program:x] autostrat: unknown key, ignored (did you mean 'autostart'?)",
                "/etc/s.conf:10: [program:x] zzz: unknown key, ignored",
                "/etc/s.conf:19: [supervisorctl] prompts: unknown key, ignored (did you mean 'prompt'?)",
                "/etc/s.conf:22: [group:g] program: unknown key, ignored (did you mean 'programs'?)",
                "/etc/s.conf:25: [inet_http_server:two] request_body_limt: unknown key, ignored (did you mean 'request_body_limit'?)",
            ]
        );
    }
}
