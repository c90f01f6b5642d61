//! Child output as lines (`childlog_format`, and whole lines for
//! `/dev/stdout`): a pump feeds what it reads, whole lines come out
//! formatted, and the rest of a line waits for its newline — at most
//! [`PARTIAL_WAIT`] and [`PARTIAL_MAX`] bytes, then it is written as a line
//! of its own so output is never lost or held back for long.
//!
//! The time is taken once per read, so every line of one read has the same
//! stamp; the fields that do not change (program, pid ...) are written out
//! once, when the pump starts.

use std::time::{Duration, Instant};

use chrono::{DateTime, Local};

use super::render::{self, Value};
use crate::config::{Field, LineFormat, Part, Spec};

/// The longest a partial line waits for the rest of it.
pub const PARTIAL_WAIT: Duration = Duration::from_millis(100);

/// The most of one line held back; a longer line is cut into lines of this
/// size (as Docker's json-file driver cuts at 16 KiB).
pub const PARTIAL_MAX: usize = 16 * 1024;

/// Who wrote the output, for the fields of its lines.
#[derive(Debug, Clone, Copy)]
pub struct Origin<'a> {
    /// The program (`[program:x]`'s x).
    pub program: &'a str,
    /// The process name.
    pub process_name: &'a str,
    /// The group.
    pub group: &'a str,
    /// `stdout` or `stderr`.
    pub channel: &'a str,
    /// The pid.
    pub pid: u32,
}

/// A pattern with the fields of one process filled in.
#[derive(Debug, Clone)]
enum Piece {
    Bytes(Vec<u8>),
    Time(Field, Spec),
    Message(Spec),
}

#[derive(Debug)]
enum Mode {
    /// No format: lines as they are (for a console).
    Raw,
    Pattern(Vec<Piece>),
    /// JSON: what comes between the time and the message.
    Json(Vec<u8>),
}

/// Splits one channel's output into lines and formats them.
#[derive(Debug)]
pub struct LineWriter {
    mode: Mode,
    partial: Vec<u8>,
    /// When the held partial line was first read.
    since: Option<Instant>,
}

/// What changes with each read: the time, written as the pattern needs it.
struct Stamp {
    pieces: Vec<u8>,
    /// Where each time piece's text is in `pieces`.
    spans: Vec<(usize, usize)>,
}

impl LineWriter {
    /// A writer for `format` (none: lines are written as they are).
    pub fn new(format: Option<&LineFormat>, origin: Origin<'_>) -> LineWriter {
        let mode = match format {
            None => Mode::Raw,
            Some(LineFormat::Json) => {
                let mut prefix = Vec::from(&b"\",\"program\":"[..]);
                render::json_string(&mut prefix, origin.program);
                prefix.extend_from_slice(b",\"process\":");
                render::json_string(&mut prefix, origin.process_name);
                prefix.extend_from_slice(b",\"channel\":");
                render::json_string(&mut prefix, origin.channel);
                prefix.extend_from_slice(format!(",\"pid\":{},\"message\":", origin.pid).as_bytes());
                Mode::Json(prefix)
            }
            Some(LineFormat::Pattern(p)) => Mode::Pattern(bind(p.parts(), origin)),
        };
        LineWriter { mode, partial: Vec::new(), since: None }
    }

    /// When the partial line held now must be written, if one is held.
    pub fn deadline(&self) -> Option<Instant> {
        self.since.map(|s| s + PARTIAL_WAIT)
    }

    /// Appends to `out` every line `data` completes, formatted; keeps the
    /// rest for later.
    pub fn feed(&mut self, data: &[u8], now: DateTime<Local>, out: &mut Vec<u8>) {
        let stamp = self.stamp(now);
        let mut rest = data;
        if !self.partial.is_empty() {
            match memchr::memchr(b'\n', rest) {
                Some(at) => {
                    let mut line = std::mem::take(&mut self.partial);
                    line.extend_from_slice(&rest[..at]);
                    self.line(&line, true, &stamp, out);
                    self.recycle(line);
                    rest = &rest[at + 1..];
                }
                None => {
                    self.partial.extend_from_slice(rest);
                    self.cut_long(&stamp, out);
                    return;
                }
            }
        }
        while let Some(at) = memchr::memchr(b'\n', rest) {
            self.line(&rest[..at], true, &stamp, out);
            rest = &rest[at + 1..];
        }
        if !rest.is_empty() {
            self.partial.extend_from_slice(rest);
            self.since = Some(Instant::now());
            self.cut_long(&stamp, out);
        }
    }

