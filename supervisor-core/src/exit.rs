//! How a child ended: the exit status `waitpid` reports, with 4.3.0's code
//! and message. Ground floor: the platform layer produces it and the
//! process engine consumes it, so it imports nothing but [`crate::signals`].

use crate::signals::Signal;

/// How a child ended, as `waitpid` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExitStatus {
    /// Exited with a code.
    Exited(i32),
    /// Killed by a signal.
    Signaled {
        /// The signal number.
        signal: i32,
        /// Whether it dumped core.
        core_dumped: bool,
    },
}

impl ExitStatus {
    /// 4.3.0's exit status: the code, or -1 for a signal.
    pub fn code(self) -> i32 {
        match self {
            ExitStatus::Exited(code) => code,
            ExitStatus::Signaled { .. } => -1,
        }
    }

    /// 4.3.0's `decode_wait_status` message: `exit status 1`,
    /// `terminated by SIGTERM`, `terminated by SIGSEGV (core dumped)`.
    pub fn describe(self) -> String {
        match self {
            ExitStatus::Exited(code) => format!("exit status {code}"),
            ExitStatus::Signaled { signal, core_dumped } => {
                let name =
                    Signal::from_number(signal).map_or_else(|| format!("signal {signal}"), |s| s.name().to_owned());
                if core_dumped {
                    format!("terminated by {name} (core dumped)")
                } else {
                    format!("terminated by {name}")
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_descriptions() {
        assert_eq!(ExitStatus::Exited(3).describe(), "exit status 3");
        assert_eq!(ExitStatus::Signaled { signal: 15, core_dumped: false }.describe(), "terminated by SIGTERM");
        assert_eq!(
            ExitStatus::Signaled { signal: 11, core_dumped: true }.describe(),
            "terminated by SIGSEGV (core dumped)"
        );
        assert_eq!(ExitStatus::Signaled { signal: 9, core_dumped: false }.code(), -1);
    }
}
