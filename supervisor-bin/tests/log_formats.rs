//! The log additions, run for real: `logfile_format = json` through a
//! whole run, `childlog_format` in the files and in what `tail` shows,
//! programs' output on supervisord's own stdout in whole lines, and
//! rotation by time, gzip and age (issue 19).

mod common;

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime};

use common::{Guard, daemon_sections, log, start_daemon, wait_until, write_conf};

/// Our supervisorctl, on the socket of `daemon_sections`.
fn ctl(conf: &Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_supervisorctl"))
        .arg("-s")
        .arg(server(conf))
        .args(args)
        .output()
        .expect("run supervisorctl");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `daemon_sections` with `supervisord` added to `[supervisord]`, then `programs`.
fn config(dir: &Path, supervisord: &str, programs: &str) -> std::path::PathBuf {
    let sections = daemon_sections(dir, "").replace("nodaemon=true\n", &format!("nodaemon=true\n{supervisord}"));
    write_conf(dir, &format!("{sections}{programs}"))
}

fn server(conf: &Path) -> String {
    format!("unix://{}/s.sock", conf.parent().expect("dir").display())
}

fn running(conf: &Path, name: &str) -> bool {
    ctl(conf, &["status", name]).contains("RUNNING")
}

fn gunzip(path: &Path) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(path).expect("open gz")).read_to_end(&mut out).expect("gunzip");
    out
}

#[test]
fn a_json_main_log_is_json_on_every_line_with_the_fields_of_each_event() {
    let dir = tempfile::tempdir().expect("tempdir");
    let conf = config(
        dir.path(),
        "logfile_format = json\n",
        "[program:steady]\ncommand=sleep 600\nstartsecs=0\n\
         [program:crashy]\ncommand=sh -c 'exit 3'\nstartsecs=1\nstartretries=1\nautorestart=true\n",
    );
    let (guard, _) = start_daemon(&conf);
    wait_until("steady runs", || running(&conf, "steady"));
    wait_until("crashy is FATAL", || ctl(&conf, &["status", "crashy"]).contains("FATAL"));
    assert!(ctl(&conf, &["stop", "steady"]).contains("steady: stopped"));
    assert!(ctl(&conf, &["reload"]).contains("Restarted supervisord"));
    wait_until("steady runs again", || running(&conf, "steady"));
    drop(guard);

    let text = log(dir.path());
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}\n{text}")))
        .collect();
    for line in &lines {
        let time = line["time"].as_str().expect("time");
        assert!(chrono::DateTime::parse_from_rfc3339(time).is_ok() && time.contains('.'), "{line}");
        assert!(["INFO", "WARN", "CRIT", "ERRO", "DEBG"].contains(&line["level"].as_str().expect("level")), "{line}");
        assert!(line["message"].is_string(), "{line}");
    }
    let find = |prefix: &str| {
        lines
            .iter()
            .find(|l| l["message"].as_str().is_some_and(|m| m.starts_with(prefix)))
            .unwrap_or_else(|| panic!("no line starting {prefix:?}\n{text}"))
    };
    let spawned = find("spawned: 'steady'");
    assert_eq!(spawned["program"], "steady");
    assert_eq!(spawned["group"], "steady");
    assert!(spawned["pid"].as_u64().is_some_and(|p| p > 1), "{spawned}");
    assert_eq!(spawned["to_state"], "STARTING");

    let exited = find("exited: crashy");
    assert_eq!(exited["exit_status"], 3);
    assert_eq!(exited["expected"], false);
    assert_eq!(exited["from_state"], "STARTING");
    assert_eq!(exited["to_state"], "BACKOFF");
    assert_eq!(exited["level"], "WARN");

    let gave_up = find("gave up: crashy");
    assert_eq!((gave_up["from_state"].as_str(), gave_up["to_state"].as_str()), (Some("BACKOFF"), Some("FATAL")));

    let stopped = find("stopped: steady");
    assert_eq!(stopped["from_state"], "STOPPING");
    assert_eq!(stopped["to_state"], "STOPPED");
    assert_eq!(stopped["pid"], spawned["pid"]);
    assert_eq!(
        lines.iter().filter(|l| l["message"].as_str().is_some_and(|m| m.starts_with("supervisord started"))).count(),
        2,
        "reloaded"
    );
    // Lines about no process carry no process fields.
    let plain = find("RPC interface 'supervisor' initialized");
    assert!(plain.get("program").is_none(), "{plain}");
}

