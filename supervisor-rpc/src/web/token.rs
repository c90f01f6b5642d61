//! The tokens on the page's action links: proof that a request comes from
//! a page this daemon served to these credentials, so it may act whatever
//! its `Origin`, `Referer` or `Sec-Fetch-Site` say (a reverse proxy that
//! rewrites `Host` makes the page's own links look foreign).
//!
//! A token is the hex HMAC-SHA1, keyed by a secret of 32 random bytes that
//! each daemon draws once (at the first build of the web routes; kept
//! across reloads, so an open page's links keep working), of the request's
//! `Authorization` header (the credentials, already checked; none when the
//! server has none), the action, the process name and the hour it was
//! made in (it is good for that hour and the next). Another site's page
//! cannot read ours (the same-origin policy), so it cannot learn a token,
//! and a token it saw elsewhere does only that one action on that process
//! with those credentials.

use std::io::Read;
use std::sync::OnceLock;

use axum::http::{HeaderMap, header};
use sha1::{Digest, Sha1};

/// The name of the link parameter.
pub const PARAMETER: &str = "token";

/// The daemon's secret, drawn on first use.
fn secret() -> &'static [u8; 32] {
    static SECRET: OnceLock<[u8; 32]> = OnceLock::new();
    SECRET.get_or_init(|| {
        let mut secret = [0u8; 32];
        let read = std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut secret));
        if read.is_err() {
            // No /dev/urandom (a bare chroot): std's hasher keys come from
            // the kernel's getrandom(2) once per thread (each later
            // `RandomState` of the thread adds one to them): 128 bits.
            use std::hash::{BuildHasher, Hasher};
            for (i, chunk) in secret.chunks_mut(8).enumerate() {
                let mut h = std::collections::hash_map::RandomState::new().build_hasher();
                h.write_usize(i);
                chunk.copy_from_slice(&h.finish().to_le_bytes());
            }
        }
        secret
    })
}

/// Draws the secret now, so the first page is not the one to wait for it.
pub fn init() {
    secret();
}

/// HMAC-SHA1 (RFC 2104) of `message` under `key` (at most 64 bytes).
fn hmac_sha1(key: &[u8], message: &[u8]) -> [u8; 20] {
    let mut block = [0u8; 64];
    block[..key.len()].copy_from_slice(key);
    let mut inner = Sha1::new();
    inner.update(block.map(|b| b ^ 0x36));
    inner.update(message);
    let mut outer = Sha1::new();
    outer.update(block.map(|b| b ^ 0x5c));
    outer.update(inner.finalize());
    let mut out = [0u8; 20];
    out.copy_from_slice(&outer.finalize());
    out
}

/// How long a token stays good: it is made for the hour it is served in
/// and accepted in that hour and the next, so a link that leaks (an access
/// log, a browser's history) soon stops working.
const HOUR: u64 = 3600;

fn this_hour() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() / HOUR)
}

/// The token for `action` on `name` (empty for the actions on all) asked
/// with `headers`' credentials, in this hour.
pub fn token(headers: &HeaderMap, action: &str, name: &str) -> String {
    token_for(headers, action, name, this_hour())
}

fn token_for(headers: &HeaderMap, action: &str, name: &str, hour: u64) -> String {
    let authorization = headers.get(header::AUTHORIZATION).map_or(&b""[..], |v| v.as_bytes());
    let hour = hour.to_be_bytes();
    // Each field with its length first, so none can run into the next.
    let mut message = Vec::with_capacity(80 + authorization.len() + action.len() + name.len());
    for field in [&b"supervisor web action"[..], authorization, action.as_bytes(), name.as_bytes(), &hour] {
        message.extend_from_slice(&(field.len() as u64).to_be_bytes());
        message.extend_from_slice(field);
    }
    hmac_sha1(secret(), &message).iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether `given` is the token for `action` on `name` with `headers`'
/// credentials, made this hour or the one before (compared in constant
/// time).
pub fn valid(headers: &HeaderMap, action: &str, name: &str, given: &str) -> bool {
    let hour = this_hour();
    [hour, hour.saturating_sub(1)].iter().any(|&h| same(&token_for(headers, action, name, h), given))
}

fn same(want: &str, given: &str) -> bool {
    want.len() == given.len() && want.bytes().zip(given.bytes()).fold(0u8, |d, (a, b)| d | (a ^ b)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn hmac_matches_rfc_2202() {
        let hex = |d: [u8; 20]| d.iter().map(|b| format!("{b:02x}")).collect::<String>();
        assert_eq!(
            hex(hmac_sha1(b"Jefe", b"what do ya want for nothing?")),
            "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"
        );
        assert_eq!(hex(hmac_sha1(&[0x0b; 20], b"Hi There")), "b617318655057264e28bc0b6fb378c8ef146be00");
    }

    #[test]
    fn a_token_is_bound_to_the_credentials_the_action_and_the_process() {
        let mut user = HeaderMap::new();
        user.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic dXNlcjpwYXNz"));
        let mut other = HeaderMap::new();
        other.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic b3RoZXI6cGFzcw=="));
        let t = token(&user, "stop", "x");
        assert_eq!(t.len(), 40);
        assert!(valid(&user, "stop", "x", &t));
        assert!(!valid(&other, "stop", "x", &t), "other credentials");
        assert!(!valid(&HeaderMap::new(), "stop", "x", &t), "no credentials");
        assert!(!valid(&user, "start", "x", &t), "another action");
        assert!(!valid(&user, "stop", "y", &t), "another process");
        assert!(!valid(&user, "stop", "x", &t[..39]));
        assert!(!valid(&user, "stop", "x", ""));
        // Fields cannot be shifted into one another.
        assert_ne!(token(&user, "stopx", ""), token(&user, "stop", "x"));
    }

    #[test]
    fn a_token_is_good_for_its_hour_and_the_next_only() {
        let headers = HeaderMap::new();
        let hour = this_hour();
        assert!(valid(&headers, "stop", "x", &token_for(&headers, "stop", "x", hour)));
        assert!(valid(&headers, "stop", "x", &token_for(&headers, "stop", "x", hour - 1)));
        assert!(!valid(&headers, "stop", "x", &token_for(&headers, "stop", "x", hour - 2)));
    }
}
