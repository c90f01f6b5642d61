//! The engine's hot paths without processes: the state machine through a
//! crash-and-restart cycle, and the log write path (64 KiB pipe reads
//! appended to a rotating log).
//!
//! `cargo bench -p supervisor-benches --bench engine`

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use supervisor_core::config::{Config, LogLevel, ProcessConfig};
use supervisor_core::logging::RotatingFile;
use supervisor_core::process::{ExitStatus, Host, Now, Process, SpawnError, Transition};
use supervisor_core::signals::Signal;

/// A host that spawns nothing and keeps nothing.
struct Null(u32);

impl Host for Null {
    fn spawn(&mut self, _: &std::sync::Arc<ProcessConfig>) -> Result<u32, SpawnError> {
        self.0 += 1;
        Ok(self.0)
    }
    fn kill(&mut self, _: u32, _: bool, _: Signal) -> Result<(), nix::errno::Errno> {
        Ok(())
    }
    fn log(&mut self, _: LogLevel, message: String) {
        divan::black_box(message);
    }
    fn transition(&mut self, _: &ProcessConfig, change: Transition) {
        divan::black_box(change);
    }
}

fn at(ms: u64) -> Now {
    let d = Duration::from_millis(ms);
    Now { mono: d, wall: SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000) + d }
}

fn main() {
    divan::main();
}

/// STARTING -> RUNNING -> EXITED -> STARTING again: what one crash of an
/// autorestarting program costs the engine.
#[divan::bench]
fn crash_and_restart_cycle(bencher: divan::Bencher) {
    let text = "[supervisord]\n[program:p]\ncommand=/bin/true\nstartsecs=0\nautorestart=true\n";
    let config = Config::from_str(text, "/tmp/bench.conf").expect("config");
    let mut p = Process::new(Arc::clone(&config.groups[0].processes[0]));
    let mut host = Null(100);
    let mut ms = 0;
    p.start(&mut host, at(ms)).expect("start");
    bencher.bench_local(|| {
        ms += 1;
        p.tick(&mut host, at(ms), true);
        p.exited(&mut host, ExitStatus::Exited(1), at(ms));
        p.tick(&mut host, at(ms), true);
    });
}

/// One 64 KiB read from a child's pipe appended to its log, rotating at
/// 50 MB as the default `stdout_logfile_maxbytes` does.
#[divan::bench(bytes_count = 65536u64)]
fn log_write_64k(bencher: divan::Bencher) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut log = RotatingFile::open(dir.path().join("p.log"), 50 << 20, 2).expect("open");
    let chunk = vec![b'x'; 65536];
    bencher.bench_local(|| log.write(&chunk).expect("write"));
}

/// One 64 KiB read of ~100-byte lines turned into formatted log lines
/// (`childlog_format`), without the file write: what a format costs per read.
#[divan::bench(args = ["%(asctime)s %(program)s %(message)s", "json"], bytes_count = 65536u64)]
fn format_lines_64k(bencher: divan::Bencher, format: &str) {
    use supervisor_core::config::{LineFormat, LogFields};
    use supervisor_core::logging::{LineWriter, Origin};
    let format = LineFormat::parse(format, LogFields::Child).expect("format");
    let origin = Origin { program: "web", process_name: "web", group: "web", channel: "stdout", pid: 4242 };
    let mut lines = LineWriter::new(Some(&format), origin);
    let line = b"the quick brown fox jumps over the lazy dog, 0123456789 ABCDEFGHIJKLMNOPQRSTUVWXYZ stdout flood\n";
    let chunk: Vec<u8> = line.iter().copied().cycle().take(65536 / line.len() * line.len()).collect();
    let mut out = Vec::with_capacity(256 * 1024);
    bencher.bench_local(|| {
        out.clear();
        lines.feed(&chunk, chrono::Local::now(), &mut out);
        divan::black_box(&out);
    });
}
