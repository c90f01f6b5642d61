//! Comparing two configurations group by group, as `reread`, `update` and
//! `reloadConfig` need.

use super::model::{Config, GroupConfig};

/// What changed between a running configuration and a new one.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConfigDiff {
    /// Groups only in the new configuration.
    pub added: Vec<GroupConfig>,
    /// Groups in both whose settings differ (the new settings).
    pub changed: Vec<GroupConfig>,
    /// Groups only in the running configuration.
    pub removed: Vec<GroupConfig>,
}

impl ConfigDiff {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.changed.is_empty() && self.removed.is_empty()
    }
}

/// Diffs `old` against `new` by group name, each list in `new`'s (or, for
/// removed groups, `old`'s) start order.
///
/// Unlike 4.3.0, which skips any field where either side is `AUTO`, every
/// field counts: switching a log from `AUTO` to a path is a change.
///
/// ```
/// use supervisor_core::config::{diff, Config};
/// let old = Config::from_str("[supervisord]\n[program:a]\ncommand=cat\n", "/tmp/x.conf").unwrap();
/// let new = Config::from_str("[supervisord]\n[program:a]\ncommand=tac\n[program:b]\ncommand=cat\n", "/tmp/x.conf").unwrap();
/// let d = diff(&old, &new);
/// assert_eq!(d.added.iter().map(|g| g.name.as_str()).collect::<Vec<_>>(), ["b"]);
/// assert_eq!(d.changed.iter().map(|g| g.name.as_str()).collect::<Vec<_>>(), ["a"]);
/// assert!(d.removed.is_empty());
/// ```
pub fn diff(old: &Config, new: &Config) -> ConfigDiff {
    let mut out = ConfigDiff::default();
    for group in &new.groups {
        match old.groups.iter().find(|g| g.name == group.name) {
            None => out.added.push(group.clone()),
            Some(previous) if previous != group => out.changed.push(group.clone()),
            Some(_) => {}
        }
    }
    for group in &old.groups {
        if !new.groups.iter().any(|g| g.name == group.name) {
            out.removed.push(group.clone());
        }
    }
    out
}
