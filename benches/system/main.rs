//! The whole-system benchmark: runs the same scenarios against our
//! supervisord and Python Supervisor 4.3.0, with identical configs and the
//! same client, and prints both figures, the ratio and the target.
//!
//! `benches/system/run [--smoke] [--programs N] ...` builds what it needs
//! and runs this; `--help` lists the options. Each scenario checks what it
//! measured (every program really RUNNING, every log byte in place, no
//! process left behind) and a failed check fails the run.

mod daemon;
mod formats;
mod plot;
mod probe;
mod report;
mod roles;
mod scale;
mod scenarios;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use daemon::Implementation;
use report::Cell;
use scale::ScaleSizes;
use scenarios::Sizes;

/// Why a scenario could not give its figures.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("RPC: {0}")]
    Rpc(#[from] supervisor_rpc::client::ClientError),
    /// What was measured is not what should have happened.
    #[error("check failed: {0}")]
    Check(String),
    #[error("{0}")]
    Usage(String),
    #[error("plot: {0}")]
    Plot(Box<dyn std::error::Error + Send + Sync>),
}

const SCENARIOS: &[&str] = &["fleet", "respawn", "logging", "flood", "storm", "deps", "metrics", "sse", "formats"];

const HELP: &str = "usage: system-bench [options]
  --smoke              small sizes, to check the bench works (CI); runs the scale path too
  --scale              the scale curve instead of the scenarios: idle programs at each size
  --scale-sizes a,b    its sizes (100,1000,10000)
  --scale-limit N      seconds one daemon may take at one size before it is stopped (600)
  --idle-secs N        how long the idle daemon's CPU is watched (10)
  --plot FILE          where the scale chart goes (docs/scale.svg)
  --programs N         idle programs for the fleet and logging scenarios (1000)
  --calls N            getAllProcessInfo calls to take the median of (11)
  --respawns N         crash/respawn cycles (10)
  --log-mib N          bytes one writer floods (200)
  --flood-programs N   writers flooding at once (20)
  --flood-mib N        bytes each of them writes (50)
  --storm-programs N   crash-looping programs (50)
  --storm-idle N       idle programs running beside the storm (0)
  --storm-secs N       how long they crash (20)
  --only ours|python   run one implementation
  --scenarios a,b      some of: fleet, respawn, logging, flood, storm, deps (ours only),
                       metrics (ours only: /metrics scrapes at --programs),
                       sse (ours only: the storm with 20 /events readers that never read)
                       formats (ours only: child log formats, plain, pattern, json)
  --dir DIR            where configs, sockets and logs go (/dev/shm)
  --venv DIR           the venv with supervisor==4.3.0 (.venv at the workspace root)
  --ours DIR           the folder with our supervisord and supervisorctl (beside this bench)";

struct Options {
    sizes: Sizes,
    only: Option<String>,
    scenarios: Vec<String>,
    /// The scale run, when asked for (`--scale`, or small in `--smoke`).
    scale: Option<ScaleSizes>,
    plot: PathBuf,
    /// The smoke run draws its chart to check the path, then deletes it.
    plot_is_scratch: bool,
    venv: PathBuf,
    ours: Option<PathBuf>,
}

