//! supervisord's answers as typed values, decoded from XML-RPC. Decoding
//! is strict: a missing member, or one of another type, is an error rather
//! than a default, since a default would be shown as if the server had
//! said it.

use std::collections::BTreeMap;

use dxr::Value;

use crate::codes::{Fault, ProcessState, SupervisorState};

/// Why a value is not what was expected, said from the outside in
/// (`item 2: member "pid": an int expected, a string found`).
pub(crate) type Mismatch = String;

/// A type an answer decodes into.
pub(crate) trait FromValue: Sized {
    fn from_value(value: Value) -> Result<Self, Mismatch>;
}

/// The XML-RPC type of `value`, for messages.
fn kind(value: &Value) -> &'static str {
    match value {
        Value::Integer(_) => "an int",
        Value::Boolean(_) => "a boolean",
        Value::String(_) => "a string",
        Value::Double(_) => "a double",
        Value::DateTime(_) => "a dateTime",
        Value::Base64(_) => "base64 data",
        Value::Struct(_) => "a struct",
        Value::Array(_) => "an array",
        _ => "another type",
    }
}

fn expected(what: &str, found: &Value) -> Mismatch {
    format!("{what} expected, {} found", kind(found))
}

impl FromValue for Value {
    fn from_value(value: Value) -> Result<Self, Mismatch> {
        Ok(value)
    }
}

impl FromValue for String {
    fn from_value(value: Value) -> Result<Self, Mismatch> {
        match value {
            Value::String(s) => Ok(s),
            other => Err(expected("a string", &other)),
        }
    }
}

impl FromValue for bool {
    fn from_value(value: Value) -> Result<Self, Mismatch> {
        match value {
            Value::Boolean(b) => Ok(b),
            other => Err(expected("a boolean", &other)),
        }
    }
}

impl FromValue for i32 {
    fn from_value(value: Value) -> Result<Self, Mismatch> {
        match value {
            Value::Integer(n) => Ok(n),
            other => Err(expected("an int", &other)),
        }
    }
}

impl FromValue for i64 {
    fn from_value(value: Value) -> Result<Self, Mismatch> {
        i32::from_value(value).map(i64::from)
    }
}

impl<T: FromValue> FromValue for Vec<T> {
    fn from_value(value: Value) -> Result<Self, Mismatch> {
        match value {
            Value::Array(items) => items
                .into_iter()
                .enumerate()
                .map(|(i, item)| T::from_value(item).map_err(|e| format!("item {i}: {e}")))
                .collect(),
            other => Err(expected("an array", &other)),
        }
    }
}

/// A struct's members, taken out one by one.
struct Members(BTreeMap<String, Value>);

impl Members {
    fn of(value: Value) -> Result<Members, Mismatch> {
        match value {
            Value::Struct(members) => Ok(Members(members)),
            other => Err(expected("a struct", &other)),
        }
    }

    fn take<T: FromValue>(&mut self, key: &str) -> Result<T, Mismatch> {
        let value = self.0.remove(key).ok_or_else(|| format!("no member {key:?}"))?;
        T::from_value(value).map_err(|e| format!("member {key:?}: {e}"))
    }
}

/// An array of exactly `N` items.
fn items<const N: usize>(value: Value) -> Result<[Value; N], Mismatch> {
    match value {
        Value::Array(items) => {
            let found = items.len();
            items.try_into().map_err(|_| format!("an array of {N} expected, {found} items found"))
        }
        other => Err(expected("an array", &other)),
    }
}

/// One process as `getProcessInfo` (and, for each, `getAllProcessInfo`)
/// describes it: every member 4.3.0 sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteProcessInfo {
    /// The process name.
    pub name: String,
    /// Its group's name.
    pub group: String,
    /// What `status` shows after the state (`pid 42, uptime 0:01:02`).
    pub description: String,
    /// When it was last started (Unix time; 0 if never).
    pub start: i64,
    /// When it last stopped (Unix time; 0 if never).
    pub stop: i64,
    /// The server's clock when it answered.
    pub now: i64,
    /// The state's code; see [`RemoteProcessInfo::process_state`].
    pub state: i32,
    /// The state's name (`RUNNING`).
    pub statename: String,
    /// Why the last spawn failed, or empty.
    pub spawnerr: String,
    /// The last exit status.
    pub exitstatus: i32,
    /// The stdout log file (4.3.0's older name for it).
    pub logfile: String,
    /// The stdout log file, or empty.
    pub stdout_logfile: String,
    /// The stderr log file, or empty.
    pub stderr_logfile: String,
    /// The pid, 0 when not running.
    pub pid: i32,
}