#[test]
fn a_main_log_pattern_shapes_each_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let conf = config(
        dir.path(),
        "logfile_format = %(levelname)s [%(name)s:%(process)d] %(message)s\n",
        "[program:steady]\ncommand=sleep 600\nstartsecs=0\n",
    );
    let (guard, pid) = start_daemon(&conf);
    wait_until("steady runs", || running(&conf, "steady"));
    drop(guard);
    let text = log(dir.path());
    let prefix = format!("INFO [supervisord:{pid}] spawned: 'steady' with pid ");
    assert!(text.lines().any(|l| l.starts_with(&prefix)), "{text}");
}

#[test]
fn child_logs_are_formatted_and_tail_shows_them_as_written() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path().display();
    // One line, one line without its newline for a while (written after
    // the wait), then bytes that are not UTF-8.
    let script = "printf 'one\\ntwo'; sleep 1; printf ' more\\n'; printf 'bad \\377\\n' >&2; exec sleep 600";
    let conf = config(
        dir.path(),
        "childlog_format = %(program)s/%(process_name)s %(channel)s | %(message)s\n",
        &format!(
            "[program:web]\ncommand=sh -c \"{script}\"\nstartsecs=0\nprocess_name=web_%(process_num)d\nnumprocs=1\n\
             stdout_logfile={d}/web.out\nstderr_logfile={d}/web.err\n\
             [program:api]\ncommand=sh -c \"{script}\"\nstartsecs=0\nchildlog_format=json\n\
             stdout_logfile={d}/api.out\nstderr_logfile={d}/api.err\n"
        ),
    );
    let (_guard, _) = start_daemon(&conf);
    let read = |name: &str| std::fs::read_to_string(dir.path().join(name)).unwrap_or_default();
    wait_until("the partial line is written after its wait", || read("web.out").contains("| two\n"));
    wait_until("the rest follows", || read("web.out").contains(" more\n"));
    assert_eq!(read("web.out"), "web/web_0 stdout | one\nweb/web_0 stdout | two\nweb/web_0 stdout |  more\n");
    wait_until("stderr is logged", || std::fs::metadata(dir.path().join("web.err")).is_ok_and(|m| m.len() > 0));
    let err = std::fs::read(dir.path().join("web.err")).expect("read");
    assert_eq!(err, b"web/web_0 stderr | bad \xff\n", "the pattern keeps bytes as they are");

    wait_until("api logs", || read("api.out").lines().count() == 3 && !read("api.err").is_empty());
    for line in read("api.out").lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("json");
        assert_eq!(
            (v["program"].as_str(), v["process"].as_str(), v["channel"].as_str()),
            (Some("api"), Some("api"), Some("stdout"))
        );
        assert!(v["pid"].as_u64().is_some() && v["time"].is_string(), "{v}");
    }
    let err: serde_json::Value = serde_json::from_str(read("api.err").trim_end()).expect("json");
    assert_eq!(err["message"], "bad \u{fffd}");
    assert_eq!(err["lossy"], true);

    // What supervisorctl shows is the file as written.
    let tail = ctl(&conf, &["tail", "web:web_0"]);
    assert!(tail.starts_with("web/web_0 stdout | one\n") && tail.contains("web/web_0 stdout |  more\n"), "{tail:?}");
    let tail = ctl(&conf, &["tail", "api", "stderr"]);
    assert!(tail.contains("\"lossy\":true"), "{tail:?}");
}

