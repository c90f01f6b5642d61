//! The scale curve (`--scale`): the same fleet of idle programs at several
//! sizes (100, 1000 and 10,000 by default), for each daemon: memory,
//! launch, the API while the daemon launches and stops them, the client,
//! stop, shutdown, idle CPU, descriptors and threads.
//!
//! A daemon that runs past `--scale-limit` at one size is stopped there;
//! the figures it did not reach print as "did not finish in N s".

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::{JoinHandle, sleep};
use std::time::{Duration, Instant};

use dxr::Value;
use supervisor_rpc::client::Client;

use crate::BenchError;
use crate::daemon::{Conf, Daemon, Implementation};
use crate::probe;
use crate::scenarios::{Figures, percentile, sleeping_children};

/// How the scale run is sized.
pub struct ScaleSizes {
    /// The numbers of programs, smallest first.
    pub programs: Vec<usize>,
    /// `getAllProcessInfo` calls for its p50 and p99 (fewer when they take
    /// longer than `calls_budget` together, but at least 3).
    pub calls: usize,
    pub calls_budget: Duration,
    /// How long the daemon is watched idle for its CPU.
    pub idle: Duration,
    /// The most one daemon may take for one size.
    pub limit: Duration,
}

/// What one daemon gave at one size.
pub struct Run {
    pub figures: Figures,
    /// Set when the daemon was stopped at the time limit.
    pub unfinished: Option<Duration>,
}

/// The descriptors `imp` is given with `programs` idle programs: what it
/// holds per program, and room for everything else.
pub fn fds_for(imp: &Implementation, programs: usize) -> u64 {
    programs as u64 * imp.fds_per_idle_program + 1024
}

/// Raises this process's descriptor limit (its daemons inherit it) to
/// `want`; the hard limit too where allowed (root with CAP_SYS_RESOURCE).
/// Returns the limit.
pub fn raise_fd_limit(want: u64) -> u64 {
    let mut lim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit writes into the struct we own.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
        return 0;
    }
    if lim.rlim_cur >= want {
        return lim.rlim_cur;
    }
    let raised = libc::rlimit { rlim_cur: want, rlim_max: lim.rlim_max.max(want) };
    // SAFETY: setrlimit reads the struct; a refusal (not root) leaves the
    // limit as it was, and the soft limit then goes as high as allowed.
    if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
        return want;
    }
    let soft = libc::rlimit { rlim_cur: lim.rlim_max.min(want), rlim_max: lim.rlim_max };
    // SAFETY: as above.
    unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &soft) };
    eprintln!("descriptor limit: {} of the {want} wanted (raising it needs CAP_SYS_RESOURCE)", soft.rlim_cur);
    soft.rlim_cur
}

/// The empty daemon's resident set, total and anonymous, in bytes.
pub fn empty(imp: &Implementation, base: &Path) -> Result<(f64, f64), BenchError> {
    let dir = tempfile::Builder::new().prefix("system-bench").tempdir_in(base)?;
    let conf = Conf::new(dir.path());
    let d = Daemon::start(imp, &conf.write()?)?;
    sleep(Duration::from_secs(1));
    let rss = probe::rss_bytes(d.pid).ok_or(BenchError::Check("no RSS".into()))?;
    let anon = probe::rss_anon_bytes(d.pid).ok_or(BenchError::Check("no RssAnon".into()))?;
    d.terminate()?;
    Ok((rss as f64, anon as f64))
}

/// Past the time limit: what was measured so far stands.
struct Unfinished;

/// One daemon with `n` idle programs, from start to exit; `empty` is the
/// empty daemon's (total, anonymous) RSS.
pub fn run(imp: &Implementation, s: &ScaleSizes, base: &Path, n: usize, empty: (f64, f64)) -> Result<Run, BenchError> {
    let started = Instant::now();
    let mut figures = Vec::new();
    match measure(imp, s, base, n, empty, started, &mut figures) {
        Ok(()) => Ok(Run { figures, unfinished: None }),
        Err(Stop::Limit(Unfinished)) => Ok(Run { figures, unfinished: Some(s.limit) }),
        Err(Stop::Failed(e)) => Err(e),
    }
}

