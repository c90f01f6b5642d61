//! The value types of 4.3.0's config (`supervisor/datatypes.py`): each parser
//! accepts what 4.3.0 accepts and fails with 4.3.0's message.

use std::path::{Path, PathBuf};

use nix::unistd::{Gid, Group, Uid, User};

use crate::pytext::{self, repr};
use crate::signals::{Signal, SignalError};

/// Why one value was rejected. The texts are 4.3.0's `ValueError` texts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    /// `int()` failed.
    #[error("invalid literal for int() with base 10: {}", repr(.0))]
    Integer(String),
    /// A number below the least that makes sense for the key.
    #[error("{value} is below the minimum of {min}")]
    TooSmall {
        /// The value read.
        value: i64,
        /// The least allowed.
        min: i64,
    },
    /// Not one of the boolean spellings.
    #[error("not a valid boolean value: {}", repr(.0))]
    Boolean(String),
    /// Not an octal number.
    #[error("{0} can not be converted to an octal type")]
    Octal(String),
    /// Not a signal.
    #[error(transparent)]
    Signal(#[from] SignalError),
    /// Not a list of exit codes in 0..=255.
    #[error("not a valid list of exit codes: {}", repr(.0))]
    ExitCodes(String),
    /// Not `true`, `false` or `unexpected`.
    #[error("invalid 'autorestart' value {}", repr(.0))]
    AutoRestart(String),
    /// Not a log level name.
    #[error("bad logging level name {}", repr(.0))]
    LogLevel(String),
    /// A process or group name with a forbidden character.
    #[error("Invalid name: {} because of character: {}", repr(.name), repr(&.character.to_string()))]
    Name {
        /// The name.
        name: String,
        /// The first forbidden character in it.
        character: char,
    },
    /// An empty process or group name.
    #[error("Invalid name: '' (a name cannot be empty)")]
    EmptyName,
    /// An unknown user name.
    #[error("Invalid user name {0}")]
    UserName(String),
    /// An unknown user id.
    #[error("Invalid user id {0}")]
    UserId(String),
    /// An unknown group name or id in `user:group`.
    #[error("Invalid user:group definition {0}")]
    UserGroup(String),
    /// Not an existing directory.
    #[error("{0} is not an existing directory")]
    NotADirectory(String),
    /// A file path whose directory does not exist.
    #[error("The directory named as part of the path {0} does not exist")]
    MissingParentDirectory(String),
    /// A malformed `KEY=val` list.
    #[error("Unexpected end of key/value pairs in value '{0}'")]
    KeyValuePairs(String),
    /// An unterminated quote in a `KEY=val` list.
    #[error("No closing quotation")]
    NoClosingQuotation,
    /// A port outside 1..=65535.
    #[error("{} is {} bound ({})", .value, if *.value < 1 { "below lower" } else { "above upper" }, if *.value < 1 { 1 } else { 65535 })]
    PortRange {
        /// The port read.
        value: i64,
    },
    /// A port that is not a number.
    #[error("not a valid port number: {} ", repr(.0))]
    Port(String),
    /// `host:` with no port.
    #[error("no port number specified in {}", repr(.0))]
    NoPort(String),
    /// Not a URL.
    #[error("value {} is not a URL", repr(.0))]
    Url(String),
    /// A `depends_on` condition that is not one.
    #[error("unknown condition {} (expected running, started, exited or succeeded)", repr(.0))]
    Condition(String),
    /// A `ready_check` that is not one of its forms.
    #[error(
        "not a ready check: {} (expected tcp://HOST:PORT, http://HOST:PORT/PATH, https://HOST:PORT/PATH, \
         exec:COMMAND, log:REGEX or notify)",
        repr(.0)
    )]
    ReadyCheck(String),
    /// A `log:` pattern that does not compile.
    #[error("bad regular expression {}: {reason}", repr(.pattern))]
    Regex {
        /// The pattern.
        pattern: String,
        /// Why it does not compile.
        reason: String,
    },
    /// A `health_check` in a form only `ready_check` has (`log:`).
    #[error("not a health check: {} (expected tcp://HOST:PORT, http://HOST:PORT/PATH, exec:COMMAND or notify)", repr(.0))]
    HealthCheck(String),
    /// Not `fatal`, `unexpected` or `exit`.
    #[error("invalid 'shutdown_on' value {} (expected fatal, unexpected or exit)", repr(.0))]
    ShutdownOn(String),
    /// A number of seconds that is not one, or not above 0.
    #[error("not a number of seconds of at least 0.001: {}", repr(.0))]
    Seconds(String),
    /// A `logfile_format` or `childlog_format` that is not one.
    #[error("invalid log format {}: {reason}", repr(.value))]
    LogFormat {
        /// The value read.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Not `size`, `hourly`, `daily` or `weekly`.
    #[error("invalid rotation {} (expected size, hourly, daily or weekly)", repr(.0))]
    Rotation(String),
    /// Not `gzip` or `none`.
    #[error("invalid compression {} (expected gzip or none)", repr(.0))]
    Compression(String),
    /// Not a number above 0 with a unit.
    #[error("invalid age {} (expected a whole number above 0 with a unit: 90s, 30m, 12h, 7d or 2w)", repr(.0))]
    MaxAge(String),
}

