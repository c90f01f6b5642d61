//! supervisord's own log: `2026-11-21 10:42:24,042 INFO message` lines,
//! filtered by `loglevel`, rotated, optionally echoed to stdout. With
//! `logfile_format`, lines follow a pattern or are JSON objects.

use std::io;
use std::path::PathBuf;

use chrono::{DateTime, Local};

use super::render::{self, Value};
use super::rotating::RotatingFile;
use crate::config::{Field, LineFormat, LogLevel, Part, Retention};

/// The main log.
#[derive(Debug)]
pub struct MainLog {
    file: Option<RotatingFile>,
    /// `logfile=syslog`: lines go to syslog instead of a file.
    syslog: bool,
    level: LogLevel,
    echo: bool,
    /// `logfile_format`; none is 4.3.0's.
    format: Option<LineFormat>,
}

/// The value of a structured field of a main log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FieldValue<'a> {
    /// Text.
    Text(&'a str),
    /// A whole number.
    Int(i64),
    /// Yes or no.
    Bool(bool),
}

/// Python logging's level numbers, as 4.3.0's `loggers.LevelsByName` has them.
fn level_number(level: LogLevel) -> i64 {
    match level {
        LogLevel::Critical => 50,
        LogLevel::Error => 40,
        LogLevel::Warn => 30,
        LogLevel::Info => 20,
        LogLevel::Debug => 10,
        LogLevel::Trace => 5,
        LogLevel::Blather => 3,
    }
}

/// One line as `format` asks, ending in a newline.
fn render_line(
    format: &LineFormat,
    now: DateTime<Local>,
    level: LogLevel,
    message: &str,
    fields: &[(&str, FieldValue<'_>)],
) -> Vec<u8> {
    let mut out = Vec::with_capacity(message.len() + 64);
    match format {
        LineFormat::Json => {
            out.extend_from_slice(b"{\"time\":");
            render::json_string(&mut out, &render::rfc3339(now));
            out.extend_from_slice(b",\"level\":");
            render::json_string(&mut out, level.tag());
            out.extend_from_slice(b",\"message\":");
            render::json_string(&mut out, message);
            for (name, value) in fields {
                out.push(b',');
                render::json_string(&mut out, name);
                out.push(b':');
                match value {
                    FieldValue::Text(t) => render::json_string(&mut out, t),
                    FieldValue::Int(n) => out.extend_from_slice(n.to_string().as_bytes()),
                    FieldValue::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
                }
            }
            out.push(b'}');
        }
        LineFormat::Pattern(p) => {
            for part in p.parts() {
                match part {
                    Part::Literal(text) => out.extend_from_slice(text.as_bytes()),
                    Part::Field(field, spec) => {
                        let asctime;
                        let value = match field {
                            Field::Asctime => {
                                asctime = render::asctime(now);
                                Value::Text(&asctime)
                            }
                            Field::Created => Value::Float(render::created(now)),
                            Field::Msecs => Value::Int(i64::from(now.timestamp_subsec_millis())),
                            Field::Levelname => Value::Text(level.tag()),
                            Field::Levelno => Value::Int(level_number(level)),
                            Field::Process => Value::Int(i64::from(std::process::id())),
                            Field::Name => Value::Text("supervisord"),
                            _ => Value::Text(message),
                        };
                        render::field(&mut out, value, spec);
                    }
                }
            }
        }
    }
    out.push(b'\n');
    out
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
        Ok(MainLog { file, syslog: false, level, echo, format: None })
    }

    /// A log that only echoes to stdout (or discards, without `echo`).
    pub fn stdout_only(level: LogLevel, echo: bool) -> MainLog {
        MainLog { file: None, syslog: false, level, echo, format: None }
    }

    /// A log sent to syslog (`logfile=syslog`), echoed to stdout when `echo`.
    pub fn to_syslog(level: LogLevel, echo: bool) -> MainLog {
        MainLog { file: None, syslog: true, level, echo, format: None }
    }

    /// Writes lines in `format` (`logfile_format`; none: 4.3.0's).
    pub fn with_format(self, format: Option<LineFormat>) -> MainLog {
        MainLog { format, ..self }
    }

    /// Rotates by time too, compresses or ages out rotated copies.
    pub fn with_retention(self, retention: Retention) -> MainLog {
        MainLog { file: self.file.map(|f| f.with_retention(retention)), ..self }
    }

    /// The log file's path, if it writes to one.
    pub fn path(&self) -> Option<&std::path::Path> {
        self.file.as_ref().map(RotatingFile::path)
    }

    /// Whether lines carry structured fields (`logfile_format = json`).
    pub fn structured(&self) -> bool {
        self.format == Some(LineFormat::Json)
    }

    /// Whether a line at `level` would be written.
    pub fn enabled(&self, level: LogLevel) -> bool {
        level >= self.level
    }

    /// Writes one line if its level passes. A failing log write must not
    /// take the daemon down, so errors are dropped here.
    pub fn log(&mut self, level: LogLevel, message: &str) {
        self.log_with(level, message, &[]);
    }

    /// Writes one line with structured fields, which a JSON format shows
    /// (`program`, `pid` ...) and other formats leave out.
    pub fn log_with(&mut self, level: LogLevel, message: &str, fields: &[(&str, FieldValue<'_>)]) {
        if !self.enabled(level) {
            return;
        }
        let now = chrono::Local::now();
        let line = match &self.format {
            None => format_line(now, level, message).into_bytes(),
            Some(format) => render_line(format, now, level, message, fields),
        };
        if let Some(f) = &mut self.file {
            let _ = f.write(&line);
        }
        if self.syslog {
            super::syslog::send_lines(None, &line);
        }
        if self.echo {
            super::console::echo(&line);
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
    fn patterns_and_json() {
        let t = chrono::Local.with_ymd_and_hms(2026, 11, 21, 10, 42, 24).single().expect("time")
            + chrono::Duration::milliseconds(42);
        let f = |s| LineFormat::parse(s, crate::config::LogFields::Main).expect("format");
        let line = render_line(&f("%(levelname)-5s|%(levelno)d|%(name)s|%(message)s"), t, LogLevel::Warn, "m", &[]);
        assert_eq!(line, b"WARN |30|supervisord|m\n");
        let fields =
            [("program", FieldValue::Text("web")), ("pid", FieldValue::Int(7)), ("expected", FieldValue::Bool(false))];
        let line =
            render_line(&LineFormat::Json, t, LogLevel::Info, "exited: web (exit status 1; not expected)", &fields);
        let v: serde_json::Value = serde_json::from_slice(&line).expect("json");
        assert_eq!(v["level"], "INFO");
        assert_eq!(v["message"], "exited: web (exit status 1; not expected)");
        assert_eq!(v["program"], "web");
        assert_eq!(v["pid"], 7);
        assert_eq!(v["expected"], false);
        assert!(v["time"].as_str().expect("time").starts_with("2026-11-21T10:42:24.042"));
        assert!(line.ends_with(b"}\n"));
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
