//! Acting on processes: `start`, `stop`, `restart` and `signal`, on `all`,
//! a group (`group:*`) or single processes, each reported a line a process.

use std::io::Write;

use supervisor_rpc::client::{Client, ClientError, RemoteResult};
use supervisor_rpc::codes::Fault;

use super::{Controller, Outcome, exit, namespec, split_namespec};

/// start, stop or signal: which calls they make and how they report.
#[derive(Clone, Copy)]
enum Action<'a> {
    Start,
    Stop,
    /// With the signal, as typed.
    Signal(&'a str),
}

impl Action<'_> {
    fn all(self, client: &Client) -> Result<Vec<RemoteResult>, ClientError> {
        match self {
            Action::Start => client.start_all_processes(),
            Action::Stop => client.stop_all_processes(),
            Action::Signal(signal) => client.signal_all_processes(signal),
        }
    }

    fn group(self, client: &Client, group: &str) -> Result<Vec<RemoteResult>, ClientError> {
        match self {
            Action::Start => client.start_process_group(group),
            Action::Stop => client.stop_process_group(group),
            Action::Signal(signal) => client.signal_process_group(group, signal),
        }
    }

    fn one(self, client: &Client, name: &str) -> Result<bool, ClientError> {
        match self {
            Action::Start => client.start_process(name),
            Action::Stop => client.stop_process(name),
            Action::Signal(signal) => client.signal_process(name, signal),
        }
    }

    /// What a process it worked on is said to be.
    fn done(self) -> &'static str {
        match self {
            Action::Start => "started",
            Action::Stop => "stopped",
            Action::Signal(_) => "signalled",
        }
    }

    /// The fault that does not change the exit status: starting what
    /// runs, stopping what does not.
    fn ignored(self) -> Option<Fault> {
        match self {
            Action::Start => Some(Fault::AlreadyStarted),
            Action::Stop => Some(Fault::NotRunning),
            Action::Signal(_) => None,
        }
    }

    /// The exit status for a group that does not exist (4.3.0's start
    /// says INVALID_ARGS there, the others GENERIC).
    fn bad_group_exit(self) -> i32 {
        match self {
            Action::Start => exit::INVALID_ARGS,
            Action::Stop | Action::Signal(_) => exit::GENERIC,
        }
    }

    /// The line for one process's result (4.3.0's `_startresult` and
    /// `_signalresult`, which stop shares).
    fn report(self, r: &RemoteResult) -> String {
        let name = namespec(&r.group, &r.name);
        let reason = match self {
            Action::Start => match r.fault() {
                Some(Fault::BadName) => "no such process",
                Some(Fault::NoFile) => "no such file",
                Some(Fault::NotExecutable) => "file is not executable",
                Some(Fault::AlreadyStarted) => "already started",
                Some(Fault::SpawnError) => "spawn error",
                Some(Fault::AbnormalTermination) => "abnormal termination",
                Some(Fault::Success) => return format!("{name}: started"),
                _ => "failed",
            },
            Action::Stop | Action::Signal(_) => match r.fault() {
                Some(Fault::BadName) => "no such process",
                Some(Fault::BadSignal) => "bad signal name",
                Some(Fault::NotRunning) => "not running",
                Some(Fault::Success) => return format!("{name}: {}", self.done()),
                Some(Fault::Failed) => return r.description.clone(),
                _ => "failed",
            },
        };
        format!("{name}: ERROR ({reason})")
    }
}

impl<W: Write> Controller<W> {
    /// Reports each result of a call on several processes.
    fn report_all(&mut self, action: Action, results: &[RemoteResult]) {
        for r in results {
            let line = action.report(r);
            self.output(&line);
            self.set_exitstatus_from_fault(r.status, action.ignored());
        }
    }

    /// Shared by start, stop and signal: `all`, `group:*` or names.
    fn each_target(&mut self, names: &[&str], action: Action) -> Outcome {
        if names.contains(&"all") {
            let results = action.all(&self.client()?)?;
            self.report_all(action, &results);
            return Ok(());
        }
        for name in names {
            let (group, process) = split_namespec(name);
            match process {
                None => match action.group(&self.client()?, &group) {
                    Ok(results) => self.report_all(action, &results),
                    Err(e) if e.fault() == Some(Fault::BadName) => {
                        self.output(&format!("{group}: ERROR (no such group)"));
                        self.exitstatus = action.bad_group_exit();
                    }
                    Err(e) => {
                        self.exitstatus = exit::GENERIC;
                        return Err(e);
                    }
                },
                Some(process) => match action.one(&self.client()?, name) {
                    Ok(_) => self.output(&format!("{}: {}", namespec(&group, &process), action.done())),
                    // A fault reported as a group call's result would be.
                    Err(ClientError::Fault { code, string }) => {
                        let r = RemoteResult { name: process, group, status: code, description: string };
                        self.report_all(action, &[r]);
                    }
                    Err(e) => return Err(e),
                },
            }
        }
        Ok(())
    }

    pub(super) fn do_start(&mut self, arg: &str) -> Outcome {
        let Some(names) = self.words("start", arg, 1, "Error: start requires a process name", exit::INVALID_ARGS)?
        else {
            return Ok(());
        };
        self.each_target(&names, Action::Start)
    }

    pub(super) fn do_stop(&mut self, arg: &str) -> Outcome {
        let Some(names) = self.words("stop", arg, 1, "Error: stop requires a process name", exit::GENERIC)? else {
            return Ok(());
        };
        self.each_target(&names, Action::Stop)
    }

    pub(super) fn do_signal(&mut self, arg: &str) -> Outcome {
        let message = "Error: signal requires a signal name and a process name";
        let Some(args) = self.words("signal", arg, 2, message, exit::GENERIC)? else {
            return Ok(());
        };
        self.each_target(&args[1..], Action::Signal(args[0]))
    }

    /// 4.3.0's restart: stop, then start, each with its own checks and
    /// report.
    pub(super) fn do_restart(&mut self, arg: &str) -> Outcome {
        if self.words("restart", arg, 1, "Error: restart requires a process name", exit::GENERIC)?.is_none() {
            return Ok(());
        }
        self.do_stop(arg)?;
        self.do_start(arg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(status: Fault, description: &str) -> RemoteResult {
        RemoteResult { name: "b".into(), group: "g".into(), status: status.code(), description: description.into() }
    }

    #[test]
    fn reports_are_4_3_0_s() {
        assert_eq!(Action::Start.report(&result(Fault::Success, "OK")), "g:b: started");
        assert_eq!(Action::Start.report(&result(Fault::SpawnError, "x")), "g:b: ERROR (spawn error)");
        assert_eq!(Action::Start.report(&result(Fault::NotRunning, "x")), "g:b: ERROR (failed)");
        assert_eq!(Action::Stop.report(&result(Fault::NotRunning, "x")), "g:b: ERROR (not running)");
        assert_eq!(Action::Stop.report(&result(Fault::Failed, "FAILED: why")), "FAILED: why");
        assert_eq!(Action::Signal("HUP").report(&result(Fault::Success, "OK")), "g:b: signalled");
        assert_eq!(Action::Signal("X").report(&result(Fault::BadSignal, "x")), "g:b: ERROR (bad signal name)");
        let unknown = RemoteResult { status: 12345, ..result(Fault::Success, "") };
        assert_eq!(Action::Stop.report(&unknown), "g:b: ERROR (failed)");
    }
}
