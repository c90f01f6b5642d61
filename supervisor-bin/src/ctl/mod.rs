//! `supervisorctl`: 4.3.0's `Controller` and its commands, with the same
//! output text, column layout and exit codes.

pub mod completion;
pub mod help;
mod interrupt;
pub mod options;
pub mod shell;

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use supervisor_rpc::client::{Client, ClientError};
use supervisor_rpc::dxr::Value;

use self::options::CtlOptions;

/// 4.3.0's LSBInitExitStatuses.
pub mod exit {
    /// Success.
    pub const SUCCESS: i32 = 0;
    /// Anything else.
    pub const GENERIC: i32 = 1;
    /// Bad arguments.
    pub const INVALID_ARGS: i32 = 2;
    /// The supervisor namespace is missing.
    pub const UNIMPLEMENTED_FEATURE: i32 = 3;
    /// Connection refused.
    pub const INSUFFICIENT_PRIVILEGES: i32 = 4;
    /// API version mismatch.
    pub const NOT_INSTALLED: i32 = 5;
    /// Not running.
    pub const NOT_RUNNING: i32 = 7;
    /// `status`: a listed process is not running (LSBStatusExitStatuses).
    pub const STATUS_NOT_RUNNING: i32 = 3;
    /// `status`: unknown (LSBStatusExitStatuses).
    pub const STATUS_UNKNOWN: i32 = 4;
}

// Fault codes supervisorctl reacts to.
const BAD_NAME: i32 = 10;
const BAD_SIGNAL: i32 = 11;
const NO_FILE: i32 = 20;
const NOT_EXECUTABLE: i32 = 21;
const FAILED: i32 = 30;
const ABNORMAL_TERMINATION: i32 = 40;
const SPAWN_ERROR: i32 = 50;
const ALREADY_STARTED: i32 = 60;
const NOT_RUNNING: i32 = 70;
const SUCCESS: i32 = 80;
const ALREADY_ADDED: i32 = 90;
const STILL_RUNNING: i32 = 91;
const CANT_REREAD: i32 = 92;
const UNKNOWN_METHOD: i32 = 1;
const SHUTDOWN_STATE: i32 = 6;

/// Our supervisord's method (not in 4.3.0, so in a namespace of our own)
/// that applies a changed group's reread config, restarting only the
/// processes whose settings changed. `update` uses it when the server lists
/// it, and 4.3.0's stop, remove and add otherwise.
const UPDATE_PROCESS_GROUP: &str = "supervisor_rs.updateProcessGroup";

/// 4.3.0's commands, as `help` lists them.
pub const COMMANDS: &[&str] = &[
    "add", "avail", "clear", "exit", "fg", "help", "maintail", "open", "pid", "quit", "reload", "remove", "reread",
    "restart", "shutdown", "signal", "start", "status", "stop", "tail", "update", "version",
];

/// Our commands 4.3.0 lacks (which `help` alone does not list, as its
/// output is 4.3.0's).
pub const ADDED_COMMANDS: &[&str] = &["completion"];

/// The commands that take `--json` (ours): one JSON document on stdout,
/// messages on stderr, the plain form's exit status.
pub const JSON_COMMANDS: &[&str] = &["avail", "pid", "status"];

/// A process state is one of STOPPED, EXITED, FATAL, UNKNOWN.
fn stopped_state(code: i64) -> bool {
    matches!(code, 0 | 100 | 200 | 1000)
}

/// How one of start, stop and signal reports itself.
struct Verb {
    all_method: &'static str,
    group_method: &'static str,
    one_method: &'static str,
    format: fn(&Value) -> String,
    done: &'static str,
    ignored: Option<i32>,
    bad_group_exit: i32,
}

/// One command-line session with a supervisord.
pub struct Controller<W: Write> {
    /// Where the server is and who we are.
    pub options: CtlOptions,
    /// The exit status so far.
    pub exitstatus: i32,
    out: W,
    asked_credentials: bool,
    /// A `--json` command is running: messages go to stderr, so stdout
    /// holds the document alone.
    json: bool,
}

/// One line of stdin without its `\n`, or `None` at the end of input
/// (4.3.0's `input()`). Read a byte at a time, so that nothing after the
/// line is held in a buffer: the shell, the questions and `fg` all read
/// stdin in turn, as 4.3.0's share one buffer.
fn read_stdin_line() -> Option<String> {
    let mut line = Vec::new();
    loop {
        let mut byte = 0u8;
        // SAFETY: reads at most one byte into `byte`.
        let n = unsafe { libc::read(0, (&raw mut byte).cast(), 1) };
        match n {
            1 if byte == b'\n' => break,
            1 => line.push(byte),
            0 if line.is_empty() => return None,
            0 => break,
            _ if std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted => {}
            _ if line.is_empty() => return None,
            _ => break,
        }
    }
    Some(String::from_utf8_lossy(&line).into_owned())
}

fn prompt_line(prompt: &str) -> String {
    print!("{prompt}");
    let _ = std::io::stdout().flush();
    read_stdin_line().unwrap_or_default()
}

/// Reads a line with echo off when stdin is a terminal (getpass).
fn prompt_secret(prompt: &str) -> String {
    use nix::sys::termios::{LocalFlags, SetArg, tcgetattr, tcsetattr};
    let stdin = std::io::stdin();
    let saved = tcgetattr(&stdin).ok();
    if let Some(t) = &saved {
        let mut quiet = t.clone();
        quiet.local_flags.remove(LocalFlags::ECHO);
        let _ = tcsetattr(&stdin, SetArg::TCSANOW, &quiet);
    }
    let line = prompt_line(prompt);
    if let Some(t) = &saved {
        let _ = tcsetattr(&stdin, SetArg::TCSANOW, t);
    }
    line
}

type Outcome = Result<(), ClientError>;

fn field<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    match v {
        Value::Struct(s) => s.get(key),
        _ => None,
    }
}