impl RemoteProcessInfo {
    /// The state, if the code is one 4.3.0 defines.
    pub fn process_state(&self) -> Option<ProcessState> {
        ProcessState::from_code(self.state)
    }
}

impl FromValue for RemoteProcessInfo {
    fn from_value(value: Value) -> Result<Self, Mismatch> {
        let mut m = Members::of(value)?;
        Ok(RemoteProcessInfo {
            name: m.take("name")?,
            group: m.take("group")?,
            description: m.take("description")?,
            start: m.take("start")?,
            stop: m.take("stop")?,
            now: m.take("now")?,
            state: m.take("state")?,
            statename: m.take("statename")?,
            spawnerr: m.take("spawnerr")?,
            exitstatus: m.take("exitstatus")?,
            logfile: m.take("logfile")?,
            stdout_logfile: m.take("stdout_logfile")?,
            stderr_logfile: m.take("stderr_logfile")?,
            pid: m.take("pid")?,
        })
    }
}

/// What happened to one process in a call on several (`startProcessGroup`,
/// `stopAllProcesses`, `signalProcessGroup`, `clearAllProcessLogs`, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteResult {
    /// The process name.
    pub name: String,
    /// Its group's name.
    pub group: String,
    /// A fault code: [`Fault::Success`]'s when it worked.
    pub status: i32,
    /// `OK`, or the fault's string.
    pub description: String,
}

impl RemoteResult {
    /// The status as a fault ([`Fault::Success`] when it worked), if the
    /// code is one 4.3.0 defines.
    pub fn fault(&self) -> Option<Fault> {
        Fault::from_code(self.status)
    }
}

impl FromValue for RemoteResult {
    fn from_value(value: Value) -> Result<Self, Mismatch> {
        let mut m = Members::of(value)?;
        Ok(RemoteResult {
            name: m.take("name")?,
            group: m.take("group")?,
            status: m.take("status")?,
            description: m.take("description")?,
        })
    }
}

/// One process's configuration as `getAllConfigInfo` describes it: the
/// members supervisorctl reads, typed, and the rest as sent.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigInfo {
    /// The process name.
    pub name: String,
    /// Its group's name.
    pub group: String,
    /// Whether the group is in use (added), not only configured.
    pub inuse: bool,
    /// `autostart`.
    pub autostart: bool,
    /// The group's `priority`.
    pub group_prio: i32,
    /// The process's `priority`.
    pub process_prio: i32,
    /// Every other member (`command`, `directory`, `uid`, the log
    /// settings, ...). Kept as sent: 4.3.0 writes `auto` or `none` for some
    /// settings in place of a value of their type.
    pub other: BTreeMap<String, Value>,
}

impl FromValue for ConfigInfo {
    fn from_value(value: Value) -> Result<Self, Mismatch> {
        let mut m = Members::of(value)?;
        Ok(ConfigInfo {
            name: m.take("name")?,
            group: m.take("group")?,
            inuse: m.take("inuse")?,
            autostart: m.take("autostart")?,
            group_prio: m.take("group_prio")?,
            process_prio: m.take("process_prio")?,
            other: m.0,
        })
    }
}

/// supervisord's own state, as `getState` gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteState {
    /// The state's code; see [`RemoteState::state`].
    pub statecode: i32,
    /// The state's name (`RUNNING`).
    pub statename: String,
}

impl RemoteState {
    /// The state, if the code is one 4.3.0 defines.
    pub fn state(&self) -> Option<SupervisorState> {
        SupervisorState::from_code(self.statecode)
    }
}

impl FromValue for RemoteState {
    fn from_value(value: Value) -> Result<Self, Mismatch> {
        let mut m = Members::of(value)?;
        Ok(RemoteState { statecode: m.take("statecode")?, statename: m.take("statename")? })
    }
}

/// The groups `reloadConfig` found changed in the config file since it
/// was last read (4.3.0 answers `[[added, changed, removed]]`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfigChanges {
    /// Groups new in the file.
    pub added: Vec<String>,
    /// Groups whose settings changed.
    pub changed: Vec<String>,
    /// Groups gone from the file.
    pub removed: Vec<String>,
}

