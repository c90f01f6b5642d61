//! What the bench binary does when a supervisord runs it as a program
//! (`system-bench child ROLE ...`), and the byte pattern the flood writes.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::fd::AsFd;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::BenchError;

/// The flood is written in blocks of this size.
pub const BLOCK: usize = 64 * 1024;

/// Wall-clock nanoseconds: the one clock the bench and its children share.
pub fn now_ns() -> u128 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0)
}

/// Block `index` of the flood: a 16-byte counter line, then fixed text
/// lines. A lost, repeated or reordered byte shifts or changes a counter.
pub fn fill_block(buf: &mut [u8; BLOCK], index: u64) {
    const LINE: &[u8] =
        b"the quick brown fox jumps over the lazy dog, 0123456789 ABCDEFGHIJKLMNOPQRSTUVWXYZ stdout flood\n";
    if buf[BLOCK - 1] != b'\n' {
        for (i, b) in buf.iter_mut().enumerate() {
            *b = LINE[i % LINE.len()];
        }
        buf[BLOCK - 1] = b'\n';
    }
    buf[..16].copy_from_slice(format!("{index:015}\n").as_bytes());
}

/// Checks that `path` holds exactly `blocks` flood blocks.
pub fn verify_flood(path: &Path, blocks: u64) -> Result<(), BenchError> {
    let mut file = File::open(path)?;
    let mut want = [0u8; BLOCK];
    let mut got = vec![0u8; BLOCK];
    for i in 0..blocks {
        fill_block(&mut want, i);
        file.read_exact(&mut got)
            .map_err(|e| BenchError::Check(format!("{}: block {i} of {blocks}: {e}", path.display())))?;
        if got[..] != want[..] {
            return Err(BenchError::Check(format!("{}: block {i} differs from what was written", path.display())));
        }
    }
    if file.read(&mut got)? != 0 {
        return Err(BenchError::Check(format!("{}: more bytes than were written", path.display())));
    }
    Ok(())
}

/// Runs a role; `args` follow `child`.
pub fn run(args: &[String]) -> Result<(), BenchError> {
    match args {
        [role, file] if role == "crash" => crash(Path::new(file), Duration::ZERO),
        [role, file] if role == "crash-timed" => crash(Path::new(file), Duration::from_millis(50)),
        [role, blocks, file] if role == "flood" => {
            let blocks = blocks.parse().map_err(|_| BenchError::Check(format!("bad block count {blocks}")))?;
            flood(blocks, Path::new(file))
        }
        [role, port] if role == "listen" => {
            let port = port.parse().map_err(|_| BenchError::Check(format!("bad port {port}")))?;
            listen(port)
        }
        _ => Err(BenchError::Check(format!("unknown child role {args:?}"))),
    }
}

/// Accepts (and closes) connections on 127.0.0.1:`port` until killed: a
/// server for `ready_check = tcp://...`.
fn listen(port: u16) -> Result<(), BenchError> {
    let listener = std::net::TcpListener::bind(("127.0.0.1", port))?;
    for connection in listener.incoming() {
        drop(connection);
    }
    Ok(())
}

fn append(path: &Path, line: &str) -> io::Result<()> {
    // One write on an O_APPEND file: lines from many children never interleave.
    OpenOptions::new().create(true).append(true).open(path)?.write_all(line.as_bytes())
}

/// Notes its start and end, runs `hold`, and exits 1.
fn crash(file: &Path, hold: Duration) -> Result<(), BenchError> {
    append(file, &format!("S {}\n", now_ns()))?;
    std::thread::sleep(hold);
    append(file, &format!("E {}\n", now_ns()))?;
    std::process::exit(1);
}

/// Notes its start, writes `blocks` blocks to stdout as fast as the pipe
/// takes them, notes the end, and exits 0.
fn flood(blocks: u64, file: &Path) -> Result<(), BenchError> {
    append(file, &format!("S {}\n", now_ns()))?;
    // Straight to the pipe: std's stdout would add a line buffer.
    let mut out = File::from(io::stdout().as_fd().try_clone_to_owned()?);
    let mut buf = [0u8; BLOCK];
    for i in 0..blocks {
        fill_block(&mut buf, i);
        out.write_all(&buf)?;
    }
    append(file, &format!("E {}\n", now_ns()))?;
    Ok(())
}

/// The `S`/`E` timestamps a role wrote, in order.
pub fn marks(file: &Path) -> Result<Vec<(char, u128)>, BenchError> {
    let text = std::fs::read_to_string(file)?;
    Ok(text
        .lines()
        .filter_map(|l| {
            let (k, v) = l.split_once(' ')?;
            Some((k.chars().next()?, v.parse().ok()?))
        })
        .collect())
}
