//! The measured scenarios. Each runs one daemon from start to exit, checks
//! that what it measured really happened, and returns named figures.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::{JoinHandle, sleep};
use std::time::{Duration, Instant};

use dxr::Value;
use supervisor_rpc::client::Client;

use crate::BenchError;
use crate::daemon::{Conf, Daemon, Implementation, int, text, wait_for};
use crate::probe;
use crate::roles::{self, BLOCK};

/// What a scenario measured: a key of `report::ROWS` and a value.
pub type Figures = Vec<(&'static str, f64)>;

/// How big each scenario is.
pub struct Sizes {
    pub programs: usize,
    pub calls: usize,
    pub respawns: usize,
    pub log_mib: u64,
    pub flood_programs: usize,
    pub flood_mib: u64,
    pub storm_programs: usize,
    pub storm_secs: u64,
    /// Idle programs running beside the storm (0: none).
    pub storm_idle: usize,
    /// Where each scenario's config, socket and logs go.
    pub base: PathBuf,
}

impl Sizes {
    fn workdir(&self) -> Result<tempfile::TempDir, BenchError> {
        Ok(tempfile::Builder::new().prefix("system-bench").tempdir_in(&self.base)?)
    }
}

const MIB: f64 = 1024.0 * 1024.0;
const LONG: Duration = Duration::from_secs(300);

/// N idle programs: launch, memory, the API and client at scale, stop and
/// shutdown.
pub fn fleet(imp: &Implementation, s: &Sizes) -> Result<Figures, BenchError> {
    let dir = s.workdir()?;
    let mut conf = Conf::new(dir.path());
    for i in 0..s.programs {
        conf.program(&format!("p{i:04}"), "/bin/sleep 3600", &["startsecs=0"]);
    }
    let d = Daemon::start(imp, &conf.write()?)?;
    // Timed by watching the children exec, so polling the API cannot slow
    // the daemon down; the API then has to agree.
    wait_for("every program to exec sleep", LONG, || sleeping_children(d.pid, s.programs) == s.programs)?;
    let launch = d.started.elapsed();
    d.wait_all("RUNNING", s.programs, LONG)?;
    sleep(Duration::from_secs(1));
    let rss = probe::rss_bytes(d.pid).ok_or(BenchError::Check("no RSS".into()))?;

    let mut all_info = Vec::new();
    for _ in 0..s.calls {
        let t = Instant::now();
        let infos = d.infos()?;
        all_info.push(t.elapsed());
        if infos.len() != s.programs {
            return Err(BenchError::Check(format!("getAllProcessInfo gave {} of {}", infos.len(), s.programs)));
        }
    }

    let t = Instant::now();
    let mut calls = 0u32;
    while t.elapsed() < Duration::from_secs(2) {
        let state = d.call("supervisor.getState", vec![])?;
        if int(&state, "statecode") != 1 {
            return Err(BenchError::Check(format!("getState said {state:?}")));
        }
        calls += 1;
    }
    let rate = f64::from(calls) / t.elapsed().as_secs_f64();

    let mut status = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        let out = d.ctl(&["status"])?;
        status.push(t.elapsed());
        let lines = String::from_utf8_lossy(&out.stdout).lines().filter(|l| l.contains("RUNNING")).count();
        if !out.status.success() || lines != s.programs {
            return Err(BenchError::Check(format!("supervisorctl status: {}, {lines} RUNNING lines", out.status)));
        }
    }

    let pids = d.wait_all("RUNNING", s.programs, LONG)?;
    let t = Instant::now();
    d.call("supervisor.stopAllProcesses", vec![Value::Boolean(true)])?;
    let stop_all = t.elapsed();
    d.wait_all("STOPPED", s.programs, Duration::from_secs(5))?;
    if let Some(p) = pids.iter().find(|&&p| probe::alive(p)) {
        return Err(BenchError::Check(format!("pid {p} outlived stopAllProcesses")));
    }

    d.call("supervisor.startAllProcesses", vec![Value::Boolean(true)])?;
    d.wait_all("RUNNING", s.programs, LONG)?;
    let shutdown = d.terminate()?;

    Ok(vec![
        ("rss", rss as f64),
        ("launch", launch.as_secs_f64()),
        ("all_info_p50", percentile(&mut all_info, 50.0)),
        ("get_state_rate", rate),
        ("ctl_status", percentile(&mut status, 50.0)),
        ("stop_all", stop_all.as_secs_f64()),
        ("shutdown", shutdown.as_secs_f64()),
    ])
}

