//! Events as listeners receive them: 4.3.0's type names, payload texts and
//! the `ver:3.0 ...` envelope.

use super::{Channel, Event, EventType};
use crate::process::{ProcessState, SupervisorState};

/// An event's type and payload text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    /// The concrete type.
    pub kind: EventType,
    /// The payload, exactly as 4.3.0 formats it.
    pub payload: String,
}

fn state_type(state: ProcessState) -> EventType {
    match state {
        ProcessState::Stopped => EventType::ProcessStateStopped,
        ProcessState::Starting => EventType::ProcessStateStarting,
        ProcessState::Running => EventType::ProcessStateRunning,
        ProcessState::Backoff => EventType::ProcessStateBackoff,
        ProcessState::Stopping => EventType::ProcessStateStopping,
        ProcessState::Exited => EventType::ProcessStateExited,
        ProcessState::Fatal => EventType::ProcessStateFatal,
        ProcessState::Unknown => EventType::ProcessStateUnknown,
    }
}

/// Output text as 4.3.0 puts it in a payload: UTF-8, or `Undecodable: b'...'`.
fn text(data: &[u8]) -> String {
    match std::str::from_utf8(data) {
        Ok(t) => t.to_owned(),
        Err(_) => {
            let escaped: String = data
                .iter()
                .map(|&b| match b {
                    b'\\' => "\\\\".to_owned(),
                    b'\'' => "\\'".to_owned(),
                    b'\n' => "\\n".to_owned(),
                    b'\r' => "\\r".to_owned(),
                    b'\t' => "\\t".to_owned(),
                    0x20..=0x7e => (b as char).to_string(),
                    _ => format!("\\x{b:02x}"),
                })
                .collect();
            format!("Undecodable: b'{escaped}'")
        }
    }
}

/// The notification a listener gets for `event`. Output events are always
/// produced here; whether a process's `*_events_enabled` allows them is the
/// caller's to check.
pub fn notification(event: &Event) -> Notification {
    let (kind, payload) = match event {
        Event::ProcessState { group, name, transition: t } => {
            let mut payload = format!("processname:{name} groupname:{group} from_state:{}", t.from.name());
            match t.to {
                ProcessState::Starting | ProcessState::Backoff => payload.push_str(&format!(" tries:{}", t.tries)),
                ProcessState::Exited => payload.push_str(&format!(" expected:{} pid:{}", u8::from(t.expected), t.pid)),
                ProcessState::Running | ProcessState::Stopping | ProcessState::Stopped => {
                    payload.push_str(&format!(" pid:{}", t.pid))
                }
                ProcessState::Fatal | ProcessState::Unknown => {}
            }
            (state_type(t.to), payload)
        }
        Event::ProcessLog { group, name, pid, channel, data } => {
            let kind = match channel {
                Channel::Stdout => EventType::ProcessLogStdout,
                Channel::Stderr => EventType::ProcessLogStderr,
            };
            (kind, format!("processname:{name} groupname:{group} pid:{pid} channel:{}\n{}", channel.name(), text(data)))
        }
        Event::ProcessCommunication { group, name, pid, channel, data } => {
            let kind = match channel {
                Channel::Stdout => EventType::ProcessCommunicationStdout,
                Channel::Stderr => EventType::ProcessCommunicationStderr,
            };
            (kind, format!("processname:{name} groupname:{group} pid:{pid}\n{}", text(data)))
        }
        Event::SupervisorState(SupervisorState::Running) => (EventType::SupervisorStateChangeRunning, String::new()),
        Event::SupervisorState(_) => (EventType::SupervisorStateChangeStopping, String::new()),
        Event::GroupAdded(g) => (EventType::ProcessGroupAdded, format!("groupname:{g}\n")),
        Event::GroupRemoved(g) => (EventType::ProcessGroupRemoved, format!("groupname:{g}\n")),
        Event::Tick { kind, when } => (*kind, format!("when:{when}")),
        Event::RemoteCommunication { kind, data } => (EventType::RemoteCommunication, format!("type:{kind}\n{data}")),
    };
    Notification { kind, payload }
}

