//! Starting a child as 4.3.0 does: its own process group, stdin/stdout/stderr
//! pipes, inherited descriptors closed, supplementary groups and uid
//! dropped, environment, directory, umask, exec. Everything the child needs
//! is computed before fork; between fork and exec it makes only
//! async-signal-safe calls.

use std::ffi::{CString, OsString};
use std::os::fd::OwnedFd;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};

use nix::fcntl::OFlag;
use nix::unistd::{Gid, Uid, User};

use super::command::{self, CommandError};
use super::errno::name as errno_name;
use crate::config::ProcessConfig;

/// What every child inherits from supervisord.
#[derive(Debug, Clone, Default)]
pub struct SpawnContext {
    /// supervisord's environment when it started.
    pub environ: Vec<(OsString, OsString)>,
    /// `SUPERVISOR_SERVER_URL` for children whose `serverurl` is AUTO.
    pub serverurl: Option<String>,
}

impl SpawnContext {
    /// The current process's environment, no server URL.
    pub fn from_process() -> SpawnContext {
        SpawnContext { environ: std::env::vars_os().collect(), serverurl: None }
    }

    /// supervisord's `PATH`, where relative commands are looked up.
    pub(crate) fn path(&self) -> Option<String> {
        self.environ.iter().find(|(k, _)| k == "PATH").map(|(_, v)| v.to_string_lossy().into_owned())
    }
}