/// `GET /metrics` at scale (ours only: 4.3.0 has none): N idle programs,
/// each with CPU and memory read from /proc at each scrape; p50 and p99 of
/// a scrape, and getAllProcessInfo's p50 on the same daemon beside them.
pub fn metrics_scrape(imp: &Implementation, s: &Sizes) -> Result<Figures, BenchError> {
    if imp.name != "ours" {
        return Ok(Vec::new());
    }
    let dir = s.workdir()?;
    let mut conf = Conf::new(dir.path());
    conf.server_key("metrics=true");
    for i in 0..s.programs {
        conf.program(&format!("p{i:04}"), "/bin/sleep 3600", &["startsecs=0"]);
    }
    let d = Daemon::start(imp, &conf.write()?)?;
    d.wait_all("RUNNING", s.programs, LONG)?;
    let running = |text: &str| {
        text.lines()
            .filter(|l| l.starts_with("supervisor_process_state{") && l.ends_with("state=\"RUNNING\"} 1"))
            .count()
    };
    let (mut scrapes, mut all_info) = (Vec::new(), Vec::new());
    for _ in 0..(s.calls * 10).max(50) {
        let t = Instant::now();
        let (status, text) = d.get("/metrics")?;
        scrapes.push(t.elapsed());
        if status != 200 || running(&text) != s.programs {
            return Err(BenchError::Check(format!("/metrics: {status}, {} RUNNING of {}", running(&text), s.programs)));
        }
    }
    for _ in 0..s.calls {
        let t = Instant::now();
        let infos = d.infos()?;
        all_info.push(t.elapsed());
        if infos.len() != s.programs {
            return Err(BenchError::Check(format!("getAllProcessInfo gave {} of {}", infos.len(), s.programs)));
        }
    }
    d.terminate()?;
    Ok(vec![
        ("scrape_p50", percentile(&mut scrapes.clone(), 50.0)),
        ("scrape_p99", percentile(&mut scrapes, 99.0)),
        ("scrape_all_info_p50", percentile(&mut all_info, 50.0)),
    ])
}

/// `depends_on` at scale (ours only: 4.3.0 has none): N programs, each a
/// TCP server with `ready_check = tcp://...` (every 0.1 s), launched flat,
/// then as a 10-deep tree (each program of a level depends on one of the
/// level before): from launch to all RUNNING, both ways.
pub fn dependency_tree(imp: &Implementation, s: &Sizes, exe: &Path) -> Result<Figures, BenchError> {
    if imp.name != "ours" {
        return Ok(Vec::new());
    }
    let n = s.programs.max(10);
    let per_level = n / 10;
    let mut figures = Vec::new();
    for (key, tree) in [("deps_flat", false), ("deps_tree", true)] {
        let ports = free_ports(n)?;
        let dir = s.workdir()?;
        let mut conf = Conf::new(dir.path());
        for (i, port) in ports.iter().enumerate() {
            let check = format!("ready_check=tcp://127.0.0.1:{port}");
            let dependency = format!("depends_on=d{:04}", i.saturating_sub(per_level));
            let mut extra =
                vec![check.as_str(), "ready_check_interval=0.1", "stdout_logfile=NONE", "stderr_logfile=NONE"];
            if tree && i >= per_level {
                extra.push(&dependency);
            }
            conf.program(&format!("d{i:04}"), &format!("{} child listen {port}", exe.display()), &extra);
        }
        let d = Daemon::start(imp, &conf.write()?)?;
        d.wait_all("RUNNING", n, LONG)?;
        figures.push((key, d.started.elapsed().as_secs_f64()));
        d.terminate()?;
    }
    let overhead = figures[1].1 - figures[0].1;
    figures.push(("deps_overhead", overhead));
    Ok(figures)
}

