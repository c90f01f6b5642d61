//! systemd's notify protocol, heard on a datagram socket the test binds as
//! `NOTIFY_SOCKET`: READY once the socket is bound and the programs
//! launched, RELOADING/READY around `supervisorctl reload`, STOPPING on
//! SIGTERM, STATUS counting the processes, WATCHDOG when asked for; the
//! programs never see the protocol's variables; a daemonizing supervisord
//! hands systemd its daemon's pid.

use std::os::linux::net::SocketAddrExt;
use std::os::unix::net::{SocketAddr, UnixDatagram};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

mod common;
use common::*;

/// The service manager's end: a thread keeps reading the socket (whose
/// queue holds only `net.unix.max_dgram_qlen` datagrams, often 10), so
/// nothing is lost while the test does something else.
struct Manager {
    heard: Arc<Mutex<Vec<String>>>,
}

impl Manager {
    fn new(socket: UnixDatagram) -> Manager {
        let heard = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::downgrade(&heard);
        socket.set_read_timeout(Some(Duration::from_millis(100))).expect("timeout");
        // Ends once the test has dropped the manager.
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Some(heard) = sink.upgrade() {
                if let Ok(n) = socket.recv(&mut buf) {
                    heard.lock().expect("lock").push(String::from_utf8_lossy(&buf[..n]).into_owned());
                }
            }
        });
        Manager { heard }
    }

    /// Everything heard so far.
    fn heard(&self) -> Vec<String> {
        self.heard.lock().expect("lock").clone()
    }

    /// Waits until a message after the first `from` satisfies `wanted`;
    /// returns its index.
    fn wait_for(&self, from: usize, what: &str, wanted: impl Fn(&str) -> bool) -> usize {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let heard = self.heard();
            if let Some(i) = heard.iter().skip(from).position(|m| wanted(m)) {
                return from + i;
            }
            assert!(Instant::now() < deadline, "no {what}; heard {heard:?}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

fn lines(m: &str) -> Vec<&str> {
    m.split('\n').collect()
}

fn config(dir: &Path, nodaemon: bool) -> String {
    let d = dir.display();
    format!(
        "[unix_http_server]\nfile={d}/s.sock\n[supervisord]\nlogfile={d}/supervisord.log\n\
         pidfile={d}/supervisord.pid\nchildlogdir={d}\nnodaemon={nodaemon}\n\
         [rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n\
         [supervisorctl]\nserverurl=unix://{d}/s.sock\n\
         [program:envdump]\ncommand=sh -c 'env > {d}/env.txt; exec sleep 300'\nstartsecs=0\n\
         [program:bad]\ncommand=sh -c 'exit 3'\nstartsecs=1\nstartretries=0\nautorestart=false\n\
         [program:later]\ncommand=sleep 300\nstartsecs=0\nautostart=false\n"
    )
}

#[test]
fn ready_reload_status_watchdog_and_stopping_in_the_foreground() {
    let dir = tempfile::tempdir().expect("tempdir");
    let notify_path = dir.path().join("notify.sock");
    let manager = Manager::new(UnixDatagram::bind(&notify_path).expect("bind the notify socket"));
    let conf = write_conf(dir.path(), &config(dir.path(), true));
    let child = Command::new(env!("CARGO_BIN_EXE_supervisord"))
        .arg("-c")
        .arg(&conf)
        .env("NOTIFY_SOCKET", &notify_path)
        .env("WATCHDOG_USEC", "200000")
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn supervisord");
    let daemon = Guard::new(child);

    // READY=1 once the servers are bound and the programs launched.
    let ready = manager.wait_for(0, "READY=1", |m| lines(m).contains(&"READY=1"));
    assert!(dir.path().join("s.sock").exists(), "READY before the socket was bound");
    assert!(!manager.heard()[ready].contains("MAINPID="), "the foreground is the main pid already");
    // With the processes counted: `bad` gave up at once, `envdump` runs.
    let status = |m: &str, wanted: &str| lines(m).contains(&format!("STATUS={wanted}").as_str());
    manager.wait_for(0, "the first status", |m| status(m, "1 running, 1 fatal, 1 stopped"));

    // STATUS follows the states.
    let ctl = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_supervisorctl")).arg("-c").arg(&conf).args(args).output();
        out.expect("run supervisorctl")
    };
    assert!(ctl(&["start", "later"]).status.success());
    manager.wait_for(ready, "the new status", |m| m == "STATUS=2 running, 1 fatal");

    // Programs never see the protocol's variables.
    wait_until("env.txt", || std::fs::read_to_string(dir.path().join("env.txt")).is_ok_and(|s| s.contains("PATH=")));
    let env = std::fs::read_to_string(dir.path().join("env.txt")).expect("env.txt");
    for name in ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"] {
        assert!(!env.lines().any(|l| l.starts_with(&format!("{name}="))), "{name} passed on:\n{env}");
    }

    // WATCHDOG=1 every 100 ms (half of WATCHDOG_USEC).
    let first_ping = manager.wait_for(0, "WATCHDOG=1", |m| m == "WATCHDOG=1");
    let second = manager.wait_for(first_ping + 1, "a second WATCHDOG=1", |m| m == "WATCHDOG=1");
    manager.wait_for(second + 1, "a third WATCHDOG=1", |m| m == "WATCHDOG=1");

    // `supervisorctl reload`: RELOADING=1 (with MONOTONIC_USEC), then READY=1.
    let from = manager.heard().len();
    let out = ctl(&["reload"]);
    assert!(out.status.success(), "{out:?}");
    let reloading = manager.wait_for(from, "RELOADING=1", |m| lines(m).contains(&"RELOADING=1"));
    let usec = lines(&manager.heard()[reloading])
        .iter()
        .find_map(|l| l.strip_prefix("MONOTONIC_USEC="))
        .map(|v| v.parse::<u64>().expect("a number"));
    assert!(usec.is_some_and(|u| u > 0), "{:?}", manager.heard()[reloading]);
    let ready_again = manager.wait_for(reloading + 1, "READY=1 after the reload", |m| lines(m).contains(&"READY=1"));
    assert!(manager.heard()[ready_again].contains("\nSTATUS="), "{:?}", manager.heard()[ready_again]);
    wait_until("the restart", || log(dir.path()).matches("supervisord started with pid").count() == 2);

    // A SIGHUP refused for an invalid config still ends the reload it began
    // (a Type=notify-reload manager waits for READY).
    let good = std::fs::read_to_string(&conf).expect("config");
    std::fs::write(&conf, format!("{good}[program:broken]\n")).expect("break the config");
    let from = manager.heard().len();
    kill(daemon.1, nix::sys::signal::Signal::SIGHUP);
    let refused = manager.wait_for(from, "RELOADING=1 for the HUP", |m| lines(m).contains(&"RELOADING=1"));
    manager.wait_for(refused + 1, "READY=1 after the refusal", |m| {
        m == "READY=1\nSTATUS=reload refused: the configuration is invalid"
    });
    wait_until("the CRIT line", || log(dir.path()).contains("configuration is invalid; not restarting"));
    assert_eq!(log(dir.path()).matches("supervisord started with pid").count(), 2, "nothing restarted");

    // SIGTERM: STOPPING=1, then exit 0.
    let from = manager.heard().len();
    let out = daemon.finish();
    assert!(out.status.success(), "{out:?}");
    manager.wait_for(from, "STOPPING=1", |m| lines(m).contains(&"STOPPING=1"));
    // No READY or RELOADING after the stop.
    let stopping = manager.heard().iter().rposition(|m| m.contains("STOPPING=1")).expect("stopping");
    assert!(
        manager.heard()[stopping..].iter().all(|m| !m.contains("READY=1") && !m.contains("RELOADING=1")),
        "{:?}",
        manager.heard()
    );
}

