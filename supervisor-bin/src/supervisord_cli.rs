//! `supervisord`'s command line: 4.3.0's options, with its usage and error
//! texts, plus `--check`.

use std::path::PathBuf;

use supervisor_core::config::values as dt;
use supervisor_core::config::{LogLevel, repr};

use crate::getopt::{GetoptError, getopt};

/// The usage text `-h` prints (`%s` is the program name).
pub const USAGE: &str = "supervisord -- run a set of applications as daemons.

Usage: %s [options]

Options:
-c/--configuration FILENAME -- configuration file path (searches if not given)
-n/--nodaemon -- run in the foreground (same as 'nodaemon=true' in config file)
-s/--silent -- no logs to stdout (maps to 'silent=true' in config file)
-h/--help -- print this usage message and exit
-v/--version -- print supervisord version number and exit
-u/--user USER -- run supervisord as this user (or numeric uid)
-m/--umask UMASK -- use this umask for daemon subprocess (default is 022)
-d/--directory DIRECTORY -- directory to chdir to when daemonized
-l/--logfile FILENAME -- use FILENAME as logfile path
-y/--logfile_maxbytes BYTES -- use BYTES to limit the max size of logfile
-z/--logfile_backups NUM -- number of backups to keep when max bytes reached
-e/--loglevel LEVEL -- use LEVEL as log level (debug,info,warn,error,critical)
-j/--pidfile FILENAME -- write a pid file for the daemon process to FILENAME
-i/--identifier STR -- identifier used for this instance of supervisord
-q/--childlogdir DIRECTORY -- the log directory for child process logs
-k/--nocleanup --  prevent the process from performing cleanup (removal of
                   old automatic child log files) at startup.
-a/--minfds NUM -- the minimum number of file descriptors for start success
-t/--strip_ansi -- strip ansi escape codes from process output
--minprocs NUM  -- the minimum number of processes available for start success
--profile_options OPTIONS -- run supervisord under profiler and output
                             results based on OPTIONS, which  is a comma-sep'd
                             list of 'cumulative', 'calls', and/or 'callers',
                             e.g. 'cumulative,callers')
--check -- read and validate the configuration, print every error, and exit
           (0 when it is valid, 2 when it is not); supervisord-rs addition
";

/// The short options, as getopt takes them.
pub const SHORT: &str = "hc:?vnu:m:d:l:y:z:e:j:i:q:a:kts";
/// The long options, as getopt takes them.
pub const LONG: &[&str] = &[
    "help",
    "configuration=",
    "version",
    "nodaemon",
    "user=",
    "umask=",
    "directory=",
    "logfile=",
    "logfile_maxbytes=",
    "logfile_backups=",
    "loglevel=",
    "pidfile=",
    "identifier=",
    "childlogdir=",
    "minfds=",
    "minprocs=",
    "nocleanup",
    "strip_ansi",
    "profile_options=",
    "silent",
    "check",
];

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// `-h`: print [`USAGE`].
    Help,
    /// `-v`: print the version.
    Version,
    /// `--check`: validate the configuration only.
    Check(ServerArgs),
    /// Run the daemon.
    Run(ServerArgs),
}

/// Settings given on the command line; each overrides the config file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServerArgs {
    /// `-c`.
    pub configuration: Option<PathBuf>,
    /// `-n`.
    pub nodaemon: bool,
    /// `-s`.
    pub silent: bool,
    /// `-u`.
    pub user: Option<String>,
    /// `-m`.
    pub umask: Option<u32>,
    /// `-d`.
    pub directory: Option<PathBuf>,
    /// `-l`.
    pub logfile: Option<PathBuf>,
    /// `-y`.
    pub logfile_maxbytes: Option<u64>,
    /// `-z`.
    pub logfile_backups: Option<i64>,
    /// `-e`.
    pub loglevel: Option<LogLevel>,
    /// `-j`.
    pub pidfile: Option<PathBuf>,
    /// `-i`.
    pub identifier: Option<String>,
    /// `-q`.
    pub childlogdir: Option<PathBuf>,
    /// `-k`.
    pub nocleanup: bool,
    /// `-a`.
    pub minfds: Option<i64>,
    /// `--minprocs`.
    pub minprocs: Option<i64>,
    /// `-t`.
    pub strip_ansi: bool,
    /// `--profile_options` (accepted for compatibility; there is no profiler).
    pub profile_options: Option<String>,
}

/// A command-line error; printed as `Error: ...` with exit status 2.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UsageError {
    /// Python getopt's complaint.
    #[error(transparent)]
    Getopt(#[from] GetoptError),
    /// Arguments after the options.
    #[error("positional arguments are not supported: [{}]", .0.iter().map(|a| repr(a)).collect::<Vec<_>>().join(", "))]
    Positional(Vec<String>),
    /// A value its option rejects.
    #[error("invalid value for {option} {}: {reason}", repr(.value))]
    InvalidValue {
        /// The option as typed.
        option: String,
        /// The value.
        value: String,
        /// Why.
        reason: String,
    },
    /// The same option twice.
    #[error("conflicting command line option {}", repr(.0))]
    Conflict(String),
}