/// `n` ports free on 127.0.0.1 now.
fn free_ports(n: usize) -> Result<Vec<u16>, BenchError> {
    let listeners: Vec<std::net::TcpListener> =
        (0..n).map(|_| std::net::TcpListener::bind("127.0.0.1:0")).collect::<Result<_, _>>()?;
    Ok(listeners.iter().filter_map(|l| l.local_addr().ok()).map(|a| a.port()).collect())
}

/// How many children have exec'd sleep. Reading a thousand stat files
/// costs a core's worth of time, so only once the count is complete.
pub fn sleeping_children(pid: u32, want: usize) -> usize {
    let children = probe::children(pid);
    if children.len() < want {
        return children.len();
    }
    children.into_iter().filter(|&c| probe::Stat::read(c).is_some_and(|s| s.comm == "sleep")).count()
}

/// One program crashing again and again: from its exit to its next start,
/// with no client asking anything meanwhile.
pub fn respawn(imp: &Implementation, s: &Sizes, exe: &Path) -> Result<Figures, BenchError> {
    let dir = s.workdir()?;
    let marks = dir.path().join("marks");
    let command = format!("{} child crash-timed {}", exe.display(), marks.display());
    let mut conf = Conf::new(dir.path());
    conf.program("crash", &command, &["startsecs=0", "autorestart=true"]);
    let d = Daemon::start(imp, &conf.write()?)?;
    let starts = || roles::marks(&marks).map(|m| m.iter().filter(|(k, _)| *k == 'S').count()).unwrap_or(0);
    wait_for("the respawns", Duration::from_secs(30 + 3 * s.respawns as u64), || starts() > s.respawns)?;
    let marks = roles::marks(&marks)?;
    d.terminate()?;
    let mut gaps: Vec<Duration> = marks
        .windows(2)
        .filter(|w| w[0].0 == 'E' && w[1].0 == 'S')
        .map(|w| Duration::from_nanos(u64::try_from(w[1].1.saturating_sub(w[0].1)).unwrap_or(u64::MAX)))
        .collect();
    if gaps.len() < s.respawns {
        return Err(BenchError::Check(format!("{} respawns seen, wanted {}", gaps.len(), s.respawns)));
    }
    Ok(vec![("respawn_p50", percentile(&mut gaps, 50.0))])
}

/// One writer flooding stdout, with and without `programs` idle ones beside it.
pub fn logging(imp: &Implementation, s: &Sizes, exe: &Path) -> Result<Figures, BenchError> {
    let (fleet_rate, _) = one_writer(imp, s, exe, s.programs)?;
    let (alone_rate, alone_cpu) = one_writer(imp, s, exe, 0)?;
    Ok(vec![("log_fleet", fleet_rate), ("log_alone", alone_rate), ("log_alone_cpu", alone_cpu)])
}

fn one_writer(imp: &Implementation, s: &Sizes, exe: &Path, idle: usize) -> Result<(f64, f64), BenchError> {
    let dir = s.workdir()?;
    let mut conf = Conf::new(dir.path());
    for i in 0..idle {
        conf.program(&format!("p{i:04}"), "/bin/sleep 3600", &["startsecs=0"]);
    }
    let writers = writer_programs(&mut conf, dir.path(), exe, 1, s.log_mib);
    let d = Daemon::start(imp, &conf.write()?)?;
    wait_idle_running(&d, idle)?;
    let flood = run_flood(&d, &writers)?;
    d.terminate()?;
    Ok((flood.mib_per_s, flood.cpu_s * 100.0 / s.log_mib as f64))
}

/// Unlike `wait_all`, leaves out the writers, STOPPED until started.
fn wait_idle_running(d: &Daemon, idle: usize) -> Result<(), BenchError> {
    wait_for("the idle programs", LONG, || {
        d.infos().is_ok_and(|infos| infos.iter().filter(|i| text(i, "statename") == "RUNNING").count() == idle)
    })?;
    Ok(())
}

/// A flood writer: its name, log, marks file and size.
struct Writer {
    name: String,
    log: PathBuf,
    marks: PathBuf,
    blocks: u64,
}

