//! Event listener pools with stock Python listeners (4.3.0's childutils)
//! under our supervisord.

mod common;
use common::*;

use std::path::{Path, PathBuf};

use supervisor_rpc::client::Client;
use supervisor_rpc::dxr::Value;

fn python() -> PathBuf {
    venv("python")
}

fn config(dir: &Path, mode: &str, events: &str) -> PathBuf {
    let d = dir.display();
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/python/listener.py");
    let text = format!(
        "[unix_http_server]\nfile={d}/s.sock\n[supervisord]\nlogfile={d}/supervisord.log\npidfile={d}/supervisord.pid\n\
         childlogdir={d}\nnodaemon=true\nloglevel=debug\n\
         [rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n\
         [eventlistener:watcher]\ncommand={} {} {d}/events.out {mode}\nevents={events}\n\
         [program:worker]\ncommand=sleep 300\nstartsecs=0\nautostart=false\n",
        python().display(),
        script.display(),
    );
    write_conf(dir, &text)
}

fn events(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("events.out")).unwrap_or_default()
}

#[test]
fn a_stock_listener_receives_state_and_remote_events() {
    let dir = tempfile::tempdir().expect("tempdir");
    let conf = config(dir.path(), "ok", "PROCESS_STATE,REMOTE_COMMUNICATION");
    let (daemon, _pid) = start_daemon(&conf);
    let sock = dir.path().join("s.sock");
    wait_until("the socket", || sock.exists());
    let client = Client::new(&format!("unix://{}", sock.display()), None, None).expect("client");
    // The listener's own start is an event too; wait until it is READY.
    wait_until("the listener's own RUNNING event", || {
        events(dir.path()).contains("PROCESS_STATE_RUNNING processname:watcher")
    });

    client.call("supervisor.startProcess", vec![Value::String("worker".into())]).expect("start");
    wait_until("worker RUNNING", || {
        events(dir.path())
            .contains("PROCESS_STATE_RUNNING processname:worker groupname:worker from_state:STARTING pid:")
    });
    let text = events(dir.path());
    assert!(
        text.contains("PROCESS_STATE_STARTING processname:worker groupname:worker from_state:STOPPED tries:0"),
        "{text}"
    );

    client
        .call(
            "supervisor.sendRemoteCommEvent",
            vec![Value::String("greeting".into()), Value::String("héllo wörld".into())],
        )
        .expect("remote");
    wait_until("the remote event", || events(dir.path()).contains("REMOTE_COMMUNICATION type:greeting|héllo wörld"));

    client.call("supervisor.stopProcess", vec![Value::String("worker".into())]).expect("stop");
    wait_until("worker STOPPED", || {
        events(dir.path()).contains("PROCESS_STATE_STOPPED processname:worker groupname:worker from_state:STOPPING")
    });
    // Serials rise one by one as events are delivered once each.
    let serials: Vec<u64> = events(dir.path()).lines().filter_map(|l| l.split(' ').next()?.parse().ok()).collect();
    assert!(serials.windows(2).all(|w| w[0] < w[1]), "{serials:?}");
    assert!(!log(dir.path()).contains("UNKNOWN state"), "{}", log(dir.path()));
    daemon.finish();
}

#[test]
fn a_rejected_event_is_sent_again() {
    let dir = tempfile::tempdir().expect("tempdir");
    let conf = config(dir.path(), "reject-first", "REMOTE_COMMUNICATION");
    let (daemon, _pid) = start_daemon(&conf);
    let sock = dir.path().join("s.sock");
    wait_until("the socket", || sock.exists());
    let client = Client::new(&format!("unix://{}", sock.display()), None, None).expect("client");
    // Wait for the listener to be up before sending (events sent earlier
    // would wait in the buffer anyway).
    wait_until("listener running", || log(dir.path()).contains("success: watcher entered RUNNING"));
    client
        .call("supervisor.sendRemoteCommEvent", vec![Value::String("t".into()), Value::String("d".into())])
        .expect("remote");
    wait_until("two deliveries", || {
        events(dir.path()).lines().filter(|l| l.contains("REMOTE_COMMUNICATION")).count() == 2
    });
    let lines: Vec<String> = events(dir.path()).lines().map(str::to_owned).collect();
    assert_eq!(lines[0], lines[1], "the same event, same serial, twice: {lines:?}");
    assert!(log(dir.path()).contains("WARN watcher: event was rejected"));
    daemon.finish();
}

