//! `supervisord` proper: command-line overrides over the file, daemonizing,
//! the pidfile, supervisord.log, and the signals that stop, restart and
//! reopen logs. The process engine itself is supervisor-core's.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use supervisor_core::config::values::abspath;
use supervisor_core::config::{Config, LoadOptions, LogLevel};
use supervisor_core::daemon as reap;
use supervisor_core::daemon::raise_limits;
use supervisor_core::daemon::{become_subreaper, drop_privileges};
use supervisor_core::logging::MainLog;
use supervisor_core::signals::Signal;
use supervisor_core::supervisor::SpawnContext;
use supervisor_core::supervisor::{RunOptions, Supervisor};
use supervisor_rpc::RpcRegistry;
use supervisor_rpc::daemon::{Daemon, DaemonRequest};
use supervisor_rpc::listen::server_url;
use supervisor_rpc::server::{Bound, Servers, bind_all, dispatcher};
use tokio::runtime::Handle;
use tokio::signal::unix::{SignalKind, signal};

use crate::notify::{self, Notifier};
use crate::supervisord_cli::ServerArgs;

/// Applies the command line over the file's `[supervisord]`.
pub fn apply_overrides(config: &mut Config, a: &ServerArgs) {
    let s = &mut config.supervisord;
    s.nodaemon |= a.nodaemon;
    s.silent |= a.silent;
    s.nocleanup |= a.nocleanup;
    s.strip_ansi |= a.strip_ansi;
    if let Some(v) = &a.user {
        s.user = Some(v.clone());
    }
    if let Some(v) = a.umask {
        s.umask = v;
    }
    if let Some(v) = &a.directory {
        s.directory = Some(v.clone());
    }
    if let Some(v) = &a.logfile {
        s.logfile = v.clone();
    }
    if let Some(v) = a.logfile_maxbytes {
        s.logfile_maxbytes = v;
    }
    if let Some(v) = a.logfile_backups {
        s.logfile_backups = u32::try_from(v.max(0)).unwrap_or(u32::MAX);
    }
    if let Some(v) = a.loglevel {
        s.loglevel = v;
    }
    if let Some(v) = &a.pidfile {
        s.pidfile = v.clone();
    }
    if let Some(v) = &a.identifier {
        s.identifier = v.clone();
    }
    if let Some(v) = &a.childlogdir {
        s.childlogdir = v.clone();
    }
    if let Some(v) = a.minfds {
        s.minfds = u64::try_from(v.max(0)).unwrap_or(0);
    }
    if let Some(v) = a.minprocs {
        s.minprocs = u64::try_from(v.max(0)).unwrap_or(0);
    }
}

/// Reads the config with the command line applied. Relative `logfile`
/// and `pidfile` are taken against `start`, the directory supervisord was
/// started from (as 4.3.0 resolves them before it changes directory).
pub fn load(path: &Path, a: &ServerArgs, start: Option<&Path>) -> Result<Config, String> {
    let mut config = Config::load(path).map_err(|e| e.to_string())?;
    apply_overrides(&mut config, a);
    let s = &mut config.supervisord;
    let resolve = |p: &Path| match start {
        Some(start) if p.is_relative() => abspath(&start.join(p)),
        _ => abspath(p),
    };
    if s.logfile != Path::new("syslog") {
        s.logfile = resolve(&s.logfile);
    }
    s.pidfile = resolve(&s.pidfile);
    Ok(config)
}

/// The launching process's end of a daemonized supervisord's start-up:
/// told the error that stopped it, or that it is up. None in the
/// foreground, and once told.
static LAUNCHER: Mutex<Option<std::fs::File>> = Mutex::new(None);

/// What the launcher reads for "up": a byte no error text starts with.
const UP: u8 = 0;

/// Tells the launching process (if it still waits) `message`.
fn tell_launcher(message: &[u8]) {
    use std::io::Write;
    let launcher = LAUNCHER.lock().unwrap_or_else(|e| e.into_inner()).take();
    if let Some(mut pipe) = launcher {
        let _ = pipe.write_all(message);
    }
}

