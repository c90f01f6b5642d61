//! Child output: log files, AUTO names, rotation, redirect_stderr, stdin.

mod common;
use common::*;
use supervisor_core::events::{Channel, Event};
use supervisor_core::process::ProcessState::{Exited, Running};
use supervisor_core::supervisor::LogRange;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn output_rotates_into_backups() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("big.log");
    let (sv, mut ev) = start(
        dir.path(),
        &format!(
            "[program:big]\ncommand=sh -c 'i=0; while [ $i -lt 50 ]; do echo 0123456789012345678901234567890123456789012345678; i=$((i+1)); done'\n\
             startsecs=0\nautorestart=false\nstdout_logfile={}\nstdout_logfile_maxbytes=1000\nstdout_logfile_backups=2\n",
            log.display()
        ),
    );
    wait_for(&mut ev, "big", Exited).await;
    let size = |p: &std::path::Path| std::fs::metadata(p).map_or(0, |m| m.len());
    let backup = |n: u32| dir.path().join(format!("big.log.{n}"));
    // How reads chunk the output varies; these hold whatever the chunking.
    // The exit can come before the last bytes are written, and three sizes
    // read one after another can straddle a rotation: wait for the end state.
    eventually("all 2500 bytes, the live file rotated below maxbytes", || {
        size(&log) + size(&backup(1)) + size(&backup(2)) == 2500 && size(&log) < 1000
    })
    .await;
    assert!(size(&backup(1)) >= 1000, "rotated once at least");
    assert!(!backup(2).exists() || size(&backup(2)) >= 1000);
    assert!(!backup(3).exists(), "only 2 backups");
    sv.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_logs_redirect_and_the_event_stream() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (sv, mut ev) = start(
        dir.path(),
        "[program:talk]\ncommand=sh -c 'echo out; echo err >&2; sleep 30'\nstartsecs=0\nredirect_stderr=true\nstopasgroup=true\n",
    );
    let mut got = Vec::new();
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !String::from_utf8_lossy(&got).contains("err") {
        match tokio::time::timeout_at(deadline, ev.recv()).await.expect("output event").expect("open") {
            Event::ProcessLog { name, channel, data, .. } if name == "talk" => {
                assert_eq!(channel, Channel::Stdout, "stderr is redirected");
                got.extend(data);
            }
            _ => {}
        }
    }
    let info = sv.info(&pn("talk")).await.expect("info");
    let file = info.stdout_log.as_deref().expect("a log file");
    let name = file.file_name().and_then(|n| n.to_str()).expect("name");
    assert!(name.starts_with("talk-stdout---supervisor-") && name.ends_with(".log"), "{name}");
    assert_eq!(file.parent(), Some(dir.path()));
    assert_eq!(info.stderr_log, None);
    eventually("log file", || std::fs::read_to_string(file).is_ok_and(|t| t == "out\nerr\n")).await;
    sv.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stdin_reaches_the_process() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("cat.out");
    let (sv, mut ev) =
        start(dir.path(), &format!("[program:cat]\ncommand=cat\nstartsecs=0\nstdout_logfile={}\n", out.display()));
    wait_for(&mut ev, "cat", Running).await;
    sv.send_stdin(&pn("cat"), "hello\n").await.expect("stdin");
    eventually("echo", || std::fs::read_to_string(&out).is_ok_and(|t| t == "hello\n")).await;
    sv.clear_logs(&pn("cat")).await.expect("clear");
    sv.send_stdin(&pn("cat"), "again\n").await.expect("stdin");
    eventually("after clear", || std::fs::read_to_string(&out).is_ok_and(|t| t == "again\n")).await;
    sv.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clearing_the_logs_of_processes_not_running() {
    let dir = tempfile::tempdir().expect("tempdir");
    let [once, never, linked, target] = ["once.log", "never.log", "linked.log", "target"].map(|n| dir.path().join(n));
    std::fs::write(&never, "old\n").expect("write");
    std::fs::write(&target, "kept\n").expect("write");
    std::os::unix::fs::symlink(&target, &linked).expect("symlink");
    let (sv, mut ev) = start(
        dir.path(),
        &format!(
            "[program:once]\ncommand=echo hi\nstartsecs=0\nautorestart=false\nstdout_logfile={}\n\
             [program:never]\ncommand=sleep 100\nautostart=false\nstdout_logfile={}\n\
             [program:linked]\ncommand=sleep 100\nautostart=false\nstdout_logfile={}\n",
            once.display(),
            never.display(),
            linked.display()
        ),
    );
    wait_for(&mut ev, "once", Exited).await;
    eventually("output", || std::fs::read_to_string(&once).is_ok_and(|t| t == "hi\n")).await;
    for name in ["once", "never", "linked"] {
        sv.clear_logs(&pn(name)).await.expect("clear");
    }
    // Emptied and still there, exited or never started; 4.3.0 leaves them
    // as they are (its log handlers go with the process).
    assert_eq!(std::fs::read_to_string(&once).expect("made again"), "");
    assert_eq!(std::fs::read_to_string(&never).expect("still there"), "");
    // Only regular files: a link (as /dev/stdout is) stays, and so does
    // what it points to.
    assert!(std::fs::symlink_metadata(&linked).expect("link").file_type().is_symlink());
    assert_eq!(std::fs::read_to_string(&target).expect("target"), "kept\n");
    sv.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strip_ansi_and_reading_logs_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (sv, mut ev) = start(
        dir.path(),
        "strip_ansi=true\n[program:color]\ncommand=printf '\\033[31mred\\033[0m 0123456789'\nstartsecs=0\nautorestart=false\n",
    );
    wait_for(&mut ev, "color", Exited).await;
    let want = b"red 0123456789".to_vec();
    let info = sv.info(&pn("color")).await.expect("info");
    let path = info.stdout_log.clone().expect("a log file");
    eventually("log", || std::fs::read(&path).is_ok_and(|d| d == want)).await;

    let color = pn("color");
    let read = |range| sv.read_log(&color, Channel::Stdout, range);
    assert_eq!(read(LogRange::From(0)).await.expect("read"), want);
    assert_eq!(read(LogRange::Span { offset: 4, length: 3 }).await.expect("read"), b"012");
    assert_eq!(read(LogRange::Last(4)).await.expect("read"), b"6789");
    assert_eq!(read(LogRange::From(10)).await.expect("read"), b"6789");
    let tail = sv.tail_log(&color, Channel::Stdout, 0, 5).await.expect("tail");
    assert_eq!((tail.data, tail.next_offset, tail.overflow), (b"56789".to_vec(), 14, true));
    let tail = sv.tail_log(&color, Channel::Stdout, 14, 5).await.expect("tail");
    assert_eq!((tail.data, tail.next_offset, tail.overflow), (Vec::new(), 14, false));
    assert!(matches!(
        sv.read_log(&pn("nope"), Channel::Stdout, LogRange::From(0)).await,
        Err(supervisor_core::supervisor::ControlError::BadName(_))
    ));
    let main = std::fs::read(sv.main_log_path().await.expect("a main log")).expect("main log");
    assert!(String::from_utf8_lossy(&main).contains("spawned: 'color'"));
    sv.shutdown().await.expect("shutdown");
}

