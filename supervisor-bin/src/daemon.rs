//! `supervisord` proper: command-line overrides over the file, daemonizing,
//! the pidfile, supervisord.log, and the signals that stop, restart and
//! reopen logs. The process engine itself is supervisor-core's.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use supervisor_core::config::{Config, LoadOptions, LogLevel};
use supervisor_core::logging::MainLog;
use supervisor_core::platform::SpawnContext;
use supervisor_core::platform::limits::raise_limits;
use supervisor_core::platform::privileges::{become_subreaper, drop_privileges};
use supervisor_core::platform::reap;
use supervisor_core::signals::Signal;
use supervisor_core::supervisor::{RunOptions, Supervisor};
use supervisor_rpc::RpcRegistry;
use supervisor_rpc::daemon::{Daemon, DaemonRequest};
use supervisor_rpc::listen::server_url;
use supervisor_rpc::server::{Bound, bind_all, dispatcher, serve as serve_api};
use tokio::runtime::Handle;
use tokio::signal::unix::{SignalKind, signal};

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

/// Reads the config with the command line applied.
pub fn load(path: &Path, a: &ServerArgs) -> Result<Config, String> {
    let mut config = Config::load(path).map_err(|e| e.to_string())?;
    apply_overrides(&mut config, a);
    Ok(config)
}

/// Detaches as 4.3.0 does: fork (the parent exits 0), chdir to
/// `directory`, stdio to /dev/null, setsid, umask. Must run before any
/// thread exists.
fn daemonize(config: &Config) -> Result<(), String> {
    // SAFETY: called before the runtime or any other thread is started.
    match unsafe { nix::unistd::fork() } {
        Err(e) => return Err(format!("could not fork: {e}")),
        Ok(nix::unistd::ForkResult::Parent { .. }) => std::process::exit(0),
        Ok(nix::unistd::ForkResult::Child) => {}
    }
    if let Some(dir) = &config.supervisord.directory {
        std::env::set_current_dir(dir).map_err(|e| format!("can't chdir into {}: {e}", dir.display()))?;
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
    Ok(())
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
        if let Some(at) = name.find(&marker)
            && at > 0
            && stem.ends_with(".log")
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
        return Ok(MainLog::to_syslog(s.loglevel, echo));
    }
    let file = supervisor_core::config::datatypes::abspath(&s.logfile);
    MainLog::open(Some(file.clone()), s.logfile_maxbytes, s.logfile_backups, s.loglevel, echo)
        .map_err(|e| format!("could not open logfile {}: {e}", file.display()))
}

/// Runs supervisord until it is told to exit.
pub fn run(path: PathBuf, args: &ServerArgs) -> ExitCode {
    let mut config = match load(&path, args) {
        Ok(c) => c,
        Err(e) => return fail(&e),
    };
    // Bind before detaching, so "address in use" reaches the terminal and
    // the exit status, and before dropping privileges (low ports, socket
    // files in root's directories).
    let bound = match bind_all(&config) {
        Ok(b) => b,
        Err(e) => return fail(&e.to_string()),
    };
    if !config.supervisord.nodaemon
        && let Err(e) = daemonize(&config)
    {
        return fail(&e);
    }
    // As 4.3.0: drop privileges, then raise limits, before the log is opened
    // (so it belongs to the new user) and before any child starts.
    let mut infos = Vec::new();
    if let Some(user) = &config.supervisord.user {
        match drop_privileges(user) {
            Ok(Some(uid)) => infos.push(format!("Set uid to user {uid} succeeded")),
            Ok(None) => {}
            Err(e) => return fail(&e),
        }
    }
    match raise_limits(config.supervisord.minfds, config.supervisord.minprocs) {
        Ok(lines) => infos.extend(lines),
        Err(e) => return fail(&e.to_string()),
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
        Err(e) => return fail(&format!("could not start the runtime: {e}")),
    };
    // Requests get threads of their own, with a short slice: a flood of
    // child output keeps the engine's two busy, and a client must not wait
    // behind it. Two, so one long answer or log read does not hold up a
    // `getState`.
    let api = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("supervisor-api")
        .on_thread_start(|| {
            supervisor_core::platform::sched::short_slice();
        })
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => return fail(&format!("could not start the runtime: {e}")),
    };
    runtime.block_on(serve(path, args.clone(), config, bound, api.handle().clone(), reaping))
}

fn fail(message: &str) -> ExitCode {
    eprintln!("Error: {message}");
    ExitCode::from(2)
}

