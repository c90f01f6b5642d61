//! supervisord's own log: `2026-11-21 10:42:24,042 INFO message` lines,
//! filtered by `loglevel`, rotated, optionally echoed to stdout.

use std::io::{self, Write};
use std::path::PathBuf;

use super::rotating::RotatingFile;
use crate::config::LogLevel;

/// The main log.
#[derive(Debug)]
pub struct MainLog {
    file: Option<RotatingFile>,
    /// `logfile=syslog`: lines go to syslog instead of a file.
    syslog: bool,
    level: LogLevel,
    echo: bool,
}

/// One line in 4.3.0's format, local time with milliseconds.
pub fn format_line(now: chrono::DateTime<chrono::Local>, level: LogLevel, message: &str) -> String {
    format!("{} {} {message}\n", now.format("%Y-%m-%d %H:%M:%S,%3f"), level.tag())
}

impl MainLog {
    /// A log to `path` (rotating at `maxbytes`, keeping `backups`), echoed
    /// to stdout when `echo`.
    pub fn open(
        path: Option<PathBuf>,
        maxbytes: u64,
        backups: u32,
        level: LogLevel,
        echo: bool,
    ) -> io::Result<MainLog> {
        let file = path.map(|p| RotatingFile::open(p, maxbytes, backups)).transpose()?;
        Ok(MainLog { file, syslog: false, level, echo })
    }

    /// A log that only echoes to stdout (or discards, without `echo`).
    pub fn stdout_only(level: LogLevel, echo: bool) -> MainLog {
        MainLog { file: None, syslog: false, level, echo }
    }

    /// A log sent to syslog (`logfile=syslog`), echoed to stdout when `echo`.
    pub fn to_syslog(level: LogLevel, echo: bool) -> MainLog {
        MainLog { file: None, syslog: true, level, echo }
    }

    /// The log file's path, if it writes to one.
    pub fn path(&self) -> Option<&std::path::Path> {
        self.file.as_ref().map(RotatingFile::path)
    }

    /// Whether a line at `level` would be written.
    pub fn enabled(&self, level: LogLevel) -> bool {
        level >= self.level
    }

    /// Writes one line if its level passes. A failing log write must not
    /// take the daemon down, so errors are dropped here.
    pub fn log(&mut self, level: LogLevel, message: &str) {
        if !self.enabled(level) {
            return;
        }
        let line = format_line(chrono::Local::now(), level, message);
        if let Some(f) = &mut self.file {
            let _ = f.write(line.as_bytes());
        }
        if self.syslog {
            super::syslog::send_lines(None, line.as_bytes());
        }
        if self.echo {
            let mut out = io::stdout().lock();
            let _ = out.write_all(line.as_bytes()).and_then(|()| out.flush());
        }
    }

    /// Reopens the file (SIGUSR2).
    pub fn reopen(&mut self) -> io::Result<()> {
        match &mut self.file {
            Some(f) => f.reopen(),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn lines_look_like_4_3_0() {
        let t = chrono::Local.with_ymd_and_hms(2026, 11, 21, 10, 42, 24).single().expect("time")
            + chrono::Duration::milliseconds(42);
        assert_eq!(
            format_line(t, LogLevel::Info, "spawned: 'x' with pid 7"),
            "2026-11-21 10:42:24,042 INFO spawned: 'x' with pid 7\n"
        );
        assert_eq!(format_line(t, LogLevel::Debug, "m"), "2026-11-21 10:42:24,042 DEBG m\n");
    }

    #[test]
    fn level_filters() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("s.log");
        let mut log = MainLog::open(Some(path.clone()), 0, 0, LogLevel::Warn, false).expect("open");
        log.log(LogLevel::Info, "hidden");
        log.log(LogLevel::Critical, "shown");
        let text = std::fs::read_to_string(path).expect("read");
        assert!(!text.contains("hidden") && text.ends_with(" CRIT shown\n"), "{text}");
    }
}