/// The launching process: waits until the daemon it forked is up (exit 0)
/// or says why it is not (printed, exit 2), so a failure after the fork
/// is never silent. Under systemd it hands over: the daemon is the main
/// pid now, and ready.
fn wait_for_daemon(mut pipe: std::fs::File, daemon: u32, notifier: Option<&Notifier>) -> ! {
    use std::io::{Read, Write};
    let mut said = Vec::new();
    let _ = pipe.read_to_end(&mut said);
    match said.first() {
        Some(&UP) => {
            if let Some(n) = notifier {
                n.ready_for(daemon);
            }
            std::process::exit(0)
        }
        Some(_) => {
            let _ = std::io::stderr().write_all(&said);
            std::process::exit(2)
        }
        None => {
            eprintln!("Error: supervisord exited during start-up (see its log)");
            std::process::exit(2)
        }
    }
}

/// Detaches as 4.3.0 does: fork (the parent exits once the daemon is up),
/// chdir to `directory`, stdio to /dev/null, setsid, umask. Must run
/// before any thread exists. Returns the lines for supervisord.log.
fn daemonize(config: &Config, notifier: Option<&Notifier>) -> Result<Vec<(LogLevel, String)>, String> {
    // Close-on-exec, so no program inherits it and holds the launcher.
    let (read, write) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).map_err(|e| format!("could not fork: {e}"))?;
    // SAFETY: called before the runtime or any other thread is started.
    match unsafe { nix::unistd::fork() } {
        Err(e) => return Err(format!("could not fork: {e}")),
        Ok(nix::unistd::ForkResult::Parent { child }) => {
            drop(write);
            wait_for_daemon(std::fs::File::from(read), child.as_raw().unsigned_abs(), notifier)
        }
        Ok(nix::unistd::ForkResult::Child) => {}
    }
    drop(read);
    *LAUNCHER.lock().unwrap_or_else(|e| e.into_inner()) = Some(std::fs::File::from(write));
    let mut lines = vec![(LogLevel::Info, "daemonizing the supervisord process".to_owned())];
    if let Some(dir) = &config.supervisord.directory {
        // 4.3.0 logs a failed chdir and runs on.
        match std::env::set_current_dir(dir) {
            Ok(()) => lines.push((LogLevel::Info, format!("set current directory: '{}'", dir.display()))),
            Err(e) => lines.push((LogLevel::Critical, format!("can't chdir into '{}': {e}", dir.display()))),
        }
    }
    let null = std::fs::OpenOptions::new().read(true).write(true).open("/dev/null").map_err(|e| e.to_string())?;
    for fd in 0..3 {
        // SAFETY: dup2 onto the standard descriptors of our own process.
        unsafe {
            libc_dup2(&null, fd);
        }
    }
    let _ = nix::unistd::setsid();
    nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(config.supervisord.umask));
    Ok(lines)
}

unsafe fn libc_dup2(file: &std::fs::File, fd: i32) {
    use std::os::fd::AsRawFd;
    // SAFETY: both descriptors are valid for the duration of the call.
    unsafe {
        nix::libc::dup2(file.as_raw_fd(), fd);
    }
}

/// Removes AUTO logs left by an earlier run (`nocleanup=false`).
fn clear_auto_child_logs(config: &Config, log: &Mutex<MainLog>) {
    let marker = format!("---{}-", config.supervisord.identifier);
    let Ok(entries) = std::fs::read_dir(&config.supervisord.childlogdir) else {
        write(log, LogLevel::Warn, "Could not clear childlog dir");
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let stem = name.trim_end_matches(|c: char| c.is_ascii_digit()).trim_end_matches('.');
        // With *_compress, also `x.log.N.gz` and the worker's pending
        // `x.log.rotated-...` (AUTO names change with every start, so
        // nothing else would ever remove them).
        let compressed = name.strip_suffix(".gz").map(|n| n.trim_end_matches(|c: char| c.is_ascii_digit()));
        let ours = stem.ends_with(".log")
            || compressed.is_some_and(|n| n.ends_with(".log."))
            || name.contains(".log.rotated-");
        if let Some(at) = name.find(&marker)
            && at > 0
            && ours
            && let Err(e) = std::fs::remove_file(entry.path())
        {
            write(log, LogLevel::Warn, &format!("Failed to clean up {:?}: {e}", entry.path()));
        }
    }
}

