//! Container mode (`shutdown_on`, an addition): a program's exit or FATAL
//! ends the whole supervisor, with the program's exit status, so the
//! orchestrator restarts the container.

use super::Engine;
use crate::config::{LogLevel, ShutdownOn};
use crate::exit::ExitStatus;
use crate::process::ProcessState;
use crate::supervisor::host::Shell;
use crate::supervisor::lifeline::ShutdownCause;

impl<S: Shell> Engine<S> {
    /// After `id` went from `before` to its state now, through its exit
    /// `status` (`None`: no exit, e.g. a spawn that failed): whether its
    /// `shutdown_on` ends everything, and if so, begins the end.
    pub(super) fn container_check(&mut self, id: usize, before: ProcessState, status: Option<ExitStatus>) {
        if !self.accepting() {
            return;
        }
        let Some(p) = self.process(id) else { return };
        let Some(when) = p.config().shutdown_on else { return };
        let after = p.state();
        if after == before {
            return;
        }
        let expected = |code: i32| u8::try_from(code).is_ok_and(|c| p.config().exitcodes.contains(&c));
        let reason = match (when, after, status) {
            (_, ProcessState::Fatal, _) => Some("entered FATAL".to_owned()),
            (ShutdownOn::Fatal, ..) => None,
            // An exit before startsecs (BACKOFF) is never expected.
            (ShutdownOn::Unexpected, ProcessState::Backoff, Some(s)) => {
                Some(format!("exited ({}; not expected)", s.describe()))
            }
            (ShutdownOn::Unexpected, ProcessState::Exited, Some(s)) if !expected(s.code()) => {
                Some(format!("exited ({}; not expected)", s.describe()))
            }
            (ShutdownOn::Exit, ProcessState::Exited | ProcessState::Backoff, Some(s)) => {
                Some(format!("exited ({})", s.describe()))
            }
            _ => None,
        };
        let Some(reason) = reason else { return };
        let last = status.or_else(|| self.last_exit.get(&id).copied());
        // The program's status if it is not 0 (128 + the signal, as shells
        // say), else 1 for a failure, 0 for a plain exit.
        let exit_code = match last {
            Some(ExitStatus::Exited(code)) if code != 0 => code,
            Some(ExitStatus::Signaled { signal, .. }) => 128 + signal,
            // A job that ended well (even before startsecs) ends it well.
            Some(ExitStatus::Exited(_)) if when == ShutdownOn::Exit => 0,
            _ => 1,
        };
        let name = p.config().name.clone();
        self.log(
            LogLevel::Critical,
            &format!("{name} {reason}: shutting down (shutdown_on = {}), exit status {exit_code}", when.name()),
        );
        self.shutdown_cause = Some(ShutdownCause { process: self.name_of(id), reason, exit_code });
        self.begin_shutdown();
    }
}