enum Stop {
    Limit(Unfinished),
    Failed(BenchError),
}

impl From<BenchError> for Stop {
    fn from(e: BenchError) -> Stop {
        Stop::Failed(e)
    }
}

impl From<std::io::Error> for Stop {
    fn from(e: std::io::Error) -> Stop {
        Stop::Failed(e.into())
    }
}

fn measure(
    imp: &Implementation,
    s: &ScaleSizes,
    base: &Path,
    n: usize,
    empty: (f64, f64),
    started: Instant,
    figures: &mut Figures,
) -> Result<(), Stop> {
    let clock = Clock { deadline: started + s.limit };
    let left = || clock.left();
    let dir = tempfile::Builder::new().prefix("system-bench").tempdir_in(base)?;
    let mut conf = Conf::new(dir.path());
    conf.supervisord(&format!("minfds={}", fds_for(imp, n)));
    for i in 0..n {
        conf.program(&format!("p{i:05}"), "/bin/sleep 3600", &["startsecs=0"]);
    }
    let d = clock.within(Daemon::start_within(imp, &conf.write()?, left()))?;

    // Launch, with a second client asking throughout.
    let load = Load::start(&d, left());
    let launched = clock
        .within(crate::daemon::wait_for("every program to exec sleep", left(), || sleeping_children(d.pid, n) == n));
    let launch = d.started.elapsed();
    if let Err(e) = launched {
        // Gone first, so the second client's calls end now.
        drop(d);
        load.finish();
        return Err(e);
    }
    let during = load.finish();
    figures.push(("launch", launch.as_secs_f64()));
    during.report(figures, "launch_get_state_p99", "launch_all_info_max");
    clock.within(d.wait_all("RUNNING", n, left()))?;

    sleep(Duration::from_secs(1));
    let rss = probe::rss_bytes(d.pid).ok_or(BenchError::Check("no RSS".into()))? as f64;
    let anon = probe::rss_anon_bytes(d.pid).ok_or(BenchError::Check("no RssAnon".into()))? as f64;
    figures.extend([
        ("rss", rss),
        ("rss_anon", anon),
        ("rss_per_program", (rss - empty.0) / n as f64),
        ("anon_per_program", (anon - empty.1) / n as f64),
        ("fds", probe::fd_count(d.pid).unwrap_or(0) as f64),
        ("threads", probe::threads(d.pid).unwrap_or(0) as f64),
    ]);

    // Idle: nobody asks anything.
    let cpu0 = probe::cpu_seconds(d.pid).unwrap_or(0.0);
    sleep(s.idle);
    let cpu1 = probe::cpu_seconds(d.pid).unwrap_or(0.0);
    figures.push(("idle_cpu", (cpu1 - cpu0) * 10.0 / s.idle.as_secs_f64()));

    let mut calls = Vec::new();
    let t = Instant::now();
    while calls.len() < s.calls && (calls.len() < 3 || t.elapsed() < s.calls_budget) {
        let c = Instant::now();
        let infos = clock.within(d.infos())?;
        calls.push(c.elapsed());
        if infos.len() != n {
            return Err(BenchError::Check(format!("getAllProcessInfo gave {} of {n}", infos.len())).into());
        }
    }
    figures.push(("all_info_p50", percentile(&mut calls, 50.0)));
    figures.push(("all_info_p99", percentile(&mut calls, 99.0)));
    figures.push(("all_info_bytes", clock.within(d.answer_size("supervisor.getAllProcessInfo"))? as f64));

    let mut status = Vec::new();
    let t = Instant::now();
    while status.len() < 3 && (status.is_empty() || t.elapsed() < s.calls_budget) {
        if left().is_zero() {
            return Err(Stop::Limit(Unfinished));
        }
        let c = Instant::now();
        let out = d.ctl(&["status"])?;
        status.push(c.elapsed());
        let lines = String::from_utf8_lossy(&out.stdout).lines().filter(|l| l.contains("RUNNING")).count();
        if !out.status.success() || lines != n {
            let e = BenchError::Check(format!("supervisorctl status: {}, {lines} RUNNING lines", out.status));
            clock.within::<()>(Err(e))?;
        }
    }
    figures.push(("ctl_status", percentile(&mut status, 50.0)));

    // Stop, with a second client asking throughout.
    let pids = clock.within(d.wait_all("RUNNING", n, left()))?;
    let load = Load::start(&d, left());
    let t = Instant::now();
    let stopped = d.call("supervisor.stopAllProcesses", vec![Value::Boolean(true)]);
    let stop_all = t.elapsed();
    let during = load.finish();
    clock.within(stopped)?;
    figures.push(("stop_all", stop_all.as_secs_f64()));
    during.report(figures, "stop_get_state_p99", "stop_all_info_max");
    clock.within(d.wait_all("STOPPED", n, left()))?;
    if let Some(p) = pids.iter().find(|&&p| probe::alive(p)) {
        return Err(BenchError::Check(format!("pid {p} outlived stopAllProcesses")).into());
    }

    clock.within(d.call("supervisor.startAllProcesses", vec![Value::Boolean(true)]))?;
    clock.within(d.wait_all("RUNNING", n, left()))?;
    let shutdown = clock.within(d.terminate_within(left()))?;
    figures.push(("shutdown", shutdown.as_secs_f64()));
    Ok(())
}

