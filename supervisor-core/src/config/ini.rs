//! The INI reader: CPython's `RawConfigParser._read` as 4.3.0 configures it
//! (`inline_comment_prefixes=(';','#')`, `strict=False`, no interpolation),
//! plus where every section and value came from.
//!
//! No crate on crates.io reads Supervisor's files the same way (see
//! `shared/reference/crates.md`, Q1), so this is a port.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::pytext::{is_space, rstrip, strip};

/// A file and a 1-based line number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The file the text came from.
    pub file: Arc<Path>,
    /// Its 1-based line.
    pub line: usize,
}

/// One `key = value` of a section, after continuation lines are joined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IniEntry {
    /// The key, lower-cased.
    pub key: String,
    /// The raw value (nothing expanded, quotes kept).
    pub value: String,
    /// Where the key was (last) set.
    pub origin: Origin,
}

/// One `[section]`, merged across every place it appears.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IniSection {
    /// The name between the brackets, case kept.
    pub name: String,
    /// Where the section first appeared (4.3.0's `section_to_file`).
    pub origin: Origin,
    entries: Vec<IniEntry>,
}

impl IniSection {
    fn new(name: String, origin: Origin) -> Self {
        IniSection { name, origin, entries: Vec::new() }
    }

    /// The entries in the order their keys first appeared.
    pub fn entries(&self) -> &[IniEntry] {
        &self.entries
    }

    fn position(&self, key: &str) -> Option<usize> {
        self.entries.iter().position(|e| e.key == key)
    }

    /// The entry for `key` in this section alone.
    pub fn get(&self, key: &str) -> Option<&IniEntry> {
        self.entries.iter().find(|e| e.key == key)
    }

    fn set(&mut self, key: String, value: String, origin: Origin) -> usize {
        match self.position(&key) {
            Some(i) => {
                self.entries[i].value = value;
                self.entries[i].origin = origin;
                i
            }
            None => {
                self.entries.push(IniEntry { key, value, origin });
                self.entries.len() - 1
            }
        }
    }
}

/// A line that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IniError {
    /// A key or value line before the first `[section]`.
    #[error("file contains no section headers (this line comes before any [section]): {}", super::repr(.text))]
    MissingSectionHeader {
        /// The offending line.
        text: String,
    },
    /// A line with neither `=` nor `:`.
    #[error("line is neither a [section] header nor a key=value pair: {}", super::repr(.text))]
    NoDelimiter {
        /// The offending line.
        text: String,
    },
    /// `=value` with no key.
    #[error("line has an empty key: {}", super::repr(.text))]
    EmptyKey {
        /// The offending line.
        text: String,
    },
}

/// An [`IniError`] and where it happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IniLineError {
    /// The line.
    pub origin: Origin,
    /// What is wrong with it.
    pub error: IniError,
}

/// Sections read from one or more files into one parser, as 4.3.0 reads the
/// main file and its includes: `Command = echo a;b ; comment` in
/// `[program:Web]` is the key `command` with the value `echo a;b`.
#[derive(Debug, Clone, Default)]
pub struct Ini {
    sections: Vec<IniSection>,
    /// Section name to its place in `sections`: a config with a thousand
    /// programs is looked up by name many thousands of times.
    index: HashMap<String, usize>,
    defaults: Option<IniSection>,
}

/// Which section the reader is filling.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Target {
    Defaults,
    Section(usize),
}

/// The value being read, whose continuation lines may follow.
struct Pending {
    target: Target,
    entry: usize,
    lines: Vec<String>,
}

impl Ini {
    /// The sections in the order they first appeared, `[DEFAULT]` excluded.
    pub fn sections(&self) -> &[IniSection] {
        &self.sections
    }

    /// One section by exact name.
    pub fn section(&self, name: &str) -> Option<&IniSection> {
        self.sections.get(*self.index.get(name)?)
    }

    /// The `[DEFAULT]` section, if any.
    pub fn defaults(&self) -> Option<&IniSection> {
        self.defaults.as_ref()
    }