fn remote(dir: &Path, data: &str) {
    let client = Client::new(&format!("unix://{}", dir.join("s.sock").display()), None, None).expect("client");
    client
        .call("supervisor.sendRemoteCommEvent", vec![Value::String("t".into()), Value::String(data.into())])
        .expect("remote");
}

#[test]
fn a_protocol_violation_puts_the_listener_in_unknown() {
    let dir = tempfile::tempdir().expect("tempdir");
    let conf = config(dir.path(), "garbage", "REMOTE_COMMUNICATION");
    let (daemon, _pid) = start_daemon(&conf);
    wait_until("the violation", || {
        log(dir.path()).contains(
            "WARN watcher: has entered the UNKNOWN state and will no longer receive events, this usually indicates the \
             process violated the eventlistener protocol",
        )
    });
    daemon.finish();
}

#[test]
fn an_event_held_by_a_listener_that_dies_goes_to_its_successor() {
    let dir = tempfile::tempdir().expect("tempdir");
    let conf = config(dir.path(), "crash-first", "REMOTE_COMMUNICATION");
    let (daemon, _pid) = start_daemon(&conf);
    wait_until("the socket", || dir.path().join("s.sock").exists());
    wait_until("listener running", || log(dir.path()).contains("success: watcher entered RUNNING"));
    remote(dir.path(), "precious");
    // The first listener records it, dies without answering; the restarted
    // one receives the same event (same serial) and accepts it.
    wait_until("redelivery", || events(dir.path()).matches("type:t|precious").count() == 2);
    let lines: Vec<String> = events(dir.path()).lines().map(str::to_owned).collect();
    assert_eq!(lines[0], lines[1], "{lines:?}");
    daemon.finish();
}

#[test]
fn a_full_buffer_discards_the_oldest_event() {
    let dir = tempfile::tempdir().expect("tempdir");
    let conf = config(dir.path(), "never-ready", "REMOTE_COMMUNICATION");
    let text = std::fs::read_to_string(&conf)
        .expect("read")
        .replace("events=REMOTE_COMMUNICATION\n", "events=REMOTE_COMMUNICATION\nbuffer_size=2\n");
    std::fs::write(&conf, text).expect("write");
    let (daemon, _pid) = start_daemon(&conf);
    wait_until("the socket", || dir.path().join("s.sock").exists());
    for i in 0..3 {
        remote(dir.path(), &format!("e{i}"));
    }
    wait_until("the overflow line", || {
        log(dir.path()).contains("ERRO pool watcher event buffer overflowed, discarding event 0")
    });
    daemon.finish();
}

#[test]
fn tick_5_arrives_on_a_five_second_boundary() {
    let dir = tempfile::tempdir().expect("tempdir");
    let conf = config(dir.path(), "ok", "TICK_5");
    let (daemon, _pid) = start_daemon(&conf);
    wait_until("a tick", || events(dir.path()).contains("TICK_5 when:"));
    let when: u64 =
        events(dir.path()).lines().find_map(|l| l.split("when:").nth(1)?.trim().parse().ok()).expect("when");
    assert_eq!(when % 5, 0, "ticks mark slice starts");
    daemon.finish();
}

/// The example listener, which `scripts/test` builds before the tests run.
fn rust_listener() -> PathBuf {
    let exe = std::env::current_exe().expect("exe");
    let dir = exe.parent().and_then(Path::parent).expect("target dir");
    let listener = dir.join("examples/listener");
    assert!(
        listener.exists(),
        "build the examples first (cargo build -p supervisor-examples --examples): {}",
        listener.display()
    );
    listener
}

#[test]
fn a_rust_listener_reads_byte_counted_payloads() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path().display();
    let sections = daemon_sections(dir.path(), "");
    let text = format!(
        "{sections}[eventlistener:rusty]\ncommand={} {d}/events.out\nevents=REMOTE_COMMUNICATION\nlen_in_bytes=true\n",
        rust_listener().display()
    );
    let conf = write_conf(dir.path(), &text);
    let (daemon, _pid) = start_daemon(&conf);
    wait_until("the socket", || dir.path().join("s.sock").exists());
    wait_until("listener running", || log(dir.path()).contains("success: rusty entered RUNNING"));
    remote(dir.path(), "naïve — ünïcode");
    remote(dir.path(), "second");
    wait_until("both events", || events(dir.path()).lines().count() == 2);
    assert_eq!(events(dir.path()), "REMOTE_COMMUNICATION type:t|naïve — ünïcode\nREMOTE_COMMUNICATION type:t|second\n");
    daemon.finish();
}

