//! Signal names and numbers as Supervisor spells them (`TERM`, `SIGHUP`, `9`).

use std::fmt;

/// A Unix signal that can be named in a config file or an RPC call.
///
/// ```
/// use supervisor_core::signals::Signal;
/// let sig: Signal = "hup".parse().unwrap();
/// assert_eq!(sig, Signal::HUP);
/// assert_eq!(sig.name(), "SIGHUP");
/// assert_eq!("9".parse::<Signal>().unwrap().name(), "SIGKILL");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Signal(i32);

/// Linux signal names, canonical name first for each number (the one
/// 4.3.0's `signame()` prints), aliases after.
const NAMES: &[(&str, i32)] = &[
    ("SIGHUP", 1),
    ("SIGINT", 2),
    ("SIGQUIT", 3),
    ("SIGILL", 4),
    ("SIGTRAP", 5),
    ("SIGABRT", 6),
    ("SIGBUS", 7),
    ("SIGFPE", 8),
    ("SIGKILL", 9),
    ("SIGUSR1", 10),
    ("SIGSEGV", 11),
    ("SIGUSR2", 12),
    ("SIGPIPE", 13),
    ("SIGALRM", 14),
    ("SIGTERM", 15),
    ("SIGSTKFLT", 16),
    ("SIGCHLD", 17),
    ("SIGCONT", 18),
    ("SIGSTOP", 19),
    ("SIGTSTP", 20),
    ("SIGTTIN", 21),
    ("SIGTTOU", 22),
    ("SIGURG", 23),
    ("SIGXCPU", 24),
    ("SIGXFSZ", 25),
    ("SIGVTALRM", 26),
    ("SIGPROF", 27),
    ("SIGWINCH", 28),
    ("SIGPOLL", 29),
    ("SIGPWR", 30),
    ("SIGSYS", 31),
    ("SIGRTMIN", 34),
    ("SIGRTMAX", 64),
    ("SIGIOT", 6),
    ("SIGCLD", 17),
    ("SIGIO", 29),
];

/// Why a signal could not be read; the text is 4.3.0's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignalError {
    /// Neither a known name nor a number.
    #[error("value {} is not a valid signal name", crate::pytext::repr(.0))]
    BadName(String),
    /// A number that is not a signal.
    #[error("value {} is not a valid signal number", crate::pytext::repr(.0))]
    BadNumber(String),
}

impl Signal {
    /// SIGHUP.
    pub const HUP: Signal = Signal(1);
    /// SIGINT.
    pub const INT: Signal = Signal(2);
    /// SIGQUIT.
    pub const QUIT: Signal = Signal(3);
    /// SIGKILL.
    pub const KILL: Signal = Signal(9);
    /// SIGUSR1.
    pub const USR1: Signal = Signal(10);
    /// SIGUSR2.
    pub const USR2: Signal = Signal(12);
    /// SIGTERM.
    pub const TERM: Signal = Signal(15);
    /// SIGCHLD.
    pub const CHLD: Signal = Signal(17);

    /// The signal with this number, if Supervisor accepts it.
    pub fn from_number(n: i32) -> Option<Signal> {
        NAMES.iter().any(|&(_, v)| v == n).then_some(Signal(n))
    }

    /// The signal number.
    pub fn number(self) -> i32 {
        self.0
    }

    /// The canonical name, `SIGTERM` style.
    pub fn name(self) -> &'static str {
        NAMES.iter().find(|&&(_, v)| v == self.0).map_or("SIG?", |&(name, _)| name)
    }
}

impl std::str::FromStr for Signal {
    type Err = SignalError;

    /// Reads `TERM`, `sigterm`, `SIGTERM` or `15`, as `signal_number()` does.
    fn from_str(value: &str) -> Result<Self, Self::Err> {
        if let Some(n) = crate::pytext::parse_int(value) {
            return i32::try_from(n)
                .ok()
                .and_then(Signal::from_number)
                .ok_or_else(|| SignalError::BadNumber(value.to_owned()));
        }
        let upper = crate::pytext::strip(value).to_uppercase();
        let name = if upper.starts_with("SIG") { upper } else { format!("SIG{upper}") };
        NAMES
            .iter()
            .find(|&&(n, _)| n == name)
            .map(|&(_, v)| Signal(v))
            .ok_or_else(|| SignalError::BadName(value.to_owned()))
    }
}

impl fmt::Display for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_numbers_and_aliases() {
        assert_eq!("TERM".parse::<Signal>(), Ok(Signal::TERM));
        assert_eq!("sigkill".parse::<Signal>(), Ok(Signal::KILL));
        assert_eq!(" Hup ".parse::<Signal>(), Ok(Signal::HUP));
        assert_eq!("IOT".parse::<Signal>().map(Signal::name), Ok("SIGABRT"));
        assert_eq!("12".parse::<Signal>(), Ok(Signal::USR2));
        assert_eq!("FOO".parse::<Signal>().unwrap_err().to_string(), "value 'FOO' is not a valid signal name");
        assert_eq!("40".parse::<Signal>().unwrap_err().to_string(), "value '40' is not a valid signal number");
    }
}
