//! Our supervisorctl's streaming commands against our supervisord:
//! `tail -f` (ended by Ctrl-C), `maintail -f`, and `fg`.

mod common;
use common::*;

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

fn config(dir: &Path) -> std::path::PathBuf {
    let d = dir.display();
    let sections = daemon_sections(dir, "");
    let text = format!(
        "{sections}[supervisorctl]\nserverurl=unix://{d}/s.sock\n\
         [program:ticker]\ncommand=sh -c 'i=0; while true; do echo tick-$i; i=$((i+1)); sleep 0.2; done'\nstartsecs=0\nstopasgroup=true\n\
         [program:echo]\ncommand=cat\nstartsecs=0\n"
    );
    write_conf(dir, &text)
}

fn start(dir: &Path) -> (Guard, std::path::PathBuf) {
    let conf = config(dir);
    let (guard, pid) = start_daemon(&conf);
    wait_until("both programs", || children(pid).len() >= 2 && dir.join("s.sock").exists());
    (guard, conf)
}

#[test]
fn tail_f_follows_and_ctrl_c_ends_it_cleanly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (daemon, conf) = start(dir.path());
    let mut tail = Command::new(env!("CARGO_BIN_EXE_supervisorctl"))
        .arg("-c")
        .arg(&conf)
        .args(["tail", "-f", "ticker"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("tail");
    // Let it see several new lines, then interrupt it.
    std::thread::sleep(Duration::from_millis(1500));
    kill(tail.id() as i32, nix::sys::signal::Signal::SIGINT);
    let status = tail.wait().expect("wait");
    let mut out = String::new();
    tail.stdout.take().expect("stdout").read_to_string(&mut out).expect("read");
    assert_eq!(status.code(), Some(0), "{out}");
    assert!(out.starts_with("==> Press Ctrl-C to exit <==\n"), "{out}");
    let ticks = out.lines().filter(|l| l.starts_with("tick-")).count();
    assert!(ticks >= 3, "followed new output: {out}");
    assert!(out.ends_with("\n\n"), "an empty line on Ctrl-C: {out:?}");
    daemon.finish();
}

#[test]
fn maintail_f_streams_the_main_log() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (daemon, conf) = start(dir.path());
    let mut tail = Command::new(env!("CARGO_BIN_EXE_supervisorctl"))
        .arg("-c")
        .arg(&conf)
        .args(["maintail", "-f"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("maintail");
    std::thread::sleep(Duration::from_millis(500));
    let status = Command::new(env!("CARGO_BIN_EXE_supervisorctl"))
        .arg("-c")
        .arg(&conf)
        .args(["stop", "echo"])
        .output()
        .expect("stop");
    assert!(status.status.success());
    std::thread::sleep(Duration::from_millis(700));
    kill(tail.id() as i32, nix::sys::signal::Signal::SIGINT);
    tail.wait().expect("wait");
    let mut out = String::new();
    tail.stdout.take().expect("stdout").read_to_string(&mut out).expect("read");
    assert!(out.contains("stopped: echo"), "a line written while following: {out}");
    daemon.finish();
}

#[test]
fn fg_sends_typed_lines_and_shows_the_output() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (daemon, conf) = start(dir.path());
    let mut fg = Command::new(env!("CARGO_BIN_EXE_supervisorctl"))
        .arg("-c")
        .arg(&conf)
        .args(["fg", "echo"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("fg");
    let mut stdin = fg.stdin.take().expect("stdin");
    stdin.write_all(b"hello from fg\n").expect("write");
    std::thread::sleep(Duration::from_millis(800));
    drop(stdin);
    let out = fg.wait_with_output().expect("wait");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("==> Press Ctrl-C to exit <==\n"), "{text}");
    assert!(text.contains("hello from fg"), "the process echoed our line: {text}");
    assert!(text.trim_end().ends_with("Exiting foreground"), "{text}");
    daemon.finish();
}

#[test]
fn update_restarts_only_the_programs_that_changed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path().display();
    let make = |second: &str| {
        format!(
            "[unix_http_server]\nfile={d}/s.sock\n[supervisord]\nlogfile={d}/supervisord.log\npidfile={d}/supervisord.pid\n\
             childlogdir={d}\nnodaemon=true\n\
             [rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n\
             [supervisorctl]\nserverurl=unix://{d}/s.sock\n\
             [group:g]\nprograms=one,two\n\
             [program:one]\ncommand=sleep 300\nstartsecs=0\n\
             [program:two]\ncommand={second}\nstartsecs=0\n"
        )
    };
    let conf = dir.path().join("supervisord.conf");
    std::fs::write(&conf, make("sleep 300")).expect("write");
    let (daemon, pid) = start_daemon(&conf);
    wait_until("both", || children(pid).len() == 2 && dir.path().join("s.sock").exists());
    let ctl = |args: &[&str]| {
        let out =
            Command::new(env!("CARGO_BIN_EXE_supervisorctl")).arg("-c").arg(&conf).args(args).output().expect("ctl");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let pid_of = |name: &str| ctl(&["pid", name]).trim().to_owned();
    let (one, two) = (pid_of("g:one"), pid_of("g:two"));
    std::fs::write(&conf, make("sleep 301")).expect("rewrite");
    assert_eq!(ctl(&["reread"]), "g: changed\n");
    // 4.3.0's lines for a changed group, though only two restarted.
    assert_eq!(ctl(&["update"]), "g: stopped\ng: updated process group\n");
    wait_until("two restarted", || {
        let p = pid_of("g:two");
        p != two && p != "0"
    });
    assert_eq!(pid_of("g:one"), one, "the unchanged program kept running");
    assert_eq!(ctl(&["reread"]), "No config updates to processes\n");
    daemon.finish();
}
