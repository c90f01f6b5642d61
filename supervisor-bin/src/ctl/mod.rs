//! `supervisorctl`: 4.3.0's `Controller` and its commands, with the same
//! output text, column layout and exit codes. This module holds the
//! controller, the dispatch of a command line and what the commands share;
//! each family of commands has a module of its own.

pub mod completion;
mod config;
mod control;
mod daemon;
mod fg;
pub mod help;
mod input;
mod interrupt;
mod logs;
pub mod options;
pub mod shell;
mod status;

use std::io::Write;

use supervisor_rpc::client::{Client, ClientError};
use supervisor_rpc::codes::Fault;

use self::input::{prompt_line, prompt_secret, read_stdin_line};
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

/// What a command ends with: a failure to talk to the server is reported
/// by `onecmd`, the same way for every command.
type Outcome = Result<(), ClientError>;

/// `group:name`, or `name` when both are the same.
fn namespec(group: &str, name: &str) -> String {
    if group == name { name.to_owned() } else { format!("{group}:{name}") }
}

/// `group:name` → (group, Some(name)); `group:` or `group:*` → (group,
/// None); `name` → (name, Some(name)).
fn split_namespec(name: &str) -> (String, Option<String>) {
    match name.split_once(':') {
        Some((g, "" | "*")) => (g.to_owned(), None),
        Some((g, p)) => (g.to_owned(), Some(p.to_owned())),
        None => (name.to_owned(), Some(name.to_owned())),
    }
}

impl<W: Write> Controller<W> {
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

    /// A client for the current server and credentials (both may change
    /// during a session: `open`, the question after a 401).
    fn client(&self) -> Result<Client, ClientError> {
        self.options.client()
    }

    /// The exit status a process's fault calls for (4.3.0's
    /// `_set_exitstatus_from_faults`): none for success or the fault the
    /// command expects, 7 for one that leaves the process not running.
    fn set_exitstatus_from_fault(&mut self, code: i32, ignored: Option<Fault>) {
        match Fault::from_code(code) {
            Some(fault) if fault == Fault::Success || Some(fault) == ignored => {}
            Some(Fault::SpawnError | Fault::AbnormalTermination | Fault::NotRunning) => {
                self.exitstatus = exit::NOT_RUNNING;
            }
            _ => self.exitstatus = exit::GENERIC,
        }
    }

    /// Checks the server answers and speaks API 3.0 (4.3.0's `upcheck`).
    fn upcheck(&mut self) -> Result<bool, ClientError> {
        match self.client()?.get_version() {
            Ok(api) => {
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
            Err(e) if e.fault() == Some(Fault::UnknownMethod) => {
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

    /// For the commands that take no arguments: `false`, after 4.3.0's
    /// refusal and the command's help, when there are some.
    fn no_args(&mut self, command: &str, arg: &str) -> bool {
        if arg.is_empty() {
            return true;
        }
        self.output(&format!("Error: {command} accepts no arguments"));
        self.exitstatus = exit::GENERIC;
        self.print_help(command);
        false
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

    /// The answer to a yes/no question; yes without asking when not
    /// interactive (a command given on the command line, without `-i`).
    fn confirm(&mut self, question: &str) -> bool {
        if !self.options.interactive {
            return true;
        }
        let _ = write!(self.out, "{question}");
        let _ = self.out.flush();
        read_stdin_line().unwrap_or_default().to_lowercase().starts_with('y')
    }
}
