//! The slow half of rotation, off the writers' path: gzip of rotated files
//! (`*_compress`) and deletion of old ones (`*_maxage`), done in order on
//! one worker thread for the whole process.
//!
//! With compression, a rotation only renames the log to a pending name
//! (`x.log.rotated-<pid>-<n>`) and starts a new file; the worker compresses
//! the pending file, shifts `x.log.1.gz` ... up by one and puts the new
//! one in as `x.log.1.gz`. Jobs run in the order the rotations happened,
//! so the numbering stays right however fast the log rotates. A pending
//! file left by a crash is picked up the next time the log is opened.

use std::fs::File;
use std::io::{self, BufReader, BufWriter};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Sender, channel};
use std::sync::{Condvar, Mutex, OnceLock};
use std::time::{Duration, SystemTime};

use crate::config::Compression;

/// What the worker does after one rotation.
#[derive(Debug)]
pub(crate) struct Job {
    /// The log's path (`x.log`).
    pub log: PathBuf,
    /// The rotated file to gzip (only compressed logs have one).
    pub pending: Option<PathBuf>,
    /// `*_backups`.
    pub backups: u32,
    /// `*_maxage`.
    pub maxage: Option<Duration>,
}

/// The worker and how many of its jobs are not done yet.
struct Worker {
    jobs: Mutex<Option<Sender<Job>>>,
    queued: Mutex<u64>,
    idle: Condvar,
}

fn worker() -> &'static Worker {
    static WORKER: OnceLock<Worker> = OnceLock::new();
    WORKER.get_or_init(|| Worker { jobs: Mutex::new(None), queued: Mutex::new(0), idle: Condvar::new() })
}

/// Queues `job`; the worker thread starts with the first job.
pub(crate) fn submit(job: Job) {
    let w = worker();
    let Ok(mut jobs) = w.jobs.lock() else { return };
    if jobs.is_none() {
        let (tx, rx) = channel::<Job>();
        let started = std::thread::Builder::new().name("log-retention".into()).spawn(move || {
            for job in rx {
                run(&job);
                let w = worker();
                if let Ok(mut n) = w.queued.lock() {
                    *n = n.saturating_sub(1);
                    if *n == 0 {
                        w.idle.notify_all();
                    }
                }
            }
        });
        if started.is_err() {
            // No thread: do the work here rather than lose the file.
            drop(jobs);
            run(&job);
            return;
        }
        *jobs = Some(tx);
    }
    if let Ok(mut n) = w.queued.lock() {
        *n += 1;
    }
    if let Some(tx) = jobs.as_ref()
        && let Err(unsent) = tx.send(job)
    {
        if let Ok(mut n) = w.queued.lock() {
            *n = n.saturating_sub(1);
        }
        run(&unsent.0);
    }
}

/// Waits until every queued job is done (at most `timeout`); true if so.
/// For tests and for an orderly exit.
pub fn wait_idle(timeout: Duration) -> bool {
    let w = worker();
    let Ok(n) = w.queued.lock() else { return false };
    w.idle.wait_timeout_while(n, timeout, |n| *n > 0).is_ok_and(|(n, _)| *n == 0)
}

/// A new pending name for a rotated file of `log`.
pub(crate) fn pending_name(log: &Path) -> PathBuf {
    static N: AtomicU64 = AtomicU64::new(0);
    let mut s = log.as_os_str().to_owned();
    // The time too: a later daemon with the same pid never reuses a name
    // a crash left behind.
    let nanos = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    s.push(format!(".rotated-{}-{nanos}-{}", std::process::id(), N.fetch_add(1, Ordering::Relaxed)));
    PathBuf::from(s)
}

/// Whether `log` is opened with compression for the first time in this
/// process: only then are an earlier run's pending files looked for (a
/// program respawning does not scan its log's directory each time).
pub(crate) fn first_open(log: &Path) -> bool {
    static SEEN: Mutex<Option<std::collections::HashSet<PathBuf>>> = Mutex::new(None);
    let mut seen = SEEN.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    seen.get_or_insert_with(Default::default).insert(log.to_owned())
}

/// Pending files of `log` left by an earlier run, oldest first (a `.gz`
/// among them is a finished compression whose source is gone: its data is
/// kept as it is, under that name).
pub(crate) fn leftovers(log: &Path) -> Vec<PathBuf> {
    let (Some(dir), Some(name)) = (log.parent(), log.file_name().and_then(|n| n.to_str())) else {
        return Vec::new();
    };
    let prefix = format!("{name}.rotated-");
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut found: Vec<(SystemTime, PathBuf)> = entries
        .flatten()
        .filter(|e| e.file_name().to_str().is_some_and(|n| n.starts_with(&prefix) && !n.ends_with(".gz")))
        .map(|e| (e.metadata().and_then(|m| m.modified()).unwrap_or(SystemTime::UNIX_EPOCH), e.path()))
        .collect();
    found.sort();
    found.into_iter().map(|(_, p)| p).collect()
}