fn s(v: &Value, key: &str) -> String {
    match field(v, key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Integer(n)) => n.to_string(),
        _ => String::new(),
    }
}

fn n(v: &Value, key: &str) -> i64 {
    match field(v, key) {
        Some(Value::Integer(n)) => i64::from(*n),
        Some(Value::Boolean(b)) => i64::from(*b),
        _ => 0,
    }
}

fn b(v: &Value, key: &str) -> bool {
    matches!(field(v, key), Some(Value::Boolean(true)) | Some(Value::Integer(1)))
}

fn list(v: Value) -> Vec<Value> {
    match v {
        Value::Array(a) => a,
        _ => Vec::new(),
    }
}

fn str_value(v: Value) -> String {
    match v {
        Value::String(s) => s,
        Value::Integer(n) => n.to_string(),
        _ => String::new(),
    }
}

/// `group:name`, or `name` when both are the same.
fn namespec(group: &str, name: &str) -> String {
    if group == name { name.to_owned() } else { format!("{group}:{name}") }
}

fn split_namespec(name: &str) -> (String, Option<String>) {
    match name.split_once(':') {
        Some((g, "" | "*")) => (g.to_owned(), None),
        Some((g, p)) => (g.to_owned(), Some(p.to_owned())),
        None => (name.to_owned(), Some(name.to_owned())),
    }
}

/// A result struct as the group methods return them, or made from a fault.
fn result_struct(group: &str, name: &str, status: i32, description: &str) -> Value {
    let mut m = BTreeMap::new();
    m.insert("group".to_owned(), Value::String(group.to_owned()));
    m.insert("name".to_owned(), Value::String(name.to_owned()));
    m.insert("status".to_owned(), Value::Integer(status));
    m.insert("description".to_owned(), Value::String(description.to_owned()));
    Value::Struct(m)
}

impl<W: Write> Controller<W> {
    /// `fg`: stream the process's stdout and stderr while sending typed
    /// lines to its stdin, until EOF, Ctrl-C or the process stops; then
    /// back to the prompt, the streams stopped.
    fn foreground(&mut self, name: &str) -> Outcome {
        self.output("==> Press Ctrl-C to exit <==");
        let _ = self.out.flush();
        let interrupted = interrupt::watch();
        let stop = Arc::new(AtomicBool::new(false));
        let mut streams = Vec::new();
        for channel in ["stdout", "stderr"] {
            let client = self.client()?.with_timeout(std::time::Duration::from_millis(200));
            let (path, stop) = (format!("/logtail/{name}/{channel}"), stop.clone());
            streams.push(std::thread::spawn(move || {
                let Ok((200, mut body)) = client.get(&path) else { return };
                let _ = follow(
                    &mut body,
                    || stop.load(Ordering::SeqCst),
                    |bytes| {
                        let mut out = std::io::stdout().lock();
                        let _ = out.write_all(bytes).and_then(|()| out.flush());
                    },
                );
            }));
        }
        let mut input = StdinLines::default();
        let ended = loop {
            let line = match input.next(&interrupted) {
                Some(Ok(line)) => line,
                // EOF, or Ctrl-C (4.3.0's KeyboardInterrupt): back to the prompt.
                Some(Err(())) | None => break Ok(()),
            };
            match self.call("supervisor.sendProcessStdin", vec![Value::String(name.to_owned()), Value::String(line)]) {
                Ok(_) => {}
                Err(ClientError::Fault { code: NOT_RUNNING, .. }) => {
                    self.output("Process got killed");
                    break Ok(());
                }
                Err(e) => {
                    self.output(&format!("ERROR: {e}"));
                    break Ok(());
                }
            }
            match self.call_s("supervisor.getProcessInfo", &[name]) {
                Ok(info) if n(&info, "state") != 20 => {
                    self.output("Process got killed");
                    break Ok(());
                }
                Ok(_) => {}
                Err(e) => break Err(e),
            }
        };
        stop.store(true, Ordering::SeqCst);
        for s in streams {
            let _ = s.join();
        }
        // As 4.3.0, right after the terminal's "^C".
        self.output("Exiting foreground");
        ended
    }

    /// A controller writing to `out`.
    pub fn new(options: CtlOptions, out: W) -> Controller<W> {
        Controller { options, exitstatus: exit::SUCCESS, out, asked_credentials: false, json: false }
    }

    fn output(&mut self, message: &str) {
        if self.json {
            eprintln!("{message}");
        } else {
            let _ = writeln!(self.out, "{message}");
        }
    }

    /// Writes the document of a `--json` command to stdout.
    fn output_json(&mut self, document: &serde_json::Value) {
        let text = serde_json::to_string_pretty(document).unwrap_or_default();
        let _ = writeln!(self.out, "{text}");
    }

    fn client(&self) -> Result<Client, ClientError> {
        Client::new(&self.options.serverurl, self.options.username.as_deref(), self.options.password.as_deref())
    }

    fn call(&self, method: &str, params: Vec<Value>) -> Result<Value, ClientError> {
        self.client()?.call(method, params)
    }

    fn call_s(&self, method: &str, args: &[&str]) -> Result<Value, ClientError> {
        self.call(method, args.iter().map(|a| Value::String((*a).to_owned())).collect())
    }

    fn set_exitstatus_from_fault(&mut self, code: i32, ignored: Option<i32>) {
        if Some(code) == ignored || code == SUCCESS {
        } else if matches!(code, SPAWN_ERROR | ABNORMAL_TERMINATION | NOT_RUNNING) {
            self.exitstatus = exit::NOT_RUNNING;
        } else {
            self.exitstatus = exit::GENERIC;
        }
    }

