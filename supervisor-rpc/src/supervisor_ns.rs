//! The `supervisor` namespace: every method of 4.3.0's
//! `SupervisorNamespaceRPCInterface`, with its aliases, parameters, return
//! shapes and faults.

use std::sync::Arc;

use dxr::Value;
use supervisor_core::config::{GroupConfig, LogFile, ProcessConfig, StartRetries};
use supervisor_core::events::Channel;
use supervisor_core::supervisor::{ControlError, ProcessInfo, ProcessResult, ProcessSnapshot, Target};

use crate::daemon::{Daemon, DaemonRequest};
use crate::dispatch::help_text;
use crate::faults::{Fault, FaultString};
use crate::interface::{MethodDoc, RpcInterface};
use crate::namespec::{self, split_namespec};
use crate::value::{Params, int, string, structure};
use crate::xml::ValueWriter;

/// The API version 4.3.0 reports.
pub const API_VERSION: &str = "3.0";
/// The Supervisor version clients are written against.
pub const SUPERVISOR_VERSION: &str = "4.3.0";

/// `supervisor.*`.
pub struct SupervisorNamespace {
    daemon: Arc<Daemon>,
}

macro_rules! docs {
    ($( $name:literal [$($t:literal),*] $help:expr; )*) => {
        &[ $( MethodDoc { name: $name, signature: &[$($t),*], help: $help }, )* ]
    };
}

// Texts an alias shares with the method it stands for.
const API_VERSION_HELP: &str = help_text!(
    "Give the version of the XML-RPC API that this supervisord speaks",
    "@return string version The API version, e.g. 3.0",
);
const READ_LOG_HELP: &str = help_text!(
    "Read part of supervisord's own log: length bytes from offset on",
    "@param int offset Where to begin; a negative one (with length 0) counts back from the end",
    "@param int length How many bytes to read; 0 means up to the end",
    "@return string result The bytes read",
);
const READ_STDOUT_HELP: &str = help_text!(
    "Read part of a process's stdout log: length bytes from offset on",
    "@param string name The process, as name or group:name",
    "@param int offset Where to begin; a negative one (with length 0) counts back from the end",
    "@param int length How many bytes to read; 0 means up to the end",
    "@return string result The bytes read",
);
const TAIL_STDOUT_HELP: &str = help_text!(
    "Follow the end of a process's stdout log, one call per new chunk (cheaper than readProcessStdoutLog)",
    "@param string name The process, as name or group:name",
    "@param int offset The offset the previous call returned, or 0 at first",
    "@param int length The most bytes to return; a larger backlog is skipped",
    "@return array result [string bytes, int next offset, boolean whether bytes were skipped]",
);
const CLEAR_LOGS_HELP: &str = help_text!(
    "Empty a process's stdout and stderr log files and open them afresh",
    "@param string name The process, as name or group:name",
    "@return boolean result True, or a fault if it fails",
);