/// The time left for one daemon at one size.
struct Clock {
    deadline: Instant,
}

impl Clock {
    fn left(&self) -> Duration {
        self.deadline.saturating_duration_since(Instant::now())
    }

    /// An error once the time is up is the limit's doing (a call timed
    /// out, a wait gave up).
    fn within<T>(&self, r: Result<T, BenchError>) -> Result<T, Stop> {
        match r {
            Ok(v) => Ok(v),
            Err(_) if Instant::now() >= self.deadline => Err(Stop::Limit(Unfinished)),
            Err(e) => Err(Stop::Failed(e)),
        }
    }
}

/// A second client while the daemon is busy: one thread calling
/// `getState` every 2 ms, another `getAllProcessInfo` every 50 ms.
struct Load {
    stop: Arc<AtomicBool>,
    state: JoinHandle<Vec<Duration>>,
    info: JoinHandle<Vec<Duration>>,
}

/// What the second client saw.
struct During {
    state: Vec<Duration>,
    info: Vec<Duration>,
}

impl Load {
    fn start(d: &Daemon, timeout: Duration) -> Load {
        let stop = Arc::new(AtomicBool::new(false));
        let asker = |method: &'static str, pause: Duration| {
            let (url, stop) = (d.url.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut out = Vec::new();
                let Ok(client) = Client::new(&url, None, None) else { return out };
                let client = client.with_timeout(timeout);
                // At least one call, however quick the busy spell.
                while out.is_empty() || !stop.load(Ordering::Relaxed) {
                    let t = Instant::now();
                    if client.call(method, vec![]).is_err() {
                        break;
                    }
                    out.push(t.elapsed());
                    sleep(pause);
                }
                out
            })
        };
        let state = asker("supervisor.getState", Duration::from_millis(2));
        // Not more often: with thousands of programs each answer is
        // megabytes, and a tighter loop would measure the bench's own load.
        let info = asker("supervisor.getAllProcessInfo", Duration::from_millis(50));
        Load { stop, state, info }
    }

    fn finish(self) -> During {
        self.stop.store(true, Ordering::Relaxed);
        During { state: self.state.join().unwrap_or_default(), info: self.info.join().unwrap_or_default() }
    }
}

impl During {
    /// getState's p99 and the slowest getAllProcessInfo, when there were any.
    fn report(mut self, figures: &mut Figures, state_p99: &'static str, info_max: &'static str) {
        if !self.state.is_empty() {
            figures.push((state_p99, percentile(&mut self.state, 99.0)));
        }
        if !self.info.is_empty() {
            figures.push((info_max, percentile(&mut self.info, 100.0)));
        }
    }
}