impl FromValue for ConfigChanges {
    fn from_value(value: Value) -> Result<Self, Mismatch> {
        let [inner] = items::<1>(value)?;
        let [added, changed, removed] = items::<3>(inner).map_err(|e| format!("item 0: {e}"))?;
        let names = |i: usize, v: Value| Vec::<String>::from_value(v).map_err(|e| format!("item 0: item {i}: {e}"));
        Ok(ConfigChanges { added: names(0, added)?, changed: names(1, changed)?, removed: names(2, removed)? })
    }
}

/// A chunk of a process log from `tailProcessStdoutLog` or
/// `tailProcessStderrLog`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogTail {
    /// The text read.
    pub bytes: String,
    /// Where to ask from next time.
    pub offset: i64,
    /// Whether more was written than asked for, and skipped.
    pub overflow: bool,
}

impl FromValue for LogTail {
    fn from_value(value: Value) -> Result<Self, Mismatch> {
        let [bytes, offset, overflow] = items::<3>(value)?;
        Ok(LogTail {
            bytes: String::from_value(bytes).map_err(|e| format!("item 0: {e}"))?,
            offset: i64::from_value(offset).map_err(|e| format!("item 1: {e}"))?,
            overflow: bool::from_value(overflow).map_err(|e| format!("item 2: {e}"))?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::{method_response, parse_response};

    fn s(text: &str) -> Value {
        Value::String(text.to_owned())
    }

    fn members(pairs: &[(&str, Value)]) -> Value {
        Value::Struct(pairs.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect())
    }

    fn info() -> Vec<(&'static str, Value)> {
        vec![
            ("name", s("b")),
            ("group", s("g")),
            ("description", s("pid 42, uptime 0:00:05")),
            ("start", Value::Integer(1000)),
            ("stop", Value::Integer(0)),
            ("now", Value::Integer(1005)),
            ("state", Value::Integer(20)),
            ("statename", s("RUNNING")),
            ("spawnerr", s("")),
            ("exitstatus", Value::Integer(0)),
            ("logfile", s("/l/out")),
            ("stdout_logfile", s("/l/out")),
            ("stderr_logfile", s("")),
            ("pid", Value::Integer(42)),
        ]
    }

    /// Through the wire's text, as the client gets it.
    fn decode<T: FromValue>(value: &Value) -> Result<T, Mismatch> {
        let back = parse_response(&method_response(value)).expect("xml").expect("no fault");
        T::from_value(back)
    }

    #[test]
    fn process_info_has_every_member() {
        let got: RemoteProcessInfo = decode(&members(&info())).expect("decodes");
        assert_eq!((got.name.as_str(), got.group.as_str(), got.pid), ("b", "g", 42));
        assert_eq!((got.start, got.stop, got.now, got.exitstatus), (1000, 0, 1005, 0));
        assert_eq!(
            (got.logfile.as_str(), got.stdout_logfile.as_str(), got.stderr_logfile.as_str()),
            ("/l/out", "/l/out", "")
        );
        assert_eq!(got.process_state(), Some(ProcessState::Running));
        assert_eq!(got.description, "pid 42, uptime 0:00:05");
        let all: Vec<RemoteProcessInfo> = decode(&Value::Array(vec![members(&info()); 2])).expect("an array");
        assert_eq!(all, vec![got.clone(), got]);
    }

    #[test]
    fn malformed_process_info_is_an_error() {
        let without_pid: Vec<_> = info().into_iter().filter(|(k, _)| *k != "pid").collect();
        assert_eq!(decode::<RemoteProcessInfo>(&members(&without_pid)), Err(r#"no member "pid""#.to_owned()));
        let mut pid_text = info();
        pid_text.retain(|(k, _)| *k != "pid");
        pid_text.push(("pid", s("42")));
        assert_eq!(
            decode::<RemoteProcessInfo>(&members(&pid_text)),
            Err(r#"member "pid": an int expected, a string found"#.to_owned())
        );
        assert_eq!(
            decode::<Vec<RemoteProcessInfo>>(&Value::Array(vec![members(&info()), s("x")])),
            Err("item 1: a struct expected, a string found".to_owned())
        );
        assert!(decode::<Vec<RemoteProcessInfo>>(&members(&info())).is_err());
        // A state 4.3.0 does not define decodes, as a code without a state.
        let mut odd = info();
        odd.retain(|(k, _)| *k != "state");
        odd.push(("state", Value::Integer(5)));
        assert_eq!(decode::<RemoteProcessInfo>(&members(&odd)).map(|i| i.process_state()), Ok(None));
    }

    #[test]
    fn results_and_their_faults() {
        let r =
            members(&[("name", s("b")), ("group", s("g")), ("status", Value::Integer(60)), ("description", s("x"))]);
        let got: Vec<RemoteResult> = decode(&Value::Array(vec![r])).expect("decodes");
        assert_eq!(got[0].fault(), Some(Fault::AlreadyStarted));
        assert_eq!((got[0].name.as_str(), got[0].group.as_str(), got[0].description.as_str()), ("b", "g", "x"));
        let no_status = members(&[("name", s("b")), ("group", s("g")), ("description", s("x"))]);
        assert!(decode::<RemoteResult>(&no_status).is_err());
    }

    #[test]
    fn config_info_keeps_the_other_members() {
        let c = members(&[
            ("name", s("a")),
            ("group", s("a")),
            ("inuse", Value::Boolean(true)),
            ("autostart", Value::Boolean(false)),
            ("group_prio", Value::Integer(999)),
            ("process_prio", Value::Integer(-1)),
            ("uid", s("none")),
            ("exitcodes", Value::Array(vec![Value::Integer(0)])),
        ]);
        let got: ConfigInfo = decode(&c).expect("decodes");
        assert_eq!((got.inuse, got.autostart, got.group_prio, got.process_prio), (true, false, 999, -1));
        assert_eq!(got.other.keys().collect::<Vec<_>>(), ["exitcodes", "uid"]);
        let inuse_int = members(&[("name", s("a")), ("group", s("a")), ("inuse", Value::Integer(1))]);
        assert_eq!(
            decode::<ConfigInfo>(&inuse_int),
            Err(r#"member "inuse": a boolean expected, an int found"#.to_owned())
        );
    }

    #[test]
    fn reload_changes_and_their_shape() {
        let names = |n: &[&str]| Value::Array(n.iter().map(|x| s(x)).collect());
        let answer = Value::Array(vec![Value::Array(vec![names(&["new"]), names(&[]), names(&["old", "older"])])]);
        let got: ConfigChanges = decode(&answer).expect("decodes");
        assert_eq!(got.added, ["new"]);
        assert!(got.changed.is_empty());
        assert_eq!(got.removed, ["old", "older"]);
        let two = Value::Array(vec![Value::Array(vec![names(&[]), names(&[])])]);
        assert_eq!(decode::<ConfigChanges>(&two), Err("item 0: an array of 3 expected, 2 items found".to_owned()));
        let flat = Value::Array(vec![names(&[]), names(&[]), names(&[])]);
        assert!(decode::<ConfigChanges>(&flat).is_err());
        let number =
            Value::Array(vec![Value::Array(vec![names(&[]), Value::Array(vec![Value::Integer(1)]), names(&[])])]);
        assert_eq!(
            decode::<ConfigChanges>(&number),
            Err("item 0: item 1: item 0: a string expected, an int found".to_owned())
        );
    }

    #[test]
    fn state_tail_and_scalars() {
        let st: RemoteState =
            decode(&members(&[("statecode", Value::Integer(1)), ("statename", s("RUNNING"))])).expect("decodes");
        assert_eq!(st.state(), Some(SupervisorState::Running));
        let tail: LogTail =
            decode(&Value::Array(vec![s("abc"), Value::Integer(3), Value::Boolean(false)])).expect("tail");
        assert_eq!(tail, LogTail { bytes: "abc".into(), offset: 3, overflow: false });
        assert!(decode::<LogTail>(&Value::Array(vec![s("abc"), Value::Integer(3)])).is_err());
        assert_eq!(decode::<String>(&Value::Integer(3)), Err("a string expected, an int found".to_owned()));
        assert_eq!(decode::<bool>(&Value::Boolean(true)), Ok(true));
        assert!(decode::<i32>(&Value::Double(1.5)).is_err());
        assert_eq!(decode::<Vec<String>>(&Value::Array(vec![])), Ok(vec![]));
    }
}