const METHODS: &[MethodDoc] = docs! {
    "getAPIVersion" ["string"] API_VERSION_HELP;
    "getVersion" ["string"] API_VERSION_HELP;
    "getSupervisorVersion" ["string"] help_text!(
        "Give the version of Supervisor that supervisord implements",
        "@return string version The Supervisor version, e.g. 4.3.0",
    );
    "getIdentification" ["string"] help_text!(
        "Give the identifier this supervisord was configured with",
        "@return string identifier The identifier setting of [supervisord]",
    );
    "getState" ["struct"] help_text!(
        "Tell what supervisord is doing right now",
        "@return struct state Its statecode (int) and statename (string)",
    );
    "getPID" ["int"] help_text!(
        "Give the process id of supervisord itself",
        "@return int pid The process id",
    );
    "readLog" ["string", "int", "int"] READ_LOG_HELP;
    "readMainLog" ["string", "int", "int"] READ_LOG_HELP;
    "clearLog" ["boolean"] help_text!(
        "Empty supervisord's own log file and start it again",
        "@return boolean result True, or a fault if it fails",
    );
    "shutdown" ["boolean"] help_text!(
        "Stop every process and then supervisord itself",
        "@return boolean result True, or a fault if it fails",
    );
    "restart" ["boolean"] help_text!(
        "Stop every process, read the configuration again and start over",
        "@return boolean result True, or a fault if it fails",
    );
    "reloadConfig" ["array"] help_text!(
        "Read the configuration file again and tell which groups differ from those in use",
        "@return array result [[added, changed, removed]], three arrays of group names",
    );
    "addProcessGroup" ["boolean", "string"] help_text!(
        "Put a group that the reread configuration has into use",
        "@param string name The group to add",
        "@return boolean result True if the group was added",
    );
    "removeProcessGroup" ["boolean", "string"] help_text!(
        "Take a group whose processes are all stopped out of use",
        "@param string name The group to remove",
        "@return boolean result True if the group was removed",
    );
    "startProcess" ["boolean", "string", "boolean"] help_text!(
        "Start one process, or every process of a group",
        "@param string name The process, as name, group:name or group:*",
        "@param boolean wait Answer only once the process is running",
        "@return boolean result True, or a fault if it fails",
    );
    "startProcessGroup" ["array", "string", "boolean"] help_text!(
        "Start each process of the group called name",
        "@param string name The group",
        "@param boolean wait Answer only once every process is running",
        "@return array result A status struct for each process",
    );
    "startAllProcesses" ["array", "boolean"] help_text!(
        "Start each process of each group in use",
        "@param boolean wait Answer only once every process is running",
        "@return array result A status struct for each process",
    );
    "stopProcess" ["boolean", "string", "boolean"] help_text!(
        "Stop one process, or every process of a group",
        "@param string name The process, as name, group:name or group:*",
        "@param boolean wait Answer only once the process has exited",
        "@return boolean result True, or a fault if it fails",
    );
    "stopProcessGroup" ["array", "string", "boolean"] help_text!(
        "Stop each process of the group called name",
        "@param string name The group",
        "@param boolean wait Answer only once every process has exited",
        "@return array result A status struct for each process",
    );
    "stopAllProcesses" ["array", "boolean"] help_text!(
        "Stop each process of each group in use",
        "@param boolean wait Answer only once every process has exited",
        "@return array result A status struct for each process",
    );
    "signalProcess" ["boolean", "string", "string"] help_text!(
        "Send any UNIX signal to one process",
        "@param string name The process, as name or group:name",
        "@param string signal The signal, by name (TERM) or number (15)",
        "@return boolean result True, or a fault if it fails",
    );
    "signalProcessGroup" ["array", "string", "string"] help_text!(
        "Send any UNIX signal to each process of the group called name",
        "@param string name The group",
        "@param string signal The signal, by name (TERM) or number (15)",
        "@return array result A status struct for each process",
    );
    "signalAllProcesses" ["array", "string"] help_text!(
        "Send any UNIX signal to each process of each group in use",
        "@param string signal The signal, by name (TERM) or number (15)",
        "@return array result A status struct for each process",
    );
    "getAllConfigInfo" ["array"] help_text!(
        "Describe the configuration of every process in use, groups flattened",
        "@return array result A config struct for each process",
    );
    "getProcessInfo" ["struct", "string"] help_text!(
        "Describe the state of one process",
        "@param string name The process, as name or group:name",
        "@return struct result Its name, group, state, pid, times, log files and description",
    );
    "getAllProcessInfo" ["array"] help_text!(
        "Describe the state of every process",
        "@return array result An info struct for each process, as getProcessInfo gives",
    );
    "readProcessStdoutLog" ["string", "string", "int", "int"] READ_STDOUT_HELP;
    "readProcessLog" ["string", "string", "int", "int"] READ_STDOUT_HELP;
    "readProcessStderrLog" ["string", "string", "int", "int"] help_text!(
        "Read part of a process's stderr log: length bytes from offset on",
        "@param string name The process, as name or group:name",
        "@param int offset Where to begin; a negative one (with length 0) counts back from the end",
        "@param int length How many bytes to read; 0 means up to the end",
        "@return string result The bytes read",
    );
    "tailProcessStdoutLog" ["array", "string", "int", "int"] TAIL_STDOUT_HELP;
    "tailProcessLog" ["array", "string", "int", "int"] TAIL_STDOUT_HELP;
    "tailProcessStderrLog" ["array", "string", "int", "int"] help_text!(
        "Follow the end of a process's stderr log, one call per new chunk (cheaper than readProcessStderrLog)",
        "@param string name The process, as name or group:name",
        "@param int offset The offset the previous call returned, or 0 at first",
        "@param int length The most bytes to return; a larger backlog is skipped",
        "@return array result [string bytes, int next offset, boolean whether bytes were skipped]",
    );
    "clearProcessLogs" ["boolean", "string"] CLEAR_LOGS_HELP;
    "clearProcessLog" ["boolean", "string"] CLEAR_LOGS_HELP;
    "clearAllProcessLogs" ["array"] help_text!(
        "Empty the stdout and stderr log files of every process",
        "@return array result A status struct for each process",
    );
    "sendProcessStdin" ["boolean", "string", "string"] help_text!(
        "Write characters to a running process's standard input, encoded as UTF-8",
        "@param string name The process, as name or group:name",
        "@param string chars The text to write",
        "@return boolean result True, or a fault if it fails",
    );
    "sendRemoteCommEvent" ["boolean", "string", "string"] help_text!(
        "Emit a REMOTE_COMMUNICATION event to the event listeners subscribed to it",
        "@param string type The type field of the event header",
        "@param string data The event body",
        "@return boolean result True, or a fault if it fails",
    );
};

