//! The real `supervisord` binary: foreground and daemon modes, pidfile,
//! HUP restart in the same pid, USR2, TERM shutdown with no survivors.

use std::path::Path;
use std::process::{Command, Stdio};

mod common;
use common::*;

fn write_config(dir: &Path, nodaemon: bool) -> std::path::PathBuf {
    let d = dir.display();
    let text = format!(
        "[supervisord]\nlogfile={d}/supervisord.log\npidfile={d}/supervisord.pid\nchildlogdir={d}\nnodaemon={nodaemon}\n\
         [program:a]\ncommand=sleep 300\nstartsecs=0\npriority=1\n[program:b]\ncommand=sleep 300\nstartsecs=0\npriority=2\n"
    );
    let path = dir.join("supervisord.conf");
    std::fs::write(&path, text).expect("write config");
    path
}

fn pid_in(dir: &Path) -> Option<i32> {
    std::fs::read_to_string(dir.join("supervisord.pid")).ok()?.trim().parse().ok()
}

#[test]
fn foreground_signals_and_clean_exit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_config(dir.path(), true);
    let child = Command::new(env!("CARGO_BIN_EXE_supervisord"))
        .args(["-c", config.to_str().expect("path")])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let pid = child.id() as i32;
    let mut daemon = Guard::new(child);
    wait_until("two programs", || children(pid).len() == 2);
    assert_eq!(pid_in(dir.path()), Some(pid));
    let first = children(pid);

    kill(pid, nix::sys::signal::Signal::SIGUSR2);
    wait_until("reopen", || log(dir.path()).contains("INFO received SIGUSR2 indicating log reopen request"));

    kill(pid, nix::sys::signal::Signal::SIGHUP);
    wait_until("restart", || {
        let now = children(pid);
        now.len() == 2 && now.iter().all(|p| !first.contains(p))
    });
    assert!(log(dir.path()).contains("WARN received SIGHUP indicating restart request"));
    assert!(first.iter().all(|&p| !alive(p)), "old children must be gone");
    let second = children(pid);

    let out = daemon.0.take().map(|c| {
        kill(pid, nix::sys::signal::Signal::SIGTERM);
        c.wait_with_output().expect("wait")
    });
    let out = out.expect("output");
    assert_eq!(out.status.code(), Some(0));
    let text = log(dir.path());
    assert!(text.contains("WARN received SIGTERM indicating exit request"), "{text}");
    // Higher priority number stops first.
    let (b, a) = (text.rfind("stopped: b ").expect("b"), text.rfind("stopped: a ").expect("a"));
    assert!(b < a, "{text}");
    assert!(second.iter().all(|&p| !alive(p)), "no child survives");
    assert!(!dir.path().join("supervisord.pid").exists(), "pidfile removed");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("INFO supervisord started with pid"), "nodaemon echoes the log: {stdout}");
}

#[test]
fn daemon_mode_detaches_and_stops_on_term() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_config(dir.path(), false);
    let status = Command::new(env!("CARGO_BIN_EXE_supervisord"))
        .args(["-c", config.to_str().expect("path")])
        .status()
        .expect("run");
    assert!(status.success(), "the launching process exits 0");
    wait_until("pidfile", || pid_in(dir.path()).is_some());
    let pid = pid_in(dir.path()).expect("pid");
    wait_until("two programs", || children(pid).len() == 2);
    let kids = children(pid);
    kill(pid, nix::sys::signal::Signal::SIGTERM);
    wait_until("daemon exit", || !alive(pid));
    assert!(kids.iter().all(|&p| !alive(p)));
    assert!(!dir.path().join("supervisord.pid").exists());
}

#[test]
fn a_bad_config_exits_2_without_starting_anything() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bad.conf");
    std::fs::write(&path, "[supervisord]\nnodaemon=true\n[program:x]\ncommand=sleep 300\nstartsecs=soon\n")
        .expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_supervisord"))
        .args(["-c", path.to_str().expect("path")])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.starts_with("Error: ") && said.contains("[program:x] startsecs: invalid literal for int()"), "{said}");
    assert!(said.ends_with(&format!("\nFor help, use {} -h\n", env!("CARGO_BIN_EXE_supervisord"))), "{said}");
}

