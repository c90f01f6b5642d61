//! The page's parameters: the query string and, for a POST, a
//! `x-www-form-urlencoded` body, as 4.3.0 reads them.

use std::collections::HashMap;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};

/// What Python's `urllib.parse.quote` leaves alone: letters, digits, `_.-~`
/// and `/`.
const QUOTE: &AsciiSet = &NON_ALPHANUMERIC.remove(b'_').remove(b'.').remove(b'-').remove(b'~').remove(b'/');

/// `text` as `urllib.parse.quote` writes it.
pub fn quote(text: &str) -> String {
    utf8_percent_encode(text, QUOTE).to_string()
}

fn decode(text: &str) -> String {
    percent_decode_str(&text.replace('+', " ")).decode_utf8_lossy().into_owned()
}

fn pairs(text: &str) -> impl Iterator<Item = (String, String)> + '_ {
    text.split('&').filter(|p| !p.is_empty()).map(|p| {
        let (k, v) = p.split_once('=').unwrap_or((p, ""));
        (decode(k), decode(v))
    })
}

/// The parameters: the first of each name in the query, then the body's,
/// which win (as 4.3.0 merges them). Empty values count as absent.
pub fn parse(query: Option<&str>, body: &[u8]) -> HashMap<String, String> {
    let mut form = HashMap::new();
    for (k, v) in pairs(query.unwrap_or("")) {
        form.entry(k).or_insert(v);
    }
    for (k, v) in pairs(&String::from_utf8_lossy(body)) {
        form.insert(k, v);
    }
    form.retain(|_, v| !v.is_empty());
    form
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_and_body_merge_as_in_4_3_0() {
        let form = parse(Some("processname=a%3Ab&action=stop&action=start&message="), b"action=restart+now");
        assert_eq!(form.get("processname").map(String::as_str), Some("a:b"));
        assert_eq!(form.get("action").map(String::as_str), Some("restart now"));
        assert_eq!(form.get("message"), None);
    }

    #[test]
    fn quoting_matches_urllib() {
        assert_eq!(quote("Process grp:x_1 started"), "Process%20grp%3Ax_1%20started");
        assert_eq!(quote("a/b.c-d~é"), "a/b.c-d~%C3%A9");
    }
}
