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

/// The pairs with a value (blank ones are dropped first, as Python's
/// `parse_qs` does).
fn pairs(text: &str) -> impl Iterator<Item = (String, String)> + '_ {
    text.split('&').filter_map(|p| {
        let (k, v) = p.split_once('=')?;
        (!v.is_empty()).then(|| (decode(k), decode(v)))
    })
}

/// The parameters: the first of each name in the query, then a POST
/// body's, which win (as 4.3.0 merges them).
pub fn parse(query: Option<&str>, post_body: &[u8]) -> HashMap<String, String> {
    let mut form = HashMap::new();
    for (k, v) in pairs(query.unwrap_or("")) {
        form.entry(k).or_insert(v);
    }
    for (k, v) in pairs(&String::from_utf8_lossy(post_body)) {
        form.insert(k, v);
    }
    form
}

/// The body's parameters count only for a POST.
pub fn post_body(method: &axum::http::Method, body: &[u8]) -> Vec<u8> {
    if method == axum::http::Method::POST { body.to_vec() } else { Vec::new() }
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
        // Blank values are dropped before merging.
        let form = parse(Some("action=&action=stop"), b"action=");
        assert_eq!(form.get("action").map(String::as_str), Some("stop"));
    }

    #[test]
    fn quoting_matches_urllib() {
        assert_eq!(quote("Process grp:x_1 started"), "Process%20grp%3Ax_1%20started");
        assert_eq!(quote("a/b.c-d~é"), "a/b.c-d~%C3%A9");
    }
}
