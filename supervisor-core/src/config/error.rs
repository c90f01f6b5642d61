//! Config errors: each names the file, the line, the section and the key.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::datatypes::ValueError;
use super::expand::ExpandError;
use super::ini::{IniError, Origin};
use crate::pytext::repr;

/// Where in the configuration a problem is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Location {
    /// The file.
    pub file: Option<Arc<Path>>,
    /// The 1-based line.
    pub line: Option<usize>,
    /// The section name, without brackets.
    pub section: Option<String>,
    /// The key.
    pub key: Option<String>,
}

impl Location {
    /// A line of a file.
    pub fn at(origin: &Origin) -> Location {
        Location { file: Some(origin.file.clone()), line: Some(origin.line), ..Location::default() }
    }

    /// A whole file.
    pub fn file(path: &Path) -> Location {
        Location { file: Some(Arc::from(path)), ..Location::default() }
    }

    /// The same place, in `section`.
    pub fn in_section(mut self, section: &str) -> Location {
        self.section = Some(section.to_owned());
        self
    }

    /// The same place, at `key`.
    pub fn with_key(mut self, key: &str) -> Location {
        self.key = Some(key.to_owned());
        self
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if let Some(file) = &self.file {
            parts.push(match self.line {
                Some(line) => format!("{}:{line}", file.display()),
                None => file.display().to_string(),
            });
        }
        match (&self.section, &self.key) {
            (Some(s), Some(k)) => parts.push(format!("[{s}] {k}")),
            (Some(s), None) => parts.push(format!("[{s}]")),
            (None, Some(k)) => parts.push(k.clone()),
            (None, None) => {}
        }
        f.write_str(&parts.join(": "))
    }
}

/// What is wrong.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// No file at the path given.
    #[error("could not find config file {}", .0.display())]
    NotFound(PathBuf),
    /// The file exists but could not be read.
    #[error("could not read config file {}: {source}", .path.display())]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: Arc<std::io::Error>,
    },
    /// No `-c` and no file in any default place.
    #[error(
        "No config file found at default paths ({}); use the -c option to specify a config file at a different path",
        .0.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
    )]
    NoConfigFound(Vec<PathBuf>),
    /// A line the INI reader rejected.
    #[error(transparent)]
    Ini(#[from] IniError),
    /// A value of the wrong type.
    #[error(transparent)]
    Value(#[from] ValueError),
    /// A `%(name)s` expansion failed.
    #[error(transparent)]
    Expand(#[from] ExpandError),
    /// A required section is absent.
    #[error(".ini file does not include {0} section")]
    MissingSection(&'static str),
    /// A section whose type this program does not know.
    #[error(
        "unknown section type (expected supervisord, supervisorctl, unix_http_server, inet_http_server, \
         program:x, group:x, eventlistener:x, fcgi-program:x, include, rpcinterface:x or ctlplugin:x)"
    )]
    UnknownSection,
    /// A required key is absent.
    #[error("this section requires a {0:?} line")]
    MissingKey(&'static str),
    /// numprocs > 1 with a process_name that would repeat.
    #[error("%(process_num) must be present within process_name when numprocs > 1")]
    ProcessNumRequired,
    /// `stopasgroup=true` with `killasgroup=false`.
    #[error("Cannot set stopasgroup=true and killasgroup=false")]
    StopAsGroupWithoutKillAsGroup,
    /// A `[group:x]` program that is defined nowhere.
    #[error("names unknown program or fcgi-program {}", repr(.0))]
    UnknownProgram(String),
    /// A `[group:x]` program defined both as program and fcgi-program.
    #[error("name {} is ambiguous (exists as program and fcgi-program)", repr(.0))]
    AmbiguousProgram(String),
    /// Two groups with one name.
    #[error("a process group named {} is already defined by [{}]", repr(.name), .other)]
    DuplicateGroup {
        /// The group name.
        name: String,
        /// The section that defined it first.
        other: String,
    },
    /// An `events=` name that is not an event type.
    #[error("Unknown event type {0}")]
    UnknownEvent(String),
    /// `redirect_stderr=true` in a listener.
    #[error("redirect_stderr=true is not allowed because it will interfere with the eventlistener protocol")]
    ListenerRedirectsStderr,
    /// `buffer_size` below 1.
    #[error("invalid buffer_size ({0})")]
    BufferSize(i64),
    /// A factory or result handler this build does not provide.
    #[error("{0} cannot be resolved")]
    Unresolvable(String),
    /// `socket_backlog` outside 1..=65535.
    #[error("Invalid socket_backlog value {0}")]
    SocketBacklog(i64),
    /// `socket_owner` that names no user or group.
    #[error("Invalid socket_owner value {0}")]
    SocketOwner(String),
    /// `socket_mode` that is not octal.
    #[error("Invalid socket_mode value {0}")]
    SocketMode(String),
    /// A relative `unix://` path.
    #[error("Unix socket path {0} is not an absolute path")]
    SocketNotAbsolute(String),
    /// `socket_owner`/`socket_mode` with a TCP socket.
    #[error("socket_owner and socket_mode params should only be used with a Unix domain socket")]
    SocketOptionsNeedUnix,
    /// Neither `unix://` nor `tcp://host:port`.
    #[error("Bad socket format {0}")]
    SocketFormat(String),
    /// Only one of username and password.
    #[error(
        "incomplete authentication: If a username or a password is specified, both the username and password must be specified"
    )]
    IncompleteAuthentication,
    /// `chown` that names no user or group.
    #[error("Invalid sockchown value {0}")]
    Chown(String),
    /// `chmod` that is not octal.
    #[error("Invalid chmod value {0}")]
    Chmod(String),
    /// A TLS file that cannot be used (`tls_cert`, `tls_key`, `tls_client_ca`).
    #[error("{0}")]
    Tls(super::TlsFileError),
    /// A key that needs another key of the section (`tls_key` without
    /// `tls_cert`...).
    #[error("{key} requires {needs} in the same section")]
    Requires {
        /// The key given.
        key: &'static str,
        /// The key missing.
        needs: &'static str,
    },
    /// A `depends_on` name that is no group, program or process.
    #[error("names unknown program, group or process {}", repr(.0))]
    UnknownDependency(String),
    /// Programs that depend on each other in a circle.
    #[error("dependency cycle: {}", .0.join(" -> "))]
    DependencyCycle(Vec<String>),
    /// A key no section of its type has: an error in a configuration built
    /// in code (a file's is only warned of, as 4.3.0 ignores it).
    #[error("unknown key{}", .0.map(|s| format!(" (did you mean '{s}'?)")).unwrap_or_default())]
    UnknownKey(Option<&'static str>),
}

/// One problem, and where it is.
#[derive(Debug, Clone, thiserror::Error)]
pub struct ConfigError {
    /// Where.
    pub location: Location,
    /// What.
    #[source]
    pub kind: ErrorKind,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let location = self.location.to_string();
        if location.is_empty() { write!(f, "{}", self.kind) } else { write!(f, "{location}: {}", self.kind) }
    }
}

impl ConfigError {
    /// An error at a place.
    pub fn new(location: Location, kind: impl Into<ErrorKind>) -> ConfigError {
        ConfigError { location, kind: kind.into() }
    }
}

/// Every problem found in one configuration, in file order.
#[derive(Debug, Clone)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl ConfigErrors {
    /// The problems.
    pub fn errors(&self) -> &[ConfigError] {
        &self.0
    }
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

impl From<ConfigError> for ConfigErrors {
    fn from(e: ConfigError) -> Self {
        ConfigErrors(vec![e])
    }
}