/// Why a spawn failed.
#[derive(Debug, thiserror::Error)]
pub enum SpawnFailure {
    /// The command cannot be run (caught before fork).
    #[error(transparent)]
    Command(#[from] CommandError),
    /// Pipes could not be made.
    #[error("too many open files to spawn '{0}'")]
    TooManyFiles(String),
    /// fork or exec failed.
    #[error("{0}")]
    Os(String),
}

/// A started child and supervisord's ends of its pipes.
#[derive(Debug)]
pub struct Child {
    /// Its pid (also its process group id).
    pub pid: u32,
    /// Write end of its stdin.
    pub stdin: OwnedFd,
    /// Read end of its stdout (and stderr, with `redirect_stderr`).
    pub stdout: OwnedFd,
    /// Read end of its stderr, unless redirected.
    pub stderr: Option<OwnedFd>,
}

/// The identity to switch to in the child, or the message to print there.
enum Identity {
    Keep,
    Switch { uid: Uid, gid: Gid, groups: Vec<Gid>, prefix: Vec<u8> },
    Fail(CString),
}

fn identity(config: &ProcessConfig) -> Identity {
    let Some(uid) = config.uid else {
        return Identity::Keep;
    };
    let uid = Uid::from_raw(uid);
    let fail = |reason: &str| {
        let text = format!("supervisor: couldn't setuid to {}: {reason}\n", uid.as_raw());
        Identity::Fail(CString::new(text).unwrap_or_default())
    };
    if uid == Uid::current() {
        return Identity::Keep;
    }
    if !Uid::current().is_root() {
        return fail("Can't drop privilege as nonroot user");
    }
    let Ok(Some(user)) = User::from_uid(uid) else {
        return fail(&format!("Can't find uid {}", uid.as_raw()));
    };
    // The primary group first: setgid can overwrite the first entry.
    let mut groups = vec![user.gid];
    let name = CString::new(user.name.as_bytes()).unwrap_or_default();
    if let Ok(all) = nix::unistd::getgrouplist(&name, user.gid) {
        groups.extend(all.into_iter().filter(|g| *g != user.gid));
    }
    let prefix = format!("supervisor: couldn't setuid to {}: ", uid.as_raw()).into_bytes();
    Identity::Switch { uid, gid: user.gid, groups, prefix }
}

fn write_stderr(bytes: &[u8]) {
    // SAFETY: write(2) on fd 2 with a valid buffer; async-signal-safe.
    unsafe {
        libc::write(2, bytes.as_ptr().cast(), bytes.len());
    }
}

/// Reports a failure between fork and exec as 4.3.0's child does, then
/// exits 127 so the parent sees an early exit.
fn child_fail(parts: &[&[u8]]) -> ! {
    for p in parts {
        write_stderr(p);
    }
    write_stderr(b"supervisor: child process was not spawned\n");
    // SAFETY: _exit is async-signal-safe and never returns.
    unsafe { libc::_exit(127) }
}

fn pipe() -> Result<(OwnedFd, OwnedFd), nix::errno::Errno> {
    nix::unistd::pipe2(OFlag::O_CLOEXEC)
}

/// Starts `config`'s command as a child in its own process group.
pub fn spawn(config: &ProcessConfig, ctx: &SpawnContext) -> Result<Child, SpawnFailure> {
    let (program, argv) = command::resolve(config, ctx.path().as_deref())?;
    let too_many = |e: nix::errno::Errno| match e {
        nix::errno::Errno::EMFILE | nix::errno::Errno::ENFILE => SpawnFailure::TooManyFiles(config.name.clone()),
        other => SpawnFailure::Os(format!(
            "unknown error making dispatchers for '{}': {}",
            config.name,
            errno_name(other as i32)
        )),
    };
    let (stdin_r, stdin_w) = pipe().map_err(too_many)?;
    let (stdout_r, stdout_w) = pipe().map_err(too_many)?;
    let (stderr_r, stderr_w) = if config.redirect_stderr {
        (None, stdout_w.try_clone().map_err(|e| too_many(nix::errno::Errno::from_raw(e.raw_os_error().unwrap_or(0))))?)
    } else {
        let (r, w) = pipe().map_err(too_many)?;
        (Some(r), w)
    };

    let mut cmd = Command::new(&program);
    cmd.arg0(&argv[0]).args(&argv[1..]).env_clear().envs(ctx.environ.iter().cloned());
    cmd.env("SUPERVISOR_ENABLED", "1");
    if let Some(url) = config.serverurl.as_ref().or(ctx.serverurl.as_ref()) {
        cmd.env("SUPERVISOR_SERVER_URL", url);
    }
    cmd.env("SUPERVISOR_PROCESS_NAME", &config.name).env("SUPERVISOR_GROUP_NAME", &config.group);
    cmd.envs(&config.environment);
    cmd.process_group(0).stdin(Stdio::from(stdin_r)).stdout(Stdio::from(stdout_w)).stderr(Stdio::from(stderr_w));

    let identity = identity(config);
    let directory = config.directory.as_ref().map(|d| {
        let bytes = d.as_os_str().as_encoded_bytes().to_vec();
        (
            CString::new(bytes).unwrap_or_default(),
            format!("supervisor: couldn't chdir to {}: ", d.display()).into_bytes(),
        )
    });
    let umask = config.umask;
    let parent = nix::unistd::getpid().as_raw();
    // SAFETY: the closure runs in the child between fork and exec and only
    // makes async-signal-safe calls on data prepared above; it allocates nothing.
    unsafe {
        cmd.pre_exec(move || {
            // Children go down with us: if supervisord dies (even by
            // SIGKILL), a restarted one must never find a second copy
            // running. If we died before this line, leave now.
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            if libc::getppid() != parent {
                libc::_exit(0);
            }
            match &identity {
                Identity::Keep => {}
                Identity::Fail(message) => child_fail(&[message.as_bytes()]),
                Identity::Switch { uid, gid, groups, prefix } => {
                    let raw: &[libc::gid_t] = std::slice::from_raw_parts(groups.as_ptr().cast(), groups.len());
                    if libc::setgroups(raw.len(), raw.as_ptr()) != 0 {
                        child_fail(&[prefix, b"Could not set groups of effective user\n"]);
                    }
                    if libc::setgid(gid.as_raw()) != 0 {
                        child_fail(&[prefix, b"Could not set group id of effective user\n"]);
                    }
                    if libc::setuid(uid.as_raw()) != 0 {
                        child_fail(&[prefix, b"Could not set user id\n"]);
                    }
                }
            }
            if let Some((dir, prefix)) = &directory
                && libc::chdir(dir.as_ptr()) != 0
            {
                let err = *libc::__errno_location();
                child_fail(&[prefix, errno_name(err).as_bytes(), b"\n"]);
            }
            if let Some(mask) = umask {
                libc::umask(mask as libc::mode_t);
            }
            // Nothing supervisord has open may leak into the child; CLOEXEC
            // (not close) keeps std's exec-error pipe working until exec.
            libc::syscall(libc::SYS_close_range, 3u32, u32::MAX, libc::CLOSE_RANGE_CLOEXEC);
            Ok(())
        });
    }
    match cmd.spawn() {
        Ok(child) => Ok(Child { pid: child.id(), stdin: stdin_w, stdout: stdout_r, stderr: stderr_r }),
        Err(e) => {
            let code = e.raw_os_error().unwrap_or(0);
            Err(match code {
                libc::EAGAIN => {
                    SpawnFailure::Os(format!("Too many processes in process table to spawn '{}'", config.name))
                }
                _ => SpawnFailure::Os(format!("couldn't exec {}: {}", argv[0], errno_name(code))),
            })
        }
    }
}
