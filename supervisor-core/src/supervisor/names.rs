//! Typed names: which process, program or group a request is about.

use std::fmt;

/// One process: its group and its own name (`process_name`, expanded).
///
/// Displays as 4.3.0 names a process: `group:name`, or `name` alone when
/// the group is the program's own.
///
/// ```
/// use supervisor_core::supervisor::ProcessName;
/// let web = ProcessName::new("web", "web");
/// assert_eq!(web.to_string(), "web");
/// let worker = ProcessName::new("workers", "worker_01");
/// assert_eq!((worker.group(), worker.name()), ("workers", "worker_01"));
/// assert_eq!(worker.to_string(), "workers:worker_01");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProcessName {
    group: String,
    name: String,
}

impl ProcessName {
    /// The process `name` of group `group`.
    pub fn new(group: impl Into<String>, name: impl Into<String>) -> ProcessName {
        ProcessName { group: group.into(), name: name.into() }
    }

    /// Its group.
    pub fn group(&self) -> &str {
        &self.group
    }

    /// Its own name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether this is the process `name` of `group`.
    pub(crate) fn is(&self, group: &str, name: &str) -> bool {
        self.group == group && self.name == name
    }
}

impl fmt::Display for ProcessName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.group == self.name { f.write_str(&self.name) } else { write!(f, "{}:{}", self.group, self.name) }
    }
}

/// What a request acts on: one process, a program's processes, a group's,
/// or every process.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Target {
    /// One process.
    Process(ProcessName),
    /// Every process of a program (`numprocs` of them); in `group`, or in
    /// whichever group holds it (the first, in start order).
    Program {
        /// The group, when given.
        group: Option<String>,
        /// The program's name (`[program:x]`'s `x`).
        program: String,
    },
    /// Every process of a group.
    Group(String),
    /// Every process of every group.
    All,
}

impl Target {
    /// Whether the target names one process, whose refusals are errors
    /// (a group operation skips what is already as asked).
    pub(crate) fn is_single(&self) -> bool {
        matches!(self, Target::Process(_))
    }

    /// The name an unknown target is reported by.
    pub(crate) fn label(&self) -> String {
        match self {
            Target::Process(p) => p.to_string(),
            Target::Program { group: Some(g), program } => format!("{g}:{program}"),
            Target::Program { group: None, program } => program.clone(),
            Target::Group(g) => g.clone(),
            Target::All => String::new(),
        }
    }
}

impl From<ProcessName> for Target {
    fn from(p: ProcessName) -> Target {
        Target::Process(p)
    }
}

/// The program a `[program:x]`, `[fcgi-program:x]` or `[eventlistener:x]`
/// section defines: `x`.
pub(crate) fn program_of(section: &str) -> &str {
    section.split_once(':').map_or(section, |(_, name)| name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn programs_are_named_by_their_section() {
        assert_eq!(program_of("program:web"), "web");
        assert_eq!(program_of("fcgi-program:php"), "php");
        assert_eq!(program_of("eventlistener:crashmail"), "crashmail");
    }

    #[test]
    fn targets_are_reported_by_the_name_a_user_would_write() {
        assert_eq!(Target::Process(ProcessName::new("g", "p")).label(), "g:p");
        assert_eq!(Target::Program { group: None, program: "web".into() }.label(), "web");
        assert_eq!(Target::Group("g".into()).label(), "g");
    }
}