fn write(log: &Mutex<MainLog>, level: LogLevel, message: &str) {
    if let Ok(mut l) = log.lock() {
        l.log(level, message);
    }
}

fn open_log(config: &Config) -> Result<MainLog, String> {
    let s = &config.supervisord;
    let echo = s.nodaemon && !s.silent;
    if s.logfile == Path::new("syslog") {
        return Ok(MainLog::to_syslog(s.loglevel, echo).with_format(s.logfile_format.clone()));
    }
    let file = abspath(&s.logfile);
    MainLog::open(Some(file.clone()), s.logfile_maxbytes, s.logfile_backups, s.loglevel, echo)
        .map(|log| log.with_format(s.logfile_format.clone()).with_retention(s.logfile_retention))
        .map_err(|e| format!("could not open logfile {}: {e}", file.display()))
}

/// Runs supervisord until it is told to exit. `progname` is how it was
/// called, for 4.3.0's `For help, use ... -h`.
pub fn run(path: PathBuf, args: &ServerArgs, progname: &str) -> ExitCode {
    let start = std::env::current_dir().ok();
    let mut config = match load(&path, args, start.as_deref()) {
        Ok(c) => c,
        Err(e) => return usage(progname, &e),
    };
    // Bind before detaching, so "address in use" reaches the terminal and
    // the exit status, and before dropping privileges (low ports, socket
    // files in root's directories).
    let bound = match bind_all(&config) {
        Ok(b) => b,
        Err(e) => return usage(progname, &e.to_string()),
    };
    // Read once, before forking (see `Notifier::from_env`); nothing at all
    // happens without NOTIFY_SOCKET.
    let notifier = Notifier::from_env().map(Arc::new);
    let mut early = Vec::new();
    if !config.supervisord.nodaemon {
        match daemonize(&config, notifier.as_deref()) {
            Ok(lines) => early = lines,
            Err(e) => return give_up(bound, || fail(&e)),
        }
    }
    // As 4.3.0: drop privileges, then raise limits, before the log is opened
    // (so it belongs to the new user) and before any child starts.
    let mut infos = Vec::new();
    if let Some(user) = &config.supervisord.user {
        match drop_privileges(user) {
            Ok(Some(uid)) => infos.push(format!("Set uid to user {uid} succeeded")),
            Ok(None) => {}
            Err(e) => return give_up(bound, || usage(progname, &e.to_string())),
        }
    }
    match raise_limits(config.supervisord.minfds, config.supervisord.minprocs) {
        Ok(lines) => infos.extend(lines),
        Err(e) => return give_up(bound, || usage(progname, &e.to_string())),
    }
    // Orphaned grandchildren come to us and are reaped (PID 1 gets them anyway).
    let _ = become_subreaper();
    // Where the kernel keeps exit statuses for pidfds, it reaps every child
    // the moment it exits: no zombies, however busy the machine. Before the
    // first child starts, or it is too late.
    let reaping = reap::reap_automatically();
    config.messages.infos.extend(infos);
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(r) => r,
        Err(e) => return give_up(bound, || fail(&format!("could not start the runtime: {e}"))),
    };
    // Requests get threads of their own, with a short slice: a flood of
    // child output keeps the engine's two busy, and a client must not wait
    // behind it. Two, so one long answer or log read does not hold up a
    // `getState`.
    let api = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("supervisor-api")
        .on_thread_start(|| {
            supervisor_core::daemon::short_slice();
        })
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => return give_up(bound, || fail(&format!("could not start the runtime: {e}"))),
    };
    // A daemonizing launcher said READY=1 for the first round.
    let announced = !config.supervisord.nodaemon;
    let run = Run { path, args: args.clone(), start, api: api.handle().clone(), reaping, notifier, announced };
    let code = runtime.block_on(serve(run, config, bound, early));
    // Rotated logs still being compressed are finished (a few seconds at
    // most); one cut short is picked up by the next start.
    supervisor_core::logging::wait_for_compression(std::time::Duration::from_secs(5));
    code
}