    /// Appends the held partial line to `out` as a line of its own.
    pub fn flush(&mut self, now: DateTime<Local>, out: &mut Vec<u8>) {
        if self.partial.is_empty() {
            return;
        }
        let stamp = self.stamp(now);
        let line = std::mem::take(&mut self.partial);
        self.line(&line, false, &stamp, out);
        self.recycle(line);
    }

    /// A line longer than [`PARTIAL_MAX`] goes out in pieces of that size.
    fn cut_long(&mut self, stamp: &Stamp, out: &mut Vec<u8>) {
        if self.partial.len() < PARTIAL_MAX {
            return;
        }
        let held = std::mem::take(&mut self.partial);
        let mut pieces = held.chunks(PARTIAL_MAX);
        let last = if held.len().is_multiple_of(PARTIAL_MAX) { None } else { pieces.next_back() };
        for piece in pieces {
            self.line(piece, false, stamp, out);
        }
        self.partial = last.map(<[u8]>::to_vec).unwrap_or_default();
        self.since = (!self.partial.is_empty()).then(Instant::now);
    }

    /// Keeps a small buffer for the next partial line; gives a big one back.
    fn recycle(&mut self, mut line: Vec<u8>) {
        self.since = None;
        if line.capacity() <= 4096 {
            line.clear();
            self.partial = line;
        }
    }

    fn stamp(&self, now: DateTime<Local>) -> Stamp {
        let mut stamp = Stamp { pieces: Vec::new(), spans: Vec::new() };
        let put = |stamp: &mut Stamp, write: &dyn Fn(&mut Vec<u8>)| {
            let start = stamp.pieces.len();
            write(&mut stamp.pieces);
            stamp.spans.push((start, stamp.pieces.len()));
        };
        match &self.mode {
            Mode::Raw => {}
            Mode::Json(_) => put(&mut stamp, &|out| out.extend_from_slice(render::rfc3339(now).as_bytes())),
            Mode::Pattern(pieces) => {
                for piece in pieces {
                    if let Piece::Time(field, spec) = piece {
                        put(&mut stamp, &|out| match field {
                            Field::Asctime => render::field(out, Value::Text(&render::asctime(now)), spec),
                            _ => render::field(out, time_value(*field, now), spec),
                        });
                    }
                }
            }
        }
        stamp
    }

    /// Appends one line (`complete`: it ended with a newline).
    fn line(&self, line: &[u8], complete: bool, stamp: &Stamp, out: &mut Vec<u8>) {
        match &self.mode {
            Mode::Raw => {
                out.extend_from_slice(line);
                if complete {
                    out.push(b'\n');
                }
            }
            Mode::Json(prefix) => {
                out.extend_from_slice(b"{\"time\":\"");
                let (a, b) = stamp.spans[0];
                out.extend_from_slice(&stamp.pieces[a..b]);
                out.extend_from_slice(prefix);
                let lossy = match std::str::from_utf8(line) {
                    Ok(text) => {
                        render::json_string(out, text);
                        false
                    }
                    Err(_) => {
                        render::json_string(out, &String::from_utf8_lossy(line));
                        true
                    }
                };
                out.extend_from_slice(if lossy { b",\"lossy\":true}\n" } else { b"}\n" });
            }
            Mode::Pattern(pieces) => {
                let mut times = stamp.spans.iter();
                for piece in pieces {
                    match piece {
                        Piece::Bytes(b) => out.extend_from_slice(b),
                        Piece::Time(..) => {
                            if let Some(&(a, b)) = times.next() {
                                out.extend_from_slice(&stamp.pieces[a..b]);
                            }
                        }
                        Piece::Message(spec) if *spec == Spec::default() => out.extend_from_slice(line),
                        Piece::Message(spec) => {
                            render::field(out, Value::Text(&String::from_utf8_lossy(line)), spec);
                        }
                    }
                }
                out.push(b'\n');
            }
        }
    }
}

/// `created` or `msecs` (asctime is text, written by the caller).
fn time_value(field: Field, now: DateTime<Local>) -> Value<'static> {
    match field {
        Field::Msecs => Value::Int(i64::from(now.timestamp_subsec_millis())),
        _ => Value::Float(render::created(now)),
    }
}

