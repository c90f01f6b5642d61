//! Python's `s % mapping`, which 4.3.0 applies to config values (`expand()` in
//! `supervisor/options.py`): `%(name)s`, `%(process_num)02d`, `%%`.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::pytext::repr;

/// A value that can be expanded into a format string: Supervisor offers text
/// (`here`, `ENV_*`, names) and integers (`process_num`, `numprocs`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExpandValue {
    /// A string value.
    Str(String),
    /// An integer value.
    Int(i64),
}

impl From<&str> for ExpandValue {
    fn from(s: &str) -> Self {
        ExpandValue::Str(s.to_owned())
    }
}

impl From<String> for ExpandValue {
    fn from(s: String) -> Self {
        ExpandValue::Str(s)
    }
}

impl From<i64> for ExpandValue {
    fn from(n: i64) -> Self {
        ExpandValue::Int(n)
    }
}

/// The names available to one expansion, sorted as 4.3.0 lists them in errors.
pub type Expansions = BTreeMap<String, ExpandValue>;

/// Why a value could not be expanded; the text is 4.3.0's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExpandError {
    /// A `%(name)` that is not in the mapping.
    #[error(
        "Format string {} for {} contains names ({}) which cannot be expanded. Available names: {}",
        repr(.format), repr(.option), repr(.name), .available.join(", ")
    )]
    UnknownName {
        /// The whole value.
        format: String,
        /// `section.option`, as 4.3.0 names it.
        option: String,
        /// The missing name.
        name: String,
        /// Every name that was available, sorted.
        available: Vec<String>,
    },
    /// A malformed `%` directive.
    #[error("Format string {} for {} is badly formatted: {reason}", repr(.format), repr(.option))]
    BadFormat {
        /// The whole value.
        format: String,
        /// `section.option`.
        option: String,
        /// Python's exception text.
        reason: String,
    },
}

/// Expands `format` as Python's `format % names`, where `names` are layers
/// of one mapping (a later layer wins); `option` names the value in error
/// messages (`program:x.command`): `web_%(process_num)02d` with
/// `process_num` 7 is `web_07`.
pub fn expand(format: &str, names: &[&Expansions], option: &str) -> Result<String, ExpandError> {
    expand_inner(format, names).map_err(|e| match e {
        Failure::Missing(name) => ExpandError::UnknownName {
            format: format.to_owned(),
            option: option.to_owned(),
            name,
            available: {
                let mut all: Vec<String> = names.iter().flat_map(|m| m.keys().cloned()).collect();
                all.sort();
                all.dedup();
                all
            },
        },
        Failure::Bad(reason) => ExpandError::BadFormat { format: format.to_owned(), option: option.to_owned(), reason },
    })
}

enum Failure {
    Missing(String),
    Bad(String),
}

#[derive(Default)]
struct Spec {
    left: bool,
    zero: bool,
    plus: bool,
    space: bool,
    alt: bool,
    width: usize,
    precision: Option<usize>,
}

fn expand_inner(format: &str, names: &[&Expansions]) -> Result<String, Failure> {
    if !format.contains('%') {
        return Ok(format.to_owned());
    }
    let chars: Vec<char> = format.chars().collect();
    let mut out = String::with_capacity(format.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c != '%' {
            out.push(c);
            i += 1;
            continue;
        }
        i += 1;
        let Some(&next) = chars.get(i) else {
            return Err(Failure::Bad("incomplete format".into()));
        };
        let mut value = None;
        if next == '(' {
            // Parentheses nest inside a key, as in CPython.
            let mut depth = 1;
            let start = i + 1;
            let mut j = start;
            while j < chars.len() && depth > 0 {
                match chars[j] {
                    '(' => depth += 1,
                    ')' => depth -= 1,
                    _ => {}
                }
                j += 1;
            }
            if depth > 0 {
                return Err(Failure::Bad("incomplete format key".into()));
            }
            let key: String = chars[start..j - 1].iter().collect();
            match names.iter().rev().find_map(|m| m.get(&key)) {
                Some(v) => value = Some(v),
                None => return Err(Failure::Missing(key)),
            }
            i = j;
        }
        let mut spec = Spec::default();
        while let Some(&f) = chars.get(i) {
            match f {
                '-' => spec.left = true,
                '0' => spec.zero = true,
                '+' => spec.plus = true,
                ' ' => spec.space = true,
                '#' => spec.alt = true,
                _ => break,
            }
            i += 1;
        }
        if chars.get(i) == Some(&'*') {
            return Err(Failure::Bad("* wants int".into()));
        }
        spec.width = read_number(&chars, &mut i);
        if spec.width > MAX_WIDTH {
            return Err(Failure::Bad("width too big".into()));
        }
        if chars.get(i) == Some(&'.') {
            i += 1;
            if chars.get(i) == Some(&'*') {
                return Err(Failure::Bad("* wants int".into()));
            }
            let precision = read_number(&chars, &mut i);
            if precision > MAX_WIDTH {
                return Err(Failure::Bad("precision too big".into()));
            }
            spec.precision = Some(precision);
        }
        while matches!(chars.get(i), Some('h' | 'l' | 'L')) {
            i += 1;
        }
        let Some(&conv) = chars.get(i) else {
            return Err(Failure::Bad("incomplete format".into()));
        };
        let index = i;
        i += 1;
        if conv == '%' {
            out.push('%');
            continue;
        }
        let Some(value) = value else {
            // An unnamed directive next to the mapping: CPython formats the
            // whole dict or raises; neither is a useful config value.
            return Err(Failure::Bad("format requires a mapping".into()));
        };
        let text = convert(conv, value, &spec, index)?;
        out.push_str(&text);
    }
    Ok(out)
}

