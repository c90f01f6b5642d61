//! `environment_file` (an addition): dotenv files, read at each spawn.
//!
//! `KEY=value`, `export KEY=value`, `#` comments, single quotes (taken
//! literally), double quotes (with `\n`, `\t`, `\"`, `\\` escapes); no
//! `$VAR` expansion. dotenvy, the well-kept crate, expands `$VAR` and
//! cannot be told not to, so this small reader is ours.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A file that could not be read, or the line that is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("environment_file {}{}: {reason}", .path.display(), .line.map(|l| format!(":{l}")).unwrap_or_default())]
#[non_exhaustive]
pub struct EnvFileError {
    /// The file.
    pub path: PathBuf,
    /// The 1-based line, when a line is wrong.
    pub line: Option<usize>,
    /// What is wrong.
    pub reason: String,
}

/// `environment_file = a.env, b.env`: the files, each checked now (a
/// missing or malformed one is said as a warning: it is read again at each
/// spawn, and may be fixed by then).
pub(crate) fn files(
    ctx: &mut super::reader::Ctx<'_>,
    sec: super::reader::Sec<'_>,
    key: &str,
    names: &[&super::expand::Expansions],
) -> Vec<PathBuf> {
    let Some(value) = sec.get(ctx, key, names) else { return Vec::new() };
    let files: Vec<PathBuf> = value
        .split(',')
        .map(str::trim)
        .filter(|f| !f.is_empty())
        .map(|f| super::datatypes::abspath(Path::new(f)))
        .collect();
    for file in &files {
        if let Err(e) = read_into(file, &mut BTreeMap::new()) {
            ctx.warn(format!("{}: {e}", sec.key_location(key)));
        }
    }
    files
}

/// Reads `path` into `into` (later keys win).
pub(crate) fn read_into(path: &Path, into: &mut BTreeMap<String, String>) -> Result<(), EnvFileError> {
    let text = std::fs::read_to_string(path).map_err(|e| EnvFileError {
        path: path.to_path_buf(),
        line: None,
        reason: crate::pytext::strerror(&e),
    })?;
    parse(&text, into).map_err(|(line, reason)| EnvFileError { path: path.to_path_buf(), line: Some(line), reason })
}

/// Parses dotenv text; the error is the line and why.
fn parse(text: &str, into: &mut BTreeMap<String, String>) -> Result<(), (usize, String)> {
    for (index, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").map_or(line, str::trim_start);
        let Some((key, rest)) = line.split_once('=') else {
            return Err((index + 1, format!("not KEY=value: {raw:?}")));
        };
        let key = key.trim();
        let valid = key.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
        if !valid {
            return Err((index + 1, format!("not a variable name: {key:?}")));
        }
        let value = value(rest.trim_start()).map_err(|why| (index + 1, why))?;
        into.insert(key.to_owned(), value);
    }
    Ok(())
}

/// One value: quoted or bare, a trailing `# comment` dropped.
fn value(rest: &str) -> Result<String, String> {
    let after_quote = |tail: &str| {
        let tail = tail.trim_start();
        if tail.is_empty() || tail.starts_with('#') {
            Ok(())
        } else {
            Err(format!("text after the closing quote: {tail:?}"))
        }
    };
    if let Some(body) = rest.strip_prefix('\'') {
        let end = body.find('\'').ok_or("no closing ' quote")?;
        after_quote(&body[end + 1..])?;
        return Ok(body[..end].to_owned());
    }
    if let Some(body) = rest.strip_prefix('"') {
        let mut out = String::new();
        let mut chars = body.char_indices();
        while let Some((at, c)) = chars.next() {
            match c {
                '"' => {
                    after_quote(&body[at + 1..])?;
                    return Ok(out);
                }
                '\\' => match chars.next().map(|(_, e)| e) {
                    Some('n') => out.push('\n'),
                    Some('t') => out.push('\t'),
                    Some('r') => out.push('\r'),
                    Some(e @ ('"' | '\\' | '$')) => out.push(e),
                    Some(e) => {
                        out.push('\\');
                        out.push(e);
                    }
                    None => break,
                },
                c => out.push(c),
            }
        }
        return Err("no closing \" quote".to_owned());
    }
    // Bare: up to a ` #` comment.
    let end = rest.find(" #").or_else(|| rest.find("\t#")).unwrap_or(rest.len());
    Ok(rest[..end].trim_end().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<Vec<(String, String)>, (usize, String)> {
        let mut map = BTreeMap::new();
        parse(text, &mut map).map(|()| map.into_iter().collect())
    }

    fn kv(k: &str, v: &str) -> (String, String) {
        (k.to_owned(), v.to_owned())
    }

    #[test]
    fn the_dotenv_forms_read_as_written() {
        let text = "# a comment\n\nA=1\nexport B = two words # trailing\nC='single $HOME \\n'\n\
                    D=\"double\\nline \\\"q\\\" $HOME\"\nE=\nF=a=b\n";
        assert_eq!(
            read(text),
            Ok(vec![
                kv("A", "1"),
                kv("B", "two words"),
                kv("C", "single $HOME \\n"),
                kv("D", "double\nline \"q\" $HOME"),
                kv("E", ""),
                kv("F", "a=b"),
            ])
        );
    }

    #[test]
    fn bad_lines_are_named() {
        assert_eq!(read("A=1\nnot a pair\n").unwrap_err().0, 2);
        assert_eq!(read("1A=x\n").unwrap_err().0, 1);
        assert_eq!(read("A=\"open\n").unwrap_err(), (1, "no closing \" quote".to_owned()));
        assert_eq!(read("A='x' y\n").unwrap_err().0, 1);
        let e = EnvFileError { path: "/etc/app.env".into(), line: Some(3), reason: "not KEY=value".into() };
        assert_eq!(e.to_string(), "environment_file /etc/app.env:3: not KEY=value");
    }
}
