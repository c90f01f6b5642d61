//! Starting a child as 4.3.0 does: its own process group, stdin/stdout/stderr
//! pipes, inherited descriptors closed, supplementary groups and uid
//! dropped, environment, directory, umask, exec. Everything the child needs
//! is computed before fork; between fork and exec it makes only
//! async-signal-safe calls.

use std::collections::BTreeMap;
use std::ffi::{CString, OsString};
use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::sync::atomic::{AtomicU32, Ordering};

use nix::fcntl::OFlag;
use nix::unistd::{Gid, Uid, User};

use super::child_stack::Stack;
use super::command::{self, CommandError};
use super::errno::name as errno_name;
use super::handoff;
use super::pidfd;
use super::raw;
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
    Switch { uid: Uid, gid: Gid, groups: Vec<libc::gid_t>, prefix: Vec<u8> },
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
    let mut groups = vec![user.gid.as_raw()];
    let name = CString::new(user.name.as_bytes()).unwrap_or_default();
    if let Ok(all) = nix::unistd::getgrouplist(&name, user.gid) {
        groups.extend(all.into_iter().filter(|g| *g != user.gid).map(Gid::as_raw));
    }
    let prefix = format!("supervisor: couldn't setuid to {}: ", uid.as_raw()).into_bytes();
    Identity::Switch { uid, gid: user.gid, groups, prefix }
}

fn write_stderr(bytes: &[u8]) {
    // SAFETY: write(2) on fd 2 with a valid buffer.
    unsafe {
        raw::syscall(libc::SYS_write, &[2, bytes.as_ptr() as usize, bytes.len()]);
    }
}

/// Reports a failure between fork and exec as 4.3.0's child does, then
/// exits 127 so the parent sees an early exit.
fn child_fail(parts: &[&[u8]]) -> ! {
    for p in parts {
        write_stderr(p);
    }
    write_stderr(b"supervisor: child process was not spawned\n");
    loop {
        // SAFETY: exit_group ends this process (the child) and never returns.
        unsafe {
            raw::syscall(libc::SYS_exit_group, &[127]);
        }
    }
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
///
/// Call it on a [`SpawnThread`](super::spawn_thread::SpawnThread), which
/// calls [`settle`] once each job has answered; any other thread must call
/// [`settle`] itself soon after: until then the child's pipe ends stay
/// parked here (its output would never end) and no other start can park.
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
    let fds = [stdin_fd, stdout_w.as_raw_fd(), stderr_w.as_raw_fd()];
    let directory = config.directory.as_ref().map(|d| {
        let bytes = d.as_os_str().as_encoded_bytes().to_vec();
        (
            CString::new(bytes).unwrap_or_default(),
            format!("supervisor: couldn't chdir to {}: ", d.display()).into_bytes(),
        )
    });
    // The previous start's child must have taken its pipes before the
    // parked ones are replaced.
    settle();
    let parked = handoff::park(fds);
    let pointers = |v: &[CString]| v.iter().map(|c| c.as_ptr()).chain([std::ptr::null()]).collect();
    let setup = Box::new(ChildSetup {
        parent: nix::unistd::getpid().as_raw(),
        fds: parked.as_ref().map_or(fds, |p| p.fds),
        share_below: parked.as_ref().map(|p| p.keep_below),
        first_rt_signal: libc::SIGRTMIN(),
        identity: identity(config),
        directory,
        umask: config.umask,
        program: program_c,
        argv: pointers(&argv_c),
        envp: pointers(&envp_c),
        _strings: (argv_c, envp_c),
        exec_prefix: format!("supervisor: couldn't exec {}: ", argv[0]).into_bytes(),
        progress: AtomicU32::new(SETTING_UP),
    });
    match clone_child(setup, want_pidfd) {
        Err(code) => Err(SpawnFailure::Os(match code {
            libc::EAGAIN => format!("Too many processes in process table to spawn '{}'", config.name),
            // The pidfd is one more descriptor per child: out of them, as
            // for the pipes (the system's table full is 4.3.0's other text).
            libc::EMFILE => return Err(SpawnFailure::TooManyFiles(config.name.clone())),
            _ => format!("unknown error during fork for '{}': {}", config.name, errno_name(code)),
        })),
        Ok((pid, pidfd, flight)) => {
            // Its own process group from the start, whichever of us gets
            // there first, so that a stop sent at once reaches the group
            // (once it has exec'd this fails, as it should; errno is left
            // alone for whoever looks at it next).
            // SAFETY: setpgid on our own child; no memory involved.
            unsafe { raw::syscall(libc::SYS_setpgid, &[pid as usize, pid as usize]) };
            // (Were this thread's storage gone, the closure, and with it
            // the settle, would be dropped here: waited for at once.)
            let settle = Settle { flight: Some(flight), _parked: parked };
            let _ = SETTLING.try_with(move |s| *s.borrow_mut() = Some(settle));
            // The child's ends close here, in the parent (it has its own,
            // parked, until it leaves our descriptor table).
            drop((stdin_r, stdout_w, stderr_w));
            Ok(Child { pid, stdin: stdin_w, stdout: stdout_r, stderr: stderr_r, pidfd })
        }
    }
}