/// Fills in the fields that stay the same for a process; merges literals.
fn bind(parts: &[Part], origin: Origin<'_>) -> Vec<Piece> {
    let mut pieces: Vec<Piece> = Vec::new();
    let push_bytes = |pieces: &mut Vec<Piece>, bytes: &[u8]| match pieces.last_mut() {
        Some(Piece::Bytes(b)) => b.extend_from_slice(bytes),
        _ => pieces.push(Piece::Bytes(bytes.to_vec())),
    };
    for part in parts {
        match part {
            Part::Literal(text) => push_bytes(&mut pieces, text.as_bytes()),
            Part::Field(Field::Message, spec) => pieces.push(Piece::Message(*spec)),
            Part::Field(field @ (Field::Asctime | Field::Created | Field::Msecs), spec) => {
                pieces.push(Piece::Time(*field, *spec));
            }
            Part::Field(field, spec) => {
                let value = match field {
                    Field::Program => Value::Text(origin.program),
                    Field::ProcessName => Value::Text(origin.process_name),
                    Field::Group => Value::Text(origin.group),
                    Field::Channel => Value::Text(origin.channel),
                    Field::Pid => Value::Int(i64::from(origin.pid)),
                    // The main log's fields are refused for child logs.
                    _ => Value::Text(""),
                };
                let mut bytes = Vec::new();
                render::field(&mut bytes, value, spec);
                push_bytes(&mut pieces, &bytes);
            }
        }
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::LogFields;
    use chrono::TimeZone;

    const ORIGIN: Origin<'static> =
        Origin { program: "web", process_name: "web_01", group: "web", channel: "stdout", pid: 42 };

    fn at() -> DateTime<Local> {
        Local.with_ymd_and_hms(2026, 12, 6, 9, 5, 7).single().expect("time") + chrono::Duration::milliseconds(3)
    }

    fn writer(format: &str) -> LineWriter {
        let f = LineFormat::parse(format, LogFields::Child).expect("format");
        LineWriter::new(Some(&f), ORIGIN)
    }

    fn feed(w: &mut LineWriter, data: &[u8]) -> String {
        let mut out = Vec::new();
        w.feed(data, at(), &mut out);
        String::from_utf8(out).expect("utf-8")
    }

    #[test]
    fn patterns_prefix_each_line() {
        let mut w = writer("%(asctime)s %(program)s[%(pid)d] %(channel)s: %(message)s");
        assert_eq!(
            feed(&mut w, b"one\ntwo\nthr"),
            "2026-12-06 09:05:07,003 web[42] stdout: one\n2026-12-06 09:05:07,003 web[42] stdout: two\n"
        );
        assert!(w.deadline().is_some(), "the partial line waits");
        assert_eq!(feed(&mut w, b"ee\n"), "2026-12-06 09:05:07,003 web[42] stdout: three\n");
        assert!(w.deadline().is_none());
        feed(&mut w, b"no newline");
        let mut out = Vec::new();
        w.flush(at(), &mut out);
        assert_eq!(out, b"2026-12-06 09:05:07,003 web[42] stdout: no newline\n");
    }

    #[test]
    fn json_lines_parse_and_mark_lossy_ones() {
        let mut w = writer("json");
        let text = feed(&mut w, b"hello \"you\"\n\xff\xfebad\n");
        let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).expect("json")).collect();
        assert_eq!(lines[0]["message"], "hello \"you\"");
        assert_eq!(lines[0]["program"], "web");
        assert_eq!(lines[0]["process"], "web_01");
        assert_eq!(lines[0]["channel"], "stdout");
        assert_eq!(lines[0]["pid"], 42);
        assert!(lines[0]["time"].as_str().expect("time").starts_with("2026-12-06T09:05:07.003"));
        assert!(lines[0].get("lossy").is_none());
        assert_eq!(lines[1]["message"], "\u{fffd}\u{fffd}bad");
        assert_eq!(lines[1]["lossy"], true);
    }

    #[test]
    fn long_lines_are_cut() {
        let mut w = LineWriter::new(None, ORIGIN);
        let long = vec![b'x'; PARTIAL_MAX * 2 + 10];
        let mut out = Vec::new();
        w.feed(&long, at(), &mut out);
        assert_eq!(out.len(), PARTIAL_MAX * 2, "raw pieces are written as they are");
        out.clear();
        w.feed(b"\n", at(), &mut out);
        assert_eq!(out, [vec![b'x'; 10], b"\n".to_vec()].concat());
    }

    #[test]
    fn raw_lines_are_the_bytes_unchanged() {
        let mut w = LineWriter::new(None, ORIGIN);
        let mut out = Vec::new();
        w.feed(b"a\nb", at(), &mut out);
        w.flush(at(), &mut out);
        w.feed(b"c\n", at(), &mut out);
        assert_eq!(out, b"a\nbc\n");
    }
}
