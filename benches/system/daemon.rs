//! One supervisord under test: its config, the process, an RPC client, and
//! the cleanup that leaves no process behind.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use dxr::Value;
use supervisor_rpc::client::Client;

use crate::BenchError;
use crate::probe;

/// A supervisord-compatible implementation: the daemon and its client.
pub struct Implementation {
    /// How the report names it.
    pub name: &'static str,
    pub supervisord: PathBuf,
    pub supervisorctl: PathBuf,
    /// Descriptors it holds per idle program (`/bin/sleep`), one spare
    /// included where it varies: what the scale runs give it.
    pub fds_per_idle_program: u64,
}

/// A config file both implementations read the same way.
pub struct Conf {
    dir: PathBuf,
    text: String,
}

impl Conf {
    pub fn new(dir: &Path) -> Conf {
        let d = dir.display();
        let text = format!(
            "[unix_http_server]\nfile={d}/s.sock\n\n\
             [supervisord]\nlogfile={d}/supervisord.log\npidfile={d}/supervisord.pid\n\
             childlogdir={d}/logs\nnodaemon=true\nloglevel=info\n\n\
             [rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n\n\
             [supervisorctl]\nserverurl=unix://{d}/s.sock\n\n"
        );
        Conf { dir: dir.to_owned(), text }
    }

    /// Adds a `key=value` line to the `[unix_http_server]` section.
    pub fn server_key(&mut self, line: &str) -> &mut Conf {
        if let Some(at) = self.text.find("\n\n") {
            self.text.insert_str(at + 1, &format!("{line}\n"));
        }
        self
    }

    /// Adds a `key=value` line to `[supervisord]`.
    pub fn supervisord(&mut self, line: &str) -> &mut Conf {
        self.text = self.text.replacen("[supervisord]\n", &format!("[supervisord]\n{line}\n"), 1);
        self
    }

    /// Adds `[group:NAME]` of `programs`.
    pub fn group(&mut self, name: &str, programs: &[String]) -> &mut Conf {
        self.text.push_str(&format!("[group:{name}]\nprograms={}\n\n", programs.join(",")));
        self
    }

    /// Adds `[program:NAME]` with `command` and extra `key=value` lines.
    pub fn program(&mut self, name: &str, command: &str, extra: &[&str]) -> &mut Conf {
        self.text.push_str(&format!("[program:{name}]\ncommand={command}\n"));
        for line in extra {
            self.text.push_str(line);
            self.text.push('\n');
        }
        self.text.push('\n');
        self
    }

    pub fn write(&self) -> Result<PathBuf, BenchError> {
        fs::create_dir_all(self.dir.join("logs"))?;
        let path = self.dir.join("supervisord.conf");
        fs::write(&path, &self.text)?;
        Ok(path)
    }
}

/// A running supervisord. Dropping it kills it and everything it started.
pub struct Daemon {
    child: Option<Child>,
    pub pid: u32,
    pub started: Instant,
    /// `unix:///...`, for a second client.
    pub url: String,
    client: Client,
    conf: PathBuf,
    ctl: PathBuf,
}

impl Daemon {
    /// Starts `supervisord -n -c conf` and waits until it answers.
    pub fn start(imp: &Implementation, conf: &Path) -> Result<Daemon, BenchError> {
        Daemon::launch(imp, conf, Duration::from_secs(60), Duration::from_secs(300))
    }

    /// Starts `supervisord -n -c conf` and waits up to `timeout` until it
    /// answers; its calls wait as long for an answer.
    pub fn start_within(imp: &Implementation, conf: &Path, timeout: Duration) -> Result<Daemon, BenchError> {
        Daemon::launch(imp, conf, timeout, timeout)
    }

    fn launch(imp: &Implementation, conf: &Path, answer: Duration, calls: Duration) -> Result<Daemon, BenchError> {
        let dir = conf.parent().ok_or(BenchError::Check("config has no folder".into()))?;
        let started = Instant::now();
        // What it says if it cannot start (a minfds it cannot have, ...).
        let stderr = dir.join("supervisord.stderr");
        let child = Command::new(&imp.supervisord)
            .arg("-n")
            .arg("-c")
            .arg(conf)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(fs::File::create(&stderr)?)
            .spawn()?;
        let pid = child.id();
        let url = format!("unix://{}/s.sock", dir.display());
        let client = Client::new(&url, None, None)?.with_timeout(calls);
        let ctl = imp.supervisorctl.clone();
        let mut daemon = Daemon { child: Some(child), pid, started, url, client, conf: conf.to_owned(), ctl };
        let mut exited = None;
        wait_for("the daemon to answer", answer, || {
            exited = daemon.child.as_mut().and_then(|c| c.try_wait().ok().flatten());
            exited.is_some() || daemon.call("supervisor.getState", vec![]).is_ok()
        })?;
        if let Some(status) = exited {
            let said = fs::read_to_string(&stderr).unwrap_or_default();
            return Err(BenchError::Check(format!("supervisord exited ({status}) before answering: {}", said.trim())));
        }
        Ok(daemon)
    }

    /// `GET path`: the status and the whole body.
    pub fn get(&self, path: &str) -> Result<(u16, String), BenchError> {
        let (status, mut body) = self.client.get(path)?;
        let mut text = String::new();
        body.read_to_string(&mut text)?;
        Ok((status, text))
    }

    pub fn call(&self, method: &str, params: Vec<Value>) -> Result<Value, BenchError> {
        Ok(self.client.call(method, params)?)
    }