#[test]
fn command_line_options_override_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_config(dir.path(), true);
    let other_pid = dir.path().join("other.pid");
    let other_log = dir.path().join("other.log");
    let child = Command::new(env!("CARGO_BIN_EXE_supervisord"))
        .arg("-c")
        .arg(&config)
        .args(["-e", "debug", "-i", "custom", "-s"])
        .arg("-j")
        .arg(&other_pid)
        .arg("-l")
        .arg(&other_log)
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    let pid = child.id() as i32;
    let daemon = Guard::new(child);
    wait_until("two programs", || children(pid).len() == 2);
    wait_until("the other pidfile", || other_pid.exists());
    assert!(!dir.path().join("supervisord.pid").exists(), "-j wins over pidfile=");
    let out = daemon.finish();
    assert!(out.stdout.is_empty(), "-s keeps stdout quiet");
    let text = std::fs::read_to_string(&other_log).expect("-l log");
    assert!(text.contains(" DEBG killing a (pid"), "-e debug: {text}");
    assert!(!dir.path().join("supervisord.log").exists(), "-l wins over logfile=");
}

#[test]
fn usr2_reopens_a_log_rotated_from_outside() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_config(dir.path(), true);
    let (daemon, pid) = start_daemon(&config);
    wait_until("startup", || log(dir.path()).contains("supervisord started"));
    let rotated = dir.path().join("supervisord.log.1");
    std::fs::rename(dir.path().join("supervisord.log"), &rotated).expect("rotate");
    kill(pid, nix::sys::signal::Signal::SIGUSR2);
    wait_until("reopen", || std::fs::read_to_string(&rotated).is_ok_and(|t| t.contains("supervisord logreopen")));
    daemon.finish();
    let fresh = log(dir.path());
    assert!(fresh.contains("received SIGTERM indicating exit request"), "new lines go to a new file: {fresh}");
    assert!(!fresh.contains("supervisord started"));
}

#[test]
fn an_unwritable_logfile_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("s.conf");
    // /proc exists, so the config is valid, but nothing can be created there.
    std::fs::write(
        &path,
        "[supervisord]\nnodaemon=true\nlogfile=/proc/supervisord-test.log\n[program:x]\ncommand=sleep 300\n",
    )
    .expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_supervisord")).arg("-c").arg(&path).output().expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("could not open logfile /proc/supervisord-test.log"), "{err}");
}

fn sock_config(dir: &Path, extra: &str) -> std::path::PathBuf {
    let d = dir.display();
    let text = format!(
        "[unix_http_server]\nfile={d}/s.sock\n[supervisord]\nlogfile={d}/supervisord.log\npidfile={d}/supervisord.pid\n\
         childlogdir={d}\nnodaemon=true\n{extra}\n[program:a]\ncommand=sleep 300\nstartsecs=0\n"
    );
    let path = dir.join("supervisord.conf");
    std::fs::write(&path, text).expect("write");
    path
}

#[test]
fn a_second_supervisord_on_the_same_socket_refuses_and_leaves_the_first_alone() {
    let dir = tempfile::tempdir().expect("tempdir");
    let conf = sock_config(dir.path(), "");
    let first = Command::new(env!("CARGO_BIN_EXE_supervisord"))
        .arg("-c")
        .arg(&conf)
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn");
    let pid = first.id() as i32;
    let first = Guard::new(first);
    wait_until("the first is up", || children(pid).len() == 1 && dir.path().join("s.sock").exists());
    let second = Command::new(env!("CARGO_BIN_EXE_supervisord")).arg("-c").arg(&conf).output().expect("second");
    assert_eq!(second.status.code(), Some(2));
    let err = String::from_utf8_lossy(&second.stderr);
    assert!(
        err.contains(
            "Another program is already listening on a port that one of our HTTP servers is configured to use."
        ),
        "{err}"
    );
    assert!(dir.path().join("s.sock").exists(), "the first one's socket is untouched");
    assert!(std::os::unix::net::UnixStream::connect(dir.path().join("s.sock")).is_ok());
    assert_eq!(children(pid).len(), 1, "no second copy of the program");
    let out = first.finish();
    assert_eq!(out.status.code(), Some(0));
    assert!(!dir.path().join("s.sock").exists(), "socket removed on exit");
}

#[test]
fn a_stale_socket_is_replaced() {
    let dir = tempfile::tempdir().expect("tempdir");
    let conf = sock_config(dir.path(), "");
    // A socket file nobody listens on, as a killed supervisord leaves behind.
    let sock = dir.path().join("s.sock");
    drop(std::os::unix::net::UnixListener::bind(&sock).expect("bind"));
    let child = Command::new(env!("CARGO_BIN_EXE_supervisord"))
        .arg("-c")
        .arg(&conf)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let pid = child.id() as i32;
    let daemon = Guard::new(child);
    wait_until("running", || children(pid).len() == 1);
    assert!(std::os::unix::net::UnixStream::connect(&sock).is_ok());
    let out = daemon.finish();
    // As 4.3.0: on stderr, not in the log.
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.starts_with(&format!("Unlinking stale socket {}\n", sock.display())), "{said}");
}