    /// Checks the server answers and speaks API 3.0 (4.3.0's `upcheck`).
    fn upcheck(&mut self) -> Result<bool, ClientError> {
        match self.call("supervisor.getVersion", vec![]) {
            Ok(api) => {
                let api = str_value(api);
                if api != "3.0" {
                    self.output(&format!(
                        "Sorry, this version of supervisorctl expects to talk to a server with API version 3.0, but \
                         the remote version is {api}."
                    ));
                    self.exitstatus = exit::NOT_INSTALLED;
                    return Ok(false);
                }
                Ok(true)
            }
            Err(ClientError::Fault { code: UNKNOWN_METHOD, .. }) => {
                self.output(
                    "Sorry, supervisord responded but did not recognize the supervisor namespace commands that \
                     supervisorctl uses to control it.  Please check that the [rpcinterface:supervisor] section is \
                     enabled in the configuration file (see sample.conf).",
                );
                self.exitstatus = exit::UNIMPLEMENTED_FEATURE;
                Ok(false)
            }
            Err(ClientError::Io(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                let url = self.options.serverurl.clone();
                self.output(&format!("{url} refused connection"));
                self.exitstatus = exit::INSUFFICIENT_PRIVILEGES;
                Ok(false)
            }
            Err(ClientError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {
                let url = self.options.serverurl.clone();
                self.output(&format!("{url} no such file"));
                self.exitstatus = exit::NOT_RUNNING;
                Ok(false)
            }
            Err(e) => {
                self.exitstatus = exit::GENERIC;
                Err(e)
            }
        }
    }

    /// Runs one command line (4.3.0's `onecmd`); `true` when it was `quit`,
    /// `exit` or `EOF`, which end the shell.
    pub fn onecmd(&mut self, line: &str) -> bool {
        let line = line.trim();
        if line.is_empty() {
            return false;
        }
        let (cmd, arg) = if let Some(rest) = line.strip_prefix('?') {
            ("help", rest.trim())
        } else {
            let end = line.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(line.len());
            (&line[..end], line[end..].trim())
        };
        if cmd.is_empty() {
            self.output(&format!("*** Unknown syntax: {line}"));
            self.exitstatus = exit::GENERIC;
            return false;
        }
        // `--json` (ours) among a JSON command's words, taken out of them.
        let json_arg;
        let arg = if JSON_COMMANDS.contains(&cmd) && arg.split_whitespace().any(|w| w == "--json") {
            self.json = true;
            json_arg = arg.split_whitespace().filter(|w| *w != "--json").collect::<Vec<_>>().join(" ");
            json_arg.as_str()
        } else {
            arg
        };
        let result = match cmd {
            "help" => {
                self.do_help(arg);
                Ok(())
            }
            "status" => self.do_status(arg),
            "start" => self.do_start(arg),
            "stop" => self.do_stop(arg),
            "restart" => self.do_restart(arg),
            "signal" => self.do_signal(arg),
            "pid" => self.do_pid(arg),
            "tail" => self.do_tail(arg),
            "maintail" => self.do_maintail(arg),
            "clear" => self.do_clear(arg),
            "avail" => self.do_avail(arg),
            "reread" => self.do_reread(arg),
            "update" => self.do_update(arg),
            "add" => self.do_add(arg),
            "remove" => self.do_remove(arg),
            "reload" => self.do_reload(arg),
            "shutdown" => self.do_shutdown(arg),
            "version" => self.do_version(arg),
            "open" => self.do_open(arg),
            "fg" => self.do_fg(arg),
            "completion" => {
                self.do_completion(arg);
                Ok(())
            }
            "quit" | "exit" | "EOF" => {
                // 4.3.0's do_EOF: an empty line, then the shell ends.
                self.output("");
                return true;
            }
            _ => {
                self.output(&format!("*** Unknown syntax: {line}"));
                self.exitstatus = exit::GENERIC;
                return false;
            }
        };
        match result {
            Ok(()) => {}
            Err(ClientError::Unauthorized) => {
                self.output("Server requires authentication");
                if self.options.interactive && !self.asked_credentials {
                    // 4.3.0 asks once, then runs the command again.
                    self.asked_credentials = true;
                    let username = prompt_line("Username:");
                    let password = prompt_secret("Password:");
                    self.output("");
                    self.options.username = Some(username);
                    self.options.password = Some(password);
                    let ended = self.onecmd(line);
                    self.asked_credentials = false;
                    return ended;
                } else {
                    self.exitstatus = exit::GENERIC;
                }
            }
            Err(e) => {
                self.output(&format!("error: {e}"));
                self.exitstatus = exit::GENERIC;
            }
        }
        self.json = false;
        false
    }

    fn print_help(&mut self, topic: &str) {
        if let Some(text) = help::help(topic) {
            if self.json {
                eprint!("{text}");
            } else {
                let _ = write!(self.out, "{text}");
            }
        }
    }

    fn do_help(&mut self, arg: &str) {
        if arg.is_empty() {
            let _ = write!(self.out, "{}", help::HELP_INDEX);
        } else if help::help(arg).is_some() {
            self.print_help(arg);
        } else {
            self.output(&format!("*** No help on {arg}"));
        }
    }

    fn show_statuses(&mut self, infos: &[Value]) {
        let specs: Vec<String> = infos.iter().map(|i| namespec(&s(i, "group"), &s(i, "name"))).collect();
        let maxlen = specs.iter().map(|x| x.chars().count()).max().unwrap_or(0).max(30);
        for (spec, info) in specs.iter().zip(infos) {
            let line = format!("{spec:<w$}{:<10}{}", s(info, "statename"), s(info, "description"), w = maxlen + 3);
            self.output(&line);
        }
    }

    fn do_status(&mut self, arg: &str) -> Outcome {
        if !self.upcheck()? {
            self.exitstatus = exit::STATUS_UNKNOWN;
            return Ok(());
        }
        let all = list(self.call("supervisor.getAllProcessInfo", vec![])?);
        let names: Vec<&str> = arg.split_whitespace().collect();
        let matching: Vec<Value> = if names.is_empty() || names.contains(&"all") {
            all
        } else {
            let mut matching = Vec::new();
            for name in names {
                let (group, process) = split_namespec(name);
                let found: Vec<Value> = all
                    .iter()
                    .filter(|i| s(i, "group") == group && process.as_ref().is_none_or(|p| s(i, "name") == *p))
                    .cloned()
                    .collect();
                if found.is_empty() {
                    let msg = match process {
                        None => format!("{group}: ERROR (no such group)"),
                        Some(_) => format!("{name}: ERROR (no such process)"),
                    };
                    self.output(&msg);
                    self.exitstatus = exit::STATUS_UNKNOWN;
                }
                matching.extend(found);
            }
            matching
        };
        if self.json {
            self.output_json(&serde_json::Value::Array(matching.iter().map(to_json).collect()));
        } else {
            self.show_statuses(&matching);
        }
        if matching.iter().any(|i| stopped_state(n(i, "state"))) {
            self.exitstatus = exit::STATUS_NOT_RUNNING;
        }
        Ok(())
    }

    fn do_pid(&mut self, arg: &str) -> Outcome {
        if !self.upcheck()? {
            return Ok(());
        }
        let names: Vec<&str> = arg.split_whitespace().collect();
        if names.is_empty() {
            let pid = self.call("supervisor.getPID", vec![])?;
            if self.json {
                self.output_json(&serde_json::json!({ "pid": to_json(&pid) }));
            } else {
                self.output(&str_value(pid));
            }
        } else if names.contains(&"all") {
            let infos = list(self.call("supervisor.getAllProcessInfo", vec![])?);
            if self.json {
                self.output_json(&serde_json::Value::Array(infos.iter().map(pid_json).collect()));
            } else {
                for info in infos {
                    self.output(&n(&info, "pid").to_string());
                }
            }
        } else {
            let mut found = Vec::new();
            for name in names {
                match self.call_s("supervisor.getProcessInfo", &[name]) {
                    Ok(info) => {
                        let pid = n(&info, "pid");
                        if self.json {
                            found.push(pid_json(&info));
                        } else {
                            self.output(&pid.to_string());
                        }
                        if pid == 0 {
                            self.exitstatus = exit::NOT_RUNNING;
                        }
                    }
                    Err(ClientError::Fault { code: BAD_NAME, .. }) => {
                        self.exitstatus = exit::GENERIC;
                        self.output(&format!("No such process {name}"));
                    }
                    Err(e) => {
                        self.exitstatus = exit::GENERIC;
                        return Err(e);
                    }
                }
            }
            if self.json {
                self.output_json(&serde_json::Value::Array(found));
            }
        }
        Ok(())
    }

    fn start_result(r: &Value) -> String {
        let name = namespec(&s(r, "group"), &s(r, "name"));
        let reason = match n(r, "status") as i32 {
            BAD_NAME => "no such process",
            NO_FILE => "no such file",
            NOT_EXECUTABLE => "file is not executable",
            ALREADY_STARTED => "already started",
            SPAWN_ERROR => "spawn error",
            ABNORMAL_TERMINATION => "abnormal termination",
            SUCCESS => return format!("{name}: started"),
            _ => "failed",
        };
        format!("{name}: ERROR ({reason})")
    }

    fn signal_result(r: &Value, success: &str) -> String {
        let name = namespec(&s(r, "group"), &s(r, "name"));
        let reason = match n(r, "status") as i32 {
            BAD_NAME => "no such process",
            BAD_SIGNAL => "bad signal name",
            NOT_RUNNING => "not running",
            SUCCESS => return format!("{name}: {success}"),
            FAILED => return s(r, "description"),
            _ => "failed",
        };
        format!("{name}: ERROR ({reason})")
    }

    /// Shared by start, stop and signal: `all`, `group:*` or names.
    fn each_target(&mut self, names: &[&str], verb: &Verb, extra: Option<&str>) -> Outcome {
        let Verb { all_method, group_method, one_method, format, done, ignored, bad_group_exit } = *verb;
        let extra_params = |v: &mut Vec<Value>| {
            if let Some(e) = extra {
                v.push(Value::String(e.to_owned()));
            }
        };
        if names.contains(&"all") {
            let mut params = Vec::new();
            extra_params(&mut params);
            for r in list(self.call(all_method, params)?) {
                let line = format(&r);
                self.output(&line);
                self.set_exitstatus_from_fault(n(&r, "status") as i32, ignored);
            }
            return Ok(());
        }
        for name in names {
            let (group, process) = split_namespec(name);
            match process {
                None => {
                    let mut params = vec![Value::String(group.clone())];
                    extra_params(&mut params);
                    match self.call(group_method, params) {
                        Ok(results) => {
                            for r in list(results) {
                                let line = format(&r);
                                self.output(&line);
                                self.set_exitstatus_from_fault(n(&r, "status") as i32, ignored);
                            }
                        }
                        Err(ClientError::Fault { code: BAD_NAME, .. }) => {
                            self.output(&format!("{group}: ERROR (no such group)"));
                            self.exitstatus = bad_group_exit;
                        }
                        Err(e) => {
                            self.exitstatus = exit::GENERIC;
                            return Err(e);
                        }
                    }
                }
                Some(process) => {
                    let mut params = vec![Value::String((*name).to_owned())];
                    extra_params(&mut params);
                    match self.call(one_method, params) {
                        Ok(_) => self.output(&format!("{}: {done}", namespec(&group, &process))),
                        Err(ClientError::Fault { code, string }) => {
                            let r = result_struct(&group, &process, code, &string);
                            let line = format(&r);
                            self.output(&line);
                            self.set_exitstatus_from_fault(code, ignored);
                        }
                        Err(e) => return Err(e),
                    }
                }
            }
        }
        Ok(())
    }

    /// What every process command opens with: the server check, then at
    /// least `min` words of `arg` or 4.3.0's refusal (`message`, its help,
    /// exit `status`). `None`: the command stops there.
    fn words<'a>(
        &mut self,
        command: &str,
        arg: &'a str,
        min: usize,
        message: &str,
        status: i32,
    ) -> Result<Option<Vec<&'a str>>, ClientError> {
        if !self.upcheck()? {
            return Ok(None);
        }
        let words: Vec<&str> = arg.split_whitespace().collect();
        if words.len() < min {
            self.output(message);
            self.exitstatus = status;
            self.print_help(command);
            return Ok(None);
        }
        Ok(Some(words))
    }