async fn serve(
    path: PathBuf,
    args: ServerArgs,
    mut config: Config,
    bound: Bound,
    api: Handle,
    reaping: Result<(), reap::NotAutomatic>,
) -> ExitCode {
    let mut bound = Some(bound);
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
    let environ: Vec<_> = std::env::vars_os().collect();
    loop {
        let log = match open_log(&config) {
            Ok(l) => Arc::new(Mutex::new(l)),
            Err(e) => return fail(&e),
        };
        if nix::unistd::geteuid().is_root() && config.supervisord.user.is_none() {
            write(
                &log,
                LogLevel::Critical,
                "Supervisor is running as root.  Privileges were not dropped because no user is specified in the \
                 config file.  If you intend to run as root, you can set user=root in the config file to avoid \
                 this message.",
            );
        }
        for w in &config.messages.warnings {
            write(&log, LogLevel::Warn, w);
        }
        for i in &config.messages.infos {
            write(&log, LogLevel::Info, i);
        }
        if !config.supervisord.nocleanup {
            clear_auto_child_logs(&config, &log);
        }
        let pidfile = supervisor_core::config::datatypes::abspath(&config.supervisord.pidfile);
        let pid = std::process::id();
        if std::fs::write(&pidfile, format!("{pid}\n")).is_err() {
            // 4.3.0 logs this and runs on; a daemon nobody can find by its
            // pidfile is worse than one that refuses to start.
            let message = format!("could not write pidfile {}", pidfile.display());
            write(&log, LogLevel::Critical, &message);
            if let Some(b) = bound.take() {
                drop(b);
            }
            for s in &config.http_servers {
                if let supervisor_core::config::Listen::Unix { file, .. } = &s.listen {
                    let _ = std::fs::remove_file(file);
                }
            }
            return fail(&message);
        }
        write(&log, LogLevel::Info, &format!("supervisord started with pid {pid}"));
        match reaping {
            Ok(()) => write(&log, LogLevel::Debug, "children are reaped by the kernel as they exit"),
            Err(why) => write(&log, LogLevel::Debug, &format!("children are reaped by waiting: {why}")),
        }
        // A restart binds the servers of the new config afresh.
        let this_bound = match bound.take() {
            Some(b) => b,
            None => match bind_all(&config) {
                Ok(b) => b,
                Err(e) => {
                    write(&log, LogLevel::Critical, &e.to_string());
                    let _ = std::fs::remove_file(&pidfile);
                    return ExitCode::from(2);
                }
            },
        };
        let options = RunOptions {
            mainlog: Some(log.clone()),
            spawn: SpawnContext { environ: environ.clone(), serverurl: server_url(&config.http_servers) },
            ..RunOptions::default()
        };
        let supervisor = match Supervisor::start(config.clone(), options) {
            Ok(s) => s,
            Err(e) => {
                let _ = std::fs::remove_file(&pidfile);
                return fail(&e.to_string());
            }
        };
        let (daemon, mut api_requests) = Daemon::new(supervisor.clone(), &config, LoadOptions::default());
        let daemon = Arc::new(daemon);
        let serving =
            match dispatcher(&daemon, &config, &RpcRegistry::with_main()).map_err(|e| e.to_string()).and_then(|d| {
                serve_api(&api, this_bound, d, &config, Some(supervisor.clone()), |level, m| write(&log, level, m))
                    .map_err(|e| e.to_string())
            }) {
                Ok(s) => s,
                Err(e) => {
                    write(&log, LogLevel::Critical, &e);
                    supervisor.shutdown().await;
                    let _ = std::fs::remove_file(&pidfile);
                    return ExitCode::from(2);
                }
            };
        let restart = loop {
            let received = tokio::select! {
                _ = term.recv() => Signal::TERM,
                _ = int.recv() => Signal::INT,
                _ = quit.recv() => Signal::QUIT,
                _ = hup.recv() => Signal::HUP,
                _ = usr2.recv() => Signal::USR2,
                Some(request) = api_requests.recv() => match request {
                    DaemonRequest::Shutdown => break false,
                    DaemonRequest::Restart => match load(&path, &args) {
                        Ok(new) => {
                            config = new;
                            break true;
                        }
                        Err(e) => {
                            write(&log, LogLevel::Critical, &format!("restart requested but the configuration is invalid; not restarting:\n{e}"));
                            continue;
                        }
                    },
                },
            };
            match received {
                Signal::HUP => {
                    // Check the new file before stopping anything: a broken
                    // edit must not leave every program down.
                    match load(&path, &args) {
                        Ok(new) => {
                            write(&log, LogLevel::Warn, "received SIGHUP indicating restart request");
                            config = new;
                            break true;
                        }
                        Err(e) => write(
                            &log,
                            LogLevel::Critical,
                            &format!("received SIGHUP but the configuration is invalid; not restarting:\n{e}"),
                        ),
                    }
                }
                Signal::USR2 => {
                    write(&log, LogLevel::Info, "received SIGUSR2 indicating log reopen request");
                    supervisor.reopen_logs().await;
                }
                other => {
                    write(&log, LogLevel::Warn, &format!("received {other} indicating exit request"));
                    break false;
                }
            }
        };
        daemon.mark_stopping();
        supervisor.shutdown().await;
        serving.stop();
        let _ = std::fs::remove_file(&pidfile);
        if !restart {
            return ExitCode::SUCCESS;
        }
    }
}