/// Many programs writing to supervisord's own stdout at once: each line
/// arrives whole, prefixed as `childlog_format` asks.
#[test]
fn programs_on_supervisords_stdout_never_cut_each_others_lines() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path().display();
    let line = "x".repeat(300);
    let mut programs = String::new();
    for n in 0..4 {
        programs.push_str(&format!(
            "[program:p{n}]\ncommand=sh -c 'i=0; while [ $i -lt 2000 ]; do echo \"p{n}-$i-{line}\"; i=$((i+1)); done; \
             touch {d}/done{n}; exec sleep 600'\nstartsecs=0\nstdout_logfile=/dev/stdout\nstderr_logfile=NONE\n"
        ));
    }
    let conf = config(dir.path(), "silent=true\nchildlog_format=%(program)s | %(message)s\n", &programs);
    let child = Command::new(env!("CARGO_BIN_EXE_supervisord"))
        .arg("-c")
        .arg(&conf)
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn supervisord");
    let mut guard = Guard::new(child);
    let mut stdout = guard.0.as_mut().and_then(|c| c.stdout.take()).expect("stdout");
    let reader = std::thread::spawn(move || {
        let mut all = String::new();
        stdout.read_to_string(&mut all).expect("read stdout");
        all
    });
    wait_until("every program wrote", || (0..4).all(|n| dir.path().join(format!("done{n}")).exists()));
    // The last lines may still be in a pipe.
    std::thread::sleep(Duration::from_millis(500));
    drop(guard);
    let all = reader.join().expect("reader");
    let mut counts = [0usize; 4];
    for l in all.lines() {
        let (program, rest) = l.split_once(" | ").unwrap_or_else(|| panic!("a cut line: {l:?}"));
        let n: usize = program.strip_prefix('p').and_then(|n| n.parse().ok()).expect("program");
        let mut parts = rest.splitn(3, '-');
        assert_eq!(parts.next(), Some(program), "{l:?}");
        let i: usize = parts.next().and_then(|i| i.parse().ok()).expect("counter");
        assert_eq!(parts.next(), Some(line.as_str()), "{l:?}");
        assert_eq!(i, counts[n], "lines of one program arrive in order");
        counts[n] += 1;
    }
    assert_eq!(counts, [2000; 4]);
}

#[test]
fn compressed_rotation_keeps_gzipped_backups_and_tail_follows() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path().display();
    let conf = write_conf(
        dir.path(),
        &format!(
            "{}[program:talker]\ncommand=sh -c 'i=0; while true; do echo \"line $i\"; i=$((i+1)); sleep 0.002; done'\n\
             startsecs=0\nstdout_logfile={d}/talker.log\nstdout_logfile_maxbytes=4KB\nstdout_logfile_backups=3\n\
             stdout_logfile_compress=gzip\n",
            daemon_sections(dir.path(), "")
        ),
    );
    let (_guard, _) = start_daemon(&conf);
    let gz = |i: u32| dir.path().join(format!("talker.log.{i}.gz"));
    wait_until("three compressed backups", || gz(3).exists());
    // Every backup is a run of whole, numbered lines of about maxbytes.
    let mut last = None;
    for i in (1..=3).rev() {
        let text = String::from_utf8(gunzip(&gz(i))).expect("utf-8");
        assert!(text.len() >= 4096 && text.len() < 4096 + 4096, "{}", text.len());
        for l in text.lines() {
            let n: u64 = l.strip_prefix("line ").and_then(|n| n.parse().ok()).unwrap_or_else(|| panic!("{l:?}"));
            if let Some(prev) = last {
                assert_eq!(n, prev + 1, "backups are in order and lose nothing");
            }
            last = Some(n);
        }
    }
    assert!(!dir.path().join("talker.log.4.gz").exists() && !dir.path().join("talker.log.1").exists());

    // tail -f keeps following across rotations.
    let mut tail = Command::new(env!("CARGO_BIN_EXE_supervisorctl"))
        .arg("-s")
        .arg(server(&conf))
        .args(["tail", "-f", "talker"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("tail -f");
    let mut out = tail.stdout.take().expect("stdout");
    let collected = std::thread::spawn(move || {
        let mut all = Vec::new();
        let _ = out.read_to_end(&mut all);
        all
    });
    let first = std::fs::read_dir(dir.path()).expect("dir").count();
    let rotated_before = std::fs::metadata(gz(1)).and_then(|m| m.modified()).expect("mtime");
    wait_until("two more rotations", || {
        std::fs::metadata(gz(1))
            .and_then(|m| m.modified())
            .is_ok_and(|t| t > rotated_before + Duration::from_millis(50))
    });
    std::thread::sleep(Duration::from_secs(1));
    let _ = tail.kill();
    let _ = tail.wait();
    let text = String::from_utf8_lossy(&collected.join().expect("tail output")).into_owned();
    let numbers: Vec<u64> = text.lines().filter_map(|l| l.strip_prefix("line ")?.parse().ok()).collect();
    assert!(numbers.len() > 300, "tail -f followed only {} lines over rotations", numbers.len());
    assert!(first > 0);
}

#[test]
fn time_rotation_and_maxage() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path().display();
    let log_path = dir.path().join("daily.log");
    // Yesterday's log, and a week-old backup.
    std::fs::write(&log_path, "from yesterday\n").expect("write");
    let age = |days: u64| SystemTime::now() - Duration::from_secs(days * 86_400);
    std::fs::File::options().write(true).open(&log_path).expect("open").set_modified(age(1)).expect("mtime");
    let old = dir.path().join("daily.log.2");
    std::fs::write(&old, "from last week\n").expect("write");
    std::fs::File::options().write(true).open(&old).expect("open").set_modified(age(8)).expect("mtime");
    let conf = config(
        dir.path(),
        "logfile_rotate=daily\n",
        &format!(
            "[program:daily]\ncommand=sh -c 'echo today; exec sleep 600'\nstartsecs=0\nstdout_logfile={d}/daily.log\n\
             stdout_logfile_rotate=daily\nstdout_logfile_maxage=7d\n"
        ),
    );
    let (_guard, _) = start_daemon(&conf);
    wait_until("today's line", || std::fs::read_to_string(&log_path).is_ok_and(|t| t == "today\n"));
    assert_eq!(std::fs::read_to_string(dir.path().join("daily.log.1")).expect("read"), "from yesterday\n");
    wait_until("the week-old copy is deleted", || !old.exists());
    assert!(log(dir.path()).contains("spawned: 'daily'"));
}

