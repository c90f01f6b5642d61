//! The web page behind a real reverse proxy that rewrites `Host` (nginx's
//! default `proxy_set_header Host $proxy_host`), over plain http, clicked
//! in a real browser (headless Chromium, driven over its DevTools pipe):
//! the page's own links act, as with 4.3.0, while a request without the
//! page's token that shows it comes from another site's page is still
//! refused.
//!
//! Needs `nginx` and `chromium` (Debian's packages, installed by
//! `scripts/test`); without them the test fails.

mod common;
use common::*;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const AUTH: &str = "Basic dXNlcjpwYXNz"; // user:pass

/// The name the browser knows the proxy by: not localhost, so Chromium
/// sends no `Sec-Fetch-Site` (as to any plain-http address), only a
/// `Referer` naming the proxy, not the `Host` the proxy sends on.
const SITE: &str = "supervisor.test";

/// Two free loopback ports (both held while asked, so not the same one).
fn free_ports() -> (u16, u16) {
    let bind = || TcpListener::bind("127.0.0.1:0").expect("bind");
    let (a, b) = (bind(), bind());
    (a.local_addr().expect("addr").port(), b.local_addr().expect("addr").port())
}

/// Where `program` is: on PATH, or where Debian puts it.
fn installed(program: &str) -> std::path::PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/usr/bin"].map(std::path::PathBuf::from))
        .map(|d| d.join(program))
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("{program} is not installed: scripts/test installs it (Debian's package)"))
}

/// A raw GET to `port`, with `extra` header lines.
fn get(port: u16, path: &str, extra: &str) -> Answer {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(30))).expect("timeout");
    exchange(&mut s, &format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n{extra}\r\n"))
}

/// The state of `name` on the status page, asked of supervisord directly.
fn state(port: u16, name: &str) -> String {
    let page = get(port, "/", &format!("Authorization: {AUTH}\r\n")).body;
    let marker = format!(">{name}</a>");
    let row = page.lines().find(|l| l.starts_with("<tr") && l.contains(&marker)).unwrap_or("");
    ["running", "stopped", "starting", "stopping", "exited", "fatal", "backoff"]
        .into_iter()
        .find(|s| row.contains(&format!(">{s}<")))
        .unwrap_or("?")
        .to_owned()
}

/// A JSON string's text from its opening quote on (escapes decoded).
fn json_string(from: &str) -> String {
    let mut out = String::new();
    let mut chars = from.strip_prefix('"').expect("a string").chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => break,
            '\\' => match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some('r') => out.push('\r'),
                Some('u') => {
                    let hex: String = chars.by_ref().take(4).collect();
                    out.push(u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32).unwrap_or('\u{fffd}'));
                }
                Some(other) => out.push(other),
                None => break,
            },
            c => out.push(c),
        }
    }
    out
}

