//! One event listener's side of the protocol, as 4.3.0's
//! `PEventListenerDispatcher` reads it: `READY\n`, then after an event
//! `RESULT <n>\n<n bytes>`; anything else is a violation.

/// A listener's protocol state (4.3.0's `EventListenerStates`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ListenerState {
    /// Can take an event.
    Ready,
    /// Processing one.
    Busy,
    /// Answered; must say READY again.
    Acknowledged,
    /// Broke the protocol; gets nothing more.
    Unknown,
}

impl ListenerState {
    /// The name 4.3.0's log lines use (`getEventListenerStateDescription`).
    pub fn description(self) -> &'static str {
        match self {
            ListenerState::Ready => "READY",
            ListenerState::Busy => "BUSY",
            ListenerState::Acknowledged => "ACKNOWLEDGED",
            ListenerState::Unknown => "UNKNOWN",
        }
    }
}

/// What reading a listener's output led to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// It said READY.
    Ready,
    /// It accepted the event it had (`RESULT 2\nOK`).
    Accepted,
    /// It rejected it; the event goes back to the head of the buffer.
    Rejected,
    /// It broke the protocol; `requeue` when it held an event.
    Violation {
        /// The state it was in (4.3.0 logs `name: FROM -> UNKNOWN`).
        from: ListenerState,
        /// The warning line for supervisord's log, if 4.3.0 writes one
        /// besides the UNKNOWN line.
        warning: Option<String>,
        /// Whether an event it held must be sent again.
        requeue: bool,
    },
}

/// The protocol parser for one listener process.
#[derive(Debug, Clone)]
pub struct Listener {
    state: ListenerState,
    buffer: Vec<u8>,
    result_len: Option<usize>,
    result: Vec<u8>,
}

impl Default for Listener {
    fn default() -> Self {
        Listener { state: ListenerState::Acknowledged, buffer: Vec::new(), result_len: None, result: Vec::new() }
    }
}

const READY: &[u8] = b"READY\n";
/// A result line or body longer than this is a violation (4.3.0 has no
/// limit, so a flooding listener grows its memory without bound).
const MAX_RESULT: usize = 1 << 20;
const RESULT_PREFIX_LEN: usize = b"RESULT ".len();

impl Listener {
    /// The current state.
    pub fn state(&self) -> ListenerState {
        self.state
    }

    /// An event was written to it.
    pub fn sent(&mut self) {
        self.state = ListenerState::Busy;
    }

    /// Feeds output from its stdout; returns what happened, in order.
    pub fn feed(&mut self, data: &[u8]) -> Vec<Outcome> {
        self.buffer.extend_from_slice(data);
        let mut out = Vec::new();
        self.step(&mut out);
        out
    }

    fn violate(&mut self, warning: Option<String>, out: &mut Vec<Outcome>) {
        let from = self.state;
        let requeue = from == ListenerState::Busy;
        self.state = ListenerState::Unknown;
        self.buffer.clear();
        self.result.clear();
        self.result_len = None;
        out.push(Outcome::Violation { from, warning, requeue });
    }

    fn step(&mut self, out: &mut Vec<Outcome>) {
        while !self.buffer.is_empty() {
            match self.state {
                ListenerState::Unknown => {
                    self.buffer.clear();
                    return;
                }
                ListenerState::Acknowledged => {
                    if self.buffer.len() < READY.len() {
                        return;
                    }
                    if self.buffer.starts_with(READY) {
                        self.buffer.drain(..READY.len());
                        self.state = ListenerState::Ready;
                        out.push(Outcome::Ready);
                    } else {
                        self.violate(None, out);
                        return;
                    }
                }
                ListenerState::Ready => {
                    self.violate(None, out);
                    return;
                }
                ListenerState::Busy => match self.result_len {
                    None => {
                        let Some(pos) = self.buffer.iter().position(|&b| b == b'\n') else {
                            if self.buffer.len() > MAX_RESULT {
                                self.violate(Some("result line too long".into()), out);
                            }
                            return;
                        };
                        let line: Vec<u8> = self.buffer.drain(..=pos).take(pos).collect();
                        // 4.3.0 skips the first 7 bytes without checking them.
                        let digits = String::from_utf8_lossy(line.get(RESULT_PREFIX_LEN..).unwrap_or(&[])).into_owned();
                        match digits.trim().parse::<usize>() {
                            Ok(n) if n <= MAX_RESULT => self.result_len = Some(n),
                            _ => {
                                let shown = String::from_utf8_lossy(&line).into_owned();
                                self.violate(Some(format!("bad result line: '{shown}'")), out);
                                return;
                            }
                        }
                    }
                    Some(len) => {
                        let needed = len - self.result.len();
                        let take = needed.min(self.buffer.len());
                        self.result.extend(self.buffer.drain(..take));
                        if self.result.len() < len {
                            return;
                        }
                        let ok = self.result == b"OK";
                        self.result.clear();
                        self.result_len = None;
                        self.state = ListenerState::Acknowledged;
                        out.push(if ok { Outcome::Accepted } else { Outcome::Rejected });
                    }
                },
            }
        }
        // A zero-length result completes only when more output arrives, as in 4.3.0.
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_happy_path_in_one_read_or_many() {
        let mut l = Listener::default();
        assert_eq!(l.feed(b"REA"), vec![]);
        assert_eq!(l.feed(b"DY\n"), vec![Outcome::Ready]);
        l.sent();
        assert_eq!(l.feed(b"RESULT 2\nOKREADY\n"), vec![Outcome::Accepted, Outcome::Ready]);
        l.sent();
        assert_eq!(l.feed(b"RESULT 4\nFA"), vec![]);
        assert_eq!(l.feed(b"IL"), vec![Outcome::Rejected]);
        assert_eq!(l.state(), ListenerState::Acknowledged);
    }

    #[test]
    fn floods_are_violations() {
        let mut l = Listener::default();
        l.feed(b"READY\n");
        l.sent();
        let out = l.feed(&vec![b'x'; MAX_RESULT + 1]);
        assert!(matches!(out.as_slice(), [Outcome::Violation { requeue: true, .. }]));
        let mut l = Listener::default();
        l.feed(b"READY\n");
        l.sent();
        assert!(matches!(l.feed(b"RESULT 99999999999\n").as_slice(), [Outcome::Violation { .. }]));
    }

    #[test]
    fn violations() {
        let mut l = Listener::default();
        let from = ListenerState::Acknowledged;
        assert_eq!(l.feed(b"HELLO!\n"), vec![Outcome::Violation { from, warning: None, requeue: false }]);
        assert_eq!(l.state(), ListenerState::Unknown);
        assert_eq!(l.feed(b"READY\n"), vec![], "UNKNOWN gets nothing more");

        let mut l = Listener::default();
        l.feed(b"READY\n");
        let from = ListenerState::Ready;
        assert_eq!(l.feed(b"x"), vec![Outcome::Violation { from, warning: None, requeue: false }], "data while READY");

        let mut l = Listener::default();
        l.feed(b"READY\n");
        l.sent();
        assert_eq!(
            l.feed(b"RESULT two\n"),
            vec![Outcome::Violation {
                from: ListenerState::Busy,
                warning: Some("bad result line: 'RESULT two'".into()),
                requeue: true
            }]
        );
    }
}