/// A child cloned with `CLONE_VM`, perhaps not exec'd yet: its setup and
/// stack stay put until the kernel says it has exec'd or exited.
struct Flight {
    setup: Box<ChildSetup>,
    stack: Stack,
}

impl Flight {
    fn progress(&self) -> u32 {
        self.setup.progress.load(Ordering::Acquire)
    }
}

/// Children past their settle that may still run on memory of ours; each
/// settle takes back the stacks of those that have exec'd since.
static IN_FLIGHT: std::sync::Mutex<Vec<Flight>> = std::sync::Mutex::new(Vec::new());

/// The last child started on this thread, until it has left supervisord's
/// descriptor table ([`settle`]).
struct Settle {
    flight: Option<Flight>,
    /// Its pipes, parked where it takes them from (let go after the wait).
    _parked: Option<handoff::Parked>,
}

impl Drop for Settle {
    fn drop(&mut self) {
        let Some(flight) = self.flight.take() else { return };
        while flight.progress() == SETTING_UP {
            // SAFETY: futex wait on a word of the boxed setup, for as long
            // as it holds SETTING_UP; the child (or the kernel, if it died)
            // changes it and wakes us. (EAGAIN when it already has: errno
            // left alone.)
            unsafe {
                let word = flight.setup.progress.as_ptr() as usize;
                raw::syscall(libc::SYS_futex, &[word, libc::FUTEX_WAIT as usize, SETTING_UP as usize]);
            }
        }
        let mut flying = IN_FLIGHT.lock().unwrap_or_else(|e| e.into_inner());
        flying.push(flight);
        for done in flying.extract_if(.., |f| f.progress() == GONE) {
            done.stack.give_back();
        }
    }
}

thread_local! {
    static SETTLING: std::cell::RefCell<Option<Settle>> = const { std::cell::RefCell::new(None) };
}

/// Waits until the last child started on this thread has left
/// supervisord's descriptor table, then puts its parked pipes away (the
/// parent must not hold them: the child's exit would never read as end of
/// file). The spawn thread calls this after answering each start, so the
/// wait overlaps the engine's own work on that start; a start calls it
/// before parking the next child's pipes.
pub(crate) fn settle() {
    let _ = SETTLING.try_with(|s| s.borrow_mut().take());
}