/// `integer()`: a Python `int()`.
pub fn integer(s: &str) -> Result<i64, ValueError> {
    pytext::parse_int(s).ok_or_else(|| ValueError::Integer(s.to_owned()))
}

/// An integer that must be at least `min` (4.3.0 accepts any int; a negative
/// count or duration only ever meant a typo).
pub fn integer_at_least(s: &str, min: i64) -> Result<i64, ValueError> {
    let value = integer(s)?;
    if value < min {
        return Err(ValueError::TooSmall { value, min });
    }
    Ok(value)
}

/// A count of files or retries (`startretries`, `logfile_backups`): a
/// non-negative integer that fits a `u32`.
pub(crate) fn count(v: &str) -> Result<u32, ValueError> {
    let n = integer_at_least(v, 0)?;
    u32::try_from(n).map_err(|_| ValueError::Integer(v.to_owned()))
}

/// `boolean()`: `yes/true/on/1` or `no/false/off/0`, any case, no spaces.
pub fn boolean(s: &str) -> Result<bool, ValueError> {
    match s.to_lowercase().as_str() {
        "yes" | "true" | "on" | "1" => Ok(true),
        "no" | "false" | "off" | "0" => Ok(false),
        _ => Err(ValueError::Boolean(s.to_owned())),
    }
}

/// `byte_size()`: an integer with an optional `KB`/`MB`/`GB` suffix, 1024-based.
pub fn byte_size(s: &str) -> Result<u64, ValueError> {
    let lower = s.to_lowercase();
    let (number, multiplier) = match lower.char_indices().rev().nth(1) {
        Some((at, _)) => match &lower[at..] {
            "kb" => (&lower[..at], 1u64 << 10),
            "mb" => (&lower[..at], 1 << 20),
            "gb" => (&lower[..at], 1 << 30),
            _ => (lower.as_str(), 1),
        },
        None => (lower.as_str(), 1),
    };
    let n = pytext::parse_int(number).ok_or_else(|| ValueError::Integer(number.to_owned()))?;
    let n = u64::try_from(n).map_err(|_| ValueError::TooSmall { value: n, min: 0 })?;
    n.checked_mul(multiplier).ok_or_else(|| ValueError::Integer(s.to_owned()))
}

/// `octal_type()`: `022`, `0o22`.
pub fn octal(s: &str) -> Result<u32, ValueError> {
    pytext::parse_octal(s).and_then(|n| u32::try_from(n).ok()).ok_or_else(|| ValueError::Octal(s.to_owned()))
}

/// `signal_number()`.
pub fn signal(s: &str) -> Result<Signal, ValueError> {
    Ok(s.parse()?)
}

/// `list_of_exitcodes()`: comma-separated integers in 0..=255; empty is none.
pub fn exit_codes(s: &str) -> Result<Vec<u8>, ValueError> {
    if s.is_empty() {
        return Ok(Vec::new());
    }
    s.split(',')
        .map(|part| pytext::parse_int(part).and_then(|n| u8::try_from(n).ok()))
        .collect::<Option<Vec<u8>>>()
        .ok_or_else(|| ValueError::ExitCodes(s.to_owned()))
}

/// `list_of_strings()`: comma-separated, each stripped; empty is none.
pub fn list_of_strings(s: &str) -> Vec<String> {
    if s.is_empty() {
        return Vec::new();
    }
    s.split(',').map(|x| pytext::strip(x).to_owned()).collect()
}

/// `process_or_group_name()`: stripped; no space, `:` or `/`.
pub fn process_or_group_name(s: &str) -> Result<String, ValueError> {
    let name = pytext::strip(s);
    if let Some(character) = name.chars().find(|c| matches!(c, ' ' | ':' | '/')) {
        return Err(ValueError::Name { name: s.to_owned(), character });
    }
    if name.is_empty() {
        return Err(ValueError::EmptyName);
    }
    Ok(name.to_owned())
}

