//! The log keys added beside 4.3.0's (`logfile_format`, `childlog_format`,
//! `*_rotate`, `*_compress`, `*_maxage`): their values, parsed and checked
//! here; the `logging` module writes with them.
//!
//! A format is a Python-logging-style pattern (`%(asctime)s %(message)s`)
//! or the word `json`:
//!
//! ```
//! use supervisor_core::config::{LineFormat, LogFields};
//! let f = LineFormat::parse("%(asctime)s %(program)s | %(message)s", LogFields::Child).expect("valid");
//! assert!(matches!(f, LineFormat::Pattern(_)));
//! assert_eq!(LineFormat::parse("json", LogFields::Main), Ok(LineFormat::Json));
//! let bad = LineFormat::parse("%(colour)s", LogFields::Child).unwrap_err();
//! assert!(bad.to_string().contains("unknown field 'colour'"), "{bad}");
//! ```

use std::fmt;
use std::time::Duration;

use super::datatypes::ValueError;
use super::expand::Expansions;
use super::reader::{Ctx, Sec};

/// How each line of a log is written.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LineFormat {
    /// A pattern of literal text and `%(field)s` fields.
    Pattern(FormatPattern),
    /// One JSON object per line.
    Json,
}

/// Which log a format is for: the fields each may name differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum LogFields {
    /// supervisord's own log (`logfile_format`).
    Main,
    /// Programs' output logs (`childlog_format`).
    Child,
}

/// A field a pattern may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Field {
    /// `asctime`: local time, `2026-11-21 10:42:24,042`.
    Asctime,
    /// `created`: seconds since the epoch, with fractions.
    Created,
    /// `msecs`: the milliseconds of the time.
    Msecs,
    /// `message`: the log message, or one line of a program's output.
    Message,
    /// `levelname`: 4.3.0's level tag (`INFO`, `WARN`, `DEBG` ...). Main log.
    Levelname,
    /// `levelno`: Python logging's level number. Main log.
    Levelno,
    /// `process`: supervisord's pid. Main log.
    Process,
    /// `name`: the logger's name, `supervisord`. Main log.
    Name,
    /// `program`: the program's name (`[program:x]`'s x). Child logs.
    Program,
    /// `process_name`: the process's name (with numprocs, `x_01`). Child logs.
    ProcessName,
    /// `group`: the process's group. Child logs.
    Group,
    /// `channel`: `stdout` or `stderr`. Child logs.
    Channel,
    /// `pid`: the program's pid. Child logs.
    Pid,
}

impl Field {
    const ALL: [(&'static str, Field); 13] = [
        ("asctime", Field::Asctime),
        ("created", Field::Created),
        ("msecs", Field::Msecs),
        ("message", Field::Message),
        ("levelname", Field::Levelname),
        ("levelno", Field::Levelno),
        ("process", Field::Process),
        ("name", Field::Name),
        ("program", Field::Program),
        ("process_name", Field::ProcessName),
        ("group", Field::Group),
        ("channel", Field::Channel),
        ("pid", Field::Pid),
    ];

    fn in_log(self, log: LogFields) -> bool {
        match self {
            Field::Asctime | Field::Created | Field::Msecs | Field::Message => true,
            Field::Levelname | Field::Levelno | Field::Process | Field::Name => log == LogFields::Main,
            Field::Program | Field::ProcessName | Field::Group | Field::Channel | Field::Pid => log == LogFields::Child,
        }
    }

    /// Whether the value is a number (`%d` and `%f` take it).
    fn numeric(self) -> bool {
        matches!(self, Field::Created | Field::Msecs | Field::Levelno | Field::Process | Field::Pid)
    }

    fn names(log: LogFields) -> Vec<&'static str> {
        Field::ALL.iter().filter(|(_, f)| f.in_log(log)).map(|(n, _)| *n).collect()
    }
}

/// How a field is written: `%-8s`, `%5d`, `%.3f`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Spec {
    /// `-`: pad on the right.
    pub left: bool,
    /// `0`: pad numbers with zeros.
    pub zero: bool,
    /// The least width, in characters.
    pub width: usize,
    /// `.N`: decimals of a float, or the most characters of text.
    pub precision: Option<usize>,
    /// The conversion: `s`, `d` or `f`.
    pub conversion: Conversion,
}

/// A `%` conversion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Conversion {
    /// `s`: as text.
    #[default]
    Text,
    /// `d` or `i`: a whole number.
    Integer,
    /// `f`: a number with decimals (6 unless `.N`).
    Float,
}

