//! Reading and tailing log files by byte offset, exactly as 4.3.0's
//! `readFile` and `tailFile` do (`readProcessStdoutLog`,
//! `tailProcessStdoutLog`, `readLog`).

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

/// Why a read was refused; each is a 4.3.0 fault name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    /// A negative offset with a length, or a negative length (BAD_ARGUMENTS).
    #[error("BAD_ARGUMENTS")]
    BadArguments,
    /// The file could not be read (FAILED).
    #[error("FAILED")]
    Failed,
}

/// `length` bytes from `offset`; a negative `offset` means that many bytes
/// from the end (then `length` must be 0); `length` 0 means to the end.
pub fn read_file(path: &Path, offset: i64, length: i64) -> Result<Vec<u8>, ReadError> {
    let mut f = File::open(path).map_err(|_| ReadError::Failed)?;
    let mut data = Vec::new();
    if offset < 0 {
        if length != 0 {
            return Err(ReadError::BadArguments);
        }
        let size = f.seek(SeekFrom::End(0)).map_err(|_| ReadError::Failed)?;
        let pos = size.saturating_sub(offset.unsigned_abs());
        f.seek(SeekFrom::Start(pos)).map_err(|_| ReadError::Failed)?;
        f.take(offset.unsigned_abs()).read_to_end(&mut data).map_err(|_| ReadError::Failed)?;
    } else {
        if length < 0 {
            return Err(ReadError::BadArguments);
        }
        f.seek(SeekFrom::Start(offset as u64)).map_err(|_| ReadError::Failed)?;
        if length == 0 {
            f.read_to_end(&mut data).map_err(|_| ReadError::Failed)?;
        } else {
            f.take(length as u64).read_to_end(&mut data).map_err(|_| ReadError::Failed)?;
        }
    }
    Ok(data)
}

/// Up to `length` bytes starting at `offset`; when the file has grown past
/// `offset + length`, the last `length` bytes and `overflow` set. Returns
/// the data, the file size (the next offset) and the overflow flag. An
/// unreadable file gives `("", offset, false)`, as in 4.3.0.
pub fn tail_file(path: &Path, offset: i64, length: i64) -> (Vec<u8>, i64, bool) {
    let Ok(mut f) = File::open(path) else {
        return (Vec::new(), offset, false);
    };
    let Ok(size) = f.seek(SeekFrom::End(0)) else {
        return (Vec::new(), offset, false);
    };
    let sz = size as i64;
    let (mut offset, mut length) = (offset, length);
    let mut overflow = false;
    if sz > offset.saturating_add(length) {
        overflow = true;
        offset = sz - 1;
    }
    if offset.saturating_add(length) > sz {
        if offset > sz - 1 {
            length = 0;
        }
        offset = sz - length;
    }
    let offset = offset.max(0);
    let length = length.max(0);
    let mut data = Vec::new();
    if length > 0 && f.seek(SeekFrom::Start(offset as u64)).is_ok() {
        let _ = f.take(length as u64).read_to_end(&mut data);
    }
    (data, sz, overflow)
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
    fn reads_like_read_file() {
        let (_d, p) = file(b"0123456789");
        assert_eq!(read_file(&p, 0, 0).expect("read"), b"0123456789");
        assert_eq!(read_file(&p, 2, 3).expect("read"), b"234");
        assert_eq!(read_file(&p, -4, 0).expect("read"), b"6789");
        assert_eq!(read_file(&p, -40, 0).expect("read"), b"0123456789");
        assert_eq!(read_file(&p, 20, 5).expect("read"), b"");
        assert_eq!(read_file(&p, -4, 2), Err(ReadError::BadArguments));
        assert_eq!(read_file(&p, 0, -2), Err(ReadError::BadArguments));
        assert_eq!(read_file(Path::new("/no/such"), 0, 0), Err(ReadError::Failed));
    }

    #[test]
    fn tails_like_tail_file() {
        let (_d, p) = file(b"0123456789");
        // Each expectation is what 4.3.0's tailFile returns for the same file.
        assert_eq!(tail_file(&p, 0, 10), (b"0123456789".to_vec(), 10, false));
        assert_eq!(tail_file(&p, 0, 5), (b"56789".to_vec(), 10, true));
        assert_eq!(tail_file(&p, 10, 5), (b"".to_vec(), 10, false));
        assert_eq!(tail_file(&p, 8, 5), (b"56789".to_vec(), 10, false));
        assert_eq!(tail_file(&p, 0, 20), (b"0123456789".to_vec(), 10, false));
        assert_eq!(tail_file(Path::new("/no/such"), 3, 5), (Vec::new(), 3, false));
    }
}
