//! supervisord's process-level duties: reaping orphans (as subreaper and as
//! PID 1), dropping privileges, raising or refusing rlimits.

use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};

mod common;
use common::*;

fn config(dir: &Path, extra: &str, programs: &str) -> std::path::PathBuf {
    let d = dir.display();
    let text = format!(
        "[supervisord]\nlogfile={d}/supervisord.log\npidfile={d}/supervisord.pid\nchildlogdir={d}\nnodaemon=true\n{extra}\n{programs}"
    );
    let path = dir.join("supervisord.conf");
    std::fs::write(&path, text).expect("write");
    path
}

/// A program whose grandchild outlives its parent and must be reaped by us.
/// (No space before `;`: in Supervisor's format ` ;` starts a comment.)
const ORPHAN_MAKER: &str = "[program:orphans]\ncommand=sh -c '(sleep 1 &); sleep 300'\nstartsecs=0\nstopasgroup=true\n";

/// The program's orphaned `sleep` becomes supervisord's child, then is gone
/// without a trace: released by the kernel at exit where it keeps exit
/// statuses for pidfds (Linux 6.15+), else reaped and logged as 4.3.0 does.
fn orphan_comes_and_goes(dir: &Path, daemon: i32) {
    let sleeping = || {
        children(daemon).into_iter().find(|p| {
            std::fs::read_to_string(format!("/proc/{p}/cmdline")).is_ok_and(|c| c.starts_with("sleep\x001\x00"))
        })
    };
    wait_until("the orphan handed to supervisord", || sleeping().is_some());
    wait_until("the orphan gone", || sleeping().is_none() && zombies(daemon) == 0);
    let log = log(dir);
    let reaped = log.lines().find(|l| l.contains("INFO reaped unknown pid"));
    if log.contains("DEBG children are reaped by the kernel as they exit") {
        assert_eq!(reaped, None, "the kernel released it unseen");
    } else {
        assert!(log.contains("DEBG children are reaped by waiting: "), "{log}");
        let line = reaped.unwrap_or_else(|| panic!("the waiting reaper logs the orphan: {log}"));
        assert!(line.ends_with("(exit status 0)"), "{line}");
    }
}

#[test]
fn orphaned_grandchildren_are_reaped_as_subreaper() {
    let dir = tempfile::tempdir().expect("tempdir");
    let conf = config(dir.path(), "loglevel=debug", ORPHAN_MAKER);
    let (daemon, pid) = start_daemon(&conf);
    orphan_comes_and_goes(dir.path(), pid);
    assert_eq!(zombies(pid), 0);
    let out = daemon.finish();
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn as_pid_1_in_a_new_pid_namespace() {
    let dir = tempfile::tempdir().expect("tempdir");
    let conf = config(dir.path(), "loglevel=debug", ORPHAN_MAKER);
    let unshare = Command::new("unshare")
        .args(["--pid", "--fork", "--kill-child"])
        .arg(env!("CARGO_BIN_EXE_supervisord"))
        .arg("-c")
        .arg(&conf)
        .stdout(Stdio::null())
        .spawn()
        .expect("unshare");
    let outer = unshare.id() as i32;
    let mut guard = Guard::new(unshare);
    let mut inner = 0;
    wait_until("supervisord inside the namespace", || {
        inner = children(outer).first().copied().unwrap_or(0);
        inner != 0 && std::fs::read_to_string(dir.path().join("supervisord.pid")).is_ok()
    });
    assert_eq!(std::fs::read_to_string(dir.path().join("supervisord.pid")).expect("pid").trim(), "1");
    orphan_comes_and_goes(dir.path(), inner);
    assert_eq!(zombies(inner), 0);
    // Signal supervisord (PID 1 inside), not unshare.
    guard.1 = inner;
    let out = guard.finish();
    assert_eq!(out.status.code(), Some(0), "{}", log(dir.path()));
    assert!(log(dir.path()).contains("WARN received SIGTERM indicating exit request"));
}

fn world_readable_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).expect("chmod");
    dir
}