/// The size of the pipe on `pid`'s stdout, opened through /proc.
fn stdout_pipe_size(pid: u32) -> i32 {
    let end = std::fs::OpenOptions::new().write(true).open(format!("/proc/{pid}/fd/1")).expect("open the pipe");
    nix::fcntl::fcntl(&end, nix::fcntl::FcntlArg::F_GETPIPE_SZ).expect("F_GETPIPE_SZ")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flooding_childs_pipe_grows_and_a_quiet_ones_does_not() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("flood.log");
    // One write of 2 MiB fills the pipe before the first read.
    let (sv, mut ev) = start(
        dir.path(),
        &format!(
            "[program:flood]\ncommand=sh -c 'dd if=/dev/zero bs=2M count=1 status=none; exec sleep 30'\n\
             startsecs=0\nstdout_logfile={}\nstdout_logfile_maxbytes=0\n\
             [program:quiet]\ncommand=sh -c 'echo hi; exec sleep 30'\nstartsecs=0\n",
            log.display()
        ),
    );
    // Both start at once, in either order.
    let mut running = std::collections::HashMap::new();
    while running.len() < 2 {
        let event = tokio::time::timeout(PATIENCE, ev.recv()).await.expect("RUNNING").expect("open");
        if let Event::ProcessState { name, transition, .. } = event
            && transition.to == Running
        {
            running.insert(name, transition.pid);
        }
    }
    let (flood, quiet) = (running["flood"], running["quiet"]);
    eventually("2 MiB logged", || std::fs::metadata(&log).is_ok_and(|m| m.len() == 2 * 1024 * 1024)).await;
    assert_eq!(stdout_pipe_size(flood), 256 * 1024);
    // 64 KiB, or less for a user over `fs.pipe-user-pages-soft`.
    assert!(stdout_pipe_size(quiet) < 256 * 1024);
    let bytes = std::fs::read(&log).expect("log");
    assert!(bytes.iter().all(|&b| b == 0), "every byte as written");
    sv.shutdown().await.expect("shutdown");
}

/// `childlog_format` shapes the file only: output events (and the library's
/// streams) carry the raw bytes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_formatted_log_file_beside_raw_output_events() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("fmt.log");
    let (sv, mut ev) = start(
        dir.path(),
        &format!(
            "childlog_format=json\n[program:fmt]\ncommand=sh -c 'echo hello; echo world; sleep 30'\nstartsecs=0\n\
             stdout_logfile={}\n",
            log.display()
        ),
    );
    let mut got = Vec::new();
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !String::from_utf8_lossy(&got).contains("world\n") {
        if let Event::ProcessLog { name, data, .. } =
            tokio::time::timeout_at(deadline, ev.recv()).await.expect("output event").expect("open")
            && name == "fmt"
        {
            got.extend(data);
        }
    }
    assert_eq!(got, b"hello\nworld\n");
    eventually("two JSON lines", || std::fs::read_to_string(&log).is_ok_and(|t| t.lines().count() == 2)).await;
    let text = std::fs::read_to_string(&log).expect("read");
    let messages: Vec<String> = text
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).expect("json")["message"].as_str().expect("text").to_owned()
        })
        .collect();
    assert_eq!(messages, ["hello", "world"]);
    sv.shutdown().await.expect("shutdown");
}
