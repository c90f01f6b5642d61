//! Reading and tailing log files by byte offset: what `read_log` and
//! `tail_log` return (4.3.0's `readFile` and `tailFile`, typed; the
//! Python offset rules of the XML-RPC methods are supervisor-rpc's).

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

/// Which bytes of a log to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum LogRange {
    /// From `offset` to the end.
    From(u64),
    /// `length` bytes from `offset`.
    Span {
        /// Where to begin.
        offset: u64,
        /// How many bytes, at most.
        length: u64,
    },
    /// The last `n` bytes.
    Last(u64),
}

/// The newest bytes of a log.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LogTail {
    /// The bytes.
    pub data: Vec<u8>,
    /// Where the next tail should begin (the log's size now).
    pub next_offset: u64,
    /// Whether bytes between the asked offset and these were skipped.
    pub overflow: bool,
}

/// The bytes of `path` that `range` names (fewer at the end of the file).
pub fn read_range(path: &Path, range: LogRange) -> std::io::Result<Vec<u8>> {
    let mut f = File::open(path)?;
    let mut data = Vec::new();
    match range {
        LogRange::From(offset) => {
            f.seek(SeekFrom::Start(offset))?;
            f.read_to_end(&mut data)?;
        }
        LogRange::Span { offset, length } => {
            f.seek(SeekFrom::Start(offset))?;
            f.take(length).read_to_end(&mut data)?;
        }
        LogRange::Last(n) => {
            let size = f.seek(SeekFrom::End(0))?;
            f.seek(SeekFrom::Start(size.saturating_sub(n)))?;
            f.take(n).read_to_end(&mut data)?;
        }
    }
    Ok(data)
}

/// Up to `max` bytes from `offset`; when the file has grown past
/// `offset + max`, its last `max` bytes with `overflow` set (4.3.0's
/// `tailFile`). `next_offset` is the file's size.
pub fn tail(path: &Path, offset: u64, max: u64) -> std::io::Result<LogTail> {
    let mut f = File::open(path)?;
    let size = f.seek(SeekFrom::End(0))?;
    // 4.3.0's arithmetic, step by step (wide, so nothing overflows).
    let (sz, mut offset, mut length) = (i128::from(size), i128::from(offset), i128::from(max));
    let mut overflow = false;
    if sz > offset + length {
        overflow = true;
        offset = sz - 1;
    }
    if offset + length > sz {
        if offset > sz - 1 {
            length = 0;
        }
        offset = sz - length;
    }
    let (start, length) = (u64::try_from(offset.max(0)).unwrap_or(0), u64::try_from(length.max(0)).unwrap_or(0));
    let mut data = Vec::new();
    if length > 0 {
        f.seek(SeekFrom::Start(start))?;
        f.take(length).read_to_end(&mut data)?;
    }
    Ok(LogTail { data, next_offset: size, overflow })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(content: &[u8]) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("x.log");
        std::fs::write(&path, content).expect("write");
        (dir, path)
    }

    #[test]
    fn ranges_read_what_they_name() {
        let (_d, p) = file(b"0123456789");
        let read = |r| read_range(&p, r).expect("read");
        assert_eq!(read(LogRange::From(0)), b"0123456789");
        assert_eq!(read(LogRange::From(7)), b"789");
        assert_eq!(read(LogRange::Span { offset: 2, length: 3 }), b"234");
        assert_eq!(read(LogRange::Span { offset: 20, length: 5 }), b"");
        assert_eq!(read(LogRange::Last(4)), b"6789");
        assert_eq!(read(LogRange::Last(40)), b"0123456789");
        assert!(read_range(Path::new("/no/such"), LogRange::From(0)).is_err());
    }

    #[test]
    fn tails_like_tail_file() {
        let (_d, p) = file(b"0123456789");
        let t = |offset, max| {
            let tail = tail(&p, offset, max).expect("tail");
            (tail.data, tail.next_offset, tail.overflow)
        };
        // Each expectation is what 4.3.0's tailFile returns for the same file.
        assert_eq!(t(0, 10), (b"0123456789".to_vec(), 10, false));
        assert_eq!(t(0, 5), (b"56789".to_vec(), 10, true));
        assert_eq!(t(10, 5), (b"".to_vec(), 10, false));
        assert_eq!(t(8, 5), (b"56789".to_vec(), 10, false));
        assert_eq!(t(0, 20), (b"0123456789".to_vec(), 10, false));
        assert_eq!(t(0, 0), (b"".to_vec(), 10, true));
        assert_eq!(t(12, 5), (b"".to_vec(), 10, false));
    }
}
