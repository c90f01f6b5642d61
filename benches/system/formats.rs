//! Formatted child logs (issue 19): one writer of ~100-byte lines, logged
//! (a) byte for byte, (b) with `childlog_format = %(asctime)s %(program)s
//! %(message)s`, (c) as JSON. Ours only: 4.3.0 has no formats, and its
//! plain figure is the `logging` scenario's. Every line is checked: the
//! messages, put back together, are the bytes written.

use std::fs::{self, File};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::thread::sleep;
use std::time::{Duration, Instant};

use dxr::Value;

use crate::BenchError;
use crate::daemon::{Conf, Daemon, Implementation};
use crate::probe;
use crate::roles::{self, BLOCK};
use crate::scenarios::{Figures, Sizes};

const MIB: f64 = 1024.0 * 1024.0;
const PATTERN: &str = "%(asctime)s %(program)s %(message)s";

/// The three runs, each a rate and daemon CPU per 100 MiB written.
pub fn formats(imp: &Implementation, s: &Sizes, exe: &Path) -> Result<Figures, BenchError> {
    let mut figures = Vec::new();
    for (format, rate, cpu) in [
        (None, "fmt_plain", "fmt_plain_cpu"),
        (Some(PATTERN), "fmt_pattern", "fmt_pattern_cpu"),
        (Some("json"), "fmt_json", "fmt_json_cpu"),
    ] {
        let (mib_per_s, cpu_per_100) = one_run(imp, s, exe, format)?;
        figures.push((rate, mib_per_s));
        figures.push((cpu, cpu_per_100));
    }
    Ok(figures)
}

fn one_run(imp: &Implementation, s: &Sizes, exe: &Path, format: Option<&str>) -> Result<(f64, f64), BenchError> {
    let dir = tempfile::Builder::new().prefix("system-bench").tempdir_in(&s.base)?;
    let mut conf = Conf::new(dir.path());
    let blocks = s.log_mib * (1024 * 1024 / BLOCK as u64);
    let marks = dir.path().join("writer.marks");
    let log = dir.path().join("writer.log");
    let command = format!("{} child flood {blocks} {}", exe.display(), marks.display());
    let log_key = format!("stdout_logfile={}", log.display());
    let format_key = format.map(|f| format!("childlog_format={f}"));
    let mut keys = vec!["autostart=false", "autorestart=false", "startsecs=0", &log_key, "stdout_logfile_maxbytes=0"];
    if let Some(k) = &format_key {
        keys.push(k);
    }
    conf.program("writer", &command, &keys);
    let d = Daemon::start(imp, &conf.write()?)?;
    let cpu0 = probe::cpu_seconds(d.pid).unwrap_or(0.0);
    d.call("supervisor.startProcess", vec![Value::String("writer".into()), Value::Boolean(false)])?;
    let written = blocks * BLOCK as u64;
    // Done when the writer has exited and the log stopped growing; the
    // finish is the last growth seen (polled every millisecond).
    let deadline = Instant::now() + Duration::from_secs(300);
    let (mut last_size, mut last_growth) = (0u64, Instant::now());
    let mut growth_ns = roles::now_ns();
    loop {
        let size = fs::metadata(&log).map(|m| m.len()).unwrap_or(0);
        if size != last_size {
            (last_size, last_growth, growth_ns) = (size, Instant::now(), roles::now_ns());
        }
        let exited = roles::marks(&marks).unwrap_or_default().iter().any(|(k, _)| *k == 'E');
        if exited && size >= written && last_growth.elapsed() > Duration::from_millis(300) {
            break;
        }
        if Instant::now() > deadline {
            return Err(BenchError::Check(format!("only {size} bytes logged of at least {written}")));
        }
        sleep(Duration::from_millis(1));
    }
    let cpu1 = probe::cpu_seconds(d.pid).unwrap_or(0.0);
    let start = roles::marks(&marks)?
        .iter()
        .find(|(k, _)| *k == 'S')
        .map(|m| m.1)
        .ok_or(BenchError::Check("the writer never started".into()))?;
    d.terminate()?;
    match format {
        None => roles::verify_flood(&log, blocks)?,
        Some(f) => verify_lines(&log, blocks, f)?,
    }
    let secs = growth_ns.saturating_sub(start) as f64 / 1e9;
    Ok((written as f64 / MIB / secs, (cpu1 - cpu0) * 100.0 / s.log_mib as f64))
}

/// Checks a formatted log: every line has the format's shape, and its
/// messages, each with its newline back, are the flood's blocks exactly.
fn verify_lines(path: &Path, blocks: u64, format: &str) -> Result<(), BenchError> {
    let mut want = [0u8; BLOCK];
    let mut stream: Vec<u8> = Vec::with_capacity(BLOCK * 2);
    let mut block = 0u64;
    let bad = |n: usize, why: &str| BenchError::Check(format!("{}: line {n}: {why}", path.display()));
    for (n, line) in BufReader::new(File::open(path)?).lines().enumerate() {
        let line = line?;
        let message = if format == "json" {
            let start = line.find("\"message\":\"").ok_or_else(|| bad(n, "no message"))? + 11;
            let end = line.rfind("\"}").ok_or_else(|| bad(n, "not a JSON object"))?;
            // The flood's text needs no escapes: anything else is wrong.
            if !line.starts_with("{\"time\":\"") || line[start..end].contains('\\') {
                return Err(bad(n, "not the expected JSON"));
            }
            line[start..end].to_owned()
        } else {
            // `2026-12-06 09:05:07,003 writer ` then the message.
            let rest = line.get(24..).ok_or_else(|| bad(n, "too short"))?;
            rest.strip_prefix("writer ").ok_or_else(|| bad(n, "no program"))?.to_owned()
        };
        stream.extend_from_slice(message.as_bytes());
        stream.push(b'\n');
        while stream.len() >= BLOCK {
            roles::fill_block(&mut want, block);
            if stream[..BLOCK] != want[..] {
                return Err(BenchError::Check(format!("{}: block {block} differs", path.display())));
            }
            stream.drain(..BLOCK);
            block += 1;
        }
    }
    if block != blocks || !stream.is_empty() {
        return Err(BenchError::Check(format!("{}: {block} of {blocks} blocks", path.display())));
    }
    Ok(())
}