/// How `len:` counts the payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LenUnit {
    /// Characters, as 4.3.0 counts (its Python listeners read text).
    #[default]
    Characters,
    /// Bytes, as the protocol documentation and non-Python listeners expect.
    Bytes,
}

/// The header line and payload written to a listener's stdin.
pub fn envelope(
    identifier: &str,
    serial: u64,
    pool: &str,
    pool_serial: u64,
    n: &Notification,
    unit: LenUnit,
) -> String {
    let len = match unit {
        LenUnit::Characters => n.payload.chars().count(),
        LenUnit::Bytes => n.payload.len(),
    };
    format!(
        "ver:3.0 server:{identifier} serial:{serial} pool:{pool} poolserial:{pool_serial} eventname:{} len:{len}\n{}",
        n.kind.name(),
        n.payload
    )
}

/// 4.3.0's `timeslice`: the start of the `period`-second slice holding `when`.
pub fn timeslice(period: u64, when: u64) -> u64 {
    when - when % period
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::process::Transition;

    fn state(from: ProcessState, to: ProcessState, expected: bool) -> Event {
        Event::ProcessState {
            group: "g".into(),
            name: "p".into(),
            transition: Transition { from, to, expected, pid: 42, tries: 2, exitstatus: None },
        }
    }

    #[test]
    fn state_payloads_carry_4_3_0s_extras() {
        let n = notification(&state(ProcessState::Stopped, ProcessState::Starting, true));
        assert_eq!(
            (n.kind, n.payload.as_str()),
            (EventType::ProcessStateStarting, "processname:p groupname:g from_state:STOPPED tries:2")
        );
        let n = notification(&state(ProcessState::Running, ProcessState::Exited, false));
        assert_eq!(n.payload, "processname:p groupname:g from_state:RUNNING expected:0 pid:42");
        let n = notification(&state(ProcessState::Starting, ProcessState::Running, true));
        assert_eq!(n.payload, "processname:p groupname:g from_state:STARTING pid:42");
        let n = notification(&state(ProcessState::Backoff, ProcessState::Fatal, true));
        assert_eq!(
            (n.kind, n.payload.as_str()),
            (EventType::ProcessStateFatal, "processname:p groupname:g from_state:BACKOFF")
        );
    }

    #[test]
    fn other_payloads() {
        let log = Event::ProcessLog {
            group: "g".into(),
            name: "p".into(),
            pid: 7,
            channel: Channel::Stderr,
            data: b"oops\n".to_vec(),
        };
        assert_eq!(notification(&log).payload, "processname:p groupname:g pid:7 channel:stderr\noops\n");
        let bad = Event::ProcessLog {
            group: "g".into(),
            name: "p".into(),
            pid: 7,
            channel: Channel::Stdout,
            data: vec![0xff, b'a'],
        };
        assert!(notification(&bad).payload.ends_with("\nUndecodable: b'\\xffa'"));
        assert_eq!(notification(&Event::GroupAdded("web".into())).payload, "groupname:web\n");
        assert_eq!(notification(&Event::Tick { kind: EventType::Tick60, when: 120 }).payload, "when:120");
        let remote = Event::RemoteCommunication { kind: "t".into(), data: "d".into() };
        assert_eq!(notification(&remote).payload, "type:t\nd");
        assert_eq!(
            notification(&Event::SupervisorState(SupervisorState::Running)).kind,
            EventType::SupervisorStateChangeRunning
        );
        assert_eq!(timeslice(5, 1_700_000_003), 1_700_000_000);
    }

    #[test]
    fn envelope_counts_characters_or_bytes() {
        let n = Notification { kind: EventType::RemoteCommunication, payload: "type:x\nhéllo".into() };
        assert_eq!(
            envelope("supervisor", 3, "pool", 1, &n, LenUnit::Characters),
            "ver:3.0 server:supervisor serial:3 pool:pool poolserial:1 eventname:REMOTE_COMMUNICATION len:12\ntype:x\nhéllo"
        );
        assert!(envelope("s", 3, "pool", 1, &n, LenUnit::Bytes).contains(" len:13\n"));
    }
}
