//! What the bench reads about a process from /proc: memory, CPU time, open
//! fds, children and their states.

use std::fs;
use std::path::Path;

/// Resident set size in bytes (`VmRSS`).
pub fn rss_bytes(pid: u32) -> Option<u64> {
    status_field(pid, "VmRSS:").map(|kb| kb * 1024)
}

/// The anonymous part of the resident set in bytes (`RssAnon`): the heap
/// and stacks, without the binary's and libraries' file pages.
pub fn rss_anon_bytes(pid: u32) -> Option<u64> {
    status_field(pid, "RssAnon:").map(|kb| kb * 1024)
}

/// How many threads the process has.
pub fn threads(pid: u32) -> Option<u64> {
    status_field(pid, "Threads:")
}

/// The number after `key` in `/proc/PID/status`.
fn status_field(pid: u32, key: &str) -> Option<u64> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with(key))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// CPU time in seconds, summed over every thread, at nanosecond grain
/// (`schedstat`; `stat` counts 10 ms ticks, too coarse for a fast run).
pub fn cpu_seconds(pid: u32) -> Option<f64> {
    let tasks = fs::read_dir(format!("/proc/{pid}/task")).ok()?;
    let mut ns: u64 = 0;
    for task in tasks.flatten() {
        let text = fs::read_to_string(task.path().join("schedstat")).unwrap_or_default();
        ns += text.split_whitespace().next().and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    }
    Some(ns as f64 / 1e9)
}

/// How many file descriptors the process has open.
pub fn fd_count(pid: u32) -> Option<usize> {
    Some(fs::read_dir(format!("/proc/{pid}/fd")).ok()?.count())
}

/// The direct children of a process, from every one of its threads (a
/// multi-threaded daemon forks from whichever thread runs the spawn).
pub fn children(pid: u32) -> Vec<u32> {
    let Ok(tasks) = fs::read_dir(format!("/proc/{pid}/task")) else { return Vec::new() };
    let mut out = Vec::new();
    for task in tasks.flatten() {
        if let Ok(text) = fs::read_to_string(task.path().join("children")) {
            out.extend(text.split_whitespace().filter_map(|p| p.parse::<u32>().ok()));
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// The process's children and their descendants.
pub fn descendants(pid: u32) -> Vec<u32> {
    let mut out = Vec::new();
    let mut todo = children(pid);
    while let Some(p) = todo.pop() {
        todo.extend(children(p));
        out.push(p);
    }
    out
}

/// The fields of `/proc/PID/stat` the bench uses.
pub struct Stat {
    /// `R`, `S`, `Z`, ...
    pub state: char,
    /// The executable's name, as the kernel keeps it (15 bytes at most).
    pub comm: String,
}

impl Stat {
    /// None when the process is gone.
    pub fn read(pid: u32) -> Option<Stat> {
        let text = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        // comm may hold spaces and parentheses: it ends at the last ')'.
        let open = text.find('(')?;
        let close = text.rfind(')')?;
        let comm = text.get(open + 1..close)?.to_owned();
        let rest: Vec<&str> = text.get(close + 2..)?.split_whitespace().collect();
        Some(Stat { state: rest.first()?.chars().next()?, comm })
    }
}

/// Whether the process exists and is not a zombie.
pub fn alive(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists() && Stat::read(pid).is_some_and(|s| s.state != 'Z')
}

/// How many of `pid`'s children are zombies nobody has reaped yet.
pub fn zombie_children(pid: u32) -> usize {
    children(pid).into_iter().filter(|&c| Stat::read(c).is_some_and(|s| s.state == 'Z')).count()
}
