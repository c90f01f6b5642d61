//! `metrics = true`: `GET /metrics` in Prometheus' text format, read by
//! `promtool check metrics` and scraped by a real Prometheus server
//! (Debian's `prometheus` package, which scripts/test installs) whose
//! PromQL answers are checked after a crash and an autorestart.

mod common;
use common::*;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

const USER: &str = "scraper";
const PASSWORD: &str = "s3cret";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

/// A daemon with metrics on a TCP server (Basic auth) and off on its unix
/// socket; `crasher` exits 3 once, then runs; `talker` writes 6 bytes to
/// stdout and 5 to stderr; `steady` runs a child of its own.
fn config(dir: &Path, port: u16) -> String {
    let d = dir.display();
    format!(
        "{}[inet_http_server]\nport=127.0.0.1:{port}\nusername={USER}\npassword={PASSWORD}\nmetrics=true\n\
         [program:crasher]\ncommand=sh -c 'if [ -e {d}/crashed ]; then exec sleep 300; fi; touch {d}/crashed; exit 3'\n\
         startsecs=0\nautorestart=true\n\
         [program:talker]\ncommand=sh -c 'echo hello; echo oops >&2; exec sleep 300'\nstartsecs=0\n\
         [program:steady]\ncommand=sh -c 'sleep 300 & exec sleep 301'\nstartsecs=0\nstopasgroup=true\n",
        daemon_sections(dir, "")
    )
}

fn curl(args: &[&str]) -> (u16, String, String) {
    let out = Command::new("curl")
        .args(["-sS", "--max-time", "30", "-o", "-", "-D", "/dev/stderr"])
        .args(args)
        .output()
        .expect("curl");
    let head = String::from_utf8_lossy(&out.stderr).into_owned();
    let status = head.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    (status, head, String::from_utf8_lossy(&out.stdout).into_owned())
}

fn scrape(port: u16) -> String {
    let (status, head, body) =
        curl(&["-u", &format!("{USER}:{PASSWORD}"), &format!("http://127.0.0.1:{port}/metrics")]);
    assert_eq!(status, 200, "{head}{body}");
    body
}

/// The value of the one sample whose line starts with `series` (name and labels).
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.trim().parse().ok())
}

fn ctl(dir: &Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_supervisorctl"))
        .arg("-s")
        .arg(format!("unix://{}/s.sock", dir.display()))
        .args(args)
        .output()
        .expect("supervisorctl");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn metrics_are_served_behind_auth_and_promtool_accepts_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let (_guard, _) = start_daemon(&write_conf(dir.path(), &config(dir.path(), port)));
    let sock = dir.path().join("s.sock");
    wait_until("the servers", || sock.exists() && std::net::TcpStream::connect(("127.0.0.1", port)).is_ok());
    wait_until("everything running and crasher restarted", || {
        let text = scrape(port);
        ["crasher", "talker", "steady"].iter().all(|n| {
            sample(&text, &format!("supervisor_process_state{{group=\"{n}\",name=\"{n}\",state=\"RUNNING\"}}"))
                == Some(1.0)
        }) && sample(&text, "supervisor_process_log_bytes_total{group=\"talker\",name=\"talker\",channel=\"stderr\"}")
            == Some(5.0)
    });

    // The same Basic auth as everything else.
    assert_eq!(curl(&[&format!("http://127.0.0.1:{port}/metrics")]).0, 401);
    assert_eq!(curl(&["-u", "scraper:wrong", &format!("http://127.0.0.1:{port}/metrics")]).0, 401);
    let (_, head, _) = curl(&["-u", &format!("{USER}:{PASSWORD}"), &format!("http://127.0.0.1:{port}/metrics")]);
    assert!(head.to_lowercase().contains("content-type: text/plain; version=0.0.4"), "{head}");
    // Not where metrics are off.
    let answer = curl(&["--unix-socket", sock.to_str().expect("utf-8"), "http://localhost/metrics"]);
    assert_eq!(answer.0, 404, "{answer:?}");

    // A manual restart, counted as one.
    assert!(ctl(dir.path(), &["restart", "talker"]).contains("talker: started"));
    let text = scrape(port);
    let restarts = |name: &str, reason: &str| {
        sample(
            &text,
            &format!("supervisor_process_restarts_total{{group=\"{name}\",name=\"{name}\",reason=\"{reason}\"}}"),
        )
    };
    assert_eq!(restarts("crasher", "autorestart"), Some(1.0), "{text}");
    assert_eq!(restarts("crasher", "manual"), Some(0.0));
    assert_eq!(restarts("talker", "manual"), Some(1.0));
    assert_eq!(restarts("talker", "autorestart"), Some(0.0));
    assert_eq!(restarts("talker", "health"), Some(0.0));
    // Output bytes over both runs of talker: "hello\n" twice, "oops\n" twice.
    let bytes = |channel: &str| {
        sample(
            &text,
            &format!("supervisor_process_log_bytes_total{{group=\"talker\",name=\"talker\",channel=\"{channel}\"}}"),
        )
    };
    assert_eq!((bytes("stdout"), bytes("stderr")), (Some(12.0), Some(10.0)), "{text}");
    // crasher's last exit was 3; the running ones have CPU and memory,
    // steady's memory counting its child too.
    assert!(text.contains("supervisor_process_exit_status{group=\"crasher\",name=\"crasher\"} 3"), "{text}");
    let cpu = sample(&text, "supervisor_process_cpu_seconds_total{group=\"steady\",name=\"steady\"}");
    assert!(cpu.is_some_and(|s| s >= 0.0), "{text}");
    let rss = sample(&text, "supervisor_process_resident_memory_bytes{group=\"steady\",name=\"steady\"}");
    let one_sleep = sample(&text, "supervisor_process_resident_memory_bytes{group=\"crasher\",name=\"crasher\"}");
    assert!(rss.zip(one_sleep).is_some_and(|(two, one)| two > one), "steady and its child: {text}");
    let started = sample(&text, "supervisor_process_start_time_seconds{group=\"steady\",name=\"steady\"}");
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("time").as_secs_f64();
    assert!(started.is_some_and(|t| t > now - 300.0 && t <= now + 1.0), "{text}");

    // The daemon's own figures.
    assert!(text.contains("supervisord_info{identification=\"supervisor\",version=\"4.3.0\"} 1"), "{text}");
    assert_eq!(sample(&text, "supervisord_state{state=\"RUNNING\"}"), Some(1.0));
    assert_eq!(sample(&text, "supervisord_state{state=\"SHUTDOWN\"}"), Some(0.0));
    assert!(sample(&text, "supervisord_resident_memory_bytes").is_some_and(|b| b > 0.0));
    assert!(sample(&text, "supervisord_open_fds").is_some_and(|n| n >= 3.0));
    assert!(sample(&text, "supervisord_start_time_seconds").is_some_and(|t| t > now - 600.0));
    assert_eq!(sample(&text, "supervisord_events_dropped_total"), Some(0.0));
    // supervisorctl's calls, by method and fault; unknown names pooled.
    let called =
        |m: &str, f: &str| sample(&text, &format!("supervisord_rpc_requests_total{{fault=\"{f}\",method=\"{m}\"}}"));
    assert!(called("supervisor.stopProcess", "none").is_some_and(|n| n >= 1.0), "{text}");
    ctl(dir.path(), &["start", "nosuch"]);
    let text = scrape(port);
    let called =
        |m: &str, f: &str| sample(&text, &format!("supervisord_rpc_requests_total{{fault=\"{f}\",method=\"{m}\"}}"));
    assert!(called("supervisor.startProcess", "BAD_NAME").is_some_and(|n| n >= 1.0), "{text}");
    assert!(sample(&text, "supervisord_rpc_request_duration_seconds_count").is_some_and(|n| n >= 3.0), "{text}");

    // promtool, Prometheus' own linter, reads it without a complaint.
    let mut promtool = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool (Debian's prometheus package; scripts/test installs it)");
    std::io::Write::write_all(&mut promtool.stdin.take().expect("stdin"), text.as_bytes()).expect("write");
    let out = promtool.wait_with_output().expect("promtool");
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success() && said.trim().is_empty(), "promtool: {said}\n{text}");
}