    /// A key of a section, falling back to `[DEFAULT]` as configparser does.
    pub fn get(&self, section: &str, key: &str) -> Option<&IniEntry> {
        self.section(section)?.get(key).or_else(|| self.defaults.as_ref().and_then(|d| d.get(key)))
    }

    /// The keys of a section: its own, then `[DEFAULT]`'s (configparser's `options()`).
    pub fn keys(&self, section: &str) -> Vec<&str> {
        let Some(sec) = self.section(section) else {
            return Vec::new();
        };
        let mut keys: Vec<&str> = sec.entries.iter().map(|e| e.key.as_str()).collect();
        if let Some(d) = &self.defaults {
            for e in &d.entries {
                if sec.get(&e.key).is_none() {
                    keys.push(&e.key);
                }
            }
        }
        keys
    }

    /// Sets `key` in `section` (made if new) to `value`, as a file line at
    /// `origin` would.
    pub(crate) fn set_value(&mut self, section: &str, key: &str, value: String, origin: Origin) {
        let at = match self.index.get(section) {
            Some(&i) => i,
            None => {
                self.index.insert(section.to_owned(), self.sections.len());
                self.sections.push(IniSection::new(section.to_owned(), origin.clone()));
                self.sections.len() - 1
            }
        };
        self.sections[at].set(key.to_lowercase(), value, origin);
    }

    /// Replaces the literal text `%(here)s` in every value with `here`
    /// (4.3.0's `expand_here`, run after each included file is read).
    pub fn expand_here(&mut self, here: &str) {
        const HERE: &str = "%(here)s";
        let defaults = self.defaults.clone();
        for section in &mut self.sections {
            for entry in &mut section.entries {
                if entry.value.contains(HERE) {
                    entry.value = entry.value.replace(HERE, here);
                }
            }
            // configparser's items() includes [DEFAULT], and set() copies the
            // replaced value into the section.
            if let Some(d) = &defaults {
                for e in &d.entries {
                    if section.get(&e.key).is_none() && e.value.contains(HERE) {
                        section.set(e.key.clone(), e.value.replace(HERE, here), e.origin.clone());
                    }
                }
            }
        }
    }

    /// Reads one file's text into the parser. Returns every bad line; a line
    /// before the first section header stops the read, as in CPython.
    pub fn read_str(&mut self, text: &str, file: &Path) -> Vec<IniLineError> {
        let file: Arc<Path> = Arc::from(file);
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut errors = Vec::new();
        let mut target: Option<Target> = None;
        let mut pending: Option<Pending> = None;
        // Python keeps `optname` across bad lines; so do we.
        let mut has_option = false;
        let mut indent_level = 0usize;

        for (index, line) in split_lines(text).enumerate() {
            let lineno = index + 1;
            let origin = Origin { file: file.clone(), line: lineno };
            let comment_start = comment_start(line);
            let value = strip(&line[..comment_start.unwrap_or(line.len())]);
            if value.is_empty() {
                // A blank line belongs to the value being read, a comment line does not.
                if let Some(p) = pending.as_mut().filter(|_| comment_start.is_none() && has_option) {
                    p.lines.push(String::new());
                }
                continue;
            }
            let indent = line.chars().position(|c| !is_space(c)).unwrap_or(0);
            if target.is_some() && has_option && indent > indent_level {
                if let Some(p) = &mut pending {
                    p.lines.push(value.to_owned());
                }
                continue;
            }
            indent_level = indent;
            if let Some(name) = section_header(value) {
                self.flush(pending.take());
                has_option = false;
                target = Some(if let Some(&i) = self.index.get(name) {
                    Target::Section(i)
                } else if name == "DEFAULT" {
                    self.defaults.get_or_insert_with(|| IniSection::new(name.to_owned(), origin.clone()));
                    Target::Defaults
                } else {
                    self.index.insert(name.to_owned(), self.sections.len());
                    self.sections.push(IniSection::new(name.to_owned(), origin.clone()));
                    Target::Section(self.sections.len() - 1)
                });
                continue;
            }
            let Some(t) = target else {
                errors.push(IniLineError { origin, error: IniError::MissingSectionHeader { text: line.to_owned() } });
                return errors;
            };
            let Some((key, val)) = split_option(value) else {
                errors.push(IniLineError { origin, error: IniError::NoDelimiter { text: line.to_owned() } });
                continue;
            };
            self.flush(pending.take());
            if key.is_empty() {
                errors.push(IniLineError { origin, error: IniError::EmptyKey { text: line.to_owned() } });
                has_option = false;
                continue;
            }
            let section = self.target_mut(t);
            let entry = section.set(key.to_lowercase(), String::new(), origin);
            pending = Some(Pending { target: t, entry, lines: vec![val.to_owned()] });
            has_option = true;
        }
        self.flush(pending.take());
        errors
    }

