//! Starting a child as 4.3.0 does: its own process group, stdin/stdout/stderr
//! pipes, inherited descriptors closed, supplementary groups and uid
//! dropped, environment, directory, umask, exec. Everything the child needs
//! is computed before fork; between fork and exec it makes only
//! async-signal-safe calls.

use std::collections::BTreeMap;
use std::ffi::{CString, OsString};
use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};

use nix::fcntl::OFlag;
use nix::unistd::{Gid, Uid, User};

use super::command::{self, CommandError};
use super::errno::name as errno_name;
use super::handoff;
use super::pidfd;
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
    /// No descriptor left for the pipes, the log files or the pidfd.
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
    /// Write end of its stdin (none when fd 0 was given, e.g. an FCGI
    /// socket).
    pub stdin: Option<OwnedFd>,
    /// Read end of its stdout (and stderr, with `redirect_stderr`).
    pub stdout: OwnedFd,
    /// Read end of its stderr, unless redirected.
    pub stderr: Option<OwnedFd>,
    /// A pidfd for it, taken by the clone itself, when asked for (the
    /// kernel reaps children: [`reap::automatic`](super::reap::automatic)).
    pub pidfd: Option<OwnedFd>,
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

/// Starts `config`'s command as a child in its own process group; with
/// `want_pidfd` the clone also returns a pidfd for it
/// ([`Spawner::wants_pidfd`](super::reap::Spawner::wants_pidfd)); with
/// `stdin`, the child gets that descriptor as its fd 0 (an
/// `[fcgi-program:x]` group's listening socket) instead of a pipe.
/// `make_logs` runs once the pipes are made, before the fork, as 4.3.0
/// makes a process's log files with its pipes: its error fails the spawn
/// with 4.3.0's message.
pub fn spawn_with_stdin(
    config: &ProcessConfig,
    ctx: &SpawnContext,
    want_pidfd: bool,
    stdin: Option<BorrowedFd<'_>>,
    make_logs: impl FnOnce() -> std::io::Result<()>,
) -> Result<Child, SpawnFailure> {
    let (program, argv) = command::resolve(config, ctx.path().as_deref())?;
    let too_many = |e: nix::errno::Errno| match e {
        nix::errno::Errno::EMFILE => SpawnFailure::TooManyFiles(config.name.clone()),
        other => SpawnFailure::Os(format!(
            "unknown error making dispatchers for '{}': {}",
            config.name,
            errno_name(other as i32)
        )),
    };
    let (stdin_fd, stdin_pipe) = match stdin {
        Some(given) => (given.as_raw_fd(), None),
        None => {
            let (r, w) = pipe().map_err(too_many)?;
            (r.as_raw_fd(), Some((r, w)))
        }
    };
    let (stdin_r, stdin_w) = stdin_pipe.unzip();
    let (stdout_r, stdout_w) = pipe().map_err(too_many)?;
    let (stderr_r, stderr_w) = if config.redirect_stderr {
        (None, stdout_w.try_clone().map_err(|e| too_many(nix::errno::Errno::from_raw(e.raw_os_error().unwrap_or(0))))?)
    } else {
        let (r, w) = pipe().map_err(too_many)?;
        (Some(r), w)
    };
    make_logs().map_err(|e| too_many(nix::errno::Errno::from_raw(e.raw_os_error().unwrap_or(0))))?;

    let invalid = |what: &str| SpawnFailure::Os(format!("couldn't exec {what}: EINVAL"));
    let program_c = CString::new(program.as_os_str().as_bytes()).map_err(|_| invalid(&argv[0]))?;
    let argv_c: Vec<CString> =
        argv.iter().map(|a| CString::new(a.as_bytes())).collect::<Result<_, _>>().map_err(|_| invalid(&argv[0]))?;
    let envp_c = environment(config, ctx).map_err(|_| invalid(&argv[0]))?;
    let argv_p: Vec<*const libc::c_char> = argv_c.iter().map(|c| c.as_ptr()).chain([std::ptr::null()]).collect();
    let envp_p: Vec<*const libc::c_char> = envp_c.iter().map(|c| c.as_ptr()).chain([std::ptr::null()]).collect();
    let exec_prefix = format!("supervisor: couldn't exec {}: ", argv[0]).into_bytes();
    let fds = [stdin_fd, stdout_w.as_raw_fd(), stderr_w.as_raw_fd()];

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
    let parked = handoff::park(fds);
    let setup = ChildSetup {
        parent,
        fds: parked.as_ref().map_or(fds, |p| p.fds),
        share_below: parked.as_ref().map(|p| p.keep_below),
        identity: &identity,
        directory: directory.as_ref(),
        umask,
        program: &program_c,
        argv: &argv_p,
        envp: &envp_p,
        exec_prefix: &exec_prefix,
    };
    let started = clone_vfork(&setup, want_pidfd);
    drop(parked);
    match started {
        Err(code) => Err(SpawnFailure::Os(match code {
            libc::EAGAIN => format!("Too many processes in process table to spawn '{}'", config.name),
            // The pidfd is one more descriptor per child.
            libc::EMFILE | libc::ENFILE => return Err(SpawnFailure::TooManyFiles(config.name.clone())),
            _ => format!("unknown error during fork for '{}': {}", config.name, errno_name(code)),
        })),
        Ok((pid, pidfd)) => {
            // The child's ends close here, in the parent.
            drop((stdin_r, stdout_w, stderr_w));
            Ok(Child { pid, stdin: stdin_w, stdout: stdout_r, stderr: stderr_r, pidfd })
        }
    }
}