/// Asks Prometheus' HTTP API for `query`; the first result's value.
fn promql(port: u16, query: &str) -> Option<f64> {
    let url = format!("http://127.0.0.1:{port}/api/v1/query");
    let (status, _, body) = curl(&["-G", &url, "--data-urlencode", &format!("query={query}")]);
    if status != 200 {
        return None;
    }
    let answer: serde_json::Value = serde_json::from_str(&body).ok()?;
    answer["data"]["result"][0]["value"][1].as_str()?.parse().ok()
}

#[test]
fn a_real_prometheus_scrapes_restarts_and_states() {
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let (_guard, _) = start_daemon(&write_conf(dir.path(), &config(dir.path(), port)));
    wait_until("the server", || std::net::TcpStream::connect(("127.0.0.1", port)).is_ok());

    let prom_port = free_port();
    let prom_conf = dir.path().join("prometheus.yml");
    std::fs::write(
        &prom_conf,
        format!(
            "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n  - job_name: supervisord\n    \
             basic_auth:\n      username: {USER}\n      password: {PASSWORD}\n    static_configs:\n      \
             - targets: ['127.0.0.1:{port}']\n"
        ),
    )
    .expect("write prometheus.yml");
    let prometheus = Command::new("prometheus")
        .arg(format!("--config.file={}", prom_conf.display()))
        .arg(format!("--storage.tsdb.path={}", dir.path().join("tsdb").display()))
        .arg(format!("--web.listen-address=127.0.0.1:{prom_port}"))
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.path().join("prometheus.log")).expect("log"))
        .spawn()
        .expect("prometheus (Debian's package; scripts/test installs it)");
    let _prometheus = Guard::new(prometheus);

    let wanted = [
        ("supervisor_process_restarts_total{name=\"crasher\",reason=\"autorestart\"}", 1.0),
        ("supervisor_process_restarts_total{name=\"crasher\",reason=\"manual\"}", 0.0),
        ("supervisor_process_state{name=\"crasher\",state=\"RUNNING\"}", 1.0),
        ("supervisor_process_state{name=\"crasher\",state=\"EXITED\"}", 0.0),
        ("supervisor_process_exit_status{name=\"crasher\"}", 3.0),
        ("up{job=\"supervisord\"}", 1.0),
    ];
    let mut last = Vec::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(90);
    while std::time::Instant::now() < deadline {
        last = wanted.iter().map(|(q, _)| promql(prom_port, q)).collect();
        if last.iter().zip(&wanted).all(|(got, (_, want))| *got == Some(*want)) {
            break;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    let prom_log = std::fs::read_to_string(dir.path().join("prometheus.log")).unwrap_or_default();
    for (got, (query, want)) in last.iter().zip(&wanted) {
        assert_eq!(*got, Some(*want), "{query}\n--- prometheus.log ---\n{prom_log}");
    }
}