/// One piece of a pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    /// Text written as is (`%%` already turned into `%`).
    Literal(String),
    /// A field.
    Field(Field, Spec),
}

/// A parsed `%(field)s` pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormatPattern {
    text: String,
    parts: Vec<Part>,
}

impl FormatPattern {
    /// The pattern as written.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Its pieces, literals merged.
    pub fn parts(&self) -> &[Part] {
        &self.parts
    }

    /// Whether it names `field`.
    pub fn uses(&self, field: Field) -> bool {
        self.parts.iter().any(|p| matches!(p, Part::Field(f, _) if *f == field))
    }
}

impl LineFormat {
    /// Reads a format value: `json`, or a pattern whose fields all belong
    /// to `log`.
    pub fn parse(value: &str, log: LogFields) -> Result<LineFormat, ValueError> {
        if value.trim().eq_ignore_ascii_case("json") {
            return Ok(LineFormat::Json);
        }
        parse_pattern(value, log).map(LineFormat::Pattern)
    }

    /// The value as a config file spells it.
    pub fn spelling(&self) -> &str {
        match self {
            LineFormat::Json => "json",
            LineFormat::Pattern(p) => p.text(),
        }
    }
}

fn bad(value: &str, reason: impl Into<String>) -> ValueError {
    ValueError::LogFormat { value: value.to_owned(), reason: reason.into() }
}

fn parse_pattern(value: &str, log: LogFields) -> Result<FormatPattern, ValueError> {
    let mut parts: Vec<Part> = Vec::new();
    let mut literal = String::new();
    let mut rest = value;
    while let Some(at) = rest.find('%') {
        literal.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        if let Some(tail) = after.strip_prefix('%') {
            literal.push('%');
            rest = tail;
            continue;
        }
        let Some(inner) = after.strip_prefix('(') else {
            return Err(bad(value, "a '%' must start a %(field)s or be written %%"));
        };
        let Some(close) = inner.find(')') else {
            return Err(bad(value, "a '%(' has no closing ')'"));
        };
        let name = &inner[..close];
        let field = Field::ALL.iter().find(|(n, _)| *n == name).map(|(_, f)| *f).filter(|f| f.in_log(log));
        let Some(field) = field else {
            return Err(bad(value, format!("unknown field '{name}' (this log has {})", Field::names(log).join(", "))));
        };
        let (spec, tail) = parse_spec(&inner[close + 1..]).ok_or_else(|| {
            bad(value, format!("%({name}) must be followed by a conversion such as s, d or f ('%({name})s')"))
        })?;
        if spec.conversion != Conversion::Text && !field.numeric() {
            return Err(bad(value, format!("%({name}) is text: write it with s")));
        }
        if !literal.is_empty() {
            parts.push(Part::Literal(std::mem::take(&mut literal)));
        }
        parts.push(Part::Field(field, spec));
        rest = tail;
    }
    literal.push_str(rest);
    if !literal.is_empty() {
        parts.push(Part::Literal(literal));
    }
    if !parts.iter().any(|p| matches!(p, Part::Field(Field::Message, _))) {
        return Err(bad(value, "it has no %(message)s, so the log would lose what it logs"));
    }
    Ok(FormatPattern { text: value.to_owned(), parts })
}

/// `-8s`, `05d`, `.3f` after `%(name)`; the rest of the pattern after it.
fn parse_spec(s: &str) -> Option<(Spec, &str)> {
    let mut spec = Spec::default();
    let mut chars = s.char_indices().peekable();
    while let Some(&(_, c)) = chars.peek() {
        match c {
            '-' => spec.left = true,
            '0' => spec.zero = true,
            ' ' | '+' | '#' => {}
            _ => break,
        }
        chars.next();
    }
    let number = |chars: &mut std::iter::Peekable<std::str::CharIndices<'_>>| {
        let mut n: Option<usize> = None;
        while let Some(&(_, c)) = chars.peek() {
            let Some(d) = c.to_digit(10) else { break };
            n = Some(n.unwrap_or(0).saturating_mul(10).saturating_add(d as usize).min(1 << 16));
            chars.next();
        }
        n
    };
    spec.width = number(&mut chars).unwrap_or(0);
    if chars.peek().is_some_and(|&(_, c)| c == '.') {
        chars.next();
        spec.precision = Some(number(&mut chars).unwrap_or(0));
    }
    let (at, c) = chars.next()?;
    spec.conversion = match c {
        's' | 'r' => Conversion::Text,
        'd' | 'i' => Conversion::Integer,
        'f' | 'F' => Conversion::Float,
        _ => return None,
    };
    Some((spec, &s[at + c.len_utf8()..]))
}

