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

const SUPERVISORD: &[&str] = &[
    "minfds",
    "minprocs",
    "directory",
    "user",
    "umask",
    "logfile",
    "logfile_maxbytes",
    "logfile_backups",
    "loglevel",
    "pidfile",
    "identifier",
    "nodaemon",
    "silent",
    "childlogdir",
    "nocleanup",
    "strip_ansi",
    "environment",
];

const SUPERVISORCTL: &[&str] = &["serverurl", "prompt", "username", "password", "history_file"];

const INCLUDE: &[&str] = &["files"];

/// Ours, in both kinds of HTTP server (4.3.0 ignores them).
const HTTP_LIMITS: &[&str] = &["request_body_limit", "request_header_timeout"];

const UNIX_HTTP_SERVER: &[&str] = &["file", "chmod", "chown", "username", "password"];

const INET_HTTP_SERVER: &[&str] = &["port", "username", "password"];

/// Every process section's keys (`programs.rs`).
const PROCESS: &[&str] = &[
    "command",
    "process_name",
    "numprocs",
    "numprocs_start",
    "priority",
    "autostart",
    "autorestart",
    "startsecs",
    "startretries",
    "stopsignal",
    "stopwaitsecs",
    "stopasgroup",
    "killasgroup",
    "exitcodes",
    "redirect_stderr",
    "environment",
    "directory",
    "umask",
    "user",
    "serverurl",
    "stdout_logfile",
    "stdout_logfile_maxbytes",
    "stdout_logfile_backups",
    "stdout_capture_maxbytes",
    "stdout_events_enabled",
    "stdout_syslog",
    "stderr_logfile",
    "stderr_logfile_maxbytes",
    "stderr_logfile_backups",
    "stderr_capture_maxbytes",
    "stderr_events_enabled",
    "stderr_syslog",
];

const GROUP: &[&str] = &["programs", "priority"];

/// `[eventlistener:x]`'s own keys (`groups.rs`).
const LISTENER: &[&str] = &["events", "buffer_size", "result_handler", "len_in_bytes"];

/// `[fcgi-program:x]`'s own keys (`groups.rs`).
const FCGI: &[&str] = &["socket", "socket_backlog", "socket_owner", "socket_mode"];

impl SectionType {
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
    pub(crate) fn keys(self) -> Option<&'static [&'static [&'static str]]> {
        Some(match self {
            SectionType::Supervisord => &[SUPERVISORD],
            SectionType::Supervisorctl => &[SUPERVISORCTL],
            SectionType::Include => &[INCLUDE],
            SectionType::UnixHttpServer => &[UNIX_HTTP_SERVER, HTTP_LIMITS],
            SectionType::InetHttpServer => &[INET_HTTP_SERVER, HTTP_LIMITS],
            SectionType::Program => &[PROCESS],
            SectionType::Group => &[GROUP],
            SectionType::EventListener => &[PROCESS, LISTENER],
            SectionType::FcgiProgram => &[PROCESS, FCGI],
            SectionType::RpcInterface | SectionType::CtlPlugin => return None,
        })
    }

    /// Whether its reader reads `key` (any key, for plugin sections).
    pub(crate) fn reads(self, key: &str) -> bool {
        self.keys().is_none_or(|tables| tables.iter().any(|t| t.contains(&key)))
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
            if tables.iter().any(|t| t.contains(&key)) || defaults.is_some_and(|d| d.get(key).is_some()) {
                continue;
            }
            unknown.push(UnknownKey {
                location: Location::at(&entry.origin).in_section(&section.name).with_key(key),
                suggestion: nearest(key, tables.iter().flat_map(|t| t.iter().copied())),
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
        let process = || PROCESS.iter().copied();
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
            (SectionType::Group, "programs") => "grouped".into(),
            (SectionType::FcgiProgram, "socket") => format!("unix://{dir}/f.sock"),
            (_, "serverurl") => "AUTO".into(),
            (_, "logfile" | "stdout_logfile" | "stderr_logfile" | "pidfile" | "history_file") => {
                format!("{dir}/{key}")
            }
            (_, "directory" | "childlogdir") => dir.to_owned(),
            (_, "user" | "chown" | "socket_owner") => "root".into(),
            (_, "umask" | "chmod" | "socket_mode") => "0700".into(),
            (_, "loglevel") => "info".into(),
            (_, "environment") => "A=\"1\"".into(),
            (_, "command") => "cat".into(),
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
            (_, "stdout_syslog" | "stderr_syslog") => "true".into(),
            (_, "identifier" | "prompt" | "username" | "password") => "x".into(),
            (_, k) if k.ends_with("maxbytes") || k == "request_body_limit" => "1MB".into(),
            _ => "5".into(),
        }
    }

    #[test]
    fn every_listed_key_is_read_and_every_read_key_is_listed() {
        let dir = std::env::temp_dir().join(format!("keys-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
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
            for key in t.keys().unwrap().iter().flat_map(|t| t.iter()) {
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
                t.keys().unwrap().iter().flat_map(|t| t.iter()).map(|k| (*k).to_owned()).collect();
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