/// Seconds since the epoch, as the wire gives times (0 for none).
fn epoch(t: Option<std::time::SystemTime>) -> i64 {
    t.and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok()).map_or(0, |d| d.as_secs() as i64)
}

/// A log path as the wire gives it ("" for none).
fn path_str(p: Option<&std::path::Path>) -> std::borrow::Cow<'_, str> {
    // to_str first: to_string_lossy's own check is several times slower.
    p.map_or(std::borrow::Cow::Borrowed(""), |p| {
        p.to_str().map_or_else(|| p.to_string_lossy(), std::borrow::Cow::Borrowed)
    })
}

fn process_info(info: &ProcessInfo) -> Value {
    let stdout = path_str(info.stdout_log.as_deref());
    structure([
        ("name", string(info.process.name())),
        ("group", string(info.process.group())),
        ("start", int(epoch(info.started))),
        ("stop", int(epoch(info.stopped))),
        ("now", int(epoch(Some(info.now)))),
        ("state", int(i64::from(info.state.code()))),
        ("statename", string(info.state.name())),
        ("spawnerr", string(info.spawn_error.as_deref().unwrap_or(""))),
        ("exitstatus", int(i64::from(info.exit_status.unwrap_or(0)))),
        ("logfile", string(&*stdout)),
        ("stdout_logfile", string(&*stdout)),
        ("stderr_logfile", string(&*path_str(info.stderr_log.as_deref()))),
        ("pid", int(i64::from(info.pid.unwrap_or(0)))),
        ("description", string(&info.description)),
    ])
}

/// [`process_info`]'s struct written straight out, members in 4.3.0's
/// order (the order a `Value::Struct` writes them).
/// Straight from the snapshot: no `ProcessInfo` (six strings) is built;
/// `description` is the one string written first, into `scratch`.
fn write_process_info(w: &mut ValueWriter, p: &ProcessSnapshot, scratch: &mut String) {
    let stdout_logfile = path_str(p.stdout_log());
    scratch.clear();
    p.write_description(scratch);
    w.begin_struct();
    w.member_str("name", &p.config.name);
    w.member_str("group", &p.config.group);
    w.member_int("start", epoch(p.started));
    w.member_int("stop", epoch(p.stopped));
    w.member_int("now", epoch(Some(p.now)));
    w.member_int("state", i64::from(p.state.code()));
    w.member_str("statename", p.state.name());
    w.member_str("spawnerr", p.spawn_error.as_deref().unwrap_or(""));
    w.member_int("exitstatus", i64::from(p.exit_status.unwrap_or(0)));
    w.member_str("logfile", &stdout_logfile);
    w.member_str("stdout_logfile", &stdout_logfile);
    w.member_str("stderr_logfile", &path_str(p.stderr_log()));
    w.member_int("pid", i64::from(p.pid.unwrap_or(0)));
    w.member_str("description", scratch);
    w.end_struct();
}