/// Leaves before serving: no socket file stays behind (removed before
/// the launcher hears why).
fn give_up(bound: Bound, report: impl FnOnce() -> ExitCode) -> ExitCode {
    bound.discard();
    report()
}

/// `Error: message` on stderr (and to a launcher still waiting), exit 2.
fn fail(message: &str) -> ExitCode {
    let text = format!("Error: {message}\n");
    eprint!("{text}");
    tell_launcher(text.as_bytes());
    ExitCode::from(2)
}

/// 4.3.0's `usage()`: the error and where help is, exit 2.
fn usage(progname: &str, message: &str) -> ExitCode {
    let text = format!("Error: {message}\nFor help, use {progname} -h\n");
    eprint!("{text}");
    tell_launcher(text.as_bytes());
    ExitCode::from(2)
}

/// What every round of the daemon's loop needs.
struct Run {
    path: PathBuf,
    args: ServerArgs,
    start: Option<PathBuf>,
    api: Handle,
    reaping: Result<(), reap::NotAutomatic>,
    /// systemd's notify socket, when supervisord was given one.
    notifier: Option<Arc<Notifier>>,
    /// Whether the launcher announced the first round's readiness.
    announced: bool,
}

impl Run {
    fn load(&self) -> Result<Config, String> {
        load(&self.path, &self.args, self.start.as_deref())
    }
}