/// The widest field a directive may ask for. CPython refuses only widths
/// past its integer range ("width too big") and otherwise tries to build
/// the string; a config value a megabyte wide is a typo, refused the same
/// way rather than allocated (found by the `config_text` fuzz target).
const MAX_WIDTH: usize = 1 << 20;

fn read_number(chars: &[char], i: &mut usize) -> usize {
    let mut n: usize = 0;
    while let Some(d) = chars.get(*i).and_then(|c| c.to_digit(10)) {
        n = n.saturating_mul(10).saturating_add(d as usize);
        *i += 1;
    }
    n
}

fn convert(conv: char, value: &ExpandValue, spec: &Spec, index: usize) -> Result<String, Failure> {
    match conv {
        's' | 'r' | 'a' => {
            let text = match (conv, value) {
                ('s', ExpandValue::Str(s)) => s.clone(),
                (_, ExpandValue::Str(s)) => repr(s),
                (_, ExpandValue::Int(n)) => n.to_string(),
            };
            let text = match spec.precision {
                Some(p) => text.chars().take(p).collect(),
                None => text,
            };
            Ok(pad(text, spec.width, spec.left))
        }
        'd' | 'i' | 'u' | 'x' | 'X' | 'o' => {
            let ExpandValue::Int(n) = value else {
                let kind = if matches!(conv, 'x' | 'X' | 'o') { "an integer" } else { "a real number" };
                return Err(Failure::Bad(format!("%{conv} format: {kind} is required, not str")));
            };
            let mut digits = match conv {
                'x' => format!("{:x}", n.unsigned_abs()),
                'X' => format!("{:X}", n.unsigned_abs()),
                'o' => format!("{:o}", n.unsigned_abs()),
                _ => n.unsigned_abs().to_string(),
            };
            if let Some(p) = spec.precision {
                while digits.chars().count() < p {
                    digits.insert(0, '0');
                }
            }
            let prefix = match (spec.alt, conv) {
                (true, 'x') => "0x",
                (true, 'X') => "0X",
                (true, 'o') => "0o",
                _ => "",
            };
            number(*n < 0, prefix, &digits, spec)
        }
        'e' | 'E' | 'f' | 'F' | 'g' | 'G' => {
            let ExpandValue::Int(n) = value else {
                return Err(Failure::Bad("must be real number, not str".into()));
            };
            let p = spec.precision.unwrap_or(6);
            let digits = match conv {
                'f' | 'F' => format!("{:.*}", p, n.unsigned_abs() as f64),
                'e' => python_exp(n.unsigned_abs() as f64, p, false),
                'E' => python_exp(n.unsigned_abs() as f64, p, true),
                _ => n.unsigned_abs().to_string(),
            };
            number(*n < 0, "", &digits, spec)
        }
        'c' => {
            let text = match value {
                ExpandValue::Str(s) if s.chars().count() == 1 => s.clone(),
                ExpandValue::Str(_) => {
                    return Err(Failure::Bad("%c requires int or char".into()));
                }
                ExpandValue::Int(n) => match u32::try_from(*n).ok().and_then(char::from_u32) {
                    Some(c) => c.to_string(),
                    None => return Err(Failure::Bad("%c arg not in range(0x110000)".into())),
                },
            };
            Ok(pad(text, spec.width, spec.left))
        }
        other => Err(Failure::Bad(format!(
            "unsupported format character {} (0x{:x}) at index {index}",
            repr(&other.to_string()),
            other as u32
        ))),
    }
}