    fn target_mut(&mut self, t: Target) -> &mut IniSection {
        match t {
            Target::Section(i) => &mut self.sections[i],
            Target::Defaults => self.defaults.get_or_insert_with(|| {
                IniSection::new("DEFAULT".into(), Origin { file: Arc::from(Path::new("")), line: 0 })
            }),
        }
    }

    fn flush(&mut self, pending: Option<Pending>) {
        if let Some(p) = pending {
            let value = rstrip(&p.lines.join("\n")).to_owned();
            self.target_mut(p.target).entries[p.entry].value = value;
        }
    }
}

/// Splits on `\n`, `\r\n` and `\r`, as Python's text mode does.
fn split_lines(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        match rest.find(['\n', '\r']) {
            Some(at) => {
                let line = &rest[..at];
                let skip = if rest[at..].starts_with("\r\n") { 2 } else { 1 };
                rest = &rest[at + skip..];
                Some(line)
            }
            None => {
                let line = rest;
                rest = "";
                Some(line)
            }
        }
    })
}

/// Where a comment starts, if anywhere. An inline `;` or `#` counts only at
/// the start or after whitespace; CPython looks for the n-th occurrence of
/// each prefix in round n, and so must we (`x#y#z #c ;d` keeps `x#y#z #c`).
fn comment_start(line: &str) -> Option<usize> {
    let trimmed = strip(line);
    if trimmed.starts_with(';') || trimmed.starts_with('#') {
        return Some(0);
    }
    let mut searches: Vec<(char, Option<usize>)> = vec![(';', None), ('#', None)];
    while !searches.is_empty() {
        let mut found = None::<usize>;
        let mut next = Vec::new();
        for (prefix, last) in searches {
            let from = last.map_or(0, |i| i + 1);
            let Some(rel) = line.get(from..).and_then(|s| s.find(prefix)) else {
                continue;
            };
            let at = from + rel;
            next.push((prefix, Some(at)));
            if at == 0 || line[..at].chars().next_back().is_some_and(is_space) {
                found = Some(found.map_or(at, |f| f.min(at)));
            }
        }
        if found.is_some() {
            return found;
        }
        searches = next;
    }
    None
}

/// `[name]`: greedy to the last `]`, trailing text ignored, `[]` not a header.
fn section_header(value: &str) -> Option<&str> {
    let rest = value.strip_prefix('[')?;
    let end = rest.rfind(']')?;
    (end > 0).then(|| &rest[..end])
}

/// Splits at the first `=` or `:`; the key right-stripped, the value stripped.
fn split_option(value: &str) -> Option<(&str, &str)> {
    let at = value.find(['=', ':'])?;
    Some((rstrip(&value[..at]), strip(&value[at + 1..])))
}

/// Reads a file the way 4.3.0 opens config files (UTF-8 text).
pub(crate) fn read_file(path: &Path) -> std::io::Result<String> {
    let bytes = std::fs::read(path)?;
    String::from_utf8(bytes).map_err(|e| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("not valid UTF-8 (byte offset {})", e.utf8_error().valid_up_to()),
        )
    })
}