/// `text` as a JSON string.
fn json_quote(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Headless Chromium on its DevTools pipe (`--remote-debugging-pipe`: it
/// reads NUL-ended JSON commands on fd 3 and answers on fd 4).
struct Browser {
    _process: Guard,
    commands: std::fs::File,
    answers: mpsc::Receiver<String>,
    next_id: u64,
    session: String,
    stderr: std::path::PathBuf,
}

impl Browser {
    fn start(dir: &Path) -> Browser {
        let chromium = installed("chromium");
        let cloexec = nix::fcntl::OFlag::O_CLOEXEC;
        let (theirs_in, ours_out) = nix::unistd::pipe2(cloexec).expect("pipe");
        let (ours_in, theirs_out) = nix::unistd::pipe2(cloexec).expect("pipe");
        let stderr = dir.join("chromium.err");
        let mut cmd = Command::new(chromium);
        cmd.args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--no-proxy-server",
            "--remote-debugging-pipe",
        ])
        .arg(format!("--user-data-dir={}", dir.join("profile").display()))
        .arg(format!("--host-resolver-rules=MAP {SITE} 127.0.0.1"))
        .arg("about:blank")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&stderr).expect("stderr file"));
        let (r, w) = (theirs_in.as_raw_fd(), theirs_out.as_raw_fd());
        // SAFETY: only fcntl and dup2 between fork and exec. Copied above 4
        // first, so neither end can be overwritten by the other's dup2;
        // dup2 leaves 3 and 4 (only) open across exec.
        unsafe {
            cmd.pre_exec(move || {
                let (r, w) = (libc::fcntl(r, libc::F_DUPFD_CLOEXEC, 5), libc::fcntl(w, libc::F_DUPFD_CLOEXEC, 5));
                if r < 0 || w < 0 || libc::dup2(r, 3) < 0 || libc::dup2(w, 4) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let process = Guard::new(cmd.spawn().expect("spawn chromium"));
        drop((theirs_in, theirs_out));
        let (tx, answers) = mpsc::channel();
        std::thread::spawn(move || {
            let mut input = std::fs::File::from(ours_in);
            let mut pending = Vec::new();
            let mut buf = [0u8; 65536];
            while let Ok(n @ 1..) = input.read(&mut buf) {
                pending.extend_from_slice(&buf[..n]);
                while let Some(end) = pending.iter().position(|&b| b == 0) {
                    let message: Vec<u8> = pending.drain(..=end).collect();
                    if tx.send(String::from_utf8_lossy(&message[..end]).into_owned()).is_err() {
                        return;
                    }
                }
            }
        });
        let mut browser = Browser {
            _process: process,
            commands: std::fs::File::from(ours_out),
            answers,
            next_id: 0,
            session: String::new(),
            stderr,
        };
        let created = browser.call("Target.createTarget", r#"{"url":"about:blank"}"#);
        let target = browser.field(&created, "targetId");
        let attached =
            browser.call("Target.attachToTarget", &format!(r#"{{"targetId":{},"flatten":true}}"#, json_quote(&target)));
        browser.session = browser.field(&attached, "sessionId");
        browser
    }

    /// String field `key` of `message`.
    fn field(&self, message: &str, key: &str) -> String {
        let marker = format!("\"{key}\":");
        let at = message.find(&marker).unwrap_or_else(|| panic!("no {key} in {message}"));
        json_string(&message[at + marker.len()..])
    }

    /// Sends a command (to the page once attached) and waits for its answer.
    fn call(&mut self, method: &str, params: &str) -> String {
        self.try_call(method, params).unwrap_or_else(|e| panic!("{method}: {e}"))
    }

    /// Like [`Browser::call`], the answer or the error (a page between two
    /// documents may not evaluate).
    fn try_call(&mut self, method: &str, params: &str) -> Result<String, String> {
        self.next_id += 1;
        let id = self.next_id;
        let session = if self.session.is_empty() {
            String::new()
        } else {
            format!(",\"sessionId\":{}", json_quote(&self.session))
        };
        let command = format!("{{\"id\":{id},\"method\":{}{session},\"params\":{params}}}\0", json_quote(method));
        self.commands.write_all(command.as_bytes()).expect("write to chromium");
        let deadline = Instant::now() + Duration::from_secs(60);
        let prefix = format!("{{\"id\":{id},");
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let message = self.answers.recv_timeout(left).unwrap_or_else(|e| {
                panic!(
                    "chromium did not answer {method} ({e}): {}",
                    std::fs::read_to_string(&self.stderr).unwrap_or_default()
                )
            });
            if message.starts_with(&prefix) {
                return if message.contains("\"error\":{") || message.contains("\"exceptionDetails\"") {
                    Err(message)
                } else {
                    Ok(message)
                };
            }
        }
    }

    /// The value of a JavaScript expression, as a string.
    fn eval(&mut self, expression: &str) -> String {
        self.try_eval(expression).unwrap_or_else(|e| panic!("{expression}: {e}"))
    }

    fn try_eval(&mut self, expression: &str) -> Result<String, String> {
        let params =
            format!(r#"{{"expression":{},"returnByValue":true}}"#, json_quote(&format!("String({expression})")));
        let answer = self.try_call("Runtime.evaluate", &params)?;
        Ok(self.field(&answer, "value"))
    }

    fn navigate(&mut self, url: &str) {
        self.call("Page.navigate", &format!(r#"{{"url":{}}}"#, json_quote(url)));
    }

    /// Waits until `expression` gives "true".
    fn wait_for(&mut self, what: &str, expression: &str) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while self.try_eval(expression).as_deref() != Ok("true") {
            if Instant::now() > deadline {
                let now = self.try_eval("location.href + '\\n' + (document.body ? document.body.innerText : '')");
                panic!("timed out waiting for {what}; the page is {now:?}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// nginx in the foreground, everything it writes under `dir`, proxying
/// `listen` to supervisord on `upstream` with `Host` rewritten to the
/// upstream's (nginx's default) and the credentials added.
fn start_nginx(dir: &Path, listen: u16, upstream: u16) -> Guard {
    let nginx = installed("nginx");
    let d = dir.display();
    let conf = format!(
        "worker_processes 1;\n\
         events {{ worker_connections 64; }}\n\
         http {{\n\
           log_format probe '$request_uri|$http_referer|$http_sec_fetch_site|$proxy_host';\n\
           access_log {d}/access.log probe;\n\
           client_body_temp_path {d}/body;\n proxy_temp_path {d}/proxy;\n fastcgi_temp_path {d}/fastcgi;\n\
           uwsgi_temp_path {d}/uwsgi;\n scgi_temp_path {d}/scgi;\n\
           server {{\n\
             listen 127.0.0.1:{listen};\n\
             location / {{\n\
               proxy_pass http://127.0.0.1:{upstream};\n\
               proxy_set_header Host $proxy_host;\n\
               proxy_set_header Authorization \"{AUTH}\";\n\
               proxy_max_temp_file_size 0;\n\
             }}\n\
           }}\n\
         }}\n"
    );
    let path = dir.join("nginx.conf");
    std::fs::write(&path, conf).expect("write nginx.conf");
    let child = Command::new(nginx)
        .arg("-p")
        .arg(dir)
        .arg("-e")
        .arg(dir.join("error.log"))
        .arg("-c")
        .arg(&path)
        .arg("-g")
        .arg(format!("daemon off; pid {d}/nginx.pid;"))
        .stdin(Stdio::null())
        .spawn()
        .expect("spawn nginx");
    let mut guard = Guard::new(child);
    wait_until("nginx listening", || {
        if let Ok(Some(status)) = guard.0.as_mut().expect("child").try_wait() {
            panic!("nginx exited ({status}): {}", std::fs::read_to_string(dir.join("error.log")).unwrap_or_default());
        }
        TcpStream::connect(("127.0.0.1", listen)).is_ok()
    });
    guard
}

#[test]
fn the_page_acts_behind_a_proxy_that_rewrites_host() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (ours, proxy) = free_ports();
    let d = dir.path().display();
    let conf = format!(
        "[inet_http_server]\nport=127.0.0.1:{ours}\nusername=user\npassword=pass\n\
         [supervisord]\nlogfile={d}/supervisord.log\npidfile={d}/supervisord.pid\nchildlogdir={d}\nnodaemon=true\n\
         [rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n\
         [program:x]\ncommand=sleep 300\nstartsecs=0\n"
    );
    let (_daemon, _) = start_daemon(&write_conf(dir.path(), &conf));
    wait_until("x running", || TcpStream::connect(("127.0.0.1", ours)).is_ok() && state(ours, "x") == "running");
    let nginx_dir = dir.path().join("nginx");
    std::fs::create_dir(&nginx_dir).expect("mkdir");
    let _nginx = start_nginx(&nginx_dir, proxy, ours);
    assert_eq!(get(proxy, "/ok.html", "").body, "OK", "the proxy passes on, with the credentials");

    // The page, loaded through the proxy, and its Stop link clicked.
    let mut browser = Browser::start(dir.path());
    let site = format!("http://{SITE}:{proxy}");
    browser.navigate(&format!("{site}/"));
    let stop = r#"document.querySelector('a[href*="processname=x&action=stop"]')"#;
    browser.wait_for("the status page", &format!("!!{stop}"));
    let href = browser.eval(&format!("{stop}.href"));
    assert!(href.starts_with(&format!("{site}/index.html?processname=x&action=stop&token=")), "{href}");
    browser.eval(&format!("{stop}.click()"));
    // The next page: the redirect's, or the refusal.
    browser.wait_for(
        "the answer to the click",
        // (A navigation in between shows an empty document: not yet.)
        "document.readyState == 'complete' && !!document.body\
         && (location.search.includes('message=') || document.body.innerText.includes('Forbidden'))",
    );
    let shown =
        browser.eval("location.search + ' ' + (document.querySelector('.status_msg') || document.body).innerText");
    assert_eq!(shown, "?message=Process%20x%20stopped Process x stopped");
    assert_eq!(state(ours, "x"), "stopped");

    // It was the case that used to be refused: the browser named the
    // proxy in its Referer and sent no Sec-Fetch-Site, and the proxy sent
    // on another Host.
    let access = std::fs::read_to_string(nginx_dir.join("access.log")).expect("access log");
    let line = access.lines().find(|l| l.contains("action=stop")).unwrap_or_else(|| panic!("{access}"));
    assert_eq!(
        line.split('|').skip(1).collect::<Vec<_>>(),
        [format!("{site}/").as_str(), "-", format!("127.0.0.1:{ours}").as_str()],
        "{line}"
    );

    // The page now offers Start; its link acts whatever the headers say.
    let start = browser.eval(r#"document.querySelector('a[href*="processname=x&action=start"]').href"#);
    let start = start.strip_prefix(&site).unwrap_or_else(|| panic!("{start}"));
    let forged = "Sec-Fetch-Site: cross-site\r\nOrigin: http://evil.example\r\nReferer: http://evil.example/\r\n";
    // Without its token, or with one for another action, another site's
    // page may not act, through the proxy or not.
    let (plain, _) = start.split_once("&token=").expect("a token");
    let wrong = start.replace("action=start", "action=restart");
    for path in [plain, &format!("{plain}&token=0123456789abcdef0123456789abcdef01234567"), &wrong] {
        let refused = get(proxy, path, forged);
        assert_eq!(refused.status, 403, "{path}: {}\n{}", refused.head, refused.body);
        let refused = get(ours, path, &format!("Authorization: {AUTH}\r\n{forged}"));
        assert_eq!(refused.status, 403, "{path}: {}\n{}", refused.head, refused.body);
    }
    assert_eq!(state(ours, "x"), "stopped", "nothing was done");
    let started = get(proxy, start, forged);
    assert_eq!(started.status, 301, "{}\n{}", started.head, started.body);
    assert!(started.head.contains("/?message=Process%20x%20started"), "{}", started.head);
    assert_eq!(state(ours, "x"), "running");
    // A script's plain link (no browser headers) acts, as with 4.3.0.
    let stopped = get(proxy, "/index.html?processname=x&action=stop", "");
    assert_eq!(stopped.status, 301, "{}\n{}", stopped.head, stopped.body);
    assert_eq!(state(ours, "x"), "stopped");
}

/// `event_stream = true`: the status page, open in a browser, shows a state
/// change without being reloaded (the same document, its table replaced).
#[test]
fn the_page_updates_its_table_live_from_the_event_stream() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (ours, _) = free_ports();
    let d = dir.path().display();
    let conf = format!(
        "[inet_http_server]\nport=127.0.0.1:{ours}\nevent_stream=true\n\
         [supervisord]\nlogfile={d}/supervisord.log\npidfile={d}/supervisord.pid\nchildlogdir={d}\nnodaemon=true\n\
         [rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n\
         [program:late]\ncommand=sleep 300\nstartsecs=0\nautostart=false\n"
    );
    let (_daemon, _) = start_daemon(&write_conf(dir.path(), &conf));
    wait_until("the server", || TcpStream::connect(("127.0.0.1", ours)).is_ok());
    let mut browser = Browser::start(dir.path());
    browser.navigate(&format!("http://127.0.0.1:{ours}/"));
    let cell = r#"document.querySelector('main table tr:nth-child(2) td')"#;
    browser.wait_for("the page, late stopped", &format!("!!{cell} && {cell}.textContent === 'stopped'"));
    // Subscribed once open: the server subscribes before it answers.
    browser.wait_for("the event stream open", "window.supervisorEvents && supervisorEvents.readyState === 1");
    // Marks this document: a reload would lose the mark.
    browser.eval("window.sameDocument = 'yes'");
    // Started from outside the page, which is not reloaded.
    let out = Command::new(env!("CARGO_BIN_EXE_supervisorctl"))
        .args(["-s", &format!("http://127.0.0.1:{ours}"), "start", "late"])
        .output()
        .expect("supervisorctl");
    assert!(String::from_utf8_lossy(&out.stdout).contains("late: started"));
    browser.wait_for("late running on the page", &format!("{cell}.textContent === 'running'"));
    assert_eq!(browser.eval("window.sameDocument"), "yes", "updated in place, not reloaded");
    assert!(browser.eval(&format!("{cell}.nextElementSibling.textContent")).starts_with("pid "));
}