/// Parses `supervisord`'s arguments (without the program name).
pub fn parse(args: &[String]) -> Result<Command, UsageError> {
    let (opts, rest) = getopt(args, SHORT, LONG)?;
    if !rest.is_empty() {
        return Err(UsageError::Positional(rest));
    }
    let mut a = ServerArgs::default();
    let mut check = false;
    let mut seen: Vec<&'static str> = Vec::new();
    let home = std::env::var("HOME").ok();
    let home = home.as_deref();
    for (opt, value) in &opts {
        let invalid = |reason: String| UsageError::InvalidValue { option: opt.clone(), value: value.clone(), reason };
        let name = canonical(opt);
        match name {
            "help" => return Ok(Command::Help),
            "version" => return Ok(Command::Version),
            "check" => {
                check = true;
                continue;
            }
            _ => {}
        }
        if seen.contains(&name) {
            return Err(UsageError::Conflict(opt.clone()));
        }
        seen.push(name);
        match name {
            "configuration" => a.configuration = Some(PathBuf::from(value)),
            "nodaemon" => a.nodaemon = true,
            "silent" => a.silent = true,
            "nocleanup" => a.nocleanup = true,
            "strip_ansi" => a.strip_ansi = true,
            "user" => a.user = Some(value.clone()),
            "umask" => a.umask = Some(dt::octal(value).map_err(|e| invalid(e.to_string()))?),
            "directory" => a.directory = Some(dt::existing_directory(value, home).map_err(|e| invalid(e.to_string()))?),
            "logfile" => a.logfile = Some(dt::existing_dirpath(value, home).map_err(|e| invalid(e.to_string()))?),
            "logfile_maxbytes" => a.logfile_maxbytes = Some(dt::byte_size(value).map_err(|e| invalid(e.to_string()))?),
            "logfile_backups" => a.logfile_backups = Some(dt::integer(value).map_err(|e| invalid(e.to_string()))?),
            "loglevel" => {
                a.loglevel = Some(
                    LogLevel::from_description(value)
                        .ok_or_else(|| invalid(format!("bad logging level name {}", repr(value))))?,
                )
            }
            "pidfile" => a.pidfile = Some(dt::existing_dirpath(value, home).map_err(|e| invalid(e.to_string()))?),
            "identifier" => a.identifier = Some(value.clone()),
            "childlogdir" => {
                a.childlogdir = Some(dt::existing_directory(value, home).map_err(|e| invalid(e.to_string()))?)
            }
            "minfds" => a.minfds = Some(dt::integer(value).map_err(|e| invalid(e.to_string()))?),
            "minprocs" => a.minprocs = Some(dt::integer(value).map_err(|e| invalid(e.to_string()))?),
            "profile_options" => a.profile_options = Some(value.clone()),
            _ => {}
        }
    }
    Ok(if check { Command::Check(a) } else { Command::Run(a) })
}

fn canonical(opt: &str) -> &'static str {
    match opt {
        "-h" | "-?" | "--help" => "help",
        "-v" | "--version" => "version",
        "-c" | "--configuration" => "configuration",
        "-n" | "--nodaemon" => "nodaemon",
        "-s" | "--silent" => "silent",
        "-u" | "--user" => "user",
        "-m" | "--umask" => "umask",
        "-d" | "--directory" => "directory",
        "-l" | "--logfile" => "logfile",
        "-y" | "--logfile_maxbytes" => "logfile_maxbytes",
        "-z" | "--logfile_backups" => "logfile_backups",
        "-e" | "--loglevel" => "loglevel",
        "-j" | "--pidfile" => "pidfile",
        "-i" | "--identifier" => "identifier",
        "-q" | "--childlogdir" => "childlogdir",
        "-k" | "--nocleanup" => "nocleanup",
        "-a" | "--minfds" => "minfds",
        "-t" | "--strip_ansi" => "strip_ansi",
        "--minprocs" => "minprocs",
        "--profile_options" => "profile_options",
        "--check" => "check",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn flags_and_values() {
        let Command::Run(a) = parse(&args(&["-n", "-c", "/x.conf", "--loglevel=debug", "-m", "077"])).unwrap() else {
            panic!("expected Run");
        };
        assert!(a.nodaemon);
        assert_eq!(a.configuration, Some(PathBuf::from("/x.conf")));
        assert_eq!(a.loglevel, Some(LogLevel::Debug));
        assert_eq!(a.umask, Some(0o77));
        assert!(matches!(parse(&args(&["--check", "-c", "f"])).unwrap(), Command::Check(_)));
        assert_eq!(parse(&args(&["-h"])).unwrap(), Command::Help);
    }

    #[test]
    fn errors_read_like_4_3_0() {
        assert_eq!(
            parse(&args(&["extra"])).unwrap_err().to_string(),
            "positional arguments are not supported: ['extra']"
        );
        assert_eq!(
            parse(&args(&["-e", "loud"])).unwrap_err().to_string(),
            "invalid value for -e 'loud': bad logging level name 'loud'"
        );
        assert_eq!(
            parse(&args(&["-n", "--nodaemon"])).unwrap_err().to_string(),
            "conflicting command line option '--nodaemon'"
        );
    }
}