    /// `getAllProcessInfo` as a list of structs.
    pub fn infos(&self) -> Result<Vec<Value>, BenchError> {
        match self.call("supervisor.getAllProcessInfo", vec![])? {
            Value::Array(a) => Ok(a),
            other => Err(BenchError::Check(format!("getAllProcessInfo returned {other:?}"))),
        }
    }

    /// Waits until `n` processes report `state`; returns their pids.
    pub fn wait_all(&self, state: &str, n: usize, timeout: Duration) -> Result<Vec<u32>, BenchError> {
        let deadline = Instant::now() + timeout;
        loop {
            let infos = self.infos()?;
            let matching: Vec<&Value> = infos.iter().filter(|i| text(i, "statename") == state).collect();
            if infos.len() == n && matching.len() == n {
                return Ok(matching.iter().map(|i| int(i, "pid") as u32).collect());
            }
            if Instant::now() > deadline {
                return Err(BenchError::Check(format!(
                    "{} of {n} processes {state} after {timeout:?}",
                    matching.len()
                )));
            }
            sleep(Duration::from_millis(20));
        }
    }

    /// Runs this implementation's `supervisorctl -c CONF args...`.
    pub fn ctl(&self, args: &[&str]) -> Result<std::process::Output, BenchError> {
        Ok(Command::new(&self.ctl).arg("-c").arg(&self.conf).args(args).stdin(Stdio::null()).output()?)
    }

    /// The size of the body of `method`'s answer, read off the socket as
    /// it comes (HTTP/1.0, so neither daemon chunks it).
    pub fn answer_size(&self, method: &str) -> Result<usize, BenchError> {
        use std::io::{Read, Write};
        let path = self.url.strip_prefix("unix://").ok_or(BenchError::Check("not a unix socket".into()))?;
        let body =
            format!("<?xml version=\"1.0\"?><methodCall><methodName>{method}</methodName><params/></methodCall>");
        let mut stream = std::os::unix::net::UnixStream::connect(path)?;
        write!(
            stream,
            "POST /RPC2 HTTP/1.0\r\nContent-Type: text/xml\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )?;
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer)?;
        let head = answer
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .ok_or(BenchError::Check(format!("{method}: no HTTP header in the answer")))?;
        Ok(answer.len() - head - 4)
    }

    /// Sends SIGTERM and waits for the daemon to exit; returns how long
    /// that took. Fails if any process it started outlives it.
    pub fn terminate(self) -> Result<Duration, BenchError> {
        self.terminate_within(Duration::from_secs(120))
    }

    /// [`Daemon::terminate`], waiting up to `timeout` for the exit.
    pub fn terminate_within(mut self, timeout: Duration) -> Result<Duration, BenchError> {
        let before = probe::descendants(self.pid);
        let t = Instant::now();
        signal(self.pid, libc::SIGTERM);
        let mut child = self.child.take().ok_or(BenchError::Check("daemon already gone".into()))?;
        let deadline = t + timeout;
        while child.try_wait()?.is_none() {
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                for p in before {
                    signal(p, libc::SIGKILL);
                }
                sleep(Duration::from_millis(50));
                reap_orphans();
                return Err(BenchError::Check(format!("the daemon did not exit within {timeout:?} of SIGTERM")));
            }
            sleep(Duration::from_millis(1));
        }
        let took = t.elapsed();
        let left: Vec<u32> = before.into_iter().filter(|&p| probe::alive(p)).collect();
        reap_orphans();
        if !left.is_empty() {
            for &p in &left {
                signal(p, libc::SIGKILL);
            }
            return Err(BenchError::Check(format!("{} processes outlived the daemon: {left:?}", left.len())));
        }
        Ok(took)
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let Some(mut child) = self.child.take() else { return };
        let all = probe::descendants(self.pid);
        let _ = child.kill();
        let _ = child.wait();
        for p in all {
            signal(p, libc::SIGKILL);
        }
        sleep(Duration::from_millis(50));
        reap_orphans();
    }
}

fn signal(pid: u32, sig: libc::c_int) {
    if let Ok(pid) = libc::pid_t::try_from(pid) {
        // SAFETY: kill has no memory preconditions; the pid is one we saw.
        unsafe { libc::kill(pid, sig) };
    }
}

/// The bench is a subreaper, so whatever a killed daemon left behind is
/// reparented here: reap the dead ones.
pub fn reap_orphans() {
    for pid in probe::children(std::process::id()) {
        if probe::Stat::read(pid).is_some_and(|s| s.state == 'Z')
            && let Ok(pid) = libc::pid_t::try_from(pid)
        {
            // SAFETY: waitpid on a specific zombie child of ours.
            unsafe { libc::waitpid(pid, std::ptr::null_mut(), libc::WNOHANG) };
        }
    }
}

/// Polls `ok` every 5 ms until it holds.
pub fn wait_for(what: &str, timeout: Duration, mut ok: impl FnMut() -> bool) -> Result<Duration, BenchError> {
    let t = Instant::now();
    while !ok() {
        if t.elapsed() > timeout {
            return Err(BenchError::Check(format!("timed out after {timeout:?} waiting for {what}")));
        }
        sleep(Duration::from_millis(5));
    }
    Ok(t.elapsed())
}

pub fn text(v: &Value, key: &str) -> String {
    match v {
        Value::Struct(s) => match s.get(key) {
            Some(Value::String(s)) => s.clone(),
            _ => String::new(),
        },
        _ => String::new(),
    }
}

pub fn int(v: &Value, key: &str) -> i64 {
    match v {
        Value::Struct(s) => match s.get(key) {
            Some(Value::Integer(n)) => i64::from(*n),
            _ => 0,
        },
        _ => 0,
    }
}