    fn do_start(&mut self, arg: &str) -> Outcome {
        let Some(names) = self.words("start", arg, 1, "Error: start requires a process name", exit::INVALID_ARGS)?
        else {
            return Ok(());
        };
        let verb = Verb {
            all_method: "supervisor.startAllProcesses",
            group_method: "supervisor.startProcessGroup",
            one_method: "supervisor.startProcess",
            format: Self::start_result,
            done: "started",
            ignored: Some(ALREADY_STARTED),
            bad_group_exit: exit::INVALID_ARGS,
        };
        self.each_target(&names, &verb, None)
    }

    fn do_stop(&mut self, arg: &str) -> Outcome {
        let Some(names) = self.words("stop", arg, 1, "Error: stop requires a process name", exit::GENERIC)? else {
            return Ok(());
        };
        let verb = Verb {
            all_method: "supervisor.stopAllProcesses",
            group_method: "supervisor.stopProcessGroup",
            one_method: "supervisor.stopProcess",
            format: |r| Self::signal_result(r, "stopped"),
            done: "stopped",
            ignored: Some(NOT_RUNNING),
            bad_group_exit: exit::GENERIC,
        };
        self.each_target(&names, &verb, None)
    }

    fn do_signal(&mut self, arg: &str) -> Outcome {
        let message = "Error: signal requires a signal name and a process name";
        let Some(args) = self.words("signal", arg, 2, message, exit::GENERIC)? else {
            return Ok(());
        };
        let verb = Verb {
            all_method: "supervisor.signalAllProcesses",
            group_method: "supervisor.signalProcessGroup",
            one_method: "supervisor.signalProcess",
            format: |r| Self::signal_result(r, "signalled"),
            done: "signalled",
            ignored: None,
            bad_group_exit: exit::GENERIC,
        };
        self.each_target(&args[1..], &verb, Some(args[0]))
    }