/// `name_to_uid()`: a user name or a numeric uid that exists.
pub fn name_to_uid(s: &str) -> Result<u32, ValueError> {
    match pytext::parse_int(s) {
        Some(n) => {
            let uid = u32::try_from(n).map_err(|_| ValueError::UserId(s.to_owned()))?;
            match User::from_uid(Uid::from_raw(uid)) {
                Ok(Some(_)) => Ok(uid),
                _ => Err(ValueError::UserId(s.to_owned())),
            }
        }
        None => match User::from_name(s) {
            Ok(Some(user)) => Ok(user.uid.as_raw()),
            _ => Err(ValueError::UserName(s.to_owned())),
        },
    }
}

fn name_to_gid(s: &str) -> Option<u32> {
    match pytext::parse_int(s) {
        Some(n) => {
            let gid = u32::try_from(n).ok()?;
            Group::from_gid(Gid::from_raw(gid)).ok()?.map(|_| gid)
        }
        None => Group::from_name(s).ok()?.map(|g| g.gid.as_raw()),
    }
}

/// `colon_separated_user_group()`: `user` or `user:group`; the group is `None`
/// when not given (4.3.0's -1).
pub fn user_and_group(s: &str) -> Result<(u32, Option<u32>), ValueError> {
    let bad = || ValueError::UserGroup(s.to_owned());
    match s.split_once(':') {
        None => Ok((name_to_uid(s).map_err(|_| bad())?, None)),
        Some((user, group)) => {
            let uid = name_to_uid(user).map_err(|_| bad())?;
            let gid = name_to_gid(group).ok_or_else(bad)?;
            Ok((uid, Some(gid)))
        }
    }
}

/// `os.path.expanduser()`: a leading `~` or `~user`.
pub fn expand_user(s: &str, home: Option<&str>) -> String {
    let Some(rest) = s.strip_prefix('~') else {
        return s.to_owned();
    };
    let (user, tail) = match rest.find('/') {
        Some(at) => (&rest[..at], &rest[at..]),
        None => (rest, ""),
    };
    let dir = if user.is_empty() {
        match home {
            Some(h) => Some(h.to_owned()),
            None => User::from_uid(Uid::current()).ok().flatten().map(|u| u.dir.to_string_lossy().into_owned()),
        }
    } else {
        User::from_name(user).ok().flatten().map(|u| u.dir.to_string_lossy().into_owned())
    };
    match dir {
        Some(dir) => {
            let dir = if tail.is_empty() { dir } else { dir.trim_end_matches('/').to_owned() };
            let joined = format!("{dir}{tail}");
            if joined.is_empty() { "/".to_owned() } else { joined }
        }
        None => s.to_owned(),
    }
}

/// `os.path.abspath()`: absolute against the current directory, with `.`,
/// `..` and repeated `/` removed lexically.
pub fn abspath(path: &Path) -> PathBuf {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut parts: Vec<&std::ffi::OsStr> = Vec::new();
    for component in absolute.components() {
        match component {
            std::path::Component::Normal(p) => parts.push(p),
            std::path::Component::ParentDir => {
                parts.pop();
            }
            _ => {}
        }
    }
    let mut out = PathBuf::from("/");
    out.extend(parts);
    out
}

/// `normalize_path()`: `~` expanded, then [`abspath`].
pub fn normalize_path(s: &str, home: Option<&str>) -> PathBuf {
    abspath(Path::new(&expand_user(s, home)))
}

/// `existing_directory()`.
pub fn existing_directory(s: &str, home: Option<&str>) -> Result<PathBuf, ValueError> {
    let path = PathBuf::from(expand_user(s, home));
    if path.is_dir() { Ok(path) } else { Err(ValueError::NotADirectory(s.to_owned())) }
}

/// `existing_dirpath()`: a file path whose directory exists (or has none).
pub fn existing_dirpath(s: &str, home: Option<&str>) -> Result<PathBuf, ValueError> {
    let path = PathBuf::from(expand_user(s, home));
    match path.parent() {
        Some(dir) if dir != Path::new("") && !dir.is_dir() => Err(ValueError::MissingParentDirectory(s.to_owned())),
        _ => Ok(path),
    }
}

/// `inet_address()`: `port`, `host:port`, `*:port` or `:port`. The host comes
/// back lower-cased, empty for "all interfaces".
pub fn inet_address(s: &str) -> Result<(String, u16), ValueError> {
    let (host, port) = match s.rsplit_once(':') {
        Some((host, port)) => {
            if port.is_empty() {
                // 4.3.0 quotes the empty port here; the whole value helps more.
                return Err(ValueError::NoPort(s.to_owned()));
            }
            (host.to_lowercase(), port_number(port)?)
        }
        None => (String::new(), port_number(s).map_err(|_| ValueError::Port(s.to_owned()))?),
    };
    let host = if host == "*" { String::new() } else { host };
    Ok((host, port))
}

