//! In-process restarts (`supervisorctl reload`, `supervisor.restart()`,
//! SIGHUP) never lose the daemon: the listening sockets stay open, a
//! keep-alive connection is answered by the restarted daemon, and an
//! invalid config is refused while everything keeps running.

use std::io::{Read, Write};
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

mod common;
use common::*;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

/// Both kinds of server, program `a`, in the foreground.
fn config(dir: &Path, port: u16) -> String {
    let d = dir.display();
    format!(
        "[unix_http_server]\nfile={d}/s.sock\n[inet_http_server]\nport=127.0.0.1:{port}\n\
         [supervisord]\nlogfile={d}/supervisord.log\npidfile={d}/supervisord.pid\nchildlogdir={d}\nnodaemon=true\n\
         [rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n\
         [supervisorctl]\nserverurl=unix://{d}/s.sock\n\
         [program:a]\ncommand=sleep 300\nstartsecs=0\n"
    )
}

/// `config` written and started, once program `a` runs: the config file,
/// the daemon and its pid.
fn running(dir: &Path, port: u16) -> (std::path::PathBuf, Guard, i32) {
    let conf = write_conf(dir, &config(dir, port));
    let (daemon, pid) = start_daemon(&conf);
    wait_until("the program", || children(pid).len() == 1);
    (conf, daemon, pid)
}

fn starts(dir: &Path) -> usize {
    log(dir).matches("INFO supervisord started with pid").count()
}

const GET_STATE: &str =
    "<?xml version='1.0'?><methodCall><methodName>supervisor.getState</methodName><params></params></methodCall>";

/// Keeps calling `getState` over TCP (five calls per keep-alive
/// connection) until `stop`; counts the answers.
fn hammer(port: u16, stop: Arc<AtomicBool>, answered: Arc<AtomicUsize>) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let request = format!(
            "POST /RPC2 HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/xml\r\nContent-Length: {}\r\n\r\n{GET_STATE}",
            GET_STATE.len()
        );
        while !stop.load(Ordering::Relaxed) {
            let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
                std::thread::sleep(Duration::from_millis(5));
                continue;
            };
            let _ = s.set_read_timeout(Some(Duration::from_secs(20)));
            for _ in 0..5 {
                if s.write_all(request.as_bytes()).is_err() {
                    break;
                }
                let mut buf = [0u8; 4096];
                match s.read(&mut buf) {
                    Ok(n) if n > 0 && buf.starts_with(b"HTTP/1.1 200") => {
                        // The body follows the head, in this read or the next.
                        if !buf[..n].ends_with(b"</methodResponse>\n") {
                            let _ = s.read(&mut buf);
                        }
                        answered.fetch_add(1, Ordering::Relaxed);
                    }
                    _ => break,
                }
            }
        }
    })
}

#[test]
fn fifty_reloads_by_each_client_and_fifty_hups_under_load() {
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let (conf, daemon, pid) = running(dir.path(), port);
    let stop = Arc::new(AtomicBool::new(false));
    let answered = Arc::new(AtomicUsize::new(0));
    let load = hammer(port, stop.clone(), answered.clone());

    let stock = venv("supervisorctl");
    let ours = std::path::PathBuf::from(env!("CARGO_BIN_EXE_supervisorctl"));
    let rounds = (0..50).map(|i| ("stock", i)).chain((0..50).map(|i| ("ours", i))).chain((0..50).map(|i| ("hup", i)));
    for (done, (how, round)) in (1..).zip(rounds) {
        match how {
            "hup" => kill(pid, nix::sys::signal::Signal::SIGHUP),
            _ => {
                let ctl = if how == "stock" { &stock } else { &ours };
                let out = Command::new(ctl).arg("-c").arg(&conf).arg("reload").output().expect("supervisorctl");
                let text = String::from_utf8_lossy(&out.stdout);
                assert_eq!(text, "Restarted supervisord\n", "{how} reload {round}: {}", log(dir.path()));
            }
        }
        let expected = done + 1;
        wait_until("the restart", || starts(dir.path()) >= expected || !alive(pid));
        assert!(alive(pid), "{how} reload {round} lost the daemon: {}", log(dir.path()));
    }
    let before = answered.load(Ordering::Relaxed);
    wait_until("the hammer answered after the last restart", || answered.load(Ordering::Relaxed) > before);
    stop.store(true, Ordering::Relaxed);
    load.join().expect("hammer");
    let text = log(dir.path());
    assert!(!text.contains("already listening"), "{text}");
    wait_until("one program running", || children(pid).len() == 1);
    let out = Command::new(&stock).arg("-c").arg(&conf).arg("status").output().expect("status");
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("a                                RUNNING"), "{out:?}");
    assert_eq!(daemon.finish().status.code(), Some(0));
}

#[test]
fn a_keep_alive_connection_is_answered_after_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let (_, daemon, _) = running(dir.path(), port);
    let script = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/python/keepalive_restart.py");
    let out = Command::new(venv("python")).arg(script).arg(port.to_string()).output().expect("python");
    assert!(out.status.success(), "{out:?}\n{}", log(dir.path()));
    assert_eq!(starts(dir.path()), 2);
    assert_eq!(daemon.finish().status.code(), Some(0));
}

