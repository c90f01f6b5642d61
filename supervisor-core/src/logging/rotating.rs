//! A log file that rotates exactly as 4.3.0's `RotatingFileHandler` does:
//! right after the write that brings it to `maxbytes`, shifting `.1` …
//! `.N`. Only regular files rotate, so `/dev/stdout` and pipes work with any
//! `maxbytes` (4.3.0 fails on them with "Illegal seek").
//!
//! Beyond 4.3.0, opt-in ([`Retention`]): rotation at each hour, day or week
//! too, gzip of rotated copies and deletion of old ones (both on a worker
//! thread, see `retention.rs`). `/dev/stdout` and `/dev/stderr` are
//! supervisord's own descriptors, written under one lock per descriptor.

use std::fs::{File, OpenOptions};
use std::io::{self, Seek, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use chrono::{DateTime, Datelike, Duration as Days, Local, NaiveDate, TimeZone, Timelike};

use super::console::Console;
use super::retention::{self, Job};
use crate::config::{Retention, Rotation};

/// An append-only log file with size rotation.
#[derive(Debug)]
pub struct RotatingFile {
    path: PathBuf,
    /// Opened at the first write: a thousand programs that print nothing
    /// hold no descriptors, and every child spawned after them has fewer
    /// to close at exec.
    file: Option<File>,
    maxbytes: u64,
    backups: u32,
    regular: bool,
    /// `/dev/stdout` or `/dev/stderr`: supervisord's own.
    console: Option<Console>,
    retention: Retention,
    /// With time rotation: the next write at or after this starts a new file.
    boundary: Option<SystemTime>,
    /// Bytes written since writeback was last started (see `write_behind`).
    unflushed: u64,
}

/// How much of a log is written before its writeback is started.
const WRITE_BEHIND: u64 = 8 << 20;

/// Starts writing the last [`WRITE_BEHIND`] bytes before `end` to disk now,
/// and drops the window before them from the page cache (written by then;
/// logs are seldom read back). Left to the kernel, a flood piles up dirty
/// pages until its dirty limit makes every writer of the machine wait at
/// once, and fills memory whose reclaim stalls every thread that allocates
/// (the API's included). On tmpfs both calls do nothing.
fn write_behind(file: &File, end: u64) {
    use std::os::fd::AsRawFd;
    let fd = file.as_raw_fd();
    let start = end.saturating_sub(WRITE_BEHIND);
    let (Ok(from), Ok(len)) = (i64::try_from(start), i64::try_from(end - start)) else { return };
    // SAFETY: plain syscalls on an open descriptor; they touch no memory of ours.
    unsafe {
        libc::sync_file_range(fd, from, len, libc::SYNC_FILE_RANGE_WRITE);
        if let Ok(old) = i64::try_from(start.saturating_sub(WRITE_BEHIND))
            && old < from
        {
            libc::posix_fadvise(fd, old, from - old, libc::POSIX_FADV_DONTNEED);
        }
    }
}

fn open_append(path: &Path) -> io::Result<File> {
    match OpenOptions::new().append(true).create(true).open(path) {
        // Special files that cannot seek (as 4.3.0 retries in 'w' mode).
        Err(e) if e.raw_os_error() == Some(libc::ESPIPE) => OpenOptions::new().write(true).open(path),
        other => other,
    }
}

impl RotatingFile {
    /// Opens (creating) `path` for appending. `maxbytes` 0 never rotates.
    pub fn open(path: impl Into<PathBuf>, maxbytes: u64, backups: u32) -> io::Result<RotatingFile> {
        let path = path.into();
        if let Some(console) = Console::of(&path) {
            return Ok(RotatingFile {
                path,
                file: None,
                maxbytes,
                backups,
                regular: false,
                console: Some(console),
                retention: Retention::default(),
                boundary: None,
                unflushed: 0,
            });
        }
        let file = open_append(&path)?;
        let regular = file.metadata()?.is_file();
        // Special files (a tty, /dev/stdout) stay open: they cannot be
        // told apart from a rotated-away file on reopening.
        let file = (!regular).then_some(file);
        Ok(RotatingFile {
            path,
            file,
            maxbytes,
            backups,
            regular,
            console: None,
            retention: Retention::default(),
            boundary: None,
            unflushed: 0,
        })
    }

    /// Adds time rotation, compression and age limits. A file last written
    /// in an earlier hour, day or week than now starts anew at the next
    /// write; pending compressions left by a crash are queued again.
    pub fn with_retention(mut self, retention: Retention) -> RotatingFile {
        self.retention = retention;
        if !self.regular || retention.is_default() {
            return self;
        }
        if retention.compress.is_some() && retention::first_open(&self.path) {
            for pending in retention::leftovers(&self.path) {
                self.submit(Some(pending));
            }
        }
        if retention.rotate != Rotation::Size {
            let now = Local::now();
            let written = std::fs::metadata(&self.path).and_then(|m| m.modified()).ok().map(DateTime::<Local>::from);
            self.boundary = Some(match written {
                Some(t) if t < period_start(now, retention.rotate) => {
                    SystemTime::from(period_start(now, retention.rotate))
                }
                _ => next_boundary(now, retention.rotate),
            });
        }
        self
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether this holds nothing but its settings: a plain file not open,
    /// with no time rotation or compression to keep track of. Such a one
    /// can be dropped and opened again later to the same effect.
    pub(crate) fn holds_nothing(&self) -> bool {
        self.regular && self.file.is_none() && self.console.is_none() && self.retention.is_default()
    }

    /// Whether this is supervisord's own stdout or stderr, where lines from
    /// many programs meet.
    pub fn is_console(&self) -> bool {
        self.console.is_some()
    }

    /// Writes `data`, then rotates if the file reached `maxbytes`.
    pub fn write(&mut self, data: &[u8]) -> io::Result<()> {
        if let Some(console) = self.console {
            return console.write(data);
        }
        if let Some(at) = self.boundary
            && SystemTime::now() >= at
        {
            self.boundary = Some(next_boundary(Local::now(), self.retention.rotate));
            if std::fs::metadata(&self.path).is_ok_and(|m| m.len() > 0) {
                self.rotate()?;
            }
        }
        let file = match &mut self.file {
            Some(f) => f,
            None => self.file.insert(open_append(&self.path)?),
        };
        file.write_all(data)?;
        if !self.regular {
            return Ok(());
        }
        self.unflushed += data.len() as u64;
        let behind = self.unflushed >= WRITE_BEHIND;
        if self.maxbytes == 0 && !behind {
            return Ok(());
        }
        let end = file.stream_position()?;
        if behind {
            self.unflushed = 0;
            write_behind(file, end);
        }
        if self.maxbytes > 0 && end >= self.maxbytes {
            self.rotate()?;
        }
        Ok(())
    }

    fn rotate(&mut self) -> io::Result<()> {
        if self.retention.compress.is_some() {
            // The worker compresses and numbers it; the writer only renames.
            let pending = retention::pending_name(&self.path);
            let moved = match std::fs::rename(&self.path, &pending) {
                Ok(()) => true,
                // Removed or moved away from outside: start a new file, as
                // the uncompressed rotation does, rather than write on
                // into the lost one for good.
                Err(e) if e.kind() == io::ErrorKind::NotFound => false,
                Err(e) => return Err(e),
            };
            self.file = Some(File::create(&self.path)?);
            if moved {
                self.submit(Some(pending));
            }
            return Ok(());
        }
        if self.backups > 0 {
            for i in (1..self.backups).rev() {
                let from = self.numbered(i);
                if from.exists() {
                    remove_and_rename(&from, &self.numbered(i + 1))?;
                }
            }
            remove_and_rename(&self.path, &self.numbered(1))?;
        }
        self.file = Some(File::create(&self.path)?);
        if self.retention.maxage.is_some() {
            self.submit(None);
        }
        Ok(())
    }

    fn submit(&self, pending: Option<PathBuf>) {
        retention::submit(Job {
            log: self.path.clone(),
            pending,
            backups: self.backups,
            maxage: self.retention.maxage,
        });
    }

    fn numbered(&self, i: u32) -> PathBuf {
        retention::numbered(&self.path, i, None)
    }

    /// Closes and opens the file again (SIGUSR2, after an outside rotation).
    pub fn reopen(&mut self) -> io::Result<()> {
        if self.console.is_some() {
            return Ok(());
        }
        let file = open_append(&self.path)?;
        self.regular = file.metadata()?.is_file();
        self.file = (!self.regular).then_some(file);
        Ok(())
    }

    /// Removes the file and starts a new, empty one (`clearProcessLogs`).
    pub fn clear(&mut self) -> io::Result<()> {
        if self.console.is_some() {
            return Ok(());
        }
        match std::fs::remove_file(&self.path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
        self.reopen()
    }
}

/// The start of the hour, day or week (Monday) `t` is in, local time.
fn period_start(t: DateTime<Local>, rotate: Rotation) -> DateTime<Local> {
    if rotate == Rotation::Hourly {
        // By arithmetic, not by naming a local time: in the hour the clocks
        // go back, "01:00" names two moments.
        let into =
            Days::seconds(i64::from(t.minute() * 60 + t.second())) + Days::nanoseconds(i64::from(t.nanosecond()));
        return t - into;
    }
    let day = t.date_naive();
    let date = match rotate {
        Rotation::Weekly => day - Days::days(i64::from(t.weekday().num_days_from_monday())),
        _ => day,
    };
    let hour = if rotate == Rotation::Hourly { t.hour() } else { 0 };
    local_at(date, hour).unwrap_or(t)
}

/// The next boundary after `t`.
fn next_boundary(t: DateTime<Local>, rotate: Rotation) -> SystemTime {
    let start = period_start(t, rotate);
    let next = match rotate {
        Rotation::Size => return SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(u64::MAX / 4),
        // An hour is an hour, whatever the clock on the wall says.
        Rotation::Hourly => start + Days::hours(1),
        Rotation::Daily => local_at(start.date_naive() + Days::days(1), 0).unwrap_or(start + Days::days(1)),
        Rotation::Weekly => local_at(start.date_naive() + Days::days(7), 0).unwrap_or(start + Days::days(7)),
    };
    // Never a boundary already past: that would rotate at every write.
    let next = if next <= t { t + Days::hours(1) } else { next };
    SystemTime::from(next)
}

/// `date` at `hour`:00 local time; across a DST gap, the first moment that exists.
fn local_at(date: NaiveDate, hour: u32) -> Option<DateTime<Local>> {
    let naive = date.and_hms_opt(hour, 0, 0)?;
    Local
        .from_local_datetime(&naive)
        .earliest()
        .or_else(|| Local.from_local_datetime(&(naive + Days::hours(1))).earliest())
}

/// Replaces `to` with `from`; a source or target already gone is fine, as in
/// 4.3.0 (a cleanup script may have removed it).
fn remove_and_rename(from: &Path, to: &Path) -> io::Result<()> {
    match std::fs::remove_file(to) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    match std::fs::rename(from, to) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sizes(dir: &Path, backups: u32) -> Vec<u64> {
        let base = dir.join("x.log");
        let mut out = vec![std::fs::metadata(&base).map_or(0, |m| m.len())];
        for i in 1..=backups {
            out.push(std::fs::metadata(dir.join(format!("x.log.{i}"))).map_or(0, |m| m.len()));
        }
        out
    }

    /// The chunks and on-disk sizes 4.3.0's handler gives (crates.md, rotation).
    #[test]
    fn rotates_after_the_write_that_reaches_maxbytes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut f = RotatingFile::open(dir.path().join("x.log"), 100, 3).expect("open");
        let mut seen = Vec::new();
        for n in [60, 30, 10, 5, 120, 1, 99, 50, 50, 50, 50, 50] {
            f.write(&vec![b'a'; n]).expect("write");
            seen.push(sizes(dir.path(), 3));
        }
        assert_eq!(seen[0], [60, 0, 0, 0]);
        assert_eq!(seen[1], [90, 0, 0, 0]);
        assert_eq!(seen[2], [0, 100, 0, 0], "exactly maxbytes rotates");
        assert_eq!(seen[3], [5, 100, 0, 0]);
        assert_eq!(seen[4], [0, 125, 100, 0], "one write may overshoot");
        assert_eq!(seen[6], [0, 100, 125, 100]);
        assert_eq!(seen[11], [50, 100, 100, 100], "only `backups` files are kept");
    }

    #[test]
    fn no_backups_truncates_and_zero_maxbytes_never_rotates() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut f = RotatingFile::open(dir.path().join("x.log"), 10, 0).expect("open");
        f.write(b"0123456789").expect("write");
        f.write(b"ab").expect("write");
        assert_eq!(sizes(dir.path(), 1), [2, 0]);

        let mut g = RotatingFile::open(dir.path().join("y.log"), 0, 3).expect("open");
        for _ in 0..100 {
            g.write(b"0123456789").expect("write");
        }
        assert_eq!(std::fs::metadata(dir.path().join("y.log")).expect("meta").len(), 1000);
    }

    #[test]
    fn clear_and_reopen() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("x.log");
        let mut f = RotatingFile::open(&path, 0, 0).expect("open");
        f.write(b"hello").expect("write");
        std::fs::rename(&path, dir.path().join("moved.log")).expect("rename");
        f.reopen().expect("reopen");
        f.write(b"new").expect("write");
        assert_eq!(std::fs::read(&path).expect("read"), b"new");
        f.clear().expect("clear");
        f.write(b"z").expect("write");
        assert_eq!(std::fs::read(&path).expect("read"), b"z");
    }

    #[test]
    fn compressed_rotation_keeps_backups_gzipped() {
        use std::io::Read;
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("x.log");
        let keep = Retention::default().gzip();
        let mut f = RotatingFile::open(&path, 10, 2).expect("open").with_retention(keep);
        for chunk in [b"aaaaaaaaaa", b"bbbbbbbbbb", b"cccccccccc"] {
            f.write(chunk).expect("write");
        }
        f.write(b"d").expect("write");
        assert!(retention::wait_idle(std::time::Duration::from_secs(30)));
        let gunzip = |i: u32| {
            let mut out = Vec::new();
            let gz = File::open(dir.path().join(format!("x.log.{i}.gz"))).expect("open gz");
            flate2::read::GzDecoder::new(gz).read_to_end(&mut out).expect("gunzip");
            out
        };
        assert_eq!(gunzip(1), b"cccccccccc");
        assert_eq!(gunzip(2), b"bbbbbbbbbb");
        assert!(!dir.path().join("x.log.3.gz").exists());
        assert!(!dir.path().join("x.log.1").exists());
        assert_eq!(std::fs::read(&path).expect("read"), b"d");
    }

    #[test]
    fn a_file_from_an_earlier_day_rotates_at_the_first_write() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("x.log");
        std::fs::write(&path, "yesterday\n").expect("write");
        let old = SystemTime::now() - std::time::Duration::from_secs(2 * 86_400);
        File::options().write(true).open(&path).expect("open").set_modified(old).expect("mtime");
        let mut f =
            RotatingFile::open(&path, 0, 3).expect("open").with_retention(Retention::default().every(Rotation::Daily));
        f.write(b"today\n").expect("write");
        f.write(b"again\n").expect("write");
        assert_eq!(std::fs::read(dir.path().join("x.log.1")).expect("read"), b"yesterday\n");
        assert_eq!(std::fs::read(&path).expect("read"), b"today\nagain\n");
    }

    #[test]
    fn boundaries_fall_on_local_hours_days_and_mondays() {
        // 2026-12-02 is a Wednesday.
        let t = Local.with_ymd_and_hms(2026, 12, 2, 15, 42, 7).single().expect("time");
        let at = |r| DateTime::<Local>::from(next_boundary(t, r));
        assert_eq!(at(Rotation::Hourly), Local.with_ymd_and_hms(2026, 12, 2, 16, 0, 0).single().expect("t"));
        assert_eq!(at(Rotation::Daily), Local.with_ymd_and_hms(2026, 12, 3, 0, 0, 0).single().expect("t"));
        assert_eq!(at(Rotation::Weekly), Local.with_ymd_and_hms(2026, 12, 7, 0, 0, 0).single().expect("t"));
        assert_eq!(
            period_start(t, Rotation::Weekly),
            Local.with_ymd_and_hms(2026, 11, 30, 0, 0, 0).single().expect("t")
        );
    }

    #[test]
    fn hourly_boundaries_are_an_hour_apart_in_any_zone() {
        let t = Local::now();
        let next = DateTime::<Local>::from(next_boundary(t, Rotation::Hourly));
        assert!(next > t && next - t <= Days::hours(1), "{t} -> {next}");
        assert_eq!((next.minute(), next.second()), (0, 0));
    }

    #[test]
    fn a_compressed_log_removed_from_outside_starts_anew() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("x.log");
        let mut f = RotatingFile::open(&path, 10, 2).expect("open").with_retention(Retention::default().gzip());
        f.write(b"12345").expect("write");
        std::fs::remove_file(&path).expect("rm");
        f.write(b"678901").expect("write past maxbytes");
        f.write(b"new").expect("write");
        assert_eq!(std::fs::read(&path).expect("read"), b"new");
    }

    #[test]
    fn character_devices_do_not_rotate() {
        let mut f = RotatingFile::open("/dev/null", 1, 3).expect("open");
        f.write(b"more than one byte").expect("write");
        f.write(b"again").expect("write");
    }
}