#[test]
fn capture_mode_turns_marked_output_into_communication_events() {
    let dir = tempfile::tempdir().expect("tempdir");
    let conf = config(dir.path(), "ok", "PROCESS_COMMUNICATION");
    let extra = "[program:talker]\ncommand=sh -c 'echo before; echo \"<!--XSUPERVISOR:BEGIN-->the message<!--XSUPERVISOR:END-->\"; echo after-after-after-after-after; sleep 300'\n\
                 startsecs=0\nstopasgroup=true\nstdout_capture_maxbytes=1KB\n";
    let text = std::fs::read_to_string(&conf).expect("read") + extra;
    std::fs::write(&conf, text).expect("write");
    let (daemon, _pid) = start_daemon(&conf);
    wait_until("the communication event", || {
        events(dir.path()).contains("PROCESS_COMMUNICATION_STDOUT processname:talker groupname:talker pid:")
    });
    let line = events(dir.path())
        .lines()
        .find(|l| l.contains("PROCESS_COMMUNICATION_STDOUT"))
        .map(str::to_owned)
        .expect("line");
    assert!(line.ends_with("|the message"), "{line}");
    daemon.finish();
}

#[test]
fn every_event_type_reaches_an_event_subscriber_despite_a_stuck_pool() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path().display();
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/python/listener.py");
    let py = python();
    let sections = daemon_sections(dir.path(), "");
    let text = format!(
        "{sections}[eventlistener:watcher]\ncommand={py} {s} {d}/events.out ok\nevents=EVENT\nbuffer_size=100\n\
         [eventlistener:stuck]\ncommand={py} {s} {d}/stuck.out never-ready\nevents=EVENT\nbuffer_size=2\n\
         [program:chatty]\ncommand=sh -c 'echo out-line; echo err-line >&2; echo \"<!--XSUPERVISOR:BEGIN-->note<!--XSUPERVISOR:END-->\"; echo padding-padding-padding-padding; sleep 300'\n\
         startsecs=0\nstopasgroup=true\nstdout_events_enabled=true\nstderr_events_enabled=true\nstdout_capture_maxbytes=1KB\n\
         [program:quick]\ncommand=true\nstartsecs=1\nstartretries=0\n\
         [program:done]\ncommand=true\nstartsecs=0\nautorestart=false\n",
        py = py.display(),
        s = script.display(),
    );
    let conf = write_conf(dir.path(), &text);
    let (daemon, _pid) = start_daemon(&conf);
    wait_until("the socket", || dir.path().join("s.sock").exists());
    let client = Client::new(&format!("unix://{}", dir.path().join("s.sock").display()), None, None).expect("client");
    wait_until("chatty running", || events(dir.path()).contains("PROCESS_STATE_RUNNING processname:chatty"));
    client
        .call("supervisor.sendRemoteCommEvent", vec![Value::String("k".into()), Value::String("v".into())])
        .expect("remote");
    client.call("supervisor.stopProcess", vec![Value::String("chatty".into())]).expect("stop");
    client.call("supervisor.removeProcessGroup", vec![Value::String("chatty".into())]).expect("remove");
    client.call("supervisor.reloadConfig", vec![]).expect("reread");
    client.call("supervisor.addProcessGroup", vec![Value::String("chatty".into())]).expect("add");
    let wanted = [
        "SUPERVISOR_STATE_CHANGE_RUNNING",
        "PROCESS_STATE_STARTING",
        "PROCESS_STATE_RUNNING",
        "PROCESS_STATE_BACKOFF",
        "PROCESS_STATE_FATAL",
        "PROCESS_STATE_EXITED",
        "PROCESS_STATE_STOPPING",
        "PROCESS_STATE_STOPPED",
        "PROCESS_LOG_STDOUT",
        "PROCESS_LOG_STDERR",
        "PROCESS_COMMUNICATION_STDOUT",
        "REMOTE_COMMUNICATION",
        "PROCESS_GROUP_REMOVED",
        "PROCESS_GROUP_ADDED",
        "TICK_5",
    ];
    wait_until("every event type", || {
        let text = events(dir.path());
        wanted.iter().all(|w| text.lines().any(|l| l.split(' ').nth(1) == Some(*w)))
    });
    let text = events(dir.path());
    assert!(text.contains("PROCESS_LOG_STDERR processname:chatty groupname:chatty pid:"), "{text}");
    assert!(text.contains("channel:stderr|err-line"), "{text}");
    assert!(text.contains("PROCESS_GROUP_ADDED groupname:chatty|"), "{text}");
    assert!(
        log(dir.path()).contains("ERRO pool stuck event buffer overflowed"),
        "the stuck pool overflowed on its own"
    );
    daemon.finish();
}
