//! Raising RLIMIT_NOFILE and RLIMIT_NPROC to `minfds`/`minprocs` at
//! startup, or refusing to start with 4.3.0's message.

use nix::sys::resource::{Resource, getrlimit, setrlimit};

const RLIM_INFINITY: u64 = libc::RLIM_INFINITY;

/// The limit could not be raised: 4.3.0's usage message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct LimitError(pub String);

fn fds_message(min: u64, hard: u64) -> String {
    format!(
        "The minimum number of file descriptors required to run this process is {min} as per the \"minfds\" \
         command-line argument or config file setting. The current environment will only allow you to open \
         {hard} file descriptors.  Either raise the number of usable file descriptors in your environment (see \
         README.rst) or lower the minfds setting in the config file to allow the process to start."
    )
}

fn procs_message(min: u64, hard: u64) -> String {
    format!(
        "The minimum number of available processes required to run this program is {min} as per the \
         \"minprocs\" command-line argument or config file setting. The current environment will only allow you \
         to open {hard} processes.  Either raise the number of usable processes in your environment (see \
         README.rst) or lower the minprocs setting in the config file to allow the program to start."
    )
}

/// A resource, its name, the minimum wanted and the refusal message.
type Limit = (Resource, &'static str, u64, fn(u64, u64) -> String);

/// Raises each soft limit below its minimum (and the hard limit with it,
/// which only root may). Returns the INFO lines to log
/// (`Increased RLIMIT_NOFILE limit to 4096`).
pub fn raise_limits(minfds: u64, minprocs: u64) -> Result<Vec<String>, LimitError> {
    let mut infos = Vec::new();
    let limits: [Limit; 2] = [
        (Resource::RLIMIT_NOFILE, "RLIMIT_NOFILE", minfds, fds_message),
        (Resource::RLIMIT_NPROC, "RLIMIT_NPROC", minprocs, procs_message),
    ];
    for (resource, name, min, message) in limits {
        let Ok((soft, hard)) = getrlimit(resource) else { continue };
        if soft == RLIM_INFINITY || soft >= min {
            continue;
        }
        let new_hard = if hard != RLIM_INFINITY && hard < min { min } else { hard };
        match setrlimit(resource, min, new_hard) {
            Ok(()) => infos.push(format!("Increased {name} limit to {min}")),
            Err(_) => return Err(LimitError(message(min, hard))),
        }
    }
    Ok(infos)
}