fn parse(args: &[String]) -> Result<Options, BenchError> {
    let mut sizes = Sizes {
        programs: 1000,
        calls: 11,
        respawns: 10,
        log_mib: 200,
        flood_programs: 20,
        flood_mib: 50,
        storm_programs: 50,
        storm_secs: 20,
        storm_idle: 0,
        // tmpfs: on a disk, creating the 2000 AUTO log files right after a
        // previous run deleted its own costs the daemon (either one) up to
        // a second of ext4 inode search, and launch would measure that.
        base: if Path::new("/dev/shm").is_dir() { PathBuf::from("/dev/shm") } else { std::env::temp_dir() },
    };
    let mut only = None;
    let mut scenarios: Vec<String> = SCENARIOS.iter().map(|s| s.to_string()).collect();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut venv = root.join(".venv");
    let mut ours = None;
    let mut scale = None;
    let mut scale_sizes = ScaleSizes {
        programs: vec![100, 1000, 10000],
        calls: 11,
        calls_budget: Duration::from_secs(30),
        idle: Duration::from_secs(10),
        limit: Duration::from_secs(600),
    };
    let mut plot = root.join("docs/scale.svg");
    let mut plot_is_scratch = false;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = || it.next().cloned().ok_or(BenchError::Usage(format!("{arg} needs a value")));
        let mut number = || -> Result<u64, BenchError> {
            let v = value()?;
            v.parse().map_err(|_| BenchError::Usage(format!("{arg}: {v:?} is not a number")))
        };
        match arg.as_str() {
            "--smoke" => {
                sizes = Sizes {
                    programs: 20,
                    calls: 3,
                    respawns: 3,
                    log_mib: 10,
                    flood_programs: 4,
                    flood_mib: 5,
                    storm_programs: 10,
                    storm_secs: 2,
                    storm_idle: sizes.storm_idle,
                    base: sizes.base.clone(),
                };
                scale_sizes = ScaleSizes {
                    programs: vec![10, 30],
                    calls: 3,
                    calls_budget: Duration::from_secs(5),
                    idle: Duration::from_secs(1),
                    limit: Duration::from_secs(60),
                };
                scale = Some(());
                plot = sizes.base.join(format!("system-bench-scale-{}.svg", std::process::id()));
                plot_is_scratch = true;
            }
            "--scale" => {
                scale = Some(());
                scenarios.clear();
            }
            "--scale-sizes" => {
                let v = value()?;
                let mut list = v
                    .split(',')
                    .map(|n| n.trim().parse::<usize>().ok().filter(|&n| n > 0))
                    .collect::<Option<Vec<usize>>>()
                    .ok_or(BenchError::Usage(format!("{arg}: {v:?} is not a list of sizes")))?;
                list.sort_unstable();
                list.dedup();
                scale_sizes.programs = list;
            }
            "--scale-limit" => scale_sizes.limit = Duration::from_secs(number()?.max(1)),
            "--idle-secs" => scale_sizes.idle = Duration::from_secs(number()?.max(1)),
            "--plot" => {
                plot = PathBuf::from(value()?);
                plot_is_scratch = false;
            }
            "--ours" => ours = Some(PathBuf::from(value()?)),
            "--programs" => sizes.programs = number()? as usize,
            "--calls" => sizes.calls = number()?.max(1) as usize,
            "--respawns" => sizes.respawns = number()?.max(1) as usize,
            "--log-mib" => sizes.log_mib = number()?.max(1),
            "--flood-programs" => sizes.flood_programs = number()?.max(1) as usize,
            "--flood-mib" => sizes.flood_mib = number()?.max(1),
            "--storm-programs" => sizes.storm_programs = number()?.max(1) as usize,
            "--storm-secs" => sizes.storm_secs = number()?.max(1),
            "--storm-idle" => sizes.storm_idle = number()? as usize,
            "--only" => only = Some(value()?),
            "--scenarios" => scenarios = value()?.split(',').map(str::to_owned).collect(),
            "--venv" => venv = PathBuf::from(value()?),
            "--dir" => sizes.base = PathBuf::from(value()?),
            // cargo bench passes this to every bench.
            "--bench" => {}
            "-h" | "--help" => return Err(BenchError::Usage(HELP.into())),
            other => return Err(BenchError::Usage(format!("unknown option {other}\n{HELP}"))),
        }
    }
    if let Some(bad) = scenarios.iter().find(|s| !SCENARIOS.contains(&s.as_str())) {
        return Err(BenchError::Usage(format!("unknown scenario {bad}; known: {}", SCENARIOS.join(", "))));
    }
    let scale = scale.map(|()| scale_sizes);
    Ok(Options { sizes, only, scenarios, scale, plot, plot_is_scratch, venv, ours })
}

fn implementations(o: &Options, exe: &std::path::Path) -> Result<Vec<Implementation>, BenchError> {
    let beside = exe.parent().ok_or(BenchError::Usage("the bench binary has no folder".into()))?;
    let here = o.ours.as_deref().unwrap_or(beside);
    let all = [
        Implementation {
            name: "python",
            supervisord: o.venv.join("bin/supervisord"),
            supervisorctl: o.venv.join("bin/supervisorctl"),
            // Three pipes and two log files held open (5), and one spare.
            fds_per_idle_program: 6,
        },
        Implementation {
            name: "ours",
            supervisord: here.join("supervisord"),
            supervisorctl: here.join("supervisorctl"),
            // Three pipes and a pidfd; a log file is opened at its first
            // write, and `sleep` writes none.
            fds_per_idle_program: 4,
        },
    ];
    let chosen: Vec<Implementation> =
        all.into_iter().filter(|i| o.only.as_deref().is_none_or(|only| only == i.name)).collect();
    for i in &chosen {
        if !i.supervisord.exists() {
            return Err(BenchError::Usage(format!(
                "{} is missing (benches/system/run builds ours and installs Python's)",
                i.supervisord.display()
            )));
        }
    }
    Ok(chosen)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("child") {
        return match roles::run(&args[1..]) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("system-bench child: {e}");
                ExitCode::FAILURE
            }
        };
    }
    match run(&args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(2)
        }
    }
}