#[test]
fn user_drops_privileges_for_the_daemon_and_its_children() {
    if !nix::unistd::geteuid().is_root() {
        eprintln!("skipped: needs root to switch users");
        return;
    }
    let dir = world_readable_dir();
    let conf = config(dir.path(), "user=nobody", "[program:p]\ncommand=sleep 300\nstartsecs=0\n");
    let (daemon, pid) = start_daemon(&conf);
    wait_until("a child", || !children(pid).is_empty());
    let uid_of = |p: i32| {
        std::fs::read_to_string(format!("/proc/{p}/status")).ok().and_then(|s| {
            s.lines().find(|l| l.starts_with("Uid:")).map(|l| l.split_whitespace().nth(1).unwrap_or("").to_owned())
        })
    };
    let nobody = nix::unistd::User::from_name("nobody").expect("lookup").expect("nobody exists").uid.to_string();
    assert_eq!(uid_of(pid).as_deref(), Some(nobody.as_str()));
    assert_eq!(uid_of(children(pid)[0]).as_deref(), Some(nobody.as_str()));
    assert!(log(dir.path()).contains(&format!("INFO Set uid to user {nobody} succeeded")));
    let out = daemon.finish();
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn minfds_raises_the_soft_limit() {
    // Start with a soft limit below the hard one, then ask for more than
    // the soft limit but no more than the hard one.
    let (_, hard) = nix::sys::resource::getrlimit(nix::sys::resource::Resource::RLIMIT_NOFILE).expect("rlimit");
    let (soft, want) = (hard.min(4096) / 2, hard.min(4096) / 2 + 1);
    let dir = tempfile::tempdir().expect("tempdir");
    let conf = config(dir.path(), &format!("minfds={want}"), "");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_supervisord"));
    cmd.arg("-c").arg(&conf).stdout(Stdio::null());
    // SAFETY: setrlimit between fork and exec, no allocation.
    unsafe {
        cmd.pre_exec(move || {
            let lim = libc::rlimit { rlim_cur: soft, rlim_max: hard };
            libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
            Ok(())
        });
    }
    let child = cmd.spawn().expect("spawn");
    let pid = child.id() as i32;
    let daemon = Guard::new(child);
    wait_until("startup", || log(dir.path()).contains("supervisord started"));
    assert!(log(dir.path()).contains(&format!("INFO Increased RLIMIT_NOFILE limit to {want}")), "{}", log(dir.path()));
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).expect("limits");
    let open_files = limits.lines().find(|l| l.starts_with("Max open files")).expect("line");
    assert!(open_files.split_whitespace().any(|w| w == want.to_string()), "{open_files}");
    daemon.finish();
}

#[test]
fn minfds_beyond_what_a_user_may_have_refuses_to_start() {
    if !nix::unistd::geteuid().is_root() {
        eprintln!("skipped: needs root to run the daemon as another user");
        return;
    }
    let dir = world_readable_dir();
    let conf = config(dir.path(), "minfds=4096", "");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_supervisord"));
    cmd.arg("-c").arg(&conf).uid(65534).gid(65534);
    // SAFETY: setrlimit between fork and exec, no allocation.
    unsafe {
        cmd.pre_exec(|| {
            let lim = libc::rlimit { rlim_cur: 256, rlim_max: 256 };
            libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
            Ok(())
        });
    }
    let out = cmd.output().expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(
            "The minimum number of file descriptors required to run this process is 4096 as per the \"minfds\""
        ),
        "{err}"
    );
    assert!(err.contains("will only allow you to open 256 file descriptors"), "{err}");
}

/// The Docker example's config (`examples/docker/supervisord.conf`, its
/// `/run` paths moved into a temp dir) as PID 1: both programs run, their
/// output and supervisord's log reach stdout, and SIGTERM ends it with 0.
#[test]
fn the_docker_example_runs_as_pid_1() {
    let dir = tempfile::tempdir().expect("tempdir");
    let example = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/docker/supervisord.conf");
    let text =
        std::fs::read_to_string(example).expect("the example").replace("/run/", &format!("{}/", dir.path().display()));
    let conf = dir.path().join("supervisord.conf");
    std::fs::write(&conf, text).expect("write");
    let unshare = Command::new("unshare")
        .args(["--pid", "--fork", "--kill-child"])
        .arg(env!("CARGO_BIN_EXE_supervisord"))
        .arg("-c")
        .arg(&conf)
        .stdout(Stdio::piped())
        .spawn()
        .expect("unshare");
    let outer = unshare.id() as i32;
    let mut guard = Guard::new(unshare);
    let mut inner = 0;
    wait_until("both programs as children of PID 1", || {
        inner = children(outer).first().copied().unwrap_or(0);
        inner != 0 && children(inner).len() == 2
    });
    assert_eq!(std::fs::read_to_string(dir.path().join("supervisord.pid")).expect("pid").trim(), "1");
    guard.1 = inner;
    let out = guard.finish();
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    for line in ["INFO supervisord started with pid 1", "ticker: tick", "worker: ready", "WARN received SIGTERM"] {
        assert!(stdout.contains(line), "{line}: {stdout}");
    }
}