    fn do_restart(&mut self, arg: &str) -> Outcome {
        if self.words("restart", arg, 1, "Error: restart requires a process name", exit::GENERIC)?.is_none() {
            return Ok(());
        }
        self.do_stop(arg)?;
        self.do_start(arg)
    }

    fn do_tail(&mut self, arg: &str) -> Outcome {
        if !self.upcheck()? {
            return Ok(());
        }
        let mut args: Vec<&str> = arg.split_whitespace().collect();
        if args.is_empty() || args.len() > 3 {
            self.output(if args.is_empty() { "Error: too few arguments" } else { "Error: too many arguments" });
            self.exitstatus = exit::GENERIC;
            self.print_help("tail");
            return Ok(());
        }
        let modifier = if args[0].starts_with('-') { Some(args.remove(0)) } else { None };
        let (name, channel) = match args.as_slice() {
            [name] => (*name, "stdout".to_owned()),
            [name, .., channel] => {
                let channel = channel.to_lowercase();
                if channel != "stdout" && channel != "stderr" {
                    self.output(&format!("Error: bad channel {}", supervisor_core::config::repr(&channel)));
                    self.exitstatus = exit::GENERIC;
                    return Ok(());
                }
                (*name, channel)
            }
            [] => {
                self.output("Error: tail requires process name");
                self.exitstatus = exit::GENERIC;
                return Ok(());
            }
        };
        let mut bytes = 1600i64;
        if let Some(m) = modifier {
            match &m[1..] {
                "f" => return self.tail_follow(&format!("/logtail/{name}/{channel}")),
                what => match what.parse() {
                    Ok(n) => bytes = n,
                    Err(_) => {
                        self.output(&format!("Error: bad argument {m}"));
                        self.exitstatus = exit::GENERIC;
                        return Ok(());
                    }
                },
            }
        }
        let method =
            if channel == "stdout" { "supervisor.readProcessStdoutLog" } else { "supervisor.readProcessStderrLog" };
        match self.call(method, vec![Value::String(name.to_owned()), Value::Integer(-bytes as i32), Value::Integer(0)])
        {
            Ok(v) => {
                let text = str_value(v);
                self.output(&text);
            }
            Err(ClientError::Fault { code, .. }) if matches!(code, NO_FILE | FAILED | BAD_NAME) => {
                self.exitstatus = exit::GENERIC;
                let reason = match code {
                    NO_FILE => "no log file",
                    FAILED => "unknown error reading log",
                    _ => "no such process name",
                };
                self.output(&format!("{name}: ERROR ({reason})"));
            }
            Err(e) => return Err(e),
        }
        Ok(())
    }

    fn tail_follow(&mut self, path: &str) -> Outcome {
        self.output("==> Press Ctrl-C to exit <==");
        let _ = self.out.flush();
        let interrupted = interrupt::watch();
        let client = self.client()?.with_timeout(std::time::Duration::from_millis(200));
        let (status, mut body) = client.get(path)?;
        if status == 401 {
            return Err(ClientError::Unauthorized);
        }
        if status != 200 {
            return Err(ClientError::Http(status));
        }
        let out = &mut self.out;
        follow(&mut body, &interrupted, |bytes| {
            let _ = out.write_all(bytes).and_then(|()| out.flush());
        })?;
        if interrupted() {
            // 4.3.0 ends a follow on Ctrl-C with an empty line.
            self.output("");
        }
        Ok(())
    }

