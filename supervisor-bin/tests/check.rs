//! `supervisord --check`, `echo_supervisord_conf` and the command-line
//! errors, run as real binaries.

mod common;

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use common::{Guard, log, wait_until};

fn supervisord(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_supervisord")).args(args).output().expect("run supervisord")
}

fn sample() -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_echo_supervisord_conf")).output().expect("run echo_supervisord_conf");
    assert!(out.status.success());
    String::from_utf8(out.stdout).expect("utf-8")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn the_sample_config_passes_check_through_a_pipe() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_supervisord"))
        .args(["--check", "-c", "/dev/stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child.stdin.take().expect("stdin").write_all(sample().as_bytes()).expect("write");
    let out = child.wait_with_output().expect("wait");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("configuration is valid"));
}

#[test]
fn the_sample_documents_every_section_and_loads_uncommented() {
    let sample = sample();
    for section in [
        "[unix_http_server]",
        "[inet_http_server]",
        "[supervisord]",
        "[rpcinterface:supervisor]",
        "[supervisorctl]",
        "[program:",
        "[eventlistener:",
        "[fcgi-program:",
        "[group:",
        "[include]",
        "[ctlplugin:",
    ] {
        assert!(sample.contains(section), "sample lacks {section}");
    }
    // Every example key, switched on, must still load (the group's
    // placeholder members renamed to the sample program, the example users
    // and log paths of 4.3.0's sample made ones that exist).
    let live: String = sample
        .lines()
        .map(|l| match l.strip_prefix(';') {
            Some(rest) if rest.starts_with(|c: char| c.is_ascii_lowercase() || c == '[') => rest,
            _ => l,
        })
        .map(|l| {
            l.replace("progname1,progname2", "theprogramname")
                .replace("user=chrism", "user=nobody")
                .replace("user=supervisord", "user=nobody")
                .replace("/a/path", "/tmp/a.log")
        })
        .collect::<Vec<_>>()
        .join("\n");
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("live.conf");
    std::fs::write(&path, live).expect("write");
    let out = supervisord(&["--check", "-c", path.to_str().expect("utf-8 path")]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    // Every key the sample documents is one we read.
    assert!(!text(&out.stderr).contains("unknown key"), "{}", text(&out.stderr));
    for key in ["stopasgroup", "stderr_capture_maxbytes", "buffer_size", "history_file"] {
        assert!(sample.contains(&format!(";{key}=")), "sample lacks {key}");
    }
    assert!(sample.contains("\nminprocs=200 "), "sample lacks minprocs");
    // Keys 4.3.0's sample has no line for are described in prose.
    for key in ["socket_backlog", "numprocs_start", "result_handler"] {
        assert!(
            sample.contains(&format!(";   {key} ")) || sample.contains(&format!(";     {key} ")),
            "sample lacks {key}"
        );
    }
}

#[test]
fn the_bundled_example_passes_check() {
    let example = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/supervisord.conf");
    let out = supervisord(&["--check", "-c", example.to_str().expect("utf-8 path")]);
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[test]
fn a_bad_config_lists_every_error_and_exits_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bad.conf");
    std::fs::write(&path, "[supervisord]\nloglevel=loud\n\n[program:web]\ncommand=cat\nstartretries=x\n")
        .expect("write");
    let out = supervisord(&["--check", "-c", path.to_str().expect("utf-8 path")]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    let p = path.display();
    assert!(err.contains(&format!("Error: {p}:2: [supervisord] loglevel: bad logging level name 'loud'")), "{err}");
    assert!(
        err.contains(&format!("Error: {p}:6: [program:web] startretries: invalid literal for int() with base 10: 'x'")),
        "{err}"
    );
}

#[test]
fn a_missing_config_is_a_usage_error() {
    let out = supervisord(&["--check", "-c", "/nonexistent/supervisord.conf"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("could not find config file /nonexistent/supervisord.conf"));
}

#[test]
fn command_line_errors_read_like_4_3_0() {
    let out = supervisord(&["--bogus"]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.starts_with("Error: option --bogus not recognized\nFor help, use "), "{err}");
    assert!(err.ends_with(" -h\n"), "{err}");

    let out = supervisord(&["-c", "x.conf", "extra"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).starts_with("Error: positional arguments are not supported: ['extra']\n"));

    let out = supervisord(&["-v"]);
    assert_eq!((out.status.code(), text(&out.stdout)), (Some(0), "4.3.0\n".to_owned()));

    let out = supervisord(&["-h"]);
    assert!(out.status.success());
    assert!(text(&out.stdout).contains("-c/--configuration FILENAME -- configuration file path"));
}

#[test]
fn check_without_c_searches_the_default_places() {
    // ./supervisord.conf is on 4.3.0's search path.
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("supervisord.conf"), "[supervisord]\n").expect("write");
    let out =
        Command::new(env!("CARGO_BIN_EXE_supervisord")).arg("--check").current_dir(dir.path()).output().expect("run");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).starts_with("supervisord.conf: configuration is valid"));
}