fn python_exp(v: f64, p: usize, upper: bool) -> String {
    let s = format!("{:.*e}", p, v);
    // Rust writes `1e3`; Python writes `1e+03`.
    let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let sign = if exp < 0 { '-' } else { '+' };
    let mut out = String::new();
    let _ = write!(out, "{mantissa}{}{sign}{:02}", if upper { 'E' } else { 'e' }, exp.abs());
    out
}

fn number(negative: bool, prefix: &str, digits: &str, spec: &Spec) -> Result<String, Failure> {
    let sign = if negative {
        "-"
    } else if spec.plus {
        "+"
    } else if spec.space {
        " "
    } else {
        ""
    };
    let head = format!("{sign}{prefix}");
    let len = head.chars().count() + digits.chars().count();
    if spec.zero && !spec.left && spec.width > len {
        return Ok(format!("{head}{}{digits}", "0".repeat(spec.width - len)));
    }
    Ok(pad(format!("{head}{digits}"), spec.width, spec.left))
}

fn pad(text: String, width: usize, left: bool) -> String {
    let len = text.chars().count();
    if width <= len {
        return text;
    }
    let fill = " ".repeat(width - len);
    if left { text + &fill } else { fill + &text }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> Expansions {
        let mut e = Expansions::new();
        e.insert("here".into(), "/etc/sv".into());
        e.insert("process_num".into(), 3.into());
        e.insert("program_name".into(), "web".into());
        e
    }

    #[test]
    fn a_process_number_pads_as_python_pads_it() {
        let mut names = Expansions::new();
        names.insert("process_num".into(), 7.into());
        assert_eq!(expand("web_%(process_num)02d", &[&names], "x").ok().as_deref(), Some("web_07"));
    }

    fn ok(s: &str) -> String {
        expand(s, &[&names()], "program:web.command").expect("expands")
    }

    #[test]
    fn substitutes_names_and_formats() {
        assert_eq!(ok("%(here)s/x"), "/etc/sv/x");
        assert_eq!(ok("%(program_name)s_%(process_num)02d"), "web_03");
        assert_eq!(ok("%(process_num)d|%(process_num)-3d|%(process_num)3d"), "3|3  |  3");
        assert_eq!(ok("%(process_num)s"), "3");
        assert_eq!(ok("%(process_num)x %(process_num)#o %(process_num)+d"), "3 0o3 +3");
        assert_eq!(ok("100%%"), "100%");
        assert_eq!(ok("%(program_name).2s"), "we");
        assert_eq!(ok("%(program_name)r"), "'web'");
        assert_eq!(ok("no directives"), "no directives");
    }

    #[test]
    fn errors_read_like_python() {
        let e = expand("%(nosuch)s", &[&names()], "program:web.command").unwrap_err();
        assert_eq!(
            e.to_string(),
            "Format string '%(nosuch)s' for 'program:web.command' contains names ('nosuch') \
             which cannot be expanded. Available names: here, process_num, program_name"
        );
        let e = expand("50%", &[&names()], "x.y").unwrap_err();
        assert_eq!(e.to_string(), "Format string '50%' for 'x.y' is badly formatted: incomplete format");
        let e = expand("%(here)z", &[&names()], "x.y").unwrap_err();
        assert_eq!(
            e.to_string(),
            "Format string '%(here)z' for 'x.y' is badly formatted: unsupported format character 'z' (0x7a) at index 7"
        );
        let e = expand("%(here)d", &[&names()], "x.y").unwrap_err();
        assert!(e.to_string().ends_with("%d format: a real number is required, not str"));
        let e = expand("%(here", &[&names()], "x.y").unwrap_err();
        assert!(e.to_string().ends_with("incomplete format key"));
    }

    #[test]
    fn huge_widths_are_refused_not_allocated() {
        // From the config_text fuzz target: this panicked (capacity overflow).
        let e = expand("%(here)666666666666666666666666s", &[&names()], "x.y").unwrap_err();
        assert!(e.to_string().ends_with("width too big"), "{e}");
        let e = expand("%(process_num).99999999999d", &[&names()], "x.y").unwrap_err();
        assert!(e.to_string().ends_with("precision too big"), "{e}");
        assert_eq!(ok("%(process_num)08d"), "00000003");
    }
}