    fn do_maintail(&mut self, arg: &str) -> Outcome {
        if !self.upcheck()? {
            return Ok(());
        }
        let args: Vec<&str> = arg.split_whitespace().collect();
        let bytes = match args.as_slice() {
            [] => 1600,
            [a] if a.starts_with('-') => match &a[1..] {
                "f" => return self.tail_follow("/mainlogtail"),
                what => match what.parse::<i64>() {
                    Ok(n) => n,
                    Err(_) => {
                        self.output(&format!("Error: bad argument {a}"));
                        self.exitstatus = exit::GENERIC;
                        return Ok(());
                    }
                },
            },
            [a] => {
                self.output(&format!("Error: bad argument {a}"));
                self.exitstatus = exit::GENERIC;
                return Ok(());
            }
            _ => {
                self.output("Error: too many arguments");
                self.exitstatus = exit::GENERIC;
                self.print_help("maintail");
                return Ok(());
            }
        };
        match self.call("supervisor.readLog", vec![Value::Integer(-bytes as i32), Value::Integer(0)]) {
            Ok(v) => {
                let text = str_value(v);
                self.output(&text);
            }
            Err(ClientError::Fault { code, .. }) if code == NO_FILE || code == FAILED => {
                self.exitstatus = exit::GENERIC;
                let reason = if code == NO_FILE { "no log file" } else { "unknown error reading log" };
                self.output(&format!("supervisord: ERROR ({reason})"));
            }
            Err(e) => return Err(e),
        }
        Ok(())
    }