/// `{name, group, status, description}` for one process of a group call.
fn status(process: &supervisor_core::supervisor::ProcessName, result: &Result<(), ControlError>) -> Value {
    let (group, name) = (process.group(), process.name());
    let (code, description) = match result {
        Ok(()) => (Fault::Success.code(), "OK".to_owned()),
        Err(e) => {
            let f = FaultString::from(e.clone());
            (f.fault.code(), f.to_string())
        }
    };
    structure([
        ("name", string(name)),
        ("group", string(group)),
        ("status", int(i64::from(code))),
        ("description", string(description)),
    ])
}

fn statuses(results: Vec<ProcessResult>) -> Value {
    Value::Array(results.iter().map(|(n, r)| status(n, r)).collect())
}

fn config_info(group: &GroupConfig, p: &ProcessConfig, inuse: bool) -> Value {
    let opt = |v: Option<String>| string(v.unwrap_or_else(|| "none".to_owned()));
    let log = |l: &LogFile| match l.path() {
        Some(p) => string(p.display().to_string()),
        None if matches!(l, LogFile::None) => string("none"),
        None => string("auto"),
    };
    let b = Value::Boolean;
    let u = |n: u64| int(i64::try_from(n).unwrap_or(i64::MAX));
    Value::Struct(
        [
            ("autostart", b(p.autostart)),
            ("directory", opt(p.directory.as_ref().map(|d| d.display().to_string()))),
            ("uid", p.uid.map_or_else(|| string("none"), |u| int(i64::from(u)))),
            ("command", string(&p.command)),
            ("exitcodes", Value::Array(p.exitcodes.iter().map(|c| int(i64::from(*c))).collect())),
            ("group", string(&group.name)),
            ("group_prio", int(group.priority)),
            ("inuse", b(inuse)),
            ("killasgroup", b(p.killasgroup)),
            ("name", string(&p.name)),
            ("process_prio", int(p.priority)),
            ("redirect_stderr", b(p.redirect_stderr)),
            // `unlimited` (an addition) as -1: a config of ours never has a
            // negative count.
            (
                "startretries",
                int(match p.startretries {
                    StartRetries::Limit(n) => i64::from(n),
                    _ => -1,
                }),
            ),
            ("startsecs", u(p.startsecs)),
            ("stdout_capture_maxbytes", u(p.stdout.capture_maxbytes)),
            ("stdout_events_enabled", b(p.stdout.events_enabled)),
            ("stdout_logfile", log(&p.stdout.logfile)),
            ("stdout_logfile_backups", int(i64::from(p.stdout.logfile_backups))),
            ("stdout_logfile_maxbytes", u(p.stdout.logfile_maxbytes)),
            ("stdout_syslog", b(p.stdout.syslog)),
            ("stopsignal", int(i64::from(p.stopsignal.number()))),
            ("stopwaitsecs", u(p.stopwaitsecs)),
            ("stderr_capture_maxbytes", u(p.stderr.capture_maxbytes)),
            ("stderr_events_enabled", b(p.stderr.events_enabled)),
            ("stderr_logfile", log(&p.stderr.logfile)),
            ("stderr_logfile_backups", int(i64::from(p.stderr.logfile_backups))),
            ("stderr_logfile_maxbytes", u(p.stderr.logfile_maxbytes)),
            ("stderr_syslog", b(p.stderr.syslog)),
            ("serverurl", opt(p.serverurl.clone())),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect(),
    )
}

/// A missing group named as `group:*` is a BAD_NAME of the whole name, as
/// the client wrote it.
fn as_given(f: FaultString, name: &str) -> FaultString {
    if f.fault == Fault::BadName { Fault::BadName.with(name) } else { f }
}

/// Python's `str()` of an XML-RPC value, for the faults that show what a
/// client sent (`INCORRECT_PARAMETERS: 5`).
fn py_str(v: &Value) -> String {
    fn repr(v: &Value) -> String {
        match v {
            Value::String(s) => format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'")),
            other => py_str(other),
        }
    }
    match v {
        Value::Integer(n) => n.to_string(),
        Value::Boolean(b) => (if *b { "True" } else { "False" }).to_owned(),
        Value::Double(d) if d.fract() == 0.0 && d.is_finite() && d.abs() < 1e16 => format!("{d:.1}"),
        Value::Double(d) => d.to_string(),
        Value::String(s) => s.clone(),
        Value::Base64(b) => format!("b'{}'", String::from_utf8_lossy(b)),
        Value::Array(items) => format!("[{}]", items.iter().map(repr).collect::<Vec<_>>().join(", ")),
        Value::Struct(members) => {
            format!("{{{}}}", members.iter().map(|(k, v)| format!("'{k}': {}", repr(v))).collect::<Vec<_>>().join(", "))
        }
        other => format!("{other:?}"),
    }
}

fn text(data: Vec<u8>) -> Value {
    string(String::from_utf8_lossy(&data).into_owned())
}

impl SupervisorNamespace {
    /// The namespace for `daemon`.
    pub fn new(daemon: Arc<Daemon>) -> SupervisorNamespace {
        SupervisorNamespace { daemon }
    }

    async fn read_log(&self, p: &Params<'_>, channel: Channel) -> Result<Value, FaultString> {
        let name = p.string(0)?;
        let (offset, length) = (p.int(1)?, p.int(2)?);
        Ok(text(namespec::read_log(&self.daemon.supervisor, &name, channel, offset, length).await?))
    }

    async fn tail_log(&self, p: &Params<'_>, channel: Channel) -> Result<Value, FaultString> {
        let name = p.string(0)?;
        let (offset, length) = (p.int(1)?, p.int(2)?);
        let (data, offset, overflow) =
            namespec::tail_log(&self.daemon.supervisor, &name, channel, offset, length).await?;
        Ok(Value::Array(vec![text(data), int(offset), Value::Boolean(overflow)]))
    }

    async fn group_call(&self, name: &str, start: bool, wait: bool) -> Result<Value, FaultString> {
        let sv = &self.daemon.supervisor;
        let (target, wait) = (Target::Group(name.to_owned()), namespec::wait(wait));
        let results =
            if start { sv.start_processes(target, wait).await } else { sv.stop_processes(target, wait).await };
        Ok(statuses(results?))
    }

    /// Signals every process of a group (all with `None`) that can take one,
    /// in start order; a signal name that is not one is each one's fault.
    async fn signal_many(&self, group: Option<&str>, signal: &str) -> Result<Value, FaultString> {
        let sv = &self.daemon.supervisor;
        let target = group.map_or(Target::All, |g| Target::Group(g.to_owned()));
        match signal.parse::<supervisor_core::signals::Signal>() {
            Ok(sig) => Ok(statuses(sv.signal_processes(target, sig).await?)),
            Err(_) => {
                let f = Fault::BadSignal.with(signal);
                let snapshots = sv.snapshots(target).await?;
                let results = snapshots.iter().filter(|s| s.state.is_signallable()).map(|s| {
                    structure([
                        ("name", string(&s.config.name)),
                        ("group", string(&s.config.group)),
                        ("status", int(i64::from(f.fault.code()))),
                        ("description", string(f.to_string())),
                    ])
                });
                Ok(Value::Array(results.collect()))
            }
        }
    }
}

#[async_trait::async_trait]
impl RpcInterface for SupervisorNamespace {
    fn methods(&self) -> Vec<MethodDoc> {
        METHODS.to_vec()
    }

    async fn call_xml(&self, method: &str, params: &[Value]) -> Option<Result<crate::xml::XmlValue, FaultString>> {
        // A thousand processes answer with over a megabyte: written straight
        // from the process table, not through a Value tree.
        if method != "getAllProcessInfo" {
            return None;
        }
        if self.daemon.is_stopping() {
            return Some(Err(Fault::ShutdownState.into()));
        }
        if let Err(f) = Params::new(params, 0, 0) {
            return Some(Err(f));
        }
        let all = self.daemon.supervisor.process_snapshots().await;
        let mut w = ValueWriter::with_capacity(64 + all.len() * 1280);
        let mut scratch = String::with_capacity(64);
        w.begin_array();
        for p in &all {
            write_process_info(&mut w, p, &mut scratch);
        }
        w.end_array();
        Some(Ok(w.finish()))
    }

    async fn call(&self, method: &str, params: &[Value]) -> Result<Value, FaultString> {
        // 4.3.0's _update(): nothing but sendRemoteCommEvent once stopping.
        if method != "sendRemoteCommEvent" && self.daemon.is_stopping() {
            return Err(Fault::ShutdownState.into());
        }
        let sv = &self.daemon.supervisor;
        match method {
            "getAPIVersion" | "getVersion" => {
                Params::new(params, 0, 0)?;
                Ok(string(API_VERSION))
            }
            "getSupervisorVersion" => {
                Params::new(params, 0, 0)?;
                Ok(string(SUPERVISOR_VERSION))
            }
            "getIdentification" => {
                Params::new(params, 0, 0)?;
                Ok(string(&self.daemon.identifier))
            }
            "getState" => {
                Params::new(params, 0, 0)?;
                Ok(structure([("statecode", int(1)), ("statename", string("RUNNING"))]))
            }
            "getPID" => {
                Params::new(params, 0, 0)?;
                Ok(int(i64::from(self.daemon.pid)))
            }
            "readLog" | "readMainLog" => {
                let p = Params::new(params, 2, 2)?;
                let path = sv.main_log_path().await;
                Ok(text(namespec::read_main_log(path.as_deref(), p.int(0)?, p.int(1)?)?))
            }
            "clearLog" => {
                Params::new(params, 0, 0)?;
                let path = sv.main_log_path().await.filter(|p| p.exists()).ok_or(Fault::NoFile)?;
                std::fs::remove_file(&path).map_err(|_| Fault::Failed)?;
                sv.reopen_logs().await;
                Ok(Value::Boolean(true))
            }
            "shutdown" => {
                Params::new(params, 0, 0)?;
                self.daemon.request(DaemonRequest::Shutdown);
                Ok(Value::Boolean(true))
            }
            "restart" => {
                Params::new(params, 0, 0)?;
                // 4.3.0 exits when the new file is invalid; a restart that
                // cannot happen is refused instead, and nothing stops.
                self.daemon.check_config().map_err(|e| Fault::CantReread.with(e))?;
                self.daemon.request(DaemonRequest::Restart);
                Ok(Value::Boolean(true))
            }
            "reloadConfig" => {
                Params::new(params, 0, 0)?;
                let r = self.daemon.reread().map_err(|e| Fault::CantReread.with(e))?;
                let (added, changed, removed) = (r.added, r.changed, r.removed);
                let names = |v: Vec<String>| Value::Array(v.into_iter().map(Value::String).collect());
                Ok(Value::Array(vec![Value::Array(vec![names(added), names(changed), names(removed)])]))
            }
            "addProcessGroup" => {
                let name = Params::new(params, 1, 1)?.string(0)?;
                let group = self.daemon.latest_group(&name).ok_or_else(|| Fault::BadName.with(&name))?;
                sv.add_group(group.clone()).await?;
                self.daemon.activate(group).await;
                Ok(Value::Boolean(true))
            }
            "removeProcessGroup" => {
                let name = Params::new(params, 1, 1)?.string(0)?;
                sv.remove_group(&name).await?;
                self.daemon.deactivated(&name);
                Ok(Value::Boolean(true))
            }
            "startProcess" | "stopProcess" => {
                let p = Params::new(params, 1, 2)?;
                let (name, wait) = (p.string(0)?, p.boolean(1, true));
                let start = method == "startProcess";
                match split_namespec(&name) {
                    (group, None) => self.group_call(group, start, wait).await.map_err(|f| as_given(f, &name)),
                    _ if start => {
                        namespec::start_one(sv, &name, wait).await.map(|()| Value::Boolean(true)).map_err(Into::into)
                    }
                    _ => namespec::stop_one(sv, &name, wait).await.map(|()| Value::Boolean(true)).map_err(Into::into),
                }
            }
            "startProcessGroup" | "stopProcessGroup" => {
                let p = Params::new(params, 1, 2)?;
                self.group_call(&p.string(0)?, method == "startProcessGroup", p.boolean(1, true)).await
            }
            "startAllProcesses" => {
                let wait = namespec::wait(Params::new(params, 0, 1)?.boolean(0, true));
                Ok(statuses(sv.start_processes(Target::All, wait).await?))
            }
            "stopAllProcesses" => {
                let wait = namespec::wait(Params::new(params, 0, 1)?.boolean(0, true));
                Ok(statuses(sv.stop_processes(Target::All, wait).await?))
            }
            "signalProcess" => {
                let p = Params::new(params, 2, 2)?;
                let (name, signal) = (p.string(0)?, p.string(1)?);
                let (group, process) = split_namespec(&name);
                if process.is_none() {
                    return self.signal_many(Some(group), &signal).await.map_err(|f| as_given(f, &name));
                }
                namespec::exists(sv, &name).await?;
                let sig = signal.parse().map_err(|_| Fault::BadSignal.with(&signal))?;
                namespec::signal_one(sv, &name, sig).await?;
                Ok(Value::Boolean(true))
            }
            "signalProcessGroup" => {
                let p = Params::new(params, 2, 2)?;
                self.signal_many(Some(&p.string(0)?), &p.string(1)?).await
            }
            "signalAllProcesses" => {
                let p = Params::new(params, 1, 1)?;
                self.signal_many(None, &p.string(0)?).await
            }
            "getAllConfigInfo" => {
                Params::new(params, 0, 0)?;
                // An AUTO log of a process in use is shown by the path it
                // was given, as 4.3.0 does. A group read as it runs holds
                // its files already (`LogFile::AutoFile`); only one read
                // again and changed since, not updated yet, is looked up.
                // (Matched, not compared: `AutoFile` equals `Auto`.)
                let unresolved = |l: &LogFile| matches!(l, LogFile::Auto);
                let latest = self.daemon.latest_groups();
                let lookup = latest.iter().any(|(g, inuse)| {
                    *inuse && g.processes.iter().any(|p| unresolved(&p.stdout.logfile) || unresolved(&p.stderr.logfile))
                });
                let running: std::collections::HashMap<(String, String), Arc<ProcessConfig>> = if lookup {
                    sv.process_snapshots()
                        .await
                        .into_iter()
                        .map(|s| ((s.config.group.clone(), s.config.name.clone()), s.config))
                        .collect()
                } else {
                    std::collections::HashMap::new()
                };
                let mut all: Vec<(String, Value)> = Vec::new();
                for (group, inuse) in latest {
                    for p in &group.processes {
                        let resolved = running.get(&(group.name.clone(), p.name.clone())).filter(|_| inuse);
                        let info = match resolved {
                            Some(r) if unresolved(&p.stdout.logfile) || unresolved(&p.stderr.logfile) => {
                                let mut p = ProcessConfig::clone(p);
                                if unresolved(&p.stdout.logfile) {
                                    p.stdout.logfile = r.stdout.logfile.clone();
                                }
                                if unresolved(&p.stderr.logfile) {
                                    p.stderr.logfile = r.stderr.logfile.clone();
                                }
                                config_info(&group, &p, inuse)
                            }
                            _ => config_info(&group, p, inuse),
                        };
                        all.push((p.name.clone(), info));
                    }
                }
                all.sort_by(|a, b| a.0.cmp(&b.0));
                Ok(Value::Array(all.into_iter().map(|(_, v)| v).collect()))
            }
            "getProcessInfo" => {
                let name = Params::new(params, 1, 1)?.string(0)?;
                if split_namespec(&name).1.is_none() {
                    return Err(Fault::BadName.with(name));
                }
                let process = namespec::process(&name);
                let info = sv.info(&process).await.map_err(|e| namespec::as_written(e, &process, &name))?;
                Ok(process_info(&info))
            }
            "getAllProcessInfo" => {
                Params::new(params, 0, 0)?;
                Ok(Value::Array(sv.processes().await.iter().map(process_info).collect()))
            }
            "readProcessStdoutLog" | "readProcessLog" => {
                self.read_log(&Params::new(params, 3, 3)?, Channel::Stdout).await
            }
            "readProcessStderrLog" => self.read_log(&Params::new(params, 3, 3)?, Channel::Stderr).await,
            "tailProcessStdoutLog" | "tailProcessLog" => {
                self.tail_log(&Params::new(params, 3, 3)?, Channel::Stdout).await
            }
            "tailProcessStderrLog" => self.tail_log(&Params::new(params, 3, 3)?, Channel::Stderr).await,
            "clearProcessLogs" | "clearProcessLog" => {
                let name = Params::new(params, 1, 1)?.string(0)?;
                if split_namespec(&name).1.is_none() {
                    return Err(Fault::BadName.with(name));
                }
                sv.clear_logs(&namespec::process(&name)).await.map_err(|e| match e {
                    ControlError::BadName(_) => Fault::BadName.with(&name),
                    _ => Fault::Failed.with(&name),
                })?;
                Ok(Value::Boolean(true))
            }
            "clearAllProcessLogs" => {
                Params::new(params, 0, 0)?;
                let mut results = Vec::new();
                for snapshot in sv.snapshots(Target::All).await? {
                    let process = snapshot.process();
                    let r = sv.clear_logs(&process).await.map_err(|_| ControlError::Failed(process.to_string()));
                    results.push(status(&process, &r));
                }
                Ok(Value::Array(results))
            }
            "sendProcessStdin" => {
                let p = Params::new(params, 2, 2)?;
                let name = p.string(0)?;
                let chars = match p.value(1) {
                    Some(Value::String(s)) => s.clone().into_bytes(),
                    Some(Value::Base64(b)) => b.clone(),
                    Some(other) => return Err(Fault::IncorrectParameters.with(py_str(other))),
                    None => return Err(Fault::IncorrectParameters.into()),
                };
                if split_namespec(&name).1.is_none() {
                    return Err(Fault::BadName.with(name));
                }
                let process = namespec::process(&name);
                sv.send_stdin(&process, chars).await.map_err(|e| namespec::as_written(e, &process, &name))?;
                Ok(Value::Boolean(true))
            }
            "sendRemoteCommEvent" => {
                let p = Params::new(params, 2, 2)?;
                sv.send_remote_comm_event(&p.string(0)?, &p.string(1)?);
                Ok(Value::Boolean(true))
            }
            _ => Err(Fault::UnknownMethod.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn help_texts_agree_with_their_signatures() {
        for doc in METHODS {
            crate::dispatch::check_help(doc).unwrap();
        }
        // 4.3.0's text shape, checked in full for one method.
        let start = METHODS.iter().find(|m| m.name == "startProcess").unwrap();
        assert!(start.help.starts_with(" Start one process"));
        assert!(start.help.contains("\n\n        @param string name "));
        assert!(start.help.ends_with("\n        @return boolean result True, or a fault if it fails\n        "));
    }

    #[test]
    fn the_direct_process_info_writer_matches_the_value_path() {
        use std::sync::Arc;
        use supervisor_core::config::Config;
        use supervisor_core::process::ProcessState;
        let text = "[supervisord]\n\
                    [program:web]\ncommand=x\nstdout_logfile=/var/log/web-stdout---supervisor-abc.log\n\
                    [program:naïve]\ncommand=x\nstderr_logfile=/tmp/'quoted\"\n";
        let config = Config::from_str(text, "t.conf").expect("config");
        let configs: Vec<_> = config.groups.iter().flat_map(|g| g.processes.iter().cloned()).collect();
        let (mut web, naive) = ((*configs[1]).clone(), (*configs[0]).clone());
        assert_eq!((web.name.as_str(), naive.name.as_str()), ("web", "naïve"));
        // Names a config would refuse, to check escaping.
        web.name = "web<1>".into();
        web.group = "g&h".into();
        let at = |secs: u64| std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs);
        let mut running = ProcessSnapshot::new(Arc::new(web), ProcessState::Running, at(1_795_000_062));
        running.pid = Some(4242);
        running.started = Some(at(1_795_000_000));
        let mut fatal = ProcessSnapshot::new(Arc::new(naive), ProcessState::Fatal, at(1));
        fatal.stopped = Some(at(u64::from(u32::MAX)));
        fatal.exit_status = Some(-1);
        fatal.spawn_error = Some("can't find command 'x'".into());
        let all = [running, fatal];
        assert_eq!(all[0].info().description, "pid 4242, uptime 0:01:02");
        assert_eq!(all[1].info().description, "can't find command 'x'");
        assert_eq!(path_str(all[0].stdout_log()), "/var/log/web-stdout---supervisor-abc.log");
        assert_eq!(path_str(all[0].stderr_log()), "");
        assert_eq!(path_str(all[1].stderr_log()), "/tmp/'quoted\"");
        let mut w = ValueWriter::with_capacity(0);
        let mut scratch = String::new();
        w.begin_array();
        for p in &all {
            write_process_info(&mut w, p, &mut scratch);
        }
        w.end_array();
        let infos: Vec<ProcessInfo> = all.iter().map(ProcessSnapshot::info).collect();
        let via_values = crate::xml::method_response(&Value::Array(infos.iter().map(process_info).collect()));
        assert_eq!(crate::xml::method_response_xml(w.finish()), via_values);
    }
}