/// Runs the daemon, restarting it in this process as asked, until it is
/// told to exit. The listening sockets stay open across restarts.
async fn serve(run: Run, mut config: Config, bound: Bound, mut early: Vec<(LogLevel, String)>) -> ExitCode {
    let streams = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
        signal(SignalKind::quit()),
        signal(SignalKind::hangup()),
        signal(SignalKind::user_defined2()),
    );
    let (Ok(mut term), Ok(mut int), Ok(mut quit), Ok(mut hup), Ok(mut usr2)) = streams else {
        return fail("could not install signal handlers");
    };
    let mut servers = match Servers::start(&run.api, bound) {
        Ok(s) => s,
        Err(e) => return fail(&format!("Cannot open an HTTP server: {e}")),
    };
    // NOTIFY_SOCKET and the watchdog's variables are ours, not the programs'.
    let environ = notify::for_children(std::env::vars_os());
    if let Some(n) = &run.notifier
        && let Some(every) = n.watchdog_every()
    {
        // A task of the engine's runtime: it goes quiet if the runtime wedges.
        let n = n.clone();
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(every);
            loop {
                ticks.tick().await;
                n.send("WATCHDOG=1");
            }
        });
    }
    let mut previous_log: Option<Arc<Mutex<MainLog>>> = None;
    // The config that ran before a restart, to go back to if the new one
    // cannot start.
    let mut last_good: Option<Config> = None;
    loop {
        let first = previous_log.is_none();
        let log = match (open_log(&config), previous_log.take()) {
            (Ok(l), _) => Arc::new(Mutex::new(l)),
            (Err(e), None) => {
                servers.stop().await;
                return fail(&e);
            }
            // A restart whose log cannot be opened keeps the one it had.
            (Err(e), Some(old)) => {
                write(&old, LogLevel::Critical, &e);
                old
            }
        };
        previous_log = Some(log.clone());
        let logger = |level: LogLevel, m: &str| write(&log, level, m);
        if nix::unistd::geteuid().is_root() && config.supervisord.user.is_none() {
            logger(
                LogLevel::Critical,
                "Supervisor is running as root.  Privileges were not dropped because no user is specified in the \
                 config file.  If you intend to run as root, you can set user=root in the config file to avoid \
                 this message.",
            );
        }
        for w in &config.messages.warnings {
            logger(LogLevel::Warn, w);
        }
        for i in &config.messages.infos {
            logger(LogLevel::Info, i);
        }
        if !config.supervisord.nocleanup {
            clear_auto_child_logs(&config, &log);
        }
        if !first {
            servers.rebind(&config, logger).await;
        }
        servers.announce(&config, logger);
        for (level, line) in early.drain(..) {
            logger(level, &line);
        }
        let pidfile = config.supervisord.pidfile.clone();
        let pid = std::process::id();
        if std::fs::write(&pidfile, format!("{pid}\n")).is_err() {
            let message = format!("could not write pidfile {}", pidfile.display());
            logger(LogLevel::Critical, &message);
            // 4.3.0 runs on; a daemon nobody can find by its pidfile is
            // worse than one that refuses to start. A restart runs on.
            if first {
                servers.stop().await;
                return fail(&message);
            }
        } else {
            logger(LogLevel::Info, &format!("supervisord started with pid {pid}"));
        }
        match &run.reaping {
            Ok(()) => logger(LogLevel::Debug, "children are reaped by the kernel as they exit"),
            Err(why) => logger(LogLevel::Debug, &format!("children are reaped by waiting: {why}")),
        }
        let options = RunOptions::default()
            .with_mainlog(log.clone())
            .with_spawn_context(SpawnContext { environ: environ.clone(), serverurl: server_url(&config.http_servers) });
        // The groups go to the supervisor, not a copy: it resolves AUTO logs
        // in place, and shares the ones it runs with the API, which diffs a
        // reread against them (one config per program in memory).
        let groups = std::mem::take(&mut config.groups);
        let mut to_run = config.clone();
        to_run.groups = groups;
        let supervisor = match Supervisor::start(to_run, options) {
            Ok(s) => s,
            Err(e) => {
                let _ = std::fs::remove_file(&pidfile);
                // A restart whose config cannot start goes back to the one
                // that ran: the daemon is never lost to a reload.
                if let Some(good) = last_good.take() {
                    logger(
                        LogLevel::Critical,
                        &format!(
                            "could not start with the new configuration ({e}); starting again with the one before"
                        ),
                    );
                    config = good;
                    continue;
                }
                servers.stop().await;
                return fail(&e.to_string());
            }
        };
        // The API and the supervisor hold the groups now; a restart that
        // falls back to this config asks the supervisor for them.
        let running = supervisor.shared_group_configs().await;
        let (daemon, mut api_requests) = Daemon::new(supervisor.clone(), &config, LoadOptions::default());
        let daemon = Arc::new(daemon.with_groups(running));
        match dispatcher(&daemon, &config, &RpcRegistry::with_main()) {
            Ok(d) => {
                let api_log = log.clone();
                let d = d.with_log(
                    Arc::new(move |level: LogLevel, m: &str| write(&api_log, level, m)),
                    config.supervisord.loglevel,
                );
                servers.install(d, Some(supervisor.clone()));
            }
            Err(e) => {
                logger(LogLevel::Critical, &e);
                if let Err(why) = supervisor.shutdown().await {
                    logger(LogLevel::Critical, &why.to_string());
                }
                let _ = std::fs::remove_file(&pidfile);
                if let Some(good) = last_good.take() {
                    config = good;
                    continue;
                }
                servers.stop().await;
                return fail(&e);
            }
        }
        // Up: sockets bound, pidfile written, the API answering. Under
        // systemd, also every autostart program launched: the supervisor
        // answers once its first pass has spawned them.
        let status = match &run.notifier {
            Some(_) => Some(notify::summarize(&supervisor.process_snapshots().await)),
            None => None,
        };
        tell_launcher(&[UP]);
        if let (Some(n), Some(status)) = (&run.notifier, status)
            && !(first && run.announced)
        {
            n.ready(&status);
        }
        // STATUS= follows the processes' states, looked at every second.
        let mut status_ticks = run.notifier.as_ref().map(|_| {
            let every = std::time::Duration::from_secs(1);
            let mut t = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
            t.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            t
        });
        // Set when a program's shutdown_on ended the supervisor.
        let mut container_exit: Option<i32> = None;
        let restart = loop {
            let received = tokio::select! {
                ended = supervisor.closed() => {
                    container_exit = Some(match ended {
                        Ok(ended) => ended.cause.map_or(1, |c| c.exit_code),
                        Err(e) => {
                            logger(LogLevel::Critical, &e.to_string());
                            1
                        }
                    });
                    break false;
                }
                _ = term.recv() => Signal::TERM,
                _ = int.recv() => Signal::INT,
                _ = quit.recv() => Signal::QUIT,
                _ = hup.recv() => Signal::HUP,
                _ = usr2.recv() => Signal::USR2,
                _ = tick(&mut status_ticks) => {
                    if let Some(n) = &run.notifier {
                        n.status(&notify::summarize(&supervisor.process_snapshots().await));
                    }
                    continue;
                }
                Some(request) = api_requests.recv() => match request {
                    DaemonRequest::Shutdown => break false,
                    // The API checked the file before answering; it may
                    // have changed since.
                    DaemonRequest::Restart => match run.load() {
                        Ok(new) => {
                            last_good = Some(std::mem::replace(&mut config, new));
                            break true;
                        }
                        Err(e) => {
                            logger(LogLevel::Critical, &format!("restart requested but the configuration is invalid; not restarting:\n{e}"));
                            daemon.resume();
                            continue;
                        }
                    },
                },
            };
            match received {
                Signal::HUP => {
                    // Check the new file before stopping anything: a broken
                    // edit must not leave every program down.
                    match run.load() {
                        Ok(new) => {
                            logger(LogLevel::Warn, "received SIGHUP indicating restart request");
                            last_good = Some(std::mem::replace(&mut config, new));
                            break true;
                        }
                        Err(e) => {
                            logger(
                                LogLevel::Critical,
                                &format!("received SIGHUP but the configuration is invalid; not restarting:\n{e}"),
                            );
                            // A manager that sent the HUP (Type=notify-reload)
                            // waits for the reload to end: it ended here.
                            if let Some(n) = &run.notifier {
                                n.reloading();
                                n.ready("reload refused: the configuration is invalid");
                            }
                        }
                    }
                }
                Signal::USR2 => {
                    logger(LogLevel::Info, "received SIGUSR2 indicating log reopen request");
                    supervisor.reopen_logs().await;
                }
                other => {
                    logger(LogLevel::Warn, &format!("received {other} indicating exit request"));
                    break false;
                }
            }
        };
        if let Some(n) = &run.notifier {
            if restart { n.reloading() } else { n.stopping() }
        }
        // No new request changes the groups from here on.
        daemon.mark_stopping();
        // The groups to fall back to are the ones that ran (with those the
        // API added or removed).
        if restart && let Some(good) = last_good.as_mut() {
            good.groups = supervisor.group_configs().await;
        }
        let watcher = supervisor.clone();
        if let Err(why) = supervisor.shutdown().await {
            logger(LogLevel::Critical, &why.to_string());
        }
        // A program's shutdown_on may have begun this end before a signal
        // or request came: its exit status stands, and there is no restart.
        if let Ok(ended) = watcher.closed().await
            && let Some(cause) = ended.cause
        {
            container_exit = Some(cause.exit_code);
        }
        let restart = restart && container_exit.is_none();
        // Requests wait for the next daemon (or get 503 at exit).
        servers.pause();
        let _ = std::fs::remove_file(&pidfile);
        if !restart {
            servers.stop().await;
            return match container_exit {
                Some(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
                None => ExitCode::SUCCESS,
            };
        }
    }
}

/// The next tick of `ticks`; never, without one.
async fn tick(ticks: &mut Option<tokio::time::Interval>) {
    match ticks {
        Some(t) => {
            t.tick().await;
        }
        None => std::future::pending().await,
    }
}