fn writer_programs(conf: &mut Conf, dir: &Path, exe: &Path, n: usize, mib: u64) -> Vec<Writer> {
    let blocks = mib * (1024 * 1024 / BLOCK as u64);
    (0..n)
        .map(|i| {
            let w = Writer {
                name: format!("writer{i:02}"),
                log: dir.join(format!("writer{i:02}.log")),
                marks: dir.join(format!("writer{i:02}.marks")),
                blocks,
            };
            let command = format!("{} child flood {blocks} {}", exe.display(), w.marks.display());
            let log = format!("stdout_logfile={}", w.log.display());
            conf.program(
                &w.name,
                &command,
                &[
                    "autostart=false",
                    "autorestart=false",
                    "startsecs=0",
                    &log,
                    "stdout_logfile_maxbytes=0",
                    "stdout_logfile_backups=0",
                ],
            );
            w
        })
        .collect()
}

struct Flood {
    mib_per_s: f64,
    cpu_s: f64,
}

/// Starts the writers, waits for every byte to reach its log, and checks
/// each log byte for byte.
fn run_flood(d: &Daemon, writers: &[Writer]) -> Result<Flood, BenchError> {
    let cpu0 = probe::cpu_seconds(d.pid).unwrap_or(0.0);
    for w in writers {
        d.call("supervisor.startProcess", vec![Value::String(w.name.clone()), Value::Boolean(false)])?;
    }
    let total: u64 = writers.iter().map(|w| w.blocks * BLOCK as u64).sum();
    let deadline = Instant::now() + LONG;
    // Polled every millisecond: the finish is known to within that.
    let done_ns = loop {
        let logged: u64 = writers.iter().map(|w| fs::metadata(&w.log).map(|m| m.len()).unwrap_or(0)).sum();
        if logged >= total {
            break roles::now_ns();
        }
        if Instant::now() > deadline {
            return Err(BenchError::Check(format!("only {logged} of {total} bytes logged after {LONG:?}")));
        }
        sleep(Duration::from_millis(1));
    };
    let cpu1 = probe::cpu_seconds(d.pid).unwrap_or(0.0);
    let mut first_start = u128::MAX;
    for w in writers {
        let start = roles::marks(&w.marks)?.iter().find(|(k, _)| *k == 'S').map(|m| m.1);
        first_start = first_start.min(start.ok_or(BenchError::Check(format!("{} never started", w.name)))?);
        roles::verify_flood(&w.log, w.blocks)?;
    }
    let secs = done_ns.saturating_sub(first_start) as f64 / 1e9;
    Ok(Flood { mib_per_s: total as f64 / MIB / secs, cpu_s: cpu1 - cpu0 })
}

/// Many writers at once, with one client calling getState throughout.
pub fn flood(imp: &Implementation, s: &Sizes, exe: &Path) -> Result<Figures, BenchError> {
    let dir = s.workdir()?;
    let mut conf = Conf::new(dir.path());
    let writers = writer_programs(&mut conf, dir.path(), exe, s.flood_programs, s.flood_mib);
    let d = Daemon::start(imp, &conf.write()?)?;
    let sampler = Sampler::start(&d);
    let flood = run_flood(&d, &writers);
    let mut latencies = sampler.finish()?;
    let flood = flood?;
    d.terminate()?;
    let gib = (s.flood_programs as u64 * s.flood_mib) as f64 / 1024.0;
    Ok(vec![
        ("flood_rate", flood.mib_per_s),
        ("flood_cpu_per_gib", flood.cpu_s / gib),
        ("flood_get_state_p99", percentile(&mut latencies.calls, 99.0)),
    ])
}

