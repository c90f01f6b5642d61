//! Logs: `tail` (a process's), `maintail` (supervisord's), either read
//! once or followed (`-f`, streamed from `/logtail` and `/mainlogtail`),
//! and `clear`.

use std::io::Write;

use supervisor_rpc::client::{ClientError, RemoteResult};
use supervisor_rpc::codes::Fault;

use super::{Controller, Outcome, exit, interrupt, namespec, split_namespec};

/// How much of a log `tail` and `maintail` show without `-N`.
const DEFAULT_BYTES: i64 = 1600;

/// 4.3.0's line for one process's `clear` result.
fn clear_report(r: &RemoteResult) -> String {
    let name = namespec(&r.group, &r.name);
    match r.fault() {
        Some(Fault::BadName) => format!("{name}: ERROR (no such process)"),
        Some(Fault::Success) => format!("{name}: cleared"),
        _ => format!("{name}: ERROR (failed)"),
    }
}

/// The offset that reads the last `bytes` of a log. Wrapping, as a
/// release build's `-bytes` did, so that no argument makes it panic.
fn from_end(bytes: i64) -> i32 {
    bytes.wrapping_neg() as i32
}

impl<W: Write> Controller<W> {
    pub(super) fn do_tail(&mut self, arg: &str) -> Outcome {
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
        let mut bytes = DEFAULT_BYTES;
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
        let client = self.client()?;
        let read = if channel == "stdout" {
            client.read_process_stdout_log(name, from_end(bytes), 0)
        } else {
            client.read_process_stderr_log(name, from_end(bytes), 0)
        };
        match read {
            Ok(text) => self.output(&text),
            Err(e) if matches!(e.fault(), Some(Fault::NoFile | Fault::Failed | Fault::BadName)) => {
                self.exitstatus = exit::GENERIC;
                let reason = match e.fault() {
                    Some(Fault::NoFile) => "no log file",
                    Some(Fault::Failed) => "unknown error reading log",
                    _ => "no such process name",
                };
                self.output(&format!("{name}: ERROR ({reason})"));
            }
            Err(e) => return Err(e),
        }
        Ok(())
    }

    /// `tail -f` and `maintail -f`: copies the stream at `path` until
    /// Ctrl-C or the server ends it.
    fn tail_follow(&mut self, path: &str) -> Outcome {
        self.output("==> Press Ctrl-C to exit <==");
        let _ = self.out.flush();
        let interrupted = interrupt::watch();
        // A short read timeout, so that Ctrl-C is noticed while waiting.
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

    pub(super) fn do_maintail(&mut self, arg: &str) -> Outcome {
        if !self.upcheck()? {
            return Ok(());
        }
        let args: Vec<&str> = arg.split_whitespace().collect();
        let bytes = match args.as_slice() {
            [] => DEFAULT_BYTES,
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
        match self.client()?.read_log(from_end(bytes), 0) {
            Ok(text) => self.output(&text),
            Err(e) if matches!(e.fault(), Some(Fault::NoFile | Fault::Failed)) => {
                self.exitstatus = exit::GENERIC;
                let reason = if e.fault() == Some(Fault::NoFile) { "no log file" } else { "unknown error reading log" };
                self.output(&format!("supervisord: ERROR ({reason})"));
            }
            Err(e) => return Err(e),
        }
        Ok(())
    }

    pub(super) fn do_clear(&mut self, arg: &str) -> Outcome {
        let Some(names) = self.words("clear", arg, 1, "Error: clear requires a process name", exit::GENERIC)? else {
            return Ok(());
        };
        if names.contains(&"all") {
            for r in self.client()?.clear_all_process_logs()? {
                self.output(&clear_report(&r));
                self.set_exitstatus_from_fault(r.status, None);
            }
            return Ok(());
        }
        for name in names {
            let (group, process) = split_namespec(name);
            let process = process.unwrap_or_default();
            match self.client()?.clear_process_logs(name) {
                Ok(_) => self.output(&format!("{}: cleared", namespec(&group, &process))),
                // Reported as clearAllProcessLogs reports a process.
                Err(ClientError::Fault { code, string }) => {
                    let r = RemoteResult { name: process, group, status: code, description: string };
                    self.output(&clear_report(&r));
                    self.set_exitstatus_from_fault(code, None);
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

/// Copies a streamed body (read with a timeout) to `write` until it ends
/// or `stop` says so.
pub(super) fn follow(
    body: &mut dyn std::io::Read,
    stop: impl Fn() -> bool,
    mut write: impl FnMut(&[u8]),
) -> std::io::Result<()> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_and_clear_reports() {
        assert_eq!(from_end(1600), -1600);
        assert_eq!(from_end(-5), 5);
        assert_eq!(from_end(i64::MIN), 0);
        let r = |status: Fault| RemoteResult {
            name: "a".into(),
            group: "a".into(),
            status: status.code(),
            description: String::new(),
        };
        assert_eq!(clear_report(&r(Fault::Success)), "a: cleared");
        assert_eq!(clear_report(&r(Fault::BadName)), "a: ERROR (no such process)");
        assert_eq!(clear_report(&r(Fault::Failed)), "a: ERROR (failed)");
    }

    #[test]
    fn follow_copies_until_the_end() {
        let mut body: &[u8] = b"abc";
        let mut copied = Vec::new();
        follow(&mut body, || false, |b| copied.extend_from_slice(b)).expect("follow");
        assert_eq!(copied, b"abc");
    }
}