#[test]
fn reload_with_an_invalid_config_is_refused_and_nothing_stops() {
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let good = config(dir.path(), port);
    let conf = write_conf(dir.path(), &good);
    let (daemon, _) = start_daemon(&conf);
    let pid_of_a = || {
        let out = Command::new(venv("supervisorctl")).arg("-c").arg(&conf).args(["pid", "a"]).output().expect("pid");
        String::from_utf8_lossy(&out.stdout).trim().parse::<i32>().unwrap_or(0)
    };
    wait_until("the program", || pid_of_a() > 0);
    let running = pid_of_a();
    let broken = [
        format!("{good}[program:many]\ncommand=sleep 1\nnumprocs=3\n"),
        format!("{good}[progam:typo]\ncommand=sleep 1\n"),
    ];
    for (i, text) in broken.iter().enumerate() {
        std::fs::write(&conf, text).expect("write");
        for ctl in [venv("supervisorctl"), std::path::PathBuf::from(env!("CARGO_BIN_EXE_supervisorctl"))] {
            let out = Command::new(&ctl).arg("-c").arg(&conf).arg("reload").output().expect("supervisorctl");
            let said = String::from_utf8_lossy(&out.stdout);
            assert_eq!(out.status.code(), Some(1), "{said}");
            assert!(said.contains("CANT_REREAD: ") && said.contains(&conf.display().to_string()), "{i}: {said}");
            let out = Command::new(&ctl).arg("-c").arg(&conf).arg("status").output().expect("status");
            let said = String::from_utf8_lossy(&out.stdout);
            assert!(said.starts_with("a                                RUNNING"), "{i}: {said}");
        }
    }
    assert_eq!(pid_of_a(), running, "nothing was restarted");
    assert_eq!(starts(dir.path()), 1);
    // Mended, it restarts.
    std::fs::write(&conf, &good).expect("write");
    let out = Command::new(venv("supervisorctl")).arg("-c").arg(&conf).arg("reload").output().expect("reload");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "Restarted supervisord\n");
    wait_until("the restart", || starts(dir.path()) == 2);
    assert_eq!(daemon.finish().status.code(), Some(0));
}

#[test]
fn a_moved_server_rebinds_and_a_taken_port_is_logged_not_fatal() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (first, second) = (free_port(), free_port());
    let (conf, daemon, pid) = running(dir.path(), first);
    let listening = |port: u16| std::net::TcpStream::connect(("127.0.0.1", port)).is_ok();
    assert!(listening(first));

    // Moved: the old port is closed, the new one listens.
    std::fs::write(&conf, config(dir.path(), second)).expect("write");
    kill(pid, nix::sys::signal::Signal::SIGHUP);
    wait_until("the restart", || starts(dir.path()) == 2);
    wait_until("the old port closed", || !listening(first));
    assert!(listening(second));

    // Moved onto a port another program holds: logged, and the unix
    // server (and the daemon) go on.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = taken.local_addr().expect("addr").port();
    std::fs::write(&conf, config(dir.path(), port)).expect("write");
    kill(pid, nix::sys::signal::Signal::SIGHUP);
    wait_until("the restart", || starts(dir.path()) == 3);
    assert!(alive(pid));
    let text = log(dir.path());
    assert!(
        text.contains("CRIT Server 'inet_http_server' not serving: Another program is already listening"),
        "{text}"
    );
    let out = Command::new(venv("supervisorctl")).arg("-c").arg(&conf).arg("status").output().expect("status");
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("a "), "{out:?}");
    assert!(!listening(second), "the moved server's old port is closed");
    drop(taken);
    assert_eq!(daemon.finish().status.code(), Some(0));
}

#[test]
fn a_socket_file_removed_from_outside_is_made_again_by_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (conf, daemon, pid) = running(dir.path(), free_port());
    let sock = dir.path().join("s.sock");
    std::fs::remove_file(&sock).expect("remove");
    kill(pid, nix::sys::signal::Signal::SIGHUP);
    wait_until("the restart", || starts(dir.path()) == 2);
    wait_until("the socket again", || std::os::unix::net::UnixStream::connect(&sock).is_ok());
    let out = Command::new(venv("supervisorctl")).arg("-c").arg(&conf).arg("status").output().expect("status");
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("a "), "{out:?}");
    assert_eq!(daemon.finish().status.code(), Some(0));
}

#[test]
fn a_restart_whose_config_cannot_start_runs_the_groups_that_ran() {
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let (conf, daemon, pid) = running(dir.path(), port);
    wait_until("the first start logged", || starts(dir.path()) == 1);
    let first = children(pid);
    // Valid, but its AUTO log cannot be made: the file name is too long.
    let long = "x".repeat(240);
    let broken = format!("{}[program:{long}]\ncommand=sleep 300\n", config(dir.path(), port));
    std::fs::write(&conf, broken).expect("write");
    kill(pid, nix::sys::signal::Signal::SIGHUP);
    // Started twice more: the new config, then the one that ran.
    wait_until("the fallback", || starts(dir.path()) == 3);
    let text = log(dir.path());
    assert!(text.contains("CRIT could not start with the new configuration"), "{text}");
    wait_until("the program again", || children(pid).len() == 1 && children(pid) != first);
    let out = Command::new(venv("supervisorctl")).arg("-c").arg(&conf).arg("status").output().expect("status");
    let status = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(status.starts_with("a ") && status.contains("RUNNING") && !status.contains(&long), "{status}");
    // Its AUTO log is a new file: the first start's was cleared.
    let autos = || {
        std::fs::read_dir(dir.path())
            .expect("dir")
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| n.starts_with("a-stdout---supervisor-"))
            .count()
    };
    assert_eq!(autos(), 1);
    assert_eq!(daemon.finish().status.code(), Some(0));
}
