//! `strip_ansi`: 4.3.0's `stripEscapes`, applied to each chunk of output.

const TERMINATORS: &[u8] = b"HfABCDRsuJKhlpm";

/// Removes ANSI escapes (`ESC [` up to a terminator letter) from `data`.
/// Like 4.3.0 it works per chunk: an escape split across reads is not seen.
///
/// ```
/// use supervisor_core::logging::strip_escapes;
/// assert_eq!(strip_escapes(b"\x1b[31mred\x1b[0m plain"), b"red plain");
/// ```
pub fn strip_escapes(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len());
    let mut i = 0;
    while i < data.len() {
        match data[i..].windows(2).position(|w| w == b"\x1b[") {
            None => {
                out.extend_from_slice(&data[i..]);
                break;
            }
            Some(at) => {
                out.extend_from_slice(&data[i..i + at]);
                i += at + 1;
                while i < data.len() && !TERMINATORS.contains(&data[i]) {
                    i += 1;
                }
                i += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_like_4_3_0() {
        assert_eq!(strip_escapes(b"plain"), b"plain");
        assert_eq!(strip_escapes(b"a\x1b[1;32mb\x1b[Kc"), b"abc");
        assert_eq!(strip_escapes(b"cut \x1b[31"), b"cut ");
        assert_eq!(strip_escapes(b"\x1b[2J\x1b[Hscreen"), b"screen");
    }
}