/// Runs every chosen scenario on every chosen implementation; false if a
/// check failed.
fn run(args: &[String]) -> Result<bool, BenchError> {
    let o = parse(args)?;
    let exe = std::env::current_exe()?;
    let imps = implementations(&o, &exe)?;
    // Whatever a daemon leaves behind is reparented to us, so we can find
    // it, reap it and report it.
    // SAFETY: prctl with integer arguments only.
    unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) };
    let mut figures: HashMap<&str, HashMap<&'static str, f64>> = HashMap::new();
    let mut ok = true;
    for scenario in &o.scenarios {
        for imp in &imps {
            // 4.3.0 has no log formats.
            if scenario == "formats" && imp.name != "ours" {
                continue;
            }
            eprintln!("== {scenario}: {}", imp.name);
            let result = match scenario.as_str() {
                "fleet" => scenarios::fleet(imp, &o.sizes),
                "respawn" => scenarios::respawn(imp, &o.sizes, &exe),
                "logging" => scenarios::logging(imp, &o.sizes, &exe),
                "flood" => scenarios::flood(imp, &o.sizes, &exe),
                "deps" => scenarios::dependency_tree(imp, &o.sizes, &exe),
                "formats" => formats::formats(imp, &o.sizes, &exe),
                "metrics" => scenarios::metrics_scrape(imp, &o.sizes),
                "sse" => scenarios::sse_storm(imp, &o.sizes),
                _ => scenarios::storm(imp, &o.sizes),
            };
            match result {
                Ok(f) => figures.entry(imp.name).or_default().extend(f),
                Err(e) => {
                    eprintln!("FAILED: {scenario} on {}: {e}", imp.name);
                    ok = false;
                }
            }
            daemon::reap_orphans();
        }
    }
    if let Some(scale) = &o.scale {
        ok &= scale_curve(&o, scale, &imps)?;
    }
    if o.scenarios.is_empty() {
        return Ok(ok);
    }
    let s = &o.sizes;
    println!(
        "\n{} programs; {} MiB from one writer; {} writers x {} MiB; {} crashing programs for {} s{}",
        s.programs,
        s.log_mib,
        s.flood_programs,
        s.flood_mib,
        s.storm_programs,
        s.storm_secs,
        if s.storm_idle > 0 { format!(" among {} idle ones", s.storm_idle) } else { String::new() }
    );
    let none = HashMap::new();
    report::print(figures.get("python").unwrap_or(&none), figures.get("ours").unwrap_or(&none), s.programs);
    Ok(ok)
}

/// The scale run: every size on every implementation, the table and the
/// chart; false if a check failed.
fn scale_curve(o: &Options, scale: &ScaleSizes, imps: &[Implementation]) -> Result<bool, BenchError> {
    let largest = scale.programs.last().copied().unwrap_or(0);
    let want = imps.iter().map(|imp| scale::fds_for(imp, largest)).max().unwrap_or(0);
    let limit = scale::raise_fd_limit(want);
    eprintln!("== scale: {:?} programs; descriptor limit {limit}", scale.programs);
    let mut runs: HashMap<(&str, usize), scale::Run> = HashMap::new();
    let mut ok = true;
    // A size the descriptor limit cannot hold is left out, and said so: an
    // implementation that holds fewer per program may still run it.
    let mut too_big = Vec::new();
    for imp in imps {
        let (sizes, left_out): (Vec<usize>, Vec<usize>) =
            scale.programs.iter().partition(|&&n| scale::fds_for(imp, n) <= limit);
        too_big.extend(left_out.into_iter().map(|n| (imp.name, n, scale::fds_for(imp, n))));
        eprintln!("== scale: {}, empty", imp.name);
        let empty = scale::empty(imp, &o.sizes.base)?;
        for &n in &sizes {
            eprintln!("== scale: {}, {n} programs", imp.name);
            match scale::run(imp, scale, &o.sizes.base, n, empty) {
                Ok(run) => {
                    if let Some(limit) = run.unfinished {
                        eprintln!("   did not finish in {} s", limit.as_secs());
                    }
                    runs.insert((imp.name, n), run);
                }
                Err(e) => {
                    eprintln!("FAILED: scale with {n} programs on {}: {e}", imp.name);
                    ok = false;
                }
            }
            daemon::reap_orphans();
        }
    }
    let cell = |imp: &str, n: usize, key: &str| match runs.get(&(imp, n)) {
        None => Cell::Missing,
        Some(run) => match run.figures.iter().find(|(k, _)| *k == key) {
            Some(&(_, v)) => Cell::Value(v),
            None => run.unfinished.map_or(Cell::Missing, |l| Cell::Unfinished(l.as_secs())),
        },
    };
    println!(
        "\nscale: idle programs (/bin/sleep 3600, startsecs=0); a second client calls getState every 2 ms \
         and getAllProcessInfo every 50 ms during the launch and stopAllProcesses; idle CPU over {} s, \
         shown per 10 s",
        scale.idle.as_secs()
    );
    for (name, n, fds) in &too_big {
        println!(
            "left out for {name}: {n} programs need {fds} descriptors, and the limit is {limit} (raising it needs \
             root with CAP_SYS_RESOURCE)"
        );
    }
    report::print_scale(&scale.programs, cell);
    plot::draw(&o.plot, &scale.programs, "Scale: ours and Python Supervisor 4.3.0 (log-log)", cell)?;
    eprintln!("chart: {}", o.plot.display());
    if o.plot_is_scratch {
        std::fs::remove_file(&o.plot)?;
    }
    Ok(ok)
}