    fn do_clear(&mut self, arg: &str) -> Outcome {
        let Some(names) = self.words("clear", arg, 1, "Error: clear requires a process name", exit::GENERIC)? else {
            return Ok(());
        };
        let clear_result = |r: &Value| {
            let name = namespec(&s(r, "group"), &s(r, "name"));
            match n(r, "status") as i32 {
                BAD_NAME => format!("{name}: ERROR (no such process)"),
                SUCCESS => format!("{name}: cleared"),
                _ => format!("{name}: ERROR (failed)"),
            }
        };
        if names.contains(&"all") {
            for r in list(self.call("supervisor.clearAllProcessLogs", vec![])?) {
                let line = clear_result(&r);
                self.output(&line);
                self.set_exitstatus_from_fault(n(&r, "status") as i32, None);
            }
            return Ok(());
        }
        for name in names {
            let (group, process) = split_namespec(name);
            let process = process.unwrap_or_default();
            match self.call_s("supervisor.clearProcessLogs", &[name]) {
                Ok(_) => self.output(&format!("{}: cleared", namespec(&group, &process))),
                Err(ClientError::Fault { code, string }) => {
                    let line = clear_result(&result_struct(&group, &process, code, &string));
                    self.output(&line);
                    self.set_exitstatus_from_fault(code, None);
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    fn do_completion(&mut self, arg: &str) {
        match completion::script(arg) {
            Some(script) => {
                let _ = write!(self.out, "{script}");
            }
            None => {
                self.output("Error: completion requires a shell: bash, zsh or fish");
                self.exitstatus = exit::GENERIC;
                self.print_help("completion");
            }
        }
    }

    fn no_args(&mut self, command: &str, arg: &str) -> bool {
        if arg.is_empty() {
            return true;
        }
        self.output(&format!("Error: {command} accepts no arguments"));
        self.exitstatus = exit::GENERIC;
        self.print_help(command);
        false
    }

    fn do_avail(&mut self, arg: &str) -> Outcome {
        if !self.no_args("avail", arg) {
            return Ok(());
        }
        match self.call("supervisor.getAllConfigInfo", vec![]) {
            Ok(infos) if self.json => {
                self.output_json(&to_json(&infos));
                Ok(())
            }
            Ok(infos) => {
                for i in list(infos) {
                    let name = namespec(&s(&i, "group"), &s(&i, "name"));
                    let inuse = if b(&i, "inuse") { "in use" } else { "avail" };
                    let auto = if b(&i, "autostart") { "auto" } else { "manual" };
                    let prio = format!("{}:{}", n(&i, "group_prio"), n(&i, "process_prio"));
                    self.output(&format!("{name:<32} {inuse:<9} {auto:<9} {prio}"));
                }
                Ok(())
            }
            Err(ClientError::Fault { code: SHUTDOWN_STATE, .. }) => {
                self.exitstatus = exit::GENERIC;
                self.output("ERROR: supervisor shutting down");
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    fn reload_config(&mut self) -> Result<Option<[Vec<String>; 3]>, ClientError> {
        match self.call("supervisor.reloadConfig", vec![]) {
            Ok(v) => {
                let outer = list(v).into_iter().next().map(list).unwrap_or_default();
                let mut parts = outer.into_iter().map(|x| list(x).into_iter().map(str_value).collect::<Vec<_>>());
                Ok(Some([
                    parts.next().unwrap_or_default(),
                    parts.next().unwrap_or_default(),
                    parts.next().unwrap_or_default(),
                ]))
            }
            Err(ClientError::Fault { code: SHUTDOWN_STATE, .. }) => {
                self.exitstatus = exit::GENERIC;
                self.output("ERROR: supervisor shutting down");
                Ok(None)
            }
            Err(ClientError::Fault { code: CANT_REREAD, string }) => {
                self.exitstatus = exit::GENERIC;
                self.output(&format!("ERROR: {string}"));
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    fn do_reread(&mut self, arg: &str) -> Outcome {
        if !self.no_args("reread", arg) {
            return Ok(());
        }
        let Some([added, changed, removed]) = self.reload_config()? else { return Ok(()) };
        let mut changes: BTreeMap<String, &str> = BTreeMap::new();
        for (names, what) in [(added, "available"), (changed, "changed"), (removed, "disappeared")] {
            for name in names {
                changes.insert(name, what);
            }
        }
        if changes.is_empty() {
            self.output("No config updates to processes");
        }
        for (name, what) in changes {
            self.output(&format!("{name}: {what}"));
        }
        Ok(())
    }

    fn do_add(&mut self, arg: &str) -> Outcome {
        for name in arg.split_whitespace() {
            match self.call_s("supervisor.addProcessGroup", &[name]) {
                Ok(_) => self.output(&format!("{name}: added process group")),
                Err(ClientError::Fault { code: SHUTDOWN_STATE, .. }) => {
                    self.output("ERROR: shutting down");
                    self.exitstatus = exit::GENERIC;
                }
                Err(ClientError::Fault { code: ALREADY_ADDED, .. }) => {
                    self.output("ERROR: process group already active")
                }
                Err(ClientError::Fault { code: BAD_NAME, .. }) => {
                    self.output(&format!("ERROR: no such process/group: {name}"));
                    self.exitstatus = exit::GENERIC;
                }
                Err(e) => {
                    self.exitstatus = exit::GENERIC;
                    return Err(e);
                }
            }
        }
        Ok(())
    }

    fn do_remove(&mut self, arg: &str) -> Outcome {
        for name in arg.split_whitespace() {
            match self.call_s("supervisor.removeProcessGroup", &[name]) {
                Ok(_) => self.output(&format!("{name}: removed process group")),
                Err(ClientError::Fault { code, .. }) if code == STILL_RUNNING || code == BAD_NAME => {
                    self.exitstatus = exit::GENERIC;
                    if code == STILL_RUNNING {
                        self.output(&format!("ERROR: process/group still running: {name}"));
                    } else {
                        self.output(&format!("ERROR: no such process/group: {name}"));
                    }
                }
                Err(e) => {
                    self.exitstatus = exit::GENERIC;
                    return Err(e);
                }
            }
        }
        Ok(())
    }

    fn do_update(&mut self, arg: &str) -> Outcome {
        let result = match self.call("supervisor.reloadConfig", vec![]) {
            Ok(v) => v,
            Err(ClientError::Fault { code: SHUTDOWN_STATE, .. }) => {
                self.exitstatus = exit::GENERIC;
                self.output("ERROR: already shutting down");
                return Ok(());
            }
            Err(e) => {
                self.exitstatus = exit::GENERIC;
                return Err(e);
            }
        };
        let outer = list(result).into_iter().next().map(list).unwrap_or_default();
        let mut parts = outer.into_iter().map(|x| list(x).into_iter().map(str_value).collect::<Vec<String>>());
        let (added, changed, removed) =
            (parts.next().unwrap_or_default(), parts.next().unwrap_or_default(), parts.next().unwrap_or_default());
        // A set in 4.3.0: each name once.
        let mut valid: Vec<&str> = Vec::new();
        for name in arg.split_whitespace() {
            if !valid.contains(&name) {
                valid.push(name);
            }
        }
        if valid.contains(&"all") {
            valid.clear();
        }
        if !valid.is_empty() {
            let mut groups: Vec<String> =
                list(self.call("supervisor.getAllProcessInfo", vec![])?).iter().map(|i| s(i, "group")).collect();
            groups.extend(added.iter().cloned());
            for g in &valid {
                if !groups.iter().any(|x| x == g) {
                    self.output(&format!("ERROR: no such group: {g}"));
                    self.exitstatus = exit::GENERIC;
                }
            }
        }
        let wanted = |g: &str| valid.is_empty() || valid.contains(&g);
        for g in removed.iter().filter(|g| wanted(g)) {
            let results = list(self.call_s("supervisor.stopProcessGroup", &[g])?);
            self.output(&format!("{g}: stopped"));
            if results.iter().any(|r| n(r, "status") as i32 == FAILED) {
                self.output(&format!("{g}: has problems; not removing"));
                self.exitstatus = exit::GENERIC;
                continue;
            }
            self.call_s("supervisor.removeProcessGroup", &[g])?;
            self.output(&format!("{g}: removed process group"));
        }
        let partial = changed.iter().any(|g| wanted(g)) && self.server_has(UPDATE_PROCESS_GROUP)?;
        for g in changed.iter().filter(|g| wanted(g)) {
            if partial {
                // Our supervisord restarts only the processes whose settings
                // changed; what is printed is what 4.3.0 prints for the group.
                self.call_s(UPDATE_PROCESS_GROUP, &[g])?;
                self.output(&format!("{g}: stopped"));
                self.output(&format!("{g}: updated process group"));
                continue;
            }
            self.call_s("supervisor.stopProcessGroup", &[g])?;
            self.output(&format!("{g}: stopped"));
            self.call_s("supervisor.removeProcessGroup", &[g])?;
            self.call_s("supervisor.addProcessGroup", &[g])?;
            self.output(&format!("{g}: updated process group"));
        }
        for g in added.iter().filter(|g| wanted(g)) {
            self.call_s("supervisor.addProcessGroup", &[g])?;
            self.output(&format!("{g}: added process group"));
        }
        Ok(())
    }

    /// Whether the server offers `method` (ours has extensions 4.3.0 lacks).
    fn server_has(&self, method: &str) -> Result<bool, ClientError> {
        match self.call("system.listMethods", vec![]) {
            Ok(v) => Ok(list(v).into_iter().any(|m| str_value(m) == method)),
            Err(ClientError::Fault { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    fn confirm(&mut self, question: &str) -> bool {
        if !self.options.interactive {
            return true;
        }
        let _ = write!(self.out, "{question}");
        let _ = self.out.flush();
        read_stdin_line().unwrap_or_default().to_lowercase().starts_with('y')
    }

    fn do_reload(&mut self, arg: &str) -> Outcome {
        if !self.no_args("reload", arg) || !self.confirm("Really restart the remote supervisord process y/N? ") {
            return Ok(());
        }
        match self.call("supervisor.restart", vec![]) {
            Ok(_) => self.output("Restarted supervisord"),
            Err(ClientError::Fault { code: SHUTDOWN_STATE, .. }) => {
                self.exitstatus = exit::GENERIC;
                self.output("ERROR: already shutting down");
            }
            Err(e) => {
                self.exitstatus = exit::GENERIC;
                return Err(e);
            }
        }
        Ok(())
    }

    fn do_shutdown(&mut self, arg: &str) -> Outcome {
        if !self.no_args("shutdown", arg) || !self.confirm("Really shut the remote supervisord process down y/N? ") {
            return Ok(());
        }
        let url = self.options.serverurl.clone();
        match self.call("supervisor.shutdown", vec![]) {
            Ok(_) => self.output("Shut down"),
            Err(ClientError::Fault { code: SHUTDOWN_STATE, .. }) => self.output("ERROR: already shutting down"),
            Err(ClientError::Io(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                self.exitstatus = exit::GENERIC;
                self.output(&format!("ERROR: {url} refused connection (already shut down?)"));
            }
            Err(ClientError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {
                self.exitstatus = exit::GENERIC;
                self.output(&format!("ERROR: {url} no such file (already shut down?)"));
            }
            Err(e) => {
                self.exitstatus = exit::GENERIC;
                return Err(e);
            }
        }
        Ok(())
    }

    fn do_version(&mut self, arg: &str) -> Outcome {
        if !self.no_args("version", arg) || !self.upcheck()? {
            return Ok(());
        }
        let v = str_value(self.call("supervisor.getSupervisorVersion", vec![])?);
        self.output(&v);
        Ok(())
    }

    fn do_open(&mut self, arg: &str) -> Outcome {
        let url = arg.trim();
        if !(url.starts_with("unix:") || url.starts_with("http:")) {
            self.output("ERROR: url must be http:// or unix://");
            self.exitstatus = exit::GENERIC;
            return Ok(());
        }
        self.options.serverurl = url.to_owned();
        let old = self.exitstatus;
        let r = self.do_status("");
        self.exitstatus = old;
        r
    }

    fn do_fg(&mut self, arg: &str) -> Outcome {
        if !self.upcheck()? {
            return Ok(());
        }
        let names: Vec<&str> = arg.split_whitespace().collect();
        match names.as_slice() {
            [] => {
                self.output("ERROR: no process name supplied");
                self.exitstatus = exit::GENERIC;
                self.print_help("fg");
            }
            [_, _, ..] => {
                self.output("ERROR: too many process names supplied");
                self.exitstatus = exit::GENERIC;
            }
            [name] => match self.call_s("supervisor.getProcessInfo", &[name]) {
                Err(ClientError::Fault { code: BAD_NAME, .. }) => {
                    self.output("ERROR: bad process name supplied");
                    self.exitstatus = exit::GENERIC;
                }
                Err(e) => self.output(&format!("ERROR: {e}")),
                Ok(info) if n(&info, "state") != 20 => {
                    self.output("ERROR: process not running");
                    self.exitstatus = exit::GENERIC;
                }
                Ok(_) => {
                    self.foreground(name)?;
                }
            },
        }
        Ok(())
    }
}

/// An XML-RPC value as JSON: structs are objects, arrays arrays, and the
/// scalars what they are (dates and binary data as text).
pub fn to_json(v: &Value) -> serde_json::Value {
    use serde_json::Value as J;
    match v {
        Value::Integer(i) => J::from(*i),
        Value::Boolean(b) => J::Bool(*b),
        Value::String(s) => J::String(s.clone()),
        Value::Double(d) => J::from(*d),
        Value::DateTime(d) => J::String(d.to_string()),
        Value::Base64(b) => J::String(String::from_utf8_lossy(b).into_owned()),
        Value::Struct(m) => J::Object(m.iter().map(|(k, v)| (k.clone(), to_json(v))).collect()),
        Value::Array(a) => J::Array(a.iter().map(to_json).collect()),
        _ => J::Null,
    }
}

/// What `pid --json` says of a process: its group, name and pid.
fn pid_json(info: &Value) -> serde_json::Value {
    serde_json::json!({ "group": s(info, "group"), "name": s(info, "name"), "pid": n(info, "pid") })
}

/// Copies a streamed body (read with a timeout) to `write` until it ends
/// or `stop` says so.
fn follow(body: &mut dyn std::io::Read, stop: impl Fn() -> bool, mut write: impl FnMut(&[u8])) -> std::io::Result<()> {
    let mut buf = [0u8; 8192];
    while !stop() {
        match body.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => write(&buf[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut | std::io::ErrorKind::Interrupted
                ) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Lines typed on stdin, read so that Ctrl-C is noticed while waiting.
#[derive(Default)]
struct StdinLines {
    pending: Vec<u8>,
    eof: bool,
}

impl StdinLines {
    /// The next line; `Err` once Ctrl-C came, `None` at the end of input.
    fn next(&mut self, interrupted: &impl Fn() -> bool) -> Option<Result<String, ()>> {
        loop {
            if let Some(end) = self.pending.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = self.pending.drain(..=end).collect();
                return Some(Ok(String::from_utf8_lossy(&line).into_owned()));
            }
            if self.eof {
                return None;
            }
            if interrupted() {
                return Some(Err(()));
            }
            let mut poll = [libc::pollfd { fd: 0, events: libc::POLLIN, revents: 0 }];
            // SAFETY: poll on one valid pollfd for at most 100 ms.
            if unsafe { libc::poll(poll.as_mut_ptr(), 1, 100) } <= 0 {
                continue;
            }
            // A byte at a time, so nothing after the line is taken from a
            // piped stdin: the shell reads the next command after `fg`.
            let mut buf = [0u8; 1];
            // SAFETY: read into a buffer of the size given.
            let n = unsafe { libc::read(0, buf.as_mut_ptr().cast(), buf.len()) };
            match n {
                0 => self.eof = true,
                n if n > 0 => self.pending.extend_from_slice(&buf[..n as usize]),
                _ if std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted => {}
                _ => self.eof = true,
            }
        }
    }
}