/// Starts the child as `posix_spawn` does: `clone(CLONE_VM | CLONE_VFORK)`
/// on a stack of its own. Sharing memory spares copying supervisord's page
/// tables (and the copy-on-write faults after) for every start, and this
/// thread resumes as soon as the child has exec'd, so a thousand starts do
/// not wait on the scheduler one by one. With `share_below` the child also
/// shares the descriptor table until it copies the little it needs (see
/// [`handoff`]). Like 4.3.0, a failed exec shows up as the child's message
/// and exit 127. With `want_pidfd` the clone also returns a pidfd for the
/// child, so there is no moment when its exit could go unseen.
fn clone_vfork(setup: &ChildSetup<'_>, want_pidfd: bool) -> Result<(u32, Option<OwnedFd>), i32> {
    const STACK: usize = 64 * 1024;
    let mut stack = vec![0u8; STACK];
    // The stack grows down; keep the top 16-byte aligned.
    let top = (stack.as_mut_ptr() as usize + STACK) & !15;
    extern "C" fn entry(arg: *mut libc::c_void) -> libc::c_int {
        // SAFETY: `arg` is the `ChildSetup` borrowed below, alive until the
        // parent resumes, which is after this child execs or exits.
        unsafe { in_child(&*(arg as *const ChildSetup<'_>)) }
    }
    // No signal handler may run in the child while it shares our memory:
    // block everything across the clone (the child resets, then unblocks).
    // SAFETY: plain sigset manipulation and clone with a valid stack and a
    // child that only makes raw, async-signal-safe calls.
    unsafe {
        let mut all: libc::sigset_t = std::mem::zeroed();
        let mut old: libc::sigset_t = std::mem::zeroed();
        libc::sigfillset(&mut all);
        libc::pthread_sigmask(libc::SIG_SETMASK, &all, &mut old);
        let files = if setup.share_below.is_some() { libc::CLONE_FILES } else { 0 };
        let pidfd_flag = if want_pidfd { libc::CLONE_PIDFD } else { 0 };
        let mut raw_pidfd: libc::c_int = -1;
        let pid = libc::clone(
            entry,
            top as *mut libc::c_void,
            libc::CLONE_VM | libc::CLONE_VFORK | files | pidfd_flag | libc::SIGCHLD,
            setup as *const ChildSetup<'_> as *mut libc::c_void,
            &mut raw_pidfd as *mut libc::c_int,
        );
        let code = *libc::__errno_location();
        libc::pthread_sigmask(libc::SIG_SETMASK, &old, std::ptr::null_mut());
        drop(stack);
        if pid < 0 {
            Err(code)
        } else {
            // The clone wrote the pidfd (close-on-exec) only if asked.
            Ok((pid as u32, if want_pidfd { pidfd::own(raw_pidfd) } else { None }))
        }
    }
}

/// What the child needs between fork and exec, all prepared before fork.
struct ChildSetup<'a> {
    parent: libc::pid_t,
    /// Its stdin, stdout and stderr, in that order.
    fds: [RawFd; 3],
    /// Cloned sharing the parent's descriptors: leave them, keeping only
    /// those below this (where `fds` are).
    share_below: Option<u32>,
    identity: &'a Identity,
    directory: Option<&'a (CString, Vec<u8>)>,
    umask: Option<u32>,
    program: &'a CString,
    argv: &'a [*const libc::c_char],
    envp: &'a [*const libc::c_char],
    exec_prefix: &'a [u8],
}

/// The child side of [`spawn`].
///
/// # Safety
/// Call only in a freshly cloned child; it never returns. It shares the
/// parent's memory, so it writes nothing but its own stack, and changes
/// identity with raw syscalls (glibc's `setuid` would signal the parent's
/// threads).
unsafe fn in_child(c: &ChildSetup<'_>) -> ! {
    // SAFETY: every call below is async-signal-safe and reads only memory
    // prepared before the clone.
    unsafe {
        // Children go down with us: if supervisord dies (even by SIGKILL),
        // a restarted one must never find a second copy running. If we
        // died before this line, leave now.
        // Signals start as a fresh process's do: nothing ignored (Rust's
        // runtime ignores SIGPIPE, for one), then nothing blocked. Handlers
        // go first, as ours would run on the parent's memory.
        let mut default: libc::sigaction = std::mem::zeroed();
        default.sa_sigaction = libc::SIG_DFL;
        for sig in 1..libc::SIGRTMIN() {
            if sig != libc::SIGKILL && sig != libc::SIGSTOP {
                libc::sigaction(sig, &default, std::ptr::null_mut());
            }
        }
        let mut none: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut none);
        libc::pthread_sigmask(libc::SIG_SETMASK, &none, std::ptr::null_mut());
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
        if libc::getppid() != c.parent {
            libc::_exit(0);
        }
        libc::setpgid(0, 0);
        // Nothing below may touch the parent's descriptors.
        if let Some(below) = c.share_below
            && libc::syscall(libc::SYS_close_range, below, u32::MAX, libc::CLOSE_RANGE_UNSHARE) != 0
            && libc::unshare(libc::CLONE_FILES) != 0
        {
            child_fail(&[b"supervisor: couldn't set up the child's pipes\n"]);
        }
        // Lift the pipes above 2 first, so placing one cannot overwrite
        // another that happens to sit on 0, 1 or 2.
        let mut high = [-1; 3];
        for (h, fd) in high.iter_mut().zip(c.fds) {
            *h = libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 3);
            if *h < 0 {
                child_fail(&[b"supervisor: couldn't set up the child's pipes\n"]);
            }
        }
        for (target, h) in high.into_iter().enumerate() {
            if libc::dup2(h, target as libc::c_int) < 0 {
                child_fail(&[b"supervisor: couldn't set up the child's pipes\n"]);
            }
        }
        match c.identity {
            Identity::Keep => {}
            Identity::Fail(message) => child_fail(&[message.as_bytes()]),
            Identity::Switch { uid, gid, groups, prefix } => {
                let raw: &[libc::gid_t] = std::slice::from_raw_parts(groups.as_ptr().cast(), groups.len());
                if libc::syscall(libc::SYS_setgroups, raw.len(), raw.as_ptr()) != 0 {
                    child_fail(&[prefix, b"Could not set groups of effective user\n"]);
                }
                if libc::syscall(libc::SYS_setgid, gid.as_raw()) != 0 {
                    child_fail(&[prefix, b"Could not set group id of effective user\n"]);
                }
                if libc::syscall(libc::SYS_setuid, uid.as_raw()) != 0 {
                    child_fail(&[prefix, b"Could not set user id\n"]);
                }
                // Linux clears the parent-death signal when credentials
                // change: set it again, and leave if we died meanwhile.
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                if libc::getppid() != c.parent {
                    libc::_exit(0);
                }
            }
        }
        if let Some((dir, prefix)) = c.directory
            && libc::chdir(dir.as_ptr()) != 0
        {
            let err = *libc::__errno_location();
            child_fail(&[prefix, errno_name(err).as_bytes(), b"\n"]);
        }
        if let Some(mask) = c.umask {
            libc::umask(mask as libc::mode_t);
        }
        // Nothing supervisord has open may leak into the child.
        libc::syscall(libc::SYS_close_range, 3u32, u32::MAX, libc::CLOSE_RANGE_CLOEXEC);
        libc::execve(c.program.as_ptr(), c.argv.as_ptr(), c.envp.as_ptr());
        let err = *libc::__errno_location();
        child_fail(&[c.exec_prefix, errno_name(err).as_bytes(), b"\n"])
    }
}

/// The child's environment as `KEY=VALUE` strings: supervisord's, then the
/// SUPERVISOR_* variables, then the program's `environment`, later ones
/// winning.
fn environment(config: &ProcessConfig, ctx: &SpawnContext) -> Result<Vec<CString>, std::ffi::NulError> {
    let mut env: BTreeMap<OsString, OsString> = ctx.environ.iter().cloned().collect();
    let mut set = |k: &str, v: &str| env.insert(OsString::from(k), OsString::from(v));
    set("SUPERVISOR_ENABLED", "1");
    if let Some(url) = config.serverurl.as_ref().or(ctx.serverurl.as_ref()) {
        set("SUPERVISOR_SERVER_URL", url);
    }
    set("SUPERVISOR_PROCESS_NAME", &config.name);
    set("SUPERVISOR_GROUP_NAME", &config.group);
    for (k, v) in &config.environment {
        set(k, v);
    }
    env.into_iter()
        .map(|(k, v)| {
            let mut kv = k.into_vec();
            kv.push(b'=');
            kv.extend(v.into_vec());
            CString::new(kv)
        })
        .collect()
}
