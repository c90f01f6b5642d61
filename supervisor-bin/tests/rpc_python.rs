//! Python's own `xmlrpc.client` (from the reference 4.3.0 venv) against our
//! supervisord: every method, fault, multicall, auth and malformed request
//! (`tests/python/rpc_checks.py`).

mod common;
use common::*;

use std::path::{Path, PathBuf};
use std::process::Command;

pub fn python() -> PathBuf {
    venv("python")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

fn write_config(dir: &Path, port: u16) -> PathBuf {
    let d = dir.display();
    let text = format!(
        "[unix_http_server]\nfile={d}/s.sock\n[inet_http_server]\nport=127.0.0.1:{port}\nusername=admin\npassword=secret\n\
         [supervisord]\nlogfile={d}/supervisord.log\npidfile={d}/supervisord.pid\nchildlogdir={d}\nnodaemon=true\n\
         [rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n\
         [program:sleeper]\ncommand=sleep 300\nstartsecs=0\n\
         [program:pool]\ncommand=sleep 300\nstartsecs=0\nnumprocs=2\nprocess_name=pool_%(process_num)d\n\
         [program:ghost]\ncommand=/no/such/program\nautostart=false\n\
         [program:quick]\ncommand=true\nstartsecs=1\nstartretries=0\nautostart=false\n\
         [program:talker]\ncommand=sh -c 'echo hello-world-output; echo oops >&2; exec sleep 300'\nstartsecs=0\nstopasgroup=true\n\
         [program:nolog]\ncommand=sleep 300\nstartsecs=0\nstdout_logfile=NONE\n\
         [program:echoer]\ncommand=cat\nstartsecs=0\n\
         [program:notexec]\ncommand=/tmp\nautostart=false\n"
    );
    let path = dir.join("supervisord.conf");
    std::fs::write(&path, text).expect("write");
    path
}

#[test]
fn python_xmlrpc_client_sees_4_3_0s_api() {
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let conf = write_config(dir.path(), port);
    let (daemon, _) = start_daemon(&conf);
    let sock = dir.path().join("s.sock");
    wait_until("the socket", || sock.exists());
    let out = Command::new(python())
        .arg(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/python/rpc_checks.py"))
        .arg(&sock)
        .arg(port.to_string())
        .arg(dir.path())
        .output()
        .expect("python");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}\n--- supervisord.log ---\n{}", log(dir.path()));
    assert!(stdout.contains("all RPC checks passed"));
    let text = log(dir.path());
    assert!(text.contains("INFO RPC interface 'supervisor' initialized"), "{text}");
    assert!(text.contains("CRIT Server 'unix_http_server' running without any HTTP authentication checking"), "{text}");
    // The script ends with supervisor.shutdown(): the daemon exits by itself.
    let mut daemon = daemon;
    let status = daemon.0.take().expect("child").wait().expect("wait");
    assert_eq!(status.code(), Some(0));
    assert!(!sock.exists(), "the socket file is removed on exit");
}

#[test]
fn children_reach_supervisord_through_supervisor_server_url() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path().display();
    let out_file = dir.path().join("child.out");
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/python/child_api.py");
    let text = format!(
        "[unix_http_server]\nfile={d}/s.sock\n[supervisord]\nlogfile={d}/supervisord.log\npidfile={d}/supervisord.pid\n\
         childlogdir={d}\nnodaemon=true\n\
         [rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n\
         [program:asker]\ncommand={} {}\nstartsecs=0\nautorestart=false\nstdout_logfile={}\n",
        python().display(),
        script.display(),
        out_file.display()
    );
    let conf = dir.path().join("supervisord.conf");
    std::fs::write(&conf, text).expect("write");
    let (daemon, _) = start_daemon(&conf);
    wait_until("the child's answer", || std::fs::read_to_string(&out_file).is_ok_and(|t| t.contains("state=")));
    let answer = std::fs::read_to_string(&out_file).expect("answer");
    assert_eq!(answer, format!("state=RUNNING url=unix://{d}/s.sock me=asker\n"), "{}", log(dir.path()));
    daemon.finish();
}