#[test]
fn a_tcp_port_in_use_refuses_with_nothing_left_behind() {
    let dir = tempfile::tempdir().expect("tempdir");
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = taken.local_addr().expect("addr").port();
    let conf = sock_config(dir.path(), &format!("[inet_http_server]\nport=127.0.0.1:{port}\n"));
    let out = Command::new(env!("CARGO_BIN_EXE_supervisord")).arg("-c").arg(&conf).output().expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Another program is already listening"));
    assert!(!dir.path().join("s.sock").exists(), "the unix socket bound first is cleaned up");
    assert!(!dir.path().join("supervisord.pid").exists());
}

#[test]
fn an_unwritable_pidfile_refuses_to_start() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path().display();
    let path = dir.path().join("s.conf");
    std::fs::write(
        &path,
        format!("[supervisord]\nnodaemon=true\nlogfile={d}/supervisord.log\npidfile=/proc/supervisord-test.pid\n[program:x]\ncommand=sleep 300\n"),
    )
    .expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_supervisord")).arg("-c").arg(&path).output().expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("could not write pidfile /proc/supervisord-test.pid"));
    assert!(!log(dir.path()).contains("spawned"), "nothing started");
}

#[test]
fn killing_supervisord_takes_its_children_along_so_a_restart_never_doubles_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_config(dir.path(), true);
    let (first, pid) = start_daemon(&config);
    wait_until("two programs", || children(pid).len() == 2);
    let orphans = children(pid);
    kill(pid, nix::sys::signal::Signal::SIGKILL);
    drop(first);
    wait_until("children gone with the daemon", || orphans.iter().all(|&c| !alive(c)));
    // A second supervisord starts exactly one copy of each program.
    let (second, pid2) = start_daemon(&config);
    wait_until("two programs again", || children(pid2).len() == 2);
    std::thread::sleep(std::time::Duration::from_millis(300));
    let running = std::fs::read_dir("/proc")
        .expect("proc")
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|&p| stat_field(p, 1).and_then(|pp| pp.parse::<i32>().ok()) == Some(pid2) || orphans.contains(&p))
        .filter(|&p| alive(p))
        .count();
    assert_eq!(running, 2, "one copy of each program");
    second.finish();
}

/// Linux clears the parent-death signal when a child switches user: a
/// program with `user=` must still go down with a SIGKILLed supervisord.
#[test]
fn programs_with_a_user_die_with_the_daemon() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path().display();
    let text = format!(
        "[supervisord]\nlogfile={d}/supervisord.log\npidfile={d}/supervisord.pid\nchildlogdir={d}\nnodaemon=true\n\
         [program:a]\ncommand=sleep 300\nstartsecs=0\nuser=nobody\n"
    );
    let config = write_conf(dir.path(), &text);
    let (first, pid) = start_daemon(&config);
    // The program itself (not a short-lived child of startup, such as the
    // reaper's probe), running as nobody.
    let runs_as_nobody = |c: i32| {
        std::fs::read_to_string(format!("/proc/{c}/status"))
            .is_ok_and(|s| s.lines().any(|l| l.starts_with("Uid:") && l.contains("65534")))
    };
    wait_until("the program, as nobody", || children(pid).iter().any(|&c| runs_as_nobody(c)));
    let orphans: Vec<i32> = children(pid).into_iter().filter(|&c| runs_as_nobody(c)).collect();
    assert_eq!(orphans.len(), 1);
    kill(pid, nix::sys::signal::Signal::SIGKILL);
    drop(first);
    wait_until("the program gone with the daemon", || orphans.iter().all(|&c| !alive(c)));
}