/// Programs that exit at once and are restarted at once, for a while;
/// then stopping them all. Run in two halves, so the growth of fds and
/// memory is measured between two quiet points after warm-up.
pub fn storm(imp: &Implementation, s: &Sizes) -> Result<Figures, BenchError> {
    let dir = s.workdir()?;
    let mut conf = Conf::new(dir.path());
    for i in 0..s.storm_programs {
        conf.program(&format!("c{i:02}"), "/bin/true", &["startsecs=0", "autorestart=true", "autostart=false"]);
    }
    // Among idle programs, the storm is a group of its own, started and
    // stopped as one, so the idle ones run throughout.
    let among_idle = s.storm_idle > 0;
    if among_idle {
        let fds = crate::scale::fds_for(imp, s.storm_idle + s.storm_programs);
        crate::scale::raise_fd_limit(fds);
        conf.supervisord(&format!("minfds={fds}"));
        let members: Vec<String> = (0..s.storm_programs).map(|i| format!("c{i:02}")).collect();
        conf.group("storm", &members);
        for i in 0..s.storm_idle {
            conf.program(&format!("idle{i:05}"), "/bin/sleep 3600", &["startsecs=0"]);
        }
    }
    let d = Daemon::start_within(imp, &conf.write()?, Duration::from_secs(600))?;
    if among_idle {
        wait_running(&d, s.storm_idle, Duration::from_secs(600))?;
    }
    let log = dir.path().join("supervisord.log");
    let spawns = || fs::read_to_string(&log).map(|t| t.matches("spawned: 'c").count()).unwrap_or(0);
    let sampler = Sampler::start(&d);
    let mut quiet = Vec::new();
    let mut stop_calls = 0;
    for _ in 0..2 {
        if among_idle {
            d.call("supervisor.startProcessGroup", vec![Value::String("storm".into()), Value::Boolean(false)])?;
        } else {
            d.call("supervisor.startAllProcesses", vec![Value::Boolean(false)])?;
        }
        sleep(Duration::from_secs(s.storm_secs).div_f64(2.0));
        stop_calls = stop_calls.max(stop_everything(&d, among_idle)?);
        sleep(Duration::from_millis(200));
        // The fewest of a few looks: the sampler's own getState calls come
        // and go on connections of their own, a leak stays.
        let fds = (0..10)
            .map(|_| {
                sleep(Duration::from_millis(10));
                probe::fd_count(d.pid).unwrap_or(0)
            })
            .min()
            .unwrap_or(0) as f64;
        let rss = probe::rss_bytes(d.pid).unwrap_or(0) as f64;
        quiet.push((spawns() as f64, fds, rss));
    }
    if among_idle {
        let running = d.infos()?.iter().filter(|i| text(i, "statename") == "RUNNING").count();
        if running != s.storm_idle {
            return Err(BenchError::Check(format!(
                "{running} of {} idle programs ran through the storm",
                s.storm_idle
            )));
        }
    }
    let mut latencies = sampler.finish()?;
    d.terminate()?;
    let [(s0, f0, r0), (s1, f1, r1)] = quiet[..] else { return Err(BenchError::Check("two halves".into())) };
    // Each program restarted at least once on average: the storm ran.
    if s1 - s0 < s.storm_programs as f64 {
        return Err(BenchError::Check(format!("the storm spawned only {} times in its second half", s1 - s0)));
    }
    let per_1000 = 1000.0 / (s1 - s0);
    Ok(vec![
        ("storm_spawns", s1),
        ("storm_zombies_max", latencies.zombies_max as f64),
        ("storm_get_state_p99", percentile(&mut latencies.calls, 99.0)),
        ("storm_stop_calls", f64::from(stop_calls)),
        ("storm_fd_growth", (f1 - f0) * per_1000),
        ("storm_rss_growth", (r1 - r0) * per_1000),
    ])
}

/// The crash storm with 20 `/events` readers that never read (ours only:
/// 4.3.0 has no event stream): getState's p99 meanwhile. Each reader's
/// events pile up in its socket and its queue, then it is lagged; the
/// engine and the API must not notice.
pub fn sse_storm(imp: &Implementation, s: &Sizes) -> Result<Figures, BenchError> {
    use std::io::Write;
    if imp.name != "ours" {
        return Ok(Vec::new());
    }
    let dir = s.workdir()?;
    let mut conf = Conf::new(dir.path());
    conf.server_key("event_stream=true");
    for i in 0..s.storm_programs {
        conf.program(&format!("c{i:02}"), "/bin/true", &["startsecs=0", "autorestart=true", "autostart=false"]);
    }
    let d = Daemon::start(imp, &conf.write()?)?;
    let sock = dir.path().join("s.sock");
    let mut readers = Vec::new();
    for _ in 0..20 {
        let mut r = std::os::unix::net::UnixStream::connect(&sock)?;
        r.write_all(b"GET /events HTTP/1.1\r\nHost: localhost\r\n\r\n")?;
        readers.push(r);
    }
    let sampler = Sampler::start(&d);
    d.call("supervisor.startAllProcesses", vec![Value::Boolean(false)])?;
    sleep(Duration::from_secs(s.storm_secs));
    stop_everything(&d, false)?;
    let mut latencies = sampler.finish()?;
    d.terminate()?;
    drop(readers);
    Ok(vec![("sse_storm_get_state_p99", percentile(&mut latencies.calls, 99.0))])
}

