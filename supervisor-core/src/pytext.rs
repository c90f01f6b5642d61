//! Python text rules that the config format inherits from 4.3.0's Python code:
//! what `str.isspace()`, `str.strip()`, `int()` and `repr()` do.
//!
//! Ground floor: [`crate::signals`] and [`crate::config`] both read text
//! with these rules, so this module imports nothing from the crate.

/// `str.isspace()` for one character: Unicode whitespace plus the ASCII
/// separators `\x1c`..`\x1f`, which Python counts and Rust does not.
pub(crate) fn is_space(c: char) -> bool {
    c.is_whitespace() || ('\x1c'..='\x1f').contains(&c)
}

/// `str.strip()` with no argument.
pub(crate) fn strip(s: &str) -> &str {
    s.trim_matches(is_space)
}

/// `str.rstrip()` with no argument.
pub(crate) fn rstrip(s: &str) -> &str {
    s.trim_end_matches(is_space)
}

/// `int(s)` for base 10: surrounding whitespace, an optional sign, digits with
/// single underscores between them. `None` where Python raises ValueError.
pub(crate) fn parse_int(s: &str) -> Option<i64> {
    let t = strip(s);
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    if digits.is_empty() || digits.starts_with('_') || digits.ends_with('_') || digits.contains("__") {
        return None;
    }
    let mut value: i64 = 0;
    for c in digits.chars().filter(|c| *c != '_') {
        let d = c.to_digit(10)?;
        value = value.checked_mul(10)?.checked_add(i64::from(d))?;
    }
    Some(if neg { -value } else { value })
}

/// `int(s, 8)`: like [`parse_int`] but octal, with an optional `0o` prefix.
pub(crate) fn parse_octal(s: &str) -> Option<i64> {
    let t = strip(s);
    let (neg, rest) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let digits = rest
        .strip_prefix("0o")
        .or_else(|| rest.strip_prefix("0O"))
        .map(|d| d.strip_prefix('_').unwrap_or(d))
        .unwrap_or(rest);
    if digits.is_empty() || digits.ends_with('_') || digits.contains("__") || digits.starts_with('_') {
        return None;
    }
    let mut value: i64 = 0;
    for c in digits.chars().filter(|c| *c != '_') {
        let d = c.to_digit(8)?;
        value = value.checked_mul(8)?.checked_add(i64::from(d))?;
    }
    Some(if neg { -value } else { value })
}

/// `repr(s)` of a Python str, so error messages quote values as 4.3.0 does.
pub fn repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') { '"' } else { '\'' };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if (0x80..0xa0).contains(&(c as u32)) => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// An OS error's text as Python's `e.strerror` gives it (`No such file or
/// directory`), without Rust's ` (os error 2)`.
pub(crate) fn strerror(e: &std::io::Error) -> String {
    let text = e.to_string();
    text.split(" (os error").next().unwrap_or(&text).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int_accepts_what_python_accepts() {
        assert_eq!(parse_int(" 42 "), Some(42));
        assert_eq!(parse_int("+7"), Some(7));
        assert_eq!(parse_int("-3"), Some(-3));
        assert_eq!(parse_int("1_000"), Some(1000));
        assert_eq!(parse_int("1__0"), None);
        assert_eq!(parse_int("_1"), None);
        assert_eq!(parse_int("1.5"), None);
        assert_eq!(parse_int(""), None);
        assert_eq!(parse_int("0x10"), None);
    }

    #[test]
    fn octal_accepts_prefix() {
        assert_eq!(parse_octal("022"), Some(0o22));
        assert_eq!(parse_octal("0o77"), Some(0o77));
        assert_eq!(parse_octal("8"), None);
        assert_eq!(parse_octal("abc"), None);
    }

    #[test]
    fn repr_quotes_like_python() {
        assert_eq!(repr("abc"), "'abc'");
        assert_eq!(repr("it's"), "\"it's\"");
        assert_eq!(repr("a'b\"c"), "'a\\'b\"c'");
        assert_eq!(repr("a\nb\\"), "'a\\nb\\\\'");
        assert_eq!(repr("é"), "'é'");
    }
}
