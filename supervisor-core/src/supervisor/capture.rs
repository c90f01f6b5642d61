//! Capture mode (`*_capture_maxbytes`): output between
//! `<!--XSUPERVISOR:BEGIN-->` and `<!--XSUPERVISOR:END-->` is kept out of
//! the log and becomes a PROCESS_COMMUNICATION event, as 4.3.0's
//! `POutputDispatcher.record_output` splits it.

const BEGIN: &[u8] = b"<!--XSUPERVISOR:BEGIN-->";
const END: &[u8] = b"<!--XSUPERVISOR:END-->";

/// What a chunk of output turned into.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Piece {
    /// Ordinary output, for the log.
    Normal(Vec<u8>),
    /// Output going into the capture (as 4.3.0, it is still logged at
    /// DEBG and sent as an output event).
    Capturing(Vec<u8>),
    /// A finished capture: the event's data.
    Captured(Vec<u8>),
}

/// The capture state of one channel.
#[derive(Debug, Default)]
pub(crate) struct Capture {
    capturing: bool,
    pending: Vec<u8>,
    buf: Vec<u8>,
    maxbytes: usize,
}

/// How much of `needle`'s start `haystack` ends with (4.3.0's `find_prefix_at_end`).
fn prefix_at_end(haystack: &[u8], needle: &[u8]) -> usize {
    let mut l = needle.len() - 1;
    while l > 0 && !haystack.ends_with(&needle[..l]) {
        l -= 1;
    }
    l
}

impl Capture {
    pub fn new(maxbytes: usize) -> Capture {
        Capture { maxbytes, ..Capture::default() }
    }

    fn log(&mut self, data: Vec<u8>, out: &mut Vec<Piece>) {
        if data.is_empty() {
            return;
        }
        if self.capturing {
            // BoundIO: drop as many bytes from the front as arrive.
            if self.buf.len() + data.len() > self.maxbytes {
                let drop = data.len().min(self.buf.len());
                self.buf.drain(..drop);
            }
            self.buf.extend_from_slice(&data);
            out.push(Piece::Capturing(data));
        } else {
            out.push(Piece::Normal(data));
        }
    }

    /// Splits a chunk of output.
    pub fn feed(&mut self, data: &[u8]) -> Vec<Piece> {
        self.pending.extend_from_slice(data);
        let mut out = Vec::new();
        loop {
            let token = if self.capturing { END } else { BEGIN };
            if self.pending.len() <= token.len() {
                break;
            }
            let mut data = std::mem::take(&mut self.pending);
            match data.windows(token.len()).position(|w| w == token) {
                None => {
                    let keep = prefix_at_end(&data, token);
                    if keep > 0 {
                        self.pending = data.split_off(data.len() - keep);
                    }
                    self.log(data, &mut out);
                    break;
                }
                Some(at) => {
                    let after = data.split_off(at + token.len());
                    data.truncate(at);
                    self.log(data, &mut out);
                    self.capturing = !self.capturing;
                    if !self.capturing {
                        out.push(Piece::Captured(std::mem::take(&mut self.buf)));
                    }
                    self.pending = after;
                    if self.pending.is_empty() {
                        break;
                    }
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn normal(s: &str) -> Piece {
        Piece::Normal(s.as_bytes().to_vec())
    }

    #[test]
    fn captures_between_tokens() {
        let mut c = Capture::new(100);
        // Like 4.3.0, output shorter than the next token waits for more.
        let out = c.feed(b"before <!--XSUPERVISOR:BEGIN-->secret<!--XSUPERVISOR:END--> after");
        let secret = b"secret".to_vec();
        assert_eq!(out, vec![normal("before "), Piece::Capturing(secret.clone()), Piece::Captured(secret)]);
        assert_eq!(
            c.feed(b" and enough text to pass the token"),
            vec![normal(" after and enough text to pass the token")]
        );
    }

    #[test]
    fn tokens_split_across_reads() {
        let mut c = Capture::new(100);
        let mut out = c.feed(b"x <!--XSUPER");
        out.extend(c.feed(b"VISOR:BEGIN-->payload<!--XSUPERVISOR:E"));
        out.extend(c.feed(b"ND--> y and some padding to pass the token"));
        let payload = b"payload".to_vec();
        assert_eq!(
            out,
            vec![
                normal("x "),
                Piece::Capturing(payload.clone()),
                Piece::Captured(payload),
                normal(" y and some padding to pass the token")
            ]
        );
    }

    #[test]
    fn the_capture_is_bounded_as_boundio_bounds_it() {
        // 4.3.0's BoundIO drops as many old bytes as each write brings.
        let mut c = Capture::new(4);
        let out = c.feed(&[b"<!--XSUPERVISOR:BEGIN-->".as_slice(), &[b'a'; 30]].concat());
        assert!(out.iter().all(|p| matches!(p, Piece::Capturing(_))), "{out:?}");
        let out = c.feed(&[b"bb<!--XSUPERVISOR:END-->".as_slice(), &[b'z'; 30]].concat());
        let want = [vec![b'a'; 28], b"bb".to_vec()].concat();
        assert_eq!(out[1], Piece::Captured(want));
    }
}