/// Starts the child on a stack of its own, sharing supervisord's memory
/// (`CLONE_VM`, as `posix_spawn` does): no copy of supervisord's page tables
/// (and no copy-on-write faults after) for every start. With `share_below`
/// the child also shares the descriptor table until it copies the little
/// it needs (see [`handoff`]).
///
/// `posix_spawn` also sleeps (`CLONE_VFORK`) until the child has exec'd,
/// which puts each start's exec between this start and the next: a
/// thousand execs in a row. Here the parent goes on at once; the child's
/// exec runs beside the engine's work and the next start ([`settle`] waits
/// only for it to leave our descriptor table). The child's stack and setup
/// ([`Flight`]) stay in [`IN_FLIGHT`] until the kernel clears `progress`
/// (`CLONE_CHILD_CLEARTID`), when it execs or exits. Like 4.3.0, a failed
/// exec shows up as the child's message and exit 127. With `want_pidfd` the
/// clone also returns a pidfd for the child, so there is no moment when its
/// exit could go unseen.
fn clone_child(setup: Box<ChildSetup>, want_pidfd: bool) -> Result<(u32, Option<OwnedFd>, Flight), i32> {
    let stack = Stack::take()?;
    extern "C" fn entry(arg: *mut libc::c_void) -> libc::c_int {
        // SAFETY: `arg` is the boxed `ChildSetup`, kept alive until the
        // kernel reports that this child has exec'd or exited.
        unsafe { in_child(&*(arg as *const ChildSetup)) }
    }
    // Without our own system calls, the child's libc calls would write our
    // errno: then the parent sleeps until the child has exec'd.
    let sharing = libc::CLONE_CHILD_CLEARTID | if raw::SHARED { 0 } else { libc::CLONE_VFORK };
    let files = if setup.share_below.is_some() { libc::CLONE_FILES } else { 0 };
    let pidfd_flag = if want_pidfd { libc::CLONE_PIDFD } else { 0 };
    // No signal handler may run in the child while it shares our memory:
    // block everything across the clone (the child resets, then unblocks).
    // SAFETY: plain sigset manipulation and clone with a valid stack and a
    // child that only makes raw, async-signal-safe calls on memory that
    // stays put (the box and the stack) until it is done with it.
    let (pid, code, raw_pidfd) = unsafe {
        let mut all: libc::sigset_t = std::mem::zeroed();
        let mut old: libc::sigset_t = std::mem::zeroed();
        libc::sigfillset(&mut all);
        libc::pthread_sigmask(libc::SIG_SETMASK, &all, &mut old);
        let mut raw_pidfd: libc::c_int = -1;
        let pid = libc::clone(
            entry,
            stack.top(),
            libc::CLONE_VM | sharing | files | pidfd_flag | libc::SIGCHLD,
            &*setup as *const ChildSetup as *mut libc::c_void,
            &mut raw_pidfd as *mut libc::c_int,
            std::ptr::null_mut::<libc::c_void>(),
            setup.progress.as_ptr(),
        );
        let code = *libc::__errno_location();
        libc::pthread_sigmask(libc::SIG_SETMASK, &old, std::ptr::null_mut());
        (pid, code, raw_pidfd)
    };
    if pid < 0 {
        stack.give_back();
        return Err(code);
    }
    // The clone wrote the pidfd (close-on-exec) only if asked.
    // SAFETY: the clone gave us this descriptor and nobody else owns it.
    let pidfd = if want_pidfd { unsafe { pidfd::own(raw_pidfd) } } else { None };
    Ok((pid as u32, pidfd, Flight { setup, stack }))
}

/// [`ChildSetup::progress`]: the child is still in supervisord's process
/// group or descriptor table.
const SETTING_UP: u32 = 2;
/// It has left both; it may still be reading its setup.
const ON_ITS_OWN: u32 = 1;
/// It has exec'd or exited (the kernel's `CLONE_CHILD_CLEARTID`).
const GONE: u32 = 0;

/// What the child needs between clone and exec, all prepared before the
/// clone, and boxed so it stays put while the child reads it.
struct ChildSetup {
    parent: libc::pid_t,
    /// Its stdin, stdout and stderr, in that order.
    fds: [RawFd; 3],
    /// Cloned sharing the parent's descriptors: leave them, keeping only
    /// those below this (where `fds` are).
    share_below: Option<u32>,
    /// Signals below this get their default action back (libc's real-time
    /// signals are its own).
    first_rt_signal: libc::c_int,
    identity: Identity,
    directory: Option<(CString, Vec<u8>)>,
    umask: Option<u32>,
    program: CString,
    /// Owners of what `argv` and `envp` point at.
    _strings: (Vec<CString>, Vec<CString>),
    argv: Vec<*const libc::c_char>,
    envp: Vec<*const libc::c_char>,
    exec_prefix: Vec<u8>,
    /// [`SETTING_UP`], [`ON_ITS_OWN`] or [`GONE`] (the kernel writes this
    /// one, so it stays where the box put it).
    progress: AtomicU32,
}

// SAFETY: the raw pointers point into `_strings`, owned alongside them and
// never changed; the setup moves between threads only as a whole.
unsafe impl Send for ChildSetup {}