/// The directory a file sits in, absolute, as `%(here)s` means it.
pub(crate) fn here_of(path: &Path) -> PathBuf {
    let abs = super::datatypes::abspath(path);
    abs.parent().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Ini {
        let mut ini = Ini::default();
        let errors = ini.read_str(text, Path::new("t.conf"));
        assert!(errors.is_empty(), "{errors:?}");
        ini
    }

    fn val<'a>(ini: &'a Ini, s: &str, k: &str) -> &'a str {
        &ini.get(s, k).unwrap_or_else(|| panic!("{s}.{k} missing")).value
    }

    #[test]
    fn keys_fold_case_and_comments_end_values() {
        let ini = parse("[program:Web]\nCommand = echo a;b ; comment\n");
        assert_eq!(val(&ini, "program:Web", "command"), "echo a;b");
    }

    #[test]
    fn inline_comments_need_whitespace_before() {
        let ini = parse("[s]\na=b;c\nb=x#y#z #c ;d\nc=v ; comment\nd=e\t#tab\ne=;start\nf = http://h:1/x#frag\n");
        assert_eq!(val(&ini, "s", "a"), "b;c");
        assert_eq!(val(&ini, "s", "b"), "x#y#z #c");
        assert_eq!(val(&ini, "s", "c"), "v");
        assert_eq!(val(&ini, "s", "d"), "e");
        assert_eq!(val(&ini, "s", "e"), ";start");
        assert_eq!(val(&ini, "s", "f"), "http://h:1/x#frag");
    }

    #[test]
    fn delimiters_case_and_duplicates() {
        let ini = parse("[S]\nurl:http://x=1\nKey = V\ndup=1\nDUP=2\n[S]\nmore=yes\n[s]\nlower=1\n");
        assert_eq!(val(&ini, "S", "url"), "http://x=1");
        assert_eq!(val(&ini, "S", "key"), "V");
        assert_eq!(val(&ini, "S", "dup"), "2");
        assert_eq!(val(&ini, "S", "more"), "yes");
        assert_eq!(ini.sections().len(), 2);
        assert_eq!(ini.get("S", "dup").unwrap().origin.line, 5);
        assert_eq!(ini.section("S").unwrap().origin.line, 1);
    }

    #[test]
    fn continuation_lines() {
        let ini = parse(
            "[s]\nenv = A=1,\n    B=2\n\n  C=3\n    ; a comment line\n\t[not a header]\nnext=1\n\n\n[t]\n  x = 1\n",
        );
        assert_eq!(val(&ini, "s", "env"), "A=1,\nB=2\n\nC=3\n[not a header]");
        assert_eq!(val(&ini, "s", "next"), "1");
        assert_eq!(val(&ini, "t", "x"), "1");
    }

    #[test]
    fn headers_and_defaults() {
        let ini = parse("[DEFAULT]\nautostart=false\n[a] trailing\n[b]]\n[x]\nk=1\n");
        assert_eq!(ini.sections().iter().map(|s| s.name.as_str()).collect::<Vec<_>>(), ["a", "b]", "x"]);
        assert_eq!(val(&ini, "a", "autostart"), "false");
        assert_eq!(ini.keys("x"), ["k", "autostart"]);
    }

    #[test]
    fn bad_lines_are_collected() {
        let mut ini = Ini::default();
        let errors = ini.read_str("[s]\nbare key\n=novalue\n[]\nok=1\n", Path::new("t.conf"));
        let lines: Vec<usize> = errors.iter().map(|e| e.origin.line).collect();
        assert_eq!(lines, [2, 3, 4]);
        assert_eq!(ini.get("s", "ok").unwrap().value, "1");

        let mut ini = Ini::default();
        let errors = ini.read_str("; c\nkey=1\n[s]\n", Path::new("t.conf"));
        assert!(matches!(errors[0].error, IniError::MissingSectionHeader { .. }));
        assert_eq!(errors[0].origin.line, 2);
    }

    #[test]
    fn line_endings_and_bom() {
        let ini = parse("\u{feff}[s]\r\na=1\r\nb=2\rc=3");
        assert_eq!((val(&ini, "s", "a"), val(&ini, "s", "b"), val(&ini, "s", "c")), ("1", "2", "3"));
    }

    #[test]
    fn here_is_replaced_literally() {
        let mut ini = parse("[DEFAULT]\nd=%(here)s/d\n[s]\na=%(here)s/x %(here)s\n");
        ini.expand_here("/etc");
        assert_eq!(val(&ini, "s", "a"), "/etc/x /etc");
        assert_eq!(val(&ini, "s", "d"), "/etc/d");
    }
}
