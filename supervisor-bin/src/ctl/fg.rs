//! `fg`: a running process in the foreground, its output streamed and the
//! lines typed sent to its stdin.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use supervisor_rpc::codes::{Fault, ProcessState};

use super::input::StdinLines;
use super::logs::follow;
use super::{Controller, Outcome, exit, interrupt};

impl<W: Write> Controller<W> {
    pub(super) fn do_fg(&mut self, arg: &str) -> Outcome {
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
            [name] => match self.client()?.get_process_info(name) {
                Err(e) if e.fault() == Some(Fault::BadName) => {
                    self.output("ERROR: bad process name supplied");
                    self.exitstatus = exit::GENERIC;
                }
                Err(e) => self.output(&format!("ERROR: {e}")),
                Ok(info) if info.process_state() != Some(ProcessState::Running) => {
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

    /// Streams the process's stdout and stderr while sending typed lines
    /// to its stdin, until EOF, Ctrl-C or the process stops; then back to
    /// the prompt, the streams stopped.
    fn foreground(&mut self, name: &str) -> Outcome {
        self.output("==> Press Ctrl-C to exit <==");
        let _ = self.out.flush();
        let interrupted = interrupt::watch();
        let stop = Arc::new(AtomicBool::new(false));
        let mut streams = Vec::new();
        for channel in ["stdout", "stderr"] {
            // A short read timeout, so that the thread sees `stop` soon.
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
            match self.client().and_then(|c| c.send_process_stdin(name, &line)) {
                Ok(_) => {}
                Err(e) if e.fault() == Some(Fault::NotRunning) => {
                    self.output("Process got killed");
                    break Ok(());
                }
                Err(e) => {
                    self.output(&format!("ERROR: {e}"));
                    break Ok(());
                }
            }
            match self.client().and_then(|c| c.get_process_info(name)) {
                Ok(info) if info.process_state() != Some(ProcessState::Running) => {
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
}
