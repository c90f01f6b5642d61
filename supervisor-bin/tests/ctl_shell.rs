//! The interactive shell through a real pty: completion, history, help,
//! confirmation, Ctrl-C out of `tail -f` and `fg`.

mod common;
use common::*;

use std::path::Path;
use std::process::Command;

fn config(dir: &Path) -> std::path::PathBuf {
    let d = dir.display();
    let sections = daemon_sections(dir, "");
    let text = format!(
        "{sections}[supervisorctl]\nserverurl=unix://{d}/s.sock\nprompt=testing\nhistory_file={d}/history\n\
         [program:ticker]\ncommand=sh -c 'while true; do echo tick; sleep 0.2; done'\nstartsecs=0\nstopasgroup=true\n"
    );
    write_conf(dir, &text)
}

#[test]
fn the_shell_completes_remembers_and_confirms() -> Result<(), rexpect::error::Error> {
    let dir = tempfile::tempdir().expect("tempdir");
    let conf = config(dir.path());
    let (daemon, pid) = start_daemon(&conf);
    wait_until("the program", || children(pid).len() == 1 && dir.path().join("s.sock").exists());

    let cmd = format!("{} -c {}", env!("CARGO_BIN_EXE_supervisorctl"), conf.display());
    let mut p = rexpect::spawn(&cmd, Some(20_000))?;
    // status runs first, then the prompt from [supervisorctl] prompt=.
    p.exp_string("ticker")?;
    p.exp_string("RUNNING")?;
    p.exp_string("testing> ")?;

    p.send_line("help")?;
    p.exp_string("default commands (type help <topic>):")?;
    p.exp_string("testing> ")?;

    // Tab completes a command...
    p.send("vers\t")?;
    p.send_line("")?;
    p.exp_string("4.3.0")?;
    p.exp_string("testing> ")?;

    // ...and a process name, asked from the server.
    p.send("pid tic\t")?;
    p.send_line("")?;
    p.exp_regex(r"\r\n\d+\r\n")?;
    p.exp_string("testing> ")?;

    // Ctrl-C ends tail -f and returns to the prompt.
    p.send_line("tail -f ticker")?;
    p.exp_string("==> Press Ctrl-C to exit <==")?;
    p.exp_string("tick")?;
    p.send_control('c')?;
    p.exp_string("testing> ")?;

    // Ctrl-C ends fg as well: back to the prompt, its streams stopped.
    p.send_line("fg ticker")?;
    p.exp_string("==> Press Ctrl-C to exit <==")?;
    p.exp_string("tick")?;
    p.send_control('c')?;
    p.exp_string("Exiting foreground")?;
    p.exp_string("testing> ")?;
    std::thread::sleep(std::time::Duration::from_millis(700));
    p.send_line("version")?;
    let between = p.exp_string("4.3.0")?;
    assert!(!between.contains("tick"), "fg's streams went on after it ended: {between:?}");
    p.exp_string("testing> ")?;

    // shutdown asks first; "n" keeps it running.
    p.send_line("shutdown")?;
    p.exp_string("Really shut the remote supervisord process down y/N? ")?;
    p.send_line("n")?;
    p.exp_string("testing> ")?;
    assert!(children(pid).len() == 1, "still running after 'n'");

    p.send_line("quit")?;
    p.exp_eof()?;
    let history = std::fs::read_to_string(dir.path().join("history")).unwrap_or_default();
    assert!(history.contains("version") && history.contains("shutdown"), "history kept: {history}");
    daemon.finish();
    Ok(())
}

#[test]
fn the_shell_asks_for_credentials_on_401() -> Result<(), rexpect::error::Error> {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path().display();
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
    let text = format!(
        "[inet_http_server]\nport=127.0.0.1:{port}\nusername=admin\npassword={{SHA}}40bd001563085fc35165329ea1ff5c5ecbdbbeef\n\
         [supervisord]\nlogfile={d}/supervisord.log\npidfile={d}/supervisord.pid\nchildlogdir={d}\nnodaemon=true\n\
         [rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n\
         [supervisorctl]\nserverurl=http://127.0.0.1:{port}\n\
         [program:guarded]\ncommand=sleep 300\nstartsecs=0\n"
    );
    let conf = dir.path().join("supervisord.conf");
    std::fs::write(&conf, text).expect("write");
    let (daemon, pid) = start_daemon(&conf);
    wait_until("the program", || children(pid).len() == 1);

    let cmd = format!("{} -c {}", env!("CARGO_BIN_EXE_supervisorctl"), conf.display());
    let mut p = rexpect::spawn(&cmd, Some(20_000))?;
    p.exp_string("Server requires authentication")?;
    p.exp_string("Username:")?;
    p.send_line("admin")?;
    p.exp_string("Password:")?;
    p.send_line("123")?;
    p.exp_string("guarded")?;
    p.exp_string("RUNNING")?;
    p.exp_string("supervisor> ")?;
    p.send_line("quit")?;
    p.exp_eof()?;

    // Without the shell, a 401 is an error with exit status 1.
    let out =
        Command::new(env!("CARGO_BIN_EXE_supervisorctl")).arg("-c").arg(&conf).arg("status").output().expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "Server requires authentication\n");
    daemon.finish();
    Ok(())
}

/// `text` without the terminal control sequences (`ESC [ ... final`).
fn without_escapes(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' && chars.next() == Some('[') {
            for c in chars.by_ref() {
                if ('@'..='~').contains(&c) {
                    break;
                }
            }
        } else if c != '\x1b' {
            out.push(c);
        }
    }
    out
}

/// As 4.3.0 on a terminal: Ctrl-D and Ctrl-C at the prompt end the shell
/// with one empty line; `quit` with an empty line after its own.
#[test]
fn the_shell_ends_with_one_empty_line() -> Result<(), rexpect::error::Error> {
    let dir = tempfile::tempdir().expect("tempdir");
    let conf = config(dir.path());
    let (daemon, pid) = start_daemon(&conf);
    wait_until("the program", || children(pid).len() == 1 && dir.path().join("s.sock").exists());
    let cmd = format!("{} -c {}", env!("CARGO_BIN_EXE_supervisorctl"), conf.display());
    for (keys, ending) in [("\x04", "\r\n"), ("\x03", "\r\n"), ("quit\r", "quit\r\n\r\n")] {
        let mut p = rexpect::spawn(&cmd, Some(20_000))?;
        p.exp_string("testing> ")?;
        p.send(keys)?;
        p.flush()?;
        let rest = without_escapes(&p.exp_eof()?);
        assert!(rest.ends_with(ending) && !rest.ends_with(&format!("\r\n{ending}")), "{keys:?} ended with {rest:?}");
    }
    daemon.finish();
    Ok(())
}
