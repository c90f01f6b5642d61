//! What processes use, read from `/proc` when asked (metrics): CPU time
//! and resident memory. One pass over `/proc` answers for every process
//! asked about, so a scrape of a thousand programs reads each `stat` once.

use std::collections::HashMap;

/// One process's figures.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Usage {
    /// Its own `utime + stime + cutime + cstime`, in seconds: it only grows
    /// while the process lives (children are counted once reaped).
    pub cpu_seconds: f64,
    /// Resident memory of it and every descendant, in bytes.
    pub resident_bytes: u64,
}

/// One `/proc/<pid>/stat`, as much of it as is used.
#[derive(Debug, Clone, Copy)]
struct Stat {
    pid: u32,
    ppid: u32,
    cpu_ticks: u64,
    rss_pages: u64,
}

/// The usage of each of `pids` (those alive); nothing is read for none.
pub(crate) fn usage(pids: &[u32]) -> HashMap<u32, Usage> {
    if pids.is_empty() {
        return HashMap::new();
    }
    let Ok(dir) = std::fs::read_dir("/proc") else { return HashMap::new() };
    // Each stat file read straight into one buffer and parsed by procfs's
    // parser: opening `/proc/<pid>` as a directory first (what
    // `procfs::process::all_processes` does) cost a tenth of a scrape.
    let mut buf = Vec::with_capacity(1024);
    let mut path = String::with_capacity(32);
    let mut stats = Vec::with_capacity(pids.len() + 64);
    for entry in dir.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().filter(|n| n.bytes().all(|b| b.is_ascii_digit())) else { continue };
        path.clear();
        path.push_str("/proc/");
        path.push_str(pid);
        path.push_str("/stat");
        buf.clear();
        let read = std::fs::File::open(&path).and_then(|mut f| std::io::Read::read_to_end(&mut f, &mut buf));
        if read.is_err() {
            // Gone since the listing.
            continue;
        }
        use procfs::FromRead;
        if let Some(s) = procfs::process::Stat::from_read(&buf[..]).ok().and_then(|s| stat(&s)) {
            stats.push(s);
        }
    }
    figures(&stats, pids, procfs::ticks_per_second(), procfs::page_size())
}

fn stat(s: &procfs::process::Stat) -> Option<Stat> {
    let children = u64::try_from(s.cutime.max(0) + s.cstime.max(0)).unwrap_or(0);
    Some(Stat {
        pid: u32::try_from(s.pid).ok()?,
        ppid: u32::try_from(s.ppid).unwrap_or(0),
        cpu_ticks: s.utime + s.stime + children,
        rss_pages: s.rss,
    })
}

/// The figures of `pids` from every process's stat: CPU of the process
/// itself, memory of its whole tree.
fn figures(stats: &[Stat], pids: &[u32], ticks: u64, page: u64) -> HashMap<u32, Usage> {
    let mut children: HashMap<u32, Vec<usize>> = HashMap::with_capacity(stats.len());
    let mut by_pid: HashMap<u32, usize> = HashMap::with_capacity(stats.len());
    for (i, s) in stats.iter().enumerate() {
        children.entry(s.ppid).or_default().push(i);
        by_pid.insert(s.pid, i);
    }
    let mut out = HashMap::with_capacity(pids.len());
    let mut stack = Vec::new();
    for &pid in pids {
        let Some(&i) = by_pid.get(&pid) else { continue };
        let mut pages = 0u64;
        stack.clear();
        stack.push(i);
        // A tree, since each process has one parent; the bound only guards
        // against a table read while pids were reused.
        let mut left = stats.len();
        while let Some(j) = stack.pop() {
            pages += stats[j].rss_pages;
            left = left.saturating_sub(1);
            if left == 0 {
                break;
            }
            if let Some(kids) = children.get(&stats[j].pid) {
                stack.extend(kids.iter().copied().filter(|&k| stats[k].pid != stats[j].pid));
            }
        }
        out.insert(
            pid,
            Usage {
                cpu_seconds: stats[i].cpu_ticks as f64 / ticks.max(1) as f64,
                resident_bytes: pages.saturating_mul(page),
            },
        );
    }
    out
}

/// This process's resident memory (bytes) and open descriptors.
pub(crate) fn own() -> (u64, u64) {
    let Ok(me) = procfs::process::Process::myself() else { return (0, 0) };
    let rss = me.stat().map_or(0, |s| s.rss.saturating_mul(procfs::page_size()));
    let fds = me.fd_count().map_or(0, |n| n as u64);
    (rss, fds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_counts_the_tree_and_cpu_only_the_process() {
        let s = |pid, ppid, cpu_ticks, rss_pages| Stat { pid, ppid, cpu_ticks, rss_pages };
        // 10 -> 11 -> 12, and 20 beside them.
        let stats = [s(1, 0, 0, 1), s(10, 1, 200, 2), s(11, 10, 50, 3), s(12, 11, 7, 4), s(20, 1, 100, 8)];
        let got = figures(&stats, &[10, 11, 20, 99], 100, 4096);
        assert_eq!(got[&10], Usage { cpu_seconds: 2.0, resident_bytes: 9 * 4096 });
        assert_eq!(got[&11], Usage { cpu_seconds: 0.5, resident_bytes: 7 * 4096 });
        assert_eq!(got[&20], Usage { cpu_seconds: 1.0, resident_bytes: 8 * 4096 });
        assert!(!got.contains_key(&99), "a pid that is gone has no figures");
    }

    #[test]
    fn this_process_is_seen() {
        let me = std::process::id();
        let got = usage(&[me]);
        assert!(got[&me].resident_bytes > 0);
        let (rss, fds) = own();
        assert!(rss > 0 && fds >= 3, "{rss} {fds}");
    }
}
