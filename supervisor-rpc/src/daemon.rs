//! What the `supervisor` namespace needs from the running daemon beyond the
//! process engine: its identity, its config file, and a way to ask it to
//! shut down or restart.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use supervisor_core::config::{Config, GroupConfig, LoadOptions};
use supervisor_core::supervisor::Supervisor;
use tokio::sync::mpsc;

/// A request from the API to the daemon's main loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DaemonRequest {
    /// `supervisor.shutdown`.
    Shutdown,
    /// `supervisor.restart`.
    Restart,
}

/// The running daemon as the API sees it.
pub struct Daemon {
    /// The process engine.
    pub supervisor: Supervisor,
    /// `[supervisord] identifier`.
    pub identifier: String,
    /// supervisord's pid.
    pub pid: u32,
    /// The config file, for `reloadConfig`.
    pub config_path: Option<PathBuf>,
    /// How to read it again.
    pub load_options: LoadOptions,
    control: mpsc::UnboundedSender<DaemonRequest>,
    stopping: AtomicBool,
    configs: Mutex<Configs>,
}

/// What `reloadConfig` reports: group names by kind of change.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reread {
    /// Groups only in the file.
    pub added: Vec<String>,
    /// Groups in both whose settings differ.
    pub changed: Vec<String>,
    /// Groups only in use.
    pub removed: Vec<String>,
}

/// The groups of the last config read, and of the ones in use, which is
/// what `reloadConfig` diffs (an AUTO log the supervisor resolved still
/// compares equal to `AUTO`).
///
/// Shared (`Arc`): a group read as it runs is one copy in both.
struct Configs {
    latest: Vec<Arc<GroupConfig>>,
    active: BTreeMap<String, Arc<GroupConfig>>,
}

impl Configs {
    /// `groups`, read and in use.
    fn of(groups: Vec<Arc<GroupConfig>>) -> Configs {
        let active = groups.iter().map(|g| (g.name.clone(), g.clone())).collect();
        Configs { latest: groups, active }
    }
}

impl Daemon {
    /// The daemon for `supervisor`, started from `config`; requests come out
    /// of the returned receiver.
    pub fn new(
        supervisor: Supervisor,
        config: &Config,
        load_options: LoadOptions,
    ) -> (Daemon, mpsc::UnboundedReceiver<DaemonRequest>) {
        let (control, requests) = mpsc::unbounded_channel();
        let daemon = Daemon {
            supervisor,
            identifier: config.supervisord.identifier.clone(),
            pid: std::process::id(),
            config_path: config.file.clone(),
            load_options,
            control,
            stopping: AtomicBool::new(false),
            configs: Mutex::new(Configs::of(config.groups.iter().cloned().map(Arc::new).collect())),
        };
        (daemon, requests)
    }

    /// The groups in use are `groups`, shared with the supervisor that
    /// runs them (from [`Supervisor::shared_group_configs`]), instead of
    /// the config's: one copy of each in memory, AUTO logs resolved.
    pub fn with_groups(self, groups: Vec<Arc<GroupConfig>>) -> Daemon {
        *self.configs() = Configs::of(groups);
        self
    }

    /// Asks the main loop to shut down or restart; from then on the API
    /// answers SHUTDOWN_STATE.
    pub fn request(&self, request: DaemonRequest) {
        self.stopping.store(true, Ordering::SeqCst);
        let _ = self.control.send(request);
    }

    /// Whether a shutdown or restart was requested (or began by signal).
    pub fn is_stopping(&self) -> bool {
        self.stopping.load(Ordering::SeqCst)
    }

    /// Marks the daemon as stopping (the main loop got a signal).
    pub fn mark_stopping(&self) {
        self.stopping.store(true, Ordering::SeqCst);
    }

    /// Clears a stop that did not happen (a restart whose config turned
    /// out invalid): the API answers again.
    pub fn resume(&self) {
        self.stopping.store(false, Ordering::SeqCst);
    }

    /// Reads the config file to see that a restart would load it; the
    /// errors, one per line, when it would not.
    pub fn check_config(&self) -> Result<(), String> {
        match &self.config_path {
            Some(path) => Config::load_with(path, &self.load_options).map(|_| ()).map_err(|e| e.to_string()),
            None => Ok(()),
        }
    }

