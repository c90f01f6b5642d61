//! `KEY=val,KEY2="a,b"` lists (`environment=`), read as 4.3.0's
//! `dict_of_key_value_pairs` reads them: Python's non-POSIX `shlex.shlex`
//! with `/.+-():` added to the word characters, then quotes stripped.

use std::collections::BTreeMap;

use super::datatypes::ValueError;

fn is_word(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || "/.+-():".contains(c)
}

fn is_blank(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

/// Splits `s` into tokens exactly as `list(shlex.shlex(s))` does with
/// Supervisor's extra word characters.
fn tokens(s: &str) -> Result<Vec<String>, ValueError> {
    enum State {
        Blank,
        Word,
        Quote(char),
    }
    let mut out = Vec::new();
    let mut token = String::new();
    let mut state = State::Blank;
    let mut chars = s.chars().peekable();
    loop {
        let next = chars.next();
        match state {
            State::Blank => match next {
                None => break,
                Some(c) if is_blank(c) => {}
                Some('#') => skip_line(&mut chars),
                Some(c) if is_word(c) => {
                    token.push(c);
                    state = State::Word;
                }
                Some(c @ ('\'' | '"')) => {
                    token.push(c);
                    state = State::Quote(c);
                }
                Some(c) => out.push(c.to_string()),
            },
            State::Quote(q) => match next {
                None => return Err(ValueError::NoClosingQuotation),
                Some(c) => {
                    token.push(c);
                    if c == q {
                        out.push(std::mem::take(&mut token));
                        state = State::Blank;
                    }
                }
            },
            State::Word => match next {
                None => {
                    out.push(std::mem::take(&mut token));
                    break;
                }
                Some(c) if is_blank(c) => {
                    out.push(std::mem::take(&mut token));
                    state = State::Blank;
                }
                // Non-POSIX shlex drops the rest of the line and keeps the word going.
                Some('#') => skip_line(&mut chars),
                Some(c) if is_word(c) || c == '\'' || c == '"' => token.push(c),
                Some(c) => {
                    out.push(std::mem::take(&mut token));
                    out.push(c.to_string());
                    state = State::Blank;
                }
            },
        }
    }
    Ok(out)
}

fn skip_line(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    for c in chars.by_ref() {
        if c == '\n' {
            break;
        }
    }
}

/// Parses `KEY=val,KEY2=val2` into a map, as 4.3.0 does.
pub fn parse_key_value_pairs(s: &str) -> Result<BTreeMap<String, String>, ValueError> {
    let tokens = tokens(s)?;
    let mut map = BTreeMap::new();
    let mut i = 0;
    while i < tokens.len() {
        match tokens.get(i..i + 3) {
            Some([key, eq, value]) if eq == "=" => {
                map.insert(key.clone(), value.trim_matches(['\'', '"']).to_owned());
            }
            _ => return Err(ValueError::KeyValuePairs(s.to_owned())),
        }
        // The separator between pairs may be any single token, as in 4.3.0.
        i += 4;
    }
    Ok(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(s: &str) -> Vec<(String, String)> {
        parse_key_value_pairs(s).expect("parses").into_iter().collect()
    }

    fn p(k: &str, v: &str) -> (String, String) {
        (k.to_owned(), v.to_owned())
    }

    #[test]
    fn quoted_values_keep_commas() {
        assert_eq!(pairs(r#"KEY="a,b",PATH=/usr/bin:/bin"#), vec![p("KEY", "a,b"), p("PATH", "/usr/bin:/bin")]);
        assert_eq!(pairs("A='x y', B = 2"), vec![p("A", "x y"), p("B", "2")]);
        assert_eq!(pairs(""), vec![]);
        assert_eq!(pairs("A=1;B=2"), vec![p("A", "1"), p("B", "2")]);
        assert_eq!(pairs("A=-x+(1):2."), vec![p("A", "-x+(1):2.")]);
    }

    #[test]
    fn dangling_or_unquoted_unicode_is_rejected() {
        assert_eq!(
            parse_key_value_pairs("A=1,B").unwrap_err().to_string(),
            "Unexpected end of key/value pairs in value 'A=1,B'"
        );
        // Non-ASCII is punctuation to non-POSIX shlex: 4.3.0 gives {A: caf}.
        assert_eq!(pairs("A=caf\u{e9}"), vec![p("A", "caf")]);
        assert!(parse_key_value_pairs("A=caf\u{e9},B=1").is_err());
        assert_eq!(pairs("A=\"caf\u{e9}\""), vec![p("A", "caf\u{e9}")]);
        assert_eq!(parse_key_value_pairs("A=\"x").unwrap_err().to_string(), "No closing quotation");
    }
}