/// The child side of [`clone_child`].
///
/// # Safety
/// Call only in a freshly cloned child; it never returns. It shares the
/// parent's memory and thread-local storage, and the parent runs on: it
/// writes nothing but its own stack and `progress`, and makes only raw
/// system calls ([`raw`]), which leave the parent's `errno` alone (glibc's
/// `setuid` would also signal the parent's threads).
unsafe fn in_child(c: &ChildSetup) -> ! {
    const FAR: usize = u32::MAX as usize;
    // SAFETY: every call below is a raw system call on memory prepared
    // before the clone, or on this stack.
    unsafe {
        // Signals start as a fresh process's do: nothing ignored (Rust's
        // runtime ignores SIGPIPE, for one), then nothing blocked. Handlers
        // go first, as ours would run on the parent's memory; the mask
        // stays full until the parent no longer waits on us, so that no
        // job-control stop can hold its start up. (A kernel sigaction of
        // zeros is SIG_DFL, no flags, nothing masked.)
        let default = [0u64; 4];
        let sigset = std::mem::size_of::<u64>();
        for sig in 1..c.first_rt_signal {
            if sig != libc::SIGKILL && sig != libc::SIGSTOP {
                raw::syscall(libc::SYS_rt_sigaction, &[sig as usize, default.as_ptr() as usize, 0, sigset]);
            }
        }
        // Children go down with us: if supervisord dies (even by SIGKILL),
        // a restarted one must never find a second copy running. If we
        // died before this line, leave now.
        raw::syscall(libc::SYS_prctl, &[libc::PR_SET_PDEATHSIG as usize, libc::SIGKILL as usize]);
        if raw::syscall(libc::SYS_getppid, &[]) != c.parent as isize {
            raw::syscall(libc::SYS_exit_group, &[0]);
        }
        raw::syscall(libc::SYS_setpgid, &[0, 0]);
        // Nothing below may touch the parent's descriptors.
        if let Some(below) = c.share_below
            && raw::syscall(libc::SYS_close_range, &[below as usize, FAR, libc::CLOSE_RANGE_UNSHARE as usize]) != 0
            && raw::syscall(libc::SYS_unshare, &[libc::CLONE_FILES as usize]) != 0
        {
            child_fail(&[b"supervisor: couldn't set up the child's pipes\n"]);
        }
        // Lift the pipes above 2 first, so placing one cannot overwrite
        // another that happens to sit on 0, 1 or 2.
        let mut high = [0usize; 3];
        for (h, fd) in high.iter_mut().zip(c.fds) {
            let ret = raw::syscall(libc::SYS_fcntl, &[fd as usize, libc::F_DUPFD_CLOEXEC as usize, 3]);
            if ret < 0 {
                child_fail(&[b"supervisor: couldn't set up the child's pipes\n"]);
            }
            *h = ret as usize;
        }
        // dup3, not dup2 (not on every architecture): `h` is above 2, so
        // never the same number as its target.
        for (target, h) in high.into_iter().enumerate() {
            if raw::syscall(libc::SYS_dup3, &[h, target, 0]) < 0 {
                child_fail(&[b"supervisor: couldn't set up the child's pipes\n"]);
            }
        }
        match &c.identity {
            Identity::Keep => {}
            Identity::Fail(message) => child_fail(&[message.as_bytes()]),
            Identity::Switch { uid, gid, groups, prefix } => {
                if raw::syscall(libc::SYS_setgroups, &[groups.len(), groups.as_ptr() as usize]) != 0 {
                    child_fail(&[prefix, b"Could not set groups of effective user\n"]);
                }
                if raw::syscall(libc::SYS_setgid, &[gid.as_raw() as usize]) != 0 {
                    child_fail(&[prefix, b"Could not set group id of effective user\n"]);
                }
                if raw::syscall(libc::SYS_setuid, &[uid.as_raw() as usize]) != 0 {
                    child_fail(&[prefix, b"Could not set user id\n"]);
                }
                // Linux clears the parent-death signal when credentials
                // change: set it again, and leave if we died meanwhile.
                raw::syscall(libc::SYS_prctl, &[libc::PR_SET_PDEATHSIG as usize, libc::SIGKILL as usize]);
                if raw::syscall(libc::SYS_getppid, &[]) != c.parent as isize {
                    raw::syscall(libc::SYS_exit_group, &[0]);
                }
            }
        }
        // In our own group, with our own descriptors and the parent-death
        // signal armed for good: the parent may go on (and its spawn
        // thread may end).
        c.progress.store(ON_ITS_OWN, Ordering::Release);
        raw::syscall(libc::SYS_futex, &[c.progress.as_ptr() as usize, libc::FUTEX_WAKE as usize, 1]);
        let none = 0u64;
        raw::syscall(libc::SYS_rt_sigprocmask, &[libc::SIG_SETMASK as usize, &none as *const u64 as usize, 0, sigset]);
        if let Some((dir, prefix)) = &c.directory {
            let ret = raw::syscall(libc::SYS_chdir, &[dir.as_ptr() as usize]);
            if ret != 0 {
                child_fail(&[prefix, errno_name(raw::errno(ret)).as_bytes(), b"\n"]);
            }
        }
        if let Some(mask) = c.umask {
            raw::syscall(libc::SYS_umask, &[mask as usize]);
        }
        // Nothing supervisord has open may leak into the child.
        raw::syscall(libc::SYS_close_range, &[3, FAR, libc::CLOSE_RANGE_CLOEXEC as usize]);
        let ret = raw::syscall(
            libc::SYS_execve,
            &[c.program.as_ptr() as usize, c.argv.as_ptr() as usize, c.envp.as_ptr() as usize],
        );
        child_fail(&[&c.exec_prefix, errno_name(raw::errno(ret)).as_bytes(), b"\n"])
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

#[cfg(test)]
mod tests {
    use super::*;
    use nix::sys::wait::{WaitStatus, waitpid};
    use nix::unistd::Pid;

    /// Starts `config` and hands `before_settle` the child before the
    /// parked pipes are let go (as the spawn thread does after each start).
    fn start_with(config: ProcessConfig, before_settle: impl FnOnce(&Child)) -> Child {
        let child = spawn_with_stdin(&config, &SpawnContext::from_process(), false, None, || Ok(())).expect("spawn");
        before_settle(&child);
        settle();
        child
    }

    fn start(config: ProcessConfig) -> Child {
        start_with(config, |_| {})
    }

    #[test]
    fn a_child_is_in_its_own_process_group_as_soon_as_the_start_returns() {
        // Asked before the child has been waited for at all: a stop sent
        // at once goes to the group (stopasgroup), so the group must exist
        // already, whether the child has got that far or not.
        let child = start_with(ProcessConfig::new("t", "/bin/sleep 30"), |child| {
            let pid = Pid::from_raw(child.pid as i32);
            assert_eq!(nix::unistd::getpgid(Some(pid)), Ok(pid));
            nix::sys::signal::killpg(pid, nix::sys::signal::SIGKILL).expect("the group is there");
        });
        let pid = Pid::from_raw(child.pid as i32);
        assert_eq!(waitpid(pid, None), Ok(WaitStatus::Signaled(pid, nix::sys::signal::SIGKILL, false)));
    }

    #[test]
    fn the_child_leaves_the_spawning_threads_errno_alone() {
        let mut config = ProcessConfig::new("t", "/bin/true");
        // ENOTDIR: an errno nothing on our side of the start comes to.
        config.directory = Some("/dev/null/directory".into());
        // The child runs on this thread's memory until it exits: its failed
        // chdir must not land in our errno, before or after the start
        // returns.
        // SAFETY: writing and reading this thread's errno.
        unsafe { *libc::__errno_location() = 0 };
        let child = start(config);
        let pid = Pid::from_raw(child.pid as i32);
        assert_eq!(waitpid(pid, None), Ok(WaitStatus::Exited(pid, 127)));
        if raw::SHARED {
            // SAFETY: as above.
            assert_ne!(unsafe { *libc::__errno_location() }, libc::ENOTDIR);
        }
        let mut said = String::new();
        let stderr = child.stderr.expect("a stderr pipe");
        std::io::Read::read_to_string(&mut std::fs::File::from(stderr), &mut said).expect("read");
        assert_eq!(
            said,
            "supervisor: couldn't chdir to /dev/null/directory: ENOTDIR\nsupervisor: child process was not spawned\n"
        );
    }

    #[test]
    fn many_starts_in_a_row_each_exec_their_own_command() {
        let children: Vec<Child> =
            (0..50).map(|i| start(ProcessConfig::new("t", format!("/bin/sh -c 'echo {i}; exit {}'", i % 7)))).collect();
        for (i, child) in children.into_iter().enumerate() {
            let pid = Pid::from_raw(child.pid as i32);
            let mut said = String::new();
            std::io::Read::read_to_string(&mut std::fs::File::from(child.stdout), &mut said).expect("read");
            assert_eq!(said, format!("{i}\n"));
            assert_eq!(waitpid(pid, None), Ok(WaitStatus::Exited(pid, (i % 7) as i32)));
        }
    }
}