#[test]
fn check_warns_about_keys_nothing_reads_and_a_normal_run_stays_silent() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path().display();
    let path = dir.path().join("typos.conf");
    std::fs::write(
        &path,
        format!(
            "[DEFAULT]\n\
             shared = x    ; inherited by every section: never reported\n\
             startsecs = 0\n\
             \n\
             [supervisord]\n\
             logfile={d}/supervisord.log\n\
             pidfile={d}/supervisord.pid\n\
             childlogdir={d}\n\
             loglevl=debug\n\
             \n\
             [unix_http_server]\n\
             file={d}/s.sock\n\
             chmood=0700\n\
             \n\
             [rpcinterface:supervisor]\n\
             supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n\
             retries = 3\n\
             \n\
             [program:x]\n\
             command=sleep 300\n\
             autostrat=false\n\
             shared=mine\n\
             frobnicate=1\n\
             \n\
             [group:g]\n\
             programs=x\n\
             priorty=5\n"
        ),
    )
    .expect("write");
    let p = path.display();
    let out = supervisord(&["--check", "-c", path.to_str().expect("utf-8 path")]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert_eq!(text(&out.stdout), format!("{p}: configuration is valid\n"));
    let warnings: Vec<&str> = err.lines().filter(|l| l.contains("unknown key")).collect();
    assert_eq!(
        warnings,
        [
            format!("WARN {p}:9: [supervisord] loglevl: unknown key, ignored (did you mean 'loglevel'?)"),
            format!("WARN {p}:13: [unix_http_server] chmood: unknown key, ignored (did you mean 'chmod'?)"),
            format!("WARN {p}:21: [program:x] autostrat: unknown key, ignored (did you mean 'autostart'?)"),
            format!("WARN {p}:23: [program:x] frobnicate: unknown key, ignored"),
            format!("WARN {p}:27: [group:g] priorty: unknown key, ignored (did you mean 'priority'?)"),
        ],
        "{err}"
    );

    // A misspelt required key: the error, and the warning that explains it.
    let broken = dir.path().join("broken.conf");
    std::fs::write(&broken, "[supervisord]\n[program:y]\ncomand=cat\n").expect("write");
    let out = supervisord(&["--check", "-c", broken.to_str().expect("utf-8 path")]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    let b = broken.display();
    assert!(
        err.contains(&format!("WARN {b}:3: [program:y] comand: unknown key, ignored (did you mean 'command'?)\n")),
        "{err}"
    );
    assert!(err.ends_with("configuration is invalid (1 error(s))\n"), "{err}");

    // Without --check, 4.3.0's behaviour: nothing said, on stderr or in the log.
    let child = Command::new(env!("CARGO_BIN_EXE_supervisord"))
        .args(["-n", "-c", path.to_str().expect("utf-8 path")])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn supervisord");
    let daemon = Guard::new(child);
    wait_until("x running", || log(dir.path()).contains("success: x entered RUNNING state"));
    let out = daemon.finish();
    let logged = log(dir.path());
    assert!(logged.contains("supervisord started with pid"), "{logged}");
    for word in ["unknown key", "autostrat", "frobnicate", "loglevl"] {
        assert!(!logged.contains(word), "{word} in the log: {logged}");
        assert!(!text(&out.stderr).contains(word), "{word} on stderr: {}", text(&out.stderr));
    }
}

#[test]
fn check_reports_a_cycle_an_unknown_name_and_a_bad_condition_at_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("deps.conf");
    std::fs::write(
        &path,
        "[supervisord]\n[program:a]\ncommand=cat\ndepends_on=b\n[program:b]\ncommand=cat\ndepends_on=a\n\
         [program:c]\ncommand=cat\ndepends_on=nope\n[program:d]\ncommand=cat\ndepends_on=a=soon\n",
    )
    .expect("write");
    let out = supervisord(&["--check", "-c", &path.to_string_lossy()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stdout));
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    let p = path.display();
    for want in [
        format!("{p}:4: [program:a] depends_on: dependency cycle: a -> b -> a"),
        format!("{p}:10: [program:c] depends_on: names unknown program, group or process 'nope'"),
        format!("{p}:13: [program:d] depends_on: unknown condition 'soon'"),
    ] {
        assert!(all.contains(&want), "missing {want:?} in:\n{all}");
    }
}