/// Calls stopAllProcesses (or, among idle programs, stopProcessGroup of
/// the storm) until none of the storm runs or starts; returns the calls.
fn stop_everything(d: &Daemon, storm_group: bool) -> Result<u32, BenchError> {
    for calls in 1..=60 {
        // Python may answer a fault while a process is mid-transition.
        let _ = if storm_group {
            d.call("supervisor.stopProcessGroup", vec![Value::String("storm".into()), Value::Boolean(true)])
        } else {
            d.call("supervisor.stopAllProcesses", vec![Value::Boolean(true)])
        };
        let infos = d.infos()?;
        if infos
            .iter()
            .filter(|i| !storm_group || text(i, "group") == "storm")
            .all(|i| !matches!(text(i, "statename").as_str(), "STARTING" | "RUNNING" | "BACKOFF" | "STOPPING"))
        {
            return Ok(calls);
        }
    }
    Err(BenchError::Check("60 stop calls did not stop the storm".into()))
}

/// Waits until `n` programs are RUNNING.
fn wait_running(d: &Daemon, n: usize, limit: Duration) -> Result<(), BenchError> {
    let start = Instant::now();
    while start.elapsed() < limit {
        if d.infos()?.iter().filter(|i| text(i, "statename") == "RUNNING").count() >= n {
            return Ok(());
        }
        sleep(Duration::from_millis(200));
    }
    Err(BenchError::Check(format!("{n} idle programs were not all RUNNING within {} s", limit.as_secs())))
}

/// getState latencies from one client, and the most unreaped children seen,
/// sampled on a second thread, while a scenario runs.
struct Sampler {
    stop: Arc<AtomicBool>,
    zombies: Arc<AtomicUsize>,
    calls: JoinHandle<Result<Vec<Duration>, BenchError>>,
    watcher: JoinHandle<()>,
}

struct Latencies {
    calls: Vec<Duration>,
    zombies_max: usize,
}

impl Sampler {
    fn start(d: &Daemon) -> Sampler {
        let stop = Arc::new(AtomicBool::new(false));
        let zombies = Arc::new(AtomicUsize::new(0));
        let url = d.url.clone();
        let flag = stop.clone();
        let calls = std::thread::spawn(move || {
            let client = Client::new(&url, None, None)?.with_timeout(LONG);
            let mut out = Vec::new();
            while !flag.load(Ordering::Relaxed) {
                let t = Instant::now();
                client.call("supervisor.getState", vec![])?;
                out.push(t.elapsed());
                sleep(Duration::from_millis(2));
            }
            Ok(out)
        });
        let (flag, most, pid) = (stop.clone(), zombies.clone(), d.pid);
        let watcher = std::thread::spawn(move || {
            while !flag.load(Ordering::Relaxed) {
                most.fetch_max(probe::zombie_children(pid), Ordering::Relaxed);
                sleep(Duration::from_millis(5));
            }
        });
        Sampler { stop, zombies, calls, watcher }
    }

    fn finish(self) -> Result<Latencies, BenchError> {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.watcher.join();
        let calls = self.calls.join().map_err(|_| BenchError::Check("the sampler panicked".into()))??;
        if calls.is_empty() {
            return Err(BenchError::Check("no getState call completed".into()));
        }
        Ok(Latencies { calls, zombies_max: self.zombies.load(Ordering::Relaxed) })
    }
}

/// The `p`th percentile, in seconds.
pub fn percentile(samples: &mut [Duration], p: f64) -> f64 {
    samples.sort_unstable();
    if samples.is_empty() {
        return f64::NAN;
    }
    let i = ((samples.len() - 1) as f64 * p / 100.0).round() as usize;
    samples[i.min(samples.len() - 1)].as_secs_f64()
}