/// `x.log.N`, or `x.log.N.gz` when compressed.
pub(crate) fn numbered(log: &Path, i: u32, compress: Option<Compression>) -> PathBuf {
    let mut s = log.as_os_str().to_owned();
    s.push(format!(".{i}"));
    if compress.is_some() {
        s.push(".gz");
    }
    PathBuf::from(s)
}

fn run(job: &Job) {
    // A failure leaves files as they are; the next rotation tries again.
    if let Some(pending) = &job.pending {
        let _ = place_compressed(job, pending);
    }
    if let Some(age) = job.maxage {
        sweep(&job.log, job.backups, age);
    }
}

fn place_compressed(job: &Job, pending: &Path) -> io::Result<()> {
    if job.backups == 0 {
        return std::fs::remove_file(pending);
    }
    let compress = Some(Compression::Gzip);
    let mut part = pending.as_os_str().to_owned();
    part.push(".gz");
    let part = PathBuf::from(part);
    gzip(pending, &part)?;
    // The source goes as soon as its copy is safe: a crash from here on
    // leaves the data in `part`, never compressed twice into two backups.
    std::fs::remove_file(pending)?;
    for i in (1..job.backups).rev() {
        let from = numbered(&job.log, i, compress);
        if from.exists() {
            std::fs::rename(&from, numbered(&job.log, i + 1, compress))?;
        }
    }
    std::fs::rename(&part, numbered(&job.log, 1, compress))
}

/// Compresses `from` into `to`, which keeps `from`'s modification time (the
/// age `maxage` counts from).
fn gzip(from: &Path, to: &Path) -> io::Result<()> {
    let input = File::open(from)?;
    let modified = input.metadata().and_then(|m| m.modified()).ok();
    let out = File::create(to)?;
    let mut encoder = flate2::write::GzEncoder::new(BufWriter::new(out), flate2::Compression::default());
    io::copy(&mut BufReader::new(input), &mut encoder)?;
    let out = encoder.finish()?.into_inner().map_err(io::IntoInnerError::into_error)?;
    out.sync_all()?;
    if let Some(t) = modified {
        let _ = out.set_modified(t);
    }
    Ok(())
}

/// Deletes rotated copies of `log` (plain and gzipped) last written more
/// than `age` ago.
fn sweep(log: &Path, backups: u32, age: Duration) {
    let Some(cutoff) = SystemTime::now().checked_sub(age) else { return };
    for i in 1..=backups.max(1) {
        for compress in [None, Some(Compression::Gzip)] {
            let path = numbered(log, i, compress);
            if std::fs::metadata(&path).and_then(|m| m.modified()).is_ok_and(|t| t < cutoff) {
                let _ = std::fs::remove_file(&path);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn gunzip(path: &Path) -> Vec<u8> {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(File::open(path).expect("open")).read_to_end(&mut out).expect("gunzip");
        out
    }

    #[test]
    fn compressed_copies_shift_in_rotation_order() {
        let dir = tempfile::tempdir().expect("tempdir");
        let log = dir.path().join("x.log");
        for text in ["one", "two", "three", "four"] {
            let pending = pending_name(&log);
            std::fs::write(&pending, text).expect("write");
            submit(Job { log: log.clone(), pending: Some(pending), backups: 3, maxage: None });
        }
        assert!(wait_idle(Duration::from_secs(30)));
        assert_eq!(gunzip(&numbered(&log, 1, Some(Compression::Gzip))), b"four");
        assert_eq!(gunzip(&numbered(&log, 2, Some(Compression::Gzip))), b"three");
        assert_eq!(gunzip(&numbered(&log, 3, Some(Compression::Gzip))), b"two");
        assert!(!numbered(&log, 4, Some(Compression::Gzip)).exists(), "only backups are kept");
        assert!(leftovers(&log).is_empty());
    }

    #[test]
    fn old_copies_are_swept() {
        let dir = tempfile::tempdir().expect("tempdir");
        let log = dir.path().join("x.log");
        let old = numbered(&log, 2, None);
        let new = numbered(&log, 1, None);
        std::fs::write(&old, "old").expect("write");
        std::fs::write(&new, "new").expect("write");
        let file = File::options().write(true).open(&old).expect("open");
        file.set_modified(SystemTime::now() - Duration::from_secs(3600)).expect("mtime");
        submit(Job { log: log.clone(), pending: None, backups: 5, maxage: Some(Duration::from_secs(60)) });
        assert!(wait_idle(Duration::from_secs(30)));
        assert!(!old.exists() && new.exists());
    }
}
