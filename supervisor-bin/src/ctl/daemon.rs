//! supervisord itself: `reload` (restart it), `shutdown`, `version`, and
//! `open` (talk to another one).

use std::io::Write;

use supervisor_rpc::client::ClientError;
use supervisor_rpc::codes::Fault;

use super::{Controller, Outcome, exit};

impl<W: Write> Controller<W> {
    pub(super) fn do_reload(&mut self, arg: &str) -> Outcome {
        if !self.no_args("reload", arg) || !self.confirm("Really restart the remote supervisord process y/N? ") {
            return Ok(());
        }
        match self.client()?.restart() {
            Ok(_) => self.output("Restarted supervisord"),
            Err(e) if e.fault() == Some(Fault::ShutdownState) => {
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

    pub(super) fn do_shutdown(&mut self, arg: &str) -> Outcome {
        if !self.no_args("shutdown", arg) || !self.confirm("Really shut the remote supervisord process down y/N? ") {
            return Ok(());
        }
        let url = self.options.serverurl.clone();
        match self.client()?.shutdown() {
            Ok(_) => self.output("Shut down"),
            Err(e) if e.fault() == Some(Fault::ShutdownState) => self.output("ERROR: already shutting down"),
            // Said as 4.3.0 says it: the daemon may be gone already.
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

    pub(super) fn do_version(&mut self, arg: &str) -> Outcome {
        if !self.no_args("version", arg) || !self.upcheck()? {
            return Ok(());
        }
        let version = self.client()?.get_supervisor_version()?;
        self.output(&version);
        Ok(())
    }

    /// Switches to the server at `arg` and shows its status, which leaves
    /// the exit status as it was.
    pub(super) fn do_open(&mut self, arg: &str) -> Outcome {
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
}