/// Runs supervisord in daemon mode on `text` (as `uid` when given) and
/// returns the launching process's exit code and stderr.
fn launch(dir: &Path, text: &str, uid: Option<u32>) -> (Option<i32>, String) {
    use std::os::unix::process::CommandExt;
    let config = write_conf(dir, text);
    let mut command = Command::new(env!("CARGO_BIN_EXE_supervisord"));
    command.arg("-c").arg(&config).current_dir(dir);
    if let Some(uid) = uid {
        command.uid(uid).gid(uid);
    }
    let out = command.output().expect("run");
    (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// In daemon mode the launching process waits until the daemon is up, so
/// a failure after the fork reaches the terminal and the exit status.
#[test]
fn a_daemon_that_cannot_start_says_why_to_its_launcher() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path().display();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).expect("chmod");
    let head = |extra: &str| {
        format!(
            "[unix_http_server]\nfile={d}/s.sock\n[supervisord]\nlogfile={d}/supervisord.log\n{extra}\n\
             [program:x]\ncommand=sleep 300\n"
        )
    };
    let no_socket_left = || assert!(!dir.path().join("s.sock").exists(), "the socket file is removed");

    // A pidfile that cannot be written (it names a directory).
    std::fs::create_dir(dir.path().join("adir")).expect("mkdir");
    let (code, err) = launch(dir.path(), &head(&format!("pidfile={d}/adir")), None);
    assert_eq!((code, err.as_str()), (Some(2), format!("Error: could not write pidfile {d}/adir\n").as_str()));

    // minfds above what even root may have.
    let (code, err) = launch(dir.path(), &head(&format!("pidfile={d}/p.pid\nminfds=100000000")), None);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.starts_with("Error: The minimum number of file descriptors required to run this process is 100000000 "),
        "{err}"
    );
    assert!(err.ends_with(" -h\n") && err.contains("\nFor help, use "), "{err}");
    no_socket_left();

    let nobody = 65534;
    // user=root, started by an unprivileged user.
    let (code, err) = launch(dir.path(), &head(&format!("pidfile={d}/p.pid\nuser=root")), Some(nobody));
    assert_eq!(code, Some(2), "{err}");
    assert!(err.starts_with("Error: Can't drop privilege as nonroot user\nFor help, use "), "{err}");
    no_socket_left();

    // A log in a directory the user cannot write.
    std::fs::create_dir(dir.path().join("ro")).expect("mkdir");
    let text =
        format!("[supervisord]\nlogfile={d}/ro/supervisord.log\npidfile={d}/p.pid\n[program:x]\ncommand=sleep 300\n");
    let (code, err) = launch(dir.path(), &text, Some(nobody));
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.starts_with(&format!("Error: could not open logfile {d}/ro/supervisord.log: Permission denied")),
        "{err}"
    );
    assert!(!dir.path().join("p.pid").exists(), "no daemon left behind");
}

/// Relative `logfile` and `pidfile` are taken against the directory
/// supervisord was started from, not `directory=` (as 4.3.0).
#[test]
fn relative_log_and_pidfile_are_from_the_start_directory() {
    let dir = tempfile::tempdir().expect("tempdir");
    let elsewhere = dir.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).expect("mkdir");
    let text = format!(
        "[supervisord]\nlogfile=rel.log\npidfile=rel.pid\ndirectory={}\n[program:x]\ncommand=sleep 300\nstartsecs=0\n",
        elsewhere.display()
    );
    let (code, err) = launch(dir.path(), &text, None);
    assert_eq!(code, Some(0), "{err}");
    let pidfile = dir.path().join("rel.pid");
    let pid: i32 =
        std::fs::read_to_string(&pidfile).expect("the pidfile where it was started").trim().parse().expect("pid");
    let log = std::fs::read_to_string(dir.path().join("rel.log")).expect("the log where it was started");
    assert!(log.contains(&format!("INFO set current directory: '{}'", elsewhere.display())), "{log}");
    assert!(!elsewhere.join("rel.log").exists());
    kill(pid, nix::sys::signal::Signal::SIGTERM);
    wait_until("the daemon gone", || !alive(pid));
}

/// At shutdown, `waiting for ... to die` names every process not yet
/// stopped, in every group (as 4.3.0), not only the group being stopped.
#[test]
fn waiting_to_die_names_every_process_still_up() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path().display();
    let text = format!(
        "[supervisord]\nlogfile={d}/supervisord.log\npidfile={d}/supervisord.pid\nnodaemon=true\n\
         [program:hi]\ncommand=sh -c \"trap '' TERM; sleep 300\"\npriority=999\nstopwaitsecs=1\nstartsecs=0\n\
         [program:lo]\ncommand=sleep 300\npriority=1\nstartsecs=0\n"
    );
    let conf = write_conf(dir.path(), &text);
    let (daemon, pid) = start_daemon(&conf);
    wait_until("both running", || children(pid).len() == 2);
    std::thread::sleep(std::time::Duration::from_millis(200));
    assert_eq!(daemon.finish().status.code(), Some(0));
    let text = log(dir.path());
    assert!(text.contains("INFO waiting for lo, hi to die\n"), "{text}");
}