/// `*_rotate`: when a log starts a new file besides at `maxbytes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Rotation {
    /// Only at `maxbytes` (4.3.0's behaviour).
    #[default]
    Size,
    /// At the start of each hour, local time.
    Hourly,
    /// At local midnight.
    Daily,
    /// At local midnight between Sunday and Monday.
    Weekly,
}

impl Rotation {
    /// Reads `size`, `hourly`, `daily` or `weekly`.
    pub fn parse(value: &str) -> Result<Rotation, ValueError> {
        match value.trim().to_ascii_lowercase().as_str() {
            "size" => Ok(Rotation::Size),
            "hourly" => Ok(Rotation::Hourly),
            "daily" => Ok(Rotation::Daily),
            "weekly" => Ok(Rotation::Weekly),
            _ => Err(ValueError::Rotation(value.to_owned())),
        }
    }

    /// The value as a config file spells it.
    pub fn spelling(self) -> &'static str {
        match self {
            Rotation::Size => "size",
            Rotation::Hourly => "hourly",
            Rotation::Daily => "daily",
            Rotation::Weekly => "weekly",
        }
    }
}

/// `*_compress`: how rotated files are compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Compression {
    /// gzip: `x.log.1.gz`.
    Gzip,
}

impl Compression {
    /// Reads `gzip`, or `none`/`off`/`false` for no compression.
    pub fn parse(value: &str) -> Result<Option<Compression>, ValueError> {
        match value.trim().to_ascii_lowercase().as_str() {
            "gzip" => Ok(Some(Compression::Gzip)),
            "none" | "off" | "false" | "no" => Ok(None),
            _ => Err(ValueError::Compression(value.to_owned())),
        }
    }

    /// The value as a config file spells it.
    pub fn spelling(self) -> &'static str {
        match self {
            Compression::Gzip => "gzip",
        }
    }
}

/// `*_maxage`: a number with a unit, `90s`, `30m`, `12h`, `7d` or `2w`. A
/// unit is required: a bare `7` read as seconds would delete a week of
/// logs by surprise.
pub fn max_age(value: &str) -> Result<Duration, ValueError> {
    let v = value.trim();
    let err = || ValueError::MaxAge(value.to_owned());
    let unit = v.chars().last().ok_or_else(err)?;
    let scale = match unit.to_ascii_lowercase() {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        'w' => 7 * 86_400,
        _ => return Err(err()),
    };
    let n: u64 = v[..v.len() - 1].trim().parse().map_err(|_| err())?;
    if n == 0 {
        return Err(err());
    }
    Ok(Duration::from_secs(n.checked_mul(scale).ok_or_else(err)?))
}

/// Writes a duration as `max_age` reads it.
pub(crate) fn max_age_spelling(d: Duration) -> String {
    let s = d.as_secs();
    for (unit, scale) in [('w', 7 * 86_400), ('d', 86_400), ('h', 3600), ('m', 60)] {
        if s.is_multiple_of(scale) {
            return format!("{}{unit}", s / scale);
        }
    }
    format!("{s}s")
}

impl fmt::Display for LineFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.spelling())
    }
}

/// A log file's rotation beyond `maxbytes` and `backups`.
///
/// ```
/// use std::time::Duration;
/// use supervisor_core::config::{Config, ProgramSpec, Retention, Rotation};
/// let keep = Retention::default().every(Rotation::Daily).gzip().max_age(Duration::from_secs(7 * 86_400));
/// let config = Config::builder().program(ProgramSpec::new("web", "cat").stdout_logfile_retention(keep)).build()?;
/// assert_eq!(config.groups[0].processes[0].stdout.retention, keep);
/// # Ok::<(), supervisor_core::config::ConfigErrors>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub struct Retention {
    /// `*_rotate` (size).
    pub rotate: Rotation,
    /// `*_compress` (none).
    pub compress: Option<Compression>,
    /// `*_maxage` (none): rotated files older than this are deleted.
    pub maxage: Option<Duration>,
}

impl Retention {
    /// Also rotate at each hour, day or week.
    pub fn every(self, rotate: Rotation) -> Retention {
        Retention { rotate, ..self }
    }

    /// Compress rotated copies with gzip.
    pub fn gzip(self) -> Retention {
        Retention { compress: Some(Compression::Gzip), ..self }
    }