fn port_number(s: &str) -> Result<u16, ValueError> {
    let value = integer(s)?;
    u16::try_from(value).ok().filter(|p| *p != 0).ok_or(ValueError::PortRange { value })
}

/// `url()`: a scheme and a location, as supervisorctl's `serverurl` needs.
pub fn url(s: &str) -> Result<String, ValueError> {
    match s.split_once(':') {
        Some((scheme, rest))
            if !scheme.is_empty()
                && scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
                && !rest.is_empty() =>
        {
            Ok(s.to_owned())
        }
        _ => Err(ValueError::Url(s.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_sizes_are_1024_based() {
        assert_eq!(byte_size("50MB"), Ok(52_428_800));
        assert_eq!(byte_size("1kb"), Ok(1024));
        assert_eq!(byte_size("1GB"), Ok(1 << 30));
        assert_eq!(byte_size("50 MB"), Ok(52_428_800));
        assert_eq!(byte_size("0"), Ok(0));
        assert_eq!(byte_size("7"), Ok(7));
        assert_eq!(byte_size("1.5MB").unwrap_err().to_string(), "invalid literal for int() with base 10: '1.5'");
        assert!(byte_size("10TB").is_err());
        assert!(byte_size("-1MB").is_err());
    }

    #[test]
    fn booleans_in_every_spelling() {
        for t in ["yes", "TRUE", "On", "1"] {
            assert_eq!(boolean(t), Ok(true));
        }
        for f in ["no", "False", "OFF", "0"] {
            assert_eq!(boolean(f), Ok(false));
        }
        assert_eq!(boolean("maybe").unwrap_err().to_string(), "not a valid boolean value: 'maybe'");
        assert!(boolean(" true").is_err());
    }

    #[test]
    fn exit_codes_and_names() {
        assert_eq!(exit_codes("0,2"), Ok(vec![0, 2]));
        assert_eq!(exit_codes("0, 2"), Ok(vec![0, 2]));
        assert_eq!(exit_codes(""), Ok(vec![]));
        assert_eq!(exit_codes("256").unwrap_err().to_string(), "not a valid list of exit codes: '256'");
        assert!(exit_codes("0,,1").is_err());
        assert_eq!(process_or_group_name(" web "), Ok("web".to_owned()));
        assert_eq!(
            process_or_group_name("a b").unwrap_err().to_string(),
            "Invalid name: 'a b' because of character: ' '"
        );
    }

    #[test]
    fn octal_and_ports() {
        assert_eq!(octal("022"), Ok(0o22));
        assert_eq!(octal("9").unwrap_err().to_string(), "9 can not be converted to an octal type");
        assert_eq!(inet_address("9001"), Ok((String::new(), 9001)));
        assert_eq!(inet_address("*:9001"), Ok((String::new(), 9001)));
        assert_eq!(inet_address("LocalHost:80"), Ok(("localhost".to_owned(), 80)));
        assert_eq!(inet_address(":80"), Ok((String::new(), 80)));
        assert_eq!(inet_address("0").unwrap_err().to_string(), "not a valid port number: '0' ");
        assert_eq!(inet_address("h:70000").unwrap_err().to_string(), "70000 is above upper bound (65535)");
    }

    #[test]
    fn users_resolve() {
        assert_eq!(name_to_uid("root"), Ok(0));
        assert_eq!(name_to_uid("0"), Ok(0));
        assert_eq!(name_to_uid("no-such-user-x").unwrap_err().to_string(), "Invalid user name no-such-user-x");
        assert_eq!(user_and_group("root:root"), Ok((0, Some(0))));
        assert_eq!(user_and_group("root"), Ok((0, None)));
    }

    #[test]
    fn normalize_path_is_lexical() {
        assert_eq!(normalize_path("/a/./b/../c//d/", None), PathBuf::from("/a/c/d"));
        assert_eq!(normalize_path("/..", None), PathBuf::from("/"));
        assert!(normalize_path("rel", None).is_absolute());
    }

    #[test]
    fn expand_user_uses_home() {
        assert_eq!(expand_user("~/x", Some("/home/u")), "/home/u/x");
        assert_eq!(expand_user("~", Some("/home/u")), "/home/u");
        assert_eq!(expand_user("/abs", Some("/home/u")), "/abs");
        assert_eq!(expand_user("~root/y", None), "/root/y");
    }
}
