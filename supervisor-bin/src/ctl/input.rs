//! Reading stdin as 4.3.0 does: a byte at a time, so that nothing after a
//! line is held in a buffer of ours. The shell, the questions and `fg` all
//! read stdin in turn, as 4.3.0's share one buffer.

use std::io::Write;

/// One line of stdin without its `\n`, or `None` at the end of input
/// (4.3.0's `input()`).
pub(super) fn read_stdin_line() -> Option<String> {
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

/// Writes `prompt` and reads the answer.
pub(super) fn prompt_line(prompt: &str) -> String {
    print!("{prompt}");
    let _ = std::io::stdout().flush();
    read_stdin_line().unwrap_or_default()
}

/// Reads a line with echo off when stdin is a terminal (getpass).
pub(super) fn prompt_secret(prompt: &str) -> String {
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

/// Lines typed on stdin, read so that Ctrl-C is noticed while waiting.
#[derive(Default)]
pub(super) struct StdinLines {
    pending: Vec<u8>,
    eof: bool,
}

impl StdinLines {
    /// The next line; `Err` once Ctrl-C came, `None` at the end of input.
    pub(super) fn next(&mut self, interrupted: &impl Fn() -> bool) -> Option<Result<String, ()>> {
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