    fn configs(&self) -> std::sync::MutexGuard<'_, Configs> {
        self.configs.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Reads the config file again; returns the group names added, changed
    /// and removed relative to the groups in use (`reloadConfig`).
    pub fn reread(&self) -> Result<Reread, String> {
        let path = self.config_path.clone().ok_or_else(|| "no config file to read".to_owned())?;
        let config = Config::load_with(&path, &self.load_options).map_err(|e| e.to_string())?;
        let mut c = self.configs();
        // A group read as it runs is kept as it runs: one copy of each
        // program's config, and its AUTO logs shown by their files.
        c.latest = config
            .groups
            .into_iter()
            .map(|g| match c.active.get(&g.name) {
                Some(old) if **old == g => old.clone(),
                _ => Arc::new(g),
            })
            .collect();
        let added = c.latest.iter().filter(|g| !c.active.contains_key(&g.name)).map(|g| g.name.clone()).collect();
        let changed = c
            .latest
            .iter()
            .filter(|g| c.active.get(&g.name).is_some_and(|old| old != *g))
            .map(|g| g.name.clone())
            .collect();
        let latest: Vec<&String> = c.latest.iter().map(|g| &g.name).collect();
        let removed = c.active.keys().filter(|n| !latest.contains(n)).cloned().collect();
        Ok(Reread { added, changed, removed })
    }

    /// The latest config's group of that name.
    pub fn latest_group(&self, name: &str) -> Option<GroupConfig> {
        self.configs().latest.iter().find(|g| g.name == name).map(|g| GroupConfig::clone(g))
    }

    /// The latest config's groups, with whether each is in use.
    pub fn latest_groups(&self) -> Vec<(GroupConfig, bool)> {
        let c = self.configs();
        c.latest.iter().map(|g| (GroupConfig::clone(g), c.active.contains_key(&g.name))).collect()
    }

    /// The group in use of that name, as read.
    pub fn active_group(&self, name: &str) -> Option<GroupConfig> {
        self.configs().active.get(name).map(|g| GroupConfig::clone(g))
    }

    /// Records that `group`, just added or updated, is in use, keeping the
    /// supervisor's own copy (AUTO logs resolved) instead of a second one:
    /// for the read group too, when it is the same.
    pub async fn activate(&self, group: GroupConfig) {
        let running = self.supervisor.shared_group_configs().await.into_iter().find(|g| g.name == group.name);
        let group = running.filter(|r| **r == group).unwrap_or_else(|| Arc::new(group));
        let mut c = self.configs();
        for g in c.latest.iter_mut().filter(|g| g.name == group.name && ***g == *group) {
            *g = group.clone();
        }
        c.active.insert(group.name.clone(), group);
    }

    /// Records that a group is no longer in use.
    pub fn deactivated(&self, name: &str) {
        self.configs().active.remove(name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use supervisor_core::supervisor::RunOptions;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_group_added_is_kept_as_the_supervisor_runs_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let conf = dir.path().join("supervisord.conf");
        let text = format!(
            "[supervisord]\nchildlogdir={d}\n[program:a]\ncommand=sleep 300\nautostart=false\n\
             [program:b]\ncommand=sleep 300\nautostart=false\n",
            d = dir.path().display()
        );
        std::fs::write(&conf, &text).expect("write");
        let mut config = Config::load_with(&conf, &LoadOptions::default()).expect("config");
        // The supervisor starts with a alone; b is added later.
        config.groups.pop().expect("b");
        let sv = Supervisor::start(config.clone(), RunOptions::default()).expect("start");
        let (daemon, _requests) = Daemon::new(sv.clone(), &config, LoadOptions::default());
        let daemon = daemon.with_groups(sv.shared_group_configs().await);
        // b is in the file, not in use.
        assert_eq!(daemon.reread().expect("reread").added, ["b"]);
        let read = daemon.latest_group("b").expect("read");
        sv.add_group(read.clone()).await.expect("add");
        daemon.activate(read).await;
        let running = sv.shared_group_configs().await.into_iter().find(|g| g.name == "b").expect("running");
        {
            let c = daemon.configs();
            assert!(Arc::ptr_eq(&c.active["b"], &running), "in use: the supervisor's own");
            let latest = c.latest.iter().find(|g| g.name == "b").expect("latest");
            assert!(Arc::ptr_eq(latest, &running), "as read: the same, not a copy");
            assert!(matches!(running.processes[0].stdout.logfile, supervisor_core::config::LogFile::AutoFile(_)));
        }
        // Nothing differs from the file.
        assert_eq!(daemon.reread().expect("reread"), Reread::default());
        sv.shutdown().await.expect("shutdown");
    }
}