#[test]
fn bad_log_keys_are_check_errors_naming_file_line_section_and_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bad.conf");
    std::fs::write(
        &path,
        "[supervisord]\nlogfile_format=%(program)s %(message)s\nlogfile_rotate=monthly\n\
         [program:x]\ncommand=cat\nchildlog_format=%(asctime)s\nstdout_logfile_compress=zip\nstderr_logfile_maxage=7\n",
    )
    .expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_supervisord")).args(["--check", "-c"]).arg(&path).output().expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    let p = path.display();
    for want in [
        format!(
            "{p}:2: [supervisord] logfile_format: invalid log format '%(program)s %(message)s': unknown field 'program'"
        ),
        format!("{p}:3: [supervisord] logfile_rotate: invalid rotation 'monthly'"),
        format!("{p}:6: [program:x] childlog_format: invalid log format '%(asctime)s': it has no %(message)s"),
        format!("{p}:7: [program:x] stdout_logfile_compress: invalid compression 'zip'"),
        format!("{p}:8: [program:x] stderr_logfile_maxage: invalid age '7'"),
    ] {
        assert!(err.contains(&want), "missing {want:?} in:\n{err}");
    }
}

/// stdout and stderr in one file with compression: one writer, so neither
/// rotates the file from under the other and no output is lost.
#[test]
fn both_channels_in_one_compressed_file_lose_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path().display();
    let conf = config(
        dir.path(),
        "",
        &format!(
            "[program:both]\ncommand=sh -c 'i=0; while [ $i -lt 400 ]; do echo \"out $i\"; echo \"err $i\" >&2; i=$((i+1)); done; exec sleep 600'\n\
             startsecs=0\nstdout_logfile={d}/both.log\nstderr_logfile={d}/both.log\n\
             stdout_logfile_maxbytes=2KB\nstderr_logfile_maxbytes=2KB\nstdout_logfile_backups=50\nstderr_logfile_backups=50\n\
             stdout_logfile_compress=gzip\nstderr_logfile_compress=gzip\n"
        ),
    );
    let (_guard, _) = start_daemon(&conf);
    let all = || {
        let mut text = std::fs::read_to_string(dir.path().join("both.log")).unwrap_or_default();
        for i in 1..=50 {
            let gz = dir.path().join(format!("both.log.{i}.gz"));
            if gz.exists() {
                text.push_str(&String::from_utf8_lossy(&gunzip(&gz)));
            }
        }
        text
    };
    wait_until("every line in the file or its backups", || {
        let text = all();
        (0..400).all(|i| text.contains(&format!("out {i}\n")) && text.contains(&format!("err {i}\n")))
    });
}
