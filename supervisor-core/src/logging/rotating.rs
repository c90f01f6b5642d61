//! A log file that rotates exactly as 4.3.0's `RotatingFileHandler` does:
//! right after the write that brings it to `maxbytes`, shifting `.1` …
//! `.N`. Only regular files rotate, so `/dev/stdout` and pipes work with any
//! `maxbytes` (4.3.0 fails on them with "Illegal seek").

use std::fs::{File, OpenOptions};
use std::io::{self, Seek, Write};
use std::path::{Path, PathBuf};

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
        let file = open_append(&path)?;
        let regular = file.metadata()?.is_file();
        // Special files (a tty, /dev/stdout) stay open: they cannot be
        // told apart from a rotated-away file on reopening.
        let file = (!regular).then_some(file);
        Ok(RotatingFile { path, file, maxbytes, backups, regular })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes `data`, then rotates if the file reached `maxbytes`.
    pub fn write(&mut self, data: &[u8]) -> io::Result<()> {
        let file = match &mut self.file {
            Some(f) => f,
            None => self.file.insert(open_append(&self.path)?),
        };
        file.write_all(data)?;
        if self.maxbytes > 0 && self.regular && file.stream_position()? >= self.maxbytes {
            self.rotate()?;
        }
        Ok(())
    }

    fn rotate(&mut self) -> io::Result<()> {
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
        Ok(())
    }

    fn numbered(&self, i: u32) -> PathBuf {
        let mut s = self.path.clone().into_os_string();
        s.push(format!(".{i}"));
        PathBuf::from(s)
    }

    /// Closes and opens the file again (SIGUSR2, after an outside rotation).
    pub fn reopen(&mut self) -> io::Result<()> {
        let file = open_append(&self.path)?;
        self.regular = file.metadata()?.is_file();
        self.file = (!self.regular).then_some(file);
        Ok(())
    }

    /// Removes the file and starts a new, empty one (`clearProcessLogs`).
    pub fn clear(&mut self) -> io::Result<()> {
        match std::fs::remove_file(&self.path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
        self.reopen()
    }
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
    fn character_devices_do_not_rotate() {
        let mut f = RotatingFile::open("/dev/null", 1, 3).expect("open");
        f.write(b"more than one byte").expect("write");
        f.write(b"again").expect("write");
    }
}