/// Kills the daemon named by the pidfile when the test ends, however.
struct PidfileGuard(std::path::PathBuf);

impl Drop for PidfileGuard {
    fn drop(&mut self) {
        if let Some(pid) = std::fs::read_to_string(&self.0).ok().and_then(|s| s.trim().parse::<i32>().ok()) {
            let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::Signal::SIGKILL);
        }
    }
}

#[test]
fn a_daemonizing_supervisord_hands_systemd_its_pid_over_an_abstract_socket() {
    let dir = tempfile::tempdir().expect("tempdir");
    let name = format!("supervisor-rs-notify-test-{}", std::process::id());
    let addr = SocketAddr::from_abstract_name(name.as_bytes()).expect("abstract name");
    let manager = Manager::new(UnixDatagram::bind_addr(&addr).expect("bind the abstract socket"));
    let conf = write_conf(dir.path(), &config(dir.path(), false));
    let pidfile = dir.path().join("supervisord.pid");
    let _guard = PidfileGuard(pidfile.clone());
    let out = Command::new(env!("CARGO_BIN_EXE_supervisord"))
        .arg("-c")
        .arg(&conf)
        .env("NOTIFY_SOCKET", format!("@{name}"))
        .output()
        .expect("run supervisord");
    assert!(out.status.success(), "{out:?}");
    let pid: i32 = std::fs::read_to_string(&pidfile).expect("pidfile").trim().parse().expect("pid");

    // The launcher (the pid systemd started) names the daemon and says
    // READY; the daemon does not say READY a second time.
    let ready = manager.wait_for(0, "READY=1", |m| lines(m).contains(&"READY=1"));
    assert_eq!(manager.heard()[ready], format!("MAINPID={pid}\nREADY=1"));
    manager.wait_for(ready, "the status line", |m| m == "STATUS=1 running, 1 fatal, 1 stopped");
    assert_eq!(manager.heard().iter().filter(|m| m.contains("READY=1")).count(), 1, "{:?}", manager.heard());

    let from = manager.heard().len();
    kill(pid, nix::sys::signal::Signal::SIGTERM);
    manager.wait_for(from, "STOPPING=1", |m| lines(m).contains(&"STOPPING=1"));
    wait_until("the daemon's exit", || !alive(pid));
}