    /// Delete rotated copies older than `age` (whole seconds count).
    pub fn max_age(self, age: Duration) -> Retention {
        Retention { maxage: Some(age), ..self }
    }

    /// Whether every key has its default (4.3.0's behaviour).
    pub fn is_default(&self) -> bool {
        *self == Retention::default()
    }
}

/// Reads a format key. Its value is taken as written, without
/// `%(name)s` expansion: the fields are log fields, not config names.
pub(crate) fn format(ctx: &mut Ctx<'_>, sec: Sec<'_>, key: &str, log: LogFields) -> Option<LineFormat> {
    let raw = sec.raw(key)?;
    match LineFormat::parse(raw, log) {
        Ok(f) => Some(f),
        Err(e) => {
            ctx.error(sec.key_location(key), e);
            None
        }
    }
}

/// Reads `{log}_rotate`, `{log}_compress` and `{log}_maxage`.
pub(crate) fn retention(ctx: &mut Ctx<'_>, sec: Sec<'_>, log: &str, names: &[&Expansions]) -> Retention {
    Retention {
        rotate: sec.parse(ctx, &format!("{log}_rotate"), names, Rotation::Size, Rotation::parse),
        compress: sec.parse(ctx, &format!("{log}_compress"), names, None, Compression::parse),
        maxage: sec.parse_opt(ctx, &format!("{log}_maxage"), names, max_age),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pattern(s: &str, log: LogFields) -> Vec<Part> {
        match LineFormat::parse(s, log) {
            Ok(LineFormat::Pattern(p)) => p.parts().to_vec(),
            other => panic!("{s}: {other:?}"),
        }
    }

    #[test]
    fn patterns_parse_into_literals_and_fields() {
        let parts = pattern("%(asctime)s %(levelname)-5s 100%% %(message)s", LogFields::Main);
        assert_eq!(parts.len(), 5);
        assert_eq!(parts[1], Part::Literal(" ".into()));
        assert_eq!(parts[2], Part::Field(Field::Levelname, Spec { left: true, width: 5, ..Spec::default() }));
        assert_eq!(parts[3], Part::Literal(" 100% ".into()));
        let parts = pattern("%(created).3f %(pid)05d %(message)s", LogFields::Child);
        assert_eq!(
            parts[0],
            Part::Field(Field::Created, Spec { precision: Some(3), conversion: Conversion::Float, ..Spec::default() })
        );
        assert_eq!(
            parts[2],
            Part::Field(Field::Pid, Spec { zero: true, width: 5, conversion: Conversion::Integer, ..Spec::default() })
        );
    }

    #[test]
    fn bad_patterns_say_why() {
        let reason = |s: &str, log| LineFormat::parse(s, log).expect_err(s).to_string();
        assert!(reason("%(program)s %(message)s", LogFields::Main).contains("unknown field 'program'"));
        assert!(reason("%(levelname)s %(message)s", LogFields::Child).contains("unknown field 'levelname'"));
        assert!(reason("%(message)", LogFields::Child).contains("conversion"));
        assert!(reason("%(message)s 5%", LogFields::Child).contains("%%"));
        assert!(reason("%(message", LogFields::Child).contains("closing"));
        assert!(reason("%(program)d %(message)s", LogFields::Child).contains("is text"));
        assert!(reason("%(asctime)s", LogFields::Child).contains("no %(message)s"));
        assert_eq!(
            reason("%(x)s", LogFields::Main),
            "invalid log format '%(x)s': unknown field 'x' (this log has asctime, created, msecs, message, \
             levelname, levelno, process, name)"
        );
    }

    #[test]
    fn rotation_compression_and_age() {
        assert_eq!(Rotation::parse(" Daily "), Ok(Rotation::Daily));
        assert!(Rotation::parse("monthly").is_err());
        assert_eq!(Compression::parse("gzip"), Ok(Some(Compression::Gzip)));
        assert_eq!(Compression::parse("none"), Ok(None));
        assert!(Compression::parse("zstd").is_err());
        assert_eq!(max_age("7d"), Ok(Duration::from_secs(7 * 86_400)));
        assert_eq!(max_age("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(max_age("2W"), Ok(Duration::from_secs(14 * 86_400)));
        for bad in ["7", "d", "0d", "-1d", "1.5h", ""] {
            assert!(max_age(bad).is_err(), "{bad}");
        }
        assert_eq!(max_age_spelling(Duration::from_secs(7 * 86_400)), "1w");
        assert_eq!(max_age_spelling(Duration::from_secs(90)), "90s");
    }
}
