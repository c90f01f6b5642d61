//! Turning `command=` into a program path and argv, with 4.3.0's checks
//! and messages (`get_execv_args`, `check_execv_args`).

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::config::{ProcessConfig, repr};

/// Why a command cannot be run; the text is 4.3.0's spawnerr.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    /// Unbalanced quotes or a trailing backslash.
    #[error("can't parse command {}: {reason}", repr(.command))]
    Parse {
        /// The command.
        command: String,
        /// shlex's complaint.
        reason: &'static str,
    },
    /// Nothing to run.
    #[error("command is empty")]
    Empty,
    /// Not on disk or on PATH.
    #[error("can't find command {}", repr(.0))]
    NotFound(String),
    /// A directory.
    #[error("command at {} is a directory", repr(.0))]
    IsDirectory(String),
    /// No execute bit.
    #[error("command at {} is not executable", repr(.0))]
    NotExecutable(String),
    /// Execute bits, but not for us.
    #[error("no permission to run command {}", repr(.0))]
    NoPermission(String),
}

/// `command` split as POSIX shlex does, the program found on PATH.
pub fn resolve(config: &ProcessConfig, supervisord_path: Option<&str>) -> Result<(PathBuf, Vec<String>), CommandError> {
    let argv = shlex::split(&config.command).ok_or_else(|| CommandError::Parse {
        command: config.command.clone(),
        reason: if config.command.trim_end().ends_with('\\') { "No escaped character" } else { "No closing quotation" },
    })?;
    let program = argv.first().ok_or(CommandError::Empty)?;
    let filename = if program.contains('/') {
        PathBuf::from(program)
    } else {
        let path = config.environment.get("PATH").map(String::as_str).or(supervisord_path.filter(|p| !p.is_empty()));
        let dirs: Vec<&str> = match path {
            Some(p) => p.split(':').collect(),
            None => vec!["/bin", "/usr/bin", "/usr/local/bin"],
        };
        dirs.iter()
            .map(|d| Path::new(d).join(program))
            .find(|candidate| std::fs::metadata(candidate).is_ok())
            .unwrap_or_else(|| PathBuf::from(program))
    };
    check(&filename)?;
    Ok((filename, argv))
}

fn check(filename: &Path) -> Result<(), CommandError> {
    let shown = filename.to_string_lossy().into_owned();
    let meta = std::fs::metadata(filename).map_err(|_| CommandError::NotFound(shown.clone()))?;
    if meta.is_dir() {
        return Err(CommandError::IsDirectory(shown));
    }
    if meta.permissions().mode() & 0o111 == 0 {
        return Err(CommandError::NotExecutable(shown));
    }
    if nix::unistd::access(filename, nix::unistd::AccessFlags::X_OK).is_err() {
        return Err(CommandError::NoPermission(shown));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn config(command: &str, env: &str) -> ProcessConfig {
        let text = format!("[supervisord]\n[program:p]\ncommand={command}\n{env}\n");
        (*Config::from_str(&text, "/tmp/t.conf").expect("config").groups[0].processes[0]).clone()
    }

    #[test]
    fn finds_programs_and_words_failures_like_4_3_0() {
        let (path, argv) = resolve(&config("sh -c 'echo \"a b\"'", ""), Some("/usr/bin:/bin")).expect("sh");
        assert!(path.ends_with("sh"));
        assert_eq!(argv, ["sh", "-c", "echo \"a b\""]);
        assert_eq!(
            resolve(&config("no-such-program-x", ""), Some("/bin")).unwrap_err().to_string(),
            "can't find command 'no-such-program-x'"
        );
        assert_eq!(resolve(&config("/tmp", ""), None).unwrap_err().to_string(), "command at '/tmp' is a directory");
        let dir = tempfile::tempdir().expect("tempdir");
        let plain = dir.path().join("plain");
        std::fs::write(&plain, "x").expect("write");
        std::fs::set_permissions(&plain, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let shown = plain.display().to_string();
        assert_eq!(
            resolve(&config(&shown, ""), None).unwrap_err().to_string(),
            format!("command at '{shown}' is not executable")
        );
        assert_eq!(
            resolve(&config("echo 'open", ""), None).unwrap_err().to_string(),
            "can't parse command \"echo 'open\": No closing quotation"
        );
    }

    #[test]
    fn the_programs_own_path_comes_first() {
        let dir = tempfile::tempdir().expect("tempdir");
        let tool = dir.path().join("mytool");
        std::fs::write(&tool, "#!/bin/sh\n").expect("write");
        std::fs::set_permissions(&tool, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        let env = format!("environment=PATH=\"{}\"", dir.path().display());
        let (path, _) = resolve(&config("mytool", &env), Some("/usr/bin:/bin")).expect("found");
        assert_eq!(path, tool);
    }
}
